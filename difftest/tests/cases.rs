//! Every case the differential tester found and that is fixed
//! (`difftest/cases/*/`): replayed on slurmctld-rs with Debian's stock
//! slurmd nodes (as recorded), the clients must print what upstream printed
//! (`expected.txt`, recorded from upstream's slurmctld).

use std::path::{Path, PathBuf};

use difftest::run::Side;

fn ours() -> PathBuf {
    if let Some(b) = std::env::var_os("SLURMCTLD_BIN") {
        return PathBuf::from(b);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    ["debug", "release"]
        .iter()
        .map(|p| target.join(p).join("slurmctld-rs"))
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
        .expect("build slurmctld-rs first (cargo build -p slurmctld-rs)")
}

#[test]
fn found_cases_match_upstream() {
    let slurmd =
        PathBuf::from(std::env::var("DIFFTEST_SLURMD").unwrap_or("/usr/sbin/slurmd".into()));
    assert!(
        slurmd.exists(),
        "{} missing: scripts/install-deps",
        slurmd.display()
    );
    let side = Side {
        name: "slurmctld-rs".into(),
        controller: ours(),
        slurmd,
    };
    let cases_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.join("expected.txt").exists())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases under {}", cases_dir.display());
    // Cases run two at a time: each waits mostly for the controller to settle.
    let failures: Vec<String> = dirs
        .chunks(2)
        .flat_map(|pair| {
            std::thread::scope(|s| {
                let handles: Vec<_> = pair
                    .iter()
                    .map(|d| s.spawn(|| difftest::replay(d, &side)))
                    .collect();
                handles
                    .into_iter()
                    .filter_map(|h| h.join().unwrap().err())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from upstream:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
    eprintln!("{} cases match upstream", dirs.len());
}
