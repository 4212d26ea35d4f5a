//! Transactions that never leave a broken connection behind.
//!
//! A transaction that fails part-way — a statement, or the COMMIT itself (SQLite's
//! "database or disk is full", a Postgres connection cut mid-commit) — may leave its
//! connection in a state the driver no longer tracks: a transaction still open on the
//! server, a write lock still held, the driver's idea of the nesting depth wrong (so that
//! its next `BEGIN` becomes a `SAVEPOINT` inside the stale transaction, and its "commit"
//! only releases the savepoint). Returned to the pool, such a connection makes every later
//! writer fail with "database is locked", and can swallow the writes made on it.
//!
//! [`in_transaction`] therefore takes a connection of its own, runs the work between
//! `BEGIN` and `COMMIT`, and if anything fails closes that connection instead of returning
//! it to the pool; the pool opens a fresh one when it needs it. Nothing is committed unless
//! the work and the COMMIT both succeed, so a caller that sees an error knows nothing was
//! stored and may retry.

use sqlx::{Connection, Database, Pool, Transaction};

/// Runs `work` in a transaction on a dedicated connection, commits it, and closes the
/// connection (rather than pooling it again) if anything, COMMIT included, fails.
pub async fn in_transaction<DB, T, F>(pool: &Pool<DB>, work: F) -> Result<T, sqlx::Error>
where
    DB: Database,
    F: AsyncFnOnce(&mut Transaction<'_, DB>) -> Result<T, sqlx::Error>,
{
    let mut connection = pool.acquire().await?;
    let result = async {
        let mut transaction = Connection::begin(&mut *connection).await?;
        let value = work(&mut transaction).await?;
        transaction.commit().await?;
        Ok(value)
    }
    .await;
    if result.is_err() {
        connection.close_on_drop();
    }
    result
}
