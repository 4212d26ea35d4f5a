//! The insight object of `GET /api/v1/insight` (SPEC §6): recent, total and unique clicks,
//! the per-day (or per-hour) series in the caller's time zone, and the breakdowns.

pub mod range;

use serde::Serialize;

pub use range::{Bucket, DateRange};

use crate::{
    store::{ClickFilter, Counts, Dimension, Store},
    timestamp::Millis,
};

/// "Recent" clicks are those of the last 30 minutes.
pub const RECENT_MS: Millis = 30 * 60 * 1000;

#[derive(Debug, Serialize)]
pub struct Insight {
    pub recent: i64,
    pub total: i64,
    pub unique: i64,
    pub grouped: Vec<GroupedCounts>,
    pub properties: Properties,
}

#[derive(Debug, Serialize)]
pub struct GroupedCounts {
    /// `2024-12-01`, or `2024-12-01T05:00:00+05:30` for hourly buckets.
    pub date: String,
    pub total: i64,
    pub unique: i64,
}

#[derive(Debug, Serialize)]
pub struct PropertyCounts {
    pub value: String,
    pub total: i64,
    pub unique: i64,
}

/// Every breakdown, each sorted by total (then value).
#[derive(Debug, Default, Serialize)]
pub struct Properties {
    pub country: Vec<PropertyCounts>,
    pub city: Vec<PropertyCounts>,
    pub device: Vec<PropertyCounts>,
    pub browser: Vec<PropertyCounts>,
    pub os: Vec<PropertyCounts>,
    pub source: Vec<PropertyCounts>,
    pub medium: Vec<PropertyCounts>,
    pub referrer: Vec<PropertyCounts>,
    pub language: Vec<PropertyCounts>,
}

impl Properties {
    fn slot(&mut self, dimension: Dimension) -> &mut Vec<PropertyCounts> {
        match dimension {
            Dimension::Country => &mut self.country,
            Dimension::City => &mut self.city,
            Dimension::Device => &mut self.device,
            Dimension::Browser => &mut self.browser,
            Dimension::Os => &mut self.os,
            Dimension::Source => &mut self.source,
            Dimension::Medium => &mut self.medium,
            Dimension::Referrer => &mut self.referrer,
            Dimension::Language => &mut self.language,
        }
    }
}

/// Computes the insight of the clicks `filter` selects, over `range`, as of `now`.
pub async fn insight(
    store: &Store,
    filter: &ClickFilter,
    range: &DateRange,
    now: Millis,
) -> Result<Insight, sqlx::Error> {
    let (from, to) = range.bounds();
    let buckets = range.buckets();
    let bounds: Vec<(Millis, Millis)> = buckets.iter().map(|b| (b.start, b.end)).collect();
    let (recent, counts, series) = tokio::try_join!(
        store.insight_counts(filter, now - RECENT_MS, now + 1),
        store.insight_counts(filter, from, to),
        store.insight_buckets(filter, &bounds),
    )?;
    // The breakdowns are independent queries: run them side by side on the pool.
    let breakdowns = futures_util::future::try_join_all(
        Dimension::ALL.map(|dimension| store.insight_property(filter, dimension, from, to)),
    )
    .await?;
    let mut properties = Properties::default();
    for (dimension, rows) in Dimension::ALL.into_iter().zip(breakdowns) {
        let mut counts: Vec<PropertyCounts> = rows
            .into_iter()
            .map(|(value, Counts { total, unique })| PropertyCounts {
                value: display_value(dimension, value),
                total,
                unique,
            })
            .collect();
        // Sorted here, not by the database, so ties come out the same on every backend and
        // collation: by total, then by value.
        counts.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.value.cmp(&b.value)));
        *properties.slot(dimension) = counts;
    }
    Ok(Insight {
        recent: recent.total,
        total: counts.total,
        unique: counts.unique,
        grouped: buckets
            .into_iter()
            .zip(series)
            .map(|(bucket, Counts { total, unique })| GroupedCounts {
                date: bucket.label,
                total,
                unique,
            })
            .collect(),
        properties,
    })
}

/// A visit without a Referer is stored with an empty referrer and shown as `direct`.
fn display_value(dimension: Dimension, value: String) -> String {
    if dimension == Dimension::Referrer && value.is_empty() {
        "direct".to_owned()
    } else {
        value
    }
}
