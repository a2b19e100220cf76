//! The example servers' credentials file: `user:password` lines (blank
//! lines and `#` comments ignored), loaded into the digest module's
//! in-memory store for one realm.

use voipsec::digest::InMemoryCredentials;

/// Reads `path`; returns the store and the number of users loaded.
pub fn load_users(path: &str, realm: &str) -> Result<(InMemoryCredentials, usize), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut users = InMemoryCredentials::new();
    let mut count = 0;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, password) = line
            .split_once(':')
            .ok_or_else(|| format!("{path}:{}: expected user:password", number + 1))?;
        users.insert_password(user.as_bytes(), realm.as_bytes(), password.as_bytes());
        count += 1;
    }
    Ok((users, count))
}
