//! Golden files: compat-tests/expected/<test>/<step>.txt.
//!
//! `COMPAT_RECORD=1` (re)writes them — record from upstream with
//! `SLURMCTLD_BIN=/usr/sbin/slurmctld`. Otherwise every step is compared and
//! the first mismatch fails the test with a diff and the controller log tail.

use std::cell::RefCell;
use std::fs;
use std::path::PathBuf;

use similar::TextDiff;

use crate::cluster::Cluster;
use crate::conf::crate_dir;
use crate::output::Output;

pub const RECORD_ENV: &str = "COMPAT_RECORD";
/// `COMPAT_CONTINUE=1`: a mismatching step prints its diff and the test goes
/// on; it fails at the end listing every differing step (when the `Golden`
/// is dropped). For a full picture of a controller's differences.
pub const CONTINUE_ENV: &str = "COMPAT_CONTINUE";

pub struct Golden {
    test: String,
    record: bool,
    keep_going: bool,
    failed: RefCell<Vec<String>>,
}

impl Golden {
    /// Goldens for one test; `test` names the directory under `expected/`.
    pub fn new(test: &str) -> Golden {
        let on = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0");
        Golden {
            test: test.to_string(),
            record: on(RECORD_ENV),
            keep_going: on(CONTINUE_ENV),
            failed: RefCell::new(Vec::new()),
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
            fs::write(&path, &actual).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
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
            if self.keep_going {
                eprintln!(
                    "output of step `{}/{step}` differs from {}\n\
                     controller: {}\n{diff}",
                    self.test,
                    path.display(),
                    cluster.controller_bin().display(),
                );
                self.failed.borrow_mut().push(step.to_string());
                return;
            }
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

    /// Like [`Golden::run`] for `sinfo -N`: rows of the same node (one per
    /// partition) come out in a varying order even from upstream (its sort
    /// key is the node name only), so each run of rows with the same first
    /// column is sorted before recording/comparing. Node order stays checked.
    pub fn run_node_rows(&self, cluster: &Cluster, step: &str, args: &[&str]) -> Output {
        let mut out = cluster.run(args);
        out.stdout = sort_tied_rows(&out.stdout);
        self.check(cluster, step, &out);
        out
    }

    /// Runs a client as `user` and checks it.
    pub fn run_as(&self, cluster: &Cluster, step: &str, user: &str, args: &[&str]) -> Output {
        let out = cluster.run_as(user, args);
        self.check(cluster, step, &out);
        out
    }

    /// Runs a client as `user` with `stdin` and checks it.
    pub fn run_as_stdin(
        &self,
        cluster: &Cluster,
        step: &str,
        user: &str,
        args: &[&str],
        stdin: &str,
    ) -> Output {
        let out = cluster.run_as_with_stdin(user, args, stdin);
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

impl Drop for Golden {
    fn drop(&mut self) {
        let failed = self.failed.borrow();
        if !failed.is_empty() && !std::thread::panicking() {
            panic!(
                "{} step(s) of `{}` differ from upstream (diffs above): {}",
                failed.len(),
                self.test,
                failed.join(", ")
            );
        }
    }
}

/// Sorts each run of consecutive lines that share their first word.
pub fn sort_tied_rows(text: &str) -> String {
    let first = |l: &str| l.split_whitespace().next().unwrap_or("").to_string();
    let mut lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let key = first(lines[i]);
        let mut j = i + 1;
        while j < lines.len() && first(lines[j]) == key {
            j += 1;
        }
        lines[i..j].sort_unstable();
        i = j;
    }
    let mut s = lines.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn sorts_only_ties() {
        let t = "HDR\nb 2 x\nb 1 y\na 9\n";
        assert_eq!(super::sort_tied_rows(t), "HDR\nb 1 y\nb 2 x\na 9\n");
    }
}
