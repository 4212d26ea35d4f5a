//! Splitting an insight's time range between the daily roll-ups and the raw clicks.
//!
//! A UTC day is read from the roll-ups when the whole day lies inside the range and its
//! roll-up is readable; everything else (today, the partial UTC days at the edges of a
//! range in another zone, days not rolled up yet or dirty) is read from `clicks`. Unique
//! visitors of the two parts add up exactly, because visitor keys never span two UTC days.

use std::collections::{BTreeSet, HashMap};

use crate::{
    analytics::question::Counts,
    store::rollups::{SLOT_MS, SlotCounts},
    timestamp::{MILLIS_PER_DAY, Millis},
};

/// The part of one rolled-up UTC day that a bucket covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// The whole day.
    Whole(i64),
    /// The day's first `n` slots.
    Start(i64, i64),
    /// The day's slots from the `n`th on.
    End(i64, i64),
}

impl Piece {
    pub fn day(self) -> i64 {
        match self {
            Self::Whole(day) | Self::Start(day, _) | Self::End(day, _) => day,
        }
    }
}

/// `[start, end)` as parts of rolled-up days that slot rows answer: whole days, starts
/// and ends of days cut at a quarter hour. `None` if any part of it is not such a piece
/// (a day not rolled up, the middle of a day, a cut off the quarter hours). The `open`
/// days kept in memory ([`super::live`]) answer whole days and starts, not ends: their
/// last visitors are not known yet.
pub fn pieces(
    start: Millis,
    end: Millis,
    readable: &BTreeSet<i64>,
    open: &BTreeSet<i64>,
) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut cursor = start;
    while cursor < end {
        let day = cursor.div_euclid(MILLIS_PER_DAY);
        let (day_start, day_end) = (day * MILLIS_PER_DAY, (day + 1) * MILLIS_PER_DAY);
        let piece_end = end.min(day_end);
        let is_open = open.contains(&day);
        if !readable.contains(&day) && !is_open {
            return None;
        }
        let piece = match (cursor == day_start, piece_end == day_end) {
            (true, true) => Piece::Whole(day),
            (true, false) if (piece_end - day_start) % SLOT_MS == 0 => {
                Piece::Start(day, (piece_end - day_start) / SLOT_MS)
            }
            (false, true) if (cursor - day_start) % SLOT_MS == 0 && !is_open => {
                Piece::End(day, (cursor - day_start) / SLOT_MS)
            }
            _ => return None,
        };
        pieces.push(piece);
        cursor = piece_end;
    }
    Some(pieces)
}

/// Clicks and unique visitors of `pieces`, from the slot rows of their days (a missing
/// slot had no clicks). A visitor clicked in the first `n` slots of a day if and only if
/// its first click is in one of them (and in the last ones iff its last click is), and
/// visitors of different days are different keys: so the sums are exact.
pub fn count_pieces(pieces: &[Piece], slots: &HashMap<(i64, i64), SlotCounts>) -> Counts {
    let mut counts = Counts::default();
    for &piece in pieces {
        let (day, range, end) = match piece {
            Piece::Whole(day) => (day, 0..SLOTS_PER_DAY, false),
            Piece::Start(day, n) => (day, 0..n, false),
            Piece::End(day, n) => (day, n..SLOTS_PER_DAY, true),
        };
        for slot in range {
            if let Some(row) = slots.get(&(day, slot)) {
                counts.total += row.clicks;
                counts.unique += if end {
                    row.last_visitors
                } else {
                    row.first_visitors
                };
            }
        }
    }
    counts
}

const SLOTS_PER_DAY: i64 = MILLIS_PER_DAY / SLOT_MS;

/// A time range, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The whole range, `[start, end)`.
    pub whole: (Millis, Millis),
    /// Runs of consecutive rolled-up days, both ends included.
    pub days: Vec<(i64, i64)>,
    /// The rest, as `[start, end)` instants.
    pub raw: Vec<(Millis, Millis)>,
    /// Starts of open days read from memory ([`super::live`]): the day, and the end of
    /// the part `[day start, end)` in the range.
    pub live: Vec<(i64, Millis)>,
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
            live: Vec::new(),
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
        live: Vec::new(),
    }
}

/// Moves the starts of open days out of the raw ranges: a raw part from the start of an
/// open day, up to the day's end or the range's, is read from memory.
pub fn carve_live(split: &mut Split, open: &BTreeSet<i64>) {
    let mut raw: Vec<(Millis, Millis)> = Vec::new();
    for (start, end) in std::mem::take(&mut split.raw) {
        let mut cursor = start;
        while cursor < end {
            let day = cursor.div_euclid(MILLIS_PER_DAY);
            let piece_end = end.min((day + 1) * MILLIS_PER_DAY);
            match open.contains(&day) {
                true if cursor == day * MILLIS_PER_DAY => split.live.push((day, piece_end)),
                _ => match raw.last_mut() {
                    Some((_, last_end)) if *last_end == cursor => *last_end = piece_end,
                    _ => raw.push((cursor, piece_end)),
                },
            }
            cursor = piece_end;
        }
    }
    split.raw = raw;
}

/// The open day and UTC hour of the day a bucket is exactly, if it is one hour of an
/// `open` day (kept in memory, which counts each hour's visitors).
pub fn open_day_hour(start: Millis, end: Millis, open: &BTreeSet<i64>) -> Option<(i64, i64)> {
    const HOUR: Millis = 3_600_000;
    let day = start.div_euclid(MILLIS_PER_DAY);
    (start.rem_euclid(HOUR) == 0 && end - start == HOUR && open.contains(&day))
        .then(|| (day, start.rem_euclid(MILLIS_PER_DAY) / HOUR))
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
    fn local_days_are_the_end_of_one_utc_day_and_the_start_of_the_next() {
        let readable = BTreeSet::from([4, 5, 6]);
        let none = BTreeSet::new();
        // Asia/Kolkata (+05:30): the local day 5 is 18:30 UTC on day 4 to 18:30 on day 5.
        let kolkata = (5 * DAY - 5 * HOUR - HOUR / 2, 6 * DAY - 5 * HOUR - HOUR / 2);
        assert_eq!(
            pieces(kolkata.0, kolkata.1, &readable, &none),
            Some(vec![Piece::End(4, 74), Piece::Start(5, 74)])
        );
        assert_eq!(
            pieces(5 * DAY, 7 * DAY, &readable, &none),
            Some(vec![Piece::Whole(5), Piece::Whole(6)])
        );
        // A day not rolled up, the middle of a day, a cut off the quarter hours: no.
        assert_eq!(pieces(6 * DAY, 8 * DAY, &readable, &none), None);
        assert_eq!(
            pieces(5 * DAY + HOUR, 5 * DAY + 2 * HOUR, &readable, &none),
            None
        );
        assert_eq!(
            pieces(5 * DAY, 5 * DAY + 7 * 60_000, &readable, &none),
            None
        );
    }

    #[test]
    fn open_days_answer_whole_days_and_starts_but_not_ends() {
        let (readable, open) = (BTreeSet::from([4]), BTreeSet::from([5]));
        // Asia/Kolkata's local day 5: the end of day 4 (rolled up), the start of day 5.
        let kolkata = (5 * DAY - 5 * HOUR - HOUR / 2, 6 * DAY - 5 * HOUR - HOUR / 2);
        assert_eq!(
            pieces(kolkata.0, kolkata.1, &readable, &open),
            Some(vec![Piece::End(4, 74), Piece::Start(5, 74)])
        );
        assert_eq!(
            pieces(5 * DAY, 6 * DAY, &readable, &open),
            Some(vec![Piece::Whole(5)])
        );
        // America/New_York's local day 4: the end of day 5 is not known yet.
        assert_eq!(
            pieces(5 * DAY + 4 * HOUR, 6 * DAY + 4 * HOUR, &readable, &open),
            None
        );
    }

    #[test]
    fn the_starts_of_open_days_are_carved_out_of_the_raw_ranges() {
        // Days 10 to 12 not rolled up, in a zone 5 hours ahead of UTC; days 11 and 12 are
        // open: the whole of day 11 and day 12 up to 19:00 are read from memory.
        let (from, to) = (10 * DAY - 5 * HOUR, 12 * DAY + 19 * HOUR);
        let mut split = split(from, to, &BTreeSet::new());
        carve_live(&mut split, &BTreeSet::from([11, 12]));
        assert_eq!(split.live, vec![(11, 12 * DAY), (12, to)]);
        assert_eq!(split.raw, vec![(from, 11 * DAY)]);
        // A range that starts inside an open day reads that day raw.
        let mut split = super::split(11 * DAY + 5 * HOUR, to, &BTreeSet::new());
        carve_live(&mut split, &BTreeSet::from([11, 12]));
        assert_eq!(split.live, vec![(12, to)]);
        assert_eq!(split.raw, vec![(11 * DAY + 5 * HOUR, 12 * DAY)]);
    }

    #[test]
    fn pieces_count_first_visitors_at_the_start_and_last_ones_at_the_end() {
        // Day 4: a visitor clicks in slots 1 and 90; another in slot 90 only.
        let slots = HashMap::from([
            (
                (4, 1),
                SlotCounts {
                    clicks: 1,
                    first_visitors: 1,
                    last_visitors: 0,
                },
            ),
            (
                (4, 90),
                SlotCounts {
                    clicks: 2,
                    first_visitors: 1,
                    last_visitors: 2,
                },
            ),
        ]);
        let count = |pieces: &[Piece]| count_pieces(pieces, &slots);
        assert_eq!(
            count(&[Piece::Whole(4)]),
            Counts {
                total: 3,
                unique: 2
            }
        );
        assert_eq!(
            count(&[Piece::Start(4, 2)]),
            Counts {
                total: 1,
                unique: 1
            }
        );
        assert_eq!(
            count(&[Piece::End(4, 2)]),
            Counts {
                total: 2,
                unique: 2
            }
        );
        assert_eq!(count(&[Piece::End(4, 91)]), Counts::default());
        assert_eq!(count(&[Piece::Whole(5)]), Counts::default());
    }

    #[test]
    fn a_utc_hour_of_an_open_day_is_answered_from_memory() {
        let open = BTreeSet::from([5]);
        assert_eq!(
            open_day_hour(5 * DAY + 3 * HOUR, 5 * DAY + 4 * HOUR, &open),
            Some((5, 3))
        );
        assert_eq!(open_day_hour(5 * DAY, 5 * DAY + HOUR, &open), Some((5, 0)));
        // Another day, a half-hour zone's hour, two hours: no.
        assert_eq!(
            open_day_hour(4 * DAY + 3 * HOUR, 4 * DAY + 4 * HOUR, &open),
            None
        );
        let half = HOUR / 2;
        assert_eq!(
            open_day_hour(5 * DAY + half, 5 * DAY + HOUR + half, &open),
            None
        );
        assert_eq!(open_day_hour(5 * DAY, 5 * DAY + 2 * HOUR, &open), None);
    }

    #[test]
    fn consecutive_days_make_one_run() {
        assert_eq!(runs([1, 2, 3, 5, 7, 8]), vec![(1, 3), (5, 5), (7, 8)]);
        assert!(runs([]).is_empty());
    }
}
