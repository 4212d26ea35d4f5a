//! Targeting rules and A/B variants (docs/API.md §4.10): what a link's `rules` and
//! `variants` may say, read and checked field by field (each problem names the rule's index
//! and field), and the pure choice of a destination for one visit.
//!
//! Rules are tried in order and the first whose conditions all hold wins; a list inside a
//! condition means any of its values. What no rule catches is split between the variants
//! by weight, a visitor being assigned by a hash of the day and who they are, so the same
//! person sees the same variant all day; without variants it goes to the link's
//! destination.

use std::{collections::BTreeMap, sync::Arc};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::WebUrl;
use crate::timestamp::{Millis, iso, parse_iso, utc_day};

pub const MAX_RULES: usize = 20;
pub const MAX_VARIANTS: usize = 10;
pub const MIN_VARIANTS: usize = 2;
/// Values one condition may list.
pub const MAX_VALUES: usize = 50;
const MAX_VALUE_CHARS: usize = 100;
const DEVICES: [&str; 3] = ["Desktop", "Mobile", "Tablet"];
const CONDITIONS: &str = "device, os, browser, country, language, query, from or until";

/// A rule as stored and shown: when it applies, and where it sends the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    pub when: Conditions,
    pub destination: String,
}

/// A rule's conditions, all of which must hold. Lists mean "any of".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conditions {
    /// `Desktop`, `Mobile` or `Tablet`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device: Vec<String>,
    /// OS families as the analytics show them (`iOS`, `Android`, `Windows`), any case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub os: Vec<String>,
    /// Browser families as the analytics show them (`Chrome`, `Safari`), any case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub browser: Vec<String>,
    /// ISO 3166-1 alpha-2 codes, from the GeoIP database.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub country: Vec<String>,
    /// Primary language tags (`de`), matched against the visitor's preferred language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<String>,
    /// Query parameters of the short URL that must have these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// From this instant on (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Before this instant (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// One arm of an A/B split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Variant {
    pub destination: String,
    /// 1–100, relative to the other variants' weights.
    pub weight: u32,
}

/// Reads `rules` as a client sent it. `Err`: one sentence per problem.
pub fn read_rules(value: &Value) -> Result<Vec<Rule>, Vec<String>> {
    let Value::Array(items) = value else {
        return Err(vec![
            "rules must be a list of {\"when\": {...}, \"destination\": URL}".into(),
        ]);
    };
    if items.len() > MAX_RULES {
        return Err(vec![format!(
            "rules has {} rules; at most {MAX_RULES} are allowed",
            items.len()
        )]);
    }
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = format!("rules[{index}]");
        let Value::Object(fields) = item else {
            problems.push(format!("{at} must be an object with when and destination"));
            continue;
        };
        if let Some(unknown) = fields.keys().find(|k| *k != "when" && *k != "destination") {
            problems.push(format!(
                "{at}.{unknown} is not a field of a rule; a rule has when and destination"
            ));
        }
        let destination = destination(fields.get("destination"), &format!("{at}.destination"))
            .map_err(|p| problems.push(p))
            .ok();
        let when = match fields.get("when") {
            Some(Value::Object(when)) if !when.is_empty() => {
                conditions(when, &format!("{at}.when"), &mut problems)
            }
            Some(Value::Object(_)) | None | Some(Value::Null) => {
                problems.push(format!(
                    "{at}.when needs at least one condition: {CONDITIONS}"
                ));
                None
            }
            Some(_) => {
                problems.push(format!("{at}.when must be an object of conditions"));
                None
            }
        };
        if let (Some(when), Some(destination)) = (when, destination) {
            rules.push(Rule { when, destination });
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}

/// Reads `variants` as a client sent it. An empty list means none.
pub fn read_variants(value: &Value) -> Result<Vec<Variant>, Vec<String>> {
    let Value::Array(items) = value else {
        return Err(vec![
            "variants must be a list of {\"destination\": URL, \"weight\": 1-100}".into(),
        ]);
    };
    if !items.is_empty() && !(MIN_VARIANTS..=MAX_VARIANTS).contains(&items.len()) {
        return Err(vec![format!(
            "variants has {} variants; give {MIN_VARIANTS} to {MAX_VARIANTS} (or an empty list \
             for none)",
            items.len()
        )]);
    }
    let mut problems = Vec::new();
    let mut variants = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = format!("variants[{index}]");
        let Value::Object(fields) = item else {
            problems.push(format!(
                "{at} must be an object with destination and weight"
            ));
            continue;
        };
        if let Some(unknown) = fields
            .keys()
            .find(|k| *k != "destination" && *k != "weight")
        {
            problems.push(format!(
                "{at}.{unknown} is not a field of a variant; a variant has destination and weight"
            ));
        }
        let destination = destination(fields.get("destination"), &format!("{at}.destination"))
            .map_err(|p| problems.push(p))
            .ok();
        let weight = match fields.get("weight").and_then(Value::as_u64) {
            Some(weight @ 1..=100) => Some(weight as u32),
            _ => {
                problems.push(format!(
                    "{at}.weight must be a whole number from 1 to 100 (got {})",
                    fields
                        .get("weight")
                        .map_or("nothing".into(), Value::to_string)
                ));
                None
            }
        };
        if let (Some(destination), Some(weight)) = (destination, weight) {
            variants.push(Variant {
                destination,
                weight,
            });
        }
    }
    if problems.is_empty() {
        Ok(variants)
    } else {
        Err(problems)
    }
}

fn destination(value: Option<&Value>, at: &str) -> Result<String, String> {
    match value {
        Some(Value::String(text)) => WebUrl::parse(at, text).map(WebUrl::into_string),
        _ => Err(format!(
            "{at} is required: the absolute http(s) URL to send visitors to"
        )),
    }
}

fn conditions(
    when: &serde_json::Map<String, Value>,
    at: &str,
    problems: &mut Vec<String>,
) -> Option<Conditions> {
    let before = problems.len();
    let mut conditions = Conditions::default();
    for (name, value) in when {
        let here = format!("{at}.{name}");
        match name.as_str() {
            "device" => {
                conditions.device = values(value, &here, problems, |v| {
                    DEVICES
                        .iter()
                        .find(|d| d.eq_ignore_ascii_case(v))
                        .map(|d| (*d).to_owned())
                        .ok_or_else(|| "Desktop, Mobile or Tablet".to_owned())
                });
            }
            "os" | "browser" => {
                let read = values(value, &here, problems, |v| Ok(v.to_owned()));
                if name == "os" {
                    conditions.os = read;
                } else {
                    conditions.browser = read;
                }
            }
            "country" => {
                conditions.country = values(value, &here, problems, |v| {
                    (v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphabetic()))
                        .then(|| v.to_ascii_uppercase())
                        .ok_or_else(|| "an ISO 3166-1 alpha-2 code such as DE".to_owned())
                });
            }
            "language" => {
                conditions.language = values(value, &here, problems, |v| {
                    ((2..=3).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphabetic()))
                        .then(|| v.to_ascii_lowercase())
                        .ok_or_else(|| "a primary language tag such as de or en".to_owned())
                });
            }
            "query" => match value {
                Value::Object(pairs) if !pairs.is_empty() => {
                    for (param, expected) in pairs {
                        match expected {
                            Value::String(expected) if !param.is_empty() => {
                                conditions.query.insert(param.clone(), expected.clone());
                            }
                            _ => problems.push(format!(
                                "{here}.{param} must be a string: the value the parameter must have"
                            )),
                        }
                    }
                }
                _ => problems.push(format!(
                    "{here} must be an object of parameter names and values, such as \
                     {{\"ref\": \"newsletter\"}}"
                )),
            },
            "from" | "until" => match value.as_str().map(parse_iso) {
                Some(Ok(at_ms)) => {
                    let normalized = Some(iso(at_ms));
                    if name == "from" {
                        conditions.from = normalized;
                    } else {
                        conditions.until = normalized;
                    }
                }
                Some(Err(why)) => problems.push(format!("{here} {why}")),
                None => problems.push(format!(
                    "{here} must be an ISO 8601 instant such as 2026-12-31T23:00:00Z"
                )),
            },
            _ => problems.push(format!("{here} is not a condition; use {CONDITIONS}")),
        }
    }
    if let (Some(from), Some(until)) = (&conditions.from, &conditions.until)
        && from >= until
    {
        problems.push(format!("{at}.from must be before {at}.until"));
    }
    (problems.len() == before).then_some(conditions)
}

/// A condition's values: one string or a list of 1 to [`MAX_VALUES`] of them, each read by
/// `read` (whose error says what a value must be).
fn values(
    value: &Value,
    at: &str,
    problems: &mut Vec<String>,
    read: impl Fn(&str) -> Result<String, String>,
) -> Vec<String> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    if items.is_empty() || items.len() > MAX_VALUES {
        problems.push(format!("{at} must list 1 to {MAX_VALUES} values"));
        return Vec::new();
    }
    let mut read_values = Vec::new();
    for item in items {
        match item.as_str().map(str::trim) {
            Some(text) if !text.is_empty() && text.chars().count() <= MAX_VALUE_CHARS => {
                match read(text) {
                    Ok(value) => read_values.push(value),
                    Err(what) => problems.push(format!("{at} must be {what} (got {text:?})")),
                }
            }
            _ => problems.push(format!(
                "{at} values must be strings of 1 to {MAX_VALUE_CHARS} characters"
            )),
        }
    }
    read_values
}

/// What the choice looks at, known lazily: the User-Agent is parsed and the address located
/// only if a rule asks.
pub struct Visit<'a> {
    pub now: Millis,
    pub query: Option<&'a str>,
    /// The visitor's preferred language tag (`de-CH`), if any.
    pub language: &'a dyn Fn() -> Option<String>,
    /// `(device, os, browser)`.
    pub software: &'a dyn Fn() -> Arc<Families>,
    pub country: &'a dyn Fn() -> Option<String>,
    /// What identifies the visitor for the day's variant (address and User-Agent), hashed
    /// in order.
    pub visitor: &'a [&'a [u8]],
}

/// `(device, os, browser)` of a visitor's software.
pub type Families = (String, String, String);

/// Which destination a visit goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Destination,
    Rule(usize),
    Variant(usize),
}

/// Rules and variants ready to decide with: values folded to the case they are compared
/// in, instants as milliseconds, destinations parsed.
#[derive(Debug)]
pub struct Targeting {
    rules: Vec<CompiledRule>,
    pub rule_destinations: Vec<Url>,
    weights: Vec<u32>,
    pub variant_destinations: Vec<Url>,
    link_id: i64,
}

#[derive(Debug)]
struct CompiledRule {
    device: Vec<String>,
    os: Vec<String>,
    browser: Vec<String>,
    country: Vec<String>,
    language: Vec<String>,
    query: Vec<(String, String)>,
    from: Option<Millis>,
    until: Option<Millis>,
}

impl Targeting {
    /// `None` for a link with neither rules nor variants (the fast path).
    pub fn compile(link_id: i64, rules: &[Rule], variants: &[Variant]) -> Option<Self> {
        if rules.is_empty() && variants.is_empty() {
            return None;
        }
        let lower = |values: &[String]| values.iter().map(|v| v.to_lowercase()).collect();
        Some(Self {
            rules: rules
                .iter()
                .map(|rule| CompiledRule {
                    device: rule.when.device.clone(),
                    os: lower(&rule.when.os),
                    browser: lower(&rule.when.browser),
                    country: rule.when.country.clone(),
                    language: rule.when.language.clone(),
                    query: rule
                        .when
                        .query
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    from: rule.when.from.as_deref().and_then(|t| parse_iso(t).ok()),
                    until: rule.when.until.as_deref().and_then(|t| parse_iso(t).ok()),
                })
                .collect(),
            rule_destinations: rules
                .iter()
                .filter_map(|rule| Url::parse(&rule.destination).ok())
                .collect(),
            weights: variants.iter().map(|v| v.weight).collect(),
            variant_destinations: variants
                .iter()
                .filter_map(|v| Url::parse(&v.destination).ok())
                .collect(),
            link_id,
        })
    }

    /// The destination for this visit. Pure: no I/O, and the User-Agent and address are
    /// looked at only when a rule needs them.
    pub fn choose(&self, visit: &Visit<'_>) -> Choice {
        let mut software: Option<Arc<Families>> = None;
        let mut country: Option<Option<String>> = None;
        let query: Vec<(String, String)> = if self.rules.iter().any(|r| !r.query.is_empty()) {
            url::form_urlencoded::parse(visit.query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect()
        } else {
            Vec::new()
        };
        let mut language: Option<Option<String>> = None;
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.from.is_some_and(|from| visit.now < from)
                || rule.until.is_some_and(|until| visit.now >= until)
            {
                continue;
            }
            if !rule.language.is_empty()
                && !language
                    .get_or_insert_with(|| {
                        (visit.language)().map(|tag| {
                            tag.split('-')
                                .next()
                                .unwrap_or_default()
                                .to_ascii_lowercase()
                        })
                    })
                    .as_ref()
                    .is_some_and(|l| rule.language.contains(l))
            {
                continue;
            }
            if !rule
                .query
                .iter()
                .all(|(name, value)| query.iter().any(|(n, v)| n == name && v == value))
            {
                continue;
            }
            if !(rule.device.is_empty() && rule.os.is_empty() && rule.browser.is_empty()) {
                let (device, os, browser) = &**software.get_or_insert_with(visit.software);
                let any = |wanted: &[String], have: &str| {
                    wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(have))
                };
                if !(any(&rule.device, device) && any(&rule.os, os) && any(&rule.browser, browser))
                {
                    continue;
                }
            }
            if !rule.country.is_empty() {
                let country = country.get_or_insert_with(visit.country);
                if !country.as_ref().is_some_and(|c| rule.country.contains(c)) {
                    continue;
                }
            }
            return Choice::Rule(index);
        }
        if self.weights.is_empty() {
            return Choice::Destination;
        }
        Choice::Variant(self.variant_for(visit.now, visit.visitor))
    }

    /// The variant a visitor gets all day: a hash of the UTC day, the link and the visitor,
    /// placed on the variants' cumulative weights.
    fn variant_for(&self, now: Millis, visitor: &[&[u8]]) -> usize {
        let mut hasher = Sha256::new();
        hasher.update(utc_day(now).to_le_bytes());
        hasher.update(self.link_id.to_le_bytes());
        for part in visitor {
            hasher.update(part);
        }
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let total: u64 = self.weights.iter().map(|w| u64::from(*w)).sum();
        let mut point = u64::from_le_bytes(first) % total;
        for (index, weight) in self.weights.iter().enumerate() {
            let weight = u64::from(*weight);
            if point < weight {
                return index;
            }
            point -= weight;
        }
        self.weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn visit<'a>(
        query: Option<&'a str>,
        language: &'a dyn Fn() -> Option<String>,
        software: &'a dyn Fn() -> Arc<Families>,
        country: &'a dyn Fn() -> Option<String>,
    ) -> Visit<'a> {
        Visit {
            now: 1_800_000_000_000,
            query,
            language,
            software,
            country,
            visitor: &[b"203.0.113.1", b"Mozilla"],
        }
    }

    fn iphone() -> Arc<Families> {
        Arc::new(("Mobile".into(), "iOS".into(), "Safari".into()))
    }

    fn no_language() -> Option<String> {
        None
    }

    fn germany() -> Option<String> {
        Some("DE".into())
    }

    #[test]
    fn the_first_rule_that_holds_wins() {
        let rules = read_rules(&json!([
            {"when": {"os": "android"}, "destination": "https://play.example/app"},
            {"when": {"device": ["Mobile", "Tablet"], "os": "iOS"}, "destination": "https://apps.example/app"},
            {"when": {"country": "de"}, "destination": "https://example.de/"},
        ]))
        .unwrap();
        let targeting = Targeting::compile(1, &rules, &[]).unwrap();
        let choice = targeting.choose(&visit(None, &no_language, &iphone, &germany));
        assert_eq!(choice, Choice::Rule(1));
        let desktop = || {
            Arc::new((
                "Desktop".to_owned(),
                "Windows".to_owned(),
                "Chrome".to_owned(),
            ))
        };
        assert_eq!(
            targeting.choose(&visit(None, &no_language, &desktop, &germany)),
            Choice::Rule(2)
        );
        let nowhere = || None;
        assert_eq!(
            targeting.choose(&visit(None, &no_language, &desktop, &nowhere)),
            Choice::Destination
        );
    }

    #[test]
    fn language_query_and_time_conditions() {
        let rules = read_rules(&json!([
            {"when": {"language": ["de", "AT"]}, "destination": "https://example.de/"},
            {"when": {"query": {"ref": "mail"}, "from": "2027-01-01T00:00:00Z"},
             "destination": "https://example.com/mail"},
            {"when": {"query": {"ref": "mail"}}, "destination": "https://example.com/early"},
        ]))
        .unwrap();
        let targeting = Targeting::compile(1, &rules, &[]).unwrap();
        let never = || -> Arc<Families> { panic!("no rule asks for software") };
        let nowhere = || -> Option<String> { panic!("no rule asks for the country") };
        let swiss_german = || Some("de-CH".to_owned());
        let american = || Some("en-US".to_owned());
        assert_eq!(
            targeting.choose(&visit(None, &swiss_german, &never, &nowhere)),
            Choice::Rule(0)
        );
        // 1_800_000_000_000 is in 2027-01-15: after `from`.
        assert_eq!(
            targeting.choose(&visit(Some("x=1&ref=mail"), &american, &never, &nowhere)),
            Choice::Rule(1)
        );
        assert_eq!(
            targeting.choose(&visit(Some("ref=other"), &no_language, &never, &nowhere)),
            Choice::Destination
        );
    }

    #[test]
    fn variants_split_by_weight_and_keep_a_visitor_all_day() {
        let variants = read_variants(&json!([
            {"destination": "https://a.example/", "weight": 70},
            {"destination": "https://b.example/", "weight": 20},
            {"destination": "https://c.example/", "weight": 10},
        ]))
        .unwrap();
        let targeting = Targeting::compile(7, &[], &variants).unwrap();
        let mut counts = [0u32; 3];
        for n in 0..10_000u32 {
            let who = format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255);
            let visitor: [&[u8]; 2] = [who.as_bytes(), b"Mozilla/5.0"];
            let index = targeting.variant_for(1_800_000_000_000, &visitor);
            assert_eq!(
                index,
                targeting.variant_for(1_800_000_000_000 + 3_600_000, &visitor),
                "the same visitor, an hour later"
            );
            counts[index] += 1;
        }
        for (count, weight) in counts.iter().zip([70.0, 20.0, 10.0]) {
            let share = f64::from(*count) / 100.0;
            assert!((share - weight).abs() <= 2.0, "{counts:?}");
        }
    }

    #[test]
    fn every_problem_names_its_rule_and_field() {
        let problems = read_rules(&json!([
            {"when": {"device": "Phone"}, "destination": "https://a.example/"},
            {"when": {}, "destination": "ftp://x"},
            {"when": {"planet": "Mars", "country": "Germany", "from": "tomorrow"}},
        ]))
        .unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "rules[0].when.device must be Desktop, Mobile or Tablet (got \"Phone\")",
            "rules[1].when needs at least one condition",
            "rules[1].destination",
            "rules[2].when.planet is not a condition",
            "rules[2].when.country must be an ISO 3166-1 alpha-2 code",
            "rules[2].when.from",
            "rules[2].destination is required",
        ] {
            assert!(all.contains(expected), "{expected} in:\n{all}");
        }
        let too_many = json!(
            (0..21)
                .map(|_| json!({"when": {"os": "iOS"}, "destination": "https://a.example/"}))
                .collect::<Vec<_>>()
        );
        assert!(read_rules(&too_many).unwrap_err()[0].contains("at most 20"));
        let one = read_variants(&json!([{"destination": "https://a.example/", "weight": 1}]));
        assert!(one.unwrap_err()[0].contains("give 2 to 10"));
        let heavy = read_variants(&json!([
            {"destination": "https://a.example/", "weight": 101},
            {"destination": "https://b.example/", "weight": 0},
        ]))
        .unwrap_err();
        assert_eq!(heavy.len(), 2, "{heavy:?}");
        assert!(read_variants(&json!([])).unwrap().is_empty());
    }
}
