//! Runs a case on one controller and records what the stock clients print:
//! each action's own output, then the cluster seen through `scontrol`,
//! `squeue` and `sinfo` once the controller's state is quiet.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use compat_tests::{Cluster, ClusterOpts, CustomLayout, Output};
use regex::Regex;

use crate::action::{Action, Verb};
use crate::case::Case;

/// The daemons of one side of the comparison.
#[derive(Debug, Clone)]
pub struct Side {
    pub name: String,
    pub controller: PathBuf,
    pub slurmd: PathBuf,
}

/// What a case printed on one side, step by step, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The action line as in the case.
    pub action: String,
    /// The action's own output (empty for `complete`).
    pub output: String,
    /// (command, output) of every observation once the state was quiet.
    pub observed: Vec<(String, String)>,
}

/// How the cluster is looked at after each action. Fields that change by
/// themselves (elapsed time, load) are not asked for or are normalized.
pub const OBSERVE: &[&[&str]] = &[
    &[
        "squeue",
        "-a",
        "-h",
        "-o",
        "%i|%P|%j|%u|%T|%r|%D|%C|%m|%l|%N|%E|%Q|%f|%b|%n|%x|%h",
    ],
    // The default format less TIME (elapsed time changes by itself).
    &["squeue", "-o", "%.18i %.9P %.8j %.8u %.2t %.6D %R"],
    &["squeue", "-a", "--start"],
    &["scontrol", "show", "job"],
    &["scontrol", "show", "node"],
    &["scontrol", "show", "partition"],
    &["sinfo"],
    &["sinfo", "-R"],
];

/// The state counts as quiet once every observation is unchanged this long.
/// Longer than the scheduler intervals the generated configs use (1 s).
const QUIET: Duration = Duration::from_millis(2500);
/// Upper bound on waiting for quiet (a timer-driven change may never stop,
/// e.g. a job running out its time limit); then the last snapshot counts.
const QUIET_MAX: Duration = Duration::from_secs(30);

/// A job id no controller will have handed out (submissions that got none).
pub const NO_SUCH_JOB: &str = "4000000";

/// The job script: waits for `done/<job id>` (the array's id for every task)
/// and exits with the code written there.
const JOB_SCRIPT: &str = r#"f=done/${SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}; while [ ! -e "$f" ]; do sleep 0.2; done; exit $(cat "$f")"#;

impl Transcript {
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            let _ = writeln!(s, "### step {}: {}", i + 1, step.action);
            s.push_str(&step.output);
            for (cmd, out) in &step.observed {
                let _ = writeln!(s, "## {cmd}");
                s.push_str(out);
            }
        }
        s
    }
}

/// A case being run on one side, one action at a time.
pub struct Runner<'a> {
    case: &'a Case,
    side: &'a Side,
    cluster: Cluster,
    ids: HashMap<u32, String>,
    next: usize,
}

impl<'a> Runner<'a> {
    /// Starts the side's cluster for `case`; Err when it does not come up
    /// (which is itself a difference if the other side's did).
    pub fn start(case: &'a Case, side: &'a Side) -> Result<Runner<'a>, String> {
        let opts = ClusterOpts {
            controller_bin: Some(side.controller.clone()),
            slurmd_bin: Some(side.slurmd.clone()),
            custom: Some(CustomLayout {
                slurm_conf: case.slurm_conf.clone(),
                node_names: case.nodes.clone(),
                gres_conf: case.gres_conf.clone(),
                fake_gpus: case.fake_gpus,
            }),
            ..ClusterOpts::default()
        };
        let mut cluster = Cluster::try_start(opts).map_err(|e| e.to_string())?;
        // Values only this runner's observations have that vary by themselves.
        cluster.normalize(r"\bCPULoad=\S+", "CPULoad=<LOAD>");
        cluster.normalize(r"\bFreeMem=\S+", "FreeMem=<MEM>");
        // The kernel slurmd reports differs between the machine that
        // recorded a case and the one replaying it.
        cluster.normalize(r"(?m)^(\s*)OS=.*$", "${1}OS=<OS>");
        // Seconds a job ran before it was suspended: elapsed time (zero,
        // for a job never suspended, stays as it is).
        cluster.normalize(r"\bSecsPreSuspend=[1-9]\d*", "SecsPreSuspend=<SECS>");
        // Which pass started a job (main or backfill, both every second
        // here) is a race in upstream itself.
        cluster.normalize(r"\bScheduler=(Main|Backfill)", "Scheduler=<SCHED>");
        let done = cluster.dir().join("done");
        fs::create_dir_all(&done).map_err(|e| e.to_string())?;
        fs::set_permissions(&done, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
        Ok(Runner {
            case,
            side,
            cluster,
            ids: HashMap::new(),
            next: 0,
        })
    }

    /// Performs the next action and observes the quiet state after it;
    /// None when every action is done.
    pub fn step(&mut self) -> Option<Result<Step, String>> {
        let action = self.case.actions.get(self.next)?;
        self.next += 1;
        let t0 = Instant::now();
        let output = match perform(&self.cluster, action, &mut self.ids) {
            Ok(o) => o,
            Err(e) => return Some(Err(e)),
        };
        let observed = observe_quiet(&self.cluster);
        if std::env::var_os("DIFFTEST_TRACE").is_some() {
            eprintln!(
                "{}: {:.1} s: {action}",
                self.side.name,
                t0.elapsed().as_secs_f64()
            );
        }
        Some(Ok(Step {
            action: action.to_string(),
            output,
            observed,
        }))
    }
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        if std::env::var_os("DIFFTEST_KEEP").is_some() {
            eprintln!(
                "difftest: kept {} ({})",
                self.cluster.keep_dir().display(),
                self.side.name
            );
        }
    }
}

/// Runs every action of `case` on `side` and returns the transcript.
pub fn run_case(case: &Case, side: &Side) -> Result<Transcript, String> {
    let mut runner = Runner::start(case, side)?;
    let mut steps = Vec::new();
    while let Some(step) = runner.step() {
        steps.push(step?);
    }
    Ok(Transcript { steps })
}

fn submitted_id(stdout: &str) -> Option<String> {
    let re = Regex::new(r"Submitted batch job (\d+)").unwrap();
    re.captures(stdout).map(|c| c[1].to_string())
}

/// `{job#K}` -> the id submission K got here.
fn resolve(arg: &str, ids: &HashMap<u32, String>) -> String {
    let re = Regex::new(r"\{job#(\d+)\}").unwrap();
    re.replace_all(arg, |c: &regex::Captures| {
        let label: u32 = c[1].parse().unwrap_or(0);
        ids.get(&label)
            .cloned()
            .unwrap_or_else(|| NO_SUCH_JOB.to_string())
    })
    .into_owned()
}

fn perform(
    cluster: &Cluster,
    action: &Action,
    ids: &mut HashMap<u32, String>,
) -> Result<String, String> {
    let args: Vec<String> = action.args.iter().map(|a| resolve(a, ids)).collect();
    match &action.verb {
        Verb::Complete => {
            let [job, code] = args.as_slice() else {
                return Err(format!("complete wants JOB CODE: {action}"));
            };
            let f = cluster.dir().join("done").join(job);
            fs::write(&f, format!("{code}\n")).map_err(|e| e.to_string())?;
            Ok(String::new())
        }
        Verb::Submit { label } => {
            let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
            argv.extend(["-o", "/dev/null", "--wrap", JOB_SCRIPT]);
            let out = exec(cluster, &action.user, &argv);
            if let Some(id) = submitted_id(&out.stdout) {
                ids.insert(*label, id);
            }
            Ok(render(cluster, &out))
        }
        Verb::Run => {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            Ok(render(cluster, &exec(cluster, &action.user, &argv)))
        }
    }
}

/// Runs an action's client. Bounded: sbatch retries for minutes when the
/// controller says EAGAIN (MaxJobCount reached); its first message is what
/// both controllers are compared on (exit -1 = killed).
fn exec(cluster: &Cluster, user: &str, argv: &[&str]) -> Output {
    let mut bounded = vec!["timeout", "-s", "KILL", "8"];
    bounded.extend_from_slice(argv);
    let mut out = if user == "root" {
        cluster.run(&bounded)
    } else {
        cluster.run_as(user, &bounded)
    };
    if out.exit_code == 137 {
        out.exit_code = -1;
    }
    out
}

fn render(cluster: &Cluster, out: &Output) -> String {
    let n = cluster.normalizer();
    format!(
        "exit {}\n{}{}",
        out.exit_code,
        n.apply(&out.stdout),
        n.apply(&out.stderr)
            .lines()
            .map(|l| format!("stderr: {l}\n"))
            .collect::<String>()
    )
}

fn observe(cluster: &Cluster) -> Vec<(String, String)> {
    OBSERVE
        .iter()
        .map(|argv| {
            let out = cluster.run(argv);
            (argv.join(" "), render(cluster, &out))
        })
        .collect()
}

/// Observes until nothing has changed for [`QUIET`] (at most [`QUIET_MAX`]).
fn observe_quiet(cluster: &Cluster) -> Vec<(String, String)> {
    let start = Instant::now();
    let mut last = observe(cluster);
    let mut since = Instant::now();
    while since.elapsed() < QUIET && start.elapsed() < QUIET_MAX {
        std::thread::sleep(Duration::from_millis(300));
        let now = observe(cluster);
        if now != last && std::env::var_os("DIFFTEST_TRACE").is_some() {
            for (a, b) in now.iter().zip(&last) {
                if a != b {
                    eprintln!("changed: {}", a.0);
                }
            }
        }
        if now != last {
            last = now;
            since = Instant::now();
        }
    }
    last
}
