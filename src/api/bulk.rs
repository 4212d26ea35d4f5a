//! `POST /api/v1/short/bulk` (an openpxl extension, docs/API.md §4.12): up to 1,000 links
//! in one request, each created as `POST /api/v1/short` would create it (the same
//! operation, so the same rules), in order. One answer with a result per item — the link,
//! or that item's error with its index — and valid items are created even when others
//! fail. One request against the daily quota.

use axum::{Json, extract::State};
use serde::Serialize;
use serde_json::Value;

use super::{Data, body::JsonList};
use crate::{
    auth::Caller,
    error::{ApiError, ErrorBody},
    links::{
        ShortLinkView,
        input::{LinkInput, Purpose},
        operations,
    },
    operation_error::OperationError,
    state::AppState,
};

/// The most links one bulk request may create.
pub const MAX_BULK_LINKS: usize = 1000;

/// What a bulk request did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkAnswer {
    /// How many links were created.
    pub created: usize,
    /// How many items were refused.
    pub failed: usize,
    /// One result per item, in the order sent.
    pub results: Vec<BulkResult>,
}

/// The result of one item: the link created (201), or why not (the error body a single
/// `POST /api/v1/short` would have answered), with the item's index.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BulkResult {
    Created(Box<BulkCreated>),
    Failed(BulkFailed),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkCreated {
    /// The item's position in the request, from 0.
    pub index: usize,
    /// 201.
    pub status_code: u16,
    pub data: ShortLinkView,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkFailed {
    /// The item's position in the request, from 0.
    pub index: usize,
    /// `statusCode`, `error` and `message`, as for a single request.
    #[serde(flatten)]
    pub error: ErrorBody,
}

/// The body's schema: a list of 1 to 1,000 items of any shape, since each item is
/// checked on its own and answered in its result (written by hand: the derive cannot say
/// "any item" with bounds on the list).
pub struct BulkRequest;

impl utoipa::PartialSchema for BulkRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType};
        // Any value: an item that is not a link (not even an object) is answered in its
        // result, so no item makes the request itself invalid.
        let item = ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some(
                "A new link, as the NewShort schema describes (checked item by item).",
            ));
        ArrayBuilder::new()
            .items(utoipa::openapi::schema::ArrayItems::RefOrSchema(Box::new(
                item.into(),
            )))
            .min_items(Some(1))
            .max_items(Some(MAX_BULK_LINKS))
            .into()
    }
}

impl utoipa::ToSchema for BulkRequest {}

/// `POST /api/v1/short/bulk`
#[utoipa::path(
    post,
    path = "/api/v1/short/bulk",
    operation_id = "createShortLinksInBulk",
    tag = "Bulk (openpxl extension)",
    summary = "Create up to 1,000 short links in one request",
    description = "Each item is created as `POST /api/v1/short` would create it, in order; \
                   valid items are created even when others fail. One request against the \
                   daily quota. Only JSON: a form cannot carry a list.",
    request_body(
        description = "A list of 1 to 1,000 new links, each as `POST /api/v1/short` takes \
                       it (the `NewShort` schema). An item that is not a valid link is \
                       reported in its result, not refused with the request.",
        content((BulkRequest = "application/json")),
    ),
    responses(
        (status = 200, description = "Every item was tried: a result per item, in order.", body = Data<BulkAnswer>),
        (status = 400, description = "The body is not a list, is empty or has more than 1,000 items.", body = crate::error::ErrorBody),
    ),
)]
pub async fn create_many(
    State(state): State<AppState>,
    caller: Caller,
    JsonList(items): JsonList,
) -> Result<Json<Data<BulkAnswer>>, ApiError> {
    if items.is_empty() || items.len() > MAX_BULK_LINKS {
        return Err(ApiError::bad_request(format!(
            "send 1 to {MAX_BULK_LINKS} links in the list (got {}); split a larger import \
             into several requests",
            items.len()
        )));
    }
    let mut results = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let result = match create_one(&state, &caller, item).await {
            Ok(data) => BulkResult::Created(Box::new(BulkCreated {
                index,
                status_code: 201,
                data,
            })),
            Err(error) => BulkResult::Failed(BulkFailed {
                index,
                error: ApiError::from(error).into_body(),
            }),
        };
        results.push(result);
    }
    let created = results
        .iter()
        .filter(|r| matches!(r, BulkResult::Created(_)))
        .count();
    tracing::info!(
        org.id = caller.org_id,
        created,
        failed = results.len() - created,
        "bulk creation"
    );
    Ok(Json(Data {
        data: BulkAnswer {
            created,
            failed: results.len() - created,
            results,
        },
    }))
}

async fn create_one(
    state: &AppState,
    caller: &Caller,
    item: Value,
) -> Result<ShortLinkView, OperationError> {
    let Value::Object(fields) = item else {
        return Err(OperationError::invalid(
            "link",
            format!(
                "each item must be a JSON object such as {{\"destination\": \
                 \"https://example.com\"}} (got {})",
                crate::links::fields::kind_of(&item)
            ),
        ));
    };
    let input = LinkInput::read(fields, false, Purpose::Create)?;
    Ok(operations::create(state, caller, input).await?.into())
}
