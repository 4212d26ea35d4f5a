//! API tokens: stored as a SHA-256 digest plus a non-secret display prefix.

use super::Store;

/// What authenticating a request needs to know about its token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenAuth {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    /// The user's role in the organization (memberships).
    #[sqlx(try_from = "String")]
    pub role: super::Role,
    pub daily_limit: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// One row of `openpxl token list`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenSummary {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub display_prefix: String,
    pub email: String,
    pub daily_limit: Option<i64>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub used_today: i64,
}

/// A token about to be stored.
#[derive(Debug)]
pub struct NewTokenRow<'a> {
    pub org_id: i64,
    pub user_id: i64,
    pub name: &'a str,
    pub display_prefix: &'a str,
    pub digest: &'a [u8],
    pub daily_limit: Option<i64>,
    pub expires_at: Option<i64>,
}

impl Store {
    pub async fn insert_token(
        &self,
        token: &NewTokenRow<'_>,
        now: i64,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "INSERT INTO api_tokens \
               (org_id, user_id, name, display_prefix, digest, daily_limit, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(token.org_id)
        .bind(token.user_id)
        .bind(token.name)
        .bind(token.display_prefix)
        .bind(token.digest.to_vec())
        .bind(token.daily_limit)
        .bind(now)
        .bind(token.expires_at)
        .fetch_one(&self.pool)
        .await
    }

    /// The token with this digest, by the unique index.
    pub async fn find_token_by_digest(
        &self,
        digest: &[u8],
    ) -> Result<Option<TokenAuth>, sqlx::Error> {
        sqlx::query_as(
            "SELECT t.id, t.org_id, t.user_id, m.role, t.daily_limit, t.expires_at, \
                    t.revoked_at, t.last_used_at \
             FROM api_tokens t \
             JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id \
             WHERE t.digest = $1",
        )
        .bind(digest.to_vec())
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn touch_token(&self, token_id: i64, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(token_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Revokes a token that is not revoked yet; returns whether one was.
    pub async fn revoke_token(&self, token_id: i64, now: i64) -> Result<bool, sqlx::Error> {
        let result = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(token_id)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// The user a token of the organization belongs to, if the organization has it.
    pub async fn token_user(&self, org_id: i64, token_id: i64) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT user_id FROM api_tokens WHERE id = $1 AND org_id = $2")
            .bind(token_id)
            .bind(org_id)
            .fetch_optional(&self.pool)
            .await
    }

    pub async fn token_exists(&self, token_id: i64) -> Result<bool, sqlx::Error> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM api_tokens WHERE id = $1")
            .bind(token_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// Sets a token's expiry (used by operators and tests).
    pub async fn set_token_expiry(
        &self,
        token_id: i64,
        expires_at: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
            .bind(expires_at)
            .bind(token_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// An organization's tokens, newest first, with the requests counted on `day`.
    pub async fn list_tokens(
        &self,
        org_id: i64,
        day: i64,
    ) -> Result<Vec<TokenSummary>, sqlx::Error> {
        sqlx::query_as(
            "SELECT t.id, t.user_id, t.name, t.display_prefix, u.email, t.daily_limit, t.created_at, \
                    t.expires_at, t.revoked_at, t.last_used_at, COALESCE(q.count, 0) AS used_today \
             FROM api_tokens t \
             JOIN users u ON u.id = t.user_id \
             LEFT JOIN token_usage q ON q.token_id = t.id AND q.day = $2 \
             WHERE t.org_id = $1 \
             ORDER BY t.id DESC",
        )
        .bind(org_id)
        .bind(day)
        .fetch_all(&self.pool)
        .await
    }
}
