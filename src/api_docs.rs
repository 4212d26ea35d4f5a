//! The browsable API reference at `/api/docs`: Swagger UI (vendored in
//! `assets/swagger-ui/`, embedded in the binary, no CDN) reading
//! `/api/v1/openapi.json`. Public, like the document. The page's Content-Security-Policy
//! allows only this server's scripts; styles may be inline because Swagger UI sets some
//! itself.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>openpxl API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<noscript><p>This reference needs JavaScript. The document itself is at
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></noscript>
<main id="swagger-ui"></main>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/api-docs.js"></script>
</body>
</html>
"#;

/// `/api/docs` and its three files.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route(
            "/swagger-ui-bundle.js",
            get(|| async {
                file(
                    "text/javascript; charset=utf-8",
                    include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
                )
            }),
        )
        .route(
            "/swagger-ui.css",
            get(|| async {
                file(
                    "text/css; charset=utf-8",
                    include_bytes!("../assets/swagger-ui/swagger-ui.css"),
                )
            }),
        )
        .route(
            "/api-docs.js",
            get(|| async {
                file(
                    "text/javascript; charset=utf-8",
                    include_bytes!("../assets/swagger-ui/api-docs.js"),
                )
            }),
        )
}

async fn page() -> Response {
    let mut response = Html(PAGE).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
        .headers_mut()
        .insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// A vendored file; cached for a day (the names carry no version).
fn file(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}
