//! The environment each task gets: srun's (it already carries the job's
//! and the step's SLURM_* variables) plus what the step daemon adds on the
//! node (`setup_env` for a launched step).

use std::net::SocketAddr;

use crate::step::env::{append, overwrite, unset};

/// What the per-node variables are made of.
#[derive(Debug, Clone)]
pub struct NodeEnv {
    /// slurm.conf (SLURM_CONF).
    pub conf_path: String,
    /// SLURMD_NODENAME, SLURM_TOPOLOGY_ADDR.
    pub node_name: String,
    /// SLURM_NODEID: this node's index in the step.
    pub node_id: u32,
    /// SLURM_CPUS_ON_NODE (`node_cpus` of the request).
    pub cpus_on_node: u16,
    /// SLURM_GTIDS: the global task ids on this node.
    pub gtids: Vec<u32>,
    /// Job and step ids.
    pub job_id: u32,
    /// Step id.
    pub step_id: u32,
    /// srun's address (SLURM_LAUNCH_NODE_IPADDR, SLURM_SRUN_COMM_HOST) and
    /// its response port (SLURM_SRUN_COMM_PORT).
    pub srun: SocketAddr,
    /// The owner (SLURM_JOB_UID/GID/USER when srun did not send them).
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// User name.
    pub user_name: Option<String>,
}

/// The environment shared by the node's tasks (all but the per-task ids).
pub fn node_environment(srun_env: &[String], n: &NodeEnv) -> Vec<String> {
    let mut env = srun_env.to_vec();
    let ip = n.srun.ip().to_string();
    let gtids: Vec<String> = n.gtids.iter().map(u32::to_string).collect();
    let set = [
        ("SLURM_CONF", n.conf_path.clone()),
        ("SLURMD_NODENAME", n.node_name.clone()),
        ("SLURM_NODEID", n.node_id.to_string()),
        ("SLURM_CPUS_ON_NODE", n.cpus_on_node.to_string()),
        ("SLURM_GTIDS", gtids.join(",")),
        ("SLURM_JOB_ID", n.job_id.to_string()),
        ("SLURM_JOBID", n.job_id.to_string()),
        ("SLURM_STEP_ID", n.step_id.to_string()),
        ("SLURM_STEPID", n.step_id.to_string()),
        ("SLURM_LAUNCH_NODE_IPADDR", ip.clone()),
        ("SLURM_SRUN_COMM_HOST", ip),
        ("SLURM_SRUN_COMM_PORT", n.srun.port().to_string()),
        ("SLURM_TOPOLOGY_ADDR", n.node_name.clone()),
        ("SLURM_TOPOLOGY_ADDR_PATTERN", "node".into()),
    ];
    for (name, value) in set {
        overwrite(&mut env, name, &value);
    }
    // Consumed on the node: the MPI plugin's choice (none here).
    unset(&mut env, "SLURM_MPI_TYPE");
    // make_tmpdir: tasks always have a TMPDIR (no TmpFS per job here).
    append(&mut env, "TMPDIR", "/tmp");
    append(&mut env, "SLURM_JOB_UID", &n.uid.to_string());
    append(&mut env, "SLURM_JOB_GID", &n.gid.to_string());
    if let Some(user) = &n.user_name {
        append(&mut env, "SLURM_JOB_USER", user);
    }
    env
}

/// One task's environment: the node's plus its ranks. SLURM_TASK_PID is
/// added by the task itself once it knows its pid.
pub fn task_environment(node_env: &[String], gtid: u32, ltid: u32) -> Vec<String> {
    let mut env = node_env.to_vec();
    overwrite(&mut env, "SLURM_PROCID", &gtid.to_string());
    overwrite(&mut env, "SLURM_LOCALID", &ltid.to_string());
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::env::get;

    #[test]
    fn node_and_task_variables_override_sruns() {
        let n = NodeEnv {
            conf_path: "/c/slurm.conf".into(),
            node_name: "n2".into(),
            node_id: 1,
            cpus_on_node: 1,
            gtids: vec![2, 3],
            job_id: 1006,
            step_id: 0,
            srun: "127.0.0.1:4242".parse().unwrap(),
            uid: 0,
            gid: 0,
            user_name: Some("root".into()),
        };
        let srun = vec!["SLURM_NODEID=9".to_string(), "PATH=/bin".to_string()];
        let node = node_environment(&srun, &n);
        let env = task_environment(&node, 3, 1);
        assert_eq!(get(&env, "SLURM_NODEID"), Some("1"));
        assert_eq!(get(&env, "SLURM_GTIDS"), Some("2,3"));
        assert_eq!(get(&env, "SLURM_PROCID"), Some("3"));
        assert_eq!(get(&env, "SLURM_LOCALID"), Some("1"));
        assert_eq!(get(&env, "SLURM_SRUN_COMM_PORT"), Some("4242"));
        assert_eq!(get(&env, "SLURM_JOB_USER"), Some("root"));
        assert_eq!(get(&env, "PATH"), Some("/bin"));
    }
}
