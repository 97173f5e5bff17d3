//! `job_desc_msg_t`: what sbatch/salloc/srun ask for, and what
//! `scontrol update job` changes (`_pack_job_desc_msg` upstream, 22.05 branch).
//!
//! Unset numbers arrive as upstream's NO_VAL sentinels; the controller turns
//! them into typed "unset" values when it builds a job, not here, so that this
//! struct re-encodes byte for byte.

use super::common::{CronEntry, SelectJobInfo};
use crate::pack::{
    DecodeError, DecodeResult, Packer, Unpacker, NO_VAL, NO_VAL16, NO_VAL64, NO_VAL8,
};
use crate::version::ProtocolVersion;

/// `job_desc_msg_t`, 22.05 layout (REQUEST_SUBMIT_BATCH_JOB, REQUEST_JOB_WILL_RUN,
/// REQUEST_UPDATE_JOB, REQUEST_RESOURCE_ALLOCATION).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDescriptor {
    /// `site_factor`.
    pub site_factor: u32,
    /// `batch_features`.
    pub batch_features: Option<String>,
    /// `cluster_features`.
    pub cluster_features: Option<String>,
    /// `clusters`.
    pub clusters: Option<String>,
    /// `contiguous`.
    pub contiguous: u16,
    /// `container`.
    pub container: Option<String>,
    /// `core_spec`.
    pub core_spec: u16,
    /// `task_dist`.
    pub task_dist: u32,
    /// `kill_on_node_fail`.
    pub kill_on_node_fail: u16,
    /// `features`.
    pub features: Option<String>,
    /// `fed_siblings_active`.
    pub fed_siblings_active: u64,
    /// `fed_siblings_viable`.
    pub fed_siblings_viable: u64,
    /// `job_id`.
    pub job_id: u32,
    /// `job_id_str`.
    pub job_id_str: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `alloc_node`.
    pub alloc_node: Option<String>,
    /// `alloc_sid`.
    pub alloc_sid: u32,
    /// `array_inx`.
    pub array_inx: Option<String>,
    /// `burst_buffer`.
    pub burst_buffer: Option<String>,
    /// `pn_min_cpus`.
    pub pn_min_cpus: u16,
    /// `pn_min_memory`.
    pub pn_min_memory: u64,
    /// `pn_min_tmp_disk`.
    pub pn_min_tmp_disk: u32,
    /// `power_flags`.
    pub power_flags: u8,
    /// `prefer`.
    pub prefer: Option<String>,
    /// `cpu_freq_min`.
    pub cpu_freq_min: u32,
    /// `cpu_freq_max`.
    pub cpu_freq_max: u32,
    /// `cpu_freq_gov`.
    pub cpu_freq_gov: u32,
    /// `partition`.
    pub partition: Option<String>,
    /// `priority`.
    pub priority: u32,
    /// `dependency`.
    pub dependency: Option<String>,
    /// `account`.
    pub account: Option<String>,
    /// `admin_comment`.
    pub admin_comment: Option<String>,
    /// `comment`.
    pub comment: Option<String>,
    /// `nice`.
    pub nice: u32,
    /// `profile`.
    pub profile: u32,
    /// `qos`.
    pub qos: Option<String>,
    /// `mcs_label`.
    pub mcs_label: Option<String>,
    /// `origin_cluster`.
    pub origin_cluster: Option<String>,
    /// `open_mode`.
    pub open_mode: u8,
    /// `overcommit`.
    pub overcommit: u8,
    /// `acctg_freq`.
    pub acctg_freq: Option<String>,
    /// `num_tasks`.
    pub num_tasks: u32,
    /// `req_context`.
    pub req_context: Option<String>,
    /// `req_nodes`.
    pub req_nodes: Option<String>,
    /// `exc_nodes`.
    pub exc_nodes: Option<String>,
    /// `environment`.
    pub environment: Vec<String>,
    /// `spank_job_env`.
    pub spank_job_env: Vec<String>,
    /// `script`.
    pub script: Option<String>,
    /// `argv`.
    pub argv: Vec<String>,
    /// `std_err`.
    pub std_err: Option<String>,
    /// `std_in`.
    pub std_in: Option<String>,
    /// `std_out`.
    pub std_out: Option<String>,
    /// `submit_line`.
    pub submit_line: Option<String>,
    /// `work_dir`.
    pub work_dir: Option<String>,
    /// `immediate`.
    pub immediate: u16,
    /// `reboot`.
    pub reboot: u16,
    /// `requeue`.
    pub requeue: u16,
    /// `shared`.
    pub shared: u16,
    /// `cpus_per_task`.
    pub cpus_per_task: u16,
    /// `ntasks_per_node`.
    pub ntasks_per_node: u16,
    /// `ntasks_per_board`.
    pub ntasks_per_board: u16,
    /// `ntasks_per_socket`.
    pub ntasks_per_socket: u16,
    /// `ntasks_per_core`.
    pub ntasks_per_core: u16,
    /// `ntasks_per_tres`.
    pub ntasks_per_tres: u16,
    /// `plane_size`.
    pub plane_size: u16,
    /// `cpu_bind_type`.
    pub cpu_bind_type: u16,
    /// `mem_bind_type`.
    pub mem_bind_type: u16,
    /// `cpu_bind`.
    pub cpu_bind: Option<String>,
    /// `mem_bind`.
    pub mem_bind: Option<String>,
    /// `time_limit`.
    pub time_limit: u32,
    /// `time_min`.
    pub time_min: u32,
    /// `min_cpus`.
    pub min_cpus: u32,
    /// `max_cpus`.
    pub max_cpus: u32,
    /// `min_nodes`.
    pub min_nodes: u32,
    /// `max_nodes`.
    pub max_nodes: u32,
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
    /// `user_id`.
    pub user_id: u32,
    /// `group_id`.
    pub group_id: u32,
    /// `alloc_resp_port`.
    pub alloc_resp_port: u16,
    /// `resp_host`.
    pub resp_host: Option<String>,
    /// `other_port`.
    pub other_port: u16,
    /// `network`.
    pub network: Option<String>,
    /// `begin_time`.
    pub begin_time: i64,
    /// `end_time`.
    pub end_time: i64,
    /// `deadline`.
    pub deadline: i64,
    /// `licenses`.
    pub licenses: Option<String>,
    /// `mail_type`.
    pub mail_type: u16,
    /// `mail_user`.
    pub mail_user: Option<String>,
    /// `reservation`.
    pub reservation: Option<String>,
    /// `restart_cnt`.
    pub restart_cnt: u16,
    /// `warn_flags`.
    pub warn_flags: u16,
    /// `warn_signal`.
    pub warn_signal: u16,
    /// `warn_time`.
    pub warn_time: u16,
    /// `wckey`.
    pub wckey: Option<String>,
    /// `req_switch`.
    pub req_switch: u32,
    /// `wait4switch`.
    pub wait4switch: u32,
    /// `select_jobinfo`.
    pub select_jobinfo: SelectJobInfo,
    /// `wait_all_nodes`.
    pub wait_all_nodes: u16,
    /// `bitflags`.
    pub bitflags: u64,
    /// `delay_boot`.
    pub delay_boot: u32,
    /// `extra`.
    pub extra: Option<String>,
    /// `x11`.
    pub x11: u16,
    /// `x11_magic_cookie`.
    pub x11_magic_cookie: Option<String>,
    /// `x11_target`.
    pub x11_target: Option<String>,
    /// `x11_target_port`.
    pub x11_target_port: u16,
    /// `cpus_per_tres`.
    pub cpus_per_tres: Option<String>,
    /// `mem_per_tres`.
    pub mem_per_tres: Option<String>,
    /// `tres_bind`.
    pub tres_bind: Option<String>,
    /// `tres_freq`.
    pub tres_freq: Option<String>,
    /// `tres_per_job`.
    pub tres_per_job: Option<String>,
    /// `tres_per_node`.
    pub tres_per_node: Option<String>,
    /// `tres_per_socket`.
    pub tres_per_socket: Option<String>,
    /// `tres_per_task`.
    pub tres_per_task: Option<String>,
    /// `crontab_entry`.
    pub crontab_entry: Option<CronEntry>,
}

impl Default for JobDescriptor {
    /// What `slurm_init_job_desc_msg` leaves in an untouched descriptor.
    fn default() -> Self {
        JobDescriptor {
            site_factor: NO_VAL,
            batch_features: None,
            cluster_features: None,
            clusters: None,
            contiguous: NO_VAL16,
            container: None,
            core_spec: NO_VAL16,
            task_dist: NO_VAL,
            kill_on_node_fail: NO_VAL16,
            features: None,
            fed_siblings_active: 0,
            fed_siblings_viable: 0,
            job_id: NO_VAL,
            job_id_str: None,
            name: None,
            alloc_node: None,
            alloc_sid: NO_VAL,
            array_inx: None,
            burst_buffer: None,
            pn_min_cpus: NO_VAL16,
            pn_min_memory: NO_VAL64,
            pn_min_tmp_disk: NO_VAL,
            power_flags: 0,
            prefer: None,
            cpu_freq_min: NO_VAL,
            cpu_freq_max: NO_VAL,
            cpu_freq_gov: NO_VAL,
            partition: None,
            priority: NO_VAL,
            dependency: None,
            account: None,
            admin_comment: None,
            comment: None,
            nice: NO_VAL,
            profile: NO_VAL,
            qos: None,
            mcs_label: None,
            origin_cluster: None,
            open_mode: 0,
            overcommit: NO_VAL8,
            acctg_freq: None,
            num_tasks: NO_VAL,
            req_context: None,
            req_nodes: None,
            exc_nodes: None,
            environment: Vec::new(),
            spank_job_env: Vec::new(),
            script: None,
            argv: Vec::new(),
            std_err: None,
            std_in: None,
            std_out: None,
            submit_line: None,
            work_dir: None,
            immediate: 0,
            reboot: NO_VAL16,
            requeue: NO_VAL16,
            shared: NO_VAL16,
            cpus_per_task: NO_VAL16,
            ntasks_per_node: NO_VAL16,
            ntasks_per_board: NO_VAL16,
            ntasks_per_socket: NO_VAL16,
            ntasks_per_core: NO_VAL16,
            ntasks_per_tres: NO_VAL16,
            plane_size: NO_VAL16,
            cpu_bind_type: NO_VAL16,
            mem_bind_type: NO_VAL16,
            cpu_bind: None,
            mem_bind: None,
            time_limit: NO_VAL,
            time_min: NO_VAL,
            min_cpus: NO_VAL,
            max_cpus: NO_VAL,
            min_nodes: NO_VAL,
            max_nodes: NO_VAL,
            boards_per_node: NO_VAL16,
            sockets_per_board: NO_VAL16,
            sockets_per_node: NO_VAL16,
            cores_per_socket: NO_VAL16,
            threads_per_core: NO_VAL16,
            user_id: NO_VAL,
            group_id: NO_VAL,
            alloc_resp_port: 0,
            resp_host: None,
            other_port: 0,
            network: None,
            begin_time: 0,
            end_time: 0,
            deadline: 0,
            licenses: None,
            mail_type: 0,
            mail_user: None,
            reservation: None,
            restart_cnt: 0,
            warn_flags: 0,
            warn_signal: 0,
            warn_time: 0,
            wckey: None,
            req_switch: NO_VAL,
            wait4switch: NO_VAL,
            select_jobinfo: SelectJobInfo::default(),
            wait_all_nodes: NO_VAL16,
            bitflags: 0,
            delay_boot: NO_VAL,
            extra: None,
            x11: 0,
            x11_magic_cookie: None,
            x11_target: None,
            x11_target_port: 0,
            cpus_per_tres: None,
            mem_per_tres: None,
            tres_bind: None,
            tres_freq: None,
            tres_per_job: None,
            tres_per_node: None,
            tres_per_socket: None,
            tres_per_task: None,
            crontab_entry: None,
        }
    }
}

impl JobDescriptor {
    /// Packs the descriptor.
    pub fn pack(&self, p: &mut Packer, _version: ProtocolVersion) {
        p.u32(self.site_factor);
        p.str(self.batch_features.as_deref());
        p.str(self.cluster_features.as_deref());
        p.str(self.clusters.as_deref());
        p.u16(self.contiguous);
        p.str(self.container.as_deref());
        p.u16(self.core_spec);
        p.u32(self.task_dist);
        p.u16(self.kill_on_node_fail);
        p.str(self.features.as_deref());
        p.u64(self.fed_siblings_active);
        p.u64(self.fed_siblings_viable);
        p.u32(self.job_id);
        p.str(self.job_id_str.as_deref());
        p.str(self.name.as_deref());
        p.str(self.alloc_node.as_deref());
        p.u32(self.alloc_sid);
        p.str(self.array_inx.as_deref());
        p.str(self.burst_buffer.as_deref());
        p.u16(self.pn_min_cpus);
        p.u64(self.pn_min_memory);
        p.u32(self.pn_min_tmp_disk);
        p.u8(self.power_flags);
        p.str(self.prefer.as_deref());
        p.u32(self.cpu_freq_min);
        p.u32(self.cpu_freq_max);
        p.u32(self.cpu_freq_gov);
        p.str(self.partition.as_deref());
        p.u32(self.priority);
        p.str(self.dependency.as_deref());
        p.str(self.account.as_deref());
        p.str(self.admin_comment.as_deref());
        p.str(self.comment.as_deref());
        p.u32(self.nice);
        p.u32(self.profile);
        p.str(self.qos.as_deref());
        p.str(self.mcs_label.as_deref());
        p.str(self.origin_cluster.as_deref());
        p.u8(self.open_mode);
        p.u8(self.overcommit);
        p.str(self.acctg_freq.as_deref());
        p.u32(self.num_tasks);
        p.str(self.req_context.as_deref());
        p.str(self.req_nodes.as_deref());
        p.str(self.exc_nodes.as_deref());
        p.str_array(&self.environment);
        p.str_array(&self.spank_job_env);
        p.str(self.script.as_deref());
        p.str_array(&self.argv);
        p.str(self.std_err.as_deref());
        p.str(self.std_in.as_deref());
        p.str(self.std_out.as_deref());
        p.str(self.submit_line.as_deref());
        p.str(self.work_dir.as_deref());
        p.u16(self.immediate);
        p.u16(self.reboot);
        p.u16(self.requeue);
        p.u16(self.shared);
        p.u16(self.cpus_per_task);
        p.u16(self.ntasks_per_node);
        p.u16(self.ntasks_per_board);
        p.u16(self.ntasks_per_socket);
        p.u16(self.ntasks_per_core);
        p.u16(self.ntasks_per_tres);
        p.u16(self.plane_size);
        p.u16(self.cpu_bind_type);
        p.u16(self.mem_bind_type);
        p.str(self.cpu_bind.as_deref());
        p.str(self.mem_bind.as_deref());
        p.u32(self.time_limit);
        p.u32(self.time_min);
        p.u32(self.min_cpus);
        p.u32(self.max_cpus);
        p.u32(self.min_nodes);
        p.u32(self.max_nodes);
        p.u16(self.boards_per_node);
        p.u16(self.sockets_per_board);
        p.u16(self.sockets_per_node);
        p.u16(self.cores_per_socket);
        p.u16(self.threads_per_core);
        p.u32(self.user_id);
        p.u32(self.group_id);
        p.u16(self.alloc_resp_port);
        p.str(self.resp_host.as_deref());
        p.u16(self.other_port);
        p.str(self.network.as_deref());
        p.time(self.begin_time);
        p.time(self.end_time);
        p.time(self.deadline);
        p.str(self.licenses.as_deref());
        p.u16(self.mail_type);
        p.str(self.mail_user.as_deref());
        p.str(self.reservation.as_deref());
        p.u16(self.restart_cnt);
        p.u16(self.warn_flags);
        p.u16(self.warn_signal);
        p.u16(self.warn_time);
        p.str(self.wckey.as_deref());
        p.u32(self.req_switch);
        p.u32(self.wait4switch);
        self.select_jobinfo.pack(p);
        p.u16(self.wait_all_nodes);
        p.u64(self.bitflags);
        p.u32(self.delay_boot);
        p.str(self.extra.as_deref());
        p.u16(self.x11);
        p.str(self.x11_magic_cookie.as_deref());
        p.str(self.x11_target.as_deref());
        p.u16(self.x11_target_port);
        p.str(self.cpus_per_tres.as_deref());
        p.str(self.mem_per_tres.as_deref());
        p.str(self.tres_bind.as_deref());
        p.str(self.tres_freq.as_deref());
        p.str(self.tres_per_job.as_deref());
        p.str(self.tres_per_node.as_deref());
        p.str(self.tres_per_socket.as_deref());
        p.str(self.tres_per_task.as_deref());
        CronEntry::pack(self.crontab_entry.as_ref(), p);
    }

    /// Reads a descriptor. Only the 22.05 layout is implemented.
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        if version != ProtocolVersion::V22_05 {
            return Err(DecodeError::UnsupportedVersion(version.0));
        }
        Ok(JobDescriptor {
            site_factor: u.u32("job_desc.site_factor")?,
            batch_features: u.str("job_desc.batch_features")?,
            cluster_features: u.str("job_desc.cluster_features")?,
            clusters: u.str("job_desc.clusters")?,
            contiguous: u.u16("job_desc.contiguous")?,
            container: u.str("job_desc.container")?,
            core_spec: u.u16("job_desc.core_spec")?,
            task_dist: u.u32("job_desc.task_dist")?,
            kill_on_node_fail: u.u16("job_desc.kill_on_node_fail")?,
            features: u.str("job_desc.features")?,
            fed_siblings_active: u.u64("job_desc.fed_siblings_active")?,
            fed_siblings_viable: u.u64("job_desc.fed_siblings_viable")?,
            job_id: u.u32("job_desc.job_id")?,
            job_id_str: u.str("job_desc.job_id_str")?,
            name: u.str("job_desc.name")?,
            alloc_node: u.str("job_desc.alloc_node")?,
            alloc_sid: u.u32("job_desc.alloc_sid")?,
            array_inx: u.str("job_desc.array_inx")?,
            burst_buffer: u.str("job_desc.burst_buffer")?,
            pn_min_cpus: u.u16("job_desc.pn_min_cpus")?,
            pn_min_memory: u.u64("job_desc.pn_min_memory")?,
            pn_min_tmp_disk: u.u32("job_desc.pn_min_tmp_disk")?,
            power_flags: u.u8("job_desc.power_flags")?,
            prefer: u.str("job_desc.prefer")?,
            cpu_freq_min: u.u32("job_desc.cpu_freq_min")?,
            cpu_freq_max: u.u32("job_desc.cpu_freq_max")?,
            cpu_freq_gov: u.u32("job_desc.cpu_freq_gov")?,
            partition: u.str("job_desc.partition")?,
            priority: u.u32("job_desc.priority")?,
            dependency: u.str("job_desc.dependency")?,
            account: u.str("job_desc.account")?,
            admin_comment: u.str("job_desc.admin_comment")?,
            comment: u.str("job_desc.comment")?,
            nice: u.u32("job_desc.nice")?,
            profile: u.u32("job_desc.profile")?,
            qos: u.str("job_desc.qos")?,
            mcs_label: u.str("job_desc.mcs_label")?,
            origin_cluster: u.str("job_desc.origin_cluster")?,
            open_mode: u.u8("job_desc.open_mode")?,
            overcommit: u.u8("job_desc.overcommit")?,
            acctg_freq: u.str("job_desc.acctg_freq")?,
            num_tasks: u.u32("job_desc.num_tasks")?,
            req_context: u.str("job_desc.req_context")?,
            req_nodes: u.str("job_desc.req_nodes")?,
            exc_nodes: u.str("job_desc.exc_nodes")?,
            environment: u.str_array("job_desc.environment")?,
            spank_job_env: u.str_array("job_desc.spank_job_env")?,
            script: u.str("job_desc.script")?,
            argv: u.str_array("job_desc.argv")?,
            std_err: u.str("job_desc.std_err")?,
            std_in: u.str("job_desc.std_in")?,
            std_out: u.str("job_desc.std_out")?,
            submit_line: u.str("job_desc.submit_line")?,
            work_dir: u.str("job_desc.work_dir")?,
            immediate: u.u16("job_desc.immediate")?,
            reboot: u.u16("job_desc.reboot")?,
            requeue: u.u16("job_desc.requeue")?,
            shared: u.u16("job_desc.shared")?,
            cpus_per_task: u.u16("job_desc.cpus_per_task")?,
            ntasks_per_node: u.u16("job_desc.ntasks_per_node")?,
            ntasks_per_board: u.u16("job_desc.ntasks_per_board")?,
            ntasks_per_socket: u.u16("job_desc.ntasks_per_socket")?,
            ntasks_per_core: u.u16("job_desc.ntasks_per_core")?,
            ntasks_per_tres: u.u16("job_desc.ntasks_per_tres")?,
            plane_size: u.u16("job_desc.plane_size")?,
            cpu_bind_type: u.u16("job_desc.cpu_bind_type")?,
            mem_bind_type: u.u16("job_desc.mem_bind_type")?,
            cpu_bind: u.str("job_desc.cpu_bind")?,
            mem_bind: u.str("job_desc.mem_bind")?,
            time_limit: u.u32("job_desc.time_limit")?,
            time_min: u.u32("job_desc.time_min")?,
            min_cpus: u.u32("job_desc.min_cpus")?,
            max_cpus: u.u32("job_desc.max_cpus")?,
            min_nodes: u.u32("job_desc.min_nodes")?,
            max_nodes: u.u32("job_desc.max_nodes")?,
            boards_per_node: u.u16("job_desc.boards_per_node")?,
            sockets_per_board: u.u16("job_desc.sockets_per_board")?,
            sockets_per_node: u.u16("job_desc.sockets_per_node")?,
            cores_per_socket: u.u16("job_desc.cores_per_socket")?,
            threads_per_core: u.u16("job_desc.threads_per_core")?,
            user_id: u.u32("job_desc.user_id")?,
            group_id: u.u32("job_desc.group_id")?,
            alloc_resp_port: u.u16("job_desc.alloc_resp_port")?,
            resp_host: u.str("job_desc.resp_host")?,
            other_port: u.u16("job_desc.other_port")?,
            network: u.str("job_desc.network")?,
            begin_time: u.time("job_desc.begin_time")?,
            end_time: u.time("job_desc.end_time")?,
            deadline: u.time("job_desc.deadline")?,
            licenses: u.str("job_desc.licenses")?,
            mail_type: u.u16("job_desc.mail_type")?,
            mail_user: u.str("job_desc.mail_user")?,
            reservation: u.str("job_desc.reservation")?,
            restart_cnt: u.u16("job_desc.restart_cnt")?,
            warn_flags: u.u16("job_desc.warn_flags")?,
            warn_signal: u.u16("job_desc.warn_signal")?,
            warn_time: u.u16("job_desc.warn_time")?,
            wckey: u.str("job_desc.wckey")?,
            req_switch: u.u32("job_desc.req_switch")?,
            wait4switch: u.u32("job_desc.wait4switch")?,
            select_jobinfo: SelectJobInfo::unpack(u)?,
            wait_all_nodes: u.u16("job_desc.wait_all_nodes")?,
            bitflags: u.u64("job_desc.bitflags")?,
            delay_boot: u.u32("job_desc.delay_boot")?,
            extra: u.str("job_desc.extra")?,
            x11: u.u16("job_desc.x11")?,
            x11_magic_cookie: u.str("job_desc.x11_magic_cookie")?,
            x11_target: u.str("job_desc.x11_target")?,
            x11_target_port: u.u16("job_desc.x11_target_port")?,
            cpus_per_tres: u.str("job_desc.cpus_per_tres")?,
            mem_per_tres: u.str("job_desc.mem_per_tres")?,
            tres_bind: u.str("job_desc.tres_bind")?,
            tres_freq: u.str("job_desc.tres_freq")?,
            tres_per_job: u.str("job_desc.tres_per_job")?,
            tres_per_node: u.str("job_desc.tres_per_node")?,
            tres_per_socket: u.str("job_desc.tres_per_socket")?,
            tres_per_task: u.str("job_desc.tres_per_task")?,
            crontab_entry: CronEntry::unpack(u)?,
        })
    }
}

/// `bitflags` bits of a job descriptor (slurm.h).
pub mod job_desc_flags {
    /// `KILL_INV_DEP`.
    pub const KILL_INV_DEP: u64 = 1 << 0;
    /// `NO_KILL_INV_DEP`.
    pub const NO_KILL_INV_DEP: u64 = 1 << 1;
    /// `HAS_STATE_DIR`.
    pub const HAS_STATE_DIR: u64 = 1 << 2;
    /// `BACKFILL_TEST`.
    pub const BACKFILL_TEST: u64 = 1 << 3;
    /// `GRES_ENFORCE_BIND`.
    pub const GRES_ENFORCE_BIND: u64 = 1 << 4;
    /// `TEST_NOW_ONLY`.
    pub const TEST_NOW_ONLY: u64 = 1 << 5;
    /// `JOB_SEND_ENV` (cleared once the env has been saved).
    pub const JOB_SEND_ENV: u64 = 1 << 6;
    /// `SPREAD_JOB`.
    pub const SPREAD_JOB: u64 = 1 << 8;
    /// `USE_MIN_NODES`.
    pub const USE_MIN_NODES: u64 = 1 << 9;
    /// `JOB_KILL_HURRY`.
    pub const JOB_KILL_HURRY: u64 = 1 << 10;
    /// `TRES_STR_CALC`.
    pub const TRES_STR_CALC: u64 = 1 << 11;
    /// `SIB_JOB_FLUSH`.
    pub const SIB_JOB_FLUSH: u64 = 1 << 12;
    /// `HET_JOB_FLAG`.
    pub const HET_JOB_FLAG: u64 = 1 << 13;
    /// `JOB_NTASKS_SET`.
    pub const JOB_NTASKS_SET: u64 = 1 << 14;
    /// `JOB_CPUS_SET`.
    pub const JOB_CPUS_SET: u64 = 1 << 15;
    /// `BF_WHOLE_NODE_TEST`.
    pub const BF_WHOLE_NODE_TEST: u64 = 1 << 16;
    /// `TOP_PRIO_TMP`.
    pub const TOP_PRIO_TMP: u64 = 1 << 17;
    /// `JOB_ACCRUE_OVER`.
    pub const JOB_ACCRUE_OVER: u64 = 1 << 18;
    /// `GRES_DISABLE_BIND`.
    pub const GRES_DISABLE_BIND: u64 = 1 << 19;
    /// `JOB_WAS_RUNNING`.
    pub const JOB_WAS_RUNNING: u64 = 1 << 20;
    /// `RESET_ACCRUE_TIME`.
    pub const RESET_ACCRUE_TIME: u64 = 1 << 21;
    /// `CRON_JOB`.
    pub const CRON_JOB: u64 = 1 << 22;
    /// `JOB_MEM_SET`.
    pub const JOB_MEM_SET: u64 = 1 << 23;
    /// `JOB_RESIZED`.
    pub const JOB_RESIZED: u64 = 1 << 24;
    /// `USE_DEFAULT_ACCT`.
    pub const USE_DEFAULT_ACCT: u64 = 1 << 25;
    /// `USE_DEFAULT_PART`.
    pub const USE_DEFAULT_PART: u64 = 1 << 26;
    /// `USE_DEFAULT_QOS`.
    pub const USE_DEFAULT_QOS: u64 = 1 << 27;
    /// `USE_DEFAULT_WCKEY`.
    pub const USE_DEFAULT_WCKEY: u64 = 1 << 28;
}
