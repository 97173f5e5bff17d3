//! Sub-structures shared by several messages.

use crate::pack::{DecodeError, DecodeResult, Packer, ScaledDouble, Unpacker};

/// Select plugin ids (`SELECT_PLUGIN_*`): embedded in many messages; the
/// receiver refuses ids it has not loaded.
pub mod select_plugin {
    /// select/cons_res.
    pub const CONS_RES: u32 = 101;
    /// select/linear.
    pub const LINEAR: u32 = 102;
    /// select/cons_tres.
    pub const CONS_TRES: u32 = 109;
}

/// `select_g_select_jobinfo_pack`: the plugin id. The plugins we support
/// (cons_tres, cons_res, linear) carry no job data, so nothing else follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectJobInfo {
    /// Which select plugin packed it.
    pub plugin_id: u32,
}

impl Default for SelectJobInfo {
    fn default() -> Self {
        SelectJobInfo {
            plugin_id: select_plugin::CONS_TRES,
        }
    }
}

impl SelectJobInfo {
    /// Packs the plugin id.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.plugin_id);
    }
    /// Reads the plugin id; plugins with job data (the Cray ones) are refused.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        let plugin_id = u.u32("select_jobinfo.plugin_id")?;
        match plugin_id {
            select_plugin::CONS_RES | select_plugin::LINEAR | select_plugin::CONS_TRES => {
                Ok(SelectJobInfo { plugin_id })
            }
            other => Err(DecodeError::InvalidValue {
                field: "select_jobinfo.plugin_id",
                value: other.into(),
            }),
        }
    }
}

/// `select_g_select_nodeinfo_pack` for cons_tres/cons_res/linear.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectNodeInfo {
    /// Plugin id.
    pub plugin_id: u32,
    /// CPUs allocated on the node (sinfo derives "mix" from this).
    pub alloc_cpus: u16,
    /// Memory allocated, MB.
    pub alloc_memory: u64,
    /// e.g. "cpu=4,mem=8G".
    pub tres_alloc_fmt_str: Option<String>,
    /// Weighted TRES.
    pub tres_alloc_weighted: ScaledDouble,
}

impl SelectNodeInfo {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.plugin_id);
        p.u16(self.alloc_cpus);
        p.u64(self.alloc_memory);
        p.str(self.tres_alloc_fmt_str.as_deref());
        p.double(self.tres_alloc_weighted);
    }
    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        let plugin_id = u.u32("select_nodeinfo.plugin_id")?;
        match plugin_id {
            select_plugin::CONS_RES | select_plugin::LINEAR | select_plugin::CONS_TRES => {}
            other => {
                return Err(DecodeError::InvalidValue {
                    field: "select_nodeinfo.plugin_id",
                    value: other.into(),
                })
            }
        }
        Ok(SelectNodeInfo {
            plugin_id,
            alloc_cpus: u.u16("select_nodeinfo.alloc_cpus")?,
            alloc_memory: u.u64("select_nodeinfo.alloc_memory")?,
            tres_alloc_fmt_str: u.str("select_nodeinfo.tres_alloc_fmt_str")?,
            tres_alloc_weighted: u.double("select_nodeinfo.tres_alloc_weighted")?,
        })
    }
}

/// `multi_core_data_t` (`pack_multi_core_data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MultiCore {
    /// `boards_per_node`.
    pub boards_per_node: u16,
    /// `sockets_per_board`.
    pub sockets_per_board: u16,
    /// `sockets_per_node`.
    pub sockets_per_node: u16,
    /// `cores_per_socket`.
    pub cores_per_socket: u16,
    /// `threads_per_core`.
    pub threads_per_core: u16,
    /// `ntasks_per_board`.
    pub ntasks_per_board: u16,
    /// `ntasks_per_socket`.
    pub ntasks_per_socket: u16,
    /// `ntasks_per_core`.
    pub ntasks_per_core: u16,
    /// `plane_size`.
    pub plane_size: u16,
}

impl MultiCore {
    /// Packs `u8 present` then the fields.
    pub fn pack(v: Option<&MultiCore>, p: &mut Packer) {
        match v {
            None => p.u8(0),
            Some(m) => {
                p.u8(0xff);
                for x in [
                    m.boards_per_node,
                    m.sockets_per_board,
                    m.sockets_per_node,
                    m.cores_per_socket,
                    m.threads_per_core,
                    m.ntasks_per_board,
                    m.ntasks_per_socket,
                    m.ntasks_per_core,
                    m.plane_size,
                ] {
                    p.u16(x);
                }
            }
        }
    }
    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Option<MultiCore>> {
        match u.u8("multi_core.flag")? {
            0 => Ok(None),
            0xff => Ok(Some(MultiCore {
                boards_per_node: u.u16("multi_core.boards_per_node")?,
                sockets_per_board: u.u16("multi_core.sockets_per_board")?,
                sockets_per_node: u.u16("multi_core.sockets_per_node")?,
                cores_per_socket: u.u16("multi_core.cores_per_socket")?,
                threads_per_core: u.u16("multi_core.threads_per_core")?,
                ntasks_per_board: u.u16("multi_core.ntasks_per_board")?,
                ntasks_per_socket: u.u16("multi_core.ntasks_per_socket")?,
                ntasks_per_core: u.u16("multi_core.ntasks_per_core")?,
                plane_size: u.u16("multi_core.plane_size")?,
            })),
            other => Err(DecodeError::InvalidValue {
                field: "multi_core.flag",
                value: other.into(),
            }),
        }
    }
}

/// `acct_gather_energy_t` as packed in node info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Energy {
    /// `base_consumed_energy`.
    pub base_consumed_energy: u64,
    /// `ave_watts`.
    pub ave_watts: u32,
    /// `consumed_energy`.
    pub consumed_energy: u64,
    /// `current_watts`.
    pub current_watts: u32,
    /// `previous_consumed_energy`.
    pub previous_consumed_energy: u64,
    /// `poll_time`.
    pub poll_time: i64,
}

impl Energy {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u64(self.base_consumed_energy);
        p.u32(self.ave_watts);
        p.u64(self.consumed_energy);
        p.u32(self.current_watts);
        p.u64(self.previous_consumed_energy);
        p.time(self.poll_time);
    }
    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(Energy {
            base_consumed_energy: u.u64("energy.base_consumed_energy")?,
            ave_watts: u.u32("energy.ave_watts")?,
            consumed_energy: u.u64("energy.consumed_energy")?,
            current_watts: u.u32("energy.current_watts")?,
            previous_consumed_energy: u.u64("energy.previous_consumed_energy")?,
            poll_time: u.time("energy.poll_time")?,
        })
    }
}

/// `ext_sensors_data_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtSensors {
    /// `consumed_energy`.
    pub consumed_energy: u64,
    /// `temperature`.
    pub temperature: u32,
    /// `energy_update_time`.
    pub energy_update_time: i64,
    /// `current_watts`.
    pub current_watts: u32,
}

impl ExtSensors {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u64(self.consumed_energy);
        p.u32(self.temperature);
        p.time(self.energy_update_time);
        p.u32(self.current_watts);
    }
    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(ExtSensors {
            consumed_energy: u.u64("ext_sensors.consumed_energy")?,
            temperature: u.u32("ext_sensors.temperature")?,
            energy_update_time: u.time("ext_sensors.energy_update_time")?,
            current_watts: u.u32("ext_sensors.current_watts")?,
        })
    }
}

/// `slurm_step_id_t` (`pack_step_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StepId {
    /// Job id.
    pub job_id: u32,
    /// Step id, or one of the special values in [`step`].
    pub step_id: u32,
    /// Het component, NO_VAL when not a het step.
    pub step_het_comp: u32,
}

/// Special step ids (slurm.h).
pub mod step {
    /// `SLURM_PENDING_STEP`.
    pub const PENDING: u32 = 0xffff_fffd;
    /// `SLURM_BATCH_SCRIPT`.
    pub const BATCH: u32 = 0xffff_fffb;
    /// `SLURM_EXTERN_CONT`.
    pub const EXTERN: u32 = 0xffff_fffc;
    /// `SLURM_INTERACTIVE_STEP`.
    pub const INTERACTIVE: u32 = 0xffff_fffa;
}

impl StepId {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.job_id);
        p.u32(self.step_id);
        p.u32(self.step_het_comp);
    }
    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(StepId {
            job_id: u.u32("step_id.job_id")?,
            step_id: u.u32("step_id.step_id")?,
            step_het_comp: u.u32("step_id.step_het_comp")?,
        })
    }
}

/// `cron_entry_t` (`pack_cron_entry`), used by scrontab submissions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CronEntry {
    /// `flags`.
    pub flags: u32,
    /// `minute`.
    pub minute: Option<crate::pack::Bitmap>,
    /// `hour`.
    pub hour: Option<crate::pack::Bitmap>,
    /// `day_of_month`.
    pub day_of_month: Option<crate::pack::Bitmap>,
    /// `month`.
    pub month: Option<crate::pack::Bitmap>,
    /// `day_of_week`.
    pub day_of_week: Option<crate::pack::Bitmap>,
    /// `cronspec`.
    pub cronspec: Option<String>,
    /// `line_start`.
    pub line_start: u32,
    /// `line_end`.
    pub line_end: u32,
}

impl CronEntry {
    /// Packs `u8 present` then the entry.
    pub fn pack(v: Option<&CronEntry>, p: &mut Packer) {
        match v {
            None => p.u8(0),
            Some(c) => {
                p.u8(1);
                p.u32(c.flags);
                p.bitmap(c.minute.as_ref());
                p.bitmap(c.hour.as_ref());
                p.bitmap(c.day_of_month.as_ref());
                p.bitmap(c.month.as_ref());
                p.bitmap(c.day_of_week.as_ref());
                p.str(c.cronspec.as_deref());
                p.u32(c.line_start);
                p.u32(c.line_end);
            }
        }
    }
    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Option<CronEntry>> {
        if !u.bool("cron_entry.present")? {
            return Ok(None);
        }
        Ok(Some(CronEntry {
            flags: u.u32("cron_entry.flags")?,
            minute: u.bitmap("cron_entry.minute")?,
            hour: u.bitmap("cron_entry.hour")?,
            day_of_month: u.bitmap("cron_entry.day_of_month")?,
            month: u.bitmap("cron_entry.month")?,
            day_of_week: u.bitmap("cron_entry.day_of_week")?,
            cronspec: u.str("cron_entry.cronspec")?,
            line_start: u.u32("cron_entry.line_start")?,
            line_end: u.u32("cron_entry.line_end")?,
        }))
    }
}
