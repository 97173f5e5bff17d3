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
        peer: None,
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

fn job_op(c: &mut Controller, uid: u32, msg: Message, now: i64) -> i32 {
    match c.handle(caller(uid), msg, now).reply {
        Message::SlurmRc { rc } => rc,
        other => panic!("expected an rc, got {other:?}"),
    }
}

fn suspend_msg(id: u32, op: u16) -> Message {
    Message::Suspend(wire::msg::JobOp {
        op,
        job_id: NO_VAL,
        job_id_str: Some(id.to_string()),
    })
}

fn top_msg(ids: &str) -> Message {
    Message::TopJob(wire::msg::JobOp {
        op: 0,
        job_id: NO_VAL,
        job_id_str: Some(ids.into()),
    })
}

#[test]
fn only_operators_suspend_and_only_running_jobs_are_suspended() {
    use wire::msg::suspend_op::{RESUME, SUSPEND};
    let mut c = cluster();
    let run = submit(&mut c, ALICE);
    let pend = submit(&mut c, ALICE);
    make_running(&mut c, run);
    let denied = SlurmRc::ESLURM_ACCESS_DENIED.0;
    assert_eq!(job_op(&mut c, ALICE, suspend_msg(run, SUSPEND), T0), denied);
    let not_susp = SlurmRc::ESLURM_JOB_NOT_SUSPENDED.0;
    assert_eq!(job_op(&mut c, ROOT, suspend_msg(run, RESUME), T0), not_susp);
    let pending = SlurmRc::ESLURM_JOB_PENDING.0;
    assert_eq!(
        job_op(&mut c, ROOT, suspend_msg(pend, SUSPEND), T0),
        pending
    );
    // No record: upstream sends no reply, the client says "unexpected".
    let unexpected = SlurmRc::SLURM_UNEXPECTED_MSG_ERROR.0;
    assert_eq!(
        job_op(&mut c, ROOT, suspend_msg(9999, SUSPEND), T0),
        unexpected
    );

    // Suspended 100 s after it started: held, and the time run is kept.
    assert_eq!(job_op(&mut c, ROOT, suspend_msg(run, SUSPEND), T0 + 100), 0);
    let j = &c.jobs[&run];
    assert_eq!(j.base_state(), JobState::Suspended);
    assert_eq!(
        (j.priority, j.suspend_time, j.pre_sus_time),
        (0, T0 + 100, 100)
    );
    // Again: no change, still success.
    assert_eq!(job_op(&mut c, ROOT, suspend_msg(run, SUSPEND), T0 + 150), 0);
    assert_eq!(c.jobs[&run].pre_sus_time, 100);

    // Resumed: running again, priority back, end time = what is left.
    assert_eq!(job_op(&mut c, ROOT, suspend_msg(run, RESUME), T0 + 400), 0);
    let j = &c.jobs[&run];
    assert_eq!(j.base_state(), JobState::Running);
    assert_ne!(j.priority, 0);
    assert_eq!(j.end_time, T0 + 400 + 30 * 60 - 100);
    assert_eq!(j.suspend_time, T0 + 400);
}

#[test]
fn top_moves_listed_jobs_to_the_highest_priorities_of_the_users_queue() {
    let mut c = cluster();
    let a = submit(&mut c, ALICE);
    let b = submit(&mut c, ALICE);
    let d = submit(&mut c, ALICE);
    for (id, p) in [(a, 300), (b, 200), (d, 100)] {
        c.jobs.get_mut(&id).unwrap().priority = p;
    }
    // Users need SchedulerParameters=enable_user_top.
    let denied = SlurmRc::ESLURM_ACCESS_DENIED.0;
    assert_eq!(job_op(&mut c, ALICE, top_msg(&d.to_string()), T0), denied);
    assert_eq!(job_op(&mut c, ROOT, top_msg(&d.to_string()), T0), 0);
    let prio = |c: &Controller, id: u32| c.jobs[&id].priority;
    let nice = |c: &Controller, id: u32| c.jobs[&id].desc.nice.wrapping_sub(NICE_OFFSET) as i32;
    assert_eq!(prio(&c, d), 300);
    assert_eq!(nice(&c, d), -200);
    // The 200 it gained comes off the two others, 100 each.
    assert_eq!((prio(&c, a), nice(&c, a)), (200, 100));
    assert_eq!((prio(&c, b), nice(&c, b)), (100, 100));

    let invalid = SlurmRc::ESLURM_INVALID_JOB_ID.0;
    assert_eq!(job_op(&mut c, ROOT, top_msg("9999"), T0), invalid);
    assert_eq!(job_op(&mut c, ROOT, top_msg("abc"), T0), invalid);
    make_running(&mut c, a);
    let not_pending = SlurmRc::ESLURM_JOB_NOT_PENDING.0;
    assert_eq!(
        job_op(&mut c, ROOT, top_msg(&a.to_string()), T0),
        not_pending
    );
    c.jobs.get_mut(&b).unwrap().priority = 0;
    let held = SlurmRc::ESLURM_JOB_HELD.0;
    assert_eq!(job_op(&mut c, ROOT, top_msg(&b.to_string()), T0), held);
}

#[test]
fn an_empty_mail_user_goes_back_to_the_owner() {
    let mut c = cluster();
    let id = submit(&mut c, ALICE);
    assert_eq!(
        update(&mut c, ALICE, id, |d| d.mail_user = Some("x@y".into())),
        0
    );
    assert_eq!(c.jobs[&id].desc.mail_user.as_deref(), Some("x@y"));
    assert_eq!(
        update(&mut c, ALICE, id, |d| d.mail_user = Some(String::new())),
        0
    );
    assert_eq!(c.jobs[&id].desc.mail_user, None);
}

#[test]
fn a_deadline_must_be_ahead_and_leave_room_for_the_minimum_time() {
    let mut c = cluster();
    let sub = |c: &mut Controller, f: &dyn Fn(&mut JobDescriptor)| {
        let mut d = JobDescriptor {
            user_id: ALICE,
            group_id: ALICE,
            script: Some("#!/bin/sh\ntrue\n".into()),
            ..JobDescriptor::default()
        };
        f(&mut d);
        match c
            .handle(caller(ALICE), Message::SubmitBatchJob(Box::new(d)), T0)
            .reply
        {
            // Accepted (it may still wait for nodes).
            Message::SubmitBatchJobResponse { job_id, .. } => i32::from(job_id == 0),
            Message::SlurmRc { rc } | Message::SlurmRcMsg { rc, .. } => rc,
            other => panic!("unexpected {other:?}"),
        }
    };
    let bad_limit = SlurmRc::ESLURM_INVALID_TIME_LIMIT.0;
    let bad_min = SlurmRc::ESLURM_INVALID_TIME_MIN_LIMIT.0;
    assert_eq!(sub(&mut c, &|d| d.deadline = T0 - 60), bad_limit);
    let min_past = |d: &mut JobDescriptor| {
        d.deadline = T0 + 600;
        d.time_min = 20;
        d.time_limit = 30;
    };
    assert_eq!(sub(&mut c, &min_past), bad_min);
    let ok = |d: &mut JobDescriptor| {
        d.deadline = T0 + 3600;
        d.time_min = 20;
        d.time_limit = 30;
    };
    assert_eq!(sub(&mut c, &ok), 0);
}

#[test]
fn holding_one_pending_array_task_splits_it_off() {
    let mut c = cluster();
    let d = JobDescriptor {
        user_id: ALICE,
        group_id: ALICE,
        script: Some("#!/bin/sh\ntrue\n".into()),
        array_inx: Some("1-4".into()),
        ..JobDescriptor::default()
    };
    let id = match c
        .handle(caller(ALICE), Message::SubmitBatchJob(Box::new(d)), T0)
        .reply
    {
        Message::SubmitBatchJobResponse { job_id, .. } => job_id,
        other => panic!("{other:?}"),
    };
    let hold = JobDescriptor {
        job_id_str: Some(format!("{id}_2")),
        priority: 0,
        ..JobDescriptor::default()
    };
    let out = c.handle(caller(ALICE), Message::UpdateJob(Box::new(hold)), T0 + 5);
    assert_eq!(
        out.reply,
        Message::JobArrayErrors(vec![(0, Some(format!("{id}_2")))])
    );
    let task = c
        .jobs
        .values()
        .find(|j| j.array_task_id == Some(2))
        .unwrap();
    assert_ne!(task.job_id, id);
    assert_eq!((task.priority, task.array_job_id), (0, id));
    let meta = &c.jobs[&id];
    assert_ne!(meta.priority, 0);
    assert_eq!(meta.array.as_ref().unwrap().count(), 3);
}

#[test]
fn requeue_incomplete_of_an_array_answers_per_task_range() {
    let mut c = cluster();
    let d = JobDescriptor {
        user_id: ALICE,
        group_id: ALICE,
        script: Some("#!/bin/sh\ntrue\n".into()),
        array_inx: Some("1-3".into()),
        ..JobDescriptor::default()
    };
    let id = match c
        .handle(caller(ALICE), Message::SubmitBatchJob(Box::new(d)), T0)
        .reply
    {
        Message::SubmitBatchJobResponse { job_id, .. } => job_id,
        other => panic!("{other:?}"),
    };
    // JOB_RUNNING in the flags: pending tasks are left alone, a success.
    let msg = Message::JobRequeue {
        job_id: NO_VAL,
        job_id_str: Some(id.to_string()),
        flags: JobState::Running as u32,
    };
    let out = c.handle(caller(ALICE), msg, T0 + 5);
    assert_eq!(
        out.reply,
        Message::JobArrayErrors(vec![(0, Some(format!("{id}_1-3")))])
    );
    // Without it, pending tasks refuse.
    let msg = Message::JobRequeue {
        job_id: NO_VAL,
        job_id_str: Some(id.to_string()),
        flags: 0,
    };
    let pending = SlurmRc::ESLURM_JOB_PENDING.0 as u32;
    assert_eq!(
        c.handle(caller(ALICE), msg, T0 + 5).reply,
        Message::JobArrayErrors(vec![(pending, Some(format!("{id}_1-3")))])
    );
}
