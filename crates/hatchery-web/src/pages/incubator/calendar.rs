//! The program's reports page: its board calendar (the reporting groups and their
//! months), who reports this month and next with their reports, and for the committee each
//! project's reporting group and sponsor.

use axum::extract::{Path, State};
use axum::response::Response;
use hatchery_core::Action;
use hatchery_core::incubator::Month;
use hatchery_service::incubator::{MonthReport, ProjectRecordChange};
use hatchery_store::Project;
use maud::{Markup, html};
use serde::Deserialize;

use super::projects::is_overdue;
use super::{
    Loaded, Problems, ProgramTab, explain, fail, load, may, now, problems_box, program_header,
    project_url, refused, report_state_badge,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::WebResult;
use crate::form::{Form, csrf_input};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::{date, page};

/// "March 2025" / "2025年3月".
pub fn month_name(lang: Lang, m: Month) -> String {
    lang.tf(
        "incubator.calendar.month_year",
        &[
            ("month", month_of_year(lang, m.month)),
            ("year", &m.year.to_string()),
        ],
    )
}

/// The name of month `m` (1..=12) of the year.
pub fn month_of_year(lang: Lang, m: u32) -> &'static str {
    const KEYS: [&str; 12] = [
        "incubator.calendar.m1",
        "incubator.calendar.m2",
        "incubator.calendar.m3",
        "incubator.calendar.m4",
        "incubator.calendar.m5",
        "incubator.calendar.m6",
        "incubator.calendar.m7",
        "incubator.calendar.m8",
        "incubator.calendar.m9",
        "incubator.calendar.m10",
        "incubator.calendar.m11",
        "incubator.calendar.m12",
    ];
    let i = usize::try_from(m).unwrap_or(1).clamp(1, 12) - 1;
    lang.t(KEYS[i])
}

fn group_label(ctx: &Ctx, g: usize) -> String {
    ctx.tf("incubator.calendar.group_n", &[("n", &g.to_string())])
}

fn month_table(ctx: &Ctx, l: &Loaded, id: &str, rows: &[MonthReport], at: i64) -> Markup {
    html! {
        @if rows.is_empty() {
            div.empty id=(format!("{id}-none")) { (ctx.t("incubator.calendar.nobody")) }
        } @else {
            table.data id=(id) {
                thead { tr {
                    th { (ctx.t("incubator.col.project")) }
                    th { (ctx.t("incubator.calendar.col_group")) }
                    th { (ctx.t("incubator.col.due")) }
                    th { (ctx.t("incubator.col.state")) }
                } }
                tbody {
                    @for r in rows {
                        tr data-project=(r.project.slug) {
                            td {
                                a href=(project_url(&l.program, &r.project)) { (r.project.name) }
                                @if r.monthly { " " span.badge { (ctx.t("incubator.calendar.monthly")) } }
                            }
                            td { @if let Some(g) = r.group { (group_label(ctx, g)) } }
                            @match &r.report {
                                Some(report) => {
                                    td { (date(report.due_at)) }
                                    td {
                                        a href=(format!("{}/reports/{}", project_url(&l.program, &r.project), report.id)) {
                                            (report_state_badge(ctx, report.state))
                                        }
                                        @if is_overdue(l, report, at) { " " span.overdue { (ctx.t("incubator.overdue")) } }
                                    }
                                }
                                None => {
                                    td { span.muted { "—" } }
                                    td { span.muted { (ctx.t("incubator.calendar.not_yet")) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn calendar_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    problems: &Problems,
) -> WebResult<Markup> {
    let forge = &state.forge;
    let at = now();
    let this = Month::of(at);
    let next = this.next();
    let this_rows = forge
        .reports_of_month(&l.program, this, at)
        .await
        .map_err(|e| fail(ctx, e))?;
    let next_rows = forge
        .reports_of_month(&l.program, next, at)
        .await
        .map_err(|e| fail(ctx, e))?;
    let edit = may(state, ctx, l, Action::EditProjectRecord, None, None).await?;
    let projects: Vec<Project> = if edit {
        forge
            .program_projects(&l.program)
            .await
            .map_err(|e| fail(ctx, e))?
            .into_iter()
            .filter(|p| p.ended_at.is_none())
            .collect()
    } else {
        Vec::new()
    };
    let calendar = l.program.template.report_cadence.calendar.as_ref();
    let base = l.base();
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("incubator.calendar.title"), l.program.name),
        html! {
            (program_header(ctx, l, ProgramTab::Reports))
            h3 { (ctx.t("incubator.calendar.title")) }
            (problems_box(ctx, problems))
            @match calendar {
                Some(c) => {
                    p.muted id="calendar-intro" {
                        (ctx.tf("incubator.calendar.intro_groups", &[("n", &c.monthly_first.to_string()), ("day", &c.due_day.to_string())]))
                    }
                    table.data id="calendar-groups" {
                        thead { tr {
                            th { (ctx.t("incubator.calendar.col_group")) }
                            th { (ctx.t("incubator.calendar.col_months")) }
                        } }
                        tbody {
                            @for (i, months) in c.groups.iter().enumerate() {
                                tr data-group=(i + 1) {
                                    td { (group_label(ctx, i + 1)) }
                                    td {
                                        @for (j, m) in months.iter().enumerate() {
                                            @if j > 0 { ", " }
                                            (month_of_year(ctx.lang, u32::from(*m)))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                None => { p.muted id="calendar-intro" { (ctx.t("incubator.calendar.intro_start")) } }
            }
            section id="this-month" {
                h3 { (ctx.tf("incubator.calendar.this_month", &[("month", &month_name(ctx.lang, this))])) }
                p {
                    a.btn.btn-small href=(format!("{base}/reports/combined?period={this}")) id="combined-link" {
                        (ctx.t("incubator.combined.open"))
                    }
                }
                (month_table(ctx, l, "reporting-this-month", &this_rows, at))
            }
            section id="next-month" {
                h3 { (ctx.tf("incubator.calendar.next_month", &[("month", &month_name(ctx.lang, next))])) }
                (month_table(ctx, l, "reporting-next-month", &next_rows, at))
            }
            @if edit && !projects.is_empty() {
                section id="project-records" {
                    h3 { (ctx.t("incubator.calendar.record_title")) }
                    p.muted { (ctx.tf("incubator.calendar.record_intro", &[("sponsor", l.program.default_sponsor())])) }
                    table.data {
                        thead { tr {
                            th { (ctx.t("incubator.col.project")) }
                            th { (ctx.t("incubator.calendar.col_group")) }
                            th { (ctx.t("incubator.calendar.col_sponsor")) }
                            th {}
                        } }
                        tbody {
                            @for p in &projects {
                                @let form_id = format!("record-{}", p.slug);
                                tr data-project=(p.slug) {
                                    td { a href=(project_url(&l.program, p)) { (p.name) } }
                                    td {
                                        @match calendar {
                                            Some(c) => {
                                                @let current = l.program.reporting_group_of(p);
                                                select name="reporting_group" form=(form_id) aria-label=(ctx.t("incubator.calendar.col_group")) {
                                                    @for g in 1..=c.groups.len() {
                                                        option value=(g) selected[current == Some(g)] { (group_label(ctx, g)) }
                                                    }
                                                }
                                            }
                                            None => { span.muted { "—" } }
                                        }
                                    }
                                    td {
                                        input type="text" name="sponsor" form=(form_id) value=(p.sponsor)
                                            placeholder=(l.program.default_sponsor())
                                            aria-label=(ctx.t("incubator.calendar.col_sponsor")) maxlength="60";
                                    }
                                    td {
                                        form.inline-form id=(form_id) method="post" action=(format!("{base}/reports/record/{}", p.slug)) {
                                            (csrf_input(ctx))
                                            button.btn.btn-small type="submit" { (ctx.t("incubator.calendar.save")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    calendar_page(&state, &ctx, &l, &Problems::none()).await
}

#[derive(Deserialize, Default)]
pub struct RecordForm {
    #[serde(default)]
    reporting_group: Option<String>,
    #[serde(default)]
    sponsor: String,
}

pub async fn save_record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
    Form(form): Form<RecordForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    ctx.require_user()?;
    let project = super::projects::project_of(&state, &ctx, &l, &project).await?;
    let group = match form.reporting_group.as_deref().map(str::trim) {
        None | Some("") => None,
        // Not a number: a group the calendar cannot have, refused as such.
        Some(g) => Some(g.parse::<i64>().unwrap_or(0)),
    };
    let change = ProjectRecordChange {
        reporting_group: group,
        sponsor: Some(form.sponsor),
    };
    match state
        .forge
        .edit_project_record(ctx.actor(), &l.program, &project, &change, now())
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.project_record",
            &format!("{}/reports", l.base()),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(calendar_page(&state, &ctx, &l, &p).await?))
        }
    }
}
