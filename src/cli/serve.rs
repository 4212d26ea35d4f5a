//! `openpxl serve`: migrate, bootstrap an empty database, roll up closed days of clicks in
//! the background, serve until SIGTERM/SIGINT.

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    bootstrap,
    config::{LogFormat, ServeArgs},
    state::{AppState, Settings},
    store::Store,
};

/// The longest the connections may take to close at exit.
const STORE_CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn run(args: ServeArgs, log_format: LogFormat) -> anyhow::Result<()> {
    let settings = Settings::from_args(&args)?;
    let store = Store::open(args.database.database_url.expose(), settings.pools).await?;
    // Counts a stopped instance left pending (a SIGKILL, a restored backup) are in the
    // counters before the first request reads them.
    store.fold_left_pending().await;
    if let Some(first) = bootstrap::first_start(&store, &args.bootstrap).await? {
        let banner = first.banner(&format!("http://{}", settings.default_domain));
        print_banner(&banner, log_format);
    }
    let shutdown = shutdown_signal()?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {} (OPENPXL_LISTEN)", args.listen))?;
    let metrics_listener = match settings.metrics_listen {
        Some(address) => Some(
            TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen on {address} (OPENPXL_METRICS_LISTEN)"))?,
        ),
        None => None,
    };
    let state = AppState::start(store.clone(), settings)?;
    // The metrics endpoint is up before the server says it serves.
    let metrics = match metrics_listener {
        Some(metrics_listener) => {
            tracing::info!(
                metrics_at = %metrics_listener.local_addr()?,
                "metrics are served at /metrics"
            );
            Some(tokio::spawn(crate::metrics::endpoint::serve(
                metrics_listener,
                state.metrics_registry.clone(),
            )))
        }
        None => None,
    };
    tracing::info!(
        listen = %listener.local_addr()?,
        default_domain = %state.settings.default_domain,
        database = ?store.backend(),
        "openpxl is serving"
    );
    let rollups = crate::analytics::rollup::spawn(
        store.clone(),
        state.live_days.clone(),
        state.metrics.clone(),
    );
    crate::serve(listener, state, shutdown).await?;
    rollups.abort(); // a roll-up cut short is rolled back and redone by the next start
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    // The clicks are written (or their loss logged) by now; a connection stuck on a dead
    // network must not keep the process from ending.
    if tokio::time::timeout(STORE_CLOSE_TIMEOUT, store.close())
        .await
        .is_err()
    {
        tracing::warn!("database connections still busy at exit; closing them unfinished");
    }
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

/// Prints the first-start banner on stderr, bypassing the log filter (whoever starts the
/// server must see it whatever `RUST_LOG` says): as it is for text logs, as one JSON line
/// of the same shape as the log lines for JSON logs.
fn print_banner(banner: &str, format: LogFormat) {
    match format {
        LogFormat::Text => eprintln!("{banner}"),
        LogFormat::Json => {
            let now = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let line = serde_json::json!({
                "timestamp": now,
                "level": "WARN",
                "fields": {"message": banner.trim()},
                "target": "openpxl::bootstrap",
            });
            eprintln!("{line}");
        }
    }
}
