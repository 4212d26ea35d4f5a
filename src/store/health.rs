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
//! may have been cut), and the idle ones are closed at once (SQLite shares one memory map
//! of the `-shm` file among all connections to a database, opened read-only if the file
//! was: it is opened afresh only once no connection holds it). Fresh connections replace
//! them, so the server heals by itself once the fault is gone.

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
    /// Records the outcome of a write; says whether it may have spoiled connections.
    pub fn record<T>(&self, result: &Result<T, sqlx::Error>) -> bool {
        let failing = matches!(result, Err(error) if is_unavailable(error));
        if self.failing.load(Ordering::Relaxed) != failing {
            self.failing.store(failing, Ordering::Relaxed);
        }
        let spoiling = matches!(result, Err(error) if spoils_connections(error));
        if spoiling {
            *self.last_spoiling_failure.lock().expect("health lock") = Some(Instant::now());
        }
        spoiling
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
