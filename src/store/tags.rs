//! Tags: `tags` (per organization, identified by their lower-case key) and `link_tags`
//! (which links carry which). A tag is created the first time a link of its organization
//! uses it, in that spelling, and kept.

use sqlx::{Any, Transaction};

use super::Store;
use crate::links::tags::tag_key;

/// Gives a link exactly these tags (creating the organization's new ones), in the
/// transaction that writes the link. Returns the tags' names as stored, in key order.
pub(super) async fn set_link_tags(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    link_id: i64,
    names: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query("DELETE FROM link_tags WHERE link_id = $1")
        .bind(link_id)
        .execute(&mut **tx)
        .await?;
    let mut stored = Vec::with_capacity(names.len());
    for name in names {
        let key = tag_key(name);
        sqlx::query(
            "INSERT INTO tags (org_id, name, name_key) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id, name_key) DO NOTHING",
        )
        .bind(org_id)
        .bind(name)
        .bind(&key)
        .execute(&mut **tx)
        .await?;
        let (tag_id, name): (i64, String) =
            sqlx::query_as("SELECT id, name FROM tags WHERE org_id = $1 AND name_key = $2")
                .bind(org_id)
                .bind(&key)
                .fetch_one(&mut **tx)
                .await?;
        sqlx::query(
            "INSERT INTO link_tags (link_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(link_id)
        .bind(tag_id)
        .execute(&mut **tx)
        .await?;
        stored.push((key, name));
    }
    stored.sort();
    Ok(stored.into_iter().map(|(_, name)| name).collect())
}

impl Store {
    /// The ids of the organization's tags with these keys, in order; `None` for a key no
    /// tag has.
    pub async fn tag_ids(
        &self,
        org_id: i64,
        keys: &[String],
    ) -> Result<Vec<Option<i64>>, sqlx::Error> {
        let mut ids = Vec::with_capacity(keys.len());
        for key in keys {
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM tags WHERE org_id = $1 AND name_key = $2")
                    .bind(org_id)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// The organization's tags that live links carry, with how many, by name.
    pub async fn tags_in_use(&self, org_id: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT t.name, COUNT(*) FROM tags t \
             JOIN link_tags lt ON lt.tag_id = t.id \
             JOIN links l ON l.id = lt.link_id AND l.deleted_at IS NULL \
             WHERE t.org_id = $1 GROUP BY t.id, t.name, t.name_key ORDER BY t.name_key",
        )
        .bind(org_id)
        .fetch_all(&self.pool)
        .await
    }
}
