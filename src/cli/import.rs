//! `openpxl import SOURCE ... --org ORG [--dry-run]`: reads links (and their clicks) from
//! a source and writes them to the organization; a summary at the end. Exits with an error
//! when any link failed, so scripts notice.

use anyhow::bail;

use crate::{
    config::{ImportSource, ImportTarget},
    store::{Pools, Store},
    transfer::{
        csv_file,
        import::{Importer, Target},
        jsonl, kutt, shlink, yourls,
    },
};

pub async fn run(source: ImportSource) -> anyhow::Result<()> {
    let (what, target) = match &source {
        ImportSource::Jsonl { file, target } | ImportSource::Csv { file, target } => {
            (file.display().to_string(), target)
        }
        ImportSource::Yourls { target, .. } => ("the YOURLS database".to_owned(), target),
        ImportSource::Shlink { url, target, .. } => (format!("the Shlink at {url}"), target),
        ImportSource::Kutt { url, target, .. } => (format!("the Kutt at {url}"), target),
    };
    let store = Store::open(target.database.database_url.expose(), Pools::for_command()).await?;
    let started = std::time::Instant::now();
    let imported = async {
        let resolved = resolve(&store, target).await?;
        let (org_id, default_domain) = (resolved.org_id, resolved.default_domain.clone());
        let importer = Importer::new(&store, resolved);
        anyhow::Ok(match &source {
            ImportSource::Jsonl { file, .. } => jsonl::import(file, importer).await?,
            ImportSource::Csv { file, .. } => {
                csv_file::import(file, &default_domain, importer).await?
            }
            ImportSource::Kutt { url, api_key, .. } => {
                kutt::import(url, api_key, &default_domain, importer).await?
            }
            ImportSource::Shlink { url, api_key, .. } => {
                shlink::import(url, api_key, &default_domain, importer).await?
            }
            ImportSource::Yourls {
                url,
                prefix,
                domain,
                ..
            } => {
                let domain = match domain {
                    Some(domain) => crate::links::Host::parse(domain)
                        .map_err(|why| anyhow::anyhow!("--domain: {why}"))?
                        .into_string(),
                    None => default_domain,
                };
                yourls::import(url, prefix, &domain, org_id, importer).await?
            }
        })
    }
    .await;
    store.close().await;
    let summary = imported?;
    eprintln!(
        "import of {what} into {:?} in {:.1} s: {}",
        target.org,
        started.elapsed().as_secs_f64(),
        summary.report(target.dry_run)
    );
    if !summary.failed.is_empty() {
        bail!(
            "{} links could not be imported (reasons above); fix them in the source and run \
             the same command again",
            summary.failed.len()
        );
    }
    Ok(())
}

/// The organization and its owner, who is recorded as the links' creator.
async fn resolve(store: &Store, target: &ImportTarget) -> anyhow::Result<Target> {
    let Some(org_id) = store.find_org_id(&target.org).await? else {
        bail!(
            "no organization {:?}; create it with its owner first (`openpxl user create \
             --org {} --email YOU --role owner`)",
            target.org,
            target.org
        );
    };
    let Some(owner) = store.members(org_id).await?.into_iter().next() else {
        bail!(
            "organization {:?} has no members; create its owner first",
            target.org
        );
    };
    let default_domain = crate::links::Host::parse(&target.default_domain)
        .map_err(|why| anyhow::anyhow!("--default-domain: {why}"))?
        .into_string();
    Ok(Target {
        org_id,
        created_by: owner.user_id,
        default_domain,
        dry_run: target.dry_run,
    })
}
