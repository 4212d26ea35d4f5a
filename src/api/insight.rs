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
    timestamp,
};

/// `GET /api/v1/insight`
pub async fn insight(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<Data<Insight>>, ApiError> {
    let now = timestamp::now();
    let params = params::parse(query.as_deref().unwrap_or_default(), caller.org_id, now)
        .map_err(ApiError::BadRequest)?;
    Ok(Json(Data {
        data: ask(&state, &caller, params, now).await?,
    }))
}
