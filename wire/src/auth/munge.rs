//! The real MUNGE backend over libmunge (`munge-sys`), as auth/munge and
//! cred/munge use it (`auth_p_create`, `_decode_cred` in
//! `src/plugins/auth/munge/auth_munge.c`; `cred_p_sign`, `cred_p_verify_sign` in
//! `src/plugins/cred/munge/cred_munge.c`).
//!
//! All `unsafe` of the crate's MUNGE use lives in this file.
//!
//! Thread safety: a `munge_ctx_t` must not be used by two threads at once, so
//! every call creates its own context and destroys it before returning. That
//! costs one small allocation next to a Unix-socket round trip to munged, and
//! unlike one mutex-guarded context it lets threads talk to munged in parallel.
//! Measured on a 2-core machine: context create + set socket + destroy is about
//! 150 ns, while one encode+decode pair through munged is 100-200 µs (5-10k
//! pairs/s on one thread, about 9-11k/s from 4 threads; `munge_throughput` in
//! `tests/munge.rs`), so the per-call context is noise and a shared, locked one
//! would only serialise callers.
//!
//! Unlike upstream this module does not retry `EMUNGE_SOCKET` (upstream retries
//! 20 times, 100 ms apart): sleeping belongs to the daemon, which sees
//! [`AuthError::SocketUnreachable`] and can retry.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr;
use std::time::{Duration, UNIX_EPOCH};

use munge_sys as sys;

use super::{AuthError, AuthInfo, CredentialService, RestrictUid, VerifiedCredential};

extern "C" {
    // libmunge hands out buffers from malloc() that the caller must free()
    // (munge.h: "the caller is responsible for freeing").
    fn free(p: *mut c_void);
}

/// `MUNGE_UID_ANY`: no uid restriction.
const MUNGE_UID_ANY: sys::uid_t = sys::uid_t::MAX;

/// A MUNGE client configured from slurm.conf's `AuthInfo`.
#[derive(Debug, Clone, Default)]
pub struct Munge {
    socket: Option<CString>,
    ttl: Option<u32>,
}

impl Munge {
    /// A client using `socket` (None = libmunge's default) and `ttl` seconds
    /// (None = munged's default).
    pub fn new(socket: Option<&str>, ttl: Option<u32>) -> Result<Self, AuthError> {
        let socket = socket
            .map(|s| {
                CString::new(s).map_err(|_| AuthError::BadArgument("NUL in socket path".into()))
            })
            .transpose()?;
        // munge takes the TTL as an int
        let ttl = ttl.filter(|&t| t > 0).map(|t| t.min(i32::MAX as u32));
        Ok(Munge { socket, ttl })
    }

    /// A client configured from an `AuthInfo` value (see [`AuthInfo::parse`]).
    pub fn from_auth_info(auth_info: &str) -> Result<Self, AuthError> {
        let info = AuthInfo::parse(auth_info);
        Self::new(info.socket.as_deref(), info.ttl)
    }

    /// The socket path in use, if not libmunge's default.
    pub fn socket(&self) -> Option<&str> {
        self.socket.as_ref().and_then(|s| s.to_str().ok())
    }

    /// The TTL put on encoded credentials, if not munged's default.
    pub fn ttl(&self) -> Option<u32> {
        self.ttl
    }

    fn socket_display(&self) -> String {
        self.socket().unwrap_or("").to_owned()
    }
}

/// Owns a `munge_ctx_t` for the duration of one call and destroys it on drop,
/// including on early returns.
struct Ctx(sys::munge_ctx_t);

impl Ctx {
    fn new(m: &Munge) -> Result<Ctx, AuthError> {
        // SAFETY: no preconditions; returns NULL on allocation failure.
        let raw = unsafe { sys::munge_ctx_create() };
        if raw.is_null() {
            return Err(AuthError::Other {
                code: sys::munge_err_EMUNGE_NO_MEMORY,
                detail: "munge_ctx_create failed".into(),
            });
        }
        let ctx = Ctx(raw);
        if let Some(sock) = &m.socket {
            // SAFETY: ctx is live; MUNGE_OPT_SOCKET takes a `const char *`, which
            // libmunge copies, so `sock` only has to outlive this call.
            let e = unsafe {
                sys::munge_ctx_set(
                    ctx.0,
                    sys::munge_opt_MUNGE_OPT_SOCKET as c_int,
                    sock.as_ptr(),
                )
            };
            ctx.check(e, m)?;
        }
        Ok(ctx)
    }

    /// Maps a `munge_err_t` to our error, with munge's message for this context.
    fn check(&self, e: sys::munge_err_t, m: &Munge) -> Result<(), AuthError> {
        if e == sys::munge_err_EMUNGE_SUCCESS {
            return Ok(());
        }
        // SAFETY: ctx is live; the returned string (possibly NULL) is owned by
        // the context and copied here before the context can be destroyed.
        let msg = unsafe {
            let p = sys::munge_ctx_strerror(self.0);
            let p = if p.is_null() {
                sys::munge_strerror(e)
            } else {
                p
            };
            if p.is_null() {
                String::new()
            } else {
                CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        };
        Err(map_err(e, msg, m))
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: self.0 came from munge_ctx_create, is non-NULL and is destroyed
        // exactly once, here.
        unsafe { sys::munge_ctx_destroy(self.0) }
    }
}

fn map_err(e: sys::munge_err_t, detail: String, m: &Munge) -> AuthError {
    match e {
        sys::munge_err_EMUNGE_CRED_EXPIRED => AuthError::Expired,
        sys::munge_err_EMUNGE_CRED_REWOUND => AuthError::Rewound,
        sys::munge_err_EMUNGE_CRED_REPLAYED => AuthError::Replayed,
        sys::munge_err_EMUNGE_CRED_UNAUTHORIZED => AuthError::Unauthorized,
        sys::munge_err_EMUNGE_SOCKET | sys::munge_err_EMUNGE_TIMEOUT => {
            AuthError::SocketUnreachable {
                socket: m.socket_display(),
                detail,
            }
        }
        sys::munge_err_EMUNGE_BAD_ARG | sys::munge_err_EMUNGE_BAD_LENGTH => {
            AuthError::BadArgument(detail)
        }
        sys::munge_err_EMUNGE_BAD_CRED
        | sys::munge_err_EMUNGE_BAD_VERSION
        | sys::munge_err_EMUNGE_BAD_CIPHER
        | sys::munge_err_EMUNGE_BAD_MAC
        | sys::munge_err_EMUNGE_BAD_ZIP
        | sys::munge_err_EMUNGE_BAD_REALM
        | sys::munge_err_EMUNGE_CRED_INVALID => AuthError::Invalid(detail),
        code => AuthError::Other { code, detail },
    }
}

/// Frees a malloc()ed pointer from libmunge when dropped (NULL is fine).
struct MallocGuard(*mut c_void);

impl Drop for MallocGuard {
    fn drop(&mut self) {
        // SAFETY: the pointer is NULL or was malloc()ed by libmunge and handed to
        // us; it is freed exactly once, here.
        unsafe { free(self.0) }
    }
}

impl CredentialService for Munge {
    fn encode(&self, payload: &[u8], restrict_uid: RestrictUid) -> Result<String, AuthError> {
        let len = c_int::try_from(payload.len())
            .map_err(|_| AuthError::BadArgument(format!("payload of {} bytes", payload.len())))?;
        let ctx = Ctx::new(self)?;
        let r_uid: sys::uid_t = match restrict_uid {
            RestrictUid::Any => MUNGE_UID_ANY,
            RestrictUid::Uid(u) => u,
        };
        // SAFETY: ctx is live; MUNGE_OPT_UID_RESTRICTION reads a uid_t vararg.
        let e = unsafe {
            sys::munge_ctx_set(
                ctx.0,
                sys::munge_opt_MUNGE_OPT_UID_RESTRICTION as c_int,
                r_uid,
            )
        };
        ctx.check(e, self)?;
        if let Some(ttl) = self.ttl {
            // SAFETY: ctx is live; MUNGE_OPT_TTL reads an int vararg (ttl <= i32::MAX).
            let e = unsafe {
                sys::munge_ctx_set(ctx.0, sys::munge_opt_MUNGE_OPT_TTL as c_int, ttl as c_int)
            };
            ctx.check(e, self)?;
        }
        let mut cred: *mut c_char = ptr::null_mut();
        let buf = if payload.is_empty() {
            ptr::null()
        } else {
            payload.as_ptr().cast::<c_void>()
        };
        // SAFETY: ctx is live; `buf` points at `len` readable bytes (or is NULL
        // with len 0); on success `cred` receives a malloc()ed NUL-terminated string.
        let e = unsafe { sys::munge_encode(&mut cred, ctx.0, buf, len) };
        let _owned = MallocGuard(cred.cast());
        ctx.check(e, self)?;
        if cred.is_null() {
            return Err(AuthError::Other {
                code: e,
                detail: "munge_encode returned no credential".into(),
            });
        }
        // SAFETY: cred is a NUL-terminated string from munge_encode, alive until
        // `_owned` drops at the end of this function.
        let s = unsafe { CStr::from_ptr(cred) };
        // MUNGE credentials are base64 between "MUNGE:" and ":", so always ASCII.
        s.to_str()
            .map(str::to_owned)
            .map_err(|_| AuthError::Invalid("munge_encode returned non-UTF-8".into()))
    }

    fn decode(&self, cred: &str) -> Result<VerifiedCredential, AuthError> {
        // The wire string's trailing NUL is the packstr terminator; anything with
        // an interior NUL cannot be a credential (and would be truncated by C).
        let cred = cred.strip_suffix('\0').unwrap_or(cred);
        let c_cred =
            CString::new(cred).map_err(|_| AuthError::Invalid("NUL inside credential".into()))?;
        let ctx = Ctx::new(self)?;
        let mut buf: *mut c_void = ptr::null_mut();
        let mut len: c_int = 0;
        let mut uid: sys::uid_t = 0;
        let mut gid: sys::gid_t = 0;
        // SAFETY: ctx is live, c_cred is NUL-terminated and outlives the call; all
        // out-pointers are valid. libmunge may allocate `buf` even on failure
        // (expired/rewound/replayed return the payload), so it is always freed.
        let e = unsafe {
            sys::munge_decode(
                c_cred.as_ptr(),
                ctx.0,
                &mut buf,
                &mut len,
                &mut uid,
                &mut gid,
            )
        };
        let _owned = MallocGuard(buf);
        ctx.check(e, self)?;
        let payload = match usize::try_from(len) {
            Ok(n) if n > 0 && !buf.is_null() => {
                // SAFETY: on success buf holds `len` bytes from munge_decode,
                // alive until `_owned` drops.
                unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), n) }.to_vec()
            }
            _ => Vec::new(),
        };
        let mut encoded: sys::time_t = 0;
        // SAFETY: ctx is live after a decode; MUNGE_OPT_ENCODE_TIME writes a time_t.
        let e = unsafe {
            sys::munge_ctx_get(
                ctx.0,
                sys::munge_opt_MUNGE_OPT_ENCODE_TIME as c_int,
                &mut encoded as *mut sys::time_t,
            )
        };
        ctx.check(e, self)?;
        let mut ttl: c_int = 0;
        // SAFETY: as above; MUNGE_OPT_TTL writes an int.
        let e = unsafe {
            sys::munge_ctx_get(
                ctx.0,
                sys::munge_opt_MUNGE_OPT_TTL as c_int,
                &mut ttl as *mut c_int,
            )
        };
        ctx.check(e, self)?;
        // MUNGE_OPT_ADDR4 writes a `struct in_addr` (network-order u32): the
        // IPv4 address of the host whose munged encoded the credential.
        let mut addr4: u32 = 0;
        // SAFETY: ctx is live after a decode; MUNGE_OPT_ADDR4 writes 4 bytes.
        let e = unsafe {
            sys::munge_ctx_get(
                ctx.0,
                sys::munge_opt_MUNGE_OPT_ADDR4 as c_int,
                &mut addr4 as *mut u32,
            )
        };
        ctx.check(e, self)?;
        let origin = (addr4 != 0).then(|| std::net::Ipv4Addr::from(addr4.to_ne_bytes()));
        let encoded_at = if encoded >= 0 {
            UNIX_EPOCH + Duration::from_secs(encoded.unsigned_abs())
        } else {
            UNIX_EPOCH
        };
        Ok(VerifiedCredential {
            origin,
            uid,
            gid,
            payload,
            encoded_at,
            ttl: u32::try_from(ttl).unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_from_auth_info() {
        let m = Munge::from_auth_info("socket=/tmp/x.sock,ttl=60").unwrap();
        assert_eq!(m.socket(), Some("/tmp/x.sock"));
        assert_eq!(m.ttl(), Some(60));
        let m = Munge::from_auth_info("").unwrap();
        assert_eq!((m.socket(), m.ttl()), (None, None));
        assert!(matches!(
            Munge::new(Some("a\0b"), None),
            Err(AuthError::BadArgument(_))
        ));
    }

    #[test]
    fn unreachable_socket_is_typed() {
        let m = Munge::new(Some("/nonexistent/munge.sock"), None).unwrap();
        match m.encode(b"x", RestrictUid::Any) {
            Err(AuthError::SocketUnreachable { socket, .. }) => {
                assert_eq!(socket, "/nonexistent/munge.sock")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            m.decode("MUNGE:x\0y:"),
            Err(AuthError::Invalid(_))
        ));
    }
}
