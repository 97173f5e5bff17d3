//! `slurmstepd-rs`: one per srun step and node (upstream's slurmstepd for
//! a launched step). Reads a [`Handover`] on stdin, connects to srun's
//! I/O port, forks the tasks, answers `ok` (or `error <rc> <why>`) on
//! stdout for slurmd-rs, then relays I/O, reports task exits to srun and
//! the node's completion to the controller.
//!
//! Rooms: [`env`] (task environment), [`tasks`] (fork/exec), [`io`]
//! (srun's I/O stream), [`report`] (messages to srun and the controller).

pub mod env;
pub mod io;
pub mod report;
pub mod stdio;
pub mod tasks;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use tracing::{error, info, warn};

use wire::auth::munge::Munge;
use wire::auth::CredentialService;
use wire::conf::SlurmConf;
use wire::errno::SlurmRc;
use wire::msg::common::StepId as WireStepId;
use wire::msg::srun::{LaunchTasksRequest, LaunchTasksResponse, TaskExit};
use wire::msg::{JobCredential, Message, StepComplete};
use wire::pack::Unpacker;
use wire::step_io::{IoInitMsg, IO_STDERR, IO_STDOUT};
use wire::version::ProtocolVersion;

use super::{Handover, StepRecord};
use crate::ctld::ControllerLink;
use tasks::{Identity, Launched, TaskSpec};

/// How long a task's exit report waits for its output to be sent.
const OUTPUT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// How long srun has to close the I/O connection after our last frame.
const IO_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A launch failure: the code slurmd-rs answers srun with, and why.
type Failure = (SlurmRc, String);

/// The step daemon's entry point.
pub fn main() -> ExitCode {
    let mut input = Vec::new();
    let handover = std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| e.to_string())
        .and_then(|_| Handover::from_bytes(&input).map_err(|e| e.to_string()));
    let handover = match handover {
        Ok(h) => h,
        Err(e) => return answer(Err((SlurmRc::ESLURMD_FORK_FAILED, e))),
    };
    init_logging(&handover.log_file);
    // Only the request watcher takes them (tasks reset their mask).
    block_request_signals();
    match Step::start(&handover) {
        Err(f) => answer(Err(f)),
        Ok(step) => {
            answer(Ok(()));
            step.run();
            ExitCode::SUCCESS
        }
    }
}

/// Tells slurmd-rs how the launch went and closes the pipe to it.
fn answer(r: Result<(), Failure>) -> ExitCode {
    let line = match &r {
        Ok(()) => "ok\n".to_string(),
        Err((code, why)) => format!("error {} {why}\n", code.0),
    };
    let mut out = std::io::stdout();
    let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
    // SAFETY: points fd 1 at /dev/null so slurmd-rs sees EOF.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 1);
            libc::close(null);
        }
    }
    if r.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn init_logging(log_file: &str) {
    let file = (!log_file.is_empty())
        .then(|| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log_file)
                .ok()
        })
        .flatten();
    let builder = tracing_subscriber::fmt().with_ansi(false);
    let _ = match file {
        Some(f) => builder.with_writer(std::sync::Mutex::new(f)).try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
}

/// A step whose tasks are running.
struct Step {
    req: LaunchTasksRequest,
    node_name: String,
    node_id: u32,
    spool: PathBuf,
    auth: Arc<dyn CredentialService>,
    link: ControllerLink,
    tasks: Vec<Launched>,
    io: io::IoLink,
    io_reader: std::net::TcpStream,
    resp_addr: SocketAddr,
    record: StepRecord,
}

fn fail<E: std::fmt::Display>(code: SlurmRc) -> impl Fn(E) -> Failure {
    move |e| (code, e.to_string())
}

impl Step {
    /// Everything up to the tasks running.
    fn start(h: &Handover) -> Result<Step, Failure> {
        let conf =
            SlurmConf::from_file(&h.conf_path).map_err(fail(SlurmRc::ESLURMD_FORK_FAILED))?;
        let version = ProtocolVersion(h.version);
        let req = LaunchTasksRequest::unpack(&mut Unpacker::new(&h.body), version)
            .map_err(fail(SlurmRc::ESLURM_PROTOCOL_INCOMPLETE_PACKET))?;
        let auth: Arc<dyn CredentialService> = Arc::new(
            Munge::from_auth_info(conf.authinfo.as_deref().unwrap_or(""))
                .map_err(fail(SlurmRc::ESLURMD_FORK_FAILED))?,
        );
        let node_id = node_index(&req, &h.node_name)?;
        let (io_addr, resp_addr) = srun_addrs(&req, h, node_id)?;
        let gtids = req.global_task_ids[node_id as usize].clone();
        let ntasks = gtids.len() as u32;
        let files = open_files(&req, node_id, &gtids)?;
        let to_srun =
            |pick: fn(&stdio::TaskFiles) -> bool| files.iter().filter(|f| pick(f)).count() as u32;
        let init = IoInitMsg {
            version: version.0,
            nodeid: node_id,
            stdout_objs: to_srun(|f| f.stdout.is_none()),
            stderr_objs: to_srun(|f| f.stderr.is_none()),
            io_key: req.cred.signature.clone().unwrap_or_default(),
        };
        let (io, io_reader) = io::IoLink::connect(io_addr, &init).map_err(|e| {
            (
                SlurmRc::ESLURMD_IO_ERROR,
                format!("connect to srun {io_addr}: {e}"),
            )
        })?;
        let node_env = node_env(&req, h, node_id, &gtids, resp_addr);
        let who = identity(&req, &h.node_name);
        let tasks = fork_tasks(&req, &gtids, &node_env, &who, files)?;
        let record = StepRecord {
            job_id: req.step_id.job_id,
            step_id: req.step_id.step_id,
            stepd_pid: std::process::id() as i32,
            pgid: tasks[0].pid,
            uid: req.uid,
            tasks_done: false,
        };
        let spool = PathBuf::from(&h.spool_dir);
        if let Err(e) = record.save(&spool) {
            warn!(
                "cannot record step {}.{}: {e}",
                record.job_id, record.step_id
            );
        }
        info!(
            "StepId={}.{} node {node_id}: started {ntasks} tasks, pgid {}",
            record.job_id, record.step_id, record.pgid
        );
        Ok(Step {
            link: ControllerLink::from_conf(&conf, auth.clone()),
            req,
            node_name: h.node_name.clone(),
            node_id,
            spool,
            auth,
            tasks,
            io,
            io_reader,
            resp_addr,
            record,
        })
    }

    /// Tasks running: report, relay, wait, report again, clean up.
    fn run(mut self) {
        let step_id = self.wire_step_id();
        let launched = Message::LaunchTasksResponse(LaunchTasksResponse {
            step_id,
            return_code: 0,
            node_name: Some(self.node_name.clone()),
            local_pids: self.tasks.iter().map(|t| t.pid as u32).collect(),
            task_ids: self.tasks.iter().map(|t| t.gtid).collect(),
        });
        self.tell_srun(&launched);
        let buffered = self.req.flags & io::LAUNCH_BUFFERED_IO != 0;
        let first_gtid = self.tasks[0].gtid;
        let relays = Relays::start(std::mem::take(&mut self.tasks), &self.io, buffered);
        let mut stdin_relay = None;
        match self.io_reader.try_clone() {
            Ok(r) => stdin_relay = Some(io::relay_stdin(r, relays.stdin)),
            Err(e) => warn!("no stdin for the tasks: {e}"),
        }
        let (drained, stderr0) = (relays.drained, relays.stderr0);
        let node = self.node_name.clone();
        let notice = move |time_limit| cancel_notice(&node, step_id, time_limit);
        let notice = (self.node_id == 0).then_some(notice);
        watch_requests(notice, stderr0.clone(), self.record.pgid);
        let mut running = relays.pids.len();
        let statuses = wait_tasks(relays.pids, |exited| {
            running -= exited.len();
            if running == 0 {
                self.mark_tasks_done();
            }
            if exited.iter().any(|e| e.0 == first_gtid) {
                // Its stderr may now reach EOF.
                lock(&stderr0).take();
            }
            // Output first (bounded: a background child may hold a pipe).
            let gtids: Vec<u32> = exited.iter().map(|e| e.0).collect();
            drained.wait(&gtids, OUTPUT_GRACE);
            self.report_exits(exited);
        });
        // As upstream, srun waits for the I/O: a background child still
        // holding a task's output keeps the step (and srun) going.
        for o in relays.outputs {
            let _ = o.join();
        }
        // Our side is done; srun closes its side once it has every EOF.
        // Closing before that would reset the connection if srun still
        // sends (a late stdin EOF), and a reset loses our last frames.
        let _ = self.io_reader.shutdown(std::net::Shutdown::Write);
        self.complete(step_rc(&statuses));
        if let Some(relay) = stdin_relay {
            wait_finished(&relay, IO_CLOSE_WAIT);
        }
        self.record.remove(&self.spool);
        info!(
            "StepId={}.{} done on node {}",
            step_id.job_id, step_id.step_id, self.node_id
        );
    }

    /// Before srun hears of the last exit (it then ends the job at once):
    /// the job's REQUEST_TERMINATE_JOB must not wait for our last
    /// messages, only kill what the tasks left.
    fn mark_tasks_done(&self) {
        let done = StepRecord {
            tasks_done: true,
            ..self.record
        };
        if let Err(e) = done.save(&self.spool) {
            warn!("cannot update the step record: {e}");
        }
    }

    /// MESSAGE_TASK_EXIT to srun, one per exit status.
    fn report_exits(&self, exited: &[(u32, i32)]) {
        for (status, gtids) in group_by_status(exited) {
            let msg = Message::TaskExit(TaskExit {
                return_code: status as u32,
                task_id_list: gtids,
                step_id: self.req.step_id,
            });
            self.tell_srun(&msg);
        }
    }

    /// REQUEST_STEP_COMPLETE for this node (its rank alone: no reverse
    /// tree of step daemons here, the controller takes ranges from each).
    fn complete(&self, step_rc: u32) {
        let complete = Message::StepComplete(StepComplete {
            step_id: self.req.step_id,
            range_first: self.node_id,
            range_last: self.node_id,
            step_rc,
            jobacct: None,
        });
        match report::to_controller(&self.link, &complete) {
            Ok(Message::SlurmRc { rc }) if rc != 0 => {
                warn!("step complete: controller says rc {rc}")
            }
            Ok(_) => {}
            Err(e) => error!("step complete not delivered: {e}"),
        }
    }

    fn wire_step_id(&self) -> WireStepId {
        self.req.step_id
    }

    fn tell_srun(&self, msg: &Message) {
        tell_srun(&*self.auth, self.resp_addr, msg, self.req.uid);
    }
}

/// The tasks' I/O relays, and what the rest of the step needs of them.
struct Relays {
    /// The output relay threads.
    outputs: Vec<std::thread::JoinHandle<()>>,
    /// stdin pipes by gtid (for the stdin relay).
    stdin: HashMap<u32, std::fs::File>,
    /// pid → gtid.
    pids: HashMap<i32, u32>,
    /// Which tasks' output is all sent.
    drained: Arc<io::Drained>,
    /// Task 0's stderr, for the daemon's own notices.
    stderr0: Arc<Mutex<Option<std::fs::File>>>,
}

impl Relays {
    fn start(tasks: Vec<Launched>, link: &io::IoLink, buffered: bool) -> Relays {
        let mut r = Relays {
            outputs: Vec::new(),
            stdin: HashMap::new(),
            pids: HashMap::new(),
            drained: Arc::new(io::Drained::default()),
            stderr0: Arc::new(Mutex::new(None)),
        };
        let first_gtid = tasks[0].gtid;
        for t in tasks {
            if t.gtid == first_gtid {
                *lock(&r.stderr0) = Some(t.stderr_writer);
            }
            for (kind, stream) in [(IO_STDOUT, t.stdout), (IO_STDERR, t.stderr)] {
                match stream {
                    Some(s) => {
                        let ids = (kind, t.gtid, t.ltid);
                        let d = r.drained.clone();
                        r.outputs
                            .push(io::relay_output(link.clone(), ids, s, d, buffered));
                    }
                    None => r.drained.mark(t.gtid),
                }
            }
            if let Some(pipe) = t.stdin {
                r.stdin.insert(t.gtid, pipe);
            }
            r.pids.insert(t.pid, t.gtid);
        }
        r
    }
}

fn tell_srun(auth: &dyn CredentialService, addr: SocketAddr, msg: &Message, uid: u32) {
    if let Err(e) = report::to_srun(auth, addr, msg, uid) {
        warn!("message to srun not delivered: {e}");
    }
}

/// Waits (at most `limit`) for a thread to end.
fn wait_finished(t: &std::thread::JoinHandle<()>, limit: std::time::Duration) {
    let deadline = std::time::Instant::now() + limit;
    while !t.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What slurmd-rs asks of the daemon, by real-time signal (see
/// [`super::launch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// The step is cancelled (scancel of the step, srun's forced end):
    /// notice, then SIGKILL.
    Kill,
    /// The job ends (REQUEST_TERMINATE_JOB): notice, then SIGCONT and
    /// SIGTERM; slurmd-rs sends SIGKILL after KillWait.
    Terminate,
    /// As [`Request::Terminate`], the job being over its time limit.
    TimeLimit,
}

impl Request {
    const ALL: [Request; 3] = [Request::Kill, Request::Terminate, Request::TimeLimit];

    /// The signal that carries it.
    pub fn signal(self) -> i32 {
        libc::SIGRTMIN() + self as i32
    }

    fn from_signal(sig: i32) -> Option<Request> {
        Self::ALL.into_iter().find(|r| r.signal() == sig)
    }
}

fn request_signals() -> libc::sigset_t {
    // SAFETY: builds a signal set in memory we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for r in Request::ALL {
            libc::sigaddset(&mut set, r.signal());
        }
        set
    }
}

fn block_request_signals() {
    let set = request_signals();
    // SAFETY: changes this thread's mask (threads spawned later inherit it).
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// What upstream's stepd says on the step's stderr when the step is
/// killed by request (scancel, srun's forced termination, time limit).
fn cancel_notice(node: &str, step: WireStepId, time_limit: bool) -> String {
    let why = if time_limit { " DUE TO TIME LIMIT" } else { "" };
    format!(
        "slurmstepd-{node}: error: *** STEP {}.{} ON {node} CANCELLED AT {}{why} ***\n",
        step.job_id,
        step.step_id,
        local_time_str()
    )
}

/// Serves slurmd-rs's requests: say why on task 0's stderr (while the
/// task still runs, so the line goes before its EOF), then signal the
/// tasks. `notice` is None on nodes other than the step's first, which
/// stay silent as upstream's do.
fn watch_requests(
    notice: Option<impl Fn(bool) -> String + Send + 'static>,
    stderr0: Arc<Mutex<Option<std::fs::File>>>,
    pgid: i32,
) {
    std::thread::spawn(move || {
        let set = request_signals();
        let mut said = false;
        loop {
            let mut sig = 0;
            // SAFETY: waits for the set blocked in every thread; `sig`
            // receives the signal number.
            if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                return;
            }
            let Some(request) = Request::from_signal(sig) else {
                continue;
            };
            if let (false, Some(notice)) = (said, &notice) {
                if let Some(f) = lock(&stderr0).as_mut() {
                    let text = notice(request == Request::TimeLimit);
                    let _ = f.write_all(text.as_bytes());
                }
                said = true;
            }
            let signals: &[i32] = match request {
                Request::Kill => &[libc::SIGKILL],
                _ => &[libc::SIGCONT, libc::SIGTERM],
            };
            for &s in signals {
                // SAFETY: signals only the step's own process group.
                unsafe { libc::kill(-pgid, s) };
            }
        }
    });
}

/// The local time as Slurm prints it: `YYYY-MM-DDTHH:MM:SS`.
fn local_time_str() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as libc::time_t);
    // SAFETY: localtime_r reads `t` and fills the zeroed `tm` we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
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

/// The user's groups: the signed credential's when it has them (the
/// request's own list is not covered by the signature).
fn groups(req: &LaunchTasksRequest) -> Vec<u32> {
    let signed = &req.cred.credential.gids;
    if signed.is_empty() {
        req.gids.clone()
    } else {
        signed.clone()
    }
}

/// Opens the files the request names for the tasks' stdio, as the user.
fn open_files(
    req: &LaunchTasksRequest,
    node_id: u32,
    gtids: &[u32],
) -> Result<Vec<stdio::TaskFiles>, Failure> {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default();
    let user = req.user_name.clone().unwrap_or_default();
    let cwd = req.cwd.clone().unwrap_or_else(|| "/tmp".into());
    let job_name = crate::step::env::get(&req.env, "SLURM_JOB_NAME");
    let names = stdio::Names {
        patterns: [
            req.ifname.as_deref(),
            req.ofname.as_deref(),
            req.efname.as_deref(),
        ],
        ctx: stdio::context(
            req.step_id.job_id,
            req.step_id.step_id,
            node_id,
            &host,
            &user,
            job_name,
            &cwd,
        ),
        open_mode: req.open_mode,
    };
    let opened = stdio::as_user(req.uid, req.gid, &groups(req), || {
        stdio::open_all(&names, gtids)
    });
    match opened {
        Ok(Ok(files)) => Ok(files),
        Ok(Err(e)) | Err(e) => Err((SlurmRc::ESLURMD_IO_ERROR, format!("stdio file: {e}"))),
    }
}

/// The environment the node gives every task of the step.
fn node_env(
    req: &LaunchTasksRequest,
    h: &Handover,
    node_id: u32,
    gtids: &[u32],
    resp_addr: SocketAddr,
) -> Vec<String> {
    let mut env = env::node_environment(
        &req.env,
        &env::NodeEnv {
            conf_path: h.conf_path.clone(),
            node_name: h.node_name.clone(),
            node_id,
            cpus_on_node: step_cpus(&req.cred.credential, &h.node_name, h.node_cpus),
            gtids: gtids.to_vec(),
            job_id: req.step_id.job_id,
            step_id: req.step_id.step_id,
            srun: resp_addr,
            uid: req.uid,
            gid: req.gid,
            user_name: req.user_name.clone(),
        },
    );
    for kv in &h.gres_env {
        if let Some((k, v)) = kv.split_once('=') {
            crate::step::env::overwrite(&mut env, k, v);
        }
    }
    env
}

/// Who the tasks run as, and where.
fn identity(req: &LaunchTasksRequest, node_name: &str) -> Identity {
    Identity {
        uid: req.uid,
        gid: req.gid,
        gids: groups(req),
        cwd: req.cwd.clone().unwrap_or_else(|| "/tmp".into()),
        log_prefix: format!("slurmstepd-{node_name}"),
    }
}

/// srun's I/O and response addresses for this node: its IP (as packed,
/// else the launch request's peer) with the node's pick of its ports.
fn srun_addrs(
    req: &LaunchTasksRequest,
    h: &Handover,
    node_id: u32,
) -> Result<(SocketAddr, SocketAddr), Failure> {
    let srun_ip = match req.orig_addr {
        wire::addr::SlurmAddr::Inet(a) => a.ip(),
        wire::addr::SlurmAddr::Unset => h.srun_ip.parse().map_err(|e| {
            (
                SlurmRc::ESLURMD_IO_ERROR,
                format!("srun address {:?}: {e}", h.srun_ip),
            )
        })?,
    };
    let pick = |ports: &[u16]| -> Result<SocketAddr, Failure> {
        let port = *ports
            .get(node_id as usize % ports.len().max(1))
            .ok_or((SlurmRc::ESLURMD_IO_ERROR, "no srun port".to_string()))?;
        Ok(SocketAddr::new(srun_ip, port))
    };
    Ok((pick(&req.io_port)?, pick(&req.resp_port)?))
}

/// This node's index in the step (its place in the credential's step
/// host list).
fn node_index(req: &LaunchTasksRequest, node: &str) -> Result<u32, Failure> {
    let list = req.cred.credential.step_hostlist.as_deref().unwrap_or("");
    let hosts = wire::hostlist::expand(list).unwrap_or_default();
    let i = hosts.iter().position(|h| h == node).ok_or_else(|| {
        (
            SlurmRc::ESLURMD_INVALID_JOB_CREDENTIAL,
            format!("node {node} is not in the step's nodes {list}"),
        )
    })?;
    if i >= req.global_task_ids.len() {
        return Err((
            SlurmRc::ESLURM_PROTOCOL_INCOMPLETE_PACKET,
            "no task ids for this node".into(),
        ));
    }
    Ok(i as u32)
}

fn fork_tasks(
    req: &LaunchTasksRequest,
    gtids: &[u32],
    node_env: &[String],
    who: &Identity,
    files: Vec<stdio::TaskFiles>,
) -> Result<Vec<Launched>, Failure> {
    let mut started: Vec<Launched> = Vec::new();
    let mut node_env = node_env.to_vec();
    let rlimits = tasks::take_rlimits(&mut node_env);
    for ((ltid, &gtid), files) in gtids.iter().enumerate().zip(files) {
        let spec = TaskSpec {
            gtid,
            ltid: ltid as u32,
            argv: req.argv.clone(),
            env: env::task_environment(&node_env, gtid, ltid as u32),
            rlimits: rlimits.clone(),
        };
        let pgid = started.first().map_or(0, |t| t.pid);
        match tasks::start(&spec, who, pgid, files) {
            Ok(t) => started.push(t),
            Err(e) => {
                if pgid > 0 {
                    // SAFETY: kills only the group of the tasks just forked.
                    unsafe { libc::kill(-pgid, libc::SIGKILL) };
                }
                return Err((SlurmRc::ESLURMD_FORK_FAILED, format!("fork: {e}")));
            }
        }
    }
    if started.is_empty() {
        return Err((
            SlurmRc::ESLURMD_FORK_FAILED,
            "no tasks for this node".into(),
        ));
    }
    Ok(started)
}

/// The CPUs of the step on this node (what slurmd puts in `node_cpus`):
/// the step's cores in this node's slice of the credential's core
/// bitmaps, times the node's CPUs per core.
fn step_cpus(cred: &JobCredential, node: &str, node_conf_cpus: u16) -> u16 {
    let hosts =
        wire::hostlist::expand(cred.job_hostlist.as_deref().unwrap_or("")).unwrap_or_default();
    let Some(index) = hosts.iter().position(|h| h == node) else {
        return 1;
    };
    // Walk the run-length encoded (sockets, cores) layout to our slice.
    let (mut first, mut left) = (0u32, index as u32 + 1);
    let mut width = 0;
    for (i, &reps) in cred.sock_core_rep_count.iter().enumerate() {
        let per_node = u32::from(cred.sockets_per_node.get(i).copied().unwrap_or(0))
            * u32::from(cred.cores_per_socket.get(i).copied().unwrap_or(0));
        if left > reps {
            first += per_node * reps;
            left -= reps;
        } else {
            first += per_node * (left - 1);
            width = per_node;
            break;
        }
    }
    let Some(bits) = &cred.step_core_bitmap else {
        return 1;
    };
    let cores = (first..first + width)
        .filter(|&b| b < bits.len() && bits.get(b))
        .count() as u32;
    let per_core = u32::from(node_conf_cpus).checked_div(width).unwrap_or(1);
    (cores.max(1) * per_core.max(1)) as u16
}

/// Reaps the tasks; each batch of exits reaped together goes to
/// `on_exit` as (gtid, wait status). Returns every task's status.
fn wait_tasks(mut pids: HashMap<i32, u32>, mut on_exit: impl FnMut(&[(u32, i32)])) -> Vec<i32> {
    let mut all = Vec::new();
    while !pids.is_empty() {
        let mut batch = Vec::new();
        let mut flags = 0;
        loop {
            let mut status = 0;
            // SAFETY: waitpid fills `status`.
            let pid = unsafe { libc::waitpid(-1, &mut status, flags) };
            if pid <= 0 {
                if pid < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                if pid < 0 && flags == 0 {
                    // No children left at all: nothing more to wait for.
                    pids.clear();
                }
                break;
            }
            if let Some(gtid) = pids.remove(&pid) {
                batch.push((gtid, status));
                all.push(status);
            }
            flags = libc::WNOHANG;
        }
        if !batch.is_empty() {
            on_exit(&batch);
        }
    }
    all
}

/// `stepd_send_pending_exit_msgs`: tasks with the same status share one
/// message, in order of first appearance.
fn group_by_status(exited: &[(u32, i32)]) -> Vec<(i32, Vec<u32>)> {
    let mut groups: Vec<(i32, Vec<u32>)> = Vec::new();
    for &(gtid, status) in exited {
        match groups.iter_mut().find(|(s, _)| *s == status) {
            Some((_, ids)) => ids.push(gtid),
            None => groups.push((status, vec![gtid])),
        }
    }
    groups
}

/// `_get_exit_code`: the first task killed by a signal decides, else the
/// highest wait status.
fn step_rc(statuses: &[i32]) -> u32 {
    statuses
        .iter()
        .find(|&&s| libc::WIFSIGNALED(s))
        .or_else(|| statuses.iter().max())
        .map_or(0, |&s| s as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_are_grouped_by_status() {
        let g = group_by_status(&[(0, 0), (1, 256), (2, 0)]);
        assert_eq!(g, vec![(0, vec![0, 2]), (256, vec![1])]);
    }

    #[test]
    fn step_cpus_count_the_steps_cores_in_this_nodes_slice() {
        // Two nodes of 1 socket x 2 cores; the step has both cores of n1
        // and one of n2 (the -N2 -n3 case).
        let mut bits = wire::pack::Bitmap::new(4);
        [0, 1, 2].into_iter().for_each(|b| bits.set(b));
        let cred = JobCredential {
            job_hostlist: Some("n[1-2]".into()),
            sockets_per_node: vec![1],
            cores_per_socket: vec![2],
            sock_core_rep_count: vec![2],
            step_core_bitmap: Some(bits),
            ..Default::default()
        };
        assert_eq!(step_cpus(&cred, "n1", 2), 2);
        assert_eq!(step_cpus(&cred, "n2", 2), 1);
        // Two hardware threads per core double it.
        assert_eq!(step_cpus(&cred, "n2", 4), 2);
        assert_eq!(step_cpus(&cred, "n9", 2), 1);
    }

    #[test]
    fn step_rc_prefers_signals_then_highest() {
        assert_eq!(step_rc(&[0, 768, 256]), 768);
        assert_eq!(step_rc(&[768, 9]), 9);
        assert_eq!(step_rc(&[]), 0);
    }
}
