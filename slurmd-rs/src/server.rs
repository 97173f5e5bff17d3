//! The RPC server: the `daemon` crate reads one framed request per
//! connection, verifies its MUNGE credential and body hash and signs the
//! reply; this module hands what verified to [`dispatch`].
//!
//! As upstream slurmd does, a request that fails framing, credential or
//! hash checks is logged with the reason and Slurm error and the
//! connection is closed without a reply.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{error, info};

use wire::auth::body_hash::HashPolicy;
use wire::auth::CredentialService;
use wire::errno::SlurmRc;
use wire::msg::{msg_type, Message};

use crate::agent::NodeAgent;
use crate::ctld::Controller;
use crate::handlers;

pub use daemon::Request;

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

impl daemon::Service for Server {
    type Ticket = ();

    fn frame_received(&self) {}

    async fn handle(self: Arc<Self>, req: Request, _: ()) -> Option<Message> {
        dispatch(&self, &req).await
    }
}

/// Binds the listen address (SO_REUSEADDR, as upstream).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    daemon::serve::bind(addr)
}

/// Accepts connections until shutdown, then lets those in flight finish.
pub async fn run(server: Arc<Server>, listener: TcpListener) {
    let cfg = daemon::ServeConfig {
        max_connections: server.cfg.max_connections,
        msg_timeout: server.cfg.msg_timeout,
        hash_policy: server.cfg.hash_policy,
        slurm_user: server.cfg.slurm_user,
        slurmd_user: server.cfg.slurmd_user,
        limits: daemon::FrameLimits::default(),
    };
    let stop = server.shutdown.subscribe();
    let auth = server.auth.clone();
    daemon::Server::new(server, auth, cfg)
        .run(vec![listener], stop)
        .await;
}
