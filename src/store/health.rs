//! Whether the database takes writes right now, and which connections to trust.
//!
//! `SELECT 1` still answers on a full disk or read-only files, so [`WriteHealth`]
//! remembers whether the last write (the quota counter every authenticated request writes,
//! and every batch of clicks) failed because the database could not take it; `/readyz`
//! says "not ready" while it does.
//!
//! It also remembers when such a failure last happened: a connection opened before it is
//! not trusted again and is closed when next taken from the pool (a SQLite connection
//! opened while the files were read-only stays read-only for ever; a Postgres connection
//! may have been cut). Fresh ones replace them, so the server heals by itself once the
//! fault is gone.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use super::error_kind::{is_unavailable, spoils_connections};

#[derive(Debug, Default)]
pub struct WriteHealth {
    failing: AtomicBool,
    last_spoiling_failure: Mutex<Option<Instant>>,
}

impl WriteHealth {
    /// Records the outcome of a write.
    pub fn record<T>(&self, result: &Result<T, sqlx::Error>) {
        let failing = matches!(result, Err(error) if is_unavailable(error));
        if self.failing.load(Ordering::Relaxed) != failing {
            self.failing.store(failing, Ordering::Relaxed);
        }
        if let Err(error) = result
            && spoils_connections(error)
        {
            *self.last_spoiling_failure.lock().expect("health lock") = Some(Instant::now());
        }
    }

    /// Whether the last write failed because the database could not take it.
    pub fn writes_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// Whether a connection opened `age` ago predates the last failure that may have
    /// spoiled connections.
    pub fn predates_failure(&self, age: Duration) -> bool {
        let last = *self.last_spoiling_failure.lock().expect("health lock");
        last.is_some_and(|at| at.elapsed() < age)
    }
}
