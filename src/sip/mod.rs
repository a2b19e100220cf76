//! Zero-copy SIP parsing and stream framing (RFC 3261 §7, §18, §25; RFC
//! 4475; RFC 5118; RFC 5626 keep-alives).
//!
//! # Security contract
//!
//! * Hostile input never panics, never reads out of bounds, and never makes
//!   the parser allocate without bound: every size is bounded by [`Limits`],
//!   and parsing a message with up to 32 header fields allocates nothing.
//! * Framing is strict where parsers commonly disagree (the root of request
//!   smuggling): lines end with CRLF only; the Request-Line has exactly two
//!   single spaces; Content-Length is digits only, never signed, never
//!   larger than the datagram, and conflicting duplicates are an error.
//! * [`Message::parse`] frames and indexes; [`Message::validate`] checks the
//!   grammar of every known header. Run both on untrusted input, then
//!   [`sanity::Sanity::check`] for policy (status codes to answer with) and
//!   [`normalize()`] to forward one canonical form.
//! * The per-packet fields have cheap accessors that scan only the bytes
//!   up to the value and check that value's grammar, not the rest of its
//!   header: [`Message::top_via_branch`], [`Message::from_tag`],
//!   [`Message::to_tag`], [`Message::to_user`], [`Message::request_uri_user`].
//!
//! # Reading a message
//!
//! ```
//! use voipsec::sip::{HeaderName, Message};
//! let raw = b"REGISTER sip:example.com SIP/2.0\r\n\
//! v: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds7;rport\r\n\
//! f: <sip:alice@example.com>;tag=456248\r\n\
//! t: <sip:alice@example.com>\r\n\
//! i: 843817637684230@998sdasdh09\r\n\
//! CSeq: 1826 REGISTER\r\n\
//! Authorization: Digest username=\"alice\", realm=\"example.com\"\r\n\
//! m: <sip:alice@192.0.2.1>;expires=3600\r\n\
//! l: 0\r\n\r\n";
//! let msg = Message::parse(raw)?;
//! msg.validate()?;
//! let auth = msg.header(HeaderName::Authorization).unwrap();
//! assert!(auth.value().starts_with(b"Digest "));
//! assert_eq!(msg.header_named("call-id").unwrap().value(), b"843817637684230@998sdasdh09");
//! assert_eq!(msg.top_via()?.rport(), Some(None));
//! # Ok::<(), voipsec::sip::SipError>(())
//! ```
#![forbid(unsafe_code)]
// Library code must not panic on input: no indexing, unwrap or panic
// (unit tests may).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod address;
mod error;
mod fields;
mod framer;
mod grammar;
mod header;
mod hot;
mod lexical;
mod limits;
mod message;
mod method;
mod params;
pub mod sanity;
mod uri;
mod validate;
mod via;

// The rewriting layer an SBC runs on parsed messages.
mod edit;
mod normalize;
mod topology;

pub use address::{Contact, NameAddr};
pub use error::SipError;
pub use fields::{CSeq, ContentType};
pub use framer::{Frame, Framer};
pub use header::{Header, HeaderName, Values};
pub use limits::Limits;
pub use message::{Message, RequestLine, StartLine, StatusLine};
pub use method::Method;
pub use params::{Param, ParamIter, Params};
pub use uri::{Host, Scheme, Uri, unescape};
pub use via::Via;

pub use edit::{EditError, Editor, MAX_EDITS};
pub use normalize::{NormalizeConfig, normalize};
pub use topology::{HeaderFilter, TopologyKey, TopologyPolicy, hide_topology, restore_topology};
