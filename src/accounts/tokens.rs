//! API tokens: issuing one (shown once), revoking one.

use crate::{
    auth::token::TokenSecret,
    operation_error::OperationError,
    store::{NewTokenRow, OnUnique, Role, Store},
    timestamp,
};

use super::users::ensure_member;

/// What a new token is for.
#[derive(Debug)]
pub struct TokenRequest<'a> {
    pub org: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub daily_limit: Option<i64>,
    pub expires_in_days: Option<i64>,
    /// A token chosen by the operator; a random one when `None`.
    pub secret: Option<TokenSecret>,
}

/// A token just created: the only moment its secret is known.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub secret: TokenSecret,
}

/// Creates a token for `email` in `org`, creating both if missing.
pub async fn issue_token(
    store: &Store,
    request: TokenRequest<'_>,
) -> Result<IssuedToken, OperationError> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(OperationError::invalid(
            "name",
            "a token name must be 1 to 100 characters, saying what the token is for",
        ));
    }
    if request.daily_limit.is_some_and(|limit| limit < 1) {
        return Err(OperationError::invalid(
            "daily_limit",
            "a daily limit must be at least 1",
        ));
    }
    let (org_id, user_id) = ensure_member(store, request.org, request.email, Role::Member).await?;
    let secret = request.secret.unwrap_or_else(TokenSecret::generate);
    let now = timestamp::now();
    let row = NewTokenRow {
        org_id,
        user_id,
        name,
        display_prefix: &secret.display_prefix(),
        digest: &secret.digest(),
        daily_limit: request.daily_limit,
        expires_at: request
            .expires_in_days
            .map(|days| timestamp::add_days(now, days)),
    };
    let id = store.insert_token(&row, now).await.on_unique(|| {
        OperationError::Conflict("this token already exists; choose another one".into())
    })?;
    Ok(IssuedToken {
        id,
        org_id,
        user_id,
        secret,
    })
}

/// Revokes a token at once (every instance refuses it from the next request); says
/// whether it was active until now.
pub async fn revoke_token(store: &Store, token_id: i64) -> Result<bool, OperationError> {
    if store.revoke_token(token_id, timestamp::now()).await? {
        return Ok(true);
    }
    if store.token_exists(token_id).await? {
        return Ok(false);
    }
    Err(OperationError::NotFound(format!(
        "no token with id {token_id}; `openpxl token list --org O` shows the ids"
    )))
}
