//! The unique-visitor key: SHA-256 of a daily salt, the visitor's IP address and
//! User-Agent, the link's organization and the visitor's traits (country, city, device,
//! browser, OS), cut to 8 bytes.
//!
//! The traits are already functions of the address and User-Agent; hashing them too makes
//! that hold by construction (even across a GeoIP database update), so a visitor has exactly
//! one set of traits per day. The daily roll-ups rely on it to add unique visitors up across
//! traits exactly (see `analytics::rollup`).
//!
//! The salt is random, kept in the database so every instance agrees on it, and replaced
//! each UTC day; old salts are deleted, after which no key can be tied back to an address.
//! The raw IP address is never stored anywhere.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// Bytes of the key kept per click: 64 bits, ample against collisions in a day (a chance
/// in about 37 million of one pair among a million visitors of an organization in a day).
pub const KEY_LEN: usize = 8;

/// The visitor key of one visit.
pub fn visitor_key(
    salt: &[u8],
    ip: IpAddr,
    user_agent: &str,
    org_id: i64,
    traits: [&str; 5],
) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    match ip {
        IpAddr::V4(v4) => hasher.update(v4.octets()),
        IpAddr::V6(v6) => hasher.update(v6.octets()),
    }
    hasher.update(org_id.to_be_bytes());
    // Length-prefixed, so that no two different inputs hash the same bytes.
    for text in std::iter::once(user_agent).chain(traits) {
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    }
    hasher.finalize()[..KEY_LEN].to_vec()
}

/// A visitor key read from elsewhere (an export) as openpxl keeps it: [`KEY_LEN`] bytes.
/// A longer key (exports before migration 0019 had 16 bytes) is cut to its first 8: it is
/// a hash, so they are as good a key, and the migration cut the stored ones so. A shorter
/// one is padded with zero bytes.
pub fn kept_key(mut key: Vec<u8>) -> Vec<u8> {
    key.resize(KEY_LEN, 0);
    key
}

/// A fresh random salt.
pub fn new_salt() -> Vec<u8> {
    use rand::{TryRngCore, rngs::OsRng};
    let mut salt = vec![0u8; 32];
    OsRng
        .try_fill_bytes(&mut salt)
        .expect("the OS random source works");
    salt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_depends_on_every_input() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let traits = ["DE", "Berlin", "Desktop", "Chrome", "Windows"];
        let base = visitor_key(b"salt", ip, "UA", 1, traits);
        assert_eq!(base.len(), KEY_LEN);
        assert_eq!(base, visitor_key(b"salt", ip, "UA", 1, traits));
        assert_ne!(base, visitor_key(b"other", ip, "UA", 1, traits));
        assert_ne!(
            base,
            visitor_key(b"salt", "203.0.113.8".parse().unwrap(), "UA", 1, traits)
        );
        assert_ne!(base, visitor_key(b"salt", ip, "UA2", 1, traits));
        assert_ne!(base, visitor_key(b"salt", ip, "UA", 2, traits));
        let mut moved = traits;
        moved[1] = "Munich";
        assert_ne!(base, visitor_key(b"salt", ip, "UA", 1, moved));
        // The boundaries between inputs count: "UA" + "DE" is not "UAD" + "E".
        let shifted = ["E", "Berlin", "Desktop", "Chrome", "Windows"];
        assert_ne!(base, visitor_key(b"salt", ip, "UAD", 1, shifted));
    }

    #[test]
    fn keys_from_elsewhere_are_kept_as_eight_bytes() {
        let long: Vec<u8> = (1..=16).collect();
        assert_eq!(kept_key(long), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(kept_key(vec![0, 255]), [0, 255, 0, 0, 0, 0, 0, 0]);
        assert_eq!(kept_key(vec![9; 8]), [9; 8]);
    }
}
