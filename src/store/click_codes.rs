//! The click dictionaries (migration 0019 on Postgres, 0022 on SQLite): a click row
//! (`click_rows`) holds two codes instead of eleven texts, one for the visitor's traits
//! (`click_traits`: country, city, device, browser, OS, language) and one for how the
//! visit came (`click_origins`: outcome, referrer, source, medium, campaign). Reads go
//! through the view `clicks`, which joins them back.
//!
//! Codes are looked up in memory; the values not seen yet are added to their dictionary,
//! committed on their own before the clicks are written (an entry nobody uses is harmless,
//! and entries are never changed or deleted, so a code once read stays right for the life
//! of the process and for every instance): on Postgres in one statement per dictionary,
//! on SQLite one entry at a time (a batch rarely brings more than a few new ones, and
//! SQLite has no arrays to send them in).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{LazyLock, Mutex},
};

use sqlx::{Any, AnyPool, postgres::PgPool};

use super::clicks::ClickRow;

/// A click's two codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClickCode {
    pub traits: i32,
    pub origin: i32,
}

/// Entries kept in memory per dictionary; past it the cache starts over (a busy site has
/// a few thousand combinations of traits; a city-level long tail may grow past this).
const CACHED_ENTRIES: usize = 100_000;

/// Statements that ask for a batch's new entries before giving up (each one after the
/// first only asks for entries other instances were adding at the same moment).
const UPSERT_ATTEMPTS: usize = 3;

/// The codes seen so far, by their values joined with NUL (which no Postgres text holds).
/// std's `HashMap` (SipHash): the values come from visitors (utm parameters, referrers),
/// and a fast unkeyed hash would let them craft collisions.
#[derive(Default)]
pub struct ClickCodes {
    traits: Mutex<HashMap<String, i32>>,
    origins: Mutex<HashMap<String, i32>>,
}

impl std::fmt::Debug for ClickCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickCodes").finish_non_exhaustive()
    }
}

/// The values of a row that one dictionary keeps.
trait Dictionary {
    /// The dictionary's table and its value columns.
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// The row's values joined with NUL, into `key` (cleared first).
    fn key(row: &ClickRow, key: &mut String);
    /// The row's values, in [`Self::COLUMNS`]'s order.
    fn values(row: &ClickRow) -> Vec<String>;
    /// Adds the entries not in the dictionary yet, returning the code and key of every
    /// entry this statement found or added (not those another instance is adding at the
    /// same moment: ask again for those).
    async fn upsert(pool: &PgPool, rows: &[&ClickRow]) -> Result<Vec<(i32, String)>, sqlx::Error>;
}

struct Traits;
struct Origins;

/// A row of `click_traits`.
#[derive(sqlx::FromRow)]
struct TraitsEntry {
    id: i32,
    country: String,
    city: String,
    device: String,
    browser: String,
    os: String,
    language: String,
}

/// The statement that adds the rows of `columns` (one array each, in key order) that
/// `table` does not hold yet and returns the code of each. Rows already there are found
/// first and never reach the `INSERT`: an insert spends an identity value even when it
/// conflicts, and codes are 4-byte numbers.
fn upsert_sql(table: &str, columns: &[&str]) -> String {
    let names = columns.join(", ");
    let arrays = (1..=columns.len())
        .map(|n| format!("${n}::text[]"))
        .collect::<Vec<_>>()
        .join(", ");
    let same = columns
        .iter()
        .map(|c| format!("t.{c} = w.{c}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let entry_columns = columns
        .iter()
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "WITH wanted AS (SELECT * FROM UNNEST({arrays}) WITH ORDINALITY AS w ({names}, place)), \
         added AS (INSERT INTO {table} ({names}) \
                   SELECT {names} FROM wanted w \
                   WHERE NOT EXISTS (SELECT FROM {table} t WHERE {same}) \
                   ORDER BY place \
                   ON CONFLICT DO NOTHING \
                   RETURNING id, {names}) \
         SELECT id, {names} FROM added \
         UNION ALL \
         SELECT t.id, {entry_columns} FROM {table} t JOIN wanted USING ({names})"
    )
}

fn join_into(key: &mut String, values: &[&str]) {
    key.clear();
    for value in values {
        key.push_str(value);
        key.push('\0');
    }
}

/// A row's traits, in [`Traits::COLUMNS`]'s order.
fn traits_of(row: &ClickRow) -> [&str; 6] {
    [
        &row.country,
        &row.city,
        &row.device,
        &row.browser,
        &row.os,
        &row.language,
    ]
    .map(String::as_str)
}

impl Dictionary for Traits {
    const TABLE: &'static str = "click_traits";
    const COLUMNS: &'static [&'static str] =
        &["country", "city", "device", "browser", "os", "language"];

    fn values(row: &ClickRow) -> Vec<String> {
        traits_of(row).map(str::to_owned).to_vec()
    }

    fn key(row: &ClickRow, key: &mut String) {
        join_into(key, &traits_of(row));
    }

    async fn upsert(pool: &PgPool, rows: &[&ClickRow]) -> Result<Vec<(i32, String)>, sqlx::Error> {
        let column =
            |pick: fn(&ClickRow) -> &str| -> Vec<&str> { rows.iter().map(|r| pick(r)).collect() };
        static SQL: LazyLock<String> = LazyLock::new(|| upsert_sql(Traits::TABLE, Traits::COLUMNS));
        let found: Vec<TraitsEntry> = sqlx::query_as(SQL.as_str())
            .bind(column(|r| &r.country))
            .bind(column(|r| &r.city))
            .bind(column(|r| &r.device))
            .bind(column(|r| &r.browser))
            .bind(column(|r| &r.os))
            .bind(column(|r| &r.language))
            .fetch_all(pool)
            .await?;
        Ok(found
            .into_iter()
            .map(|entry| {
                let row = ClickRow {
                    country: entry.country,
                    city: entry.city,
                    device: entry.device,
                    browser: entry.browser,
                    os: entry.os,
                    language: entry.language,
                    ..ClickRow::empty()
                };
                let mut key = String::new();
                Self::key(&row, &mut key);
                (entry.id, key)
            })
            .collect())
    }
}

impl Dictionary for Origins {
    const TABLE: &'static str = "click_origins";
    const COLUMNS: &'static [&'static str] =
        &["outcome", "referrer", "source", "medium", "campaign"];

    fn values(row: &ClickRow) -> Vec<String> {
        vec![
            row.outcome.stored().into_owned(),
            row.referrer.clone(),
            row.source.clone(),
            row.medium.clone(),
            row.campaign.clone().unwrap_or_default(),
        ]
    }

    fn key(row: &ClickRow, key: &mut String) {
        let outcome = row.outcome.stored();
        let campaign = row.campaign.as_deref().unwrap_or("");
        join_into(
            key,
            &[&outcome, &row.referrer, &row.source, &row.medium, campaign],
        );
    }

    async fn upsert(pool: &PgPool, rows: &[&ClickRow]) -> Result<Vec<(i32, String)>, sqlx::Error> {
        let column =
            |pick: fn(&ClickRow) -> &str| -> Vec<&str> { rows.iter().map(|r| pick(r)).collect() };
        static SQL: LazyLock<String> =
            LazyLock::new(|| upsert_sql(Origins::TABLE, Origins::COLUMNS));
        let found: Vec<(i32, String, String, String, String, String)> =
            sqlx::query_as(SQL.as_str())
                .bind(
                    rows.iter()
                        .map(|r| r.outcome.stored().into_owned())
                        .collect::<Vec<String>>(),
                )
                .bind(column(|r| &r.referrer))
                .bind(column(|r| &r.source))
                .bind(column(|r| &r.medium))
                .bind(column(|r| r.campaign.as_deref().unwrap_or("")))
                .fetch_all(pool)
                .await?;
        Ok(found
            .into_iter()
            .map(|(id, outcome, referrer, source, medium, campaign)| {
                let mut key = String::new();
                join_into(
                    &mut key,
                    &[&outcome, &referrer, &source, &medium, &campaign],
                );
                (id, key)
            })
            .collect())
    }
}

/// SQLite: adds the entries of `rows` its dictionary lacks, one at a time, each committed
/// on its own; the code and key of each.
async fn upsert_sqlite<D: Dictionary>(
    pool: &AnyPool,
    rows: &[&ClickRow],
) -> Result<Vec<(i32, String)>, sqlx::Error> {
    let names = D::COLUMNS.join(", ");
    let marks = vec!["?"; D::COLUMNS.len()].join(", ");
    let add = format!(
        "INSERT INTO {} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING",
        D::TABLE
    );
    let find = format!("SELECT id FROM {} WHERE ({names}) = ({marks})", D::TABLE);
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let values = D::values(row);
        let mut insert = sqlx::query::<Any>(&add);
        let mut select = sqlx::query_scalar::<Any, i64>(&find);
        for value in &values {
            insert = insert.bind(value.as_str());
            select = select.bind(value.as_str());
        }
        insert.execute(pool).await?;
        let id = select.fetch_one(pool).await?;
        let id = i32::try_from(id).map_err(|_| {
            sqlx::Error::Protocol(format!("{} has an entry past 2^31: {id}", D::TABLE))
        })?;
        let mut key = String::new();
        D::key(row, &mut key);
        found.push((id, key));
    }
    Ok(found)
}

impl ClickCodes {
    /// The codes of `rows`, in order, adding the values not seen yet to the dictionaries
    /// through `adding`.
    pub(super) async fn of(
        &self,
        adding: Adding<'_>,
        rows: &[ClickRow],
    ) -> Result<Vec<ClickCode>, sqlx::Error> {
        let traits = codes::<Traits>(&self.traits, adding, rows).await?;
        let origins = codes::<Origins>(&self.origins, adding, rows).await?;
        Ok(traits
            .into_iter()
            .zip(origins)
            .map(|(traits, origin)| ClickCode { traits, origin })
            .collect())
    }
}

/// Where the entries not cached are added: on Postgres's pool, or on SQLite's (outside
/// any transaction: SQLite has one writer).
#[derive(Clone, Copy)]
pub(super) enum Adding<'a> {
    Postgres(&'a PgPool),
    Sqlite(&'a AnyPool),
}

impl Adding<'_> {
    /// Adds the entries of `rows` (and finds those another instance added): the code and
    /// key of each it found.
    async fn entries<D: Dictionary>(
        self,
        rows: &[&ClickRow],
    ) -> Result<Vec<(i32, String)>, sqlx::Error> {
        match self {
            Self::Postgres(pool) => D::upsert(pool, rows).await,
            Self::Sqlite(pool) => upsert_sqlite::<D>(pool, rows).await,
        }
    }
}

/// One dictionary's codes of `rows`, in order, the entries not cached added through
/// `adding`.
async fn codes<D: Dictionary>(
    cache: &Mutex<HashMap<String, i32>>,
    adding: Adding<'_>,
    rows: &[ClickRow],
) -> Result<Vec<i32>, sqlx::Error> {
    let mut key = String::new();
    // In key order, so instances adding the same new entries at once take their locks in
    // one order (in any order two upserts could each wait for the other).
    let mut missing: BTreeMap<String, &ClickRow> = BTreeMap::new();
    let mut found = Vec::with_capacity(rows.len());
    {
        let cache = cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for row in rows {
            D::key(row, &mut key);
            let code = cache.get(key.as_str()).copied();
            if code.is_none() && !missing.contains_key(key.as_str()) {
                missing.insert(key.clone(), row);
            }
            found.push(code);
        }
    }
    if missing.is_empty() {
        return Ok(found
            .into_iter()
            .map(|code| code.unwrap_or_default())
            .collect());
    }
    let mut added: HashMap<String, i32> = HashMap::with_capacity(missing.len());
    // An entry another instance is adding at the same moment is not seen by the statement
    // that waited for it: the next one sees it.
    for _ in 0..UPSERT_ATTEMPTS {
        let wanted: Vec<&ClickRow> = missing.values().copied().collect();
        for (id, key) in adding.entries::<D>(&wanted).await? {
            missing.remove(key.as_str());
            added.insert(key, id);
        }
        if missing.is_empty() {
            break;
        }
    }
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if cache.len() + added.len() > CACHED_ENTRIES {
        cache.clear();
    }
    let mut codes = Vec::with_capacity(rows.len());
    for (row, code) in rows.iter().zip(found) {
        let code = match code {
            Some(code) => code,
            None => {
                D::key(row, &mut key);
                let Some(&code) = added.get(key.as_str()) else {
                    return Err(sqlx::Error::Protocol(format!(
                        "{} returned no code for a click's values",
                        std::any::type_name::<D>()
                    )));
                };
                code
            }
        };
        codes.push(code);
    }
    cache.extend(added);
    Ok(codes)
}

/// A visitor key as Postgres stores it (migration 0019): its first 8 bytes as a
/// big-endian number, a shorter key padded with zero bytes.
pub fn visitor_number(key: &[u8]) -> i64 {
    let mut bytes = [0u8; 8];
    let length = key.len().min(8);
    bytes[..length].copy_from_slice(&key[..length]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_key_becomes_its_first_eight_bytes() {
        assert_eq!(visitor_number(&[0, 0, 0, 0, 0, 0, 1, 2, 9, 9]), 0x0102);
        assert_eq!(visitor_number(&[0x00, 0xff]), 0x00ff_0000_0000_0000);
        assert_eq!(visitor_number(&[0xff; 8]), -1);
        assert_eq!(visitor_number(&[]), 0);
    }

    #[test]
    fn keys_tell_every_value_apart() {
        let row = ClickRow {
            country: "DE".into(),
            city: "Berlin".into(),
            ..ClickRow::empty()
        };
        let moved = ClickRow {
            country: "DEB".into(),
            city: "erlin".into(),
            ..ClickRow::empty()
        };
        let elsewhere = ClickRow {
            language: "de".into(),
            ..row.clone()
        };
        let [mut a, mut b, mut c] = [String::new(), String::new(), String::new()];
        Traits::key(&row, &mut a);
        Traits::key(&moved, &mut b);
        Traits::key(&elsewhere, &mut c);
        assert!(a != b && a != c && b != c);
        let campaign = ClickRow {
            campaign: Some("spring".into()),
            ..ClickRow::empty()
        };
        Origins::key(&ClickRow::empty(), &mut a);
        Origins::key(&campaign, &mut b);
        assert_ne!(a, b);
    }
}
