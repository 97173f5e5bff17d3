//! Submission checks and pending reasons as upstream's slurmctld gives
//! them, in configurations other than the compat cluster's (seen with the
//! differential tester: EnforcePartLimits=NO, partition states, features,
//! MaxMemPerCPU).

use wire::errno::SlurmRc;
use wire::job_reason::JobReason;
use wire::msg::{JobDescriptor, Message};
use wire::version::ProtocolVersion;

use super::spec::{ClusterSpec, EnforcePartLimits, Limits, NodeSpec, PartitionSpec};
use super::submit::MEM_PER_CPU;
use super::{Caller, Controller, StaticUsers};

const ROOT: u32 = 0;
const ALICE: u32 = 1000;
const T0: i64 = 1_800_000_000;

/// n1 (4 CPUs, 1000 MB, fa,fb), n2 (8 CPUs, 2000 MB, fb), n3 (2 CPUs,
/// 4000 MB, no features); "batch" (n1,n2, default) and "other" (n3),
/// EnforcePartLimits=NO (upstream's default).
fn cluster() -> Controller {
    let mut n1 = NodeSpec::simple("n1", 4, 1000);
    n1.features = Some("fa,fb".into());
    let mut n2 = NodeSpec::simple("n2", 8, 2000);
    n2.features = Some("fb".into());
    let n3 = NodeSpec::simple("n3", 2, 4000);
    let mut batch = PartitionSpec::simple("batch", vec![0, 1]);
    batch.default = true;
    batch.max_time = Some(60);
    let other = PartitionSpec::simple("other", vec![2]);
    let spec = ClusterSpec {
        nodes: vec![n1, n2, n3],
        partitions: vec![batch, other],
        limits: Limits {
            first_job_id: 100,
            ..Limits::default()
        },
    };
    let users = StaticUsers(vec![
        (ROOT, "root".into(), vec![]),
        (ALICE, "alice".into(), vec![]),
    ]);
    Controller::new(spec, Box::new(users), T0)
}

/// [`cluster`] with every node daemon registered, as the test selection
/// and the main pass need.
fn registered_cluster() -> Controller {
    let mut c = cluster();
    for i in 0..c.nodes.len() {
        let n = c.spec.nodes[i].clone();
        let report = super::nodes::NodeReport {
            node_name: n.name.clone(),
            cpus: n.cpus,
            boards: 1,
            sockets: 1,
            cores: n.cpus,
            threads: 1,
            real_memory: n.real_memory,
            ..Default::default()
        };
        c.node_registered(&report, T0).unwrap();
    }
    c
}

fn desc() -> JobDescriptor {
    JobDescriptor {
        user_id: ALICE,
        group_id: ALICE,
        script: Some("#!/bin/sh\ntrue\n".into()),
        ..JobDescriptor::default()
    }
}

/// Submits; Ok(job id) or Err(rc).
fn submit(c: &mut Controller, d: JobDescriptor) -> Result<u32, i32> {
    let who = Caller {
        uid: ALICE,
        gid: ALICE,
        version: ProtocolVersion::V22_05,
        host: Some("login1".into()),
        peer: None,
    };
    match c
        .handle(who, Message::SubmitBatchJob(Box::new(d)), T0)
        .reply
    {
        Message::SubmitBatchJobResponse { job_id, .. } => Ok(job_id),
        Message::SlurmRc { rc } | Message::SlurmRcMsg { rc, .. } => Err(rc),
        other => panic!("unexpected reply {other:?}"),
    }
}

fn with_features(f: &str) -> JobDescriptor {
    JobDescriptor {
        features: Some(f.into()),
        ..desc()
    }
}

#[test]
fn constraints_must_name_features_some_node_has() {
    let mut c = cluster();
    let invalid = SlurmRc::ESLURM_INVALID_FEATURE.0;
    // Every name must exist somewhere in the cluster, whatever the operator.
    assert_eq!(submit(&mut c, with_features("nosuch")), Err(invalid));
    assert_eq!(submit(&mut c, with_features("fa|nosuch")), Err(invalid));
    assert_eq!(submit(&mut c, with_features("fa&nosuch")), Err(invalid));
    // The check follows the job record's creation: ids were used up.
    assert_eq!(c.next_job_id, 103);
    assert!(c.jobs.is_empty());
    // Malformed expressions, and a bracketed AND without counts.
    for bad in ["|fa", "(fa", "fa]", "[fa&fb]", "[fa*2|fb*1]", "fa*0"] {
        assert_eq!(submit(&mut c, with_features(bad)), Err(invalid), "{bad}");
    }
    for good in [
        "fa",
        "fb",
        "fa&",
        "fa&fb",
        "fa,fb",
        "fa|fb",
        "[fa|fb]",
        "(fa|fb)&fb",
        "fa*1",
    ] {
        assert!(submit(&mut c, with_features(good)).is_ok(), "{good}");
    }
}

#[test]
fn constraints_no_node_of_the_partition_meets_are_an_unavailable_configuration() {
    let mut c = cluster();
    let d = JobDescriptor {
        partition: Some("other".into()),
        ..with_features("fa")
    };
    assert_eq!(
        submit(&mut c, d),
        Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE.0)
    );
    // n2 has fb but not fa: fa&fb leaves n1 only, too few for two nodes.
    let d = JobDescriptor {
        min_nodes: 2,
        ..with_features("fa&fb")
    };
    assert_eq!(
        submit(&mut c, d),
        Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE.0)
    );
}

#[test]
fn partitions_not_taking_submissions_refuse_or_pass_to_their_alternate() {
    let mut c = cluster();
    c.spec.partitions[0].state_up = 0; // INACTIVE
    assert_eq!(
        submit(&mut c, desc()),
        Err(SlurmRc::ESLURM_PARTITION_NOT_AVAIL.0)
    );
    c.spec.partitions[0].state_up = 2; // DRAIN
    assert_eq!(
        submit(&mut c, desc()),
        Err(SlurmRc::ESLURM_PARTITION_NOT_AVAIL.0)
    );
    // Refused before a record exists: no id used.
    assert_eq!(c.next_job_id, 100);
    c.spec.partitions[0].alternate = Some("other".into());
    let id = submit(&mut c, desc()).unwrap();
    assert_eq!(&*c.jobs[&id].partition, "other");
}

#[test]
fn a_down_partition_queues_the_job_with_reason_partition_down() {
    let mut c = cluster();
    c.spec.partitions[0].state_up = 1; // DOWN
    let id = submit(&mut c, desc()).unwrap();
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_PART_DOWN);
    c.main_schedule(T0 + 1);
    assert!(c.jobs[&id].is_pending());
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_PART_DOWN);
}

#[test]
fn without_enforce_part_limits_jobs_over_them_pend_with_the_limit_as_reason() {
    let mut c = cluster();
    let over_time = JobDescriptor {
        time_limit: 120,
        ..desc()
    };
    let id = submit(&mut c, over_time.clone()).unwrap();
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_PART_TIME_LIMIT);
    let too_many_nodes = JobDescriptor {
        min_nodes: 3,
        ..desc()
    };
    let id = submit(&mut c, too_many_nodes.clone()).unwrap();
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_PART_NODE_LIMIT);
    let too_many_cpus = JobDescriptor {
        min_cpus: 13,
        ..desc()
    };
    let id = submit(&mut c, too_many_cpus.clone()).unwrap();
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_PART_CONFIG);
    c.main_schedule(T0 + 1);
    assert!(c.jobs.values().all(|j| j.is_pending()));

    // MinNodes raises an unset node count; more than the partition has
    // is again a node limit.
    c.spec.partitions[1].min_nodes = 2;
    let d = JobDescriptor {
        partition: Some("other".into()),
        ..desc()
    };
    let id = submit(&mut c, d).unwrap();
    assert_eq!(c.jobs[&id].desc.min_nodes, 2);
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_PART_NODE_LIMIT);

    // EnforcePartLimits refuses the same requests.
    c.spec.limits.enforce_part_limits = EnforcePartLimits::All;
    assert_eq!(
        submit(&mut c, over_time),
        Err(SlurmRc::ESLURM_INVALID_TIME_LIMIT.0)
    );
    assert_eq!(
        submit(&mut c, too_many_nodes),
        Err(SlurmRc::ESLURM_INVALID_NODE_COUNT.0)
    );
    assert_eq!(
        submit(&mut c, too_many_cpus),
        Err(SlurmRc::ESLURM_TOO_MANY_REQUESTED_CPUS.0)
    );
}

#[test]
fn a_later_begin_time_is_the_pending_reason() {
    let mut c = cluster();
    let d = JobDescriptor {
        begin_time: T0 + 60,
        ..desc()
    };
    let id = submit(&mut c, d.clone()).unwrap();
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_TIME);
    c.main_schedule(T0 + 1);
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_TIME);
    let held = submit(&mut c, JobDescriptor { priority: 0, ..d }).unwrap();
    assert_eq!(c.jobs[&held].reason, JobReason::WAIT_HELD_USER);
    // Once the time has come the job is eligible and can start.
    c.main_schedule(T0 + 61);
    assert_ne!(c.jobs[&id].reason, JobReason::WAIT_TIME);
    assert!(c.jobs[&id].eligible_time != 0);
}

#[test]
fn max_mem_per_cpu_turns_memory_into_cpus() {
    let mut c = cluster();
    c.spec.limits.max_mem_per_cpu = 100 | MEM_PER_CPU;
    // No memory asked: the first node's whole memory (1000 MB) needs 10
    // CPUs per node at 100 MB each, more than any node of batch has.
    assert_eq!(
        submit(&mut c, desc()),
        Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE.0)
    );
    // 250 MB per CPU becomes 3 CPUs per task at 84 MB each.
    let d = JobDescriptor {
        pn_min_memory: 250 | MEM_PER_CPU,
        ..desc()
    };
    let id = submit(&mut c, d).unwrap();
    let j = &c.jobs[&id].desc;
    assert_eq!((j.cpus_per_task, j.pn_min_memory), (3, 84 | MEM_PER_CPU));
}

#[test]
fn required_nodes_must_exist_and_count_as_nodes() {
    let mut c = cluster();
    let d = JobDescriptor {
        req_nodes: Some("nosuch".into()),
        ..desc()
    };
    assert_eq!(submit(&mut c, d), Err(SlurmRc::ESLURM_INVALID_NODE_NAME.0));
    assert_eq!(c.next_job_id, 100);
    let d = JobDescriptor {
        req_nodes: Some("n[1-2]".into()),
        ..desc()
    };
    let id = submit(&mut c, d).unwrap();
    assert_eq!(c.jobs[&id].desc.min_nodes, 2);
    // A node outside the partition passes the partition checks without
    // EnforcePartLimits, but the selection finds it unusable.
    let d = JobDescriptor {
        req_nodes: Some("n3".into()),
        ..desc()
    };
    assert_eq!(
        submit(&mut c, d.clone()),
        Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE.0)
    );
    c.spec.limits.enforce_part_limits = EnforcePartLimits::All;
    assert_eq!(
        submit(&mut c, d),
        Err(SlurmRc::ESLURM_REQUESTED_NODES_NOT_IN_PARTITION.0)
    );
}

#[test]
fn a_job_the_selection_refuses_stays_failed_for_bad_constraints() {
    let mut c = cluster();
    let d = JobDescriptor {
        pn_min_memory: 5000,
        ..desc()
    };
    assert_eq!(
        submit(&mut c, d),
        Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE.0)
    );
    let j = &c.jobs[&100];
    assert_eq!(j.base_state(), super::job::JobState::Failed);
    assert_eq!(
        (j.reason, j.exit_code),
        (JobReason::FAIL_BAD_CONSTRAINTS, 1)
    );
    assert_eq!((j.start_time, j.end_time), (T0, T0));
    // Refusals before the selection leave nothing behind.
    assert!(submit(&mut c, with_features("nosuch")).is_err());
    assert_eq!(c.jobs.len(), 1);
}

#[test]
fn test_only_uses_up_a_job_id_and_reports_it() {
    let mut c = registered_cluster();
    let who = Caller {
        uid: ALICE,
        gid: ALICE,
        version: ProtocolVersion::V22_05,
        host: Some("login1".into()),
        peer: None,
    };
    let reply = c
        .handle(who, Message::JobWillRun(Box::new(desc())), T0)
        .reply;
    match reply {
        Message::JobWillRunResponse(r) => assert_eq!(r.job_id, 100),
        other => panic!("unexpected reply {other:?}"),
    }
    assert!(c.jobs.is_empty());
    assert_eq!(submit(&mut c, desc()), Ok(101));
}

#[test]
fn held_jobs_in_a_down_partition_are_queued_even_with_enforce_part_limits() {
    let mut c = cluster();
    c.spec.limits.enforce_part_limits = EnforcePartLimits::All;
    c.spec.partitions[0].state_up = 1; // DOWN
    let d = JobDescriptor {
        priority: 0,
        ..desc()
    };
    let id = submit(&mut c, d).unwrap();
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_HELD_USER);
}

#[test]
fn updated_constraints_are_checked_like_submitted_ones() {
    let mut c = cluster();
    let id = submit(
        &mut c,
        JobDescriptor {
            priority: 0,
            ..desc()
        },
    )
    .unwrap();
    let root = Caller {
        uid: ROOT,
        gid: ROOT,
        version: ProtocolVersion::V22_05,
        host: None,
        peer: None,
    };
    let mut update = |features: &str| {
        let u = JobDescriptor {
            job_id_str: Some(id.to_string()),
            features: Some(features.into()),
            ..JobDescriptor::default()
        };
        match c
            .handle(root.clone(), Message::UpdateJob(Box::new(u)), T0)
            .reply
        {
            Message::SlurmRc { rc } | Message::SlurmRcMsg { rc, .. } => rc,
            other => panic!("unexpected reply {other:?}"),
        }
    };
    assert_eq!(update("nosuch"), SlurmRc::ESLURM_INVALID_FEATURE.0);
    assert_eq!(update("fa|fb"), 0);
    assert_eq!(update(""), 0);
    assert_eq!(c.jobs[&id].desc.features, None);
}

#[test]
fn singleton_waits_for_the_users_earlier_job_of_that_name() {
    let mut c = cluster();
    let named = |name: &str| JobDescriptor {
        name: Some(name.into()),
        ..desc()
    };
    let first = submit(&mut c, named("a")).unwrap();
    let d = JobDescriptor {
        dependency: Some("singleton".into()),
        begin_time: T0 + 60,
        ..named("a")
    };
    let second = submit(&mut c, d).unwrap();
    // The dependency is the reason, before the begin time.
    assert_eq!(c.jobs[&second].reason, JobReason::WAIT_DEPENDENCY);
    let d = JobDescriptor {
        dependency: Some("singleton".into()),
        ..named("b")
    };
    let other_name = submit(&mut c, d).unwrap();
    assert_ne!(c.jobs[&other_name].reason, JobReason::WAIT_DEPENDENCY);
    let _ = first;
}

#[test]
fn partition_limits_come_before_the_deadline_in_the_main_pass() {
    let mut c = cluster();
    // 13 CPUs where the partition has 12, and a deadline the time limit
    // cannot meet: upstream leaves the job pending for the partition.
    let d = JobDescriptor {
        min_cpus: 13,
        time_limit: 30,
        deadline: T0 + 600,
        ..desc()
    };
    let id = submit(&mut c, d).unwrap();
    c.main_schedule(T0 + 1);
    assert!(c.jobs[&id].is_pending());
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_PART_CONFIG);
}

#[test]
fn test_only_on_a_busy_partition_answers_where_and_when_it_would_start() {
    let mut c = registered_cluster();
    let whole_n3 = JobDescriptor {
        partition: Some("other".into()),
        min_cpus: 2,
        time_limit: 10,
        ..desc()
    };
    let running = submit(&mut c, whole_n3.clone()).unwrap();
    c.main_schedule(T0 + 1);
    assert!(!c.jobs[&running].is_pending());
    let end = c.jobs[&running].end_time;
    let who = Caller {
        uid: ALICE,
        gid: ALICE,
        version: ProtocolVersion::V22_05,
        host: Some("login1".into()),
        peer: None,
    };
    let reply = c
        .handle(who, Message::JobWillRun(Box::new(whole_n3)), T0 + 2)
        .reply;
    match reply {
        Message::JobWillRunResponse(r) => {
            assert_eq!(r.start_time, end);
            assert_eq!(r.node_list.as_deref(), Some("n3"));
            assert_eq!(r.proc_cnt, 2);
        }
        other => panic!("unexpected reply {other:?}"),
    }
    // The running job still holds its node.
    assert_eq!(c.nodes[2].alloc_cpus, 2);
}

#[test]
fn zero_nodes_is_refused_unless_min_nodes_raises_it() {
    let mut c = cluster();
    let d = JobDescriptor {
        min_nodes: 0,
        min_cpus: 0,
        ..desc()
    };
    assert_eq!(
        submit(&mut c, d.clone()),
        Err(SlurmRc::ESLURM_INVALID_NODE_COUNT.0)
    );
    // Refused by the selection: the record stays, FAILED.
    assert_eq!(c.jobs[&100].reason, JobReason::FAIL_BAD_CONSTRAINTS);
    c.spec.partitions[0].min_nodes = 1;
    let id = submit(&mut c, d).unwrap();
    assert_eq!(c.jobs[&id].desc.min_nodes, 1);
}

#[test]
fn memory_per_cpu_counts_every_cpu_the_selection_would_grant() {
    // CR_Socket_Memory: n3 has one socket of 2 cores x 2 threads (4 CPUs,
    // 2000 MB), so 1 CPU there means all 4, at 600 MB each.
    let mut c = cluster();
    c.spec.limits.select_type_param = 0x0002 | 0x0010;
    let n3 = &mut c.spec.nodes[2];
    n3.cpus = 4;
    n3.cores_per_socket = 2;
    n3.threads_per_core = 2;
    n3.real_memory = 2000;
    let d = JobDescriptor {
        partition: Some("other".into()),
        pn_min_memory: 600 | MEM_PER_CPU,
        ..desc()
    };
    // The node list check passes (600 <= 2000): no message, just refused.
    let who = Caller {
        uid: ALICE,
        gid: ALICE,
        version: ProtocolVersion::V22_05,
        host: Some("login1".into()),
        peer: None,
    };
    let reply = c
        .handle(who, Message::SubmitBatchJob(Box::new(d.clone())), T0)
        .reply;
    assert_eq!(
        reply,
        Message::SlurmRc {
            rc: SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE.0
        }
    );
    // 400 MB per CPU fits (1600 MB).
    let d = JobDescriptor {
        pn_min_memory: 400 | MEM_PER_CPU,
        ..d
    };
    assert!(submit(&mut c, d).is_ok());
}

#[test]
fn max_cpus_per_node_limits_exclusive_jobs_but_not_select_linear() {
    let mut c = cluster();
    c.spec.partitions[0].max_cpus_per_node = Some(2);
    let exclusive = JobDescriptor {
        shared: 0,
        ..desc()
    };
    // cons_tres: an exclusive job would get all 4 or 8 CPUs, over the cap.
    assert_eq!(
        submit(&mut c, exclusive.clone()),
        Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE.0)
    );
    c.spec.limits.select_plugin_id = wire::msg::common::select_plugin::LINEAR;
    assert!(submit(&mut c, exclusive).is_ok());
}

#[test]
fn excluded_nodes_must_exist_and_leave_enough_of_the_partition() {
    let mut c = cluster();
    let excluding = |nodes: &str| JobDescriptor {
        exc_nodes: Some(nodes.into()),
        ..desc()
    };
    assert_eq!(
        submit(&mut c, excluding("nosuch")),
        Err(SlurmRc::ESLURM_INVALID_NODE_NAME.0)
    );
    assert_eq!(c.next_job_id, 100);
    assert!(submit(&mut c, excluding("n1")).is_ok());
    assert_eq!(
        submit(&mut c, excluding("n[1-2]")),
        Err(SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE.0)
    );
    // Required and excluded at once.
    let both = JobDescriptor {
        req_nodes: Some("n1".into()),
        ..excluding("n1")
    };
    assert_eq!(
        submit(&mut c, both),
        Err(SlurmRc::ESLURM_INVALID_NODE_NAME.0)
    );
}
