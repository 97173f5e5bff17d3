use compat_tests::{Golden, TEST_USER};

use crate::common::{cluster, job_id, submit_wrap, wait_queue_settled};

#[test]
fn scancel_pending_job() {
    let c = cluster();
    let g = Golden::new("scancel");
    let keep = submit_wrap(&c, &["-J", "keep"]);
    let cancel = submit_wrap(&c, &["-J", "cancel-me"]);
    wait_queue_settled(&c);
    g.run(&c, "scancel", &["scancel", &cancel]);
    g.run(&c, "squeue_after", &["squeue"]);
    g.run(&c, "squeue_all_states", &["squeue", "-t", "all"]);
    g.run(&c, "show_cancelled", &["scontrol", "show", "job", &cancel]);
    g.run(&c, "scancel_again", &["scancel", &cancel]);
    g.run(&c, "scancel_missing", &["scancel", "999999"]);
    let _ = keep;
}

#[test]
fn scontrol_hold_release_update_requeue() {
    let c = cluster();
    let g = Golden::new("scontrol_job_ops");
    let id = submit_wrap(&c, &["-J", "tweak-me"]);
    wait_queue_settled(&c);
    g.run(&c, "hold", &["scontrol", "hold", &id]);
    g.run(&c, "squeue_held", &["squeue"]);
    g.run(&c, "release", &["scontrol", "release", &id]);
    wait_queue_settled(&c);
    g.run(&c, "squeue_released", &["squeue"]);
    g.run(
        &c,
        "update",
        &[
            "scontrol",
            "update",
            &format!("jobid={id}"),
            "TimeLimit=30:00",
            "Partition=cpu",
            "Name=renamed",
        ],
    );
    wait_queue_settled(&c);
    g.run(&c, "show_updated", &["scontrol", "show", "job", &id]);
    g.run(
        &c,
        "update_time_too_long",
        &[
            "scontrol",
            "update",
            &format!("jobid={id}"),
            "TimeLimit=1-00:00:00",
        ],
    );
    g.run(
        &c,
        "update_bad_partition",
        &[
            "scontrol",
            "update",
            &format!("jobid={id}"),
            "Partition=nosuch",
        ],
    );
    g.run(&c, "requeue_pending", &["scontrol", "requeue", &id]);
    // Updating a job resets its reason to None until the next scheduler pass.
    wait_queue_settled(&c);
    g.run(
        &c,
        "squeue_final",
        &["squeue", "-o", "%.8i %.9P %.10j %.2t %l %r"],
    );
}

#[test]
fn ordinary_user_vs_root_job() {
    let c = cluster();
    let g = Golden::new("non_owner");
    let root_job = submit_wrap(&c, &["-J", "roots"]);
    g.run_as(&c, "scancel_roots_job", TEST_USER, &["scancel", &root_job]);
    g.run_as(
        &c,
        "update_roots_job",
        TEST_USER,
        &[
            "scontrol",
            "update",
            &format!("jobid={root_job}"),
            "TimeLimit=5",
        ],
    );
    g.run_as(
        &c,
        "hold_roots_job",
        TEST_USER,
        &["scontrol", "hold", &root_job],
    );

    let own = g.run_as(
        &c,
        "submit_own",
        TEST_USER,
        &["sbatch", "--parsable", "-J", "mine", "--wrap", "true"],
    );
    let own = job_id(&own);
    wait_queue_settled(&c);
    g.run_as(&c, "squeue_as_user", TEST_USER, &["squeue"]);
    g.run_as(&c, "scancel_own", TEST_USER, &["scancel", &own]);
    g.run(&c, "squeue_after", &["squeue"]);
}
