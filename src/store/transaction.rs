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
//!
//! On SQLite the transaction begins with `BEGIN IMMEDIATE`: it takes the database's one
//! write lock at once, waiting for it as long as `busy_timeout` allows. A plain (deferred)
//! `BEGIN` takes it at the first write, and a transaction that has read by then cannot
//! wait for it: SQLite answers "database is locked" at once whenever another connection —
//! the click recorder's batch, the fold of link counters, another process — holds it.

use std::any::Any;

use sqlx::{AnyConnection, Connection, Database, Pool, Sqlite, SqliteConnection, Transaction};

/// The statement that begins a transaction on `connection`: `BEGIN IMMEDIATE` on SQLite
/// (through the `Any` driver or its own), the driver's `BEGIN` elsewhere.
fn begin_statement(connection: &dyn Any) -> Option<&'static str> {
    let sqlite = match connection.downcast_ref::<AnyConnection>() {
        Some(any) => any.backend_name() == Sqlite::NAME,
        None => connection.is::<SqliteConnection>(),
    };
    sqlite.then_some("BEGIN IMMEDIATE")
}

/// Runs `work` in a transaction on a dedicated connection, commits it, and closes the
/// connection (rather than pooling it again) if anything, COMMIT included, fails.
pub async fn in_transaction<DB, T, F>(pool: &Pool<DB>, work: F) -> Result<T, sqlx::Error>
where
    DB: Database,
    F: AsyncFnOnce(&mut Transaction<'_, DB>) -> Result<T, sqlx::Error>,
{
    let mut connection = pool.acquire().await?;
    let result = async {
        let raw: &DB::Connection = &connection;
        let mut transaction = match begin_statement(raw) {
            Some(statement) => connection.begin_with(statement).await?,
            None => Connection::begin(&mut *connection).await?,
        };
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
