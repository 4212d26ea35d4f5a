//! The hot path: `GET`/`HEAD https://<domain>/<route>`.
//!
//! The `Host` header picks the domain; the link comes from the in-process cache
//! ([`resolver`]); the answer is a 302 (or a page); the click is handed to the recorder's
//! channel and the visitor never waits for a database write.

pub mod crawler;
pub mod destination;
pub mod invalidation;
pub mod pages;
pub mod resolver;

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

use crate::{
    clicks::ClickEvent,
    links::{Host, Route},
    state::AppState,
    timestamp,
};
use crawler::Visitor;

/// `GET /{route}` (HEAD too).
pub async fn visit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(route): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if Route::parse(&route).is_err() {
        return pages::not_found();
    }
    let Some(domain) = domain_of(&state, &headers, &uri).await else {
        return pages::not_found();
    };
    // The only two waits (a cache miss, a full recorder) are bounded by the request
    // timeout here, only when they happen: the route needs no per-request timer.
    let deadline = state.settings.request_timeout;
    let target = match state.links.cached(&domain, &route) {
        Some(Some(target)) => target,
        Some(None) => return pages::not_found(),
        None => match tokio::time::timeout(deadline, state.links.resolve(&domain, &route)).await {
            Ok(Ok(Some(target))) => target,
            Ok(Ok(None)) => return pages::not_found(),
            Ok(Err(error)) => {
                tracing::error!(%error, "cannot resolve a link");
                return unavailable();
            }
            Err(_) => return unavailable(),
        },
    };
    let user_agent = text(&headers, header::USER_AGENT).unwrap_or_default();
    // A HEAD request is a link checker, not a person following the link.
    let visitor = if method == Method::HEAD {
        Visitor::Bot
    } else {
        Visitor::of(user_agent)
    };
    let location = match (uri.query(), &target.location) {
        (None, Some(ready)) => ready.clone(),
        (query, _) => {
            let merged = destination::location(&target.destination, query);
            match resolver::location_header(&merged) {
                Some(location) => location,
                None => return pages::not_found(),
            }
        }
    };
    let event = ClickEvent {
        at: timestamp::now(),
        link_id: target.link_id,
        org_id: target.org_id,
        bot: visitor.is_bot(),
        ip: client_ip(&state, &headers, peer),
        user_agent: user_agent.to_owned(),
        referer: text(&headers, header::REFERER).map(str::to_owned),
        accept_language: text(&headers, header::ACCEPT_LANGUAGE).map(str::to_owned),
        utm_source: None,
        utm_medium: None,
        utm_campaign: None,
    };
    // Waits only while the recorder is full (back-pressure); past the request timeout the
    // visit is refused rather than redirected without its click.
    if let Some(event) = state.clicks.try_record(with_utm(event, uri.query()))
        && tokio::time::timeout(deadline, state.clicks.record(event))
            .await
            .is_err()
    {
        return unavailable();
    }
    match visitor {
        Visitor::PreviewCrawler => pages::preview(&target),
        Visitor::Human if target.consent || target.favicon.is_some() => pages::interstitial(
            &target,
            location.to_str().unwrap_or(target.destination.as_str()),
        ),
        Visitor::Human | Visitor::Bot => found(location),
    }
}

/// 302 to `location`, never cached, so every visit reaches the server and is counted.
fn found(location: HeaderValue) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=0"),
    );
    response
}

/// 503 when the link cannot be resolved or its click cannot be taken in time.
fn unavailable() -> Response {
    let message = "the link service is busy or its database is unavailable; try again shortly";
    (StatusCode::SERVICE_UNAVAILABLE, message).into_response()
}

/// The short domain a request is for: its `Host` (normalized: case, trailing dot,
/// percent-encoding, IDN), if that is the default domain or a custom domain; otherwise
/// the default domain when `OPENPXL_SERVE_ANY_HOST` says so.
async fn domain_of(state: &AppState, headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let raw = match headers.get(header::HOST) {
        Some(value) => std::str::from_utf8(value.as_bytes()).ok()?,
        None => uri.authority()?.as_str(),
    };
    let host = Host::of_request(raw.trim())?;
    let default = &state.settings.default_domain;
    if host == default.as_str() {
        return Some(default.clone());
    }
    match state.links.is_custom_domain(&host).await {
        Ok(true) => Some(host.into_owned()),
        Ok(false) if state.settings.serve_any_host => Some(default.clone()),
        Ok(false) => None,
        Err(error) => {
            tracing::error!(%error, "cannot look up a domain");
            None
        }
    }
}

/// The visitor's address: the socket's peer, or, when the server is told to trust its
/// proxy, the last `X-Forwarded-For` address — the one that proxy added — across every
/// `X-Forwarded-For` line (a proxy may append a line of its own rather than extend the
/// client's); earlier entries come from the client and could be forged. Used for GeoIP
/// and the visitor key only.
fn client_ip(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if state.settings.trust_proxy
        && let Some(last_line) = headers.get_all("x-forwarded-for").iter().next_back()
        && let Ok(forwarded) = last_line.to_str()
        && let Some(nearest) = forwarded.rsplit(',').next()
        && let Ok(ip) = nearest.trim().parse::<IpAddr>()
    {
        return ip;
    }
    peer.ip()
}

fn with_utm(mut event: ClickEvent, query: Option<&str>) -> ClickEvent {
    let Some(query) = query else { return event };
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "utm_source" => &mut event.utm_source,
            "utm_medium" => &mut event.utm_medium,
            "utm_campaign" => &mut event.utm_campaign,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.into_owned());
        }
    }
    event
}

fn text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
