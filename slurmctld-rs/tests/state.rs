//! The state store: acknowledged jobs survive a crash, a torn journal tail
//! is cut, and a clean start keeps the job id sequence.

use std::io::Write;
use std::sync::mpsc;

use slurmctld::core::spec::{ClusterSpec, Limits, NodeSpec, PartitionSpec};
use slurmctld::core::{Caller, Controller, Durable, StaticUsers};
use slurmctld::state::{self, StateDir};
use wire::msg::{JobDescriptor, Message};
use wire::version::ProtocolVersion;

const T0: i64 = 1_800_000_000;

fn controller() -> Controller {
    let mut part = PartitionSpec::simple("p", vec![0]);
    part.default = true;
    let spec = ClusterSpec {
        nodes: vec![NodeSpec::simple("n1", 4, 1000)],
        partitions: vec![part],
        limits: Limits { first_job_id: 10, ..Limits::default() },
    };
    Controller::new(spec, Box::new(StaticUsers::default()), T0)
}

/// Submits like the server does: handle, then journal what must be durable
/// and wait for the fsync.
fn submit(c: &mut Controller, journal: &state::Journal, name: &str) -> u32 {
    let d = JobDescriptor {
        user_id: 0,
        group_id: 0,
        name: Some(name.into()),
        script: Some("#!/bin/sh\ntrue\n".into()),
        environment: vec!["A=1".into()],
        ..JobDescriptor::default()
    };
    let caller = Caller { uid: 0, gid: 0, version: ProtocolVersion::V22_05, host: None };
    let out = c.handle(caller, Message::SubmitBatchJob(Box::new(d)), T0);
    let records = out
        .durable
        .iter()
        .map(|d| match d {
            Durable::Job(id) => state::job_record(&c.jobs[id]),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let (tx, rx) = mpsc::channel();
    journal.append(records, move |r| tx.send(r).unwrap());
    rx.recv().unwrap().expect("fsynced");
    match out.reply {
        Message::SubmitBatchJobResponse { job_id, .. } => job_id,
        other => panic!("{other:?}"),
    }
}

#[test]
fn acknowledged_jobs_survive_a_crash_and_a_torn_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    store.recover(&mut c).unwrap();
    store.compact(&c).unwrap();
    let journal = store.journal().unwrap();
    let a = submit(&mut c, &journal, "first");
    let b = submit(&mut c, &journal, "second");
    assert_eq!((a, b), (10, 11));
    // A crash in the middle of the next append leaves half a record.
    let mut f = std::fs::OpenOptions::new().append(true).open(dir.path().join("slurm-rs.journal")).unwrap();
    f.write_all(&[0, 0, 1, 0, 9, 9, 9]).unwrap();
    drop(f);

    let mut restored = controller();
    let report = store.recover(&mut restored).unwrap();
    assert_eq!(report.truncated_bytes, 7);
    // A state directory from another format is refused with a clear reason.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("slurm-rs.journal"), b"SLRMRJ01garbage").unwrap();
    let err = StateDir::open(other.path()).unwrap().recover(&mut controller()).unwrap_err().to_string();
    assert!(err.contains("start with -c"), "{err}");
    assert_eq!(restored.jobs.len(), 2);
    assert_eq!(restored.jobs[&a].desc.name.as_deref(), Some("first"));
    assert_eq!(restored.jobs[&b].desc.environment, vec!["A=1".to_string()]);
    assert_eq!(restored.jobs[&b].desc.script.as_deref(), Some("#!/bin/sh\ntrue\n"));
    // Ids continue after the restored ones.
    assert_eq!(restored.next_job_id, 12);
}

#[test]
fn clean_start_forgets_jobs_but_not_the_id_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    store.compact(&c).unwrap();
    let journal = store.journal().unwrap();
    submit(&mut c, &journal, "x");
    submit(&mut c, &journal, "y");
    store.clear(c.next_job_id).unwrap();

    let mut fresh = controller();
    store.recover(&mut fresh).unwrap();
    assert!(fresh.jobs.is_empty());
    assert_eq!(fresh.next_job_id, 12, "ids printed before -c are not handed out again");
}

#[test]
fn node_drains_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    c.nodes[0].state |= slurmctld::core::node::flag::DRAIN;
    c.nodes[0].reason = Some("bad dimm".into());
    store.compact(&c).unwrap();
    let mut restored = controller();
    store.recover(&mut restored).unwrap();
    assert_ne!(restored.nodes[0].state & slurmctld::core::node::flag::DRAIN, 0);
    assert_eq!(restored.nodes[0].reason.as_deref(), Some("bad dimm"));
}

#[test]
fn running_jobs_keep_their_gpus_across_a_restart() {
    let gpu_controller = || {
        let mut part = PartitionSpec::simple("p", vec![0]);
        part.default = true;
        let mut node = NodeSpec::simple("n1", 4, 1000);
        node.gres = Some("gpu:a100:4".into());
        let spec = ClusterSpec {
            nodes: vec![node],
            partitions: vec![part],
            limits: Limits { first_job_id: 10, gres_types: vec!["gpu".into()], ..Limits::default() },
        };
        let mut c = Controller::new(spec, Box::new(StaticUsers::default()), T0);
        let report = slurmctld::core::nodes::NodeReport {
            node_name: "n1".into(),
            cpus: 4,
            sockets: 1,
            cores: 4,
            threads: 1,
            real_memory: 1000,
            ..Default::default()
        };
        c.node_registered(&report, T0).unwrap();
        c
    };
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = gpu_controller();
    store.compact(&c).unwrap();
    let journal = store.journal().unwrap();
    let caller = Caller { uid: 0, gid: 0, version: ProtocolVersion::V22_05, host: None };
    for gres in ["gres:gpu:1", "gres:gpu:a100:2"] {
        let d = JobDescriptor {
            user_id: 0,
            group_id: 0,
            script: Some("#!/bin/sh\nsleep 60\n".into()),
            tres_per_node: Some(gres.into()),
            ..JobDescriptor::default()
        };
        let _ = c.handle(caller.clone(), Message::SubmitBatchJob(Box::new(d)), T0);
    }
    let (started, _) = c.main_schedule(T0 + 1);
    assert_eq!(started, vec![10, 11]);
    let (tx, rx) = mpsc::channel();
    journal.append(started.iter().map(|id| state::job_record(&c.jobs[id])).collect(), move |r| tx.send(r).unwrap());
    rx.recv().unwrap().expect("fsynced");

    let mut restored = gpu_controller();
    store.recover(&mut restored).unwrap();
    assert_eq!(restored.nodes[0].alloc_gres, c.nodes[0].alloc_gres);
    let held: Vec<Option<Vec<u32>>> = restored.nodes[0].alloc_gres.iter().map(|h| h.held.indices.clone()).collect();
    assert_eq!(held, vec![Some(vec![0]), Some(vec![1, 2])]);
}
