//! `openpxl token create | list | revoke`

use crate::{
    accounts::{self, TokenRequest},
    config::TokenCommand,
    store::{Pools, Store, TokenSummary},
    timestamp::{self, iso, utc_day},
};

pub async fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            email,
            org,
            name,
            daily_limit,
            expires_in_days,
            database,
        } => {
            let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
            let issued = accounts::issue_token(
                &store,
                TokenRequest {
                    org: &org,
                    email: &email,
                    name: &name,
                    daily_limit,
                    expires_in_days,
                    secret: None,
                },
            )
            .await?;
            store.close().await;
            // Only the token on stdout, so that TOKEN=$(openpxl token create ...) works.
            println!("{}", issued.secret.expose());
            eprintln!(
                "created token {} (id {}) for {email} in {org:?}; it is shown only this once",
                name, issued.id
            );
        }
        TokenCommand::List { org, database } => {
            let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
            let org_id = accounts::org_by_name(&store, &org).await?;
            let now = timestamp::now();
            let tokens = store.list_tokens(org_id, utc_day(now)).await?;
            store.close().await;
            print!("{}", table(&tokens, now));
        }
        TokenCommand::Revoke { id, database } => {
            let store = Store::open(database.database_url.expose(), Pools::for_command()).await?;
            let revoked = accounts::revoke_token(&store, id).await;
            store.close().await;
            if revoked? {
                println!("revoked token {id}");
            } else {
                println!("token {id} was already revoked");
            }
        }
    }
    Ok(())
}

/// The token list as an aligned text table.
fn table(tokens: &[TokenSummary], now: i64) -> String {
    let date =
        |at: Option<i64>| at.map_or_else(|| "-".to_owned(), |at| iso(at)[..16].replace('T', " "));
    let mut rows = vec![
        [
            "ID",
            "NAME",
            "PREFIX",
            "USER",
            "CREATED",
            "EXPIRES",
            "LAST USED",
            "TODAY",
            "STATUS",
        ]
        .map(String::from),
    ];
    for t in tokens {
        let status = if t.revoked_at.is_some() {
            "revoked"
        } else if t.expires_at.is_some_and(|at| at <= now) {
            "expired"
        } else {
            "active"
        };
        let limit = t
            .daily_limit
            .map_or_else(|| "default".to_owned(), |l| l.to_string());
        rows.push([
            t.id.to_string(),
            t.name.clone(),
            format!("{}…", t.display_prefix),
            t.email.clone(),
            date(Some(t.created_at)),
            date(t.expires_at),
            date(t.last_used_at),
            format!("{}/{limit}", t.used_today),
            status.to_owned(),
        ]);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
