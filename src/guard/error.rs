//! The guard's error enum: everything that can go wrong while building a
//! policy (CIDR, prefix and configuration parsing, threshold validation) or
//! while delivering an event to a sink.
//!
//! Per-message checks never fail: they always return a decision. Errors only
//! come from configuration (operator input) and from event sinks (I/O).

use std::io;

/// Errors of the guard layer. Each variant names what was wrong and where
/// (byte offset into the parsed text, or configuration line number).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The address part of a CIDR is not an IPv4 or IPv6 address.
    #[error("CIDR: invalid address (byte {offset})")]
    CidrAddress {
        /// Byte offset of the address in the parsed text.
        offset: usize,
    },
    /// The prefix length is not a decimal number within the address family's
    /// width (32 for IPv4, 128 for IPv6).
    #[error("CIDR: prefix length must be 0..={max} (byte {offset})")]
    CidrPrefixLength {
        /// Byte offset of the prefix length in the parsed text.
        offset: usize,
        /// The largest length allowed for this address family.
        max: u8,
    },
    /// Bits beyond the prefix length are set (`10.1.2.3/8`): almost always a
    /// typo, so it is refused rather than silently widened.
    #[error("CIDR: host bits set beyond /{prefix_len}")]
    CidrHostBits {
        /// The prefix length given.
        prefix_len: u8,
    },
    /// A dial prefix contains something other than the digits 0-9.
    #[error("dial prefix: not a digit (byte {offset})")]
    DialPrefix {
        /// Byte offset of the offending character.
        offset: usize,
    },
    /// A scanner fingerprint pattern is empty or too long.
    #[error("scanner fingerprint: {reason}")]
    Fingerprint {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A threshold or limit is out of its allowed range.
    #[error("setting {name}: {reason}")]
    Setting {
        /// The configuration key of the setting.
        name: &'static str,
        /// The allowed range, in words.
        reason: &'static str,
    },
    /// A configuration line does not follow the grammar.
    #[error("config line {line}: {reason}")]
    ConfigSyntax {
        /// 1-based line number.
        line: usize,
        /// What was expected.
        reason: &'static str,
    },
    /// A `key = value` line names a key the guard does not know (refused so
    /// that a misspelt threshold is not silently ignored).
    #[error("config line {line}: unknown key {key:?}")]
    UnknownKey {
        /// 1-based line number.
        line: usize,
        /// The key as written (truncated to 64 bytes).
        key: String,
    },
    /// A value does not parse for its key.
    #[error("config line {line}: invalid value for {key}: {reason}")]
    InvalidValue {
        /// 1-based line number.
        line: usize,
        /// The key.
        key: &'static str,
        /// What was expected.
        reason: &'static str,
    },
    /// A rule on a configuration line is invalid (CIDR, prefix, fingerprint).
    #[error("config line {line}: {source}")]
    ConfigRule {
        /// 1-based line number.
        line: usize,
        /// The underlying error.
        #[source]
        source: Box<GuardError>,
    },
    /// More rules than the configured bound.
    #[error("too many {what} (at most {max})")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// The bound.
        max: usize,
    },
    /// The configuration file could not be read.
    #[error("config file: {0}")]
    ConfigFile(#[source] io::Error),
    /// An event sink failed to write.
    #[error("event sink: {0}")]
    Sink(#[from] io::Error),
}
