//! Golden byte tests: real frames captured from stock Slurm 22.05 daemons and
//! clients are decoded into typed messages, re-encoded, and must come out
//! byte-identical (header, auth blob and body). The MUNGE credential string is
//! carried through unchanged; its validity is tested elsewhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wire::frame;
use wire::msg::{msg_type, Message};
use wire::pack::NO_VAL;

fn golden_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("golden dir") {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "bin") {
                out.push(f);
            }
        }
    }
    out.sort();
    out
}

/// Message types the controller and node daemon must speak; each needs at
/// least one golden frame.
const REQUIRED: &[u16] = &[
    msg_type::REQUEST_PING,
    msg_type::RESPONSE_SLURM_RC,
    msg_type::REQUEST_BUILD_INFO,
    msg_type::RESPONSE_BUILD_INFO,
    msg_type::REQUEST_JOB_INFO,
    msg_type::RESPONSE_JOB_INFO,
    msg_type::REQUEST_JOB_INFO_SINGLE,
    msg_type::REQUEST_NODE_INFO,
    msg_type::RESPONSE_NODE_INFO,
    msg_type::REQUEST_PARTITION_INFO,
    msg_type::RESPONSE_PARTITION_INFO,
    msg_type::REQUEST_FED_INFO,
    msg_type::RESPONSE_FED_INFO,
    msg_type::REQUEST_SUBMIT_BATCH_JOB,
    msg_type::RESPONSE_SUBMIT_BATCH_JOB,
    msg_type::REQUEST_KILL_JOB,
    msg_type::REQUEST_JOB_STEP_INFO,
    msg_type::RESPONSE_JOB_STEP_INFO,
    msg_type::REQUEST_RESERVATION_INFO,
    msg_type::RESPONSE_RESERVATION_INFO,
    msg_type::REQUEST_LICENSE_INFO,
    msg_type::RESPONSE_LICENSE_INFO,
    msg_type::REQUEST_JOB_USER_INFO,
    msg_type::REQUEST_NODE_INFO_SINGLE,
    msg_type::REQUEST_JOB_WILL_RUN,
    msg_type::RESPONSE_JOB_WILL_RUN,
    msg_type::REQUEST_CANCEL_JOB_STEP,
    msg_type::REQUEST_UPDATE_JOB,
    msg_type::RESPONSE_JOB_ARRAY_ERRORS,
    msg_type::REQUEST_JOB_REQUEUE,
    msg_type::REQUEST_UPDATE_NODE,
    msg_type::REQUEST_UPDATE_PARTITION,
    msg_type::REQUEST_RECONFIGURE,
    msg_type::REQUEST_SHUTDOWN,
    msg_type::RESPONSE_SLURM_RC_MSG,
    // Node daemon side.
    msg_type::MESSAGE_NODE_REGISTRATION_STATUS,
    msg_type::RESPONSE_NODE_REGISTRATION,
    msg_type::REQUEST_BATCH_JOB_LAUNCH,
    msg_type::REQUEST_COMPLETE_BATCH_SCRIPT,
    msg_type::REQUEST_STEP_COMPLETE,
    msg_type::REQUEST_TERMINATE_JOB,
    msg_type::MESSAGE_EPILOG_COMPLETE,
    msg_type::REQUEST_SIGNAL_TASKS,
    // srun side.
    msg_type::REQUEST_RESOURCE_ALLOCATION,
    msg_type::RESPONSE_RESOURCE_ALLOCATION,
    msg_type::REQUEST_JOB_READY,
    msg_type::RESPONSE_JOB_READY,
    msg_type::REQUEST_COMPLETE_JOB_ALLOCATION,
    msg_type::REQUEST_LAUNCH_TASKS,
    msg_type::RESPONSE_LAUNCH_TASKS,
    msg_type::MESSAGE_TASK_EXIT,
    msg_type::SRUN_JOB_COMPLETE,
    msg_type::REQUEST_JOB_STEP_CREATE,
    msg_type::RESPONSE_JOB_STEP_CREATE,
    msg_type::REQUEST_HET_JOB_ALLOC_INFO,
    msg_type::RESPONSE_HET_JOB_ALLOCATION,
    msg_type::SRUN_TIMEOUT,
    msg_type::REQUEST_KILL_TIMELIMIT,
];

#[test]
fn every_captured_frame_round_trips() {
    let mut covered: BTreeMap<u16, usize> = BTreeMap::new();
    let mut unsupported = Vec::new();
    for path in golden_files() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .display()
            .to_string();
        let f = frame::decode(&bytes).unwrap_or_else(|e| panic!("{name}: frame: {e}"));
        let ty = f.header.msg_type;
        let msg = match Message::unpack(ty, f.header.version, f.body) {
            Ok(m) => m,
            Err(wire::pack::DecodeError::UnsupportedMessage(_)) => {
                unsupported.push(format!("{name} ({})", ty));
                continue;
            }
            Err(e) => panic!("{name}: body of {}: {e}", msg_type::name(ty)),
        };
        assert_eq!(msg.msg_type(), ty, "{name}");
        let body = msg.to_body(f.header.version);
        if body != f.body {
            let at = body
                .iter()
                .zip(f.body)
                .position(|(a, b)| a != b)
                .unwrap_or(body.len().min(f.body.len()));
            panic!(
                "{name}: re-encoded {} differs at byte {at} (ours {} bytes, upstream {} bytes)",
                msg_type::name(ty),
                body.len(),
                f.body.len()
            );
        }
        let whole = frame::encode(&f.header, &f.auth, &body);
        assert_eq!(
            &whole[4..],
            &bytes[..],
            "{name}: header/auth re-encode differs"
        );
        // Decoding what we encoded gives the same message again.
        assert_eq!(
            Message::unpack(ty, f.header.version, &body).unwrap(),
            msg,
            "{name}"
        );
        *covered.entry(ty).or_default() += 1;
    }
    eprintln!("golden frames per type: {covered:?}");
    eprintln!("types not (yet) decoded: {unsupported:?}");
    for t in REQUIRED {
        assert!(
            covered.contains_key(t),
            "no golden frame for {}",
            msg_type::name(*t)
        );
    }
}

#[test]
fn truncating_any_golden_body_is_an_error_not_a_panic() {
    for path in golden_files() {
        let bytes = std::fs::read(&path).unwrap();
        let f = frame::decode(&bytes).unwrap();
        if Message::unpack(f.header.msg_type, f.header.version, f.body).is_err() {
            continue;
        }
        for cut in 0..f.body.len() {
            let r = Message::unpack(f.header.msg_type, f.header.version, &f.body[..cut]);
            // Bodies with only trailing optional data could in principle parse
            // shorter; none of ours can, so every cut must be refused.
            assert!(r.is_err(), "{}: cut at {cut} accepted", path.display());
        }
    }
}

fn golden_message(rel: &str) -> Message {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let f = frame::decode(&bytes).unwrap();
    Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap()
}

/// What stock slurmctld puts in the job credential and the kill message of
/// a GPU job (see golden/gpu_job/README.txt): the fields slurmd turns into
/// CUDA_VISIBLE_DEVICES and the epilog's GPU environment.
#[test]
fn gpu_job_frames_carry_the_gres_allocation() {
    use wire::msg::gres::plugin_id;
    let Message::BatchJobLaunch(launch) = golden_message("gpu_job/11-0-req-4005.bin") else {
        panic!("not a launch")
    };
    let cred = &launch.cred.credential;
    assert_eq!(cred.job_gres_list.len(), 1);
    let g = &cred.job_gres_list[0];
    assert_eq!(
        (
            g.plugin_id,
            g.type_name.as_deref(),
            g.node_cnt,
            g.total_gres
        ),
        (plugin_id("gpu"), Some("a100"), 2, 4)
    );
    assert_eq!(g.gres_cnt_node_alloc, Some(vec![2, 2]));
    let bits: Vec<String> = g
        .gres_bit_alloc
        .as_ref()
        .unwrap()
        .iter()
        .map(|b| b.as_ref().unwrap().to_ranges())
        .collect();
    assert_eq!(bits, ["0-1", "0-1"]);
    assert_eq!(
        (
            g.gres_per_node,
            g.flags,
            g.cpus_per_gres,
            g.gres_bit_step_alloc.as_ref()
        ),
        (0, 0, 0, None)
    );
    assert!(cred.step_gres_list.is_empty());
    assert_eq!(
        (
            cred.job_mem_alloc.as_slice(),
            cred.job_mem_alloc_rep_count.as_slice()
        ),
        (&[1000u64][..], &[1u32][..])
    );

    let Message::TerminateJob(kill) = golden_message("gpu_job/13-0-req-6011.bin") else {
        panic!("not a terminate")
    };
    let info = &kill.job_gres_info;
    assert_eq!(info.len(), 1);
    assert_eq!(
        (
            info[0].plugin_id,
            info[0].node_cnt,
            info[0].gres_cnt_node_alloc.as_ref()
        ),
        (plugin_id("gpu"), 2, None)
    );
    let kc = &kill
        .cred
        .as_ref()
        .expect("kill messages carry the job credential")
        .credential;
    assert_eq!(kc.job_gres_list, cred.job_gres_list);
    assert_eq!(
        (kc.step_id.step_id, kc.step_hostlist.as_deref()),
        (NO_VAL, None)
    );

    let Message::BatchJobLaunch(second) = golden_message("gpu_job/34-0-req-4005.bin") else {
        panic!("not a launch")
    };
    let bm = second.cred.credential.job_gres_list[0]
        .gres_bit_alloc
        .as_ref()
        .unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(
        (bm.len(), bm.to_ranges()),
        (2, "1".to_string()),
        "the second one-GPU job on n1 gets GPU 1"
    );
}

/// `slurmd_gres/` was captured from stock slurmd 22.05.8 (node n1 of the
/// compat-tests cluster: `Gres=gpu:a100:2`, CPUs=2, GresTypes=gpu) with
/// the gres.conf beside it; the GRES block we build from the same gres.conf
/// must be the one stock slurmd registered, byte for byte.
#[test]
fn gres_block_from_gres_conf_matches_stock_slurmd() {
    use wire::conf::gres::{GresNodeConf, NodeInput};
    use wire::pack::Packer;

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/slurmd_gres");
    let bytes = std::fs::read(dir.join("21-0-req-1002.bin")).unwrap();
    let f = frame::decode(&bytes).unwrap();
    let Message::NodeRegistration(reg) =
        Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap()
    else {
        panic!("not a registration");
    };
    assert_eq!(reg.node_name.as_deref(), Some("n1"));
    let stock = reg.gres_info.clone().expect("stock slurmd sends gres_info");

    let input = NodeInput {
        node_name: "n1",
        gres_types: Some("gpu"),
        node_gres: Some("gpu:a100:2"),
        cpu_cnt: 2,
        core_cnt: 2,
        cluster_name: Some("compat"),
        file_check: None,
    };
    let ours = GresNodeConf::from_file(dir.join("gres.conf"), input)
        .unwrap()
        .to_wire(stock.version);
    assert_eq!(ours, stock);
    let (mut a, mut b) = (Packer::new(), Packer::new());
    ours.pack(&mut a);
    stock.pack(&mut b);
    assert_eq!(a.as_slice(), b.as_slice());
    // And the whole registration re-encodes to the captured bytes with it.
    let mut ours_reg = (*reg).clone();
    ours_reg.gres_info = Some(ours);
    assert_eq!(
        &Message::NodeRegistration(Box::new(ours_reg)).to_body(f.header.version)[..],
        f.body
    );
}

/// `slurmd_gres_variants/`: stock slurmd 22.05.8 registrations (node n1,
/// on a 2-CPU host) for a dozen gres.conf / slurm.conf combinations:
/// no gres.conf, more files than slurm.conf, untyped slurm.conf, count-only
/// GRES, Name= before NodeName= lines, Cores/Links/Flags/AutoDetect,
/// MultipleFiles, mps and shard with and without File, nic. `cN.slurm.conf`
/// holds GresTypes and the NodeName line, `cN.gres.conf` the gres.conf
/// (absent: none). Our GRES block must be stock's for each. (Captured by
/// running `/usr/sbin/slurmd -D -N n1` against a listener on SlurmctldPort
/// that saved the first frame; the File= devices were `mknod c 1 3`.)
#[test]
fn gres_blocks_of_gres_conf_variants_match_stock_slurmd() {
    use wire::conf::gres::{GresNodeConf, NodeInput};
    use wire::conf::SlurmConf;

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/slurmd_gres_variants");
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .file_name()
                .to_str()?
                .strip_suffix(".slurm.conf")
                .map(str::to_string)
        })
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "{cases:?}");
    for case in cases {
        let bytes = std::fs::read(dir.join(format!("{case}-0-req-1002.bin"))).unwrap();
        let f = frame::decode(&bytes).unwrap();
        let Message::NodeRegistration(reg) =
            Message::unpack(f.header.msg_type, f.header.version, f.body).unwrap()
        else {
            panic!("{case}: not a registration");
        };
        let stock = reg.gres_info.clone().unwrap();
        let text = format!(
            "SlurmctldHost=h\n{}",
            std::fs::read_to_string(dir.join(format!("{case}.slurm.conf"))).unwrap()
        );
        let conf = SlurmConf::from_str(&text, "/x/slurm.conf").unwrap();
        let node = &conf.nodes[0];
        let input = NodeInput {
            node_name: &node.name,
            gres_types: conf.gres_plugins.as_deref(),
            node_gres: node.gres.as_deref(),
            cpu_cnt: u32::from(node.cpus.max(2)),
            core_cnt: u32::from(node.sockets * node.cores_per_socket),
            cluster_name: None,
            file_check: None,
        };
        let gres_conf = std::fs::read_to_string(dir.join(format!("{case}.gres.conf"))).ok();
        let ours = GresNodeConf::from_str(gres_conf.as_deref(), "/x/gres.conf", input)
            .unwrap_or_else(|e| panic!("{case}: {e}"))
            .to_wire(stock.version);
        assert_eq!(ours, stock, "{case}");
    }
}
