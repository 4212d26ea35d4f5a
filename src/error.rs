//! The one error type at the HTTP edge.
//!
//! Every failure a client can see becomes an [`ApiError`], rendered as the status code plus
//! `{"statusCode": 404, "message": "...", "error": "Not Found"}`. `message` is a sentence
//! that says what was wrong and how to fix it; validation errors carry one sentence per bad
//! field. Internal errors are opaque to the client and logged once, here, with their cause.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::operation_error::OperationError;

/// The status of each way a shared operation can fail: 400, 409, 404, 403; the database's
/// failures as [`From<sqlx::Error>`] decides (503 or 500).
impl From<OperationError> for ApiError {
    fn from(error: OperationError) -> Self {
        match error {
            OperationError::Invalid(problems) => {
                Self::BadRequest(problems.into_iter().map(|p| p.message).collect())
            }
            OperationError::Conflict(message) => Self::Conflict(message),
            OperationError::NotFound(message) => Self::NotFound(message),
            OperationError::Forbidden(message) => Self::Forbidden(message),
            OperationError::Busy(message) => Self::Busy {
                message,
                retry_after_secs: 1,
            },
            OperationError::TimedOut(message) => Self::Unavailable(message),
            OperationError::Database(error) => error.into(),
            OperationError::Internal(message) => Self::Internal(message.into()),
        }
    }
}

/// `WWW-Authenticate` for a request without credentials (RFC 6750 §3).
pub const WWW_AUTHENTICATE_MISSING: &str = r#"Bearer realm="openpxl""#;
/// `WWW-Authenticate` for a request with a token we do not accept (RFC 6750 §3.1).
pub const WWW_AUTHENTICATE_INVALID: &str = r#"Bearer realm="openpxl", error="invalid_token""#;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with one sentence per problem.
    #[error("bad request: {}", .0.join("; "))]
    BadRequest(Vec<String>),
    /// 401 without an `Authorization` header.
    #[error("missing bearer token")]
    MissingToken,
    /// 401 for an unknown, malformed, expired or revoked token (never says which).
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429; the quota middleware adds `Retry-After` and the rate-limit headers.
    #[error("{0}")]
    TooManyRequests(String),
    /// 429 for too many heavy requests at once (not the daily quota); `Retry-After` says
    /// when to come back.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_secs: u64,
    },
    /// 503 with `Retry-After`.
    #[error("{0}")]
    Unavailable(String),
    /// 503 for a database that cannot serve right now (unreachable, disk full, read-only):
    /// the cause is logged, the client is told to retry.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(#[source] sqlx::Error),
    /// 500: anything else; the cause is logged, the client learns nothing more.
    #[error(transparent)]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// Seconds a client is asked to wait after a 503.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(vec![message.into()])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::MissingToken | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests(_) | Self::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> Message {
        match self {
            Self::BadRequest(problems) if problems.len() == 1 => Message::One(problems[0].clone()),
            Self::BadRequest(problems) => Message::Many(problems.clone()),
            Self::MissingToken => Message::One(
                "authentication required: send your API token as `Authorization: Bearer <token>`"
                    .into(),
            ),
            Self::InvalidToken => Message::One("invalid or expired token".into()),
            Self::Internal(_) => Message::One(
                "internal server error; the cause has been logged on the server".into(),
            ),
            Self::DatabaseUnavailable(_) => Message::One(format!(
                "the database cannot take this request right now (the cause has been logged on \
                 the server); nothing was changed, try again in {UNAVAILABLE_RETRY_AFTER_SECS} \
                 seconds"
            )),
            other => Message::One(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&error) {
            Self::DatabaseUnavailable(error)
        } else {
            Self::Internal(Box::new(error))
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Message {
    One(String),
    Many(Vec<String>),
}

/// The JSON error body shared by every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Error)]
pub struct ErrorBody {
    /// The HTTP status again.
    status_code: u16,
    /// What was wrong and, where it helps, what to do: one sentence, or one per wrong
    /// field.
    message: Message,
    /// The status's reason phrase (`Not Found`).
    error: &'static str,
}

/// An error body for `status`, used where the status comes from elsewhere (the router,
/// a layer) and only the body has to be made to match.
pub fn error_response(status: StatusCode, message: String) -> Response {
    body_response(status, Message::One(message))
}

fn body_response(status: StatusCode, message: Message) -> Response {
    let body = ErrorBody {
        status_code: status.as_u16(),
        message,
        error: status.canonical_reason().unwrap_or("Error"),
    };
    (status, Json(body)).into_response()
}

impl ApiError {
    /// Logs the cause of a server-side failure (never shown to the client).
    fn log_cause(&self) {
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
            }
            Self::DatabaseUnavailable(cause) => {
                tracing::error!(error = %cause, "request failed: the database is unavailable");
            }
            _ => {}
        }
    }

    /// The error body alone, for an answer that holds several (a bulk request's items).
    pub fn into_body(self) -> ErrorBody {
        self.log_cause();
        let status = self.status();
        ErrorBody {
            status_code: status.as_u16(),
            message: self.message(),
            error: status.canonical_reason().unwrap_or("Error"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log_cause();
        let status = self.status();
        let mut response = body_response(status, self.message());
        let retry_after = match &self {
            Self::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Self::Unavailable(_) | Self::DatabaseUnavailable(_) => {
                Some(UNAVAILABLE_RETRY_AFTER_SECS)
            }
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        let challenge = match self {
            Self::MissingToken => Some(WWW_AUTHENTICATE_MISSING),
            Self::InvalidToken => Some(WWW_AUTHENTICATE_INVALID),
            _ => None,
        };
        if let Some(challenge) = challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

/// Shortens user input quoted back in an error message.
pub fn quote(input: &str) -> String {
    const MAX: usize = 80;
    if input.chars().count() <= MAX {
        format!("{input:?}")
    } else {
        let head: String = input.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}
