//! `openpxl rollup`: roll up every closed UTC day of clicks now, and exit.

use crate::{
    analytics::rollup::roll_up_closed_days,
    config::DatabaseArgs,
    store::{Pools, Store},
};

pub async fn run(database: DatabaseArgs) -> anyhow::Result<()> {
    let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
    let started = std::time::Instant::now();
    let days = roll_up_closed_days(&store, crate::timestamp::now()).await?;
    store.close().await;
    eprintln!(
        "rolled up {days} organization-days of clicks in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
