//! The incubator's pages, under `/{org}/-/incubator` (`-` is a reserved repository name, so
//! these paths never clash with a repository's): the programs of an organization, a
//! program's dashboard, settings and audit log, proposals, votes, projects' status pages,
//! checklists and reports, and the JSON and podlings.xml exports.
//!
//! Every change goes through `hatchery_service::incubator`, which applies the policy and
//! the program's rules; these handlers decide what to show, and show a refusal next to the
//! form that caused it.

pub mod calendar;
pub mod combined;
pub mod elections;
pub mod evidence;
pub mod exports;
pub mod figures;
pub mod graduation;
pub mod programs;
pub mod projects;
pub mod proposals;
pub mod reports;
pub mod template_form;
pub mod votes;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::incubator::program::Part;
use hatchery_core::incubator::{
    BallotValue, ProgramTemplate, ProposalState, Stage, TemplateError, Terminal, VoteKind,
    VoteRule, VoteState,
};
use hatchery_core::{Action, Name, NameKind, Resource, authorize};
use hatchery_service::incubator::{IncubatorError, Subject};
use hatchery_store::{
    ChecklistStatus, NamedPerson, Program, Project, Proposal, Repo, ReportState, SlugHolder, now_ms,
};
use maud::{Markup, html};

use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::form::FormErrors;
use crate::pages::code::datetime;
use crate::pages::org::{self, OrgTab, org_header};
use crate::state::AppState;
use crate::views::tabs;

const DAY_MS: i64 = 86_400_000;

/// `/{org}/-/incubator`: the programs of an organization.
pub fn org_base(org: &str) -> String {
    format!("/{org}/-/incubator")
}

/// `/{org}/-/incubator/{program}`.
pub fn base(program: &Program) -> String {
    format!("{}/{}", org_base(&program.org_name), program.slug)
}

pub fn project_url(program: &Program, project: &Project) -> String {
    format!("{}/projects/{}", base(program), project.slug)
}

pub fn proposal_url(program: &Program, number: i64) -> String {
    format!("{}/proposals/{number}", base(program))
}

pub fn vote_url(program: &Program, id: i64) -> String {
    format!("{}/votes/{id}", base(program))
}

/// A program as the visitor sees it: the organization (for its header), the program, and
/// what the visitor is to it.
pub struct Loaded {
    pub org: org::Loaded,
    pub program: Program,
    /// May change the program's settings and record decisions (organization owners).
    pub owner: bool,
    /// A member of the program's committee.
    pub committee: bool,
    /// The visitor's language (a tag), in which the template's texts are shown.
    pub lang: &'static str,
}

impl Loaded {
    pub fn base(&self) -> String {
        base(&self.program)
    }

    /// The display name of a stage key, in the visitor's language.
    pub fn stage_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.program
            .template
            .stage(key)
            .map_or(key, |s| s.name.get(self.lang))
    }

    pub fn stage(&self, key: &str) -> Option<&Stage> {
        self.program.template.stage(key)
    }
}

/// The program `slug` of organization `org`, or 404.
pub async fn load(state: &AppState, ctx: &Ctx, org: &str, slug: &str) -> WebResult<Loaded> {
    let org = org::load(state, ctx, org).await?;
    let program = state
        .forge
        .program(&org.org.name, slug)
        .await
        .map_err(|e| fail(ctx, e))?;
    let facts = state
        .forge
        .program_facts(ctx.actor(), &program, Subject::default())
        .await?;
    let owner =
        authorize(ctx.actor(), Action::ManageProgram, Resource::Program(facts)).is_allowed();
    Ok(Loaded {
        org,
        program,
        owner,
        committee: facts.committee_member,
        lang: ctx.lang.tag(),
    })
}

/// Whether the visitor may do `action` about the program and, when given, one of its
/// projects or proposals: for showing or hiding buttons (the service checks again).
pub async fn may(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    action: Action,
    project: Option<&Project>,
    proposal: Option<&Proposal>,
) -> WebResult<bool> {
    Ok(state
        .forge
        .may_in_program(
            ctx.actor(),
            action,
            &l.program,
            Subject { project, proposal },
        )
        .await?)
}

/// The answer to a refusal no form can explain.
pub fn fail(ctx: &Ctx, e: IncubatorError) -> WebError {
    match e {
        IncubatorError::Denied(d) => WebError::from_denial(d, &ctx.path),
        IncubatorError::NotFound => WebError::NotFound,
        IncubatorError::Service(s) => s.into(),
        other => WebError::BadRequest(other.message_key()),
    }
}

/// Why a form was refused: a message per refused input, and every message in the order
/// they came, for the list above the form.
#[derive(Default)]
pub struct Problems {
    pub fields: FormErrors,
    pub list: Vec<String>,
}

impl Problems {
    pub fn none() -> Problems {
        Problems::default()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn push(
        &mut self,
        ctx: &Ctx,
        field: &'static str,
        key: &'static str,
        args: Vec<(&'static str, String)>,
    ) {
        let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.list.push(ctx.tf(key, &borrowed));
        self.fields.add_with(field, key, args);
    }

    /// One message for the whole form.
    pub fn add(&mut self, ctx: &Ctx, key: &'static str) {
        self.push(ctx, "form", key, Vec::new());
    }

    pub fn add_field(&mut self, ctx: &Ctx, field: &'static str, key: &'static str) {
        self.push(ctx, field, key, Vec::new());
    }
}

/// The refusal as messages for the form, or the error page when it is not about the input
/// (denied, missing, broken).
pub fn explain(ctx: &Ctx, e: IncubatorError) -> Result<Problems, WebError> {
    let mut p = Problems::default();
    let key_of = e.message_key();
    match e {
        IncubatorError::Denied(_) | IncubatorError::NotFound | IncubatorError::Service(_) => {
            return Err(fail(ctx, e));
        }
        IncubatorError::Field { field, message } => {
            let (key, args) = field_message(field, &message);
            p.push(ctx, field, key, args);
        }
        IncubatorError::Template(errors) => {
            for t in &errors {
                let (key, args) = template_message(ctx, t);
                p.push(ctx, "template", key, args);
            }
        }
        IncubatorError::Transition(t) => {
            let key = t.message_key();
            p.push(ctx, "to_stage", key, Vec::new());
        }
        IncubatorError::DiscussionRunning { until_ms } => {
            p.push(
                ctx,
                "form",
                "error.incubator.discussion_running",
                vec![("until", datetime(until_ms / 1000))],
            );
        }
        IncubatorError::UnreadableRepo(name) => {
            p.push(
                ctx,
                "repos",
                "error.incubator.unreadable_repo",
                vec![("repo", name)],
            );
        }
        IncubatorError::SlugTaken { slug, holder } => {
            let mut args = vec![("slug", slug)];
            match holder {
                SlugHolder::Project { slug } => args.push(("project", slug)),
                SlugHolder::Proposal { number } => args.push(("number", number.to_string())),
            }
            p.push(ctx, "slug", key_of, args);
        }
        IncubatorError::NameTaken(field) => {
            let field = if field == "slug" { "slug" } else { "name" };
            p.push(ctx, field, "error.incubator.name_taken", Vec::new());
        }
        other => {
            let key = other.message_key();
            p.push(ctx, "form", key, Vec::new());
        }
    }
    Ok(p)
}

/// The catalog key and arguments of a refused input, from the service's description of
/// the problem.
fn field_message(field: &str, message: &str) -> (&'static str, Vec<(&'static str, String)>) {
    let at_most = message
        .strip_prefix("at most ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok());
    if message == "required" {
        ("error.field.required", Vec::new())
    } else if let (Some(max), true) = (at_most, message.ends_with("characters")) {
        ("error.field.too_long", vec![("max", max.to_string())])
    } else if let Some(max) = at_most {
        ("error.incubator.too_many", vec![("max", max.to_string())])
    } else if message.contains("single line") {
        ("error.incubator.single_line", Vec::new())
    } else if let Some(rest) = message.strip_prefix("there is no user ") {
        (
            "error.incubator.unknown_user",
            vec![("name", rest.trim_matches('"').to_owned())],
        )
    } else if message.starts_with("the organization has no team") {
        ("error.incubator.unknown_team", Vec::new())
    } else if let Some(rest) = message.strip_prefix("required sections are empty: ") {
        (
            "error.incubator.required_sections",
            vec![("sections", rest.to_owned())],
        )
    } else if let Some(rest) = message.strip_prefix("not a program template: ") {
        (
            "error.incubator.template_parse",
            vec![("detail", rest.to_owned())],
        )
    } else if message.contains("filled from the people table") {
        ("error.incubator.people_section_typed", Vec::new())
    } else if let Some(rest) = message
        .strip_prefix("role ")
        .filter(|r| r.contains(" is not one of "))
    {
        let role = rest.split(" is not one of ").next().unwrap_or("");
        (
            "error.incubator.people_role",
            vec![("role", role.trim_matches('"').to_owned())],
        )
    } else if let Some(rest) = message.strip_prefix("the program's calendar has groups 1 to ") {
        (
            "error.incubator.reporting_group",
            vec![("max", rest.trim().to_owned())],
        )
    } else if message.contains("no board calendar") {
        ("error.incubator.no_calendar", Vec::new())
    } else if message.contains("a short name of at most") {
        ("error.program.invalid_sponsor", Vec::new())
    } else if message.contains("has one champion") {
        ("error.incubator.several_champions", Vec::new())
    } else if message.contains("cannot be removed") {
        ("error.incubator.stage_in_use", Vec::new())
    } else if message.contains("evaluated automatically") {
        ("error.incubator.automatic_item", Vec::new())
    } else if message.contains("need a reason") {
        ("error.incubator.reason_required", Vec::new())
    } else if message.contains("http://") {
        ("error.incubator.invalid_url", Vec::new())
    } else if message.contains("YYYY-MM-DD") {
        ("error.incubator.invalid_date", Vec::new())
    } else if message.contains("elections") || message.contains("vote kind") {
        ("error.incubator.unknown_vote_kind", Vec::new())
    } else if message.contains("no longer incubating") {
        ("error.election.not_incubating", Vec::new())
    } else if field == "slug" {
        ("error.incubator.invalid_slug", Vec::new())
    } else if field == "state" {
        ("error.incubator.wrong_state", Vec::new())
    } else {
        ("error.incubator.invalid", Vec::new())
    }
}

fn part_name(ctx: &Ctx, part: Part) -> String {
    ctx.t(match part {
        Part::Stage => "incubator.part.stage",
        Part::Section => "incubator.part.section",
        Part::ChecklistItem => "incubator.part.checklist_item",
        Part::License => "incubator.part.license",
        Part::CustomVote => "incubator.part.custom_vote",
    })
    .to_owned()
}

/// The catalog key and arguments of one problem with a template.
fn template_message(ctx: &Ctx, e: &TemplateError) -> (&'static str, Vec<(&'static str, String)>) {
    let key = e.message_key();
    let args = match e {
        TemplateError::ActiveAfterTerminal(k)
        | TemplateError::InvalidCode(k)
        | TemplateError::InvalidSpdxId(k)
        | TemplateError::InvalidEvaluator(k)
        | TemplateError::InvalidCustomVote(k) => vec![("key", k.clone())],
        TemplateError::InvalidKey { part, key }
        | TemplateError::Duplicate { part, key }
        | TemplateError::MissingText { part, key } => {
            vec![("part", part_name(ctx, *part)), ("key", key.clone())]
        }
        TemplateError::TextTooLong { part, key, max } => vec![
            ("part", part_name(ctx, *part)),
            ("key", key.clone()),
            ("max", max.to_string()),
        ],
        TemplateError::TooMany { part, max } => {
            vec![("part", part_name(ctx, *part)), ("max", max.to_string())]
        }
        TemplateError::MissingVoteRule(k)
        | TemplateError::InvalidVoteDuration(k)
        | TemplateError::ExcessiveMinimum(k)
        | TemplateError::ProjectVotersOnProposal(k) => {
            vec![("kind", kind_label(ctx, *k).to_owned())]
        }
        TemplateError::TooManyCustomVotes { max } => vec![("max", max.to_string())],
        TemplateError::UnknownCriterionStage { code, stage } => {
            vec![("key", code.clone()), ("stage", stage.clone())]
        }
        TemplateError::UnknownPeopleRole { key, role } => {
            vec![("key", key.clone()), ("role", role.clone())]
        }
        TemplateError::InvalidTerm(k) => vec![("key", k.clone())],
        TemplateError::InvalidCadence(f) => vec![("field", (*f).to_owned())],
        TemplateError::NoActiveStage
        | TemplateError::NoTerminalStage
        | TemplateError::NoProposalSections
        | TemplateError::DiscussionTooLong
        | TemplateError::CustomInVoteRules
        | TemplateError::ResolutionWithoutBoard
        | TemplateError::InvalidSponsor => Vec::new(),
    };
    (key, args)
}

/// The refused form again, with a 422.
pub fn refused(body: Markup) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, body).into_response()
}

/// The list of problems above a refused form.
pub fn problems_box(ctx: &Ctx, p: &Problems) -> Markup {
    html! {
        @if !p.is_empty() {
            div.flash.flash-error role="alert" id="problems" {
                strong { (ctx.t("incubator.refused")) }
                ul {
                    @for m in &p.list { li { (m) } }
                }
            }
        }
    }
}

/// A slug refused by the name rules, in the visitor's language.
pub fn slug_problem(p: &mut Problems, ctx: &Ctx, field: &'static str, value: &str) {
    if let Err(e) = Name::parse(NameKind::Repository, value.trim()) {
        let mut errors = FormErrors::default();
        errors.name(field, &e);
        if let Some(m) = errors.message(ctx, field) {
            p.list.push(m);
        }
        p.fields.name(field, &e);
    }
}

// ---- labels ----

pub fn kind_label(ctx: &Ctx, kind: VoteKind) -> &'static str {
    ctx.t(match kind {
        VoteKind::AcceptProposal => "incubator.kind.accept_proposal",
        VoteKind::AdvanceStage => "incubator.kind.advance_stage",
        VoteKind::Graduate => "incubator.kind.graduate",
        VoteKind::Retire => "incubator.kind.retire",
        VoteKind::Release => "incubator.kind.release",
        VoteKind::Committer => "incubator.kind.committer",
        VoteKind::PpmcMember => "incubator.kind.ppmc_member",
        VoteKind::Custom => "incubator.kind.custom",
    })
}

pub fn vote_state_badge(ctx: &Ctx, state: VoteState) -> Markup {
    let (key, class) = match state {
        VoteState::Open => ("incubator.vote_state.open", "state state-active"),
        VoteState::Passed => ("incubator.vote_state.passed", "state state-passed"),
        VoteState::Failed => ("incubator.vote_state.failed", "state state-failed"),
        VoteState::Cancelled => ("incubator.vote_state.cancelled", "state state-cancelled"),
    };
    html! { span class=(class) data-state=(state.as_str()) { (ctx.t(key)) } }
}

pub fn proposal_state_label(ctx: &Ctx, s: ProposalState) -> &'static str {
    ctx.t(match s {
        ProposalState::Draft => "incubator.proposal_state.draft",
        ProposalState::Discussion => "incubator.proposal_state.discussion",
        ProposalState::Voting => "incubator.proposal_state.voting",
        ProposalState::Accepted => "incubator.proposal_state.accepted",
        ProposalState::Rejected => "incubator.proposal_state.rejected",
        ProposalState::NeedsInfo => "incubator.proposal_state.needs_info",
        ProposalState::Withdrawn => "incubator.proposal_state.withdrawn",
        ProposalState::Closed => "incubator.proposal_state.closed",
    })
}

pub fn proposal_state_badge(ctx: &Ctx, s: ProposalState) -> Markup {
    let class = match s {
        ProposalState::Accepted => "state state-passed",
        ProposalState::Rejected => "state state-failed",
        ProposalState::Draft | ProposalState::Withdrawn | ProposalState::Closed => {
            "state state-cancelled"
        }
        _ => "state state-active",
    };
    html! { span class=(class) data-state=(s.as_str()) { (proposal_state_label(ctx, s)) } }
}

pub fn report_state_badge(ctx: &Ctx, s: ReportState) -> Markup {
    let (key, class) = match s {
        ReportState::Draft => ("incubator.report_state.draft", "state state-cancelled"),
        ReportState::Submitted => ("incubator.report_state.submitted", "state state-active"),
        ReportState::SignedOff => ("incubator.report_state.signed_off", "state state-passed"),
    };
    html! { span class=(class) data-state=(s.as_str()) { (ctx.t(key)) } }
}

pub fn checklist_status_label(ctx: &Ctx, s: ChecklistStatus) -> &'static str {
    ctx.t(match s {
        ChecklistStatus::Pass => "incubator.check.pass",
        ChecklistStatus::Fail => "incubator.check.fail",
        ChecklistStatus::NotApplicable => "incubator.check.not_applicable",
        ChecklistStatus::Exempt => "incubator.check.exempt",
    })
}

pub fn checklist_badge(ctx: &Ctx, s: Option<ChecklistStatus>) -> Markup {
    match s {
        Some(s) => {
            let class = match s {
                ChecklistStatus::Pass => "state state-passed",
                ChecklistStatus::Fail => "state state-failed",
                _ => "state state-cancelled",
            };
            html! { span class=(class) data-status=(s.as_str()) { (checklist_status_label(ctx, s)) } }
        }
        None => {
            html! { span.state.state-cancelled data-status="none" { (ctx.t("incubator.check.not_evaluated")) } }
        }
    }
}

pub fn ballot_label(ctx: &Ctx, v: BallotValue) -> &'static str {
    ctx.t(match v {
        BallotValue::Plus1 => "incubator.ballot.plus",
        BallotValue::Zero => "incubator.ballot.zero",
        BallotValue::Minus1 => "incubator.ballot.minus",
    })
}

/// How a project's stage ended, for a badge.
pub fn stage_badge(l: &Loaded, key: &str) -> Markup {
    let class = match l.stage(key).and_then(|s| s.terminal) {
        None => "stage stage-active",
        Some(Terminal::Graduated) => "stage stage-graduated",
        Some(_) => "stage stage-retired",
    };
    html! { span class=(class) data-stage=(key) { (l.stage_name(key)) } }
}

/// A vote rule in words.
pub fn rule_text(ctx: &Ctx, rule: &VoteRule) -> String {
    match rule {
        VoteRule::LazyConsensus => ctx.t("incubator.rule.lazy").to_owned(),
        VoteRule::Majority {
            basis,
            min_binding_votes,
            min_binding_plus,
            veto,
        }
        | VoteRule::TwoThirds {
            basis,
            min_binding_votes,
            min_binding_plus,
            veto,
        } => {
            let majority = matches!(rule, VoteRule::Majority { .. });
            let electorate = matches!(basis, hatchery_core::incubator::Basis::Electorate);
            let mut parts = vec![
                ctx.t(match (majority, electorate) {
                    (true, false) => "incubator.rule.majority_cast",
                    (true, true) => "incubator.rule.majority_electorate",
                    (false, false) => "incubator.rule.two_thirds_cast",
                    (false, true) => "incubator.rule.two_thirds_electorate",
                })
                .to_owned(),
            ];
            if *min_binding_votes > 0 {
                parts.push(ctx.tf(
                    "incubator.rule.quorum",
                    &[("n", &min_binding_votes.to_string())],
                ));
            }
            if *min_binding_plus > 0 {
                parts.push(ctx.tf(
                    "incubator.rule.min_plus",
                    &[("n", &min_binding_plus.to_string())],
                ));
            }
            if *veto {
                parts.push(ctx.t("incubator.rule.veto").to_owned());
            }
            parts.join(ctx.t("incubator.list_separator"))
        }
    }
}

/// A tally's reason in words.
pub fn reason_label(ctx: &Ctx, reason: &str) -> &'static str {
    ctx.t(match reason {
        "minimum_duration_running" => "incubator.reason.minimum_duration_running",
        "awaiting_ballots" => "incubator.reason.awaiting_ballots",
        "threshold_met" => "incubator.reason.threshold_met",
        "no_objection" => "incubator.reason.no_objection",
        "no_electorate" => "incubator.reason.no_electorate",
        "vetoed" => "incubator.reason.vetoed",
        "quorum_not_met" => "incubator.reason.quorum_not_met",
        "too_few_approvals" => "incubator.reason.too_few_approvals",
        "threshold_not_met" => "incubator.reason.threshold_not_met",
        _ => "incubator.reason.other",
    })
}

/// A role's name as the program calls it (its template's `terms`: a CNCF `committer` is
/// a "Maintainer"), else the forge's word.
pub fn role_label(ctx: &Ctx, template: &ProgramTemplate, role: &str) -> String {
    if let Some(term) = template.term(role, ctx.lang.tag()) {
        return term.to_owned();
    }
    match role {
        "champion" => ctx.t("incubator.role.champion").to_owned(),
        "mentor" => ctx.t("incubator.role.mentor").to_owned(),
        "committer" => ctx.t("incubator.role.committer").to_owned(),
        "ppmc" => ctx.t("incubator.role.ppmc").to_owned(),
        other => other.to_owned(),
    }
}

// ---- small views ----

pub use crate::views::person_link;

/// Someone named in a proposal: the name, their account when they have one here, and
/// their affiliation.
pub fn named_person(ctx: &Ctx, p: &NamedPerson) -> Markup {
    html! {
        span.named-person {
            (p.name)
            @if !p.username.is_empty() { " (" a href=(format!("/{}", p.username)) { "@" (p.username) } ")" }
            @if !p.affiliation.is_empty() { " · " span.muted.affiliation { (p.affiliation) } }
            @if p.username.is_empty() && p.affiliation.is_empty() && p.name.is_empty() { span.muted { (ctx.t("issue.none")) } }
        }
    }
}

pub use crate::pages::code::time_ago_ms;

/// An absolute time for deadlines (which are in the future, where "ago" means nothing).
pub fn at_ms(ms: i64) -> Markup {
    let secs = ms.div_euclid(1000);
    html! { time datetime=(crate::pages::code::iso_datetime(secs)) { (datetime(secs)) } }
}

/// A whole number of days, "1 day" or "12 days".
pub fn days(ctx: &Ctx, ms: i64) -> String {
    let n = ms.max(0) / DAY_MS;
    if n == 1 {
        ctx.t("incubator.day_one").to_owned()
    } else {
        ctx.tf("incubator.days", &[("n", &n.to_string())])
    }
}

/// A duration in hours, with one decimal: "3.5 h".
pub fn hours(ctx: &Ctx, ms: i64) -> String {
    let tenths = ms.max(0) / 360_000;
    ctx.tf(
        "incubator.hours",
        &[("n", &format!("{}.{}", tenths / 10, tenths % 10))],
    )
}

/// A repository link with its visibility.
pub fn repo_item(ctx: &Ctx, r: &Repo) -> Markup {
    html! {
        a href=(format!("/{}/{}", r.owner_name, r.name)) { (r.owner_name) "/" (r.name) }
        " " span.badge { (ctx.t(if r.is_private { "repo.private" } else { "repo.public" })) }
        @if r.read_only { " " span.badge.badge-warn { (ctx.t("incubator.read_only")) } }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ProgramTab {
    Dashboard,
    Proposals,
    Reports,
    Audit,
    Settings,
    None,
}

/// The organization's header, the program's name and its tabs: shared by every page of a
/// program.
pub fn program_header(ctx: &Ctx, l: &Loaded, active: ProgramTab) -> Markup {
    let base = l.base();
    let mut items = vec![
        (
            ctx.t("incubator.tab.dashboard"),
            base.clone(),
            active == ProgramTab::Dashboard,
        ),
        (
            ctx.t("incubator.tab.proposals"),
            format!("{base}/proposals"),
            active == ProgramTab::Proposals,
        ),
        (
            ctx.t("incubator.calendar.tab"),
            format!("{base}/reports"),
            active == ProgramTab::Reports,
        ),
        (
            ctx.t("incubator.tab.audit"),
            format!("{base}/audit"),
            active == ProgramTab::Audit,
        ),
    ];
    if l.owner {
        items.push((
            ctx.t("incubator.tab.settings"),
            format!("{base}/settings"),
            active == ProgramTab::Settings,
        ));
    }
    html! {
        (org_header(ctx, &l.org, OrgTab::Incubator))
        div.program-head {
            h2 id="program-name" {
                a href=(org_base(&l.program.org_name)) { (ctx.t("incubator.title")) }
                span.sep { " / " }
                a href=(base) { (l.program.name) }
            }
            @if l.committee { span.badge id="committee-badge" { (ctx.t("incubator.you_are_committee")) } }
        }
        (tabs(&items))
    }
}

/// The notice on every page of a retired project's repository: which project, and where
/// its status page is. `None` when the repository belongs to no retired project.
pub async fn retired_notice(state: &AppState, ctx: &Ctx, repo: &Repo) -> WebResult<Option<Markup>> {
    let projects = state
        .forge
        .projects_of_repo(repo)
        .await
        .map_err(|e| fail(ctx, e))?;
    for project in projects.iter().rev() {
        let Some(program) = state.store.program_by_id(project.program_id).await? else {
            continue;
        };
        let retired = program
            .template
            .stage(&project.stage)
            .and_then(|s| s.terminal)
            .is_some_and(Terminal::is_retirement);
        if !retired {
            continue;
        }
        let stage = program
            .template
            .stage(&project.stage)
            .map_or(project.stage.as_str(), |s| s.name.get(ctx.lang.tag()));
        let when = project.ended_at.unwrap_or(project.stage_since);
        return Ok(Some(html! {
            div.notice role="note" id="read-only-notice" data-retired="true" {
                (ctx.tf("incubator.retired_notice", &[
                    ("project", &project.name),
                    ("program", &program.name),
                    ("stage", stage),
                    ("date", &crate::views::date(when)),
                ]))
                " "
                a href=(project_url(&program, project)) id="retired-status-link" { (ctx.t("incubator.retired_status_link")) }
            }
        }));
    }
    Ok(None)
}

/// Now, for the use cases.
pub fn now() -> i64 {
    now_ms()
}
