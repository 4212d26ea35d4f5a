//! `openpxl import jsonl FILE`: reads openpxl's own export line by line (never the whole
//! file at once) and hands each link with the clicks that follow it to the importer. A
//! line that is not a record stops the import after writing every link read completely
//! before it; the link whose clicks it interrupted is left for the next run.

use std::path::Path;

use tokio::{
    fs::File,
    io::{AsyncBufReadExt, BufReader},
};

use super::{
    import::{Importer, Summary},
    progress::Progress,
    record::{ClickRecord, FORMAT_VERSION, LinkRecord, Record},
};

#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "line {line} of {path} is not a record of an openpxl export ({why}); every link read \
         completely before it is imported: fix the file and run the same command again \
         (links already there are skipped)"
    )]
    Malformed {
        path: String,
        line: u64,
        why: String,
    },
    #[error("cannot write to the database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Imports the file; the summary.
pub async fn import(path: &Path, mut importer: Importer<'_>) -> Result<Summary, JsonlError> {
    let shown = path.display().to_string();
    let read_error = |source| JsonlError::Read {
        path: shown.clone(),
        source,
    };
    let total = count_lines(path).await.map_err(read_error)?;
    let mut progress = Progress::new(Some(total), "lines");
    let mut lines = BufReader::new(File::open(path).await.map_err(read_error)?).lines();
    let mut current: Option<(LinkRecord, Vec<ClickRecord>)> = None;
    let mut number = 0_u64;
    while let Some(line) = lines.next_line().await.map_err(read_error)? {
        number += 1;
        progress.advance(1);
        if line.trim().is_empty() {
            continue;
        }
        let malformed = |why: String| JsonlError::Malformed {
            path: shown.clone(),
            line: number,
            why,
        };
        let record = match serde_json::from_str::<Record>(&line) {
            Ok(record) => record,
            Err(error) => {
                importer.flush().await?;
                progress.finish();
                return Err(malformed(error.to_string()));
            }
        };
        match record {
            Record::Header(header) if number == 1 => {
                if header.version > FORMAT_VERSION {
                    progress.finish();
                    return Err(malformed(format!(
                        "format version {} is newer than this openpxl reads ({FORMAT_VERSION}); \
                         upgrade openpxl",
                        header.version
                    )));
                }
            }
            Record::Header(_) => {
                importer.flush().await?;
                progress.finish();
                return Err(malformed("a second header".into()));
            }
            Record::Link(link) => {
                if let Some((link, clicks)) = current.take() {
                    importer.link(link, clicks).await?;
                }
                current = Some((link, Vec::new()));
            }
            Record::Click(click) => match current.as_mut() {
                Some((link, clicks)) if click.link == link.short_id() => clicks.push(click),
                _ => {
                    importer.flush().await?;
                    progress.finish();
                    return Err(malformed(format!(
                        "a click of {} that does not follow its link",
                        click.link
                    )));
                }
            },
        }
    }
    if let Some((link, clicks)) = current.take() {
        importer.link(link, clicks).await?;
    }
    progress.finish();
    Ok(importer.finish().await?)
}

/// How many lines the file has (for the progress bar's total and ETA).
async fn count_lines(path: &Path) -> std::io::Result<u64> {
    use tokio::io::AsyncReadExt;
    let mut file = File::open(path).await?;
    let mut buffer = vec![0_u8; 256 * 1024];
    let mut lines = 0_u64;
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            return Ok(lines);
        }
        lines += buffer[..read].iter().filter(|b| **b == b'\n').count() as u64;
    }
}
