//! `openpxl import shlink URL --api-key KEY`: links, tags and visits through Shlink's REST
//! API (v3), page by page: `GET /rest/v3/short-urls` and, for each short URL,
//! `GET /rest/v3/short-urls/{shortCode}/visits`. Shlink answers with anonymized visits
//! (no address): a visitor is told apart by User-Agent and place within a day, which is
//! as close as the source allows.

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    import::{Importer, Summary},
    progress::Progress,
    record::{ClickRecord, LinkRecord, LoggedVisit},
    rest::{Api, RestError},
};
use crate::timestamp::{MILLIS_PER_DAY, parse_iso};

/// Short URLs asked for per page.
const LINKS_PER_PAGE: u32 = 100;
/// Visits asked for per page.
const VISITS_PER_PAGE: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ShlinkError {
    #[error(transparent)]
    Source(#[from] RestError),
    #[error("cannot write to the database: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShortUrlsAnswer {
    short_urls: Page<ShortUrl>,
}

#[derive(Debug, Deserialize)]
struct VisitsAnswer {
    visits: Page<Visit>,
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    data: Vec<T>,
    pagination: Pagination,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    current_page: u32,
    pages_count: u32,
    #[serde(default)]
    total_items: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShortUrl {
    short_code: String,
    long_url: String,
    date_created: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    title: Option<String>,
    /// `null`: Shlink's default domain.
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    meta: Meta,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    max_visits: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Visit {
    #[serde(default)]
    referer: String,
    date: String,
    #[serde(default)]
    user_agent: String,
    #[serde(default)]
    visit_location: Option<Location>,
    #[serde(default)]
    potential_bot: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(default)]
    country_code: String,
    #[serde(default)]
    city_name: String,
}

/// Imports every short URL of the Shlink at `base` (with its visits); links on Shlink's
/// default domain go on `default_domain`.
pub async fn import(
    base: &str,
    api_key: &str,
    default_domain: &str,
    mut importer: Importer<'_>,
) -> Result<Summary, ShlinkError> {
    let api = Shlink {
        api: Api::new("Shlink", "X-Api-Key", api_key)?,
        base: base.trim_end_matches('/'),
    };
    let mut progress: Option<Progress> = None;
    let mut page = 1;
    loop {
        let answer: ShortUrlsAnswer = api
            .get(&format!(
                "/rest/v3/short-urls?page={page}&itemsPerPage={LINKS_PER_PAGE}&orderBy=dateCreated-ASC"
            ))
            .await?;
        let progress = progress.get_or_insert_with(|| {
            Progress::new(Some(answer.short_urls.pagination.total_items), "links")
        });
        for short_url in answer.short_urls.data {
            progress.advance(1);
            let clicks = api.visits(&short_url, default_domain).await?;
            importer
                .link(link_of(short_url, default_domain), clicks)
                .await?;
        }
        let pagination = answer.short_urls.pagination;
        if pagination.current_page >= pagination.pages_count {
            break;
        }
        page = pagination.current_page + 1;
    }
    if let Some(progress) = progress {
        progress.finish();
    }
    Ok(importer.finish().await?)
}

struct Shlink<'a> {
    api: Api<'a>,
    base: &'a str,
}

impl Shlink<'_> {
    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ShlinkError> {
        Ok(self.api.get(&format!("{}{path}", self.base)).await?)
    }

    /// Every visit of a short URL, oldest first.
    async fn visits(
        &self,
        short_url: &ShortUrl,
        default_domain: &str,
    ) -> Result<Vec<ClickRecord>, ShlinkError> {
        let short_id = format!(
            "{}/{}",
            short_url.domain.as_deref().unwrap_or(default_domain),
            short_url.short_code
        );
        let domain = short_url
            .domain
            .as_deref()
            .map(|d| {
                format!(
                    "&domain={}",
                    url::form_urlencoded::byte_serialize(d.as_bytes()).collect::<String>()
                )
            })
            .unwrap_or_default();
        let code: String =
            url::form_urlencoded::byte_serialize(short_url.short_code.as_bytes()).collect();
        let mut clicks = Vec::new();
        let mut page = 1;
        loop {
            let answer: VisitsAnswer = self
                .get(&format!(
                    "/rest/v3/short-urls/{code}/visits?page={page}&itemsPerPage={VISITS_PER_PAGE}{domain}"
                ))
                .await?;
            clicks.extend(
                answer
                    .visits
                    .data
                    .iter()
                    .filter_map(|v| click_of(&short_id, v)),
            );
            let pagination = answer.visits.pagination;
            if pagination.current_page >= pagination.pages_count {
                break;
            }
            page = pagination.current_page + 1;
        }
        // Shlink lists the newest first.
        clicks.sort_by(|a, b| a.at.cmp(&b.at));
        Ok(clicks)
    }
}

fn link_of(short_url: ShortUrl, default_domain: &str) -> LinkRecord {
    let domain = short_url
        .domain
        .unwrap_or_else(|| default_domain.to_owned());
    LinkRecord {
        title: short_url.title.filter(|t| !t.trim().is_empty()),
        tags: short_url.tags,
        expires_at: short_url.meta.valid_until,
        max_clicks: short_url.meta.max_visits,
        ..LinkRecord::plain(
            domain,
            short_url.short_code,
            short_url.long_url,
            short_url.date_created,
        )
    }
}

/// A visit as a click; `None` if its date cannot be read.
fn click_of(short_id: &str, visit: &Visit) -> Option<ClickRecord> {
    let at = parse_iso(&visit.date).ok()?;
    let unknown = crate::clicks::geo::UNKNOWN;
    let place = visit.visit_location.as_ref();
    let country = place
        .map(|p| p.country_code.trim().to_ascii_uppercase())
        .filter(|c| c.len() == 2)
        .unwrap_or_else(|| unknown.to_owned());
    let city = place
        .map(|p| p.city_name.trim().to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| unknown.to_owned());
    // No address: the day, the User-Agent and the place tell visitors apart.
    let mut hash = Sha256::new();
    for part in [
        &at.div_euclid(MILLIS_PER_DAY).to_be_bytes()[..],
        visit.user_agent.as_bytes(),
        country.as_bytes(),
        city.as_bytes(),
    ] {
        hash.update(part);
        hash.update([0]);
    }
    let key = hash.finalize()[..16].to_vec();
    let logged = LoggedVisit {
        short_id,
        at,
        user_agent: &visit.user_agent,
        referer: Some(visit.referer.as_str()).filter(|r| !r.is_empty()),
        country,
        city,
        flagged_bot: visit.potential_bot,
    };
    Some(ClickRecord::of_logged(logged, |_| key))
}
