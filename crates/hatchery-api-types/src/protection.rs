//! Commit statuses and branch protections, in Gitea's shapes (`CommitStatus`,
//! `CombinedStatus`, `BranchProtection` and its create/edit options).

use hatchery_core::protection::BranchRule;
use hatchery_store::{CommitStatus, ProtectionRule, Repo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiRepo, ApiUser, Urls, time};

/// One reported status of a commit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiCommitStatus {
    pub id: i64,
    /// `pending`, `success`, `error`, `failure` or `warning`.
    pub status: String,
    pub target_url: String,
    pub description: String,
    pub url: String,
    pub context: String,
    pub creator: Option<ApiUser>,
    pub created_at: String,
    pub updated_at: String,
}

impl ApiCommitStatus {
    pub fn of(urls: &Urls, repo: &Repo, s: &CommitStatus) -> ApiCommitStatus {
        ApiCommitStatus {
            id: s.id,
            status: s.state.as_str().to_owned(),
            target_url: s.target_url.clone(),
            description: s.description.clone(),
            url: urls.api(&format!(
                "repos/{}/{}/statuses/{}",
                repo.owner_name, repo.name, s.sha
            )),
            context: s.context.clone(),
            creator: s.creator.as_ref().map(|p| ApiUser::person(urls, p)),
            created_at: time(s.created_at),
            updated_at: time(s.updated_at),
        }
    }
}

/// A commit's combined status: the worst of its contexts' latest states.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiCombinedStatus {
    pub state: String,
    pub sha: String,
    pub total_count: i64,
    pub statuses: Vec<ApiCommitStatus>,
    pub repository: ApiRepo,
    pub commit_url: String,
    pub url: String,
}

/// `POST /repos/{owner}/{repo}/statuses/{sha}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CreateStatusOption {
    /// `pending`, `success`, `error`, `failure` or `warning`.
    pub state: String,
    #[serde(default)]
    pub target_url: String,
    #[serde(default)]
    pub description: String,
    /// Empty means `default`.
    #[serde(default)]
    pub context: String,
}

/// A protected-branch rule, like Gitea's `BranchProtection`, with Hatchery's extras
/// (`enable_deletion`, `require_signoff`, `require_linear_history`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiBranchProtection {
    /// Deprecated in Gitea: the same as `rule_name`.
    pub branch_name: String,
    pub rule_name: String,
    pub enable_push: bool,
    pub enable_push_whitelist: bool,
    pub push_whitelist_usernames: Vec<String>,
    pub push_whitelist_teams: Vec<String>,
    pub push_whitelist_deploy_keys: bool,
    pub enable_force_push: bool,
    pub enable_force_push_allowlist: bool,
    pub force_push_allowlist_usernames: Vec<String>,
    pub force_push_allowlist_teams: Vec<String>,
    pub force_push_allowlist_deploy_keys: bool,
    pub enable_merge_whitelist: bool,
    pub merge_whitelist_usernames: Vec<String>,
    pub merge_whitelist_teams: Vec<String>,
    pub enable_status_check: bool,
    pub status_check_contexts: Vec<String>,
    pub required_approvals: i64,
    pub enable_approvals_whitelist: bool,
    pub approvals_whitelist_username: Vec<String>,
    pub approvals_whitelist_teams: Vec<String>,
    pub block_on_rejected_reviews: bool,
    pub block_on_official_review_requests: bool,
    pub block_on_outdated_branch: bool,
    pub dismiss_stale_approvals: bool,
    pub ignore_stale_approvals: bool,
    pub require_signed_commits: bool,
    pub protected_file_patterns: String,
    pub unprotected_file_patterns: String,
    /// True unless the rule lets repository administrators past it.
    pub block_admin_merge_override: bool,
    /// Hatchery: the branch may be deleted.
    pub enable_deletion: bool,
    /// Hatchery: every new commit carries its author's `Signed-off-by:` (DCO).
    pub require_signoff: bool,
    /// Hatchery: no merge commits.
    pub require_linear_history: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl ApiBranchProtection {
    pub fn of(p: &ProtectionRule) -> ApiBranchProtection {
        let r = &p.rule;
        let n = &p.names;
        ApiBranchProtection {
            branch_name: r.rule_name.clone(),
            rule_name: r.rule_name.clone(),
            enable_push: r.enable_push,
            enable_push_whitelist: r.push_allowlist.enabled,
            push_whitelist_usernames: n.push_users.clone(),
            push_whitelist_teams: n.push_teams.clone(),
            push_whitelist_deploy_keys: false,
            enable_force_push: r.enable_force_push,
            enable_force_push_allowlist: r.force_push_allowlist.enabled,
            force_push_allowlist_usernames: n.force_push_users.clone(),
            force_push_allowlist_teams: n.force_push_teams.clone(),
            force_push_allowlist_deploy_keys: false,
            enable_merge_whitelist: r.merge_allowlist.enabled,
            merge_whitelist_usernames: n.merge_users.clone(),
            merge_whitelist_teams: n.merge_teams.clone(),
            enable_status_check: r.enable_status_check,
            status_check_contexts: r.status_check_contexts.clone(),
            required_approvals: i64::from(r.required_approvals),
            enable_approvals_whitelist: false,
            approvals_whitelist_username: Vec::new(),
            approvals_whitelist_teams: Vec::new(),
            block_on_rejected_reviews: r.block_on_rejected_reviews,
            block_on_official_review_requests: false,
            block_on_outdated_branch: false,
            dismiss_stale_approvals: r.dismiss_stale_approvals,
            ignore_stale_approvals: false,
            require_signed_commits: false,
            protected_file_patterns: String::new(),
            unprotected_file_patterns: String::new(),
            block_admin_merge_override: !r.admins_bypass,
            enable_deletion: r.enable_deletion,
            require_signoff: r.require_signoff,
            require_linear_history: r.require_linear_history,
            created_at: time(p.created_at),
            updated_at: time(p.updated_at),
        }
    }
}

/// `POST /repos/{owner}/{repo}/branch_protections` and `PATCH .../{name}`: absent fields
/// keep their value (on creation: the defaults of a new rule). Fields of Gitea's that
/// Hatchery does not enforce (deploy keys, approvals allowlists, file patterns, signed
/// commits) are accepted and ignored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct BranchProtectionOption {
    pub rule_name: Option<String>,
    /// Gitea's older name for `rule_name`.
    pub branch_name: Option<String>,
    pub enable_push: Option<bool>,
    pub enable_push_whitelist: Option<bool>,
    pub push_whitelist_usernames: Option<Vec<String>>,
    pub push_whitelist_teams: Option<Vec<String>>,
    pub enable_force_push: Option<bool>,
    pub enable_force_push_allowlist: Option<bool>,
    pub force_push_allowlist_usernames: Option<Vec<String>>,
    pub force_push_allowlist_teams: Option<Vec<String>>,
    pub enable_merge_whitelist: Option<bool>,
    pub merge_whitelist_usernames: Option<Vec<String>>,
    pub merge_whitelist_teams: Option<Vec<String>>,
    pub enable_status_check: Option<bool>,
    pub status_check_contexts: Option<Vec<String>>,
    pub required_approvals: Option<i64>,
    pub block_on_rejected_reviews: Option<bool>,
    pub dismiss_stale_approvals: Option<bool>,
    pub block_admin_merge_override: Option<bool>,
    pub enable_deletion: Option<bool>,
    pub require_signoff: Option<bool>,
    pub require_linear_history: Option<bool>,
}

impl BranchProtectionOption {
    /// The rule's settings after applying this option to `rule` (allowlists are names,
    /// resolved by the caller). `None` when `required_approvals` is negative or too large.
    pub fn apply_flags(&self, mut rule: BranchRule) -> Option<BranchRule> {
        let set = |v: Option<bool>, slot: &mut bool| {
            if let Some(v) = v {
                *slot = v;
            }
        };
        if let Some(name) = self.rule_name.as_ref().or(self.branch_name.as_ref()) {
            rule.rule_name = name.clone();
        }
        set(self.enable_push, &mut rule.enable_push);
        set(self.enable_push_whitelist, &mut rule.push_allowlist.enabled);
        set(self.enable_force_push, &mut rule.enable_force_push);
        set(
            self.enable_force_push_allowlist,
            &mut rule.force_push_allowlist.enabled,
        );
        set(
            self.enable_merge_whitelist,
            &mut rule.merge_allowlist.enabled,
        );
        set(self.enable_status_check, &mut rule.enable_status_check);
        if let Some(c) = &self.status_check_contexts {
            rule.status_check_contexts = c.clone();
        }
        if let Some(n) = self.required_approvals {
            rule.required_approvals = u32::try_from(n).ok()?;
        }
        set(
            self.block_on_rejected_reviews,
            &mut rule.block_on_rejected_reviews,
        );
        set(
            self.dismiss_stale_approvals,
            &mut rule.dismiss_stale_approvals,
        );
        if let Some(block) = self.block_admin_merge_override {
            rule.admins_bypass = !block;
        }
        set(self.enable_deletion, &mut rule.enable_deletion);
        set(self.require_signoff, &mut rule.require_signoff);
        set(
            self.require_linear_history,
            &mut rule.require_linear_history,
        );
        Some(rule)
    }
}
