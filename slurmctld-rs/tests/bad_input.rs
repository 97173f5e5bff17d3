//! Bad input against the real server over real TCP.
//!
//! Upstream slurmctld logs a frame that fails framing, version, credential,
//! body-hash or body checks and closes the connection without a reply; it
//! keeps serving everyone else. Each test sends one kind of bad request,
//! checks that the connection is closed with nothing written back and that
//! the reason was logged, then checks that a valid REQUEST_PING still gets
//! RESPONSE_SLURM_RC 0.
//!
//! The in-memory `FakeCredentials` stands in for munged: the server and the
//! clients share its key, like the nodes of one cluster.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use slurmctld::core::{ClusterSpec, Controller, Limits, NodeSpec, PartitionSpec, UserDirectory};
use slurmctld::server::{self, ServerConfig, Shared};
use slurmctld::state::StateDir;
use wire::auth::body_hash::{self, HashPolicy};
use wire::auth::fake::{FakeClock, FakeCredentials};
use wire::auth::{CredentialService, RestrictUid};
use wire::errno::SlurmRc;
use wire::frame::{self, AuthBlob, MAX_MSG_SIZE};
use wire::header::Header;
use wire::msg::{msg_type, Message};
use wire::version::ProtocolVersion;

const KEY: &[u8] = b"bad-input test cluster key";
const USER: u32 = 1000;
/// Upstream's REQUEST_TRIGGER_GET, a request we do not serve.
const REQUEST_TRIGGER_GET: u16 = 2018;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

struct NoUsers;

impl UserDirectory for NoUsers {
    fn user_name(&self, uid: u32) -> Option<String> {
        Some(format!("user{uid}"))
    }
    fn in_group(&self, _uid: u32, _group: &str) -> bool {
        false
    }
}

/// Everything the server logs, from every test in this binary; each test
/// finds its own lines by its client's address (the `peer` field).
fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
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
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log lines about one peer.
fn log_lines_for(peer: SocketAddr) -> Vec<String> {
    let buf = log_buffer();
    let text = String::from_utf8_lossy(&buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    let needle = format!("peer={peer}");
    text.lines()
        .filter(|l| l.contains(&needle))
        .map(str::to_owned)
        .collect()
}

/// A controller serving on 127.0.0.1:<ephemeral>.
struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        log_buffer();
        let dir = tempfile::tempdir().unwrap();
        let spec = ClusterSpec {
            nodes: vec![NodeSpec::simple("n1", 4, 1024)],
            partitions: vec![PartitionSpec::simple("debug", vec![0])],
            limits: Limits::default(),
        };
        let core = Controller::new(spec, Box::new(NoUsers), now());
        let state = StateDir::open(dir.path()).unwrap();
        let journal = state.journal(Default::default()).unwrap();
        let cfg = ServerConfig {
            listen: vec!["127.0.0.1:0".parse().unwrap()],
            max_connections: 16,
            msg_timeout: Duration::from_secs(5),
            hash_policy: HashPolicy::default(),
            slurm_user: 0,
            slurmd_user: 0,
            sched_interval: Duration::from_secs(60),
            start_estimates: (Duration::from_secs(30), 50),
            backfill: false,
            purge_interval: Duration::from_secs(60),
        };
        let listeners = server::bind(&cfg).await.unwrap();
        let addr = listeners[0].local_addr().unwrap();
        let auth: Arc<dyn CredentialService> = Arc::new(FakeCredentials::new(KEY, 0, 0));
        let shared = server::shared(core, auth, journal, state, cfg);
        tokio::spawn(server::run(shared.clone(), listeners));
        TestServer {
            addr,
            shared,
            _dir: dir,
        }
    }

    async fn connect(&self) -> (TcpStream, SocketAddr) {
        let s = TcpStream::connect(self.addr).await.unwrap();
        let local = s.local_addr().unwrap();
        (s, local)
    }

    /// Sends `bytes` on a new connection and expects the server to close it
    /// without writing anything; returns what it logged about us.
    async fn expect_dropped(&self, bytes: &[u8]) -> Vec<String> {
        let (mut s, local) = self.connect().await;
        s.write_all(bytes).await.unwrap();
        assert_closed_without_reply(&mut s).await;
        log_lines_for(local)
    }

    /// A valid REQUEST_PING still gets RESPONSE_SLURM_RC 0.
    async fn assert_still_serving(&self) {
        let client = client();
        let (version, reply) = self
            .request(&client, &ping(&client, ProtocolVersion::V22_05))
            .await;
        assert_eq!(version, ProtocolVersion::V22_05);
        assert_eq!(reply, Message::SlurmRc { rc: 0 });
    }

    /// Sends a frame, reads one reply frame and checks its credential.
    async fn request(&self, client: &FakeCredentials, bytes: &[u8]) -> (ProtocolVersion, Message) {
        let (mut s, _) = self.connect().await;
        s.write_all(bytes).await.unwrap();
        let mut len = [0u8; 4];
        tokio::time::timeout(IO_TIMEOUT, s.read_exact(&mut len))
            .await
            .expect("reply timed out")
            .expect("no reply");
        let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
        tokio::time::timeout(IO_TIMEOUT, s.read_exact(&mut payload))
            .await
            .unwrap()
            .unwrap();
        let f = frame::decode(&payload).expect("reply frame");
        let AuthBlob::Munge(cred) = &f.auth;
        let verified = client.decode(cred).expect("reply credential");
        body_hash::verify(
            &verified.payload,
            f.body,
            f.header.msg_type,
            f.header.version,
            HashPolicy::default(),
        )
        .expect("reply body hash");
        let m = Message::unpack(f.header.msg_type, f.header.version, f.body).expect("reply body");
        (f.header.version, m)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.shared.shutdown.send(true);
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A user's process on another node of the cluster.
fn client() -> FakeCredentials {
    FakeCredentials::new(KEY, USER, USER)
}

/// A complete frame as a client sends it: body hash in a credential that
/// any uid may decode (`SLURM_AUTH_UID_ANY`, as clients send to slurmctld).
fn request_frame(
    creds: &FakeCredentials,
    version: ProtocolVersion,
    msg_type: u16,
    body: &[u8],
) -> Vec<u8> {
    let hash = body_hash::compute(body, msg_type, version, None);
    let cred = creds.encode(&hash, RestrictUid::Any).unwrap();
    frame::encode(
        &Header::new(version, msg_type, 0),
        &AuthBlob::Munge(cred),
        body,
    )
    .to_vec()
}

fn ping(creds: &FakeCredentials, version: ProtocolVersion) -> Vec<u8> {
    request_frame(creds, version, msg_type::REQUEST_PING, &[])
}

/// The frame a client would send, with the header's version word replaced
/// after encoding (so the layout stays the 22.05 one).
fn with_version(mut bytes: Vec<u8>, version: u16) -> Vec<u8> {
    bytes[4..6].copy_from_slice(&version.to_be_bytes());
    bytes
}

async fn assert_closed_without_reply(s: &mut TcpStream) {
    let mut got = Vec::new();
    match tokio::time::timeout(IO_TIMEOUT, s.read_to_end(&mut got)).await {
        Err(_) => panic!("server neither replied nor closed"),
        Ok(Err(e)) => panic!("expected a clean close (EOF), got {e}"),
        Ok(Ok(_)) => assert!(
            got.is_empty(),
            "server replied with {} bytes: {got:02x?}",
            got.len()
        ),
    }
}

fn assert_logged(lines: &[String], reason: &str) {
    assert!(
        lines
            .iter()
            .any(|l| l.contains("WARN") && l.contains(reason)),
        "no warning containing {reason:?}; lines for this peer: {lines:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_frame() {
    let srv = TestServer::start().await;
    let full = ping(&client(), ProtocolVersion::V22_05);
    let (mut s, local) = srv.connect().await;
    // The prefix promises the whole frame; half of it arrives, then EOF.
    s.write_all(&full[..full.len() / 2]).await.unwrap();
    s.shutdown().await.unwrap();
    assert_closed_without_reply(&mut s).await;
    assert_logged(&log_lines_for(local), "truncated frame");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn length_above_max_msg_size() {
    let srv = TestServer::start().await;
    let lines = srv.expect_dropped(&(MAX_MSG_SIZE + 1).to_be_bytes()).await;
    assert_logged(&lines, "exceeds the");
    assert_logged(&lines, "SLURM_PROTOCOL_INSANE_MSG_LENGTH");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_older_than_20_11() {
    let srv = TestServer::start().await;
    // 20.02 (0x2300): older than the oldest version a 22.05 daemon speaks.
    let lines = srv
        .expect_dropped(&with_version(
            ping(&client(), ProtocolVersion::V22_05),
            0x2300,
        ))
        .await;
    assert_logged(&lines, "unsupported protocol version 0x2300");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_unknown() {
    let srv = TestServer::start().await;
    let lines = srv
        .expect_dropped(&with_version(
            ping(&client(), ProtocolVersion::V22_05),
            0x2612,
        ))
        .await;
    assert_logged(&lines, "unsupported protocol version 0x2612");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_23_02() {
    let srv = TestServer::start().await;
    let lines = srv
        .expect_dropped(&ping(&client(), ProtocolVersion(0x2700)))
        .await;
    assert_logged(&lines, "unsupported protocol version 0x2700");
    assert_logged(&lines, "SLURM_PROTOCOL_VERSION_ERROR");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_credential() {
    let srv = TestServer::start().await;
    let bytes = frame::encode(
        &Header::new(ProtocolVersion::V22_05, msg_type::REQUEST_PING, 0),
        &AuthBlob::Munge("MUNGE:not a credential at all:".into()),
        &[],
    );
    let lines = srv.expect_dropped(&bytes).await;
    assert_logged(&lines, "credential refused: invalid credential");
    assert_logged(&lines, "SLURM_PROTOCOL_AUTHENTICATION_ERROR");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_credential() {
    let srv = TestServer::start().await;
    // Encoded ten minutes ago with the default 300 s TTL.
    let clock = FakeClock::manual(SystemTime::now() - Duration::from_secs(600));
    let old = client().with_clock(clock);
    let lines = srv
        .expect_dropped(&ping(&old, ProtocolVersion::V22_05))
        .await;
    assert_logged(&lines, "credential refused: credential expired");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_ttl_credential_expires() {
    let srv = TestServer::start().await;
    // A 1 s TTL, encoded 5 s ago.
    let clock = FakeClock::manual(SystemTime::now() - Duration::from_secs(5));
    let old = client().with_ttl(1).with_clock(clock);
    let lines = srv
        .expect_dropped(&ping(&old, ProtocolVersion::V22_05))
        .await;
    assert_logged(&lines, "credential expired");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_credential() {
    let srv = TestServer::start().await;
    let c = client();
    let bytes = ping(&c, ProtocolVersion::V22_05);
    assert_eq!(srv.request(&c, &bytes).await.1, Message::SlurmRc { rc: 0 });
    // The very same frame again: munged refuses the credential as replayed.
    let lines = srv.expect_dropped(&bytes).await;
    assert_logged(&lines, "credential refused: credential replayed");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_body_hash() {
    let srv = TestServer::start().await;
    let c = client();
    // A valid credential over the hash of another body.
    let hash = body_hash::compute(
        &[0, 1],
        msg_type::REQUEST_SHUTDOWN,
        ProtocolVersion::V22_05,
        None,
    );
    let cred = c.encode(&hash, RestrictUid::Any).unwrap();
    let bytes = frame::encode(
        &Header::new(ProtocolVersion::V22_05, msg_type::REQUEST_SHUTDOWN, 0),
        &AuthBlob::Munge(cred),
        &[0, 0],
    );
    let lines = srv.expect_dropped(&bytes).await;
    assert_logged(&lines, "body hash mismatch");
    assert_logged(&lines, "ESLURM_PROTOCOL_INCOMPLETE_PACKET");
    srv.assert_still_serving().await;
    // And the shutdown it carried did not happen.
    assert!(!*srv.shared.shutdown.borrow());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_that_does_not_decode() {
    let srv = TestServer::start().await;
    // REQUEST_JOB_INFO with a count of 0xfffffff0 job ids and no ids: valid
    // credential, matching hash, impossible body.
    let mut body = Vec::new();
    body.extend_from_slice(&0i64.to_be_bytes());
    body.extend_from_slice(&0u16.to_be_bytes());
    body.extend_from_slice(&0xffff_fff0u32.to_be_bytes());
    let bytes = request_frame(
        &client(),
        ProtocolVersion::V22_05,
        msg_type::REQUEST_JOB_INFO,
        &body,
    );
    let lines = srv.expect_dropped(&bytes).await;
    assert_logged(&lines, "bad body");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_garbage_in_body() {
    let srv = TestServer::start().await;
    let bytes = request_frame(
        &client(),
        ProtocolVersion::V22_05,
        msg_type::REQUEST_PING,
        b"garbage",
    );
    let lines = srv.expect_dropped(&bytes).await;
    assert_logged(&lines, "bad body");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_with_ret_cnt() {
    let srv = TestServer::start().await;
    let c = client();
    let hash = body_hash::compute(&[], msg_type::REQUEST_PING, ProtocolVersion::V22_05, None);
    let cred = c.encode(&hash, RestrictUid::Any).unwrap();
    let mut h = Header::new(ProtocolVersion::V22_05, msg_type::REQUEST_PING, 0);
    h.ret_cnt = 1;
    let lines = srv
        .expect_dropped(&frame::encode(&h, &AuthBlob::Munge(cred), &[]))
        .await;
    assert_logged(&lines, "header.ret_cnt");
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_from_21_08_is_answered_in_21_08() {
    let srv = TestServer::start().await;
    let c = client();
    let (version, reply) = srv.request(&c, &ping(&c, ProtocolVersion::V21_08)).await;
    assert_eq!(version, ProtocolVersion::V21_08);
    assert_eq!(version.0, 0x2500);
    assert_eq!(reply, Message::SlurmRc { rc: 0 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_message_type_gets_not_supported() {
    let srv = TestServer::start().await;
    let c = client();
    let (version, reply) = srv
        .request(
            &c,
            &request_frame(&c, ProtocolVersion::V22_05, REQUEST_TRIGGER_GET, &[]),
        )
        .await;
    assert_eq!(version, ProtocolVersion::V22_05);
    assert_eq!(
        reply,
        Message::SlurmRc {
            rc: SlurmRc::ESLURM_NOT_SUPPORTED.0
        }
    );
    assert_eq!(SlurmRc::ESLURM_NOT_SUPPORTED.0, 2036);
    srv.assert_still_serving().await;
}
