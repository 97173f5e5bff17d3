//! The slice of slurm.conf one slurmd needs: which node it is, where it
//! listens, where it keeps its files (`_read_config` in
//! `src/slurmd/slurmd/slurmd.c`, `slurm_conf_expand_slurmd_path` in
//! `src/common/read_config.c`).

use std::path::PathBuf;

use wire::conf::{NodeConf, SlurmConf};

/// Why the node's settings could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `-N NAME` names a node slurm.conf does not define.
    #[error("node name {0} not found in slurm.conf")]
    UnknownNode(String),
    /// No NodeName line matches this host and `-N` was not given.
    #[error("unable to determine this slurmd's NodeName (host {0}); use -N")]
    NoNodeForHost(String),
    /// The port does not fit a TCP port.
    #[error("invalid port {0}")]
    BadPort(u32),
}

/// What one slurmd instance is and where it keeps things.
#[derive(Debug, Clone)]
pub struct NodeSettings {
    /// `NodeName` this daemon acts as (`conf->node_name`).
    pub node_name: String,
    /// The node's `NodeHostname` (`conf->hostname` as used for paths).
    pub node_hostname: String,
    /// The node's slurm.conf record.
    pub node: NodeConf,
    /// Port to listen on: the node's `Port=`, else `SlurmdPort`.
    pub port: u16,
    /// `SlurmdSpoolDir` with `%n`/`%h` expanded.
    pub spool_dir: PathBuf,
    /// `SlurmdLogFile` with `%n`/`%h` expanded.
    pub log_file: Option<PathBuf>,
    /// `SlurmdPidFile` with `%n`/`%h` expanded.
    pub pid_file: PathBuf,
    /// `TmpFS`.
    pub tmp_fs: String,
    /// `KillWait` seconds.
    pub kill_wait: u16,
    /// `SlurmdDebug` level.
    pub debug_level: u16,
}

/// Replaces the first `%h` with `host_name` and the first `%n` with
/// `node_name`, as upstream's `xstrsubstitute` does.
pub fn expand_slurmd_path(path: &str, node_name: &str, host_name: &str) -> String {
    let s = path.replacen("%h", host_name, 1);
    s.replacen("%n", node_name, 1)
}

/// Finds this daemon's node: `-N NAME` when given, else the node whose
/// `NodeHostname` (or name) is this host, else a node named `localhost`.
pub fn find_node<'a>(
    conf: &'a SlurmConf,
    node_name: Option<&str>,
    host: &str,
) -> Result<&'a NodeConf, ConfigError> {
    if let Some(name) = node_name {
        return conf
            .nodes
            .iter()
            .find(|n| n.name == name)
            .ok_or_else(|| ConfigError::UnknownNode(name.to_string()));
    }
    conf.nodes
        .iter()
        .find(|n| n.hostname == host)
        .or_else(|| conf.nodes.iter().find(|n| n.name == host))
        .or_else(|| conf.nodes.iter().find(|n| n.name == "localhost"))
        .ok_or_else(|| ConfigError::NoNodeForHost(host.to_string()))
}

impl NodeSettings {
    /// Works out this daemon's settings from slurm.conf.
    pub fn resolve(
        conf: &SlurmConf,
        node_name: Option<&str>,
        host: &str,
    ) -> Result<Self, ConfigError> {
        let node = find_node(conf, node_name, host)?.clone();
        let port32 = node.port.map_or(conf.slurmd_port, u32::from);
        let port = u16::try_from(port32).map_err(|_| ConfigError::BadPort(port32))?;
        let expand = |p: &str| expand_slurmd_path(p, &node.name, &node.hostname);
        Ok(NodeSettings {
            node_name: node.name.clone(),
            node_hostname: node.hostname.clone(),
            port,
            spool_dir: PathBuf::from(expand(&conf.slurmd_spooldir)),
            log_file: conf
                .slurmd_logfile
                .as_deref()
                .map(|p| PathBuf::from(expand(p))),
            pid_file: PathBuf::from(expand(&conf.slurmd_pidfile)),
            tmp_fs: conf.tmp_fs.clone(),
            kill_wait: conf.kill_wait,
            debug_level: conf.slurmd_debug,
            node,
        })
    }
}

/// `SLURM_WORKING_CLUSTER` as upstream's `setup_env` sets it:
/// `cluster:controller_addr:slurmctld_port:protocol_version:select_plugin_id`.
pub fn working_cluster(conf: &SlurmConf) -> String {
    let addr = conf
        .control_hosts
        .first()
        .map_or("(null)", |h| h.addr.as_str());
    let select_id = match conf.select_type.as_str() {
        "select/cons_res" => 101,
        "select/linear" => 102,
        "select/cray_aries" => 108,
        _ => 109, // select/cons_tres
    };
    format!(
        "{}:{}:{}:{}:{}",
        conf.cluster_name.as_deref().unwrap_or("(null)"),
        addr,
        conf.slurmctld_port,
        wire::version::ProtocolVersion::V22_05.0,
        select_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "\
ClusterName=test
SlurmctldHost=head(10.0.0.1)
SlurmdSpoolDir=/var/spool/slurmd/%n
SlurmdPidFile=/run/slurmd-%n.pid
SlurmdLogFile=/var/log/slurm/%h-%n.log
SlurmdPort=6818
NodeName=n1 NodeHostname=vm Port=17001 CPUs=2
NodeName=n2 NodeHostname=vm Port=17002 CPUs=2
NodeName=other CPUs=1
";

    fn conf() -> SlurmConf {
        SlurmConf::from_str(CONF, "/etc/slurm/slurm.conf").unwrap()
    }

    #[test]
    fn expand_first_occurrence_only() {
        assert_eq!(expand_slurmd_path("/a/%n/%h/%n", "n1", "vm"), "/a/n1/vm/%n");
    }

    #[test]
    fn resolve_by_name_and_port() {
        let c = conf();
        let s = NodeSettings::resolve(&c, Some("n2"), "whatever").unwrap();
        assert_eq!(s.node_name, "n2");
        assert_eq!(s.port, 17002);
        assert_eq!(s.spool_dir, PathBuf::from("/var/spool/slurmd/n2"));
        assert_eq!(s.pid_file, PathBuf::from("/run/slurmd-n2.pid"));
        assert_eq!(s.log_file, Some(PathBuf::from("/var/log/slurm/vm-n2.log")));
        let s = NodeSettings::resolve(&c, Some("other"), "x").unwrap();
        assert_eq!(s.port, 6818);
        assert!(matches!(
            NodeSettings::resolve(&c, Some("nope"), "x"),
            Err(ConfigError::UnknownNode(_))
        ));
    }

    #[test]
    fn resolve_by_host() {
        let c = conf();
        assert_eq!(
            NodeSettings::resolve(&c, None, "vm").unwrap().node_name,
            "n1"
        );
        assert_eq!(
            NodeSettings::resolve(&c, None, "other").unwrap().node_name,
            "other"
        );
        assert!(matches!(
            NodeSettings::resolve(&c, None, "zzz"),
            Err(ConfigError::NoNodeForHost(_))
        ));
    }

    #[test]
    fn working_cluster_string() {
        // SelectType defaults to select/linear (read_config.c DEFAULT_SELECT_TYPE).
        assert_eq!(working_cluster(&conf()), "test:10.0.0.1:6817:9728:102");
    }
}
