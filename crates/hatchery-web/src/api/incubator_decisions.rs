//! The incubator's decisions about a project, under
//! `/orgs/{org}/incubator/programs/{program}/projects/{slug}/...`: opening a vote on it
//! (a stage change, a committer or PPMC election, a vote of the program's own kinds), and
//! its graduation through a board (the recommendations, the resolution's edits and
//! sending, the board's decision). The same use cases as the web's, so the same rules and
//! refusals: 403 for people who may not, 409 when the thing decided is already decided or
//! open, 422 for invalid input. Writing needs `write:organization` and a signed-in caller.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hatchery_api_types::incubator::{IncubatorGraduation, IncubatorProject, IncubatorVote};
use hatchery_core::incubator::VoteKind;
use hatchery_service::incubator::{PersonInput, ProjectVote, VoteOn};
use hatchery_store::{Graduation, Program, Project, now_ms};
use serde::Deserialize;
use utoipa::ToSchema;

use super::incubator::{READ, WRITE, project_for, project_json, vote_json_of};
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson};
use crate::api::route::ApiRoutes;
use crate::api::{path_id, urls};
use crate::api_route;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(open_project_vote))
        .routes(api_route!(record_decision))
        .routes(api_route!(list_graduations))
        .routes(api_route!(get_graduation, edit_graduation))
        .routes(api_route!(submit_resolution))
        .routes(api_route!(record_board_decision))
}

/// Someone to elect: an account here, or a name for someone without one.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct IncubatorPersonOption {
    /// Their account name here; empty for someone without one.
    #[serde(default)]
    pub username: String,
    /// The name to show; defaults to the account's display name.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub affiliation: String,
}

/// A vote to open on a project.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OpenProjectVoteOption {
    /// `advance_stage`, `graduate` or `retire` (with `to_stage`); `committer` or
    /// `ppmc_member` (with `person`); `custom` (with `custom_kind` and `title`).
    pub kind: String,
    /// The stage a stage vote moves the project to.
    #[serde(default)]
    pub to_stage: Option<String>,
    /// A link to the document voted on; required for graduation where the program asks
    /// for due diligence (CNCF).
    #[serde(default)]
    pub document_url: Option<String>,
    /// The person an election is about.
    #[serde(default)]
    pub person: Option<IncubatorPersonOption>,
    /// The key of the program's own vote kind.
    #[serde(default)]
    pub custom_kind: Option<String>,
    /// The question of a vote of the program's own kind.
    #[serde(default)]
    pub title: Option<String>,
}

/// Open a vote on a project: a stage change (the committee), a committer or PPMC election
/// or a vote of the program's own kinds (the committee, or the project's people who vote
/// on that kind). The electorate is frozen now.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/votes",
    tag = "incubator", operation_id = "incubatorOpenProjectVote",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    request_body = OpenProjectVoteOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = IncubatorVote, description = "The vote, open"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "A vote on this is already open, or the project waits for a board"),
        (status = 422, body = ApiErrorBody)))]
pub async fn open_project_vote(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<OpenProjectVoteOption>,
) -> ApiResult<(StatusCode, Json<IncubatorVote>)> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let kind: VoteKind = body
        .kind
        .parse()
        .map_err(|_| ApiError::unprocessable(format!("kind: unknown vote kind {:?}", body.kind)))?;
    let document = body.document_url.as_deref().unwrap_or_default();
    let now = now_ms();
    let vote = match kind {
        VoteKind::AdvanceStage | VoteKind::Graduate | VoteKind::Retire => {
            let to_stage = body
                .to_stage
                .as_deref()
                .ok_or_else(|| ApiError::unprocessable("to_stage: required"))?;
            let on = VoteOn::Project {
                project: &project,
                kind,
                to_stage,
                document_url: document,
            };
            state
                .forge
                .open_vote(caller.actor(), &program, on, now)
                .await?
        }
        VoteKind::Committer | VoteKind::PpmcMember => {
            let p = body
                .person
                .as_ref()
                .ok_or_else(|| ApiError::unprocessable("person: required"))?;
            let person = PersonInput {
                username: p.username.clone(),
                name: p.name.clone(),
                affiliation: p.affiliation.clone(),
            };
            state
                .forge
                .open_project_vote(
                    caller.actor(),
                    &program,
                    &project,
                    ProjectVote::Election {
                        kind,
                        person: &person,
                    },
                    now,
                )
                .await?
        }
        VoteKind::Custom => {
            let key = body
                .custom_kind
                .as_deref()
                .ok_or_else(|| ApiError::unprocessable("custom_kind: required"))?;
            state
                .forge
                .open_project_vote(
                    caller.actor(),
                    &program,
                    &project,
                    ProjectVote::Custom {
                        key,
                        title: body.title.as_deref().unwrap_or_default(),
                        document_url: document,
                    },
                    now,
                )
                .await?
        }
        VoteKind::AcceptProposal | VoteKind::Release => {
            return Err(ApiError::unprocessable(
                "kind: proposals and releases are voted on from the proposal and the release",
            ));
        }
    };
    let json = vote_json_of(&state, &caller, &program, &vote, now).await?;
    Ok((StatusCode::CREATED, Json(json)))
}

fn graduation_json(
    state: &AppState,
    program: &Program,
    project: &Project,
    g: &Graduation,
) -> IncubatorGraduation {
    IncubatorGraduation::of(&urls(state), program, project, g)
}

/// List a project's recommendations to graduate, newest first.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations",
    tag = "incubator", operation_id = "incubatorListGraduations",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorGraduation], description = "The recommendations"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_graduations(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<IncubatorGraduation>>> {
    caller.need(READ)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let list = state.forge.project_graduations(&project).await?;
    Ok(Json(
        list.iter()
            .map(|g| graduation_json(&state, &program, &project, g))
            .collect(),
    ))
}

async fn graduation_for(
    state: &AppState,
    caller: &ApiCaller,
    org: &str,
    slug: &str,
    project: &str,
    id: &str,
) -> ApiResult<(Program, Project, Graduation)> {
    let (program, project) = project_for(state, caller, org, slug, project).await?;
    let g = state.forge.graduation(&project, path_id(id)?).await?;
    Ok((program, project, g))
}

/// Get a recommendation to graduate, with its resolution.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations/{id}",
    tag = "incubator", operation_id = "incubatorGetGraduation",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the recommendation")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorGraduation, description = "The recommendation"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_graduation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
) -> ApiResult<Json<IncubatorGraduation>> {
    caller.need(READ)?;
    let (program, project, g) = graduation_for(&state, &caller, &org, &slug, &project, &id).await?;
    Ok(Json(graduation_json(&state, &program, &project, &g)))
}

/// A change of a recommendation's resolution.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditGraduationOption {
    /// The `version` the change starts from: a change over an older one is refused (409).
    pub version: i64,
    /// The new text. Leave out with `redraft_language` to draft it again.
    #[serde(default)]
    pub resolution: Option<String>,
    /// The chair the resolution names.
    #[serde(default)]
    pub chair: Option<String>,
    /// Draft the resolution again from the project's data in this language (`en`,
    /// `zh-CN`), naming `chair` (or the committee's first member).
    #[serde(default)]
    pub redraft_language: Option<String>,
}

/// Edit a recommended project's board resolution, or draft it again from the project's
/// data. The committee, the organization's owners and the project's management
/// committee; only until the resolution is sent.
#[utoipa::path(patch, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations/{id}",
    tag = "incubator", operation_id = "incubatorEditGraduation",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the recommendation")),
    request_body = EditGraduationOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorGraduation, description = "The recommendation as saved"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "Changed meanwhile, sent or decided"),
        (status = 422, body = ApiErrorBody)))]
pub async fn edit_graduation(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    ApiJson(body): ApiJson<EditGraduationOption>,
) -> ApiResult<Json<IncubatorGraduation>> {
    caller.user_with(WRITE)?;
    let (program, project, g) = graduation_for(&state, &caller, &org, &slug, &project, &id).await?;
    let chair = body.chair.as_deref().unwrap_or(&g.chair);
    let after = match (&body.redraft_language, &body.resolution) {
        (Some(language), None) => {
            state
                .forge
                .redraft_resolution(
                    caller.actor(),
                    &program,
                    &project,
                    &g,
                    body.version,
                    language,
                    body.chair.as_deref().unwrap_or_default(),
                    now_ms(),
                )
                .await?
        }
        (None, resolution) => {
            state
                .forge
                .edit_resolution(
                    caller.actor(),
                    &program,
                    &project,
                    &g,
                    body.version,
                    resolution.as_deref().unwrap_or(&g.resolution),
                    chair,
                    now_ms(),
                )
                .await?
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::unprocessable(
                "resolution: give a text or a redraft_language, not both",
            ));
        }
    };
    Ok(Json(graduation_json(&state, &program, &project, &after)))
}

/// The version of a resolution being sent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubmitResolutionOption {
    /// The `version` read: what is sent is exactly that text.
    pub version: i64,
}

/// Send a recommended project's resolution to the board: its text is final from now.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations/{id}/submit",
    tag = "incubator", operation_id = "incubatorSubmitResolution",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the recommendation")),
    request_body = SubmitResolutionOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorGraduation, description = "The recommendation, submitted"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "Changed meanwhile, sent or decided"),
        (status = 422, body = ApiErrorBody)))]
pub async fn submit_resolution(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    ApiJson(body): ApiJson<SubmitResolutionOption>,
) -> ApiResult<Json<IncubatorGraduation>> {
    caller.user_with(WRITE)?;
    let (program, project, g) = graduation_for(&state, &caller, &org, &slug, &project, &id).await?;
    let after = state
        .forge
        .submit_resolution(
            caller.actor(),
            &program,
            &project,
            &g,
            body.version,
            now_ms(),
        )
        .await?;
    Ok(Json(graduation_json(&state, &program, &project, &after)))
}

/// A board's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BoardDecisionOption {
    pub approved: bool,
    /// The date of the meeting, `YYYY-MM-DD`.
    pub decision_date: String,
    /// Where the decision is recorded (the minutes' address).
    pub reference: String,
}

/// Record the board's decision on a recommendation: approval graduates the project.
/// Organization owners; once.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations/{id}/decision",
    tag = "incubator", operation_id = "incubatorRecordBoardDecision",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the recommendation")),
    request_body = BoardDecisionOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorGraduation, description = "The recommendation, decided"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "Already decided"),
        (status = 422, body = ApiErrorBody, description = "Invalid input, or the resolution is not sent yet")))]
pub async fn record_board_decision(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    ApiJson(body): ApiJson<BoardDecisionOption>,
) -> ApiResult<Json<IncubatorGraduation>> {
    caller.user_with(WRITE)?;
    let (program, project, g) = graduation_for(&state, &caller, &org, &slug, &project, &id).await?;
    let after = state
        .forge
        .record_board_decision(
            caller.actor(),
            &program,
            &project,
            &g,
            body.approved,
            &body.decision_date,
            &body.reference,
            now_ms(),
        )
        .await?;
    Ok(Json(graduation_json(&state, &program, &project, &after)))
}

/// A stage change decided elsewhere.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IncubatorDecisionOption {
    /// The stage the decision moves the project to (a terminal stage for graduation or
    /// retirement).
    pub to_stage: String,
    /// Where the decision is recorded: a board resolution, a vote thread's link.
    pub reference: String,
}

/// Record a stage change decided elsewhere (the organization's owners), with a reference
/// to the decision: the same transitions as a vote's are allowed, and not while a vote on
/// the project is open. Graduating or retiring ends the project's incubation and its open
/// roster roles.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/decisions",
    tag = "incubator", operation_id = "incubatorRecordDecision",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    request_body = IncubatorDecisionOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProject, description = "The project in its new stage"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "A vote on the project is open, or it waits for a board"),
        (status = 422, body = ApiErrorBody, description = "A transition the program does not allow, or no reference")))]
pub async fn record_decision(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<IncubatorDecisionOption>,
) -> ApiResult<Json<IncubatorProject>> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let moved = state
        .forge
        .record_decision(
            caller.actor(),
            &program,
            &project,
            &body.to_stage,
            &body.reference,
            now_ms(),
        )
        .await?;
    Ok(Json(project_json(&state, &caller, &program, &moved).await?))
}
