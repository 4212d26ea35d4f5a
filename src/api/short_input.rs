//! The fields a client may send to create or update a short link, validated all at once.

use super::{
    body::Payload,
    fields::{BodyReader, Field},
};
use crate::{
    error::ApiError,
    links::{Host, Route, WebUrl},
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
pub struct ShortInput {
    pub domain: Field<Host>,
    pub route: Field<Route>,
    pub destination: Field<WebUrl>,
    pub consent: Field<bool>,
    pub title: Field<String>,
    pub description: Field<String>,
    pub image: Field<String>,
    pub favicon: Field<String>,
}

impl ShortInput {
    /// Reads the fields of SPEC §4; unknown and read-only fields are ignored.
    pub fn read(payload: Payload, purpose: Purpose) -> Result<Self, ApiError> {
        let mut body = BodyReader::new(payload);
        let problems_before = body.problem_count();
        let destination = match body.text("destination") {
            Field::Given(text) => Field::Given(body.check(WebUrl::parse("destination", &text))),
            Field::Null if purpose == Purpose::Update => {
                body.problem("destination cannot be removed; give the new URL instead".into());
                Field::Absent
            }
            // A destination of the wrong type was reported already; it is not also "missing".
            Field::Absent | Field::Null
                if purpose == Purpose::Create && body.problem_count() == problems_before =>
            {
                body.problem(
                    "destination is required: give the absolute http(s) URL the link redirects to"
                        .into(),
                );
                Field::Absent
            }
            other => other.map(|_| None),
        };
        let domain = body
            .text("domain")
            .map(|text| body.check(Host::parse(&text)));
        let route = body
            .text("route")
            .map(|text| body.check(Route::parse(&text)));
        let consent = body.boolean("consent");
        let title = body.bounded_text("title", MAX_TITLE_CHARS);
        let description = body.bounded_text("description", MAX_DESCRIPTION_CHARS);
        let image = body
            .text("image")
            .map(|text| body.check(web_url("image", &text)));
        let favicon = body
            .text("favicon")
            .map(|text| body.check(web_url("favicon", &text)));
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
        })
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
    use serde_json::{Value, json};

    fn read(value: Value, purpose: Purpose) -> Result<ShortInput, Vec<String>> {
        let Value::Object(fields) = value else {
            panic!("test bodies are objects")
        };
        ShortInput::read(
            Payload {
                fields,
                is_form: false,
            },
            purpose,
        )
        .map_err(|e| match e {
            ApiError::BadRequest(problems) => problems,
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
