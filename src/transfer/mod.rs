//! Moving links in and out: openpxl's own export (JSON lines or CSV, streamed) and the
//! importers (docs/API.md §10).

pub mod csv_file;
pub mod export;
pub mod import;
pub mod jsonl;
pub mod kutt;
pub mod progress;
pub mod record;
pub mod rest;
pub mod shlink;
pub mod yourls;
