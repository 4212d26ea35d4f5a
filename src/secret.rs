//! Values that must never reach a log: [`Secret`] (the bootstrap token and password) and
//! [`DatabaseUrl`] (which may carry a password). Their `Debug` hides what is secret, so a
//! `{:?}` of the parsed configuration shows none of it; the value is read with `expose`.

use std::fmt;

/// A secret string; `Debug` prints `Secret([redacted])`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// For clap: every string is a valid secret (checks come where it is used).
    pub fn parse(value: &str) -> Result<Self, std::convert::Infallible> {
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// A `DATABASE_URL`; `Debug` shows it with its password (and any query, which may hold
/// one too) replaced by `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// For clap: any text; the store says what is wrong with a bad one.
    pub fn parse(value: &str) -> Result<Self, std::convert::Infallible> {
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL without secrets, for messages.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut url) if url.has_host() => {
                if url.password().is_some() {
                    url.set_password(Some("[redacted]")).ok();
                }
                if url.query().is_some() {
                    url.set_query(Some("[redacted]"));
                }
                url.to_string()
            }
            // sqlite:PATH and the like: a path, no credentials.
            _ => self.0.split('?').next().unwrap_or_default().to_owned(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        assert_eq!(
            format!("{:?}", Secret::new("hunter2")),
            "Secret([redacted])"
        );
        let url =
            DatabaseUrl::new("postgres://openpxl:s3cret@db.internal:5432/openpxl?sslmode=require");
        let shown = format!("{url:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("db.internal"),
            "{shown}"
        );
        assert_eq!(
            DatabaseUrl::new("sqlite://openpxl.db").redacted(),
            "sqlite://openpxl.db"
        );
    }
}
