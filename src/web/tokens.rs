//! The API tokens page: generate one (shown exactly once, with a copy button and a
//! warning), list them with today's use, revoke. The rules are the accounts' (members:
//! their own tokens; owners and admins: all of the organization's).

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{
    error::WebError,
    form::SignedForm,
    page::{self, Layout},
    session::Signed,
};
use crate::{
    accounts::{self, NewToken},
    operation_error::OperationError,
    state::AppState,
    store::TokenSummary,
    timestamp::{self, iso},
};

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub user: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub used_today: i64,
    pub limit: i64,
    pub status: &'static str,
    pub active: bool,
}

fn day(at: Option<i64>) -> String {
    at.map_or_else(|| "–".to_owned(), |at| iso(at)[..10].to_owned())
}

fn row(token: TokenSummary, default_limit: i64, now: i64) -> TokenRow {
    let status = if token.revoked_at.is_some() {
        "revoked"
    } else if token.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else {
        "active"
    };
    TokenRow {
        id: token.id,
        name: token.name,
        prefix: token.display_prefix,
        user: token.email,
        created: day(Some(token.created_at)),
        expires: day(token.expires_at),
        last_used: day(token.last_used_at),
        used_today: token.used_today,
        limit: token.daily_limit.unwrap_or(default_limit),
        status,
        active: status == "active",
    }
}

#[derive(Template)]
#[template(path = "dashboard/tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    notice: Option<String>,
    max_daily_limit: i64,
    api_base: String,
    form_name: String,
    form_expires: String,
    form_limit: String,
    errors: HashMap<&'static str, String>,
}

#[derive(Deserialize)]
pub struct TokensQuery {
    revoked: Option<String>,
}

async fn page(
    state: &AppState,
    signed: &Signed,
    new_token: Option<String>,
    notice: Option<String>,
) -> Result<TokensPage, WebError> {
    let now = timestamp::now();
    let tokens = accounts::visible_tokens(&state.store, &signed.caller).await?;
    Ok(TokensPage {
        layout: Layout::new(state, signed, "tokens").await?,
        tokens: tokens
            .into_iter()
            .map(|t| row(t, state.settings.daily_limit, now))
            .collect(),
        new_token,
        notice,
        max_daily_limit: state.settings.daily_limit,
        api_base: state
            .settings
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
        form_name: String::new(),
        form_expires: String::new(),
        form_limit: String::new(),
        errors: HashMap::new(),
    })
}

/// `GET /dashboard/tokens`
pub async fn index(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<TokensQuery>,
) -> Result<Response, WebError> {
    let notice = query
        .revoked
        .map(|_| "Token revoked: it stops working at once.".to_owned());
    Ok(page::ok(
        page(&state, &signed, None, notice).await?.render(),
    ))
}

fn number(form: &SignedForm, name: &'static str) -> Result<Option<i64>, (&'static str, String)> {
    let text = form.text(name);
    if text.trim().is_empty() {
        return Ok(None);
    }
    text.trim()
        .parse()
        .map(Some)
        .map_err(|_| (name, "must be a whole number".to_owned()))
}

/// `POST /dashboard/tokens`: generates a token and shows it, once.
pub async fn create(State(state): State<AppState>, form: SignedForm) -> Result<Response, WebError> {
    let signed = &form.signed;
    let numbers = (
        number(&form, "expires_in_days"),
        number(&form, "daily_limit"),
    );
    let created = match numbers {
        (Ok(expires_in_days), Ok(daily_limit)) => {
            accounts::create_token(
                &state.store,
                &signed.caller,
                NewToken {
                    name: form.text("name"),
                    expires_in_days,
                    daily_limit,
                },
                state.settings.daily_limit,
            )
            .await
        }
        (Err((field, message)), _) | (_, Err((field, message))) => {
            Err(OperationError::invalid(field, message))
        }
    };
    match created {
        Ok(issued) => {
            let secret = issued.secret.expose().to_owned();
            tracing::info!(
                token.id = issued.id,
                org.id = signed.caller.org_id,
                "token created"
            );
            Ok(page::ok(
                page(&state, signed, Some(secret), None).await?.render(),
            ))
        }
        Err(OperationError::Invalid(problems)) => {
            let mut view = page(&state, signed, None, None).await?;
            view.form_name = form.text("name");
            view.form_expires = form.text("expires_in_days");
            view.form_limit = form.text("daily_limit");
            view.errors = problems.into_iter().map(|p| (p.field, p.message)).collect();
            Ok(page::html(StatusCode::BAD_REQUEST, view.render()))
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /dashboard/tokens/{id}/revoke`
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: SignedForm,
) -> Result<Response, WebError> {
    accounts::revoke_token_as(&state.store, &form.signed.caller, id).await?;
    Ok(Redirect::to("/dashboard/tokens?revoked=1").into_response())
}
