//! One UTC day of an organization's human clicks, rolled up in memory: the rows of
//! `daily_clicks` (value rows per organization, link and domain; trait rows per
//! organization) and the quarter hours of `daily_slot_counts`, exactly as the migrations
//! `0003_daily_click_rollups.sql` and `0014_packed_click_slots.sql` define them.
//!
//! Why here and not in SQL: the day's clicks are read once and every row comes out of
//! that one read. Forty `INSERT ... SELECT ... GROUP BY` statements each scanned the day
//! and sorted it for its `COUNT(DISTINCT visitor)` (4.1 s for 100,000 clicks on Postgres);
//! here the clicks are interned to small integers as they stream in and each distinct
//! count is one sort of a vector of integer triples. And on SQLite the database's write
//! lock is held only while the finished rows are written, not while they are computed.

use std::collections::HashMap;

use crate::{
    analytics::interner::{ClickInterner, NO_VISITOR, TRAITS},
    store::rollups::{SLOT_MS, TRAIT_DIMENSIONS, VALUE_DIMENSIONS},
    timestamp::{MILLIS_PER_DAY, Millis},
};

/// The click columns a roll-up reads besides the link, visitor and time, in the order of
/// [`VALUE_DIMENSIONS`] after `all`: the five visitor traits first.
pub const CLICK_COLUMNS: [&str; 10] = [
    "country", "city", "device", "browser", "os", "source", "medium", "referrer", "language",
    "outcome",
];

/// A row of `daily_clicks`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ValueRow {
    pub link_id: i64,
    pub domain: String,
    pub per_traits: bool,
    pub dimension: &'static str,
    pub value: String,
    /// Country, city, device, browser and OS of a trait row; empty in a value row.
    pub traits: [String; TRAITS],
    pub clicks: i64,
    pub visitors: i64,
}

/// One quarter hour of a scope in `daily_slot_counts`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SlotRow {
    pub link_id: i64,
    pub domain: String,
    pub slot: i64,
    pub clicks: i64,
    pub first_visitors: i64,
    pub last_visitors: i64,
}

/// The roll-up rows of one organization's day.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RolledUpDay {
    pub values: Vec<ValueRow>,
    pub slots: Vec<SlotRow>,
}

/// A click as integers.
struct Click {
    /// Index in [`DayRollup::links`].
    link: u32,
    domain: u32,
    visitor: u32,
    /// Index in [`DayRollup::trait_sets`].
    traits: u32,
    at: Millis,
    values: [u32; CLICK_COLUMNS.len()],
}

/// Whose rows: the organization's, each link's, or each domain's.
#[derive(Debug, Clone, Copy)]
enum Scope {
    Organization,
    Link,
    Domain,
}

impl Scope {
    const ALL: [Self; 3] = [Self::Organization, Self::Link, Self::Domain];

    fn of(self, click: &Click) -> u32 {
        match self {
            Self::Organization => 0,
            Self::Link => click.link,
            Self::Domain => click.domain,
        }
    }
}

/// Collects one organization's clicks of one UTC day and rolls them up.
pub struct DayRollup {
    day_start: Millis,
    ids: ClickInterner,
    clicks: Vec<Click>,
}

impl DayRollup {
    pub fn new(day: i64) -> Self {
        Self {
            day_start: day * MILLIS_PER_DAY,
            ids: ClickInterner::default(),
            clicks: Vec::new(),
        }
    }

    /// Adds a human click of the day: its link and the link's domain, its visitor key,
    /// time, and the values of [`CLICK_COLUMNS`] in that order.
    pub fn add(
        &mut self,
        link_id: i64,
        domain: &str,
        visitor: Option<&[u8]>,
        at: Millis,
        values: [&str; CLICK_COLUMNS.len()],
    ) {
        let ids = self.ids.click(link_id, domain, visitor, values);
        self.clicks.push(Click {
            link: ids.link,
            domain: ids.domain,
            visitor: ids.visitor,
            traits: ids.traits,
            at,
            values: ids.values,
        });
    }

    /// How many clicks were added.
    pub fn len(&self) -> usize {
        self.clicks.len()
    }

    /// Whether no click was added.
    pub fn is_empty(&self) -> bool {
        self.clicks.is_empty()
    }

    /// The day's roll-up rows.
    pub fn finish(self) -> RolledUpDay {
        let mut day = RolledUpDay::default();
        let mut keys: Vec<(u32, u32, u32)> = Vec::with_capacity(self.clicks.len());
        for scope in Scope::ALL {
            for (index, dimension) in VALUE_DIMENSIONS.iter().enumerate() {
                keys.clear();
                // `all` is the first dimension; the others follow CLICK_COLUMNS.
                keys.extend(self.clicks.iter().map(|click| {
                    let value = match index {
                        0 => u32::MAX,
                        _ => click.values[index - 1],
                    };
                    (scope.of(click), value, click.visitor)
                }));
                for (scope_id, value, clicks, visitors) in distinct_counts(&mut keys) {
                    let (link_id, domain) = self.scope_columns(scope, scope_id);
                    day.values.push(ValueRow {
                        link_id,
                        domain,
                        per_traits: false,
                        dimension,
                        value: self.value_name(value).to_owned(),
                        traits: Default::default(),
                        clicks,
                        visitors,
                    });
                }
            }
            self.slot_rows(scope, &mut day.slots);
        }
        for dimension in TRAIT_DIMENSIONS {
            let column = CLICK_COLUMNS.iter().position(|c| *c == dimension);
            keys.clear();
            keys.extend(self.clicks.iter().map(|click| {
                let value = column.map_or(u32::MAX, |i| click.values[i]);
                (click.traits, value, click.visitor)
            }));
            for (traits, value, clicks, visitors) in distinct_counts(&mut keys) {
                day.values.push(ValueRow {
                    link_id: 0,
                    domain: String::new(),
                    per_traits: true,
                    dimension,
                    value: self.value_name(value).to_owned(),
                    traits: self.ids.trait_sets[traits as usize]
                        .map(|id| self.ids.strings.name(id).to_owned()),
                    clicks,
                    visitors,
                });
            }
        }
        day
    }

    /// The `link_id` and `domain` columns of a scope's rows.
    fn scope_columns(&self, scope: Scope, id: u32) -> (i64, String) {
        match scope {
            Scope::Organization => (0, String::new()),
            Scope::Link => (self.ids.links[id as usize], String::new()),
            Scope::Domain => (0, self.ids.strings.name(id).to_owned()),
        }
    }

    /// A value id as stored: `u32::MAX` (no dimension) is `''`.
    fn value_name(&self, id: u32) -> &str {
        if id == u32::MAX {
            ""
        } else {
            self.ids.strings.name(id)
        }
    }

    /// A scope's slot rows: per quarter hour, its clicks, and the visitors whose first
    /// (last) click of the day in the scope falls in it.
    fn slot_rows(&self, scope: Scope, rows: &mut Vec<SlotRow>) {
        let slot_of = |at: Millis| (at - self.day_start) / SLOT_MS;
        let mut counts: HashMap<(u32, i64), (i64, i64, i64)> = HashMap::new();
        let mut visits: Vec<(u32, u32, Millis)> = Vec::with_capacity(self.clicks.len());
        for click in &self.clicks {
            counts
                .entry((scope.of(click), slot_of(click.at)))
                .or_default()
                .0 += 1;
            if click.visitor != NO_VISITOR {
                visits.push((scope.of(click), click.visitor, click.at));
            }
        }
        visits.sort_unstable();
        for group in visits.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (scope_id, _, first) = group[0];
            let (_, _, last) = group[group.len() - 1];
            counts.entry((scope_id, slot_of(first))).or_default().1 += 1;
            counts.entry((scope_id, slot_of(last))).or_default().2 += 1;
        }
        rows.extend(counts.into_iter().map(
            |((scope_id, slot), (clicks, first_visitors, last_visitors))| {
                let (link_id, domain) = self.scope_columns(scope, scope_id);
                SlotRow {
                    link_id,
                    domain,
                    slot,
                    clicks,
                    first_visitors,
                    last_visitors,
                }
            },
        ));
    }
}

/// Sorts `(group, value, visitor)` triples and counts, per `(group, value)`, the triples
/// (clicks) and the distinct visitors other than [`NO_VISITOR`].
fn distinct_counts(keys: &mut [(u32, u32, u32)]) -> Vec<(u32, u32, i64, i64)> {
    keys.sort_unstable();
    keys.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
        .map(|group| {
            let visitors = group
                .chunk_by(|a, b| a.2 == b.2)
                .filter(|same| same[0].2 != NO_VISITOR)
                .count();
            (group[0].0, group[0].1, group.len() as i64, visitors as i64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 20_000;
    const START: Millis = DAY * MILLIS_PER_DAY;

    fn values<'a>(country: &'a str, source: &'a str) -> [&'a str; 10] {
        [
            country, "City", "Desktop", "Chrome", "Linux", source, "", "", "en", "",
        ]
    }

    fn row<'a>(day: &'a RolledUpDay, link_id: i64, dimension: &str, value: &str) -> &'a ValueRow {
        day.values
            .iter()
            .find(|r| {
                !r.per_traits
                    && r.link_id == link_id
                    && r.dimension == dimension
                    && r.value == value
            })
            .unwrap_or_else(|| panic!("no row {link_id} {dimension} {value}"))
    }

    #[test]
    fn the_click_columns_are_the_value_dimensions_after_all() {
        assert_eq!(VALUE_DIMENSIONS[0], "all");
        assert_eq!(VALUE_DIMENSIONS[1..], CLICK_COLUMNS);
        assert!(
            TRAIT_DIMENSIONS[1..]
                .iter()
                .all(|d| CLICK_COLUMNS[TRAITS..].contains(d))
        );
    }

    #[test]
    fn distinct_visitors_are_counted_once_per_value_and_clicks_without_a_visitor_are_clicks() {
        let mut rollup = DayRollup::new(DAY);
        rollup.add(1, "a.test", Some(b"v1"), START, values("DE", "google"));
        rollup.add(1, "a.test", Some(b"v1"), START + 1, values("DE", "twitter"));
        rollup.add(2, "b.test", Some(b"v2"), START + 2, values("FR", "google"));
        rollup.add(2, "b.test", None, START + 3, values("FR", "google"));
        let day = rollup.finish();

        let all = row(&day, 0, "all", "");
        assert_eq!((all.clicks, all.visitors), (4, 2));
        let google = row(&day, 0, "source", "google");
        assert_eq!((google.clicks, google.visitors), (3, 2));
        let link_two = row(&day, 2, "country", "FR");
        assert_eq!((link_two.clicks, link_two.visitors), (2, 1));
        let domain = day
            .values
            .iter()
            .find(|r| r.domain == "a.test" && r.dimension == "all")
            .unwrap();
        assert_eq!((domain.clicks, domain.visitors), (2, 1));
        // Value rows are per organization, link and domain: 11 dimensions each.
        assert!(
            day.values
                .iter()
                .all(|r| r.per_traits || r.traits == <[String; 5]>::default())
        );
    }

    #[test]
    fn trait_rows_group_by_the_visitor_traits_and_one_click_varying_dimension() {
        let mut rollup = DayRollup::new(DAY);
        rollup.add(1, "a.test", Some(b"v1"), START, values("DE", "google"));
        rollup.add(2, "a.test", Some(b"v1"), START + 1, values("DE", "twitter"));
        rollup.add(1, "a.test", Some(b"v2"), START + 2, values("FR", "google"));
        let day = rollup.finish();
        let traits: Vec<_> = day
            .values
            .iter()
            .filter(|r| r.per_traits)
            .map(|r| {
                (
                    r.dimension,
                    r.value.as_str(),
                    r.traits[0].as_str(),
                    r.clicks,
                    r.visitors,
                )
            })
            .collect();
        assert!(traits.contains(&("", "", "DE", 2, 1)));
        assert!(traits.contains(&("source", "google", "DE", 1, 1)));
        assert!(traits.contains(&("source", "twitter", "DE", 1, 1)));
        assert!(traits.contains(&("source", "google", "FR", 1, 1)));
        assert!(traits.contains(&("language", "en", "DE", 2, 1)));
    }

    #[test]
    fn slot_rows_count_clicks_and_each_visitors_first_and_last_quarter_hour() {
        let mut rollup = DayRollup::new(DAY);
        let slot = |n: i64| START + n * SLOT_MS;
        rollup.add(1, "a.test", Some(b"v1"), slot(0) + 5, values("DE", ""));
        rollup.add(2, "a.test", Some(b"v1"), slot(3), values("DE", ""));
        rollup.add(
            1,
            "a.test",
            Some(b"v1"),
            slot(95) + SLOT_MS - 1,
            values("DE", ""),
        );
        rollup.add(1, "a.test", None, slot(3) + 1, values("DE", ""));
        let mut day = rollup.finish();
        day.slots.sort();
        let of = |link_id: i64, domain: &str| -> Vec<(i64, i64, i64, i64)> {
            day.slots
                .iter()
                .filter(|r| r.link_id == link_id && r.domain == domain)
                .map(|r| (r.slot, r.clicks, r.first_visitors, r.last_visitors))
                .collect()
        };
        assert_eq!(of(0, ""), [(0, 1, 1, 0), (3, 2, 0, 0), (95, 1, 0, 1)]);
        assert_eq!(of(1, ""), [(0, 1, 1, 0), (3, 1, 0, 0), (95, 1, 0, 1)]);
        assert_eq!(of(2, ""), [(3, 1, 1, 1)]);
        assert_eq!(of(0, "a.test"), of(0, ""));
    }
}
