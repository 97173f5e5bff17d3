//! One throwaway Slurm cluster: temp dir, private munged, rendered
//! slurm.conf, the controller under test and, with `ClusterOpts::nodes > 0`,
//! that many node daemons (`slurmd -D -N nX`, one port each) on this host.
//! Without nodes no slurmd runs and the nodes never register.

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::conf::{self, crate_dir, ConfValues};
use crate::controller;
use crate::normalize::Normalizer;
use crate::output::Output;
use crate::ports::free_ports;
use crate::user::ensure_test_user;
use testkit::Daemon;
use testkit::Munged;

/// How long a client command may take before we kill it and fail.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the controller may take to answer `scontrol ping` after start.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Grace period for SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(30);
/// How long all slurmds may take to register (every node `idle`).
const NODES_TIMEOUT: Duration = Duration::from_secs(60);
/// Environment variable put on every daemon we start, valued with the
/// cluster's temp dir. slurmd passes its environment on to slurmstepd, so
/// this finds the job-step daemons a killed slurmd leaves behind.
const CLUSTER_MARK_ENV: &str = "COMPAT_CLUSTER";

/// The harness's own settings. sbatch exports the submitter's environment
/// into the job, where `env | grep ^SLURM` would see them, and they differ
/// between the upstream and our runs.
const HARNESS_ENV: &[&str] = &[
    "SLURMCTLD_BIN",
    "SLURMD_BIN",
    "COMPAT_RECORD",
    "COMPAT_KEEP",
];

/// Env var prefixes that change client behaviour (SQUEUE_FORMAT, SBATCH_*,
/// SLURM_*...). None of them may leak from the caller's environment.
const CLIENT_ENV_PREFIXES: &[&str] = &[
    "SLURM_",
    "SBATCH_",
    "SQUEUE_",
    "SINFO_",
    "SCONTROL_",
    "SCANCEL_",
    "SALLOC_",
    "SRUN_",
];

#[derive(Debug, Clone, Default)]
pub struct ClusterOpts {
    /// Controller executable; default: `SLURMCTLD_BIN` or our `slurmctld-rs`.
    pub controller_bin: Option<PathBuf>,
    /// Start the controller with `-c` (ignore saved state). Off by default.
    pub clean_start: bool,
    /// Node daemons to run: 0 (default) = none, with the controller-only
    /// `conf/slurm.conf.in`; N > 0 = nodes `n1`..`nN` from
    /// `conf/slurm-nodes.conf.in`, one slurmd each, all `idle` before
    /// `start` returns.
    pub nodes: usize,
    /// Node daemon executable; default: `SLURMD_BIN` or our `slurmd-rs`.
    pub slurmd_bin: Option<PathBuf>,
    /// Lines appended to slurm.conf (`@DIR@` = the cluster directory).
    pub extra_conf: Vec<String>,
    /// Executable scripts (name, text with `@DIR@`) written into the
    /// cluster directory before any daemon starts (daemons check
    /// Prolog/Epilog paths at start).
    pub scripts: Vec<(String, String)>,
    /// A whole slurm.conf of the caller's instead of the crate's templates
    /// (the differential tester renders one per seed).
    pub custom: Option<CustomLayout>,
}

/// A cluster whose slurm.conf and gres.conf the caller writes. Tokens as in
/// the templates (`@DIR@`, `@MUNGE_SOCKET@`, `@CTLD_PORT@`, `@SLURMD_PORT@`)
/// plus `@PORT:<node>@`, the free port picked for that node's slurmd.
#[derive(Debug, Clone, Default)]
pub struct CustomLayout {
    pub slurm_conf: String,
    /// The nodes that get a slurmd, in start order.
    pub node_names: Vec<String>,
    /// gres.conf text (same tokens); None = no gres.conf.
    pub gres_conf: Option<String>,
    /// Character devices `<DIR>/dev/gpu0..N-1` for gres.conf's `File=`.
    pub fake_gpus: usize,
}

impl ClusterOpts {
    /// A cluster of `n` nodes with a slurmd each (see [`ClusterOpts::nodes`]).
    pub fn with_nodes(n: usize) -> ClusterOpts {
        ClusterOpts {
            nodes: n,
            ..ClusterOpts::default()
        }
    }
}

/// One node: its name and its slurmd (None while killed).
struct Node {
    name: String,
    daemon: Option<Daemon>,
}

#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error(s)
    }
}

pub struct Cluster {
    // Field order is drop order: slurmds, controller, then munged, then the
    // dir (Drop also kills them explicitly, and the jobs' processes).
    nodes: Vec<Node>,
    slurmd_bin: Option<PathBuf>,
    ctld: Option<Daemon>,
    munged: Munged,
    bin: PathBuf,
    conf: PathBuf,
    normalizer: Normalizer,
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl Cluster {
    /// Starts a cluster, panicking with a readable message on failure.
    pub fn start(opts: ClusterOpts) -> Cluster {
        Cluster::try_start(opts).unwrap_or_else(|e| panic!("cluster failed to start:\n{e}"))
    }

    pub fn try_start(opts: ClusterOpts) -> Result<Cluster, Error> {
        // Ports are picked free but released before the controller binds
        // them, so a parallel test (or anything else) may grab one first.
        // That shows as EADDRINUSE in the log; start over on fresh ports.
        const ATTEMPTS: usize = 3;
        for attempt in 1.. {
            match Cluster::try_start_once(opts.clone()) {
                Err(e) if attempt < ATTEMPTS && e.0.contains("Address already in use") => {
                    eprintln!("compat-tests: port clash, retrying cluster start:\n{e}");
                }
                result => return result,
            }
        }
        unreachable!()
    }

    fn try_start_once(opts: ClusterOpts) -> Result<Cluster, Error> {
        let bin = match opts.controller_bin {
            Some(b) => b,
            None => controller::controller_bin()?,
        };
        let node_names: Vec<String> = match &opts.custom {
            Some(custom) => custom.node_names.clone(),
            None => (1..=opts.nodes).map(|i| format!("n{i}")).collect(),
        };
        let slurmd_bin = match (node_names.len(), opts.slurmd_bin) {
            (0, _) => None,
            (_, Some(b)) => Some(b),
            (_, None) => Some(
                controller::slurmd_bin()
                    .map_err(|e| format!("this test runs jobs and needs a node daemon: {e}"))?,
            ),
        };
        let dir = tempfile::Builder::new()
            .prefix("compat-")
            .tempdir()
            .map_err(|e| format!("creating temp dir: {e}"))?;
        let path = dir.path().to_path_buf();
        // World-readable: clients run as the test user read slurm.conf and
        // use the directory as their working directory.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
        for sub in ["state", "log", "run", "spool"] {
            fs::create_dir_all(path.join(sub)).map_err(|e| format!("mkdir {sub}: {e}"))?;
        }
        let log_dir = path.join("log");
        let munged = Munged::start(&path, &log_dir)?;

        let ports =
            free_ports(2 + node_names.len()).map_err(|e| format!("finding free ports: {e}"))?;
        let (ctld_port, slurmd_port) = (ports[0], ports[1]);
        let node_ports = &ports[2..];
        let nodes_expr = match (&opts.custom, node_names.len()) {
            (Some(_), _) => node_names.join(","),
            (None, 0) => String::new(),
            (None, 1) => "n1".to_string(),
            (None, n) => format!("n[1-{n}]"),
        };
        let ports_expr = node_ports
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let template = if opts.nodes > 0 {
            "slurm-nodes.conf.in"
        } else {
            "slurm.conf.in"
        };
        let values = ConfValues {
            dir: &path,
            munge_socket: &munged.socket,
            ctld_port,
            slurmd_port,
            nodes: &nodes_expr,
            slurmd_ports: &ports_expr,
            node_ports: node_names
                .iter()
                .cloned()
                .zip(node_ports.iter().copied())
                .collect(),
        };
        let conf_text = match &opts.custom {
            Some(custom) => conf::render(&custom.slurm_conf, &values)?,
            None => conf::render(&conf::template(template)?, &values)?,
        };
        for (name, text) in &opts.scripts {
            let file = path.join(name);
            fs::write(&file, text.replace("@DIR@", &path.display().to_string()))
                .map_err(|e| format!("writing {name}: {e}"))?;
            fs::set_permissions(&file, fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("chmod {name}: {e}"))?;
        }
        let mut conf_text = conf_text;
        for line in &opts.extra_conf {
            conf_text.push_str(&line.replace("@DIR@", &path.display().to_string()));
            conf_text.push('\n');
        }
        let conf = path.join("slurm.conf");
        fs::write(&conf, conf_text).map_err(|e| format!("writing slurm.conf: {e}"))?;
        let (gres_template, fake_gpus) = match &opts.custom {
            Some(custom) => (custom.gres_conf.clone(), custom.fake_gpus),
            None if opts.nodes > 0 => (Some(conf::template("gres.conf.in")?), 2),
            None => (None, 0),
        };
        if let Some(gres_template) = gres_template {
            let gres = conf::render(&gres_template, &values)?;
            fs::write(path.join("gres.conf"), gres)
                .map_err(|e| format!("writing gres.conf: {e}"))?;
        }
        if fake_gpus > 0 {
            make_fake_gpus(&path.join("dev"), fake_gpus)?;
        }

        let mut normalizer = Normalizer::new()
            .literal(path.display().to_string(), "<DIR>")
            .literal(crate_dir().display().to_string(), "<CRATE>")
            .port(ctld_port, "<CTLD_PORT>")
            .port(slurmd_port, "<SLURMD_PORT>");
        if !node_names.is_empty() {
            // The dir's own name shows up alone too (e.g. as a unique
            // marker in a job's command line).
            if let Some(name) = path.file_name() {
                normalizer = normalizer.literal(name.to_string_lossy(), "<DIR_NAME>");
            }
            for p in node_ports {
                normalizer = normalizer.port(*p, "<NODE_PORT>");
            }
            normalizer = normalizer.running_jobs();
        }

        let mut cluster = Cluster {
            nodes: node_names
                .into_iter()
                .map(|name| Node { name, daemon: None })
                .collect(),
            slurmd_bin,
            ctld: None,
            munged,
            bin,
            conf,
            normalizer,
            dir: Some(dir),
            path,
        };
        cluster.start_controller(opts.clean_start)?;
        if !cluster.nodes.is_empty() {
            let names: Vec<String> = cluster.nodes.iter().map(|n| n.name.clone()).collect();
            for name in &names {
                cluster.start_node(name)?;
            }
            cluster.wait_nodes_idle()?;
        }
        Ok(cluster)
    }

    /// Names of the cluster's nodes that have a slurmd (`n1`..`nN`).
    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    pub fn slurmd_bin(&self) -> Option<&Path> {
        self.slurmd_bin.as_deref()
    }

    /// Pid of the slurmd of `node`, None while it is killed.
    pub fn node_pid(&self, node: &str) -> Option<u32> {
        self.nodes
            .iter()
            .find(|n| n.name == node)
            .and_then(|n| n.daemon.as_ref())
            .and_then(|d| d.pid())
    }

    fn node_mut(&mut self, node: &str) -> &mut Node {
        self.nodes
            .iter_mut()
            .find(|n| n.name == node)
            .unwrap_or_else(|| panic!("no node {node} in this cluster"))
    }

    /// Starts `BIN -D -N node -f slurm.conf` (the spool dir must exist
    /// first: upstream's slurmd does not create it).
    fn start_node(&mut self, node: &str) -> Result<(), Error> {
        let bin = self.slurmd_bin.clone().expect("cluster has no node daemon");
        let spool = self.path.join("spool").join(format!("slurmd-{node}"));
        fs::create_dir_all(&spool).map_err(|e| format!("mkdir {}: {e}", spool.display()))?;
        let mut cmd = Command::new(&bin);
        cmd.arg("-D").arg("-N").arg(node).arg("-f").arg(&self.conf);
        cmd.current_dir(&self.path);
        scrub_env(&mut cmd);
        cmd.env("SLURM_CONF", &self.conf)
            .env(CLUSTER_MARK_ENV, &self.path);
        let out = self.path.join(format!("log/slurmd-{node}.out"));
        let daemon = Daemon::spawn(&format!("slurmd {node}"), cmd, &out)
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        self.node_mut(node).daemon = Some(daemon);
        Ok(())
    }

    /// Polls `scontrol show node` until every node is IDLE (NODES_TIMEOUT); fails early
    /// if a slurmd exits.
    fn wait_nodes_idle(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + NODES_TIMEOUT;
        loop {
            // scontrol, not sinfo: sinfo lists only nodes in a partition.
            let out = self.run(&["scontrol", "-o", "show", "node"]);
            let idle: Vec<&str> = out
                .stdout
                .lines()
                .filter(|l| l.split_whitespace().any(|w| w == "State=IDLE"))
                .filter_map(|l| l.split_whitespace().next()?.strip_prefix("NodeName="))
                .collect();
            if self.nodes.iter().all(|n| idle.contains(&n.name.as_str())) {
                return Ok(());
            }
            let mut dead = None;
            for n in &mut self.nodes {
                if let Some(st) = n.daemon.as_mut().and_then(|d| d.exited()) {
                    dead = Some(format!("slurmd of {} exited ({st})", n.name));
                    break;
                }
            }
            if dead.is_some() || Instant::now() > deadline {
                let why =
                    dead.unwrap_or_else(|| format!("nodes not all idle after {NODES_TIMEOUT:?}"));
                return Err(Error(format!(
                    "{why}; node daemon {}; last sinfo:\n{out}\n--- log tail ---\n{}",
                    self.slurmd_bin
                        .as_ref()
                        .map(|b| b.display().to_string())
                        .unwrap_or_default(),
                    self.log_tail(40)
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGKILLs the slurmd of `node` and reaps it. Like a crashed node
    /// daemon: the job-step daemons it started keep running.
    pub fn kill_node(&mut self, node: &str) {
        if let Some(mut d) = self.node_mut(node).daemon.take() {
            d.kill9();
        }
    }

    /// Starts the slurmd of `node` again (after `kill_node`); does not wait
    /// for it to register.
    pub fn restart_node(&mut self, node: &str) {
        self.kill_node(node);
        self.start_node(node)
            .unwrap_or_else(|e| panic!("restarting slurmd {node} failed:\n{e}"));
    }

    /// Adds a normalization rule for this cluster's goldens (regex, `$1`
    /// replacement syntax), e.g. for a value only one test produces.
    pub fn normalize(&mut self, pattern: &str, replacement: &str) {
        self.normalizer = self.normalizer.clone().rule(pattern, replacement);
    }

    /// Pids of the processes that carry this cluster in their environment,
    /// other than the controller and the slurmds themselves: job-step
    /// daemons (they inherit `COMPAT_CLUSTER` from slurmd) and the jobs' own
    /// processes (their environment has `SLURM_CONF=<dir>/slurm.conf`,
    /// exported from the submitting client).
    pub fn job_processes(&self) -> Vec<u32> {
        let marks = [
            format!("{CLUSTER_MARK_ENV}={}", self.path.display()),
            format!("SLURM_CONF={}", self.conf.display()),
        ];
        let mut ours: Vec<u32> = self
            .nodes
            .iter()
            .filter_map(|n| n.daemon.as_ref().and_then(|d| d.pid()))
            .collect();
        ours.extend(self.controller_pid());
        ours.extend(self.munged.pid());
        ours.push(std::process::id());
        pids_with_env(&marks)
            .into_iter()
            .filter(|p| !ours.contains(p))
            .collect()
    }

    /// SIGKILLs every [`Cluster::job_processes`] until none is left
    /// (bounded), since a dying slurmstepd may leave its children behind.
    fn kill_job_processes(&self) {
        for _ in 0..50 {
            let pids = self.job_processes();
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                let _ =
                    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The cluster's temp dir (also the clients' working directory).
    pub fn dir(&self) -> &Path {
        &self.path
    }

    pub fn conf_path(&self) -> &Path {
        &self.conf
    }

    pub fn controller_bin(&self) -> &Path {
        &self.bin
    }

    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    pub fn munged_pid(&self) -> Option<u32> {
        self.munged.pid()
    }

    pub fn controller_pid(&self) -> Option<u32> {
        self.ctld.as_ref().and_then(|d| d.pid())
    }

    fn start_controller(&mut self, clean: bool) -> Result<(), Error> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-D").arg("-f").arg(&self.conf);
        if clean {
            cmd.arg("-c");
        }
        cmd.current_dir(&self.path);
        scrub_env(&mut cmd);
        cmd.env("SLURM_CONF", &self.conf)
            .env(CLUSTER_MARK_ENV, &self.path);
        let daemon = Daemon::spawn("controller", cmd, &self.path.join("log/slurmctld.out"))
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        self.ctld = Some(daemon);

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let ping = self.run(&["scontrol", "ping"]);
            if ping.stdout.contains("is UP") {
                return Ok(());
            }
            if let Some(st) = self.ctld.as_mut().and_then(|d| d.exited()) {
                return Err(Error(format!(
                    "controller {} exited ({st}) before answering ping\n--- log tail ---\n{}",
                    self.bin.display(),
                    self.log_tail(40)
                )));
            }
            if Instant::now() > deadline {
                return Err(Error(format!(
                    "controller {} not UP after {STARTUP_TIMEOUT:?}; last ping:\n{ping}\n--- log tail ---\n{}",
                    self.bin.display(),
                    self.log_tail(40)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILLs the controller (no chance to save state) and reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut d) = self.ctld.take() {
            d.kill9();
        }
    }

    /// SIGTERM, waiting (bounded) for an orderly exit.
    pub fn stop(&mut self) {
        if let Some(mut d) = self.ctld.take() {
            d.stop_with(Signal::SIGTERM, STOP_GRACE);
        }
    }

    /// Stops the controller if it runs (SIGTERM), then starts it again on the
    /// same config and state; `clean` adds `-c` (discard saved state).
    pub fn restart(&mut self, clean: bool) {
        self.stop();
        self.start_controller(clean)
            .unwrap_or_else(|e| panic!("controller restart failed:\n{e}"));
    }

    /// Runs a stock client as root.
    pub fn run(&self, args: &[&str]) -> Output {
        self.exec("root", args, None)
    }

    /// Runs a stock client as root, feeding `stdin` (e.g. an sbatch script).
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        self.exec("root", args, Some(stdin))
    }

    /// Runs a stock client as an ordinary user via `runuser -u USER --`.
    pub fn run_as(&self, user: &str, args: &[&str]) -> Output {
        if user == crate::user::TEST_USER {
            ensure_test_user().unwrap_or_else(|e| panic!("{e}"));
        }
        self.exec(user, args, None)
    }

    /// Runs a stock client as an ordinary user, feeding `stdin`.
    pub fn run_as_with_stdin(&self, user: &str, args: &[&str], stdin: &str) -> Output {
        if user == crate::user::TEST_USER {
            ensure_test_user().unwrap_or_else(|e| panic!("{e}"));
        }
        self.exec(user, args, Some(stdin))
    }

    fn exec(&self, user: &str, args: &[&str], stdin: Option<&str>) -> Output {
        assert!(!args.is_empty(), "empty command");
        let mut cmd = if user == "root" {
            let mut c = Command::new(args[0]);
            c.args(&args[1..]);
            c
        } else {
            let mut c = Command::new("runuser");
            // runuser (without -l) keeps the environment we set below.
            c.args(["-u", user, "--"]).args(args);
            c
        };
        scrub_env(&mut cmd);
        cmd.env("SLURM_CONF", &self.conf)
            .env("LC_ALL", "C")
            .current_dir(&self.path)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let command = shell_words(args);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{command}`: {e}"));
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes())
                .unwrap_or_else(|e| panic!("writing stdin of `{command}`: {e}"));
        }
        // Drain both pipes on threads so a chatty client cannot deadlock us.
        let mut so = child.stdout.take().unwrap();
        let mut se = child.stderr.take().unwrap();
        let t_out = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = so.read_to_string(&mut s);
            s
        });
        let t_err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = se.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + CLIENT_TIMEOUT;
        let status = loop {
            if let Some(st) = child.try_wait().expect("waiting for client") {
                break st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`{command}` did not finish within {CLIENT_TIMEOUT:?}\n--- controller log tail ---\n{}",
                    self.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Output {
            command,
            user: user.to_string(),
            stdout: t_out.join().unwrap_or_default(),
            stderr: t_err.join().unwrap_or_default(),
            exit_code: status.code().unwrap_or(-1),
        }
    }

    /// Polls `probe` until it returns `Ok`, at most `timeout`. On timeout,
    /// panics with `what`, the probe's last error and the controller log tail.
    /// Use this instead of fixed sleeps when upstream output depends on timing.
    pub fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut probe: impl FnMut(&Cluster) -> Result<T, String>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            match probe(self) {
                Ok(v) => return v,
                Err(last) if Instant::now() > deadline => panic!(
                    "timed out after {timeout:?} waiting for {what}; last state:\n{last}\n\
                     --- controller log tail ---\n{}",
                    self.log_tail(40)
                ),
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// The last `n` lines of the controller's log file and of its
    /// stdout/stderr (ours may log to either), then the same of each slurmd.
    pub fn log_tail(&self, n: usize) -> String {
        let mut s = String::new();
        let mut files = vec![
            "log/slurmctld.log".to_string(),
            "log/slurmctld.out".to_string(),
        ];
        for node in &self.nodes {
            files.push(format!("log/slurmd-{}.log", node.name));
            files.push(format!("log/slurmd-{}.out", node.name));
        }
        for f in &files {
            let p = self.path.join(f);
            if !p.exists() && f.starts_with("log/slurmd-") {
                continue;
            }
            let text = fs::read_to_string(&p).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(n);
            s.push_str(&format!("==> {} <==\n", p.display()));
            for l in &lines[start..] {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    }

    /// Keeps the temp dir after the test (for debugging) and returns its path.
    pub fn keep_dir(&mut self) -> PathBuf {
        if let Some(d) = self.dir.take() {
            let _ = d.keep();
        }
        self.path.clone()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Kill the daemons before munged goes away (fields drop in
        // declaration order, but be explicit). SIGKILL: state is throwaway.
        // Node daemons first, then the controller, then whatever job
        // processes and step daemons outlived them.
        for n in &mut self.nodes {
            if let Some(mut d) = n.daemon.take() {
                d.kill9();
            }
        }
        self.kill9();
        if !self.nodes.is_empty() {
            self.kill_job_processes();
        }
        if std::thread::panicking() && std::env::var_os("COMPAT_KEEP").is_some() {
            let p = self.keep_dir();
            eprintln!("compat-tests: kept {}", p.display());
        }
    }
}

/// `dir/gpu0` .. `gpu<count-1>`: character devices 1:3 (what /dev/null is), the
/// `File=` of the GPUs in gres.conf. slurmd only checks they are devices.
fn make_fake_gpus(dir: &Path, count: usize) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
    for i in 0..count {
        let dev = dir.join(format!("gpu{i}"));
        let out = Command::new("mknod")
            .arg(&dev)
            .args(["c", "1", "3"])
            .output()
            .map_err(|e| format!("running mknod: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mknod {} c 1 3 failed: {}",
                dev.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}

/// Pids whose environment has one of `marks` as an entry.
fn pids_with_env(marks: &[String]) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/environ"))
                .map(|env| {
                    env.split(|&b| b == 0)
                        .any(|entry| marks.iter().any(|m| entry == m.as_bytes()))
                })
                .unwrap_or(false)
        })
        .collect()
}

fn scrub_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        if let Some(k) = k.to_str() {
            if CLIENT_ENV_PREFIXES.iter().any(|p| k.starts_with(p)) || HARNESS_ENV.contains(&k) {
                cmd.env_remove(k);
            }
        }
    }
}

/// A copy-pasteable rendering of argv for messages and goldens.
fn shell_words(args: &[&str]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=:,./%@[]+".contains(c))
            {
                a.to_string()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
