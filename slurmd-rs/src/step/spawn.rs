//! Writing a batch script and starting it as the user: upstream's
//! `_make_batch_dir` / `_make_batch_script` (`src/slurmd/slurmstepd/mgr.c`),
//! stdio set-up (`io.c`), and the privilege drop, chdir and exec of
//! `_fork_all_tasks` / `exec_task` (`mgr.c`, `task.c`).
//!
//! The child runs only async-signal-safe libc calls between fork and exec
//! (the daemon has threads), using buffers prepared before the fork. It
//! reports a failure through a close-on-exec pipe: end-of-file means exec
//! succeeded.

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
    std::fs::DirBuilder::new().recursive(true).mode(0o755).create(spool).map_err(io_err("mkdir", spool))?;
    let dir = job_dir(spool, StepId::batch(job.job_id));
    match std::fs::DirBuilder::new().mode(0o750).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err("mkdir", &dir)(e)),
    }
    std::os::unix::fs::chown(&dir, None, Some(job.gid)).map_err(io_err("chown", &dir))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).map_err(io_err("chmod", &dir))?;
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
const STAGES: [&str; 10] = [
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
];

fn cstring(what: &'static str, job_id: u32, s: &[u8]) -> Result<CString, StepError> {
    CString::new(s).map_err(|_| StepError::InvalidLaunch { job_id, reason: format!("NUL byte in {what}") })
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

/// Starts the batch script of `job` as its user. `benv` is the prepared
/// environment (see [`env::batch_environment`]).
pub(crate) fn spawn_batch(job: &BatchJob, node: &NodeContext, benv: &BatchEnv) -> Result<Spawned, StepError> {
    let step = StepId::batch(job.job_id);
    let (job_dir, script) = write_script(&node.spool_dir, job)?;
    let result = start(job, node, benv, &script);
    match result {
        Ok((pid, start_time, stdout_path, stderr_path)) => {
            Ok(Spawned { pid, start_time, job_dir, script, stdout_path, stderr_path })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&script);
            let _ = std::fs::remove_dir(&job_dir);
            tracing::error!(step = %step, "batch launch failed: {e}");
            Err(e)
        }
    }
}

fn start(job: &BatchJob, node: &NodeContext, benv: &BatchEnv, script: &Path) -> Result<(i32, u64, String, String), StepError> {
    let job_id = job.job_id;
    let ctx = FnameContext {
        job_id,
        step_id: super::SLURM_BATCH_SCRIPT,
        array_job_id: job.array_job_id,
        array_task_id: job.array_task_id,
        node_id: 0,
        task_id: 0,
        hostname: &node.hostname,
        user_name: &job.user_name,
        job_name: env::get(&job.environment, "SLURM_JOB_NAME"),
        work_dir: &job.work_dir,
    };
    let out_pattern = job.std_out.as_deref().unwrap_or(fname::default_pattern(job.array_task_id));
    let stdout_path = fname::expand(out_pattern, &ctx);
    let stderr_path = match job.std_err.as_deref() {
        Some(p) => fname::expand(p, &ctx),
        None => stdout_path.clone(),
    };
    let stdin_path = match job.std_in.as_deref() {
        Some(p) => fname::expand(p, &ctx),
        None => "/dev/null".to_string(),
    };
    let append = job.open_mode.appends(node.job_file_append);
    let out_flags = libc::O_CREAT | libc::O_WRONLY | libc::O_APPEND | if append { 0 } else { libc::O_TRUNC };

    // argv[0] is the script path; the rest follow the launch's argv[1..].
    let mut argv = vec![cstring("script path", job_id, script.as_os_str().as_bytes())?];
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
    let pid = fork_exec(&plan).map_err(|(stage, source)| StepError::Exec { step: StepId::batch(job_id), stage, source })?;
    let start_time = super::proctrack::read_proc(pid).map_or(0, |p| p.start_time);
    Ok((pid, start_time, stdout_path, stderr_path))
}

/// Forks; the child becomes the user and execs the script. Returns the
/// child's pid once exec has succeeded.
fn fork_exec(plan: &ChildPlan) -> Result<i32, (&'static str, std::io::Error)> {
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

    // SAFETY: fork has no preconditions; the child below only makes
    // async-signal-safe calls on memory prepared before the fork and ends in
    // execve or _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let e = std::io::Error::last_os_error();
        // SAFETY: closing fds we own.
        unsafe {
            libc::close(rd);
            libc::close(wr);
        }
        return Err(("fork", e));
    }
    if pid == 0 {
        // SAFETY: see above; every pointer refers to memory owned by `plan`,
        // `argv`, `envp` or `pid_entry`, all alive in the child's copy.
        unsafe { child(plan, wr, argv.as_ptr(), envp.as_ptr(), pid_ptr.add(prefix), tmp.as_ptr()) }
    }
    // SAFETY: the parent closes its copy of the write end.
    unsafe { libc::close(wr) };
    let mut buf = [0u8; 8];
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
    if got == 0 {
        return Ok(pid);
    }
    // The child failed before exec: reap it and report why.
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let stage = u32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    let errno = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
    Err((STAGES.get(stage).copied().unwrap_or("start"), std::io::Error::from_raw_os_error(errno)))
}

/// Closes every descriptor from `first` up, except `keep`
/// (close_range(2), or a loop where the kernel lacks it).
unsafe fn close_from(first: libc::c_int, keep: libc::c_int) {
    let ranges = [(first, keep - 1), (keep + 1, libc::c_int::MAX)];
    for (lo, hi) in ranges {
        if lo > hi {
            continue;
        }
        let r = libc::syscall(libc::SYS_close_range, lo as libc::c_uint, hi as libc::c_uint, 0 as libc::c_uint);
        if r != 0 {
            for fd in lo..hi.min(65536) {
                libc::close(fd);
            }
        }
    }
}

/// The child side of [`fork_exec`]. Never returns.
unsafe fn child(
    plan: &ChildPlan,
    err_fd: libc::c_int,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    pid_digits: *mut u8,
    tmp: *const libc::c_char,
) -> ! {
    let fail = |stage: u32| -> ! {
        let errno = *libc::__errno_location();
        let mut msg = [0u8; 8];
        msg[..4].copy_from_slice(&stage.to_ne_bytes());
        msg[4..].copy_from_slice(&errno.to_ne_bytes());
        libc::write(err_fd, msg.as_ptr().cast(), msg.len());
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
        let mut cur = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        if libc::getrlimit(resource as _, &mut cur) == 0 {
            let soft = if value > cur.rlim_max { cur.rlim_max } else { value };
            let new = libc::rlimit { rlim_cur: soft, rlim_max: cur.rlim_max };
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
        assert_eq!(job_dir(Path::new("/s"), StepId::batch(42)), PathBuf::from("/s/job00042"));
        assert_eq!(job_dir(Path::new("/s"), StepId { job_id: 123456, step_id: 3 }), PathBuf::from("/s/job123456.00003"));
    }
}
