use compat_tests::Golden;

use crate::common::{cluster, wait_nodes_not_responding};

#[test]
fn sinfo_views_and_drain_resume() {
    let c = cluster();
    let g = Golden::new("sinfo");
    // Snapshot only after the first node ping marked nodes not responding.
    wait_nodes_not_responding(&c);
    g.run(&c, "default", &["sinfo"]);
    g.run_node_rows(&c, "nodes_long", &["sinfo", "-N", "-l"]);
    g.run(&c, "format", &["sinfo", "-o", "%P %N %G %c %m %l"]);

    g.run(
        &c,
        "drain_update",
        &[
            "scontrol",
            "update",
            "nodename=gpu02",
            "state=drain",
            "reason=x",
        ],
    );
    g.run(&c, "drained_default", &["sinfo"]);
    g.run_node_rows(&c, "drained_nodes_long", &["sinfo", "-N", "-l"]);
    g.run(&c, "drained_reasons", &["sinfo", "-R"]);

    g.run(
        &c,
        "resume_update",
        &["scontrol", "update", "nodename=gpu02", "state=resume"],
    );
    g.run(&c, "resumed_default", &["sinfo"]);
    g.run_node_rows(&c, "resumed_nodes_long", &["sinfo", "-N", "-l"]);
}
