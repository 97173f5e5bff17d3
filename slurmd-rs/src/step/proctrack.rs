//! Finding a step's processes in `/proc`, in the spirit of
//! proctrack/linuxproc (`src/plugins/proctrack/linuxproc/kill_tree.c`)
//! and proctrack/pgid: descendants by parent links, members of the step's
//! process group and session, processes seen in the step before (which
//! catches children that called setsid and were orphaned), and, when a
//! step is killed, processes whose environment carries the step's
//! SLURM_JOB_ID and SLURMD_NODENAME.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// One process as `/proc/<pid>/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcInfo {
    /// Process id.
    pub pid: i32,
    /// Parent.
    pub ppid: i32,
    /// Process group.
    pub pgid: i32,
    /// Session.
    pub sid: i32,
    /// Start time in clock ticks after boot (field 22); with the pid it
    /// names a process uniquely.
    pub start_time: u64,
    /// State letter (`Z` for zombies).
    pub state: char,
    /// Real uid (owner of `/proc/<pid>`).
    pub uid: u32,
}

impl ProcInfo {
    /// Whether the process is still running code (not a zombie).
    pub fn is_live(&self) -> bool {
        self.state != 'Z' && self.state != 'X'
    }
}

/// Parses the text of `/proc/<pid>/stat`. The command name may hold
/// spaces and parentheses, so fields are counted after the last ')'.
pub fn parse_stat(text: &str) -> Option<ProcInfo> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid: i32 = text.get(..open)?.trim().parse().ok()?;
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    Some(ProcInfo {
        pid,
        state: rest.first()?.chars().next()?,
        ppid: rest.get(1)?.parse().ok()?,
        pgid: rest.get(2)?.parse().ok()?,
        sid: rest.get(3)?.parse().ok()?,
        start_time: rest.get(19)?.parse().ok()?,
        uid: 0,
    })
}

/// Reads one process under `proc_root` (normally `/proc`).
pub fn read_proc_at(proc_root: &Path, pid: i32) -> Option<ProcInfo> {
    use std::os::unix::fs::MetadataExt;
    let dir = proc_root.join(pid.to_string());
    let text = std::fs::read_to_string(dir.join("stat")).ok()?;
    let mut info = parse_stat(&text)?;
    info.uid = std::fs::metadata(&dir).ok()?.uid();
    Some(info)
}

/// Reads one process from `/proc`.
pub fn read_proc(pid: i32) -> Option<ProcInfo> {
    read_proc_at(Path::new("/proc"), pid)
}

/// Start time of `pid`, if it exists and is not a zombie.
pub fn live_start_time(pid: i32) -> Option<u64> {
    read_proc(pid)
        .filter(ProcInfo::is_live)
        .map(|p| p.start_time)
}

/// Every process under `proc_root`.
pub fn snapshot_at(proc_root: &Path) -> Vec<ProcInfo> {
    let Ok(dir) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter_map(|pid| read_proc_at(proc_root, pid))
        .collect()
}

/// Every process in `/proc`.
pub fn snapshot() -> Vec<ProcInfo> {
    snapshot_at(Path::new("/proc"))
}

/// Pids of all descendants of `root` (not `root` itself) by parent links.
pub fn descendants(procs: &[ProcInfo], root: i32) -> BTreeSet<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in procs {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut out = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        for &c in children.get(&pid).map(Vec::as_slice).unwrap_or(&[]) {
            if c != root && out.insert(c) {
                stack.push(c);
            }
        }
    }
    out
}

/// Whether the environment `/proc/<pid>/environ` holds every `needles`
/// entry and none of `absent` names.
pub fn environ_matches(pid: i32, needles: &[String], absent: &[&str]) -> bool {
    let Ok(raw) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let vars: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
    needles.iter().all(|n| vars.contains(&n.as_bytes()))
        && absent.iter().all(|a| {
            !vars
                .iter()
                .any(|v| v.starts_with(a.as_bytes()) && v.get(a.len()) == Some(&b'='))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_odd_command_name() {
        let s = "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 100 ...";
        let p = parse_stat(s).unwrap();
        assert_eq!(
            (p.pid, p.ppid, p.pgid, p.sid, p.start_time, p.state),
            (1234, 1, 1234, 1234, 98765, 'S')
        );
        assert!(parse_stat("garbage").is_none());
        assert!(parse_stat("12 (x) S 1 2").is_none());
    }

    #[test]
    fn tree_walk() {
        let mk = |pid, ppid| ProcInfo {
            pid,
            ppid,
            pgid: 0,
            sid: 0,
            start_time: 0,
            state: 'S',
            uid: 0,
        };
        let procs = [
            mk(1, 0),
            mk(10, 1),
            mk(11, 10),
            mk(12, 11),
            mk(13, 1),
            mk(14, 12),
        ];
        assert_eq!(descendants(&procs, 10), BTreeSet::from([11, 12, 14]));
        assert!(descendants(&procs, 99).is_empty());
    }

    #[test]
    fn self_is_visible() {
        let me = std::process::id() as i32;
        let p = read_proc(me).unwrap();
        assert!(p.is_live());
        assert_eq!(live_start_time(me), Some(p.start_time));
        assert!(snapshot().iter().any(|p| p.pid == me));
    }
}
