//! Submits held batch jobs over N concurrent connections, each request with
//! its own fresh MUNGE credential, and checks every reply.
//!
//! With `presign`, the credentials are made before the clock starts (one per
//! job, each used once): on a real cluster the clients sign on their own hosts
//! with their own munged, so only the controller's decode and reply encode
//! load the controller host's munged. Without it, signing happens inside the
//! timed run and competes with the controller for munged and the CPUs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use wire::auth::munge::Munge;
use wire::auth::{CredentialService, RestrictUid};
use wire::errno::SlurmRc;
use wire::msg::Message;

use crate::job_desc;
use crate::rpc;

/// What to submit, where, and how hard.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub controller: SocketAddr,
    /// munged socket; None = libmunge's default.
    pub munge_socket: Option<String>,
    /// Jobs to get accepted.
    pub jobs: u64,
    /// Concurrent workers, each with one connection (one RPC) at a time.
    pub connections: usize,
    /// Per-RPC connect/read/write timeout.
    pub rpc_timeout: Duration,
    /// Give up after this long in total.
    pub deadline: Duration,
    /// Give up after this many failed RPCs.
    pub max_errors: u64,
    pub uid: u32,
    pub gid: u32,
    pub work_dir: String,
    pub host: String,
    /// Submit held (`sbatch --hold`), or runnable jobs.
    pub hold: bool,
    /// Make every request's credential before the clock starts.
    pub presign: bool,
}

/// The outcome of one load run.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub accepted: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Error text -> count, to show what went wrong.
    pub error_kinds: BTreeMap<String, u64>,
    /// Stopped early (deadline or error budget).
    pub aborted: bool,
}

impl LoadReport {
    pub fn jobs_per_sec(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Checks a submit reply: accepted means a job id and rc 0 or
/// ESLURM_JOB_HELD (upstream's informational rc for `--hold`).
fn check_reply(reply: Message) -> Result<u32, String> {
    match reply {
        Message::SubmitBatchJobResponse {
            job_id, error_code, ..
        } if job_id != 0
            && (error_code == 0 || error_code == SlurmRc::ESLURM_JOB_HELD.0 as u32) =>
        {
            Ok(job_id)
        }
        Message::SubmitBatchJobResponse { error_code, .. } => {
            Err(format!("submit rc {}", SlurmRc(error_code as i32)))
        }
        Message::SlurmRc { rc } => Err(format!("rc {}", SlurmRc(rc))),
        other => Err(format!("unexpected reply {}", other.msg_type())),
    }
}

/// What `worker` submits: `sbatch --hold --wrap=true` (or without `--hold`).
fn descriptor(spec: &LoadSpec, name: &str) -> Message {
    let mut desc = job_desc::sbatch_hold_wrap(name, spec.uid, spec.gid, &spec.work_dir, &spec.host);
    if !spec.hold {
        // What sbatch sends without --hold.
        desc.priority = wire::pack::NO_VAL;
        desc.submit_line = Some(format!("sbatch -J {name} --wrap=true"));
    }
    Message::SubmitBatchJob(Box::new(desc))
}

/// `count` credentials for `req`, made over 8 threads.
fn presign(munge: &Munge, req: &rpc::Signed, count: u64) -> Result<Vec<String>, String> {
    let per = count.div_ceil(8) as usize;
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..8)
            .map(|i| {
                let n = per.min((count as usize).saturating_sub(i * per));
                s.spawn(move || {
                    (0..n)
                        .map(|_| req.sign(munge).map_err(|e| e.to_string()))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(count as usize);
        for p in parts {
            all.extend(
                p.join()
                    .map_err(|_| "signing thread panicked".to_string())??,
            );
        }
        Ok(all)
    })
}

/// Runs the load and blocks until `spec.jobs` were accepted or it gave up.
pub fn run(spec: &LoadSpec) -> LoadReport {
    let munge = Munge::new(spec.munge_socket.as_deref(), None).expect("munge context");
    // Pre-signed runs share one body (one job name), so one hash serves
    // every credential; live runs name jobs per worker as before.
    let shared_req = rpc::Signed::new(&descriptor(spec, "lg"));
    let pool = if spec.presign {
        match presign(&munge, &shared_req, spec.jobs) {
            Ok(p) => p,
            Err(e) => {
                return LoadReport {
                    accepted: 0,
                    errors: 1,
                    elapsed: Duration::ZERO,
                    error_kinds: BTreeMap::from([(format!("presigning: {e}"), 1)]),
                    aborted: true,
                }
            }
        }
    } else {
        Vec::new()
    };
    let next_cred = AtomicU64::new(0);
    let next = AtomicU64::new(0);
    let accepted = AtomicU64::new(0);
    let errors = AtomicU64::new(0);
    let kinds: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let start = Instant::now();
    let give_up = start + spec.deadline;
    std::thread::scope(|s| {
        for w in 0..spec.connections.max(1) {
            let (munge, next, accepted, errors, kinds, pool, next_cred, shared_req) = (
                &munge,
                &next,
                &accepted,
                &errors,
                &kinds,
                &pool,
                &next_cred,
                &shared_req,
            );
            s.spawn(move || {
                // Encoded once per worker; every request still gets its own credential.
                let own;
                let req = if spec.presign {
                    shared_req
                } else {
                    own = rpc::Signed::new(&descriptor(spec, &format!("lg{w}")));
                    &own
                };
                loop {
                    if Instant::now() > give_up || errors.load(Ordering::Relaxed) > spec.max_errors
                    {
                        return;
                    }
                    // Claim a slot; hand it back on failure so the total stays exact.
                    if next.fetch_add(1, Ordering::Relaxed) >= spec.jobs {
                        return;
                    }
                    // A pre-signed credential is used once; retries sign anew.
                    let cred = match pool.get(next_cred.fetch_add(1, Ordering::Relaxed) as usize) {
                        Some(c) => Ok(c.clone()),
                        None => req.sign(munge),
                    };
                    let result = cred
                        .and_then(|cred| req.send(spec.controller, cred, spec.rpc_timeout))
                        .map_err(|e| e.to_string())
                        .and_then(check_reply);
                    match result {
                        Ok(_) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                            next.fetch_sub(1, Ordering::Relaxed);
                            *kinds.lock().unwrap().entry(e).or_default() += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
            });
        }
    });
    let accepted = accepted.into_inner();
    LoadReport {
        accepted,
        errors: errors.into_inner(),
        elapsed: start.elapsed(),
        error_kinds: kinds.into_inner().unwrap(),
        aborted: accepted < spec.jobs,
    }
}

/// The MUNGE floor: credential encode+decode pairs per second through the
/// munged at `socket`, over `threads` threads, `count` pairs in total.
pub fn munge_floor(socket: Option<&str>, threads: usize, count: u64) -> Result<f64, String> {
    let munge = Munge::new(socket, None).map_err(|e| e.to_string())?;
    let next = AtomicU64::new(0);
    let failed: Mutex<Option<String>> = Mutex::new(None);
    let payload = [0x5au8; 33]; // the size of a body hash
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            let (munge, next, failed) = (&munge, &next, &failed);
            s.spawn(move || {
                while next.fetch_add(1, Ordering::Relaxed) < count {
                    let r = munge
                        .encode(&payload, RestrictUid::Any)
                        .and_then(|c| munge.decode(&c));
                    if let Err(e) = r {
                        *failed.lock().unwrap() = Some(e.to_string());
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap() {
        return Err(e);
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}
