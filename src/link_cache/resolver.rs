//! `(domain, route) → link`, through an in-process cache.
//!
//! Found links are cached for [`FOUND_TTL`], unknown routes for [`MISSING_TTL`] (negative
//! caching: a flood of visits to a dead link costs one query). Every change made through the
//! API invalidates its entries at once on this instance and, on Postgres, on every other
//! instance through LISTEN/NOTIFY ([`super::invalidation`]); the TTLs are only a safety net.
//! Concurrent misses of one key wait for a single query. A load that raced with an
//! invalidation is answered but not cached, so the cache never keeps a stale link. An expired
//! entry is still served when the database cannot be reached to refresh it (stale-if-error).
//!
//! A plain link ([`PlainLink`]) is also kept in a second cache, as its hot fields alone, for
//! the redirect's fastest path; it is filled wherever the first is and forgotten with it.

use std::{
    hash::{Hash, Hasher},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::http::HeaderValue;
use compact_str::CompactString;
use quick_cache::{Equivalent, sync::Cache};
use url::Url;

use super::{PlainLink, ReadyLocation};
use crate::{
    links::{ShortLink, targeting::Targeting},
    store::Store,
    timestamp::Millis,
};

/// Found links live long: every change invalidates them explicitly. Each entry's lifetime
/// is jittered by up to a tenth so that links loaded together do not all expire together.
pub const FOUND_TTL: Duration = Duration::from_secs(3600);
pub const MISSING_TTL: Duration = Duration::from_secs(30);
const HOST_TTL: Duration = Duration::from_secs(60);
/// A host that is not (yet) a custom domain is asked again soon: `openpxl domain add` may
/// run in another process.
const UNKNOWN_HOST_TTL: Duration = Duration::from_secs(10);

/// What a redirect needs to know about a link.
///
/// Laid out in declaration order (`repr(C)`), what every visit reads first: with 100,000
/// links in the cache, a visit's link is rarely in the CPU's caches, and each cache line
/// of it a visit touches is a wait for memory. The reference count (which the visit's
/// clone of the `Arc` writes), the fields every visit reads and a short destination's
/// `Location` bytes lie together at the start of the allocation; the rest (the card, the
/// password's hash, the cold paths' URLs) follows.
#[derive(Debug)]
#[repr(C)]
pub struct RedirectTarget {
    pub link_id: i64,
    pub org_id: i64,
    /// Switched off: visits get the 404 page.
    pub disabled: bool,
    pub consent: bool,
    /// The link has a password: visitors get the form of [`crate::redirect::unlock`]
    /// first (`password_hash` holds it).
    pub protected: bool,
    /// The link has a favicon: human visitors get the interstitial page.
    pub has_favicon: bool,
    /// Link-preview crawlers may see the card of a protected link.
    pub password_preview: bool,
    /// Rules and variants, ready to choose with; `None` (most links): the destination.
    pub targeting: Option<Box<Targeted>>,
    /// From this instant visits go to `expired_destination` (or get the 410 page).
    pub expires_at: Option<Millis>,
    /// A visit limit: visits take the slow path of [`crate::redirect::limit`].
    pub max_clicks: Option<i64>,
    /// The destination as a ready `Location` header, for visits without a query; last of
    /// what every visit reads, its bytes inline when short.
    pub location: Option<ReadyLocation>,
    pub domain: String,
    pub route: String,
    pub destination: Url,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub favicon: Option<String>,
    /// Boxed, like `targeting`: most links have neither, and every cached link pays for
    /// what is inline.
    pub expired_destination: Option<Box<Url>>,
    /// The argon2id hash of the link's password.
    pub password_hash: Option<String>,
}

/// A link's rules and variants with their destinations as ready `Location` headers (for
/// visits without a query), by the index the choice returns.
#[derive(Debug)]
pub struct Targeted {
    pub targeting: Targeting,
    pub rule_locations: Vec<Option<ReadyLocation>>,
    pub variant_locations: Vec<Option<ReadyLocation>>,
}

impl Targeted {
    fn new(targeting: Targeting) -> Self {
        let ready = |urls: &[Url]| urls.iter().map(ReadyLocation::of).collect();
        Self {
            rule_locations: ready(&targeting.rule_destinations),
            variant_locations: ready(&targeting.variant_destinations),
            targeting,
        }
    }
}

impl RedirectTarget {
    fn from_link(link: ShortLink) -> Option<Self> {
        let destination = Url::parse(&link.destination).ok()?;
        let targeting = Targeting::compile(link.id, &link.rules(), &link.variants())
            .map(|targeting| Box::new(Targeted::new(targeting)));
        let location = ReadyLocation::of(&destination);
        Some(Self {
            link_id: link.id,
            org_id: link.org_id,
            protected: link.password_hash.is_some(),
            has_favicon: link.favicon.is_some(),
            domain: link.domain,
            route: link.route,
            destination,
            location,
            consent: link.consent,
            title: link.title,
            description: link.description,
            image: link.image,
            favicon: link.favicon,
            expires_at: link.expires_at,
            expired_destination: link
                .expired_destination
                .as_deref()
                .and_then(|url| Url::parse(url).ok())
                .map(Box::new),
            disabled: link.disabled,
            max_clicks: link.max_clicks,
            password_hash: link.password_hash,
            password_preview: link.password_preview,
            targeting,
        })
    }
}

/// A destination as a `Location` value: the parsed URL's serialization, never the text as
/// stored — it is percent-encoded (spaces, `<>`, non-ASCII characters), its backslashes
/// are slashes, its host is normalized, so every client reads it the same way.
pub fn location_header(url: &Url) -> Option<HeaderValue> {
    HeaderValue::from_str(url.as_str()).ok()
}

#[derive(Clone)]
struct Entry {
    target: Option<Arc<RedirectTarget>>,
    expires: Instant,
}

impl Entry {
    fn new(target: Option<Arc<RedirectTarget>>) -> Self {
        let ttl = match target {
            Some(_) => FOUND_TTL.mul_f64(rand::random_range(0.9..1.0)),
            None => MISSING_TTL,
        };
        Self {
            target,
            expires: Instant::now() + ttl,
        }
    }
}

/// A cached link's key: its domain and route, as `domain/route`, kept inline in the
/// cache's entry when it fits in 24 bytes (most do): a lookup compares it without reading
/// a heap block of its own, which with 100,000 links in the cache is a likely miss of the
/// CPU's caches. It splits at the first `/`, which is exact because a domain never holds
/// one (`Host` refuses it); a route may (imported slugs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct LinkKey {
    text: CompactString,
}

impl LinkKey {
    fn new(domain: &str, route: &str) -> Self {
        debug_assert!(!domain.contains('/'), "a domain has no '/': {domain}");
        let mut text = CompactString::with_capacity(domain.len() + 1 + route.len());
        text.push_str(domain);
        text.push('/');
        text.push_str(route);
        Self { text }
    }

    fn parts(&self) -> (&str, &str) {
        self.text.split_once('/').unwrap_or((&self.text, ""))
    }
}

/// Hashes as its borrowed form, [`KeyRef`], does.
impl Hash for LinkKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (domain, route) = self.parts();
        KeyRef(domain, route).hash(state);
    }
}

/// A borrowed [`LinkKey`], so a lookup allocates nothing.
#[derive(Hash)]
struct KeyRef<'a>(&'a str, &'a str);

impl Equivalent<LinkKey> for KeyRef<'_> {
    fn equivalent(&self, key: &LinkKey) -> bool {
        key.parts() == (self.0, self.1)
    }
}

pub struct LinkResolver {
    store: Store,
    links: Cache<LinkKey, Entry>,
    /// The plain links among `links`, by the same key, without their `Arc`.
    plain: Cache<LinkKey, PlainLink>,
    /// Whether a host is a custom domain of some organization.
    hosts: Cache<String, (bool, Instant)>,
    /// Bumped by every invalidation; a load that saw it change does not cache its result.
    generation: AtomicU64,
    /// Lookups the cache answered, and lookups that went to the database.
    hits: AtomicU64,
    misses: AtomicU64,
    /// This cache's name in link-change announcements ([`super::invalidation`]).
    id: String,
}

/// How the cache is doing, for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
    pub capacity: u64,
}

/// How a link is named in invalidation messages: `domain/route`.
pub fn key(domain: &str, route: &str) -> String {
    format!("{domain}/{route}")
}

impl LinkResolver {
    pub fn new(store: Store, capacity: usize) -> Self {
        Self {
            store,
            links: Cache::new(capacity.max(16)),
            plain: Cache::new(capacity.max(16)),
            hosts: Cache::new(10_000),
            generation: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            id: format!("{:016x}", rand::random::<u64>()),
        }
    }

    /// This cache's name in link-change announcements: random, one per server.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.links.len(),
            capacity: self.links.capacity(),
        }
    }

    /// The live link at `domain`/`route`, if any.
    pub async fn resolve(
        &self,
        domain: &str,
        route: &str,
    ) -> Result<Option<Arc<RedirectTarget>>, sqlx::Error> {
        if let Some(known) = self.cached(domain, route) {
            return Ok(known);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let owned = LinkKey::new(domain, route);
        let (guard, stale) = match self.links.get_value_or_guard_async(&owned).await {
            Ok(entry) if entry.expires > Instant::now() => return Ok(entry.target),
            Ok(stale) => (None, Some(stale)),
            Err(guard) => (Some(guard), None),
        };
        let generation = self.generation.load(Ordering::Acquire);
        let target = match self.store.resolve_link(domain, route).await {
            Ok(link) => link.and_then(RedirectTarget::from_link).map(Arc::new),
            // Stale if error: an expired entry still beats a 503 while the database is away.
            Err(_) if stale.is_some() => return Ok(stale.and_then(|entry| entry.target)),
            Err(error) => return Err(error),
        };
        self.keep(
            generation,
            domain,
            route,
            Entry::new(target.clone()),
            |entry| match guard {
                Some(guard) => {
                    guard.insert(entry).ok();
                }
                None => self.links.insert(LinkKey::new(domain, route), entry),
            },
        );
        Ok(target)
    }

    /// What the cache knows of `domain`/`route` without asking the database: `None` on a
    /// miss, `Some(None)` for a route known not to exist.
    pub fn cached(&self, domain: &str, route: &str) -> Option<Option<Arc<RedirectTarget>>> {
        let known = self
            .links
            .get(&KeyRef(domain, route))
            .filter(|entry| entry.expires > Instant::now())
            .map(|entry| entry.target);
        if known.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        known
    }

    /// The plain link at `domain`/`route`, if the cache has it (see [`PlainLink`]): a miss
    /// says nothing (the link may be anything, or unknown); ask [`Self::cached`] next.
    pub fn cached_plain(&self, domain: &str, route: &str) -> Option<PlainLink> {
        let plain = self
            .plain
            .get(&KeyRef(domain, route))
            .filter(|plain| plain.expires > Instant::now())?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(plain)
    }

    /// Caches what a load that began at `generation` found, with `insert` for the links'
    /// cache and in the plain links' cache too if it is one; not if an invalidation came
    /// since, and undone if one came while caching (its own removal may have come first).
    /// Whether it stays cached.
    fn keep(
        &self,
        generation: u64,
        domain: &str,
        route: &str,
        entry: Entry,
        insert: impl FnOnce(Entry),
    ) -> bool {
        let unchanged = || self.generation.load(Ordering::Acquire) == generation;
        if !unchanged() {
            return false;
        }
        let target = entry.target.as_deref();
        if let Some(plain) = target.and_then(|target| PlainLink::of(target, entry.expires)) {
            self.plain.insert(LinkKey::new(domain, route), plain);
        }
        insert(entry);
        if !unchanged() {
            self.forget(domain, route);
            return false;
        }
        true
    }

    fn forget(&self, domain: &str, route: &str) {
        self.plain.remove(&KeyRef(domain, route));
        self.links.remove(&KeyRef(domain, route));
    }

    /// Loads the most recently created live links, up to the cache's capacity, so that a
    /// fresh instance does not send its first visits of every link to the database.
    pub async fn warm(&self) -> Result<usize, sqlx::Error> {
        let capacity = i64::try_from(self.links.capacity()).unwrap_or(i64::MAX);
        let generation = self.generation.load(Ordering::Acquire);
        let links = self.store.recent_links(capacity).await?;
        let mut loaded = 0;
        for link in links {
            let Some(target) = RedirectTarget::from_link(link).map(Arc::new) else {
                continue;
            };
            let (domain, route) = (target.domain.as_str(), target.route.as_str());
            let entry = Entry::new(Some(Arc::clone(&target)));
            let insert = |entry| self.links.insert(LinkKey::new(domain, route), entry);
            if !self.keep(generation, domain, route, entry, insert) {
                break; // something changed meanwhile; the rest loads on demand
            }
            loaded += 1;
        }
        Ok(loaded)
    }

    /// Whether `host` is a custom short domain of some organization, if the cache knows.
    fn cached_custom_domain(&self, host: &str) -> Option<bool> {
        self.hosts
            .get(host)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(known, _)| known)
    }

    /// Whether `host` is a custom short domain of some organization. The database branch is
    /// boxed where it is taken, so that a visit's future (which awaits this) stays small.
    pub async fn is_custom_domain(&self, host: &str) -> Result<bool, sqlx::Error> {
        match self.cached_custom_domain(host) {
            Some(known) => Ok(known),
            None => Box::pin(self.load_custom_domain(host)).await,
        }
    }

    /// [`Self::is_custom_domain`] from the database, cached.
    async fn load_custom_domain(&self, host: &str) -> Result<bool, sqlx::Error> {
        // A Host that is no host name at all is answered without the database.
        if crate::links::Host::parse(host).is_err() {
            return Ok(false);
        }
        let known = self.store.domain_owner(host).await?.is_some();
        let ttl = if known { HOST_TTL } else { UNKNOWN_HOST_TTL };
        self.hosts
            .insert(host.to_owned(), (known, Instant::now() + ttl));
        Ok(known)
    }

    /// Forgets one link, named `domain/route` (it was created, changed or deleted).
    pub fn invalidate(&self, key: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some((domain, route)) = key.split_once('/') {
            self.forget(domain, route);
        }
    }

    /// Forgets everything (a change we may have missed, or a domain added).
    pub fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.plain.clear();
        self.links.clear();
        self.hosts.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn a_key_and_its_borrowed_form_hash_and_compare_alike() {
        let hasher = std::hash::RandomState::new();
        let key = LinkKey::new("pxl.to", "abc");
        assert_eq!(key.parts(), ("pxl.to", "abc"));
        assert_eq!(
            hasher.hash_one(&key),
            hasher.hash_one(KeyRef("pxl.to", "abc"))
        );
        assert!(KeyRef("pxl.to", "abc").equivalent(&key));
        assert!(!KeyRef("pxl.to", "abd").equivalent(&key));
        assert!(!KeyRef("pxl.t", "oabc").equivalent(&key));
    }

    #[test]
    fn the_same_text_split_elsewhere_is_another_key() {
        let hasher = std::hash::RandomState::new();
        let (one, other) = (LinkKey::new("ab", "c"), LinkKey::new("a", "bc"));
        assert_ne!(one, other);
        assert_ne!(hasher.hash_one(&one), hasher.hash_one(&other));
        assert!(!KeyRef("a", "bc").equivalent(&one));
    }

    #[test]
    fn a_short_key_is_inline_and_a_long_one_still_matches() {
        let short = LinkKey::new("go.acme.example", "launch");
        assert!(!short.text.is_heap_allocated(), "{short:?}");
        let host = "a-rather-long-custom-domain.example.com:8443";
        let long = LinkKey::new(host, "spring-sale");
        assert!(long.text.is_heap_allocated());
        assert_eq!(long.parts(), (host, "spring-sale"));
        assert!(KeyRef(host, "spring-sale").equivalent(&long));
    }

    #[test]
    fn a_route_with_a_slash_still_splits_at_the_domain() {
        let slashed = LinkKey::new("go.example", "a/b");
        assert_eq!(slashed.parts(), ("go.example", "a/b"));
        assert!(KeyRef("go.example", "a/b").equivalent(&slashed));
        assert!(!KeyRef("go.example/a", "b").equivalent(&slashed));
    }
}
