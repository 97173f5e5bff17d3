//! `scontrol suspend/resume` (REQUEST_SUSPEND) and `scontrol top`
//! (REQUEST_TOP_JOB): both carry `u16 op · u32 job_id · str job_id_str`.

use crate::pack::{DecodeResult, Packer, Unpacker};

/// `op` of REQUEST_SUSPEND (`enum suspend_opts`).
pub mod suspend_op {
    /// SUSPEND_JOB.
    pub const SUSPEND: u16 = 0;
    /// RESUME_JOB.
    pub const RESUME: u16 = 1;
}

/// The body of REQUEST_SUSPEND and REQUEST_TOP_JOB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOp {
    /// [`suspend_op`] for a suspend request; unused (0) for top.
    pub op: u16,
    /// Job id (NO_VAL when `job_id_str` names the jobs).
    pub job_id: u32,
    /// Job id expression, e.g. `12`, `12_3`, or for top `12,13_[1-2]`.
    pub job_id_str: Option<String>,
}

impl JobOp {
    /// Packs the body.
    pub fn pack(&self, p: &mut Packer) {
        p.u16(self.op);
        p.u32(self.job_id);
        p.str(self.job_id_str.as_deref());
    }

    /// Reads the body.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<JobOp> {
        Ok(JobOp {
            op: u.u16("job_op.op")?,
            job_id: u.u32("job_op.job_id")?,
            job_id_str: u.str("job_op.job_id_str")?,
        })
    }
}

/// REQUEST_SUSPEND_INT: the controller tells a node daemon to stop or
/// continue a job's steps (`u8 indf_susp · u16 job_core_spec · u32 job_id ·
/// u16 op`, then switch data, none for switch/none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspendInt {
    /// Suspended by an operator (not by gang scheduling).
    pub indf_susp: bool,
    /// The job's core specialization (NO_VAL16 = none).
    pub job_core_spec: u16,
    /// Job id.
    pub job_id: u32,
    /// [`suspend_op`].
    pub op: u16,
}

impl SuspendInt {
    /// Packs the body.
    pub fn pack(&self, p: &mut Packer) {
        p.u8(u8::from(self.indf_susp));
        p.u16(self.job_core_spec);
        p.u32(self.job_id);
        p.u16(self.op);
    }

    /// Reads the body.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<SuspendInt> {
        Ok(SuspendInt {
            indf_susp: u.u8("suspend_int.indf_susp")? != 0,
            job_core_spec: u.u16("suspend_int.job_core_spec")?,
            job_id: u.u32("suspend_int.job_id")?,
            op: u.u16("suspend_int.op")?,
        })
    }
}
