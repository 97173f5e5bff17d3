//! Which controller (and node daemon) binaries the tests drive.
//!
//! `SLURMCTLD_BIN` wins (upstream mode: `SLURMCTLD_BIN=/usr/sbin/slurmctld`).
//! Otherwise we use our `slurmctld-rs` from the workspace target directory.
//! We deliberately do *not* run `cargo build` from inside the tests: `cargo
//! test` holds the build-directory lock while tests run, so a nested build
//! would block. Build it first: `cargo build -p slurmctld-rs`.

use std::path::PathBuf;

use crate::conf::crate_dir;

pub const BIN_ENV: &str = "SLURMCTLD_BIN";

pub fn controller_bin() -> Result<PathBuf, String> {
    daemon_bin(BIN_ENV, "slurmctld-rs", "/usr/sbin/slurmctld")
}

pub const SLURMD_BIN_ENV: &str = "SLURMD_BIN";

/// The node daemon: `SLURMD_BIN` (upstream: `/usr/sbin/slurmd`), else our
/// `slurmd-rs` from the target directory.
pub fn slurmd_bin() -> Result<PathBuf, String> {
    daemon_bin(SLURMD_BIN_ENV, "slurmd-rs", "/usr/sbin/slurmd")
}

fn daemon_bin(env: &str, ours: &str, stock: &str) -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("{env}={} does not exist", bin.display()))
        };
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("../target"));
    // Prefer the most recently built profile so a fresh `--release` build is
    // not shadowed by an old debug one (or vice versa).
    let newest = ["debug", "release"]
        .iter()
        .map(|p| target.join(p).join(ours))
        .filter_map(|p| {
            let m = p.metadata().ok()?.modified().ok()?;
            Some((m, p))
        })
        .max();
    match newest {
        Some((_, p)) => Ok(p),
        None => Err(format!(
            "{ours} not found under {}/{{debug,release}}; run `cargo build -p {ours}` \
             first, or set {env}={stock} to use upstream's",
            target.display()
        )),
    }
}
