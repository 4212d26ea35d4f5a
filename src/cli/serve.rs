//! `openpxl serve`: migrate, bootstrap an empty database, roll up closed days of clicks in
//! the background, serve until SIGTERM/SIGINT.

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
    let store = Store::open(args.database.database_url.expose(), settings.pools).await?;
    if let Some(first) = bootstrap::first_start(&store, &args.bootstrap).await? {
        eprintln!(
            "{}",
            first.banner(&format!("http://{}", settings.default_domain))
        );
    }
    let shutdown = shutdown_signal()?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {} (OPENPXL_LISTEN)", args.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        default_domain = %settings.default_domain,
        database = ?store.backend(),
        "openpxl is serving"
    );
    let rollups = crate::analytics::rollup::spawn(store.clone());
    crate::serve(
        listener,
        AppState::start(store.clone(), settings)?,
        shutdown,
    )
    .await?;
    rollups.abort(); // a roll-up cut short is rolled back and redone by the next start
    store.close().await;
    tracing::info!("openpxl stopped");
    Ok(())
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed
/// when this is called, so a signal that arrives before the server first polls the future
/// still stops it gracefully.
#[cfg(unix)]
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        tokio::signal::ctrl_c().await.ok();
        tracing::info!("shutting down: finishing requests in flight");
    })
}
