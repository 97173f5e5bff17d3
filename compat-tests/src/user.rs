//! The ordinary (non-root) user some tests act as.

use std::process::Command;
use std::sync::Mutex;

/// Name of the unprivileged test user, created on demand.
pub const TEST_USER: &str = "slurmtest";

static CREATE: Mutex<()> = Mutex::new(());

/// Creates [`TEST_USER`] with `useradd` if it does not exist (the harness runs
/// as root). Serialised because parallel tests may all ask at once.
pub fn ensure_test_user() -> Result<(), String> {
    let _guard = CREATE.lock().unwrap_or_else(|p| p.into_inner());
    let exists = |u: &str| {
        Command::new("id")
            .arg(u)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if exists(TEST_USER) {
        return Ok(());
    }
    let out = Command::new("useradd")
        .args(["-m", "-s", "/bin/bash", TEST_USER])
        .output()
        .map_err(|e| format!("running useradd: {e}"))?;
    if !out.status.success() && !exists(TEST_USER) {
        return Err(format!(
            "useradd {TEST_USER} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}
