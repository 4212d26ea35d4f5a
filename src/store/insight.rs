//! The analytics queries behind `GET /api/v1/insight`, over raw clicks (`clicks`) and over
//! the daily roll-ups (`daily_clicks`, and one link's in `daily_link_values`; see
//! [`super::rollups`]). Every query is built from a
//! typed [`ClickFilter`] with bound parameters only ([`super::sql::Sql`]); the grouping
//! dimensions come from a fixed list, never from the request. Human clicks only: bot visits
//! are never counted.

use std::collections::HashMap;

use super::Store;
use super::rollups::SlotCounts;
use super::sql::{Param, Sql};
use crate::{
    analytics::question::{ClickFilter, Counts, Dimension, RollupRows},
    timestamp::Millis,
};

impl Store {
    /// Clicks and unique visitors in the `[start, end)` ranges (no query if there are none).
    pub async fn insight_counts(
        &self,
        filter: &ClickFilter,
        ranges: &[(Millis, Millis)],
    ) -> Result<Counts, sqlx::Error> {
        if ranges.is_empty() {
            return Ok(Counts::default());
        }
        let mut sql = Sql::new("SELECT COUNT(*), COUNT(DISTINCT c.visitor) FROM clicks c WHERE");
        sql.filter(filter).click_times(self.backend, ranges);
        let (total, unique): (i64, i64) = sql.query_as().fetch_one(&self.analytics).await?;
        Ok(Counts { total, unique })
    }

    /// Clicks in `[start, end)`, without the unique visitors (the insight's `recent`: a
    /// `COUNT(DISTINCT)` over a busy half hour costs more than the count).
    pub async fn insight_clicks(
        &self,
        filter: &ClickFilter,
        (start, end): (Millis, Millis),
    ) -> Result<i64, sqlx::Error> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM clicks c WHERE");
        sql.filter(filter)
            .click_times(self.backend, &[(start, end)]);
        let (total,): (i64,) = sql.query_as().fetch_one(&self.analytics).await?;
        Ok(total)
    }

    /// Clicks and unique visitors per bucket `[start, end)`, in the order given.
    pub async fn insight_buckets(
        &self,
        filter: &ClickFilter,
        buckets: &[(Millis, Millis)],
    ) -> Result<Vec<Counts>, sqlx::Error> {
        let mut counts = vec![Counts::default(); buckets.len()];
        let Some(&(first, _)) = buckets.first() else {
            return Ok(counts);
        };
        let rows: Vec<(i64, i64, i64)> = match grid(buckets) {
            // Equal buckets on one grid (UTC days, hours, local days without a DST change):
            // the bucket of a click is arithmetic.
            Some(length) => {
                let mut sql = Sql::new("SELECT (c.at - ");
                sql.param(Param::Int(first))
                    .push(") / ")
                    .param(Param::Int(length))
                    .push(", COUNT(*), COUNT(DISTINCT c.visitor) FROM clicks c WHERE");
                sql.filter(filter)
                    .click_times(self.backend, &runs_of(buckets))
                    .push(" GROUP BY 1");
                let rows: Vec<(i64, i64, i64)> = sql.query_as().fetch_all(&self.analytics).await?;
                let index: HashMap<i64, usize> = buckets
                    .iter()
                    .enumerate()
                    .map(|(index, (start, _))| ((start - first) / length, index))
                    .collect();
                rows.into_iter()
                    .filter_map(|(cell, total, unique)| {
                        let index = i64::try_from(*index.get(&cell)?).ok()?;
                        Some((index, total, unique))
                    })
                    .collect()
            }
            None => self.insight_uneven_buckets(filter, buckets).await?,
        };
        for (index, total, unique) in rows {
            if let Some(slot) = usize::try_from(index).ok().and_then(|i| counts.get_mut(i)) {
                *slot = Counts { total, unique };
            }
        }
        Ok(counts)
    }

    /// Buckets of different lengths (local days across a DST change), joined by range.
    async fn insight_uneven_buckets(
        &self,
        filter: &ClickFilter,
        buckets: &[(Millis, Millis)],
    ) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
        let mut sql =
            Sql::new("SELECT b.column1, COUNT(*), COUNT(DISTINCT c.visitor) FROM (VALUES ");
        for (index, (start, end)) in buckets.iter().enumerate() {
            sql.push(if index == 0 { "(" } else { ", (" });
            let index = i64::try_from(index).unwrap_or(i64::MAX);
            sql.param(Param::Int(index))
                .push(", ")
                .param(Param::Int(*start))
                .push(", ")
                .param(Param::Int(*end))
                .push(")");
        }
        sql.push(") AS b JOIN clicks c ON c.at >= b.column2 AND c.at < b.column3 AND");
        sql.filter(filter);
        // The buckets' ranges again, outside the join: they let the planner estimate the
        // rows (without them Postgres expects millions and spends a quarter second
        // compiling the query with JIT).
        sql.click_times(self.backend, &runs_of(buckets))
            .push(" GROUP BY b.column1");
        sql.query_as().fetch_all(&self.analytics).await
    }

    /// Clicks and unique visitors per value of `dimension` in the `[start, end)` ranges, in
    /// no particular order (no query if there are no ranges).
    pub async fn insight_property(
        &self,
        filter: &ClickFilter,
        dimension: Dimension,
        ranges: &[(Millis, Millis)],
    ) -> Result<Vec<(String, Counts)>, sqlx::Error> {
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        let column = dimension.column();
        let mut sql = Sql::new(&format!(
            "SELECT c.{column}, COUNT(*), COUNT(DISTINCT c.visitor) FROM clicks c WHERE"
        ));
        sql.filter(filter).click_times(self.backend, ranges);
        sql.push(&format!(" GROUP BY c.{column}"));
        let rows: Vec<(String, i64, i64)> = sql.query_as().fetch_all(&self.analytics).await?;
        Ok(counted(rows))
    }

    /// Clicks and unique visitors of the rolled-up `days` (runs, both ends included).
    pub async fn rollup_counts(
        &self,
        filter: &ClickFilter,
        rows: &RollupRows,
        days: &[(i64, i64)],
    ) -> Result<Counts, sqlx::Error> {
        if days.is_empty() {
            return Ok(Counts::default());
        }
        if let Some(link_id) = one_link(filter, rows) {
            let per_day = self
                .link_values(filter.org_id, link_id, rows.dimension, days)
                .await?;
            return Ok(per_day
                .iter()
                .flat_map(|(_, values)| values.values())
                .fold(Counts::default(), |sum, counts| sum + *counts));
        }
        let mut sql = Sql::new(&format!("SELECT {SUMS}"));
        sql.rollup(filter, rows, days);
        let (total, unique): (i64, i64) = sql.query_as().fetch_one(&self.analytics).await?;
        Ok(Counts { total, unique })
    }

    /// Clicks and unique visitors per rolled-up day of `days`; days without clicks are left
    /// out.
    pub async fn rollup_per_day(
        &self,
        filter: &ClickFilter,
        rows: &RollupRows,
        days: &[(i64, i64)],
    ) -> Result<Vec<(i64, Counts)>, sqlx::Error> {
        if days.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(link_id) = one_link(filter, rows) {
            let per_day = self
                .link_values(filter.org_id, link_id, rows.dimension, days)
                .await?;
            return Ok(per_day
                .into_iter()
                .filter_map(|(day, mut values)| values.remove("").map(|counts| (day, counts)))
                .collect());
        }
        let mut sql = Sql::new(&format!("SELECT r.day, {SUMS}"));
        sql.rollup(filter, rows, days).push(" GROUP BY r.day");
        let rows: Vec<(i64, i64, i64)> = sql.query_as().fetch_all(&self.analytics).await?;
        Ok(counted(rows))
    }

    /// The slot rows of the rolled-up `days` (runs, both ends included), of the organization
    /// or of the filter's link, by `(day, slot)`.
    pub async fn rollup_slots(
        &self,
        filter: &ClickFilter,
        days: &[(i64, i64)],
    ) -> Result<HashMap<(i64, i64), SlotCounts>, sqlx::Error> {
        if days.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql = Sql::new("SELECT r.day, r.slots FROM daily_slot_counts r WHERE");
        sql.scope(filter).spans("r.day", days);
        let rows: Vec<(i64, Vec<u8>)> = sql.query_as().fetch_all(&self.analytics).await?;
        let mut slots = HashMap::new();
        for (day, packed) in rows {
            let unpacked = super::slot_pack::unpack(&packed).map_err(sqlx::Error::Protocol)?;
            slots.extend(
                unpacked
                    .into_iter()
                    .map(|(slot, counts)| ((day, slot), counts)),
            );
        }
        Ok(slots)
    }

    /// Clicks and unique visitors per value of the column `rows.group`, over the rolled-up
    /// `days`, in no particular order.
    pub async fn rollup_property(
        &self,
        filter: &ClickFilter,
        rows: &RollupRows,
        days: &[(i64, i64)],
    ) -> Result<Vec<(String, Counts)>, sqlx::Error> {
        let Some(column) = rows.group.filter(|_| !days.is_empty()) else {
            return Ok(Vec::new());
        };
        if let Some(link_id) = one_link(filter, rows) {
            let mut sums: HashMap<String, Counts> = HashMap::new();
            for (_, values) in self
                .link_values(filter.org_id, link_id, rows.dimension, days)
                .await?
            {
                for (value, counts) in values {
                    let sum = sums.entry(value).or_default();
                    *sum = *sum + counts;
                }
            }
            return Ok(sums.into_iter().collect());
        }
        let mut sql = Sql::new(&format!("SELECT r.{column}, {SUMS}"));
        sql.rollup(filter, rows, days)
            .push(&format!(" GROUP BY r.{column}"));
        let rows: Vec<(String, i64, i64)> = sql.query_as().fetch_all(&self.analytics).await?;
        Ok(counted(rows))
    }
}

/// The link whose packed value rows (`daily_link_values`) answer the question, if it is
/// about one link: such a question is unfiltered ([`RollupRows::for_question`] reads a
/// link with any other filter raw), so its rows are value rows of one dimension.
fn one_link(filter: &ClickFilter, rows: &RollupRows) -> Option<i64> {
    let link_id = filter.link_id?;
    debug_assert!(!rows.per_traits && rows.value.is_none());
    Some(link_id)
}

/// The sums of roll-up rows, as BIGINT on both databases (Postgres sums BIGINTs into
/// NUMERIC), zero when there are no rows.
const SUMS: &str = "CAST(COALESCE(SUM(r.clicks), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(r.visitors), 0) AS BIGINT)";

/// The common length of buckets that all lie on one grid from the first one's start.
fn grid(buckets: &[(Millis, Millis)]) -> Option<Millis> {
    let (first, first_end) = *buckets.first()?;
    let length = first_end - first;
    (length > 0
        && buckets
            .iter()
            .all(|(start, end)| end - start == length && (start - first) % length == 0))
    .then_some(length)
}

/// Sorted ranges with the adjacent ones merged.
fn runs_of(ranges: &[(Millis, Millis)]) -> Vec<(Millis, Millis)> {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut runs: Vec<(Millis, Millis)> = Vec::with_capacity(sorted.len());
    for (start, end) in sorted {
        match runs.last_mut() {
            Some((_, last_end)) if *last_end >= start => *last_end = (*last_end).max(end),
            _ => runs.push((start, end)),
        }
    }
    runs
}

fn counted<K>(rows: Vec<(K, i64, i64)>) -> Vec<(K, Counts)> {
    rows.into_iter()
        .map(|(key, total, unique)| (key, Counts { total, unique }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_buckets_on_one_grid_are_found() {
        assert_eq!(grid(&[(0, 10), (10, 20), (40, 50)]), Some(10));
        assert_eq!(grid(&[(0, 10), (10, 21)]), None); // a longer day (DST)
        assert_eq!(grid(&[(0, 10), (15, 25)]), None); // off the grid
        assert_eq!(grid(&[]), None);
    }

    #[test]
    fn adjacent_ranges_merge_into_runs() {
        assert_eq!(
            runs_of(&[(20, 30), (0, 10), (10, 20), (40, 50)]),
            vec![(0, 30), (40, 50)]
        );
    }
}
