//! What every dashboard page shares: the layout's data (who is signed in, their
//! organizations, the form token, the asset URLs), rendering a template into a response,
//! and the security headers — a strict Content-Security-Policy (no inline script or style,
//! everything from this server), no framing, no sniffing, no caching of pages.

use axum::{
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

use super::{assets, error::WebError, session::Signed};
use crate::{
    state::AppState,
    store::{Membership, Role},
};

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     img-src 'self' data: https: http:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The parts of the page around its content.
#[derive(Debug, Clone)]
pub struct Layout {
    pub stylesheet: String,
    pub script: String,
    pub icon: String,
    pub email: String,
    pub csrf: String,
    pub orgs: Vec<Membership>,
    pub org_id: i64,
    pub org_name: String,
    pub role: Role,
    /// Which navigation entry is the current one.
    pub section: &'static str,
}

impl Layout {
    pub async fn new(
        state: &AppState,
        signed: &Signed,
        section: &'static str,
    ) -> Result<Self, WebError> {
        let orgs = state.store.memberships_of(signed.caller.user_id).await?;
        let org_name = orgs
            .iter()
            .find(|o| o.org_id == signed.caller.org_id)
            .map(|o| o.name.clone())
            .unwrap_or_default();
        Ok(Self {
            stylesheet: assets::stylesheet(),
            script: assets::script(),
            icon: assets::icon(),
            email: signed.session.email.clone(),
            csrf: signed.session.csrf.clone(),
            orgs,
            org_id: signed.caller.org_id,
            org_name,
            role: signed.caller.role,
            section,
        })
    }

    /// Whether the person may manage the organization (owners and admins).
    pub fn manages(&self) -> bool {
        matches!(self.role, Role::Owner | Role::Admin)
    }
}

/// A rendered template as an HTML response with `status`.
pub fn html(status: StatusCode, rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(body) => (status, Html(body)).into_response(),
        Err(error) => {
            tracing::error!(%error, "page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A rendered template as a 200 page.
pub fn ok(rendered: Result<String, askama::Error>) -> Response {
    html(StatusCode::OK, rendered)
}

/// Security headers on every dashboard response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
