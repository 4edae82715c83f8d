//! Sessions for tower-sessions, kept in the `sessions` table so that every server instance
//! sees every session and signing out ends a session everywhere. (The published sqlx session
//! stores are built for older sqlx and tower-sessions.)
//!
//! Each row also records the signed-in account ([`SESSION_USER`] in the data), so that
//! an account's sessions can be ended together ([`Store::end_sessions`]). Ended sessions
//! stay ended: only [`SessionStore::create`] inserts rows, and [`SessionStore::save`]
//! updates a row that still exists, so a request still running on a session that was ended
//! meanwhile cannot write it back.

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use crate::{Store, StoreError, now_ms};

/// How many fresh ids [`SessionStore::create`] tries before giving up. Ids are 128 random
/// bits, so a second attempt already means something is wrong with the generator.
const CREATE_ATTEMPTS: usize = 8;

/// The session data key holding the signed-in account's id.
pub const SESSION_USER: &str = "uid";

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Store,
}

impl Store {
    pub fn session_store(&self) -> DbSessionStore {
        DbSessionStore {
            store: self.clone(),
        }
    }

    /// Ends every session of `user_id` except the one with id `keep` (none kept when
    /// `None`). Returns how many were ended.
    pub async fn end_sessions(&self, user_id: i64, keep: Option<&str>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// How many live sessions `user_id` has.
    pub async fn count_sessions(&self, user_id: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND expiry > $2")
                .bind(user_id)
                .bind(now_ms())
                .fetch_one(self.pool())
                .await?;
        Ok(n)
    }
}

/// The signed-in account a session belongs to, if any.
fn owner(record: &Record) -> Option<i64> {
    record
        .data
        .get(SESSION_USER)
        .and_then(serde_json::Value::as_i64)
}

fn backend_error(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn expiry_ms(record: &Record) -> session_store::Result<i64> {
    i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| session_store::Error::Encode("session expiry out of range".to_owned()))
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    serde_json::to_vec(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for DbSessionStore {
    /// Inserts under a fresh id, drawing another one when the id is taken, so a new session
    /// can never overwrite somebody else's.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = encode(record)?;
        let expiry = expiry_ms(record)?;
        for _ in 0..CREATE_ATTEMPTS {
            let done = sqlx::query(
                "INSERT INTO sessions (id, data, expiry, user_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(expiry)
            .bind(owner(record))
            .execute(self.store.pool())
            .await
            .map_err(backend_error)?;
            if done.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(backend_error("could not find a free session id"))
    }

    /// Updates the session if it still exists and has not expired. A session that was
    /// ended (signed out, revoked by a password change or "sign out everywhere", expired)
    /// is not written back; tower-sessions calls [`SessionStore::create`] for new ones.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query(
            "UPDATE sessions SET data = $2, expiry = $3, user_id = $4
             WHERE id = $1 AND expiry > $5",
        )
        .bind(record.id.to_string())
        .bind(encode(record)?)
        .bind(expiry_ms(record)?)
        .bind(owner(record))
        .bind(now_ms())
        .execute(self.store.pool())
        .await
        .map_err(backend_error)?;
        Ok(())
    }

    /// Expired rows are treated as absent even before [`ExpiredDeletion`] removes them.
    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(Vec<u8>, i64)> =
            sqlx::query_as("SELECT data, expiry FROM sessions WHERE id = $1 AND expiry > $2")
                .bind(session_id.to_string())
                .bind(now_ms())
                .fetch_optional(self.store.pool())
                .await
                .map_err(backend_error)?;
        let Some((data, expiry)) = row else {
            return Ok(None);
        };
        let data = serde_json::from_slice(&data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp_nanos(i128::from(expiry) * 1_000_000)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_id.to_string())
            .execute(self.store.pool())
            .await
            .map_err(backend_error)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expiry <= $1")
            .bind(now_ms())
            .execute(self.store.pool())
            .await
            .map_err(backend_error)?;
        Ok(())
    }
}
