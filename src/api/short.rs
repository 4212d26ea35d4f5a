//! `/api/v1/short`: create, list, retrieve, update and delete short links (SPEC §4).

use axum::{
    Extension, Json,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode},
};

use super::{
    Data,
    body::Payload,
    fields::Field,
    short_input::{Purpose, ShortInput},
};
use crate::{
    auth::Caller,
    error::{ApiError, quote},
    links::{Host, Route, ShortLink, ShortLinkView, WebUrl, random_route},
    state::AppState,
    store::{LinkChanges, NewLink, RouteError},
    timestamp,
};

const TOTAL_COUNT_HEADER: HeaderName = HeaderName::from_static("x-total-count");
const DEFAULT_TAKE: i64 = 50;
const MAX_TAKE: i64 = 1000;
/// Random routes collide with probability n/36^7; a handful of tries is plenty.
const RANDOM_ROUTE_ATTEMPTS: usize = 8;

type LinkResponse = Json<Data<ShortLinkView>>;

fn respond(link: ShortLink) -> LinkResponse {
    Json(Data { data: link.into() })
}

/// `POST /api/v1/short`
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    payload: Payload,
) -> Result<(StatusCode, LinkResponse), ApiError> {
    let input = ShortInput::read(payload, Purpose::Create)?;
    let domain = usable_domain(&state, &caller, input.domain.given()).await?;
    let Some(destination) = input.destination.given() else {
        unreachable!("ShortInput::read requires a destination for creation")
    };
    refuse_redirect_loop(&state, &destination).await?;
    let route = input.route.given();
    if let Some(route) = &route {
        refuse_reserved(&state, &domain, route)?;
    }
    let mut link = NewLink {
        org_id: caller.org_id,
        domain,
        route: String::new(),
        destination: destination.into_string(),
        consent: input.consent.given().unwrap_or(false),
        title: input.title.given(),
        description: input.description.given(),
        image: input.image.given(),
        favicon: input.favicon.given(),
    };
    let created = match route {
        Some(route) => {
            link.route = route.into_string();
            insert_or_conflict(&state, &link).await?
        }
        None => insert_with_random_route(&state, link).await?,
    };
    // The route may have been cached as unknown by an earlier visit.
    state.link_changed(&created.domain, &created.route).await;
    tracing::info!(
        link.id = created.id,
        org.id = caller.org_id,
        "short link created"
    );
    Ok((StatusCode::CREATED, respond(created)))
}

async fn insert_or_conflict(state: &AppState, link: &NewLink) -> Result<ShortLink, ApiError> {
    state
        .store
        .insert_link(link, timestamp::now())
        .await
        .map_err(|error| route_error(error, &link.domain, &link.route))
}

async fn insert_with_random_route(
    state: &AppState,
    mut link: NewLink,
) -> Result<ShortLink, ApiError> {
    for _ in 0..RANDOM_ROUTE_ATTEMPTS {
        link.route = random_route().into_string();
        match state.store.insert_link(&link, timestamp::now()).await {
            Err(RouteError::Taken | RouteError::Retired) => continue,
            Err(RouteError::Database(error)) => return Err(error.into()),
            Ok(link) => return Ok(link),
        }
    }
    Err(anyhow::anyhow!("no free random route after {RANDOM_ROUTE_ATTEMPTS} attempts").into())
}

/// Why a route could not be taken, in the client's words.
fn route_error(error: RouteError, domain: &str, route: &str) -> ApiError {
    match error {
        RouteError::Taken => ApiError::Conflict(format!(
            "route {route} is already taken on {domain}; choose another route, or update the \
             existing link {domain}/{route}"
        )),
        RouteError::Retired => ApiError::Conflict(format!(
            "route {route} on {domain} was used by another organization before and stays \
             reserved, so that old short URLs never lead to someone else's page; choose \
             another route"
        )),
        RouteError::Database(error) => error.into(),
    }
}

/// The domain a new link goes on: the server's default, or one the organization added.
async fn usable_domain(
    state: &AppState,
    caller: &Caller,
    requested: Option<Host>,
) -> Result<String, ApiError> {
    let default = &state.settings.default_domain;
    let Some(host) = requested else {
        return Ok(default.clone());
    };
    if host.as_str() == default {
        return Ok(host.into_string());
    }
    match state.store.domain_owner(host.as_str()).await? {
        Some(owner) if owner == caller.org_id => Ok(host.into_string()),
        _ => Err(ApiError::bad_request(format!(
            "domain {host} is not set up for your organization; an operator adds it with \
             `openpxl domain add {host} --org <your organization>`, or leave domain out to use \
             {default}",
            host = host.as_str()
        ))),
    }
}

fn refuse_reserved(state: &AppState, domain: &str, route: &Route) -> Result<(), ApiError> {
    let on_default = domain == state.settings.default_domain;
    if route.is_server_path() || (on_default && route.is_reserved()) {
        return Err(ApiError::bad_request(format!(
            "route {} is reserved by the server on {domain}; choose another route",
            route.as_str()
        )));
    }
    Ok(())
}

/// A destination on one of this server's short domains would redirect in a loop.
async fn refuse_redirect_loop(state: &AppState, destination: &WebUrl) -> Result<(), ApiError> {
    let host = destination.host();
    let ours = host.as_str() == state.settings.default_domain
        || state.store.domain_owner(host.as_str()).await?.is_some();
    if ours {
        return Err(ApiError::bad_request(format!(
            "destination points at {}, a short domain of this server, which would redirect in a \
             loop; give the final URL instead",
            host.as_str()
        )));
    }
    Ok(())
}

/// `GET /api/v1/short?take=50&skip=0`
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<(HeaderMap, Json<Data<Vec<ShortLinkView>>>), ApiError> {
    let (take, skip) = paging(query.as_deref().unwrap_or_default())?;
    let (links, total) = tokio::try_join!(
        state.store.list_links(caller.org_id, take, skip),
        state.store.count_links(caller.org_id),
    )?;
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

/// `GET /api/v1/short/{id}`
pub async fn retrieve(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<LinkResponse, ApiError> {
    Ok(respond(find_own_link(&state, &caller, &id).await?))
}

/// `PUT` and `PATCH /api/v1/short/{id}`: both change only the fields present.
pub async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Payload,
) -> Result<LinkResponse, ApiError> {
    let input = ShortInput::read(payload, Purpose::Update)?;
    let link = find_own_link(&state, &caller, &id).await?;
    if let Field::Given(domain) = &input.domain
        && domain.as_str() != link.domain
    {
        return Err(ApiError::bad_request(format!(
            "a link's domain cannot be changed (this one is on {}); create a new link on {} \
             instead",
            link.domain,
            domain.as_str()
        )));
    }
    let route = input.route.given();
    if let Some(route) = &route {
        refuse_reserved(&state, &link.domain, route)?;
    }
    let destination = input.destination.given();
    if let Some(destination) = &destination {
        refuse_redirect_loop(&state, destination).await?;
    }
    let changes = LinkChanges {
        route: route.map(Route::into_string).filter(|r| *r != link.route),
        destination: destination.map(WebUrl::into_string),
        // `null` means "not set", and an unset consent is false.
        consent: input.consent.change().map(|c| c.unwrap_or(false)),
        title: input.title.change(),
        description: input.description.change(),
        image: input.image.change(),
        favicon: input.favicon.change(),
    };
    let updated = state
        .store
        .update_link(&link, &changes, timestamp::now())
        .await
        .map_err(|error| {
            let route = changes.route.as_deref().unwrap_or(&link.route);
            route_error(error, &link.domain, route)
        })?
        .ok_or_else(|| not_found(&id))?;
    state.link_changed(&link.domain, &link.route).await;
    if updated.route != link.route {
        state.link_changed(&updated.domain, &updated.route).await;
    }
    Ok(respond(updated))
}

/// `DELETE /api/v1/short/{id}`: answers with the deleted link; its clicks stay.
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<LinkResponse, ApiError> {
    let link = find_own_link(&state, &caller, &id).await?;
    let deleted = state
        .store
        .delete_link(link.id, timestamp::now())
        .await?
        .ok_or_else(|| not_found(&id))?;
    state.link_changed(&deleted.domain, &deleted.route).await;
    tracing::info!(
        link.id = deleted.id,
        org.id = caller.org_id,
        "short link deleted"
    );
    Ok(respond(deleted))
}

/// Finds the caller's link by `domain/route` (encoded or not) or by bare route. Another
/// organization's link is "not found", never "forbidden".
pub(super) async fn find_own_link(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<ShortLink, ApiError> {
    if let Some((domain, route)) = id.split_once('/') {
        let (Ok(host), Ok(_)) = (Host::parse(domain), Route::parse(route)) else {
            return Err(not_found(id));
        };
        return state
            .store
            .find_link(caller.org_id, host.as_str(), route)
            .await?
            .ok_or_else(|| not_found(id));
    }
    if Route::parse(id).is_err() {
        return Err(not_found(id));
    }
    let mut candidates = state.store.find_links_by_route(caller.org_id, id).await?;
    let default = &state.settings.default_domain;
    if let Some(at) = candidates.iter().position(|l| &l.domain == default) {
        return Ok(candidates.swap_remove(at));
    }
    match candidates.len() {
        0 => Err(not_found(id)),
        1 => Ok(candidates.remove(0)),
        _ => {
            let ids: Vec<String> = candidates.iter().map(ShortLink::short_id).collect();
            Err(ApiError::Conflict(format!(
                "route {id} names several of your links: {}; use the full id (domain/route)",
                ids.join(", ")
            )))
        }
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("short link {id} not found"))
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
