//! Comparing two transcripts, and shrinking a case to the fewest actions
//! that still show the same kind of difference (delta debugging, ddmin).

use similar::TextDiff;

use crate::case::Case;
use std::sync::mpsc;

use crate::run::{Runner, Side, Step, Transcript};

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

/// Compares two transcripts (or start failures) step by step.
pub fn compare(
    upstream: &Result<Transcript, String>,
    ours: &Result<Transcript, String>,
) -> Verdict {
    let up = match upstream {
        Err(e) => return Verdict::UpstreamRefused(e.clone()),
        Ok(t) => t,
    };
    let ours = match ours {
        Err(e) => return Verdict::Differs(start_failure(e)),
        Ok(t) => t,
    };
    for (i, (u, o)) in up.steps.iter().zip(&ours.steps).enumerate() {
        if let Some(d) = compare_step(i + 1, u, o) {
            return Verdict::Differs(d);
        }
    }
    Verdict::Same
}

fn start_failure(e: &str) -> Difference {
    Difference {
        step: 0,
        section: "start".into(),
        action: "start the cluster".into(),
        expected: "started\n".into(),
        actual: format!("{e}\n"),
    }
}

/// The first section of step `n` that differs.
pub fn compare_step(n: usize, u: &Step, o: &Step) -> Option<Difference> {
    let diff = |section: &str, expected: &str, actual: &str| Difference {
        step: n,
        section: section.to_string(),
        action: u.action.clone(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    };
    if u.output != o.output {
        return Some(diff("output", &u.output, &o.output));
    }
    u.observed
        .iter()
        .zip(&o.observed)
        .find(|((_, ue), (_, oe))| ue != oe)
        .map(|((cmd, ue), (_, oe))| diff(cmd, ue, oe))
}

/// Runs `case` on both sides in lockstep (one cluster each, side by side)
/// and stops at the first step that differs.
pub fn run_compare(case: &Case, upstream: &Side, ours: &Side) -> Verdict {
    std::thread::scope(|s| {
        let (up_tx, up_rx) = mpsc::channel();
        let (our_tx, our_rx) = mpsc::channel();
        let (up_go, up_wait) = mpsc::channel::<bool>();
        let (our_go, our_wait) = mpsc::channel::<bool>();
        s.spawn(move || drive(case, upstream, up_tx, up_wait));
        s.spawn(move || drive(case, ours, our_tx, our_wait));
        let go = |more: bool| {
            let _ = up_go.send(more);
            let _ = our_go.send(more);
        };
        let verdict = lockstep(&up_rx, &our_rx, &go);
        // Both runners stop (and tear their clusters down).
        go(false);
        verdict
    })
}

/// What a side reports: its start, then each step.
enum Report {
    Started(Result<(), String>),
    Step(Result<Step, String>),
    Finished,
}

fn lockstep(
    up: &mpsc::Receiver<Report>,
    ours: &mpsc::Receiver<Report>,
    go: &dyn Fn(bool),
) -> Verdict {
    let (Ok(Report::Started(u)), Ok(Report::Started(o))) = (up.recv(), ours.recv()) else {
        return Verdict::UpstreamRefused("a side died before starting".into());
    };
    if let Err(e) = u {
        return Verdict::UpstreamRefused(e);
    }
    if let Err(e) = o {
        return Verdict::Differs(start_failure(&e));
    }
    let mut n = 0;
    loop {
        go(true);
        n += 1;
        match (up.recv(), ours.recv()) {
            (Ok(Report::Step(Ok(u))), Ok(Report::Step(Ok(o)))) => {
                if let Some(d) = compare_step(n, &u, &o) {
                    return Verdict::Differs(d);
                }
            }
            (Ok(Report::Step(Err(e))), _) => {
                return Verdict::UpstreamRefused(format!("upstream failed at step {n}: {e}"))
            }
            (_, Ok(Report::Step(Err(e)))) => {
                return Verdict::Differs(Difference {
                    step: n,
                    section: "harness".into(),
                    action: String::new(),
                    expected: String::new(),
                    actual: e,
                })
            }
            _ => return Verdict::Same,
        }
    }
}

/// One side: start, then one step per `true` from the coordinator.
fn drive(case: &Case, side: &Side, tx: mpsc::Sender<Report>, go: mpsc::Receiver<bool>) {
    let started = catch(side, || Runner::start(case, side));
    let mut runner = match started {
        Ok(r) => {
            let _ = tx.send(Report::Started(Ok(())));
            r
        }
        Err(e) => {
            let _ = tx.send(Report::Started(Err(e)));
            return;
        }
    };
    while let Ok(true) = go.recv() {
        let report = match catch(side, || Ok(runner.step())) {
            Ok(Some(step)) => Report::Step(step),
            Ok(None) => Report::Finished,
            Err(e) => Report::Step(Err(e)),
        };
        let last = !matches!(report, Report::Step(Ok(_)));
        if tx.send(report).is_err() || last {
            return;
        }
    }
}

/// A panic in the harness (a client that hung) is an error of that side.
fn catch<T>(side: &Side, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into());
        Err(format!("{} side panicked: {msg}", side.name))
    })
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
    match run_compare(case, upstream, ours) {
        Verdict::Differs(d) if d.kind() == found.kind() => Some(d),
        _ => None,
    }
}
