//! The RPC shell: a verified request gets an answer with a credential of
//! ours (RESPONSE_SLURM_RC ESLURM_NOT_SUPPORTED for types without a handler); a forged or garbled one
//! gets no reply. Uses the in-memory MUNGE stand-in.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use slurmd::agent::NodeAgent;
use slurmd::config::NodeSettings;
use slurmd::hw::Hardware;
use slurmd::server::{self, Server, ServerConfig};
use slurmd::step::NodeContext;
use wire::auth::body_hash::{self, HashPolicy};
use wire::auth::fake::FakeCredentials;
use wire::auth::{CredentialService, RestrictUid};
use wire::errno::SlurmRc;
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::{msg_type, Message};
use wire::version::ProtocolVersion;

const CONF: &str =
    "ClusterName=t\nSlurmctldHost=localhost\nNodeName=n1 Port=0 CPUs=2\nPartitionName=p Nodes=n1\n";

async fn start(creds: FakeCredentials) -> (SocketAddr, Arc<Server>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let conf = wire::conf::SlurmConf::from_str(CONF, "/etc/slurm/slurm.conf").unwrap();
    let mut settings = NodeSettings::resolve(&conf, Some("n1"), "h").unwrap();
    settings.spool_dir = dir.path().join("spool");
    let node = NodeContext {
        node_name: "n1".into(),
        hostname: "h".into(),
        cpus: 2,
        cluster_name: Some("t".into()),
        conf_path: "/etc/slurm/slurm.conf".into(),
        working_cluster: "t:localhost:6817:9728:102".into(),
        spool_dir: settings.spool_dir.clone(),
        job_file_append: false,
        gres: Default::default(),
    };
    let (agent, _exits) = NodeAgent::new(settings, node, Hardware::detect(None));
    let cfg = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        max_connections: 4,
        msg_timeout: Duration::from_secs(2),
        hash_policy: HashPolicy::from_comm_params(""),
        slurm_user: 0,
        slurmd_user: 0,
    };
    let listener = server::bind(cfg.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let srv = Server::new(agent, Arc::new(creds), cfg);
    tokio::spawn(server::run(srv.clone(), listener));
    (addr, srv, dir)
}

fn request(creds: &dyn CredentialService, msg_type: u16, body: &[u8]) -> Vec<u8> {
    let v = ProtocolVersion::V22_05;
    let hash = body_hash::compute(body, msg_type, v, None);
    let cred = creds.encode(&hash, RestrictUid::Any).unwrap();
    frame::encode(&Header::new(v, msg_type, 0), &AuthBlob::Munge(cred), body).to_vec()
}

async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    out
}

#[tokio::test]
async fn ping_is_answered_with_load_and_unknown_types_not_supported() {
    let daemon = FakeCredentials::new(b"key", 0, 0);
    let client = daemon.same_node(0, 0);
    let (addr, srv, _dir) = start(daemon.clone()).await;
    let reply = exchange(addr, &request(&client, msg_type::REQUEST_PING, &[])).await;
    let f = frame::decode(&reply[4..]).unwrap();
    assert_eq!(f.header.msg_type, msg_type::RESPONSE_PING_SLURMD);
    let m = Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap();
    let Message::PingSlurmdResponse(p) = m else {
        panic!("{m:?}")
    };
    assert!(p.free_mem > 0);
    // A user other than root/SlurmUser is refused.
    let user = daemon.same_node(1000, 1000);
    let reply = exchange(addr, &request(&user, msg_type::REQUEST_PING, &[])).await;
    let f = frame::decode(&reply[4..]).unwrap();
    let m = Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap();
    assert_eq!(
        m,
        Message::SlurmRc {
            rc: SlurmRc::ESLURM_USER_ID_MISSING.0
        }
    );
    // REQUEST_REBOOT_NODES (1015) has no handler.
    let reply = exchange(addr, &request(&client, 1015, &[])).await;
    assert!(reply.len() > 4);
    let f = frame::decode(&reply[4..]).unwrap();
    assert_eq!(f.header.msg_type, msg_type::RESPONSE_SLURM_RC);
    let AuthBlob::Munge(cred) = &f.auth;
    let v = client.decode(cred).unwrap();
    body_hash::verify(
        &v.payload,
        f.body,
        f.header.msg_type,
        f.header.version,
        HashPolicy::from_comm_params(""),
    )
    .unwrap();
    let m = Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap();
    assert_eq!(
        m,
        Message::SlurmRc {
            rc: SlurmRc::ESLURM_NOT_SUPPORTED.0
        }
    );
    let _ = srv.shutdown.send(true);
}

#[tokio::test]
async fn bad_requests_get_no_reply() {
    let daemon = FakeCredentials::new(b"key", 0, 0);
    let (addr, _srv, _dir) = start(daemon.clone()).await;
    // Signed with another munged key.
    let forger = FakeCredentials::new(b"other key", 0, 0);
    assert!(
        exchange(addr, &request(&forger, msg_type::REQUEST_PING, &[]))
            .await
            .is_empty()
    );
    // Body changed after signing.
    let client = daemon.same_node(0, 0);
    let mut tampered = request(&client, msg_type::REQUEST_PING, &[1, 2, 3]);
    let n = tampered.len();
    tampered[n - 1] ^= 0xff;
    assert!(exchange(addr, &tampered).await.is_empty());
    // Garbage and a lying length prefix.
    assert!(exchange(addr, &[0, 0, 0, 5, 1, 2, 3, 4, 5])
        .await
        .is_empty());
    assert!(exchange(addr, &[0xff, 0xff, 0xff, 0xff]).await.is_empty());
    // Still serving.
    let reply = exchange(addr, &request(&client, msg_type::REQUEST_PING, &[])).await;
    assert!(!reply.is_empty());
}
