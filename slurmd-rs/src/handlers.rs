//! One handler per request type (upstream's `_rpc_*` in
//! `src/slurmd/slurmd/req.c`): check who asks, call the [`NodeAgent`],
//! answer, and start whatever upstream does after answering.

use std::sync::Arc;
use std::time::Duration;

use tracing::{debug, error, info, warn};

use wire::errno::SlurmRc;
use wire::msg::common::step as wire_step;
use wire::msg::complete::kill_flags;
use wire::msg::{AcctGatherNodeResponse, BatchJobLaunch, KillJob, Message, SignalTasks};
use wire::pack::NO_VAL;

use crate::agent::{NodeAgent, SignalError};
use crate::ctld::{self, scripts};
use crate::gres::{self, JobGres};
use crate::server::{Request, Server};
use crate::srun_step;
use crate::step::{BatchJob, OpenMode, StepError};

/// `_slurm_authorized_user`: root or SlurmUser.
fn authorized(server: &Server, uid: u32) -> bool {
    uid == 0 || uid == server.cfg.slurm_user
}

fn rc(rc: SlurmRc) -> Option<Message> {
    Some(Message::SlurmRc { rc: rc.0 })
}

/// Handles a decoded request.
pub async fn handle(server: &Arc<Server>, req: &Request, msg: Message) -> Option<Message> {
    let agent = &server.agent;
    match msg {
        Message::Ping => ping(server, req, false),
        Message::NodeRegistrationStatusRequest => ping(server, req, true),
        Message::BatchJobLaunch(b) => batch_launch(server, req, *b).await,
        Message::LaunchTasks(l) => srun_step::launch::launch(server, req, *l).await,
        Message::SignalTasks(s) if srun_step::launch::is_srun_step(server, &s) => {
            srun_step::launch::signal(server, req, s, false)
        }
        Message::TerminateTasks(s) if srun_step::launch::is_srun_step(server, &s) => {
            srun_step::launch::signal(server, req, s, true)
        }
        Message::SignalTasks(s) => signal_tasks(server, req, s, false),
        Message::TerminateTasks(s) => signal_tasks(server, req, s, true),
        Message::TerminateJob(k) => terminate_job(server, req, *k, "terminate"),
        Message::KillTimelimit(k) => terminate_job(server, req, *k, "timelimit"),
        Message::KillPreempted(k) => terminate_job(server, req, *k, "preempted"),
        Message::AbortJob(k) => abort_job(server, req, *k),
        Message::HealthCheck => {
            if !authorized(server, req.uid) {
                error!("Security violation, health check RPC from uid {}", req.uid);
                return rc(SlurmRc::ESLURM_USER_ID_MISSING);
            }
            if let Some(ctl) = server.ctl.clone() {
                if let Some(prog) = ctl.report.health_check_program.clone() {
                    tokio::spawn(async move {
                        let status = scripts::run_health_check(&prog, &ctl.report).await;
                        if status != 0 {
                            warn!("HealthCheckProgram {prog} returned status {status}");
                        }
                    });
                }
            }
            rc(SlurmRc::SUCCESS)
        }
        Message::AcctGatherUpdate => {
            if !authorized(server, req.uid) {
                error!(
                    "Security violation, acct_gather_update RPC from uid {}",
                    req.uid
                );
                return rc(SlurmRc::ESLURM_USER_ID_MISSING);
            }
            // AcctGatherEnergyType=none: one sensor, all zeros.
            Some(Message::AcctGatherUpdateResponse(AcctGatherNodeResponse {
                node_name: Some(agent.settings().node_name.clone()),
                energy: vec![Default::default()],
            }))
        }
        Message::Reconfigure => {
            if !authorized(server, req.uid) {
                error!("Security violation, reconfig RPC from uid {}", req.uid);
            } else {
                info!("REQUEST_RECONFIGURE: reconfigure is not supported yet, keeping the running configuration");
                if let Some(ctl) = server.ctl.clone() {
                    let agent = agent.clone();
                    tokio::spawn(async move { ctl.register_until_answered(&agent).await });
                }
            }
            None
        }
        Message::Shutdown { .. } => {
            if !authorized(server, req.uid) {
                error!("Security violation, shutdown RPC from uid {}", req.uid);
            } else {
                info!(
                    uid = req.uid,
                    "REQUEST_SHUTDOWN: shutting down; running jobs keep running"
                );
                let _ = server.shutdown.send(true);
            }
            None
        }
        other => {
            info!(
                peer = %req.peer,
                uid = req.uid,
                msg_type = wire::msg::msg_type::name(other.msg_type()),
                "RPC not supported by this slurmd"
            );
            rc(SlurmRc::ESLURM_NOT_SUPPORTED)
        }
    }
}

/// `_rpc_ping`; REQUEST_NODE_REGISTRATION_STATUS is answered the same way
/// and then followed by a registration on a new connection.
fn ping(server: &Arc<Server>, req: &Request, register: bool) -> Option<Message> {
    if !authorized(server, req.uid) {
        error!("Security violation, ping RPC from uid {}", req.uid);
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    if register {
        if let Some(ctl) = server.ctl.clone() {
            let agent = server.agent.clone();
            tokio::spawn(async move {
                if let Err(e) = ctl.register(&agent, 0).await {
                    warn!("Unable to register: {e}");
                }
            });
        }
    }
    Some(Message::PingSlurmdResponse(ctld::load_and_free_mem()))
}

/// The user name and groups of a launch: the message's, else the
/// credential's (`_rpc_batch_job`), else the passwd database. The
/// credential also says which GPUs of `node_name` the job has.
fn batch_job(b: &BatchJobLaunch, node_name: &str) -> BatchJob {
    let cred = &b.cred.credential;
    let user_name = b
        .user_name
        .clone()
        .or_else(|| cred.pw_name.clone())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(b.uid))
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| b.uid.to_string());
    let gids = if !b.gids.is_empty() {
        b.gids.clone()
    } else {
        cred.gids.clone()
    };
    BatchJob {
        job_id: b.job_id,
        uid: b.uid,
        gid: b.gid,
        gids,
        user_name,
        partition: b.partition.clone().unwrap_or_default(),
        ntasks: b.ntasks,
        pn_min_memory: b.pn_min_memory,
        open_mode: OpenMode::from_wire(b.open_mode),
        overcommit: b.overcommit != 0,
        array_job_id: b.array_job_id,
        array_task_id: b.array_task_id,
        cpus_per_task: b.cpus_per_task,
        restart_cnt: b.restart_cnt,
        cpus_per_node: b.cpus_per_node.clone(),
        cpu_count_reps: b.cpu_count_reps.clone(),
        alias_list: b.alias_list.clone(),
        nodes: b.nodes.clone().unwrap_or_default(),
        script: b.script.clone().unwrap_or_default(),
        work_dir: b.work_dir.clone().unwrap_or_default(),
        std_err: b.std_err.clone(),
        std_in: b.std_in.clone(),
        std_out: b.std_out.clone(),
        argv: b.argv.clone(),
        environment: b.environment.clone(),
        account: b.account.clone(),
        qos: b.qos.clone(),
        resv_name: b.resv_name.clone(),
        tres_bind: b.tres_bind.clone(),
        tres_freq: b.tres_freq.clone(),
        gres: JobGres::for_node(cred, node_name),
    }
}

/// `_rpc_batch_job`. The 22.05 controller does not sign batch credentials,
/// so the RPC's own MUNGE identity (root or SlurmUser) is the authority.
async fn batch_launch(server: &Arc<Server>, req: &Request, b: BatchJobLaunch) -> Option<Message> {
    if !authorized(server, req.uid) {
        error!("Security violation, batch launch RPC from uid {}", req.uid);
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let job = batch_job(&b, &server.agent.settings().node_name);
    let prolog = server
        .ctl
        .as_ref()
        .and_then(|c| c.report.prolog.clone().map(|p| (c.clone(), p)));
    if let Some((ctl, path)) = prolog {
        // As upstream: reply at once, run the Prolog (it may be slow), and
        // report a failure on separate RPCs.
        let env = prolog_env(&server.agent, &b, &job);
        let server = server.clone();
        tokio::spawn(async move {
            let node = server.agent.settings().node_name.clone();
            let status = scripts::run_prep(&path, &ctl.report, &node, &env, false).await;
            if status == 0 {
                start_batch(&server, job).await;
            } else {
                prolog_failed(&server, &ctl, &job, status).await;
            }
        });
        return rc(SlurmRc::SUCCESS);
    }
    start_batch(server, job).await
}

/// Starts the batch step; a failure is also reported to the controller as
/// a batch completion carrying the launch error (what a failing stepd does).
async fn start_batch(server: &Arc<Server>, job: BatchJob) -> Option<Message> {
    let (job_id, uid) = (job.job_id, job.uid);
    info!("Launching batch job {job_id} for UID {uid}");
    let agent = server.agent.clone();
    let result = tokio::task::spawn_blocking(move || agent.launch_batch(job)).await;
    let err = match result {
        Ok(Ok(step)) => {
            debug!(step = %step, "batch step started");
            return rc(SlurmRc::SUCCESS);
        }
        Ok(Err(e)) => e,
        Err(e) => {
            error!(job_id, "launch task failed: {e}");
            StepError::InvalidLaunch {
                job_id,
                reason: e.to_string(),
            }
        }
    };
    if let StepError::Duplicate(_) = err {
        error!("Job {job_id} already running, do not launch second copy");
        return rc(SlurmRc::ESLURM_DUPLICATE_JOB_ID);
    }
    let code = err.slurm_rc();
    error!(job_id, "batch launch failed: {err} ({code})");
    // Tell the controller the way a failing stepd does: a batch completion
    // carrying the launch error.
    if let Some(ctl) = server.ctl.clone() {
        let node = server.agent.settings().node_name.clone();
        tokio::spawn(async move {
            ctl.complete_batch(&node, job_id, uid, 0, code.0 as u32)
                .await;
        });
    }
    rc(code)
}

/// A batch job's Prolog failed (`_rpc_batch_job` → `_prolog_error`,
/// `_launch_job_fail`, `send_registration_msg`): say so in the job's
/// stderr file, ask the controller to requeue the job held (or kill it),
/// and register with ESLURMD_PROLOG_FAILED so the controller drains us.
async fn prolog_failed(
    server: &Arc<Server>,
    ctl: &Arc<ctld::Controller>,
    job: &BatchJob,
    status: i32,
) {
    let job_id = job.job_id;
    let (code, sig) = if status & 0x7f == 0 {
        ((status >> 8) & 0xff, 0)
    } else {
        (0, status & 0x7f)
    };
    error!("[job {job_id}] prolog failed status={code}:{sig}");
    write_prolog_error(server, job, code);
    // JOB_REQUEUE_HOLD | JOB_LAUNCH_FAILED.
    let requeue = Message::JobRequeue {
        job_id,
        job_id_str: None,
        flags: (1 << 11) | (1 << 8),
    };
    match ctl.link.send_recv(&requeue).await {
        Ok(Message::SlurmRc { rc })
            if rc == SlurmRc::ESLURM_DISABLED.0 || rc == SlurmRc::ESLURM_BATCH_ONLY.0 =>
        {
            info!("Could not launch job {job_id} and not able to requeue it, cancelling job");
            let kill = Message::KillJob(wire::msg::JobStepKill {
                step_id: wire::msg::common::StepId {
                    job_id,
                    step_id: NO_VAL,
                    step_het_comp: NO_VAL,
                },
                signal: libc::SIGKILL as u16,
                ..wire::msg::JobStepKill::default()
            });
            if let Err(e) = ctl.link.send_recv(&kill).await {
                error!(job_id, "cancel after prolog failure not delivered: {e}");
            }
        }
        Ok(_) => {}
        Err(e) => error!(job_id, "requeue after prolog failure not delivered: {e}"),
    }
    if let Err(e) = ctl
        .register(&server.agent, SlurmRc::ESLURMD_PROLOG_FAILED.0 as u32)
        .await
    {
        error!("registration after prolog failure failed: {e}");
    }
}

/// "Error running slurm prolog: N" appended to the job's stderr file,
/// created as the user when missing (`_prolog_error`).
fn write_prolog_error(server: &Arc<Server>, job: &BatchJob, code: i32) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // `fname_create2`: the stderr file (which defaults to stdout).
    let (_, path) = crate::step::batch_output_paths(job, server.agent.steps().node());
    let existed = std::path::Path::new(&path).exists();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .open(&path);
    match file {
        Ok(mut f) => {
            if !existed {
                use std::os::fd::AsRawFd;
                let _ = nix::unistd::fchown(
                    f.as_raw_fd(),
                    Some(nix::unistd::Uid::from_raw(job.uid)),
                    Some(nix::unistd::Gid::from_raw(job.gid)),
                );
            }
            let _ = writeln!(f, "Error running slurm prolog: {code}");
        }
        Err(e) => error!("Unable to open {path}: {e}"),
    }
}

/// `_rpc_signal_tasks` / `_rpc_terminate_tasks`.
fn signal_tasks(
    server: &Arc<Server>,
    req: &Request,
    s: SignalTasks,
    terminate: bool,
) -> Option<Message> {
    let agent = &server.agent;
    let job_id = s.step_id.job_id;
    let Some(owner) = agent
        .all_steps()
        .iter()
        .find(|x| x.step.job_id == job_id)
        .map(|x| x.uid)
        .or_else(|| srun_step::launch::job_owner(server, job_id))
    else {
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    if !authorized(server, req.uid) && owner != req.uid {
        error!(
            "Security violation: signal/terminate tasks of job {job_id} from uid {}",
            req.uid
        );
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    // Routing as upstream's `_rpc_signal_tasks`: the flags pick the steps,
    // the step id counts only when no flag does.
    let step = s.step_id.step_id;
    let batch_only = if s.flags & kill_flags::JOB_BATCH != 0 {
        // The batch shell alone (`kill(pgid)`).
        true
    } else if s.flags & kill_flags::FULL_JOB != 0 {
        if srun_step::launch::signal_job_steps(server, job_id, s.signal) > 0
            && !has_running_steps(agent, job_id)
        {
            return rc(SlurmRc::SUCCESS);
        }
        false
    } else if s.flags & kill_flags::STEPS_ONLY != 0 && !terminate {
        // Every step but the batch script: the srun steps.
        let n = srun_step::launch::signal_job_steps(server, job_id, s.signal);
        debug!(job_id, signal = s.signal, steps = n, "signalled srun steps");
        return rc(SlurmRc::SUCCESS);
    } else if step == NO_VAL || step == wire_step::BATCH {
        // The whole batch step (upstream signals its container).
        false
    } else {
        // No srun steps run here yet.
        return rc(SlurmRc::ESLURM_INVALID_JOB_ID);
    };
    let signal = if terminate {
        libc::SIGKILL
    } else {
        i32::from(s.signal)
    };
    if signal > 64 {
        // SIG_* pseudo-signals (time limit notices, preemption…): nothing to
        // deliver to processes.
        debug!(job_id, signal, "pseudo-signal ignored");
        return rc(SlurmRc::SUCCESS);
    }
    match agent.signal_job(job_id, signal, batch_only) {
        Ok(n) => {
            debug!(job_id, signal, batch_only, reached = n, "signalled");
            rc(SlurmRc::SUCCESS)
        }
        Err(SignalError::NoSuchJob(_)) => rc(SlurmRc::ESLURM_INVALID_JOB_ID),
        Err(SignalError::InvalidSignal(_)) => Some(Message::SlurmRc { rc: libc::EINVAL }),
    }
}

/// What the Epilog is told (`job_env_t`), GRES variables included.
fn job_env(agent: &NodeAgent, k: &KillJob) -> scripts::JobEnv {
    let node = agent.steps().node();
    let index = gres::host_index(k.nodes.as_deref(), &node.node_name);
    scripts::JobEnv {
        job_id: k.step_id.job_id,
        uid: k.job_uid,
        gid: k.job_gid,
        user_name: k
            .cred
            .as_ref()
            .and_then(|c| c.credential.pw_name.clone())
            .or_else(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(k.job_uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            }),
        nodes: k.nodes.clone(),
        partition: None,
        work_dir: k.work_dir.clone(),
        spank_job_env: k.spank_job_env.clone(),
        gres_env: node.gres.epilog_env(&k.job_gres_info, index),
        exit: Some((k.exit_code, k.derived_ec)),
        cred: k
            .cred
            .as_ref()
            .map(|c| scripts::CredEnv::from_cred(&c.credential)),
    }
}

/// What the Prolog of a batch launch is told (`_rpc_batch_job`'s job_env).
fn prolog_env(agent: &NodeAgent, b: &BatchJobLaunch, job: &BatchJob) -> scripts::JobEnv {
    let node = agent.steps().node();
    let cred = &b.cred.credential;
    let index = gres::host_index(cred.job_hostlist.as_deref(), &node.node_name);
    let info: Vec<wire::msg::gres::GresJobAlloc> = cred
        .job_gres_list
        .iter()
        .map(|g| wire::msg::gres::GresJobAlloc {
            plugin_id: g.plugin_id,
            node_cnt: g.node_cnt,
            gres_cnt_node_alloc: g.gres_cnt_node_alloc.clone(),
            gres_bit_alloc: g.gres_bit_alloc.clone(),
        })
        .collect();
    scripts::JobEnv {
        job_id: b.job_id,
        uid: b.uid,
        gid: b.gid,
        user_name: Some(job.user_name.clone()),
        nodes: b.nodes.clone(),
        partition: b.partition.clone(),
        work_dir: b.work_dir.clone(),
        spank_job_env: b.spank_job_env.clone(),
        gres_env: node.gres.epilog_env(&info, index),
        exit: None,
        cred: Some(scripts::CredEnv::from_cred(cred)),
    }
}

fn has_running_steps(agent: &NodeAgent, job_id: u32) -> bool {
    agent.running_steps().iter().any(|s| s.job_id == job_id)
}

/// `_rpc_terminate_job` (also REQUEST_KILL_TIMELIMIT and
/// REQUEST_KILL_PREEMPTED): nothing running and no Epilog →
/// ESLURMD_KILL_JOB_ALREADY_COMPLETE; otherwise RC 0 now, then kill the
/// steps (KillWait), run the Epilog, and send MESSAGE_EPILOG_COMPLETE.
fn terminate_job(
    server: &Arc<Server>,
    req: &Request,
    k: KillJob,
    why: &'static str,
) -> Option<Message> {
    let job_id = k.step_id.job_id;
    if !authorized(server, req.uid) {
        error!(
            "Security violation: kill_job({job_id}) from uid {}",
            req.uid
        );
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let agent = server.agent.clone();
    // srun steps whose tasks still run; they are ended below, alongside
    // the batch step, before the Epilog.
    let srun_steps = srun_step::launch::running_job_steps(server, job_id);
    let running = has_running_steps(&agent, job_id) || srun_steps > 0;
    let epilog = server.ctl.as_ref().and_then(|c| c.report.epilog.clone());
    info!(job_id, why, running, "terminate job");
    if !running && epilog.is_none() {
        debug!(
            job_id,
            "no steps and no Epilog: ESLURMD_KILL_JOB_ALREADY_COMPLETE"
        );
        return rc(SlurmRc::ESLURMD_KILL_JOB_ALREADY_COMPLETE);
    }
    let ctl = server.ctl.clone();
    if running {
        // slurmstepd tells the job's stderr why it is being killed.
        let node = agent.settings().node_name.clone();
        let suffix = if why == "timelimit" {
            " DUE TO TIME LIMIT"
        } else {
            ""
        };
        let line = format!(
            "slurmstepd-{node}: error: *** JOB {job_id} ON {node} CANCELLED AT {}{suffix} ***\n",
            local_time_str()
        );
        for info in agent.all_steps().iter().filter(|i| i.step.job_id == job_id) {
            if let Some(path) = &info.stderr_path {
                use std::io::Write;
                if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path) {
                    let _ = f.write_all(line.as_bytes());
                }
            }
        }
    }
    let srv = server.clone();
    tokio::spawn(async move {
        let kill_wait = Duration::from_secs(u64::from(agent.settings().kill_wait));
        let batch = async {
            if has_running_steps(&agent, job_id) && !agent.terminate_job(job_id, None).await {
                warn!(job_id, "processes of the job survived termination");
            }
        };
        tokio::join!(
            srun_step::launch::end_job_steps(srv, job_id, why == "timelimit", kill_wait),
            batch
        );
        let status = match (&epilog, &ctl) {
            (Some(path), Some(ctl)) => {
                let s = scripts::run_prep(
                    path,
                    &ctl.report,
                    &agent.settings().node_name,
                    &job_env(&agent, &k),
                    true,
                )
                .await;
                if s != 0 {
                    error!(job_id, "epilog failed status={s}");
                }
                s
            }
            _ => 0,
        };
        if let Some(ctl) = ctl {
            let _ = ctl
                .epilog_complete(&agent.settings().node_name, job_id, status as u32)
                .await;
        }
    });
    rc(SlurmRc::SUCCESS)
}

/// `_rpc_abort_job`: RC 0 now, kill the steps, run the Epilog; no
/// MESSAGE_EPILOG_COMPLETE and no batch completion.
fn abort_job(server: &Arc<Server>, req: &Request, k: KillJob) -> Option<Message> {
    let job_id = k.step_id.job_id;
    if !authorized(server, req.uid) {
        error!(
            "Security violation: abort_job({job_id}) from uid {}",
            req.uid
        );
        return rc(SlurmRc::ESLURM_USER_ID_MISSING);
    }
    let agent = server.agent.clone();
    let ctl = server.ctl.clone();
    if let Some(ctl) = &ctl {
        ctl.mark_aborted(job_id);
    }
    info!(job_id, "abort job");
    tokio::spawn(async move {
        if has_running_steps(&agent, job_id) {
            agent.terminate_job(job_id, None).await;
        }
        if let Some(ctl) = ctl {
            if let Some(path) = ctl.report.epilog.clone() {
                scripts::run_prep(
                    &path,
                    &ctl.report,
                    &agent.settings().node_name,
                    &job_env(&agent, &k),
                    true,
                )
                .await;
            }
        }
    });
    rc(SlurmRc::SUCCESS)
}

/// The current local time as Slurm prints it (`slurm_make_time_str`'s
/// default): `YYYY-MM-DDTHH:MM:SS`.
fn local_time_str() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as libc::time_t);
    // SAFETY: localtime_r reads `t` and fills the zero-initialised `tm` we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return "Unknown".into();
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}
