//! The tasks' stdio over srun's I/O connection (slurmstepd/io.c): one
//! reader thread per task stream sends its bytes as frames, line by line
//! like upstream's buffered I/O, then an EOF frame; one thread takes
//! srun's stdin frames to the tasks' stdin pipes.
//!
//! Frames of one stream are sent by one thread in order, and each frame
//! goes out whole under the connection's lock: nothing of a stream is
//! lost or reordered.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::debug;
use wire::step_io::{IoHdr, IoInitMsg, IO_ALLSTDIN, IO_STDIN};

/// `MAX_MSG_LEN`: srun refuses longer frames.
pub const MAX_MSG_LEN: usize = 1024;

/// The connection to srun, shared by the writer threads.
#[derive(Clone)]
pub struct IoLink {
    out: Arc<Mutex<TcpStream>>,
}

impl IoLink {
    /// `io_client_connect`: connect and introduce ourselves.
    pub fn connect(addr: SocketAddr, init: &IoInitMsg) -> io::Result<(IoLink, TcpStream)> {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        s.set_nodelay(true)?;
        s.write_all(&init.to_bytes())?;
        let reader = s.try_clone()?;
        Ok((
            IoLink {
                out: Arc::new(Mutex::new(s)),
            },
            reader,
        ))
    }

    fn send(&self, hdr: IoHdr, data: &[u8]) -> io::Result<()> {
        let mut frame = Vec::with_capacity(IoHdr::SIZE + data.len());
        frame.extend_from_slice(&hdr.to_bytes());
        frame.extend_from_slice(data);
        let mut s = self.out.lock().unwrap_or_else(|p| p.into_inner());
        s.write_all(&frame)
    }
}

/// Which tasks' output streams have reached EOF (both of them), so task
/// exits can wait for their output to be sent first.
#[derive(Default)]
pub struct Drained {
    streams_done: Mutex<HashMap<u32, u8>>,
    changed: Condvar,
}

impl Drained {
    /// One more stream of `gtid` is done (sent, or never ours to send).
    pub fn mark(&self, gtid: u32) {
        let mut m = self.streams_done.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(gtid).or_default() += 1;
        self.changed.notify_all();
    }

    /// Waits (at most `limit`) until both streams of every task in `gtids`
    /// are sent.
    pub fn wait(&self, gtids: &[u32], limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut m = self.streams_done.lock().unwrap_or_else(|p| p.into_inner());
        while !gtids.iter().all(|g| m.get(g).copied().unwrap_or(0) >= 2) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            m = match self.changed.wait_timeout(m, left) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }
}

/// `LAUNCH_BUFFERED_IO`: srun wants whole lines (not `--unbuffered`).
pub const LAUNCH_BUFFERED_IO: u32 = 1 << 3;

/// The next frame's worth of `buf`: one line (at most MAX_MSG_LEN bytes),
/// or, when `eof` or not `buffered`, whatever is there.
fn next_chunk(buf: &[u8], eof: bool, buffered: bool) -> Option<usize> {
    if !buffered && !buf.is_empty() {
        return Some(buf.len().min(MAX_MSG_LEN));
    }
    let window = &buf[..buf.len().min(MAX_MSG_LEN)];
    match window.iter().position(|&b| b == b'\n') {
        Some(i) => Some(i + 1),
        None if window.len() == MAX_MSG_LEN => Some(MAX_MSG_LEN),
        None if eof && !buf.is_empty() => Some(buf.len()),
        None => None,
    }
}

/// Relays one task stream (`kind` = IO_STDOUT or IO_STDERR) until EOF,
/// then sends the EOF frame. A lost connection makes it drain silently
/// so the task never blocks on a full pipe.
pub fn relay_output(
    link: IoLink,
    (kind, gtid, ltid): (u16, u32, u32),
    mut from: File,
    drained: Arc<Drained>,
    buffered: bool,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let hdr = |length: usize| IoHdr {
            kind,
            gtaskid: gtid as u16,
            ltaskid: ltid as u16,
            length: length as u32,
        };
        let mut buf: Vec<u8> = Vec::new();
        let mut chunk = [0u8; 8192];
        let mut connected = true;
        loop {
            let n = match from.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => 0,
            };
            buf.extend_from_slice(&chunk[..n]);
            while let Some(len) = next_chunk(&buf, n == 0, buffered) {
                if connected && link.send(hdr(len), &buf[..len]).is_err() {
                    debug!(gtid, kind, "srun I/O connection lost");
                    connected = false;
                }
                buf.drain(..len);
            }
            if n == 0 {
                break;
            }
        }
        if connected {
            let _ = link.send(hdr(0), &[]);
        }
        drained.mark(gtid);
    })
}

/// Reads srun's frames and feeds the tasks' stdin (`gtid` → pipe). A
/// zero-length frame or the connection's end closes the stdin concerned.
pub fn relay_stdin(mut from: TcpStream, mut stdin: HashMap<u32, File>) -> JoinHandle<()> {
    std::thread::spawn(move || loop {
        let mut h = [0u8; IoHdr::SIZE];
        if from.read_exact(&mut h).is_err() {
            return; // dropping `stdin` closes every pipe
        }
        let hdr = IoHdr::from_bytes(&h);
        let mut data = vec![0u8; hdr.length as usize];
        if from.read_exact(&mut data).is_err() {
            return;
        }
        let targets: Vec<u32> = match hdr.kind {
            IO_STDIN => vec![u32::from(hdr.gtaskid)],
            IO_ALLSTDIN => stdin.keys().copied().collect(),
            _ => continue, // connection tests and the like
        };
        for gtid in targets {
            if data.is_empty() {
                stdin.remove(&gtid);
            } else if let Some(pipe) = stdin.get_mut(&gtid) {
                if pipe.write_all(&data).is_err() {
                    stdin.remove(&gtid);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_lines_capped_at_max_msg_len() {
        assert_eq!(next_chunk(b"ab\ncd\n", false, true), Some(3));
        assert_eq!(next_chunk(b"abc", false, true), None);
        assert_eq!(next_chunk(b"abc", true, true), Some(3));
        assert_eq!(next_chunk(b"", true, true), None);
        let long = vec![b'x'; MAX_MSG_LEN + 5];
        assert_eq!(next_chunk(&long, false, true), Some(MAX_MSG_LEN));
        // --unbuffered: whatever arrived, still in MAX_MSG_LEN pieces.
        assert_eq!(next_chunk(b"ab\ncd", false, false), Some(5));
        assert_eq!(next_chunk(&long, false, false), Some(MAX_MSG_LEN));
        assert_eq!(next_chunk(b"", true, false), None);
    }
}
