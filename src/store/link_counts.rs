//! Postgres's link counters, folded in the background (migration 0020): a batch of clicks
//! adds its human clicks per link to `link_counts_pending` as one row of arrays, in the
//! transaction of its clicks, and [`Store::fold_link_counts`] moves every pending row into
//! `link_counters` in one statement: one update per link for all the batches since the
//! last fold, instead of one per link and batch. SQLite updates its counters in the
//! batch's transaction (`write_clicks_in`), so there is nothing to fold there.

use std::collections::BTreeMap;

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

/// Takes every pending row and adds its counts to the counters, in link order.
const FOLD: &str = "WITH taken AS (DELETE FROM link_counts_pending RETURNING *), \
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
       last_click_at = GREATEST(link_counters.last_click_at, excluded.last_click_at)";

impl Store {
    /// Whether this database's link counters are folded in the background (Postgres).
    pub fn folds_link_counts(&self) -> bool {
        self.bulk.is_some()
    }

    /// Moves every pending count into `link_counters`; how many links it updated. Safe
    /// with several instances folding at once: each pending row is taken by one of them
    /// (a row another fold deleted first is skipped), and counters are updated in link
    /// order, so two folds never wait for each other in a circle.
    pub async fn fold_link_counts(&self) -> Result<u64, sqlx::Error> {
        let Some(postgres) = &self.bulk else {
            return Ok(0);
        };
        let folded = in_transaction(postgres, async |tx| {
            // The sums of a fold under load cover about as many links as the table holds:
            // room to add them up and sort them in memory.
            sqlx::query("SET LOCAL work_mem = '64MB'")
                .execute(&mut **tx)
                .await?;
            sqlx::query(FOLD).execute(&mut **tx).await
        })
        .await;
        self.note_write(&folded).await;
        Ok(folded?.rows_affected())
    }
}
