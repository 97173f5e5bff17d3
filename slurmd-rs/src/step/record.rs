//! The per-step record kept under SlurmdSpoolDir so that a restarted
//! slurmd-rs finds the steps still running (upstream finds its stepds by
//! their sockets, `stepd_available` in `src/common/stepd_api.c`).
//!
//! One small `key=value` text file per step, written to a temporary name
//! and renamed, so a crash never leaves half a record. Beside it, the
//! step's keeper process (see `spawn`) leaves `<record>.status` holding the
//! leader's raw wait status once the leader has ended, written the same
//! way; it is how a status survives a daemon that was down at the time.

use std::path::{Path, PathBuf};

use super::proctrack;
use super::StepId;

/// What is remembered about a running (or finished, not yet reported) step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// The step.
    pub step: StepId,
    /// Node the step runs for (several daemons may share a spool dir).
    pub node_name: String,
    /// Pid of the step's leader (the batch shell).
    pub pid: i32,
    /// Its process group (also its session).
    pub pgid: i32,
    /// Its start time in clock ticks after boot (`/proc/<pid>/stat` field 22).
    pub start_time: u64,
    /// Job owner.
    pub uid: u32,
    /// Job group.
    pub gid: u32,
    /// Raw wait status once the leader has exited.
    pub exit_status: Option<i32>,
    /// The keeper: the leader's parent, which outlives the daemon and
    /// writes the status file (`None` in records of older versions).
    pub keeper: Option<Keeper>,
}

/// Pid and start time of a step's keeper process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keeper {
    /// Its pid.
    pub pid: i32,
    /// Its start time (clock ticks after boot; 0 when it was already gone
    /// when read).
    pub start_time: u64,
}

/// Why a record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The record file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A field is missing or malformed.
    #[error("{path}: bad or missing field {field}")]
    Field {
        /// The record file.
        path: PathBuf,
        /// Field name.
        field: &'static str,
    },
}

/// File name of a step's record: `<node>_<job>.<step>.step`, mirroring
/// upstream's stepd socket names.
pub fn file_name(node_name: &str, step: StepId) -> String {
    format!("{}_{}.{}.step", node_name, step.job_id, step.step_id)
}

/// File name of a step's status file (`<record>.status`).
pub fn status_file_name(node_name: &str, step: StepId) -> String {
    format!("{}.status", file_name(node_name, step))
}

/// Parses a status file's text: the raw wait status in decimal.
pub fn parse_status(text: &str) -> Option<i32> {
    text.trim()
        .parse::<u32>()
        .ok()
        .and_then(|v| i32::try_from(v).ok())
}

impl StepRecord {
    /// The record's text form.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "job_id={}\nstep_id={}\nnode_name={}\npid={}\npgid={}\nstart_time={}\nuid={}\ngid={}\n",
            self.step.job_id,
            self.step.step_id,
            self.node_name,
            self.pid,
            self.pgid,
            self.start_time,
            self.uid,
            self.gid
        );
        if let Some(st) = self.exit_status {
            s.push_str(&format!("exit_status={st}\n"));
        }
        if let Some(k) = self.keeper {
            s.push_str(&format!(
                "keeper_pid={}\nkeeper_start_time={}\n",
                k.pid, k.start_time
            ));
        }
        s
    }

    /// Parses the text form; `path` only names the file in errors.
    pub fn from_text(text: &str, path: &Path) -> Result<Self, RecordError> {
        let get = |field: &'static str| -> Result<&str, RecordError> {
            text.lines()
                .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix('=')))
                .ok_or(RecordError::Field {
                    path: path.to_path_buf(),
                    field,
                })
        };
        fn num<T: std::str::FromStr>(
            v: &str,
            path: &Path,
            field: &'static str,
        ) -> Result<T, RecordError> {
            v.trim().parse().map_err(|_| RecordError::Field {
                path: path.to_path_buf(),
                field,
            })
        }
        let exit_status = match get("exit_status") {
            Ok(v) => Some(num(v, path, "exit_status")?),
            Err(_) => None,
        };
        let keeper = match get("keeper_pid") {
            Ok(v) => Some(Keeper {
                pid: num(v, path, "keeper_pid")?,
                start_time: num(get("keeper_start_time")?, path, "keeper_start_time")?,
            }),
            Err(_) => None,
        };
        Ok(StepRecord {
            step: StepId {
                job_id: num(get("job_id")?, path, "job_id")?,
                step_id: num(get("step_id")?, path, "step_id")?,
            },
            node_name: get("node_name")?.to_string(),
            pid: num(get("pid")?, path, "pid")?,
            pgid: num(get("pgid")?, path, "pgid")?,
            start_time: num(get("start_time")?, path, "start_time")?,
            uid: num(get("uid")?, path, "uid")?,
            gid: num(get("gid")?, path, "gid")?,
            exit_status,
            keeper,
        })
    }

    /// Path of this record in `dir`.
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(file_name(&self.node_name, self.step))
    }

    /// Writes the record atomically into `dir` (created if missing).
    pub fn save(&self, dir: &Path) -> Result<PathBuf, RecordError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RecordError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = self.path_in(dir);
        let tmp = path.with_extension("step.tmp");
        std::fs::write(&tmp, self.to_text()).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(path)
    }

    /// Path of this step's status file in `dir`.
    pub fn status_path_in(&self, dir: &Path) -> PathBuf {
        dir.join(status_file_name(&self.node_name, self.step))
    }

    /// The wait status the keeper left in `dir`, if it has written one.
    pub fn read_status(&self, dir: &Path) -> Option<i32> {
        std::fs::read_to_string(self.status_path_in(dir))
            .ok()
            .as_deref()
            .and_then(parse_status)
    }

    /// Removes the record and its status file from `dir` (missing files
    /// are not an error).
    pub fn remove(&self, dir: &Path) -> Result<(), RecordError> {
        for path in [self.status_path_in(dir), self.path_in(dir)] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(RecordError::Io { path, source }),
            }
        }
        Ok(())
    }

    /// Whether the recorded leader is still the same live process: the pid
    /// exists, is not a zombie, and started when recorded (so a recycled
    /// pid does not count).
    pub fn leader_alive(&self) -> bool {
        self.exit_status.is_none() && proctrack::live_start_time(self.pid) == Some(self.start_time)
    }

    /// Whether the step's keeper is still the same live process.
    pub fn keeper_alive(&self) -> bool {
        self.keeper.is_some_and(|k| {
            k.start_time != 0 && proctrack::live_start_time(k.pid) == Some(k.start_time)
        })
    }
}

/// Every record of `node_name` in `dir`, with unreadable files reported
/// separately (they are skipped, never fatal).
pub fn load_all(dir: &Path, node_name: &str) -> (Vec<StepRecord>, Vec<RecordError>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (ok, bad);
    };
    let prefix = format!("{node_name}_");
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(&prefix) || !name.ends_with(".step") {
            continue;
        }
        let path = e.path();
        match std::fs::read_to_string(&path) {
            Ok(text) => match StepRecord::from_text(&text, &path) {
                Ok(r) if r.node_name == node_name => ok.push(r),
                Ok(_) => {}
                Err(err) => bad.push(err),
            },
            Err(source) => bad.push(RecordError::Io { path, source }),
        }
    }
    ok.sort_by_key(|r| r.step);
    (ok, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(pid: i32, start_time: u64) -> StepRecord {
        StepRecord {
            step: StepId::batch(77),
            node_name: "n1".into(),
            pid,
            pgid: pid,
            start_time,
            uid: 1001,
            gid: 1001,
            exit_status: None,
            keeper: None,
        }
    }

    #[test]
    fn round_trip_and_reattach_check() {
        let dir = tempfile::tempdir().unwrap();
        let me = std::process::id() as i32;
        let start = proctrack::live_start_time(me).unwrap();
        let live = rec(me, start);
        let recycled = StepRecord {
            step: StepId {
                job_id: 78,
                step_id: 0,
            },
            ..rec(me, start + 1)
        };
        live.save(dir.path()).unwrap();
        recycled.save(dir.path()).unwrap();
        // Another node's record and junk files are ignored or reported.
        StepRecord {
            node_name: "n2".into(),
            ..rec(me, start)
        }
        .save(dir.path())
        .unwrap();
        std::fs::write(dir.path().join("n1_1.2.step"), "job_id=1\n").unwrap();
        std::fs::write(dir.path().join("unrelated"), "x").unwrap();
        let (recs, bad) = load_all(dir.path(), "n1");
        assert_eq!(recs, vec![live.clone(), recycled.clone()]);
        assert_eq!(bad.len(), 1);
        assert!(live.leader_alive());
        assert!(!recycled.leader_alive());
        let finished = StepRecord {
            exit_status: Some(3 << 8),
            ..live.clone()
        };
        assert!(!finished.leader_alive());
        let back = StepRecord::from_text(&finished.to_text(), Path::new("x")).unwrap();
        assert_eq!(back, finished);
        // The keeper fields, and a status file beside the record.
        let kept = StepRecord {
            keeper: Some(Keeper {
                pid: me,
                start_time: start,
            }),
            ..live.clone()
        };
        assert_eq!(
            StepRecord::from_text(&kept.to_text(), Path::new("x")).unwrap(),
            kept
        );
        assert!(kept.keeper_alive());
        assert!(!live.keeper_alive());
        assert!(!StepRecord {
            keeper: Some(Keeper {
                pid: me,
                start_time: 0
            }),
            ..live.clone()
        }
        .keeper_alive());
        assert_eq!(live.read_status(dir.path()), None);
        std::fs::write(live.status_path_in(dir.path()), "768\n").unwrap();
        assert_eq!(live.read_status(dir.path()), Some(768));
        assert_eq!(parse_status("x"), None);
        assert_eq!(parse_status(""), None);
        live.remove(dir.path()).unwrap();
        live.remove(dir.path()).unwrap();
        assert!(!live.status_path_in(dir.path()).exists());
        assert_eq!(load_all(dir.path(), "n1").0, vec![recycled]);
        assert!(load_all(&dir.path().join("missing"), "n1").0.is_empty());
    }
}
