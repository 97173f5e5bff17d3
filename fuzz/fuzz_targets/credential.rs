//! A packed job credential (`slurm_cred_unpack`): what decodes packs back
//! to the bytes it was read from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire_fuzz::families::credential_round_trip;

fuzz_target!(|data: &[u8]| credential_round_trip(data));
