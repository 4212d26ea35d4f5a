//! The dashboard's rule builder: a link's targeting rules and A/B variants as rows of plain
//! form fields (checkboxes and text boxes, no JSON), read back into the lists the API takes
//! so the same rules check them (docs/API.md §4.10). Each save shows one empty row more to
//! add a rule or a variant; an untouched row is left out.

use serde_json::{Map, Value, json};

use super::form::SignedForm;
use crate::links::targeting::{MAX_RULES, MAX_VARIANTS, Rule, Variant};

/// One rule as the form shows it: lists as comma-separated text.
#[derive(Debug, Default, Clone)]
pub struct RuleRow {
    pub desktop: bool,
    pub mobile: bool,
    pub tablet: bool,
    pub os: String,
    pub browser: String,
    pub country: String,
    pub language: String,
    /// `ref=mail&campaign=spring`.
    pub query: String,
    pub from: String,
    pub until: String,
    pub destination: String,
}

#[derive(Debug, Default, Clone)]
pub struct VariantRow {
    pub destination: String,
    pub weight: String,
}

/// The builder's rows.
#[derive(Debug, Default)]
pub struct TargetingForm {
    pub rules: Vec<RuleRow>,
    pub variants: Vec<VariantRow>,
}

impl TargetingForm {
    /// A link's rules and variants as rows, with empty rows to add more.
    pub fn of(rules: &[Rule], variants: &[Variant]) -> Self {
        let join = |values: &[String]| values.join(", ");
        let rules = rules
            .iter()
            .map(|rule| {
                let when = &rule.when;
                let has = |device: &str| when.device.iter().any(|d| d == device);
                RuleRow {
                    desktop: has("Desktop"),
                    mobile: has("Mobile"),
                    tablet: has("Tablet"),
                    os: join(&when.os),
                    browser: join(&when.browser),
                    country: join(&when.country),
                    language: join(&when.language),
                    query: url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(&when.query)
                        .finish(),
                    from: when.from.clone().unwrap_or_default(),
                    until: when.until.clone().unwrap_or_default(),
                    destination: rule.destination.clone(),
                }
            })
            .collect();
        let variants = variants
            .iter()
            .map(|variant| VariantRow {
                destination: variant.destination.clone(),
                weight: variant.weight.to_string(),
            })
            .collect();
        Self { rules, variants }.with_empty_rows()
    }

    /// The rows as sent (`rule0_destination`, `rule0_device`, ..., `variant0_weight`), with
    /// empty rows to add more.
    pub fn of_form(form: &SignedForm) -> Self {
        let field = |name: String| form.text(&name).trim().to_owned();
        let rules = (0..MAX_RULES)
            .map(|i| {
                let devices: Vec<&str> = form
                    .fields
                    .iter()
                    .filter(|(name, _)| *name == format!("rule{i}_device"))
                    .map(|(_, value)| value.as_str())
                    .collect();
                RuleRow {
                    desktop: devices.contains(&"Desktop"),
                    mobile: devices.contains(&"Mobile"),
                    tablet: devices.contains(&"Tablet"),
                    os: field(format!("rule{i}_os")),
                    browser: field(format!("rule{i}_browser")),
                    country: field(format!("rule{i}_country")),
                    language: field(format!("rule{i}_language")),
                    query: field(format!("rule{i}_query")),
                    from: field(format!("rule{i}_from")),
                    until: field(format!("rule{i}_until")),
                    destination: field(format!("rule{i}_destination")),
                }
            })
            .filter(|row| !row.is_blank())
            .collect();
        let variants = (0..MAX_VARIANTS)
            .map(|i| VariantRow {
                destination: field(format!("variant{i}_destination")),
                weight: field(format!("variant{i}_weight")),
            })
            .filter(|row| !row.destination.is_empty())
            .collect();
        Self { rules, variants }.with_empty_rows()
    }

    fn with_empty_rows(mut self) -> Self {
        if self.rules.len() < MAX_RULES {
            self.rules.push(RuleRow::default());
        }
        // A split needs two variants: offer two empty rows when there are none.
        while self.variants.len() < MAX_VARIANTS
            && (self.variants.iter().all(|v| !v.destination.is_empty()) || self.variants.len() < 2)
        {
            self.variants.push(VariantRow {
                weight: "50".into(),
                ..VariantRow::default()
            });
        }
        self
    }

    /// The filled rows as the API's `rules` and `variants` (checked by the same rules).
    pub fn as_fields(&self, fields: &mut Map<String, Value>) {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .filter(|row| !row.is_blank())
            .map(RuleRow::as_json)
            .collect();
        let variants: Vec<Value> = self
            .variants
            .iter()
            .filter(|row| !row.destination.is_empty())
            .map(|row| {
                let weight = row
                    .weight
                    .parse::<u64>()
                    .map_or_else(|_| Value::String(row.weight.clone()), Value::from);
                json!({"destination": row.destination, "weight": weight})
            })
            .collect();
        fields.insert("rules".into(), Value::Array(rules));
        fields.insert("variants".into(), Value::Array(variants));
    }
}

impl RuleRow {
    /// Nothing filled in: not a rule (a row with conditions but no destination is one, and
    /// is refused for it).
    fn is_blank(&self) -> bool {
        !(self.desktop || self.mobile || self.tablet)
            && [
                &self.os,
                &self.browser,
                &self.country,
                &self.language,
                &self.query,
                &self.from,
                &self.until,
                &self.destination,
            ]
            .iter()
            .all(|text| text.is_empty())
    }

    fn as_json(&self) -> Value {
        let mut when = Map::new();
        let devices: Vec<&str> = [
            (self.desktop, "Desktop"),
            (self.mobile, "Mobile"),
            (self.tablet, "Tablet"),
        ]
        .into_iter()
        .filter_map(|(ticked, device)| ticked.then_some(device))
        .collect();
        if !devices.is_empty() {
            when.insert("device".into(), json!(devices));
        }
        for (name, text) in [
            ("os", &self.os),
            ("browser", &self.browser),
            ("country", &self.country),
            ("language", &self.language),
        ] {
            let values: Vec<&str> = text
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect();
            if !values.is_empty() {
                when.insert(name.into(), json!(values));
            }
        }
        if !self.query.is_empty() {
            let pairs: Map<String, Value> =
                url::form_urlencoded::parse(self.query.trim_start_matches('?').as_bytes())
                    .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
                    .collect();
            when.insert("query".into(), Value::Object(pairs));
        }
        for (name, text) in [("from", &self.from), ("until", &self.until)] {
            if !text.is_empty() {
                when.insert(name.into(), Value::String(text.clone()));
            }
        }
        json!({"when": when, "destination": self.destination})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::targeting::{read_rules, read_variants};

    #[test]
    fn rows_round_trip_through_the_api_lists() {
        let rules = read_rules(&json!([
            {"when": {"device": ["Mobile", "Tablet"], "os": ["iOS", "Android"],
                      "query": {"ref": "mail"}, "from": "2027-01-01T00:00:00Z"},
             "destination": "https://apps.example/"},
        ]))
        .unwrap();
        let variants = read_variants(&json!([
            {"destination": "https://a.example/", "weight": 60},
            {"destination": "https://b.example/", "weight": 40},
        ]))
        .unwrap();
        let form = TargetingForm::of(&rules, &variants);
        assert_eq!(form.rules.len(), 2, "one empty row to add a rule");
        assert_eq!(form.rules[0].os, "iOS, Android");
        assert_eq!(form.rules[0].query, "ref=mail");
        assert_eq!(form.variants.len(), 3, "one empty row to add a variant");
        let mut fields = Map::new();
        form.as_fields(&mut fields);
        assert_eq!(read_rules(&fields["rules"]).unwrap(), rules);
        assert_eq!(read_variants(&fields["variants"]).unwrap(), variants);
    }

    #[test]
    fn a_link_without_any_gets_one_rule_row_and_two_variant_rows() {
        let form = TargetingForm::of(&[], &[]);
        assert_eq!((form.rules.len(), form.variants.len()), (1, 2));
        let mut fields = Map::new();
        form.as_fields(&mut fields);
        assert_eq!(fields["rules"], json!([]));
        assert_eq!(fields["variants"], json!([]));
    }
}
