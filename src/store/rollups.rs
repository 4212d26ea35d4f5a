//! The daily roll-ups of human clicks: `daily_clicks` (per closed UTC day: value rows per
//! organization and per link, trait rows per organization; see the migration
//! `0003_daily_click_rollups.sql`), `rolled_up_days` (which days are complete) and
//! `dirty_days` (days that got clicks late and must be redone).
//!
//! The protocol that keeps roll-ups exact: a day is rolled up only [`ROLLUP_GRACE_MS`] after
//! it ends; the recorder marks a day dirty, in the transaction of the clicks, when it writes
//! a click of a day that ends within that grace (or has ended); a roll-up first takes the
//! day's marker row (serializing concurrent roll-ups of one day), then clears the day's
//! dirty mark, then recomputes from `clicks`. A late click committed after the roll-up read
//! `clicks` keeps its dirty mark, so the day is read raw until it is rolled up again.

use std::collections::BTreeSet;

use sqlx::{Any, Transaction};

use super::{Backend, Store, transaction::in_transaction};
use crate::timestamp::{MILLIS_PER_DAY, Millis, utc_day};

/// How long after its end a UTC day is rolled up; clicks within this much of a day's end
/// mark it dirty.
pub const ROLLUP_GRACE_MS: Millis = 10 * 60 * 1000;

/// The length of a slot of `daily_click_slots`: a quarter of an hour.
pub const SLOT_MS: Millis = 15 * 60 * 1000;

/// One slot's row of `daily_click_slots`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotCounts {
    pub clicks: i64,
    pub first_visitors: i64,
    pub last_visitors: i64,
}

/// The dimensions of value rows: `all` (every click, value `''`) and the clicks' columns.
pub const VALUE_DIMENSIONS: [&str; 11] = [
    "all", "country", "city", "device", "browser", "os", "source", "medium", "referrer",
    "language", "outcome",
];

/// The dimensions of trait rows: every click (`''`), and the columns that can differ
/// between one visitor's clicks of a day.
pub const TRAIT_DIMENSIONS: [&str; 6] = ["", "source", "medium", "referrer", "language", "outcome"];

/// The first day that is not closed at `now`: every day before it has ended at least
/// [`ROLLUP_GRACE_MS`] ago.
pub fn first_open_day(now: Millis) -> i64 {
    utc_day(now - ROLLUP_GRACE_MS)
}

/// The `(organization, day)` pairs a batch of clicks makes dirty at `now`: the days of its
/// human clicks that end within [`ROLLUP_GRACE_MS`] of `now`, or have ended.
pub fn late_days(
    clicks: impl IntoIterator<Item = (i64, Millis)>,
    now: Millis,
) -> BTreeSet<(i64, i64)> {
    clicks
        .into_iter()
        .map(|(org_id, at)| (org_id, utc_day(at)))
        .filter(|(_, day)| (day + 1) * MILLIS_PER_DAY <= now + ROLLUP_GRACE_MS)
        .collect()
}

impl Store {
    /// Every organization that has clicks, with the time of its first click.
    pub async fn first_clicks(&self) -> Result<Vec<(i64, Millis)>, sqlx::Error> {
        let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT o.id, (SELECT MIN(c.at) FROM clicks c WHERE c.org_id = o.id) \
             FROM organizations o ORDER BY o.id",
        )
        .fetch_all(&self.analytics)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(org_id, first)| first.map(|at| (org_id, at)))
            .collect())
    }

    /// The days of an organization from `from_day` on that have a roll-up, clean or dirty.
    pub async fn rolled_up_days(
        &self,
        org_id: i64,
        from_day: i64,
    ) -> Result<BTreeSet<i64>, sqlx::Error> {
        let days: Vec<(i64,)> =
            sqlx::query_as("SELECT day FROM rolled_up_days WHERE org_id = $1 AND day >= $2")
                .bind(org_id)
                .bind(from_day)
                .fetch_all(&self.analytics)
                .await?;
        Ok(days.into_iter().map(|(day,)| day).collect())
    }

    /// Every dirty `(organization, day)`.
    pub async fn dirty_days(&self) -> Result<Vec<(i64, i64)>, sqlx::Error> {
        sqlx::query_as("SELECT org_id, day FROM dirty_days ORDER BY org_id, day")
            .fetch_all(&self.analytics)
            .await
    }

    /// The days in `[from_day, to_day]` whose roll-up can be read: rolled up and not dirty.
    pub async fn readable_rolled_up_days(
        &self,
        org_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> Result<BTreeSet<i64>, sqlx::Error> {
        let days: Vec<(i64,)> = sqlx::query_as(
            "SELECT r.day FROM rolled_up_days r WHERE r.org_id = $1 AND r.day >= $2 \
             AND r.day <= $3 AND NOT EXISTS \
             (SELECT 1 FROM dirty_days d WHERE d.org_id = r.org_id AND d.day = r.day)",
        )
        .bind(org_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.analytics)
        .await?;
        Ok(days.into_iter().map(|(day,)| day).collect())
    }

    /// (Re)computes the roll-up of one organization's UTC day from its raw clicks, in one
    /// transaction.
    pub async fn roll_up_day(&self, org_id: i64, day: i64, now: Millis) -> Result<(), sqlx::Error> {
        let (start, end) = (day * MILLIS_PER_DAY, (day + 1) * MILLIS_PER_DAY);
        let backend = self.backend;
        in_transaction(&self.analytics, async |tx| {
            if backend == Backend::Postgres {
                // The analytics pool cuts statements off after the request timeout; a
                // roll-up is background work that may take longer on a busy day.
                sqlx::query("SET LOCAL statement_timeout = 0")
                    .execute(&mut **tx)
                    .await?;
            }
            // First: the marker row. A concurrent roll-up of the same day waits here.
            let existed = take_marker(tx, org_id, day, now).await?;
            // Then the dirty mark. A recorder transaction that marked the day (and so
            // holds the mark's row) makes this wait for its clicks, which the reads below
            // then see.
            let cleared = sqlx::query("DELETE FROM dirty_days WHERE org_id = $1 AND day = $2")
                .bind(org_id)
                .bind(day)
                .execute(&mut **tx)
                .await?
                .rows_affected();
            if existed && cleared == 0 {
                // Another instance rolled this day up meanwhile, and nothing came late since.
                return Ok(());
            }
            if existed {
                delete_day(tx, org_id, day).await?;
            }
            if !has_clicks(tx, org_id, start, end).await? {
                return Ok(()); // a quiet day: its marker alone says "nothing"
            }
            let span = (org_id, day, start, end);
            for scope in Scope::ALL {
                for dimension in VALUE_DIMENSIONS {
                    insert_value_rows(tx, span, dimension, scope).await?;
                }
                insert_slot_rows(tx, span, scope).await?;
            }
            for dimension in TRAIT_DIMENSIONS {
                insert_trait_rows(tx, span, dimension).await?;
            }
            Ok(())
        })
        .await
    }
}

/// Takes (and locks) a day's marker row, setting its time; whether it existed before.
async fn take_marker(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    day: i64,
    now: Millis,
) -> Result<bool, sqlx::Error> {
    let update = "UPDATE rolled_up_days SET rolled_at = $3 WHERE org_id = $1 AND day = $2";
    let updated = sqlx::query(update)
        .bind(org_id)
        .bind(day)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    if updated.rows_affected() > 0 {
        return Ok(true);
    }
    let inserted = sqlx::query(
        "INSERT INTO rolled_up_days (org_id, day, rolled_at) VALUES ($1, $2, $3) \
         ON CONFLICT (org_id, day) DO NOTHING",
    )
    .bind(org_id)
    .bind(day)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() > 0 {
        return Ok(false);
    }
    // Another roll-up of this day committed meanwhile: lock its marker, redo its rows.
    sqlx::query(update)
        .bind(org_id)
        .bind(day)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Whether the organization has any click in `[start, end)` (one index probe).
async fn has_clicks(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    start: Millis,
    end: Millis,
) -> Result<bool, sqlx::Error> {
    let (found,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM (SELECT 1 FROM clicks WHERE org_id = $1 AND at >= $2 AND at < $3 \
         LIMIT 1) AS c",
    )
    .bind(org_id)
    .bind(start)
    .bind(end)
    .fetch_one(&mut **tx)
    .await?;
    Ok(found > 0)
}

/// Deletes a day's roll-up rows before they are redone (rare: a day that got clicks
/// late). The index leads with the organization, so this reads all of its entries.
async fn delete_day(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    day: i64,
) -> Result<(), sqlx::Error> {
    for table in ["daily_clicks", "daily_click_slots"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE org_id = $1 AND day = $2"
        ))
        .bind(org_id)
        .bind(day)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// `(organization, day, first millisecond, end)` of the day being rolled up.
type DaySpan = (i64, i64, Millis, Millis);

/// Whose roll-up rows: the organization's, each link's, or each domain's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Organization,
    Link,
    Domain,
}

impl Scope {
    const ALL: [Self; 3] = [Self::Organization, Self::Link, Self::Domain];

    /// The `link_id` and `domain` columns of the rows, as SQL over `clicks c` / `links l`.
    fn columns(self) -> &'static str {
        match self {
            Self::Organization => "0 AS link_id, '' AS domain",
            Self::Link => "c.link_id AS link_id, '' AS domain",
            Self::Domain => "0 AS link_id, l.domain AS domain",
        }
    }

    /// What to group by, with a trailing comma (empty for the organization).
    fn group(self) -> &'static str {
        match self {
            Self::Organization => "",
            Self::Link => "c.link_id, ",
            Self::Domain => "l.domain, ",
        }
    }

    /// A day's human clicks (parameters: organization, day, `false`, day start and end).
    fn day_clicks(self) -> &'static str {
        match self {
            Self::Domain => {
                "FROM clicks c JOIN links l ON l.id = c.link_id \
                 WHERE c.org_id = $1 AND c.bot = $3 AND c.at >= $4 AND c.at < $5"
            }
            _ => "FROM clicks c WHERE c.org_id = $1 AND c.bot = $3 AND c.at >= $4 AND c.at < $5",
        }
    }
}

/// Inserts a day's slot rows of one scope: per quarter hour, the clicks, and the visitors
/// whose first (last) click of the day falls in it.
async fn insert_slot_rows(
    tx: &mut Transaction<'_, Any>,
    span: DaySpan,
    scope: Scope,
) -> Result<(), sqlx::Error> {
    let (columns, group, day_clicks) = (scope.columns(), scope.group(), scope.day_clicks());
    let per_visitor = |edge: &str| {
        format!(
            "SELECT link_id, domain, (at - $4) / {SLOT_MS} AS slot, COUNT(*) AS n FROM \
               (SELECT {columns}, {edge}(c.at) AS at {day_clicks} \
                AND c.visitor IS NOT NULL GROUP BY {group}c.visitor) AS v \
             GROUP BY 1, 2, 3"
        )
    };
    let sql = format!(
        "INSERT INTO daily_click_slots (org_id, link_id, domain, day, slot, clicks, \
                                        first_visitors, last_visitors) \
         SELECT $1, link_id, domain, $2, slot, SUM(clicks), SUM(firsts), SUM(lasts) FROM ( \
           SELECT {columns}, (c.at - $4) / {SLOT_MS} AS slot, COUNT(*) AS clicks, \
                  0 AS firsts, 0 AS lasts {day_clicks} GROUP BY 1, 2, 3 \
           UNION ALL SELECT link_id, domain, slot, 0, n, 0 FROM ({first}) AS f \
           UNION ALL SELECT link_id, domain, slot, 0, 0, n FROM ({last}) AS l \
         ) AS s GROUP BY link_id, domain, slot",
        first = per_visitor("MIN"),
        last = per_visitor("MAX"),
    );
    execute_for_day(tx, &sql, span).await
}

/// Inserts a day's value rows of one dimension and scope. `dimension` comes from
/// [`VALUE_DIMENSIONS`], never from a request.
async fn insert_value_rows(
    tx: &mut Transaction<'_, Any>,
    span: DaySpan,
    dimension: &str,
    scope: Scope,
) -> Result<(), sqlx::Error> {
    debug_assert!(VALUE_DIMENSIONS.contains(&dimension));
    let (columns, day_clicks) = (scope.columns(), scope.day_clicks());
    let value = if dimension == "all" {
        "''".to_owned()
    } else {
        format!("c.{dimension}")
    };
    let group = match (scope.group(), dimension) {
        ("", "all") => String::new(),
        (by_scope, "all") => format!(" GROUP BY {}", by_scope.trim_end_matches(", ")),
        (by_scope, _) => format!(" GROUP BY {by_scope}{value}"),
    };
    let sql = format!(
        "INSERT INTO daily_clicks (org_id, link_id, domain, per_traits, dimension, day, value, \
                                   country, city, device, browser, os, clicks, visitors) \
         SELECT $1, {columns}, 0, '{dimension}', $2, {value}, '', '', '', '', '', \
                COUNT(*), COUNT(DISTINCT c.visitor) \
         {day_clicks}{group}"
    );
    execute_for_day(tx, &sql, span).await
}

/// Inserts a day's trait rows of one dimension (organization only). `dimension` comes from
/// [`TRAIT_DIMENSIONS`], never from a request.
async fn insert_trait_rows(
    tx: &mut Transaction<'_, Any>,
    span: DaySpan,
    dimension: &str,
) -> Result<(), sqlx::Error> {
    debug_assert!(TRAIT_DIMENSIONS.contains(&dimension));
    let mut group = vec!["country", "city", "device", "browser", "os"];
    let value = if dimension.is_empty() {
        "''"
    } else {
        group.push(dimension);
        dimension
    };
    let sql = format!(
        "INSERT INTO daily_clicks (org_id, link_id, domain, per_traits, dimension, day, value, \
                                   country, city, device, browser, os, clicks, visitors) \
         SELECT $1, 0, '', 1, '{dimension}', $2, {value}, country, city, device, browser, os, \
                COUNT(*), COUNT(DISTINCT visitor) \
         FROM clicks WHERE org_id = $1 AND bot = $3 AND at >= $4 AND at < $5 \
         GROUP BY {}",
        group.join(", ")
    );
    execute_for_day(tx, &sql, span).await
}

/// Runs a roll-up statement whose parameters are the organization, the day, `false` (human
/// clicks) and the day's bounds.
async fn execute_for_day(
    tx: &mut Transaction<'_, Any>,
    sql: &str,
    (org_id, day, start, end): DaySpan,
) -> Result<(), sqlx::Error> {
    sqlx::query(sql)
        .bind(org_id)
        .bind(day)
        .bind(false)
        .bind(start)
        .bind(end)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks a day dirty. An existing mark is updated, not skipped: that locks its row until
/// the recorder commits, so a roll-up clearing the mark meanwhile waits for the clicks
/// (with `DO NOTHING` it would clear it and read `clicks` without them).
const MARK_DIRTY: &str = "INSERT INTO dirty_days (org_id, day) VALUES ($1, $2) \
                          ON CONFLICT (org_id, day) DO UPDATE SET day = excluded.day";

/// Marks days dirty in the recorder's transaction, on either of its drivers (`Any`, or
/// native Postgres for bulk writes).
pub(super) async fn mark_dirty<DB>(
    tx: &mut Transaction<'_, DB>,
    days: &BTreeSet<(i64, i64)>,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for (org_id, day) in days {
        sqlx::query::<DB>(MARK_DIRTY)
            .bind(*org_id)
            .bind(*day)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Millis = MILLIS_PER_DAY;

    #[test]
    fn a_day_closes_a_grace_period_after_it_ends() {
        let day = 20_000;
        let end = (day + 1) * DAY;
        assert_eq!(first_open_day(end), day);
        assert_eq!(first_open_day(end + ROLLUP_GRACE_MS - 1), day);
        assert_eq!(first_open_day(end + ROLLUP_GRACE_MS), day + 1);
    }

    #[test]
    fn clicks_near_or_after_the_end_of_their_day_make_it_dirty() {
        let day = 20_000;
        let end = (day + 1) * DAY;
        let now = end - ROLLUP_GRACE_MS; // the grace before the end starts now
        let clicks = [
            (1, day * DAY),                 // early in the day, but the day ends soon
            (2, end - ROLLUP_GRACE_MS - 1), // same day, other organization
            (1, (day - 3) * DAY + 5),       // three days late
        ];
        assert_eq!(
            late_days(clicks, now),
            BTreeSet::from([(1, day - 3), (1, day), (2, day)])
        );
        // One millisecond earlier, the day is not near its end yet.
        assert_eq!(late_days(clicks, now - 1), BTreeSet::from([(1, day - 3)]));
    }
}
