//! The HTTP side of the importers that read another shortener's REST API: one client with
//! a timeout, GETs with the API key in a header, and errors that say which source
//! answered what (its own words, cut short), never the key.

use std::time::Duration;

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("{source_name} at {url} answered {status}: {body}")]
    Status {
        source_name: &'static str,
        url: String,
        status: u16,
        body: String,
    },
    #[error("cannot reach {source_name} at {url}: {error}")]
    Request {
        source_name: &'static str,
        url: String,
        error: reqwest::Error,
    },
}

/// A source's API: its name (for messages), the header its key goes in, and the key.
pub struct Api<'a> {
    client: reqwest::Client,
    name: &'static str,
    key_header: &'static str,
    key: &'a str,
}

impl<'a> Api<'a> {
    pub fn new(
        name: &'static str,
        key_header: &'static str,
        key: &'a str,
    ) -> Result<Self, RestError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|error| RestError::Request {
                source_name: name,
                url: String::new(),
                error,
            })?;
        Ok(Self {
            client,
            name,
            key_header,
            key,
        })
    }

    /// `GET url` as JSON.
    pub async fn get<T: DeserializeOwned>(&self, url: &str) -> Result<T, RestError> {
        let request_error = |error| RestError::Request {
            source_name: self.name,
            url: url.to_owned(),
            error,
        };
        let response = self
            .client
            .get(url)
            .header(self.key_header, self.key)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(request_error)?;
        let status = response.status();
        if !status.is_success() {
            let body: String = response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect();
            return Err(RestError::Status {
                source_name: self.name,
                url: url.to_owned(),
                status: status.as_u16(),
                body,
            });
        }
        response.json().await.map_err(request_error)
    }
}
