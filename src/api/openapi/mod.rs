//! The OpenAPI 3.1 document of the API, served at `GET /api/v1/openapi.json`: generated
//! from the `#[utoipa::path]` attributes on the handlers and the types they answer with.
//! What every authenticated operation shares (the bearer scheme, the quota headers, the
//! 401, 429, 500 and 503 answers, and 413/415 where a body is read) is added once, by
//! [`Shared`], exactly as the layers in front of the handlers apply it.

pub mod requests;
mod shared;

use shared::Shared;

use std::sync::LazyLock;

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use utoipa::OpenApi;

use super::{bulk, domains, insight, members, short, tokens};
use crate::ops;

/// The tag of the parts of the API that Pxl does not have; every operation under such a
/// tag is also marked `x-openpxl-extension: true`.
pub const EXTENSION_TAG_SUFFIX: &str = "(openpxl extension)";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "openpxl API",
        description = "The Pxl REST API as openpxl serves it, plus openpxl's extensions \
            (operations tagged \"(openpxl extension)\" and marked `x-openpxl-extension`; the \
            `domain` field of a short link). Every success is an envelope `{\"data\": ...}`; \
            every error has the `Error` shape. Request bodies may be JSON or form-encoded. \
            Every authenticated answer carries the `x-ratelimit-*` headers of the token's \
            daily quota. The prose reference is docs/API.md.",
        license(name = "AGPL-3.0-or-later"),
    ),
    paths(
        short::list,
        short::create,
        short::retrieve,
        short::update,
        short::delete,
        short::qr_code,
        bulk::create_many,
        insight::insight,
        tokens::list,
        tokens::create,
        tokens::revoke,
        domains::list,
        domains::add,
        domains::remove,
        members::list,
        members::add,
        members::update,
        members::remove,
        document,
        ops::healthz,
        ops::readyz,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&Shared),
    tags(
        (name = "Short links", description = "Pxl's short links (docs/API.md §4)."),
        (name = "Insight", description = "Pxl's click analytics (docs/API.md §6)."),
        (name = "Bulk (openpxl extension)", description = "docs/API.md §4.12."),
        (name = "QR codes (openpxl extension)", description = "docs/API.md §8.1."),
        (name = "API tokens (openpxl extension)", description = "docs/API.md §8.2."),
        (name = "Domains (openpxl extension)", description = "docs/API.md §8.3."),
        (name = "Members (openpxl extension)", description = "docs/API.md §8.4."),
        (name = "Probes", description = "For orchestrators; no token (docs/API.md §7)."),
    ),
)]
pub struct ApiDoc;

/// The document as JSON, made once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
});

/// `GET /api/v1/openapi.json`: public, like the documentation it feeds.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "getOpenApiDocument",
    tag = "Probes",
    summary = "This document",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this server's API.", content_type = "application/json")),
)]
pub async fn document() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
        let document: serde_json::Value = serde_json::from_str(&DOCUMENT).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(
            document["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        let list = &document["paths"]["/api/v1/short"]["get"];
        assert_eq!(list["security"][0]["bearer"], serde_json::json!([]));
        for header in [
            "x-total-count",
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-latency",
        ] {
            assert!(
                list["responses"]["200"]["headers"][header].is_object(),
                "{header}"
            );
        }
        assert!(list["responses"]["401"].is_object());
        assert!(list["responses"]["429"]["headers"]["retry-after"].is_object());
        let qr = &document["paths"]["/api/v1/short/{id}/qr"]["get"];
        assert_eq!(qr["x-openpxl-extension"], true);
        // A bulk body is invalid only as a whole (not a list, empty, too long): its items
        // are answered one by one.
        let bulk = &document["paths"]["/api/v1/short/bulk"]["post"];
        assert_eq!(bulk["x-openpxl-extension"], true);
        let body = &bulk["requestBody"]["content"]["application/json"]["schema"];
        let body = match body.get("$ref").and_then(serde_json::Value::as_str) {
            Some(reference) => {
                &document["components"]["schemas"][reference.rsplit('/').next().unwrap()]
            }
            None => body,
        };
        assert_eq!(
            (body["minItems"].as_u64(), body["maxItems"].as_u64()),
            (Some(1), Some(1000)),
            "{body}"
        );
        assert!(body["items"].get("type").is_none(), "{body}");
        assert!(list.get("x-openpxl-extension").is_none());
        let mut ids: Vec<&str> = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|operation| operation["operationId"].as_str().expect("an operationId"))
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "operation ids are unique: {ids:?}");
        let health = &document["paths"]["/healthz"]["get"];
        assert!(health["responses"].get("401").is_none());
    }
}
