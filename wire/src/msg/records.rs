//! Records and small bodies: job steps, reservations, licenses, updates,
//! kill requests (upstream: `_pack_ctld_job_step_info` in step_mgr.c,
//! `_pack_resv` in reservation.c, `_pack_license` in licenses.c, and the
//! `_pack_*_msg` functions of slurm_protocol_pack.c).

use super::common::{SelectJobInfo, StepId};
use crate::pack::{Bitmap, DecodeResult, Packer, Unpacker};

/// One step record (`job_step_info_t`), 21.08/22.05 layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobStepInfo {
    /// `array_job_id`.
    pub array_job_id: u32,
    /// `array_task_id`.
    pub array_task_id: u32,
    /// `step_id`.
    pub step_id: StepId,
    /// `user_id`.
    pub user_id: u32,
    /// `num_cpus`.
    pub num_cpus: u32,
    /// `cpu_freq_min`.
    pub cpu_freq_min: u32,
    /// `cpu_freq_max`.
    pub cpu_freq_max: u32,
    /// `cpu_freq_gov`.
    pub cpu_freq_gov: u32,
    /// `num_tasks`.
    pub num_tasks: u32,
    /// `task_dist`.
    pub task_dist: u32,
    /// `time_limit`.
    pub time_limit: u32,
    /// `state`.
    pub state: u32,
    /// `srun_pid`.
    pub srun_pid: u32,
    /// `start_time`.
    pub start_time: i64,
    /// `run_time`.
    pub run_time: i64,
    /// `cluster`.
    pub cluster: Option<String>,
    /// `container`.
    pub container: Option<String>,
    /// `partition`.
    pub partition: Option<String>,
    /// `srun_host`.
    pub srun_host: Option<String>,
    /// `resv_ports`.
    pub resv_ports: Option<String>,
    /// `nodes`.
    pub nodes: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `network`.
    pub network: Option<String>,
    /// `node_bitmap`.
    pub node_bitmap: Option<Bitmap>,
    /// `select_jobinfo`.
    pub select_jobinfo: SelectJobInfo,
    /// `tres_alloc_str`.
    pub tres_alloc_str: Option<String>,
    /// `start_protocol_ver`.
    pub start_protocol_ver: u16,
    /// `cpus_per_tres`.
    pub cpus_per_tres: Option<String>,
    /// `mem_per_tres`.
    pub mem_per_tres: Option<String>,
    /// `submit_line`.
    pub submit_line: Option<String>,
    /// `tres_bind`.
    pub tres_bind: Option<String>,
    /// `tres_freq`.
    pub tres_freq: Option<String>,
    /// `tres_per_step`.
    pub tres_per_step: Option<String>,
    /// `tres_per_node`.
    pub tres_per_node: Option<String>,
    /// `tres_per_socket`.
    pub tres_per_socket: Option<String>,
    /// `tres_per_task`.
    pub tres_per_task: Option<String>,
}

impl JobStepInfo {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.array_job_id);
        p.u32(self.array_task_id);
        self.step_id.pack(p);
        p.u32(self.user_id);
        p.u32(self.num_cpus);
        p.u32(self.cpu_freq_min);
        p.u32(self.cpu_freq_max);
        p.u32(self.cpu_freq_gov);
        p.u32(self.num_tasks);
        p.u32(self.task_dist);
        p.u32(self.time_limit);
        p.u32(self.state);
        p.u32(self.srun_pid);
        p.time(self.start_time);
        p.time(self.run_time);
        p.str(self.cluster.as_deref());
        p.str(self.container.as_deref());
        p.str(self.partition.as_deref());
        p.str(self.srun_host.as_deref());
        p.str(self.resv_ports.as_deref());
        p.str(self.nodes.as_deref());
        p.str(self.name.as_deref());
        p.str(self.network.as_deref());
        p.bitmap(self.node_bitmap.as_ref());
        self.select_jobinfo.pack(p);
        p.str(self.tres_alloc_str.as_deref());
        p.u16(self.start_protocol_ver);
        p.str(self.cpus_per_tres.as_deref());
        p.str(self.mem_per_tres.as_deref());
        p.str(self.submit_line.as_deref());
        p.str(self.tres_bind.as_deref());
        p.str(self.tres_freq.as_deref());
        p.str(self.tres_per_step.as_deref());
        p.str(self.tres_per_node.as_deref());
        p.str(self.tres_per_socket.as_deref());
        p.str(self.tres_per_task.as_deref());
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(JobStepInfo {
            array_job_id: u.u32("step.array_job_id")?,
            array_task_id: u.u32("step.array_task_id")?,
            step_id: StepId::unpack(u)?,
            user_id: u.u32("step.user_id")?,
            num_cpus: u.u32("step.num_cpus")?,
            cpu_freq_min: u.u32("step.cpu_freq_min")?,
            cpu_freq_max: u.u32("step.cpu_freq_max")?,
            cpu_freq_gov: u.u32("step.cpu_freq_gov")?,
            num_tasks: u.u32("step.num_tasks")?,
            task_dist: u.u32("step.task_dist")?,
            time_limit: u.u32("step.time_limit")?,
            state: u.u32("step.state")?,
            srun_pid: u.u32("step.srun_pid")?,
            start_time: u.time("step.start_time")?,
            run_time: u.time("step.run_time")?,
            cluster: u.str("step.cluster")?,
            container: u.str("step.container")?,
            partition: u.str("step.partition")?,
            srun_host: u.str("step.srun_host")?,
            resv_ports: u.str("step.resv_ports")?,
            nodes: u.str("step.nodes")?,
            name: u.str("step.name")?,
            network: u.str("step.network")?,
            node_bitmap: u.bitmap("step.node_bitmap")?,
            select_jobinfo: SelectJobInfo::unpack(u)?,
            tres_alloc_str: u.str("step.tres_alloc_str")?,
            start_protocol_ver: u.u16("step.start_protocol_ver")?,
            cpus_per_tres: u.str("step.cpus_per_tres")?,
            mem_per_tres: u.str("step.mem_per_tres")?,
            submit_line: u.str("step.submit_line")?,
            tres_bind: u.str("step.tres_bind")?,
            tres_freq: u.str("step.tres_freq")?,
            tres_per_step: u.str("step.tres_per_step")?,
            tres_per_node: u.str("step.tres_per_node")?,
            tres_per_socket: u.str("step.tres_per_socket")?,
            tres_per_task: u.str("step.tres_per_task")?,
        })
    }
}

/// One reservation record (`reserve_info_t`). The per-node core list that follows it is [`super::ReservationRecord::core_spec`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReservationInfo {
    /// `accounts`.
    pub accounts: Option<String>,
    /// `burst_buffer`.
    pub burst_buffer: Option<String>,
    /// `core_cnt`.
    pub core_cnt: u32,
    /// `end_time`.
    pub end_time: i64,
    /// `features`.
    pub features: Option<String>,
    /// `flags`.
    pub flags: u64,
    /// `licenses`.
    pub licenses: Option<String>,
    /// `max_start_delay`.
    pub max_start_delay: u32,
    /// `name`.
    pub name: Option<String>,
    /// `node_cnt`.
    pub node_cnt: u32,
    /// `node_list`.
    pub node_list: Option<String>,
    /// `partition`.
    pub partition: Option<String>,
    /// `purge_comp_time`.
    pub purge_comp_time: u32,
    /// `resv_watts`.
    pub resv_watts: u32,
    /// `start_time`.
    pub start_time: i64,
    /// `tres_str`.
    pub tres_str: Option<String>,
    /// `users`.
    pub users: Option<String>,
    /// `groups`.
    pub groups: Option<String>,
    /// `node_bitmap`.
    pub node_bitmap: Option<Bitmap>,
}

impl ReservationInfo {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.str(self.accounts.as_deref());
        p.str(self.burst_buffer.as_deref());
        p.u32(self.core_cnt);
        p.time(self.end_time);
        p.str(self.features.as_deref());
        p.u64(self.flags);
        p.str(self.licenses.as_deref());
        p.u32(self.max_start_delay);
        p.str(self.name.as_deref());
        p.u32(self.node_cnt);
        p.str(self.node_list.as_deref());
        p.str(self.partition.as_deref());
        p.u32(self.purge_comp_time);
        p.u32(self.resv_watts);
        p.time(self.start_time);
        p.str(self.tres_str.as_deref());
        p.str(self.users.as_deref());
        p.str(self.groups.as_deref());
        p.bitmap(self.node_bitmap.as_ref());
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(ReservationInfo {
            accounts: u.str("resv.accounts")?,
            burst_buffer: u.str("resv.burst_buffer")?,
            core_cnt: u.u32("resv.core_cnt")?,
            end_time: u.time("resv.end_time")?,
            features: u.str("resv.features")?,
            flags: u.u64("resv.flags")?,
            licenses: u.str("resv.licenses")?,
            max_start_delay: u.u32("resv.max_start_delay")?,
            name: u.str("resv.name")?,
            node_cnt: u.u32("resv.node_cnt")?,
            node_list: u.str("resv.node_list")?,
            partition: u.str("resv.partition")?,
            purge_comp_time: u.u32("resv.purge_comp_time")?,
            resv_watts: u.u32("resv.resv_watts")?,
            start_time: u.time("resv.start_time")?,
            tres_str: u.str("resv.tres_str")?,
            users: u.str("resv.users")?,
            groups: u.str("resv.groups")?,
            node_bitmap: u.bitmap("resv.node_bitmap")?,
        })
    }
}

/// One license record (`slurm_license_info_t`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LicenseInfo {
    /// `name`.
    pub name: Option<String>,
    /// `total`.
    pub total: u32,
    /// `in_use`.
    pub in_use: u32,
    /// `reserved`.
    pub reserved: u32,
    /// `remote`.
    pub remote: u8,
}

impl LicenseInfo {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.str(self.name.as_deref());
        p.u32(self.total);
        p.u32(self.in_use);
        p.u32(self.reserved);
        p.u8(self.remote);
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(LicenseInfo {
            name: u.str("license.name")?,
            total: u.u32("license.total")?,
            in_use: u.u32("license.in_use")?,
            reserved: u.u32("license.reserved")?,
            remote: u.u8("license.remote")?,
        })
    }
}

/// REQUEST_UPDATE_NODE body (`update_node_msg_t`, 21.08+ layout).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateNode {
    /// `comment`.
    pub comment: Option<String>,
    /// `cpu_bind`.
    pub cpu_bind: u32,
    /// `extra`.
    pub extra: Option<String>,
    /// `features`.
    pub features: Option<String>,
    /// `features_act`.
    pub features_act: Option<String>,
    /// `gres`.
    pub gres: Option<String>,
    /// `node_addr`.
    pub node_addr: Option<String>,
    /// `node_hostname`.
    pub node_hostname: Option<String>,
    /// `node_names`.
    pub node_names: Option<String>,
    /// `node_state`.
    pub node_state: u32,
    /// `reason`.
    pub reason: Option<String>,
    /// `reason_uid`.
    pub reason_uid: u32,
    /// `weight`.
    pub weight: u32,
}

impl UpdateNode {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.str(self.comment.as_deref());
        p.u32(self.cpu_bind);
        p.str(self.extra.as_deref());
        p.str(self.features.as_deref());
        p.str(self.features_act.as_deref());
        p.str(self.gres.as_deref());
        p.str(self.node_addr.as_deref());
        p.str(self.node_hostname.as_deref());
        p.str(self.node_names.as_deref());
        p.u32(self.node_state);
        p.str(self.reason.as_deref());
        p.u32(self.reason_uid);
        p.u32(self.weight);
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(UpdateNode {
            comment: u.str("update_node.comment")?,
            cpu_bind: u.u32("update_node.cpu_bind")?,
            extra: u.str("update_node.extra")?,
            features: u.str("update_node.features")?,
            features_act: u.str("update_node.features_act")?,
            gres: u.str("update_node.gres")?,
            node_addr: u.str("update_node.node_addr")?,
            node_hostname: u.str("update_node.node_hostname")?,
            node_names: u.str("update_node.node_names")?,
            node_state: u.u32("update_node.node_state")?,
            reason: u.str("update_node.reason")?,
            reason_uid: u.u32("update_node.reason_uid")?,
            weight: u.u32("update_node.weight")?,
        })
    }
}

/// REQUEST_UPDATE_PARTITION / CREATE body (`update_part_msg_t`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdatePartition {
    /// `allow_accounts`.
    pub allow_accounts: Option<String>,
    /// `allow_alloc_nodes`.
    pub allow_alloc_nodes: Option<String>,
    /// `allow_groups`.
    pub allow_groups: Option<String>,
    /// `allow_qos`.
    pub allow_qos: Option<String>,
    /// `alternate`.
    pub alternate: Option<String>,
    /// `billing_weights_str`.
    pub billing_weights_str: Option<String>,
    /// `cpu_bind`.
    pub cpu_bind: u32,
    /// `def_mem_per_cpu`.
    pub def_mem_per_cpu: u64,
    /// `default_time`.
    pub default_time: u32,
    /// `deny_accounts`.
    pub deny_accounts: Option<String>,
    /// `deny_qos`.
    pub deny_qos: Option<String>,
    /// `flags`.
    pub flags: u16,
    /// `job_defaults_str`.
    pub job_defaults_str: Option<String>,
    /// `grace_time`.
    pub grace_time: u32,
    /// `max_cpus_per_node`.
    pub max_cpus_per_node: u32,
    /// `max_mem_per_cpu`.
    pub max_mem_per_cpu: u64,
    /// `max_nodes`.
    pub max_nodes: u32,
    /// `max_share`.
    pub max_share: u16,
    /// `max_time`.
    pub max_time: u32,
    /// `min_nodes`.
    pub min_nodes: u32,
    /// `name`.
    pub name: Option<String>,
    /// `nodes`.
    pub nodes: Option<String>,
    /// `over_time_limit`.
    pub over_time_limit: u16,
    /// `preempt_mode`.
    pub preempt_mode: u16,
    /// `priority_job_factor`.
    pub priority_job_factor: u16,
    /// `priority_tier`.
    pub priority_tier: u16,
    /// `qos_char`.
    pub qos_char: Option<String>,
    /// `state_up`.
    pub state_up: u16,
}

impl UpdatePartition {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.str(self.allow_accounts.as_deref());
        p.str(self.allow_alloc_nodes.as_deref());
        p.str(self.allow_groups.as_deref());
        p.str(self.allow_qos.as_deref());
        p.str(self.alternate.as_deref());
        p.str(self.billing_weights_str.as_deref());
        p.u32(self.cpu_bind);
        p.u64(self.def_mem_per_cpu);
        p.u32(self.default_time);
        p.str(self.deny_accounts.as_deref());
        p.str(self.deny_qos.as_deref());
        p.u16(self.flags);
        p.str(self.job_defaults_str.as_deref());
        p.u32(self.grace_time);
        p.u32(self.max_cpus_per_node);
        p.u64(self.max_mem_per_cpu);
        p.u32(self.max_nodes);
        p.u16(self.max_share);
        p.u32(self.max_time);
        p.u32(self.min_nodes);
        p.str(self.name.as_deref());
        p.str(self.nodes.as_deref());
        p.u16(self.over_time_limit);
        p.u16(self.preempt_mode);
        p.u16(self.priority_job_factor);
        p.u16(self.priority_tier);
        p.str(self.qos_char.as_deref());
        p.u16(self.state_up);
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(UpdatePartition {
            allow_accounts: u.str("update_part.allow_accounts")?,
            allow_alloc_nodes: u.str("update_part.allow_alloc_nodes")?,
            allow_groups: u.str("update_part.allow_groups")?,
            allow_qos: u.str("update_part.allow_qos")?,
            alternate: u.str("update_part.alternate")?,
            billing_weights_str: u.str("update_part.billing_weights_str")?,
            cpu_bind: u.u32("update_part.cpu_bind")?,
            def_mem_per_cpu: u.u64("update_part.def_mem_per_cpu")?,
            default_time: u.u32("update_part.default_time")?,
            deny_accounts: u.str("update_part.deny_accounts")?,
            deny_qos: u.str("update_part.deny_qos")?,
            flags: u.u16("update_part.flags")?,
            job_defaults_str: u.str("update_part.job_defaults_str")?,
            grace_time: u.u32("update_part.grace_time")?,
            max_cpus_per_node: u.u32("update_part.max_cpus_per_node")?,
            max_mem_per_cpu: u.u64("update_part.max_mem_per_cpu")?,
            max_nodes: u.u32("update_part.max_nodes")?,
            max_share: u.u16("update_part.max_share")?,
            max_time: u.u32("update_part.max_time")?,
            min_nodes: u.u32("update_part.min_nodes")?,
            name: u.str("update_part.name")?,
            nodes: u.str("update_part.nodes")?,
            over_time_limit: u.u16("update_part.over_time_limit")?,
            preempt_mode: u.u16("update_part.preempt_mode")?,
            priority_job_factor: u.u16("update_part.priority_job_factor")?,
            priority_tier: u.u16("update_part.priority_tier")?,
            qos_char: u.str("update_part.qos_char")?,
            state_up: u.u16("update_part.state_up")?,
        })
    }
}

/// REQUEST_KILL_JOB / REQUEST_CANCEL_JOB_STEP body (`job_step_kill_msg_t`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobStepKill {
    /// `step_id`.
    pub step_id: StepId,
    /// `sjob_id`.
    pub sjob_id: Option<String>,
    /// `sibling`.
    pub sibling: Option<String>,
    /// `signal`.
    pub signal: u16,
    /// `flags`.
    pub flags: u16,
}

impl JobStepKill {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        self.step_id.pack(p);
        p.str(self.sjob_id.as_deref());
        p.str(self.sibling.as_deref());
        p.u16(self.signal);
        p.u16(self.flags);
    }

    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(JobStepKill {
            step_id: StepId::unpack(u)?,
            sjob_id: u.str("kill.sjob_id")?,
            sibling: u.str("kill.sibling")?,
            signal: u.u16("kill.signal")?,
            flags: u.u16("kill.flags")?,
        })
    }
}
