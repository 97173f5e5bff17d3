//! Prolog and Epilog on the nodes: their environment, and what a failing
//! Prolog does (upstream: the node drains with "Prolog error", the job is
//! requeued and held, its output file says why).

use std::time::Duration;

use compat_tests::{Cluster, ClusterOpts, Golden};

use crate::jobs_common::{job_id, wait_done, wait_job_settled, wait_node_state};

/// Each script dumps its SLURM* environment to `<kind>-<job>-<node>.env`;
/// the Prolog fails (exit 7) while `prolog-fail` exists.
fn prolog_cluster() -> Cluster {
    let dump = |kind: &str| {
        format!("env | grep -E '^(SLURM|CUDA_|GPU_)' | sort > @DIR@/{kind}-$SLURM_JOB_ID-$SLURMD_NODENAME.env\n")
    };
    Cluster::start(ClusterOpts {
        extra_conf: vec![
            "Prolog=@DIR@/prolog.sh".into(),
            "Epilog=@DIR@/epilog.sh".into(),
        ],
        scripts: vec![
            (
                "prolog.sh".into(),
                format!(
                    "#!/bin/sh\n{}[ -e @DIR@/prolog-fail ] && exit 7\nexit 0\n",
                    dump("prolog")
                ),
            ),
            (
                "epilog.sh".into(),
                format!("#!/bin/sh\n{}exit 0\n", dump("epilog")),
            ),
        ],
        ..ClusterOpts::with_nodes(2)
    })
}

#[test]
fn prolog_and_epilog_environment_and_prolog_failure() {
    let c = prolog_cluster();
    let g = Golden::new("job_prolog");

    let good = job_id(&g.run(
        &c,
        "submit_good",
        &[
            "sbatch",
            "--parsable",
            "-w",
            "n2",
            "-J",
            "good",
            "-o",
            "good-%j.txt",
            "--wrap",
            "echo ran",
        ],
    ));
    wait_done(&c, &good);
    wait_job_settled(&c, &good);
    g.run(&c, "prolog_env", &["cat", &format!("prolog-{good}-n2.env")]);
    g.run(&c, "epilog_env", &["cat", &format!("epilog-{good}-n2.env")]);
    g.run(&c, "out_good", &["cat", &format!("good-{good}.txt")]);

    std::fs::write(c.dir().join("prolog-fail"), "").unwrap();
    let bad = job_id(&g.run(
        &c,
        "submit_bad",
        &[
            "sbatch",
            "--parsable",
            "-w",
            "n1",
            "-J",
            "bad",
            "-o",
            "bad-%j.txt",
            "--wrap",
            "echo ran",
        ],
    ));
    wait_node_state(&c, "n1", "drain", Duration::from_secs(30));
    c.wait_until("job requeued and held", Duration::from_secs(30), |c| {
        let out = c.run(&["squeue", "-h", "-j", &bad, "-o", "%T %r"]);
        if out.stdout.starts_with("PENDING") {
            Ok(())
        } else {
            Err(out.to_string())
        }
    });
    g.run(&c, "sinfo_reason", &["sinfo", "-h", "-R", "-o", "%N %E"]);
    g.run(
        &c,
        "state_bad",
        &["squeue", "-h", "-j", &bad, "-o", "%j %T %r"],
    );
    g.run(&c, "out_bad", &["cat", &format!("bad-{bad}.txt")]);

    std::fs::remove_file(c.dir().join("prolog-fail")).unwrap();
    g.run(
        &c,
        "resume",
        &["scontrol", "update", "nodename=n1", "state=resume"],
    );
    // A node refuses a launch whose credential is not newer than the job's
    // last kill (slurm_cred_revoked compares seconds): upstream's 121-s
    // BeginTime exists for that, and starttime=now below skips it.
    std::thread::sleep(Duration::from_secs(2));
    g.run(&c, "release", &["scontrol", "release", &bad]);
    // A requeued job waits 121 s (BeginTime) before it may run again.
    g.run(
        &c,
        "start_now",
        &[
            "scontrol",
            "update",
            &format!("jobid={bad}"),
            "starttime=now",
        ],
    );
    wait_done(&c, &bad);
    wait_job_settled(&c, &bad);
    g.run(
        &c,
        "state_bad_rerun",
        &["squeue", "-h", "-t", "all", "-j", &bad, "-o", "%j %T %r"],
    );
    g.run(&c, "out_bad_rerun", &["cat", &format!("bad-{bad}.txt")]);
    g.run(&c, "show_bad", &["scontrol", "show", "job", &bad]);
}

/// PrologSlurmctld / EpilogSlurmctld: the controller runs them around a
/// job (their environment is compared); a failing PrologSlurmctld requeues
/// the job held, the node stays usable.
#[test]
fn slurmctld_prolog_and_epilog() {
    let dump =
        |kind: &str| format!("env | grep -E '^SLURM' | sort > @DIR@/{kind}-$SLURM_JOB_ID.env\n");
    let c = Cluster::start(ClusterOpts {
        extra_conf: vec![
            "PrologSlurmctld=@DIR@/ctld-prolog.sh".into(),
            "EpilogSlurmctld=@DIR@/ctld-epilog.sh".into(),
        ],
        scripts: vec![
            (
                "ctld-prolog.sh".into(),
                format!(
                    "#!/bin/sh\n{}[ -e @DIR@/prolog-fail ] && exit 3\nexit 0\n",
                    dump("ctld-prolog")
                ),
            ),
            (
                "ctld-epilog.sh".into(),
                format!("#!/bin/sh\n{}exit 0\n", dump("ctld-epilog")),
            ),
        ],
        ..ClusterOpts::with_nodes(2)
    });
    let g = Golden::new("job_prolog_slurmctld");

    let good = job_id(&g.run(
        &c,
        "submit_good",
        &[
            "sbatch",
            "--parsable",
            "-w",
            "n2",
            "-J",
            "good",
            "-o",
            "good-%j.txt",
            "--wrap",
            "echo ran",
        ],
    ));
    wait_done(&c, &good);
    wait_job_settled(&c, &good);
    c.wait_until("EpilogSlurmctld ran", Duration::from_secs(20), |c| {
        if c.dir().join(format!("ctld-epilog-{good}.env")).exists() {
            Ok(())
        } else {
            Err("not yet".into())
        }
    });
    g.run(
        &c,
        "prolog_env",
        &["cat", &format!("ctld-prolog-{good}.env")],
    );
    g.run(
        &c,
        "epilog_env",
        &["cat", &format!("ctld-epilog-{good}.env")],
    );
    g.run(
        &c,
        "state_good",
        &["squeue", "-h", "-t", "all", "-j", &good, "-o", "%j %T %r"],
    );

    std::fs::write(c.dir().join("prolog-fail"), "").unwrap();
    let bad = job_id(&g.run(
        &c,
        "submit_bad",
        &[
            "sbatch",
            "--parsable",
            "-w",
            "n1",
            "-J",
            "bad",
            "-o",
            "bad-%j.txt",
            "--wrap",
            "echo ran",
        ],
    ));
    c.wait_until(
        "job back to pending after the failed PrologSlurmctld",
        Duration::from_secs(60),
        |c| {
            let out = c.run(&["squeue", "-h", "-j", &bad, "-o", "%T %r"]);
            if c.dir().join(format!("ctld-prolog-{bad}.env")).exists()
                && !out.stdout.starts_with("RUNNING")
                && !out.stdout.starts_with("CONFIGURING")
                && !out.stdout.is_empty()
            {
                Ok(())
            } else {
                Err(out.to_string())
            }
        },
    );
    std::thread::sleep(Duration::from_secs(2));
    g.run(
        &c,
        "state_bad",
        &["squeue", "-h", "-t", "all", "-j", &bad, "-o", "%j %T %r"],
    );
    g.run(&c, "sinfo", &["sinfo", "-h", "-N", "-o", "%N %t %E"]);
}
