//! Short links. A deleted link is kept (with `deleted_at` set) so its clicks stay in the
//! analytics history; only live links hold a route, enforced by a partial unique index.
//! A route also belongs for ever to the first organization that used it on its domain
//! (`route_owners`): taking a route claims it in the same transaction. Each link's
//! `search_text` (what `q=` searches) and tags are written in the transaction of the link.

use std::sync::LazyLock;

use sqlx::{Any, Transaction};

use super::{
    Backend, OnUnique, Store,
    sql::{Param, Sql},
    tags::set_link_tags,
    transaction::in_transaction,
};
use crate::links::{
    ShortLink,
    search::{LinkFilter, TRIGRAM, fts_phrase, like_pattern, search_text},
};

/// Why a link could not take its route.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// A live link holds the route on its domain.
    #[error("route taken by a live link")]
    Taken,
    /// Another organization used the route on this domain before: it stays theirs.
    #[error("route used by another organization before")]
    Retired,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Claims `domain`/`route` for `org_id` unless another organization has it.
pub(super) async fn claim_route(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    domain: &str,
    route: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "INSERT INTO route_owners (domain, route, org_id) VALUES ($1, $2, $3) \
         ON CONFLICT (domain, route) DO NOTHING",
    )
    .bind(domain)
    .bind(route)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    let owner: i64 =
        sqlx::query_scalar("SELECT org_id FROM route_owners WHERE domain = $1 AND route = $2")
            .bind(domain)
            .bind(route)
            .fetch_one(&mut **tx)
            .await?;
    Ok(owner == org_id)
}

/// SQLite: a word found in fewer links than this is looked up in the trigram index;
/// a broader one is checked on every row (cheaper then).
const FEW_MATCHES: i64 = 10_000;

/// Whether the statements of a link search are kept prepared: no. Postgres plans a kept
/// statement once for any words after a few runs, and that generic plan cannot tell a
/// word every link holds from a rare one: it reads the trigram index for the common word
/// and rechecks each row (59 ms for `q=product 7 offer` over 100,000 links) where, seeing
/// the words, it scans the table (28 ms). Planning each search costs well under 1 ms.
const KEEP_SEARCHES_PREPARED: bool = false;

/// A link with its tags (names, one per line, in key order) and its click counter:
/// `updated_at` is the later of the link's own last change and its last click. The tags'
/// aggregate is spelled differently by the two databases.
fn link_select(backend: Backend) -> &'static str {
    fn with_tags(aggregate: &str) -> String {
        select_links(&format!(
            "(SELECT {aggregate} FROM link_tags lt JOIN tags t ON t.id = lt.tag_id \
              WHERE lt.link_id = l.id)"
        ))
    }
    static POSTGRES: LazyLock<String> =
        LazyLock::new(|| with_tags("string_agg(t.name, chr(10) ORDER BY t.name_key)"));
    static SQLITE: LazyLock<String> =
        LazyLock::new(|| with_tags("group_concat(t.name, char(10) ORDER BY t.name_key)"));
    match backend {
        Backend::Postgres => &POSTGRES,
        Backend::Sqlite => &SQLITE,
    }
}

/// A link as a visit needs it: without its tags (a redirect never shows them, and a
/// cache miss should not read them).
fn link_select_for_visits() -> &'static str {
    static SELECT: LazyLock<String> = LazyLock::new(|| select_links("CAST(NULL AS TEXT)"));
    &SELECT
}

/// The link columns, with `tags` from the expression given.
fn select_links(tags: &str) -> String {
    format!(
        "SELECT l.id, l.org_id, l.domain, l.route, l.destination, l.consent, \
           l.title, l.description, l.image, l.favicon, l.created_by, l.expires_at, \
           l.expired_destination, l.disabled, l.max_clicks, l.password_hash, l.rules, \
           l.variants, l.password_preview, {tags} AS tags, \
           COALESCE(c.clicks, 0) AS clicks, \
           l.created_at, \
           CASE WHEN c.last_click_at > l.updated_at THEN c.last_click_at \
                ELSE l.updated_at END AS updated_at \
         FROM links l LEFT JOIN link_counters c ON c.link_id = l.id"
    )
}

/// A link about to be created.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub org_id: i64,
    /// The user who creates it.
    pub created_by: i64,
    pub domain: String,
    pub route: String,
    pub destination: String,
    pub consent: bool,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub favicon: Option<String>,
    pub expires_at: Option<i64>,
    pub expired_destination: Option<String>,
    pub disabled: bool,
    pub max_clicks: Option<i64>,
    pub password_hash: Option<String>,
    /// Targeting rules and variants as JSON.
    pub rules: Option<String>,
    pub variants: Option<String>,
    pub password_preview: bool,
    pub tags: Vec<String>,
}

/// A partial update: `None` leaves a field as it is; for nullable fields `Some(None)`
/// clears it.
#[derive(Debug, Clone, Default)]
pub struct LinkChanges {
    pub route: Option<String>,
    pub destination: Option<String>,
    pub consent: Option<bool>,
    pub title: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub image: Option<Option<String>>,
    pub favicon: Option<Option<String>>,
    pub expires_at: Option<Option<i64>>,
    pub expired_destination: Option<Option<String>>,
    pub disabled: Option<bool>,
    pub max_clicks: Option<Option<i64>>,
    pub password_hash: Option<Option<String>>,
    pub rules: Option<Option<String>>,
    pub variants: Option<Option<String>>,
    pub password_preview: Option<bool>,
    /// The link's tags, all of them.
    pub tags: Option<Vec<String>>,
}

impl LinkChanges {
    /// Whether a field that `q=` searches changes.
    fn changes_search_text(&self) -> bool {
        self.route.is_some()
            || self.destination.is_some()
            || self.title.is_some()
            || self.description.is_some()
    }
}

impl Store {
    /// Inserts a link with its tags, claiming its route.
    pub async fn insert_link(&self, link: &NewLink, now: i64) -> Result<ShortLink, RouteError> {
        let inserted = in_transaction(&self.pool, async |tx| {
            if !claim_route(tx, link.org_id, &link.domain, &link.route).await? {
                return Ok(None);
            }
            let mut created = insert_link_row(tx, link, now).await?;
            let tags = set_link_tags(tx, link.org_id, created.id, &link.tags).await?;
            created.tags_text = (!tags.is_empty()).then(|| tags.join("\n"));
            Ok(Some(created))
        })
        .await
        .on_unique(|| RouteError::Taken)?;
        inserted.ok_or(RouteError::Retired)
    }

    /// A link by id, deleted or not.
    async fn link_by_id(&self, link_id: i64) -> Result<Option<ShortLink>, sqlx::Error> {
        let sql = format!("{} WHERE l.id = $1", link_select(self.backend));
        sqlx::query_as(&sql)
            .bind(link_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// The organization's live link at `domain`/`route`.
    pub async fn find_link(
        &self,
        org_id: i64,
        domain: &str,
        route: &str,
    ) -> Result<Option<ShortLink>, sqlx::Error> {
        let sql = format!(
            "{} WHERE l.org_id = $1 AND l.domain = $2 AND l.route = $3 AND l.deleted_at IS NULL",
            link_select(self.backend)
        );
        sqlx::query_as(&sql)
            .bind(org_id)
            .bind(domain)
            .bind(route)
            .fetch_optional(&self.pool)
            .await
    }

    /// The organization's live links with this route, on any domain.
    pub async fn find_links_by_route(
        &self,
        org_id: i64,
        route: &str,
    ) -> Result<Vec<ShortLink>, sqlx::Error> {
        let sql = format!(
            "{} WHERE l.org_id = $1 AND l.route = $2 AND l.deleted_at IS NULL ORDER BY l.domain",
            link_select(self.backend)
        );
        sqlx::query_as(&sql)
            .bind(org_id)
            .bind(route)
            .fetch_all(&self.pool)
            .await
    }

    /// A page of the organization's live links that `filter` selects, newest first. The
    /// page's ids are found first, so the link columns (tags included) are read for those
    /// rows only, not for every match.
    pub async fn list_links(
        &self,
        org_id: i64,
        filter: &LinkFilter,
        take: i64,
        skip: i64,
    ) -> Result<Vec<ShortLink>, sqlx::Error> {
        let mut sql = Sql::new(&format!(
            "{} WHERE l.id IN (SELECT l.id FROM links l",
            link_select(self.backend)
        ));
        if !self.push_matching(&mut sql, org_id, filter).await? {
            return Ok(Vec::new());
        }
        sql.push(" ORDER BY l.created_at DESC, l.id DESC LIMIT ")
            .param(Param::Int(take))
            .push(" OFFSET ")
            .param(Param::Int(skip))
            .push(") ORDER BY l.created_at DESC, l.id DESC");
        sql.query_as()
            .persistent(KEEP_SEARCHES_PREPARED)
            .fetch_all(&self.pool)
            .await
    }

    /// How many of the organization's live links `filter` selects.
    pub async fn count_links(&self, org_id: i64, filter: &LinkFilter) -> Result<i64, sqlx::Error> {
        let mut sql = Sql::new("SELECT COUNT(*) FROM links l");
        if !self.push_matching(&mut sql, org_id, filter).await? {
            return Ok(0);
        }
        let (count,): (i64,) = sql
            .query_as()
            .persistent(KEEP_SEARCHES_PREPARED)
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    /// Appends the conditions of `filter` on `links l`; `false` when a tag it asks for
    /// does not exist (no link can match).
    async fn push_matching(
        &self,
        sql: &mut Sql,
        org_id: i64,
        filter: &LinkFilter,
    ) -> Result<bool, sqlx::Error> {
        let tag_ids = self.tag_ids(org_id, &filter.tags).await?;
        sql.push(" WHERE l.org_id = ")
            .param(Param::Int(org_id))
            .push(" AND l.deleted_at IS NULL");
        for tag_id in tag_ids {
            let Some(tag_id) = tag_id else {
                return Ok(false);
            };
            sql.push(" AND l.id IN (SELECT link_id FROM link_tags WHERE tag_id = ")
                .param(Param::Int(tag_id))
                .push(")");
        }
        if !filter.words.is_empty() {
            match self.backend {
                Backend::Postgres => {
                    for word in &filter.words {
                        if word.chars().count() >= TRIGRAM {
                            sql.push(" AND l.search_text LIKE ")
                                .param(Param::Text(like_pattern(word)));
                        } else {
                            // Too short for the trigram index: as a LIKE, it would make
                            // the planner read the whole index for nothing.
                            sql.push(" AND strpos(l.search_text, ")
                                .param(Param::Text(word.clone()))
                                .push(") > 0");
                        }
                    }
                }
                Backend::Sqlite => {
                    // The FTS5 trigram index answers a selective word fast, but joining a
                    // broad word's matches back costs more than reading every row (0.5 µs
                    // a match against 0.36 µs a row): so the longest word (the likeliest
                    // to be selective) goes to the index when a quick look says it matches
                    // few links; every other word is checked on the rows.
                    let longest = filter
                        .words
                        .iter()
                        .filter(|w| w.chars().count() >= TRIGRAM)
                        .max_by_key(|w| w.chars().count());
                    let indexed = match longest {
                        Some(word) if self.matches_few(word).await? => Some(word),
                        _ => None,
                    };
                    if let Some(word) = indexed {
                        sql.push(
                            " AND l.id IN (SELECT rowid FROM links_search \
                             WHERE links_search MATCH ",
                        )
                        .param(Param::Text(fts_phrase(word)))
                        .push(")");
                    }
                    for word in filter.words.iter().filter(|w| Some(*w) != indexed) {
                        sql.push(" AND instr(l.search_text, ")
                            .param(Param::Text(word.clone()))
                            .push(") > 0");
                    }
                }
            }
        }
        Ok(true)
    }

    /// Every live link of an organization, oldest first, as a stream (exports).
    pub fn org_links(
        &self,
        org_id: i64,
    ) -> futures_util::stream::BoxStream<'_, Result<ShortLink, sqlx::Error>> {
        fn select(backend: Backend) -> String {
            format!(
                "{} WHERE l.org_id = $1 AND l.deleted_at IS NULL ORDER BY l.id",
                link_select(backend)
            )
        }
        static POSTGRES: LazyLock<String> = LazyLock::new(|| select(Backend::Postgres));
        static SQLITE: LazyLock<String> = LazyLock::new(|| select(Backend::Sqlite));
        let sql: &'static str = match self.backend {
            Backend::Postgres => &POSTGRES,
            Backend::Sqlite => &SQLITE,
        };
        // The main pool: an export reads the clicks on the analytics one at the same time.
        sqlx::query_as(sql).bind(org_id).fetch(&self.pool)
    }

    /// SQLite: whether fewer than [`FEW_MATCHES`] links (of any organization) contain
    /// `word`, by the trigram index (it stops counting there).
    async fn matches_few(&self, word: &str) -> Result<bool, sqlx::Error> {
        let (found,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM (SELECT rowid FROM links_search WHERE links_search MATCH $1 \
             LIMIT $2) AS m",
        )
        .bind(fts_phrase(word))
        .bind(FEW_MATCHES)
        .fetch_one(&self.pool)
        .await?;
        Ok(found < FEW_MATCHES)
    }

    /// Fills `search_text` for links written before it existed (migration 0013), a batch
    /// at a time; how many were filled.
    pub async fn fill_search_text(&self) -> Result<usize, sqlx::Error> {
        let mut filled = 0;
        loop {
            let batch: Vec<SearchedFields> = sqlx::query_as(
                "SELECT id, route, destination, title, description FROM links \
                     WHERE search_text IS NULL LIMIT 1000",
            )
            .fetch_all(&self.pool)
            .await?;
            if batch.is_empty() {
                return Ok(filled);
            }
            filled += batch.len();
            in_transaction(&self.pool, async |tx| {
                for (id, route, destination, title, description) in &batch {
                    let text =
                        search_text(route, destination, title.as_deref(), description.as_deref());
                    write_search_text(tx, *id, &text).await?;
                }
                Ok(())
            })
            .await?;
        }
    }

    /// The organization's live link with this internal id.
    pub async fn find_link_by_id(
        &self,
        org_id: i64,
        link_id: i64,
    ) -> Result<Option<ShortLink>, sqlx::Error> {
        let sql = format!(
            "{} WHERE l.org_id = $1 AND l.id = $2 AND l.deleted_at IS NULL",
            link_select(self.backend)
        );
        sqlx::query_as(&sql)
            .bind(org_id)
            .bind(link_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Applies `changes` in one statement, so concurrent updates of different fields never
    /// overwrite each other. `None` if the link is gone.
    pub async fn update_link(
        &self,
        link: &ShortLink,
        changes: &LinkChanges,
        now: i64,
    ) -> Result<Option<ShortLink>, RouteError> {
        let updated = in_transaction(&self.pool, async |tx| {
            if let Some(route) = &changes.route
                && !claim_route(tx, link.org_id, &link.domain, route).await?
            {
                return Ok(Err(RouteError::Retired));
            }
            let Some(link_id) = update_link_row(tx, link.id, changes, now).await? else {
                return Ok(Ok(None));
            };
            if changes.changes_search_text() {
                refresh_search_text(tx, link_id).await?;
            }
            if let Some(tags) = &changes.tags {
                set_link_tags(tx, link.org_id, link_id, tags).await?;
            }
            Ok(Ok(Some(link_id)))
        })
        .await
        .on_unique(|| RouteError::Taken)??;
        match updated {
            Some(id) => Ok(self.link_by_id(id).await?),
            None => Ok(None),
        }
    }

    /// Lets one person's visit through a link's visit limit, if a visit is left: one atomic
    /// statement, so the limit is exact however many instances share the database. A link
    /// whose limit was just removed lets everyone through.
    pub async fn take_limited_visit(&self, link_id: i64) -> Result<bool, sqlx::Error> {
        let taken: Option<i64> = sqlx::query_scalar(
            "UPDATE links SET limited_visits = limited_visits + \
               CASE WHEN max_clicks IS NULL THEN 0 ELSE 1 END \
             WHERE id = $1 AND (max_clicks IS NULL OR limited_visits < max_clicks) \
             RETURNING id",
        )
        .bind(link_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(taken.is_some())
    }

    /// Gives back a visit taken for a visitor who was not answered after all.
    pub async fn give_back_limited_visit(&self, link_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE links SET limited_visits = limited_visits - 1 \
             WHERE id = $1 AND limited_visits > 0",
        )
        .bind(link_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether a link still has visits left (for bots, which look without taking one).
    pub async fn has_limited_visits_left(&self, link_id: i64) -> Result<bool, sqlx::Error> {
        let left: Option<i64> = sqlx::query_scalar(
            "SELECT CASE WHEN max_clicks IS NULL OR limited_visits < max_clicks \
               THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END \
             FROM links WHERE id = $1",
        )
        .bind(link_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(left == Some(1))
    }

    /// Marks a live link deleted and returns it; `None` if it is already gone.
    pub async fn delete_link(
        &self,
        link_id: i64,
        now: i64,
    ) -> Result<Option<ShortLink>, sqlx::Error> {
        let deleted: Option<i64> = sqlx::query_scalar(
            "UPDATE links SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING id",
        )
        .bind(link_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match deleted {
            Some(id) => self.link_by_id(id).await,
            None => Ok(None),
        }
    }

    /// The live link at `domain`/`route`, of any organization: what a visit resolves to
    /// (without its tags).
    pub async fn resolve_link(
        &self,
        domain: &str,
        route: &str,
    ) -> Result<Option<ShortLink>, sqlx::Error> {
        let sql = format!(
            "{} WHERE l.domain = $1 AND l.route = $2 AND l.deleted_at IS NULL",
            link_select_for_visits()
        );
        sqlx::query_as(&sql)
            .bind(domain)
            .bind(route)
            .fetch_optional(&self.pool)
            .await
    }

    /// The most recently created live links, of every organization (to warm the cache).
    pub async fn recent_links(&self, limit: i64) -> Result<Vec<ShortLink>, sqlx::Error> {
        let sql = format!(
            "{} WHERE l.deleted_at IS NULL ORDER BY l.id DESC LIMIT $1",
            link_select_for_visits()
        );
        sqlx::query_as(&sql).bind(limit).fetch_all(&self.pool).await
    }
}

/// A link's id, route, destination, title and description: what its `search_text` is made
/// of.
type SearchedFields = (i64, String, String, Option<String>, Option<String>);

/// Recomputes a link's `search_text` from the fields as they are now in this transaction.
async fn refresh_search_text(
    tx: &mut Transaction<'_, Any>,
    link_id: i64,
) -> Result<(), sqlx::Error> {
    let (route, destination, title, description): (String, String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT route, destination, title, description FROM links WHERE id = $1")
            .bind(link_id)
            .fetch_one(&mut **tx)
            .await?;
    let text = search_text(
        &route,
        &destination,
        title.as_deref(),
        description.as_deref(),
    );
    write_search_text(tx, link_id, &text).await
}

async fn write_search_text(
    tx: &mut Transaction<'_, Any>,
    link_id: i64,
    text: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE links SET search_text = $2 WHERE id = $1")
        .bind(link_id)
        .bind(text)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The link row itself.
pub(super) async fn insert_link_row(
    tx: &mut Transaction<'_, Any>,
    link: &NewLink,
    now: i64,
) -> Result<ShortLink, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO links (org_id, domain, route, destination, consent, title, description, \
                                image, favicon, created_at, updated_at, created_by, \
                                expires_at, expired_destination, disabled, max_clicks, \
                                password_hash, rules, variants, password_preview, search_text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18, $19, $20) \
             RETURNING id, org_id, domain, route, destination, consent, title, description, \
                       image, favicon, created_by, expires_at, expired_destination, disabled, \
                       max_clicks, password_hash, rules, variants, password_preview, \
                       CAST(NULL AS TEXT) AS tags, CAST(0 AS BIGINT) AS clicks, \
                       created_at, updated_at",
    )
    .bind(link.org_id)
    .bind(&link.domain)
    .bind(&link.route)
    .bind(&link.destination)
    .bind(link.consent)
    .bind(&link.title)
    .bind(&link.description)
    .bind(&link.image)
    .bind(&link.favicon)
    .bind(now)
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
    ))
    .fetch_one(&mut **tx)
    .await
}

/// The partial update itself; the link's id if it is still live.
async fn update_link_row(
    tx: &mut Transaction<'_, Any>,
    link_id: i64,
    changes: &LinkChanges,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let nullable = |field: &Option<Option<String>>| (field.is_some(), field.clone().flatten());
    let (set_title, title) = nullable(&changes.title);
    let (set_description, description) = nullable(&changes.description);
    let (set_image, image) = nullable(&changes.image);
    let (set_favicon, favicon) = nullable(&changes.favicon);
    let (set_expired_destination, expired_destination) = nullable(&changes.expired_destination);
    let (set_expires_at, expires_at) = (changes.expires_at.is_some(), changes.expires_at.flatten());
    sqlx::query_scalar(
        "UPDATE links SET \
           route = COALESCE($2, route), \
           destination = COALESCE($3, destination), \
           consent = COALESCE($4, consent), \
           title = CASE WHEN $5 THEN $6 ELSE title END, \
           description = CASE WHEN $7 THEN $8 ELSE description END, \
           image = CASE WHEN $9 THEN $10 ELSE image END, \
           favicon = CASE WHEN $11 THEN $12 ELSE favicon END, \
           updated_at = $13, \
           expires_at = CASE WHEN $14 THEN $15 ELSE expires_at END, \
           expired_destination = CASE WHEN $16 THEN $17 ELSE expired_destination END, \
           disabled = COALESCE($18, disabled), \
           limited_visits = CASE WHEN $19 AND max_clicks IS NULL \
             THEN COALESCE((SELECT clicks FROM link_counters WHERE link_id = links.id), 0) \
             ELSE limited_visits END, \
           max_clicks = CASE WHEN $19 THEN $20 ELSE max_clicks END, \
           password_hash = CASE WHEN $21 THEN $22 ELSE password_hash END, \
           rules = CASE WHEN $23 THEN $24 ELSE rules END, \
           variants = CASE WHEN $25 THEN $26 ELSE variants END, \
           password_preview = COALESCE($27, password_preview) \
         WHERE id = $1 AND deleted_at IS NULL RETURNING id",
    )
    .bind(link_id)
    .bind(&changes.route)
    .bind(&changes.destination)
    .bind(changes.consent)
    .bind(set_title)
    .bind(title)
    .bind(set_description)
    .bind(description)
    .bind(set_image)
    .bind(image)
    .bind(set_favicon)
    .bind(favicon)
    .bind(now)
    .bind(set_expires_at)
    .bind(expires_at)
    .bind(set_expired_destination)
    .bind(expired_destination)
    .bind(changes.disabled)
    .bind(changes.max_clicks.is_some())
    .bind(changes.max_clicks.flatten())
    .bind(changes.password_hash.is_some())
    .bind(changes.password_hash.clone().flatten())
    .bind(changes.rules.is_some())
    .bind(changes.rules.clone().flatten())
    .bind(changes.variants.is_some())
    .bind(changes.variants.clone().flatten())
    .bind(changes.password_preview)
    .fetch_optional(&mut **tx)
    .await
}
