//! openpxl: a self-hostable link shortener and click-analytics server that speaks the Pxl
//! REST API. The binary (`src/main.rs`) only parses the command line; everything lives here.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod analytics;
pub mod api;
pub mod api_docs;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod clicks;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod link_cache;
pub mod links;
pub mod logging;
pub mod metrics;
pub mod operation_error;
pub mod ops;
pub mod quota;
pub mod redirect;
pub mod secret;
pub mod server;
pub mod state;
pub mod store;
pub mod timestamp;
pub mod transfer;
pub mod web;

use std::future::Future;

use axum::{
    Router,
    extract::Request,
    response::{IntoResponse, Response},
    routing::get,
};
use tokio::net::TcpListener;

use crate::state::AppState;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let probes = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .layer(http::timeout_layer(&state));
    // The hot path stays lean: no per-request span, log line, request id, compression or
    // timer; the handler bounds its own waits by the request timeout. Most visits do not
    // even come through here: `serve` hands them to `redirect::shortcut` first.
    let redirects = Router::new().route(
        "/{route}",
        get(redirect::visit).post(redirect::unlock::unlock),
    );
    let app = Router::new()
        .merge(probes)
        .nest("/api/v1", api::router(&state))
        .nest("/api/docs", api_docs::router())
        .nest(
            "/dashboard",
            web::router(&state).layer(http::timeout_layer(&state)),
        )
        .fallback(not_found);
    http::with_common_layers(app, &state)
        .merge(redirects)
        .with_state(state)
}

/// Anything no route claims: JSON under /api, a small HTML page elsewhere.
async fn not_found(request: Request) -> Response {
    if request.uri().path().starts_with("/api") {
        let method = request.method().clone();
        return api::unknown_endpoint(method, request).await.into_response();
    }
    redirect::pages::not_found()
}

/// Serves `router(state)`, visits first through [`redirect::shortcut`], on an already-bound
/// listener until `shutdown` completes, then
/// finishes the requests in flight (closing idle and half-read connections at once, and
/// the rest after the drain deadline) and writes every click still in memory (waiting at
/// most `OPENPXL_SHUTDOWN_TIMEOUT` for the database).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve_connections(
        listener,
        router(state.clone()),
        redirect::shortcut::Visits::new(state.clone()),
        state.settings.connections,
        shutdown,
    )
    .await?;
    if state
        .clicks
        .flush_within(state.settings.shutdown_timeout)
        .await
    {
        let status = state.clicks.status();
        tracing::info!(
            clicks.received = status.received,
            clicks.written = status.written,
            clicks.refused = status.refused,
            clicks.writing_ms = status.writing.as_millis() as u64,
            "all clicks written"
        );
    } else {
        let status = state.clicks.status();
        tracing::error!(
            clicks.received = status.received,
            clicks.written = status.written,
            clicks.refused = status.refused,
            clicks.lost = status.pending,
            error = status.last_error.as_deref().unwrap_or("timed out"),
            "could not write every click before shutdown"
        );
    }
    Ok(())
}
