//! `openpxl migrate`: apply pending migrations and exit.

use crate::{
    config::DatabaseArgs,
    store::{Pools, Store},
};

pub async fn run(database: DatabaseArgs) -> anyhow::Result<()> {
    let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
    store.close().await;
    eprintln!("migrations applied ({:?})", store.backend());
    Ok(())
}
