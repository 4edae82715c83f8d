//! More of the incubator's exports: the JSON export's JSON Schema (at a URL that does not
//! depend on the program) and the CSV for spreadsheets. The JSON and podlings.xml exports
//! are in `api::incubator`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use hatchery_store::now_ms;

use super::incubator::program_for;
use crate::api::error::{ApiErrorBody, ApiResult};
use crate::api::extract::ApiCaller;
use crate::api::route::ApiRoutes;
use crate::api_route;
use crate::pages::incubator::exports::{EXPORT_SCHEMA, csv_response, no_cache};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(export_schema))
        .routes(api_route!(export_csv))
}

/// The JSON Schema of the incubator's JSON export (`export.json`, `projects.json`).
#[utoipa::path(get, path = "/incubator/export.schema.json",
    tag = "incubator", operation_id = "incubatorExportSchema",
    security(()),
    responses((status = 200, body = Object, content_type = "application/schema+json")))]
pub async fn export_schema() -> Response {
    no_cache(EXPORT_SCHEMA.into_response(), "application/schema+json")
}

/// The program's projects for a spreadsheet: one row per project (slug, name, status,
/// stage, sponsor, reporting group, dates, champion, mentors, committers, the
/// repositories the caller may read, resolution, description).
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/export.csv",
    tag = "incubator", operation_id = "incubatorExportCsv",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = String, content_type = "text/csv"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn export_csv(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
) -> ApiResult<Response> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let text = state
        .forge
        .export_csv(caller.actor(), &program, now_ms())
        .await?;
    Ok(csv_response(text, &program.slug))
}
