//! API tokens: issuing one (shown once), revoking one.

use crate::{
    auth::{Caller, token::TokenSecret},
    operation_error::{FieldProblem, OperationError},
    store::{NewTokenRow, OnUnique, Role, Store, TokenSummary},
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

/// A token a person makes for themselves, in their organization (dashboard or API).
#[derive(Debug, Clone, Default)]
pub struct NewToken {
    pub name: String,
    pub expires_in_days: Option<i64>,
    pub daily_limit: Option<i64>,
}

/// Creates a token acting as the caller. Its daily limit may be at most `max_daily_limit`
/// (the server's limit: what an organization allows a token; an operator's CLI may set
/// more).
pub async fn create_token(
    store: &Store,
    caller: &Caller,
    new: NewToken,
    max_daily_limit: i64,
) -> Result<IssuedToken, OperationError> {
    let name = new.name.trim();
    let mut problems = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(FieldProblem {
            field: "name",
            message: "a token name must be 1 to 100 characters, saying what the token is for"
                .into(),
        });
    }
    if new
        .expires_in_days
        .is_some_and(|d| !(1..=36500).contains(&d))
    {
        problems.push(FieldProblem {
            field: "expires_in_days",
            message: "expiry must be a whole number of days from 1 to 36500, or none".into(),
        });
    }
    if new
        .daily_limit
        .is_some_and(|l| !(1..=max_daily_limit).contains(&l))
    {
        problems.push(FieldProblem {
            field: "daily_limit",
            message: format!(
                "a daily limit must be from 1 to {max_daily_limit} requests, the most this \
                 server allows a token (none: {max_daily_limit})"
            ),
        });
    }
    if !problems.is_empty() {
        return Err(OperationError::Invalid(problems));
    }
    let secret = TokenSecret::generate();
    let now = timestamp::now();
    let row = NewTokenRow {
        org_id: caller.org_id,
        user_id: caller.user_id,
        name,
        display_prefix: &secret.display_prefix(),
        digest: &secret.digest(),
        daily_limit: new.daily_limit,
        expires_at: new
            .expires_in_days
            .map(|days| timestamp::add_days(now, days)),
    };
    let id = store.insert_token(&row, now).await.on_unique(|| {
        OperationError::Conflict("this token already exists; create another one".into())
    })?;
    Ok(IssuedToken {
        id,
        org_id: caller.org_id,
        user_id: caller.user_id,
        secret,
    })
}

/// The organization's tokens a person may see: all of them for owners and admins, their
/// own for members.
pub async fn visible_tokens(
    store: &Store,
    caller: &Caller,
) -> Result<Vec<TokenSummary>, OperationError> {
    let mut tokens = store
        .list_tokens(caller.org_id, timestamp::utc_day(timestamp::now()))
        .await?;
    if !caller.manages_everything() {
        tokens.retain(|t| t.user_id == caller.user_id);
    }
    Ok(tokens)
}

/// Revokes a token of the caller's organization: their own, or any for owners and
/// admins. Says whether it was active until now.
pub async fn revoke_token_as(
    store: &Store,
    caller: &Caller,
    token_id: i64,
) -> Result<bool, OperationError> {
    let Some(owner) = store.token_user(caller.org_id, token_id).await? else {
        return Err(OperationError::NotFound(format!(
            "no token {token_id} in this organization"
        )));
    };
    if owner != caller.user_id && !caller.manages_everything() {
        return Err(OperationError::Forbidden(
            "a member revokes only their own tokens; an owner or admin can revoke this one".into(),
        ));
    }
    Ok(store.revoke_token(token_id, timestamp::now()).await?)
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
