//! Harness for running the stock Slurm 22.05 clients (sbatch, squeue, sinfo,
//! scontrol, scancel) against a controller — ours (`slurmctld-rs`) or the
//! upstream `slurmctld` — and comparing their output with goldens recorded
//! from upstream. See `compat-tests/README.md`.

mod cluster;
mod conf;
mod controller;
mod golden;
mod normalize;
mod output;
mod ports;
mod user;

pub use cluster::{Cluster, ClusterOpts, CustomLayout, Error};
pub use golden::Golden;
pub use normalize::Normalizer;
pub use output::Output;
pub use user::{ensure_test_user, TEST_USER};
