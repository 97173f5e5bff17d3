//! The server's shutdown drain and the client against it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use common::*;
use daemon::{Client, Request, ServeConfig, Server, Service};
use wire::auth::body_hash::HashPolicy;
use wire::auth::fake::FakeCredentials;
use wire::auth::{CredentialService, RestrictUid};
use wire::msg::Message;
use wire::version::ProtocolVersion;

/// Answers after a pause, so a stop finds it in flight.
struct Slow;

impl Service for Slow {
    type Ticket = ();
    fn frame_received(&self) {}
    async fn handle(self: Arc<Self>, _req: Request, _: ()) -> Option<Message> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some(Message::SlurmRc { rc: 7 })
    }
}

fn client_of(key: &[u8]) -> Client {
    let auth: Arc<dyn CredentialService> = Arc::new(FakeCredentials::new(key, 1000, 1000));
    Client::new(
        auth,
        Duration::from_secs(5),
        HashPolicy::default(),
        RestrictUid::Any,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_lets_requests_in_flight_finish() {
    let listener = daemon::serve::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let auth: Arc<dyn CredentialService> = Arc::new(FakeCredentials::new(KEY, 0, 0));
    let cfg = ServeConfig {
        max_connections: 4,
        msg_timeout: Duration::from_secs(5),
        hash_policy: HashPolicy::default(),
        slurm_user: 0,
        slurmd_user: 0,
        limits: Default::default(),
    };
    let (stop, rx) = watch::channel(false);
    let running = tokio::spawn(Server::new(Arc::new(Slow), auth, cfg).run(vec![listener], rx));
    let call = tokio::spawn(async move {
        client_of(KEY)
            .call(addr, ProtocolVersion::V22_05, &Message::Ping)
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(true).unwrap();
    assert_eq!(call.await.unwrap(), Ok(Message::SlurmRc { rc: 7 }));
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("run returns once drained")
        .unwrap();
    // No longer accepting.
    assert!(client_of(KEY)
        .call(addr, ProtocolVersion::V22_05, &Message::Ping)
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_calls_the_first_host_that_answers() {
    let srv = TestServer::start(4, Duration::from_secs(2), Default::default()).await;
    // Port 1 on localhost refuses; the second host is the server.
    let hosts = vec!["127.0.0.1".to_string()];
    let dead = client_of(KEY).call_first(&hosts, 1, &Message::Ping).await;
    assert!(dead.unwrap_err().contains("connect"));
    let hosts = vec!["no-such-host.invalid".to_string(), "127.0.0.1".to_string()];
    let reply = client_of(KEY)
        .call_first(&hosts, srv.addr.port(), &Message::Ping)
        .await;
    assert_eq!(reply, Ok(Message::SlurmRc { rc: 0 }));
    client_of(KEY)
        .send_only_first(&hosts, srv.addr.port(), &Message::Ping)
        .await
        .unwrap();
    // A reply whose credential we cannot verify is an error, not a message.
    let err = client_of(b"other key")
        .call(srv.addr, ProtocolVersion::V22_05, &Message::Ping)
        .await
        .unwrap_err();
    assert!(
        err.contains("no reply") || err.contains("credential"),
        "{err}"
    );
}
