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

#[derive(Debug, Serialize)]
pub struct DomainView {
    pub host: String,
}

/// `GET /api/v1/domains`
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
