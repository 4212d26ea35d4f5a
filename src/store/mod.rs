//! The database behind openpxl: one [`Store`] over Postgres or SQLite.
//!
//! Both backends run the same SQL text through sqlx's `Any` driver: the schema keeps to
//! types both share (`BIGINT` ids and epoch-millisecond times, `TEXT`, `BOOLEAN`, bytes)
//! and to syntax both accept (`$n` parameters, `ON CONFLICT`, `RETURNING`, partial
//! indexes). Each backend has its own migrations (`migrations/postgres`,
//! `migrations/sqlite`). The SQL lives in small named functions, one file per table.

pub mod backup;
mod click_codes;
mod clicks;
mod db_bool;
mod domains;
mod error_kind;
mod health;
mod import;
mod insight;
mod link_counts;
mod link_values;
mod links;
mod orgs;
mod pg_copy;
pub mod rollups;
mod sessions;
mod slot_pack;
mod sql;
mod sqlite_file;
mod tags;
mod tokens;
pub mod transaction;
mod usage;
mod users;

pub use clicks::ClickRow;
pub use db_bool::DbBool;
pub use error_kind::{is_about_the_data, is_unavailable};
pub use health::WriteHealth;
pub use import::{Imported, ImportedLink};
pub use link_counts::Fold;
pub use links::{LinkChanges, NewLink, RouteError};
pub use sessions::SessionRow;
pub use tokens::{NewTokenRow, TokenAuth, TokenSummary};
pub use users::{Member, Membership, Role, SignInUser};

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    AnyPool, Executor,
    any::{AnyConnectOptions, AnyPoolOptions},
    migrate::Migrator,
    postgres::{PgPool, PgPoolOptions},
};

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// Which backend a `DATABASE_URL` names.
    pub fn of_url(url: &str) -> Result<Self, OpenError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(OpenError::UnsupportedUrl)
        }
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "unsupported database URL (scheme must be postgres:// or sqlite://), \
         e.g. DATABASE_URL=sqlite://openpxl.db"
    )]
    UnsupportedUrl,
    #[error("invalid DATABASE_URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    #[error("cannot create the SQLite database file {path}: {source}")]
    CreateFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to the {backend:?} database: {source}")]
    Connect {
        backend: Backend,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot fill the links' search text after migrating: {0}")]
    FillSearchText(#[source] sqlx::Error),
}

/// The connections of one pool, for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub name: &'static str,
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

/// How many connections a [`Store`] may open, and how long analytics may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pools {
    /// The main pool: the API, the redirect path (cache misses) and the click recorder.
    pub main: u32,
    /// The analytics pool, apart from the main one so that heavy questions can never take
    /// the connections everything else needs: insight queries and roll-ups.
    pub analytics: u32,
    /// Longest an analytics statement may run (Postgres `statement_timeout`; roll-ups are
    /// exempt). SQLite has no statement timeout: the insight API bounds its wait instead.
    pub analytics_timeout: Duration,
}

impl Pools {
    /// For one-shot commands: one connection each.
    pub fn for_command() -> Self {
        Self {
            main: 1,
            analytics: 1,
            analytics_timeout: Duration::from_secs(3600),
        }
    }
}

/// A pool of connections to the database, shared by the whole process.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// A second, smaller pool for analytics ([`Pools::analytics`]).
    analytics: AnyPool,
    backend: Backend,
    /// Whether writes are failing right now (for readiness).
    health: Arc<WriteHealth>,
    /// Postgres only: a small native pool for bulk writes of clicks, which use array
    /// parameters (`UNNEST`) that the `Any` driver cannot bind.
    bulk: Option<PgPool>,
    /// SQLite only: the click recorder's own connection, which checks no foreign keys
    /// ([`Checks::NoForeignKeys`]) and keeps its page cache warm (SQLite empties a
    /// connection's cache whenever another connection wrote since it last read).
    recorder: Option<AnyPool>,
    /// Postgres only: the click dictionaries' codes seen so far.
    click_codes: Arc<click_codes::ClickCodes>,
    /// The URL it was opened with (may hold a password: never printed).
    url: Arc<str>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects (creating a SQLite file if missing, readable by its owner only). Does not
    /// migrate.
    pub async fn connect(url: &str, pools: Pools) -> Result<Self, OpenError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let url = match backend {
            Backend::Sqlite => {
                sqlite_file::create_private(url)?;
                sqlite_url_creating_file(url)
            }
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(OpenError::InvalidUrl)?;
        let connect_error = |source| OpenError::Connect { backend, source };
        let health = Arc::new(WriteHealth::default());
        let pool = any_pool(backend, pools.main, None, Checks::All, health.clone())
            .connect_with(options.clone())
            .await
            .map_err(connect_error)?;
        let analytics = any_pool(
            backend,
            pools.analytics,
            Some(pools.analytics_timeout),
            Checks::All,
            health.clone(),
        )
        .connect_with(options.clone())
        .await
        .map_err(connect_error)?;
        let recorder = match backend {
            Backend::Sqlite => Some(
                any_pool(backend, 1, None, Checks::NoForeignKeys, health.clone())
                    .connect_with(options)
                    .await
                    .map_err(connect_error)?,
            ),
            Backend::Postgres => None,
        };
        let bulk = match backend {
            Backend::Postgres => Some(
                PgPoolOptions::new()
                    // The recorder's batch and the background fold of link counters.
                    .max_connections(3)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(&url)
                    .await
                    .map_err(connect_error)?,
            ),
            Backend::Sqlite => None,
        };
        Ok(Self {
            pool,
            analytics,
            backend,
            health,
            bulk,
            recorder,
            click_codes: Arc::default(),
            url: url.into(),
        })
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        let migrator = match self.backend {
            Backend::Postgres => &POSTGRES_MIGRATIONS,
            Backend::Sqlite => &SQLITE_MIGRATIONS,
        };
        Ok(migrator.run(&self.pool).await?)
    }

    /// Connects and migrates: what every command does first.
    pub async fn open(url: &str, pools: Pools) -> Result<Self, OpenError> {
        let store = Self::connect(url, pools).await?;
        store.migrate().await?;
        store
            .fill_search_text()
            .await
            .map_err(OpenError::FillSearchText)?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many connections each pool has open, in use and idle, and may open at most.
    pub fn pool_usage(&self) -> [PoolUsage; 2] {
        let usage = |name, pool: &AnyPool| {
            let open = pool.size();
            let idle = u32::try_from(pool.num_idle()).unwrap_or(open);
            PoolUsage {
                name,
                in_use: open.saturating_sub(idle),
                idle,
                max: pool.options().get_max_connections(),
            }
        };
        [
            usage("main", &self.pool),
            usage("analytics", &self.analytics),
        ]
    }

    /// The database URL, for opening a dedicated connection (Postgres LISTEN).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.pool.execute("SELECT 1").await.map(|_| ())
    }

    /// Records a write's outcome for readiness; after a failure that may have spoiled
    /// connections, closes the idle ones (see [`WriteHealth`]).
    async fn note_write<T>(&self, result: &Result<T, sqlx::Error>) {
        if self.health.record(result) {
            for pool in [&self.pool, &self.analytics]
                .into_iter()
                .chain(&self.recorder)
            {
                while let Some(connection) = pool.try_acquire() {
                    connection.close().await.ok();
                }
            }
        }
    }

    /// A real write of one row, to see whether writes work again; only while they failed.
    pub async fn probe_write(&self) -> Result<(), sqlx::Error> {
        let probed = sqlx::query(
            "UPDATE organizations SET name = name \
             WHERE id = (SELECT MIN(id) FROM organizations)",
        )
        .execute(&self.pool)
        .await
        .map(|_| ());
        self.note_write(&probed).await;
        probed
    }

    /// Whether writes are failing right now (as the last write found).
    pub fn health(&self) -> &WriteHealth {
        &self.health
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.analytics.close().await;
        if let Some(recorder) = &self.recorder {
            recorder.close().await;
        }
        if let Some(bulk) = &self.bulk {
            bulk.close().await;
        }
    }

    /// `pg_notify(channel, payload)` (Postgres only).
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT CAST(pg_notify($1, $2) AS TEXT)")
            .bind(channel)
            .bind(payload)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// Which constraints a SQLite connection checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checks {
    All,
    /// The click recorder's: the foreign keys of `clicks.link_id` and
    /// `link_counters.link_id` cost a lookup in the wide `links` table for each click and
    /// each counter, and guard nothing there — links are never deleted (a deleted one keeps
    /// its row and its clicks) and the recorder writes clicks only for links just resolved.
    /// Postgres dropped the same key in its migration 0018. Imports keep every check.
    NoForeignKeys,
}

/// Pool options for either backend; SQLite connections get their pragmas, analytics
/// connections on Postgres their statement timeout. A connection opened before the last
/// failure that may have spoiled connections is closed rather than used ([`WriteHealth`]).
fn any_pool(
    backend: Backend,
    size: u32,
    statement_timeout: Option<Duration>,
    checks: Checks,
    health: Arc<WriteHealth>,
) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(10))
        .before_acquire(move |_conn, meta| {
            let trusted = !health.predates_failure(meta.age);
            Box::pin(async move { Ok(trusted) })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                match backend {
                    Backend::Sqlite => {
                        // WAL lets readers work beside the one writer; NORMAL is durable
                        // at every checkpoint and safe against corruption in WAL mode. A
                        // larger page cache and memory-mapped reads spare the writer most
                        // of its read system calls when batches of clicks touch many pages.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                             PRAGMA cache_size = -32768; PRAGMA mmap_size = 268435456; \
                             PRAGMA temp_store = MEMORY;",
                        )
                        .await?;
                        if checks == Checks::NoForeignKeys {
                            conn.execute("PRAGMA foreign_keys = OFF").await?;
                        }
                    }
                    Backend::Postgres => {
                        if let Some(timeout) = statement_timeout {
                            conn.execute(
                                format!("SET statement_timeout = {}", timeout.as_millis()).as_str(),
                            )
                            .await?;
                        }
                    }
                }
                Ok(())
            })
        })
}

/// `sqlite://openpxl.db` opens read-write and creates the file if missing, unless the URL
/// already says how to open it (`?mode=...`).
fn sqlite_url_creating_file(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Turns a unique-constraint violation (a taken name, e-mail, domain, route, token) into the
/// caller's own error — the one place where that happens — and keeps any other error a
/// database error. Inserting and mapping the violation, rather than checking first, is
/// what makes "taken" exact under concurrency.
pub trait OnUnique<T> {
    fn on_unique<E: From<sqlx::Error>>(self, taken: impl FnOnce() -> E) -> Result<T, E>;
}

impl<T> OnUnique<T> for Result<T, sqlx::Error> {
    fn on_unique<E: From<sqlx::Error>>(self, taken: impl FnOnce() -> E) -> Result<T, E> {
        self.map_err(|error| match &error {
            sqlx::Error::Database(e) if e.is_unique_violation() => taken(),
            _ => error.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(
            Backend::of_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::of_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::of_url("sqlite://openpxl.db").unwrap(),
            Backend::Sqlite
        );
        assert!(Backend::of_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn sqlite_files_are_created_unless_a_mode_is_given() {
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db?x=1"),
            "sqlite://a.db?x=1&mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }
}
