//! Turning a [`ClickEvent`] into a [`ClickRow`]: device, browser and OS from the
//! User-Agent, place from the IP address, source and medium from the Referer and utm
//! parameters, the first language of Accept-Language, and the visitor key. The IP address
//! and User-Agent go no further than this.

use std::{collections::HashMap, sync::Arc};

use super::{
    event::ClickEvent,
    geo::{GeoIp, Place},
    referrer::attribute,
    user_agent::{Software, software},
    visitor::visitor_key,
};
use crate::store::ClickRow;

/// Parsed User-Agents kept for reuse; a busy link sees the same few thousand again and
/// again, and parsing is the costliest step.
const USER_AGENT_CACHE_ENTRIES: usize = 10_000;

pub struct Enricher {
    geoip: Option<Arc<GeoIp>>,
    user_agents: HashMap<String, Software>,
}

impl Enricher {
    pub fn new(geoip: Option<Arc<GeoIp>>) -> Self {
        Self {
            geoip,
            user_agents: HashMap::new(),
        }
    }

    /// Enriches one event with the visitor salt of its day.
    pub fn enrich(&mut self, event: &ClickEvent, salt: &[u8]) -> ClickRow {
        let software = self.software(&event.user_agent);
        let place = self
            .geoip
            .as_ref()
            .map_or_else(Place::unknown, |geo| geo.locate(event.ip));
        let attribution = attribute(
            event.referer.as_deref(),
            event.utm_source.as_deref(),
            event.utm_medium.as_deref(),
        );
        let visitor = visitor_key(
            salt,
            event.ip,
            &event.user_agent,
            event.org_id,
            [
                &place.country,
                &place.city,
                software.device,
                &software.browser,
                &software.os,
            ],
        );
        ClickRow {
            org_id: event.org_id,
            link_id: event.link_id,
            at: event.at,
            bot: event.bot,
            outcome: event.outcome,
            visitor,
            country: place.country,
            city: place.city,
            device: software.device.to_owned(),
            browser: software.browser,
            os: software.os,
            referrer: attribution.referrer,
            source: attribution.source,
            medium: attribution.medium,
            campaign: event
                .utm_campaign
                .as_deref()
                .map(|c| {
                    c.chars()
                        .filter(|ch| !ch.is_control())
                        .take(100)
                        .collect::<String>()
                })
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            language: first_language(event.accept_language.as_deref()),
        }
    }

    fn software(&mut self, user_agent: &str) -> Software {
        if let Some(known) = self.user_agents.get(user_agent) {
            return known.clone();
        }
        if self.user_agents.len() >= USER_AGENT_CACHE_ENTRIES {
            self.user_agents.clear();
        }
        let parsed = software(user_agent);
        self.user_agents
            .insert(user_agent.to_owned(), parsed.clone());
        parsed
    }
}

/// The visitor's preferred language: the first tag of Accept-Language with the highest
/// weight, as `en` or `en-US`; `Unknown` if none.
pub fn first_language(accept_language: Option<&str>) -> String {
    let mut best: Option<(&str, f32)> = None;
    for part in accept_language.unwrap_or_default().split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or_default().trim();
        let weight = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let well_formed = !tag.is_empty()
            && tag != "*"
            && tag.len() <= 35
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if well_formed && weight > 0.0 && best.is_none_or(|(_, w)| weight > w) {
            best = Some((tag, weight));
        }
    }
    let Some((tag, _)) = best else {
        return "Unknown".to_owned();
    };
    let mut subtags = tag.split('-');
    let language = subtags.next().unwrap_or_default().to_ascii_lowercase();
    match subtags.next() {
        Some(region) if region.len() == 2 => format!("{language}-{}", region.to_ascii_uppercase()),
        _ => language,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_preferred_language_wins() {
        assert_eq!(first_language(Some("en-US,en;q=0.9,de;q=0.8")), "en-US");
        assert_eq!(first_language(Some("de;q=0.5, fr-ca")), "fr-CA");
        assert_eq!(first_language(Some("zh-Hant-TW")), "zh");
        assert_eq!(first_language(Some("*")), "Unknown");
        assert_eq!(first_language(Some("")), "Unknown");
        assert_eq!(first_language(None), "Unknown");
        assert_eq!(first_language(Some("en;q=0")), "Unknown");
    }
}
