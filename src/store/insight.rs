//! The analytics queries behind `GET /api/v1/insight`, over raw clicks (`clicks`) and over
//! the daily roll-ups (`daily_clicks`, see [`super::rollups`]). Every query is built from a
//! typed [`ClickFilter`] with bound parameters only; the grouping dimensions come from a
//! fixed list, never from the request. Human clicks only: bot visits are never counted.

use std::collections::HashMap;

use sqlx::{Any, any::AnyArguments, query::QueryAs};

use super::Store;
use super::rollups::SlotCounts;
use crate::timestamp::Millis;

/// Which clicks an insight counts.
#[derive(Debug, Clone, Default)]
pub struct ClickFilter {
    pub org_id: i64,
    pub link_id: Option<i64>,
    pub domain: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub medium: Option<String>,
    pub source: Option<String>,
}

/// A breakdown dimension of the insight: a column of `clicks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Country,
    City,
    Device,
    Browser,
    Os,
    Source,
    Medium,
    Referrer,
    Language,
}

impl Dimension {
    /// Whether one visitor's clicks on one day can differ in this dimension. The others are
    /// traits of the visitor key (`clicks::visitor`): one per visitor and day.
    pub fn varies_per_click(self) -> bool {
        matches!(
            self,
            Self::Source | Self::Medium | Self::Referrer | Self::Language
        )
    }

    pub const ALL: [Self; 9] = [
        Self::Country,
        Self::City,
        Self::Device,
        Self::Browser,
        Self::Os,
        Self::Source,
        Self::Medium,
        Self::Referrer,
        Self::Language,
    ];

    /// The column, and the name in the insight's `properties`.
    pub fn column(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::City => "city",
            Self::Device => "device",
            Self::Browser => "browser",
            Self::Os => "os",
            Self::Source => "source",
            Self::Medium => "medium",
            Self::Referrer => "referrer",
            Self::Language => "language",
        }
    }
}

/// Clicks and unique visitors of something.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: i64,
    pub unique: i64,
}

/// Which `daily_clicks` rows answer a question exactly, and how to group them.
///
/// Value rows answer unfiltered questions (of the organization, a link or a domain): one
/// row per day and value, whose visitors add up across days. Trait rows answer filtered
/// ones: rows of one day and dimension value never share a visitor unless they share the
/// visitor's traits, so summing `visitors` is exact as long as the question involves at
/// most one click-varying dimension (the one the rows are split by). A link or domain
/// together with other filters has no exact roll-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRows {
    /// Trait rows (`true`) or value rows.
    pub per_traits: bool,
    /// `daily_clicks.dimension`.
    pub dimension: &'static str,
    /// The value the filter asks for, in that dimension.
    pub value: Option<String>,
    /// The column to group by, if any.
    pub group: Option<&'static str>,
}

impl RollupRows {
    /// The rows that answer `filter`, broken down by `breakdown`, if roll-ups can.
    pub fn for_question(filter: &ClickFilter, breakdown: Option<Dimension>) -> Option<Self> {
        if filter.link_id.is_some() && filter.domain.is_some() {
            return None; // rare; value rows are per link or per domain, not both
        }
        let traits = [
            &filter.device,
            &filter.browser,
            &filter.os,
            &filter.country,
            &filter.city,
        ];
        let filtered = traits.iter().any(|t| t.is_some())
            || filter.source.is_some()
            || filter.medium.is_some();
        if !filtered {
            return Some(Self {
                per_traits: false,
                dimension: breakdown.map_or("all", Dimension::column),
                value: None,
                group: breakdown.map(|_| "value"),
            });
        }
        if filter.link_id.is_some() || filter.domain.is_some() {
            return None; // trait rows are kept per organization only
        }
        let mut varying: Vec<(&'static str, Option<&String>)> = Vec::new();
        if let Some(source) = &filter.source {
            varying.push(("source", Some(source)));
        }
        if let Some(medium) = &filter.medium {
            varying.push(("medium", Some(medium)));
        }
        if let Some(dimension) = breakdown.filter(|d| d.varies_per_click())
            && !varying.iter().any(|(name, _)| *name == dimension.column())
        {
            varying.push((dimension.column(), None));
        }
        let (dimension, value) = match varying.as_slice() {
            [] => ("", None),
            [(dimension, value)] => (*dimension, value.cloned()),
            _ => return None,
        };
        let group = breakdown.map(|d| {
            if d.varies_per_click() {
                "value"
            } else {
                d.column()
            }
        });
        Some(Self {
            per_traits: true,
            dimension,
            value,
            group,
        })
    }
}

/// A parameter of a query being built.
enum Param {
    Int(i64),
    Text(String),
    Bool(bool),
}

/// SQL text and its parameters, numbered as they are added.
struct Sql {
    text: String,
    params: Vec<Param>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends `$n` for a new parameter.
    fn param(&mut self, param: Param) -> &mut Self {
        self.params.push(param);
        self.text.push_str(&format!("${}", self.params.len()));
        self
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// `AND c.org_id = $ AND c.bot = $ [AND ...]` for a filter, on clicks aliased `c`.
    fn filter(&mut self, filter: &ClickFilter) -> &mut Self {
        self.push(" c.org_id = ").param(Param::Int(filter.org_id));
        self.push(" AND c.bot = ").param(Param::Bool(false));
        if let Some(link_id) = filter.link_id {
            self.push(" AND c.link_id = ").param(Param::Int(link_id));
        }
        if let Some(domain) = &filter.domain {
            // Deleted links included: their clicks stay in the history.
            self.push(" AND c.link_id IN (SELECT id FROM links WHERE org_id = ")
                .param(Param::Int(filter.org_id))
                .push(" AND domain = ")
                .param(Param::Text(domain.clone()))
                .push(")");
        }
        self.traits("c", filter);
        for (column, value) in [("medium", &filter.medium), ("source", &filter.source)] {
            if let Some(value) = value {
                self.push(&format!(" AND c.{column} = "))
                    .param(Param::Text(value.clone()));
            }
        }
        self
    }

    /// `AND a.device = $ ...` for the visitor traits a filter names, on table alias `a`.
    fn traits(&mut self, alias: &str, filter: &ClickFilter) -> &mut Self {
        let columns = [
            ("device", &filter.device),
            ("browser", &filter.browser),
            ("os", &filter.os),
            ("country", &filter.country),
            ("city", &filter.city),
        ];
        for (column, value) in columns {
            if let Some(value) = value {
                self.push(&format!(" AND {alias}.{column} = "))
                    .param(Param::Text(value.clone()));
            }
        }
        self
    }

    /// `AND (c.at >= $ AND c.at < $ OR ...)`: any of the `[start, end)` ranges.
    fn ranges(&mut self, ranges: &[(Millis, Millis)]) -> &mut Self {
        self.push(" AND (");
        for (index, (from, to)) in ranges.iter().enumerate() {
            self.push(if index == 0 { "" } else { " OR " })
                .push("c.at >= ")
                .param(Param::Int(*from))
                .push(" AND c.at < ")
                .param(Param::Int(*to));
        }
        self.push(")")
    }

    /// `FROM daily_clicks r WHERE ...` for the rows `rows` of the days `days` (runs, both
    /// ends included).
    fn rollup(
        &mut self,
        filter: &ClickFilter,
        rows: &RollupRows,
        days: &[(i64, i64)],
    ) -> &mut Self {
        self.push(" FROM daily_clicks r WHERE")
            .scope(filter)
            .push(" AND r.per_traits = ")
            .param(Param::Int(i64::from(rows.per_traits)))
            .push(" AND r.dimension = ")
            .param(Param::Text(rows.dimension.to_owned()));
        if let Some(value) = &rows.value {
            self.push(" AND r.value = ")
                .param(Param::Text(value.clone()));
        }
        self.traits("r", filter).days(days)
    }

    /// `r.org_id = $ AND r.link_id = $ AND r.domain = $`: the roll-up rows of the filter's
    /// link, or domain, or else of the whole organization.
    fn scope(&mut self, filter: &ClickFilter) -> &mut Self {
        self.push(" r.org_id = ")
            .param(Param::Int(filter.org_id))
            .push(" AND r.link_id = ")
            .param(Param::Int(filter.link_id.unwrap_or(0)))
            .push(" AND r.domain = ")
            .param(Param::Text(filter.domain.clone().unwrap_or_default()))
    }

    /// `AND (r.day >= $ AND r.day <= $ OR ...)` for runs of days, both ends included.
    fn days(&mut self, days: &[(i64, i64)]) -> &mut Self {
        self.push(" AND (");
        for (index, (first, last)) in days.iter().enumerate() {
            self.push(if index == 0 { "" } else { " OR " })
                .push("r.day >= ")
                .param(Param::Int(*first))
                .push(" AND r.day <= ")
                .param(Param::Int(*last));
        }
        self.push(")")
    }

    fn query_as<'q, T>(&'q self) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut query = sqlx::query_as::<Any, T>(&self.text);
        for param in &self.params {
            query = match param {
                Param::Int(value) => query.bind(*value),
                Param::Text(value) => query.bind(value.as_str()),
                Param::Bool(value) => query.bind(*value),
            };
        }
        query
    }
}

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
        sql.filter(filter).ranges(ranges);
        let (total, unique): (i64, i64) = sql.query_as().fetch_one(&self.analytics).await?;
        Ok(Counts { total, unique })
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
                    .ranges(&runs_of(buckets))
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
        sql.ranges(&runs_of(buckets)).push(" GROUP BY b.column1");
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
        sql.filter(filter).ranges(ranges);
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
        let mut sql = Sql::new(
            "SELECT r.day, r.slot, r.clicks, r.first_visitors, r.last_visitors \
             FROM daily_click_slots r WHERE",
        );
        sql.scope(filter).days(days);
        let rows: Vec<(i64, i64, i64, i64, i64)> =
            sql.query_as().fetch_all(&self.analytics).await?;
        Ok(rows
            .into_iter()
            .map(|(day, slot, clicks, first_visitors, last_visitors)| {
                let counts = SlotCounts {
                    clicks,
                    first_visitors,
                    last_visitors,
                };
                ((day, slot), counts)
            })
            .collect())
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
        let mut sql = Sql::new(&format!("SELECT r.{column}, {SUMS}"));
        sql.rollup(filter, rows, days)
            .push(&format!(" GROUP BY r.{column}"));
        let rows: Vec<(String, i64, i64)> = sql.query_as().fetch_all(&self.analytics).await?;
        Ok(counted(rows))
    }
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
    fn filters_become_numbered_parameters() {
        let filter = ClickFilter {
            org_id: 7,
            link_id: Some(3),
            country: Some("DE".into()),
            ..ClickFilter::default()
        };
        let mut sql = Sql::new("SELECT 1 FROM clicks c WHERE");
        sql.filter(&filter).ranges(&[(10, 20), (30, 40)]);
        assert_eq!(
            sql.text,
            "SELECT 1 FROM clicks c WHERE c.org_id = $1 AND c.bot = $2 AND c.link_id = $3 \
             AND c.country = $4 AND (c.at >= $5 AND c.at < $6 OR c.at >= $7 AND c.at < $8)"
        );
        assert_eq!(sql.params.len(), 8);
    }

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

    #[test]
    fn roll_up_queries_read_one_scope_and_dimension() {
        let filter = ClickFilter {
            org_id: 7,
            source: Some("google".into()),
            device: Some("Mobile".into()),
            ..ClickFilter::default()
        };
        let rows = RollupRows::for_question(&filter, Some(Dimension::Country)).unwrap();
        let mut sql = Sql::new("SELECT 1");
        sql.rollup(&filter, &rows, &[(3, 5), (8, 8)]);
        assert_eq!(
            sql.text,
            "SELECT 1 FROM daily_clicks r WHERE r.org_id = $1 AND r.link_id = $2 \
             AND r.domain = $3 AND r.per_traits = $4 AND r.dimension = $5 AND r.value = $6 \
             AND r.device = $7 AND (r.day >= $8 AND r.day <= $9 OR r.day >= $10 AND r.day <= $11)"
        );
    }

    fn question(
        filter: &ClickFilter,
        breakdown: Option<Dimension>,
    ) -> Option<(&'static str, Option<String>, Option<&'static str>)> {
        RollupRows::for_question(filter, breakdown).map(|r| (r.dimension, r.value, r.group))
    }

    #[test]
    fn unfiltered_questions_read_value_rows() {
        for link_id in [None, Some(9)] {
            let filter = ClickFilter {
                org_id: 1,
                link_id,
                ..ClickFilter::default()
            };
            let rows = RollupRows::for_question(&filter, None).unwrap();
            assert!(!rows.per_traits);
            assert_eq!(question(&filter, None), Some(("all", None, None)));
            assert_eq!(
                question(&filter, Some(Dimension::Referrer)),
                Some(("referrer", None, Some("value")))
            );
        }
    }

    #[test]
    fn filtered_questions_read_trait_rows_with_at_most_one_click_varying_dimension() {
        let org = ClickFilter {
            org_id: 1,
            country: Some("DE".into()),
            ..ClickFilter::default()
        };
        assert!(RollupRows::for_question(&org, None).unwrap().per_traits);
        assert_eq!(question(&org, None), Some(("", None, None)));
        assert_eq!(
            question(&org, Some(Dimension::City)),
            Some(("", None, Some("city")))
        );
        assert_eq!(
            question(&org, Some(Dimension::Referrer)),
            Some(("referrer", None, Some("value")))
        );
        let one_link = ClickFilter {
            link_id: Some(9),
            ..org.clone()
        };
        assert_eq!(question(&one_link, None), None);
        let by_source = ClickFilter {
            source: Some("google".into()),
            ..org.clone()
        };
        assert_eq!(
            question(&by_source, Some(Dimension::Source)),
            Some(("source", Some("google".into()), Some("value")))
        );
        assert_eq!(
            question(&by_source, Some(Dimension::Os)),
            Some(("source", Some("google".into()), Some("os")))
        );
        assert_eq!(question(&by_source, Some(Dimension::Medium)), None);
        let by_both = ClickFilter {
            medium: Some("organic".into()),
            ..by_source.clone()
        };
        assert_eq!(question(&by_both, None), None);
        let by_domain = ClickFilter {
            domain: Some("go.example".into()),
            ..org
        };
        assert_eq!(question(&by_domain, None), None);
        let whole_domain = ClickFilter {
            org_id: 1,
            domain: Some("go.example".into()),
            ..ClickFilter::default()
        };
        assert_eq!(question(&whole_domain, None), Some(("all", None, None)));
    }
}
