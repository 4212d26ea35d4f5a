//! Keeping every instance's link cache true: a change made through the API is announced on
//! the Postgres channel `openpxl_links` (payload: the link's `domain/route`, or `*` for
//! "forget everything"), and every instance listens and forgets that entry. If the listening
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

/// Tells the other instances that a cache key changed. Failure only delays them until the
/// cache entry expires, so it is logged, not returned.
pub async fn announce(store: &Store, key: &str) {
    if store.backend() != Backend::Postgres {
        return;
    }
    if let Err(error) = store.notify(CHANNEL, key).await {
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
            Ok(Some(notification)) if notification.payload() == EVERYTHING => {
                resolver.invalidate_all()
            }
            Ok(Some(notification)) => resolver.invalidate(notification.payload()),
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
