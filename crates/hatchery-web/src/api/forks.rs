//! Forks in Gitea's shapes: `POST /repos/{owner}/{repo}/forks` (into the caller's account,
//! or an organization named in `organization` whose owners include the caller; answered
//! with 202 and the new repository, as Gitea does) and `GET /repos/{owner}/{repo}/forks`
//! (the forks the caller may read, oldest first, paged). The decisions are the service's
//! (`Forge::fork`): a private parent the caller cannot read is a 404 on both routes.

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_core::{Action, Name, NameKind, Resource};
use hatchery_service::forks::{ForkError, ForkOwner};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::accounts::org_for;
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::repo_for;
use crate::api::repos::repos_json;
use crate::api::types::ApiRepo;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new().routes(api_route!(list_forks, create_fork))
}

/// Gitea's `CreateForkOption`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CreateForkOption {
    /// Organization to fork into; the caller's account when absent.
    pub organization: Option<String>,
    /// Name of the fork; the parent's name when absent.
    pub name: Option<String>,
}

/// List a repository's forks that the caller may see.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/forks", tag = "repository",
    operation_id = "listForks",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiRepo], description = "RepositoryList; `X-Total-Count` and `Link` headers"),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_forks(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiRepo>>)> {
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let forks = state
        .forge
        .visible_forks(caller.actor(), &view.repo)
        .await?;
    let total = i64::try_from(forks.len()).unwrap_or(i64::MAX);
    let page = repos_json(&state, caller.actor(), paging.slice(forks)).await?;
    Ok((paging.headers(&uri, total), Json(page)))
}

/// Fork a repository.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/forks", tag = "repository",
    operation_id = "createFork",
    params(("owner" = String, Path, description = "owner of the repo to fork"),
        ("repo" = String, Path, description = "name of the repo to fork")),
    request_body = CreateForkOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 202, body = ApiRepo), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the name is taken"),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_fork(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(form): ApiJson<CreateForkOption>,
) -> ApiResult<(StatusCode, Json<ApiRepo>)> {
    let user = caller.user_with("write:repository")?.clone();
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let raw_name = form
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let name = Name::parse(NameKind::Repository, raw_name.unwrap_or(&view.repo.name))
        .map_err(|e| ApiError::unprocessable(format!("invalid repository name: {e}")))?;
    let org = match form
        .organization
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        Some(org) => Some(org_for(&state, &caller, org).await?),
        None => None,
    };
    let target = match &org {
        Some((org, facts)) => ForkOwner {
            id: org.id,
            name: &org.name,
            resource: Resource::Org(*facts),
        },
        None => ForkOwner {
            id: user.id,
            name: &user.name,
            resource: Resource::User { id: user.id },
        },
    };
    let fork = match state
        .forge
        .fork(caller.actor(), &view.repo, target, &name)
        .await
    {
        Ok(fork) => fork,
        Err(ForkError::Hidden | ForkError::Gone) => return Err(ApiError::not_found()),
        Err(ForkError::Denied(d)) => return Err(ApiError::from_denial(d)),
        Err(ForkError::NameTaken) => {
            return Err(ApiError::conflict(
                "The repository with the same name already exists.",
            ));
        }
        Err(ForkError::Other(e)) => return Err(e.into()),
    };
    let mut json = repos_json(&state, caller.actor(), vec![fork]).await?;
    let json = json.pop().ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::ACCEPTED, Json(json)))
}
