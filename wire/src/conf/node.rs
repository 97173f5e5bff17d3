//! NodeName lines → the node table (upstream `_parse_nodename` in
//! `src/common/read_config.c`, `_register_conf_node_aliases` /
//! `build_all_nodeline_info` in `node_conf.c`).

use std::collections::{HashMap, HashSet};

use super::error::{ConfError, Location};
use super::raw::EntityLine;
use super::values;
use crate::hostlist;

/// One node as slurm.conf defines it (upstream `slurm_conf_node_t`
/// expanded to one record per name; `config_record_t` + `node_record_t`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConf {
    /// `NodeName`, one name of the expanded hostlist.
    pub name: String,
    /// `NodeHostname` matched by position; defaults to the name.
    pub hostname: String,
    /// `NodeAddr` matched by position; defaults to the hostname.
    pub addr: String,
    /// `BcastAddr`.
    pub bcast_addr: Option<String>,
    /// `Port` matched by position; `None` means SlurmdPort.
    pub port: Option<u16>,
    /// `CPUs` (or `Procs`), derived when missing.
    pub cpus: u16,
    /// `Boards`.
    pub boards: u16,
    /// Total sockets (`Sockets`, or Boards*SocketsPerBoard, or derived).
    pub sockets: u16,
    /// `CoresPerSocket`.
    pub cores_per_socket: u16,
    /// `ThreadsPerCore`.
    pub threads_per_core: u16,
    /// `RealMemory` in MB.
    pub real_memory: u64,
    /// `TmpDisk` in MB.
    pub tmp_disk: u32,
    /// `Weight` (INFINITE is stored as INFINITE-1 as upstream does).
    pub weight: u32,
    /// `Gres`.
    pub gres: Option<String>,
    /// `Feature`/`Features`.
    pub features: Option<String>,
    /// `State` as written (e.g. `UNKNOWN`, `CLOUD`, `FUTURE`); `None` = unset.
    pub state: Option<String>,
    /// `Reason`.
    pub reason: Option<String>,
    /// `CoreSpecCount`.
    pub core_spec_count: u16,
    /// `CPUSpecList`.
    pub cpu_spec_list: Option<String>,
    /// `MemSpecLimit` in MB.
    pub mem_spec_limit: u64,
    /// `CpuBind` as written.
    pub cpu_bind: Option<String>,
    /// `TRESWeights`.
    pub tres_weights: Option<String>,
    /// Where the NodeName line is.
    pub at: Location,
}

impl NodeConf {
    /// Whether `feature` is one of this node's comma-separated features.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features
            .as_deref()
            .is_some_and(|f| f.split(',').any(|x| x == feature))
    }
}

/// Options a NodeName line reads from itself only, never from NodeName=DEFAULT.
const NOT_DEFAULTED: [&str; 3] = ["NodeHostname", "NodeAddr", "BcastAddr"];

/// The values of one NodeName line, falling back to the DEFAULT line.
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

    fn num<T>(
        &self,
        key: &str,
        parse: fn(&str) -> values::ValueResult<T>,
    ) -> Result<Option<T>, ConfError> {
        self.str(key)
            .map(|v| parse(v).map_err(|r| ConfError::bad_value(&self.line.at, key, r)))
            .transpose()
    }
}

fn expand_at(expr: &str, key: &str, at: &Location) -> Result<Vec<String>, ConfError> {
    hostlist::expand(expr).map_err(|source| ConfError::Hostlist {
        at: at.clone(),
        key: key.to_string(),
        source,
    })
}

/// Build the node table from the NodeName lines, in definition order.
pub(crate) fn build_nodes(lines: &[EntityLine]) -> Result<Vec<NodeConf>, ConfError> {
    let mut defaults: HashMap<&'static str, String> = HashMap::new();
    let mut nodes: Vec<NodeConf> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for line in lines.iter().filter(|l| l.kind == "NodeName") {
        let at = &line.at;
        if line.name.eq_ignore_ascii_case("DEFAULT") {
            if line.options.contains_key("NodeAddr") {
                return Err(ConfError::bad_value(
                    at,
                    "NodeAddr",
                    "NodeAddr not allowed with NodeName=DEFAULT",
                ));
            }
            // A later DEFAULT line overrides the keys it names and keeps the rest.
            for (k, v) in &line.options {
                defaults.insert(k, v.clone());
            }
            continue;
        }
        if line.name.eq_ignore_ascii_case("ALL") {
            return Err(ConfError::bad_value(
                at,
                "NodeName",
                "'ALL' is a reserved word disallowed for use with NodeName",
            ));
        }
        let l = Lookup {
            line,
            defaults: &defaults,
        };
        let shape = derive_shape(&l)?;

        let names = expand_at(&line.name, "NodeName", at)?;
        let hostnames = match l.str("NodeHostname") {
            Some(h) => expand_at(h, "NodeHostname", at)?,
            None => names.clone(),
        };
        let addrs = match l.str("NodeAddr") {
            Some(a) => expand_at(a, "NodeAddr", at)?,
            None => hostnames.clone(),
        };
        // Debian's Slurm is built with MULTIPLE_SLURMD (several slurmd per
        // host), where one NodeAddr may serve every name of the line and a
        // short NodeHostname list repeats its last entry.
        if addrs.len() != names.len() && addrs.len() != 1 {
            return Err(ConfError::bad_value(
                at,
                "NodeAddr",
                "NodeAddr count must equal that of NodeName records of there must be no more than one",
            ));
        }
        let ports: Vec<u16> = match l.str("Port") {
            None => Vec::new(),
            // A bare list or range ("17001-17004", "1,2") is a port list:
            // upstream brackets it before reading it as a hostlist.
            Some(p) => {
                let bracketed;
                let p = if !p.starts_with('[') && (p.contains('-') || p.contains(',')) {
                    bracketed = format!("[{p}]");
                    bracketed.as_str()
                } else {
                    p
                };
                expand_at(p, "Port", at)?
            }
            .iter()
            .map(|s| values::parse_u16(s).map_err(|r| ConfError::bad_value(at, "Port", r)))
            .collect::<Result<_, _>>()?,
        };
        if ports.len() > 1 && ports.len() != names.len() {
            return Err(ConfError::bad_value(
                at,
                "Port",
                "Port count must equal that of NodeName records or there must be no more than one",
            ));
        }

        // This line's Feature or Features before either from DEFAULT.
        let features = ["Feature", "Features"]
            .iter()
            .find_map(|k| line.options.get(*k))
            .or_else(|| {
                ["Feature", "Features"]
                    .iter()
                    .find_map(|k| defaults.get(*k))
            })
            .cloned();
        let weight = match l.num("Weight", values::parse_u32)? {
            // Upstream keeps INFINITE out of the weight field.
            Some(values::INFINITE32) => values::INFINITE32 - 1,
            Some(w) => w,
            None => 1,
        };
        let tmp_disk = l.num("TmpDisk", values::parse_u32)?.unwrap_or(0);

        for (i, name) in names.iter().enumerate() {
            if !seen.insert(name.clone()) {
                return Err(ConfError::DuplicateNode {
                    at: at.clone(),
                    node: name.clone(),
                });
            }
            nodes.push(NodeConf {
                name: name.clone(),
                hostname: hostnames
                    .get(i)
                    .or(hostnames.last())
                    .cloned()
                    .unwrap_or_else(|| name.clone()),
                addr: addrs
                    .get(i)
                    .or(addrs.last())
                    .cloned()
                    .unwrap_or_else(|| name.clone()),
                bcast_addr: l.str("BcastAddr").map(str::to_string),
                port: if ports.len() == 1 {
                    ports.first().copied()
                } else {
                    ports.get(i).copied()
                },
                cpus: shape.cpus,
                boards: shape.boards,
                sockets: shape.sockets,
                cores_per_socket: shape.cores,
                threads_per_core: shape.threads,
                real_memory: shape.real_memory,
                tmp_disk,
                weight,
                gres: l.str("Gres").map(str::to_string),
                features: features.clone(),
                state: l.str("State").map(str::to_string),
                reason: l.str("Reason").map(str::to_string),
                core_spec_count: shape.core_spec_count,
                cpu_spec_list: l.str("CPUSpecList").map(str::to_string),
                mem_spec_limit: shape.mem_spec_limit,
                cpu_bind: l.str("CpuBind").map(str::to_string),
                tres_weights: l.str("TRESWeights").map(str::to_string),
                at: at.clone(),
            });
        }
    }
    Ok(nodes)
}

/// The hardware shape of one NodeName line after upstream's fix-ups.
struct Shape {
    cpus: u16,
    boards: u16,
    sockets: u16,
    cores: u16,
    threads: u16,
    real_memory: u64,
    core_spec_count: u16,
    mem_spec_limit: u64,
}

/// Upstream's rules for filling in CPUs/Sockets/Boards when some are
/// missing or inconsistent (`_parse_nodename`). Zeros are reset to 1;
/// Sockets comes from SocketsPerBoard*Boards, else CPUs/(cores*threads) when
/// that divides evenly, else Boards; CPUs defaults to sockets*cores*threads
/// and is reset to that product when it matches no level of the topology.
fn derive_shape(l: &Lookup<'_>) -> Result<Shape, ConfError> {
    let u16_of = |k: &str| l.num(k, values::parse_u16);
    let mut boards = u16_of("Boards")?.unwrap_or(1);
    let mut cores = u16_of("CoresPerSocket")?.unwrap_or(1);
    let mut threads = u16_of("ThreadsPerCore")?.unwrap_or(1);
    let cpus_given = match u16_of("CPUs")? {
        Some(c) => Some(c),
        None => u16_of("Procs")?,
    };
    let sockets_given = u16_of("Sockets")?;
    let spb_given = u16_of("SocketsPerBoard")?;
    let real_memory = l.num("RealMemory", values::parse_u64)?.unwrap_or(1);
    let mut core_spec_count = u16_of("CoreSpecCount")?.unwrap_or(0);
    let mut mem_spec_limit = l.num("MemSpecLimit", values::parse_u64)?.unwrap_or(0);

    let mut cpus = cpus_given.unwrap_or(1).max(1);
    cores = cores.max(1);
    threads = threads.max(1);
    let sockets_per_board = spb_given.unwrap_or(1).max(1);
    let mut sockets = sockets_given.unwrap_or(1).max(1);
    boards = boards.max(1);
    // Sockets and SocketsPerBoard together: upstream ignores Sockets.
    let derive_sockets = sockets_given.is_none() || spb_given.is_some();

    let cpus_u32 = u32::from(cpus);
    let per_socket = u32::from(cores) * u32::from(threads);
    if derive_sockets {
        sockets = if spb_given.is_some() {
            clamp16(u32::from(boards) * u32::from(sockets_per_board))
        } else if cpus_given.is_some() && cpus_u32 / per_socket > 0 && cpus_u32 % per_socket == 0 {
            clamp16(cpus_u32 / per_socket)
        } else {
            boards
        };
    }
    let full = u32::from(sockets) * per_socket;
    if cpus_given.is_none() {
        cpus = clamp16(full);
    }
    if sockets < boards {
        boards = 1;
    }
    let cpus_u32 = u32::from(cpus);
    if cpus_u32 != u32::from(sockets)
        && cpus_u32 != u32::from(sockets) * u32::from(cores)
        && cpus_u32 != full
    {
        cpus = clamp16(full);
    }
    if u32::from(core_spec_count) >= u32::from(sockets) * u32::from(cores) {
        core_spec_count = 1;
    }
    if core_spec_count > 0 && l.str("CPUSpecList").is_some() {
        core_spec_count = 0;
    }
    if mem_spec_limit >= real_memory {
        mem_spec_limit = 0;
    }
    Ok(Shape {
        cpus,
        boards,
        sockets,
        cores,
        threads,
        real_memory,
        core_spec_count,
        mem_spec_limit,
    })
}

/// Upstream stores these products in uint16_t; saturate instead of wrapping.
fn clamp16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod port_range_tests {
    use crate::conf::SlurmConf;

    #[test]
    fn a_bare_port_range_gives_one_port_per_node() {
        let text = "SlurmctldHost=h\nNodeName=n[1-3] NodeAddr=127.0.0.1 Port=17001-17003\nPartitionName=p Nodes=ALL\n";
        let conf = SlurmConf::from_str(text, "t.conf").expect("parses");
        let ports: Vec<Option<u16>> = conf.nodes.iter().map(|n| n.port).collect();
        assert_eq!(ports, vec![Some(17001), Some(17002), Some(17003)]);
    }
}
