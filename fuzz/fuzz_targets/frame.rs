//! Whole frames (the bytes after the length prefix): split, decode the body,
//! and check that parse → encode → parse is the identity, for the body and for
//! the frame around it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::frame;
use wire::msg::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(f) = frame::decode(data) else { return };

    // The frame itself: re-encoding what we split must split the same way.
    let bytes = frame::encode(&f.header, &f.auth, f.body);
    let total = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
    assert_eq!(total, bytes.len() - 4, "length prefix");
    assert!(frame::check_length(total as u32).is_ok());
    let again = frame::decode(&bytes[4..]).expect("re-encoded frame must decode");
    assert_eq!(
        again.header, f.header,
        "header changed in a frame round trip"
    );
    assert_eq!(again.auth, f.auth, "auth changed in a frame round trip");
    assert_eq!(again.body, f.body, "body changed in a frame round trip");

    // The body: typed decode, re-encode, decode again.
    let Ok(m) = Message::unpack(f.header.msg_type, f.header.version, f.body) else {
        return;
    };
    assert_eq!(m.msg_type(), f.header.msg_type, "decoded as another type");
    let body = m.to_body(f.header.version);
    let m2 = Message::unpack(f.header.msg_type, f.header.version, &body)
        .unwrap_or_else(|e| panic!("re-encoded body does not decode: {e}\n{m:?}"));
    assert_eq!(m, m2, "body changed in a parse/encode/parse round trip");
    // And the encoding is canonical from then on.
    assert_eq!(
        m2.to_body(f.header.version),
        body,
        "second encoding differs"
    );
});
