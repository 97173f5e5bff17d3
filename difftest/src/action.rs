//! Client actions: what a sequence is made of, their one-line text form
//! (saved in case files) and the random grammar that generates them.
//!
//! A line is `USER VERB ARGS...` in shell quoting:
//! - `root submit#3 sbatch -N 2 -t 5`: a submission labelled 3; the runner
//!   appends the job script (it waits for `done/<job id>` and exits with the
//!   code written there) so that jobs end when a `complete` says so;
//! - `slurmtest run scontrol hold {job#3}`: any stock client; `{job#K}` is
//!   the id submission K got on that controller (or an id that exists
//!   nowhere when it got none), `{job#K}_1` an array task;
//! - `root complete {job#3} 2`: the job (every task of an array) exits 2.

use std::fmt;

use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::ClusterSpec;

pub const TEST_USER: &str = "slurmtest";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    Submit { label: u32 },
    Run,
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub user: String,
    pub verb: Verb,
    pub args: Vec<String>,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match &self.verb {
            Verb::Submit { label } => format!("submit#{label}"),
            Verb::Run => "run".to_string(),
            Verb::Complete => "complete".to_string(),
        };
        write!(
            f,
            "{} {verb} {}",
            self.user,
            shell_words::join(self.args.iter().map(String::as_str))
        )
    }
}

impl std::str::FromStr for Action {
    type Err = String;
    fn from_str(line: &str) -> Result<Action, String> {
        let words = shell_words::split(line).map_err(|e| format!("{line}: {e}"))?;
        let [user, verb, args @ ..] = words.as_slice() else {
            return Err(format!("{line}: want USER VERB ARGS"));
        };
        let verb = match verb.as_str() {
            "run" => Verb::Run,
            "complete" => Verb::Complete,
            v => match v.strip_prefix("submit#").and_then(|n| n.parse().ok()) {
                Some(label) => Verb::Submit { label },
                None => return Err(format!("{line}: unknown verb {v}")),
            },
        };
        Ok(Action {
            user: user.clone(),
            verb,
            args: args.to_vec(),
        })
    }
}

/// Generates a sequence of `len` actions for `spec`.
pub fn generate(rng: &mut ChaCha8Rng, spec: &ClusterSpec, len: usize) -> Vec<Action> {
    let mut g = Generator {
        rng,
        spec,
        labels: Vec::new(),
    };
    (0..len).map(|_| g.action()).collect()
}

struct Generator<'a> {
    rng: &'a mut ChaCha8Rng,
    spec: &'a ClusterSpec,
    /// Submission labels so far (with whether they were arrays).
    labels: Vec<(u32, bool)>,
}

impl Generator<'_> {
    fn user(&mut self) -> String {
        if self.rng.random_bool(0.25) {
            TEST_USER.to_string()
        } else {
            "root".to_string()
        }
    }

    fn run(&mut self, args: Vec<String>) -> Action {
        Action {
            user: self.user(),
            verb: Verb::Run,
            args,
        }
    }

    fn root(args: Vec<String>) -> Action {
        Action {
            user: "root".into(),
            verb: Verb::Run,
            args,
        }
    }

    fn action(&mut self) -> Action {
        // Submissions first and most often: everything else acts on jobs.
        if self.labels.is_empty() || self.rng.random_bool(0.4) {
            return self.submit();
        }
        match self.rng.random_range(0..100) {
            0..=19 => self.job_control(),
            20..=31 => self.job_update(),
            32..=43 => self.scancel(),
            44..=59 => self.complete(),
            60..=73 => self.node_update(),
            74..=81 => self.partition_update(),
            _ => self.submit(),
        }
    }

    fn job_ref(&mut self) -> String {
        let (label, array) = *self.labels.choose(self.rng).unwrap();
        if array && self.rng.random_bool(0.3) {
            format!("{{job#{label}}}_{}", self.rng.random_range(0..3))
        } else {
            format!("{{job#{label}}}")
        }
    }

    fn node(&mut self) -> String {
        self.spec.nodes.choose(self.rng).unwrap().name.clone()
    }

    fn partition(&mut self) -> String {
        if self.rng.random_bool(0.05) {
            return "nosuch".into();
        }
        self.spec.partitions.choose(self.rng).unwrap().name.clone()
    }

    fn submit(&mut self) -> Action {
        let label = self.labels.len() as u32 + 1;
        let mut args = vec!["sbatch".to_string()];
        let n_opts = self.rng.random_range(0..=4);
        let mut array = false;
        for _ in 0..n_opts {
            let opt = self.sbatch_option();
            array |= opt[0].starts_with("--array");
            args.extend(opt);
        }
        self.labels.push((label, array));
        Action {
            user: self.user(),
            verb: Verb::Submit { label },
            args,
        }
    }

    fn sbatch_option(&mut self) -> Vec<String> {
        let r = &mut *self.rng;
        let one = |s: &str| vec![s.to_string()];
        let two = |a: &str, b: String| vec![a.to_string(), b];
        match r.random_range(0..26) {
            0 => two(
                "-N",
                ["1", "2", "3", "0", "1-2", "5"]
                    .choose(r)
                    .unwrap()
                    .to_string(),
            ),
            1 => two(
                "-n",
                ["1", "2", "3", "4", "8"].choose(r).unwrap().to_string(),
            ),
            2 => two("-c", ["1", "2", "3", "4"].choose(r).unwrap().to_string()),
            3 => two(
                "--ntasks-per-node",
                ["1", "2"].choose(r).unwrap().to_string(),
            ),
            4 => two(
                "--mem",
                ["100", "500M", "1G", "0", "3000"]
                    .choose(r)
                    .unwrap()
                    .to_string(),
            ),
            5 => two(
                "--mem-per-cpu",
                ["100", "300", "600"].choose(r).unwrap().to_string(),
            ),
            6 => two(
                "-t",
                ["1", "5", "0:30", "2:00:00", "1-0", "UNLIMITED", "30:00"]
                    .choose(r)
                    .unwrap()
                    .to_string(),
            ),
            7 | 8 => {
                let p = self.partition();
                two("-p", p)
            }
            9 => two(
                "--begin",
                ["now+60", "now+1hour", "now"]
                    .choose(r)
                    .unwrap()
                    .to_string(),
            ),
            10 => two(
                "--deadline",
                ["now+1hour", "now+10"].choose(r).unwrap().to_string(),
            ),
            11 => two(
                "-C",
                ["fa", "fb", "fa&fb", "fa|fb", "nosuch"]
                    .choose(r)
                    .unwrap()
                    .to_string(),
            ),
            12 => {
                let n = if self.rng.random_bool(0.15) {
                    "nosuchnode".to_string()
                } else {
                    self.node()
                };
                two("-w", n)
            }
            13 => {
                let n = self.node();
                two("-x", n)
            }
            14 => one("--exclusive"),
            15 => vec![format!(
                "--array={}",
                ["0-3", "1-5%2", "0-6:2", "1,3,5", "0-2%1", "0-30"]
                    .choose(r)
                    .unwrap()
            )],
            16 | 17 if !self.labels.is_empty() => {
                let d = self.dependency();
                two("-d", d)
            }
            18 => one("--hold"),
            19 => vec![format!("--nice={}", [0, 10, 100].choose(r).unwrap())],
            20 => one(["--requeue", "--no-requeue"].choose(r).unwrap()),
            21 => one("--test-only"),
            22 if self.spec.max_gpus() > 0 => one([
                "--gres=gpu:1",
                "--gres=gpu:2",
                "--gpus-per-node=1",
                "--gres=gpu:3",
            ]
            .choose(r)
            .unwrap()),
            23 => two("-J", ["a", "b"].choose(r).unwrap().to_string()),
            24 => two("--ntasks-per-core", "1".to_string()),
            _ => one("--overcommit"),
        }
    }

    fn dependency(&mut self) -> String {
        match self.rng.random_range(0..6) {
            0 => "singleton".to_string(),
            1 => format!("{},{}", self.one_dependency(), self.one_dependency()),
            2 => format!("{}?{}", self.one_dependency(), self.one_dependency()),
            3 => "afterok:4000000".to_string(),
            _ => self.one_dependency(),
        }
    }

    fn one_dependency(&mut self) -> String {
        let kinds = ["afterok", "afternotok", "afterany", "after", "aftercorr"];
        let k = kinds.choose(self.rng).unwrap();
        let (label, _) = *self.labels.choose(self.rng).unwrap();
        format!("{k}:{{job#{label}}}")
    }

    fn job_control(&mut self) -> Action {
        let job = self.job_ref();
        let op = *[
            "hold",
            "release",
            "uhold",
            "requeue",
            "requeuehold",
            "suspend",
            "resume",
            "top",
        ]
        .choose(self.rng)
        .unwrap();
        self.run(vec!["scontrol".into(), op.into(), job])
    }

    fn job_update(&mut self) -> Action {
        let job = self.job_ref();
        let field = match self.rng.random_range(0..12) {
            0 => format!(
                "TimeLimit={}",
                ["1", "10", "2:00:00", "UNLIMITED"]
                    .choose(self.rng)
                    .unwrap()
            ),
            1 => format!("Priority={}", [0, 1, 100].choose(self.rng).unwrap()),
            2 => format!("Nice={}", [0, 50, -10].choose(self.rng).unwrap()),
            3 => format!("NumNodes={}", ["1", "2", "3"].choose(self.rng).unwrap()),
            4 => format!("Partition={}", self.partition()),
            5 => "Name=renamed".to_string(),
            6 => format!("Dependency={}", self.dependency()),
            7 => format!(
                "StartTime={}",
                ["now", "now+1hour"].choose(self.rng).unwrap()
            ),
            8 => format!("Features={}", ["fa", "fb", ""].choose(self.rng).unwrap()),
            9 => format!("ReqNodeList={}", self.node()),
            10 => format!("ExcNodeList={}", self.node()),
            _ => format!("NumCPUs={}", [1, 2, 4].choose(self.rng).unwrap()),
        };
        self.run(vec![
            "scontrol".into(),
            "update".into(),
            format!("JobId={job}"),
            field,
        ])
    }

    fn scancel(&mut self) -> Action {
        let mut args = vec!["scancel".to_string()];
        match self.rng.random_range(0..9) {
            0 => args.extend(["-u".to_string(), TEST_USER.to_string()]),
            1 => {
                let p = self.partition();
                args.extend(["-p".to_string(), p]);
            }
            2 => args.extend(["-t".to_string(), "PENDING".to_string()]),
            3 => args.extend(["-n".to_string(), "a".to_string()]),
            4 => {
                args.extend(["-s".to_string(), "USR1".to_string()]);
                args.push(self.job_ref());
            }
            5 => {
                let (label, _) = *self.labels.choose(self.rng).unwrap();
                args.push(format!("{{job#{label}}}_[1-2]"));
            }
            _ => args.push(self.job_ref()),
        }
        self.run(args)
    }

    fn complete(&mut self) -> Action {
        let (label, _) = *self.labels.choose(self.rng).unwrap();
        Action {
            user: "root".into(),
            verb: Verb::Complete,
            args: vec![
                format!("{{job#{label}}}"),
                ["0", "0", "1", "3"].choose(self.rng).unwrap().to_string(),
            ],
        }
    }

    fn node_update(&mut self) -> Action {
        let node = self.node();
        let what = match self.rng.random_range(0..6) {
            0 | 1 => vec!["State=DRAIN".to_string(), "Reason=maint".to_string()],
            2 | 3 => vec!["State=RESUME".to_string()],
            4 => vec!["State=DOWN".to_string(), "Reason=broken".to_string()],
            _ => vec![format!("Weight={}", [1, 5].choose(self.rng).unwrap())],
        };
        let mut args = vec![
            "scontrol".to_string(),
            "update".to_string(),
            format!("NodeName={node}"),
        ];
        args.extend(what);
        // Mostly root: an ordinary user's node update is one refusal.
        if self.rng.random_bool(0.1) {
            self.run(args)
        } else {
            Self::root(args)
        }
    }

    fn partition_update(&mut self) -> Action {
        let p = self.partition();
        let what = match self.rng.random_range(0..6) {
            0 => "State=DOWN".to_string(),
            1 => "State=UP".to_string(),
            2 => "State=DRAIN".to_string(),
            3 => "State=INACTIVE".to_string(),
            4 => format!("MaxTime={}", ["5", "UNLIMITED"].choose(self.rng).unwrap()),
            _ => format!("MaxNodes={}", ["1", "UNLIMITED"].choose(self.rng).unwrap()),
        };
        Self::root(vec![
            "scontrol".into(),
            "update".into(),
            format!("PartitionName={p}"),
            what,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn lines_round_trip() {
        for seed in 0..50 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let spec = ClusterSpec::generate(&mut rng);
            for a in generate(&mut rng, &spec, 12) {
                let line = a.to_string();
                let back: Action = line.parse().unwrap();
                assert_eq!(back, a, "{line}");
            }
        }
    }

    #[test]
    fn same_seed_same_sequence() {
        let gen = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let spec = ClusterSpec::generate(&mut rng);
            let actions: Vec<String> = generate(&mut rng, &spec, 10)
                .iter()
                .map(|a| a.to_string())
                .collect();
            (spec.slurm_conf(), actions)
        };
        assert_eq!(gen(7), gen(7));
        assert_ne!(gen(7), gen(8));
    }
}
