//! The cluster as the controller needs it: nodes, partitions and limits,
//! independent of how slurm.conf spells them, so the core can be built and
//! tested from plain values.

/// One node from a NodeName line, in definition order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    /// NodeName.
    pub name: String,
    /// NodeHostname.
    pub hostname: String,
    /// NodeAddr.
    pub addr: String,
    /// Port, or SlurmdPort.
    pub port: u16,
    /// CPUs.
    pub cpus: u16,
    /// Boards.
    pub boards: u16,
    /// Sockets in total.
    pub sockets: u16,
    /// CoresPerSocket.
    pub cores_per_socket: u16,
    /// ThreadsPerCore.
    pub threads_per_core: u16,
    /// RealMemory, MB.
    pub real_memory: u64,
    /// TmpDisk, MB.
    pub tmp_disk: u32,
    /// Weight.
    pub weight: u32,
    /// Gres= as written, e.g. "gpu:a100:4".
    pub gres: Option<String>,
    /// Features.
    pub features: Option<String>,
}

impl NodeSpec {
    /// A plain node for tests.
    pub fn simple(name: &str, cpus: u16, mem: u64) -> Self {
        NodeSpec {
            name: name.into(),
            hostname: name.into(),
            addr: name.into(),
            port: 6818,
            cpus,
            boards: 1,
            sockets: 1,
            cores_per_socket: cpus,
            threads_per_core: 1,
            real_memory: mem,
            tmp_disk: 0,
            weight: 1,
            gres: None,
            features: None,
        }
    }

    /// How many GRES of `name` (and `kind`, when given) this node has.
    pub fn gres_count(&self, name: &str, kind: Option<&str>) -> u64 {
        self.gres
            .as_deref()
            .map(parse_gres_list)
            .unwrap_or_default()
            .iter()
            .filter(|r| r.name == name && (kind.is_none() || r.kind.as_deref() == kind))
            .map(|r| r.count)
            .sum()
    }
}

/// A partition, with member nodes as indices into the node table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSpec {
    /// PartitionName.
    pub name: String,
    /// Member nodes, ascending node-table indices.
    pub nodes: Vec<usize>,
    /// Nodes= as written, for RESPONSE_PARTITION_INFO's `nodes`.
    pub nodes_expr: Option<String>,
    /// Default=YES.
    pub default: bool,
    /// Hidden=YES.
    pub hidden: bool,
    /// RootOnly=YES.
    pub root_only: bool,
    /// Upstream PART_FLAG_* bits (without DEFAULT, set at pack time).
    pub flags: u16,
    /// MaxTime in minutes; None = UNLIMITED.
    pub max_time: Option<u32>,
    /// DefaultTime in minutes; None = unset.
    pub default_time: Option<u32>,
    /// MaxNodes; None = UNLIMITED.
    pub max_nodes: Option<u32>,
    /// MinNodes.
    pub min_nodes: u32,
    /// MaxCPUsPerNode; None = UNLIMITED.
    pub max_cpus_per_node: Option<u32>,
    /// DefMemPerCPU/Node in wire form (MEM_PER_CPU bit), 0 = unset.
    pub def_mem_per_cpu: u64,
    /// MaxMemPerCPU/Node in wire form, 0 = unset.
    pub max_mem_per_cpu: u64,
    /// GraceTime, seconds.
    pub grace_time: u32,
    /// State as upstream's `state_up` (UP=3, DOWN=1, DRAIN=2, INACTIVE=0).
    pub state_up: u16,
    /// OverSubscribe in wire form (`max_share`).
    pub max_share: u16,
    /// OverTimeLimit (NO_VAL16 = unset).
    pub over_time_limit: u16,
    /// PreemptMode in wire form.
    pub preempt_mode: u16,
    /// PriorityJobFactor.
    pub priority_job_factor: u16,
    /// PriorityTier.
    pub priority_tier: u16,
    /// SelectTypeParameters for this partition (`cr_type`).
    pub cr_type: u16,
    /// AllowGroups (None = ALL).
    pub allow_groups: Option<String>,
    /// AllowAccounts (None = ALL).
    pub allow_accounts: Option<String>,
    /// AllowQos (None = ALL).
    pub allow_qos: Option<String>,
    /// AllocNodes (None = ALL).
    pub allow_alloc_nodes: Option<String>,
    /// DenyAccounts.
    pub deny_accounts: Option<String>,
    /// DenyQos.
    pub deny_qos: Option<String>,
    /// Alternate.
    pub alternate: Option<String>,
    /// QOS.
    pub qos: Option<String>,
    /// TRESBillingWeights.
    pub billing_weights: Option<String>,
    /// ResumeTimeout (NO_VAL16 = cluster value).
    pub resume_timeout: u16,
    /// SuspendTimeout (NO_VAL16 = cluster value).
    pub suspend_timeout: u16,
    /// SuspendTime (NO_VAL = cluster value).
    pub suspend_time: u32,
    /// JobDefaults: (type, value).
    pub job_defaults: Vec<(u16, u64)>,
}

impl PartitionSpec {
    /// An UP partition over `nodes` for tests.
    pub fn simple(name: &str, nodes: Vec<usize>) -> Self {
        PartitionSpec {
            name: name.into(),
            nodes,
            nodes_expr: None,
            default: false,
            hidden: false,
            root_only: false,
            flags: 0,
            max_time: None,
            default_time: None,
            max_nodes: None,
            min_nodes: 0,
            max_cpus_per_node: None,
            def_mem_per_cpu: 0,
            max_mem_per_cpu: 0,
            grace_time: 0,
            state_up: PART_STATE_UP,
            max_share: 1,
            over_time_limit: wire::pack::NO_VAL16,
            preempt_mode: 0,
            priority_job_factor: 1,
            priority_tier: 1,
            cr_type: 0,
            allow_groups: None,
            allow_accounts: None,
            allow_qos: None,
            allow_alloc_nodes: None,
            deny_accounts: None,
            deny_qos: None,
            alternate: None,
            qos: None,
            billing_weights: None,
            resume_timeout: wire::pack::NO_VAL16,
            suspend_timeout: wire::pack::NO_VAL16,
            suspend_time: wire::pack::NO_VAL,
            job_defaults: Vec::new(),
        }
    }
}

/// `PARTITION_UP` = submit | schedule.
pub const PART_STATE_UP: u16 = 3;
/// Bit: the partition accepts submissions (`PARTITION_SUBMIT`).
pub const PART_STATE_SUBMIT: u16 = 1;
/// Bit: the partition schedules jobs (`PARTITION_SCHED`).
pub const PART_STATE_SCHED: u16 = 2;

/// EnforcePartLimits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnforcePartLimits {
    /// NO: accept, let the job pend.
    #[default]
    No,
    /// ANY: one usable partition suffices.
    Any,
    /// ALL / YES: every requested partition must allow it.
    All,
}

/// Cluster-wide values the core uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// ClusterName.
    pub cluster_name: String,
    /// FirstJobId.
    pub first_job_id: u32,
    /// MaxJobId.
    pub max_job_id: u32,
    /// MaxJobCount.
    pub max_job_count: u32,
    /// MaxArraySize.
    pub max_array_size: u32,
    /// MaxStepCount (a signal for "all steps" names step MaxStepCount+1).
    pub max_step_count: u32,
    /// MinJobAge, seconds.
    pub min_job_age: u32,
    /// EnforcePartLimits.
    pub enforce_part_limits: EnforcePartLimits,
    /// PrivateData bits (`PRIVATE_DATA_*`).
    pub private_data: u16,
    /// SlurmUser uid (privileged like root).
    pub slurm_user_id: u32,
    /// SlurmdUser uid (may send node RPCs).
    pub slurmd_user_id: u32,
    /// DefMemPerCPU/Node in wire form, 0 = unset.
    pub def_mem_per_cpu: u64,
    /// MaxMemPerCPU/Node in wire form, 0 = unset.
    pub max_mem_per_cpu: u64,
    /// Select plugin id embedded in messages.
    pub select_plugin_id: u32,
    /// SelectTypeParameters bits.
    pub select_type_param: u16,
    /// Licenses=: (name, count).
    pub licenses: Vec<(String, u32)>,
    /// GresTypes.
    pub gres_types: Vec<String>,
    /// SlurmdParameters=config_overrides: trust slurm.conf over registrations.
    pub config_overrides: bool,
    /// ReturnToService (0, 1, 2).
    pub ret2service: u16,
    /// SlurmdTimeout, seconds (0 = never mark nodes down).
    pub slurmd_timeout: u32,
    /// JobRequeue default.
    pub job_requeue: bool,
    /// OverTimeLimit, minutes (NO_VAL16 = 0).
    pub over_time_limit: u16,
    /// KillWait, seconds.
    pub kill_wait: u16,
    /// PrologSlurmctld: run by the controller before a job's launch.
    pub prolog_slurmctld: Option<String>,
    /// MailProg (run for `--mail-type` notices).
    pub mail_prog: String,
    /// JobAcctGatherFrequency's task sampling interval (0: off).
    pub acct_freq_task: u32,
    /// EpilogSlurmctld: run by the controller when a job ends.
    pub epilog_slurmctld: Option<String>,
    /// PrologEpilogTimeout, seconds (0 / NO_VAL16 = none).
    pub prolog_epilog_timeout: u16,
    /// PriorityType and its weights.
    pub priority: PriorityPolicy,
}

/// How a new job's priority is set (PriorityType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PriorityPolicy {
    /// priority/basic: each job just below the previous one.
    #[default]
    Basic,
    /// priority/multifactor: a weighted sum of factors less the nice value.
    /// Without accounting the fair-share, association and QOS factors are 0;
    /// age and job size are not modelled yet (their weights default to 0).
    Multifactor {
        /// PriorityWeightPartition.
        weight_partition: u32,
    },
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cluster_name: "cluster".into(),
            first_job_id: 1,
            max_job_id: 0x03ff_0000,
            max_job_count: 10_000,
            max_array_size: 1001,
            max_step_count: 40000,
            min_job_age: 300,
            enforce_part_limits: EnforcePartLimits::No,
            private_data: 0,
            slurm_user_id: 0,
            slurmd_user_id: 0,
            def_mem_per_cpu: 0,
            max_mem_per_cpu: 0,
            select_plugin_id: wire::msg::common::select_plugin::CONS_TRES,
            select_type_param: 0,
            licenses: Vec::new(),
            gres_types: Vec::new(),
            config_overrides: false,
            ret2service: 1,
            slurmd_timeout: 300,
            job_requeue: true,
            over_time_limit: 0,
            kill_wait: 30,
            prolog_slurmctld: None,
            mail_prog: "/bin/mail".into(),
            acct_freq_task: 30,
            epilog_slurmctld: None,
            prolog_epilog_timeout: wire::pack::NO_VAL16,
            priority: PriorityPolicy::Basic,
        }
    }
}

/// The whole static description.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterSpec {
    /// Nodes in slurm.conf order.
    pub nodes: Vec<NodeSpec>,
    /// Partitions in slurm.conf order.
    pub partitions: Vec<PartitionSpec>,
    /// Cluster-wide limits.
    pub limits: Limits,
}

/// One `name[:type]:count` item of a GRES list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GresItem {
    /// e.g. "gpu".
    pub name: String,
    /// e.g. "a100".
    pub kind: Option<String>,
    /// How many.
    pub count: u64,
}

/// Parses "gpu:a100:4,gpu:2,nic" (count defaults to 1; suffixes k/m/g).
pub fn parse_gres_list(s: &str) -> Vec<GresItem> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .filter_map(|item| {
            // Strip "(S:0-1)" socket bindings.
            let item = item.split('(').next().unwrap_or(item);
            let parts: Vec<&str> = item.split(':').collect();
            let (name, kind, count) = match parts.as_slice() {
                [n] => (*n, None, Some(1)),
                [n, c] => match parse_count(c) {
                    Some(c) => (*n, None, Some(c)),
                    None => (*n, Some(*c), Some(1)),
                },
                [n, t, c] => (*n, Some(*t), parse_count(c)),
                _ => return None,
            };
            Some(GresItem {
                name: name.to_string(),
                kind: kind.map(str::to_string),
                count: count?,
            })
        })
        .collect()
}

fn parse_count(s: &str) -> Option<u64> {
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1024),
        (i, 'm' | 'M') => (&s[..i], 1024 * 1024),
        (i, 'g' | 'G') => (&s[..i], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gres_lists() {
        let g = parse_gres_list("gpu:a100:4,gpu:2,nic");
        assert_eq!(
            g[0],
            GresItem {
                name: "gpu".into(),
                kind: Some("a100".into()),
                count: 4
            }
        );
        assert_eq!(
            g[1],
            GresItem {
                name: "gpu".into(),
                kind: None,
                count: 2
            }
        );
        assert_eq!(
            g[2],
            GresItem {
                name: "nic".into(),
                kind: None,
                count: 1
            }
        );
        let mut n = NodeSpec::simple("n1", 4, 100);
        n.gres = Some("gpu:a100:4".into());
        assert_eq!(n.gres_count("gpu", None), 4);
        assert_eq!(n.gres_count("gpu", Some("a100")), 4);
        assert_eq!(n.gres_count("gpu", Some("h100")), 0);
    }
}
