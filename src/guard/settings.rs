//! What the [`Engine`](super::Engine) needs beyond the policy thresholds of
//! [`GuardConfig`]: per-account call limits, the authentication policy, the
//! SIP parser limits and the event budget — and one text format for all of
//! it.
//!
//! # Keys
//!
//! The text format is [`GuardConfig`]'s (see [`super::config`]) plus these
//! keys; an unknown key is still an error.
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `calls.max_concurrent` | concurrent calls per account | 10 |
//! | `calls.rate` / `calls.rate_window` | new calls per account per window | 30 / 60s |
//! | `calls.max_accounts` | accounts tracked by the call limits | 4096 |
//! | `auth.challenge` | challenge REGISTER and initial INVITE without credentials | true |
//! | `events.noisy_per_second` | events per second for repeated drops of blocked or flooding sources (the rest are counted, not written) | 20 |
//!
//! ```
//! use voipsec::guard::EngineConfig;
//!
//! let config = EngineConfig::parse(
//!     "calls.max_concurrent = 2\n\
//!      bruteforce.source_failures = 5\n\
//!      auth.challenge = false\n",
//! )
//! .unwrap();
//! assert_eq!(config.calls.max_concurrent, 2);
//! assert_eq!(config.guard.brute_force.source_failures, 5);
//! assert!(!config.require_credentials);
//! // Line numbers in errors count every line of the text.
//! let err = EngineConfig::parse("\ncalls.rate = many\n").unwrap_err();
//! assert!(err.to_string().contains("line 2"));
//! ```

use std::path::Path;
use std::time::Duration;

use super::config::{GuardConfig, boolean, duration, number, read_config_file};
use super::error::GuardError;
use crate::sip::Limits;
use crate::sip::sanity::Sanity;

/// Per-account call limits, enforced with the `ratelimit` module when an
/// authenticated call starts ([`Engine::on_call_start`](super::Engine::on_call_start)).
///
/// ```
/// use std::time::Duration;
/// use voipsec::guard::EngineConfig;
///
/// let config = EngineConfig::parse("calls.max_concurrent = 2\ncalls.rate_window = 2m")?;
/// assert_eq!(config.calls.max_concurrent, 2);
/// assert_eq!(config.calls.rate_window, Duration::from_secs(120));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallLimits {
    /// Calls one account may hold open at once.
    pub max_concurrent: u32,
    /// New calls one account may start per `rate_window`.
    pub rate: u32,
    /// The new-call window (sliding).
    pub rate_window: Duration,
    /// Accounts tracked; beyond it the least-used are forgotten (an account
    /// at its limit never is, see `ratelimit::KeyedLimiter`).
    pub max_accounts: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            max_concurrent: 10,
            rate: 30,
            rate_window: Duration::from_secs(60),
            max_accounts: 4096,
        }
    }
}

impl CallLimits {
    /// Checks the ranges.
    ///
    /// ```
    /// use voipsec::guard::CallLimits;
    ///
    /// assert!(CallLimits::default().validate().is_ok());
    /// let none = CallLimits { max_concurrent: 0, ..CallLimits::default() };
    /// assert!(none.validate().unwrap_err().to_string().contains("calls.max_concurrent"));
    /// ```
    pub fn validate(&self) -> Result<(), GuardError> {
        let setting = |name, reason| Err(GuardError::Setting { name, reason });
        if self.max_concurrent == 0 {
            return setting("calls.max_concurrent", "must be at least 1");
        }
        if self.rate == 0 {
            return setting("calls.rate", "must be at least 1");
        }
        if self.rate_window.as_millis() == 0 {
            return setting("calls.rate_window", "must be at least 1 ms");
        }
        if self.max_accounts == 0 {
            return setting("calls.max_accounts", "must be at least 1");
        }
        Ok(())
    }
}

/// Everything the engine is built from.
///
/// ```
/// use voipsec::guard::{EngineConfig, GuardConfig};
///
/// // From a GuardConfig, with the engine's own settings at their defaults…
/// let config = EngineConfig::from(GuardConfig::default());
/// assert!(config.require_credentials);
/// // …or from the text format, which adds the engine keys.
/// let config = EngineConfig::parse("auth.challenge = false")?;
/// assert!(!config.require_credentials);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// The policy thresholds and lists.
    pub guard: GuardConfig,
    /// Per-account call limits.
    pub calls: CallLimits,
    /// Challenge REGISTER and initial INVITE requests that carry no
    /// credentials (RFC 3261 §22). Turn off when the PBX behind the guard
    /// authenticates.
    pub require_credentials: bool,
    /// Bounds for parsing datagrams ([`Engine::on_datagram`](super::Engine::on_datagram)).
    pub sip_limits: Limits,
    /// The sanity checks a datagram must pass (its `grammar` check is
    /// [`Message::validate`](crate::sip::Message::validate)); a failure
    /// counts as a malformed message. Default: the proxy/SBC profile.
    pub sanity: Sanity<'static>,
    /// Events per second for repeated drops (active blocks, floods,
    /// malformed messages); the others are counted in
    /// [`Engine::suppressed_events`](super::Engine::suppressed_events), so a
    /// flood cannot flood the log too.
    pub noisy_events_per_second: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        GuardConfig::default().into()
    }
}

impl From<GuardConfig> for EngineConfig {
    fn from(guard: GuardConfig) -> Self {
        EngineConfig {
            guard,
            calls: CallLimits::default(),
            require_credentials: true,
            sip_limits: Limits::DEFAULT,
            sanity: Sanity::default(),
            noisy_events_per_second: 20,
        }
    }
}

/// The keys this file adds to [`GuardConfig`]'s grammar.
const ENGINE_KEYS: [&str; 6] = [
    "calls.max_concurrent",
    "calls.rate",
    "calls.rate_window",
    "calls.max_accounts",
    "auth.challenge",
    "events.noisy_per_second",
];

impl EngineConfig {
    /// Reads and parses a configuration file (at most
    /// [`MAX_CONFIG_BYTES`](super::config::MAX_CONFIG_BYTES)).
    ///
    /// ```
    /// use voipsec::guard::{EngineConfig, GuardError};
    ///
    /// let path = std::env::temp_dir().join(format!("voipsec-doc-{}.conf", std::process::id()));
    /// std::fs::write(&path, "calls.rate = 5\n")?;
    /// assert_eq!(EngineConfig::from_file(&path)?.calls.rate, 5);
    /// std::fs::remove_file(&path)?;
    /// assert!(matches!(EngineConfig::from_file(&path), Err(GuardError::ConfigFile(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, GuardError> {
        EngineConfig::parse(&read_config_file(path.as_ref())?)
    }

    /// Parses the text format: the engine keys here, everything else by
    /// [`GuardConfig::parse`] (line numbers are those of the whole text).
    ///
    /// ```
    /// use voipsec::guard::EngineConfig;
    ///
    /// let config = EngineConfig::parse("flood.burst = 11\ncalls.rate = 4")?;
    /// assert_eq!(config.guard.flood.burst, 11);
    /// assert_eq!(config.calls.rate, 4);
    /// // An error names the line in the whole text.
    /// let err = EngineConfig::parse("\n\ncalls.rate = x").unwrap_err();
    /// assert!(err.to_string().contains("line 3"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, GuardError> {
        let mut rest = String::with_capacity(text.len());
        let mut mine = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let statement = raw.trim();
            let key = statement
                .split_once('=')
                .map(|(k, _)| k.trim())
                .filter(|k| ENGINE_KEYS.contains(k));
            match key {
                Some(key) => {
                    // Keep the line count so GuardConfig's errors name the
                    // right line.
                    let value = statement.split_once('=').map_or("", |(_, v)| v.trim());
                    mine.push((index + 1, key, value));
                }
                None => rest.push_str(raw),
            }
            rest.push('\n');
        }
        let mut config = EngineConfig::from(GuardConfig::parse(&rest)?);
        for (line, key, value) in mine {
            config.set(line, key, value)?;
        }
        config.calls.validate()?;
        if config.noisy_events_per_second == 0 {
            return Err(GuardError::Setting {
                name: "events.noisy_per_second",
                reason: "must be at least 1",
            });
        }
        Ok(config)
    }

    fn set(&mut self, line: usize, key: &str, value: &str) -> Result<(), GuardError> {
        match key {
            "calls.max_concurrent" => {
                self.calls.max_concurrent = number(line, "calls.max_concurrent", value)?
            }
            "calls.rate" => self.calls.rate = number(line, "calls.rate", value)?,
            "calls.rate_window" => {
                self.calls.rate_window = duration(line, "calls.rate_window", value)?
            }
            "calls.max_accounts" => {
                self.calls.max_accounts = number(line, "calls.max_accounts", value)?
            }
            "auth.challenge" => self.require_credentials = boolean(line, "auth.challenge", value)?,
            _ => self.noisy_events_per_second = number(line, "events.noisy_per_second", value)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_every_key() {
        let c = EngineConfig::parse("").unwrap();
        assert_eq!(c.calls, CallLimits::default());
        assert!(c.require_credentials);
        let c = EngineConfig::parse(
            "calls.max_concurrent = 3\ncalls.rate=4\ncalls.rate_window = 2m\n\
             calls.max_accounts = 7\nauth.challenge = false\nevents.noisy_per_second = 9\n\
             flood.burst = 11\n",
        )
        .unwrap();
        assert_eq!(
            c.calls,
            CallLimits {
                max_concurrent: 3,
                rate: 4,
                rate_window: Duration::from_secs(120),
                max_accounts: 7
            }
        );
        assert!(!c.require_credentials);
        assert_eq!(c.noisy_events_per_second, 9);
        assert_eq!(c.guard.flood.burst, 11);
    }

    #[test]
    fn errors_keep_line_numbers() {
        let cases = [
            ("calls.rate = 0", "calls.rate"),
            ("\n\ncalls.rate = x", "line 3"),
            ("calls.rate_window = 5 weeks", "calls.rate_window"),
            ("auth.challenge = yes", "auth.challenge"),
            ("events.noisy_per_second = 0", "events.noisy_per_second"),
            ("calls.max_concurrent = 99999999999", "out of range"),
            ("\n\n\ncalls.bogus = 1", "line 4"),
            ("calls.max_accounts = 0", "calls.max_accounts"),
        ];
        for (text, needle) in cases {
            let err = EngineConfig::parse(text).expect_err(text).to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }

    #[test]
    fn from_file_reads() {
        let path = std::env::temp_dir().join(format!("voipsec-engine-{}.conf", std::process::id()));
        std::fs::write(&path, "calls.rate = 5\n").unwrap();
        assert_eq!(EngineConfig::from_file(&path).unwrap().calls.rate, 5);
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            EngineConfig::from_file(&path),
            Err(GuardError::ConfigFile(_))
        ));
    }
}
