//! The daily roll-ups of human clicks: `daily_clicks` (per closed UTC day: value rows per
//! organization, link and domain, trait rows per organization), `daily_slot_counts`
//! (see the migrations `0003_daily_click_rollups.sql` and `0014_packed_click_slots.sql`), `rolled_up_days` (which days are
//! complete) and `dirty_days` (days that got clicks late and must be redone). The rows
//! themselves are computed in memory by [`crate::analytics::day_rollup`].
//!
//! The protocol that keeps roll-ups exact: a day is rolled up only [`ROLLUP_GRACE_MS`] after
//! it ends; the recorder marks a day dirty, in the transaction of the clicks, when it writes
//! a click of a day that ends within that grace (or has ended). A roll-up then
//! 1. *claims* the day in one transaction: clears its dirty mark (waiting for a recorder
//!    that holds it) and puts an unfinished marker (negative `rolled_at`) in place of its
//!    marker, so the day is read raw from now on;
//! 2. reads the day's clicks, outside any write transaction, and computes the rows;
//! 3. writes them in small transactions, each of which checks (and locks) its claim
//!    first; the last one finishes the marker. A claim older than [`STALE_CLAIM_MS`] may
//!    be taken over; its roll-up then stops at its next transaction.
//!
//! A late click committed after step 1 marks the day dirty again, so it is read raw until
//! it is rolled up again. On SQLite the write lock is held for one small transaction at a
//! time (docs/ARCHITECTURE.md, "Daily roll-ups").

use std::{collections::BTreeSet, sync::LazyLock};

use futures_util::TryStreamExt;
use sqlx::{Any, Row, Transaction};

use super::{
    Backend, Store, clicks::placeholders, link_values, slot_pack::pack, sql::click_minutes,
    transaction::in_transaction,
};
use crate::{
    analytics::day_rollup::{CLICK_COLUMNS, DayRollup, RolledUpDay, SlotRow, ValueRow},
    timestamp::{MILLIS_PER_DAY, Millis, utc_day},
};

/// How long after its end a UTC day is rolled up; clicks within this much of a day's end
/// mark it dirty.
pub const ROLLUP_GRACE_MS: Millis = 10 * 60 * 1000;

/// The length of a slot of `daily_slot_counts`: a quarter of an hour.
pub const SLOT_MS: Millis = 15 * 60 * 1000;

/// One quarter hour of a scope's day in `daily_slot_counts`.
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

/// How old a click may be when it is written and still not be late: a late click marks
/// its day dirty (below), because a server may have counted its quarter hour in memory
/// already ([`crate::analytics::live`]).
pub const LATE_CLICK_MS: Millis = 60 * 1000;

/// The `(organization, day)` pairs a batch of clicks makes dirty at `now`: the days of its
/// human clicks that end within [`ROLLUP_GRACE_MS`] of `now`, or have ended; and the days
/// of its clicks older than [`LATE_CLICK_MS`].
pub fn late_days(
    clicks: impl IntoIterator<Item = (i64, Millis)>,
    now: Millis,
) -> BTreeSet<(i64, i64)> {
    clicks
        .into_iter()
        .filter(|(_, at)| {
            (utc_day(*at) + 1) * MILLIS_PER_DAY <= now + ROLLUP_GRACE_MS
                || *at < now - LATE_CLICK_MS
        })
        .map(|(org_id, at)| (org_id, utc_day(at)))
        .collect()
}

impl Store {
    /// Every organization that has clicks, with the time of its first click.
    pub async fn first_clicks(&self) -> Result<Vec<(i64, Millis)>, sqlx::Error> {
        // Each from its index: SQLite's by time; Postgres's by minute (migration 0019), so
        // the first minute, then the first click in it.
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT o.id, (SELECT MIN(c.at) FROM clicks c WHERE c.org_id = o.id) \
                 FROM organizations o ORDER BY o.id"
            }
            Backend::Postgres => {
                "SELECT o.id, (SELECT MIN(c.at) FROM clicks c WHERE c.org_id = o.id \
                                 AND c.at / 60000 = (SELECT f.at / 60000 FROM clicks f \
                                                     WHERE f.org_id = o.id \
                                                     ORDER BY f.at / 60000 LIMIT 1)) \
                 FROM organizations o ORDER BY o.id"
            }
        };
        let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(sql).fetch_all(&self.analytics).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(org_id, first)| first.map(|at| (org_id, at)))
            .collect())
    }

    /// The days of an organization from `from_day` on that have a roll-up, clean or dirty,
    /// or one being written at `now` (not one whose writer has been gone for
    /// [`STALE_CLAIM_MS`]: that day is to be rolled up again).
    pub async fn rolled_up_days(
        &self,
        org_id: i64,
        from_day: i64,
        now: Millis,
    ) -> Result<BTreeSet<i64>, sqlx::Error> {
        let days: Vec<(i64,)> = sqlx::query_as(
            "SELECT day FROM rolled_up_days WHERE org_id = $1 AND day >= $2 \
             AND (rolled_at >= 0 OR rolled_at < $3)",
        )
        .bind(org_id)
        .bind(from_day)
        .bind(-(now - STALE_CLAIM_MS))
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

    /// The mark of an organization's dirty day, if it has one (it changes with every
    /// batch of late clicks of the day).
    pub async fn dirty_mark(&self, org_id: i64, day: i64) -> Result<Option<i64>, sqlx::Error> {
        let mark: Option<(i64,)> =
            sqlx::query_as("SELECT mark FROM dirty_days WHERE org_id = $1 AND day = $2")
                .bind(org_id)
                .bind(day)
                .fetch_optional(&self.analytics)
                .await?;
        Ok(mark.map(|(mark,)| mark))
    }

    /// The days in `[from_day, to_day]` whose roll-up can be read: rolled up (not being
    /// written) and not dirty.
    pub async fn readable_rolled_up_days(
        &self,
        org_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> Result<BTreeSet<i64>, sqlx::Error> {
        let days: Vec<(i64,)> = sqlx::query_as(
            "SELECT r.day FROM rolled_up_days r WHERE r.org_id = $1 AND r.day >= $2 \
             AND r.day <= $3 AND r.rolled_at >= 0 AND NOT EXISTS \
             (SELECT 1 FROM dirty_days d WHERE d.org_id = r.org_id AND d.day = r.day)",
        )
        .bind(org_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(&self.analytics)
        .await?;
        Ok(days.into_iter().map(|(day,)| day).collect())
    }

    /// (Re)computes the roll-up of one organization's UTC day from its raw clicks: claims
    /// the day, reads its clicks once and rolls them up in memory
    /// ([`crate::analytics::day_rollup`]), then writes the rows and the marker in one
    /// short transaction.
    /// Whether this call rolled the day up (not another roll-up).
    pub async fn roll_up_day(
        &self,
        org_id: i64,
        day: i64,
        now: Millis,
    ) -> Result<bool, sqlx::Error> {
        let Some(claim) = self.claim_day(org_id, day, now).await? else {
            return Ok(false); // rolled up, or being rolled up, by another roll-up
        };
        let started = std::time::Instant::now();
        let rollup = self.read_day(org_id, day).await?;
        let (read, clicks) = (started.elapsed(), rollup.len());
        let rows = tokio::task::spawn_blocking(move || rollup.finish())
            .await
            .map_err(|error| sqlx::Error::Protocol(format!("the roll-up failed: {error}")))?;
        let computed = started.elapsed();
        let (written, longest_write) = self.write_day(org_id, day, claim, now, &rows).await?;
        tracing::debug!(
            org_id,
            day,
            clicks,
            rows = rows.values.len() + rows.slots.len(),
            read_ms = read.as_millis() as u64,
            compute_ms = (computed - read).as_millis() as u64,
            write_ms = (started.elapsed() - computed).as_millis() as u64,
            longest_transaction_ms = longest_write.as_millis() as u64,
            written,
            "rolled up a day"
        );
        Ok(written)
    }

    /// Claims the day for this roll-up: clears its dirty mark and puts an unfinished
    /// marker in place of its marker (a negative `rolled_at`, this roll-up's token), so
    /// the day is read raw until the new rows are all written. `None` when there is
    /// nothing to do: the day is rolled up and nothing came late, or another roll-up is
    /// writing it. The dirty mark is cleared after the marker is looked at: a recorder
    /// transaction that marked the day holds the mark's row, so this waits for its
    /// clicks, and the read that follows sees them.
    async fn claim_day(
        &self,
        org_id: i64,
        day: i64,
        now: Millis,
    ) -> Result<Option<i64>, sqlx::Error> {
        in_transaction(&self.analytics, async |tx| {
            // A write first: on SQLite it takes the write lock (waiting for it as long as
            // busy_timeout allows; a transaction that read first could not wait for it
            // later), on Postgres it locks the marker, so two claims of a day take turns.
            sqlx::query(
                "UPDATE rolled_up_days SET rolled_at = rolled_at WHERE org_id = $1 AND day = $2",
            )
            .bind(org_id)
            .bind(day)
            .execute(&mut **tx)
            .await?;
            let marker: Option<(i64,)> = sqlx::query_as(
                "SELECT rolled_at FROM rolled_up_days WHERE org_id = $1 AND day = $2",
            )
            .bind(org_id)
            .bind(day)
            .fetch_optional(&mut **tx)
            .await?;
            let marker = marker.map(|(rolled_at,)| rolled_at);
            if marker.is_some_and(|at| at < 0 && -at > now - STALE_CLAIM_MS) {
                return Ok(None); // another roll-up is writing the day
            }
            let cleared = sqlx::query("DELETE FROM dirty_days WHERE org_id = $1 AND day = $2")
                .bind(org_id)
                .bind(day)
                .execute(&mut **tx)
                .await?
                .rows_affected();
            if marker.is_some_and(|at| at >= 0) && cleared == 0 {
                return Ok(None); // rolled up (by another instance) and clean
            }
            if let Some(seen) = marker {
                // Only the marker looked at: one another claim put there meanwhile stays.
                sqlx::query(
                    "DELETE FROM rolled_up_days WHERE org_id = $1 AND day = $2 AND rolled_at = $3",
                )
                .bind(org_id)
                .bind(day)
                .bind(seen)
                .execute(&mut **tx)
                .await?;
            }
            let claim = -now;
            let claimed = sqlx::query(
                "INSERT INTO rolled_up_days (org_id, day, rolled_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (org_id, day) DO NOTHING",
            )
            .bind(org_id)
            .bind(day)
            .bind(claim)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            Ok((claimed > 0).then_some(claim))
        })
        .await
    }

    /// The organization's human clicks of the day, read once into a [`DayRollup`].
    async fn read_day(&self, org_id: i64, day: i64) -> Result<DayRollup, sqlx::Error> {
        let mut rollup = DayRollup::new(day);
        let (start, end) = (day * MILLIS_PER_DAY, (day + 1) * MILLIS_PER_DAY);
        self.each_human_click(
            org_id,
            (start, end),
            true,
            |link_id, domain, visitor, at, values| {
                rollup.add(link_id, domain, visitor, at, values);
            },
        )
        .await?;
        Ok(rollup)
    }

    /// Calls `each` with every human click of an organization in `[start, end)`, in no
    /// particular order: its link and the link's domain, its visitor key, time, and the
    /// values of [`CLICK_COLUMNS`]. `background` lifts the analytics pool's statement
    /// timeout on Postgres (a roll-up may read a busy day for longer than a request may
    /// take).
    pub async fn each_human_click(
        &self,
        org_id: i64,
        (start, end): (Millis, Millis),
        background: bool,
        mut each: impl FnMut(i64, &str, Option<&[u8]>, Millis, [&str; CLICK_COLUMNS.len()]),
    ) -> Result<(), sqlx::Error> {
        let backend = self.backend;
        let mut connection = self.analytics.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *connection).await?;
        if backend == Backend::Postgres && background {
            sqlx::query("SET LOCAL statement_timeout = 0")
                .execute(&mut *tx)
                .await?;
        }
        let sql: &str = match backend {
            Backend::Postgres => &DAY_CLICKS_POSTGRES,
            Backend::Sqlite => &DAY_CLICKS_SQLITE,
        };
        let mut query = sqlx::query(sql).bind(org_id).bind(false);
        for time in day_click_times(backend, (start, end)) {
            query = query.bind(time);
        }
        let mut rows = query.fetch(&mut *tx);
        let mut read: u32 = 0;
        while let Some(row) = rows.try_next().await? {
            // The driver hands over buffered rows without yielding: let the worker run
            // other requests now and then while a busy day is read.
            read = read.wrapping_add(1);
            if read.is_multiple_of(1024) {
                tokio::task::yield_now().await;
            }
            let (link_id, visitor, at): (i64, Option<&[u8]>, Millis) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let fields = match backend {
                Backend::Postgres => {
                    let mut fields = [""; 11];
                    for (i, field) in fields.iter_mut().enumerate() {
                        *field = row.try_get(3 + i)?;
                    }
                    fields
                }
                Backend::Sqlite => {
                    let packed: &str = row.try_get(3)?;
                    length_prefixed::<11>(packed).ok_or_else(|| {
                        sqlx::Error::Protocol(format!(
                            "a click's text columns did not read back as 11 fields: {packed:?}"
                        ))
                    })?
                }
            };
            let [domain, values @ ..] = fields;
            each(link_id, domain, visitor, at, values);
        }
        drop(rows);
        tx.commit().await?;
        Ok(())
    }

    /// Writes a day's rows in small transactions, each of which first makes sure the
    /// claim still holds (and holds it until it commits), then finishes the marker. A day
    /// rolled up before (its old rows are there: it got clicks late) is replaced in one
    /// transaction instead, so that a question that found it readable just before the
    /// claim reads its old rows or its new ones, never a part. If another roll-up took
    /// the day over (this one took longer than [`STALE_CLAIM_MS`]), this one stops:
    /// `false`. With the longest of its transactions.
    async fn write_day(
        &self,
        org_id: i64,
        day: i64,
        claim: i64,
        now: Millis,
        rows: &RolledUpDay,
    ) -> Result<(bool, std::time::Duration), sqlx::Error> {
        let backend = self.backend;
        let slots = packed_slots(&rows.slots);
        // A link's value rows go packed to daily_link_values; the organization's and the
        // domains' value rows and the trait rows to daily_clicks.
        let (link_rows, values): (Vec<&ValueRow>, Vec<&ValueRow>) = rows
            .values
            .iter()
            .partition(|row| row.link_id != 0 && !row.per_traits);
        let links = packed_link_values(&link_rows);
        let mut chunks: Vec<Chunk<'_>> = Vec::new();
        chunks.extend(values.chunks(VALUE_ROWS_PER_INSERT).map(Chunk::Values));
        chunks.extend(slots.chunks(SLOT_ROWS_PER_INSERT).map(Chunk::Slots));
        chunks.extend(links.chunks(SLOT_ROWS_PER_INSERT).map(Chunk::Links));
        let mut longest = std::time::Duration::ZERO;
        let mut next = 0;
        loop {
            let started = std::time::Instant::now();
            let written = in_transaction(&self.analytics, async |tx| {
                let first = next == 0;
                let mut upto = (next + 1).min(chunks.len());
                let replace = first && has_rows(tx, org_id, day).await?;
                if replace {
                    upto = chunks.len();
                }
                let last = upto == chunks.len();
                // A no-op update that says whether the claim holds, and locks it.
                let held = sqlx::query(
                    "UPDATE rolled_up_days SET rolled_at = $4 \
                     WHERE org_id = $1 AND day = $2 AND rolled_at = $3",
                )
                .bind(org_id)
                .bind(day)
                .bind(claim)
                .bind(if last { now } else { claim })
                .execute(&mut **tx)
                .await?
                .rows_affected()
                    > 0;
                if !held {
                    return Ok(None);
                }
                if replace {
                    delete_day(tx, org_id, day).await?;
                }
                for chunk in &chunks[next..upto] {
                    chunk.insert(tx, backend, org_id, day).await?;
                }
                Ok(Some(upto))
            })
            .await?;
            longest = longest.max(started.elapsed());
            match written {
                None => {
                    tracing::warn!(org_id, day, "a roll-up was taken over by another; it stops");
                    return Ok((false, longest));
                }
                Some(upto) if upto == chunks.len() => return Ok((true, longest)),
                Some(upto) => next = upto,
            }
        }
    }
}

/// Rows for one INSERT of a day's roll-up.
enum Chunk<'a> {
    Values(&'a [&'a ValueRow]),
    Slots(&'a [PackedSlots]),
    Links(&'a [PackedLinkValues]),
}

impl Chunk<'_> {
    async fn insert(
        &self,
        tx: &mut Transaction<'_, Any>,
        backend: Backend,
        org_id: i64,
        day: i64,
    ) -> Result<(), sqlx::Error> {
        match self {
            Self::Values(rows) => insert_value_rows(tx, backend, org_id, day, rows).await,
            Self::Slots(rows) => insert_slot_rows(tx, backend, org_id, day, rows).await,
            Self::Links(rows) => insert_link_values(tx, backend, org_id, day, rows).await,
        }
    }
}

/// How long a roll-up may take to write a day before another roll-up may take it over
/// (it crashed, or is stuck).
const STALE_CLAIM_MS: Millis = ROLLUP_GRACE_MS;

/// The columns of a day's human clicks (parameters: organization, `false`, then the times
/// as [`day_click_times`] binds them): the link, visitor and time, then the link's domain
/// and the [`CLICK_COLUMNS`].
fn day_clicks(fields: &str, times: &str) -> String {
    format!(
        "SELECT c.link_id, c.visitor, c.at, {fields} FROM clicks c JOIN links l \
         ON l.id = c.link_id WHERE c.org_id = $1 AND c.bot = $2 AND {times}"
    )
}

/// SQLite reads `[start, end)` by time (its index), Postgres by minute (its index, migration
/// 0019) and by time as `c.at + 0` and `c.at - 0`, which keep its estimate of the rows
/// from the minutes (see [`super::sql::Sql::click_times`]).
const SQLITE_DAY_TIMES: &str = "c.at >= $3 AND c.at < $4";
const POSTGRES_DAY_TIMES: &str =
    "c.at / 60000 >= $3 AND c.at / 60000 <= $4 AND c.at + 0 >= $5 AND c.at - 0 < $6";

/// The parameters after the first two of [`day_clicks`] for `[start, end)` on `backend`.
fn day_click_times(backend: Backend, (start, end): (Millis, Millis)) -> Vec<i64> {
    match backend {
        Backend::Sqlite => vec![start, end],
        Backend::Postgres => {
            let (first, last) = click_minutes(start, end);
            vec![first, last, start, end]
        }
    }
}

/// The text columns of a day's clicks, one by one.
fn text_columns() -> impl Iterator<Item = String> {
    std::iter::once("l.domain".to_owned()).chain(CLICK_COLUMNS.iter().map(|c| format!("c.{c}")))
}

static DAY_CLICKS_POSTGRES: LazyLock<String> = LazyLock::new(|| {
    day_clicks(
        &text_columns().collect::<Vec<_>>().join(", "),
        POSTGRES_DAY_TIMES,
    )
});

/// On SQLite the text columns come as one text of length-prefixed fields
/// (`5:de-DE2:DE...`): its driver pays about 0.7 µs per column of a row, and 14 columns
/// made reading 100,000 clicks take 1.4 s, against 0.55 s this way. (On Postgres the
/// concatenation costs the server more than it saves: 230 → 400 ms.)
static DAY_CLICKS_SQLITE: LazyLock<String> = LazyLock::new(|| {
    let fields: Vec<String> = text_columns()
        .map(|column| format!("length({column}) || ':' || {column}"))
        .collect();
    day_clicks(&fields.join(" || "), SQLITE_DAY_TIMES)
});

/// Splits `N` fields written as `length:text` one after the other (lengths in characters,
/// as SQL's `length` counts them); `None` if the text is not exactly that.
fn length_prefixed<const N: usize>(mut packed: &str) -> Option<[&str; N]> {
    let mut fields = [""; N];
    for field in &mut fields {
        let (length, rest) = packed.split_once(':')?;
        let length: usize = length.parse().ok()?;
        let end = rest
            .char_indices()
            .nth(length)
            .map_or(rest.len(), |(at, _)| at);
        if rest[..end].chars().count() != length {
            return None;
        }
        *field = &rest[..end];
        packed = &rest[end..];
    }
    packed.is_empty().then_some(fields)
}

/// Value rows per INSERT, and per write transaction (14 parameters each): under SQLite's
/// 32,766 parameters, and about 10 ms of SQLite's write lock.
const VALUE_ROWS_PER_INSERT: usize = 2000;
/// Packed slot rows, or links' packed value rows, per INSERT and per write transaction
/// (5 and 4 parameters each).
const SLOT_ROWS_PER_INSERT: usize = 2000;

/// A row of `daily_slot_counts`: the link (or 0), the domain (or `''`), the packed slots.
type PackedSlots = (i64, String, Vec<u8>);

/// The slot rows of a day, one packed row per organization, link and domain.
fn packed_slots(rows: &[SlotRow]) -> Vec<PackedSlots> {
    let mut scopes: std::collections::HashMap<(i64, &str), Vec<(i64, SlotCounts)>> =
        std::collections::HashMap::new();
    for row in rows {
        let counts = SlotCounts {
            clicks: row.clicks,
            first_visitors: row.first_visitors,
            last_visitors: row.last_visitors,
        };
        scopes
            .entry((row.link_id, &row.domain))
            .or_default()
            .push((row.slot, counts));
    }
    scopes
        .into_iter()
        .map(|((link_id, domain), mut slots)| (link_id, domain.to_owned(), pack(&mut slots)))
        .collect()
}

/// Whether an earlier roll-up of the day left rows (every roll-up of a day with clicks
/// has the organization's `all` row; one probe of the index).
async fn has_rows(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    day: i64,
) -> Result<bool, sqlx::Error> {
    let (found,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM daily_clicks WHERE org_id = $1 AND link_id = 0 AND domain = '' \
         AND per_traits = 0 AND dimension = 'all' AND day = $2",
    )
    .bind(org_id)
    .bind(day)
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
    for table in ["daily_clicks", "daily_slot_counts", "daily_link_values"] {
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

/// One multi-row INSERT of value and trait rows.
async fn insert_value_rows(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    org_id: i64,
    day: i64,
    chunk: &[&ValueRow],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO daily_clicks (org_id, link_id, domain, per_traits, dimension, day, value, \
                                   country, city, device, browser, os, clicks, visitors) \
         VALUES {}",
        placeholders(backend, chunk.len(), 14)
    );
    let mut query = sqlx::query::<Any>(&sql).persistent(chunk.len() == VALUE_ROWS_PER_INSERT);
    for row in chunk {
        query = query
            .bind(org_id)
            .bind(row.link_id)
            .bind(row.domain.as_str())
            .bind(i64::from(row.per_traits))
            .bind(row.dimension)
            .bind(day)
            .bind(row.value.as_str());
        for value in &row.traits {
            query = query.bind(value.as_str());
        }
        query = query.bind(row.clicks).bind(row.visitors);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// One multi-row INSERT of packed slot rows.
async fn insert_slot_rows(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    org_id: i64,
    day: i64,
    chunk: &[PackedSlots],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO daily_slot_counts (org_id, link_id, domain, day, slots) VALUES {}",
        placeholders(backend, chunk.len(), 5)
    );
    let mut query = sqlx::query::<Any>(&sql).persistent(chunk.len() == SLOT_ROWS_PER_INSERT);
    for (link_id, domain, slots) in chunk {
        query = query
            .bind(org_id)
            .bind(*link_id)
            .bind(domain.as_str())
            .bind(day)
            .bind(slots.as_slice());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// A row of `daily_link_values`: the link and its packed value rows.
type PackedLinkValues = (i64, String);

/// A day's value rows of each link, one packed row per link.
fn packed_link_values(rows: &[&ValueRow]) -> Vec<PackedLinkValues> {
    let mut links: std::collections::BTreeMap<i64, Vec<&ValueRow>> =
        std::collections::BTreeMap::new();
    for row in rows {
        links.entry(row.link_id).or_default().push(row);
    }
    links
        .into_iter()
        .map(|(link_id, rows)| (link_id, link_values::pack(&rows)))
        .collect()
}

/// One multi-row INSERT of links' packed value rows.
async fn insert_link_values(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    org_id: i64,
    day: i64,
    chunk: &[PackedLinkValues],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO daily_link_values (org_id, link_id, day, counts) VALUES {}",
        placeholders(backend, chunk.len(), 4)
    );
    let mut query = sqlx::query::<Any>(&sql).persistent(chunk.len() == SLOT_ROWS_PER_INSERT);
    for (link_id, counts) in chunk {
        query = query
            .bind(org_id)
            .bind(*link_id)
            .bind(day)
            .bind(counts.as_str());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Marks a day dirty with a new random mark. An existing mark is updated, not skipped:
/// that locks its row until the recorder commits, so a roll-up clearing the mark meanwhile
/// waits for the clicks (with `DO NOTHING` it would clear it and read `clicks` without
/// them); and the new mark tells the servers that keep the day in memory
/// ([`crate::analytics::live`]) to read it again.
const MARK_DIRTY: &str = "INSERT INTO dirty_days (org_id, day, mark) VALUES ($1, $2, $3) \
                          ON CONFLICT (org_id, day) DO UPDATE SET mark = excluded.mark";

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
            .bind(rand::random::<i64>())
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
    fn length_prefixed_fields_may_hold_any_character() {
        assert_eq!(
            length_prefixed::<3>("0:2:DE5:a:1\u{1f}é"),
            Some(["", "DE", "a:1\u{1f}é"])
        );
        assert_eq!(length_prefixed::<2>("0:2:DE"), Some(["", "DE"]));
        assert_eq!(length_prefixed::<2>("0:2:D"), None, "too short");
        assert_eq!(length_prefixed::<1>("1:ab"), None, "left over");
        assert_eq!(length_prefixed::<1>("x:ab"), None);
    }

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
            (1, now - 30_000),              // written at once, but the day ends soon
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

    #[test]
    fn clicks_written_more_than_a_minute_after_the_visit_make_their_day_dirty() {
        let day = 20_000;
        let now = day * DAY + 12 * 3_600_000; // noon
        assert!(late_days([(1, now - LATE_CLICK_MS)], now).is_empty());
        assert_eq!(
            late_days([(1, now - LATE_CLICK_MS - 1)], now),
            BTreeSet::from([(1, day)])
        );
    }
}
