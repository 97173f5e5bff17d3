//! One throwaway Slurm cluster: temp dir, private munged, rendered
//! slurm.conf, and the controller under test. No slurmd runs, so the nodes
//! never register.

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
use crate::munge::Munged;
use crate::normalize::Normalizer;
use crate::output::Output;
use crate::ports::free_ports;
use crate::process::Daemon;
use crate::user::ensure_test_user;

/// How long a client command may take before we kill it and fail.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the controller may take to answer `scontrol ping` after start.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Grace period for SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// Env var prefixes that change client behaviour (SQUEUE_FORMAT, SBATCH_*,
/// SLURM_*...). None of them may leak from the caller's environment.
const CLIENT_ENV_PREFIXES: &[&str] = &[
    "SLURM_", "SBATCH_", "SQUEUE_", "SINFO_", "SCONTROL_", "SCANCEL_", "SALLOC_", "SRUN_",
];

#[derive(Debug, Clone, Default)]
pub struct ClusterOpts {
    /// Controller executable; default: `SLURMCTLD_BIN` or our `slurmctld-rs`.
    pub controller_bin: Option<PathBuf>,
    /// Start the controller with `-c` (ignore saved state). Off by default.
    pub clean_start: bool,
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
    // Field order is drop order: controller first, then munged, then the dir.
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

        let ports = free_ports(2).map_err(|e| format!("finding free ports: {e}"))?;
        let (ctld_port, slurmd_port) = (ports[0], ports[1]);
        let conf_text = conf::render(
            &conf::template()?,
            &ConfValues {
                dir: &path,
                munge_socket: &munged.socket,
                ctld_port,
                slurmd_port,
            },
        )?;
        let conf = path.join("slurm.conf");
        fs::write(&conf, conf_text).map_err(|e| format!("writing slurm.conf: {e}"))?;

        let normalizer = Normalizer::new()
            .literal(path.display().to_string(), "<DIR>")
            .literal(crate_dir().display().to_string(), "<CRATE>")
            .port(ctld_port, "<CTLD_PORT>")
            .port(slurmd_port, "<SLURMD_PORT>");

        let mut cluster = Cluster {
            ctld: None,
            munged,
            bin,
            conf,
            normalizer,
            dir: Some(dir),
            path,
        };
        cluster.start_controller(opts.clean_start)?;
        Ok(cluster)
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
        cmd.env("SLURM_CONF", &self.conf);
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
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
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
    /// stdout/stderr (ours may log to either).
    pub fn log_tail(&self, n: usize) -> String {
        let mut s = String::new();
        for f in ["log/slurmctld.log", "log/slurmctld.out"] {
            let p = self.path.join(f);
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
        // Kill the controller before munged goes away (fields drop in
        // declaration order, but be explicit). SIGKILL: state is throwaway.
        self.kill9();
        if std::thread::panicking() && std::env::var_os("COMPAT_KEEP").is_some() {
            let p = self.keep_dir();
            eprintln!("compat-tests: kept {}", p.display());
        }
    }
}

fn scrub_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        if let Some(k) = k.to_str() {
            if CLIENT_ENV_PREFIXES.iter().any(|p| k.starts_with(p)) {
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
