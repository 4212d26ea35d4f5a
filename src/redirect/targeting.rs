//! The visit's side of targeting: what the request says (the time, the query, and, only
//! if a rule asks, the preferred language, the software from the User-Agent and the
//! country from the address), handed to the pure choice of
//! [`crate::links::targeting::Targeting`]; the answer is the chosen destination's
//! `Location`, ready-made when the visit has no query.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, LazyLock},
};

use axum::http::{HeaderMap, HeaderValue, header};
use quick_cache::sync::Cache;

use super::{client_ip, destination, text};
use crate::{
    clicks::{first_language, user_agent::software},
    link_cache::Targeted,
    links::targeting::{Choice, Families, Visit},
    state::AppState,
};

/// User-Agents parsed for rules, kept: a parse costs about a microsecond, a lookup a
/// fraction of that, and visitors' User-Agents repeat (the recorder keeps its own).
static SOFTWARE: LazyLock<Cache<String, Arc<Families>>> = LazyLock::new(|| Cache::new(10_000));

/// `(device, os, browser)` of a User-Agent.
fn software_of(user_agent: &str) -> Arc<Families> {
    if let Some(known) = SOFTWARE.get(user_agent) {
        return known;
    }
    let found = software(user_agent);
    let parsed = Arc::new((found.device.to_owned(), found.os, found.browser));
    SOFTWARE.insert(user_agent.to_owned(), parsed.clone());
    parsed
}

/// The choice of a rule or variant and the `Location` of its destination; `None` when
/// neither picks one (the link's own destination applies).
pub fn location(
    state: &AppState,
    targeted: &Targeted,
    headers: &HeaderMap,
    peer: SocketAddr,
    query: Option<&str>,
) -> Option<(Choice, Option<HeaderValue>)> {
    let user_agent = text(headers, header::USER_AGENT).unwrap_or_default();
    let address = client_ip(state, headers, peer);
    let language = || {
        let tag = first_language(text(headers, header::ACCEPT_LANGUAGE));
        (tag != "Unknown").then_some(tag)
    };
    let software = || software_of(user_agent);
    let country = || {
        let place = state.geoip.as_ref()?.locate(address);
        (place.country != crate::clicks::geo::UNKNOWN).then_some(place.country)
    };
    let address_bytes = match address {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    let visit = Visit {
        now: state.settings.clock.now(),
        query,
        language: &language,
        software: &software,
        country: &country,
        visitor: &[&address_bytes, user_agent.as_bytes()],
    };
    let targeting = &targeted.targeting;
    let choice = targeting.choose(&visit);
    let (url, ready) = match choice {
        Choice::Destination => return None,
        Choice::Rule(index) => (
            targeting.rule_destinations.get(index)?,
            targeted.rule_locations.get(index)?,
        ),
        Choice::Variant(index) => (
            targeting.variant_destinations.get(index)?,
            targeted.variant_locations.get(index)?,
        ),
    };
    Some((
        choice,
        destination::location_header_for(url, ready.as_ref(), query),
    ))
}
