//! Reading one frame (`u32 length` + payload) from a peer that has not yet
//! proven who it is.
//!
//! The length prefix is a claim, not a fact: memory follows the bytes that
//! actually arrive. The buffer starts at [`CHUNK`] and at most doubles each
//! time it fills, so a connection holds at most `2 × received + CHUNK`
//! bytes (and never more than the frame it announced). Every byte of
//! buffer is first taken from a [`Budget`] shared by all connections of a
//! daemon, so what unauthenticated peers can make it hold is bounded as a
//! whole, not only per connection.

use std::sync::Arc;

use bytes::BufMut;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use wire::errno::SlurmRc;
use wire::frame::{self, MAX_MSG_SIZE};

/// First buffer size, and the smallest growth step.
pub const CHUNK: usize = 64 * 1024;

/// How large frames may be, one and all together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Largest frame one peer may send (at most upstream's `MAX_MSG_SIZE`).
    pub max_frame: usize,
    /// Bytes all connections of a daemon may hold for frames not yet
    /// verified. At least `max_frame`, or the largest frame could never
    /// be read.
    pub budget: usize,
}

impl Default for FrameLimits {
    /// Upstream's 1 GiB frame limit, and one such frame's worth of buffer
    /// for the whole daemon. Nothing lower is safe as a default: a batch
    /// script alone may be up to 512 MiB (`max_script_size`).
    fn default() -> Self {
        FrameLimits {
            max_frame: MAX_MSG_SIZE as usize,
            budget: MAX_MSG_SIZE as usize,
        }
    }
}

impl FrameLimits {
    /// Limits with `max_frame` clamped to upstream's hard limit and the
    /// budget raised to hold at least one largest frame.
    pub fn new(max_frame: usize, budget: usize) -> Self {
        let max_frame = max_frame.min(MAX_MSG_SIZE as usize);
        FrameLimits {
            max_frame,
            budget: budget.max(max_frame),
        }
    }

    /// The most one connection can hold: the largest frame, or the whole
    /// budget if that is smaller.
    pub fn worst_case_per_connection(&self) -> usize {
        self.max_frame.min(self.budget)
    }

    /// The most a daemon can hold for unverified frames, whatever the
    /// number of connections.
    pub fn worst_case_per_daemon(&self) -> usize {
        self.budget
    }
}

/// The bytes a daemon may hold for frames not yet verified, shared by all
/// its connections.
#[derive(Debug, Clone)]
pub struct Budget {
    bytes: Arc<Semaphore>,
    total: usize,
}

impl Budget {
    /// A budget of `total` bytes.
    pub fn new(total: usize) -> Self {
        let total = total.min(Semaphore::MAX_PERMITS);
        Budget {
            bytes: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Bytes currently held by frames being read or verified.
    pub fn in_use(&self) -> usize {
        self.total - self.bytes.available_permits()
    }

    /// Takes `n` bytes, waiting for other connections to give some back.
    async fn take(&self, n: usize) -> Result<OwnedSemaphorePermit, ReadError> {
        let n = u32::try_from(n).map_err(|_| ReadError::receive("growth step too large"))?;
        self.bytes
            .clone()
            .acquire_many_owned(n)
            .await
            .map_err(|_| ReadError::receive("receive budget closed"))
    }
}

/// A whole frame payload (what followed the length prefix), holding its
/// share of the budget until dropped.
#[derive(Debug)]
pub struct Payload {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The budget this buffer counts against (`None`: unbudgeted reader).
    held: Option<OwnedSemaphorePermit>,
}

impl Payload {
    /// The bytes, giving the budget back.
    pub fn into_bytes(self) -> Vec<u8> {
        drop(self.held);
        self.bytes
    }

    /// The bytes and the budget they hold (given back when dropped).
    pub fn into_parts(self) -> (Vec<u8>, Option<OwnedSemaphorePermit>) {
        (self.bytes, self.held)
    }

    /// Bytes of budget this payload holds.
    pub fn budget_held(&self) -> usize {
        self.held.as_ref().map_or(0, |p| p.num_permits())
    }
}

/// Why a frame could not be read, with the Slurm code upstream logs for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// What went wrong, for the log.
    pub reason: String,
    /// The Slurm error code.
    pub rc: SlurmRc,
}

impl ReadError {
    fn receive(reason: impl Into<String>) -> Self {
        ReadError {
            reason: reason.into(),
            rc: SlurmRc::SLURM_COMMUNICATIONS_RECEIVE_ERROR,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (rc {})", self.reason, self.rc)
    }
}

/// Reads one frame; the whole of it must arrive by `deadline`. `Ok(None)`:
/// the peer closed before sending a length (nothing to log).
pub async fn read_frame<R: AsyncRead + Unpin>(
    sock: &mut R,
    limits: &FrameLimits,
    budget: Option<&Budget>,
    deadline: Instant,
) -> Result<Option<Payload>, ReadError> {
    let Some(total) = read_length(sock, limits, deadline).await? else {
        return Ok(None);
    };
    match tokio::time::timeout_at(deadline, read_body(sock, total, budget)).await {
        Ok(r) => r.map(Some),
        Err(_) => Err(ReadError::receive("timed out reading the request body")),
    }
}

async fn read_length<R: AsyncRead + Unpin>(
    sock: &mut R,
    limits: &FrameLimits,
    deadline: Instant,
) -> Result<Option<usize>, ReadError> {
    let mut len = [0u8; 4];
    match tokio::time::timeout_at(deadline, sock.read_exact(&mut len)).await {
        Err(_) => return Err(ReadError::receive("timed out waiting for a request")),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Ok(Err(e)) => return Err(ReadError::receive(e.to_string())),
        Ok(Ok(_)) => {}
    }
    let claimed = u32::from_be_bytes(len);
    let total = frame::check_length(claimed).map_err(|e| ReadError {
        reason: e.to_string(),
        rc: e.rc(),
    })?;
    if total > limits.max_frame {
        return Err(ReadError {
            reason: format!(
                "message length {total} exceeds the {}-byte limit of this daemon",
                limits.max_frame
            ),
            rc: SlurmRc::SLURM_PROTOCOL_INSANE_MSG_LENGTH,
        });
    }
    Ok(Some(total))
}

/// Reads exactly `total` bytes, growing the buffer only when it is full.
async fn read_body<R: AsyncRead + Unpin>(
    sock: &mut R,
    total: usize,
    budget: Option<&Budget>,
) -> Result<Payload, ReadError> {
    let mut bytes: Vec<u8> = Vec::new();
    let mut held: Option<OwnedSemaphorePermit> = None;
    while bytes.len() < total {
        if bytes.len() == bytes.capacity() {
            let step = next_step(bytes.len(), total);
            if let Some(b) = budget {
                let more = b.take(step).await?;
                match held.as_mut() {
                    Some(h) => h.merge(more),
                    None => held = Some(more),
                }
            }
            bytes.reserve_exact(step);
        }
        let room = total - bytes.len();
        let n = sock
            .read_buf(&mut (&mut bytes).limit(room))
            .await
            .map_err(|e| ReadError::receive(e.to_string()))?;
        if n == 0 {
            return Err(ReadError::receive(format!(
                "truncated frame: {} of {total} bytes",
                bytes.len()
            )));
        }
    }
    Ok(Payload { bytes, held })
}

/// Growth step: double what has arrived (at least [`CHUNK`]), never past
/// the announced end.
fn next_step(received: usize, total: usize) -> usize {
    received.max(CHUNK).min(total - received)
}

/// Reads a reply frame on a connection we opened (no shared budget: the
/// peer is one we chose to call, and the read is bounded by `limits`).
pub async fn read_reply<R: AsyncRead + Unpin>(
    sock: &mut R,
    limits: &FrameLimits,
    deadline: Instant,
) -> Result<Vec<u8>, ReadError> {
    match read_frame(sock, limits, None, deadline).await? {
        Some(p) => Ok(p.into_bytes()),
        None => Err(ReadError::receive("connection closed without a reply")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_proportional_to_what_arrived() {
        assert_eq!(next_step(0, 1 << 30), CHUNK);
        assert_eq!(next_step(CHUNK, 1 << 30), CHUNK);
        assert_eq!(next_step(1 << 20, 1 << 30), 1 << 20);
        assert_eq!(next_step(100, 150), 50);
    }

    #[test]
    fn limits_clamp_to_upstream_and_hold_one_frame() {
        let l = FrameLimits::new(usize::MAX, 0);
        assert_eq!(l.max_frame, MAX_MSG_SIZE as usize);
        assert_eq!(l.budget, MAX_MSG_SIZE as usize);
        assert_eq!(l.worst_case_per_connection(), 1 << 30);
    }

    #[tokio::test]
    async fn exact_frame_is_read_and_budget_returned() {
        let budget = Budget::new(1 << 20);
        let mut data = 5u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"hello");
        let mut r = &data[..];
        let deadline = Instant::now() + std::time::Duration::from_secs(1);
        let p = read_frame(&mut r, &FrameLimits::default(), Some(&budget), deadline)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.bytes, b"hello");
        assert_eq!(budget.in_use(), 5);
        assert_eq!(p.into_bytes(), b"hello");
        assert_eq!(budget.in_use(), 0);
    }

    #[tokio::test]
    async fn short_frame_is_truncated_and_gives_budget_back() {
        let budget = Budget::new(1 << 20);
        let mut data = 100u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"abc");
        let mut r = &data[..];
        let deadline = Instant::now() + std::time::Duration::from_secs(1);
        let e = read_frame(&mut r, &FrameLimits::default(), Some(&budget), deadline)
            .await
            .unwrap_err();
        assert!(e.reason.contains("truncated frame: 3 of 100"), "{e}");
        assert_eq!(budget.in_use(), 0);
    }

    #[tokio::test]
    async fn frame_above_the_daemon_limit_is_refused_before_reading() {
        let limits = FrameLimits::new(1024, 1024);
        let data = 2048u32.to_be_bytes();
        let mut r = &data[..];
        let deadline = Instant::now() + std::time::Duration::from_secs(1);
        let e = read_frame(&mut r, &limits, None, deadline)
            .await
            .unwrap_err();
        assert_eq!(e.rc, SlurmRc::SLURM_PROTOCOL_INSANE_MSG_LENGTH);
    }
}
