//! What the daemon crate's tests share: a server answering REQUEST_PING on
//! 127.0.0.1, its log, and clients that send good and bad frames.
#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use daemon::{FrameLimits, Request, ServeConfig, Server, Service};
use wire::auth::body_hash::{self, HashPolicy};
use wire::auth::fake::FakeCredentials;
use wire::auth::{CredentialService, RestrictUid};
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::{msg_type, Message};
use wire::version::ProtocolVersion;

pub const KEY: &[u8] = b"daemon crate test key";
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers every request with RESPONSE_SLURM_RC 0.
pub struct Pong;

impl Service for Pong {
    type Ticket = ();
    fn frame_received(&self) {}
    async fn handle(self: Arc<Self>, _req: Request, _: ()) -> Option<Message> {
        Some(Message::SlurmRc { rc: 0 })
    }
}

/// A running test server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub server: Arc<Server<Pong>>,
    pub limits: FrameLimits,
    stop: watch::Sender<bool>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl TestServer {
    pub async fn start(max_connections: usize, timeout: Duration, limits: FrameLimits) -> Self {
        log_buffer();
        let listener = daemon::serve::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let cfg = ServeConfig {
            max_connections,
            msg_timeout: timeout,
            hash_policy: HashPolicy::default(),
            slurm_user: 0,
            slurmd_user: 0,
            limits,
        };
        let auth: Arc<dyn CredentialService> = Arc::new(FakeCredentials::new(KEY, 0, 0));
        let server = Server::new(Arc::new(Pong), auth, cfg);
        let (stop, rx) = watch::channel(false);
        tokio::spawn(server.clone().run(vec![listener], rx));
        TestServer {
            addr,
            server,
            limits,
            stop,
        }
    }

    pub async fn connect(&self) -> (TcpStream, SocketAddr) {
        let s = TcpStream::connect(self.addr).await.unwrap();
        let local = s.local_addr().unwrap();
        (s, local)
    }

    /// A valid REQUEST_PING still gets RESPONSE_SLURM_RC 0.
    pub async fn assert_still_serving(&self) {
        let (mut s, _) = self.connect().await;
        s.write_all(&ping(&client())).await.unwrap();
        let mut len = [0u8; 4];
        tokio::time::timeout(IO_TIMEOUT, s.read_exact(&mut len))
            .await
            .expect("reply timed out")
            .expect("no reply");
        let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
        s.read_exact(&mut payload).await.unwrap();
        let f = frame::decode(&payload).unwrap();
        let AuthBlob::Munge(cred) = &f.auth;
        client().decode(cred).expect("reply credential");
        let m = Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap();
        assert_eq!(m, Message::SlurmRc { rc: 0 });
    }
}

/// A user's process elsewhere in the cluster.
pub fn client() -> FakeCredentials {
    FakeCredentials::new(KEY, 1000, 1000)
}

/// A complete frame (length prefix included) as a client sends it.
pub fn request_frame(creds: &FakeCredentials, msg_type: u16, body: &[u8]) -> Vec<u8> {
    let v = ProtocolVersion::V22_05;
    let hash = body_hash::compute(body, msg_type, v, None);
    let cred = creds.encode(&hash, RestrictUid::Any).unwrap();
    frame::encode(&Header::new(v, msg_type, 0), &AuthBlob::Munge(cred), body).to_vec()
}

pub fn ping(creds: &FakeCredentials) -> Vec<u8> {
    request_frame(creds, msg_type::REQUEST_PING, &[])
}

/// Waits for the server to close `s`; panics if it writes anything.
pub async fn assert_closed_without_reply(s: &mut TcpStream, within: Duration) {
    let mut got = Vec::new();
    match tokio::time::timeout(within, s.read_to_end(&mut got)).await {
        Err(_) => panic!("server neither replied nor closed"),
        Ok(Err(e)) => panic!("expected a clean close (EOF), got {e}"),
        Ok(Ok(_)) => assert!(got.is_empty(), "server replied {} bytes", got.len()),
    }
}

/// Everything logged in this test binary.
pub fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .init();
        buf
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The warnings logged about one peer.
pub fn warnings_for(peer: SocketAddr) -> Vec<String> {
    let text = String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned();
    let needle = format!("peer={peer}");
    text.lines()
        .filter(|l| l.contains(&needle) && l.contains("WARN"))
        .map(str::to_owned)
        .collect()
}

/// Asserts a warning about `peer` contains every one of `parts`.
pub fn assert_logged(peer: SocketAddr, parts: &[&str]) {
    let lines = warnings_for(peer);
    assert!(
        lines.iter().any(|l| parts.iter().all(|p| l.contains(p))),
        "no warning with {parts:?} for {peer}: {lines:#?}"
    );
}
