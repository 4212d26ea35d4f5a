//! `openpxl import kutt URL --api-key KEY`: links through Kutt's REST API (v2), page by
//! page (`GET /api/v2/links?limit=&skip=`). Kutt's API gives each link's visit count but
//! not its visits, so no click history comes with them; and it does not give out link
//! passwords, so a protected link is not imported unprotected: it fails, named.

use serde::Deserialize;

use super::{
    import::{Importer, Summary},
    progress::Progress,
    record::LinkRecord,
    rest::{Api, RestError},
};

/// Links asked for per page (Kutt's largest).
const LINKS_PER_PAGE: u64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum KuttError {
    #[error(transparent)]
    Source(#[from] RestError),
    #[error("cannot write to the database: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Debug, Deserialize)]
struct LinksAnswer {
    skip: u64,
    total: u64,
    data: Vec<KuttLink>,
}

#[derive(Debug, Deserialize)]
struct KuttLink {
    address: String,
    target: String,
    created_at: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    password: bool,
    #[serde(default)]
    banned: bool,
    /// The link's custom domain; absent or `null` for Kutt's own.
    #[serde(default)]
    domain: Option<String>,
}

/// Imports every link of the Kutt at `base`; links on Kutt's own domain go on
/// `default_domain`.
pub async fn import(
    base: &str,
    api_key: &str,
    default_domain: &str,
    mut importer: Importer<'_>,
) -> Result<Summary, KuttError> {
    let base = base.trim_end_matches('/');
    let api = Api::new("Kutt", "X-API-KEY", api_key)?;
    let mut progress: Option<Progress> = None;
    let mut skip = 0;
    loop {
        let url = format!("{base}/api/v2/links?limit={LINKS_PER_PAGE}&skip={skip}");
        let answer: LinksAnswer = api.get(&url).await?;
        let progress = progress.get_or_insert_with(|| Progress::new(Some(answer.total), "links"));
        let fetched = answer.data.len() as u64;
        for link in answer.data {
            progress.advance(1);
            let domain = link
                .domain
                .clone()
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| default_domain.to_owned());
            if link.password {
                importer.failed(
                    format!("{domain}/{}", link.address),
                    "Kutt protects it with a password its API does not give out; it is not \
                     imported without one: create it here and set a password"
                        .into(),
                );
                continue;
            }
            importer.link(link_of(link, domain), Vec::new()).await?;
        }
        skip = answer.skip + fetched;
        if fetched == 0 || skip >= answer.total {
            break;
        }
    }
    if let Some(progress) = progress {
        progress.finish();
    }
    Ok(importer.finish().await?)
}

/// A Kutt link as a link; a banned one is kept switched off.
fn link_of(link: KuttLink, domain: String) -> LinkRecord {
    LinkRecord {
        description: link.description.filter(|d| !d.trim().is_empty()),
        disabled: link.banned,
        ..LinkRecord::plain(domain, link.address, link.target, link.created_at)
    }
}
