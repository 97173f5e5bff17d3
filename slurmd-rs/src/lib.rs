//! slurmd-rs: the compute node daemon (slurmd + slurmstepd of Slurm 22.05).
//!
//! - [`hw`]: what the host has (`slurmd -C`, registration);
//! - [`config`]: this node's slice of slurm.conf;
//! - [`gres`]: gres.conf, the registration's GRES block, GPU variables;
//! - [`step`]: the step manager (batch scripts now, srun steps next);
//! - [`agent`]: [`agent::NodeAgent`], what the RPC handlers call;
//! - [`server`]: the tokio shell: listen, verify, dispatch, reply;
//! - [`srun_step`]: srun steps, run by the `slurmstepd-rs` step daemon.

pub mod agent;
pub mod config;
pub mod ctld;
pub mod gres;
pub mod handlers;
pub mod hw;
pub mod server;
pub mod srun_step;
pub mod step;
