//! Start-up both daemons go through: detaching, logging, the pid file and
//! the signals that stop or reconfigure them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tracing::{error, warn};

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// slurm.conf's path: `-f`, else $SLURM_CONF, else upstream's default.
pub fn conf_path(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("SLURM_CONF").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/etc/slurm/slurm.conf"))
}

/// The tracing level for a Slurm debug level (`SlurmctldDebug`,
/// `SlurmdDebug`) raised by `-v` flags.
pub fn log_level(debug_level: u16, verbose: u8) -> tracing::Level {
    // Slurm levels: 0 quiet, 1 fatal, 2 error, 3 info, 4 verbose, 5 debug, 6+ debug2..5.
    match u32::from(debug_level) + u32::from(verbose) {
        0..=2 => tracing::Level::ERROR,
        3 | 4 => tracing::Level::INFO,
        5 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    }
}

/// Detaches from the terminal unless `foreground` (before any thread
/// exists: fork keeps only the calling thread), then logs to `logfile`, or
/// stderr without one. `name` prefixes what goes to stderr.
pub fn detach_and_log(
    name: &str,
    foreground: bool,
    logfile: Option<&Path>,
    level: tracing::Level,
) -> Result<(), String> {
    if !foreground {
        nix::unistd::daemon(true, logfile.is_none())
            .map_err(|e| format!("cannot daemonize: {e}"))?;
    }
    let opened = logfile.map(|p| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
    });
    match opened {
        Some(Ok(f)) => tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(Arc::new(f))
            .init(),
        Some(Err(e)) => {
            eprintln!("{name}: cannot open log file: {e}");
            log_to_stderr(level)
        }
        None => log_to_stderr(level),
    }
    Ok(())
}

fn log_to_stderr(level: tracing::Level) {
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init()
}

/// The daemon's pid file: written at start, removed when dropped.
pub struct PidFile(PathBuf);

impl PidFile {
    /// Writes our pid to `path`; a failure is logged, not fatal (as upstream).
    pub fn create(path: &Path) -> PidFile {
        if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
            warn!("cannot write pid file {}: {e}", path.display());
        }
        PidFile(path.to_path_buf())
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The signals a daemon acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonSignal {
    /// SIGTERM.
    Terminate,
    /// SIGINT.
    Interrupt,
    /// SIGHUP.
    Hangup,
}

impl std::fmt::Display for DaemonSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DaemonSignal::Terminate => "SIGTERM",
            DaemonSignal::Interrupt => "SIGINT",
            DaemonSignal::Hangup => "SIGHUP",
        })
    }
}

/// Calls `on` for every SIGTERM, SIGINT and SIGHUP, from a task of its own.
pub fn on_signals(mut on: impl FnMut(DaemonSignal) + Send + 'static) {
    use tokio::signal::unix::{signal, SignalKind};
    tokio::spawn(async move {
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            error!("cannot install signal handlers");
            return;
        };
        loop {
            let sig = tokio::select! {
                _ = term.recv() => DaemonSignal::Terminate,
                _ = int.recv() => DaemonSignal::Interrupt,
                _ = hup.recv() => DaemonSignal::Hangup,
            };
            on(sig);
        }
    });
}
