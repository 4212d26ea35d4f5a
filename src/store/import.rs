//! Writing imported links with their clicks: a batch in one transaction, so a failure
//! leaves either the whole batch or none of it, and running the import again skips what
//! is there. A link whose route is taken is skipped, never overwritten.

use super::{
    Store,
    clicks::write_clicks_in,
    links::{claim_route, insert_link_row},
    tags::set_link_tags,
    transaction::in_transaction,
};
use crate::{store::ClickRow, store::NewLink, timestamp::Millis};

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
    /// A live link has its route on its domain already.
    Exists,
    /// Another organization used the route on that domain first.
    RouteOfAnother,
}

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

    /// Creates the links of a batch that are not there yet, with their tags and clicks, in
    /// one transaction; what became of each, in order.
    pub async fn import_links(&self, batch: &[ImportedLink]) -> Result<Vec<Imported>, sqlx::Error> {
        let backend = self.backend;
        in_transaction(&self.pool, async |tx| {
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut clicks: Vec<ClickRow> = Vec::new();
            let mut limited: Vec<i64> = Vec::new();
            for item in batch {
                let link = &item.link;
                let live: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM links WHERE domain = $1 AND route = $2 AND deleted_at IS NULL",
                )
                .bind(&link.domain)
                .bind(&link.route)
                .fetch_optional(&mut **tx)
                .await?;
                if live.is_some() {
                    outcomes.push(Imported::Exists);
                    continue;
                }
                if !claim_route(tx, link.org_id, &link.domain, &link.route).await? {
                    outcomes.push(Imported::RouteOfAnother);
                    continue;
                }
                let created = insert_link_row(tx, link, item.created_at).await?;
                set_link_tags(tx, link.org_id, created.id, &link.tags).await?;
                if link.max_clicks.is_some() {
                    limited.push(created.id);
                }
                clicks.extend(item.clicks.iter().map(|click| ClickRow {
                    link_id: created.id,
                    org_id: link.org_id,
                    ..click.clone()
                }));
                outcomes.push(Imported::Created(item.clicks.len()));
            }
            write_clicks_in(tx, backend, &clicks).await?;
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
