//! The /api/v1 gate: reads `Authorization: Bearer <token>`, checks the token, charges the
//! request to the token's daily quota, puts the [`Caller`] in the request, and stamps every
//! response with the quota headers.

use std::time::Instant;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header::AUTHORIZATION},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    auth::{Caller, Credential, token},
    error::ApiError,
    quota::DailyQuota,
    state::AppState,
    store::TokenAuth,
    timestamp::{self, Millis, utc_day},
};

/// `last_used_at` is written at most this often per token, to spare the database a write
/// per request.
const LAST_USED_RESOLUTION_MS: Millis = 60_000;

/// Middleware for every /api/v1 route (and its 404/405 fallbacks).
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let now = timestamp::now();
    let auth = match find_valid_token(&state, request.headers(), now).await {
        Ok(auth) => auth,
        Err(error) => return error.into_response(),
    };
    let limit = auth.daily_limit.unwrap_or(state.settings.daily_limit);
    let (mut response, quota) = match state
        .store
        .take_quota(auth.id, auth.org_id, utc_day(now), limit)
        .await
    {
        Ok(Some(used)) => {
            request.extensions_mut().insert(Caller {
                org_id: auth.org_id,
                user_id: auth.user_id,
                role: auth.role,
                via: Credential::Token(auth.id),
            });
            (next.run(request).await, DailyQuota::after(limit, used, now))
        }
        Ok(None) => {
            state.metrics.quota_rejected();
            let quota = DailyQuota::exhausted(limit, now);
            let error = ApiError::TooManyRequests(quota.exhausted_message(now));
            (error.into_response(), quota)
        }
        Err(error) => return ApiError::from(error).into_response(),
    };
    record_last_use(&state, &auth, now);
    quota.write_headers(response.headers_mut(), started.elapsed(), now);
    response
}

async fn find_valid_token(
    state: &AppState,
    headers: &HeaderMap,
    now: Millis,
) -> Result<TokenAuth, ApiError> {
    let presented = bearer_token(headers)?;
    let auth = state
        .store
        .find_token_by_digest(&token::digest(presented))
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let revoked = auth.revoked_at.is_some();
    let expired = auth.expires_at.is_some_and(|at| at <= now);
    if revoked || expired {
        return Err(ApiError::InvalidToken);
    }
    Ok(auth)
}

/// The token of an `Authorization: Bearer <token>` header (scheme in any case).
fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers.get(AUTHORIZATION).ok_or(ApiError::MissingToken)?;
    let value = value.to_str().map_err(|_| ApiError::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::InvalidToken)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(ApiError::InvalidToken);
    }
    Ok(token)
}

/// Updates `last_used_at` in the background when it is older than the resolution.
fn record_last_use(state: &AppState, auth: &TokenAuth, now: Millis) {
    let stale = auth
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_RESOLUTION_MS);
    if !stale {
        return;
    }
    let store = state.store.clone();
    let token_id = auth.id;
    tokio::spawn(async move {
        if let Err(error) = store.touch_token(token_id, now).await {
            tracing::warn!(token.id = token_id, error = %error, "could not record token use");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn reads_the_token_of_a_bearer_header_in_any_case() {
        assert_eq!(bearer_token(&headers("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(&headers("bearer abc")).unwrap(), "abc");
    }

    #[test]
    fn a_missing_header_differs_from_a_malformed_one() {
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(ApiError::MissingToken)
        ));
        for bad in ["Basic abc", "Bearer", "Bearer ", "Bearer a b", "abc"] {
            assert!(
                matches!(bearer_token(&headers(bad)), Err(ApiError::InvalidToken)),
                "{bad:?}"
            );
        }
    }
}
