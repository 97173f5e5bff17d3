//! GPU allocation in the state machine: which GPUs jobs get, when they come
//! back, what survives a restart, and that the credential and kill message
//! carry them exactly as stock slurmctld sends them (golden frames from
//! wire/tests/golden/gpu_job, see its README).

use std::path::Path;

use wire::msg::gres::GresSlurmdConf;
use wire::msg::show_flags::DETAIL;
use wire::msg::{JobDescriptor, Message};
use wire::pack::{Packer, Unpacker};
use wire::version::ProtocolVersion;

use super::gres::GresOnNode;
use super::job::{Job, JobState};
use super::launch::Passwd;
use super::nodes::NodeReport;
use super::{Caller, Controller, StaticUsers};

const T0: i64 = 1_800_000_000;

/// The compat-tests node cluster (conf/slurm-nodes.conf.in): n1-n4, 2 CPUs,
/// 2000 MB and `Gres=gpu:a100:2` each, CR_Core_Memory, DefMemPerCPU=100.
fn node_cluster() -> Controller {
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../compat-tests/conf/slurm-nodes.conf.in");
    let text = std::fs::read_to_string(&template)
        .unwrap()
        .replace("@DIR@", "/tmp/gpucap/c")
        .replace("@MUNGE_SOCKET@", "/tmp/gpucap/c/munge/munge.socket")
        .replace("@CTLD_PORT@", "9817")
        .replace("@SLURMD_PORTS@", "9821,9822,9823,9824")
        .replace("@SLURMD_PORT@", "9816")
        .replace("@NODES@", "n[1-4]");
    let conf = wire::conf::SlurmConf::from_str(&text, "/tmp/gpucap/c/slurm.conf").unwrap();
    let spec = crate::config::cluster_spec(&conf);
    let mut c = Controller::new(
        spec,
        Box::new(StaticUsers(vec![(0, "root".into(), vec![])])),
        T0,
    );
    for i in 0..c.nodes.len() {
        let name = c.spec.nodes[i].name.clone();
        c.node_registered(&registration(&name), T0).unwrap();
    }
    c
}

/// What a stock slurmd with conf/gres.conf.in reports (golden frame 2).
fn registration(node: &str) -> NodeReport {
    NodeReport {
        node_name: node.into(),
        cpus: 2,
        boards: 1,
        sockets: 1,
        cores: 2,
        threads: 1,
        real_memory: 2000,
        gres: vec![GresSlurmdConf {
            count: 2,
            cpu_cnt: 2,
            config_flags: 0x9e6,
            plugin_id: wire::msg::gres::plugin_id("gpu"),
            name: Some("gpu".into()),
            type_name: Some("a100".into()),
            ..GresSlurmdConf::default()
        }],
        ..NodeReport::default()
    }
}

fn root() -> Caller {
    Caller {
        uid: 0,
        gid: 0,
        version: ProtocolVersion::V22_05,
        host: Some("localhost".into()),
        peer: None,
    }
}

fn submit(c: &mut Controller, d: JobDescriptor, now: i64) -> u32 {
    match c
        .handle(root(), Message::SubmitBatchJob(Box::new(d)), now)
        .reply
    {
        Message::SubmitBatchJobResponse { job_id, .. } => job_id,
        other => panic!("submit refused: {other:?}"),
    }
}

/// A one-node job asking for GPUs the way sbatch sends `--gres=...` or
/// `--gpus-per-node=...` (both become `tres_per_node`).
fn gpu_job(tres_per_node: &str, node: &str) -> JobDescriptor {
    JobDescriptor {
        user_id: 0,
        group_id: 0,
        script: Some("#!/bin/sh\nsleep 60\n".into()),
        name: Some("wrap".into()),
        min_nodes: 1,
        tres_per_node: Some(tres_per_node.into()),
        req_nodes: Some(node.into()),
        work_dir: Some("/tmp".into()),
        ..JobDescriptor::default()
    }
}

fn gpus_of(c: &Controller, id: u32) -> Vec<Vec<u32>> {
    let a = c.jobs[&id].alloc.as_ref().expect("allocated");
    a.gres[0]
        .nodes
        .iter()
        .map(|on| on.indices.clone().unwrap())
        .collect()
}

fn finish(c: &mut Controller, id: u32, now: i64) {
    let _ = c.batch_complete(id, 0, 0, now);
    let nodes = c.jobs[&id].alloc.as_ref().unwrap().nodes.clone();
    for i in nodes {
        c.epilog_complete(id, i, now);
    }
}

fn golden(rel: &str) -> Message {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wire/tests/golden/gpu_job")
        .join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let f = wire::frame::decode(&bytes).unwrap();
    Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap()
}

#[test]
fn gpu_jobs_get_the_lowest_free_gpus_and_give_them_back() {
    let mut c = node_cluster();
    let a = submit(&mut c, gpu_job("gres:gpu:1", "n1"), T0);
    let b = submit(&mut c, gpu_job("gres:gpu:a100:1", "n1"), T0);
    let _ = c.main_schedule(T0 + 1);
    // As stock slurmctld chose for the same two jobs (golden frame 34).
    assert_eq!(
        (gpus_of(&c, a), gpus_of(&c, b)),
        (vec![vec![0]], vec![vec![1]])
    );
    // GPUs run out before CPUs: a second job fits n2's CPUs but not its GPUs.
    let x = submit(&mut c, gpu_job("gres:gpu:2", "n2"), T0 + 2);
    let y = submit(&mut c, gpu_job("gres:gpu:1", "n2"), T0 + 2);
    let _ = c.main_schedule(T0 + 3);
    assert_eq!(gpus_of(&c, x), vec![vec![0, 1]]);
    assert!(
        c.jobs[&y].is_pending(),
        "no GPU left on n2 although a CPU is"
    );
    // Completion gives them back; the waiting job gets the lowest again.
    finish(&mut c, x, T0 + 4);
    let _ = c.main_schedule(T0 + 5);
    assert_eq!(gpus_of(&c, y), vec![vec![0]]);
    // Cancelling does too, once the node's epilog is done.
    let _ = c.cancel_running(a, T0 + 6);
    assert_eq!(
        c.nodes[0].alloc_gres.len(),
        2,
        "held until the epilog completes"
    );
    c.epilog_complete(a, 0, T0 + 7);
    let held: Vec<u32> = c.nodes[0].alloc_gres.iter().map(|h| h.job_id).collect();
    assert_eq!(held, vec![b]);
    let z = submit(&mut c, gpu_job("gres:gpu:1", "n1"), T0 + 8);
    let _ = c.main_schedule(T0 + 9);
    assert_eq!(gpus_of(&c, z), vec![vec![0]]);
}

#[test]
fn a_requeued_job_gives_its_gpus_back() {
    let mut c = node_cluster();
    c.spec.limits.slurmd_timeout = 10;
    let id = submit(&mut c, gpu_job("gres:gpu:2", "n3"), T0);
    let _ = c.main_schedule(T0 + 1);
    assert_eq!(gpus_of(&c, id), vec![vec![0, 1]]);
    c.node_ping(2, false, T0 + 2);
    // Two ping cycles: the second judges against the first's start.
    let _ = c.check_node_timeouts(T0 + 15);
    let _ = c.check_node_timeouts(T0 + 20);
    assert!(c.jobs[&id].is_pending(), "requeued");
    assert!(c.nodes[2].alloc_gres.is_empty());
}

#[test]
fn gpu_allocations_survive_a_restart() {
    let mut c = node_cluster();
    let a = submit(&mut c, gpu_job("gres:gpu:1", "n1"), T0);
    let _ = c.main_schedule(T0 + 1);
    let mut p = Packer::new();
    c.jobs[&a].pack(&mut p);
    let record = p.as_slice().to_vec();

    let mut restarted = node_cluster();
    let job = Job::unpack(&mut Unpacker::new(&record), &mut restarted.strings).unwrap();
    restarted.restore_job(job);
    restarted.restore_allocations();
    assert_eq!(restarted.jobs[&a].alloc, c.jobs[&a].alloc);
    assert_eq!(restarted.nodes[0].alloc_gres, c.nodes[0].alloc_gres);
    let b = submit(&mut restarted, gpu_job("gres:gpu:1", "n1"), T0 + 2);
    let _ = restarted.main_schedule(T0 + 3);
    assert_eq!(
        gpus_of(&restarted, b),
        vec![vec![1]],
        "GPU 0 is still taken after the restart"
    );
}

#[test]
fn job_records_from_before_gpu_indices_still_load() {
    let mut c = node_cluster();
    let a = submit(&mut c, gpu_job("gres:gpu:1", "n1"), T0);
    let _ = c.main_schedule(T0 + 1);
    let job = c.jobs[&a].clone();
    let mut p = Packer::new();
    job.pack(&mut p);
    // The old layout ends after the descriptor: drop the indices section
    // (tag, per GRES a node count, per node count + flag + index array).
    let tail = 1 + 4 + (8 + 1 + 4 + 4);
    let old = &p.as_slice()[..p.as_slice().len() - tail];
    let mut restarted = node_cluster();
    let back = Job::unpack(&mut Unpacker::new(old), &mut restarted.strings).unwrap();
    let on = &back.alloc.as_ref().unwrap().gres[0].nodes[0];
    assert_eq!(
        *on,
        GresOnNode {
            count: 1,
            indices: None
        }
    );
    // Restoring picks the GPU again and holds it.
    restarted.restore_job(back);
    restarted.restore_allocations();
    assert_eq!(gpus_of(&restarted, a), vec![vec![0]]);
    assert_eq!(restarted.nodes[0].alloc_gres.len(), 1);
}

/// Runs the captured `sbatch train_resnet_small.sbatch` descriptor through
/// the core on the same cluster and compares what we would send with what
/// stock slurmctld sent.
fn train_job() -> (Controller, u32) {
    let Message::SubmitBatchJob(desc) = golden("10-0-req-4003.bin") else {
        panic!("not a submit")
    };
    let mut c = node_cluster();
    c.next_job_id = 1000;
    let id = submit(&mut c, *desc, T0);
    assert_eq!(id, 1000);
    let _ = c.main_schedule(T0 + 1);
    assert_eq!(c.jobs[&id].base_state(), JobState::Running);
    (c, id)
}

fn root_pw() -> Passwd {
    Passwd {
        name: "root".into(),
        gecos: "root".into(),
        dir: "/root".into(),
        shell: "/bin/bash".into(),
        groups: vec![(0, "root".into())],
    }
}

#[test]
fn batch_credential_gres_equals_stock_slurmctlds() {
    let (c, id) = train_job();
    let Message::BatchJobLaunch(want) = golden("11-0-req-4005.bin") else {
        panic!("not a launch")
    };
    let want = &want.cred.credential;
    let (host, _, msg) = c.batch_launch(id, Some(&root_pw()), want.ctime).unwrap();
    assert_eq!(c.spec.nodes[host].name, "n1");
    let got = &msg.cred.credential;
    assert_eq!(got.job_gres_list.len(), want.job_gres_list.len());
    for (g, w) in got.job_gres_list.iter().zip(&want.job_gres_list) {
        assert_eq!(g.plugin_id, w.plugin_id);
        assert_eq!(g.cpus_per_gres, w.cpus_per_gres);
        assert_eq!(g.flags, w.flags);
        assert_eq!(g.gres_per_job, w.gres_per_job);
        assert_eq!(g.gres_per_node, w.gres_per_node);
        assert_eq!(g.gres_per_socket, w.gres_per_socket);
        assert_eq!(g.gres_per_task, w.gres_per_task);
        assert_eq!(g.mem_per_gres, w.mem_per_gres);
        assert_eq!(g.ntasks_per_gres, w.ntasks_per_gres);
        assert_eq!(g.total_gres, w.total_gres);
        assert_eq!(g.type_name, w.type_name);
        assert_eq!(g.node_cnt, w.node_cnt);
        assert_eq!(g.gres_cnt_node_alloc, w.gres_cnt_node_alloc);
        assert_eq!(g.gres_bit_alloc, w.gres_bit_alloc);
        assert_eq!(g.gres_bit_step_alloc, w.gres_bit_step_alloc);
        assert_eq!(g.gres_cnt_step_alloc, w.gres_cnt_step_alloc);
    }
    assert_eq!(got.step_gres_list, want.step_gres_list);
    // And the rest of the credential, byte for byte.
    assert_eq!(got, want);
    assert_eq!(msg.cred.body, {
        let Message::BatchJobLaunch(w) = golden("11-0-req-4005.bin") else {
            unreachable!()
        };
        w.cred.body
    });
}

#[test]
fn kill_message_gres_equals_stock_slurmctlds() {
    let (mut c, id) = train_job();
    let Message::TerminateJob(want) = golden("13-0-req-6011.bin") else {
        panic!("not a terminate")
    };
    let _ = c.batch_complete(id, 0, 0, want.time);
    c.jobs.get_mut(&id).unwrap().start_time = want.start_time;
    let got = c.kill_job_msg(
        id,
        Some(&root_pw()),
        want.cred.as_ref().unwrap().credential.ctime,
    );
    assert_eq!(got.job_gres_info, want.job_gres_info);
    assert_eq!(
        got.cred.as_ref().map(|c| &c.credential),
        want.cred.as_ref().map(|c| &c.credential)
    );
    assert_eq!(
        (got.job_state, got.nodes.as_deref()),
        (want.job_state, want.nodes.as_deref())
    );
}

#[test]
fn scontrol_detail_and_node_gres_used_equal_stock_slurmctlds() {
    let mut c = node_cluster();
    c.next_job_id = 1001;
    let _ = submit(&mut c, gpu_job("gres:gpu:1", "n1"), T0);
    let b = submit(&mut c, gpu_job("gres:gpu:a100:1", "n1"), T0);
    let _ = c.main_schedule(T0 + 1);
    // scontrol -d show job 1002 (golden frame 38).
    let Message::JobInfo(want) = golden("38-0-resp-2004.bin") else {
        panic!("not job info")
    };
    let want = &want.jobs[0];
    let mut scratch = super::view::Scratch::default();
    let got = super::view::job_record(&c, &c.jobs[&b], DETAIL, T0 + 2, "root", &mut scratch);
    assert_eq!(got.gres_used, want.gres_used.as_deref());
    assert_eq!(
        got.gres_detail,
        want.gres_detail
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert_eq!(got.job_resources, want.job_resources);
    // Without detail: the total only.
    let mut scratch = super::view::Scratch::default();
    let plain = super::view::job_record(&c, &c.jobs[&b], 0, T0 + 2, "root", &mut scratch);
    assert_eq!((plain.job_resources, plain.gres_detail.len()), (None, 0));
    // sinfo -O GresUsed (golden frame 43): n1 full, n4 idle.
    let Message::NodeInfo(nodes) = golden("43-0-resp-2008.bin") else {
        panic!("not node info")
    };
    let got = super::view::node_info(&c, root(), DETAIL, None, T0 + 2);
    for i in [0, 3] {
        assert_eq!(got.nodes[i].gres_used, nodes.nodes[i].gres_used, "node {i}");
        assert_eq!(
            got.nodes[i].gres_drain, nodes.nodes[i].gres_drain,
            "node {i}"
        );
    }
    // Once it ends the total stays, the per-node detail goes.
    finish(&mut c, b, T0 + 3);
    let mut scratch = super::view::Scratch::default();
    let done = super::view::job_record(&c, &c.jobs[&b], DETAIL, T0 + 4, "root", &mut scratch);
    assert_eq!(
        (done.gres_used, done.gres_detail.len()),
        (Some("gpu:a100:1"), 0)
    );
}

/// Upstream's `ping_nodes`: a node is DOWN at a cycle only if its last
/// answer is older than the *previous* cycle's start minus SlurmdTimeout.
#[test]
fn silent_nodes_go_down_one_ping_cycle_after_slurmd_timeout() {
    let mut c = node_cluster();
    c.spec.limits.slurmd_timeout = 10;
    let answered = c.nodes[1].last_response;
    let down = |c: &crate::core::Controller| c.nodes[1].base() == crate::core::node::base::DOWN;
    c.node_ping(1, false, answered + 1);
    let _ = c.check_node_timeouts(answered + 5);
    assert!(!down(&c), "first cycle never judges");
    let _ = c.check_node_timeouts(answered + 12);
    assert!(
        !down(&c),
        "previous cycle at +5: dead only if answered before -5"
    );
    let _ = c.check_node_timeouts(answered + 16);
    assert!(
        down(&c),
        "previous cycle at +12: an answer at +0 is older than +2"
    );
    assert_eq!(c.nodes[1].reason.as_deref(), Some("Not responding"));
}
