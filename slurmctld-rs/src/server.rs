//! The RPC server: the `daemon` crate reads and authenticates frames and
//! signs replies; this shell hands typed requests to the core and returns
//! the reply once what it acknowledges is on disk.
//!
//! Bad input never reaches the core. As upstream's slurmctld does, a frame
//! that fails framing, version, credential, body-hash or body checks is
//! logged with its reason and Slurm error code and the connection is closed
//! without a reply; the server keeps serving everyone else.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Notify};
use tracing::{error, info, warn};

use daemon::startup::now;
use daemon::verify::refuse;
use daemon::{Refused, Request};
use wire::auth::body_hash::HashPolicy;
use wire::auth::CredentialService;
use wire::errno::SlurmRc;
use wire::msg::Message;
use wire::pack::DecodeError;
use wire::version::ProtocolVersion;

use crate::core::{Caller, Controller, Effect};
use crate::state::{self, Journal, StateDir};

/// Server settings taken from slurm.conf and the command line.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Addresses to listen on (SlurmctldPort range).
    pub listen: Vec<SocketAddr>,
    /// Connections served at once; more wait in the accept queue.
    pub max_connections: usize,
    /// MessageTimeout: how long a peer may take to send its request.
    pub msg_timeout: Duration,
    /// CommunicationParameters block_null_hash / block_zero_hash.
    pub hash_policy: HashPolicy,
    /// SlurmUser uid (replies to it are unrestricted).
    pub slurm_user: u32,
    /// SlurmdUser uid.
    pub slurmd_user: u32,
    /// SchedulerParameters sched_interval.
    pub sched_interval: Duration,
    /// How often expected start times are computed, and for how many jobs.
    pub start_estimates: (Duration, usize),
    /// SchedulerType=sched/backfill (estimates show their planned nodes).
    pub backfill: bool,
    /// How often MinJobAge purging runs.
    pub purge_interval: Duration,
}

/// Everything the connection tasks share.
pub struct Shared {
    /// The state machine; held only while a request is handled.
    pub core: Mutex<Controller>,
    /// MUNGE (or the in-memory fake in tests).
    pub auth: Arc<dyn CredentialService>,
    /// Durable journal.
    pub journal: Journal,
    /// State directory (for compaction at shutdown).
    pub state: StateDir,
    /// Settings.
    pub cfg: ServerConfig,
    /// Wakes the scheduler early.
    pub schedule_now: Notify,
    /// Set to true to stop.
    pub shutdown: watch::Sender<bool>,
    /// Asked to re-read slurm.conf.
    pub reconfigure: Notify,
    /// Sends node work to the agent task (set by the daemon).
    pub agent: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Effect>>>,
    /// Re-reads slurm.conf (set by the daemon; tests leave it unset).
    pub reload: Mutex<Option<Reloader>>,
    /// Reverse lookups of credential hosts.
    hosts: Mutex<std::collections::HashMap<std::net::Ipv4Addr, String>>,
}

impl Shared {
    /// Queues work for the node daemons (launch, terminate, signal, abort).
    pub fn dispatch_to_nodes(&self, effect: Effect) {
        let agent = self.agent.lock().unwrap_or_else(|p| p.into_inner());
        match agent.as_ref() {
            Some(tx) => {
                if tx.send(effect).is_err() {
                    error!("node agent has stopped; node work lost");
                }
            }
            None => warn!(?effect, "no node agent configured; node work not delivered"),
        }
    }

    /// Short host name for an address, as upstream's `auth_p_get_host`
    /// resolves it (the IP text when the lookup fails). Cached: a host's
    /// name does not change while we run often enough to matter.
    pub fn host_name(&self, ip: std::net::Ipv4Addr) -> String {
        let mut cache = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(ip)
            .or_insert_with(|| reverse_lookup(ip).unwrap_or_else(|| ip.to_string()))
            .clone()
    }
}

/// getnameinfo(3) with NI_NAMEREQD, cut at the first dot.
fn reverse_lookup(ip: std::net::Ipv4Addr) -> Option<String> {
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip.octets()),
        },
        sin_zero: [0; 8],
    };
    let mut host = [0 as libc::c_char; 256];
    // SAFETY: sin is a valid sockaddr_in for the call; host is a writable
    // buffer of the length we pass; no service buffer is requested.
    let rc = unsafe {
        libc::getnameinfo(
            (&sin as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: on success getnameinfo wrote a NUL-terminated string into host.
    let name = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    Some(name.split('.').next().unwrap_or(&name).to_string())
}

/// Produces a fresh cluster description and build info from slurm.conf.
pub type Reloader =
    Box<dyn Fn(i64) -> Result<(crate::core::ClusterSpec, wire::msg::BuildInfo), String> + Send>;

/// Messages whose layout is the same in 20.11, 21.08 and 22.05, so an
/// older client can be answered; the rest are 22.05-only for now.
fn layout_is_version_independent(m: &Message) -> bool {
    matches!(
        m,
        Message::Ping
            | Message::Reconfigure
            | Message::Shutdown { .. }
            | Message::FedInfoRequest
            | Message::KillJob(_)
            | Message::CancelJobStep(_)
            | Message::JobRequeue { .. }
            | Message::UpdatePartition(_)
            | Message::UpdateNode(_)
    )
}

impl daemon::Service for Shared {
    /// From the moment a frame is in, this request may append to the
    /// journal: a group commit under way waits for it (released once it
    /// has appended, or has not).
    type Ticket = state::Announced;

    fn frame_received(&self) -> state::Announced {
        self.journal.announce()
    }

    async fn handle(self: Arc<Self>, req: Request, announced: state::Announced) -> Option<Message> {
        answer(&self, req, announced).await
    }
}

/// Decodes a verified request and answers it: with the core's reply, or
/// with an error for a type or version we do not serve. A body that does
/// not decode gets no reply, as upstream.
async fn answer(
    shared: &Arc<Shared>,
    req: Request,
    announced: state::Announced,
) -> Option<Message> {
    let (peer, header) = (req.peer, &req.header);
    let caller = Caller {
        uid: req.uid,
        gid: req.gid,
        version: header.version,
        host: req.origin.map(|ip| shared.host_name(ip)),
        peer: Some(peer.ip()),
    };
    let msg = match Message::unpack(header.msg_type, header.version, &req.body) {
        Ok(m) => m,
        // A valid request of a kind we do not serve (yet): answer it rather
        // than leave the client waiting on a closed socket.
        Err(DecodeError::UnsupportedMessage(t)) => return Some(not_served(peer, &caller, t)),
        Err(DecodeError::UnsupportedVersion(_)) => {
            return Some(not_served(peer, &caller, header.msg_type))
        }
        Err(e) => {
            drop(announced);
            refuse(peer, &Refused::Body(e)).await;
            return None;
        }
    };
    if header.version != ProtocolVersion::V22_05 && !layout_is_version_independent(&msg) {
        drop(announced);
        info!(%peer, version = %header.version, "request needs a 22.05 layout");
        return Some(Message::SlurmRc {
            rc: SlurmRc::SLURM_PROTOCOL_VERSION_ERROR.0,
        });
    }
    handle(shared, caller, msg, announced).await
}

/// The answer to a request type (or version of it) we have no decoder for.
fn not_served(peer: SocketAddr, caller: &Caller, t: u16) -> Message {
    info!(%peer, uid = caller.uid, msg_type = t, "RPC not supported for this message type/version");
    let rc = if caller.version != ProtocolVersion::V22_05 {
        SlurmRc::SLURM_PROTOCOL_VERSION_ERROR
    } else {
        SlurmRc::ESLURM_NOT_SUPPORTED
    };
    Message::SlurmRc { rc: rc.0 }
}

/// Runs the core on one request and waits until what it changed is durable.
async fn handle(
    shared: &Arc<Shared>,
    caller: Caller,
    msg: Message,
    announced: state::Announced,
) -> Option<Message> {
    if matches!(msg, Message::Ping) {
        // Liveness only: answered even while the core is busy (a compaction
        // serialising it, a long job list), as upstream answers pings.
        return Some(Message::SlurmRc {
            rc: SlurmRc::SUCCESS.0,
        });
    }
    let t = now();
    let uid;
    let (durable_rx, outcome) = {
        let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        uid = caller.uid;
        let outcome = core.handle(caller, msg, t);
        // Withdrawn before the append: a writer that received the records
        // while this request still counted as announced would hold its
        // commit waiting for a request that has nothing more to send.
        drop(announced);
        let rx = if outcome.durable.is_empty() {
            None
        } else {
            let records: Vec<Vec<u8>> = outcome
                .durable
                .iter()
                .filter_map(|d| state::durable_record(&core, d))
                .collect();
            let (tx, rx) = oneshot::channel();
            // Appended while the core is locked, so the journal's order is
            // the order in which the core changed.
            shared.journal.append(records, move |r| {
                let _ = tx.send(r);
            });
            Some(rx)
        };
        (rx, outcome)
    };
    if let Some(rx) = durable_rx {
        match rx.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                error!("state not saved, answering with an error: {e}");
                return Some(Message::SlurmRc {
                    rc: SlurmRc::ESLURM_WRITING_TO_FILE.0,
                });
            }
            Err(_) => return None,
        }
    }
    let mut outcome = outcome;
    if let Message::JobStepCreateResponse(r) = &mut outcome.reply {
        if let Err(e) = crate::agent::sign_step_credential(shared, &mut r.cred).await {
            error!("cannot sign the step credential: {e}");
            return Some(Message::SlurmRc {
                rc: SlurmRc::ESLURM_INVALID_JOB_CREDENTIAL.0,
            });
        }
    }
    for effect in &outcome.effects {
        match effect {
            Effect::ScheduleSoon => shared.schedule_now.notify_one(),
            Effect::Shutdown => {
                info!("shutdown requested by uid {uid}");
                let _ = shared.shutdown.send(true);
            }
            Effect::Reconfigure => shared.reconfigure.notify_one(),
            node_work => shared.dispatch_to_nodes(node_work.clone()),
        }
    }
    Some(outcome.reply)
}

/// Accepts connections until shutdown, serving at most `max_connections`
/// at a time, then lets those in flight finish.
pub async fn run(shared: Arc<Shared>, listeners: Vec<TcpListener>) {
    let cfg = daemon::ServeConfig {
        max_connections: shared.cfg.max_connections,
        msg_timeout: shared.cfg.msg_timeout,
        hash_policy: shared.cfg.hash_policy,
        slurm_user: shared.cfg.slurm_user,
        slurmd_user: shared.cfg.slurmd_user,
        limits: daemon::FrameLimits::default(),
    };
    let periodic = [
        tokio::spawn(background(shared.clone())),
        tokio::spawn(reconfigure_on_request(shared.clone())),
    ];
    // No scheduling while the requests in flight drain.
    let mut stop = shared.shutdown.subscribe();
    tokio::spawn(async move {
        let _ = stop.wait_for(|&s| s).await;
        periodic.iter().for_each(|t| t.abort());
    });
    let stop = shared.shutdown.subscribe();
    let auth = shared.auth.clone();
    daemon::Server::new(shared, auth, cfg)
        .run(listeners, stop)
        .await;
}

/// Re-reads slurm.conf when asked (REQUEST_RECONFIGURE or SIGHUP).
async fn reconfigure_on_request(shared: Arc<Shared>) {
    loop {
        shared.reconfigure.notified().await;
        let t = now();
        let fresh = {
            let reload = shared.reload.lock().unwrap_or_else(|p| p.into_inner());
            match reload.as_ref() {
                Some(f) => f(t),
                None => continue,
            }
        };
        match fresh {
            Ok((spec, info)) => {
                let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
                match core.reconfigure(spec, info, t) {
                    Ok(()) => info!("reconfigured from slurm.conf"),
                    Err(e) => error!("reconfigure refused: {e}"),
                }
            }
            Err(e) => error!("reconfigure failed, keeping the running configuration: {e}"),
        }
        shared.schedule_now.notify_one();
    }
}

/// Periodic work: scheduler passes and MinJobAge purges.
async fn background(shared: Arc<Shared>) {
    let mut sched = tokio::time::interval(shared.cfg.sched_interval);
    let mut purge = tokio::time::interval(shared.cfg.purge_interval);
    let (estimate_every, estimate_jobs) = shared.cfg.start_estimates;
    let mut estimate =
        tokio::time::interval_at(tokio::time::Instant::now() + estimate_every, estimate_every);
    // Upstream checks time limits every PERIODIC_TIMEOUT (30 s) whatever
    // sched_interval is.
    let mut limits = tokio::time::interval(shared.cfg.sched_interval.min(Duration::from_secs(30)));
    loop {
        tokio::select! {
            _ = sched.tick() => {}
            _ = limits.tick() => {
                let t = now();
                let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
                let mut effects = core.send_warning_signals(t);
                effects.extend(core.check_time_limits(t));
                drop(core);
                for e in effects {
                    shared.dispatch_to_nodes(e);
                }
                continue;
            }
            _ = estimate.tick() => {
                let t = now();
                let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
                core.estimate_start_times(estimate_jobs, shared.cfg.backfill, t);
                continue;
            }
            _ = shared.schedule_now.notified() => {
                // Let a burst of submissions land before one pass.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ = purge.tick() => {
                if shared.journal.wants_compaction() && !shared.journal.compacting() {
                    compact_in_background(&shared);
                }
                let t = now();
                let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
                let removed = core.purge_old_jobs(t);
                if !removed.is_empty() {
                    let records = removed.iter().map(|&id| state::job_removed_record(id)).collect();
                    shared.journal.append(records, |r| {
                        if let Err(e) = r {
                            error!("purge not saved: {e}");
                        }
                    });
                }
                continue;
            }
        }
        let t = now();
        let mut core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        let (changed, effects) = core.main_schedule(t);
        for e in effects {
            shared.dispatch_to_nodes(e);
        }
        // Reasons are re-derived after a restart; only eligibility changes
        // need saving, and those are cheap to write with the record.
        if !changed.is_empty() {
            let records = changed
                .iter()
                .filter_map(|id| core.jobs.get(id).map(|j| state::job_record(j)))
                .collect();
            shared.journal.append(records, |r| {
                if let Err(e) = r {
                    error!("scheduler state not saved: {e}");
                }
            });
        }
    }
}

/// Binds every listen address.
pub async fn bind(cfg: &ServerConfig) -> std::io::Result<Vec<TcpListener>> {
    cfg.listen.iter().map(|&a| daemon::serve::bind(a)).collect()
}

/// Writes a snapshot in the background (after start-up replay, and when the
/// journal has grown): the core is locked only while it is serialised.
pub fn compact_in_background(shared: &Arc<Shared>) {
    let shared = shared.clone();
    let started = std::time::Instant::now();
    let (job, jobs) = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        (shared.journal.compact(&core), core.jobs.len())
    };
    let locked_ms = started.elapsed().as_millis() as u64;
    if let Some(job) = job {
        tokio::task::spawn_blocking(move || match job.wait() {
            Ok(()) => info!(
                jobs,
                locked_ms,
                ms = started.elapsed().as_millis() as u64,
                "state compacted"
            ),
            Err(e) => error!("state compaction failed (the journal still has everything): {e}"),
        });
    }
}

/// Saves a compacted snapshot (clean shutdown).
pub fn save(shared: &Shared) -> Result<(), state::StateError> {
    while shared.journal.compacting() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let job = {
        let core = shared.core.lock().unwrap_or_else(|p| p.into_inner());
        shared.journal.compact(&core)
    };
    job.map_or(Ok(()), |j| j.wait())
}

/// Creates the shared server state.
pub fn shared(
    core: Controller,
    auth: Arc<dyn CredentialService>,
    journal: Journal,
    state: StateDir,
    cfg: ServerConfig,
) -> Arc<Shared> {
    let (shutdown, _) = watch::channel(false);
    Arc::new(Shared {
        core: Mutex::new(core),
        auth,
        journal,
        state,
        cfg,
        schedule_now: Notify::new(),
        shutdown,
        reconfigure: Notify::new(),
        hosts: Mutex::new(std::collections::HashMap::new()),
        reload: Mutex::new(None),
        agent: Mutex::new(None),
    })
}
