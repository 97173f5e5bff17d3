//! What the step daemon tells others: RESPONSE_LAUNCH_TASKS and
//! MESSAGE_TASK_EXIT to srun (which answers each with an RC), and
//! REQUEST_STEP_COMPLETE to the controller.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use wire::auth::body_hash;
use wire::auth::{CredentialService, RestrictUid};
use wire::frame::{self, AuthBlob};
use wire::header::Header;
use wire::msg::Message;
use wire::version::ProtocolVersion;

use crate::ctld::ControllerLink;

const SRUN_TIMEOUT: Duration = Duration::from_secs(10);

/// A framed message with a MUNGE credential only `restrict` may decode.
pub fn encode(
    auth: &dyn CredentialService,
    msg: &Message,
    restrict: RestrictUid,
) -> Result<Vec<u8>, String> {
    let version = ProtocolVersion::V22_05;
    let body = msg.to_body(version);
    let hash = body_hash::compute(&body, msg.msg_type(), version, None);
    let cred = auth.encode(&hash, restrict).map_err(|e| e.to_string())?;
    Ok(frame::encode(
        &Header::new(version, msg.msg_type(), 0),
        &AuthBlob::Munge(cred),
        &body,
    )
    .to_vec())
}

/// Sends `msg` to srun at `addr` and waits for its RC reply
/// (`slurm_send_recv_rc_msg_only_one`); the reply's content is not needed.
pub fn to_srun(
    auth: &dyn CredentialService,
    addr: SocketAddr,
    msg: &Message,
    srun_uid: u32,
) -> Result<(), String> {
    let out = encode(auth, msg, RestrictUid::Uid(srun_uid))?;
    let mut s = TcpStream::connect_timeout(&addr, SRUN_TIMEOUT)
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(SRUN_TIMEOUT))
        .and_then(|()| s.write_all(&out))
        .map_err(|e| format!("send to {addr}: {e}"))?;
    // Drain the reply so srun sees an orderly close.
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    Ok(())
}

/// REQUEST_STEP_COMPLETE (or any message expecting an RC) to the
/// controller, retried for a while as upstream does.
pub fn to_controller(link: &ControllerLink, msg: &Message) -> Result<Message, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut last = String::new();
    for attempt in 0..10u32 {
        match rt.block_on(link.send_recv(msg)) {
            Ok(reply) => return Ok(reply),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(500) * (attempt + 1));
    }
    Err(last)
}
