//! Custom short domains, each owned by one organization.

use super::Store;

impl Store {
    /// Adds a domain; a host that any organization already has is a unique violation.
    pub async fn insert_domain(
        &self,
        org_id: i64,
        host: &str,
        now: i64,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO domains (org_id, host, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(org_id)
        .bind(host)
        .bind(now)
        .fetch_one(&self.pool)
        .await
    }

    /// The organization's own domains, by name.
    pub async fn org_domains(&self, org_id: i64) -> Result<Vec<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT host FROM domains WHERE org_id = $1 ORDER BY host")
            .bind(org_id)
            .fetch_all(&self.pool)
            .await
    }

    /// Removes an organization's domain; says whether it had it.
    pub async fn delete_domain(&self, org_id: i64, host: &str) -> Result<bool, sqlx::Error> {
        sqlx::query("DELETE FROM domains WHERE org_id = $1 AND host = $2")
            .bind(org_id)
            .bind(host)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() == 1)
    }

    /// How many live links are on a domain.
    pub async fn count_links_on(&self, host: &str) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM links WHERE domain = $1 AND deleted_at IS NULL")
            .bind(host)
            .fetch_one(&self.pool)
            .await
    }

    /// The organization that owns `host`, if any does.
    pub async fn domain_owner(&self, host: &str) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT org_id FROM domains WHERE host = $1")
            .bind(host)
            .fetch_optional(&self.pool)
            .await
    }
}
