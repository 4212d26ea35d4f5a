//! `openpxl serve`: migrate, bootstrap an empty database, serve until SIGTERM/SIGINT.

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    bootstrap,
    config::ServeArgs,
    state::{AppState, Settings},
    store::Store,
};

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = Settings::from_args(&args)?;
    let store = Store::open(
        &args.database.database_url,
        args.database.db_max_connections,
    )
    .await?;
    if let Some(first) = bootstrap::first_start(&store, &args.bootstrap).await? {
        eprintln!(
            "{}",
            first.banner(&format!("http://{}", settings.default_domain))
        );
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {} (OPENPXL_LISTEN)", args.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        default_domain = %settings.default_domain,
        database = ?store.backend(),
        "openpxl is serving"
    );
    crate::serve(
        listener,
        AppState::new(store.clone(), settings),
        shutdown_signal(),
    )
    .await?;
    store.close().await;
    tracing::info!("openpxl stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
