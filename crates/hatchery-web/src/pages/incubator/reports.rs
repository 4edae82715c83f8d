//! A project's report: its period and due date, the figures from the forge (only those of
//! repositories the visitor may read), the sections (edited while a draft), submission and
//! the sign-offs of mentors or the committee.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use hatchery_core::Action;
use hatchery_render::{DropRelative, markdown};
use hatchery_store::{Project, Report, ReportState};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::projects::{is_overdue, project_of};
use super::{
    Loaded, Problems, ProgramTab, explain, fail, load, may, now, person_link, problems_box,
    program_header, project_url, refused, report_state_badge, time_ago_ms,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{self, Form, csrf_input};
use crate::state::AppState;
use crate::views::{date, page};

async fn report_of(state: &AppState, ctx: &Ctx, project: &Project, id: &str) -> WebResult<Report> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state
        .forge
        .report(project, id)
        .await
        .map_err(|e| fail(ctx, e))
}

fn report_url(l: &Loaded, project: &Project, report: &Report) -> String {
    format!("{}/reports/{}", project_url(&l.program, project), report.id)
}

#[derive(Default)]
struct Drafts<'a> {
    sections: Option<&'a BTreeMap<String, String>>,
    signoff: &'a str,
}

async fn report_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
    report: &Report,
    problems: &Problems,
    drafts: Drafts<'_>,
) -> WebResult<Markup> {
    let forge = &state.forge;
    let at = now();
    let edit = may(state, ctx, l, Action::EditReport, Some(project), None).await?;
    let sign = may(state, ctx, l, Action::SignOffReport, Some(project), None).await?;
    let figures = forge
        .report_figures(ctx.actor(), report)
        .await
        .map_err(|e| fail(ctx, e))?;
    let signoffs = forge
        .report_signoffs(report)
        .await
        .map_err(|e| fail(ctx, e))?;
    let url = report_url(l, project, report);
    let template = &l.program.report_template;
    let draft = report.state == ReportState::Draft;
    let sections = drafts.sections.unwrap_or(&report.sections);
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("incubator.report"), project.name),
        html! {
            (program_header(ctx, l, ProgramTab::None))
            h2 {
                a href=(project_url(&l.program, project)) { (project.name) } " · "
                (ctx.t("incubator.report")) " " (date(report.period_start)) " – " (date(report.period_end))
            }
            div.issue-meta id="report-meta" data-state=(report.state.as_str()) {
                (report_state_badge(ctx, report.state)) " "
                (ctx.t("incubator.col.due")) " " (date(report.due_at))
                @if is_overdue(l, report, at) { " " span.overdue id="report-overdue" { (ctx.t("incubator.overdue")) } }
                @if let (Some(by), Some(when)) = (&report.submitted_by, report.submitted_at) {
                    " · " (ctx.t("incubator.submitted_by")) " " (person_link(ctx, Some(by))) " " (time_ago_ms(ctx, when))
                }
            }
            @if template.signoff_required { p.muted { (ctx.t("incubator.signoff_required")) } }
            (problems_box(ctx, problems))
            section.card id="figures" {
                h3 style="margin-top:0" { (ctx.t("incubator.figures")) }
                @match &figures {
                    None => { p.muted { (ctx.t("incubator.no_figures")) } }
                    Some(f) => {
                        table.data {
                            thead { tr {
                                th { (ctx.t("incubator.col.repo")) }
                                th { (ctx.t("incubator.col.commits")) }
                                th { (ctx.t("incubator.col.contributors")) }
                                th { (ctx.t("incubator.col.tags")) }
                            } }
                            tbody {
                                @for r in &f.repos {
                                    tr {
                                        td { code { (r.repo) } }
                                        td.num { (r.commits) }
                                        td.num { (r.contributors) }
                                        td.num { (r.tags) }
                                    }
                                }
                                tr id="figures-total" {
                                    th { (ctx.t("incubator.total")) }
                                    td.num { (f.commits) }
                                    td.num { (f.contributors) }
                                    td.num { (f.tags) }
                                }
                            }
                        }
                        dl.facts {
                            dt { (ctx.t("incubator.col.new_contributors")) } dd { (f.new_contributors) }
                            dt { (ctx.t("incubator.col.issues_opened")) } dd { (f.issues_opened) }
                            dt { (ctx.t("incubator.col.issues_closed")) } dd { (f.issues_closed) }
                            dt { (ctx.t("incubator.col.issues_unanswered")) } dd { (f.issues_unanswered) }
                            dt { (ctx.t("incubator.col.median_response")) }
                            dd { @match f.median_first_response_ms { Some(ms) => { (super::hours(ctx, ms)) }, None => { span.muted { "—" } } } }
                            dt { (ctx.t("incubator.col.pulls_opened")) } dd id="figures-pulls-opened" { (f.pulls_opened) }
                            dt { (ctx.t("incubator.col.pulls_merged")) } dd id="figures-pulls-merged" { (f.pulls_merged) }
                            dt { (ctx.t("incubator.col.pulls_unanswered")) } dd { (f.pulls_unanswered) }
                            dt { (ctx.t("incubator.col.median_pull_response")) }
                            dd id="figures-pull-response" { @match f.median_pull_first_response_ms { Some(ms) => { (super::hours(ctx, ms)) }, None => { span.muted { "—" } } } }
                            dt { (ctx.t("incubator.col.merged_pull_authors")) }
                            dd id="figures-pull-authors" {
                                @if f.merged_pull_authors.is_empty() { span.muted { "—" } }
                                @for (i, a) in f.merged_pull_authors.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (a.login) " (" (a.merged) ")"
                                }
                            }
                        }
                    }
                }
                @if draft && edit {
                    form.inline-form method="post" action=(format!("{url}/prefill")) {
                        (csrf_input(ctx))
                        button.btn.btn-small type="submit" id="prefill" { (ctx.t("incubator.prefill")) }
                    }
                }
            }
            @if draft && edit {
                form.stack method="post" action=(url) id="report-form" novalidate {
                    (csrf_input(ctx))
                    input type="hidden" name="version" value=(report.version);
                    @for s in &template.sections {
                        @let name = format!("section_{}", s.key);
                        @let id = format!("f-{name}");
                        div.field {
                            label for=(id) { (s.title.get(l.lang)) }
                            textarea id=(id) name=(name) { (sections.get(&s.key).map(String::as_str).unwrap_or("")) }
                            @if !s.help.is_empty() { div.hint { (s.help.get(l.lang)) } }
                        }
                    }
                    div.buttons {
                        button.btn type="submit" name="action" value="save" id="report-save" { (ctx.t("incubator.save")) }
                        button.btn.btn-primary type="submit" name="action" value="submit" id="report-submit" { (ctx.t("incubator.submit_report")) }
                    }
                }
            } @else {
                @for s in &template.sections {
                    section.report-section id=(format!("section-{}", s.key)) {
                        h3 { (s.title.get(l.lang)) }
                        @match report.sections.get(&s.key).filter(|v| !v.trim().is_empty()) {
                            Some(text) => { div.markdown-body { (PreEscaped(markdown(text, &DropRelative))) } }
                            None => { p.muted { (ctx.t("incubator.empty_section")) } }
                        }
                    }
                }
            }
            section id="signoffs" {
                h3 { (ctx.t("incubator.signoffs")) " " span.badge { (signoffs.len()) } }
                @if signoffs.is_empty() { div.empty { (ctx.t("incubator.no_signoffs")) } }
                ul.list {
                    @for s in &signoffs {
                        li id=(format!("signoff-{}", s.user.name)) {
                            span { (person_link(ctx, Some(&s.user))) " " span.muted { (time_ago_ms(ctx, s.signed_at)) } }
                            @if !s.comment.is_empty() { span { (s.comment) } }
                        }
                    }
                }
                @if sign && !draft {
                    form.stack method="post" action=(format!("{url}/signoff")) id="signoff-form" {
                        (csrf_input(ctx))
                        div.field {
                            label for="f-signoff" { (ctx.t("incubator.col.comment")) }
                            textarea id="f-signoff" name="comment" { (drafts.signoff) }
                        }
                        div { button.btn.btn-primary type="submit" id="signoff-submit" { (ctx.t("incubator.sign_off")) } }
                    }
                }
            }
        },
    ))
}

async fn loaded(
    state: &AppState,
    ctx: &Ctx,
    org: &str,
    slug: &str,
    project: &str,
    id: &str,
) -> WebResult<(Loaded, Project, Report)> {
    let l = load(state, ctx, org, slug).await?;
    let project = project_of(state, ctx, &l, project).await?;
    let report = report_of(state, ctx, &project, id).await?;
    Ok((l, project, report))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
) -> WebResult<Markup> {
    let (l, project, report) = loaded(&state, &ctx, &org, &slug, &project, &id).await?;
    report_page(
        &state,
        &ctx,
        &l,
        &project,
        &report,
        &Problems::none(),
        Drafts::default(),
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (l, project, report) = loaded(&state, &ctx, &org, &slug, &project, &id).await?;
    ctx.require_user()?;
    let get = |k: &str| form::value(&pairs, k);
    let version: i64 = get("version").parse().unwrap_or(report.version);
    let submit = get("action") == "submit";
    let mut sections = BTreeMap::new();
    for s in &l.program.report_template.sections {
        sections.insert(s.key.clone(), get(&format!("section_{}", s.key)).to_owned());
    }
    let forge = &state.forge;
    let saved = forge
        .edit_report(
            ctx.actor(),
            &l.program,
            &project,
            &report,
            version,
            &sections,
            now(),
        )
        .await;
    let result = match saved {
        Ok(r) if submit => {
            forge
                .submit_report(ctx.actor(), &l.program, &project, &r, now())
                .await
        }
        other => other,
    };
    match result {
        Ok(r) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            if submit {
                "incubator.flash.report_submitted"
            } else {
                "incubator.flash.saved"
            },
            &report_url(&l, &project, &r),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            let current = forge
                .report(&project, report.id)
                .await
                .map_err(|e| fail(&ctx, e))?;
            let drafts = Drafts {
                sections: Some(&sections),
                ..Drafts::default()
            };
            Ok(refused(
                report_page(&state, &ctx, &l, &project, &current, &p, drafts).await?,
            ))
        }
    }
}

pub async fn prefill(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
) -> WebResult<Response> {
    let (l, project, report) = loaded(&state, &ctx, &org, &slug, &project, &id).await?;
    ctx.require_user()?;
    match state
        .forge
        .prefill_report(
            ctx.actor(),
            &l.program,
            &project,
            &report,
            &|m| super::figures::summary(ctx.lang, m),
            now(),
        )
        .await
    {
        Ok(r) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.prefilled",
            &report_url(&l, &project, &r),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(
                report_page(&state, &ctx, &l, &project, &report, &p, Drafts::default()).await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SignoffForm {
    #[serde(default)]
    comment: String,
}

pub async fn sign_off(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    Form(form): Form<SignoffForm>,
) -> WebResult<Response> {
    let (l, project, report) = loaded(&state, &ctx, &org, &slug, &project, &id).await?;
    ctx.require_user()?;
    match state
        .forge
        .sign_off_report(
            ctx.actor(),
            &l.program,
            &project,
            &report,
            &form.comment,
            now(),
        )
        .await
    {
        Ok(r) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.signed_off",
            &report_url(&l, &project, &r),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            let drafts = Drafts {
                signoff: &form.comment,
                ..Drafts::default()
            };
            Ok(refused(
                report_page(&state, &ctx, &l, &project, &report, &p, drafts).await?,
            ))
        }
    }
}
