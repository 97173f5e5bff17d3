//! Durable controller state in StateSaveLocation.
//!
//! Whatever the controller acknowledged must survive `kill -9`: every change
//! is appended to a journal and fsynced before the reply leaves. A single
//! writer thread batches the appends of concurrent requests into one fsync
//! (group commit), so durability costs one disk flush per batch, not per job.
//! At start-up the snapshot and journal are replayed, then compacted into a
//! new snapshot written atomically (write, fsync, rename, fsync the directory).
//!
//! Record framing: `u32 len · u64 checksum · len bytes`; a torn or corrupt
//! tail (a crash mid-append) ends the replay there and is cut off.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use thiserror::Error;
use wire::pack::{Packer, Unpacker};

use crate::core::job::Job;
use crate::core::node::NodeRuntime;
use crate::core::Controller;

const SNAPSHOT: &str = "slurm-rs.snapshot";
const JOURNAL: &str = "slurm-rs.journal";
/// Survives `-c`: the next job id, so ids are not reused after a clean start.
const SEQUENCE: &str = "slurm-rs.job_id_sequence";
/// Snapshot format; bump when a record layout changes.
const MAGIC: &[u8; 8] = b"SLRMRS02";
/// Journal format, written as the file's first 8 bytes.
const JOURNAL_MAGIC: &[u8; 8] = b"SLRMRJ02";

/// Largest record we accept when replaying (a job with a huge script).
const MAX_RECORD: u32 = 1 << 30;

const KIND_JOB: u8 = 1;
const KIND_JOB_REMOVED: u8 = 2;
const KIND_NODES: u8 = 3;
const KIND_PARTITIONS: u8 = 4;

/// Why state could not be loaded or saved.
#[derive(Debug, Error)]
pub enum StateError {
    /// Filesystem trouble, with the path.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// A file that is not ours or is damaged before its tail.
    #[error("{path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io { path: path.to_path_buf(), source }
}

fn checksum(data: &[u8]) -> u64 {
    use k12::digest::{ExtendableOutput, Update};
    let mut h = k12::KangarooTwelve::default();
    h.update(data);
    let mut out = [0u8; 8];
    h.finalize_xof_into(&mut out);
    u64::from_be_bytes(out)
}

fn frame(record: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(record.len() as u32).to_be_bytes());
    out.extend_from_slice(&checksum(record).to_be_bytes());
    out.extend_from_slice(record);
}

/// Splits framed records; returns them and the length of the valid prefix.
fn unframe(data: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut out = Vec::new();
    let mut pos = 0;
    while data.len() - pos >= 12 {
        let len = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap_or_default());
        if len > MAX_RECORD || data.len() - pos - 12 < len as usize {
            break;
        }
        let sum = u64::from_be_bytes(data[pos + 4..pos + 12].try_into().unwrap_or_default());
        let rec = &data[pos + 12..pos + 12 + len as usize];
        if checksum(rec) != sum {
            break;
        }
        out.push(rec);
        pos += 12 + len as usize;
    }
    (out, pos)
}

/// Serialises one job record.
pub fn job_record(job: &Job) -> Vec<u8> {
    let mut p = Packer::with_capacity(1024);
    p.u8(KIND_JOB);
    job.pack(&mut p);
    p.as_slice().to_vec()
}

/// A job's removal.
pub fn job_removed_record(job_id: u32) -> Vec<u8> {
    let mut p = Packer::new();
    p.u8(KIND_JOB_REMOVED);
    p.u32(job_id);
    p.as_slice().to_vec()
}

/// Node states, reasons and admin changes, by node name.
pub fn nodes_record(c: &Controller) -> Vec<u8> {
    let mut p = Packer::new();
    p.u8(KIND_NODES);
    p.u32(c.nodes.len() as u32);
    for (spec, rt) in c.spec.nodes.iter().zip(&c.nodes) {
        p.string(&spec.name);
        p.u32(rt.state);
        p.str(rt.reason.as_deref());
        p.u32(rt.reason_uid);
        p.time(rt.reason_time);
        p.u32(spec.weight);
        p.str(spec.features.as_deref());
    }
    p.as_slice().to_vec()
}

/// Partition settings scontrol can change, by partition name.
pub fn partitions_record(c: &Controller) -> Vec<u8> {
    let mut p = Packer::new();
    p.u8(KIND_PARTITIONS);
    p.u32(c.spec.partitions.len() as u32);
    for part in &c.spec.partitions {
        p.string(&part.name);
        p.u32(part.max_time.unwrap_or(wire::pack::INFINITE));
        p.u32(part.default_time.unwrap_or(wire::pack::NO_VAL));
        p.u32(part.max_nodes.unwrap_or(wire::pack::INFINITE));
        p.u32(part.min_nodes);
        p.u16(part.state_up);
        p.u16(part.priority_tier);
        p.u16(part.priority_job_factor);
        p.u32(part.grace_time);
        p.u32(part.max_cpus_per_node.unwrap_or(wire::pack::INFINITE));
        p.str(part.allow_groups.as_deref());
        p.u32(part.nodes.len() as u32);
        for &i in &part.nodes {
            p.string(&c.spec.nodes[i].name);
        }
    }
    p.as_slice().to_vec()
}

/// Applies one record to a controller being restored.
fn apply(c: &mut Controller, rec: &[u8]) -> Result<(), String> {
    let mut u = Unpacker::new(rec);
    match u.u8("kind").map_err(|e| e.to_string())? {
        KIND_JOB => {
            let job = Job::unpack(&mut u).map_err(|e| e.to_string())?;
            if let Some(old) = c.jobs.remove(&job.job_id) {
                c.job_count = c.job_count.saturating_sub(if old.base_state().is_finished() { 1 } else { old.record_count() });
            }
            c.restore_job(job);
        }
        KIND_JOB_REMOVED => {
            let id = u.u32("job_id").map_err(|e| e.to_string())?;
            if let Some(old) = c.jobs.remove(&id) {
                c.job_count = c.job_count.saturating_sub(if old.base_state().is_finished() { 1 } else { old.record_count() });
            }
        }
        KIND_NODES => {
            let n = u.count("nodes", 4).map_err(|e| e.to_string())?;
            for _ in 0..n {
                let name = u.str("name").map_err(|e| e.to_string())?.unwrap_or_default();
                let state = u.u32("state").map_err(|e| e.to_string())?;
                let reason = u.str("reason").map_err(|e| e.to_string())?;
                let reason_uid = u.u32("reason_uid").map_err(|e| e.to_string())?;
                let reason_time = u.time("reason_time").map_err(|e| e.to_string())?;
                let weight = u.u32("weight").map_err(|e| e.to_string())?;
                let features = u.str("features").map_err(|e| e.to_string())?;
                // Nodes removed from slurm.conf since are skipped.
                if let Some(i) = c.node_index(&name) {
                    // Admin states (drain, down) persist; "not responding"
                    // is re-learnt from the node daemons.
                    let admin = state & (crate::core::node::flag::DRAIN | crate::core::node::flag::FAIL);
                    let mut rt = NodeRuntime::unregistered();
                    if state & crate::core::node::flag::BASE_MASK == crate::core::node::base::DOWN {
                        rt.state = crate::core::node::base::DOWN;
                    }
                    rt.state |= admin;
                    rt.reason = reason;
                    rt.reason_uid = reason_uid;
                    rt.reason_time = reason_time;
                    c.nodes[i] = rt;
                    c.spec.nodes[i].weight = weight;
                    c.spec.nodes[i].features = features;
                }
            }
        }
        KIND_PARTITIONS => {
            let n = u.count("partitions", 4).map_err(|e| e.to_string())?;
            for _ in 0..n {
                let name = u.str("name").map_err(|e| e.to_string())?.unwrap_or_default();
                let max_time = u.u32("max_time").map_err(|e| e.to_string())?;
                let default_time = u.u32("default_time").map_err(|e| e.to_string())?;
                let max_nodes = u.u32("max_nodes").map_err(|e| e.to_string())?;
                let min_nodes = u.u32("min_nodes").map_err(|e| e.to_string())?;
                let state_up = u.u16("state_up").map_err(|e| e.to_string())?;
                let tier = u.u16("tier").map_err(|e| e.to_string())?;
                let factor = u.u16("factor").map_err(|e| e.to_string())?;
                let grace = u.u32("grace").map_err(|e| e.to_string())?;
                let max_cpus = u.u32("max_cpus").map_err(|e| e.to_string())?;
                let allow_groups = u.str("allow_groups").map_err(|e| e.to_string())?;
                let cnt = u.count("part_nodes", 4).map_err(|e| e.to_string())?;
                let mut nodes = Vec::with_capacity(cnt);
                for _ in 0..cnt {
                    let nn = u.str("node").map_err(|e| e.to_string())?.unwrap_or_default();
                    if let Some(i) = c.node_index(&nn) {
                        nodes.push(i);
                    }
                }
                if let Some(idx) = c.partition_index(&name) {
                    let p = &mut c.spec.partitions[idx];
                    p.max_time = (max_time != wire::pack::INFINITE).then_some(max_time);
                    p.default_time = (default_time != wire::pack::NO_VAL).then_some(default_time);
                    p.max_nodes = (max_nodes != wire::pack::INFINITE).then_some(max_nodes);
                    p.min_nodes = min_nodes;
                    p.state_up = state_up;
                    p.priority_tier = tier;
                    p.priority_job_factor = factor;
                    p.grace_time = grace;
                    p.max_cpus_per_node = (max_cpus != wire::pack::INFINITE).then_some(max_cpus);
                    p.allow_groups = allow_groups;
                    nodes.sort_unstable();
                    p.nodes = nodes;
                }
            }
        }
        other => return Err(format!("unknown record kind {other}")),
    }
    Ok(())
}

/// What replaying the state found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Records applied.
    pub records: usize,
    /// Bytes cut from a torn journal tail.
    pub truncated_bytes: usize,
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Opens (creating) StateSaveLocation.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StateError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(StateDir { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `-c`: forget jobs, nodes and partitions, but keep the job id sequence
    /// so a clean start does not hand out ids that were printed before.
    pub fn clear(&self, next_job_id: u32) -> Result<(), StateError> {
        let seq = self.read_sequence()?.unwrap_or(0).max(next_job_id);
        self.write_atomic(SEQUENCE, &seq.to_be_bytes())?;
        for name in [SNAPSHOT, JOURNAL] {
            let p = self.path(name);
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(StateError::Io { path: p, source: e }),
            }
        }
        self.sync_dir()
    }

    fn read_sequence(&self) -> Result<Option<u32>, StateError> {
        let p = self.path(SEQUENCE);
        match fs::read(&p) {
            Ok(b) if b.len() == 4 => Ok(Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
            Ok(_) => Err(StateError::Corrupt { path: p, reason: "bad length".into() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::Io { path: p, source: e }),
        }
    }

    /// The next job id a previous run (maybe cleared) would have used.
    pub fn saved_next_job_id(&self, c: &Controller) -> Result<u32, StateError> {
        let from_jobs = c.jobs.keys().next_back().map_or(0, |&id| id + 1);
        Ok(self.read_sequence()?.unwrap_or(0).max(from_jobs))
    }

    /// Replays snapshot then journal into `c`, cutting a torn journal tail.
    pub fn recover(&self, c: &mut Controller) -> Result<RecoveryReport, StateError> {
        let mut report = RecoveryReport::default();
        let snap = self.path(SNAPSHOT);
        match fs::read(&snap) {
            Ok(data) => {
                let body = data.strip_prefix(MAGIC.as_slice()).ok_or_else(|| StateError::Corrupt {
                    path: snap.clone(),
                    reason: "not a snapshot of this slurm-rs version (start with -c to discard the old state)".into(),
                })?;
                let (records, valid) = unframe(body);
                if valid != body.len() {
                    return Err(StateError::Corrupt { path: snap, reason: format!("damaged at byte {}", valid + 8) });
                }
                for rec in records {
                    apply(c, rec).map_err(|reason| StateError::Corrupt { path: snap.clone(), reason })?;
                    report.records += 1;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StateError::Io { path: snap, source: e }),
        }
        let jpath = self.path(JOURNAL);
        match fs::read(&jpath) {
            Ok(data) if data.is_empty() => {}
            Ok(data) => {
                let body = data.strip_prefix(JOURNAL_MAGIC.as_slice()).ok_or_else(|| StateError::Corrupt {
                    path: jpath.clone(),
                    reason: "not a journal of this slurm-rs version (start with -c to discard the old state)".into(),
                })?;
                let (records, valid) = unframe(body);
                for rec in records {
                    apply(c, rec).map_err(|reason| StateError::Corrupt { path: jpath.clone(), reason })?;
                    report.records += 1;
                }
                report.truncated_bytes = body.len() - valid;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StateError::Io { path: jpath, source: e }),
        }
        let seq = self.saved_next_job_id(c)?;
        c.next_job_id = c.next_job_id.max(seq);
        Ok(report)
    }

    /// Writes every record of `c` into a new snapshot and empties the journal.
    pub fn compact(&self, c: &Controller) -> Result<(), StateError> {
        let mut data = Vec::with_capacity(64 + c.jobs.len() * 1024);
        data.extend_from_slice(MAGIC);
        frame(&nodes_record(c), &mut data);
        frame(&partitions_record(c), &mut data);
        for job in c.jobs.values() {
            frame(&job_record(job), &mut data);
        }
        self.write_atomic(SNAPSHOT, &data)?;
        self.write_atomic(SEQUENCE, &c.next_job_id.to_be_bytes())?;
        self.write_atomic(JOURNAL, JOURNAL_MAGIC)
    }

    fn write_atomic(&self, name: &str, data: &[u8]) -> Result<(), StateError> {
        let final_path = self.path(name);
        let tmp = self.path(&format!("{name}.new"));
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(data).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, &final_path).map_err(io_err(&final_path))?;
        self.sync_dir()
    }

    fn sync_dir(&self) -> Result<(), StateError> {
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(io_err(&self.dir))
    }

    /// Starts the group-commit writer on the journal.
    pub fn journal(&self) -> Result<Journal, StateError> {
        let jpath = self.path(JOURNAL);
        let file = OpenOptions::new().create(true).append(true).open(&jpath).map_err(io_err(&jpath))?;
        let (tx, rx) = mpsc::channel::<Batch>();
        let path = jpath.clone();
        thread::Builder::new()
            .name("journal".into())
            .spawn(move || writer_loop(file, path, rx))
            .map_err(io_err(&jpath))?;
        Ok(Journal { tx })
    }
}

/// Records to append and who waits for them.
struct Batch {
    data: Vec<u8>,
    done: Box<dyn FnOnce(Result<(), String>) + Send>,
}

/// Handle to the journal writer thread.
#[derive(Clone)]
pub struct Journal {
    tx: mpsc::Sender<Batch>,
}

impl Journal {
    /// Queues `records`; `done` runs once they are on disk (or failed).
    /// Records queued in this order are written in this order.
    pub fn append(&self, records: Vec<Vec<u8>>, done: impl FnOnce(Result<(), String>) + Send + 'static) {
        let mut data = Vec::with_capacity(records.iter().map(|r| r.len() + 12).sum());
        for r in &records {
            frame(r, &mut data);
        }
        if let Err(mpsc::SendError(b)) = self.tx.send(Batch { data, done: Box::new(done) }) {
            (b.done)(Err("journal writer stopped".into()));
        }
    }
}

fn writer_loop(mut file: File, path: PathBuf, rx: mpsc::Receiver<Batch>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let mut buf = Vec::with_capacity(batch.iter().map(|b| b.data.len()).sum());
        for b in &batch {
            buf.extend_from_slice(&b.data);
        }
        let result = file
            .write_all(&buf)
            .and_then(|_| file.sync_data())
            .map_err(|e| format!("{}: {e}", path.display()));
        for b in batch {
            (b.done)(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_tail_is_cut_at_last_good_record() {
        let mut data = Vec::new();
        frame(b"one", &mut data);
        frame(b"two", &mut data);
        let good = data.len();
        frame(b"three", &mut data);
        data.truncate(data.len() - 2);
        let (recs, valid) = unframe(&data);
        assert_eq!(recs, vec![b"one".as_slice(), b"two".as_slice()]);
        assert_eq!(valid, good);
        // A flipped byte in a record is caught by the checksum.
        let mut bad = Vec::new();
        frame(b"hello", &mut bad);
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert_eq!(unframe(&bad).0.len(), 0);
    }
}
