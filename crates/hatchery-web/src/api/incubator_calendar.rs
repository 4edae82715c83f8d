//! The board calendar under `/orgs/{org}/incubator/programs/{program}/reports/...`: who
//! reports in a month, with their reports (`Forge::reports_of_month`, as the program's
//! reports page shows it). A project's reporting group is changed with `PATCH` on the
//! project.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use hatchery_api_types::incubator::{IncubatorCalendarEntry, IncubatorCalendarMonth};
use hatchery_core::incubator::Month;
use hatchery_store::now_ms;
use serde::Deserialize;
use utoipa::IntoParams;

use super::incubator::{program_for, report_json};
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiQuery};
use crate::api::route::ApiRoutes;
use crate::api_route;
use crate::i18n::Lang;
use crate::pages::incubator::combined;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(calendar_month))
        .routes(api_route!(combined_report))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`; the current month when left out.
    pub month: Option<String>,
}

/// The month `q` names, or the current one; 422 for anything but `YYYY-MM`.
pub(super) fn month_param(q: Option<&str>, now: i64) -> ApiResult<Month> {
    match q {
        None => Ok(Month::of(now)),
        Some(s) => Month::parse(s.trim())
            .ok_or_else(|| ApiError::unprocessable(format!("month {s:?}: expected YYYY-MM"))),
    }
}

/// Who reports in a month of the program's board calendar (its reporting groups, or
/// periods from each project's start), with their reports of that month.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/reports/calendar",
    tag = "incubator", operation_id = "incubatorReportCalendar",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"), MonthQuery),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorCalendarMonth),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "`month` is not YYYY-MM")))]
pub async fn calendar_month(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<IncubatorCalendarMonth>> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let now = now_ms();
    let month = month_param(q.month.as_deref(), now)?;
    let rows = state.forge.reports_of_month(&program, month, now).await?;
    let mut projects = Vec::new();
    for r in rows {
        let report = match &r.report {
            Some(report) => {
                Some(report_json(&state, &caller, &program, &r.project, report, now).await?)
            }
            None => None,
        };
        projects.push(IncubatorCalendarEntry {
            project: r.project.slug.clone(),
            name: r.project.name.clone(),
            reporting_group: r.group.and_then(|g| i64::try_from(g).ok()),
            monthly: r.monthly,
            report,
        });
    }
    let calendar = program.template.report_cadence.calendar.as_ref();
    Ok(Json(IncubatorCalendarMonth {
        month: month.to_string(),
        groups: calendar.map(|c| c.groups.clone()).unwrap_or_default(),
        monthly_first: calendar.map_or(0, |c| c.monthly_first),
        due_day: calendar.map(|c| c.due_day),
        projects,
    }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The board's month, `YYYY-MM`; the current month when left out.
    pub period: Option<String>,
}

/// The combined report of a month, ready to send to the board: a summary, every submitted
/// report of the projects due that month with its sign-offs, and the projects that did not
/// report (Markdown, in the language of `Accept-Language`, English by default).
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/reports/combined",
    tag = "incubator", operation_id = "incubatorCombinedReport",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"), PeriodQuery),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = String, content_type = "text/markdown"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "`period` is not YYYY-MM")))]
pub async fn combined_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path((org, slug)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult<Response> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let now = now_ms();
    let month = month_param(q.period.as_deref(), now)?;
    let rows = state.forge.reports_of_month(&program, month, now).await?;
    let lang = Lang::of_request(&headers);
    let text = combined::markdown(lang, &program, month, &rows);
    Ok(combined::markdown_response(
        text,
        &format!("{}-{month}.md", program.slug),
    ))
}
