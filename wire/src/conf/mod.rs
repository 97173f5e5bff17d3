//! The slurm.conf parser (upstream `src/common/parse_config.c` for syntax,
//! `src/common/read_config.c` for keys, entity lines and defaults).
//!
//! [`SlurmConf`] holds every field of `slurm_ctl_conf_t` that
//! RESPONSE_BUILD_INFO carries and that comes from slurm.conf, already
//! defaulted and derived the way `_validate_and_set_defaults` does, so the
//! controller can pack it without more logic. Values "unset" or "infinite"
//! upstream are `Option`s or small enums here; `to_wire`-style helpers give
//! the upstream numbers back.
//!
//! [`SlurmConf::to_build_info`] turns it into the RESPONSE_BUILD_INFO body.
//! Not covered by slurm.conf (the daemon supplies them in
//! [`BuildInfoDynamic`]): `last_update`, `boot_time`, `next_job_id`,
//! `version`, the key/value lists read from other files or plugins
//! (`acct_gather_conf`, `cgroup_conf`, `ext_sensors_conf`, `mpi_conf`,
//! `node_features_conf`, `select_conf_key_pairs`, `slurmctld_plugstack_conf`),
//! user-name → uid lookups other than `root`/numeric ids, and replacing a
//! `localhost` SlurmctldHost by the real short hostname
//! (see also [`SlurmConf::replace_localhost_controller`]).

mod build_info;
mod error;
pub mod flags;
pub mod gres;
pub mod keys;
mod node;
mod partition;
mod raw;
mod reader;
pub mod select_type;
pub mod values;

use std::path::{Path, PathBuf};

pub use build_info::{BuildInfoDynamic, DEFAULT_VERSION};
pub use error::{ConfError, Location};
pub use node::NodeConf;
pub use partition::{
    DownNodesConf, MemLimit, NodeSetConf, OverSubscribe, PartitionConf, PartitionState,
    JOB_DEF_CPU_PER_GPU, JOB_DEF_MEM_PER_GPU,
};
pub use reader::Operator;
pub use values::TimeLimit;

use raw::RawConf;
use values::{contains_ci, log_level};

/// How deep `Include` may nest. Upstream has no bound (an include loop
/// recurses until the stack runs out); 16 is far beyond real use.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Compile-time defaults of a stock 22.05 build (upstream `DEFAULT_*` in
/// `read_config.h`, `slurm.h` and configure), as `scontrol show config`
/// prints them for unset keys.
pub mod defaults {
    /// `SLURMCTLD_PORT` (configure default).
    pub const SLURMCTLD_PORT: u32 = 6817;
    /// `SLURMCTLD_PORT_COUNT`.
    pub const SLURMCTLD_PORT_COUNT: u16 = 1;
    /// `SLURMD_PORT`.
    pub const SLURMD_PORT: u32 = 6818;
    /// `SLURMDBD_PORT`.
    pub const SLURMDBD_PORT: u16 = 6819;
    /// `DEFAULT_MYSQL_PORT`.
    pub const MYSQL_PORT: u16 = 3306;
    /// `DEFAULT_STORAGE_HOST`.
    pub const STORAGE_HOST: &str = "localhost";
    /// `DEFAULT_STORAGE_USER`.
    pub const STORAGE_USER: &str = "root";
    /// `DEFAULT_ACCOUNTING_TRES`; always included in AccountingStorageTRES.
    pub const ACCOUNTING_TRES: &str = "cpu,mem,energy,node,billing,fs/disk,vmem,pages";
    /// `DEFAULT_ACCOUNTING_STORAGE_TYPE`.
    pub const ACCOUNTING_STORAGE_TYPE: &str = "accounting_storage/none";
    /// `DEFAULT_AUTH_TYPE`.
    pub const AUTH_TYPE: &str = "auth/munge";
    /// `DEFAULT_BATCH_START_TIMEOUT` seconds.
    pub const BATCH_START_TIMEOUT: u16 = 10;
    /// `DEFAULT_BCAST_EXCLUDE`.
    pub const BCAST_EXCLUDE: &str = "/lib,/usr/lib,/lib64,/usr/lib64";
    /// `DEFAULT_CRED_TYPE`.
    pub const CRED_TYPE: &str = "cred/munge";
    /// `DEFAULT_EPILOG_MSG_TIME` microseconds.
    pub const EPILOG_MSG_TIME: u32 = 2000;
    /// `DEFAULT_EXT_SENSORS_TYPE`.
    pub const EXT_SENSORS_TYPE: &str = "ext_sensors/none";
    /// `DEFAULT_FIRST_JOB_ID`.
    pub const FIRST_JOB_ID: u32 = 1;
    /// `DEFAULT_GET_ENV_TIMEOUT` seconds.
    pub const GET_ENV_TIMEOUT: u16 = 2;
    /// `DEFAULT_GROUP_TIME` seconds.
    pub const GROUP_TIME: u16 = 600;
    /// `DEFAULT_GROUP_FORCE`.
    pub const GROUP_FORCE: u16 = 1;
    /// GpuFreqDef default.
    pub const GPU_FREQ_DEF: &str = "high,memory=high";
    /// `DEFAULT_INTERACTIVE_STEP_OPTS`.
    pub const INTERACTIVE_STEP_OPTS: &str = "--interactive --preserve-env --pty $SHELL";
    /// `DEFAULT_JOB_ACCT_GATHER_TYPE`.
    pub const JOB_ACCT_GATHER_TYPE: &str = "jobacct_gather/none";
    /// `DEFAULT_JOB_ACCT_GATHER_FREQ`.
    pub const JOB_ACCT_GATHER_FREQ: &str = "30";
    /// `DEFAULT_ACCT_GATHER_ENERGY_TYPE`.
    pub const ACCT_GATHER_ENERGY_TYPE: &str = "acct_gather_energy/none";
    /// `DEFAULT_ACCT_GATHER_PROFILE_TYPE`.
    pub const ACCT_GATHER_PROFILE_TYPE: &str = "acct_gather_profile/none";
    /// `DEFAULT_ACCT_GATHER_INTERCONNECT_TYPE`.
    pub const ACCT_GATHER_INTERCONNECT_TYPE: &str = "acct_gather_interconnect/none";
    /// `DEFAULT_ACCT_GATHER_FILESYSTEM_TYPE`.
    pub const ACCT_GATHER_FILESYSTEM_TYPE: &str = "acct_gather_filesystem/none";
    /// `DEFAULT_CORE_SPEC_PLUGIN`.
    pub const CORE_SPEC_PLUGIN: &str = "core_spec/none";
    /// `DEFAULT_JOB_COMP_TYPE`.
    pub const JOB_COMP_TYPE: &str = "jobcomp/none";
    /// `DEFAULT_JOB_COMP_LOC`.
    pub const JOB_COMP_LOC: &str = "/var/log/slurm_jobcomp.log";
    /// `DEFAULT_JOB_COMP_DB` (JobCompLoc default for jobcomp/mysql).
    pub const JOB_COMP_DB: &str = "slurm_jobcomp_db";
    /// `DEFAULT_JOB_CONTAINER_PLUGIN` (non-Cray).
    pub const JOB_CONTAINER_PLUGIN: &str = "job_container/none";
    /// `DEFAULT_KILL_WAIT` seconds.
    pub const KILL_WAIT: u16 = 30;
    /// `DEFAULT_LAUNCH_TYPE`.
    pub const LAUNCH_TYPE: &str = "launch/slurm";
    /// `DEFAULT_MAIL_PROG`. (Upstream falls back to `/usr/bin/mail` when
    /// only that exists; we do no file checks.)
    pub const MAIL_PROG: &str = "/bin/mail";
    /// `DEFAULT_MAX_ARRAY_SIZE`.
    pub const MAX_ARRAY_SIZE: u32 = 1001;
    /// `DEFAULT_MAX_DBD_MSGS` (the minimum allowed).
    pub const MAX_DBD_MSGS: u32 = 10000;
    /// `DEFAULT_MAX_JOB_COUNT`.
    pub const MAX_JOB_COUNT: u32 = 10000;
    /// `DEFAULT_MAX_JOB_ID`.
    pub const MAX_JOB_ID: u32 = 0x03ff_0000;
    /// `MAX_JOB_ID`: the largest job id the id format allows.
    pub const MAX_JOB_ID_LIMIT: u32 = 0x03ff_ffff;
    /// `DEFAULT_MAX_STEP_COUNT`.
    pub const MAX_STEP_COUNT: u32 = 40000;
    /// `MAX_TASKS_PER_NODE`.
    pub const MAX_TASKS_PER_NODE: u16 = 512;
    /// `DEFAULT_MCS_PLUGIN`.
    pub const MCS_PLUGIN: &str = "mcs/none";
    /// `DEFAULT_MIN_JOB_AGE` seconds.
    pub const MIN_JOB_AGE: u32 = 300;
    /// `DEFAULT_MPI_DEFAULT`.
    pub const MPI_DEFAULT: &str = "none";
    /// `DEFAULT_MSG_TIMEOUT` seconds.
    pub const MSG_TIMEOUT: u16 = 10;
    /// `DEFAULT_POWER_PLUGIN` (empty string, printed as empty).
    pub const POWER_PLUGIN: &str = "";
    /// `DEFAULT_PREEMPT_TYPE`.
    pub const PREEMPT_TYPE: &str = "preempt/none";
    /// `DEFAULT_PREP_PLUGINS`.
    pub const PREP_PLUGINS: &str = "prep/script";
    /// `DEFAULT_PRIORITY_DECAY` seconds (7 days); also PriorityMaxAge.
    pub const PRIORITY_DECAY: u32 = 604_800;
    /// `DEFAULT_PRIORITY_CALC_PERIOD` seconds.
    pub const PRIORITY_CALC_PERIOD: u32 = 300;
    /// `DEFAULT_PRIORITY_TYPE`.
    pub const PRIORITY_TYPE: &str = "priority/basic";
    /// `DEFAULT_SITE_FACTOR_PLUGIN`.
    pub const SITE_FACTOR_PLUGIN: &str = "site_factor/none";
    /// `DEFAULT_PROCTRACK_TYPE` (build with cgroup support, as Debian's).
    pub const PROCTRACK_TYPE: &str = "proctrack/cgroup";
    /// `DEFAULT_RETURN_TO_SERVICE`.
    pub const RETURN_TO_SERVICE: u16 = 0;
    /// `DEFAULT_RESUME_RATE` nodes/min.
    pub const RESUME_RATE: u16 = 300;
    /// `DEFAULT_RESUME_TIMEOUT` seconds.
    pub const RESUME_TIMEOUT: u16 = 60;
    /// `DEFAULT_ROUTE_PLUGIN`.
    pub const ROUTE_PLUGIN: &str = "route/default";
    /// `DEFAULT_SAVE_STATE_LOC`.
    pub const SAVE_STATE_LOC: &str = "/var/spool";
    /// `DEFAULT_SCHED_TIME_SLICE` seconds.
    pub const SCHED_TIME_SLICE: u16 = 30;
    /// `DEFAULT_SCHEDTYPE`.
    pub const SCHEDTYPE: &str = "sched/backfill";
    /// `DEFAULT_SELECT_TYPE` (non-Cray).
    pub const SELECT_TYPE: &str = "select/linear";
    /// `DEFAULT_SLURMCTLD_PIDFILE`.
    pub const SLURMCTLD_PIDFILE: &str = "/run/slurmctld.pid";
    /// `DEFAULT_SLURMCTLD_TIMEOUT` seconds.
    pub const SLURMCTLD_TIMEOUT: u16 = 120;
    /// `DEFAULT_SLURMD_PIDFILE`.
    pub const SLURMD_PIDFILE: &str = "/run/slurmd.pid";
    /// `DEFAULT_SLURMD_TIMEOUT` seconds.
    pub const SLURMD_TIMEOUT: u16 = 300;
    /// `DEFAULT_SPOOLDIR`.
    pub const SPOOLDIR: &str = "/var/spool/slurmd";
    /// `DEFAULT_SUSPEND_RATE` nodes/min.
    pub const SUSPEND_RATE: u16 = 60;
    /// `DEFAULT_SUSPEND_TIMEOUT` seconds.
    pub const SUSPEND_TIMEOUT: u16 = 30;
    /// `DEFAULT_SWITCH_TYPE` (non-Cray).
    pub const SWITCH_TYPE: &str = "switch/none";
    /// `DEFAULT_TASK_PLUGIN`.
    pub const TASK_PLUGIN: &str = "task/none";
    /// `DEFAULT_TCP_TIMEOUT` seconds.
    pub const TCP_TIMEOUT: u16 = 2;
    /// `DEFAULT_TMP_FS`.
    pub const TMP_FS: &str = "/tmp";
    /// `DEFAULT_TOPOLOGY_PLUGIN`.
    pub const TOPOLOGY_PLUGIN: &str = "topology/none";
    /// `DEFAULT_TREE_WIDTH`.
    pub const TREE_WIDTH: u16 = 50;
    /// `DEFAULT_UNKILLABLE_TIMEOUT` seconds.
    pub const UNKILLABLE_TIMEOUT: u16 = 60;
    /// `DEFAULT_EIO_SHUTDOWN_WAIT` seconds (EioTimeout).
    pub const EIO_SHUTDOWN_WAIT: u16 = 60;
    /// PrologEpilogTimeout default (`NO_VAL16`, printed as 65534).
    pub const PROLOG_EPILOG_TIMEOUT: u16 = 0xfffe;
    /// `PluginDir` default of the Debian/Ubuntu build the stock clients come from.
    pub const PLUGIN_DIR: &str = "/usr/lib/x86_64-linux-gnu/slurm-wlm";
    /// CpuFreqGovernors default: OnDemand, Performance, UserSpace
    /// (`CPU_FREQ_ONDEMAND | CPU_FREQ_PERFORMANCE | CPU_FREQ_USERSPACE`).
    pub const CPU_FREQ_GOVS: u32 = 0x8400_0000 | 0x8200_0000 | 0x8080_0000;
    /// `HEALTH_CHECK_NODE_ANY`.
    pub const HEALTH_CHECK_NODE_ANY: u16 = 0x000f;
    /// `PRIORITY_FLAGS_FAIR_TREE`, the default PriorityFlags.
    pub const PRIORITY_FLAGS_FAIR_TREE: u16 = 1 << 5;
}

/// Smallest MinJobAge upstream accepts; lower values are raised to it.
const MIN_JOB_AGE_FLOOR: u32 = 2;
/// Smallest SchedulerTimeSlice upstream accepts; lower values mean the default.
const SCHED_TIME_SLICE_FLOOR: u16 = 5;

/// Bits of `conf_flags` (upstream `CTL_CONF_*` in `slurm.h`).
pub mod conf_flags {
    /// `CTL_CONF_OR`: SlurmdParameters=config_overrides.
    pub const CONFIG_OVERRIDES: u32 = 1 << 0;
    /// `CTL_CONF_SJC`: AccountingStoreFlags=job_comment.
    pub const STORE_JOB_COMMENT: u32 = 1 << 1;
    /// `CTL_CONF_DRJ`: DisableRootJobs.
    pub const DISABLE_ROOT_JOBS: u32 = 1 << 2;
    /// `CTL_CONF_ASRU`: AllowSpecResourcesUsage.
    pub const ALLOW_SPEC_RESOURCES_USAGE: u32 = 1 << 3;
    /// `CTL_CONF_PAM`: UsePam.
    pub const USE_PAM: u32 = 1 << 4;
    /// `CTL_CONF_WCKEY`: TrackWCKey (or enforced wckeys).
    pub const TRACK_WCKEY: u32 = 1 << 5;
    /// `CTL_CONF_IPV4_ENABLED` (on unless CommunicationParameters=DisableIPv4).
    pub const IPV4_ENABLED: u32 = 1 << 6;
    /// `CTL_CONF_IPV6_ENABLED` (CommunicationParameters=EnableIPv6).
    pub const IPV6_ENABLED: u32 = 1 << 7;
    /// `CTL_CONF_SJS`: AccountingStoreFlags=job_script.
    pub const STORE_JOB_SCRIPT: u32 = 1 << 9;
    /// `CTL_CONF_SJE`: AccountingStoreFlags=job_env.
    pub const STORE_JOB_ENV: u32 = 1 << 10;
}

/// Bits of `private_data` (upstream `PRIVATE_DATA_*`).
pub mod private_data {
    /// `PRIVATE_DATA_JOBS`.
    pub const JOBS: u16 = 1 << 0;
    /// `PRIVATE_DATA_NODES`.
    pub const NODES: u16 = 1 << 1;
    /// `PRIVATE_DATA_PARTITIONS`.
    pub const PARTITIONS: u16 = 1 << 2;
    /// `PRIVATE_DATA_USAGE`.
    pub const USAGE: u16 = 1 << 3;
    /// `PRIVATE_DATA_USERS`.
    pub const USERS: u16 = 1 << 4;
    /// `PRIVATE_DATA_ACCOUNTS`.
    pub const ACCOUNTS: u16 = 1 << 5;
    /// `PRIVATE_DATA_RESERVATIONS`.
    pub const RESERVATIONS: u16 = 1 << 6;
    /// `PRIVATE_CLOUD_NODES`.
    pub const CLOUD: u16 = 1 << 7;
    /// `PRIVATE_DATA_EVENTS`.
    pub const EVENTS: u16 = 1 << 8;
    /// `PrivateData=all`.
    pub const ALL: u16 = 0xffff;
}

/// Bits of `accounting_storage_enforce` (upstream `ACCOUNTING_ENFORCE_*`).
pub mod accounting_enforce {
    /// `ACCOUNTING_ENFORCE_ASSOCS`.
    pub const ASSOCS: u16 = 1 << 0;
    /// `ACCOUNTING_ENFORCE_LIMITS`.
    pub const LIMITS: u16 = 1 << 1;
    /// `ACCOUNTING_ENFORCE_WCKEYS`.
    pub const WCKEYS: u16 = 1 << 2;
    /// `ACCOUNTING_ENFORCE_QOS`.
    pub const QOS: u16 = 1 << 3;
    /// `ACCOUNTING_ENFORCE_SAFE`.
    pub const SAFE: u16 = 1 << 4;
    /// `ACCOUNTING_ENFORCE_NO_JOBS`.
    pub const NO_JOBS: u16 = 1 << 5;
    /// `ACCOUNTING_ENFORCE_NO_STEPS`.
    pub const NO_STEPS: u16 = 1 << 6;
    /// `ACCOUNTING_ENFORCE_TRES`.
    pub const TRES: u16 = 1 << 7;
}

/// `EnforcePartLimits` (upstream `PARTITION_ENFORCE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnforcePartLimits {
    /// `NO` (0).
    No,
    /// `ALL` (1): the job must fit every requested partition.
    All,
    /// `ANY`/`YES` (2): the job must fit at least one.
    Any,
}

impl EnforcePartLimits {
    /// Upstream value.
    pub fn to_wire(self) -> u16 {
        match self {
            EnforcePartLimits::No => 0,
            EnforcePartLimits::All => 1,
            EnforcePartLimits::Any => 2,
        }
    }

    fn parse(s: &str) -> Result<EnforcePartLimits, String> {
        let any = ["yes", "up", "true", "1", "any"];
        let no = ["no", "down", "false", "0"];
        if any.iter().any(|w| w.eq_ignore_ascii_case(s)) {
            Ok(EnforcePartLimits::Any)
        } else if no.iter().any(|w| w.eq_ignore_ascii_case(s)) {
            Ok(EnforcePartLimits::No)
        } else if s.eq_ignore_ascii_case("all") {
            Ok(EnforcePartLimits::All)
        } else {
            Err(format!("Bad EnforcePartLimits: {s}"))
        }
    }
}

/// One controller (`SlurmctldHost=name(addr)` or the legacy
/// ControlMachine/ControlAddr, BackupController/BackupAddr pairs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerHost {
    /// `control_machine[i]`.
    pub name: String,
    /// `control_addr[i]` (defaults to the name).
    pub addr: String,
}

/// Everything slurm.conf defines, defaulted as upstream does
/// (`slurm_conf_t` / `slurm_ctl_conf_t`). Field names are upstream's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // Each field is the slurm_ctl_conf_t member of the same name.
pub struct SlurmConf {
    pub accounting_storage_enforce: u16,
    pub accounting_storage_backup_host: Option<String>,
    pub accounting_storage_host: String,
    pub accounting_storage_ext_host: Option<String>,
    pub accounting_storage_params: Option<String>,
    pub accounting_storage_pass: Option<String>,
    pub accounting_storage_port: u16,
    pub accounting_storage_tres: String,
    pub accounting_storage_type: String,
    pub accounting_storage_user: String,
    pub acct_gather_energy_type: String,
    pub acct_gather_filesystem_type: String,
    pub acct_gather_interconnect_type: String,
    pub acct_gather_node_freq: u16,
    pub acct_gather_profile_type: String,
    pub authalttypes: Option<String>,
    pub authalt_params: Option<String>,
    pub authinfo: Option<String>,
    pub authtype: String,
    pub batch_start_timeout: u16,
    pub bb_type: Option<String>,
    pub bcast_exclude: String,
    pub bcast_parameters: Option<String>,
    pub cli_filter_plugins: Option<String>,
    pub cluster_name: Option<String>,
    pub comm_params: Option<String>,
    pub complete_wait: u16,
    pub conf_flags: u32,
    /// `control_machine` / `control_addr` arrays; the first is the primary.
    pub control_hosts: Vec<ControllerHost>,
    pub core_spec_plugin: String,
    /// `cpu_freq_def` (a `flags::cpu_freq` governor); `None` = NO_VAL
    /// ("Unknown"), also when the value was invalid.
    pub cpu_freq_def: Option<u32>,
    /// `cpu_freq_govs`: `flags::cpu_freq` governors.
    pub cpu_freq_govs: u32,
    pub cred_type: String,
    /// `def_mem_per_cpu`: DefMemPerCPU/DefMemPerNode; `None` = 0 (unlimited).
    pub def_mem_per_cpu: Option<MemLimit>,
    /// `debug_flags`: `flags::debug` bits.
    pub debug_flags: u64,
    pub dependency_params: Option<String>,
    pub eio_timeout: u16,
    pub enforce_part_limits: EnforcePartLimits,
    pub epilog: Option<String>,
    pub epilog_msg_time: u32,
    pub epilog_slurmctld: Option<String>,
    pub ext_sensors_type: String,
    pub ext_sensors_freq: u16,
    pub fed_params: Option<String>,
    pub first_job_id: u32,
    pub fs_dampening_factor: u16,
    pub get_env_timeout: u16,
    pub gres_plugins: Option<String>,
    pub group_time: u16,
    pub group_force: u16,
    pub gpu_freq_def: String,
    /// `hash_val`: upstream's hash over every physical line read.
    pub hash_val: u32,
    pub health_check_interval: u16,
    /// `health_check_node_state`: `flags::health_check` bits.
    pub health_check_node_state: u16,
    pub health_check_program: Option<String>,
    pub inactive_limit: u16,
    pub interactive_step_opts: String,
    pub job_acct_gather_freq: String,
    pub job_acct_gather_type: String,
    pub job_acct_gather_params: Option<String>,
    pub job_comp_host: String,
    pub job_comp_loc: String,
    pub job_comp_params: Option<String>,
    pub job_comp_pass: Option<String>,
    pub job_comp_port: u32,
    pub job_comp_type: String,
    pub job_comp_user: String,
    pub job_container_plugin: String,
    pub job_credential_private_key: Option<String>,
    pub job_credential_public_certificate: Option<String>,
    /// `job_defaults` list: (`JOB_DEF_*`, value) from DefCPUPerGPU/DefMemPerGPU.
    pub job_defaults: Vec<(u16, u64)>,
    pub job_file_append: u16,
    pub job_requeue: u16,
    pub job_submit_plugins: Option<String>,
    pub kill_on_bad_exit: u16,
    pub kill_wait: u16,
    pub launch_params: Option<String>,
    pub launch_type: String,
    pub licenses: Option<String>,
    /// `log_fmt`: a `flags::log_fmt` value.
    pub log_fmt: u16,
    pub mail_domain: Option<String>,
    pub mail_prog: String,
    pub max_array_sz: u32,
    /// `max_dbd_msgs`; `None` = computed at run time, see [`SlurmConf::effective_max_dbd_msgs`].
    pub max_dbd_msgs: Option<u32>,
    pub max_job_cnt: u32,
    pub max_job_id: u32,
    /// `max_mem_per_cpu`: MaxMemPerCPU/MaxMemPerNode; `None` = 0 (unlimited).
    pub max_mem_per_cpu: Option<MemLimit>,
    /// `max_node_cnt`; `None` = the node count (slurmctld locks it to that).
    pub max_node_cnt: Option<u32>,
    pub max_step_cnt: u32,
    pub max_tasks_per_node: u16,
    pub mcs_plugin: String,
    pub mcs_plugin_params: Option<String>,
    pub min_job_age: u32,
    pub mpi_default: String,
    pub mpi_params: Option<String>,
    pub msg_timeout: u16,
    pub node_features_plugins: Option<String>,
    pub over_time_limit: u16,
    pub plugindir: String,
    pub plugstack: Option<String>,
    pub power_parameters: Option<String>,
    pub power_plugin: String,
    /// `preempt_mode`: `flags::preempt` mode and modifiers.
    pub preempt_mode: u16,
    pub preempt_type: String,
    /// `preempt_exempt_time` seconds; `None` = unset (0 on the wire).
    pub preempt_exempt_time: Option<u32>,
    pub prep_params: Option<String>,
    pub prep_plugins: String,
    pub priority_decay_hl: u32,
    pub priority_calc_period: u32,
    pub priority_favor_small: u16,
    /// `priority_flags`: `flags::priority` bits.
    pub priority_flags: u16,
    pub priority_max_age: u32,
    pub priority_params: Option<String>,
    /// `PriorityUsageResetPeriod` as `PRIORITY_RESET_*`.
    pub priority_reset_period: u16,
    pub priority_type: String,
    pub priority_weight_age: u32,
    pub priority_weight_assoc: u32,
    pub priority_weight_fs: u32,
    pub priority_weight_js: u32,
    pub priority_weight_part: u32,
    pub priority_weight_qos: u32,
    pub priority_weight_tres: Option<String>,
    pub private_data: u16,
    pub proctrack_type: String,
    pub prolog: Option<String>,
    pub prolog_epilog_timeout: u16,
    pub prolog_slurmctld: Option<String>,
    /// `prolog_flags`: `flags::prolog` bits.
    pub prolog_flags: u16,
    pub propagate_prio_process: u16,
    pub propagate_rlimits: Option<String>,
    pub propagate_rlimits_except: Option<String>,
    pub reboot_program: Option<String>,
    /// `reconfig_flags`: `flags::reconfig` bits.
    pub reconfig_flags: u16,
    pub requeue_exit: Option<String>,
    pub requeue_exit_hold: Option<String>,
    pub resume_fail_program: Option<String>,
    pub resume_program: Option<String>,
    pub resume_rate: u16,
    pub resume_timeout: u16,
    pub resv_epilog: Option<String>,
    pub resv_over_run: u16,
    pub resv_prolog: Option<String>,
    pub ret2service: u16,
    pub route_plugin: String,
    pub sched_params: Option<String>,
    pub sched_logfile: Option<String>,
    pub sched_log_level: u16,
    pub sched_time_slice: u16,
    pub schedtype: String,
    pub scron_params: Option<String>,
    pub select_type: String,
    pub select_type_param: u16,
    pub site_factor_params: Option<String>,
    pub site_factor_plugin: String,
    /// `slurm_conf`: the path read.
    pub slurm_conf: String,
    /// `slurm_user_id`; `None` when a name needs a passwd lookup.
    pub slurm_user_id: Option<u32>,
    pub slurm_user_name: String,
    pub slurmd_user_id: Option<u32>,
    pub slurmd_user_name: String,
    pub slurmctld_addr: Option<String>,
    pub slurmctld_debug: u16,
    pub slurmctld_logfile: Option<String>,
    pub slurmctld_params: Option<String>,
    pub slurmctld_pidfile: String,
    pub slurmctld_plugstack: Option<String>,
    pub slurmctld_port: u32,
    pub slurmctld_port_count: u16,
    pub slurmctld_primary_off_prog: Option<String>,
    pub slurmctld_primary_on_prog: Option<String>,
    pub slurmctld_syslog_debug: u16,
    pub slurmctld_timeout: u16,
    pub slurmd_debug: u16,
    pub slurmd_logfile: Option<String>,
    pub slurmd_params: Option<String>,
    pub slurmd_pidfile: String,
    pub slurmd_port: u32,
    pub slurmd_spooldir: String,
    pub slurmd_syslog_debug: u16,
    pub slurmd_timeout: u16,
    pub srun_epilog: Option<String>,
    /// `srun_port_range`; `None` = (0, 0).
    pub srun_port_range: Option<(u16, u16)>,
    pub srun_prolog: Option<String>,
    pub state_save_location: String,
    pub suspend_exc_nodes: Option<String>,
    pub suspend_exc_parts: Option<String>,
    pub suspend_program: Option<String>,
    pub suspend_rate: u16,
    /// `suspend_time` seconds (INFINITE when unset).
    pub suspend_time: TimeLimit,
    pub suspend_timeout: u16,
    pub switch_param: Option<String>,
    pub switch_type: String,
    pub task_epilog: Option<String>,
    pub task_prolog: Option<String>,
    pub task_plugin: String,
    /// `task_plugin_param`: `flags::cpu_bind` bits.
    pub task_plugin_param: u32,
    pub tcp_timeout: u16,
    pub tmp_fs: String,
    pub topology_param: Option<String>,
    pub topology_plugin: String,
    pub tree_width: u16,
    pub unkillable_program: Option<String>,
    pub unkillable_timeout: u16,
    pub vsize_factor: u16,
    pub wait_time: u16,
    pub x11_params: Option<String>,

    /// Node table in definition order (bitmaps index this).
    pub nodes: Vec<NodeConf>,
    /// Partitions in definition order.
    pub partitions: Vec<PartitionConf>,
    /// NodeSet lines.
    pub node_sets: Vec<NodeSetConf>,
    /// DownNodes lines.
    pub down_nodes: Vec<DownNodesConf>,
    /// FrontendName values (accepted, not used on non-front-end builds).
    pub frontends: Vec<String>,
}

/// Accessor for first-pass settings with typed conversions and errors that
/// name the line.
struct Settings<'a> {
    raw: &'a RawConf,
}

impl Settings<'_> {
    fn str(&self, key: &str) -> Option<&str> {
        self.raw.scalars.get(key).map(|s| s.value.as_str())
    }

    fn string(&self, key: &str) -> Option<String> {
        self.str(key).map(str::to_string)
    }

    fn or(&self, key: &str, default: &str) -> String {
        self.string(key).unwrap_or_else(|| default.to_string())
    }

    fn at(&self, key: &str) -> Location {
        self.raw
            .scalars
            .get(key)
            .map(|s| s.at.clone())
            .unwrap_or_default()
    }

    fn parse<T>(
        &self,
        key: &str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfError> {
        self.str(key)
            .map(|v| f(v).map_err(|r| ConfError::bad_value(&self.at(key), key, r)))
            .transpose()
    }

    fn u16(&self, key: &str) -> Result<Option<u16>, ConfError> {
        self.parse(key, values::parse_u16)
    }

    fn u32(&self, key: &str) -> Result<Option<u32>, ConfError> {
        self.parse(key, values::parse_u32)
    }

    fn u64(&self, key: &str) -> Result<Option<u64>, ConfError> {
        self.parse(key, values::parse_u64)
    }

    fn flag(&self, key: &str) -> Result<bool, ConfError> {
        Ok(self.parse(key, values::parse_bool)?.unwrap_or(false))
    }

    fn log_level(&self, key: &str, default: u16) -> Result<u16, ConfError> {
        Ok(self.parse(key, values::parse_log_level)?.unwrap_or(default))
    }

    /// A time string converted to seconds (`time_str2mins` * 60, as
    /// upstream does for the Priority* periods).
    fn minutes_as_secs(&self, key: &str, default: u32) -> Result<u32, ConfError> {
        Ok(match self.parse(key, values::time_str_to_mins)? {
            Some(TimeLimit::Finite(m)) => m.saturating_mul(60),
            Some(TimeLimit::Unlimited) => values::INFINITE32,
            None => default,
        })
    }
}

/// Uid for names we can resolve without a passwd lookup.
fn known_uid(name: &str) -> Option<u32> {
    if name == "root" {
        Some(0)
    } else {
        name.parse().ok()
    }
}

/// `SlurmctldHost=name(addr)` (upstream `_parse_slurmctld_host`).
fn parse_controller(value: &str) -> Result<ControllerHost, String> {
    match value.split_once('(') {
        Some((name, rest)) => {
            let addr = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("\"{value}\": missing ')'"))?;
            Ok(ControllerHost {
                name: name.to_string(),
                addr: addr.to_string(),
            })
        }
        None => Ok(ControllerHost {
            name: value.to_string(),
            addr: value.to_string(),
        }),
    }
}

fn parse_private_data(s: &str) -> u16 {
    use private_data::*;
    let words = [
        ("account", ACCOUNTS),
        ("cloud", CLOUD),
        ("event", EVENTS),
        ("job", JOBS),
        ("node", NODES),
        ("partition", PARTITIONS),
        ("reservation", RESERVATIONS),
        ("usage", USAGE),
        ("user", USERS),
    ];
    if contains_ci(s, "all") {
        return ALL;
    }
    words
        .iter()
        .filter(|(w, _)| contains_ci(s, w))
        .fold(0, |acc, (_, b)| acc | b)
}

/// Returns (enforce bits, whether wckeys are tracked because of it).
fn parse_accounting_enforce(s: &str) -> Result<(u16, bool), String> {
    use accounting_enforce::*;
    let mut bits = 0u16;
    let mut wckey = false;
    for tok in s.split(',').filter(|t| !t.is_empty()) {
        match tok.to_ascii_lowercase().as_str() {
            "1" | "associations" => bits |= ASSOCS,
            "2" | "limits" => bits |= ASSOCS | LIMITS,
            "safe" => bits |= ASSOCS | LIMITS | SAFE,
            "wckeys" => {
                bits |= ASSOCS | WCKEYS;
                wckey = true;
            }
            "qos" => bits |= ASSOCS | QOS,
            "all" => {
                // Everything except the opt-in "don't record" bits.
                bits = !(NO_JOBS | NO_STEPS);
                wckey = true;
            }
            "nojobs" => bits |= NO_JOBS | NO_STEPS,
            "nosteps" => bits |= NO_STEPS,
            _ => {
                return Err(format!(
                    "Invalid parameter for AccountingStorageEnforce: {tok}"
                ))
            }
        }
    }
    Ok((bits, wckey))
}

/// `SlurmctldPort=port` or `port-port` → (first port, count).
fn parse_ctld_port(s: &str) -> Result<(u32, u16), String> {
    let bad = || format!("\"{s}\" is not a port or port range");
    let num = |t: &str| {
        t.trim()
            .parse::<u32>()
            .ok()
            .filter(|&p| p > 0 && p <= u32::from(u16::MAX))
    };
    match s.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (num(lo).ok_or_else(bad)?, num(hi).ok_or_else(bad)?);
            if hi < lo {
                return Err(bad());
            }
            Ok((lo, u16::try_from(hi - lo + 1).map_err(|_| bad())?))
        }
        None => Ok((num(s).ok_or_else(bad)?, 1)),
    }
}

/// `SrunPortRange=lo-hi`.
fn parse_srun_ports(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("\"{s}\" is not a port range lo-hi");
    let (lo, hi) = s.split_once('-').ok_or_else(bad)?;
    let lo: u16 = lo.trim().parse().map_err(|_| bad())?;
    let hi: u16 = hi.trim().parse().map_err(|_| bad())?;
    if lo == 0 || hi < lo {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// PriorityUsageResetPeriod → `PRIORITY_RESET_*`.
fn parse_reset_period(s: &str) -> Result<u16, String> {
    const WORDS: [&str; 7] = [
        "none",
        "now",
        "daily",
        "weekly",
        "monthly",
        "quarterly",
        "yearly",
    ];
    WORDS
        .iter()
        .position(|w| w.eq_ignore_ascii_case(s))
        .and_then(|i| u16::try_from(i).ok())
        .ok_or_else(|| {
            format!("\"{s}\" is not NONE, NOW, DAILY, WEEKLY, MONTHLY, QUARTERLY or YEARLY")
        })
}

impl SlurmConf {
    /// Read and interpret a slurm.conf (and its includes).
    pub fn from_file(path: impl AsRef<Path>) -> Result<SlurmConf, ConfError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        SlurmConf::from_str(&text, path)
    }

    /// Interpret slurm.conf text; `path` names it in errors, anchors
    /// relative includes and becomes `slurm_conf`.
    #[allow(clippy::should_implement_trait)] // It needs a path as well.
    pub fn from_str(text: &str, path: impl AsRef<Path>) -> Result<SlurmConf, ConfError> {
        let path: PathBuf = path.as_ref().to_path_buf();
        let mut raw = RawConf::default();
        raw.parse_text(text, &path, 0)?;
        SlurmConf::build(&raw, &path)
    }

    /// The first (primary) controller.
    pub fn primary_controller(&self) -> Option<&ControllerHost> {
        self.control_hosts.first()
    }

    /// Upstream replaces a `localhost` controller name with the host's short
    /// name (that needs gethostname, which this crate does not call).
    pub fn replace_localhost_controller(&mut self, short_hostname: &str) {
        for c in &mut self.control_hosts {
            if c.name.eq_ignore_ascii_case("localhost") {
                c.name = short_hostname.to_string();
            }
        }
    }

    /// `max_dbd_msgs` as slurmctld reports it: when unset, the slurmdbd
    /// accounting plugin fills in the larger of DEFAULT_MAX_DBD_MSGS and
    /// 2*MaxJobCount + 4*nodes; with any other accounting plugin it stays 0.
    pub fn effective_max_dbd_msgs(&self) -> u32 {
        if self.max_dbd_msgs.is_none() && !contains_ci(&self.accounting_storage_type, "slurmdbd") {
            return 0;
        }
        self.max_dbd_msgs.unwrap_or_else(|| {
            let nodes = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
            defaults::MAX_DBD_MSGS.max(
                self.max_job_cnt
                    .saturating_mul(2)
                    .saturating_add(nodes.saturating_mul(4)),
            )
        })
    }

    /// The default partition: the last one with `Default=YES` (a later line
    /// replaces an earlier default, as in slurmctld).
    pub fn default_partition(&self) -> Option<&PartitionConf> {
        self.partitions.iter().rev().find(|p| p.default)
    }

    /// Index of a node in the node table.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    fn build(raw: &RawConf, path: &Path) -> Result<SlurmConf, ConfError> {
        let s = Settings { raw };
        // Controllers: SlurmctldHost lines win over the legacy keys.
        let mut control_hosts = Vec::new();
        for line in raw.entities.iter().filter(|e| e.kind == "SlurmctldHost") {
            control_hosts.push(
                parse_controller(&line.name)
                    .map_err(|r| ConfError::bad_value(&line.at, "SlurmctldHost", r))?,
            );
        }
        if control_hosts.is_empty() {
            let Some(primary) = s.string("ControlMachine") else {
                return Err(ConfError::NoController);
            };
            let addr = s.string("ControlAddr").unwrap_or_else(|| primary.clone());
            control_hosts.push(ControllerHost {
                name: primary,
                addr,
            });
            if let Some(backup) = s.string("BackupController") {
                let addr = s.string("BackupAddr").unwrap_or_else(|| backup.clone());
                control_hosts.push(ControllerHost { name: backup, addr });
            } else if s.str("BackupAddr").is_some() {
                return Err(ConfError::bad_value(
                    &s.at("BackupAddr"),
                    "BackupAddr",
                    "BackupAddr given without BackupController",
                ));
            }
        }

        let nodes = node::build_nodes(&raw.entities)?;
        let node_sets = partition::build_node_sets(&raw.entities, &nodes)?;
        let partitions = partition::build_partitions(&raw.entities, &nodes, &node_sets)?;
        let down_nodes = partition::build_down_nodes(&raw.entities, &nodes)?;
        let frontends = raw
            .entities
            .iter()
            .filter(|e| e.kind == "FrontendName")
            .map(|e| e.name.clone())
            .collect();

        // conf_flags collects several booleans and substrings.
        let mut conf_flags = conf_flags::IPV4_ENABLED;
        let comm_params = s.string("CommunicationParameters");
        if let Some(c) = &comm_params {
            if contains_ci(c, "EnableIPv6") {
                conf_flags |= conf_flags::IPV6_ENABLED;
            }
            if contains_ci(c, "DisableIPv4") {
                conf_flags &= !conf_flags::IPV4_ENABLED;
            }
        }
        if s.flag("AllowSpecResourcesUsage")? {
            conf_flags |= conf_flags::ALLOW_SPEC_RESOURCES_USAGE;
        }
        if s.flag("DisableRootJobs")? {
            conf_flags |= conf_flags::DISABLE_ROOT_JOBS;
        }
        if s.flag("TrackWCKey")? {
            conf_flags |= conf_flags::TRACK_WCKEY;
        }
        if s.flag("UsePAM")? {
            conf_flags |= conf_flags::USE_PAM;
        }
        if let Some(f) = s.str("AccountingStoreFlags") {
            for (word, bit) in [
                ("job_comment", conf_flags::STORE_JOB_COMMENT),
                ("job_env", conf_flags::STORE_JOB_ENV),
                ("job_script", conf_flags::STORE_JOB_SCRIPT),
            ] {
                if contains_ci(f, word) {
                    conf_flags |= bit;
                }
            }
        }
        let slurmd_params = s.string("SlurmdParameters");
        if slurmd_params
            .as_deref()
            .is_some_and(|p| contains_ci(p, "config_override"))
        {
            conf_flags |= conf_flags::CONFIG_OVERRIDES;
        }
        if s.str("AccountingStoreJobComment").is_some() {
            return Err(ConfError::bad_value(
                &s.at("AccountingStoreJobComment"),
                "AccountingStoreJobComment",
                "removed; use AccountingStoreFlags=job_comment",
            ));
        }

        let (accounting_storage_enforce, enforce_wckey) = s
            .parse("AccountingStorageEnforce", parse_accounting_enforce)?
            .unwrap_or((0, false));
        if enforce_wckey {
            conf_flags |= conf_flags::TRACK_WCKEY;
        }

        let accounting_storage_type =
            s.or("AccountingStorageType", defaults::ACCOUNTING_STORAGE_TYPE);
        let uses_dbd = contains_ci(&accounting_storage_type, "slurmdbd");
        let accounting_storage_port = match s.u16("AccountingStoragePort")? {
            Some(p) => p,
            None if uses_dbd => defaults::SLURMDBD_PORT,
            None if contains_ci(&accounting_storage_type, "mysql") => defaults::MYSQL_PORT,
            None => 0,
        };
        // Upstream always appends its base TRES list to a configured one.
        let accounting_storage_tres = match s.str("AccountingStorageTRES") {
            Some(t) => format!("{t},{}", defaults::ACCOUNTING_TRES),
            None => defaults::ACCOUNTING_TRES.to_string(),
        };
        let accounting_storage_user = if uses_dbd {
            "N/A".to_string()
        } else {
            s.or("AccountingStorageUser", defaults::STORAGE_USER)
        };

        let job_comp_type = s.or("JobCompType", defaults::JOB_COMP_TYPE);
        let job_comp_mysql = contains_ci(&job_comp_type, "mysql");

        let first_job_id = s.u32("FirstJobId")?.unwrap_or(defaults::FIRST_JOB_ID);
        let max_job_id = s
            .u32("MaxJobId")?
            .unwrap_or(defaults::MAX_JOB_ID)
            .min(defaults::MAX_JOB_ID_LIMIT);
        if first_job_id > max_job_id {
            return Err(ConfError::bad_value(
                &s.at("FirstJobId"),
                "FirstJobId",
                "FirstJobId > MaxJobId",
            ));
        }
        let mut max_job_cnt = s.u32("MaxJobCount")?.unwrap_or(defaults::MAX_JOB_COUNT);
        if max_job_cnt < 1 {
            return Err(ConfError::bad_value(
                &s.at("MaxJobCount"),
                "MaxJobCount",
                "No jobs permitted",
            ));
        }
        // Job arrays need an id per job: never more jobs than ids.
        max_job_cnt = max_job_cnt.min(max_job_id - first_job_id + 1);
        let max_dbd_msgs = s.u32("MaxDBDMsgs")?;
        if let Some(m) = max_dbd_msgs.filter(|&m| m < defaults::MAX_DBD_MSGS) {
            return Err(ConfError::bad_value(
                &s.at("MaxDBDMsgs"),
                "MaxDBDMsgs",
                format!("{m} needs to be at least {}", defaults::MAX_DBD_MSGS),
            ));
        }
        let max_step_cnt = s.u32("MaxStepCount")?.unwrap_or(defaults::MAX_STEP_COUNT);
        if max_step_cnt < 1 {
            return Err(ConfError::bad_value(
                &s.at("MaxStepCount"),
                "MaxStepCount",
                "No steps permitted",
            ));
        }

        let mem = |node_key: &str, cpu_key: &str| -> Result<Option<MemLimit>, ConfError> {
            if let Some(mb) = s.u64(node_key)? {
                return Ok(Some(MemLimit::PerNode(mb)));
            }
            Ok(s.u64(cpu_key)?.map(MemLimit::PerCpu))
        };
        let mut job_defaults = Vec::new();
        if let Some(v) = s.u64("DefCPUPerGPU")? {
            job_defaults.push((JOB_DEF_CPU_PER_GPU, v));
        }
        if let Some(v) = s.u64("DefMemPerGPU")? {
            job_defaults.push((JOB_DEF_MEM_PER_GPU, v));
        }

        let (slurmctld_port, slurmctld_port_count) = s
            .parse("SlurmctldPort", parse_ctld_port)?
            .unwrap_or((defaults::SLURMCTLD_PORT, defaults::SLURMCTLD_PORT_COUNT));

        let slurm_user_name = s.or("SlurmUser", "root");
        let slurmd_user_name = s.or("SlurmdUser", "root");

        // Upstream raises these to their minimums rather than failing.
        let min_job_age = s
            .u32("MinJobAge")?
            .map_or(defaults::MIN_JOB_AGE, |a| a.max(MIN_JOB_AGE_FLOOR));
        let tree_width = match s.u16("TreeWidth")? {
            Some(0) | None => defaults::TREE_WIDTH,
            Some(w) => w,
        };
        let sched_time_slice = match s.u16("SchedulerTimeSlice")? {
            Some(t) if t >= SCHED_TIME_SLICE_FLOOR => t,
            _ => defaults::SCHED_TIME_SLICE,
        };
        let job_requeue = s.u16("JobRequeue")?.map_or(1, |r| r.min(1));
        let suspend_time = match s.str("SuspendTime") {
            None => TimeLimit::Unlimited,
            Some(v)
                if v.eq_ignore_ascii_case("NONE")
                    || v.eq_ignore_ascii_case("INFINITE")
                    || v == "-1" =>
            {
                TimeLimit::Unlimited
            }
            Some(_) => TimeLimit::Finite(
                s.parse("SuspendTime", |v| {
                    v.trim().parse::<u32>().map_err(|e| e.to_string())
                })?
                .unwrap_or(0),
            ),
        };
        let preempt_type = s.or("PreemptType", defaults::PREEMPT_TYPE);
        let preempt_mode = flags::parse_preempt_mode(s.str("PreemptMode"), &preempt_type)
            .map_err(|r| ConfError::bad_value(&s.at("PreemptMode"), "PreemptMode", r))?;
        let proctrack_type = s.or("ProctrackType", defaults::PROCTRACK_TYPE);
        let prolog_flags = s
            .parse("PrologFlags", |v| {
                flags::parse_prolog_flags(v, &proctrack_type)
            })?
            .unwrap_or(0);
        let job_container_plugin = s.or("JobContainerType", defaults::JOB_CONTAINER_PLUGIN);
        if job_container_plugin.contains("tmpfs") && prolog_flags & flags::prolog::CONTAIN == 0 {
            return Err(ConfError::bad_value(
                &s.at("JobContainerType"),
                "JobContainerType",
                "PrologFlags=Contain is required for use with job_container/tmpfs",
            ));
        }
        let task_plugin = s.or("TaskPlugin", defaults::TASK_PLUGIN);
        let preempt_exempt_time = s
            .parse("PreemptExemptTime", values::time_str_to_secs)?
            .map(TimeLimit::to_wire);

        Ok(SlurmConf {
            accounting_storage_enforce,
            accounting_storage_backup_host: s.string("AccountingStorageBackupHost"),
            accounting_storage_host: s.or("AccountingStorageHost", defaults::STORAGE_HOST),
            accounting_storage_ext_host: s.string("AccountingStorageExternalHost"),
            accounting_storage_params: s.string("AccountingStorageParameters"),
            accounting_storage_pass: s.string("AccountingStoragePass"),
            accounting_storage_port,
            accounting_storage_tres,
            accounting_storage_type,
            accounting_storage_user,
            acct_gather_energy_type: s
                .or("AcctGatherEnergyType", defaults::ACCT_GATHER_ENERGY_TYPE),
            acct_gather_filesystem_type: s.or(
                "AcctGatherFilesystemType",
                defaults::ACCT_GATHER_FILESYSTEM_TYPE,
            ),
            acct_gather_interconnect_type: s
                .string("AcctGatherInterconnectType")
                .or_else(|| s.string("AcctGatherInfinibandType"))
                .map(|t| t.replace("infiniband", "interconnect"))
                .unwrap_or_else(|| defaults::ACCT_GATHER_INTERCONNECT_TYPE.to_string()),
            acct_gather_node_freq: s.u16("AcctGatherNodeFreq")?.unwrap_or(0),
            acct_gather_profile_type: s
                .or("AcctGatherProfileType", defaults::ACCT_GATHER_PROFILE_TYPE),
            authalttypes: s.string("AuthAltTypes"),
            authalt_params: s.string("AuthAltParameters"),
            authinfo: s.string("AuthInfo"),
            authtype: s.or("AuthType", defaults::AUTH_TYPE),
            batch_start_timeout: s
                .u16("BatchStartTimeout")?
                .unwrap_or(defaults::BATCH_START_TIMEOUT),
            bb_type: s.string("BurstBufferType"),
            bcast_exclude: s.or("BcastExclude", defaults::BCAST_EXCLUDE),
            bcast_parameters: s
                .string("BcastParameters")
                .or_else(|| s.string("SbcastParameters")),
            cli_filter_plugins: s.string("CliFilterPlugins"),
            cluster_name: s.string("ClusterName").map(|c| c.to_lowercase()),
            comm_params,
            complete_wait: s.u16("CompleteWait")?.unwrap_or(0),
            conf_flags,
            control_hosts,
            core_spec_plugin: s.or("CoreSpecPlugin", defaults::CORE_SPEC_PLUGIN),
            cpu_freq_def: flags::parse_cpu_freq_def(s.str("CpuFreqDef")),
            cpu_freq_govs: flags::parse_cpu_freq_govs(s.str("CpuFreqGovernors")),
            cred_type: s
                .string("CredType")
                .or_else(|| s.string("CryptoType").map(|c| c.replace("crypto", "cred")))
                .unwrap_or_else(|| defaults::CRED_TYPE.to_string()),
            def_mem_per_cpu: mem("DefMemPerNode", "DefMemPerCPU")?,
            debug_flags: s
                .parse("DebugFlags", flags::parse_debug_flags)?
                .unwrap_or(0),
            dependency_params: s.string("DependencyParameters"),
            eio_timeout: s.u16("EioTimeout")?.unwrap_or(defaults::EIO_SHUTDOWN_WAIT),
            enforce_part_limits: s
                .parse("EnforcePartLimits", EnforcePartLimits::parse)?
                .unwrap_or(EnforcePartLimits::No),
            epilog: s.string("Epilog"),
            epilog_msg_time: s.u32("EpilogMsgTime")?.unwrap_or(defaults::EPILOG_MSG_TIME),
            epilog_slurmctld: s.string("EpilogSlurmctld"),
            ext_sensors_type: s.or("ExtSensorsType", defaults::EXT_SENSORS_TYPE),
            ext_sensors_freq: s.u16("ExtSensorsFreq")?.unwrap_or(0),
            fed_params: s.string("FederationParameters"),
            first_job_id,
            fs_dampening_factor: s.u16("FairShareDampeningFactor")?.unwrap_or(1),
            get_env_timeout: s.u16("GetEnvTimeout")?.unwrap_or(defaults::GET_ENV_TIMEOUT),
            gres_plugins: s.string("GresTypes"),
            group_time: s.u16("GroupUpdateTime")?.unwrap_or(defaults::GROUP_TIME),
            group_force: s.u16("GroupUpdateForce")?.unwrap_or(defaults::GROUP_FORCE),
            gpu_freq_def: s.or("GpuFreqDef", defaults::GPU_FREQ_DEF),
            hash_val: raw.hash,
            health_check_interval: s.u16("HealthCheckInterval")?.unwrap_or(0),
            health_check_node_state: flags::parse_health_check_node_state(
                s.str("HealthCheckNodeState"),
            ),
            health_check_program: s.string("HealthCheckProgram"),
            inactive_limit: s.u16("InactiveLimit")?.unwrap_or(0),
            interactive_step_opts: s.or("InteractiveStepOptions", defaults::INTERACTIVE_STEP_OPTS),
            job_acct_gather_freq: s.or("JobAcctGatherFrequency", defaults::JOB_ACCT_GATHER_FREQ),
            job_acct_gather_type: s.or("JobAcctGatherType", defaults::JOB_ACCT_GATHER_TYPE),
            job_acct_gather_params: s.string("JobAcctGatherParams"),
            job_comp_host: s.or("JobCompHost", defaults::STORAGE_HOST),
            job_comp_loc: s.string("JobCompLoc").unwrap_or_else(|| {
                if job_comp_mysql {
                    defaults::JOB_COMP_DB
                } else {
                    defaults::JOB_COMP_LOC
                }
                .to_string()
            }),
            job_comp_params: s.string("JobCompParams"),
            job_comp_pass: s.string("JobCompPass"),
            job_comp_port: s.u32("JobCompPort")?.unwrap_or(if job_comp_mysql {
                u32::from(defaults::MYSQL_PORT)
            } else {
                0
            }),
            job_comp_type,
            job_comp_user: s.or("JobCompUser", defaults::STORAGE_USER),
            job_container_plugin,
            job_credential_private_key: s.string("JobCredentialPrivateKey"),
            job_credential_public_certificate: s.string("JobCredentialPublicCertificate"),
            job_defaults,
            job_file_append: s.u16("JobFileAppend")?.unwrap_or(0),
            job_requeue,
            job_submit_plugins: s.string("JobSubmitPlugins"),
            kill_on_bad_exit: s.u16("KillOnBadExit")?.unwrap_or(0),
            kill_wait: s.u16("KillWait")?.unwrap_or(defaults::KILL_WAIT),
            launch_params: s.string("LaunchParameters"),
            launch_type: s.or("LaunchType", defaults::LAUNCH_TYPE),
            licenses: s.string("Licenses"),
            log_fmt: flags::parse_log_fmt(s.str("LogTimeFormat")),
            mail_domain: s.string("MailDomain"),
            mail_prog: s.or("MailProg", defaults::MAIL_PROG),
            max_array_sz: s.u32("MaxArraySize")?.unwrap_or(defaults::MAX_ARRAY_SIZE),
            max_dbd_msgs,
            max_job_cnt,
            max_job_id,
            max_mem_per_cpu: mem("MaxMemPerNode", "MaxMemPerCPU")?,
            max_node_cnt: s.u32("MaxNodeCount")?,
            max_step_cnt,
            max_tasks_per_node: s
                .u16("MaxTasksPerNode")?
                .unwrap_or(defaults::MAX_TASKS_PER_NODE),
            mcs_plugin: s.or("MCSPlugin", defaults::MCS_PLUGIN),
            mcs_plugin_params: s.string("MCSParameters"),
            min_job_age,
            mpi_default: s.or("MpiDefault", defaults::MPI_DEFAULT),
            mpi_params: s.string("MpiParams"),
            msg_timeout: s.u16("MessageTimeout")?.unwrap_or(defaults::MSG_TIMEOUT),
            node_features_plugins: s.string("NodeFeaturesPlugins"),
            over_time_limit: s.u16("OverTimeLimit")?.unwrap_or(0),
            plugindir: s.or("PluginDir", defaults::PLUGIN_DIR),
            plugstack: s.string("PlugStackConfig"),
            power_parameters: s.string("PowerParameters"),
            power_plugin: s.or("PowerPlugin", defaults::POWER_PLUGIN),
            preempt_mode,
            preempt_type,
            preempt_exempt_time,
            prep_params: s.string("PrEpParameters"),
            prep_plugins: s.or("PrEpPlugins", defaults::PREP_PLUGINS),
            priority_decay_hl: s
                .minutes_as_secs("PriorityDecayHalfLife", defaults::PRIORITY_DECAY)?,
            priority_calc_period: s
                .minutes_as_secs("PriorityCalcPeriod", defaults::PRIORITY_CALC_PERIOD)?,
            priority_favor_small: u16::from(s.flag("PriorityFavorSmall")?),
            priority_flags: flags::parse_priority_flags(s.str("PriorityFlags")),
            priority_max_age: s.minutes_as_secs("PriorityMaxAge", defaults::PRIORITY_DECAY)?,
            priority_params: s.string("PriorityParameters"),
            priority_reset_period: s
                .parse("PriorityUsageResetPeriod", parse_reset_period)?
                .unwrap_or(0),
            priority_type: s.or("PriorityType", defaults::PRIORITY_TYPE),
            priority_weight_age: s.u32("PriorityWeightAge")?.unwrap_or(0),
            priority_weight_assoc: s.u32("PriorityWeightAssoc")?.unwrap_or(0),
            priority_weight_fs: s.u32("PriorityWeightFairshare")?.unwrap_or(0),
            priority_weight_js: s.u32("PriorityWeightJobSize")?.unwrap_or(0),
            priority_weight_part: s.u32("PriorityWeightPartition")?.unwrap_or(0),
            priority_weight_qos: s.u32("PriorityWeightQOS")?.unwrap_or(0),
            priority_weight_tres: s.string("PriorityWeightTRES"),
            private_data: s.str("PrivateData").map_or(0, parse_private_data),
            proctrack_type,
            prolog: s.string("Prolog"),
            prolog_epilog_timeout: s
                .u16("PrologEpilogTimeout")?
                .unwrap_or(defaults::PROLOG_EPILOG_TIMEOUT),
            prolog_slurmctld: s.string("PrologSlurmctld"),
            prolog_flags,
            propagate_prio_process: s.u16("PropagatePrioProcess")?.unwrap_or(0),
            // Upstream keeps only one of the two; Except wins.
            propagate_rlimits: if s.str("PropagateResourceLimitsExcept").is_some() {
                None
            } else {
                Some(s.or("PropagateResourceLimits", "ALL"))
            },
            propagate_rlimits_except: s.string("PropagateResourceLimitsExcept"),
            reboot_program: s.string("RebootProgram"),
            reconfig_flags: s
                .parse("ReconfigFlags", flags::parse_reconfig_flags)?
                .unwrap_or(0),
            requeue_exit: s.string("RequeueExit"),
            requeue_exit_hold: s.string("RequeueExitHold"),
            resume_fail_program: s.string("ResumeFailProgram"),
            resume_program: s.string("ResumeProgram"),
            resume_rate: s.u16("ResumeRate")?.unwrap_or(defaults::RESUME_RATE),
            resume_timeout: s.u16("ResumeTimeout")?.unwrap_or(defaults::RESUME_TIMEOUT),
            resv_epilog: s.string("ResvEpilog"),
            resv_over_run: s.u16("ResvOverRun")?.unwrap_or(0),
            resv_prolog: s.string("ResvProlog"),
            ret2service: s
                .u16("ReturnToService")?
                .unwrap_or(defaults::RETURN_TO_SERVICE),
            route_plugin: s.or("RoutePlugin", defaults::ROUTE_PLUGIN),
            sched_params: s.string("SchedulerParameters"),
            sched_logfile: s.string("SlurmSchedLogFile"),
            sched_log_level: s.u16("SlurmSchedLogLevel")?.unwrap_or(0),
            sched_time_slice,
            schedtype: s.or("SchedulerType", defaults::SCHEDTYPE),
            scron_params: s.string("ScronParameters"),
            select_type: s.or("SelectType", defaults::SELECT_TYPE),
            select_type_param: s
                .parse("SelectTypeParameters", select_type::parse)?
                .unwrap_or(0),
            site_factor_params: s.string("PrioritySiteFactorParameters"),
            site_factor_plugin: s.or("PrioritySiteFactorPlugin", defaults::SITE_FACTOR_PLUGIN),
            slurm_conf: path.display().to_string(),
            slurm_user_id: known_uid(&slurm_user_name),
            slurm_user_name,
            slurmd_user_id: known_uid(&slurmd_user_name),
            slurmd_user_name,
            slurmctld_addr: s.string("SlurmctldAddr"),
            slurmctld_debug: s.log_level("SlurmctldDebug", log_level::INFO)?,
            slurmctld_logfile: s.string("SlurmctldLogFile"),
            slurmctld_params: s.string("SlurmctldParameters"),
            slurmctld_pidfile: s.or("SlurmctldPidFile", defaults::SLURMCTLD_PIDFILE),
            slurmctld_plugstack: s.string("SlurmctldPlugstack"),
            slurmctld_port,
            slurmctld_port_count,
            slurmctld_primary_off_prog: s.string("SlurmctldPrimaryOffProg"),
            slurmctld_primary_on_prog: s.string("SlurmctldPrimaryOnProg"),
            slurmctld_syslog_debug: s.log_level("SlurmctldSyslogDebug", log_level::END)?,
            slurmctld_timeout: s
                .u16("SlurmctldTimeout")?
                .unwrap_or(defaults::SLURMCTLD_TIMEOUT),
            slurmd_debug: s.log_level("SlurmdDebug", log_level::INFO)?,
            slurmd_logfile: s.string("SlurmdLogFile"),
            slurmd_params,
            slurmd_pidfile: s.or("SlurmdPidFile", defaults::SLURMD_PIDFILE),
            slurmd_port: s.u32("SlurmdPort")?.unwrap_or(defaults::SLURMD_PORT),
            slurmd_spooldir: s.or("SlurmdSpoolDir", defaults::SPOOLDIR),
            slurmd_syslog_debug: s.log_level("SlurmdSyslogDebug", log_level::END)?,
            slurmd_timeout: s.u16("SlurmdTimeout")?.unwrap_or(defaults::SLURMD_TIMEOUT),
            srun_epilog: s.string("SrunEpilog"),
            srun_port_range: s.parse("SrunPortRange", parse_srun_ports)?,
            srun_prolog: s.string("SrunProlog"),
            state_save_location: s.or("StateSaveLocation", defaults::SAVE_STATE_LOC),
            suspend_exc_nodes: s.string("SuspendExcNodes"),
            suspend_exc_parts: s.string("SuspendExcParts"),
            suspend_program: s.string("SuspendProgram"),
            suspend_rate: s.u16("SuspendRate")?.unwrap_or(defaults::SUSPEND_RATE),
            suspend_time,
            suspend_timeout: s
                .u16("SuspendTimeout")?
                .unwrap_or(defaults::SUSPEND_TIMEOUT),
            switch_param: s.string("SwitchParameters"),
            switch_type: s.or("SwitchType", defaults::SWITCH_TYPE),
            task_epilog: s.string("TaskEpilog"),
            task_prolog: s.string("TaskProlog"),
            task_plugin_param: s
                .parse("TaskPluginParam", |v| {
                    flags::parse_task_plugin_param(v, &task_plugin)
                })?
                .unwrap_or(0),
            task_plugin,
            tcp_timeout: s.u16("TCPTimeout")?.unwrap_or(defaults::TCP_TIMEOUT),
            tmp_fs: s.or("TmpFS", defaults::TMP_FS),
            topology_param: s.string("TopologyParam"),
            topology_plugin: s.or("TopologyPlugin", defaults::TOPOLOGY_PLUGIN),
            tree_width,
            unkillable_program: s.string("UnkillableStepProgram"),
            unkillable_timeout: s
                .u16("UnkillableStepTimeout")?
                .unwrap_or(defaults::UNKILLABLE_TIMEOUT),
            vsize_factor: s.u16("VSizeFactor")?.unwrap_or(0),
            wait_time: s.u16("WaitTime")?.unwrap_or(0),
            x11_params: s.string("X11Parameters"),
            nodes,
            partitions,
            node_sets,
            down_nodes,
            frontends,
        })
    }
}

#[cfg(test)]
mod tests;
