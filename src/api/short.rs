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
        search::LinkFilter,
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
#[utoipa::path(
    post,
    path = "/api/v1/short",
    operation_id = "createShortLink",
    tag = "Short links",
    summary = "Create a short link",
    request_body(
        description = "The new link; only `destination` is required.",
        content(
            (super::openapi::requests::NewShort = "application/json"),
        ),
    ),
    responses(
        (status = 201, description = "The link was created.", body = Data<ShortLinkView>),
        (status = 400, description = "A field is missing, of the wrong type or invalid (one sentence per field); a reserved route; a domain that is not the organization's.", body = crate::error::ErrorBody),
        (status = 409, description = "The route is taken on that domain, or stays reserved for the organization that used it first.", body = crate::error::ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    payload: Payload,
) -> Result<(StatusCode, LinkResponse), ApiError> {
    let input = LinkInput::read(payload.fields, payload.is_form, Purpose::Create)?;
    let created = operations::create(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, respond(created)))
}

/// `GET /api/v1/short?take=50&skip=0[&q=words][&tag=name...]`
#[utoipa::path(
    get,
    path = "/api/v1/short",
    operation_id = "listShortLinks",
    tag = "Short links",
    summary = "List the organization's short links, newest first; search them by words and tags",
    params(
        ("take" = Option<i64>, Query, description = "How many links (default 50).", minimum = 1, maximum = 1000),
        ("skip" = Option<i64>, Query, description = "How many to skip (default 0).", minimum = 0),
        ("q" = Option<String>, Query, description = "(openpxl extension) Words, each of which must appear in the link's route, destination, title or description (case-insensitive, anywhere in a word). At most 200 characters and 10 words.", max_length = 200),
        ("tag" = Option<Vec<String>>, Query, style = Form, explode = true, description = "(openpxl extension) A tag the links must carry (case-insensitive); repeat it for links with all of them (at most 20)."),
    ),
    responses(
        (status = 200, description = "A page of links.", body = Data<Vec<ShortLinkView>>,
            headers(("x-total-count" = i64, description = "How many links the organization has in all, or match `q` and `tag`."))),
        (status = 400, description = "`take` or `skip` out of range, `q` too long, a `tag` that cannot be a tag (one sentence each).", body = crate::error::ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(query): RawQuery,
) -> Result<(HeaderMap, Json<Data<Vec<ShortLinkView>>>), ApiError> {
    let (take, skip, filter) = list_query(query.as_deref().unwrap_or_default())?;
    let (links, total) = operations::list(&state, &caller, &filter, take, skip).await?;
    let mut headers = HeaderMap::new();
    headers.insert(TOTAL_COUNT_HEADER, HeaderValue::from(total));
    Ok((
        headers,
        Json(Data {
            data: links.into_iter().map(ShortLinkView::from).collect(),
        }),
    ))
}

/// `take` (1–1000, default 50), `skip` (≥ 0, default 0), `q` and `tag` from a query
/// string.
fn list_query(query: &str) -> Result<(i64, i64, LinkFilter), ApiError> {
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
    let tags: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "tag")
        .map(|(_, v)| v.clone())
        .collect();
    let filter = LinkFilter::read(value("q"), &tags).unwrap_or_else(|more| {
        problems.extend(more);
        LinkFilter::default()
    });
    if problems.is_empty() {
        Ok((take, skip, filter))
    } else {
        Err(ApiError::BadRequest(problems))
    }
}

/// `GET /api/v1/short/{id}`, and `GET /api/v1/short/{id}/qr` (an openpxl extension: the
/// link's QR code). A path ending in `/qr` is the code of the link before it if there is
/// one; otherwise it names a link whose route is `qr`.
#[utoipa::path(
    get,
    path = "/api/v1/short/{id}",
    operation_id = "getShortLink",
    tag = "Short links",
    summary = "Retrieve a short link",
    params(super::openapi::requests::ShortId),
    responses(
        (status = 200, description = "The link.", body = Data<ShortLinkView>),
        (status = 404, description = "No such link in your organization.", body = crate::error::ErrorBody),
        (status = 409, description = "A bare route names several of your links (the message lists their ids).", body = crate::error::ErrorBody),
    ),
)]
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

/// A link's QR code, drawn as the query asks (reached through [`retrieve`]).
#[utoipa::path(
    get,
    path = "/api/v1/short/{id}/qr",
    operation_id = "getShortLinkQrCode",
    tag = "QR codes (openpxl extension)",
    summary = "The QR code of a short link",
    description = "An openpxl extension. The code opens the link's short URL, with the scheme of `OPENPXL_PUBLIC_URL`. A path ending in `/qr` is the code of the link before it if there is one; otherwise it names a link whose route is `qr`.",
    params(super::openapi::requests::ShortId, super::openapi::requests::QrQuery),
    responses(
        (status = 200, description = "The code.", content(
            (String = "image/svg+xml"),
            (Vec<u8> = "image/png"),
        )),
        (status = 400, description = "A bad option (one sentence per option, naming it).", body = crate::error::ErrorBody),
        (status = 404, description = "No such link in your organization.", body = crate::error::ErrorBody),
        (status = 409, description = "A bare route names several of your links.", body = crate::error::ErrorBody),
    ),
)]
fn qr_code(state: &AppState, link: &ShortLink, query: &str) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
    let options = qr::QrOptions::parse(&pairs)?;
    let (content_type, bytes) =
        qr::render(&link.url(state.settings.public_url.scheme()), &options)?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `PUT` and `PATCH /api/v1/short/{id}`: both change only the fields present.
#[utoipa::path(
    method(put, patch),
    path = "/api/v1/short/{id}",
    operation_id = "updateShortLink",
    tag = "Short links",
    summary = "Change a short link (both methods change only the fields sent)",
    params(super::openapi::requests::ShortId),
    request_body(
        description = "The fields to change; `null` clears an optional one. `domain` may be sent back unchanged but not changed.",
        content(
            (super::openapi::requests::ShortChanges = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "The link as it is now.", body = Data<ShortLinkView>),
        (status = 400, description = "A field is invalid (one sentence per field), or the domain would change.", body = crate::error::ErrorBody),
        (status = 403, description = "A member changes only the links they created.", body = crate::error::ErrorBody),
        (status = 404, description = "No such link in your organization.", body = crate::error::ErrorBody),
        (status = 409, description = "The new route is taken; or a bare route names several of your links.", body = crate::error::ErrorBody),
    ),
)]
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
#[utoipa::path(
    delete,
    path = "/api/v1/short/{id}",
    operation_id = "deleteShortLink",
    tag = "Short links",
    summary = "Delete a short link (its clicks stay in the history)",
    params(super::openapi::requests::ShortId),
    responses(
        (status = 200, description = "The deleted link, as it was.", body = Data<ShortLinkView>),
        (status = 403, description = "A member deletes only the links they created.", body = crate::error::ErrorBody),
        (status = 404, description = "No such link in your organization.", body = crate::error::ErrorBody),
        (status = 409, description = "A bare route names several of your links.", body = crate::error::ErrorBody),
    ),
)]
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

    fn paging(query: &str) -> Result<(i64, i64), ApiError> {
        list_query(query).map(|(take, skip, _)| (take, skip))
    }

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
    fn every_bad_list_parameter_is_reported() {
        let Err(ApiError::BadRequest(problems)) = list_query("take=x&skip=y&tag=a,b") else {
            panic!()
        };
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn tags_repeat_and_words_split() {
        let (_, _, filter) = list_query("q=Big+Sale&tag=Spring&tag=2027").unwrap();
        assert_eq!(filter.words, vec!["big", "sale"]);
        assert_eq!(filter.tags, vec!["2027", "spring"]);
    }
}
