//! The signed-in person's own settings: changing their password (required first when
//! someone else chose it), and switching between their organizations.

use askama::Template;
use axum::{
    extract::{Query, State},
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
use crate::{accounts, operation_error::OperationError, state::AppState};

#[derive(Template)]
#[template(path = "dashboard/password.html")]
struct PasswordPage {
    layout: Layout,
    must_change: bool,
    changed: bool,
    current_error: Option<String>,
    new_error: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordQuery {
    changed: Option<String>,
}

/// `GET /dashboard/account/password`
pub async fn password_form(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<PasswordQuery>,
) -> Result<Response, WebError> {
    let page = PasswordPage {
        layout: Layout::new(&state, &signed, "account").await?,
        must_change: signed.session.must_change_password,
        changed: query.changed.is_some(),
        current_error: None,
        new_error: None,
    };
    Ok(page::ok(page.render()))
}

/// `POST /dashboard/account/password`
pub async fn change_password(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, WebError> {
    let signed = &form.signed;
    let changed = accounts::change_password(
        &state.store,
        signed.caller.user_id,
        form.text("current"),
        form.text("new"),
    )
    .await;
    match changed {
        Ok(()) => {
            // Elsewhere, whoever knew the old password is signed out.
            state
                .store
                .delete_user_sessions(signed.caller.user_id, Some(&signed.session.digest))
                .await?;
            Ok(Redirect::to("/dashboard/account/password?changed=1").into_response())
        }
        Err(OperationError::Invalid(problems)) => {
            let message = |field: &str| {
                problems
                    .iter()
                    .find(|p| p.field == field)
                    .map(|p| p.message.clone())
            };
            let page = PasswordPage {
                layout: Layout::new(&state, signed, "account").await?,
                must_change: signed.session.must_change_password,
                changed: false,
                current_error: message("current"),
                new_error: message("new"),
            };
            Ok(page::html(StatusCode::BAD_REQUEST, page.render()))
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /dashboard/org`: work in another of one's organizations.
pub async fn switch_org(
    State(state): State<AppState>,
    form: SignedForm,
) -> Result<Response, WebError> {
    let signed = &form.signed;
    let wanted: i64 = form
        .get("org")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| WebError::BadRequest("Choose an organization from the list.".into()))?;
    let memberships = state.store.memberships_of(signed.caller.user_id).await?;
    if !memberships.iter().any(|m| m.org_id == wanted) {
        return Err(WebError::NotFound(
            "You are not a member of that organization.".into(),
        ));
    }
    state
        .store
        .set_session_org(&signed.session.digest, wanted)
        .await?;
    Ok(Redirect::to("/dashboard/links").into_response())
}
