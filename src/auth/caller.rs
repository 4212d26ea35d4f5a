//! `Caller`: who a request acts as — one user, with their role, in one organization — and
//! how it proved it. The authentication middleware of each front door (the bearer token of
//! `/api/v1` today, the dashboard's session next) puts it in the request; handlers take it
//! as an extractor, `caller: Caller`, so a handler cannot run without it: a route that
//! forgot its middleware answers 401 instead of acting for nobody.

use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{error::ApiError, store::Role};

/// How the request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// An API token (its id).
    Token(i64),
    /// A dashboard session.
    Session,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub org_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub via: Credential,
}

impl Caller {
    /// Owners and admins manage everything in their organization; members their own links.
    pub fn manages_everything(&self) -> bool {
        matches!(self.role, Role::Owner | Role::Admin)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .copied()
            .ok_or(ApiError::MissingToken)
    }
}
