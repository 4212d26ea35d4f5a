//! The unique-visitor key: SHA-256 of a daily salt, the visitor's IP address and
//! User-Agent, and the link's organization, cut to 16 bytes.
//!
//! The salt is random, kept in the database so every instance agrees on it, and replaced
//! each UTC day; old salts are deleted, after which no key can be tied back to an address.
//! The raw IP address is never stored anywhere.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// Bytes of the key kept per click: 128 bits, ample against collisions in a day.
pub const KEY_LEN: usize = 16;

/// The visitor key of one visit.
pub fn visitor_key(salt: &[u8], ip: IpAddr, user_agent: &str, org_id: i64) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    match ip {
        IpAddr::V4(v4) => hasher.update(v4.octets()),
        IpAddr::V6(v6) => hasher.update(v6.octets()),
    }
    hasher.update((user_agent.len() as u64).to_be_bytes());
    hasher.update(user_agent.as_bytes());
    hasher.update(org_id.to_be_bytes());
    hasher.finalize()[..KEY_LEN].to_vec()
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
        let base = visitor_key(b"salt", ip, "UA", 1);
        assert_eq!(base.len(), KEY_LEN);
        assert_eq!(base, visitor_key(b"salt", ip, "UA", 1));
        assert_ne!(base, visitor_key(b"other", ip, "UA", 1));
        assert_ne!(
            base,
            visitor_key(b"salt", "203.0.113.8".parse().unwrap(), "UA", 1)
        );
        assert_ne!(base, visitor_key(b"salt", ip, "UA2", 1));
        assert_ne!(base, visitor_key(b"salt", ip, "UA", 2));
    }
}
