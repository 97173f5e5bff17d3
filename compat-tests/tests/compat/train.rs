use std::time::Duration;

use compat_tests::Golden;

use crate::common::install_script;
use crate::jobs_common::{job_id, node_cluster, wait_done, wait_job_settled, wait_job_states};

const SCRIPT: &str = "train_resnet_small.sbatch";

/// The seed's training script, adapted to the small nodes, runs to
/// completion on two nodes and writes its logs where its directives say,
/// with its GPUs bound (CUDA_VISIBLE_DEVICES, SLURM_JOB_GPUS, ... from the
/// GRES in the job credential).
#[test]
fn train_resnet_small_runs_to_completion() {
    let c = node_cluster();
    let g = Golden::new("job_train_resnet");
    let script = install_script(&c, SCRIPT);
    // Upstream does not create the directory of --output/--error.
    std::fs::create_dir(c.dir().join("logs")).unwrap();
    let id = job_id(&g.run(&c, "submit", &["sbatch", "--parsable", &script]));
    wait_done(&c, &id);
    wait_job_settled(&c, &id);
    g.run(&c, "show", &["scontrol", "show", "job", &id]);
    g.run(
        &c,
        "files",
        &["sh", "-c", "cd logs && stat -c '%U %G %a %n' *"],
    );
    g.run(&c, "out", &["cat", &format!("logs/train-resnet-{id}.out")]);
    g.run(&c, "err", &["cat", &format!("logs/train-resnet-{id}.err")]);
    g.run(&c, "checkpoint_request", &["ls", "checkpoint.request"]);
}

/// Where a job's GPUs show: `scontrol -d show job` (JOB_GRES and the
/// per-node `GRES=gpu:a100:1(IDX:1)`), the node's GresUsed in
/// `scontrol -d show node` and `sinfo -O GresUsed`, while the jobs run and
/// after they end. Two one-GPU jobs on n1: the second gets GPU 1.
#[test]
fn gpus_show_in_job_and_node_details() {
    let mut c = node_cluster();
    // The cancelled job's exit code is a race upstream too (see
    // scancel_running_job_kills_every_process).
    c.normalize(r"\bExitCode=0:(0|15)\b", "ExitCode=0:<0|15>");
    let g = Golden::new("job_gpu_detail");
    let submit = |step: &str, gres: &str| {
        let args = [
            "sbatch",
            "--parsable",
            "-N1",
            "-w",
            "n1",
            gres,
            "-o",
            "/dev/null",
            "--wrap",
            "sleep 300",
        ];
        job_id(&g.run(&c, step, &args))
    };
    let a = submit("submit_a", "--gres=gpu:1");
    wait_job_states(&c, &a, &["RUNNING"], Duration::from_secs(30));
    let b = submit("submit_b", "--gres=gpu:a100:1");
    wait_job_states(&c, &b, &["RUNNING"], Duration::from_secs(30));
    wait_job_settled(&c, &b);
    g.run(&c, "show_a", &["scontrol", "-d", "show", "job", &a]);
    g.run(&c, "show_b", &["scontrol", "-d", "show", "job", &b]);
    // Only the GRES lines: the rest of a registered node's record (load,
    // free memory, OS) is the host's.
    let node_gres = "scontrol -d show node n1 | grep -i gres";
    g.run(&c, "node_n1", &["sh", "-c", node_gres]);
    g.run(
        &c,
        "sinfo_used",
        &["sinfo", "-N", "-O", "NodeList,Gres,GresUsed"],
    );
    g.run(&c, "cancel_b", &["scancel", &b]);
    wait_done(&c, &b);
    wait_job_settled(&c, &b);
    g.run(&c, "show_b_done", &["scontrol", "-d", "show", "job", &b]);
    g.run(&c, "node_n1_after", &["sh", "-c", node_gres]);
    g.run(
        &c,
        "sinfo_used_after",
        &["sinfo", "-N", "-O", "NodeList,GresUsed"],
    );
}
