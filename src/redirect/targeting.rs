//! The visit's side of targeting: what the request says (the time, the query, the
//! preferred language, and, only if a rule asks, the software from the User-Agent and the
//! country from the address), handed to the pure choice of
//! [`crate::links::targeting::Targeting`].

use std::net::SocketAddr;

use axum::http::{HeaderMap, header};
use url::Url;

use super::{client_ip, text};
use crate::{
    clicks::{first_language, user_agent::software},
    links::targeting::{Choice, Targeting, Visit},
    state::AppState,
};

/// The destination a rule or variant picks; `None`: the link's own.
pub fn choose<'t>(
    state: &AppState,
    targeting: &'t Targeting,
    headers: &HeaderMap,
    peer: SocketAddr,
    query: Option<&str>,
) -> Option<&'t Url> {
    let user_agent = text(headers, header::USER_AGENT).unwrap_or_default();
    let address = client_ip(state, headers, peer);
    let language = first_language(text(headers, header::ACCEPT_LANGUAGE));
    let software = || {
        let found = software(user_agent);
        (found.device.to_owned(), found.os, found.browser)
    };
    let country = || {
        let place = state.geoip.as_ref()?.locate(address);
        (place.country != crate::clicks::geo::UNKNOWN).then_some(place.country)
    };
    let visitor = format!("{address} {user_agent}");
    let visit = Visit {
        now: state.settings.clock.now(),
        query,
        language: (language != "Unknown").then_some(language.as_str()),
        software: &software,
        country: &country,
        visitor: visitor.as_bytes(),
    };
    match targeting.choose(&visit) {
        Choice::Destination => None,
        Choice::Rule(index) => targeting.rule_destinations.get(index),
        Choice::Variant(index) => targeting.variant_destinations.get(index),
    }
}
