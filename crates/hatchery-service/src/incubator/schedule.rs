//! When the automatic checklist items are evaluated: after every push to a repository of an
//! active project, and for every active project on a schedule (so that time-based items,
//! like commits in the last 90 days, stay current without pushes). Evaluation is
//! idempotent (the latest result per item replaces the previous one), so two servers
//! running the schedule only repeat work.

use hatchery_store::Project;

use crate::Forge;
use crate::incubator::IncubatorError;

impl Forge {
    async fn evaluate_projects(&self, projects: Vec<Project>, now: i64) -> usize {
        let mut evaluated = 0;
        for project in projects.into_iter().filter(|p| p.ended_at.is_none()) {
            let program = match self.store.program_by_id(project.program_id).await {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, project = project.id, "loading a program failed");
                    continue;
                }
            };
            match self.evaluate_checklist(&program, &project, now).await {
                Ok(_) => evaluated += 1,
                Err(e) => {
                    tracing::warn!(error = %e, project = project.id, "evaluating a checklist failed")
                }
            }
        }
        evaluated
    }

    /// Evaluates the checklists of the active projects `repo_id` belongs to; returns how many.
    pub async fn evaluate_projects_of_repo(
        &self,
        repo_id: i64,
        now: i64,
    ) -> Result<usize, IncubatorError> {
        let projects = self.store.projects_of_repo(repo_id).await?;
        Ok(self.evaluate_projects(projects, now).await)
    }

    /// Evaluates the checklists of every active project; returns how many.
    pub async fn evaluate_all_projects(&self, now: i64) -> Result<usize, IncubatorError> {
        let projects = self.store.active_projects().await?;
        Ok(self.evaluate_projects(projects, now).await)
    }
}
