//! Checking one received frame: header and version, MUNGE credential, body
//! hash. What fails is refused with one Slurm code per kind of failure,
//! logged, and answered with nothing, as upstream's daemons do.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tracing::warn;

use wire::auth::body_hash::{self, BodyHashError, HashKind, HashPolicy};
use wire::auth::{AuthError, CredentialService};
use wire::errno::SlurmRc;
use wire::frame::{self, AuthBlob, FrameError};
use wire::header::Header;
use wire::pack::DecodeError;

/// Why a request got no reply.
#[derive(Debug)]
pub enum Refused {
    /// Header, version or auth blob.
    Frame(FrameError),
    /// The credential did not verify.
    Auth(AuthError),
    /// The body is not the one the credential vouches for.
    Hash(BodyHashError),
    /// The body does not decode (for daemons that refuse rather than answer).
    Body(DecodeError),
}

impl Refused {
    /// The Slurm code upstream logs for this refusal.
    pub fn rc(&self) -> SlurmRc {
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

/// Logs a refusal and lingers briefly before the connection is closed.
/// Upstream pauses too, which also slows down anyone sending garbage.
pub async fn refuse(peer: SocketAddr, refused: &Refused) {
    warn!(%peer, rc = %refused.rc(), "dropping request: {refused}");
    tokio::time::sleep(Duration::from_millis(10)).await;
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
    /// Address of the host that encoded the credential, when munged says.
    pub origin: Option<Ipv4Addr>,
    /// The packed body, for the message decoders.
    pub body: Vec<u8>,
    /// Where it came from.
    pub peer: SocketAddr,
    /// Hash kind the sender used (the reply uses the same).
    pub hash_kind: HashKind,
}

/// Checks framing, credential and body hash of one payload (the bytes
/// after the length prefix); the body is kept in the payload's buffer.
pub fn verify(
    auth: &dyn CredentialService,
    policy: HashPolicy,
    mut payload: Vec<u8>,
    peer: SocketAddr,
) -> Result<Request, Refused> {
    let f = frame::decode(&payload).map_err(Refused::Frame)?;
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
    let header = f.header.clone();
    let body_at = payload.len() - f.body.len();
    payload.drain(..body_at);
    Ok(Request {
        header,
        uid: v.uid,
        gid: v.gid,
        origin: v.origin,
        body: payload,
        peer,
        hash_kind,
    })
}
