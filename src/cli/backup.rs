//! `openpxl backup PATH` and `openpxl restore PATH`: a SQLite database copied while the
//! server runs, and put back in place while it is stopped.

use std::{path::Path, time::Instant};

use crate::{
    config::DatabaseArgs,
    store::{
        Backend, Pools, Store,
        backup::{self, Contents},
    },
};

pub async fn backup(path: &Path, database: DatabaseArgs) -> anyhow::Result<()> {
    let url = database.database_url.expose();
    if Backend::of_url(url)? != Backend::Sqlite {
        return Err(backup::BackupError::NotSqlite.into());
    }
    let store = Store::open(url, Pools::for_command()).await?;
    let started = Instant::now();
    let written = store.backup_into(path).await;
    store.close().await;
    written?;
    let contents = backup::check_backup(path).await?;
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    eprintln!(
        "backed up {} to {} ({:.1} MB in {:.1} s)",
        describe(contents),
        path.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub async fn restore(path: &Path, replace: bool, database: DatabaseArgs) -> anyhow::Result<()> {
    let restored = backup::restore(database.database_url.expose(), path, replace).await?;
    if let Some(aside) = &restored.set_aside {
        eprintln!("the database that was there is now {}", aside.display());
    }
    eprintln!(
        "restored {} into {}; start openpxl on it",
        describe(restored.contents),
        restored.target.display()
    );
    Ok(())
}

fn describe(contents: Contents) -> String {
    format!(
        "{} links, {} tokens and {} clicks",
        contents.links, contents.tokens, contents.clicks
    )
}
