//! Issues: numbering, text with its edit history, state, comments, the timeline's events,
//! labels, milestones and assignees on issues, mentions, listing with filters, and
//! full-text search on both databases.
//!
//! The store applies no permission rule: the service decides who may do what and gives
//! the store facts. What the store guarantees is integrity: numbers are unique and
//! gap-free per repository, a label or milestone of another repository is `NotFound`, a
//! save against a stale version is [`StoreError::Stale`], and a commit's references are
//! recorded once however often it is pushed.

use std::collections::HashMap;

use hatchery_core::issues::{CloseReason, EventKind, IssueSort, StateFilter};
use hatchery_core::pulls::{DraftFilter, KindFilter, ReviewFilter};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::labels::{LABEL_COLS, Label, label_at};
use crate::sql::{Binds, like_pattern, parse_col, person_at, persons};
use crate::{Backend, Store, StoreError, Tx, now_ms};

/// An account as issues show it: enough for a name and a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub id: i64,
    pub repo_id: i64,
    pub number: i64,
    /// `None` once the author's account is deleted.
    pub author: Option<Person>,
    pub title: String,
    pub body: String,
    pub is_closed: bool,
    pub close_reason: Option<CloseReason>,
    pub is_locked: bool,
    pub milestone_id: Option<i64>,
    pub comment_count: i64,
    /// Grows with every edit of the title or body; an edit names the version it started from.
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    /// A pull request (its head and base are in [`crate::PullRequest`]).
    pub is_pull: bool,
    /// Imported: the source's author when no local account matched (the author is then
    /// the person who ran the import); empty otherwise.
    pub original_author: String,
    /// Imported: the source kind (`github`, ...) `original_author` is an account of.
    pub original_service: String,
    /// An imported pull request kept as an issue: how it ended on the source.
    pub imported_pull: Option<hatchery_core::imports::PullOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    pub issue_id: i64,
    pub author: Option<Person>,
    pub body: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Imported: the source's author when no local account matched; empty otherwise.
    pub original_author: String,
    pub original_service: String,
}

impl Comment {
    pub fn edited(&self) -> bool {
        self.version > 1
    }
}

/// What an issue or comment said before one edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub id: i64,
    pub editor: Option<Person>,
    /// The title before the edit (issues only).
    pub title: Option<String>,
    pub body: String,
    pub created_at: i64,
}

/// An issue of some repository, named for display in a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRef {
    pub issue_id: i64,
    pub repo_id: i64,
    pub owner_name: String,
    pub repo_name: String,
    pub number: i64,
    pub title: String,
    pub is_closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    pub id: i64,
    pub owner_name: String,
    pub name: String,
}

/// One entry of an issue's timeline besides comments. Which fields are set depends on
/// `kind` (see migrations/*/0003_issues.sql).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueEvent {
    pub id: i64,
    pub kind: EventKind,
    pub actor: Option<Person>,
    /// The label as it is now; `None` once deleted (then `value` has its name).
    pub label: Option<Label>,
    pub milestone_id: Option<i64>,
    pub subject: Option<Person>,
    /// For [`EventKind::RefIssue`]: the issue that mentions this one. The caller must check
    /// that the viewer may read its repository before showing it.
    pub ref_issue: Option<IssueRef>,
    pub ref_comment_id: Option<i64>,
    /// For [`EventKind::RefCommit`] and commit closings: the repository of the commit.
    pub ref_repo: Option<RepoRef>,
    pub commit_id: Option<String>,
    pub old_value: Option<String>,
    pub value: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct NewIssue<'a> {
    pub repo_id: i64,
    pub author_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub label_ids: &'a [i64],
    pub milestone_id: Option<i64>,
    pub assignee_ids: &'a [i64],
}

/// Whose issues: a user, or nobody (unassigned, for the assignee filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Nobody,
    User(i64),
}

/// Which of a person's issues [`Store::issues_of_user`] lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserIssues {
    Created,
    Assigned,
    /// Pull requests whose review is requested from them or one of their teams.
    ReviewRequested,
}

/// The filters of an issue list, all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct IssueQuery {
    pub state: StateFilter,
    /// Issues carrying every one of these labels.
    pub label_ids: Vec<i64>,
    /// `Some(Who::Nobody)`: without a milestone.
    pub milestone: Option<Who>,
    pub assignee: Option<Who>,
    pub author_id: Option<i64>,
    pub mentioned_id: Option<i64>,
    /// Pull requests whose review is asked of this person or one of their teams.
    pub review_requested_id: Option<i64>,
    /// Words that must all occur in the title, the body or a comment.
    pub text: Option<String>,
    /// Only issues updated at or after this time (unix milliseconds).
    pub updated_since: Option<i64>,
    /// Only issues updated at or before this time (unix milliseconds).
    pub updated_before: Option<i64>,
    /// Issues, pull requests, or both.
    pub kind: KindFilter,
    /// Pull requests only: drafts or ready ones.
    pub draft: DraftFilter,
    /// Pull requests only: by the state of their review.
    pub review: ReviewFilter,
    pub sort: IssueSort,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// A page of issues and how many match in all.
#[derive(Debug, Clone, Default)]
pub struct IssuePage {
    pub issues: Vec<Issue>,
    pub total: i64,
}

const PERSON_JOIN_COLS: &str = "p.id, p.name, p.display_name";

/// Issue columns over `issues i` left-joined to its author `p`, in [`issue_at`]'s order.
macro_rules! issue_select {
    () => {
        "SELECT i.id, i.repo_id, i.number, i.title, i.body, i.is_closed, i.close_reason,
                i.is_locked, i.milestone_id, i.comment_count, i.version, i.created_at,
                i.updated_at, i.closed_at, p.id, p.name, p.display_name, i.is_pull,
                i.original_author, i.original_service, i.imported_pull
           FROM issues i LEFT JOIN accounts p ON p.id = i.author_id"
    };
}

fn issue_at(row: &AnyRow) -> Result<Issue, sqlx::Error> {
    let reason: Option<String> = row.try_get(6)?;
    Ok(Issue {
        id: row.try_get(0)?,
        repo_id: row.try_get(1)?,
        number: row.try_get(2)?,
        title: row.try_get(3)?,
        body: row.try_get(4)?,
        is_closed: row.try_get::<i64, _>(5)? != 0,
        close_reason: reason.as_deref().map(parse_col).transpose()?,
        is_locked: row.try_get::<i64, _>(7)? != 0,
        milestone_id: row.try_get(8)?,
        comment_count: row.try_get(9)?,
        version: row.try_get(10)?,
        created_at: row.try_get(11)?,
        updated_at: row.try_get(12)?,
        closed_at: row.try_get(13)?,
        author: person_at(row, 14)?,
        is_pull: row.try_get::<i64, _>(17)? != 0,
        original_author: row.try_get(18)?,
        original_service: row.try_get(19)?,
        imported_pull: row
            .try_get::<Option<String>, _>(20)?
            .as_deref()
            .and_then(hatchery_core::imports::PullOutcome::parse),
    })
}

macro_rules! comment_select {
    () => {
        "SELECT c.id, c.issue_id, c.body, c.version, c.created_at, c.updated_at,
                p.id, p.name, p.display_name, c.original_author, c.original_service
           FROM issue_comments c LEFT JOIN accounts p ON p.id = c.author_id"
    };
}

fn comment_at(row: &AnyRow) -> Result<Comment, sqlx::Error> {
    Ok(Comment {
        id: row.try_get(0)?,
        issue_id: row.try_get(1)?,
        body: row.try_get(2)?,
        version: row.try_get(3)?,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
        author: person_at(row, 6)?,
        original_author: row.try_get(9)?,
        original_service: row.try_get(10)?,
    })
}

/// Search words: whitespace-separated, double quotes group words into one phrase.
pub(crate) fn search_terms(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            let phrase = part.split_whitespace().collect::<Vec<_>>().join(" ");
            if !phrase.is_empty() {
                terms.push(phrase);
            }
        } else {
            terms.extend(part.split_whitespace().map(str::to_owned));
        }
    }
    terms.truncate(16);
    terms
}

impl Store {
    /// The condition that one search term matches issue `i`, on this backend.
    fn term_condition(&self, binds: &mut Binds, term: &str) -> String {
        let chars = term.chars().count();
        match self.backend() {
            // trigram needs three characters; shorter terms scan with LIKE.
            Backend::Sqlite if chars >= 3 => {
                let quoted = format!("\"{}\"", term.replace('"', "\"\""));
                let p = binds.text(quoted);
                format!(
                    "(i.id IN (SELECT rowid FROM issues_fts WHERE issues_fts MATCH {p})
                      OR i.id IN (SELECT c.issue_id FROM issue_comments c
                                   WHERE c.id IN (SELECT rowid FROM issue_comments_fts
                                                   WHERE issue_comments_fts MATCH {p})))"
                )
            }
            // Words of letters and digits only: PostgreSQL's parser drops or splits on
            // anything else ("%" alone would match nothing, "100%" would match "100"), so
            // such terms scan with ILIKE and are taken literally, as on SQLite. A quoted
            // phrase must keep its words' order and adjacency: phraseto_tsquery, not
            // plainto_tsquery (which only ANDs them).
            Backend::Postgres if term.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') => {
                let p = binds.text(term.to_owned());
                format!(
                    "(to_tsvector('simple', i.title || ' ' || i.body)
                          @@ phraseto_tsquery('simple', {p})
                      OR EXISTS (SELECT 1 FROM issue_comments c WHERE c.issue_id = i.id
                                   AND to_tsvector('simple', c.body)
                                       @@ phraseto_tsquery('simple', {p})))"
                )
            }
            backend => {
                let like = match backend {
                    Backend::Postgres => "ILIKE",
                    Backend::Sqlite => "LIKE",
                };
                let p = binds.text(like_pattern(term));
                format!(
                    "(i.title {like} {p} ESCAPE '\\' OR i.body {like} {p} ESCAPE '\\'
                      OR EXISTS (SELECT 1 FROM issue_comments c WHERE c.issue_id = i.id
                                   AND c.body {like} {p} ESCAPE '\\'))"
                )
            }
        }
    }

    /// Opens an issue with the next number of its repository. Labels and the milestone
    /// must be the repository's (`NotFound` otherwise); assignees are taken as given.
    pub async fn create_issue(&self, new: NewIssue<'_>) -> Result<Issue, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = insert_issue(&mut tx, &new, false).await?;
        tx.commit().await?;
        self.issue_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn issue_by_id(&self, id: i64) -> Result<Option<Issue>, StoreError> {
        let row = sqlx::query(concat!(issue_select!(), " WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| issue_at(&r)).transpose()?)
    }

    pub async fn issue_by_number(
        &self,
        repo_id: i64,
        number: i64,
    ) -> Result<Option<Issue>, StoreError> {
        let row = sqlx::query(concat!(
            issue_select!(),
            " WHERE i.repo_id = $1 AND i.number = $2"
        ))
        .bind(repo_id)
        .bind(number)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| issue_at(&r)).transpose()?)
    }

    /// The issues of a repository with these numbers; missing numbers are left out.
    pub async fn issues_by_numbers(
        &self,
        repo_id: i64,
        numbers: &[i64],
    ) -> Result<Vec<Issue>, StoreError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut binds = Binds::default();
        let repo = binds.int(repo_id);
        let list: Vec<String> = numbers.iter().take(256).map(|n| binds.int(*n)).collect();
        let sql = format!(
            "{} WHERE i.repo_id = {repo} AND i.number IN ({})",
            issue_select!(),
            list.join(", ")
        );
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(issue_at).collect::<Result<_, _>>()?)
    }

    /// (open, closed) issues of a repository, pull requests not counted.
    pub async fn issue_counts(&self, repo_id: i64) -> Result<(i64, i64), StoreError> {
        self.issue_row_counts(repo_id, false).await
    }

    /// (open, closed) pull requests of a repository.
    pub async fn pull_counts(&self, repo_id: i64) -> Result<(i64, i64), StoreError> {
        self.issue_row_counts(repo_id, true).await
    }

    async fn issue_row_counts(&self, repo_id: i64, pulls: bool) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(1 - is_closed), 0) AS BIGINT),
                    CAST(COALESCE(SUM(is_closed), 0) AS BIGINT)
               FROM issues WHERE repo_id = $1 AND is_pull = $2",
        )
        .bind(repo_id)
        .bind(i64::from(pulls))
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// How many of a repository's issues match `q` (its page and sort are ignored).
    pub async fn count_issues(&self, repo_id: i64, q: &IssueQuery) -> Result<i64, StoreError> {
        let mut binds = Binds::default();
        let mut conds = vec![format!("i.repo_id = {}", binds.int(repo_id))];
        self.issue_conditions(q, &mut binds, &mut conds);
        let row = binds
            .apply(sqlx::query(AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM issues i WHERE {}",
                conds.join(" AND ")
            ))))
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get(0)?)
    }

    /// A page of a repository's issues matching `q`.
    pub async fn list_issues(&self, repo_id: i64, q: &IssueQuery) -> Result<IssuePage, StoreError> {
        let total = self.count_issues(repo_id, q).await?;
        let mut binds = Binds::default();
        let mut conds = vec![format!("i.repo_id = {}", binds.int(repo_id))];
        self.issue_conditions(q, &mut binds, &mut conds);
        let where_ = conds.join(" AND ");
        let order = match q.sort {
            IssueSort::Newest => "i.created_at DESC, i.id DESC",
            IssueSort::Oldest => "i.created_at, i.id",
            IssueSort::RecentUpdate => "i.updated_at DESC, i.id DESC",
            IssueSort::LeastUpdate => "i.updated_at, i.id",
            IssueSort::MostComment => "i.comment_count DESC, i.id DESC",
            IssueSort::LeastComment => "i.comment_count, i.id",
        };
        let per_page = q.per_page.clamp(1, 100);
        let offset = (q.page.max(1) - 1).saturating_mul(per_page);
        let limit = binds.int(per_page);
        let offset = binds.int(offset);
        let sql = format!(
            "{} WHERE {where_} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
            issue_select!()
        );
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        Ok(IssuePage {
            issues: rows.iter().map(issue_at).collect::<Result<_, _>>()?,
            total,
        })
    }

    fn issue_conditions(&self, q: &IssueQuery, binds: &mut Binds, conds: &mut Vec<String>) {
        match q.kind {
            KindFilter::Issues => conds.push("i.is_pull = 0".into()),
            KindFilter::Pulls => conds.push("i.is_pull = 1".into()),
            KindFilter::Any => {}
        }
        match q.draft {
            DraftFilter::Drafts => conds.push(
                "EXISTS (SELECT 1 FROM pull_requests pr WHERE pr.issue_id = i.id AND pr.is_draft = 1)"
                    .into(),
            ),
            DraftFilter::Ready => conds.push(
                "EXISTS (SELECT 1 FROM pull_requests pr WHERE pr.issue_id = i.id AND pr.is_draft = 0)"
                    .into(),
            ),
            DraftFilter::Any => {}
        }
        if let Some(c) = review_condition(q.review) {
            conds.push(c);
        }
        match q.state {
            StateFilter::Open => conds.push("i.is_closed = 0".into()),
            StateFilter::Closed => conds.push("i.is_closed = 1".into()),
            StateFilter::All => {}
        }
        for label in q.label_ids.iter().take(16) {
            let p = binds.int(*label);
            conds.push(format!(
                "EXISTS (SELECT 1 FROM issue_labels il WHERE il.issue_id = i.id AND il.label_id = {p})"
            ));
        }
        match q.milestone {
            Some(Who::Nobody) => conds.push("i.milestone_id IS NULL".into()),
            Some(Who::User(m)) => conds.push(format!("i.milestone_id = {}", binds.int(m))),
            None => {}
        }
        match q.assignee {
            Some(Who::Nobody) => conds.push(
                "NOT EXISTS (SELECT 1 FROM issue_assignees ia WHERE ia.issue_id = i.id)".into(),
            ),
            Some(Who::User(u)) => {
                let p = binds.int(u);
                conds.push(format!(
                    "EXISTS (SELECT 1 FROM issue_assignees ia WHERE ia.issue_id = i.id AND ia.user_id = {p})"
                ));
            }
            None => {}
        }
        if let Some(a) = q.author_id {
            conds.push(format!("i.author_id = {}", binds.int(a)));
        }
        if let Some(r) = q.review_requested_id {
            conds.push(review_requested_of(binds, r));
        }
        if let Some(m) = q.mentioned_id {
            let p = binds.int(m);
            conds.push(format!(
                "EXISTS (SELECT 1 FROM issue_mentions im WHERE im.issue_id = i.id AND im.user_id = {p})"
            ));
        }
        if let Some(t) = q.updated_since {
            conds.push(format!("i.updated_at >= {}", binds.int(t)));
        }
        if let Some(t) = q.updated_before {
            conds.push(format!("i.updated_at <= {}", binds.int(t)));
        }
        if let Some(text) = &q.text {
            for term in search_terms(text) {
                conds.push(self.term_condition(binds, &term));
            }
        }
    }

    /// Issues (and pull requests) `user_id` opened, is assigned to, or is asked to review
    /// (in person or through a team), in any repository, most recently updated first, at
    /// most `limit`. The caller filters out repositories the viewer may not read.
    pub async fn issues_of_user(
        &self,
        user_id: i64,
        which: UserIssues,
        state: StateFilter,
        limit: i64,
    ) -> Result<Vec<Issue>, StoreError> {
        let mut binds = Binds::default();
        let u = binds.int(user_id);
        let mut conds = vec![match which {
            UserIssues::Created => format!("i.author_id = {u}"),
            UserIssues::Assigned => format!(
                "EXISTS (SELECT 1 FROM issue_assignees ia WHERE ia.issue_id = i.id AND ia.user_id = {u})"
            ),
            UserIssues::ReviewRequested => review_requested_of(&mut binds, user_id),
        }];
        let q = IssueQuery {
            state,
            ..IssueQuery::default()
        };
        self.issue_conditions(&q, &mut binds, &mut conds);
        let limit = binds.int(limit.clamp(1, 1000));
        let sql = format!(
            "{} WHERE {} ORDER BY i.updated_at DESC, i.id DESC LIMIT {limit}",
            issue_select!(),
            conds.join(" AND ")
        );
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(issue_at).collect::<Result<_, _>>()?)
    }

    /// The labels of each issue, by issue id.
    pub async fn labels_of_issues(
        &self,
        issue_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<Label>>, StoreError> {
        let mut out: HashMap<i64, Vec<Label>> = HashMap::new();
        for chunk in issue_ids.chunks(256) {
            let mut binds = Binds::default();
            let list: Vec<String> = chunk.iter().map(|id| binds.int(*id)).collect();
            let sql = format!(
                "SELECT il.issue_id, {LABEL_COLS} FROM issue_labels il
                   JOIN labels l ON l.id = il.label_id
                  WHERE il.issue_id IN ({}) ORDER BY l.lower_name",
                list.join(", ")
            );
            for row in binds
                .apply(sqlx::query(AssertSqlSafe(sql)))
                .fetch_all(self.pool())
                .await?
            {
                out.entry(row.try_get(0)?)
                    .or_default()
                    .push(label_at(&row, 1)?);
            }
        }
        Ok(out)
    }

    /// The assignees of each issue, by issue id.
    pub async fn assignees_of_issues(
        &self,
        issue_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<Person>>, StoreError> {
        let mut out: HashMap<i64, Vec<Person>> = HashMap::new();
        for chunk in issue_ids.chunks(256) {
            let mut binds = Binds::default();
            let list: Vec<String> = chunk.iter().map(|id| binds.int(*id)).collect();
            let sql = format!(
                "SELECT ia.issue_id, {PERSON_JOIN_COLS} FROM issue_assignees ia
                   JOIN accounts p ON p.id = ia.user_id
                  WHERE ia.issue_id IN ({}) ORDER BY p.lower_name",
                list.join(", ")
            );
            for row in binds
                .apply(sqlx::query(AssertSqlSafe(sql)))
                .fetch_all(self.pool())
                .await?
            {
                if let Some(p) = person_at(&row, 1)? {
                    out.entry(row.try_get(0)?).or_default().push(p);
                }
            }
        }
        Ok(out)
    }

    /// Changes title and body if the issue is still at `version`; keeps what it said
    /// before as a revision and records a rename. `Stale` when someone saved meanwhile.
    pub async fn edit_issue(
        &self,
        issue_id: i64,
        version: i64,
        editor_id: i64,
        title: &str,
        body: &str,
    ) -> Result<Issue, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT title, body, version FROM issues WHERE id = $1")
            .bind(issue_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (old_title, old_body, current): (String, String, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if current != version {
            return Err(StoreError::Stale);
        }
        if old_title == title && old_body == body {
            tx.rollback().await?;
            return self
                .issue_by_id(issue_id)
                .await?
                .ok_or(StoreError::NotFound);
        }
        let done = sqlx::query(
            "UPDATE issues SET title = $3, body = $4, version = version + 1, updated_at = $5
              WHERE id = $1 AND version = $2",
        )
        .bind(issue_id)
        .bind(version)
        .bind(title)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        sqlx::query(
            "INSERT INTO issue_revisions (issue_id, editor_id, title, body, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(issue_id)
        .bind(editor_id)
        .bind(&old_title)
        .bind(&old_body)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if old_title != title {
            insert_event(
                &mut tx,
                EventRow {
                    issue_id,
                    actor_id: Some(editor_id),
                    kind: Some(EventKind::Renamed),
                    old_value: Some(&old_title),
                    value: Some(title),
                    ..EventRow::default()
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.issue_by_id(issue_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Closes (with a reason) or reopens. `commit` (repository id, commit id) records that
    /// a pushed commit closed it; the same commit closes an issue at most once, ever.
    /// Returns whether anything changed.
    pub async fn set_issue_state(
        &self,
        issue_id: i64,
        actor_id: Option<i64>,
        close: Option<CloseReason>,
        commit: Option<(i64, &str)>,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        // Locked on PostgreSQL until the commit, or two concurrent closes would both see it
        // open and both record a closing (SQLite's write transaction is exclusive already).
        let sql = format!(
            "SELECT is_closed FROM issues WHERE id = $1{}",
            self.row_lock(None)
        );
        let closed: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(issue_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if (closed != 0) == close.is_some() {
            return Ok(false);
        }
        let inserted = insert_event(
            &mut tx,
            EventRow {
                issue_id,
                actor_id,
                kind: Some(if close.is_some() {
                    EventKind::Closed
                } else {
                    EventKind::Reopened
                }),
                ref_repo_id: commit.map(|c| c.0),
                commit_id: commit.map(|c| c.1),
                value: close.map(CloseReason::as_str),
                ..EventRow::default()
            },
            now,
        )
        .await?;
        if !inserted {
            // This commit closed the issue before and someone reopened it since.
            return Ok(false);
        }
        sqlx::query(
            "UPDATE issues SET is_closed = $2, close_reason = $3, closed_at = $4, updated_at = $5
              WHERE id = $1",
        )
        .bind(issue_id)
        .bind(i64::from(close.is_some()))
        .bind(close.map(CloseReason::as_str))
        .bind(close.map(|_| now))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Returns whether anything changed.
    pub async fn set_issue_locked(
        &self,
        issue_id: i64,
        actor_id: i64,
        locked: bool,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE issues SET is_locked = $2, updated_at = $3 WHERE id = $1 AND is_locked <> $2",
        )
        .bind(issue_id)
        .bind(i64::from(locked))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let kind = if locked {
            EventKind::Locked
        } else {
            EventKind::Unlocked
        };
        insert_event(
            &mut tx,
            EventRow {
                issue_id,
                actor_id: Some(actor_id),
                kind: Some(kind),
                ..EventRow::default()
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Adds (`on`) or removes a label of the issue's repository. `NotFound` for another
    /// repository's label. Returns whether anything changed.
    pub async fn set_issue_label(
        &self,
        issue_id: i64,
        label_id: i64,
        on: bool,
        actor_id: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let name: String = sqlx::query_scalar(
            "SELECT l.name FROM labels l JOIN issues i ON i.repo_id = l.repo_id
              WHERE l.id = $1 AND i.id = $2",
        )
        .bind(label_id)
        .bind(issue_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let done = if on {
            sqlx::query(
                "INSERT INTO issue_labels (issue_id, label_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
        } else {
            sqlx::query("DELETE FROM issue_labels WHERE issue_id = $1 AND label_id = $2")
        }
        .bind(issue_id)
        .bind(label_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert_event(
            &mut tx,
            EventRow {
                issue_id,
                actor_id: Some(actor_id),
                kind: Some(if on {
                    EventKind::Labeled
                } else {
                    EventKind::Unlabeled
                }),
                label_id: Some(label_id),
                value: Some(&name),
                ..EventRow::default()
            },
            now,
        )
        .await?;
        touch_issue(&mut tx, issue_id, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets or clears the milestone. `NotFound` for another repository's milestone.
    /// Returns whether anything changed.
    pub async fn set_issue_milestone(
        &self,
        issue_id: i64,
        milestone_id: Option<i64>,
        actor_id: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        // Locked on PostgreSQL for the same reason as in `set_issue_state`.
        let sql = format!(
            "SELECT i.repo_id, i.milestone_id, m.title FROM issues i
               LEFT JOIN milestones m ON m.id = i.milestone_id WHERE i.id = $1{}",
            self.row_lock(Some("i"))
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(issue_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (repo_id, current, current_title): (i64, Option<i64>, Option<String>) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if current == milestone_id {
            return Ok(false);
        }
        let title = match milestone_id {
            Some(m) => Some(milestone_in_repo(&mut tx, repo_id, m).await?),
            None => None,
        };
        sqlx::query("UPDATE issues SET milestone_id = $2, updated_at = $3 WHERE id = $1")
            .bind(issue_id)
            .bind(milestone_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let event = match milestone_id {
            Some(m) => EventRow {
                kind: Some(EventKind::Milestoned),
                milestone_id: Some(m),
                value: title.as_deref(),
                ..EventRow::default()
            },
            None => EventRow {
                kind: Some(EventKind::Demilestoned),
                milestone_id: current,
                value: current_title.as_deref(),
                ..EventRow::default()
            },
        };
        insert_event(
            &mut tx,
            EventRow {
                issue_id,
                actor_id: Some(actor_id),
                ..event
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Adds (`on`) or removes an assignee. Returns whether anything changed.
    pub async fn set_issue_assignee(
        &self,
        issue_id: i64,
        user_id: i64,
        on: bool,
        actor_id: i64,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let done = if on {
            sqlx::query(
                "INSERT INTO issue_assignees (issue_id, user_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
        } else {
            sqlx::query("DELETE FROM issue_assignees WHERE issue_id = $1 AND user_id = $2")
        }
        .bind(issue_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        insert_event(
            &mut tx,
            EventRow {
                issue_id,
                actor_id: Some(actor_id),
                kind: Some(if on {
                    EventKind::Assigned
                } else {
                    EventKind::Unassigned
                }),
                subject_id: Some(user_id),
                ..EventRow::default()
            },
            now,
        )
        .await?;
        touch_issue(&mut tx, issue_id, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn add_comment(
        &self,
        issue_id: i64,
        author_id: i64,
        body: &str,
    ) -> Result<Comment, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO issue_comments (issue_id, author_id, body, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(issue_id)
        .bind(author_id)
        .bind(body)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE issues SET comment_count = comment_count + 1, updated_at = $2 WHERE id = $1",
        )
        .bind(issue_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.comment(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn comment(&self, id: i64) -> Result<Option<Comment>, StoreError> {
        let row = sqlx::query(concat!(comment_select!(), " WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| comment_at(&r)).transpose()?)
    }

    /// In the order they were written.
    pub async fn comments(&self, issue_id: i64) -> Result<Vec<Comment>, StoreError> {
        let rows = sqlx::query(concat!(
            comment_select!(),
            " WHERE c.issue_id = $1 ORDER BY c.created_at, c.id"
        ))
        .bind(issue_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(comment_at).collect::<Result<_, _>>()?)
    }

    /// Changes a comment still at `version`, keeping what it said as a revision.
    pub async fn edit_comment(
        &self,
        id: i64,
        version: i64,
        editor_id: i64,
        body: &str,
    ) -> Result<Comment, StoreError> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT issue_id, body, version FROM issue_comments WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (issue_id, old_body, current): (i64, String, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if current != version {
            return Err(StoreError::Stale);
        }
        if old_body != body {
            // The version check again in the UPDATE: on PostgreSQL a concurrent edit may
            // have committed since the SELECT above (which takes no lock), and this
            // statement, after waiting for that edit's row lock, sees the new version.
            let done = sqlx::query(
                "UPDATE issue_comments SET body = $2, version = version + 1, updated_at = $3
                  WHERE id = $1 AND version = $4",
            )
            .bind(id)
            .bind(body)
            .bind(now)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Stale);
            }
            sqlx::query(
                "INSERT INTO issue_revisions (issue_id, comment_id, editor_id, body, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(issue_id)
            .bind(id)
            .bind(editor_id)
            .bind(&old_body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        self.comment(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn delete_comment(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let issue_id: i64 =
            sqlx::query_scalar("DELETE FROM issue_comments WHERE id = $1 RETURNING issue_id")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE issues SET comment_count = comment_count - 1 WHERE id = $1")
            .bind(issue_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Earlier versions of an issue (`comment_id` None) or of one of its comments, newest
    /// first.
    pub async fn revisions(
        &self,
        issue_id: i64,
        comment_id: Option<i64>,
    ) -> Result<Vec<Revision>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.title, r.body, r.created_at, p.id, p.name, p.display_name
               FROM issue_revisions r LEFT JOIN accounts p ON p.id = r.editor_id
              WHERE r.issue_id = $1
                AND ((r.comment_id IS NULL AND $2 IS NULL) OR r.comment_id = $2)
              ORDER BY r.id DESC",
        )
        .bind(issue_id)
        .bind(comment_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Revision {
                    id: r.try_get(0)?,
                    title: r.try_get(1)?,
                    body: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    editor: person_at(r, 4)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The issue's events in order.
    pub async fn issue_events(&self, issue_id: i64) -> Result<Vec<IssueEvent>, StoreError> {
        let sql = format!(
            "SELECT e.id, e.kind, e.milestone_id, e.ref_comment_id, e.commit_id, e.old_value,
                    e.value, e.created_at,
                    p.id, p.name, p.display_name,
                    s.id, s.name, s.display_name,
                    {LABEL_COLS},
                    ri.id, ri.repo_id, ra.name, rr.name, ri.number, ri.title, ri.is_closed,
                    cr.id, ca.name, cr.name
               FROM issue_events e
               LEFT JOIN accounts p ON p.id = e.actor_id
               LEFT JOIN accounts s ON s.id = e.subject_id
               LEFT JOIN labels l ON l.id = e.label_id
               LEFT JOIN issues ri ON ri.id = e.ref_issue_id
               LEFT JOIN repositories rr ON rr.id = ri.repo_id
               LEFT JOIN accounts ra ON ra.id = rr.owner_id
               LEFT JOIN repositories cr ON cr.id = e.ref_repo_id
               LEFT JOIN accounts ca ON ca.id = cr.owner_id
              WHERE e.issue_id = $1 ORDER BY e.created_at, e.id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(issue_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(1)?;
                let label_id: Option<i64> = r.try_get(14)?;
                let ref_issue_id: Option<i64> = r.try_get(19)?;
                let ref_repo_id: Option<i64> = r.try_get(26)?;
                Ok(IssueEvent {
                    id: r.try_get(0)?,
                    kind: parse_col(&kind)?,
                    milestone_id: r.try_get(2)?,
                    ref_comment_id: r.try_get(3)?,
                    commit_id: r.try_get(4)?,
                    old_value: r.try_get(5)?,
                    value: r.try_get(6)?,
                    created_at: r.try_get(7)?,
                    actor: person_at(r, 8)?,
                    subject: person_at(r, 11)?,
                    label: label_id.map(|_| label_at(r, 14)).transpose()?,
                    ref_issue: match ref_issue_id {
                        Some(issue_id) => Some(IssueRef {
                            issue_id,
                            repo_id: r.try_get(20)?,
                            owner_name: r.try_get(21)?,
                            repo_name: r.try_get(22)?,
                            number: r.try_get(23)?,
                            title: r.try_get(24)?,
                            is_closed: r.try_get::<i64, _>(25)? != 0,
                        }),
                        None => None,
                    },
                    ref_repo: match ref_repo_id {
                        Some(id) => Some(RepoRef {
                            id,
                            owner_name: r.try_get(27)?,
                            name: r.try_get(28)?,
                        }),
                        None => None,
                    },
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Records that issue `source` (or its comment) mentions issue `target`, once per pair.
    pub async fn add_issue_reference(
        &self,
        target: i64,
        source: i64,
        source_comment: Option<i64>,
        actor_id: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        insert_event(
            &mut tx,
            EventRow {
                issue_id: target,
                actor_id: Some(actor_id),
                kind: Some(EventKind::RefIssue),
                ref_issue_id: Some(source),
                ref_comment_id: source_comment,
                ..EventRow::default()
            },
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that a pushed commit mentions the issue, once per commit.
    pub async fn add_commit_reference(
        &self,
        issue_id: i64,
        repo_id: i64,
        commit_id: &str,
        actor_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        insert_event(
            &mut tx,
            EventRow {
                issue_id,
                actor_id,
                kind: Some(EventKind::RefCommit),
                ref_repo_id: Some(repo_id),
                commit_id: Some(commit_id),
                ..EventRow::default()
            },
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that these users are mentioned in the issue (once each).
    pub async fn add_mentions(&self, issue_id: i64, user_ids: &[i64]) -> Result<(), StoreError> {
        if user_ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        let now = now_ms();
        for user in user_ids {
            sqlx::query(
                "INSERT INTO issue_mentions (issue_id, user_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(issue_id)
            .bind(user)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Users mentioned in the issue.
    pub async fn mentions(&self, issue_id: i64) -> Result<Vec<Person>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.display_name FROM issue_mentions m
               JOIN accounts p ON p.id = m.user_id WHERE m.issue_id = $1 ORDER BY p.lower_name",
        )
        .bind(issue_id)
        .fetch_all(self.pool())
        .await?;
        persons(&rows)
    }

    /// Users related to a repository in any way that can grant access: its owner, its
    /// collaborators, members of its teams and owners of its organization. The caller asks
    /// the policy which of them may do what.
    pub async fn repo_people(&self, repo_id: i64) -> Result<Vec<Person>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.display_name FROM accounts p
              WHERE p.kind = 0 AND (
                    p.id = (SELECT r.owner_id FROM repositories r WHERE r.id = $1)
                 OR p.id IN (SELECT c.user_id FROM repo_collaborators c WHERE c.repo_id = $1)
                 OR p.id IN (SELECT tm.user_id FROM repo_teams rt
                               JOIN team_members tm ON tm.team_id = rt.team_id
                              WHERE rt.repo_id = $1)
                 OR p.id IN (SELECT m.user_id FROM org_members m
                               JOIN repositories r ON r.owner_id = m.org_id
                              WHERE r.id = $1 AND m.role = 'owner'))
              ORDER BY p.lower_name",
        )
        .bind(repo_id)
        .fetch_all(self.pool())
        .await?;
        persons(&rows)
    }

    /// Users by name (case-insensitive), for resolving @mentions; organizations excluded.
    pub async fn users_by_names(&self, names: &[String]) -> Result<Vec<Person>, StoreError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut binds = Binds::default();
        let list: Vec<String> = names
            .iter()
            .take(256)
            .map(|n| binds.text(n.to_ascii_lowercase()))
            .collect();
        let sql = format!(
            "SELECT p.id, p.name, p.display_name FROM accounts p
              WHERE p.kind = 0 AND p.lower_name IN ({})",
            list.join(", ")
        );
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        persons(&rows)
    }
}

/// An issue event to insert; unset fields are NULL.
#[derive(Default)]
pub(crate) struct EventRow<'a> {
    pub(crate) issue_id: i64,
    pub(crate) actor_id: Option<i64>,
    pub(crate) kind: Option<EventKind>,
    pub(crate) label_id: Option<i64>,
    pub(crate) milestone_id: Option<i64>,
    pub(crate) subject_id: Option<i64>,
    pub(crate) ref_issue_id: Option<i64>,
    pub(crate) ref_comment_id: Option<i64>,
    pub(crate) ref_repo_id: Option<i64>,
    pub(crate) commit_id: Option<&'a str>,
    pub(crate) old_value: Option<&'a str>,
    pub(crate) value: Option<&'a str>,
}

/// Inserts the event unless its unique key (a commit's, or an issue reference's) exists
/// already. Returns whether it was inserted.
pub(crate) async fn insert_event(
    tx: &mut Tx,
    e: EventRow<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let kind = e.kind.map(EventKind::as_str).unwrap_or_default();
    let done = sqlx::query(
        "INSERT INTO issue_events (issue_id, actor_id, kind, label_id, milestone_id, subject_id,
             ref_issue_id, ref_comment_id, ref_repo_id, commit_id, old_value, value, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT DO NOTHING",
    )
    .bind(e.issue_id)
    .bind(e.actor_id)
    .bind(kind)
    .bind(e.label_id)
    .bind(e.milestone_id)
    .bind(e.subject_id)
    .bind(e.ref_issue_id)
    .bind(e.ref_comment_id)
    .bind(e.ref_repo_id)
    .bind(e.commit_id)
    .bind(e.old_value)
    .bind(e.value)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

async fn touch_issue(tx: &mut Tx, issue_id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE issues SET updated_at = $2 WHERE id = $1")
        .bind(issue_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Inserts an issue (or the issue row of a pull request) with the next number of its
/// repository, with its labels and assignees, in the caller's transaction.
pub(crate) async fn insert_issue(
    tx: &mut Tx,
    new: &NewIssue<'_>,
    is_pull: bool,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let number: i64 = sqlx::query_scalar(
        "UPDATE repositories SET issue_seq = issue_seq + 1 WHERE id = $1 RETURNING issue_seq",
    )
    .bind(new.repo_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    if let Some(m) = new.milestone_id {
        milestone_in_repo(tx, new.repo_id, m).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO issues (repo_id, number, author_id, title, body, milestone_id,
             created_at, updated_at, is_pull)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
    )
    .bind(new.repo_id)
    .bind(number)
    .bind(new.author_id)
    .bind(new.title)
    .bind(new.body)
    .bind(new.milestone_id)
    .bind(now)
    .bind(i64::from(is_pull))
    .fetch_one(&mut **tx)
    .await?;
    for label in new.label_ids {
        let done = sqlx::query(
            "INSERT INTO issue_labels (issue_id, label_id)
             SELECT $1, l.id FROM labels l WHERE l.id = $2 AND l.repo_id = $3
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(label)
        .bind(new.repo_id)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM labels WHERE id = $1 AND repo_id = $2")
                    .bind(label)
                    .bind(new.repo_id)
                    .fetch_optional(&mut **tx)
                    .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
        }
    }
    for user in new.assignee_ids {
        sqlx::query(
            "INSERT INTO issue_assignees (issue_id, user_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// The milestone's title; `NotFound` unless it belongs to the repository.
async fn milestone_in_repo(tx: &mut Tx, repo_id: i64, id: i64) -> Result<String, StoreError> {
    sqlx::query_scalar("SELECT title FROM milestones WHERE id = $1 AND repo_id = $2")
        .bind(id)
        .bind(repo_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The condition "a review of issue `i` is asked of `user_id`, in person or through one of
/// their teams".
fn review_requested_of(binds: &mut Binds, user_id: i64) -> String {
    let (u, member) = (binds.int(user_id), binds.int(user_id));
    format!(
        "EXISTS (SELECT 1 FROM review_requests rr WHERE rr.issue_id = i.id
            AND (rr.user_id = {u} OR rr.team_id IN
                 (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = {member})))"
    )
}

/// The condition "a verdict of this state (`APPROVED` or `REQUEST_CHANGES`) stands on
/// issue `i`": the reviewer's latest verdict (a comment review gives none) is of that
/// state and not dismissed, as `hatchery_core::reviews::latest_verdicts` decides.
fn standing_verdict(state: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM pull_reviews v WHERE v.issue_id = i.id AND v.state = '{state}'
            AND v.dismissed = 0 AND v.reviewer_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM pull_reviews l WHERE l.issue_id = v.issue_id
                AND l.reviewer_id = v.reviewer_id AND l.id > v.id
                AND l.state IN ('APPROVED', 'REQUEST_CHANGES')))"
    )
}

/// The condition of a review-state filter; `None` for any state.
fn review_condition(filter: ReviewFilter) -> Option<String> {
    let changes = standing_verdict("REQUEST_CHANGES");
    let approved = standing_verdict("APPROVED");
    Some(match filter {
        ReviewFilter::Any => return None,
        ReviewFilter::None => "NOT EXISTS (SELECT 1 FROM pull_reviews r WHERE r.issue_id = i.id
            AND r.state <> 'PENDING')"
            .to_owned(),
        ReviewFilter::Required => format!(
            "EXISTS (SELECT 1 FROM review_requests rq WHERE rq.issue_id = i.id)
             AND NOT {approved} AND NOT {changes}"
        ),
        ReviewFilter::Approved => format!("{approved} AND NOT {changes}"),
        ReviewFilter::ChangesRequested => changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_patterns() {
        assert_eq!(search_terms("  crash  on start "), ["crash", "on", "start"]);
        assert_eq!(
            search_terms(r#"x "out of  memory" y"#),
            ["x", "out of memory", "y"]
        );
        assert_eq!(
            search_terms(r#""unterminated phrase"#),
            ["unterminated phrase"]
        );
        assert!(search_terms("   ").is_empty());
    }
}
