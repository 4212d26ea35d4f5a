//! The insight's question as a client asks it: Pxl's query parameters (`datefrom`,
//! `dateto`, `timezone`, `link`, `domain`, `device`, `browser`, `OS`, `country`, `city`,
//! `medium`, `source`; docs/API.md §6.1; and openpxl's `outcome`) validated into a range
//! and a [`ClickFilter`], with one sentence per problem. The API and the dashboard read
//! them alike.

use super::{DateRange, question::ClickFilter, range};
use crate::{links::Host, timestamp};

/// The query parameters, validated; `link` still to be resolved (it names a link of the
/// caller's organization in any of its spellings).
#[derive(Debug)]
pub struct InsightParams {
    pub range: DateRange,
    pub link: Option<String>,
    pub filter: ClickFilter,
}

/// Reads the parameters of a query string; every problem gets a sentence.
pub fn parse(
    query: &str,
    org_id: i64,
    now: timestamp::Millis,
) -> Result<InsightParams, Vec<String>> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| vec![format!("malformed query string: {e}")])?;
    if let Some((name, _)) = pairs.iter().find(|(_, v)| v.chars().any(char::is_control)) {
        return Err(vec![format!(
            "{name} must not contain control characters such as NUL; remove them"
        )]);
    }
    let value = |names: &[&str]| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let mut problems = Vec::new();
    let outcome = value(&["outcome"]).map(|o| keep(&mut problems, outcome(&o)));
    let zone_name = value(&["timezone"]).unwrap_or_else(|| "UTC".to_owned());
    let zone = keep(&mut problems, range::zone(&zone_name));
    let from = value(&["datefrom"]).map(|d| keep(&mut problems, range::date("datefrom", &d)));
    let to = value(&["dateto"]).map(|d| keep(&mut problems, range::date("dateto", &d)));
    let range = match (zone, from, to) {
        (Some(zone), Some(Some(from)), Some(Some(to))) => {
            keep(&mut problems, DateRange::new(from, to, zone))
        }
        (Some(zone), None | Some(Some(_)), None | Some(Some(_))) if problems.is_empty() => {
            let default = DateRange::default_ending_today(zone.clone(), now);
            let to = to.flatten().unwrap_or(default.to);
            let from = from.flatten().unwrap_or_else(|| seven_days_before(to));
            keep(&mut problems, DateRange::new(from, to, zone))
        }
        _ => None,
    };
    match range {
        Some(range) if problems.is_empty() => Ok(InsightParams {
            range,
            link: value(&["link"]),
            filter: ClickFilter {
                org_id,
                link_id: None,
                domain: value(&["domain"]).map(|d| {
                    Host::parse(&d).map_or_else(|_| d.to_ascii_lowercase(), Host::into_string)
                }),
                device: value(&["device"]),
                browser: value(&["browser"]),
                os: value(&["OS", "os"]),
                country: value(&["country"]).map(|c| country_code(&c)),
                city: value(&["city"]),
                medium: value(&["medium"]),
                source: value(&["source"]),
                outcome: outcome.flatten(),
            },
        }),
        _ => Err(problems),
    }
}

/// A country filter as stored: an ISO code in upper case, or `Unknown` (the value clicks
/// without a known place have, and the breakdown shows) in any case.
fn country_code(value: &str) -> String {
    if value.eq_ignore_ascii_case(crate::clicks::geo::UNKNOWN) {
        crate::clicks::geo::UNKNOWN.to_owned()
    } else {
        value.to_ascii_uppercase()
    }
}

/// An outcome filter as stored (`rule:2`; `''` for `destination`).
fn outcome(value: &str) -> Result<String, String> {
    crate::clicks::Outcome::parse(value)
        .map(|outcome| outcome.stored().into_owned())
        .ok_or_else(|| {
            format!(
                "outcome must be destination, expired, password, rule:N or variant:N (N the \
                 index of the rule or variant in the link's list, from 0); got {value:?}"
            )
        })
}

/// Records a validation problem, keeping the value of a success.
fn keep<T>(problems: &mut Vec<String>, result: Result<T, String>) -> Option<T> {
    result.map_err(|problem| problems.push(problem)).ok()
}

fn seven_days_before(date: jiff::civil::Date) -> jiff::civil::Date {
    use jiff::ToSpan;
    date.checked_sub(7.days()).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: timestamp::Millis = 1_733_050_800_000; // 2024-12-01T11:00:00Z

    fn problems(query: &str) -> Vec<String> {
        match parse(query, 1, NOW) {
            Err(problems) => problems,
            other => panic!("expected 400 for {query:?}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_last_seven_days_and_today_in_utc() {
        let params = parse("", 1, NOW).unwrap();
        assert_eq!(params.range.from.to_string(), "2024-11-24");
        assert_eq!(params.range.to.to_string(), "2024-12-01");
        assert_eq!(params.range.zone.iana_name(), Some("UTC"));
    }

    #[test]
    fn today_depends_on_the_zone() {
        let params = parse("timezone=Pacific/Kiritimati", 1, NOW).unwrap(); // UTC+14
        assert_eq!(params.range.to.to_string(), "2024-12-02");
    }

    #[test]
    fn filters_are_read_with_pxl_names() {
        let params = parse(
            "OS=iOS&country=de&device=Mobile&source=google&link=abc&domain=Go.Example",
            1,
            NOW,
        )
        .unwrap();
        assert_eq!(params.filter.os.as_deref(), Some("iOS"));
        assert_eq!(params.filter.country.as_deref(), Some("DE"));
        assert_eq!(params.filter.domain.as_deref(), Some("go.example"));
        assert_eq!(params.link.as_deref(), Some("abc"));
        assert_eq!(
            parse("os=Android", 1, NOW).unwrap().filter.os.as_deref(),
            Some("Android")
        );
    }

    #[test]
    fn bad_values_are_400_with_every_problem() {
        assert_eq!(
            problems("datefrom=2024-13-01&timezone=Nowhere/City").len(),
            2
        );
        assert!(problems("datefrom=2024-12-05&dateto=2024-12-01")[0].contains("after"));
        assert!(problems("datefrom=2023-01-01&dateto=2024-12-01")[0].contains("at most 366"));
        assert!(problems("dateto=tomorrow")[0].contains("YYYY-MM-DD"));
        assert!(problems("outcome=variant:a")[0].contains("rule:N or variant:N"));
        assert_eq!(
            parse("outcome=rule:3", 1, NOW)
                .unwrap()
                .filter
                .outcome
                .as_deref(),
            Some("rule:3")
        );
        assert_eq!(
            parse("outcome=destination", 1, NOW)
                .unwrap()
                .filter
                .outcome
                .as_deref(),
            Some("")
        );
    }
}
