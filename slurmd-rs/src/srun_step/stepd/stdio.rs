//! Where each task's stdin/stdout/stderr go (`_expand_stdio_filename`,
//! `_init_task_stdio_fds`): srun's I/O connection when srun sent no file
//! name (or a task number naming this task), /dev/null for a task number
//! naming another task, else the `%`-expanded file, opened as the user.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;

use crate::step::fname::{self, FnameContext};
use crate::step::{OpenMode, NO_VAL};

/// One task's files; `None` = the stream goes over srun's connection.
#[derive(Debug, Default)]
pub struct TaskFiles {
    /// stdin.
    pub stdin: Option<File>,
    /// stdout.
    pub stdout: Option<File>,
    /// stderr.
    pub stderr: Option<File>,
}

/// What file names expand with.
pub struct Names<'a> {
    /// `ifname`, `ofname`, `efname` of the request.
    pub patterns: [Option<&'a str>; 3],
    /// Context for `%` patterns (`task_id` is set per task).
    pub ctx: FnameContext<'a>,
    /// `open_mode` of the request; `JobFileAppend` is not known here, so
    /// "default" truncates.
    pub open_mode: u8,
}

/// The path of one stream of task `gtid`, or None for srun's connection.
fn target(pattern: Option<&str>, gtid: u32, ctx: &FnameContext<'_>) -> Option<String> {
    let p = pattern.filter(|p| !p.is_empty())?;
    if p.bytes().all(|b| b.is_ascii_digit()) {
        let named = p.parse::<u64>().ok() == Some(u64::from(gtid));
        return (!named).then(|| "/dev/null".to_string());
    }
    let ctx = FnameContext {
        task_id: gtid,
        ..ctx.clone()
    };
    Some(fname::expand(p, &ctx))
}

/// Opens every task's files. Tasks naming the same output file share one
/// open file (truncated once), as their lines would otherwise overwrite
/// each other.
pub fn open_all(names: &Names<'_>, gtids: &[u32]) -> io::Result<Vec<TaskFiles>> {
    let append = OpenMode::from_wire(names.open_mode) == OpenMode::Append;
    let mut opened: HashMap<String, File> = HashMap::new();
    let mut open_out = |path: String| -> io::Result<File> {
        if let Some(f) = opened.get(&path) {
            return f.try_clone();
        }
        let f = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
        opened.insert(path, f.try_clone()?);
        Ok(f)
    };
    let [ifname, ofname, efname] = names.patterns;
    gtids
        .iter()
        .map(|&gtid| {
            let stdin = target(ifname, gtid, &names.ctx)
                .map(|p| File::open(&p).map_err(|e| io::Error::new(e.kind(), format!("{p}: {e}"))))
                .transpose()?;
            let stdout = target(ofname, gtid, &names.ctx)
                .map(&mut open_out)
                .transpose()?;
            let stderr = target(efname, gtid, &names.ctx)
                .map(&mut open_out)
                .transpose()?;
            Ok(TaskFiles {
                stdin,
                stdout,
                stderr,
            })
        })
        .collect()
}

/// Runs `f` with the effective ids of the user, so files are created
/// and checked as the user would (the step daemon is single-threaded
/// here: the ids are the whole process's).
pub fn as_user<T>(uid: u32, gid: u32, gids: &[u32], f: impl FnOnce() -> T) -> io::Result<T> {
    let check = |r: libc::c_int| {
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    };
    // SAFETY: plain id syscalls; the previous ids are restored below.
    unsafe {
        check(libc::setgroups(gids.len(), gids.as_ptr()))?;
        check(libc::setegid(gid))?;
        check(libc::seteuid(uid))?;
    }
    let out = f();
    // SAFETY: as above, back to root (we started as root).
    unsafe {
        check(libc::seteuid(0))?;
        check(libc::setegid(0))?;
        check(libc::setgroups(0, std::ptr::null()))?;
    }
    Ok(out)
}

/// An FnameContext for a step (no array information at hand).
pub fn context<'a>(
    job_id: u32,
    step_id: u32,
    node_id: u32,
    hostname: &'a str,
    user_name: &'a str,
    job_name: Option<&'a str>,
    work_dir: &'a str,
) -> FnameContext<'a> {
    FnameContext {
        job_id,
        step_id,
        array_job_id: job_id,
        array_task_id: NO_VAL,
        node_id,
        task_id: 0,
        hostname,
        user_name,
        job_name,
        work_dir,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_upstreams_rules() {
        let ctx = context(5, 0, 0, "h", "u", None, "/w");
        assert_eq!(target(None, 0, &ctx), None);
        assert_eq!(target(Some("1"), 1, &ctx), None);
        assert_eq!(target(Some("1"), 0, &ctx).as_deref(), Some("/dev/null"));
        assert_eq!(
            target(Some("o-%t.txt"), 3, &ctx).as_deref(),
            Some("/w/o-3.txt")
        );
    }

    #[test]
    fn tasks_share_one_output_file() {
        let dir = tempfile::tempdir().unwrap();
        let wd = dir.path().to_str().unwrap();
        let names = Names {
            patterns: [None, Some("all.txt"), Some("e-%t.txt")],
            ctx: context(5, 0, 0, "h", "u", None, wd),
            open_mode: 0,
        };
        let files = open_all(&names, &[0, 1]).unwrap();
        use std::io::Write;
        for (i, f) in files.iter().enumerate() {
            assert!(f.stdin.is_none());
            writeln!(f.stdout.as_ref().unwrap(), "line {i}").unwrap();
        }
        let all = std::fs::read_to_string(dir.path().join("all.txt")).unwrap();
        assert_eq!(all, "line 0\nline 1\n");
        assert!(dir.path().join("e-1.txt").exists());
    }
}
