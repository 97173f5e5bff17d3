//! Round-trip tests for node-daemon messages that have no golden capture, and
//! the job credential's sign/verify helpers (`cred_munge.c` rules) against the
//! in-memory credential service.

use wire::auth::fake::FakeCredentials;
use wire::auth::RestrictUid;
use wire::errno::SlurmRc;
use wire::msg::common::{step, Energy, SelectJobInfo, StepId};
use wire::msg::complete::kill_flags;
use wire::msg::gres::{GresJobAlloc, GresJobState, GresNodeConfig, GresSlurmdConf, GresStepState};
use wire::msg::jobacct::TresUsage;
use wire::msg::node::reg_flags;
use wire::msg::{
    AcctGatherNodeResponse, CompleteProlog, CredError, JobAcctInfo, JobCredential, KillJob,
    Message, NodeRegistration, PingSlurmdResponse, PrologLaunch, SignalTasks, SignedCredential,
    StepComplete, TresRec,
};
use wire::pack::{Bitmap, DecodeError, NO_VAL};
use wire::version::ProtocolVersion;

const V: ProtocolVersion = ProtocolVersion::V22_05;
const SLURM_USER: u32 = 64030;

fn bitmap(len: u32, ones: &[u32]) -> Bitmap {
    let mut b = Bitmap::new(len);
    ones.iter().for_each(|&i| b.set(i));
    b
}

/// A credential with every optional part filled in.
fn full_credential() -> JobCredential {
    JobCredential {
        step_id: StepId {
            job_id: 42,
            step_id: 0,
            step_het_comp: NO_VAL,
        },
        uid: 1000,
        gid: 1000,
        pw_name: Some("alice".into()),
        pw_gecos: Some("Alice".into()),
        pw_dir: Some("/home/alice".into()),
        pw_shell: Some("/bin/bash".into()),
        gids: vec![1000, 27],
        gr_names: vec!["alice".into(), "sudo".into()],
        job_gres_list: vec![GresJobState {
            plugin_id: 7696487,
            cpus_per_gres: 2,
            gres_per_node: 1,
            total_gres: 2,
            type_name: Some("a100".into()),
            node_cnt: 2,
            gres_cnt_node_alloc: Some(vec![1, 1]),
            gres_bit_alloc: Some(vec![Some(bitmap(4, &[0])), None]),
            gres_bit_step_alloc: Some(vec![Some(bitmap(4, &[])), Some(bitmap(4, &[3]))]),
            gres_cnt_step_alloc: Some(vec![0, 1]),
            ..Default::default()
        }],
        step_gres_list: vec![GresStepState {
            plugin_id: 7696487,
            gres_per_step: 1,
            node_cnt: 2,
            node_in_use: Some(bitmap(2, &[1])),
            gres_cnt_node_alloc: Some(vec![0, 1]),
            gres_bit_alloc: Some(vec![None, Some(bitmap(4, &[3]))]),
            ..Default::default()
        }],
        job_core_spec: 0xfffe,
        job_account: Some("physics".into()),
        job_partition: Some("debug".into()),
        job_restart_cnt: 0,
        job_std_out: Some("/home/alice/slurm-%j.out".into()),
        step_hostlist: Some("n[1-2]".into()),
        ctime: 1_700_000_000,
        tot_core_cnt: 8,
        job_core_bitmap: Some(bitmap(8, &[0, 1, 4, 5])),
        step_core_bitmap: Some(bitmap(8, &[0, 4])),
        cores_per_socket: vec![4],
        sockets_per_node: vec![1],
        sock_core_rep_count: vec![2],
        cpu_array: vec![2],
        cpu_array_reps: vec![2],
        job_nhosts: 2,
        job_ntasks: 4,
        job_hostlist: Some("n[1-2]".into()),
        job_mem_alloc: vec![1024],
        job_mem_alloc_rep_count: vec![2],
        step_mem_alloc: vec![512, 256],
        step_mem_alloc_rep_count: vec![1, 1],
        selinux_context: Some("unconfined_u:unconfined_r:unconfined_t".into()),
        ..Default::default()
    }
}

fn kill_job() -> KillJob {
    KillJob {
        cred: Some(SignedCredential::unsigned(full_credential(), V)),
        details: Some("preempted".into()),
        derived_ec: 0,
        exit_code: 9,
        job_gres_info: vec![GresJobAlloc {
            plugin_id: 7696487,
            node_cnt: 2,
            gres_cnt_node_alloc: Some(vec![1, 1]),
            gres_bit_alloc: Some(vec![Some(bitmap(4, &[0])), Some(bitmap(4, &[1]))]),
        }],
        step_id: StepId {
            job_id: 42,
            step_id: NO_VAL,
            step_het_comp: NO_VAL,
        },
        het_job_id: NO_VAL,
        job_state: 1,
        job_uid: 1000,
        job_gid: 1000,
        nodes: Some("n[1-2]".into()),
        select_jobinfo: SelectJobInfo::default(),
        spank_job_env: vec!["SPANK_X=1".into()],
        start_time: 1_700_000_000,
        time: 1_700_000_100,
        work_dir: Some("/home/alice".into()),
    }
}

fn samples() -> Vec<Message> {
    let jobacct = JobAcctInfo {
        user_cpu_sec: 3,
        user_cpu_usec: 250,
        sys_cpu_sec: 1,
        sys_cpu_usec: 9,
        act_cpufreq: 2_000_000,
        consumed_energy: 17,
        tres_ids: vec![1, 2],
        tres_list: Some(vec![TresRec {
            id: 1,
            count: 4,
            tres_type: Some("cpu".into()),
            ..Default::default()
        }]),
        usage_in: TresUsage {
            max: vec![5, 6],
            tot: vec![7, 8],
            ..Default::default()
        },
        usage_out: TresUsage {
            min: vec![1, 1],
            ..Default::default()
        },
    };
    vec![
        Message::NodeRegistrationStatusRequest,
        Message::HealthCheck,
        Message::AcctGatherUpdate,
        Message::PingSlurmdResponse(PingSlurmdResponse {
            cpu_load: 12,
            free_mem: 31_000,
        }),
        Message::AcctGatherUpdateResponse(AcctGatherNodeResponse {
            node_name: Some("n1".into()),
            energy: vec![
                Energy {
                    consumed_energy: 100,
                    current_watts: 50,
                    poll_time: 1_700_000_000,
                    ..Default::default()
                };
                2
            ],
        }),
        Message::TerminateTasks(SignalTasks {
            step_id: StepId {
                job_id: 42,
                step_id: step::BATCH,
                step_het_comp: NO_VAL,
            },
            flags: kill_flags::FULL_JOB,
            signal: 15,
        }),
        Message::StepComplete(StepComplete {
            step_id: StepId {
                job_id: 42,
                step_id: 1,
                step_het_comp: NO_VAL,
            },
            range_first: 0,
            range_last: 3,
            step_rc: 0,
            jobacct: Some(jobacct),
        }),
        Message::KillTimelimit(Box::new(kill_job())),
        Message::AbortJob(Box::new(KillJob {
            cred: None,
            job_gres_info: vec![],
            ..kill_job()
        })),
        Message::KillPreempted(Box::new(kill_job())),
        Message::LaunchProlog(Box::new(PrologLaunch {
            job_gres_info: kill_job().job_gres_info,
            job_id: 42,
            het_job_id: NO_VAL,
            uid: 1000,
            gid: 1000,
            alias_list: None,
            nodes: Some("n[1-2]".into()),
            std_err: None,
            std_out: Some("/home/alice/slurm-42.out".into()),
            work_dir: Some("/home/alice".into()),
            x11: 0,
            x11_alloc_host: None,
            x11_alloc_port: 0,
            x11_magic_cookie: None,
            x11_target: None,
            x11_target_port: 0,
            spank_job_env: vec![],
            cred: SignedCredential {
                signature: Some(b"MUNGE:abc:\0".to_vec()),
                ..SignedCredential::unsigned(full_credential(), V)
            },
            user_name: Some("alice".into()),
        })),
        Message::CompleteProlog(CompleteProlog {
            job_id: 42,
            node_name: Some("n1".into()),
            prolog_rc: 0,
        }),
        Message::NodeRegistration(Box::new(NodeRegistration {
            timestamp: 1_700_000_000,
            node_name: Some("n1".into()),
            cpus: 8,
            boards: 1,
            sockets: 1,
            cores: 4,
            threads: 2,
            real_memory: 32_000,
            steps: vec![StepId {
                job_id: 42,
                step_id: step::EXTERN,
                step_het_comp: NO_VAL,
            }],
            flags: reg_flags::RESP,
            gres_info: Some(GresNodeConfig {
                version: V.0,
                records: vec![GresSlurmdConf {
                    count: 2,
                    cpu_cnt: 8,
                    plugin_id: 7696487,
                    name: Some("gpu".into()),
                    type_name: Some("a100".into()),
                    cpus: Some("0-7".into()),
                    ..Default::default()
                }],
            }),
            version: Some("22.05.8".into()),
            ..Default::default()
        })),
    ]
}

#[test]
fn messages_without_captures_round_trip() {
    for m in samples() {
        let body = m.to_body(V);
        let back = Message::unpack(m.msg_type(), V, &body)
            .unwrap_or_else(|e| panic!("{}: {e}", m.msg_type()));
        assert_eq!(back, m);
        assert_eq!(back.to_body(V), body);
    }
}

#[test]
fn truncated_bodies_are_refused() {
    for m in samples() {
        let body = m.to_body(V);
        for cut in 0..body.len() {
            assert!(
                Message::unpack(m.msg_type(), V, &body[..cut]).is_err(),
                "{} cut at {cut}",
                m.msg_type()
            );
        }
        // And one extra byte is refused too.
        let mut long = body.clone();
        long.push(0);
        assert!(Message::unpack(m.msg_type(), V, &long).is_err());
    }
}

#[test]
fn older_layouts_are_refused_where_they_differ() {
    for m in samples() {
        let body = m.to_body(V);
        let r = Message::unpack(m.msg_type(), ProtocolVersion::V21_08, &body);
        match &m {
            // Identical in 21.08.
            Message::NodeRegistrationStatusRequest
            | Message::HealthCheck
            | Message::AcctGatherUpdate
            | Message::PingSlurmdResponse(_)
            | Message::AcctGatherUpdateResponse(_)
            | Message::TerminateTasks(_)
            | Message::StepComplete(_) => assert_eq!(r.unwrap(), m),
            _ => assert_eq!(
                r,
                Err(DecodeError::UnsupportedVersion(ProtocolVersion::V21_08.0))
            ),
        }
    }
}

#[test]
fn registration_gres_size_must_match_mem_length() {
    let Message::NodeRegistration(r) = &samples()[12] else {
        panic!("sample order")
    };
    let mut body = Message::NodeRegistration(r.clone()).to_body(V);
    // Find the u32 size that precedes packmem's own identical length.
    let mut inner = wire::pack::Packer::new();
    r.gres_info.as_ref().unwrap().pack(&mut inner);
    let len = (inner.len() as u32).to_be_bytes();
    let at = body
        .windows(8)
        .position(|w| w[..4] == len && w[4..] == len)
        .expect("size twice");
    body[at + 3] ^= 1;
    assert!(matches!(
        Message::unpack(
            wire::msg::msg_type::MESSAGE_NODE_REGISTRATION_STATUS,
            V,
            &body
        ),
        Err(DecodeError::InvalidValue {
            field: "node_reg.gres_info",
            ..
        })
    ));
}

#[test]
fn credential_body_is_what_gets_signed_and_verified() {
    let key = b"cluster key";
    let ctld = FakeCredentials::new(key, SLURM_USER, SLURM_USER);
    let slurmd = FakeCredentials::new(key, 0, 0);
    let cred = full_credential();
    let signed = SignedCredential::sign(cred.clone(), V, &ctld, RestrictUid::Uid(0)).unwrap();
    assert_eq!(signed.body, cred.pack_body(V));
    assert_eq!(
        signed.signature.as_ref().unwrap().last(),
        Some(&0),
        "signature carries its NUL"
    );

    // Wire form: body with no length, then mem signature; decodes back to the same.
    let mut p = wire::pack::Packer::new();
    signed.pack(&mut p);
    let mut u = wire::pack::Unpacker::new(p.as_slice());
    let back = SignedCredential::unpack(&mut u, V).unwrap();
    u.finish("cred").unwrap();
    assert_eq!(back, signed);

    back.verify(&slurmd, &[SLURM_USER, 0]).unwrap();
    // Replays are MUNGE's business on the same node; another node decodes fine.
    back.verify(&FakeCredentials::new(key, 0, 0), &[SLURM_USER, 0])
        .unwrap();
}

#[test]
fn credential_refusals_carry_upstream_codes() {
    let key = b"cluster key";
    let ctld = FakeCredentials::new(key, SLURM_USER, SLURM_USER);
    let signed = SignedCredential::sign(full_credential(), V, &ctld, RestrictUid::Any).unwrap();

    // Signed by an ordinary user.
    let user = FakeCredentials::new(key, 1000, 1000);
    let forged = SignedCredential::sign(full_credential(), V, &user, RestrictUid::Any).unwrap();
    let e = forged
        .verify(&FakeCredentials::new(key, 0, 0), &[SLURM_USER, 0])
        .unwrap_err();
    assert_eq!(e, CredError::BadSigner { uid: 1000 });
    assert_eq!(e.slurm_rc(), SlurmRc::ESLURMD_INVALID_JOB_CREDENTIAL);

    // Body changed after signing (a different uid in the credential).
    let mut tampered = signed.clone();
    tampered.body[12..16].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(
        tampered.verify(&FakeCredentials::new(key, 0, 0), &[SLURM_USER, 0]),
        Err(CredError::DataMismatch)
    );
    let mut short = signed.clone();
    short.body.pop();
    assert!(matches!(
        short.verify(&FakeCredentials::new(key, 0, 0), &[SLURM_USER, 0]),
        Err(CredError::SizeMismatch { .. })
    ));

    // Another cluster's key; unsigned; replay on one node.
    let other = FakeCredentials::new(b"other key", 0, 0);
    assert!(matches!(
        signed.verify(&other, &[SLURM_USER, 0]),
        Err(CredError::BadSignature(_))
    ));
    let unsigned = SignedCredential::unsigned(full_credential(), V);
    assert_eq!(
        unsigned.verify(&other, &[0]).unwrap_err().slurm_rc(),
        SlurmRc::ESLURMD_INVALID_JOB_CREDENTIAL
    );
    let node = FakeCredentials::new(key, 0, 0);
    signed.verify(&node, &[SLURM_USER]).unwrap();
    assert_eq!(
        signed.verify(&node, &[SLURM_USER]),
        Err(CredError::SignatureReplayed)
    );

    // Age check.
    let ctime = signed.credential.ctime;
    signed.check_expiry(ctime + 120, 120).unwrap();
    let e = signed.check_expiry(ctime + 121, 120).unwrap_err();
    assert_eq!(e.slurm_rc(), SlurmRc::ESLURMD_CREDENTIAL_EXPIRED);
    assert_eq!(
        CredError::Revoked.slurm_rc(),
        SlurmRc::ESLURMD_CREDENTIAL_REVOKED
    );
    assert_eq!(
        CredError::Replayed.slurm_rc(),
        SlurmRc::ESLURMD_CREDENTIAL_REPLAYED
    );
}

#[test]
fn credential_parallel_arrays_must_agree() {
    let mut c = full_credential();
    c.cpu_array_reps.push(9);
    let body = c.pack_body(V);
    let mut u = wire::pack::Unpacker::new(&body);
    assert!(matches!(
        JobCredential::unpack(&mut u, V),
        Err(DecodeError::InvalidValue {
            field: "cred.cpu_array_reps",
            ..
        })
    ));
}

#[test]
fn hostile_counts_do_not_allocate() {
    // A registration claiming 2^32-2 running steps in a tiny body.
    let mut body = Message::NodeRegistration(Box::default()).to_body(V);
    // job_count follows 2 times, u32, 7 NULL strings, 5 u16, u64, 4 u32, u64.
    let at = 8 + 8 + 4 + 7 * 4 + 5 * 2 + 8 + 4 * 4 + 8;
    body[at..at + 4].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    assert!(matches!(
        Message::unpack(
            wire::msg::msg_type::MESSAGE_NODE_REGISTRATION_STATUS,
            V,
            &body
        ),
        Err(DecodeError::LengthTooLarge {
            field: "node_reg.job_count",
            ..
        })
    ));
}

#[test]
fn srun_side_optional_branches_round_trip() {
    use wire::addr::SlurmAddr;
    use wire::msg::srun::{
        JobOption, LaunchTasksRequest, ResourceAllocationResponse, StepLayout, SwitchJobInfo,
    };
    let addr: std::net::SocketAddr = "10.0.0.1:6818".parse().unwrap();
    let launch = LaunchTasksRequest {
        step_id: StepId {
            job_id: 42,
            step_id: 0,
            step_het_comp: 1,
        },
        uid: 1000,
        gid: 1000,
        user_name: Some("alice".into()),
        gids: vec![1000],
        het_job_node_offset: 0,
        het_job_id: 41,
        het_job_tids: Some(vec![vec![0, 1], vec![2]]),
        het_job_tid_offsets: Some(vec![0, 3]),
        het_job_offset: 1,
        het_job_step_cnt: 2,
        het_job_task_offset: 3,
        het_job_node_list: Some("n[1-2]".into()),
        mpi_plugin_id: 101,
        ntasks: 3,
        ntasks_per_board: 0,
        ntasks_per_core: 0,
        ntasks_per_tres: 0,
        ntasks_per_socket: 0,
        job_mem_lim: 1024,
        step_mem_lim: 512,
        cpus_per_task: 1,
        tres_per_task: None,
        threads_per_core: 0xfffe,
        task_dist: 1,
        node_cpus: 2,
        job_core_spec: 0xfffe,
        accel_bind_type: 0,
        cred_version: V,
        cred: SignedCredential::unsigned(full_credential(), V),
        global_task_ids: vec![vec![0, 1], vec![2]],
        resp_port: vec![40000, 40001],
        orig_addr: SlurmAddr::Inet(addr),
        env: vec!["A=1".into()],
        spank_job_env: vec![],
        container: None,
        cwd: Some("/home/alice".into()),
        cpu_bind_type: 0,
        cpu_bind: None,
        mem_bind_type: 0,
        mem_bind: None,
        argv: vec!["hostname".into()],
        flags: 8,
        ofname: None,
        efname: None,
        ifname: None,
        io_port: vec![40002],
        profile: 0,
        task_prolog: None,
        task_epilog: None,
        slurmd_debug: 0,
        switch_job: SwitchJobInfo::default(),
        options: vec![JobOption {
            option_type: 0x4400,
            option: Some("x".into()),
            optarg: None,
        }],
        alias_list: None,
        complete_nodelist: Some("n[1-2]".into()),
        open_mode: 0,
        acctg_freq: None,
        cpu_freq_min: NO_VAL,
        cpu_freq_max: NO_VAL,
        cpu_freq_gov: NO_VAL,
        select_jobinfo: SelectJobInfo::default(),
        tres_bind: None,
        tres_freq: None,
        x11: 0,
        x11_alloc_host: None,
        x11_alloc_port: 0,
        x11_magic_cookie: None,
        x11_target: None,
        x11_target_port: 0,
    };
    let alloc = ResourceAllocationResponse {
        job_id: 42,
        node_cnt: 2,
        node_addr: Some(vec![SlurmAddr::Inet(addr), SlurmAddr::Unset]),
        cpus_per_node: vec![2],
        cpu_count_reps: vec![2],
        select_jobinfo: SelectJobInfo::default(),
        ..Default::default()
    };
    let layout = StepLayout {
        node_list: Some("n[1-2]".into()),
        tids: vec![vec![0, 1], vec![2]],
        ..Default::default()
    };
    let kill = wire::msg::JobStepKill {
        step_id: StepId {
            job_id: 42,
            step_id: wire::msg::common::step::PENDING,
            step_het_comp: wire::pack::NO_VAL,
        },
        sjob_id: None,
        sibling: None,
        signal: 0,
        flags: 0,
    };
    for m in [
        Message::LaunchTasks(Box::new(launch)),
        Message::JobAllocationInfo(Box::new(alloc.clone())),
        Message::HetJobAllocation(vec![alloc.clone(), alloc.clone()]),
        Message::ResourceAllocationResponse(Box::new(alloc)),
        Message::JobAllocationInfoRequest {
            job_id: 42,
            req_cluster: Some("c".into()),
        },
        Message::HetJobAllocInfoRequest {
            job_id: 42,
            req_cluster: None,
        },
        Message::SrunStepSignal(kill),
    ] {
        let body = m.to_body(V);
        assert_eq!(Message::unpack(m.msg_type(), V, &body).unwrap(), m);
        for cut in 0..body.len() {
            assert!(Message::unpack(m.msg_type(), V, &body[..cut]).is_err());
        }
    }
    let mut p = wire::pack::Packer::new();
    StepLayout::pack(Some(&layout), &mut p);
    let mut u = wire::pack::Unpacker::new(p.as_slice());
    assert_eq!(StepLayout::unpack(&mut u).unwrap(), Some(layout));
}
