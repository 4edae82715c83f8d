//! Mirrors in Gitea's shapes: `POST /repos/{owner}/{repo}/mirror-sync` (sync a pull
//! mirror now) and the push mirrors (`/push_mirrors`: list, add, read, delete, and
//! `/push_mirrors-sync`).
//!
//! All of them need administration of the repository (`read:repository` to read,
//! `write:repository` to change). Where Hatchery differs from Gitea:
//! - `mirror-sync` and `push_mirrors-sync` run the sync before answering (Gitea queues it):
//!   the answer is 200 when it went through, and the error (also recorded as the mirror's
//!   `last_error`) as a 422 when it did not; 409 when a sync of it is already running.
//! - `remote_password` is never returned; it is stored encrypted with a key derived from
//!   the site secret.
//! - A `remote_address` must be `http(s)` and is checked against
//!   `migrations.allowed_hosts` (422 when refused).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_core::Action;
use hatchery_service::mirrors::{MirrorError, PushMirrorInput};
use hatchery_store::PushMirror;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::repo_for;
use crate::api::route::ApiRoutes;
use crate::api::types::time;
use crate::api_route;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(mirror_sync))
        .routes(api_route!(list_push_mirrors, add_push_mirror))
        .routes(api_route!(get_push_mirror, delete_push_mirror))
        .routes(api_route!(sync_push_mirrors))
}

/// Like Gitea's `PushMirror`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiPushMirror {
    pub repo_name: String,
    pub remote_name: String,
    pub remote_address: String,
    pub created: String,
    /// Empty until the first successful push.
    pub last_update: String,
    pub last_error: String,
    /// Like `8h0m0s`; `0s`: no schedule.
    pub interval: String,
    pub sync_on_commit: bool,
}

impl ApiPushMirror {
    fn of(repo_name: &str, m: &PushMirror) -> ApiPushMirror {
        ApiPushMirror {
            repo_name: repo_name.to_owned(),
            remote_name: m.remote_name.clone(),
            remote_address: m.remote_url.clone(),
            created: time(m.created_at),
            last_update: m.last_update_at.map(time).unwrap_or_default(),
            last_error: m.last_error.clone().unwrap_or_default(),
            interval: hatchery_core::mirrors::format_interval(m.interval_ms),
            sync_on_commit: m.sync_on_commit,
        }
    }
}

/// Like Gitea's `CreatePushMirrorOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePushMirrorOption {
    pub remote_address: String,
    #[serde(default)]
    pub remote_username: String,
    /// Write-only.
    #[serde(default)]
    pub remote_password: String,
    /// Like `8h0m0s` or `10m`; `0`: no schedule; empty: 8 hours. At least 10 minutes.
    #[serde(default)]
    pub interval: String,
    #[serde(default)]
    pub sync_on_commit: bool,
}

impl From<MirrorError> for ApiError {
    fn from(e: MirrorError) -> ApiError {
        match e {
            MirrorError::Field { field, message } => {
                ApiError::unprocessable(format!("{field}: {message}"))
            }
            MirrorError::NotFound => ApiError::not_found(),
            MirrorError::Exists | MirrorError::Busy => ApiError::conflict(e.to_string()),
            MirrorError::Service(s) => s.into(),
            other => ApiError::unprocessable(other.to_string()),
        }
    }
}

async fn admin(
    state: &AppState,
    caller: &ApiCaller,
    owner: &str,
    repo: &str,
    change: bool,
) -> ApiResult<hatchery_service::issues::RepoView> {
    let scope = if change {
        "write:repository"
    } else {
        "read:repository"
    };
    repo_for(state, caller, owner, repo, Action::Administer, scope).await
}

/// Sync a mirrored repository.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/mirror-sync", tag = "repository",
    operation_id = "repoMirrorSync",
    params(("owner" = String, Path, description = "owner of the repo to sync"),
        ("repo" = String, Path, description = "name of the repo to sync")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, description = "EmptyResponse: the sync went through"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody, description = "no such repository, or it is not a mirror"),
        (status = 409, body = ApiErrorBody, description = "a sync is running"),
        (status = 422, body = ApiErrorBody, description = "the sync failed: why")))]
pub async fn mirror_sync(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let view = admin(&state, &caller, &owner, &repo, true).await?;
    state.forge.sync_pull_mirror(&view.repo).await?;
    Ok(StatusCode::OK)
}

/// Get all push mirrors of the repository.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/push_mirrors", tag = "repository",
    operation_id = "repoListPushMirrors",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiPushMirror], description = "PushMirrorList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_push_mirrors(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiQuery(paging): ApiQuery<Paging>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiPushMirror>>)> {
    let view = admin(&state, &caller, &owner, &repo, false).await?;
    let all = state.store.push_mirrors(view.repo.id).await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let page = paging
        .slice(all)
        .iter()
        .map(|m| ApiPushMirror::of(&view.repo.name, m))
        .collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

/// Add a push mirror to the repository.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/push_mirrors", tag = "repository",
    operation_id = "repoAddPushMirror",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = CreatePushMirrorOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiPushMirror), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn add_push_mirror(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(opt): ApiJson<CreatePushMirrorOption>,
) -> ApiResult<Json<ApiPushMirror>> {
    let view = admin(&state, &caller, &owner, &repo, true).await?;
    let mirror = state
        .forge
        .add_push_mirror(
            &view.repo,
            &PushMirrorInput {
                remote_address: opt.remote_address,
                remote_username: opt.remote_username,
                remote_password: opt.remote_password,
                interval: opt.interval,
                sync_on_commit: opt.sync_on_commit,
            },
        )
        .await?;
    Ok(Json(ApiPushMirror::of(&view.repo.name, &mirror)))
}

/// Get a push mirror of the repository by its remote name.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/push_mirrors/{name}", tag = "repository",
    operation_id = "repoGetPushMirrorByRemoteName",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("name" = String, Path, description = "remote name of push mirror")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiPushMirror), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_push_mirror(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> ApiResult<Json<ApiPushMirror>> {
    let view = admin(&state, &caller, &owner, &repo, false).await?;
    let mirror = state
        .store
        .push_mirrors(view.repo.id)
        .await?
        .into_iter()
        .find(|m| m.remote_name == name)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(ApiPushMirror::of(&view.repo.name, &mirror)))
}

/// Delete a push mirror of the repository by its remote name.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/push_mirrors/{name}", tag = "repository",
    operation_id = "repoDeletePushMirror",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("name" = String, Path, description = "remote name of the pushMirror")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "EmptyResponse"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_push_mirror(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = admin(&state, &caller, &owner, &repo, true).await?;
    state.forge.remove_push_mirror(&view.repo, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sync all push mirrored repository.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/push_mirrors-sync", tag = "repository",
    operation_id = "repoPushMirrorSync",
    params(("owner" = String, Path, description = "owner of the repo to sync"),
        ("repo" = String, Path, description = "name of the repo to sync")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, description = "EmptyResponse: every push mirror was pushed to; each one's outcome is its last_update / last_error"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn sync_push_mirrors(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let view = admin(&state, &caller, &owner, &repo, true).await?;
    state.forge.sync_push_mirrors(&view.repo).await?;
    Ok(StatusCode::OK)
}
