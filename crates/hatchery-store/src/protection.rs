//! Commit statuses (every report kept, the latest per context counts) and protected-branch
//! rules with their allowlists.

use std::collections::HashMap;

use hatchery_core::protection::{Allowlist, BranchRule};
use hatchery_core::statuses::{CommitState, NewStatus};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::issues::Person;
use crate::sql::{Binds, parse_col, person_at};
use crate::{Store, StoreError, Tx, now_ms};

/// One reported status of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    pub id: i64,
    pub repo_id: i64,
    pub sha: String,
    pub context: String,
    pub state: CommitState,
    pub target_url: String,
    pub description: String,
    /// `None` when the account was deleted.
    pub creator: Option<Person>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns [`status_at`] reads, from `commit_statuses s LEFT JOIN accounts a`. A macro
/// so the queries stay `&'static str`.
macro_rules! status_select {
    () => {
        "SELECT s.id, s.repo_id, s.sha, s.context, s.state, s.target_url, s.description,
                a.id, a.name, a.display_name, s.created_at, s.updated_at
           FROM commit_statuses s LEFT JOIN accounts a ON a.id = s.creator_id"
    };
}

fn status_at(row: &AnyRow) -> Result<CommitStatus, sqlx::Error> {
    let state: String = row.try_get(4)?;
    Ok(CommitStatus {
        id: row.try_get(0)?,
        repo_id: row.try_get(1)?,
        sha: row.try_get(2)?,
        context: row.try_get(3)?,
        state: parse_col(&state)?,
        target_url: row.try_get(5)?,
        description: row.try_get(6)?,
        creator: person_at(row, 7)?,
        created_at: row.try_get(10)?,
        updated_at: row.try_get(11)?,
    })
}

fn statuses(rows: &[AnyRow]) -> Result<Vec<CommitStatus>, StoreError> {
    rows.iter()
        .map(status_at)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A stored rule with the names behind its allowlists' ids (for forms and the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionRule {
    pub id: i64,
    pub repo_id: i64,
    pub rule: BranchRule,
    pub names: AllowlistNames,
    pub created_at: i64,
    pub updated_at: i64,
}

/// User and team names of a rule's allowlists, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowlistNames {
    pub push_users: Vec<String>,
    pub push_teams: Vec<String>,
    pub force_push_users: Vec<String>,
    pub force_push_teams: Vec<String>,
    pub merge_users: Vec<String>,
    pub merge_teams: Vec<String>,
}

/// The columns [`rule_at`] reads.
macro_rules! rule_select {
    () => {
        "SELECT id, repo_id, rule_name, enable_push, enable_push_allowlist, enable_force_push,
                enable_force_push_allowlist, enable_deletion, enable_merge_allowlist,
                enable_status_check, status_check_contexts, required_approvals,
                block_on_rejected_reviews, dismiss_stale_approvals, admins_bypass,
                require_signoff, require_linear_history, created_at, updated_at
           FROM branch_protections"
    };
}

fn rule_at(row: &AnyRow) -> Result<ProtectionRule, sqlx::Error> {
    let flag = |i: usize| -> Result<bool, sqlx::Error> { Ok(row.try_get::<i64, _>(i)? != 0) };
    let contexts: String = row.try_get(10)?;
    let approvals: i64 = row.try_get(11)?;
    let list = |enabled| Allowlist {
        enabled,
        ..Allowlist::default()
    };
    Ok(ProtectionRule {
        id: row.try_get(0)?,
        repo_id: row.try_get(1)?,
        rule: BranchRule {
            rule_name: row.try_get(2)?,
            enable_push: flag(3)?,
            push_allowlist: list(flag(4)?),
            enable_force_push: flag(5)?,
            force_push_allowlist: list(flag(6)?),
            enable_deletion: flag(7)?,
            merge_allowlist: list(flag(8)?),
            enable_status_check: flag(9)?,
            status_check_contexts: contexts.lines().map(str::to_owned).collect(),
            required_approvals: u32::try_from(approvals).unwrap_or(0),
            block_on_rejected_reviews: flag(12)?,
            dismiss_stale_approvals: flag(13)?,
            admins_bypass: flag(14)?,
            require_signoff: flag(15)?,
            require_linear_history: flag(16)?,
        },
        names: AllowlistNames::default(),
        created_at: row.try_get(17)?,
        updated_at: row.try_get(18)?,
    })
}

/// The three allowlists by their stored name.
const LISTS: [&str; 3] = ["push", "force_push", "merge"];

fn list_mut<'a>(
    rule: &'a mut ProtectionRule,
    list: &str,
) -> Option<(&'a mut Allowlist, &'a mut Vec<String>, &'a mut Vec<String>)> {
    let n = &mut rule.names;
    match list {
        "push" => Some((
            &mut rule.rule.push_allowlist,
            &mut n.push_users,
            &mut n.push_teams,
        )),
        "force_push" => Some((
            &mut rule.rule.force_push_allowlist,
            &mut n.force_push_users,
            &mut n.force_push_teams,
        )),
        "merge" => Some((
            &mut rule.rule.merge_allowlist,
            &mut n.merge_users,
            &mut n.merge_teams,
        )),
        _ => None,
    }
}

/// Binds `$1`..`$15` of the rule's columns, in the order both statements name them (a
/// macro: the insert is a scalar query, the update a plain one).
macro_rules! bind_rule {
    ($q:expr, $rule:expr $(,)?) => {{
        let rule: &BranchRule = $rule;
        let b = |v: bool| i64::from(v);
        $q.bind(rule.rule_name.clone())
            .bind(b(rule.enable_push))
            .bind(b(rule.push_allowlist.enabled))
            .bind(b(rule.enable_force_push))
            .bind(b(rule.force_push_allowlist.enabled))
            .bind(b(rule.enable_deletion))
            .bind(b(rule.merge_allowlist.enabled))
            .bind(b(rule.enable_status_check))
            .bind(rule.status_check_contexts.join("\n"))
            .bind(i64::from(rule.required_approvals))
            .bind(b(rule.block_on_rejected_reviews))
            .bind(b(rule.dismiss_stale_approvals))
            .bind(b(rule.admins_bypass))
            .bind(b(rule.require_signoff))
            .bind(b(rule.require_linear_history))
    }};
}

impl Store {
    /// Records a status report; `sha` must be a full lower-case commit id.
    pub async fn add_commit_status(
        &self,
        repo_id: i64,
        sha: &str,
        status: &NewStatus,
        creator_id: i64,
    ) -> Result<CommitStatus, StoreError> {
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO commit_statuses
                 (repo_id, sha, context, state, target_url, description, creator_id,
                  created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
             RETURNING id",
        )
        .bind(repo_id)
        .bind(sha)
        .bind(&status.context)
        .bind(status.state.as_str())
        .bind(&status.target_url)
        .bind(&status.description)
        .bind(creator_id)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        let row = sqlx::query(concat!(status_select!(), " WHERE s.id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        Ok(status_at(&row)?)
    }

    /// Every status reported for a commit, newest first, one page, and how many there are.
    pub async fn commit_status_history(
        &self,
        repo_id: i64,
        sha: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CommitStatus>, i64), StoreError> {
        let rows = sqlx::query(concat!(
            status_select!(),
            " WHERE s.repo_id = $1 AND s.sha = $2 ORDER BY s.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(repo_id)
        .bind(sha)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM commit_statuses WHERE repo_id = $1 AND sha = $2",
        )
        .bind(repo_id)
        .bind(sha)
        .fetch_one(self.pool())
        .await?;
        Ok((statuses(&rows)?, total))
    }

    /// The latest status of each context of each of `shas`, contexts in name order. Commits
    /// without statuses are absent from the map.
    pub async fn latest_commit_statuses(
        &self,
        repo_id: i64,
        shas: &[String],
    ) -> Result<HashMap<String, Vec<CommitStatus>>, StoreError> {
        let mut out: HashMap<String, Vec<CommitStatus>> = HashMap::new();
        if shas.is_empty() {
            return Ok(out);
        }
        let mut binds = Binds::default();
        let repo = binds.int(repo_id);
        let list: Vec<String> = shas.iter().map(|s| binds.text(s.clone())).collect();
        let sql = format!(
            "{} WHERE s.id IN (SELECT MAX(id) FROM commit_statuses
                              WHERE repo_id = {repo} AND sha IN ({})
                              GROUP BY sha, context)
              ORDER BY s.sha, s.context",
            status_select!(),
            list.join(", ")
        );
        // Only placeholders are spliced in; the values are bound.
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        for s in statuses(&rows)? {
            out.entry(s.sha.clone()).or_default().push(s);
        }
        Ok(out)
    }

    /// A repository's protection rules, oldest first (ties between equally specific
    /// globs go to the older rule).
    pub async fn protection_rules(&self, repo_id: i64) -> Result<Vec<ProtectionRule>, StoreError> {
        let rows = sqlx::query(concat!(rule_select!(), " WHERE repo_id = $1 ORDER BY id"))
            .bind(repo_id)
            .fetch_all(self.pool())
            .await?;
        let mut rules = rows
            .iter()
            .map(rule_at)
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        self.fill_allowlists(repo_id, &mut rules).await?;
        Ok(rules)
    }

    /// The rule named exactly `rule_name`.
    pub async fn protection_rule(
        &self,
        repo_id: i64,
        rule_name: &str,
    ) -> Result<Option<ProtectionRule>, StoreError> {
        Ok(self
            .protection_rules(repo_id)
            .await?
            .into_iter()
            .find(|r| r.rule.rule_name == rule_name))
    }

    async fn fill_allowlists(
        &self,
        repo_id: i64,
        rules: &mut [ProtectionRule],
    ) -> Result<(), StoreError> {
        if rules.is_empty() {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT l.protection_id, l.list, l.user_id, a.name, l.team_id, t.name
               FROM branch_protection_allowlist l
               JOIN branch_protections p ON p.id = l.protection_id
               LEFT JOIN accounts a ON a.id = l.user_id
               LEFT JOIN teams t ON t.id = l.team_id
              WHERE p.repo_id = $1
              ORDER BY a.lower_name, t.lower_name",
        )
        .bind(repo_id)
        .fetch_all(self.pool())
        .await?;
        for row in rows {
            let pid: i64 = row.try_get(0)?;
            let list: String = row.try_get(1)?;
            let Some(rule) = rules.iter_mut().find(|r| r.id == pid) else {
                continue;
            };
            let Some((ids, users, teams)) = list_mut(rule, &list) else {
                continue;
            };
            if let Some(uid) = row.try_get::<Option<i64>, _>(2)? {
                ids.user_ids.push(uid);
                users.push(row.try_get(3)?);
            }
            if let Some(tid) = row.try_get::<Option<i64>, _>(4)? {
                ids.team_ids.push(tid);
                teams.push(row.try_get(5)?);
            }
        }
        Ok(())
    }

    /// Stores a new rule (already validated). A rule of the same name is a
    /// `Conflict(Name)`; an allowlisted user or team deleted meanwhile is `NotFound`.
    pub async fn create_protection_rule(
        &self,
        repo_id: i64,
        rule: &BranchRule,
    ) -> Result<ProtectionRule, StoreError> {
        let mut tx = self.write_tx().await?;
        let now = now_ms();
        let id: i64 = bind_rule!(
            sqlx::query_scalar(
                "INSERT INTO branch_protections
                     (rule_name, enable_push, enable_push_allowlist, enable_force_push,
                      enable_force_push_allowlist, enable_deletion, enable_merge_allowlist,
                      enable_status_check, status_check_contexts, required_approvals,
                      block_on_rejected_reviews, dismiss_stale_approvals, admins_bypass,
                      require_signoff, require_linear_history, repo_id, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                         $16, $17, $17)
                 RETURNING id",
            ),
            rule,
        )
        .bind(repo_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        write_allowlists(&mut tx, id, rule).await?;
        tx.commit().await?;
        self.rule_by_id(repo_id, id).await
    }

    /// Replaces rule `id` of the repository (a rename included).
    pub async fn update_protection_rule(
        &self,
        repo_id: i64,
        id: i64,
        rule: &BranchRule,
    ) -> Result<ProtectionRule, StoreError> {
        let mut tx = self.write_tx().await?;
        let changed = bind_rule!(
            sqlx::query(
                "UPDATE branch_protections SET
                     rule_name = $1, enable_push = $2, enable_push_allowlist = $3,
                     enable_force_push = $4, enable_force_push_allowlist = $5,
                     enable_deletion = $6, enable_merge_allowlist = $7,
                     enable_status_check = $8, status_check_contexts = $9,
                     required_approvals = $10, block_on_rejected_reviews = $11,
                     dismiss_stale_approvals = $12, admins_bypass = $13,
                     require_signoff = $14, require_linear_history = $15, updated_at = $18
                  WHERE repo_id = $16 AND id = $17",
            ),
            rule,
        )
        .bind(repo_id)
        .bind(id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM branch_protection_allowlist WHERE protection_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        write_allowlists(&mut tx, id, rule).await?;
        tx.commit().await?;
        self.rule_by_id(repo_id, id).await
    }

    /// Deletes the rule named exactly `rule_name`; false when there was none.
    pub async fn delete_protection_rule(
        &self,
        repo_id: i64,
        rule_name: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM branch_protections WHERE repo_id = $1 AND rule_name = $2")
                .bind(repo_id)
                .bind(rule_name)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The teams of organization `org_id` that `user_id` belongs to (what allowlists of
    /// teams are checked against).
    pub async fn user_team_ids(&self, org_id: i64, user_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT t.id FROM teams t JOIN team_members m ON m.team_id = t.id
              WHERE t.org_id = $1 AND m.user_id = $2 ORDER BY t.id",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }

    async fn rule_by_id(&self, repo_id: i64, id: i64) -> Result<ProtectionRule, StoreError> {
        self.protection_rules(repo_id)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)
    }
}

async fn write_allowlists(tx: &mut Tx, id: i64, rule: &BranchRule) -> Result<(), StoreError> {
    let lists = [
        &rule.push_allowlist,
        &rule.force_push_allowlist,
        &rule.merge_allowlist,
    ];
    for (name, list) in LISTS.iter().zip(lists) {
        for &uid in &list.user_ids {
            sqlx::query(
                "INSERT INTO branch_protection_allowlist (protection_id, list, user_id)
                 VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(*name)
            .bind(uid)
            .execute(&mut **tx)
            .await?;
        }
        for &tid in &list.team_ids {
            sqlx::query(
                "INSERT INTO branch_protection_allowlist (protection_id, list, team_id)
                 VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(*name)
            .bind(tid)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
