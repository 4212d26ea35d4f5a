//! `/api/v1/members` (an openpxl extension, docs/API.md §8): the organization's team —
//! list; add, change a role and remove for owners and admins (an owner is changed only by
//! themselves; an organization keeps an owner).

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;

use super::{Data, body::Payload};
use crate::{
    accounts,
    auth::Caller,
    error::ApiError,
    links::fields::FieldReader,
    operation_error::OperationError,
    state::AppState,
    store::{Member, Role},
    timestamp::iso,
};

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Member)]
pub struct MemberView {
    pub user_id: i64,
    pub email: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Only when adding a person who had no password: shown this once, to be changed at
    /// their first sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user_id,
            email: m.email,
            role: m.role.as_str().to_owned(),
            created_at: iso(m.created_at),
            one_time_password: None,
        }
    }
}

fn role(text: &str) -> Result<Role, OperationError> {
    text.to_ascii_lowercase()
        .parse()
        .map_err(|_| OperationError::invalid("role", "role must be owner, admin or member"))
}

async fn member(state: &AppState, caller: &Caller, user_id: i64) -> Result<MemberView, ApiError> {
    accounts::members(&state.store, caller)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .map(MemberView::from)
        .ok_or_else(|| ApiError::NotFound(format!("no member {user_id} in this organization")))
}

fn user_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("no member {text} in this organization")))
}

/// `GET /api/v1/members`
#[utoipa::path(
    get,
    path = "/api/v1/members",
    operation_id = "listMembers",
    tag = "Members (openpxl extension)",
    summary = "The organization's team, owners first",
    responses((status = 200, description = "The members.", body = Data<Vec<MemberView>>)),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Data<Vec<MemberView>>>, ApiError> {
    let members = accounts::members(&state.store, &caller).await?;
    Ok(Json(Data {
        data: members.into_iter().map(MemberView::from).collect(),
    }))
}

/// `POST /api/v1/members` with `email` and `role` (default member).
#[utoipa::path(
    post,
    path = "/api/v1/members",
    operation_id = "addMember",
    tag = "Members (openpxl extension)",
    summary = "Add a person to the organization (owners, admins)",
    request_body(content(
        (super::openapi::requests::NewMember = "application/json"),
    )),
    responses(
        (status = 201, description = "The new member; `oneTimePassword` when the person had no password yet (shown this once).", body = Data<MemberView>),
        (status = 400, description = "A bad e-mail or role.", body = crate::error::ErrorBody),
        (status = 403, description = "Only owners and admins add members, and only an owner makes someone an owner.", body = crate::error::ErrorBody),
        (status = 409, description = "Already a member.", body = crate::error::ErrorBody),
    ),
)]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    payload: Payload,
) -> Result<(StatusCode, Json<Data<MemberView>>), ApiError> {
    let mut body = FieldReader::new(payload.fields, payload.is_form);
    let email = body.text("email").given().unwrap_or_default();
    let role_text = body.text("role").given();
    body.finish()?;
    let role = role_text.as_deref().map_or(Ok(Role::Member), role)?;
    let one_time = accounts::add_member(&state.store, &caller, &email, role).await?;
    let added_email = accounts::email(&email)?;
    let mut view = accounts::members(&state.store, &caller)
        .await?
        .into_iter()
        .find(|m| m.email == added_email)
        .map(MemberView::from)
        .ok_or_else(|| ApiError::Internal("a member vanished after being added".into()))?;
    view.one_time_password = one_time;
    Ok((StatusCode::CREATED, Json(Data { data: view })))
}

/// `PATCH /api/v1/members/{userId}` with `role`.
#[utoipa::path(
    patch,
    path = "/api/v1/members/{userId}",
    operation_id = "changeMemberRole",
    tag = "Members (openpxl extension)",
    summary = "Change a member's role (owners, admins)",
    params(("userId" = i64, Path, description = "The member's user id.")),
    request_body(content(
        (super::openapi::requests::RoleChange = "application/json"),
    )),
    responses(
        (status = 200, description = "The member as they are now.", body = Data<MemberView>),
        (status = 400, description = "A missing or unknown role.", body = crate::error::ErrorBody),
        (status = 403, description = "Not allowed for your role (an owner is changed only by themselves).", body = crate::error::ErrorBody),
        (status = 404, description = "No such member in your organization.", body = crate::error::ErrorBody),
        (status = 409, description = "The organization's only owner cannot step down.", body = crate::error::ErrorBody),
    ),
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    payload: Payload,
) -> Result<Json<Data<MemberView>>, ApiError> {
    let user_id = user_id(&id)?;
    let mut body = FieldReader::new(payload.fields, payload.is_form);
    let role_text = body.text("role").given();
    body.finish()?;
    let Some(role_text) = role_text else {
        return Err(
            OperationError::invalid("role", "role is required: owner, admin or member").into(),
        );
    };
    accounts::change_role(&state.store, &caller, user_id, role(&role_text)?).await?;
    Ok(Json(Data {
        data: member(&state, &caller, user_id).await?,
    }))
}

/// `DELETE /api/v1/members/{userId}`
#[utoipa::path(
    delete,
    path = "/api/v1/members/{userId}",
    operation_id = "removeMember",
    tag = "Members (openpxl extension)",
    summary = "Remove a member (owners, admins; anyone themselves); their tokens go, their links stay",
    params(("userId" = i64, Path, description = "The member's user id.")),
    responses(
        (status = 200, description = "The removed member.", body = Data<MemberView>),
        (status = 403, description = "Not allowed for your role (an owner is removed only by themselves).", body = crate::error::ErrorBody),
        (status = 404, description = "No such member in your organization.", body = crate::error::ErrorBody),
        (status = 409, description = "The organization's only owner cannot leave.", body = crate::error::ErrorBody),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Data<MemberView>>, ApiError> {
    let user_id = user_id(&id)?;
    let view = member(&state, &caller, user_id).await?;
    accounts::remove_member(&state.store, &caller, user_id).await?;
    Ok(Json(Data { data: view }))
}
