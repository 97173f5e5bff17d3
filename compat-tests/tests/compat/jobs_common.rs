//! Helpers for the tests that run jobs on real node daemons.

use std::time::Duration;

use compat_tests::{Cluster, ClusterOpts, Output};

/// Nodes `n1`..`n4` (2 CPUs, 2000 MB each), a slurmd each, all idle.
pub fn node_cluster() -> Cluster {
    Cluster::start(ClusterOpts::with_nodes(4))
}

/// Final job states (no COMPLETING flag: upstream prints `COMPLETING` while
/// the epilog/cleanup is still going on).
pub const DONE: &[&str] = &[
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "BOOT_FAIL",
    "DEADLINE",
    "PREEMPTED",
];

/// Waits until every job (`scontrol show job` lists array tasks too) is in
/// one of `states`.
pub fn wait_job_states(c: &Cluster, id: &str, states: &[&str], timeout: Duration) {
    c.wait_until(&format!("job {id} in {states:?}"), timeout, |c| {
        let out = c.run(&["scontrol", "show", "job", id]);
        let got: Vec<&str> = out
            .stdout
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("JobState="))
            .collect();
        if !got.is_empty() && got.iter().all(|s| states.contains(s)) {
            Ok(())
        } else {
            Err(out.to_string())
        }
    })
}

pub fn wait_done(c: &Cluster, id: &str) {
    wait_job_states(c, id, DONE, Duration::from_secs(60));
}

pub fn job_id(out: &Output) -> String {
    assert_eq!(out.exit_code, 0, "sbatch failed:\n{out}");
    out.trimmed().split(';').next().unwrap().to_string()
}

/// A command-line marker unique to this cluster (its temp dir's name), so
/// `pgrep -f` finds only this test's job processes. Normalized to
/// `<DIR_NAME>` in goldens.
pub fn marker(c: &Cluster) -> String {
    c.dir().file_name().unwrap().to_string_lossy().into_owned()
}

/// Runs `pgrep -f PATTERN` until nothing matches (bounded); returns the
/// final (empty, exit 1) output for the golden.
pub fn wait_no_process(c: &Cluster, pattern: &str, timeout: Duration) -> Output {
    c.wait_until(&format!("no process matching {pattern:?}"), timeout, |c| {
        let out = c.run(&["pgrep", "-a", "-f", pattern]);
        if out.exit_code == 1 && out.stdout.is_empty() {
            Ok(out)
        } else {
            Err(out.to_string())
        }
    })
}

/// Waits until `pgrep -f PATTERN` finds at least `n` processes.
pub fn wait_processes(c: &Cluster, pattern: &str, n: usize) {
    c.wait_until(
        &format!("{n} processes matching {pattern:?}"),
        Duration::from_secs(30),
        |c| {
            let out = c.run(&["pgrep", "-f", pattern]);
            if out.stdout.lines().count() >= n {
                Ok(())
            } else {
                Err(out.to_string())
            }
        },
    )
}

/// `sinfo -h -n NODE -o %t` equals `state`.
pub fn wait_node_state(c: &Cluster, node: &str, state: &str, timeout: Duration) {
    c.wait_until(&format!("node {node} {state}"), timeout, |c| {
        let out = c.run(&["sinfo", "-h", "-N", "-n", node, "-o", "%t"]);
        if out.stdout.lines().all(|l| l.trim() == state) && !out.stdout.is_empty() {
            Ok(())
        } else {
            Err(out.to_string())
        }
    })
}

/// Waits until `scontrol show job ID` (normalized) has not changed for 3 s.
/// A job's record keeps changing after it reached its final state: e.g. after
/// scancel the batch script's exit status (`ExitCode=0:15`) arrives from
/// slurmstepd only after the job shows CANCELLED, later under load.
pub fn wait_job_settled(c: &Cluster, id: &str) {
    let snap = |c: &Cluster| {
        c.normalizer()
            .apply(&c.run(&["scontrol", "show", "job", id]).stdout)
    };
    let mut prev = snap(c);
    let mut since = std::time::Instant::now();
    c.wait_until(
        &format!("job {id} record to settle"),
        Duration::from_secs(30),
        |c| {
            let now = snap(c);
            if now != prev {
                prev = now.clone();
                since = std::time::Instant::now();
            }
            if since.elapsed() >= Duration::from_secs(3) {
                Ok(())
            } else {
                Err(now)
            }
        },
    )
}
