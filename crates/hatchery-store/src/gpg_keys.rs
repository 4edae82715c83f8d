//! Users' OpenPGP public keys: a primary row per key and a row per subkey (migration 0026).
//! The caller parses and judges a key (`hatchery_core::gpg`); the store keeps the rule
//! that spans rows: a fingerprint (of a primary key or a subkey) is registered once on the
//! site, enforced by a unique index, so two accounts adding one key at once cannot both
//! succeed.

use hatchery_core::gpg::{KeyUsage, ParsedGpgKey};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError, now_ms};

/// A registered OpenPGP key (a primary key, with its subkeys) or one of its subkeys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpgKey {
    pub id: i64,
    pub user_id: i64,
    /// The primary key's row, for a subkey.
    pub primary_id: Option<i64>,
    /// 16 upper-case hex digits.
    pub key_id: String,
    /// Upper-case hex.
    pub fingerprint: String,
    /// The key as kept, armored; empty for subkeys.
    pub public_key: String,
    /// Self-certified user ids, the primary one first; empty for subkeys.
    pub user_ids: Vec<String>,
    pub usage: KeyUsage,
    /// The key's own creation time (unix ms).
    pub key_created_at: i64,
    pub expires_at: Option<i64>,
    /// When it was added here.
    pub created_at: i64,
    /// A primary key's subkeys, oldest first; always empty for a subkey.
    pub subkeys: Vec<GpgKey>,
}

const COLS: &str = "id, user_id, primary_id, key_id, fingerprint, public_key, user_ids, can_sign,
    can_certify, can_encrypt_comms, can_encrypt_storage, key_created_at, expires_at, created_at";

fn gpg_key_at(row: &AnyRow) -> Result<GpgKey, StoreError> {
    let flag = |i: usize| -> Result<bool, sqlx::Error> { Ok(row.try_get::<i64, _>(i)? != 0) };
    let user_ids: String = row.try_get(6)?;
    Ok(GpgKey {
        id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        primary_id: row.try_get(2)?,
        key_id: row.try_get(3)?,
        fingerprint: row.try_get(4)?,
        public_key: row.try_get(5)?,
        user_ids: serde_json::from_str(&user_ids).map_err(|e| {
            StoreError::Database(sqlx::Error::Decode(
                format!("gpg_keys.user_ids: {e}").into(),
            ))
        })?,
        usage: KeyUsage {
            sign: flag(7)?,
            certify: flag(8)?,
            encrypt_comms: flag(9)?,
            encrypt_storage: flag(10)?,
        },
        key_created_at: row.try_get(11)?,
        expires_at: row.try_get(12)?,
        created_at: row.try_get(13)?,
        subkeys: Vec::new(),
    })
}

impl Store {
    /// Registers `key` (with its subkeys) to `user_id`. `Conflict(Key)` when its
    /// fingerprint or a subkey's is registered already, to any account; `NotFound` when
    /// `user_id` is no user.
    pub async fn add_gpg_key(
        &self,
        user_id: i64,
        key: &ParsedGpgKey,
    ) -> Result<GpgKey, StoreError> {
        let now = now_ms();
        let user_ids = serde_json::to_string(&key.user_ids)
            .map_err(|e| StoreError::Database(sqlx::Error::Encode(e.into())))?;
        let mut tx = self.write_tx().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO gpg_keys (user_id, key_id, fingerprint, public_key, user_ids, can_sign,
                 can_certify, can_encrypt_comms, can_encrypt_storage, key_created_at, expires_at,
                 created_at)
             SELECT a.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
               FROM accounts a WHERE a.id = $1 AND a.kind = 0
             RETURNING id",
        )
        .bind(user_id)
        .bind(key.key_id.clone())
        .bind(key.fingerprint.clone())
        .bind(key.armored.clone())
        .bind(user_ids)
        .bind(i64::from(key.usage.sign))
        .bind(i64::from(key.usage.certify))
        .bind(i64::from(key.usage.encrypt_comms))
        .bind(i64::from(key.usage.encrypt_storage))
        .bind(key.created_at)
        .bind(key.expires_at)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Err(StoreError::NotFound);
        };
        for sub in &key.subkeys {
            sqlx::query(
                "INSERT INTO gpg_keys (user_id, primary_id, key_id, fingerprint, can_sign,
                     can_certify, can_encrypt_comms, can_encrypt_storage, key_created_at,
                     expires_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(user_id)
            .bind(id)
            .bind(sub.key_id.clone())
            .bind(sub.fingerprint.clone())
            .bind(i64::from(sub.usage.sign))
            .bind(i64::from(sub.usage.certify))
            .bind(i64::from(sub.usage.encrypt_comms))
            .bind(i64::from(sub.usage.encrypt_storage))
            .bind(sub.created_at)
            .bind(sub.expires_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.gpg_key(id).await?.ok_or(StoreError::NotFound)
    }

    /// A user's keys with their subkeys, oldest first.
    pub async fn gpg_keys_of_user(&self, user_id: i64) -> Result<Vec<GpgKey>, StoreError> {
        self.gpg_keys_where("user_id = $1", user_id).await
    }

    /// One key (a primary key, with its subkeys) by id, whoever it belongs to. A subkey's
    /// id finds nothing.
    pub async fn gpg_key(&self, id: i64) -> Result<Option<GpgKey>, StoreError> {
        Ok(self.gpg_keys_where("id = $1", id).await?.pop())
    }

    /// The primary keys matching `cond` (over the primary rows, one bind), with their
    /// subkeys.
    async fn gpg_keys_where(&self, cond: &'static str, id: i64) -> Result<Vec<GpgKey>, StoreError> {
        let sql = format!(
            "SELECT {COLS} FROM gpg_keys
              WHERE primary_id IS NULL AND {cond}
                 OR primary_id IN (SELECT id FROM gpg_keys WHERE primary_id IS NULL AND {cond})
              ORDER BY id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        let mut keys: Vec<GpgKey> = Vec::new();
        for row in &rows {
            let key = gpg_key_at(row)?;
            match key.primary_id {
                None => keys.push(key),
                Some(p) => {
                    // Rows come by id and a subkey is inserted after its primary key.
                    if let Some(primary) = keys.iter_mut().find(|k| k.id == p) {
                        primary.subkeys.push(key);
                    }
                }
            }
        }
        Ok(keys)
    }

    /// Removes one of `user_id`'s keys with its subkeys; `NotFound` unless it exists and
    /// is theirs.
    pub async fn delete_gpg_key(&self, user_id: i64, key_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query(
            "DELETE FROM gpg_keys WHERE id = $1 AND user_id = $2 AND primary_id IS NULL",
        )
        .bind(key_id)
        .bind(user_id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
