//! A link's destination as a ready `Location` value, kept inside the cached link itself
//! when it is short (most are): with 100,000 links in the cache a visit's link is rarely
//! in the CPU's caches, and a header value's bytes in a block of their own were one more
//! wait for memory every visit (`bench/README.md`, "The cached link in fewer cache lines").

use axum::http::HeaderValue;
use smallvec::SmallVec;
use url::Url;

/// Destinations up to this many bytes are kept inline; longer ones in a block of their own.
pub(super) const INLINE_BYTES: usize = 96;

/// The bytes of a valid `Location` value.
#[derive(Debug, Clone)]
pub struct ReadyLocation(SmallVec<[u8; INLINE_BYTES]>);

impl ReadyLocation {
    /// The parsed URL's serialization (see [`super::location_header`]), if it is a valid
    /// header value.
    pub fn of(url: &Url) -> Option<Self> {
        let header = super::location_header(url)?;
        Some(Self(SmallVec::from_slice(header.as_bytes())))
    }

    /// A visit's own copy, as a header value (`None` cannot happen: the bytes were a valid
    /// value when made). A copy, not a shared clone: a clone would count references to
    /// the cached bytes, a write to memory every visit of the link shares from every core;
    /// copying a few dozen bytes costs less.
    pub fn header(&self) -> Option<HeaderValue> {
        HeaderValue::from_bytes(&self.0).ok()
    }

    /// Whether the bytes are inside the value itself (a clone allocates nothing).
    pub fn is_inline(&self) -> bool {
        !self.0.spilled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_destinations_are_inline_and_every_one_gives_back_its_location() {
        for (text, inline) in [
            ("https://example.com/a b".to_owned(), true),
            (format!("https://example.com/{}", "x".repeat(300)), false),
        ] {
            let url = Url::parse(&text).unwrap();
            let ready = ReadyLocation::of(&url).unwrap();
            assert_eq!(ready.is_inline(), inline, "{text}");
            assert_eq!(ready.header().unwrap().as_bytes(), url.as_str().as_bytes());
        }
    }
}
