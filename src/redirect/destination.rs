//! Where a visit goes: the link's destination with the short URL's query parameters merged
//! in. The destination's own parameters win on a conflict; the others are appended in the
//! order the visitor sent them. The result is the parsed URL's serialization.

use axum::http::HeaderValue;
use url::Url;

use crate::link_cache::{ReadyLocation, location_header};

/// The `Location` header of a visit to `destination`: its ready bytes (made when the link
/// was cached) when the visit has no query, else the destination with the query merged.
pub fn location_header_for(
    destination: &Url,
    ready: Option<&ReadyLocation>,
    visit_query: Option<&str>,
) -> Option<HeaderValue> {
    let ready = match (visit_query, ready) {
        (None, Some(ready)) => ready.header(),
        _ => None,
    };
    ready.or_else(|| location_header(&location(destination, visit_query)))
}

/// The `Location` for a visit with `visit_query` (the short URL's raw query, if any).
pub fn location(destination: &Url, visit_query: Option<&str>) -> Url {
    let Some(visit_query) = visit_query.filter(|q| !q.is_empty()) else {
        return destination.clone();
    };
    let own: Vec<(String, String)> = destination.query_pairs().into_owned().collect();
    let added: Vec<(String, String)> = url::form_urlencoded::parse(visit_query.as_bytes())
        .into_owned()
        .filter(|(name, _)| !own.iter().any(|(own_name, _)| own_name == name))
        .collect();
    let mut merged = destination.clone();
    if !added.is_empty() {
        merged.query_pairs_mut().extend_pairs(added);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_without_a_query_gets_the_ready_bytes_and_one_with_a_query_the_merge() {
        let destination = Url::parse("https://example.com/a?x=1").unwrap();
        let ready = ReadyLocation::of(&destination).unwrap();
        let header = |ready, query| {
            location_header_for(&destination, ready, query)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header(Some(&ready), None), "https://example.com/a?x=1");
        assert_eq!(header(None, None), "https://example.com/a?x=1");
        assert_eq!(
            header(Some(&ready), Some("x=2&utm_source=mail")),
            "https://example.com/a?x=1&utm_source=mail"
        );
    }

    fn merge(destination: &str, query: Option<&str>) -> String {
        location(&Url::parse(destination).unwrap(), query).into()
    }

    #[test]
    fn without_a_query_the_destination_is_its_serialization() {
        assert_eq!(
            merge("https://example.com/a?x=1#top", None),
            "https://example.com/a?x=1#top"
        );
        assert_eq!(
            merge("https://example.com/a", Some("")),
            "https://example.com/a"
        );
        assert_eq!(
            merge("https://Example.COM/a b/<c>\\d", None),
            "https://example.com/a%20b/%3Cc%3E/d"
        );
    }

    #[test]
    fn visit_parameters_are_appended() {
        assert_eq!(
            merge("https://example.com/a", Some("utm_source=news&ref=1")),
            "https://example.com/a?utm_source=news&ref=1"
        );
        assert_eq!(
            merge("https://example.com/a?x=1", Some("y=2")),
            "https://example.com/a?x=1&y=2"
        );
    }

    #[test]
    fn the_destinations_own_parameters_win() {
        assert_eq!(
            merge("https://example.com/?x=1", Some("x=2&y=3")),
            "https://example.com/?x=1&y=3"
        );
        assert_eq!(
            merge("https://example.com/?x=1", Some("x=9")),
            "https://example.com/?x=1"
        );
    }

    #[test]
    fn fragments_stay_at_the_end_and_values_are_encoded() {
        assert_eq!(
            merge("https://example.com/p#frag", Some("q=a%20b")),
            "https://example.com/p?q=a+b#frag"
        );
    }
}
