//! The job credential `slurm_cred_t` (`src/common/slurm_cred.c`: `_pack_cred`,
//! `slurm_cred_pack`, `slurm_cred_unpack`, `slurm_cred_verify`; signature by
//! `src/plugins/cred/munge/cred_munge.c`: `cred_p_sign`, `cred_p_verify_sign`).
//!
//! On the wire a credential is the packed body with **no length prefix**,
//! immediately followed by `mem signature`. The signature is a MUNGE token whose
//! payload is exactly the body bytes, so the body must be kept byte-for-byte as
//! received: [`SignedCredential`] holds those bytes next to the decoded fields.

use crate::auth::{AuthError, CredentialService, RestrictUid};
use crate::errno::SlurmRc;
use crate::msg::common::StepId;
use crate::msg::gres::{self, GresJobState, GresStepState};
use crate::msg::require_22_05;
use crate::pack::{Bitmap, DecodeError, DecodeResult, Packer, Unpacker};
use crate::version::ProtocolVersion;

/// `slurm_cred_arg_t` plus the credential's `ctime`: every field `_pack_cred`
/// sends in 22.05, in wire order.
///
/// The parallel arrays (`cores_per_socket`/`sockets_per_node`/
/// `sock_core_rep_count`, `cpu_array`/`cpu_array_reps`, `job_mem_alloc`/
/// `job_mem_alloc_rep_count`, `step_mem_alloc`/`step_mem_alloc_rep_count`)
/// must have equal lengths; their size field (`core_array_size`,
/// `cpu_array_count`, `job_mem_alloc_size`, `step_mem_alloc_size`) is the
/// length of the first array. Decoding refuses unequal lengths, like upstream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobCredential {
    /// 1 `step_id`.
    pub step_id: StepId,
    /// 2 `uid`.
    pub uid: u32,
    /// 3 `gid`.
    pub gid: u32,
    /// 4 `pw_name`.
    pub pw_name: Option<String>,
    /// 5 `pw_gecos`.
    pub pw_gecos: Option<String>,
    /// 6 `pw_dir`.
    pub pw_dir: Option<String>,
    /// 7 `pw_shell`.
    pub pw_shell: Option<String>,
    /// 8 `gids`.
    pub gids: Vec<u32>,
    /// 9 `gr_names`: empty, or exactly as long as `gids`.
    pub gr_names: Vec<String>,
    /// 10 `job_gres_list` (`gres_job_state_pack`, without details).
    pub job_gres_list: Vec<GresJobState>,
    /// 11 `step_gres_list` (`gres_step_state_pack`).
    pub step_gres_list: Vec<GresStepState>,
    /// 12 `job_core_spec`.
    pub job_core_spec: u16,
    /// 13 `job_account`.
    pub job_account: Option<String>,
    /// 14 `job_alias_list`.
    pub job_alias_list: Option<String>,
    /// 15 `job_comment`.
    pub job_comment: Option<String>,
    /// 16 `job_constraints`.
    pub job_constraints: Option<String>,
    /// 17 `job_partition`.
    pub job_partition: Option<String>,
    /// 18 `job_reservation`.
    pub job_reservation: Option<String>,
    /// 19 `job_restart_cnt`.
    pub job_restart_cnt: u16,
    /// 20 `job_std_err`.
    pub job_std_err: Option<String>,
    /// 21 `job_std_in`.
    pub job_std_in: Option<String>,
    /// 22 `job_std_out`.
    pub job_std_out: Option<String>,
    /// 23 `step_hostlist`.
    pub step_hostlist: Option<String>,
    /// 24 `x11` (`X11_FORWARD_*` flags).
    pub x11: u16,
    /// 25 `ctime`: when the credential was packed; expiry and replay
    /// detection key on it.
    pub ctime: i64,
    /// 26 `tot_core_cnt`: upstream sends the size of `job_core_bitmap` (0 when
    /// absent) and ignores it on receipt; kept so re-encoding is exact.
    pub tot_core_cnt: u32,
    /// 27 `job_core_bitmap`: cores of the whole job across its nodes.
    pub job_core_bitmap: Option<Bitmap>,
    /// 28 `step_core_bitmap`.
    pub step_core_bitmap: Option<Bitmap>,
    /// 30 `cores_per_socket` (29 `core_array_size` is its length).
    pub cores_per_socket: Vec<u16>,
    /// 31 `sockets_per_node`.
    pub sockets_per_node: Vec<u16>,
    /// 32 `sock_core_rep_count`.
    pub sock_core_rep_count: Vec<u32>,
    /// 34 `cpu_array` (33 `cpu_array_count` is its length).
    pub cpu_array: Vec<u16>,
    /// 35 `cpu_array_reps`.
    pub cpu_array_reps: Vec<u32>,
    /// 36 `job_nhosts`.
    pub job_nhosts: u32,
    /// 37 `job_ntasks`.
    pub job_ntasks: u32,
    /// 38 `job_hostlist`.
    pub job_hostlist: Option<String>,
    /// 40 `job_mem_alloc` (MB; 39 `job_mem_alloc_size` is its length).
    pub job_mem_alloc: Vec<u64>,
    /// 41 `job_mem_alloc_rep_count`.
    pub job_mem_alloc_rep_count: Vec<u32>,
    /// 43 `step_mem_alloc` (42 `step_mem_alloc_size` is its length).
    pub step_mem_alloc: Vec<u64>,
    /// 44 `step_mem_alloc_rep_count`.
    pub step_mem_alloc_rep_count: Vec<u32>,
    /// 45 `selinux_context`.
    pub selinux_context: Option<String>,
}

fn same_len(field: &'static str, want: usize, got: usize) -> DecodeResult<()> {
    if want == got {
        Ok(())
    } else {
        Err(DecodeError::InvalidValue {
            field,
            value: got as u64,
        })
    }
}

impl JobCredential {
    /// Packs the credential body as `_pack_cred` does for `version` (the
    /// destination's `cred_version`). Only the 22.05 layout is produced.
    pub fn pack(&self, p: &mut Packer, version: ProtocolVersion) {
        let _ = version; // one layout today; older ones are refused on decode
        self.step_id.pack(p);
        p.u32(self.uid);
        p.u32(self.gid);
        p.str(self.pw_name.as_deref());
        p.str(self.pw_gecos.as_deref());
        p.str(self.pw_dir.as_deref());
        p.str(self.pw_shell.as_deref());
        p.u32_array(&self.gids);
        p.str_array(&self.gr_names);
        gres::pack_list(p, &self.job_gres_list, GresJobState::pack);
        gres::pack_list(p, &self.step_gres_list, GresStepState::pack);
        p.u16(self.job_core_spec);
        p.str(self.job_account.as_deref());
        p.str(self.job_alias_list.as_deref());
        p.str(self.job_comment.as_deref());
        p.str(self.job_constraints.as_deref());
        p.str(self.job_partition.as_deref());
        p.str(self.job_reservation.as_deref());
        p.u16(self.job_restart_cnt);
        p.str(self.job_std_err.as_deref());
        p.str(self.job_std_in.as_deref());
        p.str(self.job_std_out.as_deref());
        p.str(self.step_hostlist.as_deref());
        p.u16(self.x11);
        p.time(self.ctime);
        p.u32(self.tot_core_cnt);
        p.bitmap(self.job_core_bitmap.as_ref());
        p.bitmap(self.step_core_bitmap.as_ref());
        p.u16(self.cores_per_socket.len() as u16);
        if !self.cores_per_socket.is_empty() {
            p.u16_array(&self.cores_per_socket);
            p.u16_array(&self.sockets_per_node);
            p.u32_array(&self.sock_core_rep_count);
        }
        p.u32(self.cpu_array.len() as u32);
        if !self.cpu_array.is_empty() {
            p.u16_array(&self.cpu_array);
            p.u32_array(&self.cpu_array_reps);
        }
        p.u32(self.job_nhosts);
        p.u32(self.job_ntasks);
        p.str(self.job_hostlist.as_deref());
        p.u32(self.job_mem_alloc.len() as u32);
        if !self.job_mem_alloc.is_empty() {
            p.u64_array(&self.job_mem_alloc);
            p.u32_array(&self.job_mem_alloc_rep_count);
        }
        p.u32(self.step_mem_alloc.len() as u32);
        if !self.step_mem_alloc.is_empty() {
            p.u64_array(&self.step_mem_alloc);
            p.u32_array(&self.step_mem_alloc_rep_count);
        }
        p.str(self.selinux_context.as_deref());
    }

    /// The exact bytes that get signed: the packed body alone.
    pub fn pack_body(&self, version: ProtocolVersion) -> Vec<u8> {
        let mut p = Packer::new();
        self.pack(&mut p, version);
        p.as_slice().to_vec()
    }

    /// Reads a credential body (22.05 layout only).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        require_22_05(version)?;
        let mut c = JobCredential {
            step_id: StepId::unpack(u)?,
            uid: u.u32("cred.uid")?,
            gid: u.u32("cred.gid")?,
            pw_name: u.str("cred.pw_name")?,
            pw_gecos: u.str("cred.pw_gecos")?,
            pw_dir: u.str("cred.pw_dir")?,
            pw_shell: u.str("cred.pw_shell")?,
            gids: u.u32_array("cred.gids")?,
            gr_names: u.str_array("cred.gr_names")?,
            ..Default::default()
        };
        if !c.gr_names.is_empty() {
            same_len("cred.gr_names", c.gids.len(), c.gr_names.len())?;
        }
        c.job_gres_list = gres::unpack_list(u, "cred.job_gres_list", GresJobState::unpack)?;
        c.step_gres_list = gres::unpack_list(u, "cred.step_gres_list", GresStepState::unpack)?;
        c.job_core_spec = u.u16("cred.job_core_spec")?;
        c.job_account = u.str("cred.job_account")?;
        c.job_alias_list = u.str("cred.job_alias_list")?;
        c.job_comment = u.str("cred.job_comment")?;
        c.job_constraints = u.str("cred.job_constraints")?;
        c.job_partition = u.str("cred.job_partition")?;
        c.job_reservation = u.str("cred.job_reservation")?;
        c.job_restart_cnt = u.u16("cred.job_restart_cnt")?;
        c.job_std_err = u.str("cred.job_std_err")?;
        c.job_std_in = u.str("cred.job_std_in")?;
        c.job_std_out = u.str("cred.job_std_out")?;
        c.step_hostlist = u.str("cred.step_hostlist")?;
        c.x11 = u.u16("cred.x11")?;
        c.ctime = u.time("cred.ctime")?;
        c.tot_core_cnt = u.u32("cred.tot_core_cnt")?;
        c.job_core_bitmap = u.bitmap("cred.job_core_bitmap")?;
        c.step_core_bitmap = u.bitmap("cred.step_core_bitmap")?;
        let n = u.u16("cred.core_array_size")? as usize;
        if n > 0 {
            c.cores_per_socket = u.u16_array("cred.cores_per_socket")?;
            same_len("cred.cores_per_socket", n, c.cores_per_socket.len())?;
            c.sockets_per_node = u.u16_array("cred.sockets_per_node")?;
            same_len("cred.sockets_per_node", n, c.sockets_per_node.len())?;
            c.sock_core_rep_count = u.u32_array("cred.sock_core_rep_count")?;
            same_len("cred.sock_core_rep_count", n, c.sock_core_rep_count.len())?;
        }
        let n = u.u32("cred.cpu_array_count")? as usize;
        if n > 0 {
            c.cpu_array = u.u16_array("cred.cpu_array")?;
            same_len("cred.cpu_array", n, c.cpu_array.len())?;
            c.cpu_array_reps = u.u32_array("cred.cpu_array_reps")?;
            same_len("cred.cpu_array_reps", n, c.cpu_array_reps.len())?;
        }
        c.job_nhosts = u.u32("cred.job_nhosts")?;
        c.job_ntasks = u.u32("cred.job_ntasks")?;
        c.job_hostlist = u.str("cred.job_hostlist")?;
        let n = u.u32("cred.job_mem_alloc_size")? as usize;
        if n > 0 {
            c.job_mem_alloc = u.u64_array("cred.job_mem_alloc")?;
            same_len("cred.job_mem_alloc", n, c.job_mem_alloc.len())?;
            c.job_mem_alloc_rep_count = u.u32_array("cred.job_mem_alloc_rep_count")?;
            same_len(
                "cred.job_mem_alloc_rep_count",
                n,
                c.job_mem_alloc_rep_count.len(),
            )?;
        }
        let n = u.u32("cred.step_mem_alloc_size")? as usize;
        if n > 0 {
            c.step_mem_alloc = u.u64_array("cred.step_mem_alloc")?;
            same_len("cred.step_mem_alloc", n, c.step_mem_alloc.len())?;
            c.step_mem_alloc_rep_count = u.u32_array("cred.step_mem_alloc_rep_count")?;
            same_len(
                "cred.step_mem_alloc_rep_count",
                n,
                c.step_mem_alloc_rep_count.len(),
            )?;
        }
        c.selinux_context = u.str("cred.selinux_context")?;
        Ok(c)
    }
}

/// Why a job credential was refused (the checks of `slurm_cred_verify` and
/// `cred_p_verify_sign`). [`CredError::slurm_rc`] gives the code slurmd
/// answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredError {
    /// No signature at all (cred/none senders); slurmd with cred/munge refuses it.
    #[error("job credential is not signed")]
    Unsigned,
    /// The signature is not a usable MUNGE token (bad bytes, decode failure,
    /// wrong key, expired token).
    #[error("job credential signature invalid: {0}")]
    BadSignature(AuthError),
    /// MUNGE says the token was already decoded on this node. Upstream
    /// tolerates a MUNGE-level replay (`replay_okay`) and relies on its own
    /// (step id, ctime) cache; a [`CredentialService`] cannot return the payload
    /// of a replayed token, so this is reported instead.
    #[error("job credential signature replayed")]
    SignatureReplayed,
    /// Signed by someone other than SlurmUser or root (`ESIG_BAD_USERID`).
    #[error("job credential signed by uid {uid}, not SlurmUser or root")]
    BadSigner {
        /// The uid MUNGE reports as the encoder.
        uid: u32,
    },
    /// The signed payload is not the body's length (`ESIG_BUF_SIZE_MISMATCH`).
    #[error("signed payload is {signed} bytes, credential body is {body}")]
    SizeMismatch {
        /// Payload length.
        signed: usize,
        /// Body length.
        body: usize,
    },
    /// The signed payload differs from the body (`ESIG_BUF_DATA_MISMATCH`).
    #[error("signed payload differs from the credential body")]
    DataMismatch,
    /// `now > ctime + expiry window` (`ESLURMD_CREDENTIAL_EXPIRED`).
    #[error("job credential expired")]
    Expired,
    /// The job's credentials were revoked at or after `ctime`
    /// (`ESLURMD_CREDENTIAL_REVOKED`; slurmd's job-state cache decides).
    #[error("job credential revoked")]
    Revoked,
    /// A credential with this step id and ctime was already used
    /// (`ESLURMD_CREDENTIAL_REPLAYED`; slurmd's cred-state cache decides).
    #[error("job credential replayed")]
    Replayed,
}

impl CredError {
    /// The error code slurmd reports for this refusal: every signature
    /// failure leaves the credential unverified, which `slurm_cred_verify`
    /// reports as `ESLURMD_INVALID_JOB_CREDENTIAL`.
    pub fn slurm_rc(&self) -> SlurmRc {
        match self {
            CredError::Expired => SlurmRc::ESLURMD_CREDENTIAL_EXPIRED,
            CredError::Revoked => SlurmRc::ESLURMD_CREDENTIAL_REVOKED,
            CredError::Replayed => SlurmRc::ESLURMD_CREDENTIAL_REPLAYED,
            _ => SlurmRc::ESLURMD_INVALID_JOB_CREDENTIAL,
        }
    }
}

/// A job credential as it travels: the body bytes exactly as packed (what the
/// signature covers), the decoded fields, and the signature (`mem`; the MUNGE
/// token's text plus its NUL, or None when unsigned, as 22.05 kill-job
/// credentials are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCredential {
    /// The packed body, byte-exact.
    pub body: Vec<u8>,
    /// The decoded body.
    pub credential: JobCredential,
    /// `signature`, including the trailing NUL upstream sends.
    pub signature: Option<Vec<u8>>,
}

impl SignedCredential {
    /// A credential without signature (upstream packs `mem` length 0).
    pub fn unsigned(credential: JobCredential, version: ProtocolVersion) -> Self {
        SignedCredential {
            body: credential.pack_body(version),
            credential,
            signature: None,
        }
    }

    /// Packs and signs `credential` like `_cred_sign`/`cred_p_sign`: MUNGE
    /// payload = body bytes, restricted to `restrict` (upstream: SlurmdUser).
    pub fn sign(
        credential: JobCredential,
        version: ProtocolVersion,
        cred_service: &dyn CredentialService,
        restrict: RestrictUid,
    ) -> Result<Self, AuthError> {
        let body = credential.pack_body(version);
        let token = cred_service.encode(&body, restrict)?;
        let mut signature = token.into_bytes();
        signature.push(0);
        Ok(SignedCredential {
            body,
            credential,
            signature: Some(signature),
        })
    }

    /// Checks the signature like `cred_p_verify_sign`: the token decodes, its
    /// encoder is one of `allowed_signer_uids` (SlurmUser and root), and its
    /// payload equals the body bytes.
    pub fn verify(
        &self,
        cred_service: &dyn CredentialService,
        allowed_signer_uids: &[u32],
    ) -> Result<(), CredError> {
        let sig = self.signature.as_deref().ok_or(CredError::Unsigned)?;
        let text = sig.strip_suffix(&[0]).unwrap_or(sig);
        let text = std::str::from_utf8(text).map_err(|_| {
            CredError::BadSignature(AuthError::Invalid("signature is not text".into()))
        })?;
        let v = cred_service.decode(text).map_err(|e| match e {
            AuthError::Replayed => CredError::SignatureReplayed,
            other => CredError::BadSignature(other),
        })?;
        if !allowed_signer_uids.contains(&v.uid) {
            return Err(CredError::BadSigner { uid: v.uid });
        }
        if v.payload.len() != self.body.len() {
            return Err(CredError::SizeMismatch {
                signed: v.payload.len(),
                body: self.body.len(),
            });
        }
        if v.payload != self.body {
            return Err(CredError::DataMismatch);
        }
        Ok(())
    }

    /// `slurm_cred_verify`'s age check: expired when `now > ctime + expiry_window`
    /// (slurm.conf `AuthInfo cred_expire=`, default 120 s).
    pub fn check_expiry(&self, now: i64, expiry_window: i64) -> Result<(), CredError> {
        if now > self.credential.ctime.saturating_add(expiry_window) {
            Err(CredError::Expired)
        } else {
            Ok(())
        }
    }

    /// `slurm_cred_pack`: the body bytes verbatim, then `mem signature`.
    pub fn pack(&self, p: &mut Packer) {
        p.raw(&self.body);
        p.mem(self.signature.as_deref());
    }

    /// `slurm_cred_unpack` at the credential's `version`.
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        let start = u.rest();
        let before = u.remaining();
        let credential = JobCredential::unpack(u, version)?;
        let body = start[..before - u.remaining()].to_vec();
        let signature = u.mem("cred.signature")?.map(<[u8]>::to_vec);
        Ok(SignedCredential {
            body,
            credential,
            signature,
        })
    }
}
