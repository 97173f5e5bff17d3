//! The controller's agent: the RPCs it originates towards node daemons
//! (batch launch, terminate, signal, abort, ping), each on its own
//! connection with a fresh MUNGE credential, as upstream's agent does.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tracing::{debug, info, warn};

use daemon::startup::now;
use wire::auth::RestrictUid;
use wire::errno::SlurmRc;
use wire::msg::common::{step, StepId};
use wire::msg::complete::SignalTasks;
use wire::msg::Message;
use wire::pack::NO_VAL;
use wire::version::ProtocolVersion;

use crate::core::alloc::StopKind;
use crate::core::interactive::SrunNotice;
use crate::core::launch::Passwd;
use crate::core::{Durable, Effect};
use crate::server::Shared;
use crate::state;

/// Sends one request and reads the reply.
pub async fn rpc(
    shared: &Shared,
    addr: SocketAddr,
    version: ProtocolVersion,
    msg: &Message,
) -> Result<Message, String> {
    // Node daemons verify that we are SlurmUser; restrict the credential
    // to SlurmdUser so nobody else can replay it.
    let client = daemon::Client::new(
        shared.auth.clone(),
        shared.cfg.msg_timeout,
        shared.cfg.hash_policy,
        RestrictUid::Uid(shared.cfg.slurmd_user),
    );
    client.call(addr, version, msg).await
}

fn node_addr(shared: &Shared, i: usize) -> Option<(SocketAddr, ProtocolVersion)> {
    let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
    let n = core.spec.nodes.get(i)?;
    let addr = (n.addr.as_str(), n.port).to_socket_addrs().ok()?.next()?;
    Some((addr, core.nodes[i].protocol_version))
}

fn passwd(uid: u32) -> Option<Passwd> {
    let u = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).ok()??;
    let mut groups = Vec::new();
    if let Ok(name) = std::ffi::CString::new(u.name.clone()) {
        if let Ok(gids) = nix::unistd::getgrouplist(&name, u.gid) {
            for g in gids {
                let gname = nix::unistd::Group::from_gid(g)
                    .ok()
                    .flatten()
                    .map(|x| x.name)
                    .unwrap_or_else(|| g.to_string());
                groups.push((g.as_raw(), gname));
            }
        }
    }
    Some(Passwd {
        name: u.name,
        gecos: u.gecos.to_string_lossy().into_owned(),
        dir: u.dir.to_string_lossy().into_owned(),
        shell: u.shell.to_string_lossy().into_owned(),
        groups,
    })
}

fn persist(shared: &Shared, durable: Vec<Durable>) {
    let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
    let records = durable
        .iter()
        .filter_map(|d| state::durable_record(&core, d))
        .collect();
    shared.journal.append(records, |r| {
        if let Err(e) = r {
            tracing::error!("state not saved: {e}");
        }
    });
}

async fn launch(shared: Arc<Shared>, job_id: u32) {
    let granted = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        core.jobs
            .get(&job_id)
            .filter(|j| j.interactive)
            .map(|_| core.allocation_listener(job_id))
    };
    if let Some(targets) = granted {
        // salloc/srun run the job themselves: tell them where.
        notify_srun(shared, job_id, targets, SrunNotice::AllocationGranted).await;
        return;
    }
    let ids = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        core.jobs.get(&job_id).map(|j| (j.user_id, j.batch_key()))
    };
    let Some((_, key)) = ids else { return };
    let pw = job_passwd(&shared, job_id).await;
    // The script and environment are read back from the state store only now.
    let journal = shared.journal.clone();
    let files = match tokio::task::spawn_blocking(move || journal.load_batch(key)).await {
        Ok(Ok(Some(f))) => Some(f),
        Ok(Ok(None)) => {
            warn!(job_id, "batch script not found in the state store");
            None
        }
        Ok(Err(e)) => {
            warn!(job_id, "batch script unreadable: {e}");
            None
        }
        Err(_) => None,
    };
    let built = {
        let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        if files.is_none() {
            // Upstream requeues and holds a job whose script is gone.
            core.launch_failed(job_id, now());
            None
        } else {
            core.batch_launch(job_id, pw.as_ref(), now())
        }
    };
    let Some((host, version, mut msg)) = built else {
        if files.is_none() {
            persist(&shared, vec![Durable::Job(job_id), Durable::Nodes]);
        }
        return;
    };
    if let Some(f) = files {
        msg.script = f.script;
        msg.environment = f.environment;
    }
    let Some((addr, _)) = node_addr(&shared, host) else {
        warn!(job_id, "batch host address does not resolve");
        return;
    };
    let result = rpc(
        &shared,
        addr,
        version,
        &Message::BatchJobLaunch(Box::new(msg)),
    )
    .await;
    let failed = match result {
        Ok(Message::SlurmRc { rc: 0 }) => {
            info!(job_id, node = host, "batch job launched");
            false
        }
        Ok(Message::SlurmRc { rc }) | Ok(Message::SlurmRcMsg { rc, .. }) => {
            if rc == SlurmRc::ESLURMD_PROLOG_FAILED.0 {
                // The node requeues the job and drains itself.
                warn!(job_id, node = host, "prolog failed on the batch host");
                return;
            }
            // Upstream's agent: "Killing non-startable batch job", ended
            // as if its script had exited with status 1.
            warn!(
                job_id,
                rc, "batch launch refused by node; killing non-startable batch job"
            );
            let effects = {
                let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
                core.batch_complete(job_id, 1 << 8, 0, now())
            };
            for e in effects {
                shared.dispatch_to_nodes(e);
            }
            persist(&shared, vec![Durable::Job(job_id), Durable::Nodes]);
            return;
        }
        Ok(other) => {
            warn!(
                job_id,
                reply = other.msg_type(),
                "unexpected reply to batch launch"
            );
            true
        }
        Err(e) => {
            warn!(job_id, "batch launch failed: {e}");
            let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
            core.node_ping(host, false, now());
            true
        }
    };
    if failed {
        {
            let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
            core.launch_failed(job_id, now());
        }
        persist(&shared, vec![Durable::Job(job_id), Durable::Nodes]);
    }
}

/// The passwd entry of `job_id`'s user, looked up off the async threads.
async fn job_passwd(shared: &Shared, job_id: u32) -> Option<Passwd> {
    let uid = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        core.jobs.get(&job_id).map(|j| j.user_id)
    }?;
    tokio::task::spawn_blocking(move || passwd(uid))
        .await
        .ok()
        .flatten()
}

async fn terminate(shared: Arc<Shared>, job_id: u32, kind: StopKind) {
    let pw = job_passwd(&shared, job_id).await;
    let (nodes, msg) = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        let nodes = core
            .jobs
            .get(&job_id)
            .and_then(|j| j.alloc.as_ref())
            .map(|a| a.nodes.clone())
            .unwrap_or_default();
        (nodes, core.kill_job_msg(job_id, pw.as_ref(), now()))
    };
    for i in nodes {
        let Some((addr, version)) = node_addr(&shared, i) else {
            continue;
        };
        let m = match kind {
            StopKind::Timeout => Message::KillTimelimit(Box::new(msg.clone())),
            _ => Message::TerminateJob(Box::new(msg.clone())),
        };
        match rpc(&shared, addr, version, &m).await {
            // Nothing left to clean up and no Epilog: the reply stands in
            // for MESSAGE_EPILOG_COMPLETE, as in upstream's agent.
            Ok(Message::SlurmRc { rc }) if rc == SlurmRc::ESLURMD_KILL_JOB_ALREADY_COMPLETE.0 => {
                debug!(job_id, node = i, "job already complete on node");
                shared
                    .core
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .epilog_complete(job_id, i, now());
                persist(&shared, vec![Durable::Job(job_id), Durable::Nodes]);
                shared.schedule_now.notify_one();
            }
            Ok(_) => debug!(job_id, node = i, "terminate delivered"),
            Err(e) => {
                // The node cannot run an epilog it never heard about; do not
                // keep its resources hostage. SlurmdTimeout handles the node.
                warn!(job_id, node = i, "terminate not delivered: {e}");
                let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
                core.node_ping(i, false, now());
                core.epilog_complete(job_id, i, now());
            }
        }
    }
}

/// REQUEST_SIGNAL_TASKS as upstream addresses it: with `KILL_JOB_BATCH` to
/// the batch step on the batch host (`_signal_batch_job`), otherwise to every
/// node of the job with an impossible step id (MaxStepCount+1) so that only
/// the flags select what is hit (`_signal_job`).
async fn signal(shared: Arc<Shared>, job_id: u32, signals: Vec<u16>, flags: u16) {
    use wire::msg::complete::kill_flags;
    let batch = flags & kill_flags::JOB_BATCH != 0;
    let (nodes, step_id, flags) = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        let Some(alloc) = core.jobs.get(&job_id).and_then(|j| j.alloc.as_ref()) else {
            return;
        };
        if batch {
            (vec![alloc.batch_host()], step::BATCH, flags)
        } else {
            let wanted = kill_flags::FULL_JOB | kill_flags::STEPS_ONLY;
            let flags = if flags & wanted != 0 {
                flags
            } else {
                kill_flags::STEPS_ONLY
            };
            (
                alloc.nodes.clone(),
                core.spec.limits.max_step_count.saturating_add(1),
                flags,
            )
        }
    };
    for node in nodes {
        let Some((addr, version)) = node_addr(&shared, node) else {
            continue;
        };
        for &signal in &signals {
            let msg = Message::SignalTasks(SignalTasks {
                step_id: StepId {
                    job_id,
                    step_id,
                    step_het_comp: NO_VAL,
                },
                flags,
                signal,
            });
            if let Err(e) = rpc(&shared, addr, version, &msg).await {
                warn!(job_id, node, signal, "signal not delivered: {e}");
            }
        }
    }
}

/// The configured PrologSlurmctld (or EpilogSlurmctld) and PrologEpilogTimeout.
fn script_conf(shared: &Shared, epilog: bool) -> (Option<String>, Option<Duration>) {
    let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
    let l = &core.spec.limits;
    let path = if epilog {
        l.epilog_slurmctld.clone()
    } else {
        l.prolog_slurmctld.clone()
    };
    let timeout = match l.prolog_epilog_timeout {
        0 | wire::pack::NO_VAL16 => None,
        s => Some(Duration::from_secs(u64::from(s))),
    };
    (path, timeout)
}

/// Runs a controller-side job script with exactly `env` (plus
/// SLURM_JOB_GROUP, resolved here), as the daemon's user (SlurmUser).
/// True when it exited 0 within the timeout.
async fn run_script(
    path: &str,
    what: &str,
    job_id: u32,
    mut env: Vec<(String, String)>,
    timeout: Option<Duration>,
) -> bool {
    if let Some(gid) = env
        .iter()
        .find(|(k, _)| k == "SLURM_JOB_GID")
        .and_then(|(_, v)| v.parse::<u32>().ok())
    {
        let name = nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
            .ok()
            .flatten()
            .map_or_else(|| gid.to_string(), |g| g.name);
        env.push(("SLURM_JOB_GROUP".into(), name));
    }
    let mut cmd = tokio::process::Command::new(path);
    cmd.env_clear()
        .envs(env)
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            warn!(job_id, "{what} {path}: cannot run: {e}");
            return false;
        }
    };
    let waited = match timeout {
        Some(t) => tokio::time::timeout(t, child.wait_with_output()).await,
        None => Ok(child.wait_with_output().await),
    };
    match waited {
        Ok(Ok(out)) if out.status.success() => {
            debug!(job_id, "{what} completed");
            true
        }
        Ok(Ok(out)) => {
            use std::os::unix::process::ExitStatusExt;
            warn!(
                job_id,
                "{what} JobId={job_id} exit status {}:{}",
                out.status.code().unwrap_or(0),
                out.status.signal().unwrap_or(0)
            );
            false
        }
        Ok(Err(e)) => {
            warn!(job_id, "{what} {path}: {e}");
            false
        }
        Err(_) => {
            warn!(job_id, "{what} JobId={job_id} failed due to timing out");
            false
        }
    }
}

async fn prolog_slurmctld(shared: Arc<Shared>, job_id: u32, env: Vec<(String, String)>) {
    let (path, timeout) = script_conf(&shared, false);
    let ok = match path {
        Some(path) => run_script(&path, "prolog_slurmctld", job_id, env, timeout).await,
        None => true,
    };
    let effects = {
        let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        core.prolog_slurmctld_done(job_id, ok, now())
    };
    for e in effects {
        shared.dispatch_to_nodes(e);
    }
    persist(&shared, vec![Durable::Job(job_id), Durable::Nodes]);
}

/// REQUEST_SUSPEND_INT to every node of the job: its steps stop (or go
/// on), and a stopped step takes no signal but SIGKILL.
async fn suspend(shared: Arc<Shared>, job_id: u32, op: u16) {
    let (nodes, msg) = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        let Some(job) = core.jobs.get(&job_id) else {
            return;
        };
        let nodes = job
            .alloc
            .as_ref()
            .map(|a| a.nodes.clone())
            .unwrap_or_default();
        let msg = Message::SuspendInt(wire::msg::SuspendInt {
            indf_susp: true,
            job_core_spec: job.desc.core_spec,
            job_id,
            op,
        });
        (nodes, msg)
    };
    for node in nodes {
        let Some((addr, version)) = node_addr(&shared, node) else {
            continue;
        };
        if let Err(e) = rpc(&shared, addr, version, &msg).await {
            warn!(job_id, node, op, "suspend/resume not delivered: {e}");
        }
    }
}

async fn abort(shared: Arc<Shared>, job_id: u32, node: usize) {
    let pw = job_passwd(&shared, job_id).await;
    let msg = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        core.kill_job_msg(job_id, pw.as_ref(), now())
    };
    if let Some((addr, version)) = node_addr(&shared, node) {
        if let Err(e) = rpc(&shared, addr, version, &Message::AbortJob(Box::new(msg))).await {
            warn!(job_id, node, "abort not delivered: {e}");
        }
    }
}

/// Fills in the passwd part of a step credential and signs it as upstream's
/// cred/munge does (restricted to SlurmdUser).
pub async fn sign_step_credential(
    shared: &Shared,
    cred: &mut wire::msg::SignedCredential,
) -> Result<(), String> {
    let uid = cred.credential.uid;
    let pw = tokio::task::spawn_blocking(move || passwd(uid))
        .await
        .ok()
        .flatten();
    let mut c = cred.credential.clone();
    if let Some(pw) = pw {
        c.pw_name = Some(pw.name);
        c.pw_gecos = Some(pw.gecos);
        c.pw_dir = Some(pw.dir);
        c.pw_shell = Some(pw.shell);
        c.gids = pw.groups.iter().map(|g| g.0).collect();
    }
    let version = ProtocolVersion::CURRENT;
    *cred = wire::msg::SignedCredential::sign(
        c,
        version,
        shared.auth.as_ref(),
        RestrictUid::Uid(shared.cfg.slurmd_user),
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Sends one message to a listening srun or salloc. Some answer (salloc
/// answers the grant), most just close: either way the exchange waits for
/// them, rather than closing under a reply.
async fn send_only(
    shared: &Shared,
    addr: SocketAddr,
    msg: &Message,
    restrict: RestrictUid,
) -> Result<(), String> {
    let client = daemon::Client::new(
        shared.auth.clone(),
        shared.cfg.msg_timeout,
        shared.cfg.hash_policy,
        restrict,
    );
    match client.call(addr, ProtocolVersion::CURRENT, msg).await {
        Ok(_) => Ok(()),
        // Closed without a reply: what srun does after a notice.
        Err(e) if e.starts_with("no reply") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Tells a job's srun/salloc that its allocation was granted or is over.
pub(crate) async fn notify_srun(
    shared: Arc<Shared>,
    job_id: u32,
    targets: Vec<(String, u16)>,
    notice: SrunNotice,
) {
    let (uid, msg) = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        let Some(job) = core.jobs.get(&job_id) else {
            return;
        };
        let msg = match notice {
            SrunNotice::AllocationGranted => {
                Message::ResourceAllocationResponse(Box::new(core.alloc_response(job, 0)))
            }
            SrunNotice::JobComplete => Message::SrunJobComplete(StepId {
                job_id,
                step_id: NO_VAL,
                step_het_comp: NO_VAL,
            }),
            SrunNotice::StepComplete(step_id) => Message::SrunJobComplete(StepId {
                job_id,
                step_id,
                step_het_comp: NO_VAL,
            }),
            SrunNotice::StepRetry => Message::SrunStepSignal(wire::msg::JobStepKill {
                step_id: StepId {
                    job_id,
                    step_id: step::PENDING,
                    step_het_comp: NO_VAL,
                },
                sjob_id: None,
                sibling: None,
                signal: 0,
                flags: 0,
            }),
            SrunNotice::Timeout(end) => Message::SrunTimeout {
                step_id: StepId {
                    job_id,
                    step_id: NO_VAL,
                    step_het_comp: NO_VAL,
                },
                timeout: end,
            },
        };
        (job.user_id, msg)
    };
    for (host, port) in targets {
        let Some(addr) = (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
        else {
            warn!(job_id, %host, "srun host does not resolve");
            continue;
        };
        debug!(job_id, %addr, msg = msg.msg_type(), "srun notice");
        if let Err(e) = send_only(&shared, addr, &msg, RestrictUid::Uid(uid)).await {
            debug!(job_id, "srun not told: {e}");
        }
    }
}

/// REQUEST_SIGNAL_TASKS to the nodes of one step (SIGKILL too, as
/// upstream's `_step_signal` sends it).
async fn signal_step(
    shared: Arc<Shared>,
    job_id: u32,
    step_id: u32,
    signal: u16,
    nodes: Vec<usize>,
    srun: Option<(String, u16)>,
) {
    let body = SignalTasks {
        step_id: StepId {
            job_id,
            step_id,
            step_het_comp: NO_VAL,
        },
        flags: 0,
        signal,
    };
    let msg = Message::SignalTasks(body);
    // Upstream's agent sends both at once; srun then usually hears of the
    // step's end while its tasks are still dying.
    if let Some(target) = srun {
        tokio::spawn(notify_srun(
            shared.clone(),
            job_id,
            vec![target],
            SrunNotice::StepComplete(step_id),
        ));
    }
    for node in nodes {
        let Some((addr, version)) = node_addr(&shared, node) else {
            continue;
        };
        if let Err(e) = rpc(&shared, addr, version, &msg).await {
            warn!(
                job_id,
                step_id, node, signal, "step signal not delivered: {e}"
            );
        }
    }
}

/// REQUEST_KILL_TIMELIMIT for one step (`_signal_step_timelimit`): no
/// credential, the step's id.
async fn step_time_limit(shared: Arc<Shared>, job_id: u32, step_id: u32, nodes: Vec<usize>) {
    let msg = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        let mut m = core.kill_job_msg(job_id, None, now());
        m.cred = None;
        m.job_gres_info = Vec::new();
        m.step_id.step_id = step_id;
        Message::KillTimelimit(Box::new(m))
    };
    for node in nodes {
        let Some((addr, version)) = node_addr(&shared, node) else {
            continue;
        };
        if let Err(e) = rpc(&shared, addr, version, &msg).await {
            warn!(job_id, step_id, node, "step time limit not delivered: {e}");
        }
    }
}

/// Runs MailProg `-s SUBJECT USER` (upstream's `_mail_proc`, bounded by
/// MAIL_PROG_TIMEOUT, 120 s); a failure is logged with its output.
async fn run_mail(prog: &str, job_id: u32, subject: &str, user: &str, env: Vec<(String, String)>) {
    let mut cmd = tokio::process::Command::new(prog);
    cmd.args(["-s", subject, user])
        .env_clear()
        .envs(env)
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let out = match tokio::time::timeout(Duration::from_secs(120), cmd.output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            warn!(job_id, "MailProg {prog}: {e}");
            return;
        }
        Err(_) => {
            warn!(job_id, "MailProg {prog}: timed out");
            return;
        }
    };
    if !out.status.success() {
        warn!(
            job_id,
            "MailProg returned error, its output was '{}'",
            String::from_utf8_lossy(&out.stdout).trim()
        );
    }
}

/// Carries out node work queued by request handlers and scheduler passes.
pub async fn run(shared: Arc<Shared>, mut rx: UnboundedReceiver<Effect>) {
    while let Some(effect) = rx.recv().await {
        let shared = shared.clone();
        match effect {
            Effect::LaunchBatch { job_id } => {
                tokio::spawn(launch(shared, job_id));
            }
            Effect::TerminateJob { job_id, kind } => {
                tokio::spawn(terminate(shared, job_id, kind));
            }
            Effect::SignalJob {
                job_id,
                signals,
                flags,
            } => {
                tokio::spawn(signal(shared, job_id, signals, flags));
            }
            Effect::SuspendJob { job_id, op } => {
                tokio::spawn(suspend(shared, job_id, op));
            }
            Effect::AbortJob { job_id, node } => {
                tokio::spawn(abort(shared, job_id, node));
            }
            Effect::RunPrologSlurmctld { job_id, env } => {
                tokio::spawn(prolog_slurmctld(shared, job_id, env));
            }
            Effect::RunEpilogSlurmctld { job_id, env } => {
                tokio::spawn(async move {
                    let (path, timeout) = script_conf(&shared, true);
                    if let Some(path) = path {
                        run_script(&path, "epilog_slurmctld", job_id, env, timeout).await;
                    }
                });
            }
            Effect::NotifySrun {
                job_id,
                targets,
                notice,
            } => {
                tokio::spawn(notify_srun(shared, job_id, targets, notice));
            }
            Effect::SignalStep {
                job_id,
                step_id,
                signal,
                nodes,
                srun,
            } => {
                tokio::spawn(signal_step(shared, job_id, step_id, signal, nodes, srun));
            }
            Effect::StepTimeLimit {
                job_id,
                step_id,
                nodes,
            } => {
                tokio::spawn(step_time_limit(shared, job_id, step_id, nodes));
            }
            Effect::Mail {
                job_id,
                user,
                subject,
                env,
            } => {
                tokio::spawn(async move {
                    let prog = {
                        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
                        core.spec.limits.mail_prog.clone()
                    };
                    run_mail(&prog, job_id, &subject, &user, env).await;
                });
            }
            Effect::ScheduleSoon | Effect::Shutdown | Effect::Reconfigure => {}
        }
    }
}

/// Pings every node every SlurmdTimeout/3 (upstream's `ping_nodes`), asks
/// silent ones to register, and applies the SlurmdTimeout rule.
pub async fn ping_loop(shared: Arc<Shared>, interval: Duration) {
    // Upstream's first cycle comes MIN_CHECKIN_TIME (3 s) after start: node
    // daemons get that long to register before anyone counts as silent.
    let first = tokio::time::Instant::now() + Duration::from_secs(3);
    let mut tick = tokio::time::interval_at(first, interval);
    loop {
        tick.tick().await;
        // Upstream decides who is dead before sending this cycle's pings.
        let (victims, changed_nodes) = {
            let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
            let before = core.last_node_update;
            let victims = core.check_node_timeouts(now());
            (victims, core.last_node_update != before)
        };
        if changed_nodes || !victims.is_empty() {
            let mut d: Vec<Durable> = victims.into_iter().map(Durable::Job).collect();
            d.push(Durable::Nodes);
            persist(&shared, d);
            shared.schedule_now.notify_one();
        }
        let count = shared
            .core
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .nodes
            .len();
        let mut pings = Vec::new();
        for i in 0..count {
            let shared = shared.clone();
            pings.push(tokio::spawn(async move {
                let Some((addr, version)) = node_addr(&shared, i) else {
                    return;
                };
                let registered =
                    shared.core.lock().unwrap_or_else(|p| p.into_inner()).nodes[i].registered;
                let msg = if registered {
                    Message::Ping
                } else {
                    Message::NodeRegistrationStatusRequest
                };
                let ok = rpc(&shared, addr, version, &msg).await.is_ok();
                shared
                    .core
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .node_ping(i, ok, now());
            }));
        }
        for p in pings {
            let _ = p.await;
        }
        // Jobs still completing after a while get their terminate again
        // (a lost message, or a controller restart), as upstream's agent
        // retries REQUEST_TERMINATE_JOB.
        let stuck: Vec<u32> = {
            let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
            let t = now();
            core.jobs
                .values()
                .filter(|j| {
                    j.state & crate::core::job::state_flags::COMPLETING != 0 && t - j.end_time >= 10
                })
                .map(|j| j.job_id)
                .collect()
        };
        for job_id in stuck {
            shared.dispatch_to_nodes(Effect::TerminateJob {
                job_id,
                kind: StopKind::Complete,
            });
        }
    }
}
