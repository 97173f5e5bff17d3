//! Everything both ends of a Slurm RPC must agree on, with no I/O: the pack
//! primitives, the header and framing, authentication, typed messages per protocol
//! version, hostlist expressions and the slurm.conf parser.

pub mod addr;
pub mod auth;
pub mod conf;
pub mod errno;
pub mod frame;
pub mod header;
pub mod hostlist;
pub mod job_reason;
pub mod msg;
pub mod pack;
pub mod step_io;
pub mod version;
