//! Signing in and out. The sign-in form is protected by a double-submit token (there is no
//! session yet); failed attempts are slowed down per account and per client address
//! ([`crate::auth::throttle`]), with a message that says for how long. A successful sign-in
//! starts a fresh session (a cookie set before sign-in is never reused: no fixation).

use std::{net::SocketAddr, time::Instant};

use askama::Template;
use axum::{
    Form,
    extract::{ConnectInfo, Query, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use serde::Deserialize;

use super::{
    assets, csrf,
    error::WebError,
    form::{SignedForm, refused},
    page, session,
};
use crate::{
    accounts::{self, OperationError},
    auth::throttle::Held,
    state::AppState,
};

const SIGN_IN_COOKIE: &str = "openpxl_sign_in";

#[derive(Template)]
#[template(path = "dashboard/sign_in.html")]
struct SignInPage {
    stylesheet: String,
    icon: String,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// Only a path inside the dashboard is a place to go back to after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/dashboard")
                && !path.starts_with("//")
                && !path.contains(['\\', '\r', '\n']) =>
        {
            path.to_owned()
        }
        _ => "/dashboard/links".to_owned(),
    }
}

fn new_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::auth::token::random_secret())
}

/// The form, with a fresh double-submit token in its cookie.
fn form_page(
    state: &AppState,
    jar: CookieJar,
    status: axum::http::StatusCode,
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let token = new_token();
    let cookie = Cookie::build((SIGN_IN_COOKIE, token.clone()))
        .path("/dashboard/sign-in")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.secure_cookies())
        .build();
    let page = SignInPage {
        stylesheet: assets::stylesheet(),
        icon: assets::icon(),
        csrf: token,
        next,
        email,
        error,
        notice,
    };
    (jar.add(cookie), page::html(status, page.render())).into_response()
}

/// `GET /dashboard/sign-in`
pub async fn form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<SignInQuery>,
) -> Response {
    let notice = query.signed_out.map(|_| "You are signed out.".to_owned());
    form_page(
        &state,
        jar,
        axum::http::StatusCode::OK,
        safe_next(query.next.as_deref()),
        String::new(),
        None,
        notice,
    )
}

#[derive(Deserialize)]
pub struct SignInFields {
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /dashboard/sign-in`
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(fields): Form<SignInFields>,
) -> Response {
    let expected = jar
        .get(SIGN_IN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if csrf::cross_site(&headers) || !csrf::same(&expected, &fields.csrf) {
        return refused();
    }
    let next = safe_next(Some(&fields.next));
    let address = session::client_address(&state, &headers, peer);
    let account = fields.email.trim().to_lowercase();
    let again = |jar, status, error: String| {
        form_page(
            &state,
            jar,
            status,
            next.clone(),
            fields.email.clone(),
            Some(error),
            None,
        )
    };
    if let Err(held) = state.sign_ins.check(&account, address, Instant::now()) {
        let (whom, wait) = match held {
            Held::Account(wait) => ("for this account", wait),
            Held::Address(wait) => ("from your network", wait),
        };
        return again(
            jar,
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-ins {whom}. Wait {} seconds and try again.",
                wait.as_secs().max(1)
            ),
        );
    }
    let user_id = match accounts::verify_sign_in(&state.store, &fields.email, fields.password).await
    {
        Ok(user_id) => user_id,
        Err(OperationError::Invalid(_)) => {
            state.sign_ins.failed(&account, address, Instant::now());
            return again(
                jar,
                axum::http::StatusCode::UNAUTHORIZED,
                "The e-mail address or the password is wrong. Check both and try again.".into(),
            );
        }
        Err(error) => return WebError::from(error).into_response(),
    };
    state.sign_ins.succeeded(&account);
    match start_for(&state, user_id).await {
        Ok(Some(cookie)) => {
            tracing::info!(user.id = user_id, "signed in to the dashboard");
            (jar.remove(SIGN_IN_COOKIE).add(cookie), Redirect::to(&next)).into_response()
        }
        Ok(None) => again(
            jar,
            axum::http::StatusCode::FORBIDDEN,
            "Your account belongs to no organization any more. Ask an owner or admin to add \
             you again."
                .into(),
        ),
        Err(error) => error.into_response(),
    }
}

/// A session for `user_id` in their first organization; `None` without any.
async fn start_for(state: &AppState, user_id: i64) -> Result<Option<Cookie<'static>>, WebError> {
    let Some(first) = state
        .store
        .memberships_of(user_id)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let cookie = session::start(
        &state.store,
        user_id,
        first.org_id,
        state.settings.secure_cookies(),
    )
    .await?;
    Ok(Some(cookie))
}

/// `POST /dashboard/sign-out`
pub async fn sign_out(State(state): State<AppState>, jar: CookieJar, form: SignedForm) -> Response {
    if let Err(error) = state
        .store
        .delete_session(&form.signed.session.digest)
        .await
    {
        return WebError::from(error).into_response();
    }
    (
        jar.add(session::removal(state.settings.secure_cookies())),
        Redirect::to("/dashboard/sign-in?signed_out=1"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dashboard_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/dashboard/links/3")), "/dashboard/links/3");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/api/v1/short",
            "/dashboard\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/dashboard/links", "{bad}");
        }
        assert_eq!(safe_next(None), "/dashboard/links");
    }
}
