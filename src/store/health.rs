//! Whether the database takes writes right now. `SELECT 1` still answers on a full disk or
//! read-only files; [`WriteHealth`] remembers whether the last API write (the quota
//! counter every authenticated request writes) failed because the database could not take
//! it, so `/readyz` can say "not ready" while writes fail.

use std::sync::atomic::{AtomicBool, Ordering};

use super::error_kind::is_unavailable;

/// Whether API writes currently fail; set and cleared by every quota write.
#[derive(Debug, Default)]
pub struct WriteHealth {
    failing: AtomicBool,
}

impl WriteHealth {
    /// Records the outcome of a write.
    pub fn record<T>(&self, result: &Result<T, sqlx::Error>) {
        let failing = matches!(result, Err(error) if is_unavailable(error));
        if self.failing.load(Ordering::Relaxed) != failing {
            self.failing.store(failing, Ordering::Relaxed);
        }
    }

    pub fn writes_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }
}
