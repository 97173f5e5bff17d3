//! slurm.conf text and hostlist expressions: no input may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::conf::SlurmConf;
use wire::hostlist;

fuzz_target!(|text: &str| {
    // `Include` reads files: /dev/zero or a FIFO would hang the fuzzer on
    // I/O, not on parsing, so the target stays off the file system.
    if !text.to_ascii_lowercase().contains("include") {
        let _ = SlurmConf::from_str(text, "fuzz.conf");
    }
    if let Ok(hosts) = hostlist::expand(text) {
        let _ = hostlist::compress(&hosts);
    }
    // compress on names that did not come from a hostlist.
    let names: Vec<String> = text.split([',', '\n']).map(str::to_owned).collect();
    let _ = hostlist::compress(&names);
});
