//! The typed error of the operations the API, the dashboard and the CLI share (accounts,
//! tokens, domains, links): what went wrong, in a sentence that says how to fix it. The
//! HTTP edge maps it to a status (`ApiError`: 400, 409, 404, 403, or 503/500 for the
//! database), the CLI prints the same sentence, the dashboard shows an invalid field's
//! sentence next to that field.

use std::fmt;

/// One bad field of a request: which, and a sentence saying what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// Bad input, one problem per field (400).
    #[error("{}", join(.0))]
    Invalid(Vec<FieldProblem>),
    /// What was asked for is taken (409).
    #[error("{0}")]
    Conflict(String),
    /// What was named does not exist, or is not the caller's to see (404).
    #[error("{0}")]
    NotFound(String),
    /// The caller may see it but not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many heavy requests of the organization at once (429, retry in a second).
    #[error("{0}")]
    Busy(String),
    /// The work took longer than it may (503).
    #[error("{0}")]
    TimedOut(String),
    /// The database failed; whether it is unavailable or broken decides the status.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Something that cannot happen with a healthy program (a hashing library failing).
    #[error("{0}")]
    Internal(String),
}

impl OperationError {
    /// Bad input in one field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldProblem {
            field,
            message: message.into(),
        }])
    }
}

fn join(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_is_the_message() {
        let error = OperationError::invalid("email", "give an e-mail address");
        assert_eq!(error.to_string(), "give an e-mail address");
        let two = OperationError::Invalid(vec![
            FieldProblem {
                field: "a",
                message: "a is bad".into(),
            },
            FieldProblem {
                field: "b",
                message: "b is bad".into(),
            },
        ]);
        assert_eq!(two.to_string(), "a is bad; b is bad");
    }
}
