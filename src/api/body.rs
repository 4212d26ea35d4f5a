//! The request-body extractor of /api/v1: JSON or form-encoded, always into a JSON object,
//! so that both encodings are validated by the same field rules and every rejection has the
//! API's error shape (415 for other content types, 400 for malformed JSON, 413 if too big).

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{StatusCode, header::CONTENT_TYPE},
};
use serde_json::{Map, Value};

use crate::{error::ApiError, state::AppState};

/// A request body as a JSON object, whichever encoding the client used.
#[derive(Debug)]
pub struct Payload {
    pub fields: Map<String, Value>,
    /// Form bodies carry only strings; field readers use this to read `"true"` as a boolean
    /// and an empty value as "not set".
    pub is_form: bool,
}

enum Encoding {
    Json,
    Form,
}

impl FromRequest<AppState> for Payload {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let encoding = encoding_of(&request)?;
        let bytes = body_bytes(request, state, 1).await?;
        match encoding {
            Encoding::Json => json_object(&bytes).map(|fields| Self {
                fields,
                is_form: false,
            }),
            Encoding::Form => form_fields(&bytes).map(|fields| Self {
                fields,
                is_form: true,
            }),
        }
    }
}

/// A request body that is a JSON list (`POST /api/v1/short/bulk`). A form cannot carry a
/// list of objects, so only JSON is taken.
#[derive(Debug)]
pub struct JsonList(pub Vec<Value>);

impl FromRequest<AppState> for JsonList {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        if let Encoding::Form = encoding_of(&request)? {
            return Err(ApiError::UnsupportedMediaType(
                "this body is a list of links, which only JSON can carry; send it as \
                 application/json"
                    .into(),
            ));
        }
        let bytes = body_bytes(request, state, BULK_BODY_FACTOR).await?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Array(items)) => Ok(Self(items)),
            Ok(_) => Err(ApiError::bad_request(
                "request body must be a JSON list of links, such as \
                 [{\"destination\": \"https://example.com\"}]",
            )),
            Err(error) => Err(ApiError::bad_request(format!(
                "malformed JSON in request body: {error}"
            ))),
        }
    }
}

/// How many times `OPENPXL_MAX_BODY_BYTES` a list body may be.
pub const BULK_BODY_FACTOR: usize = 64;

/// The body's bytes, at most `factor` times the server's limit (the route's
/// `DefaultBodyLimit` says the same), with the API's errors.
async fn body_bytes(request: Request, state: &AppState, factor: usize) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "request body is larger than {} bytes; send less (the limit is {}\
                     OPENPXL_MAX_BODY_BYTES)",
                    state.settings.max_body_bytes * factor,
                    if factor == 1 {
                        String::new()
                    } else {
                        format!("{factor} times ")
                    }
                ))
            } else {
                ApiError::bad_request(format!("could not read the request body: {rejection}"))
            }
        })
}

fn encoding_of(request: &Request) -> Result<Encoding, ApiError> {
    let unsupported = |got: &str| {
        ApiError::UnsupportedMediaType(format!(
            "request body must be sent as application/json or application/x-www-form-urlencoded \
             (got {got}); set the Content-Type header"
        ))
    };
    let Some(value) = request.headers().get(CONTENT_TYPE) else {
        return Err(unsupported("no Content-Type"));
    };
    let text = value.to_str().unwrap_or_default();
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(Encoding::Json),
        "application/x-www-form-urlencoded" => Ok(Encoding::Form),
        e if e.starts_with("application/") && e.ends_with("+json") => Ok(Encoding::Json),
        _ => Err(unsupported(text)),
    }
}

fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "request body is empty; send a JSON object",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::bad_request(
            "request body must be a JSON object, such as {\"destination\": \"https://example.com\"}",
        )),
        Err(error) => Err(ApiError::bad_request(format!(
            "malformed JSON in request body: {error}"
        ))),
    }
}

fn form_fields(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
        .map_err(|error| ApiError::bad_request(format!("malformed form body: {error}")))?;
    Ok(pairs
        .into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_must_be_an_object() {
        assert!(json_object(br#"{"a": 1}"#).is_ok());
        assert!(json_object(b"[1]").is_err());
        assert!(json_object(b"{").is_err());
        assert!(json_object(b"  ").is_err());
    }

    #[test]
    fn forms_become_string_fields() {
        let fields = form_fields(b"destination=https%3A%2F%2Fa.b&consent=true").unwrap();
        assert_eq!(fields["destination"], "https://a.b");
        assert_eq!(fields["consent"], "true");
    }
}
