//! `openpxl user create --email E --org O [--role R] [--password-stdin]` and
//! `openpxl user set-password EMAIL [--password-stdin]`

use std::io::BufRead;

use anyhow::Context;

use crate::{
    accounts,
    auth::password,
    config::{RoleArg, UserCommand},
    store::{Pools, Role, Store},
};

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            email,
            org,
            role,
            password_stdin,
            database,
        } => {
            let password = read_password(password_stdin)?;
            let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
            let role = match role {
                RoleArg::Owner => Role::Owner,
                RoleArg::Admin => Role::Admin,
                RoleArg::Member => Role::Member,
            };
            let done = async {
                let (_, user_id) = accounts::ensure_member(&store, &org, &email, role).await?;
                let generated = password.is_none().then(password::generate);
                let chosen = password.or_else(|| generated.clone()).unwrap_or_default();
                accounts::set_password(&store, user_id, chosen).await?;
                Ok::<_, accounts::OperationError>(generated)
            }
            .await;
            store.close().await;
            match done? {
                Some(generated) => println!("{generated}"),
                None => eprintln!("password set for {email}"),
            }
        }
        UserCommand::SetPassword {
            email,
            password_stdin,
            database,
        } => {
            let password = read_password(password_stdin)?;
            let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
            let generated = password.is_none().then(password::generate);
            let chosen = password.or_else(|| generated.clone()).unwrap_or_default();
            let reset = accounts::reset_password(&store, &email, chosen, generated.is_some()).await;
            store.close().await;
            reset?;
            match generated {
                Some(generated) => {
                    println!("{generated}");
                    eprintln!(
                        "password reset for {email}; they choose their own at the next sign-in"
                    );
                }
                None => eprintln!("password set for {email}; their sessions are signed out"),
            }
        }
    }
    Ok(())
}

/// The first line of standard input, when asked to read the password from there.
fn read_password(from_stdin: bool) -> anyhow::Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}
