//! slurm.conf and gres.conf text and hostlist expressions: no input may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::conf::gres::{self, GresNodeConf, NodeInput};
use wire::conf::SlurmConf;
use wire::hostlist;

fuzz_target!(|text: &str| {
    // `Include` reads files: /dev/zero or a FIFO would hang the fuzzer on
    // I/O, not on parsing, so the target stays off the file system.
    if !text.to_ascii_lowercase().contains("include") {
        let _ = SlurmConf::from_str(text, "fuzz.conf");
        // The same text as a gres.conf, for a node with every kind of GRES.
        let input = NodeInput {
            node_name: "n1",
            gres_types: Some("gpu,mps,shard,nic,bw"),
            node_gres: Some("gpu:a:2,gpu:b:1,mps:100,shard:4,nic:1,bw:4K"),
            cpu_cnt: 8,
            core_cnt: 4,
            cluster_name: Some("c"),
            file_check: None,
        };
        if let Ok(c) = GresNodeConf::from_str(Some(text), "gres.conf", input) {
            let _ = c.devices("gpu", |_| Ok(()));
        }
        let _ = GresNodeConf::from_str(
            None,
            "gres.conf",
            NodeInput {
                node_gres: Some(text),
                gres_types: Some(text),
                ..input
            },
        );
    }
    let _ = gres::node_gres(Some(text), "gpu", &mut Vec::new());
    if let Ok(hosts) = hostlist::expand(text) {
        let _ = hostlist::compress(&hosts);
    }
    // compress on names that did not come from a hostlist.
    let names: Vec<String> = text.split([',', '\n']).map(str::to_owned).collect();
    let _ = hostlist::compress(&names);
});
