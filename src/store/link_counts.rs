//! Link counters, folded in the background (migrations 0020 and 0021 on Postgres, 0024 on
//! SQLite): a batch of clicks adds its human clicks per link to `link_counts_packed` as one
//! row of packed bytes ([`pack`]), in the transaction of its clicks, and
//! [`Store::fold_link_counts`] takes the pending rows, adds them up per link here, and
//! writes the sums into `link_counters`: one update per link for all the batches since the
//! last fold, instead of one per link and batch. The database only stores and returns the
//! bytes: when Postgres unnested, added up and sorted arrays itself, that cost it about as
//! much as the clicks' own rows (bench/README.md, "Pending counts packed"); when SQLite
//! updated the counters in every batch, each batch rewrote nearly every page of
//! `link_counters` on many random links ("Counters folded in the background on SQLite").
//!
//! On Postgres, rows of arrays that an instance of the previous version leaves in
//! `link_counts_pending` are taken and added up with them, in the same transaction and the
//! same upsert; a flush's fold takes every row ([`Fold`]), the timer's only those no other
//! fold holds. On SQLite a fold runs on the recorder's one connection, between its batches,
//! and takes every row.

use std::{collections::HashMap, sync::LazyLock};

use futures_util::TryStreamExt;
use sqlx::{AnyPool, Postgres, Transaction};

use super::{
    Backend, Store,
    clicks::{Counter, add_to_counters_in},
    transaction::in_transaction,
};

/// Bytes of one link's counts in a packed row: the link, its organization, its clicks and
/// the time of its last click, each a little-endian 8-byte integer.
const PACKED_LINK: usize = 32;

/// A batch's counts as one packed value: [`PACKED_LINK`] bytes per link.
fn pack(counters: &[(i64, Counter)]) -> Vec<u8> {
    let mut packed = Vec::with_capacity(counters.len() * PACKED_LINK);
    for (link_id, counter) in counters {
        for value in [*link_id, counter.org_id, counter.clicks, counter.last_at] {
            packed.extend_from_slice(&value.to_le_bytes());
        }
    }
    packed
}

/// Adds the counts of one packed row to `sums`.
fn add_packed(packed: &[u8], sums: &mut HashMap<i64, Counter>) -> Result<(), sqlx::Error> {
    if !packed.len().is_multiple_of(PACKED_LINK) {
        return Err(sqlx::Error::Decode(
            format!(
                "a pending row of link counts holds {} bytes, not whole links of {PACKED_LINK}",
                packed.len()
            )
            .into(),
        ));
    }
    for link in packed.chunks_exact(PACKED_LINK) {
        let value = |at: usize| {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(&link[at..at + 8]);
            i64::from_le_bytes(bytes)
        };
        add_link(sums, value(0), value(8), value(16), value(24));
    }
    Ok(())
}

/// Adds up the packed rows a fold takes, yielding between rows: a fold under load adds up
/// a row per batch on a worker that visits share.
async fn add_up_packed(
    mut rows: impl futures_util::Stream<Item = Result<Vec<u8>, sqlx::Error>> + Unpin,
    sums: &mut HashMap<i64, Counter>,
) -> Result<(), sqlx::Error> {
    while let Some(counts) = rows.try_next().await? {
        add_packed(&counts, sums)?;
        tokio::task::yield_now().await;
    }
    Ok(())
}

/// A fold's sums in link order, the order every fold updates counters in (so two folds
/// never wait for each other in a circle).
fn in_link_order(sums: HashMap<i64, Counter>) -> Vec<(i64, Counter)> {
    let mut sums: Vec<(i64, Counter)> = sums.into_iter().collect();
    sums.sort_unstable_by_key(|(link_id, _)| *link_id);
    sums
}

/// A pending row of arrays (migration 0020): links, their organizations, clicks and last
/// clicks, one element per link.
type ArrayRow = (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>);

/// Adds the counts of one row of arrays to `sums`.
fn add_arrays(
    (links, orgs, clicks, last_at): ArrayRow,
    sums: &mut HashMap<i64, Counter>,
) -> Result<(), sqlx::Error> {
    if [orgs.len(), clicks.len(), last_at.len()] != [links.len(); 3] {
        return Err(sqlx::Error::Decode(
            "a pending row of link counts has arrays of different lengths".into(),
        ));
    }
    for (index, link_id) in links.into_iter().enumerate() {
        add_link(sums, link_id, orgs[index], clicks[index], last_at[index]);
    }
    Ok(())
}

/// Adds one link's counts to `sums`.
fn add_link(
    sums: &mut HashMap<i64, Counter>,
    link_id: i64,
    org_id: i64,
    clicks: i64,
    last_at: i64,
) {
    let sum = sums.entry(link_id).or_insert(Counter {
        org_id,
        clicks: 0,
        last_at,
    });
    sum.clicks += clicks;
    sum.last_at = sum.last_at.max(last_at);
}

/// Adds a batch's counts per link to the pending rows, in the batch's transaction
/// (Postgres's native one, SQLite's through the `Any` driver).
pub(super) async fn add_pending_counts<DB>(
    tx: &mut Transaction<'_, DB>,
    counters: &[(i64, Counter)],
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    if !counters.is_empty() {
        sqlx::query("INSERT INTO link_counts_packed (counts) VALUES ($1)")
            .bind(pack(counters))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Which pending rows a fold takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Every row, waiting for those another fold holds until it ends (at most
    /// [`FOLD_SETTINGS`], 5 s): a flush then knows that every count written before it is in a
    /// counter.
    All,
    /// The rows no other fold holds (the timer's folds): folds of several instances then
    /// share the rows instead of queueing behind each other, and a fold stuck on another
    /// instance (its network gone) holds up no one.
    Unclaimed,
}

/// A fold's settings, in one statement: the longest it waits for rows another fold holds
/// (past it the fold fails and the counts stay pending for the next), and room to sort in
/// memory the sums of a fold under load, which cover about as many links as the table
/// holds.
const FOLD_SETTINGS: &str = "SELECT set_config('lock_timeout', '5s', true), \
     set_config('work_mem', '64MB', true)";

/// The rows of `table` a fold takes: every one, or those no other fold holds.
fn taken(table: &str, fold: Fold, returning: &str) -> String {
    match fold {
        Fold::All => format!("DELETE FROM {table} RETURNING {returning}"),
        Fold::Unclaimed => format!(
            "DELETE FROM {table} WHERE ctid = ANY(ARRAY(\
               SELECT ctid FROM {table} FOR UPDATE SKIP LOCKED)) RETURNING {returning}"
        ),
    }
}

/// The rows of arrays instances of the previous version (migration 0020) leave.
const ARRAY_COLUMNS: &str = "links, orgs, clicks, last_at";
static TAKE_ALL_ARRAYS: LazyLock<String> =
    LazyLock::new(|| taken("link_counts_pending", Fold::All, ARRAY_COLUMNS));
static TAKE_UNCLAIMED_ARRAYS: LazyLock<String> =
    LazyLock::new(|| taken("link_counts_pending", Fold::Unclaimed, ARRAY_COLUMNS));
static TAKE_ALL_PACKED: LazyLock<String> =
    LazyLock::new(|| taken("link_counts_packed", Fold::All, "counts"));
static TAKE_UNCLAIMED_PACKED: LazyLock<String> =
    LazyLock::new(|| taken("link_counts_packed", Fold::Unclaimed, "counts"));

/// Adds the sums of a fold to the counters, in link order, so that two folds never wait
/// for each other in a circle; how many links it updated.
async fn add_sums(
    tx: &mut Transaction<'_, Postgres>,
    sums: HashMap<i64, Counter>,
) -> Result<u64, sqlx::Error> {
    if sums.is_empty() {
        return Ok(0);
    }
    let sums = in_link_order(sums);
    let column = |value: fn(&(i64, Counter)) -> i64| sums.iter().map(value).collect::<Vec<_>>();
    let added = sqlx::query(
        "INSERT INTO link_counters (link_id, org_id, clicks, last_click_at) \
         SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::int8[]) ORDER BY 1 \
         ON CONFLICT (link_id) DO UPDATE SET \
           clicks = link_counters.clicks + excluded.clicks, \
           last_click_at = GREATEST(link_counters.last_click_at, excluded.last_click_at)",
    )
    .bind(column(|(link_id, _)| *link_id))
    .bind(column(|(_, sum)| sum.org_id))
    .bind(column(|(_, sum)| sum.clicks))
    .bind(column(|(_, sum)| sum.last_at))
    .execute(&mut **tx)
    .await?;
    Ok(added.rows_affected())
}

impl Store {
    /// Whether this store's link counters are folded in the background: the recorder's
    /// stores are (Postgres's bulk pool, SQLite's recorder connection).
    pub fn folds_link_counts(&self) -> bool {
        self.bulk.is_some() || self.recorder.is_some()
    }

    /// Before the counters are read or served: folds what a stopped instance left pending
    /// (rows another instance's fold holds are left to it). A failure is only logged:
    /// the counts stay pending for the next fold.
    pub async fn fold_left_pending(&self) {
        if let Err(error) = self.fold_link_counts(Fold::Unclaimed).await {
            tracing::warn!(%error, "could not fold the click counts left pending; they stay pending");
        }
    }

    /// Moves the pending counts `fold` takes into `link_counters`; how many links it
    /// updated. Safe with several instances folding at once: each pending row is taken by
    /// one of them (a row another fold deleted first is skipped), and counters are updated
    /// in one statement in link order (rows of arrays and packed rows added up together),
    /// so two folds never wait for each other in a circle, nor a fold of an instance of the
    /// previous version, whose one statement does the same. Its outcome does not count for
    /// the write health: a fold with nothing to take writes nothing.
    pub async fn fold_link_counts(&self, fold: Fold) -> Result<u64, sqlx::Error> {
        let Some(postgres) = &self.bulk else {
            return match &self.recorder {
                Some(recorder) => fold_sqlite(recorder).await,
                None => Ok(0),
            };
        };
        let (arrays, packed) = match fold {
            Fold::All => (&TAKE_ALL_ARRAYS, &TAKE_ALL_PACKED),
            Fold::Unclaimed => (&TAKE_UNCLAIMED_ARRAYS, &TAKE_UNCLAIMED_PACKED),
        };
        in_transaction(postgres, async |tx| {
            sqlx::query(FOLD_SETTINGS).execute(&mut **tx).await?;
            let mut sums = HashMap::new();
            let legacy: Vec<ArrayRow> = sqlx::query_as(arrays).fetch_all(&mut **tx).await?;
            for row in legacy {
                add_arrays(row, &mut sums)?;
            }
            let rows = sqlx::query_scalar::<_, Vec<u8>>(packed).fetch(&mut **tx);
            add_up_packed(rows, &mut sums).await?;
            add_sums(tx, sums).await
        })
        .await
    }
}

/// A fold on SQLite, on the recorder's connection (which checks no foreign keys, as the
/// batches it folds did not): takes every pending row, adds them up, and adds the sums to
/// the counters in link order, in one transaction. With nothing pending it only reads: an
/// idle server's timer then never takes SQLite's one write lock from another process
/// (an import, a backup's restore check).
async fn fold_sqlite(recorder: &AnyPool) -> Result<u64, sqlx::Error> {
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM link_counts_packed LIMIT 1)")
            .fetch_one(recorder)
            .await?;
    if pending == 0 {
        return Ok(0);
    }
    in_transaction(recorder, async |tx| {
        let mut sums = HashMap::new();
        let rows = sqlx::query_scalar::<_, Vec<u8>>(&TAKE_ALL_PACKED).fetch(&mut **tx);
        add_up_packed(rows, &mut sums).await?;
        let sums = in_link_order(sums);
        add_to_counters_in(tx, Backend::Sqlite, &sums).await?;
        Ok(sums.len() as u64)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(org_id: i64, clicks: i64, last_at: i64) -> Counter {
        Counter {
            org_id,
            clicks,
            last_at,
        }
    }

    #[test]
    fn packed_rows_add_up_per_link() {
        let first = [(-3, counter(2, 1, 50)), (7, counter(1, 2, 100))];
        let second = [(7, counter(1, 5, 90)), (i64::MAX, counter(1, 1, 1))];
        let mut sums = HashMap::new();
        add_packed(&pack(&first), &mut sums).unwrap();
        add_packed(&pack(&second), &mut sums).unwrap();
        assert_eq!(pack(&first).len(), 2 * PACKED_LINK);
        assert_eq!(sums.len(), 3);
        assert_eq!(sums[&7], counter(1, 7, 100));
        assert_eq!(sums[&-3], counter(2, 1, 50));
        assert_eq!(sums[&i64::MAX], counter(1, 1, 1));
    }

    #[test]
    fn rows_of_arrays_add_up_with_packed_rows_and_uneven_ones_are_refused() {
        let mut sums = HashMap::new();
        add_packed(&pack(&[(7, counter(1, 2, 100))]), &mut sums).unwrap();
        add_arrays(
            (vec![7, 8], vec![1, 1], vec![3, 1], vec![150, 20]),
            &mut sums,
        )
        .unwrap();
        assert_eq!(sums[&7], counter(1, 5, 150));
        assert_eq!(sums[&8], counter(1, 1, 20));
        let uneven = (vec![9, 10], vec![1, 1], vec![1], vec![1, 1]);
        assert!(add_arrays(uneven, &mut sums).is_err());
        assert!(!sums.contains_key(&9), "nothing of a refused row is added");
    }

    #[test]
    fn a_row_that_is_not_whole_links_is_refused_not_misread() {
        let mut packed = pack(&[(1, counter(1, 1, 1))]);
        packed.pop();
        let mut sums = HashMap::new();
        let error = add_packed(&packed, &mut sums).unwrap_err();
        assert!(error.to_string().contains("31 bytes"), "{error}");
        assert!(sums.is_empty());
    }
}
