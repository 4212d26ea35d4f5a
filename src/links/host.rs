//! A short domain: a `host[:port]` in its one normal form.
//!
//! The same host can be written many ways — `S.Test`, `s.test.` (the fully qualified
//! form, with the root's trailing dot), `s.test%2e`, `bücher.example` or its punycode
//! `xn--bcher-kva.example`, `s.test:80`. They are normalized once, here, to lower-case
//! ASCII (IDNA), without a trailing dot, with the port only when it is not 80 (the URL
//! parser's rules for `http`), and that form is what every comparison uses: the domain of
//! a visit (`Host` header), the domain a link is created on, a custom domain's owner, and
//! the redirect-loop check on destinations.

use std::borrow::Cow;

use url::Url;

/// A valid, normalized short-domain host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host(String);

impl Host {
    /// Accepts a host name or IP address with an optional port, in any of the spellings
    /// above; refuses schemes, paths, credentials and anything that is not a host.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        let invalid = || {
            format!(
                "domain must be a host name with an optional port, such as go.example.com or \
                 localhost:8080, without scheme or path (got {})",
                crate::error::quote(input)
            )
        };
        if trimmed.is_empty()
            || trimmed.len() > 253
            || trimmed.contains(['/', '@', '?', '#', '\\', ' '])
            || trimmed.chars().any(char::is_control)
        {
            return Err(invalid());
        }
        let url = Url::parse(&format!("http://{trimmed}/")).map_err(|_| invalid())?;
        Self::of_url(&url)
            .filter(|host| !host.0.starts_with(['.', ':']) && !host.0.is_empty())
            .ok_or_else(invalid)
    }

    /// The `host[:port]` of an absolute URL, normalized the same way (the URL parser has
    /// already lower-cased, percent-decoded and IDNA-encoded it, and dropped a default
    /// port; the trailing dot goes here).
    pub fn of_url(url: &Url) -> Option<Self> {
        let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
        Some(Self(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }))
    }

    /// The host a `Host` header names, normalized; borrowed when it already is (the common
    /// case, on the redirect's hot path). `None` for what is no host at all.
    pub fn of_request(header: &str) -> Option<Cow<'_, str>> {
        let already_normal = !header.is_empty()
            && !header.ends_with('.')
            && !header.ends_with(":80")
            && header
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:".contains(&b));
        if already_normal {
            return Some(Cow::Borrowed(header));
        }
        Self::parse(header).ok().map(|host| Cow::Owned(host.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_keeps_ports() {
        assert_eq!(
            Host::parse("Go.Example.COM").unwrap().as_str(),
            "go.example.com"
        );
        assert_eq!(
            Host::parse("localhost:8080").unwrap().as_str(),
            "localhost:8080"
        );
        assert_eq!(
            Host::parse("127.0.0.1:3000").unwrap().as_str(),
            "127.0.0.1:3000"
        );
    }

    #[test]
    fn every_spelling_of_a_host_has_one_normal_form() {
        for spelling in [
            "s.test",
            "S.TEST",
            "s.test.",
            "s.test%2e",
            "s.test%2E",
            "s%2etest",
            "s.test:80",
            "S.Test.:80",
        ] {
            assert_eq!(
                Host::parse(spelling).unwrap().as_str(),
                "s.test",
                "{spelling}"
            );
        }
        assert_eq!(
            Host::parse("Bücher.example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            Host::parse("xn--bcher-kva.example.").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
        assert_eq!(Host::parse("s.test.:8080").unwrap().as_str(), "s.test:8080");
    }

    #[test]
    fn refuses_urls_and_junk() {
        for bad in [
            "",
            ".",
            "https://go.example.com",
            "go.example.com/x",
            "user@host",
            "a b",
            "host:99999",
            "host:port",
        ] {
            assert!(Host::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn host_of_url_drops_the_default_port_and_the_trailing_dot() {
        let url = Url::parse("https://PXL.example:443/a").unwrap();
        assert_eq!(Host::of_url(&url).unwrap().as_str(), "pxl.example");
        let url = Url::parse("http://localhost:8080/a").unwrap();
        assert_eq!(Host::of_url(&url).unwrap().as_str(), "localhost:8080");
        for spelling in [
            "http://s.test./loop",
            "https://s.test%2e/x",
            "http://S.TEST.:80/",
        ] {
            let url = Url::parse(spelling).unwrap();
            assert_eq!(Host::of_url(&url).unwrap().as_str(), "s.test", "{spelling}");
        }
    }

    #[test]
    fn request_hosts_are_borrowed_when_already_normal() {
        assert!(matches!(
            Host::of_request("short.test:8080"),
            Some(Cow::Borrowed("short.test:8080"))
        ));
        assert_eq!(
            Host::of_request("Short.Test.").as_deref(),
            Some("short.test")
        );
        assert_eq!(
            Host::of_request("short.test:80").as_deref(),
            Some("short.test")
        );
        assert_eq!(Host::of_request("a b"), None);
    }
}
