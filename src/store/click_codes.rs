//! Postgres's click dictionaries (migration 0019): a click row (`click_rows`) holds two
//! 4-byte codes instead of eleven texts, one for the visitor's traits (`click_traits`:
//! country, city, device, browser, OS, language) and one for how the visit came
//! (`click_origins`: outcome, referrer, source, medium, campaign). Reads go through the
//! view `clicks`, which joins them back.
//!
//! Codes are looked up in memory; the values not seen yet are added to their dictionary
//! in one statement per dictionary, committed on its own before the clicks are written (an
//! entry nobody uses is harmless, and entries are never changed or deleted, so a code
//! once read stays right for the life of the process and for every instance).

use std::{
    collections::{BTreeMap, HashMap},
    sync::{LazyLock, Mutex},
};

use sqlx::postgres::PgPool;

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
    /// The row's values joined with NUL, into `key` (cleared first).
    fn key(row: &ClickRow, key: &mut String);
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

impl Dictionary for Traits {
    fn key(row: &ClickRow, key: &mut String) {
        let values = [
            &row.country,
            &row.city,
            &row.device,
            &row.browser,
            &row.os,
            &row.language,
        ];
        join_into(key, &values.map(String::as_str));
    }

    async fn upsert(pool: &PgPool, rows: &[&ClickRow]) -> Result<Vec<(i32, String)>, sqlx::Error> {
        let column =
            |pick: fn(&ClickRow) -> &str| -> Vec<&str> { rows.iter().map(|r| pick(r)).collect() };
        static SQL: LazyLock<String> = LazyLock::new(|| {
            upsert_sql(
                "click_traits",
                &["country", "city", "device", "browser", "os", "language"],
            )
        });
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
        static SQL: LazyLock<String> = LazyLock::new(|| {
            upsert_sql(
                "click_origins",
                &["outcome", "referrer", "source", "medium", "campaign"],
            )
        });
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

impl ClickCodes {
    /// The codes of `rows`, in order, adding the values not seen yet to the dictionaries.
    pub async fn of(
        &self,
        pool: &PgPool,
        rows: &[ClickRow],
    ) -> Result<Vec<ClickCode>, sqlx::Error> {
        let traits = codes::<Traits>(&self.traits, pool, rows).await?;
        let origins = codes::<Origins>(&self.origins, pool, rows).await?;
        Ok(traits
            .into_iter()
            .zip(origins)
            .map(|(traits, origin)| ClickCode { traits, origin })
            .collect())
    }
}

/// One dictionary's codes of `rows`, in order.
async fn codes<D: Dictionary>(
    cache: &Mutex<HashMap<String, i32>>,
    pool: &PgPool,
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
        for (id, key) in D::upsert(pool, &wanted).await? {
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
