//! `openpxl export --org ORG [--clicks] [--format jsonl|csv] [--output FILE]`: the
//! organization's links (and clicks) to a file or standard output, streamed; a summary on
//! standard error.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tokio::{
    fs::{File, OpenOptions},
    io::BufWriter,
};

use crate::{
    config::ExportArgs,
    store::{Pools, Store},
    transfer::export::{self, Format, Totals},
};

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    if args.format == Format::Csv && args.clicks && args.output.is_none() {
        bail!(
            "a CSV export with --clicks writes two files (links, and clicks beside them): give \
             --output FILE, or use --format jsonl to write both to standard output"
        );
    }
    let store = Store::open(args.database.database_url.expose(), Pools::for_command()).await?;
    // The links' `clicks` come from their counters: fold what a stopped server left.
    store.fold_left_pending().await;
    let exported = export(&store, &args).await;
    store.close().await;
    let (totals, written) = exported?;
    eprintln!(
        "exported {} links and {} clicks of {:?}{written}",
        totals.links, totals.clicks, args.org
    );
    Ok(())
}

async fn export(store: &Store, args: &ExportArgs) -> anyhow::Result<(Totals, String)> {
    let Some(org_id) = store.find_org_id(&args.org).await? else {
        bail!(
            "no organization {:?}; `openpxl org list` shows the organizations",
            args.org
        );
    };
    let Some(path) = &args.output else {
        let mut out = tokio::io::stdout();
        let totals = match args.format {
            Format::Jsonl => export::jsonl(store, org_id, &args.org, args.clicks, &mut out).await?,
            Format::Csv => {
                export::csv::<_, tokio::io::Stdout>(store, org_id, &mut out, None).await?
            }
        };
        return Ok((totals, String::new()));
    };
    let mut out = BufWriter::new(create(path).await?);
    let totals = match args.format {
        Format::Jsonl => export::jsonl(store, org_id, &args.org, args.clicks, &mut out).await?,
        Format::Csv if args.clicks => {
            let clicks_path = clicks_file(path);
            let mut clicks = BufWriter::new(create(&clicks_path).await?);
            let totals = export::csv(store, org_id, &mut out, Some(&mut clicks)).await?;
            return Ok((
                totals,
                format!(" to {} and {}", path.display(), clicks_path.display()),
            ));
        }
        Format::Csv => export::csv::<_, File>(store, org_id, &mut out, None).await?,
    };
    Ok((totals, format!(" to {}", path.display())))
}

/// A new file; an existing one is never overwritten.
async fn create(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .with_context(|| {
            format!(
                "cannot create {} (an existing file is never overwritten)",
                path.display()
            )
        })
}

/// `links.csv` → `links.clicks.csv`.
fn clicks_file(path: &Path) -> PathBuf {
    path.with_extension("clicks.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clicks_file_sits_beside_the_links_file() {
        assert_eq!(
            clicks_file(Path::new("/tmp/links.csv")),
            Path::new("/tmp/links.clicks.csv")
        );
        assert_eq!(clicks_file(Path::new("out")), Path::new("out.clicks.csv"));
    }
}
