use compat_tests::Golden;

use crate::common::{cluster, submit_wrap, wait_nodes_not_responding, wait_queue_settled};

#[test]
fn scontrol_show_and_ping() {
    let c = cluster();
    let g = Golden::new("scontrol");
    g.run(&c, "ping", &["scontrol", "ping"]);
    g.run(
        &c,
        "show_partition_gpu",
        &["scontrol", "show", "partition", "gpu"],
    );
    g.run(&c, "show_partitions", &["scontrol", "show", "partition"]);
    g.run(&c, "show_config", &["scontrol", "show", "config"]);

    let id = submit_wrap(
        &c,
        &["-J", "show-me", "--gres=gpu:a100:2", "-c", "4", "--mem=8G"],
    );
    wait_queue_settled(&c);
    g.run(&c, "show_job", &["scontrol", "show", "job", &id]);
    g.run(
        &c,
        "show_job_missing",
        &["scontrol", "show", "job", "999999"],
    );

    // Node state includes NOT_RESPONDING once the first ping failed.
    wait_nodes_not_responding(&c);
    g.run(
        &c,
        "show_node_gpu01",
        &["scontrol", "show", "node", "gpu01"],
    );
    g.run(
        &c,
        "show_node_cpu01",
        &["scontrol", "show", "node", "cpu01"],
    );
    g.run(
        &c,
        "show_node_missing",
        &["scontrol", "show", "node", "nosuch"],
    );
}
