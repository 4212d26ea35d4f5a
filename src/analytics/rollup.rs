//! The roll-up task: rolls up every closed UTC day of every organization that has not been
//! rolled up yet, and redoes dirty ones. Runs in `serve` once a minute (every instance may
//! run it; concurrent roll-ups of one day wait for each other and agree), and once on demand
//! with `openpxl rollup`. The storage side and its consistency protocol are in
//! [`crate::store::rollups`].

use std::{sync::Arc, time::Duration};

use tokio::task::JoinHandle;

use crate::{
    analytics::live::LiveDays,
    metrics::Metrics,
    store::{Store, rollups::first_open_day},
    timestamp::{Millis, utc_day},
};

/// How often `serve` looks for days to roll up.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// The `(organization, day)` pairs to roll up at `now`, oldest first.
pub async fn days_to_roll_up(store: &Store, now: Millis) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let open = first_open_day(now);
    let mut days = Vec::new();
    for (org_id, first_click) in store.first_clicks().await? {
        let first_day = utc_day(first_click);
        let done = store.rolled_up_days(org_id, first_day, now).await?;
        days.extend(
            (first_day..open)
                .filter(|day| !done.contains(day))
                .map(|day| (org_id, day)),
        );
    }
    let dirty = store.dirty_days().await?;
    days.extend(dirty.into_iter().filter(|(_, day)| *day < open));
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

/// Rolls up every day that needs it; returns how many this call rolled up. A day that fails
/// does not hold back the others; the first error is returned after trying them all (the
/// failed days stay unrolled, so the next pass retries them).
pub async fn roll_up_closed_days(store: &Store, now: Millis) -> Result<usize, sqlx::Error> {
    let days = days_to_roll_up(store, now).await?;
    let mut rolled_up = 0;
    let mut first_error = None;
    let started = std::time::Instant::now();
    for &(org_id, day) in &days {
        // The clock moves on during a long pass (a backlog of days): a claim's time is
        // when it is made.
        let now = now.saturating_add(Millis::try_from(started.elapsed().as_millis()).unwrap_or(0));
        match store.roll_up_day(org_id, day, now).await {
            Ok(true) => rolled_up += 1,
            Ok(false) => {} // another roll-up has the day
            Err(error) => {
                tracing::warn!(%error, org_id, day, "could not roll up a day of clicks");
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(rolled_up),
    }
}

/// Starts the periodic roll-up task of `serve`, which also folds the quarter hours closed
/// since into the open days kept in memory (`live`).
pub fn spawn(store: Store, live: Arc<LiveDays>, metrics: Metrics) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let started = std::time::Instant::now();
            let result = roll_up_closed_days(&store, crate::timestamp::now()).await;
            metrics.rollup_ran(result.is_ok(), started.elapsed());
            match result {
                Ok(0) => {}
                Ok(days) => tracing::info!(days, "rolled up closed days of clicks"),
                Err(error) => tracing::warn!(%error, "could not roll up clicks; will retry"),
            }
            if let Err(error) = live.refresh(&store, crate::timestamp::now()).await {
                tracing::warn!(%error, "could not fold today's clicks into memory; will retry");
            }
        }
    })
}
