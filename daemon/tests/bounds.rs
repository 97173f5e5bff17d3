//! What unauthenticated peers can make a daemon hold: per connection and
//! per daemon, with every connection slot taken.

mod common;

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use common::*;
use daemon::read::CHUNK;
use daemon::FrameLimits;
use wire::frame::MAX_MSG_SIZE;

const GIB: usize = 1 << 30;

/// The numbers the crate documents, for the daemons' 256 connections.
#[test]
fn documented_worst_cases() {
    let l = FrameLimits::default();
    assert_eq!(l.worst_case_per_connection(), GIB);
    assert_eq!(l.worst_case_per_daemon(), GIB);
    // Without the shared budget: 256 connections × 1 GiB.
    assert!(l.worst_case_per_daemon() * 256 == 256 * GIB);
}

/// Opens `n` connections that each claim `claim` bytes and send `sent`.
async fn claimants(srv: &TestServer, n: usize, claim: u32, sent: usize) -> Vec<TcpStream> {
    let mut peers = Vec::new();
    for _ in 0..n {
        let (mut s, _) = srv.connect().await;
        s.write_all(&claim.to_be_bytes()).await.unwrap();
        s.write_all(&vec![0x5a; sent]).await.unwrap();
        peers.push(s);
    }
    peers
}

/// Polls until `f` holds or a few seconds pass.
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_slot_claiming_a_gigabyte_holds_one_chunk_each() {
    let max_connections = 16;
    let srv = TestServer::start(
        max_connections,
        Duration::from_secs(2),
        FrameLimits::default(),
    )
    .await;
    let sent = 100;
    let mut peers = claimants(&srv, max_connections, MAX_MSG_SIZE, sent).await;
    // One more waits in the accept queue: nothing of it is read.
    peers.extend(claimants(&srv, 1, MAX_MSG_SIZE, sent).await);
    assert!(eventually(|| srv.server.budget().in_use() == max_connections * CHUNK).await);
    let per_connection = srv.server.budget().in_use() / max_connections;
    assert_eq!(srv.server.connections(), max_connections);
    assert!(per_connection <= 2 * sent + CHUNK, "{per_connection}");
    // Worst case now: 16 × 64 KiB = 1 MiB for 16 GiB claimed.
    assert_eq!(srv.server.budget().in_use(), 1 << 20);
    for mut p in peers {
        assert_closed_without_reply(&mut p, Duration::from_secs(10)).await;
    }
    assert_eq!(srv.server.budget().in_use(), 0);
    srv.assert_still_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_sending_a_lot_stay_within_the_daemon_budget() {
    // Each of 8 peers sends 384 KiB of a claimed 1 MiB; together they
    // would need 8 × 512 KiB of buffer, the budget has 1 MiB.
    let limits = FrameLimits::new(1 << 20, 1 << 20);
    let srv = TestServer::start(8, Duration::from_secs(2), limits).await;
    for _ in 0..8 {
        let (mut s, _) = srv.connect().await;
        s.write_all(&(1u32 << 20).to_be_bytes()).await.unwrap();
        // Written from a task: a peer whose reader waits for budget stops
        // reading, and its socket buffers fill.
        tokio::spawn(async move {
            let _ = s.write_all(&vec![0x5a; 384 << 10]).await;
            // Held open until the server gives up on it.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
    }
    let mut peak = 0;
    for _ in 0..50 {
        let used = srv.server.budget().in_use();
        assert!(used <= limits.worst_case_per_daemon(), "{used}");
        peak = peak.max(used);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The budget was the limit, and it was reached.
    assert!(peak > (1 << 20) - 2 * CHUNK, "peak {peak}");
    assert!(eventually(|| srv.server.budget().in_use() == 0).await);
    srv.assert_still_serving().await;
}
