//! Reading typed fields out of a request body, collecting one sentence per bad field so a
//! client learns about every mistake at once.

use serde_json::{Map, Value};

use super::body::Payload;
use crate::error::ApiError;

/// A field of a request body: missing, explicitly `null`, or given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    Absent,
    Null,
    Given(T),
}

impl<T> Field<T> {
    /// `None` for absent or null: for creation, where both mean "not set".
    pub fn given(self) -> Option<T> {
        match self {
            Self::Given(value) => Some(value),
            Self::Absent | Self::Null => None,
        }
    }

    /// For partial updates: absent leaves the field alone (`None`), null clears it.
    pub fn change(self) -> Option<Option<T>> {
        match self {
            Self::Absent => None,
            Self::Null => Some(None),
            Self::Given(value) => Some(Some(value)),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Self::Absent => Field::Absent,
            Self::Null => Field::Null,
            Self::Given(value) => Field::Given(f(value)),
        }
    }
}

/// A body being read; errors accumulate until [`BodyReader::finish`].
pub struct BodyReader {
    fields: Map<String, Value>,
    is_form: bool,
    problems: Vec<String>,
}

impl BodyReader {
    pub fn new(payload: Payload) -> Self {
        Self {
            fields: payload.fields,
            is_form: payload.is_form,
            problems: Vec::new(),
        }
    }

    /// How many problems were recorded so far.
    pub fn problem_count(&self) -> usize {
        self.problems.len()
    }

    pub fn problem(&mut self, sentence: String) {
        self.problems.push(sentence);
    }

    /// Records the error of a validation, keeping the value of a success.
    pub fn check<T>(&mut self, result: Result<T, String>) -> Option<T> {
        result.map_err(|sentence| self.problem(sentence)).ok()
    }

    /// A string field. In a form, an empty value means "not set".
    pub fn text(&mut self, name: &str) -> Field<String> {
        match self.fields.remove(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(text)) if self.is_form && text.is_empty() => Field::Null,
            Some(Value::String(text)) if text.chars().any(is_forbidden_control) => {
                self.problem(format!(
                    "{name} must not contain control characters such as NUL; remove them"
                ));
                Field::Absent
            }
            Some(Value::String(text)) => Field::Given(text),
            Some(other) => {
                self.problem(format!("{name} must be a string (got {})", kind_of(&other)));
                Field::Absent
            }
        }
    }

    /// A string field of at most `max_chars` characters.
    pub fn bounded_text(&mut self, name: &str, max_chars: usize) -> Field<String> {
        match self.text(name) {
            Field::Given(text) if text.chars().count() > max_chars => {
                self.problem(format!(
                    "{name} is {} characters long; at most {max_chars} are allowed",
                    text.chars().count()
                ));
                Field::Absent
            }
            other => other,
        }
    }

    /// A boolean field: `true`/`false`, or their text forms (as forms send them).
    pub fn boolean(&mut self, name: &str) -> Field<bool> {
        let parsed = match self.fields.remove(name) {
            None => return Field::Absent,
            Some(Value::Null) => return Field::Null,
            Some(Value::Bool(value)) => Some(value),
            Some(Value::String(text)) => match text.to_ascii_lowercase().as_str() {
                "true" | "on" | "1" => Some(true),
                "false" | "off" | "0" => Some(false),
                "" if self.is_form => return Field::Null,
                _ => None,
            },
            Some(_) => None,
        };
        match parsed {
            Some(value) => Field::Given(value),
            None => {
                self.problem(format!("{name} must be true or false"));
                Field::Absent
            }
        }
    }

    /// Ends reading: a 400 listing every problem, if there were any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::BadRequest(self.problems))
        }
    }
}

/// Control characters other than tab and line breaks (which a description may hold).
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reader(value: Value, is_form: bool) -> BodyReader {
        let Value::Object(fields) = value else {
            panic!("test bodies are objects")
        };
        BodyReader::new(Payload { fields, is_form })
    }

    #[test]
    fn absent_null_and_given_are_told_apart() {
        let mut body = reader(json!({"a": null, "b": "x"}), false);
        assert_eq!(body.text("a"), Field::Null);
        assert_eq!(body.text("b"), Field::Given("x".into()));
        assert_eq!(body.text("c"), Field::Absent);
        assert!(body.finish().is_ok());
    }

    #[test]
    fn wrong_types_are_reported_per_field() {
        let mut body = reader(json!({"title": 5, "consent": "maybe"}), false);
        body.text("title");
        body.boolean("consent");
        let Err(ApiError::BadRequest(problems)) = body.finish() else {
            panic!("expected 400")
        };
        assert_eq!(
            problems,
            [
                "title must be a string (got a number)",
                "consent must be true or false"
            ]
        );
    }

    #[test]
    fn forms_spell_booleans_and_nulls_as_text() {
        let mut body = reader(json!({"consent": "on", "title": ""}), true);
        assert_eq!(body.boolean("consent"), Field::Given(true));
        assert_eq!(body.text("title"), Field::Null);
    }

    #[test]
    fn over_long_text_is_refused() {
        let mut body = reader(json!({"title": "abcd"}), false);
        assert_eq!(body.bounded_text("title", 3), Field::Absent);
        assert!(body.finish().is_err());
    }
}
