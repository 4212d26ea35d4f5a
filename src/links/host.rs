//! A short domain: a lower-case `host[:port]`, as it appears in a `Host` header.

use url::Url;

/// A valid, normalized short-domain host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host(String);

impl Host {
    /// Accepts `go.example.com` or `localhost:8080`, in any case; refuses schemes, paths,
    /// credentials and anything that is not a host name or IP address.
    pub fn parse(input: &str) -> Result<Self, String> {
        let lowered = input.trim().to_ascii_lowercase();
        let invalid = || {
            format!(
                "domain must be a host name with an optional port, such as go.example.com or \
                 localhost:8080, without scheme or path (got {})",
                crate::error::quote(input)
            )
        };
        if lowered.is_empty() || lowered.len() > 253 || lowered.contains(['/', '@', '?', '#', '\\'])
        {
            return Err(invalid());
        }
        let url = Url::parse(&format!("http://{lowered}/")).map_err(|_| invalid())?;
        let host = url.host_str().ok_or_else(invalid)?;
        let normalized = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        // The URL parser may rewrite what it was given (IDNA, numeric hosts, default port);
        // only a host that is already in its normal form is accepted, so it stays unambiguous.
        if normalized != lowered {
            return Err(invalid());
        }
        Ok(Self(normalized))
    }

    /// The `host[:port]` of an absolute URL, normalized the same way.
    pub fn of_url(url: &Url) -> Option<Self> {
        let host = url.host_str()?.to_ascii_lowercase();
        Some(Self(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }))
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
    fn refuses_urls_and_junk() {
        for bad in [
            "",
            "https://go.example.com",
            "go.example.com/x",
            "user@host",
            "a b",
            "host:99999",
            "host:80",
        ] {
            assert!(Host::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn host_of_url_drops_the_default_port() {
        let url = Url::parse("https://PXL.example:443/a").unwrap();
        assert_eq!(Host::of_url(&url).unwrap().as_str(), "pxl.example");
        let url = Url::parse("http://localhost:8080/a").unwrap();
        assert_eq!(Host::of_url(&url).unwrap().as_str(), "localhost:8080");
    }
}
