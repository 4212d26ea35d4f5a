//! The insight object of `GET /api/v1/insight` (docs/API.md §6): recent, total and unique clicks,
//! the per-day (or per-hour) series in the caller's time zone, and the breakdowns.
//!
//! Closed UTC days are read from the daily roll-ups where they answer the question exactly
//! ([`plan`], [`RollupRows`]); the rest of the range from the raw clicks; the two parts add.

pub mod ask;
pub mod day_rollup;
pub mod interner;
pub mod limiter;
pub mod live;
pub mod live_day;
pub mod params;
pub mod plan;
pub mod question;
pub mod range;
pub mod rollup;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

pub use range::{Bucket, DateRange};

use crate::{
    analytics::question::{ClickFilter, Counts, Dimension, RollupRows},
    store::Store,
    timestamp::{Millis, utc_day},
};
use live::{LiveAnswers, LiveDays};
use plan::{Piece, Split};

/// "Recent" clicks are those of the last 30 minutes.
pub const RECENT_MS: Millis = 30 * 60 * 1000;

/// The insight object (docs/API.md §6.2).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Insight {
    /// Clicks in the last 30 minutes (filters apply, dates do not).
    pub recent: i64,
    /// Clicks in the range.
    pub total: i64,
    /// Unique visitors in the range.
    pub unique: i64,
    /// One entry per local day of the range, zero-filled; one per hour when `datefrom`
    /// equals `dateto`.
    pub grouped: Vec<GroupedCounts>,
    pub properties: Properties,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupedCounts {
    /// `2024-12-01`, or `2024-12-01T05:00:00+05:30` for hourly buckets.
    pub date: String,
    pub total: i64,
    pub unique: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PropertyCounts {
    pub value: String,
    pub total: i64,
    pub unique: i64,
}

/// Every breakdown, each sorted by total (then value).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
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
    /// What answered the clicks: `destination`, `rule:N`, `variant:N`, `expired`,
    /// `password` (an openpxl extension, docs/API.md §6.3).
    pub outcome: Vec<PropertyCounts>,
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
            Dimension::Outcome => &mut self.outcome,
        }
    }
}

/// Computes the insight of the clicks `filter` selects, over `range`, as of `now`; the
/// open days it touches are read from (and kept in) `live`.
pub async fn insight(
    store: &Store,
    live: &LiveDays,
    filter: &ClickFilter,
    range: &DateRange,
    now: Millis,
) -> Result<Insight, sqlx::Error> {
    let (from, to) = range.bounds();
    let buckets = range.buckets();
    let (first_day, last_day) = (utc_day(from), utc_day(to - 1));
    // A question no roll-up answers without a breakdown is not answered by one with it.
    let (readable, open) = if RollupRows::for_question(filter, None).is_some() {
        let readable = store
            .readable_rolled_up_days(filter.org_id, first_day, last_day)
            .await?;
        let open = live::open_days(first_day, last_day, now, &readable);
        (readable, open)
    } else {
        (BTreeSet::new(), Vec::new())
    };
    let mut split = plan::split(from, to, &readable);
    plan::carve_live(&mut split, &open.iter().copied().collect());
    let mut open_days: BTreeMap<i64, LiveAnswers> = BTreeMap::new();
    for &day in &open {
        let prefix_end = split
            .live
            .iter()
            .find(|(live_day, _)| *live_day == day)
            .map(|&(_, end)| end);
        let answers = live.answers(store, filter, day, now, prefix_end).await?;
        open_days.insert(day, answers);
    }
    let (recent, counts, series) = tokio::try_join!(
        store.insight_clicks(filter, (now - RECENT_MS, now + 1)),
        counts(store, filter, &split, &open_days),
        series(store, filter, &buckets, &readable, &open_days),
    )?;
    // The breakdowns are independent queries: run them side by side on the pool.
    let breakdowns =
        futures_util::future::try_join_all(Dimension::ALL.into_iter().enumerate().map(
            |(index, dimension)| property(store, filter, (index, dimension), &split, &open_days),
        ))
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
        recent,
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

/// Clicks and unique visitors over a split range.
async fn counts(
    store: &Store,
    filter: &ClickFilter,
    split: &Split,
    open_days: &BTreeMap<i64, LiveAnswers>,
) -> Result<Counts, sqlx::Error> {
    let Some(rows) = RollupRows::for_question(filter, None) else {
        return store.insight_counts(filter, &[split.whole]).await;
    };
    let (rolled, raw) = tokio::try_join!(
        store.rollup_counts(filter, &rows, &split.days),
        store.insight_counts(filter, &split.raw),
    )?;
    Ok(split
        .live
        .iter()
        .filter_map(|(day, _)| open_days.get(day))
        .fold(rolled + raw, |sum, answers| sum + answers.counts))
}

/// The series. Unfiltered, a bucket made of whole rolled-up days and of starts and ends of
/// them cut at a quarter hour (a UTC day, or a local day of any zone) comes from the slot
/// rows; filtered, a bucket that is exactly one rolled-up UTC day comes from the trait
/// rows. Open days kept in memory answer the same way, except ends of days, and answer
/// their UTC hours too (unfiltered). The others (other hours, days not rolled up) come
/// from the raw clicks.
async fn series(
    store: &Store,
    filter: &ClickFilter,
    buckets: &[Bucket],
    readable: &BTreeSet<i64>,
    open_days: &BTreeMap<i64, LiveAnswers>,
) -> Result<Vec<Counts>, sqlx::Error> {
    let rows = RollupRows::for_question(filter, None);
    let open: BTreeSet<i64> = open_days.keys().copied().collect();
    let answerable: BTreeSet<i64> = readable.union(&open).copied().collect();
    let mut rolled_up: Vec<(usize, Vec<Piece>)> = Vec::new();
    let mut raw: Vec<usize> = Vec::new();
    let mut series = vec![Counts::default(); buckets.len()];
    for (index, bucket) in buckets.iter().enumerate() {
        // An hour of an open day, unfiltered: its visitors are counted in memory.
        if let Some(rows) = &rows
            && !rows.per_traits
            && let Some((day, hour)) = plan::open_day_hour(bucket.start, bucket.end, &open)
        {
            series[index] = open_days
                .get(&day)
                .and_then(|answers| answers.hours.get(&hour))
                .copied()
                .unwrap_or_default();
            continue;
        }
        let pieces = match &rows {
            None => None,
            Some(rows) if !rows.per_traits => {
                plan::pieces(bucket.start, bucket.end, readable, &open)
            }
            Some(_) => plan::rolled_up_day(bucket.start, bucket.end, &answerable)
                .map(|day| vec![Piece::Whole(day)]),
        };
        match pieces {
            Some(pieces) => rolled_up.push((index, pieces)),
            None => raw.push(index),
        }
    }
    // Days read from the roll-up tables (the open ones are in memory).
    let days: BTreeSet<i64> = rolled_up
        .iter()
        .flat_map(|(_, pieces)| pieces.iter().map(|piece| piece.day()))
        .filter(|day| !open.contains(day))
        .collect();
    // Whole days are read from their day's value row; slot rows only for cut days.
    let cut_days: BTreeSet<i64> = rolled_up
        .iter()
        .flat_map(|(_, pieces)| pieces.iter())
        .filter(|piece| !matches!(piece, Piece::Whole(_)))
        .map(|piece| piece.day())
        .filter(|day| !open.contains(day))
        .collect();
    let whole_days: BTreeSet<i64> = days.difference(&cut_days).copied().collect();
    let days = plan::runs(days);
    let raw_bounds: Vec<(Millis, Millis)> = raw
        .iter()
        .map(|&index| (buckets[index].start, buckets[index].end))
        .collect();
    let open_whole = |day: i64| open_days.get(&day).map(|answers| answers.whole);
    let (rolled_up_counts, raw_counts) = tokio::try_join!(
        async {
            match &rows {
                Some(rows) if !rows.per_traits => {
                    let (cut_runs, whole_runs) =
                        (plan::runs(cut_days.clone()), plan::runs(whole_days.clone()));
                    let (mut slots, per_day) = tokio::try_join!(
                        store.rollup_slots(filter, &cut_runs),
                        store.rollup_per_day(filter, rows, &whole_runs),
                    )?;
                    for (&day, answers) in open_days {
                        slots.extend(
                            answers
                                .slots
                                .iter()
                                .map(|(&slot, &counts)| ((day, slot), counts)),
                        );
                    }
                    let per_day: HashMap<i64, Counts> = per_day.into_iter().collect();
                    Ok(rolled_up
                        .iter()
                        .map(|(_, pieces)| {
                            let (whole, cut): (Vec<Piece>, Vec<Piece>) =
                                pieces.iter().partition(|piece| {
                                    matches!(piece, Piece::Whole(_))
                                        && (whole_days.contains(&piece.day())
                                            || open.contains(&piece.day()))
                                });
                            whole
                                .iter()
                                .filter_map(|piece| {
                                    open_whole(piece.day())
                                        .or_else(|| per_day.get(&piece.day()).copied())
                                })
                                .fold(plan::count_pieces(&cut, &slots), std::ops::Add::add)
                        })
                        .collect())
                }
                Some(rows) => {
                    let per_day: HashMap<i64, Counts> = store
                        .rollup_per_day(filter, rows, &days)
                        .await?
                        .into_iter()
                        .collect();
                    Ok(rolled_up
                        .iter()
                        .map(|(_, pieces)| {
                            pieces
                                .iter()
                                .filter_map(|piece| {
                                    open_whole(piece.day())
                                        .or_else(|| per_day.get(&piece.day()).copied())
                                })
                                .fold(Counts::default(), std::ops::Add::add)
                        })
                        .collect())
                }
                None => Ok(Vec::new()),
            }
        },
        store.insight_buckets(filter, &raw_bounds),
    )?;
    for ((index, _), counts) in rolled_up.iter().zip(rolled_up_counts) {
        series[*index] = counts;
    }
    for (index, counts) in raw.into_iter().zip(raw_counts) {
        series[index] = counts;
    }
    Ok(series)
}

/// One breakdown over a split range, in no particular order.
async fn property(
    store: &Store,
    filter: &ClickFilter,
    (index, dimension): (usize, Dimension),
    split: &Split,
    open_days: &BTreeMap<i64, LiveAnswers>,
) -> Result<Vec<(String, Counts)>, sqlx::Error> {
    let Some(rows) = RollupRows::for_question(filter, Some(dimension)) else {
        return store
            .insight_property(filter, dimension, &[split.whole])
            .await;
    };
    let (rolled, raw) = tokio::try_join!(
        store.rollup_property(filter, &rows, &split.days),
        store.insight_property(filter, dimension, &split.raw),
    )?;
    let live = split
        .live
        .iter()
        .filter_map(|(day, _)| open_days.get(day))
        .filter_map(|answers| answers.properties.get(index).cloned().flatten())
        .flatten();
    let mut merged: HashMap<String, Counts> = HashMap::new();
    for (value, counts) in rolled.into_iter().chain(raw).chain(live) {
        let slot = merged.entry(value).or_default();
        *slot = *slot + counts;
    }
    Ok(merged.into_iter().collect())
}

/// A visit without a Referer is stored with an empty referrer and shown as `direct`; the
/// outcome `destination` is stored as `''` too.
fn display_value(dimension: Dimension, value: String) -> String {
    match dimension {
        Dimension::Referrer if value.is_empty() => "direct".to_owned(),
        Dimension::Outcome if value.is_empty() => "destination".to_owned(),
        _ => value,
    }
}
