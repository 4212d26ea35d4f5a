//! Every option of the `openpxl` command, once: clap arguments with environment fallbacks
//! (`DATABASE_URL` for the database, `OPENPXL_<OPTION>` for the rest) and their defaults.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::secret::{DatabaseUrl, Secret};

/// Every default, written once: the option parser below and the settings built without it
/// (`state::Settings`) both read these.
pub mod defaults {
    pub const DATABASE_URL: &str = "sqlite://openpxl.db";
    pub const DB_MAX_CONNECTIONS: u32 = 16;
    pub const DB_ANALYTICS_CONNECTIONS: u32 = 4;
    pub const ANALYTICS_TIMEOUT_SECS: u64 = 20;
    pub const LISTEN: &str = "0.0.0.0:8080";
    pub const DEFAULT_DOMAIN: &str = "localhost:8080";
    pub const DAILY_LIMIT: i64 = 500;
    pub const REQUEST_TIMEOUT_SECS: u64 = 30;
    pub const MAX_BODY_BYTES: usize = 64 * 1024;
    pub const LINK_CACHE_SIZE: usize = 250_000;
    pub const CLICK_BUFFER: u64 = 100_000;
    pub const SHUTDOWN_TIMEOUT_SECS: u64 = 30;
    pub const MAX_CONNECTIONS: usize = 4096;
    pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
    pub const INSIGHT_CONCURRENCY: usize = 2;
    pub const BOOTSTRAP_ORG: &str = "default";
    pub const BOOTSTRAP_EMAIL: &str = "admin@localhost";
}

#[derive(Debug, Parser)]
#[command(
    name = "openpxl",
    version,
    about = "Self-hostable link shortener and click analytics that speaks the Pxl REST API",
    long_about = "Self-hostable link shortener and click analytics that speaks the Pxl REST API.\n\n\
                  Without a subcommand, `openpxl` runs the server (`openpxl serve`).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// How log lines are written to stderr: `text` for people, `json` (one JSON object per
    /// line) for log collectors.
    #[arg(long, env = "OPENPXL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text,
          global = true)]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The shape of log lines (`OPENPXL_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Plain text, coloured when stderr is a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default when no subcommand is given).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Roll up every closed UTC day of clicks now (the server also does it every minute);
    /// useful after importing clicks.
    Rollup(DatabaseArgs),
    /// Write a consistent copy of a SQLite database to PATH while the server runs
    /// (PostgreSQL: use pg_dump, see docs/OPERATIONS.md).
    Backup {
        /// The backup file to write; it must not exist.
        path: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Put a backup made by `openpxl backup` in place as the SQLite database (stop the
    /// server first; PostgreSQL: use pg_restore).
    Restore {
        /// The backup file.
        path: PathBuf,
        /// Replace an existing database, keeping it beside the new one as
        /// NAME.before-restore-TIME.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage dashboard users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage an organization's short domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Write an organization's live links (and, with --clicks, their clicks) as JSON lines
    /// (everything; what `openpxl import jsonl` reads) or CSV, streamed.
    Export(ExportArgs),
    /// Import links (and their click history) into an organization. Routes already live
    /// on their domain are skipped, never overwritten: run the same command again to
    /// resume after a failure.
    #[command(subcommand)]
    Import(ImportSource),
}

/// Where an import reads from.
#[derive(Debug, Clone, Subcommand)]
pub enum ImportSource {
    /// openpxl's own export (`openpxl export`, JSON lines), links and clicks.
    Jsonl {
        /// The file `openpxl export` wrote.
        file: PathBuf,
        #[command(flatten)]
        target: ImportTarget,
    },
    /// A CSV file with a header row: `destination` (or `url`, `long_url`) required;
    /// `route`, `domain`, `title`, `description`, `tags` and `created` optional.
    Csv {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        target: ImportTarget,
    },
    /// A Shlink server, through its REST API: links, tags, limits and visits.
    Shlink {
        /// Shlink's base URL, such as https://s.example.com.
        url: String,
        /// An API key of that Shlink (`shlink api-key:generate`).
        #[arg(long, env = "SHLINK_API_KEY", hide_env_values = true)]
        api_key: String,
        #[command(flatten)]
        target: ImportTarget,
    },
    /// A Kutt server, through its REST API: links (Kutt's API gives no visit history).
    Kutt {
        /// Kutt's base URL, such as https://kutt.example.com.
        url: String,
        /// An API key of that Kutt (Settings → API).
        #[arg(long, env = "KUTT_API_KEY", hide_env_values = true)]
        api_key: String,
        #[command(flatten)]
        target: ImportTarget,
    },
    /// A YOURLS database (MySQL or MariaDB): its links and their click history.
    Yourls {
        /// `mysql://USER:PASSWORD@HOST:PORT/DATABASE` of the YOURLS installation.
        url: String,
        /// The YOURLS table prefix (`YOURLS_DB_PREFIX`).
        #[arg(long, default_value = "yourls_")]
        prefix: String,
        /// The short domain the links go on (default: the server's default domain).
        #[arg(long)]
        domain: Option<String>,
        #[command(flatten)]
        target: ImportTarget,
    },
}

/// Where an import writes to.
#[derive(Debug, Clone, Args)]
pub struct ImportTarget {
    /// The organization the links go to (it must exist, with its owner).
    #[arg(long)]
    pub org: String,
    /// Read and check everything, write nothing, and say what would happen.
    #[arg(long)]
    pub dry_run: bool,
    /// The server's default short domain: links on it need no domain of their own; links
    /// on any other domain get it added to the organization when it is free.
    #[arg(long, env = "OPENPXL_DEFAULT_DOMAIN", default_value = defaults::DEFAULT_DOMAIN)]
    pub default_domain: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The organization to export.
    #[arg(long)]
    pub org: String,
    /// Also export every click of those links (no IP address: none is stored).
    #[arg(long)]
    pub clicks: bool,
    /// `jsonl`: one JSON object per line, each link followed by its clicks. `csv`: a links
    /// table; with --clicks, the clicks go to a second file, OUTPUT with `.clicks.csv`
    /// in place of its extension.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: crate::transfer::export::Format,
    /// The file to write (it must not exist); standard output when not given.
    #[arg(long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database to use: `sqlite://PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = defaults::DATABASE_URL,
          hide_env_values = true, value_parser = DatabaseUrl::parse)]
    pub database_url: DatabaseUrl,

    /// Most connections the server keeps open to the database for the API, redirects and
    /// click writes.
    #[arg(long, env = "OPENPXL_DB_MAX_CONNECTIONS", default_value_t = defaults::DB_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_max_connections: u32,

    /// Further connections for analytics (insight queries and roll-ups), kept apart so that
    /// heavy questions never take the connections everything else needs.
    #[arg(long, env = "OPENPXL_DB_ANALYTICS_CONNECTIONS",
          default_value_t = defaults::DB_ANALYTICS_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_analytics_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address and port to listen on.
    #[arg(long, env = "OPENPXL_LISTEN", default_value = defaults::LISTEN)]
    pub listen: SocketAddr,

    /// Address and port to serve Prometheus metrics on, at /metrics (default: no metrics
    /// listener). Keep it private: it is not authenticated.
    #[arg(long, env = "OPENPXL_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// The server's own short domain (host[:port]); links are created on it unless the
    /// request names another domain of the organization.
    #[arg(long, env = "OPENPXL_DEFAULT_DOMAIN", default_value = defaults::DEFAULT_DOMAIN)]
    pub default_domain: String,

    /// The address people open the dashboard at, such as https://go.example.com (default:
    /// http:// and the default domain). With https, session cookies are sent over HTTPS only.
    #[arg(long, env = "OPENPXL_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Requests per UTC day allowed to a token that has no limit of its own.
    #[arg(long, env = "OPENPXL_DAILY_LIMIT", default_value_t = defaults::DAILY_LIMIT,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub daily_limit: i64,

    /// Seconds a request may take before the server answers 408.
    #[arg(long, env = "OPENPXL_REQUEST_TIMEOUT", default_value_t = defaults::REQUEST_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,

    /// Largest request body accepted, in bytes (413 above it).
    #[arg(long, env = "OPENPXL_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// MaxMind-format database (GeoLite2 City or DB-IP City Lite `.mmdb`) for the country
    /// and city of clicks; without one they are `Unknown`.
    #[arg(long, env = "OPENPXL_GEOIP_DB")]
    pub geoip_db: Option<PathBuf>,

    /// Take the visitor's address from the last `X-Forwarded-For` entry, the one the proxy
    /// appended (only behind a proxy that sets it; otherwise visitors could forge it).
    #[arg(long, env = "OPENPXL_TRUST_PROXY")]
    pub trust_proxy: bool,

    /// Answer requests for unknown hosts as if they were for the default domain.
    #[arg(long, env = "OPENPXL_SERVE_ANY_HOST")]
    pub serve_any_host: bool,

    /// Links kept in the redirect cache (the most recent are loaded at start).
    #[arg(long, env = "OPENPXL_LINK_CACHE_SIZE", default_value_t = defaults::LINK_CACHE_SIZE)]
    pub link_cache_size: usize,

    /// Clicks kept in memory while the database refuses writes (it is away, its disk is
    /// full); beyond this, redirects wait for room instead of dropping clicks. While writes
    /// succeed, at most a quarter second of writing waits in memory.
    #[arg(long, env = "OPENPXL_CLICK_BUFFER", default_value_t = defaults::CLICK_BUFFER,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub click_buffer: u64,

    /// Seconds a shutdown waits for the clicks still in memory to be written.
    #[arg(long, env = "OPENPXL_SHUTDOWN_TIMEOUT", default_value_t = defaults::SHUTDOWN_TIMEOUT_SECS)]
    pub shutdown_timeout: u64,

    /// Most client connections open at once; beyond it new connections wait to be
    /// accepted.
    #[arg(long, env = "OPENPXL_MAX_CONNECTIONS", default_value_t = defaults::MAX_CONNECTIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub max_connections: usize,

    /// Seconds a connection may take to send a complete request head, counted from when
    /// the server starts waiting for it; also how long an idle keep-alive connection stays
    /// open.
    #[arg(long, env = "OPENPXL_HEADER_READ_TIMEOUT",
          default_value_t = defaults::HEADER_READ_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout: u64,

    /// Seconds an analytics statement may run before it is cancelled and the insight
    /// request answered 503.
    #[arg(long, env = "OPENPXL_ANALYTICS_TIMEOUT",
          default_value_t = defaults::ANALYTICS_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub analytics_timeout: u64,

    /// Insight requests one organization may have running at once on this instance;
    /// more get 429 with `Retry-After`.
    #[arg(long, env = "OPENPXL_INSIGHT_CONCURRENCY",
          default_value_t = defaults::INSIGHT_CONCURRENCY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub insight_concurrency: usize,

    #[command(flatten)]
    pub bootstrap: BootstrapArgs,
}

/// What the first start on an empty database creates.
#[derive(Debug, Clone, Args)]
pub struct BootstrapArgs {
    /// Organization created on the first start.
    #[arg(
        long = "bootstrap-org",
        env = "OPENPXL_BOOTSTRAP_ORG",
        default_value = defaults::BOOTSTRAP_ORG
    )]
    pub org: String,

    /// Owner account created on the first start.
    #[arg(
        long = "bootstrap-email",
        env = "OPENPXL_BOOTSTRAP_EMAIL",
        default_value = defaults::BOOTSTRAP_EMAIL
    )]
    pub email: String,

    /// API token to create on the first start instead of a random one (at least 32 characters).
    #[arg(
        long = "bootstrap-token",
        env = "OPENPXL_BOOTSTRAP_TOKEN",
        hide_env_values = true,
        value_parser = Secret::parse
    )]
    pub token: Option<Secret>,

    /// Owner password to set on the first start instead of a random one.
    #[arg(
        long = "bootstrap-password",
        env = "OPENPXL_BOOTSTRAP_PASSWORD",
        hide_env_values = true,
        value_parser = Secret::parse
    )]
    pub password: Option<Secret>,
}

impl ServeArgs {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout)
    }
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization.
    Create {
        /// Its name (unique on this server).
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Owner,
    Admin,
    Member,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and add them to an organization (both created if missing).
    ///
    /// Without --password-stdin a random password is generated and printed on stdout.
    Create {
        /// The user's e-mail address (their login).
        #[arg(long)]
        email: String,
        /// The organization to add them to.
        #[arg(long)]
        org: String,
        /// Their role in the organization.
        #[arg(long, value_enum, default_value = "member")]
        role: RoleArg,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Reset a user's dashboard password (and sign them out everywhere).
    ///
    /// Without --password-stdin a random password is generated, printed on stdout, and must
    /// be changed at the next sign-in.
    SetPassword {
        /// The user's e-mail address.
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it (and nothing else) on stdout.
    ///
    /// The organization and the user are created if missing; a user added to a new
    /// organization becomes its owner, otherwise a member.
    Create {
        /// E-mail of the user the token acts as.
        #[arg(long)]
        email: String,
        /// Organization the token acts in.
        #[arg(long)]
        org: String,
        /// A name that says what the token is for.
        #[arg(long)]
        name: String,
        /// Requests per UTC day for this token (default: the server's daily limit).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..))]
        daily_limit: Option<i64>,
        /// Days until the token expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=36500))]
        expires_in_days: Option<i64>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List an organization's tokens: id, name, prefix, dates and usage today.
    List {
        /// The organization.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token at once (it stops working on every instance).
    Revoke {
        /// The token's id, as `token list` shows it.
        id: i64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a short domain (host[:port]) to an organization.
    Add {
        /// The host name, e.g. `go.example.com`.
        host: String,
        /// The organization that will own it.
        #[arg(long)]
        org: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_parsed_configuration_shows_no_secret() {
        let cli = Cli::try_parse_from([
            "openpxl",
            "serve",
            "--database-url",
            "postgres://openpxl:db-pass-123@db.internal/openpxl",
            "--bootstrap-token",
            "bootstrap-token-0123456789abcdef0123456789",
            "--bootstrap-password",
            "owner-pass-456",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        for secret in ["db-pass-123", "bootstrap-token-0123", "owner-pass-456"] {
            assert!(!shown.contains(secret), "Debug shows {secret}: {shown}");
        }
        assert!(
            shown.contains("db.internal"),
            "the rest is still there: {shown}"
        );
    }

    /// The rows of the options table under `heading` in docs/OPERATIONS.md: environment
    /// variable, flag and default, without backticks.
    fn documented_options(heading: &str) -> Vec<[String; 3]> {
        let guide = include_str!("../docs/OPERATIONS.md");
        let section = &guide[guide.find(heading).expect("the section exists")..];
        section
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .skip(2) // the header and its rule
            .map(|row| {
                let cells: Vec<String> = row
                    .split('|')
                    .skip(1)
                    .take(3)
                    .map(|cell| cell.trim().trim_matches('`').to_owned())
                    .collect();
                [cells[0].clone(), cells[1].clone(), cells[2].clone()]
            })
            .collect()
    }

    #[test]
    fn the_operations_guide_lists_every_server_option_with_its_flag_and_default() {
        let rows = documented_options("### Server options");
        let mut command = Cli::command();
        command.build();
        let serve = command.find_subcommand("serve").expect("serve");
        let mut described = Vec::new();
        for arg in serve.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let env = arg
                .get_env()
                .unwrap_or_else(|| panic!("--{long} has no environment variable"))
                .to_str()
                .unwrap();
            let row = rows
                .iter()
                .find(|row| row[0] == env)
                .unwrap_or_else(|| panic!("docs/OPERATIONS.md has no row for {env}"));
            assert_eq!(row[1], format!("--{long}"), "the flag of {env}");
            let default: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            if default.is_empty() {
                assert!(
                    !row[2].is_empty() && !row[2].starts_with(|c: char| c.is_ascii_digit()),
                    "{env} has no default, but the guide says {:?}",
                    row[2]
                );
            } else {
                assert_eq!(row[2], default.join(","), "the default of {env}");
            }
            described.push(env.to_owned());
        }
        for row in &rows {
            assert!(
                row[0] == "RUST_LOG" || described.contains(&row[0]),
                "docs/OPERATIONS.md describes {}, which `openpxl serve` does not take",
                row[0]
            );
        }
    }

    #[test]
    fn no_subcommand_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["openpxl"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.listen.port(), 8080);
    }
}
