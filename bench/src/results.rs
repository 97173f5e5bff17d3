//! Figures collected over repetitions, for upstream and ours, printed as
//! markdown tables of medians with the ratio ours/upstream.

use std::collections::HashMap;

/// Which controller a figure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Upstream = 0,
    Ours = 1,
}

/// Whether a larger or a smaller figure is the better one.
#[derive(Debug, Clone, Copy)]
pub enum Better {
    Higher,
    Lower,
}

struct Row {
    section: String,
    unit: String,
    better: Better,
    vals: [Vec<f64>; 2],
}

#[derive(Default)]
pub struct Results {
    order: Vec<String>,
    rows: HashMap<String, Row>,
}

pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

fn fmt(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

impl Results {
    pub fn record(
        &mut self,
        section: &str,
        name: &str,
        unit: &str,
        better: Better,
        side: Side,
        v: f64,
    ) {
        eprintln!("bench:   {:?} {name} = {} {unit}", side, fmt(v));
        if !self.rows.contains_key(name) {
            self.order.push(name.to_string());
            self.rows.insert(
                name.to_string(),
                Row {
                    section: section.into(),
                    unit: unit.into(),
                    better,
                    vals: [vec![], vec![]],
                },
            );
        }
        self.rows.get_mut(name).unwrap().vals[side as usize].push(v);
    }

    pub fn median(&self, name: &str, side: Side) -> Option<f64> {
        self.rows
            .get(name)
            .and_then(|r| median(&r.vals[side as usize]))
    }

    /// One markdown table per section, medians over the recorded reps.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let mut section = String::new();
        // Sections are numbered; rows keep their first-recorded order within one.
        let mut order: Vec<&String> = self.order.iter().collect();
        order.sort_by_key(|n| self.rows[*n].section.clone());
        for name in order {
            let r = &self.rows[name];
            if r.section != section {
                section = r.section.clone();
                out.push_str(&format!(
                    "\n### {section}\n\n| measure | unit | upstream 22.05 | slurmctld-rs | ours/upstream | better |\n|---|---|---|---|---|---|\n"
                ));
            }
            let up = median(&r.vals[0]);
            let ours = median(&r.vals[1]);
            let show = |m: Option<f64>, v: &Vec<f64>| match m {
                Some(m) => format!("{} (n={})", fmt(m), v.len()),
                None => "-".into(),
            };
            let ratio = match (up, ours) {
                (Some(u), Some(o)) if u != 0.0 => format!("{:.2}×", o / u),
                _ => "-".into(),
            };
            let better = match r.better {
                Better::Higher => "higher",
                Better::Lower => "lower",
            };
            out.push_str(&format!(
                "| {name} | {} | {} | {} | {ratio} | {better} |\n",
                r.unit,
                show(up, &r.vals[0]),
                show(ours, &r.vals[1])
            ));
        }
        out
    }
}
