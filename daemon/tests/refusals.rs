//! Frames that fail a check are refused with the right Slurm code in the
//! log, get no reply, and the server keeps serving.

mod common;

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use common::*;
use daemon::FrameLimits;
use wire::auth::body_hash;
use wire::auth::fake::FakeCredentials;
use wire::auth::{CredentialService, RestrictUid};
use wire::frame::{self, AuthBlob, MAX_MSG_SIZE};
use wire::header::Header;
use wire::msg::msg_type;
use wire::version::ProtocolVersion;

async fn server() -> TestServer {
    TestServer::start(8, Duration::from_secs(2), FrameLimits::default()).await
}

/// Sends `bytes`, expects the connection closed without a reply and a
/// warning with every one of `logged`, then a ping still answered.
async fn refused(bytes: &[u8], half_close: bool, logged: &[&str]) {
    let srv = server().await;
    let (mut s, local) = srv.connect().await;
    s.write_all(bytes).await.unwrap();
    if half_close {
        s.shutdown().await.unwrap();
    }
    assert_closed_without_reply(&mut s, IO_TIMEOUT).await;
    assert_logged(local, logged);
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_frame() {
    let full = ping(&client());
    refused(
        &full[..full.len() / 2],
        true,
        &["truncated frame", "SLURM_COMMUNICATIONS_RECEIVE_ERROR"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn length_above_upstream_limit() {
    refused(
        &(MAX_MSG_SIZE + 1).to_be_bytes(),
        false,
        &["exceeds the", "SLURM_PROTOCOL_INSANE_MSG_LENGTH"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_version() {
    let mut bytes = ping(&client());
    bytes[4..6].copy_from_slice(&0x2700u16.to_be_bytes());
    refused(
        &bytes,
        false,
        &[
            "unsupported protocol version",
            "SLURM_PROTOCOL_VERSION_ERROR",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_credential() {
    let bytes = frame::encode(
        &Header::new(ProtocolVersion::V22_05, msg_type::REQUEST_PING, 0),
        &AuthBlob::Munge("MUNGE:not a credential:".into()),
        &[],
    );
    refused(
        &bytes,
        false,
        &["credential refused", "SLURM_PROTOCOL_AUTHENTICATION_ERROR"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_of_another_cluster() {
    let stranger = FakeCredentials::new(b"some other key", 1000, 1000);
    refused(
        &ping(&stranger),
        false,
        &["credential refused", "SLURM_PROTOCOL_AUTHENTICATION_ERROR"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_hash_of_another_body() {
    let v = ProtocolVersion::V22_05;
    let t = msg_type::REQUEST_PING;
    let hash = body_hash::compute(b"another body", t, v, None);
    let cred = client().encode(&hash, RestrictUid::Any).unwrap();
    let bytes = frame::encode(&Header::new(v, t, 0), &AuthBlob::Munge(cred), &[]);
    refused(
        &bytes,
        false,
        &["body hash mismatch", "ESLURM_PROTOCOL_INCOMPLETE_PACKET"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_peer_is_cut_off_after_message_timeout() {
    let srv = TestServer::start(8, Duration::from_millis(300), FrameLimits::default()).await;
    let (mut s, local) = srv.connect().await;
    assert_closed_without_reply(&mut s, IO_TIMEOUT).await;
    assert_logged(local, &["timed out waiting for a request"]);
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_maps_to_one_code() {
    use daemon::verify::verify;
    use wire::errno::SlurmRc;
    let auth = FakeCredentials::new(KEY, 0, 0);
    let peer = "127.0.0.1:1".parse().unwrap();
    let policy = Default::default();
    let rc = |bytes: Vec<u8>| {
        verify(&auth, policy, bytes[4..].to_vec(), peer)
            .unwrap_err()
            .rc()
    };
    let mut bad_version = ping(&client());
    bad_version[4..6].copy_from_slice(&0x2700u16.to_be_bytes());
    assert_eq!(rc(bad_version), SlurmRc::SLURM_PROTOCOL_VERSION_ERROR);
    let stranger = FakeCredentials::new(b"other", 1, 1);
    assert_eq!(
        rc(ping(&stranger)),
        SlurmRc::SLURM_PROTOCOL_AUTHENTICATION_ERROR
    );
    let good = verify(&auth, policy, ping(&client())[4..].to_vec(), peer).unwrap();
    assert_eq!((good.uid, good.gid), (1000, 1000));
    assert!(good.body.is_empty());
}
