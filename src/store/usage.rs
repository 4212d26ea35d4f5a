//! Per-token, per-UTC-day request counters: the daily quota, exact under concurrency.

use super::Store;

impl Store {
    /// Counts one request for `token_id` on `day` if fewer than `limit` were counted.
    /// Returns the new count, or `None` when the quota is used up.
    ///
    /// One statement, so the database decides: concurrent callers serialize on the
    /// counter row and the `WHERE` sees the latest count, on every instance.
    pub async fn take_quota(
        &self,
        token_id: i64,
        org_id: i64,
        day: i64,
        limit: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let counted = sqlx::query_scalar(
            "INSERT INTO token_usage (token_id, day, org_id, count) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (token_id, day) DO UPDATE SET count = token_usage.count + 1 \
             WHERE token_usage.count < $4 \
             RETURNING count",
        )
        .bind(token_id)
        .bind(day)
        .bind(org_id)
        .bind(limit)
        .fetch_optional(&self.pool)
        .await;
        self.note_write(&counted).await;
        counted
    }
}
