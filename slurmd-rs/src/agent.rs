//! [`NodeAgent`]: the node's state and the operations RPC handlers call
//! (upstream's `slurmd_req` handlers in `src/slurmd/slurmd/req.c`, minus
//! the decoding). No sockets here: the server decodes a request, checks
//! who sent it, and calls one of these methods.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use nix::sys::signal::Signal;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::config::NodeSettings;
use crate::hw::Hardware;
use crate::step::{
    BatchJob, NodeContext, ReattachReport, SignalScope, StepError, StepExit, StepId, StepInfo,
    StepManager,
};

/// Why a signal request could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    /// Not a signal number this system knows.
    #[error("invalid signal {0}")]
    InvalidSignal(i32),
    /// No step of that job runs here.
    #[error("job {0} has no steps on this node")]
    NoSuchJob(u32),
}

/// One slurmd's node: settings, hardware, and its steps.
pub struct NodeAgent {
    settings: NodeSettings,
    hardware: Mutex<Hardware>,
    steps: StepManager,
    started: SystemTime,
}

impl NodeAgent {
    /// An agent for the node `settings` describes. Step ends arrive on the
    /// returned channel (the RPC layer turns each into
    /// REQUEST_COMPLETE_BATCH_SCRIPT and then calls
    /// [`NodeAgent::step_completion_acknowledged`]).
    pub fn new(
        settings: NodeSettings,
        node: NodeContext,
        hardware: Hardware,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<StepExit>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let steps = StepManager::new(node, move |exit| {
            // The receiver is gone only during shutdown; the record on disk
            // keeps the exit for the next start.
            let _ = tx.send(exit);
        });
        let agent = Arc::new(NodeAgent {
            settings,
            hardware: Mutex::new(hardware),
            steps,
            started: SystemTime::now(),
        });
        (agent, rx)
    }

    /// This node's settings.
    pub fn settings(&self) -> &NodeSettings {
        &self.settings
    }

    /// The step manager (for queries the methods below do not cover).
    pub fn steps(&self) -> &StepManager {
        &self.steps
    }

    /// When this daemon started (registration's `slurmd_start_time`).
    pub fn started(&self) -> SystemTime {
        self.started
    }

    /// Hardware as registration reports it; the uptime is read afresh.
    pub fn hardware(&self) -> Hardware {
        let mut hw = self.hardware.lock().unwrap_or_else(|p| p.into_inner());
        hw.uptime = crate::hw::uptime();
        hw.clone()
    }

    /// Starts a batch job whose credential has been verified
    /// (REQUEST_BATCH_JOB_LAUNCH, upstream `_rpc_batch_job`). Returns once
    /// the script runs; its end arrives on the exit channel.
    pub fn launch_batch(&self, job: BatchJob) -> Result<StepId, StepError> {
        self.steps.launch_batch(&job)
    }

    /// Signals every step of `job_id` (REQUEST_SIGNAL_TASKS with the whole
    /// job, `scancel --signal`; `batch_only` for `--signal=B:` / `-b`).
    /// Returns how many processes were reached.
    pub fn signal_job(
        &self,
        job_id: u32,
        signal: i32,
        batch_only: bool,
    ) -> Result<usize, SignalError> {
        let sig = Signal::try_from(signal).map_err(|_| SignalError::InvalidSignal(signal))?;
        if !self.steps.steps().iter().any(|s| s.step.job_id == job_id) {
            return Err(SignalError::NoSuchJob(job_id));
        }
        let scope = if batch_only {
            SignalScope::BatchShell
        } else {
            SignalScope::All
        };
        Ok(self.steps.signal_job(job_id, sig, scope))
    }

    /// Kills every process of `job_id` (REQUEST_TERMINATE_JOB,
    /// REQUEST_KILL_TIMELIMIT): SIGCONT+SIGTERM, then SIGKILL after
    /// `kill_wait` (KillWait when `None`). Runs on a blocking thread;
    /// resolves once nothing of the job is left (true) or it gave up.
    pub async fn terminate_job(self: &Arc<Self>, job_id: u32, kill_wait: Option<Duration>) -> bool {
        let wait = kill_wait.unwrap_or(Duration::from_secs(u64::from(self.settings.kill_wait)));
        let me = self.clone();
        info!(job_id, kill_wait = ?wait, "terminating job");
        tokio::task::spawn_blocking(move || me.steps.terminate_job(job_id, wait))
            .await
            .unwrap_or(false)
    }

    /// Steps still running, as registration reports them
    /// (MESSAGE_NODE_REGISTRATION_STATUS `step_id` list).
    pub fn running_steps(&self) -> Vec<StepId> {
        self.steps.running_steps()
    }

    /// Steps registration lists (MESSAGE_NODE_REGISTRATION_STATUS
    /// `step_id`): the running ones and those whose end the controller has
    /// not acknowledged yet. Upstream's stepd stays up (state ENDING) until
    /// its completion is through, so its step is listed meanwhile; a
    /// restarted daemon that left out a step which ended while it was down
    /// would make slurmctld requeue the job as "missing from batch node"
    /// (`_purge_missing_jobs`) before the completion arrives.
    pub fn registered_steps(&self) -> Vec<StepId> {
        self.steps.steps().into_iter().map(|s| s.step).collect()
    }

    /// Every step known here, running or ended-but-unreported.
    pub fn all_steps(&self) -> Vec<StepInfo> {
        self.steps.steps()
    }

    /// The controller has the step's completion: forget it and clean up
    /// its script directory (upstream `batch_finish`).
    pub fn step_completion_acknowledged(&self, step: StepId) {
        if let Err(e) = self.steps.release(step) {
            warn!(step = %step, "release: {e}");
        }
    }

    /// At start-up: finds the steps a previous instance left running.
    /// Ended ones are also returned, so their completion can be sent.
    pub fn reattach(&self) -> ReattachReport {
        let report = self.steps.reattach();
        for bad in &report.unreadable {
            warn!("skipping step record: {bad}");
        }
        report
    }
}
