//! What can be done to short links, whoever asks: create, list, find, update, delete. The
//! API's handlers and the dashboard's pages both call these (after reading a
//! [`LinkInput`]), so the rules live once: domain ownership, reserved routes, redirect
//! loops, random routes, taken and retired routes, the three spellings of a link id, the
//! tenancy rule (another organization's link is "not found") and the role rule (a member
//! changes and deletes only the links they created). Every change tells the link cache.

use super::{
    Host, Route, ShortLink, WebUrl,
    fields::Field,
    input::LinkInput,
    random_route,
    search::LinkFilter,
    targeting::{Rule, Variant},
};
use crate::{
    auth::Caller,
    operation_error::OperationError,
    state::AppState,
    store::{LinkChanges, NewLink, RouteError},
    timestamp,
};

/// Random routes collide with probability n/36^7; a handful of tries is plenty.
const RANDOM_ROUTE_ATTEMPTS: usize = 8;

/// Creates a link from a creation input (its destination is required by
/// [`LinkInput::read`] with `Purpose::Create`).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: LinkInput,
) -> Result<ShortLink, OperationError> {
    let domain = usable_domain(state, caller, input.domain.given()).await?;
    let Some(destination) = input.destination.given() else {
        return Err(OperationError::invalid(
            "destination",
            "destination is required: give the absolute http(s) URL the link redirects to",
        ));
    };
    refuse_redirect_loop(state, "destination", &destination).await?;
    let expired_destination = input.expired_destination.given();
    if let Some(url) = &expired_destination {
        refuse_redirect_loop(state, "expiredDestination", url).await?;
    }
    let route = input.route.given();
    if let Some(route) = &route {
        refuse_reserved(state, &domain, route)?;
    }
    let rules = input.rules.given().unwrap_or_default();
    let variants = input.variants.given().unwrap_or_default();
    refuse_targeting_loops(state, &rules, &variants).await?;
    let mut link = NewLink {
        org_id: caller.org_id,
        created_by: caller.user_id,
        domain,
        route: String::new(),
        destination: destination.into_string(),
        consent: input.consent.given().unwrap_or(false),
        title: input.title.given(),
        description: input.description.given(),
        image: input.image.given(),
        favicon: input.favicon.given(),
        expires_at: input.expires_at.given(),
        expired_destination: expired_destination.map(WebUrl::into_string),
        disabled: input.disabled.given().unwrap_or(false),
        max_clicks: input.max_clicks.given(),
        password_hash: match input.password.given() {
            Some(password) => Some(hash_password(password).await?),
            None => None,
        },
        password_preview: input.password_preview.given().unwrap_or(false),
        rules: as_json(&rules),
        variants: as_json(&variants),
        tags: input.tags.given().unwrap_or_default(),
    };
    let created = match route {
        Some(route) => {
            link.route = route.into_string();
            state
                .store
                .insert_link(&link, timestamp::now())
                .await
                .map_err(|error| route_error(error, &link.domain, &link.route))?
        }
        None => insert_with_random_route(state, link).await?,
    };
    // The route may have been cached as unknown by an earlier visit.
    state.link_changed(&created.domain, &created.route).await;
    tracing::info!(
        link.id = created.id,
        org.id = caller.org_id,
        "short link created"
    );
    Ok(created)
}

async fn insert_with_random_route(
    state: &AppState,
    mut link: NewLink,
) -> Result<ShortLink, OperationError> {
    for _ in 0..RANDOM_ROUTE_ATTEMPTS {
        link.route = random_route().into_string();
        match state.store.insert_link(&link, timestamp::now()).await {
            Err(RouteError::Taken | RouteError::Retired) => continue,
            Err(RouteError::Database(error)) => return Err(error.into()),
            Ok(link) => return Ok(link),
        }
    }
    Err(OperationError::Internal(format!(
        "no free random route after {RANDOM_ROUTE_ATTEMPTS} attempts"
    )))
}

/// A page of the organization's live links that `filter` selects (words in their route,
/// destination, title or description; tags), newest first, and how many it selects in
/// all.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    filter: &LinkFilter,
    take: i64,
    skip: i64,
) -> Result<(Vec<ShortLink>, i64), OperationError> {
    Ok(tokio::try_join!(
        state.store.list_links(caller.org_id, filter, take, skip),
        state.store.count_links(caller.org_id, filter),
    )?)
}

/// The organization's tags that live links carry, with how many.
pub async fn tags_in_use(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<(String, i64)>, OperationError> {
    Ok(state.store.tags_in_use(caller.org_id).await?)
}

/// The caller's link with this internal id (the dashboard's addresses use it).
pub async fn find_by_number(
    state: &AppState,
    caller: &Caller,
    link_id: i64,
) -> Result<ShortLink, OperationError> {
    state
        .store
        .find_link_by_id(caller.org_id, link_id)
        .await?
        .ok_or_else(|| OperationError::NotFound(format!("link {link_id} not found")))
}

/// Whether the caller may change or delete a link (for showing the buttons).
pub fn may_edit(caller: &Caller, link: &ShortLink) -> bool {
    may_change(caller, link).is_ok()
}

/// Changes the fields an update input has; the others stay.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: LinkInput,
) -> Result<ShortLink, OperationError> {
    let link = find_own(state, caller, id).await?;
    may_change(caller, &link)?;
    if let Field::Given(domain) = &input.domain
        && domain.as_str() != link.domain
    {
        return Err(OperationError::invalid(
            "domain",
            format!(
                "a link's domain cannot be changed (this one is on {}); create a new link on \
                 {} instead",
                link.domain,
                domain.as_str()
            ),
        ));
    }
    let route = input.route.given();
    if let Some(route) = &route {
        refuse_reserved(state, &link.domain, route)?;
    }
    let destination = input.destination.given();
    if let Some(destination) = &destination {
        refuse_redirect_loop(state, "destination", destination).await?;
    }
    let expired_destination = input.expired_destination.change();
    if let Some(Some(url)) = &expired_destination {
        refuse_redirect_loop(state, "expiredDestination", url).await?;
    }
    // `null` and `[]` both mean none.
    let rules = input.rules.change().map(Option::unwrap_or_default);
    let variants = input.variants.change().map(Option::unwrap_or_default);
    refuse_targeting_loops(
        state,
        rules.as_deref().unwrap_or_default(),
        variants.as_deref().unwrap_or_default(),
    )
    .await?;
    let changes = LinkChanges {
        route: route.map(Route::into_string).filter(|r| *r != link.route),
        destination: destination.map(WebUrl::into_string),
        // `null` means "not set", and an unset consent is false.
        consent: input.consent.change().map(|c| c.unwrap_or(false)),
        title: input.title.change(),
        description: input.description.change(),
        image: input.image.change(),
        favicon: input.favicon.change(),
        expires_at: input.expires_at.change(),
        expired_destination: expired_destination.map(|url| url.map(WebUrl::into_string)),
        // `null` means "not set", and an unset switch is off.
        disabled: input.disabled.change().map(|d| d.unwrap_or(false)),
        max_clicks: input.max_clicks.change(),
        password_hash: match input.password.change() {
            Some(Some(password)) => Some(Some(hash_password(password).await?)),
            Some(None) => Some(None),
            None => None,
        },
        password_preview: input.password_preview.change().map(|p| p.unwrap_or(false)),
        rules: rules.map(|rules| as_json(&rules)),
        variants: variants.map(|variants| as_json(&variants)),
        // `null` and `[]` both mean none.
        tags: input.tags.change().map(Option::unwrap_or_default),
    };
    let updated = state
        .store
        .update_link(&link, &changes, timestamp::now())
        .await
        .map_err(|error| {
            let route = changes.route.as_deref().unwrap_or(&link.route);
            route_error(error, &link.domain, route)
        })?
        .ok_or_else(|| not_found(id))?;
    state.link_changed(&link.domain, &link.route).await;
    if updated.route != link.route {
        state.link_changed(&updated.domain, &updated.route).await;
    }
    Ok(updated)
}

/// Deletes a link (its clicks stay in the history) and returns it as it was.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<ShortLink, OperationError> {
    let link = find_own(state, caller, id).await?;
    may_change(caller, &link)?;
    let deleted = state
        .store
        .delete_link(link.id, timestamp::now())
        .await?
        .ok_or_else(|| not_found(id))?;
    state.link_changed(&deleted.domain, &deleted.route).await;
    tracing::info!(
        link.id = deleted.id,
        org.id = caller.org_id,
        "short link deleted"
    );
    Ok(deleted)
}

/// Finds the caller's link by `domain/route` (encoded or not) or by bare route. Another
/// organization's link is "not found", never "forbidden".
pub async fn find_own(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<ShortLink, OperationError> {
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
            Err(OperationError::Conflict(format!(
                "route {id} names several of your links: {}; use the full id (domain/route)",
                ids.join(", ")
            )))
        }
    }
}

/// Owners and admins change every link of their organization; a member only the links
/// they created.
fn may_change(caller: &Caller, link: &ShortLink) -> Result<(), OperationError> {
    if caller.manages_everything() || link.created_by == Some(caller.user_id) {
        return Ok(());
    }
    Err(OperationError::Forbidden(format!(
        "{} was created by someone else in your organization; as a member you may change and \
         delete only the links you created (an owner or admin can change this one)",
        link.short_id()
    )))
}

/// The domain a new link goes on: the server's default, or one the organization added.
async fn usable_domain(
    state: &AppState,
    caller: &Caller,
    requested: Option<Host>,
) -> Result<String, OperationError> {
    let default = &state.settings.default_domain;
    let Some(host) = requested else {
        return Ok(default.clone());
    };
    if host.as_str() == default {
        return Ok(host.into_string());
    }
    match state.store.domain_owner(host.as_str()).await? {
        Some(owner) if owner == caller.org_id => Ok(host.into_string()),
        _ => Err(OperationError::invalid(
            "domain",
            format!(
                "domain {host} is not set up for your organization; an operator adds it with \
                 `openpxl domain add {host} --org <your organization>`, or leave domain out to \
                 use {default}",
                host = host.as_str()
            ),
        )),
    }
}

fn refuse_reserved(state: &AppState, domain: &str, route: &Route) -> Result<(), OperationError> {
    let on_default = domain == state.settings.default_domain;
    if route.is_server_path() || (on_default && route.is_reserved()) {
        return Err(OperationError::invalid(
            "route",
            format!(
                "route {} is reserved by the server on {domain}; choose another route",
                route.as_str()
            ),
        ));
    }
    Ok(())
}

/// A destination on one of this server's short domains would redirect in a loop.
async fn refuse_redirect_loop(
    state: &AppState,
    field: &'static str,
    destination: &WebUrl,
) -> Result<(), OperationError> {
    let host = destination.host();
    let ours = host.as_str() == state.settings.default_domain
        || state.store.domain_owner(host.as_str()).await?.is_some();
    if ours {
        return Err(OperationError::invalid(
            field,
            format!(
                "{field} points at {}, a short domain of this server, which would redirect \
                 in a loop; give the final URL instead",
                host.as_str()
            ),
        ));
    }
    Ok(())
}

/// Rules' and variants' destinations must not loop back to this server either.
async fn refuse_targeting_loops(
    state: &AppState,
    rules: &[Rule],
    variants: &[Variant],
) -> Result<(), OperationError> {
    let destinations = rules
        .iter()
        .map(|rule| ("rules", &rule.destination))
        .chain(variants.iter().map(|v| ("variants", &v.destination)));
    for (field, destination) in destinations {
        let url =
            WebUrl::parse(field, destination).map_err(|m| OperationError::invalid(field, m))?;
        refuse_redirect_loop(state, field, &url).await?;
    }
    Ok(())
}

/// A list as stored: JSON, or `None` when empty.
fn as_json<T: serde::Serialize>(items: &[T]) -> Option<String> {
    (!items.is_empty()).then(|| serde_json::to_string(items).expect("rules serialize"))
}

/// A link password's argon2id hash, made off the executor.
async fn hash_password(password: String) -> Result<String, OperationError> {
    crate::auth::password::hash_blocking(password)
        .await
        .map_err(|error| OperationError::Internal(error.to_string()))
}

/// Why a route could not be taken, in the client's words.
fn route_error(error: RouteError, domain: &str, route: &str) -> OperationError {
    match error {
        RouteError::Taken => OperationError::Conflict(format!(
            "route {route} is already taken on {domain}; choose another route, or update the \
             existing link {domain}/{route}"
        )),
        RouteError::Retired => OperationError::Conflict(format!(
            "route {route} on {domain} was used by another organization before and stays \
             reserved, so that old short URLs never lead to someone else's page; choose \
             another route"
        )),
        RouteError::Database(error) => error.into(),
    }
}

fn not_found(id: &str) -> OperationError {
    OperationError::NotFound(format!("short link {id} not found"))
}
