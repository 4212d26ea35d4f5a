//! Splitting an insight's time range between the daily roll-ups and the raw clicks.
//!
//! A UTC day is read from the roll-ups when the whole day lies inside the range and its
//! roll-up is readable; everything else (today, the partial UTC days at the edges of a
//! range in another zone, days not rolled up yet or dirty) is read from `clicks`. Unique
//! visitors of the two parts add up exactly, because visitor keys never span two UTC days.

use std::collections::BTreeSet;

use crate::timestamp::{MILLIS_PER_DAY, Millis};

/// A time range, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The whole range, `[start, end)`.
    pub whole: (Millis, Millis),
    /// Runs of consecutive rolled-up days, both ends included.
    pub days: Vec<(i64, i64)>,
    /// The rest, as `[start, end)` instants.
    pub raw: Vec<(Millis, Millis)>,
}

/// Splits `[from, to)` given the days whose roll-up is readable.
pub fn split(from: Millis, to: Millis, readable: &BTreeSet<i64>) -> Split {
    let first_whole_day =
        from.div_euclid(MILLIS_PER_DAY) + i64::from(from.rem_euclid(MILLIS_PER_DAY) != 0);
    let end_of_whole_days = to.div_euclid(MILLIS_PER_DAY);
    if first_whole_day >= end_of_whole_days {
        return Split {
            whole: (from, to),
            days: Vec::new(),
            raw: vec![(from, to)],
        };
    }
    let days: Vec<i64> = readable
        .range(first_whole_day..end_of_whole_days)
        .copied()
        .collect();
    let mut raw = Vec::new();
    let mut cursor = from;
    for day in &days {
        let start = day * MILLIS_PER_DAY;
        if cursor < start {
            raw.push((cursor, start));
        }
        cursor = start + MILLIS_PER_DAY;
    }
    if cursor < to {
        raw.push((cursor, to));
    }
    Split {
        whole: (from, to),
        days: runs(days),
        raw,
    }
}

/// The rolled-up day a bucket is exactly, if it is one.
pub fn rolled_up_day(start: Millis, end: Millis, readable: &BTreeSet<i64>) -> Option<i64> {
    let day = start.div_euclid(MILLIS_PER_DAY);
    (start.rem_euclid(MILLIS_PER_DAY) == 0
        && end - start == MILLIS_PER_DAY
        && readable.contains(&day))
    .then_some(day)
}

/// Consecutive days as runs, both ends included.
pub fn runs(days: impl IntoIterator<Item = i64>) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for day in days {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == day => *last = day,
            _ => runs.push((day, day)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Millis = MILLIS_PER_DAY;
    const HOUR: Millis = DAY / 24;

    #[test]
    fn a_range_of_whole_rolled_up_days_reads_no_raw_clicks() {
        let readable = BTreeSet::from([10, 11, 12]);
        let split = split(10 * DAY, 13 * DAY, &readable);
        assert_eq!(split.days, vec![(10, 12)]);
        assert!(split.raw.is_empty());
    }

    #[test]
    fn missing_days_and_partial_edges_are_read_raw() {
        // From 10:00 on day 9 to 05:30 on day 15, in another zone; day 12 is not rolled up,
        // day 15 is but is only partly inside.
        let readable = BTreeSet::from([9, 10, 11, 13, 14, 15]);
        let (from, to) = (9 * DAY + 10 * HOUR, 15 * DAY + 5 * HOUR + HOUR / 2);
        let split = split(from, to, &readable);
        assert_eq!(split.days, vec![(10, 11), (13, 14)]);
        assert_eq!(
            split.raw,
            vec![(from, 10 * DAY), (12 * DAY, 13 * DAY), (15 * DAY, to)]
        );
    }

    #[test]
    fn nothing_rolled_up_is_one_raw_range() {
        let split = split(3 * DAY, 8 * DAY + 1, &BTreeSet::new());
        assert!(split.days.is_empty());
        assert_eq!(split.raw, vec![(3 * DAY, 8 * DAY + 1)]);
    }

    #[test]
    fn days_before_the_epoch_split_too() {
        let readable = BTreeSet::from([-2, -1]);
        let split = split(-2 * DAY - HOUR, 0, &readable);
        assert_eq!(split.days, vec![(-2, -1)]);
        assert_eq!(split.raw, vec![(-2 * DAY - HOUR, -2 * DAY)]);
    }

    #[test]
    fn only_a_whole_readable_utc_day_is_a_rolled_up_bucket() {
        let readable = BTreeSet::from([5]);
        assert_eq!(rolled_up_day(5 * DAY, 6 * DAY, &readable), Some(5));
        assert_eq!(rolled_up_day(6 * DAY, 7 * DAY, &readable), None);
        assert_eq!(rolled_up_day(5 * DAY, 5 * DAY + HOUR, &readable), None);
        assert_eq!(
            rolled_up_day(5 * DAY - HOUR, 6 * DAY - HOUR, &readable),
            None
        );
    }

    #[test]
    fn consecutive_days_make_one_run() {
        assert_eq!(runs([1, 2, 3, 5, 7, 8]), vec![(1, 3), (5, 5), (7, 8)]);
        assert!(runs([]).is_empty());
    }
}
