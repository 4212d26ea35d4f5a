//! Reading typed fields out of a request — a JSON body, or a form of the API or the
//! dashboard — collecting one problem per bad field, named, so a client learns about every
//! mistake at once and a form can show each next to its field.

use serde_json::{Map, Value};

use crate::operation_error::{FieldProblem, OperationError};

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

/// Fields being read; problems accumulate until [`FieldReader::finish`].
pub struct FieldReader {
    fields: Map<String, Value>,
    is_form: bool,
    problems: Vec<FieldProblem>,
}

impl FieldReader {
    /// `is_form`: the values came from a form, which carries only strings (`"true"` is a
    /// boolean, an empty value means "not set").
    pub fn new(fields: Map<String, Value>, is_form: bool) -> Self {
        Self {
            fields,
            is_form,
            problems: Vec::new(),
        }
    }

    /// How many problems were recorded so far.
    pub fn problem_count(&self) -> usize {
        self.problems.len()
    }

    pub fn problem(&mut self, field: &'static str, message: String) {
        self.problems.push(FieldProblem { field, message });
    }

    /// Records the error of a validation of `field`, keeping the value of a success.
    pub fn check<T>(&mut self, field: &'static str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.problem(field, message)).ok()
    }

    /// A string field. In a form, an empty value means "not set".
    /// A field as sent, for structured values (a form sends them as JSON text; an empty
    /// value means "not set").
    pub fn json(&mut self, name: &'static str) -> Field<Value> {
        match self.fields.remove(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(text)) if self.is_form => {
                if text.trim().is_empty() {
                    return Field::Null;
                }
                match serde_json::from_str(&text) {
                    Ok(value) => Field::Given(value),
                    Err(error) => {
                        self.problem(name, format!("{name} is not valid JSON: {error}"));
                        Field::Absent
                    }
                }
            }
            Some(value) => Field::Given(value),
        }
    }

    pub fn text(&mut self, name: &'static str) -> Field<String> {
        match self.fields.remove(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(text)) if self.is_form && text.is_empty() => Field::Null,
            Some(Value::String(text)) if text.chars().any(is_forbidden_control) => {
                self.problem(
                    name,
                    format!("{name} must not contain control characters such as NUL; remove them"),
                );
                Field::Absent
            }
            Some(Value::String(text)) => Field::Given(text),
            Some(other) => {
                self.problem(
                    name,
                    format!("{name} must be a string (got {})", kind_of(&other)),
                );
                Field::Absent
            }
        }
    }

    /// A string field of at most `max_chars` characters.
    pub fn bounded_text(&mut self, name: &'static str, max_chars: usize) -> Field<String> {
        match self.text(name) {
            Field::Given(text) if text.chars().count() > max_chars => {
                self.problem(
                    name,
                    format!(
                        "{name} is {} characters long; at most {max_chars} are allowed",
                        text.chars().count()
                    ),
                );
                Field::Absent
            }
            other => other,
        }
    }

    /// A whole-number field: a JSON integer, or its text (as forms send it).
    pub fn integer(&mut self, name: &'static str) -> Field<i64> {
        let parsed = match self.fields.remove(name) {
            None => return Field::Absent,
            Some(Value::Null) => return Field::Null,
            Some(Value::Number(number)) => number.as_i64(),
            Some(Value::String(text)) if self.is_form && text.trim().is_empty() => {
                return Field::Null;
            }
            Some(Value::String(text)) => text.trim().parse().ok(),
            Some(_) => None,
        };
        match parsed {
            Some(value) => Field::Given(value),
            None => {
                self.problem(name, format!("{name} must be a whole number"));
                Field::Absent
            }
        }
    }

    /// A boolean field: `true`/`false`, or their text forms (as forms send them).
    pub fn boolean(&mut self, name: &'static str) -> Field<bool> {
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
                self.problem(name, format!("{name} must be true or false"));
                Field::Absent
            }
        }
    }

    /// Ends reading: every problem, if there were any.
    pub fn finish(self) -> Result<(), OperationError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(OperationError::Invalid(self.problems))
        }
    }
}

/// Control characters other than tab and line breaks (which a description may hold).
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

pub fn kind_of(value: &Value) -> &'static str {
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

    fn reader(value: Value, is_form: bool) -> FieldReader {
        let Value::Object(fields) = value else {
            panic!("test bodies are objects")
        };
        FieldReader::new(fields, is_form)
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
        let Err(OperationError::Invalid(problems)) = body.finish() else {
            panic!("expected 400")
        };
        let named: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.field, p.message.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("title", "title must be a string (got a number)"),
                ("consent", "consent must be true or false")
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
