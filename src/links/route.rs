//! The path of a short link on its domain.

use rand::{Rng, distr::Uniform};

/// Length of a generated route: 36^7 ≈ 78 billion possibilities.
pub const RANDOM_ROUTE_LEN: usize = 7;
const MAX_LEN: usize = 100;
const RANDOM_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Paths the server itself answers on its default domain; no link may take them.
/// Compared without regard to case so that no look-alike route confuses a reader.
const RESERVED: &[&str] = &[
    "api",
    "healthz",
    "readyz",
    "metrics",
    "static",
    "assets",
    "dashboard",
    "login",
    "logout",
    "docs",
    "openapi",
    "admin",
    "favicon",
    "robots",
];

/// Paths the server answers on every host (probes), so no link on any domain may take them.
const SERVER_PATHS: &[&str] = &["healthz", "readyz"];

/// A valid route: 1–100 ASCII letters, digits, `-` and `_`; case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route(String);

impl Route {
    /// Validates a route given by a client.
    pub fn parse(input: &str) -> Result<Self, String> {
        if Self::is_well_formed(input) {
            Ok(Self(input.to_owned()))
        } else {
            Err(format!(
                "route must be 1 to {MAX_LEN} characters of ASCII letters, digits, '-' and '_' \
                 (got {})",
                crate::error::quote(input)
            ))
        }
    }

    /// Whether [`Self::parse`] would take `input` (without its allocation).
    pub fn is_well_formed(input: &str) -> bool {
        !input.is_empty()
            && input.len() <= MAX_LEN
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// Whether the server keeps this route for itself on its default domain.
    pub fn is_reserved(&self) -> bool {
        Self::is_reserved_text(&self.0)
    }

    /// [`Self::is_reserved`] of a text not parsed yet.
    pub fn is_reserved_text(input: &str) -> bool {
        RESERVED.iter().any(|r| r.eq_ignore_ascii_case(input))
    }

    /// Whether the server answers this path on every host, custom domains included.
    pub fn is_server_path(&self) -> bool {
        SERVER_PATHS.iter().any(|r| r.eq_ignore_ascii_case(&self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A fresh random route of [`RANDOM_ROUTE_LEN`] characters from `[a-z0-9]`.
pub fn random_route() -> Route {
    let index = Uniform::new(0, RANDOM_ALPHABET.len()).expect("alphabet is not empty");
    let route = rand::rng()
        .sample_iter(index)
        .take(RANDOM_ROUTE_LEN)
        .map(|i| char::from(RANDOM_ALPHABET[i]))
        .collect();
    Route(route)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_dash_and_underscore() {
        for ok in ["a", "Launch-2024_x", &"z".repeat(100)] {
            assert_eq!(Route::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_empty_long_and_foreign_characters() {
        for bad in ["", &"z".repeat(101), "a/b", "a b", "ü", "a.b", "a?b", "%20"] {
            assert!(Route::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn reserved_routes_match_without_case() {
        assert!(Route::parse("api").unwrap().is_reserved());
        assert!(Route::parse("HealthZ").unwrap().is_reserved());
        assert!(!Route::parse("apis").unwrap().is_reserved());
    }

    #[test]
    fn random_routes_are_seven_lowercase_alphanumerics() {
        for _ in 0..100 {
            let route = random_route();
            assert_eq!(route.as_str().len(), RANDOM_ROUTE_LEN);
            assert!(
                route
                    .as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            );
            assert!(Route::parse(route.as_str()).is_ok());
        }
    }
}
