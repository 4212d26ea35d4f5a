//! Backups of a SQLite database: `VACUUM INTO` writes a consistent, compacted copy while
//! the server keeps serving (it reads one snapshot; writers are not held up), and a
//! backup file is checked before it is restored. PostgreSQL is backed up with its own
//! tools (`pg_dump`, `pg_restore`), as docs/OPERATIONS.md shows.

use std::path::{Path, PathBuf};

use sqlx::{
    Connection,
    sqlite::{SqliteConnectOptions, SqliteConnection},
};

use super::{Backend, SQLITE_MIGRATIONS, Store, sqlite_file};

/// How many links, tokens and clicks a database holds.
const CONTENTS: &str = "SELECT (SELECT COUNT(*) FROM links), (SELECT COUNT(*) FROM api_tokens), \
                        (SELECT COUNT(*) FROM clicks)";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "openpxl backup and restore work on SQLite databases; back up PostgreSQL with \
         pg_dump --format=custom --file=openpxl.dump \"$DATABASE_URL\" and restore with \
         pg_restore --no-owner --dbname=\"$DATABASE_URL\" openpxl.dump \
         (docs/OPERATIONS.md, \"Backups\")"
    )]
    NotSqlite,
    #[error("{path} exists already; name a new file (a backup never overwrites one)")]
    Exists { path: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a usable openpxl backup: {why}")]
    Unusable { path: String, why: String },
    #[error(
        "{path} exists and is not empty; stop openpxl, then restore with --replace (the \
         current file is kept beside it as {path}.before-restore-TIME)"
    )]
    TargetExists { path: String },
    #[error("DATABASE_URL names no database file to restore into (an in-memory or mode= URL)")]
    NoTargetFile,
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub contents: Contents,
    pub target: PathBuf,
    /// Where the database that was replaced now is.
    pub set_aside: Option<PathBuf>,
}

/// What a database holds, to say what a backup or a restore carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contents {
    pub links: i64,
    pub tokens: i64,
    pub clicks: i64,
}

impl Store {
    /// Writes a copy of this SQLite database to `path`, which must not exist: first to
    /// `path.partial` (created readable by its owner only, like the database), then
    /// renamed, so `path` is never a half-written backup.
    pub async fn backup_into(&self, path: &Path) -> Result<(), BackupError> {
        if self.backend != Backend::Sqlite {
            return Err(BackupError::NotSqlite);
        }
        if path.exists() {
            return Err(BackupError::Exists {
                path: path.display().to_string(),
            });
        }
        let partial = partial_path(path);
        let write_error = |source| BackupError::Write {
            path: partial.display().to_string(),
            source,
        };
        // VACUUM INTO accepts an existing file only if it is empty: a leftover of an
        // earlier attempt that failed is removed first.
        match std::fs::remove_file(&partial) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(write_error(e)),
            _ => {}
        }
        sqlite_file::create_owner_only(&partial).map_err(write_error)?;
        let copied = sqlx::query("VACUUM INTO $1")
            .bind(partial.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await;
        if let Err(error) = copied {
            std::fs::remove_file(&partial).ok();
            return Err(error.into());
        }
        std::fs::rename(&partial, path).map_err(|source| BackupError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    /// How many links, tokens and clicks the database holds.
    pub async fn contents(&self) -> Result<Contents, sqlx::Error> {
        let (links, tokens, clicks): (i64, i64, i64) =
            sqlx::query_as(CONTENTS).fetch_one(&self.pool).await?;
        Ok(Contents {
            links,
            tokens,
            clicks,
        })
    }
}

/// Where a backup or a restored database is written before it is complete.
fn partial_path(path: &Path) -> PathBuf {
    with_suffix(path, ".partial")
}

/// Opens a backup file read-only and checks it: a sound SQLite file, an openpxl database,
/// and no newer than this openpxl (an older one is migrated when the server starts on
/// it). Gives what it holds.
pub async fn check_backup(path: &Path) -> Result<Contents, BackupError> {
    let unusable = |why: String| BackupError::Unusable {
        path: path.display().to_string(),
        why,
    };
    if !path.is_file() {
        return Err(unusable("there is no such file".into()));
    }
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    let mut connection = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| unusable(e.to_string()))?;
    let checked = async {
        let integrity = integrity(&mut connection)
            .await
            .map_err(|e| unusable(format!("it is not a SQLite database ({e})")))?;
        if integrity != "ok" {
            return Err(unusable(format!("SQLite finds it damaged: {integrity}")));
        }
        let version = schema_version(&mut connection)
            .await
            .ok()
            .flatten()
            .ok_or_else(|| unusable("it has no openpxl tables".into()))?;
        let newest = SQLITE_MIGRATIONS
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        if version > newest {
            return Err(unusable(format!(
                "it was made by a newer openpxl (schema {version}, this one knows up to \
                 {newest}); restore it with that version"
            )));
        }
        contents_of(&mut connection)
            .await
            .map_err(|e| unusable(format!("it lacks openpxl's tables ({e})")))
    }
    .await;
    connection.close().await.ok();
    checked
}

/// SQLite's own consistency check: `ok`, or what is wrong.
async fn integrity(connection: &mut SqliteConnection) -> Result<String, sqlx::Error> {
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(connection)
        .await?;
    Ok(problems.join("; "))
}

/// The newest migration applied to a database.
async fn schema_version(connection: &mut SqliteConnection) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(connection)
        .await
}

async fn contents_of(connection: &mut SqliteConnection) -> Result<Contents, sqlx::Error> {
    let (links, tokens, clicks) = sqlx::query_as(CONTENTS).fetch_one(connection).await?;
    Ok(Contents {
        links,
        tokens,
        clicks,
    })
}

/// Puts a checked backup in place as the SQLite database of `url`. An existing, non-empty
/// database is refused unless `replace`; then it is renamed (with its `-wal` and `-shm`
/// files, which may hold its latest changes) to `NAME.before-restore-SECONDS`. The copy is
/// written beside the target, synced, and renamed over it, so the target is never half
/// written. The server must be stopped: it would keep using the old file.
pub async fn restore(url: &str, backup: &Path, replace: bool) -> Result<Restored, BackupError> {
    if Backend::of_url(url).ok() != Some(Backend::Sqlite) {
        return Err(BackupError::NotSqlite);
    }
    let target = PathBuf::from(sqlite_file::file_path(url).ok_or(BackupError::NoTargetFile)?);
    let contents = check_backup(backup).await?;
    let in_use = std::fs::metadata(&target).is_ok_and(|m| m.len() > 0);
    let write_error = |path: &Path| {
        let path = path.display().to_string();
        move |source| BackupError::Write { path, source }
    };
    let mut set_aside = None;
    if in_use {
        if !replace {
            return Err(BackupError::TargetExists {
                path: target.display().to_string(),
            });
        }
        let aside = with_suffix(
            &target,
            &format!(".before-restore-{}", crate::timestamp::now() / 1000),
        );
        for suffix in ["-wal", "-shm"] {
            let companion = with_suffix(&target, suffix);
            if companion.exists() {
                let moved = with_suffix(&aside, suffix);
                std::fs::rename(&companion, &moved).map_err(write_error(&companion))?;
            }
        }
        std::fs::rename(&target, &aside).map_err(write_error(&target))?;
        set_aside = Some(aside);
    }
    let partial = partial_path(&target);
    std::fs::remove_file(&partial).ok();
    sqlite_file::create_owner_only(&partial).map_err(write_error(&partial))?;
    std::fs::copy(backup, &partial).map_err(write_error(&partial))?;
    std::fs::File::open(&partial)
        .and_then(|file| file.sync_all())
        .map_err(write_error(&partial))?;
    std::fs::rename(&partial, &target).map_err(write_error(&target))?;
    Ok(Restored {
        contents,
        target,
        set_aside,
    })
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
