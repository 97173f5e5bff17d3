//! The state store: acknowledged jobs survive a crash, a torn journal tail
//! is cut, a clean start keeps the job id sequence, batch scripts live on
//! disk only, and compaction runs while new records keep arriving.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use slurmctld::core::spec::{ClusterSpec, Limits, NodeSpec, PartitionSpec};
use slurmctld::core::{Caller, Controller, StaticUsers};
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
        limits: Limits {
            first_job_id: 10,
            min_job_age: 0,
            ..Limits::default()
        },
    };
    Controller::new(spec, Box::new(StaticUsers::default()), T0)
}

fn script(name: &str) -> String {
    format!("#!/bin/sh\necho {name}\n")
}

/// Submits like the server does: handle, then journal what must be durable
/// and wait for the fsync.
fn submit_with(
    c: &mut Controller,
    journal: &state::Journal,
    name: &str,
    array: Option<&str>,
) -> u32 {
    let d = JobDescriptor {
        user_id: 0,
        group_id: 0,
        name: Some(name.into()),
        script: Some(script(name)),
        environment: vec![format!("NAME={name}")],
        array_inx: array.map(str::to_string),
        ..JobDescriptor::default()
    };
    let caller = Caller {
        uid: 0,
        gid: 0,
        version: ProtocolVersion::V22_05,
        host: None,
        peer: None,
    };
    let out = c.handle(caller, Message::SubmitBatchJob(Box::new(d)), T0);
    let records = out
        .durable
        .iter()
        .filter_map(|d| state::durable_record(c, d))
        .collect();
    let (tx, rx) = mpsc::channel();
    journal.append(records, move |r| tx.send(r).unwrap());
    rx.recv().unwrap().expect("fsynced");
    match out.reply {
        Message::SubmitBatchJobResponse { job_id, .. } => job_id,
        other => panic!("{other:?}"),
    }
}

fn submit(c: &mut Controller, journal: &state::Journal, name: &str) -> u32 {
    submit_with(c, journal, name, None)
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("slurm-rs.journal.")
        })
        .collect();
    v.sort_by_key(|p| {
        p.extension()
            .unwrap()
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
    });
    v
}

fn script_of(journal: &state::Journal, key: u32) -> Option<(String, Vec<String>)> {
    journal
        .load_batch(key)
        .unwrap()
        .map(|f| (f.script.unwrap(), f.environment))
}

#[test]
fn acknowledged_jobs_survive_a_crash_and_a_torn_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    let rec = store.recover(&mut c).unwrap();
    let journal = store.journal(rec).unwrap();
    let a = submit(&mut c, &journal, "first");
    let b = submit(&mut c, &journal, "second");
    assert_eq!((a, b), (10, 11));
    // A crash in the middle of the next append leaves half a record.
    let last = segments(dir.path()).pop().unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(last).unwrap();
    f.write_all(&[0, 0, 1, 0, 9, 9, 9]).unwrap();
    drop(f);
    drop(journal);

    let mut restored = controller();
    let rec = store.recover(&mut restored).unwrap();
    assert_eq!(rec.report.truncated_bytes, 7);
    assert_eq!(restored.jobs.len(), 2);
    assert_eq!(restored.jobs[&a].desc.name.as_deref(), Some("first"));
    // Ids continue after the restored ones.
    assert_eq!(restored.next_job_id, 12);
    // Scripts are read back from disk, and new appends do not land behind
    // the torn tail (they go to a new segment).
    let journal = store.journal(rec).unwrap();
    assert_eq!(
        script_of(&journal, b),
        Some((script("second"), vec!["NAME=second".to_string()]))
    );
    let c3 = submit(&mut restored, &journal, "third");
    drop(journal);
    let mut again = controller();
    let rec = store.recover(&mut again).unwrap();
    assert_eq!(again.jobs.len(), 3);
    assert!(again.jobs.contains_key(&c3));
    let journal = store.journal(rec).unwrap();
    assert_eq!(script_of(&journal, a).unwrap().0, script("first"));
}

#[test]
fn state_of_an_older_format_is_refused_with_a_clear_reason() {
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("slurm-rs.journal"), b"SLRMRJ02garbage").unwrap();
    let err = StateDir::open(other.path())
        .unwrap()
        .recover(&mut controller())
        .unwrap_err()
        .to_string();
    assert!(err.contains("start with -c"), "{err}");
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("slurm-rs.snapshot"), b"SLRMRS02garbage").unwrap();
    let err = StateDir::open(other.path())
        .unwrap()
        .recover(&mut controller())
        .unwrap_err()
        .to_string();
    assert!(err.contains("start with -c"), "{err}");
    // -c clears it.
    let store = StateDir::open(other.path()).unwrap();
    store.clear(1).unwrap();
    store.recover(&mut controller()).unwrap();
}

#[test]
fn scripts_are_not_kept_in_memory_and_array_tasks_share_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    let journal = store.journal(store.recover(&mut c).unwrap()).unwrap();
    let a = submit_with(&mut c, &journal, "arr", Some("0-3"));
    let (text, env) = script_of(&journal, c.jobs[&a].batch_key()).unwrap();
    assert_eq!(text, script("arr"));
    assert!(
        env.contains(&"SLURM_ARRAY_TASK_COUNT=4".to_string()),
        "{env:?}"
    );
    // The job record on disk does not carry the script.
    let rec = state::job_record(&c.jobs[&a]);
    assert!(
        !rec.windows(4).any(|w| w == b"echo"),
        "job record holds the script"
    );
}

#[test]
fn compaction_keeps_everything_and_drops_what_is_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    let journal = store.journal(store.recover(&mut c).unwrap()).unwrap();
    let old = submit(&mut c, &journal, "old");
    let gone = submit(&mut c, &journal, "gone");
    // The job ends and is purged (MinJobAge 0).
    let caller = Caller {
        uid: 0,
        gid: 0,
        version: ProtocolVersion::V22_05,
        host: None,
        peer: None,
    };
    let kill = wire::msg::JobStepKill {
        step_id: wire::msg::StepId {
            job_id: gone,
            step_id: wire::pack::NO_VAL,
            step_het_comp: wire::pack::NO_VAL,
        },
        sjob_id: Some(gone.to_string()),
        sibling: None,
        signal: 9,
        flags: 0,
    };
    let out = c.handle(caller, Message::KillJob(kill), T0);
    let mut records: Vec<Vec<u8>> = out
        .durable
        .iter()
        .filter_map(|d| state::durable_record(&c, d))
        .collect();
    records.extend(
        c.purge_old_jobs(T0 + 1)
            .into_iter()
            .map(state::job_removed_record),
    );
    let (tx, rx) = mpsc::channel();
    journal.append(records, move |r| tx.send(r).unwrap());
    rx.recv().unwrap().unwrap();
    assert!(!c.jobs.contains_key(&gone));

    // Compaction starts (core "locked" here), a job arrives meanwhile.
    let first_segments = segments(dir.path());
    let job = journal.compact(&c).expect("no compaction running");
    let new = submit(&mut c, &journal, "new");
    job.wait().unwrap();
    assert!(!journal.compacting());
    // The segment with the old script stays while "old" lives.
    assert!(first_segments.iter().all(|p| p.exists()));

    drop(journal);
    let mut restored = controller();
    let rec = store.recover(&mut restored).unwrap();
    assert_eq!(
        restored.jobs.keys().copied().collect::<Vec<_>>(),
        vec![old, new]
    );
    let journal = store.journal(rec).unwrap();
    assert_eq!(script_of(&journal, old).unwrap().0, script("old"));
    assert_eq!(script_of(&journal, new).unwrap().0, script("new"));
    assert_eq!(
        script_of(&journal, gone),
        None,
        "a purged job's script is forgotten"
    );

    // Once "old" is gone too, a compaction deletes the segment that held it.
    restored.jobs.remove(&old);
    journal.compact(&restored).unwrap().wait().unwrap();
    assert!(
        first_segments.iter().all(|p| !p.exists()),
        "{:?}",
        segments(dir.path())
    );
    assert_eq!(script_of(&journal, new).unwrap().0, script("new"));
}

#[test]
fn clean_start_forgets_jobs_but_not_the_id_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    let journal = store.journal(store.recover(&mut c).unwrap()).unwrap();
    submit(&mut c, &journal, "x");
    submit(&mut c, &journal, "y");
    drop(journal);
    store.clear(c.next_job_id).unwrap();

    let mut fresh = controller();
    store.recover(&mut fresh).unwrap();
    assert!(fresh.jobs.is_empty());
    assert_eq!(
        fresh.next_job_id, 12,
        "ids printed before -c are not handed out again"
    );
}

#[test]
fn node_drains_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    let journal = store.journal(store.recover(&mut c).unwrap()).unwrap();
    c.nodes[0].state |= slurmctld::core::node::flag::DRAIN;
    c.nodes[0].reason = Some("bad dimm".into());
    journal.compact(&c).unwrap().wait().unwrap();
    let mut restored = controller();
    store.recover(&mut restored).unwrap();
    assert_ne!(
        restored.nodes[0].state & slurmctld::core::node::flag::DRAIN,
        0
    );
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
            limits: Limits {
                first_job_id: 10,
                gres_types: vec!["gpu".into()],
                // CR_Core: without it cons_tres means CR_Core_Memory, and a
                // job asking no memory would take the whole node.
                select_type_param: wire::conf::select_type::CR_CORE,
                ..Limits::default()
            },
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
    let journal = store.journal(store.recover(&mut c).unwrap()).unwrap();
    let caller = Caller {
        uid: 0,
        gid: 0,
        version: ProtocolVersion::V22_05,
        host: None,
        peer: None,
    };
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
    journal.append(
        started
            .iter()
            .map(|id| state::job_record(&c.jobs[id]))
            .collect(),
        move |r| tx.send(r).unwrap(),
    );
    rx.recv().unwrap().expect("fsynced");

    let mut restored = gpu_controller();
    store.recover(&mut restored).unwrap();
    assert_eq!(restored.nodes[0].alloc_gres, c.nodes[0].alloc_gres);
    let held: Vec<Option<Vec<u32>>> = restored.nodes[0]
        .alloc_gres
        .iter()
        .map(|h| h.held.indices.clone())
        .collect();
    assert_eq!(held, vec![Some(vec![0]), Some(vec![1, 2])]);
}

#[test]
fn a_running_job_recorded_twice_holds_its_resources_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    let journal = store.journal(store.recover(&mut c).unwrap()).unwrap();
    let id = submit(&mut c, &journal, "runs");
    let mut job = (*c.jobs[&id]).clone();
    job.state = slurmctld::core::JobState::Running as u32;
    job.alloc = Some(slurmctld::core::alloc::Allocation {
        nodes: vec![0],
        cpus: vec![2],
        mem_per_node: 100,
        gres: Vec::new(),
        completing: Vec::new(),
        cores: vec![vec![0, 1]],
        released: false,
    });
    // Started, then changed again (e.g. a signal or an update): two records.
    let (tx, rx) = mpsc::channel();
    journal.append(
        vec![state::job_record(&job), state::job_record(&job)],
        move |r| tx.send(r).unwrap(),
    );
    rx.recv().unwrap().unwrap();
    let mut restored = controller();
    store.recover(&mut restored).unwrap();
    assert_eq!(restored.nodes[0].alloc_cpus, 2);
    assert_eq!(restored.nodes[0].alloc_mem, 100);
    assert_eq!(restored.job_count, 1);
}

/// Group commit: a commit held for announced requests still completes when
/// they never append (a request that turned out to change nothing, or one
/// stuck behind the core lock), and records appended by an announced
/// request meanwhile are durable with it. Both journals are recovered to
/// check what reached the disk.
#[test]
fn group_commit_never_waits_for_an_announced_request_that_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = StateDir::open(dir.path()).unwrap();
    let mut c = controller();
    let rec = store.recover(&mut c).unwrap();
    let journal = store.journal(rec).unwrap();
    // Announced and never appending, for the whole test.
    let idle = journal.announce();
    // A second request announces, submits and withdraws, as the server does.
    let busy = journal.announce();
    let first = submit(&mut c, &journal, "first");
    drop(busy);
    let second = submit(&mut c, &journal, "second");
    drop(idle);
    // Nothing is announced any more: commits go out at once.
    let third = submit(&mut c, &journal, "third");
    drop(journal);
    let mut restored = controller();
    store.recover(&mut restored).unwrap();
    for id in [first, second, third] {
        assert!(
            restored.jobs.contains_key(&id),
            "job {id} acknowledged but not durable"
        );
    }
}
