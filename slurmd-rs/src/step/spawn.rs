//! Writing a batch script and starting it as the user: upstream's
//! `_make_batch_dir` / `_make_batch_script` (`src/slurmd/slurmstepd/mgr.c`),
//! stdio set-up (`io.c`), and the privilege drop, chdir and exec of
//! `_fork_all_tasks` / `exec_task` (`mgr.c`, `task.c`).
//!
//! The daemon forks a *keeper*, which forks the script. The keeper plays the
//! part of upstream's slurmstepd that matters when the daemon dies: it is
//! the script's parent, outlives the daemon (own session, every signal
//! blocked), waits for the script and leaves its raw wait status in the
//! step's status file (temporary name + rename), then exits. The daemon
//! waits for the keeper and reads the file; a restarted daemon finds the
//! file, or the keeper still running, through the step record.
//!
//! The keeper never execs: it runs only async-signal-safe calls (the daemon
//! has threads) on buffers prepared before the fork, from its birth to its
//! `_exit`. That needs nothing on disk (no binary to find again, works from
//! tests linking the library) and is a few raw syscalls. The price is that
//! its memory is a copy-on-write view of the daemon's at fork time, and
//! `/proc/<pid>/cmdline` still reads as the daemon's; its name (`comm`) is
//! `slurmd-keeper`.
//!
//! Both children report through one close-on-exec pipe (fixed-size
//! messages): the keeper sends the script's pid, a child failing before exec
//! sends where and why. End-of-file (the keeper closed its end, the script
//! exec'd) ends the launch.

use std::ffi::{CString, OsStr};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::env::{self, BatchEnv};
use super::fname::{self, FnameContext};
use super::{BatchJob, NodeContext, StepError, StepId};

/// A started batch step.
#[derive(Debug, Clone)]
pub(crate) struct Spawned {
    /// Leader pid (also its process group and session).
    pub pid: i32,
    /// Leader start time (clock ticks after boot).
    pub start_time: u64,
    /// The keeper (the leader's parent, this process's child).
    pub keeper_pid: i32,
    /// Its start time.
    pub keeper_start_time: u64,
    /// `<spool>/job%05u`.
    pub job_dir: PathBuf,
    /// `<job_dir>/slurm_script`.
    pub script: PathBuf,
    /// Expanded stdout path.
    pub stdout_path: String,
    /// Expanded stderr path.
    pub stderr_path: String,
}

/// `<spool>/job%05u` for the batch step, `job%05u.%05u` for others.
pub(crate) fn job_dir(spool: &Path, step: StepId) -> PathBuf {
    if step.is_batch() {
        spool.join(format!("job{:05}", step.job_id))
    } else {
        spool.join(format!("job{:05}.{:05}", step.job_id, step.step_id))
    }
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StepError {
    let path = path.to_path_buf();
    move |source| StepError::Io { what, path, source }
}

/// Creates the job directory (0750, group of the job) and writes the
/// script into it (0700, owned by the user; never over an existing file).
pub(crate) fn write_script(spool: &Path, job: &BatchJob) -> Result<(PathBuf, PathBuf), StepError> {
    if job.script.is_empty() {
        return Err(StepError::EmptyScript(job.job_id));
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(spool)
        .map_err(io_err("mkdir", spool))?;
    let dir = job_dir(spool, StepId::batch(job.job_id));
    match std::fs::DirBuilder::new().mode(0o750).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err("mkdir", &dir)(e)),
    }
    std::os::unix::fs::chown(&dir, None, Some(job.gid)).map_err(io_err("chown", &dir))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750))
        .map_err(io_err("chmod", &dir))?;
    let script = dir.join("slurm_script");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o700)
        .open(&script)
        .map_err(io_err("create", &script))?;
    let written = f.write_all(job.script.as_bytes()).and_then(|()| f.flush());
    let owned = written.and_then(|()| std::os::unix::fs::fchown(&f, Some(job.uid), None));
    if let Err(e) = owned {
        let _ = std::fs::remove_file(&script);
        return Err(io_err("write", &script)(e));
    }
    Ok((dir, script))
}

/// Where a child failed, as sent up the error pipe.
const STAGES: [&str; 11] = [
    "setsid",
    "setgroups",
    "setgid",
    "setuid",
    "chdir to work dir and /tmp",
    "open stdin",
    "open stdout",
    "open stderr",
    "dup2",
    "execve",
    "fork",
];
/// Index of "fork" in [`STAGES`] (the keeper could not fork the script).
const STAGE_FORK: u32 = 10;

/// Pipe message kinds: the keeper's "script pid" and a child's failure.
const MSG_PID: u32 = 1;
const MSG_FAIL: u32 = 2;
/// Every message is three native-endian 32-bit words: kind, then a pid, or
/// a stage index and an errno.
const MSG_LEN: usize = 12;

/// Sends one message up the launch pipe (async-signal-safe; a message
/// shorter than PIPE_BUF is written whole).
unsafe fn send(fd: libc::c_int, kind: u32, a: i32, b: i32) {
    let mut msg = [0u8; MSG_LEN];
    msg[..4].copy_from_slice(&kind.to_ne_bytes());
    msg[4..8].copy_from_slice(&a.to_ne_bytes());
    msg[8..].copy_from_slice(&b.to_ne_bytes());
    libc::write(fd, msg.as_ptr().cast(), MSG_LEN);
}

fn cstring(what: &'static str, job_id: u32, s: &[u8]) -> Result<CString, StepError> {
    CString::new(s).map_err(|_| StepError::InvalidLaunch {
        job_id,
        reason: format!("NUL byte in {what}"),
    })
}

/// Writes `n` in decimal into `buf` (no allocation: runs in the child).
fn write_decimal(buf: &mut [u8], mut n: u32) -> usize {
    let mut tmp = [0u8; 10];
    let mut len = 0;
    loop {
        tmp[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let len = len.min(buf.len());
    for i in 0..len {
        buf[i] = tmp[len - 1 - i];
    }
    len
}

/// Everything the child needs, prepared before fork.
struct ChildPlan {
    uid: libc::uid_t,
    gid: libc::gid_t,
    gids: Vec<libc::gid_t>,
    switch_user: bool,
    umask: libc::mode_t,
    prio: Option<i32>,
    rlimits: Vec<(i32, u64)>,
    work_dir: CString,
    stdin: CString,
    stdout: CString,
    stderr: CString,
    out_flags: libc::c_int,
    script: CString,
    argv: Vec<CString>,
    env: Vec<CString>,
}

/// What the keeper needs, prepared before fork.
struct KeeperPlan {
    /// The status file and the temporary name it is written under.
    status: CString,
    status_tmp: CString,
    /// Every signal, to block in the keeper.
    all_signals: libc::sigset_t,
}

/// Starts the batch script of `job` as its user under a keeper that will
/// write the script's wait status to `status_path`. `benv` is the prepared
/// environment (see [`env::batch_environment`]).
pub(crate) fn spawn_batch(
    job: &BatchJob,
    node: &NodeContext,
    benv: &BatchEnv,
    status_path: &Path,
) -> Result<Spawned, StepError> {
    let step = StepId::batch(job.job_id);
    let (job_dir, script) = write_script(&node.spool_dir, job)?;
    let result = start(job, node, benv, &script, status_path);
    match result {
        Ok(started) => Ok(Spawned {
            pid: started.pid,
            start_time: started.start_time,
            keeper_pid: started.keeper_pid,
            keeper_start_time: started.keeper_start_time,
            job_dir,
            script,
            stdout_path: started.stdout_path,
            stderr_path: started.stderr_path,
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&script);
            let _ = std::fs::remove_dir(&job_dir);
            tracing::error!(step = %step, "batch launch failed: {e}");
            Err(e)
        }
    }
}

struct Started {
    pid: i32,
    start_time: u64,
    keeper_pid: i32,
    keeper_start_time: u64,
    stdout_path: String,
    stderr_path: String,
}

/// The batch job's expanded (stdout, stderr) paths; stderr defaults to
/// stdout, stdout to `slurm-%j.out` / `slurm-%A_%a.out`.
pub(crate) fn batch_output_paths(job: &BatchJob, node: &NodeContext) -> (String, String) {
    let ctx = batch_fname_context(job, node);
    let out_pattern = job
        .std_out
        .as_deref()
        .unwrap_or(fname::default_pattern(job.array_task_id));
    let stdout_path = fname::expand(out_pattern, &ctx);
    let stderr_path = match job.std_err.as_deref() {
        Some(p) => fname::expand(p, &ctx),
        None => stdout_path.clone(),
    };
    (stdout_path, stderr_path)
}

fn batch_fname_context<'a>(job: &'a BatchJob, node: &'a NodeContext) -> FnameContext<'a> {
    FnameContext {
        job_id: job.job_id,
        step_id: super::SLURM_BATCH_SCRIPT,
        array_job_id: job.array_job_id,
        array_task_id: job.array_task_id,
        node_id: 0,
        task_id: 0,
        hostname: &node.hostname,
        user_name: &job.user_name,
        job_name: env::get(&job.environment, "SLURM_JOB_NAME"),
        work_dir: &job.work_dir,
    }
}

fn start(
    job: &BatchJob,
    node: &NodeContext,
    benv: &BatchEnv,
    script: &Path,
    status_path: &Path,
) -> Result<Started, StepError> {
    let job_id = job.job_id;
    let ctx = batch_fname_context(job, node);
    let (stdout_path, stderr_path) = batch_output_paths(job, node);
    let stdin_path = match job.std_in.as_deref() {
        Some(p) => fname::expand(p, &ctx),
        None => "/dev/null".to_string(),
    };
    let append = job.open_mode.appends(node.job_file_append);
    let out_flags =
        libc::O_CREAT | libc::O_WRONLY | libc::O_APPEND | if append { 0 } else { libc::O_TRUNC };

    // argv[0] is the script path; the rest follow the launch's argv[1..].
    let mut argv = vec![cstring(
        "script path",
        job_id,
        script.as_os_str().as_bytes(),
    )?];
    for a in job.argv.iter().skip(1) {
        argv.push(cstring("argv", job_id, a.as_bytes())?);
    }
    let mut envs = Vec::with_capacity(benv.env.len() + 1);
    for e in &benv.env {
        if e.contains('=') && !e.starts_with("SLURM_TASK_PID=") {
            envs.push(cstring("environment", job_id, e.as_bytes())?);
        }
    }
    let me_root = nix::unistd::geteuid().is_root();
    let switch_user = me_root || nix::unistd::getuid().as_raw() != job.uid;
    let mut gids: Vec<libc::gid_t> = job.gids.clone();
    if gids.is_empty() {
        gids.push(job.gid);
    }
    let plan = ChildPlan {
        uid: job.uid,
        gid: job.gid,
        gids,
        switch_user,
        umask: benv.umask.unwrap_or(0o022) as libc::mode_t,
        prio: benv.prio_process,
        rlimits: benv.rlimits.clone(),
        work_dir: cstring("work dir", job_id, job.work_dir.as_bytes())?,
        stdin: cstring("stdin path", job_id, stdin_path.as_bytes())?,
        stdout: cstring("stdout path", job_id, stdout_path.as_bytes())?,
        stderr: cstring("stderr path", job_id, stderr_path.as_bytes())?,
        out_flags,
        script: cstring("script path", job_id, OsStr::new(script).as_bytes())?,
        argv,
        env: envs,
    };
    // A requeued job runs again under the same id: a status file left from
    // before must not stand for this run.
    let status_dir = status_path.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(status_dir).map_err(io_err("mkdir", status_dir))?;
    match std::fs::remove_file(status_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(io_err("unlink", status_path)(e))
        }
        _ => {}
    }
    let mut tmp_name = status_path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    // SAFETY: sigfillset initialises the zeroed set.
    let all_signals = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        set
    };
    let keeper = KeeperPlan {
        status: cstring("status path", job_id, status_path.as_os_str().as_bytes())?,
        status_tmp: cstring("status path", job_id, tmp_name.as_bytes())?,
        all_signals,
    };
    let (keeper_pid, pid) =
        fork_exec(&plan, &keeper).map_err(|(stage, source)| StepError::Exec {
            step: StepId::batch(job_id),
            stage,
            source,
        })?;
    let start_time = super::proctrack::read_proc(pid).map_or(0, |p| p.start_time);
    let keeper_start_time = super::proctrack::read_proc(keeper_pid).map_or(0, |p| p.start_time);
    Ok(Started {
        pid,
        start_time,
        keeper_pid,
        keeper_start_time,
        stdout_path,
        stderr_path,
    })
}

/// Forks the keeper, which forks the script's child; that one becomes the
/// user and execs the script. Returns `(keeper pid, script pid)` once exec
/// has succeeded.
fn fork_exec(
    plan: &ChildPlan,
    keeper_plan: &KeeperPlan,
) -> Result<(i32, i32), (&'static str, std::io::Error)> {
    let mut argv: Vec<*const libc::c_char> = plan.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    // SLURM_TASK_PID=<pid>: the digits are written by the child.
    let mut pid_entry: Vec<u8> = b"SLURM_TASK_PID=".to_vec();
    let prefix = pid_entry.len();
    pid_entry.resize(prefix + 12, 0);
    let pid_ptr = pid_entry.as_mut_ptr();
    let mut envp: Vec<*const libc::c_char> = plan.env.iter().map(|e| e.as_ptr()).collect();
    envp.push(pid_ptr as *const libc::c_char);
    envp.push(std::ptr::null());
    let tmp = c"/tmp";

    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds is a valid array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(("pipe", std::io::Error::last_os_error()));
    }
    let (rd, wr) = (fds[0], fds[1]);

    // SAFETY: fork has no preconditions; the keeper and the script's child
    // below only make async-signal-safe calls on memory prepared before the
    // fork and end in execve or _exit.
    let keeper_pid = unsafe { libc::fork() };
    if keeper_pid < 0 {
        let e = std::io::Error::last_os_error();
        // SAFETY: closing fds we own.
        unsafe {
            libc::close(rd);
            libc::close(wr);
        }
        return Err(("fork", e));
    }
    if keeper_pid == 0 {
        // SAFETY: see above; every pointer refers to memory owned by `plan`,
        // `keeper_plan`, `argv`, `envp` or `pid_entry`, all alive in the
        // child's copy.
        unsafe {
            keeper(
                plan,
                keeper_plan,
                wr,
                argv.as_ptr(),
                envp.as_ptr(),
                pid_ptr.add(prefix),
                tmp.as_ptr(),
            )
        }
    }
    // SAFETY: the parent closes its copy of the write end.
    unsafe { libc::close(wr) };
    // At most two messages (the pid, and a failure); read to end-of-file.
    let mut buf = [0u8; 4 * MSG_LEN];
    let mut got = 0usize;
    while got < buf.len() {
        // SAFETY: reading into the unfilled tail of buf.
        let n = unsafe { libc::read(rd, buf[got..].as_mut_ptr().cast(), buf.len() - got) };
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    // SAFETY: closing the read end we own.
    unsafe { libc::close(rd) };
    let word = |m: &[u8], i: usize| {
        u32::from_ne_bytes([m[4 * i], m[4 * i + 1], m[4 * i + 2], m[4 * i + 3]])
    };
    let mut leader = None;
    let mut failure = None;
    for m in buf[..got - got % MSG_LEN].chunks(MSG_LEN) {
        match word(m, 0) {
            MSG_PID => leader = Some(word(m, 1) as i32),
            MSG_FAIL => failure = Some((word(m, 1) as usize, word(m, 2) as i32)),
            _ => {}
        }
    }
    match (leader, failure) {
        (Some(pid), None) => Ok((keeper_pid, pid)),
        (_, failure) => {
            // Nothing runs: reap the keeper (it exits once it has reaped the
            // failed child) and drop the status it wrote for it.
            let mut status = 0;
            // SAFETY: waiting for our own child.
            unsafe { libc::waitpid(keeper_pid, &mut status, 0) };
            // SAFETY: a NUL-terminated path.
            unsafe { libc::unlink(keeper_plan.status.as_ptr()) };
            let (stage, errno) = failure.unwrap_or((STAGES.len(), libc::EIO));
            Err((
                STAGES.get(stage).copied().unwrap_or("start"),
                std::io::Error::from_raw_os_error(errno),
            ))
        }
    }
}

/// The keeper side of [`fork_exec`]: forks the script's child, reports its
/// pid, waits for it and leaves its wait status in the status file. Never
/// returns.
unsafe fn keeper(
    plan: &ChildPlan,
    kp: &KeeperPlan,
    wr: libc::c_int,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    pid_digits: *mut u8,
    tmp: *const libc::c_char,
) -> ! {
    // No handler of the daemon's may run here, and signals meant for the
    // daemon (SIGTERM, SIGINT, SIGHUP) must not end the keeper: block them
    // all (the script's child sets its own mask).
    libc::sigprocmask(libc::SIG_SETMASK, &kp.all_signals, std::ptr::null_mut());
    // Were SIGCHLD ignored, the script would be reaped without a status.
    libc::signal(libc::SIGCHLD, libc::SIG_DFL);
    // Keep none of the daemon's descriptors: a listening socket held here
    // would stop a restarted daemon from binding its port.
    close_from(3, wr);
    let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
    if null >= 0 {
        for fd in 0..3 {
            libc::dup2(null, fd);
        }
        if null > 2 {
            libc::close(null);
        }
    }
    // Its own session: a kill of the daemon's process group, or the
    // daemon's terminal going away, does not reach it.
    libc::setsid();
    libc::prctl(
        libc::PR_SET_NAME,
        c"slurmd-keeper".as_ptr() as libc::c_ulong,
        0,
        0,
        0,
    );
    let pid = libc::fork();
    if pid < 0 {
        send(wr, MSG_FAIL, STAGE_FORK as i32, *libc::__errno_location());
        libc::_exit(127);
    }
    if pid == 0 {
        child(plan, wr, argv, envp, pid_digits, tmp)
    }
    send(wr, MSG_PID, pid, 0);
    libc::close(wr);
    let mut status = 0;
    loop {
        let r = libc::waitpid(pid, &mut status, 0);
        if r == pid {
            break;
        }
        if r < 0 && *libc::__errno_location() != libc::EINTR {
            libc::_exit(1);
        }
    }
    // "<status>\n", written under a temporary name and renamed, so a reader
    // sees all of it or nothing. No fsync: the file must outlive the daemon,
    // not the machine (a reboot ends the job anyway).
    let mut text = [0u8; 12];
    let n = write_decimal(&mut text, status as u32);
    text[n] = b'\n';
    let fd = libc::open(
        kp.status_tmp.as_ptr(),
        libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
        0o644 as libc::c_uint,
    );
    if fd < 0 {
        libc::_exit(1);
    }
    let written = libc::write(fd, text.as_ptr().cast(), n + 1);
    libc::close(fd);
    if written != (n + 1) as isize || libc::rename(kp.status_tmp.as_ptr(), kp.status.as_ptr()) != 0
    {
        libc::unlink(kp.status_tmp.as_ptr());
        libc::_exit(1);
    }
    libc::_exit(0)
}

/// Closes every descriptor from `first` up, except `keep`
/// (close_range(2), or a loop where the kernel lacks it).
unsafe fn close_from(first: libc::c_int, keep: libc::c_int) {
    let ranges = [(first, keep - 1), (keep + 1, libc::c_int::MAX)];
    for (lo, hi) in ranges {
        if lo > hi {
            continue;
        }
        let r = libc::syscall(
            libc::SYS_close_range,
            lo as libc::c_uint,
            hi as libc::c_uint,
            0 as libc::c_uint,
        );
        if r != 0 {
            for fd in lo..hi.min(65536) {
                libc::close(fd);
            }
        }
    }
}

/// The script's side of [`fork_exec`] (the keeper's child). Never returns.
unsafe fn child(
    plan: &ChildPlan,
    err_fd: libc::c_int,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    pid_digits: *mut u8,
    tmp: *const libc::c_char,
) -> ! {
    let fail = |stage: u32| -> ! {
        send(err_fd, MSG_FAIL, stage as i32, *libc::__errno_location());
        libc::_exit(127);
    };
    // Default signal handling and an empty mask: the daemon's (Rust ignores
    // SIGPIPE; tokio installs handlers) must not leak into the job.
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    for sig in 1..32 {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
    if libc::setsid() < 0 {
        fail(0);
    }
    if let Some(p) = plan.prio {
        // Best effort, as upstream: a failure is only logged there.
        libc::setpriority(libc::PRIO_PROCESS, 0, p);
    }
    for &(resource, value) in &plan.rlimits {
        // The submitter's soft limit, capped by the hard limit here (as root
        // we could raise the hard limit, but upstream leaves it alone).
        let mut cur = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(resource as _, &mut cur) == 0 {
            let soft = if value > cur.rlim_max {
                cur.rlim_max
            } else {
                value
            };
            let new = libc::rlimit {
                rlim_cur: soft,
                rlim_max: cur.rlim_max,
            };
            libc::setrlimit(resource as _, &new);
        }
    }
    if plan.switch_user {
        if libc::setgroups(plan.gids.len(), plan.gids.as_ptr()) != 0 {
            fail(1);
        }
        if libc::setgid(plan.gid) != 0 {
            fail(2);
        }
        if libc::setuid(plan.uid) != 0 {
            fail(3);
        }
    }
    libc::umask(plan.umask);
    // Upstream falls back to /tmp when the work dir is unusable.
    if libc::chdir(plan.work_dir.as_ptr()) != 0 && libc::chdir(tmp) != 0 {
        fail(4);
    }
    // Opened as the user, so the user's permissions and umask apply.
    let fd_in = libc::open(plan.stdin.as_ptr(), libc::O_RDONLY);
    if fd_in < 0 {
        fail(5);
    }
    let fd_out = libc::open(plan.stdout.as_ptr(), plan.out_flags, 0o666 as libc::c_uint);
    if fd_out < 0 {
        fail(6);
    }
    let fd_err = libc::open(plan.stderr.as_ptr(), plan.out_flags, 0o666 as libc::c_uint);
    if fd_err < 0 {
        fail(7);
    }
    for (fd, target) in [(fd_in, 0), (fd_out, 1), (fd_err, 2)] {
        if fd != target && libc::dup2(fd, target) < 0 {
            fail(8);
        }
    }
    // Nothing of the daemon's (sockets, logs, descriptors a library opened
    // without close-on-exec) reaches the job; the error pipe closes on exec.
    close_from(3, err_fd);
    let mut digits = [0u8; 11];
    let n = write_decimal(&mut digits, libc::getpid() as u32);
    std::ptr::copy_nonoverlapping(digits.as_ptr(), pid_digits, n);
    *pid_digits.add(n) = 0;
    libc::execve(plan.script.as_ptr(), argv, envp);
    fail(9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal() {
        let mut b = [0u8; 11];
        let n = write_decimal(&mut b, 4194304);
        assert_eq!(&b[..n], b"4194304");
        let n = write_decimal(&mut b, 0);
        assert_eq!(&b[..n], b"0");
    }

    #[test]
    fn dirs() {
        assert_eq!(
            job_dir(Path::new("/s"), StepId::batch(42)),
            PathBuf::from("/s/job00042")
        );
        assert_eq!(
            job_dir(
                Path::new("/s"),
                StepId {
                    job_id: 123456,
                    step_id: 3
                }
            ),
            PathBuf::from("/s/job123456.00003")
        );
    }
}
