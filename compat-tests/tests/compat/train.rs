use compat_tests::Golden;

use crate::common::install_script;
use crate::jobs_common::{job_id, node_cluster, wait_done, wait_job_settled};

const SCRIPT: &str = "train_resnet_small.sbatch";

/// The seed's training script, adapted to the small nodes, runs to
/// completion on two nodes and writes its logs where its directives say.
///
/// Known gap (issue 3): slurmctld-rs does not yet put the job's GPU
/// allocation into the job credential, so the node does not set
/// CUDA_VISIBLE_DEVICES / SLURM_JOB_GPUS; everything else in this test
/// matches upstream. Run it with `cargo test -p compat-tests -- --ignored`.
#[test]
#[ignore = "issue 3: GPU binding (gres in the job credential) not implemented yet"]
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
