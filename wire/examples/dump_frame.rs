//! Prints a captured frame (no length prefix) as a typed message.
//! Usage: cargo run -p wire --example dump_frame -- FILE.bin

fn main() {
    let path = std::env::args().nth(1).expect("usage: dump_frame FILE.bin");
    let bytes = std::fs::read(&path).expect("read");
    let f = wire::frame::decode(&bytes).expect("frame");
    println!("{:#?}", f.header);
    match wire::msg::Message::unpack(f.header.msg_type, f.header.version, f.body) {
        Ok(m) => println!("{m:#?}"),
        Err(e) => println!("body not decoded: {e}"),
    }
}
