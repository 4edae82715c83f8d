//! Writing a project's reports, under
//! `/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}/...`: saving a
//! draft's sections, prefilling it with the forge's figures, submitting it, and signing it
//! off. (Reports are created by the program's calendar: listing a project's reports makes
//! the ones that are due.) The same use cases as the web's (`Forge::edit_report`,
//! `prefill_report`, `submit_report`, `sign_off_report`), so the same rules: the project's
//! roster and the committee write and submit; its mentors and the committee sign off. 403
//! for people who may not, 409 for a save made from an old version, 422 for a step the
//! report's state does not allow. Writing needs `write:organization` and a signed-in
//! caller.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use hatchery_api_types::incubator::IncubatorReport;
use hatchery_store::{Program, Project, Report, now_ms};
use serde::Deserialize;
use utoipa::ToSchema;

use super::incubator::{WRITE, project_for, report_json};
use crate::api::error::{ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson};
use crate::api::path_id;
use crate::api::route::ApiRoutes;
use crate::api_route;
use crate::i18n::Lang;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(edit_report))
        .routes(api_route!(prefill_report))
        .routes(api_route!(submit_report))
        .routes(api_route!(sign_off_report))
}

/// The program, project and report a change is about, for a signed-in caller.
async fn report_to_change(
    state: &AppState,
    caller: &ApiCaller,
    (org, slug, project, id): &(String, String, String, String),
) -> ApiResult<(Program, Project, Report)> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(state, caller, org, slug, project).await?;
    let report = state.forge.report(&project, path_id(id)?).await?;
    Ok((program, project, report))
}

async fn answer(
    state: &AppState,
    caller: &ApiCaller,
    program: &Program,
    project: &Project,
    report: &Report,
) -> ApiResult<Json<IncubatorReport>> {
    Ok(Json(
        report_json(state, caller, program, project, report, now_ms()).await?,
    ))
}

/// A draft's sections to save.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditIncubatorReportOption {
    /// The `version` the change was made from; 409 when the report changed since.
    pub version: i64,
    /// Section key of the program's report template -> Markdown; sections left out are
    /// emptied, keys the template does not have are refused.
    pub sections: BTreeMap<String, String>,
}

/// Save a draft report's sections (the project's roster and the committee).
#[utoipa::path(patch, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}",
    tag = "incubator", operation_id = "incubatorEditReport",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the report")),
    request_body = EditIncubatorReportOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorReport, description = "The report as saved"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "It changed since `version`"),
        (status = 422, body = ApiErrorBody, description = "Not a draft any more, or a section the template does not have")))]
pub async fn edit_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String, String)>,
    ApiJson(body): ApiJson<EditIncubatorReportOption>,
) -> ApiResult<Json<IncubatorReport>> {
    let (program, project, report) = report_to_change(&state, &caller, &path).await?;
    let saved = state
        .forge
        .edit_report(
            caller.actor(),
            &program,
            &project,
            &report,
            body.version,
            &body.sections,
            now_ms(),
        )
        .await?;
    answer(&state, &caller, &program, &project, &saved).await
}

/// Prefill a draft report with the period's figures from the forge (commits, contributors,
/// issues, pull requests, releases), and its empty sections with what the forge knows.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}/prefill",
    tag = "incubator", operation_id = "incubatorPrefillReport",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the report")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorReport, description = "The report, prefilled"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "Not a draft any more")))]
pub async fn prefill_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(path): Path<(String, String, String, String)>,
) -> ApiResult<Json<IncubatorReport>> {
    let (program, project, report) = report_to_change(&state, &caller, &path).await?;
    let lang = Lang::of_request(&headers);
    let filled = state
        .forge
        .prefill_report(
            caller.actor(),
            &program,
            &project,
            &report,
            &|m| crate::pages::incubator::figures::summary(lang, m),
            now_ms(),
        )
        .await?;
    answer(&state, &caller, &program, &project, &filled).await
}

/// Submit a draft report as it stands (the project's roster and the committee).
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}/submit",
    tag = "incubator", operation_id = "incubatorSubmitReport",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the report")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorReport, description = "The report, submitted"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "Submitted already, or changed meanwhile")))]
pub async fn submit_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String, String)>,
) -> ApiResult<Json<IncubatorReport>> {
    let (program, project, report) = report_to_change(&state, &caller, &path).await?;
    let submitted = state
        .forge
        .submit_report(caller.actor(), &program, &project, &report, now_ms())
        .await?;
    answer(&state, &caller, &program, &project, &submitted).await
}

/// A sign-off.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IncubatorSignoffOption {
    /// The shepherd's or mentor's note to the committee; may be empty.
    #[serde(default)]
    pub comment: String,
}

/// Sign a submitted report off (the project's mentors and the committee).
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}/signoffs",
    tag = "incubator", operation_id = "incubatorSignOffReport",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the report")),
    request_body = IncubatorSignoffOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorReport, description = "The report with the sign-off"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "The report is not submitted yet")))]
pub async fn sign_off_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String, String)>,
    ApiJson(body): ApiJson<IncubatorSignoffOption>,
) -> ApiResult<Json<IncubatorReport>> {
    let (program, project, report) = report_to_change(&state, &caller, &path).await?;
    let signed = state
        .forge
        .sign_off_report(
            caller.actor(),
            &program,
            &project,
            &report,
            &body.comment,
            now_ms(),
        )
        .await?;
    answer(&state, &caller, &program, &project, &signed).await
}
