//! srun job steps: REQUEST_LAUNCH_TASKS from the stock srun.
//!
//! As upstream, the node daemon stays thin: [`launch`] checks the request
//! (MUNGE identity, signed job credential) and execs one `slurmstepd-rs`
//! per step, handing it the request over a pipe ([`Handover`]). The step
//! daemon ([`stepd`]) owns the tasks from then on: it forks them as the
//! user, relays their I/O to srun, reports their exits to srun and the
//! step's end to the controller. It runs in its own session so it outlives
//! a restart of slurmd-rs.
//!
//! slurmd-rs finds a running step through its record file in the spool
//! directory ([`StepRecord`]), which holds the tasks' process group: that
//! is all REQUEST_SIGNAL_TASKS / REQUEST_TERMINATE_TASKS / REQUEST_TERMINATE_JOB
//! need, and it survives a slurmd-rs restart.

pub mod launch;
pub mod stepd;

use std::path::{Path, PathBuf};

use wire::pack::{DecodeResult, Packer, Unpacker};

/// What slurmd-rs writes on the step daemon's stdin: where things are,
/// then the launch request exactly as srun packed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    /// slurm.conf, absolute (the daemon reads it for the controller's
    /// address and MUNGE settings, and tasks get it as SLURM_CONF).
    pub conf_path: String,
    /// This node's NodeName.
    pub node_name: String,
    /// SlurmdSpoolDir of this node (step records live there).
    pub spool_dir: String,
    /// Log file to append to; empty = stderr.
    pub log_file: String,
    /// srun's IP: the launch request's peer (upstream's `orig_addr`; srun
    /// leaves the packed one unset).
    pub srun_ip: String,
    /// The node's configured CPUs (scales the credential's cores to CPUs).
    pub node_cpus: u16,
    /// Protocol version the request was packed with.
    pub version: u16,
    /// The REQUEST_LAUNCH_TASKS body.
    pub body: Vec<u8>,
    /// The step's GPU variables on this node (`NAME=value`; slurmd knows
    /// gres.conf, the step daemon does not read it).
    pub gres_env: Vec<String>,
}

impl Handover {
    /// The bytes for the pipe.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut p = Packer::new();
        p.string(&self.conf_path);
        p.string(&self.node_name);
        p.string(&self.spool_dir);
        p.string(&self.log_file);
        p.string(&self.srun_ip);
        p.u16(self.node_cpus);
        p.u16(self.version);
        p.mem(Some(&self.body));
        p.str_array(&self.gres_env);
        p.as_slice().to_vec()
    }

    /// Reads what [`Handover::to_bytes`] wrote.
    pub fn from_bytes(b: &[u8]) -> DecodeResult<Self> {
        let mut u = Unpacker::new(b);
        let mut text = |f| u.str(f).map(Option::unwrap_or_default);
        let conf_path = text("handover.conf_path")?;
        let node_name = text("handover.node_name")?;
        let spool_dir = text("handover.spool_dir")?;
        let log_file = text("handover.log_file")?;
        let srun_ip = text("handover.srun_ip")?;
        Ok(Handover {
            conf_path,
            node_name,
            spool_dir,
            log_file,
            srun_ip,
            node_cpus: u.u16("handover.node_cpus")?,
            version: u.u16("handover.version")?,
            body: u.mem("handover.body")?.unwrap_or_default().to_vec(),
            gres_env: u.str_array("handover.gres_env")?,
        })
    }
}

/// A running srun step of this node, as its step daemon records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepRecord {
    /// Job id.
    pub job_id: u32,
    /// Step id.
    pub step_id: u32,
    /// The step daemon's pid.
    pub stepd_pid: i32,
    /// Process group of the step's tasks.
    pub pgid: i32,
    /// The step's owner.
    pub uid: u32,
    /// Every task has exited; the daemon is sending its last messages or
    /// waiting for output a task's background child still holds.
    pub tasks_done: bool,
}

const RECORD_PREFIX: &str = "srun-step.";

impl StepRecord {
    /// `<spool>/srun-step.<job>.<step>`.
    pub fn path(spool: &Path, job_id: u32, step_id: u32) -> PathBuf {
        spool.join(format!("{RECORD_PREFIX}{job_id}.{step_id}"))
    }

    /// Writes the record (atomically: readers never see half of it).
    pub fn save(&self, spool: &Path) -> std::io::Result<()> {
        let path = Self::path(spool, self.job_id, self.step_id);
        let tmp = path.with_extension("tmp");
        let text = format!(
            "{} {} {} {}\n",
            self.stepd_pid,
            self.pgid,
            self.uid,
            u8::from(self.tasks_done)
        );
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, path)
    }

    /// Every step recorded in `spool` (records whose daemon is gone are
    /// skipped: a killed daemon leaves its record behind).
    pub fn all(spool: &Path) -> Vec<StepRecord> {
        let Ok(dir) = std::fs::read_dir(spool) else {
            return Vec::new();
        };
        dir.filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let (job, step) = name.strip_prefix(RECORD_PREFIX)?.split_once('.')?;
            let (job_id, step_id) = (job.parse().ok()?, step.parse().ok()?);
            let text = std::fs::read_to_string(spool.join(&name)).ok()?;
            let mut f = text.split_whitespace().map(str::parse::<i64>);
            let (pid, pgid, uid) = (f.next()?.ok()?, f.next()?.ok()?, f.next()?.ok()?);
            let tasks_done = f.next().and_then(Result::ok) == Some(1);
            let rec = StepRecord {
                job_id,
                step_id,
                stepd_pid: i32::try_from(pid).ok()?,
                pgid: i32::try_from(pgid).ok()?,
                uid: u32::try_from(uid).ok()?,
                tasks_done,
            };
            rec.daemon_alive().then_some(rec)
        })
        .collect()
    }

    /// Whether the step daemon still runs.
    pub fn daemon_alive(&self) -> bool {
        // SAFETY: kill with signal 0 only checks that the pid exists.
        unsafe { libc::kill(self.stepd_pid, 0) == 0 }
    }

    /// Removes the record.
    pub fn remove(&self, spool: &Path) {
        let _ = std::fs::remove_file(Self::path(spool, self.job_id, self.step_id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handover_round_trips() {
        let h = Handover {
            conf_path: "/etc/slurm/slurm.conf".into(),
            node_name: "n1".into(),
            spool_dir: "/var/spool/slurmd".into(),
            log_file: String::new(),
            srun_ip: "127.0.0.1".into(),
            node_cpus: 2,
            version: 0x2600,
            body: vec![1, 2, 3],
            gres_env: vec!["CUDA_VISIBLE_DEVICES=1".into()],
        };
        assert_eq!(Handover::from_bytes(&h.to_bytes()).unwrap(), h);
    }

    #[test]
    fn records_of_live_daemons_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let me = StepRecord {
            job_id: 7,
            step_id: 2,
            stepd_pid: std::process::id() as i32,
            pgid: 99,
            uid: 1000,
            tasks_done: false,
        };
        me.save(dir.path()).unwrap();
        // A record whose daemon is gone (pid far above pid_max).
        let gone = StepRecord {
            step_id: 3,
            stepd_pid: i32::MAX,
            ..me
        };
        gone.save(dir.path()).unwrap();
        assert_eq!(StepRecord::all(dir.path()), vec![me]);
        let done = StepRecord {
            tasks_done: true,
            ..me
        };
        done.save(dir.path()).unwrap();
        assert_eq!(StepRecord::all(dir.path()), vec![done]);
        me.remove(dir.path());
        assert!(StepRecord::all(dir.path()).is_empty());
    }
}
