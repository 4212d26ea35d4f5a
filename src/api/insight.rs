//! `GET /api/v1/insight` (docs/API.md §6): the caller's analytics, with Pxl's query parameters.

use axum::{
    Json,
    extract::{RawQuery, State},
};

use super::Data;
use crate::{
    analytics::{Insight, ask::ask, params},
    auth::Caller,
    error::ApiError,
    state::AppState,
};

/// `GET /api/v1/insight`
#[utoipa::path(
    get,
    path = "/api/v1/insight",
    operation_id = "getInsight",
    tag = "Insight",
    summary = "Click analytics of the organization, a domain or a link",
    params(super::openapi::requests::InsightQuery),
    responses(
        (status = 200, description = "The counts.", body = Data<Insight>),
        (status = 400, description = "A bad date, zone or range (one sentence per problem).", body = crate::error::ErrorBody),
        (status = 404, description = "`link` names no live link of your organization.", body = crate::error::ErrorBody),
        (status = 409, description = "`link` is a bare route that names several of your links.", body = crate::error::ErrorBody),
    ),
)]
pub async fn insight(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Data<Insight>>, ApiError> {
    let now = state.settings.clock.now();
    let params = params::parse(query.as_deref().unwrap_or_default(), caller.org_id, now)
        .map_err(ApiError::BadRequest)?;
    Ok(Json(Data {
        data: ask(&state, &caller, params, now).await?,
    }))
}
