//! The RPC server: a thin tokio shell that reads frames, authenticates them,
//! hands typed requests to the core and writes the reply once what it
//! acknowledges is on disk.
//!
//! Bad input never reaches the core. As upstream's slurmctld does, a frame
//! that fails framing, version, credential, body-hash or body checks is
//! logged with its reason and Slurm error code and the connection is closed
//! without a reply; the server keeps serving everyone else.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify, Semaphore};
use tracing::{debug, error, info, warn};

use wire::auth::body_hash::{self, HashKind, HashPolicy};
use wire::auth::{CredentialService, RestrictUid};
use wire::errno::SlurmRc;
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::{msg_type, Message};
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

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Produces a fresh cluster description and build info from slurm.conf.
pub type Reloader =
    Box<dyn Fn(i64) -> Result<(crate::core::ClusterSpec, wire::msg::BuildInfo), String> + Send>;

/// Why a request got no reply.
#[derive(Debug)]
enum Refused {
    Frame(frame::FrameError),
    Auth(wire::auth::AuthError),
    Hash(body_hash::BodyHashError),
    Body(DecodeError),
}

impl Refused {
    fn rc(&self) -> SlurmRc {
        match self {
            Refused::Frame(e) => e.rc(),
            Refused::Auth(_) => SlurmRc::SLURM_PROTOCOL_AUTHENTICATION_ERROR,
            Refused::Hash(_) | Refused::Body(_) => SlurmRc::ESLURM_PROTOCOL_INCOMPLETE_PACKET,
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Frame(e) => write!(f, "{e}"),
            Refused::Auth(e) => write!(f, "credential refused: {e}"),
            Refused::Hash(e) => write!(f, "body hash mismatch: {e}"),
            Refused::Body(e) => write!(f, "bad body: {e}"),
        }
    }
}

/// A request that passed every check.
struct Accepted {
    header: Header,
    caller: Caller,
    hash_kind: HashKind,
    msg: Result<Message, u16>,
}

fn accept(shared: &Shared, payload: &[u8]) -> Result<Accepted, Refused> {
    let f = frame::decode(payload).map_err(Refused::Frame)?;
    let AuthBlob::Munge(cred) = &f.auth;
    let verified = shared.auth.decode(cred).map_err(Refused::Auth)?;
    let hash_kind = body_hash::verify(
        &verified.payload,
        f.body,
        f.header.msg_type,
        f.header.version,
        shared.cfg.hash_policy,
    )
    .map_err(Refused::Hash)?;
    let host = verified.origin.map(|ip| shared.host_name(ip));
    let caller = Caller {
        uid: verified.uid,
        gid: verified.gid,
        version: f.header.version,
        host,
        peer: None,
    };
    let msg = match Message::unpack(f.header.msg_type, f.header.version, f.body) {
        Ok(m) => Ok(m),
        // A valid request of a kind we do not serve (yet): answer it rather
        // than leave the client waiting on a closed socket.
        Err(DecodeError::UnsupportedMessage(t)) => Err(t),
        Err(DecodeError::UnsupportedVersion(_)) => Err(f.header.msg_type),
        Err(e) => return Err(Refused::Body(e)),
    };
    Ok(Accepted {
        header: f.header,
        caller,
        hash_kind,
        msg,
    })
}

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

/// Serves one connection: one request, one reply.
async fn serve_connection(shared: Arc<Shared>, mut sock: TcpStream, peer: SocketAddr) {
    let payload = match read_frame(&mut sock, shared.cfg.msg_timeout).await {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(reason) => {
            warn!(%peer, rc = %reason.1, "dropping connection: {}", reason.0);
            return;
        }
    };
    // From here this request may append to the journal: let a group commit
    // under way wait for it (released once it has appended, or has not).
    let announced = shared.journal.announce();
    let accepted = match accept(&shared, &payload) {
        Ok(a) => a,
        Err(refused) => {
            warn!(%peer, rc = %refused.rc(), "dropping request: {refused}");
            // Upstream pauses briefly before closing, which also slows down
            // anyone hammering us with garbage.
            tokio::time::sleep(Duration::from_millis(10)).await;
            return;
        }
    };
    let Accepted {
        header,
        mut caller,
        hash_kind,
        msg,
    } = accepted;
    caller.peer = Some(peer.ip());
    debug!(%peer, uid = caller.uid, msg_type = msg_type::name(header.msg_type), "request");
    let reply = match msg {
        Err(t) => {
            drop(announced);
            info!(%peer, uid = caller.uid, msg_type = t, "RPC not supported for this message type/version");
            let rc = if header.version != ProtocolVersion::V22_05 {
                SlurmRc::SLURM_PROTOCOL_VERSION_ERROR
            } else {
                SlurmRc::ESLURM_NOT_SUPPORTED
            };
            Message::SlurmRc { rc: rc.0 }
        }
        Ok(m)
            if header.version != ProtocolVersion::V22_05 && !layout_is_version_independent(&m) =>
        {
            drop(announced);
            info!(%peer, version = %header.version, "request needs a 22.05 layout");
            Message::SlurmRc {
                rc: SlurmRc::SLURM_PROTOCOL_VERSION_ERROR.0,
            }
        }
        Ok(m) => match handle(&shared, caller.clone(), m, announced).await {
            Some(r) => r,
            None => return,
        },
    };
    let reply_type = reply.msg_type();
    let body = reply.into_body(header.version);
    let restrict = RestrictUid::for_reply(
        Some(caller.uid),
        shared.cfg.slurm_user,
        shared.cfg.slurmd_user,
    );
    let hash = body_hash::compute(&body, reply_type, header.version, Some(hash_kind));
    let cred = match shared.auth.encode(&hash, restrict) {
        Ok(c) => c,
        Err(e) => {
            error!(%peer, "cannot create reply credential: {e}");
            return;
        }
    };
    let reply_header = Header::new(header.version, reply_type, 0);
    let sent = if body.len() < LARGE_REPLY {
        sock.write_all(&frame::encode(&reply_header, &AuthBlob::Munge(cred), &body))
            .await
    } else {
        // A job list can be tens of MB: send it from where it was packed.
        let head = frame::encode_head(&reply_header, &AuthBlob::Munge(cred), body.len());
        match sock.write_all(&head).await {
            Ok(()) => sock.write_all(&body).await,
            Err(e) => Err(e),
        }
    };
    if let Err(e) = sent {
        debug!(%peer, "reply not delivered: {e}");
    }
}

/// Replies at least this large are written in two parts instead of copied
/// into one frame buffer (small ones go out in one write, one segment).
const LARGE_REPLY: usize = 256 * 1024;

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

/// Reads `u32 length` + payload. Allocation follows the bytes that arrive,
/// never the length claimed, so a lying prefix cannot exhaust memory.
async fn read_frame(
    sock: &mut TcpStream,
    timeout: Duration,
) -> Result<Option<Vec<u8>>, (String, SlurmRc)> {
    let mut len = [0u8; 4];
    match tokio::time::timeout(timeout, sock.read_exact(&mut len)).await {
        Err(_) => {
            return Err((
                "timed out waiting for a request".into(),
                SlurmRc::SLURM_COMMUNICATIONS_RECEIVE_ERROR,
            ))
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Ok(Err(e)) => return Err((e.to_string(), SlurmRc::SLURM_COMMUNICATIONS_RECEIVE_ERROR)),
        Ok(Ok(_)) => {}
    }
    let total = u32::from_be_bytes(len);
    let total = frame::check_length(total).map_err(|e| (e.to_string(), e.rc()))?;
    let mut payload = Vec::with_capacity(total.min(64 * 1024));
    let mut limited = (&mut *sock).take(total as u64);
    match tokio::time::timeout(timeout, limited.read_to_end(&mut payload)).await {
        Err(_) => Err((
            "timed out reading the request body".into(),
            SlurmRc::SLURM_COMMUNICATIONS_RECEIVE_ERROR,
        )),
        Ok(Err(e)) => Err((e.to_string(), SlurmRc::SLURM_COMMUNICATIONS_RECEIVE_ERROR)),
        Ok(Ok(n)) if n < total => Err((
            format!("truncated frame: {n} of {total} bytes"),
            SlurmRc::SLURM_COMMUNICATIONS_RECEIVE_ERROR,
        )),
        Ok(Ok(_)) => Ok(Some(payload)),
    }
}

/// Accepts connections until shutdown, serving at most
/// `max_connections` at a time.
pub async fn run(shared: Arc<Shared>, listeners: Vec<TcpListener>) {
    let permits = Arc::new(Semaphore::new(shared.cfg.max_connections.max(1)));
    let mut shutdown = shared.shutdown.subscribe();
    let mut tasks = Vec::new();
    for listener in listeners {
        let shared = shared.clone();
        let permits = permits.clone();
        let mut stop = shared.shutdown.subscribe();
        tasks.push(tokio::spawn(async move {
            loop {
                let permit = tokio::select! {
                    p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
                    _ = stop.changed() => return,
                };
                let (sock, peer) = tokio::select! {
                    r = listener.accept() => match r {
                        Ok(x) => x,
                        Err(e) => {
                            warn!("accept failed: {e}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                    _ = stop.changed() => return,
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    serve_connection(shared, sock, peer).await;
                    drop(permit);
                });
            }
        }));
    }
    tasks.push(tokio::spawn(background(shared.clone())));
    tasks.push(tokio::spawn(reconfigure_on_request(shared.clone())));
    let _ = shutdown.wait_for(|&s| s).await;
    for t in tasks {
        t.abort();
    }
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
    let mut out = Vec::new();
    for addr in &cfg.listen {
        let sock = match addr {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        sock.set_reuseaddr(true)?;
        sock.bind(*addr)?;
        out.push(sock.listen(1024)?);
    }
    Ok(out)
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
