//! Strings, links, visitor keys and trait sets as small integers, for the in-memory
//! roll-ups ([`super::day_rollup`], [`super::live_day`]): the same thing always gets the
//! same id.

use std::collections::HashMap;

use super::day_rollup::CLICK_COLUMNS;

/// How many of [`CLICK_COLUMNS`] are visitor traits (they come first).
pub const TRAITS: usize = 5;

/// A visitor id for clicks without a visitor key: counted as clicks, never as visitors.
pub const NO_VISITOR: u32 = u32::MAX;

/// A human click's link, domain, visitor, traits and column values as ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClickIds {
    /// Index in [`ClickInterner::links`].
    pub link: u32,
    pub domain: u32,
    pub visitor: u32,
    /// Index in [`ClickInterner::trait_sets`].
    pub traits: u32,
    pub values: [u32; CLICK_COLUMNS.len()],
}

/// Gives the clicks of a day their ids.
#[derive(Debug, Clone, Default)]
pub struct ClickInterner {
    pub strings: Interner,
    /// Link ids by index.
    pub links: Vec<i64>,
    link_index: HashMap<i64, u32>,
    visitors: HashMap<Box<[u8]>, u32>,
    /// The five traits' string ids, by index.
    pub trait_sets: Vec<[u32; TRAITS]>,
    trait_index: HashMap<[u32; TRAITS], u32>,
}

impl ClickInterner {
    /// The ids of a click: its link and the link's domain, its visitor key, and the
    /// values of [`CLICK_COLUMNS`] in that order.
    pub fn click(
        &mut self,
        link_id: i64,
        domain: &str,
        visitor: Option<&[u8]>,
        values: [&str; CLICK_COLUMNS.len()],
    ) -> ClickIds {
        let next_link = u32::try_from(self.links.len()).expect("fewer than 2^32 links");
        let link = *self.link_index.entry(link_id).or_insert_with(|| {
            self.links.push(link_id);
            next_link
        });
        let visitor = match visitor {
            None => NO_VISITOR,
            Some(key) => match self.visitors.get(key) {
                Some(&id) => id,
                None => {
                    let id = u32::try_from(self.visitors.len()).expect("fewer visitors a day");
                    self.visitors.insert(key.into(), id);
                    id
                }
            },
        };
        let values = values.map(|value| self.strings.id(value));
        let mut trait_values = [0; TRAITS];
        trait_values.copy_from_slice(&values[..TRAITS]);
        let next_traits = u32::try_from(self.trait_sets.len()).expect("fewer trait sets");
        let traits = *self.trait_index.entry(trait_values).or_insert_with(|| {
            self.trait_sets.push(trait_values);
            next_traits
        });
        let domain = self.strings.id(domain);
        ClickIds {
            link,
            domain,
            visitor,
            traits,
            values,
        }
    }

    /// The index of a link, if a click of it was seen.
    pub fn link(&self, link_id: i64) -> Option<u32> {
        self.link_index.get(&link_id).copied()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Interner {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// The id of `name`, given it a new one if it has none yet.
    pub fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct values a day");
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    /// The id of `name` if it has one.
    pub fn find(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The string of an id this interner gave.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_string_gets_the_same_id() {
        let mut interner = Interner::default();
        let (a, b) = (interner.id("a"), interner.id("b"));
        assert_ne!(a, b);
        assert_eq!(interner.id("a"), a);
        assert_eq!(interner.find("b"), Some(b));
        assert_eq!(interner.find("c"), None);
        assert_eq!(interner.name(b), "b");
    }
}
