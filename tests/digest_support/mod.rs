//! A minimal digest *client* for the tests: builds the Authorization header
//! value a UAC would send for a challenge nonce.
#![allow(dead_code)]

use voipsec::digest::{Algorithm, Credentials};

/// What the client knows and chooses.
#[derive(Clone, Debug)]
pub struct Client {
    pub user: String,
    pub password: String,
    pub realm: String,
    pub algorithm: Algorithm,
    /// `None` = RFC 2069 (no qop, nc, cnonce).
    pub qop: Option<&'static str>,
    pub cnonce: String,
    pub uri: String,
    pub userhash: bool,
    /// Send the algorithm parameter (absent means MD5).
    pub send_algorithm: bool,
}

impl Client {
    pub fn new(user: &str, password: &str, realm: &str, algorithm: Algorithm) -> Client {
        Client {
            user: user.into(),
            password: password.into(),
            realm: realm.into(),
            algorithm,
            qop: Some("auth"),
            cnonce: "0a4f113b".into(),
            uri: "sip:example.com".into(),
            userhash: false,
            send_algorithm: true,
        }
    }

    fn quote(s: &str) -> String {
        s.replace('\\', "\\\\").replace('"', "\\\"")
    }

    /// The header value with `response` filled in.
    pub fn header_with(&self, nonce: &str, nc: u32, response: &str) -> String {
        let username = if self.userhash {
            self.algorithm
                .userhash(self.user.as_bytes(), self.realm.as_bytes())
                .as_str()
                .to_owned()
        } else {
            self.user.clone()
        };
        let mut h = format!(
            r#"Digest username="{}", realm="{}", nonce="{nonce}", uri="{}", response="{response}""#,
            Client::quote(&username),
            Client::quote(&self.realm),
            Client::quote(&self.uri)
        );
        if self.send_algorithm {
            h.push_str(&format!(", algorithm={}", self.algorithm));
        }
        if let Some(qop) = self.qop {
            h.push_str(&format!(
                r#", qop={qop}, nc={nc:08x}, cnonce="{}""#,
                self.cnonce
            ));
        } else if self.algorithm.is_session() {
            h.push_str(&format!(r#", cnonce="{}""#, self.cnonce));
        }
        if self.userhash {
            h.push_str(", userhash=true");
        }
        h
    }

    /// The header value a correct client sends.
    pub fn authorization(&self, nonce: &str, nc: u32, method: &str, body: &[u8]) -> String {
        let placeholder = "0".repeat(self.algorithm.hex_len());
        let draft = self.header_with(nonce, nc, &placeholder);
        let creds = Credentials::parse_str(&draft).expect("client header parses");
        let ha1 = self.algorithm.ha1(
            self.user.as_bytes(),
            self.realm.as_bytes(),
            self.password.as_bytes(),
        );
        let response = creds
            .expected_response(&ha1, method.as_bytes(), body)
            .expect("client response");
        self.header_with(nonce, nc, response.as_str())
    }
}
