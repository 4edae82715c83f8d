//! Issues, their comments and labels, and the repository's labels and milestones, in
//! Gitea's shapes.
//!
//! Reading needs `read:issue`, changing `write:issue` and a signed-in caller. Every change
//! goes through the issue use cases of `hatchery_service` (which apply the permission
//! policy and record references, mentions and timeline events) or, for the repository's
//! labels and milestones, through the policy's `Write` on the repository, as the web pages.
//!
//! Where Hatchery differs from Gitea:
//! - `labels` filters combine with AND (as Gitea's query does, whatever its documentation
//!   says) and accept names or ids; a label, milestone or user filter naming nothing gives
//!   an empty list instead of all issues (labels) or a 404 (users).
//! - Changing labels, milestone or assignees without triage rights is a 403 rather than
//!   silently ignored, except when opening an issue (ignored there, as in Gitea).
//! - `PATCH` of an issue or comment has no version in Gitea's shape: the text is saved
//!   over the version read just before (last writer wins); nothing is lost, as every
//!   previous text stays in the edit history. A save racing another is a 409.
//! - A milestone's `due_on` keeps only its date (midnight UTC of the date written).

use std::collections::HashMap;

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_core::Action;
use hatchery_core::issues::{
    self as rules, CloseReason, IssueSort, LABEL_NAME_MAX, MILESTONE_TITLE_MAX, StateFilter,
};
use hatchery_core::pulls::KindFilter;
use hatchery_core::validate;
use hatchery_service::issues::{IssueError, IssueInput, IssueUpdate, RepoView, TextUpdate};
use hatchery_store::{Issue, IssueQuery, Label, Milestone, Who};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::types::{ApiComment, ApiIssue, ApiLabel, ApiMilestone};
use crate::api::{path_id, repo_for, urls};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_issues, create_issue))
        .routes(api_route!(get_issue, edit_issue))
        .routes(api_route!(list_comments, create_comment))
        .routes(api_route!(edit_comment, delete_comment))
        .routes(api_route!(list_labels, create_label))
        .routes(api_route!(
            get_issue_labels,
            add_issue_labels,
            replace_issue_labels
        ))
        .routes(api_route!(remove_issue_label))
        .routes(api_route!(list_milestones, create_milestone))
}

/// Label descriptions are one line, as on the web pages.
const LABEL_DESCRIPTION_MAX: usize = 200;
/// How many entries of a comma-separated filter are looked at.
const FILTER_MAX: usize = 16;

// ---- helpers ----

/// The repository for a change: a signed-in caller whose token may write issues, and who
/// may read the repository (what they may change is the service's decision).
async fn repo_to_change(
    state: &AppState,
    caller: &ApiCaller,
    owner: &str,
    repo: &str,
    action: Action,
) -> ApiResult<RepoView> {
    caller.user()?;
    caller.need("write:issue")?;
    repo_for(state, caller, owner, repo, action, "read:issue").await
}

async fn issue_in(state: &AppState, view: &RepoView, index: &str) -> ApiResult<Issue> {
    Ok(state.forge.issue(view, path_id(index)?).await?)
}

/// The JSON of `issues`, with their labels, milestones and assignees.
async fn issues_json(
    state: &AppState,
    view: &RepoView,
    issues: &[Issue],
) -> ApiResult<Vec<ApiIssue>> {
    let ids: Vec<i64> = issues.iter().map(|i| i.id).collect();
    let labels = state.store.labels_of_issues(&ids).await?;
    let assignees = state.store.assignees_of_issues(&ids).await?;
    let milestones: HashMap<i64, Milestone> = if issues.iter().any(|i| i.milestone_id.is_some()) {
        state
            .store
            .milestones(view.repo.id)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect()
    } else {
        HashMap::new()
    };
    let urls = urls(state);
    // Gitea marks pull requests in issue lists with a `pull_request` object.
    let pull_ids: Vec<i64> = issues.iter().filter(|i| i.is_pull).map(|i| i.id).collect();
    let pulls = state.store.pulls_of_issues(&pull_ids).await?;
    Ok(issues
        .iter()
        .map(|i| {
            let mut out = ApiIssue::of(
                &urls,
                &view.repo,
                i,
                labels.get(&i.id).map(Vec::as_slice).unwrap_or_default(),
                i.milestone_id.and_then(|m| milestones.get(&m)),
                assignees.get(&i.id).map(Vec::as_slice).unwrap_or_default(),
            );
            if let Some(p) = pulls.get(&i.id) {
                let html = urls.html(&format!(
                    "{}/{}/pulls/{}",
                    view.repo.owner_name, view.repo.name, i.number
                ));
                out.pull_request = Some(serde_json::json!({
                    "merged": p.merged.is_some(),
                    "merged_at": p.merged.as_ref().map(|m| hatchery_api_types::time(m.at)),
                    "draft": p.is_draft,
                    "html_url": html,
                }));
            }
            out
        })
        .collect())
}

async fn issue_json(state: &AppState, view: &RepoView, issue: &Issue) -> ApiResult<ApiIssue> {
    let mut out = issues_json(state, view, std::slice::from_ref(issue)).await?;
    out.pop()
        .ok_or_else(|| ApiError::internal("issue vanished"))
}

/// The ids of accounts named `names`; 422 for a name that is no account.
async fn user_ids(state: &AppState, names: &[String]) -> ApiResult<Vec<i64>> {
    let mut out = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        match state.store.user_by_name(name).await? {
            Some(u) => out.push(u.id),
            None => {
                return Err(ApiError::unprocessable(format!(
                    "assignee does not exist: [name: {name}]"
                )));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Gitea's `assignee` and `assignees` together.
fn assignee_names(one: Option<&String>, many: Option<&Vec<String>>) -> Vec<String> {
    one.into_iter()
        .chain(many.into_iter().flatten())
        .filter(|n| !n.trim().is_empty())
        .cloned()
        .collect()
}

fn parse_state(raw: &str) -> ApiResult<bool> {
    match raw {
        "open" => Ok(false),
        "closed" => Ok(true),
        other => Err(ApiError::unprocessable(format!(
            "state: must be \"open\" or \"closed\", not {other:?}"
        ))),
    }
}

fn parse_reason(raw: &str) -> ApiResult<CloseReason> {
    raw.parse::<CloseReason>().map_err(|()| {
        ApiError::unprocessable(format!(
            "state_reason: must be \"completed\" or \"not_planned\", not {raw:?}"
        ))
    })
}

/// Unix milliseconds of an RFC 3339 time (`2026-12-01T10:00:00Z`,
/// `2026-12-01T10:00:00.5+02:00`), with the date as written.
fn rfc3339(raw: &str) -> Option<(time::Date, i64)> {
    let t = time::OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
        .ok()?;
    let ms = i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()?;
    Some((t.date(), ms))
}

// ---- issues ----

/// Query of `GET /repos/{owner}/{repo}/issues`, as Gitea's.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IssueListQuery {
    /// Whether issue is open or closed: `open` (default), `closed` or `all`.
    pub state: Option<String>,
    /// Comma-separated label names (or ids); only issues carrying all of them.
    pub labels: Option<String>,
    /// Search string: words that must all occur in the title, body or a comment.
    pub q: Option<String>,
    /// Filter by type, `issues` or `pulls`; both when absent.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Comma-separated milestone names or ids; issues in any of them.
    pub milestones: Option<String>,
    /// Only show items updated at or after the given time (RFC 3339).
    pub since: Option<String>,
    /// Only show items updated at or before the given time (RFC 3339).
    pub before: Option<String>,
    /// Only show items which were created by the given user.
    pub created_by: Option<String>,
    /// Only show items for which the given user is assigned (also accepted as `assignee`).
    #[serde(alias = "assignee")]
    pub assigned_by: Option<String>,
    /// Only show items in which the given user was mentioned (also accepted as
    /// `mentioned`).
    #[serde(alias = "mentioned")]
    pub mentioned_by: Option<String>,
}

fn list_entries(raw: Option<&String>) -> Vec<&str> {
    raw.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .take(FILTER_MAX)
            .collect()
    })
    .unwrap_or_default()
}

/// The id of the entry of `all` (id, name) named `entry` in any case, else the one whose
/// id `entry` is.
fn named_or_numbered(all: &[(i64, String)], entry: &str) -> Option<i64> {
    let lower = entry.to_lowercase();
    all.iter()
        .find(|(_, name)| name.to_lowercase() == lower)
        .or_else(|| {
            let id = entry.parse::<i64>().ok()?;
            all.iter().find(|(i, _)| *i == id)
        })
        .map(|(id, _)| *id)
}

/// What the query filters on, or `None` when it names something that does not exist (and
/// so matches nothing).
async fn resolve_query(
    state: &AppState,
    view: &RepoView,
    q: &IssueListQuery,
) -> ApiResult<Option<(IssueQuery, Option<Vec<i64>>)>> {
    let time_of = |raw: &Option<String>| -> ApiResult<Option<i64>> {
        match raw {
            None => Ok(None),
            Some(t) => rfc3339(t)
                .map(|(_, ms)| Some(ms))
                .ok_or_else(|| ApiError::unprocessable(format!("{t:?} is not an RFC 3339 time"))),
        }
    };
    let (updated_since, updated_before) = (time_of(&q.since)?, time_of(&q.before)?);
    let mut query = IssueQuery {
        kind: KindFilter::parse(q.kind.as_deref().unwrap_or_default()),
        state: StateFilter::parse(q.state.as_deref().unwrap_or("open")),
        text: q
            .q
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.contains('\0'))
            .map(str::to_owned),
        sort: IssueSort::Newest,
        updated_since,
        updated_before,
        ..IssueQuery::default()
    };
    let labels = list_entries(q.labels.as_ref());
    if !labels.is_empty() {
        let all = state.store.label_names(view.repo.id).await?;
        for entry in labels {
            match named_or_numbered(&all, entry) {
                Some(id) => query.label_ids.push(id),
                None => return Ok(None),
            }
        }
    }
    let wanted = list_entries(q.milestones.as_ref());
    let milestones = if wanted.is_empty() {
        None
    } else {
        let all = state.store.milestone_titles(view.repo.id).await?;
        let mut ids: Vec<i64> = wanted
            .iter()
            .filter_map(|entry| named_or_numbered(&all, entry))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(None);
        }
        Some(ids)
    };
    let user = |name: &Option<String>| {
        let name = name.as_deref().map(str::trim).unwrap_or("").to_owned();
        async move {
            if name.is_empty() {
                return Ok::<_, ApiError>(Some(None));
            }
            Ok(state.store.user_by_name(&name).await?.map(|u| Some(u.id)))
        }
    };
    let (Some(author), Some(assignee), Some(mentioned)) = (
        user(&q.created_by).await?,
        user(&q.assigned_by).await?,
        user(&q.mentioned_by).await?,
    ) else {
        return Ok(None);
    };
    query.author_id = author;
    query.assignee = assignee.map(Who::User);
    query.mentioned_id = mentioned;
    Ok(Some((query, milestones)))
}

/// One page of the issues matching `query` and, when given, in any of `milestones`.
async fn issue_page(
    state: &AppState,
    repo_id: i64,
    mut query: IssueQuery,
    milestones: Option<Vec<i64>>,
    paging: &Paging,
) -> ApiResult<(Vec<Issue>, i64)> {
    let milestones = milestones.unwrap_or_default();
    if milestones.len() <= 1 {
        query.milestone = milestones.first().map(|m| Who::User(*m));
        query.page = paging.page();
        query.per_page = paging.limit();
        let page = state.store.list_issues(repo_id, &query).await?;
        return Ok((page.issues, page.total));
    }
    // An issue has one milestone at most: the lists of each are disjoint, and the page is
    // among the first `offset + limit` of each.
    let need =
        usize::try_from(paging.offset().saturating_add(paging.limit())).unwrap_or(usize::MAX);
    let mut total = 0;
    let mut all = Vec::new();
    for m in milestones {
        query.milestone = Some(Who::User(m));
        query.per_page = 100;
        let mut got = 0;
        for page in 1.. {
            query.page = page;
            let p = state.store.list_issues(repo_id, &query).await?;
            if page == 1 {
                total += p.total;
            }
            let n = p.issues.len();
            got += n;
            all.extend(p.issues);
            if n < 100 || got >= need {
                break;
            }
        }
    }
    all.sort_by_key(|i| std::cmp::Reverse((i.created_at, i.id)));
    Ok((paging.slice(all), total))
}

/// List a repository's issues.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/issues", tag = "issue",
    operation_id = "issueListIssues",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        IssueListQuery, Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiIssue], description = "IssueList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn list_issues(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<IssueListQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiIssue>>)> {
    let view = repo_for(&state, &caller, &owner, &repo, Action::Read, "read:issue").await?;
    let (issues, total) = match resolve_query(&state, &view, &q).await? {
        Some((query, milestones)) => {
            issue_page(&state, view.repo.id, query, milestones, &paging).await?
        }
        None => (Vec::new(), 0),
    };
    let json = issues_json(&state, &view, &issues).await?;
    Ok((paging.headers(&uri, total), Json(json)))
}

/// Like Gitea's `CreateIssueOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateIssueOption {
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    /// Username of one assignee (deprecated in Gitea; use `assignees`).
    #[serde(default)]
    pub assignee: Option<String>,
    /// Usernames of the assignees.
    #[serde(default)]
    pub assignees: Option<Vec<String>>,
    /// Label ids.
    #[serde(default)]
    pub labels: Option<Vec<i64>>,
    /// Milestone id; 0 is none.
    #[serde(default)]
    pub milestone: Option<i64>,
    #[serde(default)]
    pub closed: Option<bool>,
}

/// Create an issue. Labels, milestone and assignees are set only for those who may triage
/// the repository's issues and ignored for others, as in Gitea.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/issues", tag = "issue",
    operation_id = "issueCreateIssue",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = CreateIssueOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiIssue), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_issue(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(form): ApiJson<CreateIssueOption>,
) -> ApiResult<(StatusCode, Json<ApiIssue>)> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Read).await?;
    let mut input = IssueInput {
        title: form.title,
        body: form.body.unwrap_or_default(),
        ..IssueInput::default()
    };
    if view.may_triage() {
        input.label_ids = form.labels.unwrap_or_default();
        input.milestone_id = form.milestone.filter(|m| *m != 0);
        input.assignee_ids = user_ids(
            &state,
            &assignee_names(form.assignee.as_ref(), form.assignees.as_ref()),
        )
        .await?;
    }
    let issue = state.forge.open_issue(&view, input).await?;
    let issue = if form.closed == Some(true) {
        let close = IssueUpdate {
            state: Some(Some(CloseReason::Completed)),
            ..IssueUpdate::default()
        };
        state.forge.update_issue(&view, &issue, close).await?
    } else {
        issue
    };
    Ok((
        StatusCode::CREATED,
        Json(issue_json(&state, &view, &issue).await?),
    ))
}

/// Get an issue.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/issues/{index}", tag = "issue",
    operation_id = "issueGetIssue",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the issue to get")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiIssue), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_issue(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
) -> ApiResult<Json<ApiIssue>> {
    let view = repo_for(&state, &caller, &owner, &repo, Action::Read, "read:issue").await?;
    let issue = issue_in(&state, &view, &index).await?;
    Ok(Json(issue_json(&state, &view, &issue).await?))
}

/// Like Gitea's `EditIssueOption`, with Hatchery's `state_reason`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditIssueOption {
    /// New title; absent or empty keeps it.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// Username of one assignee (deprecated in Gitea; use `assignees`).
    #[serde(default)]
    pub assignee: Option<String>,
    /// Usernames: replaces the assignees; `[]` removes them all.
    #[serde(default)]
    pub assignees: Option<Vec<String>>,
    /// Milestone id; 0 removes the milestone.
    #[serde(default)]
    pub milestone: Option<i64>,
    /// `open` or `closed`.
    #[serde(default)]
    pub state: Option<String>,
    /// Hatchery: why the issue is closed, `completed` (default) or `not_planned`; only with
    /// `state: "closed"`. An issue already closed keeps the reason it was closed with.
    #[serde(default)]
    pub state_reason: Option<String>,
}

/// Edit an issue. Title, body and state: the author or a writer; assignees and milestone:
/// those who may triage (403 for others). The text is saved over the version read just
/// before (last writer wins; earlier texts stay in the issue's edit history).
#[utoipa::path(patch, path = "/repos/{owner}/{repo}/issues/{index}", tag = "issue",
    operation_id = "issueEditIssue",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the issue to edit")),
    request_body = EditIssueOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiIssue), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn edit_issue(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    ApiJson(form): ApiJson<EditIssueOption>,
) -> ApiResult<(StatusCode, Json<ApiIssue>)> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Read).await?;
    let issue = issue_in(&state, &view, &index).await?;
    let update = issue_update(&state, &issue, &form).await?;
    let issue = state.forge.update_issue(&view, &issue, update).await?;
    Ok((
        StatusCode::CREATED,
        Json(issue_json(&state, &view, &issue).await?),
    ))
}

/// The change a PATCH of an issue (or of a pull request's issue side) asks for; the
/// service checks the rights of every field before saving any.
pub(crate) async fn issue_update(
    state: &AppState,
    issue: &Issue,
    form: &EditIssueOption,
) -> ApiResult<IssueUpdate> {
    let text =
        (form.title.as_deref().is_some_and(|t| !t.is_empty()) || form.body.is_some()).then(|| {
            TextUpdate {
                version: issue.version,
                title: form
                    .title
                    .clone()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| issue.title.clone()),
                body: form.body.clone().unwrap_or_else(|| issue.body.clone()),
            }
        });
    let state_change = match (form.state.as_deref(), form.state_reason.as_deref()) {
        (None, None) => None,
        (None, Some(_)) | (Some("open"), Some(_)) => {
            return Err(ApiError::unprocessable(
                "state_reason: only with state \"closed\"",
            ));
        }
        (Some(s), reason) => {
            let closed = parse_state(s)?;
            let reason = reason.map(parse_reason).transpose()?;
            Some(closed.then_some(reason.unwrap_or(CloseReason::Completed)))
        }
    };
    let assignee_ids = if form.assignee.is_some() || form.assignees.is_some() {
        Some(
            user_ids(
                state,
                &assignee_names(form.assignee.as_ref(), form.assignees.as_ref()),
            )
            .await?,
        )
    } else {
        None
    };
    Ok(IssueUpdate {
        text,
        state: state_change,
        milestone_id: form.milestone.map(|m| Some(m).filter(|m| *m != 0)),
        assignee_ids,
        ..IssueUpdate::default()
    })
}

// ---- comments ----

/// List all comments on an issue, oldest first.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/issues/{index}/comments", tag = "issue",
    operation_id = "issueGetComments",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the issue")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiComment]), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_comments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<ApiComment>>> {
    let view = repo_for(&state, &caller, &owner, &repo, Action::Read, "read:issue").await?;
    let issue = issue_in(&state, &view, &index).await?;
    let urls = urls(&state);
    let comments = state.store.comments(issue.id).await?;
    Ok(Json(
        comments
            .iter()
            .map(|c| ApiComment::of(&urls, &view.repo, issue.number, c))
            .collect(),
    ))
}

/// Like Gitea's `CreateIssueCommentOption` and `EditIssueCommentOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueCommentOption {
    pub body: String,
}

/// Add a comment to an issue.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/issues/{index}/comments", tag = "issue",
    operation_id = "issueCreateComment",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the issue")),
    request_body = IssueCommentOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiComment), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    ApiJson(form): ApiJson<IssueCommentOption>,
) -> ApiResult<(StatusCode, Json<ApiComment>)> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Read).await?;
    let issue = issue_in(&state, &view, &index).await?;
    let comment = state.forge.comment_on(&view, &issue, &form.body).await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiComment::of(
            &urls(&state),
            &view.repo,
            issue.number,
            &comment,
        )),
    ))
}

/// The comment `id` and its issue, if the issue is this repository's.
async fn comment_in(
    state: &AppState,
    view: &RepoView,
    id: &str,
) -> ApiResult<(Issue, hatchery_store::Comment)> {
    let id = path_id(id)?;
    let comment = state
        .store
        .comment(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let issue = state
        .store
        .issue_by_id(comment.issue_id)
        .await?
        .filter(|i| i.repo_id == view.repo.id)
        .ok_or_else(ApiError::not_found)?;
    let comment = state.forge.issue_comment(&issue, comment.id).await?;
    Ok((issue, comment))
}

/// Edit a comment: its author, or a writer of the repository. Saved over the version read
/// just before (earlier texts stay in the comment's edit history).
#[utoipa::path(patch, path = "/repos/{owner}/{repo}/issues/comments/{id}", tag = "issue",
    operation_id = "issueEditComment",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the comment to edit")),
    request_body = IssueCommentOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiComment), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn edit_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
    ApiJson(form): ApiJson<IssueCommentOption>,
) -> ApiResult<Json<ApiComment>> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Read).await?;
    let (issue, comment) = comment_in(&state, &view, &id).await?;
    let edited = state
        .forge
        .edit_comment(&view, &issue, &comment, comment.version, &form.body)
        .await?;
    Ok(Json(ApiComment::of(
        &urls(&state),
        &view.repo,
        issue.number,
        &edited,
    )))
}

/// Delete a comment: its author, or a writer of the repository.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/issues/comments/{id}", tag = "issue",
    operation_id = "issueDeleteComment",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of comment to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Read).await?;
    let (issue, comment) = comment_in(&state, &view, &id).await?;
    state.forge.delete_comment(&view, &issue, &comment).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- the repository's labels ----

/// Get all of a repository's labels, by name.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/labels", tag = "issue",
    operation_id = "issueListLabels",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiLabel], description = "LabelList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_labels(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiLabel>>)> {
    let view = repo_for(&state, &caller, &owner, &repo, Action::Read, "read:issue").await?;
    let all = state.store.labels(view.repo.id).await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let urls = urls(&state);
    let page: Vec<ApiLabel> = paging
        .slice(all)
        .iter()
        .map(|l| ApiLabel::of(&urls, &view.repo, &l.label))
        .collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

/// Like Gitea's `CreateLabelOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateLabelOption {
    pub name: String,
    /// `#rrggbb` or `rrggbb` (`#rgb` too).
    pub color: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Accepted for Gitea clients; Hatchery has no exclusive labels.
    #[serde(default)]
    pub exclusive: Option<bool>,
}

/// Create a label: writers of the repository.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/labels", tag = "issue",
    operation_id = "issueCreateLabel",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = CreateLabelOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiLabel), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_label(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(form): ApiJson<CreateLabelOption>,
) -> ApiResult<(StatusCode, Json<ApiLabel>)> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Write).await?;
    let name = rules::title(&form.name, LABEL_NAME_MAX)
        .map_err(|e| ApiError::unprocessable(format!("name: {e}")))?;
    let color = rules::color(&form.color).ok_or_else(|| {
        ApiError::unprocessable(format!(
            "color: {:?} is not a colour like #rrggbb",
            form.color
        ))
    })?;
    let description = validate::text(
        &form.description.unwrap_or_default().replace('\n', " "),
        LABEL_DESCRIPTION_MAX,
    )
    .map_err(|e| ApiError::unprocessable(format!("description: {e}")))?;
    let label = state
        .store
        .create_label(view.repo.id, &name, &color, &description)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiLabel::of(&urls(&state), &view.repo, &label)),
    ))
}

// ---- an issue's labels ----

async fn labels_json(state: &AppState, view: &RepoView, issue: &Issue) -> ApiResult<Vec<ApiLabel>> {
    let labels: Vec<Label> = state
        .store
        .labels_of_issues(&[issue.id])
        .await?
        .remove(&issue.id)
        .unwrap_or_default();
    let urls = urls(state);
    Ok(labels
        .iter()
        .map(|l| ApiLabel::of(&urls, &view.repo, l))
        .collect())
}

/// A label named by id or by name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum LabelRef {
    Id(i64),
    Name(String),
}

/// Like Gitea's `IssueLabelsOption`: label ids, or names.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueLabelsOption {
    #[serde(default)]
    pub labels: Vec<LabelRef>,
}

/// The ids of `refs` among the repository's labels; 422 for one it does not have.
async fn label_ids(state: &AppState, view: &RepoView, refs: &[LabelRef]) -> ApiResult<Vec<i64>> {
    let all = state.store.label_names(view.repo.id).await?;
    let mut out = Vec::new();
    for r in refs {
        let found = match r {
            LabelRef::Id(id) => all.iter().find(|(i, _)| i == id).map(|(i, _)| *i),
            LabelRef::Name(name) => named_or_numbered(&all, name.trim()),
        };
        match found {
            Some(id) => out.push(id),
            None => return Err(IssueError::Unknown("label").into()),
        }
    }
    Ok(out)
}

async fn current_label_ids(state: &AppState, issue: &Issue) -> ApiResult<Vec<i64>> {
    Ok(state
        .store
        .labels_of_issues(&[issue.id])
        .await?
        .remove(&issue.id)
        .unwrap_or_default()
        .iter()
        .map(|l| l.id)
        .collect())
}

/// Get an issue's labels.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/issues/{index}/labels", tag = "issue",
    operation_id = "issueGetLabels",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the issue")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiLabel]), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_issue_labels(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<ApiLabel>>> {
    let view = repo_for(&state, &caller, &owner, &repo, Action::Read, "read:issue").await?;
    let issue = issue_in(&state, &view, &index).await?;
    Ok(Json(labels_json(&state, &view, &issue).await?))
}

/// Add labels to an issue (those who may triage).
#[utoipa::path(post, path = "/repos/{owner}/{repo}/issues/{index}/labels", tag = "issue",
    operation_id = "issueAddLabel",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the issue")),
    request_body = IssueLabelsOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiLabel]), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn add_issue_labels(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    ApiJson(form): ApiJson<IssueLabelsOption>,
) -> ApiResult<Json<Vec<ApiLabel>>> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Read).await?;
    let issue = issue_in(&state, &view, &index).await?;
    let mut ids = current_label_ids(&state, &issue).await?;
    ids.extend(label_ids(&state, &view, &form.labels).await?);
    let update = IssueUpdate {
        label_ids: Some(ids),
        ..IssueUpdate::default()
    };
    state.forge.update_issue(&view, &issue, update).await?;
    Ok(Json(labels_json(&state, &view, &issue).await?))
}

/// Replace an issue's labels (those who may triage).
#[utoipa::path(put, path = "/repos/{owner}/{repo}/issues/{index}/labels", tag = "issue",
    operation_id = "issueReplaceLabels",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the issue")),
    request_body = IssueLabelsOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiLabel]), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn replace_issue_labels(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index)): Path<(String, String, String)>,
    ApiJson(form): ApiJson<IssueLabelsOption>,
) -> ApiResult<Json<Vec<ApiLabel>>> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Read).await?;
    let issue = issue_in(&state, &view, &index).await?;
    let ids = label_ids(&state, &view, &form.labels).await?;
    let update = IssueUpdate {
        label_ids: Some(ids),
        ..IssueUpdate::default()
    };
    state.forge.update_issue(&view, &issue, update).await?;
    Ok(Json(labels_json(&state, &view, &issue).await?))
}

/// Remove a label from an issue (those who may triage).
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/issues/{index}/labels/{id}", tag = "issue",
    operation_id = "issueRemoveLabel",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("index" = i64, Path, description = "index of the issue"),
        ("id" = i64, Path, description = "id of the label to remove")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "removed"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn remove_issue_label(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, index, id)): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Read).await?;
    let issue = issue_in(&state, &view, &index).await?;
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::from(IssueError::Unknown("label")))?;
    if state.store.label(view.repo.id, id).await?.is_none() {
        return Err(IssueError::Unknown("label").into());
    }
    let ids: Vec<i64> = current_label_ids(&state, &issue)
        .await?
        .into_iter()
        .filter(|l| *l != id)
        .collect();
    let update = IssueUpdate {
        label_ids: Some(ids),
        ..IssueUpdate::default()
    };
    state.forge.update_issue(&view, &issue, update).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- milestones ----

/// Query of `GET /repos/{owner}/{repo}/milestones`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MilestoneListQuery {
    /// Milestone state: `open` (default), `closed` or `all`.
    pub state: Option<String>,
    /// Only milestones whose title contains this (any case).
    pub name: Option<String>,
}

/// Get all of a repository's milestones: open first, nearest due date first.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/milestones", tag = "issue",
    operation_id = "issueGetMilestonesList",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), MilestoneListQuery, Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiMilestone], description = "MilestoneList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_milestones(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<MilestoneListQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiMilestone>>)> {
    let view = repo_for(&state, &caller, &owner, &repo, Action::Read, "read:issue").await?;
    let filter = StateFilter::parse(q.state.as_deref().unwrap_or("open"));
    let name = q
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_lowercase();
    let all: Vec<Milestone> = state
        .store
        .milestones(view.repo.id)
        .await?
        .into_iter()
        .filter(|m| match filter {
            StateFilter::Open => !m.is_closed,
            StateFilter::Closed => m.is_closed,
            StateFilter::All => true,
        })
        .filter(|m| name.is_empty() || m.title.to_lowercase().contains(&name))
        .collect();
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let page: Vec<ApiMilestone> = paging.slice(all).iter().map(ApiMilestone::of).collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

/// Like Gitea's `CreateMilestoneOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateMilestoneOption {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// RFC 3339; only the date is kept.
    #[serde(default)]
    pub due_on: Option<String>,
    /// `open` (default) or `closed`.
    #[serde(default)]
    pub state: Option<String>,
}

/// Create a milestone: writers of the repository.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/milestones", tag = "issue",
    operation_id = "issueCreateMilestone",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = CreateMilestoneOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiMilestone), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_milestone(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(form): ApiJson<CreateMilestoneOption>,
) -> ApiResult<(StatusCode, Json<ApiMilestone>)> {
    let view = repo_to_change(&state, &caller, &owner, &repo, Action::Write).await?;
    let title = rules::title(&form.title, MILESTONE_TITLE_MAX)
        .map_err(|e| ApiError::unprocessable(format!("title: {e}")))?;
    let description = rules::body(form.description.as_deref().unwrap_or(""), false)
        .map_err(|e| ApiError::unprocessable(format!("description: {e}")))?;
    let due = match form
        .due_on
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => {
            let (date, _) = rfc3339(raw).ok_or_else(|| {
                ApiError::unprocessable(format!("due_on: {raw:?} is not an RFC 3339 time"))
            })?;
            Some(date.midnight().assume_utc().unix_timestamp() * 1000)
        }
    };
    let closed = parse_state(form.state.as_deref().unwrap_or("open"))?;
    let mut m = state
        .store
        .create_milestone(view.repo.id, &title, &description, due)
        .await?;
    if closed {
        m = state
            .store
            .update_milestone(view.repo.id, m.id, &title, &description, due, true)
            .await?;
    }
    Ok((StatusCode::CREATED, Json(ApiMilestone::of(&m))))
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn rfc3339_times() {
        let (d, ms) = rfc3339("2026-12-01T10:00:00Z").unwrap();
        assert_eq!(d.to_string(), "2026-12-01");
        assert_eq!(ms, 1_796_119_200_000);
        let (_, ms2) = rfc3339("2026-12-01T12:00:00.250+02:00").unwrap();
        assert_eq!(ms2, ms + 250);
        let (_, ms3) = rfc3339("2026-12-01T05:30:00-04:30").unwrap();
        assert_eq!(ms3, ms);
        for bad in [
            "",
            "2026-12-01",
            "2026-13-01T00:00:00Z",
            "2026-12-01T00:00:00",
            "2026-12-01T00:00:00+0200",
            "2026-12-01T00:00:00.Z",
            "yesterday",
        ] {
            assert!(rfc3339(bad).is_none(), "{bad}");
        }
    }
}
