//! `openpxl domain add HOST --org O`

use crate::{
    accounts,
    config::DomainCommand,
    store::{Pools, Store},
};

pub async fn run(command: DomainCommand) -> anyhow::Result<()> {
    let DomainCommand::Add {
        host,
        org,
        database,
    } = command;
    let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
    let added = accounts::add_domain(&store, &org, &host).await;
    store.close().await;
    let host = added?;
    println!(
        "added {} to {org:?}; point its DNS at this server",
        host.as_str()
    );
    Ok(())
}
