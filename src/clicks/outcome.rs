//! What answered a click: the link's destination, one of its targeting rules or A/B
//! variants, the expiry (its expired destination or the 410 page), or the password form.
//! Shown as `destination`, `rule:N`, `variant:N`, `expired` or `password` (`N` is the
//! index in `rules` or `variants`, from 0, as in their error messages) and read so by the
//! insight's `outcome` filter. Stored with every click in that form, except that the
//! outcome of nearly every click, `destination`, is stored as `''` (one byte, not twelve,
//! on every row of the largest table); [`Outcome::stored`] and [`Outcome::from_stored`]
//! translate.

use std::{borrow::Cow, fmt};

use crate::links::targeting::{Choice, MAX_RULES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Destination,
    Rule(usize),
    Variant(usize),
    Expired,
    Password,
}

impl Outcome {
    /// Whether the click went on to one of the link's destinations (and so counts in the
    /// short object's `clicks`). An expired link or a password form did not send the
    /// visitor where the link leads.
    pub fn went_through(self) -> bool {
        matches!(self, Self::Destination | Self::Rule(_) | Self::Variant(_))
    }

    /// The column's value.
    pub fn stored(self) -> Cow<'static, str> {
        match self {
            Self::Destination => Cow::Borrowed(""),
            Self::Expired => Cow::Borrowed("expired"),
            Self::Password => Cow::Borrowed("password"),
            indexed => Cow::Owned(indexed.to_string()),
        }
    }

    /// Reads the column's value.
    pub fn from_stored(text: &str) -> Option<Self> {
        match text {
            "" => Some(Self::Destination),
            "destination" => None,
            other => Self::parse(other),
        }
    }

    /// Reads the shown form (the insight's `outcome` filter). `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let indexed = |rest: &str| {
            let digits = rest.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty();
            let canonical = rest == "0" || !rest.starts_with('0');
            (digits && canonical && rest.len() <= 2)
                .then(|| rest.parse::<usize>().ok())
                .flatten()
                .filter(|index| *index < MAX_RULES)
        };
        match text {
            "destination" => Some(Self::Destination),
            "expired" => Some(Self::Expired),
            "password" => Some(Self::Password),
            _ => {
                if let Some(rest) = text.strip_prefix("rule:") {
                    indexed(rest).map(Self::Rule)
                } else {
                    indexed(text.strip_prefix("variant:")?).map(Self::Variant)
                }
            }
        }
    }
}

/// For reading the stored column.
impl TryFrom<String> for Outcome {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::from_stored(&text).ok_or_else(|| format!("{text:?} is not a stored click outcome"))
    }
}

impl From<Choice> for Outcome {
    fn from(choice: Choice) -> Self {
        match choice {
            Choice::Destination => Self::Destination,
            Choice::Rule(index) => Self::Rule(index),
            Choice::Variant(index) => Self::Variant(index),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Destination => f.write_str("destination"),
            Self::Rule(index) => write!(f, "rule:{index}"),
            Self::Variant(index) => write!(f, "variant:{index}"),
            Self::Expired => f.write_str("expired"),
            Self::Password => f.write_str("password"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_as_written() {
        for outcome in [
            Outcome::Destination,
            Outcome::Rule(0),
            Outcome::Rule(19),
            Outcome::Variant(9),
            Outcome::Expired,
            Outcome::Password,
        ] {
            assert_eq!(Outcome::parse(&outcome.to_string()), Some(outcome));
            assert_eq!(Outcome::from_stored(&outcome.stored()), Some(outcome));
        }
        assert_eq!(Outcome::Destination.stored(), "");
    }

    #[test]
    fn other_spellings_are_not_outcomes() {
        for text in [
            "",
            "Destination",
            "rule",
            "rule:",
            "rule:-1",
            "rule:01",
            "rule:20",
            "rule: 1",
            "variant:x",
            "variant:+1",
            "expired ",
            "gone",
        ] {
            assert_eq!(Outcome::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn only_destinations_count_as_clicks_through() {
        assert!(Outcome::Rule(3).went_through());
        assert!(Outcome::Variant(0).went_through());
        assert!(Outcome::Destination.went_through());
        assert!(!Outcome::Expired.went_through());
        assert!(!Outcome::Password.went_through());
    }
}
