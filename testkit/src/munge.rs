//! A private munged per cluster: own key, socket, pid, seed and log files, so
//! tests never depend on (or disturb) a system munged.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::Daemon;

pub struct Munged {
    pub socket: PathBuf,
    daemon: Daemon,
}

impl Munged {
    /// Writes a fresh random key (mode 0400) under `dir/munge` and starts
    /// `munged -F --force` on a socket there, then waits until a credential
    /// can be encoded.
    pub fn start(dir: &Path, log_dir: &Path) -> Result<Munged, String> {
        let mdir = dir.join("munge");
        fs::create_dir_all(&mdir).map_err(|e| format!("mkdir {}: {e}", mdir.display()))?;
        // Clients running as the test user must reach the socket.
        fs::set_permissions(&mdir, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
        let key = mdir.join("munge.key");
        let mut bytes = vec![0u8; 1024];
        fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
            .map_err(|e| format!("reading /dev/urandom: {e}"))?;
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(&key)
            .and_then(|mut f| f.write_all(&bytes))
            .map_err(|e| format!("writing {}: {e}", key.display()))?;

        let socket = mdir.join("munge.socket");
        let mut cmd = Command::new("munged");
        cmd.arg("-F")
            // --force: run even though the key dir is not root-only like
            // /etc/munge and a stale socket/lock may exist.
            .arg("--force")
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", mdir.join("munged.pid").display()))
            .arg(format!(
                "--seed-file={}",
                mdir.join("munged.seed").display()
            ))
            .arg(format!(
                "--log-file={}",
                log_dir.join("munged.log").display()
            ));
        let mut daemon = Daemon::spawn("munged", cmd, &log_dir.join("munged.out"))
            .map_err(|e| format!("cannot start munged: {e} (is the munge package installed?)"))?;

        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ok = Command::new("munge")
                .args(["-n", "-S"])
                .arg(&socket)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                break;
            }
            if daemon.exited().is_some() || Instant::now() > deadline {
                let log = fs::read_to_string(log_dir.join("munged.out")).unwrap_or_default();
                return Err(format!(
                    "munged did not come up on {}:\n{log}",
                    socket.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Munged { socket, daemon })
    }

    pub fn pid(&self) -> Option<u32> {
        self.daemon.pid()
    }
}
