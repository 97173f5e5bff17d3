//! What slurmctld-rs and slurmd-rs share around [`wire`]: reading frames
//! with memory bounded before authentication ([`read`]), verifying them
//! ([`verify`]), serving connections ([`serve`]), calling other daemons
//! ([`client`]) and start-up ([`startup`]). `wire` stays free of I/O;
//! this crate is where sockets and tokio meet it.
//!
//! # Memory a peer can make a daemon hold before it is authenticated
//!
//! Per connection: at most `2 × bytes received + 64 KiB`, never more than
//! [`read::FrameLimits::max_frame`] (1 GiB by default, upstream's limit).
//! Per daemon: at most [`read::FrameLimits::budget`] in all (1 GiB by
//! default), however many connections are open: a connection that needs
//! more waits for others to finish or time out (MessageTimeout). Without
//! the budget the worst case would be `max_connections × 1 GiB` (256 GiB
//! with the daemons' 256 connections).

pub mod client;
pub mod read;
pub mod serve;
pub mod startup;
pub mod verify;

pub use client::Client;
pub use read::{Budget, FrameLimits};
pub use serve::{ServeConfig, Server, Service};
pub use verify::{Refused, Request};
