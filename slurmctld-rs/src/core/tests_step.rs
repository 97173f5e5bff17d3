//! Steps and interactive allocations in memory: what srun and salloc get
//! from the controller, with the numbers stock slurmctld 22.05 gave for the
//! same requests (compat-tests/expected/step_*).

use wire::msg::common::{step, StepId};
use wire::msg::srun::JobStepCreateRequest;
use wire::msg::{JobDescriptor, Message, StepComplete};
use wire::pack::NO_VAL;

use super::step::ssf;
use super::tests_alloc::{cluster, root, NODE, T0};
use super::Controller;

/// Four 2-CPU nodes, DefMemPerCPU=100, as the compat clusters have.
fn four_nodes() -> Controller {
    cluster(
        "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core_Memory\nDefMemPerCPU=100",
        &format!(
            "NodeName=n[1-4] {NODE} CPUs=2 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000\n\
             PartitionName=batch Nodes=ALL Default=YES State=UP"
        ),
    )
}

/// What `salloc -N<nodes>` / `srun -N<nodes> -n<tasks>` send.
fn allocation(nodes: u32, tasks: u32) -> JobDescriptor {
    JobDescriptor {
        user_id: 0,
        group_id: 0,
        name: Some("interactive".into()),
        work_dir: Some("/tmp".into()),
        min_nodes: nodes,
        num_tasks: tasks,
        alloc_resp_port: 40000,
        other_port: 40001,
        ..JobDescriptor::default()
    }
}

fn allocate(c: &mut Controller, d: JobDescriptor) -> wire::msg::ResourceAllocationResponse {
    match c
        .handle(root(), Message::ResourceAllocation(Box::new(d)), T0)
        .reply
    {
        Message::ResourceAllocationResponse(r) => *r,
        other => panic!("allocation refused: {other:?}"),
    }
}

/// What srun sends for `srun -n<tasks>` in job `job_id` (whole nodes).
fn step_request(job_id: u32, nodes: u32, tasks: u32) -> JobStepCreateRequest {
    JobStepCreateRequest {
        step_id: StepId {
            job_id,
            step_id: NO_VAL,
            step_het_comp: NO_VAL,
        },
        user_id: 0,
        min_nodes: nodes,
        max_nodes: nodes,
        cpu_count: tasks,
        num_tasks: tasks,
        task_dist: super::step::dist::UNKNOWN,
        flags: ssf::WHOLE,
        host: Some("login".into()),
        port: 41000,
        name: Some("hostname".into()),
        ..JobStepCreateRequest::default()
    }
}

#[test]
fn an_allocation_that_fits_starts_in_the_rpc() {
    let mut c = four_nodes();
    let r = allocate(&mut c, allocation(2, 2));
    assert_eq!(r.node_list.as_deref(), Some("n[1-2]"));
    assert_eq!((r.node_cnt, r.error_code), (2, 0));
    assert_eq!(
        (r.cpus_per_node.clone(), r.cpu_count_reps.clone()),
        (vec![1], vec![2])
    );
    let job = &c.jobs[&r.job_id];
    assert!(job.interactive, "no batch script: BatchFlag=0");
    assert_eq!(job.accrue_time, 0, "started at once: AccrueTime=Unknown");
}

#[test]
fn a_queued_allocation_says_why_and_an_immediate_one_fails() {
    let mut c = four_nodes();
    let r = allocate(&mut c, allocation(4, 8));
    assert_eq!(r.node_cnt, 4, "takes every CPU");
    let r = allocate(&mut c, allocation(1, 1));
    assert_eq!((r.node_cnt, r.error_code), (0, 0), "queued, no node list");
    assert!(c.jobs[&r.job_id].is_pending());
    let mut d = allocation(1, 1);
    d.immediate = 1;
    let out = c.handle(root(), Message::ResourceAllocation(Box::new(d)), T0);
    assert_eq!(
        out.reply,
        Message::SlurmRc {
            rc: wire::errno::SlurmRc::ESLURM_NOT_TOP_PRIORITY.0
        },
        "a pending job ranks higher"
    );
}

#[test]
fn steps_take_whole_nodes_lay_out_tasks_and_sign_nothing_themselves() {
    let mut c = four_nodes();
    let r = allocate(&mut c, allocation(3, 6));
    let out = c.handle(
        root(),
        Message::JobStepCreate(Box::new(step_request(r.job_id, 3, 6))),
        T0,
    );
    let Message::JobStepCreateResponse(resp) = out.reply else {
        panic!("step refused: {:?}", out.reply)
    };
    assert_eq!(resp.job_step_id, 0);
    let layout = resp.step_layout.unwrap();
    assert_eq!(layout.node_list.as_deref(), Some("n[1-3]"));
    assert_eq!(layout.tids, vec![vec![0, 1], vec![2, 3], vec![4, 5]]);
    assert_eq!(
        layout.task_dist,
        super::step::dist::BLOCK,
        "unknown + no memory: block"
    );
    let cred = &resp.cred.credential;
    assert_eq!(cred.step_id.step_id, 0);
    assert_eq!(cred.step_hostlist.as_deref(), Some("n[1-3]"));
    assert_eq!(
        cred.step_core_bitmap.as_ref().map(|b| b.count_ones()),
        Some(6)
    );
    assert!(resp.cred.signature.is_none(), "the server signs it");
    // A second whole-node step finds every node busy.
    let out = c.handle(
        root(),
        Message::JobStepCreate(Box::new(step_request(r.job_id, 1, 1))),
        T0,
    );
    assert_eq!(
        out.reply,
        Message::SlurmRc {
            rc: wire::errno::SlurmRc::ESLURM_NODES_BUSY.0
        }
    );
    // --overlap shares them.
    let mut overlap = step_request(r.job_id, 1, 1);
    overlap.flags |= ssf::OVERLAP_FORCE;
    let out = c.handle(root(), Message::JobStepCreate(Box::new(overlap)), T0);
    assert!(matches!(out.reply, Message::JobStepCreateResponse(ref s) if s.job_step_id == 1));
}

#[test]
fn step_completion_sets_the_derived_exit_code_and_the_record_keeps_steps() {
    let mut c = four_nodes();
    let r = allocate(&mut c, allocation(2, 2));
    let _ = c.handle(
        root(),
        Message::JobStepCreate(Box::new(step_request(r.job_id, 2, 2))),
        T0,
    );
    assert_eq!(c.jobs[&r.job_id].steps.len(), 1);
    // The job record with its running step survives the state store.
    let mut p = wire::pack::Packer::new();
    c.jobs[&r.job_id].pack(&mut p);
    let mut u = wire::pack::Unpacker::new(p.as_slice());
    let back = super::Job::unpack(&mut u, &mut c.strings).unwrap();
    assert_eq!(back.steps, c.jobs[&r.job_id].steps);
    assert!(back.interactive);
    let info = c.step_infos(
        &root(),
        &StepId {
            job_id: NO_VAL,
            step_id: NO_VAL,
            step_het_comp: NO_VAL,
        },
        T0,
    );
    assert_eq!(info.len(), 1, "no batch step for an allocation");
    assert_eq!(
        info[0].tres_alloc_str.as_deref(),
        Some("cpu=2,mem=200M,node=2")
    );
    let done = |first, last, rc| {
        Message::StepComplete(StepComplete {
            step_id: StepId {
                job_id: r.job_id,
                step_id: 0,
                step_het_comp: NO_VAL,
            },
            range_first: first,
            range_last: last,
            step_rc: rc,
            jobacct: None,
        })
    };
    let _ = c.handle(root(), done(0, 0, 0), T0 + 1);
    assert_eq!(c.jobs[&r.job_id].steps.len(), 1, "one node still runs it");
    let _ = c.handle(root(), done(1, 1, 7 << 8), T0 + 2);
    assert!(c.jobs[&r.job_id].steps.is_empty());
    assert_eq!(c.jobs[&r.job_id].derived_ec, 7 << 8);
    // The batch and extern steps' reports are accepted and ignored.
    let batch = Message::StepComplete(StepComplete {
        step_id: StepId {
            job_id: r.job_id,
            step_id: step::BATCH,
            step_het_comp: NO_VAL,
        },
        range_first: 0,
        range_last: 0,
        step_rc: 0,
        jobacct: None,
    });
    assert_eq!(
        c.handle(root(), batch, T0 + 3).reply,
        Message::SlurmRc { rc: 0 }
    );
}

#[test]
fn completing_an_allocation_ends_the_job_and_tells_salloc() {
    let mut c = four_nodes();
    let mut d = allocation(1, 1);
    d.resp_host = None;
    let r = allocate(&mut c, d);
    let mut caller = root();
    caller.peer = Some("127.0.0.1".parse().unwrap());
    // resp_host is taken from the connection, not from the request.
    let mut d2 = allocation(1, 1);
    d2.resp_host = Some("evil.example".into());
    let out = c.handle(
        caller.clone(),
        Message::ResourceAllocation(Box::new(d2)),
        T0,
    );
    let Message::ResourceAllocationResponse(r2) = out.reply else {
        panic!()
    };
    assert_eq!(
        c.jobs[&r2.job_id].desc.resp_host.as_deref(),
        Some("127.0.0.1")
    );
    let out = c.handle(
        caller,
        Message::CompleteJobAllocation {
            job_id: r2.job_id,
            job_rc: 0,
        },
        T0 + 5,
    );
    assert_eq!(out.reply, Message::SlurmRc { rc: 0 });
    assert!(out
        .effects
        .iter()
        .any(|e| matches!(e, super::Effect::NotifySrun { targets, .. }
        if targets == &vec![("127.0.0.1".to_string(), 40001)])));
    assert!(c.jobs[&r2.job_id].base_state().is_finished());
    assert!(!c.jobs[&r.job_id].base_state().is_finished());
}

#[test]
fn a_step_past_its_time_limit_is_told_once() {
    let mut c = four_nodes();
    let r = allocate(&mut c, allocation(1, 1));
    let mut req = step_request(r.job_id, 1, 1);
    req.time_limit = 1;
    let _ = c.handle(root(), Message::JobStepCreate(Box::new(req)), T0);
    assert!(c.check_time_limits(T0 + 59).is_empty());
    let effects = c.check_time_limits(T0 + 60);
    assert_eq!(
        effects,
        vec![super::Effect::StepTimeLimit {
            job_id: r.job_id,
            step_id: 0,
            nodes: vec![0]
        }]
    );
    assert!(c.check_time_limits(T0 + 90).is_empty(), "told once");
}

#[test]
fn salloc_hears_of_its_time_limit_a_minute_ahead_once() {
    let mut c = four_nodes();
    let mut d = allocation(1, 1);
    d.time_limit = 2;
    let mut caller = root();
    caller.peer = Some("127.0.0.1".parse().unwrap());
    let out = c.handle(caller, Message::ResourceAllocation(Box::new(d)), T0);
    let Message::ResourceAllocationResponse(r) = out.reply else {
        panic!("{:?}", out.reply)
    };
    assert!(c.check_time_limits(T0 + 30).is_empty(), "ends in 90 s");
    let timeout = super::interactive::SrunNotice::Timeout(T0 + 120);
    assert_eq!(
        c.check_time_limits(T0 + 61),
        vec![super::Effect::NotifySrun {
            job_id: r.job_id,
            targets: vec![("127.0.0.1".into(), 40001)],
            notice: timeout,
        }]
    );
    assert!(c.check_time_limits(T0 + 90).is_empty());
}

#[test]
fn a_busy_step_waits_and_its_srun_is_woken_when_a_step_ends() {
    let mut c = four_nodes();
    let r = allocate(&mut c, allocation(1, 1));
    let _ = c.handle(
        root(),
        Message::JobStepCreate(Box::new(step_request(r.job_id, 1, 1))),
        T0,
    );
    let mut second = step_request(r.job_id, 1, 1);
    second.port = 42000;
    let out = c.handle(root(), Message::JobStepCreate(Box::new(second)), T0);
    assert_eq!(
        out.reply,
        Message::SlurmRc {
            rc: wire::errno::SlurmRc::ESLURM_NODES_BUSY.0
        }
    );
    let done = Message::StepComplete(StepComplete {
        step_id: StepId {
            job_id: r.job_id,
            step_id: 0,
            step_het_comp: NO_VAL,
        },
        range_first: 0,
        range_last: 0,
        step_rc: 0,
        jobacct: None,
    });
    let out = c.handle(root(), done, T0 + 5);
    assert_eq!(
        out.effects,
        vec![super::Effect::NotifySrun {
            job_id: r.job_id,
            targets: vec![("login".into(), 42000)],
            notice: super::interactive::SrunNotice::StepRetry,
        }]
    );
    assert!(c.jobs[&r.job_id].pending_steps.is_empty());
}

#[test]
fn mail_notices_follow_the_job_as_upstream_words_them() {
    use super::mail::kind;
    let mut c = four_nodes();
    let mut d = allocation(1, 1);
    d.name = Some("mt".into());
    d.time_limit = 1;
    d.mail_type = kind::BEGIN | kind::END | kind::FAIL | kind::TIME50 | kind::TIME100;
    d.mail_user = Some("alice".into());
    let out = c.handle(root(), Message::ResourceAllocation(Box::new(d)), T0);
    let Message::ResourceAllocationResponse(r) = out.reply else {
        panic!("{:?}", out.reply)
    };
    let subject = |e: &super::Effect| match e {
        super::Effect::Mail { subject, user, .. } => Some(format!("{user}: {subject}")),
        _ => None,
    };
    let began: Vec<String> = out.effects.iter().filter_map(subject).collect();
    assert_eq!(
        began,
        vec![format!(
            "alice: Slurm Job_id={} Name=mt Began, Queued time 00:00:00",
            r.job_id
        )]
    );
    let half: Vec<String> = c
        .check_time_limits(T0 + 30)
        .iter()
        .filter_map(subject)
        .collect();
    assert_eq!(
        half,
        vec![format!(
            "alice: Slurm Job_id={} Name=mt Reached 50% of time limit, Run time 00:00:30",
            r.job_id
        )]
    );
    let end: Vec<String> = c
        .check_time_limits(T0 + 60)
        .iter()
        .filter_map(subject)
        .collect();
    assert_eq!(
        end,
        vec![
            format!(
                "alice: Slurm Job_id={} Name=mt Reached time limit, Run time 00:01:00",
                r.job_id
            ),
            format!(
                "alice: Slurm Job_id={} Name=mt Failed, Run time 00:01:00, TIMEOUT, ExitCode 0",
                r.job_id
            ),
        ]
    );
}

#[test]
fn relative_and_arbitrary_steps_place_tasks_where_asked() {
    let mut c = four_nodes();
    let r = allocate(&mut c, allocation(3, 6));
    // --relative=1: the step starts on the job's second node.
    let mut rel = step_request(r.job_id, 1, 1);
    rel.relative = 1;
    rel.flags |= ssf::OVERLAP_FORCE;
    let out = c.handle(root(), Message::JobStepCreate(Box::new(rel)), T0);
    let Message::JobStepCreateResponse(s) = out.reply else {
        panic!("{:?}", out.reply)
    };
    assert_eq!(s.step_layout.unwrap().node_list.as_deref(), Some("n2"));
    // SLURM_HOSTFILE=n3,n1,n3 with -m arbitrary: task i on the i-th host.
    // srun asks for all three nodes of the job; the host list names two.
    let mut arb = step_request(r.job_id, 3, 3);
    arb.task_dist = super::step::dist::ARBITRARY;
    arb.node_list = Some("n3,n1,n3".into());
    arb.flags |= ssf::OVERLAP_FORCE;
    let out = c.handle(root(), Message::JobStepCreate(Box::new(arb)), T0);
    let Message::JobStepCreateResponse(s) = out.reply else {
        panic!("{:?}", out.reply)
    };
    let layout = s.step_layout.unwrap();
    assert_eq!(layout.node_list.as_deref(), Some("n[1,3]"));
    assert_eq!(layout.tids, vec![vec![1], vec![0, 2]]);
}

#[test]
fn distribution_flags_do_not_make_a_layout_invalid() {
    // -m pack / nopack / block,nopack: flags above the base layout bits
    // (upstream's test1.120).
    let mut c = four_nodes();
    let r = allocate(&mut c, allocation(1, 1));
    for dist in [
        0x0080_0000 | super::step::dist::UNKNOWN,
        0x0100_0000 | 0x0222,
    ] {
        let mut req = step_request(r.job_id, 1, 1);
        req.task_dist = dist;
        req.flags |= ssf::OVERLAP_FORCE;
        let out = c.handle(root(), Message::JobStepCreate(Box::new(req)), T0);
        assert!(
            matches!(out.reply, Message::JobStepCreateResponse(_)),
            "{dist:#x}: {:?}",
            out.reply
        );
    }
}

#[test]
fn a_cancelled_queued_allocation_tells_both_of_salloc_ports() {
    let mut c = four_nodes();
    let _ = allocate(&mut c, allocation(4, 8));
    let mut caller = root();
    caller.peer = Some("127.0.0.1".parse().unwrap());
    let out = c.handle(
        caller,
        Message::ResourceAllocation(Box::new(allocation(1, 1))),
        T0,
    );
    let Message::ResourceAllocationResponse(r) = out.reply else {
        panic!("{:?}", out.reply)
    };
    assert_eq!(r.node_cnt, 0, "queued");
    let kill = wire::msg::JobStepKill {
        step_id: StepId {
            job_id: r.job_id,
            step_id: NO_VAL,
            step_het_comp: NO_VAL,
        },
        sjob_id: None,
        sibling: None,
        signal: 9,
        flags: 0,
    };
    let out = c.handle(root(), Message::KillJob(kill), T0 + 1);
    assert!(
        out.effects
            .iter()
            .any(|e| matches!(e, super::Effect::NotifySrun { targets, .. }
        if targets == &vec![("127.0.0.1".to_string(), 40000), ("127.0.0.1".to_string(), 40001)])),
        "{:?}",
        out.effects
    );
}
