//! A plain link, as the redirect's fastest path reads it: the ids its clicks carry and
//! its `Location` bytes, copied out of a cache of their own, with no reference count to
//! touch.
//!
//! Most links are plain: no targeting, password, consent or favicon page, expiry or visit
//! limit, and a destination of at most [`super::ready_location::INLINE_BYTES`] bytes. A visit
//! of one without a query, by anyone but a link-preview crawler, is the same redirect
//! every time, and needs nothing else of the link. With 100,000 links in the cache, a
//! visit's link is rarely in the CPU's caches, and the count of the link's `Arc`, which
//! every other visit writes when it clones its reference, was the slowest load of a visit
//! (`bench/README.md`, "Plain links answered from a cache of their own").

use std::time::Instant;

use axum::http::HeaderValue;

use super::{ReadyLocation, RedirectTarget};

/// What a visit of a plain link needs; small, and copied without an allocation.
#[derive(Debug, Clone)]
pub struct PlainLink {
    pub link_id: i64,
    pub org_id: i64,
    /// Until when the entry may answer: the link's own entry's expiry.
    pub(super) expires: Instant,
    /// Inline (never spilled): a copy of the link is a copy of its bytes.
    location: ReadyLocation,
}

impl PlainLink {
    /// The link as a plain link, if it is one (see the module's doc).
    pub(super) fn of(target: &RedirectTarget, expires: Instant) -> Option<Self> {
        let plain = !target.disabled
            && !target.consent
            && !target.protected
            && !target.has_favicon
            && target.targeting.is_none()
            && target.expires_at.is_none()
            && target.max_clicks.is_none();
        let location = target.location.as_ref().filter(|ready| ready.is_inline())?;
        plain.then(|| Self {
            link_id: target.link_id,
            org_id: target.org_id,
            expires,
            location: location.clone(),
        })
    }

    /// The visit's `Location` (its own copy of the bytes).
    pub fn location(&self) -> Option<HeaderValue> {
        self.location.header()
    }
}
