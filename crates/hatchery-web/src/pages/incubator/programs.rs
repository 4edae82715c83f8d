//! Programs: the list of an organization's programs, creating one from a preset, a
//! program's dashboard, its settings (name, committee, template, report template) and its
//! audit log.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::response::Response;
use hatchery_core::incubator::{Preset, ProposalState};
use hatchery_core::policy::ProgramFacts;
use hatchery_core::{Action, Resource, authorize};
use hatchery_service::incubator::parse_preset;
use hatchery_store::{AuditEntry, AuditFilter, ChecklistStatus, Program, ReportState};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Loaded, Problems, ProgramTab, at_ms, days, explain, fail, kind_label, load, now, org_base,
    person_link, problems_box, program_header, project_url, proposal_state_badge, proposal_url,
    refused, slug_problem, stage_badge, vote_state_badge, vote_url,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, Input, csrf_input};
use crate::pages::org::{self, OrgTab, org_header};
use crate::state::AppState;
use crate::views::page;

/// Entries the audit page shows at most.
const AUDIT_LIMIT: i64 = 1_000;

fn preset_label(ctx: &Ctx, p: Preset) -> &'static str {
    ctx.t(match p {
        Preset::Apache => "incubator.preset.apache",
        Preset::Cncf => "incubator.preset.cncf",
        Preset::LfAiData => "incubator.preset.lf_ai_data",
        Preset::Blank => "incubator.preset.blank",
    })
}

fn preset_name(ctx: &Ctx, stored: &str) -> String {
    parse_preset(stored).map_or_else(|| stored.to_owned(), |p| preset_label(ctx, p).to_owned())
}

/// Whether the visitor may create programs in the organization (its owners).
fn may_create(ctx: &Ctx, l: &org::Loaded) -> bool {
    authorize(
        ctx.actor(),
        Action::ManageProgram,
        Resource::Program(ProgramFacts {
            org_role: l.facts.role,
            ..ProgramFacts::default()
        }),
    )
    .is_allowed()
}

// ---- the organization's programs ----

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
) -> WebResult<Markup> {
    let l = org::load(&state, &ctx, &org).await?;
    let programs = state
        .forge
        .programs_of_org(&l.org.name)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let owner = may_create(&ctx, &l);
    let base = org_base(&l.org.name);
    Ok(page(
        &ctx,
        &format!("{} · {}", ctx.t("incubator.title"), l.org.name),
        html! {
            (org_header(&ctx, &l, OrgTab::Incubator))
            h2 { (ctx.t("incubator.programs")) }
            @if owner {
                p { a.btn.btn-primary.btn-small href=(format!("{base}/new")) id="new-program" { (ctx.t("incubator.new_program")) } }
            }
            @if programs.is_empty() {
                div.empty id="programs-empty" { (ctx.t("incubator.no_programs")) }
            } @else {
                ul.list id="program-list" {
                    @for p in &programs {
                        li {
                            div {
                                a href=(super::base(p)) { strong { (p.name) } }
                                " " span.badge { (preset_name(&ctx, &p.preset)) }
                                @if !p.description.is_empty() { div.muted { (p.description) } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

// ---- a new program ----

#[derive(Deserialize, Default)]
pub struct NewProgramForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    preset: String,
}

fn new_page(ctx: &Ctx, l: &org::Loaded, form: &NewProgramForm, p: &Problems) -> Markup {
    let presets: Vec<(&str, &str)> = Preset::ALL
        .iter()
        .map(|p| (p.as_str(), preset_label(ctx, *p)))
        .collect();
    let chosen = if form.preset.is_empty() {
        Preset::Apache.as_str()
    } else {
        form.preset.as_str()
    };
    page(
        ctx,
        ctx.t("incubator.new_program"),
        html! {
            (org_header(ctx, l, OrgTab::Incubator))
            h2 { (ctx.t("incubator.new_program")) }
            p.muted { (ctx.t("incubator.new_program_intro")) }
            (problems_box(ctx, p))
            form.stack method="post" action=(format!("{}/new", org_base(&l.org.name))) id="program-new-form" novalidate {
                (csrf_input(ctx))
                (Field::new("name", ctx.t("incubator.field.program_name"), &form.name).required().render(ctx, &p.fields))
                (Field::new("slug", ctx.t("incubator.field.program_slug"), &form.slug).required().hint(ctx.t("incubator.hint.program_slug")).render(ctx, &p.fields))
                (Field::new("preset", ctx.t("incubator.field.preset"), chosen).input(Input::Select(&presets)).hint(ctx.t("incubator.hint.preset")).render(ctx, &p.fields))
                div { button.btn.btn-primary type="submit" id="program-create" { (ctx.t("incubator.create_program")) } }
            }
        },
    )
}

fn check_create(ctx: &Ctx, l: &org::Loaded) -> WebResult<()> {
    ctx.require_user()?;
    if may_create(ctx, l) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
) -> WebResult<Markup> {
    let l = org::load(&state, &ctx, &org).await?;
    check_create(&ctx, &l)?;
    Ok(new_page(
        &ctx,
        &l,
        &NewProgramForm::default(),
        &Problems::none(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
    Form(form): Form<NewProgramForm>,
) -> WebResult<Response> {
    let l = org::load(&state, &ctx, &org).await?;
    check_create(&ctx, &l)?;
    let Some(preset) = parse_preset(&form.preset) else {
        let mut p = Problems::none();
        p.add_field(&ctx, "preset", "error.incubator.unknown_preset");
        return Ok(refused(new_page(&ctx, &l, &form, &p)));
    };
    match state
        .forge
        .create_program(
            ctx.actor(),
            &l.org.name,
            &form.slug,
            &form.name,
            preset,
            now(),
        )
        .await
    {
        Ok(program) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.program_created",
            &super::base(&program),
        )),
        Err(e) => {
            let mut p = explain(&ctx, e)?;
            if p.fields.message(&ctx, "slug").is_some() {
                let mut named = Problems::none();
                slug_problem(&mut named, &ctx, "slug", &form.slug);
                if !named.is_empty() {
                    p = named;
                }
            }
            Ok(refused(new_page(&ctx, &l, &form, &p)))
        }
    }
}

// ---- dashboard ----

/// One line of the dashboard.
struct Row {
    project: hatchery_store::Project,
    next_due: Option<i64>,
    overdue: usize,
    passed: usize,
    judged: usize,
    open_votes: Vec<i64>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let at = now();
    let forge = &state.forge;
    let program = &l.program;
    let overdue = forge
        .overdue_reports(program, at)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let votes = forge
        .program_votes(program, false)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let open_votes: Vec<_> = votes.iter().filter(|v| !v.state.is_closed()).collect();
    let mut rows = Vec::new();
    for project in forge
        .program_projects(program)
        .await
        .map_err(|e| fail(&ctx, e))?
    {
        let (next_due, overdue_n) = if project.ended_at.is_none() {
            let reports = forge
                .ensure_reports(program, &project, at)
                .await
                .map_err(|e| fail(&ctx, e))?;
            let next = reports
                .iter()
                .filter(|r| r.state == ReportState::Draft)
                .map(|r| r.due_at)
                .min();
            let n = overdue
                .iter()
                .filter(|o| o.project.id == project.id)
                .count();
            (next, n)
        } else {
            (None, 0)
        };
        let checklist = forge
            .project_checklist(program, &project)
            .await
            .map_err(|e| fail(&ctx, e))?;
        let statuses: Vec<ChecklistStatus> = checklist
            .iter()
            .filter_map(|r| r.result.as_ref().map(|x| x.status))
            .collect();
        let passed = statuses
            .iter()
            .filter(|s| **s == ChecklistStatus::Pass)
            .count();
        let excused = statuses.iter().filter(|s| s.needs_reason()).count();
        rows.push(Row {
            next_due,
            overdue: overdue_n,
            passed,
            judged: checklist.len() - excused,
            open_votes: open_votes
                .iter()
                .filter(|v| v.project_id == Some(project.id))
                .map(|v| v.id)
                .collect(),
            project,
        });
    }
    let proposals = state.store.proposals_of_program(program.id, None).await?;
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &proposals {
        *by_state.entry(p.state.as_str()).or_default() += 1;
    }
    let active: Vec<_> = proposals
        .iter()
        .filter(|p| {
            matches!(
                p.state,
                ProposalState::Discussion | ProposalState::Voting | ProposalState::NeedsInfo
            )
        })
        .collect();
    let base = l.base();
    let recent: Vec<_> = votes
        .iter()
        .filter(|v| v.state.is_closed())
        .take(10)
        .collect();
    let proposal_numbers: HashMap<i64, i64> = proposals.iter().map(|p| (p.id, p.number)).collect();
    let project_names: HashMap<i64, &str> = rows
        .iter()
        .map(|r| (r.project.id, r.project.name.as_str()))
        .collect();
    let vote_subject = |v: &hatchery_store::Vote| -> String {
        match (v.proposal_id, v.project_id) {
            (Some(id), _) => proposal_numbers
                .get(&id)
                .map(|n| format!("#{n}"))
                .unwrap_or_default(),
            (_, Some(id)) => project_names
                .get(&id)
                .map(|s| (*s).to_owned())
                .unwrap_or_default(),
            _ => String::new(),
        }
    };
    Ok(page(
        &ctx,
        &format!("{} · {}", program.name, l.org.org.name),
        html! {
            (program_header(&ctx, &l, ProgramTab::Dashboard))
            @if !program.description.is_empty() { p id="program-description" { (program.description) } }
            @if program.committee_team_id.is_none() {
                div.notice role="note" id="no-committee" { (ctx.t("incubator.no_committee_notice")) }
            }
            p.toolbar {
                a.btn.btn-small href=(format!("{base}/proposals/new")) id="new-proposal" { (ctx.t("incubator.new_proposal")) }
                " "
                a.btn.btn-small href=(format!("{base}/projects.json")) id="export-json" { (ctx.t("incubator.export_json")) }
                " "
                a.btn.btn-small href=(format!("{base}/podlings.xml")) id="export-xml" { (ctx.t("incubator.export_xml")) }
                " "
                a.btn.btn-small href=(format!("{base}/projects.csv")) id="export-csv" download { (ctx.t("incubator.export_csv")) }
            }
            h3 { (ctx.t("incubator.projects")) " " span.badge { (rows.len()) } }
            @if rows.is_empty() {
                div.empty id="projects-empty" { (ctx.t("incubator.no_projects")) }
            } @else {
                div.table-wrap {
                    table.data id="project-table" {
                        thead { tr {
                            th { (ctx.t("incubator.col.project")) }
                            th { (ctx.t("incubator.col.stage")) }
                            th { (ctx.t("incubator.col.time_in_stage")) }
                            th { (ctx.t("incubator.col.next_report")) }
                            th { (ctx.t("incubator.col.overdue")) }
                            th { (ctx.t("incubator.col.checklist")) }
                            th { (ctx.t("incubator.col.open_votes")) }
                        } }
                        tbody {
                            @for r in &rows {
                                tr id=(format!("project-{}", r.project.slug)) {
                                    td { a href=(project_url(program, &r.project)) { (r.project.name) } }
                                    td { (stage_badge(&l, &r.project.stage)) }
                                    td { (days(&ctx, at - r.project.stage_since)) }
                                    td { @match r.next_due { Some(d) => { (at_ms(d)) }, None => { span.muted { "—" } } } }
                                    td {
                                        @if r.overdue > 0 { span.overdue data-overdue=(r.overdue) { (ctx.tf("incubator.overdue_n", &[("n", &r.overdue.to_string())])) } }
                                        @else { span.muted { "—" } }
                                    }
                                    td { span.score { (r.passed) " / " (r.judged) } }
                                    td {
                                        @if r.open_votes.is_empty() { span.muted { "—" } }
                                        @for id in &r.open_votes { a href=(vote_url(program, *id)) { (ctx.tf("incubator.vote_n", &[("n", &id.to_string())])) } " " }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div.two-col {
                section {
                    h3 { (ctx.t("incubator.open_votes")) " " span.badge { (open_votes.len()) } }
                    @if open_votes.is_empty() { div.empty { (ctx.t("incubator.no_open_votes")) } }
                    ul.list id="open-votes" {
                        @for v in &open_votes {
                            li {
                                a href=(vote_url(program, v.id)) { (kind_label(&ctx, v.kind)) " " (vote_subject(v)) }
                                span.muted { (ctx.t("incubator.closes")) " " (at_ms(v.deadline_at.max(v.min_close_at))) }
                            }
                        }
                    }
                    h3 { (ctx.t("incubator.recent_votes")) }
                    @if recent.is_empty() { div.empty { (ctx.t("incubator.no_votes")) } }
                    ul.list id="recent-votes" {
                        @for v in &recent {
                            li {
                                a href=(vote_url(program, v.id)) { (kind_label(&ctx, v.kind)) " " (vote_subject(v)) }
                                (vote_state_badge(&ctx, v.state))
                            }
                        }
                    }
                }
                section {
                    h3 { a href=(format!("{base}/proposals")) { (ctx.t("incubator.tab.proposals")) } " " span.badge { (proposals.len()) } }
                    ul.list id="proposal-counts" {
                        @for s in ProposalState::ALL {
                            li { (super::proposal_state_label(&ctx, s)) span.badge { (by_state.get(s.as_str()).copied().unwrap_or(0)) } }
                        }
                    }
                    @if !active.is_empty() {
                        h3 { (ctx.t("incubator.active_proposals")) }
                        ul.list {
                            @for p in &active {
                                li { a href=(proposal_url(program, p.number)) { "#" (p.number) " " (p.name) } (proposal_state_badge(&ctx, p.state)) }
                            }
                        }
                    }
                    @if !overdue.is_empty() {
                        h3 { (ctx.t("incubator.overdue_reports")) }
                        ul.list id="overdue-reports" {
                            @for o in &overdue {
                                li {
                                    a href=(format!("{}/reports/{}", project_url(program, &o.project), o.report.id)) { (o.project.name) " · " (crate::views::date(o.report.period_start)) }
                                    span.overdue { @if o.awaiting_signoff { (ctx.t("incubator.awaiting_signoff")) } @else { (ctx.t("incubator.overdue")) } }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

// ---- settings ----

#[derive(Deserialize, Default)]
pub struct ProgramForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, Default)]
pub struct CommitteeForm {
    #[serde(default)]
    team: String,
}

#[derive(Deserialize, Default)]
pub struct TemplateForm {
    #[serde(default)]
    template: String,
}

#[derive(Deserialize, Default)]
pub struct ReportTemplateForm {
    #[serde(default)]
    report_template: String,
}

/// Which settings form was refused, to show it again with what was typed.
enum Refusal<'a> {
    None,
    Program(&'a ProgramForm, &'a Problems),
    Committee(&'a Problems),
    Template(&'a str, &'a Problems),
    ReportTemplate(&'a str, &'a Problems),
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    refusal: Refusal<'_>,
) -> WebResult<Markup> {
    let program = &l.program;
    let teams = state.store.teams_of_org(program.org_id).await?;
    let current_team = teams
        .iter()
        .find(|t| Some(t.id) == program.committee_team_id)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let mut team_options: Vec<(&str, &str)> = vec![("", ctx.t("incubator.no_committee"))];
    team_options.extend(teams.iter().map(|t| (t.name.as_str(), t.name.as_str())));
    let none = Problems::none();
    let stored = ProgramForm {
        name: program.name.clone(),
        description: program.description.clone(),
    };
    let (program_form, program_problems) = match &refusal {
        Refusal::Program(f, p) => (*f, *p),
        _ => (&stored, &none),
    };
    let committee_problems = match &refusal {
        Refusal::Committee(p) => *p,
        _ => &none,
    };
    let template_json = pretty(&program.template);
    let (template_text, template_problems) = match &refusal {
        Refusal::Template(t, p) => (*t, *p),
        _ => (template_json.as_str(), &none),
    };
    let report_json = pretty(&program.report_template);
    let (report_text, report_problems) = match &refusal {
        Refusal::ReportTemplate(t, p) => (*t, *p),
        _ => (report_json.as_str(), &none),
    };
    let base = l.base();
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("incubator.tab.settings"), program.name),
        html! {
            (program_header(ctx, l, ProgramTab::Settings))
            section.card id="program-settings" {
                h3 style="margin-top:0" { (ctx.t("incubator.settings.general")) }
                (problems_box(ctx, program_problems))
                form.stack method="post" action=(format!("{base}/settings")) id="program-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("name", ctx.t("incubator.field.program_name"), &program_form.name).required().render(ctx, &program_problems.fields))
                    (Field::new("description", ctx.t("field.description"), &program_form.description).input(Input::TextArea).render(ctx, &program_problems.fields))
                    div { button.btn.btn-primary type="submit" { (ctx.t("incubator.save")) } }
                }
            }
            section.card id="committee-settings" {
                h3 style="margin-top:0" { (ctx.t("incubator.settings.committee")) }
                p.muted { (ctx.t("incubator.settings.committee_hint")) }
                (problems_box(ctx, committee_problems))
                form.stack method="post" action=(format!("{base}/settings/committee")) id="committee-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("team", ctx.t("incubator.field.committee"), &current_team).input(Input::Select(&team_options)).render(ctx, &committee_problems.fields))
                    div { button.btn.btn-primary type="submit" { (ctx.t("incubator.save")) } }
                }
            }
            section.card id="template-settings" {
                h3 style="margin-top:0" { (ctx.t("incubator.settings.template")) }
                p { a.btn.btn-primary.btn-small href=(format!("{base}/settings/template")) id="template-forms" { (ctx.t("incubator.settings.template_forms")) } }
                p.muted { (ctx.t("incubator.settings.template_json_hint")) }
                (problems_box(ctx, template_problems))
                form.stack method="post" action=(format!("{base}/settings/template")) id="template-form" novalidate {
                    (csrf_input(ctx))
                    div.field.has-error[!template_problems.is_empty()] {
                        label for="f-template" { (ctx.t("incubator.field.template")) }
                        textarea.code-input id="f-template" name="template" rows="30" spellcheck="false" { (template_text) }
                    }
                    div { button.btn.btn-primary type="submit" id="template-save" { (ctx.t("incubator.save_template")) } }
                }
            }
            section.card id="report-template-settings" {
                h3 style="margin-top:0" { (ctx.t("incubator.settings.report_template")) }
                p.muted { (ctx.t("incubator.settings.report_template_hint")) }
                (problems_box(ctx, report_problems))
                form.stack method="post" action=(format!("{base}/settings/reports")) id="report-template-form" novalidate {
                    (csrf_input(ctx))
                    div.field.has-error[!report_problems.is_empty()] {
                        label for="f-report-template" { (ctx.t("incubator.field.report_template")) }
                        textarea.code-input id="f-report-template" name="report_template" rows="16" spellcheck="false" { (report_text) }
                    }
                    div { button.btn.btn-primary type="submit" { (ctx.t("incubator.save")) } }
                }
            }
        },
    ))
}

/// The program, for its owners only (its settings and template pages).
pub(super) async fn load_owner(
    state: &AppState,
    ctx: &Ctx,
    org: &str,
    slug: &str,
) -> WebResult<Loaded> {
    let l = load(state, ctx, org, slug).await?;
    ctx.require_user()?;
    if !l.owner {
        return Err(WebError::Forbidden);
    }
    Ok(l)
}

fn settings_url(program: &Program) -> String {
    format!("{}/settings", super::base(program))
}

pub async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
) -> WebResult<Markup> {
    let l = load_owner(&state, &ctx, &org, &slug).await?;
    settings_page(&state, &ctx, &l, Refusal::None).await
}

pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Form(form): Form<ProgramForm>,
) -> WebResult<Response> {
    let l = load_owner(&state, &ctx, &org, &slug).await?;
    match state
        .forge
        .update_program(
            ctx.actor(),
            &l.program,
            &form.name,
            &form.description,
            now(),
        )
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.saved",
            &settings_url(&p),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(
                settings_page(&state, &ctx, &l, Refusal::Program(&form, &p)).await?,
            ))
        }
    }
}

pub async fn save_committee(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Form(form): Form<CommitteeForm>,
) -> WebResult<Response> {
    let l = load_owner(&state, &ctx, &org, &slug).await?;
    let team = Some(form.team.trim()).filter(|t| !t.is_empty());
    match state
        .forge
        .set_committee(ctx.actor(), &l.program, team, now())
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.saved",
            &settings_url(&p),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(
                settings_page(&state, &ctx, &l, Refusal::Committee(&p)).await?,
            ))
        }
    }
}

pub async fn save_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Form(form): Form<TemplateForm>,
) -> WebResult<Response> {
    let l = load_owner(&state, &ctx, &org, &slug).await?;
    match state
        .forge
        .update_program_template_json(ctx.actor(), &l.program, &form.template, now())
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.template_saved",
            &settings_url(&p),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(
                settings_page(&state, &ctx, &l, Refusal::Template(&form.template, &p)).await?,
            ))
        }
    }
}

pub async fn save_report_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Form(form): Form<ReportTemplateForm>,
) -> WebResult<Response> {
    let l = load_owner(&state, &ctx, &org, &slug).await?;
    let result = state
        .forge
        .update_report_template_json(ctx.actor(), &l.program, &form.report_template, now())
        .await;
    match result {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.saved",
            &settings_url(&p),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(
                settings_page(
                    &state,
                    &ctx,
                    &l,
                    Refusal::ReportTemplate(&form.report_template, &p),
                )
                .await?,
            ))
        }
    }
}

// ---- audit log ----

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    /// A project's slug, to show its entries only.
    #[serde(default)]
    project: String,
}

fn action_label(ctx: &Ctx, action: &str) -> String {
    // Matched by parts: the actions are the store's names, not catalog keys.
    let key = match action.split_once('.').unwrap_or((action, "")) {
        ("program", "created") => "incubator.audit.program_created",
        ("program", "template") => "incubator.audit.program_template",
        ("program", "report_template") => "incubator.audit.program_report_template",
        ("program", "committee") => "incubator.audit.program_committee",
        ("proposal", "created") => "incubator.audit.proposal_created",
        ("proposal", "edited") => "incubator.audit.proposal_edited",
        ("proposal", "state") => "incubator.audit.proposal_state",
        ("vote", "opened") => "incubator.audit.vote_opened",
        ("vote", "closed") => "incubator.audit.vote_closed",
        ("vote", "cancelled") => "incubator.audit.vote_cancelled",
        ("project", "created") => "incubator.audit.project_created",
        ("project", "stage") => "incubator.audit.project_stage",
        ("project", "record") => "incubator.audit.project_record",
        ("roster", "added") => "incubator.audit.roster_added",
        ("roster", "ended") => "incubator.audit.roster_ended",
        ("roster", "removed") => "incubator.audit.roster_removed",
        ("repo", "linked") => "incubator.audit.repo_linked",
        ("repo", "unlinked") => "incubator.audit.repo_unlinked",
        ("report", "submitted") => "incubator.audit.report_submitted",
        ("report", "signed_off") => "incubator.audit.report_signed_off",
        ("checklist", "set") => "incubator.audit.checklist_set",
        ("checklist", "evaluated") => "incubator.audit.checklist_evaluated",
        ("repo", "transferred") => "incubator.audit.repo_transferred",
        ("repo", "transfer_refused") => "incubator.audit.repo_transfer_refused",
        ("release", "published") => "incubator.audit.release_published",
        ("project", "decision") => "incubator.audit.project_decision",
        ("graduation", "recommended") => "incubator.audit.graduation_recommended",
        ("graduation", "resolution_edited") => "incubator.audit.graduation_resolution_edited",
        ("graduation", "submitted") => "incubator.audit.graduation_submitted",
        ("graduation", "decided") => "incubator.audit.graduation_decided",
        _ => return action.to_owned(),
    };
    ctx.t(key).to_owned()
}

/// What an entry changed, in words where the action is a transition.
fn entry_summary(ctx: &Ctx, l: &Loaded, e: &AuditEntry) -> Markup {
    let s = |k: &str| {
        e.detail
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    match e.action.split_once('.').unwrap_or(("", "")) {
        ("proposal", "state") => {
            let state = |v: String| {
                v.parse::<ProposalState>()
                    .map_or(v, |st| super::proposal_state_label(ctx, st).to_owned())
            };
            html! { (state(s("from"))) " → " (state(s("to"))) }
        }
        ("project", "stage") => html! {
            (l.stage_name(&s("from"))) " → " (l.stage_name(&s("to")))
            @if e.detail.get("applied").and_then(|v| v.as_bool()) == Some(false) { " " span.muted { (ctx.t("incubator.audit.not_applied")) } }
            @if e.detail.get("read_only").and_then(|v| v.as_bool()) == Some(true) { " " span.badge { (ctx.t("incubator.read_only")) } }
        },
        ("vote", "closed") => {
            let state = s("state");
            html! {
                @match state.parse::<hatchery_core::incubator::VoteState>() {
                    Ok(v) => { (vote_state_badge(ctx, v)) }
                    Err(_) => { (state) }
                }
            }
        }
        ("vote", "opened") => {
            let kind = s("kind");
            html! {
                @match kind.parse::<hatchery_core::incubator::VoteKind>() {
                    Ok(k) => { (kind_label(ctx, k)) }
                    Err(_) => { (kind) }
                }
                @let target = s("target_stage");
                @if !target.is_empty() { " → " (l.stage_name(&target)) }
            }
        }
        ("project", "created") => html! { (l.stage_name(&s("stage"))) },
        ("checklist", "set") => {
            let status = s("status");
            html! {
                code { (s("item")) } " "
                @match status.parse::<ChecklistStatus>() {
                    Ok(st) => { (super::checklist_status_label(ctx, st)) }
                    Err(_) => { (status) }
                }
            }
        }
        _ => html! {},
    }
}

pub async fn audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Query(q): Query<AuditQuery>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let program = &l.program;
    let projects = state
        .forge
        .program_projects(program)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let filter_project = if q.project.is_empty() {
        None
    } else {
        Some(
            projects
                .iter()
                .find(|p| p.slug.eq_ignore_ascii_case(&q.project))
                .ok_or(WebError::NotFound)?,
        )
    };
    let entries = state
        .forge
        .program_audit_log(
            program,
            AuditFilter {
                project_id: filter_project.map(|p| p.id),
                ..AuditFilter::default()
            },
            AUDIT_LIMIT,
        )
        .await
        .map_err(|e| fail(&ctx, e))?;
    let proposals = state.store.proposals_of_program(program.id, None).await?;
    let numbers: HashMap<i64, i64> = proposals.iter().map(|p| (p.id, p.number)).collect();
    let by_id: HashMap<i64, &hatchery_store::Project> =
        projects.iter().map(|p| (p.id, p)).collect();
    Ok(page(
        &ctx,
        &format!("{} · {}", ctx.t("incubator.tab.audit"), program.name),
        html! {
            (program_header(&ctx, &l, ProgramTab::Audit))
            p.muted { (ctx.t("incubator.audit.intro")) }
            @if let Some(p) = filter_project {
                p { (ctx.tf("incubator.audit.filtered", &[("project", &p.name)])) " " a href=(format!("{}/audit", l.base())) { (ctx.t("incubator.audit.all")) } }
            }
            @if entries.is_empty() { div.empty { (ctx.t("incubator.audit.none")) } }
            div.table-wrap {
                table.data id="audit-log" {
                    thead { tr {
                        th { (ctx.t("incubator.col.when")) }
                        th { (ctx.t("incubator.col.who")) }
                        th { (ctx.t("incubator.col.what")) }
                        th { (ctx.t("incubator.col.about")) }
                        th { (ctx.t("incubator.col.reference")) }
                    } }
                    tbody {
                        @for e in &entries {
                            tr id=(format!("audit-{}", e.id)) data-action=(e.action) {
                                td { (at_ms(e.created_at)) }
                                td { @match &e.actor { Some(p) => { (person_link(&ctx, Some(p))) }, None => { span.muted { (ctx.t("incubator.audit.system")) } } } }
                                td {
                                    strong { (action_label(&ctx, &e.action)) } " " (entry_summary(&ctx, &l, e))
                                    " " (super::evidence::audit_detail(&ctx, &l, e))
                                }
                                td {
                                    @if let Some(p) = e.project_id.and_then(|id| by_id.get(&id)) { a href=(project_url(program, p)) { (p.name) } " " }
                                    @if let Some(n) = e.proposal_id.and_then(|id| numbers.get(&id)) { a href=(proposal_url(program, *n)) { "#" (n) } " " }
                                    @if let Some(v) = e.vote_id { a href=(vote_url(program, v)) { (ctx.tf("incubator.vote_n", &[("n", &v.to_string())])) } }
                                }
                                td {
                                    @if e.reference.starts_with("https://") || e.reference.starts_with("http://") {
                                        a href=(e.reference) rel="nofollow noopener" { (e.reference) }
                                    } @else { (e.reference) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}
