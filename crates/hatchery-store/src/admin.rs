//! Site administration and discovery: users and organizations listed, searched and paged
//! in SQL; the figures of the admin overview; disabling users, the site-administrator flag
//! and deleting users, each keeping at least one enabled administrator.
//!
//! Changes that could remove the last administrator take a table lock on PostgreSQL
//! (`SHARE ROW EXCLUSIVE`, which conflicts with itself), so two concurrent demotions cannot
//! both see "another admin remains"; SQLite's `BEGIN IMMEDIATE` already serializes writers.

use hatchery_core::OrgRole;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::sql::{Binds, like_pattern};
use crate::{Backend, Store, StoreError, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    User,
    Org,
}

impl AccountKind {
    fn code(self) -> i64 {
        match self {
            AccountKind::User => 0,
            AccountKind::Org => 1,
        }
    }
}

/// How account lists are ordered; ties are broken by id so pages never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountOrder {
    #[default]
    Name,
    Newest,
    Oldest,
    /// Most recently changed first.
    Updated,
}

#[derive(Debug, Clone)]
pub struct AccountSearch {
    pub kind: AccountKind,
    /// Words the name or display name contains, case-insensitively; empty: no filter.
    pub keyword: String,
    /// Also match the email (administrators only; never for public lists).
    pub in_email: bool,
    pub order: AccountOrder,
    pub limit: i64,
    pub offset: i64,
}

/// One user or organization of a list. `email` is empty for organizations; public pages
/// never show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSummary {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub email: String,
    pub is_admin: bool,
    pub is_disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct AccountPage {
    pub accounts: Vec<AccountSummary>,
    /// How many match, over all pages.
    pub total: i64,
}

/// The figures of the admin overview.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SiteCounts {
    pub users: i64,
    pub orgs: i64,
    pub repos: i64,
    /// Issues, not counting pull requests.
    pub issues: i64,
    pub pulls: i64,
    /// Webhook deliveries waiting to be sent (new or to be retried).
    pub pending_deliveries: i64,
}

/// Why an administrator's change to a user was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    Done,
    /// It would leave the site without an enabled administrator.
    LastAdmin,
    /// The user is the only owner of these organizations (by name).
    LastOwnerOf(Vec<String>),
}

fn summary_at(row: &AnyRow) -> Result<AccountSummary, sqlx::Error> {
    Ok(AccountSummary {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        display_name: row.try_get(2)?,
        description: row.try_get(3)?,
        email: row.try_get(4)?,
        is_admin: row.try_get::<i64, _>(5)? != 0,
        is_disabled: row.try_get::<i64, _>(6)? != 0,
        created_at: row.try_get(7)?,
        updated_at: row.try_get(8)?,
    })
}

impl Store {
    /// One page of the users or organizations matching `q`, and how many match in all.
    pub async fn search_accounts(&self, q: &AccountSearch) -> Result<AccountPage, StoreError> {
        let mut binds = Binds::default();
        let kind = binds.int(q.kind.code());
        let mut filter = format!("a.kind = {kind}");
        let keyword = q.keyword.trim();
        if !keyword.is_empty() {
            let like = match self.backend() {
                Backend::Postgres => "ILIKE",
                Backend::Sqlite => "LIKE",
            };
            let name = binds.text(like_pattern(&keyword.to_lowercase()));
            let text = binds.text(like_pattern(keyword));
            let email = if q.in_email {
                let email = binds.text(like_pattern(&keyword.to_lowercase()));
                format!(" OR a.lower_email LIKE {email} ESCAPE '\\'")
            } else {
                String::new()
            };
            filter.push_str(&format!(
                " AND (a.lower_name LIKE {name} ESCAPE '\\' OR a.display_name {like} {text} ESCAPE '\\'{email})"
            ));
        }
        let count_sql = format!("SELECT COUNT(*) FROM accounts a WHERE {filter}");
        let total: i64 = binds
            .apply(sqlx::query(AssertSqlSafe(count_sql)))
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        if total == 0 || q.limit <= 0 {
            return Ok(AccountPage {
                accounts: Vec::new(),
                total,
            });
        }
        let order = match q.order {
            AccountOrder::Name => "a.lower_name ASC, a.id ASC",
            AccountOrder::Newest => "a.created_at DESC, a.id DESC",
            AccountOrder::Oldest => "a.created_at ASC, a.id ASC",
            AccountOrder::Updated => "a.updated_at DESC, a.id DESC",
        };
        let limit = binds.int(q.limit);
        let offset = binds.int(q.offset.max(0));
        // Only placeholders and fixed words are spliced in; every value is bound.
        let sql = format!(
            "SELECT a.id, a.name, a.display_name, a.description, a.email, a.is_admin,
                    a.is_disabled, a.created_at, a.updated_at
             FROM accounts a WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
        );
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        Ok(AccountPage {
            accounts: rows.iter().map(summary_at).collect::<Result<_, _>>()?,
            total,
        })
    }

    /// Users, organizations, repositories, issues, pull requests and queued deliveries.
    pub async fn site_counts(&self) -> Result<SiteCounts, StoreError> {
        let row = sqlx::query(
            "SELECT
                (SELECT COUNT(*) FROM accounts WHERE kind = 0),
                (SELECT COUNT(*) FROM accounts WHERE kind = 1),
                (SELECT COUNT(*) FROM repositories),
                (SELECT COUNT(*) FROM issues WHERE is_pull = 0),
                (SELECT COUNT(*) FROM issues WHERE is_pull = 1),
                (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending')",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(SiteCounts {
            users: row.try_get(0)?,
            orgs: row.try_get(1)?,
            repos: row.try_get(2)?,
            issues: row.try_get(3)?,
            pulls: row.try_get(4)?,
            pending_deliveries: row.try_get(5)?,
        })
    }

    /// The database's size in bytes as the database reports it (SQLite: pages in use times
    /// page size; PostgreSQL: `pg_database_size`).
    pub async fn database_size(&self) -> Result<i64, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT p.page_count * s.page_size FROM pragma_page_count() p, pragma_page_size() s"
            }
            Backend::Postgres => "SELECT pg_database_size(current_database())::BIGINT",
        };
        Ok(sqlx::query_scalar(sql).fetch_one(self.pool()).await?)
    }

    /// Locks what "is another enabled administrator left?" reads, until the end of `tx`.
    async fn lock_admins(&self, tx: &mut Tx) -> Result<(), StoreError> {
        if self.backend() == Backend::Postgres {
            sqlx::query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Whether an enabled administrator other than `user_id` exists.
    async fn other_admin(&self, tx: &mut Tx, user_id: i64) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts
             WHERE kind = 0 AND is_admin = 1 AND is_disabled = 0 AND id <> $1",
        )
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(n > 0)
    }

    /// Whether the user is an enabled administrator (`NotFound` when there is no such user).
    async fn enabled_admin(&self, tx: &mut Tx, user_id: i64) -> Result<bool, StoreError> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT is_admin, is_disabled FROM accounts WHERE id = $1 AND kind = 0")
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        let (admin, disabled) = row.ok_or(StoreError::NotFound)?;
        Ok(admin != 0 && disabled == 0)
    }

    /// Makes the user a site administrator or not; refuses to demote the last enabled one.
    pub async fn set_admin_checked(
        &self,
        user_id: i64,
        is_admin: bool,
    ) -> Result<UserChange, StoreError> {
        let mut tx = self.write_tx().await?;
        self.lock_admins(&mut tx).await?;
        let was = self.enabled_admin(&mut tx, user_id).await?;
        if was && !is_admin && !self.other_admin(&mut tx, user_id).await? {
            return Ok(UserChange::LastAdmin);
        }
        sqlx::query(
            "UPDATE accounts SET is_admin = $2, updated_at = $3 WHERE id = $1 AND kind = 0",
        )
        .bind(user_id)
        .bind(i64::from(is_admin))
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(UserChange::Done)
    }

    /// Disables or enables the user; refuses to disable the last enabled administrator.
    pub async fn set_user_disabled(
        &self,
        user_id: i64,
        disabled: bool,
    ) -> Result<UserChange, StoreError> {
        let mut tx = self.write_tx().await?;
        self.lock_admins(&mut tx).await?;
        let admin = self.enabled_admin(&mut tx, user_id).await?;
        if admin && disabled && !self.other_admin(&mut tx, user_id).await? {
            return Ok(UserChange::LastAdmin);
        }
        sqlx::query(
            "UPDATE accounts SET is_disabled = $2, updated_at = $3 WHERE id = $1 AND kind = 0",
        )
        .bind(user_id)
        .bind(i64::from(disabled))
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(UserChange::Done)
    }

    /// The organizations (by name) of which the user is the only owner.
    pub async fn orgs_solely_owned_by(&self, user_id: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT a.name FROM org_members m JOIN accounts a ON a.id = m.org_id
             WHERE m.user_id = $1 AND m.role = $2
               AND (SELECT COUNT(*) FROM org_members o
                     WHERE o.org_id = m.org_id AND o.role = $2) = 1
             ORDER BY a.lower_name",
        )
        .bind(user_id)
        .bind(OrgRole::Owner.as_str())
        .fetch_all(self.pool())
        .await?)
    }

    /// Deletes the user's row; their repositories' rows, memberships, tokens and
    /// collaborations go with it (foreign keys cascade), what they wrote elsewhere stays
    /// with no author. Refused for the last enabled administrator and for the only owner of
    /// an organization. Repositories also live on disk: the caller removes those.
    pub async fn delete_user(&self, user_id: i64) -> Result<UserChange, StoreError> {
        let mut tx = self.write_tx().await?;
        self.lock_admins(&mut tx).await?;
        if self.enabled_admin(&mut tx, user_id).await?
            && !self.other_admin(&mut tx, user_id).await?
        {
            return Ok(UserChange::LastAdmin);
        }
        let owner = OrgRole::Owner.as_str();
        // The organizations' rows are locked (PostgreSQL) as membership changes lock them,
        // so no owner can leave meanwhile.
        let lock = self.row_lock(None);
        let owned: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM accounts WHERE kind = 1 AND id IN
                (SELECT org_id FROM org_members WHERE user_id = $1 AND role = $2)
             ORDER BY id{lock}"
        )))
        .bind(user_id)
        .bind(owner)
        .fetch_all(&mut *tx)
        .await?;
        let mut sole = Vec::new();
        for org_id in owned {
            let (name, owners): (String, i64) = sqlx::query_as(
                "SELECT a.name, (SELECT COUNT(*) FROM org_members m
                                  WHERE m.org_id = a.id AND m.role = $2)
                 FROM accounts a WHERE a.id = $1",
            )
            .bind(org_id)
            .bind(owner)
            .fetch_one(&mut *tx)
            .await?;
            if owners <= 1 {
                sole.push(name);
            }
        }
        if !sole.is_empty() {
            sole.sort_by_key(|n| n.to_lowercase());
            return Ok(UserChange::LastOwnerOf(sole));
        }
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1 AND kind = 0")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(UserChange::Done)
    }
}

impl Store {
    /// Every setting whose key starts with `prefix`, in key order.
    pub async fn settings_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT key, value FROM settings WHERE key LIKE $1 ESCAPE '\\' ORDER BY key",
        )
        .bind(format!("{}%", like_pattern(prefix).trim_end_matches('%')))
        .fetch_all(self.pool())
        .await?)
    }
}
