//! Writing imported links with their clicks: a batch in one transaction, so a failure
//! leaves either the whole batch or none of it, and running the import again skips what
//! is there. A link whose route is taken is skipped, never overwritten. Each step is one
//! multi-row statement for the whole batch (routes taken, routes claimed, links, tags,
//! clicks), not one per link.

use std::collections::{HashMap, HashSet};

use sqlx::{Any, Transaction};

use super::{
    Backend, Store,
    clicks::{Counting, placeholders, write_clicks_in},
    transaction::in_transaction,
};
use crate::{
    links::{search::search_text, tags::tag_key},
    store::{ClickRow, NewLink},
    timestamp::Millis,
};

/// A link to import and its clicks (their `link_id` is set when it is created).
#[derive(Debug, Clone)]
pub struct ImportedLink {
    pub link: NewLink,
    pub created_at: Millis,
    pub clicks: Vec<ClickRow>,
}

/// What became of one link of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Created, with this many clicks.
    Created(usize),
    /// A live link has its route on its domain already (or an earlier one of the batch).
    Exists,
    /// Another organization used the route on that domain first.
    RouteOfAnother,
}

/// Links per multi-row statement (21 parameters each: under SQLite's 32,766).
const LINKS_PER_INSERT: usize = 500;

type DomainRoute = (String, String);

impl Store {
    /// Whether a live link holds `route` on `domain` (an import's dry run).
    pub async fn route_is_live(&self, domain: &str, route: &str) -> Result<bool, sqlx::Error> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM links WHERE domain = $1 AND route = $2 AND deleted_at IS NULL",
        )
        .bind(domain)
        .bind(route)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Creates the links of a batch (all of one organization) that are not there yet,
    /// with their tags and clicks, in one transaction; what became of each, in order.
    pub async fn import_links(&self, batch: &[ImportedLink]) -> Result<Vec<Imported>, sqlx::Error> {
        let backend = self.backend;
        in_transaction(&self.pool, async |tx| {
            let mut outcomes = vec![Imported::Exists; batch.len()];
            let Some(org_id) = batch.first().map(|item| item.link.org_id) else {
                return Ok(outcomes);
            };
            // The first of each route in the batch, unless a live link has it.
            let mut seen: HashSet<DomainRoute> = HashSet::new();
            let mut chosen: Vec<usize> = (0..batch.len())
                .filter(|&i| seen.insert(key(&batch[i].link)))
                .collect();
            let live = live_routes(tx, backend, &seen).await?;
            chosen.retain(|&i| !live.contains(&key(&batch[i].link)));
            let owners = claim_routes(tx, backend, org_id, &chosen, batch).await?;
            chosen.retain(|&i| {
                let ours = owners.get(&key(&batch[i].link)) == Some(&org_id);
                if !ours {
                    outcomes[i] = Imported::RouteOfAnother;
                }
                ours
            });
            let ids = insert_links(tx, backend, &chosen, batch).await?;
            let mut clicks: Vec<ClickRow> = Vec::new();
            let mut tagged: Vec<(i64, &String)> = Vec::new();
            let mut limited: Vec<i64> = Vec::new();
            for &i in &chosen {
                let item = &batch[i];
                let Some(&link_id) = ids.get(&key(&item.link)) else {
                    continue;
                };
                tagged.extend(item.link.tags.iter().map(|tag| (link_id, tag)));
                if item.link.max_clicks.is_some() {
                    limited.push(link_id);
                }
                clicks.extend(item.clicks.iter().map(|click| ClickRow {
                    link_id,
                    org_id,
                    ..click.clone()
                }));
                outcomes[i] = Imported::Created(item.clicks.len());
            }
            tag_links(tx, backend, org_id, &tagged).await?;
            let codes = self.click_codes(&clicks).await?;
            write_clicks_in(tx, backend, &clicks, codes.as_deref(), Counting::InPlace).await?;
            // A limited link has used as many visits as it has clicks through.
            for link_id in limited {
                sqlx::query(
                    "UPDATE links SET limited_visits = \
                       COALESCE((SELECT clicks FROM link_counters WHERE link_id = $1), 0) \
                     WHERE id = $1",
                )
                .bind(link_id)
                .execute(&mut **tx)
                .await?;
            }
            Ok(outcomes)
        })
        .await
    }
}

fn key(link: &NewLink) -> DomainRoute {
    (link.domain.clone(), link.route.clone())
}

/// Which of these routes a live link holds (one lookup per domain and chunk, on the index
/// of live routes).
async fn live_routes(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    wanted: &HashSet<DomainRoute>,
) -> Result<HashSet<DomainRoute>, sqlx::Error> {
    let mut by_domain: HashMap<&String, Vec<&String>> = HashMap::new();
    for (domain, route) in wanted {
        by_domain.entry(domain).or_default().push(route);
    }
    let mut live = HashSet::new();
    for (domain, routes) in by_domain {
        for chunk in routes.chunks(LINKS_PER_INSERT * 2) {
            // Joined to a VALUES list rather than `route IN (...)`: while a table grows
            // during an import its statistics lag, and the planner would read every row
            // against the whole list (hundreds of milliseconds a batch at 50,000 links).
            // Parameters in the order of the text (SQLite's `?` are positional).
            let sql = format!(
                "SELECT l.route FROM {} AS v JOIN links l ON l.route = v.column1 \
                 WHERE l.domain = {} AND l.deleted_at IS NULL",
                rows_from(backend, 1, chunk.len()),
                list_from(backend, chunk.len() + 1, 1),
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql);
            for route in chunk {
                query = query.bind(route.as_str());
            }
            query = query.bind(domain.as_str());
            for route in query.fetch_all(&mut **tx).await? {
                live.insert((domain.clone(), route));
            }
        }
    }
    Ok(live)
}

/// Claims the chosen links' routes for the organization where nobody has them; who owns
/// each route now.
async fn claim_routes(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    org_id: i64,
    chosen: &[usize],
    batch: &[ImportedLink],
) -> Result<HashMap<DomainRoute, i64>, sqlx::Error> {
    let mut owners = HashMap::new();
    for chunk in chosen.chunks(LINKS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO route_owners (domain, route, org_id) VALUES {} \
             ON CONFLICT (domain, route) DO NOTHING",
            placeholders(backend, chunk.len(), 3)
        );
        let mut insert = sqlx::query::<Any>(&sql);
        for &i in chunk {
            let link = &batch[i].link;
            insert = insert.bind(&link.domain).bind(&link.route).bind(org_id);
        }
        insert.execute(&mut **tx).await?;
        let mut by_domain: HashMap<&String, Vec<&String>> = HashMap::new();
        for &i in chunk {
            let link = &batch[i].link;
            by_domain.entry(&link.domain).or_default().push(&link.route);
        }
        for (domain, routes) in by_domain {
            let sql = format!(
                "SELECT o.route, o.org_id FROM {} AS v JOIN route_owners o \
                 ON o.route = v.column1 WHERE o.domain = {}",
                rows_from(backend, 1, routes.len()),
                list_from(backend, routes.len() + 1, 1),
            );
            let mut select = sqlx::query_as::<_, (String, i64)>(&sql);
            for route in &routes {
                select = select.bind(route.as_str());
            }
            select = select.bind(domain.as_str());
            for (route, owner) in select.fetch_all(&mut **tx).await? {
                owners.insert((domain.clone(), route), owner);
            }
        }
    }
    Ok(owners)
}

/// Inserts the chosen links; their ids by route.
async fn insert_links(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    chosen: &[usize],
    batch: &[ImportedLink],
) -> Result<HashMap<DomainRoute, i64>, sqlx::Error> {
    let mut ids = HashMap::new();
    for chunk in chosen.chunks(LINKS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO links (org_id, domain, route, destination, consent, title, \
                                description, image, favicon, created_at, updated_at, \
                                created_by, expires_at, expired_destination, disabled, \
                                max_clicks, password_hash, rules, variants, password_preview, \
                                search_text) VALUES {} RETURNING id, domain, route",
            placeholders(backend, chunk.len(), 21)
        );
        let mut query = sqlx::query_as::<_, (i64, String, String)>(&sql);
        for &i in chunk {
            let (link, created_at) = (&batch[i].link, batch[i].created_at);
            query = query
                .bind(link.org_id)
                .bind(&link.domain)
                .bind(&link.route)
                .bind(&link.destination)
                .bind(link.consent)
                .bind(&link.title)
                .bind(&link.description)
                .bind(&link.image)
                .bind(&link.favicon)
                .bind(created_at)
                .bind(created_at)
                .bind(link.created_by)
                .bind(link.expires_at)
                .bind(&link.expired_destination)
                .bind(link.disabled)
                .bind(link.max_clicks)
                .bind(&link.password_hash)
                .bind(&link.rules)
                .bind(&link.variants)
                .bind(link.password_preview)
                .bind(search_text(
                    &link.route,
                    &link.destination,
                    link.title.as_deref(),
                    link.description.as_deref(),
                ));
        }
        for (id, domain, route) in query.fetch_all(&mut **tx).await? {
            ids.insert((domain, route), id);
        }
    }
    Ok(ids)
}

/// Gives new links their tags, creating the organization's new tags (each in the first
/// spelling met).
async fn tag_links(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    org_id: i64,
    tagged: &[(i64, &String)],
) -> Result<(), sqlx::Error> {
    if tagged.is_empty() {
        return Ok(());
    }
    let mut names: HashMap<String, &String> = HashMap::new();
    for (_, name) in tagged {
        names.entry(tag_key(name)).or_insert(name);
    }
    let names: Vec<(String, &String)> = names.into_iter().collect();
    let mut ids: HashMap<String, i64> = HashMap::new();
    for chunk in names.chunks(LINKS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO tags (org_id, name, name_key) VALUES {} \
             ON CONFLICT (org_id, name_key) DO NOTHING",
            placeholders(backend, chunk.len(), 3)
        );
        let mut insert = sqlx::query::<Any>(&sql);
        for (key, name) in chunk {
            insert = insert.bind(org_id).bind(name.as_str()).bind(key.as_str());
        }
        insert.execute(&mut **tx).await?;
        let sql = format!(
            "SELECT name_key, id FROM tags WHERE org_id = {} AND name_key IN {}",
            placeholders(backend, 1, 1),
            list_from(backend, 2, chunk.len())
        );
        let mut select = sqlx::query_as::<_, (String, i64)>(&sql).bind(org_id);
        for (key, _) in chunk {
            select = select.bind(key.as_str());
        }
        ids.extend(select.fetch_all(&mut **tx).await?);
    }
    let mut pairs: Vec<(i64, i64)> = tagged
        .iter()
        .filter_map(|(link_id, name)| Some((*link_id, *ids.get(&tag_key(name))?)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    for chunk in pairs.chunks(LINKS_PER_INSERT * 4) {
        let sql = format!(
            "INSERT INTO link_tags (link_id, tag_id) VALUES {} ON CONFLICT DO NOTHING",
            placeholders(backend, chunk.len(), 2)
        );
        let mut insert = sqlx::query::<Any>(&sql);
        for (link_id, tag_id) in chunk {
            insert = insert.bind(*link_id).bind(*tag_id);
        }
        insert.execute(&mut **tx).await?;
    }
    Ok(())
}

/// `(VALUES (?), (?), ...)`: `n` parameters as rows of one column, `column1`, numbered
/// from `first` (Postgres).
fn rows_from(backend: Backend, first: usize, n: usize) -> String {
    let rows: Vec<String> = (first..first + n)
        .map(|i| match backend {
            Backend::Sqlite => "(?)".to_owned(),
            Backend::Postgres => format!("(${i})"),
        })
        .collect();
    format!("(VALUES {})", rows.join(", "))
}

/// `(?, ?, ...)` or `($first, ...)`: a list of `n` parameters.
fn list_from(backend: Backend, first: usize, n: usize) -> String {
    let items: Vec<String> = (first..first + n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${i}"),
        })
        .collect();
    format!("({})", items.join(", "))
}
