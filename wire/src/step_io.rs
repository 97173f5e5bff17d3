//! srun's task I/O stream (`src/common/io_hdr.c`): not RPCs but a raw TCP
//! stream from each node's step daemon to one of srun's I/O ports. The
//! daemon first sends an [`IoInitMsg`] proving it holds the step
//! credential, then frames: an [`IoHdr`] followed by `length` bytes.
//! A zero `length` is end-of-file for that task's stream.

use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker};

/// `SLURM_IO_STDIN`: srun → task (one task, `gtaskid`).
pub const IO_STDIN: u16 = 0;
/// `SLURM_IO_STDOUT`.
pub const IO_STDOUT: u16 = 1;
/// `SLURM_IO_STDERR`.
pub const IO_STDERR: u16 = 2;
/// `SLURM_IO_ALLSTDIN`: srun → every task of the node.
pub const IO_ALLSTDIN: u16 = 3;
/// `SLURM_IO_CONNECTION_TEST`: srun checks the stream is alive.
pub const IO_CONNECTION_TEST: u16 = 4;

/// `IO_PROTOCOL_VERSION`: the pre-20.11 init message layout, refused by 22.05.
pub const IO_PROTOCOL_VERSION_OLD: u16 = 0xb001;

/// One frame header (`io_hdr_t`), 10 bytes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoHdr {
    /// `type`: one of the `IO_*` constants.
    pub kind: u16,
    /// `gtaskid`: the task's rank in the step.
    pub gtaskid: u16,
    /// `ltaskid`: the task's index on its node.
    pub ltaskid: u16,
    /// `length`: payload bytes that follow.
    pub length: u32,
}

impl IoHdr {
    /// `io_hdr_packed_size()`.
    pub const SIZE: usize = 10;

    /// `io_hdr_pack`.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[0..2].copy_from_slice(&self.kind.to_be_bytes());
        b[2..4].copy_from_slice(&self.gtaskid.to_be_bytes());
        b[4..6].copy_from_slice(&self.ltaskid.to_be_bytes());
        b[6..10].copy_from_slice(&self.length.to_be_bytes());
        b
    }

    /// `io_hdr_unpack`.
    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        IoHdr {
            kind: u16::from_be_bytes([b[0], b[1]]),
            gtaskid: u16::from_be_bytes([b[2], b[3]]),
            ltaskid: u16::from_be_bytes([b[4], b[5]]),
            length: u32::from_be_bytes([b[6], b[7], b[8], b[9]]),
        }
    }
}

/// The first thing a step daemon writes on an I/O connection
/// (`io_init_msg_t`, 20.11+ layout): a u32 length, then version, node id,
/// how many stdout/stderr streams this node will send (srun waits for that
/// many EOFs), and the I/O key (the step credential's signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoInitMsg {
    /// `version`: the protocol version (22.05: 0x2600).
    pub version: u16,
    /// `nodeid`: this node's index in the step.
    pub nodeid: u32,
    /// `stdout_objs`.
    pub stdout_objs: u32,
    /// `stderr_objs`.
    pub stderr_objs: u32,
    /// `io_key`: the credential signature, bytes as received.
    pub io_key: Vec<u8>,
}

impl IoInitMsg {
    /// `io_init_msg_pack` with its length prefix.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut p = Packer::new();
        p.u32(0);
        p.u16(self.version);
        p.u32(self.nodeid);
        p.u32(self.stdout_objs);
        p.u32(self.stderr_objs);
        p.mem(Some(&self.io_key));
        let len = (p.len() - 4) as u32;
        p.patch_u32(0, len);
        p.as_slice().to_vec()
    }

    /// `io_init_msg_read_from_fd` + `io_init_msg_unpack` on a whole
    /// message (length prefix included).
    pub fn from_bytes(b: &[u8]) -> DecodeResult<Self> {
        let mut u = Unpacker::new(b);
        let len = u.u32("io_init.length")? as usize;
        let body = u.bytes("io_init.body", len)?;
        let mut u = Unpacker::new(body);
        let version = u.u16("io_init.version")?;
        if version == IO_PROTOCOL_VERSION_OLD {
            return Err(DecodeError::InvalidValue {
                field: "io_init.version",
                value: version.into(),
            });
        }
        let msg = IoInitMsg {
            version,
            nodeid: u.u32("io_init.nodeid")?,
            stdout_objs: u.u32("io_init.stdout_objs")?,
            stderr_objs: u.u32("io_init.stderr_objs")?,
            io_key: u.mem("io_init.io_key")?.unwrap_or_default().to_vec(),
        };
        u.finish("io_init")?;
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_big_endian_and_ten_bytes() {
        let h = IoHdr {
            kind: IO_STDERR,
            gtaskid: 3,
            ltaskid: 1,
            length: 0x0102_0304,
        };
        let b = h.to_bytes();
        assert_eq!(b, [0, 2, 0, 3, 0, 1, 1, 2, 3, 4]);
        assert_eq!(IoHdr::from_bytes(&b), h);
    }

    #[test]
    fn init_msg_has_length_prefix_and_round_trips() {
        let m = IoInitMsg {
            version: 0x2600,
            nodeid: 1,
            stdout_objs: 2,
            stderr_objs: 2,
            io_key: b"MUNGE:xyz\0".to_vec(),
        };
        let b = m.to_bytes();
        // length = 2 + 4*3 + (4 + 10) = 28
        assert_eq!(&b[..4], &28u32.to_be_bytes());
        assert_eq!(&b[4..6], &[0x26, 0x00]);
        assert_eq!(IoInitMsg::from_bytes(&b).unwrap(), m);
    }

    #[test]
    fn init_msg_refuses_the_old_layout() {
        let mut m = IoInitMsg {
            version: IO_PROTOCOL_VERSION_OLD,
            nodeid: 0,
            stdout_objs: 1,
            stderr_objs: 1,
            io_key: vec![0; 8],
        }
        .to_bytes();
        assert!(IoInitMsg::from_bytes(&m).is_err());
        m.truncate(6);
        assert!(IoInitMsg::from_bytes(&m).is_err());
    }
}
