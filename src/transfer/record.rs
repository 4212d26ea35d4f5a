//! The records of openpxl's export (docs/API.md §10): one JSON object per line, `type`
//! first. A header, then each live link followed by its clicks, oldest first, so that a
//! link and its history can be imported together. The CSV forms use the same fields.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    clicks::Outcome,
    links::ShortLink,
    store::ClickRow,
    timestamp::{iso, parse_iso},
};

/// The version of the format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

// One record is read or written at a time: its size does not add up, a box per click would.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Record {
    /// The first line.
    #[serde(rename = "openpxl-export")]
    Header(Header),
    Link(LinkRecord),
    Click(ClickRecord),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    pub version: u32,
    pub organization: String,
    pub exported_at: String,
}

/// A link with everything needed to make it again, its password's hash included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkRecord {
    pub domain: String,
    pub route: String,
    pub destination: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub favicon: Option<String>,
    #[serde(default)]
    pub consent: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Human clicks through to a destination, when exported (an import counts the clicks
    /// it brings instead).
    #[serde(default)]
    pub clicks: i64,
    pub created_at: String,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub expired_destination: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub max_clicks: Option<i64>,
    /// The argon2id hash of the link's password (never the password).
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(default)]
    pub password_preview: bool,
    #[serde(default = "empty_list")]
    pub rules: Value,
    #[serde(default = "empty_list")]
    pub variants: Value,
}

fn empty_list() -> Value {
    Value::Array(Vec::new())
}

/// The most bytes a click's text value may have: what the recorder can write (100
/// characters of up to 4 bytes each; a host name is at most 253). Longer values could not
/// be indexed in Postgres's click dictionaries (an index entry holds at most 2,704 bytes).
const MAX_VALUE_BYTES: usize = 400;
/// The most bytes of a referrer: a host name.
const MAX_REFERRER_BYTES: usize = 253;

/// A click: no address (there is none), the day's pseudonymous visitor key in hex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClickRecord {
    /// `domain/route` of its link.
    pub link: String,
    pub at: String,
    pub bot: bool,
    pub outcome: String,
    pub visitor: String,
    pub country: String,
    pub city: String,
    pub device: String,
    pub browser: String,
    pub os: String,
    pub referrer: String,
    pub source: String,
    pub medium: String,
    #[serde(default)]
    pub campaign: Option<String>,
    pub language: String,
}

impl LinkRecord {
    /// A plain link (no tags, limits, password or targeting), as other shorteners' links
    /// arrive; the importer sets the rest it knows.
    pub fn plain(domain: String, route: String, destination: String, created_at: String) -> Self {
        Self {
            domain,
            route,
            destination,
            title: None,
            description: None,
            image: None,
            favicon: None,
            consent: false,
            tags: Vec::new(),
            clicks: 0,
            created_at,
            expires_at: None,
            expired_destination: None,
            disabled: false,
            max_clicks: None,
            password_hash: None,
            password_preview: false,
            rules: empty_list(),
            variants: empty_list(),
        }
    }

    pub fn of(link: ShortLink) -> Self {
        let (rules, variants, tags) = (link.rules(), link.variants(), link.tags());
        Self {
            created_at: iso(link.created_at),
            expires_at: link.expires_at.map(iso),
            domain: link.domain,
            route: link.route,
            destination: link.destination,
            title: link.title,
            description: link.description,
            image: link.image,
            favicon: link.favicon,
            consent: link.consent,
            tags,
            clicks: link.clicks,
            expired_destination: link.expired_destination,
            disabled: link.disabled,
            max_clicks: link.max_clicks,
            password_hash: link.password_hash,
            password_preview: link.password_preview,
            rules: serde_json::to_value(rules).unwrap_or_else(|_| empty_list()),
            variants: serde_json::to_value(variants).unwrap_or_else(|_| empty_list()),
        }
    }

    /// `domain/route`.
    pub fn short_id(&self) -> String {
        format!("{}/{}", self.domain, self.route)
    }
}

/// A visit another shortener logged, as an importer reads it.
pub struct LoggedVisit<'a> {
    /// `domain/route` of its link.
    pub short_id: &'a str,
    pub at: crate::timestamp::Millis,
    pub user_agent: &'a str,
    pub referer: Option<&'a str>,
    pub country: String,
    pub city: String,
    /// The source took it for a bot, whatever its User-Agent says.
    pub flagged_bot: bool,
}

impl ClickRecord {
    /// A logged visit as a click, made the way the recorder makes one: device, browser and
    /// OS from the User-Agent, bots told apart, source and medium from the Referer; the
    /// visitor key from `visitor`, given the visit's software.
    pub fn of_logged(
        visit: LoggedVisit<'_>,
        visitor: impl FnOnce(&crate::clicks::user_agent::Software) -> Vec<u8>,
    ) -> Self {
        let found = crate::clicks::user_agent::software(visit.user_agent);
        let attribution = crate::clicks::referrer::attribute(visit.referer, None, None);
        let bot =
            visit.flagged_bot || crate::redirect::crawler::Visitor::of(visit.user_agent).is_bot();
        Self {
            link: visit.short_id.to_owned(),
            at: iso(visit.at),
            bot,
            outcome: Outcome::Destination.to_string(),
            visitor: hex::encode(visitor(&found)),
            country: visit.country,
            city: visit.city,
            device: found.device.to_owned(),
            browser: found.browser,
            os: found.os,
            referrer: attribution.referrer,
            source: attribution.source,
            medium: attribution.medium,
            campaign: None,
            language: crate::clicks::geo::UNKNOWN.to_owned(),
        }
    }

    pub fn of(link: &str, click: ClickRow) -> Self {
        Self {
            link: link.to_owned(),
            at: iso(click.at),
            bot: click.bot,
            outcome: click.outcome.to_string(),
            visitor: hex::encode(&click.visitor),
            country: click.country,
            city: click.city,
            device: click.device,
            browser: click.browser,
            os: click.os,
            referrer: click.referrer,
            source: click.source,
            medium: click.medium,
            campaign: click.campaign,
            language: click.language,
        }
    }

    /// Why not, if a text value is longer than a click can keep.
    fn check_lengths(&self) -> Result<(), String> {
        let values = [
            ("country", &self.country, MAX_VALUE_BYTES),
            ("city", &self.city, MAX_VALUE_BYTES),
            ("device", &self.device, MAX_VALUE_BYTES),
            ("browser", &self.browser, MAX_VALUE_BYTES),
            ("os", &self.os, MAX_VALUE_BYTES),
            ("language", &self.language, MAX_VALUE_BYTES),
            ("referrer", &self.referrer, MAX_REFERRER_BYTES),
            ("source", &self.source, MAX_VALUE_BYTES),
            ("medium", &self.medium, MAX_VALUE_BYTES),
        ];
        let campaign = self
            .campaign
            .as_ref()
            .map(|c| ("campaign", c, MAX_VALUE_BYTES));
        for (field, value, max) in values.into_iter().chain(campaign) {
            if value.len() > max {
                return Err(format!(
                    "{field} is {} bytes long; a click keeps at most {max} (shorten it)",
                    value.len()
                ));
            }
        }
        Ok(())
    }

    /// The click as stored, for the link `link_id` of `org_id`; why not, if a field cannot
    /// be read.
    pub fn into_row(self, org_id: i64, link_id: i64) -> Result<ClickRow, String> {
        let at = parse_iso(&self.at).map_err(|why| format!("at {why}"))?;
        self.check_lengths()?;
        let outcome = Outcome::parse(&self.outcome)
            .ok_or_else(|| format!("outcome {:?} is not a click outcome", self.outcome))?;
        let visitor = hex::decode(&self.visitor)
            .map(crate::clicks::visitor::kept_key)
            .map_err(|why| format!("visitor must be hexadecimal ({why})"))?;
        Ok(ClickRow {
            org_id,
            link_id,
            at,
            bot: self.bot,
            outcome,
            visitor,
            country: self.country,
            city: self.city,
            device: self.device,
            browser: self.browser,
            os: self.os,
            referrer: self.referrer,
            source: self.source,
            medium: self.medium,
            campaign: self.campaign,
            language: self.language,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_tagged_lines_that_read_back() {
        let click = Record::Click(ClickRecord {
            link: "go.example/a".into(),
            at: "2026-12-01T10:00:00.123Z".into(),
            bot: false,
            outcome: "variant:1".into(),
            visitor: "00ff".into(),
            country: "DE".into(),
            city: "Berlin".into(),
            device: "Mobile".into(),
            browser: "Safari".into(),
            os: "iOS".into(),
            referrer: String::new(),
            source: "direct".into(),
            medium: "none".into(),
            campaign: None,
            language: "de".into(),
        });
        let line = serde_json::to_string(&click).unwrap();
        assert!(
            line.starts_with(r#"{"type":"click","link":"go.example/a""#),
            "{line}"
        );
        assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), click);
        let Record::Click(record) = click else {
            unreachable!()
        };
        let row = record.into_row(1, 2).unwrap();
        assert_eq!(
            (row.at % 1000, row.visitor),
            (123, vec![0, 255, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(row.outcome, Outcome::Variant(1));
        let header =
            r#"{"type":"openpxl-export","version":1,"organization":"acme","exportedAt":"x"}"#;
        assert!(matches!(
            serde_json::from_str::<Record>(header).unwrap(),
            Record::Header(_)
        ));
    }
}
