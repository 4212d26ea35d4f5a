//! `openpxl migrate`: apply pending migrations and exit.

use crate::{config::DatabaseArgs, store::Store};

pub async fn run(database: DatabaseArgs) -> anyhow::Result<()> {
    let store = Store::open(&database.database_url, 1).await?;
    store.close().await;
    eprintln!("migrations applied ({:?})", store.backend());
    Ok(())
}
