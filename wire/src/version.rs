//! Protocol versions (`SLURM_*_PROTOCOL_VERSION`, `slurm_protocol_common.h`).

/// A Slurm RPC protocol version: `major_index << 8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// Slurm 20.11 (`SLURM_MIN_PROTOCOL_VERSION` for a 22.05 daemon).
    pub const V20_11: ProtocolVersion = ProtocolVersion(36 << 8);
    /// Slurm 21.08 (`SLURM_ONE_BACK_PROTOCOL_VERSION` for a 22.05 daemon).
    pub const V21_08: ProtocolVersion = ProtocolVersion(37 << 8);
    /// Slurm 22.05 (`SLURM_22_05_PROTOCOL_VERSION`), the one we speak natively.
    pub const V22_05: ProtocolVersion = ProtocolVersion(38 << 8);
    /// The version our daemons put on the messages they originate.
    pub const CURRENT: ProtocolVersion = Self::V22_05;
    /// The oldest peer a 22.05 daemon talks to.
    pub const MIN: ProtocolVersion = Self::V20_11;

    /// True for the versions a 22.05 daemon accepts (itself and two back).
    pub fn is_supported(self) -> bool {
        self == Self::V22_05 || self == Self::V21_08 || self == Self::V20_11
    }

    /// The release name, for logs ("22.05"), or None for an unknown number.
    pub fn release(self) -> Option<&'static str> {
        Some(match self.0 >> 8 {
            36 => "20.11",
            37 => "21.08",
            38 => "22.05",
            39 => "23.02",
            40 => "23.11",
            41 => "24.05",
            42 => "24.11",
            _ => return None,
        })
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#06x}", self.0)
    }
}
