//! Labels and milestones of a repository's issues.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: i64,
    pub repo_id: i64,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    pub description: String,
}

/// A label with how many issues carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelUse {
    pub label: Label,
    pub open_issues: i64,
    pub closed_issues: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub id: i64,
    pub repo_id: i64,
    pub title: String,
    pub description: String,
    /// Unix milliseconds.
    pub due_at: Option<i64>,
    pub is_closed: bool,
    pub open_issues: i64,
    pub closed_issues: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

impl Milestone {
    /// Percent of its issues closed, 0 when it has none.
    pub fn progress(&self) -> i64 {
        let total = self.open_issues + self.closed_issues;
        if total == 0 {
            0
        } else {
            self.closed_issues * 100 / total
        }
    }
}

pub(crate) const LABEL_COLS: &str = "l.id, l.repo_id, l.name, l.color, l.description";

pub(crate) fn label_at(row: &AnyRow, i: usize) -> Result<Label, sqlx::Error> {
    Ok(Label {
        id: row.try_get(i)?,
        repo_id: row.try_get(i + 1)?,
        name: row.try_get(i + 2)?,
        color: row.try_get(i + 3)?,
        description: row.try_get(i + 4)?,
    })
}

macro_rules! milestone_select {
    () => {
        "SELECT m.id, m.repo_id, m.title, m.description, m.due_at, m.is_closed,
                (SELECT COUNT(*) FROM issues i WHERE i.milestone_id = m.id AND i.is_closed = 0),
                (SELECT COUNT(*) FROM issues i WHERE i.milestone_id = m.id AND i.is_closed = 1),
                m.created_at, m.updated_at, m.closed_at
           FROM milestones m"
    };
}

fn milestone_at(row: &AnyRow) -> Result<Milestone, sqlx::Error> {
    Ok(Milestone {
        id: row.try_get(0)?,
        repo_id: row.try_get(1)?,
        title: row.try_get(2)?,
        description: row.try_get(3)?,
        due_at: row.try_get(4)?,
        is_closed: row.try_get::<i64, _>(5)? != 0,
        open_issues: row.try_get(6)?,
        closed_issues: row.try_get(7)?,
        created_at: row.try_get(8)?,
        updated_at: row.try_get(9)?,
        closed_at: row.try_get(10)?,
    })
}

impl Store {
    /// The repository's labels by name, with how many open and closed issues carry each.
    pub async fn labels(&self, repo_id: i64) -> Result<Vec<LabelUse>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.id, l.repo_id, l.name, l.color, l.description,
                    CAST(COALESCE(SUM(1 - i.is_closed), 0) AS BIGINT),
                    CAST(COALESCE(SUM(i.is_closed), 0) AS BIGINT)
               FROM labels l
               LEFT JOIN issue_labels il ON il.label_id = l.id
               LEFT JOIN issues i ON i.id = il.issue_id
              WHERE l.repo_id = $1
              GROUP BY l.id
              ORDER BY l.lower_name",
        )
        .bind(repo_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LabelUse {
                    label: label_at(r, 0)?,
                    open_issues: r.try_get(5)?,
                    closed_issues: r.try_get(6)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Ids and names of the repository's labels, for resolving filters: no counts.
    pub async fn label_names(&self, repo_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        let rows =
            sqlx::query("SELECT id, name FROM labels WHERE repo_id = $1 ORDER BY lower_name")
                .bind(repo_id)
                .fetch_all(self.pool())
                .await?;
        id_names(&rows)
    }

    /// A label of this repository; `None` for another repository's.
    pub async fn label(&self, repo_id: i64, id: i64) -> Result<Option<Label>, StoreError> {
        let row = sqlx::query(
            "SELECT l.id, l.repo_id, l.name, l.color, l.description
               FROM labels l WHERE l.id = $1 AND l.repo_id = $2",
        )
        .bind(id)
        .bind(repo_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| label_at(&r, 0)).transpose()?)
    }

    /// `Conflict(Name)` when the repository has a label of that name in any case.
    pub async fn create_label(
        &self,
        repo_id: i64,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<Label, StoreError> {
        let row = sqlx::query(
            "INSERT INTO labels (repo_id, name, lower_name, color, description, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, repo_id, name, color, description",
        )
        .bind(repo_id)
        .bind(name)
        .bind(name.to_lowercase())
        .bind(color)
        .bind(description)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        Ok(label_at(&row, 0)?)
    }

    /// Adds each of `labels` (name, colour, description) the repository lacks; keeps the rest.
    pub async fn add_labels(
        &self,
        repo_id: i64,
        labels: &[(&str, &str, &str)],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let now = now_ms();
        for (name, color, description) in labels {
            sqlx::query(
                "INSERT INTO labels (repo_id, name, lower_name, color, description, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(repo_id)
            .bind(*name)
            .bind(name.to_lowercase())
            .bind(*color)
            .bind(*description)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `NotFound` when the label is not this repository's; `Conflict(Name)` on a taken name.
    pub async fn update_label(
        &self,
        repo_id: i64,
        id: i64,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<Label, StoreError> {
        let row = sqlx::query(
            "UPDATE labels SET name = $3, lower_name = $4, color = $5, description = $6
              WHERE id = $1 AND repo_id = $2
             RETURNING id, repo_id, name, color, description",
        )
        .bind(id)
        .bind(repo_id)
        .bind(name)
        .bind(name.to_lowercase())
        .bind(color)
        .bind(description)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| label_at(&r, 0))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Removes the label from every issue too. `NotFound` when it is not this repository's.
    pub async fn delete_label(&self, repo_id: i64, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM labels WHERE id = $1 AND repo_id = $2")
            .bind(id)
            .bind(repo_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Open milestones first (nearest due date first, undated last), then closed ones.
    pub async fn milestones(&self, repo_id: i64) -> Result<Vec<Milestone>, StoreError> {
        let rows = sqlx::query(concat!(
            milestone_select!(),
            " WHERE m.repo_id = $1
             ORDER BY m.is_closed, CASE WHEN m.due_at IS NULL THEN 1 ELSE 0 END, m.due_at,
                      m.lower_name"
        ))
        .bind(repo_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(milestone_at).collect::<Result<_, _>>()?)
    }

    /// Ids and titles of the repository's milestones, for resolving filters: no counts.
    pub async fn milestone_titles(&self, repo_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        let rows =
            sqlx::query("SELECT id, title FROM milestones WHERE repo_id = $1 ORDER BY lower_name")
                .bind(repo_id)
                .fetch_all(self.pool())
                .await?;
        id_names(&rows)
    }

    /// A milestone of this repository; `None` for another repository's.
    pub async fn milestone(&self, repo_id: i64, id: i64) -> Result<Option<Milestone>, StoreError> {
        let row = sqlx::query(concat!(
            milestone_select!(),
            " WHERE m.id = $1 AND m.repo_id = $2"
        ))
        .bind(id)
        .bind(repo_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| milestone_at(&r)).transpose()?)
    }

    /// `Conflict(Name)` when the repository has a milestone of that title in any case.
    pub async fn create_milestone(
        &self,
        repo_id: i64,
        title: &str,
        description: &str,
        due_at: Option<i64>,
    ) -> Result<Milestone, StoreError> {
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO milestones (repo_id, title, lower_name, description, due_at, is_closed,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
        )
        .bind(repo_id)
        .bind(title)
        .bind(title.to_lowercase())
        .bind(description)
        .bind(due_at)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        self.milestone(repo_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Changes title, description, due date and state. `NotFound` when it is not this
    /// repository's; `Conflict(Name)` on a taken title.
    pub async fn update_milestone(
        &self,
        repo_id: i64,
        id: i64,
        title: &str,
        description: &str,
        due_at: Option<i64>,
        is_closed: bool,
    ) -> Result<Milestone, StoreError> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE milestones SET title = $3, lower_name = $4, description = $5, due_at = $6,
                    closed_at = CASE WHEN $7 = 0 THEN NULL
                                     WHEN is_closed = 1 THEN closed_at ELSE $8 END,
                    is_closed = $7, updated_at = $8
              WHERE id = $1 AND repo_id = $2",
        )
        .bind(id)
        .bind(repo_id)
        .bind(title)
        .bind(title.to_lowercase())
        .bind(description)
        .bind(due_at)
        .bind(i64::from(is_closed))
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.milestone(repo_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Its issues keep their history and lose the milestone.
    pub async fn delete_milestone(&self, repo_id: i64, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM milestones WHERE id = $1 AND repo_id = $2")
            .bind(id)
            .bind(repo_id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

/// Rows of (id, text).
fn id_names(rows: &[AnyRow]) -> Result<Vec<(i64, String)>, StoreError> {
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
