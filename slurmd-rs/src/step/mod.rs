//! The step manager: what upstream's slurmstepd does for a node, without
//! sockets. A job's steps (its batch script, later srun steps and the extern
//! step) live in one map keyed by [`StepId`]; the batch script is simply the
//! step `SLURM_BATCH_SCRIPT` of its job.
//!
//! Rooms:
//! - [`env`]: the environment a batch step gets (`env_array_for_batch_job`,
//!   `setup_env`);
//! - [`fname`]: `%`-patterns of stdio file names (`fname_create`);
//! - [`proctrack`]: finding every process of a step in `/proc`
//!   (proctrack/linuxproc + pgid);
//! - [`record`]: the per-step record that lets a restarted daemon reattach,
//!   and the status file the step's keeper leaves;
//! - `spawn`: writing the script and fork/exec as the user, under a keeper
//!   process that outlives the daemon and records the script's wait status;
//! - [`manager`]: the map of steps, signals, termination and exit reports.

pub mod env;
pub mod fname;
pub mod manager;
pub mod proctrack;
pub mod record;
mod spawn;
pub(crate) use spawn::batch_output_paths;

use std::fmt;
use std::path::PathBuf;

pub use manager::{ReattachReport, SignalScope, StepExit, StepInfo, StepManager, StepState};

/// `NO_VAL`: a 32-bit field that is not set.
pub const NO_VAL: u32 = 0xffff_fffe;
/// `NO_VAL16`.
pub const NO_VAL16: u16 = 0xfffe;
/// `SLURM_BATCH_SCRIPT`: the step id of a job's batch script.
pub const SLURM_BATCH_SCRIPT: u32 = 0xffff_fffb;
/// `SLURM_EXTERN_CONT`: the extern step (PrologFlags=contain).
pub const SLURM_EXTERN_CONT: u32 = 0xffff_fffc;
/// `SLURM_INTERACTIVE_STEP`.
pub const SLURM_INTERACTIVE_STEP: u32 = 0xffff_fffa;
/// `MEM_PER_CPU`: flag bit of `pn_min_memory`.
pub const MEM_PER_CPU: u64 = 0x8000_0000_0000_0000;

/// A step of a job (`slurm_step_id_t` without the het component).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId {
    /// Job id.
    pub job_id: u32,
    /// Step id, or one of the special values (`SLURM_BATCH_SCRIPT`, …).
    pub step_id: u32,
}

impl StepId {
    /// The batch script step of `job_id`.
    pub fn batch(job_id: u32) -> Self {
        StepId {
            job_id,
            step_id: SLURM_BATCH_SCRIPT,
        }
    }

    /// Whether this is a batch script step.
    pub fn is_batch(&self) -> bool {
        self.step_id == SLURM_BATCH_SCRIPT
    }
}

impl fmt::Display for StepId {
    /// Upstream's log form: `1234.batch`, `1234.extern`, `1234.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step_id {
            SLURM_BATCH_SCRIPT => write!(f, "{}.batch", self.job_id),
            SLURM_EXTERN_CONT => write!(f, "{}.extern", self.job_id),
            SLURM_INTERACTIVE_STEP => write!(f, "{}.interactive", self.job_id),
            s => write!(f, "{}.{}", self.job_id, s),
        }
    }
}

/// How stdout/stderr files are opened (`open_mode`, `OPEN_MODE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenMode {
    /// 0: slurm.conf's `JobFileAppend` decides.
    #[default]
    Default,
    /// 1 (`OPEN_MODE_APPEND`).
    Append,
    /// 2 (`OPEN_MODE_TRUNCATE`).
    Truncate,
}

impl OpenMode {
    /// From the wire value (anything unknown means "default").
    pub fn from_wire(v: u8) -> Self {
        match v {
            1 => OpenMode::Append,
            2 => OpenMode::Truncate,
            _ => OpenMode::Default,
        }
    }

    /// Whether files are appended to (`io_get_file_flags`).
    pub fn appends(self, job_file_append: bool) -> bool {
        match self {
            OpenMode::Append => true,
            OpenMode::Truncate => false,
            OpenMode::Default => job_file_append,
        }
    }
}

/// A batch job as REQUEST_BATCH_JOB_LAUNCH (`batch_job_launch_msg_t`)
/// describes it, after the credential has been checked. Field names follow
/// upstream's. The job name, submit dir and submit host are not here: as
/// upstream, they arrive in `environment` (SLURM_JOB_NAME,
/// SLURM_SUBMIT_DIR, SLURM_SUBMIT_HOST, set by sbatch).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchJob {
    /// `job_id`.
    pub job_id: u32,
    /// `uid` of the submitting user.
    pub uid: u32,
    /// `gid`.
    pub gid: u32,
    /// `gids`: supplementary groups (from the credential when it carries them).
    pub gids: Vec<u32>,
    /// `user_name`.
    pub user_name: String,
    /// `partition`.
    pub partition: String,
    /// `ntasks` (0 when not requested).
    pub ntasks: u32,
    /// `pn_min_memory` (with [`MEM_PER_CPU`] for per-CPU values; 0 unset).
    pub pn_min_memory: u64,
    /// `open_mode`.
    pub open_mode: OpenMode,
    /// `overcommit`.
    pub overcommit: bool,
    /// `array_job_id`.
    pub array_job_id: u32,
    /// `array_task_id` ([`NO_VAL`] when not an array job).
    pub array_task_id: u32,
    /// `cpus_per_task` (0 or [`NO_VAL16`] when not requested).
    pub cpus_per_task: u16,
    /// `restart_cnt`.
    pub restart_cnt: u16,
    /// `cpus_per_node` (compressed, with `cpu_count_reps`).
    pub cpus_per_node: Vec<u16>,
    /// `cpu_count_reps`.
    pub cpu_count_reps: Vec<u32>,
    /// `alias_list`.
    pub alias_list: Option<String>,
    /// `nodes`: the job's node list.
    pub nodes: String,
    /// `script`: the script text.
    pub script: String,
    /// `work_dir`.
    pub work_dir: String,
    /// `std_err` pattern (`None`: same as stdout).
    pub std_err: Option<String>,
    /// `std_in` pattern (`None`: /dev/null).
    pub std_in: Option<String>,
    /// `std_out` pattern (`None`: `slurm-%J.out` / `slurm-%A_%a.out`).
    pub std_out: Option<String>,
    /// `argv` (argv[0] is replaced by the script path, as upstream).
    pub argv: Vec<String>,
    /// `environment`: the final job environment from sbatch/ctld.
    pub environment: Vec<String>,
    /// `account`.
    pub account: Option<String>,
    /// `qos`.
    pub qos: Option<String>,
    /// `resv_name`.
    pub resv_name: Option<String>,
    /// `tres_bind`.
    pub tres_bind: Option<String>,
    /// `tres_freq`.
    pub tres_freq: Option<String>,
    /// This node's share of the credential's job GRES (its GPUs).
    pub gres: Vec<crate::gres::JobGres>,
}

/// What the step manager knows about the node it runs for.
#[derive(Debug, Clone)]
pub struct NodeContext {
    /// `NodeName` (SLURMD_NODENAME, HOSTNAME in a batch job).
    pub node_name: String,
    /// Short host name (`conf->hostname`; `%N` of batch stdio names).
    pub hostname: String,
    /// CPUs of the node (SLURM_CPUS_ON_NODE when the launch has none).
    pub cpus: u16,
    /// `ClusterName` (`None` prints as upstream's `(null)`).
    pub cluster_name: Option<String>,
    /// Path of slurm.conf (SLURM_CONF).
    pub conf_path: String,
    /// SLURM_WORKING_CLUSTER value (see `config::working_cluster`).
    pub working_cluster: String,
    /// `SlurmdSpoolDir` (expanded).
    pub spool_dir: PathBuf,
    /// `JobFileAppend`.
    pub job_file_append: bool,
    /// The node's GRES (registration block, GPU devices and variables).
    pub gres: std::sync::Arc<crate::gres::NodeGres>,
}

impl StepError {
    /// The Slurm error upstream reports for this failure (what
    /// `_launch_job_fail` / REQUEST_COMPLETE_BATCH_SCRIPT carry): batch
    /// directory and script problems are ESLURMD_CREATE_BATCH_DIR_ERROR,
    /// identity changes ESLURMD_SET_UID_OR_GID_ERROR, stdio files
    /// ESLURMD_IO_ERROR, the rest of the start ESLURMD_EXECVE_FAILED
    /// (`mgr_launch_batch_job_setup`, `job_manager` in `mgr.c`).
    pub fn slurm_rc(&self) -> wire::errno::SlurmRc {
        use wire::errno::SlurmRc;
        match self {
            StepError::InvalidLaunch { .. } => SlurmRc::ESLURMD_SETUP_ENVIRONMENT_ERROR,
            StepError::EmptyScript(_) | StepError::Io { .. } => {
                SlurmRc::ESLURMD_CREATE_BATCH_DIR_ERROR
            }
            StepError::Duplicate(_) => SlurmRc::ESLURMD_STEP_EXISTS,
            StepError::StillRunning(_) => SlurmRc::ESLURMD_STEP_EXISTS,
            StepError::NotFound(_) => SlurmRc::ESLURMD_JOB_NOTRUNNING,
            StepError::Exec { stage, .. } => match *stage {
                "setgroups" | "setgid" | "setuid" => SlurmRc::ESLURMD_SET_UID_OR_GID_ERROR,
                "open stdin" | "open stdout" | "open stderr" | "dup2" => SlurmRc::ESLURMD_IO_ERROR,
                _ => SlurmRc::ESLURMD_EXECVE_FAILED,
            },
        }
    }
}

/// Why a step could not be started or acted on.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The launch is unusable (empty script, bad user…).
    #[error("invalid launch for job {job_id}: {reason}")]
    InvalidLaunch {
        /// Job id.
        job_id: u32,
        /// What is wrong.
        reason: String,
    },
    /// The launch carries no script.
    #[error("job {0}: empty batch script")]
    EmptyScript(u32),
    /// This step is already running here.
    #[error("step {0} already exists")]
    Duplicate(StepId),
    /// The step still runs, so it cannot be released.
    #[error("step {0} still running")]
    StillRunning(StepId),
    /// No such step on this node.
    #[error("step {0} not found")]
    NotFound(StepId),
    /// A file operation failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Path involved.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The child failed before exec; `stage` says where.
    #[error("cannot start step {step}: {stage}: {source}")]
    Exec {
        /// The step.
        step: StepId,
        /// What the child was doing.
        stage: &'static str,
        /// errno from the child.
        source: std::io::Error,
    },
}
