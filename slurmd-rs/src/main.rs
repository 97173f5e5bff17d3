//! slurmd-rs: command line, logging and start-up around the library.
//! Flags follow upstream slurmd's (`_process_cmdline` in
//! `src/slurmd/slurmd/slurmd.c`).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use daemon::startup::{self, DaemonSignal};
use tracing::{error, info, warn};

use slurmd::agent::NodeAgent;
use slurmd::config::{working_cluster, NodeSettings};
use slurmd::ctld::{Controller, ControllerLink, ReportConfig};
use slurmd::gres::NodeGres;
use slurmd::hw::{self, Hardware};
use slurmd::server::{self, Server, ServerConfig};
use slurmd::step::NodeContext;
use wire::auth::body_hash::HashPolicy;
use wire::auth::munge::Munge;
use wire::conf::SlurmConf;

/// Slurm compute node daemon (a drop-in replacement for slurmd 22.05).
#[derive(Parser, Debug)]
#[command(name = "slurmd-rs", disable_version_flag = true)]
struct Args {
    /// Print this node's configuration (NodeName line and UpTime) and exit.
    #[arg(short = 'C')]
    print_config: bool,
    /// Clear saved state: forget the steps a previous instance was running.
    #[arg(short = 'c')]
    clean: bool,
    /// Run in the foreground, logging to stderr unless a log file is set.
    #[arg(short = 'D')]
    foreground: bool,
    /// Read this slurm.conf (default: $SLURM_CONF or /etc/slurm/slurm.conf).
    #[arg(short = 'f', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write the log here instead of SlurmdLogFile.
    #[arg(short = 'L', value_name = "FILE")]
    logfile: Option<PathBuf>,
    /// Act as node NAME (several slurmd on one host, each with its own Port=).
    #[arg(short = 'N', value_name = "NAME")]
    node_name: Option<String>,
    /// Log more; repeat for more detail.
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    verbose: u8,
    /// Print the version and exit.
    #[arg(short = 'V', long = "version")]
    version: bool,
}

/// Version printed by -V.
const VERSION: &str = slurmd::ctld::SLURM_VERSION;

fn main() -> ExitCode {
    let args = Args::parse();
    if args.version {
        println!("slurm-rs {VERSION}");
        return ExitCode::SUCCESS;
    }
    if args.print_config {
        // Like upstream, -C needs no slurm.conf: it describes the host.
        let topo = hw::cpu_topology();
        print!(
            "{}",
            hw::config_lines(
                &hw::short_hostname(),
                &topo,
                hw::real_memory(),
                hw::uptime()
            )
        );
        return ExitCode::SUCCESS;
    }
    let conf_path = startup::conf_path(args.config.as_deref());
    let conf = match SlurmConf::from_file(&conf_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("slurmd-rs: fatal: {e}");
            return ExitCode::FAILURE;
        }
    };
    let host = hw::short_hostname();
    let settings = match NodeSettings::resolve(&conf, args.node_name.as_deref(), &host) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("slurmd-rs: fatal: {e}");
            return ExitCode::FAILURE;
        }
    };

    let logfile = args.logfile.clone().or_else(|| settings.log_file.clone());
    let level = startup::log_level(settings.debug_level, args.verbose);
    if let Err(e) = startup::detach_and_log("slurmd-rs", args.foreground, logfile.as_deref(), level)
    {
        eprintln!("slurmd-rs: fatal: {e}");
        return ExitCode::FAILURE;
    }

    match run(&args, &conf, &conf_path, settings, host) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("fatal: {e}");
            eprintln!("slurmd-rs: fatal: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    args: &Args,
    conf: &SlurmConf,
    conf_path: &std::path::Path,
    settings: NodeSettings,
    host: String,
) -> Result<(), String> {
    std::fs::create_dir_all(&settings.spool_dir).map_err(|e| {
        format!(
            "cannot create SlurmdSpoolDir {}: {e}",
            settings.spool_dir.display()
        )
    })?;
    // Children of the daemon find slurm.conf the way upstream's do.
    let conf_abs = std::fs::canonicalize(conf_path).unwrap_or_else(|_| conf_path.to_path_buf());
    let conf_abs_str = conf_abs.to_string_lossy().into_owned();
    let hardware = Hardware::detect(Some(&settings.tmp_fs));
    // _load_gres: a gres.conf upstream cannot use stops slurmd.
    let (gres, gres_log) = NodeGres::load(conf, conf_path, &settings.node, hardware.topology.cpus)
        .map_err(|e| format!("gres.conf: {e}"))?;
    for line in &gres_log {
        warn!("gres: {line}");
    }
    for r in &gres.conf.records {
        info!(
            "Gres Name={} Type={} Count={}",
            r.name,
            r.type_name.as_deref().unwrap_or("(null)"),
            r.count
        );
    }
    info!(
        node = %settings.node_name,
        port = settings.port,
        cpus = hardware.topology.cpus,
        sockets = hardware.topology.sockets,
        cores = hardware.topology.cores_per_socket,
        threads = hardware.topology.threads_per_core,
        real_memory = hardware.real_memory,
        tmp_disk = hardware.tmp_disk,
        "slurmd-rs version {VERSION} starting"
    );
    let node = NodeContext {
        node_name: settings.node_name.clone(),
        hostname: host,
        cpus: hardware.topology.cpus,
        cluster_name: conf.cluster_name.clone(),
        conf_path: conf_abs.to_string_lossy().into_owned(),
        working_cluster: working_cluster(conf),
        spool_dir: settings.spool_dir.clone(),
        job_file_append: conf.job_file_append != 0,
        gres: Arc::new(gres),
    };
    let auth =
        Munge::from_auth_info(conf.authinfo.as_deref().unwrap_or("")).map_err(|e| e.to_string())?;
    let cfg = ServerConfig {
        listen: SocketAddr::from((Ipv4Addr::UNSPECIFIED, settings.port)),
        max_connections: 256,
        msg_timeout: Duration::from_secs(u64::from(conf.msg_timeout.max(1))),
        hash_policy: HashPolicy::from_comm_params(conf.comm_params.as_deref().unwrap_or("")),
        slurm_user: conf.slurm_user_id.unwrap_or(0),
        slurmd_user: conf.slurmd_user_id.unwrap_or(0),
    };
    let pid_file = settings.pid_file.clone();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let (agent, exits) = NodeAgent::new(settings, node, hardware);
        if args.clean {
            match agent.steps().clear_records() {
                Ok(n) => info!("cleared {n} saved step records"),
                Err(e) => warn!("cannot clear step records: {e}"),
            }
        }
        let report = agent.reattach();
        if !report.running.is_empty() || !report.ended.is_empty() {
            info!(
                running = report.running.len(),
                ended = report.ended.len(),
                "recovered steps of a previous instance"
            );
        }
        let listener = server::bind(cfg.listen)
            .await
            .map_err(|e| format!("unable to bind listen port ({}): {e}", cfg.listen.port()))?;
        let _pid_file = startup::PidFile::create(&pid_file);
        let auth: Arc<dyn wire::auth::CredentialService> = Arc::new(auth);
        let ctl = Controller::new(
            ControllerLink::from_conf(conf, auth.clone()),
            ReportConfig::from_conf(conf, &conf_abs_str),
        );
        let server = Server::with_controller(agent.clone(), auth, cfg, ctl.clone());
        let signals = server.clone();
        startup::on_signals(move |sig| match sig {
            DaemonSignal::Terminate | DaemonSignal::Interrupt => {
                info!("{sig}: shutting down; running jobs keep running");
                let _ = signals.shutdown.send(true);
            }
            DaemonSignal::Hangup => {
                info!("SIGHUP: reconfigure is not supported yet, keeping the running configuration")
            }
        });
        // Step ends become REQUEST_COMPLETE_BATCH_SCRIPT; the ones a previous
        // instance left unreported are sent once registration is through.
        tokio::spawn(ctl.clone().completion_loop(agent.clone(), exits));
        {
            let (ctl, agent) = (ctl.clone(), agent.clone());
            tokio::spawn(async move {
                ctl.register_until_answered(&agent).await;
                ctl.report_ended(agent, report.ended).await;
            });
        }
        info!(node = %agent.settings().node_name, "listening on port {}", agent.settings().port);
        server::run(server, listener).await;
        Ok::<(), String>(())
    })
}
