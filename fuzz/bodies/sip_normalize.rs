//! Fuzz body: a message that parses and validates normalizes into bytes
//! that parse and validate, and normalizing again changes nothing.

use voipsec::sip::Message;
use voipsec::sip::normalize::{BytesMut, Options, capacity_hint, normalize};

pub fn run(data: &[u8]) {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    if msg.validate().is_err() {
        return;
    }
    for options in [
        Options::default(),
        Options {
            one_value_per_line: true,
        },
    ] {
        let mut once = BytesMut::with_capacity(capacity_hint(&msg));
        normalize(&msg, &options, &mut once);
        let again = Message::parse(&once).expect("normalized output parses");
        again.validate().expect("normalized output validates");
        assert_eq!(again.body(), msg.body());
        assert_eq!(again.method(), msg.method());
        let mut twice = BytesMut::with_capacity(once.len());
        normalize(&again, &options, &mut twice);
        assert_eq!(once, twice, "normalize is not idempotent");
    }
}
