//! Integration tests of `wire::auth::munge::Munge` against a private munged.
//!
//! Each test starts its own munged (foreground, private socket, freshly generated
//! key in a temp dir) and kills it afterwards. munged must be installed: on
//! Debian/Ubuntu `apt-get install munge libmunge-dev`. Missing munged is a test
//! failure, not a skip, so CI cannot go green without exercising libmunge.
#![cfg(feature = "munge")]

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wire::auth::body_hash::{self, HashPolicy};
use wire::auth::munge::Munge;
use wire::auth::{AuthError, CredentialService, RestrictUid};
use wire::version::ProtocolVersion;

/// A munged running in the foreground on a private socket; killed on drop.
struct PrivateMunged {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
}

fn find_munged() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("munged"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "munged not found in PATH or /usr/sbin: these tests need a real MUNGE daemon. \
             Install it (Debian/Ubuntu: `apt-get install munge libmunge-dev`; \
             RHEL: `dnf install munge munge-devel`) or build with --no-default-features \
             to drop the munge backend."
            )
        })
}

impl PrivateMunged {
    fn start(tag: &str) -> Self {
        let munged = find_munged();
        let dir = std::env::temp_dir().join(format!("wire-munge-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        // munged refuses group/world-writable directories
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();

        // A throwaway key: 1024 random bytes, mode 0600, never leaves the temp dir.
        let key = dir.join("munge.key");
        let mut random = vec![0u8; 1024];
        std::io::Read::read_exact(&mut fs::File::open("/dev/urandom").unwrap(), &mut random)
            .unwrap();
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key)
            .unwrap()
            .write_all(&random)
            .unwrap();

        let socket = dir.join("munge.sock");
        let child = Command::new(&munged)
            .arg("--foreground")
            .arg("--force")
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("munged.pid").display()))
            .arg(format!("--seed-file={}", dir.join("munged.seed").display()))
            .arg(format!("--log-file={}", dir.join("munged.log").display()))
            .arg("--num-threads=4")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", munged.display()));
        let mut me = PrivateMunged { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !me.socket.exists() {
            if let Ok(Some(status)) = me.child.try_wait() {
                let log = fs::read_to_string(me.dir.join("munged.log")).unwrap_or_default();
                panic!("munged exited with {status}; log:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "munged did not create its socket in 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        me
    }

    fn client(&self, ttl: Option<u32>) -> Munge {
        let mut info = format!("socket={}", self.socket.display());
        if let Some(t) = ttl {
            info.push_str(&format!(",ttl={t}"));
        }
        Munge::from_auth_info(&info).unwrap()
    }
}

impl Drop for PrivateMunged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Our effective uid/gid, read safely from a file we create.
fn my_ids(dir: &Path) -> (u32, u32) {
    let p = dir.join("whoami");
    fs::write(&p, b"").unwrap();
    let m = fs::metadata(&p).unwrap();
    (m.uid(), m.gid())
}

#[test]
fn encode_decode_identity_and_payload() {
    let d = PrivateMunged::start("roundtrip");
    let m = d.client(None);
    let (uid, gid) = my_ids(&d.dir);

    // payload with NULs and high bytes survives
    let payload = b"\x02\x00binary\x00\xffpayload";
    let cred = m.encode(payload, RestrictUid::Any).unwrap();
    assert!(cred.starts_with("MUNGE:") && cred.ends_with(':'), "{cred}");
    let v = m.decode(&cred).unwrap();
    assert_eq!((v.uid, v.gid), (uid, gid));
    assert_eq!(v.payload, payload);
    assert_eq!(v.ttl, 300, "munged's default TTL");
    let age = v.encoded_at.elapsed().unwrap_or_default();
    assert!(age < Duration::from_secs(5), "{age:?}");

    // empty payload; the wire form with its packstr NUL is accepted too
    let cred = m.encode(b"", RestrictUid::Uid(uid)).unwrap();
    let v = m.decode(&format!("{cred}\0")).unwrap();
    assert!(v.payload.is_empty());
}

#[test]
fn body_hash_through_munge() {
    let d = PrivateMunged::start("bodyhash");
    let m = d.client(None);
    let body = b"\x00\x00\x00\x00\x00\x00\x00\x00";
    let payload = body_hash::compute(body, 2001, ProtocolVersion::V22_05, None);
    let cred = m.encode(&payload, RestrictUid::Any).unwrap();
    let v = m.decode(&cred).unwrap();
    let kind = body_hash::verify(
        &v.payload,
        body,
        2001,
        ProtocolVersion::V22_05,
        HashPolicy::default(),
    );
    assert_eq!(kind, Ok(body_hash::HashKind::K12));
    let err = body_hash::verify(
        &v.payload,
        b"other",
        2001,
        ProtocolVersion::V22_05,
        HashPolicy::default(),
    )
    .map_err(AuthError::from)
    .unwrap_err();
    assert_eq!(err.slurm_errno(), 5003);
}

#[test]
fn uid_restriction_is_enforced() {
    let d = PrivateMunged::start("restrict");
    let m = d.client(None);
    let (uid, _) = my_ids(&d.dir);
    let other = uid.wrapping_add(1);
    let cred = m.encode(b"x", RestrictUid::Uid(other)).unwrap();
    // Upstream refuses to start if munged lets root decode this (auth_munge.c init()).
    let err = m.decode(&cred).unwrap_err();
    assert_eq!(err, AuthError::Unauthorized);
    assert_eq!(err.plugin_errno(), 6000);
    assert_eq!(err.slurm_errno(), 1007);
}

#[test]
fn replay_is_detected() {
    let d = PrivateMunged::start("replay");
    let m = d.client(None);
    let cred = m.encode(b"once", RestrictUid::Any).unwrap();
    m.decode(&cred).unwrap();
    assert_eq!(m.decode(&cred), Err(AuthError::Replayed));
}

#[test]
fn ttl_expiry() {
    let d = PrivateMunged::start("ttl");
    let m = d.client(Some(1));
    let cred = m.encode(b"short-lived", RestrictUid::Any).unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(m.decode(&cred), Err(AuthError::Expired));
    // and the TTL really was carried in the credential
    let v = m.decode(&m.encode(b"", RestrictUid::Any).unwrap()).unwrap();
    assert_eq!(v.ttl, 1);
}

#[test]
fn garbage_and_foreign_credentials_are_invalid() {
    let d = PrivateMunged::start("garbage");
    let m = d.client(None);
    for bad in [
        "",
        "garbage",
        "MUNGE:",
        "MUNGE:AAAA:",
        "MUNGE:x\0y:",
        "FAKECRED:00:00:",
    ] {
        let e = m.decode(bad).unwrap_err();
        assert!(
            matches!(e, AuthError::Invalid(_) | AuthError::BadArgument(_)),
            "{bad:?}: {e:?}"
        );
        assert_eq!(e.slurm_errno(), 1007);
    }
    // flip one base64 character in the middle of a real credential
    let cred = m.encode(b"payload", RestrictUid::Any).unwrap();
    let mut b = cred.into_bytes();
    let i = b.len() / 2;
    b[i] = if b[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(b).unwrap();
    assert!(
        matches!(m.decode(&tampered), Err(AuthError::Invalid(_))),
        "tampered credential accepted"
    );

    // a credential from another cluster (another key)
    let d2 = PrivateMunged::start("garbage2");
    let foreign = d2.client(None).encode(b"x", RestrictUid::Any).unwrap();
    assert!(matches!(m.decode(&foreign), Err(AuthError::Invalid(_))));
}

/// Measures encode+decode round trips, single-threaded and from 4 threads.
/// Run with `--nocapture` to see the numbers.
#[test]
fn munge_throughput() {
    let d = PrivateMunged::start("rate");
    let m = d.client(None);
    let n = 500;
    let start = Instant::now();
    for _ in 0..n {
        let c = m.encode(&[2u8; 33], RestrictUid::Any).unwrap();
        m.decode(&c).unwrap();
    }
    let single = n as f64 / start.elapsed().as_secs_f64();

    let threads = 4;
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..n / threads {
                    let c = m.encode(&[2u8; 33], RestrictUid::Any).unwrap();
                    m.decode(&c).unwrap();
                }
            });
        }
    });
    let multi = n as f64 / start.elapsed().as_secs_f64();
    eprintln!("munge encode+decode: {single:.0}/s on 1 thread, {multi:.0}/s on {threads} threads");
    assert!(single > 10.0);
}
