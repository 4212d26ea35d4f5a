//! Writing clicks: batched inserts (the recorder's batches as one binary `COPY` on
//! Postgres; multi-row `INSERT`s on SQLite and for imports on both) plus the links' click
//! counters, in one transaction (imports: a multi-row upsert into `link_counters`; the
//! recorder's batches add a pending row instead, folded later: [`super::link_counts`]);
//! and the daily visitor salts. The recorder writes a click as a narrow row of
//! `click_rows`, its values as two dictionary codes ([`super::click_codes`]); it is read
//! back through the view `clicks`. Imports on SQLite write whole clicks into that view,
//! whose trigger codes them (migration 0022).

use sqlx::{Any, Postgres, Transaction, postgres::PgPool};

use super::{
    Backend, Store,
    click_codes::{Adding, ClickCode, visitor_number},
    pg_copy::BinaryCopy,
    transaction::in_transaction,
};
use crate::{clicks::Outcome, timestamp::Millis};

/// One click, enriched and ready to store. Holds no IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickRow {
    pub org_id: i64,
    pub link_id: i64,
    pub at: Millis,
    pub bot: bool,
    pub outcome: Outcome,
    pub visitor: Vec<u8>,
    pub country: String,
    pub city: String,
    pub device: String,
    pub browser: String,
    pub os: String,
    pub referrer: String,
    pub source: String,
    pub medium: String,
    /// Stored as `''` when there is none, so that no click row holds a NULL: Postgres then
    /// writes no null bitmap, and its row header is 24 bytes instead of 32.
    pub campaign: Option<String>,
    pub language: String,
}

impl ClickRow {
    /// A human click at time 0 on nothing, every value empty (to build on with `..`).
    pub fn empty() -> Self {
        Self {
            org_id: 0,
            link_id: 0,
            at: 0,
            bot: false,
            outcome: Outcome::Destination,
            visitor: Vec::new(),
            country: String::new(),
            city: String::new(),
            device: String::new(),
            browser: String::new(),
            os: String::new(),
            referrer: String::new(),
            source: String::new(),
            medium: String::new(),
            campaign: None,
            language: String::new(),
        }
    }
}

/// Columns of a row of SQLite's `clicks`, and of Postgres's `click_rows`.
const CLICK_COLUMNS: usize = 16;
const CLICK_ROW_COLUMNS: usize = 7;
/// Rows per INSERT: keeps the parameter count under SQLite's limit (32766) and Postgres's
/// (65535).
const ROWS_PER_INSERT: usize = 1000;
/// Links per counter upsert (4 parameters each).
const LINKS_PER_UPSERT: usize = 1000;

/// `(?, ?, ...), (...)` or `($1, $2, ...), ($n, ...)` for `rows` rows of `columns`
/// parameters. SQLite gets anonymous `?`: with thousands of parameters, numbered ones cost
/// it a name lookup each (quadratic in the statement's size).
pub(super) fn placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * columns + column + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

impl Store {
    /// Stores a batch of clicks and adds the human ones that went through to a destination
    /// to their links' counters (count and time of the last click) as a pending row,
    /// folded later ([`super::link_counts`]). All or nothing.
    pub async fn record_clicks(&self, rows: &[ClickRow]) -> Result<(), sqlx::Error> {
        if rows.is_empty() {
            return Ok(());
        }
        debug_assert!(
            rows.iter()
                .all(|r| r.visitor.len() == crate::clicks::visitor::KEY_LEN),
            "visitor keys are 8 bytes (clicks::visitor::kept_key)"
        );
        let written = match &self.bulk {
            Some(postgres) => match self.click_codes.of(Adding::Postgres(postgres), rows).await {
                Ok(codes) => record_clicks_postgres(postgres, rows, &codes).await,
                Err(error) => Err(error),
            },
            None => {
                let pool = self.recorder.as_ref().unwrap_or(&self.pool);
                match self.click_codes.of(Adding::Sqlite(pool), rows).await {
                    Ok(codes) => self.record_clicks_any(pool, rows, &codes).await,
                    Err(error) => Err(error),
                }
            }
        };
        self.note_write(&written).await;
        written
    }

    /// Multi-row `INSERT ... VALUES` of narrow rows with their `codes` through the `Any`
    /// driver (SQLite), on `pool` (the recorder's own connection).
    async fn record_clicks_any(
        &self,
        pool: &sqlx::AnyPool,
        rows: &[ClickRow],
        codes: &[ClickCode],
    ) -> Result<(), sqlx::Error> {
        let backend = self.backend;
        in_transaction(pool, async |tx| {
            write_clicks_in(tx, backend, rows, Some(codes), Counting::Pending).await
        })
        .await
    }

    /// The visitor salt of a UTC day, created by whichever instance asks first. Deletes the
    /// salts of days before yesterday.
    pub async fn visitor_salt(&self, day: i64, fresh: Vec<u8>) -> Result<Vec<u8>, sqlx::Error> {
        let written = self.write_visitor_salt(day, fresh).await;
        self.note_write(&written).await;
        written?;
        sqlx::query_scalar("SELECT salt FROM visitor_salts WHERE day = $1")
            .bind(day)
            .fetch_one(&self.pool)
            .await
    }

    async fn write_visitor_salt(&self, day: i64, fresh: Vec<u8>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO visitor_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
        )
        .bind(day)
        .bind(fresh)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM visitor_salts WHERE day < $1")
            .bind(day - 1)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many clicks a link has in the click table: (human, bot).
    pub async fn count_link_clicks(&self, link_id: i64) -> Result<(i64, i64), sqlx::Error> {
        let human: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM clicks WHERE link_id = $1 AND bot = $2")
                .bind(link_id)
                .bind(false)
                .fetch_one(&self.pool)
                .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clicks WHERE link_id = $1")
            .bind(link_id)
            .fetch_one(&self.pool)
            .await?;
        Ok((human, total - human))
    }

    /// Every click of an organization's live links, by link and then as written, as a
    /// stream (exports), on the analytics connections (bounded by their statement
    /// timeout).
    pub fn org_clicks(
        &self,
        org_id: i64,
    ) -> futures_util::stream::BoxStream<'_, Result<ClickRow, sqlx::Error>> {
        use futures_util::StreamExt;
        sqlx::query_as::<_, ClickRecord>(
            "SELECT c.org_id, c.link_id, c.at, c.bot, c.outcome, c.visitor, c.country, c.city, \
                    c.device, c.browser, c.os, c.referrer, c.source, c.medium, c.campaign, \
                    c.language \
             FROM clicks c JOIN links l ON l.id = c.link_id \
             WHERE c.org_id = $1 AND l.deleted_at IS NULL ORDER BY c.link_id, c.id",
        )
        .bind(org_id)
        .fetch(&self.analytics)
        .map(|row| row.map(ClickRow::from))
        .boxed()
    }

    /// The dictionary codes of clicks an import is about to write on Postgres (`None` on
    /// SQLite, where the import writes the values and the view's trigger codes them: the
    /// import's transaction holds SQLite's one write lock, so the dictionaries cannot be
    /// added to beside it).
    pub(super) async fn click_codes(
        &self,
        rows: &[ClickRow],
    ) -> Result<Option<Vec<ClickCode>>, sqlx::Error> {
        match &self.bulk {
            Some(postgres) => Ok(Some(
                self.click_codes
                    .of(Adding::Postgres(postgres), rows)
                    .await?,
            )),
            None => Ok(None),
        }
    }

    /// Every row of the click table for a link, oldest first (for tests and exports).
    pub async fn link_clicks(&self, link_id: i64) -> Result<Vec<ClickRow>, sqlx::Error> {
        let rows: Vec<ClickRecord> = sqlx::query_as(
            "SELECT org_id, link_id, at, bot, outcome, visitor, country, city, device, browser, \
                    os, referrer, source, medium, campaign, language \
             FROM clicks WHERE link_id = $1 ORDER BY id",
        )
        .bind(link_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(ClickRow::from).collect())
    }
}

/// How a write of clicks adds them to their links' counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counting {
    /// In the counters, in the write's transaction (imports: their counts show at once).
    InPlace,
    /// As a pending row, folded into the counters later ([`super::link_counts`]; the
    /// recorder's batches).
    Pending,
}

/// Stores clicks, marks their late days dirty and adds them to their links' counters as
/// `counting` says, in the transaction `tx` (the recorder's on SQLite, an import's on both
/// databases). With `codes` ([`super::click_codes`], one per row) as rows of `click_rows`,
/// without as rows of the view `clicks` (SQLite's imports: its trigger codes them).
pub(super) async fn write_clicks_in(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    rows: &[ClickRow],
    codes: Option<&[ClickCode]>,
    counting: Counting,
) -> Result<(), sqlx::Error> {
    match codes {
        Some(codes) => {
            for (chunk, codes) in rows
                .chunks(ROWS_PER_INSERT)
                .zip(codes.chunks(ROWS_PER_INSERT))
            {
                insert_click_rows_any(tx, backend, chunk, codes).await?;
            }
        }
        None => {
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                insert_clicks_any(tx, backend, chunk).await?;
            }
        }
    }
    super::rollups::mark_dirty(tx, &late_human_days(rows)).await?;
    let counts = human_clicks_per_link(rows);
    match counting {
        Counting::InPlace => add_to_counters_in(tx, backend, &counts).await,
        Counting::Pending => super::link_counts::add_pending_counts(tx, &counts).await,
    }
}

/// Adds counts per link, in link order, to the counters, in the transaction `tx`.
pub(super) async fn add_to_counters_in(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    counts: &[(i64, Counter)],
) -> Result<(), sqlx::Error> {
    for chunk in counts.chunks(LINKS_PER_UPSERT) {
        add_to_counters_any(tx, backend, chunk).await?;
    }
    Ok(())
}

/// One multi-row `INSERT` of clicks (at most [`ROWS_PER_INSERT`] rows).
async fn insert_clicks_any(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    chunk: &[ClickRow],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO clicks (org_id, link_id, at, bot, outcome, visitor, country, city, \
         device, browser, os, referrer, source, medium, campaign, language) VALUES {}",
        placeholders(backend, chunk.len(), CLICK_COLUMNS)
    );
    // Full chunks reuse one prepared statement; odd-sized ones are not kept.
    let mut query = sqlx::query::<Any>(&sql).persistent(chunk.len() == ROWS_PER_INSERT);
    for row in chunk {
        query = query
            .bind(row.org_id)
            .bind(row.link_id)
            .bind(row.at)
            .bind(row.bot)
            .bind(row.outcome.stored().into_owned())
            .bind(row.visitor.as_slice())
            .bind(row.country.as_str())
            .bind(row.city.as_str())
            .bind(row.device.as_str())
            .bind(row.browser.as_str())
            .bind(row.os.as_str())
            .bind(row.referrer.as_str())
            .bind(row.source.as_str())
            .bind(row.medium.as_str())
            .bind(stored_campaign(row))
            .bind(row.language.as_str());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// One multi-row `INSERT` of narrow click rows and their codes: the visitor key as a
/// number on Postgres, as its 8 bytes on SQLite.
async fn insert_click_rows_any(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    chunk: &[ClickRow],
    codes: &[ClickCode],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO click_rows (org_id, link_id, at, visitor, traits, origin, bot) VALUES {}",
        placeholders(backend, chunk.len(), CLICK_ROW_COLUMNS)
    );
    let mut query = sqlx::query::<Any>(&sql).persistent(chunk.len() == ROWS_PER_INSERT);
    for (row, code) in chunk.iter().zip(codes) {
        query = query.bind(row.org_id).bind(row.link_id).bind(row.at);
        query = match backend {
            Backend::Postgres => query.bind(visitor_number(&row.visitor)),
            Backend::Sqlite => query.bind(row.visitor.as_slice()),
        };
        query = query.bind(code.traits).bind(code.origin).bind(row.bot);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// One multi-row upsert of click counters (at most [`LINKS_PER_UPSERT`] links).
async fn add_to_counters_any(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    chunk: &[(i64, Counter)],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO link_counters (link_id, org_id, clicks, last_click_at) VALUES {} \
         ON CONFLICT (link_id) DO UPDATE SET \
           clicks = link_counters.clicks + excluded.clicks, \
           last_click_at = CASE WHEN link_counters.last_click_at < excluded.last_click_at \
                           THEN excluded.last_click_at \
                           ELSE link_counters.last_click_at END",
        placeholders(backend, chunk.len(), 4)
    );
    let mut query = sqlx::query::<Any>(&sql).persistent(chunk.len() == LINKS_PER_UPSERT);
    for (link_id, counter) in chunk {
        query = query
            .bind(*link_id)
            .bind(counter.org_id)
            .bind(counter.clicks)
            .bind(counter.last_at);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Postgres: the whole batch through one binary `COPY` ([`BinaryCopy`]) of narrow rows
/// with their `codes`, and its counts per link as one pending row of arrays.
async fn record_clicks_postgres(
    pool: &PgPool,
    rows: &[ClickRow],
    codes: &[ClickCode],
) -> Result<(), sqlx::Error> {
    in_transaction(pool, async |tx| {
        insert_clicks_postgres(tx, rows, codes).await?;
        super::rollups::mark_dirty(tx, &late_human_days(rows)).await?;
        super::link_counts::add_pending_counts(tx, &human_clicks_per_link(rows)).await
    })
    .await
}

async fn insert_clicks_postgres(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[ClickRow],
    codes: &[ClickCode],
) -> Result<(), sqlx::Error> {
    let mut copy = BinaryCopy::new(CLICK_ROW_COLUMNS as i16);
    for (row, code) in rows.iter().zip(codes) {
        copy.row()
            .value(row.org_id)?
            .value(row.link_id)?
            .value(row.at)?
            .value(visitor_number(&row.visitor))?
            .value(code.traits)?
            .value(code.origin)?
            .value(row.bot)?;
    }
    copy.send(
        tx,
        "COPY click_rows (org_id, link_id, at, visitor, traits, origin, bot) \
         FROM STDIN (FORMAT binary)",
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ClickRecord {
    org_id: i64,
    link_id: i64,
    at: i64,
    #[sqlx(try_from = "super::DbBool")]
    bot: bool,
    #[sqlx(try_from = "String")]
    outcome: Outcome,
    visitor: Vec<u8>,
    country: String,
    city: String,
    device: String,
    browser: String,
    os: String,
    referrer: String,
    source: String,
    medium: String,
    campaign: Option<String>,
    language: String,
}

impl From<ClickRecord> for ClickRow {
    fn from(r: ClickRecord) -> Self {
        Self {
            org_id: r.org_id,
            link_id: r.link_id,
            at: r.at,
            bot: r.bot,
            outcome: r.outcome,
            visitor: r.visitor,
            country: r.country,
            city: r.city,
            device: r.device,
            browser: r.browser,
            os: r.os,
            referrer: r.referrer,
            source: r.source,
            medium: r.medium,
            campaign: r.campaign.filter(|campaign| !campaign.is_empty()),
            language: r.language,
        }
    }
}

/// A click's campaign as stored: `''` for none (see [`ClickRow::campaign`]); rows written
/// before this was so hold NULL, read back as none too.
fn stored_campaign(row: &ClickRow) -> &str {
    row.campaign.as_deref().unwrap_or("")
}

/// The human clicks of one link in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counter {
    pub org_id: i64,
    pub clicks: i64,
    pub last_at: Millis,
}

/// The days this batch's human clicks make dirty (see [`super::rollups`]).
fn late_human_days(rows: &[ClickRow]) -> std::collections::BTreeSet<(i64, i64)> {
    let human = rows.iter().filter(|r| !r.bot).map(|r| (r.org_id, r.at));
    super::rollups::late_days(human, crate::timestamp::now())
}

/// The human clicks through to a destination per link in a batch, each link once (a
/// multi-row upsert may not touch a row twice), in link order. Clicks answered by the
/// expiry or the password form are stored, but are not clicks of the link. (Sorted, then
/// counted in runs: a batch over many links touched a tree node per click, most of them
/// out of the CPU's caches.)
fn human_clicks_per_link(rows: &[ClickRow]) -> Vec<(i64, Counter)> {
    let mut clicks: Vec<(i64, i64, Millis)> = rows
        .iter()
        .filter(|r| !r.bot && r.outcome.went_through())
        .map(|r| (r.link_id, r.org_id, r.at))
        .collect();
    clicks.sort_unstable_by_key(|&(link_id, _, _)| link_id);
    let mut counters: Vec<(i64, Counter)> = Vec::new();
    for (link_id, org_id, at) in clicks {
        match counters.last_mut() {
            Some((last, counter)) if *last == link_id => {
                counter.clicks += 1;
                counter.last_at = counter.last_at.max(at);
            }
            _ => counters.push((
                link_id,
                Counter {
                    org_id,
                    clicks: 1,
                    last_at: at,
                },
            )),
        }
    }
    counters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_row_by_row_on_postgres() {
        assert_eq!(
            placeholders(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(placeholders(Backend::Postgres, 1, 1), "($1)");
    }

    #[test]
    fn placeholders_are_anonymous_on_sqlite() {
        assert_eq!(placeholders(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn only_human_clicks_through_count_and_the_last_time_wins() {
        let row = |link_id, at, bot| ClickRow {
            org_id: 1,
            link_id,
            at,
            bot,
            outcome: Outcome::Variant(1),
            ..ClickRow::empty()
        };
        let turned_away = |outcome| ClickRow {
            outcome,
            ..row(1, 30, false)
        };
        let counters = human_clicks_per_link(&[
            row(3, 7, false),
            row(1, 9, false),
            row(1, 20, true),
            row(2, 3, true),
            row(1, 5, false),
            turned_away(Outcome::Expired),
            turned_away(Outcome::Password),
        ]);
        let counter = |clicks, last_at| Counter {
            org_id: 1,
            clicks,
            last_at,
        };
        assert_eq!(counters, [(1, counter(2, 9)), (3, counter(1, 7))]);
    }
}
