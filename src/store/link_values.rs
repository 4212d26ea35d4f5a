//! `daily_link_values` (migration `0016_packed_link_values.sql`): a link's value rows of a
//! day — clicks and unique visitors per dimension and value — as one JSON array of
//! `[dimension, value, clicks, visitors]`, one row per link and day. They answer the
//! unfiltered insight of one link (a link with any other filter is read raw, see
//! [`crate::analytics::question::RollupRows`]).

use std::collections::HashMap;

use super::{
    Store,
    sql::{Param, Sql},
};
use crate::analytics::{day_rollup::ValueRow, question::Counts};

/// One packed value row: dimension, value, clicks, unique visitors.
type Entry = (String, String, i64, i64);

/// The value rows of one link's day as stored.
pub(super) fn pack(rows: &[&ValueRow]) -> String {
    let entries: Vec<(&str, &str, i64, i64)> = rows
        .iter()
        .map(|r| (r.dimension, r.value.as_str(), r.clicks, r.visitors))
        .collect();
    serde_json::to_string(&entries).expect("tuples of strings and integers serialize")
}

/// The packed value rows of a day; an error names a damaged row.
fn unpack(day: i64, counts: &str) -> Result<Vec<Entry>, sqlx::Error> {
    serde_json::from_str(counts).map_err(|error| {
        sqlx::Error::Protocol(format!(
            "daily_link_values of day {day} cannot be read: {error}"
        ))
    })
}

impl Store {
    /// Per rolled-up day of `days` (runs, both ends included), the link's clicks and unique
    /// visitors per value of `dimension` (`all`: the value `''`). Days without clicks are
    /// left out.
    pub(super) async fn link_values(
        &self,
        org_id: i64,
        link_id: i64,
        dimension: &str,
        days: &[(i64, i64)],
    ) -> Result<Vec<(i64, HashMap<String, Counts>)>, sqlx::Error> {
        if days.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT r.day, r.counts FROM daily_link_values r WHERE r.org_id = ");
        sql.param(Param::Int(org_id))
            .push(" AND r.link_id = ")
            .param(Param::Int(link_id))
            .spans("r.day", days);
        let rows: Vec<(i64, String)> = sql.query_as().fetch_all(&self.analytics).await?;
        let mut per_day = Vec::with_capacity(rows.len());
        for (day, counts) in rows {
            let mut values: HashMap<String, Counts> = HashMap::new();
            for (of, value, clicks, visitors) in unpack(day, &counts)? {
                if of == dimension {
                    let sum = values.entry(value).or_default();
                    *sum = *sum
                        + Counts {
                            total: clicks,
                            unique: visitors,
                        };
                }
            }
            per_day.push((day, values));
        }
        Ok(per_day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_come_back_as_they_went_in() {
        let row = |dimension, value: &str, clicks, visitors| ValueRow {
            link_id: 7,
            domain: String::new(),
            per_traits: false,
            dimension,
            value: value.to_owned(),
            traits: Default::default(),
            clicks,
            visitors,
        };
        let rows = [row("all", "", 3, 2), row("city", "São \"Paulo\"", 2, 1)];
        let packed = pack(&rows.iter().collect::<Vec<_>>());
        assert_eq!(packed, r#"[["all","",3,2],["city","São \"Paulo\"",2,1]]"#);
        assert_eq!(
            unpack(1, &packed).unwrap(),
            [
                ("all".to_owned(), String::new(), 3, 2),
                ("city".to_owned(), "São \"Paulo\"".to_owned(), 2, 1)
            ]
        );
        assert!(unpack(1, "[[").is_err());
    }
}
