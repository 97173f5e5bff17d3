//! The message-body hash sealed inside the MUNGE credential, so a credential
//! cannot be lifted onto another message (`_compute_hash` / `_check_hash` in
//! `src/common/slurm_protocol_api.c`, `src/plugins/hash/k12/hash_k12.c`).
//!
//! Payload forms (first byte = `hash_plugin_type` from `slurm/slurm.h`):
//! - `HASH_PLUGIN_K12` (2): `[2] ++ KangarooTwelve(body, customization = msg_type
//!   big-endian, 32 bytes)`, sent to 22.05 peers.
//! - `HASH_PLUGIN_NONE` (1): `[1] ++ msg_type`, sent to 21.08.8+/20.11.9+ peers in
//!   *host* (little-endian) byte order, because those releases never normalised it.
//! - empty: no hash at all (pre-21.08.8 senders); accepted unless `block_null_hash`.

use crate::version::ProtocolVersion;

/// `HASH_PLUGIN_DEFAULT`: the receiver treats it as the first loaded hash
/// plugin, which in 22.05 is always K12.
pub const HASH_PLUGIN_DEFAULT: u8 = 0;
/// `HASH_PLUGIN_NONE`: the payload is only the message type.
pub const HASH_PLUGIN_NONE: u8 = 1;
/// `HASH_PLUGIN_K12`: KangarooTwelve over the body.
pub const HASH_PLUGIN_K12: u8 = 2;
/// Output size of the K12 hash (`sizeof(slurm_hash_t.hash)`).
pub const K12_LEN: usize = 32;

/// Which form a verified request used; a reply reuses it
/// (`_resp_msg_setup` copies `hash_index`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashKind {
    /// Empty payload: no hash was sent.
    Null,
    /// `HASH_PLUGIN_NONE`: msg_type only.
    MsgTypeOnly,
    /// `HASH_PLUGIN_K12`.
    K12,
}

/// The `CommunicationParameters` switches that tighten [`verify`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HashPolicy {
    /// `block_null_hash`: refuse credentials with an empty payload.
    pub block_null_hash: bool,
    /// `block_zero_hash`: refuse the msg_type-only form.
    pub block_zero_hash: bool,
}

impl HashPolicy {
    /// Reads the switches from a `CommunicationParameters` value the way upstream
    /// does (case-insensitive substring search, `xstrcasestr`).
    pub fn from_comm_params(comm_params: &str) -> Self {
        let lower = comm_params.to_ascii_lowercase();
        HashPolicy {
            block_null_hash: lower.contains("block_null_hash"),
            block_zero_hash: lower.contains("block_zero_hash"),
        }
    }
}

/// Why a body hash was refused. Upstream reports all of these as
/// `ESLURM_PROTOCOL_INCOMPLETE_PACKET` and drops the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyHashError {
    /// Empty payload while `block_null_hash` is set.
    #[error("credential carries no body hash and block_null_hash is set")]
    NullHashBlocked,
    /// msg_type-only payload while `block_zero_hash` is set.
    #[error("credential carries only the message type and block_zero_hash is set")]
    ZeroHashBlocked,
    /// msg_type-only payload that is not exactly 3 bytes.
    #[error("msg_type-only hash has length {0}, expected 3")]
    BadLength(usize),
    /// msg_type-only payload naming another message type.
    #[error("hash names msg_type {found:#06x} (either byte order), header says {expected}")]
    WrongMsgType {
        /// The two payload bytes read big-endian.
        found: u16,
        /// The header's msg_type.
        expected: u16,
    },
    /// A hash type no 22.05 daemon has loaded (e.g. 3, SHA256).
    #[error("hash plugin type {0} is not supported")]
    UnsupportedType(u8),
    /// The hash does not cover this body/msg_type (or has the wrong length).
    #[error("body hash does not match the message")]
    Mismatch,
}

/// KangarooTwelve of `body` with the big-endian msg_type as customization string,
/// as `hash_p_compute` computes it (32 bytes).
pub fn k12(body: &[u8], msg_type: u16) -> [u8; K12_LEN] {
    let mut out = [0u8; K12_LEN];
    super::kt128::kt128(body, &msg_type.to_be_bytes(), &mut out);
    out
}

/// The MUNGE payload to send with a message (`_compute_hash`).
///
/// `peer` is the protocol version the message is packed with; `reply_to` is the
/// [`HashKind`] of the request being answered (`None` for a new request).
/// Peers at 21.08 or older always get the little-endian msg_type form; a 22.05
/// peer gets the big-endian msg_type form only when its request used that form,
/// and K12 otherwise (also when its request had no hash, as upstream does).
pub fn compute(
    body: &[u8],
    msg_type: u16,
    peer: ProtocolVersion,
    reply_to: Option<HashKind>,
) -> Vec<u8> {
    if peer <= ProtocolVersion::V21_08 {
        let t = msg_type.to_le_bytes();
        return vec![HASH_PLUGIN_NONE, t[0], t[1]];
    }
    if reply_to == Some(HashKind::MsgTypeOnly) {
        let t = msg_type.to_be_bytes();
        return vec![HASH_PLUGIN_NONE, t[0], t[1]];
    }
    let mut out = Vec::with_capacity(1 + K12_LEN);
    out.push(HASH_PLUGIN_K12);
    out.extend_from_slice(&k12(body, msg_type));
    out
}

/// Checks the MUNGE payload of a received message against its body
/// (`_check_hash`, 22.05 receiver rules).
///
/// `body` must be exactly the `header.body_length` bytes after the auth blob;
/// `version` is the header's protocol version.
pub fn verify(
    payload: &[u8],
    body: &[u8],
    msg_type: u16,
    version: ProtocolVersion,
    policy: HashPolicy,
) -> Result<HashKind, BodyHashError> {
    let Some((&kind, rest)) = payload.split_first() else {
        return if policy.block_null_hash {
            Err(BodyHashError::NullHashBlocked)
        } else {
            Ok(HashKind::Null)
        };
    };
    match kind {
        HASH_PLUGIN_NONE => {
            if policy.block_zero_hash {
                return Err(BodyHashError::ZeroHashBlocked);
            }
            let [a, b] = rest else {
                return Err(BodyHashError::BadLength(payload.len()));
            };
            let be = msg_type.to_be_bytes();
            // 21.08.8/20.11.9 sent host (little-endian) order; only their
            // protocol versions get that leniency.
            if [*a, *b] == be || (version <= ProtocolVersion::V21_08 && [*b, *a] == be) {
                Ok(HashKind::MsgTypeOnly)
            } else {
                Err(BodyHashError::WrongMsgType {
                    found: u16::from_be_bytes([*a, *b]),
                    expected: msg_type,
                })
            }
        }
        // DEFAULT resolves to the first loaded hash plugin, K12.
        HASH_PLUGIN_DEFAULT | HASH_PLUGIN_K12 => {
            if rest.len() == K12_LEN && constant_time_eq(rest, &k12(body, msg_type)) {
                Ok(HashKind::K12)
            } else {
                Err(BodyHashError::Mismatch)
            }
        }
        other => Err(BodyHashError::UnsupportedType(other)),
    }
}

/// Comparison whose time does not depend on where the first difference is, so a
/// peer cannot learn the expected hash byte by byte from response timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const V22: ProtocolVersion = ProtocolVersion::V22_05;
    const V21: ProtocolVersion = ProtocolVersion::V21_08;

    #[test]
    fn k12_reference_vectors() {
        // draft-irtf-cfrg-kangarootwelve test vectors, empty customization.
        let mut out = [0u8; 32];
        super::super::kt128::kt128(b"", b"", &mut out);
        assert_eq!(
            hex(&out),
            "1ac2d450fc3b4205d19da7bfca1b37513c0803577ac7167f06fe2ce1f0ef39e5"
        );
    }

    #[test]
    fn compute_forms() {
        assert_eq!(compute(b"x", 1008, V21, None), vec![1, 0xf0, 0x03]);
        assert_eq!(
            compute(b"x", 1008, ProtocolVersion::V20_11, None),
            vec![1, 0xf0, 0x03]
        );
        assert_eq!(
            compute(b"x", 1008, V22, Some(HashKind::MsgTypeOnly)),
            vec![1, 0x03, 0xf0]
        );
        let k = compute(b"x", 1008, V22, None);
        assert_eq!(k.len(), 33);
        assert_eq!(k[0], 2);
        assert_eq!(compute(b"x", 1008, V22, Some(HashKind::Null)), k);
        assert_eq!(compute(b"x", 1008, V22, Some(HashKind::K12)), k);
    }

    #[test]
    fn verify_roundtrip_and_tamper() {
        let p = HashPolicy::default();
        let h = compute(b"body", 2003, V22, None);
        assert_eq!(verify(&h, b"body", 2003, V22, p), Ok(HashKind::K12));
        assert_eq!(
            verify(&h, b"bodz", 2003, V22, p),
            Err(BodyHashError::Mismatch)
        );
        assert_eq!(
            verify(&h, b"body", 2004, V22, p),
            Err(BodyHashError::Mismatch)
        );
        assert_eq!(
            verify(&h[..20], b"body", 2003, V22, p),
            Err(BodyHashError::Mismatch)
        );
        let mut d = h.clone();
        d[0] = HASH_PLUGIN_DEFAULT;
        assert_eq!(verify(&d, b"body", 2003, V22, p), Ok(HashKind::K12));
        d[0] = 3;
        assert_eq!(
            verify(&d, b"body", 2003, V22, p),
            Err(BodyHashError::UnsupportedType(3))
        );
    }

    #[test]
    fn verify_null_and_zero() {
        let p = HashPolicy::default();
        assert_eq!(verify(&[], b"b", 1, V22, p), Ok(HashKind::Null));
        let strict = HashPolicy::from_comm_params("NoAddrCache,Block_Null_Hash,block_zero_hash");
        assert!(strict.block_null_hash && strict.block_zero_hash);
        assert_eq!(
            verify(&[], b"b", 1, V22, strict),
            Err(BodyHashError::NullHashBlocked)
        );
        assert_eq!(
            verify(&[1, 3, 0xf0], b"", 1008, V22, strict),
            Err(BodyHashError::ZeroHashBlocked)
        );

        // big-endian always accepted; little-endian only from <= 21.08 peers
        assert_eq!(
            verify(&[1, 0x03, 0xf0], b"", 1008, V22, p),
            Ok(HashKind::MsgTypeOnly)
        );
        assert_eq!(
            verify(&[1, 0xf0, 0x03], b"", 1008, V21, p),
            Ok(HashKind::MsgTypeOnly)
        );
        assert_eq!(
            verify(&[1, 0xf0, 0x03], b"", 1008, V22, p),
            Err(BodyHashError::WrongMsgType {
                found: 0xf003,
                expected: 1008
            })
        );
        assert_eq!(
            verify(&[1, 0x03], b"", 1008, V22, p),
            Err(BodyHashError::BadLength(2))
        );
        assert_eq!(
            verify(&[1, 0x03, 0xf0, 0], b"", 1008, V22, p),
            Err(BodyHashError::BadLength(4))
        );
    }

    /// Real 22.05.8 traffic: bodies and the MUNGE payloads slurmctld/clients
    /// sealed for them (tests/data/auth/k12_golden.txt says which message each is).
    #[test]
    fn golden_from_captures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/auth");
        let manifest = std::fs::read_to_string(dir.join("k12_golden.txt")).unwrap();
        let mut checked = 0;
        for line in manifest
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let f: Vec<&str> = line.split_whitespace().collect();
            let body = std::fs::read(dir.join(f[0])).unwrap();
            let msg_type: u16 = f[1].parse().unwrap();
            let payload = unhex(f[2]);
            assert_eq!(compute(&body, msg_type, V22, None), payload, "{}", f[0]);
            assert_eq!(
                verify(&payload, &body, msg_type, V22, HashPolicy::default()),
                Ok(HashKind::K12)
            );
            checked += 1;
        }
        assert!(checked >= 6);
    }

    /// Bodies longer than one 8 KiB chunk switch K12 to tree mode, which no
    /// capture exercises. Expected values were produced by running the K12 code
    /// 22.05 ships (plugins/hash/k12) on input byte i = i % 251, msg_type 2004.
    #[test]
    fn k12_multi_chunk_matches_slurm() {
        // 8188 and 16380: body + msg_type + length_encode fill exactly one
        // and two chunks (the `k12` 0.3 crate got these wrong).
        let cases: [(usize, &str); 8] = [
            (
                8188,
                "921e84dbebf8746386b03ddae92d1d43d0d3a908335e33b7247b4933dcc1e0fc",
            ),
            (
                16380,
                "05132234c8e357bc7c16821d6dc41e094afdd530ac9164a9280b405a423774f5",
            ),
            (
                0,
                "1d3f3b7ec3d8bdd1627646a2fabeea108535f821e30dd88fedf680aa438c9180",
            ),
            (
                8191,
                "72b684f3ba9d80b54bee78c3084037e747652a7a1c437eb0ac9a1665c770c790",
            ),
            (
                8192,
                "8bdc9b306181f93568b59d27a9cd5614ec7a24f16089c51002979a678b2befd3",
            ),
            (
                8193,
                "9b2d731916466bb7ab3424d725f60ba86109a9b21327c8566f13d032120d2385",
            ),
            (
                20000,
                "63b7b8c6e8607c7d74c5fce47b5c1708b46909c3afda22feb6ec4a33a26ab3d8",
            ),
            (
                100000,
                "4e47033d89677f83f933118c4462d230d136b96335cf876553e36a5b34f027f8",
            ),
        ];
        for (n, want) in cases {
            let body: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            assert_eq!(hex(&k12(&body, 2004)), want, "len {n}");
        }
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
