//! One message body of a type we decode: parse → encode → parse must be the
//! identity.
//!
//! Input: two bytes (big-endian u16) choose the message type, modulo the
//! number of types we decode, and the protocol version (the quotient, modulo
//! the three versions we accept); the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::msg::{msg_type as t, Message};
use wire::version::ProtocolVersion;

/// Every type `Message::unpack` has a decoder for.
const TYPES: &[u16] = &[
    t::REQUEST_RECONFIGURE,
    t::REQUEST_SHUTDOWN,
    t::REQUEST_PING,
    t::REQUEST_LICENSE_INFO,
    t::RESPONSE_LICENSE_INFO,
    t::REQUEST_BUILD_INFO,
    t::RESPONSE_BUILD_INFO,
    t::REQUEST_JOB_INFO,
    t::RESPONSE_JOB_INFO,
    t::REQUEST_JOB_STEP_INFO,
    t::RESPONSE_JOB_STEP_INFO,
    t::REQUEST_NODE_INFO,
    t::RESPONSE_NODE_INFO,
    t::REQUEST_PARTITION_INFO,
    t::RESPONSE_PARTITION_INFO,
    t::REQUEST_JOB_INFO_SINGLE,
    t::REQUEST_RESERVATION_INFO,
    t::RESPONSE_RESERVATION_INFO,
    t::REQUEST_JOB_USER_INFO,
    t::REQUEST_NODE_INFO_SINGLE,
    t::REQUEST_FED_INFO,
    t::RESPONSE_FED_INFO,
    t::REQUEST_UPDATE_JOB,
    t::REQUEST_UPDATE_NODE,
    t::REQUEST_UPDATE_PARTITION,
    t::REQUEST_SUBMIT_BATCH_JOB,
    t::RESPONSE_SUBMIT_BATCH_JOB,
    t::REQUEST_JOB_WILL_RUN,
    t::RESPONSE_JOB_WILL_RUN,
    t::REQUEST_CANCEL_JOB_STEP,
    t::REQUEST_JOB_REQUEUE,
    t::REQUEST_KILL_JOB,
    t::RESPONSE_JOB_ARRAY_ERRORS,
    t::RESPONSE_SLURM_RC,
    t::RESPONSE_SLURM_RC_MSG,
];

const VERSIONS: [ProtocolVersion; 3] = [ProtocolVersion::V22_05, ProtocolVersion::V21_08, ProtocolVersion::V20_11];

fuzz_target!(|data: &[u8]| {
    let Some((sel, body)) = data.split_first_chunk::<2>() else { return };
    let sel = u16::from_be_bytes(*sel) as usize;
    let msg_type = TYPES[sel % TYPES.len()];
    let version = VERSIONS[(sel / TYPES.len()) % VERSIONS.len()];

    let Ok(m) = Message::unpack(msg_type, version, body) else { return };
    assert_eq!(m.msg_type(), msg_type, "decoded as another type");
    let enc = m.to_body(version);
    let m2 = Message::unpack(msg_type, version, &enc)
        .unwrap_or_else(|e| panic!("re-encoded body does not decode: {e}\n{m:?}"));
    assert_eq!(m, m2, "body changed in a parse/encode/parse round trip");
    assert_eq!(m2.to_body(version), enc, "second encoding differs");
});
