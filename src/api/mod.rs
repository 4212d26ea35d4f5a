//! The Pxl REST API under `/api/v1`: routes, the `{"data": ...}` envelope, and the JSON
//! shape for every error, including those the router and layers produce themselves.

mod body;
mod bulk;
mod domains;
mod insight;
mod members;
pub mod openapi;
mod short;
mod tokens;

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, OriginalUri, Request},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use serde::Serialize;

use crate::{
    auth,
    error::{ApiError, error_response},
    http,
    state::AppState,
};

/// Every success body: `{"data": ...}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Data<T> {
    pub data: T,
}

/// The routes of `/api/v1`: the OpenAPI document, public; everything else behind bearer
/// authentication and the daily quota. Every route here is described in the document
/// (`tests/api/openapi.rs` checks both ways).
pub fn router(state: &AppState) -> Router<AppState> {
    let authenticated = Router::new()
        .route("/short", get(short::list).post(short::create))
        // Before `/short/{*id}`: a static path wins. A link whose route is `bulk` is read
        // by its full id (`domain/bulk`).
        .route(
            "/short/bulk",
            axum::routing::post(bulk::create_many).layer(DefaultBodyLimit::max(
                state.settings.max_body_bytes * body::BULK_BODY_FACTOR,
            )),
        )
        .route("/insight", get(insight::insight))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/domains", get(domains::list).post(domains::add))
        .route("/domains/{host}", axum::routing::delete(domains::remove))
        .route("/members", get(members::list).post(members::add))
        .route(
            "/members/{id}",
            axum::routing::patch(members::update).delete(members::remove),
        )
        .route(
            "/short/{*id}",
            get(short::retrieve)
                .put(short::update)
                .patch(short::update)
                .delete(short::delete),
        )
        .fallback(unknown_endpoint)
        .layer(http::timeout_layer(state))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes));
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .merge(authenticated)
        .layer(middleware::from_fn(json_error_bodies))
}

/// 404 for a path under /api that names no endpoint.
pub async fn unknown_endpoint(method: Method, request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no endpoint {method} {}; see docs/API.md for the endpoints of /api/v1",
        original_path(&request)
    ))
}

/// The path as the client sent it (nesting strips the `/api/v1` prefix from `uri()`).
fn original_path(request: &Request) -> String {
    request.extensions().get::<OriginalUri>().map_or_else(
        || request.uri().path().to_owned(),
        |uri| uri.path().to_owned(),
    )
}

/// Gives error responses made outside the handlers (405 from the router, 408 from the
/// timeout, extractor rejections) the API's JSON error shape, keeping their status and
/// headers (such as `Allow`).
pub async fn json_error_bodies(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = original_path(&request);
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            format!(
                "method {method} is not allowed on {path}; the Allow header lists those that are"
            )
        }
        StatusCode::REQUEST_TIMEOUT => "the request took too long and was cancelled".to_owned(),
        _ => plain_text(body)
            .await
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_lowercase()),
    };
    let mut fresh = error_response(status, message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in &parts.headers {
        fresh.headers_mut().insert(name, value.clone());
    }
    fresh
}

/// The text of a short plain-text body (as axum's rejections have).
async fn plain_text(body: Body) -> Option<String> {
    let bytes = axum::body::to_bytes(body, 4096).await.ok()?;
    let text = String::from_utf8(bytes.to_vec()).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
