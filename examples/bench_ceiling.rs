//! The benchmark's ceiling: a bare axum handler that answers every request with a constant
//! 302, built with the same dependencies and profile as openpxl. `bench/redirect.sh` runs it
//! beside openpxl so that openpxl's redirect rate is reported as a fraction of it.
//!
//! Usage: `bench_ceiling 127.0.0.1:9090`
#![forbid(unsafe_code)]

use axum::{
    Router,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};

async fn constant_redirect() -> impl IntoResponse {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, "https://example.com/"),
            (header::CACHE_CONTROL, "private, max-age=0"),
        ],
    )
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9090".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let app = Router::new().route("/{route}", get(constant_redirect));
    axum::serve(listener, app).await
}
