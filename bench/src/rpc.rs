//! One Slurm RPC over one TCP connection, the way the stock clients talk to
//! slurmctld: connect, send one framed request signed with a fresh MUNGE
//! credential, read one reply, close.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use wire::auth::body_hash;
use wire::auth::{CredentialService, RestrictUid};
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::Message;
use wire::version::ProtocolVersion;

/// Largest reply we accept (a job list at 100,000 jobs is tens of MiB).
const MAX_REPLY: usize = 1 << 30;

/// Why one RPC failed.
#[derive(Debug)]
pub enum RpcError {
    /// munged refused or failed to encode the credential.
    Credential(String),
    /// connect, write or read failed (includes a controller closing the
    /// connection without a reply, which is how it rejects bad auth).
    Io(io::Error),
    /// The reply did not parse.
    Decode(String),
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Credential(e) => write!(f, "credential: {e}"),
            RpcError::Io(e) => write!(f, "io: {e}"),
            RpcError::Decode(e) => write!(f, "reply: {e}"),
        }
    }
}

impl From<io::Error> for RpcError {
    fn from(e: io::Error) -> Self {
        RpcError::Io(e)
    }
}

/// Signs `req` with a fresh credential from `creds`, sends it to `addr` and
/// returns the decoded reply. The reply's own credential is not verified:
/// the bench measures the controller, and sbatch's extra decode would only
/// add load on munged.
pub fn call(
    addr: SocketAddr,
    creds: &dyn CredentialService,
    req: &Message,
    timeout: Duration,
) -> Result<Message, RpcError> {
    let signed = Signed::new(req);
    let cred = signed.sign(creds)?;
    signed.send(addr, cred, timeout)
}

/// A request encoded once, to be sent with as many credentials as needed:
/// each credential carries the body hash, so one body serves them all.
pub struct Signed {
    msg_type: u16,
    body: Vec<u8>,
    hash: Vec<u8>,
}

impl Signed {
    pub fn new(req: &Message) -> Signed {
        let v = ProtocolVersion::CURRENT;
        let body = req.to_body(v);
        let hash = body_hash::compute(&body, req.msg_type(), v, None);
        Signed {
            msg_type: req.msg_type(),
            body,
            hash,
        }
    }

    /// A fresh MUNGE credential for this body.
    pub fn sign(&self, creds: &dyn CredentialService) -> Result<String, RpcError> {
        creds
            .encode(&self.hash, RestrictUid::Any)
            .map_err(|e| RpcError::Credential(e.to_string()))
    }

    /// Sends the body with `cred` (from [`Signed::sign`]) and reads the reply.
    pub fn send(
        &self,
        addr: SocketAddr,
        cred: String,
        timeout: Duration,
    ) -> Result<Message, RpcError> {
        let v = ProtocolVersion::CURRENT;
        let out = frame::encode(
            &Header::new(v, self.msg_type, 0),
            &AuthBlob::Munge(cred),
            &self.body,
        );
        let mut s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        s.set_nodelay(true)?;
        s.write_all(&out)?;
        let mut len = [0u8; 4];
        s.read_exact(&mut len)?;
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_REPLY {
            return Err(RpcError::Decode(format!("reply of {len} bytes")));
        }
        let mut payload = vec![0u8; len];
        s.read_exact(&mut payload)?;
        let f = frame::decode(&payload).map_err(|e| RpcError::Decode(e.to_string()))?;
        Message::unpack(f.header.msg_type, f.header.version, f.body)
            .map_err(|e| RpcError::Decode(format!("msg_type {}: {e}", f.header.msg_type)))
    }
}
