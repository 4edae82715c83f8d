//! The incubator's use cases: an organization running foundation-style programs through
//! which projects are proposed, voted in, mentored, reported on, measured, graduated or
//! retired (see /work/shared/design/incubation.md).
//!
//! Every use case asks the policy (`Resource::Program`) first, applies the pure rules of
//! `hatchery_core::incubator` (template validation, proposal states, vote windows and
//! tallies, stage transitions, report cadences), and lets the store write the change and
//! its audit entry in one transaction. Times are parameters (`now`, unix milliseconds), so
//! the whole life of a program can be tested without waiting.
//!
//! - this file: programs, their templates and committees, the errors, the policy facts;
//! - [`proposals`]: drafting, editing (which cancels a vote in progress), discussion;
//! - [`votes`]: opening votes, ballots, live tallies;
//! - [`closer`]: the closing job ([`Forge::close_due_votes`], [`run_vote_closer`]) and the
//!   effects of a decided vote;
//! - [`elections`]: committer and PPMC elections, and votes of the program's own kinds;
//! - [`graduation`]: a recommendation to graduate, its board resolution and the board's
//!   decision;
//! - [`projects`]: decisions recorded by hand, the roster after acceptance, linking and
//!   unlinking repositories (with transfers into the organization), the checklist;
//! - [`reports`]: report periods, prefilled drafts, submission and sign-off;
//! - [`calendar`]: the board calendar (who reports in a month, reporting groups) and a
//!   project's record for the board (group, sponsor);
//! - [`export`]: JSON and podlings.xml;
//! - `events`: the webhook events `incubator_proposal`, `incubator_vote` and
//!   `incubator_stage`, sent to the organization's hooks;
//! - [`health`]: the checklist's automatic evaluators and the reports' figures.

pub mod calendar;
pub mod closer;
pub mod elections;
mod events;
pub mod evidence;
pub mod export;
pub mod graduation;
pub mod health;
pub mod projects;
pub mod proposals;
pub mod release_votes;
pub mod reports;
mod schedule;
pub mod votes;

use std::collections::HashSet;
use std::sync::Arc;

use hatchery_core::incubator::program::is_valid_key;
use hatchery_core::incubator::{
    ElectionError, GraduationError, Preset, ProgramTemplate, ProposalTransitionError,
    ROLE_CHAMPION, ROLE_MENTOR, ROLE_PPMC, TemplateError, TransitionError, preset,
};
use hatchery_core::policy::ProgramFacts;
use hatchery_core::{
    Action, Actor, Decision, Denial, Name, NameKind, OrgRole, Resource, authorize,
};
use hatchery_store::{
    ConflictField, NewProgram, Program, Project, Proposal, ReportTemplate, SlugHolder, StoreError,
};
use tokio::sync::Notify;

use crate::{Forge, ServiceError};

pub use calendar::{MonthReport, ProjectRecordChange};
pub use closer::{ClosedVoteReport, run_vote_closer};
pub use elections::ProjectVote;
pub use health::{ItemResult, PeriodMetrics};
pub use projects::{
    ChecklistRow, RepoLink, RosterAddition, RosterWarning, TransferOutcome, manual_evidence,
};
pub use proposals::{PersonInput, PersonRow, ProposalInput};
pub use release_votes::ReleaseVotes;
pub use reports::{OverdueReport, report_template_preset};
pub use votes::{VoteOn, VoteStatus};

/// The incubator's part of the [`Forge`]: the closing job's wake-up call.
#[derive(Debug, Default)]
pub struct Hub {
    wake: Arc<Notify>,
}

/// Longest program, project and proposal names.
pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2_000;
/// Longest Markdown of one proposal or report section, and of a comment.
pub const TEXT_MAX: usize = 65_536;
/// Longest reference of a decision recorded by hand, reason or ballot comment.
pub const NOTE_MAX: usize = 2_000;

/// Why an incubator change was refused.
#[derive(Debug, thiserror::Error)]
pub enum IncubatorError {
    /// An input is invalid; `field` names the form input.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// The template is not usable; every problem is listed.
    #[error("the template is invalid: {}", join(.0))]
    Template(Vec<TemplateError>),
    /// The project may not move to that stage that way.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The proposal's state does not allow it.
    #[error(transparent)]
    ProposalState(#[from] ProposalTransitionError),
    /// The proposal has not been discussed for the program's minimum yet.
    #[error("the proposal is in discussion until {until_ms}; a vote can be opened then")]
    DiscussionRunning { until_ms: i64 },
    /// The program has no committee to vote.
    #[error("the program has no committee")]
    NoCommittee,
    /// Another vote on the same thing is open.
    #[error("a vote on this is already open")]
    VoteAlreadyOpen,
    /// The vote is closed or past its deadline: ballots are no longer taken.
    #[error("the vote is closed")]
    VoteClosed,
    /// A named repository is missing or not readable by the actor (the two look the same).
    #[error("repository {0} does not exist or you cannot read it")]
    UnreadableRepo(String),
    /// The slug or name is in use.
    #[error("this {0} is already taken")]
    NameTaken(&'static str),
    /// A proposal's slug is held in the program by a project or another proposal that is
    /// not rejected, withdrawn or closed.
    #[error("{}", slug_taken_message(.slug, .holder))]
    SlugTaken { slug: String, holder: SlugHolder },
    #[error("refused: {0:?}")]
    Denied(Denial),
    #[error("not found")]
    NotFound,
    /// Someone saved a newer version (or changed its state) since the page was loaded.
    #[error("changed since it was loaded")]
    Stale,
    /// The election may not be opened.
    #[error(transparent)]
    Election(#[from] ElectionError),
    /// The recommendation to graduate does not allow it.
    #[error(transparent)]
    Graduation(#[from] GraduationError),
    /// A recommendation to graduate is waiting for the board: no other stage change now.
    #[error("the project is recommended for graduation and waits for the board's decision")]
    GraduationPending,
    /// The vote's electorate would be empty: nobody holds a role that votes on it.
    #[error("nobody on the project's roster (with an account) holds a role that votes on this")]
    EmptyElectorate,
    /// The program asks for a document to vote on (CNCF's due diligence).
    #[error("a link to the due-diligence document is required")]
    DocumentRequired,
    /// The person holds that role on the project already.
    #[error("they already hold this role on the project")]
    AlreadyOnRoster,
    /// The program wants its projects' mentors on its committee, and this person is not
    /// on it (or has no account here).
    #[error("mentors must be members of the program's committee")]
    MentorNotOnCommittee,
    /// The project's incubation has ended (graduated or retired): its roster and
    /// repositories are history.
    #[error("the project's incubation has ended; its roster and repositories no longer change")]
    ProjectEnded,
    /// The repository is linked to the project already.
    #[error("the repository is linked to the project already")]
    AlreadyLinked,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

fn slug_taken_message(slug: &str, holder: &SlugHolder) -> String {
    match holder {
        SlugHolder::Project { slug: held } => format!(
            "slug: {slug:?} is already taken in this program by project {held:?}; choose another slug"
        ),
        SlugHolder::Proposal { number } => format!(
            "slug: {slug:?} is already taken in this program by proposal #{number}; choose another slug"
        ),
    }
}

fn join(errors: &[TemplateError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl IncubatorError {
    /// Message-catalog key for this error.
    pub fn message_key(&self) -> &'static str {
        match self {
            IncubatorError::Field { .. } => "error.incubator.field",
            IncubatorError::Template(_) => "error.incubator.template",
            IncubatorError::Transition(e) => e.message_key(),
            IncubatorError::ProposalState(_) => "error.incubator.proposal_state",
            IncubatorError::DiscussionRunning { .. } => "error.incubator.discussion_running",
            IncubatorError::NoCommittee => "error.incubator.no_committee",
            IncubatorError::VoteAlreadyOpen => "error.incubator.vote_already_open",
            IncubatorError::VoteClosed => "error.incubator.vote_closed",
            IncubatorError::UnreadableRepo(_) => "error.incubator.unreadable_repo",
            IncubatorError::NameTaken(_) => "error.incubator.name_taken",
            IncubatorError::SlugTaken {
                holder: SlugHolder::Project { .. },
                ..
            } => "error.incubator.slug_taken_project",
            IncubatorError::SlugTaken {
                holder: SlugHolder::Proposal { .. },
                ..
            } => "error.incubator.slug_taken_proposal",
            IncubatorError::Denied(_) => "error.incubator.denied",
            IncubatorError::NotFound => "error.incubator.not_found",
            IncubatorError::Stale => "error.incubator.stale",
            IncubatorError::Election(e) => e.message_key(),
            IncubatorError::Graduation(e) => e.message_key(),
            IncubatorError::GraduationPending => "error.graduation.pending",
            IncubatorError::EmptyElectorate => "error.election.empty_electorate",
            IncubatorError::DocumentRequired => "error.graduation.document_required",
            IncubatorError::AlreadyOnRoster => "error.roster.duplicate",
            IncubatorError::MentorNotOnCommittee => "error.roster.mentor_not_on_committee",
            IncubatorError::ProjectEnded => "error.roster.project_ended",
            IncubatorError::AlreadyLinked => "error.roster.repo_linked",
            IncubatorError::Service(_) => "error.internal",
        }
    }
}

impl From<StoreError> for IncubatorError {
    fn from(e: StoreError) -> IncubatorError {
        match e {
            StoreError::NotFound => IncubatorError::NotFound,
            StoreError::Stale => IncubatorError::Stale,
            other => IncubatorError::Service(other.into()),
        }
    }
}

pub(crate) fn check(decision: Decision) -> Result<(), IncubatorError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Deny(d) => Err(IncubatorError::Denied(d)),
    }
}

pub(crate) fn field(field: &'static str, message: impl Into<String>) -> IncubatorError {
    IncubatorError::Field {
        field,
        message: message.into(),
    }
}

pub(crate) fn user_id(actor: Actor) -> Result<i64, IncubatorError> {
    actor
        .user_id()
        .ok_or(IncubatorError::Denied(Denial::SignInRequired))
}

/// A trimmed single-line text of 1 to `max` characters.
pub(crate) fn line(name: &'static str, value: &str, max: usize) -> Result<String, IncubatorError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(field(name, "required"));
    }
    if v.chars().count() > max {
        return Err(field(name, format!("at most {max} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(field(name, "must be a single line"));
    }
    Ok(v.to_owned())
}

/// A trimmed text of at most `max` characters, possibly empty.
pub(crate) fn text(name: &'static str, value: &str, max: usize) -> Result<String, IncubatorError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(field(name, format!("at most {max} characters")));
    }
    Ok(v.to_owned())
}

/// A slug for programs and projects: a repository-style name.
pub(crate) fn slug(name: &'static str, value: &str) -> Result<String, IncubatorError> {
    Name::parse(NameKind::Repository, value.trim())
        .map(|n| n.as_str().to_owned())
        .map_err(|e| field(name, e.to_string()))
}

/// The preset named `name` (`apache`, `cncf`, `lf_ai_data`, `blank`).
pub fn parse_preset(name: &str) -> Option<Preset> {
    Preset::ALL.into_iter().find(|p| p.as_str() == name)
}

/// What the actor is to a program and, when given, to one of its projects and proposals:
/// the facts `Resource::Program` is decided on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    pub project: Option<&'a Project>,
    pub proposal: Option<&'a Proposal>,
}

/// What [`Forge::edit_program`] changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProgramChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` leaves the program without a committee.
    pub committee: Option<Option<String>>,
}

impl Forge {
    /// The policy facts of `actor` for `program` (and a project or proposal of it).
    pub async fn program_facts(
        &self,
        actor: Actor,
        program: &Program,
        subject: Subject<'_>,
    ) -> Result<ProgramFacts, ServiceError> {
        let Some(uid) = actor.user_id() else {
            return Ok(ProgramFacts::default());
        };
        let org_role = self.store.org_role(program.org_id, uid).await?;
        let committee_member = self.store.is_committee_member(program.id, uid).await?;
        let roles = match subject.project {
            Some(p) => self.store.roster_roles(p.id, uid).await?,
            None => Vec::new(),
        };
        Ok(ProgramFacts {
            org_role,
            committee_member,
            mentor: roles.iter().any(|r| r == ROLE_MENTOR),
            project_member: !roles.is_empty(),
            proposal_author: subject
                .proposal
                .and_then(|p| p.author.as_ref())
                .is_some_and(|a| a.id == uid),
            repo_writer: false,
            pmc_member: roles
                .iter()
                .any(|r| [ROLE_PPMC, ROLE_MENTOR, ROLE_CHAMPION].contains(&r.as_str())),
            // Depends on the kind of vote: see `elections::vote_facts`.
            project_voter: false,
        })
    }

    /// Whether `actor` may do `action` on the program (and subject): for showing or hiding
    /// buttons; every use case checks again.
    pub async fn may_in_program(
        &self,
        actor: Actor,
        action: Action,
        program: &Program,
        subject: Subject<'_>,
    ) -> Result<bool, ServiceError> {
        let facts = self.program_facts(actor, program, subject).await?;
        Ok(authorize(actor, action, Resource::Program(facts)).is_allowed())
    }

    pub(crate) async fn authorize_program(
        &self,
        actor: Actor,
        action: Action,
        program: &Program,
        subject: Subject<'_>,
    ) -> Result<ProgramFacts, IncubatorError> {
        let facts = self.program_facts(actor, program, subject).await?;
        check(authorize(actor, action, Resource::Program(facts)))?;
        Ok(facts)
    }

    pub(crate) fn wake_vote_closer(&self) {
        self.incubator.wake.notify_one();
    }

    /// Creates a program of organization `org` from a preset. Organization owners only.
    pub async fn create_program(
        &self,
        actor: Actor,
        org: &str,
        slug_input: &str,
        name: &str,
        preset_kind: Preset,
        now: i64,
    ) -> Result<Program, IncubatorError> {
        let org = self
            .store
            .org_by_name(org)
            .await?
            .ok_or(IncubatorError::NotFound)?;
        let org_role = match actor.user_id() {
            Some(uid) => self.store.org_role(org.id, uid).await?,
            None => None,
        };
        check(authorize(
            actor,
            Action::ManageProgram,
            Resource::Program(ProgramFacts {
                org_role,
                ..ProgramFacts::default()
            }),
        ))?;
        let slug = slug("slug", slug_input)?;
        let name = line("name", name, NAME_MAX)?;
        let template = preset(preset_kind);
        let report_template = report_template_preset(preset_kind);
        self.store
            .create_program(NewProgram {
                org_id: org.id,
                slug: &slug,
                name: &name,
                description: "",
                preset: preset_kind.as_str(),
                template: &template,
                report_template: &report_template,
                actor_id: actor.user_id(),
                now,
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(ConflictField::Name) => IncubatorError::NameTaken("slug"),
                other => other.into(),
            })
    }

    /// The program `slug` of organization `org`. Programs are public.
    pub async fn program(&self, org: &str, slug: &str) -> Result<Program, IncubatorError> {
        let org = self
            .store
            .org_by_name(org)
            .await?
            .ok_or(IncubatorError::NotFound)?;
        self.store
            .program_by_slug(org.id, slug)
            .await?
            .ok_or(IncubatorError::NotFound)
    }

    pub async fn programs_of_org(&self, org: &str) -> Result<Vec<Program>, IncubatorError> {
        let org = self
            .store
            .org_by_name(org)
            .await?
            .ok_or(IncubatorError::NotFound)?;
        Ok(self.store.programs_of_org(org.id).await?)
    }

    /// Name and description. Organization owners only.
    pub async fn update_program(
        &self,
        actor: Actor,
        program: &Program,
        name: &str,
        description: &str,
        now: i64,
    ) -> Result<Program, IncubatorError> {
        self.authorize_program(actor, Action::ManageProgram, program, Subject::default())
            .await?;
        let name = line("name", name, NAME_MAX)?;
        let description = text("description", description, DESCRIPTION_MAX)?;
        Ok(self
            .store
            .update_program(program.id, &name, &description, now)
            .await?)
    }

    /// Changes what `changes` names, in one go as the API's PATCH asks: name and
    /// description ([`Forge::update_program`]), then the committee
    /// ([`Forge::set_committee`]). Everything is checked before anything is saved.
    /// Organization owners only.
    pub async fn edit_program(
        &self,
        actor: Actor,
        program: &Program,
        changes: &ProgramChanges,
        now: i64,
    ) -> Result<Program, IncubatorError> {
        self.authorize_program(actor, Action::ManageProgram, program, Subject::default())
            .await?;
        let name = changes.name.as_deref().unwrap_or(&program.name);
        let description = changes
            .description
            .as_deref()
            .unwrap_or(&program.description);
        line("name", name, NAME_MAX)?;
        text("description", description, DESCRIPTION_MAX)?;
        if let Some(Some(team)) = &changes.committee
            && self
                .store
                .team_by_name(program.org_id, team.trim())
                .await?
                .is_none()
        {
            return Err(field(
                "committee",
                format!("the organization has no team {team:?}"),
            ));
        }
        let mut program = program.clone();
        if changes.name.is_some() || changes.description.is_some() {
            program = self
                .update_program(actor, &program, name, description, now)
                .await?;
        }
        if let Some(team) = &changes.committee {
            program = self
                .set_committee(actor, &program, team.as_deref(), now)
                .await?;
        }
        Ok(program)
    }

    /// Replaces the program's template: its stages, vote rules, cadence, proposal form,
    /// checklist and license policy. Refused with every problem listed when invalid
    /// ([`IncubatorError::Template`]), and when it drops a stage a project is in. Votes
    /// already open keep the rule they opened with. Organization owners only.
    pub async fn update_program_template(
        &self,
        actor: Actor,
        program: &Program,
        template: ProgramTemplate,
        now: i64,
    ) -> Result<Program, IncubatorError> {
        self.authorize_program(actor, Action::ManageProgram, program, Subject::default())
            .await?;
        template.validate().map_err(IncubatorError::Template)?;
        for project in self.store.projects_of_program(program.id).await? {
            if template.stage(&project.stage).is_none() {
                return Err(field(
                    "stages",
                    format!(
                        "stage {:?} is the stage of project {:?} and cannot be removed",
                        project.stage, project.slug
                    ),
                ));
            }
        }
        Ok(self
            .store
            .update_program_template(program.id, &template, actor.user_id(), now)
            .await?)
    }

    /// [`Forge::update_program_template`] from the template's JSON, as a form submits it.
    pub async fn update_program_template_json(
        &self,
        actor: Actor,
        program: &Program,
        json: &str,
        now: i64,
    ) -> Result<Program, IncubatorError> {
        self.authorize_program(actor, Action::ManageProgram, program, Subject::default())
            .await?;
        let template: ProgramTemplate = serde_json::from_str(json)
            .map_err(|e| field("template", format!("not a program template: {e}")))?;
        self.update_program_template(actor, program, template, now)
            .await
    }

    /// Replaces the report sections and the sign-off requirement. Organization owners only.
    pub async fn update_report_template(
        &self,
        actor: Actor,
        program: &Program,
        report_template: ReportTemplate,
        now: i64,
    ) -> Result<Program, IncubatorError> {
        self.authorize_program(actor, Action::ManageProgram, program, Subject::default())
            .await?;
        let mut keys = HashSet::new();
        for s in &report_template.sections {
            if !is_valid_key(&s.key) {
                return Err(field(
                    "report_sections",
                    format!(
                        "section key {:?} must be lower-case letters, digits, '-' or '_', starting with a letter",
                        s.key
                    ),
                ));
            }
            if !keys.insert(s.key.as_str()) {
                return Err(field(
                    "report_sections",
                    format!("section {:?} appears more than once", s.key),
                ));
            }
            for title in s.title.all() {
                line("report_sections", title, NAME_MAX * 2)?;
            }
            for help in s.help.all() {
                text("report_sections", help, NOTE_MAX * 2)?;
            }
        }
        if report_template.sections.len() > 100 {
            return Err(field("report_sections", "at most 100 sections"));
        }
        Ok(self
            .store
            .update_report_template(program.id, &report_template, actor.user_id(), now)
            .await?)
    }

    /// [`Forge::update_report_template`] from the report template's JSON, as a form or the
    /// API submits it.
    pub async fn update_report_template_json(
        &self,
        actor: Actor,
        program: &Program,
        json: &str,
        now: i64,
    ) -> Result<Program, IncubatorError> {
        self.authorize_program(actor, Action::ManageProgram, program, Subject::default())
            .await?;
        let template: ReportTemplate = serde_json::from_str(json)
            .map_err(|e| field("report_template", format!("not a report template: {e}")))?;
        self.update_report_template(actor, program, template, now)
            .await
    }

    /// Makes team `team` of the program's organization its committee (`None`: none).
    /// Organization owners only.
    pub async fn set_committee(
        &self,
        actor: Actor,
        program: &Program,
        team: Option<&str>,
        now: i64,
    ) -> Result<Program, IncubatorError> {
        self.authorize_program(actor, Action::ManageProgram, program, Subject::default())
            .await?;
        let team_id = match team {
            Some(name) => Some(
                self.store
                    .team_by_name(program.org_id, name.trim())
                    .await?
                    .ok_or_else(|| field("team", format!("the organization has no team {name:?}")))?
                    .id,
            ),
            None => None,
        };
        Ok(self
            .store
            .set_program_committee(program.id, team_id, actor.user_id(), now)
            .await?)
    }

    /// Whether the actor is an owner of the program's organization.
    pub async fn is_program_owner(
        &self,
        actor: Actor,
        program: &Program,
    ) -> Result<bool, ServiceError> {
        Ok(match actor.user_id() {
            Some(uid) => self.store.org_role(program.org_id, uid).await? == Some(OrgRole::Owner),
            None => false,
        })
    }

    /// The program's audit log, newest first. Programs are public, and so is their record.
    pub async fn program_audit_log(
        &self,
        program: &Program,
        filter: hatchery_store::AuditFilter,
        limit: i64,
    ) -> Result<Vec<hatchery_store::AuditEntry>, IncubatorError> {
        Ok(self.store.audit_log(program.id, filter, limit).await?)
    }
}
