//! Users, and the namespace they share with organizations.

use std::fmt;

use hatchery_core::Name;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::orgs::Org;
use crate::{Backend, ConflictField, Store, StoreError, Tx, now_ms};

/// The columns of a [`User`] in the order [`user_at`] reads them, optionally prefixed by a
/// table alias. A macro so the queries stay `&'static str` and need no `AssertSqlSafe`.
macro_rules! user_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "name, ",
            $p,
            "display_name, ",
            $p,
            "email, ",
            $p,
            "is_admin, ",
            $p,
            "language, ",
            $p,
            "created_at, ",
            $p,
            "is_disabled"
        )
    };
}
pub(crate) use user_cols;

/// How many columns [`user_cols!`] spans, for rows that carry more after it.
pub(crate) const USER_WIDTH: usize = 8;

pub(crate) fn user_at(row: &AnyRow, i: usize) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get(i)?,
        name: row.try_get(i + 1)?,
        display_name: row.try_get(i + 2)?,
        email: row.try_get(i + 3)?,
        is_admin: row.try_get::<i64, _>(i + 4)? != 0,
        language: row.try_get(i + 5)?,
        created_at: row.try_get(i + 6)?,
        is_disabled: row.try_get::<i64, _>(i + 7)? != 0,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub email: String,
    pub is_admin: bool,
    /// The interface language the user chose; `None` follows the browser.
    pub language: Option<String>,
    pub created_at: i64,
    /// Disabled by an administrator: no sign-in, no tokens, no git, sessions end.
    pub is_disabled: bool,
}

/// A user with the password hash, only for checking a sign-in. Kept apart from [`User`] so
/// the hash never travels into views or logs by accident.
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

pub struct NewUser {
    pub name: Name,
    pub email: String,
    /// Empty for an account of a sign-in source: it has no local password.
    pub password_hash: String,
    pub display_name: String,
    /// Ignored for the first account on an empty site, which always becomes admin.
    pub is_admin: bool,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("password_hash", &"[redacted]")
            .field("display_name", &self.display_name)
            .field("is_admin", &self.is_admin)
            .finish()
    }
}

/// Whatever owns a top-level name (`/<name>`).
#[derive(Debug, Clone)]
pub enum Account {
    User(User),
    Org(Org),
}

/// Emails compare case-insensitively in full Unicode; names are ASCII by validation.
fn lower_email(email: &str) -> String {
    email.to_lowercase()
}

impl Store {
    pub async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        let mut tx = self.write_tx().await?;
        let user = self.insert_user(&mut tx, new).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Inserts a user in `tx` (a write transaction), the first one an administrator.
    pub(crate) async fn insert_user(&self, tx: &mut Tx, new: NewUser) -> Result<User, StoreError> {
        let now = now_ms();
        if self.backend() == Backend::Postgres {
            // Makes "is this the first user?" and the insert one step under READ COMMITTED;
            // on SQLite, BEGIN IMMEDIATE already serializes writers. Readers are not blocked.
            sqlx::query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut **tx)
                .await?;
        }
        let some_user: Option<i64> =
            sqlx::query_scalar("SELECT id FROM accounts WHERE kind = 0 LIMIT 1")
                .fetch_optional(&mut **tx)
                .await?;
        let is_admin = some_user.is_none() || new.is_admin;
        // The unique indexes would refuse a duplicate too, but which of two violated indexes
        // a database reports differs (SQLite checks the newest first): asking lets a sign-up
        // that repeats both always hear about the name. The lock above keeps it race-free;
        // the indexes stay the last word.
        let lower_name = new.name.lower();
        let lower_email = lower_email(&new.email);
        let taken: Option<i64> = sqlx::query_scalar(
            "SELECT CASE WHEN lower_name = $1 THEN 0 ELSE 1 END FROM accounts
             WHERE lower_name = $1 OR lower_email = $2
             ORDER BY 1 LIMIT 1",
        )
        .bind(&lower_name)
        .bind(&lower_email)
        .fetch_optional(&mut **tx)
        .await?;
        match taken {
            Some(0) => return Err(StoreError::Conflict(ConflictField::Name)),
            Some(_) => return Err(StoreError::Conflict(ConflictField::Email)),
            None => {}
        }
        // An external account (no password) is stored with a NULL hash: no password
        // sign-in can ever match it.
        let hash = (!new.password_hash.is_empty()).then_some(new.password_hash.as_str());
        let row = sqlx::query(concat!(
            "INSERT INTO accounts (kind, name, lower_name, display_name, email, lower_email,
                 password_hash, is_admin, description, created_at, updated_at)
             VALUES (0, $1, $2, $3, $4, $5, $6, $7, '', $8, $8)
             RETURNING ",
            user_cols!("")
        ))
        .bind(new.name.as_str())
        .bind(lower_name)
        .bind(&new.display_name)
        .bind(&new.email)
        .bind(lower_email)
        .bind(hash)
        .bind(i64::from(is_admin))
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(user_at(&row, 0)?)
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!(""),
            " FROM accounts WHERE id = $1 AND kind = 0"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| user_at(&r, 0)).transpose()?)
    }

    /// Case-insensitive, as names are unique case-insensitively.
    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!(""),
            " FROM accounts WHERE lower_name = $1 AND kind = 0"
        ))
        .bind(name.to_ascii_lowercase())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| user_at(&r, 0)).transpose()?)
    }

    /// Looks `login` up as a name, then as an email, case-insensitively. `None` also for a
    /// user without a password, who cannot sign in with one.
    pub async fn credentials_by_login(
        &self,
        login: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!(""),
            ", password_hash FROM accounts
             WHERE kind = 0 AND (lower_name = $1 OR lower_email = $2)
             ORDER BY CASE WHEN lower_name = $1 THEN 0 ELSE 1 END
             LIMIT 1"
        ))
        .bind(login.trim().to_ascii_lowercase())
        .bind(lower_email(login.trim()))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = user_at(&row, 0)?;
        let hash: Option<String> = row.try_get(USER_WIDTH)?;
        Ok(hash.map(|password_hash| Credentials {
            user,
            password_hash,
        }))
    }

    /// `Conflict(Email)` when another user has the email; `NotFound` when there is no such user.
    pub async fn update_user_profile(
        &self,
        id: i64,
        display_name: &str,
        email: &str,
        language: Option<&str>,
    ) -> Result<User, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE accounts SET display_name = $2, email = $3, lower_email = $4, language = $5,
                 updated_at = $6
             WHERE id = $1 AND kind = 0
             RETURNING ",
            user_cols!("")
        ))
        .bind(id)
        .bind(display_name)
        .bind(email)
        .bind(lower_email(email))
        .bind(language)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(user_at(&row, 0)?),
            None => Err(StoreError::NotFound),
        }
    }

    pub async fn set_password_hash(&self, id: i64, hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1 AND kind = 0",
        )
        .bind(id)
        .bind(hash)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn set_admin(&self, id: i64, is_admin: bool) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET is_admin = $2, updated_at = $3 WHERE id = $1 AND kind = 0",
        )
        .bind(id)
        .bind(i64::from(is_admin))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE kind = 0")
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Users whose name starts with `prefix`, case-insensitively, in name order.
    pub async fn search_users(&self, prefix: &str, limit: i64) -> Result<Vec<User>, StoreError> {
        let prefix = prefix.trim().to_ascii_lowercase();
        if !prefix.is_ascii() {
            // Names are ASCII: nothing can match.
            return Ok(Vec::new());
        }
        // A range rather than LIKE: the index answers it on both databases (lower_name
        // compares bytes: BINARY in SQLite, COLLATE "C" in PostgreSQL), and there are no
        // wildcards to escape. Every name character sorts below DEL, so [prefix, prefix+DEL)
        // is exactly the names that start with prefix.
        let upper = format!("{prefix}\u{7f}");
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_cols!(""),
            " FROM accounts
             WHERE kind = 0 AND lower_name >= $1 AND lower_name < $2
             ORDER BY lower_name
             LIMIT $3"
        ))
        .bind(prefix)
        .bind(upper)
        .bind(limit.max(0))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| user_at(r, 0))
            .collect::<Result<_, _>>()?)
    }

    /// The user or organization that owns the top-level name, case-insensitively.
    pub async fn account_by_name(&self, name: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT kind, ",
            user_cols!(""),
            ", description FROM accounts WHERE lower_name = $1"
        ))
        .bind(name.to_ascii_lowercase())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let kind: i64 = row.try_get(0)?;
        let account = if kind == 0 {
            Account::User(user_at(&row, 1)?)
        } else {
            Account::Org(Org {
                id: row.try_get(1)?,
                name: row.try_get(2)?,
                display_name: row.try_get(3)?,
                description: row.try_get(1 + USER_WIDTH)?,
                // The user columns start at 1; created_at is their seventh.
                created_at: row.try_get(1 + 6)?,
            })
        };
        Ok(Some(account))
    }

    /// Whether an organization, not a user, holds the id. Keeps org ids out of member lists.
    pub(crate) async fn ensure_user(
        &self,
        tx: &mut crate::Tx,
        user_id: i64,
    ) -> Result<(), StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1 AND kind = 0")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        found.map(|_| ()).ok_or(StoreError::NotFound)
    }
}
