//! The fields of a short link as a client sends them — to the API as JSON or a form, or
//! from a dashboard form — each validated on its own, all at once: one rule set for both
//! front doors.

use serde_json::{Map, Value};

use super::{
    Host, Route, WebUrl,
    fields::{Field, FieldReader},
    tags::read_tags,
    targeting::{Rule, Variant, read_rules, read_variants},
};
use crate::{
    operation_error::OperationError,
    timestamp::{Millis, parse_iso},
};

pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Whether the body creates a link (destination required) or changes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Create,
    Update,
}

/// A short-link body after validation of each field on its own. Checks that need the
/// database (domain ownership, redirect loops, taken routes) come after.
#[derive(Debug)]
pub struct LinkInput {
    pub domain: Field<Host>,
    pub route: Field<Route>,
    pub destination: Field<WebUrl>,
    pub consent: Field<bool>,
    pub title: Field<String>,
    pub description: Field<String>,
    pub image: Field<String>,
    pub favicon: Field<String>,
    pub expires_at: Field<Millis>,
    pub expired_destination: Field<WebUrl>,
    pub disabled: Field<bool>,
    pub max_clicks: Field<i64>,
    /// The password as sent (hashed before it is stored).
    pub password: Field<String>,
    pub password_preview: Field<bool>,
    pub rules: Field<Vec<Rule>>,
    pub variants: Field<Vec<Variant>>,
    pub tags: Field<Vec<String>>,
}

impl LinkInput {
    /// Reads the fields of the short object (docs/API.md §4.1); unknown and read-only fields
    /// are ignored. `is_form`: the values came from a form.
    pub fn read(
        fields: Map<String, Value>,
        is_form: bool,
        purpose: Purpose,
    ) -> Result<Self, OperationError> {
        let mut body = FieldReader::new(fields, is_form);
        let problems_before = body.problem_count();
        let destination = match body.text("destination") {
            Field::Given(text) => {
                Field::Given(body.check("destination", WebUrl::parse("destination", &text)))
            }
            Field::Null if purpose == Purpose::Update => {
                body.problem(
                    "destination",
                    "destination cannot be removed; give the new URL instead".into(),
                );
                Field::Absent
            }
            // A destination of the wrong type was reported already; it is not also "missing".
            Field::Absent | Field::Null
                if purpose == Purpose::Create && body.problem_count() == problems_before =>
            {
                body.problem(
                    "destination",
                    "destination is required: give the absolute http(s) URL the link redirects to"
                        .into(),
                );
                Field::Absent
            }
            other => other.map(|_| None),
        };
        let domain = body
            .text("domain")
            .map(|text| body.check("domain", Host::parse(&text)));
        let route = body
            .text("route")
            .map(|text| body.check("route", Route::parse(&text)));
        let consent = body.boolean("consent");
        let title = body.bounded_text("title", MAX_TITLE_CHARS);
        let description = body.bounded_text("description", MAX_DESCRIPTION_CHARS);
        let image = body
            .text("image")
            .map(|text| body.check("image", web_url("image", &text)));
        let favicon = body
            .text("favicon")
            .map(|text| body.check("favicon", web_url("favicon", &text)));
        let expires_at = body.text("expiresAt").map(|text| {
            body.check(
                "expiresAt",
                parse_iso(&text).map_err(|why| format!("expiresAt {why}")),
            )
        });
        let expired_destination = body.text("expiredDestination").map(|text| {
            body.check(
                "expiredDestination",
                WebUrl::parse("expiredDestination", &text),
            )
        });
        let disabled = body.boolean("disabled");
        let max_clicks = match body.integer("maxClicks") {
            Field::Given(n) if n < 1 => {
                body.problem(
                    "maxClicks",
                    format!(
                        "maxClicks must be a whole number of visits, 1 or more (got {n}); use \
                         null for no limit"
                    ),
                );
                Field::Absent
            }
            other => other,
        };
        let password = match body.text("password") {
            Field::Given(text) if !(4..=128).contains(&text.chars().count()) => {
                body.problem(
                    "password",
                    format!(
                        "password must be 4 to 128 characters (got {}); use null to remove it",
                        text.chars().count()
                    ),
                );
                Field::Absent
            }
            other => other,
        };
        let password_preview = body.boolean("passwordPreview");
        let rules = structured(&mut body, "rules", read_rules);
        let variants = structured(&mut body, "variants", read_variants);
        let tags = structured(&mut body, "tags", read_tags);
        body.finish()?;
        // Every `None` inside a `Given` was reported above, so `finish` has returned already.
        Ok(Self {
            domain: flatten(domain),
            route: flatten(route),
            destination: flatten(destination),
            consent,
            title,
            description,
            image: flatten(image),
            favicon: flatten(favicon),
            expires_at: flatten(expires_at),
            expired_destination: flatten(expired_destination),
            disabled,
            max_clicks,
            password,
            password_preview,
            rules,
            variants,
            tags,
        })
    }
}

/// A list field read by `read`, each of its problems reported under `name`.
fn structured<T>(
    body: &mut FieldReader,
    name: &'static str,
    read: fn(&Value) -> Result<Vec<T>, Vec<String>>,
) -> Field<Vec<T>> {
    match body.json(name) {
        Field::Given(value) => match read(&value) {
            Ok(items) => Field::Given(items),
            Err(problems) => {
                for problem in problems {
                    body.problem(name, problem);
                }
                Field::Absent
            }
        },
        Field::Null => Field::Null,
        Field::Absent => Field::Absent,
    }
}

fn web_url(field: &str, text: &str) -> Result<String, String> {
    WebUrl::parse(field, text).map(WebUrl::into_string)
}

fn flatten<T>(field: Field<Option<T>>) -> Field<T> {
    match field {
        Field::Given(Some(value)) => Field::Given(value),
        Field::Given(None) | Field::Absent => Field::Absent,
        Field::Null => Field::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value, purpose: Purpose) -> Result<LinkInput, Vec<String>> {
        let Value::Object(fields) = value else {
            panic!("test bodies are objects")
        };
        LinkInput::read(fields, false, purpose).map_err(|e| match e {
            OperationError::Invalid(problems) => problems.into_iter().map(|p| p.message).collect(),
            other => panic!("unexpected {other:?}"),
        })
    }

    #[test]
    fn creation_needs_a_destination() {
        let problems = read(json!({}), Purpose::Create).unwrap_err();
        assert!(
            problems[0].starts_with("destination is required"),
            "{problems:?}"
        );
        assert!(read(json!({}), Purpose::Update).is_ok());
    }

    #[test]
    fn every_bad_field_is_reported() {
        let problems = read(
            json!({"destination": "javascript:alert(1)", "route": "a b", "image": "ftp://x",
                   "favicon": "nope", "domain": "https://x.y", "consent": 3}),
            Purpose::Create,
        )
        .unwrap_err();
        assert_eq!(problems.len(), 6, "{problems:?}");
    }

    #[test]
    fn read_only_and_unknown_fields_are_ignored() {
        let input = read(
            json!({"destination": "https://a.b", "id": "x/y", "clicks": 9, "createdAt": 1,
                   "updatedAt": null, "whatever": [1]}),
            Purpose::Create,
        )
        .unwrap();
        assert!(matches!(input.destination, Field::Given(_)));
    }

    #[test]
    fn a_destination_cannot_be_cleared() {
        let problems = read(json!({"destination": null}), Purpose::Update).unwrap_err();
        assert!(problems[0].contains("cannot be removed"));
    }
}
