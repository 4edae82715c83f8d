//! SSH keys in Gitea's shapes: the caller's keys (`/user/keys`), anyone's public keys
//! (`/users/{username}/keys`) and repositories' deploy keys (`/repos/{owner}/{repo}/keys`).
//!
//! Scopes: `read:user`/`write:user` for the caller's keys, `read:repository` /
//! `write:repository` (and administration of the repository) for deploy keys.
//!
//! Where Hatchery differs from Gitea:
//! - A key registered already (to any account, or as a deploy key when adding a user key)
//!   is a 409 (Gitea: 422); an invalid or refused key is a 422 with the reason (DSA and RSA
//!   under 2048 bits are refused).
//! - An empty `title` takes the key's comment; with neither, 422.
//! - `read_only` in `POST /user/keys` is ignored (a user's key does what its user may).

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_api_types::{ApiRepo, ApiUser};
use hatchery_core::Action;
use hatchery_core::ssh::KEY_TITLE_MAX;
use hatchery_service::issues::RepoView;
use hatchery_service::ssh_keys::SshKeyError;
use hatchery_store::{Account, SshKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::accounts::private_view;
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::repos::repo_json;
use crate::api::types::time;
use crate::api::{path_id, repo_for, urls};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_my_keys, create_my_key))
        .routes(api_route!(get_my_key, delete_my_key))
        .routes(api_route!(list_user_keys))
        .routes(api_route!(list_deploy_keys, create_deploy_key))
        .routes(api_route!(get_deploy_key, delete_deploy_key))
}

/// Like Gitea's `PublicKey`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiPublicKey {
    pub id: i64,
    /// `algorithm base64`, without a comment.
    pub key: String,
    pub url: String,
    pub title: String,
    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub created_at: String,
    /// Absent until the key is first used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<ApiUser>,
    pub read_only: bool,
    /// Always `user`.
    pub key_type: String,
}

/// Like Gitea's `DeployKey`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiDeployKey {
    pub id: i64,
    /// The same as `id` (Gitea keeps keys and their uses apart).
    pub key_id: i64,
    pub key: String,
    pub url: String,
    pub title: String,
    pub fingerprint: String,
    pub created_at: String,
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<ApiRepo>,
}

/// Like Gitea's `CreateKeyOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateKeyOption {
    /// A name for the key; empty takes the key's comment.
    #[serde(default)]
    pub title: String,
    /// An OpenSSH public key (`ssh-ed25519 AAAA... comment`).
    pub key: String,
    /// Deploy keys: only fetch (default false, as in Gitea).
    #[serde(default)]
    pub read_only: bool,
}

impl From<SshKeyError> for ApiError {
    fn from(e: SshKeyError) -> ApiError {
        match e {
            SshKeyError::Key(k) => ApiError::unprocessable(format!("key: {k}")),
            SshKeyError::Title { message_key } => {
                if message_key == "error.field.too_long" {
                    ApiError::unprocessable(format!("title: at most {KEY_TITLE_MAX} characters"))
                } else {
                    ApiError::unprocessable("title: required (the key has no comment to use)")
                }
            }
            SshKeyError::Taken => ApiError::conflict(
                "this key is already registered (a key belongs to one account, and an account's key cannot be a deploy key)",
            ),
            SshKeyError::Forbidden => ApiError::forbidden("you may not manage these keys"),
            SshKeyError::NotFound => ApiError::not_found(),
            SshKeyError::Store(s) => s.into(),
        }
    }
}

fn public_key(state: &AppState, k: &SshKey, user: Option<ApiUser>) -> ApiPublicKey {
    ApiPublicKey {
        id: k.id,
        key: k.public_key.clone(),
        url: urls(state).api(&format!("user/keys/{}", k.id)),
        title: k.title.clone(),
        fingerprint: k.fingerprint.clone(),
        created_at: time(k.created_at),
        last_used_at: k.last_used_at.map(time),
        user,
        read_only: false,
        key_type: "user".to_owned(),
    }
}

fn deploy_key(
    state: &AppState,
    view: &RepoView,
    k: &SshKey,
    repo: Option<ApiRepo>,
) -> ApiDeployKey {
    ApiDeployKey {
        id: k.id,
        key_id: k.id,
        key: k.public_key.clone(),
        url: urls(state).api(&format!(
            "repos/{}/{}/keys/{}",
            view.repo.owner_name, view.repo.name, k.id
        )),
        title: k.title.clone(),
        fingerprint: k.fingerprint.clone(),
        created_at: time(k.created_at),
        read_only: k.read_only,
        repository: repo,
    }
}

// ---- the caller's keys ----

/// List the authenticated user's public keys.
#[utoipa::path(get, path = "/user/keys", tag = "user", operation_id = "userCurrentListKeys",
    params(Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiPublicKey], description = "PublicKeyList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn list_my_keys(
    State(state): State<AppState>,
    caller: ApiCaller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiPublicKey>>)> {
    let user = caller.user()?.clone();
    caller.need("read:user")?;
    let keys = state.store.keys_of_user(user.id).await?;
    let total = i64::try_from(keys.len()).unwrap_or(i64::MAX);
    let owner = ApiUser::of(&urls(&state), &user, true);
    let page = paging
        .slice(keys)
        .iter()
        .map(|k| public_key(&state, k, Some(owner.clone())))
        .collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

/// Add a public key to the authenticated user's account.
#[utoipa::path(post, path = "/user/keys", tag = "user", operation_id = "userCurrentPostKey",
    request_body = CreateKeyOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiPublicKey), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the key is registered already"),
        (status = 422, body = ApiErrorBody, description = "not a key, or a refused kind")))]
pub async fn create_my_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(form): ApiJson<CreateKeyOption>,
) -> ApiResult<(StatusCode, Json<ApiPublicKey>)> {
    let user = caller.user()?.clone();
    caller.need("write:user")?;
    let key = state
        .forge
        .add_user_key(caller.actor(), user.id, &form.title, &form.key)
        .await?;
    let owner = ApiUser::of(&urls(&state), &user, true);
    Ok((
        StatusCode::CREATED,
        Json(public_key(&state, &key, Some(owner))),
    ))
}

async fn my_key(state: &AppState, caller: &ApiCaller, id: &str) -> ApiResult<SshKey> {
    let user_id = caller.user()?.id;
    let id = path_id(id)?;
    state
        .store
        .ssh_key(id)
        .await?
        .filter(|k| k.user_id == Some(user_id))
        .ok_or_else(ApiError::not_found)
}

/// Get one of the authenticated user's public keys.
#[utoipa::path(get, path = "/user/keys/{id}", tag = "user", operation_id = "userCurrentGetKey",
    params(("id" = i64, Path, description = "id of key to get")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiPublicKey), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_my_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiPublicKey>> {
    caller.need("read:user")?;
    let key = my_key(&state, &caller, &id).await?;
    let owner = ApiUser::of(&urls(&state), caller.user()?, true);
    Ok(Json(public_key(&state, &key, Some(owner))))
}

/// Delete one of the authenticated user's public keys.
#[utoipa::path(delete, path = "/user/keys/{id}", tag = "user", operation_id = "userCurrentDeleteKey",
    params(("id" = i64, Path, description = "id of key to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_my_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.need("write:user")?;
    let key = my_key(&state, &caller, &id).await?;
    let user_id = caller.user()?.id;
    state
        .forge
        .delete_user_key(caller.actor(), user_id, key.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a user's public keys (public, as `https://host/<user>.keys` is on other forges).
#[utoipa::path(get, path = "/users/{username}/keys", tag = "user", operation_id = "userListKeys",
    params(("username" = String, Path, description = "username of user"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiPublicKey], description = "PublicKeyList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_user_keys(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiPublicKey>>)> {
    caller.need("read:user")?;
    let Some(Account::User(user)) = state.store.account_by_name(&username).await? else {
        return Err(ApiError::not_found());
    };
    let keys = state.store.keys_of_user(user.id).await?;
    let total = i64::try_from(keys.len()).unwrap_or(i64::MAX);
    let owner = ApiUser::of(&urls(&state), &user, private_view(caller.actor(), user.id));
    let page = paging
        .slice(keys)
        .iter()
        .map(|k| public_key(&state, k, Some(owner.clone())))
        .collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

// ---- deploy keys ----

async fn admin_view(
    state: &AppState,
    caller: &ApiCaller,
    owner: &str,
    repo: &str,
    change: bool,
) -> ApiResult<RepoView> {
    let scope = if change {
        "write:repository"
    } else {
        "read:repository"
    };
    repo_for(state, caller, owner, repo, Action::Administer, scope).await
}

/// List a repository's deploy keys (its administrators).
#[utoipa::path(get, path = "/repos/{owner}/{repo}/keys", tag = "repository",
    operation_id = "repoListKeys",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiDeployKey], description = "DeployKeyList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_deploy_keys(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiDeployKey>>)> {
    let view = admin_view(&state, &caller, &owner, &repo, false).await?;
    let keys = state.store.deploy_keys_of_repo(view.repo.id).await?;
    let total = i64::try_from(keys.len()).unwrap_or(i64::MAX);
    let page = paging
        .slice(keys)
        .iter()
        .map(|k| deploy_key(&state, &view, k, None))
        .collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

/// Add a deploy key to a repository (its administrators).
#[utoipa::path(post, path = "/repos/{owner}/{repo}/keys", tag = "repository",
    operation_id = "repoCreateKey",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = CreateKeyOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiDeployKey), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the key is registered already"),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_deploy_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(form): ApiJson<CreateKeyOption>,
) -> ApiResult<(StatusCode, Json<ApiDeployKey>)> {
    let view = admin_view(&state, &caller, &owner, &repo, true).await?;
    let key = state
        .forge
        .add_deploy_key(&view.repo, &form.title, &form.key, form.read_only)
        .await?;
    let repo_json = repo_json(&state, &view).await?;
    Ok((
        StatusCode::CREATED,
        Json(deploy_key(&state, &view, &key, Some(repo_json))),
    ))
}

async fn one_deploy_key(state: &AppState, view: &RepoView, id: &str) -> ApiResult<SshKey> {
    let id = path_id(id)?;
    state
        .store
        .ssh_key(id)
        .await?
        .filter(|k| k.repo_id == Some(view.repo.id))
        .ok_or_else(ApiError::not_found)
}

/// Get a repository's deploy key.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/keys/{id}", tag = "repository",
    operation_id = "repoGetKey",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the key to get")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiDeployKey), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_deploy_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<Json<ApiDeployKey>> {
    let view = admin_view(&state, &caller, &owner, &repo, false).await?;
    let key = one_deploy_key(&state, &view, &id).await?;
    let repo_json = repo_json(&state, &view).await?;
    Ok(Json(deploy_key(&state, &view, &key, Some(repo_json))))
}

/// Delete a repository's deploy key.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/keys/{id}", tag = "repository",
    operation_id = "repoDeleteKey",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the key to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn delete_deploy_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = admin_view(&state, &caller, &owner, &repo, true).await?;
    let key = one_deploy_key(&state, &view, &id).await?;
    state.forge.delete_deploy_key(&view.repo, key.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
