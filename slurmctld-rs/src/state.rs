//! Durable controller state in StateSaveLocation.
//!
//! Whatever the controller acknowledged must survive `kill -9`: every change
//! is appended to a journal and fsynced before the reply leaves. A single
//! writer thread batches the appends of concurrent requests into one fsync
//! (group commit), so durability costs one disk flush per batch, not per job.
//!
//! Files (format 03):
//! - `slurm-rs.journal.N`: journal segments, appended in order. Besides job,
//!   node and partition records they hold each batch job's script and
//!   environment (a `BATCH` record written just before the job's first
//!   record), which the controller does not keep in memory: it remembers
//!   where each one is and reads it back when the job launches.
//! - `slurm-rs.snapshot`: every record as of the start of segment `first`,
//!   plus where the scripts of the jobs it holds are. Recovery replays the
//!   snapshot, then segments `first..`. Older segments are kept only while a
//!   live job's script is in them.
//! - `slurm-rs.job_id_sequence`: the next job id, which survives `-c`.
//!
//! Compaction (a new snapshot) runs in the background while the server
//! answers: the core is locked only to serialise its records, the journal
//! switches to a new segment at that point in its order, and the snapshot is
//! written (write, fsync, rename, fsync the directory) by a thread of its own.
//!
//! Record framing: `u32 len · u32 masked CRC32C · len bytes`; a torn or
//! corrupt tail (a crash mid-append) ends the replay of that segment.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;
use wire::pack::{Packer, Unpacker};

use crate::core::desc::BatchFiles;
use crate::core::job::Job;
use crate::core::node::NodeRuntime;
use crate::core::Controller;

const SNAPSHOT: &str = "slurm-rs.snapshot";
/// The single journal file of formats 01 and 02.
const LEGACY_JOURNAL: &str = "slurm-rs.journal";
/// Journal segments are this plus a number.
const SEGMENT_PREFIX: &str = "slurm-rs.journal.";
/// Survives `-c`: the next job id, so ids are not reused after a clean start.
const SEQUENCE: &str = "slurm-rs.job_id_sequence";
/// Snapshot format; bump when a record layout changes.
const MAGIC: &[u8; 8] = b"SLRMRS03";
/// Journal segment format, written as each segment's first 8 bytes.
const JOURNAL_MAGIC: &[u8; 8] = b"SLRMRJ03";
/// `u32 len · u32 crc`.
const FRAME_HEAD: usize = 8;
/// A segment this large asks for a compaction (see [`Journal::wants_compaction`]).
const COMPACT_AFTER_BYTES: u64 = 64 << 20;

/// Largest record we accept when replaying (a job with a huge script).
const MAX_RECORD: u32 = 1 << 30;

const KIND_JOB: u8 = 1;
const KIND_JOB_REMOVED: u8 = 2;
const KIND_NODES: u8 = 3;
const KIND_PARTITIONS: u8 = 4;
/// `u32 key · str script · str_array environment`.
const KIND_BATCH: u8 = 5;
/// Snapshot only: `u32 key · u32 segment · u64 offset · u32 len`.
const KIND_BATCH_REF: u8 = 6;
/// Snapshot only, first record: `u32 first segment to replay`.
const KIND_SNAPSHOT_HEAD: u8 = 7;

/// Why state could not be loaded or saved.
#[derive(Debug, Error)]
pub enum StateError {
    /// Filesystem trouble, with the path.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// A file that is not ours or is damaged before its tail.
    #[error("{path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    /// The journal writer has stopped (the controller is shutting down).
    #[error("journal writer stopped")]
    Stopped,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// CRC32C (Castagnoli), as iSCSI and ext4 use it. K12 cost a third of the
/// restart time; this runs at memory speed with SSE4.2 and at about a byte
/// per cycle without.
pub fn crc32c(data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("sse4.2") {
            // SAFETY: the CPU has SSE4.2, checked just above.
            return unsafe { crc32c_sse42(data) };
        }
    }
    crc32c_sw(data)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse4.2")]
unsafe fn crc32c_sse42(data: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};
    let mut crc = !0u64;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        crc = _mm_crc32_u64(crc, v);
    }
    let mut crc = crc as u32;
    for &b in words.remainder() {
        crc = _mm_crc32_u8(crc, b);
    }
    !crc
}

/// Slicing-by-8 tables for the reflected polynomial 0x82F63B78.
const fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut k = 1;
        while k < 8 {
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][(t[k - 1][i] & 0xff) as usize];
            k += 1;
        }
        i += 1;
    }
    t
}

static CRC_TABLES: [[u32; 256]; 8] = crc_tables();

fn crc32c_sw(data: &[u8]) -> u32 {
    let t = &CRC_TABLES;
    let mut crc = !0u32;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let lo = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) ^ crc;
        let hi = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in words.remainder() {
        crc = t[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The checksum a frame carries: CRC32C, masked (as LevelDB does) so that
/// a zero-filled tail, which a crash can leave behind a file's new size,
/// never looks like a valid (empty) record.
fn frame_sum(record: &[u8]) -> u32 {
    crc32c(record).rotate_right(15).wrapping_add(0xa282_ead8)
}

fn frame(record: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(record.len() as u32).to_be_bytes());
    out.extend_from_slice(&frame_sum(record).to_be_bytes());
    out.extend_from_slice(record);
}

/// Framed records of a buffer, with their offsets; stops at the first torn
/// or corrupt one. `valid()` is then the length of the good prefix.
struct Frames<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Frames<'a> {
    fn new(data: &'a [u8]) -> Self {
        Frames { data, pos: 0 }
    }
    fn valid(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Frames<'a> {
    /// (offset of the frame, record)
    type Item = (usize, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.data[self.pos..];
        if rest.len() < FRAME_HEAD {
            return None;
        }
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        // Nothing writes empty records.
        if len == 0 || len > MAX_RECORD || rest.len() - FRAME_HEAD < len as usize {
            return None;
        }
        let sum = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
        let rec = &rest[FRAME_HEAD..FRAME_HEAD + len as usize];
        if frame_sum(rec) != sum {
            return None;
        }
        let at = self.pos;
        self.pos += FRAME_HEAD + len as usize;
        Some((at, rec))
    }
}

/// Serialises one job record; [`Durable`](crate::core::Durable) records
/// are turned into bytes with [`durable_record`].
pub fn job_record(job: &Job) -> Vec<u8> {
    let mut p = Packer::with_capacity(512);
    p.u8(KIND_JOB);
    job.pack(&mut p);
    p.into_bytes().into()
}

/// The bytes for one durable change, None when the job is gone.
pub fn durable_record(c: &Controller, d: &crate::core::Durable) -> Option<Vec<u8>> {
    use crate::core::Durable;
    match d {
        Durable::Batch(files) => Some(batch_record(files)),
        Durable::Job(id) => c.jobs.get(id).map(|j| job_record(j)),
        Durable::JobRemoved(id) => Some(job_removed_record(*id)),
        Durable::Nodes => Some(nodes_record(c)),
        Durable::Partitions => Some(partitions_record(c)),
    }
}

/// A job's removal.
pub fn job_removed_record(job_id: u32) -> Vec<u8> {
    let mut p = Packer::new();
    p.u8(KIND_JOB_REMOVED);
    p.u32(job_id);
    p.into_bytes().into()
}

/// A batch job's script and environment.
pub fn batch_record(files: &BatchFiles) -> Vec<u8> {
    let env: usize = files.environment.iter().map(|e| e.len() + 5).sum();
    let mut p = Packer::with_capacity(16 + files.script.as_ref().map_or(0, String::len) + env);
    p.u8(KIND_BATCH);
    p.u32(files.job_id);
    p.str(files.script.as_deref());
    p.str_array(&files.environment);
    p.into_bytes().into()
}

fn batch_key(rec: &[u8]) -> Option<u32> {
    (rec.first() == Some(&KIND_BATCH) && rec.len() >= 5)
        .then(|| u32::from_be_bytes([rec[1], rec[2], rec[3], rec[4]]))
}

fn parse_batch(rec: &[u8]) -> Result<BatchFiles, String> {
    let mut u = Unpacker::new(rec);
    let kind = u.u8("kind").map_err(|e| e.to_string())?;
    if kind != KIND_BATCH {
        return Err(format!(
            "record kind {kind} where a batch script was expected"
        ));
    }
    let job_id = u.u32("job_id").map_err(|e| e.to_string())?;
    let script = u.str("script").map_err(|e| e.to_string())?;
    let environment = u.str_array("environment").map_err(|e| e.to_string())?;
    Ok(BatchFiles {
        job_id,
        script,
        environment,
    })
}

/// Node states, reasons and admin changes, by node name.
pub fn nodes_record(c: &Controller) -> Vec<u8> {
    let mut p = Packer::new();
    nodes_into(c, &mut p);
    p.into_bytes().into()
}

fn nodes_into(c: &Controller, p: &mut Packer) {
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
}

/// Partition settings scontrol can change, by partition name.
pub fn partitions_record(c: &Controller) -> Vec<u8> {
    let mut p = Packer::new();
    partitions_into(c, &mut p);
    p.into_bytes().into()
}

fn partitions_into(c: &Controller, p: &mut Packer) {
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
}

/// Applies one record to a controller being restored.
fn apply(c: &mut Controller, rec: &[u8]) -> Result<(), String> {
    let mut u = Unpacker::new(rec);
    match u.u8("kind").map_err(|e| e.to_string())? {
        KIND_JOB => {
            let job = Job::unpack(&mut u, &mut c.strings).map_err(|e| e.to_string())?;
            c.restore_job(job);
        }
        KIND_JOB_REMOVED => {
            let id = u.u32("job_id").map_err(|e| e.to_string())?;
            c.restore_removal(id);
        }
        KIND_NODES => {
            let n = u.count("nodes", 4).map_err(|e| e.to_string())?;
            for _ in 0..n {
                let name = u
                    .str("name")
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
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
                    let admin =
                        state & (crate::core::node::flag::DRAIN | crate::core::node::flag::FAIL);
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
                let name = u
                    .str("name")
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
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
                    let nn = u
                        .str("node")
                        .map_err(|e| e.to_string())?
                        .unwrap_or_default();
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

/// Where a batch script record is: segment, frame offset, record length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BlobLoc {
    segment: u32,
    offset: u64,
    len: u32,
}

/// Recovered state the journal carries on with.
#[derive(Debug, Default)]
pub struct Recovery {
    /// What was replayed.
    pub report: RecoveryReport,
    index: HashMap<u32, BlobLoc>,
    next_segment: u32,
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

    fn segment_path(&self, n: u32) -> PathBuf {
        self.dir.join(format!("{SEGMENT_PREFIX}{n}"))
    }

    /// Journal segment numbers present, ascending.
    fn segments(&self) -> Result<Vec<u32>, StateError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let entry = entry.map_err(io_err(&self.dir))?;
            let name = entry.file_name();
            if let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_prefix(SEGMENT_PREFIX))
                .and_then(|n| n.parse::<u32>().ok())
            {
                out.push(n);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    fn remove_if_present(&self, p: &Path) -> Result<(), StateError> {
        match fs::remove_file(p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StateError::Io {
                path: p.to_path_buf(),
                source: e,
            }),
        }
    }

    /// `-c`: forget jobs, nodes and partitions, but keep the job id sequence
    /// so a clean start does not hand out ids that were printed before.
    pub fn clear(&self, next_job_id: u32) -> Result<(), StateError> {
        let seq = self.read_sequence()?.unwrap_or(0).max(next_job_id);
        self.write_atomic(SEQUENCE, &seq.to_be_bytes())?;
        self.remove_if_present(&self.path(SNAPSHOT))?;
        self.remove_if_present(&self.path(LEGACY_JOURNAL))?;
        for n in self.segments()? {
            self.remove_if_present(&self.segment_path(n))?;
        }
        self.sync_dir()
    }

    fn read_sequence(&self) -> Result<Option<u32>, StateError> {
        let p = self.path(SEQUENCE);
        match fs::read(&p) {
            Ok(b) if b.len() == 4 => Ok(Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
            Ok(_) => Err(StateError::Corrupt {
                path: p,
                reason: "bad length".into(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::Io { path: p, source: e }),
        }
    }

    /// The next job id a previous run (maybe cleared) would have used.
    pub fn saved_next_job_id(&self, c: &Controller) -> Result<u32, StateError> {
        let from_jobs = c.jobs.keys().next_back().map_or(0, |&id| id + 1);
        Ok(self.read_sequence()?.unwrap_or(0).max(from_jobs))
    }

    /// Replays snapshot then journal segments into `c`, skipping a torn
    /// segment tail.
    pub fn recover(&self, c: &mut Controller) -> Result<Recovery, StateError> {
        let mut rec = Recovery::default();
        let legacy = self.path(LEGACY_JOURNAL);
        if fs::metadata(&legacy).is_ok_and(|m| m.len() > 0) {
            return Err(StateError::Corrupt {
                path: legacy,
                reason: "not a journal of this slurm-rs version (start with -c to discard the old state)".into(),
            });
        }
        let mut first = 0;
        let snap = self.path(SNAPSHOT);
        match fs::read(&snap) {
            Ok(data) => {
                let body = data.strip_prefix(MAGIC.as_slice()).ok_or_else(|| StateError::Corrupt {
                    path: snap.clone(),
                    reason: "not a snapshot of this slurm-rs version (start with -c to discard the old state)".into(),
                })?;
                let mut frames = Frames::new(body);
                for (_, r) in frames.by_ref() {
                    match r.first() {
                        Some(&KIND_SNAPSHOT_HEAD) => {
                            first = Unpacker::new(&r[1..]).u32("first_segment").map_err(|e| {
                                StateError::Corrupt {
                                    path: snap.clone(),
                                    reason: e.to_string(),
                                }
                            })?;
                        }
                        Some(&KIND_BATCH_REF) => {
                            let (key, loc) =
                                parse_ref(r).map_err(|reason| StateError::Corrupt {
                                    path: snap.clone(),
                                    reason,
                                })?;
                            rec.index.insert(key, loc);
                        }
                        _ => {
                            apply(c, r).map_err(|reason| StateError::Corrupt {
                                path: snap.clone(),
                                reason,
                            })?;
                            rec.report.records += 1;
                        }
                    }
                }
                if frames.valid() != body.len() {
                    return Err(StateError::Corrupt {
                        path: snap,
                        reason: format!("damaged at byte {}", frames.valid() + 8),
                    });
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StateError::Io {
                    path: snap,
                    source: e,
                })
            }
        }
        rec.next_segment = first;
        for n in self.segments()?.into_iter().filter(|&n| n >= first) {
            let path = self.segment_path(n);
            let data = fs::read(&path).map_err(io_err(&path))?;
            rec.next_segment = n + 1;
            if data.is_empty() {
                continue;
            }
            let body = data.strip_prefix(JOURNAL_MAGIC.as_slice()).ok_or_else(|| StateError::Corrupt {
                path: path.clone(),
                reason: "not a journal of this slurm-rs version (start with -c to discard the old state)".into(),
            })?;
            let mut frames = Frames::new(body);
            for (at, r) in frames.by_ref() {
                if let Some(key) = batch_key(r) {
                    let loc = BlobLoc {
                        segment: n,
                        offset: (JOURNAL_MAGIC.len() + at) as u64,
                        len: r.len() as u32,
                    };
                    rec.index.insert(key, loc);
                    continue;
                }
                apply(c, r).map_err(|reason| StateError::Corrupt {
                    path: path.clone(),
                    reason,
                })?;
                rec.report.records += 1;
            }
            rec.report.truncated_bytes += body.len() - frames.valid();
        }
        c.restore_allocations();
        let seq = self.saved_next_job_id(c)?;
        c.next_job_id = c.next_job_id.max(seq);
        Ok(rec)
    }

    fn write_atomic(&self, name: &str, data: &[u8]) -> Result<(), StateError> {
        self.write_atomic_parts(name, &[data])
    }

    /// Writes `parts` one after the other as file `name`, atomically.
    fn write_atomic_parts(&self, name: &str, parts: &[&[u8]]) -> Result<(), StateError> {
        let final_path = self.path(name);
        let tmp = self.path(&format!("{name}.new"));
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        for part in parts {
            f.write_all(part).map_err(io_err(&tmp))?;
        }
        f.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, &final_path).map_err(io_err(&final_path))?;
        self.sync_dir()
    }

    fn sync_dir(&self) -> Result<(), StateError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(&self.dir))
    }

    /// Creates segment `n` (magic written and synced) for appending.
    fn create_segment(&self, n: u32) -> Result<File, StateError> {
        let path = self.segment_path(n);
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(io_err(&path))?;
        f.write_all(JOURNAL_MAGIC)
            .and_then(|_| f.sync_all())
            .map_err(io_err(&path))?;
        self.sync_dir()?;
        Ok(f)
    }

    /// Starts the group-commit writer on a fresh segment after the ones
    /// `recovery` replayed (a torn tail in the last one is left behind it).
    pub fn journal(&self, recovery: Recovery) -> Result<Journal, StateError> {
        let n = recovery.next_segment;
        let file = self.create_segment(n)?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let inner = Arc::new(Inner {
            dir: self.clone(),
            index: Mutex::new(recovery.index),
            compacting: AtomicBool::new(false),
            wants_compaction: AtomicBool::new(false),
            announced: AtomicUsize::new(0),
        });
        let writer = Writer {
            inner: inner.clone(),
            file,
            segment: n,
            len: JOURNAL_MAGIC.len() as u64,
            broken: None,
        };
        let path = self.segment_path(n);
        thread::Builder::new()
            .name("journal".into())
            .spawn(move || writer.run(rx))
            .map_err(io_err(&path))?;
        Ok(Journal { tx, inner })
    }
}

fn parse_ref(r: &[u8]) -> Result<(u32, BlobLoc), String> {
    let mut u = Unpacker::new(&r[1..]);
    let key = u.u32("key").map_err(|e| e.to_string())?;
    let segment = u.u32("segment").map_err(|e| e.to_string())?;
    let offset = u.u64("offset").map_err(|e| e.to_string())?;
    let len = u.u32("len").map_err(|e| e.to_string())?;
    Ok((
        key,
        BlobLoc {
            segment,
            offset,
            len,
        },
    ))
}

/// What the writer thread is asked to do, in journal order.
enum Msg {
    /// Records to append and who waits for them.
    Append {
        data: Vec<u8>,
        /// (key, frame offset within `data`, record length) of batch scripts.
        blobs: Vec<(u32, usize, u32)>,
        done: Box<dyn FnOnce(Result<(), String>) + Send>,
    },
    /// Start a new segment here and write a snapshot of the state as of now.
    Rotate(Box<Snapshot>),
}

/// A snapshot being made.
struct Snapshot {
    /// Framed records with their checksums still zero (computed off the lock).
    body: Vec<u8>,
    /// Batch keys of the jobs in `body`, sorted.
    live: Vec<u32>,
    next_job_id: u32,
    done: mpsc::Sender<Result<(), StateError>>,
}

struct Inner {
    dir: StateDir,
    index: Mutex<HashMap<u32, BlobLoc>>,
    compacting: AtomicBool,
    wants_compaction: AtomicBool,
    /// Requests under way that may append soon (see [`Journal::announce`]).
    announced: AtomicUsize,
}

/// Longest a group commit waits for announced appends: short next to an
/// fsync's cost, long enough for requests already past their credential
/// check to reach the journal.
const GROUP_COMMIT_WAIT: Duration = Duration::from_micros(500);

/// A request that may append to the journal soon; dropping it (after the
/// append, or when there was nothing to append) withdraws the announcement.
pub struct Announced {
    inner: Arc<Inner>,
}

impl Drop for Announced {
    fn drop(&mut self) {
        self.inner.announced.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Handle to the journal writer thread.
#[derive(Clone)]
pub struct Journal {
    tx: mpsc::Sender<Msg>,
    inner: Arc<Inner>,
}

/// A compaction under way; [`Compaction::wait`] for its outcome.
pub struct Compaction {
    rx: mpsc::Receiver<Result<(), StateError>>,
}

impl Compaction {
    /// Blocks until the snapshot is durable and old segments are gone.
    pub fn wait(self) -> Result<(), StateError> {
        self.rx.recv().unwrap_or(Err(StateError::Stopped))
    }
}

impl Journal {
    /// Announces a request that may append soon. While any are announced,
    /// the writer holds a commit up to [`GROUP_COMMIT_WAIT`] for them, so
    /// concurrent submissions share one fsync instead of paying one each
    /// (a lone client is never delayed: nothing else is announced).
    pub fn announce(&self) -> Announced {
        self.inner.announced.fetch_add(1, Ordering::AcqRel);
        Announced {
            inner: self.inner.clone(),
        }
    }

    /// Queues `records`; `done` runs once they are on disk (or failed).
    /// Records queued in this order are written in this order.
    pub fn append(
        &self,
        records: Vec<Vec<u8>>,
        done: impl FnOnce(Result<(), String>) + Send + 'static,
    ) {
        let mut data = Vec::with_capacity(records.iter().map(|r| r.len() + FRAME_HEAD).sum());
        let mut blobs = Vec::new();
        for r in &records {
            if let Some(key) = batch_key(r) {
                blobs.push((key, data.len(), r.len() as u32));
            }
            frame(r, &mut data);
        }
        if let Err(mpsc::SendError(Msg::Append { done, .. })) = self.tx.send(Msg::Append {
            data,
            blobs,
            done: Box::new(done),
        }) {
            done(Err("journal writer stopped".into()));
        }
    }

    /// Waits until everything queued so far is on disk.
    pub fn sync(&self) -> Result<(), StateError> {
        let (tx, rx) = mpsc::channel();
        self.append(Vec::new(), move |r| {
            let _ = tx.send(r);
        });
        match rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(StateError::Corrupt {
                path: self.inner.dir.dir.clone(),
                reason,
            }),
            Err(_) => Err(StateError::Stopped),
        }
    }

    /// Reads back the script and environment stored under `key` (a job's
    /// [`Job::batch_key`]). None when none was stored.
    pub fn load_batch(&self, key: u32) -> Result<Option<BatchFiles>, StateError> {
        let lookup = || {
            self.inner
                .index
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&key)
                .copied()
        };
        let loc = match lookup() {
            Some(l) => l,
            // Maybe still on its way to the disk.
            None => {
                self.sync()?;
                match lookup() {
                    Some(l) => l,
                    None => return Ok(None),
                }
            }
        };
        let path = self.inner.dir.segment_path(loc.segment);
        let corrupt = |reason: String| StateError::Corrupt {
            path: path.clone(),
            reason,
        };
        let f = File::open(&path).map_err(io_err(&path))?;
        let mut buf = vec![0u8; FRAME_HEAD + loc.len as usize];
        f.read_exact_at(&mut buf, loc.offset)
            .map_err(io_err(&path))?;
        let (_, rec) = Frames::new(&buf)
            .next()
            .ok_or_else(|| corrupt(format!("batch script of job {key} damaged")))?;
        let files = parse_batch(rec).map_err(corrupt)?;
        if files.job_id != key {
            return Err(corrupt(format!(
                "batch script of job {} where job {key}'s was expected",
                files.job_id
            )));
        }
        Ok(Some(files))
    }

    /// True once the current segment has grown enough that a compaction
    /// would shorten the next restart and free disk space.
    pub fn wants_compaction(&self) -> bool {
        self.inner.wants_compaction.load(Ordering::Relaxed)
    }

    /// True while a compaction is under way.
    pub fn compacting(&self) -> bool {
        self.inner.compacting.load(Ordering::Acquire)
    }

    /// Starts a compaction. Call with the core locked, so the snapshot and
    /// the journal's order agree: records appended before this call are in
    /// the snapshot, those after go to the next segment. Serialising takes
    /// the lock only briefly; checksums, writing and fsync happen on other
    /// threads. None when a compaction is already running.
    pub fn compact(&self, c: &Controller) -> Option<Compaction> {
        if self.inner.compacting.swap(true, Ordering::AcqRel) {
            return None;
        }
        let mut body = Vec::with_capacity(4096 + c.jobs.len() * 400);
        let mut p = Packer::with_capacity(4096);
        let put = |p: &mut Packer, body: &mut Vec<u8>| {
            body.extend_from_slice(&(p.len() as u32).to_be_bytes());
            body.extend_from_slice(&[0; 4]);
            body.extend_from_slice(p.as_slice());
            *p = Packer::with_capacity(p.len().max(512));
        };
        nodes_into(c, &mut p);
        put(&mut p, &mut body);
        partitions_into(c, &mut p);
        put(&mut p, &mut body);
        let mut live = Vec::with_capacity(c.jobs.len());
        for job in c.jobs.values() {
            p.u8(KIND_JOB);
            job.pack(&mut p);
            put(&mut p, &mut body);
            live.push(job.batch_key());
        }
        live.sort_unstable();
        live.dedup();
        let (done, rx) = mpsc::channel();
        let snap = Snapshot {
            body,
            live,
            next_job_id: c.next_job_id,
            done,
        };
        if let Err(mpsc::SendError(Msg::Rotate(s))) = self.tx.send(Msg::Rotate(Box::new(snap))) {
            self.inner.compacting.store(false, Ordering::Release);
            let _ = s.done.send(Err(StateError::Stopped));
        }
        Some(Compaction { rx })
    }
}

struct Writer {
    inner: Arc<Inner>,
    file: File,
    segment: u32,
    len: u64,
    /// Set when a failed append could not be cut back off the segment:
    /// appending after it would hide later records from recovery.
    broken: Option<String>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        let mut pending = None;
        loop {
            let first = match pending.take() {
                Some(m) => m,
                None => match rx.recv() {
                    Ok(m) => m,
                    Err(_) => return,
                },
            };
            let mut batch = Vec::new();
            match first {
                Msg::Rotate(s) => {
                    self.rotate(*s);
                    continue;
                }
                m @ Msg::Append { .. } => batch.push(m),
            }
            // Group commit: everything queued meanwhile goes in one write,
            // up to a rotation (which must see this batch written first);
            // requests announced but not yet appended are waited for briefly.
            let until = Instant::now() + GROUP_COMMIT_WAIT;
            loop {
                let m = match rx.try_recv() {
                    Ok(m) => m,
                    Err(mpsc::TryRecvError::Disconnected) => break,
                    Err(mpsc::TryRecvError::Empty) => {
                        let left = until.saturating_duration_since(Instant::now());
                        if self.inner.announced.load(Ordering::Acquire) == 0 || left.is_zero() {
                            break;
                        }
                        match rx.recv_timeout(left) {
                            Ok(m) => m,
                            Err(_) => break,
                        }
                    }
                };
                match m {
                    Msg::Rotate(_) => {
                        pending = Some(m);
                        break;
                    }
                    m => batch.push(m),
                }
            }
            self.append(batch);
        }
    }

    fn append(&mut self, batch: Vec<Msg>) {
        let mut buf = Vec::with_capacity(
            batch
                .iter()
                .map(|m| {
                    if let Msg::Append { data, .. } = m {
                        data.len()
                    } else {
                        0
                    }
                })
                .sum(),
        );
        let mut blobs = Vec::new();
        for m in &batch {
            if let Msg::Append { data, blobs: b, .. } = m {
                for &(key, at, len) in b {
                    blobs.push((
                        key,
                        BlobLoc {
                            segment: self.segment,
                            offset: self.len + (buf.len() + at) as u64,
                            len,
                        },
                    ));
                }
                buf.extend_from_slice(data);
            }
        }
        let path = self.inner.dir.segment_path(self.segment);
        let result = match &self.broken {
            Some(e) => Err(e.clone()),
            None if buf.is_empty() => Ok(()),
            // At an explicit offset, so a failed write that was cut off below
            // leaves no gap before the next one.
            None => self
                .file
                .write_all_at(&buf, self.len)
                .and_then(|_| self.file.sync_data())
                .map_err(|e| format!("{}: {e}", path.display())),
        };
        match &result {
            Ok(()) => {
                self.len += buf.len() as u64;
                let mut index = self.inner.index.lock().unwrap_or_else(|p| p.into_inner());
                index.extend(blobs);
                if self.len > COMPACT_AFTER_BYTES {
                    self.inner.wants_compaction.store(true, Ordering::Relaxed);
                }
            }
            Err(_) if self.broken.is_none() => {
                // Cut a partial write off, so later records follow good ones.
                if let Err(e) = self
                    .file
                    .set_len(self.len)
                    .and_then(|_| self.file.sync_data())
                {
                    self.broken = Some(format!(
                        "{}: cannot cut a failed write: {e}",
                        path.display()
                    ));
                    // A compaction moves the journal to a new segment.
                    self.inner.wants_compaction.store(true, Ordering::Relaxed);
                }
            }
            Err(_) => {}
        }
        for m in batch {
            if let Msg::Append { done, .. } = m {
                done(result.clone());
            }
        }
    }

    fn rotate(&mut self, snap: Snapshot) {
        let next = self.segment + 1;
        let file = match self.inner.dir.create_segment(next) {
            Ok(f) => f,
            Err(e) => {
                self.inner.compacting.store(false, Ordering::Release);
                let _ = snap.done.send(Err(e));
                return;
            }
        };
        self.file = file;
        self.segment = next;
        self.len = JOURNAL_MAGIC.len() as u64;
        self.broken = None;
        // Only now: appends to the old segment since `compact` may have
        // raised it again.
        self.inner.wants_compaction.store(false, Ordering::Relaxed);
        // Scripts of jobs no longer in the state are forgotten; the rest
        // are referenced from the snapshot.
        let refs: Vec<(u32, BlobLoc)> = {
            let mut index = self.inner.index.lock().unwrap_or_else(|p| p.into_inner());
            index.retain(|k, loc| loc.segment >= next || snap.live.binary_search(k).is_ok());
            index
                .iter()
                .filter(|(_, l)| l.segment < next)
                .map(|(&k, &l)| (k, l))
                .collect()
        };
        let inner = self.inner.clone();
        let spawned = thread::Builder::new()
            .name("compact".into())
            .spawn(move || {
                let result = write_snapshot(&inner.dir, snap.body, &refs, next, snap.next_job_id);
                inner.compacting.store(false, Ordering::Release);
                let _ = snap.done.send(result);
            });
        if spawned.is_err() {
            self.inner.compacting.store(false, Ordering::Release);
        }
    }
}

/// Writes the snapshot that replaces segments before `first`, then deletes
/// those no remaining job's script is in.
fn write_snapshot(
    dir: &StateDir,
    mut body: Vec<u8>,
    refs: &[(u32, BlobLoc)],
    first: u32,
    next_job_id: u32,
) -> Result<(), StateError> {
    // Checksums of the records serialised under the lock.
    let mut pos = 0;
    while pos + FRAME_HEAD <= body.len() {
        let len =
            u32::from_be_bytes([body[pos], body[pos + 1], body[pos + 2], body[pos + 3]]) as usize;
        let crc = frame_sum(&body[pos + FRAME_HEAD..pos + FRAME_HEAD + len]);
        body[pos + 4..pos + 8].copy_from_slice(&crc.to_be_bytes());
        pos += FRAME_HEAD + len;
    }
    let mut head = Vec::with_capacity(MAGIC.len() + 32);
    head.extend_from_slice(MAGIC);
    let mut p = Packer::new();
    p.u8(KIND_SNAPSHOT_HEAD);
    p.u32(first);
    frame(p.as_slice(), &mut head);
    let mut tail = Vec::with_capacity(refs.len() * 32);
    for (key, loc) in refs {
        let mut p = Packer::new();
        p.u8(KIND_BATCH_REF);
        p.u32(*key);
        p.u32(loc.segment);
        p.u64(loc.offset);
        p.u32(loc.len);
        frame(p.as_slice(), &mut tail);
    }
    // Written from the pieces: the body is tens of MB at 100,000 jobs, and
    // a copy of it would double the memory a compaction holds.
    dir.write_atomic_parts(SNAPSHOT, &[&head, &body, &tail])?;
    drop(body);
    dir.write_atomic(SEQUENCE, &next_job_id.to_be_bytes())?;
    let keep: std::collections::HashSet<u32> = refs.iter().map(|(_, l)| l.segment).collect();
    for n in dir
        .segments()?
        .into_iter()
        .filter(|&n| n < first && !keep.contains(&n))
    {
        dir.remove_if_present(&dir.segment_path(n))?;
    }
    dir.sync_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c_sw(b"123456789"), 0xE306_9283);
        let long: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        assert_eq!(crc32c(&long), crc32c_sw(&long));
        assert_eq!(crc32c(b""), 0);
    }

    #[test]
    fn torn_tail_is_cut_at_last_good_record() {
        let mut data = Vec::new();
        frame(b"one", &mut data);
        frame(b"two", &mut data);
        let good = data.len();
        frame(b"three", &mut data);
        data.truncate(data.len() - 2);
        let mut frames = Frames::new(&data);
        let recs: Vec<&[u8]> = frames.by_ref().map(|(_, r)| r).collect();
        assert_eq!(recs, vec![b"one".as_slice(), b"two".as_slice()]);
        assert_eq!(frames.valid(), good);
        // A flipped byte in a record is caught by the checksum.
        let mut bad = Vec::new();
        frame(b"hello", &mut bad);
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert_eq!(Frames::new(&bad).count(), 0);
        // So is a zero-filled tail (a crash after the size, before the data).
        let mut zeros = data[..good].to_vec();
        zeros.extend_from_slice(&[0; 64]);
        let mut frames = Frames::new(&zeros);
        assert_eq!(frames.by_ref().count(), 2);
        assert_eq!(frames.valid(), good);
    }
}
