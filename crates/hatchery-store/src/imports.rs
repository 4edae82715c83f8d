//! Imports from other forges: the progress row of each import (`repo_imports`) and the map
//! from the source's ids to the rows made here (`import_items`).
//!
//! What the store guarantees: every imported row is written in the same transaction as
//! its map entry, so an import that stops anywhere and runs again finds what it already
//! made and never makes a second copy; only the runner holding an import's lease advances
//! it.

use std::collections::HashMap;

use hatchery_core::imports::{ImportCounts, ImportState, PullOutcome, Stage, item};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, Tx, now_ms};

/// One import into one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoImport {
    pub id: i64,
    pub repo_id: i64,
    /// `None` once the account is deleted.
    pub requester_id: Option<i64>,
    pub service: String,
    pub clone_addr: String,
    pub auth_username: String,
    /// The source's token or password; cleared when the import is done.
    pub auth_secret: String,
    /// The options as JSON (what to bring, the user map), as the service wrote them.
    pub options: String,
    pub state: ImportState,
    pub stage: Stage,
    /// Where the stage goes on (the source's next page), as the stage's downloader wrote it.
    pub cursor: String,
    pub last_error: String,
    pub lease_until: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

/// What starting an import records.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub repo_id: i64,
    pub requester_id: i64,
    pub service: &'a str,
    pub clone_addr: &'a str,
    pub auth_username: &'a str,
    pub auth_secret: &'a str,
    pub options: &'a str,
}

/// An issue (or a pull request kept as an issue) as the source had it.
#[derive(Debug, Clone)]
pub struct ImportedIssue<'a> {
    pub repo_id: i64,
    /// The source's number, kept when the repository does not have it yet.
    pub number: i64,
    pub author_id: i64,
    pub original_author: &'a str,
    pub original_service: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub is_closed: bool,
    pub is_locked: bool,
    pub milestone_id: Option<i64>,
    pub label_ids: &'a [i64],
    /// Local accounts it is assigned to.
    pub assignee_ids: &'a [i64],
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    /// A pull request: kept as a request record (closed or merged as on the source;
    /// its head repository is the source's, so it has none here).
    pub pull: Option<ImportedPull<'a>>,
}

/// The request part of an imported pull request.
#[derive(Debug, Clone)]
pub struct ImportedPull<'a> {
    pub outcome: PullOutcome,
    pub base_branch: &'a str,
    pub head_branch: &'a str,
    /// The head commit on the source (fetched as `refs/pull/N/head` where the source has
    /// those refs; otherwise possibly absent here).
    pub head_oid: &'a str,
    /// The merge commit, when merged and the source says it.
    pub merge_commit: &'a str,
    /// Where the head branched off the base; empty when unknown.
    pub merge_base: &'a str,
    pub merged_at: Option<i64>,
    /// The local account of who merged it, when known.
    pub merged_by: Option<i64>,
}

/// A comment as the source had it.
#[derive(Debug, Clone)]
pub struct ImportedComment<'a> {
    pub issue_id: i64,
    pub author_id: i64,
    pub original_author: &'a str,
    pub original_service: &'a str,
    pub body: &'a str,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A milestone as the source had it.
#[derive(Debug, Clone)]
pub struct ImportedMilestone<'a> {
    pub repo_id: i64,
    pub title: &'a str,
    pub description: &'a str,
    pub due_at: Option<i64>,
    pub is_closed: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// A release as the source had it.
#[derive(Debug, Clone)]
pub struct ImportedRelease<'a> {
    pub repo_id: i64,
    pub tag_name: &'a str,
    pub target: &'a str,
    pub title: &'a str,
    pub note: &'a str,
    pub is_draft: bool,
    pub is_prerelease: bool,
    pub author_id: i64,
    pub created_at: i64,
    pub published_at: Option<i64>,
}

const IMPORT_COLS: &str = "id, repo_id, requester_id, service, clone_addr, auth_username,
    auth_secret, options, state, stage, cursor, last_error, lease_until, created_at,
    started_at, updated_at, finished_at";

fn import_at(row: &AnyRow) -> Result<RepoImport, sqlx::Error> {
    let state: String = row.try_get(8)?;
    let stage: String = row.try_get(9)?;
    Ok(RepoImport {
        id: row.try_get(0)?,
        repo_id: row.try_get(1)?,
        requester_id: row.try_get(2)?,
        service: row.try_get(3)?,
        clone_addr: row.try_get(4)?,
        auth_username: row.try_get(5)?,
        auth_secret: row.try_get(6)?,
        options: row.try_get(7)?,
        state: ImportState::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown import state {state:?}").into()))?,
        stage: Stage::parse(&stage)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown import stage {stage:?}").into()))?,
        cursor: row.try_get(10)?,
        last_error: row.try_get(11)?,
        lease_until: row.try_get(12)?,
        created_at: row.try_get(13)?,
        started_at: row.try_get(14)?,
        updated_at: row.try_get(15)?,
        finished_at: row.try_get(16)?,
    })
}

/// The local id of an item already imported, inside a transaction.
async fn mapped(
    tx: &mut Tx,
    import_id: i64,
    kind: &str,
    source_id: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT local_id FROM import_items WHERE import_id = $1 AND kind = $2 AND source_id = $3",
    )
    .bind(import_id)
    .bind(kind)
    .bind(source_id)
    .fetch_optional(&mut **tx)
    .await?)
}

async fn map_item(
    tx: &mut Tx,
    import_id: i64,
    kind: &str,
    source_id: &str,
    local_id: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO import_items (import_id, kind, source_id, local_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(import_id)
    .bind(kind)
    .bind(source_id)
    .bind(local_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Records a new import, queued. `Conflict` when the repository has one already.
    pub async fn create_import(&self, new: NewImport<'_>) -> Result<RepoImport, StoreError> {
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO repo_imports (repo_id, requester_id, service, clone_addr,
                 auth_username, auth_secret, options, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(new.repo_id)
        .bind(new.requester_id)
        .bind(new.service)
        .bind(new.clone_addr)
        .bind(new.auth_username)
        .bind(new.auth_secret)
        .bind(new.options)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        self.import_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn import_by_id(&self, id: i64) -> Result<Option<RepoImport>, StoreError> {
        let sql = format!("SELECT {IMPORT_COLS} FROM repo_imports WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| import_at(&r)).transpose()?)
    }

    /// The import that made this repository, if any.
    pub async fn import_of_repo(&self, repo_id: i64) -> Result<Option<RepoImport>, StoreError> {
        let sql = format!("SELECT {IMPORT_COLS} FROM repo_imports WHERE repo_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(repo_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| import_at(&r)).transpose()?)
    }

    /// Imports a runner may take now: queued ones, and running ones whose runner's lease
    /// ran out (it crashed or its server stopped).
    pub async fn claimable_imports(&self, now: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM repo_imports
              WHERE state = 'queued' OR (state = 'running' AND lease_until < $1)
              ORDER BY id",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?)
    }

    /// Takes an import for a runner until `lease_until`: only a queued one, or a running
    /// one whose lease ran out. Returns whether this caller got it.
    pub async fn claim_import(
        &self,
        id: i64,
        now: i64,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE repo_imports SET state = 'running', lease_until = $3, updated_at = $2,
                    started_at = COALESCE(started_at, $2), last_error = ''
              WHERE id = $1 AND (state = 'queued' OR (state = 'running' AND lease_until < $2))",
        )
        .bind(id)
        .bind(now)
        .bind(lease_until)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records where a running import is and renews its lease; `false` when the runner
    /// no longer holds it (its lease was taken over).
    pub async fn advance_import(
        &self,
        id: i64,
        held_until: i64,
        stage: Stage,
        cursor: &str,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE repo_imports SET stage = $3, cursor = $4, lease_until = $5, updated_at = $6
              WHERE id = $1 AND state = 'running' AND lease_until = $2",
        )
        .bind(id)
        .bind(held_until)
        .bind(stage.as_str())
        .bind(cursor)
        .bind(lease_until)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends an import: done (its secret is forgotten) or failed with `error`.
    pub async fn end_import(
        &self,
        id: i64,
        held_until: i64,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let done = match error {
            None => sqlx::query(
                "UPDATE repo_imports SET state = 'done', stage = 'done', cursor = '',
                        auth_secret = '', last_error = '', finished_at = $3, updated_at = $3,
                        lease_until = 0
                  WHERE id = $1 AND state = 'running' AND lease_until = $2",
            )
            .bind(id)
            .bind(held_until)
            .bind(now),
            Some(e) => sqlx::query(
                "UPDATE repo_imports SET state = 'failed', last_error = $3, updated_at = $4,
                        lease_until = 0
                  WHERE id = $1 AND state = 'running' AND lease_until = $2",
            )
            .bind(id)
            .bind(held_until)
            .bind(e)
            .bind(now),
        }
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts a failed import back in the queue (it goes on where it stopped).
    pub async fn requeue_import(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE repo_imports SET state = 'queued', updated_at = $2
              WHERE id = $1 AND state = 'failed'",
        )
        .bind(id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// What an import has brought so far, by kind.
    pub async fn import_counts(&self, import_id: i64) -> Result<ImportCounts, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) FROM import_items WHERE import_id = $1 GROUP BY kind",
        )
        .bind(import_id)
        .fetch_all(self.pool())
        .await?;
        let mut counts = ImportCounts::default();
        for row in rows {
            let kind: String = row.try_get(0)?;
            let n: i64 = row.try_get(1)?;
            counts.add(&kind, n);
        }
        Ok(counts)
    }

    /// The local id an item of the source became, if it was imported.
    pub async fn imported_item(
        &self,
        import_id: i64,
        kind: &str,
        source_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT local_id FROM import_items
              WHERE import_id = $1 AND kind = $2 AND source_id = $3",
        )
        .bind(import_id)
        .bind(kind)
        .bind(source_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Every item of one kind imported so far: source id -> local id.
    pub async fn imported_items(
        &self,
        import_id: i64,
        kind: &str,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT source_id, local_id FROM import_items WHERE import_id = $1 AND kind = $2",
        )
        .bind(import_id)
        .bind(kind)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Records that a source item became a local row made elsewhere (a release asset,
    /// written through the release storage). A second record of it is ignored.
    pub async fn record_imported_item(
        &self,
        import_id: i64,
        kind: &str,
        source_id: &str,
        local_id: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        map_item(&mut tx, import_id, kind, source_id, local_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A label; one the repository already has by that name (any case) is used as is.
    pub async fn import_label(
        &self,
        import_id: i64,
        source_id: &str,
        repo_id: i64,
        (name, color, description): (&str, &str, &str),
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(id) = mapped(&mut tx, import_id, item::LABEL, source_id).await? {
            return Ok(id);
        }
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM labels WHERE repo_id = $1 AND lower_name = $2")
                .bind(repo_id)
                .bind(name.to_lowercase())
                .fetch_optional(&mut *tx)
                .await?;
        let id =
            match existing {
                Some(id) => id,
                None => sqlx::query_scalar(
                    "INSERT INTO labels (repo_id, name, lower_name, color, description, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(repo_id)
                .bind(name)
                .bind(name.to_lowercase())
                .bind(color)
                .bind(description)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?,
            };
        map_item(&mut tx, import_id, item::LABEL, source_id, id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A milestone; one the repository already has by that title is used as is.
    pub async fn import_milestone(
        &self,
        import_id: i64,
        source_id: &str,
        m: &ImportedMilestone<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(id) = mapped(&mut tx, import_id, item::MILESTONE, source_id).await? {
            return Ok(id);
        }
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM milestones WHERE repo_id = $1 AND lower_name = $2")
                .bind(m.repo_id)
                .bind(m.title.to_lowercase())
                .fetch_optional(&mut *tx)
                .await?;
        let id = match existing {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "INSERT INTO milestones (repo_id, title, lower_name, description, due_at,
                         is_closed, created_at, updated_at, closed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(m.repo_id)
                .bind(m.title)
                .bind(m.title.to_lowercase())
                .bind(m.description)
                .bind(m.due_at)
                .bind(i64::from(m.is_closed))
                .bind(m.created_at)
                .bind(m.updated_at)
                .bind(m.closed_at)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        map_item(&mut tx, import_id, item::MILESTONE, source_id, id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An issue (or a pull request kept as one, `kind` [`item::PULL`]) with its dates,
    /// labels and milestone. It keeps the source's number unless the repository has that
    /// number already (then it takes the next free one); the repository's counter moves
    /// past it, so issues opened later never collide. Returns the local issue id.
    pub async fn import_issue(
        &self,
        import_id: i64,
        kind: &str,
        source_id: &str,
        i: &ImportedIssue<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(id) = mapped(&mut tx, import_id, kind, source_id).await? {
            return Ok(id);
        }
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM issues WHERE repo_id = $1 AND number = $2")
                .bind(i.repo_id)
                .bind(i.number)
                .fetch_optional(&mut *tx)
                .await?;
        let number: i64 = if taken.is_none() && i.number > 0 {
            sqlx::query("UPDATE repositories SET issue_seq = $2 WHERE id = $1 AND issue_seq < $2")
                .bind(i.repo_id)
                .bind(i.number)
                .execute(&mut *tx)
                .await?;
            i.number
        } else {
            sqlx::query_scalar(
                "UPDATE repositories SET issue_seq = issue_seq + 1 WHERE id = $1
                 RETURNING issue_seq",
            )
            .bind(i.repo_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO issues (repo_id, number, author_id, title, body, is_closed,
                 close_reason, is_locked, milestone_id, created_at, updated_at, closed_at,
                 is_pull, original_author, original_service, imported_pull)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $16, $13, $14, $15)
             RETURNING id",
        )
        .bind(i.repo_id)
        .bind(number)
        .bind(i.author_id)
        .bind(i.title)
        .bind(i.body)
        .bind(i64::from(i.is_closed))
        .bind(i.is_closed.then_some("completed"))
        .bind(i64::from(i.is_locked))
        .bind(i.milestone_id)
        .bind(i.created_at)
        .bind(i.updated_at)
        .bind(if i.is_closed {
            Some(i.closed_at.unwrap_or(i.updated_at))
        } else {
            None
        })
        .bind(i.original_author)
        .bind(i.original_service)
        .bind(i.pull.as_ref().map(|p| p.outcome.as_str()))
        .bind(i64::from(i.pull.is_some()))
        .fetch_one(&mut *tx)
        .await?;
        if let Some(p) = &i.pull {
            let merged_at = (p.outcome == PullOutcome::Merged)
                .then(|| p.merged_at.or(i.closed_at).unwrap_or(i.updated_at));
            sqlx::query(
                "INSERT INTO pull_requests (issue_id, base_repo_id, base_branch, head_repo_id,
                     head_branch, head_oid, merge_base, is_draft, merged_at, merge_commit,
                     merged_by)
                 VALUES ($1, $2, $3, NULL, $4, $5, $8, 0, $6, $7, $9)",
            )
            .bind(id)
            .bind(i.repo_id)
            .bind(p.base_branch)
            .bind(p.head_branch)
            .bind(p.head_oid)
            .bind(merged_at)
            .bind(merged_at.map(|_| p.merge_commit))
            .bind(p.merge_base)
            .bind(merged_at.and(p.merged_by))
            .execute(&mut *tx)
            .await?;
        }
        for label in i.label_ids {
            sqlx::query(
                "INSERT INTO issue_labels (issue_id, label_id)
                 SELECT $1, l.id FROM labels l WHERE l.id = $2 AND l.repo_id = $3
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(label)
            .bind(i.repo_id)
            .execute(&mut *tx)
            .await?;
        }
        for user in i.assignee_ids {
            sqlx::query(
                "INSERT INTO issue_assignees (issue_id, user_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        }
        map_item(&mut tx, import_id, kind, source_id, id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A comment with its dates. Returns the local comment id.
    pub async fn import_comment(
        &self,
        import_id: i64,
        source_id: &str,
        c: &ImportedComment<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(id) = mapped(&mut tx, import_id, item::COMMENT, source_id).await? {
            return Ok(id);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO issue_comments (issue_id, author_id, body, created_at, updated_at,
                 original_author, original_service)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(c.issue_id)
        .bind(c.author_id)
        .bind(c.body)
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.original_author)
        .bind(c.original_service)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE issues SET comment_count = comment_count + 1 WHERE id = $1")
            .bind(c.issue_id)
            .execute(&mut *tx)
            .await?;
        map_item(&mut tx, import_id, item::COMMENT, source_id, id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A release with its dates; one the repository already has for that tag is used as
    /// is. Returns the local release id.
    pub async fn import_release(
        &self,
        import_id: i64,
        source_id: &str,
        r: &ImportedRelease<'_>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(id) = mapped(&mut tx, import_id, item::RELEASE, source_id).await? {
            return Ok(id);
        }
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM releases WHERE repo_id = $1 AND tag_name = $2")
                .bind(r.repo_id)
                .bind(r.tag_name)
                .fetch_optional(&mut *tx)
                .await?;
        let id = match existing {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "INSERT INTO releases (repo_id, tag_name, target, sha, title, note,
                         is_draft, is_prerelease, author_id, created_at, updated_at,
                         published_at, is_candidate)
                     VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $9, $9, $10, 0) RETURNING id",
                )
                .bind(r.repo_id)
                .bind(r.tag_name)
                .bind(r.target)
                .bind(r.title)
                .bind(r.note)
                .bind(i64::from(r.is_draft))
                .bind(i64::from(r.is_prerelease))
                .bind(r.author_id)
                .bind(r.created_at)
                .bind(if r.is_draft {
                    None
                } else {
                    Some(r.published_at.unwrap_or(r.created_at))
                })
                .fetch_one(&mut *tx)
                .await?
            }
        };
        map_item(&mut tx, import_id, item::RELEASE, source_id, id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The accounts with these e-mail addresses (lower-cased): address -> user id.
    pub async fn users_by_emails(
        &self,
        emails: &[String],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut found = HashMap::new();
        for email in emails {
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM accounts WHERE lower_email = $1")
                    .bind(email.to_lowercase())
                    .fetch_optional(self.pool())
                    .await?;
            if let Some(id) = id {
                found.insert(email.to_lowercase(), id);
            }
        }
        Ok(found)
    }
}
