//! slurmctld-rs: command line, logging and start-up around the library.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use daemon::startup::{self, now, DaemonSignal};
use tracing::{error, info, warn};

use slurmctld::config::cluster_spec;
use slurmctld::core::{Controller, UserDirectory};
use slurmctld::server::{self, ServerConfig};
use slurmctld::state::StateDir;
use wire::auth::body_hash::HashPolicy;
use wire::auth::munge::Munge;
use wire::conf::BuildInfoDynamic;
use wire::conf::SlurmConf;

/// Slurm controller (a drop-in replacement for slurmctld 22.05).
#[derive(Parser, Debug)]
#[command(name = "slurmctld-rs", disable_version_flag = true)]
struct Args {
    /// Do not recover state from StateSaveLocation: start with no jobs.
    #[arg(short = 'c')]
    clean: bool,
    /// Run in the foreground, logging to stderr unless SlurmctldLogFile is set.
    #[arg(short = 'D')]
    foreground: bool,
    /// Read this slurm.conf (default: $SLURM_CONF or /etc/slurm/slurm.conf).
    #[arg(short = 'f', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore a ClusterName that differs from the one in StateSaveLocation.
    #[arg(short = 'i')]
    ignore_errors: bool,
    /// Write the log here instead of SlurmctldLogFile.
    #[arg(short = 'L', value_name = "FILE")]
    logfile: Option<PathBuf>,
    /// Recover all state (the default; accepted for compatibility).
    #[arg(short = 'R')]
    recover: bool,
    /// Log more; repeat for more detail.
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    verbose: u8,
    /// Print the version and exit.
    #[arg(short = 'V')]
    version: bool,
}

/// Version string printed by -V and reported to clients.
const VERSION: &str = "22.05.8";

/// NSS lookups, with login names cached: views name every job's user and a
/// passwd lookup per job is the cost of a large `squeue`.
#[derive(Default)]
struct NssUsers {
    names: std::sync::Mutex<std::collections::HashMap<u32, Option<String>>>,
}

impl UserDirectory for NssUsers {
    fn user_name(&self, uid: u32) -> Option<String> {
        let mut names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        names
            .entry(uid)
            .or_insert_with(|| {
                nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
            })
            .clone()
    }
    fn in_group(&self, uid: u32, group: &str) -> bool {
        let Ok(Some(g)) = nix::unistd::Group::from_name(group) else {
            return false;
        };
        let Ok(Some(u)) = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) else {
            return false;
        };
        u.gid == g.gid || g.mem.contains(&u.name)
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.version {
        println!("slurm-rs {VERSION}");
        return ExitCode::SUCCESS;
    }
    let conf_path = startup::conf_path(args.config.as_deref());
    let conf = match SlurmConf::from_file(&conf_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("slurmctld-rs: fatal: {e}");
            return ExitCode::FAILURE;
        }
    };

    let logfile = args
        .logfile
        .clone()
        .or_else(|| conf.slurmctld_logfile.as_ref().map(PathBuf::from));
    let level = startup::log_level(conf.slurmctld_debug, args.verbose);
    if let Err(e) =
        startup::detach_and_log("slurmctld-rs", args.foreground, logfile.as_deref(), level)
    {
        eprintln!("slurmctld-rs: fatal: {e}");
        return ExitCode::FAILURE;
    }

    match run(args, conf, conf_path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("fatal: {e}");
            eprintln!("slurmctld-rs: fatal: {e}");
            ExitCode::FAILURE
        }
    }
}

fn listen_addresses(conf: &SlurmConf) -> Result<Vec<SocketAddr>, String> {
    let host = conf
        .control_hosts
        .first()
        .ok_or("no SlurmctldHost in slurm.conf")?;
    let bind_specific = conf.comm_params.as_deref().is_some_and(|p| {
        p.split(',')
            .any(|x| x.eq_ignore_ascii_case("NoCtldInAddrAny"))
    });
    let ip: IpAddr = if bind_specific {
        (host.addr.as_str(), 0)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", host.addr))?
            .next()
            .ok_or_else(|| format!("cannot resolve {}", host.addr))?
            .ip()
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    let first = u16::try_from(conf.slurmctld_port).map_err(|_| "SlurmctldPort out of range")?;
    Ok((0..conf.slurmctld_port_count.max(1))
        .map(|i| SocketAddr::new(ip, first.saturating_add(i)))
        .collect())
}

fn sched_interval(conf: &SlurmConf) -> Duration {
    let secs = conf
        .sched_params
        .as_deref()
        .and_then(|p| {
            p.split(',')
                .find_map(|kv| kv.strip_prefix("sched_interval="))
        })
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs.max(1))
}

/// How often expected start times are computed, and for how many jobs:
/// sched/builtin takes the first `interval=` in SchedulerParameters (even
/// the one inside `sched_interval=`, as upstream's plugin reads it) and
/// `bf_max_job_test`/`max_job_bf` (default 30 s, 50 jobs); sched/backfill
/// its `bf_interval` and `bf_max_job_test` (30 s, 500).
fn start_estimates(conf: &SlurmConf) -> (Duration, usize) {
    let params = conf.sched_params.as_deref().unwrap_or("");
    let value = |key: &str| {
        params
            .split(',')
            .find_map(|kv| kv.strip_prefix(key))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let backfill = conf.schedtype == "sched/backfill";
    let interval = if backfill {
        value("bf_interval=")
    } else {
        params
            .find("interval=")
            .and_then(|at| params[at + 9..].split(',').next())
            .and_then(|v| v.parse::<u64>().ok())
    }
    .filter(|&s| s >= 1)
    .unwrap_or(30);
    let max_jobs = value("bf_max_job_test=")
        .or_else(|| (!backfill).then(|| value("max_job_bf=")).flatten())
        .unwrap_or(if backfill { 500 } else { 50 });
    (Duration::from_secs(interval), max_jobs as usize)
}

fn check_cluster_name(dir: &std::path::Path, name: &str, ignore: bool) -> Result<(), String> {
    let path = dir.join("clustername");
    match std::fs::read_to_string(&path) {
        Ok(saved) if saved.trim() != name && !ignore => Err(format!(
            "ClusterName ({name}) differs from the one in {} ({}); start with -i to take over that state",
            path.display(),
            saved.trim()
        )),
        Ok(saved) if saved.trim() == name => Ok(()),
        _ => std::fs::write(&path, format!("{name}\n")).map_err(|e| format!("{}: {e}", path.display())),
    }
}

fn run(args: Args, conf: SlurmConf, conf_path: PathBuf) -> Result<(), String> {
    let t0 = now();
    let spec = cluster_spec(&conf);
    let mut core = Controller::new(spec, Box::new(NssUsers::default()), t0);
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .map(|h| h.split('.').next().unwrap_or(&h).to_string());
    let dynamic = BuildInfoDynamic {
        boot_time: t0,
        last_update: t0,
        short_hostname: host,
        version: VERSION.to_string(),
        ..Default::default()
    };
    core.build_info = Some(Box::new(conf.to_build_info(&dynamic)));

    let state = StateDir::open(&conf.state_save_location).map_err(|e| e.to_string())?;
    check_cluster_name(
        std::path::Path::new(&conf.state_save_location),
        conf.cluster_name.as_deref().unwrap_or(""),
        args.ignore_errors,
    )?;
    let recovery = if args.clean {
        // Find where the job ids had got to, then forget everything else.
        let mut probe = Controller::new(cluster_spec(&conf), Box::new(NssUsers::default()), t0);
        let next = match state.recover(&mut probe) {
            Ok(_) => probe.next_job_id,
            Err(e) => {
                warn!("old state unreadable ({e}); clearing it anyway");
                0
            }
        };
        state.clear(next).map_err(|e| e.to_string())?;
        core.next_job_id = core.next_job_id.max(next);
        info!(
            "-c: starting with no jobs; next job id {}",
            core.next_job_id
        );
        Default::default()
    } else {
        let started = std::time::Instant::now();
        let recovery = state.recover(&mut core).map_err(|e| e.to_string())?;
        if recovery.report.truncated_bytes > 0 {
            warn!(
                bytes = recovery.report.truncated_bytes,
                "journal had a torn tail (crash during a write); skipped it"
            );
        }
        info!(
            records = recovery.report.records,
            jobs = core.jobs.len(),
            ms = started.elapsed().as_millis() as u64,
            "recovered state"
        );
        recovery
    };
    // Pending jobs get their reasons re-derived as upstream's scheduler would.
    let started = std::time::Instant::now();
    let n = core.restore_pending_reasons(t0);
    info!(
        jobs = n,
        ms = started.elapsed().as_millis() as u64,
        "pending reasons re-derived"
    );
    // New records go to a fresh journal segment; the snapshot that replaces
    // the replayed ones is written once the server answers.
    let journal = state.journal(recovery).map_err(|e| e.to_string())?;

    let auth =
        Munge::from_auth_info(conf.authinfo.as_deref().unwrap_or("")).map_err(|e| e.to_string())?;
    let cfg = ServerConfig {
        listen: listen_addresses(&conf)?,
        max_connections: 256,
        msg_timeout: Duration::from_secs(u64::from(conf.msg_timeout.max(1))),
        hash_policy: HashPolicy::from_comm_params(conf.comm_params.as_deref().unwrap_or("")),
        slurm_user: conf.slurm_user_id.unwrap_or(0),
        slurmd_user: conf.slurmd_user_id.unwrap_or(0),
        sched_interval: sched_interval(&conf),
        start_estimates: start_estimates(&conf),
        backfill: conf.schedtype == "sched/backfill",
        purge_interval: Duration::from_secs(5),
    };
    let pidfile = PathBuf::from(&conf.slurmctld_pidfile);
    // Upstream pings every SlurmdTimeout/3, at least every 100 s.
    let ping_interval = Duration::from_secs(u64::from(conf.slurmd_timeout / 3).clamp(1, 100));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listeners = server::bind(&cfg)
            .await
            .map_err(|e| format!("cannot listen on {:?}: {e}", cfg.listen))?;
        let pid_file = startup::PidFile::create(&pidfile);
        info!(listen = ?cfg.listen, conf = %conf_path.display(), "slurmctld-rs {VERSION} started");
        let shared = server::shared(core, Arc::new(auth), journal, state, cfg);
        let reload_path = conf_path.clone();
        let reload_dynamic = dynamic.clone();
        *shared.reload.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(move |t| {
            let conf = SlurmConf::from_file(&reload_path).map_err(|e| e.to_string())?;
            let dynamic = BuildInfoDynamic {
                last_update: t,
                ..reload_dynamic.clone()
            };
            Ok((cluster_spec(&conf), conf.to_build_info(&dynamic)))
        }));
        let (agent_tx, agent_rx) = tokio::sync::mpsc::unbounded_channel();
        *shared.agent.lock().unwrap_or_else(|p| p.into_inner()) = Some(agent_tx);
        tokio::spawn(slurmctld::agent::run(shared.clone(), agent_rx));
        // Work a previous instance left half done: PrologSlurmctld of jobs
        // still CONFIGURING runs again (its outcome was never recorded).
        let resumed = shared
            .core
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .resume_after_restart();
        for e in resumed {
            shared.dispatch_to_nodes(e);
        }
        tokio::spawn(slurmctld::agent::ping_loop(shared.clone(), ping_interval));
        // The snapshot replacing the replayed segments locks the core while it
        // serialises it: let the first clients after a restart in first.
        let compact = shared.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            server::compact_in_background(&compact);
        });
        let signals = shared.clone();
        startup::on_signals(move |sig| match sig {
            DaemonSignal::Terminate | DaemonSignal::Interrupt => {
                info!("{sig}: shutting down");
                let _ = signals.shutdown.send(true);
            }
            DaemonSignal::Hangup => signals.reconfigure.notify_one(),
        });
        server::run(shared.clone(), listeners).await;
        server::save(&shared).map_err(|e| e.to_string())?;
        drop(pid_file);
        info!("state saved; exiting");
        Ok::<(), String>(())
    })
}
