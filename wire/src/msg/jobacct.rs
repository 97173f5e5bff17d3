//! Job accounting blocks carried by completion messages
//! (`src/common/slurm_jobacct_gather.c`: `jobacctinfo_pack`/`jobacctinfo_unpack`)
//! and slurmdb TRES records (`slurmdb_pack.c`: `slurmdb_pack_tres_rec`).

use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker, NO_VAL};
use crate::version::ProtocolVersion;

/// `slurmdb_tres_rec_t` as `slurmdb_pack_tres_rec` packs it (same layout in
/// every supported version).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TresRec {
    /// `alloc_secs`.
    pub alloc_secs: u64,
    /// `count`.
    pub count: u64,
    /// `id` (1 cpu, 2 mem, 3 energy, 4 node, 5 billing, 6 fs/disk, 7 vmem, 8 pages, ...).
    pub id: u32,
    /// `name` (e.g. "disk" for type "fs", or a GRES name).
    pub name: Option<String>,
    /// `type` ("cpu", "mem", "gres", ...).
    pub tres_type: Option<String>,
}

impl TresRec {
    /// Smallest packed size: two u64, a u32 and two empty strings.
    pub const MIN_PACKED: usize = 8 + 8 + 4 + 4 + 4;

    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u64(self.alloc_secs);
        p.u64(self.count);
        p.u32(self.id);
        p.str(self.name.as_deref());
        p.str(self.tres_type.as_deref());
    }

    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(TresRec {
            alloc_secs: u.u64("tres_rec.alloc_secs")?,
            count: u.u64("tres_rec.count")?,
            id: u.u32("tres_rec.id")?,
            name: u.str("tres_rec.name")?,
            tres_type: u.str("tres_rec.type")?,
        })
    }
}

/// `slurm_pack_list` of TRES records: u32 count, NO_VAL for a NULL list.
pub fn pack_tres_list(p: &mut Packer, list: Option<&[TresRec]>) {
    match list {
        None => p.u32(NO_VAL),
        Some(l) => {
            p.u32(l.len() as u32);
            l.iter().for_each(|t| t.pack(p));
        }
    }
}

/// Reads a `slurm_pack_list` of TRES records.
pub fn unpack_tres_list(
    u: &mut Unpacker<'_>,
    field: &'static str,
) -> DecodeResult<Option<Vec<TresRec>>> {
    let n = u.u32(field)?;
    if n == NO_VAL {
        return Ok(None);
    }
    let n = u.check_count(field, n, TresRec::MIN_PACKED)?;
    (0..n)
        .map(|_| TresRec::unpack(u))
        .collect::<DecodeResult<Vec<_>>>()
        .map(Some)
}

/// Per-TRES usage arrays of `jobacctinfo_t`, each packed as a `pack64_array`
/// (normally `tres_count` long, but every array carries its own count).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TresUsage {
    /// `tres_usage_*_max`.
    pub max: Vec<u64>,
    /// `tres_usage_*_max_nodeid`.
    pub max_nodeid: Vec<u64>,
    /// `tres_usage_*_max_taskid`.
    pub max_taskid: Vec<u64>,
    /// `tres_usage_*_min`.
    pub min: Vec<u64>,
    /// `tres_usage_*_min_nodeid`.
    pub min_nodeid: Vec<u64>,
    /// `tres_usage_*_min_taskid`.
    pub min_taskid: Vec<u64>,
    /// `tres_usage_*_tot`.
    pub tot: Vec<u64>,
}

impl TresUsage {
    fn pack(&self, p: &mut Packer) {
        for a in [
            &self.max,
            &self.max_nodeid,
            &self.max_taskid,
            &self.min,
            &self.min_nodeid,
            &self.min_taskid,
            &self.tot,
        ] {
            p.u64_array(a);
        }
    }

    fn unpack(u: &mut Unpacker<'_>, field: &'static str) -> DecodeResult<Self> {
        Ok(TresUsage {
            max: u.u64_array(field)?,
            max_nodeid: u.u64_array(field)?,
            max_taskid: u.u64_array(field)?,
            min: u.u64_array(field)?,
            min_nodeid: u.u64_array(field)?,
            min_taskid: u.u64_array(field)?,
            tot: u.u64_array(field)?,
        })
    }
}

/// `jobacctinfo_t` as `jobacctinfo_pack` sends it (21.08+ layout, which is the
/// newest in 22.05). Absent (`u8 0`) when the stepd has no accounting data or
/// the jobacct_gather plugin is not polling.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobAcctInfo {
    /// `user_cpu_sec`.
    pub user_cpu_sec: u64,
    /// `user_cpu_usec`.
    pub user_cpu_usec: u32,
    /// `sys_cpu_sec`.
    pub sys_cpu_sec: u64,
    /// `sys_cpu_usec`.
    pub sys_cpu_usec: u32,
    /// `act_cpufreq` (kHz).
    pub act_cpufreq: u32,
    /// `energy.consumed_energy` (joules).
    pub consumed_energy: u64,
    /// `tres_ids` (`pack32_array`, `tres_count` long).
    pub tres_ids: Vec<u32>,
    /// `tres_list`, usually NULL (NO_VAL) on slurmd traffic.
    pub tres_list: Option<Vec<TresRec>>,
    /// `tres_usage_in_*` (bytes read, memory, ... per TRES).
    pub usage_in: TresUsage,
    /// `tres_usage_out_*`.
    pub usage_out: TresUsage,
}

impl JobAcctInfo {
    /// Packs `u8 present` and, if present, the record.
    pub fn pack(v: Option<&JobAcctInfo>, p: &mut Packer) {
        let Some(j) = v else {
            p.u8(0);
            return;
        };
        p.u8(1);
        p.u64(j.user_cpu_sec);
        p.u32(j.user_cpu_usec);
        p.u64(j.sys_cpu_sec);
        p.u32(j.sys_cpu_usec);
        p.u32(j.act_cpufreq);
        p.u64(j.consumed_energy);
        p.u32_array(&j.tres_ids);
        pack_tres_list(p, j.tres_list.as_deref());
        j.usage_in.pack(p);
        j.usage_out.pack(p);
    }

    /// Reads `u8 present` and, if present, the record. The 20.11 layout (u32
    /// cpu seconds) is refused.
    pub fn unpack(
        u: &mut Unpacker<'_>,
        version: ProtocolVersion,
    ) -> DecodeResult<Option<JobAcctInfo>> {
        match u.u8("jobacct.present")? {
            0 => return Ok(None),
            1 => {}
            other => {
                return Err(DecodeError::InvalidValue {
                    field: "jobacct.present",
                    value: other.into(),
                })
            }
        }
        if version < ProtocolVersion::V21_08 {
            return Err(DecodeError::UnsupportedVersion(version.0));
        }
        Ok(Some(JobAcctInfo {
            user_cpu_sec: u.u64("jobacct.user_cpu_sec")?,
            user_cpu_usec: u.u32("jobacct.user_cpu_usec")?,
            sys_cpu_sec: u.u64("jobacct.sys_cpu_sec")?,
            sys_cpu_usec: u.u32("jobacct.sys_cpu_usec")?,
            act_cpufreq: u.u32("jobacct.act_cpufreq")?,
            consumed_energy: u.u64("jobacct.consumed_energy")?,
            tres_ids: u.u32_array("jobacct.tres_ids")?,
            tres_list: unpack_tres_list(u, "jobacct.tres_list")?,
            usage_in: TresUsage::unpack(u, "jobacct.tres_usage_in")?,
            usage_out: TresUsage::unpack(u, "jobacct.tres_usage_out")?,
        }))
    }
}
