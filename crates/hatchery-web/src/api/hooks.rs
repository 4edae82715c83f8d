//! Webhooks of repositories and organizations in Gitea's shapes: list, create, read,
//! change, delete, and (for repositories) a test delivery.
//!
//! Repository hooks need administration of the repository (scope `read:repository` to
//! read, `write:repository` to change); organization hooks need the organization's
//! owners (`read:organization` / `write:organization`). Private repositories the caller
//! cannot read are 404s.
//!
//! Where Hatchery differs from Gitea:
//! - Only `gitea` (and the identical `gogs`) hooks: other types (Slack, Discord, ...) are
//!   a 422.
//! - `config.http_method` is always `post`; `config.content_type` may be omitted (json).
//! - The secret and the authorization header are never returned (Gitea returns neither
//!   the secret; `authorization_header` is always empty here).
//! - A URL whose host is a literal address refused by `webhook.allowed_hosts` is a 422
//!   when the hook is saved (names are checked when each delivery is sent).
//! - The test delivery is a `push` of the default branch's head commit, sent whatever
//!   events the hook chose; the `ref` parameter is ignored.

use std::collections::BTreeMap;

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_core::{Action, Resource};
use hatchery_service::webhooks::{HookEdit, HookError, HookInput};
use hatchery_store::{HookOwner, Webhook};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::accounts::{check, org_for};
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::types::time;
use crate::api::{path_id, repo_for};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_repo_hooks, create_repo_hook))
        .routes(api_route!(get_repo_hook, edit_repo_hook, delete_repo_hook))
        .routes(api_route!(test_repo_hook))
        .routes(api_route!(list_org_hooks, create_org_hook))
        .routes(api_route!(get_org_hook, edit_org_hook, delete_org_hook))
}

/// Like Gitea's `Hook`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiHook {
    pub id: i64,
    /// Always `gitea`.
    #[serde(rename = "type")]
    pub type_: String,
    pub branch_filter: String,
    /// `url`, `content_type` (`json` or `form`) and `http_method` (`post`).
    pub config: BTreeMap<String, String>,
    pub events: Vec<String>,
    /// Never shown: always empty.
    pub authorization_header: String,
    pub active: bool,
    pub is_system_webhook: bool,
    pub updated_at: String,
    pub created_at: String,
}

impl ApiHook {
    pub fn of(h: &Webhook) -> ApiHook {
        let config = BTreeMap::from([
            ("url".to_owned(), h.url.clone()),
            ("content_type".to_owned(), h.content_type.clone()),
            ("http_method".to_owned(), "post".to_owned()),
        ]);
        ApiHook {
            id: h.id,
            type_: "gitea".to_owned(),
            branch_filter: h.branch_filter.clone(),
            config,
            events: h.events.clone(),
            authorization_header: String::new(),
            active: h.is_active,
            is_system_webhook: false,
            updated_at: time(h.updated_at),
            created_at: time(h.created_at),
        }
    }
}

/// Like Gitea's `CreateHookOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateHookOption {
    /// `gitea` (or `gogs`).
    #[serde(rename = "type")]
    pub type_: String,
    /// `url` (required), `content_type` (`json`, the default, or `form`), `secret`,
    /// `http_method` (`post` only).
    pub config: BTreeMap<String, String>,
    /// Event names: `push`, `create`, `delete`, `issues`, `issue_assign`, `issue_label`,
    /// `issue_milestone`, `issue_comment`, `pull_request`, `status`, `fork`, `repository`, or `*`
    /// for all. Empty: `push`.
    #[serde(default)]
    pub events: Vec<String>,
    /// A glob of branch names (`{main,release/*}`); empty for all.
    #[serde(default)]
    pub branch_filter: String,
    /// Sent as the `Authorization` header of each delivery.
    #[serde(default)]
    pub authorization_header: String,
    /// Default false, as in Gitea.
    #[serde(default)]
    pub active: bool,
}

/// Like Gitea's `EditHookOption`: what is left out stays as it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EditHookOption {
    pub config: Option<BTreeMap<String, String>>,
    pub events: Option<Vec<String>>,
    pub branch_filter: Option<String>,
    pub authorization_header: Option<String>,
    pub active: Option<bool>,
}

impl From<HookError> for ApiError {
    fn from(e: HookError) -> ApiError {
        match e {
            HookError::Field { field, message } => {
                ApiError::unprocessable(format!("{field}: {message}"))
            }
            HookError::NotFound => ApiError::not_found(),
            HookError::Service(s) => s.into(),
        }
    }
}

fn check_method(config: &BTreeMap<String, String>) -> ApiResult<()> {
    match config
        .get("http_method")
        .map(|m| m.trim().to_ascii_lowercase())
    {
        None => Ok(()),
        Some(m) if m.is_empty() || m == "post" => Ok(()),
        Some(m) => Err(ApiError::unprocessable(format!(
            "http_method: only post is supported, not {m:?}"
        ))),
    }
}

fn input_of(opt: CreateHookOption) -> ApiResult<HookInput> {
    if !matches!(opt.type_.trim(), "gitea" | "gogs") {
        return Err(ApiError::unprocessable(format!(
            "type: only gitea hooks are supported, not {:?}",
            opt.type_
        )));
    }
    check_method(&opt.config)?;
    let get = |k: &str| opt.config.get(k).cloned().unwrap_or_default();
    let url = get("url");
    if url.trim().is_empty() {
        return Err(ApiError::unprocessable("Missing config option: url"));
    }
    Ok(HookInput {
        url,
        content_type: get("content_type"),
        secret: get("secret"),
        events: opt.events,
        branch_filter: opt.branch_filter,
        authorization_header: opt.authorization_header,
        active: opt.active,
    })
}

fn edit_of(opt: EditHookOption) -> ApiResult<HookEdit> {
    let config = opt.config.unwrap_or_default();
    check_method(&config)?;
    Ok(HookEdit {
        url: config.get("url").cloned(),
        content_type: config.get("content_type").cloned(),
        secret: config.get("secret").cloned(),
        events: opt.events,
        branch_filter: opt.branch_filter,
        authorization_header: opt.authorization_header,
        active: opt.active,
    })
}

/// The repository `owner/repo` if the caller may administer it, as a hook owner.
async fn repo_hooks(
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

/// The organization `org` if the caller owns it.
async fn org_hooks(
    state: &AppState,
    caller: &ApiCaller,
    org: &str,
    change: bool,
) -> ApiResult<HookOwner> {
    caller.user()?;
    caller.need(if change {
        "write:organization"
    } else {
        "read:organization"
    })?;
    let (org, facts) = org_for(state, caller, org).await?;
    check(caller.actor(), Action::EditSettings, Resource::Org(facts))?;
    Ok(HookOwner::Org(org.id))
}

async fn list(
    state: &AppState,
    owner: HookOwner,
    paging: Paging,
    uri: &axum::http::Uri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiHook>>)> {
    let all = state.store.webhooks_of(owner).await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let page: Vec<ApiHook> = paging.slice(all).iter().map(ApiHook::of).collect();
    Ok((paging.headers(uri, total), Json(page)))
}

async fn one(state: &AppState, owner: HookOwner, id: i64) -> ApiResult<Webhook> {
    state
        .store
        .webhook(owner, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

// ---- repository hooks ----

/// List the hooks in a repository.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/hooks", tag = "repository",
    operation_id = "repoListHooks",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiHook], description = "HookList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_repo_hooks(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiQuery(paging): ApiQuery<Paging>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiHook>>)> {
    let view = repo_hooks(&state, &caller, &owner, &repo, false).await?;
    list(&state, HookOwner::Repo(view.repo.id), paging, &uri).await
}

/// Create a hook.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/hooks", tag = "repository",
    operation_id = "repoCreateHook",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = CreateHookOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiHook), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_repo_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(opt): ApiJson<CreateHookOption>,
) -> ApiResult<(StatusCode, Json<ApiHook>)> {
    let view = repo_hooks(&state, &caller, &owner, &repo, true).await?;
    let input = input_of(opt)?;
    let hook = state
        .forge
        .create_webhook(HookOwner::Repo(view.repo.id), input)
        .await?;
    Ok((StatusCode::CREATED, Json(ApiHook::of(&hook))))
}

/// Get a hook.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/hooks/{id}", tag = "repository",
    operation_id = "repoGetHook",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the hook to get")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiHook), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_repo_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<Json<ApiHook>> {
    let view = repo_hooks(&state, &caller, &owner, &repo, false).await?;
    let id = path_id(&id)?;
    let hook = one(&state, HookOwner::Repo(view.repo.id), id).await?;
    Ok(Json(ApiHook::of(&hook)))
}

/// Edit a hook in a repository.
#[utoipa::path(patch, path = "/repos/{owner}/{repo}/hooks/{id}", tag = "repository",
    operation_id = "repoEditHook",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "index of the hook")),
    request_body = EditHookOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiHook), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn edit_repo_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
    ApiJson(opt): ApiJson<EditHookOption>,
) -> ApiResult<Json<ApiHook>> {
    let view = repo_hooks(&state, &caller, &owner, &repo, true).await?;
    let id = path_id(&id)?;
    let hook = state
        .forge
        .update_webhook(HookOwner::Repo(view.repo.id), id, edit_of(opt)?)
        .await?;
    Ok(Json(ApiHook::of(&hook)))
}

/// Delete a hook in a repository.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/hooks/{id}", tag = "repository",
    operation_id = "repoDeleteHook",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the hook to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_repo_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = repo_hooks(&state, &caller, &owner, &repo, true).await?;
    let id = path_id(&id)?;
    state
        .store
        .delete_webhook(HookOwner::Repo(view.repo.id), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Test a push webhook.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/hooks/{id}/tests", tag = "repository",
    operation_id = "repoTestHook",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the hook to test")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn test_repo_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = repo_hooks(&state, &caller, &owner, &repo, true).await?;
    let id = path_id(&id)?;
    let hook = one(&state, HookOwner::Repo(view.repo.id), id).await?;
    let sender = caller.user()?.id;
    state.forge.test_webhook(&view.repo, &hook, sender).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- organization hooks ----

/// List an organization's webhooks.
#[utoipa::path(get, path = "/orgs/{org}/hooks", tag = "organization",
    operation_id = "orgListHooks",
    params(("org" = String, Path, description = "name of the organization"), Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiHook], description = "HookList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_org_hooks(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiHook>>)> {
    let owner = org_hooks(&state, &caller, &org, false).await?;
    list(&state, owner, paging, &uri).await
}

/// Create a hook.
#[utoipa::path(post, path = "/orgs/{org}/hooks", tag = "organization",
    operation_id = "orgCreateHook",
    params(("org" = String, Path, description = "name of the organization")),
    request_body = CreateHookOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiHook), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_org_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    ApiJson(opt): ApiJson<CreateHookOption>,
) -> ApiResult<(StatusCode, Json<ApiHook>)> {
    let owner = org_hooks(&state, &caller, &org, true).await?;
    let hook = state.forge.create_webhook(owner, input_of(opt)?).await?;
    Ok((StatusCode::CREATED, Json(ApiHook::of(&hook))))
}

/// Get a hook.
#[utoipa::path(get, path = "/orgs/{org}/hooks/{id}", tag = "organization",
    operation_id = "orgGetHook",
    params(("org" = String, Path, description = "name of the organization"),
        ("id" = i64, Path, description = "id of the hook to get")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiHook), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_org_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<Json<ApiHook>> {
    let owner = org_hooks(&state, &caller, &org, false).await?;
    let id = path_id(&id)?;
    Ok(Json(ApiHook::of(&one(&state, owner, id).await?)))
}

/// Update a hook.
#[utoipa::path(patch, path = "/orgs/{org}/hooks/{id}", tag = "organization",
    operation_id = "orgEditHook",
    params(("org" = String, Path, description = "name of the organization"),
        ("id" = i64, Path, description = "id of the hook to update")),
    request_body = EditHookOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiHook), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn edit_org_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, id)): Path<(String, String)>,
    ApiJson(opt): ApiJson<EditHookOption>,
) -> ApiResult<Json<ApiHook>> {
    let owner = org_hooks(&state, &caller, &org, true).await?;
    let id = path_id(&id)?;
    let hook = state.forge.update_webhook(owner, id, edit_of(opt)?).await?;
    Ok(Json(ApiHook::of(&hook)))
}

/// Delete a hook.
#[utoipa::path(delete, path = "/orgs/{org}/hooks/{id}", tag = "organization",
    operation_id = "orgDeleteHook",
    params(("org" = String, Path, description = "name of the organization"),
        ("id" = i64, Path, description = "id of the hook to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_org_hook(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let owner = org_hooks(&state, &caller, &org, true).await?;
    let id = path_id(&id)?;
    state.store.delete_webhook(owner, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
