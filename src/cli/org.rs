//! `openpxl org create NAME`

use crate::{
    accounts,
    config::OrgCommand,
    store::{Pools, Store},
};

pub async fn run(command: OrgCommand) -> anyhow::Result<()> {
    let OrgCommand::Create { name, database } = command;
    let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
    let created = accounts::create_org(&store, &name).await;
    store.close().await;
    let id = created?;
    println!("created organization {:?} (id {id})", name.trim());
    Ok(())
}
