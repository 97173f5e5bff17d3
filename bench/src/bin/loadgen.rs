//! Load generator: submits held batch jobs (REQUEST_SUBMIT_BATCH_JOB, what
//! `sbatch --hold --wrap=true` sends) to a slurmctld — ours or upstream's —
//! over N concurrent connections, one fresh MUNGE credential per request.
//!
//! Prints one line: `accepted=.. errors=.. elapsed_s=.. jobs_per_s=..`.
//! Exit status 1 if fewer jobs than asked were accepted.

use std::net::ToSocketAddrs;
use std::time::Duration;

use bench::loadgen::{self, LoadSpec};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Submit held batch jobs to slurmctld over N concurrent connections")]
struct Args {
    /// Controller address, HOST:PORT (SlurmctldHost:SlurmctldPort).
    #[arg(short = 'c', long)]
    controller: String,
    /// munged socket (AuthInfo=socket=...); default: libmunge's.
    #[arg(short = 'S', long)]
    munge_socket: Option<String>,
    /// Jobs to submit.
    #[arg(short = 'n', long, default_value_t = 1000)]
    jobs: u64,
    /// Concurrent connections.
    #[arg(short = 'P', long, default_value_t = 8)]
    connections: usize,
    /// Per-RPC timeout in seconds.
    #[arg(long, default_value_t = 30)]
    rpc_timeout: u64,
    /// Overall time limit in seconds.
    #[arg(long, default_value_t = 600)]
    deadline: u64,
    /// Also measure the MUNGE floor (encode+decode pairs/s) with this many threads first.
    #[arg(long)]
    munge_floor: Option<usize>,
    /// Make every credential before the clock starts (clients on other hosts).
    #[arg(long)]
    presign: bool,
    /// Working directory recorded in the jobs.
    #[arg(long, default_value = "/tmp")]
    work_dir: String,
}

fn main() {
    let a = Args::parse();
    let controller = match a
        .controller
        .to_socket_addrs()
        .ok()
        .and_then(|mut i| i.next())
    {
        Some(addr) => addr,
        None => {
            eprintln!("loadgen: cannot resolve {}", a.controller);
            std::process::exit(2);
        }
    };
    if let Some(t) = a.munge_floor {
        match loadgen::munge_floor(a.munge_socket.as_deref(), t, 10_000) {
            Ok(r) => println!("munge_floor_threads={t} pairs_per_s={r:.0}"),
            Err(e) => {
                eprintln!("loadgen: munge: {e}");
                std::process::exit(2);
            }
        }
    }
    let host = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into());
    let spec = LoadSpec {
        controller,
        munge_socket: a.munge_socket,
        jobs: a.jobs,
        connections: a.connections,
        rpc_timeout: Duration::from_secs(a.rpc_timeout),
        deadline: Duration::from_secs(a.deadline),
        max_errors: a.jobs / 10 + 100,
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
        work_dir: a.work_dir,
        host,
        hold: true,
        presign: a.presign,
    };
    let r = loadgen::run(&spec);
    println!(
        "accepted={} errors={} elapsed_s={:.3} jobs_per_s={:.0} connections={}",
        r.accepted,
        r.errors,
        r.elapsed.as_secs_f64(),
        r.jobs_per_sec(),
        spec.connections
    );
    for (k, n) in &r.error_kinds {
        eprintln!("loadgen: {n} x {k}");
    }
    if r.aborted {
        std::process::exit(1);
    }
}
