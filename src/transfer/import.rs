//! What every importer does with the links it reads (docs/API.md §10.2): each one checked
//! by the rules of the API (`LinkInput`, redirect loops, domains), its domain added to the
//! organization when it is free, and written in batches with its clicks, one transaction
//! a batch. A route already live on its domain is skipped and counted, never overwritten;
//! so running the same import again after a failure picks up where it stopped. With
//! `--dry-run` nothing is written.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use super::record::{ClickRecord, LinkRecord};
use crate::{
    links::{
        Host, WebUrl,
        input::{LinkInput, Purpose},
    },
    operation_error::OperationError,
    store::{Imported, ImportedLink, NewLink, Store},
    timestamp::{self, parse_iso},
};

/// A batch is written when it holds this many links...
const BATCH_LINKS: usize = 500;
/// ...or this many clicks.
const BATCH_CLICKS: usize = 20_000;

/// Where an import goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub org_id: i64,
    /// The user the links are recorded as created by (the organization's owner).
    pub created_by: i64,
    /// The server's default short domain: links on it need no domain of their own.
    pub default_domain: String,
    pub dry_run: bool,
}

/// What an import did (or, dry, would do).
#[derive(Debug, Default)]
pub struct Summary {
    pub created: u64,
    pub clicks: u64,
    /// Why links were skipped, and how many each.
    pub skipped: BTreeMap<String, u64>,
    /// Links refused: the link (or where it was read) and why.
    pub failed: Vec<(String, String)>,
    pub domains_added: Vec<String>,
}

impl Summary {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// The summary for people: counts, then reasons (the first 20 failures).
    pub fn report(&self, dry_run: bool) -> String {
        let verb = if dry_run { "would create" } else { "created" };
        let mut text = format!(
            "{verb} {} links with {} clicks; skipped {}; failed {}",
            self.created,
            self.clicks,
            self.skipped_total(),
            self.failed.len()
        );
        for domain in &self.domains_added {
            let added = if dry_run { "would add" } else { "added" };
            text.push_str(&format!(
                "\n  {added} the domain {domain} to the organization"
            ));
        }
        for (why, count) in &self.skipped {
            text.push_str(&format!("\n  skipped {count}: {why}"));
        }
        for (link, why) in self.failed.iter().take(20) {
            text.push_str(&format!("\n  failed {link}: {why}"));
        }
        if self.failed.len() > 20 {
            text.push_str(&format!(
                "\n  ... and {} more failed",
                self.failed.len() - 20
            ));
        }
        text
    }
}

/// A domain as the import found it.
#[derive(Debug, Clone)]
enum DomainUse {
    Ours,
    Theirs,
}

pub struct Importer<'s> {
    store: &'s Store,
    target: Target,
    domains: HashMap<String, DomainUse>,
    /// Destinations' hosts, and whether each is a short domain of this server.
    elsewhere: HashMap<String, bool>,
    batch: Vec<(String, ImportedLink)>,
    batch_clicks: usize,
    pub summary: Summary,
}

impl<'s> Importer<'s> {
    pub fn new(store: &'s Store, target: Target) -> Self {
        Self {
            store,
            target,
            domains: HashMap::new(),
            elsewhere: HashMap::new(),
            batch: Vec::new(),
            batch_clicks: 0,
            summary: Summary::default(),
        }
    }

    /// Checks a link and its clicks and queues it; writes the batch when it is full. A
    /// link that cannot be imported is counted as failed with its reason.
    pub async fn link(
        &mut self,
        record: LinkRecord,
        clicks: Vec<ClickRecord>,
    ) -> Result<(), sqlx::Error> {
        let id = record.short_id();
        match self.checked(record, clicks).await? {
            Ok(item) => {
                self.batch_clicks += item.clicks.len();
                self.batch.push((id, item));
                if self.batch.len() >= BATCH_LINKS || self.batch_clicks >= BATCH_CLICKS {
                    self.flush().await?;
                }
            }
            Err(why) => self.summary.failed.push((id, why)),
        }
        Ok(())
    }

    /// A failure of the source itself (a line that is not a record).
    pub fn failed(&mut self, at: String, why: String) {
        self.summary.failed.push((at, why));
    }

    /// Writes what is queued; the summary.
    pub async fn finish(mut self) -> Result<Summary, sqlx::Error> {
        self.flush().await?;
        Ok(self.summary)
    }

    /// Writes the queued links (or, dry, looks which are there).
    pub async fn flush(&mut self) -> Result<(), sqlx::Error> {
        let batch = std::mem::take(&mut self.batch);
        self.batch_clicks = 0;
        if batch.is_empty() {
            return Ok(());
        }
        let outcomes = if self.target.dry_run {
            let mut outcomes = Vec::with_capacity(batch.len());
            for (_, item) in &batch {
                let live = self
                    .store
                    .route_is_live(&item.link.domain, &item.link.route)
                    .await?;
                outcomes.push(if live {
                    Imported::Exists
                } else {
                    Imported::Created(item.clicks.len())
                });
            }
            outcomes
        } else {
            let items: Vec<ImportedLink> = batch.iter().map(|(_, item)| item.clone()).collect();
            self.store.import_links(&items).await?
        };
        for outcome in outcomes {
            match outcome {
                Imported::Created(clicks) => {
                    self.summary.created += 1;
                    self.summary.clicks += clicks as u64;
                }
                Imported::Exists => {
                    *self
                        .summary
                        .skipped
                        .entry("a live link has the route on its domain already".into())
                        .or_default() += 1;
                }
                Imported::RouteOfAnother => {
                    *self
                        .summary
                        .skipped
                        .entry("another organization used the route on that domain first".into())
                        .or_default() += 1;
                }
            }
        }
        Ok(())
    }

    /// The link as it will be written, or why it cannot be.
    async fn checked(
        &mut self,
        record: LinkRecord,
        clicks: Vec<ClickRecord>,
    ) -> Result<Result<ImportedLink, String>, sqlx::Error> {
        let created_at = match parse_iso(&record.created_at) {
            Ok(at) => at,
            Err(why) => return Ok(Err(format!("createdAt {why}"))),
        };
        if let Some(hash) = &record.password_hash
            && !hash.starts_with("$argon2")
        {
            return Ok(Err(
                "passwordHash is not an argon2 hash (a password is never exported in the clear)"
                    .into(),
            ));
        }
        let input = match LinkInput::read(fields_of(&record), false, Purpose::Create) {
            Ok(input) => input,
            Err(error) => return Ok(Err(problems(error))),
        };
        let Some(domain) = input.domain.clone().given() else {
            return Ok(Err("domain is missing".into()));
        };
        if let Err(why) = self.usable_domain(&domain).await? {
            return Ok(Err(why));
        }
        let urls = [
            ("destination", input.destination.clone().given()),
            (
                "expiredDestination",
                input.expired_destination.clone().given(),
            ),
        ];
        for (field, url) in urls {
            if let Some(url) = url
                && self.is_ours(url.host().as_str()).await?
            {
                return Ok(Err(format!(
                    "{field} points at {}, a short domain of this server: it would redirect \
                     in a loop",
                    url.host().as_str()
                )));
            }
        }
        let mut rows = Vec::with_capacity(clicks.len());
        for (index, click) in clicks.into_iter().enumerate() {
            match click.into_row(self.target.org_id, 0) {
                Ok(row) => rows.push(row),
                Err(why) => return Ok(Err(format!("click {index}: {why}"))),
            }
        }
        Ok(Ok(ImportedLink {
            link: new_link(&self.target, domain, input, record.password_hash),
            created_at,
            clicks: rows,
        }))
    }

    /// Whether links may go on `domain`: the default one, the organization's, or a free
    /// one, which is added to the organization (unless dry).
    async fn usable_domain(&mut self, domain: &Host) -> Result<Result<(), String>, sqlx::Error> {
        let host = domain.as_str();
        if host == self.target.default_domain {
            return Ok(Ok(()));
        }
        if let Some(known) = self.domains.get(host) {
            return Ok(match known {
                DomainUse::Ours => Ok(()),
                DomainUse::Theirs => Err(theirs(host)),
            });
        }
        let found = match self.store.domain_owner(host).await? {
            Some(owner) if owner == self.target.org_id => DomainUse::Ours,
            Some(_) => DomainUse::Theirs,
            None => {
                if !self.target.dry_run {
                    self.store
                        .insert_domain(self.target.org_id, host, timestamp::now())
                        .await?;
                }
                self.summary.domains_added.push(host.to_owned());
                DomainUse::Ours
            }
        };
        self.domains.insert(host.to_owned(), found.clone());
        Ok(match found {
            DomainUse::Ours => Ok(()),
            DomainUse::Theirs => Err(theirs(host)),
        })
    }

    /// Whether `host` is one of this server's short domains (asked once per host).
    async fn is_ours(&mut self, host: &str) -> Result<bool, sqlx::Error> {
        if host == self.target.default_domain || self.domains.contains_key(host) {
            return Ok(true);
        }
        if let Some(known) = self.elsewhere.get(host) {
            return Ok(*known);
        }
        let ours = self.store.domain_owner(host).await?.is_some();
        self.elsewhere.insert(host.to_owned(), ours);
        Ok(ours)
    }
}

fn theirs(host: &str) -> String {
    format!("the domain {host} belongs to another organization on this server")
}

/// The record's fields as the API's link input reads them.
fn fields_of(record: &LinkRecord) -> Map<String, Value> {
    let value = json!({
        "domain": record.domain,
        "route": record.route,
        "destination": record.destination,
        "title": record.title,
        "description": record.description,
        "image": record.image,
        "favicon": record.favicon,
        "consent": record.consent,
        "tags": record.tags,
        "expiresAt": record.expires_at,
        "expiredDestination": record.expired_destination,
        "disabled": record.disabled,
        "maxClicks": record.max_clicks,
        "passwordPreview": record.password_preview,
        "rules": record.rules,
        "variants": record.variants,
    });
    match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

fn problems(error: OperationError) -> String {
    match error {
        OperationError::Invalid(problems) => problems
            .into_iter()
            .map(|p| p.message)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn new_link(
    target: &Target,
    domain: Host,
    input: LinkInput,
    password_hash: Option<String>,
) -> NewLink {
    NewLink {
        org_id: target.org_id,
        created_by: target.created_by,
        domain: domain.into_string(),
        route: input
            .route
            .given()
            .map(|r| r.into_string())
            .unwrap_or_default(),
        destination: input
            .destination
            .given()
            .map(WebUrl::into_string)
            .unwrap_or_default(),
        consent: input.consent.given().unwrap_or(false),
        title: input.title.given(),
        description: input.description.given(),
        image: input.image.given(),
        favicon: input.favicon.given(),
        expires_at: input.expires_at.given(),
        expired_destination: input.expired_destination.given().map(WebUrl::into_string),
        disabled: input.disabled.given().unwrap_or(false),
        max_clicks: input.max_clicks.given(),
        password_hash,
        password_preview: input.password_preview.given().unwrap_or(false),
        rules: as_json(input.rules.given()),
        variants: as_json(input.variants.given()),
        tags: input.tags.given().unwrap_or_default(),
    }
}

/// A list as stored: JSON, or `None` when empty or absent.
fn as_json<T: serde::Serialize>(items: Option<Vec<T>>) -> Option<String> {
    items
        .filter(|items| !items.is_empty())
        .and_then(|items| serde_json::to_string(&items).ok())
}
