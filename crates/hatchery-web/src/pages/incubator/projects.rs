//! A project's public status page (computed on every request, so always current: stage,
//! time in stage, roster with affiliations and dates, repositories, checklist, reports,
//! votes), opening a stage vote, recording a decision taken elsewhere, changing the roster
//! (add, end, remove) and linking and unlinking repositories after acceptance, and the
//! checklist with its evidence and the form for items a person judges.

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::response::Response;
use hatchery_core::Action;
use hatchery_core::incubator::{Evaluation, MentorRule, VoteKind, may_transition};
use hatchery_service::incubator::evidence::Evidence;
use hatchery_service::incubator::{IncubatorError, PersonInput, TransferOutcome, VoteOn};
use hatchery_store::{ChecklistEntry, ChecklistStatus, Project, Repo, Report, ReportState};
use maud::{Markup, html};
use serde::Deserialize;

use super::evidence::{evaluator_label, evidence_view, reason_text};
use super::{
    Loaded, Problems, ProgramTab, checklist_badge, days, explain, fail, kind_label, load, may, now,
    problems_box, program_header, project_url, proposal_url, refused, repo_item,
    report_state_badge, role_label, stage_badge, time_ago_ms, vote_state_badge, vote_url,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, Input, csrf_input};
use crate::state::AppState;
use crate::views::{date, page};

pub(super) async fn project_of(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    slug: &str,
) -> WebResult<Project> {
    state
        .forge
        .project(&l.program, slug)
        .await
        .map_err(|e| fail(ctx, e))
}

/// Whether a report is late: not submitted by its due date, or (where the program
/// requires it) submitted but not signed off.
pub(super) fn is_overdue(l: &Loaded, r: &Report, at: i64) -> bool {
    r.due_at < at
        && (r.state == ReportState::Draft
            || (r.state == ReportState::Submitted && l.program.report_template.signoff_required))
}

/// The stage changes the program allows from the project's stage: (kind, target stage).
fn transitions(l: &Loaded, project: &Project) -> Vec<(VoteKind, String)> {
    let template = &l.program.template;
    let mut out = Vec::new();
    for stage in &template.stages {
        for kind in [VoteKind::AdvanceStage, VoteKind::Graduate, VoteKind::Retire] {
            if may_transition(template, &project.stage, &stage.key, kind).is_ok() {
                out.push((kind, stage.key.clone()));
            }
        }
    }
    out
}

/// The forms of the status page, refused or blank.
#[derive(Default)]
struct Drafts<'a> {
    vote: Option<&'a Problems>,
    decision: Option<(&'a DecisionForm, &'a Problems)>,
    roster: Option<(&'a RosterForm, &'a Problems)>,
    repo: Option<(&'a RepoForm, &'a Problems)>,
}

async fn status_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
    drafts: Drafts<'_>,
) -> WebResult<Markup> {
    let forge = &state.forge;
    let program = &l.program;
    let at = now();
    let roster = forge
        .project_roster(project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let repos = forge
        .project_repos(ctx.actor(), project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let checklist = forge
        .project_checklist(program, project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let reports = forge
        .ensure_reports(program, project, at)
        .await
        .map_err(|e| fail(ctx, e))?;
    let votes: Vec<_> = forge
        .program_votes(program, false)
        .await
        .map_err(|e| fail(ctx, e))?
        .into_iter()
        .filter(|v| v.project_id == Some(project.id))
        .collect();
    let acceptance = forge
        .acceptance_vote(project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let proposal = match project.proposal_id {
        Some(id) => state.store.proposal_by_id(id).await?,
        None => None,
    };
    let open_vote = may(state, ctx, l, Action::OpenVote, Some(project), None).await?;
    let record = may(state, ctx, l, Action::RecordDecision, Some(project), None).await?;
    let moves = if project.ended_at.is_none() && (open_vote || record) {
        transitions(l, project)
    } else {
        Vec::new()
    };
    let passed = checklist
        .iter()
        .filter(|r| {
            r.result
                .as_ref()
                .is_some_and(|x| x.status == ChecklistStatus::Pass)
        })
        .count();
    let failing: Vec<&str> = checklist
        .iter()
        .filter(|r| {
            r.result
                .as_ref()
                .is_some_and(|x| x.status == ChecklistStatus::Fail)
        })
        .map(|r| r.item.code.as_str())
        .collect();
    let excused = checklist
        .iter()
        .filter(|r| r.result.as_ref().is_some_and(|x| x.status.needs_reason()))
        .count();
    let url = project_url(program, project);
    let none = Problems::none();
    let blank = DecisionForm::default();
    let (decision_form, decision_problems) = drafts.decision.unwrap_or((&blank, &none));
    let vote_problems = drafts.vote.unwrap_or(&none);
    let blank_roster = RosterForm::default();
    let (roster_form, roster_problems) = drafts.roster.unwrap_or((&blank_roster, &none));
    let blank_repo = RepoForm::default();
    let (repo_form, repo_problems) = drafts.repo.unwrap_or((&blank_repo, &none));
    // The roster and repositories change until incubation ends.
    let manage = project.ended_at.is_none()
        && may(state, ctx, l, Action::ManageRoster, Some(project), None).await?;
    let role_options: Vec<(&str, String)> = ["committer", "ppmc", "mentor", "champion"]
        .into_iter()
        .map(|r| (r, role_label(ctx, &program.template, r)))
        .collect();
    let role_options: Vec<(&str, &str)> =
        role_options.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mentor_hint = match program.template.roster.mentors_on_committee {
        MentorRule::Refuse => Some(ctx.t("incubator.roster_edit.mentor_rule_refuse")),
        MentorRule::Warn => Some(ctx.t("incubator.roster_edit.mentor_rule_warn")),
        MentorRule::Allow => None,
    };
    let move_options: Vec<(String, String)> = moves
        .iter()
        .map(|(k, s)| {
            (
                format!("{}:{s}", k.as_str()),
                format!("{} → {}", kind_label(ctx, *k), l.stage_name(s)),
            )
        })
        .collect();
    let mut stage_options: Vec<(&str, &str)> = Vec::new();
    for (_, s) in &moves {
        if !stage_options.iter().any(|(k, _)| k == s) {
            stage_options.push((s.as_str(), l.stage_name(s)));
        }
    }
    let has_open_vote = votes.iter().any(|v| !v.state.is_closed());
    let graduation = forge
        .project_graduations(project)
        .await
        .map_err(|e| fail(ctx, e))?
        .into_iter()
        .next();
    Ok(page(
        ctx,
        &format!("{} · {}", project.name, program.name),
        html! {
            (program_header(ctx, l, ProgramTab::None))
            div.project-head id="project-status" data-stage=(project.stage) {
                h2 { span id="project-name" { (project.name) } " " (stage_badge(l, &project.stage)) }
                @if !project.description.is_empty() { p id="project-description" { (project.description) } }
            }
            dl.facts id="project-facts" {
                dt { (ctx.t("incubator.col.stage")) } dd { (l.stage_name(&project.stage)) }
                dt { (ctx.t("incubator.col.time_in_stage")) }
                dd id="time-in-stage" { (days(ctx, at - project.stage_since)) " · " (ctx.t("incubator.since")) " " (date(project.stage_since)) }
                dt { (ctx.t("incubator.started")) } dd id="started" { (date(project.started_at)) }
                @if let Some(end) = project.ended_at { dt { (ctx.t("incubator.ended")) } dd id="ended" { (date(end)) } }
                @if !project.sponsor.is_empty() { dt { (ctx.t("incubator.sponsor")) } dd { (project.sponsor) } }
                @if !project.resolution.is_empty() {
                    dt { (ctx.t("incubator.resolution")) }
                    dd id="resolution" {
                        @if project.resolution.starts_with("https://") || project.resolution.starts_with("http://") {
                            a href=(project.resolution) rel="nofollow noopener" { (project.resolution) }
                        } @else { (project.resolution) }
                    }
                }
                @if let Some(p) = &proposal {
                    dt { (ctx.t("incubator.proposal")) } dd { a href=(proposal_url(program, p.number)) { "#" (p.number) " " (p.name) } }
                }
                @if let Some(v) = &acceptance {
                    dt { (ctx.t("incubator.acceptance_vote")) }
                    dd id="acceptance-vote" data-vote=(v.id) {
                        (vote_state_badge(ctx, v.state)) " "
                        a href=(vote_url(program, v.id)) { "#" (v.id) " " (v.title) }
                        @if let (Some(t), Some(closed)) = (&v.tally, v.closed_at) {
                            div.small.muted id="acceptance-result" {
                                (ctx.tf("incubator.acceptance_result", &[
                                    ("plus", &t.binding_plus.to_string()),
                                    ("zero", &t.binding_zero.to_string()),
                                    ("minus", &t.binding_minus.to_string()),
                                    ("date", &date(closed)),
                                ]))
                            }
                        }
                    }
                }
                @if let Some(g) = &graduation {
                    dt { (ctx.t("incubator.graduation.title")) }
                    dd id="graduation-state" {
                        (super::graduation::state_badge(ctx, g.state)) " "
                        a href=(format!("{url}/graduation")) { (ctx.t("incubator.graduation.see")) }
                    }
                }
            }
            @if project.ended_at.is_none() {
                p id="project-vote-links" {
                    a.btn.btn-small href=(format!("{url}/votes/new")) id="project-votes-link" { (ctx.t("incubator.election.link")) }
                }
            }
            @if !moves.is_empty() {
                div.two-col id="project-actions" {
                    @if open_vote {
                        section.card id="stage-vote" {
                            h3 style="margin-top:0" { (ctx.t("incubator.open_stage_vote")) }
                            (problems_box(ctx, vote_problems))
                            @if has_open_vote { p.muted { (ctx.t("error.incubator.vote_already_open")) } }
                            form.stack method="post" action=(format!("{url}/vote")) id="stage-vote-form" {
                                (csrf_input(ctx))
                                div.field {
                                    label for="f-move" { (ctx.t("incubator.field.transition")) }
                                    select id="f-move" name="move" {
                                        @for (v, label) in &move_options { option value=(v) { (label) } }
                                    }
                                }
                                div.field {
                                    label for="f-document" { (ctx.t("incubator.field.document_url")) }
                                    input type="url" id="f-document" name="document_url";
                                    p.hint {
                                        @if program.template.graduation.due_diligence { (ctx.t("incubator.hint.due_diligence")) }
                                        @else { (ctx.t("incubator.hint.document_url")) }
                                    }
                                }
                                div { button.btn.btn-primary type="submit" id="stage-vote-submit" { (ctx.t("incubator.open_vote")) } }
                            }
                        }
                    }
                    @if record {
                        section.card id="decision" {
                            h3 style="margin-top:0" { (ctx.t("incubator.record_decision")) }
                            p.muted { (ctx.t("incubator.record_decision_hint")) }
                            (problems_box(ctx, decision_problems))
                            form.stack method="post" action=(format!("{url}/decision")) id="decision-form" novalidate {
                                (csrf_input(ctx))
                                (Field::new("to_stage", ctx.t("incubator.field.to_stage"), &decision_form.to_stage).input(Input::Select(&stage_options)).render(ctx, &decision_problems.fields))
                                (Field::new("reference", ctx.t("incubator.field.reference"), &decision_form.reference).required().hint(ctx.t("incubator.hint.reference")).render(ctx, &decision_problems.fields))
                                div { button.btn.btn-danger type="submit" id="decision-submit" { (ctx.t("incubator.record")) } }
                            }
                        }
                    }
                }
            }
            section id="roster" {
                h3 { (ctx.t("incubator.roster")) }
                @if roster.is_empty() { div.empty { (ctx.t("incubator.no_people")) } }
                @else {
                    table.data id="roster-table" {
                        thead { tr {
                            th { (ctx.t("incubator.col.role")) }
                            th { (ctx.t("incubator.field.person_name")) }
                            th { (ctx.t("incubator.field.affiliation")) }
                            th { (ctx.t("incubator.col.from")) }
                            th { (ctx.t("incubator.col.until")) }
                            @if manage { th { span.visually-hidden { (ctx.t("incubator.roster_edit.actions")) } } }
                        } }
                        tbody {
                            @for r in &roster {
                                tr.ended[r.ended_at.is_some()] id=(format!("roster-{}", r.id)) data-role=(r.role) {
                                    td { (role_label(ctx, &l.program.template, &r.role)) }
                                    td { (r.name) @if let Some(u) = &r.user { " " a href=(format!("/{}", u.name)) { "@" (u.name) } } }
                                    td { (r.affiliation) }
                                    td { (date(r.started_at)) }
                                    td {
                                        @match r.ended_at {
                                            Some(e) => { (date(e)) " " span.muted.roster-ended { (ctx.t("incubator.roster_edit.ended")) } },
                                            None => { span.muted { "—" } },
                                        }
                                    }
                                    @if manage {
                                        td.actions {
                                            @if r.ended_at.is_none() {
                                                form.inline-form method="post" action=(format!("{url}/roster/{}/end", r.id)) {
                                                    (csrf_input(ctx))
                                                    button.btn.btn-small type="submit" id=(format!("roster-end-{}", r.id)) { (ctx.t("incubator.roster_edit.end")) }
                                                }
                                                " "
                                            }
                                            form.inline-form method="post" action=(format!("{url}/roster/{}/remove", r.id)) {
                                                (csrf_input(ctx))
                                                button.btn.btn-small.btn-danger type="submit" id=(format!("roster-remove-{}", r.id)) title=(ctx.t("incubator.roster_edit.remove_hint")) { (ctx.t("incubator.roster_edit.remove")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if manage {
                    section.card id="roster-add" {
                        h4 style="margin-top:0" { (ctx.t("incubator.roster_edit.add")) }
                        p.muted { (ctx.t("incubator.roster_edit.add_hint")) }
                        @if let Some(h) = mentor_hint { p.muted id="mentor-rule" { (h) } }
                        (problems_box(ctx, roster_problems))
                        form.stack method="post" action=(format!("{url}/roster")) id="roster-form" novalidate {
                            (csrf_input(ctx))
                            (Field::new("role", ctx.t("incubator.col.role"), &roster_form.role).input(Input::Select(&role_options)).render(ctx, &roster_problems.fields))
                            (Field::new("username", ctx.t("incubator.field.username"), &roster_form.username).hint(ctx.t("incubator.roster_edit.username_hint")).render(ctx, &roster_problems.fields))
                            (Field::new("name", ctx.t("incubator.field.person_name"), &roster_form.name).hint(ctx.t("incubator.roster_edit.name_hint")).render(ctx, &roster_problems.fields))
                            (Field::new("affiliation", ctx.t("incubator.field.affiliation"), &roster_form.affiliation).render(ctx, &roster_problems.fields))
                            div { button.btn.btn-primary type="submit" id="roster-submit" { (ctx.t("incubator.roster_edit.add_button")) } }
                        }
                    }
                }
            }
            section id="repositories" {
                h3 { (ctx.t("incubator.field.repos")) }
                @if repos.is_empty() { div.empty { (ctx.t("incubator.no_repos")) } }
                ul.list {
                    @for r in &repos {
                        li {
                            (repo_item(ctx, r))
                            @if manage {
                                form.inline-form method="post" action=(format!("{url}/repos/unlink")) {
                                    (csrf_input(ctx))
                                    input type="hidden" name="repo" value=(format!("{}/{}", r.owner_name, r.name));
                                    button.btn.btn-small type="submit" id=(format!("repo-unlink-{}", r.id)) { (ctx.t("incubator.repo_link.unlink")) }
                                }
                            }
                        }
                    }
                }
                @if manage {
                    section.card id="repo-link" {
                        h4 style="margin-top:0" { (ctx.t("incubator.repo_link.link")) }
                        p.muted { (ctx.t("incubator.repo_link.link_hint")) }
                        (problems_box(ctx, repo_problems))
                        form.stack method="post" action=(format!("{url}/repos")) id="repo-link-form" novalidate {
                            (csrf_input(ctx))
                            (Field::new("repo", ctx.t("incubator.repo_link.repository"), &repo_form.repo).required().hint(ctx.t("incubator.repo_link.repository_hint")).render(ctx, &repo_problems.fields))
                            div { button.btn.btn-primary type="submit" id="repo-link-submit" { (ctx.t("incubator.repo_link.link_button")) } }
                        }
                    }
                }
            }
            section id="checklist-summary" {
                h3 { a href=(format!("{url}/checklist")) { (ctx.t("incubator.checklist")) } " " span.score { (passed) " / " (checklist.len() - excused) } }
                @if !failing.is_empty() {
                    p { (ctx.t("incubator.failing")) " " @for c in &failing { code.failing { (c) } " " } }
                }
                p { a.btn.btn-small href=(format!("{url}/checklist")) id="checklist-link" { (ctx.t("incubator.see_checklist")) } }
            }
            section id="reports" {
                h3 { (ctx.t("incubator.reports")) }
                @if reports.is_empty() { div.empty { (ctx.t("incubator.no_reports")) } }
                @else {
                    table.data id="report-table" {
                        thead { tr {
                            th { (ctx.t("incubator.col.period")) }
                            th { (ctx.t("incubator.col.due")) }
                            th { (ctx.t("incubator.col.state")) }
                        } }
                        tbody {
                            @for r in reports.iter().rev() {
                                tr id=(format!("report-{}", r.id)) {
                                    td { a href=(format!("{url}/reports/{}", r.id)) { (date(r.period_start)) " – " (date(r.period_end)) } }
                                    td { (date(r.due_at)) }
                                    td {
                                        (report_state_badge(ctx, r.state))
                                        @if is_overdue(l, r, at) { " " span.overdue { (ctx.t("incubator.overdue")) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section id="project-votes" {
                h3 { (ctx.t("incubator.votes")) }
                @if votes.is_empty() { div.empty { (ctx.t("incubator.no_votes")) } }
                ul.list {
                    @for v in &votes {
                        li {
                            a href=(vote_url(program, v.id)) {
                                (kind_label(ctx, v.kind))
                                @if let Some(t) = &v.target_stage { " → " (l.stage_name(t)) }
                                @if let Some(n) = &v.nominee { " · " (n.name) }
                                @if v.custom_kind.is_some() { " · " (v.title) }
                            }
                            span { (vote_state_badge(ctx, v.state)) " " span.muted { (time_ago_ms(ctx, v.opened_at)) } }
                        }
                    }
                }
            }
            p { a href=(format!("{}/audit?project={}", l.base(), project.slug)) id="project-audit" { (ctx.t("incubator.project_audit")) } }
        },
    ))
}

pub async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    status_page(&state, &ctx, &l, &project, Drafts::default()).await
}

#[derive(Deserialize, Default)]
pub struct VoteForm {
    /// `kind:stage`, as the select offers it.
    #[serde(rename = "move", default)]
    target: String,
    /// A link to the document voted on (a graduation's due diligence).
    #[serde(default)]
    document_url: String,
}

pub async fn open_vote(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
    Form(form): Form<VoteForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    let parsed = form
        .target
        .split_once(':')
        .and_then(|(k, s)| k.parse::<VoteKind>().ok().map(|k| (k, s.to_owned())));
    let Some((kind, to_stage)) = parsed else {
        let mut p = Problems::none();
        p.add(&ctx, "error.incubator.invalid");
        let body = status_page(
            &state,
            &ctx,
            &l,
            &project,
            Drafts {
                vote: Some(&p),
                ..Drafts::default()
            },
        )
        .await?;
        return Ok(refused(body));
    };
    let on = VoteOn::Project {
        project: &project,
        kind,
        to_stage: &to_stage,
        document_url: &form.document_url,
    };
    match state
        .forge
        .open_vote(ctx.actor(), &l.program, on, now())
        .await
    {
        Ok(v) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.vote_opened",
            &vote_url(&l.program, v.id),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            let body = status_page(
                &state,
                &ctx,
                &l,
                &project,
                Drafts {
                    vote: Some(&p),
                    ..Drafts::default()
                },
            )
            .await?;
            Ok(refused(body))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    to_stage: String,
    #[serde(default)]
    reference: String,
}

pub async fn record_decision(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
    Form(form): Form<DecisionForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    match state
        .forge
        .record_decision(
            ctx.actor(),
            &l.program,
            &project,
            &form.to_stage,
            &form.reference,
            now(),
        )
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.decision_recorded",
            &project_url(&l.program, &p),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            let body = status_page(
                &state,
                &ctx,
                &l,
                &project,
                Drafts {
                    decision: Some((&form, &p)),
                    ..Drafts::default()
                },
            )
            .await?;
            Ok(refused(body))
        }
    }
}

// ---- roster and repositories after acceptance ----

/// The add-to-roster form as typed.
#[derive(Deserialize, Default)]
pub struct RosterForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    affiliation: String,
}

/// The link and unlink forms: `owner/name`.
#[derive(Deserialize, Default)]
pub struct RepoForm {
    #[serde(default)]
    repo: String,
}

/// The status page again with the roster form's refusal.
async fn roster_refused(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
    form: &RosterForm,
    e: IncubatorError,
) -> WebResult<Response> {
    let p = explain(ctx, e)?;
    let body = status_page(
        state,
        ctx,
        l,
        project,
        Drafts {
            roster: Some((form, &p)),
            ..Drafts::default()
        },
    )
    .await?;
    Ok(refused(body))
}

/// The status page again with the repository form's refusal.
async fn repo_refused(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
    form: &RepoForm,
    e: IncubatorError,
) -> WebResult<Response> {
    let p = explain(ctx, e)?;
    let body = status_page(
        state,
        ctx,
        l,
        project,
        Drafts {
            repo: Some((form, &p)),
            ..Drafts::default()
        },
    )
    .await?;
    Ok(refused(body))
}

pub async fn add_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
    Form(form): Form<RosterForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    let person = PersonInput {
        username: form.username.clone(),
        name: form.name.clone(),
        affiliation: form.affiliation.clone(),
    };
    match state
        .forge
        .add_roster_member(
            ctx.actor(),
            &l.program,
            &project,
            &form.role,
            &person,
            now(),
        )
        .await
    {
        Ok(added) => {
            let url = format!("{}#roster", project_url(&l.program, &project));
            Ok(match added.warnings.first() {
                Some(w) => flash_redirect(&ctx, FlashKind::Info, w.message_key(), &url),
                None => flash_redirect(
                    &ctx,
                    FlashKind::Success,
                    "incubator.flash.roster_added",
                    &url,
                ),
            })
        }
        Err(e) => roster_refused(&state, &ctx, &l, &project, &form, e).await,
    }
}

/// A roster entry's id from the path; anything else is a missing entry.
fn entry_id(raw: &str) -> WebResult<i64> {
    raw.parse().map_err(|_| WebError::NotFound)
}

pub async fn end_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    let id = entry_id(&id)?;
    match state
        .forge
        .end_roster_member(ctx.actor(), &l.program, &project, id, now())
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.roster_ended",
            &format!("{}#roster", project_url(&l.program, &project)),
        )),
        Err(e) => roster_refused(&state, &ctx, &l, &project, &RosterForm::default(), e).await,
    }
}

pub async fn remove_roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    let id = entry_id(&id)?;
    match state
        .forge
        .remove_roster_member(ctx.actor(), &l.program, &project, id, now())
        .await
    {
        Ok(()) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.roster_removed",
            &format!("{}#roster", project_url(&l.program, &project)),
        )),
        Err(e) => roster_refused(&state, &ctx, &l, &project, &RosterForm::default(), e).await,
    }
}

pub async fn link_repo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
    Form(form): Form<RepoForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    match state
        .forge
        .link_project_repo(ctx.actor(), &l.program, &project, &form.repo, now())
        .await
    {
        Ok(link) => {
            let key = match link.outcome {
                TransferOutcome::Moved { .. } => "incubator.flash.repo_moved",
                TransferOutcome::AlreadyInOrg { .. } => "incubator.flash.repo_linked",
                TransferOutcome::Refused { .. } => "incubator.flash.repo_not_moved",
            };
            Ok(flash_redirect(
                &ctx,
                FlashKind::Success,
                key,
                &format!("{}#repositories", project_url(&l.program, &project)),
            ))
        }
        Err(e) => repo_refused(&state, &ctx, &l, &project, &form, e).await,
    }
}

pub async fn unlink_repo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
    Form(form): Form<RepoForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    let Some((owner, name)) = form.repo.trim().split_once('/') else {
        return Err(WebError::NotFound);
    };
    match state
        .forge
        .unlink_project_repo(ctx.actor(), &l.program, &project, owner, name, now())
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.repo_unlinked",
            &format!("{}#repositories", project_url(&l.program, &project)),
        )),
        Err(e) => repo_refused(&state, &ctx, &l, &project, &RepoForm::default(), e).await,
    }
}

// ---- checklist ----

/// The manual-item form as typed.
#[derive(Deserialize, Default)]
pub struct ManualForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    evidence: String,
}

async fn checklist_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
    form: &ManualForm,
    problems: &Problems,
) -> WebResult<Markup> {
    let program = &l.program;
    let rows = state
        .forge
        .project_checklist(program, project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let visible_repos: Vec<Repo> = state
        .forge
        .project_repos(ctx.actor(), project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let all = state.store.project_repo_ids(project.id).await?;
    let all_visible = visible_repos.len() == all.len();
    let visible: HashSet<String> = visible_repos
        .iter()
        .map(|r| format!("{}/{}", r.owner_name, r.name))
        .collect();
    let judge = may(
        state,
        ctx,
        l,
        Action::SetManualChecklist,
        Some(project),
        None,
    )
    .await?;
    let evaluate =
        judge || l.owner || may(state, ctx, l, Action::EditReport, Some(project), None).await?;
    let url = project_url(program, project);
    let codes: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.item.code.as_str(), r.item.code.as_str()))
        .collect();
    let statuses: Vec<(&str, &str)> = ChecklistStatus::ALL
        .iter()
        .map(|s| (s.as_str(), super::checklist_status_label(ctx, *s)))
        .collect();
    let who = |r: &ChecklistEntry| -> Markup {
        match &r.evaluated_by {
            Some(p) => super::person_link(ctx, Some(p)),
            None => {
                html! { span.muted { (ctx.t("incubator.automatic")) } }
            }
        }
    };
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("incubator.checklist"), project.name),
        html! {
            (program_header(ctx, l, ProgramTab::None))
            h2 { a href=(url) { (project.name) } " · " (ctx.t("incubator.checklist")) }
            @if !all_visible { div.notice role="note" id="evidence-hidden" { (ctx.t("incubator.evidence_hidden")) } }
            @if evaluate {
                form.inline-form method="post" action=(format!("{url}/checklist/evaluate")) {
                    (csrf_input(ctx))
                    button.btn.btn-small type="submit" id="evaluate" { (ctx.t("incubator.evaluate_now")) }
                }
            }
            div.table-wrap {
                table.data id="checklist" {
                    thead { tr {
                        th { (ctx.t("incubator.col.code")) }
                        th { (ctx.t("incubator.col.item")) }
                        th { (ctx.t("incubator.col.state")) }
                        th { (ctx.t("incubator.col.evidence")) }
                        th { (ctx.t("incubator.col.who")) }
                        th.when { (ctx.t("incubator.col.when")) }
                    } }
                    tbody {
                        @for r in &rows {
                            tr id=(format!("item-{}", r.item.code)) data-status=(r.result.as_ref().map_or("none", |x| x.status.as_str())) {
                                td.code { code { (r.item.code) } }
                                td {
                                    (r.item.text.get(l.lang))
                                    @if let Some(stage) = &r.item.stage {
                                        div.small.criterion data-stage=(stage) { (ctx.tf("incubator.criterion_of", &[("stage", l.stage_name(stage))])) }
                                    }
                                    div.muted.small.how {
                                        @match r.item.evaluation {
                                            Evaluation::Automatic(e) => { (ctx.t("incubator.automatic")) ": " (evaluator_label(ctx, e)) }
                                            Evaluation::Manual => { (ctx.t("incubator.manual")) }
                                        }
                                    }
                                }
                                td data-label=(ctx.t("incubator.col.state")) {
                                    (checklist_badge(ctx, r.result.as_ref().map(|x| x.status)))
                                    @if let Some(x) = &r.result {
                                        @if !x.reason.is_empty() {
                                            div.small.reason {
                                                @match (x.evaluator.is_empty(), reason_text(ctx, &x.reason)) {
                                                    (false, Some(text)) => { (text) }
                                                    (false, None) => { (ctx.t("incubator.evidence.problem")) }
                                                    (true, _) => { (x.reason) }
                                                }
                                            }
                                        }
                                    }
                                }
                                td.evidence-cell data-label=(ctx.t("incubator.col.evidence")) {
                                    @if let Some(x) = &r.result {
                                        @let ev = Evidence::parse(&x.evaluator, &x.evidence)
                                            .and_then(|e| if all_visible { (!e.is_empty()).then_some(e) } else { e.visible_to(&visible) });
                                        @match ev {
                                            Some(ev) => { (evidence_view(ctx, program, &ev)) }
                                            None => { span.muted { "—" } }
                                        }
                                    }
                                }
                                td data-label=(ctx.t("incubator.col.who")) { @if let Some(x) = &r.result { (who(x)) } }
                                td.when data-label=(ctx.t("incubator.col.when")) { @if let Some(x) = &r.result { (time_ago_ms(ctx, x.evaluated_at)) } }
                            }
                        }
                    }
                }
            }
            @if judge {
                section.card id="manual-item" {
                    h3 style="margin-top:0" { (ctx.t("incubator.judge_item")) }
                    p.muted { (ctx.t("incubator.judge_item_hint")) }
                    (problems_box(ctx, problems))
                    form.stack method="post" action=(format!("{url}/checklist")) id="manual-item-form" novalidate {
                        (csrf_input(ctx))
                        (Field::new("code", ctx.t("incubator.col.code"), &form.code).input(Input::Select(&codes)).render(ctx, &problems.fields))
                        (Field::new("status", ctx.t("incubator.col.state"), &form.status).input(Input::Select(&statuses)).render(ctx, &problems.fields))
                        (Field::new("reason", ctx.t("incubator.field.reason"), &form.reason).hint(ctx.t("incubator.hint.reason")).render(ctx, &problems.fields))
                        (Field::new("evidence", ctx.t("incubator.col.evidence"), &form.evidence).hint(ctx.t("incubator.hint.evidence")).render(ctx, &problems.fields))
                        div { button.btn.btn-primary type="submit" id="manual-item-submit" { (ctx.t("incubator.save")) } }
                    }
                }
            }
        },
    ))
}

pub async fn checklist(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    checklist_page(
        &state,
        &ctx,
        &l,
        &project,
        &ManualForm::default(),
        &Problems::none(),
    )
    .await
}

pub async fn set_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
    Form(form): Form<ManualForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    let Ok(status) = form.status.parse::<ChecklistStatus>() else {
        let mut p = Problems::none();
        p.add_field(&ctx, "status", "error.incubator.invalid");
        return Ok(refused(
            checklist_page(&state, &ctx, &l, &project, &form, &p).await?,
        ));
    };
    let evidence = hatchery_service::incubator::manual_evidence(&form.evidence);
    match state
        .forge
        .set_manual_item(
            ctx.actor(),
            &l.program,
            &project,
            &form.code,
            status,
            &form.reason,
            evidence,
            now(),
        )
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.saved",
            &format!("{}/checklist", project_url(&l.program, &project)),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(
                checklist_page(&state, &ctx, &l, &project, &form, &p).await?,
            ))
        }
    }
}

pub async fn evaluate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    state
        .forge
        .request_evaluation(ctx.actor(), &l.program, &project, now())
        .await
        .map_err(|e| fail(&ctx, e))?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "incubator.flash.evaluated",
        &format!("{}/checklist", project_url(&l.program, &project)),
    ))
}
