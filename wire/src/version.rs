//! Slurm RPC protocol versions (`SLURM_*_PROTOCOL_VERSION` in
//! `src/common/slurm_protocol_common.h`): the first u16 of a normal header.

/// A protocol version as carried in the message header (`header_t.version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// `SLURM_22_05_PROTOCOL_VERSION` (`SLURM_PROTOCOL_VERSION` of 22.05).
    pub const V22_05: ProtocolVersion = ProtocolVersion(0x2600);
    /// `SLURM_21_08_PROTOCOL_VERSION`.
    pub const V21_08: ProtocolVersion = ProtocolVersion(0x2500);
    /// `SLURM_20_11_PROTOCOL_VERSION` (`SLURM_MIN_PROTOCOL_VERSION` of 22.05).
    pub const V20_11: ProtocolVersion = ProtocolVersion(0x2400);
}
