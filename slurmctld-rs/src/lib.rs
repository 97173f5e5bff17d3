//! slurmctld-rs: a drop-in replacement for Slurm 22.05's slurmctld.
//!
//! `core` is the socket-free state machine; `server` moves bytes and time
//! into it; `state` makes what it acknowledged durable; `config` turns
//! slurm.conf into the core's description of the cluster.

pub mod agent;
pub mod config;
pub mod core;
pub mod server;
pub mod state;
