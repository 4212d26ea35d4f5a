//! The one error type of the dashboard's pages: a small HTML page with the status and a
//! sentence (a form's own validation errors are shown next to its fields instead, and
//! never come here). 500s and 503s are logged once, here, and say nothing more.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::page;
use crate::operation_error::OperationError;

#[derive(Debug)]
pub enum WebError {
    /// 400: a form that cannot be read at all, or a stale form token.
    BadRequest(String),
    Forbidden(String),
    NotFound(String),
    /// 429: too many heavy requests at once.
    Busy(String),
    /// 503: the database cannot serve right now.
    Unavailable(String),
    /// 500: logged; the page says only that something went wrong.
    Internal(String),
}

impl From<sqlx::Error> for WebError {
    fn from(error: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&error) {
            Self::Unavailable(error.to_string())
        } else {
            Self::Internal(error.to_string())
        }
    }
}

impl From<OperationError> for WebError {
    fn from(error: OperationError) -> Self {
        match error {
            OperationError::Invalid(_) | OperationError::Conflict(_) => {
                Self::BadRequest(sentence(&error.to_string()))
            }
            OperationError::NotFound(message) => Self::NotFound(message),
            OperationError::Forbidden(message) => Self::Forbidden(message),
            OperationError::Busy(message) => Self::Busy(sentence(&message)),
            OperationError::TimedOut(message) => Self::Unavailable(message),
            OperationError::Database(error) => error.into(),
            OperationError::Internal(message) => Self::Internal(message),
        }
    }
}

/// An operation's sentence as a page shows it: capitalized, ending with a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage<'a> {
    stylesheet: String,
    icon: String,
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            Self::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            Self::Busy(m) => (StatusCode::TOO_MANY_REQUESTS, m.clone()),
            Self::Unavailable(cause) => {
                tracing::error!(error = %cause, "dashboard page failed: the database is unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database cannot serve right now. Nothing was changed; try again in a \
                     few seconds."
                        .to_owned(),
                )
            }
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "dashboard page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on the server; the cause has been logged.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            stylesheet: super::assets::stylesheet(),
            icon: super::assets::icon(),
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: &message,
        };
        page::html(status, page.render())
    }
}
