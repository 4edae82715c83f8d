//! `/repos/{owner}/{repo}/pulls/{index}/reviews` and `/requested_reviewers`: code review in
//! Gitea's routes and shapes — list, create (pending or submitted), get, submit, delete,
//! a review's line comments, dismissals, and asking for (or no longer asking for)
//! reviewers. Every route goes through `repo_for`, so a private repository is 404 to
//! whoever cannot read it.

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hatchery_api_types::reviews::{
    ApiPullReview, ApiPullReviewComment, CreatePullReviewOptions, DismissPullReviewOptions,
    PullReviewRequestOptions, SubmitPullReviewOptions,
};
use hatchery_core::Action;
use hatchery_core::reviews::{ReviewError as RuleError, ReviewEvent, Side};
use hatchery_service::issues::RepoView;
use hatchery_service::reviews::{LineCommentInput, ReviewError, ReviewInput};
use hatchery_store::{Issue, PullRequest, Review};

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson};
use crate::api::{path_id, repo_for, urls};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_reviews, create_review))
        .routes(api_route!(get_review, submit_review, delete_review))
        .routes(api_route!(review_comments))
        .routes(api_route!(dismiss_review))
        .routes(api_route!(request_reviewers, remove_reviewers))
}

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> ApiError {
        match e {
            ReviewError::Issue(e) => e.into(),
            ReviewError::NotFound => ApiError::not_found(),
            ReviewError::Rule(r) => ApiError::unprocessable(r.to_string()),
            e @ (ReviewError::NotReviewer(_)
            | ReviewError::UnknownUser(_)
            | ReviewError::UnknownTeam(_)
            | ReviewError::NotDismissable) => ApiError::unprocessable(e.to_string()),
        }
    }
}

type PullPath = (String, String, String);
type ReviewPath = (String, String, String, String);

async fn pull_of(
    state: &AppState,
    caller: &ApiCaller,
    owner: &str,
    repo: &str,
    index: &str,
    write: bool,
) -> ApiResult<(RepoView, Issue, PullRequest)> {
    if write {
        caller.user()?;
        caller.need("write:repository")?;
    }
    let view = repo_for(state, caller, owner, repo, Action::Read, "read:repository").await?;
    let (issue, pull) = state.forge.pull(&view, path_id(index)?).await?;
    Ok((view, issue, pull))
}

fn review_json(state: &AppState, view: &RepoView, issue: &Issue, r: &Review) -> ApiPullReview {
    ApiPullReview::of(&urls(state), &view.repo, issue.number, r)
}

fn event_of(raw: &str) -> ApiResult<ReviewEvent> {
    ReviewEvent::parse(raw).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "event must be APPROVED, REQUEST_CHANGES, COMMENT or PENDING, not {raw:?}"
        ))
    })
}

/// List a pull request's reviews (submitted ones, and the caller's pending one).
#[utoipa::path(get, path = "/repos/{owner}/{repo}/pulls/{index}/reviews", tag = "repository",
    operation_id = "repoListPullReviews",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiPullReview], description = "PullReviewList"),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_reviews(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<PullPath>,
) -> ApiResult<Json<Vec<ApiPullReview>>> {
    let (view, issue, _) = pull_of(&state, &caller, &owner, &repo, &index, false).await?;
    let reviews = state.forge.reviews(&view, &issue).await?;
    Ok(Json(
        reviews
            .iter()
            .map(|r| review_json(&state, &view, &issue, r))
            .collect(),
    ))
}

/// Create a review: with `event` empty or `PENDING` it stays pending (the comments join
/// the caller's pending review); `COMMENT`, `APPROVED` or `REQUEST_CHANGES` submit it.
/// Approving or requesting changes on one's own pull request is refused (422), as is a
/// comment review with neither body nor comments.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/pulls/{index}/reviews", tag = "repository",
    operation_id = "repoCreatePullReview",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request")),
    request_body = CreatePullReviewOptions,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiPullReview), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<PullPath>,
    ApiJson(form): ApiJson<CreatePullReviewOptions>,
) -> ApiResult<Json<ApiPullReview>> {
    let (view, issue, pull) = pull_of(&state, &caller, &owner, &repo, &index, true).await?;
    let event = event_of(&form.event)?;
    let mut comments = Vec::with_capacity(form.comments.len());
    for c in form.comments {
        let (side, line) = match (c.new_position, c.old_position) {
            (n, _) if n > 0 => (Side::Right, n),
            (_, o) if o > 0 => (Side::Left, o),
            _ => return Err(ReviewError::Rule(RuleError::BadLine).into()),
        };
        let line = u32::try_from(line).map_err(|_| ReviewError::Rule(RuleError::BadLine))?;
        let start_line = match c.start_line {
            Some(s) => Some(u32::try_from(s).map_err(|_| ReviewError::Rule(RuleError::BadLine))?),
            None => None,
        };
        comments.push(LineCommentInput {
            path: c.path,
            side,
            line,
            start_line,
            body: c.body,
        });
    }
    let review = state
        .forge
        .create_review(
            &view,
            &issue,
            &pull,
            ReviewInput {
                event,
                body: form.body,
                commit_id: Some(form.commit_id).filter(|c| !c.trim().is_empty()),
                comments,
            },
        )
        .await?;
    Ok(Json(review_json(&state, &view, &issue, &review)))
}

/// Get one review.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}", tag = "repository",
    operation_id = "repoGetPullReview",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request"),
        ("id" = i64, Path, description = "id of the review")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiPullReview), (status = 404, body = ApiErrorBody)))]
pub async fn get_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index, id)): Path<ReviewPath>,
) -> ApiResult<Json<ApiPullReview>> {
    let (view, issue, _) = pull_of(&state, &caller, &owner, &repo, &index, false).await?;
    let review = state.forge.review(&view, &issue, path_id(&id)?).await?;
    Ok(Json(review_json(&state, &view, &issue, &review)))
}

/// Submit the caller's pending review as `COMMENT`, `APPROVED` or `REQUEST_CHANGES`.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}", tag = "repository",
    operation_id = "repoSubmitPullReview",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request"),
        ("id" = i64, Path, description = "id of the review")),
    request_body = SubmitPullReviewOptions,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiPullReview), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn submit_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index, id)): Path<ReviewPath>,
    ApiJson(form): ApiJson<SubmitPullReviewOptions>,
) -> ApiResult<Json<ApiPullReview>> {
    let (view, issue, pull) = pull_of(&state, &caller, &owner, &repo, &index, true).await?;
    let event = event_of(&form.event)?;
    let review = state
        .forge
        .submit_review(&view, &issue, &pull, path_id(&id)?, event, &form.body)
        .await?;
    Ok(Json(review_json(&state, &view, &issue, &review)))
}

/// Delete a review: its reviewer, or an administrator of the repository.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}", tag = "repository",
    operation_id = "repoDeletePullReview",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request"),
        ("id" = i64, Path, description = "id of the review")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index, id)): Path<ReviewPath>,
) -> ApiResult<StatusCode> {
    let (view, issue, _) = pull_of(&state, &caller, &owner, &repo, &index, true).await?;
    state
        .forge
        .delete_review(&view, &issue, path_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The line comments of a review.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}/comments", tag = "repository",
    operation_id = "repoGetPullReviewComments",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request"),
        ("id" = i64, Path, description = "id of the review")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiPullReviewComment], description = "PullReviewCommentList"),
        (status = 404, body = ApiErrorBody)))]
pub async fn review_comments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index, id)): Path<ReviewPath>,
) -> ApiResult<Json<Vec<ApiPullReviewComment>>> {
    let (view, issue, pull) = pull_of(&state, &caller, &owner, &repo, &index, false).await?;
    let comments = state
        .forge
        .review_comments(&view, &issue, path_id(&id)?)
        .await?;
    let urls = urls(&state);
    Ok(Json(
        comments
            .iter()
            .map(|c| ApiPullReviewComment::of(&urls, &view.repo, issue.number, &pull.head_oid, c))
            .collect(),
    ))
}

/// Dismiss an approval or a request for changes: writers of the repository.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}/dismissals", tag = "repository",
    operation_id = "repoDismissPullReview",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request"),
        ("id" = i64, Path, description = "id of the review")),
    request_body = DismissPullReviewOptions,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiPullReview), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn dismiss_review(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index, id)): Path<ReviewPath>,
    ApiJson(form): ApiJson<DismissPullReviewOptions>,
) -> ApiResult<Json<ApiPullReview>> {
    let (view, issue, _) = pull_of(&state, &caller, &owner, &repo, &index, true).await?;
    let review = state
        .forge
        .dismiss_review(&view, &issue, path_id(&id)?, &form.message)
        .await?;
    Ok(Json(review_json(&state, &view, &issue, &review)))
}

/// Ask users (who can read the repository, not the request's author) and teams (of the
/// owning organization, with access to the repository) to review: the request's author
/// and writers. Answers the requests made, as reviews in state `REQUEST_REVIEW`.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/pulls/{index}/requested_reviewers", tag = "repository",
    operation_id = "repoCreatePullReviewRequests",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request")),
    request_body = PullReviewRequestOptions,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = [ApiPullReview], description = "PullReviewList"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn request_reviewers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<PullPath>,
    ApiJson(form): ApiJson<PullReviewRequestOptions>,
) -> ApiResult<(StatusCode, Json<Vec<ApiPullReview>>)> {
    let (view, issue, _) = pull_of(&state, &caller, &owner, &repo, &index, true).await?;
    let made = state
        .forge
        .request_reviewers(&view, &issue, &form.reviewers, &form.team_reviewers)
        .await?;
    let urls = urls(&state);
    Ok((
        StatusCode::CREATED,
        Json(
            made.iter()
                .map(|q| ApiPullReview::request(&urls, &view.repo, issue.number, q))
                .collect(),
        ),
    ))
}

/// No longer ask these users and teams to review.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/pulls/{index}/requested_reviewers", tag = "repository",
    operation_id = "repoDeletePullReviewRequests",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the pull request")),
    request_body = PullReviewRequestOptions,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "removed"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn remove_reviewers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<PullPath>,
    ApiJson(form): ApiJson<PullReviewRequestOptions>,
) -> ApiResult<StatusCode> {
    let (view, issue, _) = pull_of(&state, &caller, &owner, &repo, &index, true).await?;
    state
        .forge
        .remove_reviewers(&view, &issue, &form.reviewers, &form.team_reviewers)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
