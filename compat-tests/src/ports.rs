//! Free loopback ports for the daemons of one cluster.

use std::net::TcpListener;

/// Returns `n` distinct ports that were free on 127.0.0.1 a moment ago.
///
/// All listeners are held until every port is chosen so the kernel cannot hand
/// out the same port twice; there is still a small window between dropping
/// them and the daemon binding, which is acceptable for tests.
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}
