//! The subcommands of `openpxl`, one file each; this file only dispatches.

mod backup;
mod domain;
mod export;
mod import;
mod migrate;
mod org;
mod rollup;
pub mod serve;
mod token;
mod user;

use crate::config::{Cli, Command};

/// Runs what the command line asks for.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve::run(cli.serve, cli.log_format).await,
        Some(Command::Serve(args)) => serve::run(*args, cli.log_format).await,
        Some(Command::Migrate(database)) => migrate::run(database).await,
        Some(Command::Rollup(database)) => rollup::run(database).await,
        Some(Command::Backup { path, database }) => backup::backup(&path, database).await,
        Some(Command::Restore {
            path,
            replace,
            database,
        }) => backup::restore(&path, replace, database).await,
        Some(Command::Org(command)) => org::run(command).await,
        Some(Command::User(command)) => user::run(command).await,
        Some(Command::Token(command)) => token::run(command).await,
        Some(Command::Domain(command)) => domain::run(command).await,
        Some(Command::Export(args)) => export::run(args).await,
        Some(Command::Import(source)) => import::run(source).await,
    }
}

/// Whether a command line runs the server (which logs at info level by default).
pub fn runs_server(cli: &Cli) -> bool {
    matches!(cli.command, None | Some(Command::Serve(_)))
}
