//! Prolog and Epilog on the nodes: their environment, and what a failing
//! Prolog does (upstream: the node drains with "Prolog error", the job is
//! requeued and held, its output file says why).

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use compat_tests::{Cluster, ClusterOpts, Golden};

use crate::jobs_common::{job_id, wait_done, wait_job_settled, wait_node_state};

/// Writes `name` in the cluster directory as an executable shell script.
fn install(c: &Cluster, name: &str, body: &str) {
    let path = c.dir().join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Each script dumps its SLURM* environment to `<kind>-<job>-<node>.env`;
/// the Prolog fails (exit 7) while `prolog-fail` exists.
fn prolog_cluster() -> Cluster {
    let c = Cluster::start(ClusterOpts {
        extra_conf: vec!["Prolog=@DIR@/prolog.sh".into(), "Epilog=@DIR@/epilog.sh".into()],
        ..ClusterOpts::with_nodes(2)
    });
    let dir = c.dir().display().to_string();
    let dump = |kind: &str| {
        format!("env | grep -E '^(SLURM|CUDA_|GPU_)' | sort > {dir}/{kind}-$SLURM_JOB_ID-$SLURMD_NODENAME.env\n")
    };
    install(&c, "prolog.sh", &format!("#!/bin/sh\n{}[ -e {dir}/prolog-fail ] && exit 7\nexit 0\n", dump("prolog")));
    install(&c, "epilog.sh", &format!("#!/bin/sh\n{}exit 0\n", dump("epilog")));
    c
}

#[test]
fn prolog_and_epilog_environment_and_prolog_failure() {
    let c = prolog_cluster();
    let g = Golden::new("job_prolog");

    let good = job_id(&g.run(
        &c,
        "submit_good",
        &["sbatch", "--parsable", "-w", "n2", "-J", "good", "-o", "good-%j.txt", "--wrap", "echo ran"],
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
        &["sbatch", "--parsable", "-w", "n1", "-J", "bad", "-o", "bad-%j.txt", "--wrap", "echo ran"],
    ));
    wait_node_state(&c, "n1", "drain", Duration::from_secs(30));
    c.wait_until("job requeued and held", Duration::from_secs(30), |c| {
        let out = c.run(&["squeue", "-h", "-j", &bad, "-o", "%T %r"]);
        if out.stdout.starts_with("PENDING") { Ok(()) } else { Err(out.to_string()) }
    });
    g.run(&c, "sinfo_reason", &["sinfo", "-h", "-R", "-o", "%N %E"]);
    g.run(&c, "state_bad", &["squeue", "-h", "-j", &bad, "-o", "%j %T %r"]);
    g.run(&c, "out_bad", &["cat", &format!("bad-{bad}.txt")]);

    std::fs::remove_file(c.dir().join("prolog-fail")).unwrap();
    g.run(&c, "resume", &["scontrol", "update", "nodename=n1", "state=resume"]);
    // A node refuses a launch whose credential is not newer than the job's
    // last kill (slurm_cred_revoked compares seconds): upstream's 121-s
    // BeginTime exists for that, and starttime=now below skips it.
    std::thread::sleep(Duration::from_secs(2));
    g.run(&c, "release", &["scontrol", "release", &bad]);
    // A requeued job waits 121 s (BeginTime) before it may run again.
    g.run(&c, "start_now", &["scontrol", "update", &format!("jobid={bad}"), "starttime=now"]);
    wait_done(&c, &bad);
    wait_job_settled(&c, &bad);
    g.run(&c, "state_bad_rerun", &["squeue", "-h", "-t", "all", "-j", &bad, "-o", "%j %T %r"]);
    g.run(&c, "out_bad_rerun", &["cat", &format!("bad-{bad}.txt")]);
    g.run(&c, "show_bad", &["scontrol", "show", "job", &bad]);
}
