//! Repositories across owners, for lists that page: a user's own and shared repositories,
//! and searches. Filtered, ordered and paged in SQL, with the total for the pagination
//! headers, so a long list never travels whole.
//!
//! The visibility filter narrows by the same rules as the permission policy (owners, org
//! owners, collaborators and linked teams reach private repositories); callers still check
//! every row they show with `hatchery_core::authorize`, so a divergence could only hide a
//! repository, never reveal one.

use hatchery_core::OrgRole;
use sqlx::AssertSqlSafe;
use sqlx::Row;

use crate::repos::{SELECT_REPO, repo_at};
use crate::sql::{Binds, like_pattern};
use crate::{Backend, Repo, Store, StoreError};

/// Which repositories a search may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RepoVisibility {
    /// Every repository (what a site administrator may read).
    All,
    /// Public repositories only (what an anonymous caller may read).
    #[default]
    Public,
    /// Public repositories and the private ones the user reaches.
    PublicAndReachableBy(i64),
}

/// How results are ordered; ties are broken by id so pages never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RepoOrder {
    /// By repository name, then owner name.
    #[default]
    Alpha,
    Created,
    Updated,
    Id,
}

#[derive(Debug, Clone, Default)]
pub struct RepoSearch {
    pub visibility: RepoVisibility,
    /// Only repositories this account owns or, unless `owned_only`, that this user reaches
    /// as a collaborator, through a team, or as an owner of the owning organization.
    pub related_to: Option<i64>,
    pub owned_only: bool,
    /// Words the repository name (or, with `in_description`, the description) contains,
    /// case-insensitively; empty: no filter.
    pub keyword: String,
    pub in_description: bool,
    /// `Some(true)`: private ones only; `Some(false)`: public ones only.
    pub private: Option<bool>,
    /// `Some(true)`: read-only (archived) ones only; `Some(false)`: writable ones only.
    pub read_only: Option<bool>,
    pub order: RepoOrder,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone)]
pub struct RepoSearchPage {
    pub repos: Vec<Repo>,
    /// How many match, over all pages.
    pub total: i64,
}

/// The repositories (`r`) the user bound as `user` reaches besides public ones: owned, as a
/// collaborator, through a team linked to the repository, or as an owner of the owning
/// organization (who administers all its repositories). Each branch is served by an index
/// on the user's id.
fn reachable(user: &str, owner_role: &str) -> String {
    format!(
        "(r.owner_id = {user}
          OR r.id IN (SELECT c.repo_id FROM repo_collaborators c WHERE c.user_id = {user})
          OR r.id IN (SELECT rt.repo_id FROM repo_teams rt
                        JOIN team_members tm ON tm.team_id = rt.team_id
                       WHERE tm.user_id = {user})
          OR r.owner_id IN (SELECT m.org_id FROM org_members m
                             WHERE m.user_id = {user} AND m.role = {owner_role}))"
    )
}

impl Store {
    /// One page of the repositories matching `q`, and how many match in all.
    pub async fn search_repos(&self, q: &RepoSearch) -> Result<RepoSearchPage, StoreError> {
        let mut binds = Binds::default();
        let mut conds: Vec<String> = Vec::new();
        match q.visibility {
            RepoVisibility::All => {}
            RepoVisibility::Public => conds.push("r.is_private = 0".to_owned()),
            RepoVisibility::PublicAndReachableBy(user_id) => {
                let user = binds.int(user_id);
                let role = binds.text(OrgRole::Owner.as_str().to_owned());
                conds.push(format!("(r.is_private = 0 OR {})", reachable(&user, &role)));
            }
        }
        if let Some(account) = q.related_to {
            let account = binds.int(account);
            if q.owned_only {
                conds.push(format!("r.owner_id = {account}"));
            } else {
                let role = binds.text(OrgRole::Owner.as_str().to_owned());
                conds.push(reachable(&account, &role));
            }
        }
        let keyword = q.keyword.trim();
        if !keyword.is_empty() {
            let name = binds.text(like_pattern(&keyword.to_lowercase()));
            if q.in_description {
                let like = match self.backend() {
                    Backend::Postgres => "ILIKE",
                    Backend::Sqlite => "LIKE",
                };
                let text = binds.text(like_pattern(keyword));
                conds.push(format!(
                    "(r.lower_name LIKE {name} ESCAPE '\\' OR r.description {like} {text} ESCAPE '\\')"
                ));
            } else {
                conds.push(format!("r.lower_name LIKE {name} ESCAPE '\\'"));
            }
        }
        if let Some(private) = q.private {
            conds.push(format!("r.is_private = {}", i64::from(private)));
        }
        if let Some(read_only) = q.read_only {
            conds.push(format!("r.read_only = {}", i64::from(read_only)));
        }
        let filter = if conds.is_empty() {
            "1 = 1".to_owned()
        } else {
            conds.join(" AND ")
        };
        let count_sql = format!(
            "SELECT COUNT(*) FROM repositories r JOIN accounts a ON a.id = r.owner_id WHERE {filter}"
        );
        let total: i64 = binds
            .apply(sqlx::query(AssertSqlSafe(count_sql)))
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        if total == 0 || q.limit <= 0 {
            return Ok(RepoSearchPage {
                repos: Vec::new(),
                total,
            });
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = match q.order {
            RepoOrder::Alpha => format!("r.lower_name {dir}, a.lower_name {dir}, r.id {dir}"),
            RepoOrder::Created => format!("r.created_at {dir}, r.id {dir}"),
            RepoOrder::Updated => format!("r.updated_at {dir}, r.id {dir}"),
            RepoOrder::Id => format!("r.id {dir}"),
        };
        let limit = binds.int(q.limit);
        let offset = binds.int(q.offset.max(0));
        // Only placeholders and fixed words are spliced in; every value is bound.
        let sql =
            format!("{SELECT_REPO} WHERE {filter} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        Ok(RepoSearchPage {
            repos: rows.iter().map(repo_at).collect::<Result<_, _>>()?,
            total,
        })
    }
}
