//! The `openpxl` binary: parse the command line, set up logging, run the subcommand.
#![forbid(unsafe_code)]

use clap::Parser;

/// See Cargo.toml: mimalloc instead of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = openpxl::config::Cli::parse();
    let default_level = if openpxl::cli::runs_server(&cli) {
        "info"
    } else {
        "warn"
    };
    openpxl::logging::init(cli.log_format, default_level);
    match openpxl::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
