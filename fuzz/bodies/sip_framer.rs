//! Fuzz body: feed the input to the stream framer in chunks whose sizes
//! come from the input; it never buffers past its limit, and every frame
//! it yields parses in stream mode with its Content-Length.

use voipsec::sip::{Frame, Framer, Limits, Message};

pub fn run(data: &[u8]) {
    let limits = Limits {
        max_message_size: 2048,
        ..Limits::default()
    };
    let mut framer = Framer::new(limits);
    let (sizes, stream) = data.split_at(data.len().min(4));
    let mut rest = stream;
    let mut turn = 0usize;
    while !rest.is_empty() {
        let size = usize::from(sizes.get(turn % sizes.len().max(1)).copied().unwrap_or(7)) + 1;
        turn += 1;
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        if framer.push(chunk).is_err() {
            return;
        }
        assert!(framer.buffered() <= limits.max_message_size);
        loop {
            match framer.next_frame() {
                Ok(Some(Frame::Message(bytes))) => {
                    assert!(bytes.len() <= limits.max_message_size);
                    if let Ok(msg) = Message::parse_stream(&bytes, &limits) {
                        assert_eq!(msg.body_range().end, bytes.len());
                    }
                }
                Ok(Some(Frame::KeepAlive)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}
