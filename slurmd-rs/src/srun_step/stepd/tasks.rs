//! Starting the tasks (`exec_task`, `_exec_task` of slurmstepd/task.c):
//! fork, join the step's process group, take the stdio pipes, become the
//! user, chdir, execve.
//!
//! Forking happens while the step daemon is still single-threaded, so the
//! child may allocate before execve.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::stdio::TaskFiles;

/// Who the tasks run as, and where.
#[derive(Debug, Clone)]
pub struct Identity {
    /// User id.
    pub uid: u32,
    /// Primary group.
    pub gid: u32,
    /// Supplementary groups.
    pub gids: Vec<u32>,
    /// Working directory (falls back to /tmp, as upstream).
    pub cwd: String,
    /// How the task's own complaints start: `slurmstepd-<node>`.
    pub log_prefix: String,
}

/// One task to start.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    /// Rank in the step.
    pub gtid: u32,
    /// Index on this node.
    pub ltid: u32,
    /// Command line.
    pub argv: Vec<String>,
    /// Environment (without SLURM_TASK_PID).
    pub env: Vec<String>,
    /// Resource limits to apply.
    pub rlimits: Vec<(libc::__rlimit_resource_t, u64)>,
}

/// The SLURM_RLIMIT_* variables srun sends (PropagateResourceLimits):
/// removed from the environment and returned as (resource, value) for the
/// task to apply (`set_user_limits`).
pub fn take_rlimits(env: &mut Vec<String>) -> Vec<(libc::__rlimit_resource_t, u64)> {
    const NAMES: [(&str, libc::__rlimit_resource_t); 10] = [
        ("CPU", libc::RLIMIT_CPU),
        ("FSIZE", libc::RLIMIT_FSIZE),
        ("DATA", libc::RLIMIT_DATA),
        ("STACK", libc::RLIMIT_STACK),
        ("CORE", libc::RLIMIT_CORE),
        ("RSS", libc::RLIMIT_RSS),
        ("NPROC", libc::RLIMIT_NPROC),
        ("NOFILE", libc::RLIMIT_NOFILE),
        ("MEMLOCK", libc::RLIMIT_MEMLOCK),
        ("AS", libc::RLIMIT_AS),
    ];
    let mut limits = Vec::new();
    env.retain(|e| {
        let Some((name, value)) = e
            .strip_prefix("SLURM_RLIMIT_")
            .and_then(|r| r.split_once('='))
        else {
            return true;
        };
        if let (Some(&(_, res)), Ok(v)) = (NAMES.iter().find(|(n, _)| *n == name), value.parse()) {
            limits.push((res, v));
        }
        false
    });
    limits
}

/// Applies srun's limits; one the hard limit forbids is capped at it.
fn apply_rlimits(limits: &[(libc::__rlimit_resource_t, u64)]) {
    for &(res, v) in limits {
        let mut r = libc::rlimit {
            rlim_cur: v,
            rlim_max: v,
        };
        // SAFETY: get/setrlimit read and write the struct we own.
        unsafe {
            let mut cur: libc::rlimit = std::mem::zeroed();
            if libc::getrlimit(res, &mut cur) == 0 && cur.rlim_max > v {
                r.rlim_max = cur.rlim_max;
            }
            if libc::setrlimit(res, &r) != 0 {
                r.rlim_cur = v.min(cur.rlim_max);
                r.rlim_max = cur.rlim_max;
                libc::setrlimit(res, &r);
            }
        }
    }
}

/// A started task and the step daemon's ends of its stdio.
#[derive(Debug)]
pub struct Launched {
    /// Its pid.
    pub pid: i32,
    /// Rank in the step.
    pub gtid: u32,
    /// Index on this node.
    pub ltid: u32,
    /// Write end of its stdin (None: it reads a file).
    pub stdin: Option<File>,
    /// Read end of its stdout (None: it writes a file).
    pub stdout: Option<File>,
    /// Read end of its stderr (None: it writes a file).
    pub stderr: Option<File>,
    /// A write end of its stderr for the step daemon's own messages
    /// (upstream's stepd writes its errors to task 0's stderr).
    pub stderr_writer: File,
}

/// A close-on-exec pipe: (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds were just created and are owned by no one else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `_build_path`: the command as execve needs it, searched in the task's
/// PATH when it has no slash. Unfound commands stay as given (execve then
/// fails with ENOENT, which the task reports).
pub fn resolve_command(cmd: &str, env: &[String]) -> String {
    if cmd.contains('/') {
        return cmd.to_string();
    }
    let path = crate::step::env::get(env, "PATH").unwrap_or("/usr/local/bin:/usr/bin:/bin");
    path.split(':')
        .map(|dir| Path::new(if dir.is_empty() { "." } else { dir }).join(cmd))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .map_or_else(|| cmd.to_string(), |p| p.to_string_lossy().into_owned())
}

fn cstrings(v: &[String]) -> Vec<CString> {
    v.iter()
        .map(|s| CString::new(s.replace('\0', "")).unwrap_or_default())
        .collect()
}

/// Forks and execs one task into process group `pgid` (0: a new group led
/// by this task). Streams without a file in `files` get a pipe, whose
/// other end is returned.
pub fn start(spec: &TaskSpec, who: &Identity, pgid: i32, files: TaskFiles) -> io::Result<Launched> {
    let (in_r, in_w) = end_for(files.stdin, true)?;
    let (out_w, out_r) = end_for(files.stdout, false)?;
    let (err_w, err_r) = end_for(files.stderr, false)?;
    let path = resolve_command(spec.argv.first().map_or("", String::as_str), &spec.env);
    // SAFETY: the step daemon is single-threaded here (see the module doc).
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        let fds = [in_r.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()];
        child(spec, who, pgid, fds, &path);
    }
    // Both sides set the group, so it exists before anyone signals it.
    // SAFETY: setpgid on our own child.
    unsafe { libc::setpgid(pid, if pgid == 0 { pid } else { pgid }) };
    Ok(Launched {
        pid,
        gtid: spec.gtid,
        ltid: spec.ltid,
        stdin: in_w,
        stdout: out_r,
        stderr: err_r,
        stderr_writer: File::from(err_w),
    })
}

/// (the task's end, our end): the given file for the task and nothing for
/// us, or a fresh pipe. `input`: the task reads it.
fn end_for(file: Option<File>, input: bool) -> io::Result<(OwnedFd, Option<File>)> {
    if let Some(f) = file {
        return Ok((OwnedFd::from(f), None));
    }
    let (r, w) = pipe()?;
    Ok(if input {
        (r, Some(File::from(w)))
    } else {
        (w, Some(File::from(r)))
    })
}

/// The child's side: never returns.
fn child(spec: &TaskSpec, who: &Identity, pgid: i32, fds: [i32; 3], path: &str) -> ! {
    // SAFETY: plain syscalls on our own process; see each comment.
    unsafe {
        libc::setpgid(0, pgid);
        // Rust ignores SIGPIPE; tasks expect the default dispositions and
        // an empty signal mask.
        for sig in 1..32 {
            libc::signal(sig, libc::SIG_DFL);
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        for (i, fd) in fds.iter().enumerate() {
            libc::dup2(*fd, i as i32);
        }
    }
    apply_rlimits(&spec.rlimits);
    if let Err(e) = become_user(who) {
        fail(
            &format!(
                "{}: error: cannot become uid {}: {e}\n",
                who.log_prefix, who.uid
            ),
            1,
        );
    }
    enter_cwd(&who.cwd, &who.log_prefix);
    let mut env = spec.env.clone();
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    crate::step::env::overwrite(&mut env, "SLURM_TASK_PID", &pid.to_string());
    let argv = cstrings(&spec.argv);
    let envp = cstrings(&env);
    let mut argv_p: Vec<*const libc::c_char> = argv.iter().map(|c| c.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut envp_p: Vec<*const libc::c_char> = envp.iter().map(|c| c.as_ptr()).collect();
    envp_p.push(std::ptr::null());
    let cpath = CString::new(path).unwrap_or_default();
    // SAFETY: NUL-terminated strings and NULL-terminated arrays that live
    // until execve replaces the process.
    unsafe { libc::execve(cpath.as_ptr(), argv_p.as_ptr(), envp_p.as_ptr()) };
    let e = io::Error::last_os_error();
    let code = e.raw_os_error().unwrap_or(1);
    let text = strip_os_error_suffix(&e);
    fail(
        &format!("{}: error: execve(): {path}: {text}\n", who.log_prefix),
        code,
    );
}

/// "No such file or directory (os error 2)" → "No such file or directory".
fn strip_os_error_suffix(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn fail(msg: &str, code: i32) -> ! {
    // SAFETY: write to our stderr, then leave without running destructors
    // or atexit handlers of the parent's image.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::_exit(code)
    }
}

fn become_user(who: &Identity) -> io::Result<()> {
    let check = |r: libc::c_int| {
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    };
    let gids: Vec<libc::gid_t> = who.gids.clone();
    // SAFETY: setgroups reads `gids.len()` entries; the id calls take values.
    unsafe {
        check(libc::setgroups(gids.len(), gids.as_ptr()))?;
        check(libc::setgid(who.gid))?;
        check(libc::setuid(who.uid))
    }
}

/// chdir to the job's directory, else /tmp with upstream's complaint.
fn enter_cwd(cwd: &str, prefix: &str) {
    if std::env::set_current_dir(cwd).is_ok() {
        return;
    }
    let e = strip_os_error_suffix(&io::Error::last_os_error());
    let msg = format!("{prefix}: error: couldn't chdir to `{cwd}': {e}: going to /tmp instead\n");
    // SAFETY: write to our stderr.
    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
    let _ = std::env::set_current_dir("/tmp");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_searched_in_the_task_path() {
        let env = vec!["PATH=/nonexistent:/bin:/usr/bin".to_string()];
        let sh = resolve_command("sh", &env);
        assert!(sh.ends_with("/sh") && sh.starts_with('/'), "{sh}");
        assert_eq!(resolve_command("./x", &env), "./x");
        assert_eq!(resolve_command("no-such-cmd-xyz", &env), "no-such-cmd-xyz");
    }

    #[test]
    fn rlimits_leave_the_environment() {
        let mut env = vec![
            "SLURM_RLIMIT_NOFILE=1024".to_string(),
            "SLURM_RLIMIT_BOGUS=1".to_string(),
            "PATH=/bin".to_string(),
        ];
        assert_eq!(take_rlimits(&mut env), vec![(libc::RLIMIT_NOFILE, 1024)]);
        assert_eq!(env, vec!["PATH=/bin".to_string()]);
    }
}
