//! `openpxl import csv FILE`: links from a CSV file with a header row, columns found by
//! name in any case (docs/API.md §10.2): `destination` (or `url`, `long_url`) required;
//! `route` (or `slug`), `domain`, `title`, `description`, `tags` (separated by commas)
//! and `created` (or `createdAt`, `created_at`: an ISO 8601 instant, or a date) optional;
//! other columns are ignored. Bitly's layout is read too: a short link (`link`,
//! `Bitly link`) or a custom back-half (`custom_bitlinks`) gives the route and, on a
//! branded domain, the domain. A row without a route gets one made from a hash of its
//! fields, so running the import again finds it instead of making it twice.

use std::{collections::HashMap, path::Path};

use sha2::{Digest, Sha256};

use super::{
    import::{Importer, Summary},
    progress::Progress,
    record::LinkRecord,
};
use crate::{links::tags::split_tags, timestamp};

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: csv::Error },
    #[error(
        "{path} has no destination column: name one `destination` (or `url`, `long_url`) in \
         the header row (found: {found})"
    )]
    NoDestination { path: String, found: String },
    #[error("cannot write to the database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The columns this importer reads, by the names a header may give them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Destination,
    Route,
    Domain,
    Title,
    Description,
    Tags,
    Created,
    /// A whole short link, `https://bit.ly/3abc` or `go.acme.com/launch`: its host and path.
    ShortLink,
    /// Bitly's custom back-halves of a link: short links, separated by commas or spaces.
    CustomShortLinks,
}

impl Column {
    fn named(header: &str) -> Option<Self> {
        let name: String = header
            .trim()
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match name.as_str() {
            "destination" | "url" | "longurl" | "destinationurl" | "originalurl" => {
                Self::Destination
            }
            "route" | "slug" | "backhalf" => Self::Route,
            "domain" => Self::Domain,
            "title" => Self::Title,
            "description" => Self::Description,
            "tags" => Self::Tags,
            "created" | "createdat" | "datecreated" | "createddate" => Self::Created,
            "link" | "bitlylink" | "bitlink" | "shortlink" | "shorturl" => Self::ShortLink,
            "custombitlinks" | "custombackhalves" | "custombackhalf" | "customlinks" => {
                Self::CustomShortLinks
            }
            _ => return None,
        })
    }
}

/// Imports the file; the summary.
pub async fn import(
    path: &Path,
    default_domain: &str,
    mut importer: Importer<'_>,
) -> Result<Summary, CsvError> {
    let shown = path.display().to_string();
    let read_error = |source| CsvError::Read {
        path: shown.clone(),
        source,
    };
    let total = csv::Reader::from_path(path)
        .map_err(read_error)?
        .records()
        .count() as u64;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(read_error)?;
    let headers = reader.headers().map_err(read_error)?.clone();
    // The first column of each name counts.
    let mut columns: HashMap<Column, usize> = HashMap::new();
    for (index, name) in headers.iter().enumerate() {
        if let Some(column) = Column::named(name) {
            columns.entry(column).or_insert(index);
        }
    }
    if !columns.contains_key(&Column::Destination) {
        return Err(CsvError::NoDestination {
            path: shown,
            found: headers.iter().collect::<Vec<_>>().join(", "),
        });
    }
    let mut progress = Progress::new(Some(total), "rows");
    for (index, row) in reader.records().enumerate() {
        progress.advance(1);
        // Row 1 is the header.
        let at = format!("row {}", index + 2);
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                importer.failed(at, format!("cannot be read as CSV: {error}"));
                continue;
            }
        };
        let cell = |column: Column| {
            columns
                .get(&column)
                .and_then(|&i| row.get(i))
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        match link_of(&cell, default_domain) {
            Ok(link) => importer.link(link, Vec::new()).await?,
            Err(why) => importer.failed(at, why),
        }
    }
    progress.finish();
    Ok(importer.finish().await?)
}

/// A row as the importer takes a link.
fn link_of(
    cell: &dyn Fn(Column) -> Option<String>,
    default_domain: &str,
) -> Result<LinkRecord, String> {
    let destination = cell(Column::Destination).ok_or("the destination is empty")?;
    // A custom back-half is the link people were given; the generated one comes second.
    let short = match cell(Column::CustomShortLinks)
        .and_then(|list| {
            list.split([',', ' '])
                .find(|s| !s.is_empty())
                .map(str::to_owned)
        })
        .or_else(|| cell(Column::ShortLink))
    {
        Some(text) => Some(ShortLink::parse(&text)?),
        None => None,
    };
    let domain = cell(Column::Domain)
        .or_else(|| short.as_ref().and_then(|s| s.host.clone()))
        .unwrap_or_else(|| default_domain.to_owned());
    let title = cell(Column::Title);
    let created_at = match cell(Column::Created) {
        Some(text) => created(&text)?,
        None => timestamp::iso(timestamp::now()),
    };
    let route = cell(Column::Route)
        .or(short.map(|s| s.route))
        .unwrap_or_else(|| {
            route_for(&[
                &domain,
                &destination,
                title.as_deref().unwrap_or_default(),
                &created_at,
            ])
        });
    Ok(LinkRecord {
        title,
        description: cell(Column::Description),
        tags: cell(Column::Tags)
            .map(|t| split_tags(&t))
            .unwrap_or_default(),
        ..LinkRecord::plain(domain, route, destination, created_at)
    })
}

/// Bitly's own shared short domains: nobody else can serve them, so their links move to
/// the default domain with the same back-half.
const BITLY_SHARED_HOSTS: [&str; 4] = ["bit.ly", "bitly.com", "j.mp", "bitly.is"];

/// A short link from another shortener, taken apart.
#[derive(Debug, PartialEq, Eq)]
struct ShortLink {
    /// Its host, unless it is one of Bitly's shared ones.
    host: Option<String>,
    route: String,
}

impl ShortLink {
    fn parse(text: &str) -> Result<Self, String> {
        let bare = text
            .split_once("://")
            .map_or(text, |(_, rest)| rest)
            .trim_end_matches('/');
        let Some((host, route)) = bare.split_once('/').filter(|(_, r)| !r.is_empty()) else {
            return Err(format!(
                "short link {text:?} has no back-half: write it as host/back-half, such as \
                 bit.ly/spring"
            ));
        };
        let host = host.to_ascii_lowercase();
        Ok(Self {
            host: (!BITLY_SHARED_HOSTS.contains(&host.as_str())).then_some(host),
            route: route.to_owned(),
        })
    }
}

/// A creation time as the export writes it: an ISO 8601 instant (Bitly writes offsets as
/// `+0000`), a date and time without an offset (UTC), or a date (midnight UTC).
fn created(text: &str) -> Result<String, String> {
    if let Ok(at) = timestamp::parse_iso(text) {
        return Ok(timestamp::iso(at));
    }
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Ok(timestamp::iso(at.as_millisecond()));
    }
    if let Ok(at) = text.parse::<jiff::civil::DateTime>()
        && text.len() > 10
    {
        let at = at
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|why| format!("created {text:?}: {why}"))?;
        return Ok(timestamp::iso(at.timestamp().as_millisecond()));
    }
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|_| format!("created {text:?} is not an ISO 8601 instant or a date"))?;
    let at = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|why| format!("created {text:?}: {why}"))?
        .timestamp()
        .as_millisecond();
    Ok(timestamp::iso(at))
}

/// A route made from a hash of a row's fields: 8 characters of `[a-z0-9]`, the same for
/// the same row on every run.
fn route_for(fields: &[&str]) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hash = Sha256::new();
    for field in fields {
        hash.update(field.as_bytes());
        hash.update([0]);
    }
    hash.finalize()
        .iter()
        .take(8)
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_found_by_name_in_any_spelling() {
        assert_eq!(Column::named(" Long URL "), Some(Column::Destination));
        assert_eq!(Column::named("long_url"), Some(Column::Destination));
        assert_eq!(Column::named("createdAt"), Some(Column::Created));
        assert_eq!(Column::named("Created_At"), Some(Column::Created));
        assert_eq!(Column::named("Slug"), Some(Column::Route));
        assert_eq!(Column::named("clicks"), None);
        assert_eq!(Column::named("Bitly link"), Some(Column::ShortLink));
        assert_eq!(
            Column::named("Custom back-halves"),
            Some(Column::CustomShortLinks)
        );
        assert_eq!(Column::named("Date created"), Some(Column::Created));
    }

    #[test]
    fn short_links_give_a_route_and_a_branded_host() {
        assert_eq!(
            ShortLink::parse("https://bit.ly/3AbC").unwrap(),
            ShortLink {
                host: None,
                route: "3AbC".into()
            }
        );
        assert_eq!(
            ShortLink::parse("Go.Acme.com/launch/").unwrap(),
            ShortLink {
                host: Some("go.acme.com".into()),
                route: "launch".into()
            }
        );
        assert!(
            ShortLink::parse("bit.ly/")
                .unwrap_err()
                .contains("no back-half")
        );
    }

    #[test]
    fn rows_without_a_route_get_the_same_one_each_time() {
        let a = route_for(&["go.example", "https://example.com/", "", "x"]);
        assert_eq!(
            a,
            route_for(&["go.example", "https://example.com/", "", "x"])
        );
        assert_ne!(
            a,
            route_for(&["go.example", "https://example.com/2", "", "x"])
        );
        assert_eq!(a.len(), 8);
    }

    #[test]
    fn creation_times_are_instants_or_dates() {
        assert_eq!(created("2024-05-01").unwrap(), "2024-05-01T00:00:00.000Z");
        assert_eq!(
            created("2024-05-01T10:00:00+02:00").unwrap(),
            "2024-05-01T08:00:00.000Z"
        );
        assert_eq!(
            created("2024-05-01T10:00:00+0000").unwrap(),
            "2024-05-01T10:00:00.000Z"
        );
        assert_eq!(
            created("2024-05-01 10:00:00").unwrap(),
            "2024-05-01T10:00:00.000Z"
        );
        assert!(
            created("yesterday")
                .unwrap_err()
                .contains("not an ISO 8601")
        );
    }
}
