//! Setting up and changing an organization's incubation programs, under
//! `/orgs/{org}/incubator/programs`: creating one from a preset, changing its name,
//! description and committee, and replacing its template or report template as JSON (the
//! same JSON the web's settings page edits, and `GET .../programs/{program}` returns). The
//! use cases are the web's (`Forge::create_program`, `edit_program`,
//! `update_program_template_json`, `update_report_template_json`): organization owners
//! only (403 for others), 409 for a slug the organization's programs hold already, 422 for
//! invalid input — a template is checked whole, and every problem is listed in the error's
//! `errors`. Writing needs `write:organization` and a signed-in caller.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hatchery_api_types::incubator::IncubatorProgram;
use hatchery_core::incubator::Preset;
use hatchery_service::incubator::ProgramChanges;
use hatchery_store::{Program, now_ms};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::incubator::{WRITE, committee};
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson};
use crate::api::route::ApiRoutes;
use crate::api::urls;
use crate::api_route;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(create_program))
        .routes(api_route!(edit_program))
        .routes(api_route!(replace_template))
        .routes(api_route!(replace_report_template))
}

/// A program as the API answers after a change: with its templates.
async fn program_json(state: &AppState, program: &Program) -> ApiResult<Json<IncubatorProgram>> {
    let committee = committee(state, program).await?;
    Ok(Json(
        IncubatorProgram::of(&urls(state), program, committee).with_template(program),
    ))
}

/// The program `slug` of `org`, for a change by a signed-in caller.
async fn program_to_change(
    state: &AppState,
    caller: &ApiCaller,
    org: &str,
    slug: &str,
) -> ApiResult<Program> {
    caller.user_with(WRITE)?;
    Ok(state.forge.program(org, slug).await?)
}

/// A program to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateIncubatorProgramOption {
    /// Its short id in the organization's URLs.
    pub slug: String,
    pub name: String,
    /// The template it starts from: `apache`, `cncf`, `lf_ai_data` or `blank`.
    pub preset: String,
}

/// Create a program from a preset (the organization's owners). It has no committee until
/// one is chosen (`PATCH`).
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs", tag = "incubator",
    operation_id = "incubatorCreateProgram",
    params(("org" = String, Path, description = "name of the organization")),
    request_body = CreateIncubatorProgramOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = IncubatorProgram, description = "The program, with its templates"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "The organization has a program with this slug"),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_program(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<CreateIncubatorProgramOption>,
) -> ApiResult<(StatusCode, Json<IncubatorProgram>)> {
    caller.user_with(WRITE)?;
    let preset = Preset::ALL
        .into_iter()
        .find(|p| p.as_str() == body.preset.trim())
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "preset: {:?} is not one of apache, cncf, lf_ai_data, blank",
                body.preset
            ))
        })?;
    let program = state
        .forge
        .create_program(
            caller.actor(),
            &org,
            &body.slug,
            &body.name,
            preset,
            now_ms(),
        )
        .await?;
    Ok((StatusCode::CREATED, program_json(&state, &program).await?))
}

/// What to change in a program; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditIncubatorProgramOption {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The name of the organization's team that votes; `""` for none.
    #[serde(default)]
    pub committee: Option<String>,
}

/// Change a program's name, description or committee (the organization's owners).
#[utoipa::path(patch, path = "/orgs/{org}/incubator/programs/{program}", tag = "incubator",
    operation_id = "incubatorEditProgram",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program")),
    request_body = EditIncubatorProgramOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProgram, description = "The program, with its templates"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "An invalid name or description, or no such team")))]
pub async fn edit_program(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
    ApiJson(body): ApiJson<EditIncubatorProgramOption>,
) -> ApiResult<Json<IncubatorProgram>> {
    let program = program_to_change(&state, &caller, &org, &slug).await?;
    let changes = ProgramChanges {
        name: body.name,
        description: body.description,
        committee: body
            .committee
            .map(|team| Some(team).filter(|t| !t.trim().is_empty())),
    };
    let program = state
        .forge
        .edit_program(caller.actor(), &program, &changes, now_ms())
        .await?;
    program_json(&state, &program).await
}

/// Replace a program's template (stages, vote rules, report cadence, proposal form,
/// checklist, license policy) with the JSON given, in the shape `template` has when the
/// program is read. Refused whole, with every problem in `errors`, when it is invalid or
/// drops a stage a project is in. Votes already open keep the rule they opened with.
#[utoipa::path(put, path = "/orgs/{org}/incubator/programs/{program}/template",
    tag = "incubator", operation_id = "incubatorReplaceTemplate",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program")),
    request_body(content = Object, description = "The template, as `template` of a program read"),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProgram, description = "The program, with its new template"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "Not a template, or an invalid one: `errors` lists every problem")))]
pub async fn replace_template(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<IncubatorProgram>> {
    let program = program_to_change(&state, &caller, &org, &slug).await?;
    let program = state
        .forge
        .update_program_template_json(caller.actor(), &program, &body.to_string(), now_ms())
        .await?;
    program_json(&state, &program).await
}

/// Replace a program's report template (the report sections and whether a mentor must
/// sign each report off) with the JSON given, in the shape `report_template` has when the
/// program is read.
#[utoipa::path(put, path = "/orgs/{org}/incubator/programs/{program}/report_template",
    tag = "incubator", operation_id = "incubatorReplaceReportTemplate",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program")),
    request_body(content = Object, description = "The report template, as `report_template` of a program read"),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProgram, description = "The program, with its new report template"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "Not a report template, or an invalid one")))]
pub async fn replace_report_template(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<IncubatorProgram>> {
    let program = program_to_change(&state, &caller, &org, &slug).await?;
    let program = state
        .forge
        .update_report_template_json(caller.actor(), &program, &body.to_string(), now_ms())
        .await?;
    program_json(&state, &program).await
}
