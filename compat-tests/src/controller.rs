//! Which controller binary the tests drive.
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
    if let Some(bin) = std::env::var_os(BIN_ENV).filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("{BIN_ENV}={} does not exist", bin.display()))
        };
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("../target"));
    // Prefer the most recently built profile so a fresh `--release` build is
    // not shadowed by an old debug one (or vice versa).
    let newest = ["debug", "release"]
        .iter()
        .map(|p| target.join(p).join("slurmctld-rs"))
        .filter_map(|p| {
            let m = p.metadata().ok()?.modified().ok()?;
            Some((m, p))
        })
        .max();
    match newest {
        Some((_, p)) => Ok(p),
        None => Err(format!(
            "slurmctld-rs not found under {}/{{debug,release}}; run `cargo build -p slurmctld-rs` \
             first, or set {BIN_ENV}=/usr/sbin/slurmctld to test upstream",
            target.display()
        )),
    }
}

