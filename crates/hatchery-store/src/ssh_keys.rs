//! SSH public keys: users' keys and repositories' deploy keys, one table. The caller parses
//! and checks a key (`hatchery_core::ssh`); the store keeps the rules that span rows: a key
//! belongs to one account at most, and a key of an account is never also a deploy key.
//! Both are checked inside the write transaction that inserts (on PostgreSQL under a table
//! lock that conflicts with itself; SQLite's `BEGIN IMMEDIATE` serializes writers).

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::accounts::{USER_WIDTH, User, user_at, user_cols};
use crate::{Backend, ConflictField, Store, StoreError, Tx};

/// One registered key: a user's (`user_id`) or a repository's deploy key (`repo_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshKey {
    pub id: i64,
    pub user_id: Option<i64>,
    pub repo_id: Option<i64>,
    pub title: String,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, ...
    pub algorithm: String,
    /// `algorithm base64`, no comment.
    pub public_key: String,
    /// `SHA256:...`.
    pub fingerprint: String,
    /// Deploy keys: may only fetch. Always false for users' keys.
    pub read_only: bool,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A key to register.
#[derive(Debug, Clone)]
pub struct NewSshKey<'a> {
    pub title: &'a str,
    pub algorithm: &'a str,
    pub public_key: &'a str,
    pub fingerprint: &'a str,
}

/// Who a key presented at sign-in stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyOwner {
    /// A user's key; the user may be disabled (the caller refuses them).
    User(Box<User>, SshKey),
    /// Deploy keys with this fingerprint, one per repository it was added to.
    Deploy(Vec<SshKey>),
}

/// The columns of an [`SshKey`] in the order [`key_at`] reads them, optionally prefixed by
/// a table alias.
macro_rules! key_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id",
            ", ",
            $p,
            "user_id",
            ", ",
            $p,
            "repo_id",
            ", ",
            $p,
            "title",
            ", ",
            $p,
            "algorithm",
            ", ",
            $p,
            "public_key",
            ", ",
            $p,
            "fingerprint",
            ", ",
            $p,
            "read_only",
            ", ",
            $p,
            "created_at",
            ", ",
            $p,
            "last_used_at"
        )
    };
}

fn key_at(row: &AnyRow, i: usize) -> Result<SshKey, sqlx::Error> {
    Ok(SshKey {
        id: row.try_get(i)?,
        user_id: row.try_get(i + 1)?,
        repo_id: row.try_get(i + 2)?,
        title: row.try_get(i + 3)?,
        algorithm: row.try_get(i + 4)?,
        public_key: row.try_get(i + 5)?,
        fingerprint: row.try_get(i + 6)?,
        read_only: row.try_get::<i64, _>(i + 7)? != 0,
        created_at: row.try_get(i + 8)?,
        last_used_at: row.try_get(i + 9)?,
    })
}

impl Store {
    async fn lock_keys(&self, tx: &mut Tx) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            sqlx::query("LOCK TABLE ssh_keys IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Registers a user's key. `Conflict(Key)` when the key is already registered, to this
    /// or another account, or is a deploy key; `NotFound` when `user_id` is no user.
    pub async fn add_user_key(
        &self,
        user_id: i64,
        key: NewSshKey<'_>,
    ) -> Result<SshKey, StoreError> {
        let mut tx = self.write_tx().await?;
        self.lock_keys(&mut tx).await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM ssh_keys WHERE fingerprint = $1")
                .bind(key.fingerprint)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(ConflictField::Key));
        }
        let row = sqlx::query(concat!(
            "INSERT INTO ssh_keys (user_id, title, algorithm, public_key, fingerprint, read_only,
                 created_at)
             SELECT a.id, $2, $3, $4, $5, 0, $6 FROM accounts a WHERE a.id = $1 AND a.kind = 0
             RETURNING ",
            key_cols!("")
        ))
        .bind(user_id)
        .bind(key.title)
        .bind(key.algorithm)
        .bind(key.public_key)
        .bind(key.fingerprint)
        .bind(crate::now_ms())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound);
        };
        let key = key_at(&row, 0)?;
        tx.commit().await?;
        Ok(key)
    }

    /// Adds a deploy key to a repository. `Conflict(Key)` when the repository has it
    /// already or it is a user's key; `NotFound` when the repository is gone.
    pub async fn add_deploy_key(
        &self,
        repo_id: i64,
        key: NewSshKey<'_>,
        read_only: bool,
    ) -> Result<SshKey, StoreError> {
        let mut tx = self.write_tx().await?;
        self.lock_keys(&mut tx).await?;
        let taken: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM ssh_keys WHERE fingerprint = $1
                 AND (user_id IS NOT NULL OR repo_id = $2)",
        )
        .bind(key.fingerprint)
        .bind(repo_id)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(ConflictField::Key));
        }
        let row = sqlx::query(concat!(
            "INSERT INTO ssh_keys (repo_id, title, algorithm, public_key, fingerprint, read_only,
                 created_at)
             SELECT r.id, $2, $3, $4, $5, $6, $7 FROM repositories r WHERE r.id = $1
             RETURNING ",
            key_cols!("")
        ))
        .bind(repo_id)
        .bind(key.title)
        .bind(key.algorithm)
        .bind(key.public_key)
        .bind(key.fingerprint)
        .bind(i64::from(read_only))
        .bind(crate::now_ms())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound);
        };
        let key = key_at(&row, 0)?;
        tx.commit().await?;
        Ok(key)
    }

    /// A user's keys, oldest first (as Gitea lists them).
    pub async fn keys_of_user(&self, user_id: i64) -> Result<Vec<SshKey>, StoreError> {
        self.keys_where("k.user_id = $1", user_id).await
    }

    /// A repository's deploy keys, oldest first.
    pub async fn deploy_keys_of_repo(&self, repo_id: i64) -> Result<Vec<SshKey>, StoreError> {
        self.keys_where("k.repo_id = $1", repo_id).await
    }

    async fn keys_where(&self, cond: &'static str, id: i64) -> Result<Vec<SshKey>, StoreError> {
        let sql = format!(
            "SELECT {} FROM ssh_keys k WHERE {cond} ORDER BY k.id",
            key_cols!("k.")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(|r| key_at(r, 0))
            .collect::<Result<_, _>>()?)
    }

    /// One key by id, whoever it belongs to.
    pub async fn ssh_key(&self, id: i64) -> Result<Option<SshKey>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            key_cols!("k."),
            " FROM ssh_keys k WHERE k.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| key_at(&r, 0)).transpose()?)
    }

    /// `NotFound` unless the key exists and is the user's.
    pub async fn delete_user_key(&self, user_id: i64, key_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM ssh_keys WHERE id = $1 AND user_id = $2")
            .bind(key_id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// `NotFound` unless the key exists and is this repository's deploy key.
    pub async fn delete_deploy_key(&self, repo_id: i64, key_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM ssh_keys WHERE id = $1 AND repo_id = $2")
            .bind(key_id)
            .bind(repo_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Who the key with this fingerprint stands for, or `None` when nobody registered it.
    pub async fn key_owner(&self, fingerprint: &str) -> Result<Option<KeyOwner>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!("a."),
            ", ",
            key_cols!("k."),
            " FROM ssh_keys k JOIN accounts a ON a.id = k.user_id
             WHERE k.fingerprint = $1 AND a.kind = 0"
        ))
        .bind(fingerprint)
        .fetch_optional(self.pool())
        .await?;
        if let Some(row) = row {
            let user = user_at(&row, 0)?;
            let key = key_at(&row, USER_WIDTH)?;
            return Ok(Some(KeyOwner::User(Box::new(user), key)));
        }
        let rows = sqlx::query(concat!(
            "SELECT ",
            key_cols!("k."),
            " FROM ssh_keys k WHERE k.fingerprint = $1 AND k.repo_id IS NOT NULL ORDER BY k.id"
        ))
        .bind(fingerprint)
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(KeyOwner::Deploy(
            rows.iter()
                .map(|r| key_at(r, 0))
                .collect::<Result<_, _>>()?,
        )))
    }

    /// Records a use at `now_ms`; a later time already recorded is kept. Bookkeeping: a
    /// key deleted meanwhile is no error.
    pub async fn touch_ssh_key(&self, key_id: i64, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE ssh_keys SET last_used_at = $2
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
        )
        .bind(key_id)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
