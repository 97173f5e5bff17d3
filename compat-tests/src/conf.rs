//! Renders `compat-tests/conf/slurm.conf.in` (controller only) or
//! `conf/slurm-nodes.conf.in` (with slurmds) for one cluster.

use std::path::{Path, PathBuf};

/// Directory of the crate (templates, scripts, goldens live below it).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct ConfValues<'a> {
    pub dir: &'a Path,
    pub munge_socket: &'a Path,
    pub ctld_port: u16,
    pub slurmd_port: u16,
    /// Hostlist of the nodes (`n[1-4]`); only in `slurm-nodes.conf.in`.
    pub nodes: &'a str,
    /// One port per node, comma separated (a Port= hostlist).
    pub slurmd_ports: &'a str,
    /// (node, port) for the `@PORT:<node>@` tokens of custom layouts.
    pub node_ports: Vec<(String, u16)>,
}

/// Substitutes every `@TOKEN@` of the template; fails on any left over so a
/// typo in the template cannot silently reach slurmctld.
pub fn render(template: &str, v: &ConfValues) -> Result<String, String> {
    let mut out = template.to_string();
    for (node, port) in &v.node_ports {
        out = out.replace(&format!("@PORT:{node}@"), &port.to_string());
    }
    let out = out
        .replace("@DIR@", &v.dir.display().to_string())
        .replace("@MUNGE_SOCKET@", &v.munge_socket.display().to_string())
        .replace("@CTLD_PORT@", &v.ctld_port.to_string())
        .replace("@SLURMD_PORTS@", v.slurmd_ports)
        .replace("@SLURMD_PORT@", &v.slurmd_port.to_string())
        .replace("@NODES@", v.nodes);
    if let Some(line) = out.lines().find(|l| !l.starts_with('#') && l.contains('@')) {
        return Err(format!(
            "unsubstituted token in the slurm.conf template: {line}"
        ));
    }
    Ok(out)
}

/// `conf/<name>`, e.g. `slurm.conf.in` or `slurm-nodes.conf.in`.
pub fn template(name: &str) -> Result<String, String> {
    let path = crate_dir().join("conf").join(name);
    std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))
}
