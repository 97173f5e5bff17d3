//! The message header (`header_t`; `pack_header`/`unpack_header` in
//! upstream's `slurm_protocol_pack.c`).

use crate::addr::SlurmAddr;
use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker};
use crate::version::ProtocolVersion;

/// Header flag bits (`slurm_protocol_common.h`).
pub mod flags {
    /// Authenticate with the "global" key (slurmdbd traffic).
    pub const GLOBAL_AUTH_KEY: u16 = 0x0001;
    /// A slurmdbd persistent connection: msg_type is also sent before the version.
    pub const SLURMDBD_CONNECTION: u16 = 0x0002;
    /// Ask the receiver to drop privileges.
    pub const DROP_PRIV: u16 = 0x0008;
}

/// Fan-out instructions in a header (`forward_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Number of hosts in `nodelist` (`forward.cnt`).
    pub cnt: u16,
    /// Hosts still to be reached, as a hostlist expression.
    pub nodelist: String,
    /// Milliseconds to wait for the subtree.
    pub timeout_ms: u32,
    /// Fan-out width.
    pub tree_width: u16,
}

/// The header that precedes the auth blob and body of every message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Protocol version the body is packed with.
    pub version: ProtocolVersion,
    /// See [`flags`].
    pub flags: u16,
    /// `slurm_msg_type_t` number.
    pub msg_type: u16,
    /// Exact byte length of the body.
    pub body_length: u32,
    /// Present when the receiver must forward the message on.
    pub forward: Option<Forward>,
    /// Number of piggy-backed replies (`ret_cnt`). Their bodies are typed by
    /// message and only appear on replies from forwarding slurmds; we do not
    /// decode them yet, so a non-zero count is rejected.
    pub ret_cnt: u16,
    /// Who originally sent a forwarded message (`orig_addr`).
    pub orig_addr: SlurmAddr,
}

impl Header {
    /// A plain header for a message we originate.
    pub fn new(version: ProtocolVersion, msg_type: u16, body_length: u32) -> Self {
        Header {
            version,
            flags: 0,
            msg_type,
            body_length,
            forward: None,
            ret_cnt: 0,
            orig_addr: SlurmAddr::Unset,
        }
    }

    /// Appends the header as `self.version` lays it out: exactly what
    /// [`Header::unpack`] reads, whatever the flags.
    pub fn pack(&self, p: &mut Packer) {
        p.u16(self.version.0);
        p.u16(self.flags);
        if self.version < ProtocolVersion::V22_05 {
            // 20.11/21.08 carry an obsolete always-zero field here.
            p.u16(0);
        }
        p.u16(self.msg_type);
        p.u32(self.body_length);
        match &self.forward {
            None => p.u16(0),
            Some(fwd) => {
                p.u16(fwd.cnt);
                p.string(&fwd.nodelist);
                p.u32(fwd.timeout_ms);
                p.u16(fwd.tree_width);
            }
        }
        p.u16(self.ret_cnt);
        self.orig_addr.pack(p);
    }

    /// Appends the header as upstream's `pack_header` does for a slurmdbd
    /// persistent connection: with [`flags::SLURMDBD_CONNECTION`] set, the
    /// msg_type goes first, because slurmdbd reads it before the header.
    /// `unpack_header` never reads that prefix, so it is not part of
    /// [`Header::pack`]: a header decoded off the wire must re-encode to the
    /// bytes it came from.
    pub fn pack_to_slurmdbd(&self, p: &mut Packer) {
        if self.flags & flags::SLURMDBD_CONNECTION != 0 {
            p.u16(self.msg_type);
        }
        self.pack(p);
    }

    /// Reads a header. The version decides the layout; versions older than
    /// 20.11 have no layout we know and are refused, as upstream refuses them.
    /// A newer version is read with the 22.05 layout, again as upstream does,
    /// so the caller can log what it was before refusing it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Header> {
        let version = ProtocolVersion(u.u16("header.version")?);
        if version < ProtocolVersion::MIN {
            return Err(DecodeError::UnsupportedVersion(version.0));
        }
        let flags = u.u16("header.flags")?;
        if version < ProtocolVersion::V22_05 {
            u.u16("header.obsolete")?;
        }
        let msg_type = u.u16("header.msg_type")?;
        let body_length = u.u32("header.body_length")?;
        let fwd_cnt = u.u16("header.forward.cnt")?;
        let forward = if fwd_cnt > 0 {
            let nodelist = u.str("header.forward.nodelist")?.unwrap_or_default();
            let timeout_ms = u.u32("header.forward.timeout")?;
            let tree_width = u.u16("header.forward.tree_width")?;
            Some(Forward {
                cnt: fwd_cnt,
                nodelist,
                timeout_ms,
                tree_width,
            })
        } else {
            None
        };
        let ret_cnt = u.u16("header.ret_cnt")?;
        if ret_cnt > 0 {
            return Err(DecodeError::InvalidValue {
                field: "header.ret_cnt",
                value: ret_cnt.into(),
            });
        }
        let orig_addr = SlurmAddr::unpack(u, "header.orig_addr")?;
        Ok(Header {
            version,
            flags,
            msg_type,
            body_length,
            forward,
            ret_cnt,
            orig_addr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `frame` fuzz target: a received header with the
    /// SLURMDBD_CONNECTION flag re-encoded with a msg_type prefix that
    /// `unpack` never reads, so it decoded as version = msg_type.
    #[test]
    fn slurmdbd_flag_round_trips() {
        let mut h = Header::new(ProtocolVersion::V22_05, 5023, 0);
        h.flags = flags::SLURMDBD_CONNECTION | flags::DROP_PRIV;
        let mut p = Packer::new();
        h.pack(&mut p);
        let mut u = Unpacker::new(p.as_slice());
        assert_eq!(Header::unpack(&mut u).unwrap(), h);
        assert_eq!(u.remaining(), 0);

        // Toward slurmdbd the type is sent first, then the same header.
        let mut dbd = Packer::new();
        h.pack_to_slurmdbd(&mut dbd);
        assert_eq!(&dbd.as_slice()[..2], &5023u16.to_be_bytes());
        assert_eq!(&dbd.as_slice()[2..], p.as_slice());
    }
}
