//! Commit statuses and branch protections in Gitea's shapes.
//!
//! Statuses: anyone who can read a repository reads them (`read:repository`); reporting
//! one needs write access (`write:repository`). Branch protections are read and changed
//! by the repository's administrators only, as in Gitea. Private repositories the caller
//! cannot read are 404s.
//!
//! Where Hatchery differs from Gitea:
//! - `GET .../statuses/{sha}` takes any commit id, branch or tag; one naming nothing
//!   answers an empty list. `POST` needs an id naming a commit of the repository (422).
//! - Branch protections carry three extra fields: `enable_deletion`, `require_signoff`
//!   (DCO) and `require_linear_history`. A rule created without them gets
//!   `block_admin_merge_override: true` (administrators are held to rules unless a rule
//!   lets them past) and `enable_push: true` (writers push). `block_admin_merge_override`
//!   also governs pushes. Deploy keys, approval allowlists, file patterns, signed commits
//!   and the outdated-branch block are accepted and not enforced.
//! - A rule's name is a path segment: a rule `release/*` is `release%2F%2A`.

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_core::Action;
use hatchery_core::protection::BranchRule;
use hatchery_core::statuses::NewStatus;
use hatchery_service::issues::RepoView;
use hatchery_service::protection::{RuleInput, RuleSaveError};
use hatchery_service::statuses::StatusReportError;
use hatchery_store::{CommitStatus, ProtectionRule};

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::repos::repo_json;
use crate::api::types::protection::{
    ApiBranchProtection, ApiCombinedStatus, ApiCommitStatus, BranchProtectionOption,
    CreateStatusOption,
};
use crate::api::{repo_for, urls};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(create_status, list_statuses))
        .routes(api_route!(list_statuses_by_ref))
        .routes(api_route!(combined_status_by_ref))
        .routes(api_route!(
            list_branch_protections,
            create_branch_protection
        ))
        .routes(api_route!(
            get_branch_protection,
            edit_branch_protection,
            delete_branch_protection
        ))
}

async fn reader(state: &AppState, caller: &ApiCaller, o: &str, r: &str) -> ApiResult<RepoView> {
    repo_for(state, caller, o, r, Action::Read, "read:repository").await
}

/// The readable repository and the commit `reference` names in it (404 when none).
async fn reader_at(
    state: &AppState,
    caller: &ApiCaller,
    o: &str,
    r: &str,
    reference: &str,
) -> ApiResult<(RepoView, String)> {
    let view = reader(state, caller, o, r).await?;
    let commit = state
        .forge
        .resolve_commit(&view.repo, reference)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((view, commit.to_string()))
}

async fn admin(
    state: &AppState,
    caller: &ApiCaller,
    o: &str,
    r: &str,
    change: bool,
) -> ApiResult<RepoView> {
    let scope = if change {
        "write:repository"
    } else {
        "read:repository"
    };
    repo_for(state, caller, o, r, Action::Administer, scope).await
}

fn status_json(state: &AppState, view: &RepoView, s: &CommitStatus) -> ApiCommitStatus {
    ApiCommitStatus::of(&urls(state), &view.repo, s)
}

async fn history(
    state: &AppState,
    view: &RepoView,
    sha: Option<String>,
    paging: Paging,
    uri: &axum::http::Uri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiCommitStatus>>)> {
    let (list, total) = match sha {
        Some(sha) => {
            state
                .store
                .commit_status_history(view.repo.id, &sha, paging.limit(), paging.offset())
                .await?
        }
        None => (Vec::new(), 0),
    };
    let body = list.iter().map(|s| status_json(state, view, s)).collect();
    Ok((paging.headers(uri, total), Json(body)))
}

/// Create a commit status.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/statuses/{sha}", tag = "repository",
    operation_id = "repoCreateStatus",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("sha" = String, Path, description = "sha of the commit")),
    request_body = CreateStatusOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiCommitStatus), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_status(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    ApiJson(opt): ApiJson<CreateStatusOption>,
) -> ApiResult<(StatusCode, Json<ApiCommitStatus>)> {
    caller.user()?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Write,
        "write:repository",
    )
    .await?;
    let status = NewStatus::parse(&opt.state, &opt.context, &opt.description, &opt.target_url)
        .map_err(|e| ApiError::unprocessable(e.to_string()))?;
    let stored = state
        .forge
        .report_status(&view.repo, caller.actor(), &sha, &status)
        .await
        .map_err(|e| match e {
            StatusReportError::NoSuchCommit => {
                ApiError::unprocessable(format!("sha: no commit {sha:?} in this repository"))
            }
            StatusReportError::Other(e) => e.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(status_json(&state, &view, &stored)),
    ))
}

/// Get a commit's statuses, newest first.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/statuses/{sha}", tag = "repository",
    operation_id = "repoListStatuses",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("sha" = String, Path, description = "sha of the commit"), Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiCommitStatus], description = "CommitStatusList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_statuses(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, sha)): Path<(String, String, String)>,
    ApiQuery(paging): ApiQuery<Paging>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiCommitStatus>>)> {
    let view = reader(&state, &caller, &owner, &repo).await?;
    let commit = state.forge.resolve_commit(&view.repo, &sha).await?;
    // Gitea answers an empty list for a commit it does not know.
    history(&state, &view, commit.map(|c| c.to_string()), paging, &uri).await
}

/// Get a commit's statuses, by branch, tag or commit id.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/commits/{ref}/statuses", tag = "repository",
    operation_id = "repoListStatusesByRef",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("ref" = String, Path, description = "name of branch/tag/commit"), Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiCommitStatus], description = "CommitStatusList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_statuses_by_ref(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, reference)): Path<(String, String, String)>,
    ApiQuery(paging): ApiQuery<Paging>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiCommitStatus>>)> {
    let (view, commit) = reader_at(&state, &caller, &owner, &repo, &reference).await?;
    history(&state, &view, Some(commit), paging, &uri).await
}

/// Get a commit's combined status, by branch, tag or commit id.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/commits/{ref}/status", tag = "repository",
    operation_id = "repoGetCombinedStatusByRef",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("ref" = String, Path, description = "name of branch/tag/commit")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiCombinedStatus), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn combined_status_by_ref(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, reference)): Path<(String, String, String)>,
) -> ApiResult<Json<ApiCombinedStatus>> {
    let (view, commit) = reader_at(&state, &caller, &owner, &repo, &reference).await?;
    let combined = state.forge.combined_status(&view.repo, &commit).await?;
    let u = urls(&state);
    let path = format!("repos/{}/{}", view.repo.owner_name, view.repo.name);
    Ok(Json(ApiCombinedStatus {
        state: combined.state.as_str().to_owned(),
        total_count: i64::try_from(combined.statuses.len()).unwrap_or(i64::MAX),
        statuses: combined
            .statuses
            .iter()
            .map(|s| status_json(&state, &view, s))
            .collect(),
        repository: repo_json(&state, &view).await?,
        commit_url: u.api(&format!("{path}/git/commits/{}", combined.sha)),
        url: u.api(&format!("{path}/commits/{}/status", combined.sha)),
        sha: combined.sha,
    }))
}

// ---- branch protections ----

impl From<RuleSaveError> for ApiError {
    fn from(e: RuleSaveError) -> ApiError {
        match e {
            RuleSaveError::Invalid(e) => ApiError::unprocessable(e.to_string()),
            RuleSaveError::UnknownUser(n) => {
                ApiError::unprocessable(format!("no user named {n:?}"))
            }
            RuleSaveError::UnknownTeam(n) => {
                ApiError::unprocessable(format!("no team named {n:?} in this organization"))
            }
            RuleSaveError::NameTaken => ApiError::forbidden("Branch protection already exist"),
            RuleSaveError::NotFound => ApiError::not_found(),
            RuleSaveError::Other(e) => e.into(),
        }
    }
}

/// `opt` applied to `base` (a stored rule's input, or a new rule's defaults).
fn apply(opt: &BranchProtectionOption, mut base: RuleInput) -> ApiResult<RuleInput> {
    base.rule = opt.apply_flags(base.rule).ok_or_else(|| {
        ApiError::unprocessable("required_approvals: must be a whole number from 0 to 100")
    })?;
    let set = |v: &Option<Vec<String>>, slot: &mut Vec<String>| {
        if let Some(v) = v {
            slot.clone_from(v);
        }
    };
    set(&opt.push_whitelist_usernames, &mut base.push_users);
    set(&opt.push_whitelist_teams, &mut base.push_teams);
    set(
        &opt.force_push_allowlist_usernames,
        &mut base.force_push_users,
    );
    set(&opt.force_push_allowlist_teams, &mut base.force_push_teams);
    set(&opt.merge_whitelist_usernames, &mut base.merge_users);
    set(&opt.merge_whitelist_teams, &mut base.merge_teams);
    Ok(base)
}

async fn rule_named(state: &AppState, view: &RepoView, name: &str) -> ApiResult<ProtectionRule> {
    state
        .store
        .protection_rule(view.repo.id, name)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// List branch protections for a repository.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/branch_protections", tag = "repository",
    operation_id = "repoListBranchProtection",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiBranchProtection]), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_branch_protections(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult<Json<Vec<ApiBranchProtection>>> {
    let view = admin(&state, &caller, &owner, &repo, false).await?;
    let rules = state.store.protection_rules(view.repo.id).await?;
    Ok(Json(rules.iter().map(ApiBranchProtection::of).collect()))
}

/// Create a branch protection for a repository.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/branch_protections", tag = "repository",
    operation_id = "repoCreateBranchProtection",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = BranchProtectionOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiBranchProtection), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody, description = "not an administrator, or a rule of this name exists"),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_branch_protection(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(opt): ApiJson<BranchProtectionOption>,
) -> ApiResult<(StatusCode, Json<ApiBranchProtection>)> {
    let view = admin(&state, &caller, &owner, &repo, true).await?;
    let fresh = RuleInput {
        rule: BranchRule::new(""),
        push_users: Vec::new(),
        push_teams: Vec::new(),
        force_push_users: Vec::new(),
        force_push_teams: Vec::new(),
        merge_users: Vec::new(),
        merge_teams: Vec::new(),
    };
    let input = apply(&opt, fresh)?;
    let saved = state
        .forge
        .save_protection_rule(&view.repo, None, input)
        .await?;
    Ok((StatusCode::CREATED, Json(ApiBranchProtection::of(&saved))))
}

/// Get a specific branch protection for the repository.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/branch_protections/{name}", tag = "repository",
    operation_id = "repoGetBranchProtection",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("name" = String, Path, description = "name of protected branch")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiBranchProtection), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_branch_protection(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> ApiResult<Json<ApiBranchProtection>> {
    let view = admin(&state, &caller, &owner, &repo, false).await?;
    let rule = rule_named(&state, &view, &name).await?;
    Ok(Json(ApiBranchProtection::of(&rule)))
}

/// Edit a branch protection for a repository. Only fields that are set will be changed.
#[utoipa::path(patch, path = "/repos/{owner}/{repo}/branch_protections/{name}", tag = "repository",
    operation_id = "repoEditBranchProtection",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("name" = String, Path, description = "name of protected branch")),
    request_body = BranchProtectionOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiBranchProtection), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn edit_branch_protection(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, name)): Path<(String, String, String)>,
    ApiJson(opt): ApiJson<BranchProtectionOption>,
) -> ApiResult<Json<ApiBranchProtection>> {
    let view = admin(&state, &caller, &owner, &repo, true).await?;
    let stored = rule_named(&state, &view, &name).await?;
    let input = apply(&opt, RuleInput::of(&stored))?;
    let saved = state
        .forge
        .save_protection_rule(&view.repo, Some(&stored.rule.rule_name), input)
        .await?;
    Ok(Json(ApiBranchProtection::of(&saved)))
}

/// Delete a specific branch protection for the repository.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/branch_protections/{name}", tag = "repository",
    operation_id = "repoDeleteBranchProtection",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("name" = String, Path, description = "name of protected branch")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_branch_protection(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = admin(&state, &caller, &owner, &repo, true).await?;
    if state
        .store
        .delete_protection_rule(view.repo.id, &name)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
