//! Pull requests: the head and base of an issue row that is a pull request, the head's
//! movements (recorded in the issue's timeline), the cached mergeability, the merged state,
//! and each repository's merge settings.
//!
//! As for issues, the store applies no permission rule. What it guarantees: a request and
//! its issue row are created together with the issue sequence's next number; at most one
//! open request per (base branch, head repository, head branch); a head moves only from the
//! value its mover saw (compare-and-swap), so two pushes racing record each movement once;
//! a request is marked merged once.

use std::collections::HashMap;

use hatchery_core::issues::EventKind;
use hatchery_core::pulls::{MergeSettings, MergeStyle, Mergeable};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::issues::{EventRow, insert_event, insert_issue};
use crate::sql::{Binds, parse_col, person_at};
use crate::{Issue, NewIssue, Person, Store, StoreError, now_ms};

/// The value of the `closed` event of a request closed because its head repository (a
/// fork) was deleted.
pub const HEAD_DELETED: &str = "head_deleted";

/// The pull-request side of an issue row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub issue_id: i64,
    pub base_repo_id: i64,
    pub base_branch: String,
    /// `None` once the head's repository is deleted.
    pub head_repo_id: Option<i64>,
    pub head_branch: String,
    /// The head commit as of the last push seen.
    pub head_oid: String,
    /// The merge base of that head with the base branch then; empty when unknown.
    pub merge_base: String,
    pub is_draft: bool,
    pub merged: Option<Merged>,
    /// The last mergeability check, for the (base, head) pair it was made for.
    pub check: Option<MergeCheck>,
}

/// How and when a request was merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub at: i64,
    /// `None` once the account is deleted.
    pub by: Option<Person>,
    pub commit: String,
    pub style: Option<MergeStyle>,
}

/// A cached mergeability check: valid while the base and head are still these commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeCheck {
    pub base_oid: String,
    pub head_oid: String,
    pub mergeable: Mergeable,
    pub conflict_files: Vec<String>,
}

impl PullRequest {
    /// The cached check, if it was made for exactly these commits.
    pub fn check_for(&self, base_oid: &str, head_oid: &str) -> Option<&MergeCheck> {
        self.check
            .as_ref()
            .filter(|c| c.base_oid == base_oid && c.head_oid == head_oid)
    }
}

/// What opening a pull request stores besides its issue row.
#[derive(Debug, Clone)]
pub struct NewPull<'a> {
    pub issue: NewIssue<'a>,
    pub base_branch: &'a str,
    pub head_repo_id: i64,
    pub head_branch: &'a str,
    pub head_oid: &'a str,
    pub merge_base: &'a str,
    pub is_draft: bool,
}

/// A movement of a request's head, as a push made it.
#[derive(Debug, Clone)]
pub struct HeadMove<'a> {
    pub issue_id: i64,
    /// The head the mover saw; the move is refused (returns `false`) if it is not current.
    pub old_oid: &'a str,
    pub new_oid: &'a str,
    pub merge_base: &'a str,
    /// `false`: the new head contains the old one ("pushed N commits"); `true`: rewritten.
    pub forced: bool,
    /// How many commits the push added (for the timeline).
    pub commits: usize,
    pub actor_id: Option<i64>,
}

const PULL_COLS: &str = "pr.issue_id, pr.base_repo_id, pr.base_branch, pr.head_repo_id,
    pr.head_branch, pr.head_oid, pr.merge_base, pr.is_draft, pr.merged_at, pr.merge_commit,
    pr.merge_style, pr.check_base_oid, pr.check_head_oid, pr.mergeable, pr.conflict_files,
    m.id, m.name, m.display_name";

const PULL_FROM: &str = "pull_requests pr LEFT JOIN accounts m ON m.id = pr.merged_by";

fn pull_at(row: &AnyRow) -> Result<PullRequest, sqlx::Error> {
    let merged_at: Option<i64> = row.try_get(8)?;
    let merge_commit: Option<String> = row.try_get(9)?;
    let style: Option<String> = row.try_get(10)?;
    let check_base: Option<String> = row.try_get(11)?;
    let check_head: Option<String> = row.try_get(12)?;
    let mergeable: Option<String> = row.try_get(13)?;
    let files: String = row.try_get(14)?;
    let merged = match merged_at {
        Some(at) => Some(Merged {
            at,
            by: person_at(row, 15)?,
            commit: merge_commit.unwrap_or_default(),
            style: style.as_deref().map(parse_col).transpose()?,
        }),
        None => None,
    };
    let check = match (check_base, check_head, mergeable) {
        (Some(base_oid), Some(head_oid), Some(m)) => Some(MergeCheck {
            base_oid,
            head_oid,
            mergeable: parse_col(&m)?,
            conflict_files: files.lines().map(str::to_owned).collect(),
        }),
        _ => None,
    };
    Ok(PullRequest {
        issue_id: row.try_get(0)?,
        base_repo_id: row.try_get(1)?,
        base_branch: row.try_get(2)?,
        head_repo_id: row.try_get(3)?,
        head_branch: row.try_get(4)?,
        head_oid: row.try_get(5)?,
        merge_base: row.try_get(6)?,
        is_draft: row.try_get::<i64, _>(7)? != 0,
        merged,
        check,
    })
}

impl Store {
    /// Opens a pull request: its issue row (next number of the base repository) and its
    /// head and base, in one transaction. `Conflict` when an open request already goes
    /// from the same head branch to the same base branch.
    pub async fn create_pull(&self, new: NewPull<'_>) -> Result<(Issue, PullRequest), StoreError> {
        let mut tx = self.write_tx().await?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT pr.issue_id FROM pull_requests pr JOIN issues i ON i.id = pr.issue_id
              WHERE pr.base_repo_id = $1 AND pr.base_branch = $2 AND pr.head_repo_id = $3
                AND pr.head_branch = $4 AND i.is_closed = 0",
        )
        .bind(new.issue.repo_id)
        .bind(new.base_branch)
        .bind(new.head_repo_id)
        .bind(new.head_branch)
        .fetch_optional(&mut *tx)
        .await?;
        if existing.is_some() {
            return Err(StoreError::Conflict(crate::ConflictField::Name));
        }
        let id = insert_issue(&mut tx, &new.issue, true).await?;
        sqlx::query(
            "INSERT INTO pull_requests (issue_id, base_repo_id, base_branch, head_repo_id,
                 head_branch, head_oid, merge_base, is_draft)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(new.issue.repo_id)
        .bind(new.base_branch)
        .bind(new.head_repo_id)
        .bind(new.head_branch)
        .bind(new.head_oid)
        .bind(new.merge_base)
        .bind(i64::from(new.is_draft))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let issue = self.issue_by_id(id).await?.ok_or(StoreError::NotFound)?;
        let pull = self.pull(id).await?.ok_or(StoreError::NotFound)?;
        Ok((issue, pull))
    }

    /// The pull-request side of issue `issue_id`; `None` for a plain issue.
    pub async fn pull(&self, issue_id: i64) -> Result<Option<PullRequest>, StoreError> {
        let sql = format!("SELECT {PULL_COLS} FROM {PULL_FROM} WHERE pr.issue_id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(issue_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| pull_at(&r)).transpose()?)
    }

    /// The pull-request sides of these issues, by issue id (plain issues left out).
    pub async fn pulls_of_issues(
        &self,
        issue_ids: &[i64],
    ) -> Result<HashMap<i64, PullRequest>, StoreError> {
        if issue_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut binds = Binds::default();
        let list: Vec<String> = issue_ids.iter().map(|id| binds.int(*id)).collect();
        let sql = format!(
            "SELECT {PULL_COLS} FROM {PULL_FROM} WHERE pr.issue_id IN ({})",
            list.join(", ")
        );
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| pull_at(r).map(|p| (p.issue_id, p)))
            .collect::<Result<_, _>>()
            .map_err(StoreError::from)
    }

    /// Open requests whose head is `branch` of repository `head_repo_id` (what a push to
    /// that branch moves), with their issue rows.
    pub async fn open_pulls_with_head(
        &self,
        head_repo_id: i64,
        branch: &str,
    ) -> Result<Vec<(Issue, PullRequest)>, StoreError> {
        self.open_pulls_where(
            "pr.head_repo_id = $1 AND pr.head_branch = $2",
            head_repo_id,
            branch,
        )
        .await
    }

    /// Open requests from branches of repository `head_repo_id` into other repositories
    /// (a fork's requests into its network), with their issue rows.
    pub async fn open_pulls_from_repo(
        &self,
        head_repo_id: i64,
    ) -> Result<Vec<(Issue, PullRequest)>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT pr.issue_id FROM pull_requests pr JOIN issues i ON i.id = pr.issue_id
              WHERE pr.head_repo_id = $1 AND pr.base_repo_id <> $1 AND i.is_closed = 0
              ORDER BY pr.issue_id",
        )
        .bind(head_repo_id)
        .fetch_all(self.pool())
        .await?;
        let mut pulls = self.pulls_of_issues(&ids).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let (Some(issue), Some(pull)) = (self.issue_by_id(id).await?, pulls.remove(&id)) {
                out.push((issue, pull));
            }
        }
        Ok(out)
    }

    /// Closes an open request because its head repository is being deleted: the issue row
    /// is closed (reason `not_planned`) and the timeline gets a `closed` event whose value
    /// is [`HEAD_DELETED`]. Returns whether it was open (a request closes once however
    /// often this runs).
    pub async fn close_pull_head_deleted(
        &self,
        issue_id: i64,
        actor_id: Option<i64>,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        // The claim: only one caller sees the row open.
        let done = sqlx::query(
            "UPDATE issues SET is_closed = 1, close_reason = 'not_planned', closed_at = $2,
                    updated_at = $2
              WHERE id = $1 AND is_closed = 0",
        )
        .bind(issue_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert_event(
            &mut tx,
            EventRow {
                issue_id,
                actor_id,
                kind: Some(EventKind::Closed),
                value: Some(HEAD_DELETED),
                ..EventRow::default()
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Open requests into `branch` of repository `base_repo_id`.
    pub async fn open_pulls_with_base(
        &self,
        base_repo_id: i64,
        branch: &str,
    ) -> Result<Vec<(Issue, PullRequest)>, StoreError> {
        self.open_pulls_where(
            "pr.base_repo_id = $1 AND pr.base_branch = $2",
            base_repo_id,
            branch,
        )
        .await
    }

    async fn open_pulls_where(
        &self,
        cond: &'static str,
        repo_id: i64,
        branch: &str,
    ) -> Result<Vec<(Issue, PullRequest)>, StoreError> {
        let sql = format!(
            "SELECT pr.issue_id FROM pull_requests pr JOIN issues i ON i.id = pr.issue_id
              WHERE {cond} AND i.is_closed = 0 ORDER BY pr.issue_id"
        );
        let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(repo_id)
            .bind(branch)
            .fetch_all(self.pool())
            .await?;
        let mut pulls = self.pulls_of_issues(&ids).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let (Some(issue), Some(pull)) = (self.issue_by_id(id).await?, pulls.remove(&id)) {
                out.push((issue, pull));
            }
        }
        Ok(out)
    }

    /// Moves a request's head if it is still `old_oid`, recording "pushed N commits" or
    /// "force-pushed" in its timeline. Returns whether it moved.
    pub async fn move_pull_head(&self, m: HeadMove<'_>) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE pull_requests SET head_oid = $3, merge_base = $4
              WHERE issue_id = $1 AND head_oid = $2",
        )
        .bind(m.issue_id)
        .bind(m.old_oid)
        .bind(m.new_oid)
        .bind(m.merge_base)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let count = m.commits.to_string();
        insert_event(
            &mut tx,
            EventRow {
                issue_id: m.issue_id,
                actor_id: m.actor_id,
                kind: Some(if m.forced {
                    EventKind::ForcePushed
                } else {
                    EventKind::Pushed
                }),
                commit_id: Some(m.new_oid),
                old_value: Some(m.old_oid),
                value: Some(&count),
                ..EventRow::default()
            },
            now,
        )
        .await?;
        sqlx::query("UPDATE issues SET updated_at = $2 WHERE id = $1")
            .bind(m.issue_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Marks or unmarks a request as a draft. Returns whether anything changed.
    pub async fn set_pull_draft(&self, issue_id: i64, draft: bool) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE pull_requests SET is_draft = $2 WHERE issue_id = $1 AND is_draft <> $2",
        )
        .bind(issue_id)
        .bind(i64::from(draft))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Caches a mergeability check for the (base, head) pair it was made for.
    pub async fn record_merge_check(
        &self,
        issue_id: i64,
        check: &MergeCheck,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE pull_requests SET check_base_oid = $2, check_head_oid = $3, mergeable = $4,
                    conflict_files = $5
              WHERE issue_id = $1",
        )
        .bind(issue_id)
        .bind(&check.base_oid)
        .bind(&check.head_oid)
        .bind(check.mergeable.as_str())
        .bind(check.conflict_files.join("\n"))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a merge: the request is merged and its issue row closed, with a "merged"
    /// event. Returns `false` (nothing changed) when it was merged already.
    pub async fn mark_pull_merged(
        &self,
        issue_id: i64,
        merged_by: i64,
        commit: &str,
        style: MergeStyle,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE pull_requests SET merged_at = $2, merged_by = $3, merge_commit = $4,
                    merge_style = $5
              WHERE issue_id = $1 AND merged_at IS NULL",
        )
        .bind(issue_id)
        .bind(now)
        .bind(merged_by)
        .bind(commit)
        .bind(style.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert_event(
            &mut tx,
            EventRow {
                issue_id,
                actor_id: Some(merged_by),
                kind: Some(EventKind::Merged),
                commit_id: Some(commit),
                value: Some(style.as_str()),
                ..EventRow::default()
            },
            now,
        )
        .await?;
        sqlx::query(
            "UPDATE issues SET is_closed = 1, close_reason = 'completed', closed_at = $2,
                    updated_at = $2
              WHERE id = $1",
        )
        .bind(issue_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The repository's merge settings; the defaults when it never set any.
    pub async fn merge_settings(&self, repo_id: i64) -> Result<MergeSettings, StoreError> {
        let row = sqlx::query(
            "SELECT allowed, default_style, delete_branch FROM repo_merge_settings
              WHERE repo_id = $1",
        )
        .bind(repo_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            Some(r) => MergeSettings {
                delete_branch: r.try_get::<i64, _>(2)? != 0,
                ..MergeSettings::parse_stored(
                    &r.try_get::<String, _>(0)?,
                    &r.try_get::<String, _>(1)?,
                )
            },
            None => MergeSettings::default(),
        })
    }

    pub async fn set_merge_settings(
        &self,
        repo_id: i64,
        settings: &MergeSettings,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repo_merge_settings (repo_id, allowed, default_style, delete_branch)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (repo_id) DO UPDATE SET allowed = excluded.allowed,
                 default_style = excluded.default_style, delete_branch = excluded.delete_branch",
        )
        .bind(repo_id)
        .bind(settings.allowed_str())
        .bind(settings.default_style.as_str())
        .bind(i64::from(settings.delete_branch))
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
