//! slurmd ↔ slurmctld registration and health messages
//! (`src/common/slurm_protocol_pack.c`).

use crate::msg::common::{Energy, StepId};
use crate::msg::gres::GresNodeConfig;
use crate::msg::jobacct::{pack_tres_list, unpack_tres_list, TresRec};
use crate::msg::require_22_05;
use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker};
use crate::version::ProtocolVersion;

/// `SLURMD_REG_FLAG_*` bits of [`NodeRegistration::flags`] (slurm_protocol_defs.h).
pub mod reg_flags {
    /// `SLURMD_REG_FLAG_RESP`: slurmd wants RESPONSE_NODE_REGISTRATION (the TRES
    /// list) instead of a plain RC. (0x0001, formerly STARTUP, is unused in 22.05.)
    pub const RESP: u16 = 0x0002;
}

/// `dynamic_type` of a registration (`DYN_NODE_*`, slurm_protocol_defs.h).
pub mod dynamic_type {
    /// `DYN_NODE_NONE`: a node from slurm.conf.
    pub const NONE: u8 = 0;
    /// `DYN_NODE_FUTURE`: `slurmd -F`, takes over a FUTURE node slot.
    pub const FUTURE: u8 = 1;
    /// `DYN_NODE_NORM`: `slurmd -Z`, a dynamic node created at registration.
    pub const NORM: u8 = 2;
}

/// MESSAGE_NODE_REGISTRATION_STATUS body (`slurm_node_registration_status_msg_t`,
/// `_pack_node_registration_status_msg`, 22.05 layout).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeRegistration {
    /// `timestamp`: when slurmd built the message.
    pub timestamp: i64,
    /// `slurmd_start_time`.
    pub slurmd_start_time: i64,
    /// `status`: a Slurm rc (e.g. ESLURMD_PROLOG_FAILED).
    pub status: u32,
    /// `features_active`.
    pub features_active: Option<String>,
    /// `features_avail`.
    pub features_avail: Option<String>,
    /// `hostname`.
    pub hostname: Option<String>,
    /// `node_name`.
    pub node_name: Option<String>,
    /// `arch`.
    pub arch: Option<String>,
    /// `cpu_spec_list`.
    pub cpu_spec_list: Option<String>,
    /// `os`.
    pub os: Option<String>,
    /// `cpus`.
    pub cpus: u16,
    /// `boards`.
    pub boards: u16,
    /// `sockets`.
    pub sockets: u16,
    /// `cores` (per socket).
    pub cores: u16,
    /// `threads` (per core).
    pub threads: u16,
    /// `real_memory` (MB).
    pub real_memory: u64,
    /// `tmp_disk` (MB).
    pub tmp_disk: u32,
    /// `up_time` (s).
    pub up_time: u32,
    /// `hash_val`: hash of the slurmd's slurm.conf.
    pub hash_val: u32,
    /// `cpu_load` (load average × 100).
    pub cpu_load: u32,
    /// `free_mem` (MB).
    pub free_mem: u64,
    /// `step_id[job_count]`: every step running on the node.
    pub steps: Vec<StepId>,
    /// `flags` ([`reg_flags`]).
    pub flags: u16,
    /// `gres_info`: `gres_node_config_pack` output. On the wire its size is
    /// sent twice (a u32, then `packmem`'s own length), and nothing at all
    /// follows the u32 when it is 0 (None here).
    pub gres_info: Option<GresNodeConfig>,
    /// `energy`.
    pub energy: Energy,
    /// `version` (e.g. "22.05.8").
    pub version: Option<String>,
    /// `dynamic_type` ([`dynamic_type`]).
    pub dynamic_type: u8,
    /// `dynamic_conf`.
    pub dynamic_conf: Option<String>,
    /// `dynamic_feature`.
    pub dynamic_feature: Option<String>,
}

impl NodeRegistration {
    /// Packs it (22.05 layout).
    pub fn pack(&self, p: &mut Packer) {
        p.time(self.timestamp);
        p.time(self.slurmd_start_time);
        p.u32(self.status);
        p.str(self.features_active.as_deref());
        p.str(self.features_avail.as_deref());
        p.str(self.hostname.as_deref());
        p.str(self.node_name.as_deref());
        p.str(self.arch.as_deref());
        p.str(self.cpu_spec_list.as_deref());
        p.str(self.os.as_deref());
        p.u16(self.cpus);
        p.u16(self.boards);
        p.u16(self.sockets);
        p.u16(self.cores);
        p.u16(self.threads);
        p.u64(self.real_memory);
        p.u32(self.tmp_disk);
        p.u32(self.up_time);
        p.u32(self.hash_val);
        p.u32(self.cpu_load);
        p.u64(self.free_mem);
        p.u32(self.steps.len() as u32);
        self.steps.iter().for_each(|s| s.pack(p));
        p.u16(self.flags);
        match &self.gres_info {
            None => p.u32(0),
            Some(g) => {
                let mut inner = Packer::new();
                g.pack(&mut inner);
                p.u32(inner.len() as u32);
                p.mem(Some(inner.as_slice()));
            }
        }
        self.energy.pack(p);
        p.str(self.version.as_deref());
        p.u8(self.dynamic_type);
        p.str(self.dynamic_conf.as_deref());
        p.str(self.dynamic_feature.as_deref());
    }

    /// Reads it (22.05 layout only).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        require_22_05(version)?;
        let mut r = NodeRegistration {
            timestamp: u.time("node_reg.timestamp")?,
            slurmd_start_time: u.time("node_reg.slurmd_start_time")?,
            status: u.u32("node_reg.status")?,
            features_active: u.str("node_reg.features_active")?,
            features_avail: u.str("node_reg.features_avail")?,
            hostname: u.str("node_reg.hostname")?,
            node_name: u.str("node_reg.node_name")?,
            arch: u.str("node_reg.arch")?,
            cpu_spec_list: u.str("node_reg.cpu_spec_list")?,
            os: u.str("node_reg.os")?,
            cpus: u.u16("node_reg.cpus")?,
            boards: u.u16("node_reg.boards")?,
            sockets: u.u16("node_reg.sockets")?,
            cores: u.u16("node_reg.cores")?,
            threads: u.u16("node_reg.threads")?,
            real_memory: u.u64("node_reg.real_memory")?,
            tmp_disk: u.u32("node_reg.tmp_disk")?,
            up_time: u.u32("node_reg.up_time")?,
            hash_val: u.u32("node_reg.hash_val")?,
            cpu_load: u.u32("node_reg.cpu_load")?,
            free_mem: u.u64("node_reg.free_mem")?,
            ..Default::default()
        };
        let n = u.count("node_reg.job_count", 12)?;
        r.steps = (0..n)
            .map(|_| StepId::unpack(u))
            .collect::<DecodeResult<_>>()?;
        r.flags = u.u16("node_reg.flags")?;
        let size = u.u32("node_reg.gres_info_size")?;
        if size != 0 {
            let blob = u.mem("node_reg.gres_info")?.unwrap_or_default();
            if blob.len() as u64 != u64::from(size) {
                return Err(DecodeError::InvalidValue {
                    field: "node_reg.gres_info",
                    value: blob.len() as u64,
                });
            }
            r.gres_info = Some(GresNodeConfig::unpack(blob)?);
        }
        r.energy = Energy::unpack(u)?;
        r.version = u.str("node_reg.version")?;
        r.dynamic_type = u.u8("node_reg.dynamic_type")?;
        r.dynamic_conf = u.str("node_reg.dynamic_conf")?;
        r.dynamic_feature = u.str("node_reg.dynamic_feature")?;
        Ok(r)
    }
}

/// RESPONSE_NODE_REGISTRATION body (`slurm_node_reg_resp_msg_t`,
/// `_pack_node_reg_resp`): the cluster's TRES list, so slurmd can report
/// usage per TRES id. Same layout in every supported version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeRegistrationResponse {
    /// `tres_list` (`slurm_pack_list`, NO_VAL when NULL).
    pub tres_list: Option<Vec<TresRec>>,
    /// `node_name`.
    pub node_name: Option<String>,
}

impl NodeRegistrationResponse {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        pack_tres_list(p, self.tres_list.as_deref());
        p.str(self.node_name.as_deref());
    }

    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(NodeRegistrationResponse {
            tres_list: unpack_tres_list(u, "node_reg_resp.tres_list")?,
            node_name: u.str("node_reg_resp.node_name")?,
        })
    }
}

/// RESPONSE_PING_SLURMD body (`ping_slurmd_resp_msg_t`, `_pack_ping_slurmd_resp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PingSlurmdResponse {
    /// `cpu_load` (load average × 100).
    pub cpu_load: u32,
    /// `free_mem` (MB).
    pub free_mem: u64,
}

impl PingSlurmdResponse {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.cpu_load);
        p.u64(self.free_mem);
    }

    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(PingSlurmdResponse {
            cpu_load: u.u32("ping_resp.cpu_load")?,
            free_mem: u.u64("ping_resp.free_mem")?,
        })
    }
}

/// RESPONSE_ACCT_GATHER_UPDATE body (`acct_gather_node_resp_msg_t`,
/// `_pack_acct_gather_node_resp_msg`): the node's energy sensors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AcctGatherNodeResponse {
    /// `node_name`.
    pub node_name: Option<String>,
    /// `energy[sensor_cnt]` (u16 count).
    pub energy: Vec<Energy>,
}

impl AcctGatherNodeResponse {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.str(self.node_name.as_deref());
        p.u16(self.energy.len() as u16);
        self.energy.iter().for_each(|e| e.pack(p));
    }

    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        let node_name = u.str("acct_gather_resp.node_name")?;
        let n = u.u16("acct_gather_resp.sensor_cnt")?;
        let n = u.check_count("acct_gather_resp.sensor_cnt", n.into(), 40)?;
        let energy = (0..n)
            .map(|_| Energy::unpack(u))
            .collect::<DecodeResult<_>>()?;
        Ok(AcctGatherNodeResponse { node_name, energy })
    }
}
