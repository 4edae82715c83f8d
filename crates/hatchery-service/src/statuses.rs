//! Commit statuses: CI reports a state per context on a commit; the latest report of each
//! context counts, and the worst of those is the commit's combined state.

use std::collections::HashMap;

use hatchery_core::Actor;
use hatchery_core::statuses::{CommitState, NewStatus, combined_state};
use hatchery_git::Oid;
use hatchery_store::{CommitStatus, Repo};

use crate::{Forge, ServiceError};

#[derive(Debug, thiserror::Error)]
pub enum StatusReportError {
    /// The id names no commit of the repository.
    #[error("no such commit")]
    NoSuchCommit,
    #[error(transparent)]
    Other(#[from] ServiceError),
}

/// A commit's statuses as they stand: the latest per context, and their combined state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CombinedStatus {
    pub sha: String,
    pub state: CommitState,
    /// One per context, by context name.
    pub statuses: Vec<CommitStatus>,
}

impl CombinedStatus {
    fn of(sha: String, statuses: Vec<CommitStatus>) -> CombinedStatus {
        CombinedStatus {
            state: combined_state(statuses.iter().map(|s| s.state)),
            sha,
            statuses,
        }
    }
}

impl Forge {
    /// The commit a branch, tag or (abbreviated) commit id names.
    pub async fn resolve_commit(
        &self,
        repo: &Repo,
        reference: &str,
    ) -> Result<Option<Oid>, ServiceError> {
        let git = self.open_git_blocking(repo)?;
        let reference = reference.to_owned();
        Ok(tokio::task::spawn_blocking(move || {
            git.resolve_tree_path(&reference)
                .map(|r| r.filter(|r| r.path.is_empty()).map(|r| r.commit))
        })
        .await??)
    }

    /// Records `status` for the commit `sha` (full or abbreviated) names, reported by
    /// `actor` (who was allowed to write to `repo`), and tells the `status` webhooks.
    pub async fn report_status(
        &self,
        repo: &Repo,
        actor: Actor,
        sha: &str,
        status: &NewStatus,
    ) -> Result<CommitStatus, StatusReportError> {
        let creator = actor.user_id().ok_or(ServiceError::Task(
            "statuses are reported by signed-in users".into(),
        ))?;
        let git = self.open_git_blocking(repo)?;
        let hex = sha.to_owned();
        let commit = tokio::task::spawn_blocking(move || git.find_commit(&hex))
            .await
            .map_err(ServiceError::from)?
            .map_err(ServiceError::from)?
            .ok_or(StatusReportError::NoSuchCommit)?;
        let stored = self
            .store
            .add_commit_status(repo.id, &commit.to_string(), status, creator)
            .await
            .map_err(ServiceError::from)?;
        self.emit_status(repo, actor, &stored).await;
        Ok(stored)
    }

    /// The combined status of commit `sha` (a full id).
    pub async fn combined_status(
        &self,
        repo: &Repo,
        sha: &str,
    ) -> Result<CombinedStatus, ServiceError> {
        let mut latest = self
            .store
            .latest_commit_statuses(repo.id, &[sha.to_owned()])
            .await?;
        Ok(CombinedStatus::of(
            sha.to_owned(),
            latest.remove(sha).unwrap_or_default(),
        ))
    }

    /// The combined statuses of several commits (full ids) at once, for lists; commits
    /// without any status are absent.
    pub async fn combined_statuses(
        &self,
        repo: &Repo,
        shas: &[String],
    ) -> Result<HashMap<String, CombinedStatus>, ServiceError> {
        Ok(self
            .store
            .latest_commit_statuses(repo.id, shas)
            .await?
            .into_iter()
            .map(|(sha, list)| (sha.clone(), CombinedStatus::of(sha, list)))
            .collect())
    }
}
