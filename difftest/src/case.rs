//! A case: the cluster (slurm.conf, gres.conf, nodes) and the actions, in
//! one text file that a seed generates and a shrink or a regression test
//! reads back.
//!
//! ```text
//! # difftest case (seed 42)
//! nodes n1 n2 n3
//! fake-gpus 2
//! --- slurm.conf
//! ...
//! --- gres.conf
//! ...
//! --- actions
//! root submit#1 sbatch -N 2
//! ```

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::action::{self, Action};
use crate::config::ClusterSpec;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Free text on the first line (where it came from).
    pub origin: String,
    pub nodes: Vec<String>,
    pub fake_gpus: usize,
    pub slurm_conf: String,
    pub gres_conf: Option<String>,
    pub actions: Vec<Action>,
}

impl Case {
    /// The case a seed stands for: one random cluster and `len` actions.
    pub fn from_seed(seed: u64, len: usize) -> Case {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let spec = ClusterSpec::generate(&mut rng);
        let actions = action::generate(&mut rng, &spec, len);
        Case {
            origin: format!("seed {seed}"),
            nodes: spec.nodes.iter().map(|n| n.name.clone()).collect(),
            fake_gpus: spec.max_gpus() as usize,
            slurm_conf: spec.slurm_conf(),
            gres_conf: spec.gres_conf(),
            actions,
        }
    }

    pub fn with_actions(&self, actions: Vec<Action>) -> Case {
        Case {
            actions,
            ..self.clone()
        }
    }

    pub fn to_text(&self) -> String {
        let mut s = format!("# difftest case ({})\n", self.origin);
        s.push_str(&format!("nodes {}\n", self.nodes.join(" ")));
        s.push_str(&format!("fake-gpus {}\n", self.fake_gpus));
        s.push_str("--- slurm.conf\n");
        s.push_str(&self.slurm_conf);
        if let Some(g) = &self.gres_conf {
            s.push_str("--- gres.conf\n");
            s.push_str(g);
        }
        s.push_str("--- actions\n");
        for a in &self.actions {
            s.push_str(&a.to_string());
            s.push('\n');
        }
        s
    }

    pub fn parse(text: &str) -> Result<Case, String> {
        let mut case = Case {
            origin: String::new(),
            nodes: Vec::new(),
            fake_gpus: 0,
            slurm_conf: String::new(),
            gres_conf: None,
            actions: Vec::new(),
        };
        let mut section = "";
        for line in text.lines() {
            if let Some(name) = line.strip_prefix("--- ") {
                section = match name {
                    "slurm.conf" => "slurm.conf",
                    "gres.conf" => {
                        case.gres_conf = Some(String::new());
                        "gres.conf"
                    }
                    "actions" => "actions",
                    other => return Err(format!("unknown section {other}")),
                };
                continue;
            }
            match section {
                "" => {
                    if let Some(o) = line.strip_prefix("# difftest case (") {
                        case.origin = o.trim_end_matches(')').to_string();
                    } else if let Some(n) = line.strip_prefix("nodes ") {
                        case.nodes = n.split_whitespace().map(String::from).collect();
                    } else if let Some(g) = line.strip_prefix("fake-gpus ") {
                        case.fake_gpus = g.trim().parse().map_err(|e| format!("{line}: {e}"))?;
                    }
                }
                "slurm.conf" => {
                    case.slurm_conf.push_str(line);
                    case.slurm_conf.push('\n');
                }
                "gres.conf" => {
                    let g = case.gres_conf.as_mut().unwrap();
                    g.push_str(line);
                    g.push('\n');
                }
                _ => {
                    if !line.trim().is_empty() && !line.starts_with('#') {
                        case.actions.push(line.parse()?);
                    }
                }
            }
        }
        if case.slurm_conf.is_empty() || case.nodes.is_empty() {
            return Err("a case needs nodes and a slurm.conf section".into());
        }
        Ok(case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip() {
        for seed in 0..30 {
            let case = Case::from_seed(seed, 10);
            assert_eq!(Case::parse(&case.to_text()).unwrap(), case);
        }
    }
}
