//! Recommendations to graduate: what a passed graduation vote leaves when the program's
//! board decides graduation (migration 0028). A recommendation is made in the transaction
//! that closes the vote; its resolution draft is edited with the version it was read at
//! (a stale edit is [`StoreError::Stale`], never an overwrite); sending it and recording
//! the board's decision are claimed with `UPDATE ... WHERE state = <the state read>`, so a
//! decision is recorded once, and an approval moves the project to its graduated stage in
//! the same transaction. Each change writes its audit entry with it.

use hatchery_core::incubator::{Board, GraduationState};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::incubator::{NewAudit, StageMove, apply_stage_move, detail, insert_audit};
use crate::issues::Person;
use crate::sql::{parse_col, person_at};
use crate::{Store, StoreError, Tx};

/// A recommendation as a passed graduation vote makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGraduation {
    pub project_id: i64,
    /// The graduated stage the board's approval moves the project to.
    pub target_stage: String,
    pub board: Board,
    /// The resolution's first draft (empty when the program drafts none).
    pub resolution: String,
    /// The chair the draft names.
    pub chair: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graduation {
    pub id: i64,
    pub project_id: i64,
    /// The vote that recommended it.
    pub vote_id: Option<i64>,
    pub target_stage: String,
    pub board: Board,
    pub state: GraduationState,
    pub resolution: String,
    pub chair: String,
    /// Counts the resolution's saves, from 1.
    pub version: i64,
    pub submitted_by: Option<Person>,
    pub submitted_at: Option<i64>,
    /// The board's meeting, `YYYY-MM-DD`.
    pub decision_date: Option<String>,
    /// Where the decision is recorded (the minutes).
    pub reference: String,
    pub decided_by: Option<Person>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A board's decision ([`Store::decide_graduation`]).
#[derive(Debug, Clone)]
pub struct GraduationDecision<'a> {
    pub id: i64,
    /// The state the decision was taken from, as read: `Stale` if it changed meanwhile
    /// (another decision was recorded).
    pub from: GraduationState,
    pub approved: bool,
    pub decision_date: &'a str,
    pub reference: &'a str,
    /// The project's move to its graduated stage, on approval.
    pub stage: Option<StageMove>,
    pub actor_id: Option<i64>,
    pub now: i64,
}

const SELECT: &str = "SELECT g.id, g.project_id, g.vote_id, g.target_stage, g.board, g.state,
        g.resolution, g.chair, g.version, g.submitted_at, g.decision_date, g.reference,
        g.decided_at, g.created_at, g.updated_at,
        s.id, s.name, s.display_name, d.id, d.name, d.display_name
   FROM graduations g
   LEFT JOIN accounts s ON s.id = g.submitted_by
   LEFT JOIN accounts d ON d.id = g.decided_by";

fn graduation_at(row: &AnyRow) -> Result<Graduation, sqlx::Error> {
    let board: String = row.try_get(4)?;
    let state: String = row.try_get(5)?;
    Ok(Graduation {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        vote_id: row.try_get(2)?,
        target_stage: row.try_get(3)?,
        board: parse_col(&board)?,
        state: parse_col(&state)?,
        resolution: row.try_get(6)?,
        chair: row.try_get(7)?,
        version: row.try_get(8)?,
        submitted_at: row.try_get(9)?,
        decision_date: row.try_get(10)?,
        reference: row.try_get(11)?,
        decided_at: row.try_get(12)?,
        created_at: row.try_get(13)?,
        updated_at: row.try_get(14)?,
        submitted_by: person_at(row, 15)?,
        decided_by: person_at(row, 18)?,
    })
}

/// Records the recommendation of a passed graduation vote, with an audit entry; `None`
/// (and nothing recorded but the audit entry) when the project has left `from_stage` or a
/// recommendation of it is already waiting.
pub(crate) async fn insert_graduation(
    tx: &mut Tx,
    program_id: i64,
    vote_id: i64,
    g: &NewGraduation,
    from_stage: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let in_stage: Option<i64> =
        sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND stage = $2")
            .bind(g.project_id)
            .bind(from_stage)
            .fetch_optional(&mut **tx)
            .await?;
    let waiting: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM graduations
          WHERE project_id = $1 AND state IN ('recommended', 'submitted')",
    )
    .bind(g.project_id)
    .fetch_optional(&mut **tx)
    .await?;
    let id = if in_stage.is_some() && waiting.is_none() {
        Some(
            sqlx::query_scalar(
                "INSERT INTO graduations (project_id, vote_id, target_stage, board, state,
                     resolution, chair, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'recommended', $5, $6, $7, $7) RETURNING id",
            )
            .bind(g.project_id)
            .bind(vote_id)
            .bind(g.target_stage.as_str())
            .bind(g.board.as_str())
            .bind(g.resolution.as_str())
            .bind(g.chair.as_str())
            .bind(now)
            .fetch_one(&mut **tx)
            .await?,
        )
    } else {
        None
    };
    let mut a = NewAudit::new(program_id, None, "graduation.recommended");
    a.project_id = Some(g.project_id);
    a.vote_id = Some(vote_id);
    a.detail = detail([
        ("graduation_id", id.into()),
        ("to", g.target_stage.as_str().into()),
        ("board", g.board.as_str().into()),
        ("applied", id.is_some().into()),
    ]);
    insert_audit(tx, &a, now).await?;
    Ok(id)
}

impl Store {
    pub async fn graduation_by_id(&self, id: i64) -> Result<Option<Graduation>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE g.id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(graduation_at).transpose()?)
    }

    /// The project's recommendations, newest first.
    pub async fn graduations_of_project(
        &self,
        project_id: i64,
    ) -> Result<Vec<Graduation>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE g.project_id = $1 ORDER BY g.id DESC"
        )))
        .bind(project_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(graduation_at).collect::<Result<_, _>>()?)
    }

    /// The project's recommendation waiting for a board, if any.
    pub async fn pending_graduation(
        &self,
        project_id: i64,
    ) -> Result<Option<Graduation>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE g.project_id = $1 AND g.state IN ('recommended', 'submitted')"
        )))
        .bind(project_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(graduation_at).transpose()?)
    }

    /// Saves a new resolution text and chair over `version`, with an audit entry. `Stale`
    /// unless the recommendation is still `recommended` at `version`.
    pub async fn edit_resolution(
        &self,
        id: i64,
        version: i64,
        resolution: &str,
        chair: &str,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Graduation, StoreError> {
        let mut tx = self.write_tx().await?;
        let (program_id, project_id) = program_and_project(&mut tx, id).await?;
        let done = sqlx::query(
            "UPDATE graduations SET resolution = $3, chair = $4, version = version + 1,
                    updated_at = $5
              WHERE id = $1 AND version = $2 AND state = 'recommended'",
        )
        .bind(id)
        .bind(version)
        .bind(resolution)
        .bind(chair)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        let mut a = NewAudit::new(program_id, actor_id, "graduation.resolution_edited");
        a.project_id = Some(project_id);
        a.detail = detail([
            ("graduation_id", id.into()),
            ("version", (version + 1).into()),
        ]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.graduation_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Marks the resolution sent to the board: its text is final from now. `Stale` unless
    /// the recommendation is still `recommended` at `version`.
    pub async fn submit_resolution(
        &self,
        id: i64,
        version: i64,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Graduation, StoreError> {
        let mut tx = self.write_tx().await?;
        let (program_id, project_id) = program_and_project(&mut tx, id).await?;
        let done = sqlx::query(
            "UPDATE graduations SET state = 'submitted', submitted_by = $3, submitted_at = $4,
                    updated_at = $4
              WHERE id = $1 AND version = $2 AND state = 'recommended'",
        )
        .bind(id)
        .bind(version)
        .bind(actor_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        let mut a = NewAudit::new(program_id, actor_id, "graduation.submitted");
        a.project_id = Some(project_id);
        a.detail = detail([("graduation_id", id.into()), ("version", version.into())]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.graduation_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Records the board's decision once, with an audit entry; on approval the project
    /// moves in the same transaction. `Stale` when the recommendation is no longer in
    /// `d.from` (a decision was recorded meanwhile) or the project left the stage it was
    /// recommended from.
    pub async fn decide_graduation(
        &self,
        d: GraduationDecision<'_>,
    ) -> Result<Graduation, StoreError> {
        let mut tx = self.write_tx().await?;
        let (program_id, project_id) = program_and_project(&mut tx, d.id).await?;
        let to = if d.approved {
            GraduationState::Approved
        } else {
            GraduationState::Rejected
        };
        let done = sqlx::query(
            "UPDATE graduations SET state = $3, decision_date = $4, reference = $5,
                    decided_by = $6, decided_at = $7, updated_at = $7
              WHERE id = $1 AND state = $2",
        )
        .bind(d.id)
        .bind(d.from.as_str())
        .bind(to.as_str())
        .bind(d.decision_date)
        .bind(d.reference)
        .bind(d.actor_id)
        .bind(d.now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        let mut a = NewAudit::new(program_id, d.actor_id, "graduation.decided");
        a.project_id = Some(project_id);
        a.reference = d.reference.to_owned();
        a.detail = detail([
            ("graduation_id", d.id.into()),
            ("approved", d.approved.into()),
            ("decision_date", d.decision_date.into()),
        ]);
        insert_audit(&mut tx, &a, d.now).await?;
        if let Some(m) = &d.stage
            && !apply_stage_move(&mut tx, m, d.actor_id, None, d.reference, d.now).await?
        {
            return Err(StoreError::Stale);
        }
        tx.commit().await?;
        self.graduation_by_id(d.id)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

/// The program and project of recommendation `id`; `NotFound` when there is none.
async fn program_and_project(tx: &mut Tx, id: i64) -> Result<(i64, i64), StoreError> {
    let row = sqlx::query(
        "SELECT p.program_id, p.id FROM graduations g JOIN projects p ON p.id = g.project_id
          WHERE g.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
