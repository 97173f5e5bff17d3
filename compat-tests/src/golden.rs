//! Golden files: compat-tests/expected/<test>/<step>.txt.
//!
//! `COMPAT_RECORD=1` (re)writes them — record from upstream with
//! `SLURMCTLD_BIN=/usr/sbin/slurmctld`. Otherwise every step is compared and
//! the first mismatch fails the test with a diff and the controller log tail.

use std::fs;
use std::path::PathBuf;

use similar::TextDiff;

use crate::cluster::Cluster;
use crate::conf::crate_dir;
use crate::output::Output;

pub const RECORD_ENV: &str = "COMPAT_RECORD";

pub struct Golden {
    test: String,
    record: bool,
}

impl Golden {
    /// Goldens for one test; `test` names the directory under `expected/`.
    pub fn new(test: &str) -> Golden {
        let record = std::env::var(RECORD_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
        Golden {
            test: test.to_string(),
            record,
        }
    }

    pub fn path(&self, step: &str) -> PathBuf {
        crate_dir()
            .join("expected")
            .join(&self.test)
            .join(format!("{step}.txt"))
    }

    /// The normalized golden text of an output.
    pub fn render(cluster: &Cluster, out: &Output) -> String {
        let n = cluster.normalizer();
        let mut s = format!(
            "# command: {}\n# user: {}\n# exit: {}\n## stdout\n",
            n.apply(&out.command),
            out.user,
            out.exit_code
        );
        s.push_str(&n.apply(&out.stdout));
        s.push_str("## stderr\n");
        s.push_str(&n.apply(&out.stderr));
        s
    }

    /// Records or compares `out` as step `step`.
    pub fn check(&self, cluster: &Cluster, step: &str, out: &Output) {
        let actual = Self::render(cluster, out);
        let path = self.path(step);
        if self.record {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &actual)
                .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            return;
        }
        let expected = fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "no golden {} ({e}); record with SLURMCTLD_BIN=/usr/sbin/slurmctld {RECORD_ENV}=1\n\
                 actual output:\n{actual}",
                path.display()
            )
        });
        if expected != actual {
            let diff = TextDiff::from_lines(&expected, &actual)
                .unified_diff()
                .context_radius(3)
                .header("expected (upstream golden)", "actual")
                .to_string();
            panic!(
                "output of step `{}/{step}` differs from {}\n\
                 controller: {}\n{diff}\n--- controller log tail ---\n{}",
                self.test,
                path.display(),
                cluster.controller_bin().display(),
                cluster.log_tail(40)
            );
        }
    }

    /// Runs a client as root and checks it; returns the raw output.
    pub fn run(&self, cluster: &Cluster, step: &str, args: &[&str]) -> Output {
        let out = cluster.run(args);
        self.check(cluster, step, &out);
        out
    }

    /// Runs a client as `user` and checks it.
    pub fn run_as(&self, cluster: &Cluster, step: &str, user: &str, args: &[&str]) -> Output {
        let out = cluster.run_as(user, args);
        self.check(cluster, step, &out);
        out
    }

    /// Runs a client as root with `stdin` (e.g. an sbatch script) and checks it.
    pub fn run_stdin(&self, cluster: &Cluster, step: &str, args: &[&str], stdin: &str) -> Output {
        let out = cluster.run_with_stdin(args, stdin);
        self.check(cluster, step, &out);
        out
    }
}
