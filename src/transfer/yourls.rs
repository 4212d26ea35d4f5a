//! `openpxl import yourls mysql://...`: links and their click history straight from a
//! YOURLS database (its `yourls_url` and `yourls_log` tables, as YOURLS's installer
//! creates them; another table prefix with `--prefix`). Read as two streams ordered by
//! keyword and merged, so memory stays flat.
//!
//! A YOURLS click has a time, a Referer, a User-Agent, an IP address and a country code.
//! They become openpxl clicks the way a visit does: device, browser and OS from the
//! User-Agent, bots told apart, source and medium from the Referer, and a visitor key
//! hashed from the address and User-Agent with a salt made for the import and dropped
//! after it (so unique visitors per day are exact and no address is kept).

use std::{collections::HashMap, net::IpAddr};

use futures_util::{StreamExt, TryStreamExt};
use rand::RngCore;
use sqlx::{MySqlPool, mysql::MySqlPoolOptions};

use super::{
    import::{Importer, Summary},
    progress::Progress,
    record::{ClickRecord, LinkRecord, LoggedVisit},
};
use crate::{
    clicks::visitor::visitor_key,
    timestamp::{self, MILLIS_PER_DAY},
};

#[derive(Debug, thiserror::Error)]
pub enum YourlsError {
    #[error("cannot read the YOURLS database: {0}")]
    Source(sqlx::Error),
    #[error(
        "the table prefix must be letters, digits and `_` (got {0:?}); YOURLS's default is yourls_"
    )]
    Prefix(String),
    #[error("cannot write to the database: {0}")]
    Database(#[from] sqlx::Error),
}

/// A row of `yourls_url`.
#[derive(Debug, sqlx::FromRow)]
struct UrlRow {
    keyword: String,
    url: String,
    title: Option<String>,
    created: i64,
}

/// A row of `yourls_log`.
#[derive(Debug, sqlx::FromRow)]
struct LogRow {
    shorturl: String,
    at: i64,
    referrer: String,
    user_agent: String,
    ip_address: String,
    country_code: String,
}

/// Imports the YOURLS database at `url` onto `domain`; the summary.
pub async fn import(
    url: &str,
    prefix: &str,
    domain: &str,
    org_id: i64,
    mut importer: Importer<'_>,
) -> Result<Summary, YourlsError> {
    if prefix.is_empty()
        || !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(YourlsError::Prefix(prefix.to_owned()));
    }
    let source = MySqlPoolOptions::new()
        .max_connections(2)
        // YOURLS's times are read as UTC (its `timestamp` column is stored so; its
        // `click_time` is written in UTC by a default installation).
        .after_connect(|connection, _| {
            Box::pin(async move {
                use sqlx::Executor;
                connection.execute("SET time_zone = '+00:00'").await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(YourlsError::Source)?;
    let total = count_urls(&source, prefix)
        .await
        .map_err(YourlsError::Source)?;
    let mut progress = Progress::new(Some(total), "links");
    let mut salts = Salts::default();
    let urls_sql = urls_query(prefix);
    let logs_sql = logs_query(prefix);
    let mut urls = sqlx::query_as::<_, UrlRow>(&urls_sql).fetch(&source);
    let mut logs = sqlx::query_as::<_, LogRow>(&logs_sql)
        .fetch(&source)
        .peekable();
    while let Some(row) = urls.try_next().await.map_err(YourlsError::Source)? {
        progress.advance(1);
        let short_id = format!("{domain}/{}", row.keyword);
        let mut clicks = Vec::new();
        // Both are ordered by keyword, byte by byte (YOURLS's keywords are binary-collated).
        while let Some(next) = std::pin::Pin::new(&mut logs).peek().await {
            match next {
                Ok(log) if log.shorturl.as_bytes() > row.keyword.as_bytes() => break,
                _ => {}
            }
            let log = logs
                .next()
                .await
                .expect("peeked")
                .map_err(YourlsError::Source)?;
            if log.shorturl == row.keyword {
                clicks.push(click_of(&short_id, &log, org_id, &mut salts));
            }
        }
        importer.link(link_of(domain, row), clicks).await?;
    }
    progress.finish();
    source.close().await;
    Ok(importer.finish().await?)
}

fn count_urls_query(prefix: &str) -> String {
    format!("SELECT COUNT(*) FROM {prefix}url")
}

async fn count_urls(source: &MySqlPool, prefix: &str) -> Result<u64, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(&count_urls_query(prefix))
        .fetch_one(source)
        .await?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// Links by keyword; their creation as Unix milliseconds (the server's time zone is
/// MySQL's: `UNIX_TIMESTAMP` reads the stored time in it, as YOURLS wrote it).
fn urls_query(prefix: &str) -> String {
    format!(
        "SELECT CAST(keyword AS CHAR) AS keyword, CAST(url AS CHAR) AS url, \
                CAST(title AS CHAR) AS title, \
                CAST(UNIX_TIMESTAMP(`timestamp`) * 1000 AS SIGNED) AS created \
         FROM {prefix}url ORDER BY keyword"
    )
}

/// Clicks by keyword, oldest first.
fn logs_query(prefix: &str) -> String {
    format!(
        "SELECT CAST(shorturl AS CHAR) AS shorturl, \
                CAST(UNIX_TIMESTAMP(click_time) * 1000 AS SIGNED) AS at, \
                CAST(referrer AS CHAR) AS referrer, CAST(user_agent AS CHAR) AS user_agent, \
                CAST(ip_address AS CHAR) AS ip_address, CAST(country_code AS CHAR) AS country_code \
         FROM {prefix}log ORDER BY shorturl, click_id"
    )
}

fn link_of(domain: &str, row: UrlRow) -> LinkRecord {
    LinkRecord {
        title: row.title.filter(|t| !t.trim().is_empty()),
        ..LinkRecord::plain(
            domain.to_owned(),
            row.keyword,
            row.url,
            timestamp::iso(row.created),
        )
    }
}

/// A random salt per UTC day, made for this import and dropped with it.
#[derive(Default)]
struct Salts(HashMap<i64, [u8; 32]>);

impl Salts {
    fn of_day(&mut self, day: i64) -> [u8; 32] {
        *self.0.entry(day).or_insert_with(|| {
            let mut salt = [0_u8; 32];
            rand::rng().fill_bytes(&mut salt);
            salt
        })
    }
}

fn click_of(short_id: &str, log: &LogRow, org_id: i64, salts: &mut Salts) -> ClickRecord {
    let country = match log.country_code.trim() {
        code if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) => {
            code.to_ascii_uppercase()
        }
        _ => crate::clicks::geo::UNKNOWN.to_owned(),
    };
    let city = crate::clicks::geo::UNKNOWN.to_owned();
    let ip: IpAddr = log.ip_address.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let salt = salts.of_day(log.at.div_euclid(MILLIS_PER_DAY));
    let traits = (country.clone(), city.clone());
    let visit = LoggedVisit {
        short_id,
        at: log.at,
        user_agent: &log.user_agent,
        // YOURLS writes `direct` when there was no Referer.
        referer: Some(log.referrer.as_str()).filter(|r| !r.is_empty() && *r != "direct"),
        country,
        city,
        flagged_bot: false,
    };
    ClickRecord::of_logged(visit, |found| {
        visitor_key(
            &salt,
            ip,
            &log.user_agent,
            org_id,
            [
                &traits.0,
                &traits.1,
                found.device,
                &found.browser,
                &found.os,
            ],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yourls_click_becomes_a_click_without_its_address() {
        let log = LogRow {
            shorturl: "abc".into(),
            at: 1_717_200_000_000,
            referrer: "https://www.google.com/search?q=x".into(),
            user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1".into(),
            ip_address: "203.0.113.9".into(),
            country_code: "de".into(),
        };
        let mut salts = Salts::default();
        let click = click_of("go.example/abc", &log, 1, &mut salts);
        assert_eq!(click.country, "DE");
        assert_eq!(
            (click.device.as_str(), click.os.as_str()),
            ("Mobile", "iOS")
        );
        assert_eq!(
            (click.source.as_str(), click.medium.as_str()),
            ("google", "organic")
        );
        assert!(!click.bot);
        assert!(
            !serde_json::to_string(&click)
                .unwrap()
                .contains("203.0.113.9")
        );
        // The same person the same day is one visitor; another day, another.
        let again = click_of("go.example/abc", &log, 1, &mut salts);
        assert_eq!(click.visitor, again.visitor);
        let next_day = LogRow {
            at: log.at + MILLIS_PER_DAY,
            ..log
        };
        assert_ne!(
            click_of("go.example/abc", &next_day, 1, &mut salts).visitor,
            click.visitor
        );
        let direct = LogRow {
            referrer: "direct".into(),
            user_agent: "curl/8.0".into(),
            ..next_day
        };
        let direct = click_of("go.example/abc", &direct, 1, &mut salts);
        assert_eq!(direct.source, "direct");
        assert!(direct.bot);
    }
}
