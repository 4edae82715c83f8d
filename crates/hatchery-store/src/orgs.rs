//! Organizations, their members and teams.
//!
//! Membership changes that check a rule ("an organization keeps an owner") first lock the
//! organization's row, so two concurrent changes cannot both pass the check on PostgreSQL
//! (SQLite's `BEGIN IMMEDIATE` already runs them one at a time).

use hatchery_core::{AccessLevel, Name, OrgRole};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{USER_WIDTH, User, user_at, user_cols};
use crate::{Backend, Store, StoreError, Tx, now_ms};

#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct OrgMember {
    pub user: User,
    pub role: OrgRole,
    /// When the user joined, in unix milliseconds.
    pub since: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub permission: AccessLevel,
    pub created_at: i64,
    pub member_count: i64,
}

macro_rules! org_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "name, ",
            $p,
            "display_name, ",
            $p,
            "description, ",
            $p,
            "created_at"
        )
    };
}

const ORG_WIDTH: usize = 5;

fn org_at(row: &AnyRow, i: usize) -> Result<Org, sqlx::Error> {
    Ok(Org {
        id: row.try_get(i)?,
        name: row.try_get(i + 1)?,
        display_name: row.try_get(i + 2)?,
        description: row.try_get(i + 3)?,
        created_at: row.try_get(i + 4)?,
    })
}

/// Team columns, member count included, over a `teams` row aliased `t`.
macro_rules! team_cols {
    () => {
        "t.id, t.org_id, t.name, t.description, t.permission, t.created_at,
         (SELECT COUNT(*) FROM team_members tm WHERE tm.team_id = t.id)"
    };
}
pub(crate) use team_cols;

pub(crate) fn team_at(row: &AnyRow) -> Result<Team, sqlx::Error> {
    Ok(Team {
        id: row.try_get(0)?,
        org_id: row.try_get(1)?,
        name: row.try_get(2)?,
        description: row.try_get(3)?,
        permission: parse_stored(row.try_get(4)?)?,
        created_at: row.try_get(5)?,
        member_count: row.try_get(6)?,
    })
}

/// Roles and permissions are stored as their `as_str` spelling; anything else in the column
/// is a corrupted row, reported as a decode error.
pub(crate) fn parse_stored<T: std::str::FromStr>(s: &str) -> Result<T, sqlx::Error>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse::<T>()
        .map_err(|e| sqlx::Error::Decode(format!("unexpected stored value {s:?}: {e}").into()))
}

impl Store {
    /// Creates the organization with `creator_id` as its owner, in one transaction so an
    /// organization never exists without an owner.
    pub async fn create_org(
        &self,
        creator_id: i64,
        name: &Name,
        display_name: &str,
        description: &str,
    ) -> Result<Org, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        self.ensure_user(&mut tx, creator_id).await?;
        let row = sqlx::query(concat!(
            "INSERT INTO accounts (kind, name, lower_name, display_name, description, created_at,
                 updated_at)
             VALUES (1, $1, $2, $3, $4, $5, $5)
             RETURNING ",
            org_cols!("")
        ))
        .bind(name.as_str())
        .bind(name.lower())
        .bind(display_name)
        .bind(description)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let org = org_at(&row, 0)?;
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(org.id)
        .bind(creator_id)
        .bind(OrgRole::Owner.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Case-insensitive.
    pub async fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            org_cols!(""),
            " FROM accounts WHERE lower_name = $1 AND kind = 1"
        ))
        .bind(name.to_ascii_lowercase())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| org_at(&r, 0)).transpose()?)
    }

    pub async fn org_by_id(&self, org_id: i64) -> Result<Option<Org>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            org_cols!(""),
            " FROM accounts WHERE id = $1 AND kind = 1"
        ))
        .bind(org_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| org_at(&r, 0)).transpose()?)
    }

    pub async fn update_org(
        &self,
        org_id: i64,
        display_name: &str,
        description: &str,
    ) -> Result<Org, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE accounts SET display_name = $2, description = $3, updated_at = $4
             WHERE id = $1 AND kind = 1
             RETURNING ",
            org_cols!("")
        ))
        .bind(org_id)
        .bind(display_name)
        .bind(description)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(org_at(&row, 0)?),
            None => Err(StoreError::NotFound),
        }
    }

    /// Members, teams, team memberships and the organization's repositories' rows go with it
    /// (foreign keys cascade). Repositories also live on disk: callers check
    /// [`Store::count_repos_of_owner`] first and refuse while it is not zero.
    pub async fn delete_org(&self, org_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1 AND kind = 1")
            .bind(org_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn org_role(&self, org_id: i64, user_id: i64) -> Result<Option<OrgRole>, StoreError> {
        let role: Option<String> =
            sqlx::query_scalar("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(role.as_deref().map(parse_stored).transpose()?)
    }

    /// Owners first, then by name.
    pub async fn org_members(&self, org_id: i64) -> Result<Vec<OrgMember>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_cols!("a."),
            ", m.role, m.created_at
             FROM org_members m JOIN accounts a ON a.id = m.user_id
             WHERE m.org_id = $1
             ORDER BY CASE WHEN m.role = 'owner' THEN 0 ELSE 1 END, a.lower_name"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        let members = rows
            .iter()
            .map(|row| {
                Ok(OrgMember {
                    user: user_at(row, 0)?,
                    role: parse_stored(row.try_get(USER_WIDTH)?)?,
                    since: row.try_get(USER_WIDTH + 1)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(members)
    }

    /// Adds the user with `role`, or changes their role. `LastOwner` when it would demote
    /// the only owner; `NotFound` when the organization or the user does not exist.
    pub async fn set_org_member(
        &self,
        org_id: i64,
        user_id: i64,
        role: OrgRole,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        self.lock_org(&mut tx, org_id).await?;
        self.ensure_user(&mut tx, user_id).await?;
        let current = member_role(&mut tx, org_id, user_id).await?;
        if current == Some(OrgRole::Owner)
            && role != OrgRole::Owner
            && owner_count(&mut tx, org_id).await? <= 1
        {
            return Err(StoreError::LastOwner);
        }
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the user from the organization and from all its teams. `NotFound` when they
    /// are not a member; `LastOwner` when they are its only owner.
    pub async fn remove_org_member(&self, org_id: i64, user_id: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        self.lock_org(&mut tx, org_id).await?;
        match member_role(&mut tx, org_id, user_id).await? {
            None => return Err(StoreError::NotFound),
            Some(OrgRole::Owner) if owner_count(&mut tx, org_id).await? <= 1 => {
                return Err(StoreError::LastOwner);
            }
            Some(_) => {}
        }
        sqlx::query(
            "DELETE FROM team_members
             WHERE user_id = $2 AND team_id IN (SELECT id FROM teams WHERE org_id = $1)",
        )
        .bind(org_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's organizations by name, with the user's role in each.
    pub async fn orgs_of_user(&self, user_id: i64) -> Result<Vec<(Org, OrgRole)>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            org_cols!("o."),
            ", m.role
             FROM org_members m JOIN accounts o ON o.id = m.org_id
             WHERE m.user_id = $1
             ORDER BY o.lower_name"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        let orgs = rows
            .iter()
            .map(|row| Ok((org_at(row, 0)?, parse_stored(row.try_get(ORG_WIDTH)?)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(orgs)
    }

    /// `Conflict(Name)` when the organization has a team of that name in any case;
    /// `NotFound` when there is no such organization.
    pub async fn create_team(
        &self,
        org_id: i64,
        name: &Name,
        description: &str,
        permission: AccessLevel,
    ) -> Result<Team, StoreError> {
        let mut tx = self.write_tx().await?;
        self.lock_org(&mut tx, org_id).await?;
        let row = sqlx::query(
            "INSERT INTO teams (org_id, name, lower_name, description, permission, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, org_id, name, description, permission, created_at, 0",
        )
        .bind(org_id)
        .bind(name.as_str())
        .bind(name.lower())
        .bind(description)
        .bind(permission.as_str())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let team = team_at(&row)?;
        tx.commit().await?;
        Ok(team)
    }

    pub async fn update_team(
        &self,
        team_id: i64,
        description: &str,
        permission: AccessLevel,
    ) -> Result<Team, StoreError> {
        let done = sqlx::query("UPDATE teams SET description = $2, permission = $3 WHERE id = $1")
            .bind(team_id)
            .bind(description)
            .bind(permission.as_str())
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.team_by_id(team_id).await?.ok_or(StoreError::NotFound)
    }

    /// Its memberships go with it.
    pub async fn delete_team(&self, team_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM teams WHERE id = $1")
            .bind(team_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// By name, each with its member count.
    pub async fn teams_of_org(&self, org_id: i64) -> Result<Vec<Team>, StoreError> {
        let sql = concat!(
            "SELECT ",
            team_cols!(),
            " FROM teams t WHERE t.org_id = $1 ORDER BY t.lower_name"
        );
        let rows = sqlx::query(sql).bind(org_id).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(team_at).collect::<Result<_, _>>()?)
    }

    /// Case-insensitive.
    pub async fn team_by_name(&self, org_id: i64, name: &str) -> Result<Option<Team>, StoreError> {
        let sql = concat!(
            "SELECT ",
            team_cols!(),
            " FROM teams t WHERE t.org_id = $1 AND t.lower_name = $2"
        );
        let row = sqlx::query(sql)
            .bind(org_id)
            .bind(name.to_ascii_lowercase())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| team_at(&r)).transpose()?)
    }

    pub async fn team_by_id(&self, team_id: i64) -> Result<Option<Team>, StoreError> {
        let sql = concat!("SELECT ", team_cols!(), " FROM teams t WHERE t.id = $1");
        let row = sqlx::query(sql)
            .bind(team_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| team_at(&r)).transpose()?)
    }

    /// By name.
    pub async fn team_members(&self, team_id: i64) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_cols!("a."),
            " FROM team_members tm JOIN accounts a ON a.id = tm.user_id
             WHERE tm.team_id = $1
             ORDER BY a.lower_name"
        ))
        .bind(team_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| user_at(r, 0))
            .collect::<Result<_, _>>()?)
    }

    /// Idempotent. A user who is not yet in the team's organization joins it as a member in
    /// the same transaction, because team members are always organization members.
    pub async fn add_team_member(&self, team_id: i64, user_id: i64) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let org_id: i64 = sqlx::query_scalar("SELECT org_id FROM teams WHERE id = $1")
            .bind(team_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.lock_org(&mut tx, org_id).await?;
        self.ensure_user(&mut tx, user_id).await?;
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, user_id) DO NOTHING",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(OrgRole::Member.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO team_members (team_id, user_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (team_id, user_id) DO NOTHING",
        )
        .bind(team_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Idempotent; the user stays in the organization. `NotFound` only when the team does
    /// not exist.
    pub async fn remove_team_member(&self, team_id: i64, user_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
            .bind(team_id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 && self.team_by_id(team_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Holds the organization's row until the transaction ends, so membership rules are
    /// checked against a state no concurrent transaction can change. SQLite has no
    /// `FOR UPDATE` and needs none: the write transaction already excludes other writers.
    /// `NotFound` when the id is not an organization.
    async fn lock_org(&self, tx: &mut Tx, org_id: i64) -> Result<(), StoreError> {
        let sql = match self.backend() {
            Backend::Postgres => "SELECT id FROM accounts WHERE id = $1 AND kind = 1 FOR UPDATE",
            Backend::Sqlite => "SELECT id FROM accounts WHERE id = $1 AND kind = 1",
        };
        let found: Option<i64> = sqlx::query_scalar(sql)
            .bind(org_id)
            .fetch_optional(&mut **tx)
            .await?;
        found.map(|_| ()).ok_or(StoreError::NotFound)
    }
}

async fn member_role(
    tx: &mut Tx,
    org_id: i64,
    user_id: i64,
) -> Result<Option<OrgRole>, StoreError> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(role.as_deref().map(parse_stored).transpose()?)
}

async fn owner_count(tx: &mut Tx, org_id: i64) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM org_members WHERE org_id = $1 AND role = 'owner'")
            .bind(org_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}
