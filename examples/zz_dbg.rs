use std::hint::black_box;
use std::net::IpAddr;
use voipsec::guard::{Engine, EngineConfig, JsonLinesSink};
use voipsec::sip::{Message, sanity::Sanity};
fn main() {
    let which = std::env::args().nth(1).unwrap();
    let acl = std::env::args().nth(2).is_some();
    let reg: &[u8] = include_bytes!("/tmp/dbg/reg.sip");
    let inv: &[u8] = include_bytes!("/tmp/dbg/inv.sip");
    let mut text = String::from("flood.requests_per_second = 100000000\nflood.burst = 100000000\n");
    if acl {
        text.push_str("acl allow 192.0.2.0/24 account admin\nacl deny 0.0.0.0/0 account admin\n");
    }
    let mut engine = Engine::new(
        EngineConfig::parse(&text).unwrap(),
        JsonLinesSink::new(std::io::stdout()),
    )
    .unwrap();
    let s = Sanity::default();
    let sources: Vec<IpAddr> = (0..64u32)
        .map(|n| IpAddr::V4((0x0a00_0000 | n).into()))
        .collect();
    const N: u64 = 1_000_000;
    for n in 0..N {
        let src = sources[(n % 64) as usize];
        match which.as_str() {
            "parse_sanity" => {
                let m = Message::parse(black_box(reg)).unwrap();
                black_box(s.check(&m).is_ok());
            }
            "register" => {
                black_box(
                    engine
                        .on_datagram(src, black_box(reg), n / 1024, n)
                        .decision,
                );
            }
            "invite" => {
                black_box(
                    engine
                        .on_datagram(src, black_box(inv), n / 1024, n)
                        .decision,
                );
            }
            _ => panic!(),
        }
    }
}
