//! RESPONSE_JOB_INFO (2004): job records as slurmctld packs them
//! (`pack_job`, `_pack_default_job_details`, `_pack_pending_job_details` in
//! upstream's job_mgr.c; `pack_job_resources` in job_resources.c).
//!
//! The record is flattened: the "default details", "pending details" and
//! multi-core blocks are fields in wire order. `container` really is packed twice.

use super::common::{MultiCore, SelectJobInfo};
use crate::pack::{Bitmap, DecodeResult, Packer, ScaledDouble, Unpacker, NO_VAL};
use crate::version::ProtocolVersion;

/// `job_resources_t`, 22.05 layout (present only with SHOW_DETAIL).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobResources {
    /// `nhosts`.
    pub nhosts: u32,
    /// `ncpus`.
    pub ncpus: u32,
    /// `node_req`.
    pub node_req: u32,
    /// `nodes`.
    pub nodes: Option<String>,
    /// `whole_node`.
    pub whole_node: u8,
    /// `threads_per_core`.
    pub threads_per_core: u16,
    /// `cr_type`.
    pub cr_type: u16,
    /// `cpu_array_reps`.
    pub cpu_array_reps: Vec<u32>,
    /// `cpu_array_value`.
    pub cpu_array_value: Vec<u16>,
    /// `cpus`.
    pub cpus: Vec<u16>,
    /// `cpus_used`.
    pub cpus_used: Vec<u16>,
    /// `memory_allocated`.
    pub memory_allocated: Vec<u64>,
    /// `memory_used`.
    pub memory_used: Vec<u64>,
    /// `sockets_per_node`.
    pub sockets_per_node: Vec<u16>,
    /// `cores_per_socket`.
    pub cores_per_socket: Vec<u16>,
    /// `sock_core_rep_count`.
    pub sock_core_rep_count: Vec<u32>,
    /// `core_bitmap`.
    pub core_bitmap: Option<Bitmap>,
    /// `core_bitmap_used`.
    pub core_bitmap_used: Option<Bitmap>,
}

impl JobResources {
    /// Packs one record (`u32 NO_VAL` stands for none; see [`JobResources::pack`]).
    fn pack_some(&self, p: &mut Packer) {
        p.u32(self.nhosts);
        p.u32(self.ncpus);
        p.u32(self.node_req);
        p.str(self.nodes.as_deref());
        p.u8(self.whole_node);
        p.u16(self.threads_per_core);
        p.u16(self.cr_type);
        p.u32_array(&self.cpu_array_reps);
        p.u16_array(&self.cpu_array_value);
        p.u16_array(&self.cpus);
        p.u16_array(&self.cpus_used);
        p.u64_array(&self.memory_allocated);
        p.u64_array(&self.memory_used);
        p.u16_array(&self.sockets_per_node);
        p.u16_array(&self.cores_per_socket);
        p.u32_array(&self.sock_core_rep_count);
        p.bitmap(self.core_bitmap.as_ref());
        p.bitmap(self.core_bitmap_used.as_ref());
    }

    fn unpack_some(u: &mut Unpacker<'_>, nhosts: u32) -> DecodeResult<Self> {
        Ok(JobResources {
            nhosts,
            ncpus: u.u32("job_resources.ncpus")?,
            node_req: u.u32("job_resources.node_req")?,
            nodes: u.str("job_resources.nodes")?,
            whole_node: u.u8("job_resources.whole_node")?,
            threads_per_core: u.u16("job_resources.threads_per_core")?,
            cr_type: u.u16("job_resources.cr_type")?,
            cpu_array_reps: u.u32_array("job_resources.cpu_array_reps")?,
            cpu_array_value: u.u16_array("job_resources.cpu_array_value")?,
            cpus: u.u16_array("job_resources.cpus")?,
            cpus_used: u.u16_array("job_resources.cpus_used")?,
            memory_allocated: u.u64_array("job_resources.memory_allocated")?,
            memory_used: u.u64_array("job_resources.memory_used")?,
            sockets_per_node: u.u16_array("job_resources.sockets_per_node")?,
            cores_per_socket: u.u16_array("job_resources.cores_per_socket")?,
            sock_core_rep_count: u.u32_array("job_resources.sock_core_rep_count")?,
            core_bitmap: u.bitmap("job_resources.core_bitmap")?,
            core_bitmap_used: u.bitmap("job_resources.core_bitmap_used")?,
        })
    }
}

impl JobResources {
    /// `pack_job_resources`: NO_VAL for none.
    pub fn pack(v: Option<&JobResources>, p: &mut Packer) {
        match v {
            None => p.u32(NO_VAL),
            Some(r) => r.pack_some(p),
        }
    }
    /// Reads an optional record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Option<JobResources>> {
        let nhosts = u.u32("job_resources.nhosts")?;
        if nhosts == NO_VAL {
            return Ok(None);
        }
        Self::unpack_some(u, nhosts).map(Some)
    }
}

/// One job record (`slurm_job_info_t` on the client), 22.05 layout.
///
/// Generic over the string type so a server can pack records that borrow
/// from its own job table (`JobInfoT<Cow<str>>`) without copying every
/// string of every job; decoding yields [`JobInfo`] (owned strings).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobInfoT<S> {
    /// `array_job_id`.
    pub array_job_id: u32,
    /// `array_task_id`.
    pub array_task_id: u32,
    /// `array_task_str`.
    pub array_task_str: Option<S>,
    /// `array_max_tasks`.
    pub array_max_tasks: u32,
    /// `assoc_id`.
    pub assoc_id: u32,
    /// `container`.
    pub container: Option<S>,
    /// `delay_boot`.
    pub delay_boot: u32,
    /// `job_id`.
    pub job_id: u32,
    /// `user_id`.
    pub user_id: u32,
    /// `group_id`.
    pub group_id: u32,
    /// `het_job_id`.
    pub het_job_id: u32,
    /// `het_job_id_set`.
    pub het_job_id_set: Option<S>,
    /// `het_job_offset`.
    pub het_job_offset: u32,
    /// `profile`.
    pub profile: u32,
    /// `job_state`.
    pub job_state: u32,
    /// `batch_flag`.
    pub batch_flag: u16,
    /// `state_reason`.
    pub state_reason: u16,
    /// `power_flags`.
    pub power_flags: u8,
    /// `reboot`.
    pub reboot: u8,
    /// `restart_cnt`.
    pub restart_cnt: u16,
    /// `show_flags`.
    pub show_flags: u16,
    /// `deadline`.
    pub deadline: i64,
    /// `alloc_sid`.
    pub alloc_sid: u32,
    /// `time_limit`.
    pub time_limit: u32,
    /// `time_min`.
    pub time_min: u32,
    /// `nice`.
    pub nice: u32,
    /// `submit_time`.
    pub submit_time: i64,
    /// `begin_time`.
    pub begin_time: i64,
    /// `accrue_time`.
    pub accrue_time: i64,
    /// `start_time`.
    pub start_time: i64,
    /// `end_time`.
    pub end_time: i64,
    /// `suspend_time`.
    pub suspend_time: i64,
    /// `pre_sus_time`.
    pub pre_sus_time: i64,
    /// `resize_time`.
    pub resize_time: i64,
    /// `last_sched_eval`.
    pub last_sched_eval: i64,
    /// `preempt_time`.
    pub preempt_time: i64,
    /// `priority`.
    pub priority: u32,
    /// `billable_tres`.
    pub billable_tres: ScaledDouble,
    /// `cluster`.
    pub cluster: Option<S>,
    /// `nodes`.
    pub nodes: Option<S>,
    /// `sched_nodes`.
    pub sched_nodes: Option<S>,
    /// `partition`.
    pub partition: Option<S>,
    /// `account`.
    pub account: Option<S>,
    /// `admin_comment`.
    pub admin_comment: Option<S>,
    /// `site_factor`.
    pub site_factor: u32,
    /// `network`.
    pub network: Option<S>,
    /// `comment`.
    pub comment: Option<S>,
    /// `container_again`.
    pub container_again: Option<S>,
    /// `batch_features`.
    pub batch_features: Option<S>,
    /// `batch_host`.
    pub batch_host: Option<S>,
    /// `burst_buffer`.
    pub burst_buffer: Option<S>,
    /// `burst_buffer_state`.
    pub burst_buffer_state: Option<S>,
    /// `system_comment`.
    pub system_comment: Option<S>,
    /// `qos`.
    pub qos: Option<S>,
    /// `preemptable_time`.
    pub preemptable_time: i64,
    /// `licenses`.
    pub licenses: Option<S>,
    /// `state_desc`.
    pub state_desc: Option<S>,
    /// `resv_name`.
    pub resv_name: Option<S>,
    /// `mcs_label`.
    pub mcs_label: Option<S>,
    /// `exit_code`.
    pub exit_code: u32,
    /// `derived_ec`.
    pub derived_ec: u32,
    /// `gres_used`.
    pub gres_used: Option<S>,
    /// `job_resources`.
    pub job_resources: Option<JobResources>,
    /// `gres_detail`.
    pub gres_detail: Vec<S>,
    /// `name`.
    pub name: Option<S>,
    /// `user_name`.
    pub user_name: Option<S>,
    /// `wckey`.
    pub wckey: Option<S>,
    /// `req_switch`.
    pub req_switch: u32,
    /// `wait4switch`.
    pub wait4switch: u32,
    /// `alloc_node`.
    pub alloc_node: Option<S>,
    /// `node_bitmap`.
    pub node_bitmap: Option<Bitmap>,
    /// `select_jobinfo`.
    pub select_jobinfo: SelectJobInfo,
    /// `features`.
    pub features: Option<S>,
    /// `prefer`.
    pub prefer: Option<S>,
    /// `cluster_features`.
    pub cluster_features: Option<S>,
    /// `work_dir`.
    pub work_dir: Option<S>,
    /// `dependency`.
    pub dependency: Option<S>,
    /// `command`.
    pub command: Option<S>,
    /// `min_cpus`.
    pub min_cpus: u32,
    /// `max_cpus`.
    pub max_cpus: u32,
    /// `min_nodes`.
    pub min_nodes: u32,
    /// `max_nodes`.
    pub max_nodes: u32,
    /// `requeue`.
    pub requeue: u16,
    /// `ntasks_per_node`.
    pub ntasks_per_node: u16,
    /// `ntasks_per_tres`.
    pub ntasks_per_tres: u16,
    /// `num_tasks`.
    pub num_tasks: u32,
    /// `shared`.
    pub shared: u16,
    /// `cpu_freq_min`.
    pub cpu_freq_min: u32,
    /// `cpu_freq_max`.
    pub cpu_freq_max: u32,
    /// `cpu_freq_gov`.
    pub cpu_freq_gov: u32,
    /// `cronspec`.
    pub cronspec: Option<S>,
    /// `contiguous`.
    pub contiguous: u16,
    /// `core_spec`.
    pub core_spec: u16,
    /// `cpus_per_task`.
    pub cpus_per_task: u16,
    /// `pn_min_cpus`.
    pub pn_min_cpus: u16,
    /// `pn_min_memory`.
    pub pn_min_memory: u64,
    /// `pn_min_tmp_disk`.
    pub pn_min_tmp_disk: u32,
    /// `req_nodes`.
    pub req_nodes: Option<S>,
    /// `req_node_bitmap`.
    pub req_node_bitmap: Option<Bitmap>,
    /// `exc_nodes`.
    pub exc_nodes: Option<S>,
    /// `exc_node_bitmap`.
    pub exc_node_bitmap: Option<Bitmap>,
    /// `std_err`.
    pub std_err: Option<S>,
    /// `std_in`.
    pub std_in: Option<S>,
    /// `std_out`.
    pub std_out: Option<S>,
    /// `multi_core`.
    pub multi_core: Option<MultiCore>,
    /// `bitflags`.
    pub bitflags: u64,
    /// `tres_alloc_str`.
    pub tres_alloc_str: Option<S>,
    /// `tres_req_str`.
    pub tres_req_str: Option<S>,
    /// `start_protocol_ver`.
    pub start_protocol_ver: u16,
    /// `fed_origin`.
    pub fed_origin: Option<S>,
    /// `fed_siblings_active`.
    pub fed_siblings_active: u64,
    /// `fed_siblings_active_str`.
    pub fed_siblings_active_str: Option<S>,
    /// `fed_siblings_viable`.
    pub fed_siblings_viable: u64,
    /// `fed_siblings_viable_str`.
    pub fed_siblings_viable_str: Option<S>,
    /// `cpus_per_tres`.
    pub cpus_per_tres: Option<S>,
    /// `mem_per_tres`.
    pub mem_per_tres: Option<S>,
    /// `tres_bind`.
    pub tres_bind: Option<S>,
    /// `tres_freq`.
    pub tres_freq: Option<S>,
    /// `tres_per_job`.
    pub tres_per_job: Option<S>,
    /// `tres_per_node`.
    pub tres_per_node: Option<S>,
    /// `tres_per_socket`.
    pub tres_per_socket: Option<S>,
    /// `tres_per_task`.
    pub tres_per_task: Option<S>,
    /// `mail_type`.
    pub mail_type: u16,
    /// `mail_user`.
    pub mail_user: Option<S>,
    /// `selinux_context`.
    pub selinux_context: Option<S>,
}

/// A job record with owned strings, as decoded.
pub type JobInfo = JobInfoT<String>;

fn opt<S: AsRef<str>>(v: &Option<S>) -> Option<&str> {
    v.as_ref().map(AsRef::as_ref)
}

impl<S: AsRef<str>> JobInfoT<S> {
    /// Packs one record.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.array_job_id);
        p.u32(self.array_task_id);
        p.str(opt(&self.array_task_str));
        p.u32(self.array_max_tasks);
        p.u32(self.assoc_id);
        p.str(opt(&self.container));
        p.u32(self.delay_boot);
        p.u32(self.job_id);
        p.u32(self.user_id);
        p.u32(self.group_id);
        p.u32(self.het_job_id);
        p.str(opt(&self.het_job_id_set));
        p.u32(self.het_job_offset);
        p.u32(self.profile);
        p.u32(self.job_state);
        p.u16(self.batch_flag);
        p.u16(self.state_reason);
        p.u8(self.power_flags);
        p.u8(self.reboot);
        p.u16(self.restart_cnt);
        p.u16(self.show_flags);
        p.time(self.deadline);
        p.u32(self.alloc_sid);
        p.u32(self.time_limit);
        p.u32(self.time_min);
        p.u32(self.nice);
        p.time(self.submit_time);
        p.time(self.begin_time);
        p.time(self.accrue_time);
        p.time(self.start_time);
        p.time(self.end_time);
        p.time(self.suspend_time);
        p.time(self.pre_sus_time);
        p.time(self.resize_time);
        p.time(self.last_sched_eval);
        p.time(self.preempt_time);
        p.u32(self.priority);
        p.double(self.billable_tres);
        p.str(opt(&self.cluster));
        p.str(opt(&self.nodes));
        p.str(opt(&self.sched_nodes));
        p.str(opt(&self.partition));
        p.str(opt(&self.account));
        p.str(opt(&self.admin_comment));
        p.u32(self.site_factor);
        p.str(opt(&self.network));
        p.str(opt(&self.comment));
        p.str(opt(&self.container_again));
        p.str(opt(&self.batch_features));
        p.str(opt(&self.batch_host));
        p.str(opt(&self.burst_buffer));
        p.str(opt(&self.burst_buffer_state));
        p.str(opt(&self.system_comment));
        p.str(opt(&self.qos));
        p.time(self.preemptable_time);
        p.str(opt(&self.licenses));
        p.str(opt(&self.state_desc));
        p.str(opt(&self.resv_name));
        p.str(opt(&self.mcs_label));
        p.u32(self.exit_code);
        p.u32(self.derived_ec);
        p.str(opt(&self.gres_used));
        JobResources::pack(self.job_resources.as_ref(), p);
        p.str_array(&self.gres_detail);
        p.str(opt(&self.name));
        p.str(opt(&self.user_name));
        p.str(opt(&self.wckey));
        p.u32(self.req_switch);
        p.u32(self.wait4switch);
        p.str(opt(&self.alloc_node));
        p.bitmap(self.node_bitmap.as_ref());
        self.select_jobinfo.pack(p);
        p.str(opt(&self.features));
        p.str(opt(&self.prefer));
        p.str(opt(&self.cluster_features));
        p.str(opt(&self.work_dir));
        p.str(opt(&self.dependency));
        p.str(opt(&self.command));
        p.u32(self.min_cpus);
        p.u32(self.max_cpus);
        p.u32(self.min_nodes);
        p.u32(self.max_nodes);
        p.u16(self.requeue);
        p.u16(self.ntasks_per_node);
        p.u16(self.ntasks_per_tres);
        p.u32(self.num_tasks);
        p.u16(self.shared);
        p.u32(self.cpu_freq_min);
        p.u32(self.cpu_freq_max);
        p.u32(self.cpu_freq_gov);
        p.str(opt(&self.cronspec));
        p.u16(self.contiguous);
        p.u16(self.core_spec);
        p.u16(self.cpus_per_task);
        p.u16(self.pn_min_cpus);
        p.u64(self.pn_min_memory);
        p.u32(self.pn_min_tmp_disk);
        p.str(opt(&self.req_nodes));
        p.bitmap(self.req_node_bitmap.as_ref());
        p.str(opt(&self.exc_nodes));
        p.bitmap(self.exc_node_bitmap.as_ref());
        p.str(opt(&self.std_err));
        p.str(opt(&self.std_in));
        p.str(opt(&self.std_out));
        MultiCore::pack(self.multi_core.as_ref(), p);
        p.u64(self.bitflags);
        p.str(opt(&self.tres_alloc_str));
        p.str(opt(&self.tres_req_str));
        p.u16(self.start_protocol_ver);
        p.str(opt(&self.fed_origin));
        p.u64(self.fed_siblings_active);
        p.str(opt(&self.fed_siblings_active_str));
        p.u64(self.fed_siblings_viable);
        p.str(opt(&self.fed_siblings_viable_str));
        p.str(opt(&self.cpus_per_tres));
        p.str(opt(&self.mem_per_tres));
        p.str(opt(&self.tres_bind));
        p.str(opt(&self.tres_freq));
        p.str(opt(&self.tres_per_job));
        p.str(opt(&self.tres_per_node));
        p.str(opt(&self.tres_per_socket));
        p.str(opt(&self.tres_per_task));
        p.u16(self.mail_type);
        p.str(opt(&self.mail_user));
        p.str(opt(&self.selinux_context));
    }
}

impl JobInfo {
    /// Reads one record.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(JobInfo {
            array_job_id: u.u32("job.array_job_id")?,
            array_task_id: u.u32("job.array_task_id")?,
            array_task_str: u.str("job.array_task_str")?,
            array_max_tasks: u.u32("job.array_max_tasks")?,
            assoc_id: u.u32("job.assoc_id")?,
            container: u.str("job.container")?,
            delay_boot: u.u32("job.delay_boot")?,
            job_id: u.u32("job.job_id")?,
            user_id: u.u32("job.user_id")?,
            group_id: u.u32("job.group_id")?,
            het_job_id: u.u32("job.het_job_id")?,
            het_job_id_set: u.str("job.het_job_id_set")?,
            het_job_offset: u.u32("job.het_job_offset")?,
            profile: u.u32("job.profile")?,
            job_state: u.u32("job.job_state")?,
            batch_flag: u.u16("job.batch_flag")?,
            state_reason: u.u16("job.state_reason")?,
            power_flags: u.u8("job.power_flags")?,
            reboot: u.u8("job.reboot")?,
            restart_cnt: u.u16("job.restart_cnt")?,
            show_flags: u.u16("job.show_flags")?,
            deadline: u.time("job.deadline")?,
            alloc_sid: u.u32("job.alloc_sid")?,
            time_limit: u.u32("job.time_limit")?,
            time_min: u.u32("job.time_min")?,
            nice: u.u32("job.nice")?,
            submit_time: u.time("job.submit_time")?,
            begin_time: u.time("job.begin_time")?,
            accrue_time: u.time("job.accrue_time")?,
            start_time: u.time("job.start_time")?,
            end_time: u.time("job.end_time")?,
            suspend_time: u.time("job.suspend_time")?,
            pre_sus_time: u.time("job.pre_sus_time")?,
            resize_time: u.time("job.resize_time")?,
            last_sched_eval: u.time("job.last_sched_eval")?,
            preempt_time: u.time("job.preempt_time")?,
            priority: u.u32("job.priority")?,
            billable_tres: u.double("job.billable_tres")?,
            cluster: u.str("job.cluster")?,
            nodes: u.str("job.nodes")?,
            sched_nodes: u.str("job.sched_nodes")?,
            partition: u.str("job.partition")?,
            account: u.str("job.account")?,
            admin_comment: u.str("job.admin_comment")?,
            site_factor: u.u32("job.site_factor")?,
            network: u.str("job.network")?,
            comment: u.str("job.comment")?,
            container_again: u.str("job.container_again")?,
            batch_features: u.str("job.batch_features")?,
            batch_host: u.str("job.batch_host")?,
            burst_buffer: u.str("job.burst_buffer")?,
            burst_buffer_state: u.str("job.burst_buffer_state")?,
            system_comment: u.str("job.system_comment")?,
            qos: u.str("job.qos")?,
            preemptable_time: u.time("job.preemptable_time")?,
            licenses: u.str("job.licenses")?,
            state_desc: u.str("job.state_desc")?,
            resv_name: u.str("job.resv_name")?,
            mcs_label: u.str("job.mcs_label")?,
            exit_code: u.u32("job.exit_code")?,
            derived_ec: u.u32("job.derived_ec")?,
            gres_used: u.str("job.gres_used")?,
            job_resources: JobResources::unpack(u)?,
            gres_detail: u.str_array("job.gres_detail")?,
            name: u.str("job.name")?,
            user_name: u.str("job.user_name")?,
            wckey: u.str("job.wckey")?,
            req_switch: u.u32("job.req_switch")?,
            wait4switch: u.u32("job.wait4switch")?,
            alloc_node: u.str("job.alloc_node")?,
            node_bitmap: u.bitmap("job.node_bitmap")?,
            select_jobinfo: SelectJobInfo::unpack(u)?,
            features: u.str("job.features")?,
            prefer: u.str("job.prefer")?,
            cluster_features: u.str("job.cluster_features")?,
            work_dir: u.str("job.work_dir")?,
            dependency: u.str("job.dependency")?,
            command: u.str("job.command")?,
            min_cpus: u.u32("job.min_cpus")?,
            max_cpus: u.u32("job.max_cpus")?,
            min_nodes: u.u32("job.min_nodes")?,
            max_nodes: u.u32("job.max_nodes")?,
            requeue: u.u16("job.requeue")?,
            ntasks_per_node: u.u16("job.ntasks_per_node")?,
            ntasks_per_tres: u.u16("job.ntasks_per_tres")?,
            num_tasks: u.u32("job.num_tasks")?,
            shared: u.u16("job.shared")?,
            cpu_freq_min: u.u32("job.cpu_freq_min")?,
            cpu_freq_max: u.u32("job.cpu_freq_max")?,
            cpu_freq_gov: u.u32("job.cpu_freq_gov")?,
            cronspec: u.str("job.cronspec")?,
            contiguous: u.u16("job.contiguous")?,
            core_spec: u.u16("job.core_spec")?,
            cpus_per_task: u.u16("job.cpus_per_task")?,
            pn_min_cpus: u.u16("job.pn_min_cpus")?,
            pn_min_memory: u.u64("job.pn_min_memory")?,
            pn_min_tmp_disk: u.u32("job.pn_min_tmp_disk")?,
            req_nodes: u.str("job.req_nodes")?,
            req_node_bitmap: u.bitmap("job.req_node_bitmap")?,
            exc_nodes: u.str("job.exc_nodes")?,
            exc_node_bitmap: u.bitmap("job.exc_node_bitmap")?,
            std_err: u.str("job.std_err")?,
            std_in: u.str("job.std_in")?,
            std_out: u.str("job.std_out")?,
            multi_core: MultiCore::unpack(u)?,
            bitflags: u.u64("job.bitflags")?,
            tres_alloc_str: u.str("job.tres_alloc_str")?,
            tres_req_str: u.str("job.tres_req_str")?,
            start_protocol_ver: u.u16("job.start_protocol_ver")?,
            fed_origin: u.str("job.fed_origin")?,
            fed_siblings_active: u.u64("job.fed_siblings_active")?,
            fed_siblings_active_str: u.str("job.fed_siblings_active_str")?,
            fed_siblings_viable: u.u64("job.fed_siblings_viable")?,
            fed_siblings_viable_str: u.str("job.fed_siblings_viable_str")?,
            cpus_per_tres: u.str("job.cpus_per_tres")?,
            mem_per_tres: u.str("job.mem_per_tres")?,
            tres_bind: u.str("job.tres_bind")?,
            tres_freq: u.str("job.tres_freq")?,
            tres_per_job: u.str("job.tres_per_job")?,
            tres_per_node: u.str("job.tres_per_node")?,
            tres_per_socket: u.str("job.tres_per_socket")?,
            tres_per_task: u.str("job.tres_per_task")?,
            mail_type: u.u16("job.mail_type")?,
            mail_user: u.str("job.mail_user")?,
            selinux_context: u.str("job.selinux_context")?,
        })
    }
}

/// RESPONSE_JOB_INFO body: `u32 count · time last_update · time last_backfill` + records.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobInfoResponse {
    /// When the job table was packed.
    pub last_update: i64,
    /// When backfill last ran.
    pub last_backfill: i64,
    /// The records.
    pub jobs: Vec<JobInfo>,
}

impl JobInfoResponse {
    /// Packs the body.
    pub fn pack(&self, p: &mut Packer, _version: ProtocolVersion) {
        Self::pack_head(
            p,
            self.jobs.len() as u32,
            self.last_update,
            self.last_backfill,
        );
        for j in &self.jobs {
            j.pack(p);
        }
    }
    /// The fields before the records; `count` sits at offset 0 so a packer
    /// that does not know it yet can patch it in afterwards.
    pub fn pack_head(p: &mut Packer, count: u32, last_update: i64, last_backfill: i64) {
        p.u32(count);
        p.time(last_update);
        p.time(last_backfill);
    }

    /// Reads the body (22.05 layout).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        super::require_22_05(version)?;
        let n = u.count("job_info.record_count", 64)?;
        let last_update = u.time("job_info.last_update")?;
        let last_backfill = u.time("job_info.last_backfill")?;
        let mut jobs = Vec::with_capacity(n);
        for _ in 0..n {
            jobs.push(JobInfo::unpack(u)?);
        }
        Ok(JobInfoResponse {
            last_update,
            last_backfill,
            jobs,
        })
    }
}
