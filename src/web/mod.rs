//! The dashboard, under `/dashboard`: server-rendered pages (askama templates in
//! `templates/dashboard/`, one style sheet and one small script embedded in the binary)
//! for the people who manage links, tokens, the team and read the analytics.
//!
//! It is the second front door beside the API: its own authentication (a session cookie,
//! [`session`]; forms protected against forgery, [`csrf`], [`form`]), its own error pages
//! ([`error`]), and the same operations underneath (`links::operations`, `accounts`) — it
//! never calls the API's handlers, nor they its pages.

pub mod account;
pub mod analytics;
pub mod assets;
pub mod chart;
pub mod csrf;
pub mod domains;
pub mod error;
pub mod export;
pub mod form;
pub mod links;
pub mod page;
pub mod session;
pub mod sign_in;
pub mod targeting_form;
pub mod team;
pub mod tokens;

use axum::{
    Router,
    extract::Request,
    middleware,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

use crate::state::AppState;

/// The dashboard's routes (nested under `/dashboard`), behind the session loader and the
/// security headers.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/links", get(links::index).post(links::create))
        .route("/links/new", get(links::new))
        .route("/links/export", get(export::download))
        .route("/links/{number}", get(links::show).post(links::update))
        .route("/links/{number}/edit", get(links::edit))
        .route("/links/{number}/qr", get(links::qr_code))
        .route("/links/{number}/live", get(analytics::live))
        .route("/analytics", get(analytics::organization))
        .route("/tokens", get(tokens::index).post(tokens::create))
        .route("/tokens/{id}/revoke", post(tokens::revoke))
        .route("/domains", get(domains::index).post(domains::add))
        .route("/domains/remove", post(domains::remove))
        .route("/team", get(team::index).post(team::add))
        .route("/team/{user}/role", post(team::change_role))
        .route("/team/{user}/remove", post(team::remove))
        .route(
            "/links/{number}/delete",
            get(links::confirm_delete).post(links::delete),
        )
        .route(
            "/account/password",
            get(account::password_form).post(account::change_password),
        )
        .route("/org", post(account::switch_org))
        .route("/assets/{name}", get(assets::serve))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), session::load))
        .layer(middleware::from_fn(page::security_headers))
}

/// `GET /dashboard`
async fn home() -> Redirect {
    Redirect::to("/dashboard/links")
}

async fn not_found(request: Request) -> Response {
    error::WebError::NotFound(format!(
        "There is no page {} in the dashboard.",
        request.uri().path()
    ))
    .into_response()
}
