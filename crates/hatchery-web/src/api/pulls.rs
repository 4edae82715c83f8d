//! `/repos/{owner}/{repo}/pulls`: pull requests in Gitea's routes and shapes — list,
//! create, get (also as `.diff` and `.patch`), edit, commits and changed files. The
//! conversation (comments, labels, assignees) is the issue routes', by the same number.

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hatchery_api_types::pulls::{
    ApiChangedFile, ApiPullRequest, CreatePullOption, MergePullOption,
};
use hatchery_core::Action;
use hatchery_core::issues::{IssueSort, StateFilter};
use hatchery_core::pulls::{DraftFilter, KindFilter};
use hatchery_git::{ChangeKind, DiffOptions};
use hatchery_service::issues::RepoView;
use hatchery_service::pulls::{MergeInput, PullError, PullInput};
use hatchery_store::{Issue, IssueQuery, PullRequest};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::git::{Commit, commit_list};
use crate::api::issues::{EditIssueOption, issue_update};
use crate::api::paging::Paging;
use crate::api::{path_id, repo_for, urls};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_pulls, create_pull))
        .routes(api_route!(get_pull, edit_pull))
        .routes(api_route!(pull_commits))
        .routes(api_route!(pull_files))
        .routes(api_route!(pull_is_merged, merge_pull))
        .routes(api_route!(update_pull_branch))
}

/// How many changed files `/files` lists at most.
const FILES_MAX: usize = 3000;

impl From<PullError> for ApiError {
    fn from(e: PullError) -> ApiError {
        match e {
            PullError::Issue(e) => e.into(),
            PullError::NoBranch(side) => ApiError::unprocessable(format!("{side}: no such branch")),
            PullError::SameBranch => {
                ApiError::unprocessable("head and base must be different branches")
            }
            PullError::NoChanges => {
                ApiError::unprocessable("there are no changes between the head and the base")
            }
            PullError::Exists => {
                ApiError::conflict("a pull request from this head into this base exists already")
            }
            PullError::NotFound => ApiError::not_found(),
            PullError::NotMergeable(why) => ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                match why {
                    "closed" => "the pull request is closed or merged already",
                    "draft" => "the pull request is a draft",
                    "style" => "this merge style is not allowed in this repository",
                    "fast-forward" => "the base branch cannot be fast-forwarded to the head",
                    _ => "the head and the base share no history",
                },
            ),
            PullError::Requirements(unmet) => ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("branch protection is not satisfied: {unmet:?}"),
            ),
            PullError::HeadMoved => {
                ApiError::conflict("the head branch moved since it was read; nothing was merged")
            }
            PullError::BaseMoved => {
                ApiError::conflict("the base branch moved while merging; nothing was merged")
            }
            PullError::Conflicts(files) => {
                ApiError::conflict(format!("merge conflicts in: {}", files.join(", ")))
            }
            PullError::Protected(refused) => ApiError::new(
                StatusCode::FORBIDDEN,
                crate::git_http::refusal_message(crate::i18n::Lang::En, &refused),
            ),
        }
    }
}

async fn pull_in(
    state: &AppState,
    view: &RepoView,
    index: &str,
) -> ApiResult<(Issue, PullRequest)> {
    Ok(state.forge.pull(view, path_id(index)?).await?)
}

async fn pull_json(
    state: &AppState,
    view: &RepoView,
    issue: &Issue,
    pull: &PullRequest,
) -> ApiResult<ApiPullRequest> {
    Ok(state
        .forge
        .api_pull_for(view.actor, &view.repo, issue.id, pull)
        .await?)
}

/// Query of `GET /repos/{owner}/{repo}/pulls`, as Gitea's.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullListQuery {
    /// `open` (default), `closed` or `all`.
    pub state: Option<String>,
    /// `oldest`, `recentupdate`, `leastupdate`, `mostcomment`, `leastcomment`; newest
    /// first otherwise.
    pub sort: Option<String>,
    /// Label ids; only requests carrying all of them.
    #[serde(default)]
    pub labels: Option<String>,
    /// Hatchery: `draft` or `ready`.
    pub draft: Option<String>,
    /// Only requests opened by this user.
    pub poster: Option<String>,
}

/// List a repository's pull requests.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/pulls", tag = "repository",
    operation_id = "repoListPullRequests",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        PullListQuery, Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiPullRequest], description = "PullRequestList; `X-Total-Count` and `Link` headers"),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_pulls(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<PullListQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiPullRequest>>)> {
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let author_id = match q.poster.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(name) => Some(
            state
                .store
                .user_by_name(name)
                .await?
                .map(|u| u.id)
                .unwrap_or(-1),
        ),
        None => None,
    };
    let query = IssueQuery {
        state: StateFilter::parse(q.state.as_deref().unwrap_or("open")),
        kind: KindFilter::Pulls,
        draft: DraftFilter::parse(q.draft.as_deref().unwrap_or_default()),
        label_ids: q
            .labels
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        author_id,
        sort: IssueSort::parse(q.sort.as_deref().unwrap_or_default()),
        page: paging.page(),
        per_page: paging.limit(),
        ..IssueQuery::default()
    };
    let page = state.store.list_issues(view.repo.id, &query).await?;
    let ids: Vec<i64> = page.issues.iter().map(|i| i.id).collect();
    let mut pulls = state.store.pulls_of_issues(&ids).await?;
    let mut out = Vec::with_capacity(page.issues.len());
    for issue in &page.issues {
        if let Some(pull) = pulls.remove(&issue.id) {
            out.push(pull_json(&state, &view, issue, &pull).await?);
        }
    }
    Ok((paging.headers(&uri, page.total), Json(out)))
}

/// Open a pull request from `head` (a branch of this repository) into `base`. Labels,
/// milestone and assignees are set only for those who may triage, as for issues.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/pulls", tag = "repository",
    operation_id = "repoCreatePullRequest",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = CreatePullOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiPullRequest), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "an open pull request from this head into this base exists"),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_pull(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(form): ApiJson<CreatePullOption>,
) -> ApiResult<(StatusCode, Json<ApiPullRequest>)> {
    caller.user()?;
    caller.need("write:repository")?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let mut input = PullInput {
        title: form.title,
        body: form.body.unwrap_or_default(),
        base: form.base,
        head: form.head,
        draft: form.draft.unwrap_or(false),
        ..PullInput::default()
    };
    if view.may_triage() {
        input.label_ids = form.labels.unwrap_or_default();
        input.milestone_id = form.milestone.filter(|m| *m != 0);
        let mut ids = Vec::new();
        for name in form.assignees.unwrap_or_default() {
            match state.store.user_by_name(name.trim()).await? {
                Some(u) => ids.push(u.id),
                None => {
                    return Err(ApiError::unprocessable(format!(
                        "assignee does not exist: [name: {name}]"
                    )));
                }
            }
        }
        input.assignee_ids = ids;
    }
    let (issue, pull) = Box::pin(state.forge.open_pull(&view, input)).await?;
    Ok((
        StatusCode::CREATED,
        Json(pull_json(&state, &view, &issue, &pull).await?),
    ))
}

/// Get a pull request; `{index}.diff` and `{index}.patch` answer the request's diff and
/// its commits as patches, in plain text.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/pulls/{index}", tag = "repository",
    operation_id = "repoGetPullRequest",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = String, Path, description = "index of the pull request, or `<index>.diff` / `<index>.patch`")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiPullRequest, description = "the request (JSON), or its diff or patch (text/plain)"),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_pull(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let (number, plain) = if let Some(n) = index.strip_suffix(".diff") {
        (n, Some(false))
    } else if let Some(n) = index.strip_suffix(".patch") {
        (n, Some(true))
    } else {
        (index.as_str(), None)
    };
    let (issue, pull) = pull_in(&state, &view, number).await?;
    match plain {
        None => Ok(Json(pull_json(&state, &view, &issue, &pull).await?).into_response()),
        Some(patch) => {
            let bytes = state
                .forge
                .pull_patch(&view, &issue, &pull, patch)
                .await?
                .ok_or_else(ApiError::not_found)?;
            let mut response = Response::new(Body::from(bytes));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(response)
        }
    }
}

/// Like Gitea's `EditPullRequestOption`: the issue fields, and Hatchery's `draft`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditPullOption {
    #[serde(flatten)]
    pub issue: EditIssueOption,
    /// Mark the request as a draft or ready for review.
    #[serde(default)]
    pub draft: Option<bool>,
}

/// Edit a pull request: title, body and state (its author or a writer), assignees and
/// milestone (those who may triage), draft (its author or a writer).
#[utoipa::path(patch, path = "/repos/{owner}/{repo}/pulls/{index}", tag = "repository",
    operation_id = "repoEditPullRequest",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request")),
    request_body = EditPullOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiPullRequest), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn edit_pull(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    ApiJson(form): ApiJson<EditPullOption>,
) -> ApiResult<(StatusCode, Json<ApiPullRequest>)> {
    caller.user()?;
    caller.need("write:repository")?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let (issue, pull) = pull_in(&state, &view, &index).await?;
    if let Some(draft) = form.draft
        && draft != pull.is_draft
    {
        state.forge.set_pull_draft(&view, &issue, draft).await?;
    }
    let update = issue_update(&state, &issue, &form.issue).await?;
    state.forge.update_issue(&view, &issue, update).await?;
    let (issue, pull) = pull_in(&state, &view, &index).await?;
    Ok((
        StatusCode::CREATED,
        Json(pull_json(&state, &view, &issue, &pull).await?),
    ))
}

/// The commits of a pull request, oldest first.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/pulls/{index}/commits", tag = "repository",
    operation_id = "repoGetPullRequestCommits",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [Commit], description = "CommitList; `X-Total-Count` and `Link` headers"),
        (status = 404, body = ApiErrorBody)))]
pub async fn pull_commits(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<Commit>>)> {
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let (issue, pull) = pull_in(&state, &view, &index).await?;
    let options = DiffOptions {
        max_files: 0,
        find_renames: false,
        ..DiffOptions::default()
    };
    let cmp = state
        .forge
        .pull_comparison(&view, &issue, &pull, options)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut ids: Vec<_> = cmp.comparison.commits.iter().map(|c| c.id).collect();
    ids.reverse();
    let total = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let commits = commit_list(&state, &view, paging.slice(ids)).await?;
    Ok((paging.headers(&uri, total), Json(commits)))
}

/// The files a pull request changes, with their line counts.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/pulls/{index}/files", tag = "repository",
    operation_id = "repoGetPullRequestFiles",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiChangedFile], description = "ChangedFileList; `X-Total-Count` and `Link` headers"),
        (status = 404, body = ApiErrorBody)))]
pub async fn pull_files(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiChangedFile>>)> {
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let (issue, pull) = pull_in(&state, &view, &index).await?;
    let options = DiffOptions {
        max_files: FILES_MAX,
        max_total_lines: usize::MAX,
        context_lines: 0,
        ..DiffOptions::default()
    };
    let cmp = state
        .forge
        .pull_comparison(&view, &issue, &pull, options)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let urls = urls(&state);
    let full = format!("{}/{}", view.repo.owner_name, view.repo.name);
    let head = cmp.head.to_hex();
    let files: Vec<ApiChangedFile> = cmp
        .comparison
        .diff
        .files
        .iter()
        .map(|f| {
            let path = f.path().to_owned();
            let status = match f.change {
                ChangeKind::Added => "added",
                ChangeKind::Deleted => "deleted",
                ChangeKind::Modified => "modified",
                ChangeKind::Renamed { .. } => "renamed",
                ChangeKind::Copied { .. } => "copied",
                ChangeKind::TypeChanged => "changed",
            };
            let (adds, dels) = (f.additions as i64, f.deletions as i64);
            ApiChangedFile {
                previous_filename: match (&f.old_path, &f.new_path) {
                    (Some(old), Some(new)) if old != new => old.clone(),
                    _ => String::new(),
                },
                status: status.to_owned(),
                additions: adds,
                deletions: dels,
                changes: adds + dels,
                html_url: urls.html(&format!("{full}/src/commit/{head}/{path}")),
                contents_url: urls.api(&format!("repos/{full}/contents/{path}?ref={head}")),
                raw_url: urls.html(&format!("{full}/raw/commit/{head}/{path}")),
                filename: path,
            }
        })
        .collect();
    let total = i64::try_from(files.len()).unwrap_or(i64::MAX);
    Ok((paging.headers(&uri, total), Json(paging.slice(files))))
}

/// Whether a pull request has been merged: 204 if so, 404 if not.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/pulls/{index}/merge", tag = "repository",
    operation_id = "repoPullRequestIsMerged",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "merged"), (status = 404, body = ApiErrorBody, description = "not merged, or no such request")))]
pub async fn pull_is_merged(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let (_, pull) = pull_in(&state, &view, &index).await?;
    if pull.merged.is_some() {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// Merge a pull request (`Do`: `merge`, `squash`, `rebase` or `fast-forward-only`).
/// A moved head (`head_commit_id`) or base answers 409 and merges nothing; conflicts answer
/// 409 naming the files; a closed or draft request, a style the repository does not allow
/// or unmet branch protection answer 405.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/pulls/{index}/merge", tag = "repository",
    operation_id = "repoMergePullRequest",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request")),
    request_body = MergePullOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, description = "merged"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 405, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn merge_pull(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    ApiJson(form): ApiJson<MergePullOption>,
) -> ApiResult<StatusCode> {
    caller.user()?;
    caller.need("write:repository")?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let (issue, pull) = pull_in(&state, &view, &index).await?;
    let style = form.do_.parse().map_err(|()| {
        ApiError::unprocessable(format!(
            "Do: must be merge, squash, rebase or fast-forward-only, not {:?}",
            form.do_
        ))
    })?;
    let message = match (form.merge_title_field, form.merge_message_field) {
        (Some(t), Some(m)) if !t.trim().is_empty() && !m.trim().is_empty() => {
            Some(format!("{}\n\n{}", t.trim(), m.trim()))
        }
        (Some(t), _) if !t.trim().is_empty() => Some(t.trim().to_owned()),
        _ => None,
    };
    let input = MergeInput {
        style,
        expected_head: form.head_commit_id,
        message,
        delete_branch: form.delete_branch_after_merge.unwrap_or(false),
    };
    Box::pin(state.forge.merge_pull(&view, &issue, &pull, input)).await?;
    Ok(StatusCode::OK)
}

/// Query of `POST /repos/{owner}/{repo}/pulls/{index}/update`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UpdateBranchQuery {
    /// `merge` (default: the base merged into the head) or `rebase` (the head's commits
    /// replayed onto the base).
    pub style: Option<String>,
}

/// Update a pull request's head branch with its base ("update branch"): people who may
/// write to the head's repository (this one, or a fork). The head branch's protection
/// applies as to a push (403 naming the rule); conflicts answer 409 naming the files; an
/// up-to-date head answers 200 and changes nothing.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/pulls/{index}/update", tag = "repository",
    operation_id = "repoUpdatePullRequest",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request"),
        UpdateBranchQuery),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, description = "updated, or up to date"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 405, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn update_pull_branch(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    ApiQuery(q): ApiQuery<UpdateBranchQuery>,
) -> ApiResult<StatusCode> {
    caller.user()?;
    caller.need("write:repository")?;
    let view = repo_for(
        &state,
        &caller,
        &owner,
        &repo,
        Action::Read,
        "read:repository",
    )
    .await?;
    let (issue, pull) = pull_in(&state, &view, &index).await?;
    let rebase = match q.style.as_deref().unwrap_or("merge") {
        "" | "merge" => false,
        "rebase" => true,
        other => {
            return Err(ApiError::unprocessable(format!(
                "style: must be merge or rebase, not {other:?}"
            )));
        }
    };
    Box::pin(
        state
            .forge
            .update_pull_branch(&view, &issue, &pull, rebase, None),
    )
    .await?;
    Ok(StatusCode::OK)
}
