//! The incubator: programs of an organization, proposals with their revisions and
//! comments, votes with a frozen electorate and ballots, projects with their roster and
//! repositories, reports and sign-offs, checklist results, repository transfers with
//! redirects, and the append-only audit log.
//!
//! The store applies no permission rule and decides no vote: the service does, with
//! `hatchery_core::incubator`. What the store guarantees is integrity:
//! - every change that is a decision or a transition writes its audit entry in the same
//!   transaction, and nothing here updates or deletes an audit entry;
//! - proposal numbers are unique and gap-free per program, every saved version of a
//!   proposal is kept as a revision, and an edit or a state change made from a stale read
//!   (another version, another state) is [`StoreError::Stale`];
//! - a vote's electorate is the committee as it stood in the transaction that opened it;
//! - a closed vote takes no ballot and is closed once: [`Store::close_vote`] locks the
//!   vote's row (PostgreSQL; SQLite's write transactions exclude each other anyway), decides
//!   on the ballots read under that lock, and claims the close with
//!   `UPDATE ... WHERE state = 'open'`, so of any number of servers running the closing
//!   job only one closes a given vote, and the vote's effects (a proposal accepted and its
//!   project created, a stage changed, repositories made read-only) commit with it.
//!
//! Times are passed in (`now`), so the service's tests can move the clock.

use std::collections::BTreeMap;

use hatchery_core::incubator::{
    BallotValue, Outcome, ProgramTemplate, ProposalState, Section, Tally, VoteConfig, VoteKind,
    VoteState,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::issues::Person;
use crate::repos::{Repo, SELECT_REPO, repo_at};
use crate::sql::{parse_col, person_at, persons};
use crate::{Store, StoreError, Tx};

// ---- Programs ----

/// How a program's projects report, besides the cadence of its template: the sections of
/// a report and whether a mentor must sign each one off.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReportTemplate {
    #[serde(default)]
    pub sections: Vec<Section>,
    #[serde(default)]
    pub signoff_required: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The preset it started from (`apache`, `cncf`, `lf_ai_data`, `blank`).
    pub preset: String,
    pub template: ProgramTemplate,
    pub report_template: ReportTemplate,
    /// A team of the organization; `None` until chosen.
    pub committee_team_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Program {
    /// A project's sponsor as exports give it: its own short name, else the template's
    /// (Apache: "Incubator"), else the program's name.
    pub fn sponsor_of<'a>(&'a self, project: &'a Project) -> &'a str {
        match project.sponsor.trim() {
            "" => self.default_sponsor(),
            own => own,
        }
    }

    /// The sponsor of projects without one of their own: the template's, else the
    /// program's name.
    pub fn default_sponsor(&self) -> &str {
        match self.template.sponsor.trim() {
            "" => self.name.as_str(),
            s => s,
        }
    }

    /// The group of the program's board calendar a project reports in (counted from 1);
    /// `None` when the program has no calendar.
    pub fn reporting_group_of(&self, project: &Project) -> Option<usize> {
        self.template
            .report_cadence
            .calendar
            .as_ref()
            .map(|c| c.group_of(project.reporting_group, project.started_at))
    }
}

#[derive(Debug)]
pub struct NewProgram<'a> {
    pub org_id: i64,
    /// Validated by the caller; unique per organization, case-insensitively.
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub preset: &'a str,
    pub template: &'a ProgramTemplate,
    pub report_template: &'a ReportTemplate,
    pub actor_id: Option<i64>,
    pub now: i64,
}

// ---- Proposals ----

/// Someone named in a proposal or on a roster: an account here (`user_id`, `username`) or
/// only a name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NamedPerson {
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub affiliation: String,
}

/// Who a proposal brings: its champion, proposed mentors and initial committers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProposalPeople {
    #[serde(default)]
    pub champion: Option<NamedPerson>,
    #[serde(default)]
    pub mentors: Vec<NamedPerson>,
    #[serde(default)]
    pub committers: Vec<NamedPerson>,
}

/// What a proposal says; every saved version of it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProposalContent {
    /// The project's short id once accepted.
    pub slug: String,
    pub name: String,
    /// Section key of the program's template -> Markdown.
    pub sections: BTreeMap<String, String>,
    pub people: ProposalPeople,
    /// The repositories it brings, in the order given.
    pub repo_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub id: i64,
    pub program_id: i64,
    pub number: i64,
    pub author: Option<Person>,
    pub slug: String,
    pub name: String,
    pub state: ProposalState,
    pub sections: BTreeMap<String, String>,
    pub people: ProposalPeople,
    pub repo_ids: Vec<i64>,
    /// Grows with every edit; an edit names the version it started from.
    pub version: i64,
    /// When the current discussion started; the minimum discussion runs from here.
    pub discussion_started_at: Option<i64>,
    /// When it was accepted, rejected, withdrawn or closed.
    pub decided_at: Option<i64>,
    /// Why it was withdrawn or closed; empty otherwise.
    pub close_reason: String,
    /// Who withdrew or closed it (`None` otherwise, or when the account is gone).
    pub closed_by: Option<Person>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What holds a slug in a program: a project, or a proposal that is not rejected,
/// withdrawn or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugHolder {
    /// The project of that slug (as it is spelled there).
    Project { slug: String },
    /// The proposal numbered `number`.
    Proposal { number: i64 },
}

impl Proposal {
    /// Never published for discussion: a draft, or one withdrawn or closed while a draft.
    /// Only those who may edit it see it.
    pub fn is_unpublished(&self) -> bool {
        match self.state {
            ProposalState::Draft => true,
            ProposalState::Withdrawn | ProposalState::Closed => {
                self.discussion_started_at.is_none()
            }
            _ => false,
        }
    }

    pub fn content(&self) -> ProposalContent {
        ProposalContent {
            slug: self.slug.clone(),
            name: self.name.clone(),
            sections: self.sections.clone(),
            people: self.people.clone(),
            repo_ids: self.repo_ids.clone(),
        }
    }
}

/// One saved version of a proposal (the current one included).
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalRevision {
    pub id: i64,
    pub proposal_id: i64,
    pub version: i64,
    pub editor: Option<Person>,
    pub name: String,
    pub sections: BTreeMap<String, String>,
    pub people: ProposalPeople,
    pub repo_ids: Vec<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProposalComment {
    pub id: i64,
    pub proposal_id: i64,
    pub author: Option<Person>,
    pub body: String,
    pub created_at: i64,
}

/// A proposal's text changed from `version`, while in `from` (both as the editor read
/// them), moving it to `to`; `cancel_vote` cancels its open vote in the same transaction.
#[derive(Debug)]
pub struct ProposalEdit<'a> {
    pub id: i64,
    pub version: i64,
    pub from: ProposalState,
    pub to: ProposalState,
    pub cancel_vote: bool,
    pub editor_id: i64,
    pub content: &'a ProposalContent,
    pub now: i64,
}

/// A proposal moving from `from` to `to` (refused as `Stale` unless it is in `from`).
#[derive(Debug)]
pub struct ProposalStateChange<'a> {
    pub id: i64,
    pub from: ProposalState,
    pub to: ProposalState,
    /// Cancel its open vote in the same transaction.
    pub cancel_vote: bool,
    /// Restart the discussion period at this time.
    pub discussion_started_at: Option<i64>,
    pub actor_id: Option<i64>,
    /// Why, for the audit log (e.g. the committee's question).
    pub note: &'a str,
    pub now: i64,
}

// ---- Votes ----

/// What a vote is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteSubject {
    /// Accepting a proposal, as it stands at `version`.
    Proposal { id: i64, version: i64 },
    /// Moving a project to `target_stage`.
    Project { id: i64, target_stage: String },
    /// Approving the release candidate `release_id` of one of project `project_id`'s
    /// repositories.
    Release { project_id: i64, release_id: i64 },
    /// Electing `nominee` to the role of the vote's kind on project `project_id` (the
    /// entry's `role` is that role).
    Election {
        project_id: i64,
        nominee: NewRosterEntry,
    },
    /// A vote of the program's own kind `key` on project `project_id`.
    Custom { project_id: i64, key: String },
}

#[derive(Debug)]
pub struct NewVote<'a> {
    pub program_id: i64,
    pub kind: VoteKind,
    pub subject: VoteSubject,
    pub title: &'a str,
    /// The rule, durations and voters in force when it opens; kept with the vote. The
    /// electorate is the program's committee, or the project's people in the roles of
    /// `config.voters`, as they stand in the transaction that opens the vote.
    pub config: VoteConfig,
    /// A document the voters decide on (CNCF: a graduation's due-diligence document);
    /// empty when none.
    pub document_url: &'a str,
    pub opened_by: i64,
    pub opened_at: i64,
    pub min_close_at: i64,
    pub deadline_at: i64,
}

/// A vote's count as frozen at close (or computed live for display).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TallyRecord {
    /// Binding voters in the electorate snapshot.
    pub electorate: u32,
    pub binding_plus: u32,
    pub binding_zero: u32,
    pub binding_minus: u32,
    pub nonbinding_plus: u32,
    pub nonbinding_zero: u32,
    pub nonbinding_minus: u32,
    /// `pending`, `passed` or `failed`.
    pub outcome: String,
    /// [`hatchery_core::incubator::Reason::as_str`].
    pub reason: String,
}

impl TallyRecord {
    pub fn of(t: &Tally, electorate: u32) -> TallyRecord {
        TallyRecord {
            electorate,
            binding_plus: t.binding_plus,
            binding_zero: t.binding_zero,
            binding_minus: t.binding_minus,
            nonbinding_plus: t.nonbinding_plus,
            nonbinding_zero: t.nonbinding_zero,
            nonbinding_minus: t.nonbinding_minus,
            outcome: match t.outcome {
                Outcome::Pending => "pending",
                Outcome::Passed => "passed",
                Outcome::Failed => "failed",
            }
            .to_owned(),
            reason: t.reason.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub id: i64,
    pub program_id: i64,
    pub kind: VoteKind,
    pub proposal_id: Option<i64>,
    pub proposal_version: Option<i64>,
    pub project_id: Option<i64>,
    pub target_stage: Option<String>,
    /// The release candidate a release vote approves.
    pub release_id: Option<i64>,
    pub title: String,
    pub config: VoteConfig,
    pub opened_by: Option<Person>,
    pub opened_at: i64,
    pub min_close_at: i64,
    pub deadline_at: i64,
    pub state: VoteState,
    pub closed_at: Option<i64>,
    /// Frozen at close; `None` while open.
    pub tally: Option<TallyRecord>,
    /// How many binding voters the snapshot holds.
    pub electorate_size: i64,
    /// The key of a vote of the program's own kind.
    pub custom_kind: Option<String>,
    /// The person an election is about.
    pub nominee: Option<NamedPerson>,
    /// A document the voters decide on; empty when none.
    pub document_url: String,
}

/// One voter's current ballot.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBallot {
    pub vote_id: i64,
    pub voter: Person,
    pub value: BallotValue,
    pub binding: bool,
    pub comment: String,
    pub cast_at: i64,
    pub updated_at: i64,
}

/// The outcome of [`Store::cast_ballot`].
#[derive(Debug, Clone, PartialEq)]
pub enum BallotCast {
    /// Recorded; `changed` when it replaced the voter's earlier ballot.
    Recorded { ballot: StoredBallot, changed: bool },
    /// The vote is closed, or its deadline has passed: nothing was recorded.
    VoteClosed,
}

/// How [`Store::close_vote`] is to close a vote, decided by the caller from the vote and
/// its ballots as read under the vote's lock.
#[derive(Debug, Clone)]
pub struct Closing {
    /// `Passed`, `Failed` or `Cancelled`.
    pub state: VoteState,
    pub tally: TallyRecord,
    pub effect: VoteEffect,
}

/// What a closed vote changes, in the transaction that closes it.
#[derive(Debug, Clone)]
pub enum VoteEffect {
    Nothing,
    /// The proposal voted on leaves `voting` for `to` (accepted or rejected); with a
    /// project when accepted. `Stale` unless it is still in `voting` at the vote's version.
    Proposal {
        proposal_id: i64,
        to: ProposalState,
        project: Option<NewProject>,
    },
    /// The project moves from `from` to `to`. If it is no longer in `from` (a decision was
    /// recorded meanwhile), nothing moves and the audit entry says so.
    Stage(StageMove),
    /// The release candidate voted on is published: no longer a candidate nor a draft,
    /// dated at the close. Nothing happens if it is no longer a candidate.
    PublishRelease {
        release_id: i64,
    },
    /// The person elected joins the project's roster (unless they hold the role already).
    AddToRoster {
        project_id: i64,
        entry: NewRosterEntry,
    },
    /// The decision is written into the project's record (`project.decision`).
    RecordDecision {
        project_id: i64,
    },
    /// The project is recommended for graduation and waits for a board (nothing happens if
    /// it is no longer in the stage the vote started from, or already waits).
    Recommend {
        graduation: crate::graduations::NewGraduation,
        from_stage: String,
    },
}

/// A project's stage change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageMove {
    pub project_id: i64,
    pub from: String,
    pub to: String,
    /// `to` is terminal: the project's incubation ends now.
    pub ends: bool,
    /// How it ended (podlings.xml "resolution"); kept when empty.
    pub resolution: String,
    /// Make the project's repositories read-only (retirement).
    pub read_only: bool,
}

/// What [`Store::close_vote`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedVote {
    pub vote: Vote,
    /// The project an accepted proposal created.
    pub project: Option<Project>,
    /// A stage vote's change was applied (false when the project had moved meanwhile).
    pub stage_changed: bool,
    /// A release vote published its candidate.
    pub release_published: bool,
    /// An election added its person to the roster.
    pub roster_added: bool,
    /// A vote of the program's own kind was written into the project's record.
    pub decision_recorded: bool,
    /// The recommendation a graduation vote made.
    pub graduation_id: Option<i64>,
}

// ---- Projects ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRosterEntry {
    pub user_id: Option<i64>,
    pub name: String,
    /// `champion`, `mentor`, `committer`, or what a program adds.
    pub role: String,
    pub affiliation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    pub program_id: i64,
    pub proposal_id: Option<i64>,
    /// Taken as given by [`Store::create_project`] (`Conflict(Name)` when used); a vote's
    /// project gets `-2`, `-3`, ... appended instead, so a vote always closes.
    pub slug: String,
    pub name: String,
    pub description: String,
    /// A short name: "Incubator", a committee's name.
    pub sponsor: String,
    pub stage: String,
    pub started_at: i64,
    /// The group of the program's board calendar it reports in (counted from 1).
    pub reporting_group: Option<i64>,
    pub roster: Vec<NewRosterEntry>,
    pub repo_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: i64,
    pub program_id: i64,
    pub proposal_id: Option<i64>,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub sponsor: String,
    pub stage: String,
    pub started_at: i64,
    pub stage_since: i64,
    pub ended_at: Option<i64>,
    pub resolution: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The group of the program's board calendar it reports in (counted from 1); `None`
    /// for projects from before the calendar (see migration 0030).
    pub reporting_group: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RosterEntry {
    pub id: i64,
    pub project_id: i64,
    pub user: Option<Person>,
    pub name: String,
    pub role: String,
    pub affiliation: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

/// A stage change recorded by hand ([`Store::change_project_stage`]).
#[derive(Debug)]
pub struct StageChange<'a> {
    pub change: StageMove,
    pub actor_id: Option<i64>,
    /// Where the decision was taken (a link to the minutes, the board resolution).
    pub reference: &'a str,
    pub now: i64,
}

// ---- Reports ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportState {
    Draft,
    Submitted,
    SignedOff,
}

impl ReportState {
    pub const ALL: [ReportState; 3] = [
        ReportState::Draft,
        ReportState::Submitted,
        ReportState::SignedOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportState::Draft => "draft",
            ReportState::Submitted => "submitted",
            ReportState::SignedOff => "signed_off",
        }
    }
}

impl std::str::FromStr for ReportState {
    type Err = hatchery_core::roles::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(hatchery_core::roles::UnknownValue)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: i64,
    pub project_id: i64,
    /// The period covered: `[period_start, period_end)`.
    pub period_start: i64,
    pub period_end: i64,
    pub due_at: i64,
    pub state: ReportState,
    pub sections: BTreeMap<String, String>,
    /// Figures from the forge for the period, in the service's shape.
    pub metrics: serde_json::Value,
    pub version: i64,
    pub submitted_by: Option<Person>,
    pub submitted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Signoff {
    pub report_id: i64,
    pub user: Person,
    pub comment: String,
    pub signed_at: i64,
}

// ---- Checklist ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistStatus {
    Pass,
    Fail,
    NotApplicable,
    Exempt,
}

impl ChecklistStatus {
    pub const ALL: [ChecklistStatus; 4] = [
        ChecklistStatus::Pass,
        ChecklistStatus::Fail,
        ChecklistStatus::NotApplicable,
        ChecklistStatus::Exempt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChecklistStatus::Pass => "pass",
            ChecklistStatus::Fail => "fail",
            ChecklistStatus::NotApplicable => "not_applicable",
            ChecklistStatus::Exempt => "exempt",
        }
    }

    /// Statuses a person must explain.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            ChecklistStatus::NotApplicable | ChecklistStatus::Exempt
        )
    }
}

impl std::str::FromStr for ChecklistStatus {
    type Err = hatchery_core::roles::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChecklistStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(hatchery_core::roles::UnknownValue)
    }
}

/// The latest evaluation of one checklist item of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistEntry {
    pub project_id: i64,
    pub item_code: String,
    pub status: ChecklistStatus,
    pub reason: String,
    pub evidence: serde_json::Value,
    /// The person who judged it; `None` for an automatic evaluation.
    pub evaluated_by: Option<Person>,
    /// The automatic evaluator's name; empty for a person's judgement.
    pub evaluator: String,
    pub evaluated_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewChecklistEntry {
    pub item_code: String,
    pub status: ChecklistStatus,
    pub reason: String,
    pub evidence: serde_json::Value,
    /// A person's judgement (`Some`, with `evaluator` empty) or an evaluator's (`None`).
    pub evaluated_by: Option<i64>,
    pub evaluator: String,
}

// ---- Audit ----

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub program_id: i64,
    pub project_id: Option<i64>,
    pub proposal_id: Option<i64>,
    pub vote_id: Option<i64>,
    pub actor: Option<Person>,
    pub action: String,
    pub detail: serde_json::Value,
    pub reference: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewAudit {
    pub program_id: i64,
    pub project_id: Option<i64>,
    pub proposal_id: Option<i64>,
    pub vote_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub detail: serde_json::Value,
    pub reference: String,
}

impl NewAudit {
    pub fn new(program_id: i64, actor_id: Option<i64>, action: &str) -> NewAudit {
        NewAudit {
            program_id,
            actor_id,
            action: action.to_owned(),
            detail: serde_json::Value::Object(Default::default()),
            ..NewAudit::default()
        }
    }
}

/// Which entries of a program's audit log; unset filters match all.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter {
    pub project_id: Option<i64>,
    pub proposal_id: Option<i64>,
    pub vote_id: Option<i64>,
}

// ---- Row decoding ----

fn decode_err(what: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("{what}").into())
}

fn from_json<T: DeserializeOwned>(s: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(s).map_err(|e| decode_err(format!("stored JSON: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))
}

macro_rules! program_select {
    () => {
        "SELECT g.id, g.org_id, a.name, g.slug, g.name, g.description, g.preset, g.template,
                g.report_template, g.committee_team_id, g.created_at, g.updated_at
           FROM programs g JOIN accounts a ON a.id = g.org_id"
    };
}

fn program_at(row: &AnyRow) -> Result<Program, sqlx::Error> {
    let template: String = row.try_get(7)?;
    let report_template: String = row.try_get(8)?;
    Ok(Program {
        id: row.try_get(0)?,
        org_id: row.try_get(1)?,
        org_name: row.try_get(2)?,
        slug: row.try_get(3)?,
        name: row.try_get(4)?,
        description: row.try_get(5)?,
        preset: row.try_get(6)?,
        template: from_json(&template)?,
        report_template: from_json(&report_template)?,
        committee_team_id: row.try_get(9)?,
        created_at: row.try_get(10)?,
        updated_at: row.try_get(11)?,
    })
}

macro_rules! proposal_select {
    () => {
        "SELECT o.id, o.program_id, o.number, o.slug, o.name, o.state, o.sections, o.people,
                o.repo_ids, o.version, o.discussion_started_at, o.decided_at, o.created_at,
                o.updated_at, p.id, p.name, p.display_name, o.close_reason, c.id, c.name,
                c.display_name
           FROM proposals o LEFT JOIN accounts p ON p.id = o.author_id
                LEFT JOIN accounts c ON c.id = o.closed_by"
    };
}

fn proposal_at(row: &AnyRow) -> Result<Proposal, sqlx::Error> {
    let state: String = row.try_get(5)?;
    let sections: String = row.try_get(6)?;
    let people: String = row.try_get(7)?;
    let repo_ids: String = row.try_get(8)?;
    Ok(Proposal {
        id: row.try_get(0)?,
        program_id: row.try_get(1)?,
        number: row.try_get(2)?,
        slug: row.try_get(3)?,
        name: row.try_get(4)?,
        state: parse_col(&state)?,
        sections: from_json(&sections)?,
        people: from_json(&people)?,
        repo_ids: from_json(&repo_ids)?,
        version: row.try_get(9)?,
        discussion_started_at: row.try_get(10)?,
        decided_at: row.try_get(11)?,
        created_at: row.try_get(12)?,
        updated_at: row.try_get(13)?,
        author: person_at(row, 14)?,
        close_reason: row.try_get(17)?,
        closed_by: person_at(row, 18)?,
    })
}

macro_rules! vote_select {
    () => {
        "SELECT v.id, v.program_id, v.kind, v.proposal_id, v.proposal_version, v.project_id,
                v.target_stage, v.title, v.rule, v.opened_at, v.min_close_at, v.deadline_at,
                v.state, v.closed_at, v.tally,
                (SELECT COUNT(*) FROM vote_electorate e WHERE e.vote_id = v.id),
                p.id, p.name, p.display_name, v.release_id, v.custom_kind, v.nominee_id,
                n.name, v.nominee_name, v.nominee_affiliation, v.document_url
           FROM votes v LEFT JOIN accounts p ON p.id = v.opened_by
           LEFT JOIN accounts n ON n.id = v.nominee_id"
    };
}

fn vote_at(row: &AnyRow) -> Result<Vote, sqlx::Error> {
    let kind: String = row.try_get(2)?;
    let rule: String = row.try_get(8)?;
    let state: String = row.try_get(12)?;
    let tally: Option<String> = row.try_get(14)?;
    Ok(Vote {
        id: row.try_get(0)?,
        program_id: row.try_get(1)?,
        kind: parse_col(&kind)?,
        proposal_id: row.try_get(3)?,
        proposal_version: row.try_get(4)?,
        project_id: row.try_get(5)?,
        target_stage: row.try_get(6)?,
        title: row.try_get(7)?,
        config: from_json(&rule)?,
        opened_at: row.try_get(9)?,
        min_close_at: row.try_get(10)?,
        deadline_at: row.try_get(11)?,
        state: parse_col(&state)?,
        closed_at: row.try_get(13)?,
        tally: tally.as_deref().map(from_json).transpose()?,
        electorate_size: row.try_get(15)?,
        opened_by: person_at(row, 16)?,
        release_id: row.try_get(19)?,
        custom_kind: row.try_get(20)?,
        nominee: nominee_at(row, 21)?,
        document_url: row.try_get(25)?,
    })
}

/// An election's nominee from the columns at `i`: account id, account name, name and
/// affiliation.
fn nominee_at(row: &AnyRow, i: usize) -> Result<Option<NamedPerson>, sqlx::Error> {
    let name: Option<String> = row.try_get(i + 2)?;
    Ok(match name {
        Some(name) => Some(NamedPerson {
            user_id: row.try_get(i)?,
            username: row.try_get::<Option<String>, _>(i + 1)?.unwrap_or_default(),
            name,
            affiliation: row.try_get(i + 3)?,
        }),
        None => None,
    })
}

macro_rules! ballot_select {
    () => {
        "SELECT b.vote_id, b.value, b.is_binding, b.comment, b.cast_at, b.updated_at,
                p.id, p.name, p.display_name
           FROM ballots b JOIN accounts p ON p.id = b.voter_id"
    };
}

fn ballot_at(row: &AnyRow) -> Result<StoredBallot, sqlx::Error> {
    let value: i64 = row.try_get(1)?;
    let value = i8::try_from(value)
        .ok()
        .and_then(BallotValue::from_i8)
        .ok_or_else(|| decode_err(format!("unexpected ballot value {value}")))?;
    Ok(StoredBallot {
        vote_id: row.try_get(0)?,
        value,
        binding: row.try_get::<i64, _>(2)? != 0,
        comment: row.try_get(3)?,
        cast_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
        voter: person_at(row, 6)?.ok_or_else(|| decode_err("ballot without a voter"))?,
    })
}

macro_rules! project_select {
    () => {
        "SELECT j.id, j.program_id, j.proposal_id, j.slug, j.name, j.description, j.sponsor,
                j.stage, j.started_at, j.stage_since, j.ended_at, j.resolution, j.created_at,
                j.updated_at, j.reporting_group
           FROM projects j"
    };
}

fn project_at(row: &AnyRow) -> Result<Project, sqlx::Error> {
    Ok(Project {
        id: row.try_get(0)?,
        program_id: row.try_get(1)?,
        proposal_id: row.try_get(2)?,
        slug: row.try_get(3)?,
        name: row.try_get(4)?,
        description: row.try_get(5)?,
        sponsor: row.try_get(6)?,
        stage: row.try_get(7)?,
        started_at: row.try_get(8)?,
        stage_since: row.try_get(9)?,
        ended_at: row.try_get(10)?,
        resolution: row.try_get(11)?,
        created_at: row.try_get(12)?,
        updated_at: row.try_get(13)?,
        reporting_group: row.try_get(14)?,
    })
}

macro_rules! report_select {
    () => {
        "SELECT r.id, r.project_id, r.period_start, r.period_end, r.due_at, r.state,
                r.sections, r.metrics, r.version, r.submitted_at, r.created_at, r.updated_at,
                p.id, p.name, p.display_name
           FROM reports r LEFT JOIN accounts p ON p.id = r.submitted_by"
    };
}

fn report_at(row: &AnyRow) -> Result<Report, sqlx::Error> {
    let state: String = row.try_get(5)?;
    let sections: String = row.try_get(6)?;
    let metrics: String = row.try_get(7)?;
    Ok(Report {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        period_start: row.try_get(2)?,
        period_end: row.try_get(3)?,
        due_at: row.try_get(4)?,
        state: parse_col(&state)?,
        sections: from_json(&sections)?,
        metrics: from_json(&metrics)?,
        version: row.try_get(8)?,
        submitted_at: row.try_get(9)?,
        created_at: row.try_get(10)?,
        updated_at: row.try_get(11)?,
        submitted_by: person_at(row, 12)?,
    })
}

/// Inserts an audit entry in the transaction.
pub(crate) async fn insert_audit(tx: &mut Tx, a: &NewAudit, now: i64) -> Result<i64, StoreError> {
    let detail = to_json(&a.detail)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO audit_log (program_id, project_id, proposal_id, vote_id, actor_id, action,
             detail, reference, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(a.program_id)
    .bind(a.project_id)
    .bind(a.proposal_id)
    .bind(a.vote_id)
    .bind(a.actor_id)
    .bind(a.action.as_str())
    .bind(detail)
    .bind(a.reference.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Builds a JSON object from `(key, value)` pairs, for audit details.
pub(crate) fn detail<const N: usize>(pairs: [(&str, serde_json::Value); N]) -> serde_json::Value {
    serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// What holds `slug` in program `program_id` (case-insensitive), leaving proposal
/// `except` out (the one being edited): a project first, then a proposal that is not
/// rejected, withdrawn or closed.
async fn slug_holder_on(
    conn: &mut sqlx::AnyConnection,
    program_id: i64,
    slug: &str,
    except: Option<i64>,
) -> Result<Option<SlugHolder>, StoreError> {
    let lower = slug.to_lowercase();
    let project: Option<String> =
        sqlx::query_scalar("SELECT slug FROM projects WHERE program_id = $1 AND lower_name = $2")
            .bind(program_id)
            .bind(lower.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(slug) = project {
        return Ok(Some(SlugHolder::Project { slug }));
    }
    // The states that let go of the slug (rejected, withdrawn, closed), as the rules say.
    let released: Vec<String> = ProposalState::ALL
        .into_iter()
        .filter(|s| !s.holds_slug())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let sql = format!(
        "SELECT number FROM proposals
          WHERE program_id = $1 AND lower(slug) = $2 AND id <> $3
            AND state NOT IN ({})
          ORDER BY number LIMIT 1",
        released.join(", ")
    );
    let number: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(program_id)
        .bind(lower.as_str())
        .bind(except.unwrap_or(-1))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(number.map(|number| SlugHolder::Proposal { number }))
}

/// Locks program `program_id` for the transaction, so that two transactions checking a
/// slug of the program take turns (PostgreSQL; SQLite's write transactions already do).
async fn lock_program(store: &Store, tx: &mut Tx, program_id: i64) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT id FROM programs WHERE id = $1{}",
        store.row_lock(None)
    );
    let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(program_id)
        .fetch_optional(&mut **tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

async fn program_of_proposal(tx: &mut Tx, proposal_id: i64) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT program_id FROM proposals WHERE id = $1")
        .bind(proposal_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Locks project `project_id` of program `program_id` for the transaction; `NotFound` when
/// the program has no such project.
async fn lock_project(
    store: &Store,
    tx: &mut Tx,
    project_id: i64,
    program_id: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT id FROM projects WHERE id = $1 AND program_id = $2{}",
        store.row_lock(None)
    );
    let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(project_id)
        .bind(program_id)
        .fetch_optional(&mut **tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// Whether the person of `e` holds `e.role` on the project now (matched by account, or by
/// name for someone without one).
async fn holds_role(tx: &mut Tx, project_id: i64, e: &NewRosterEntry) -> Result<bool, StoreError> {
    let found: Option<i64> = match e.user_id {
        Some(uid) => {
            sqlx::query_scalar(
                "SELECT id FROM project_roster
                  WHERE project_id = $1 AND role = $2 AND ended_at IS NULL AND user_id = $3",
            )
            .bind(project_id)
            .bind(e.role.as_str())
            .bind(uid)
            .fetch_optional(&mut **tx)
            .await?
        }
        None => {
            sqlx::query_scalar(
                "SELECT id FROM project_roster
                  WHERE project_id = $1 AND role = $2 AND ended_at IS NULL
                    AND user_id IS NULL AND lower(name) = lower($3)",
            )
            .bind(project_id)
            .bind(e.role.as_str())
            .bind(e.name.as_str())
            .fetch_optional(&mut **tx)
            .await?
        }
    };
    Ok(found.is_some())
}

pub(crate) async fn program_of_project(tx: &mut Tx, project_id: i64) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT program_id FROM projects WHERE id = $1")
        .bind(project_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Cancels the open votes on a proposal at `now`, with an audit entry each.
async fn cancel_proposal_votes(
    tx: &mut Tx,
    program_id: i64,
    proposal_id: i64,
    actor_id: Option<i64>,
    why: &str,
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE votes SET state = 'cancelled', closed_at = $2
          WHERE proposal_id = $1 AND state = 'open' RETURNING id",
    )
    .bind(proposal_id)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    for id in &ids {
        let mut a = NewAudit::new(program_id, actor_id, "vote.cancelled");
        a.proposal_id = Some(proposal_id);
        a.vote_id = Some(*id);
        a.detail = detail([("why", why.into())]);
        insert_audit(tx, &a, now).await?;
    }
    Ok(ids)
}

impl Store {
    // ---- Programs ----

    /// With an audit entry. `Conflict(Name)` when the organization has a program of that
    /// slug in any case; `NotFound` when the organization does not exist.
    pub async fn create_program(&self, new: NewProgram<'_>) -> Result<Program, StoreError> {
        let template = to_json(new.template)?;
        let report_template = to_json(new.report_template)?;
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO programs (org_id, slug, lower_name, name, description, preset, template,
                 report_template, created_at, updated_at)
             SELECT a.id, $2, $3, $4, $5, $6, $7, $8, $9, $9 FROM accounts a
              WHERE a.id = $1 AND a.kind = 1
             RETURNING id",
        )
        .bind(new.org_id)
        .bind(new.slug)
        .bind(new.slug.to_ascii_lowercase())
        .bind(new.name)
        .bind(new.description)
        .bind(new.preset)
        .bind(template)
        .bind(report_template)
        .bind(new.now)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut a = NewAudit::new(id, new.actor_id, "program.created");
        a.detail = detail([("preset", new.preset.into()), ("slug", new.slug.into())]);
        insert_audit(&mut tx, &a, new.now).await?;
        tx.commit().await?;
        self.program_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn program_by_id(&self, id: i64) -> Result<Option<Program>, StoreError> {
        let row = sqlx::query(concat!(program_select!(), " WHERE g.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| program_at(&r)).transpose()?)
    }

    /// Case-insensitive.
    pub async fn program_by_slug(
        &self,
        org_id: i64,
        slug: &str,
    ) -> Result<Option<Program>, StoreError> {
        let row = sqlx::query(concat!(
            program_select!(),
            " WHERE g.org_id = $1 AND g.lower_name = $2"
        ))
        .bind(org_id)
        .bind(slug.to_ascii_lowercase())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| program_at(&r)).transpose()?)
    }

    /// By slug.
    pub async fn programs_of_org(&self, org_id: i64) -> Result<Vec<Program>, StoreError> {
        let rows = sqlx::query(concat!(
            program_select!(),
            " WHERE g.org_id = $1 ORDER BY g.lower_name"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(program_at).collect::<Result<_, _>>()?)
    }

    /// Name and description.
    pub async fn update_program(
        &self,
        id: i64,
        name: &str,
        description: &str,
        now: i64,
    ) -> Result<Program, StoreError> {
        let done = sqlx::query(
            "UPDATE programs SET name = $2, description = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.program_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Replaces the template (validated by the caller), with an audit entry.
    pub async fn update_program_template(
        &self,
        id: i64,
        template: &ProgramTemplate,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Program, StoreError> {
        let json = to_json(template)?;
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE programs SET template = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_audit(
            &mut tx,
            &NewAudit::new(id, actor_id, "program.template"),
            now,
        )
        .await?;
        tx.commit().await?;
        self.program_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Replaces the report template (validated by the caller), with an audit entry.
    pub async fn update_report_template(
        &self,
        id: i64,
        report_template: &ReportTemplate,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Program, StoreError> {
        let json = to_json(report_template)?;
        let mut tx = self.write_tx().await?;
        let done =
            sqlx::query("UPDATE programs SET report_template = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(json)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_audit(
            &mut tx,
            &NewAudit::new(id, actor_id, "program.report_template"),
            now,
        )
        .await?;
        tx.commit().await?;
        self.program_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Makes `team_id` (a team of the program's organization) its committee, or leaves it
    /// without one; with an audit entry. `NotFound` when the program does not exist or the
    /// team is not one of its organization's.
    pub async fn set_program_committee(
        &self,
        id: i64,
        team_id: Option<i64>,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Program, StoreError> {
        let mut tx = self.write_tx().await?;
        let done =
            match team_id {
                Some(team) => {
                    sqlx::query(
                        "UPDATE programs SET committee_team_id = $2, updated_at = $3
                      WHERE id = $1
                        AND EXISTS (SELECT 1 FROM teams t
                                     WHERE t.id = $2 AND t.org_id = programs.org_id)",
                    )
                    .bind(id)
                    .bind(team)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                }
                None => sqlx::query(
                    "UPDATE programs SET committee_team_id = NULL, updated_at = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?,
            };
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let mut a = NewAudit::new(id, actor_id, "program.committee");
        a.detail = detail([("team_id", team_id.into())]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.program_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Whether the user is in the program's committee now.
    pub async fn is_committee_member(
        &self,
        program_id: i64,
        user_id: i64,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM programs g JOIN team_members tm ON tm.team_id = g.committee_team_id
              WHERE g.id = $1 AND tm.user_id = $2",
        )
        .bind(program_id)
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    /// The program's committee now, by name.
    pub async fn committee_members(&self, program_id: i64) -> Result<Vec<Person>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.display_name FROM programs g
               JOIN team_members tm ON tm.team_id = g.committee_team_id
               JOIN accounts p ON p.id = tm.user_id
              WHERE g.id = $1 ORDER BY p.lower_name",
        )
        .bind(program_id)
        .fetch_all(self.pool())
        .await?;
        persons(&rows)
    }

    // ---- Proposals ----

    /// A draft with the program's next number, its first revision and an audit entry.
    /// `NotFound` when the program does not exist; `Conflict(Name)` when its slug is held
    /// ([`Store::slug_holder`]).
    pub async fn create_proposal(
        &self,
        program_id: i64,
        author_id: i64,
        content: &ProposalContent,
        now: i64,
    ) -> Result<Proposal, StoreError> {
        let sections = to_json(&content.sections)?;
        let people = to_json(&content.people)?;
        let repo_ids = to_json(&content.repo_ids)?;
        let mut tx = self.write_tx().await?;
        let number: i64 = sqlx::query_scalar(
            "UPDATE programs SET proposal_seq = proposal_seq + 1 WHERE id = $1
             RETURNING proposal_seq",
        )
        .bind(program_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        if slug_holder_on(&mut tx, program_id, &content.slug, None)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(crate::ConflictField::Name));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO proposals (program_id, number, author_id, slug, name, state, sections,
                 people, repo_ids, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, 1, $9, $9) RETURNING id",
        )
        .bind(program_id)
        .bind(number)
        .bind(author_id)
        .bind(content.slug.as_str())
        .bind(content.name.as_str())
        .bind(&sections)
        .bind(&people)
        .bind(&repo_ids)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_revision(&mut tx, id, 1, author_id, content, now).await?;
        let mut a = NewAudit::new(program_id, Some(author_id), "proposal.created");
        a.proposal_id = Some(id);
        a.detail = detail([("number", number.into())]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.proposal_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// What holds `slug` in program `program_id` (case-insensitive), leaving proposal
    /// `except` out: a project of that slug, or a proposal that is not rejected,
    /// withdrawn or closed. A slug is held once: [`Store::create_proposal`],
    /// [`Store::edit_proposal`], [`Store::create_project`] and opening a vote on a proposal
    /// refuse a held one with `Conflict(Name)`.
    pub async fn slug_holder(
        &self,
        program_id: i64,
        slug: &str,
        except: Option<i64>,
    ) -> Result<Option<SlugHolder>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        slug_holder_on(&mut conn, program_id, slug, except).await
    }

    pub async fn proposal_by_id(&self, id: i64) -> Result<Option<Proposal>, StoreError> {
        let row = sqlx::query(concat!(proposal_select!(), " WHERE o.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| proposal_at(&r)).transpose()?)
    }

    pub async fn proposal_by_number(
        &self,
        program_id: i64,
        number: i64,
    ) -> Result<Option<Proposal>, StoreError> {
        let row = sqlx::query(concat!(
            proposal_select!(),
            " WHERE o.program_id = $1 AND o.number = $2"
        ))
        .bind(program_id)
        .bind(number)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| proposal_at(&r)).transpose()?)
    }

    /// Newest first; only those in `state` when given.
    pub async fn proposals_of_program(
        &self,
        program_id: i64,
        state: Option<ProposalState>,
    ) -> Result<Vec<Proposal>, StoreError> {
        let rows = match state {
            Some(state) => {
                sqlx::query(concat!(
                    proposal_select!(),
                    " WHERE o.program_id = $1 AND o.state = $2 ORDER BY o.number DESC"
                ))
                .bind(program_id)
                .bind(state.as_str())
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(concat!(
                    proposal_select!(),
                    " WHERE o.program_id = $1 ORDER BY o.number DESC"
                ))
                .bind(program_id)
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows.iter().map(proposal_at).collect::<Result<_, _>>()?)
    }

    /// Saves a new version (kept as a revision) if the proposal is still at `version` and
    /// in `from`, moves it to `to` and, when asked, cancels its open vote; with audit
    /// entries. `Stale` when it changed meanwhile; `Conflict(Name)` when its slug is held
    /// by another proposal or a project.
    pub async fn edit_proposal(&self, e: ProposalEdit<'_>) -> Result<Proposal, StoreError> {
        let sections = to_json(&e.content.sections)?;
        let people = to_json(&e.content.people)?;
        let repo_ids = to_json(&e.content.repo_ids)?;
        let mut tx = self.write_tx().await?;
        let program_id = program_of_proposal(&mut tx, e.id).await?;
        lock_program(self, &mut tx, program_id).await?;
        if slug_holder_on(&mut tx, program_id, &e.content.slug, Some(e.id))
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(crate::ConflictField::Name));
        }
        let done = sqlx::query(
            "UPDATE proposals SET slug = $4, name = $5, sections = $6, people = $7,
                    repo_ids = $8, state = $9, version = version + 1, updated_at = $10
              WHERE id = $1 AND version = $2 AND state = $3",
        )
        .bind(e.id)
        .bind(e.version)
        .bind(e.from.as_str())
        .bind(e.content.slug.as_str())
        .bind(e.content.name.as_str())
        .bind(&sections)
        .bind(&people)
        .bind(&repo_ids)
        .bind(e.to.as_str())
        .bind(e.now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        let version = e.version + 1;
        insert_revision(&mut tx, e.id, version, e.editor_id, e.content, e.now).await?;
        let mut a = NewAudit::new(program_id, Some(e.editor_id), "proposal.edited");
        a.proposal_id = Some(e.id);
        a.detail = detail([("version", version.into())]);
        insert_audit(&mut tx, &a, e.now).await?;
        if e.cancel_vote {
            cancel_proposal_votes(
                &mut tx,
                program_id,
                e.id,
                Some(e.editor_id),
                "proposal edited",
                e.now,
            )
            .await?;
        }
        if e.from != e.to {
            let mut a = NewAudit::new(program_id, Some(e.editor_id), "proposal.state");
            a.proposal_id = Some(e.id);
            a.detail = detail([
                ("from", e.from.as_str().into()),
                ("to", e.to.as_str().into()),
            ]);
            insert_audit(&mut tx, &a, e.now).await?;
        }
        tx.commit().await?;
        self.proposal_by_id(e.id).await?.ok_or(StoreError::NotFound)
    }

    /// Moves the proposal from `from` to `to`, with an audit entry. `Stale` unless it is
    /// in `from`.
    pub async fn set_proposal_state(
        &self,
        c: ProposalStateChange<'_>,
    ) -> Result<Proposal, StoreError> {
        let mut tx = self.write_tx().await?;
        let program_id = program_of_proposal(&mut tx, c.id).await?;
        let decided = c.to.is_final();
        // Withdrawn and closed proposals keep why and by whom.
        let closing = matches!(c.to, ProposalState::Withdrawn | ProposalState::Closed);
        let done = sqlx::query(
            "UPDATE proposals
                SET state = $3, updated_at = $4,
                    discussion_started_at = COALESCE($5, discussion_started_at),
                    decided_at = CASE WHEN $6 = 1 THEN $4 ELSE decided_at END,
                    close_reason = CASE WHEN $7 = 1 THEN $8 ELSE close_reason END,
                    closed_by = CASE WHEN $7 = 1 THEN $9 ELSE closed_by END
              WHERE id = $1 AND state = $2",
        )
        .bind(c.id)
        .bind(c.from.as_str())
        .bind(c.to.as_str())
        .bind(c.now)
        .bind(c.discussion_started_at)
        .bind(i64::from(decided))
        .bind(i64::from(closing))
        .bind(c.note)
        .bind(c.actor_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        if c.cancel_vote {
            cancel_proposal_votes(&mut tx, program_id, c.id, c.actor_id, c.to.as_str(), c.now)
                .await?;
        }
        let mut a = NewAudit::new(program_id, c.actor_id, "proposal.state");
        a.proposal_id = Some(c.id);
        a.detail = detail([
            ("from", c.from.as_str().into()),
            ("to", c.to.as_str().into()),
            ("note", c.note.into()),
        ]);
        insert_audit(&mut tx, &a, c.now).await?;
        tx.commit().await?;
        self.proposal_by_id(c.id).await?.ok_or(StoreError::NotFound)
    }

    /// Every saved version, oldest first.
    pub async fn proposal_revisions(
        &self,
        proposal_id: i64,
    ) -> Result<Vec<ProposalRevision>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.proposal_id, r.version, r.name, r.sections, r.people, r.repo_ids,
                    r.created_at, p.id, p.name, p.display_name
               FROM proposal_revisions r LEFT JOIN accounts p ON p.id = r.editor_id
              WHERE r.proposal_id = $1 ORDER BY r.version",
        )
        .bind(proposal_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let sections: String = r.try_get(4)?;
                let people: String = r.try_get(5)?;
                let repo_ids: String = r.try_get(6)?;
                Ok(ProposalRevision {
                    id: r.try_get(0)?,
                    proposal_id: r.try_get(1)?,
                    version: r.try_get(2)?,
                    name: r.try_get(3)?,
                    sections: from_json(&sections)?,
                    people: from_json(&people)?,
                    repo_ids: from_json(&repo_ids)?,
                    created_at: r.try_get(7)?,
                    editor: person_at(r, 8)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    pub async fn add_proposal_comment(
        &self,
        proposal_id: i64,
        author_id: i64,
        body: &str,
        now: i64,
    ) -> Result<ProposalComment, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO proposal_comments (proposal_id, author_id, body, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(proposal_id)
        .bind(author_id)
        .bind(body)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        self.proposal_comments(proposal_id)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// In the order they were written.
    pub async fn proposal_comments(
        &self,
        proposal_id: i64,
    ) -> Result<Vec<ProposalComment>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.proposal_id, c.body, c.created_at, p.id, p.name, p.display_name
               FROM proposal_comments c LEFT JOIN accounts p ON p.id = c.author_id
              WHERE c.proposal_id = $1 ORDER BY c.created_at, c.id",
        )
        .bind(proposal_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ProposalComment {
                    id: r.try_get(0)?,
                    proposal_id: r.try_get(1)?,
                    body: r.try_get(2)?,
                    created_at: r.try_get(3)?,
                    author: person_at(r, 4)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    // ---- Votes ----

    /// Opens a vote and freezes its electorate (the program's committee as it stands in
    /// this transaction), with an audit entry. On a proposal, the proposal moves from
    /// `discussion` to `voting` at the same time: `Stale` unless it is in discussion at the
    /// version voted on. On a project: `Stale` when another vote on it is open.
    pub async fn open_vote(&self, new: NewVote<'_>) -> Result<Vote, StoreError> {
        let rule = to_json(&new.config)?;
        let mut tx = self.write_tx().await?;
        let mut nominee = None;
        let mut custom_kind = None;
        let (proposal, version, project, target, release) = match &new.subject {
            VoteSubject::Proposal { id, version } => {
                let done = sqlx::query(
                    "UPDATE proposals SET state = 'voting', updated_at = $4
                      WHERE id = $1 AND program_id = $2 AND version = $3
                        AND state = 'discussion'",
                )
                .bind(id)
                .bind(new.program_id)
                .bind(version)
                .bind(new.opened_at)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Stale);
                }
                // The project it would become needs its slug.
                lock_program(self, &mut tx, new.program_id).await?;
                let slug: String = sqlx::query_scalar("SELECT slug FROM proposals WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                if slug_holder_on(&mut tx, new.program_id, &slug, Some(*id))
                    .await?
                    .is_some()
                {
                    return Err(StoreError::Conflict(crate::ConflictField::Name));
                }
                (Some(*id), Some(*version), None, None, None)
            }
            VoteSubject::Project { id, target_stage } => {
                let sql = format!(
                    "SELECT id FROM projects WHERE id = $1 AND program_id = $2{}",
                    self.row_lock(None)
                );
                let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
                    .bind(id)
                    .bind(new.program_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound);
                }
                // One stage change at a time: no other stage vote open, no recommendation
                // waiting for a board.
                let open: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM votes
                      WHERE project_id = $1 AND state = 'open'
                        AND kind IN ('advance_stage', 'graduate', 'retire')
                     UNION ALL
                     SELECT id FROM graduations
                      WHERE project_id = $1 AND state IN ('recommended', 'submitted')",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                if open.is_some() {
                    return Err(StoreError::Stale);
                }
                (None, None, Some(*id), Some(target_stage.as_str()), None)
            }
            VoteSubject::Election {
                project_id,
                nominee: person,
            } => {
                lock_project(self, &mut tx, *project_id, new.program_id).await?;
                // One open election of a person to a role.
                let open: Option<i64> = match person.user_id {
                    Some(uid) => {
                        sqlx::query_scalar(
                            "SELECT id FROM votes
                              WHERE project_id = $1 AND kind = $2 AND state = 'open'
                                AND nominee_id = $3",
                        )
                        .bind(project_id)
                        .bind(new.kind.as_str())
                        .bind(uid)
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                    None => {
                        sqlx::query_scalar(
                            "SELECT id FROM votes
                              WHERE project_id = $1 AND kind = $2 AND state = 'open'
                                AND nominee_id IS NULL AND lower(nominee_name) = lower($3)",
                        )
                        .bind(project_id)
                        .bind(new.kind.as_str())
                        .bind(person.name.as_str())
                        .fetch_optional(&mut *tx)
                        .await?
                    }
                };
                if open.is_some() {
                    return Err(StoreError::Stale);
                }
                nominee = Some(person);
                (None, None, Some(*project_id), None, None)
            }
            VoteSubject::Custom { project_id, key } => {
                lock_project(self, &mut tx, *project_id, new.program_id).await?;
                custom_kind = Some(key.as_str());
                (None, None, Some(*project_id), None, None)
            }
            VoteSubject::Release {
                project_id,
                release_id,
            } => {
                let sql = format!(
                    "SELECT id FROM projects WHERE id = $1 AND program_id = $2{}",
                    self.row_lock(None)
                );
                let found: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
                    .bind(project_id)
                    .bind(new.program_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound);
                }
                // A candidate that is not a draft, of a repository of the project.
                let candidate: Option<i64> = sqlx::query_scalar(
                    "SELECT r.id FROM releases r
                       JOIN project_repos pr ON pr.repo_id = r.repo_id AND pr.project_id = $2
                      WHERE r.id = $1 AND r.is_candidate = 1 AND r.is_draft = 0",
                )
                .bind(release_id)
                .bind(project_id)
                .fetch_optional(&mut *tx)
                .await?;
                if candidate.is_none() {
                    return Err(StoreError::NotFound);
                }
                let open: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM votes WHERE release_id = $1 AND state = 'open'",
                )
                .bind(release_id)
                .fetch_optional(&mut *tx)
                .await?;
                if open.is_some() {
                    return Err(StoreError::Stale);
                }
                (None, None, Some(*project_id), None, Some(*release_id))
            }
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO votes (program_id, kind, proposal_id, proposal_version, project_id,
                 target_stage, title, rule, opened_by, opened_at, min_close_at, deadline_at,
                 state, release_id, custom_kind, nominee_id, nominee_name, nominee_affiliation,
                 document_url)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, $14, $15,
                     $16, $17, $18)
             RETURNING id",
        )
        .bind(new.program_id)
        .bind(new.kind.as_str())
        .bind(proposal)
        .bind(version)
        .bind(project)
        .bind(target)
        .bind(new.title)
        .bind(rule)
        .bind(new.opened_by)
        .bind(new.opened_at)
        .bind(new.min_close_at)
        .bind(new.deadline_at)
        .bind(release)
        .bind(custom_kind)
        .bind(nominee.and_then(|n| n.user_id))
        .bind(nominee.map(|n| n.name.as_str()))
        .bind(nominee.map_or("", |n| n.affiliation.as_str()))
        .bind(new.document_url)
        .fetch_one(&mut *tx)
        .await?;
        let roles = new.config.voters.roles();
        match (roles.is_empty(), project) {
            (false, Some(project_id)) => {
                let list = (0..roles.len())
                    .map(|i| format!("${}", i + 3))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "INSERT INTO vote_electorate (vote_id, user_id)
                     SELECT $1, u.user_id FROM (
                         SELECT DISTINCT user_id FROM project_roster
                          WHERE project_id = $2 AND ended_at IS NULL
                            AND user_id IS NOT NULL AND role IN ({list})) u"
                );
                let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id).bind(project_id);
                for role in roles {
                    q = q.bind(*role);
                }
                q.execute(&mut *tx).await?;
            }
            _ => {
                sqlx::query(
                    "INSERT INTO vote_electorate (vote_id, user_id)
                     SELECT $1, tm.user_id FROM programs g
                       JOIN team_members tm ON tm.team_id = g.committee_team_id
                      WHERE g.id = $2",
                )
                .bind(id)
                .bind(new.program_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        let mut a = NewAudit::new(new.program_id, Some(new.opened_by), "vote.opened");
        a.vote_id = Some(id);
        a.proposal_id = proposal;
        a.project_id = project;
        a.detail = detail([
            ("kind", new.kind.as_str().into()),
            ("target_stage", target.into()),
            ("proposal_version", version.into()),
            ("release_id", release.into()),
            ("deadline_at", new.deadline_at.into()),
            ("custom_kind", custom_kind.into()),
            ("nominee", nominee.map(|n| n.name.as_str()).into()),
            ("voters", new.config.voters.as_str().into()),
        ]);
        insert_audit(&mut tx, &a, new.opened_at).await?;
        tx.commit().await?;
        self.vote_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn vote_by_id(&self, id: i64) -> Result<Option<Vote>, StoreError> {
        let row = sqlx::query(concat!(vote_select!(), " WHERE v.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| vote_at(&r)).transpose()?)
    }

    /// Newest first; only open ones when `open_only`.
    pub async fn votes_of_program(
        &self,
        program_id: i64,
        open_only: bool,
    ) -> Result<Vec<Vote>, StoreError> {
        let rows = sqlx::query(concat!(
            vote_select!(),
            " WHERE v.program_id = $1 AND ($2 = 0 OR v.state = 'open') ORDER BY v.id DESC"
        ))
        .bind(program_id)
        .bind(i64::from(open_only))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(vote_at).collect::<Result<_, _>>()?)
    }

    /// The votes on a proposal, newest first.
    pub async fn votes_of_proposal(&self, proposal_id: i64) -> Result<Vec<Vote>, StoreError> {
        let rows = sqlx::query(concat!(
            vote_select!(),
            " WHERE v.proposal_id = $1 ORDER BY v.id DESC"
        ))
        .bind(proposal_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(vote_at).collect::<Result<_, _>>()?)
    }

    /// The votes on a project's transitions, newest first.
    pub async fn votes_of_project(&self, project_id: i64) -> Result<Vec<Vote>, StoreError> {
        let rows = sqlx::query(concat!(
            vote_select!(),
            " WHERE v.project_id = $1 ORDER BY v.id DESC"
        ))
        .bind(project_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(vote_at).collect::<Result<_, _>>()?)
    }

    /// The release votes on a release, newest first.
    pub async fn votes_of_release(&self, release_id: i64) -> Result<Vec<Vote>, StoreError> {
        let rows = sqlx::query(concat!(
            vote_select!(),
            " WHERE v.release_id = $1 ORDER BY v.id DESC"
        ))
        .bind(release_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(vote_at).collect::<Result<_, _>>()?)
    }

    /// Open votes whose minimum duration has elapsed by `now`: those the closing job
    /// looks at, oldest deadline first.
    pub async fn votes_to_check(&self, now: i64) -> Result<Vec<Vote>, StoreError> {
        let rows = sqlx::query(concat!(
            vote_select!(),
            " WHERE v.state = 'open' AND v.min_close_at <= $1 ORDER BY v.deadline_at, v.id"
        ))
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(vote_at).collect::<Result<_, _>>()?)
    }

    /// When the closing job next has something to look at after `now`: the next end of a
    /// minimum duration, or the next deadline of a vote already past its minimum.
    pub async fn next_vote_check_at(&self, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(CASE WHEN min_close_at > $1 THEN min_close_at ELSE deadline_at END)
               FROM votes WHERE state = 'open'",
        )
        .bind(now)
        .fetch_one(self.pool())
        .await?)
    }

    /// The current ballots, in the order they were first cast.
    pub async fn ballots(&self, vote_id: i64) -> Result<Vec<StoredBallot>, StoreError> {
        let rows = sqlx::query(concat!(
            ballot_select!(),
            " WHERE b.vote_id = $1 ORDER BY b.cast_at, b.voter_id"
        ))
        .bind(vote_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(ballot_at).collect::<Result<_, _>>()?)
    }

    /// The binding voters frozen when the vote opened, by name.
    pub async fn electorate(&self, vote_id: i64) -> Result<Vec<Person>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.display_name FROM vote_electorate e
               JOIN accounts p ON p.id = e.user_id
              WHERE e.vote_id = $1 ORDER BY p.lower_name",
        )
        .bind(vote_id)
        .fetch_all(self.pool())
        .await?;
        persons(&rows)
    }

    pub async fn in_electorate(&self, vote_id: i64, user_id: i64) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM vote_electorate WHERE vote_id = $1 AND user_id = $2")
                .bind(vote_id)
                .bind(user_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(found.is_some())
    }

    /// Records the voter's ballot, replacing an earlier one, unless the vote is closed or
    /// its deadline has passed by `now` ([`BallotCast::VoteClosed`]). Binding exactly when
    /// the voter is in the vote's electorate. `NotFound` when there is no such vote.
    pub async fn cast_ballot(
        &self,
        vote_id: i64,
        voter_id: i64,
        value: BallotValue,
        comment: &str,
        now: i64,
    ) -> Result<BallotCast, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT state, deadline_at, min_close_at FROM votes WHERE id = $1{}",
            self.row_lock(None)
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(vote_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let state: String = row.try_get(0)?;
        let deadline: i64 = row.try_get(1)?;
        let min_close: i64 = row.try_get(2)?;
        if state != VoteState::Open.as_str() || now >= deadline.max(min_close) {
            return Ok(BallotCast::VoteClosed);
        }
        let existed: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM ballots WHERE vote_id = $1 AND voter_id = $2")
                .bind(vote_id)
                .bind(voter_id)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO ballots (vote_id, voter_id, value, is_binding, comment, cast_at,
                 updated_at)
             VALUES ($1, $2, $3,
                     CASE WHEN EXISTS (SELECT 1 FROM vote_electorate e
                                        WHERE e.vote_id = $1 AND e.user_id = $2)
                          THEN 1 ELSE 0 END,
                     $4, $5, $5)
             ON CONFLICT (vote_id, voter_id) DO UPDATE
                SET value = excluded.value, comment = excluded.comment,
                    is_binding = excluded.is_binding, updated_at = excluded.updated_at",
        )
        .bind(vote_id)
        .bind(voter_id)
        .bind(i64::from(value.as_i8()))
        .bind(comment)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(concat!(
            ballot_select!(),
            " WHERE b.vote_id = $1 AND b.voter_id = $2"
        ))
        .bind(vote_id)
        .bind(voter_id)
        .fetch_one(&mut *tx)
        .await?;
        let ballot = ballot_at(&row)?;
        tx.commit().await?;
        Ok(BallotCast::Recorded {
            ballot,
            changed: existed.is_some(),
        })
    }

    /// Closes an open vote if `decide` says how, on the vote and its ballots as they stand
    /// under the vote's lock; applies the closing's effect and writes the audit entries in
    /// the same transaction. `Ok(None)` when the vote is not open (another closer won, it
    /// was cancelled) or `decide` returns `None` (not decided yet). Safe to run on several
    /// servers at once: the close is claimed with `UPDATE ... WHERE state = 'open'`.
    pub async fn close_vote<F>(
        &self,
        vote_id: i64,
        now: i64,
        decide: F,
    ) -> Result<Option<ClosedVote>, StoreError>
    where
        F: FnOnce(&Vote, &[StoredBallot]) -> Option<Closing>,
    {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT id FROM votes WHERE id = $1 AND state = 'open'{}",
            self.row_lock(None)
        );
        let locked: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(vote_id)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            return Ok(None);
        }
        let row = sqlx::query(concat!(vote_select!(), " WHERE v.id = $1"))
            .bind(vote_id)
            .fetch_one(&mut *tx)
            .await?;
        let vote = vote_at(&row)?;
        let rows = sqlx::query(concat!(
            ballot_select!(),
            " WHERE b.vote_id = $1 ORDER BY b.cast_at, b.voter_id"
        ))
        .bind(vote_id)
        .fetch_all(&mut *tx)
        .await?;
        let ballots = rows.iter().map(ballot_at).collect::<Result<Vec<_>, _>>()?;
        let Some(closing) = decide(&vote, &ballots) else {
            return Ok(None);
        };
        if closing.state == VoteState::Open {
            return Ok(None);
        }
        let tally = to_json(&closing.tally)?;
        let claimed = sqlx::query(
            "UPDATE votes SET state = $2, closed_at = $3, tally = $4
              WHERE id = $1 AND state = 'open'",
        )
        .bind(vote_id)
        .bind(closing.state.as_str())
        .bind(now)
        .bind(tally)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            return Ok(None);
        }
        let mut a = NewAudit::new(vote.program_id, None, "vote.closed");
        a.vote_id = Some(vote.id);
        a.proposal_id = vote.proposal_id;
        a.project_id = vote.project_id;
        a.detail = detail([
            ("state", closing.state.as_str().into()),
            (
                "tally",
                serde_json::to_value(closing.tally.clone()).unwrap_or_default(),
            ),
        ]);
        insert_audit(&mut tx, &a, now).await?;
        let mut project = None;
        let mut stage_changed = false;
        let mut release_published = false;
        let mut roster_added = false;
        let mut decision_recorded = false;
        let mut graduation_id = None;
        match closing.effect {
            VoteEffect::Nothing => {}
            VoteEffect::Proposal {
                proposal_id,
                to,
                project: new_project,
            } => {
                let done = sqlx::query(
                    "UPDATE proposals SET state = $2, decided_at = $3, updated_at = $3
                      WHERE id = $1 AND state = 'voting' AND version = $4",
                )
                .bind(proposal_id)
                .bind(to.as_str())
                .bind(now)
                .bind(vote.proposal_version)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Stale);
                }
                let mut a = NewAudit::new(vote.program_id, None, "proposal.state");
                a.proposal_id = Some(proposal_id);
                a.vote_id = Some(vote.id);
                a.detail = detail([("from", "voting".into()), ("to", to.as_str().into())]);
                insert_audit(&mut tx, &a, now).await?;
                if let Some(new_project) = new_project {
                    let id = insert_project(&mut tx, &new_project, true, None, Some(vote.id), now)
                        .await?;
                    project = Some(id);
                }
            }
            VoteEffect::Stage(m) => {
                stage_changed = apply_stage_move(&mut tx, &m, None, Some(vote.id), "", now).await?;
            }
            VoteEffect::PublishRelease { release_id } => {
                let done = sqlx::query(
                    "UPDATE releases SET is_candidate = 0, is_draft = 0, published_at = $2,
                            updated_at = $2
                      WHERE id = $1 AND is_candidate = 1",
                )
                .bind(release_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                release_published = done.rows_affected() > 0;
                let mut a = NewAudit::new(vote.program_id, None, "release.published");
                a.project_id = vote.project_id;
                a.vote_id = Some(vote.id);
                a.detail = detail([
                    ("release_id", release_id.into()),
                    ("published", release_published.into()),
                ]);
                insert_audit(&mut tx, &a, now).await?;
            }
            VoteEffect::AddToRoster { project_id, entry } => {
                if !holds_role(&mut tx, project_id, &entry).await? {
                    insert_roster(&mut tx, project_id, &entry, now).await?;
                    roster_added = true;
                }
                let mut a = NewAudit::new(vote.program_id, None, "roster.added");
                a.project_id = Some(project_id);
                a.vote_id = Some(vote.id);
                a.detail = detail([
                    ("name", entry.name.as_str().into()),
                    ("role", entry.role.as_str().into()),
                    ("user_id", entry.user_id.into()),
                    ("applied", roster_added.into()),
                ]);
                insert_audit(&mut tx, &a, now).await?;
            }
            VoteEffect::RecordDecision { project_id } => {
                let mut a = NewAudit::new(vote.program_id, None, "project.decision");
                a.project_id = Some(project_id);
                a.vote_id = Some(vote.id);
                a.detail = detail([
                    ("custom_kind", vote.custom_kind.clone().into()),
                    ("title", vote.title.as_str().into()),
                ]);
                insert_audit(&mut tx, &a, now).await?;
                decision_recorded = true;
            }
            VoteEffect::Recommend {
                graduation,
                from_stage,
            } => {
                graduation_id = crate::graduations::insert_graduation(
                    &mut tx,
                    vote.program_id,
                    vote.id,
                    &graduation,
                    &from_stage,
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        let vote = self
            .vote_by_id(vote_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let project = match project {
            Some(id) => Some(self.project_by_id(id).await?.ok_or(StoreError::NotFound)?),
            None => None,
        };
        Ok(Some(ClosedVote {
            vote,
            project,
            stage_changed,
            release_published,
            roster_added,
            decision_recorded,
            graduation_id,
        }))
    }

    // ---- Projects ----

    /// A project with its roster and repositories, and an audit entry. `Conflict(Name)`
    /// when the program has a project of that slug or a proposal holding it.
    pub async fn create_project(
        &self,
        new: &NewProject,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Project, StoreError> {
        let mut tx = self.write_tx().await?;
        lock_program(self, &mut tx, new.program_id).await?;
        // A proposal of the program holding the slug keeps it (its own project, when it
        // is accepted, takes it then).
        if slug_holder_on(&mut tx, new.program_id, &new.slug, new.proposal_id)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(crate::ConflictField::Name));
        }
        let id = insert_project(&mut tx, new, false, actor_id, None, now).await?;
        tx.commit().await?;
        self.project_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn project_by_id(&self, id: i64) -> Result<Option<Project>, StoreError> {
        let row = sqlx::query(concat!(project_select!(), " WHERE j.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| project_at(&r)).transpose()?)
    }

    /// Case-insensitive.
    pub async fn project_by_slug(
        &self,
        program_id: i64,
        slug: &str,
    ) -> Result<Option<Project>, StoreError> {
        let row = sqlx::query(concat!(
            project_select!(),
            " WHERE j.program_id = $1 AND j.lower_name = $2"
        ))
        .bind(program_id)
        .bind(slug.to_ascii_lowercase())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| project_at(&r)).transpose()?)
    }

    /// By name.
    pub async fn projects_of_program(&self, program_id: i64) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query(concat!(
            project_select!(),
            " WHERE j.program_id = $1 ORDER BY j.lower_name"
        ))
        .bind(program_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(project_at).collect::<Result<_, _>>()?)
    }

    /// The projects a repository belongs to (of any program).
    /// Projects that have not ended (graduated or retired), in every program.
    pub async fn active_projects(&self) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query(concat!(
            project_select!(),
            " WHERE j.ended_at IS NULL ORDER BY j.id"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(project_at).collect::<Result<_, _>>()?)
    }

    pub async fn projects_of_repo(&self, repo_id: i64) -> Result<Vec<Project>, StoreError> {
        let rows = sqlx::query(concat!(
            project_select!(),
            " JOIN project_repos pr ON pr.project_id = j.id WHERE pr.repo_id = $1
              ORDER BY j.id"
        ))
        .bind(repo_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(project_at).collect::<Result<_, _>>()?)
    }

    /// Current and past roster entries, by role then start.
    pub async fn project_roster(&self, project_id: i64) -> Result<Vec<RosterEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.project_id, r.name, r.role, r.affiliation, r.started_at, r.ended_at,
                    p.id, p.name, p.display_name
               FROM project_roster r LEFT JOIN accounts p ON p.id = r.user_id
              WHERE r.project_id = $1 ORDER BY r.role, r.started_at, r.id",
        )
        .bind(project_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RosterEntry {
                    id: r.try_get(0)?,
                    project_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    role: r.try_get(3)?,
                    affiliation: r.try_get(4)?,
                    started_at: r.try_get(5)?,
                    ended_at: r.try_get(6)?,
                    user: person_at(r, 7)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// The user's current roles on the project's roster.
    pub async fn roster_roles(
        &self,
        project_id: i64,
        user_id: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT role FROM project_roster
              WHERE project_id = $1 AND user_id = $2 AND ended_at IS NULL ORDER BY role",
        )
        .bind(project_id)
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Adds someone to the roster from `now`, with an audit entry. `Conflict` when they
    /// hold the role on the project already (the same account, or the same name for
    /// someone without one).
    pub async fn add_roster_entry(
        &self,
        project_id: i64,
        entry: &NewRosterEntry,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        let program_id = program_of_project(&mut tx, project_id).await?;
        if holds_role(&mut tx, project_id, entry).await? {
            return Err(StoreError::Conflict(crate::ConflictField::Name));
        }
        let id = insert_roster(&mut tx, project_id, entry, now).await?;
        let mut a = NewAudit::new(program_id, actor_id, "roster.added");
        a.project_id = Some(project_id);
        a.detail = detail([
            ("name", entry.name.as_str().into()),
            ("role", entry.role.as_str().into()),
            ("user_id", entry.user_id.into()),
        ]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Ends a roster entry at `now`, with an audit entry. `NotFound` when there is no such
    /// current entry on the project.
    /// Sets a project's reporting group and sponsor, with an audit entry naming the
    /// changes; `None` keeps a value. `NotFound` when there is no such project.
    pub async fn edit_project_record(
        &self,
        project_id: i64,
        reporting_group: Option<i64>,
        sponsor: Option<&str>,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Project, StoreError> {
        let mut tx = self.write_tx().await?;
        let program_id = program_of_project(&mut tx, project_id).await?;
        sqlx::query(
            "UPDATE projects SET reporting_group = COALESCE($2, reporting_group),
                    sponsor = COALESCE($3, sponsor), updated_at = $4
              WHERE id = $1",
        )
        .bind(project_id)
        .bind(reporting_group)
        .bind(sponsor)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut a = NewAudit::new(program_id, actor_id, "project.record");
        a.project_id = Some(project_id);
        a.detail = detail([
            ("reporting_group", reporting_group.into()),
            ("sponsor", sponsor.into()),
        ]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.project_by_id(project_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn end_roster_entry(
        &self,
        project_id: i64,
        entry_id: i64,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let program_id = program_of_project(&mut tx, project_id).await?;
        let done = sqlx::query(
            "UPDATE project_roster SET ended_at = $3
              WHERE id = $1 AND project_id = $2 AND ended_at IS NULL",
        )
        .bind(entry_id)
        .bind(project_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let mut a = NewAudit::new(program_id, actor_id, "roster.ended");
        a.project_id = Some(project_id);
        a.detail = detail([("entry_id", entry_id.into())]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a roster entry made by mistake (ending it keeps it in the history; this does
    /// not), with an audit entry naming who it was. `NotFound` when the project has no
    /// such entry.
    pub async fn remove_roster_entry(
        &self,
        project_id: i64,
        entry_id: i64,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let program_id = program_of_project(&mut tx, project_id).await?;
        let row = sqlx::query(
            "DELETE FROM project_roster WHERE id = $1 AND project_id = $2
             RETURNING name, role, user_id",
        )
        .bind(entry_id)
        .bind(project_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let name: String = row.try_get(0)?;
        let role: String = row.try_get(1)?;
        let user_id: Option<i64> = row.try_get(2)?;
        let mut a = NewAudit::new(program_id, actor_id, "roster.removed");
        a.project_id = Some(project_id);
        a.detail = detail([
            ("entry_id", entry_id.into()),
            ("name", name.into()),
            ("role", role.into()),
            ("user_id", user_id.into()),
        ]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Links a repository to the project, with an audit entry. `Conflict` when it is
    /// linked already.
    pub async fn link_project_repo(
        &self,
        project_id: i64,
        repo_id: i64,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let program_id = program_of_project(&mut tx, project_id).await?;
        let done = sqlx::query(
            "INSERT INTO project_repos (project_id, repo_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
        )
        .bind(project_id)
        .bind(repo_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(crate::ConflictField::Name));
        }
        let mut a = NewAudit::new(program_id, actor_id, "repo.linked");
        a.project_id = Some(project_id);
        a.detail = detail([("repo_id", repo_id.into())]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Unlinks a repository from the project, with an audit entry. `NotFound` when it is
    /// not linked.
    pub async fn unlink_project_repo(
        &self,
        project_id: i64,
        repo_id: i64,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let program_id = program_of_project(&mut tx, project_id).await?;
        let done = sqlx::query("DELETE FROM project_repos WHERE project_id = $1 AND repo_id = $2")
            .bind(project_id)
            .bind(repo_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let mut a = NewAudit::new(program_id, actor_id, "repo.unlinked");
        a.project_id = Some(project_id);
        a.detail = detail([("repo_id", repo_id.into())]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn project_repo_ids(&self, project_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT repo_id FROM project_repos WHERE project_id = $1 ORDER BY repo_id",
        )
        .bind(project_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Every linked repository, private ones included: callers filter with the policy.
    pub async fn project_repos(&self, project_id: i64) -> Result<Vec<Repo>, StoreError> {
        let sql = format!(
            "{SELECT_REPO} JOIN project_repos pr ON pr.repo_id = r.id
              WHERE pr.project_id = $1 ORDER BY a.lower_name, r.lower_name"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(project_id)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(repo_at).collect::<Result<_, _>>()?)
    }

    /// Records a stage change decided elsewhere, with an audit entry carrying the
    /// reference. `Stale` unless the project is in `change.from`.
    pub async fn change_project_stage(&self, c: StageChange<'_>) -> Result<Project, StoreError> {
        let mut tx = self.write_tx().await?;
        if !apply_stage_move(&mut tx, &c.change, c.actor_id, None, c.reference, c.now).await? {
            return Err(StoreError::Stale);
        }
        tx.commit().await?;
        self.project_by_id(c.change.project_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    // ---- Reports ----

    /// The project's report for the period starting at `period_start`, created (as a
    /// draft with `sections`) unless it exists; `true` when created now.
    pub async fn ensure_report(
        &self,
        project_id: i64,
        period_start: i64,
        period_end: i64,
        due_at: i64,
        sections: &BTreeMap<String, String>,
        now: i64,
    ) -> Result<(Report, bool), StoreError> {
        let sections = to_json(sections)?;
        let done = sqlx::query(
            "INSERT INTO reports (project_id, period_start, period_end, due_at, state, sections,
                 metrics, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'draft', $5, '{}', 1, $6, $6)
             ON CONFLICT (project_id, period_start) DO NOTHING",
        )
        .bind(project_id)
        .bind(period_start)
        .bind(period_end)
        .bind(due_at)
        .bind(sections)
        .bind(now)
        .execute(self.pool())
        .await?;
        let row = sqlx::query(concat!(
            report_select!(),
            " WHERE r.project_id = $1 AND r.period_start = $2"
        ))
        .bind(project_id)
        .bind(period_start)
        .fetch_one(self.pool())
        .await?;
        Ok((report_at(&row)?, done.rows_affected() > 0))
    }

    pub async fn report_by_id(&self, id: i64) -> Result<Option<Report>, StoreError> {
        let row = sqlx::query(concat!(report_select!(), " WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| report_at(&r)).transpose()?)
    }

    /// Oldest period first.
    pub async fn reports_of_project(&self, project_id: i64) -> Result<Vec<Report>, StoreError> {
        let rows = sqlx::query(concat!(
            report_select!(),
            " WHERE r.project_id = $1 ORDER BY r.period_start"
        ))
        .bind(project_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(report_at).collect::<Result<_, _>>()?)
    }

    /// Saves a draft's sections (and figures, when given) made from `version`. `Stale` when
    /// it changed meanwhile or is no longer a draft.
    pub async fn update_report(
        &self,
        id: i64,
        version: i64,
        sections: &BTreeMap<String, String>,
        metrics: Option<&serde_json::Value>,
        now: i64,
    ) -> Result<Report, StoreError> {
        let sections = to_json(sections)?;
        let metrics = metrics.map(to_json).transpose()?;
        let done = sqlx::query(
            "UPDATE reports SET sections = $3, metrics = COALESCE($4, metrics),
                    version = version + 1, updated_at = $5
              WHERE id = $1 AND version = $2 AND state = 'draft'",
        )
        .bind(id)
        .bind(version)
        .bind(sections)
        .bind(metrics)
        .bind(now)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return match self.report_by_id(id).await? {
                Some(_) => Err(StoreError::Stale),
                None => Err(StoreError::NotFound),
            };
        }
        self.report_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Draft -> submitted, from `version`, with an audit entry. `Stale` otherwise.
    pub async fn submit_report(
        &self,
        id: i64,
        version: i64,
        user_id: i64,
        now: i64,
    ) -> Result<Report, StoreError> {
        let mut tx = self.write_tx().await?;
        let project_id: i64 = sqlx::query_scalar("SELECT project_id FROM reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let done = sqlx::query(
            "UPDATE reports SET state = 'submitted', submitted_by = $3, submitted_at = $4,
                    version = version + 1, updated_at = $4
              WHERE id = $1 AND version = $2 AND state = 'draft'",
        )
        .bind(id)
        .bind(version)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        let program_id = program_of_project(&mut tx, project_id).await?;
        let mut a = NewAudit::new(program_id, Some(user_id), "report.submitted");
        a.project_id = Some(project_id);
        a.detail = detail([("report_id", id.into())]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.report_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// Records the user's sign-off of a submitted report (replacing their earlier one),
    /// with an audit entry; the report becomes `signed_off`. `Stale` unless it has been
    /// submitted.
    pub async fn sign_off_report(
        &self,
        id: i64,
        user_id: i64,
        comment: &str,
        now: i64,
    ) -> Result<Report, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT project_id, state FROM reports WHERE id = $1{}",
            self.row_lock(None)
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let project_id: i64 = row.try_get(0)?;
        let state: String = row.try_get(1)?;
        if state == ReportState::Draft.as_str() {
            return Err(StoreError::Stale);
        }
        sqlx::query(
            "INSERT INTO report_signoffs (report_id, user_id, comment, signed_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (report_id, user_id) DO UPDATE
                SET comment = excluded.comment, signed_at = excluded.signed_at",
        )
        .bind(id)
        .bind(user_id)
        .bind(comment)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE reports SET state = 'signed_off', version = version + 1, updated_at = $2
              WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let program_id = program_of_project(&mut tx, project_id).await?;
        let mut a = NewAudit::new(program_id, Some(user_id), "report.signed_off");
        a.project_id = Some(project_id);
        a.detail = detail([("report_id", id.into()), ("comment", comment.into())]);
        insert_audit(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.report_by_id(id).await?.ok_or(StoreError::NotFound)
    }

    /// In the order they were made.
    pub async fn report_signoffs(&self, report_id: i64) -> Result<Vec<Signoff>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.report_id, s.comment, s.signed_at, p.id, p.name, p.display_name
               FROM report_signoffs s JOIN accounts p ON p.id = s.user_id
              WHERE s.report_id = $1 ORDER BY s.signed_at, p.lower_name",
        )
        .bind(report_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Signoff {
                    report_id: r.try_get(0)?,
                    comment: r.try_get(1)?,
                    signed_at: r.try_get(2)?,
                    user: person_at(r, 3)?.ok_or_else(|| decode_err("sign-off without a user"))?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Reports of the program's projects due before `now` and not submitted, and, when
    /// `unsigned_too`, submitted but not signed off; oldest due date first.
    pub async fn overdue_reports(
        &self,
        program_id: i64,
        now: i64,
        unsigned_too: bool,
    ) -> Result<Vec<Report>, StoreError> {
        let rows = sqlx::query(concat!(
            report_select!(),
            " JOIN projects j ON j.id = r.project_id
              WHERE j.program_id = $1 AND r.due_at < $2
                AND (r.state = 'draft' OR ($3 = 1 AND r.state = 'submitted'))
              ORDER BY r.due_at, r.id"
        ))
        .bind(program_id)
        .bind(now)
        .bind(i64::from(unsigned_too))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(report_at).collect::<Result<_, _>>()?)
    }

    // ---- Checklist ----

    /// Saves evaluations of the project's checklist items. A person's judgement replaces
    /// whatever was there, with an audit entry each; an evaluator's result does not
    /// replace a person's `exempt` or `not_applicable`, and one audit entry covers all of
    /// them. Returns how many rows were written.
    pub async fn set_checklist_results(
        &self,
        project_id: i64,
        entries: &[NewChecklistEntry],
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<usize, StoreError> {
        let mut tx = self.write_tx().await?;
        let program_id = program_of_project(&mut tx, project_id).await?;
        let mut written = 0;
        let mut automatic = Vec::new();
        for e in entries {
            let evidence = to_json(&e.evidence)?;
            let done = sqlx::query(
                "INSERT INTO checklist_results (project_id, item_code, status, reason, evidence,
                     evaluated_by, evaluator, evaluated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (project_id, item_code) DO UPDATE
                    SET status = excluded.status, reason = excluded.reason,
                        evidence = excluded.evidence, evaluated_by = excluded.evaluated_by,
                        evaluator = excluded.evaluator, evaluated_at = excluded.evaluated_at
                  WHERE excluded.evaluator = ''
                     OR checklist_results.evaluator <> ''
                     OR checklist_results.status NOT IN ('exempt', 'not_applicable')",
            )
            .bind(project_id)
            .bind(e.item_code.as_str())
            .bind(e.status.as_str())
            .bind(e.reason.as_str())
            .bind(evidence)
            .bind(e.evaluated_by)
            .bind(e.evaluator.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                continue;
            }
            written += 1;
            if e.evaluator.is_empty() {
                let mut a = NewAudit::new(program_id, e.evaluated_by.or(actor_id), "checklist.set");
                a.project_id = Some(project_id);
                a.detail = detail([
                    ("item", e.item_code.as_str().into()),
                    ("status", e.status.as_str().into()),
                    ("reason", e.reason.as_str().into()),
                ]);
                insert_audit(&mut tx, &a, now).await?;
            } else {
                automatic.push(serde_json::json!({
                    "item": e.item_code, "status": e.status.as_str(), "evaluator": e.evaluator,
                }));
            }
        }
        if !automatic.is_empty() {
            let mut a = NewAudit::new(program_id, actor_id, "checklist.evaluated");
            a.project_id = Some(project_id);
            a.detail = detail([("items", automatic.into())]);
            insert_audit(&mut tx, &a, now).await?;
        }
        tx.commit().await?;
        Ok(written)
    }

    /// By item code.
    pub async fn checklist_results(
        &self,
        project_id: i64,
    ) -> Result<Vec<ChecklistEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.project_id, c.item_code, c.status, c.reason, c.evidence, c.evaluator,
                    c.evaluated_at, p.id, p.name, p.display_name
               FROM checklist_results c LEFT JOIN accounts p ON p.id = c.evaluated_by
              WHERE c.project_id = $1 ORDER BY c.item_code",
        )
        .bind(project_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get(2)?;
                let evidence: String = r.try_get(4)?;
                Ok(ChecklistEntry {
                    project_id: r.try_get(0)?,
                    item_code: r.try_get(1)?,
                    status: parse_col(&status)?,
                    reason: r.try_get(3)?,
                    evidence: from_json(&evidence)?,
                    evaluator: r.try_get(5)?,
                    evaluated_at: r.try_get(6)?,
                    evaluated_by: person_at(r, 7)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    // ---- Repository transfers and redirects ----

    /// Gives the repository to `new_owner_id` (a user or an organization) and records a
    /// redirect from its old `owner/name`; a redirect that pointed at the new path is
    /// dropped, since a repository lives there now. Returns the repository before and
    /// after. `Conflict(Name)` when the new owner has a repository of that name;
    /// `NotFound` when either does not exist. The directory on disk is the caller's to move.
    pub async fn transfer_repo(
        &self,
        repo_id: i64,
        new_owner_id: i64,
        now: i64,
    ) -> Result<(Repo, Repo), StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!("{SELECT_REPO} WHERE r.id = $1{}", self.row_lock(Some("r")));
        let before = sqlx::query(AssertSqlSafe(sql))
            .bind(repo_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = repo_at(&before)?;
        let new_owner: Option<String> =
            sqlx::query_scalar("SELECT lower_name FROM accounts WHERE id = $1")
                .bind(new_owner_id)
                .fetch_optional(&mut *tx)
                .await?;
        let new_owner = new_owner.ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE repositories SET owner_id = $2, updated_at = $3 WHERE id = $1")
            .bind(repo_id)
            .bind(new_owner_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let lower_name = before.name.to_ascii_lowercase();
        if before.owner_id != new_owner_id {
            sqlx::query(
                "INSERT INTO repo_redirects (owner_lower_name, lower_name, repo_id, created_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (owner_lower_name, lower_name) DO UPDATE
                    SET repo_id = excluded.repo_id, created_at = excluded.created_at",
            )
            .bind(before.owner_name.to_ascii_lowercase())
            .bind(&lower_name)
            .bind(repo_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM repo_redirects WHERE owner_lower_name = $1 AND lower_name = $2",
            )
            .bind(new_owner)
            .bind(&lower_name)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let after = self
            .repo_by_id(repo_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok((before, after))
    }

    /// Makes `owner/name` lead to the repository (replacing an earlier redirect there).
    pub async fn add_repo_redirect(
        &self,
        owner: &str,
        name: &str,
        repo_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repo_redirects (owner_lower_name, lower_name, repo_id, created_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (owner_lower_name, lower_name) DO UPDATE
                SET repo_id = excluded.repo_id, created_at = excluded.created_at",
        )
        .bind(owner.to_ascii_lowercase())
        .bind(name.to_ascii_lowercase())
        .bind(repo_id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes the redirect at `owner/name`, if any.
    pub async fn remove_repo_redirect(&self, owner: &str, name: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM repo_redirects WHERE owner_lower_name = $1 AND lower_name = $2")
            .bind(owner.to_ascii_lowercase())
            .bind(name.to_ascii_lowercase())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The repository that used to be at `owner/name` (case-insensitive), if it moved. The
    /// caller checks the viewer may read it before redirecting.
    pub async fn repo_redirect(&self, owner: &str, name: &str) -> Result<Option<Repo>, StoreError> {
        let sql = format!(
            "{SELECT_REPO} JOIN repo_redirects d ON d.repo_id = r.id
              WHERE d.owner_lower_name = $1 AND d.lower_name = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(owner.to_ascii_lowercase())
            .bind(name.to_ascii_lowercase())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| repo_at(&r)).transpose()?)
    }

    // ---- Audit ----

    /// Appends an entry; entries are never changed.
    pub async fn append_audit(&self, entry: &NewAudit, now: i64) -> Result<i64, StoreError> {
        let mut tx = self.write_tx().await?;
        let id = insert_audit(&mut tx, entry, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The program's entries matching `filter`, newest first, at most `limit`.
    pub async fn audit_log(
        &self,
        program_id: i64,
        filter: AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.id, l.program_id, l.project_id, l.proposal_id, l.vote_id, l.action,
                    l.detail, l.reference, l.created_at, p.id, p.name, p.display_name
               FROM audit_log l LEFT JOIN accounts p ON p.id = l.actor_id
              WHERE l.program_id = $1
                AND ($2 = 0 OR l.project_id = $3)
                AND ($4 = 0 OR l.proposal_id = $5)
                AND ($6 = 0 OR l.vote_id = $7)
              ORDER BY l.id DESC LIMIT $8",
        )
        .bind(program_id)
        .bind(i64::from(filter.project_id.is_some()))
        .bind(filter.project_id.unwrap_or(0))
        .bind(i64::from(filter.proposal_id.is_some()))
        .bind(filter.proposal_id.unwrap_or(0))
        .bind(i64::from(filter.vote_id.is_some()))
        .bind(filter.vote_id.unwrap_or(0))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get(6)?;
                Ok(AuditEntry {
                    id: r.try_get(0)?,
                    program_id: r.try_get(1)?,
                    project_id: r.try_get(2)?,
                    proposal_id: r.try_get(3)?,
                    vote_id: r.try_get(4)?,
                    action: r.try_get(5)?,
                    detail: from_json(&detail)?,
                    reference: r.try_get(7)?,
                    created_at: r.try_get(8)?,
                    actor: person_at(r, 9)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

async fn insert_revision(
    tx: &mut Tx,
    proposal_id: i64,
    version: i64,
    editor_id: i64,
    content: &ProposalContent,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO proposal_revisions (proposal_id, version, editor_id, name, sections, people,
             repo_ids, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(proposal_id)
    .bind(version)
    .bind(editor_id)
    .bind(content.name.as_str())
    .bind(to_json(&content.sections)?)
    .bind(to_json(&content.people)?)
    .bind(to_json(&content.repo_ids)?)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_roster(
    tx: &mut Tx,
    project_id: i64,
    e: &NewRosterEntry,
    now: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO project_roster (project_id, user_id, name, role, affiliation, started_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(project_id)
    .bind(e.user_id)
    .bind(e.name.as_str())
    .bind(e.role.as_str())
    .bind(e.affiliation.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// Inserts a project with its roster and repository links, and an audit entry. With
/// `free_slug` (a passed vote's project, which must be created), a slug in use gets `-2`,
/// `-3`, ... appended instead of failing, and the audit entry names the slug asked for.
/// Slugs are held once per program (checked when a proposal is saved, when its vote opens
/// and when a project is created), so only data from before that rule meets this.
async fn insert_project(
    tx: &mut Tx,
    new: &NewProject,
    free_slug: bool,
    actor_id: Option<i64>,
    vote_id: Option<i64>,
    now: i64,
) -> Result<i64, StoreError> {
    let mut slug = new.slug.clone();
    if free_slug {
        let mut n = 1;
        loop {
            let taken: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM projects WHERE program_id = $1 AND lower_name = $2",
            )
            .bind(new.program_id)
            .bind(slug.to_ascii_lowercase())
            .fetch_optional(&mut **tx)
            .await?;
            if taken.is_none() {
                break;
            }
            n += 1;
            slug = format!("{}-{n}", new.slug);
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO projects (program_id, proposal_id, slug, lower_name, name, description,
             sponsor, stage, started_at, stage_since, resolution, created_at, updated_at,
             reporting_group)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, '', $10, $10, $11) RETURNING id",
    )
    .bind(new.program_id)
    .bind(new.proposal_id)
    .bind(slug.as_str())
    .bind(slug.to_ascii_lowercase())
    .bind(new.name.as_str())
    .bind(new.description.as_str())
    .bind(new.sponsor.as_str())
    .bind(new.stage.as_str())
    .bind(new.started_at)
    .bind(now)
    .bind(new.reporting_group)
    .fetch_one(&mut **tx)
    .await?;
    for e in &new.roster {
        insert_roster(tx, id, e, new.started_at).await?;
    }
    for repo in &new.repo_ids {
        sqlx::query(
            "INSERT INTO project_repos (project_id, repo_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(repo)
        .execute(&mut **tx)
        .await?;
    }
    let mut a = NewAudit::new(new.program_id, actor_id, "project.created");
    a.project_id = Some(id);
    a.proposal_id = new.proposal_id;
    a.vote_id = vote_id;
    a.detail = detail([
        ("slug", slug.as_str().into()),
        ("stage", new.stage.as_str().into()),
        ("repo_ids", new.repo_ids.clone().into()),
    ]);
    if slug != new.slug
        && let Some(obj) = a.detail.as_object_mut()
    {
        obj.insert("requested_slug".into(), new.slug.as_str().into());
    }
    insert_audit(tx, &a, now).await?;
    Ok(id)
}

/// Moves the project if it is in `m.from`, with an audit entry either way; `false` (and
/// nothing moved) when it is not.
pub(crate) async fn apply_stage_move(
    tx: &mut Tx,
    m: &StageMove,
    actor_id: Option<i64>,
    vote_id: Option<i64>,
    reference: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let program_id = program_of_project(tx, m.project_id).await?;
    let done = sqlx::query(
        "UPDATE projects
            SET stage = $3, stage_since = $4, updated_at = $4,
                ended_at = CASE WHEN $5 = 1 THEN $4 ELSE ended_at END,
                resolution = CASE WHEN $6 = '' THEN resolution ELSE $6 END
          WHERE id = $1 AND stage = $2",
    )
    .bind(m.project_id)
    .bind(m.from.as_str())
    .bind(m.to.as_str())
    .bind(now)
    .bind(i64::from(m.ends))
    .bind(m.resolution.as_str())
    .execute(&mut **tx)
    .await?;
    let moved = done.rows_affected() > 0;
    // The end of incubation ends every role on the roster with that date; the entries stay
    // as the project's history.
    let roster_ended = if moved && m.ends {
        sqlx::query(
            "UPDATE project_roster SET ended_at = $2 WHERE project_id = $1 AND ended_at IS NULL",
        )
        .bind(m.project_id)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected()
    } else {
        0
    };
    if moved && m.read_only {
        sqlx::query(
            "UPDATE repositories SET read_only = 1,
                    updated_at = CASE WHEN updated_at > $2 THEN updated_at ELSE $2 END
              WHERE id IN (SELECT repo_id FROM project_repos WHERE project_id = $1)",
        )
        .bind(m.project_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    let mut a = NewAudit::new(program_id, actor_id, "project.stage");
    a.project_id = Some(m.project_id);
    a.vote_id = vote_id;
    a.reference = reference.to_owned();
    a.detail = detail([
        ("from", m.from.as_str().into()),
        ("to", m.to.as_str().into()),
        ("applied", moved.into()),
        ("read_only", (moved && m.read_only).into()),
        ("resolution", m.resolution.as_str().into()),
        ("roster_ended", roster_ended.into()),
    ]);
    insert_audit(tx, &a, now).await?;
    Ok(moved)
}
