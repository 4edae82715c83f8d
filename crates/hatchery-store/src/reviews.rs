//! Code review of pull requests: reviews (pending until submitted), their line comments
//! in threads, and the people and teams asked to review.
//!
//! As for issues, the store applies no permission rule. What it guarantees: each person
//! has at most one pending review per request; a review is submitted once (a pending
//! review moves to its verdict in one statement that checks it is still pending), and
//! submitting fulfils its reviewer's review request in the same transaction; a review is
//! dismissed once; asking the same person or team twice keeps one request.

use std::collections::HashMap;

use hatchery_core::reviews::{ReviewState, Side};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::sql::{Binds, parse_col, person_at};
use crate::{Person, Store, StoreError, Tx, now_ms};

/// One review of a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: i64,
    pub issue_id: i64,
    /// `None` once the account is deleted.
    pub reviewer: Option<Person>,
    pub state: ReviewState,
    pub body: String,
    /// The head commit the review was given on.
    pub commit_id: String,
    /// The reviewer could write to the repository when submitting.
    pub official: bool,
    /// The head moved after the review.
    pub stale: bool,
    pub dismissed: bool,
    pub dismiss_message: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// `None` while pending.
    pub submitted_at: Option<i64>,
    /// How many line comments it holds.
    pub comment_count: i64,
}

impl Review {
    pub fn reviewer_id(&self) -> Option<i64> {
        self.reviewer.as_ref().map(|p| p.id)
    }
}

/// A comment on lines of a pull request's diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    pub id: i64,
    pub review_id: i64,
    pub issue_id: i64,
    pub author: Option<Person>,
    pub path: String,
    pub side: Side,
    pub line: i64,
    /// The first line of a range; `None` for one line.
    pub start_line: Option<i64>,
    /// The head when the comment was written.
    pub commit_id: String,
    /// The merge base then (the commit whose file `LEFT` lines are of).
    pub base_commit_id: String,
    pub body: String,
    /// The first comment of the thread this one answers.
    pub reply_to: Option<i64>,
    pub resolved_by: Option<Person>,
    pub resolved_at: Option<i64>,
    pub outdated: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The state of the review it belongs to: `Pending` comments are their author's only.
    pub review_state: ReviewState,
}

impl ReviewComment {
    /// The id of the first comment of its thread.
    pub fn thread_id(&self) -> i64 {
        self.reply_to.unwrap_or(self.id)
    }
}

/// What a new line comment stores.
#[derive(Debug, Clone)]
pub struct NewReviewComment<'a> {
    pub review_id: i64,
    pub issue_id: i64,
    pub author_id: i64,
    pub path: &'a str,
    pub side: Side,
    pub line: i64,
    pub start_line: Option<i64>,
    pub commit_id: &'a str,
    pub base_commit_id: &'a str,
    pub body: &'a str,
    pub reply_to: Option<i64>,
}

/// A person or a team asked to review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reviewer {
    User(i64),
    Team(i64),
}

/// A review request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    pub id: i64,
    pub issue_id: i64,
    /// A user's request: the user.
    pub user: Option<Person>,
    /// A team's request: (team id, team name).
    pub team: Option<(i64, String)>,
    pub requested_by: Option<i64>,
    pub from_codeowners: bool,
    pub created_at: i64,
}

/// What a review's verdict is set to when it is submitted.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub state: ReviewState,
    pub body: &'a str,
    pub commit_id: &'a str,
    pub official: bool,
}

const REVIEW_COLS: &str = "r.id, r.issue_id, r.state, r.body, r.commit_id, r.official, r.stale,
    r.dismissed, r.dismiss_message, r.created_at, r.updated_at, r.submitted_at,
    (SELECT COUNT(*) FROM review_comments c WHERE c.review_id = r.id),
    a.id, a.name, a.display_name";

const REVIEW_FROM: &str = "pull_reviews r LEFT JOIN accounts a ON a.id = r.reviewer_id";

fn review_at(row: &AnyRow) -> Result<Review, sqlx::Error> {
    let state: String = row.try_get(2)?;
    Ok(Review {
        id: row.try_get(0)?,
        issue_id: row.try_get(1)?,
        state: parse_col(&state)?,
        body: row.try_get(3)?,
        commit_id: row.try_get(4)?,
        official: row.try_get::<i64, _>(5)? != 0,
        stale: row.try_get::<i64, _>(6)? != 0,
        dismissed: row.try_get::<i64, _>(7)? != 0,
        dismiss_message: row.try_get(8)?,
        created_at: row.try_get(9)?,
        updated_at: row.try_get(10)?,
        submitted_at: row.try_get(11)?,
        comment_count: row.try_get(12)?,
        reviewer: person_at(row, 13)?,
    })
}

const COMMENT_COLS: &str = "c.id, c.review_id, c.issue_id, c.path, c.side, c.line, c.start_line,
    c.commit_id, c.base_commit_id, c.body, c.reply_to, c.resolved_at, c.outdated,
    c.created_at, c.updated_at, r.state,
    a.id, a.name, a.display_name, v.id, v.name, v.display_name";

const COMMENT_FROM: &str = "review_comments c JOIN pull_reviews r ON r.id = c.review_id
    LEFT JOIN accounts a ON a.id = c.author_id LEFT JOIN accounts v ON v.id = c.resolved_by";

fn comment_at(row: &AnyRow) -> Result<ReviewComment, sqlx::Error> {
    let side: String = row.try_get(4)?;
    let state: String = row.try_get(15)?;
    Ok(ReviewComment {
        id: row.try_get(0)?,
        review_id: row.try_get(1)?,
        issue_id: row.try_get(2)?,
        path: row.try_get(3)?,
        side: parse_col(&side)?,
        line: row.try_get(5)?,
        start_line: row.try_get(6)?,
        commit_id: row.try_get(7)?,
        base_commit_id: row.try_get(8)?,
        body: row.try_get(9)?,
        reply_to: row.try_get(10)?,
        resolved_at: row.try_get(11)?,
        outdated: row.try_get::<i64, _>(12)? != 0,
        created_at: row.try_get(13)?,
        updated_at: row.try_get(14)?,
        review_state: parse_col(&state)?,
        author: person_at(row, 16)?,
        resolved_by: person_at(row, 19)?,
    })
}

/// Removes `user_id`'s review request on `issue_id`: a submitted review fulfils it.
async fn fulfil_request(tx: &mut Tx, issue_id: i64, user_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM review_requests WHERE issue_id = $1 AND user_id = $2")
        .bind(issue_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Starts a review by `reviewer_id` on pull request `issue_id`: pending (returns the
    /// reviewer's existing pending review if there is one) or submitted at once, which
    /// fulfils the reviewer's review request.
    pub async fn create_review(
        &self,
        issue_id: i64,
        reviewer_id: i64,
        s: Submission<'_>,
    ) -> Result<Review, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let pending = s.state == ReviewState::Pending;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO pull_reviews (issue_id, reviewer_id, state, body, commit_id, official,
                 created_at, updated_at, submitted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(issue_id)
        .bind(reviewer_id)
        .bind(s.state.as_str())
        .bind(s.body)
        .bind(s.commit_id)
        .bind(i64::from(s.official))
        .bind(now)
        .bind((!pending).then_some(now))
        .fetch_optional(&mut *tx)
        .await?;
        let id = match id {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "SELECT id FROM pull_reviews
                  WHERE issue_id = $1 AND reviewer_id = $2 AND state = 'PENDING'",
                )
                .bind(issue_id)
                .bind(reviewer_id)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        if !pending {
            fulfil_request(&mut tx, issue_id, reviewer_id).await?;
        }
        tx.commit().await?;
        self.review(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn review(&self, id: i64) -> Result<Option<Review>, StoreError> {
        let sql = format!("SELECT {REVIEW_COLS} FROM {REVIEW_FROM} WHERE r.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| review_at(&r)).transpose()?)
    }

    /// `reviewer_id`'s pending review of `issue_id`.
    pub async fn pending_review(
        &self,
        issue_id: i64,
        reviewer_id: i64,
    ) -> Result<Option<Review>, StoreError> {
        let sql = format!(
            "SELECT {REVIEW_COLS} FROM {REVIEW_FROM}
              WHERE r.issue_id = $1 AND r.reviewer_id = $2 AND r.state = 'PENDING'"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(issue_id)
            .bind(reviewer_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| review_at(&r)).transpose()?)
    }

    /// Every review of `issue_id`, pending ones included, oldest first.
    pub async fn reviews_of(&self, issue_id: i64) -> Result<Vec<Review>, StoreError> {
        let sql =
            format!("SELECT {REVIEW_COLS} FROM {REVIEW_FROM} WHERE r.issue_id = $1 ORDER BY r.id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(issue_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(review_at).collect::<Result<_, _>>()?)
    }

    /// Submits pending review `id` with its verdict. `false` when it is not pending (any
    /// more): nothing changed.
    pub async fn submit_review(&self, id: i64, s: Submission<'_>) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(
            "UPDATE pull_reviews SET state = $2, body = $3, commit_id = $4, official = $5,
                    updated_at = $6, submitted_at = $6
              WHERE id = $1 AND state = 'PENDING'
             RETURNING issue_id, reviewer_id",
        )
        .bind(id)
        .bind(s.state.as_str())
        .bind(s.body)
        .bind(s.commit_id)
        .bind(i64::from(s.official))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((issue_id, reviewer)) = row else {
            return Ok(false);
        };
        if let Some(uid) = reviewer {
            fulfil_request(&mut tx, issue_id, uid).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes a review and its comments. Returns whether it existed.
    pub async fn delete_review(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM pull_reviews WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Dismisses a submitted review. `false` when it is pending or dismissed already.
    pub async fn dismiss_review(
        &self,
        id: i64,
        by: Option<i64>,
        message: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE pull_reviews SET dismissed = 1, dismissed_by = $2, dismiss_message = $3,
                    updated_at = $4
              WHERE id = $1 AND state <> 'PENDING' AND dismissed = 0",
        )
        .bind(id)
        .bind(by)
        .bind(message)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// After the head of `issue_id` moved to `head`: submitted reviews given on another
    /// commit become stale, and, with `dismiss_approvals`, approvals given on another
    /// commit are dismissed. Returns the ids of the approvals dismissed.
    pub async fn reviews_after_head_move(
        &self,
        issue_id: i64,
        head: &str,
        dismiss_approvals: bool,
    ) -> Result<Vec<i64>, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE pull_reviews SET stale = 1
              WHERE issue_id = $1 AND commit_id <> $2 AND state <> 'PENDING' AND stale = 0",
        )
        .bind(issue_id)
        .bind(head)
        .execute(&mut *tx)
        .await?;
        let dismissed: Vec<i64> = if dismiss_approvals {
            sqlx::query_scalar(
                "UPDATE pull_reviews SET dismissed = 1, updated_at = $3
                  WHERE issue_id = $1 AND commit_id <> $2 AND state = 'APPROVED'
                    AND dismissed = 0
                 RETURNING id",
            )
            .bind(issue_id)
            .bind(head)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        Ok(dismissed)
    }

    /// Adds a line comment to a review.
    pub async fn add_review_comment(
        &self,
        c: NewReviewComment<'_>,
    ) -> Result<ReviewComment, StoreError> {
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO review_comments (review_id, issue_id, author_id, path, side, line,
                 start_line, commit_id, base_commit_id, body, reply_to, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
             RETURNING id",
        )
        .bind(c.review_id)
        .bind(c.issue_id)
        .bind(c.author_id)
        .bind(c.path)
        .bind(c.side.as_str())
        .bind(c.line)
        .bind(c.start_line)
        .bind(c.commit_id)
        .bind(c.base_commit_id)
        .bind(c.body)
        .bind(c.reply_to)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        sqlx::query("UPDATE pull_reviews SET updated_at = $2 WHERE id = $1")
            .bind(c.review_id)
            .bind(now)
            .execute(self.pool())
            .await?;
        self.review_comment(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn review_comment(&self, id: i64) -> Result<Option<ReviewComment>, StoreError> {
        let sql = format!("SELECT {COMMENT_COLS} FROM {COMMENT_FROM} WHERE c.id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| comment_at(&r)).transpose()?)
    }

    /// The line comments of one review, oldest first.
    pub async fn review_comments(&self, review_id: i64) -> Result<Vec<ReviewComment>, StoreError> {
        self.comments_where("c.review_id = $1", review_id).await
    }

    /// Every line comment of pull request `issue_id` (pending ones included), oldest first.
    pub async fn review_comments_of_pull(
        &self,
        issue_id: i64,
    ) -> Result<Vec<ReviewComment>, StoreError> {
        self.comments_where("c.issue_id = $1", issue_id).await
    }

    async fn comments_where(
        &self,
        cond: &'static str,
        id: i64,
    ) -> Result<Vec<ReviewComment>, StoreError> {
        let sql = format!("SELECT {COMMENT_COLS} FROM {COMMENT_FROM} WHERE {cond} ORDER BY c.id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(comment_at).collect::<Result<_, _>>()?)
    }

    /// Marks these comments outdated.
    pub async fn mark_comments_outdated(&self, ids: &[i64]) -> Result<(), StoreError> {
        for chunk in ids.chunks(100) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "UPDATE review_comments SET outdated = 1 WHERE id IN ({})",
                list.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(self.pool()).await?;
        }
        Ok(())
    }

    /// Resolves (`by` is someone) or unresolves (`None`) the thread whose first comment is
    /// `thread_id`. Returns whether anything changed.
    pub async fn resolve_thread(
        &self,
        thread_id: i64,
        by: Option<i64>,
    ) -> Result<bool, StoreError> {
        let done = match by {
            Some(uid) => sqlx::query(
                "UPDATE review_comments SET resolved_by = $2, resolved_at = $3
                  WHERE id = $1 AND resolved_at IS NULL",
            )
            .bind(thread_id)
            .bind(uid)
            .bind(now_ms()),
            None => sqlx::query(
                "UPDATE review_comments SET resolved_by = NULL, resolved_at = NULL
                  WHERE id = $1 AND resolved_at IS NOT NULL",
            )
            .bind(thread_id),
        }
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Asks `who` to review `issue_id`. Returns `false` when they were asked already.
    pub async fn request_review(
        &self,
        issue_id: i64,
        who: Reviewer,
        requested_by: Option<i64>,
        from_codeowners: bool,
    ) -> Result<bool, StoreError> {
        let (user, team) = match who {
            Reviewer::User(id) => (Some(id), None),
            Reviewer::Team(id) => (None, Some(id)),
        };
        let done = sqlx::query(
            "INSERT INTO review_requests (issue_id, user_id, team_id, requested_by,
                 from_codeowners, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(issue_id)
        .bind(user)
        .bind(team)
        .bind(requested_by)
        .bind(i64::from(from_codeowners))
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Withdraws the request for `who`. Returns whether there was one.
    pub async fn remove_review_request(
        &self,
        issue_id: i64,
        who: Reviewer,
    ) -> Result<bool, StoreError> {
        let (col, id) = match who {
            Reviewer::User(id) => ("user_id", id),
            Reviewer::Team(id) => ("team_id", id),
        };
        let sql = format!("DELETE FROM review_requests WHERE issue_id = $1 AND {col} = $2");
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(issue_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The open review requests of `issue_id`, oldest first.
    pub async fn review_requests(&self, issue_id: i64) -> Result<Vec<ReviewRequest>, StoreError> {
        let rows = sqlx::query(
            "SELECT q.id, q.issue_id, q.requested_by, q.from_codeowners, q.created_at,
                    t.id, t.name, a.id, a.name, a.display_name
               FROM review_requests q
               LEFT JOIN teams t ON t.id = q.team_id
               LEFT JOIN accounts a ON a.id = q.user_id
              WHERE q.issue_id = $1 ORDER BY q.id",
        )
        .bind(issue_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let team_id: Option<i64> = r.try_get(5)?;
                let team = match team_id {
                    Some(id) => Some((id, r.try_get::<String, _>(6)?)),
                    None => None,
                };
                Ok(ReviewRequest {
                    id: r.try_get(0)?,
                    issue_id: r.try_get(1)?,
                    requested_by: r.try_get(2)?,
                    from_codeowners: r.try_get::<i64, _>(3)? != 0,
                    created_at: r.try_get(4)?,
                    team,
                    user: person_at(r, 7)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The submitted reviews of each of these requests (by issue id, oldest first) and how
    /// many open review requests each has: what a list of pull requests shows.
    pub async fn review_overview(
        &self,
        issue_ids: &[i64],
    ) -> Result<(HashMap<i64, Vec<Review>>, HashMap<i64, i64>), StoreError> {
        let mut reviews: HashMap<i64, Vec<Review>> = HashMap::new();
        let mut requests: HashMap<i64, i64> = HashMap::new();
        for chunk in issue_ids.chunks(256) {
            let mut binds = Binds::default();
            let list = chunk
                .iter()
                .map(|id| binds.int(*id))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT {REVIEW_COLS} FROM {REVIEW_FROM}
                  WHERE r.issue_id IN ({list}) AND r.state <> 'PENDING' ORDER BY r.id"
            );
            for row in binds
                .apply(sqlx::query(AssertSqlSafe(sql)))
                .fetch_all(self.pool())
                .await?
            {
                let r = review_at(&row)?;
                reviews.entry(r.issue_id).or_default().push(r);
            }
            let sql = format!(
                "SELECT issue_id, COUNT(*) FROM review_requests
                  WHERE issue_id IN ({list}) GROUP BY issue_id"
            );
            for row in binds
                .apply(sqlx::query(AssertSqlSafe(sql)))
                .fetch_all(self.pool())
                .await?
            {
                requests.insert(row.try_get(0)?, row.try_get(1)?);
            }
        }
        Ok((reviews, requests))
    }
}
