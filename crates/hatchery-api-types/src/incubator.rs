//! The incubator's JSON objects: programs, proposals, projects with their roster and
//! checklist, votes with their tally and ballots, reports, recommendations to graduate; and
//! the payloads of the incubator's webhook events (`incubator_proposal`, `incubator_vote`,
//! `incubator_stage`, `incubator_graduation`), which carry the same objects.
//!
//! Gitea has no incubator, so these are Hatchery's own objects, written in Gitea's style:
//! snake_case field names, times in RFC 3339 UTC, people as Gitea `User` objects, `url`
//! for the object in the API and `html_url` for its page. Repositories appear only where
//! the reader may read them: the constructors take lists already filtered.

use std::collections::BTreeMap;

use hatchery_core::incubator::{ChecklistItem, Evaluation, Month, Terminal};
use hatchery_store::{
    ChecklistEntry, Graduation, NamedPerson, Person, Program, Project, Proposal, ProposalComment,
    Repo, Report, RosterEntry, Signoff, StoredBallot, TallyRecord, Vote,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{ApiUser, Urls, time};

/// The web path of a program: `{org}/-/incubator/{program}`.
pub fn program_path(org: &str, program: &str) -> String {
    format!("{org}/-/incubator/{program}")
}

/// The API path of a program: `orgs/{org}/incubator/programs/{program}`.
pub fn program_api_path(org: &str, program: &str) -> String {
    format!("orgs/{org}/incubator/programs/{program}")
}

fn terminal_name(t: Terminal) -> &'static str {
    match t {
        Terminal::Graduated => "graduated",
        Terminal::Retired => "retired",
        Terminal::Archived => "archived",
        Terminal::Emeritus => "emeritus",
    }
}

/// A stage of a program.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorStage {
    pub key: String,
    pub name: String,
    /// `graduated`, `retired`, `archived` or `emeritus` for the stages a project never
    /// leaves; `null` for the others.
    pub terminal: Option<String>,
}

/// An incubation program of an organization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorProgram {
    pub id: i64,
    /// The organization's name.
    pub organization: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The preset it started from: `apache`, `cncf`, `lf_ai_data` or `blank`.
    pub preset: String,
    /// The name of the organization's team that votes (`null` until chosen).
    pub committee: Option<String>,
    /// In order: the stages projects move through, then the terminal ones.
    pub stages: Vec<IncubatorStage>,
    /// A proposal is discussed at least this many days before a vote.
    pub discussion_min_days: u32,
    /// The whole template (stages, vote rules, report cadence, proposal form, checklist,
    /// license policy) as stored. Only when one program is read; absent in lists and
    /// webhook payloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
    /// The report sections and whether a mentor must sign each report off. Only when one
    /// program is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_template: Option<Value>,
    pub url: String,
    pub html_url: String,
    pub created_at: String,
    pub updated_at: String,
}

impl IncubatorProgram {
    /// The program without its template; `committee` is its team's name.
    pub fn of(urls: &Urls, p: &Program, committee: Option<String>) -> IncubatorProgram {
        IncubatorProgram {
            id: p.id,
            organization: p.org_name.clone(),
            slug: p.slug.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            preset: p.preset.clone(),
            committee,
            stages: p
                .template
                .stages
                .iter()
                .map(|s| IncubatorStage {
                    key: s.key.clone(),
                    name: s.name.en().to_owned(),
                    terminal: s.terminal.map(|t| terminal_name(t).to_owned()),
                })
                .collect(),
            discussion_min_days: p.template.discussion_min_days,
            template: None,
            report_template: None,
            url: urls.api(&program_api_path(&p.org_name, &p.slug)),
            html_url: urls.html(&program_path(&p.org_name, &p.slug)),
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }

    /// With the template and the report template.
    pub fn with_template(mut self, p: &Program) -> IncubatorProgram {
        self.template = serde_json::to_value(&p.template).ok();
        self.report_template = serde_json::to_value(&p.report_template).ok();
        self
    }
}

/// A repository of a proposal or project, as far as the reader may see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorRepo {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub full_name: String,
    pub description: String,
    pub private: bool,
    /// Read-only (the repositories of a retired project).
    pub archived: bool,
    pub url: String,
    pub html_url: String,
    pub clone_url: String,
}

impl IncubatorRepo {
    pub fn of(urls: &Urls, r: &Repo) -> IncubatorRepo {
        let full = format!("{}/{}", r.owner_name, r.name);
        IncubatorRepo {
            id: r.id,
            owner: r.owner_name.clone(),
            name: r.name.clone(),
            full_name: full.clone(),
            description: r.description.clone(),
            private: r.is_private,
            archived: r.read_only,
            url: urls.api(&format!("repos/{full}")),
            html_url: urls.html(&full),
            clone_url: urls.html(&format!("{full}.git")),
        }
    }
}

/// Someone named by a proposal: an account of this forge (`username`) or only a name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorPerson {
    pub name: String,
    /// The account's name; `null` for someone without an account here.
    pub username: Option<String>,
    pub affiliation: String,
}

impl IncubatorPerson {
    pub fn of(p: &NamedPerson) -> IncubatorPerson {
        IncubatorPerson {
            name: p.name.clone(),
            username: (p.user_id.is_some() && !p.username.is_empty()).then(|| p.username.clone()),
            affiliation: p.affiliation.clone(),
        }
    }
}

/// One role of one person on a project's roster, with its dates.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorRosterEntry {
    pub id: i64,
    /// `champion`, `mentor`, `committer`, or a role the program adds.
    pub role: String,
    pub name: String,
    /// The account's name; `null` for someone without an account here.
    pub username: Option<String>,
    pub affiliation: String,
    pub started_at: String,
    /// `null` while the person holds the role.
    pub ended_at: Option<String>,
    /// What the program's rules warn about an entry just added (left out otherwise):
    /// `mentor_not_on_committee` when the program allows such mentors with a warning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl IncubatorRosterEntry {
    pub fn of(r: &RosterEntry) -> IncubatorRosterEntry {
        IncubatorRosterEntry {
            id: r.id,
            role: r.role.clone(),
            name: r.name.clone(),
            username: r.user.as_ref().map(|u| u.name.clone()),
            affiliation: r.affiliation.clone(),
            started_at: time(r.started_at),
            ended_at: r.ended_at.map(time),
            warnings: Vec::new(),
        }
    }
}

/// A proposal to join a program.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorProposal {
    pub id: i64,
    /// Numbered from 1 in each program.
    pub number: i64,
    /// The project's short id once accepted.
    pub slug: String,
    pub name: String,
    /// `draft`, `discussion`, `voting`, `accepted`, `rejected`, `needs_info`, `withdrawn`
    /// or `closed`.
    pub state: String,
    /// Grows with every edit; a vote is on one version.
    pub version: i64,
    /// `null` when the account is gone.
    pub author: Option<ApiUser>,
    /// The program's proposal form: section key -> Markdown.
    pub sections: BTreeMap<String, String>,
    pub champion: Option<IncubatorPerson>,
    pub mentors: Vec<IncubatorPerson>,
    pub committers: Vec<IncubatorPerson>,
    /// The repositories it brings that the reader may read.
    pub repositories: Vec<IncubatorRepo>,
    /// When the current discussion started.
    pub discussion_started_at: Option<String>,
    /// When it was accepted, rejected, withdrawn or closed.
    pub decided_at: Option<String>,
    /// Why it was withdrawn or closed; empty otherwise.
    #[serde(default)]
    pub close_reason: String,
    /// Who withdrew or closed it; `null` otherwise (or when the account is gone).
    #[serde(default)]
    pub closed_by: Option<ApiUser>,
    pub created_at: String,
    pub updated_at: String,
    pub url: String,
    pub html_url: String,
}

impl IncubatorProposal {
    /// `repos`: the proposal's repositories the reader may read.
    pub fn of(urls: &Urls, program: &Program, p: &Proposal, repos: &[Repo]) -> IncubatorProposal {
        let path = format!("proposals/{}", p.number);
        IncubatorProposal {
            id: p.id,
            number: p.number,
            slug: p.slug.clone(),
            name: p.name.clone(),
            state: p.state.as_str().to_owned(),
            version: p.version,
            author: p.author.as_ref().map(|a| ApiUser::person(urls, a)),
            sections: p.sections.clone(),
            champion: p.people.champion.as_ref().map(IncubatorPerson::of),
            mentors: p.people.mentors.iter().map(IncubatorPerson::of).collect(),
            committers: p
                .people
                .committers
                .iter()
                .map(IncubatorPerson::of)
                .collect(),
            repositories: repos.iter().map(|r| IncubatorRepo::of(urls, r)).collect(),
            discussion_started_at: p.discussion_started_at.map(time),
            decided_at: p.decided_at.map(time),
            close_reason: p.close_reason.clone(),
            closed_by: p.closed_by.as_ref().map(|u| ApiUser::person(urls, u)),
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
            url: urls.api(&format!(
                "{}/{path}",
                program_api_path(&program.org_name, &program.slug)
            )),
            html_url: urls.html(&format!(
                "{}/{path}",
                program_path(&program.org_name, &program.slug)
            )),
        }
    }
}

/// A comment in a proposal's discussion.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorProposalComment {
    pub id: i64,
    /// `null` when the account is gone.
    pub user: Option<ApiUser>,
    /// Markdown.
    pub body: String,
    pub created_at: String,
}

impl IncubatorProposalComment {
    pub fn of(urls: &Urls, c: &ProposalComment) -> IncubatorProposalComment {
        IncubatorProposalComment {
            id: c.id,
            user: c.author.as_ref().map(|a| ApiUser::person(urls, a)),
            body: c.body.clone(),
            created_at: time(c.created_at),
        }
    }
}

/// One item of the program's maturity checklist with the project's latest result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorChecklistResult {
    /// As the program numbers its items (Apache: `CD10`).
    pub code: String,
    pub text: String,
    /// `automatic` (the forge judges it) or `manual` (a person does).
    pub evaluation: String,
    /// The automatic check (`{"kind": "license_file"}`, ...); `null` for manual items.
    pub evaluator: Option<Value>,
    /// `pass`, `fail`, `not_applicable` or `exempt`; `null` until evaluated.
    pub status: Option<String>,
    /// Why it failed or is excused.
    pub reason: String,
    /// What the result rests on (files, commits, figures), as far as the reader may see
    /// it: entries about repositories the reader cannot read are left out, and so are
    /// figures computed over them. `null` when nothing is left or it was not evaluated.
    pub evidence: Option<Value>,
    /// The person who judged it; `null` for an automatic result.
    pub evaluated_by: Option<ApiUser>,
    pub evaluated_at: Option<String>,
}

impl IncubatorChecklistResult {
    /// `evidence`: the result's evidence as the reader may see it.
    pub fn of(
        urls: &Urls,
        item: &ChecklistItem,
        result: Option<&ChecklistEntry>,
        evidence: Option<Value>,
    ) -> IncubatorChecklistResult {
        let (evaluation, evaluator) = match item.evaluation {
            Evaluation::Automatic(e) => ("automatic", serde_json::to_value(e).ok()),
            Evaluation::Manual => ("manual", None),
        };
        IncubatorChecklistResult {
            code: item.code.clone(),
            text: item.text.en().to_owned(),
            evaluation: evaluation.to_owned(),
            evaluator,
            status: result.map(|r| r.status.as_str().to_owned()),
            reason: result.map(|r| r.reason.clone()).unwrap_or_default(),
            evidence: result.and(evidence),
            evaluated_by: result
                .and_then(|r| r.evaluated_by.as_ref())
                .map(|p| ApiUser::person(urls, p)),
            evaluated_at: result.map(|r| time(r.evaluated_at)),
        }
    }
}

/// A project (podling) of a program.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorProject {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The short name of its sponsor ("Incubator", a committee): its own, else the
    /// program's.
    pub sponsor: String,
    /// The group of the program's board calendar it reports in (counted from 1); `null`
    /// when the program has no calendar.
    pub reporting_group: Option<i64>,
    /// The key of its current stage.
    pub stage: String,
    pub stage_name: String,
    /// When it entered its current stage.
    pub stage_since: String,
    /// `graduated`, `retired`, `archived` or `emeritus` once its incubation has ended;
    /// `null` while it goes on.
    pub terminal: Option<String>,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// How it ended (a resolution or a link to it).
    pub resolution: String,
    /// The number of the proposal it came from.
    pub proposal: Option<i64>,
    /// Everyone who holds or held a role, with affiliations and dates. Only when one
    /// project is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<Vec<IncubatorRosterEntry>>,
    /// Its repositories the reader may read. Only when one project is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repositories: Option<Vec<IncubatorRepo>>,
    /// The program's checklist with the project's results. Only when one project is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checklist: Option<Vec<IncubatorChecklistResult>>,
    pub created_at: String,
    pub updated_at: String,
    pub url: String,
    pub html_url: String,
}

impl IncubatorProject {
    /// The project without its roster, repositories and checklist; `proposal` is the
    /// number of the proposal it came from.
    pub fn of(
        urls: &Urls,
        program: &Program,
        p: &Project,
        proposal: Option<i64>,
    ) -> IncubatorProject {
        let stage = program.template.stage(&p.stage);
        let path = format!("projects/{}", p.slug);
        IncubatorProject {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            sponsor: program.sponsor_of(p).to_owned(),
            reporting_group: program
                .reporting_group_of(p)
                .and_then(|g| i64::try_from(g).ok()),
            stage: p.stage.clone(),
            stage_name: stage.map_or_else(|| p.stage.clone(), |s| s.name.en().to_owned()),
            stage_since: time(p.stage_since),
            terminal: stage
                .and_then(|s| s.terminal)
                .map(|t| terminal_name(t).to_owned()),
            started_at: time(p.started_at),
            ended_at: p.ended_at.map(time),
            resolution: p.resolution.clone(),
            proposal,
            roster: None,
            repositories: None,
            checklist: None,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
            url: urls.api(&format!(
                "{}/{path}",
                program_api_path(&program.org_name, &program.slug)
            )),
            html_url: urls.html(&format!(
                "{}/{path}",
                program_path(&program.org_name, &program.slug)
            )),
        }
    }
}

/// A vote's count: live while the vote is open (what the ballots decide now), frozen
/// when it closed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorTally {
    /// Binding voters: the committee as it stood when the vote opened.
    pub electorate: u32,
    pub binding_plus: u32,
    pub binding_zero: u32,
    pub binding_minus: u32,
    pub nonbinding_plus: u32,
    pub nonbinding_zero: u32,
    pub nonbinding_minus: u32,
    /// `pending`, `passed` or `failed` (`cancelled` for a cancelled vote).
    pub outcome: String,
    /// Why, in a word: `threshold_met`, `quorum_not_met`, `vetoed`, ...
    pub reason: String,
    /// True once the vote is closed: the count never changes again.
    pub frozen: bool,
}

impl IncubatorTally {
    pub fn of(t: &TallyRecord, frozen: bool) -> IncubatorTally {
        IncubatorTally {
            electorate: t.electorate,
            binding_plus: t.binding_plus,
            binding_zero: t.binding_zero,
            binding_minus: t.binding_minus,
            nonbinding_plus: t.nonbinding_plus,
            nonbinding_zero: t.nonbinding_zero,
            nonbinding_minus: t.nonbinding_minus,
            outcome: t.outcome.clone(),
            reason: t.reason.clone(),
            frozen,
        }
    }
}

/// One voter's ballot (their latest: a changed ballot replaces the earlier one).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorBallot {
    pub voter: ApiUser,
    /// `+1`, `0` or `-1`.
    pub value: String,
    /// Counts toward the result: the voter was in the electorate when the vote opened.
    pub binding: bool,
    pub comment: String,
    /// When the voter first voted.
    pub cast_at: String,
    /// When the voter last changed the ballot.
    pub updated_at: String,
}

impl IncubatorBallot {
    pub fn of(urls: &Urls, b: &StoredBallot) -> IncubatorBallot {
        IncubatorBallot {
            voter: ApiUser::person(urls, &b.voter),
            value: b.value.as_str().to_owned(),
            binding: b.binding,
            comment: b.comment.clone(),
            cast_at: time(b.cast_at),
            updated_at: time(b.updated_at),
        }
    }
}

/// A vote of a program's committee.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorVote {
    pub id: i64,
    /// `accept_proposal`, `advance_stage`, `graduate`, `retire`, `release`, `committer`,
    /// `ppmc_member` or `custom`.
    pub kind: String,
    /// The key of a `custom` vote's kind in the program's template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_kind: Option<String>,
    /// The person a `committer` or `ppmc_member` election is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nominee: Option<IncubatorPerson>,
    /// Who votes: `committee`, `project_pmc` or `project_committers`.
    pub voters: String,
    /// A document the vote is on (CNCF: a graduation's due-diligence document); empty when
    /// none.
    pub document_url: String,
    pub title: String,
    /// `open`, `passed`, `failed` or `cancelled`.
    pub state: String,
    /// The number of the proposal voted on (`accept_proposal`).
    pub proposal: Option<i64>,
    /// The version of the proposal voted on.
    pub proposal_version: Option<i64>,
    /// The slug of the project voted on (the other kinds).
    pub project: Option<String>,
    /// The stage the project moves to if the vote passes.
    pub target_stage: Option<String>,
    /// The id of the release candidate a `release` vote approves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_id: Option<i64>,
    /// The rule it is decided by, as the program's template writes it
    /// (`{"method": "majority", "min_binding_plus": 3, ...}`), kept from when it opened.
    pub rule: Value,
    pub min_duration_hours: u32,
    pub deadline_hours: u32,
    pub opened_by: Option<ApiUser>,
    pub opened_at: String,
    /// It cannot be decided before this.
    pub min_close_at: String,
    /// It is decided on the ballots cast by then at the latest.
    pub closes_at: String,
    pub closed_at: Option<String>,
    /// `before_minimum`, `open` or `deadline_passed` while open; `null` once closed.
    pub phase: Option<String>,
    pub tally: IncubatorTally,
    /// The binding voters. Only when one vote is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electorate: Option<Vec<ApiUser>>,
    /// Every voter's ballot, binding or not. Only when one vote is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballots: Option<Vec<IncubatorBallot>>,
    pub url: String,
    pub html_url: String,
}

impl IncubatorVote {
    /// `proposal` and `project` are the number and slug of what the vote is on; `phase`
    /// is `None` once closed; `closes_at` is when it closes at the latest.
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        urls: &Urls,
        program: &Program,
        v: &Vote,
        proposal: Option<i64>,
        project: Option<String>,
        tally: &TallyRecord,
        phase: Option<&str>,
        closes_at: i64,
    ) -> IncubatorVote {
        let path = format!("votes/{}", v.id);
        IncubatorVote {
            id: v.id,
            kind: v.kind.as_str().to_owned(),
            custom_kind: v.custom_kind.clone(),
            nominee: v.nominee.as_ref().map(IncubatorPerson::of),
            voters: v.config.voters.as_str().to_owned(),
            document_url: v.document_url.clone(),
            title: v.title.clone(),
            state: v.state.as_str().to_owned(),
            proposal,
            proposal_version: v.proposal_version,
            project,
            target_stage: v.target_stage.clone(),
            release_id: v.release_id,
            rule: serde_json::to_value(v.config.rule).unwrap_or(Value::Null),
            min_duration_hours: v.config.min_duration_hours,
            deadline_hours: v.config.deadline_hours,
            opened_by: v.opened_by.as_ref().map(|p| ApiUser::person(urls, p)),
            opened_at: time(v.opened_at),
            min_close_at: time(v.min_close_at),
            closes_at: time(closes_at),
            closed_at: v.closed_at.map(time),
            phase: phase.map(str::to_owned),
            tally: IncubatorTally::of(tally, v.state.is_closed()),
            electorate: None,
            ballots: None,
            url: urls.api(&format!(
                "{}/{path}",
                program_api_path(&program.org_name, &program.slug)
            )),
            html_url: urls.html(&format!(
                "{}/{path}",
                program_path(&program.org_name, &program.slug)
            )),
        }
    }

    /// With the electorate and the ballots.
    pub fn with_ballots(
        mut self,
        urls: &Urls,
        electorate: &[Person],
        ballots: &[StoredBallot],
    ) -> IncubatorVote {
        self.electorate = Some(
            electorate
                .iter()
                .map(|p| ApiUser::person(urls, p))
                .collect(),
        );
        self.ballots = Some(
            ballots
                .iter()
                .map(|b| IncubatorBallot::of(urls, b))
                .collect(),
        );
        self
    }
}

/// A mentor's (or the committee's) sign-off of a report.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorSignoff {
    pub user: ApiUser,
    pub comment: String,
    pub signed_at: String,
}

/// A project's report for one period of the program's cadence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorReport {
    pub id: i64,
    /// The project's slug.
    pub project: String,
    /// The period covered: from `period_start` (included) to `period_end` (excluded).
    pub period_start: String,
    pub period_end: String,
    pub due_at: String,
    /// The board's month it goes to (`YYYY-MM`, the month of `due_at`).
    pub month: String,
    /// `draft`, `submitted` or `signed_off`.
    pub state: String,
    /// Past its due date and not submitted, or (where the program requires a sign-off)
    /// submitted without one.
    pub overdue: bool,
    /// Grows with every save.
    pub version: i64,
    /// The program's report sections: key -> Markdown.
    pub sections: BTreeMap<String, String>,
    /// The period's figures from the forge (commits, contributors, issues, tags, per
    /// repository too), over the repositories the reader may read all of; `null` until
    /// the report is prefilled.
    pub figures: Option<Value>,
    pub submitted_by: Option<ApiUser>,
    pub submitted_at: Option<String>,
    pub signoffs: Vec<IncubatorSignoff>,
    pub created_at: String,
    pub updated_at: String,
    pub url: String,
    pub html_url: String,
}

impl IncubatorReport {
    /// `figures`: the report's figures as the reader may see them.
    pub fn of(
        urls: &Urls,
        program: &Program,
        project: &Project,
        r: &Report,
        overdue: bool,
        figures: Option<Value>,
        signoffs: &[Signoff],
    ) -> IncubatorReport {
        let path = format!("projects/{}/reports/{}", project.slug, r.id);
        IncubatorReport {
            id: r.id,
            project: project.slug.clone(),
            period_start: time(r.period_start),
            period_end: time(r.period_end),
            due_at: time(r.due_at),
            month: Month::of(r.due_at).to_string(),
            state: r.state.as_str().to_owned(),
            overdue,
            version: r.version,
            sections: r.sections.clone(),
            figures,
            submitted_by: r.submitted_by.as_ref().map(|p| ApiUser::person(urls, p)),
            submitted_at: r.submitted_at.map(time),
            signoffs: signoffs
                .iter()
                .map(|s| IncubatorSignoff {
                    user: ApiUser::person(urls, &s.user),
                    comment: s.comment.clone(),
                    signed_at: time(s.signed_at),
                })
                .collect(),
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
            url: urls.api(&format!(
                "{}/{path}",
                program_api_path(&program.org_name, &program.slug)
            )),
            html_url: urls.html(&format!(
                "{}/{path}",
                program_path(&program.org_name, &program.slug)
            )),
        }
    }
}

// ---- webhook payloads ----

/// `{"from": ...}`: what a field was before the change.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncubatorChangeFrom {
    pub from: String,
}

/// What an `incubator_proposal` event changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IncubatorProposalChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<IncubatorChangeFrom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<IncubatorChangeFrom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<IncubatorChangeFrom>,
}

/// `incubator_proposal`: a proposal was `created`, `edited` (a new version; an edit
/// during a vote cancels the vote and returns the proposal to discussion), or
/// `state_changed` (published for discussion, sent back for more information, put to a
/// vote, accepted, rejected).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncubatorProposalPayload {
    pub action: String,
    pub proposal: IncubatorProposal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<IncubatorProposalChanges>,
    /// The project an accepted proposal became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<IncubatorProject>,
    pub program: IncubatorProgram,
    pub organization: ApiUser,
    /// Who did it; the organization for what the closing job did.
    pub sender: ApiUser,
}

/// `incubator_vote`: a vote was `opened`, or `closed` (`vote.state` is `passed`,
/// `failed` or `cancelled`; `vote.tally` is the frozen result).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncubatorVotePayload {
    pub action: String,
    pub vote: IncubatorVote,
    pub program: IncubatorProgram,
    pub organization: ApiUser,
    /// Who did it; the organization for what the closing job did.
    pub sender: ApiUser,
}

/// `incubator_stage`: a project moved from one stage to another (`changed`), by a
/// passed vote (`vote` is its id) or by a decision recorded by hand (`reference` says
/// where it was taken).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncubatorStagePayload {
    pub action: String,
    pub project: IncubatorProject,
    pub from_stage: String,
    pub to_stage: String,
    pub vote: Option<i64>,
    pub reference: String,
    pub program: IncubatorProgram,
    pub organization: ApiUser,
    /// Who did it; the organization for what the closing job did.
    pub sender: ApiUser,
}

/// A project recommended for graduation by a passed graduation vote, waiting for (or
/// decided by) the board.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorGraduation {
    pub id: i64,
    /// The slug of the project.
    pub project: String,
    /// The vote that recommended it.
    pub vote: Option<i64>,
    /// The stage the board's approval moves the project to.
    pub target_stage: String,
    /// `board` or `governing_board`.
    pub board: String,
    /// `recommended`, `submitted` (the resolution was sent to the board), `approved` or
    /// `rejected`.
    pub state: String,
    /// The board resolution (empty where the program drafts none).
    pub resolution: String,
    /// The chair the resolution names.
    pub chair: String,
    /// The resolution's version, to send back with an edit.
    pub version: i64,
    pub submitted_by: Option<ApiUser>,
    pub submitted_at: Option<String>,
    /// The board's meeting, `YYYY-MM-DD`.
    pub decision_date: Option<String>,
    /// Where the decision is recorded (the minutes' address).
    pub reference: String,
    pub decided_by: Option<ApiUser>,
    pub decided_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub url: String,
    pub html_url: String,
}

impl IncubatorGraduation {
    pub fn of(urls: &Urls, program: &Program, project: &Project, g: &Graduation) -> Self {
        let path = format!("projects/{}/graduations/{}", project.slug, g.id);
        IncubatorGraduation {
            id: g.id,
            project: project.slug.clone(),
            vote: g.vote_id,
            target_stage: g.target_stage.clone(),
            board: g.board.as_str().to_owned(),
            state: g.state.as_str().to_owned(),
            resolution: g.resolution.clone(),
            chair: g.chair.clone(),
            version: g.version,
            submitted_by: g.submitted_by.as_ref().map(|p| ApiUser::person(urls, p)),
            submitted_at: g.submitted_at.map(time),
            decision_date: g.decision_date.clone(),
            reference: g.reference.clone(),
            decided_by: g.decided_by.as_ref().map(|p| ApiUser::person(urls, p)),
            decided_at: g.decided_at.map(time),
            created_at: time(g.created_at),
            updated_at: time(g.updated_at),
            url: urls.api(&format!(
                "{}/{path}",
                program_api_path(&program.org_name, &program.slug)
            )),
            html_url: urls.html(&format!(
                "{}/projects/{}/graduation",
                program_path(&program.org_name, &program.slug),
                project.slug
            )),
        }
    }
}

/// `incubator_graduation`: a passed graduation vote `recommended` the project to the
/// board; its resolution was sent (`resolution_submitted`); the board's decision was
/// recorded (`approved`, after which an `incubator_stage` `changed` follows, or
/// `rejected`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncubatorGraduationPayload {
    pub action: String,
    pub graduation: IncubatorGraduation,
    pub project: IncubatorProject,
    pub program: IncubatorProgram,
    pub organization: ApiUser,
    /// Who did it; the organization for what the closing job did.
    pub sender: ApiUser,
}

/// Who reports in one month of a program's board calendar.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorCalendarMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// The program's reporting groups: group `n` (counted from 1) reports in the months
    /// (1 = January) of the `n`th list; empty when reports are counted from each
    /// project's start instead.
    pub groups: Vec<Vec<u8>>,
    /// New projects report in each of this many months after they start.
    pub monthly_first: u32,
    /// The day of the month reports are due; `null` without a calendar.
    pub due_day: Option<u32>,
    /// The projects reporting in the month, by name.
    pub projects: Vec<IncubatorCalendarEntry>,
}

/// A project reporting in a month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IncubatorCalendarEntry {
    /// The project's slug.
    pub project: String,
    pub name: String,
    pub reporting_group: Option<i64>,
    /// One of its first monthly reports.
    pub monthly: bool,
    /// Its report of the month; `null` before it is made (a month ahead).
    pub report: Option<IncubatorReport>,
}
