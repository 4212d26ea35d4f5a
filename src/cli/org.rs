//! `openpxl org create NAME`

use anyhow::bail;

use crate::{
    accounts,
    config::OrgCommand,
    store::{Pools, Store, is_unique_violation},
    timestamp,
};

pub async fn run(command: OrgCommand) -> anyhow::Result<()> {
    let OrgCommand::Create { name, database } = command;
    let store = Store::open(&database.database_url, Pools::for_command()).await?;
    let name = accounts::org_name(&name)?;
    match store.insert_org(name, timestamp::now()).await {
        Ok(id) => println!("created organization {name:?} (id {id})"),
        Err(e) if is_unique_violation(&e) => {
            bail!("an organization called {name:?} already exists")
        }
        Err(e) => return Err(e.into()),
    }
    store.close().await;
    Ok(())
}
