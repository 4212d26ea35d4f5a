//! `openpxl user create --email E --org O [--role R] [--password-stdin]`

use std::io::BufRead;

use anyhow::Context;

use crate::{
    accounts,
    auth::password,
    config::{RoleArg, UserCommand},
    store::{Pools, Role, Store},
};

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    let UserCommand::Create {
        email,
        org,
        role,
        password_stdin,
        database,
    } = command;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
    let role = match role {
        RoleArg::Owner => Role::Owner,
        RoleArg::Admin => Role::Admin,
        RoleArg::Member => Role::Member,
    };
    let (_, user_id) = accounts::ensure_member(&store, &org, &email, role).await?;
    let generated = password.is_none().then(password::generate);
    let chosen = password.or_else(|| generated.clone()).unwrap_or_default();
    accounts::set_password(&store, user_id, chosen).await?;
    store.close().await;
    match generated {
        Some(generated) => println!("{generated}"),
        None => eprintln!("password set for {email}"),
    }
    Ok(())
}
