//! Whole messages on a stream connection: `u32 total_len`, header, auth blob,
//! body (`slurm_msg_sendto` / `slurm_unpack_received_msg` upstream).
//!
//! This module splits and joins frames; verifying the credential and the body
//! hash is the caller's job (see [`crate::auth`]), since that needs munged.

use bytes::BytesMut;
use thiserror::Error;

use crate::errno::SlurmRc;
use crate::header::Header;
use crate::pack::{DecodeError, Packer, Unpacker};
use crate::version::ProtocolVersion;

/// Largest frame upstream accepts (`MAX_MSG_SIZE`, 1 GiB).
pub const MAX_MSG_SIZE: u32 = 1 << 30;

/// Auth plugin ids (`AUTH_PLUGIN_*` in slurm.h).
pub mod auth_plugin {
    /// auth/none.
    pub const NONE: u32 = 100;
    /// auth/munge.
    pub const MUNGE: u32 = 101;
    /// auth/jwt.
    pub const JWT: u32 = 102;
}

/// The auth blob that follows the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthBlob {
    /// auth/munge: the ASCII `MUNGE:...:` credential.
    Munge(String),
}

/// Why a received frame was refused. Each maps to the code upstream logs for it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The 4-byte length prefix claims more than [`MAX_MSG_SIZE`].
    #[error("message length {0} exceeds the {MAX_MSG_SIZE}-byte limit")]
    InsaneLength(u32),
    /// The header could not be read.
    #[error("bad header: {0}")]
    Header(DecodeError),
    /// A version we do not speak.
    #[error("unsupported protocol version {0}")]
    Version(ProtocolVersion),
    /// The auth blob is missing, truncated or of a plugin we do not load.
    #[error("bad auth blob: {0}")]
    Auth(String),
    /// header.body_length disagrees with the bytes actually present.
    #[error("body length {declared} does not match the {actual} bytes received")]
    BodyLength { declared: u32, actual: usize },
}

impl FrameError {
    /// The Slurm code upstream's receive path sets for this failure.
    pub fn rc(&self) -> SlurmRc {
        match self {
            FrameError::InsaneLength(_) => SlurmRc::SLURM_PROTOCOL_INSANE_MSG_LENGTH,
            FrameError::Header(_) => SlurmRc::SLURM_COMMUNICATIONS_RECEIVE_ERROR,
            FrameError::Version(_) => SlurmRc::SLURM_PROTOCOL_VERSION_ERROR,
            FrameError::Auth(_) | FrameError::BodyLength { .. } => {
                SlurmRc::ESLURM_PROTOCOL_INCOMPLETE_PACKET
            }
        }
    }
}

/// A received message, split but not yet authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The header.
    pub header: Header,
    /// The credential to verify.
    pub auth: AuthBlob,
    /// Exactly `header.body_length` bytes.
    pub body: &'a [u8],
}

/// Checks the 4-byte length prefix of a frame.
pub fn check_length(total_len: u32) -> Result<usize, FrameError> {
    if total_len > MAX_MSG_SIZE {
        return Err(FrameError::InsaneLength(total_len));
    }
    Ok(total_len as usize)
}

/// Splits the bytes that followed the length prefix.
pub fn decode(payload: &[u8]) -> Result<Frame<'_>, FrameError> {
    let mut u = Unpacker::new(payload);
    let header = match Header::unpack(&mut u) {
        Ok(h) => h,
        Err(DecodeError::UnsupportedVersion(v)) => {
            return Err(FrameError::Version(ProtocolVersion(v)))
        }
        Err(e) => return Err(FrameError::Header(e)),
    };
    if !header.version.is_supported() {
        return Err(FrameError::Version(header.version));
    }
    let plugin = u
        .u32("auth.plugin_id")
        .map_err(|e| FrameError::Auth(e.to_string()))?;
    let auth = match plugin {
        auth_plugin::MUNGE => {
            let cred = u
                .str("auth.munge_cred")
                .map_err(|e| FrameError::Auth(e.to_string()))?
                .ok_or_else(|| FrameError::Auth("empty MUNGE credential".into()))?;
            AuthBlob::Munge(cred)
        }
        other => {
            return Err(FrameError::Auth(format!(
                "auth plugin {other} is not loaded"
            )))
        }
    };
    let body = u.rest();
    if header.body_length as usize != body.len() {
        return Err(FrameError::BodyLength {
            declared: header.body_length,
            actual: body.len(),
        });
    }
    Ok(Frame { header, auth, body })
}

/// Builds a complete frame, length prefix included. `header.body_length` is
/// set from `body`.
pub fn encode(header: &Header, auth: &AuthBlob, body: &[u8]) -> BytesMut {
    let mut p = Packer::with_capacity(body.len() + 300);
    head_into(&mut p, header, auth, body.len());
    p.raw(body);
    p.into_bytes()
}

/// Everything of a frame before its body (length prefix, header, auth), for
/// a sender that writes a large body separately instead of copying it.
pub fn encode_head(header: &Header, auth: &AuthBlob, body_len: usize) -> BytesMut {
    let mut p = Packer::with_capacity(300);
    head_into(&mut p, header, auth, body_len);
    p.into_bytes()
}

fn head_into(p: &mut Packer, header: &Header, auth: &AuthBlob, body_len: usize) {
    let mut h = header.clone();
    h.body_length = body_len as u32;
    p.u32(0);
    h.pack(p);
    match auth {
        AuthBlob::Munge(cred) => {
            p.u32(auth_plugin::MUNGE);
            p.string(cred);
        }
    }
    let total = (p.len() - 4 + body_len) as u32;
    p.patch_u32(0, total);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_plus_body_is_the_whole_frame() {
        let h = Header::new(ProtocolVersion::V22_05, 2004, 0);
        let auth = AuthBlob::Munge("MUNGE:abc:".into());
        let body = b"some body bytes";
        let mut split = encode_head(&h, &auth, body.len()).to_vec();
        split.extend_from_slice(body);
        assert_eq!(split, encode(&h, &auth, body).to_vec());
    }

    #[test]
    fn round_trip_and_length_checks() {
        let h = Header::new(ProtocolVersion::V22_05, 1008, 0);
        let auth = AuthBlob::Munge("MUNGE:abc:".into());
        let bytes = encode(&h, &auth, &[]);
        let total = u32::from_be_bytes(bytes[..4].try_into().unwrap());
        assert_eq!(total as usize, bytes.len() - 4);
        let f = decode(&bytes[4..]).unwrap();
        assert_eq!(f.header, h);
        assert_eq!(f.auth, auth);
        assert!(f.body.is_empty());
        assert_eq!(
            check_length(MAX_MSG_SIZE + 1),
            Err(FrameError::InsaneLength(MAX_MSG_SIZE + 1))
        );
        // Extra body bytes beyond body_length are refused, as upstream refuses them.
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(matches!(
            decode(&longer[4..]),
            Err(FrameError::BodyLength {
                declared: 0,
                actual: 1
            })
        ));
    }

    #[test]
    fn old_and_unknown_versions() {
        for v in [ProtocolVersion::V21_08, ProtocolVersion::V20_11] {
            let h = Header::new(v, 1008, 0);
            let bytes = encode(&h, &AuthBlob::Munge("x".into()), &[]);
            assert_eq!(decode(&bytes[4..]).unwrap().header.version, v);
        }
        let h = Header::new(ProtocolVersion(0x2700), 1008, 0);
        let bytes = encode(&h, &AuthBlob::Munge("x".into()), &[]);
        assert_eq!(
            decode(&bytes[4..]).unwrap_err().rc(),
            SlurmRc::SLURM_PROTOCOL_VERSION_ERROR
        );
        let mut old = bytes.to_vec();
        old[4] = 0x23;
        assert_eq!(
            decode(&old[4..]).unwrap_err().rc(),
            SlurmRc::SLURM_PROTOCOL_VERSION_ERROR
        );
    }
}
