//! Fuzz body: an SDES `a=crypto` attribute (RFC 4568 §9.1) as it arrives in
//! hostile SDP. Whatever parses must print back to an attribute that parses
//! to the same value (so an SBC that rewrites SDP never changes the keys or
//! the parameters it forwards), and must key a context without panicking.

use voipsec::srtp::{Policy, SdesCrypto};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(crypto) = SdesCrypto::parse(text) else {
        return;
    };
    let printed = crypto.to_string();
    let again = SdesCrypto::parse(&printed).expect("a printed attribute parses");
    assert!(again == crypto, "print then parse changed the attribute");
    assert_eq!(again.to_string(), printed);
    assert_eq!(
        crypto.master_key().len() + crypto.master_salt().len(),
        crypto.profile.master_key_len() + crypto.profile.master_salt_len()
    );
    if let Some((_, len)) = crypto.mki {
        assert_eq!(crypto.mki_bytes().map(|m| m.len()), Some(usize::from(len)));
    }
    let _ = crypto.context(Policy::inbound());
}
