//! Today's clicks rolled up as the day goes, so that an insight reads raw only the last
//! three minutes of clicks, at any hour of the day (docs/ARCHITECTURE.md, "Open days, in
//! memory").
//!
//! Each server keeps, for every organization whose insights touched it in the last half
//! hour, its open days (today, and yesterday until its roll-up is written) as a
//! [`LiveDay`]: the clicks of the minutes that ended at least [`FOLD_LAG_MS`] ago, rolled
//! up in memory. A question folds in the minutes that ended since, reads the rest of the
//! day raw, and counts it on top ([`LiveDay::overlay`]), exactly. The roll-up task
//! refreshes the days kept, so a question usually reads only the last few minutes.
//!
//! **Staying exact.** A minute is folded once, so a click written after its minute was
//! folded would be missed. A click is written within seconds of the visit normally; one
//! written more than [`LATE_CLICK_MS`] after it (after a database outage, or by an
//! import) changes its day's mark in `dirty_days` in the transaction of the click, and a
//! day whose mark changed is read again from its start. What that takes: a click batch
//! commits within a minute of checking its clicks' ages, and the servers' clocks agree
//! within a minute (`FOLD_LAG_MS` = three minutes leaves that room).

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, Mutex},
};

use crate::{
    analytics::{
        live_day::{Click, LiveDay, Overlay},
        question::{ClickFilter, Counts, Dimension, RollupRows},
    },
    store::{Store, rollups::SlotCounts},
    timestamp::{MILLIS_PER_DAY, Millis, utc_day},
};

#[cfg(doc)]
use crate::store::rollups::LATE_CLICK_MS;

/// How long after a minute ends its clicks are folded into memory.
pub const FOLD_LAG_MS: Millis = 3 * 60 * 1000;

/// Clicks are folded a whole minute at a time.
const FOLD_STEP_MS: Millis = 60 * 1000;

/// Days nobody asked about for this long are dropped from memory.
const IDLE_MS: Millis = 30 * 60 * 1000;

/// Where the folded part of `day` ends at `now`: at the last minute that ended
/// [`FOLD_LAG_MS`] ago or earlier, within the day. (Not at a quarter hour: the quarter
/// hours' first visitors are counted click by click in time order, so a fold may end
/// anywhere.)
pub fn fold_point(day: i64, now: Millis) -> Millis {
    let closed = (now - FOLD_LAG_MS).div_euclid(FOLD_STEP_MS) * FOLD_STEP_MS;
    closed.clamp(day * MILLIS_PER_DAY, (day + 1) * MILLIS_PER_DAY)
}

/// The days of `[first_day, last_day]` that are read from memory at `now`: today and
/// yesterday, unless their roll-up is `readable`.
pub fn open_days(
    first_day: i64,
    last_day: i64,
    now: Millis,
    readable: &std::collections::BTreeSet<i64>,
) -> Vec<i64> {
    let today = utc_day(now);
    [today - 1, today]
        .into_iter()
        .filter(|day| (first_day..=last_day).contains(day) && !readable.contains(day))
        .collect()
}

/// What an insight needs of one open day.
#[derive(Debug, Default)]
pub struct LiveAnswers {
    /// Clicks and visitors from the day's start to the prefix asked for (the rows of
    /// `RollupRows::for_question(filter, None)`), if one was.
    pub counts: Counts,
    /// The same per breakdown, in the order of [`Dimension::ALL`]; `None` for a breakdown
    /// no roll-up answers (it is read raw over the whole range).
    pub properties: Vec<Option<Vec<(String, Counts)>>>,
    /// Clicks and visitors of the whole day.
    pub whole: Counts,
    /// The day's quarter hours (clicks and first visitors) of the filter's scope.
    pub slots: HashMap<i64, SlotCounts>,
    /// The day's UTC hours (clicks and visitors) of the filter's scope.
    pub hours: HashMap<i64, Counts>,
}

/// One day kept in memory.
#[derive(Debug, Default)]
struct Kept {
    day: Option<LiveDay>,
    /// The day's mark in `dirty_days` when it was read.
    mark: Option<i64>,
    /// Instants questions asked for the start of the day up to (the local midnight of a
    /// zone east of UTC): when folding passes one, a copy of the day folded up to it is
    /// kept in `snapshots`, so such questions are answered after the fold passed it too.
    cuts: BTreeSet<Millis>,
    /// Copies of the day folded up to a cut, by cut.
    snapshots: BTreeMap<Millis, LiveDay>,
}

/// At most this many cuts a day are remembered, and snapshots kept.
const MAX_CUTS: usize = 4;

/// A day kept, shared by the questions about it (one at a time).
type SharedDay = Arc<tokio::sync::Mutex<Kept>>;

/// The days kept, by `(organization, day)`, with when each was last asked about.
type KeptDays = HashMap<(i64, i64), (SharedDay, Millis)>;

/// The open days this server keeps in memory, per organization.
#[derive(Debug, Default)]
pub struct LiveDays {
    days: Mutex<KeptDays>,
}

impl LiveDays {
    /// The answers of one open day for `filter`'s question; the counts and breakdowns are
    /// those of `[day start, prefix_end)` (from a snapshot of the day folded up to
    /// `prefix_end` if the fold has passed it).
    pub async fn answers(
        &self,
        store: &Store,
        filter: &ClickFilter,
        day: i64,
        now: Millis,
        prefix_end: Option<Millis>,
    ) -> Result<LiveAnswers, sqlx::Error> {
        let started = std::time::Instant::now();
        let day_end = (day + 1) * MILLIS_PER_DAY;
        let kept = self.kept(filter.org_id, day, now);
        let mut kept = kept.lock().await;
        let cut = prefix_end.filter(|&end| end < day_end);
        if let Some(cut) = cut
            && kept.cuts.len() < MAX_CUTS
        {
            kept.cuts.insert(cut);
        }
        fold(store, &mut kept, filter.org_id, day, now, false).await?;
        let through = kept.day.as_ref().map_or(day_end, LiveDay::through);
        // The start of the day up to an instant the fold has passed: from a snapshot.
        let snapshot = match cut.filter(|&cut| cut < through) {
            Some(cut) => Some(match kept.snapshots.remove(&cut) {
                Some(snapshot) => (cut, snapshot),
                None => (cut, read_up_to(store, filter.org_id, day, cut).await?),
            }),
            None => None,
        };
        let folded = started.elapsed();
        let live = kept.day.as_mut().expect("fold leaves the day kept");
        let mut tail = Vec::new();
        store
            .each_human_click(
                filter.org_id,
                (live.through(), day_end),
                false,
                |link_id, domain, visitor, at, values| {
                    tail.push(live.intern(link_id, domain, visitor, at, values));
                },
            )
            .await?;
        let read = started.elapsed();
        let tail_clicks = tail.len();
        // Counting is CPU work (a whole day's clicks, at the first question of a day that
        // starts with nothing folded): off the async workers. A question cancelled
        // meanwhile drops the day, and the next reads it again.
        let live = kept.day.take().expect("fold leaves the day kept");
        let question = filter.clone();
        let (live, snapshot, answers) = off_the_workers(move || {
            let answers = count(&live, tail, snapshot.as_ref(), &question, day, prefix_end);
            (live, snapshot, answers)
        })
        .await?;
        kept.day = Some(live);
        if let Some((cut, snapshot)) = snapshot {
            keep_snapshot(&mut kept, cut, snapshot);
        }
        tracing::debug!(
            org_id = filter.org_id,
            day,
            tail_clicks,
            fold_ms = folded.as_millis(),
            tail_read_ms = (read - folded).as_millis(),
            count_ms = (started.elapsed() - read).as_millis(),
            "answered from an open day in memory"
        );
        Ok(answers)
    }

    /// Folds the minutes ended since into every day kept (the roll-up task's
    /// call, so that questions find little to read); drops days nobody asked about for
    /// [`IDLE_MS`] and days that are no longer open.
    pub async fn refresh(&self, store: &Store, now: Millis) -> Result<(), sqlx::Error> {
        let kept: Vec<((i64, i64), SharedDay)> = {
            let mut days = self
                .days
                .lock()
                .expect("the live days' lock is never poisoned");
            retain_current(&mut days, now);
            days.iter()
                .map(|(&key, (kept, _))| (key, kept.clone()))
                .collect()
        };
        for ((org_id, day), kept) in kept {
            let mut kept = kept.lock().await;
            fold(store, &mut kept, org_id, day, now, true).await?;
        }
        Ok(())
    }

    /// The day kept for an organization (a new empty one if none is), marked as asked
    /// about at `now`.
    fn kept(&self, org_id: i64, day: i64, now: Millis) -> SharedDay {
        let mut days = self
            .days
            .lock()
            .expect("the live days' lock is never poisoned");
        retain_current(&mut days, now);
        let (kept, used) = days.entry((org_id, day)).or_default();
        *used = now;
        kept.clone()
    }
}

/// Drops the days nobody asked about for [`IDLE_MS`] and those older than yesterday.
fn retain_current(days: &mut KeptDays, now: Millis) {
    let yesterday = utc_day(now) - 1;
    days.retain(|&(_, day), (_, used)| day >= yesterday && *used > now - IDLE_MS);
}

/// Brings a kept day up to [`fold_point`]: folds in the minutes ended since (keeping a
/// copy at each cut on the way), or reads the day again from its start if it is new, got
/// late clicks (its mark changed) or the clock went back. Cancel-safe: each step is
/// folded in only once its clicks have been read, and a question cancelled while one is
/// counted drops the day (the next reads it again).
async fn fold(
    store: &Store,
    kept: &mut Kept,
    org_id: i64,
    day: i64,
    now: Millis,
    background: bool,
) -> Result<(), sqlx::Error> {
    let mark = store.dirty_mark(org_id, day).await?;
    let target = fold_point(day, now);
    let reusable = kept
        .day
        .as_ref()
        .is_some_and(|live| kept.mark == mark && live.through() <= target);
    if !reusable {
        kept.day = Some(LiveDay::new(day));
        kept.mark = mark;
        kept.snapshots.clear();
    }
    let through = kept.day.as_ref().map_or(target, LiveDay::through);
    // Fold up to each cut on the way, keeping a copy there, then up to the target.
    let stops: Vec<Millis> = kept
        .cuts
        .iter()
        .copied()
        .filter(|&cut| cut > through && cut < target)
        .chain([target])
        .collect();
    for stop in stops {
        let live = kept.day.as_mut().expect("a kept day was just made");
        let from = live.through();
        if from >= stop {
            continue;
        }
        let clicks = read(store, live, org_id, (from, stop), background).await?;
        let mut live = kept.day.take().expect("a kept day was just made");
        let (live, snapshot) = off_the_workers(move || {
            live.fold(clicks, stop);
            let snapshot = (stop < target).then(|| live.clone());
            (live, snapshot)
        })
        .await?;
        kept.day = Some(live);
        if let Some(snapshot) = snapshot {
            keep_snapshot(kept, stop, snapshot);
        }
    }
    Ok(())
}

/// Keeps a copy of the day folded up to `cut`, dropping the earliest beyond
/// [`MAX_CUTS`].
fn keep_snapshot(kept: &mut Kept, cut: Millis, snapshot: LiveDay) {
    kept.snapshots.insert(cut, snapshot);
    while kept.snapshots.len() > MAX_CUTS {
        kept.snapshots.pop_first();
    }
}

/// The day folded from its start up to `cut`, read afresh (a question about the start of
/// the day up to an instant the kept day was folded past before anyone asked for it).
async fn read_up_to(
    store: &Store,
    org_id: i64,
    day: i64,
    cut: Millis,
) -> Result<LiveDay, sqlx::Error> {
    let mut snapshot = LiveDay::new(day);
    let clicks = read(
        store,
        &mut snapshot,
        org_id,
        (day * MILLIS_PER_DAY, cut),
        false,
    )
    .await?;
    off_the_workers(move || {
        snapshot.fold(clicks, cut);
        snapshot
    })
    .await
}

/// Runs CPU work on tokio's blocking threads.
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, sqlx::Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| sqlx::Error::Protocol(format!("counting an open day failed: {error}")))
}

/// What a question needs of an open day, counted from the folded part and the rest of the
/// day's clicks (`tail`); the start of the day up to an instant the fold has passed from
/// `snapshot`, the day folded up to exactly there.
fn count(
    live: &LiveDay,
    tail: Vec<Click>,
    snapshot: Option<&(Millis, LiveDay)>,
    filter: &ClickFilter,
    day: i64,
    prefix_end: Option<Millis>,
) -> LiveAnswers {
    let day_end = (day + 1) * MILLIS_PER_DAY;
    let mut answers = LiveAnswers::default();
    let Some(rows) = RollupRows::for_question(filter, None) else {
        return answers;
    };
    let whole_overlay = live.overlay(tail.clone());
    answers.whole = live.counts(&whole_overlay, filter, &rows);
    if !rows.per_traits {
        answers.slots = live.slots(&whole_overlay, filter);
        answers.hours = live.hours(&whole_overlay, filter);
    }
    let Some(end) = prefix_end else {
        return answers;
    };
    let nothing = Overlay::default();
    let prefix_overlay: Overlay;
    let (day_part, overlay) = match snapshot {
        Some((cut, snapshot)) if *cut == end => (snapshot, &nothing),
        _ if end >= day_end => (live, &whole_overlay),
        _ => {
            debug_assert!(end >= live.through());
            let before: Vec<Click> = tail.into_iter().filter(|c| c.at() < end).collect();
            prefix_overlay = live.overlay(before);
            (live, &prefix_overlay)
        }
    };
    answers.counts = day_part.counts(overlay, filter, &rows);
    answers.properties = Dimension::ALL
        .iter()
        .map(|&dimension| {
            RollupRows::for_question(filter, Some(dimension))
                .map(|rows| day_part.property(overlay, filter, &rows))
        })
        .collect();
    answers
}

/// The human clicks of `[start, end)`, interned in `live` (which only gains ids).
async fn read(
    store: &Store,
    live: &mut LiveDay,
    org_id: i64,
    range: (Millis, Millis),
    background: bool,
) -> Result<Vec<Click>, sqlx::Error> {
    let mut clicks = Vec::new();
    store
        .each_human_click(
            org_id,
            range,
            background,
            |link_id, domain, visitor, at, values| {
                clicks.push(live.intern(link_id, domain, visitor, at, values));
            },
        )
        .await?;
    Ok(clicks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const DAY: Millis = MILLIS_PER_DAY;
    const MINUTE: Millis = 60_000;

    #[test]
    fn a_minute_is_folded_three_minutes_after_it_ends() {
        let day = 20_000;
        let start = day * DAY;
        assert_eq!(
            fold_point(day, start + 15 * MINUTE + 3 * MINUTE - 1),
            start + 14 * MINUTE
        );
        assert_eq!(fold_point(day, start + 18 * MINUTE), start + 15 * MINUTE);
        assert_eq!(
            fold_point(day, start + 2 * MINUTE),
            start,
            "not before the day"
        );
        assert_eq!(
            fold_point(day - 1, start + 2 * MINUTE),
            start - MINUTE,
            "yesterday's last minute ended two minutes ago"
        );
        assert_eq!(fold_point(day - 1, start + 5 * DAY), start);
    }

    #[test]
    fn today_and_yesterday_are_open_unless_rolled_up() {
        let now = 20_000 * DAY + 5 * MINUTE;
        assert_eq!(
            open_days(19_990, 20_000, now, &BTreeSet::new()),
            [19_999, 20_000]
        );
        assert_eq!(
            open_days(19_990, 20_000, now, &BTreeSet::from([19_999])),
            [20_000]
        );
        assert_eq!(open_days(20_000, 20_000, now, &BTreeSet::new()), [20_000]);
        assert!(open_days(19_990, 19_998, now, &BTreeSet::new()).is_empty());
    }
}
