//! `openpxl domain add HOST --org O`

use anyhow::{Context, bail};

use crate::{
    config::DomainCommand,
    link_cache::invalidation,
    links::Host,
    store::{Pools, Store, is_unique_violation},
    timestamp,
};

pub async fn run(command: DomainCommand) -> anyhow::Result<()> {
    let DomainCommand::Add {
        host,
        org,
        database,
    } = command;
    let host = Host::parse(&host).map_err(|e| anyhow::anyhow!(e))?;
    let store = Store::open(&database.database_url, Pools::for_command()).await?;
    let org_id = store.find_org_id(&org).await?.with_context(|| {
        format!("no organization called {org:?}; create it with `openpxl org create`")
    })?;
    match store
        .insert_domain(org_id, host.as_str(), timestamp::now())
        .await
    {
        Ok(_) => println!(
            "added {} to {org:?}; point its DNS at this server",
            host.as_str()
        ),
        Err(e) if is_unique_violation(&e) => {
            bail!("{} is already a short domain on this server", host.as_str())
        }
        Err(e) => return Err(e.into()),
    }
    // Running servers on Postgres learn of the new domain at once.
    invalidation::announce(&store, invalidation::EVERYTHING).await;
    store.close().await;
    Ok(())
}
