//! One organization's open UTC day (today, or yesterday until its roll-up is written),
//! rolled up in memory as its quarter hours close, so that an insight reads raw only the
//! clicks since the last folded quarter hour (see [`super::live`] for when).
//!
//! The counts are those of the day's roll-up rows (`daily_clicks` value and trait rows,
//! and the quarter hours' clicks and first visitors of `daily_slot_counts`), kept so that
//! clicks can be added in time order without reading the day again. The hard part is the
//! unique visitors: a visitor counts in a row only at its first click of the day that
//! falls in that row. So each visitor keeps the distinct *combinations* (link, domain,
//! traits and the ten click columns) its clicks had so far, and a click adds a visitor
//! to a row iff no earlier combination of the visitor falls in that row. The memory is
//! per distinct combination (at most one per click) and per row.
//!
//! The clicks after the last folded quarter hour are counted as an [`Overlay`] per
//! question, against the folded combinations and without changing them: base and
//! overlay add up exactly, because the overlay counts a visitor only where the base did
//! not.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use crate::{
    analytics::{
        day_rollup::CLICK_COLUMNS,
        interner::{ClickInterner, NO_VISITOR, TRAITS},
        question::{ClickFilter, Counts, RollupRows},
    },
    store::rollups::{SLOT_MS, SlotCounts, TRAIT_DIMENSIONS, VALUE_DIMENSIONS},
    timestamp::{MILLIS_PER_DAY, Millis},
};

/// The value id of rows without a value: `all`, and the trait rows of dimension `''`.
const NO_VALUE: u32 = u32::MAX;

/// Whose rows: the organization's, a link's, a domain's, or (trait rows) a set of traits'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    Organization,
    Link,
    Domain,
    Traits,
}

impl Scope {
    const VALUE_ROWS: [Self; 3] = [Self::Organization, Self::Link, Self::Domain];

    fn group(self, combo: &Combo) -> u32 {
        match self {
            Self::Organization => 0,
            Self::Link => combo.link,
            Self::Domain => combo.domain,
            Self::Traits => combo.traits,
        }
    }
}

/// What a click was, as far as any row can tell: two clicks of one visitor with the same
/// combination fall in the same rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Combo {
    link: u32,
    domain: u32,
    traits: u32,
    values: [u32; CLICK_COLUMNS.len()],
}

impl Combo {
    /// Whether a click like `self` falls in the rows of `scope`'s `group` with `value` in
    /// the dimension `dimension` (index in [`VALUE_DIMENSIONS`], or in
    /// [`TRAIT_DIMENSIONS`] for trait rows).
    fn falls_in(&self, scope: Scope, group: u32, dimension: usize, value: u32) -> bool {
        scope.group(self) == group && value_of(scope, dimension, &self.values) == value
    }
}

/// A click's value in a dimension of `scope`'s rows.
fn value_of(scope: Scope, dimension: usize, values: &[u32; CLICK_COLUMNS.len()]) -> u32 {
    match (scope, dimension) {
        (_, 0) => NO_VALUE,
        (Scope::Traits, d) => values[TRAITS + d - 1],
        (_, d) => values[d - 1],
    }
}

/// A click as integers, to be counted.
#[derive(Debug, Clone, Copy)]
pub struct Click {
    at: Millis,
    visitor: u32,
    combo: Combo,
}

impl Click {
    pub fn at(&self) -> Millis {
        self.at
    }
}

/// A combination a visitor's clicks had, and the UTC hours of the day (bit `h` for hour
/// `h`) in which they had it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    combo: Combo,
    hours: u32,
}

/// The hour of the day of an instant of the day that starts at `day_start`, as a bit.
fn hour_bit(day_start: Millis, at: Millis) -> u32 {
    1 << ((at - day_start) / HOUR_MS)
}

const HOUR_MS: Millis = 3_600_000;

/// Clicks and unique visitors per row; per quarter hour the clicks and the visitors whose
/// first click (in the scope) it holds; per hour the clicks and the visitors who clicked in
/// it (in the scope).
#[derive(Debug, Clone, Default)]
struct Counted {
    /// `(scope, group, dimension)` → value → counts. (Fx hashing: these maps take some
    /// forty updates a click, and their keys are small integers.)
    rows: FxHashMap<(Scope, u32, usize), FxHashMap<u32, Counts>>,
    /// `(scope, group)` → slot → clicks (`total`) and first visitors (`unique`).
    slots: FxHashMap<(Scope, u32), FxHashMap<i64, Counts>>,
    /// `(scope, group)` → UTC hour of the day → clicks and visitors.
    hours: FxHashMap<(Scope, u32), FxHashMap<i64, Counts>>,
}

impl Counted {
    /// Counts a click whose visitor's earlier clicks of the day had the combinations
    /// `before`.
    fn count(&mut self, day_start: Millis, click: &Click, before: &[Seen]) {
        let person = click.visitor != NO_VISITOR;
        let combo = &click.combo;
        let mut bump = |scope: Scope, dimension: usize| {
            let group = scope.group(combo);
            let value = value_of(scope, dimension, &combo.values);
            let seen = before
                .iter()
                .any(|earlier| earlier.combo.falls_in(scope, group, dimension, value));
            let counts = self
                .rows
                .entry((scope, group, dimension))
                .or_default()
                .entry(value)
                .or_default();
            counts.total += 1;
            counts.unique += i64::from(person && !seen);
        };
        for scope in Scope::VALUE_ROWS {
            for dimension in 0..VALUE_DIMENSIONS.len() {
                bump(scope, dimension);
            }
        }
        for dimension in 0..TRAIT_DIMENSIONS.len() {
            bump(Scope::Traits, dimension);
        }
        let slot = (click.at - day_start) / SLOT_MS;
        let (hour, bit) = (
            (click.at - day_start) / HOUR_MS,
            hour_bit(day_start, click.at),
        );
        for scope in Scope::VALUE_ROWS {
            let group = scope.group(combo);
            let in_scope = |earlier: &&Seen| scope.group(&earlier.combo) == group;
            let first = person && !before.iter().any(|earlier| in_scope(&earlier));
            let counts = self
                .slots
                .entry((scope, group))
                .or_default()
                .entry(slot)
                .or_default();
            counts.total += 1;
            counts.unique += i64::from(first);
            let first_in_hour = person
                && !before
                    .iter()
                    .filter(in_scope)
                    .any(|earlier| earlier.hours & bit != 0);
            let counts = self
                .hours
                .entry((scope, group))
                .or_default()
                .entry(hour)
                .or_default();
            counts.total += 1;
            counts.unique += i64::from(first_in_hour);
        }
    }
}

/// The counts of the clicks after [`LiveDay::through`], on top of the folded ones.
#[derive(Debug, Default)]
pub struct Overlay {
    counted: Counted,
}

/// One organization's UTC day, folded up to [`LiveDay::through`].
#[derive(Debug, Clone)]
pub struct LiveDay {
    day: i64,
    through: Millis,
    ids: ClickInterner,
    /// Per visitor id, the distinct combinations of its folded clicks.
    combos: Vec<Vec<Seen>>,
    counted: Counted,
}

impl LiveDay {
    /// The day, with nothing folded yet.
    pub fn new(day: i64) -> Self {
        Self {
            day,
            through: day * MILLIS_PER_DAY,
            ids: ClickInterner::default(),
            combos: Vec::new(),
            counted: Counted::default(),
        }
    }

    /// Every human click of the day before this instant is folded in.
    pub fn through(&self) -> Millis {
        self.through
    }

    fn day_start(&self) -> Millis {
        self.day * MILLIS_PER_DAY
    }

    /// A human click of the day as integers: its link and the link's domain, its visitor
    /// key, time, and the values of [`CLICK_COLUMNS`] in that order. Only gives new ids
    /// (so a question may intern its clicks and drop them).
    pub fn intern(
        &mut self,
        link_id: i64,
        domain: &str,
        visitor: Option<&[u8]>,
        at: Millis,
        values: [&str; CLICK_COLUMNS.len()],
    ) -> Click {
        let ids = self.ids.click(link_id, domain, visitor, values);
        Click {
            at,
            visitor: ids.visitor,
            combo: Combo {
                link: ids.link,
                domain: ids.domain,
                traits: ids.traits,
                values: ids.values,
            },
        }
    }

    /// Folds in `clicks`, which must be every human click of the day in
    /// `[through, until)` (in any order), and moves `through` to `until`.
    pub fn fold(&mut self, mut clicks: Vec<Click>, until: Millis) {
        debug_assert!(clicks.iter().all(|c| c.at >= self.through && c.at < until));
        clicks.sort_by_key(|click| click.at);
        let day_start = self.day_start();
        for click in &clicks {
            let before: &[Seen] = match self.combos.get(click.visitor as usize) {
                Some(combos) => combos,
                None => &[],
            };
            self.counted.count(day_start, click, before);
            if click.visitor != NO_VISITOR {
                let index = click.visitor as usize;
                if self.combos.len() <= index {
                    self.combos.resize_with(index + 1, Vec::new);
                }
                let bit = hour_bit(day_start, click.at);
                let combos = &mut self.combos[index];
                match combos.iter_mut().find(|seen| seen.combo == click.combo) {
                    Some(seen) => seen.hours |= bit,
                    None => combos.push(Seen {
                        combo: click.combo,
                        hours: bit,
                    }),
                }
            }
        }
        self.through = until;
    }

    /// The counts of `clicks` (clicks of the day from `through` on, in any order) on top
    /// of the folded ones; the day itself is left as it is.
    pub fn overlay(&self, mut clicks: Vec<Click>) -> Overlay {
        clicks.sort_by_key(|click| click.at);
        let mut overlay = Overlay::default();
        let mut later: FxHashMap<u32, Vec<Seen>> = FxHashMap::default();
        let mut before = Vec::new();
        for click in &clicks {
            before.clear();
            if click.visitor != NO_VISITOR {
                if let Some(combos) = self.combos.get(click.visitor as usize) {
                    before.extend_from_slice(combos);
                }
                if let Some(combos) = later.get(&click.visitor) {
                    before.extend_from_slice(combos);
                }
            }
            overlay.counted.count(self.day_start(), click, &before);
            let bit = hour_bit(self.day_start(), click.at);
            let known = before
                .iter()
                .any(|seen| seen.combo == click.combo && seen.hours & bit != 0);
            if click.visitor != NO_VISITOR && !known {
                later.entry(click.visitor).or_default().push(Seen {
                    combo: click.combo,
                    hours: bit,
                });
            }
        }
        overlay
    }

    /// Clicks and unique visitors of the rows `rows` that `filter` selects, in the folded
    /// clicks and `overlay`'s.
    pub fn counts(&self, overlay: &Overlay, filter: &ClickFilter, rows: &RollupRows) -> Counts {
        let mut sum = Counts::default();
        self.each_row(overlay, filter, rows, |_, counts| sum = sum + counts);
        sum
    }

    /// The same, per value of the column `rows.group`, in no particular order.
    pub fn property(
        &self,
        overlay: &Overlay,
        filter: &ClickFilter,
        rows: &RollupRows,
    ) -> Vec<(String, Counts)> {
        let mut sums: FxHashMap<u32, Counts> = FxHashMap::default();
        self.each_row(overlay, filter, rows, |key, counts| {
            let sum = sums.entry(key).or_default();
            *sum = *sum + counts;
        });
        sums.into_iter()
            .map(|(key, counts)| (self.value_name(key).to_owned(), counts))
            .collect()
    }

    /// The quarter hours of the filter's link, or domain, or else of the organization:
    /// clicks and first visitors (the last visitors of an open day are not known yet, so
    /// they are 0: only starts of the day are answered from these).
    pub fn slots(&self, overlay: &Overlay, filter: &ClickFilter) -> HashMap<i64, SlotCounts> {
        let mut slots: HashMap<i64, SlotCounts> = HashMap::new();
        let Some(scope) = self.scope_of(filter) else {
            return slots;
        };
        for counted in [&self.counted, &overlay.counted] {
            for (&slot, counts) in counted.slots.get(&scope).into_iter().flatten() {
                let sum = slots.entry(slot).or_default();
                sum.clicks += counts.total;
                sum.first_visitors += counts.unique;
            }
        }
        slots
    }

    /// The UTC hours of the day of the filter's link, or domain, or else of the
    /// organization: clicks and unique visitors of each.
    pub fn hours(&self, overlay: &Overlay, filter: &ClickFilter) -> HashMap<i64, Counts> {
        let mut hours: HashMap<i64, Counts> = HashMap::new();
        let Some(scope) = self.scope_of(filter) else {
            return hours;
        };
        for counted in [&self.counted, &overlay.counted] {
            for (&hour, &counts) in counted.hours.get(&scope).into_iter().flatten() {
                let sum = hours.entry(hour).or_default();
                *sum = *sum + counts;
            }
        }
        hours
    }

    /// Calls `each` with the group key and counts of every row `rows` and `filter`
    /// select (as `daily_clicks` rows would be selected), folded and overlaid.
    fn each_row(
        &self,
        overlay: &Overlay,
        filter: &ClickFilter,
        rows: &RollupRows,
        mut each: impl FnMut(u32, Counts),
    ) {
        let maps: Vec<((Scope, u32, usize), Option<usize>)> = if rows.per_traits {
            let Some(dimension) = TRAIT_DIMENSIONS.iter().position(|d| *d == rows.dimension) else {
                return;
            };
            let wanted = [
                &filter.country,
                &filter.city,
                &filter.device,
                &filter.browser,
                &filter.os,
            ];
            let group_column = rows
                .group
                .and_then(|group| CLICK_COLUMNS[..TRAITS].iter().position(|c| *c == group));
            (0u32..)
                .zip(&self.ids.trait_sets)
                .filter(|(_, set)| {
                    set.iter().zip(wanted).all(|(&id, wanted)| {
                        wanted
                            .as_ref()
                            .is_none_or(|wanted| self.ids.strings.name(id) == wanted)
                    })
                })
                .map(|(traits, _)| ((Scope::Traits, traits, dimension), group_column))
                .collect()
        } else {
            let (Some(dimension), Some((scope, group))) = (
                VALUE_DIMENSIONS.iter().position(|d| *d == rows.dimension),
                self.scope_of(filter),
            ) else {
                return;
            };
            vec![((scope, group, dimension), None)]
        };
        let value = match &rows.value {
            None => None,
            Some(value) => match self.ids.strings.find(value) {
                Some(id) => Some(id),
                None => return, // no click had it
            },
        };
        for (key, group_column) in maps {
            let traits = self.ids.trait_sets.get(key.1 as usize);
            for counted in [&self.counted, &overlay.counted] {
                for (&row_value, &counts) in counted.rows.get(&key).into_iter().flatten() {
                    if value.is_some_and(|value| value != row_value) {
                        continue;
                    }
                    let group_key = match (group_column, traits) {
                        (Some(column), Some(traits)) => traits[column],
                        _ => row_value,
                    };
                    each(group_key, counts);
                }
            }
        }
    }

    /// The value-row scope of a filter: its link, its domain, or the organization; `None`
    /// if the day has no click of that link or domain.
    fn scope_of(&self, filter: &ClickFilter) -> Option<(Scope, u32)> {
        match (filter.link_id, &filter.domain) {
            (Some(link_id), _) => self.ids.link(link_id).map(|id| (Scope::Link, id)),
            (None, Some(domain)) => self.ids.strings.find(domain).map(|id| (Scope::Domain, id)),
            (None, None) => Some((Scope::Organization, 0)),
        }
    }

    /// A value id as stored: [`NO_VALUE`] is `''`.
    fn value_name(&self, id: u32) -> &str {
        if id == NO_VALUE {
            ""
        } else {
            self.ids.strings.name(id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::day_rollup::{DayRollup, RolledUpDay};

    const DAY: i64 = 20_000;
    const START: Millis = DAY * MILLIS_PER_DAY;

    /// Link, domain, visitor key, time and the click columns.
    type TestClick = (
        i64,
        &'static str,
        Option<Vec<u8>>,
        Millis,
        [&'static str; 10],
    );

    /// A `daily_clicks` row as a tuple: link, domain, per traits, dimension, value,
    /// traits, clicks, visitors.
    type Row = (
        i64,
        String,
        bool,
        &'static str,
        String,
        Vec<String>,
        i64,
        i64,
    );

    /// A day's clicks with repeating visitors, links and click-varying values, and one
    /// visitor whose traits change (as with clicks recorded before keys hashed traits).
    fn clicks() -> Vec<TestClick> {
        (0..600_i64)
            .map(|i| {
                let v = (i * 7) % 23;
                let visitor = (i % 17 != 16).then(|| v.to_be_bytes().to_vec());
                let country = if v == 5 && i > 300 {
                    "FR"
                } else {
                    ["DE", "IN", "US"][(v % 3) as usize]
                };
                let values = [
                    country,
                    ["Berlin", "Mumbai", "Austin"][(v % 3) as usize],
                    ["Desktop", "Mobile"][(v % 2) as usize],
                    ["Chrome", "Safari", "Edge"][(v % 3) as usize],
                    ["Windows", "iOS"][(v % 2) as usize],
                    ["google", "direct", "twitter"][(i % 3) as usize],
                    ["organic", "none"][(i % 2) as usize],
                    ["google.com", ""][(i % 2) as usize],
                    ["en", "de"][(i % 5 / 4) as usize],
                    ["", "rule:0", "variant:1"][(i % 4 % 3) as usize],
                ];
                let link = 1 + i % 5 % 3;
                let domain = if link == 3 { "b.test" } else { "a.test" };
                let at = START + (i * 7_919_000) % MILLIS_PER_DAY;
                (link, domain, visitor, at, values)
            })
            .collect()
    }

    /// The value rows of the live day (folded and overlaid), as a [`DayRollup`] writes them.
    fn value_rows(live: &LiveDay, overlay: &Overlay) -> Vec<Row> {
        let mut merged: HashMap<(Scope, u32, usize, u32), Counts> = HashMap::new();
        for counted in [&live.counted, &overlay.counted] {
            for (&(scope, group, dimension), values) in &counted.rows {
                for (&value, &counts) in values {
                    let sum = merged.entry((scope, group, dimension, value)).or_default();
                    *sum = *sum + counts;
                }
            }
        }
        let link_ids = &live.ids.links;
        let mut rows: Vec<_> = merged
            .into_iter()
            .map(|((scope, group, dimension, value), counts)| {
                let (link_id, domain, traits) = match scope {
                    Scope::Organization => (0, String::new(), vec![String::new(); 5]),
                    Scope::Link => (
                        link_ids[group as usize],
                        String::new(),
                        vec![String::new(); 5],
                    ),
                    Scope::Domain => (
                        0,
                        live.ids.strings.name(group).to_owned(),
                        vec![String::new(); 5],
                    ),
                    Scope::Traits => (
                        0,
                        String::new(),
                        live.ids.trait_sets[group as usize]
                            .iter()
                            .map(|&id| live.ids.strings.name(id).to_owned())
                            .collect(),
                    ),
                };
                let per_traits = scope == Scope::Traits;
                let dimension = if per_traits {
                    TRAIT_DIMENSIONS[dimension]
                } else {
                    VALUE_DIMENSIONS[dimension]
                };
                (
                    link_id,
                    domain,
                    per_traits,
                    dimension,
                    live.value_name(value).to_owned(),
                    traits,
                    counts.total,
                    counts.unique,
                )
            })
            .collect();
        rows.sort();
        rows
    }

    fn expected(day: &RolledUpDay) -> Vec<Row> {
        let mut rows: Vec<_> = day
            .values
            .iter()
            .map(|r| {
                (
                    r.link_id,
                    r.domain.clone(),
                    r.per_traits,
                    r.dimension,
                    r.value.clone(),
                    r.traits.to_vec(),
                    r.clicks,
                    r.visitors,
                )
            })
            .collect();
        rows.sort();
        rows
    }

    fn org(link_id: Option<i64>) -> ClickFilter {
        ClickFilter {
            org_id: 1,
            link_id,
            ..ClickFilter::default()
        }
    }

    #[test]
    fn trait_dimensions_are_the_click_varying_columns_in_order() {
        assert_eq!(TRAIT_DIMENSIONS[1..], CLICK_COLUMNS[TRAITS..]);
    }

    #[test]
    fn folding_quarter_hours_one_by_one_and_an_overlay_give_the_rows_of_the_whole_day() {
        let clicks = clicks();
        let mut rollup = DayRollup::new(DAY);
        for (link, domain, visitor, at, values) in &clicks {
            rollup.add(*link, domain, visitor.as_deref(), *at, *values);
        }
        let whole = rollup.finish();

        // Fold the first 70 quarter hours a few at a time, out of order within each, then
        // count the rest of the day as an overlay.
        let mut live = LiveDay::new(DAY);
        let cut = START + 70 * SLOT_MS;
        for chunk in [(0, 3), (3, 40), (40, 41), (41, 70)] {
            let (from, until) = (START + chunk.0 * SLOT_MS, START + chunk.1 * SLOT_MS);
            let batch: Vec<Click> = clicks
                .iter()
                .rev()
                .filter(|c| c.3 >= from && c.3 < until)
                .map(|(link, domain, visitor, at, values)| {
                    live.intern(*link, domain, visitor.as_deref(), *at, *values)
                })
                .collect();
            live.fold(batch, until);
        }
        assert_eq!(live.through(), cut);
        let tail: Vec<Click> = clicks
            .iter()
            .filter(|c| c.3 >= cut)
            .map(|(link, domain, visitor, at, values)| {
                live.intern(*link, domain, visitor.as_deref(), *at, *values)
            })
            .collect();
        let overlay = live.overlay(tail);
        assert_eq!(value_rows(&live, &overlay), expected(&whole));

        // The quarter hours: clicks and first visitors, per scope.
        let mut expected_slots: Vec<(i64, i64, i64)> = whole
            .slots
            .iter()
            .filter(|r| r.link_id == 2 && r.domain.is_empty())
            .map(|r| (r.slot, r.clicks, r.first_visitors))
            .collect();
        expected_slots.sort();
        let filter = ClickFilter {
            org_id: 1,
            link_id: Some(2),
            ..ClickFilter::default()
        };
        let mut slots: Vec<(i64, i64, i64)> = live
            .slots(&overlay, &filter)
            .into_iter()
            .map(|(slot, c)| (slot, c.clicks, c.first_visitors))
            .collect();
        slots.sort();
        assert_eq!(slots, expected_slots);

        // The hours: clicks and distinct visitors of each, counted by brute force.
        for (link, filter) in [(None, org(None)), (Some(2), org(Some(2)))] {
            let mut expected: HashMap<i64, (i64, std::collections::HashSet<Vec<u8>>)> =
                HashMap::new();
            for (_, _, visitor, at, _) in clicks.iter().filter(|c| link.is_none_or(|l| c.0 == l)) {
                let hour = expected.entry((at - START) / 3_600_000).or_default();
                hour.0 += 1;
                hour.1.extend(visitor.clone());
            }
            let expected: HashMap<i64, Counts> = expected
                .into_iter()
                .map(|(hour, (total, visitors))| {
                    (
                        hour,
                        Counts {
                            total,
                            unique: visitors.len() as i64,
                        },
                    )
                })
                .collect();
            assert_eq!(live.hours(&overlay, &filter), expected, "link {link:?}");
        }

        // Nothing overlaid: the folded part alone is the day's first 70 quarter hours.
        let mut first_part = DayRollup::new(DAY);
        for (link, domain, visitor, at, values) in clicks.iter().filter(|c| c.3 < cut) {
            first_part.add(*link, domain, visitor.as_deref(), *at, *values);
        }
        assert_eq!(
            value_rows(&live, &Overlay::default()),
            expected(&first_part.finish())
        );
    }

    #[test]
    fn questions_select_rows_as_the_roll_up_tables_do() {
        let mut live = LiveDay::new(DAY);
        let batch = vec![
            live.intern(
                1,
                "a.test",
                Some(b"v1"),
                START,
                [
                    "DE", "Berlin", "Mobile", "Chrome", "iOS", "google", "", "", "en", "",
                ],
            ),
            live.intern(
                2,
                "a.test",
                Some(b"v1"),
                START + 1,
                [
                    "DE", "Berlin", "Mobile", "Chrome", "iOS", "twitter", "", "", "en", "",
                ],
            ),
            live.intern(
                2,
                "b.test",
                Some(b"v2"),
                START + 2,
                [
                    "FR", "Paris", "Desktop", "Edge", "Windows", "google", "", "", "fr", "",
                ],
            ),
        ];
        live.fold(batch, START + SLOT_MS);
        let tail = vec![live.intern(
            1,
            "a.test",
            Some(b"v2"),
            START + SLOT_MS,
            [
                "FR", "Paris", "Desktop", "Edge", "Windows", "google", "", "", "fr", "",
            ],
        )];
        let overlay = live.overlay(tail);
        let org = ClickFilter {
            org_id: 1,
            ..ClickFilter::default()
        };
        let ask =
            |filter: &ClickFilter, breakdown| RollupRows::for_question(filter, breakdown).unwrap();
        assert_eq!(
            live.counts(&overlay, &org, &ask(&org, None)),
            Counts {
                total: 4,
                unique: 2
            }
        );
        let link_one = ClickFilter {
            link_id: Some(1),
            ..org.clone()
        };
        assert_eq!(
            live.counts(&overlay, &link_one, &ask(&link_one, None)),
            Counts {
                total: 2,
                unique: 2
            }
        );
        let domain = ClickFilter {
            domain: Some("a.test".into()),
            ..org.clone()
        };
        assert_eq!(
            live.counts(&overlay, &domain, &ask(&domain, None)),
            Counts {
                total: 3,
                unique: 2
            }
        );
        let germany = ClickFilter {
            country: Some("DE".into()),
            ..org.clone()
        };
        let mut by_source = live.property(
            &overlay,
            &germany,
            &ask(
                &germany,
                Some(crate::analytics::question::Dimension::Source),
            ),
        );
        by_source.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            by_source,
            vec![
                (
                    "google".to_owned(),
                    Counts {
                        total: 1,
                        unique: 1
                    }
                ),
                (
                    "twitter".to_owned(),
                    Counts {
                        total: 1,
                        unique: 1
                    }
                )
            ]
        );
        let google = ClickFilter {
            source: Some("google".into()),
            ..org.clone()
        };
        let mut by_city = live.property(
            &overlay,
            &google,
            &ask(&google, Some(crate::analytics::question::Dimension::City)),
        );
        by_city.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            by_city,
            vec![
                (
                    "Berlin".to_owned(),
                    Counts {
                        total: 1,
                        unique: 1
                    }
                ),
                (
                    "Paris".to_owned(),
                    Counts {
                        total: 2,
                        unique: 1
                    }
                )
            ]
        );
        let unknown = ClickFilter {
            source: Some("bing".into()),
            ..org.clone()
        };
        assert_eq!(
            live.counts(&overlay, &unknown, &ask(&unknown, None)),
            Counts::default()
        );
        let other_link = ClickFilter {
            link_id: Some(9),
            ..org
        };
        assert_eq!(
            live.counts(&overlay, &other_link, &ask(&other_link, None)),
            Counts::default()
        );
        assert!(live.slots(&overlay, &other_link).is_empty());
    }
}
