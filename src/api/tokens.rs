//! `/api/v1/tokens` (an openpxl extension, docs/API.md §8): a person's API tokens — list,
//! create (the secret shown once, in the answer), revoke. Members see and revoke their
//! own; owners and admins every token of the organization.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;

use super::{Data, body::Payload};
use crate::{
    accounts::{self, NewToken},
    auth::Caller,
    error::ApiError,
    links::fields::FieldReader,
    state::AppState,
    store::TokenSummary,
    timestamp::iso,
};

/// A token on the wire; `token` only in the answer that created it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Token)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// The first characters, to tell tokens apart.
    pub prefix: String,
    /// The e-mail of the user the token acts as.
    pub user: String,
    /// Requests per UTC day; `null`: the server's limit.
    pub daily_limit: Option<i64>,
    pub used_today: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    /// The secret, only in the answer that created the token: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<TokenSummary> for TokenView {
    fn from(t: TokenSummary) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.display_prefix,
            user: t.email,
            daily_limit: t.daily_limit,
            used_today: t.used_today,
            created_at: iso(t.created_at),
            expires_at: t.expires_at.map(iso),
            last_used_at: t.last_used_at.map(iso),
            revoked_at: t.revoked_at.map(iso),
            token: None,
        }
    }
}

/// `GET /api/v1/tokens`
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    operation_id = "listTokens",
    tag = "API tokens (openpxl extension)",
    summary = "The tokens you may see: yours (members), every token of the organization (owners, admins)",
    responses((status = 200, description = "The tokens, without their secrets.", body = Data<Vec<TokenView>>)),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Data<Vec<TokenView>>>, ApiError> {
    let tokens = accounts::visible_tokens(&state.store, &caller).await?;
    Ok(Json(Data {
        data: tokens.into_iter().map(TokenView::from).collect(),
    }))
}

/// `POST /api/v1/tokens` with `name`, optional `expiresInDays` and `dailyLimit`.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    operation_id = "createToken",
    tag = "API tokens (openpxl extension)",
    summary = "Make a token that acts as you, in your organization",
    request_body(content(
        (super::openapi::requests::NewToken = "application/json"),
    )),
    responses(
        (status = 201, description = "The new token, with its secret in `token`: shown this once.", body = Data<TokenView>),
        (status = 400, description = "A field is invalid (one sentence per field).", body = crate::error::ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    payload: Payload,
) -> Result<(StatusCode, Json<Data<TokenView>>), ApiError> {
    let mut body = FieldReader::new(payload.fields, payload.is_form);
    let name = body.text("name").given().unwrap_or_default();
    let expires_in_days = body.integer("expiresInDays").given();
    let daily_limit = body.integer("dailyLimit").given();
    body.finish()?;
    let issued = accounts::create_token(
        &state.store,
        &caller,
        NewToken {
            name,
            expires_in_days,
            daily_limit,
        },
        state.settings.daily_limit,
    )
    .await?;
    let listed = accounts::visible_tokens(&state.store, &caller)
        .await?
        .into_iter()
        .find(|t| t.id == issued.id)
        .ok_or_else(|| ApiError::Internal("a token vanished after its creation".into()))?;
    let mut view = TokenView::from(listed);
    view.token = Some(issued.secret.expose().to_owned());
    tracing::info!(
        token.id = issued.id,
        org.id = caller.org_id,
        "token created"
    );
    Ok((StatusCode::CREATED, Json(Data { data: view })))
}

/// `DELETE /api/v1/tokens/{id}`: revokes it (at once, on every instance).
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    operation_id = "revokeToken",
    tag = "API tokens (openpxl extension)",
    summary = "Revoke a token, at once, on every instance",
    params(("id" = i64, Path, description = "The token's id.")),
    responses(
        (status = 200, description = "The revoked token.", body = Data<TokenView>),
        (status = 403, description = "A member revokes only their own tokens.", body = crate::error::ErrorBody),
        (status = 404, description = "No such token in your organization.", body = crate::error::ErrorBody),
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Data<TokenView>>, ApiError> {
    let token_id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no token {id} in this organization")))?;
    accounts::revoke_token_as(&state.store, &caller, token_id).await?;
    let listed = accounts::visible_tokens(&state.store, &caller)
        .await?
        .into_iter()
        .find(|t| t.id == token_id)
        .ok_or_else(|| ApiError::NotFound(format!("no token {id} in this organization")))?;
    Ok(Json(Data {
        data: TokenView::from(listed),
    }))
}
