//! Repositories, their collaborators and the teams linked to them, and the facts the
//! permission policy needs about a user's relation to a repository.
//!
//! Every statement here stands alone (no transaction needed): rules such as "only users can
//! be collaborators" or "only teams of the owning organization" are conditions of the
//! `INSERT ... SELECT` itself, and a row that disappears meanwhile turns the foreign-key
//! violation into [`StoreError::NotFound`].

use std::collections::HashMap;

use hatchery_core::{AccessLevel, Name, OrgRole, RepoFacts};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{USER_WIDTH, User, user_at, user_cols};
use crate::orgs::{Team, parse_stored, team_at, team_cols};
use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq)]
pub struct Repo {
    pub id: i64,
    pub owner_id: i64,
    pub owner_name: String,
    pub owner_is_org: bool,
    pub name: String,
    pub description: String,
    pub is_private: bool,
    pub default_branch: String,
    /// Refuses every write (e.g. a retired incubator project).
    pub read_only: bool,
    pub created_at: i64,
    /// The last change of the repository's settings or refs, in unix milliseconds.
    pub updated_at: i64,
    /// The last accepted push; `None` until the first.
    pub pushed_at: Option<i64>,
    /// The repository this one was forked from, while it exists.
    pub fork_id: Option<i64>,
}

impl Repo {
    /// What the policy needs to decide about `user_id` (`None`: anonymous) and this
    /// repository, given the user's [`RepoAccess`] to it.
    pub fn facts(&self, user_id: Option<i64>, access: RepoAccess) -> RepoFacts {
        RepoFacts {
            private: self.is_private,
            read_only: self.read_only,
            actor_is_owner: user_id == Some(self.owner_id),
            org_role: access.org_role,
            team_level: access.team,
            collaborator_level: access.collaborator,
        }
    }
}

/// What [`Store::repo_counts`] counts for one repository.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepoCounts {
    pub open_issues: i64,
    pub open_pulls: i64,
    /// Published releases: no drafts, no candidates waiting for their vote.
    pub releases: i64,
    pub public_forks: i64,
    pub private_forks: i64,
    /// Imports recorded for the repository, finished or not.
    pub imports: i64,
}

#[derive(Debug)]
pub struct NewRepo<'a> {
    /// A user or an organization.
    pub owner_id: i64,
    pub name: &'a Name,
    pub description: &'a str,
    pub is_private: bool,
    pub default_branch: &'a str,
}

/// A user's relations to one repository, besides owning it (compare [`Repo::owner_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RepoAccess {
    /// The level the user has as a collaborator.
    pub collaborator: Option<AccessLevel>,
    /// The highest permission among the user's teams linked to the repository.
    pub team: Option<AccessLevel>,
    /// The user's role in the owning organization, when the owner is one.
    pub org_role: Option<OrgRole>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Collaborator {
    pub user: User,
    pub level: AccessLevel,
    /// When the user was first made a collaborator, in unix milliseconds.
    pub since: i64,
}

/// The repository columns after the owner's, prefixed by a table name or alias.
macro_rules! repo_fields {
    ($r:literal) => {
        concat!(
            $r,
            "name, ",
            $r,
            "description, ",
            $r,
            "is_private, ",
            $r,
            "default_branch, ",
            $r,
            "read_only, ",
            $r,
            "created_at, ",
            $r,
            "updated_at, ",
            $r,
            "pushed_at, ",
            $r,
            "fork_id"
        )
    };
}

/// The SELECT of whole [`Repo`]s, in [`repo_at`]'s order, over `repositories r` joined to
/// its owner `a`. Callers append WHERE and ORDER BY.
macro_rules! select_repo {
    () => {
        concat!(
            "SELECT r.id, r.owner_id, a.name, a.kind, ",
            repo_fields!("r."),
            " FROM repositories r JOIN accounts a ON a.id = r.owner_id"
        )
    };
}
/// [`select_repo!`] for statements built at run time.
pub(crate) const SELECT_REPO: &str = select_repo!();

/// The RETURNING clause of an INSERT or UPDATE of `repositories`, in [`repo_at`]'s order.
/// Nothing can be joined there, so the owner's columns come from subqueries; and the table
/// goes by its full name because SQLite's RETURNING does not see an UPDATE's alias.
macro_rules! returning_repo {
    () => {
        concat!(
            " RETURNING repositories.id, repositories.owner_id,
             (SELECT a.name FROM accounts a WHERE a.id = repositories.owner_id),
             (SELECT a.kind FROM accounts a WHERE a.id = repositories.owner_id), ",
            repo_fields!("repositories.")
        )
    };
}

pub(crate) fn repo_at(row: &AnyRow) -> Result<Repo, sqlx::Error> {
    Ok(Repo {
        id: row.try_get(0)?,
        owner_id: row.try_get(1)?,
        owner_name: row.try_get(2)?,
        owner_is_org: row.try_get::<i64, _>(3)? == 1,
        name: row.try_get(4)?,
        description: row.try_get(5)?,
        is_private: row.try_get::<i64, _>(6)? != 0,
        default_branch: row.try_get(7)?,
        read_only: row.try_get::<i64, _>(8)? != 0,
        created_at: row.try_get(9)?,
        updated_at: row.try_get(10)?,
        pushed_at: row.try_get(11)?,
        fork_id: row.try_get(12)?,
    })
}

/// The three columns of a [`RepoAccess`] of the user bound as `$1`, over `repositories r`.
/// Each is one lookup by primary key (the team one, by repository then team membership).
/// Stored levels are words, so the highest team permission is found through their rank.
macro_rules! access_cols {
    () => {
        access_cols!("$1")
    };
    ($user:literal) => {
        concat!(
            "(SELECT c.level FROM repo_collaborators c
               WHERE c.repo_id = r.id AND c.user_id = ",
            $user,
            "),
             (SELECT CAST(MAX(CASE t.permission
                                  WHEN 'read' THEN 1 WHEN 'write' THEN 2 WHEN 'admin' THEN 3
                              END) AS BIGINT)
                FROM repo_teams rt
                JOIN team_members tm ON tm.team_id = rt.team_id AND tm.user_id = ",
            $user,
            "
                JOIN teams t ON t.id = rt.team_id
               WHERE rt.repo_id = r.id),
             (SELECT m.role FROM org_members m WHERE m.org_id = r.owner_id AND m.user_id = ",
            $user,
            ")"
        )
    };
}

/// Reads [`access_cols!`] starting at column `i`.
fn access_at(row: &AnyRow, i: usize) -> Result<RepoAccess, sqlx::Error> {
    let collaborator: Option<String> = row.try_get(i)?;
    let team: Option<i64> = row.try_get(i + 1)?;
    let org_role: Option<String> = row.try_get(i + 2)?;
    Ok(RepoAccess {
        collaborator: collaborator.as_deref().map(parse_stored).transpose()?,
        team: team.map(level_of_rank).transpose()?,
        org_role: org_role.as_deref().map(parse_stored).transpose()?,
    })
}

/// The inverse of the rank in [`access_cols!`].
fn level_of_rank(rank: i64) -> Result<AccessLevel, sqlx::Error> {
    match rank {
        1 => Ok(AccessLevel::Read),
        2 => Ok(AccessLevel::Write),
        3 => Ok(AccessLevel::Admin),
        _ => Err(sqlx::Error::Decode(
            format!("unexpected access level rank {rank}").into(),
        )),
    }
}

/// The most repository ids [`Store::repo_access_many`] binds in one statement; well below
/// SQLite's and PostgreSQL's limits on parameters.
const ACCESS_BATCH: usize = 512;

impl Store {
    /// `Conflict(Name)` when the owner has a repository of that name in any case; `NotFound`
    /// when the owner does not exist.
    pub async fn create_repo(&self, new: NewRepo<'_>) -> Result<Repo, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO repositories (owner_id, name, lower_name, description, is_private,
                 default_branch, read_only, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
            returning_repo!()
        ))
        .bind(new.owner_id)
        .bind(new.name.as_str())
        .bind(new.name.lower())
        .bind(new.description)
        .bind(i64::from(new.is_private))
        .bind(new.default_branch)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        Ok(repo_at(&row)?)
    }

    /// Like [`Store::create_repo`], recording `parent_id` as the repository it is a fork of
    /// (`NotFound` when the parent was deleted meanwhile).
    pub async fn create_fork(&self, new: NewRepo<'_>, parent_id: i64) -> Result<Repo, StoreError> {
        let row = sqlx::query(concat!(
            "INSERT INTO repositories (owner_id, name, lower_name, description, is_private,
                 default_branch, read_only, created_at, updated_at, fork_id)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7, $8)",
            returning_repo!()
        ))
        .bind(new.owner_id)
        .bind(new.name.as_str())
        .bind(new.name.lower())
        .bind(new.description)
        .bind(i64::from(new.is_private))
        .bind(new.default_branch)
        .bind(now_ms())
        .bind(parent_id)
        .fetch_one(self.pool())
        .await?;
        Ok(repo_at(&row)?)
    }

    /// The forks of a repository, private ones included (callers filter with the policy),
    /// oldest first.
    pub async fn forks_of(&self, parent_id: i64) -> Result<Vec<Repo>, StoreError> {
        let rows = sqlx::query(concat!(
            select_repo!(),
            " WHERE r.fork_id = $1 ORDER BY r.created_at, r.id"
        ))
        .bind(parent_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(repo_at).collect::<Result<_, _>>()?)
    }

    /// What the header of a repository's pages counts, in one query: every page of the
    /// repository shows these, so they cost one round trip instead of one each.
    pub async fn repo_counts(&self, repo_id: i64) -> Result<RepoCounts, StoreError> {
        let row = sqlx::query(
            "SELECT
               (SELECT COUNT(*) FROM issues WHERE repo_id = $1 AND is_pull = 0 AND is_closed = 0),
               (SELECT COUNT(*) FROM issues WHERE repo_id = $1 AND is_pull = 1 AND is_closed = 0),
               (SELECT COUNT(*) FROM releases
                 WHERE repo_id = $1 AND is_draft = 0 AND is_candidate = 0),
               (SELECT COUNT(*) FROM repositories WHERE fork_id = $1 AND is_private = 0),
               (SELECT COUNT(*) FROM repositories WHERE fork_id = $1 AND is_private <> 0),
               (SELECT COUNT(*) FROM repo_imports WHERE repo_id = $1)",
        )
        .bind(repo_id)
        .fetch_one(self.pool())
        .await?;
        Ok(RepoCounts {
            open_issues: row.try_get(0)?,
            open_pulls: row.try_get(1)?,
            releases: row.try_get(2)?,
            public_forks: row.try_get(3)?,
            private_forks: row.try_get(4)?,
            imports: row.try_get(5)?,
        })
    }

    /// Owner and repository names both compare case-insensitively.
    pub async fn repo_by_name(&self, owner: &str, name: &str) -> Result<Option<Repo>, StoreError> {
        let row = sqlx::query(concat!(
            select_repo!(),
            " WHERE a.lower_name = $1 AND r.lower_name = $2"
        ))
        .bind(owner.to_ascii_lowercase())
        .bind(name.to_ascii_lowercase())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| repo_at(&r)).transpose()?)
    }

    pub async fn repo_by_id(&self, id: i64) -> Result<Option<Repo>, StoreError> {
        let row = sqlx::query(concat!(select_repo!(), " WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| repo_at(&r)).transpose()?)
    }

    /// Every repository of the owner, private ones included: callers filter with the policy
    /// (see [`Store::repo_access_many`]). Most recently updated first, then by name.
    pub async fn repos_of_owner(&self, owner_id: i64) -> Result<Vec<Repo>, StoreError> {
        // The owner's rows come from the (owner_id, lower_name) index; an owner has few
        // enough repositories that sorting them beats keeping an index on updated_at, which
        // every push would have to update.
        let rows = sqlx::query(concat!(
            select_repo!(),
            " WHERE r.owner_id = $1 ORDER BY r.updated_at DESC, r.lower_name"
        ))
        .bind(owner_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(repo_at).collect::<Result<_, _>>()?)
    }

    /// `NotFound` when there is no such repository.
    pub async fn update_repo(
        &self,
        id: i64,
        description: &str,
        is_private: bool,
        default_branch: &str,
    ) -> Result<Repo, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE repositories
             SET description = $2, is_private = $3, default_branch = $4,
                 updated_at = CASE WHEN updated_at > $5 THEN updated_at ELSE $5 END
             WHERE id = $1",
            returning_repo!()
        ))
        .bind(id)
        .bind(description)
        .bind(i64::from(is_private))
        .bind(default_branch)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(repo_at(&row)?),
            None => Err(StoreError::NotFound),
        }
    }

    /// `NotFound` when there is no such repository.
    pub async fn set_repo_read_only(&self, id: i64, read_only: bool) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE repositories
             SET read_only = $2, updated_at = CASE WHEN updated_at > $3 THEN updated_at ELSE $3 END
             WHERE id = $1",
        )
        .bind(id)
        .bind(i64::from(read_only))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Records an accepted push at `now_ms` in `pushed_at` and `updated_at`. Neither moves
    /// backwards, so pushes finishing out of order (or on servers whose clocks differ a
    /// little) leave the latest time. `NotFound` when there is no such repository.
    pub async fn touch_repo_pushed(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE repositories
             SET pushed_at = CASE WHEN pushed_at > $2 THEN pushed_at ELSE $2 END,
                 updated_at = CASE WHEN updated_at > $2 THEN updated_at ELSE $2 END
             WHERE id = $1",
        )
        .bind(id)
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Its collaborators and team links go with it (foreign keys cascade). The directory on
    /// disk is the caller's to remove. `NotFound` when there is no such repository.
    pub async fn delete_repo(&self, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM repositories WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The user's relations to the repository, in one query. `NotFound` when there is no
    /// such repository.
    pub async fn repo_access(&self, repo_id: i64, user_id: i64) -> Result<RepoAccess, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            access_cols!(),
            " FROM repositories r WHERE r.id = $2"
        ))
        .bind(user_id)
        .bind(repo_id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(access_at(&row, 0)?),
            None => Err(StoreError::NotFound),
        }
    }

    /// [`Store::repo_access`] for many repositories at once, for lists: one query per 512
    /// ids. Every id of an existing repository is in the map (with a default `RepoAccess`
    /// when the user has no relation to it); ids of missing repositories are not.
    pub async fn repo_access_many(
        &self,
        repo_ids: &[i64],
        user_id: i64,
    ) -> Result<HashMap<i64, RepoAccess>, StoreError> {
        let mut ids = repo_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(ACCESS_BATCH) {
            // Pad the list to a power of two by repeating an id, so lists of any length share
            // a handful of statements in each connection's prepared-statement cache.
            let width = chunk.len().next_power_of_two();
            let placeholders = (0..width)
                .map(|i| format!("${}", i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            // Only numbered placeholders are spliced in; the ids are bound.
            let sql = format!(
                concat!(
                    "SELECT r.id, ",
                    access_cols!(),
                    " FROM repositories r WHERE r.id IN ({})"
                ),
                placeholders
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id);
            for i in 0..width {
                query = query.bind(chunk[i.min(chunk.len() - 1)]);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.insert(row.try_get::<i64, _>(0)?, access_at(&row, 1)?);
            }
        }
        Ok(out)
    }

    /// [`Store::repo_access`] of many users to one repository, in one query per 512 ids:
    /// for lists of people (assignees, mentions). Every id of an existing user is in the map;
    /// an empty map when the repository does not exist.
    pub async fn repo_access_of_users(
        &self,
        repo_id: i64,
        user_ids: &[i64],
    ) -> Result<HashMap<i64, RepoAccess>, StoreError> {
        let mut ids = user_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(ACCESS_BATCH) {
            let width = chunk.len().next_power_of_two();
            let placeholders = (0..width)
                .map(|i| format!("${}", i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            // Only numbered placeholders are spliced in; the ids are bound.
            let sql = format!(
                concat!(
                    "SELECT u.id, ",
                    access_cols!("u.id"),
                    " FROM repositories r JOIN accounts u ON u.id IN ({})
                     WHERE r.id = $1"
                ),
                placeholders
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(repo_id);
            for i in 0..width {
                query = query.bind(chunk[i.min(chunk.len() - 1)]);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.insert(row.try_get::<i64, _>(0)?, access_at(&row, 1)?);
            }
        }
        Ok(out)
    }

    /// By user name.
    pub async fn collaborators(&self, repo_id: i64) -> Result<Vec<Collaborator>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_cols!("a."),
            ", c.level, c.created_at
             FROM repo_collaborators c JOIN accounts a ON a.id = c.user_id
             WHERE c.repo_id = $1
             ORDER BY a.lower_name"
        ))
        .bind(repo_id)
        .fetch_all(self.pool())
        .await?;
        let collaborators = rows
            .iter()
            .map(|row| {
                Ok(Collaborator {
                    user: user_at(row, 0)?,
                    level: parse_stored(row.try_get(USER_WIDTH)?)?,
                    since: row.try_get(USER_WIDTH + 1)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(collaborators)
    }

    /// Makes the user a collaborator at `level`, or changes their level (keeping `since`).
    /// `NotFound` when the repository does not exist or `user_id` is not a user: an
    /// organization cannot be a collaborator.
    pub async fn set_collaborator(
        &self,
        repo_id: i64,
        user_id: i64,
        level: AccessLevel,
    ) -> Result<(), StoreError> {
        // The WHERE also keeps SQLite from reading `ON CONFLICT` as a join constraint.
        let done = sqlx::query(
            "INSERT INTO repo_collaborators (repo_id, user_id, level, created_at)
             SELECT $1, a.id, $3, $4 FROM accounts a WHERE a.id = $2 AND a.kind = 0
             ON CONFLICT (repo_id, user_id) DO UPDATE SET level = excluded.level",
        )
        .bind(repo_id)
        .bind(user_id)
        .bind(level.as_str())
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// `NotFound` when the user is not a collaborator of the repository.
    pub async fn remove_collaborator(&self, repo_id: i64, user_id: i64) -> Result<(), StoreError> {
        let done =
            sqlx::query("DELETE FROM repo_collaborators WHERE repo_id = $1 AND user_id = $2")
                .bind(repo_id)
                .bind(user_id)
                .execute(self.pool())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The teams linked to the repository, by name, each with its member count. Each grants
    /// its members the team's permission.
    pub async fn repo_teams(&self, repo_id: i64) -> Result<Vec<Team>, StoreError> {
        let sql = concat!(
            "SELECT ",
            team_cols!(),
            " FROM repo_teams rt JOIN teams t ON t.id = rt.team_id
             WHERE rt.repo_id = $1
             ORDER BY t.lower_name"
        );
        let rows = sqlx::query(sql)
            .bind(repo_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(team_at).collect::<Result<_, _>>()?)
    }

    /// Links the team to the repository; idempotent. `NotFound` when either does not exist
    /// or the team is not of the organization that owns the repository.
    pub async fn add_repo_team(&self, repo_id: i64, team_id: i64) -> Result<(), StoreError> {
        // The no-op update makes an existing link count as a row, so no row at all means
        // the pair did not qualify.
        let done = sqlx::query(
            "INSERT INTO repo_teams (repo_id, team_id, created_at)
             SELECT r.id, t.id, $3 FROM repositories r, teams t
             WHERE r.id = $1 AND t.id = $2 AND t.org_id = r.owner_id
             ON CONFLICT (repo_id, team_id) DO UPDATE SET created_at = repo_teams.created_at",
        )
        .bind(repo_id)
        .bind(team_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// `NotFound` when the team is not linked to the repository.
    pub async fn remove_repo_team(&self, repo_id: i64, team_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM repo_teams WHERE repo_id = $1 AND team_id = $2")
            .bind(repo_id)
            .bind(team_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn count_repos(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM repositories")
            .fetch_one(self.pool())
            .await?)
    }

    /// How many repositories the user or organization owns. An organization that still owns
    /// some should not be deleted: [`Store::delete_org`] would delete their rows, but their
    /// directories on disk would stay.
    pub async fn count_repos_of_owner(&self, owner_id: i64) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM repositories WHERE owner_id = $1")
                .bind(owner_id)
                .fetch_one(self.pool())
                .await?,
        )
    }
}
