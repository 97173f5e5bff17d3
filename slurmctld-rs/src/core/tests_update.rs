//! Job control and updates (`scontrol update/hold/release/requeue`): which
//! change is allowed in which state and for whom, as upstream 22.05 rules.

use wire::errno::SlurmRc;
use wire::job_reason::JobReason;
use wire::msg::{JobDescriptor, Message};
use wire::pack::{INFINITE, NO_VAL};
use wire::version::ProtocolVersion;

use super::job::JobState;
use super::spec::{ClusterSpec, Limits, NodeSpec, PartitionSpec};
use super::{Caller, Controller, StaticUsers};

const ROOT: u32 = 0;
const ALICE: u32 = 1000;
const BOB: u32 = 1001;
const T0: i64 = 1_800_000_000;
const NICE_OFFSET: u32 = 0x8000_0000;

fn cluster() -> Controller {
    let mut part = PartitionSpec::simple("batch", vec![0, 1]);
    part.default = true;
    let spec = ClusterSpec {
        nodes: vec![
            NodeSpec::simple("n1", 4, 4000),
            NodeSpec::simple("n2", 4, 4000),
        ],
        partitions: vec![part],
        limits: Limits {
            cluster_name: "test".into(),
            first_job_id: 1000,
            max_job_count: 50,
            max_array_size: 101,
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
    }
}

fn submit(c: &mut Controller, uid: u32) -> u32 {
    let d = JobDescriptor {
        user_id: uid,
        group_id: uid,
        script: Some("#!/bin/sh\ntrue\n".into()),
        name: Some("j".into()),
        ..JobDescriptor::default()
    };
    match c
        .handle(caller(uid), Message::SubmitBatchJob(Box::new(d)), T0)
        .reply
    {
        Message::SubmitBatchJobResponse { job_id, .. } => job_id,
        other => panic!("expected a submit response, got {other:?}"),
    }
}

/// Marks a job as running since T0 (the update rules do not need nodes).
fn make_running(c: &mut Controller, id: u32) {
    let j = c.jobs.get_mut(&id).unwrap();
    j.state = JobState::Running as u32;
    j.start_time = T0;
    j.end_time = T0 + 1800;
    j.time_limit = Some(30);
    j.eligible_time = T0;
}

fn update(c: &mut Controller, uid: u32, id: u32, f: impl FnOnce(&mut JobDescriptor)) -> i32 {
    let mut d = JobDescriptor {
        job_id_str: Some(id.to_string()),
        ..JobDescriptor::default()
    };
    f(&mut d);
    match c
        .handle(caller(uid), Message::UpdateJob(Box::new(d)), T0 + 10)
        .reply
    {
        Message::SlurmRc { rc } => rc,
        other => panic!("expected an RC reply, got {other:?}"),
    }
}

#[test]
fn an_operator_sets_a_running_jobs_priority_the_owner_may_not_raise_it() {
    let mut c = cluster();
    let id = submit(&mut c, ALICE);
    make_running(&mut c, id);
    let before = c.jobs[&id].priority;
    assert_eq!(
        update(&mut c, ALICE, id, |d| d.priority = before + 10),
        SlurmRc::ESLURM_ACCESS_DENIED.0
    );
    assert_eq!(update(&mut c, ROOT, id, |d| d.priority = 100), 0);
    assert_eq!(c.jobs[&id].priority, 100);
    assert!(c.jobs[&id].direct_prio);
    // Lowering is the owner's too, but only for now: the reply says so.
    assert_eq!(
        update(&mut c, ALICE, id, |d| d.priority = 50),
        SlurmRc::ESLURM_PRIO_RESET_FAIL.0
    );
    assert_eq!(c.jobs[&id].priority, 50);
    // The same value again is no change at all.
    assert_eq!(update(&mut c, ALICE, id, |d| d.priority = 50), 0);
}

#[test]
fn a_finished_job_answers_job_finished_to_anyone() {
    let mut c = cluster();
    let id = submit(&mut c, ALICE);
    c.jobs.get_mut(&id).unwrap().state = JobState::Complete as u32;
    for uid in [ROOT, ALICE, BOB] {
        assert_eq!(
            update(&mut c, uid, id, |d| d.priority = 100),
            SlurmRc::ESLURM_JOB_FINISHED.0
        );
    }
}

#[test]
fn a_held_running_job_keeps_its_nice_and_loses_its_past_begin_time() {
    let mut c = cluster();
    let id = submit(&mut c, ALICE);
    make_running(&mut c, id);
    assert_eq!(update(&mut c, ALICE, id, |d| d.nice = NICE_OFFSET + 10), 0);
    // Lowering nice is the operator's.
    assert_eq!(
        update(&mut c, ALICE, id, |d| d.nice = NICE_OFFSET - 5),
        SlurmRc::ESLURM_ACCESS_DENIED.0
    );
    assert_eq!(update(&mut c, ALICE, id, |d| d.priority = 0), 0);
    let j = &c.jobs[&id];
    assert_eq!(j.priority, 0);
    assert_eq!(j.desc.nice, NICE_OFFSET + 10);
    assert_eq!(j.reason, JobReason::WAIT_HELD_USER);
    assert_eq!(j.eligible_time, 0);
    assert_eq!(j.base_state(), JobState::Running);
    // The owner's own hold is the owner's to release.
    assert_eq!(update(&mut c, ALICE, id, |d| d.priority = INFINITE), 0);
    assert_ne!(c.jobs[&id].priority, 0);
    assert_eq!(c.jobs[&id].reason, JobReason::WAIT_NO_REASON);
}

#[test]
fn a_running_job_refuses_growth_and_pending_only_fields_but_takes_a_new_name() {
    let mut c = cluster();
    let id = submit(&mut c, ALICE);
    make_running(&mut c, id);
    assert_eq!(
        update(&mut c, ROOT, id, |d| {
            d.min_nodes = 2;
            d.max_nodes = 2;
        }),
        SlurmRc::ESLURM_NOT_SUPPORTED.0
    );
    assert_eq!(
        update(&mut c, ROOT, id, |d| d.features = Some("fa".into())),
        SlurmRc::ESLURM_JOB_NOT_PENDING.0
    );
    assert_eq!(
        update(&mut c, ROOT, id, |d| d.begin_time = T0 + 3600),
        SlurmRc::ESLURM_JOB_NOT_PENDING.0
    );
    assert_eq!(
        update(&mut c, ALICE, id, |d| d.name = Some("renamed".into())),
        0
    );
    assert_eq!(c.jobs[&id].desc.name.as_deref(), Some("renamed"));
}

#[test]
fn a_running_jobs_end_time_moves_with_its_time_limit() {
    let mut c = cluster();
    let id = submit(&mut c, ALICE);
    make_running(&mut c, id);
    // The owner may only lower it.
    assert_eq!(
        update(&mut c, ALICE, id, |d| d.time_limit = 60),
        SlurmRc::ESLURM_ACCESS_DENIED.0
    );
    assert_eq!(update(&mut c, ALICE, id, |d| d.time_limit = 20), 0);
    assert_eq!(c.jobs[&id].end_time, T0 + 1200);
    assert_eq!(update(&mut c, ROOT, id, |d| d.time_limit = 60), 0);
    assert_eq!(c.jobs[&id].end_time, T0 + 3600);
    assert_eq!(c.jobs[&id].time_limit, Some(60));
    assert_ne!(c.jobs[&id].desc.time_limit, NO_VAL);
}

#[test]
fn a_finished_batch_job_can_be_requeued() {
    let mut c = cluster();
    let id = submit(&mut c, ALICE);
    let j = c.jobs.get_mut(&id).unwrap();
    j.state = JobState::Complete as u32;
    j.start_time = T0;
    j.end_time = T0 + 5;
    let r = c
        .handle(
            caller(ALICE),
            Message::JobRequeue {
                job_id: id,
                job_id_str: Some(id.to_string()),
                flags: 0,
            },
            T0 + 10,
        )
        .reply;
    assert!(matches!(r, Message::SlurmRc { rc: 0 }), "{r:?}");
    let j = &c.jobs[&id];
    assert!(j.is_pending());
    assert_eq!(j.restart_cnt, 1);
    assert_eq!(j.start_time, 0);
}
