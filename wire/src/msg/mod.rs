//! Typed message bodies, one struct per RPC, each with one pack and one
//! unpack that take the protocol version (upstream's `pack_msg`/`unpack_msg`).

pub mod build_info;
pub mod common;
pub mod complete;
pub mod cred;
pub mod gres;
pub mod job_desc;
pub mod job_info;
pub mod job_op;
pub mod jobacct;
pub mod launch;
pub mod node;
pub mod node_info;
pub mod part_info;
pub mod records;
pub mod srun;

use crate::pack::{DecodeError, DecodeResult, Packer, Unpacker, NO_VAL};
use crate::version::ProtocolVersion;

pub use build_info::BuildInfo;
pub use common::StepId;
pub use complete::{
    CompleteBatchScript, CompleteProlog, EpilogComplete, KillJob, SignalTasks, StepComplete,
};
pub use cred::{CredError, JobCredential, SignedCredential};
pub use job_desc::JobDescriptor;
pub use job_info::{JobInfo, JobInfoResponse, JobResources};
pub use job_op::{suspend_op, JobOp, SuspendInt};
pub use jobacct::{JobAcctInfo, TresRec};
pub use launch::{BatchJobLaunch, PrologLaunch};
pub use node::{
    AcctGatherNodeResponse, NodeRegistration, NodeRegistrationResponse, PingSlurmdResponse,
};
pub use node_info::{NodeInfo, NodeInfoResponse};
pub use part_info::{PartitionInfo, PartitionInfoResponse};
pub use records::{
    JobStepInfo, JobStepKill, LicenseInfo, ReservationInfo, UpdateNode, UpdatePartition,
};
pub use srun::{
    JobStepCreateRequest, JobStepCreateResponse, LaunchTasksRequest, LaunchTasksResponse,
    ResourceAllocationResponse, StepLayout, SwitchJobInfo, TaskExit,
};

/// `slurm_msg_type_t` numbers of the messages we speak.
pub mod msg_type {
    #![allow(missing_docs)]
    pub const REQUEST_NODE_REGISTRATION_STATUS: u16 = 1001;
    pub const MESSAGE_NODE_REGISTRATION_STATUS: u16 = 1002;
    pub const REQUEST_RECONFIGURE: u16 = 1003;
    pub const REQUEST_SHUTDOWN: u16 = 1005;
    pub const REQUEST_PING: u16 = 1008;
    pub const REQUEST_HEALTH_CHECK: u16 = 1011;
    pub const RESPONSE_PING_SLURMD: u16 = 1016;
    pub const REQUEST_ACCT_GATHER_UPDATE: u16 = 1017;
    pub const RESPONSE_ACCT_GATHER_UPDATE: u16 = 1018;
    pub const REQUEST_LICENSE_INFO: u16 = 1021;
    pub const RESPONSE_LICENSE_INFO: u16 = 1022;
    pub const RESPONSE_NODE_REGISTRATION: u16 = 1024;
    pub const REQUEST_BUILD_INFO: u16 = 2001;
    pub const RESPONSE_BUILD_INFO: u16 = 2002;
    pub const REQUEST_JOB_INFO: u16 = 2003;
    pub const RESPONSE_JOB_INFO: u16 = 2004;
    pub const REQUEST_JOB_STEP_INFO: u16 = 2005;
    pub const RESPONSE_JOB_STEP_INFO: u16 = 2006;
    pub const REQUEST_NODE_INFO: u16 = 2007;
    pub const RESPONSE_NODE_INFO: u16 = 2008;
    pub const REQUEST_PARTITION_INFO: u16 = 2009;
    pub const RESPONSE_PARTITION_INFO: u16 = 2010;
    pub const REQUEST_JOB_INFO_SINGLE: u16 = 2021;
    pub const REQUEST_RESERVATION_INFO: u16 = 2024;
    pub const RESPONSE_RESERVATION_INFO: u16 = 2025;
    pub const REQUEST_JOB_USER_INFO: u16 = 2039;
    pub const REQUEST_NODE_INFO_SINGLE: u16 = 2040;
    pub const REQUEST_FED_INFO: u16 = 2049;
    pub const RESPONSE_FED_INFO: u16 = 2050;
    pub const REQUEST_UPDATE_JOB: u16 = 3001;
    pub const REQUEST_UPDATE_NODE: u16 = 3002;
    pub const REQUEST_UPDATE_PARTITION: u16 = 3005;
    pub const REQUEST_RESOURCE_ALLOCATION: u16 = 4001;
    pub const RESPONSE_RESOURCE_ALLOCATION: u16 = 4002;
    pub const REQUEST_SUBMIT_BATCH_JOB: u16 = 4003;
    pub const RESPONSE_SUBMIT_BATCH_JOB: u16 = 4004;
    pub const REQUEST_BATCH_JOB_LAUNCH: u16 = 4005;
    pub const REQUEST_JOB_WILL_RUN: u16 = 4012;
    pub const RESPONSE_JOB_WILL_RUN: u16 = 4013;
    pub const REQUEST_JOB_ALLOCATION_INFO: u16 = 4014;
    pub const RESPONSE_JOB_ALLOCATION_INFO: u16 = 4015;
    pub const REQUEST_JOB_READY: u16 = 4019;
    pub const RESPONSE_JOB_READY: u16 = 4020;
    pub const RESPONSE_HET_JOB_ALLOCATION: u16 = 4026;
    pub const REQUEST_HET_JOB_ALLOC_INFO: u16 = 4027;
    pub const REQUEST_JOB_STEP_CREATE: u16 = 5001;
    pub const RESPONSE_JOB_STEP_CREATE: u16 = 5002;
    pub const REQUEST_CANCEL_JOB_STEP: u16 = 5005;
    pub const REQUEST_STEP_COMPLETE: u16 = 5016;
    pub const REQUEST_COMPLETE_JOB_ALLOCATION: u16 = 5017;
    pub const REQUEST_COMPLETE_BATCH_SCRIPT: u16 = 5018;
    pub const REQUEST_SUSPEND: u16 = 5014;
    pub const REQUEST_JOB_REQUEUE: u16 = 5023;
    pub const REQUEST_SUSPEND_INT: u16 = 5031;
    pub const REQUEST_KILL_JOB: u16 = 5032;
    pub const RESPONSE_JOB_ARRAY_ERRORS: u16 = 5034;
    pub const REQUEST_TOP_JOB: u16 = 5038;
    pub const REQUEST_LAUNCH_TASKS: u16 = 6001;
    pub const RESPONSE_LAUNCH_TASKS: u16 = 6002;
    pub const MESSAGE_TASK_EXIT: u16 = 6003;
    pub const REQUEST_SIGNAL_TASKS: u16 = 6004;
    pub const REQUEST_TERMINATE_TASKS: u16 = 6006;
    pub const REQUEST_KILL_TIMELIMIT: u16 = 6009;
    pub const REQUEST_TERMINATE_JOB: u16 = 6011;
    pub const MESSAGE_EPILOG_COMPLETE: u16 = 6012;
    pub const REQUEST_ABORT_JOB: u16 = 6013;
    pub const REQUEST_KILL_PREEMPTED: u16 = 6016;
    pub const REQUEST_LAUNCH_PROLOG: u16 = 6017;
    pub const REQUEST_COMPLETE_PROLOG: u16 = 6018;
    pub const SRUN_PING: u16 = 7001;
    pub const SRUN_TIMEOUT: u16 = 7002;
    pub const SRUN_JOB_COMPLETE: u16 = 7004;
    pub const SRUN_STEP_SIGNAL: u16 = 7009;
    pub const RESPONSE_SLURM_RC: u16 = 8001;
    pub const RESPONSE_SLURM_RC_MSG: u16 = 8002;

    /// Upstream's name of a message type, for logs.
    pub fn name(t: u16) -> &'static str {
        match t {
            REQUEST_NODE_REGISTRATION_STATUS => "REQUEST_NODE_REGISTRATION_STATUS",
            MESSAGE_NODE_REGISTRATION_STATUS => "MESSAGE_NODE_REGISTRATION_STATUS",
            REQUEST_RECONFIGURE => "REQUEST_RECONFIGURE",
            REQUEST_SHUTDOWN => "REQUEST_SHUTDOWN",
            REQUEST_PING => "REQUEST_PING",
            REQUEST_LICENSE_INFO => "REQUEST_LICENSE_INFO",
            RESPONSE_LICENSE_INFO => "RESPONSE_LICENSE_INFO",
            REQUEST_BUILD_INFO => "REQUEST_BUILD_INFO",
            RESPONSE_BUILD_INFO => "RESPONSE_BUILD_INFO",
            REQUEST_JOB_INFO => "REQUEST_JOB_INFO",
            RESPONSE_JOB_INFO => "RESPONSE_JOB_INFO",
            REQUEST_JOB_STEP_INFO => "REQUEST_JOB_STEP_INFO",
            RESPONSE_JOB_STEP_INFO => "RESPONSE_JOB_STEP_INFO",
            REQUEST_NODE_INFO => "REQUEST_NODE_INFO",
            RESPONSE_NODE_INFO => "RESPONSE_NODE_INFO",
            REQUEST_PARTITION_INFO => "REQUEST_PARTITION_INFO",
            RESPONSE_PARTITION_INFO => "RESPONSE_PARTITION_INFO",
            REQUEST_JOB_INFO_SINGLE => "REQUEST_JOB_INFO_SINGLE",
            REQUEST_RESERVATION_INFO => "REQUEST_RESERVATION_INFO",
            RESPONSE_RESERVATION_INFO => "RESPONSE_RESERVATION_INFO",
            REQUEST_JOB_USER_INFO => "REQUEST_JOB_USER_INFO",
            REQUEST_NODE_INFO_SINGLE => "REQUEST_NODE_INFO_SINGLE",
            REQUEST_FED_INFO => "REQUEST_FED_INFO",
            RESPONSE_FED_INFO => "RESPONSE_FED_INFO",
            REQUEST_UPDATE_JOB => "REQUEST_UPDATE_JOB",
            REQUEST_UPDATE_NODE => "REQUEST_UPDATE_NODE",
            REQUEST_UPDATE_PARTITION => "REQUEST_UPDATE_PARTITION",
            REQUEST_SUBMIT_BATCH_JOB => "REQUEST_SUBMIT_BATCH_JOB",
            RESPONSE_SUBMIT_BATCH_JOB => "RESPONSE_SUBMIT_BATCH_JOB",
            REQUEST_JOB_WILL_RUN => "REQUEST_JOB_WILL_RUN",
            RESPONSE_JOB_WILL_RUN => "RESPONSE_JOB_WILL_RUN",
            REQUEST_CANCEL_JOB_STEP => "REQUEST_CANCEL_JOB_STEP",
            REQUEST_JOB_REQUEUE => "REQUEST_JOB_REQUEUE",
            REQUEST_SUSPEND => "REQUEST_SUSPEND",
            REQUEST_TOP_JOB => "REQUEST_TOP_JOB",
            REQUEST_SUSPEND_INT => "REQUEST_SUSPEND_INT",
            REQUEST_KILL_JOB => "REQUEST_KILL_JOB",
            RESPONSE_JOB_ARRAY_ERRORS => "RESPONSE_JOB_ARRAY_ERRORS",
            RESPONSE_SLURM_RC => "RESPONSE_SLURM_RC",
            RESPONSE_SLURM_RC_MSG => "RESPONSE_SLURM_RC_MSG",
            REQUEST_HEALTH_CHECK => "REQUEST_HEALTH_CHECK",
            RESPONSE_PING_SLURMD => "RESPONSE_PING_SLURMD",
            REQUEST_ACCT_GATHER_UPDATE => "REQUEST_ACCT_GATHER_UPDATE",
            RESPONSE_ACCT_GATHER_UPDATE => "RESPONSE_ACCT_GATHER_UPDATE",
            RESPONSE_NODE_REGISTRATION => "RESPONSE_NODE_REGISTRATION",
            REQUEST_BATCH_JOB_LAUNCH => "REQUEST_BATCH_JOB_LAUNCH",
            REQUEST_STEP_COMPLETE => "REQUEST_STEP_COMPLETE",
            REQUEST_COMPLETE_BATCH_SCRIPT => "REQUEST_COMPLETE_BATCH_SCRIPT",
            REQUEST_SIGNAL_TASKS => "REQUEST_SIGNAL_TASKS",
            REQUEST_TERMINATE_TASKS => "REQUEST_TERMINATE_TASKS",
            REQUEST_KILL_TIMELIMIT => "REQUEST_KILL_TIMELIMIT",
            REQUEST_TERMINATE_JOB => "REQUEST_TERMINATE_JOB",
            MESSAGE_EPILOG_COMPLETE => "MESSAGE_EPILOG_COMPLETE",
            REQUEST_ABORT_JOB => "REQUEST_ABORT_JOB",
            REQUEST_KILL_PREEMPTED => "REQUEST_KILL_PREEMPTED",
            REQUEST_LAUNCH_PROLOG => "REQUEST_LAUNCH_PROLOG",
            REQUEST_COMPLETE_PROLOG => "REQUEST_COMPLETE_PROLOG",
            REQUEST_RESOURCE_ALLOCATION => "REQUEST_RESOURCE_ALLOCATION",
            RESPONSE_RESOURCE_ALLOCATION => "RESPONSE_RESOURCE_ALLOCATION",
            REQUEST_JOB_ALLOCATION_INFO => "REQUEST_JOB_ALLOCATION_INFO",
            RESPONSE_JOB_ALLOCATION_INFO => "RESPONSE_JOB_ALLOCATION_INFO",
            RESPONSE_HET_JOB_ALLOCATION => "RESPONSE_HET_JOB_ALLOCATION",
            REQUEST_HET_JOB_ALLOC_INFO => "REQUEST_HET_JOB_ALLOC_INFO",
            SRUN_PING => "SRUN_PING",
            SRUN_TIMEOUT => "SRUN_TIMEOUT",
            SRUN_STEP_SIGNAL => "SRUN_STEP_SIGNAL",
            REQUEST_JOB_READY => "REQUEST_JOB_READY",
            RESPONSE_JOB_READY => "RESPONSE_JOB_READY",
            REQUEST_COMPLETE_JOB_ALLOCATION => "REQUEST_COMPLETE_JOB_ALLOCATION",
            REQUEST_LAUNCH_TASKS => "REQUEST_LAUNCH_TASKS",
            RESPONSE_LAUNCH_TASKS => "RESPONSE_LAUNCH_TASKS",
            MESSAGE_TASK_EXIT => "MESSAGE_TASK_EXIT",
            SRUN_JOB_COMPLETE => "SRUN_JOB_COMPLETE",
            REQUEST_JOB_STEP_CREATE => "REQUEST_JOB_STEP_CREATE",
            RESPONSE_JOB_STEP_CREATE => "RESPONSE_JOB_STEP_CREATE",
            _ => "UNKNOWN_MSG_TYPE",
        }
    }
}

/// `SHOW_*` flags of info requests (slurm.h).
pub mod show_flags {
    /// Include hidden partitions and their jobs and nodes.
    pub const ALL: u16 = 0x0001;
    /// Include job_resources / GRES detail.
    pub const DETAIL: u16 = 0x0002;
    /// Only this cluster.
    pub const LOCAL: u16 = 0x0010;
    /// Include FUTURE nodes.
    pub const FUTURE: u16 = 0x0080;
}

pub(crate) fn require_22_05(version: ProtocolVersion) -> DecodeResult<()> {
    if version == ProtocolVersion::V22_05 {
        Ok(())
    } else {
        Err(DecodeError::UnsupportedVersion(version.0))
    }
}

/// A reservation record plus the per-node core list upstream appends to it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReservationRecord {
    /// The fixed fields.
    pub info: ReservationInfo,
    /// (node name, core range) pairs for core-level reservations.
    pub core_spec: Vec<(Option<String>, Option<String>)>,
}

/// RESPONSE_JOB_WILL_RUN body (`will_run_response_msg_t`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WillRunResponse {
    /// `job_id`.
    pub job_id: u32,
    /// `job_submit_user_msg`.
    pub job_submit_user_msg: Option<String>,
    /// `node_list`.
    pub node_list: Option<String>,
    /// `part_name`.
    pub part_name: Option<String>,
    /// `preemptee_job_id`; None packs NO_VAL.
    pub preemptee_job_id: Option<Vec<u32>>,
    /// `proc_cnt`.
    pub proc_cnt: u32,
    /// `start_time`.
    pub start_time: i64,
    /// `sys_usage_per`.
    pub sys_usage_per: crate::pack::ScaledDouble,
}

/// Every message body we can encode or decode.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// REQUEST_PING (no body).
    Ping,
    /// REQUEST_RECONFIGURE (no body).
    Reconfigure,
    /// REQUEST_FED_INFO (no body).
    FedInfoRequest,
    /// REQUEST_SHUTDOWN: `u16 options`.
    Shutdown { options: u16 },
    /// REQUEST_BUILD_INFO: `time last_update`.
    BuildInfoRequest { last_update: i64 },
    /// REQUEST_RESERVATION_INFO: `time last_update`.
    ReservationInfoRequest { last_update: i64 },
    /// REQUEST_NODE_INFO: `time last_update · u16 show_flags`.
    NodeInfoRequest { last_update: i64, show_flags: u16 },
    /// REQUEST_PARTITION_INFO.
    PartitionInfoRequest { last_update: i64, show_flags: u16 },
    /// REQUEST_LICENSE_INFO.
    LicenseInfoRequest { last_update: i64, show_flags: u16 },
    /// REQUEST_NODE_INFO_SINGLE: `str node_name · u16 show_flags`.
    NodeInfoSingleRequest {
        node_name: Option<String>,
        show_flags: u16,
    },
    /// REQUEST_JOB_INFO: `time · u16 · u32 count (NO_VAL = no list) · ids`.
    JobInfoRequest {
        last_update: i64,
        show_flags: u16,
        job_ids: Option<Vec<u32>>,
    },
    /// REQUEST_JOB_INFO_SINGLE: `u32 job_id · u16 show_flags`.
    JobInfoSingleRequest { job_id: u32, show_flags: u16 },
    /// REQUEST_JOB_USER_INFO: `u32 user_id · u16 show_flags`.
    JobUserInfoRequest { user_id: u32, show_flags: u16 },
    /// REQUEST_JOB_STEP_INFO: `time · step_id · u16 show_flags`.
    JobStepInfoRequest {
        last_update: i64,
        step_id: StepId,
        show_flags: u16,
    },
    /// REQUEST_SUBMIT_BATCH_JOB.
    SubmitBatchJob(Box<JobDescriptor>),
    /// REQUEST_JOB_WILL_RUN.
    JobWillRun(Box<JobDescriptor>),
    /// REQUEST_UPDATE_JOB.
    UpdateJob(Box<JobDescriptor>),
    /// REQUEST_KILL_JOB.
    KillJob(JobStepKill),
    /// REQUEST_CANCEL_JOB_STEP.
    CancelJobStep(JobStepKill),
    /// REQUEST_JOB_REQUEUE: `u32 job_id · str job_id_str · u32 flags`.
    JobRequeue {
        job_id: u32,
        job_id_str: Option<String>,
        flags: u32,
    },
    /// REQUEST_SUSPEND (scontrol suspend/resume), answered RESPONSE_SLURM_RC
    /// (or RESPONSE_JOB_ARRAY_ERRORS for a whole array).
    Suspend(JobOp),
    /// REQUEST_TOP_JOB (scontrol top), answered RESPONSE_SLURM_RC.
    TopJob(JobOp),
    /// REQUEST_SUSPEND_INT (controller to node daemon).
    SuspendInt(SuspendInt),
    /// REQUEST_UPDATE_NODE.
    UpdateNode(UpdateNode),
    /// REQUEST_UPDATE_PARTITION.
    UpdatePartition(UpdatePartition),
    /// RESPONSE_SLURM_RC: `u32 return_code`.
    SlurmRc { rc: i32 },
    /// RESPONSE_SLURM_RC_MSG: `u32 return_code · str err_msg`.
    SlurmRcMsg { rc: i32, msg: Option<String> },
    /// RESPONSE_BUILD_INFO.
    BuildInfo(Box<BuildInfo>),
    /// RESPONSE_JOB_INFO.
    JobInfo(JobInfoResponse),
    /// RESPONSE_JOB_INFO whose body is already packed (a server packs its
    /// job table straight into the reply rather than building records).
    /// Never produced by [`Message::unpack`].
    JobInfoPacked(Vec<u8>),
    /// RESPONSE_NODE_INFO.
    NodeInfo(NodeInfoResponse),
    /// RESPONSE_PARTITION_INFO.
    PartitionInfo(PartitionInfoResponse),
    /// RESPONSE_JOB_STEP_INFO: `u32 count · time` + steps.
    JobStepInfo {
        last_update: i64,
        steps: Vec<JobStepInfo>,
    },
    /// RESPONSE_RESERVATION_INFO: `u32 count · time` + reservations.
    ReservationInfo {
        last_update: i64,
        reservations: Vec<ReservationRecord>,
    },
    /// RESPONSE_LICENSE_INFO: `u32 count · time` + licenses.
    LicenseInfo {
        last_update: i64,
        licenses: Vec<LicenseInfo>,
    },
    /// RESPONSE_FED_INFO. We are never federated: `u8 0` (NULL record).
    FedInfoNone,
    /// RESPONSE_SUBMIT_BATCH_JOB.
    SubmitBatchJobResponse {
        job_id: u32,
        step_id: u32,
        error_code: u32,
        job_submit_user_msg: Option<String>,
    },
    /// RESPONSE_JOB_WILL_RUN.
    JobWillRunResponse(WillRunResponse),
    /// RESPONSE_JOB_ARRAY_ERRORS: per array expression, an error code.
    JobArrayErrors(Vec<(u32, Option<String>)>),
    /// REQUEST_NODE_REGISTRATION_STATUS (no body): ctld asks slurmd to register.
    NodeRegistrationStatusRequest,
    /// MESSAGE_NODE_REGISTRATION_STATUS.
    NodeRegistration(Box<NodeRegistration>),
    /// RESPONSE_NODE_REGISTRATION.
    NodeRegistrationResponse(NodeRegistrationResponse),
    /// RESPONSE_PING_SLURMD.
    PingSlurmdResponse(PingSlurmdResponse),
    /// REQUEST_HEALTH_CHECK (no body).
    HealthCheck,
    /// REQUEST_ACCT_GATHER_UPDATE (no body).
    AcctGatherUpdate,
    /// RESPONSE_ACCT_GATHER_UPDATE.
    AcctGatherUpdateResponse(AcctGatherNodeResponse),
    /// REQUEST_BATCH_JOB_LAUNCH.
    BatchJobLaunch(Box<BatchJobLaunch>),
    /// REQUEST_STEP_COMPLETE.
    StepComplete(StepComplete),
    /// REQUEST_COMPLETE_BATCH_SCRIPT.
    CompleteBatchScript(CompleteBatchScript),
    /// REQUEST_SIGNAL_TASKS.
    SignalTasks(SignalTasks),
    /// REQUEST_TERMINATE_TASKS.
    TerminateTasks(SignalTasks),
    /// REQUEST_KILL_TIMELIMIT (kill_job_msg).
    KillTimelimit(Box<KillJob>),
    /// REQUEST_TERMINATE_JOB (kill_job_msg).
    TerminateJob(Box<KillJob>),
    /// MESSAGE_EPILOG_COMPLETE.
    EpilogComplete(EpilogComplete),
    /// REQUEST_ABORT_JOB (kill_job_msg).
    AbortJob(Box<KillJob>),
    /// REQUEST_KILL_PREEMPTED (kill_job_msg).
    KillPreempted(Box<KillJob>),
    /// REQUEST_LAUNCH_PROLOG.
    LaunchProlog(Box<PrologLaunch>),
    /// REQUEST_COMPLETE_PROLOG.
    CompleteProlog(CompleteProlog),
    /// REQUEST_RESOURCE_ALLOCATION (salloc/srun): a job descriptor.
    ResourceAllocation(Box<JobDescriptor>),
    /// REQUEST_JOB_READY: `u32 job_id · u16 show_flags` (`_pack_job_ready_msg`).
    JobReadyRequest { job_id: u32, show_flags: u16 },
    /// RESPONSE_JOB_READY: `u32 return_code`, the `READY_*` bits.
    JobReadyResponse { rc: u32 },
    /// REQUEST_COMPLETE_JOB_ALLOCATION: `u32 job_id · u32 job_rc`.
    CompleteJobAllocation { job_id: u32, job_rc: u32 },
    /// REQUEST_LAUNCH_TASKS.
    LaunchTasks(Box<LaunchTasksRequest>),
    /// RESPONSE_LAUNCH_TASKS.
    LaunchTasksResponse(LaunchTasksResponse),
    /// MESSAGE_TASK_EXIT.
    TaskExit(TaskExit),
    /// SRUN_JOB_COMPLETE: the step (or whole job, step_id NO_VAL) is over.
    SrunJobComplete(StepId),
    /// RESPONSE_RESOURCE_ALLOCATION.
    ResourceAllocationResponse(Box<ResourceAllocationResponse>),
    /// REQUEST_JOB_STEP_CREATE.
    JobStepCreate(Box<JobStepCreateRequest>),
    /// RESPONSE_JOB_STEP_CREATE.
    JobStepCreateResponse(Box<JobStepCreateResponse>),
    /// REQUEST_JOB_ALLOCATION_INFO: `u32 job_id · str req_cluster`.
    JobAllocationInfoRequest {
        job_id: u32,
        req_cluster: Option<String>,
    },
    /// REQUEST_HET_JOB_ALLOC_INFO (srun inside an allocation): as above.
    HetJobAllocInfoRequest {
        job_id: u32,
        req_cluster: Option<String>,
    },
    /// RESPONSE_JOB_ALLOCATION_INFO: one allocation.
    JobAllocationInfo(Box<ResourceAllocationResponse>),
    /// RESPONSE_HET_JOB_ALLOCATION: `u16 count` + allocations.
    HetJobAllocation(Vec<ResourceAllocationResponse>),
    /// SRUN_PING: empty body.
    SrunPing,
    /// SRUN_TIMEOUT: `step_id · time timeout`.
    SrunTimeout { step_id: StepId, timeout: i64 },
    /// SRUN_STEP_SIGNAL: a pending step may retry (a job step kill body).
    SrunStepSignal(JobStepKill),
}

impl Message {
    /// The `slurm_msg_type_t` this body travels under.
    pub fn msg_type(&self) -> u16 {
        use msg_type::*;
        match self {
            Message::Ping => REQUEST_PING,
            Message::Reconfigure => REQUEST_RECONFIGURE,
            Message::FedInfoRequest => REQUEST_FED_INFO,
            Message::Shutdown { .. } => REQUEST_SHUTDOWN,
            Message::BuildInfoRequest { .. } => REQUEST_BUILD_INFO,
            Message::ReservationInfoRequest { .. } => REQUEST_RESERVATION_INFO,
            Message::NodeInfoRequest { .. } => REQUEST_NODE_INFO,
            Message::PartitionInfoRequest { .. } => REQUEST_PARTITION_INFO,
            Message::LicenseInfoRequest { .. } => REQUEST_LICENSE_INFO,
            Message::NodeInfoSingleRequest { .. } => REQUEST_NODE_INFO_SINGLE,
            Message::JobInfoRequest { .. } => REQUEST_JOB_INFO,
            Message::JobInfoSingleRequest { .. } => REQUEST_JOB_INFO_SINGLE,
            Message::JobUserInfoRequest { .. } => REQUEST_JOB_USER_INFO,
            Message::JobStepInfoRequest { .. } => REQUEST_JOB_STEP_INFO,
            Message::SubmitBatchJob(_) => REQUEST_SUBMIT_BATCH_JOB,
            Message::JobWillRun(_) => REQUEST_JOB_WILL_RUN,
            Message::UpdateJob(_) => REQUEST_UPDATE_JOB,
            Message::KillJob(_) => REQUEST_KILL_JOB,
            Message::CancelJobStep(_) => REQUEST_CANCEL_JOB_STEP,
            Message::JobRequeue { .. } => REQUEST_JOB_REQUEUE,
            Message::Suspend(_) => REQUEST_SUSPEND,
            Message::TopJob(_) => REQUEST_TOP_JOB,
            Message::SuspendInt(_) => REQUEST_SUSPEND_INT,
            Message::UpdateNode(_) => REQUEST_UPDATE_NODE,
            Message::UpdatePartition(_) => REQUEST_UPDATE_PARTITION,
            Message::SlurmRc { .. } => RESPONSE_SLURM_RC,
            Message::SlurmRcMsg { .. } => RESPONSE_SLURM_RC_MSG,
            Message::BuildInfo(_) => RESPONSE_BUILD_INFO,
            Message::JobInfo(_) | Message::JobInfoPacked(_) => RESPONSE_JOB_INFO,
            Message::NodeInfo(_) => RESPONSE_NODE_INFO,
            Message::PartitionInfo(_) => RESPONSE_PARTITION_INFO,
            Message::JobStepInfo { .. } => RESPONSE_JOB_STEP_INFO,
            Message::ReservationInfo { .. } => RESPONSE_RESERVATION_INFO,
            Message::LicenseInfo { .. } => RESPONSE_LICENSE_INFO,
            Message::FedInfoNone => RESPONSE_FED_INFO,
            Message::SubmitBatchJobResponse { .. } => RESPONSE_SUBMIT_BATCH_JOB,
            Message::JobWillRunResponse(_) => RESPONSE_JOB_WILL_RUN,
            Message::JobArrayErrors(_) => RESPONSE_JOB_ARRAY_ERRORS,
            Message::NodeRegistrationStatusRequest => REQUEST_NODE_REGISTRATION_STATUS,
            Message::NodeRegistration(_) => MESSAGE_NODE_REGISTRATION_STATUS,
            Message::NodeRegistrationResponse(_) => RESPONSE_NODE_REGISTRATION,
            Message::PingSlurmdResponse(_) => RESPONSE_PING_SLURMD,
            Message::HealthCheck => REQUEST_HEALTH_CHECK,
            Message::AcctGatherUpdate => REQUEST_ACCT_GATHER_UPDATE,
            Message::AcctGatherUpdateResponse(_) => RESPONSE_ACCT_GATHER_UPDATE,
            Message::BatchJobLaunch(_) => REQUEST_BATCH_JOB_LAUNCH,
            Message::StepComplete(_) => REQUEST_STEP_COMPLETE,
            Message::CompleteBatchScript(_) => REQUEST_COMPLETE_BATCH_SCRIPT,
            Message::SignalTasks(_) => REQUEST_SIGNAL_TASKS,
            Message::TerminateTasks(_) => REQUEST_TERMINATE_TASKS,
            Message::KillTimelimit(_) => REQUEST_KILL_TIMELIMIT,
            Message::TerminateJob(_) => REQUEST_TERMINATE_JOB,
            Message::EpilogComplete(_) => MESSAGE_EPILOG_COMPLETE,
            Message::AbortJob(_) => REQUEST_ABORT_JOB,
            Message::KillPreempted(_) => REQUEST_KILL_PREEMPTED,
            Message::LaunchProlog(_) => REQUEST_LAUNCH_PROLOG,
            Message::CompleteProlog(_) => REQUEST_COMPLETE_PROLOG,
            Message::ResourceAllocation(_) => REQUEST_RESOURCE_ALLOCATION,
            Message::JobReadyRequest { .. } => REQUEST_JOB_READY,
            Message::JobReadyResponse { .. } => RESPONSE_JOB_READY,
            Message::CompleteJobAllocation { .. } => REQUEST_COMPLETE_JOB_ALLOCATION,
            Message::LaunchTasksResponse(_) => RESPONSE_LAUNCH_TASKS,
            Message::LaunchTasks(_) => REQUEST_LAUNCH_TASKS,
            Message::TaskExit(_) => MESSAGE_TASK_EXIT,
            Message::SrunJobComplete(_) => SRUN_JOB_COMPLETE,
            Message::JobStepCreateResponse(_) => RESPONSE_JOB_STEP_CREATE,
            Message::JobStepCreate(_) => REQUEST_JOB_STEP_CREATE,
            Message::ResourceAllocationResponse(_) => RESPONSE_RESOURCE_ALLOCATION,
            Message::JobAllocationInfoRequest { .. } => REQUEST_JOB_ALLOCATION_INFO,
            Message::HetJobAllocInfoRequest { .. } => REQUEST_HET_JOB_ALLOC_INFO,
            Message::JobAllocationInfo(_) => RESPONSE_JOB_ALLOCATION_INFO,
            Message::HetJobAllocation(_) => RESPONSE_HET_JOB_ALLOCATION,
            Message::SrunPing => SRUN_PING,
            Message::SrunTimeout { .. } => SRUN_TIMEOUT,
            Message::SrunStepSignal(_) => SRUN_STEP_SIGNAL,
        }
    }

    /// Packs the body as `version` lays it out.
    pub fn pack(&self, p: &mut Packer, version: ProtocolVersion) {
        match self {
            Message::Ping
            | Message::Reconfigure
            | Message::FedInfoRequest
            | Message::NodeRegistrationStatusRequest
            | Message::HealthCheck
            | Message::AcctGatherUpdate => {}
            Message::Shutdown { options } => p.u16(*options),
            Message::BuildInfoRequest { last_update }
            | Message::ReservationInfoRequest { last_update } => p.time(*last_update),
            Message::NodeInfoRequest {
                last_update,
                show_flags,
            }
            | Message::PartitionInfoRequest {
                last_update,
                show_flags,
            }
            | Message::LicenseInfoRequest {
                last_update,
                show_flags,
            } => {
                p.time(*last_update);
                p.u16(*show_flags);
            }
            Message::NodeInfoSingleRequest {
                node_name,
                show_flags,
            } => {
                p.str(node_name.as_deref());
                p.u16(*show_flags);
            }
            Message::JobInfoRequest {
                last_update,
                show_flags,
                job_ids,
            } => {
                p.time(*last_update);
                p.u16(*show_flags);
                match job_ids {
                    None => p.u32(NO_VAL),
                    Some(ids) => {
                        p.u32(ids.len() as u32);
                        ids.iter().for_each(|&id| p.u32(id));
                    }
                }
            }
            Message::JobInfoSingleRequest {
                job_id: a,
                show_flags,
            }
            | Message::JobUserInfoRequest {
                user_id: a,
                show_flags,
            } => {
                p.u32(*a);
                p.u16(*show_flags);
            }
            Message::JobStepInfoRequest {
                last_update,
                step_id,
                show_flags,
            } => {
                p.time(*last_update);
                step_id.pack(p);
                p.u16(*show_flags);
            }
            Message::SubmitBatchJob(d)
            | Message::JobWillRun(d)
            | Message::UpdateJob(d)
            | Message::ResourceAllocation(d) => d.pack(p, version),
            Message::KillJob(k) | Message::CancelJobStep(k) | Message::SrunStepSignal(k) => {
                k.pack(p)
            }
            Message::JobRequeue {
                job_id,
                job_id_str,
                flags,
            } => {
                p.u32(*job_id);
                p.str(job_id_str.as_deref());
                p.u32(*flags);
            }
            Message::Suspend(op) | Message::TopJob(op) => op.pack(p),
            Message::SuspendInt(m) => m.pack(p),
            Message::UpdateNode(n) => n.pack(p),
            Message::UpdatePartition(u) => u.pack(p),
            Message::SlurmRc { rc } => p.u32(*rc as u32),
            Message::SlurmRcMsg { rc, msg } => {
                p.u32(*rc as u32);
                p.str(msg.as_deref());
            }
            Message::BuildInfo(b) => b.pack(p, version),
            Message::JobInfo(j) => j.pack(p, version),
            Message::JobInfoPacked(body) => p.raw(body),
            Message::NodeInfo(n) => n.pack(p, version),
            Message::PartitionInfo(part) => part.pack(p, version),
            Message::JobStepInfo { last_update, steps } => {
                p.u32(steps.len() as u32);
                p.time(*last_update);
                steps.iter().for_each(|s| s.pack(p));
            }
            Message::ReservationInfo {
                last_update,
                reservations,
            } => {
                p.u32(reservations.len() as u32);
                p.time(*last_update);
                for r in reservations {
                    r.info.pack(p);
                    p.u32(r.core_spec.len() as u32);
                    for (node, cores) in &r.core_spec {
                        p.str(node.as_deref());
                        p.str(cores.as_deref());
                    }
                }
            }
            Message::LicenseInfo {
                last_update,
                licenses,
            } => {
                p.u32(licenses.len() as u32);
                p.time(*last_update);
                licenses.iter().for_each(|l| l.pack(p));
            }
            Message::FedInfoNone => p.u8(0),
            Message::SubmitBatchJobResponse {
                job_id,
                step_id,
                error_code,
                job_submit_user_msg,
            } => {
                p.u32(*job_id);
                p.u32(*step_id);
                p.u32(*error_code);
                p.str(job_submit_user_msg.as_deref());
            }
            Message::JobWillRunResponse(w) => {
                p.u32(w.job_id);
                p.str(w.job_submit_user_msg.as_deref());
                p.str(w.node_list.as_deref());
                p.str(w.part_name.as_deref());
                match &w.preemptee_job_id {
                    None => p.u32(NO_VAL),
                    Some(ids) => {
                        p.u32(ids.len() as u32);
                        ids.iter().for_each(|&id| p.u32(id));
                    }
                }
                p.u32(w.proc_cnt);
                p.time(w.start_time);
                p.double(w.sys_usage_per);
            }
            Message::JobArrayErrors(errs) => {
                p.u32(errs.len() as u32);
                for (code, id) in errs {
                    p.u32(*code);
                    p.str(id.as_deref());
                }
            }
            Message::NodeRegistration(r) => r.pack(p),
            Message::NodeRegistrationResponse(r) => r.pack(p),
            Message::PingSlurmdResponse(r) => r.pack(p),
            Message::AcctGatherUpdateResponse(r) => r.pack(p),
            Message::BatchJobLaunch(b) => b.pack(p),
            Message::StepComplete(s) => s.pack(p),
            Message::CompleteBatchScript(c) => c.pack(p),
            Message::SignalTasks(s) | Message::TerminateTasks(s) => s.pack(p),
            Message::KillTimelimit(k)
            | Message::TerminateJob(k)
            | Message::AbortJob(k)
            | Message::KillPreempted(k) => k.pack(p),
            Message::EpilogComplete(e) => e.pack(p),
            Message::LaunchProlog(l) => l.pack(p),
            Message::CompleteProlog(c) => c.pack(p),
            Message::JobReadyRequest { job_id, show_flags } => {
                p.u32(*job_id);
                p.u16(*show_flags);
            }
            Message::JobReadyResponse { rc } => p.u32(*rc),
            Message::CompleteJobAllocation { job_id, job_rc } => {
                p.u32(*job_id);
                p.u32(*job_rc);
            }
            Message::LaunchTasksResponse(l) => l.pack(p),
            Message::LaunchTasks(l) => l.pack(p),
            Message::TaskExit(t) => t.pack(p),
            Message::SrunJobComplete(s) => s.pack(p),
            Message::JobStepCreateResponse(r) => r.pack(p),
            Message::JobStepCreate(r) => r.pack(p),
            Message::ResourceAllocationResponse(r) | Message::JobAllocationInfo(r) => r.pack(p),
            Message::JobAllocationInfoRequest {
                job_id,
                req_cluster,
            }
            | Message::HetJobAllocInfoRequest {
                job_id,
                req_cluster,
            } => {
                p.u32(*job_id);
                p.str(req_cluster.as_deref());
            }
            Message::HetJobAllocation(list) => {
                p.u16(list.len() as u16);
                list.iter().for_each(|r| r.pack(p));
            }
            Message::SrunPing => {}
            Message::SrunTimeout { step_id, timeout } => {
                step_id.pack(p);
                p.time(*timeout);
            }
        }
    }

    /// Packs the body into a fresh buffer.
    pub fn to_body(&self, version: ProtocolVersion) -> Vec<u8> {
        let mut p = Packer::new();
        self.pack(&mut p, version);
        p.into_bytes().into()
    }

    /// Packs the body, moving a pre-packed one rather than copying it
    /// (a job list reply can be tens of MB).
    pub fn into_body(self, version: ProtocolVersion) -> Vec<u8> {
        match self {
            Message::JobInfoPacked(body) => body,
            other => other.to_body(version),
        }
    }

    /// Decodes a body of type `msg_type`. The whole body must be consumed.
    pub fn unpack(msg_type: u16, version: ProtocolVersion, body: &[u8]) -> DecodeResult<Message> {
        use msg_type::*;
        let mut u = Unpacker::new(body);
        let u = &mut u;
        let m = match msg_type {
            REQUEST_PING => Message::Ping,
            REQUEST_RECONFIGURE => Message::Reconfigure,
            REQUEST_FED_INFO => Message::FedInfoRequest,
            REQUEST_SHUTDOWN => Message::Shutdown {
                options: u.u16("shutdown.options")?,
            },
            REQUEST_BUILD_INFO => Message::BuildInfoRequest {
                last_update: u.time("last_update")?,
            },
            REQUEST_RESERVATION_INFO => Message::ReservationInfoRequest {
                last_update: u.time("last_update")?,
            },
            REQUEST_NODE_INFO => Message::NodeInfoRequest {
                last_update: u.time("last_update")?,
                show_flags: u.u16("show_flags")?,
            },
            REQUEST_PARTITION_INFO => Message::PartitionInfoRequest {
                last_update: u.time("last_update")?,
                show_flags: u.u16("show_flags")?,
            },
            REQUEST_LICENSE_INFO => Message::LicenseInfoRequest {
                last_update: u.time("last_update")?,
                show_flags: u.u16("show_flags")?,
            },
            REQUEST_NODE_INFO_SINGLE => Message::NodeInfoSingleRequest {
                node_name: u.str("node_name")?,
                show_flags: u.u16("show_flags")?,
            },
            REQUEST_JOB_INFO => {
                let last_update = u.time("last_update")?;
                let show_flags = u.u16("show_flags")?;
                let count = u.u32("job_ids.count")?;
                let job_ids = if count == NO_VAL {
                    None
                } else {
                    let n = u.check_count("job_ids.count", count, 4)?;
                    Some(
                        (0..n)
                            .map(|_| u.u32("job_ids"))
                            .collect::<DecodeResult<Vec<_>>>()?,
                    )
                };
                Message::JobInfoRequest {
                    last_update,
                    show_flags,
                    job_ids,
                }
            }
            REQUEST_JOB_INFO_SINGLE => Message::JobInfoSingleRequest {
                job_id: u.u32("job_id")?,
                show_flags: u.u16("show_flags")?,
            },
            REQUEST_JOB_USER_INFO => Message::JobUserInfoRequest {
                user_id: u.u32("user_id")?,
                show_flags: u.u16("show_flags")?,
            },
            REQUEST_JOB_STEP_INFO => Message::JobStepInfoRequest {
                last_update: u.time("last_update")?,
                step_id: StepId::unpack(u)?,
                show_flags: u.u16("show_flags")?,
            },
            REQUEST_SUBMIT_BATCH_JOB => {
                Message::SubmitBatchJob(Box::new(JobDescriptor::unpack(u, version)?))
            }
            REQUEST_JOB_WILL_RUN => {
                Message::JobWillRun(Box::new(JobDescriptor::unpack(u, version)?))
            }
            REQUEST_UPDATE_JOB => Message::UpdateJob(Box::new(JobDescriptor::unpack(u, version)?)),
            REQUEST_KILL_JOB => Message::KillJob(JobStepKill::unpack(u)?),
            REQUEST_CANCEL_JOB_STEP => Message::CancelJobStep(JobStepKill::unpack(u)?),
            REQUEST_JOB_REQUEUE => Message::JobRequeue {
                job_id: u.u32("requeue.job_id")?,
                job_id_str: u.str("requeue.job_id_str")?,
                flags: u.u32("requeue.flags")?,
            },
            REQUEST_SUSPEND => Message::Suspend(JobOp::unpack(u)?),
            REQUEST_TOP_JOB => Message::TopJob(JobOp::unpack(u)?),
            REQUEST_SUSPEND_INT => Message::SuspendInt(SuspendInt::unpack(u)?),
            REQUEST_UPDATE_NODE => {
                if version < ProtocolVersion::V21_08 {
                    return Err(DecodeError::UnsupportedVersion(version.0));
                }
                Message::UpdateNode(UpdateNode::unpack(u)?)
            }
            REQUEST_UPDATE_PARTITION => Message::UpdatePartition(UpdatePartition::unpack(u)?),
            RESPONSE_SLURM_RC => Message::SlurmRc {
                rc: u.u32("return_code")? as i32,
            },
            RESPONSE_SLURM_RC_MSG => Message::SlurmRcMsg {
                rc: u.u32("return_code")? as i32,
                msg: u.str("err_msg")?,
            },
            RESPONSE_BUILD_INFO => Message::BuildInfo(Box::new(BuildInfo::unpack(u, version)?)),
            RESPONSE_JOB_INFO => Message::JobInfo(JobInfoResponse::unpack(u, version)?),
            RESPONSE_NODE_INFO => Message::NodeInfo(NodeInfoResponse::unpack(u, version)?),
            RESPONSE_PARTITION_INFO => {
                Message::PartitionInfo(PartitionInfoResponse::unpack(u, version)?)
            }
            RESPONSE_JOB_STEP_INFO => {
                require_22_05(version)?;
                let n = u.count("job_step_info.count", 64)?;
                let last_update = u.time("job_step_info.last_update")?;
                let steps = (0..n)
                    .map(|_| JobStepInfo::unpack(u))
                    .collect::<DecodeResult<Vec<_>>>()?;
                Message::JobStepInfo { last_update, steps }
            }
            RESPONSE_RESERVATION_INFO => {
                let n = u.count("resv_info.count", 64)?;
                let last_update = u.time("resv_info.last_update")?;
                let mut reservations = Vec::with_capacity(n);
                for _ in 0..n {
                    let info = ReservationInfo::unpack(u)?;
                    let cores = u.count("resv_info.core_spec_cnt", 8)?;
                    let core_spec = (0..cores)
                        .map(|_| {
                            Ok((
                                u.str("resv_info.core_spec.node")?,
                                u.str("resv_info.core_spec.cores")?,
                            ))
                        })
                        .collect::<DecodeResult<Vec<_>>>()?;
                    reservations.push(ReservationRecord { info, core_spec });
                }
                Message::ReservationInfo {
                    last_update,
                    reservations,
                }
            }
            RESPONSE_LICENSE_INFO => {
                let n = u.count("license_info.count", 17)?;
                let last_update = u.time("license_info.last_update")?;
                let licenses = (0..n)
                    .map(|_| LicenseInfo::unpack(u))
                    .collect::<DecodeResult<Vec<_>>>()?;
                Message::LicenseInfo {
                    last_update,
                    licenses,
                }
            }
            RESPONSE_FED_INFO => match u.u8("fed_info.present")? {
                0 => Message::FedInfoNone,
                // A federation record: we never produce or consume one.
                _ => return Err(DecodeError::UnsupportedMessage(msg_type)),
            },
            RESPONSE_SUBMIT_BATCH_JOB => Message::SubmitBatchJobResponse {
                job_id: u.u32("submit.job_id")?,
                step_id: u.u32("submit.step_id")?,
                error_code: u.u32("submit.error_code")?,
                job_submit_user_msg: u.str("submit.job_submit_user_msg")?,
            },
            RESPONSE_JOB_WILL_RUN => {
                let job_id = u.u32("will_run.job_id")?;
                let job_submit_user_msg = u.str("will_run.job_submit_user_msg")?;
                let node_list = u.str("will_run.node_list")?;
                let part_name = u.str("will_run.part_name")?;
                let count = u.u32("will_run.preemptee_count")?;
                let preemptee_job_id = if count == NO_VAL {
                    None
                } else {
                    let n = u.check_count("will_run.preemptee_count", count, 4)?;
                    Some(
                        (0..n)
                            .map(|_| u.u32("will_run.preemptee"))
                            .collect::<DecodeResult<Vec<_>>>()?,
                    )
                };
                Message::JobWillRunResponse(WillRunResponse {
                    job_id,
                    job_submit_user_msg,
                    node_list,
                    part_name,
                    preemptee_job_id,
                    proc_cnt: u.u32("will_run.proc_cnt")?,
                    start_time: u.time("will_run.start_time")?,
                    sys_usage_per: u.double("will_run.sys_usage_per")?,
                })
            }
            RESPONSE_JOB_ARRAY_ERRORS => {
                let n = u.count("array_errors.count", 8)?;
                let errs = (0..n)
                    .map(|_| {
                        Ok((
                            u.u32("array_errors.code")?,
                            u.str("array_errors.job_array_id")?,
                        ))
                    })
                    .collect::<DecodeResult<Vec<_>>>()?;
                Message::JobArrayErrors(errs)
            }
            REQUEST_NODE_REGISTRATION_STATUS => Message::NodeRegistrationStatusRequest,
            REQUEST_HEALTH_CHECK => Message::HealthCheck,
            REQUEST_ACCT_GATHER_UPDATE => Message::AcctGatherUpdate,
            MESSAGE_NODE_REGISTRATION_STATUS => {
                Message::NodeRegistration(Box::new(NodeRegistration::unpack(u, version)?))
            }
            RESPONSE_NODE_REGISTRATION => {
                Message::NodeRegistrationResponse(NodeRegistrationResponse::unpack(u)?)
            }
            RESPONSE_PING_SLURMD => Message::PingSlurmdResponse(PingSlurmdResponse::unpack(u)?),
            RESPONSE_ACCT_GATHER_UPDATE => {
                Message::AcctGatherUpdateResponse(AcctGatherNodeResponse::unpack(u)?)
            }
            REQUEST_BATCH_JOB_LAUNCH => {
                Message::BatchJobLaunch(Box::new(BatchJobLaunch::unpack(u, version)?))
            }
            REQUEST_STEP_COMPLETE => Message::StepComplete(StepComplete::unpack(u, version)?),
            REQUEST_COMPLETE_BATCH_SCRIPT => {
                Message::CompleteBatchScript(CompleteBatchScript::unpack(u, version)?)
            }
            REQUEST_SIGNAL_TASKS => Message::SignalTasks(SignalTasks::unpack(u)?),
            REQUEST_TERMINATE_TASKS => Message::TerminateTasks(SignalTasks::unpack(u)?),
            REQUEST_KILL_TIMELIMIT => {
                Message::KillTimelimit(Box::new(KillJob::unpack(u, version)?))
            }
            REQUEST_TERMINATE_JOB => Message::TerminateJob(Box::new(KillJob::unpack(u, version)?)),
            REQUEST_ABORT_JOB => Message::AbortJob(Box::new(KillJob::unpack(u, version)?)),
            REQUEST_KILL_PREEMPTED => {
                Message::KillPreempted(Box::new(KillJob::unpack(u, version)?))
            }
            MESSAGE_EPILOG_COMPLETE => Message::EpilogComplete(EpilogComplete::unpack(u)?),
            REQUEST_LAUNCH_PROLOG => {
                Message::LaunchProlog(Box::new(PrologLaunch::unpack(u, version)?))
            }
            REQUEST_COMPLETE_PROLOG => Message::CompleteProlog(CompleteProlog::unpack(u, version)?),
            REQUEST_RESOURCE_ALLOCATION => {
                Message::ResourceAllocation(Box::new(JobDescriptor::unpack(u, version)?))
            }
            REQUEST_JOB_READY => Message::JobReadyRequest {
                job_id: u.u32("job_ready.job_id")?,
                show_flags: u.u16("job_ready.show_flags")?,
            },
            RESPONSE_JOB_READY => Message::JobReadyResponse {
                rc: u.u32("job_ready.return_code")?,
            },
            REQUEST_COMPLETE_JOB_ALLOCATION => Message::CompleteJobAllocation {
                job_id: u.u32("complete_alloc.job_id")?,
                job_rc: u.u32("complete_alloc.job_rc")?,
            },
            REQUEST_LAUNCH_TASKS => {
                Message::LaunchTasks(Box::new(LaunchTasksRequest::unpack(u, version)?))
            }
            RESPONSE_LAUNCH_TASKS => Message::LaunchTasksResponse(LaunchTasksResponse::unpack(u)?),
            MESSAGE_TASK_EXIT => Message::TaskExit(TaskExit::unpack(u)?),
            SRUN_JOB_COMPLETE => Message::SrunJobComplete(StepId::unpack(u)?),
            RESPONSE_RESOURCE_ALLOCATION => Message::ResourceAllocationResponse(Box::new(
                ResourceAllocationResponse::unpack(u, version)?,
            )),
            REQUEST_JOB_STEP_CREATE => {
                Message::JobStepCreate(Box::new(JobStepCreateRequest::unpack(u, version)?))
            }
            RESPONSE_JOB_STEP_CREATE => {
                Message::JobStepCreateResponse(Box::new(JobStepCreateResponse::unpack(u, version)?))
            }
            REQUEST_JOB_ALLOCATION_INFO => Message::JobAllocationInfoRequest {
                job_id: u.u32("alloc_info.job_id")?,
                req_cluster: u.str("alloc_info.req_cluster")?,
            },
            REQUEST_HET_JOB_ALLOC_INFO => Message::HetJobAllocInfoRequest {
                job_id: u.u32("alloc_info.job_id")?,
                req_cluster: u.str("alloc_info.req_cluster")?,
            },
            RESPONSE_JOB_ALLOCATION_INFO => Message::JobAllocationInfo(Box::new(
                ResourceAllocationResponse::unpack(u, version)?,
            )),
            RESPONSE_HET_JOB_ALLOCATION => {
                // Each allocation is far more than 16 bytes.
                let n = u.u16("het_alloc.count")?;
                let n = u.check_count("het_alloc.count", n.into(), 16)?;
                let list = (0..n)
                    .map(|_| ResourceAllocationResponse::unpack(u, version))
                    .collect::<DecodeResult<_>>()?;
                Message::HetJobAllocation(list)
            }
            SRUN_PING => Message::SrunPing,
            SRUN_STEP_SIGNAL => Message::SrunStepSignal(JobStepKill::unpack(u)?),
            SRUN_TIMEOUT => Message::SrunTimeout {
                step_id: StepId::unpack(u)?,
                timeout: u.time("srun_timeout.timeout")?,
            },
            other => return Err(DecodeError::UnsupportedMessage(other)),
        };
        u.finish(msg_type::name(msg_type))?;
        Ok(m)
    }
}
