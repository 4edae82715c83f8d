//! Issue and pull-request figures for an incubator's checklist and reports ("project
//! health"): how long issues and pull requests waited for a first answer, how many issues
//! were opened and closed and how many pull requests opened and merged in a period, and
//! who authored the merged ones. Issue figures count issues only, pull-request figures
//! pull requests only.
//!
//! A response is a comment by an account other than the issue's author; on a pull request
//! a submitted review by someone else counts too (pending ones are unseen). Comments whose
//! author is gone (a ghost) are not counted, since nobody can tell whether the author
//! answered themselves; on an issue whose own author is gone, any comment by an account
//! counts.

use sqlx::{AssertSqlSafe, Row};

use crate::{Store, StoreError};

/// Repository ids per statement: the lists are spliced in as numbered placeholders.
const REPO_BATCH: usize = 256;

/// At most this many issues are returned by [`Store::issue_first_responses`] (the newest).
pub const FIRST_RESPONSES_MAX: usize = 10_000;

/// One issue and when it was first answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssueResponse {
    pub issue_id: i64,
    pub repo_id: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The first comment by someone other than the author, unix milliseconds; `None` when
    /// there was none by the `as_of` time asked about.
    pub first_response_at: Option<i64>,
}

/// Issues opened and closed in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IssueActivity {
    /// Issues created in the period.
    pub opened: i64,
    /// Issues closed in the period (each issue once, however often it was closed and
    /// reopened then), whenever they were opened.
    pub closed: i64,
}

/// Pull requests opened and merged in a period, and who authored the merged ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullActivity {
    /// Pull requests created in the period.
    pub opened: i64,
    /// Pull requests merged in the period, whenever they were opened.
    pub merged: i64,
    /// The authors of the requests merged in the period with how many each, most first
    /// (then by name); authors whose account is gone are left out.
    pub merged_by_author: Vec<(String, i64)>,
}

/// `$first, $first+1, ...` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unique(ids: &[i64]) -> Vec<i64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

impl Store {
    /// The issues of `repo_ids` created in `[created_from_ms, created_to_ms)`, each with its
    /// first response made at or before `as_of_ms`; oldest first, at most
    /// [`FIRST_RESPONSES_MAX`] (the newest of them when there are more).
    pub async fn issue_first_responses(
        &self,
        repo_ids: &[i64],
        created_from_ms: i64,
        created_to_ms: i64,
        as_of_ms: i64,
    ) -> Result<Vec<IssueResponse>, StoreError> {
        self.first_responses(false, repo_ids, created_from_ms, created_to_ms, as_of_ms)
            .await
    }

    /// [`Store::issue_first_responses`] for pull requests: the first comment or submitted
    /// review by someone other than the author.
    pub async fn pull_first_responses(
        &self,
        repo_ids: &[i64],
        created_from_ms: i64,
        created_to_ms: i64,
        as_of_ms: i64,
    ) -> Result<Vec<IssueResponse>, StoreError> {
        self.first_responses(true, repo_ids, created_from_ms, created_to_ms, as_of_ms)
            .await
    }

    async fn first_responses(
        &self,
        pulls: bool,
        repo_ids: &[i64],
        created_from_ms: i64,
        created_to_ms: i64,
        as_of_ms: i64,
    ) -> Result<Vec<IssueResponse>, StoreError> {
        let comments = "SELECT c.created_at AS t FROM issue_comments c
                          WHERE c.issue_id = i.id
                            AND c.author_id IS NOT NULL
                            AND (i.author_id IS NULL OR c.author_id <> i.author_id)
                            AND c.created_at <= $3";
        let (kind, first) = if pulls {
            (
                1,
                format!(
                    "(SELECT MIN(x.t) FROM ({comments}
                       UNION ALL
                       SELECT r.submitted_at AS t FROM pull_reviews r
                        WHERE r.issue_id = i.id AND r.state <> 'PENDING'
                          AND r.reviewer_id IS NOT NULL
                          AND (i.author_id IS NULL OR r.reviewer_id <> i.author_id)
                          AND r.submitted_at <= $3) x)"
                ),
            )
        } else {
            (0, format!("(SELECT MIN(x.t) FROM ({comments}) x)"))
        };
        let mut out = Vec::new();
        for chunk in unique(repo_ids).chunks(REPO_BATCH) {
            // Only numbered placeholders are spliced in; every value is bound.
            let sql = format!(
                "SELECT i.id, i.repo_id, i.created_at, {first}
                   FROM issues i
                  WHERE i.created_at >= $1 AND i.created_at < $2 AND i.is_pull = {kind}
                    AND i.repo_id IN ({})
                  ORDER BY i.created_at DESC, i.id DESC
                  LIMIT {FIRST_RESPONSES_MAX}",
                placeholders(4, chunk.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql))
                .bind(created_from_ms)
                .bind(created_to_ms)
                .bind(as_of_ms);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                out.push(IssueResponse {
                    issue_id: row.try_get(0)?,
                    repo_id: row.try_get(1)?,
                    created_at: row.try_get(2)?,
                    first_response_at: row.try_get(3)?,
                });
            }
        }
        out.sort_unstable_by_key(|r| std::cmp::Reverse((r.created_at, r.issue_id)));
        out.truncate(FIRST_RESPONSES_MAX);
        out.reverse();
        Ok(out)
    }

    /// How many pull requests of `repo_ids` were opened and how many merged in
    /// `[start_ms, end_ms)`, and by whom the merged ones were written.
    pub async fn pull_activity(
        &self,
        repo_ids: &[i64],
        start_ms: i64,
        end_ms: i64,
    ) -> Result<PullActivity, StoreError> {
        let mut out = PullActivity::default();
        let mut authors: std::collections::BTreeMap<String, i64> = Default::default();
        for chunk in unique(repo_ids).chunks(REPO_BATCH) {
            let list = placeholders(3, chunk.len());
            let sql = format!(
                "SELECT
                   (SELECT CAST(COUNT(*) AS BIGINT) FROM issues i
                     WHERE i.created_at >= $1 AND i.created_at < $2 AND i.is_pull = 1
                       AND i.repo_id IN ({list})),
                   (SELECT CAST(COUNT(*) AS BIGINT) FROM pull_requests p
                     WHERE p.merged_at >= $1 AND p.merged_at < $2
                       AND p.base_repo_id IN ({list}))"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(start_ms).bind(end_ms);
            for id in chunk {
                query = query.bind(*id);
            }
            let row = query.fetch_one(self.pool()).await?;
            out.opened += row.try_get::<i64, _>(0)?;
            out.merged += row.try_get::<i64, _>(1)?;
            let sql = format!(
                "SELECT a.name, CAST(COUNT(*) AS BIGINT)
                   FROM pull_requests p JOIN issues i ON i.id = p.issue_id
                   JOIN accounts a ON a.id = i.author_id
                  WHERE p.merged_at >= $1 AND p.merged_at < $2 AND p.base_repo_id IN ({list})
                  GROUP BY a.name"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(start_ms).bind(end_ms);
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(self.pool()).await? {
                *authors.entry(row.try_get(0)?).or_default() += row.try_get::<i64, _>(1)?;
            }
        }
        out.merged_by_author = authors.into_iter().collect();
        out.merged_by_author
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    }

    /// How many issues of `repo_ids` were opened, and how many closed, in
    /// `[start_ms, end_ms)`.
    pub async fn issue_activity(
        &self,
        repo_ids: &[i64],
        start_ms: i64,
        end_ms: i64,
    ) -> Result<IssueActivity, StoreError> {
        let mut out = IssueActivity::default();
        for chunk in unique(repo_ids).chunks(REPO_BATCH) {
            let list = placeholders(3, chunk.len());
            let sql = format!(
                "SELECT
                   (SELECT CAST(COUNT(*) AS BIGINT) FROM issues i
                     WHERE i.created_at >= $1 AND i.created_at < $2 AND i.is_pull = 0
                       AND i.repo_id IN ({list})),
                   (SELECT CAST(COUNT(DISTINCT e.issue_id) AS BIGINT)
                      FROM issue_events e JOIN issues i ON i.id = e.issue_id
                     WHERE e.kind = 'closed' AND e.created_at >= $1 AND e.created_at < $2
                       AND i.is_pull = 0 AND i.repo_id IN ({list}))"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(start_ms).bind(end_ms);
            for id in chunk {
                query = query.bind(*id);
            }
            let row = query.fetch_one(self.pool()).await?;
            out.opened += row.try_get::<i64, _>(0)?;
            out.closed += row.try_get::<i64, _>(1)?;
        }
        Ok(out)
    }
}
