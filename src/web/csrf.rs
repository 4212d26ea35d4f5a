//! Protection against cross-site request forgery on every form.
//!
//! - **Signed in:** each form carries a token derived from the session's secret id
//!   (SHA-256 of a fixed label and the id): another site cannot read it, the server need
//!   not store it, and it changes with the session.
//! - **The sign-in form** (no session yet) uses a double-submit token: a random value in a
//!   cookie of its own and in the form must match, so another site cannot sign a visitor in
//!   to an account of its choosing.
//! - **Every POST** from a browser that says where it comes from (`Origin`,
//!   `Sec-Fetch-Site`) must come from this site.
//!
//! Tokens are compared in constant time.

use axum::http::{HeaderMap, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The form token of a session (given its secret id).
pub fn token_for(session_secret: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"openpxl dashboard form token\0");
    hasher.update(session_secret);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Whether two tokens are equal, in constant time.
pub fn same(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// Whether a browser says the request comes from another site.
pub fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_differ_per_session_and_compare_exactly() {
        let a = token_for(b"one");
        assert_ne!(a, token_for(b"two"));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, "x"));
        assert!(!same("", ""));
    }

    #[test]
    fn other_origins_are_cross_site() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("go.example"));
        assert!(!cross_site(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://go.example"),
        );
        assert!(!cross_site(&headers));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(cross_site(&headers));
        let mut fetch = HeaderMap::new();
        fetch.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&fetch));
    }
}
