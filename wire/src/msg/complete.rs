//! Job/step completion and termination messages between slurmctld, slurmd and
//! slurmstepd (`src/common/slurm_protocol_pack.c`).

use crate::msg::common::{SelectJobInfo, StepId};
use crate::msg::cred::SignedCredential;
use crate::msg::gres::{self, GresJobAlloc};
use crate::msg::jobacct::JobAcctInfo;
use crate::msg::require_22_05;
use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker};
use crate::version::ProtocolVersion;

/// REQUEST_COMPLETE_BATCH_SCRIPT body (`complete_batch_script_msg_t`,
/// `_pack_complete_batch_script_msg`), sent by the batch step's slurmstepd.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompleteBatchScript {
    /// `jobacct`.
    pub jobacct: Option<JobAcctInfo>,
    /// `job_id`.
    pub job_id: u32,
    /// `job_rc`: the script's wait status.
    pub job_rc: u32,
    /// `slurm_rc`: launch failure code, 0 on success.
    pub slurm_rc: u32,
    /// `user_id`.
    pub user_id: u32,
    /// `node_name`.
    pub node_name: Option<String>,
}

impl CompleteBatchScript {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        JobAcctInfo::pack(self.jobacct.as_ref(), p);
        p.u32(self.job_id);
        p.u32(self.job_rc);
        p.u32(self.slurm_rc);
        p.u32(self.user_id);
        p.str(self.node_name.as_deref());
    }

    /// Reads it (the jobacct block needs 21.08+ when present).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        Ok(CompleteBatchScript {
            jobacct: JobAcctInfo::unpack(u, version)?,
            job_id: u.u32("complete_batch.job_id")?,
            job_rc: u.u32("complete_batch.job_rc")?,
            slurm_rc: u.u32("complete_batch.slurm_rc")?,
            user_id: u.u32("complete_batch.user_id")?,
            node_name: u.str("complete_batch.node_name")?,
        })
    }
}

/// REQUEST_STEP_COMPLETE body (`step_complete_msg_t`, `_pack_step_complete_msg`):
/// the nodes `range_first..=range_last` (ranks in the step's reverse tree) are done.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepComplete {
    /// `step_id`.
    pub step_id: StepId,
    /// `range_first`.
    pub range_first: u32,
    /// `range_last`.
    pub range_last: u32,
    /// `step_rc`: highest exit code of the range.
    pub step_rc: u32,
    /// `jobacct`.
    pub jobacct: Option<JobAcctInfo>,
}

impl StepComplete {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        self.step_id.pack(p);
        p.u32(self.range_first);
        p.u32(self.range_last);
        p.u32(self.step_rc);
        JobAcctInfo::pack(self.jobacct.as_ref(), p);
    }

    /// Reads it (the jobacct block needs 21.08+ when present).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        Ok(StepComplete {
            step_id: StepId::unpack(u)?,
            range_first: u.u32("step_complete.range_first")?,
            range_last: u.u32("step_complete.range_last")?,
            step_rc: u.u32("step_complete.step_rc")?,
            jobacct: JobAcctInfo::unpack(u, version)?,
        })
    }
}

/// REQUEST_TERMINATE_JOB / REQUEST_KILL_TIMELIMIT / REQUEST_ABORT_JOB /
/// REQUEST_KILL_PREEMPTED body (`kill_job_msg_t`, `_pack_kill_job_msg`, 22.05).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KillJob {
    /// `cred` (`u8 has_cred` first); packed at the message's version, and
    /// unsigned in 22.05 (slurmd only reads the user/GRES data from it).
    pub cred: Option<SignedCredential>,
    /// `details`: reason text for the epilog environment.
    pub details: Option<String>,
    /// `derived_ec`.
    pub derived_ec: u32,
    /// `exit_code`.
    pub exit_code: u32,
    /// `job_gres_info` (`gres_job_alloc_pack`; u16 0 when none).
    pub job_gres_info: Vec<GresJobAlloc>,
    /// `step_id` (step_id NO_VAL = the whole job).
    pub step_id: StepId,
    /// `het_job_id`.
    pub het_job_id: u32,
    /// `job_state` (`JOB_*` base state and flags).
    pub job_state: u32,
    /// `job_uid`.
    pub job_uid: u32,
    /// `job_gid`.
    pub job_gid: u32,
    /// `nodes`.
    pub nodes: Option<String>,
    /// `select_jobinfo`.
    pub select_jobinfo: SelectJobInfo,
    /// `spank_job_env`.
    pub spank_job_env: Vec<String>,
    /// `start_time`.
    pub start_time: i64,
    /// `time`: when the request was sent.
    pub time: i64,
    /// `work_dir`.
    pub work_dir: Option<String>,
}

impl KillJob {
    /// Packs it (22.05 layout).
    pub fn pack(&self, p: &mut Packer) {
        match &self.cred {
            None => p.u8(0),
            Some(c) => {
                p.u8(1);
                c.pack(p);
            }
        }
        p.str(self.details.as_deref());
        p.u32(self.derived_ec);
        p.u32(self.exit_code);
        gres::pack_list(p, &self.job_gres_info, GresJobAlloc::pack);
        self.step_id.pack(p);
        p.u32(self.het_job_id);
        p.u32(self.job_state);
        p.u32(self.job_uid);
        p.u32(self.job_gid);
        p.str(self.nodes.as_deref());
        self.select_jobinfo.pack(p);
        p.str_array(&self.spank_job_env);
        p.time(self.start_time);
        p.time(self.time);
        p.str(self.work_dir.as_deref());
    }

    /// Reads it (22.05 layout only).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        require_22_05(version)?;
        let cred = match u.u8("kill_job.has_cred")? {
            0 => None,
            1 => Some(SignedCredential::unpack(u, version)?),
            other => {
                return Err(DecodeError::InvalidValue {
                    field: "kill_job.has_cred",
                    value: other.into(),
                })
            }
        };
        Ok(KillJob {
            cred,
            details: u.str("kill_job.details")?,
            derived_ec: u.u32("kill_job.derived_ec")?,
            exit_code: u.u32("kill_job.exit_code")?,
            job_gres_info: gres::unpack_list(u, "kill_job.job_gres_info", GresJobAlloc::unpack)?,
            step_id: StepId::unpack(u)?,
            het_job_id: u.u32("kill_job.het_job_id")?,
            job_state: u.u32("kill_job.job_state")?,
            job_uid: u.u32("kill_job.job_uid")?,
            job_gid: u.u32("kill_job.job_gid")?,
            nodes: u.str("kill_job.nodes")?,
            select_jobinfo: SelectJobInfo::unpack(u)?,
            spank_job_env: u.str_array("kill_job.spank_job_env")?,
            start_time: u.time("kill_job.start_time")?,
            time: u.time("kill_job.time")?,
            work_dir: u.str("kill_job.work_dir")?,
        })
    }
}

/// MESSAGE_EPILOG_COMPLETE body (`epilog_complete_msg_t`, `_pack_epilog_comp_msg`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EpilogComplete {
    /// `job_id`.
    pub job_id: u32,
    /// `return_code`: the epilog's rc (non-zero drains the node).
    pub return_code: u32,
    /// `node_name`.
    pub node_name: Option<String>,
}

impl EpilogComplete {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.job_id);
        p.u32(self.return_code);
        p.str(self.node_name.as_deref());
    }

    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(EpilogComplete {
            job_id: u.u32("epilog_complete.job_id")?,
            return_code: u.u32("epilog_complete.return_code")?,
            node_name: u.str("epilog_complete.node_name")?,
        })
    }
}

/// `KILL_*` flags of [`SignalTasks::flags`] (slurm.h).
pub mod kill_flags {
    /// `KILL_JOB_BATCH`: signal the batch shell only.
    pub const JOB_BATCH: u16 = 1 << 0;
    /// `KILL_JOB_ARRAY`.
    pub const JOB_ARRAY: u16 = 1 << 1;
    /// `KILL_STEPS_ONLY`: do not signal the batch script.
    pub const STEPS_ONLY: u16 = 1 << 2;
    /// `KILL_FULL_JOB`: signal all steps including the batch script.
    pub const FULL_JOB: u16 = 1 << 3;
    /// `KILL_FED_REQUEUE`.
    pub const FED_REQUEUE: u16 = 1 << 4;
    /// `KILL_HURRY`.
    pub const HURRY: u16 = 1 << 5;
    /// `KILL_OOM`.
    pub const OOM: u16 = 1 << 6;
    /// `KILL_NO_SIBS`.
    pub const NO_SIBS: u16 = 1 << 7;
    /// `KILL_JOB_RESV`.
    pub const JOB_RESV: u16 = 1 << 8;
    /// `WARN_SENT`: kept in a job's `warn_flags` once its `--signal`
    /// warning went out; never on the wire to a node.
    pub const WARN_SENT: u16 = 1 << 15;
}

/// REQUEST_SIGNAL_TASKS / REQUEST_TERMINATE_TASKS body (`signal_tasks_msg_t`,
/// `_pack_cancel_tasks_msg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignalTasks {
    /// `step_id`.
    pub step_id: StepId,
    /// `flags` ([`kill_flags`]).
    pub flags: u16,
    /// `signal` (a POSIX signal or one of the `SIG_*` pseudo-signals ≥ 991).
    pub signal: u16,
}

impl SignalTasks {
    /// Packs it.
    pub fn pack(&self, p: &mut Packer) {
        self.step_id.pack(p);
        p.u16(self.flags);
        p.u16(self.signal);
    }

    /// Reads it.
    pub fn unpack(u: &mut Unpacker<'_>) -> DecodeResult<Self> {
        Ok(SignalTasks {
            step_id: StepId::unpack(u)?,
            flags: u.u16("signal_tasks.flags")?,
            signal: u.u16("signal_tasks.signal")?,
        })
    }
}

/// REQUEST_COMPLETE_PROLOG body (`complete_prolog_msg_t`,
/// `_pack_complete_prolog_msg`, 22.05: node_name was added).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompleteProlog {
    /// `job_id`.
    pub job_id: u32,
    /// `node_name`.
    pub node_name: Option<String>,
    /// `prolog_rc`.
    pub prolog_rc: u32,
}

impl CompleteProlog {
    /// Packs it (22.05 layout).
    pub fn pack(&self, p: &mut Packer) {
        p.u32(self.job_id);
        p.str(self.node_name.as_deref());
        p.u32(self.prolog_rc);
    }

    /// Reads it (22.05 layout only).
    pub fn unpack(u: &mut Unpacker<'_>, version: ProtocolVersion) -> DecodeResult<Self> {
        require_22_05(version)?;
        Ok(CompleteProlog {
            job_id: u.u32("complete_prolog.job_id")?,
            node_name: u.str("complete_prolog.node_name")?,
            prolog_rc: u.u32("complete_prolog.prolog_rc")?,
        })
    }
}
