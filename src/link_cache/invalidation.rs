//! Keeping every instance's link cache true: a change made through the API is announced on
//! the Postgres channel `openpxl_links` (payload: the announcing server's cache id, a space, and
//! the link's `domain/route`, or `*` for "forget everything"), and every instance listens
//! and forgets that entry. An instance skips its own links' announcements: it forgot the
//! link when it made the change ([`crate::state::AppState::link_changed`]; a lookup that
//! raced with that is not cached), and the echo, arriving later, would only drop the entry
//! a visit has loaded since — the very entry that keeps redirects working if the database
//! goes away next. If the listening
//! connection drops, notifications may be missed, so once listening again the whole cache is
//! dropped. Not before: while the database is unreachable nobody can change a link, and the
//! cached links are what keeps redirects working through the outage.
//!
//! SQLite has no such channel: a SQLite database serves one instance, whose own changes
//! invalidate its cache directly.

use std::sync::Arc;

use sqlx::postgres::PgListener;
use tokio::task::JoinHandle;

use super::resolver::LinkResolver;
use crate::store::{Backend, Store};

pub const CHANNEL: &str = "openpxl_links";
pub const EVERYTHING: &str = "*";

/// What an announcement asks of an instance.
#[derive(Debug, PartialEq, Eq)]
enum Forget<'a> {
    Everything,
    Link(&'a str),
    /// Its own link change, forgotten when it was made.
    Nothing,
}

/// Reads an announcement (`INSTANCE KEY`; a bare `KEY` from an older version) as the
/// instance `me` must act on it.
fn forget<'a>(payload: &'a str, me: &str) -> Forget<'a> {
    let (from, key) = payload.split_once(' ').unwrap_or(("", payload));
    match key {
        EVERYTHING => Forget::Everything,
        _ if !from.is_empty() && from == me => Forget::Nothing,
        key => Forget::Link(key),
    }
}

/// Tells the other instances that a cache key changed; `from` is the announcing cache's
/// [`LinkResolver::id`] (or `""`: every instance acts on it). Failure only delays them
/// until the cache entry expires, so it is logged, not returned.
pub async fn announce(store: &Store, from: &str, key: &str) {
    if store.backend() != Backend::Postgres {
        return;
    }
    if let Err(error) = store.notify(CHANNEL, &format!("{from} {key}")).await {
        tracing::warn!(%error, "could not announce a link change to other instances");
    }
}

/// Listens for changes announced by any instance, and warms the cache once listening
/// (Postgres). On SQLite only warms the cache.
pub fn listen(store: &Store, resolver: Arc<LinkResolver>) -> JoinHandle<()> {
    if store.backend() != Backend::Postgres {
        return tokio::spawn(warm(resolver));
    }
    let url = store.url().to_owned();
    tokio::spawn(async move {
        let mut first = true;
        loop {
            match PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(error) = listener.listen(CHANNEL).await {
                        tracing::warn!(%error, "cannot LISTEN for link changes; retrying");
                    } else {
                        if first {
                            // Listening first, then loading: no change can fall in between.
                            first = false;
                            tokio::spawn(warm(resolver.clone()));
                        } else {
                            // Anything changed while we were not listening is unknown.
                            resolver.invalidate_all();
                        }
                        receive(&mut listener, &resolver).await;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot connect to LISTEN for link changes; retrying")
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    })
}

/// Fills the link cache at start.
pub async fn warm(resolver: Arc<LinkResolver>) {
    match resolver.warm().await {
        Ok(loaded) => tracing::info!(links.cached = loaded, "link cache warmed"),
        Err(error) => tracing::warn!(%error, "could not warm the link cache"),
    }
}

async fn receive(listener: &mut PgListener, resolver: &LinkResolver) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match forget(notification.payload(), resolver.id()) {
                Forget::Everything => resolver.invalidate_all(),
                Forget::Link(key) => resolver.invalidate(key),
                Forget::Nothing => {}
            },
            Ok(None) => {
                // The connection dropped. Reconnect from the outer loop, which forgets the
                // cache only once it is listening again (changes made meanwhile are unknown).
                tracing::warn!("lost the LISTEN connection; reconnecting");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "LISTEN failed");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_skips_its_own_link_changes_but_not_a_forget_everything() {
        assert_eq!(forget("a1 go.test/x", "b2"), Forget::Link("go.test/x"));
        assert_eq!(forget("b2 go.test/x", "b2"), Forget::Nothing);
        assert_eq!(forget("b2 *", "b2"), Forget::Everything);
        // From an instance of an older version: a bare key.
        assert_eq!(forget("go.test/x", "b2"), Forget::Link("go.test/x"));
        assert_eq!(forget("*", "b2"), Forget::Everything);
    }
}
