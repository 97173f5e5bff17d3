//! An in-memory [`CredentialService`] that behaves like munged for tests:
//! a shared key seals uid/gid/payload/time, and decoding enforces the uid
//! restriction, TTL expiry, clock rewind and replay detection, so the refusal
//! paths can be tested without a munged.
//!
//! Credentials look like `FAKECRED:<hex fields>:<hex mac>:` — never `MUNGE:`,
//! so one can never be mistaken for (or accepted as) a real MUNGE credential,
//! and a real munged refuses them as malformed.
//!
//! This is not behind `cfg(test)` because other crates' tests use it. It is not
//! a security mechanism: the key lives in process memory.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{AuthError, CredentialService, RestrictUid, VerifiedCredential};

/// Prefix of every fake credential.
pub const FAKE_PREFIX: &str = "FAKECRED:";
/// munged's default TTL (`MUNGE_DEFAULT_TTL`), in seconds.
pub const DEFAULT_TTL: u32 = 300;

const FORMAT_VERSION: u8 = 1;
const MAC_LEN: usize = 32;
/// Fixed part of the sealed fields: version, uid, gid, restricted flag, restrict
/// uid, encode time, ttl, nonce.
const FIXED_LEN: usize = 1 + 4 + 4 + 1 + 4 + 8 + 4 + 8;
/// Largest payload accepted, so a hostile string cannot make us allocate much
/// (munged's own limit is similar in spirit, `MUNGE_MAXIMUM_REQ_LEN`).
pub const MAX_PAYLOAD: usize = 1 << 20;

/// A clock the tests can move; the default follows the system clock.
#[derive(Debug, Clone, Default)]
pub struct FakeClock(Option<Arc<Mutex<SystemTime>>>);

impl FakeClock {
    /// The real system clock.
    pub fn system() -> Self {
        FakeClock(None)
    }

    /// A manual clock starting at `start`.
    pub fn manual(start: SystemTime) -> Self {
        FakeClock(Some(Arc::new(Mutex::new(start))))
    }

    /// Current time.
    pub fn now(&self) -> SystemTime {
        match &self.0 {
            None => SystemTime::now(),
            Some(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.0 {
            let mut g = t.lock().unwrap_or_else(|p| p.into_inner());
            *g += by;
        }
    }

    /// Moves a manual clock backward (no effect on the system clock).
    pub fn rewind(&self, by: Duration) {
        if let Some(t) = &self.0 {
            let mut g = t.lock().unwrap_or_else(|p| p.into_inner());
            *g = g.checked_sub(by).unwrap_or(UNIX_EPOCH);
        }
    }
}

/// What one munged holds: its key and its replay cache (MAC → expiry).
#[derive(Debug)]
struct Daemon {
    key: Vec<u8>,
    replay: Mutex<HashMap<[u8; MAC_LEN], i64>>,
}

/// A process talking to a fake munged: it encodes as (`uid`, `gid`) and decodes
/// as `uid`.
///
/// Instances made with [`FakeCredentials::new`] from the same key are different
/// nodes of one cluster (shared key, separate replay caches);
/// [`FakeCredentials::same_node`] gives another process on the same node
/// (shared replay cache, like two processes using one munged).
#[derive(Debug, Clone)]
pub struct FakeCredentials {
    daemon: Arc<Daemon>,
    uid: u32,
    gid: u32,
    ttl: u32,
    clock: FakeClock,
    nonce_base: u64,
    counter: Arc<AtomicU64>,
}

impl FakeCredentials {
    /// A process with identity `uid`/`gid` on a node whose munged uses `key`.
    pub fn new(key: &[u8], uid: u32, gid: u32) -> Self {
        FakeCredentials {
            daemon: Arc::new(Daemon {
                key: key.to_vec(),
                replay: Mutex::new(HashMap::new()),
            }),
            uid,
            gid,
            ttl: DEFAULT_TTL,
            clock: FakeClock::system(),
            nonce_base: RandomState::new().build_hasher().finish(),
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    /// TTL put on credentials this process encodes (`MUNGE_OPT_TTL`); 0 means
    /// the default, like munged.
    pub fn with_ttl(mut self, ttl: u32) -> Self {
        self.ttl = if ttl == 0 { DEFAULT_TTL } else { ttl };
        self
    }

    /// Uses `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: FakeClock) -> Self {
        self.clock = clock;
        self
    }

    /// Another process, with another identity, on the same node (same key,
    /// same replay cache, same clock).
    pub fn same_node(&self, uid: u32, gid: u32) -> Self {
        FakeCredentials {
            uid,
            gid,
            nonce_base: RandomState::new().build_hasher().finish(),
            counter: Arc::new(AtomicU64::new(0)),
            ..self.clone()
        }
    }

    fn mac(&self, fields: &[u8]) -> [u8; MAC_LEN] {
        // K12 is a sponge, so prefixing the key gives a sound MAC (no length
        // extension); the customization keeps it apart from body hashes.
        let mut msg = Vec::with_capacity(8 + self.daemon.key.len() + fields.len());
        msg.extend_from_slice(&(self.daemon.key.len() as u64).to_be_bytes());
        msg.extend_from_slice(&self.daemon.key);
        msg.extend_from_slice(fields);
        let mut out = [0u8; MAC_LEN];
        super::kt128::kt128(&msg, b"slurm-rs fake credential", &mut out);
        out
    }

    fn now_secs(&self) -> i64 {
        unix_secs(self.clock.now())
    }
}

fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn from_unix_secs(s: i64) -> SystemTime {
    if s >= 0 {
        UNIX_EPOCH + Duration::from_secs(s.unsigned_abs())
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(s.unsigned_abs()))
            .unwrap_or(UNIX_EPOCH)
    }
}

/// Fields after parsing, before any policy check.
struct Parsed {
    uid: u32,
    gid: u32,
    restrict: RestrictUid,
    encoded_at: i64,
    ttl: u32,
    payload: Vec<u8>,
    mac: [u8; MAC_LEN],
}

fn invalid(why: &str) -> AuthError {
    AuthError::Invalid(why.to_owned())
}

fn parse(cred: &str) -> Result<(Vec<u8>, Parsed), AuthError> {
    let rest = cred
        .strip_prefix(FAKE_PREFIX)
        .ok_or_else(|| invalid("not a fake credential"))?;
    let rest = rest
        .strip_suffix(':')
        .ok_or_else(|| invalid("missing terminator"))?;
    let (fields_hex, mac_hex) = rest.split_once(':').ok_or_else(|| invalid("missing mac"))?;
    if fields_hex.len() > 2 * (FIXED_LEN + MAX_PAYLOAD) {
        return Err(invalid("too long"));
    }
    let fields = unhex(fields_hex).ok_or_else(|| invalid("bad hex"))?;
    let mac: [u8; MAC_LEN] = unhex(mac_hex)
        .and_then(|m| m.try_into().ok())
        .ok_or_else(|| invalid("bad mac"))?;
    if fields.len() < FIXED_LEN || fields[0] != FORMAT_VERSION {
        return Err(invalid("bad fields"));
    }
    let u32_at =
        |o: usize| u32::from_be_bytes([fields[o], fields[o + 1], fields[o + 2], fields[o + 3]]);
    let mut t = [0u8; 8];
    t.copy_from_slice(&fields[14..22]);
    let restrict = match fields[9] {
        0 => RestrictUid::Any,
        1 => RestrictUid::Uid(u32_at(10)),
        _ => return Err(invalid("bad restriction flag")),
    };
    let parsed = Parsed {
        uid: u32_at(1),
        gid: u32_at(5),
        restrict,
        encoded_at: i64::from_be_bytes(t),
        ttl: u32_at(22),
        payload: fields[FIXED_LEN..].to_vec(),
        mac,
    };
    Ok((fields, parsed))
}

impl CredentialService for FakeCredentials {
    fn encode(&self, payload: &[u8], restrict_uid: RestrictUid) -> Result<String, AuthError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(AuthError::BadArgument(format!(
                "payload of {} bytes",
                payload.len()
            )));
        }
        let nonce = self
            .nonce_base
            .wrapping_add(self.counter.fetch_add(1, Ordering::Relaxed));
        let mut f = Vec::with_capacity(FIXED_LEN + payload.len());
        f.push(FORMAT_VERSION);
        f.extend_from_slice(&self.uid.to_be_bytes());
        f.extend_from_slice(&self.gid.to_be_bytes());
        match restrict_uid {
            RestrictUid::Any => f.extend_from_slice(&[0, 0, 0, 0, 0]),
            RestrictUid::Uid(u) => {
                f.push(1);
                f.extend_from_slice(&u.to_be_bytes());
            }
        }
        f.extend_from_slice(&self.now_secs().to_be_bytes());
        f.extend_from_slice(&self.ttl.to_be_bytes());
        f.extend_from_slice(&nonce.to_be_bytes());
        f.extend_from_slice(payload);
        let mac = self.mac(&f);
        Ok(format!("{FAKE_PREFIX}{}:{}:", hex(&f), hex(&mac)))
    }

    /// Checks in munged's order: integrity, uid restriction, time window, replay.
    fn decode(&self, cred: &str) -> Result<VerifiedCredential, AuthError> {
        let (fields, p) = parse(cred)?;
        let expected = self.mac(&fields);
        if expected
            .iter()
            .zip(&p.mac)
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            != 0
        {
            return Err(invalid("mac mismatch (tampered, or another key)"));
        }
        if let RestrictUid::Uid(r) = p.restrict {
            if r != self.uid {
                return Err(AuthError::Unauthorized);
            }
        }
        let now = self.now_secs();
        let ttl = i64::from(p.ttl);
        if now.saturating_sub(p.encoded_at) > ttl {
            return Err(AuthError::Expired);
        }
        // munged tolerates clock skew up to the TTL before calling it rewound
        if p.encoded_at.saturating_sub(now) > ttl {
            return Err(AuthError::Rewound);
        }
        {
            let mut cache = self.daemon.replay.lock().unwrap_or_else(|e| e.into_inner());
            cache.retain(|_, expiry| *expiry >= now);
            if cache.contains_key(&p.mac) {
                return Err(AuthError::Replayed);
            }
            cache.insert(p.mac, p.encoded_at.saturating_add(ttl));
        }
        Ok(VerifiedCredential {
            origin: Some(std::net::Ipv4Addr::LOCALHOST),
            uid: p.uid,
            gid: p.gid,
            payload: p.payload,
            encoded_at: from_unix_secs(p.encoded_at),
            ttl: p.ttl,
        })
    }
}

fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(D[usize::from(x >> 4)] as char);
        s.push(D[usize::from(x & 15)] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    b.chunks_exact(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"cluster key";

    fn pair() -> (FakeCredentials, FakeCredentials, FakeClock) {
        let clock = FakeClock::manual(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let client = FakeCredentials::new(KEY, 1000, 1000).with_clock(clock.clone());
        let server = FakeCredentials::new(KEY, 64030, 64030).with_clock(clock.clone());
        (client, server, clock)
    }

    #[test]
    fn roundtrip_carries_identity_and_payload() {
        let (client, server, _) = pair();
        let c = client
            .encode(b"\x02hash\0with nul", RestrictUid::Any)
            .unwrap();
        assert!(c.starts_with(FAKE_PREFIX) && !c.starts_with("MUNGE:"));
        let v = server.decode(&c).unwrap();
        assert_eq!((v.uid, v.gid, v.ttl), (1000, 1000, DEFAULT_TTL));
        assert_eq!(v.payload, b"\x02hash\0with nul");
        assert_eq!(
            v.encoded_at,
            UNIX_EPOCH + Duration::from_secs(1_700_000_000)
        );
    }

    #[test]
    fn same_payload_twice_gives_distinct_credentials() {
        let (client, server, _) = pair();
        let a = client.encode(b"p", RestrictUid::Any).unwrap();
        let b = client.encode(b"p", RestrictUid::Any).unwrap();
        assert_ne!(a, b);
        server.decode(&a).unwrap();
        server.decode(&b).unwrap();
    }

    #[test]
    fn replay_is_refused() {
        let (client, server, _) = pair();
        let c = client.encode(b"p", RestrictUid::Any).unwrap();
        server.decode(&c).unwrap();
        assert_eq!(server.decode(&c), Err(AuthError::Replayed));
        // same munged, another process: still a replay
        assert_eq!(server.same_node(0, 0).decode(&c), Err(AuthError::Replayed));
        // another node has its own cache (as with real munged)
        let other = FakeCredentials::new(KEY, 5, 5).with_clock(server.clock.clone());
        assert!(other.decode(&c).is_ok());
    }

    #[test]
    fn uid_restriction() {
        let (client, server, _) = pair();
        let c = client.encode(b"p", RestrictUid::Uid(64030)).unwrap();
        let root = server.same_node(0, 0);
        // not even root may decode a credential restricted to someone else
        assert_eq!(root.decode(&c), Err(AuthError::Unauthorized));
        assert!(server.decode(&c).is_ok());
    }

    #[test]
    fn expiry_and_rewind() {
        let (client, server, clock) = pair();
        let client = client.with_ttl(60);
        let c = client.encode(b"p", RestrictUid::Any).unwrap();
        clock.advance(Duration::from_secs(61));
        assert_eq!(server.decode(&c), Err(AuthError::Expired));
        let c = client.encode(b"p", RestrictUid::Any).unwrap();
        clock.rewind(Duration::from_secs(200));
        assert_eq!(server.decode(&c), Err(AuthError::Rewound));
        assert_eq!(AuthError::Expired.slurm_errno(), 1007);
    }

    #[test]
    fn garbage_and_tampering_are_invalid() {
        let (client, server, _) = pair();
        for bad in [
            "",
            "MUNGE:AAAA:",
            "FAKECRED:",
            "FAKECRED:zz:00:",
            "FAKECRED:01:00:",
            "\0",
            "FAKECRED:é:",
        ] {
            assert!(
                matches!(server.decode(bad), Err(AuthError::Invalid(_))),
                "{bad:?}"
            );
        }
        let c = client.encode(b"payload", RestrictUid::Any).unwrap();
        // flip one hex digit in the fields (the uid)
        let mut t = c.clone().into_bytes();
        let i = FAKE_PREFIX.len() + 8;
        t[i] = if t[i] == b'0' { b'1' } else { b'0' };
        let t = String::from_utf8(t).unwrap();
        assert!(matches!(server.decode(&t), Err(AuthError::Invalid(_))));
        // another cluster's key
        let stranger = FakeCredentials::new(b"other key", 1, 1);
        assert!(matches!(stranger.decode(&c), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn usable_across_threads() {
        let (client, server, _) = pair();
        let creds: Vec<String> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| client.encode(b"x", RestrictUid::Any).unwrap()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for c in &creds {
            server.decode(c).unwrap();
        }
    }
}
