//! An absolute `http` or `https` URL: what a destination, image or favicon must be.

use url::Url;

use super::Host;

/// Longest URL accepted, in bytes.
pub const MAX_URL_BYTES: usize = 4096;

/// A validated absolute http(s) URL with a host. Keeps the text the client sent (trimmed),
/// so what comes back is what went in.
#[derive(Debug, Clone)]
pub struct WebUrl {
    text: String,
    parsed: Url,
}

impl WebUrl {
    /// `field` names the field in error messages.
    pub fn parse(field: &str, input: &str) -> Result<Self, String> {
        let text = input.trim();
        if text.len() > MAX_URL_BYTES {
            return Err(format!(
                "{field} is {} bytes long; at most {MAX_URL_BYTES} bytes are allowed",
                text.len()
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(format!(
                "{field} must not contain control characters (tabs, line breaks, NUL); remove them"
            ));
        }
        let lowered = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        let invalid = || {
            format!(
                "{field} must be an absolute http:// or https:// URL with a host, such as \
                 https://example.com/page (got {})",
                crate::error::quote(text)
            )
        };
        if !(lowered.starts_with("http://") || lowered.starts_with("https://")) {
            return Err(invalid());
        }
        // The URL parser forgives `http:///host`; a client that wrote it meant something else.
        let after_scheme = &text[text.find("://").map_or(0, |i| i + 3)..];
        if after_scheme.starts_with(['/', '\\']) {
            return Err(invalid());
        }
        let parsed = Url::parse(text).map_err(|_| invalid())?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid());
        }
        Ok(Self {
            text: text.to_owned(),
            parsed,
        })
    }

    pub fn host(&self) -> Host {
        Host::of_url(&self.parsed).expect("a WebUrl always has a host")
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_with_a_host() {
        for ok in [
            "https://example.com",
            "HTTP://example.com/a?b=c#d",
            " https://x.y/z ",
        ] {
            assert!(WebUrl::parse("destination", ok).is_ok(), "{ok:?}");
        }
        assert_eq!(
            WebUrl::parse("d", " https://x.y/z ").unwrap().into_string(),
            "https://x.y/z"
        );
    }

    #[test]
    fn refuses_other_schemes_relative_and_hostless_urls() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://example.com",
            "/relative",
            "example.com",
            "https://",
            "https:example.com",
            "http:///path",
            "https://example.com/a\nb",
            "https://example.com/\0",
        ] {
            assert!(
                WebUrl::parse("destination", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn refuses_urls_over_the_size_limit() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        let error = WebUrl::parse("destination", &long).unwrap_err();
        assert!(error.contains("at most 4096 bytes"), "{error}");
    }
}
