//! Steps and interactive allocations through the stock `srun` and
//! `salloc`: the controller's side (allocation, step creation and its
//! credential, step completion, step listing, step cancel). Compared with
//! goldens recorded from stock slurmctld + stock slurmd on nodes n1..n4
//! (2 CPUs each). Task output is sorted: tasks print concurrently.

use compat_tests::{Cluster, Golden};

use crate::jobs_common::{job_id, node_cluster, wait_done, wait_job_settled};

/// A cluster of four nodes whose daemons run steps (both node daemons do).
fn step_cluster() -> Option<Cluster> {
    Some(node_cluster())
}

fn sh(g: &Golden, c: &Cluster, step: &str, cmd: &str) {
    g.run(c, step, &["bash", "-c", cmd]);
}

/// srun outside a job: layouts, labels, task environment, exit codes.
#[test]
fn srun_allocations_and_layouts() {
    let Some(c) = step_cluster() else { return };
    let g = Golden::new("step_srun");
    sh(&g, &c, "one_node", "srun -N1 printenv SLURMD_NODENAME");
    sh(
        &g,
        &c,
        "three_nodes_six_tasks",
        "srun -N3 -n6 -l printenv SLURMD_NODENAME SLURM_STEP_TASKS_PER_NODE | sort",
    );
    sh(
        &g,
        &c,
        "cyclic",
        "srun -N2 -n3 -m cyclic -l printenv SLURM_NODEID SLURM_LOCALID | sort",
    );
    sh(
        &g,
        &c,
        "ntasks_per_node",
        "srun -n4 --ntasks-per-node=2 -l printenv SLURM_STEP_NODELIST SLURM_STEP_NUM_TASKS | sort",
    );
    sh(
        &g,
        &c,
        "cpus_per_task",
        "srun -n2 -c2 -l printenv SLURM_CPUS_PER_TASK SLURM_STEP_NUM_NODES | sort",
    );
    sh(&g, &c, "nodelist", "srun -w n3 -l printenv SLURMD_NODENAME");
    sh(
        &g,
        &c,
        "exclude",
        "srun -N1 -x n1,n2 printenv SLURMD_NODENAME",
    );
    sh(&g, &c, "false", "srun false");
    sh(
        &g,
        &c,
        "exit_3",
        "srun -n2 -l sh -c 'exit $((SLURM_PROCID + 2))'",
    );
    sh(&g, &c, "stdin", "echo through-stdin | srun cat");
    sh(&g, &c, "immediate_refused", "srun -I -N5 true; echo rc=$?");
}

/// salloc: steps inside, the listing of its steps, and its end.
#[test]
fn salloc_runs_steps() {
    let Some(c) = step_cluster() else { return };
    let g = Golden::new("step_salloc");
    sh(
        &g,
        &c,
        "salloc_two_steps",
        // Upstream's SRUN_JOB_COMPLETE races with salloc's exit (salloc
        // then prints "has been revoked"): that line is left out.
        "salloc -N2 bash -c 'srun -l printenv SLURMD_NODENAME | sort; \
         srun -n1 printenv SLURM_STEP_ID; echo nodes=$SLURM_JOB_NODELIST' \
         2> >(grep -v 'has been revoked' >&2)",
    );
    let id = c.run(&["squeue", "-h", "-t", "all", "-o", "%i"]);
    let id = id.trimmed().lines().last().unwrap_or_default().to_string();
    wait_done(&c, &id);
    wait_job_settled(&c, &id);
    g.run(&c, "salloc_job", &["scontrol", "show", "job", &id]);
}

/// srun inside a batch job: the steps, the batch step in `squeue -s`,
/// `scontrol show step`, `scancel JOB.STEP`, DerivedExitCode.
#[test]
fn srun_inside_sbatch() {
    let Some(c) = step_cluster() else { return };
    let g = Golden::new("step_sbatch");
    let script = "#!/bin/bash\n\
        srun -l printenv SLURM_STEP_ID SLURMD_NODENAME | sort\n\
        srun -n1 sleep 60 &\n\
        sleep 2\n\
        squeue -h -s -o '%i %j %N'\n\
        scontrol show step $SLURM_JOB_ID.1 | grep -v StartTime | sed -E 's/(Pid=[^:]+):[0-9]+/\\1:PID/'\n\
        scancel $SLURM_JOB_ID.1\n\
        wait\n\
        srun -n1 sh -c 'exit 7'\n\
        echo done\n";
    let id = job_id(&g.run_stdin(
        &c,
        "submit",
        &["sbatch", "--parsable", "-N2", "-n4", "-o", "steps-%j.out"],
        script,
    ));
    wait_done(&c, &id);
    wait_job_settled(&c, &id);
    // Which of srun's own lines follows a step's cancel ("Job step
    // aborted" or "Force Terminated"), and where the step daemon's line
    // lands, races in upstream too: those srun lines are dropped and the
    // rest compared as a sorted set.
    let out = format!("steps-{id}.out");
    let filter = format!(
        "sed -E 's/CANCELLED AT [0-9T:-]+/CANCELLED AT <TIME>/' {out} \
         | grep -v -E '^srun: (Job step aborted|Force Terminated)' | sort"
    );
    sh(&g, &c, "output", &filter);
    g.run(&c, "job", &["scontrol", "-d", "show", "job", &id]);
    // The steps are gone with the job.
    g.run(&c, "no_steps_left", &["squeue", "-h", "-s"]);
}

/// A step of a GPU job sees the job's GPUs on its node (the step GRES in
/// its credential): both GPUs of a two-GPU job, and the one GPU of a
/// one-GPU job that got the node's second.
#[test]
fn steps_see_the_jobs_gpus() {
    let Some(c) = step_cluster() else { return };
    let g = Golden::new("step_gpus");
    let script = "#!/bin/bash\n\
        srun -l printenv CUDA_VISIBLE_DEVICES SLURM_STEP_GPUS | sort\n";
    let submit = |step: &str, gres: &str| {
        let args = ["sbatch", "--parsable", "-w", "n1", gres, "-o", "gpu-%j.out"];
        job_id(&g.run_stdin(&c, step, &args, script))
    };
    let both = submit("submit_two", "--gres=gpu:2");
    wait_done(&c, &both);
    // A job holding GPU 0 for a while, so that the next one gets GPU 1.
    let hold = job_id(&g.run(
        &c,
        "submit_hold",
        &[
            "sbatch",
            "--parsable",
            "-w",
            "n1",
            "--gres=gpu:1",
            "-o",
            "/dev/null",
            "--wrap",
            "sleep 10",
        ],
    ));
    let second = submit("submit_second", "--gres=gpu:1");
    wait_done(&c, &second);
    wait_done(&c, &hold);
    g.run(&c, "out_two", &["cat", &format!("gpu-{both}.out")]);
    g.run(&c, "out_second", &["cat", &format!("gpu-{second}.out")]);
}
