//! `slurm-difftest`: run seeds on upstream and on slurmctld-rs and compare;
//! show a seed's case; replay a saved case; record a case's upstream
//! transcript. See difftest/README.md.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use clap::{Parser, Subcommand};
use difftest::case::Case;
use difftest::compare::{run_compare, shrink, Verdict};
use difftest::run::{run_case, Side};

#[derive(Parser)]
#[command(about = "Differential tester: upstream slurmctld against slurmctld-rs")]
struct Cli {
    /// Upstream's controller.
    #[arg(long, default_value = "/usr/sbin/slurmctld", global = true)]
    upstream: PathBuf,
    /// Ours (default: the newest target/{debug,release}/slurmctld-rs).
    #[arg(long, global = true)]
    ours: Option<PathBuf>,
    /// The node daemon both controllers drive.
    #[arg(long, default_value = "/usr/sbin/slurmd", global = true)]
    slurmd: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs seeds FIRST..=LAST on both sides and compares.
    Run {
        #[arg(long, default_value_t = 1)]
        first: u64,
        #[arg(long, default_value_t = 20)]
        last: u64,
        /// Actions per sequence.
        #[arg(long, default_value_t = 10)]
        len: usize,
        /// Seeds run at once (each runs two clusters).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Shrink each difference (re-runs both sides per candidate).
        #[arg(long)]
        shrink: bool,
        /// Trial budget of one shrink.
        #[arg(long, default_value_t = 24)]
        max_trials: usize,
        /// Where found cases and results.tsv go.
        #[arg(long, default_value = "/tmp/difftest")]
        out: PathBuf,
    },
    /// Prints the case a seed stands for.
    Show {
        seed: u64,
        #[arg(long, default_value_t = 10)]
        len: usize,
    },
    /// Runs a saved case (DIR/case.txt) on both sides and compares.
    Compare { dir: PathBuf },
    /// Runs a saved case on upstream and writes DIR/expected.txt.
    Record { dir: PathBuf },
    /// Runs a saved case on ours and compares with DIR/expected.txt.
    Replay { dir: PathBuf },
}

fn main() {
    let cli = Cli::parse();
    let ours_bin = cli.ours.clone().map(absolute).unwrap_or_else(|| {
        compat_tests_controller().unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2)
        })
    });
    let upstream = Side {
        name: "upstream".into(),
        controller: cli.upstream.clone(),
        slurmd: cli.slurmd.clone(),
    };
    let ours = Side {
        name: "ours".into(),
        controller: ours_bin,
        slurmd: cli.slurmd.clone(),
    };
    let code = match cli.command {
        Command::Show { seed, len } => {
            print!("{}", Case::from_seed(seed, len).to_text());
            0
        }
        Command::Run {
            first,
            last,
            len,
            jobs,
            shrink,
            max_trials,
            out,
        } => run_seeds(
            first..=last,
            len,
            jobs,
            shrink,
            max_trials,
            &out,
            &upstream,
            &ours,
        ),
        Command::Compare { dir } => {
            let case = read_case(&dir);
            match run_compare(&case, &upstream, &ours) {
                Verdict::Same => {
                    println!("same");
                    0
                }
                Verdict::Differs(d) => {
                    println!("{}", d.render());
                    1
                }
                Verdict::UpstreamRefused(e) => {
                    println!("upstream refused the case: {e}");
                    2
                }
            }
        }
        Command::Record { dir } => {
            let case = read_case(&dir);
            match run_case(&case, &upstream) {
                Ok(t) => {
                    fs::write(dir.join("expected.txt"), t.to_text()).expect("writing expected.txt");
                    println!("recorded {}", dir.join("expected.txt").display());
                    0
                }
                Err(e) => {
                    eprintln!("upstream failed: {e}");
                    1
                }
            }
        }
        Command::Replay { dir } => match difftest::replay(&dir, &ours) {
            Ok(()) => {
                println!("same as upstream");
                0
            }
            Err(e) => {
                println!("{e}");
                1
            }
        },
    };
    std::process::exit(code);
}

fn absolute(p: PathBuf) -> PathBuf {
    std::fs::canonicalize(&p).unwrap_or(p)
}

fn compat_tests_controller() -> Result<PathBuf, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("slurmctld-rs"))
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .max()
        .map(|(_, p)| p)
        .ok_or_else(|| {
            "no slurmctld-rs built: cargo build --release -p slurmctld-rs, or --ours".into()
        })
}

fn read_case(dir: &Path) -> Case {
    let text = fs::read_to_string(dir.join("case.txt"))
        .unwrap_or_else(|e| panic!("reading {}/case.txt: {e}", dir.display()));
    Case::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

#[allow(clippy::too_many_arguments)]
fn run_seeds(
    seeds: std::ops::RangeInclusive<u64>,
    len: usize,
    jobs: usize,
    do_shrink: bool,
    max_trials: usize,
    out: &Path,
    upstream: &Side,
    ours: &Side,
) -> i32 {
    fs::create_dir_all(out).expect("creating the output dir");
    let tsv = Mutex::new(
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out.join("results.tsv"))
            .expect("opening results.tsv"),
    );
    let next = AtomicU64::new(*seeds.start());
    let last = *seeds.end();
    let counts = Mutex::new((0u64, 0u64, 0u64));
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::SeqCst);
                if seed > last {
                    break;
                }
                let t0 = Instant::now();
                let case = Case::from_seed(seed, len);
                let verdict = run_compare(&case, upstream, ours);
                let secs = t0.elapsed().as_secs();
                let (result, step, section) = match &verdict {
                    Verdict::Same => ("same", 0, String::new()),
                    Verdict::Differs(d) => ("differs", d.step, d.section.clone()),
                    Verdict::UpstreamRefused(_) => ("upstream-refused", 0, String::new()),
                };
                println!("seed {seed}: {result} {section} (step {step}, {secs} s)");
                {
                    let mut c = counts.lock().unwrap();
                    match result {
                        "same" => c.0 += 1,
                        "differs" => c.1 += 1,
                        _ => c.2 += 1,
                    }
                    let _ = writeln!(
                        tsv.lock().unwrap(),
                        "{seed}\t{result}\t{step}\t{section}\t{secs}"
                    );
                }
                match verdict {
                    Verdict::Differs(d) => {
                        let dir = out.join(format!("seed-{seed}"));
                        let (case, d) = if do_shrink {
                            shrink(&case, &d, upstream, ours, max_trials, &|m| {
                                println!("seed {seed}: {m}")
                            })
                        } else {
                            (case, d)
                        };
                        save_found(&dir, &case, &d);
                        println!(
                            "seed {seed}: saved {} ({} actions)",
                            dir.display(),
                            case.actions.len()
                        );
                    }
                    Verdict::UpstreamRefused(e) => {
                        let first = e.lines().next().unwrap_or_default().to_string();
                        println!("seed {seed}: upstream refused: {first}");
                    }
                    Verdict::Same => {}
                }
            });
        }
    });
    let (same, differs, refused) = *counts.lock().unwrap();
    println!(
        "{} seeds in {} s: {same} same, {differs} differ, {refused} not taken by upstream",
        same + differs + refused,
        started.elapsed().as_secs()
    );
    if differs > 0 {
        1
    } else {
        0
    }
}

fn save_found(dir: &Path, case: &Case, d: &difftest::compare::Difference) {
    fs::create_dir_all(dir).expect("creating the case dir");
    fs::write(dir.join("case.txt"), case.to_text()).expect("writing case.txt");
    fs::write(dir.join("diff.txt"), d.render()).expect("writing diff.txt");
}
