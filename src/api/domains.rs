//! `/api/v1/domains` (an openpxl extension, docs/API.md §8): the organization's custom
//! short domains — list; add and remove for owners and admins (removal refused while live
//! links use the domain).

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;

use super::{Data, body::Payload};
use crate::{accounts, auth::Caller, error::ApiError, links::fields::FieldReader, state::AppState};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Domain)]
pub struct DomainView {
    pub host: String,
}

/// `GET /api/v1/domains`
#[utoipa::path(
    get,
    path = "/api/v1/domains",
    operation_id = "listDomains",
    tag = "Domains (openpxl extension)",
    summary = "The organization's own short domains",
    responses((status = 200, description = "The domains.", body = Data<Vec<DomainView>>)),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Data<Vec<DomainView>>>, ApiError> {
    let hosts = accounts::domains(&state.store, &caller).await?;
    Ok(Json(Data {
        data: hosts.into_iter().map(|host| DomainView { host }).collect(),
    }))
}

/// `POST /api/v1/domains` with `host`.
#[utoipa::path(
    post,
    path = "/api/v1/domains",
    operation_id = "addDomain",
    tag = "Domains (openpxl extension)",
    summary = "Add a short domain (owners, admins)",
    request_body(content(
        (super::openapi::requests::NewDomain = "application/json"),
    )),
    responses(
        (status = 201, description = "The domain, in its normal form.", body = Data<DomainView>),
        (status = 400, description = "Not a valid host.", body = crate::error::ErrorBody),
        (status = 403, description = "Only owners and admins add domains.", body = crate::error::ErrorBody),
        (status = 409, description = "Your organization or another one has it already.", body = crate::error::ErrorBody),
    ),
)]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    payload: Payload,
) -> Result<(StatusCode, Json<Data<DomainView>>), ApiError> {
    let mut body = FieldReader::new(payload.fields, payload.is_form);
    let host = body.text("host").given().unwrap_or_default();
    body.finish()?;
    let host = accounts::add_domain_as(&state.store, &caller, &host).await?;
    // Visits to it may have been cached as for an unknown host.
    state.links.invalidate_all();
    Ok((
        StatusCode::CREATED,
        Json(Data {
            data: DomainView {
                host: host.into_string(),
            },
        }),
    ))
}

/// `DELETE /api/v1/domains/{host}`
#[utoipa::path(
    delete,
    path = "/api/v1/domains/{host}",
    operation_id = "removeDomain",
    tag = "Domains (openpxl extension)",
    summary = "Remove a short domain (owners, admins), once no live link uses it",
    params(("host" = String, Path, description = "The domain, in any spelling.")),
    responses(
        (status = 200, description = "The removed domain.", body = Data<DomainView>),
        (status = 403, description = "Only owners and admins remove domains.", body = crate::error::ErrorBody),
        (status = 404, description = "Not a domain of your organization.", body = crate::error::ErrorBody),
        (status = 409, description = "Live links use it (the message says how many): delete them first.", body = crate::error::ErrorBody),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(host): Path<String>,
) -> Result<Json<Data<DomainView>>, ApiError> {
    accounts::remove_domain_as(&state.store, &caller, &host).await?;
    state.links.invalidate_all();
    Ok(Json(Data {
        data: DomainView { host },
    }))
}
