//! A child daemon that can never outlive the test that started it.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Owns a spawned daemon. Dropping it SIGKILLs and reaps the process.
pub struct Daemon {
    name: String,
    child: Option<Child>,
}

impl Daemon {
    /// Spawns `cmd` with stdout+stderr appended to `log`.
    ///
    /// The child gets its own process group (a Ctrl-C aimed at `cargo test`
    /// does not race our orderly shutdown) and PR_SET_PDEATHSIG=SIGKILL, so even
    /// if the test process dies without unwinding (SIGKILL, abort) the daemon
    /// goes with it. Note that PDEATHSIG fires when the *thread* that spawned it
    /// exits; a `Cluster` is used from its test's thread only, so that is fine.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> std::io::Result<Daemon> {
        let out = File::options().create(true).append(true).open(log)?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; nothing else runs in pre_exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
            });
        }
        let child = cmd.spawn()?;
        Ok(Daemon {
            name: name.to_string(),
            child: Some(child),
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// `Some(status)` if the daemon already exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Sends `sig` and waits (bounded) for exit; escalates to SIGKILL after
    /// `grace`. Returns the exit status if we saw one.
    pub fn stop_with(&mut self, sig: Signal, grace: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st);
        }
        let pid = Pid::from_raw(child.id() as i32);
        let _ = kill(pid, sig);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "testkit: {} ignored {sig} for {grace:?}; SIGKILL",
            self.name
        );
        let _ = child.kill();
        child.wait().ok()
    }

    pub fn kill9(&mut self) -> Option<ExitStatus> {
        self.stop_with(Signal::SIGKILL, Duration::from_secs(10))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
