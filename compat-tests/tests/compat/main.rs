//! Compatibility tests: stock Slurm 22.05 clients against the controller
//! under test, compared with goldens recorded from upstream slurmctld.
//! One test binary so that all clusters start in parallel.

mod common;
mod durability;
mod harness;
mod job_control;
mod jobs;
mod jobs_common;
mod nodes_harness;
mod prolog;
mod sbatch;
mod scontrol;
mod sinfo;
mod squeue;
mod srun;
mod steps;
mod train;
