//! Webhook payloads, in the JSON shape of Gitea's `modules/structs/hook.go`, so receivers
//! written for Gitea (and, mostly, for GitHub) decode them unchanged.

use serde::{Deserialize, Serialize};

use crate::{ApiComment, ApiIssue, ApiRepo, ApiUser};

/// The author or committer of a pushed commit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PayloadUser {
    pub name: String,
    pub email: String,
    /// The account whose email address this is, when there is one (else empty).
    pub username: String,
}

/// A pushed commit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PayloadCommit {
    pub id: String,
    pub message: String,
    /// The commit's page.
    pub url: String,
    pub author: Option<PayloadUser>,
    pub committer: Option<PayloadUser>,
    /// Signature verification: not done, always `null`.
    pub verification: Option<serde_json::Value>,
    /// The author time, RFC 3339.
    pub timestamp: String,
    /// Changed files: not computed, always empty.
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub modified: Vec<String>,
}

/// `push`: refs moved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PushPayload {
    /// The full ref name: `refs/heads/main`.
    #[serde(rename = "ref")]
    pub ref_: String,
    /// The old id (40 zeros for a new ref).
    pub before: String,
    pub after: String,
    /// `…/compare/before...after`; empty for a new ref.
    pub compare_url: String,
    /// The newest commits new to the ref, oldest first (at most a limit).
    pub commits: Vec<PayloadCommit>,
    pub total_commits: i64,
    pub head_commit: Option<PayloadCommit>,
    pub repository: ApiRepo,
    pub pusher: ApiUser,
    pub sender: ApiUser,
}

/// `create`: a branch or tag was created.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreatePayload {
    pub sha: String,
    /// The short name: `main`, `v1.0`.
    #[serde(rename = "ref")]
    pub ref_: String,
    /// `branch` or `tag`.
    pub ref_type: String,
    pub repository: ApiRepo,
    pub sender: ApiUser,
}

/// `delete`: a branch or tag was deleted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeletePayload {
    #[serde(rename = "ref")]
    pub ref_: String,
    pub ref_type: String,
    /// Always `user`.
    pub pusher_type: String,
    pub repository: ApiRepo,
    pub sender: ApiUser,
}

/// `fork`: `repository` (the new fork) was forked from `forkee` (Gitea's `ForkPayload`);
/// sent to the hooks of the forked repository.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ForkPayload {
    pub forkee: ApiRepo,
    pub repository: ApiRepo,
    pub sender: ApiUser,
}

/// `repository`: created or deleted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RepositoryPayload {
    pub action: String,
    pub repository: ApiRepo,
    pub organization: Option<ApiUser>,
    pub sender: ApiUser,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChangesFrom {
    pub from: String,
}

/// What an edit changed: the values before it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ChangesPayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<ChangesFrom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<ChangesFrom>,
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub ref_: Option<ChangesFrom>,
}

impl ChangesPayload {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.body.is_none() && self.ref_.is_none()
    }
}

/// `issues` (and `issue_assign`, `issue_label`, `issue_milestone`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IssuePayload {
    /// `opened`, `edited`, `closed`, `reopened`, `assigned`, `unassigned`,
    /// `label_updated`, `label_cleared`, `milestoned`, `demilestoned`.
    pub action: String,
    pub number: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangesPayload>,
    pub issue: ApiIssue,
    pub repository: ApiRepo,
    pub sender: ApiUser,
    /// The commit that closed the issue, when a push did.
    pub commit_id: String,
}

/// `issue_comment`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IssueCommentPayload {
    /// `created`, `edited`, `deleted`.
    pub action: String,
    pub issue: ApiIssue,
    pub comment: ApiComment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangesPayload>,
    pub repository: ApiRepo,
    pub sender: ApiUser,
    pub is_pull: bool,
}

/// `status`: a commit status was reported (Gitea's `CommitStatusPayload`, GitHub's
/// `status` event).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StatusPayload {
    pub commit: Option<PayloadCommit>,
    pub context: String,
    pub created_at: String,
    pub description: String,
    pub id: i64,
    pub repository: ApiRepo,
    pub sender: ApiUser,
    pub sha: String,
    pub state: String,
    pub target_url: String,
    pub updated_at: String,
}
