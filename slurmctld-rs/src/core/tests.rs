//! Tests of the state machine alone: no sockets, no clock, no munged.

use wire::errno::SlurmRc;
use wire::job_reason::JobReason;
use wire::msg::{JobDescriptor, JobStepKill, Message, StepId};
use wire::pack::NO_VAL;
use wire::version::ProtocolVersion;

use super::spec::{ClusterSpec, EnforcePartLimits, Limits, NodeSpec, PartitionSpec};
use super::{Caller, Controller, StaticUsers};

const ROOT: u32 = 0;
const ALICE: u32 = 1000;
const BOB: u32 = 1001;
const T0: i64 = 1_800_000_000;

fn cluster() -> Controller {
    let mut gpu = NodeSpec::simple("gpu01", 32, 256_000);
    gpu.gres = Some("gpu:a100:4".into());
    let mut gpu2 = gpu.clone();
    gpu2.name = "gpu02".into();
    let mut part = PartitionSpec::simple("gpu", vec![0, 1]);
    part.default = true;
    part.max_time = Some(120);
    let spec = ClusterSpec {
        nodes: vec![gpu, gpu2],
        partitions: vec![part],
        limits: Limits {
            cluster_name: "test".into(),
            first_job_id: 100,
            max_job_count: 50,
            max_array_size: 101,
            enforce_part_limits: EnforcePartLimits::All,
            gres_types: vec!["gpu".into()],
            ..Limits::default()
        },
    };
    let users = StaticUsers(vec![
        (ROOT, "root".into(), vec![]),
        (ALICE, "alice".into(), vec![]),
        (BOB, "bob".into(), vec![]),
    ]);
    Controller::new(spec, Box::new(users), T0)
}

fn caller(uid: u32) -> Caller {
    Caller {
        uid,
        gid: uid,
        version: ProtocolVersion::V22_05,
        host: Some("login1".into()),
        peer: None,
    }
}

fn desc(uid: u32) -> JobDescriptor {
    JobDescriptor {
        user_id: uid,
        group_id: uid,
        script: Some("#!/bin/sh\ntrue\n".into()),
        name: Some("j".into()),
        ..JobDescriptor::default()
    }
}

fn submit(c: &mut Controller, uid: u32, d: JobDescriptor) -> Message {
    c.handle(caller(uid), Message::SubmitBatchJob(Box::new(d)), T0)
        .reply
}

fn rc_of(m: &Message) -> i32 {
    match m {
        Message::SlurmRc { rc } | Message::SlurmRcMsg { rc, .. } => *rc,
        other => panic!("expected an RC reply, got {other:?}"),
    }
}

fn submitted_id(m: &Message) -> u32 {
    match m {
        Message::SubmitBatchJobResponse { job_id, .. } => *job_id,
        other => panic!("expected a submit response, got {other:?}"),
    }
}

#[test]
fn job_ids_start_at_first_job_id_and_priorities_count_down() {
    let mut c = cluster();
    let a = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let b = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    assert_eq!((a, b), (100, 101));
    assert_eq!(c.jobs[&100].priority, super::TOP_PRIORITY - 1);
    assert_eq!(c.jobs[&101].priority, super::TOP_PRIORITY - 2);
    // The submit host comes from the credential, not the descriptor.
    assert_eq!(c.jobs[&100].desc.alloc_node.as_deref(), Some("login1"));
}

#[test]
fn a_nice_job_does_not_lower_the_next_jobs_basic_priority() {
    let mut c = cluster();
    let a = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let mut d = desc(ALICE);
    d.nice = 0x8000_0000 + 100;
    let b = submitted_id(&submit(&mut c, ALICE, d));
    let n = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let top = super::TOP_PRIORITY;
    assert_eq!(c.jobs[&a].priority, top - 1);
    assert_eq!(c.jobs[&b].priority, top - 2 - 100);
    // Counted down from b's priority before its nice, as upstream.
    assert_eq!(c.jobs[&n].priority, top - 3);
}

#[test]
fn multifactor_priority_is_the_weighted_factors_less_nice_at_least_one() {
    let mut c = cluster();
    c.spec.limits.priority = super::spec::PriorityPolicy::Multifactor {
        weight_partition: 0,
    };
    // Every weight 0 (upstream's defaults): 1 for every job, as upstream.
    let a = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let b = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    assert_eq!((c.jobs[&a].priority, c.jobs[&b].priority), (1, 1));
    // A negative nice raises it (root only), a positive one cannot go below 1.
    let mut d = desc(ROOT);
    d.nice = 0x8000_0000 - 10;
    let n = submitted_id(&submit(&mut c, ROOT, d));
    assert_eq!(c.jobs[&n].priority, 10);
    // PriorityWeightPartition times the partition factor (1 of 1 here).
    c.spec.limits.priority = super::spec::PriorityPolicy::Multifactor {
        weight_partition: 1000,
    };
    let mut d = desc(ALICE);
    d.nice = 0x8000_0000 + 5;
    let p = submitted_id(&submit(&mut c, ALICE, d));
    assert_eq!(c.jobs[&p].priority, 995);
}

#[test]
fn submission_checks_answer_with_upstreams_codes() {
    let mut c = cluster();
    let cases: Vec<(&str, JobDescriptor, SlurmRc)> = vec![
        (
            "unknown partition",
            JobDescriptor {
                partition: Some("nosuch".into()),
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_INVALID_PARTITION_NAME,
        ),
        (
            "too many nodes",
            JobDescriptor {
                min_nodes: 3,
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_INVALID_NODE_COUNT,
        ),
        (
            "time above MaxTime",
            JobDescriptor {
                time_limit: 121,
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_INVALID_TIME_LIMIT,
        ),
        (
            "cpus per task",
            JobDescriptor {
                cpus_per_task: 64,
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
        ),
        (
            "memory",
            JobDescriptor {
                pn_min_memory: 300_000,
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
        ),
        (
            "gpus",
            JobDescriptor {
                tres_per_node: Some("gres:gpu:8".into()),
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
        ),
        (
            "unknown gres",
            JobDescriptor {
                tres_per_node: Some("gres:fpga:1".into()),
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_INVALID_GRES,
        ),
        (
            // upstream's test1.72: memory sampled less often than
            // JobAcctGatherFrequency (30 s)
            "acctg freq",
            JobDescriptor {
                pn_min_memory: 200,
                acctg_freq: Some("40".into()),
                ..desc(ALICE)
            },
            SlurmRc::ESLURMD_INVALID_ACCT_FREQ,
        ),
        (
            // upstream's test1.23: more TmpDisk than any node has
            "tmp disk",
            JobDescriptor {
                pn_min_tmp_disk: 999_999_999,
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_REQUESTED_NODE_CONFIG_UNAVAILABLE,
        ),
        (
            // upstream's test1.18: a license nobody configured
            "unknown license",
            JobDescriptor {
                licenses: Some("foo".into()),
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_INVALID_LICENSES,
        ),
        (
            "bad dependency",
            JobDescriptor {
                dependency: Some("afterok:abc".into()),
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_DEPENDENCY,
        ),
        (
            "array too big",
            JobDescriptor {
                array_inx: Some("0-101".into()),
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_INVALID_ARRAY,
        ),
        (
            "no script",
            JobDescriptor {
                script: None,
                ..desc(ALICE)
            },
            SlurmRc::ESLURM_JOB_SCRIPT_MISSING,
        ),
        (
            "someone else's uid",
            desc(BOB),
            SlurmRc::ESLURM_USER_ID_MISSING,
        ),
    ];
    for (what, d, want) in cases {
        assert_eq!(rc_of(&submit(&mut c, ALICE, d)), want.0, "{what}");
    }
    // Refusals by the submit-time selection keep a FAILED record, as
    // upstream's job_allocate does; nothing is left to run.
    assert!(
        c.jobs
            .values()
            .all(|j| j.base_state() == super::job::JobState::Failed),
        "no refused submission may leave a job to run"
    );
}

#[test]
fn max_job_count_counts_array_tasks_and_answers_eagain() {
    let mut c = cluster();
    submitted_id(&submit(
        &mut c,
        ALICE,
        JobDescriptor {
            array_inx: Some("0-48".into()),
            ..desc(ALICE)
        },
    ));
    assert_eq!(
        rc_of(&submit(&mut c, ALICE, desc(ALICE))),
        11,
        "EAGAIN, so sbatch retries"
    );
}

#[test]
fn users_touch_only_their_own_jobs() {
    let mut c = cluster();
    let id = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let kill = |uid| {
        let k = JobStepKill {
            step_id: StepId {
                job_id: id,
                step_id: NO_VAL,
                step_het_comp: NO_VAL,
            },
            sjob_id: Some(id.to_string()),
            sibling: None,
            signal: 9,
            flags: 0,
        };
        (caller(uid), Message::KillJob(k))
    };
    let (who, m) = kill(BOB);
    assert_eq!(
        rc_of(&c.handle(who, m, T0).reply),
        SlurmRc::ESLURM_ACCESS_DENIED.0
    );
    let update = JobDescriptor {
        job_id: id,
        job_id_str: Some(id.to_string()),
        time_limit: 5,
        ..JobDescriptor::default()
    };
    let r = c
        .handle(
            caller(BOB),
            Message::UpdateJob(Box::new(update.clone())),
            T0,
        )
        .reply;
    assert_eq!(rc_of(&r), SlurmRc::ESLURM_USER_ID_MISSING.0);
    assert_eq!(
        c.jobs[&id].time_limit, None,
        "the refused update changed nothing"
    );
    // The owner may lower the limit; root may do anything.
    assert_eq!(
        rc_of(
            &c.handle(caller(ALICE), Message::UpdateJob(Box::new(update)), T0)
                .reply
        ),
        0
    );
    assert_eq!(c.jobs[&id].time_limit, Some(5));
    let (who, m) = kill(ROOT);
    assert_eq!(rc_of(&c.handle(who, m, T0).reply), 0);
    assert!(c.jobs[&id].base_state().is_finished());
    // Admin-only RPCs.
    assert_eq!(
        rc_of(
            &c.handle(caller(ALICE), Message::Shutdown { options: 0 }, T0)
                .reply
        ),
        SlurmRc::ESLURM_USER_ID_MISSING.0
    );
}

#[test]
fn hold_by_root_is_an_admin_hold_the_owner_cannot_release() {
    let mut c = cluster();
    let id = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let hold = JobDescriptor {
        job_id_str: Some(id.to_string()),
        priority: 0,
        ..JobDescriptor::default()
    };
    assert_eq!(
        rc_of(
            &c.handle(caller(ROOT), Message::UpdateJob(Box::new(hold)), T0)
                .reply
        ),
        0
    );
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_HELD);
    let release = JobDescriptor {
        job_id_str: Some(id.to_string()),
        priority: wire::pack::INFINITE,
        ..JobDescriptor::default()
    };
    let r = c
        .handle(
            caller(ALICE),
            Message::UpdateJob(Box::new(release.clone())),
            T0,
        )
        .reply;
    assert_eq!(rc_of(&r), SlurmRc::ESLURM_ACCESS_DENIED.0);
    assert_eq!(
        rc_of(
            &c.handle(caller(ROOT), Message::UpdateJob(Box::new(release)), T0)
                .reply
        ),
        0
    );
    assert!(c.jobs[&id].priority > 0);
}

#[test]
fn private_data_hides_other_users_jobs() {
    let mut c = cluster();
    c.spec.limits.private_data = 1;
    submit(&mut c, ALICE, desc(ALICE));
    submit(&mut c, BOB, desc(BOB));
    let list = |c: &mut Controller, uid| {
        let reply = c
            .handle(
                caller(uid),
                Message::JobInfoRequest {
                    last_update: 0,
                    show_flags: 0,
                    job_ids: None,
                },
                T0,
            )
            .reply;
        job_list(reply)
            .iter()
            .map(|j| j.user_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(list(&mut c, ALICE), vec![ALICE]);
    assert_eq!(list(&mut c, ROOT), vec![ALICE, BOB]);
}

#[test]
fn unchanged_tables_answer_no_change_in_data() {
    let mut c = cluster();
    let req = |t| Message::NodeInfoRequest {
        last_update: t,
        show_flags: 0,
    };
    assert!(matches!(
        c.handle(caller(ALICE), req(0), T0).reply,
        Message::NodeInfo(_)
    ));
    assert_eq!(
        rc_of(&c.handle(caller(ALICE), req(T0 + 1), T0).reply),
        SlurmRc::SLURM_NO_CHANGE_IN_DATA.0
    );
    assert!(matches!(
        c.handle(caller(ALICE), req(T0), T0).reply,
        Message::NodeInfo(_)
    ));
}

#[test]
fn pending_reasons_follow_upstreams_scheduler_passes() {
    let mut c = cluster();
    let first = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let second = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    // At submit: the selection test finds no usable node.
    assert_eq!(
        c.jobs[&second].state_desc.as_deref(),
        Some("ReqNodeNotAvail, UnavailableNodes:gpu[01-02]")
    );
    let _ = c.main_schedule(T0 + 1);
    // The top job of the partition gets the main scheduler's text; the
    // others keep theirs.
    assert_eq!(c.jobs[&first].reason, JobReason::WAIT_RESOURCES);
    assert_eq!(
        c.jobs[&first].state_desc.as_deref(),
        Some(super::sched::NODES_REQUIRED_DESC)
    );
    assert_eq!(c.jobs[&second].reason, JobReason::WAIT_NODE_NOT_AVAIL);
}

#[test]
fn dependency_on_a_pending_job_waits() {
    let mut c = cluster();
    let a = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let b = submitted_id(&submit(
        &mut c,
        ALICE,
        JobDescriptor {
            dependency: Some(format!("afterok:{a}")),
            ..desc(ALICE)
        },
    ));
    assert_eq!(c.jobs[&b].reason, JobReason::WAIT_DEPENDENCY);
    assert_eq!(c.jobs[&b].eligible_time, 0);
    // A dependency on a job that no longer exists is dropped, as upstream does.
    let d = submitted_id(&submit(
        &mut c,
        ALICE,
        JobDescriptor {
            dependency: Some("afterok:99999".into()),
            ..desc(ALICE)
        },
    ));
    assert!(c.jobs[&d].dependencies.is_none());
}

#[test]
fn dependency_clauses_keep_their_state_and_combine_as_upstream() {
    let mut c = cluster();
    let a = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let dep = |spec: String| JobDescriptor {
        dependency: Some(spec),
        ..desc(ALICE)
    };
    let ok = submitted_id(&submit(&mut c, ALICE, dep(format!("afterok:{a}"))));
    let either = submitted_id(&submit(
        &mut c,
        ALICE,
        dep(format!("afterok:{a}?afternotok:{a}")),
    ));
    // `a` fails: afterok can never be met, the OR is met by afternotok.
    let mut job = c.jobs.remove(&a).unwrap();
    job.state = super::job::JobState::Failed as u32;
    c.jobs.insert(a, job);
    let mut j = c.jobs.remove(&ok).unwrap();
    assert_eq!(
        c.test_dependencies(&mut j),
        Some(JobReason::WAIT_DEP_INVALID)
    );
    assert_eq!(
        super::job::format_dependencies(j.dependencies.as_ref().unwrap()),
        format!("afterok:{a}(failed)")
    );
    c.jobs.insert(ok, j);
    let mut j = c.jobs.remove(&either).unwrap();
    assert_eq!(c.test_dependencies(&mut j), None);
    assert!(j.dependencies.is_none(), "a satisfied list is dropped");
    c.jobs.insert(either, j);
    // Once failed, a clause stays failed even if its job later completes.
    let mut job = c.jobs.remove(&a).unwrap();
    job.state = super::job::JobState::Complete as u32;
    c.jobs.insert(a, job);
    let mut j = c.jobs.remove(&ok).unwrap();
    assert_eq!(
        c.test_dependencies(&mut j),
        Some(JobReason::WAIT_DEP_INVALID)
    );
}

#[test]
fn a_job_over_its_partitions_max_time_still_gets_the_node_reason() {
    let mut c = cluster();
    let id = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let _ = c.main_schedule(T0 + 1);
    let update = JobDescriptor {
        job_id_str: Some(id.to_string()),
        time_limit: 24 * 60,
        ..JobDescriptor::default()
    };
    assert_eq!(
        rc_of(
            &c.handle(caller(ROOT), Message::UpdateJob(Box::new(update)), T0 + 2)
                .reply
        ),
        0
    );
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_NO_REASON);
    let _ = c.main_schedule(T0 + 3);
    assert_eq!(
        c.jobs[&id].state_desc.as_deref(),
        Some(super::sched::NODES_REQUIRED_DESC)
    );
}

/// Decodes a job list reply as a client would.
fn job_list(reply: Message) -> Vec<wire::msg::JobInfo> {
    let body = reply.into_body(ProtocolVersion::V22_05);
    match Message::unpack(
        wire::msg::msg_type::RESPONSE_JOB_INFO,
        ProtocolVersion::V22_05,
        &body,
    ) {
        Ok(Message::JobInfo(r)) => r.jobs,
        other => panic!("{other:?}"),
    }
}

#[test]
fn job_list_reply_carries_the_job_fields() {
    let mut c = cluster();
    let d = JobDescriptor {
        name: Some("named".into()),
        work_dir: Some("/home/alice".into()),
        std_out: Some("/home/alice/out".into()),
        ..desc(ALICE)
    };
    let id = submitted_id(&submit(&mut c, ALICE, d));
    let jobs = job_list(
        c.handle(
            caller(ALICE),
            Message::JobInfoSingleRequest {
                job_id: id,
                show_flags: 0,
            },
            T0,
        )
        .reply,
    );
    assert_eq!(jobs.len(), 1);
    let j = &jobs[0];
    assert_eq!(
        (j.job_id, j.name.as_deref(), j.work_dir.as_deref()),
        (id, Some("named"), Some("/home/alice"))
    );
    assert_eq!(j.std_out.as_deref(), Some("/home/alice/out"));
    assert_eq!(
        j.partition.as_deref(),
        Some(c.spec.partitions[0].name.as_str())
    );
    assert_eq!(
        j.mail_user.as_deref(),
        Some("alice"),
        "mail_user defaults to the owner's name"
    );
    assert_eq!(
        j.tres_req_str.as_deref(),
        Some(c.jobs[&id].tres_req.as_str())
    );
    // An unknown id is refused, as upstream does.
    let none = c
        .handle(
            caller(ALICE),
            Message::JobInfoSingleRequest {
                job_id: 99_999,
                show_flags: 0,
            },
            T0,
        )
        .reply;
    assert_eq!(
        none,
        Message::SlurmRc {
            rc: SlurmRc::ESLURM_INVALID_JOB_ID.0
        }
    );
}

#[test]
fn restart_rederives_pending_reasons_once_per_partition_and_size() {
    let mut c = cluster();
    let a = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let b = submitted_id(&submit(&mut c, ALICE, desc(ALICE)));
    let wide = submitted_id(&submit(
        &mut c,
        ALICE,
        JobDescriptor {
            min_nodes: 2,
            ..desc(ALICE)
        },
    ));
    let held = submitted_id(&submit(
        &mut c,
        ALICE,
        JobDescriptor {
            priority: 0,
            ..desc(ALICE)
        },
    ));
    let expected: Vec<_> = [a, wide]
        .iter()
        .map(|id| (c.jobs[id].reason, c.jobs[id].state_desc.clone()))
        .collect();
    for j in c.jobs.values_mut() {
        j.reason = JobReason::WAIT_NO_REASON;
        j.state_desc = None;
        j.accrue_time = T0;
    }
    assert_eq!(c.restore_pending_reasons(T0 + 5), 3);
    assert_eq!(
        (c.jobs[&a].reason, c.jobs[&a].state_desc.clone()),
        expected[0]
    );
    assert_eq!(
        (c.jobs[&b].reason, c.jobs[&b].state_desc.clone()),
        expected[0]
    );
    assert_eq!(
        (c.jobs[&wide].reason, c.jobs[&wide].state_desc.clone()),
        expected[1]
    );
    assert_eq!(c.jobs[&b].last_sched_eval, T0 + 5);
    assert_eq!(
        c.jobs[&held].reason,
        JobReason::WAIT_NO_REASON,
        "held jobs keep theirs"
    );
    assert!(c.jobs.values().all(|j| j.accrue_time == 0));
}
