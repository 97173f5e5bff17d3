//! Fixtures shared by the harnesses that start real daemons
//! (compat-tests, difftest through it, bench): a private munged with its
//! own key and socket, and child processes that die with their test.

pub mod munge;
pub mod process;

pub use munge::Munged;
pub use process::Daemon;
