//! The decoder families the fuzz targets cover and the property each
//! checks: what decodes re-encodes to something that decodes to the same
//! value, and encodes the same again.
//!
//! Used by the targets in `fuzz_targets/` and, outside the fuzzer, by
//! `wire/tests/fuzz_seeds.rs`, which runs every family over the golden
//! frames (the seed corpus) in a normal test.

use wire::msg::{msg_type as t, Message, SignedCredential};
use wire::pack::{Packer, Unpacker};
use wire::version::ProtocolVersion;

/// The versions a selector picks from.
pub const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V22_05,
    ProtocolVersion::V21_08,
    ProtocolVersion::V20_11,
];

/// REQUEST_BATCH_JOB_LAUNCH (slurmd).
pub const BATCH_LAUNCH: &[u16] = &[t::REQUEST_BATCH_JOB_LAUNCH];
/// REQUEST_LAUNCH_TASKS and what answers it (slurmd, srun).
pub const LAUNCH_TASKS: &[u16] = &[
    t::REQUEST_LAUNCH_TASKS,
    t::RESPONSE_LAUNCH_TASKS,
    t::MESSAGE_TASK_EXIT,
];
/// Ending a job on a node (slurmd).
pub const KILL_JOB: &[u16] = &[
    t::REQUEST_TERMINATE_JOB,
    t::REQUEST_ABORT_JOB,
    t::REQUEST_KILL_TIMELIMIT,
    t::REQUEST_KILL_PREEMPTED,
];
/// Signalling and suspending tasks (slurmd).
pub const SIGNAL_TASKS: &[u16] = &[
    t::REQUEST_SIGNAL_TASKS,
    t::REQUEST_TERMINATE_TASKS,
    t::REQUEST_SUSPEND_INT,
];
/// Step creation and completion (slurmctld, srun).
pub const STEP_CREATE: &[u16] = &[
    t::REQUEST_JOB_STEP_CREATE,
    t::RESPONSE_JOB_STEP_CREATE,
    t::REQUEST_STEP_COMPLETE,
];
/// Interactive allocations (slurmctld, salloc/srun).
pub const ALLOCATION: &[u16] = &[
    t::REQUEST_RESOURCE_ALLOCATION,
    t::RESPONSE_RESOURCE_ALLOCATION,
    t::REQUEST_JOB_READY,
    t::RESPONSE_JOB_READY,
    t::REQUEST_COMPLETE_JOB_ALLOCATION,
    t::SRUN_JOB_COMPLETE,
];
/// What nodes and the controller tell each other about nodes and jobs.
pub const NODE_REGISTRATION: &[u16] = &[
    t::MESSAGE_NODE_REGISTRATION_STATUS,
    t::RESPONSE_NODE_REGISTRATION,
    t::REQUEST_NODE_REGISTRATION_STATUS,
    t::RESPONSE_PING_SLURMD,
    t::RESPONSE_ACCT_GATHER_UPDATE,
    t::MESSAGE_EPILOG_COMPLETE,
    t::REQUEST_COMPLETE_BATCH_SCRIPT,
    t::REQUEST_LAUNCH_PROLOG,
    t::REQUEST_COMPLETE_PROLOG,
];
/// Job descriptors (slurmctld: sbatch, salloc, scontrol update).
pub const JOB_DESC: &[u16] = &[
    t::REQUEST_SUBMIT_BATCH_JOB,
    t::REQUEST_JOB_WILL_RUN,
    t::REQUEST_UPDATE_JOB,
];

/// Every message family with a target of its own: (target name, types).
pub const MESSAGE_FAMILIES: &[(&str, &[u16])] = &[
    ("batch_launch", BATCH_LAUNCH),
    ("launch_tasks", LAUNCH_TASKS),
    ("kill_job", KILL_JOB),
    ("signal_tasks", SIGNAL_TASKS),
    ("step_create", STEP_CREATE),
    ("allocation", ALLOCATION),
    ("node_registration", NODE_REGISTRATION),
    ("job_desc", JOB_DESC),
];

/// The two selector bytes that make [`message_round_trip`] pick
/// `msg_type` at `version` from `types` (None: not in the family).
pub fn selector(types: &[u16], msg_type: u16, version: ProtocolVersion) -> Option<[u8; 2]> {
    let ti = types.iter().position(|&x| x == msg_type)?;
    let vi = VERSIONS.iter().position(|&v| v == version)?;
    u16::try_from(ti + types.len() * vi)
        .ok()
        .map(u16::to_be_bytes)
}

/// Input: a big-endian u16 choosing the type (modulo the family's size)
/// and version (the quotient, modulo three), then the body. Panics when
/// the round trip does not hold.
pub fn message_round_trip(types: &[u16], data: &[u8]) {
    let Some((sel, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let sel = u16::from_be_bytes(*sel) as usize;
    let msg_type = types[sel % types.len()];
    let version = VERSIONS[(sel / types.len()) % VERSIONS.len()];
    let Ok(m) = Message::unpack(msg_type, version, body) else {
        return;
    };
    assert_eq!(m.msg_type(), msg_type, "decoded as another type");
    let enc = m.to_body(version);
    let m2 = Message::unpack(msg_type, version, &enc)
        .unwrap_or_else(|e| panic!("re-encoded body does not decode: {e}\n{m:?}"));
    assert_eq!(m, m2, "body changed in a parse/encode/parse round trip");
    assert_eq!(m2.to_body(version), enc, "second encoding differs");
}

/// Input: one byte choosing the version (modulo three), then a packed
/// job credential (`slurm_cred_unpack`). What decodes packs back to the
/// bytes it was read from (the signature covers them).
pub fn credential_round_trip(data: &[u8]) {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    let version = VERSIONS[sel as usize % VERSIONS.len()];
    let mut u = Unpacker::new(bytes);
    let Ok(c) = SignedCredential::unpack(&mut u, version) else {
        return;
    };
    let read = &bytes[..bytes.len() - u.remaining()];
    let mut p = Packer::new();
    c.pack(&mut p);
    assert_eq!(p.as_slice(), read, "credential does not pack to its bytes");
    let again = SignedCredential::unpack(&mut Unpacker::new(p.as_slice()), version)
        .expect("re-packed credential must decode");
    assert_eq!(again, c, "credential changed in a round trip");
}
