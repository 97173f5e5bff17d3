//! The differential tester: a seed picks a slurm.conf and a sequence of
//! stock-client actions; the sequence runs on upstream's slurmctld and on
//! slurmctld-rs (the same stock slurmd nodes under each), and what the
//! clients print is compared step by step. A difference is shrunk to a
//! minimal sequence and saved as a case whose upstream transcript a
//! regression test replays without upstream. See `difftest/README.md`.

pub mod action;
pub mod case;
pub mod compare;
pub mod config;
pub mod run;

use std::path::Path;

/// Runs the case in `dir` (`case.txt`) on `side` and compares its
/// transcript with upstream's recorded one (`expected.txt`); Err is the diff.
pub fn replay(dir: &Path, side: &run::Side) -> Result<(), String> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| format!("reading {}/{name}: {e}", dir.display()))
    };
    let case = case::Case::parse(&read("case.txt")?)?;
    let expected = read("expected.txt")?;
    let actual = run::run_case(&case, side)?.to_text();
    if actual == expected {
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header("upstream (expected.txt)", &side.name)
        .to_string();
    Err(format!("{}: differs from upstream\n{diff}", dir.display()))
}
