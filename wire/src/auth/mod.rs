//! Authentication of Slurm RPCs: the auth blob after the header
//! (`src/common/slurm_auth.c`, `src/plugins/auth/munge/auth_munge.c`) and the body
//! hash carried as the MUNGE payload (`_compute_hash` / `_check_hash` in
//! `src/common/slurm_protocol_api.c`).
//!
//! The credential service is a trait so that everything above it can be tested
//! without a running munged: [`fake::FakeCredentials`] is an in-memory stand-in and,
//! with the `munge` feature, [`munge::Munge`] talks to the real daemon.
//!
//! What upstream servers do when a request fails authentication (both sleep
//! 10 ms first, "to discourage brute force", in `slurm_unpack_received_msg` /
//! `slurm_receive_msg_and_forward`):
//! - slurmctld (`_service_connection` in `src/slurmctld/controller.c`) logs the
//!   error and closes the connection without any reply, whatever the cause
//!   (unknown plugin, bad/expired/replayed credential, body-hash mismatch).
//! - slurmd (`_service_connection` in `src/slurmd/slurmd/slurmd.c`) also closes
//!   silently when the credential itself fails, but once the credential was
//!   verified (`auth_uid_set`) a later failure (body hash, body unpack) is
//!   answered with `RESPONSE_SLURM_RC` carrying `ESLURM_PROTOCOL_INCOMPLETE_PACKET`.

pub mod body_hash;
pub mod fake;
pub mod kt128;
#[cfg(feature = "munge")]
pub mod munge;

use std::time::SystemTime;

/// `SLURM_AUTH_NOBODY`: the uid upstream restricts a reply to when it does not know
/// who sent the request (`_resp_msg_setup`).
pub const SLURM_AUTH_NOBODY: u32 = 99;

/// Slurm error codes (`slurm/slurm_errno.h`) that the auth layer produces.
pub mod errno {
    /// `SLURM_PROTOCOL_AUTHENTICATION_ERROR`: what `slurm_unpack_received_msg`
    /// reports when `auth_g_verify` fails, and what the send path reports when
    /// `auth_g_create`/`auth_g_pack` fail.
    pub const SLURM_PROTOCOL_AUTHENTICATION_ERROR: i32 = 1007;
    /// `ESLURM_PROTOCOL_INCOMPLETE_PACKET`: reported by `slurm_unpack_received_msg`
    /// when the auth blob cannot be unpacked, the plugin id is unknown, or the body
    /// hash does not match.
    pub const ESLURM_PROTOCOL_INCOMPLETE_PACKET: i32 = 5003;
    /// `ESLURM_AUTH_CRED_INVALID`: set by auth/munge on any encode or decode failure.
    pub const ESLURM_AUTH_CRED_INVALID: i32 = 6000;
    /// `ESLURM_AUTH_NET_ERROR`.
    pub const ESLURM_AUTH_NET_ERROR: i32 = 6002;
    /// `ESLURM_AUTH_BADARG`.
    pub const ESLURM_AUTH_BADARG: i32 = 6004;
    /// `ESLURM_AUTH_UNPACK`: auth/munge could not unpack the credential string.
    pub const ESLURM_AUTH_UNPACK: i32 = 6007;
}

/// Auth plugin ids (`AUTH_PLUGIN_*` in `slurm/slurm.h`), the u32 that precedes
/// the plugin's blob on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum AuthPluginId {
    /// `AUTH_PLUGIN_NONE` (auth/none, removed from 22.05 but the id is reserved).
    None = 100,
    /// `AUTH_PLUGIN_MUNGE` (auth/munge).
    Munge = 101,
    /// `AUTH_PLUGIN_JWT` (auth/jwt).
    Jwt = 102,
}

impl AuthPluginId {
    /// The id as packed on the wire.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// Maps a wire id back; `None` for ids no 22.05 plugin uses (upstream's
    /// `auth_g_unpack` then fails with "authentication plugin ... not found").
    pub fn from_u32(id: u32) -> Option<Self> {
        match id {
            100 => Some(Self::None),
            101 => Some(Self::Munge),
            102 => Some(Self::Jwt),
            _ => None,
        }
    }
}

/// Who may decode a credential (`MUNGE_OPT_UID_RESTRICTION`; upstream's
/// `slurm_msg_set_r_uid`, with `SLURM_AUTH_UID_ANY` = -1 meaning no restriction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RestrictUid {
    /// `SLURM_AUTH_UID_ANY`: anyone can decode.
    Any,
    /// Only this uid (root cannot override it: upstream refuses to start if munged
    /// lets root decode credentials restricted to someone else).
    Uid(u32),
}

impl RestrictUid {
    /// Restricted to `SLURM_AUTH_NOBODY`, the fallback for replies to unknown users.
    pub const NOBODY: RestrictUid = RestrictUid::Uid(SLURM_AUTH_NOBODY);

    /// The restriction upstream puts on a reply (`_resp_msg_setup`): unrestricted
    /// when the requester is SlurmUser or SlurmdUser, restricted to the requester
    /// otherwise, and to "nobody" if the request was never authenticated.
    pub fn for_reply(request_uid: Option<u32>, slurm_user: u32, slurmd_user: u32) -> Self {
        match request_uid {
            None => Self::NOBODY,
            Some(uid) if uid == slurm_user || uid == slurmd_user => Self::Any,
            Some(uid) => Self::Uid(uid),
        }
    }
}

/// The result of a successful decode: the identity of the *encoding process*,
/// which is what upstream stores as `msg->auth_uid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCredential {
    /// Uid of the process that encoded the credential.
    pub uid: u32,
    /// Gid of the process that encoded the credential.
    pub gid: u32,
    /// The payload (for RPC auth: the body hash, see [`body_hash`]).
    pub payload: Vec<u8>,
    /// IPv4 address of the host that encoded it (`MUNGE_OPT_ADDR4`); upstream
    /// names the submit host (`alloc_node`) after it.
    pub origin: Option<std::net::Ipv4Addr>,
    /// When the credential was encoded (`MUNGE_OPT_ENCODE_TIME`).
    pub encoded_at: SystemTime,
    /// Seconds the credential is valid for (`MUNGE_OPT_TTL`).
    pub ttl: u32,
}

/// Why a credential could not be encoded or was refused.
///
/// The variants follow munge's `munge_err_t` where one exists (named in each doc).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// `EMUNGE_CRED_EXPIRED`: older than its TTL.
    #[error("credential expired")]
    Expired,
    /// `EMUNGE_CRED_REWOUND`: encoded in the future (clocks out of sync).
    #[error("credential encoded in the future (check for out of sync clocks)")]
    Rewound,
    /// `EMUNGE_CRED_REPLAYED`: this exact credential was already decoded.
    #[error("credential replayed")]
    Replayed,
    /// `EMUNGE_CRED_UNAUTHORIZED`: restricted to another uid/gid.
    #[error("not authorized to decode this credential")]
    Unauthorized,
    /// `EMUNGE_BAD_CRED`, `EMUNGE_CRED_INVALID`, `EMUNGE_BAD_MAC`, ...: garbage,
    /// tampered, or made with another key.
    #[error("invalid credential: {0}")]
    Invalid(String),
    /// `EMUNGE_SOCKET` / `EMUNGE_TIMEOUT`: munged could not be reached.
    #[error("cannot reach munged at {socket}: {detail}")]
    SocketUnreachable {
        /// The socket tried (empty = libmunge's compiled-in default).
        socket: String,
        /// munge's description of the failure.
        detail: String,
    },
    /// The payload does not match what it should cover (the body hash of an RPC,
    /// or the packed job credential for a `slurm_cred_t` signature).
    #[error("payload does not match: {0}")]
    PayloadMismatch(#[from] body_hash::BodyHashError),
    /// `EMUNGE_BAD_ARG` / `EMUNGE_BAD_LENGTH`, or input we refuse before calling
    /// munge (a NUL inside a credential string, a payload too long for `int`).
    #[error("bad argument: {0}")]
    BadArgument(String),
    /// Any other munge failure (`EMUNGE_SNAFU`, `EMUNGE_NO_MEMORY`, ...).
    #[error("munge error {code}: {detail}")]
    Other {
        /// The raw `munge_err_t`.
        code: u32,
        /// munge's description.
        detail: String,
    },
}

impl AuthError {
    /// The code upstream's auth/munge plugin sets (`slurm_seterrno`) for this
    /// failure: `ESLURM_AUTH_CRED_INVALID` for every encode/decode failure
    /// (`auth_p_create`, `_decode_cred`), `ESLURM_AUTH_BADARG` for bad arguments.
    /// A body-hash mismatch is not a plugin error upstream; it maps to
    /// `ESLURM_PROTOCOL_INCOMPLETE_PACKET` (see [`AuthError::slurm_errno`]).
    pub fn plugin_errno(&self) -> i32 {
        match self {
            AuthError::BadArgument(_) => errno::ESLURM_AUTH_BADARG,
            AuthError::PayloadMismatch(_) => errno::ESLURM_PROTOCOL_INCOMPLETE_PACKET,
            _ => errno::ESLURM_AUTH_CRED_INVALID,
        }
    }

    /// The code the RPC layer ends up with (`slurm_unpack_received_msg`, and the
    /// send path in `slurm_send_node_msg`): `SLURM_PROTOCOL_AUTHENTICATION_ERROR`
    /// when the credential itself fails, `ESLURM_PROTOCOL_INCOMPLETE_PACKET` when
    /// the credential is fine but the body hash is not. Upstream never sends
    /// either code back to the peer: the server logs it and closes the connection.
    pub fn slurm_errno(&self) -> i32 {
        match self {
            AuthError::PayloadMismatch(_) => errno::ESLURM_PROTOCOL_INCOMPLETE_PACKET,
            _ => errno::SLURM_PROTOCOL_AUTHENTICATION_ERROR,
        }
    }
}

/// A MUNGE-style credential service: seal a payload with the caller's identity,
/// and verify/unseal someone else's.
///
/// Implementations must be usable from many threads at once.
pub trait CredentialService: Send + Sync {
    /// Encodes `payload` into a credential string (`munge_encode`) that only
    /// `restrict_uid` may decode.
    fn encode(&self, payload: &[u8], restrict_uid: RestrictUid) -> Result<String, AuthError>;

    /// Decodes and verifies a credential string (`munge_decode`), including
    /// expiry, replay and uid restriction.
    fn decode(&self, cred: &str) -> Result<VerifiedCredential, AuthError>;
}

/// The parts of slurm.conf `AuthInfo` (or slurmdbd.conf `AuthInfo`) that the
/// MUNGE backend uses, parsed like upstream's `slurm_auth_opts_to_socket` and
/// `slurm_get_auth_ttl`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthInfo {
    /// `socket=PATH`, or the whole value in the pre-`key=value` format (a bare path).
    /// `None` means libmunge's default socket.
    pub socket: Option<String>,
    /// `ttl=N` in seconds; `None` (absent or 0) means munged's default TTL.
    pub ttl: Option<u32>,
}

impl AuthInfo {
    /// Parses an `AuthInfo` value such as `socket=/var/run/munge/munge.socket.2,ttl=60`.
    ///
    /// Like upstream this never fails: unknown keys (e.g. `cred_expire=`, used
    /// elsewhere) are ignored, a value with no `=` at all is the old bare-socket
    /// format, and `ttl` is read like `atoi` (leading digits; anything else or a
    /// negative number means "munged's default").
    pub fn parse(value: &str) -> AuthInfo {
        let value = value.trim();
        if value.is_empty() {
            return AuthInfo::default();
        }
        if !value.contains('=') {
            return AuthInfo {
                socket: Some(value.to_owned()),
                ttl: None,
            };
        }
        let mut info = AuthInfo::default();
        for item in value.split(',') {
            let Some((key, val)) = item.split_once('=') else {
                continue;
            };
            match key.trim() {
                // upstream keeps the first occurrence (strstr)
                "socket" if info.socket.is_none() => info.socket = Some(val.to_owned()),
                "ttl" if info.ttl.is_none() => info.ttl = Some(atoi_ttl(val)),
                _ => {}
            }
        }
        info.ttl = info.ttl.filter(|&t| t > 0);
        info
    }
}

/// `atoi` semantics clamped to `0..=i32::MAX`, as `slurm_get_auth_ttl` does.
fn atoi_ttl(s: &str) -> u32 {
    let s = s.trim_start();
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: u32 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(u32::from(b - b'0'));
    }
    if negative {
        0
    } else {
        n.min(i32::MAX as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_info_new_format() {
        let i = AuthInfo::parse("socket=/run/munge/m.sock,ttl=60");
        assert_eq!(i.socket.as_deref(), Some("/run/munge/m.sock"));
        assert_eq!(i.ttl, Some(60));
        let i = AuthInfo::parse("ttl=5,socket=/s");
        assert_eq!(
            i,
            AuthInfo {
                socket: Some("/s".into()),
                ttl: Some(5)
            }
        );
    }

    #[test]
    fn auth_info_old_format_and_odd_values() {
        assert_eq!(
            AuthInfo::parse("/var/run/munge/alt.socket")
                .socket
                .as_deref(),
            Some("/var/run/munge/alt.socket")
        );
        assert_eq!(AuthInfo::parse(""), AuthInfo::default());
        // key=value format without socket: default socket
        assert_eq!(AuthInfo::parse("cred_expire=300").socket, None);
        // atoi leniency
        assert_eq!(AuthInfo::parse("ttl=60s").ttl, Some(60));
        assert_eq!(AuthInfo::parse("ttl=abc").ttl, None);
        assert_eq!(AuthInfo::parse("ttl=-4").ttl, None);
        assert_eq!(AuthInfo::parse("ttl=0").ttl, None);
        assert_eq!(
            AuthInfo::parse("ttl=99999999999").ttl,
            Some(i32::MAX as u32)
        );
        assert_eq!(AuthInfo::parse("ttl=1,ttl=2").ttl, Some(1));
    }

    #[test]
    fn plugin_ids() {
        for id in [AuthPluginId::None, AuthPluginId::Munge, AuthPluginId::Jwt] {
            assert_eq!(AuthPluginId::from_u32(id.as_u32()), Some(id));
        }
        assert_eq!(AuthPluginId::Munge.as_u32(), 101);
        assert_eq!(AuthPluginId::from_u32(103), None);
    }

    #[test]
    fn reply_restriction() {
        assert_eq!(RestrictUid::for_reply(None, 64030, 0), RestrictUid::Uid(99));
        assert_eq!(RestrictUid::for_reply(Some(0), 64030, 0), RestrictUid::Any);
        assert_eq!(
            RestrictUid::for_reply(Some(64030), 64030, 0),
            RestrictUid::Any
        );
        assert_eq!(
            RestrictUid::for_reply(Some(1000), 64030, 0),
            RestrictUid::Uid(1000)
        );
    }

    #[test]
    fn error_codes() {
        assert_eq!(AuthError::Expired.plugin_errno(), 6000);
        assert_eq!(AuthError::Expired.slurm_errno(), 1007);
        let m = AuthError::PayloadMismatch(body_hash::BodyHashError::Mismatch);
        assert_eq!(m.slurm_errno(), 5003);
    }
}
