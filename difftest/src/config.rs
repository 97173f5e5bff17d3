//! A random slurm.conf from the matrix of knobs that change what the
//! controller decides: select plugin and its parameters, partition limits and
//! states, memory defaults, priority and scheduler plugins, array and job
//! count limits, node shapes, features and GPUs.

use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// One node with a slurmd of its own (`slurmd -N name`, own port).
#[derive(Debug, Clone)]
pub struct NodeSpec {
    pub name: String,
    pub sockets: u32,
    pub cores: u32,
    pub threads: u32,
    pub memory_mb: u32,
    pub features: Vec<&'static str>,
    pub gpus: u32,
}

impl NodeSpec {
    pub fn cpus(&self) -> u32 {
        self.sockets * self.cores * self.threads
    }
}

#[derive(Debug, Clone)]
pub struct PartitionSpec {
    pub name: String,
    /// Node names, or empty for `ALL`.
    pub nodes: Vec<String>,
    pub default: bool,
    /// `key=value` settings beyond Nodes/Default, in slurm.conf spelling.
    pub settings: Vec<String>,
    /// `State=` (UP unless the generator picked another).
    pub state: &'static str,
}

/// What the action generator needs to know of the cluster, and the text.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    pub nodes: Vec<NodeSpec>,
    pub partitions: Vec<PartitionSpec>,
    /// Global `key=value` lines.
    pub settings: Vec<String>,
}

/// The test user's group, for AllowGroups.
pub const TEST_GROUP: &str = "slurmtest";

impl ClusterSpec {
    pub fn generate(rng: &mut ChaCha8Rng) -> ClusterSpec {
        let nodes = generate_nodes(rng);
        let partitions = generate_partitions(rng, &nodes);
        let settings = generate_settings(rng);
        ClusterSpec {
            nodes,
            partitions,
            settings,
        }
    }

    pub fn max_gpus(&self) -> u32 {
        self.nodes.iter().map(|n| n.gpus).max().unwrap_or(0)
    }

    /// slurm.conf with the harness's tokens (`@DIR@`, `@PORT:<node>@`, ...).
    pub fn slurm_conf(&self) -> String {
        let mut s = String::from(CONF_HEADER);
        for line in &self.settings {
            s.push_str(line);
            s.push('\n');
        }
        for n in &self.nodes {
            s.push_str(&format!(
                "NodeName={} NodeAddr=127.0.0.1 NodeHostname=localhost Port=@PORT:{}@ \
                 CPUs={} Boards=1 SocketsPerBoard={} CoresPerSocket={} ThreadsPerCore={} RealMemory={}",
                n.name,
                n.name,
                n.cpus(),
                n.sockets,
                n.cores,
                n.threads,
                n.memory_mb
            ));
            if !n.features.is_empty() {
                s.push_str(&format!(" Feature={}", n.features.join(",")));
            }
            if n.gpus > 0 {
                s.push_str(&format!(" Gres=gpu:{}", n.gpus));
            }
            s.push('\n');
        }
        for p in &self.partitions {
            let nodes = if p.nodes.is_empty() {
                "ALL".to_string()
            } else {
                p.nodes.join(",")
            };
            s.push_str(&format!("PartitionName={} Nodes={nodes}", p.name));
            if p.default {
                s.push_str(" Default=YES");
            }
            for kv in &p.settings {
                s.push(' ');
                s.push_str(kv);
            }
            s.push_str(&format!(" State={}\n", p.state));
        }
        s
    }

    /// gres.conf for the GPU nodes (fake devices `@DIR@/dev/gpuN`).
    pub fn gres_conf(&self) -> Option<String> {
        let mut s = String::new();
        for n in self.nodes.iter().filter(|n| n.gpus > 0) {
            let files = if n.gpus == 1 {
                "gpu0".to_string()
            } else {
                format!("gpu[0-{}]", n.gpus - 1)
            };
            s.push_str(&format!(
                "NodeName={} Name=gpu File=@DIR@/dev/{files}\n",
                n.name
            ));
        }
        (!s.is_empty()).then_some(s)
    }
}

/// Everything that is fixed: paths, ports, auth, plugins we do not vary,
/// short timeouts so that sequences finish quickly.
const CONF_HEADER: &str = "\
ClusterName=difftest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=@CTLD_PORT@
SlurmdPort=@SLURMD_PORT@
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=@MUNGE_SOCKET@
StateSaveLocation=@DIR@/state
SlurmdSpoolDir=@DIR@/spool/slurmd-%n
SlurmctldPidFile=@DIR@/run/slurmctld.pid
SlurmdPidFile=@DIR@/run/slurmd-%n.pid
SlurmctldLogFile=@DIR@/log/slurmctld.log
SlurmdLogFile=@DIR@/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SlurmdTimeout=10
SlurmctldTimeout=120
KillWait=2
InactiveLimit=0
Waittime=0
";

fn generate_nodes(rng: &mut ChaCha8Rng) -> Vec<NodeSpec> {
    let count = rng.random_range(2..=4);
    let with_gpus = rng.random_bool(0.4);
    (1..=count)
        .map(|i| {
            let features: Vec<&'static str> = ["fa", "fb"]
                .into_iter()
                .filter(|_| rng.random_bool(0.4))
                .collect();
            NodeSpec {
                name: format!("n{i}"),
                sockets: *[1, 1, 2].choose(rng).unwrap(),
                cores: *[1, 2, 2, 4].choose(rng).unwrap(),
                threads: *[1, 1, 2].choose(rng).unwrap(),
                memory_mb: *[1000, 2000, 4000].choose(rng).unwrap(),
                features,
                gpus: if with_gpus {
                    *[0, 1, 2].choose(rng).unwrap()
                } else {
                    0
                },
            }
        })
        .collect()
}

fn generate_partitions(rng: &mut ChaCha8Rng, nodes: &[NodeSpec]) -> Vec<PartitionSpec> {
    let names = ["batch", "debug", "long"];
    let count = rng.random_range(1..=3);
    // Usually the first is the default; sometimes none is.
    let default_index = if rng.random_bool(0.9) { Some(0) } else { None };
    (0..count)
        .map(|i| {
            let node_names = if rng.random_bool(0.5) {
                Vec::new()
            } else {
                let mut picked: Vec<String> = nodes
                    .iter()
                    .filter(|_| rng.random_bool(0.6))
                    .map(|n| n.name.clone())
                    .collect();
                if picked.is_empty() {
                    picked.push(nodes[0].name.clone());
                }
                picked
            };
            PartitionSpec {
                name: names[i].to_string(),
                nodes: node_names,
                default: default_index == Some(i),
                settings: partition_settings(rng),
                state: if rng.random_bool(0.9) {
                    "UP"
                } else {
                    ["DOWN", "INACTIVE", "DRAIN"].choose(rng).unwrap()
                },
            }
        })
        .collect()
}

fn partition_settings(rng: &mut ChaCha8Rng) -> Vec<String> {
    let mut s = Vec::new();
    let max_time = [
        None,
        Some((5, "5")),
        Some((60, "1:00:00")),
        Some((1440, "1-00:00:00")),
    ]
    .choose(rng)
    .copied()
    .flatten();
    if let Some((_, text)) = max_time {
        s.push(format!("MaxTime={text}"));
    } else if rng.random_bool(0.2) {
        s.push("MaxTime=UNLIMITED".into());
    }
    let default_time = [None, Some(1), Some(30)].choose(rng).copied().flatten();
    if let Some(d) = default_time {
        // Upstream refuses a DefaultTime above MaxTime at start-up.
        if max_time.is_none_or(|(max, _)| d <= max) {
            s.push(format!("DefaultTime={d}"));
        }
    }
    let max_nodes = [None, None, None, Some(1), Some(2)].choose(rng).copied().flatten();
    if let Some(m) = max_nodes {
        s.push(format!("MaxNodes={m}"));
    }
    if let Some(m) = [None, None, None, None, Some(2)].choose(rng).copied().flatten() {
        if max_nodes.is_none_or(|max| m <= max) {
            s.push(format!("MinNodes={m}"));
        }
    }
    if rng.random_bool(0.1) {
        s.push(format!("MaxCPUsPerNode={}", rng.random_range(1..=2)));
    }
    if rng.random_bool(0.15) {
        let o = ["NO", "YES", "EXCLUSIVE", "FORCE:2"].choose(rng).unwrap();
        s.push(format!("OverSubscribe={o}"));
    }
    if rng.random_bool(0.05) {
        s.push("Hidden=YES".into());
    }
    if rng.random_bool(0.05) {
        s.push("RootOnly=YES".into());
    }
    if rng.random_bool(0.08) {
        let g = ["root", TEST_GROUP].choose(rng).unwrap();
        s.push(format!("AllowGroups={g}"));
    }
    if rng.random_bool(0.1) {
        s.push(format!("PriorityJobFactor={}", rng.random_range(1..=5)));
    }
    if rng.random_bool(0.1) {
        s.push(format!("PriorityTier={}", rng.random_range(1..=3)));
    }
    s
}

fn generate_settings(rng: &mut ChaCha8Rng) -> Vec<String> {
    let mut s = Vec::new();
    if rng.random_bool(0.8) {
        s.push("SelectType=select/cons_tres".into());
        let p = [
            "CR_Core",
            "CR_Core_Memory",
            "CR_CPU",
            "CR_CPU_Memory",
            "CR_Socket",
            "CR_Socket_Memory",
        ]
        .choose(rng)
        .unwrap();
        s.push(format!("SelectTypeParameters={p}"));
    } else {
        s.push("SelectType=select/linear".into());
        if rng.random_bool(0.5) {
            s.push("SelectTypeParameters=CR_Memory".into());
        }
    }
    if let Some(e) = [None, Some("NO"), Some("ANY"), Some("ALL")]
        .choose(rng)
        .unwrap()
    {
        s.push(format!("EnforcePartLimits={e}"));
    }
    match rng.random_range(0..4) {
        0 => s.push("DefMemPerCPU=100".into()),
        1 => s.push("DefMemPerNode=500".into()),
        _ => {}
    }
    if rng.random_bool(0.2) {
        s.push("MaxMemPerCPU=500".into());
    }
    if rng.random_bool(0.5) {
        s.push("PriorityType=priority/multifactor".into());
    } else {
        s.push("PriorityType=priority/basic".into());
    }
    // The main scheduler runs every second so that the queue settles within
    // a few seconds of each action; backfill, when chosen, every second too.
    if rng.random_bool(0.5) {
        s.push("SchedulerType=sched/backfill".into());
        let extra = ["", ",bf_continue", ",bf_window=60", ",bf_max_job_test=2"]
            .choose(rng)
            .unwrap();
        s.push(format!(
            "SchedulerParameters=sched_interval=1,bf_interval=1{extra}"
        ));
    } else {
        s.push("SchedulerType=sched/builtin".into());
        s.push("SchedulerParameters=sched_interval=1".into());
    }
    s.push(format!("MaxArraySize={}", [1001, 20].choose(rng).unwrap()));
    s.push(format!(
        "MaxJobCount={}",
        [1000, 1000, 12].choose(rng).unwrap()
    ));
    s.push(format!(
        "FirstJobId={}",
        [1, 1000, 5000].choose(rng).unwrap()
    ));
    s.push(format!("ReturnToService={}", rng.random_range(0..=2)));
    s.push("MinJobAge=300".into());
    s
}
