//! Socket addresses as `slurm_pack_addr` sends them.
//!
//! Upstream packs `sin_addr`/`sin_port`, which are already in network order,
//! through pack32/pack16, which swap again on little-endian hosts: so on the
//! wire the IPv4 address and port appear byte-reversed. Every real peer is
//! little-endian, and we reproduce that exactly.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker};

const AF_UNSPEC: u16 = 0;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// `slurm_addr_t`: an address or "unset" (AF_UNSPEC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlurmAddr {
    /// Family 0: nothing else is sent.
    #[default]
    Unset,
    /// An IPv4 or IPv6 socket address.
    Inet(SocketAddr),
}

impl SlurmAddr {
    /// `slurm_pack_addr`.
    pub fn pack(&self, p: &mut Packer) {
        match self {
            SlurmAddr::Unset => p.u16(AF_UNSPEC),
            SlurmAddr::Inet(SocketAddr::V4(a)) => {
                p.u16(AF_INET);
                p.u32(u32::from_le_bytes(a.ip().octets()));
                p.u16(a.port().swap_bytes());
            }
            SlurmAddr::Inet(SocketAddr::V6(a)) => {
                p.u16(AF_INET6);
                p.mem(Some(&a.ip().octets()));
                p.u16(a.port().swap_bytes());
            }
        }
    }

    /// `slurm_unpack_addr_no_alloc`.
    pub fn unpack(u: &mut Unpacker<'_>, field: &'static str) -> DecodeResult<SlurmAddr> {
        match u.u16(field)? {
            AF_INET => {
                let ip = u.u32(field)?.to_le_bytes();
                let port = u.u16(field)?.swap_bytes();
                Ok(SlurmAddr::Inet(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(ip),
                    port,
                ))))
            }
            AF_INET6 => {
                let raw = u.mem(field)?.ok_or(DecodeError::Malformed {
                    field,
                    reason: "empty IPv6 address",
                })?;
                let octets: [u8; 16] = raw.try_into().map_err(|_| DecodeError::Malformed {
                    field,
                    reason: "IPv6 address is not 16 bytes",
                })?;
                let port = u.u16(field)?.swap_bytes();
                Ok(SlurmAddr::Inet(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(octets),
                    port,
                    0,
                    0,
                ))))
            }
            // Upstream sends only the family for anything else.
            _ => Ok(SlurmAddr::Unset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_is_byte_reversed_like_upstream_on_x86() {
        let a = SlurmAddr::Inet("10.0.0.1:6817".parse().unwrap());
        let mut p = Packer::new();
        a.pack(&mut p);
        assert_eq!(p.as_slice(), &[0, 2, 0x01, 0x00, 0x00, 0x0a, 0xa1, 0x1a]);
        let mut u = Unpacker::new(p.as_slice());
        assert_eq!(SlurmAddr::unpack(&mut u, "a").unwrap(), a);
    }
}
