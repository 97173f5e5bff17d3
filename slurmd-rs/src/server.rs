//! The RPC server: reads one framed request per connection, verifies its
//! MUNGE credential and body hash, hands it to [`dispatch`], and writes the
//! reply with a credential of its own.
//!
//! As upstream slurmd does, a request that fails framing, credential or
//! hash checks is logged with the reason and Slurm error and the
//! connection is closed without a reply.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tracing::{debug, error, info, warn};

use wire::auth::body_hash::{self, HashKind, HashPolicy};
use wire::auth::{CredentialService, RestrictUid};
use wire::errno::SlurmRc;
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::{msg_type, Message};

use crate::agent::NodeAgent;
use crate::ctld::Controller;
use crate::handlers;

/// Server settings from slurm.conf.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (the node's Port).
    pub listen: SocketAddr,
    /// Requests served at once.
    pub max_connections: usize,
    /// MessageTimeout: how long a peer may take to send its request.
    pub msg_timeout: Duration,
    /// CommunicationParameters block_null_hash / block_zero_hash.
    pub hash_policy: HashPolicy,
    /// SlurmUser uid.
    pub slurm_user: u32,
    /// SlurmdUser uid.
    pub slurmd_user: u32,
}

/// A request whose credential and body hash verified.
#[derive(Debug, Clone)]
pub struct Request {
    /// Header (message type, version, flags, forwarding).
    pub header: Header,
    /// Uid the credential names (who sent it).
    pub uid: u32,
    /// Gid the credential names.
    pub gid: u32,
    /// The packed body, for the message decoders.
    pub body: Vec<u8>,
    /// Where it came from.
    pub peer: SocketAddr,
    /// Hash kind the sender used (the reply uses the same).
    pub hash_kind: HashKind,
}

/// Answers one verified request (upstream `slurmd_req`). `None` means no
/// reply at all (REQUEST_SHUTDOWN, REQUEST_RECONFIGURE: "slurmctld does
/// not expect one"). Work that upstream does after replying (registration,
/// killing steps, the epilog) is spawned and runs after this returns.
pub async fn dispatch(server: &Arc<Server>, req: &Request) -> Option<Message> {
    let t = req.header.msg_type;
    let msg = match Message::unpack(t, req.header.version, &req.body) {
        Ok(m) => m,
        Err(wire::pack::DecodeError::UnsupportedMessage(_)) => {
            info!(peer = %req.peer, uid = req.uid, msg_type = msg_type::name(t), "RPC not supported by this slurmd");
            return Some(Message::SlurmRc {
                rc: SlurmRc::ESLURM_NOT_SUPPORTED.0,
            });
        }
        Err(e) => {
            error!(peer = %req.peer, msg_type = msg_type::name(t), "cannot decode request: {e}");
            return Some(Message::SlurmRc {
                rc: SlurmRc::ESLURM_PROTOCOL_INCOMPLETE_PACKET.0,
            });
        }
    };
    handlers::handle(server, req, msg).await
}

/// Why a request got no reply.
#[derive(Debug)]
enum Refused {
    Frame(frame::FrameError),
    Auth(wire::auth::AuthError),
    Hash(body_hash::BodyHashError),
}

impl Refused {
    fn rc(&self) -> SlurmRc {
        match self {
            Refused::Frame(e) => e.rc(),
            Refused::Auth(_) => SlurmRc::SLURM_PROTOCOL_AUTHENTICATION_ERROR,
            Refused::Hash(_) => SlurmRc::ESLURM_PROTOCOL_INCOMPLETE_PACKET,
        }
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Frame(e) => write!(f, "{e}"),
            Refused::Auth(e) => write!(f, "credential refused: {e}"),
            Refused::Hash(e) => write!(f, "body hash mismatch: {e}"),
        }
    }
}

/// Checks framing, credential and body hash of one payload.
pub fn verify(
    auth: &dyn CredentialService,
    policy: HashPolicy,
    payload: &[u8],
    peer: SocketAddr,
) -> Result<Request, String> {
    let inner = || -> Result<Request, Refused> {
        let f = frame::decode(payload).map_err(Refused::Frame)?;
        let AuthBlob::Munge(cred) = &f.auth;
        let v = auth.decode(cred).map_err(Refused::Auth)?;
        let hash_kind = body_hash::verify(
            &v.payload,
            f.body,
            f.header.msg_type,
            f.header.version,
            policy,
        )
        .map_err(Refused::Hash)?;
        Ok(Request {
            header: f.header.clone(),
            uid: v.uid,
            gid: v.gid,
            body: f.body.to_vec(),
            peer,
            hash_kind,
        })
    };
    inner().map_err(|r| format!("{r} (rc {})", r.rc()))
}

/// Everything connection tasks share.
pub struct Server {
    /// The node.
    pub agent: Arc<NodeAgent>,
    /// MUNGE (or the in-memory fake in tests).
    pub auth: Arc<dyn CredentialService>,
    /// Settings.
    pub cfg: ServerConfig,
    /// Set to true to stop accepting.
    pub shutdown: watch::Sender<bool>,
    /// The link to slurmctld (`None`: replies only, nothing originated).
    pub ctl: Option<Arc<Controller>>,
}

impl Server {
    /// A server for `agent`.
    pub fn new(
        agent: Arc<NodeAgent>,
        auth: Arc<dyn CredentialService>,
        cfg: ServerConfig,
    ) -> Arc<Self> {
        let (shutdown, _) = watch::channel(false);
        Arc::new(Server {
            agent,
            auth,
            cfg,
            shutdown,
            ctl: None,
        })
    }

    /// A server that also talks to slurmctld through `ctl`.
    pub fn with_controller(
        agent: Arc<NodeAgent>,
        auth: Arc<dyn CredentialService>,
        cfg: ServerConfig,
        ctl: Arc<Controller>,
    ) -> Arc<Self> {
        let (shutdown, _) = watch::channel(false);
        Arc::new(Server {
            agent,
            auth,
            cfg,
            shutdown,
            ctl: Some(ctl),
        })
    }
}

/// Binds the listen address (SO_REUSEADDR, as upstream).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let sock = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    sock.set_reuseaddr(true)?;
    sock.bind(addr)?;
    sock.listen(1024)
}

/// Accepts connections until shutdown.
pub async fn run(server: Arc<Server>, listener: TcpListener) {
    let permits = Arc::new(Semaphore::new(server.cfg.max_connections.max(1)));
    let mut stop = server.shutdown.subscribe();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
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
        let server = server.clone();
        tokio::spawn(async move {
            serve_connection(&server, sock, peer).await;
            drop(permit);
        });
    }
}

/// Resolves once shutdown is requested.
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|&s| s).await;
}

async fn serve_connection(server: &Arc<Server>, mut sock: TcpStream, peer: SocketAddr) {
    let payload = match read_frame(&mut sock, server.cfg.msg_timeout).await {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(reason) => {
            warn!(%peer, "dropping connection: {reason}");
            return;
        }
    };
    let req = match verify(server.auth.as_ref(), server.cfg.hash_policy, &payload, peer) {
        Ok(r) => r,
        Err(reason) => {
            warn!(%peer, "dropping request: {reason}");
            tokio::time::sleep(Duration::from_millis(10)).await;
            return;
        }
    };
    debug!(%peer, uid = req.uid, msg_type = msg_type::name(req.header.msg_type), "request");
    let Some(reply) = dispatch(server, &req).await else {
        return;
    };
    let version = req.header.version;
    let body = reply.to_body(version);
    let restrict =
        RestrictUid::for_reply(Some(req.uid), server.cfg.slurm_user, server.cfg.slurmd_user);
    let hash = body_hash::compute(&body, reply.msg_type(), version, Some(req.hash_kind));
    let cred = match server.auth.encode(&hash, restrict) {
        Ok(c) => c,
        Err(e) => {
            error!(%peer, "cannot create reply credential: {e}");
            return;
        }
    };
    let out = frame::encode(
        &Header::new(version, reply.msg_type(), 0),
        &AuthBlob::Munge(cred),
        &body,
    );
    if let Err(e) = sock.write_all(&out).await {
        debug!(%peer, "reply not delivered: {e}");
    }
}

/// Reads `u32 length` + payload; memory follows the bytes that arrive, not
/// the length claimed.
async fn read_frame(sock: &mut TcpStream, timeout: Duration) -> Result<Option<Vec<u8>>, String> {
    let mut len = [0u8; 4];
    match tokio::time::timeout(timeout, sock.read_exact(&mut len)).await {
        Err(_) => return Err("timed out waiting for a request".into()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Ok(Err(e)) => return Err(e.to_string()),
        Ok(Ok(_)) => {}
    }
    let total = frame::check_length(u32::from_be_bytes(len)).map_err(|e| e.to_string())?;
    let mut payload = Vec::with_capacity(total.min(64 * 1024));
    let mut limited = (&mut *sock).take(total as u64);
    match tokio::time::timeout(timeout, limited.read_to_end(&mut payload)).await {
        Err(_) => Err("timed out reading the request body".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(n)) if n < total => Err(format!("truncated frame: {n} of {total} bytes")),
        Ok(Ok(_)) => Ok(Some(payload)),
    }
}
