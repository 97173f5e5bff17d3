//! Small srun/salloc-side messages (`src/common/slurm_protocol_pack.c`):
//! step task reports from slurmstepd and allocation bookkeeping.

use crate::addr::SlurmAddr;
use crate::msg::common::{SelectJobInfo, StepId};
use crate::msg::cred::SignedCredential;
use crate::msg::require_22_05;
use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker, NO_VAL};
use crate::version::ProtocolVersion;

/// RESPONSE_LAUNCH_TASKS body (`launch_tasks_response_msg_t`,
/// `_pack_launch_tasks_response_msg`), slurmstepd → srun.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LaunchTasksResponse {
    /// `step_id`.
    pub step_id: StepId,
    /// `return_code`.
    pub return_code: u32,
    /// `node_name`.
    pub node_name: Option<String>,
    /// `local_pids[count_of_pids]`.
    pub local_pids: Vec<u32>,
    /// `task_ids[count_of_pids]`: global task ids, same length as `local_pids`.
    pub task_ids: Vec<u32>,
}

impl LaunchTasksResponse {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        self.step_id.pack(p);
        p.u32(self.return_code);
        p.str(self.node_name.as_deref());
        p.u32(self.local_pids.len() as u32);
        p.u32_array(&self.local_pids);
        p.u32_array(&self.task_ids);
    }

    /// Reads it; both arrays must have `count_of_pids` entries, as upstream checks.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        let step_id = StepId::unpack(u)?;
        let return_code = u.u32("launch_resp.return_code")?;
        let node_name = u.str("launch_resp.node_name")?;
        let count = u.u32("launch_resp.count_of_pids")?;
        let local_pids = u.u32_array("launch_resp.local_pids")?;
        let task_ids = u.u32_array("launch_resp.task_ids")?;
        if local_pids.len() as u64 != u64::from(count) || task_ids.len() != local_pids.len() {
            return Err(DecodeError::InvalidValue {
                field: "launch_resp.count_of_pids",
                value: count.into(),
            });
        }
        Ok(LaunchTasksResponse {
            step_id,
            return_code,
            node_name,
            local_pids,
            task_ids,
        })
    }
}

/// MESSAGE_TASK_EXIT body (`task_exit_msg_t`, `_pack_task_exit_msg`),
/// slurmstepd → srun for each group of tasks that exited with one status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskExit {
    /// `return_code`: the wait status.
    pub return_code: u32,
    /// `task_id_list[num_tasks]` (global task ids).
    pub task_id_list: Vec<u32>,
    /// `step_id`.
    pub step_id: StepId,
}

impl TaskExit {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.return_code);
        p.u32(self.task_id_list.len() as u32);
        p.u32_array(&self.task_id_list);
        self.step_id.pack(p);
    }

    /// Reads it; `num_tasks` must equal the array's count, as upstream checks.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        let return_code = u.u32("task_exit.return_code")?;
        let n = u.u32("task_exit.num_tasks")?;
        let task_id_list = u.u32_array("task_exit.task_id_list")?;
        if task_id_list.len() as u64 != u64::from(n) {
            return Err(DecodeError::InvalidValue {
                field: "task_exit.num_tasks",
                value: n.into(),
            });
        }
        Ok(TaskExit {
            return_code,
            task_id_list,
            step_id: StepId::unpack(u)?,
        })
    }
}

/// `slurm_step_layout_t` (`pack_slurm_step_layout` in `slurm_step_layout.c`):
/// which global task ids run on each node of a step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepLayout {
    /// `front_end`.
    pub front_end: Option<String>,
    /// `node_list`.
    pub node_list: Option<String>,
    /// `start_protocol_ver`: lowest protocol version among the step's slurmds.
    pub start_protocol_ver: u16,
    /// `task_cnt`.
    pub task_cnt: u32,
    /// `task_dist` (`SLURM_DIST_*`).
    pub task_dist: u32,
    /// `tids[node_cnt]`: global task ids per node (`tasks[i]` is each length).
    pub tids: Vec<Vec<u32>>,
}

impl StepLayout {
    /// Packs `u16 present` and the layout.
    pub fn pack(v: Option<&StepLayout>, p: &mut Packer) {
        let Some(l) = v else {
            p.u16(0);
            return;
        };
        p.u16(1);
        p.str(l.front_end.as_deref());
        p.str(l.node_list.as_deref());
        p.u32(l.tids.len() as u32);
        p.u16(l.start_protocol_ver);
        p.u32(l.task_cnt);
        p.u32(l.task_dist);
        l.tids.iter().for_each(|t| p.u32_array(t));
    }

    /// Reads `u16 present` and the layout.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Option<StepLayout>> {
        match u.u16("step_layout.present")? {
            0 => return Ok(None),
            1 => {}
            other => {
                return Err(DecodeError::InvalidValue {
                    field: "step_layout.present",
                    value: other.into(),
                })
            }
        }
        let front_end = u.str("step_layout.front_end")?;
        let node_list = u.str("step_layout.node_list")?;
        let node_cnt = u.u32("step_layout.node_cnt")?;
        let start_protocol_ver = u.u16("step_layout.start_protocol_ver")?;
        let task_cnt = u.u32("step_layout.task_cnt")?;
        let task_dist = u.u32("step_layout.task_dist")?;
        let n = u.check_count("step_layout.node_cnt", node_cnt, 4)?;
        let tids = (0..n)
            .map(|_| u.u32_array("step_layout.tids"))
            .collect::<DecodeResult<_>>()?;
        Ok(Some(StepLayout {
            front_end,
            node_list,
            start_protocol_ver,
            task_cnt,
            task_dist,
            tids,
        }))
    }
}

/// RESPONSE_JOB_STEP_CREATE body (`job_step_create_response_msg_t`,
/// `_pack_job_step_create_response_msg`). The credential and select data are
/// packed at the message's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStepCreateResponse {
    /// `def_cpu_bind_type`.
    pub def_cpu_bind_type: u32,
    /// `resv_ports`.
    pub resv_ports: Option<String>,
    /// `job_step_id`.
    pub job_step_id: u32,
    /// `step_layout`.
    pub step_layout: Option<StepLayout>,
    /// `cred`.
    pub cred: SignedCredential,
    /// `select_jobinfo` (the step's select data; empty for cons_tres).
    pub select_jobinfo: SelectJobInfo,
    /// `switch_job`.
    pub switch_job: SwitchJobInfo,
    /// `use_protocol_ver`: the version srun must use towards the step's slurmds.
    pub use_protocol_ver: u16,
}

impl JobStepCreateResponse {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.def_cpu_bind_type);
        p.str(self.resv_ports.as_deref());
        p.u32(self.job_step_id);
        StepLayout::pack(self.step_layout.as_ref(), p);
        self.cred.pack(p);
        self.select_jobinfo.pack(p);
        self.switch_job.pack(p);
        p.u16(self.use_protocol_ver);
    }

    /// Reads it (the credential needs the 22.05 layout).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        Ok(JobStepCreateResponse {
            def_cpu_bind_type: u.u32("step_create_resp.def_cpu_bind_type")?,
            resv_ports: u.str("step_create_resp.resv_ports")?,
            job_step_id: u.u32("step_create_resp.job_step_id")?,
            step_layout: StepLayout::unpack(u)?,
            cred: SignedCredential::unpack(u, version)?,
            select_jobinfo: SelectJobInfo::unpack(u)?,
            switch_job: SwitchJobInfo::unpack(u)?,
            use_protocol_ver: u.u16("step_create_resp.use_protocol_ver")?,
        })
    }
}

/// Switch plugin ids (`SWITCH_PLUGIN_*`, slurm.h).
pub mod switch_plugin {
    /// `SWITCH_PLUGIN_NONE`.
    pub const NONE: u32 = 100;
    /// `SWITCH_PLUGIN_GENERIC`.
    pub const GENERIC: u32 = 101;
    /// `SWITCH_PLUGIN_CRAY`.
    pub const CRAY: u32 = 102;
    /// `SWITCH_PLUGIN_SLINGSHOT`.
    pub const SLINGSHOT: u32 = 104;
}

/// `switch_g_pack_jobinfo`: the u32 plugin id then plugin data. Only
/// switch/none (no data) is understood; other plugins are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchJobInfo {
    /// Which switch plugin packed it.
    pub plugin_id: u32,
}

impl Default for SwitchJobInfo {
    fn default() -> Self {
        SwitchJobInfo {
            plugin_id: switch_plugin::NONE,
        }
    }
}

impl SwitchJobInfo {
    /// Packs the plugin id.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.plugin_id);
    }

    /// Reads the plugin id.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        match u.u32("switch_jobinfo.plugin_id")? {
            switch_plugin::NONE => Ok(SwitchJobInfo {
                plugin_id: switch_plugin::NONE,
            }),
            other => Err(DecodeError::InvalidValue {
                field: "switch_jobinfo.plugin_id",
                value: other.into(),
            }),
        }
    }
}

/// REQUEST_JOB_STEP_CREATE body (`job_step_create_request_msg_t`,
/// `_pack_job_step_create_request_msg`; the 21.08 and 22.05 layouts are identical).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobStepCreateRequest {
    /// `step_id`.
    pub step_id: StepId,
    /// `user_id`.
    pub user_id: u32,
    /// `min_nodes`.
    pub min_nodes: u32,
    /// `max_nodes`.
    pub max_nodes: u32,
    /// `container`.
    pub container: Option<String>,
    /// `cpu_count`.
    pub cpu_count: u32,
    /// `cpu_freq_min`.
    pub cpu_freq_min: u32,
    /// `cpu_freq_max`.
    pub cpu_freq_max: u32,
    /// `cpu_freq_gov`.
    pub cpu_freq_gov: u32,
    /// `num_tasks`.
    pub num_tasks: u32,
    /// `pn_min_memory`.
    pub pn_min_memory: u64,
    /// `time_limit`.
    pub time_limit: u32,
    /// `threads_per_core`.
    pub threads_per_core: u16,
    /// `relative`.
    pub relative: u16,
    /// `task_dist`.
    pub task_dist: u32,
    /// `plane_size`.
    pub plane_size: u16,
    /// `port`.
    pub port: u16,
    /// `immediate`.
    pub immediate: u16,
    /// `resv_port_cnt`.
    pub resv_port_cnt: u16,
    /// `srun_pid`.
    pub srun_pid: u32,
    /// `flags`.
    pub flags: u32,
    /// `host`.
    pub host: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `network`.
    pub network: Option<String>,
    /// `node_list`.
    pub node_list: Option<String>,
    /// `exc_nodes`.
    pub exc_nodes: Option<String>,
    /// `features`.
    pub features: Option<String>,
    /// `step_het_comp_cnt`.
    pub step_het_comp_cnt: u32,
    /// `step_het_grps`.
    pub step_het_grps: Option<String>,
    /// `cpus_per_tres`.
    pub cpus_per_tres: Option<String>,
    /// `mem_per_tres`.
    pub mem_per_tres: Option<String>,
    /// `ntasks_per_tres`.
    pub ntasks_per_tres: u16,
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

impl JobStepCreateRequest {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        self.step_id.pack(p);
        p.u32(self.user_id);
        p.u32(self.min_nodes);
        p.u32(self.max_nodes);
        p.str(self.container.as_deref());
        p.u32(self.cpu_count);
        p.u32(self.cpu_freq_min);
        p.u32(self.cpu_freq_max);
        p.u32(self.cpu_freq_gov);
        p.u32(self.num_tasks);
        p.u64(self.pn_min_memory);
        p.u32(self.time_limit);
        p.u16(self.threads_per_core);
        p.u16(self.relative);
        p.u32(self.task_dist);
        p.u16(self.plane_size);
        p.u16(self.port);
        p.u16(self.immediate);
        p.u16(self.resv_port_cnt);
        p.u32(self.srun_pid);
        p.u32(self.flags);
        p.str(self.host.as_deref());
        p.str(self.name.as_deref());
        p.str(self.network.as_deref());
        p.str(self.node_list.as_deref());
        p.str(self.exc_nodes.as_deref());
        p.str(self.features.as_deref());
        p.u32(self.step_het_comp_cnt);
        p.str(self.step_het_grps.as_deref());
        p.str(self.cpus_per_tres.as_deref());
        p.str(self.mem_per_tres.as_deref());
        p.u16(self.ntasks_per_tres);
        p.str(self.submit_line.as_deref());
        p.str(self.tres_bind.as_deref());
        p.str(self.tres_freq.as_deref());
        p.str(self.tres_per_step.as_deref());
        p.str(self.tres_per_node.as_deref());
        p.str(self.tres_per_socket.as_deref());
        p.str(self.tres_per_task.as_deref());
    }

    /// Reads it (21.08+; 20.11 lacks `container`).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        if version < ProtocolVersion::V21_08 {
            return Err(DecodeError::UnsupportedVersion(version.0));
        }
        Ok(JobStepCreateRequest {
            step_id: StepId::unpack(u)?,
            user_id: u.u32("step_create.user_id")?,
            min_nodes: u.u32("step_create.min_nodes")?,
            max_nodes: u.u32("step_create.max_nodes")?,
            container: u.str("step_create.container")?,
            cpu_count: u.u32("step_create.cpu_count")?,
            cpu_freq_min: u.u32("step_create.cpu_freq_min")?,
            cpu_freq_max: u.u32("step_create.cpu_freq_max")?,
            cpu_freq_gov: u.u32("step_create.cpu_freq_gov")?,
            num_tasks: u.u32("step_create.num_tasks")?,
            pn_min_memory: u.u64("step_create.pn_min_memory")?,
            time_limit: u.u32("step_create.time_limit")?,
            threads_per_core: u.u16("step_create.threads_per_core")?,
            relative: u.u16("step_create.relative")?,
            task_dist: u.u32("step_create.task_dist")?,
            plane_size: u.u16("step_create.plane_size")?,
            port: u.u16("step_create.port")?,
            immediate: u.u16("step_create.immediate")?,
            resv_port_cnt: u.u16("step_create.resv_port_cnt")?,
            srun_pid: u.u32("step_create.srun_pid")?,
            flags: u.u32("step_create.flags")?,
            host: u.str("step_create.host")?,
            name: u.str("step_create.name")?,
            network: u.str("step_create.network")?,
            node_list: u.str("step_create.node_list")?,
            exc_nodes: u.str("step_create.exc_nodes")?,
            features: u.str("step_create.features")?,
            step_het_comp_cnt: u.u32("step_create.step_het_comp_cnt")?,
            step_het_grps: u.str("step_create.step_het_grps")?,
            cpus_per_tres: u.str("step_create.cpus_per_tres")?,
            mem_per_tres: u.str("step_create.mem_per_tres")?,
            ntasks_per_tres: u.u16("step_create.ntasks_per_tres")?,
            submit_line: u.str("step_create.submit_line")?,
            tres_bind: u.str("step_create.tres_bind")?,
            tres_freq: u.str("step_create.tres_freq")?,
            tres_per_step: u.str("step_create.tres_per_step")?,
            tres_per_node: u.str("step_create.tres_per_node")?,
            tres_per_socket: u.str("step_create.tres_per_socket")?,
            tres_per_task: u.str("step_create.tres_per_task")?,
        })
    }
}

/// RESPONSE_RESOURCE_ALLOCATION body (`resource_allocation_response_msg_t`,
/// `_pack_resource_allocation_response_msg`, 22.05 layout), ctld → salloc/srun.
/// A `working_cluster_rec` (federation) is not supported and is refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceAllocationResponse {
    /// `account`.
    pub account: Option<String>,
    /// `alias_list`.
    pub alias_list: Option<String>,
    /// `batch_host`.
    pub batch_host: Option<String>,
    /// `environment` (`env_size` entries).
    pub environment: Vec<String>,
    /// `error_code`.
    pub error_code: u32,
    /// `job_submit_user_msg`.
    pub job_submit_user_msg: Option<String>,
    /// `job_id`.
    pub job_id: u32,
    /// `node_cnt`.
    pub node_cnt: u32,
    /// `node_addr[node_cnt]` (`u8 present` + `slurm_pack_addr_array`).
    pub node_addr: Option<Vec<SlurmAddr>>,
    /// `node_list`.
    pub node_list: Option<String>,
    /// `ntasks_per_board`.
    pub ntasks_per_board: u16,
    /// `ntasks_per_core`.
    pub ntasks_per_core: u16,
    /// `ntasks_per_tres`.
    pub ntasks_per_tres: u16,
    /// `ntasks_per_socket`.
    pub ntasks_per_socket: u16,
    /// `cpus_per_node[num_cpu_groups]`.
    pub cpus_per_node: Vec<u16>,
    /// `cpu_count_reps[num_cpu_groups]`.
    pub cpu_count_reps: Vec<u32>,
    /// `partition`.
    pub partition: Option<String>,
    /// `pn_min_memory`.
    pub pn_min_memory: u64,
    /// `qos`.
    pub qos: Option<String>,
    /// `resv_name`.
    pub resv_name: Option<String>,
    /// `select_jobinfo`.
    pub select_jobinfo: SelectJobInfo,
}

impl ResourceAllocationResponse {
    /// Packs it (22.05 layout).
    pub fn pack(&self, p: &mut Packer) {
        p.str(self.account.as_deref());
        p.str(self.alias_list.as_deref());
        p.str(self.batch_host.as_deref());
        p.str_array(&self.environment);
        p.u32(self.error_code);
        p.str(self.job_submit_user_msg.as_deref());
        p.u32(self.job_id);
        p.u32(self.node_cnt);
        match &self.node_addr {
            Some(a) if self.node_cnt > 0 => {
                p.u8(1);
                p.u32(a.len() as u32);
                a.iter().for_each(|x| x.pack(p));
            }
            _ => p.u8(0),
        }
        p.str(self.node_list.as_deref());
        p.u16(self.ntasks_per_board);
        p.u16(self.ntasks_per_core);
        p.u16(self.ntasks_per_tres);
        p.u16(self.ntasks_per_socket);
        p.u32(self.cpus_per_node.len() as u32);
        if !self.cpus_per_node.is_empty() {
            p.u16_array(&self.cpus_per_node);
            p.u32_array(&self.cpu_count_reps);
        }
        p.str(self.partition.as_deref());
        p.u64(self.pn_min_memory);
        p.str(self.qos.as_deref());
        p.str(self.resv_name.as_deref());
        self.select_jobinfo.pack(p);
        p.u8(0);
    }

    /// Reads it (22.05 layout only).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        require_22_05(version)?;
        let mut r = ResourceAllocationResponse {
            account: u.str("alloc_resp.account")?,
            alias_list: u.str("alloc_resp.alias_list")?,
            batch_host: u.str("alloc_resp.batch_host")?,
            environment: u.str_array("alloc_resp.environment")?,
            error_code: u.u32("alloc_resp.error_code")?,
            job_submit_user_msg: u.str("alloc_resp.job_submit_user_msg")?,
            job_id: u.u32("alloc_resp.job_id")?,
            node_cnt: u.u32("alloc_resp.node_cnt")?,
            ..Default::default()
        };
        match u.u8("alloc_resp.node_addr.present")? {
            0 => {}
            1 if r.node_cnt > 0 => {
                let n = u.count("alloc_resp.node_addr", 2)?;
                if n as u64 != u64::from(r.node_cnt) {
                    return Err(DecodeError::InvalidValue {
                        field: "alloc_resp.node_addr",
                        value: n as u64,
                    });
                }
                let addrs = (0..n)
                    .map(|_| SlurmAddr::unpack(u, "alloc_resp.node_addr"))
                    .collect::<DecodeResult<_>>()?;
                r.node_addr = Some(addrs);
            }
            other => {
                return Err(DecodeError::InvalidValue {
                    field: "alloc_resp.node_addr.present",
                    value: other.into(),
                })
            }
        }
        r.node_list = u.str("alloc_resp.node_list")?;
        r.ntasks_per_board = u.u16("alloc_resp.ntasks_per_board")?;
        r.ntasks_per_core = u.u16("alloc_resp.ntasks_per_core")?;
        r.ntasks_per_tres = u.u16("alloc_resp.ntasks_per_tres")?;
        r.ntasks_per_socket = u.u16("alloc_resp.ntasks_per_socket")?;
        let groups = u.u32("alloc_resp.num_cpu_groups")?;
        if groups > 0 {
            r.cpus_per_node = u.u16_array("alloc_resp.cpus_per_node")?;
            r.cpu_count_reps = u.u32_array("alloc_resp.cpu_count_reps")?;
            if r.cpus_per_node.len() as u64 != u64::from(groups)
                || r.cpu_count_reps.len() != r.cpus_per_node.len()
            {
                return Err(DecodeError::InvalidValue {
                    field: "alloc_resp.num_cpu_groups",
                    value: groups.into(),
                });
            }
        }
        r.partition = u.str("alloc_resp.partition")?;
        r.pn_min_memory = u.u64("alloc_resp.pn_min_memory")?;
        r.qos = u.str("alloc_resp.qos")?;
        r.resv_name = u.str("alloc_resp.resv_name")?;
        r.select_jobinfo = SelectJobInfo::unpack(u)?;
        match u.u8("alloc_resp.working_cluster_rec")? {
            0 => Ok(r),
            other => Err(DecodeError::InvalidValue {
                field: "alloc_resp.working_cluster_rec",
                value: other.into(),
            }),
        }
    }
}

/// `JOB_OPTIONS_PACK_TAG`: the string `job_options_pack` writes first.
pub const JOB_OPTIONS_PACK_TAG: &str = "job_options";

/// One SPANK job option (`struct job_option_info`, `job_option_info_pack`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobOption {
    /// `type` (`OPT_TYPE_SPANK` = 0x4400).
    pub option_type: u32,
    /// `option`.
    pub option: Option<String>,
    /// `optarg`.
    pub optarg: Option<String>,
}

fn pack_het_u32s(p: &mut Packer, v: Option<&Vec<u32>>) {
    match v {
        None => p.u32(NO_VAL),
        Some(a) => {
            p.u32(a.len() as u32);
            a.iter().for_each(|&x| p.u32(x));
        }
    }
}

/// REQUEST_LAUNCH_TASKS body (`launch_tasks_request_msg_t`,
/// `_pack_launch_tasks_request_msg`, 22.05 layout), srun → slurmd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchTasksRequest {
    /// `step_id`.
    pub step_id: StepId,
    /// `uid`.
    pub uid: u32,
    /// `gid`.
    pub gid: u32,
    /// `user_name`.
    pub user_name: Option<String>,
    /// `gids`.
    pub gids: Vec<u32>,
    /// `het_job_node_offset`.
    pub het_job_node_offset: u32,
    /// `het_job_id`.
    pub het_job_id: u32,
    /// `het_job_tids[het_job_nnodes]`; None packs `het_job_nnodes` = NO_VAL.
    pub het_job_tids: Option<Vec<Vec<u32>>>,
    /// `het_job_tid_offsets[het_job_ntasks]`; None packs NO_VAL.
    pub het_job_tid_offsets: Option<Vec<u32>>,
    /// `het_job_offset`.
    pub het_job_offset: u32,
    /// `het_job_step_cnt`.
    pub het_job_step_cnt: u32,
    /// `het_job_task_offset`.
    pub het_job_task_offset: u32,
    /// `het_job_node_list`.
    pub het_job_node_list: Option<String>,
    /// `mpi_plugin_id`.
    pub mpi_plugin_id: u32,
    /// `ntasks`.
    pub ntasks: u32,
    /// `ntasks_per_board`.
    pub ntasks_per_board: u16,
    /// `ntasks_per_core`.
    pub ntasks_per_core: u16,
    /// `ntasks_per_tres`.
    pub ntasks_per_tres: u16,
    /// `ntasks_per_socket`.
    pub ntasks_per_socket: u16,
    /// `job_mem_lim`.
    pub job_mem_lim: u64,
    /// `step_mem_lim`.
    pub step_mem_lim: u64,
    /// `cpus_per_task`.
    pub cpus_per_task: u16,
    /// `tres_per_task`.
    pub tres_per_task: Option<String>,
    /// `threads_per_core`.
    pub threads_per_core: u16,
    /// `task_dist`.
    pub task_dist: u32,
    /// `node_cpus`.
    pub node_cpus: u16,
    /// `job_core_spec`.
    pub job_core_spec: u16,
    /// `accel_bind_type`.
    pub accel_bind_type: u16,
    /// `cred_version`.
    pub cred_version: ProtocolVersion,
    /// `cred`, packed at `cred_version`.
    pub cred: SignedCredential,
    /// `global_task_ids[nnodes]` (`nnodes` and each `tasks_to_launch[i]` are
    /// the lengths).
    pub global_task_ids: Vec<Vec<u32>>,
    /// `resp_port[num_resp_port]`.
    pub resp_port: Vec<u16>,
    /// `orig_addr`: srun's address.
    pub orig_addr: SlurmAddr,
    /// `env`.
    pub env: Vec<String>,
    /// `spank_job_env`.
    pub spank_job_env: Vec<String>,
    /// `container`.
    pub container: Option<String>,
    /// `cwd`.
    pub cwd: Option<String>,
    /// `cpu_bind_type`.
    pub cpu_bind_type: u16,
    /// `cpu_bind`.
    pub cpu_bind: Option<String>,
    /// `mem_bind_type`.
    pub mem_bind_type: u16,
    /// `mem_bind`.
    pub mem_bind: Option<String>,
    /// `argv`.
    pub argv: Vec<String>,
    /// `flags` (`LAUNCH_*`).
    pub flags: u32,
    /// `ofname`.
    pub ofname: Option<String>,
    /// `efname`.
    pub efname: Option<String>,
    /// `ifname`.
    pub ifname: Option<String>,
    /// `io_port[num_io_port]`.
    pub io_port: Vec<u16>,
    /// `profile`.
    pub profile: u32,
    /// `task_prolog`.
    pub task_prolog: Option<String>,
    /// `task_epilog`.
    pub task_epilog: Option<String>,
    /// `slurmd_debug`.
    pub slurmd_debug: u16,
    /// `switch_job`.
    pub switch_job: SwitchJobInfo,
    /// `options` (`job_options_pack`: tag, u32 count, entries).
    pub options: Vec<JobOption>,
    /// `alias_list`.
    pub alias_list: Option<String>,
    /// `complete_nodelist`.
    pub complete_nodelist: Option<String>,
    /// `open_mode`.
    pub open_mode: u8,
    /// `acctg_freq`.
    pub acctg_freq: Option<String>,
    /// `cpu_freq_min`.
    pub cpu_freq_min: u32,
    /// `cpu_freq_max`.
    pub cpu_freq_max: u32,
    /// `cpu_freq_gov`.
    pub cpu_freq_gov: u32,
    /// `select_jobinfo`.
    pub select_jobinfo: SelectJobInfo,
    /// `tres_bind`.
    pub tres_bind: Option<String>,
    /// `tres_freq`.
    pub tres_freq: Option<String>,
    /// `x11`.
    pub x11: u16,
    /// `x11_alloc_host`.
    pub x11_alloc_host: Option<String>,
    /// `x11_alloc_port`.
    pub x11_alloc_port: u16,
    /// `x11_magic_cookie`.
    pub x11_magic_cookie: Option<String>,
    /// `x11_target`.
    pub x11_target: Option<String>,
    /// `x11_target_port`.
    pub x11_target_port: u16,
}

impl LaunchTasksRequest {
    /// Packs it (22.05 layout).
    pub fn pack(&self, p: &mut Packer) {
        self.step_id.pack(p);
        p.u32(self.uid);
        p.u32(self.gid);
        p.str(self.user_name.as_deref());
        p.u32_array(&self.gids);
        p.u32(self.het_job_node_offset);
        p.u32(self.het_job_id);
        match &self.het_job_tids {
            None => p.u32(NO_VAL),
            Some(t) => {
                p.u32(t.len() as u32);
                t.iter().for_each(|a| p.u32_array(a));
            }
        }
        pack_het_u32s(p, self.het_job_tid_offsets.as_ref());
        p.u32(self.het_job_offset);
        p.u32(self.het_job_step_cnt);
        p.u32(self.het_job_task_offset);
        p.str(self.het_job_node_list.as_deref());
        p.u32(self.mpi_plugin_id);
        p.u32(self.ntasks);
        p.u16(self.ntasks_per_board);
        p.u16(self.ntasks_per_core);
        p.u16(self.ntasks_per_tres);
        p.u16(self.ntasks_per_socket);
        p.u64(self.job_mem_lim);
        p.u64(self.step_mem_lim);
        p.u32(self.global_task_ids.len() as u32);
        p.u16(self.cpus_per_task);
        p.str(self.tres_per_task.as_deref());
        p.u16(self.threads_per_core);
        p.u32(self.task_dist);
        p.u16(self.node_cpus);
        p.u16(self.job_core_spec);
        p.u16(self.accel_bind_type);
        p.u16(self.cred_version.0);
        self.cred.pack(p);
        for ids in &self.global_task_ids {
            p.u16(ids.len() as u16);
            p.u32_array(ids);
        }
        p.u16(self.resp_port.len() as u16);
        self.resp_port.iter().for_each(|&x| p.u16(x));
        self.orig_addr.pack(p);
        p.str_array(&self.env);
        p.str_array(&self.spank_job_env);
        p.str(self.container.as_deref());
        p.str(self.cwd.as_deref());
        p.u16(self.cpu_bind_type);
        p.str(self.cpu_bind.as_deref());
        p.u16(self.mem_bind_type);
        p.str(self.mem_bind.as_deref());
        p.str_array(&self.argv);
        p.u32(self.flags);
        p.str(self.ofname.as_deref());
        p.str(self.efname.as_deref());
        p.str(self.ifname.as_deref());
        p.u16(self.io_port.len() as u16);
        self.io_port.iter().for_each(|&x| p.u16(x));
        p.u32(self.profile);
        p.str(self.task_prolog.as_deref());
        p.str(self.task_epilog.as_deref());
        p.u16(self.slurmd_debug);
        self.switch_job.pack(p);
        p.string(JOB_OPTIONS_PACK_TAG);
        p.u32(self.options.len() as u32);
        for o in &self.options {
            p.u32(o.option_type);
            p.str(o.option.as_deref());
            p.str(o.optarg.as_deref());
        }
        p.str(self.alias_list.as_deref());
        p.str(self.complete_nodelist.as_deref());
        p.u8(self.open_mode);
        p.str(self.acctg_freq.as_deref());
        p.u32(self.cpu_freq_min);
        p.u32(self.cpu_freq_max);
        p.u32(self.cpu_freq_gov);
        self.select_jobinfo.pack(p);
        p.str(self.tres_bind.as_deref());
        p.str(self.tres_freq.as_deref());
        p.u16(self.x11);
        p.str(self.x11_alloc_host.as_deref());
        p.u16(self.x11_alloc_port);
        p.str(self.x11_magic_cookie.as_deref());
        p.str(self.x11_target.as_deref());
        p.u16(self.x11_target_port);
    }

    /// Reads it (22.05 layout only).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        require_22_05(version)?;
        let step_id = StepId::unpack(u)?;
        let uid = u.u32("launch.uid")?;
        let gid = u.u32("launch.gid")?;
        let user_name = u.str("launch.user_name")?;
        let gids = u.u32_array("launch.gids")?;
        let het_job_node_offset = u.u32("launch.het_job_node_offset")?;
        let het_job_id = u.u32("launch.het_job_id")?;
        let n = u.u32("launch.het_job_nnodes")?;
        let het_job_tids = if n == NO_VAL {
            None
        } else {
            let n = u.check_count("launch.het_job_nnodes", n, 4)?;
            Some(
                (0..n)
                    .map(|_| u.u32_array("launch.het_job_tids"))
                    .collect::<DecodeResult<Vec<_>>>()?,
            )
        };
        let n = u.u32("launch.het_job_ntasks")?;
        let het_job_tid_offsets = if n == NO_VAL {
            None
        } else {
            let n = u.check_count("launch.het_job_ntasks", n, 4)?;
            Some(
                (0..n)
                    .map(|_| u.u32("launch.het_job_tid_offsets"))
                    .collect::<DecodeResult<Vec<_>>>()?,
            )
        };
        let het_job_offset = u.u32("launch.het_job_offset")?;
        let het_job_step_cnt = u.u32("launch.het_job_step_cnt")?;
        let het_job_task_offset = u.u32("launch.het_job_task_offset")?;
        let het_job_node_list = u.str("launch.het_job_node_list")?;
        let mpi_plugin_id = u.u32("launch.mpi_plugin_id")?;
        let ntasks = u.u32("launch.ntasks")?;
        let ntasks_per_board = u.u16("launch.ntasks_per_board")?;
        let ntasks_per_core = u.u16("launch.ntasks_per_core")?;
        let ntasks_per_tres = u.u16("launch.ntasks_per_tres")?;
        let ntasks_per_socket = u.u16("launch.ntasks_per_socket")?;
        let job_mem_lim = u.u64("launch.job_mem_lim")?;
        let step_mem_lim = u.u64("launch.step_mem_lim")?;
        let nnodes = u.u32("launch.nnodes")?;
        let cpus_per_task = u.u16("launch.cpus_per_task")?;
        let tres_per_task = u.str("launch.tres_per_task")?;
        let threads_per_core = u.u16("launch.threads_per_core")?;
        let task_dist = u.u32("launch.task_dist")?;
        let node_cpus = u.u16("launch.node_cpus")?;
        let job_core_spec = u.u16("launch.job_core_spec")?;
        let accel_bind_type = u.u16("launch.accel_bind_type")?;
        let cred_version = ProtocolVersion(u.u16("launch.cred_version")?);
        let cred = SignedCredential::unpack(u, cred_version)?;
        // Each node takes at least a u16 and a u32 count.
        let nnodes = u.check_count("launch.nnodes", nnodes, 6)?;
        let mut global_task_ids = Vec::with_capacity(nnodes);
        for _ in 0..nnodes {
            let n = u.u16("launch.tasks_to_launch")?;
            let ids = u.u32_array("launch.global_task_ids")?;
            if ids.len() != usize::from(n) {
                return Err(DecodeError::InvalidValue {
                    field: "launch.tasks_to_launch",
                    value: n.into(),
                });
            }
            global_task_ids.push(ids);
        }
        let n = u.u16("launch.num_resp_port")?;
        let n = u.check_count("launch.num_resp_port", n.into(), 2)?;
        let resp_port = (0..n)
            .map(|_| u.u16("launch.resp_port"))
            .collect::<DecodeResult<_>>()?;
        let orig_addr = SlurmAddr::unpack(u, "launch.orig_addr")?;
        let env = u.str_array("launch.env")?;
        let spank_job_env = u.str_array("launch.spank_job_env")?;
        let container = u.str("launch.container")?;
        let cwd = u.str("launch.cwd")?;
        let cpu_bind_type = u.u16("launch.cpu_bind_type")?;
        let cpu_bind = u.str("launch.cpu_bind")?;
        let mem_bind_type = u.u16("launch.mem_bind_type")?;
        let mem_bind = u.str("launch.mem_bind")?;
        let argv = u.str_array("launch.argv")?;
        let flags = u.u32("launch.flags")?;
        let ofname = u.str("launch.ofname")?;
        let efname = u.str("launch.efname")?;
        let ifname = u.str("launch.ifname")?;
        let n = u.u16("launch.num_io_port")?;
        let n = u.check_count("launch.num_io_port", n.into(), 2)?;
        let io_port = (0..n)
            .map(|_| u.u16("launch.io_port"))
            .collect::<DecodeResult<_>>()?;
        let profile = u.u32("launch.profile")?;
        let task_prolog = u.str("launch.task_prolog")?;
        let task_epilog = u.str("launch.task_epilog")?;
        let slurmd_debug = u.u16("launch.slurmd_debug")?;
        let switch_job = SwitchJobInfo::unpack(u)?;
        if u.str("launch.job_options.tag")?.as_deref() != Some(JOB_OPTIONS_PACK_TAG) {
            return Err(DecodeError::Malformed {
                field: "launch.job_options.tag",
                reason: "not \"job_options\"",
            });
        }
        let n = u.count("launch.job_options.count", 12)?;
        let options = (0..n)
            .map(|_| {
                Ok(JobOption {
                    option_type: u.u32("launch.job_options.type")?,
                    option: u.str("launch.job_options.option")?,
                    optarg: u.str("launch.job_options.optarg")?,
                })
            })
            .collect::<DecodeResult<_>>()?;
        Ok(LaunchTasksRequest {
            step_id,
            uid,
            gid,
            user_name,
            gids,
            het_job_node_offset,
            het_job_id,
            het_job_tids,
            het_job_tid_offsets,
            het_job_offset,
            het_job_step_cnt,
            het_job_task_offset,
            het_job_node_list,
            mpi_plugin_id,
            ntasks,
            ntasks_per_board,
            ntasks_per_core,
            ntasks_per_tres,
            ntasks_per_socket,
            job_mem_lim,
            step_mem_lim,
            cpus_per_task,
            tres_per_task,
            threads_per_core,
            task_dist,
            node_cpus,
            job_core_spec,
            accel_bind_type,
            cred_version,
            cred,
            global_task_ids,
            resp_port,
            orig_addr,
            env,
            spank_job_env,
            container,
            cwd,
            cpu_bind_type,
            cpu_bind,
            mem_bind_type,
            mem_bind,
            argv,
            flags,
            ofname,
            efname,
            ifname,
            io_port,
            profile,
            task_prolog,
            task_epilog,
            slurmd_debug,
            switch_job,
            options,
            alias_list: u.str("launch.alias_list")?,
            complete_nodelist: u.str("launch.complete_nodelist")?,
            open_mode: u.u8("launch.open_mode")?,
            acctg_freq: u.str("launch.acctg_freq")?,
            cpu_freq_min: u.u32("launch.cpu_freq_min")?,
            cpu_freq_max: u.u32("launch.cpu_freq_max")?,
            cpu_freq_gov: u.u32("launch.cpu_freq_gov")?,
            select_jobinfo: SelectJobInfo::unpack(u)?,
            tres_bind: u.str("launch.tres_bind")?,
            tres_freq: u.str("launch.tres_freq")?,
            x11: u.u16("launch.x11")?,
            x11_alloc_host: u.str("launch.x11_alloc_host")?,
            x11_alloc_port: u.u16("launch.x11_alloc_port")?,
            x11_magic_cookie: u.str("launch.x11_magic_cookie")?,
            x11_target: u.str("launch.x11_target")?,
            x11_target_port: u.u16("launch.x11_target_port")?,
        })
    }
}
