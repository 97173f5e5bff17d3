//! The side-by-side benchmark driver behind `bench/run`: for each measure it
//! runs upstream slurmctld 22.05 and slurmctld-rs on the same slurm.conf, one
//! after the other, and prints medians and ratios. See bench/README.md.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bench::cluster::Cluster;
use bench::loadgen::{self, LoadSpec};
use bench::proc;
use bench::results::{Better, Results, Side};
use clap::Parser;

const START_TIMEOUT: Duration = Duration::from_secs(120);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Parser)]
#[command(about = "slurm-rs vs upstream Slurm 22.05, side by side")]
struct Args {
    /// Smoke run for CI: small counts, one repetition.
    #[arg(long)]
    quick: bool,
    /// Repetitions (medians are reported); default 3, 1 with --quick.
    #[arg(long)]
    reps: Option<usize>,
    /// Upstream controller.
    #[arg(long, default_value = "/usr/sbin/slurmctld")]
    upstream: PathBuf,
    /// Our controller; default: slurmctld-rs next to this binary.
    #[arg(long)]
    ours: Option<PathBuf>,
    /// Scratch directory for the throwaway clusters.
    #[arg(long, default_value = "/tmp/slurm-bench")]
    workdir: PathBuf,
    /// Measure groups to run: submit, scale, jobs (default all).
    #[arg(long, value_delimiter = ',', default_values_t = vec!["submit".to_string(), "scale".to_string(), "jobs".to_string()])]
    only: Vec<String>,
    /// Upstream node daemon.
    #[arg(long, default_value = "/usr/sbin/slurmd")]
    upstream_slurmd: PathBuf,
    /// Our node daemon; default: slurmd-rs next to this binary.
    #[arg(long)]
    ours_slurmd: Option<PathBuf>,
    /// Queue sizes for the scale group, each `JOBS:CALLS` (e.g.
    /// `100000:1`), replacing the mode's default points.
    #[arg(long, value_delimiter = ',', value_parser = parse_point)]
    points: Vec<(u64, usize)>,
    /// Controllers to measure: upstream, ours (default both).
    #[arg(long, value_delimiter = ',', default_values_t = vec!["upstream".to_string(), "ours".to_string()])]
    sides: Vec<String>,
}

fn parse_point(s: &str) -> Result<(u64, usize), String> {
    let (jobs, calls) = s.split_once(':').unwrap_or((s, "1"));
    let jobs = jobs.parse::<u64>().map_err(|e| format!("{s}: {e}"))?;
    let calls = calls.parse::<usize>().map_err(|e| format!("{s}: {e}"))?;
    if jobs == 0 || calls == 0 {
        return Err(format!("{s}: jobs and calls must be positive"));
    }
    Ok((jobs, calls))
}

/// Counts for one run mode.
struct Sizes {
    reps: usize,
    floor_pairs: u64,
    sbatch_jobs: u64,
    loadgen_jobs: u64,
    connections: Vec<usize>,
    /// Queue sizes for squeue/scontrol/RSS, with the number of timed calls at each.
    points: Vec<(u64, usize)>,
    /// Jobs run to completion for measure 5.
    run_jobs: u64,
}

impl Sizes {
    fn new(quick: bool, reps: Option<usize>) -> Sizes {
        if quick {
            Sizes {
                reps: reps.unwrap_or(1),
                floor_pairs: 2000,
                sbatch_jobs: 200,
                loadgen_jobs: 2000,
                connections: vec![1, 8, 32],
                points: vec![(100, 3), (1000, 3)],
                run_jobs: 100,
            }
        } else {
            Sizes {
                reps: reps.unwrap_or(3),
                floor_pairs: 10_000,
                sbatch_jobs: 2000,
                loadgen_jobs: 20_000,
                connections: vec![1, 8, 32],
                points: vec![(1000, 10), (10_000, 5), (100_000, 3)],
                run_jobs: 1000,
            }
        }
    }
}

struct Bench {
    sizes: Sizes,
    sides: Vec<String>,
    bins: [(Side, PathBuf); 2],
    /// Node daemons for measure 5: (label, executable).
    slurmds: [(&'static str, PathBuf); 2],
    workdir: PathBuf,
    results: Results,
    failures: Vec<String>,
    seq: u32,
}

fn log(msg: &str) {
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    eprintln!(
        "bench [{:02}:{:02}:{:02}] {msg}",
        (t / 3600) % 24,
        (t / 60) % 60,
        t % 60
    );
}

fn name(side: Side) -> &'static str {
    match side {
        Side::Upstream => "upstream",
        Side::Ours => "slurmctld-rs",
    }
}

impl Bench {
    fn cluster(&mut self, side: Side, bin: &Path) -> Result<Cluster, String> {
        self.seq += 1;
        let dir = self.workdir.join(format!("{}-{}", self.seq, name(side)));
        let _ = std::fs::remove_dir_all(&dir);
        Cluster::start(bin, &dir, 200_000, START_TIMEOUT)
    }

    fn spec(c: &Cluster, jobs: u64, connections: usize) -> LoadSpec {
        LoadSpec {
            controller: c.ctld_addr,
            munge_socket: Some(c.munge_socket.clone()),
            jobs,
            connections,
            rpc_timeout: Duration::from_secs(60),
            deadline: Duration::from_secs(1800),
            max_errors: jobs / 10 + 100,
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            work_dir: c.dir.display().to_string(),
            host: "localhost".into(),
            hold: true,
            presign: false,
        }
    }

    /// Measure 5: `run_jobs` runnable `sbatch --wrap=true` jobs (submitted
    /// by the load generator over 8 connections) on 4 nodes, each with a
    /// node daemon, from the first submission until every job is COMPLETED.
    fn jobs_group(&mut self, side: Side, bin: &Path) -> Result<(), String> {
        const S: &str = "5. Job throughput";
        let n = self.sizes.run_jobs;
        for (label, slurmd) in self.slurmds.clone() {
            let mut c = self.cluster(side, bin)?;
            c.start_nodes(&slurmd, START_TIMEOUT)?;
            let pid = c.ctld_pid().ok_or("no controller")?;
            let cpu0 = proc::cpu_seconds(pid).ok_or("no /proc stat")?;
            let start = Instant::now();
            let r = loadgen::run(&LoadSpec {
                hold: false,
                ..Self::spec(&c, n, 8)
            });
            if r.accepted != n {
                return Err(format!(
                    "{label}: accepted {} of {n}: {:?}",
                    r.accepted, r.error_kinds
                ));
            }
            let deadline = start + Duration::from_secs(1800);
            loop {
                let active = c.client_output(
                    &["squeue", "-h", "-t", "PD,R,CG,CF", "-o", "%i"],
                    CLIENT_TIMEOUT,
                );
                let busy = c.client_output(
                    &["sinfo", "-h", "-N", "-t", "alloc,mix,comp", "-o", "%N"],
                    CLIENT_TIMEOUT,
                );
                if active.trim().is_empty() && busy.trim().is_empty() {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "{label}: jobs still active after 30 min:\n{}",
                        c.log_tail(20)
                    ));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let wall = start.elapsed().as_secs_f64();
            let cpu1 = proc::cpu_seconds(pid).ok_or("controller died")?;
            let done = c.client_output(&["squeue", "-h", "-t", "all", "-o", "%T"], CLIENT_TIMEOUT);
            let completed = done.lines().filter(|l| l.trim() == "COMPLETED").count() as u64;
            if completed != n {
                let states: std::collections::BTreeMap<&str, usize> =
                    done.lines().fold(Default::default(), |mut m, l| {
                        *m.entry(l.trim()).or_default() += 1;
                        m
                    });
                return Err(format!(
                    "{label}: {completed} of {n} jobs COMPLETED: {states:?}"
                ));
            }
            self.results.record(
                S,
                &format!("{n} jobs submit→COMPLETED, 4 nodes, {label}"),
                "jobs/s",
                Better::Higher,
                side,
                n as f64 / wall,
            );
            self.results.record(
                S,
                &format!("controller CPU per job run, {label}"),
                "ms",
                Better::Lower,
                side,
                (cpu1 - cpu0) * 1000.0 / n as f64,
            );
        }
        Ok(())
    }

    /// Runs the load generator and returns (jobs/s, controller CPU s per job).
    fn load(
        &mut self,
        c: &Cluster,
        jobs: u64,
        connections: usize,
        presign: bool,
    ) -> Result<(f64, f64), String> {
        let pid = c.ctld_pid().ok_or("no controller")?;
        let cpu0 = proc::cpu_seconds(pid).ok_or("no /proc stat")?;
        // Pre-signing happens inside run() before its clock starts; the
        // controller is idle meanwhile, so its CPU figure is unaffected.
        let r = loadgen::run(&LoadSpec {
            presign,
            ..Self::spec(c, jobs, connections)
        });
        let cpu1 = proc::cpu_seconds(pid).ok_or("controller died")?;
        if r.errors > 0 {
            log(&format!(
                "loadgen: {} errors: {:?}",
                r.errors, r.error_kinds
            ));
        }
        if r.aborted {
            return Err(format!(
                "loadgen accepted only {} of {jobs}: {:?}",
                r.accepted, r.error_kinds
            ));
        }
        Ok((r.jobs_per_sec(), (cpu1 - cpu0) / r.accepted.max(1) as f64))
    }

    fn submit_group(&mut self, side: Side, bin: &Path) -> Result<(), String> {
        const S: &str = "1. Submissions";
        let (floor, sbatch_n) = (self.sizes.floor_pairs, self.sizes.sbatch_jobs);
        // MUNGE floor and stock sbatch on one fresh cluster.
        let c = self.cluster(side, bin)?;
        for t in [1usize, 8] {
            let r = loadgen::munge_floor(Some(&c.munge_socket), t, floor)?;
            self.results.record(
                S,
                &format!("MUNGE floor, encode+decode, {t} thread(s)"),
                "pairs/s",
                Better::Higher,
                side,
                r,
            );
        }
        let pid = c.ctld_pid().ok_or("no controller")?;
        let cpu0 = proc::cpu_seconds(pid).unwrap_or(0.0);
        let next = AtomicU64::new(0);
        let fails = AtomicU64::new(0);
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    while fails.load(Ordering::Relaxed) < 50
                        && next.fetch_add(1, Ordering::Relaxed) < sbatch_n
                    {
                        let r = c.client(
                            &["sbatch", "-Q", "--hold", "--wrap=true"],
                            Duration::from_secs(60),
                        );
                        if !r.ok {
                            fails.fetch_add(1, Ordering::Relaxed);
                            next.fetch_sub(1, Ordering::Relaxed);
                            log(&format!("sbatch failed: {}", r.stderr.trim()));
                        }
                    }
                });
            }
        });
        let wall = start.elapsed().as_secs_f64();
        let cpu = proc::cpu_seconds(pid).ok_or("controller died")? - cpu0;
        if fails.load(Ordering::Relaxed) >= 50 {
            return Err("sbatch failed 50 times".into());
        }
        self.results.record(
            S,
            &format!("stock sbatch, 8 parallel, {sbatch_n} jobs"),
            "jobs/s",
            Better::Higher,
            side,
            sbatch_n as f64 / wall,
        );
        self.results.record(
            S,
            "  controller CPU per sbatch submission",
            "ms",
            Better::Lower,
            side,
            cpu / sbatch_n as f64 * 1e3,
        );
        drop(c);
        // The load generator, each connection count on a fresh cluster, with
        // credentials made before the clock starts; then once signing live.
        let runs = self
            .sizes
            .connections
            .iter()
            .map(|&c| (c, true))
            .chain([(8, false)])
            .collect::<Vec<_>>();
        for (conns, presign) in runs {
            let c = self.cluster(side, bin)?;
            let n = self.sizes.loadgen_jobs;
            let (rate, cpu) = self.load(&c, n, conns, presign)?;
            let how = if presign {
                "pre-signed"
            } else {
                "signing live"
            };
            self.results.record(
                S,
                &format!("loadgen, {how}, {conns} connection(s), {n} jobs"),
                "jobs/s",
                Better::Higher,
                side,
                rate,
            );
            self.results.record(
                S,
                &format!("  controller CPU per submission, {how}, {conns} conn."),
                "ms",
                Better::Lower,
                side,
                cpu * 1e3,
            );
        }
        Ok(())
    }

    /// Times `calls` runs of a client; returns (median wall s, controller CPU s per call).
    fn time_client(c: &Cluster, args: &[&str], calls: usize) -> Result<(f64, f64), String> {
        let pid = c.ctld_pid().ok_or("no controller")?;
        let cpu0 = proc::cpu_seconds(pid).ok_or("no /proc stat")?;
        let mut walls = vec![];
        for _ in 0..calls {
            let r = c.client(args, CLIENT_TIMEOUT);
            if !r.ok {
                return Err(format!("`{}` failed: {}", args.join(" "), r.stderr.trim()));
            }
            walls.push(r.wall.as_secs_f64());
        }
        let cpu = proc::cpu_seconds(pid).ok_or("controller died")? - cpu0;
        Ok((
            bench::results::median(&walls).unwrap_or(0.0),
            cpu / calls as f64,
        ))
    }

    fn scale_group(&mut self, side: Side, bin: &Path) -> Result<(), String> {
        const Q: &str = "2. Queries (stock clients, output to /dev/null)";
        const M: &str = "3. Controller memory";
        const R: &str = "4. Restart after kill -9";
        let mut c = self.cluster(side, bin)?;
        std::thread::sleep(Duration::from_secs(2));
        let pid = c.ctld_pid().ok_or("no controller")?;
        let rss0 = proc::rss_kib(pid).ok_or("no /proc status")? as f64;
        self.results.record(
            M,
            "VmRSS at 0 jobs",
            "MiB",
            Better::Lower,
            side,
            rss0 / 1024.0,
        );
        let mut have = 0u64;
        for (point, calls) in self.sizes.points.clone() {
            let t = Instant::now();
            self.load(&c, point - have, 8, false)?;
            log(&format!(
                "{}: queue filled to {point} in {:.1} s",
                name(side),
                t.elapsed().as_secs_f64()
            ));
            have = point;
            std::thread::sleep(Duration::from_secs(1));
            let n = c.job_count(CLIENT_TIMEOUT).ok_or("squeue failed")?;
            if n as u64 != point {
                return Err(format!("squeue shows {n} jobs, expected {point}"));
            }
            let rss = proc::rss_kib(pid).ok_or("controller died")? as f64;
            self.results.record(
                M,
                &format!("VmRSS at {point} jobs"),
                "MiB",
                Better::Lower,
                side,
                rss / 1024.0,
            );
            self.results.record(
                M,
                &format!("  bytes per pending job (0 -> {point})"),
                "B",
                Better::Lower,
                side,
                (rss - rss0) * 1024.0 / point as f64,
            );
            let (wall, cpu) = Self::time_client(&c, &["squeue"], calls)?;
            self.results.record(
                Q,
                &format!("squeue at {point} jobs, wall"),
                "s",
                Better::Lower,
                side,
                wall,
            );
            self.results.record(
                Q,
                &format!("  controller CPU per squeue at {point}"),
                "ms",
                Better::Lower,
                side,
                cpu * 1e3,
            );
            let (wall, cpu) = Self::time_client(&c, &["scontrol", "show", "job"], calls)?;
            self.results.record(
                Q,
                &format!("scontrol show job at {point} jobs, wall"),
                "s",
                Better::Lower,
                side,
                wall,
            );
            self.results.record(
                Q,
                &format!("  controller CPU per scontrol show job at {point}"),
                "ms",
                Better::Lower,
                side,
                cpu * 1e3,
            );
        }
        // Let state saving settle (upstream saves in the background), then kill -9.
        wait_state_quiet(
            &c.dir.join("state"),
            Duration::from_secs(3),
            Duration::from_secs(120),
        );
        c.kill9();
        let t0 = Instant::now();
        c.spawn_controller()?;
        c.wait_up(START_TIMEOUT)?;
        let t_ping = t0.elapsed().as_secs_f64();
        let deadline = t0 + Duration::from_secs(600);
        let mut seen = 0;
        let t_full = loop {
            if let Some(n) = c.job_count(CLIENT_TIMEOUT) {
                seen = n;
                if n as u64 >= have {
                    break Some(t0.elapsed().as_secs_f64());
                }
            }
            if Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.results.record(
            R,
            &format!("first answered ping, {have} jobs"),
            "s",
            Better::Lower,
            side,
            t_ping,
        );
        match t_full {
            Some(t) => self.results.record(
                R,
                &format!("full squeue ({have} jobs), from restart"),
                "s",
                Better::Lower,
                side,
                t,
            ),
            None => return Err(format!("after restart squeue shows {seen} of {have} jobs")),
        }
        Ok(())
    }

    fn run_group(&mut self, group: &str, rep: usize) {
        for i in 0..2 {
            let (side, bin) = self.bins[i].clone();
            let key = if side == Side::Upstream {
                "upstream"
            } else {
                "ours"
            };
            if !self.sides.iter().any(|s| s == key) {
                continue;
            }
            log(&format!("rep {rep}: {group} on {}", name(side)));
            let r = match group {
                "submit" => self.submit_group(side, &bin),
                "jobs" => self.jobs_group(side, &bin),
                _ => self.scale_group(side, &bin),
            };
            if let Err(e) = r {
                log(&format!("FAILED {group} on {}: {e}", name(side)));
                self.failures.push(format!(
                    "rep {rep} {group} {}: {}",
                    name(side),
                    e.lines().next().unwrap_or("")
                ));
            }
        }
    }
}

/// Waits until no file in `dir` changed for `quiet`, at most `max`.
fn wait_state_quiet(dir: &Path, quiet: Duration, max: Duration) {
    let start = Instant::now();
    while start.elapsed() < max {
        let newest = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.metadata().ok()?.modified().ok())
            .max();
        match newest.and_then(|m| m.elapsed().ok()) {
            Some(age) if age >= quiet => return,
            _ => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

fn main() {
    let a = Args::parse();
    let ours = a.ours.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| Some(p.parent()?.join("slurmctld-rs")))
            .unwrap_or_default()
    });
    let ours_slurmd = a
        .ours_slurmd
        .clone()
        .unwrap_or_else(|| ours.with_file_name("slurmd-rs"));
    for b in [&a.upstream, &ours] {
        if !b.is_file() {
            eprintln!("slurm-bench: controller {} not found", b.display());
            std::process::exit(2);
        }
    }
    if let Err(e) = std::fs::create_dir_all(&a.workdir) {
        eprintln!("slurm-bench: {}: {e}", a.workdir.display());
        std::process::exit(2);
    }
    let mut sizes = Sizes::new(a.quick, a.reps);
    if !a.points.is_empty() {
        let mut points = a.points.clone();
        points.sort_unstable();
        sizes.points = points;
    }
    let mut b = Bench {
        sizes,
        sides: a.sides.clone(),
        bins: [
            (Side::Upstream, a.upstream.clone()),
            (Side::Ours, ours.clone()),
        ],
        slurmds: [
            ("stock slurmd", a.upstream_slurmd.clone()),
            ("slurmd-rs", ours_slurmd),
        ],
        workdir: a.workdir.clone(),
        results: Results::default(),
        failures: vec![],
        seq: 0,
    };
    let started = Instant::now();
    log(&format!(
        "{} mode, {} rep(s); upstream {}, ours {}",
        if a.quick { "quick" } else { "full" },
        b.sizes.reps,
        a.upstream.display(),
        ours.display()
    ));
    for rep in 1..=b.sizes.reps {
        for group in ["submit", "scale", "jobs"] {
            if a.only.iter().any(|g| g == group) {
                b.run_group(group, rep);
            }
        }
        if rep < b.sizes.reps {
            // Interim medians, so a long run that is cut short still reports.
            eprintln!("bench: medians after rep {rep}:\n{}", b.results.markdown());
        }
    }
    println!(
        "## slurm-rs vs upstream slurmctld 22.05 ({} mode, medians of {} rep(s), {:.0} s)",
        if a.quick { "quick" } else { "full" },
        b.sizes.reps,
        started.elapsed().as_secs_f64()
    );
    println!("{}", b.results.markdown());
    println!("### Targets (issue 4; informational, never a failure)\n");
    targets(&b.results, &b.sizes);
    if !b.failures.is_empty() {
        println!("\n### Failures\n");
        for f in &b.failures {
            println!("- {f}");
        }
        std::process::exit(1);
    }
}

fn targets(r: &Results, s: &Sizes) {
    let n = s.loadgen_jobs;
    let best = |side| {
        s.connections
            .iter()
            .filter_map(|c| {
                r.median(
                    &format!("loadgen, pre-signed, {c} connection(s), {n} jobs"),
                    side,
                )
            })
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    let line = |what: &str, ok: Option<bool>, detail: String| {
        let verdict = match ok {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "not measured",
        };
        println!("- {what}: {verdict} ({detail})");
    };
    let (bu, bo) = (best(Side::Upstream), best(Side::Ours));
    let sb = r.median(
        &format!("stock sbatch, 8 parallel, {} jobs", s.sbatch_jobs),
        Side::Upstream,
    );
    line(
        "loadgen >= 5x upstream submissions/s",
        bu.zip(bo).map(|(u, o)| o >= 5.0 * u),
        format!(
            "best ours {} vs best upstream loadgen {}, upstream 8x sbatch {} jobs/s",
            f(bo),
            f(bu),
            f(sb)
        ),
    );
    let floor = r.median("MUNGE floor, encode+decode, 8 thread(s)", Side::Ours);
    line(
        "loadgen within 80% of the MUNGE floor",
        bo.zip(floor).map(|(o, f)| o >= 0.8 * f),
        format!(
            "ours {} jobs/s vs floor {} pairs/s (8 threads)",
            f(bo),
            f(floor)
        ),
    );
    let top = s.points.last().map(|p| p.0).unwrap_or(0);
    let k = format!("  controller CPU per squeue at {top}");
    let (u, o) = (r.median(&k, Side::Upstream), r.median(&k, Side::Ours));
    line(
        "CPU per squeue <= 1/5 upstream",
        u.zip(o).map(|(u, o)| o <= u / 5.0),
        format!("at {top} jobs: ours {} ms vs upstream {} ms", f(o), f(u)),
    );
    let k = format!("  bytes per pending job (0 -> {top})");
    let (u, o) = (r.median(&k, Side::Upstream), r.median(&k, Side::Ours));
    line(
        "RSS per job <= 1/2 upstream",
        u.zip(o).map(|(u, o)| o <= u / 2.0),
        format!("ours {} B vs upstream {} B", f(o), f(u)),
    );
    let k = format!("full squeue ({top} jobs), from restart");
    let o = r.median(&k, Side::Ours);
    line(
        &format!("restart with {top} jobs < 1 s"),
        o.map(|o| o < 1.0),
        format!("ours {} s to a full squeue", f(o)),
    );
}
