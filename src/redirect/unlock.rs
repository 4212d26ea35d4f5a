//! Links with a password: the form a visitor gets instead of the redirect, and
//! `POST /{route}` with the password. The right password sends the visitor on (303) and
//! counts their click; a wrong one shows the form again with a message. After a few wrong
//! tries, tries wait longer and longer, per link and per visitor address (in memory, on
//! this instance; the address is never stored or logged).

use std::{net::SocketAddr, time::Instant};

use axum::{
    Form,
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    Request, client_ip, crawler::Visitor, ended, let_through, location_of, not_found, pages,
    resolve_target, text,
};
use crate::{auth::throttle::Held, metrics::RedirectOutcome, state::AppState};

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

/// What a visit to a protected link gets before the password: the form, showing nothing
/// of the link (crawlers included). The visit is recorded as a click with the outcome
/// `password`; wrong passwords sent back are not clicks.
pub fn ask() -> (RedirectOutcome, Response) {
    (
        RedirectOutcome::Password,
        pages::password(StatusCode::OK, None),
    )
}

/// `POST /{route}` with `password`.
pub async fn unlock(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(route): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let started = Instant::now();
    let (outcome, response) = try_password(&state, peer, &route, &uri, &headers, form).await;
    state.metrics.redirect(outcome, started.elapsed());
    response
}

async fn try_password(
    state: &AppState,
    peer: SocketAddr,
    route: &str,
    uri: &Uri,
    headers: &HeaderMap,
    form: PasswordForm,
) -> (RedirectOutcome, Response) {
    let target = match resolve_target(state, route, headers, uri).await {
        Ok(target) => target,
        Err(answer) => return answer,
    };
    let visitor = Visitor::of(text(headers, header::USER_AGENT).unwrap_or_default());
    let request = Request {
        peer,
        headers,
        query: uri.query(),
    };
    if let Some(ended) = ended(state, &target, visitor, &request).await {
        return ended;
    }
    let Some(hash) = target.password_hash.clone() else {
        // Nothing to unlock: this address is visited with GET.
        let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return (RedirectOutcome::NotFound, response);
    };
    let throttle_key = target.link_id.to_string();
    let address = client_ip(state, headers, peer);
    if let Err(held) = state
        .link_unlocks
        .check(&throttle_key, address, Instant::now())
    {
        let wait = match held {
            Held::Account(wait) | Held::Address(wait) => wait.as_secs().max(1),
        };
        let message = format!("Too many wrong passwords. Try again in {wait} seconds.");
        return (
            RedirectOutcome::Password,
            pages::password(StatusCode::TOO_MANY_REQUESTS, Some(&message)),
        );
    }
    if !crate::auth::password::verify_blocking(form.password, Some(hash)).await {
        state
            .link_unlocks
            .failed(&throttle_key, address, Instant::now());
        return (
            RedirectOutcome::Password,
            pages::password(
                StatusCode::UNAUTHORIZED,
                Some("That is not the password. Try again."),
            ),
        );
    }
    state.link_unlocks.succeeded(&throttle_key);
    let Some((outcome, location)) = location_of(state, &target, &request) else {
        return not_found();
    };
    if let Err(answer) = let_through(state, &target, visitor, &request, outcome).await {
        return answer;
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::LOCATION, location);
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    (RedirectOutcome::Redirect, response)
}
