//! Pull requests in Gitea's shapes: `PullRequest` with its `base` and `head` branch
//! information, the options to create, edit and merge one, changed files, and the
//! `pull_request` webhook payload.

use hatchery_store::{PullRequest, Repo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiIssue, ApiRepo, ApiUser, Urls, time};

/// One side of a pull request, like Gitea's `PRBranchInfo`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiPrBranch {
    /// `branch` for the base; `owner:branch` for a head in another repository.
    pub label: String,
    #[serde(rename = "ref")]
    pub ref_: String,
    pub sha: String,
    pub repo_id: i64,
    /// `None` once the head's repository is deleted.
    pub repo: Option<ApiRepo>,
}

/// Like Gitea's `PullRequest`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiPullRequest {
    pub id: i64,
    pub url: String,
    pub number: i64,
    pub user: Option<ApiUser>,
    pub title: String,
    pub body: String,
    pub labels: Vec<crate::ApiLabel>,
    pub milestone: Option<crate::ApiMilestone>,
    pub assignee: Option<ApiUser>,
    pub assignees: Option<Vec<ApiUser>>,
    /// `open` or `closed` (a merged request is closed, with `merged` set).
    pub state: String,
    pub is_locked: bool,
    pub comments: i64,
    pub html_url: String,
    pub diff_url: String,
    pub patch_url: String,
    /// Whether the last check found the head merging cleanly into the base.
    pub mergeable: bool,
    pub merged: bool,
    pub merged_at: Option<String>,
    pub merge_commit_sha: Option<String>,
    pub merged_by: Option<ApiUser>,
    pub allow_maintainer_edit: bool,
    pub base: ApiPrBranch,
    pub head: ApiPrBranch,
    pub merge_base: String,
    pub due_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    pub draft: bool,
    /// Line comments in submitted reviews.
    pub review_comments: i64,
    /// Users asked to review and not yet reviewing (Gitea's `requested_reviewers`).
    pub requested_reviewers: Vec<ApiUser>,
    /// Teams asked to review.
    pub requested_reviewers_teams: Vec<crate::reviews::ApiReviewTeam>,
    pub additions: Option<i64>,
    pub deletions: Option<i64>,
    pub changed_files: Option<i64>,
}

impl ApiPullRequest {
    /// From the request's issue (as the API shows it), its pull side and its repositories.
    pub fn of(
        urls: &Urls,
        base_repo: &Repo,
        issue: ApiIssue,
        pull: &PullRequest,
        base_api: ApiRepo,
        base_sha: String,
        head_api: Option<ApiRepo>,
    ) -> ApiPullRequest {
        let full = format!("{}/{}", base_repo.owner_name, base_repo.name);
        let html_url = urls.html(&format!("{full}/pulls/{}", issue.number));
        let head_label = match &head_api {
            Some(h) if h.id != base_repo.id => format!("{}:{}", h.owner.login, pull.head_branch),
            _ => pull.head_branch.clone(),
        };
        let mergeable = pull
            .check
            .as_ref()
            .is_some_and(|c| c.mergeable == hatchery_core::pulls::Mergeable::Clean);
        let merged = pull.merged.as_ref();
        ApiPullRequest {
            id: issue.id,
            url: urls.api(&format!("repos/{full}/pulls/{}", issue.number)),
            number: issue.number,
            user: issue.user,
            title: issue.title,
            body: issue.body,
            labels: issue.labels,
            milestone: issue.milestone,
            assignee: issue.assignee,
            assignees: issue.assignees,
            state: issue.state,
            is_locked: issue.is_locked,
            comments: issue.comments,
            diff_url: format!("{html_url}.diff"),
            patch_url: format!("{html_url}.patch"),
            html_url,
            mergeable,
            merged: merged.is_some(),
            merged_at: merged.map(|m| time(m.at)),
            merge_commit_sha: merged.map(|m| m.commit.clone()),
            merged_by: merged.and_then(|m| m.by.as_ref().map(|p| ApiUser::person(urls, p))),
            allow_maintainer_edit: false,
            base: ApiPrBranch {
                label: pull.base_branch.clone(),
                ref_: pull.base_branch.clone(),
                sha: base_sha,
                repo_id: base_repo.id,
                repo: Some(base_api),
            },
            head: ApiPrBranch {
                label: head_label,
                ref_: pull.head_branch.clone(),
                sha: pull.head_oid.clone(),
                repo_id: pull.head_repo_id.unwrap_or(0),
                repo: head_api,
            },
            merge_base: pull.merge_base.clone(),
            due_date: None,
            created_at: issue.created_at,
            updated_at: issue.updated_at,
            closed_at: issue.closed_at,
            draft: pull.is_draft,
            review_comments: 0,
            requested_reviewers: Vec::new(),
            requested_reviewers_teams: Vec::new(),
            additions: None,
            deletions: None,
            changed_files: None,
        }
    }
}

/// Like Gitea's `CreatePullRequestOption`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct CreatePullOption {
    /// The branch to merge into.
    pub base: String,
    /// The branch with the changes: `branch`, or `owner:branch` for a fork's.
    pub head: String,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub assignees: Option<Vec<String>>,
    #[serde(default)]
    pub labels: Option<Vec<i64>>,
    #[serde(default)]
    pub milestone: Option<i64>,
    /// Hatchery: open as a draft (a "WIP:" or "Draft:" title does the same).
    #[serde(default)]
    pub draft: Option<bool>,
}

/// Like Gitea's `EditPullRequestOption` (the fields Hatchery applies).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct EditPullOption {
    pub title: Option<String>,
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: Option<String>,
    pub assignees: Option<Vec<String>>,
    pub labels: Option<Vec<i64>>,
    pub milestone: Option<i64>,
    /// Hatchery: mark as a draft or ready.
    pub draft: Option<bool>,
}

/// Like Gitea's `MergePullRequestOption`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct MergePullOption {
    /// `merge`, `squash`, `rebase` or `fast-forward-only`.
    #[serde(rename = "Do")]
    pub do_: String,
    #[serde(rename = "MergeTitleField", default)]
    pub merge_title_field: Option<String>,
    #[serde(rename = "MergeMessageField", default)]
    pub merge_message_field: Option<String>,
    /// The head commit the caller saw; the merge is refused (409) if the head moved since.
    #[serde(default)]
    pub head_commit_id: Option<String>,
    #[serde(default)]
    pub delete_branch_after_merge: Option<bool>,
    #[serde(default)]
    pub force_merge: Option<bool>,
}

/// Like Gitea's `ChangedFile`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiChangedFile {
    pub filename: String,
    pub previous_filename: String,
    /// `added`, `deleted`, `modified`, `renamed`, `copied` or `changed`.
    pub status: String,
    pub additions: i64,
    pub deletions: i64,
    pub changes: i64,
    pub html_url: String,
    pub contents_url: String,
    pub raw_url: String,
}

/// `pull_request` (and `pull_request_assign`, `pull_request_label`,
/// `pull_request_milestone`), like Gitea's `PullRequestPayload`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PullRequestPayload {
    /// `opened`, `edited`, `closed`, `reopened`, `synchronized`, `assigned`,
    /// `unassigned`, `label_updated`, `label_cleared`, `milestoned`, `demilestoned`,
    /// `reviewed`, `review_requested`, `review_request_removed`.
    pub action: String,
    pub number: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<crate::hooks::ChangesPayload>,
    pub pull_request: ApiPullRequest,
    pub repository: ApiRepo,
    pub sender: ApiUser,
    /// The head commit after a push (`synchronized`).
    pub commit_id: String,
    /// `pull_request_review_*` (action `reviewed`): the review's verdict and body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<crate::reviews::ReviewPayload>,
    /// `review_requested` and `review_request_removed`: who was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_reviewer: Option<ApiUser>,
}
