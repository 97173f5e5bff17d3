//! Comparing two transcripts, and shrinking a case to the fewest actions
//! that still show the same kind of difference (delta debugging, ddmin).

use similar::TextDiff;

use crate::case::Case;
use crate::run::{run_case, Side, Transcript};

/// The first place two transcripts differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// 1-based step; 0 = the cluster did not start on one side.
    pub step: usize,
    /// `output` (the action's own) or the observing command.
    pub section: String,
    pub action: String,
    pub expected: String,
    pub actual: String,
}

impl Difference {
    /// What a shrink must keep: the same section differing. The step moves
    /// as actions go.
    pub fn kind(&self) -> &str {
        &self.section
    }

    pub fn render(&self) -> String {
        let diff = TextDiff::from_lines(&self.expected, &self.actual)
            .unified_diff()
            .context_radius(2)
            .header("upstream", "slurm-rs")
            .to_string();
        format!(
            "step {} `{}`, {}:\n{diff}",
            self.step, self.action, self.section
        )
    }
}

/// Outcome of one case on both sides.
#[derive(Debug)]
pub enum Verdict {
    Same,
    Differs(Difference),
    /// Upstream did not take the generated config (not a finding).
    UpstreamRefused(String),
}

pub fn compare(
    upstream: &Result<Transcript, String>,
    ours: &Result<Transcript, String>,
) -> Verdict {
    let up = match upstream {
        Err(e) => return Verdict::UpstreamRefused(e.clone()),
        Ok(t) => t,
    };
    let ours = match ours {
        Err(e) => {
            return Verdict::Differs(Difference {
                step: 0,
                section: "start".into(),
                action: "start the cluster".into(),
                expected: "started\n".into(),
                actual: format!("{e}\n"),
            })
        }
        Ok(t) => t,
    };
    for (i, (u, o)) in up.steps.iter().zip(&ours.steps).enumerate() {
        let diff = |section: &str, expected: &str, actual: &str| {
            Verdict::Differs(Difference {
                step: i + 1,
                section: section.to_string(),
                action: u.action.clone(),
                expected: expected.to_string(),
                actual: actual.to_string(),
            })
        };
        if u.output != o.output {
            return diff("output", &u.output, &o.output);
        }
        for ((cmd, ue), (_, oe)) in u.observed.iter().zip(&o.observed) {
            if ue != oe {
                return diff(cmd, ue, oe);
            }
        }
    }
    Verdict::Same
}

/// Runs `case` on both sides at once (one cluster each).
pub fn run_both(
    case: &Case,
    upstream: &Side,
    ours: &Side,
) -> (Result<Transcript, String>, Result<Transcript, String>) {
    std::thread::scope(|s| {
        let u = s.spawn(|| guarded(case, upstream));
        let o = s.spawn(|| guarded(case, ours));
        (u.join().unwrap(), o.join().unwrap())
    })
}

/// A panic in the harness (a client that hung) is an error of that side.
fn guarded(case: &Case, side: &Side) -> Result<Transcript, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(case, side))).unwrap_or_else(
        |p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            Err(format!("{} side panicked: {msg}", side.name))
        },
    )
}

/// ddmin over the actions: the smallest sequence (1-minimal within the
/// trial budget) on which the sides still differ in the same section.
/// Upstream is re-run for every candidate: its answer depends on the
/// sequence. Returns the case and its difference.
pub fn shrink(
    case: &Case,
    found: &Difference,
    upstream: &Side,
    ours: &Side,
    max_trials: usize,
    log: &dyn Fn(&str),
) -> (Case, Difference) {
    let mut best = (case.clone(), found.clone());
    // Actions after the differing step cannot matter.
    if found.step > 0 && found.step < case.actions.len() {
        let cut = case.with_actions(case.actions[..found.step].to_vec());
        if let Some(d) = still_differs(&cut, found, upstream, ours) {
            best = (cut, d);
        }
    }
    let mut trials = 1;
    let mut n = 2;
    while best.0.actions.len() >= 2 && trials < max_trials {
        let actions = best.0.actions.clone();
        let chunk = actions.len().div_ceil(n);
        let mut reduced = false;
        for start in (0..actions.len()).step_by(chunk) {
            if trials >= max_trials {
                break;
            }
            // The complement: everything but this chunk.
            let candidate: Vec<_> = actions[..start]
                .iter()
                .chain(actions[(start + chunk).min(actions.len())..].iter())
                .cloned()
                .collect();
            if candidate.is_empty() {
                continue;
            }
            trials += 1;
            let c = best.0.with_actions(candidate);
            if let Some(d) = still_differs(&c, found, upstream, ours) {
                log(&format!("shrink: {} actions still differ", c.actions.len()));
                best = (c, d);
                n = (n - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if n >= actions.len() {
                break;
            }
            n = (n * 2).min(actions.len());
        }
    }
    best
}

fn still_differs(
    case: &Case,
    found: &Difference,
    upstream: &Side,
    ours: &Side,
) -> Option<Difference> {
    let (u, o) = run_both(case, upstream, ours);
    match compare(&u, &o) {
        Verdict::Differs(d) if d.kind() == found.kind() => Some(d),
        _ => None,
    }
}
