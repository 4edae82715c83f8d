//! Webhooks: managing the hooks of repositories and organizations, turning what happens
//! (pushes, repositories created or deleted, issue and comment changes) into deliveries
//! queued in the database, and the worker that sends them.
//!
//! An event is a name and a JSON payload in Gitea's shape (`hatchery_api_types::hooks`).
//! [`Forge::emit`] queues one delivery per active hook that wants the event (the
//! repository's hooks and its organization's) and wakes the worker; it never fails the
//! action that caused it. The worker ([`run_webhook_worker`]) claims due deliveries with a
//! lease, so any number of servers on one database share the queue; each attempt is
//! logged on the delivery's row; failures are retried with growing delays until
//! `max_attempts`, then the delivery is marked failed.
//!
//! Destinations are checked against `webhook.allowed_hosts` (Gitea's semantics, see
//! `hatchery_core::netpolicy`): a literal address when the hook is saved, and at delivery
//! time every address the host name resolves to. The HTTP client connects only to
//! addresses that passed the check (its DNS resolver filters them), so a name that
//! resolves differently the second time (DNS rebinding) gains nothing. Redirects are not
//! followed and no proxy is used.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hatchery_api_types::hooks::{
    ChangesPayload, CreatePayload, DeletePayload, ForkPayload, IssueCommentPayload, IssuePayload,
    PayloadCommit, PayloadUser, PushPayload, RepositoryPayload, StatusPayload,
};
use hatchery_api_types::pulls::{ApiPullRequest, PullRequestPayload};
use hatchery_api_types::{
    ApiComment, ApiIssue, ApiPermission, ApiRepo, ApiUser, Urls, time as api_time,
};
use hatchery_core::netpolicy::AllowedHosts;
use hatchery_core::webhooks::{self as rules, BranchFilter, ContentType, HookRuleError};
use hatchery_core::{Actor, OrgRole};
use hatchery_git::{Oid, PushedCommit};
use hatchery_store::{
    AttemptRecord, ClaimedDelivery, Comment, CommitStatus, DeliveryStatus, HookOwner, NewDelivery,
    NewWebhook, PullRequest, Repo, StoreError, Webhook, WebhookChanges, now_ms,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Notify;

use crate::jobs::Job;
use crate::outbound::{self, PreflightError, describe};
use crate::{Forge, ServiceError};

/// How deliveries are made; from the `webhook.*` settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub allowed_hosts: AllowedHosts,
    /// For one attempt: connecting, sending, and reading the answer.
    pub delivery_timeout: Duration,
    /// Attempts before a delivery is marked failed (at least 1).
    pub max_attempts: u32,
    /// The wait after the first, second, ... failed attempt, in milliseconds; the last
    /// entry repeats.
    pub retry_delays_ms: Vec<u64>,
    /// The site's public URL (ending with `/`), for links in payloads.
    pub public_url: String,
    /// Where repositories are cloned over SSH, when the SSH server is on (the payloads'
    /// `ssh_url`).
    pub ssh_clone: Option<hatchery_core::ssh::SshCloneBase>,
}

/// `webhook.retry_delays` by default.
pub const DEFAULT_RETRY_DELAYS: &str = "10s, 1m, 5m, 30m, 2h";
/// `webhook.max_attempts` by default.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// `webhook.delivery_timeout_secs` by default.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            allowed_hosts: AllowedHosts::default(),
            delivery_timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            retry_delays_ms: rules::parse_delays(DEFAULT_RETRY_DELAYS).unwrap_or_default(),
            public_url: "http://localhost:3000/".to_owned(),
            ssh_clone: None,
        }
    }
}

/// The webhook part of the [`Forge`]: settings and the worker's wake-up call.
#[derive(Debug, Default)]
pub struct Hub {
    settings: Arc<WebhookSettings>,
    wake: Arc<Notify>,
}

/// Largest response body kept in the log; the rest is cut.
pub const RESPONSE_BODY_MAX: usize = 64 * 1024;
/// Commits listed in a push payload (the newest); `total_commits` counts them all.
const PAYLOAD_COMMITS_MAX: usize = 20;
/// Commits counted for `total_commits`.
const COUNT_COMMITS_MAX: usize = 1000;
/// Deliveries claimed (and sent concurrently) at once by one worker.
const CLAIM_BATCH: i64 = 8;
/// The longest a worker sleeps without looking at the queue: deliveries queued by another
/// server (whose wake-up call does not reach this one) wait at most this long.
const POLL_INTERVAL: Duration = Duration::from_secs(15);
const MAX_URL_LEN: usize = 2048;
const MAX_SECRET_LEN: usize = 1024;
const ZERO_ID: &str = "0000000000000000000000000000000000000000";

/// Why a hook's settings were refused.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// `field` names the input (`url`, `events`, `branch_filter`, `content_type`, ...).
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for HookError {
    fn from(e: StoreError) -> HookError {
        match e {
            StoreError::NotFound => HookError::NotFound,
            other => HookError::Service(other.into()),
        }
    }
}

fn field(field: &'static str, message: impl Into<String>) -> HookError {
    HookError::Field {
        field,
        message: message.into(),
    }
}

impl From<HookRuleError> for HookError {
    fn from(e: HookRuleError) -> HookError {
        let name = match e {
            HookRuleError::BadEvent(_) => "events",
            HookRuleError::BadBranchFilter(_) => "branch_filter",
            HookRuleError::BadContentType(_) => "content_type",
        };
        field(name, e.to_string())
    }
}

/// A hook's settings as a person or client gives them.
#[derive(Debug, Clone, Default)]
pub struct HookInput {
    pub url: String,
    /// `json` (default) or `form`.
    pub content_type: String,
    pub secret: String,
    /// Empty means `push`.
    pub events: Vec<String>,
    pub branch_filter: String,
    pub authorization_header: String,
    pub active: bool,
}

/// Changes to a hook: `None` keeps the field.
#[derive(Debug, Clone, Default)]
pub struct HookEdit {
    pub url: Option<String>,
    pub content_type: Option<String>,
    pub secret: Option<String>,
    pub events: Option<Vec<String>>,
    pub branch_filter: Option<String>,
    pub authorization_header: Option<String>,
    pub active: Option<bool>,
}

/// Where an event happened, which decides whose hooks see it.
#[derive(Debug, Clone, Copy)]
pub enum HookScope {
    /// A repository's hooks and, when an organization owns it, the organization's.
    Repo { repo_id: i64, org_id: Option<i64> },
    /// An organization's hooks only.
    Org(i64),
}

impl HookScope {
    pub fn of_repo(repo: &Repo) -> HookScope {
        HookScope::Repo {
            repo_id: repo.id,
            org_id: repo.owner_is_org.then_some(repo.owner_id),
        }
    }
}

/// A random (version 4) UUID, as `X-Gitea-Delivery` carries.
pub fn new_uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Hex HMAC-SHA256 of `body` keyed with `secret`: `X-Gitea-Signature`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// An `http(s)` URL, checked for the settings; a literal address must be allowed by
/// `allowed` (names are checked at delivery).
fn check_url(url: &str, allowed: &AllowedHosts) -> Result<String, HookError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(field("url", "is required"));
    }
    if url.len() > MAX_URL_LEN {
        return Err(field(
            "url",
            format!("is longer than {MAX_URL_LEN} characters"),
        ));
    }
    outbound::check_url(url, &policy(allowed)).map_err(|e| field("url", e))?;
    Ok(url.to_owned())
}

/// The webhook allow list as an outbound policy.
fn policy(allowed: &AllowedHosts) -> outbound::Policy {
    outbound::Policy {
        allowed: allowed.clone(),
        setting: "webhook.allowed_hosts",
    }
}

fn check_text(name: &'static str, value: &str, max: usize) -> Result<(), HookError> {
    if value.len() > max {
        return Err(field(name, format!("is longer than {max} characters")));
    }
    if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Err(field(name, "must be one line"));
    }
    Ok(())
}

impl Forge {
    /// Applies the `webhook.*` settings; call before sharing the forge.
    pub fn with_webhooks(mut self, settings: WebhookSettings) -> Forge {
        self.webhooks.settings = Arc::new(settings);
        self
    }

    pub fn webhook_settings(&self) -> &WebhookSettings {
        &self.webhooks.settings
    }

    /// Base URLs for payloads and API objects.
    pub fn urls(&self) -> Urls {
        Urls {
            public: self.webhooks.settings.public_url.clone(),
            ssh: self.webhooks.settings.ssh_clone.clone(),
        }
    }

    /// Whether `user_id` owns the organization `org_id` (who manages its hooks).
    pub async fn is_org_owner(&self, org_id: i64, user_id: i64) -> Result<bool, ServiceError> {
        Ok(self.store.org_role(org_id, user_id).await? == Some(OrgRole::Owner))
    }

    /// Creates a hook for `owner`, whose management the caller has authorized.
    pub async fn create_webhook(
        &self,
        owner: HookOwner,
        input: HookInput,
    ) -> Result<Webhook, HookError> {
        let url = check_url(&input.url, &self.webhooks.settings.allowed_hosts)?;
        let content_type = ContentType::parse(&input.content_type)?;
        let events = rules::normalize_events(&input.events)?;
        let filter = BranchFilter::parse(&input.branch_filter)?;
        check_text("secret", &input.secret, MAX_SECRET_LEN)?;
        check_text(
            "authorization_header",
            &input.authorization_header,
            MAX_SECRET_LEN,
        )?;
        Ok(self
            .store
            .create_webhook(NewWebhook {
                owner,
                url: &url,
                content_type: content_type.as_str(),
                secret: &input.secret,
                events: &events,
                branch_filter: filter.as_str(),
                authorization_header: input.authorization_header.trim(),
                is_active: input.active,
            })
            .await?)
    }

    pub async fn update_webhook(
        &self,
        owner: HookOwner,
        id: i64,
        edit: HookEdit,
    ) -> Result<Webhook, HookError> {
        let url = edit
            .url
            .as_deref()
            .map(|u| check_url(u, &self.webhooks.settings.allowed_hosts))
            .transpose()?;
        let content_type = edit
            .content_type
            .as_deref()
            .map(ContentType::parse)
            .transpose()?;
        let events = edit
            .events
            .as_deref()
            .map(rules::normalize_events)
            .transpose()?;
        let filter = edit
            .branch_filter
            .as_deref()
            .map(BranchFilter::parse)
            .transpose()?;
        if let Some(s) = &edit.secret {
            check_text("secret", s, MAX_SECRET_LEN)?;
        }
        if let Some(a) = &edit.authorization_header {
            check_text("authorization_header", a, MAX_SECRET_LEN)?;
        }
        Ok(self
            .store
            .update_webhook(
                owner,
                id,
                WebhookChanges {
                    url: url.as_deref(),
                    content_type: content_type.map(ContentType::as_str),
                    secret: edit.secret.as_deref(),
                    events: events.as_deref(),
                    branch_filter: filter.as_ref().map(BranchFilter::as_str),
                    authorization_header: edit.authorization_header.as_deref().map(str::trim),
                    is_active: edit.active,
                },
            )
            .await?)
    }

    /// Queues a test delivery to `hook` of `repo`: a `push` of the default branch's head
    /// commit, sent by `sender`, whatever events the hook chose.
    pub async fn test_webhook(
        &self,
        repo: &Repo,
        hook: &Webhook,
        sender_id: i64,
    ) -> Result<(), ServiceError> {
        let git = self.open_git_blocking(repo)?;
        let branch = format!("refs/heads/{}", repo.default_branch);
        let wanted = branch.clone();
        let head = tokio::task::spawn_blocking(move || -> Result<_, hatchery_git::Error> {
            let Some(tip) = git.refs()?.into_iter().find(|r| r.name == wanted) else {
                return Ok(None);
            };
            Ok(git.new_commits(tip.target, &[], 1)?.into_iter().next())
        })
        .await??;
        let sender = self.api_user(Some(sender_id)).await?;
        let repository = self.api_repo(repo).await?;
        let urls = self.urls();
        let commit = head.map(|c| payload_commit(&urls, repo, &c, &sender));
        let after = commit.as_ref().map_or(ZERO_ID.to_owned(), |c| c.id.clone());
        let payload = PushPayload {
            ref_: branch,
            before: after.clone(),
            after,
            compare_url: String::new(),
            commits: commit.iter().cloned().collect(),
            total_commits: i64::from(commit.is_some()),
            head_commit: commit,
            repository,
            pusher: sender.clone(),
            sender,
        };
        self.enqueue(
            vec![hook.clone()],
            rules::PUSH,
            "",
            &serde_json::to_string(&payload).map_err(|e| ServiceError::Task(e.to_string()))?,
        )
        .await?;
        Ok(())
    }

    /// Queues the delivery `delivery_id` of `hook` again.
    pub async fn redeliver(&self, hook: &Webhook, delivery_id: i64) -> Result<(), HookError> {
        self.store
            .redeliver(hook.id, delivery_id, &new_uuid())
            .await?;
        self.webhooks.wake.notify_one();
        Ok(())
    }

    /// The active hooks of `scope` that want `event` (and, for branch events, whose branch
    /// filter matches `git_ref`).
    async fn hooks_for(
        &self,
        scope: HookScope,
        event: &str,
        git_ref: Option<&str>,
    ) -> Result<Vec<Webhook>, ServiceError> {
        let (repo_id, org_id) = match scope {
            HookScope::Repo { repo_id, org_id } => (Some(repo_id), org_id),
            HookScope::Org(org_id) => (None, Some(org_id)),
        };
        let hooks = self.store.active_webhooks_for(repo_id, org_id).await?;
        Ok(wanting(&hooks, event, git_ref))
    }

    async fn enqueue(
        &self,
        hooks: Vec<Webhook>,
        event: &str,
        action: &str,
        payload: &str,
    ) -> Result<(), ServiceError> {
        let items: Vec<NewDelivery> = hooks
            .iter()
            .map(|h| NewDelivery {
                hook_id: h.id,
                uuid: new_uuid(),
                event: event.to_owned(),
                action: action.to_owned(),
                payload: payload.to_owned(),
            })
            .collect();
        if self.store.enqueue_deliveries(&items).await? > 0 {
            self.webhooks.wake.notify_one();
        }
        Ok(())
    }

    /// Queues `payload` as event `event` for every active hook of `scope` that wants it.
    /// `git_ref` (a full ref name) is checked against branch filters. Never fails: a
    /// problem is logged, and the action that caused the event stands.
    pub async fn emit(
        &self,
        scope: HookScope,
        event: &str,
        action: &str,
        git_ref: Option<&str>,
        payload: &impl serde::Serialize,
    ) {
        let result = async {
            let hooks = self.hooks_for(scope, event, git_ref).await?;
            if hooks.is_empty() {
                return Ok(());
            }
            let json =
                serde_json::to_string(payload).map_err(|e| ServiceError::Task(e.to_string()))?;
            self.enqueue(hooks, event, action, &json).await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, event, "queueing webhook deliveries failed");
        }
    }

    /// Like [`Forge::emit`], building the payload only when some hook wants the event.
    pub(crate) async fn emit_with<P, F>(
        &self,
        scope: HookScope,
        event: &str,
        action: &str,
        git_ref: Option<&str>,
        build: F,
    ) where
        P: serde::Serialize,
        F: Future<Output = Result<P, ServiceError>>,
    {
        let hooks = match self.hooks_for(scope, event, git_ref).await {
            Ok(hooks) => hooks,
            Err(e) => {
                tracing::warn!(error = %e, event, action, "looking up webhooks failed");
                return;
            }
        };
        self.emit_to(hooks, event, action, build).await;
    }

    /// Like [`Forge::emit_with`], to `hooks` already chosen for the event.
    async fn emit_to<P, F>(&self, hooks: Vec<Webhook>, event: &str, action: &str, build: F)
    where
        P: serde::Serialize,
        F: Future<Output = Result<P, ServiceError>>,
    {
        let result = async {
            if hooks.is_empty() {
                return Ok(());
            }
            let payload = build.await?;
            let json =
                serde_json::to_string(&payload).map_err(|e| ServiceError::Task(e.to_string()))?;
            self.enqueue(hooks, event, action, &json).await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, event, action, "queueing webhook deliveries failed");
        }
    }

    // ---- payload pieces ----

    pub(crate) async fn api_user(&self, id: Option<i64>) -> Result<ApiUser, ServiceError> {
        let urls = self.urls();
        let user = match id {
            Some(id) => self.store.user_by_id(id).await?,
            None => None,
        };
        Ok(match user {
            Some(u) => ApiUser::of(&urls, &u, false),
            None => ApiUser::person(
                &urls,
                &hatchery_store::Person {
                    id: -1,
                    name: "Ghost".to_owned(),
                    display_name: String::new(),
                },
            ),
        })
    }

    /// The repository as payloads show it: with the permissions of its owner, as Gitea
    /// sends them.
    pub(crate) async fn api_repo(&self, repo: &Repo) -> Result<ApiRepo, ServiceError> {
        let (open, _) = self.store.issue_counts(repo.id).await?;
        let all = ApiPermission {
            admin: true,
            push: true,
            pull: true,
        };
        Ok(ApiRepo::of(&self.urls(), repo, all, open))
    }

    /// Pull request `issue_id` of `repo` as the API and payloads show it; the base's `sha`
    /// is the base branch's tip now.
    pub async fn api_pull(
        &self,
        repo: &Repo,
        issue_id: i64,
        pull: &PullRequest,
    ) -> Result<ApiPullRequest, ServiceError> {
        let issue = self.api_issue(repo, issue_id).await?;
        let base_api = self.api_repo(repo).await?;
        let head_api = match pull.head_repo_id {
            Some(id) if id == repo.id => Some(base_api.clone()),
            Some(id) => match self.store.repo_by_id(id).await? {
                Some(r) => Some(self.api_repo(&r).await?),
                None => None,
            },
            None => None,
        };
        let git = self.open_git_blocking(repo)?;
        let base_ref = format!("refs/heads/{}", pull.base_branch);
        let base_sha = tokio::task::spawn_blocking(move || git.find_ref(&base_ref))
            .await??
            .map(|o| o.to_string())
            .unwrap_or_default();
        let mut api = ApiPullRequest::of(
            &self.urls(),
            repo,
            issue,
            pull,
            base_api,
            base_sha,
            head_api,
        );
        let urls = self.urls();
        for q in self.store.review_requests(issue_id).await? {
            match (&q.user, &q.team) {
                (Some(u), _) => api.requested_reviewers.push(ApiUser::person(&urls, u)),
                (None, Some((id, name))) => {
                    api.requested_reviewers_teams
                        .push(hatchery_api_types::reviews::ApiReviewTeam {
                            id: *id,
                            name: name.clone(),
                        })
                }
                (None, None) => {}
            }
        }
        api.review_comments = self
            .store
            .review_comments_of_pull(issue_id)
            .await?
            .iter()
            .filter(|c| c.review_state != hatchery_core::reviews::ReviewState::Pending)
            .count()
            .try_into()
            .unwrap_or(i64::MAX);
        Ok(api)
    }

    /// [`Forge::api_pull`] as `viewer` may see it: a head repository (a private fork) that
    /// the viewer cannot read is left out (`repo: null`, `repo_id: 0`), as after its
    /// deletion; the branch label stays, being part of the request.
    pub async fn api_pull_for(
        &self,
        viewer: Actor,
        repo: &Repo,
        issue_id: i64,
        pull: &PullRequest,
    ) -> Result<ApiPullRequest, ServiceError> {
        let mut json = self.api_pull(repo, issue_id, pull).await?;
        if let Some(head_id) = pull.head_repo_id.filter(|id| *id != repo.id) {
            let readable = match self.store.repo_by_id(head_id).await? {
                Some(head) => !self.readable(viewer, vec![head]).await?.is_empty(),
                None => false,
            };
            if !readable {
                json.head.repo = None;
                json.head.repo_id = 0;
            }
        }
        Ok(json)
    }

    pub async fn api_issue(&self, repo: &Repo, issue_id: i64) -> Result<ApiIssue, ServiceError> {
        let issue = self
            .store
            .issue_by_id(issue_id)
            .await?
            .ok_or(ServiceError::Store(StoreError::NotFound))?;
        let labels = self
            .store
            .labels_of_issues(&[issue.id])
            .await?
            .remove(&issue.id)
            .unwrap_or_default();
        let assignees = self
            .store
            .assignees_of_issues(&[issue.id])
            .await?
            .remove(&issue.id)
            .unwrap_or_default();
        let milestone = match issue.milestone_id {
            Some(m) => self.store.milestone(repo.id, m).await?,
            None => None,
        };
        Ok(ApiIssue::of(
            &self.urls(),
            repo,
            &issue,
            &labels,
            milestone.as_ref(),
            &assignees,
        ))
    }

    // ---- events ----

    /// `issues` (or one of its sub-events) about issue `issue_id` of `repo`, as it is now.
    // One flat call per issue change reads best at the call sites in issues.rs.
    #[allow(clippy::too_many_arguments)]
    pub async fn emit_issue(
        &self,
        repo: &Repo,
        sender: Actor,
        issue_id: i64,
        event: &str,
        action: &str,
        changes: Option<ChangesPayload>,
        commit_id: Option<&str>,
    ) {
        // The payloads are large; on the heap, they do not swell every use case's future.
        Box::pin(self.emit_issue_now(repo, sender, issue_id, event, action, changes, commit_id))
            .await;
    }

    #[allow(clippy::too_many_arguments)]
    async fn emit_issue_now(
        &self,
        repo: &Repo,
        sender: Actor,
        issue_id: i64,
        event: &str,
        action: &str,
        changes: Option<ChangesPayload>,
        commit_id: Option<&str>,
    ) {
        // A pull request is an issue: the same change sends the pull-request event.
        if let Ok(Some(pull)) = self.store.pull(issue_id).await {
            let event = rules::pull_event(event);
            Box::pin(
                self.emit_with(HookScope::of_repo(repo), event, action, None, async {
                    let pull_request = self.api_pull(repo, issue_id, &pull).await?;
                    Ok(PullRequestPayload {
                        action: action.to_owned(),
                        number: pull_request.number,
                        changes: changes.filter(|c| !c.is_empty()),
                        pull_request,
                        repository: self.api_repo(repo).await?,
                        sender: self.api_user(sender.user_id()).await?,
                        commit_id: commit_id.unwrap_or_default().to_owned(),
                        review: None,
                        requested_reviewer: None,
                    })
                }),
            )
            .await;
            return;
        }
        self.emit_with(HookScope::of_repo(repo), event, action, None, async {
            let issue = self.api_issue(repo, issue_id).await?;
            Ok(IssuePayload {
                action: action.to_owned(),
                number: issue.number,
                changes: changes.filter(|c| !c.is_empty()),
                issue,
                repository: self.api_repo(repo).await?,
                sender: self.api_user(sender.user_id()).await?,
                commit_id: commit_id.unwrap_or_default().to_owned(),
            })
        })
        .await;
    }

    /// `issue_comment` about `comment` (as given: for a deletion, as it was).
    pub async fn emit_comment(
        &self,
        repo: &Repo,
        sender: Actor,
        issue_id: i64,
        comment: &Comment,
        action: &str,
        changes: Option<ChangesPayload>,
    ) {
        // Boxed: the payload builder makes a large future, which every caller would
        // otherwise carry inline.
        Box::pin(self.emit_with(
            HookScope::of_repo(repo),
            rules::ISSUE_COMMENT,
            action,
            None,
            async {
                let issue = self.api_issue(repo, issue_id).await?;
                Ok(IssueCommentPayload {
                    action: action.to_owned(),
                    comment: ApiComment::of(&self.urls(), repo, issue.number, comment),
                    issue,
                    changes: changes.filter(|c| !c.is_empty()),
                    repository: self.api_repo(repo).await?,
                    sender: self.api_user(sender.user_id()).await?,
                    is_pull: self.store.pull(issue_id).await?.is_some(),
                })
            },
        ))
        .await;
    }

    /// `status`: `status` was just reported on a commit of `repo` by `sender`.
    pub async fn emit_status(&self, repo: &Repo, sender: Actor, status: &CommitStatus) {
        Box::pin(
            self.emit_with(HookScope::of_repo(repo), rules::STATUS, "", None, async {
                let sender = self.api_user(sender.user_id()).await?;
                let git = self.open_git_blocking(repo)?;
                let sha = status.sha.clone();
                let commit = tokio::task::spawn_blocking(move || -> Result<_, ServiceError> {
                    let Ok(oid) = sha.parse::<Oid>() else {
                        return Ok(None);
                    };
                    Ok(git.new_commits(oid, &[], 1)?.into_iter().next())
                })
                .await??;
                let urls = self.urls();
                Ok(StatusPayload {
                    commit: commit.map(|c| payload_commit(&urls, repo, &c, &sender)),
                    context: status.context.clone(),
                    created_at: api_time(status.created_at),
                    description: status.description.clone(),
                    id: status.id,
                    repository: self.api_repo(repo).await?,
                    sender,
                    sha: status.sha.clone(),
                    state: status.state.as_str().to_owned(),
                    target_url: status.target_url.clone(),
                    updated_at: api_time(status.updated_at),
                })
            }),
        )
        .await;
    }

    /// `repository` `created` or `deleted`. Only organizations' hooks hear of it (a
    /// repository's own hooks do not exist yet, or are deleted with it), as in Gitea.
    pub async fn emit_repository(&self, repo: &Repo, sender_id: Option<i64>, action: &str) {
        if !repo.owner_is_org {
            return;
        }
        let org_id = repo.owner_id;
        self.emit_with(
            HookScope::Org(org_id),
            rules::REPOSITORY,
            action,
            None,
            async {
                let organization = self
                    .store
                    .org_by_id(org_id)
                    .await?
                    .map(|o| ApiUser::org(&self.urls(), &o));
                // Without a known actor, the owner stands in as the sender.
                let sender = match sender_id {
                    Some(_) => self.api_user(sender_id).await?,
                    None => organization
                        .clone()
                        .unwrap_or(ApiUser::owner(&self.urls(), repo)),
                };
                Ok(RepositoryPayload {
                    action: action.to_owned(),
                    repository: self.api_repo(repo).await?,
                    organization,
                    sender,
                })
            },
        )
        .await;
    }

    /// `fork`: `fork` was just made from `parent` by `sender`; the parent's hooks (and its
    /// organization's) hear it, as in Gitea.
    pub async fn emit_fork(&self, parent: &Repo, fork: &Repo, sender: Actor) {
        Box::pin(
            self.emit_with(HookScope::of_repo(parent), rules::FORK, "", None, async {
                Ok(ForkPayload {
                    forkee: self.api_repo(parent).await?,
                    repository: self.api_repo(fork).await?,
                    sender: self.api_user(sender.user_id()).await?,
                })
            }),
        )
        .await;
    }

    /// After a push: `create` for each new branch or tag, `push` for each branch or tag
    /// that got a new value, `delete` for each deleted one. `updates` are (ref name, old,
    /// new) as applied.
    pub async fn webhooks_after_push(
        &self,
        repo: &Repo,
        pusher: Actor,
        updates: Vec<(String, Option<Oid>, Option<Oid>)>,
    ) {
        // One look-up of the hooks, the repository and the pusher for the whole push, not
        // one per ref and event: this runs before the pusher's response ends.
        let found = async {
            let hooks = self
                .store
                .active_webhooks_for(Some(repo.id), repo.owner_is_org.then_some(repo.owner_id))
                .await?;
            if hooks.is_empty() {
                return Ok(None);
            }
            let repository = self.api_repo(repo).await?;
            let sender = self.api_user(pusher.user_id()).await?;
            Ok::<_, ServiceError>(Some((hooks, repository, sender)))
        }
        .await;
        let (hooks, repository, sender) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "looking up webhooks after a push failed");
                return;
            }
        };
        for (name, old, new) in updates {
            let (short, ref_type) = if let Some(b) = name.strip_prefix("refs/heads/") {
                (b.to_owned(), "branch")
            } else if let Some(t) = name.strip_prefix("refs/tags/") {
                (t.to_owned(), "tag")
            } else {
                continue;
            };
            let to = |event| wanting(&hooks, event, Some(&name));
            match (old, new) {
                (_, None) => {
                    self.emit_to(to(rules::DELETE), rules::DELETE, "", async {
                        Ok(DeletePayload {
                            ref_: short.clone(),
                            ref_type: ref_type.to_owned(),
                            pusher_type: "user".to_owned(),
                            repository: repository.clone(),
                            sender: sender.clone(),
                        })
                    })
                    .await;
                }
                (old, Some(new)) => {
                    if old.is_none() {
                        self.emit_to(to(rules::CREATE), rules::CREATE, "", async {
                            Ok(CreatePayload {
                                sha: new.to_string(),
                                ref_: short.clone(),
                                ref_type: ref_type.to_owned(),
                                repository: repository.clone(),
                                sender: sender.clone(),
                            })
                        })
                        .await;
                    }
                    self.emit_to(to(rules::PUSH), rules::PUSH, "", async {
                        self.push_payload(
                            repo,
                            &repository,
                            &sender,
                            &name,
                            old,
                            new,
                            ref_type == "branch",
                        )
                        .await
                    })
                    .await;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn push_payload(
        &self,
        repo: &Repo,
        repository: &ApiRepo,
        sender: &ApiUser,
        name: &str,
        old: Option<Oid>,
        new: Oid,
        is_branch: bool,
    ) -> Result<PushPayload, ServiceError> {
        let sender = sender.clone();
        let urls = self.urls();
        let (commits, total) = if is_branch {
            let git = self.open_git_blocking(repo)?;
            let this = name.to_owned();
            tokio::task::spawn_blocking(move || -> Result<_, hatchery_git::Error> {
                let mut exclude: Vec<Oid> = old.into_iter().collect();
                if old.is_none() {
                    // A new branch: only commits on no other branch are new.
                    exclude.extend(
                        git.refs()?
                            .into_iter()
                            .filter(|r| r.name.starts_with("refs/heads/") && r.name != this)
                            .map(|r| r.target),
                    );
                }
                let all = git.new_commits(new, &exclude, COUNT_COMMITS_MAX)?;
                let total = all.len();
                let mut listed: Vec<PushedCommit> =
                    all.into_iter().take(PAYLOAD_COMMITS_MAX).collect();
                if listed.is_empty() {
                    // Nothing new (a branch made at an existing commit): still say what
                    // the head is.
                    listed = git.new_commits(new, &[], 1)?;
                    return Ok((listed, 0));
                }
                Ok((listed, total))
            })
            .await??
        } else {
            (Vec::new(), 0)
        };
        let commits: Vec<PayloadCommit> = commits
            .iter()
            .map(|c| payload_commit(&urls, repo, c, &sender))
            .collect();
        let before = old.map_or(ZERO_ID.to_owned(), |o| o.to_string());
        let compare_url = match old {
            Some(o) => urls.html(&format!(
                "{}/{}/compare/{}...{}",
                repo.owner_name, repo.name, o, new
            )),
            None => String::new(),
        };
        let head_commit = commits.first().cloned();
        Ok(PushPayload {
            ref_: name.to_owned(),
            before,
            after: new.to_string(),
            compare_url,
            commits: if total == 0 { Vec::new() } else { commits },
            total_commits: i64::try_from(total).unwrap_or(i64::MAX),
            head_commit,
            repository: repository.clone(),
            pusher: sender.clone(),
            sender,
        })
    }

    /// What the delivery worker needs, to run with [`run_webhook_worker`].
    pub fn webhook_worker(&self) -> WebhookWorker {
        WebhookWorker {
            store: self.store.clone(),
            settings: Arc::clone(&self.webhooks.settings),
            wake: Arc::clone(&self.webhooks.wake),
            jobs: Arc::clone(&self.jobs),
        }
    }
}

/// The hooks of `hooks` that want `event` (on `git_ref`, for events filtered by branch).
fn wanting(hooks: &[Webhook], event: &str, git_ref: Option<&str>) -> Vec<Webhook> {
    let branch = git_ref.and_then(|r| rules::filtered_branch(event, r));
    hooks
        .iter()
        .filter(|h| rules::hook_wants(&h.events, event))
        .filter(|h| match &branch {
            None => true,
            Some(b) => BranchFilter::parse(&h.branch_filter).is_ok_and(|f| f.matches(b)),
        })
        .cloned()
        .collect()
}

fn payload_user(p: &hatchery_git::Person, sender: &ApiUser) -> PayloadUser {
    // The pusher is the one account known to go with an address here.
    let username = if !sender.email.is_empty() && sender.email.eq_ignore_ascii_case(&p.email) {
        sender.login.clone()
    } else {
        String::new()
    };
    PayloadUser {
        name: p.name.clone(),
        email: p.email.clone(),
        username,
    }
}

fn payload_commit(urls: &Urls, repo: &Repo, c: &PushedCommit, sender: &ApiUser) -> PayloadCommit {
    PayloadCommit {
        id: c.id.to_string(),
        message: c.message.clone(),
        url: urls.html(&format!(
            "{}/{}/commit/{}",
            repo.owner_name, repo.name, c.id
        )),
        author: c.author.as_ref().map(|p| payload_user(p, sender)),
        committer: c.committer.as_ref().map(|p| payload_user(p, sender)),
        verification: None,
        timestamp: c
            .author
            .as_ref()
            .map(|p| api_time(p.time.saturating_mul(1000)))
            .unwrap_or_default(),
        added: Vec::new(),
        removed: Vec::new(),
        modified: Vec::new(),
    }
}

// ---- the delivery worker ----

/// The delivery worker's share of the forge.
#[derive(Debug, Clone)]
pub struct WebhookWorker {
    store: hatchery_store::Store,
    settings: Arc<WebhookSettings>,
    wake: Arc<Notify>,
    jobs: Arc<crate::jobs::JobBoard>,
}

impl WebhookWorker {
    fn client(&self) -> Result<reqwest::Client, reqwest::Error> {
        let timeout = self.settings.delivery_timeout;
        outbound::client(
            &policy(&self.settings.allowed_hosts),
            outbound::ClientOptions {
                connect_timeout: timeout,
                whole: Some(timeout),
                stalled_read: None,
                redirects: 0,
            },
        )
    }

    /// Checks the destination of `url` before sending.
    async fn preflight(&self, url: &str) -> Result<(), PreflightError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| PreflightError::Refused(format!("invalid URL: {e}")))?;
        outbound::preflight(&parsed, &policy(&self.settings.allowed_hosts)).await
    }

    /// Sends one claimed delivery and records the outcome.
    async fn deliver(&self, client: &reqwest::Client, d: ClaimedDelivery) {
        let hook = &d.hook;
        let content_type = ContentType::parse(&hook.content_type).unwrap_or_default();
        let body = match content_type {
            ContentType::Json => d.payload.clone(),
            ContentType::Form => form_urlencoded::Serializer::new(String::new())
                .append_pair("payload", &d.payload)
                .finish(),
        };
        let header_event = rules::header_event(&d.event).to_owned();
        let mut headers: Vec<(&str, String)> = vec![
            ("Content-Type", content_type.mime().to_owned()),
            ("X-Gitea-Delivery", d.uuid.clone()),
            ("X-Gitea-Event", header_event.clone()),
            ("X-Gitea-Event-Type", d.event.clone()),
            ("X-Gogs-Delivery", d.uuid.clone()),
            ("X-Gogs-Event", header_event.clone()),
            ("X-Gogs-Event-Type", d.event.clone()),
            ("X-GitHub-Delivery", d.uuid.clone()),
            ("X-GitHub-Event", header_event),
            ("X-GitHub-Event-Type", d.event.clone()),
        ];
        if !hook.secret.is_empty() {
            let sig = signature(&hook.secret, body.as_bytes());
            headers.push(("X-Gitea-Signature", sig.clone()));
            headers.push(("X-Gogs-Signature", sig.clone()));
            headers.push(("X-Hub-Signature-256", format!("sha256={sig}")));
        }
        let mut logged: BTreeMap<String, String> = headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        if !hook.authorization_header.is_empty() {
            let scheme = hook
                .authorization_header
                .split_once(' ')
                .map_or("", |(s, _)| s);
            logged.insert(
                "Authorization".to_owned(),
                if scheme.is_empty() {
                    "******".to_owned()
                } else {
                    format!("{scheme} ******")
                },
            );
        }
        let attempt = d.attempts + 1;
        let started = Instant::now();
        let attempted_at = now_ms();
        let mut record = AttemptRecord {
            status: DeliveryStatus::Failed,
            next_attempt_at: attempted_at,
            attempted_at,
            request_url: hook.url.clone(),
            request_headers: serde_json::to_string(&logged).unwrap_or_default(),
            request_body: body.clone(),
            response_status: None,
            response_headers: None,
            response_body: None,
            error: None,
            duration_ms: 0,
        };
        let retry_or_fail = |record: &mut AttemptRecord| {
            let max = i64::from(self.settings.max_attempts.max(1));
            if attempt >= max {
                record.status = DeliveryStatus::Failed;
            } else {
                record.status = DeliveryStatus::Pending;
                let failures = u32::try_from(attempt).unwrap_or(u32::MAX);
                let delay = rules::retry_delay(&self.settings.retry_delays_ms, failures);
                record.next_attempt_at =
                    now_ms().saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
            }
        };
        match self.preflight(&hook.url).await {
            Err(PreflightError::Refused(e)) => {
                record.error = Some(e);
                record.status = DeliveryStatus::Failed;
            }
            Err(PreflightError::Transient(e)) => {
                record.error = Some(e);
                retry_or_fail(&mut record);
            }
            Ok(()) => {
                let mut req = client.post(&hook.url).body(body);
                for (k, v) in &headers {
                    req = req.header(*k, v);
                }
                if !hook.authorization_header.is_empty() {
                    req = req.header("Authorization", &hook.authorization_header);
                }
                match req.send().await {
                    Ok(mut resp) => {
                        let status = resp.status();
                        record.response_status = Some(i64::from(status.as_u16()));
                        let mut rh: BTreeMap<String, String> = BTreeMap::new();
                        for (k, v) in resp.headers() {
                            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                            rh.entry(k.as_str().to_owned())
                                .and_modify(|e| {
                                    e.push_str(", ");
                                    e.push_str(&v);
                                })
                                .or_insert(v);
                        }
                        record.response_headers =
                            Some(serde_json::to_string(&rh).unwrap_or_default());
                        let mut kept: Vec<u8> = Vec::new();
                        let mut cut = false;
                        loop {
                            match resp.chunk().await {
                                Ok(Some(chunk)) => {
                                    let room = RESPONSE_BODY_MAX - kept.len();
                                    if chunk.len() > room {
                                        kept.extend_from_slice(&chunk[..room]);
                                        cut = true;
                                        break;
                                    }
                                    kept.extend_from_slice(&chunk);
                                }
                                Ok(None) => break,
                                Err(e) => {
                                    record.error = Some(format!("reading the response: {e}"));
                                    break;
                                }
                            }
                        }
                        let mut text = String::from_utf8_lossy(&kept).into_owned();
                        if cut {
                            text.push_str("\n[truncated]");
                        }
                        record.response_body = Some(text);
                        if status.is_success() {
                            record.status = DeliveryStatus::Delivered;
                            record.error = None;
                        } else {
                            record
                                .error
                                .get_or_insert_with(|| format!("the receiver answered {status}"));
                            retry_or_fail(&mut record);
                        }
                    }
                    Err(e) => {
                        record.error = Some(describe(&e));
                        retry_or_fail(&mut record);
                    }
                }
            }
        }
        record.duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.jobs.delivery_attempted(match record.status {
            DeliveryStatus::Delivered => crate::jobs::DeliveryOutcome::Delivered,
            DeliveryStatus::Pending => crate::jobs::DeliveryOutcome::Retrying,
            DeliveryStatus::Failed => crate::jobs::DeliveryOutcome::Failed,
        });
        match self
            .store
            .finish_delivery(d.id, &d.lease_token, &record)
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                delivery = d.id,
                "a webhook delivery's lease ran out before its outcome was recorded"
            ),
            Err(e) => {
                tracing::warn!(error = %e, delivery = d.id, "recording a webhook delivery failed")
            }
        }
        tracing::debug!(
            delivery = d.id,
            hook = hook.id,
            status = record.status.as_str(),
            "webhook delivery attempted"
        );
    }

    /// Claims and sends what is due until nothing is. `stop` ends the loop after the
    /// current batch.
    /// `client` is built at the first batch to send, not at start: it reads the system's
    /// certificate store, which a server without webhooks never needs (about 1 MiB and the
    /// TLS set-up code kept out of the idle server's memory).
    async fn drain(
        &self,
        client: &std::sync::OnceLock<Option<reqwest::Client>>,
        stop: &std::sync::atomic::AtomicBool,
    ) {
        let lease = self.settings.delivery_timeout.saturating_mul(2) + Duration::from_secs(60);
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            let token = new_uuid();
            let batch = match self
                .store
                .claim_due_deliveries(now_ms(), lease_ms, CLAIM_BATCH, &token)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming webhook deliveries failed");
                    return;
                }
            };
            if batch.is_empty() {
                return;
            }
            let client = client.get_or_init(|| match self.client() {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "cannot build the webhook HTTP client; webhooks are not delivered");
                    None
                }
            });
            // Without a client the claimed deliveries wait out their lease, as undelivered.
            let Some(client) = client else {
                return;
            };
            // Different hooks are served at once; one hook's deliveries go in order.
            let mut by_hook: BTreeMap<i64, Vec<ClaimedDelivery>> = BTreeMap::new();
            for d in batch {
                by_hook.entry(d.hook.id).or_default().push(d);
            }
            let mut tasks = tokio::task::JoinSet::new();
            for (_, deliveries) in by_hook {
                let worker = self.clone();
                let client = client.clone();
                tasks.spawn(async move {
                    for d in deliveries {
                        worker.deliver(&client, d).await;
                    }
                });
            }
            while let Some(done) = tasks.join_next().await {
                if let Err(e) = done {
                    tracing::error!(error = %e, "a webhook delivery task failed");
                }
            }
        }
    }
}

/// Sends queued deliveries until `shutdown` resolves; deliveries in flight then finish
/// (each is bounded by the delivery timeout). Start one per server: several servers on
/// one database share the queue safely.
pub async fn run_webhook_worker(worker: WebhookWorker, shutdown: impl Future<Output = ()> + Send) {
    let client = std::sync::OnceLock::new();
    let stop = std::sync::atomic::AtomicBool::new(false);
    tokio::pin!(shutdown);
    tokio::select! {
        () = &mut shutdown => return,
        () = worker.jobs.before_first_round(Job::Webhooks, now_ms(), worker.wake.notified()) => {}
    }
    let mut stopping = false;
    loop {
        worker.jobs.started(Job::Webhooks, now_ms());
        {
            let work = worker.drain(&client, &stop);
            tokio::pin!(work);
            tokio::select! {
                () = &mut work => {}
                () = &mut shutdown, if !stopping => {
                    stopping = true;
                    stop.store(true, std::sync::atomic::Ordering::SeqCst);
                    work.await;
                }
            }
        }
        if stopping {
            return;
        }
        let mut failure = None;
        let wait = match worker.store.next_delivery_due().await {
            Ok(Some(at)) => {
                let ms = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
                Duration::from_millis(ms).min(POLL_INTERVAL)
            }
            Ok(None) => POLL_INTERVAL,
            Err(e) => {
                tracing::warn!(error = %e, "reading the webhook queue failed");
                failure = Some(format!("reading the webhook queue failed: {e}"));
                POLL_INTERVAL
            }
        };
        let now = now_ms();
        let next = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        worker
            .jobs
            .finished(Job::Webhooks, now, failure, Some(next));
        tokio::select! {
            () = &mut shutdown => return,
            () = worker.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::SignInPolicy;
    use crate::repos::CreateRepo;
    use hatchery_core::{Name, NameKind};
    use hatchery_store::{HookOwner, NewUser, NewWebhook, testing::stores};

    /// A forge on `store` with Ann's public repository `ann/tool` (a README commit).
    async fn forge_with_repo(
        store: &hatchery_store::Store,
    ) -> (
        Forge,
        tempfile::TempDir,
        hatchery_store::Repo,
        hatchery_store::User,
    ) {
        let store = store.clone();
        let dir = tempfile::tempdir().unwrap();
        let forge = Forge::new(
            store.clone(),
            dir.path().join("repositories"),
            SignInPolicy::new(5, 15),
        );
        let ann = store
            .create_user(NewUser {
                name: Name::parse(NameKind::Account, "ann").unwrap(),
                email: "ann@example.org".into(),
                password_hash: "x".into(),
                display_name: "Ann".into(),
                is_admin: false,
            })
            .await
            .unwrap();
        let repo = forge
            .create_repo(CreateRepo {
                owner_id: ann.id,
                owner_name: &ann.name,
                name: &Name::parse(NameKind::Repository, "tool").unwrap(),
                description: "",
                is_private: false,
                init_readme: Some(hatchery_git::Signature {
                    name: "Ann".into(),
                    email: "ann@example.org".into(),
                    time: 1_700_000_000,
                    offset_seconds: 0,
                }),
            })
            .await
            .unwrap();
        (forge, dir, repo, ann)
    }

    /// A push's refs are matched against the hooks it found once: `create` and `push` for
    /// new refs, tags unfiltered, branches by the hook's branch filter; every payload names
    /// the repository and the pusher.
    #[tokio::test]
    async fn a_push_queues_create_push_and_delete_by_branch_filter() {
        for store in stores().await {
            let (forge, _dir, repo, ann) = forge_with_repo(store.store()).await;
            let git = forge.open_git_blocking(&repo).unwrap();
            let tip = git.resolve("HEAD").unwrap().unwrap();
            let events: Vec<String> = ["push", "create", "delete"].map(String::from).into();
            let hook = store
                .create_webhook(NewWebhook {
                    owner: HookOwner::Repo(repo.id),
                    url: "https://hooks.example.com/x",
                    content_type: "json",
                    secret: "",
                    events: &events,
                    branch_filter: "main",
                    authorization_header: "",
                    is_active: true,
                })
                .await
                .unwrap();
            let pusher = Actor::User {
                id: ann.id,
                site_admin: false,
            };
            forge
                .webhooks_after_push(
                    &repo,
                    pusher,
                    vec![
                        ("refs/heads/main".into(), None, Some(tip)),
                        ("refs/heads/feature".into(), None, Some(tip)),
                        ("refs/heads/gone".into(), Some(tip), None),
                        ("refs/tags/v1".into(), None, Some(tip)),
                        ("refs/tags/old".into(), Some(tip), None),
                    ],
                )
                .await;
            let (mut queued, total) = store.deliveries_of_hook(hook.id, 0, 50).await.unwrap();
            queued.reverse();
            let got: Vec<&str> = queued.iter().map(|d| d.event.as_str()).collect();
            assert_eq!(
                got,
                ["create", "push", "create", "push", "delete"],
                "[{}]",
                store.label()
            );
            assert_eq!(total, 5);
            for d in &queued {
                let full = store.delivery(hook.id, d.id).await.unwrap().unwrap();
                let json: serde_json::Value = serde_json::from_str(&full.payload).unwrap();
                assert_eq!(json["repository"]["name"], "tool", "{}", d.event);
                assert_eq!(json["sender"]["login"], "ann", "{}", d.event);
            }
        }
    }

    /// The worker's HTTP client (it reads the system's certificate store) is made when the
    /// first delivery is due, not while the queue is empty; then it is made once.
    #[tokio::test]
    async fn the_delivery_client_is_made_at_the_first_delivery() {
        for store in stores().await {
            let (forge, _dir, repo, ann) = forge_with_repo(store.store()).await;
            let worker = forge.webhook_worker();
            let client = std::sync::OnceLock::new();
            let stop = std::sync::atomic::AtomicBool::new(false);
            worker.drain(&client, &stop).await;
            assert!(
                client.get().is_none(),
                "no delivery, no client [{}]",
                store.label()
            );

            let events: Vec<String> = vec!["push".into()];
            let hook = store
                .create_webhook(NewWebhook {
                    owner: HookOwner::Repo(repo.id),
                    // Loopback is refused before connecting: the attempt ends at once.
                    url: "http://127.0.0.1:9/hook",
                    content_type: "json",
                    secret: "",
                    events: &events,
                    branch_filter: "",
                    authorization_header: "",
                    is_active: true,
                })
                .await
                .unwrap();
            let tip = forge
                .open_git_blocking(&repo)
                .unwrap()
                .resolve("HEAD")
                .unwrap()
                .unwrap();
            let pusher = Actor::User {
                id: ann.id,
                site_admin: false,
            };
            forge
                .webhooks_after_push(
                    &repo,
                    pusher,
                    vec![("refs/heads/main".into(), None, Some(tip))],
                )
                .await;
            worker.drain(&client, &stop).await;
            let made = client.get().expect("made for the delivery");
            assert!(made.is_some(), "[{}]", store.label());
            let (deliveries, _) = store.deliveries_of_hook(hook.id, 0, 10).await.unwrap();
            assert_eq!(deliveries.len(), 1);
            let attempted = store
                .delivery(hook.id, deliveries[0].id)
                .await
                .unwrap()
                .unwrap();
            assert!(attempted.summary.attempts >= 1, "the delivery was tried");
        }
    }

    #[test]
    fn uuids_and_signatures() {
        let u = new_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, new_uuid());
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn urls_are_checked() {
        // The address rules themselves are outbound's (tested there).
        let ext = AllowedHosts::default();
        assert!(check_url(" https://hooks.example.com/x ", &ext).is_ok());
        for bad in ["", "ftp://example.com/", "http://127.0.0.1:8080/hook"] {
            assert!(check_url(bad, &ext).is_err(), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(check_url(&long, &ext).is_err());
        let e = check_url("http://10.0.0.1/", &ext).unwrap_err().to_string();
        assert!(e.contains("webhook.allowed_hosts"), "{e}");
    }
}
