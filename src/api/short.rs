//! `/api/v1/short`: create, list, retrieve, update and delete short links (docs/API.md §4).
//! Thin: read the request, call [`crate::links::operations`], answer in the envelope.

use axum::{
    Json,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{Data, body::Payload};
use crate::{
    auth::Caller,
    error::{ApiError, quote},
    links::{
        ShortLink, ShortLinkView,
        input::{LinkInput, Purpose},
        operations, qr,
    },
    operation_error::OperationError,
    state::AppState,
};

const TOTAL_COUNT_HEADER: HeaderName = HeaderName::from_static("x-total-count");
const DEFAULT_TAKE: i64 = 50;
const MAX_TAKE: i64 = 1000;

type LinkResponse = Json<Data<ShortLinkView>>;

fn respond(link: ShortLink) -> LinkResponse {
    Json(Data { data: link.into() })
}

/// `POST /api/v1/short`
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    payload: Payload,
) -> Result<(StatusCode, LinkResponse), ApiError> {
    let input = LinkInput::read(payload.fields, payload.is_form, Purpose::Create)?;
    let created = operations::create(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, respond(created)))
}

/// `GET /api/v1/short?take=50&skip=0`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<(HeaderMap, Json<Data<Vec<ShortLinkView>>>), ApiError> {
    let (take, skip) = paging(query.as_deref().unwrap_or_default())?;
    let (links, total) = operations::list(&state, &caller, take, skip).await?;
    let mut headers = HeaderMap::new();
    headers.insert(TOTAL_COUNT_HEADER, HeaderValue::from(total));
    Ok((
        headers,
        Json(Data {
            data: links.into_iter().map(ShortLinkView::from).collect(),
        }),
    ))
}

/// `take` (1–1000, default 50) and `skip` (≥ 0, default 0) from a query string.
fn paging(query: &str) -> Result<(i64, i64), ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
    let value = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut problems = Vec::new();
    let take = match value("take").map(|v| (v, v.parse::<i64>())) {
        None => DEFAULT_TAKE,
        Some((_, Ok(n))) if (1..=MAX_TAKE).contains(&n) => n,
        Some((raw, _)) => {
            problems.push(format!(
                "take must be a whole number from 1 to {MAX_TAKE} (got {})",
                quote(raw)
            ));
            DEFAULT_TAKE
        }
    };
    let skip = match value("skip").map(|v| (v, v.parse::<i64>())) {
        None => 0,
        Some((_, Ok(n))) if n >= 0 => n,
        Some((raw, _)) => {
            problems.push(format!(
                "skip must be a whole number, 0 or more (got {})",
                quote(raw)
            ));
            0
        }
    };
    if problems.is_empty() {
        Ok((take, skip))
    } else {
        Err(ApiError::BadRequest(problems))
    }
}

/// `GET /api/v1/short/{id}`, and `GET /api/v1/short/{id}/qr` (an openpxl extension: the
/// link's QR code). A path ending in `/qr` is the code of the link before it if there is
/// one; otherwise it names a link whose route is `qr`.
pub async fn retrieve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    if let Some(link_id) = id.strip_suffix("/qr") {
        match operations::find_own(&state, &caller, link_id).await {
            Ok(link) => return qr_code(&state, &link, query.as_deref().unwrap_or_default()),
            Err(OperationError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(respond(operations::find_own(&state, &caller, &id).await?).into_response())
}

/// A link's QR code, drawn as the query asks.
fn qr_code(state: &AppState, link: &ShortLink, query: &str) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
    let options = qr::QrOptions::parse(&pairs)?;
    let (content_type, bytes) =
        qr::render(&link.url(state.settings.public_url.scheme()), &options)?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `PUT` and `PATCH /api/v1/short/{id}`: both change only the fields present.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    payload: Payload,
) -> Result<LinkResponse, ApiError> {
    let input = LinkInput::read(payload.fields, payload.is_form, Purpose::Update)?;
    Ok(respond(
        operations::update(&state, &caller, &id, input).await?,
    ))
}

/// `DELETE /api/v1/short/{id}`: answers with the deleted link; its clicks stay.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<LinkResponse, ApiError> {
    Ok(respond(operations::delete(&state, &caller, &id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_has_defaults_and_bounds() {
        assert_eq!(paging("").unwrap(), (50, 0));
        assert_eq!(paging("take=1000&skip=5").unwrap(), (1000, 5));
        for bad in [
            "take=0",
            "take=1001",
            "take=abc",
            "skip=-1",
            "skip=1.5",
            "take=",
        ] {
            assert!(paging(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn both_bad_paging_values_are_reported() {
        let Err(ApiError::BadRequest(problems)) = paging("take=x&skip=y") else {
            panic!()
        };
        assert_eq!(problems.len(), 2);
    }
}
