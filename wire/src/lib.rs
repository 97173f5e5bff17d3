//! Everything both ends of a Slurm RPC must agree on, with no I/O: the pack
//! primitives, the header and framing, authentication, typed messages per protocol
//! version, hostlist expressions and the slurm.conf parser.

pub mod conf;
pub mod hostlist;
pub mod pack;
