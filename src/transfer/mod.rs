//! Moving links in and out: openpxl's own export (JSON lines or CSV, streamed) and the
//! importers (docs/API.md §10).

pub mod export;
pub mod record;
