//! What the layers in front of the API's handlers add to every authenticated operation
//! (docs/API.md §1–3), written into the document once rather than on each handler: the
//! bearer security scheme; the `x-ratelimit-*` headers on every answer that was counted;
//! 401 (no or a bad token), 429 (quota), 500 and 503; 413 and 415 where a body is read;
//! the `x-openpxl-extension` mark on the operations Pxl does not have; and the links from
//! a created short link to what can be done with it.

use utoipa::{
    Modify,
    openapi::{
        ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder,
        extensions::ExtensionsBuilder,
        link::LinkBuilder,
        path::Operation,
        schema::{ObjectBuilder, Type},
        security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme},
    },
};

use super::EXTENSION_TAG_SUFFIX;

const SCHEME: &str = "bearer";

/// What every request body's description adds: the form encoding, in words (a form cannot
/// say `null`, so the JSON schema does not describe it).
const FORMS: &str = "The same fields may be sent as `application/x-www-form-urlencoded` \
     (values as strings; an empty value means \"not set\"; booleans `true`/`false`, \
     `on`/`off` or `1`/`0`).";

pub struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("opxl_ followed by 43 letters and digits".into());
        bearer.description = Some(
            "`Authorization: Bearer <token>`. Tokens are made by the first start, \
             `openpxl token create`, the dashboard or `POST /api/v1/tokens`."
                .into(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(SCHEME, SecurityScheme::Http(bearer));
        for (path, item) in openapi.paths.paths.iter_mut() {
            // One handler serves PUT and PATCH of a link: its operation id names PUT; PATCH
            // gets its own, since ids are unique in a document.
            if let (Some(put), Some(patch)) = (&item.put, &mut item.patch)
                && put.operation_id == patch.operation_id
            {
                patch.operation_id = put
                    .operation_id
                    .as_deref()
                    .map(|id| id.replacen("update", "patch", 1));
            }
            let authenticated = path.starts_with("/api/v1/") && path != "/api/v1/openapi.json";
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                if authenticated {
                    authenticate(operation);
                }
                link_to_the_new_link(operation);
                mark_extension(operation);
            }
        }
    }
}

fn authenticate(operation: &mut Operation) {
    operation.security = Some(vec![SecurityRequirement::new(SCHEME, Vec::<String>::new())]);
    if let Some(RefOr::T(body)) = &mut operation.request_body {
        let said = body.description.take().unwrap_or_default();
        body.description = Some(format!("{said} {FORMS}").trim_start().to_owned());
    }
    // Every answer the quota counted carries its headers: the handler's own, 429 too.
    for response in operation.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            add_quota_headers(response);
        }
    }
    let mut shared = vec![
        (
            "401",
            error("No token, or one that is unknown, malformed, expired or revoked.")
                .header(
                    "www-authenticate",
                    header(
                        Type::String,
                        "`Bearer realm=\"openpxl\"`, with `error=\"invalid_token\"` for a bad token.",
                    ),
                )
                .build(),
        ),
        (
            "429",
            counted(
                error(
                    "The token's daily quota is used up (`Retry-After`: seconds until the \
                     next UTC midnight); or, for insights, your organization already has \
                     its allowed number running (`Retry-After: 1`).",
                )
                .header(
                    "retry-after",
                    header(Type::Integer, "Seconds to wait before trying again."),
                ),
            ),
        ),
        (
            "500",
            error("A fault on the server; the cause is in the server's log.").build(),
        ),
        (
            "503",
            error(
                "The database cannot take the request right now, or an insight ran too \
                 long; nothing was changed.",
            )
            .header(
                "retry-after",
                header(Type::Integer, "Seconds to wait before trying again."),
            )
            .build(),
        ),
    ];
    if operation.request_body.is_some() {
        shared.push((
            "413",
            counted(error(
                "The body is larger than the server allows (`OPENPXL_MAX_BODY_BYTES`).",
            )),
        ));
        shared.push((
            "415",
            counted(error(
                "The body is neither JSON nor form-encoded (or has no `Content-Type`).",
            )),
        ));
    }
    for (status, response) in shared {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert(RefOr::T(response));
    }
}

/// A response of the shared error shape.
fn error(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Error")))
            .build(),
    )
}

fn counted(response: ResponseBuilder) -> Response {
    let mut response = response.build();
    add_quota_headers(&mut response);
    response
}

fn add_quota_headers(response: &mut Response) {
    for (name, description) in [
        ("x-ratelimit-limit", "The token's daily limit."),
        (
            "x-ratelimit-remaining",
            "Requests left today after this one (never negative).",
        ),
        (
            "x-ratelimit-reset",
            "Unix time in seconds of the next UTC midnight, when the quota resets.",
        ),
        (
            "x-ratelimit-latency",
            "Whole milliseconds the server spent on the request.",
        ),
    ] {
        response.headers.insert(
            name.to_owned(),
            RefOr::T(header(Type::Integer, description)),
        );
    }
}

fn header(kind: Type, description: &str) -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(kind)))
        .description(Some(description))
        .build()
}

/// The link a creation answers with can be read, changed, drawn and deleted: OpenAPI
/// links say so (generated clients and the contract fuzzer's stateful phase follow them).
fn link_to_the_new_link(operation: &mut Operation) {
    if operation.operation_id.as_deref() != Some("createShortLink") {
        return;
    }
    let Some(RefOr::T(created)) = operation.responses.responses.get_mut("201") else {
        return;
    };
    for (name, target) in [
        ("GetShortLink", "getShortLink"),
        ("UpdateShortLink", "updateShortLink"),
        ("PatchShortLink", "patchShortLink"),
        ("GetShortLinkQrCode", "getShortLinkQrCode"),
        ("DeleteShortLink", "deleteShortLink"),
    ] {
        created.links.insert(
            name.to_owned(),
            RefOr::T(
                LinkBuilder::new()
                    .operation_id(target)
                    .parameter("id", "$response.body#/data/id")
                    .build(),
            ),
        );
    }
}

/// Operations under an extension tag are marked for tools as well as for people.
fn mark_extension(operation: &mut Operation) {
    let is_extension = operation
        .tags
        .iter()
        .flatten()
        .any(|tag| tag.ends_with(EXTENSION_TAG_SUFFIX));
    if is_extension {
        operation
            .extensions
            .get_or_insert_with(Default::default)
            .merge(
                ExtensionsBuilder::new()
                    .add("x-openpxl-extension", true)
                    .build(),
            );
    }
}
