//! The environment of a batch step, built in upstream's order:
//! the job's environment from the launch message, then
//! `env_array_for_batch_job` (`src/common/env.c`), the topology variables
//! (`slurmstepd.c`), removal of SLURM_UMASK / SLURM_PRIO_PROCESS (applied to
//! the process instead), then `setup_env` and the task additions of
//! `exec_task` (`src/slurmd/slurmstepd/task.c`).
//!
//! SLURM_TASK_PID is left out: only the child knows its pid, so the spawner
//! adds it after fork.

use super::{BatchJob, NodeContext, MEM_PER_CPU, NO_VAL, NO_VAL16};

/// Value of `name` in an environment array.
pub fn get<'a>(env: &'a [String], name: &str) -> Option<&'a str> {
    env.iter()
        .find_map(|e| e.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

/// Sets `name`, replacing an existing entry in place (`env_array_overwrite`).
pub fn overwrite(env: &mut Vec<String>, name: &str, value: &str) {
    let entry = format!("{name}={value}");
    match env
        .iter_mut()
        .find(|e| e.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
    {
        Some(e) => *e = entry,
        None => env.push(entry),
    }
}

/// Sets `name` only if it is absent (`env_array_append`).
pub fn append(env: &mut Vec<String>, name: &str, value: &str) {
    if get(env, name).is_none() {
        env.push(format!("{name}={value}"));
    }
}

/// Removes `name` (`unsetenvp`).
pub fn unset(env: &mut Vec<String>, name: &str) {
    env.retain(|e| !e.strip_prefix(name).is_some_and(|r| r.starts_with('=')));
}

/// `uint32_compressed_to_str`: "2(x3),1".
pub fn compressed_to_str(values: &[u16], reps: &[u32]) -> String {
    values
        .iter()
        .zip(reps)
        .map(|(v, r)| {
            if *r > 1 {
                format!("{v}(x{r})")
            } else {
                v.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `uint16_array_to_str`: runs of equal values as "N(xR)".
pub fn array_to_str(values: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i + 1;
        while j < values.len() && values[j] == values[i] {
            j += 1;
        }
        if j - i > 1 {
            out.push(format!("{}(x{})", values[i], j - i));
        } else {
            out.push(values[i].to_string());
        }
        i = j;
    }
    out.join(",")
}

/// Tasks per node of the default block layout (`_task_layout_block`
/// without pack_nodes: a fake cyclic pass per CPU, then oversubscribe).
pub fn block_layout(cpus: &[u32], ntasks: u32) -> Vec<u32> {
    let mut tasks = vec![0u32; cpus.len()];
    if cpus.is_empty() {
        return tasks;
    }
    let mut placed = 0u32;
    let mut over = false;
    let mut j = 0u32;
    while placed < ntasks {
        let mut space = false;
        for (i, &c) in cpus.iter().enumerate() {
            if placed >= ntasks {
                break;
            }
            if j < c || over {
                tasks[i] += 1;
                placed += 1;
                if j + 1 < c {
                    space = true;
                }
            }
        }
        if !space {
            over = true;
        }
        j = j.saturating_add(1);
    }
    tasks
}

/// Upstream prints a NULL string with `%s` as "(null)"; a few batch
/// variables are always set and show that.
fn or_null(s: Option<&str>) -> &str {
    s.unwrap_or("(null)")
}

/// The batch step's environment, minus SLURM_TASK_PID. Also returns the
/// SLURM_UMASK and SLURM_PRIO_PROCESS values it removed.
pub fn batch_environment(job: &BatchJob, node: &NodeContext) -> BatchEnv {
    let mut env = job.environment.clone();

    // env_array_for_batch_job
    let num_hosts: u32 = job
        .cpu_count_reps
        .iter()
        .fold(0u32, |a, &r| a.saturating_add(r));
    overwrite(
        &mut env,
        "SLURM_CLUSTER_NAME",
        or_null(node.cluster_name.as_deref()),
    );
    overwrite(&mut env, "SLURM_JOB_ID", &job.job_id.to_string());
    overwrite(&mut env, "SLURM_JOB_NUM_NODES", &num_hosts.to_string());
    if job.array_task_id != NO_VAL {
        overwrite(
            &mut env,
            "SLURM_ARRAY_JOB_ID",
            &job.array_job_id.to_string(),
        );
        overwrite(
            &mut env,
            "SLURM_ARRAY_TASK_ID",
            &job.array_task_id.to_string(),
        );
    }
    overwrite(&mut env, "SLURM_JOB_NODELIST", &job.nodes);
    overwrite(&mut env, "SLURM_JOB_PARTITION", &job.partition);
    overwrite(
        &mut env,
        "SLURM_NODE_ALIASES",
        or_null(job.alias_list.as_deref()),
    );
    overwrite(
        &mut env,
        "SLURM_JOB_CPUS_PER_NODE",
        &compressed_to_str(&job.cpus_per_node, &job.cpu_count_reps),
    );
    overwrite(&mut env, "ENVIRONMENT", "BATCH");
    overwrite(&mut env, "HOSTNAME", &node.node_name);
    overwrite(&mut env, "SLURM_JOBID", &job.job_id.to_string());
    overwrite(&mut env, "SLURM_NNODES", &num_hosts.to_string());
    overwrite(&mut env, "SLURM_NODELIST", &job.nodes);
    let cpus_per_task = if job.cpus_per_task != 0 && job.cpus_per_task != NO_VAL16 {
        job.cpus_per_task
    } else {
        1
    };
    if get(&env, "SLURM_CPUS_PER_TASK").is_some() {
        overwrite(&mut env, "SLURM_CPUS_PER_TASK", &cpus_per_task.to_string());
    }
    // Expand the compressed per-node CPU counts, divided by cpus-per-task.
    let mut per_node_tasks_cap = Vec::new();
    for (c, r) in job.cpus_per_node.iter().zip(&job.cpu_count_reps) {
        for _ in 0..(*r).min(100_000) {
            per_node_tasks_cap.push(u32::from(*c) / u32::from(cpus_per_task));
        }
    }
    let ntasks = if job.ntasks != 0 {
        append(&mut env, "SLURM_NTASKS", &job.ntasks.to_string());
        append(&mut env, "SLURM_NPROCS", &job.ntasks.to_string());
        job.ntasks
    } else {
        per_node_tasks_cap
            .iter()
            .fold(0u32, |a, &c| a.saturating_add(c))
    };
    let layout = block_layout(&per_node_tasks_cap, ntasks);
    overwrite(&mut env, "SLURM_TASKS_PER_NODE", &array_to_str(&layout));
    if job.pn_min_memory & MEM_PER_CPU != 0 {
        overwrite(
            &mut env,
            "SLURM_MEM_PER_CPU",
            &(job.pn_min_memory & !MEM_PER_CPU).to_string(),
        );
    } else if job.pn_min_memory != 0 {
        overwrite(
            &mut env,
            "SLURM_MEM_PER_NODE",
            &job.pn_min_memory.to_string(),
        );
    }
    if let Some(a) = &job.account {
        overwrite(&mut env, "SLURM_JOB_ACCOUNT", a);
    }
    if let Some(q) = &job.qos {
        overwrite(&mut env, "SLURM_JOB_QOS", q);
    }
    if let Some(r) = &job.resv_name {
        overwrite(&mut env, "SLURM_JOB_RESERVATION", r);
    }

    // slurmstepd.c: the GRES variables, then topology/none's (the node itself).
    node.gres.job_env(&mut env, &job.gres);
    overwrite(&mut env, "SLURM_TOPOLOGY_ADDR", &node.node_name);
    overwrite(&mut env, "SLURM_TOPOLOGY_ADDR_PATTERN", "node");

    // set_umask / _set_prio_process take these out of the user's view.
    let umask = get(&env, "SLURM_UMASK").and_then(|v| u32::from_str_radix(v.trim(), 8).ok());
    unset(&mut env, "SLURM_UMASK");
    // SLURM_PRIO_PROCESS is only consumed with PropagatePrioProcess
    // (off by default), so it stays in the job's environment.
    let prio = None;
    // ulimits.c: every SLURM_RLIMIT_* sbatch sent becomes the job's limit
    // and leaves the environment.
    let mut rlimits = Vec::new();
    env.retain(|e| {
        match e
            .strip_prefix("SLURM_RLIMIT_")
            .and_then(|r| r.split_once('='))
        {
            Some((name, value)) => {
                if let (Some(resource), Ok(v)) =
                    (rlimit_resource(name), value.trim().parse::<u64>())
                {
                    rlimits.push((resource, v));
                }
                false
            }
            None => true,
        }
    });

    // setup_env for the batch task (no ntasks/nhosts/nodelist of its own).
    overwrite(&mut env, "SLURM_CONF", &node.conf_path);
    unset(&mut env, "SLURM_CONF_SERVER");
    let cpus_on_node = job.cpus_per_node.first().copied().unwrap_or(node.cpus);
    if cpus_on_node != 0 {
        overwrite(&mut env, "SLURM_CPUS_ON_NODE", &cpus_on_node.to_string());
    }
    if job.overcommit {
        overwrite(&mut env, "SLURM_OVERCOMMIT", "1");
    }
    overwrite(&mut env, "SLURM_JOB_ID", &job.job_id.to_string());
    overwrite(&mut env, "SLURM_JOBID", &job.job_id.to_string());
    overwrite(&mut env, "SLURM_NODEID", "0");
    overwrite(&mut env, "SLURM_PROCID", "0");
    overwrite(&mut env, "SLURM_LOCALID", "0");
    overwrite(&mut env, "SLURM_GTIDS", "0");
    if job.restart_cnt != 0 {
        overwrite(
            &mut env,
            "SLURM_RESTART_COUNT",
            &job.restart_cnt.to_string(),
        );
    }
    overwrite(&mut env, "SLURM_JOB_UID", &job.uid.to_string());
    overwrite(&mut env, "SLURM_JOB_USER", &job.user_name);
    overwrite(&mut env, "SLURM_WORKING_CLUSTER", &node.working_cluster);
    // exec_task
    overwrite(&mut env, "SLURM_JOB_GID", &job.gid.to_string());
    overwrite(&mut env, "SLURMD_NODENAME", &node.node_name);
    if let Some(b) = &job.tres_bind {
        overwrite(&mut env, "SLURMD_TRES_BIND", b);
    }
    if let Some(f) = &job.tres_freq {
        overwrite(&mut env, "SLURMD_TRES_FREQ", f);
    }
    BatchEnv {
        env,
        umask,
        prio_process: prio,
        rlimits,
    }
}

/// The setrlimit(2) resource for a SLURM_RLIMIT_<NAME> variable.
fn rlimit_resource(name: &str) -> Option<i32> {
    Some(match name {
        "CPU" => libc::RLIMIT_CPU as i32,
        "FSIZE" => libc::RLIMIT_FSIZE as i32,
        "DATA" => libc::RLIMIT_DATA as i32,
        "STACK" => libc::RLIMIT_STACK as i32,
        "CORE" => libc::RLIMIT_CORE as i32,
        "RSS" => libc::RLIMIT_RSS as i32,
        "NPROC" => libc::RLIMIT_NPROC as i32,
        "NOFILE" => libc::RLIMIT_NOFILE as i32,
        "MEMLOCK" => libc::RLIMIT_MEMLOCK as i32,
        "AS" => libc::RLIMIT_AS as i32,
        _ => return None,
    })
}

/// A batch step's environment and the settings taken out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchEnv {
    /// `NAME=value` entries, in upstream's order.
    pub env: Vec<String>,
    /// SLURM_UMASK (octal), applied with umask(2).
    pub umask: Option<u32>,
    /// SLURM_PRIO_PROCESS, applied with setpriority(2).
    pub prio_process: Option<i32>,
    /// SLURM_RLIMIT_* as (resource, value), applied as soft limits.
    pub rlimits: Vec<(i32, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeContext {
        NodeContext {
            node_name: "n1".into(),
            hostname: "vm".into(),
            cpus: 2,
            cluster_name: Some("test".into()),
            conf_path: "/etc/slurm/slurm.conf".into(),
            working_cluster: "test:10.0.0.1:6817:9728:109".into(),
            spool_dir: "/tmp".into(),
            job_file_append: false,
            gres: Default::default(),
        }
    }

    #[test]
    fn array_helpers() {
        assert_eq!(compressed_to_str(&[2, 1], &[3, 1]), "2(x3),1");
        assert_eq!(array_to_str(&[1, 2, 1, 1, 1, 3, 2]), "1,2,1(x3),3,2");
        assert_eq!(array_to_str(&[]), "");
        assert_eq!(block_layout(&[2, 2], 3), vec![2, 1]);
        assert_eq!(block_layout(&[1, 1], 5), vec![3, 2]);
        assert_eq!(block_layout(&[4, 1], 4), vec![3, 1]);
        assert_eq!(block_layout(&[0, 0], 2), vec![1, 1]);
    }

    #[test]
    fn env_ops() {
        let mut e = vec!["A=1".to_string(), "AB=2".to_string()];
        overwrite(&mut e, "A", "3");
        append(&mut e, "AB", "9");
        append(&mut e, "C", "4");
        assert_eq!(e, ["A=3", "AB=2", "C=4"]);
        unset(&mut e, "A");
        assert_eq!(get(&e, "AB"), Some("2"));
        assert_eq!(get(&e, "A"), None);
    }

    #[test]
    fn batch_env_variables() {
        let job = BatchJob {
            job_id: 42,
            uid: 1001,
            gid: 1001,
            user_name: "slurmtest".into(),
            partition: "debug".into(),
            ntasks: 0,
            array_task_id: NO_VAL,
            cpus_per_node: vec![2],
            cpu_count_reps: vec![1],
            nodes: "n1".into(),
            pn_min_memory: MEM_PER_CPU | 100,
            environment: vec![
                "PATH=/bin".into(),
                "SLURM_UMASK=0027".into(),
                "SLURM_PRIO_PROCESS=0".into(),
                "SLURM_RLIMIT_NOFILE=1024".into(),
                "SLURM_JOB_NAME=x".into(),
                "SLURM_CPUS_PER_TASK=9".into(),
            ],
            cpus_per_task: 2,
            ..Default::default()
        };
        let b = batch_environment(&job, &node());
        assert_eq!(b.umask, Some(0o027));
        // Without PropagatePrioProcess the priority stays in the environment;
        // resource limits are consumed and applied.
        assert_eq!(b.prio_process, None);
        assert!(b.env.iter().any(|e| e == "SLURM_PRIO_PROCESS=0"));
        assert!(!b.env.iter().any(|e| e.starts_with("SLURM_RLIMIT_")));
        assert_eq!(b.rlimits, vec![(libc::RLIMIT_NOFILE as i32, 1024)]);
        let e = &b.env;
        for (k, v) in [
            ("SLURM_JOB_ID", "42"),
            ("SLURM_JOBID", "42"),
            ("SLURM_JOB_NAME", "x"),
            ("SLURM_CLUSTER_NAME", "test"),
            ("SLURM_JOB_NUM_NODES", "1"),
            ("SLURM_NNODES", "1"),
            ("SLURM_JOB_NODELIST", "n1"),
            ("SLURM_NODELIST", "n1"),
            ("SLURM_JOB_PARTITION", "debug"),
            ("SLURM_NODE_ALIASES", "(null)"),
            ("SLURM_JOB_CPUS_PER_NODE", "2"),
            ("SLURM_CPUS_PER_TASK", "2"),
            ("SLURM_TASKS_PER_NODE", "1"),
            ("SLURM_MEM_PER_CPU", "100"),
            ("SLURM_CPUS_ON_NODE", "2"),
            ("SLURM_JOB_UID", "1001"),
            ("SLURM_JOB_GID", "1001"),
            ("SLURM_JOB_USER", "slurmtest"),
            ("SLURMD_NODENAME", "n1"),
            ("SLURM_GTIDS", "0"),
            ("SLURM_PROCID", "0"),
            ("SLURM_LOCALID", "0"),
            ("SLURM_NODEID", "0"),
            ("ENVIRONMENT", "BATCH"),
            ("HOSTNAME", "n1"),
            ("SLURM_TOPOLOGY_ADDR", "n1"),
            ("SLURM_TOPOLOGY_ADDR_PATTERN", "node"),
            ("SLURM_CONF", "/etc/slurm/slurm.conf"),
            ("SLURM_WORKING_CLUSTER", "test:10.0.0.1:6817:9728:109"),
        ] {
            assert_eq!(get(e, k), Some(v), "{k}");
        }
        for k in [
            "SLURM_UMASK",
            "SLURM_ARRAY_JOB_ID",
            "SLURM_NTASKS",
            "SLURM_STEP_ID",
        ] {
            assert_eq!(get(e, k), None, "{k}");
        }
        let array = BatchJob {
            array_job_id: 40,
            array_task_id: 2,
            ntasks: 3,
            ..job
        };
        let e = batch_environment(&array, &node()).env;
        assert_eq!(get(&e, "SLURM_ARRAY_JOB_ID"), Some("40"));
        assert_eq!(get(&e, "SLURM_ARRAY_TASK_ID"), Some("2"));
        assert_eq!(get(&e, "SLURM_NTASKS"), Some("3"));
        assert_eq!(get(&e, "SLURM_NPROCS"), Some("3"));
        assert_eq!(get(&e, "SLURM_TASKS_PER_NODE"), Some("3"));
    }
}
