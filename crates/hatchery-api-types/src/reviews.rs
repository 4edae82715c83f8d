//! Code review in Gitea's shapes: `PullReview`, `PullReviewComment`, the options to
//! create, submit and dismiss a review and to ask for reviewers, and the `review` part of
//! the review webhooks' payload.

use hatchery_core::reviews::Side;
use hatchery_store::{Repo, Review, ReviewComment, ReviewRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiUser, Urls, time};

/// A team asked to review, as `PullReview.team` shows it (Gitea's `Team`, the fields
/// Hatchery knows here).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiReviewTeam {
    pub id: i64,
    pub name: String,
}

/// Like Gitea's `PullReview`. A review request is shown as a review in state
/// `REQUEST_REVIEW`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiPullReview {
    pub id: i64,
    pub user: Option<ApiUser>,
    pub team: Option<ApiReviewTeam>,
    /// `PENDING`, `COMMENT`, `APPROVED`, `REQUEST_CHANGES` or `REQUEST_REVIEW`.
    pub state: String,
    pub body: String,
    pub commit_id: String,
    /// The head moved after the review.
    pub stale: bool,
    /// The reviewer could write to the repository (only such approvals count).
    pub official: bool,
    pub dismissed: bool,
    pub comments_count: i64,
    pub submitted_at: Option<String>,
    pub updated_at: String,
    pub html_url: String,
    pub pull_request_url: String,
}

fn pull_urls(urls: &Urls, repo: &Repo, number: i64) -> (String, String) {
    let pull = urls.html(&format!("{}/{}/pulls/{number}", repo.owner_name, repo.name));
    (pull.clone(), pull)
}

impl ApiPullReview {
    pub fn of(urls: &Urls, repo: &Repo, number: i64, r: &Review) -> ApiPullReview {
        let (pull, _) = pull_urls(urls, repo, number);
        ApiPullReview {
            id: r.id,
            user: r.reviewer.as_ref().map(|p| ApiUser::person(urls, p)),
            team: None,
            state: r.state.as_str().to_owned(),
            body: r.body.clone(),
            commit_id: r.commit_id.clone(),
            stale: r.stale,
            official: r.official,
            dismissed: r.dismissed,
            comments_count: r.comment_count,
            submitted_at: r.submitted_at.map(time),
            updated_at: time(r.updated_at),
            html_url: format!("{pull}#issuecomment-review-{}", r.id),
            pull_request_url: pull,
        }
    }

    /// A review request, shown as Gitea shows it: a review in state `REQUEST_REVIEW`.
    pub fn request(urls: &Urls, repo: &Repo, number: i64, q: &ReviewRequest) -> ApiPullReview {
        let (pull, _) = pull_urls(urls, repo, number);
        ApiPullReview {
            id: q.id,
            user: q.user.as_ref().map(|p| ApiUser::person(urls, p)),
            team: q.team.as_ref().map(|(id, name)| ApiReviewTeam {
                id: *id,
                name: name.clone(),
            }),
            state: "REQUEST_REVIEW".to_owned(),
            body: String::new(),
            commit_id: String::new(),
            stale: false,
            official: false,
            dismissed: false,
            comments_count: 0,
            submitted_at: None,
            updated_at: time(q.created_at),
            html_url: pull.clone(),
            pull_request_url: pull,
        }
    }
}

/// Like Gitea's `PullReviewComment`. `position` is the line on the head's side,
/// `original_position` the line on the base's side (one of them is 0).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiPullReviewComment {
    pub id: i64,
    pub body: String,
    pub user: Option<ApiUser>,
    pub resolver: Option<ApiUser>,
    pub pull_request_review_id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub path: String,
    pub commit_id: String,
    pub original_commit_id: String,
    pub diff_hunk: String,
    pub position: i64,
    pub original_position: i64,
    /// Hatchery: `LEFT` (base) or `RIGHT` (head), the range's first line, the comment it
    /// answers, and whether a later head changed its lines.
    pub side: String,
    pub start_line: Option<i64>,
    pub in_reply_to_id: Option<i64>,
    pub outdated: bool,
    pub html_url: String,
    pub pull_request_url: String,
}

impl ApiPullReviewComment {
    /// `head` is the request's head now (Gitea's `commit_id`).
    pub fn of(
        urls: &Urls,
        repo: &Repo,
        number: i64,
        head: &str,
        c: &ReviewComment,
    ) -> ApiPullReviewComment {
        let (pull, _) = pull_urls(urls, repo, number);
        let (position, original_position) = match c.side {
            Side::Right => (c.line, 0),
            Side::Left => (0, c.line),
        };
        ApiPullReviewComment {
            id: c.id,
            body: c.body.clone(),
            user: c.author.as_ref().map(|p| ApiUser::person(urls, p)),
            resolver: c.resolved_by.as_ref().map(|p| ApiUser::person(urls, p)),
            pull_request_review_id: c.review_id,
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
            path: c.path.clone(),
            commit_id: head.to_owned(),
            original_commit_id: c.commit_id.clone(),
            diff_hunk: String::new(),
            position,
            original_position,
            side: c.side.as_str().to_owned(),
            start_line: c.start_line,
            in_reply_to_id: c.reply_to,
            outdated: c.outdated,
            html_url: format!("{pull}/files#issuecomment-{}", c.id),
            pull_request_url: pull,
        }
    }
}

/// Like Gitea's `CreatePullReviewComment`: a line on the head's side (`new_position`) or
/// on the base's side (`old_position`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct CreatePullReviewComment {
    pub path: String,
    pub body: String,
    #[serde(default)]
    pub old_position: i64,
    #[serde(default)]
    pub new_position: i64,
    /// Hatchery: the first line of a range ending at the position's line.
    #[serde(default)]
    pub start_line: Option<i64>,
}

/// Like Gitea's `CreatePullReviewOptions`. `event` empty or `PENDING` keeps the review
/// pending; `COMMENT`, `APPROVED` (or `APPROVE`) and `REQUEST_CHANGES` submit it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct CreatePullReviewOptions {
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub body: String,
    /// The head commit reviewed; the current head when empty.
    #[serde(default)]
    pub commit_id: String,
    #[serde(default)]
    pub comments: Vec<CreatePullReviewComment>,
}

/// Like Gitea's `SubmitPullReviewOptions`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct SubmitPullReviewOptions {
    pub event: String,
    #[serde(default)]
    pub body: String,
}

/// Like Gitea's `DismissPullReviewOptions`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct DismissPullReviewOptions {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub priors: bool,
}

/// Like Gitea's `PullReviewRequestOptions`: user names and team names (of the owning
/// organization).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Default)]
pub struct PullReviewRequestOptions {
    #[serde(default)]
    pub reviewers: Vec<String>,
    #[serde(default)]
    pub team_reviewers: Vec<String>,
}

/// The `review` object of `pull_request_review_*` payloads, like Gitea's `ReviewPayload`:
/// `type` is the event type, `content` the review's body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewPayload {
    #[serde(rename = "type")]
    pub type_: String,
    pub content: String,
}
