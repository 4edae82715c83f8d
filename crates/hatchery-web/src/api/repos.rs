//! Repositories in Gitea's shapes: creating them for the caller or an organization,
//! listing (the caller's, a user's, an organization's, a search), reading, changing and
//! deleting one, and its collaborators.
//!
//! Scopes: `read:repository` to read and `write:repository` to change, except under
//! `/orgs/{org}/...`, which needs `read:organization` / `write:organization` as in Gitea.
//! What a caller may do to a repository is the permission policy's decision
//! ([`crate::api::repo_for`]); private repositories the caller cannot read are 404s, and
//! lists leave them out.
//!
//! Where Hatchery differs from Gitea:
//! - `/user/repos` and `/users/{username}/repos` need only the repository scope (Gitea
//!   also wants the user scope).
//! - `/user/repos` lists what the caller owns and reaches as a collaborator, through a
//!   team, or as an owner of the owning organization, by name.
//! - Creating: `name`, `description`, `private`, `auto_init` (a README.md) and
//!   `default_branch` are honoured; templates, `.gitignore`, licence, labels and trust
//!   model options are accepted and ignored.
//! - Editing: `description`, `private` and `default_branch` (which must be a branch,
//!   unless the repository is empty) are honoured; renaming is refused with a 422 (links,
//!   clones and references use the name); other options are ignored. Archiving is not
//!   offered: read-only repositories are the incubator's to decide.
//! - Deleting needs administration of the repository, as on the settings page (Gitea
//!   wants the owner).
//! - Removing someone who is not a collaborator is a 204 as in Gitea; naming an account
//!   that does not exist, or an organization, is a 422.
//! - `/repos/search` supports `q`, `includeDesc`, `uid`, `exclusive`, `private`,
//!   `is_private`, `archived`, `sort` (`alpha`, `created`, `updated`, `id`; `size`,
//!   `git_size`, `lfs_size`, `stars` and `forks` order by name, as all are equal here) and
//!   `order`; `topic`, `mode`, `template`, `team_id`, `starredBy` and `priority_owner_id`
//!   are ignored.

use std::collections::HashMap;

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_core::validate::{self, DESCRIPTION_MAX};
use hatchery_core::{AccessLevel, Action, Actor, Name, NameKind, RepoFacts, Resource, authorize};
use hatchery_git::{Head, RefUpdate, Signature};
use hatchery_service::ServiceError;
use hatchery_service::issues::RepoView;
use hatchery_service::repos::{CreateRepo, CreateRepoError, DEFAULT_BRANCH};
use hatchery_store::{
    Account, Repo, RepoOrder, RepoSearch, RepoVisibility, StoreError, User, now_ms,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::accounts::{check, org_for};
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::types::ApiRepo;
use crate::api::{permission, repo_for, urls};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_my_repos, create_my_repo))
        .routes(api_route!(list_user_repos))
        .routes(api_route!(list_org_repos, create_org_repo))
        .routes(api_route!(search))
        .routes(api_route!(get_repo, edit_repo, delete_repo))
        .routes(api_route!(
            check_collaborator,
            add_collaborator,
            delete_collaborator
        ))
}

// ---- helpers ----

/// Which repositories a search may return to `actor`, asked of the policy: whoever may read
/// a private repository they have no relation to reads everything.
fn visibility_of(actor: Actor) -> RepoVisibility {
    let strangers = RepoFacts {
        private: true,
        ..RepoFacts::default()
    };
    if authorize(actor, Action::Read, Resource::Repo(strangers)).is_allowed() {
        return RepoVisibility::All;
    }
    match actor.user_id() {
        Some(id) => RepoVisibility::PublicAndReachableBy(id),
        None => RepoVisibility::Public,
    }
}

/// The JSON of those of `repos` the actor may read, with what the actor may do to each
/// and its open issues.
pub async fn repos_json(
    state: &AppState,
    actor: Actor,
    repos: Vec<Repo>,
) -> ApiResult<Vec<ApiRepo>> {
    let access = match actor.user_id() {
        Some(uid) if !repos.is_empty() => {
            let ids: Vec<i64> = repos.iter().map(|r| r.id).collect();
            state.store.repo_access_many(&ids, uid).await?
        }
        _ => HashMap::new(),
    };
    let mut out = Vec::with_capacity(repos.len());
    for repo in repos {
        let facts = repo.facts(
            actor.user_id(),
            access.get(&repo.id).copied().unwrap_or_default(),
        );
        if !authorize(actor, Action::Read, Resource::Repo(facts)).is_allowed() {
            continue;
        }
        out.push(repo_json(state, &RepoView { repo, facts, actor }).await?);
    }
    Ok(out)
}

pub async fn repo_json(state: &AppState, view: &RepoView) -> ApiResult<ApiRepo> {
    let mut json = repo_json_alone(state, view).await?;
    // A fork names its parent (as Gitea does) only to those who may read it.
    if let Some(parent) = state.forge.visible_parent(view.actor, &view.repo).await? {
        let parent_view = state.forge.repo_view_of(view.actor, parent).await?;
        json.parent = Some(Box::new(repo_json_alone(state, &parent_view).await?));
    }
    Ok(json)
}

/// A repository's JSON without its parent.
async fn repo_json_alone(state: &AppState, view: &RepoView) -> ApiResult<ApiRepo> {
    let (open, _) = state.store.issue_counts(view.repo.id).await?;
    let (open_pulls, _) = state.store.pull_counts(view.repo.id).await?;
    let merge = state.store.merge_settings(view.repo.id).await?;
    let mut json =
        ApiRepo::of(&urls(state), &view.repo, permission(view), open).with_merge_settings(&merge);
    json.open_pr_counter = open_pulls;
    // Only the forks the caller may read are counted: a private fork is never revealed.
    let forks = state.forge.visible_forks(view.actor, &view.repo).await?;
    json.forks_count = i64::try_from(forks.len()).unwrap_or(i64::MAX);
    if view.repo.read_only
        && let Some(m) = state.store.pull_mirror(view.repo.id).await?
    {
        json.mirror = true;
        json.archived = false;
        json.mirror_interval = hatchery_core::mirrors::format_interval(m.interval_ms);
        json.mirror_updated = m.last_update_at.map(hatchery_api_types::time);
        json.original_url = m.remote_url;
    } else if let Some(import) = state.store.import_of_repo(view.repo.id).await? {
        json.original_url = import.clone_addr;
    }
    Ok(json)
}

fn total_of<T>(items: &[T]) -> i64 {
    i64::try_from(items.len()).unwrap_or(i64::MAX)
}

/// A page of an owner's repositories that the caller may read.
async fn owner_page(
    state: &AppState,
    caller: &ApiCaller,
    owner_id: i64,
    paging: &Paging,
    uri: &axum::http::Uri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiRepo>>)> {
    let all = state.forge.visible_repos(caller.actor(), owner_id).await?;
    let total = total_of(&all);
    let page = repos_json(state, caller.actor(), paging.slice(all)).await?;
    Ok((paging.headers(uri, total), Json(page)))
}

/// The branches of a repository and where HEAD points.
struct Branches {
    names: Vec<String>,
    head: Option<String>,
}

async fn branches(state: &AppState, repo: &Repo) -> ApiResult<Branches> {
    let (state, repo) = (state.clone(), repo.clone());
    let found = tokio::task::spawn_blocking(move || -> Result<Branches, ServiceError> {
        let git = state.forge.open_git_blocking(&repo)?;
        let head = match git.head()? {
            Head::Branch { name, .. } | Head::Unborn { name } => {
                Some(name.trim_start_matches("refs/heads/").to_owned())
            }
            Head::Detached(_) => None,
        };
        let names = git
            .refs()?
            .into_iter()
            .filter_map(|r| r.name.strip_prefix("refs/heads/").map(str::to_owned))
            .collect();
        Ok(Branches { names, head })
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(found)
}

/// A branch name as given, checked; `field` names it in the error.
fn branch_name(raw: &str, field: &str) -> ApiResult<String> {
    let branch = raw.trim();
    if branch.is_empty()
        || hatchery_git::validate_ref_name(&format!("refs/heads/{branch}")).is_err()
    {
        return Err(ApiError::unprocessable(format!(
            "{field}: {branch:?} is not a valid branch name"
        )));
    }
    Ok(branch.to_owned())
}

// ---- creating ----

/// Like Gitea's `CreateRepoOption`; the options Hatchery has no use for are accepted and
/// ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRepoOption {
    /// Name of the repository to create.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Whether the repository is private.
    #[serde(default)]
    pub private: Option<bool>,
    /// Whether the repository should be initialized (with a README.md).
    #[serde(default)]
    pub auto_init: Option<bool>,
    /// The repository's default branch (`main` when not given).
    #[serde(default)]
    pub default_branch: Option<String>,
}

/// Creates `form` for the owner and answers with the new repository.
async fn create_for(
    state: &AppState,
    caller: &ApiCaller,
    user: &User,
    owner_id: i64,
    owner_name: &str,
    form: CreateRepoOption,
) -> ApiResult<(StatusCode, Json<ApiRepo>)> {
    let name = Name::parse(NameKind::Repository, &form.name).map_err(|e| {
        ApiError::unprocessable(format!("invalid repository name {:?}: {e}", form.name))
    })?;
    let description = validate::text(form.description.as_deref().unwrap_or(""), DESCRIPTION_MAX)
        .map_err(|e| ApiError::unprocessable(format!("description: {e}")))?;
    let branch = match form.default_branch.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_BRANCH.to_owned(),
        Some(b) => branch_name(b, "default_branch")?,
    };
    let auto_init = form.auto_init.unwrap_or(false);
    let author = auto_init.then(|| Signature {
        name: if user.display_name.is_empty() {
            user.name.clone()
        } else {
            user.display_name.clone()
        },
        email: user.email.clone(),
        time: now_ms() / 1000,
        offset_seconds: 0,
    });
    let created = state
        .forge
        .create_repo_by(
            Some(user.id),
            CreateRepo {
                owner_id,
                owner_name,
                name: &name,
                description: &description,
                is_private: form.private.unwrap_or(false),
                init_readme: author,
            },
        )
        .await;
    let mut repo = match created {
        Ok(repo) => repo,
        Err(CreateRepoError::NameTaken) => {
            return Err(ApiError::conflict(
                "The repository with the same name already exists.",
            ));
        }
        Err(CreateRepoError::NoSuchOwner) => return Err(ApiError::not_found()),
        Err(CreateRepoError::Other(e)) => return Err(e.into()),
    };
    if branch != DEFAULT_BRANCH {
        match move_default_branch(state, &repo, &branch).await {
            Ok(moved) => repo = moved,
            Err(e) => {
                // Half made: remove it, so that asking again can succeed.
                if let Err(cleanup) = state.forge.delete_repo(&repo).await {
                    tracing::error!(error = %cleanup, "removing a repository that could not be set up failed");
                }
                return Err(e);
            }
        }
    }
    tracing::info!(repo = %format!("{}/{}", repo.owner_name, repo.name), "repository created through the API");
    let facts = state.forge.repo_facts(caller.actor(), &repo).await?;
    let view = RepoView {
        repo,
        facts,
        actor: caller.actor(),
    };
    Ok((StatusCode::CREATED, Json(repo_json(state, &view).await?)))
}

/// Makes `branch` the default branch of a repository just created on `main`: the initial
/// commit, if any, moves to it.
async fn move_default_branch(state: &AppState, repo: &Repo, branch: &str) -> ApiResult<Repo> {
    let (st, r, b) = (state.clone(), repo.clone(), branch.to_owned());
    tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
        let git = st.forge.open_git_blocking(&r).map_err(ApiError::internal)?;
        let main = format!("refs/heads/{DEFAULT_BRANCH}");
        if let Some(commit) = git.find_ref(&main).map_err(ApiError::internal)? {
            let updates = [
                RefUpdate {
                    name: format!("refs/heads/{b}"),
                    old: None,
                    new: Some(commit),
                },
                RefUpdate {
                    name: main,
                    old: Some(commit),
                    new: None,
                },
            ];
            for result in git.update_refs(&updates, true) {
                result.map_err(ApiError::internal)?;
            }
        }
        git.set_head(&b).map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(state
        .store
        .update_repo(repo.id, &repo.description, repo.is_private, branch)
        .await?)
}

// ---- lists ----

/// List the repositories the caller owns or has access to, by name.
#[utoipa::path(get, path = "/user/repos", tag = "user", operation_id = "userCurrentListRepos",
    params(Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiRepo], description = "RepositoryList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn list_my_repos(
    State(state): State<AppState>,
    caller: ApiCaller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiRepo>>)> {
    let user = caller.user_with("read:repository")?;
    let found = state
        .store
        .search_repos(&RepoSearch {
            visibility: visibility_of(caller.actor()),
            related_to: Some(user.id),
            limit: paging.limit(),
            offset: paging.offset(),
            ..RepoSearch::default()
        })
        .await?;
    let page = repos_json(&state, caller.actor(), found.repos).await?;
    Ok((paging.headers(&uri, found.total), Json(page)))
}

/// Create a repository owned by the caller.
#[utoipa::path(post, path = "/user/repos", tag = "repository",
    operation_id = "createCurrentUserRepo",
    request_body = CreateRepoOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiRepo), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the name is taken"),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_my_repo(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(form): ApiJson<CreateRepoOption>,
) -> ApiResult<(StatusCode, Json<ApiRepo>)> {
    let user = caller.user_with("write:repository")?.clone();
    check(
        caller.actor(),
        Action::CreateRepo,
        Resource::User { id: user.id },
    )?;
    create_for(&state, &caller, &user, user.id, &user.name, form).await
}

/// List a user's (or an organization's) repositories that the caller may see.
#[utoipa::path(get, path = "/users/{username}/repos", tag = "user",
    operation_id = "userListRepos",
    params(("username" = String, Path, description = "username of user"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiRepo], description = "RepositoryList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_user_repos(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiRepo>>)> {
    caller.need("read:repository")?;
    let owner_id = match state.store.account_by_name(&username).await? {
        Some(Account::User(u)) => u.id,
        Some(Account::Org(o)) => o.id,
        None => return Err(ApiError::not_found()),
    };
    owner_page(&state, &caller, owner_id, &paging, &uri).await
}

/// List an organization's repositories that the caller may see.
#[utoipa::path(get, path = "/orgs/{org}/repos", tag = "organization",
    operation_id = "orgListRepos",
    params(("org" = String, Path, description = "name of the organization"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiRepo], description = "RepositoryList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_org_repos(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiRepo>>)> {
    caller.need("read:organization")?;
    let (org, facts) = org_for(&state, &caller, &org).await?;
    check(caller.actor(), Action::ViewProfile, Resource::Org(facts))?;
    owner_page(&state, &caller, org.id, &paging, &uri).await
}

/// Create a repository in an organization; for its owners.
#[utoipa::path(post, path = "/orgs/{org}/repos", tag = "organization",
    operation_id = "createOrgRepo",
    params(("org" = String, Path, description = "name of organization")),
    request_body = CreateRepoOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiRepo), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the name is taken"),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_org_repo(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    ApiJson(form): ApiJson<CreateRepoOption>,
) -> ApiResult<(StatusCode, Json<ApiRepo>)> {
    let user = caller.user_with("write:organization")?.clone();
    let (org, facts) = org_for(&state, &caller, &org).await?;
    check(caller.actor(), Action::CreateRepo, Resource::Org(facts))?;
    create_for(&state, &caller, &user, org.id, &org.name, form).await
}

// ---- search ----

/// Query of `GET /repos/search`, as Gitea's.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Keyword: part of the repository name.
    pub q: Option<String>,
    /// Search the keyword in descriptions too.
    #[serde(rename = "includeDesc")]
    #[param(rename = "includeDesc")]
    pub include_desc: Option<bool>,
    /// Only repositories the user (or organization) with this id owns or contributes to.
    pub uid: Option<i64>,
    /// With `uid`: only the repositories it owns.
    pub exclusive: Option<bool>,
    /// Include the private repositories the caller has access to (default true).
    pub private: Option<bool>,
    /// Only private (`true`) or only public (`false`) repositories.
    pub is_private: Option<bool>,
    /// Only archived (read-only, `true`) or only writable (`false`) repositories.
    pub archived: Option<bool>,
    /// `alpha` (default), `created`, `updated` or `id` (also accepted: `size`, `git_size`,
    /// `lfs_size`, `stars`, `forks`, which order by name).
    pub sort: Option<String>,
    /// `asc` (default) or `desc`; only with `sort`.
    pub order: Option<String>,
}

/// The answer of `GET /repos/search`: Gitea wraps the list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    pub ok: bool,
    pub data: Vec<ApiRepo>,
}

fn sort_of(q: &SearchQuery) -> ApiResult<(RepoOrder, bool)> {
    let Some(sort) = q.sort.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok((RepoOrder::Alpha, false));
    };
    let descending = match q.order.as_deref().map(str::trim).unwrap_or("") {
        "" | "asc" => false,
        "desc" => true,
        other => {
            return Err(ApiError::unprocessable(format!(
                "Invalid sort order: {other:?}"
            )));
        }
    };
    let order = match sort {
        "alpha" | "size" | "git_size" | "lfs_size" | "stars" | "forks" => RepoOrder::Alpha,
        "created" => RepoOrder::Created,
        "updated" => RepoOrder::Updated,
        "id" => RepoOrder::Id,
        other => {
            return Err(ApiError::unprocessable(format!(
                "Invalid sort mode: {other:?}"
            )));
        }
    };
    Ok((order, descending))
}

/// Search for repositories the caller may read.
#[utoipa::path(get, path = "/repos/search", tag = "repository", operation_id = "repoSearch",
    params(SearchQuery, Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = SearchResults, description = "SearchResults; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    caller: ApiCaller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<SearchQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<SearchResults>)> {
    caller.need("read:repository")?;
    let (order, descending) = sort_of(&q)?;
    let visibility = if q.private == Some(false) {
        RepoVisibility::Public
    } else {
        visibility_of(caller.actor())
    };
    let found = state
        .store
        .search_repos(&RepoSearch {
            visibility,
            related_to: q.uid.filter(|u| *u > 0),
            owned_only: q.exclusive.unwrap_or(false),
            keyword: q.q.clone().unwrap_or_default(),
            in_description: q.include_desc.unwrap_or(false),
            private: q.is_private,
            read_only: q.archived,
            order,
            descending,
            limit: paging.limit(),
            offset: paging.offset(),
        })
        .await?;
    let data = repos_json(&state, caller.actor(), found.repos).await?;
    Ok((
        paging.headers(&uri, found.total),
        Json(SearchResults { ok: true, data }),
    ))
}

// ---- one repository ----

/// Get a repository.
#[utoipa::path(get, path = "/repos/{owner}/{repo}", tag = "repository", operation_id = "repoGet",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiRepo), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_repo(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult<Json<ApiRepo>> {
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    Ok(Json(repo_json(&state, &view).await?))
}

/// Like Gitea's `EditRepoOption`; the options Hatchery has no use for are accepted and
/// ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EditRepoOption {
    /// Must be the current name: renaming is not supported.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub private: Option<bool>,
    /// An existing branch (any valid name while the repository is empty).
    #[serde(default)]
    pub default_branch: Option<String>,
}

/// Edit a repository's properties; for its administrators.
#[utoipa::path(patch, path = "/repos/{owner}/{repo}", tag = "repository", operation_id = "repoEdit",
    params(("owner" = String, Path, description = "owner of the repo to edit"),
        ("repo" = String, Path, description = "name of the repo to edit")),
    request_body = EditRepoOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiRepo), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn edit_repo(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(form): ApiJson<EditRepoOption>,
) -> ApiResult<Json<ApiRepo>> {
    caller.user()?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Administer,
        "write:repository",
    )
    .await?;
    let current = &view.repo;
    if let Some(name) = form.name.as_deref().map(str::trim)
        && name != current.name
    {
        return Err(ApiError::unprocessable(
            "renaming a repository is not supported",
        ));
    }
    let description = match form.description.as_deref() {
        Some(d) => validate::text(d, DESCRIPTION_MAX)
            .map_err(|e| ApiError::unprocessable(format!("description: {e}")))?,
        None => current.description.clone(),
    };
    let private = form.private.unwrap_or(current.is_private);
    let branch = match form.default_branch.as_deref() {
        Some(b) => branch_name(b, "default_branch")?,
        None => current.default_branch.clone(),
    };
    if form.default_branch.is_some() {
        let found = branches(&state, current).await?;
        if !found.names.is_empty() && !found.names.contains(&branch) {
            return Err(ApiError::unprocessable(format!(
                "default_branch: there is no branch {branch:?}"
            )));
        }
        if found.head.as_deref() != Some(branch.as_str()) {
            let (st, r, b) = (state.clone(), current.clone(), branch.clone());
            tokio::task::spawn_blocking(move || -> Result<(), ServiceError> {
                st.forge.open_git_blocking(&r)?.set_head(&b)?;
                Ok(())
            })
            .await
            .map_err(ApiError::internal)??;
        }
    }
    let updated = state
        .store
        .update_repo(current.id, &description, private, &branch)
        .await?;
    tracing::info!(repo = %format!("{}/{}", updated.owner_name, updated.name), "repository settings changed through the API");
    let view = RepoView {
        facts: RepoFacts {
            private: updated.is_private,
            ..view.facts
        },
        repo: updated,
        actor: view.actor,
    };
    Ok(Json(repo_json(&state, &view).await?))
}

/// Delete a repository, its issues and its git data; for its administrators.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}", tag = "repository",
    operation_id = "repoDelete",
    params(("owner" = String, Path, description = "owner of the repo to delete"),
        ("repo" = String, Path, description = "name of the repo to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_repo(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.user()?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Administer,
        "write:repository",
    )
    .await?;
    state
        .forge
        .delete_repo_by(caller.actor().user_id(), &view.repo)
        .await?;
    tracing::info!(repo = %format!("{}/{}", view.repo.owner_name, view.repo.name), "repository deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}

// ---- collaborators ----

/// The user `name` names; 422 for no account or an organization, as Gitea answers.
async fn collaborator_user(state: &AppState, name: &str) -> ApiResult<User> {
    match state.store.account_by_name(name).await? {
        Some(Account::User(u)) => Ok(u),
        Some(Account::Org(_)) => Err(ApiError::unprocessable(format!(
            "{name} is an organization; only users can be collaborators"
        ))),
        None => Err(ApiError::unprocessable(format!(
            "user does not exist [name: {name}]"
        ))),
    }
}

/// Like Gitea's `AddCollaboratorOption`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AddCollaboratorOption {
    /// `read`, `write` (default) or `admin`.
    #[serde(default)]
    pub permission: Option<String>,
}

/// Check if a user is a collaborator of a repository: 204 if so, 404 if not.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/collaborators/{collaborator}",
    tag = "repository", operation_id = "repoCheckCollaborator",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("collaborator" = String, Path, description = "username of the collaborator")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "a collaborator"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody, description = "not a collaborator, or no such repository"),
        (status = 422, body = ApiErrorBody)))]
pub async fn check_collaborator(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, collaborator)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    caller.user()?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let user = collaborator_user(&state, &collaborator).await?;
    let is = state
        .store
        .collaborators(view.repo.id)
        .await?
        .iter()
        .any(|c| c.user.id == user.id);
    if is {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// Add a collaborator to a repository, or change their permission; for its administrators.
#[utoipa::path(put, path = "/repos/{owner}/{repo}/collaborators/{collaborator}",
    tag = "repository", operation_id = "repoAddCollaborator",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("collaborator" = String, Path, description = "username of the collaborator to add")),
    request_body = AddCollaboratorOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "added or changed"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_collaborator(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, collaborator)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    caller.user()?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Administer,
        "write:repository",
    )
    .await?;
    // The body is optional (Gitea's clients may send none); when present it is JSON.
    let form: AddCollaboratorOption = if body.iter().all(u8::is_ascii_whitespace) {
        AddCollaboratorOption::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::unprocessable(e.to_string()))?
    };
    let level = match form.permission.as_deref().map(str::trim) {
        None | Some("") => AccessLevel::Write,
        Some(p) => p.parse::<AccessLevel>().map_err(|_| {
            ApiError::unprocessable(format!("permission {p:?} is not one of read, write, admin"))
        })?,
    };
    let user = collaborator_user(&state, &collaborator).await?;
    if user.id == view.repo.owner_id {
        return Err(ApiError::unprocessable(
            "the owner of a repository cannot be its collaborator",
        ));
    }
    state
        .store
        .set_collaborator(view.repo.id, user.id, level)
        .await?;
    tracing::info!(repo = %view.repo.name, user = %user.name, %level, "collaborator set through the API");
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a collaborator from a repository; for its administrators.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/collaborators/{collaborator}",
    tag = "repository", operation_id = "repoDeleteCollaborator",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("collaborator" = String, Path, description = "username of the collaborator to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "removed (or was not a collaborator)"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn delete_collaborator(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, collaborator)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    caller.user()?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Administer,
        "write:repository",
    )
    .await?;
    let user = collaborator_user(&state, &collaborator).await?;
    match state.store.remove_collaborator(view.repo.id, user.id).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e.into()),
    }
}
