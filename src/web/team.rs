//! The team page: the organization's members and roles; adding a member (a one-time
//! password, shown once, for a person who has none), changing a role, removing a member or
//! leaving. The rules are the accounts' (`accounts::team`).

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
    accounts, operation_error::OperationError, state::AppState, store::Role, timestamp::iso,
};

pub struct MemberRow {
    pub user_id: i64,
    pub email: String,
    pub role: &'static str,
    pub since: String,
    pub is_you: bool,
    /// Whether the signed-in person may change this member's role.
    pub changeable: bool,
    pub removable: bool,
}

#[derive(Template)]
#[template(path = "dashboard/team.html")]
struct TeamPage {
    layout: Layout,
    members: Vec<MemberRow>,
    roles: Vec<&'static str>,
    one_time_password: Option<String>,
    added_email: String,
    notice: Option<String>,
    error: Option<String>,
    form_email: String,
    email_error: Option<String>,
}

#[derive(Deserialize)]
pub struct TeamQuery {
    done: Option<String>,
}

async fn page(state: &AppState, signed: &Signed) -> Result<TeamPage, WebError> {
    let caller = &signed.caller;
    let members = accounts::members(&state.store, caller).await?;
    let manages = caller.manages_everything();
    let rows = members
        .into_iter()
        .map(|m| {
            let is_you = m.user_id == caller.user_id;
            // Another owner is theirs alone to change.
            let touchable = m.role != Role::Owner || is_you;
            MemberRow {
                user_id: m.user_id,
                email: m.email,
                role: m.role.as_str(),
                since: iso(m.created_at)[..10].to_owned(),
                is_you,
                changeable: manages && touchable,
                removable: is_you || (manages && touchable),
            }
        })
        .collect();
    let roles = if caller.role == Role::Owner {
        vec!["owner", "admin", "member"]
    } else {
        vec!["admin", "member"]
    };
    Ok(TeamPage {
        layout: Layout::new(state, signed, "team").await?,
        members: rows,
        roles,
        one_time_password: None,
        added_email: String::new(),
        notice: None,
        error: None,
        form_email: String::new(),
        email_error: None,
    })
}

/// `GET /dashboard/team`
pub async fn index(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<TeamQuery>,
) -> Result<Response, WebError> {
    let mut view = page(&state, &signed).await?;
    view.notice = query.done;
    Ok(page::ok(view.render()))
}

fn role(text: &str) -> Result<Role, WebError> {
    text.parse()
        .map_err(|_| WebError::BadRequest("Choose owner, admin or member.".into()))
}

fn done(message: &str) -> Response {
    let message: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    Redirect::to(&format!("/dashboard/team?done={message}")).into_response()
}

/// A refusal shown on the page itself (conflicts, forbidden moves).
async fn refused(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    message: String,
) -> Result<Response, WebError> {
    let mut view = page(state, signed).await?;
    view.error = Some(message);
    Ok(page::html(status, view.render()))
}

/// `POST /dashboard/team`: adds a member.
pub async fn add(State(state): State<AppState>, form: SignedForm) -> Result<Response, WebError> {
    let signed = &form.signed;
    let email = form.text("email");
    let role = role(&form.text("role"))?;
    match accounts::add_member(&state.store, &signed.caller, &email, role).await {
        Ok(one_time) => {
            let mut view = page(&state, signed).await?;
            view.added_email = email.trim().to_lowercase();
            view.notice = Some(format!("Added {} as {}.", view.added_email, role.as_str()));
            view.one_time_password = one_time;
            Ok(page::ok(view.render()))
        }
        Err(error @ (OperationError::Invalid(_) | OperationError::Conflict(_))) => {
            let mut view = page(&state, signed).await?;
            view.form_email = email;
            view.email_error = Some(error.to_string());
            Ok(page::html(StatusCode::BAD_REQUEST, view.render()))
        }
        Err(OperationError::Forbidden(message)) => {
            refused(&state, signed, StatusCode::FORBIDDEN, message).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /dashboard/team/{user}/role`
pub async fn change_role(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    form: SignedForm,
) -> Result<Response, WebError> {
    let signed = &form.signed;
    let role = role(&form.text("role"))?;
    match accounts::change_role(&state.store, &signed.caller, user_id, role).await {
        Ok(()) => Ok(done("Role changed.")),
        Err(OperationError::Forbidden(message)) => {
            refused(&state, signed, StatusCode::FORBIDDEN, message).await
        }
        Err(OperationError::Conflict(message)) => {
            refused(&state, signed, StatusCode::CONFLICT, message).await
        }
        Err(error) => Err(error.into()),
    }
}

/// `POST /dashboard/team/{user}/remove`
pub async fn remove(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    form: SignedForm,
) -> Result<Response, WebError> {
    let signed = &form.signed;
    match accounts::remove_member(&state.store, &signed.caller, user_id).await {
        Ok(()) if user_id == signed.caller.user_id => {
            Ok(Redirect::to("/dashboard/links").into_response())
        }
        Ok(()) => Ok(done(
            "Member removed; their tokens in this organization are revoked.",
        )),
        Err(OperationError::Forbidden(message)) => {
            refused(&state, signed, StatusCode::FORBIDDEN, message).await
        }
        Err(OperationError::Conflict(message)) => {
            refused(&state, signed, StatusCode::CONFLICT, message).await
        }
        Err(error) => Err(error.into()),
    }
}
