//! Profiling aid for the job list reply (what `squeue` gets): fills a
//! controller with N held jobs shaped like `sbatch --hold --wrap=true`, then
//! packs REQUEST_JOB_INFO's reply and hashes it a few times, printing the
//! time of each part. Run under `perf record`; bench/ has the real figures.
//!
//!     cargo run --release -p slurmctld-rs --example pack_job_list -- 100000

use std::time::Instant;

use slurmctld::core::spec::{ClusterSpec, Limits, NodeSpec, PartitionSpec};
use slurmctld::core::{Caller, Controller, StaticUsers};
use wire::auth::body_hash;
use wire::msg::{JobDescriptor, Message};
use wire::version::ProtocolVersion;

/// CPU time of this process (user + system), which noise from other
/// processes on the machine does not inflate the way wall time is.
fn cpu_now() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let reps: u32 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let mut part = PartitionSpec::simple("debug", (0..4).collect());
    part.default = true;
    let spec = ClusterSpec {
        nodes: (1..=4)
            .map(|i| NodeSpec::simple(&format!("n{i}"), 2, 2000))
            .collect(),
        partitions: vec![part],
        limits: Limits {
            max_job_count: n + 10,
            ..Limits::default()
        },
    };
    let now = 1_800_000_000;
    let mut c = Controller::new(spec, Box::new(StaticUsers::default()), now);
    let caller = Caller {
        uid: 0,
        gid: 0,
        version: ProtocolVersion::V22_05,
        host: None,
        peer: None,
    };
    let env: Vec<String> = (0..25)
        .map(|i| format!("VARIABLE_{i}=some value of ordinary length"))
        .collect();
    let t = Instant::now();
    for _ in 0..n {
        let d = JobDescriptor {
            name: Some("wrap".into()),
            priority: 0,
            min_cpus: 1,
            task_dist: 8192,
            bitflags: 503_316_480,
            script: Some("#!/bin/sh\n# This script was created by sbatch --wrap.\n\ntrue\n".into()),
            environment: env.clone(),
            std_in: Some("/dev/null".into()),
            std_out: Some("/tmp/slurm-%j.out".into()),
            work_dir: Some("/tmp".into()),
            submit_line: Some("sbatch --hold --wrap=true".into()),
            ..JobDescriptor::default()
        };
        c.handle(caller.clone(), Message::SubmitBatchJob(Box::new(d)), now);
    }
    eprintln!("{n} jobs submitted in {:.2} s", t.elapsed().as_secs_f64());
    for _ in 0..reps {
        let t = cpu_now();
        let out = c.handle(
            caller.clone(),
            Message::JobInfoRequest {
                last_update: 0,
                show_flags: 0,
                job_ids: None,
            },
            now + 1,
        );
        let pack = cpu_now() - t;
        let Message::JobInfoPacked(body) = out.reply else {
            panic!("unexpected reply")
        };
        let len = body.len();
        let t = cpu_now();
        let hash = body_hash::compute(&body, 2004, ProtocolVersion::V22_05, None);
        let h = cpu_now() - t;
        let t = cpu_now();
        drop(body);
        let free = cpu_now() - t;
        eprintln!(
            "CPU: pack {:.1} ms, hash {:.1} ms, free {:.1} ms; {} bytes ({:.0} B/job), hash {:02x}",
            pack * 1e3,
            h * 1e3,
            free * 1e3,
            len,
            len as f64 / f64::from(n),
            hash[1]
        );
    }
}
