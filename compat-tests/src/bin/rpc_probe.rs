//! Sends one RPC to a controller with a fresh MUNGE credential and prints
//! the decoded reply. A developer's tool for comparing our controller with
//! upstream's at the message level.
//!
//! Usage: rpc_probe HOST:PORT MUNGE_SOCKET nodes|partitions|jobs|config|ping

use std::io::{Read, Write};
use std::net::TcpStream;

use wire::auth::body_hash;
use wire::auth::munge::Munge;
use wire::auth::{CredentialService, RestrictUid};
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::Message;
use wire::version::ProtocolVersion;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: rpc_probe HOST:PORT MUNGE_SOCKET nodes|partitions|jobs|config|ping");
        std::process::exit(2);
    }
    let req = match args[3].as_str() {
        "nodes" => Message::NodeInfoRequest {
            last_update: 0,
            show_flags: 0x10,
        },
        "partitions" => Message::PartitionInfoRequest {
            last_update: 0,
            show_flags: 0x10,
        },
        "jobs" => Message::JobInfoRequest {
            last_update: 0,
            show_flags: 0x12,
            job_ids: None,
        },
        "config" => Message::BuildInfoRequest { last_update: 0 },
        _ => Message::Ping,
    };
    let munge = Munge::new(Some(&args[2]), None).expect("munge");
    let v = ProtocolVersion::CURRENT;
    let body = req.to_body(v);
    let hash = body_hash::compute(&body, req.msg_type(), v, None);
    let cred = munge.encode(&hash, RestrictUid::Any).expect("encode");
    let out = frame::encode(
        &Header::new(v, req.msg_type(), 0),
        &AuthBlob::Munge(cred),
        &body,
    );
    let mut s = TcpStream::connect(&args[1]).expect("connect");
    s.write_all(&out).expect("send");
    let mut len = [0u8; 4];
    s.read_exact(&mut len).expect("reply length");
    let mut payload = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut payload).expect("reply");
    let f = frame::decode(&payload).expect("frame");
    match Message::unpack(f.header.msg_type, f.header.version, f.body) {
        Ok(m) => println!("{m:#?}"),
        Err(e) => println!("undecodable reply {}: {e}", f.header.msg_type),
    }
}
