//! The `step_create` family (see `src/families.rs`): parse → encode → parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire_fuzz::families::{message_round_trip, STEP_CREATE};

fuzz_target!(|data: &[u8]| message_round_trip(STEP_CREATE, data));
