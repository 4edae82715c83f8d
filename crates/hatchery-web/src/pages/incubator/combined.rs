//! The combined report of a month: every project due to report to the board that month in
//! one Markdown document, in the shape of the Apache Incubator's board report — a
//! summary, the projects' reports in order with their sign-offs, then the projects that
//! failed to report. Shown as a page, downloaded as `text/markdown`, and served by the API
//! (`api::incubator_calendar`), all from [`markdown`] over `Forge::reports_of_month`.
//!
//! Only submitted reports are included (a draft is the project's until it is sent), and
//! only their sections: the figures about private repositories stay on the report's page.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hatchery_core::incubator::Month;
use hatchery_render::{DropRelative, markdown as render};
use hatchery_service::incubator::MonthReport;
use hatchery_store::{Program, ReportState};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::calendar::month_name;
use super::{ProgramTab, fail, load, now, program_header};
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::{date, page};

/// Whether a project's report of the month was sent.
fn reported(r: &MonthReport) -> bool {
    r.report
        .as_ref()
        .is_some_and(|r| r.state != ReportState::Draft)
}

/// The month's combined report as Markdown, in `lang`.
pub fn markdown(lang: Lang, program: &Program, month: Month, rows: &[MonthReport]) -> String {
    let month_text = month_name(lang, month);
    let (sent, missing): (Vec<&MonthReport>, Vec<&MonthReport>) =
        rows.iter().partition(|r| reported(r));
    let signed = sent
        .iter()
        .filter(|r| {
            r.report
                .as_ref()
                .is_some_and(|r| r.state == ReportState::SignedOff)
        })
        .count();
    let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}\n",
        lang.tf(
            "incubator.combined.heading",
            &[("program", &program.name), ("month", &month_text)]
        )
    );
    let _ = writeln!(out, "## {}\n", lang.t("incubator.combined.summary"));
    let _ = writeln!(
        out,
        "{}\n",
        lang.tf(
            "incubator.combined.summary_text",
            &[
                (
                    "due",
                    &lang.count(
                        n(rows.len()),
                        "incubator.combined.due_one",
                        "incubator.combined.due"
                    )
                ),
                ("sent", &n(sent.len()).to_string()),
                ("signed", &n(signed).to_string()),
                ("missing", &n(missing.len()).to_string()),
            ]
        )
    );
    for r in &sent {
        let _ = writeln!(out, "- {}", r.project.name);
    }
    if !sent.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "## {}\n", lang.t("incubator.combined.reports"));
    if sent.is_empty() {
        let _ = writeln!(out, "{}\n", lang.t("incubator.combined.none_sent"));
    }
    for r in &sent {
        let Some(report) = &r.report else { continue };
        let _ = writeln!(out, "### {}\n", r.project.name);
        if !r.project.description.trim().is_empty() {
            let _ = writeln!(out, "{}\n", r.project.description.trim());
        }
        let mut facts = vec![lang.tf(
            "incubator.combined.sponsor",
            &[("sponsor", program.sponsor_of(&r.project))],
        )];
        if let Some(g) = r.group {
            facts.push(lang.tf("incubator.calendar.group_n", &[("n", &g.to_string())]));
        }
        if r.monthly {
            facts.push(lang.t("incubator.calendar.monthly").to_owned());
        }
        facts.push(lang.tf(
            "incubator.combined.period",
            &[
                ("from", &date(report.period_start)),
                ("to", &date(report.period_end)),
            ],
        ));
        let _ = writeln!(out, "{}\n", facts.join(" · "));
        for s in &program.report_template.sections {
            let text = report
                .sections
                .get(&s.key)
                .map(|t| t.trim())
                .filter(|t| !t.is_empty());
            let _ = writeln!(out, "#### {}\n", s.title.get(lang.tag()));
            let _ = writeln!(
                out,
                "{}\n",
                text.unwrap_or(lang.t("incubator.empty_section"))
            );
        }
        let _ = writeln!(out, "#### {}\n", lang.t("incubator.signoffs"));
        if r.signoffs.is_empty() {
            let _ = writeln!(out, "{}\n", lang.t("incubator.no_signoffs"));
        } else {
            for s in &r.signoffs {
                let comment = s.comment.trim();
                if comment.is_empty() {
                    let _ = writeln!(out, "- [X] {} ({})", s.user.name, date(s.signed_at));
                } else {
                    let _ = writeln!(
                        out,
                        "- [X] {} ({}): {}",
                        s.user.name,
                        date(s.signed_at),
                        comment.replace('\n', " ")
                    );
                }
            }
            out.push('\n');
        }
    }
    let _ = writeln!(out, "## {}\n", lang.t("incubator.combined.missing"));
    if missing.is_empty() {
        let _ = writeln!(out, "{}", lang.t("incubator.combined.none_missing"));
    }
    for r in &missing {
        let due = r
            .report
            .as_ref()
            .map(|r| date(r.due_at))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- {} ({})",
            r.project.name,
            lang.tf("incubator.calendar.due", &[("date", &due)])
        );
    }
    out
}

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    period: Option<String>,
}

/// The month `?period=YYYY-MM` names, or the current one; a malformed one is a bad
/// request.
fn period(q: &PeriodQuery) -> WebResult<Month> {
    match q.period.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Month::of(now())),
        Some(s) => Month::parse(s).ok_or(WebError::BadRequest("error.incubator.period")),
    }
}

async fn document(
    state: &AppState,
    ctx: &Ctx,
    org: &str,
    slug: &str,
    q: &PeriodQuery,
) -> WebResult<(super::Loaded, Month, String)> {
    let l = load(state, ctx, org, slug).await?;
    let month = period(q)?;
    let rows = state
        .forge
        .reports_of_month(&l.program, month, now())
        .await
        .map_err(|e| fail(ctx, e))?;
    let text = markdown(ctx.lang, &l.program, month, &rows);
    Ok((l, month, text))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Query(q): Query<PeriodQuery>,
) -> WebResult<Markup> {
    let (l, month, text) = document(&state, &ctx, &org, &slug, &q).await?;
    let base = l.base();
    Ok(page(
        &ctx,
        &format!("{} · {}", ctx.t("incubator.combined.title"), l.program.name),
        html! {
            (program_header(&ctx, &l, ProgramTab::Reports))
            div.buttons {
                a.btn href=(format!("{base}/reports/combined?period={}", month.previous())) id="combined-previous" {
                    "← " (month_name(ctx.lang, month.previous()))
                }
                a.btn href=(format!("{base}/reports/combined?period={}", month.next())) id="combined-next" {
                    (month_name(ctx.lang, month.next())) " →"
                }
                a.btn.btn-primary href=(format!("{base}/reports/combined.md?period={month}")) id="combined-download" download {
                    (ctx.t("incubator.combined.download"))
                }
            }
            article.markdown-body id="combined" { (PreEscaped(render(&text, &DropRelative))) }
        },
    ))
}

pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Query(q): Query<PeriodQuery>,
) -> WebResult<Response> {
    let (l, month, text) = document(&state, &ctx, &org, &slug, &q).await?;
    Ok(markdown_response(
        text,
        &format!("{}-{month}.md", l.program.slug),
    ))
}

/// A Markdown document to save as `file_name` (a program's slug and a month: no quotes).
pub fn markdown_response(text: String, file_name: &str) -> Response {
    let mut r = text.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
