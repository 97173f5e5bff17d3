//! Benchmarks slurm-rs against upstream Slurm 22.05: a load generator that
//! speaks the wire protocol, and the pieces of the side-by-side driver
//! (`slurm-bench`, run through `bench/run`). See `bench/README.md`.

pub mod cluster;
pub mod job_desc;
pub mod loadgen;
pub mod proc;
pub mod results;
pub mod rpc;
