//! A project's graduation through a board: the recommendation a passed graduation vote
//! made, its board resolution (edited, drafted again from the project's data in another
//! language, sent), and the board's decision (approved or rejected, the meeting's date and
//! a reference), after which the project is graduated. Earlier recommendations stay listed.

use axum::extract::{Path, State};
use axum::response::Response;
use hatchery_core::Action;
use hatchery_core::incubator::{
    Board, GraduationEvent, GraduationState, RESOLUTION_LANGUAGES, graduation_transition,
};
use hatchery_store::{Graduation, Project};
use maud::{Markup, html};
use serde::Deserialize;

use super::projects::project_of;
use super::{
    Loaded, Problems, ProgramTab, at_ms, explain, fail, load, may, now, person_link, problems_box,
    program_header, project_url, refused, stage_badge, vote_url,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, Input, csrf_input};
use crate::state::AppState;
use crate::views::page;

pub fn graduation_url(l: &Loaded, project: &Project) -> String {
    format!("{}/graduation", project_url(&l.program, project))
}

pub fn state_badge(ctx: &Ctx, s: GraduationState) -> Markup {
    let (key, class) = match s {
        GraduationState::Recommended => (
            "incubator.graduation.state.recommended",
            "state state-active",
        ),
        GraduationState::Submitted => {
            ("incubator.graduation.state.submitted", "state state-active")
        }
        GraduationState::Approved => ("incubator.graduation.state.approved", "state state-passed"),
        GraduationState::Rejected => ("incubator.graduation.state.rejected", "state state-failed"),
    };
    html! { span class=(class) data-state=(s.as_str()) { (ctx.t(key)) } }
}

pub fn board_label(ctx: &Ctx, b: Board) -> &'static str {
    ctx.t(match b {
        Board::Board => "incubator.graduation.board.board",
        Board::GoverningBoard => "incubator.graduation.board.governing_board",
    })
}

/// The forms of the page, as refused or blank.
#[derive(Default)]
struct Drafts<'a> {
    resolution: Option<(&'a ResolutionForm, &'a Problems)>,
    decision: Option<(&'a DecisionForm, &'a Problems)>,
    other: Option<&'a Problems>,
}

async fn graduation_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
    drafts: Drafts<'_>,
) -> WebResult<Markup> {
    let list = state
        .forge
        .project_graduations(project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let edit = may(state, ctx, l, Action::EditResolution, Some(project), None).await?;
    let record = may(state, ctx, l, Action::RecordDecision, Some(project), None).await?;
    let g_template = l.program.template.graduation;
    let url = graduation_url(l, project);
    let none = Problems::none();
    let blank_res = ResolutionForm::default();
    let blank_dec = DecisionForm::default();
    let (res_form, res_problems) = drafts.resolution.unwrap_or((&blank_res, &none));
    let (dec_form, dec_problems) = drafts.decision.unwrap_or((&blank_dec, &none));
    let other = drafts.other.unwrap_or(&none);
    let languages: Vec<(&str, &str)> = RESOLUTION_LANGUAGES
        .iter()
        .map(|l| {
            (
                *l,
                ctx.t(if *l == "zh-CN" {
                    "incubator.graduation.lang_zh_cn"
                } else {
                    "incubator.graduation.lang_en"
                }),
            )
        })
        .collect();
    let outcomes: Vec<(&str, &str)> = vec![
        ("approved", ctx.t("incubator.graduation.state.approved")),
        ("rejected", ctx.t("incubator.graduation.state.rejected")),
    ];
    let steps = html! {
        ol id="graduation-steps" {
            li { (ctx.t("incubator.graduation.step.vote")) }
            @if g_template.due_diligence { li { (ctx.t("incubator.graduation.step.due_diligence")) } }
            @if let Some(board) = g_template.board {
                @if g_template.resolution { li { (ctx.t("incubator.graduation.step.resolution")) } }
                li { (ctx.tf("incubator.graduation.step.board", &[("board", board_label(ctx, board))])) }
            } @else {
                li { (ctx.t("incubator.graduation.step.direct")) }
            }
        }
    };
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("incubator.graduation.title"), project.name),
        html! {
            (program_header(ctx, l, ProgramTab::None))
            h2 id="graduation-title" {
                (ctx.t("incubator.graduation.title")) " · "
                a href=(project_url(&l.program, project)) { (project.name) } " " (stage_badge(l, &project.stage))
            }
            section id="graduation-path" {
                h3 { (ctx.t("incubator.graduation.path")) }
                (steps)
            }
            (problems_box(ctx, other))
            @if list.is_empty() { div.empty id="no-graduation" { (ctx.t("incubator.graduation.none")) } }
            @for (i, g) in list.iter().enumerate() {
                @let latest = i == 0;
                @let may_edit = latest && edit && graduation_transition(g.state, GraduationEvent::EditResolution, g_template.resolution).is_ok();
                @let may_submit = latest && edit && graduation_transition(g.state, GraduationEvent::Submit, g_template.resolution).is_ok();
                @let may_decide = latest && record && graduation_transition(g.state, GraduationEvent::Decide { approved: true }, g_template.resolution).is_ok();
                @let g_url = format!("{url}/{}", g.id);
                section.card id=(format!("graduation-{}", g.id)) data-state=(g.state.as_str()) {
                    h3 style="margin-top:0" {
                        (state_badge(ctx, g.state)) " "
                        (ctx.tf("incubator.graduation.heading", &[("board", board_label(ctx, g.board)), ("stage", l.stage_name(&g.target_stage))]))
                    }
                    dl.facts {
                        @if let Some(v) = g.vote_id {
                            dt { (ctx.t("incubator.graduation.vote")) } dd { a href=(vote_url(&l.program, v)) { (ctx.tf("incubator.vote_n", &[("n", &v.to_string())])) } }
                        }
                        dt { (ctx.t("incubator.graduation.recommended_at")) } dd { (at_ms(g.created_at)) }
                        @if let Some(at) = g.submitted_at {
                            dt { (ctx.t("incubator.graduation.submitted_at")) } dd id="submitted" { (at_ms(at)) " " (person_link(ctx, g.submitted_by.as_ref())) }
                        }
                        @if let Some(date) = &g.decision_date {
                            dt { (ctx.t("incubator.graduation.decision_date")) } dd id="decision-date" { (date) }
                            dt { (ctx.t("incubator.field.reference")) }
                            dd id="decision-reference" {
                                @if g.reference.starts_with("https://") || g.reference.starts_with("http://") {
                                    a href=(g.reference) rel="nofollow noopener" { (g.reference) }
                                } @else { (g.reference) }
                            }
                            dt { (ctx.t("incubator.graduation.decided_by")) } dd { (person_link(ctx, g.decided_by.as_ref())) }
                        }
                    }
                    @if g_template.resolution || !g.resolution.is_empty() {
                        h4 { (ctx.t("incubator.graduation.resolution")) }
                        @if may_edit {
                            @let text = if res_form.resolution.is_empty() { g.resolution.as_str() } else { res_form.resolution.as_str() };
                            @let chair = if res_form.resolution.is_empty() { g.chair.as_str() } else { res_form.chair.as_str() };
                            (problems_box(ctx, res_problems))
                            form.stack method="post" action=(format!("{g_url}/resolution")) id="resolution-form" novalidate {
                                (csrf_input(ctx))
                                input type="hidden" name="version" value=(g.version);
                                (Field::new("resolution", ctx.t("incubator.graduation.resolution"), text).input(Input::TextArea).required().hint(ctx.t("incubator.graduation.resolution_hint")).render(ctx, &res_problems.fields))
                                (Field::new("chair", ctx.t("incubator.graduation.chair"), chair).render(ctx, &res_problems.fields))
                                div { button.btn.btn-primary type="submit" id="resolution-save" { (ctx.t("action.save")) } }
                            }
                            form.stack method="post" action=(format!("{g_url}/redraft")) id="redraft-form" {
                                (csrf_input(ctx))
                                input type="hidden" name="version" value=(g.version);
                                input type="hidden" name="chair" value=(g.chair);
                                (Field::new("language", ctx.t("incubator.graduation.language"), ctx.lang.tag()).input(Input::Select(&languages)).render(ctx, &res_problems.fields))
                                div { button.btn type="submit" id="redraft-submit" { (ctx.t("incubator.graduation.redraft")) } }
                            }
                        } @else {
                            @if latest { (problems_box(ctx, res_problems)) }
                            pre.resolution id="resolution-text" { (g.resolution) }
                            @if !g.chair.is_empty() { p { (ctx.t("incubator.graduation.chair")) ": " span id="chair" { (g.chair) } } }
                        }
                        @if may_submit {
                            form method="post" action=(format!("{g_url}/submit")) id="submit-form" {
                                (csrf_input(ctx))
                                input type="hidden" name="version" value=(g.version);
                                p.muted { (ctx.tf("incubator.graduation.submit_hint", &[("board", board_label(ctx, g.board))])) }
                                button.btn.btn-primary type="submit" id="submit-resolution" { (ctx.t("incubator.graduation.submit")) }
                            }
                        }
                    }
                    @if may_decide {
                        h4 { (ctx.tf("incubator.graduation.record", &[("board", board_label(ctx, g.board))])) }
                        (problems_box(ctx, dec_problems))
                        form.stack method="post" action=(format!("{g_url}/decision")) id="board-decision-form" novalidate {
                            (csrf_input(ctx))
                            (Field::new("outcome", ctx.t("incubator.graduation.outcome"), &dec_form.outcome).input(Input::Select(&outcomes)).render(ctx, &dec_problems.fields))
                            (Field::new("decision_date", ctx.t("incubator.graduation.decision_date"), &dec_form.decision_date).required().hint(ctx.t("incubator.graduation.date_hint")).render(ctx, &dec_problems.fields))
                            (Field::new("reference", ctx.t("incubator.field.reference"), &dec_form.reference).required().hint(ctx.t("incubator.graduation.reference_hint")).render(ctx, &dec_problems.fields))
                            div { button.btn.btn-danger type="submit" id="board-decision-submit" { (ctx.t("incubator.record")) } }
                        }
                    } @else if latest {
                        (problems_box(ctx, dec_problems))
                        @if g.state.is_pending() {
                            p.muted id="waiting" { (ctx.tf("incubator.graduation.waiting", &[("board", board_label(ctx, g.board))])) }
                        }
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
) -> WebResult<(Loaded, Project)> {
    let l = load(state, ctx, org, slug).await?;
    let project = project_of(state, ctx, &l, project).await?;
    Ok((l, project))
}

async fn graduation_of(
    state: &AppState,
    ctx: &Ctx,
    project: &Project,
    id: &str,
) -> WebResult<Graduation> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state
        .forge
        .graduation(project, id)
        .await
        .map_err(|e| fail(ctx, e))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let (l, project) = loaded(&state, &ctx, &org, &slug, &project).await?;
    graduation_page(&state, &ctx, &l, &project, Drafts::default()).await
}

#[derive(Deserialize, Default)]
pub struct ResolutionForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    chair: String,
    #[serde(default)]
    language: String,
}

fn version_of(v: &str) -> i64 {
    v.trim().parse().unwrap_or(0)
}

/// After a change: back to the page with a message, or the refusal to show on it.
fn outcome(
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
    result: Result<Graduation, hatchery_service::incubator::IncubatorError>,
    done: &'static str,
) -> WebResult<Result<Response, Problems>> {
    match result {
        Ok(_) => Ok(Ok(flash_redirect(
            ctx,
            FlashKind::Success,
            done,
            &graduation_url(l, project),
        ))),
        Err(e) => Ok(Err(explain(ctx, e)?)),
    }
}

pub async fn save_resolution(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    Form(form): Form<ResolutionForm>,
) -> WebResult<Response> {
    let (l, project) = loaded(&state, &ctx, &org, &slug, &project).await?;
    let g = graduation_of(&state, &ctx, &project, &id).await?;
    ctx.require_user()?;
    let result = state
        .forge
        .edit_resolution(
            ctx.actor(),
            &l.program,
            &project,
            &g,
            version_of(&form.version),
            &form.resolution,
            &form.chair,
            now(),
        )
        .await;
    match outcome(
        &ctx,
        &l,
        &project,
        result,
        "incubator.flash.resolution_saved",
    )? {
        Ok(r) => Ok(r),
        Err(p) => {
            let drafts = Drafts {
                resolution: Some((&form, &p)),
                ..Drafts::default()
            };
            Ok(refused(
                graduation_page(&state, &ctx, &l, &project, drafts).await?,
            ))
        }
    }
}

pub async fn redraft(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    Form(form): Form<ResolutionForm>,
) -> WebResult<Response> {
    let (l, project) = loaded(&state, &ctx, &org, &slug, &project).await?;
    let g = graduation_of(&state, &ctx, &project, &id).await?;
    ctx.require_user()?;
    let result = state
        .forge
        .redraft_resolution(
            ctx.actor(),
            &l.program,
            &project,
            &g,
            version_of(&form.version),
            &form.language,
            &form.chair,
            now(),
        )
        .await;
    match outcome(
        &ctx,
        &l,
        &project,
        result,
        "incubator.flash.resolution_saved",
    )? {
        Ok(r) => Ok(r),
        Err(p) => {
            let drafts = Drafts {
                other: Some(&p),
                ..Drafts::default()
            };
            Ok(refused(
                graduation_page(&state, &ctx, &l, &project, drafts).await?,
            ))
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    Form(form): Form<ResolutionForm>,
) -> WebResult<Response> {
    let (l, project) = loaded(&state, &ctx, &org, &slug, &project).await?;
    let g = graduation_of(&state, &ctx, &project, &id).await?;
    ctx.require_user()?;
    let result = state
        .forge
        .submit_resolution(
            ctx.actor(),
            &l.program,
            &project,
            &g,
            version_of(&form.version),
            now(),
        )
        .await;
    match outcome(
        &ctx,
        &l,
        &project,
        result,
        "incubator.flash.resolution_submitted",
    )? {
        Ok(r) => Ok(r),
        Err(p) => {
            let drafts = Drafts {
                other: Some(&p),
                ..Drafts::default()
            };
            Ok(refused(
                graduation_page(&state, &ctx, &l, &project, drafts).await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    /// `approved` or `rejected`.
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    decision_date: String,
    #[serde(default)]
    reference: String,
}

pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    Form(form): Form<DecisionForm>,
) -> WebResult<Response> {
    let (l, project) = loaded(&state, &ctx, &org, &slug, &project).await?;
    let g = graduation_of(&state, &ctx, &project, &id).await?;
    ctx.require_user()?;
    let approved = match form.outcome.as_str() {
        "approved" => true,
        "rejected" => false,
        _ => {
            let mut p = Problems::none();
            p.add_field(&ctx, "outcome", "error.incubator.invalid");
            let body = graduation_page(
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
            return Ok(refused(body));
        }
    };
    let result = state
        .forge
        .record_board_decision(
            ctx.actor(),
            &l.program,
            &project,
            &g,
            approved,
            &form.decision_date,
            &form.reference,
            now(),
        )
        .await;
    match outcome(
        &ctx,
        &l,
        &project,
        result,
        "incubator.flash.board_decision_recorded",
    )? {
        Ok(r) => Ok(r),
        Err(p) => {
            let drafts = Drafts {
                decision: Some((&form, &p)),
                ..Drafts::default()
            };
            Ok(refused(
                graduation_page(&state, &ctx, &l, &project, drafts).await?,
            ))
        }
    }
}
