//! One throwaway cluster for one measurement: a directory, a private munged
//! with a fresh key, the rendered bench slurm.conf on free ports, and the
//! controller under test (upstream's or ours). Every child is a
//! `testkit::Daemon` (PR_SET_PDEATHSIG=SIGKILL, killed on drop), so neither a
//! failing bench nor a hung controller can leave daemons behind.

use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::{Daemon, Munged};
use wire::auth::munge::Munge;
use wire::msg::Message;

use crate::rpc;

const CONF_TEMPLATE: &str = include_str!("../conf/slurm.conf.in");
/// Env var prefixes that change client behaviour; none may leak in.
const CLIENT_ENV_PREFIXES: &[&str] = &["SLURM_", "SBATCH_", "SQUEUE_", "SCONTROL_", "SINFO_"];

/// The result of running a stock client.
pub struct ClientRun {
    pub ok: bool,
    pub wall: Duration,
    pub stdout_lines: usize,
    pub stderr: String,
}

/// Node names of the bench slurm.conf (`NodeName=n[1-4]`).
pub const NODES: [&str; 4] = ["n1", "n2", "n3", "n4"];

pub struct Cluster {
    // Drop order: node daemons, controller, then munged.
    slurmds: Vec<Daemon>,
    ctld: Option<Daemon>,
    munged: Munged,
    pub dir: PathBuf,
    pub conf: PathBuf,
    pub munge_socket: String,
    pub ctld_addr: SocketAddr,
    bin: PathBuf,
    keep: bool,
}

fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let ls = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    ls.iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

impl Cluster {
    /// Creates `dir` (must not exist), starts munged and the controller
    /// `bin`, and waits (at most `timeout`) until it answers a ping.
    pub fn start(
        bin: &Path,
        dir: &Path,
        max_jobs: u32,
        timeout: Duration,
    ) -> Result<Cluster, String> {
        for sub in ["state", "log", "run", "spool", "munge"] {
            fs::create_dir_all(dir.join(sub))
                .map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        }
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
        let munged = Munged::start(dir, &dir.join("log"))?;
        let munge_socket = munged.socket.clone();
        let ports = free_ports(2 + NODES.len()).map_err(|e| format!("free ports: {e}"))?;
        let node_ports = ports[2..]
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let conf_text = CONF_TEMPLATE
            .replace("@DIR@", &dir.display().to_string())
            .replace("@MUNGE_SOCKET@", &munge_socket.display().to_string())
            .replace("@CTLD_PORT@", &ports[0].to_string())
            .replace("@SLURMD_PORTS@", &node_ports)
            .replace("@SLURMD_PORT@", &ports[1].to_string())
            .replace("@MAX_JOBS@", &max_jobs.to_string());
        let conf = dir.join("slurm.conf");
        fs::write(&conf, conf_text).map_err(|e| format!("writing slurm.conf: {e}"))?;
        let mut c = Cluster {
            slurmds: Vec::new(),
            ctld: None,
            munged,
            dir: dir.to_path_buf(),
            conf,
            munge_socket: munge_socket.display().to_string(),
            ctld_addr: SocketAddr::from(([127, 0, 0, 1], ports[0])),
            bin: bin.to_path_buf(),
            keep: std::env::var_os("BENCH_KEEP").is_some(),
        };
        c.spawn_controller()?;
        c.wait_up(timeout)?;
        Ok(c)
    }

    /// Starts the controller (recovering whatever state is saved) without waiting.
    pub fn spawn_controller(&mut self) -> Result<(), String> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-D")
            .arg("-f")
            .arg(&self.conf)
            .current_dir(&self.dir);
        scrub_env(&mut cmd);
        cmd.env("SLURM_CONF", &self.conf);
        let d = Daemon::spawn("controller", cmd, &self.dir.join("log/slurmctld.out"))
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        self.ctld = Some(d);
        Ok(())
    }

    /// One REQUEST_PING (what `scontrol ping` sends); true if answered rc 0.
    pub fn ping(&self, timeout: Duration) -> bool {
        let Ok(m) = Munge::new(Some(&self.munge_socket), None) else {
            return false;
        };
        matches!(
            rpc::call(self.ctld_addr, &m, &Message::Ping, timeout),
            Ok(Message::SlurmRc { rc: 0 })
        )
    }

    /// Polls ping every 5 ms until answered; fails if the controller exits
    /// or `timeout` passes.
    pub fn wait_up(&mut self, timeout: Duration) -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            if self.ping(Duration::from_secs(5)) {
                return Ok(start.elapsed());
            }
            if self.ctld.as_mut().is_none_or(|d| d.exited().is_some()) {
                return Err(format!(
                    "controller {} exited:\n{}",
                    self.bin.display(),
                    self.log_tail(30)
                ));
            }
            if start.elapsed() > timeout {
                return Err(format!(
                    "controller not up after {timeout:?}:\n{}",
                    self.log_tail(30)
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Starts one node daemon `bin -D -N nX` per node of the conf (as
    /// upstream's multiple-slurmd setup runs several on one host) and waits
    /// until `sinfo` shows every node idle.
    pub fn start_nodes(&mut self, bin: &Path, timeout: Duration) -> Result<(), String> {
        for n in NODES {
            fs::create_dir_all(self.dir.join(format!("spool/slurmd-{n}")))
                .map_err(|e| e.to_string())?;
            let mut cmd = Command::new(bin);
            cmd.args(["-D", "-N", n, "-f"])
                .arg(&self.conf)
                .current_dir(&self.dir);
            scrub_env(&mut cmd);
            cmd.env("SLURM_CONF", &self.conf);
            let d = Daemon::spawn(n, cmd, &self.dir.join(format!("log/slurmd-{n}.out")))
                .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
            self.slurmds.push(d);
        }
        let start = Instant::now();
        loop {
            let r = self.client_output(
                &["sinfo", "-h", "-N", "-o", "%N %t"],
                Duration::from_secs(30),
            );
            let idle: std::collections::BTreeSet<&str> = r
                .lines()
                .filter_map(|l| l.split_once(' '))
                .filter(|(_, s)| *s == "idle")
                .map(|(n, _)| n)
                .collect();
            if idle.len() == NODES.len() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(format!("nodes not idle after {timeout:?}: {r}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs a stock client under coreutils `timeout` and returns its stdout
    /// ("" on failure).
    pub fn client_output(&self, args: &[&str], timeout: Duration) -> String {
        let mut cmd = Command::new("timeout");
        cmd.args(["-s", "KILL", &timeout.as_secs().max(1).to_string()])
            .args(args);
        scrub_env(&mut cmd);
        cmd.env("SLURM_CONF", &self.conf)
            .env("LC_ALL", "C")
            .current_dir(&self.dir);
        cmd.output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    pub fn ctld_pid(&self) -> Option<u32> {
        self.ctld.as_ref().and_then(Daemon::pid)
    }

    pub fn munged_pid(&self) -> Option<u32> {
        self.munged.pid()
    }

    /// SIGKILL the controller and reap it.
    pub fn kill9(&mut self) {
        self.ctld = None;
    }

    /// Runs a stock client (as root, with this cluster's SLURM_CONF), killing
    /// it after `timeout`. Stdout is counted in lines, not kept.
    pub fn client(&self, args: &[&str], timeout: Duration) -> ClientRun {
        let mut cmd = Command::new(args[0]);
        cmd.args(&args[1..]);
        scrub_env(&mut cmd);
        cmd.env("SLURM_CONF", &self.conf)
            .env("LC_ALL", "C")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return ClientRun {
                    ok: false,
                    wall: start.elapsed(),
                    stdout_lines: 0,
                    stderr: e.to_string(),
                }
            }
        };
        let mut so = child.stdout.take().unwrap();
        let mut se = child.stderr.take().unwrap();
        let t_out = std::thread::spawn(move || {
            let mut buf = [0u8; 1 << 16];
            let mut lines = 0;
            while let Ok(n) = so.read(&mut buf) {
                if n == 0 {
                    break;
                }
                lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
            }
            lines
        });
        let t_err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = se.read_to_string(&mut s);
            s
        });
        let deadline = start + timeout;
        let status = loop {
            if let Ok(Some(st)) = child.try_wait() {
                break Some(st);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let wall = start.elapsed();
        let stdout_lines = t_out.join().unwrap_or(0);
        let mut stderr = t_err.join().unwrap_or_default();
        if status.is_none() {
            stderr.push_str(&format!("\n(killed after {timeout:?})"));
        }
        ClientRun {
            ok: status.is_some_and(|s| s.success()),
            wall,
            stdout_lines,
            stderr,
        }
    }

    /// Pending+other jobs the controller reports (`squeue -h -t all`).
    pub fn job_count(&self, timeout: Duration) -> Option<usize> {
        let r = self.client(&["squeue", "-h", "-t", "all"], timeout);
        r.ok.then_some(r.stdout_lines)
    }

    pub fn log_tail(&self, n: usize) -> String {
        let mut s = String::new();
        for f in ["log/slurmctld.log", "log/slurmctld.out"] {
            let text = fs::read_to_string(self.dir.join(f)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            s.push_str(&format!("==> {f} <==\n"));
            for l in &lines[lines.len().saturating_sub(n)..] {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.slurmds.clear();
        self.ctld = None;
        if !self.keep {
            let _ = fs::remove_dir_all(&self.dir);
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
