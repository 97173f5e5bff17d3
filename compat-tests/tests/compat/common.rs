//! Shared helpers: starting clusters and waiting for upstream's timing-
//! dependent state to settle before a snapshot.

use std::time::Duration;

use compat_tests::{Cluster, ClusterOpts, Output};

pub fn cluster() -> Cluster {
    Cluster::start(ClusterOpts::default())
}

/// Upstream pings never-registered nodes shortly after start (~15-20 s) and
/// then flags them NOT_RESPONDING (`unk` -> `unk*`). Node-state snapshots
/// wait for that so they do not race the first ping.
pub fn wait_nodes_not_responding(c: &Cluster) {
    c.wait_until(
        "every node flagged not responding (state ends in '*')",
        Duration::from_secs(90),
        |c| {
            let out = c.run(&["sinfo", "-h", "-N", "-o", "%N %t"]);
            let all = !out.stdout.trim().is_empty()
                && out.stdout.lines().all(|l| l.trim_end().ends_with('*'));
            if all {
                Ok(())
            } else {
                Err(out.to_string())
            }
        },
    )
}

/// Pending reasons change after submission: the submit-time scheduling
/// attempt sets one, the main scheduler pass (a second or two later) another.
/// Wait until no pending job says `None` and `squeue` is unchanged for 3 s.
pub fn wait_queue_settled(c: &Cluster) {
    let snap = |c: &Cluster| c.run(&["squeue", "-h", "-o", "%i %t %r"]).stdout;
    let mut prev = snap(c);
    let mut stable_since = std::time::Instant::now();
    c.wait_until("pending reasons to settle", Duration::from_secs(45), |c| {
        let now = snap(c);
        if now != prev {
            prev = now.clone();
            stable_since = std::time::Instant::now();
        }
        let has_none = now.lines().any(|l| l.ends_with(" PD None"));
        if !has_none && stable_since.elapsed() >= Duration::from_secs(3) {
            Ok(())
        } else {
            Err(now)
        }
    })
}

/// `sbatch --parsable` output -> job id (`1000` or `1000;cluster`).
pub fn job_id(out: &Output) -> String {
    assert_eq!(out.exit_code, 0, "sbatch failed:\n{out}");
    out.trimmed().split(';').next().unwrap().to_string()
}

/// Submits a trivial held job via --wrap and returns its id.
pub fn submit_wrap(c: &Cluster, extra: &[&str]) -> String {
    let mut args = vec!["sbatch", "--parsable"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--wrap", "sleep 600"]);
    job_id(&c.run(&args))
}

/// Copies scripts/<name> into the cluster dir (so paths normalize to <DIR>).
pub fn install_script(c: &Cluster, name: &str) -> String {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name);
    let dst = c.dir().join(name);
    std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    name.to_string()
}
