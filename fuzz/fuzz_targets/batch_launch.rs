//! The `batch_launch` family (see `src/families.rs`): parse → encode → parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire_fuzz::families::{message_round_trip, BATCH_LAUNCH};

fuzz_target!(|data: &[u8]| message_round_trip(BATCH_LAUNCH, data));
