//! The questions an insight asks, as types: which clicks ([`ClickFilter`]), broken down
//! by what ([`Dimension`]), counted how ([`Counts`]), and which roll-up rows answer it
//! exactly ([`RollupRows::for_question`]). Pure logic: the SQL that reads them is in
//! `store/insight.rs`.

/// Which clicks an insight counts.
#[derive(Debug, Clone, Default)]
pub struct ClickFilter {
    pub org_id: i64,
    pub link_id: Option<i64>,
    pub domain: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub medium: Option<String>,
    pub source: Option<String>,
    /// What answered the click, as stored (`rule:2`, `''` for `destination`; see
    /// [`crate::clicks::Outcome::stored`]).
    pub outcome: Option<String>,
}

/// A breakdown dimension of the insight: a column of `clicks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Country,
    City,
    Device,
    Browser,
    Os,
    Source,
    Medium,
    Referrer,
    Language,
    /// What answered the click (an openpxl extension).
    Outcome,
}

impl Dimension {
    /// Whether one visitor's clicks on one day can differ in this dimension. The others are
    /// traits of the visitor key (`clicks::visitor`): one per visitor and day.
    pub fn varies_per_click(self) -> bool {
        matches!(
            self,
            Self::Source | Self::Medium | Self::Referrer | Self::Language | Self::Outcome
        )
    }

    pub const ALL: [Self; 10] = [
        Self::Country,
        Self::City,
        Self::Device,
        Self::Browser,
        Self::Os,
        Self::Source,
        Self::Medium,
        Self::Referrer,
        Self::Language,
        Self::Outcome,
    ];

    /// The column, and the name in the insight's `properties`.
    pub fn column(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::City => "city",
            Self::Device => "device",
            Self::Browser => "browser",
            Self::Os => "os",
            Self::Source => "source",
            Self::Medium => "medium",
            Self::Referrer => "referrer",
            Self::Language => "language",
            Self::Outcome => "outcome",
        }
    }
}

/// Clicks and unique visitors of something.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: i64,
    pub unique: i64,
}

/// Counts of disjoint sets of clicks add up, unique visitors too when no visitor is in
/// both (different UTC days, different values of one value row's dimension).
impl std::ops::Add for Counts {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            total: self.total + other.total,
            unique: self.unique + other.unique,
        }
    }
}

/// Which `daily_clicks` rows answer a question exactly, and how to group them.
///
/// Value rows answer unfiltered questions (of the organization, a link or a domain): one
/// row per day and value, whose visitors add up across days. Trait rows answer filtered
/// ones: rows of one day and dimension value never share a visitor unless they share the
/// visitor's traits, so summing `visitors` is exact as long as the question involves at
/// most one click-varying dimension (the one the rows are split by). A link or domain
/// together with other filters has no exact roll-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRows {
    /// Trait rows (`true`) or value rows.
    pub per_traits: bool,
    /// `daily_clicks.dimension`.
    pub dimension: &'static str,
    /// The value the filter asks for, in that dimension.
    pub value: Option<String>,
    /// The column to group by, if any.
    pub group: Option<&'static str>,
}

impl RollupRows {
    /// The rows that answer `filter`, broken down by `breakdown`, if roll-ups can.
    pub fn for_question(filter: &ClickFilter, breakdown: Option<Dimension>) -> Option<Self> {
        if filter.link_id.is_some() && filter.domain.is_some() {
            return None; // rare; value rows are per link or per domain, not both
        }
        let traits = [
            &filter.device,
            &filter.browser,
            &filter.os,
            &filter.country,
            &filter.city,
        ];
        let filtered = traits.iter().any(|t| t.is_some())
            || filter.source.is_some()
            || filter.medium.is_some()
            || filter.outcome.is_some();
        if !filtered {
            return Some(Self {
                per_traits: false,
                dimension: breakdown.map_or("all", Dimension::column),
                value: None,
                group: breakdown.map(|_| "value"),
            });
        }
        if filter.link_id.is_some() || filter.domain.is_some() {
            return None; // trait rows are kept per organization only
        }
        let mut varying: Vec<(&'static str, Option<&String>)> = Vec::new();
        if let Some(source) = &filter.source {
            varying.push(("source", Some(source)));
        }
        if let Some(medium) = &filter.medium {
            varying.push(("medium", Some(medium)));
        }
        if let Some(outcome) = &filter.outcome {
            varying.push(("outcome", Some(outcome)));
        }
        if let Some(dimension) = breakdown.filter(|d| d.varies_per_click())
            && !varying.iter().any(|(name, _)| *name == dimension.column())
        {
            varying.push((dimension.column(), None));
        }
        let (dimension, value) = match varying.as_slice() {
            [] => ("", None),
            [(dimension, value)] => (*dimension, value.cloned()),
            _ => return None,
        };
        let group = breakdown.map(|d| {
            if d.varies_per_click() {
                "value"
            } else {
                d.column()
            }
        });
        Some(Self {
            per_traits: true,
            dimension,
            value,
            group,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(
        filter: &ClickFilter,
        breakdown: Option<Dimension>,
    ) -> Option<(&'static str, Option<String>, Option<&'static str>)> {
        RollupRows::for_question(filter, breakdown).map(|r| (r.dimension, r.value, r.group))
    }

    #[test]
    fn unfiltered_questions_read_value_rows() {
        for link_id in [None, Some(9)] {
            let filter = ClickFilter {
                org_id: 1,
                link_id,
                ..ClickFilter::default()
            };
            let rows = RollupRows::for_question(&filter, None).unwrap();
            assert!(!rows.per_traits);
            assert_eq!(question(&filter, None), Some(("all", None, None)));
            assert_eq!(
                question(&filter, Some(Dimension::Referrer)),
                Some(("referrer", None, Some("value")))
            );
        }
    }

    #[test]
    fn filtered_questions_read_trait_rows_with_at_most_one_click_varying_dimension() {
        let org = ClickFilter {
            org_id: 1,
            country: Some("DE".into()),
            ..ClickFilter::default()
        };
        assert!(RollupRows::for_question(&org, None).unwrap().per_traits);
        assert_eq!(question(&org, None), Some(("", None, None)));
        assert_eq!(
            question(&org, Some(Dimension::City)),
            Some(("", None, Some("city")))
        );
        assert_eq!(
            question(&org, Some(Dimension::Referrer)),
            Some(("referrer", None, Some("value")))
        );
        let one_link = ClickFilter {
            link_id: Some(9),
            ..org.clone()
        };
        assert_eq!(question(&one_link, None), None);
        let by_source = ClickFilter {
            source: Some("google".into()),
            ..org.clone()
        };
        assert_eq!(
            question(&by_source, Some(Dimension::Source)),
            Some(("source", Some("google".into()), Some("value")))
        );
        assert_eq!(
            question(&by_source, Some(Dimension::Os)),
            Some(("source", Some("google".into()), Some("os")))
        );
        assert_eq!(question(&by_source, Some(Dimension::Medium)), None);
        let by_outcome = ClickFilter {
            org_id: 1,
            outcome: Some("variant:1".into()),
            ..ClickFilter::default()
        };
        assert_eq!(
            question(&by_outcome, Some(Dimension::Country)),
            Some(("outcome", Some("variant:1".into()), Some("country")))
        );
        assert_eq!(
            question(&by_outcome, Some(Dimension::Outcome)),
            Some(("outcome", Some("variant:1".into()), Some("value")))
        );
        assert_eq!(question(&by_outcome, Some(Dimension::Source)), None);
        let by_both = ClickFilter {
            medium: Some("organic".into()),
            ..by_source.clone()
        };
        assert_eq!(question(&by_both, None), None);
        let by_domain = ClickFilter {
            domain: Some("go.example".into()),
            ..org
        };
        assert_eq!(question(&by_domain, None), None);
        let whole_domain = ClickFilter {
            org_id: 1,
            domain: Some("go.example".into()),
            ..ClickFilter::default()
        };
        assert_eq!(question(&whole_domain, None), Some(("all", None, None)));
    }
}
