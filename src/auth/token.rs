//! API tokens: `opxl_` followed by 43 random alphanumerics (256 bits from the OS CSPRNG).
//!
//! The fixed prefix lets secret scanners recognise a leaked token. Only the SHA-256 digest
//! is stored — a token this random needs no slow hash — plus a short display prefix.

use std::fmt;

use rand::{
    TryRngCore,
    distr::{Alphanumeric, SampleString},
    rngs::OsRng,
};
use sha2::{Digest, Sha256};

/// What every openpxl token starts with.
pub const TOKEN_PREFIX: &str = "opxl_";
/// 43 characters from 62 symbols carry 256.04 bits.
const RANDOM_LEN: usize = 43;
/// How many characters of a token are shown to people to tell tokens apart.
const DISPLAY_LEN: usize = TOKEN_PREFIX.len() + 6;
/// Shortest token accepted from `OPENPXL_BOOTSTRAP_TOKEN`.
pub const MIN_CHOSEN_TOKEN_LEN: usize = 32;

/// 256 random bits from the OS CSPRNG (session ids, form tokens).
pub fn random_secret() -> [u8; 32] {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    OsRng.unwrap_err().fill_bytes(&mut bytes);
    bytes
}

/// A token's secret text. `Debug` never prints it.
pub struct TokenSecret(String);

impl TokenSecret {
    /// A new random token.
    pub fn generate() -> Self {
        let mut rng = OsRng.unwrap_err();
        Self(format!(
            "{TOKEN_PREFIX}{}",
            Alphanumeric.sample_string(&mut rng, RANDOM_LEN)
        ))
    }

    /// A token chosen by an operator (for automation); must be long and printable.
    pub fn chosen(text: String) -> Result<Self, String> {
        if text.len() < MIN_CHOSEN_TOKEN_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "a chosen token must be at least {MIN_CHOSEN_TOKEN_LEN} printable ASCII characters \
                 without spaces; `openssl rand -hex 32` makes a good one"
            ));
        }
        Ok(Self(text))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> [u8; 32] {
        digest(&self.0)
    }

    /// What people see of the token, never enough to use it: `opxl_a1B2c3` for generated
    /// tokens (37 random characters stay hidden); for an operator's own token, which may be
    /// short and has no public prefix, a fingerprint of its digest (`sha256:1a2b3c4d`).
    pub fn display_prefix(&self) -> String {
        if self.0.starts_with(TOKEN_PREFIX) && self.0.len() >= TOKEN_PREFIX.len() + RANDOM_LEN {
            self.0.chars().take(DISPLAY_LEN).collect()
        } else {
            let digest = self.digest();
            format!(
                "sha256:{}",
                digest[..4]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )
        }
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenSecret({}…)", self.display_prefix())
    }
}

/// The SHA-256 of a presented token: how it is looked up.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_have_the_prefix_and_enough_randomness() {
        let token = TokenSecret::generate();
        let text = token.expose();
        assert!(text.starts_with(TOKEN_PREFIX));
        assert_eq!(text.len(), TOKEN_PREFIX.len() + RANDOM_LEN);
        assert!(
            text[TOKEN_PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
        assert!((RANDOM_LEN as f64) * 62f64.log2() >= 256.0);
        assert_ne!(TokenSecret::generate().expose(), text);
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let token = TokenSecret::generate();
        let shown = format!("{token:?}");
        assert!(!shown.contains(token.expose()));
        assert!(shown.contains(&token.display_prefix()));
    }

    #[test]
    fn digest_is_sha256() {
        let hex: String = digest("abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_chosen_token_is_shown_by_fingerprint_only() {
        let chosen = TokenSecret::chosen("0123456789abcdef0123456789abcdef".into()).unwrap();
        let shown = chosen.display_prefix();
        assert!(shown.starts_with("sha256:") && shown.len() == 15, "{shown}");
        assert!(!shown.contains("0123"));
    }

    #[test]
    fn chosen_tokens_must_be_long_and_printable() {
        assert!(TokenSecret::chosen("short".into()).is_err());
        assert!(TokenSecret::chosen(format!("{} x", "a".repeat(40))).is_err());
        assert!(TokenSecret::chosen("a".repeat(32)).is_ok());
    }
}
