//! Writing an organization's links (and, if asked, their clicks) as JSON lines or CSV, as
//! they stream from the database: memory stays flat however many there are. JSON lines
//! hold everything (the format `openpxl import jsonl` reads); CSV holds a links table and,
//! in a second file, a clicks table.

use std::collections::HashMap;

use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::record::{ClickRecord, FORMAT_VERSION, Header, LinkRecord, Record};
use crate::{store::Store, timestamp};

/// How much is gathered before it is written out.
const CHUNK_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

/// How much was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub links: u64,
    pub clicks: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read from the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// The organization's export as JSON lines: a header, then each link followed by its
/// clicks (with `clicks`).
pub async fn jsonl<W: AsyncWrite + Unpin>(
    store: &Store,
    org_id: i64,
    organization: &str,
    with_clicks: bool,
    out: &mut W,
) -> Result<Totals, ExportError> {
    let mut lines = Lines::new(out);
    lines
        .record(&Record::Header(Header {
            version: FORMAT_VERSION,
            organization: organization.to_owned(),
            exported_at: timestamp::iso(timestamp::now()),
        }))
        .await?;
    let mut totals = Totals::default();
    let mut clicks = if with_clicks {
        Some(store.org_clicks(org_id).peekable())
    } else {
        None
    };
    let mut links = store.org_links(org_id);
    while let Some(link) = links.try_next().await? {
        let (link_id, short_id) = (link.id, link.short_id());
        lines.record(&Record::Link(LinkRecord::of(link))).await?;
        totals.links += 1;
        let Some(clicks) = clicks.as_mut() else {
            continue;
        };
        // Both streams are ordered by link: take this link's clicks, and pass over those
        // of a link deleted between the two reads.
        while let Some(next) = std::pin::Pin::new(&mut *clicks).peek().await {
            match next {
                Ok(click) if click.link_id > link_id => break,
                Ok(_) | Err(_) => {}
            }
            let click = clicks.next().await.expect("peeked")?;
            if click.link_id == link_id {
                lines
                    .record(&Record::Click(ClickRecord::of(&short_id, click)))
                    .await?;
                totals.clicks += 1;
            }
        }
    }
    lines.finish().await?;
    Ok(totals)
}

/// The organization's links as CSV, and their clicks as CSV into `clicks_out` if given.
pub async fn csv<L, C>(
    store: &Store,
    org_id: i64,
    links_out: &mut L,
    clicks_out: Option<&mut C>,
) -> Result<Totals, ExportError>
where
    L: AsyncWrite + Unpin,
    C: AsyncWrite + Unpin,
{
    let mut totals = Totals::default();
    let mut short_ids: HashMap<i64, String> = HashMap::new();
    let mut table = Table::new(links_out);
    let mut links = store.org_links(org_id);
    while let Some(link) = links.try_next().await? {
        if clicks_out.is_some() {
            short_ids.insert(link.id, link.short_id());
        }
        table.row(&LinkRow::of(LinkRecord::of(link))).await?;
        totals.links += 1;
    }
    table.finish().await?;
    let Some(clicks_out) = clicks_out else {
        return Ok(totals);
    };
    let mut table = Table::new(clicks_out);
    let mut clicks = store.org_clicks(org_id);
    while let Some(click) = clicks.try_next().await? {
        let Some(short_id) = short_ids.get(&click.link_id) else {
            continue; // a link created after the links were read
        };
        table.row(&ClickRecord::of(short_id, click)).await?;
        totals.clicks += 1;
    }
    table.finish().await?;
    Ok(totals)
}

/// A link as a CSV row: the fields a spreadsheet or another shortener reads; tags
/// separated by commas. (Rules, variants and passwords are in the JSON lines export.)
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkRow {
    domain: String,
    route: String,
    destination: String,
    title: Option<String>,
    description: Option<String>,
    tags: String,
    clicks: i64,
    created_at: String,
    expires_at: Option<String>,
    expired_destination: Option<String>,
    disabled: bool,
    max_clicks: Option<i64>,
}

impl LinkRow {
    fn of(link: LinkRecord) -> Self {
        Self {
            tags: link.tags.join(","),
            domain: link.domain,
            route: link.route,
            destination: link.destination,
            title: link.title,
            description: link.description,
            clicks: link.clicks,
            created_at: link.created_at,
            expires_at: link.expires_at,
            expired_destination: link.expired_destination,
            disabled: link.disabled,
            max_clicks: link.max_clicks,
        }
    }
}

/// JSON lines gathered into chunks.
struct Lines<'w, W> {
    out: &'w mut W,
    buffer: Vec<u8>,
}

impl<'w, W: AsyncWrite + Unpin> Lines<'w, W> {
    fn new(out: &'w mut W) -> Self {
        Self {
            out,
            buffer: Vec::with_capacity(CHUNK_BYTES * 2),
        }
    }

    async fn record(&mut self, record: &Record) -> Result<(), ExportError> {
        serde_json::to_writer(&mut self.buffer, record).map_err(std::io::Error::from)?;
        self.buffer.push(b'\n');
        if self.buffer.len() >= CHUNK_BYTES {
            self.out.write_all(&self.buffer).await?;
            self.buffer.clear();
        }
        Ok(())
    }

    async fn finish(self) -> Result<(), ExportError> {
        self.out.write_all(&self.buffer).await?;
        self.out.flush().await?;
        Ok(())
    }
}

/// CSV rows (a header from the first row's field names) gathered into chunks.
struct Table<'w, W> {
    out: &'w mut W,
    writer: csv::Writer<Vec<u8>>,
}

impl<'w, W: AsyncWrite + Unpin> Table<'w, W> {
    fn new(out: &'w mut W) -> Self {
        Self {
            out,
            writer: csv::Writer::from_writer(Vec::with_capacity(CHUNK_BYTES * 2)),
        }
    }

    async fn row(&mut self, row: &impl Serialize) -> Result<(), ExportError> {
        self.writer.serialize(row)?;
        if self.writer.get_ref().len() >= CHUNK_BYTES {
            self.drain().await?;
        }
        Ok(())
    }

    /// Writes out what is gathered; the next rows go to a fresh writer that writes no
    /// header again.
    async fn drain(&mut self) -> Result<(), ExportError> {
        let fresh = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(CHUNK_BYTES * 2));
        let full = std::mem::replace(&mut self.writer, fresh);
        let chunk = full
            .into_inner()
            .map_err(|error| std::io::Error::other(error.to_string()))?;
        self.out.write_all(&chunk).await?;
        Ok(())
    }

    async fn finish(mut self) -> Result<(), ExportError> {
        self.drain().await?;
        self.out.flush().await?;
        Ok(())
    }
}
