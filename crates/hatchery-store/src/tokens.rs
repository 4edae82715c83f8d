//! Personal access tokens. The web layer makes the secret and hashes it (SHA-256, hex); the
//! store only ever sees the hash, and finds a token by it in one indexed lookup. Looking up a
//! hash rather than the secret also means the lookup's timing tells an attacker nothing.

use std::fmt;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{USER_WIDTH, User, user_at, user_cols};
use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The end of the secret, shown in lists so a person can tell tokens apart.
    pub token_last_eight: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub struct NewToken<'a> {
    /// A user: organizations have no tokens.
    pub user_id: i64,
    pub name: &'a str,
    /// SHA-256 of the secret, in hex.
    pub token_hash: &'a str,
    pub token_last_eight: &'a str,
    /// Each one word: no spaces, not empty.
    pub scopes: &'a [String],
}

impl fmt::Debug for NewToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("token_hash", &"[redacted]")
            .field("token_last_eight", &self.token_last_eight)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The columns of an [`AccessToken`] in the order [`token_at`] reads them, optionally
/// prefixed by a table alias. Never the hash.
macro_rules! token_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "user_id, ",
            $p,
            "name, ",
            $p,
            "token_last_eight, ",
            $p,
            "scopes, ",
            $p,
            "created_at, ",
            $p,
            "last_used_at"
        )
    };
}

fn token_at(row: &AnyRow, i: usize) -> Result<AccessToken, sqlx::Error> {
    let scopes: String = row.try_get(i + 4)?;
    Ok(AccessToken {
        id: row.try_get(i)?,
        user_id: row.try_get(i + 1)?,
        name: row.try_get(i + 2)?,
        token_last_eight: row.try_get(i + 3)?,
        scopes: scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: row.try_get(i + 5)?,
        last_used_at: row.try_get(i + 6)?,
    })
}

/// Scopes are stored as one space-separated column, so a scope that is empty or holds
/// whitespace would not come back as it went in: refused as a caller's bug.
fn encode_scopes(scopes: &[String]) -> Result<String, StoreError> {
    if let Some(bad) = scopes
        .iter()
        .find(|s| s.is_empty() || s.chars().any(char::is_whitespace))
    {
        return Err(StoreError::Database(sqlx::Error::Encode(
            format!("invalid token scope {bad:?}: scopes are single words").into(),
        )));
    }
    Ok(scopes.join(" "))
}

impl Store {
    /// `Conflict(Name)` when the user has a token of that name in any case; `NotFound` when
    /// `user_id` is not a user.
    pub async fn create_token(&self, new: NewToken<'_>) -> Result<AccessToken, StoreError> {
        let scopes = encode_scopes(new.scopes)?;
        let row = sqlx::query(concat!(
            "INSERT INTO access_tokens (user_id, name, lower_name, token_hash, token_last_eight,
                 scopes, created_at)
             SELECT a.id, $2, $3, $4, $5, $6, $7 FROM accounts a WHERE a.id = $1 AND a.kind = 0
             RETURNING ",
            token_cols!("")
        ))
        .bind(new.user_id)
        .bind(new.name)
        .bind(new.name.to_lowercase())
        .bind(new.token_hash)
        .bind(new.token_last_eight)
        .bind(scopes)
        .bind(crate::now_ms())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(token_at(&row, 0)?),
            None => Err(StoreError::NotFound),
        }
    }

    /// Newest first.
    pub async fn tokens_of_user(&self, user_id: i64) -> Result<Vec<AccessToken>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            token_cols!(""),
            " FROM access_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| token_at(r, 0))
            .collect::<Result<_, _>>()?)
    }

    /// `NotFound` when the token does not exist or is not the user's.
    pub async fn delete_token(&self, user_id: i64, token_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM access_tokens WHERE id = $1 AND user_id = $2")
            .bind(token_id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The token with this hash and its user, in one query by the unique hash index.
    pub async fn user_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<(User, AccessToken)>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!("a."),
            ", ",
            token_cols!("t."),
            " FROM access_tokens t JOIN accounts a ON a.id = t.user_id
             WHERE t.token_hash = $1 AND a.kind = 0 AND a.is_disabled = 0"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some((user_at(&row, 0)?, token_at(&row, USER_WIDTH)?)))
    }

    /// Records a use at `now_ms`; a later time already recorded is kept. A token deleted
    /// meanwhile is no error: this is bookkeeping, which must not fail the request it serves.
    pub async fn touch_token(&self, token_id: i64, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE access_tokens SET last_used_at = $2
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
        )
        .bind(token_id)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
