//! One message body of a type we decode: parse → encode → parse must be the
//! identity.
//!
//! Input: two bytes (big-endian u16) choose the message type, modulo the
//! number of types we decode, and the protocol version (the quotient, modulo
//! the three versions we accept); the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::msg::msg_type as t;
use wire_fuzz::families::message_round_trip;

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

fuzz_target!(|data: &[u8]| message_round_trip(TYPES, data));
