//! The layers every request passes through (visits to short links excepted): a request
//! id, a tracing span named by the matched route template, the request metrics and gzip;
//! and the request timeout. Nothing here logs IP addresses, tokens or
//! cookies: spans carry the method, the route template and the request id only.

use axum::{
    Router,
    extract::{MatchedPath, Request},
    http::{HeaderName, Response, StatusCode},
};
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use tracing::Span;

use crate::state::AppState;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps the whole application (visits excepted) in the common layers.
pub fn with_common_layers(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("(unmatched)", MatchedPath::as_str);
            let request_id = request
                .headers()
                .get(&REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "request",
                http.method = %request.method(),
                http.route = route,
                request.id = request_id,
            )
        })
        .on_request(())
        .on_response(
            |response: &Response<_>, latency: std::time::Duration, _span: &Span| {
                tracing::info!(
                    http.status = response.status().as_u16(),
                    duration_ms = latency.as_millis() as u64,
                    "response"
                );
            },
        );
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
            .layer(trace)
            .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::metrics::http::track,
            ))
            .layer(CompressionLayer::new()),
    )
}

/// Cuts off a request that takes longer than the configured timeout with a 408. Layered
/// inside the API's authentication so the 408 still carries the quota headers and the
/// JSON error shape.
pub fn timeout_layer(state: &AppState) -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.settings.request_timeout)
}
