//! The hot path: `GET`/`HEAD https://<domain>/<route>`.
//!
//! The `Host` header picks the domain; the link comes from the in-process cache
//! ([`crate::link_cache`]); the answer is a 302 (or a page); the click is handed to the
//! recorder's channel and the visitor never waits for a database write. [`serve`] is its
//! steps in order: [`resolve_target`], [`hand_over`] of its [`click_event`], [`answer`]; a visit
//! of a plain link without a query (most visits) is the short way of the same,
//! [`follow_plain`], from the cache's copy of the link's hot fields. Visits
//! come through [`shortcut`], before the router, except those the router must see first
//! (routes it has of its own, percent-encoded routes), which come through [`visit`].
//!
//! A visit's future is allocated and moved for every request: the branches that wait on
//! the database or the recorder (a cache miss, a host not cached yet, a visit limit, a
//! full recorder, the expired and password answers) are boxed where they are taken, so
//! that the common visit's future stays small (1,080 bytes instead of 1,808 in a debug
//! build).

pub mod crawler;
pub mod destination;
pub mod limit;
pub mod pages;
pub mod shortcut;
mod targeting;
pub mod unlock;

use std::{
    borrow::Cow,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Instant,
};

use axum::{
    extract::{ConnectInfo, Path, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header, request::Parts},
    response::{IntoResponse, Response},
};

use crate::{
    clicks::{ClickEvent, Outcome},
    link_cache::{PlainLink, RedirectTarget},
    links::{Host, Route},
    metrics::RedirectOutcome,
    state::AppState,
    timestamp,
};
use crawler::Visitor;

/// `GET /{route}` (HEAD too) through the router: the visits [`shortcut`] leaves to it.
pub async fn visit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(route): Path<String>,
    request: axum::extract::Request,
) -> Response {
    // The request's parts are borrowed, not extracted one by one: axum's `HeaderMap` and
    // `Uri` extractors clone them, an allocation and a copy of every header per visit.
    let (parts, _body) = request.into_parts();
    serve(&state, peer, &route, &parts).await
}

/// A visit of `route` (decoded from the path): resolve the target, record the click,
/// answer; counted in the metrics.
pub async fn serve(state: &AppState, peer: SocketAddr, route: &str, request: &Parts) -> Response {
    let started = Instant::now();
    let (outcome, response) = serve_visit(
        state,
        peer,
        route,
        &request.method,
        &request.uri,
        &request.headers,
    )
    .await;
    state.metrics.redirect(outcome, started.elapsed());
    response
}

/// The visit's steps; the answer with its outcome, for the metrics.
async fn serve_visit(
    state: &AppState,
    peer: SocketAddr,
    route: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> (RedirectOutcome, Response) {
    let domain = match visit_domain(state, route, headers, uri).await {
        Ok(domain) => domain,
        Err(answer) => return answer,
    };
    let user_agent = text(headers, header::USER_AGENT).unwrap_or_default();
    // A HEAD request is a link checker, not a person following the link.
    let visitor = if method == Method::HEAD {
        Visitor::Bot
    } else {
        Visitor::of(user_agent)
    };
    let request = Request {
        peer,
        headers,
        query: uri.query(),
    };
    // Without a query, and for anyone but a crawler that wants the card, a plain link's
    // visit is its redirect: answered from its hot fields alone.
    if request.query.is_none()
        && visitor != Visitor::PreviewCrawler
        && let Some(plain) = state.links.cached_plain(&domain, route)
    {
        return follow_plain(state, &plain, visitor, &request).await;
    }
    let target = match load_target(state, &domain, route).await {
        Ok(target) => target,
        Err(answer) => return answer,
    };
    if let Some(ended) = ended(state, &target, visitor, &request).await {
        return ended;
    }
    // The owner may let link-preview crawlers see a protected link's card.
    let previewing = visitor == Visitor::PreviewCrawler && target.password_preview;
    if target.protected && !previewing {
        return Box::pin(turn_away(
            state,
            &target,
            visitor,
            &request,
            Outcome::Password,
        ))
        .await;
    }
    let Some((outcome, location)) = location_of(state, &target, &request) else {
        return not_found();
    };
    if let Err(answer) = let_through(state, &target, visitor, &request, outcome).await {
        return answer;
    }
    answer(&target, visitor, location)
}

/// A visit of a plain link ([`PlainLink`]): its click handed over, and the redirect —
/// what [`let_through`] and [`answer`] give such a link's visit, without its `Arc`.
async fn follow_plain(
    state: &AppState,
    plain: &PlainLink,
    visitor: Visitor,
    request: &Request<'_>,
) -> (RedirectOutcome, Response) {
    let Some(location) = plain.location() else {
        return not_found(); // cannot happen: the bytes were a valid header value
    };
    let click = hand_over(state, plain.into(), visitor, request, Outcome::Destination);
    if let Err(answer) = click.await {
        return answer;
    }
    (RedirectOutcome::Redirect, found(location))
}

/// What of the request a visit's answer and click need.
struct Request<'a> {
    peer: SocketAddr,
    headers: &'a HeaderMap,
    query: Option<&'a str>,
}

/// The answer for a link that no longer leads to its destination: switched off (404, not
/// a click of the link at all) or expired (its expired destination, or 410; recorded as
/// a click with the outcome `expired`).
async fn ended(
    state: &AppState,
    target: &RedirectTarget,
    visitor: Visitor,
    request: &Request<'_>,
) -> Option<(RedirectOutcome, Response)> {
    if target.disabled {
        return Some(not_found());
    }
    if target
        .expires_at
        .is_some_and(|at| state.settings.clock.now() >= at)
    {
        return Some(Box::pin(turn_away(state, target, visitor, request, Outcome::Expired)).await);
    }
    None
}

/// The answer of a visit the link does not send on (expired, or the password form), its
/// click recorded with that outcome; 503 if the click cannot be taken in time.
async fn turn_away(
    state: &AppState,
    target: &RedirectTarget,
    visitor: Visitor,
    request: &Request<'_>,
    outcome: Outcome,
) -> (RedirectOutcome, Response) {
    if let Err(answer) = hand_over(state, target.into(), visitor, request, outcome).await {
        return answer;
    }
    match outcome {
        Outcome::Password => unlock::ask(),
        _ => expired(target, request.query),
    }
}

/// What a visit that goes on needs: a visit of the link's limit, if it has one, and its
/// click handed to the recorder (the visit given back if that fails). `Err`: the answer
/// instead.
async fn let_through(
    state: &AppState,
    target: &RedirectTarget,
    visitor: Visitor,
    request: &Request<'_>,
    outcome: Outcome,
) -> Result<(), (RedirectOutcome, Response)> {
    let admission = match target.max_clicks {
        None => None,
        Some(_) => match Box::pin(limit::admit(state, target, visitor)).await {
            Ok(limit::Admission::Reached) => {
                let expired = turn_away(state, target, visitor, request, Outcome::Expired);
                return Err(Box::pin(expired).await);
            }
            Ok(admission) => Some(admission),
            Err(()) => return Err(unavailable()),
        },
    };
    if let Err(answer) = hand_over(state, target.into(), visitor, request, outcome).await {
        if admission == Some(limit::Admission::Taken) {
            Box::pin(limit::give_back(state, target)).await;
        }
        return Err(answer);
    }
    Ok(())
}

fn not_found() -> (RedirectOutcome, Response) {
    (RedirectOutcome::NotFound, pages::not_found())
}

/// The link a visit of `route` is for, or the answer to give.
async fn resolve_target(
    state: &AppState,
    route: &str,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Arc<RedirectTarget>, (RedirectOutcome, Response)> {
    let domain = visit_domain(state, route, headers, uri).await?;
    load_target(state, &domain, route).await
}

/// The short domain a visit of `route` is for, or the 404 answer (a route that cannot be
/// a link's, a host that is no short domain).
async fn visit_domain<'a>(
    state: &'a AppState,
    route: &str,
    headers: &'a HeaderMap,
    uri: &'a Uri,
) -> Result<Cow<'a, str>, (RedirectOutcome, Response)> {
    if !Route::is_well_formed(route) {
        return Err(not_found());
    }
    domain_of(state, headers, uri).await.ok_or_else(not_found)
}

/// The link at `domain`/`route`, from the cache (or the database on a miss, bounded by
/// the request timeout: the route needs no per-request timer); otherwise the answer to
/// give.
async fn load_target(
    state: &AppState,
    domain: &str,
    route: &str,
) -> Result<Arc<RedirectTarget>, (RedirectOutcome, Response)> {
    match state.links.cached(domain, route) {
        Some(Some(target)) => return Ok(target),
        Some(None) => return Err(not_found()),
        None => {}
    }
    let deadline = state.settings.request_timeout;
    let load = tokio::time::timeout(deadline, state.links.resolve(domain, route));
    match Box::pin(load).await {
        Ok(Ok(Some(target))) => Ok(target),
        Ok(Ok(None)) => Err(not_found()),
        Ok(Err(error)) => {
            tracing::error!(%error, "cannot resolve a link");
            Err(unavailable())
        }
        Err(_) => Err(unavailable()),
    }
}

/// Where the visit goes, and which of the link's destinations that is: the one a rule or
/// variant picks (links with targeting), else the link's: the ready-made header without a
/// query, else the merged URL.
fn location_of(
    state: &AppState,
    target: &RedirectTarget,
    request: &Request<'_>,
) -> Option<(Outcome, HeaderValue)> {
    let query = request.query;
    if let Some(targeted) = &target.targeting
        && let Some((choice, chosen)) =
            targeting::location(state, targeted, request.headers, request.peer, query)
    {
        return Some((Outcome::from(choice), chosen?));
    }
    let location =
        destination::location_header_for(&target.destination, target.location.as_ref(), query)?;
    Some((Outcome::Destination, location))
}

/// Which link a click is of, and whose.
#[derive(Clone, Copy)]
struct LinkIds {
    link_id: i64,
    org_id: i64,
}

impl From<&RedirectTarget> for LinkIds {
    fn from(target: &RedirectTarget) -> Self {
        Self {
            link_id: target.link_id,
            org_id: target.org_id,
        }
    }
}

impl From<&PlainLink> for LinkIds {
    fn from(plain: &PlainLink) -> Self {
        Self {
            link_id: plain.link_id,
            org_id: plain.org_id,
        }
    }
}

/// The click of this visit, as the recorder takes it.
fn click_event(
    state: &AppState,
    link: LinkIds,
    visitor: Visitor,
    request: &Request<'_>,
    outcome: Outcome,
) -> ClickEvent {
    let headers = request.headers;
    let event = ClickEvent {
        at: timestamp::now(),
        link_id: link.link_id,
        org_id: link.org_id,
        bot: visitor.is_bot(),
        outcome,
        ip: client_ip(state, headers, request.peer),
        user_agent: text(headers, header::USER_AGENT)
            .unwrap_or_default()
            .to_owned(),
        referer: text(headers, header::REFERER).map(str::to_owned),
        accept_language: text(headers, header::ACCEPT_LANGUAGE).map(str::to_owned),
        utm_source: None,
        utm_medium: None,
        utm_campaign: None,
    };
    with_utm(event, request.query)
}

/// Hands this visit's click to the recorder. Waits only while its backlog is full
/// (back-pressure); past the request timeout the visit is refused rather than redirected
/// without its click.
async fn hand_over(
    state: &AppState,
    link: LinkIds,
    visitor: Visitor,
    request: &Request<'_>,
    outcome: Outcome,
) -> Result<(), (RedirectOutcome, Response)> {
    let event = click_event(state, link, visitor, request, outcome);
    let Some(event) = state.clicks.try_record(event) else {
        return Ok(());
    };
    Box::pin(tokio::time::timeout(
        state.settings.request_timeout,
        state.clicks.record(event),
    ))
    .await
    .map_err(|_| unavailable())
}

/// The answer: the preview page for crawlers, the favicon/consent page when the link has
/// one, otherwise the redirect.
fn answer(
    target: &RedirectTarget,
    visitor: Visitor,
    location: HeaderValue,
) -> (RedirectOutcome, Response) {
    match visitor {
        Visitor::PreviewCrawler => (RedirectOutcome::Preview, pages::preview(target)),
        Visitor::Human if target.consent || target.has_favicon => (
            RedirectOutcome::Interstitial,
            pages::interstitial(
                target,
                location.to_str().unwrap_or(target.destination.as_str()),
            ),
        ),
        Visitor::Human | Visitor::Bot => (RedirectOutcome::Redirect, found(location)),
    }
}

/// An expired link: 302 to its expired destination (with the visit's query, as any
/// destination), or the 410 page. Not counted in the link's `clicks`: it no longer leads
/// where it did.
fn expired(target: &RedirectTarget, query: Option<&str>) -> (RedirectOutcome, Response) {
    let response = target
        .expired_destination
        .as_ref()
        .and_then(|url| destination::location_header_for(url, None, query))
        .map_or_else(pages::gone, found);
    (RedirectOutcome::Expired, response)
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
fn unavailable() -> (RedirectOutcome, Response) {
    let message = "the link service is busy or its database is unavailable; try again shortly";
    (
        RedirectOutcome::Unavailable,
        (StatusCode::SERVICE_UNAVAILABLE, message).into_response(),
    )
}

/// The short domain a request is for: its `Host` (normalized: case, trailing dot,
/// percent-encoding, IDN), if that is the default domain or a custom domain; otherwise
/// the default domain when `OPENPXL_SERVE_ANY_HOST` says so. Borrowed, not copied, when
/// it can be (the default domain, a `Host` already normal).
async fn domain_of<'a>(
    state: &'a AppState,
    headers: &'a HeaderMap,
    uri: &'a Uri,
) -> Option<Cow<'a, str>> {
    let raw = match headers.get(header::HOST) {
        Some(value) => std::str::from_utf8(value.as_bytes()).ok()?,
        None => uri.authority()?.as_str(),
    };
    let host = Host::of_request(raw.trim())?;
    let default = &state.settings.default_domain;
    if host == default.as_str() {
        return Some(Cow::Borrowed(default));
    }
    match state.links.is_custom_domain(&host).await {
        Ok(true) => Some(host),
        Ok(false) if state.settings.serve_any_host => Some(Cow::Borrowed(default)),
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
pub fn client_ip(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
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
