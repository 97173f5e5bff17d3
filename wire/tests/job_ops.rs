//! REQUEST_SUSPEND and REQUEST_TOP_JOB: byte layout and round trips.

use wire::msg::{msg_type, suspend_op, JobOp, Message, SuspendInt};
use wire::pack::{Packer, NO_VAL};
use wire::version::ProtocolVersion;

fn packed(m: &Message) -> Vec<u8> {
    let mut p = Packer::new();
    m.pack(&mut p, ProtocolVersion::V22_05);
    p.into_bytes().to_vec()
}

/// `scontrol suspend 17`: op 0, job_id NO_VAL, job_id_str "17" (packstr
/// counts the NUL).
const SUSPEND_17: &[u8] = &[
    0x00, 0x00, // op
    0xff, 0xff, 0xff, 0xfe, // job_id = NO_VAL
    0x00, 0x00, 0x00, 0x03, b'1', b'7', 0x00, // job_id_str
];

#[test]
fn suspend_request_layout() {
    let m = Message::Suspend(JobOp {
        op: suspend_op::SUSPEND,
        job_id: NO_VAL,
        job_id_str: Some("17".into()),
    });
    assert_eq!(m.msg_type(), msg_type::REQUEST_SUSPEND);
    assert_eq!(msg_type::REQUEST_SUSPEND, 5014);
    assert_eq!(packed(&m), SUSPEND_17);
    let back = Message::unpack(
        msg_type::REQUEST_SUSPEND,
        ProtocolVersion::V22_05,
        SUSPEND_17,
    );
    assert_eq!(back.unwrap(), m);
}

#[test]
fn resume_and_top_round_trip() {
    for m in [
        Message::Suspend(JobOp {
            op: suspend_op::RESUME,
            job_id: 5,
            job_id_str: None,
        }),
        Message::TopJob(JobOp {
            op: 0,
            job_id: NO_VAL,
            job_id_str: Some("12,13_[1-2]".into()),
        }),
    ] {
        let bytes = packed(&m);
        let back = Message::unpack(m.msg_type(), ProtocolVersion::V22_05, &bytes).unwrap();
        assert_eq!(back, m);
        // A cut-short body is an error, not a panic.
        let short = Message::unpack(m.msg_type(), ProtocolVersion::V22_05, &bytes[..5]);
        assert!(short.is_err());
    }
    assert_eq!(msg_type::REQUEST_TOP_JOB, 5038);
}

#[test]
fn suspend_int_layout() {
    let m = Message::SuspendInt(SuspendInt {
        indf_susp: true,
        job_core_spec: 0xfffe,
        job_id: 1000,
        op: suspend_op::SUSPEND,
    });
    assert_eq!(m.msg_type(), 5031);
    let bytes = packed(&m);
    assert_eq!(bytes, [1, 0xff, 0xfe, 0, 0, 0x03, 0xe8, 0, 0]);
    let back = Message::unpack(5031, ProtocolVersion::V22_05, &bytes).unwrap();
    assert_eq!(back, m);
}
