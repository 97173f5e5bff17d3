//! The map of steps on this node and everything done to them: launch,
//! signals, termination, exit reports, and reattaching after a restart.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tracing::{debug, info, warn};

use super::env;
use super::proctrack::{self, ProcInfo};
use super::record::{self, Keeper, StepRecord};
use super::spawn;
use super::{BatchJob, NodeContext, StepError, StepId};

/// How a step ended, as upstream reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepExit {
    /// The step.
    pub step: StepId,
    /// Raw wait status of the leader (what REQUEST_COMPLETE_BATCH_SCRIPT
    /// carries as `job_rc`), as its keeper recorded it, also across a
    /// daemon restart. `None` when it is unknown: the keeper was killed, or
    /// the step was started by a version without keepers and ended while
    /// no daemon was watching.
    pub status: Option<i32>,
}

impl StepExit {
    /// Exit code when the leader exited normally.
    pub fn exit_code(&self) -> Option<i32> {
        self.status
            .filter(|s| libc::WIFEXITED(*s))
            .map(|s| libc::WEXITSTATUS(s))
    }

    /// Signal number when the leader was killed by a signal.
    pub fn signal(&self) -> Option<i32> {
        self.status
            .filter(|s| libc::WIFSIGNALED(*s))
            .map(|s| libc::WTERMSIG(s))
    }
}

/// Where a step is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// The leader runs.
    Running,
    /// The leader ended; the step stays until [`StepManager::release`]
    /// (after the controller has been told).
    Exited(StepExit),
}

/// A step as registration and status queries see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInfo {
    /// The step.
    pub step: StepId,
    /// Its stderr file, when this process started it.
    pub stderr_path: Option<String>,
    /// Leader pid.
    pub pid: i32,
    /// Job owner.
    pub uid: u32,
    /// State.
    pub state: StepState,
    /// Whether it was found again after a restart rather than started by
    /// this process.
    pub reattached: bool,
}

/// Who a signal goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalScope {
    /// The step's leader only (`--signal=B:…`, `scancel -b`).
    BatchShell,
    /// Every process of the step.
    All,
}

/// What [`StepManager::reattach`] found.
#[derive(Debug, Default)]
pub struct ReattachReport {
    /// Steps whose leader still runs; they are watched again.
    pub running: Vec<StepId>,
    /// Steps that ended while no daemon was watching, or whose end was
    /// never reported; their exit is in the map as [`StepState::Exited`].
    pub ended: Vec<StepExit>,
    /// Unreadable record files (skipped).
    pub unreadable: Vec<String>,
}

struct Entry {
    record: StepRecord,
    state: StepState,
    reattached: bool,
    /// Every process seen in the step, with its start time.
    tracked: BTreeSet<(i32, u64)>,
    job_dir: Option<PathBuf>,
    script: Option<PathBuf>,
    /// The step's stderr file (where slurmstepd writes its banners).
    stderr_path: Option<String>,
}

type ExitHook = Box<dyn Fn(StepExit) + Send + Sync>;

struct Inner {
    node: NodeContext,
    records_dir: PathBuf,
    steps: Mutex<HashMap<StepId, Entry>>,
    on_exit: ExitHook,
}

/// The steps of this node. Cheap to clone; all clones share one map.
#[derive(Clone)]
pub struct StepManager {
    inner: Arc<Inner>,
}

/// How often the tracker refreshes every running step's process set.
const TRACK_INTERVAL: Duration = Duration::from_millis(500);

impl StepManager {
    /// A manager for `node`. `on_exit` is called (from a watcher thread)
    /// once per step when its leader ends; the RPC layer sends
    /// REQUEST_COMPLETE_BATCH_SCRIPT from there.
    pub fn new(node: NodeContext, on_exit: impl Fn(StepExit) + Send + Sync + 'static) -> Self {
        let records_dir = node.spool_dir.join("rs-steps");
        let inner = Arc::new(Inner {
            node,
            records_dir,
            steps: Mutex::new(HashMap::new()),
            on_exit: Box::new(on_exit),
        });
        let weak = Arc::downgrade(&inner);
        let _ = std::thread::Builder::new()
            .name("step-tracker".into())
            .spawn(move || track_loop(weak));
        StepManager { inner }
    }

    /// The node this manager runs steps for.
    pub fn node(&self) -> &NodeContext {
        &self.inner.node
    }

    /// Directory of the per-step records.
    pub fn records_dir(&self) -> &std::path::Path {
        &self.inner.records_dir
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<StepId, Entry>> {
        self.inner.steps.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the script and starts the batch step of `job` as its user
    /// (upstream `_rpc_batch_job` → slurmstepd `mgr_launch_batch_job_setup`
    /// and `job_manager`). Returns once the script has been exec'd.
    pub fn launch_batch(&self, job: &BatchJob) -> Result<StepId, StepError> {
        let step = StepId::batch(job.job_id);
        if job.user_name.is_empty() {
            return Err(StepError::InvalidLaunch {
                job_id: job.job_id,
                reason: "no user name".into(),
            });
        }
        let benv = env::batch_environment(job, &self.inner.node);
        let mut steps = self.lock();
        if steps.contains_key(&step) {
            return Err(StepError::Duplicate(step));
        }
        let status_path = self
            .inner
            .records_dir
            .join(record::status_file_name(&self.inner.node.node_name, step));
        let spawned = spawn::spawn_batch(job, &self.inner.node, &benv, &status_path)?;
        let record = StepRecord {
            step,
            node_name: self.inner.node.node_name.clone(),
            pid: spawned.pid,
            pgid: spawned.pid,
            start_time: spawned.start_time,
            uid: job.uid,
            gid: job.gid,
            exit_status: None,
            keeper: Some(Keeper {
                pid: spawned.keeper_pid,
                start_time: spawned.keeper_start_time,
            }),
        };
        if let Err(e) = record.save(&self.inner.records_dir) {
            // The step runs; only a restart would lose track of it.
            warn!(step = %step, "cannot save step record: {e}");
        }
        info!(step = %step, pid = spawned.pid, keeper = spawned.keeper_pid, uid = job.uid, stdout = %spawned.stdout_path, stderr = %spawned.stderr_path, "launched batch script");
        steps.insert(
            step,
            Entry {
                record,
                state: StepState::Running,
                reattached: false,
                tracked: BTreeSet::from([(spawned.pid, spawned.start_time)]),
                job_dir: Some(spawned.job_dir),
                script: Some(spawned.script),
                stderr_path: Some(spawned.stderr_path.to_string()),
            },
        );
        drop(steps);
        let weak = Arc::downgrade(&self.inner);
        let keeper = spawned.keeper_pid;
        let spawn = std::thread::Builder::new()
            .name(format!("wait-{step}"))
            .spawn(move || wait_keeper(weak, step, keeper));
        if let Err(e) = spawn {
            warn!(step = %step, "cannot start waiter thread: {e}");
        }
        Ok(step)
    }

    /// Every step in the map.
    pub fn steps(&self) -> Vec<StepInfo> {
        let mut v: Vec<StepInfo> = self
            .lock()
            .values()
            .map(|e| StepInfo {
                step: e.record.step,
                stderr_path: e.stderr_path.clone(),
                pid: e.record.pid,
                uid: e.record.uid,
                state: e.state,
                reattached: e.reattached,
            })
            .collect();
        v.sort_by_key(|s| s.step);
        v
    }

    /// Steps whose leader still runs (what registration reports).
    pub fn running_steps(&self) -> Vec<StepId> {
        self.steps()
            .into_iter()
            .filter(|s| s.state == StepState::Running)
            .map(|s| s.step)
            .collect()
    }

    /// State of one step.
    pub fn state(&self, step: StepId) -> Option<StepState> {
        self.lock().get(&step).map(|e| e.state)
    }

    /// Waits up to `timeout` for `step` to end.
    pub fn wait_exit(&self, step: StepId, timeout: Duration) -> Option<StepExit> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.state(step) {
                Some(StepState::Exited(x)) => return Some(x),
                None => return None,
                Some(StepState::Running) if Instant::now() >= deadline => return None,
                Some(StepState::Running) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// Live processes of `step` now (leader, descendants, its process group
    /// and session, and processes tracked earlier). With `by_environ`, also
    /// the user's processes whose environment names this job and node.
    pub fn processes(&self, step: StepId, by_environ: bool) -> Vec<ProcInfo> {
        let snap = proctrack::snapshot();
        let mut steps = self.lock();
        let Some(entry) = steps.get_mut(&step) else {
            return Vec::new();
        };
        let node = &self.inner.node;
        step_processes(entry, &snap, by_environ.then_some(node.node_name.as_str()))
    }

    /// Sends `sig` to the step (upstream REQUEST_SIGNAL_TASKS → stepd).
    /// Returns how many processes were signalled.
    pub fn signal(
        &self,
        step: StepId,
        sig: Signal,
        scope: SignalScope,
    ) -> Result<usize, StepError> {
        let (leader, running) = {
            let steps = self.lock();
            let e = steps.get(&step).ok_or(StepError::NotFound(step))?;
            (
                (e.record.pid, e.record.start_time),
                e.state == StepState::Running,
            )
        };
        match scope {
            SignalScope::BatchShell => {
                if running && proctrack::live_start_time(leader.0) == Some(leader.1) {
                    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(leader.0), sig);
                    return Ok(1);
                }
                Ok(0)
            }
            SignalScope::All => {
                let procs = self.processes(step, false);
                for p in &procs {
                    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p.pid), sig);
                }
                debug!(step = %step, signal = %sig, count = procs.len(), "signalled step");
                Ok(procs.len())
            }
        }
    }

    /// Sends `sig` to every step of `job_id`; returns the processes reached.
    pub fn signal_job(&self, job_id: u32, sig: Signal, scope: SignalScope) -> usize {
        let ids: Vec<StepId> = self
            .lock()
            .keys()
            .filter(|s| s.job_id == job_id)
            .copied()
            .collect();
        ids.into_iter()
            .filter_map(|s| self.signal(s, sig, scope).ok())
            .sum()
    }

    /// Kills the whole step as upstream does on cancel and time limit:
    /// SIGCONT and SIGTERM to every process, SIGKILL to what is left after
    /// `kill_wait`, repeated until nothing of the step remains. Blocks;
    /// returns whether every process is gone.
    pub fn terminate(&self, step: StepId, kill_wait: Duration) -> Result<bool, StepError> {
        if !self.lock().contains_key(&step) {
            return Err(StepError::NotFound(step));
        }
        let send = |sig: Signal, procs: &[ProcInfo]| {
            for p in procs.iter().filter(|p| p.is_live()) {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p.pid), sig);
            }
        };
        let live = |m: &Self| -> Vec<ProcInfo> {
            m.processes(step, true)
                .into_iter()
                .filter(ProcInfo::is_live)
                .collect()
        };
        let procs = live(self);
        send(Signal::SIGCONT, &procs);
        send(Signal::SIGTERM, &procs);
        info!(step = %step, count = procs.len(), "sent SIGTERM to step");
        let deadline = Instant::now() + kill_wait;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            if live(self).is_empty() {
                return Ok(true);
            }
        }
        for round in 0..50 {
            let procs = live(self);
            if procs.is_empty() {
                return Ok(true);
            }
            if round == 0 {
                info!(step = %step, count = procs.len(), "KillWait over, sending SIGKILL");
            }
            send(Signal::SIGKILL, &procs);
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(live(self).is_empty())
    }

    /// Terminates every step of `job_id` (REQUEST_TERMINATE_JOB); steps run
    /// down in parallel. Returns whether all of them are gone.
    pub fn terminate_job(&self, job_id: u32, kill_wait: Duration) -> bool {
        let ids: Vec<StepId> = self
            .lock()
            .keys()
            .filter(|s| s.job_id == job_id)
            .copied()
            .collect();
        let mut all_gone = true;
        let mut handles = Vec::new();
        for s in ids {
            let m = self.clone();
            match std::thread::Builder::new()
                .name(format!("kill-{s}"))
                .spawn(move || m.terminate(s, kill_wait).unwrap_or(true))
            {
                Ok(h) => handles.push(h),
                // No thread to spare: run this one down here.
                Err(_) => all_gone &= self.terminate(s, kill_wait).unwrap_or(true),
            }
        }
        handles
            .into_iter()
            .fold(all_gone, |acc, h| h.join().unwrap_or(false) && acc)
    }

    /// Forgets an ended step once the controller knows (upstream
    /// `batch_finish`): removes its record, script and job directory.
    pub fn release(&self, step: StepId) -> Result<(), StepError> {
        let entry = {
            let mut steps = self.lock();
            match steps.get(&step) {
                Some(e) if matches!(e.state, StepState::Running) => {
                    return Err(StepError::StillRunning(step))
                }
                Some(_) => {}
                None => return Err(StepError::NotFound(step)),
            }
            steps.remove(&step)
        };
        if let Some(e) = entry {
            if let Err(err) = e.record.remove(&self.inner.records_dir) {
                warn!(step = %step, "{err}");
            }
            let dir = e
                .job_dir
                .unwrap_or_else(|| spawn::job_dir(&self.inner.node.spool_dir, step));
            let script = e.script.unwrap_or_else(|| dir.join("slurm_script"));
            let _ = std::fs::remove_file(&script);
            if let Err(err) = std::fs::remove_dir(&dir) {
                if err.kind() != std::io::ErrorKind::NotFound {
                    warn!(step = %step, "rmdir {}: {err}", dir.display());
                }
            }
        }
        Ok(())
    }

    /// After a restart: loads this node's step records and puts every step
    /// back in the map. A step whose keeper left a status has ended with
    /// it; one whose keeper or leader still runs (same pid and start time)
    /// is watched again, and its status read when the keeper is done; the
    /// others ended with an unknown status.
    pub fn reattach(&self) -> ReattachReport {
        let dir = &self.inner.records_dir;
        let (records, bad) = record::load_all(dir, &self.inner.node.node_name);
        let mut report = ReattachReport {
            unreadable: bad.iter().map(ToString::to_string).collect(),
            ..Default::default()
        };
        for mut rec in records {
            let step = rec.step;
            if self.lock().contains_key(&step) {
                continue;
            }
            // Liveness first, then the status file: a keeper that exits in
            // between has written the file before it went.
            let alive = rec.keeper_alive() || rec.leader_alive();
            if rec.exit_status.is_none() {
                rec.exit_status = rec.read_status(dir);
            }
            let running = alive && rec.exit_status.is_none();
            let state = if running {
                StepState::Running
            } else {
                StepState::Exited(StepExit {
                    step,
                    status: rec.exit_status,
                })
            };
            let tracked = BTreeSet::from([(rec.pid, rec.start_time)]);
            self.lock().insert(
                step,
                Entry {
                    record: rec.clone(),
                    state,
                    reattached: true,
                    tracked,
                    job_dir: None,
                    script: None,
                    stderr_path: None,
                },
            );
            if running {
                info!(step = %step, pid = rec.pid, keeper = ?rec.keeper.map(|k| k.pid), "reattached to running step");
                report.running.push(step);
                let weak = Arc::downgrade(&self.inner);
                let _ = std::thread::Builder::new()
                    .name(format!("watch-{step}"))
                    .spawn(move || watch_foreign(weak, rec));
            } else {
                info!(step = %step, status = ?rec.exit_status, "step ended while slurmd was down");
                report.ended.push(StepExit {
                    step,
                    status: rec.exit_status,
                });
            }
        }
        report
    }

    /// `slurmd -c`: forgets every saved step record of this node (running
    /// processes are left alone and no longer tracked).
    pub fn clear_records(&self) -> std::io::Result<usize> {
        let (records, _) = record::load_all(&self.inner.records_dir, &self.inner.node.node_name);
        let n = records.len();
        for r in records {
            let _ = r.remove(&self.inner.records_dir);
        }
        Ok(n)
    }
}

/// The live processes of one step; updates its tracked set.
fn step_processes(
    entry: &mut Entry,
    snap: &[ProcInfo],
    environ_node: Option<&str>,
) -> Vec<ProcInfo> {
    let rec = &entry.record;
    let me = std::process::id() as i32;
    let by_pid: HashMap<i32, &ProcInfo> = snap.iter().map(|p| (p.pid, p)).collect();
    let mut members: BTreeSet<i32> = BTreeSet::new();
    let leader_alive = by_pid
        .get(&rec.pid)
        .is_some_and(|p| p.start_time == rec.start_time);
    if leader_alive {
        members.insert(rec.pid);
        members.extend(proctrack::descendants(snap, rec.pid));
    }
    for p in snap {
        // The process group and session are the leader's pid; a recycled
        // pid could head a new group, so only trust them while the group
        // members started after the leader.
        if (p.pgid == rec.pgid || p.sid == rec.pgid) && p.start_time >= rec.start_time {
            members.insert(p.pid);
        }
    }
    for &(pid, start) in &entry.tracked {
        if by_pid.get(&pid).is_some_and(|p| p.start_time == start) {
            members.insert(pid);
        }
    }
    if let Some(node) = environ_node {
        let needles = [
            format!("SLURM_JOB_ID={}", rec.step.job_id),
            format!("SLURMD_NODENAME={node}"),
        ];
        let step_needle;
        let (needles, absent): (Vec<String>, Vec<&str>) = if rec.step.is_batch() {
            (needles.to_vec(), vec!["SLURM_STEP_ID"])
        } else {
            step_needle = format!("SLURM_STEP_ID={}", rec.step.step_id);
            (
                needles.iter().cloned().chain([step_needle]).collect(),
                vec![],
            )
        };
        for p in snap {
            // Only the job owner's processes: a root daemon that happens to
            // carry the variables is never a job process.
            if p.uid == rec.uid
                && p.uid != 0
                && p.start_time >= rec.start_time
                && !members.contains(&p.pid)
                && proctrack::environ_matches(p.pid, &needles, &absent)
            {
                members.insert(p.pid);
            }
        }
    }
    // Never this daemon, init, or the step's keeper (it must live to
    // record the leader's end; it is the leader's parent, not a member).
    let keeper = rec.keeper.map(|k| k.pid);
    let outsiders = |m: &mut BTreeSet<i32>| {
        m.remove(&me);
        m.remove(&1);
        if let Some(k) = keeper {
            m.remove(&k);
        }
    };
    outsiders(&mut members);
    // Descendants of descendants found by other means.
    let extra: Vec<i32> = members
        .iter()
        .flat_map(|&m| proctrack::descendants(snap, m))
        .collect();
    members.extend(extra);
    outsiders(&mut members);
    let out: Vec<ProcInfo> = members
        .iter()
        .filter_map(|pid| by_pid.get(pid).map(|p| **p))
        .collect();
    for p in &out {
        if p.is_live() {
            entry.tracked.insert((p.pid, p.start_time));
        }
    }
    // Forget processes that are gone, so the set stays small.
    entry
        .tracked
        .retain(|(pid, start)| by_pid.get(pid).is_some_and(|p| p.start_time == *start));
    out
}

fn finish(inner: &Inner, step: StepId, status: Option<i32>) {
    let exit = StepExit { step, status };
    {
        let mut steps = inner.steps.lock().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = steps.get_mut(&step) else {
            return;
        };
        entry.state = StepState::Exited(exit);
        entry.record.exit_status = status;
        if status.is_some() {
            if let Err(e) = entry.record.save(&inner.records_dir) {
                warn!(step = %step, "cannot save exit status: {e}");
            }
        }
    }
    info!(step = %step, status = ?status, code = ?exit.exit_code(), signal = ?exit.signal(), "step leader ended");
    (inner.on_exit)(exit);
}

/// Reaps the keeper this process forked and reports the status it left.
fn wait_keeper(inner: Weak<Inner>, step: StepId, keeper: i32) {
    let mut status = 0;
    let r = loop {
        // SAFETY: waiting for a child this process forked.
        let r = unsafe { libc::waitpid(keeper, &mut status, 0) };
        if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    if r != keeper {
        warn!(step = %step, keeper, "cannot wait for the keeper: {}", std::io::Error::last_os_error());
    } else if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        warn!(step = %step, keeper, status, "keeper did not record the exit status");
    }
    let rec = match inner.upgrade() {
        Some(i) => i
            .steps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&step)
            .map(|e| e.record.clone()),
        None => return,
    };
    // Normally the leader is gone and the status is there (no wait); a
    // keeper killed under a running leader leaves the leader to be watched.
    if let Some(rec) = rec {
        watch_foreign(inner, rec);
    }
}

/// Watches a step whose keeper is not our child (after a restart), or whose
/// keeper is gone while its leader runs: polls until neither runs, then
/// reports the status the keeper left (`None` if it left none).
fn watch_foreign(inner: Weak<Inner>, rec: StepRecord) {
    while rec.keeper_alive() || rec.leader_alive() {
        std::thread::sleep(Duration::from_millis(500));
        if inner.strong_count() == 0 {
            return;
        }
    }
    if let Some(inner) = inner.upgrade() {
        let status = rec.read_status(&inner.records_dir);
        finish(&inner, rec.step, status);
    }
}

/// Refreshes every running step's process set, so children that leave the
/// process tree (setsid + orphaned) are still known when the step is killed.
fn track_loop(inner: Weak<Inner>) {
    loop {
        std::thread::sleep(TRACK_INTERVAL);
        let Some(inner) = inner.upgrade() else { return };
        let mut steps = inner.steps.lock().unwrap_or_else(|p| p.into_inner());
        if steps.values().all(|e| e.state != StepState::Running) {
            continue;
        }
        drop(steps);
        let snap = proctrack::snapshot();
        steps = inner.steps.lock().unwrap_or_else(|p| p.into_inner());
        for e in steps.values_mut() {
            step_processes(e, &snap, None);
        }
    }
}
