use compat_tests::Golden;

use crate::common::{cluster, job_id, wait_queue_settled};

#[test]
fn state_survives_kill9_and_clean_start_discards_it() {
    let mut c = cluster();
    let g = Golden::new("durability");
    let first = job_id(&g.run(
        &c,
        "submit",
        &["sbatch", "--parsable", "-J", "survivor", "--wrap", "true"],
    ));
    wait_queue_settled(&c);
    g.run(&c, "squeue_before", &["squeue"]);

    // No chance to save state on exit: only what was written at submit time
    // (or by the periodic state save) can survive.
    c.kill9();
    c.restart(false);
    wait_queue_settled(&c);
    g.run(&c, "squeue_after_kill9", &["squeue"]);
    g.run(&c, "show_after_kill9", &["scontrol", "show", "job", &first]);
    g.run(
        &c,
        "submit_after_kill9",
        &["sbatch", "--parsable", "-J", "next", "--wrap", "true"],
    );

    // Orderly stop, then -c: the controller must ignore the saved jobs.
    c.stop();
    c.restart(true);
    g.run(&c, "squeue_after_clean", &["squeue"]);
    g.run(
        &c,
        "submit_after_clean",
        &["sbatch", "--parsable", "-J", "fresh", "--wrap", "true"],
    );
}
