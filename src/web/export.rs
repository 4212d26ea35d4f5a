//! `GET /dashboard/links/export?format=jsonl|csv[&clicks=1]`: the same export as
//! `openpxl export`, as a download streamed while it is written (`transfer::export`). A
//! links table as CSV; links with their clicks as JSON lines (one file cannot hold two
//! tables).

use axum::{
    body::Body,
    extract::{Query, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tokio_util::io::ReaderStream;

use super::{error::WebError, session::Signed};
use crate::{
    state::AppState,
    transfer::export::{self, Format},
};

/// How much of the download is buffered between the export and the connection.
const PIPE_BYTES: usize = 256 * 1024;

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    clicks: Option<String>,
}

pub async fn download(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let format = match query.format.as_deref() {
        None | Some("jsonl") => Format::Jsonl,
        Some("csv") => Format::Csv,
        Some(other) => {
            return Err(WebError::BadRequest(format!(
                "an export is jsonl or csv (got {other:?})"
            )));
        }
    };
    let with_clicks = matches!(query.clicks.as_deref(), Some("1" | "true" | "on"));
    if format == Format::Csv && with_clicks {
        return Err(WebError::BadRequest(
            "clicks come as JSON lines, with their links: a CSV file holds one table (the \
             command line writes a second CSV file for them)"
                .into(),
        ));
    }
    let org_id = signed.caller.org_id;
    let memberships = state.store.memberships_of(signed.caller.user_id).await?;
    let org_name = memberships
        .into_iter()
        .find(|m| m.org_id == org_id)
        .map(|m| m.name)
        .unwrap_or_default();
    let (mut writer, reader) = tokio::io::duplex(PIPE_BYTES);
    let store = state.store.clone();
    let name = org_name.clone();
    tokio::spawn(async move {
        let written = match format {
            Format::Jsonl => export::jsonl(&store, org_id, &name, with_clicks, &mut writer).await,
            Format::Csv => {
                export::csv::<_, tokio::io::DuplexStream>(&store, org_id, &mut writer, None).await
            }
        };
        // A download cut short ends without its last lines; the cause is logged.
        if let Err(error) = written {
            tracing::error!(%error, org.id = org_id, "the dashboard export stopped");
        }
    });
    let (extension, content_type) = match format {
        Format::Jsonl => ("jsonl", "application/x-ndjson"),
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
    };
    let safe_name: String = org_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let what = if with_clicks {
        "links-and-clicks"
    } else {
        "links"
    };
    let disposition = format!("attachment; filename=\"openpxl-{safe_name}-{what}.{extension}\"");
    let mut response = Body::from_stream(ReaderStream::new(reader)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
