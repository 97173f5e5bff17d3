//! The node's GRES against frames of a stock slurmctld + stock slurmd
//! 22.05.8 pair (`wire/tests/golden/slurmd_gres/`, node n1 of the compat
//! cluster): the registration block slurmd-rs builds from the same
//! slurm.conf and gres.conf is stock's, and the credential and terminate
//! request stock's controller sent give the GPU variables stock's job and
//! Epilog saw.

use std::path::{Path, PathBuf};

use slurmd::gres::{JobGres, NodeGres};
use slurmd::step::env::get;
use wire::conf::SlurmConf;
use wire::frame;
use wire::msg::Message;

const SLURM_CONF: &str = "\
ClusterName=compat
SlurmctldHost=localhost(127.0.0.1)
GresTypes=gpu
SelectType=select/cons_tres
NodeName=n[1-4] NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000 Gres=gpu:a100:2 State=UNKNOWN
";

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wire/tests/golden/slurmd_gres")
        .join(name)
}

fn frame_msg(name: &str) -> Message {
    let bytes = std::fs::read(golden(name)).unwrap();
    let f = frame::decode(&bytes).unwrap();
    Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap()
}

/// slurm.conf and `gres` in a fresh directory (`@DIR@` in `gres` is
/// replaced by it; it has dev/gpu0 and dev/gpu1, plain files that pass the
/// existence check but are no devices), loaded for n1.
fn load(gres: &str) -> NodeGres {
    let dir = tempfile::tempdir().unwrap();
    let conf_path = dir.path().join("slurm.conf");
    std::fs::write(&conf_path, SLURM_CONF).unwrap();
    std::fs::create_dir(dir.path().join("dev")).unwrap();
    for f in ["gpu0", "gpu1"] {
        std::fs::write(dir.path().join("dev").join(f), "").unwrap();
    }
    std::fs::write(
        dir.path().join("gres.conf"),
        gres.replace("@DIR@", &dir.path().display().to_string()),
    )
    .unwrap();
    let conf = SlurmConf::from_file(&conf_path).unwrap();
    let node = conf.nodes.iter().find(|n| n.name == "n1").unwrap();
    NodeGres::load(&conf, &conf_path, node, 2).unwrap().0
}

#[test]
fn registration_gres_block_is_stock_slurmds() {
    let Message::NodeRegistration(reg) = frame_msg("21-0-req-1002.bin") else {
        panic!()
    };
    // The capture's cluster directory is gone; the registration does not
    // carry file names, so only the directory changes.
    let text = std::fs::read_to_string(golden("gres.conf"))
        .unwrap()
        .replace("/tmp/compat-NCCDdA", "@DIR@");
    let gres = load(&text);
    assert_eq!(Some(gres.registration()), reg.gres_info);
    // Plain files are no GPUs for the job environment.
    assert!(gres.gpu.as_ref().unwrap().devices.is_empty());
}

#[test]
fn batch_and_epilog_gpu_variables_from_stock_requests() {
    // Two character devices every host has stand in for the GPUs.
    let gres = load("NodeName=n[1-4] Name=gpu Type=a100 File=/dev/null,/dev/zero\n");
    assert_eq!(gres.gpu.as_ref().unwrap().devices.len(), 2);

    let Message::BatchJobLaunch(launch) = frame_msg("95-0-req-4005.bin") else {
        panic!()
    };
    let share = JobGres::for_node(&launch.cred.credential, "n1");
    let mut env = launch.environment.clone();
    gres.job_env(&mut env, &share);
    // compat-tests/expected/job_train_resnet/out.txt (stock slurmstepd).
    for (k, v) in [
        ("CUDA_VISIBLE_DEVICES", "0,1"),
        ("GPU_DEVICE_ORDINAL", "0,1"),
        ("ROCR_VISIBLE_DEVICES", "0,1"),
        ("ZE_AFFINITY_MASK", "0,1"),
        ("SLURM_GPUS_ON_NODE", "2"),
        ("SLURM_JOB_GPUS", "0,1"),
    ] {
        assert_eq!(get(&env, k), Some(v), "{k}");
    }

    let Message::TerminateJob(kill) = frame_msg("99-0-req-6011.bin") else {
        panic!()
    };
    let index = slurmd::gres::host_index(kill.nodes.as_deref(), "n1");
    let mut epi = gres.epilog_env(&kill.job_gres_info, index);
    epi.sort();
    let want: Vec<(String, String)> = [
        "CUDA_VISIBLE_DEVICES",
        "GPU_DEVICE_ORDINAL",
        "ROCR_VISIBLE_DEVICES",
        "SLURM_JOB_GPUS",
        "ZE_AFFINITY_MASK",
    ]
    .map(|k| (k.to_string(), "0,1".to_string()))
    .into();
    assert_eq!(epi, want);
}
