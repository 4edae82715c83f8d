//! Security keys and passkeys (WebAuthn credentials) registered as a second factor. The
//! credential itself is stored as webauthn-rs serializes it; the store only keeps it with
//! its owner, name and dates, and rewrites it after each use (counter, backup state).

use std::fmt;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, now_ms};

#[derive(Clone, PartialEq, Eq)]
pub struct SecurityKey {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The credential id, base64url without padding.
    pub credential_id: String,
    /// The credential as JSON (webauthn-rs `Passkey`).
    pub passkey: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl fmt::Debug for SecurityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityKey")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

const COLS: &str = "id, user_id, name, credential_id, passkey, created_at, last_used_at";

fn key_at(r: &AnyRow) -> Result<SecurityKey, sqlx::Error> {
    Ok(SecurityKey {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        name: r.try_get(2)?,
        credential_id: r.try_get(3)?,
        passkey: r.try_get(4)?,
        created_at: r.try_get(5)?,
        last_used_at: r.try_get(6)?,
    })
}

impl Store {
    /// Registers a key for `user_id` unless the account has `max` already (`Ok(None)`).
    /// `Conflict(Name)`: the account has a key of that name (any case); `Conflict(Key)`: the
    /// credential is registered already, to this or another account.
    pub async fn add_security_key(
        &self,
        user_id: i64,
        name: &str,
        credential_id: &str,
        passkey: &str,
        max: i64,
    ) -> Result<Option<SecurityKey>, StoreError> {
        let mut tx = self.write_tx().await?;
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webauthn_credentials WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
        if count >= max {
            return Ok(None);
        }
        let sql = format!(
            "INSERT INTO webauthn_credentials
                 (user_id, name, lower_name, credential_id, passkey, created_at, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, NULL)
             RETURNING {COLS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(name)
            .bind(name.to_lowercase())
            .bind(credential_id)
            .bind(passkey)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?;
        let key = key_at(&row)?;
        tx.commit().await?;
        Ok(Some(key))
    }

    /// The account's keys, oldest first.
    pub async fn security_keys(&self, user_id: i64) -> Result<Vec<SecurityKey>, StoreError> {
        let sql = format!(
            "SELECT {COLS} FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(key_at).collect::<Result<_, _>>()?)
    }

    pub async fn security_key_count(&self, user_id: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM webauthn_credentials WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// After a successful use: the credential as it is now (counter, backup state) and the
    /// time. Only while the stored credential is still `before`, so that of two uses at
    /// once with the same counter only one is recorded: `false` for the other.
    pub async fn record_security_key_use(
        &self,
        id: i64,
        before: &str,
        passkey: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webauthn_credentials SET passkey = $3, last_used_at = $4
             WHERE id = $1 AND passkey = $2",
        )
        .bind(id)
        .bind(before)
        .bind(passkey)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes one of the account's keys: false when it has no key `id`.
    pub async fn delete_security_key(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
