//! The RPC server both daemons run: one request and at most one reply per
//! connection, at most `max_connections` connections at once, each with
//! MessageTimeout to deliver its request, and a drain of those in flight
//! when asked to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tracing::{debug, error, warn};

use wire::auth::body_hash::{self, HashKind, HashPolicy};
use wire::auth::{CredentialService, RestrictUid};
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::{msg_type, Message};
use wire::version::ProtocolVersion;

use crate::read::{read_frame, Budget, FrameLimits, Payload};
use crate::verify::{refuse, verify, Request};

/// What the server needs from slurm.conf.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Connections served at once; more wait in the accept queue.
    pub max_connections: usize,
    /// MessageTimeout: how long a peer may take to send its request, and
    /// how long a stop waits for requests in flight.
    pub msg_timeout: Duration,
    /// CommunicationParameters block_null_hash / block_zero_hash.
    pub hash_policy: HashPolicy,
    /// SlurmUser uid (replies to it are unrestricted).
    pub slurm_user: u32,
    /// SlurmdUser uid (likewise).
    pub slurmd_user: u32,
    /// Frame size limits.
    pub limits: FrameLimits,
}

/// A daemon's answers to verified requests.
pub trait Service: Send + Sync + 'static {
    /// Taken when a whole frame has arrived, before it is verified, and
    /// handed to [`Service::handle`] (slurmctld announces a possible
    /// journal write with it; `()` for daemons that need nothing).
    type Ticket: Send + 'static;

    /// Called once a frame has been read.
    fn frame_received(&self) -> Self::Ticket;

    /// Answers one verified request; `None` sends no reply.
    fn handle(
        self: Arc<Self>,
        req: Request,
        ticket: Self::Ticket,
    ) -> impl Future<Output = Option<Message>> + Send;
}

/// A server for one daemon: its service, settings and receive budget.
pub struct Server<S> {
    svc: Arc<S>,
    auth: Arc<dyn CredentialService>,
    cfg: ServeConfig,
    budget: Budget,
    permits: Arc<Semaphore>,
}

impl<S: Service> Server<S> {
    /// A server answering with `svc`.
    pub fn new(svc: Arc<S>, auth: Arc<dyn CredentialService>, cfg: ServeConfig) -> Arc<Self> {
        let budget = Budget::new(cfg.limits.budget);
        let permits = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
        Arc::new(Server {
            svc,
            auth,
            cfg,
            budget,
            permits,
        })
    }

    /// The bytes unverified frames hold now, daemon-wide.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Connection slots taken: connections being served, plus one per
    /// listener whose accept loop holds a slot for the next peer.
    pub fn connections(&self) -> usize {
        self.cfg.max_connections.max(1) - self.permits.available_permits()
    }

    /// Accepts connections on every listener until `stop` turns true, then
    /// waits (up to MessageTimeout) for the requests in flight.
    pub async fn run(self: Arc<Self>, listeners: Vec<TcpListener>, stop: watch::Receiver<bool>) {
        let accepting: Vec<_> = listeners
            .into_iter()
            .map(|l| tokio::spawn(self.clone().accept_loop(l, stop.clone())))
            .collect();
        stopped(&mut stop.clone()).await;
        for task in accepting {
            task.abort();
        }
        self.drain().await;
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
        loop {
            let permit = tokio::select! {
                p = self.permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
                _ = stopped(&mut stop) => return,
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
                _ = stopped(&mut stop) => return,
            };
            let server = self.clone();
            tokio::spawn(async move {
                server.serve_connection(sock, peer).await;
                drop(permit);
            });
        }
    }

    /// Waits until every connection has been served, or MessageTimeout.
    async fn drain(&self) {
        let all = u32::try_from(self.cfg.max_connections.max(1)).unwrap_or(u32::MAX);
        let wait = self.permits.acquire_many(all);
        if tokio::time::timeout(self.cfg.msg_timeout, wait)
            .await
            .is_err()
        {
            warn!(
                in_flight = self.connections(),
                "stopping with requests still in flight"
            );
        }
    }

    async fn serve_connection(&self, mut sock: TcpStream, peer: SocketAddr) {
        let Some(payload) = self.receive(&mut sock, peer).await else {
            return;
        };
        let ticket = self.svc.frame_received();
        let (bytes, budget_held) = payload.into_parts();
        let verified = verify(self.auth.as_ref(), self.cfg.hash_policy, bytes, peer);
        // Verified or not, its sender is known now: no longer the budget's.
        drop(budget_held);
        let req = match verified {
            Ok(r) => r,
            Err(refused) => {
                drop(ticket);
                refuse(peer, &refused).await;
                return;
            }
        };
        debug!(%peer, uid = req.uid, msg_type = msg_type::name(req.header.msg_type), "request");
        let (uid, version, hash_kind) = (req.uid, req.header.version, req.hash_kind);
        let Some(reply) = self.svc.clone().handle(req, ticket).await else {
            return;
        };
        let restrict = RestrictUid::for_reply(Some(uid), self.cfg.slurm_user, self.cfg.slurmd_user);
        let auth = self.auth.as_ref();
        match write_message(&mut sock, auth, reply, version, Some(hash_kind), restrict).await {
            Ok(()) => {}
            Err(SendError::Credential(e)) => error!(%peer, "cannot create reply credential: {e}"),
            Err(e) => debug!(%peer, "reply not delivered: {e}"),
        }
    }

    /// Reads the request frame within MessageTimeout; logs why not.
    async fn receive(&self, sock: &mut TcpStream, peer: SocketAddr) -> Option<Payload> {
        let deadline = Instant::now() + self.cfg.msg_timeout;
        match read_frame(sock, &self.cfg.limits, Some(&self.budget), deadline).await {
            Ok(p) => p,
            Err(e) => {
                warn!(%peer, rc = %e.rc, "dropping connection: {}", e.reason);
                None
            }
        }
    }
}

/// Resolves once `rx` says stop.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|&s| s).await;
}

/// Binds `addr` with SO_REUSEADDR, as upstream does.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let sock = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    sock.set_reuseaddr(true)?;
    sock.bind(addr)?;
    sock.listen(1024)
}

/// Replies at least this large are written in two parts instead of copied
/// into one frame buffer (small ones go out in one write, one segment).
const LARGE_REPLY: usize = 256 * 1024;

/// Why a message could not be sent.
#[derive(Debug)]
pub enum SendError {
    /// munged would not make a credential.
    Credential(wire::auth::AuthError),
    /// The socket failed.
    Io(std::io::Error),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Credential(e) => write!(f, "cannot create credential: {e}"),
            SendError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Signs and writes `msg` as one frame: the body hash in a credential
/// restricted to `restrict`, in the hash kind given (`None`: the default).
pub async fn write_message(
    sock: &mut TcpStream,
    auth: &dyn CredentialService,
    msg: Message,
    version: ProtocolVersion,
    hash_kind: Option<HashKind>,
    restrict: RestrictUid,
) -> Result<(), SendError> {
    let msg_type = msg.msg_type();
    let body = msg.into_body(version);
    let hash = body_hash::compute(&body, msg_type, version, hash_kind);
    let cred = auth
        .encode(&hash, restrict)
        .map_err(SendError::Credential)?;
    let header = Header::new(version, msg_type, 0);
    let auth = AuthBlob::Munge(cred);
    let sent = if body.len() < LARGE_REPLY {
        sock.write_all(&frame::encode(&header, &auth, &body)).await
    } else {
        // A job list can be tens of MB: send it from where it was packed.
        let head = frame::encode_head(&header, &auth, body.len());
        match sock.write_all(&head).await {
            Ok(()) => sock.write_all(&body).await,
            Err(e) => Err(e),
        }
    };
    sent.map_err(SendError::Io)
}
