//! A project's maturity checklist, under
//! `/orgs/{org}/incubator/programs/{program}/projects/{slug}/checklist`: reading it,
//! recording a person's judgement of an item, and evaluating the automatic items now. The
//! same use cases as the web's (`Forge::project_checklist`, `set_manual_item`,
//! `request_evaluation`): the project's mentors and the committee judge items (any status
//! for a manual item; only `exempt` or `not_applicable`, with a reason, for an automatic
//! one); they, the organization's owners and the report writers may ask for an evaluation.
//! Evidence about repositories the caller cannot read is left out. Reading needs
//! `read:organization`; writing `write:organization` and a signed-in caller.

use axum::Json;
use axum::extract::{Path, State};
use hatchery_api_types::incubator::IncubatorChecklistResult;
use hatchery_service::incubator::manual_evidence;
use hatchery_store::{ChecklistStatus, Program, Project, now_ms};
use serde::Deserialize;
use utoipa::ToSchema;

use super::incubator::{READ, WRITE, checklist_json, project_for};
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson};
use crate::api::route::ApiRoutes;
use crate::api_route;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(get_checklist))
        .routes(api_route!(judge_item))
        .routes(api_route!(evaluate_checklist))
}

async fn answer(
    state: &AppState,
    caller: &ApiCaller,
    program: &Program,
    project: &Project,
) -> ApiResult<Json<Vec<IncubatorChecklistResult>>> {
    let readable = state.forge.project_repos(caller.actor(), project).await?;
    Ok(Json(
        checklist_json(state, program, project, &readable).await?,
    ))
}

/// Get a project's checklist: every item of the program's checklist with the project's
/// latest result.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/checklist",
    tag = "incubator", operation_id = "incubatorGetChecklist",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorChecklistResult]),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_checklist(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<IncubatorChecklistResult>>> {
    caller.need(READ)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    answer(&state, &caller, &program, &project).await
}

/// A person's judgement of a checklist item.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IncubatorJudgementOption {
    /// `pass`, `fail`, `not_applicable` or `exempt`; an automatic item takes only the
    /// last two.
    pub status: String,
    /// Required for `exempt` and `not_applicable`.
    #[serde(default)]
    pub reason: String,
    /// What the judgement rests on (a link, a thread); kept as the item's evidence.
    #[serde(default)]
    pub note: String,
}

/// Judge a checklist item (the project's mentors and the committee).
#[utoipa::path(put, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/checklist/{code}",
    tag = "incubator", operation_id = "incubatorJudgeChecklistItem",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("code" = String, Path, description = "the item's code, as the program numbers it (`CD10`)")),
    request_body = IncubatorJudgementOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorChecklistResult], description = "The checklist with the judgement"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "No such item, an unknown status, a status an automatic item does not take, or a missing reason")))]
pub async fn judge_item(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, code)): Path<(String, String, String, String)>,
    ApiJson(body): ApiJson<IncubatorJudgementOption>,
) -> ApiResult<Json<Vec<IncubatorChecklistResult>>> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let status: ChecklistStatus = body.status.trim().parse().map_err(|_| {
        ApiError::unprocessable(format!(
            "status: {:?} is not one of pass, fail, not_applicable, exempt",
            body.status
        ))
    })?;
    state
        .forge
        .set_manual_item(
            caller.actor(),
            &program,
            &project,
            &code,
            status,
            &body.reason,
            manual_evidence(&body.note),
            now_ms(),
        )
        .await?;
    answer(&state, &caller, &program, &project).await
}

/// Evaluate the checklist's automatic items now (they are also evaluated after every push
/// and on a schedule): the organization's owners, the project's mentors, the committee and
/// the report writers.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/checklist/evaluate",
    tag = "incubator", operation_id = "incubatorEvaluateChecklist",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorChecklistResult], description = "The checklist, evaluated"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn evaluate_checklist(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<IncubatorChecklistResult>>> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    state
        .forge
        .request_evaluation(caller.actor(), &program, &project, now_ms())
        .await?;
    answer(&state, &caller, &program, &project).await
}
