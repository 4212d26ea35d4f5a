//! Dashboard passwords: argon2id with the `argon2` crate's defaults. Hashing is slow on
//! purpose, so callers on the async executor run it in `spawn_blocking`.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use rand::distr::{Alphanumeric, SampleString};

/// Hashing failed (the argon2 library refused its input, or the blocking task died).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash a password: {0}")]
pub struct HashError(String);

/// A PHC-format argon2id hash of `password`.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches a stored hash.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// [`verify`] off the async executor. Without a stored hash it verifies against a fixed
/// one anyway, so an unknown account takes as long as a wrong password.
pub async fn verify_blocking(password: String, stored_hash: Option<String>) -> bool {
    let known = stored_hash.is_some();
    let stored = stored_hash.unwrap_or_else(|| DUMMY_HASH.clone());
    let matches = tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .unwrap_or(false);
    known && matches
}

/// A hash of nothing anyone knows, for [`verify_blocking`] without an account.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash(&generate()).unwrap_or_default());

/// A random password for accounts created without one.
pub fn generate() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 20)
}

/// [`hash`] off the async executor.
pub async fn hash_blocking(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| HashError(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("wrong horse", &stored));
        assert!(!verify("correct horse", "not a hash"));
    }
}
