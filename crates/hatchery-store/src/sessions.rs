//! Sessions for tower-sessions, kept in the `sessions` table so that every server instance
//! sees every session and signing out ends a session everywhere. (The published sqlx session
//! stores are built for older sqlx and tower-sessions.)

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use crate::{Store, now_ms};

/// How many fresh ids [`SessionStore::create`] tries before giving up. Ids are 128 random
/// bits, so a second attempt already means something is wrong with the generator.
const CREATE_ATTEMPTS: usize = 8;

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
                "INSERT INTO sessions (id, data, expiry) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(expiry)
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

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expiry) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expiry = excluded.expiry",
        )
        .bind(record.id.to_string())
        .bind(encode(record)?)
        .bind(expiry_ms(record)?)
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
