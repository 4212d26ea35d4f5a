//! A visit as the redirect handler sees it: everything needed to enrich it later, off the
//! request path. The IP address and User-Agent live only in memory.

use std::{fmt, net::IpAddr};

use super::Outcome;
use crate::timestamp::Millis;

pub struct ClickEvent {
    pub at: Millis,
    pub link_id: i64,
    pub org_id: i64,
    pub bot: bool,
    /// What answered the visit.
    pub outcome: Outcome,
    pub ip: IpAddr,
    pub user_agent: String,
    pub referer: Option<String>,
    pub accept_language: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
}

/// Never prints the IP address (events may end up in logs).
impl fmt::Debug for ClickEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClickEvent")
            .field("at", &self.at)
            .field("link_id", &self.link_id)
            .field("org_id", &self.org_id)
            .field("bot", &self.bot)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}
