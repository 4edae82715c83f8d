//! Site-wide rows: sign-in throttling and settings. Both live in the database rather than in
//! memory so that several server instances behind one PostgreSQL agree.

use crate::{Store, StoreError};

impl Store {
    /// Records one failed sign-in for `key` and returns the failures in its current window.
    /// A window that started `window_ms` or more before `now_ms` restarts at 1. One upsert,
    /// so concurrent failures are all counted.
    pub async fn throttle_hit(
        &self,
        key: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<i64, StoreError> {
        // Both databases evaluate every SET expression against the row as it was, so the
        // two CASEs see the same old window_start.
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2)
             ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN login_throttle.window_start <= $2 - $3 THEN 1
                                 ELSE login_throttle.failures + 1 END,
                 window_start = CASE WHEN login_throttle.window_start <= $2 - $3 THEN $2
                                     ELSE login_throttle.window_start END
             RETURNING failures",
        )
        .bind(key)
        .bind(now_ms)
        .bind(window_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(failures)
    }

    /// Failures in the current window of `key`; 0 once the window has expired.
    pub async fn throttle_count(
        &self,
        key: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<i64, StoreError> {
        let failures: Option<i64> = sqlx::query_scalar(
            "SELECT failures FROM login_throttle WHERE key = $1 AND window_start > $2 - $3",
        )
        .bind(key)
        .bind(now_ms)
        .bind(window_ms)
        .fetch_optional(self.pool())
        .await?;
        Ok(failures.unwrap_or(0))
    }

    /// Forgets the failures of `key`, after a successful sign-in.
    pub async fn throttle_clear(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Drops rows whose window started before `before_ms`, so the table does not keep one
    /// row per address that ever mistyped a password.
    pub async fn throttle_prune(&self, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM login_throttle WHERE window_start < $1")
            .bind(before_ms)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Stores `value` unless `key` already has one, and returns whichever is stored. Two
    /// servers starting at once with different generated secrets both get the winner's.
    pub async fn setting_init(&self, key: &str, value: &str) -> Result<String, StoreError> {
        // The no-op update (rather than DO NOTHING) makes RETURNING yield the stored row in
        // the same statement, with no window between insert and read.
        Ok(sqlx::query_scalar(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = settings.value
             RETURNING value",
        )
        .bind(key)
        .bind(value)
        .fetch_one(self.pool())
        .await?)
    }

    /// Sets `key` to `value`, replacing any stored value.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
