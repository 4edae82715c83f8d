//! A project's roster and repositories after acceptance, under
//! `/orgs/{org}/incubator/programs/{program}/projects/{slug}/...`: listing, adding, ending
//! and removing roster entries; listing, linking and unlinking repositories. The same use
//! cases as the web's (`Forge::add_roster_member`, `end_roster_member`,
//! `remove_roster_member`, `link_project_repo`, `unlink_project_repo`), so the same rules:
//! the program's committee, the organization's owners and the project's management
//! committee (PPMC members, mentors, champion) change them; 403 for others, 404 for what
//! is missing or unreadable, 409 for someone already in the role or a repository linked
//! already, 422 for invalid input, a mentor the program refuses, or a project whose
//! incubation has ended. Reading needs `read:organization`, changes `write:organization`
//! and a signed-in caller.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hatchery_api_types::incubator::{IncubatorRepo, IncubatorRosterEntry};
use hatchery_service::incubator::PersonInput;
use hatchery_store::now_ms;
use serde::Deserialize;
use utoipa::ToSchema;

use super::incubator::{READ, WRITE, project_for};
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson};
use crate::api::route::ApiRoutes;
use crate::api::{path_id, urls};
use crate::api_route;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_roster, add_roster_entry))
        .routes(api_route!(end_roster_entry, remove_roster_entry))
        .routes(api_route!(list_project_repos, link_project_repo))
        .routes(api_route!(unlink_project_repo))
}

/// List a project's roster: current and past entries (an ended role has `ended_at`), by
/// role then start.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/roster",
    tag = "incubator", operation_id = "incubatorListRoster",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorRosterEntry], description = "The roster"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_roster(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<IncubatorRosterEntry>>> {
    caller.need(READ)?;
    let (_, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let roster = state.forge.project_roster(&project).await?;
    Ok(Json(roster.iter().map(IncubatorRosterEntry::of).collect()))
}

/// Someone to add to a project's roster.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddRosterEntryOption {
    /// `committer`, `ppmc`, `mentor`, `champion`, or a role of the program's own
    /// (`[a-z][a-z0-9_-]*`).
    pub role: String,
    /// Their account name here; empty for someone without one (then `name` is required).
    #[serde(default)]
    pub username: String,
    /// The name to show; defaults to the account's display name.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub affiliation: String,
}

/// Add someone to a project's roster from now. Someone already in the role is refused
/// (409). A mentor must be on the program's committee unless the template's
/// `roster.mentors_on_committee` says otherwise: `refuse` (422), `warn` (saved, with
/// `warnings`), `allow`.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/roster",
    tag = "incubator", operation_id = "incubatorAddRosterEntry",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    request_body = AddRosterEntryOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = IncubatorRosterEntry, description = "The entry as saved"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "They hold the role already"),
        (status = 422, body = ApiErrorBody)))]
pub async fn add_roster_entry(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<AddRosterEntryOption>,
) -> ApiResult<(StatusCode, Json<IncubatorRosterEntry>)> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let person = PersonInput {
        username: body.username,
        name: body.name,
        affiliation: body.affiliation,
    };
    let added = state
        .forge
        .add_roster_member(
            caller.actor(),
            &program,
            &project,
            &body.role,
            &person,
            now_ms(),
        )
        .await?;
    let mut out = IncubatorRosterEntry::of(&added.entry);
    out.warnings = added
        .warnings
        .iter()
        .map(|w| w.as_str().to_owned())
        .collect();
    Ok((StatusCode::CREATED, Json(out)))
}

/// A change of a roster entry.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditRosterEntryOption {
    /// `true` ends the role now; the entry stays in the roster's history. A role that ended
    /// stays ended (add the person again instead).
    pub ended: bool,
}

/// End a roster entry's role now.
#[utoipa::path(patch, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/roster/{id}",
    tag = "incubator", operation_id = "incubatorEndRosterEntry",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the roster entry")),
    request_body = EditRosterEntryOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorRosterEntry, description = "The entry, ended"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody, description = "No such current entry"),
        (status = 422, body = ApiErrorBody)))]
pub async fn end_roster_entry(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
    ApiJson(body): ApiJson<EditRosterEntryOption>,
) -> ApiResult<Json<IncubatorRosterEntry>> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let id = path_id(&id)?;
    if !body.ended {
        return Err(ApiError::unprocessable(
            "ended: only true is accepted: a role that ended stays ended",
        ));
    }
    let entry = state
        .forge
        .end_roster_member(caller.actor(), &program, &project, id, now_ms())
        .await?;
    Ok(Json(IncubatorRosterEntry::of(&entry)))
}

/// Remove a roster entry made by mistake: it leaves the roster's history too (the audit
/// log keeps who it was). To record that someone's role ended, end it instead.
#[utoipa::path(delete, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/roster/{id}",
    tag = "incubator", operation_id = "incubatorRemoveRosterEntry",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the roster entry")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "Removed"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "The project's incubation has ended")))]
pub async fn remove_roster_entry(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let id = path_id(&id)?;
    state
        .forge
        .remove_roster_member(caller.actor(), &program, &project, id, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the project's repositories the caller may read.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/repos",
    tag = "incubator", operation_id = "incubatorListProjectRepos",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorRepo], description = "The repositories"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_project_repos(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<IncubatorRepo>>> {
    caller.need(READ)?;
    let (_, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let urls = urls(&state);
    let repos = state.forge.project_repos(caller.actor(), &project).await?;
    Ok(Json(
        repos.iter().map(|r| IncubatorRepo::of(&urls, r)).collect(),
    ))
}

/// A repository to link to a project.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkProjectRepoOption {
    /// `owner/name`.
    pub repository: String,
}

/// Link a repository the caller administers to the project. One outside the program's
/// organization moves into it as at acceptance (its old path redirects); one whose name
/// is taken there is refused (409). The checklist is evaluated again.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/repos",
    tag = "incubator", operation_id = "incubatorLinkProjectRepo",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    request_body = LinkProjectRepoOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = IncubatorRepo, description = "The repository, where it is now"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "Linked already, or its name is taken in the organization"),
        (status = 422, body = ApiErrorBody, description = "Invalid input, a repository missing or unreadable, or the project's incubation has ended")))]
pub async fn link_project_repo(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<LinkProjectRepoOption>,
) -> ApiResult<(StatusCode, Json<IncubatorRepo>)> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let link = state
        .forge
        .link_project_repo(
            caller.actor(),
            &program,
            &project,
            &body.repository,
            now_ms(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IncubatorRepo::of(&urls(&state), &link.repo)),
    ))
}

/// Unlink a repository from the project: it leaves the project's checklist and reports
/// and stays where it is.
#[utoipa::path(delete, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/repos/{owner}/{repo}",
    tag = "incubator", operation_id = "incubatorUnlinkProjectRepo",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("owner" = String, Path, description = "owner of the repository"),
        ("repo" = String, Path, description = "name of the repository")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "Unlinked"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody, description = "Not linked, or not readable"),
        (status = 422, body = ApiErrorBody, description = "The project's incubation has ended")))]
pub async fn unlink_project_repo(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, owner, repo)): Path<(String, String, String, String, String)>,
) -> ApiResult<StatusCode> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    state
        .forge
        .unlink_project_repo(caller.actor(), &program, &project, &owner, &repo, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
