//! A peer that claims a 1 GiB frame and then trickles a few bytes makes the
//! server allocate in proportion to what arrived, not to the claim, and is
//! cut off after MessageTimeout with the reason logged.
//!
//! Measured with a counting global allocator: this binary holds this one
//! test so nothing else allocates meanwhile.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use common::*;
use daemon::read::CHUNK;
use daemon::FrameLimits;
use wire::frame::MAX_MSG_SIZE;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers to System; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Ordering::Relaxed) + new - l.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claimed_gigabyte_costs_only_what_arrives() {
    let timeout = Duration::from_millis(1500);
    let srv = TestServer::start(4, timeout, FrameLimits::default()).await;
    srv.assert_still_serving().await;
    let (mut s, local) = srv.connect().await;
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);

    s.write_all(&MAX_MSG_SIZE.to_be_bytes()).await.unwrap();
    for b in b"trickle" {
        s.write_all(&[*b]).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The reader holds one chunk: what arrived (7 bytes) rounded up.
    assert_eq!(srv.server.budget().in_use(), CHUNK);
    let grew = PEAK.load(Ordering::Relaxed) - baseline;
    assert!(
        grew < 4 * CHUNK,
        "peak allocation grew by {grew} bytes for a 1 GiB claim and 7 bytes sent"
    );

    assert_closed_without_reply(&mut s, timeout * 4).await;
    assert_logged(
        local,
        &[
            "timed out reading the request body",
            "SLURM_COMMUNICATIONS_RECEIVE_ERROR",
        ],
    );
    assert_eq!(srv.server.budget().in_use(), 0);
    srv.assert_still_serving().await;
}
