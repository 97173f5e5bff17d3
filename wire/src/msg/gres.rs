//! GRES records embedded in node-daemon messages (`src/common/gres.c`).
//!
//! Every list here is a **u16 record count** (0 = nothing else follows, also
//! what upstream sends for a NULL list), then per record the `GRES_MAGIC`
//! word and the plugin id (`gres_build_id` of the GRES name).

use crate::pack::{Bitmap, DecodeError, DecodeResult, Packer, Unpacker};

/// `GRES_MAGIC`: the first u32 of every packed GRES record.
pub const GRES_MAGIC: u32 = 0x438a_34d4;

/// The plugin id upstream derives from a GRES name (`gres_build_id`): the
/// name's bytes summed, each shifted by 0, 8, 16, 24, 0, ... bits, wrapping.
/// Both ends compare these ids, so it must match bit for bit.
pub fn plugin_id(name: &str) -> u32 {
    name.bytes()
        .zip([0u32, 8, 16, 24].into_iter().cycle())
        // C sign-extends `char`; only matters for non-ASCII names.
        .fold(0u32, |id, (b, shift)| {
            id.wrapping_add(((b as i8) as i32 as u32).wrapping_shl(shift))
        })
}

/// Smallest packed size of any GRES record (magic + plugin id), used to bound counts.
const MIN_RECORD: usize = 8;

fn magic(u: &mut Unpacker<'_>, field: &'static str) -> DecodeResult<()> {
    match u.u32(field)? {
        GRES_MAGIC => Ok(()),
        other => Err(DecodeError::InvalidValue {
            field,
            value: other.into(),
        }),
    }
}

fn u16_count(u: &mut Unpacker<'_>, field: &'static str, min_elem: usize) -> DecodeResult<usize> {
    let n = u.u16(field)?;
    u.check_count(field, n.into(), min_elem)
}

/// `u8 present` then, if 1, `node_cnt` bitmaps (`pack_bit_str_hex` each).
fn pack_bitmaps(p: &mut Packer, v: Option<&Vec<Option<Bitmap>>>) {
    match v {
        None => p.u8(0),
        Some(bms) => {
            p.u8(1);
            bms.iter().for_each(|b| p.bitmap(b.as_ref()));
        }
    }
}

fn unpack_bitmaps(
    u: &mut Unpacker<'_>,
    node_cnt: u32,
    field: &'static str,
) -> DecodeResult<Option<Vec<Option<Bitmap>>>> {
    if u.u8(field)? == 0 {
        return Ok(None);
    }
    // Each bitmap takes at least its u32 size.
    let n = u.check_count(field, node_cnt, 4)?;
    (0..n)
        .map(|_| u.bitmap(field))
        .collect::<DecodeResult<Vec<_>>>()
        .map(Some)
}

/// `u8 present` then, if 1, a `pack64_array`.
fn pack_opt_u64s(p: &mut Packer, v: Option<&Vec<u64>>) {
    match v {
        None => p.u8(0),
        Some(a) => {
            p.u8(1);
            p.u64_array(a);
        }
    }
}

fn unpack_opt_u64s(u: &mut Unpacker<'_>, field: &'static str) -> DecodeResult<Option<Vec<u64>>> {
    if u.u8(field)? == 0 {
        return Ok(None);
    }
    u.u64_array(field).map(Some)
}

/// One job GRES record as `gres_job_state_pack` writes it (`gres_job_state_t`),
/// used in the job credential.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresJobState {
    /// `plugin_id`.
    pub plugin_id: u32,
    /// `cpus_per_gres`.
    pub cpus_per_gres: u16,
    /// `flags` (`GRES_CONF_*`).
    pub flags: u16,
    /// `gres_per_job`.
    pub gres_per_job: u64,
    /// `gres_per_node`.
    pub gres_per_node: u64,
    /// `gres_per_socket`.
    pub gres_per_socket: u64,
    /// `gres_per_task`.
    pub gres_per_task: u64,
    /// `mem_per_gres`.
    pub mem_per_gres: u64,
    /// `ntasks_per_gres`.
    pub ntasks_per_gres: u16,
    /// `total_gres`.
    pub total_gres: u64,
    /// `type_name`.
    pub type_name: Option<String>,
    /// `node_cnt`.
    pub node_cnt: u32,
    /// `gres_cnt_node_alloc` (u8 flag + u64 array).
    pub gres_cnt_node_alloc: Option<Vec<u64>>,
    /// `gres_bit_alloc`, one bitmap per node.
    pub gres_bit_alloc: Option<Vec<Option<Bitmap>>>,
    /// `gres_bit_step_alloc` (only when packed with details).
    pub gres_bit_step_alloc: Option<Vec<Option<Bitmap>>>,
    /// `gres_cnt_step_alloc` (only when packed with details): one u64 per node.
    pub gres_cnt_step_alloc: Option<Vec<u64>>,
}

impl GresJobState {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(GRES_MAGIC);
        p.u32(self.plugin_id);
        p.u16(self.cpus_per_gres);
        p.u16(self.flags);
        p.u64(self.gres_per_job);
        p.u64(self.gres_per_node);
        p.u64(self.gres_per_socket);
        p.u64(self.gres_per_task);
        p.u64(self.mem_per_gres);
        p.u16(self.ntasks_per_gres);
        p.u64(self.total_gres);
        p.str(self.type_name.as_deref());
        p.u32(self.node_cnt);
        pack_opt_u64s(p, self.gres_cnt_node_alloc.as_ref());
        pack_bitmaps(p, self.gres_bit_alloc.as_ref());
        pack_bitmaps(p, self.gres_bit_step_alloc.as_ref());
        match &self.gres_cnt_step_alloc {
            None => p.u8(0),
            Some(v) => {
                p.u8(1);
                v.iter().for_each(|&x| p.u64(x));
            }
        }
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        magic(u, "gres_job_state.magic")?;
        let mut g = GresJobState {
            plugin_id: u.u32("gres_job_state.plugin_id")?,
            cpus_per_gres: u.u16("gres_job_state.cpus_per_gres")?,
            flags: u.u16("gres_job_state.flags")?,
            gres_per_job: u.u64("gres_job_state.gres_per_job")?,
            gres_per_node: u.u64("gres_job_state.gres_per_node")?,
            gres_per_socket: u.u64("gres_job_state.gres_per_socket")?,
            gres_per_task: u.u64("gres_job_state.gres_per_task")?,
            mem_per_gres: u.u64("gres_job_state.mem_per_gres")?,
            ntasks_per_gres: u.u16("gres_job_state.ntasks_per_gres")?,
            total_gres: u.u64("gres_job_state.total_gres")?,
            type_name: u.str("gres_job_state.type_name")?,
            node_cnt: u.u32("gres_job_state.node_cnt")?,
            ..Default::default()
        };
        g.gres_cnt_node_alloc = unpack_opt_u64s(u, "gres_job_state.gres_cnt_node_alloc")?;
        g.gres_bit_alloc = unpack_bitmaps(u, g.node_cnt, "gres_job_state.gres_bit_alloc")?;
        g.gres_bit_step_alloc =
            unpack_bitmaps(u, g.node_cnt, "gres_job_state.gres_bit_step_alloc")?;
        if u.u8("gres_job_state.gres_cnt_step_alloc")? != 0 {
            let n = u.check_count("gres_job_state.gres_cnt_step_alloc", g.node_cnt, 8)?;
            g.gres_cnt_step_alloc = Some(
                (0..n)
                    .map(|_| u.u64("gres_job_state.gres_cnt_step_alloc"))
                    .collect::<DecodeResult<_>>()?,
            );
        }
        Ok(g)
    }
}

/// One step GRES record as `gres_step_state_pack` writes it (`gres_step_state_t`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresStepState {
    /// `plugin_id`.
    pub plugin_id: u32,
    /// `cpus_per_gres`.
    pub cpus_per_gres: u16,
    /// `flags`.
    pub flags: u16,
    /// `gres_per_step`.
    pub gres_per_step: u64,
    /// `gres_per_node`.
    pub gres_per_node: u64,
    /// `gres_per_socket`.
    pub gres_per_socket: u64,
    /// `gres_per_task`.
    pub gres_per_task: u64,
    /// `mem_per_gres`.
    pub mem_per_gres: u64,
    /// `total_gres`.
    pub total_gres: u64,
    /// `node_cnt`.
    pub node_cnt: u32,
    /// `node_in_use`.
    pub node_in_use: Option<Bitmap>,
    /// `gres_cnt_node_alloc`.
    pub gres_cnt_node_alloc: Option<Vec<u64>>,
    /// `gres_bit_alloc`, one bitmap per node.
    pub gres_bit_alloc: Option<Vec<Option<Bitmap>>>,
}

impl GresStepState {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(GRES_MAGIC);
        p.u32(self.plugin_id);
        p.u16(self.cpus_per_gres);
        p.u16(self.flags);
        p.u64(self.gres_per_step);
        p.u64(self.gres_per_node);
        p.u64(self.gres_per_socket);
        p.u64(self.gres_per_task);
        p.u64(self.mem_per_gres);
        p.u64(self.total_gres);
        p.u32(self.node_cnt);
        p.bitmap(self.node_in_use.as_ref());
        pack_opt_u64s(p, self.gres_cnt_node_alloc.as_ref());
        pack_bitmaps(p, self.gres_bit_alloc.as_ref());
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        magic(u, "gres_step_state.magic")?;
        let mut g = GresStepState {
            plugin_id: u.u32("gres_step_state.plugin_id")?,
            cpus_per_gres: u.u16("gres_step_state.cpus_per_gres")?,
            flags: u.u16("gres_step_state.flags")?,
            gres_per_step: u.u64("gres_step_state.gres_per_step")?,
            gres_per_node: u.u64("gres_step_state.gres_per_node")?,
            gres_per_socket: u.u64("gres_step_state.gres_per_socket")?,
            gres_per_task: u.u64("gres_step_state.gres_per_task")?,
            mem_per_gres: u.u64("gres_step_state.mem_per_gres")?,
            total_gres: u.u64("gres_step_state.total_gres")?,
            node_cnt: u.u32("gres_step_state.node_cnt")?,
            node_in_use: u.bitmap("gres_step_state.node_in_use")?,
            ..Default::default()
        };
        g.gres_cnt_node_alloc = unpack_opt_u64s(u, "gres_step_state.gres_cnt_node_alloc")?;
        g.gres_bit_alloc = unpack_bitmaps(u, g.node_cnt, "gres_step_state.gres_bit_alloc")?;
        Ok(g)
    }
}

/// One record of `gres_job_alloc_pack` (`gres_epilog_info_t`): what a job was
/// given on each node, for prolog/epilog environment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresJobAlloc {
    /// `plugin_id`.
    pub plugin_id: u32,
    /// `node_cnt`.
    pub node_cnt: u32,
    /// `gres_cnt_node_alloc`.
    pub gres_cnt_node_alloc: Option<Vec<u64>>,
    /// `gres_bit_alloc`, one bitmap per node.
    pub gres_bit_alloc: Option<Vec<Option<Bitmap>>>,
}

impl GresJobAlloc {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(GRES_MAGIC);
        p.u32(self.plugin_id);
        p.u32(self.node_cnt);
        pack_opt_u64s(p, self.gres_cnt_node_alloc.as_ref());
        pack_bitmaps(p, self.gres_bit_alloc.as_ref());
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        magic(u, "gres_job_alloc.magic")?;
        let plugin_id = u.u32("gres_job_alloc.plugin_id")?;
        let node_cnt = u.u32("gres_job_alloc.node_cnt")?;
        Ok(GresJobAlloc {
            plugin_id,
            node_cnt,
            gres_cnt_node_alloc: unpack_opt_u64s(u, "gres_job_alloc.gres_cnt_node_alloc")?,
            gres_bit_alloc: unpack_bitmaps(u, node_cnt, "gres_job_alloc.gres_bit_alloc")?,
        })
    }
}

/// One `gres.conf` line as slurmd reports it (`gres_slurmd_conf_t`, packed by
/// `gres_node_config_pack`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresSlurmdConf {
    /// `count`.
    pub count: u64,
    /// `cpu_cnt`.
    pub cpu_cnt: u32,
    /// `config_flags` (`GRES_CONF_*`).
    pub config_flags: u32,
    /// `plugin_id`.
    pub plugin_id: u32,
    /// `cpus`.
    pub cpus: Option<String>,
    /// `links`.
    pub links: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `type_name`.
    pub type_name: Option<String>,
    /// `unique_id`.
    pub unique_id: Option<String>,
}

/// The `gres_info` buffer of a node registration (`gres_node_config_pack`):
/// `u16 version · u16 rec_cnt` + records. The version is the *slurmd's own*
/// protocol version, independent of the message's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GresNodeConfig {
    /// Protocol version the records were packed with.
    pub version: u16,
    /// The node's gres.conf records.
    pub records: Vec<GresSlurmdConf>,
}

impl GresNodeConfig {
    /// Packs the buffer contents (without any length prefix).
    pub fn pack(&self, p: &mut Packer) {
        p.u16(self.version);
        p.u16(self.records.len() as u16);
        for r in &self.records {
            p.u32(GRES_MAGIC);
            p.u64(r.count);
            p.u32(r.cpu_cnt);
            p.u32(r.config_flags);
            p.u32(r.plugin_id);
            p.str(r.cpus.as_deref());
            p.str(r.links.as_deref());
            p.str(r.name.as_deref());
            p.str(r.type_name.as_deref());
            p.str(r.unique_id.as_deref());
        }
    }

    /// Reads the buffer contents; the whole slice must be consumed.
    pub fn unpack(buf: &[u8]) -> DecodeResult<Self> {
        let mut u = Unpacker::new(buf);
        let version = u.u16("gres_info.version")?;
        let n = u16_count(&mut u, "gres_info.rec_cnt", 44)?;
        let mut records = Vec::with_capacity(n);
        for _ in 0..n {
            magic(&mut u, "gres_info.magic")?;
            records.push(GresSlurmdConf {
                count: u.u64("gres_info.count")?,
                cpu_cnt: u.u32("gres_info.cpu_cnt")?,
                config_flags: u.u32("gres_info.config_flags")?,
                plugin_id: u.u32("gres_info.plugin_id")?,
                cpus: u.str("gres_info.cpus")?,
                links: u.str("gres_info.links")?,
                name: u.str("gres_info.name")?,
                type_name: u.str("gres_info.type_name")?,
                unique_id: u.str("gres_info.unique_id")?,
            });
        }
        u.finish("gres_info")?;
        Ok(GresNodeConfig { version, records })
    }
}

/// Packs a GRES list: u16 count + records.
pub fn pack_list<T>(p: &mut Packer, items: &[T], pack: impl Fn(&T, &mut Packer)) {
    p.u16(items.len() as u16);
    items.iter().for_each(|i| pack(i, p));
}

/// Reads a GRES list: u16 count + records.
pub fn unpack_list<T>(
    u: &mut Unpacker<'_>,
    field: &'static str,
    unpack: impl Fn(&mut Unpacker<'_>) -> DecodeResult<T>,
) -> DecodeResult<Vec<T>> {
    let n = u16_count(u, field, MIN_RECORD)?;
    (0..n).map(|_| unpack(u)).collect()
}

#[cfg(test)]
mod tests {
    use super::plugin_id;

    #[test]
    fn plugin_ids_match_upstream() {
        // "gpu" = 'g' | 'p' << 8 | 'u' << 16, as in the GRES records of stock slurmd's registrations.
        assert_eq!(plugin_id("gpu"), 0x0075_7067);
        assert_eq!(plugin_id(""), 0);
        // Fifth byte wraps back to shift 0.
        assert_eq!(plugin_id("abcde"), 0x6463_6261 + 0x65);
    }
}
