//! Projects (podlings): lookups, stage changes recorded by hand (a decision taken
//! elsewhere, with a reference), the roster after acceptance (adding, ending and removing
//! entries), linking and unlinking repositories, moving their repositories into the
//! program's organization (ownership neutrality) with redirects from the old paths, and the
//! maturity checklist.

use hatchery_core::incubator::program::is_valid_key;
use hatchery_core::incubator::{
    ChecklistItem, Evaluation, MentorJudgement, ProgramTemplate, ROLE_MENTOR, Terminal, VoteKind,
    may_transition,
};
use hatchery_core::{AccessLevel, Action, Actor, Resource, authorize};
use hatchery_store::{
    ChecklistEntry, ChecklistStatus, NewAudit, NewChecklistEntry, NewRosterEntry, Program, Project,
    Repo, RosterEntry, StageChange, StageMove, StoreError,
};

use super::health::{self, ItemResult};
use super::proposals::PersonInput;
use super::{IncubatorError, NOTE_MAX, Subject, check, field, line, text, user_id};
use crate::Forge;
use crate::access::RepoLookup;

/// What became of one repository of an accepted proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferOutcome {
    /// Moved from `from` to `to` (both `owner/name`); the old path redirects.
    Moved {
        repo_id: i64,
        from: String,
        to: String,
    },
    /// It already belonged to the program's organization.
    AlreadyInOrg { repo_id: i64 },
    /// Not moved (the name is taken in the organization, the disk refused); recorded in
    /// the audit log. The repository stays linked to the project where it is.
    Refused { repo_id: i64, reason: String },
}

/// A person added to a project's roster, and what the program's rules say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterAddition {
    pub entry: RosterEntry,
    pub warnings: Vec<RosterWarning>,
}

/// A roster change that was saved but that the program's rules warn about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterWarning {
    /// The mentor is not on the program's committee (or has no account here); the
    /// template's `roster.mentors_on_committee` is `warn`.
    MentorNotOnCommittee,
}

impl RosterWarning {
    pub fn as_str(self) -> &'static str {
        match self {
            RosterWarning::MentorNotOnCommittee => "mentor_not_on_committee",
        }
    }

    pub fn message_key(self) -> &'static str {
        match self {
            RosterWarning::MentorNotOnCommittee => "incubator.roster_edit.warn_mentor",
        }
    }
}

/// A repository linked to a project after acceptance: as it is now, and whether it moved.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoLink {
    pub repo: Repo,
    pub outcome: TransferOutcome,
}

/// One checklist item of a project with its latest evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistRow {
    pub item: ChecklistItem,
    pub result: Option<ChecklistEntry>,
}

/// The kind of decision that moves a project to `to` (used for decisions recorded by hand,
/// which follow the same transition rules as votes).
pub(crate) fn kind_for_stage(template: &ProgramTemplate, to: &str) -> VoteKind {
    match template.stage(to).and_then(|s| s.terminal) {
        Some(Terminal::Graduated) => VoteKind::Graduate,
        Some(_) => VoteKind::Retire,
        None => VoteKind::AdvanceStage,
    }
}

/// The stage change of `project` to `to`; `resolution` is kept when `to` is terminal.
/// Retirement in every program's sense (retired, archived, emeritus) makes the project's
/// repositories read-only.
pub(crate) fn stage_move(
    template: &ProgramTemplate,
    project: &Project,
    to: &str,
    resolution: String,
) -> StageMove {
    let terminal = template.stage(to).and_then(|s| s.terminal);
    StageMove {
        project_id: project.id,
        from: project.stage.clone(),
        to: to.to_owned(),
        ends: terminal.is_some(),
        // How it ended: only for the end of incubation.
        resolution: if terminal.is_some() {
            resolution
        } else {
            String::new()
        },
        read_only: terminal.is_some_and(Terminal::is_retirement),
    }
}

/// The evidence of a person's checklist judgement: their note, if any.
pub fn manual_evidence(note: &str) -> serde_json::Value {
    let note = note.trim();
    if note.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::json!({ "note": note })
    }
}

impl Forge {
    /// Project `slug` of the program. Projects are public.
    pub async fn project(&self, program: &Program, slug: &str) -> Result<Project, IncubatorError> {
        self.store
            .project_by_slug(program.id, slug)
            .await?
            .ok_or(IncubatorError::NotFound)
    }

    pub async fn program_projects(
        &self,
        program: &Program,
    ) -> Result<Vec<Project>, IncubatorError> {
        Ok(self.store.projects_of_program(program.id).await?)
    }

    pub async fn project_roster(
        &self,
        project: &Project,
    ) -> Result<Vec<RosterEntry>, IncubatorError> {
        Ok(self.store.project_roster(project.id).await?)
    }

    /// Checks that `actor` may change the project's roster and repositories: the
    /// committee, organization owners and the project's management committee (PPMC
    /// members, mentors, champion).
    async fn authorize_roster(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
    ) -> Result<(), IncubatorError> {
        self.authorize_program(
            actor,
            Action::ManageRoster,
            program,
            Subject {
                project: Some(project),
                proposal: None,
            },
        )
        .await?;
        if project.program_id != program.id {
            return Err(IncubatorError::NotFound);
        }
        Ok(())
    }

    /// Adds someone to the project's roster in `role` (`champion`, `mentor`, `committer`,
    /// `ppmc`, or a role of the program's own) from `now`. Someone already holding the role
    /// is refused. A mentor must be on the program's committee unless the template's
    /// `roster.mentors_on_committee` allows otherwise (`warn` saves with a warning). Not
    /// once the project's incubation has ended.
    pub async fn add_roster_member(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        role: &str,
        person: &PersonInput,
        now: i64,
    ) -> Result<RosterAddition, IncubatorError> {
        self.authorize_roster(actor, program, project).await?;
        if project.ended_at.is_some() {
            return Err(IncubatorError::ProjectEnded);
        }
        let role = line("role", role, 40)?;
        if !is_valid_key(&role) {
            return Err(field(
                "role",
                "lower-case letters, digits, '-' or '_', starting with a letter",
            ));
        }
        let named = self.named_person("person", person).await?;
        let mut warnings = Vec::new();
        if role == ROLE_MENTOR {
            let on_committee = match named.user_id {
                Some(uid) => self.store.is_committee_member(program.id, uid).await?,
                None => false,
            };
            match program
                .template
                .roster
                .mentors_on_committee
                .judge(on_committee)
            {
                MentorJudgement::Ok => {}
                MentorJudgement::Warn => warnings.push(RosterWarning::MentorNotOnCommittee),
                MentorJudgement::Refuse => return Err(IncubatorError::MentorNotOnCommittee),
            }
        }
        let id = match self
            .store
            .add_roster_entry(
                project.id,
                &NewRosterEntry {
                    user_id: named.user_id,
                    name: named.name,
                    role,
                    affiliation: named.affiliation,
                },
                actor.user_id(),
                now,
            )
            .await
        {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => return Err(IncubatorError::AlreadyOnRoster),
            Err(e) => return Err(e.into()),
        };
        let entry = self.roster_entry(project, id).await?;
        Ok(RosterAddition { entry, warnings })
    }

    /// One entry of the project's roster, current or past.
    pub async fn roster_entry(
        &self,
        project: &Project,
        entry_id: i64,
    ) -> Result<RosterEntry, IncubatorError> {
        self.store
            .project_roster(project.id)
            .await?
            .into_iter()
            .find(|e| e.id == entry_id)
            .ok_or(IncubatorError::NotFound)
    }

    /// Ends a roster entry's role at `now` (the entry stays in the history, with its
    /// dates). `NotFound` when the project has no such current entry.
    pub async fn end_roster_member(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        entry_id: i64,
        now: i64,
    ) -> Result<RosterEntry, IncubatorError> {
        self.authorize_roster(actor, program, project).await?;
        self.store
            .end_roster_entry(project.id, entry_id, actor.user_id(), now)
            .await?;
        self.roster_entry(project, entry_id).await
    }

    /// Removes a roster entry made by mistake: unlike ending it, this leaves nothing in
    /// the roster's history (the audit log keeps who it was). Not once the project's
    /// incubation has ended.
    pub async fn remove_roster_member(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        entry_id: i64,
        now: i64,
    ) -> Result<(), IncubatorError> {
        self.authorize_roster(actor, program, project).await?;
        if project.ended_at.is_some() {
            return Err(IncubatorError::ProjectEnded);
        }
        Ok(self
            .store
            .remove_roster_entry(project.id, entry_id, actor.user_id(), now)
            .await?)
    }

    /// Links the repository `owner/name` to the project after acceptance. The actor must
    /// administer it (linking puts it under the program's rules: checklist, reports,
    /// read-only on retirement). A repository outside the program's organization moves
    /// into it as at acceptance (a redirect from the old path, its former owner and the
    /// project's people keep access); one whose name is taken there is refused. The
    /// checklist is evaluated again. Not once the project's incubation has ended.
    pub async fn link_project_repo(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        full_name: &str,
        now: i64,
    ) -> Result<RepoLink, IncubatorError> {
        self.authorize_roster(actor, program, project).await?;
        if project.ended_at.is_some() {
            return Err(IncubatorError::ProjectEnded);
        }
        let full_name = full_name.trim();
        let Some((owner, name)) = full_name.split_once('/') else {
            return Err(field("repo", "give the repository as owner/name"));
        };
        let repo = match self
            .find_repo(actor, owner.trim(), name.trim(), Action::Administer)
            .await?
        {
            RepoLookup::Found { repo, .. } => repo,
            RepoLookup::Hidden => return Err(IncubatorError::UnreadableRepo(full_name.into())),
            RepoLookup::Denied { denial, .. } => return Err(IncubatorError::Denied(denial)),
        };
        if self
            .store
            .project_repo_ids(project.id)
            .await?
            .contains(&repo.id)
        {
            return Err(IncubatorError::AlreadyLinked);
        }
        if repo.owner_id != program.org_id
            && self
                .store
                .repo_by_name(&program.org_name, &repo.name)
                .await?
                .is_some()
        {
            return Err(IncubatorError::NameTaken("repository name"));
        }
        match self
            .store
            .link_project_repo(project.id, repo.id, actor.user_id(), now)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(IncubatorError::AlreadyLinked),
            Err(e) => return Err(e.into()),
        }
        let outcome = self
            .transfer_repo_into(program, project, repo.clone(), actor.user_id(), now)
            .await?;
        let repo = self
            .store
            .repo_by_id(repo.id)
            .await?
            .ok_or(IncubatorError::NotFound)?;
        self.checklist_after_repo_change(program, project, now)
            .await;
        Ok(RepoLink { repo, outcome })
    }

    /// Unlinks the repository `owner/name` from the project: it leaves the project's
    /// checklist and reports and stays where it is. `NotFound` when it is not linked or
    /// the actor cannot read it. Not once the project's incubation has ended.
    pub async fn unlink_project_repo(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        owner: &str,
        name: &str,
        now: i64,
    ) -> Result<Repo, IncubatorError> {
        self.authorize_roster(actor, program, project).await?;
        if project.ended_at.is_some() {
            return Err(IncubatorError::ProjectEnded);
        }
        let repo = match self.find_repo(actor, owner, name, Action::Read).await? {
            RepoLookup::Found { repo, .. } => repo,
            _ => return Err(IncubatorError::NotFound),
        };
        self.store
            .unlink_project_repo(project.id, repo.id, actor.user_id(), now)
            .await?;
        self.checklist_after_repo_change(program, project, now)
            .await;
        Ok(repo)
    }

    /// The checklist evaluated again after the project's repositories changed. A failure
    /// is logged: the change stands, and the six-hourly evaluation runs again.
    async fn checklist_after_repo_change(&self, program: &Program, project: &Project, now: i64) {
        if let Err(e) = self.evaluate_checklist(program, project, now).await {
            tracing::warn!(error = %e, project = project.id, "evaluating the checklist after a repository change failed");
        }
    }

    /// The project's repositories that `actor` may read.
    pub async fn project_repos(
        &self,
        actor: Actor,
        project: &Project,
    ) -> Result<Vec<Repo>, IncubatorError> {
        let repos = self.store.project_repos(project.id).await?;
        self.readable_repos(actor, repos).await
    }

    /// The projects a repository belongs to, for the notice on its pages (a retired
    /// project's repositories say so everywhere).
    pub async fn projects_of_repo(&self, repo: &Repo) -> Result<Vec<Project>, IncubatorError> {
        Ok(self.store.projects_of_repo(repo.id).await?)
    }

    /// Records a stage change decided elsewhere (a board resolution, a vote on a mailing
    /// list), with a reference to it. Organization owners only; the same transitions as a
    /// vote's are allowed, and not while a vote on the project is open.
    pub async fn record_decision(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        to_stage: &str,
        reference: &str,
        now: i64,
    ) -> Result<Project, IncubatorError> {
        self.authorize_program(
            actor,
            Action::RecordDecision,
            program,
            Subject {
                project: Some(project),
                proposal: None,
            },
        )
        .await?;
        if project.program_id != program.id {
            return Err(IncubatorError::NotFound);
        }
        let reference = line("reference", reference, NOTE_MAX)?;
        let template = &program.template;
        let kind = kind_for_stage(template, to_stage);
        may_transition(template, &project.stage, to_stage, kind)?;
        let votes = self.store.votes_of_project(project.id).await?;
        if votes.iter().any(|v| !v.state.is_closed()) {
            return Err(IncubatorError::VoteAlreadyOpen);
        }
        // A recommendation waiting for the board is decided through the board's decision.
        if self.store.pending_graduation(project.id).await?.is_some() {
            return Err(IncubatorError::GraduationPending);
        }
        let change = stage_move(template, project, to_stage, reference.clone());
        let moved = self
            .store
            .change_project_stage(StageChange {
                change,
                actor_id: actor.user_id(),
                reference: &reference,
                now,
            })
            .await?;
        self.stage_event(
            program,
            &moved,
            &project.stage,
            None,
            &reference,
            actor.user_id(),
        )
        .await;
        Ok(moved)
    }

    /// Moves each of the project's repositories into the program's organization (on disk
    /// too), leaving a redirect at the old path. A repository whose name is taken there is
    /// not moved; that is recorded in the audit log and reported.
    pub async fn transfer_project_repos(
        &self,
        program: &Program,
        project: &Project,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Vec<TransferOutcome>, IncubatorError> {
        let mut out = Vec::new();
        for repo in self.store.project_repos(project.id).await? {
            out.push(
                self.transfer_repo_into(program, project, repo, actor_id, now)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn transfer_repo_into(
        &self,
        program: &Program,
        project: &Project,
        repo: Repo,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<TransferOutcome, IncubatorError> {
        if repo.owner_id == program.org_id {
            return Ok(TransferOutcome::AlreadyInOrg { repo_id: repo.id });
        }
        let audit = |action: &str, detail: serde_json::Value| {
            let mut a = NewAudit::new(program.id, actor_id, action);
            a.project_id = Some(project.id);
            a.detail = detail;
            a
        };
        // The log gets a reason code only: the message names the repository, which may be
        // private, and the audit log is public.
        let refuse = |code: &'static str, reason: String| async move {
            self.store
                .append_audit(
                    &audit(
                        "repo.transfer_refused",
                        serde_json::json!({ "repo_id": repo.id, "reason": code }),
                    ),
                    now,
                )
                .await?;
            Ok::<_, IncubatorError>(TransferOutcome::Refused {
                repo_id: repo.id,
                reason,
            })
        };
        let taken = format!(
            "the organization {} already has a repository named {}",
            program.org_name, repo.name
        );
        if self
            .store
            .repo_by_name(&program.org_name, &repo.name)
            .await?
            .is_some()
        {
            return refuse("name_taken", taken).await;
        }
        let (before, after) = match self.store.transfer_repo(repo.id, program.org_id, now).await {
            Ok(pair) => pair,
            Err(StoreError::Conflict(_)) => return refuse("name_taken", taken).await,
            Err(e) => return Err(e.into()),
        };
        let old = self.repos.path_of(&before.owner_name, &before.name);
        let new = self.repos.path_of(&after.owner_name, &after.name);
        let trash = self
            .repos
            .root()
            .join(".trash")
            .join(format!("{}-{now}", repo.id));
        let moved = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if !old.exists() {
                return Ok(());
            }
            if let Some(parent) = new.parent() {
                std::fs::create_dir_all(parent)?;
            }
            if new.exists() {
                // A leftover of a repository whose row is gone: it belongs to nobody.
                if let Some(parent) = trash.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::rename(&new, &trash)?;
                std::fs::remove_dir_all(&trash)?;
            }
            std::fs::rename(&old, &new)
        })
        .await
        .map_err(crate::ServiceError::from)?;
        self.git_handles.remove(&repo.id);
        if let Err(e) = moved {
            tracing::error!(error = %e, repo = repo.id, "moving a transferred repository on disk failed; moving it back");
            self.store
                .transfer_repo(repo.id, before.owner_id, now)
                .await?;
            self.store
                .remove_repo_redirect(&after.owner_name, &after.name)
                .await?;
            return refuse(
                "move_failed",
                format!("the repository could not be moved on disk: {e}"),
            )
            .await;
        }
        self.store
            .append_audit(
                &audit(
                    "repo.transferred",
                    serde_json::json!({
                        "repo_id": repo.id,
                        "from_owner_id": before.owner_id,
                        "to_owner_id": after.owner_id,
                    }),
                ),
                now,
            )
            .await?;
        self.grant_project_access(project, &before, repo.id).await?;
        Ok(TransferOutcome::Moved {
            repo_id: repo.id,
            from: format!("{}/{}", before.owner_name, before.name),
            to: format!("{}/{}", after.owner_name, after.name),
        })
    }

    /// After a transfer the people who worked on the repository keep working on it: its
    /// former owner (when a user) administers it, and the project's committers and mentors
    /// with an account here may push. Organization owners manage access from then on.
    async fn grant_project_access(
        &self,
        project: &Project,
        before: &Repo,
        repo_id: i64,
    ) -> Result<(), IncubatorError> {
        if !before.owner_is_org {
            self.store
                .set_collaborator(repo_id, before.owner_id, AccessLevel::Admin)
                .await?;
        }
        for entry in self.store.project_roster(project.id).await? {
            let Some(person) = entry.user else { continue };
            if entry.ended_at.is_some()
                || !matches!(entry.role.as_str(), "committer" | "mentor" | "champion")
                || (!before.owner_is_org && person.id == before.owner_id)
            {
                continue;
            }
            self.store
                .set_collaborator(repo_id, person.id, AccessLevel::Write)
                .await?;
        }
        Ok(())
    }

    /// The repository that used to be at `owner/name`, if it moved and `actor` may read
    /// it: where to redirect old URLs and clone remotes.
    pub async fn repo_redirect(
        &self,
        actor: Actor,
        owner: &str,
        name: &str,
    ) -> Result<Option<Repo>, IncubatorError> {
        let Some(repo) = self.store.repo_redirect(owner, name).await? else {
            return Ok(None);
        };
        Ok(if self.may_read_repo(actor, &repo).await? {
            Some(repo)
        } else {
            None
        })
    }

    /// The program's checklist for the project, each item with its latest evaluation.
    pub async fn project_checklist(
        &self,
        program: &Program,
        project: &Project,
    ) -> Result<Vec<ChecklistRow>, IncubatorError> {
        let mut results = self.store.checklist_results(project.id).await?;
        Ok(program
            .template
            .checklist
            .iter()
            .map(|item| ChecklistRow {
                item: item.clone(),
                result: results
                    .iter()
                    .position(|r| r.item_code == item.code)
                    .map(|i| results.swap_remove(i)),
            })
            .collect())
    }

    /// Records automatic evaluations ([`health::evaluate`]'s results). Items must be in
    /// the program's checklist. A person's `exempt` or `not_applicable` is kept. Returns
    /// how many results were written.
    pub async fn record_checklist_results(
        &self,
        program: &Program,
        project: &Project,
        results: Vec<ItemResult>,
        now: i64,
    ) -> Result<usize, IncubatorError> {
        if project.program_id != program.id {
            return Err(IncubatorError::NotFound);
        }
        let mut entries = Vec::with_capacity(results.len());
        for r in results {
            if program.template.checklist.iter().all(|i| i.code != r.code) {
                return Err(field(
                    "code",
                    format!("the program's checklist has no item {:?}", r.code),
                ));
            }
            entries.push(NewChecklistEntry {
                item_code: r.code,
                status: match r.status {
                    health::Status::Pass => ChecklistStatus::Pass,
                    health::Status::Fail => ChecklistStatus::Fail,
                    health::Status::NotApplicable => ChecklistStatus::NotApplicable,
                },
                reason: r.reason.to_owned(),
                evidence: r.evidence,
                evaluated_by: None,
                evaluator: if r.evaluator.is_empty() {
                    "automatic".to_owned()
                } else {
                    r.evaluator.to_owned()
                },
            });
        }
        Ok(self
            .store
            .set_checklist_results(project.id, &entries, None, now)
            .await?)
    }

    /// Evaluates the program's automatic checklist items on the project's repositories and
    /// issues ([`health`]) and records the results. Returns how many were written.
    pub async fn evaluate_checklist(
        &self,
        program: &Program,
        project: &Project,
        now: i64,
    ) -> Result<usize, IncubatorError> {
        let repos = self.store.project_repos(project.id).await?;
        let facts = self.health_of_repos(&repos, now).await?;
        let ids: Vec<i64> = repos.iter().map(|r| r.id).collect();
        let median = self.issue_response_median(&ids, now).await?;
        let pull_median = self.pull_response_median(&ids, now).await?;
        let releases = self
            .release_facts_of_repos(&repos, project.started_at)
            .await?;
        let results = health::evaluate_with_releases(
            &program.template.checklist,
            &program.template,
            &facts,
            &releases,
            median,
            pull_median,
        );
        self.record_checklist_results(program, project, results, now)
            .await
    }

    /// Evaluates the checklist now, on a person's request: the organization's owners, and
    /// those who judge the checklist or write the project's reports.
    pub async fn request_evaluation(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        now: i64,
    ) -> Result<usize, IncubatorError> {
        if project.program_id != program.id {
            return Err(IncubatorError::NotFound);
        }
        let subject = Subject {
            project: Some(project),
            proposal: None,
        };
        let facts = self.program_facts(actor, program, subject).await?;
        let allowed = [
            Action::ManageProgram,
            Action::SetManualChecklist,
            Action::EditReport,
        ]
        .into_iter()
        .any(|a| authorize(actor, a, Resource::Program(facts)).is_allowed());
        if !allowed {
            // The judges' denial says why: sign in first, or not allowed.
            check(authorize(
                actor,
                Action::SetManualChecklist,
                Resource::Program(facts),
            ))?;
        }
        self.evaluate_checklist(program, project, now).await
    }

    /// A person's judgement of one checklist item: any status for a manual item; for an
    /// automatic one only an override (`exempt`, `not_applicable`). Exempt and not
    /// applicable need a reason. The project's mentors and the committee only.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_manual_item(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        code: &str,
        status: ChecklistStatus,
        reason: &str,
        evidence: serde_json::Value,
        now: i64,
    ) -> Result<ChecklistEntry, IncubatorError> {
        self.authorize_program(
            actor,
            Action::SetManualChecklist,
            program,
            Subject {
                project: Some(project),
                proposal: None,
            },
        )
        .await?;
        let who = user_id(actor)?;
        let item = program
            .template
            .checklist
            .iter()
            .find(|i| i.code == code)
            .ok_or_else(|| {
                field(
                    "code",
                    format!("the program's checklist has no item {code:?}"),
                )
            })?;
        if matches!(item.evaluation, Evaluation::Automatic(_)) && !status.needs_reason() {
            return Err(field(
                "status",
                "this item is evaluated automatically; a person may only mark it exempt or not applicable",
            ));
        }
        let reason = text("reason", reason, NOTE_MAX)?;
        if status.needs_reason() && reason.is_empty() {
            return Err(field("reason", "exempt and not applicable need a reason"));
        }
        self.store
            .set_checklist_results(
                project.id,
                &[NewChecklistEntry {
                    item_code: item.code.clone(),
                    status,
                    reason,
                    evidence,
                    evaluated_by: Some(who),
                    evaluator: String::new(),
                }],
                Some(who),
                now,
            )
            .await?;
        self.store
            .checklist_results(project.id)
            .await?
            .into_iter()
            .find(|r| r.item_code == item.code)
            .ok_or(IncubatorError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hatchery_core::incubator::{Preset, preset};

    fn project(stage: &str) -> Project {
        Project {
            id: 1,
            program_id: 1,
            proposal_id: None,
            slug: "p".into(),
            name: "P".into(),
            description: String::new(),
            sponsor: String::new(),
            stage: stage.into(),
            started_at: 0,
            stage_since: 0,
            ended_at: None,
            resolution: String::new(),
            created_at: 0,
            updated_at: 0,
            reporting_group: None,
        }
    }

    #[test]
    fn every_kind_of_retirement_makes_repositories_read_only() {
        let lf = preset(Preset::LfAiData);
        let from = lf.entry_stage().map(|s| s.key.clone()).unwrap_or_default();
        let p = project(&from);
        assert!(stage_move(&lf, &p, "emeritus", "r".into()).read_only);
        assert!(!stage_move(&lf, &p, "graduation", "r".into()).read_only);
        let apache = preset(Preset::Apache);
        let p = project("current");
        assert!(stage_move(&apache, &p, "retired", "r".into()).read_only);
        assert!(!stage_move(&apache, &p, "graduated", "r".into()).read_only);
        let cncf = preset(Preset::Cncf);
        assert!(stage_move(&cncf, &project("sandbox"), "archived", String::new()).read_only);
    }
}
