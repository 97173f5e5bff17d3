//! Self-tests of the node side of the harness: nothing of a cluster with
//! node daemons outlives it, not even a job whose slurmd was killed.

use std::time::Duration;

use crate::jobs_common::{job_id, marker, node_cluster, wait_job_states, wait_processes};

/// Running or stopped, not a zombie: a SIGKILLed job process whose parent
/// (a killed slurmstepd) is gone waits for init to reap it.
fn alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S ...": the state follows the last ')'.
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    state != Some("Z") && state != Some("X")
}

fn pgrep(pattern: &str) -> Vec<u32> {
    let out = std::process::Command::new("pgrep")
        .args(["-f", pattern])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[test]
fn drop_kills_node_daemons_and_job_processes() {
    let mut c = node_cluster();
    let m = marker(&c);
    let script = format!("#!/bin/bash\nbash -c 'sleep 600; : {m}-job'\n");
    let a = job_id(&c.run_with_stdin(&["sbatch", "--parsable", "-w", "n1"], &script));
    let b = job_id(&c.run_with_stdin(&["sbatch", "--parsable", "-w", "n2"], &script));
    wait_job_states(&c, &a, &["RUNNING"], Duration::from_secs(30));
    wait_job_states(&c, &b, &["RUNNING"], Duration::from_secs(30));
    wait_processes(&c, &format!("{m}-job"), 2);

    // A killed slurmd leaves its job (and step daemon) running...
    let n2 = c.node_pid("n2").unwrap();
    c.kill_node("n2");
    assert!(!alive(n2), "slurmd n2 ({n2}) survived kill_node");
    assert_eq!(c.node_pid("n2"), None);
    assert_eq!(
        pgrep(&format!("{m}-job")).len(),
        2,
        "kill_node must not touch the jobs"
    );
    // ...and restart_node gives a new one.
    c.restart_node("n2");
    let n2b = c.node_pid("n2").unwrap();
    assert_ne!(n2, n2b);
    c.kill_node("n2");

    // Step daemons and job processes of both jobs (n2's are orphans now).
    let jobs = c.job_processes();
    assert!(
        jobs.len() >= 4,
        "expected 2 slurmstepd + 2 jobs' processes: {jobs:?}"
    );
    let mut pids: Vec<u32> = c
        .node_names()
        .iter()
        .filter_map(|n| c.node_pid(n))
        .collect();
    assert_eq!(pids.len(), 3);
    pids.push(c.controller_pid().unwrap());
    pids.extend(jobs);
    drop(c);
    std::thread::sleep(Duration::from_millis(500));
    for pid in pids {
        assert!(
            !alive(pid),
            "process {pid} outlived its cluster: {:?} {:?}",
            std::fs::read_to_string(format!("/proc/{pid}/cmdline")),
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
        );
    }
    assert!(
        pgrep(&format!("{m}-job")).is_empty(),
        "job processes outlived the cluster"
    );
}
