//! RESPONSE_PARTITION_INFO (2010): partition records (`pack_part` in
//! upstream's partition_mgr.c). `node_bitmap` indexes the node table as sent
//! in RESPONSE_NODE_INFO; sinfo relies on it.

use super::build_info::{pack_job_defaults, unpack_job_defaults, JobDefault};
use crate::pack::{Bitmap, DecodeResult, Packer, Unpacker};
use crate::version::ProtocolVersion;

/// One partition record (`partition_info_t`), 22.05 layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionInfo {
    /// `name`.
    pub name: Option<String>,
    /// `cpu_bind`.
    pub cpu_bind: u32,
    /// `grace_time`.
    pub grace_time: u32,
    /// `max_time`.
    pub max_time: u32,
    /// `default_time`.
    pub default_time: u32,
    /// `max_nodes`.
    pub max_nodes: u32,
    /// `min_nodes`.
    pub min_nodes: u32,
    /// `total_nodes`.
    pub total_nodes: u32,
    /// `total_cpus`.
    pub total_cpus: u32,
    /// `def_mem_per_cpu`.
    pub def_mem_per_cpu: u64,
    /// `max_cpus_per_node`.
    pub max_cpus_per_node: u32,
    /// `max_mem_per_cpu`.
    pub max_mem_per_cpu: u64,
    /// `flags`.
    pub flags: u16,
    /// `max_share`.
    pub max_share: u16,
    /// `over_time_limit`.
    pub over_time_limit: u16,
    /// `preempt_mode`.
    pub preempt_mode: u16,
    /// `priority_job_factor`.
    pub priority_job_factor: u16,
    /// `priority_tier`.
    pub priority_tier: u16,
    /// `state_up`.
    pub state_up: u16,
    /// `cr_type`.
    pub cr_type: u16,
    /// `resume_timeout`.
    pub resume_timeout: u16,
    /// `suspend_timeout`.
    pub suspend_timeout: u16,
    /// `suspend_time`.
    pub suspend_time: u32,
    /// `allow_accounts`.
    pub allow_accounts: Option<String>,
    /// `allow_groups`.
    pub allow_groups: Option<String>,
    /// `allow_alloc_nodes`.
    pub allow_alloc_nodes: Option<String>,
    /// `allow_qos`.
    pub allow_qos: Option<String>,
    /// `qos_char`.
    pub qos_char: Option<String>,
    /// `alternate`.
    pub alternate: Option<String>,
    /// `deny_accounts`.
    pub deny_accounts: Option<String>,
    /// `deny_qos`.
    pub deny_qos: Option<String>,
    /// `nodes`.
    pub nodes: Option<String>,
    /// `nodesets`.
    pub nodesets: Option<String>,
    /// `node_bitmap`.
    pub node_bitmap: Option<Bitmap>,
    /// `billing_weights_str`.
    pub billing_weights_str: Option<String>,
    /// `tres_fmt_str`.
    pub tres_fmt_str: Option<String>,
    /// `job_defaults`.
    pub job_defaults: Option<Vec<JobDefault>>,
}

impl PartitionInfo {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.str(self.name.as_deref());
        p.u32(self.cpu_bind);
        p.u32(self.grace_time);
        p.u32(self.max_time);
        p.u32(self.default_time);
        p.u32(self.max_nodes);
        p.u32(self.min_nodes);
        p.u32(self.total_nodes);
        p.u32(self.total_cpus);
        p.u64(self.def_mem_per_cpu);
        p.u32(self.max_cpus_per_node);
        p.u64(self.max_mem_per_cpu);
        p.u16(self.flags);
        p.u16(self.max_share);
        p.u16(self.over_time_limit);
        p.u16(self.preempt_mode);
        p.u16(self.priority_job_factor);
        p.u16(self.priority_tier);
        p.u16(self.state_up);
        p.u16(self.cr_type);
        p.u16(self.resume_timeout);
        p.u16(self.suspend_timeout);
        p.u32(self.suspend_time);
        p.str(self.allow_accounts.as_deref());
        p.str(self.allow_groups.as_deref());
        p.str(self.allow_alloc_nodes.as_deref());
        p.str(self.allow_qos.as_deref());
        p.str(self.qos_char.as_deref());
        p.str(self.alternate.as_deref());
        p.str(self.deny_accounts.as_deref());
        p.str(self.deny_qos.as_deref());
        p.str(self.nodes.as_deref());
        p.str(self.nodesets.as_deref());
        p.bitmap(self.node_bitmap.as_ref());
        p.str(self.billing_weights_str.as_deref());
        p.str(self.tres_fmt_str.as_deref());
        pack_job_defaults(p, self.job_defaults.as_deref());
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(PartitionInfo {
            name: u.str("partition.name")?,
            cpu_bind: u.u32("partition.cpu_bind")?,
            grace_time: u.u32("partition.grace_time")?,
            max_time: u.u32("partition.max_time")?,
            default_time: u.u32("partition.default_time")?,
            max_nodes: u.u32("partition.max_nodes")?,
            min_nodes: u.u32("partition.min_nodes")?,
            total_nodes: u.u32("partition.total_nodes")?,
            total_cpus: u.u32("partition.total_cpus")?,
            def_mem_per_cpu: u.u64("partition.def_mem_per_cpu")?,
            max_cpus_per_node: u.u32("partition.max_cpus_per_node")?,
            max_mem_per_cpu: u.u64("partition.max_mem_per_cpu")?,
            flags: u.u16("partition.flags")?,
            max_share: u.u16("partition.max_share")?,
            over_time_limit: u.u16("partition.over_time_limit")?,
            preempt_mode: u.u16("partition.preempt_mode")?,
            priority_job_factor: u.u16("partition.priority_job_factor")?,
            priority_tier: u.u16("partition.priority_tier")?,
            state_up: u.u16("partition.state_up")?,
            cr_type: u.u16("partition.cr_type")?,
            resume_timeout: u.u16("partition.resume_timeout")?,
            suspend_timeout: u.u16("partition.suspend_timeout")?,
            suspend_time: u.u32("partition.suspend_time")?,
            allow_accounts: u.str("partition.allow_accounts")?,
            allow_groups: u.str("partition.allow_groups")?,
            allow_alloc_nodes: u.str("partition.allow_alloc_nodes")?,
            allow_qos: u.str("partition.allow_qos")?,
            qos_char: u.str("partition.qos_char")?,
            alternate: u.str("partition.alternate")?,
            deny_accounts: u.str("partition.deny_accounts")?,
            deny_qos: u.str("partition.deny_qos")?,
            nodes: u.str("partition.nodes")?,
            nodesets: u.str("partition.nodesets")?,
            node_bitmap: u.bitmap("partition.node_bitmap")?,
            billing_weights_str: u.str("partition.billing_weights_str")?,
            tres_fmt_str: u.str("partition.tres_fmt_str")?,
            job_defaults: unpack_job_defaults(u, "partition.job_defaults")?,
        })
    }
}

/// RESPONSE_PARTITION_INFO body: `u32 count · time last_update` + records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionInfoResponse {
    /// When the partition table was packed.
    pub last_update: i64,
    /// The records.
    pub partitions: Vec<PartitionInfo>,
}

impl PartitionInfoResponse {
    /// Packs the body.
    pub fn pack(&self, p: &mut Packer, _version: ProtocolVersion) {
        p.u32(self.partitions.len() as u32);
        p.time(self.last_update);
        for part in &self.partitions {
            part.pack(p);
        }
    }
    /// Reads the body (22.05 layout).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        super::require_22_05(version)?;
        let n = u.count("partition_info.record_count", 64)?;
        let last_update = u.time("partition_info.last_update")?;
        let mut partitions = Vec::with_capacity(n);
        for _ in 0..n {
            partitions.push(PartitionInfo::unpack(u)?);
        }
        Ok(PartitionInfoResponse {
            last_update,
            partitions,
        })
    }
}
