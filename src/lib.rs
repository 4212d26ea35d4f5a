//! openpxl: a self-hostable link shortener and click-analytics server that speaks the Pxl
//! REST API. The binary (`src/main.rs`) only parses the command line; everything lives here.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod error;
pub mod http;
pub mod links;
pub mod ops;
pub mod quota;
pub mod state;
pub mod store;
pub mod timestamp;

use std::future::Future;

use axum::{
    Router,
    extract::Request,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
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
    let app = Router::new()
        .merge(probes)
        .nest("/api/v1", api::router(&state))
        .fallback(not_found);
    http::with_common_layers(app).with_state(state)
}

/// Anything no route claims: JSON under /api, a small HTML page elsewhere.
async fn not_found(request: Request) -> Response {
    if request.uri().path().starts_with("/api") {
        let method = request.method().clone();
        return api::unknown_endpoint(method, request).await.into_response();
    }
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><html lang=en><meta charset=utf-8><title>Not found</title>\
             <h1>Not found</h1><p>There is no short link at this address.</p></html>",
        ),
    )
        .into_response()
}

/// Serves `router(state)` on an already-bound listener until `shutdown` completes, then
/// finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
