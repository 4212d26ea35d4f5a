//! Dashboard sessions, stored by the SHA-256 digest of their id only.

use super::{DbBool, Role, Store};

/// A live session with what every dashboard page needs about its person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub org_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub email: String,
    #[sqlx(try_from = "DbBool")]
    pub must_change_password: bool,
    /// The role in the session's organization; `None` once the membership is gone.
    pub role: Option<String>,
}

impl SessionRow {
    pub fn role(&self) -> Option<Role> {
        self.role.as_deref().and_then(|r| r.parse().ok())
    }
}

impl Store {
    pub async fn insert_session(
        &self,
        digest: &[u8],
        user_id: i64,
        org_id: i64,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions (digest, user_id, org_id, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(digest.to_vec())
        .bind(user_id)
        .bind(org_id)
        .bind(now)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }

    pub async fn find_session(&self, digest: &[u8]) -> Result<Option<SessionRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT s.user_id, s.org_id, s.created_at, s.last_seen_at, u.email, \
                    u.must_change_password, m.role \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id \
             WHERE s.digest = $1",
        )
        .bind(digest.to_vec())
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn touch_session(&self, digest: &[u8], now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE digest = $1")
            .bind(digest.to_vec())
            .bind(now)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn set_session_org(&self, digest: &[u8], org_id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE sessions SET org_id = $2 WHERE digest = $1")
            .bind(digest.to_vec())
            .bind(org_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn delete_session(&self, digest: &[u8]) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1")
            .bind(digest.to_vec())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Ends every session of a user but `keep` (after a password change: elsewhere too).
    pub async fn delete_user_sessions(
        &self,
        user_id: i64,
        keep: Option<&[u8]>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND digest <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or_default().to_vec())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Deletes sessions idle since `idle_before` or created before `created_before`.
    pub async fn delete_expired_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<u64, sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
    }
}
