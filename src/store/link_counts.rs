//! Postgres's link counters, folded in the background (migration 0020): a batch of clicks
//! adds its human clicks per link to `link_counts_pending` as one row of arrays, in the
//! transaction of its clicks, and [`Store::fold_link_counts`] moves the pending rows into
//! `link_counters` in one statement: one update per link for all the batches since the
//! last fold, instead of one per link and batch. A flush's fold takes every row ([`Fold`]),
//! the timer's only those no other fold holds. SQLite updates its counters in the
//! batch's transaction (`write_clicks_in`), so there is nothing to fold there.

use std::{collections::BTreeMap, sync::LazyLock};

use sqlx::{Postgres, Transaction};

use super::{Store, clicks::Counter, transaction::in_transaction};

/// Adds a batch's counts per link to the pending rows (Postgres).
pub(super) async fn add_pending_counts(
    tx: &mut Transaction<'_, Postgres>,
    counters: &BTreeMap<i64, Counter>,
) -> Result<(), sqlx::Error> {
    if counters.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO link_counts_pending (links, orgs, clicks, last_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(counters.keys().copied().collect::<Vec<i64>>())
    .bind(counters.values().map(|c| c.org_id).collect::<Vec<i64>>())
    .bind(counters.values().map(|c| c.clicks).collect::<Vec<i64>>())
    .bind(counters.values().map(|c| c.last_at).collect::<Vec<i64>>())
    .execute(&mut **tx)
    .await?;
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
/// (past it the fold fails and the counts stay pending for the next), and room to add up
/// and sort in memory the sums of a fold under load, which cover about as many links as
/// the table holds.
const FOLD_SETTINGS: &str = "SELECT set_config('lock_timeout', '5s', true), \
     set_config('work_mem', '64MB', true)";

/// Adds the pending rows `taken` up per link into the counters, in link order.
fn fold_sql(taken: &str) -> String {
    format!(
        "WITH taken AS ({taken}), \
         counts AS (SELECT u.link_id, min(u.org_id) AS org_id, sum(u.clicks)::int8 AS clicks, \
                           max(u.last_at) AS last_at \
                    FROM taken, \
                         UNNEST(taken.links, taken.orgs, taken.clicks, taken.last_at) \
                           AS u (link_id, org_id, clicks, last_at) \
                    GROUP BY u.link_id) \
         INSERT INTO link_counters (link_id, org_id, clicks, last_click_at) \
         SELECT link_id, org_id, clicks, last_at FROM counts ORDER BY link_id \
         ON CONFLICT (link_id) DO UPDATE SET \
           clicks = link_counters.clicks + excluded.clicks, \
           last_click_at = GREATEST(link_counters.last_click_at, excluded.last_click_at)"
    )
}

static FOLD_ALL: LazyLock<String> =
    LazyLock::new(|| fold_sql("DELETE FROM link_counts_pending RETURNING *"));
static FOLD_UNCLAIMED: LazyLock<String> = LazyLock::new(|| {
    fold_sql(
        "DELETE FROM link_counts_pending WHERE ctid = ANY(ARRAY(\
           SELECT ctid FROM link_counts_pending FOR UPDATE SKIP LOCKED)) RETURNING *",
    )
});

impl Store {
    /// Whether this database's link counters are folded in the background (Postgres).
    pub fn folds_link_counts(&self) -> bool {
        self.bulk.is_some()
    }

    /// Moves the pending counts `fold` takes into `link_counters`; how many links it
    /// updated. Safe with several instances folding at once: each pending row is taken by
    /// one of them (a row another fold deleted first is skipped), and counters are updated
    /// in link order, so two folds never wait for each other in a circle. Its outcome does
    /// not count for the write health: a fold with nothing to take writes nothing.
    pub async fn fold_link_counts(&self, fold: Fold) -> Result<u64, sqlx::Error> {
        let Some(postgres) = &self.bulk else {
            return Ok(0);
        };
        let statement = match fold {
            Fold::All => FOLD_ALL.as_str(),
            Fold::Unclaimed => FOLD_UNCLAIMED.as_str(),
        };
        let folded = in_transaction(postgres, async |tx| {
            sqlx::query(FOLD_SETTINGS).execute(&mut **tx).await?;
            sqlx::query(statement).execute(&mut **tx).await
        })
        .await?;
        Ok(folded.rows_affected())
    }
}
