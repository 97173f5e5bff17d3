//! The calling side: one message per connection, each with a fresh
//! credential, as upstream's daemons send to each other.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

use wire::auth::body_hash::{self, HashPolicy};
use wire::auth::{CredentialService, RestrictUid};
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::Message;
use wire::version::ProtocolVersion;

use crate::read::{read_reply, FrameLimits};

/// How one daemon calls another.
#[derive(Clone)]
pub struct Client {
    /// MUNGE (or the in-memory fake).
    pub auth: Arc<dyn CredentialService>,
    /// MessageTimeout: for the whole exchange.
    pub timeout: Duration,
    /// CommunicationParameters hash policy for replies.
    pub hash_policy: HashPolicy,
    /// Who may decode our credentials (the daemon we call runs as it).
    pub restrict: RestrictUid,
    /// Largest reply accepted.
    pub limits: FrameLimits,
}

impl Client {
    /// A client with upstream's frame limit.
    pub fn new(
        auth: Arc<dyn CredentialService>,
        timeout: Duration,
        hash_policy: HashPolicy,
        restrict: RestrictUid,
    ) -> Self {
        Client {
            auth,
            timeout,
            hash_policy,
            restrict,
            limits: FrameLimits::default(),
        }
    }

    /// Sends `msg` to `addr` and returns the verified reply.
    pub async fn call(
        &self,
        addr: SocketAddr,
        version: ProtocolVersion,
        msg: &Message,
    ) -> Result<Message, String> {
        let out = self.encode(msg, version)?;
        let deadline = Instant::now() + self.timeout;
        let exchange = async {
            let mut s = connect_and_send(addr, &out).await?;
            let payload = read_reply(&mut s, &self.limits, deadline)
                .await
                .map_err(|e| format!("no reply from {addr}: {}", e.reason))?;
            self.open_reply(&payload)
        };
        tokio::time::timeout_at(deadline, exchange)
            .await
            .map_err(|_| format!("{addr}: timed out"))?
    }

    /// Sends `msg` to `addr` expecting no reply.
    pub async fn send_only(
        &self,
        addr: SocketAddr,
        version: ProtocolVersion,
        msg: &Message,
    ) -> Result<(), String> {
        let out = self.encode(msg, version)?;
        let send = async {
            let mut s = connect_and_send(addr, &out).await?;
            s.shutdown()
                .await
                .map_err(|e| format!("send to {addr}: {e}"))
        };
        tokio::time::timeout(self.timeout, send)
            .await
            .map_err(|_| format!("{addr}: timed out"))?
    }

    /// [`Client::call`] on the first of `hosts` that answers (a list of
    /// controllers, primary first).
    pub async fn call_first(
        &self,
        hosts: &[String],
        port: u16,
        msg: &Message,
    ) -> Result<Message, String> {
        let reply = self.first_answer(hosts, port, msg, true).await?;
        reply.ok_or_else(|| "no reply".to_string())
    }

    /// [`Client::send_only`] to the first of `hosts` that takes it.
    pub async fn send_only_first(
        &self,
        hosts: &[String],
        port: u16,
        msg: &Message,
    ) -> Result<(), String> {
        self.first_answer(hosts, port, msg, false).await.map(drop)
    }

    /// Tries every address of every host in order (resolving a host only
    /// when the ones before it failed) until one takes `msg`; else the
    /// last error. `Some(reply)` when `want_reply`.
    async fn first_answer(
        &self,
        hosts: &[String],
        port: u16,
        msg: &Message,
        want_reply: bool,
    ) -> Result<Option<Message>, String> {
        let mut last = String::from("no SlurmctldHost configured");
        for host in hosts {
            let addrs = match (host.as_str(), port).to_socket_addrs() {
                Ok(a) => a,
                Err(e) => {
                    last = format!("cannot resolve {host}: {e}");
                    continue;
                }
            };
            for addr in addrs {
                let v = ProtocolVersion::V22_05;
                let sent = if want_reply {
                    self.call(addr, v, msg).await.map(Some)
                } else {
                    self.send_only(addr, v, msg).await.map(|()| None)
                };
                match sent {
                    Ok(r) => return Ok(r),
                    Err(e) => last = e,
                }
            }
        }
        Err(last)
    }

    fn encode(&self, msg: &Message, version: ProtocolVersion) -> Result<bytes::BytesMut, String> {
        let body = msg.to_body(version);
        let hash = body_hash::compute(&body, msg.msg_type(), version, None);
        let cred = self
            .auth
            .encode(&hash, self.restrict)
            .map_err(|e| e.to_string())?;
        Ok(frame::encode(
            &Header::new(version, msg.msg_type(), 0),
            &AuthBlob::Munge(cred),
            &body,
        ))
    }

    /// Checks a reply's credential and hash, then decodes it.
    fn open_reply(&self, payload: &[u8]) -> Result<Message, String> {
        let f = frame::decode(payload).map_err(|e| e.to_string())?;
        let AuthBlob::Munge(c) = &f.auth;
        let v = self
            .auth
            .decode(c)
            .map_err(|e| format!("reply credential: {e}"))?;
        body_hash::verify(
            &v.payload,
            f.body,
            f.header.msg_type,
            f.header.version,
            self.hash_policy,
        )
        .map_err(|e| format!("reply hash: {e}"))?;
        Message::unpack(f.header.msg_type, f.header.version, f.body).map_err(|e| e.to_string())
    }
}

async fn connect_and_send(addr: SocketAddr, out: &[u8]) -> Result<TcpStream, String> {
    let mut s = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.write_all(out)
        .await
        .map_err(|e| format!("send to {addr}: {e}"))?;
    Ok(s)
}
