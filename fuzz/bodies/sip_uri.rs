//! Fuzz body: parse a URI and a name-addr; parts are sub-slices of the input.

use voipsec::sip::{NameAddr, Uri, Via};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uri) = Uri::parse(text) {
        assert_eq!(uri.as_str(), text);
        for part in [uri.user(), uri.password(), uri.headers()]
            .into_iter()
            .flatten()
        {
            assert!(text.contains(part));
        }
        let _ = uri.host().map(|h| (h.as_str(), h.ip()));
        let _ = uri.user_unescaped();
        assert!(uri.params().iter().all(|p| !p.name.is_empty()));
    }
    if let Ok(addr) = NameAddr::parse(text) {
        let _ = (addr.display_name(), addr.tag(), addr.uri().port());
    }
    if let Ok(via) = Via::parse(text) {
        let _ = (
            via.branch(),
            via.received(),
            via.rport(),
            via.maddr(),
            via.ttl(),
        );
    }
}
