//! PartitionName, NodeSet and DownNodes lines (upstream `_parse_partitionname`,
//! `_parse_nodeset`, `_parse_downnodes` in `src/common/read_config.c`;
//! node resolution as slurmctld's `_build_single_partitionline_info`).

use std::collections::HashMap;

use super::error::{ConfError, Location};
use super::node::NodeConf;
use super::raw::EntityLine;
use super::values::{self, TimeLimit};
use crate::hostlist;

/// Partition state (upstream `PARTITION_*`; the wire value is `state_up`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionState {
    /// `UP`: jobs may be submitted and scheduled.
    Up,
    /// `DOWN`: submitted but not scheduled.
    Down,
    /// `DRAIN`: scheduled but no new submissions.
    Drain,
    /// `INACTIVE`: neither.
    Inactive,
}

impl PartitionState {
    /// `PARTITION_SUBMIT` bit of `state_up`.
    const SUBMIT: u16 = 0x01;
    /// `PARTITION_SCHED` bit of `state_up`.
    const SCHED: u16 = 0x02;

    /// Upstream `state_up` value.
    pub fn to_wire(self) -> u16 {
        match self {
            PartitionState::Up => Self::SUBMIT | Self::SCHED,
            PartitionState::Down => Self::SUBMIT,
            PartitionState::Drain => Self::SCHED,
            PartitionState::Inactive => 0,
        }
    }
}

/// A memory limit: per allocated CPU or per node (upstream sets the
/// `MEM_PER_CPU` top bit to say "per CPU").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemLimit {
    /// `DefMemPerCPU` / `MaxMemPerCPU`, MB.
    PerCpu(u64),
    /// `DefMemPerNode` / `MaxMemPerNode`, MB (INFINITE64 = UNLIMITED).
    PerNode(u64),
}

impl MemLimit {
    /// Upstream `MEM_PER_CPU` flag bit.
    pub const MEM_PER_CPU: u64 = 0x8000_0000_0000_0000;

    /// The u64 upstream packs (`def_mem_per_cpu` / `max_mem_per_cpu`).
    pub fn to_wire(self) -> u64 {
        match self {
            MemLimit::PerCpu(mb) => mb | Self::MEM_PER_CPU,
            MemLimit::PerNode(mb) => mb,
        }
    }
}

/// `OverSubscribe` (formerly `Shared`), upstream `max_share`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverSubscribe {
    /// `EXCLUSIVE`: whole nodes.
    Exclusive,
    /// `NO` (default).
    No,
    /// `YES[:n]`: up to n jobs per resource when requested (default 4).
    Yes(u16),
    /// `FORCE[:n]`: always, up to n jobs (default 4).
    Force(u16),
}

impl OverSubscribe {
    /// Upstream `SHARED_FORCE` flag in `max_share`.
    pub const SHARED_FORCE: u16 = 0x8000;
    /// Jobs per resource for `YES`/`FORCE` without a count.
    const DEFAULT_SHARE: u16 = 4;

    /// Upstream `max_share`.
    pub fn to_wire(self) -> u16 {
        match self {
            OverSubscribe::Exclusive => 0,
            OverSubscribe::No => 1,
            OverSubscribe::Yes(n) => n,
            OverSubscribe::Force(n) => n | Self::SHARED_FORCE,
        }
    }

    fn parse(s: &str) -> Result<OverSubscribe, String> {
        let count = |t: &str| t.trim().parse::<i64>().unwrap_or(0);
        let upper = s.to_ascii_uppercase();
        Ok(if upper == "NO" {
            OverSubscribe::No
        } else if upper == "EXCLUSIVE" {
            OverSubscribe::Exclusive
        } else if let Some(n) = upper.strip_prefix("YES:") {
            match u16::try_from(count(n)) {
                Ok(n) if n > 1 => OverSubscribe::Yes(n & !Self::SHARED_FORCE),
                _ => OverSubscribe::No,
            }
        } else if upper == "YES" {
            OverSubscribe::Yes(Self::DEFAULT_SHARE)
        } else if let Some(n) = upper.strip_prefix("FORCE:") {
            match u16::try_from(count(n)) {
                Ok(n) if n >= 1 => OverSubscribe::Force(n & !Self::SHARED_FORCE),
                _ => OverSubscribe::No,
            }
        } else if upper == "FORCE" {
            OverSubscribe::Force(Self::DEFAULT_SHARE)
        } else {
            return Err(format!(
                "\"{s}\" is not NO, EXCLUSIVE, YES[:n] or FORCE[:n]"
            ));
        })
    }
}

/// One partition (upstream `slurm_conf_partition_t` / `part_record_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionConf {
    /// `PartitionName`.
    pub name: String,
    /// `Nodes` as written (whitespace turned into commas, as upstream does).
    pub nodes_expr: Option<String>,
    /// Member node names in node-table order (what `node_bitmap` says).
    pub nodes: Vec<String>,
    /// Member node indices into [`super::SlurmConf::nodes`], ascending.
    pub node_indices: Vec<usize>,
    /// `Default=YES`.
    pub default: bool,
    /// `Hidden`.
    pub hidden: bool,
    /// `RootOnly`.
    pub root_only: bool,
    /// `ReqResv`.
    pub req_resv: bool,
    /// `LLN`.
    pub lln: bool,
    /// `ExclusiveUser`.
    pub exclusive_user: bool,
    /// `DisableRootJobs`; `None` = follow the cluster-wide setting.
    pub disable_root_jobs: Option<bool>,
    /// `MaxTime` in minutes (default UNLIMITED).
    pub max_time: TimeLimit,
    /// `DefaultTime` in minutes; `None` = unset (NO_VAL).
    pub default_time: Option<TimeLimit>,
    /// `MaxNodes`; `None` = UNLIMITED.
    pub max_nodes: Option<u32>,
    /// `MinNodes`.
    pub min_nodes: u32,
    /// `MaxCPUsPerNode`; `None` = UNLIMITED.
    pub max_cpus_per_node: Option<u32>,
    /// `DefMemPerCPU`/`DefMemPerNode`; `None` = use the cluster default.
    pub def_mem: Option<MemLimit>,
    /// `MaxMemPerCPU`/`MaxMemPerNode`; `None` = use the cluster default.
    pub max_mem: Option<MemLimit>,
    /// `GraceTime` in seconds.
    pub grace_time: u32,
    /// `State`.
    pub state: PartitionState,
    /// `OverSubscribe`/`Shared`.
    pub over_subscribe: OverSubscribe,
    /// `OverTimeLimit` minutes; `None` = unset (NO_VAL16), INFINITE16 = UNLIMITED.
    pub over_time_limit: Option<u16>,
    /// `PreemptMode` as written; `None` = cluster default.
    pub preempt_mode: Option<String>,
    /// `PriorityJobFactor` (or `Priority`).
    pub priority_job_factor: u16,
    /// `PriorityTier` (or `Priority`).
    pub priority_tier: u16,
    /// `ResumeTimeout`; `None` = cluster value.
    pub resume_timeout: Option<u16>,
    /// `SuspendTimeout`; `None` = cluster value.
    pub suspend_timeout: Option<u16>,
    /// `SuspendTime` seconds; `None` = cluster value.
    pub suspend_time: Option<TimeLimit>,
    /// `SelectTypeParameters` as CR_* bits (`cr_type`); `None` = cluster value.
    pub cr_type: Option<u16>,
    /// `AllowAccounts` (lower-cased; `ALL` → `None`).
    pub allow_accounts: Option<String>,
    /// `AllowGroups` (`ALL` → `None`).
    pub allow_groups: Option<String>,
    /// `AllowQos` (lower-cased; `ALL` → `None`).
    pub allow_qos: Option<String>,
    /// `AllocNodes` (`ALL` → `None`).
    pub allow_alloc_nodes: Option<String>,
    /// `DenyAccounts` (lower-cased; ignored when AllowAccounts is set).
    pub deny_accounts: Option<String>,
    /// `DenyQos` (lower-cased; ignored when AllowQos is set).
    pub deny_qos: Option<String>,
    /// `Alternate`.
    pub alternate: Option<String>,
    /// `QOS`.
    pub qos: Option<String>,
    /// `TRESBillingWeights`.
    pub billing_weights: Option<String>,
    /// `CpuBind` as written.
    pub cpu_bind: Option<String>,
    /// `DefCPUPerGPU` / `DefMemPerGPU` as (`JOB_DEF_*` type, value).
    pub job_defaults: Vec<(u16, u64)>,
    /// Where the PartitionName line is.
    pub at: Location,
}

impl PartitionConf {
    /// Upstream `PART_FLAG_*` bits as packed in RESPONSE_PARTITION_INFO.
    pub fn flags(&self) -> u16 {
        const DEFAULT: u16 = 0x0001;
        const HIDDEN: u16 = 0x0002;
        const NO_ROOT: u16 = 0x0004;
        const ROOT_ONLY: u16 = 0x0008;
        const REQ_RESV: u16 = 0x0010;
        const LLN: u16 = 0x0020;
        const EXCLUSIVE_USER: u16 = 0x0040;
        [
            (self.default, DEFAULT),
            (self.hidden, HIDDEN),
            (self.disable_root_jobs == Some(true), NO_ROOT),
            (self.root_only, ROOT_ONLY),
            (self.req_resv, REQ_RESV),
            (self.lln, LLN),
            (self.exclusive_user, EXCLUSIVE_USER),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, bit)| acc | bit)
    }
}

/// Upstream `JOB_DEF_CPU_PER_GPU`.
pub const JOB_DEF_CPU_PER_GPU: u16 = 1;
/// Upstream `JOB_DEF_MEM_PER_GPU`.
pub const JOB_DEF_MEM_PER_GPU: u16 = 2;

/// A `NodeSet` line: a named group of nodes by feature or list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSetConf {
    /// `NodeSet` name.
    pub name: String,
    /// `Feature`.
    pub feature: Option<String>,
    /// `Nodes` expression.
    pub nodes_expr: Option<String>,
    /// Member node indices, ascending.
    pub node_indices: Vec<usize>,
}

/// A `DownNodes` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownNodesConf {
    /// The hostlist as written.
    pub nodes: String,
    /// `Reason`.
    pub reason: Option<String>,
    /// `State` as written.
    pub state: Option<String>,
}

/// Options a PartitionName line takes from itself only, never from DEFAULT.
const NOT_DEFAULTED: [&str; 4] = [
    "DisableRootJobs",
    "ExclusiveUser",
    "SuspendTime",
    "SelectTypeParameters",
];

struct Lookup<'a> {
    line: &'a EntityLine,
    defaults: &'a HashMap<&'static str, String>,
}

impl Lookup<'_> {
    fn str(&self, key: &str) -> Option<&str> {
        self.line.options.get(key).map(String::as_str).or_else(|| {
            if NOT_DEFAULTED.contains(&key) {
                None
            } else {
                self.defaults.get(key).map(String::as_str)
            }
        })
    }

    fn parse<T>(
        &self,
        key: &str,
        f: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfError> {
        self.str(key)
            .map(|v| f(v).map_err(|r| ConfError::bad_value(&self.line.at, key, r)))
            .transpose()
    }

    fn flag(&self, key: &str) -> Result<bool, ConfError> {
        Ok(self.parse(key, values::parse_bool)?.unwrap_or(false))
    }

    fn text(&self, key: &str) -> Option<String> {
        self.str(key).map(str::to_string)
    }
}

/// `ALL` means "no restriction" for the Allow* lists.
fn unless_all(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.eq_ignore_ascii_case("ALL"))
}

fn mem_limit(l: &Lookup<'_>, per_node: &str, per_cpu: &str) -> Result<Option<MemLimit>, ConfError> {
    // Per-node wins when both are given (upstream logs and ignores per-CPU).
    if let Some(mb) = l.parse(per_node, values::parse_u64)? {
        return Ok(Some(MemLimit::PerNode(mb)));
    }
    Ok(l.parse(per_cpu, values::parse_u64)?.map(MemLimit::PerCpu))
}

/// Upstream's partition `SelectTypeParameters` (prefix match, as upstream).
fn partition_cr_type(s: &str) -> Result<u16, String> {
    use super::select_type::{CR_CORE, CR_MEMORY, CR_SOCKET};
    let lower = s.to_ascii_lowercase();
    let table = [
        ("cr_core_memory", CR_CORE | CR_MEMORY),
        ("cr_core", CR_CORE),
        ("cr_socket_memory", CR_SOCKET | CR_MEMORY),
        ("cr_socket", CR_SOCKET),
    ];
    table
        .iter()
        .find(|(p, _)| lower.starts_with(p))
        .map(|&(_, v)| v)
        .ok_or_else(|| format!("\"{s}\" is not CR_Core[_Memory] or CR_Socket[_Memory]"))
}

fn partition_state(s: &str) -> Result<PartitionState, String> {
    let lower = s.to_ascii_lowercase();
    [
        ("down", PartitionState::Down),
        ("up", PartitionState::Up),
        ("drain", PartitionState::Drain),
        ("inactive", PartitionState::Inactive),
    ]
    .iter()
    .find(|(p, _)| lower.starts_with(p))
    .map(|&(_, v)| v)
    .ok_or_else(|| format!("\"{s}\" is not UP, DOWN, DRAIN or INACTIVE"))
}

fn over_time(s: &str) -> Result<u16, String> {
    if s.eq_ignore_ascii_case("INFINITE") || s.eq_ignore_ascii_case("UNLIMITED") {
        return Ok(values::INFINITE16);
    }
    let n: i64 = s
        .trim()
        .parse()
        .map_err(|_| format!("\"{s}\" is not a number"))?;
    if n < 0 {
        return Err(format!("\"{s}\" is negative"));
    }
    // Values above the largest finite u16 mean unlimited upstream.
    Ok(u16::try_from(n)
        .ok()
        .filter(|&v| v != values::INFINITE16)
        .unwrap_or(values::INFINITE16))
}

fn suspend_time(s: &str) -> Result<TimeLimit, String> {
    if s.eq_ignore_ascii_case("INFINITE") || s == "-1" {
        return Ok(TimeLimit::Unlimited);
    }
    s.trim()
        .parse::<u32>()
        .map(TimeLimit::Finite)
        .map_err(|_| format!("\"{s}\" is not a number of seconds"))
}

/// Resolve a `Nodes=` value: `ALL`, NodeSet names and hostlists, giving
/// ascending node indices (node-table order, like a bitmap).
pub(crate) fn resolve_nodes(
    expr: &str,
    entity: &str,
    at: &Location,
    index: &HashMap<&str, usize>,
    node_count: usize,
    node_sets: &[NodeSetConf],
) -> Result<Vec<usize>, ConfError> {
    let mut member = vec![false; node_count];
    let names = hostlist::expand(expr).map_err(|source| ConfError::Hostlist {
        at: at.clone(),
        key: "Nodes".to_string(),
        source,
    })?;
    for name in &names {
        if name.eq_ignore_ascii_case("ALL") {
            member.iter_mut().for_each(|m| *m = true);
        } else if let Some(set) = node_sets.iter().find(|s| s.name == *name) {
            for &i in &set.node_indices {
                if let Some(m) = member.get_mut(i) {
                    *m = true;
                }
            }
        } else if let Some(m) = index.get(name.as_str()).and_then(|&i| member.get_mut(i)) {
            *m = true;
        } else {
            return Err(ConfError::UnknownNode {
                at: at.clone(),
                entity: entity.to_string(),
                node: name.clone(),
            });
        }
    }
    Ok(member
        .iter()
        .enumerate()
        .filter_map(|(i, &m)| m.then_some(i))
        .collect())
}

/// Build NodeSets (before partitions, which may name them).
pub(crate) fn build_node_sets(
    lines: &[EntityLine],
    nodes: &[NodeConf],
) -> Result<Vec<NodeSetConf>, ConfError> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let mut sets: Vec<NodeSetConf> = Vec::new();
    for line in lines.iter().filter(|l| l.kind == "NodeSet") {
        let feature = line.options.get("Feature").cloned();
        let nodes_expr = line.options.get("Nodes").cloned();
        let mut member: Vec<usize> = match &nodes_expr {
            Some(e) => resolve_nodes(e, &line.name, &line.at, &index, nodes.len(), &sets)?,
            None => Vec::new(),
        };
        if let Some(f) = &feature {
            member.extend(
                nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.has_feature(f))
                    .map(|(i, _)| i),
            );
            member.sort_unstable();
            member.dedup();
        }
        sets.push(NodeSetConf {
            name: line.name.clone(),
            feature,
            nodes_expr,
            node_indices: member,
        });
    }
    Ok(sets)
}

/// Build partitions in definition order.
pub(crate) fn build_partitions(
    lines: &[EntityLine],
    nodes: &[NodeConf],
    node_sets: &[NodeSetConf],
) -> Result<Vec<PartitionConf>, ConfError> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let mut defaults: HashMap<&'static str, String> = HashMap::new();
    let mut parts = Vec::new();
    for line in lines.iter().filter(|l| l.kind == "PartitionName") {
        if line.name.eq_ignore_ascii_case("DEFAULT") {
            for (k, v) in &line.options {
                defaults.insert(k, v.clone());
            }
            continue;
        }
        let l = Lookup {
            line,
            defaults: &defaults,
        };
        let at = &line.at;
        let nodes_expr = l.str("Nodes").map(|s| s.replace(char::is_whitespace, ","));
        let node_indices = match &nodes_expr {
            Some(e) => resolve_nodes(e, &line.name, at, &index, nodes.len(), node_sets)?,
            None => Vec::new(),
        };
        let priority = l.parse("Priority", values::parse_u16)?;
        let allow_accounts = unless_all(l.text("AllowAccounts").map(|s| s.to_lowercase()));
        let allow_qos = unless_all(l.text("AllowQos").map(|s| s.to_lowercase()));
        let mut job_defaults = Vec::new();
        if let Some(v) = l.parse("DefCPUPerGPU", values::parse_u64)? {
            job_defaults.push((JOB_DEF_CPU_PER_GPU, v));
        }
        if let Some(v) = l.parse("DefMemPerGPU", values::parse_u64)? {
            job_defaults.push((JOB_DEF_MEM_PER_GPU, v));
        }
        let time = |key: &str| {
            l.parse(key, |s| {
                values::time_str_to_mins(s).map_err(|e| format!("{e} (invalid {key})"))
            })
        };
        parts.push(PartitionConf {
            name: line.name.clone(),
            nodes: node_indices
                .iter()
                .filter_map(|&i| nodes.get(i))
                .map(|n| n.name.clone())
                .collect(),
            node_indices,
            nodes_expr,
            default: l.flag("Default")?,
            hidden: l.flag("Hidden")?,
            root_only: l.flag("RootOnly")?,
            req_resv: l.flag("ReqResv")?,
            lln: l.flag("LLN")?,
            exclusive_user: l.flag("ExclusiveUser")?,
            disable_root_jobs: l.parse("DisableRootJobs", values::parse_bool)?,
            max_time: time("MaxTime")?.unwrap_or(TimeLimit::Unlimited),
            default_time: time("DefaultTime")?,
            max_nodes: l
                .parse("MaxNodes", values::parse_u32)?
                .filter(|&n| n != values::INFINITE32),
            min_nodes: l.parse("MinNodes", values::parse_u32)?.unwrap_or(0),
            max_cpus_per_node: l
                .parse("MaxCPUsPerNode", values::parse_u32)?
                .filter(|&n| n != values::INFINITE32),
            def_mem: mem_limit(&l, "DefMemPerNode", "DefMemPerCPU")?,
            max_mem: mem_limit(&l, "MaxMemPerNode", "MaxMemPerCPU")?,
            grace_time: l.parse("GraceTime", values::parse_u32)?.unwrap_or(0),
            state: l
                .parse("State", partition_state)?
                .unwrap_or(PartitionState::Up),
            over_subscribe: match l.str("OverSubscribe").or_else(|| l.str("Shared")) {
                Some(s) => OverSubscribe::parse(s)
                    .map_err(|r| ConfError::bad_value(at, "OverSubscribe", r))?,
                None => OverSubscribe::No,
            },
            over_time_limit: l.parse("OverTimeLimit", over_time)?,
            preempt_mode: l.text("PreemptMode"),
            priority_job_factor: priority
                .or(l.parse("PriorityJobFactor", values::parse_u16)?)
                .unwrap_or(1),
            priority_tier: priority
                .or(l.parse("PriorityTier", values::parse_u16)?)
                .unwrap_or(1),
            resume_timeout: l.parse("ResumeTimeout", values::parse_u16)?,
            suspend_timeout: l.parse("SuspendTimeout", values::parse_u16)?,
            suspend_time: l.parse("SuspendTime", suspend_time)?,
            cr_type: l.parse("SelectTypeParameters", partition_cr_type)?,
            deny_accounts: if allow_accounts.is_some() {
                None
            } else {
                l.text("DenyAccounts").map(|s| s.to_lowercase())
            },
            deny_qos: if allow_qos.is_some() {
                None
            } else {
                l.text("DenyQos").map(|s| s.to_lowercase())
            },
            allow_accounts,
            allow_qos,
            allow_groups: unless_all(l.text("AllowGroups")),
            allow_alloc_nodes: unless_all(l.text("AllocNodes")),
            alternate: l.text("Alternate"),
            qos: l.text("QOS"),
            billing_weights: l.text("TRESBillingWeights"),
            cpu_bind: l.text("CpuBind"),
            job_defaults,
            at: at.clone(),
        });
    }
    Ok(parts)
}

/// Build DownNodes lines, checking every name is a defined node.
pub(crate) fn build_down_nodes(
    lines: &[EntityLine],
    nodes: &[NodeConf],
) -> Result<Vec<DownNodesConf>, ConfError> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    lines
        .iter()
        .filter(|l| l.kind == "DownNodes")
        .map(|line| {
            resolve_nodes(&line.name, "DownNodes", &line.at, &index, nodes.len(), &[])?;
            Ok(DownNodesConf {
                nodes: line.name.clone(),
                reason: line.options.get("Reason").cloned(),
                state: line.options.get("State").cloned(),
            })
        })
        .collect()
}
