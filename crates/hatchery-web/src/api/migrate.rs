//! Imports in Gitea's shape: `POST /repos/migrate` (Gitea's `MigrateRepoOptions`) answers
//! 201 with the new repository at once; the import runs in the background and its progress
//! is `GET /repos/{owner}/{repo}/migration` (ours). A failed import goes on where it stopped
//! with `POST /repos/{owner}/{repo}/migration/resume` (ours, repository administrators).
//! The decisions are the service's (`Forge::start_import`).

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hatchery_core::imports::ImportItems;
use hatchery_core::{Action, Resource};
use hatchery_service::import::run::{ResumeError, StartError};
use hatchery_service::import::{ImportOwner, ImportProgress, MigrateRequest};
use hatchery_store::Account;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::accounts::org_for;
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson};
use crate::api::repo_for;
use crate::api::repos::repos_json;
use crate::api::types::ApiRepo;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(migrate))
        .routes(api_route!(migration))
        .routes(api_route!(resume_migration))
}

/// Gitea's `MigrateRepoOptions`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct MigrateRepoOptions {
    /// The repository to import: an http(s) URL (local paths and file:// are refused).
    pub clone_addr: String,
    pub auth_username: Option<String>,
    pub auth_password: Option<String>,
    pub auth_token: Option<String>,
    /// `git`, `github`, `gitlab`, `gitea` (or `forgejo`), `gitee`; Gitea's numbers too.
    #[schema(value_type = Option<String>)]
    pub service: Option<serde_json::Value>,
    pub repo_name: String,
    /// User or organization to import into; the caller when absent.
    pub repo_owner: Option<String>,
    /// Gitea's deprecated owner id.
    pub uid: Option<i64>,
    pub private: Option<bool>,
    pub description: Option<String>,
    /// Keep following the source: the repository becomes a pull mirror once its git data
    /// is imported (labels, issues and the rest are not imported for a mirror).
    pub mirror: Option<bool>,
    /// The mirror's interval (`8h0m0s`, `10m`; `0`: on demand only); 8 hours when absent.
    pub mirror_interval: Option<String>,
    pub labels: Option<bool>,
    pub milestones: Option<bool>,
    pub issues: Option<bool>,
    pub pull_requests: Option<bool>,
    pub releases: Option<bool>,
    /// Wikis are not imported (Hatchery has none); ignored.
    pub wiki: Option<bool>,
    /// LFS objects are not imported (Hatchery has no LFS store); ignored.
    pub lfs: Option<bool>,
    pub lfs_endpoint: Option<String>,
    /// Hatchery: source login -> local user name, for authors who have no matching e-mail.
    pub user_map: Option<std::collections::BTreeMap<String, String>>,
}

/// Counts of what an import brought so far.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MigrationCounts {
    pub labels: i64,
    pub milestones: i64,
    pub issues: i64,
    pub comments: i64,
    pub pull_requests: i64,
    pub releases: i64,
    pub assets: i64,
}

/// Where an import stands (Hatchery's own).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MigrationStatus {
    pub service: String,
    pub clone_addr: String,
    /// `queued`, `running`, `failed` or `done`.
    pub state: String,
    /// `git`, `labels`, `milestones`, `issues`, `pull_requests`, `releases`, `done`.
    pub stage: String,
    pub counts: MigrationCounts,
    pub error: String,
}

impl MigrationStatus {
    fn of(p: &ImportProgress) -> MigrationStatus {
        MigrationStatus {
            service: p.kind.as_str().to_owned(),
            clone_addr: p.clone_addr.clone(),
            state: p.state.as_str().to_owned(),
            stage: p.stage.as_str().to_owned(),
            counts: MigrationCounts {
                labels: p.counts.labels,
                milestones: p.counts.milestones,
                issues: p.counts.issues,
                comments: p.counts.comments,
                pull_requests: p.counts.pull_requests,
                releases: p.counts.releases,
                assets: p.counts.assets,
            },
            error: p.last_error.clone(),
        }
    }
}

fn service_text(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Import a repository from another forge.
#[utoipa::path(post, path = "/repos/migrate", tag = "repository",
    operation_id = "repoMigrate",
    request_body = MigrateRepoOptions,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiRepo, description = "the repository, importing"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the name is taken"),
        (status = 422, body = ApiErrorBody)))]
pub async fn migrate(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(form): ApiJson<MigrateRepoOptions>,
) -> ApiResult<(StatusCode, Json<ApiRepo>)> {
    let user = caller.user_with("write:repository")?.clone();
    let owner_name = form
        .repo_owner
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned);
    let owner_name = match (owner_name, form.uid) {
        (Some(n), _) => n,
        (None, Some(uid)) if uid != user.id => match state.store.user_by_id(uid).await? {
            Some(u) => u.name,
            None => return Err(ApiError::not_found()),
        },
        _ => user.name.clone(),
    };
    let org = if owner_name.eq_ignore_ascii_case(&user.name) {
        None
    } else {
        match state.store.account_by_name(&owner_name).await? {
            Some(Account::Org(_)) => Some(org_for(&state, &caller, &owner_name).await?),
            // Another user's account: nobody creates repositories there.
            Some(Account::User(_)) => {
                return Err(ApiError::forbidden(
                    "You cannot create repositories for another user.",
                ));
            }
            None => return Err(ApiError::not_found()),
        }
    };
    let owner = match &org {
        Some((org, facts)) => ImportOwner {
            id: org.id,
            name: &org.name,
            resource: Resource::Org(*facts),
        },
        None => ImportOwner {
            id: user.id,
            name: &user.name,
            resource: Resource::User { id: user.id },
        },
    };
    let req = MigrateRequest {
        clone_addr: form.clone_addr.clone(),
        auth_username: form.auth_username.clone().unwrap_or_default(),
        auth_password: form.auth_password.clone().unwrap_or_default(),
        auth_token: form.auth_token.clone().unwrap_or_default(),
        service: service_text(form.service.as_ref()),
        repo_name: form.repo_name.clone(),
        description: form.description.clone().unwrap_or_default(),
        private: form.private.unwrap_or(false),
        mirror: form.mirror.unwrap_or(false),
        mirror_interval: form.mirror_interval.clone().unwrap_or_default(),
        items: ImportItems {
            labels: form.labels.unwrap_or(false),
            milestones: form.milestones.unwrap_or(false),
            issues: form.issues.unwrap_or(false),
            pull_requests: form.pull_requests.unwrap_or(false),
            releases: form.releases.unwrap_or(false),
        },
        user_map: form.user_map.clone().unwrap_or_default(),
    };
    let (repo, _) = match hatchery_service::Forge::start_import(
        state.clone(),
        caller.actor(),
        owner,
        req,
    )
    .await
    {
        Ok(done) => done,
        Err(StartError::Denied(d)) => return Err(ApiError::from_denial(d)),
        Err(StartError::NameTaken) => {
            return Err(ApiError::conflict(
                "The repository with the same name already exists.",
            ));
        }
        Err(StartError::NoSuchOwner) => return Err(ApiError::not_found()),
        Err(StartError::Other(e)) => return Err(e.into()),
        Err(e) => return Err(ApiError::unprocessable(e.to_string())),
    };
    let mut json = repos_json(&state, caller.actor(), vec![repo]).await?;
    let json = json.pop().ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(json)))
}

/// Where the import of a repository stands.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/migration", tag = "repository",
    operation_id = "repoMigrationStatus",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = MigrationStatus),
        (status = 404, body = ApiErrorBody, description = "no such repository, or not imported")))]
pub async fn migration(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult<Json<MigrationStatus>> {
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let progress = state
        .forge
        .import_progress(&view.repo)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(MigrationStatus::of(&progress)))
}

/// Resume a failed import where it stopped.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/migration/resume", tag = "repository",
    operation_id = "repoMigrationResume",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 202, description = "resumed"), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the import is not stopped")))]
pub async fn resume_migration(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.user_with("write:repository")?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    match hatchery_service::Forge::resume_import(state.clone(), caller.actor(), &view.repo).await {
        Ok(()) => Ok(StatusCode::ACCEPTED),
        Err(ResumeError::NotFound) => Err(ApiError::not_found()),
        Err(ResumeError::Denied(d)) => Err(ApiError::from_denial(d)),
        Err(ResumeError::NotFailed) => Err(ApiError::conflict("The import is not stopped.")),
        Err(ResumeError::Other(e)) => Err(e.into()),
    }
}
