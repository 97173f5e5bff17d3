use compat_tests::Golden;

use crate::common::{cluster, install_script, job_id, wait_queue_settled};

const SCRIPT: &str = "train_resnet.sbatch";

#[test]
fn sbatch_train_resnet_directives() {
    let c = cluster();
    let g = Golden::new("sbatch_train_resnet");
    let script = install_script(&c, SCRIPT);

    let held = job_id(&g.run(
        &c,
        "submit_held",
        &["sbatch", "--parsable", "--hold", &script],
    ));
    let array = job_id(&g.run(
        &c,
        "submit_array",
        &["sbatch", "--parsable", "--array=0-99%10", &script],
    ));
    let dep = format!("--dependency=afterok:{held}");
    let dependent = job_id(&g.run(
        &c,
        "submit_dependent",
        &["sbatch", "--parsable", &dep, &script],
    ));
    let plain = g.run(&c, "submit_plain", &["sbatch", &script]);
    let plain = plain.trimmed().rsplit(' ').next().unwrap().to_string();

    wait_queue_settled(&c);
    g.run(&c, "show_held", &["scontrol", "show", "job", &held]);
    g.run(&c, "show_array", &["scontrol", "show", "job", &array]);
    g.run(
        &c,
        "show_dependent",
        &["scontrol", "show", "job", &dependent],
    );
    g.run(&c, "show_plain", &["scontrol", "show", "job", &plain]);
    g.run(&c, "squeue", &["squeue"]);

    // The same script on stdin (no script path: Command= differs).
    let text = std::fs::read_to_string(c.dir().join(SCRIPT)).unwrap();
    let piped = job_id(&g.run_stdin(
        &c,
        "submit_stdin",
        &["sbatch", "--parsable", "--hold"],
        &text,
    ));
    g.run(&c, "show_stdin", &["scontrol", "show", "job", &piped]);
}

/// One cluster, one rejected submission per step. After each one a valid
/// held job is submitted (step `<case>_next_id`): some rejections happen
/// after upstream has assigned a job id and so burn it, others do not, and a
/// compatible controller must hand out the same ids.
#[test]
fn sbatch_invalid_requests() {
    let c = cluster();
    let g = Golden::new("sbatch_invalid");
    let wrap = |step: &str, opts: &[&str]| {
        let mut args = vec!["sbatch"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["--wrap", "true"]);
        g.run(&c, step, &args);
        g.run(
            &c,
            &format!("{step}_next_id"),
            &["sbatch", "--parsable", "--hold", "--wrap", "true"],
        );
    };
    wrap("unknown_partition", &["-p", "nosuch"]);
    wrap("too_many_nodes_gpu", &["-N", "5"]);
    wrap("too_many_nodes", &["-p", "cpu", "-N", "3"]);
    wrap("too_many_cpus_per_task", &["-c", "64"]);
    wrap(
        "too_many_tasks_per_node",
        &["-p", "cpu", "--ntasks-per-node=32"],
    );
    wrap("too_much_memory", &["--mem=300000"]);
    wrap("too_many_gpus", &["--gres=gpu:8"]);
    wrap("too_many_gpus_typed", &["--gres=gpu:a100:8"]);
    wrap("time_above_partition_max", &["-p", "cpu", "-t", "13:00:00"]);
    wrap("time_above_debug_max", &["-p", "debug", "-t", "31"]);
    wrap(
        "dependency_on_missing_job",
        &["--dependency=afterok:424242"],
    );
    wrap("dependency_malformed", &["--dependency=afterok:abc"]);
    wrap("dependency_unknown_type", &["--dependency=whenever:1000"]);
    wrap("array_above_max", &["--array=0-2000"]);
    // MaxArraySize=1001: indices 0..=1000 are valid.
    wrap("array_index_at_limit", &["--array=1000", "--hold"]);
    wrap("array_index_above_limit", &["--array=1001"]);

    // afterok on a job that never existed is accepted; what does it wait on?
    // (1015 = the id upstream gave it, see dependency_on_missing_job.txt.)
    wait_queue_settled(&c);
    g.run(
        &c,
        "show_missing_dependency_job",
        &["scontrol", "show", "job", "1015"],
    );
}

/// MaxJobCount=120 and every array task counts: 100 + 19 fit, the next job
/// does not. slurmctld answers EAGAIN, which sbatch retries 15 times with
/// growing sleeps (~2 min), so we kill it after its first error line.
#[test]
fn sbatch_max_job_count() {
    let c = cluster();
    let g = Golden::new("sbatch_max_job_count");
    g.run(
        &c,
        "array_100",
        &["sbatch", "--hold", "--array=0-99", "--wrap", "true"],
    );
    g.run(
        &c,
        "array_19",
        &["sbatch", "--hold", "--array=0-18", "--wrap", "true"],
    );
    g.run(
        &c,
        "one_more",
        &[
            "timeout", "-s", "KILL", "3", "sbatch", "--hold", "--wrap", "true",
        ],
    );
    g.run(&c, "squeue", &["squeue"]);
}
