//! The node daemon's side of srun steps (`_rpc_launch_tasks`,
//! `_rpc_signal_tasks`/`_rpc_terminate_tasks` for srun steps, and the
//! srun-step part of `_rpc_terminate_job`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::{debug, error, info, warn};

use wire::errno::SlurmRc;
use wire::msg::cred::CredError;
use wire::msg::srun::LaunchTasksRequest;
use wire::msg::{Message, SignalTasks};

use super::stepd::Request as StepdRequest;
use super::{Handover, StepRecord};
use crate::server::{Request, Server};

/// The credential's lifetime (`AuthInfo cred_expire=`, default 120 s).
const CRED_EXPIRE_SECS: i64 = 120;
/// How long the step daemon may take to fork the tasks.
const STEPD_START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the batch step's signals go ahead of the srun steps' ones.
const BATCH_HEAD_START: Duration = Duration::from_millis(200);
/// How long a cancelled step's daemon has to kill the tasks itself.
const CANCEL_FALLBACK: Duration = Duration::from_millis(500);
/// The step daemon executable, found next to slurmd-rs.
const STEPD_BIN: &str = "slurmstepd-rs";

fn rc(rc: SlurmRc) -> Option<Message> {
    Some(Message::SlurmRc { rc: rc.0 })
}

fn privileged(server: &Server, uid: u32) -> bool {
    uid == 0 || uid == server.cfg.slurm_user
}

fn spool(server: &Server) -> &Path {
    &server.agent.settings().spool_dir
}

/// The step's GPU variables on this node, from its credential's step GRES
/// (`gres_g_step_set_env`); unset ones are left out.
fn step_gres_env(server: &Server, l: &LaunchTasksRequest, node_name: &str) -> Vec<String> {
    let gres = crate::gres::JobGres::for_step(&l.cred.credential, node_name);
    let mut env = Vec::new();
    server.agent.steps().node().gres.job_env(&mut env, &gres);
    // A step's own list is SLURM_STEP_GPUS (the job's stays as srun sent it).
    env.iter()
        .map(|kv| match kv.strip_prefix("SLURM_JOB_GPUS=") {
            Some(v) => format!("SLURM_STEP_GPUS={v}"),
            None => kv.clone(),
        })
        .collect()
}

/// `_rpc_launch_tasks`: check the request, start its step daemon, and
/// answer with what the daemon says about starting the tasks.
pub async fn launch(server: &Arc<Server>, req: &Request, l: LaunchTasksRequest) -> Option<Message> {
    let step = format!("{}.{}", l.step_id.job_id, l.step_id.step_id);
    if let Err(code) = check_request(server, req, &l) {
        error!(step, uid = req.uid, "launch tasks refused ({code})");
        return rc(code);
    }
    info!(
        step,
        uid = l.uid,
        "launch task StepId={step} request from UID:{}",
        req.uid
    );
    let settings = server.agent.settings();
    let handover = Handover {
        conf_path: server.agent.steps().node().conf_path.clone(),
        node_name: settings.node_name.clone(),
        spool_dir: settings.spool_dir.to_string_lossy().into_owned(),
        log_file: settings
            .log_file
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
        srun_ip: req.peer.ip().to_string(),
        node_cpus: settings.node.cpus,
        version: req.header.version.0,
        body: req.body.clone(),
        gres_env: step_gres_env(server, &l, &settings.node_name),
    };
    match start_stepd(&handover).await {
        Ok(()) => rc(SlurmRc::SUCCESS),
        Err((code, why)) => {
            error!(step, "step daemon failed to launch the tasks: {why}");
            rc(code)
        }
    }
}

/// Who may launch, and the signed credential (`_check_job_credential`).
fn check_request(server: &Server, req: &Request, l: &LaunchTasksRequest) -> Result<(), SlurmRc> {
    if req.uid != l.uid && !privileged(server, req.uid) {
        return Err(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let signers = [0, server.cfg.slurm_user];
    match l.cred.verify(server.auth.as_ref(), &signers) {
        Ok(()) => {}
        // Several slurmds sharing one munged (test clusters) each decode the
        // same token: munged says "replayed" after the first. Its MAC did
        // verify; what cannot be compared then is the payload.
        Err(CredError::SignatureReplayed) => {
            debug!("job credential token already decoded on this host; accepted")
        }
        Err(e) => {
            warn!("job credential refused: {e}");
            return Err(e.slurm_rc());
        }
    }
    l.cred
        .check_expiry(crate::ctld::now(), CRED_EXPIRE_SECS)
        .map_err(|e| e.slurm_rc())?;
    let c = &l.cred.credential;
    if c.step_id.job_id != l.step_id.job_id
        || c.step_id.step_id != l.step_id.step_id
        || c.uid != l.uid
        || c.gid != l.gid
    {
        warn!("job credential does not match the launch request");
        return Err(SlurmRc::ESLURMD_INVALID_JOB_CREDENTIAL);
    }
    Ok(())
}

fn stepd_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(STEPD_BIN)))
        .unwrap_or_else(|| PathBuf::from(STEPD_BIN))
}

/// Execs the step daemon in a session of its own, hands it the request,
/// and waits for its one-line verdict: `ok`, or `error <rc> <why>`.
async fn start_stepd(handover: &Handover) -> Result<(), (SlurmRc, String)> {
    let fail = |why: String| (SlurmRc::ESLURMD_FORK_FAILED, why);
    let mut cmd = tokio::process::Command::new(stepd_path());
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    // SAFETY: setsid is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| fail(format!("cannot run {}: {e}", stepd_path().display())))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    stdin
        .write_all(&handover.to_bytes())
        .await
        .map_err(|e| fail(format!("handover: {e}")))?;
    drop(stdin);
    let mut verdict = String::new();
    let read = tokio::time::timeout(STEPD_START_TIMEOUT, stdout.read_to_string(&mut verdict));
    let outcome = read.await;
    // Reap the daemon whenever it ends (if we are still around then).
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    match outcome {
        Err(_) => Err(fail("no answer from the step daemon".into())),
        Ok(Err(e)) => Err(fail(format!("reading the step daemon's answer: {e}"))),
        Ok(Ok(_)) => parse_verdict(verdict.trim()),
    }
}

fn parse_verdict(v: &str) -> Result<(), (SlurmRc, String)> {
    if v == "ok" {
        return Ok(());
    }
    let mut parts = v.strip_prefix("error ").unwrap_or(v).splitn(2, ' ');
    let code = parts.next().and_then(|c| c.parse().ok()).map(SlurmRc);
    let why = parts.next().unwrap_or(v).to_string();
    Err((code.unwrap_or(SlurmRc::ESLURMD_FORK_FAILED), why))
}

/// Whether REQUEST_SIGNAL_TASKS / REQUEST_TERMINATE_TASKS `s` is for one
/// of our srun steps (a plain step id whose step daemon runs here).
pub fn is_srun_step(server: &Server, s: &SignalTasks) -> bool {
    find(spool(server), s.step_id.job_id, s.step_id.step_id).is_some()
}

fn find(spool: &Path, job_id: u32, step_id: u32) -> Option<StepRecord> {
    StepRecord::all(spool)
        .into_iter()
        .find(|r| r.job_id == job_id && r.step_id == step_id)
}

/// `_rpc_signal_tasks` / `_rpc_terminate_tasks` for an srun step: signal
/// the tasks' process group (SIGKILL to terminate); the step daemon sees
/// them end and reports as usual.
pub fn signal(server: &Server, req: &Request, s: SignalTasks, terminate: bool) -> Option<Message> {
    let (job_id, step_id) = (s.step_id.job_id, s.step_id.step_id);
    let Some(rec) = find(spool(server), job_id, step_id) else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    if req.uid != rec.uid && !privileged(server, req.uid) {
        error!(
            "Security violation: signal of step {job_id}.{step_id} from uid {}",
            req.uid
        );
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let sig = if terminate {
        libc::SIGKILL
    } else {
        i32::from(s.signal)
    };
    if sig > 64 {
        // SIG_* pseudo-signals (time limit notices...): nothing to deliver.
        return rc(SlurmRc::SUCCESS);
    }
    info!(job_id, step_id, sig, "signal srun step");
    if sig == libc::SIGKILL {
        cancel(rec);
    } else {
        kill_group(rec.pgid, sig);
    }
    rc(SlurmRc::SUCCESS)
}

/// Kills a step by request: its daemon first writes upstream's
/// "CANCELLED" notice to srun, then kills the tasks; we SIGKILL them too a
/// little later in case the daemon cannot.
fn cancel(rec: StepRecord) {
    ask(&rec, StepdRequest::Kill);
    std::thread::spawn(move || {
        std::thread::sleep(CANCEL_FALLBACK);
        kill_group(rec.pgid, libc::SIGKILL);
    });
}

/// Sends a request to a step daemon.
fn ask(rec: &StepRecord, what: StepdRequest) {
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(rec.stepd_pid, what.signal()) };
}

fn kill_group(pgid: i32, sig: i32) {
    if pgid > 1 {
        // SAFETY: kill has no memory effects; a negative pid names a group.
        unsafe {
            libc::kill(-pgid, libc::SIGCONT);
            libc::kill(-pgid, sig);
        }
    }
}

/// The owner of `job_id`'s srun steps here, if any run.
pub fn job_owner(server: &Server, job_id: u32) -> Option<u32> {
    StepRecord::all(spool(server))
        .into_iter()
        .find(|r| r.job_id == job_id)
        .map(|r| r.uid)
}

/// A job-wide signal (`scancel -s`, KILL_STEPS_ONLY / KILL_FULL_JOB) to
/// every srun step of `job_id`; returns how many steps there were.
pub fn signal_job_steps(server: &Server, job_id: u32, signal: u16) -> usize {
    let sig = i32::from(signal);
    let steps = job_steps(server, job_id);
    for r in &steps {
        info!(job_id, step_id = r.step_id, sig, "signal srun step");
        match sig {
            libc::SIGKILL => cancel(*r),
            // SIG_* pseudo-signals (time limit notices...) are not delivered.
            1..=64 => kill_group(r.pgid, sig),
            _ => {}
        }
    }
    steps.len()
}

/// The srun steps of `job_id` here.
fn job_steps(server: &Server, job_id: u32) -> Vec<StepRecord> {
    StepRecord::all(spool(server))
        .into_iter()
        .filter(|r| r.job_id == job_id)
        .collect()
}

/// How many srun steps of `job_id` still have tasks running here.
pub fn running_job_steps(server: &Server, job_id: u32) -> usize {
    job_steps(server, job_id)
        .iter()
        .filter(|r| !r.tasks_done)
        .count()
}

/// REQUEST_TERMINATE_JOB and friends for the srun steps of `job_id`, run
/// alongside the batch step's termination. Upstream sends SIGCONT, then
/// SIGTERM, to all of a job's steps in turn, so an srun inside the batch
/// script is signalled (and says so) before its tasks' exits reach it;
/// the short head start given to the batch step keeps that order.
pub async fn end_job_steps(
    server: Arc<Server>,
    job_id: u32,
    time_limit: bool,
    kill_wait: Duration,
) {
    if job_steps(&server, job_id).is_empty() {
        return;
    }
    tokio::time::sleep(BATCH_HEAD_START).await;
    terminate_job_steps(&server, job_id, time_limit);
    finish_job_steps(server, job_id, kill_wait).await;
}

/// REQUEST_TERMINATE_JOB and friends, first part (`_rpc_terminate_job`'s
/// SIGCONT + SIGTERM to every step): each srun step of `job_id` says why
/// and gets SIGCONT and SIGTERM. Returns how many still had tasks
/// running; [`finish_job_steps`] does the rest.
fn terminate_job_steps(server: &Server, job_id: u32, time_limit: bool) -> usize {
    let what = if time_limit {
        StepdRequest::TimeLimit
    } else {
        StepdRequest::Terminate
    };
    let steps = job_steps(server, job_id);
    for r in &steps {
        if r.tasks_done {
            // Only what the tasks left behind (background children).
            kill_group(r.pgid, libc::SIGKILL);
        } else {
            info!(job_id, step_id = r.step_id, "terminating srun step");
            ask(r, what);
        }
    }
    steps.iter().filter(|r| !r.tasks_done).count()
}

/// Second part: waits up to `kill_wait` (at least 5 s, as upstream) for
/// the steps to end, then SIGKILLs what is left and waits (bounded) for
/// that too.
async fn finish_job_steps(server: Arc<Server>, job_id: u32, kill_wait: Duration) {
    if wait_steps_gone(&server, job_id, kill_wait.max(Duration::from_secs(5))).await {
        return;
    }
    for r in job_steps(&server, job_id) {
        kill_group(r.pgid, libc::SIGKILL);
    }
    if !wait_steps_gone(&server, job_id, Duration::from_secs(10)).await {
        warn!(job_id, "srun steps still running after SIGKILL");
    }
}

/// Whether every srun step of `job_id` ended its tasks within `limit`.
async fn wait_steps_gone(server: &Server, job_id: u32, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if !job_steps(server, job_id).iter().any(|r| !r.tasks_done) {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert!(parse_verdict("ok").is_ok());
        let (code, why) = parse_verdict("error 4020 execve failed").unwrap_err();
        assert_eq!(code, SlurmRc::ESLURMD_EXECVE_FAILED);
        assert_eq!(why, "execve failed");
        assert_eq!(
            parse_verdict("").unwrap_err().0,
            SlurmRc::ESLURMD_FORK_FAILED
        );
    }
}
