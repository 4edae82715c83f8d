//! Pull-request use cases. A pull request is an issue with a head and a base, so
//! everything a conversation does (comments, labels, assignees, closing) goes through the
//! issue use cases; this module adds opening one (branches resolved, `refs/pull/N/head`
//! written in the base repository), the draft flag, the comparison its pages show, and
//! what a push to a head branch does to the open requests from it.

use hatchery_core::issues as rules;
use hatchery_core::protection::Unmet;
use hatchery_core::pulls::MergeStyle;
use hatchery_core::pulls::{self as pull_rules, is_draft_title};
use hatchery_core::pulls::{MergeSettings, Mergeable};
use hatchery_core::references::closing_issues;
use hatchery_core::{Action, Actor, Resource, authorize};
use hatchery_git::{Comparison, DiffOptions, MergeError, MergeSpec, Oid, RefUpdate, Signature};
use hatchery_store::{
    HeadMove, Issue, MergeCheck, NewIssue, NewPull, PullRequest, Repo, StoreError,
};

use crate::issues::{IssueError, RepoView, check, field};
use crate::protection::MergeRequest;
use crate::{Forge, ServiceError};
use hatchery_core::webhooks as hook_events;
use std::sync::Arc;

/// How many commits a pull request's commit list and push count read at most.
pub const PULL_COMMITS_MAX: usize = 250;

/// Why a pull-request use case was refused.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// `base` or `head` names no branch (of a repository the actor may read).
    #[error("{0}: no such branch")]
    NoBranch(&'static str),
    /// Head and base are the same branch.
    #[error("head and base are the same branch")]
    SameBranch,
    /// The head has no commits the base lacks.
    #[error("there is nothing to merge")]
    NoChanges,
    /// A request from this head into this base is open already.
    #[error("a pull request from this head into this base is open already")]
    Exists,
    /// The number names a plain issue, or nothing.
    #[error("not found")]
    NotFound,
    /// The request cannot be merged as asked: closed or merged already, a draft, a style
    /// the repository does not allow, no fast-forward possible, unrelated histories.
    #[error("not mergeable: {0}")]
    NotMergeable(&'static str),
    /// Branch protection requires more first.
    #[error("branch protection is not satisfied")]
    Requirements(Vec<hatchery_core::protection::Unmet>),
    /// The head moved since the caller looked (or since the last push was recorded).
    #[error("the head branch moved")]
    HeadMoved,
    /// The base branch moved while merging; nothing was merged.
    #[error("the base branch moved")]
    BaseMoved,
    /// The merge stops on these files.
    #[error("merge conflicts in {}", .0.join(", "))]
    Conflicts(Vec<String>),
    /// The head branch's protection refuses the update.
    #[error("protected branch {}: {}", .0.rule_name, .0.refusal.key())]
    Protected(crate::protection::PushRefusal),
}

impl From<StoreError> for PullError {
    fn from(e: StoreError) -> PullError {
        PullError::Issue(e.into())
    }
}

impl From<ServiceError> for PullError {
    fn from(e: ServiceError) -> PullError {
        PullError::Issue(e.into())
    }
}

impl From<hatchery_git::Error> for PullError {
    fn from(e: hatchery_git::Error) -> PullError {
        PullError::Issue(ServiceError::from(e).into())
    }
}

impl From<tokio::task::JoinError> for PullError {
    fn from(e: tokio::task::JoinError) -> PullError {
        PullError::Issue(ServiceError::from(e).into())
    }
}

/// What a person fills in to open a pull request.
#[derive(Debug, Clone, Default)]
pub struct PullInput {
    pub title: String,
    pub body: String,
    /// A branch of the base repository.
    pub base: String,
    /// A branch of the base repository, or `owner:branch`.
    pub head: String,
    /// Also set by a draft title ("WIP: ...").
    pub draft: bool,
    /// Applied only for people who may triage, as for issues.
    pub label_ids: Vec<i64>,
    pub milestone_id: Option<i64>,
    pub assignee_ids: Vec<i64>,
}

/// The commits and changes a pull request's pages show.
#[derive(Debug, Clone)]
pub struct PullComparison {
    /// The commit the changes are shown against: the current base tip while open, the
    /// recorded merge base once merged or closed.
    pub base: Oid,
    pub head: Oid,
    /// Shared with the comparison cache.
    pub comparison: Arc<Comparison>,
}

/// Comparisons kept at most, by their estimated size in bytes.
const COMPARISON_BYTES: u64 = 32 << 20;

/// (repository, base commit, head commit, diff options): ids never change meaning, so an
/// entry never goes stale; a push makes new keys.
type ComparisonKey = (i64, Oid, Oid, DiffOptions);

#[derive(Clone)]
pub(crate) struct ComparisonWeight;

impl quick_cache::Weighter<ComparisonKey, Arc<Comparison>> for ComparisonWeight {
    fn weight(&self, _key: &ComparisonKey, value: &Arc<Comparison>) -> u64 {
        comparison_bytes(value).max(1)
    }
}

/// About what a comparison holds in memory: the text of its commits and diff lines plus a
/// fixed cost per commit, file and line.
fn comparison_bytes(c: &Comparison) -> u64 {
    let commits: usize = c
        .commits
        .iter()
        .map(|s| 256 + s.summary.len() + s.author_name.len() + s.author_email.len())
        .sum();
    let files: usize = c
        .diff
        .files
        .iter()
        .map(|f| {
            let paths = f.old_path.as_ref().map_or(0, String::len)
                + f.new_path.as_ref().map_or(0, String::len);
            let lines: usize = f
                .hunks
                .iter()
                .map(|h| 64 + h.lines.iter().map(|l| 48 + l.text.len()).sum::<usize>())
                .sum();
            160 + paths + lines
        })
        .sum();
    (commits + files) as u64
}

/// The comparisons of pull requests' pages, keyed by immutable ids and bounded by weight,
/// like the web layer's rendered-HTML cache: a cached page no longer walks the commits
/// and diffs the trees again for every request.
pub(crate) type ComparisonCache =
    quick_cache::sync::Cache<ComparisonKey, Arc<Comparison>, ComparisonWeight>;

pub(crate) fn comparison_cache() -> ComparisonCache {
    quick_cache::sync::Cache::with_weighter(1024, COMPARISON_BYTES, ComparisonWeight)
}

fn branch_ref(branch: &str) -> String {
    format!("refs/heads/{branch}")
}

fn parse_oid(hex: &str) -> Option<Oid> {
    hex.parse().ok()
}

impl Forge {
    /// Opens a pull request into `view`'s repository. The head is a branch of the same
    /// repository (`branch`, or `owner:branch` naming it) or of another repository of its
    /// fork network that the actor may read (`owner:branch`: the fork of this repository
    /// that `owner` owns, or its parent; `owner/name:branch` names one). A head in another
    /// repository has its commits transferred into this one (`refs/pull/N/head`), so the
    /// comparison and the merge never need the fork again.
    pub async fn open_pull(
        &self,
        view: &RepoView,
        input: PullInput,
    ) -> Result<(Issue, PullRequest), PullError> {
        check(authorize(
            view.actor,
            Action::OpenPull,
            Resource::Repo(view.facts),
        ))?;
        let author = view.user_id()?;
        let title = field("title", rules::title(&input.title, rules::TITLE_MAX))?;
        let body = field("body", rules::body(&input.body, false))?;
        let (head_repo, head_branch) = self.pull_head(view, &input.head).await?;
        let same_repo = head_repo.id == view.repo.id;
        let base_branch = input.base.trim().to_owned();
        if head_branch.is_empty() {
            return Err(PullError::NoBranch("head"));
        }
        if same_repo && head_branch == base_branch {
            return Err(PullError::SameBranch);
        }
        let (b, h) = (branch_ref(&base_branch), branch_ref(&head_branch));
        let git = self.open_git(&view.repo).await?;
        let head_git = if same_repo {
            git.clone()
        } else {
            self.open_git(&head_repo).await?
        };
        let g = git.clone();
        let (base_oid, head_oid) = tokio::task::spawn_blocking(move || {
            let base_oid = g.find_ref(&b)?;
            let head_oid = head_git.find_ref(&h)?;
            if let (false, Some(_), Some(head)) = (same_repo, base_oid, head_oid) {
                // Unreachable here until refs/pull/N/head points at them.
                head_git.send_objects(&g, head)?;
            }
            Ok::<_, hatchery_git::Error>((base_oid, head_oid))
        })
        .await??;
        let base_oid = base_oid.ok_or(PullError::NoBranch("base"))?;
        let head_oid = head_oid.ok_or(PullError::NoBranch("head"))?;
        let head_repo_id = head_repo.id;
        let g = git.clone();
        let (merge_base, behind) = tokio::task::spawn_blocking(move || {
            Ok::<_, hatchery_git::Error>((
                g.merge_base(base_oid, head_oid)?,
                g.is_ancestor(head_oid, base_oid)?,
            ))
        })
        .await??;
        if behind {
            return Err(PullError::NoChanges);
        }
        let (labels, milestone, assignees) = if view.may_triage() {
            let assignees = self.check_assignees(view, &input.assignee_ids).await?;
            (input.label_ids, input.milestone_id, assignees)
        } else {
            (Vec::new(), None, Vec::new())
        };
        let merge_base = merge_base.map(|m| m.to_string()).unwrap_or_default();
        let head_hex = head_oid.to_string();
        let (issue, pull) = self
            .store
            .create_pull(NewPull {
                issue: NewIssue {
                    repo_id: view.repo.id,
                    author_id: author,
                    title: &title,
                    body: &body,
                    label_ids: &labels,
                    milestone_id: milestone,
                    assignee_ids: &assignees,
                },
                base_branch: &base_branch,
                head_repo_id,
                head_branch: &head_branch,
                head_oid: &head_hex,
                merge_base: &merge_base,
                is_draft: input.draft || is_draft_title(&title),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => PullError::Exists,
                StoreError::NotFound => PullError::Issue(IssueError::Unknown("label or milestone")),
                other => other.into(),
            })?;
        self.write_pull_head(&git, issue.number, head_oid).await?;
        self.record_references(view, &issue, None, &body).await?;
        if let Err(e) = self
            .request_code_owners(&view.repo, view.actor, &issue, &pull)
            .await
        {
            tracing::warn!(error = %e, "requesting reviews from code owners failed");
        }
        self.emit_issue(
            &view.repo,
            view.actor,
            issue.id,
            hook_events::ISSUES,
            "opened",
            None,
            None,
        )
        .await;
        Ok((issue, pull))
    }

    /// Points `refs/pull/N/head` at `head` (the forge's own ref: clients cannot push it).
    async fn write_pull_head(
        &self,
        git: &hatchery_git::Repository,
        number: i64,
        head: Oid,
    ) -> Result<(), PullError> {
        let g = git.clone();
        let name = pull_rules::head_ref(number);
        tokio::task::spawn_blocking(move || {
            let old = g.find_ref(&name)?;
            if old == Some(head) {
                return Ok(());
            }
            let update = RefUpdate {
                name,
                old,
                new: Some(head),
            };
            match g.update_refs(&[update], false).pop() {
                Some(Err(e)) => Err(hatchery_git::Error::InvalidInput(e.to_string())),
                _ => Ok(()),
            }
        })
        .await??;
        Ok(())
    }

    /// The repository and branch a request's `head` names (see [`Forge::open_pull`]).
    /// A repository outside the fork network, or one the actor may not read, is
    /// `NoBranch("head")`, like a missing branch.
    async fn pull_head(&self, view: &RepoView, head: &str) -> Result<(Repo, String), PullError> {
        let head = head.trim();
        let Some((owner_part, branch)) = head.split_once(':') else {
            return Ok((view.repo.clone(), head.to_owned()));
        };
        let branch = branch.trim().to_owned();
        let (owner, name) = match owner_part.split_once('/') {
            Some((o, n)) => (o.trim(), Some(n.trim())),
            None => (owner_part.trim(), None),
        };
        let base = &view.repo;
        if owner.eq_ignore_ascii_case(&base.owner_name)
            && name.is_none_or(|n| n.eq_ignore_ascii_case(&base.name))
        {
            return Ok((base.clone(), branch));
        }
        let candidate = match name {
            Some(name) => match self.store.repo_by_name(owner, name).await? {
                Some(r) if self.network_root(&r).await? == self.network_root(base).await? => {
                    Some(r)
                }
                _ => None,
            },
            None => {
                // Gitea's rule: the fork of the base that `owner` owns (the one named like
                // the base first, else the oldest), else the base's parent if `owner` owns it.
                let mut forks: Vec<Repo> = self
                    .store
                    .forks_of(base.id)
                    .await?
                    .into_iter()
                    .filter(|f| f.owner_name.eq_ignore_ascii_case(owner))
                    .collect();
                forks.sort_by_key(|f| !f.name.eq_ignore_ascii_case(&base.name));
                match forks.into_iter().next() {
                    Some(f) => Some(f),
                    None => match base.fork_id {
                        Some(parent) => self
                            .store
                            .repo_by_id(parent)
                            .await?
                            .filter(|p| p.owner_name.eq_ignore_ascii_case(owner)),
                        None => None,
                    },
                }
            }
        };
        let Some(candidate) = candidate else {
            return Err(PullError::NoBranch("head"));
        };
        match self.readable(view.actor, vec![candidate]).await?.pop() {
            Some(r) => Ok((r, branch)),
            None => Err(PullError::NoBranch("head")),
        }
    }

    /// The id of the repository at the top of `repo`'s chain of parents (bounded, so a
    /// cycle, which the schema cannot make, would not hang).
    async fn network_root(&self, repo: &Repo) -> Result<i64, PullError> {
        let mut id = repo.id;
        let mut parent = repo.fork_id;
        for _ in 0..64 {
            let Some(p) = parent else { break };
            match self.store.repo_by_id(p).await? {
                Some(r) => {
                    id = r.id;
                    parent = r.fork_id;
                }
                None => break,
            }
        }
        Ok(id)
    }

    /// Before `fork` is deleted: its open requests into other repositories are closed with
    /// a "head repository deleted" note; they stay readable, since `refs/pull/N/head` keeps
    /// their commits in the base. Returns the requests closed, as (base repository id,
    /// issue id), for [`Forge::announce_closed_pulls`] once the deletion is done.
    pub(crate) async fn pulls_from_deleted_head(
        &self,
        fork: &Repo,
    ) -> Result<Vec<(i64, i64)>, ServiceError> {
        Ok(self
            .store
            .open_pulls_from_repo(fork.id)
            .await?
            .into_iter()
            .map(|(issue, pull)| (pull.base_repo_id, issue.id))
            .collect())
    }

    /// Closes the requests [`Forge::pulls_from_deleted_head`] found, recording the note and
    /// sending `pull_request` `closed` to each base repository's hooks.
    pub(crate) async fn close_pulls_of_deleted_head(
        &self,
        actor: Option<i64>,
        pulls: Vec<(i64, i64)>,
    ) -> Result<(), ServiceError> {
        for (base_id, issue_id) in pulls {
            if !self.store.close_pull_head_deleted(issue_id, actor).await? {
                continue;
            }
            if let Some(base) = self.store.repo_by_id(base_id).await? {
                let sender = match actor {
                    Some(id) => Actor::User {
                        id,
                        site_admin: false,
                    },
                    None => Actor::Anonymous,
                };
                self.emit_issue(
                    &base,
                    sender,
                    issue_id,
                    hook_events::ISSUES,
                    "closed",
                    None,
                    None,
                )
                .await;
            }
        }
        Ok(())
    }

    /// Pull request `number` of the repository with its issue row; `NotFound` for a plain
    /// issue.
    pub async fn pull(
        &self,
        view: &RepoView,
        number: i64,
    ) -> Result<(Issue, PullRequest), PullError> {
        let issue = self
            .store
            .issue_by_number(view.repo.id, number)
            .await?
            .filter(|i| i.is_pull)
            .ok_or(PullError::NotFound)?;
        let pull = self
            .store
            .pull(issue.id)
            .await?
            .ok_or(PullError::NotFound)?;
        Ok((issue, pull))
    }

    /// Marks a request as a draft or ready: whoever may edit it.
    pub async fn set_pull_draft(
        &self,
        view: &RepoView,
        issue: &Issue,
        draft: bool,
    ) -> Result<bool, PullError> {
        check(authorize(
            view.actor,
            Action::Edit,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        Ok(self.store.set_pull_draft(issue.id, draft).await?)
    }

    /// The commits and changes of a request: against the current base tip while it is
    /// open, against the merge base recorded with its last head once merged or closed
    /// (the base may contain the head by then). `None` when the commits are gone.
    pub async fn pull_comparison(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
        options: DiffOptions,
    ) -> Result<Option<PullComparison>, PullError> {
        let git = self.open_git_blocking(&view.repo)?;
        let Some(head) = parse_oid(&pull.head_oid) else {
            return Ok(None);
        };
        let recorded = parse_oid(&pull.merge_base);
        let base = match (!issue.is_closed, recorded) {
            (false, Some(m)) => m,
            _ => {
                let base_ref = branch_ref(&pull.base_branch);
                let g = git.clone();
                let tip = tokio::task::spawn_blocking(move || g.find_ref(&base_ref)).await??;
                match tip.or(recorded) {
                    Some(b) => b,
                    None => return Ok(None),
                }
            }
        };
        let key = (view.repo.id, base, head, options);
        if let Some(comparison) = self.comparisons.get(&key) {
            return Ok(Some(PullComparison {
                base,
                head,
                comparison,
            }));
        }
        let options = key.3.clone();
        let found = tokio::task::spawn_blocking(move || {
            git.compare(base, head, PULL_COMMITS_MAX, &options)
        })
        .await??;
        Ok(found.map(|c| {
            let comparison = Arc::new(c);
            self.comparisons.insert(key, comparison.clone());
            PullComparison {
                base,
                head,
                comparison,
            }
        }))
    }

    /// The request's `.diff` (`patch` false: one diff from the base to the head) or
    /// `.patch` (every commit as `git format-patch` writes it, oldest first).
    pub async fn pull_patch(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
        patch: bool,
    ) -> Result<Option<Vec<u8>>, PullError> {
        let options = DiffOptions {
            max_files: 0,
            find_renames: false,
            ..DiffOptions::default()
        };
        let Some(cmp) = self.pull_comparison(view, issue, pull, options).await? else {
            return Ok(None);
        };
        let git = self.open_git_blocking(&view.repo)?;
        Ok(tokio::task::spawn_blocking(move || {
            let from = cmp.comparison.merge_base.unwrap_or(cmp.base);
            if !patch {
                return git.diff_range_bytes(from, cmp.head);
            }
            let mut out = Vec::new();
            for c in cmp.comparison.commits.iter().rev() {
                if let Some(bytes) = git.patch_bytes(c.id)? {
                    out.extend_from_slice(&bytes);
                }
            }
            Ok::<_, hatchery_git::Error>(Some(out))
        })
        .await??)
    }

    /// After a push to `repo`: every open request whose head is a pushed branch follows
    /// it — its head and `refs/pull/N/head` move, the timeline says "pushed N commits" or
    /// "force-pushed", and `pull_request` hooks hear `synchronized`. A deleted head branch
    /// leaves the requests as they were.
    pub async fn pulls_after_push(
        &self,
        repo: &Repo,
        pusher: Actor,
        updates: &[(String, Option<Oid>, Oid)],
    ) -> Result<(), PullError> {
        for (name, _, new) in updates {
            let Some(branch) = name.strip_prefix("refs/heads/") else {
                continue;
            };
            for (issue, pull) in self.store.open_pulls_with_head(repo.id, branch).await? {
                if pull.head_oid == new.to_string() {
                    continue;
                }
                let base_repo = if pull.base_repo_id == repo.id {
                    repo.clone()
                } else {
                    match self.store.repo_by_id(pull.base_repo_id).await? {
                        Some(r) => r,
                        None => continue,
                    }
                };
                Box::pin(self.follow_head(repo, &base_repo, pusher, &issue, &pull, *new)).await?;
            }
        }
        Ok(())
    }

    async fn follow_head(
        &self,
        head_repo: &Repo,
        base_repo: &Repo,
        pusher: Actor,
        issue: &Issue,
        pull: &PullRequest,
        new: Oid,
    ) -> Result<(), PullError> {
        let git = self.open_git(base_repo).await?;
        if head_repo.id != base_repo.id {
            // A fork's push: its commits travel into the base (through its receive
            // quarantine) before anything there points at them.
            let head_git = self.open_git(head_repo).await?;
            let g = git.clone();
            tokio::task::spawn_blocking(move || head_git.send_objects(&g, new)).await??;
        }
        let old = parse_oid(&pull.head_oid);
        let base_ref = branch_ref(&pull.base_branch);
        let g = git.clone();
        let (forced, commits, merge_base) = tokio::task::spawn_blocking(move || {
            let forced = match old {
                Some(o) => !g.is_ancestor(o, new)?,
                None => true,
            };
            let exclude: Vec<Oid> = old.into_iter().filter(|_| !forced).collect();
            let commits = if forced {
                0
            } else {
                g.new_commits(new, &exclude, PULL_COMMITS_MAX)?.len()
            };
            let merge_base = match g.find_ref(&base_ref)? {
                Some(b) => g.merge_base(b, new)?,
                None => None,
            };
            Ok::<_, hatchery_git::Error>((forced, commits, merge_base))
        })
        .await??;
        let new_hex = new.to_string();
        let moved = self
            .store
            .move_pull_head(HeadMove {
                issue_id: issue.id,
                old_oid: &pull.head_oid,
                new_oid: &new_hex,
                merge_base: &merge_base.map(|m| m.to_string()).unwrap_or_default(),
                forced,
                commits,
                actor_id: pusher.user_id(),
            })
            .await?;
        if !moved {
            // Another push moved it meanwhile and recorded its own movement.
            return Ok(());
        }
        self.write_pull_head(&git, issue.number, new).await?;
        if let Err(e) = self
            .reviews_after_head_move(base_repo, issue, pull, new, merge_base)
            .await
        {
            tracing::warn!(error = %e, "updating reviews after a push failed");
        }
        let moved_pull = PullRequest {
            head_oid: new_hex.clone(),
            ..pull.clone()
        };
        if let Err(e) = self
            .request_code_owners(base_repo, pusher, issue, &moved_pull)
            .await
        {
            tracing::warn!(error = %e, "requesting reviews from code owners failed");
        }
        self.emit_issue(
            base_repo,
            pusher,
            issue.id,
            hook_events::ISSUES,
            "synchronized",
            None,
            Some(&new_hex),
        )
        .await;
        Ok(())
    }

    /// Merges a request in `style`: writers only (branch protection may ask for more),
    /// open and ready requests only, styles the repository allows. `expected_head` is the
    /// head the caller saw; if the head moved since (or the base moves while merging),
    /// nothing is merged. On success the request is marked merged and closed, issues its
    /// body or commits close ("fixes #N") are closed, and the head branch is deleted when
    /// asked (unless it is the default branch).
    pub async fn merge_pull(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
        input: MergeInput,
    ) -> Result<Oid, PullError> {
        check(authorize(
            view.actor,
            Action::Merge,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let merger_id = view.user_id()?;
        if pull.merged.is_some() || issue.is_closed {
            return Err(PullError::NotMergeable("closed"));
        }
        if pull.is_draft {
            return Err(PullError::NotMergeable("draft"));
        }
        if !self
            .store
            .merge_settings(view.repo.id)
            .await?
            .allows(input.style)
        {
            return Err(PullError::NotMergeable("style"));
        }
        if input
            .expected_head
            .as_deref()
            .is_some_and(|h| !h.is_empty() && !pull.head_oid.starts_with(h))
        {
            return Err(PullError::HeadMoved);
        }
        let head = parse_oid(&pull.head_oid).ok_or(PullError::HeadMoved)?;
        let git = self.open_git_blocking(&view.repo)?;
        let (b, h) = (branch_ref(&pull.base_branch), branch_ref(&pull.head_branch));
        let g = git.clone();
        let same_repo = pull.head_repo_id == Some(view.repo.id);
        let (base, head_now) = tokio::task::spawn_blocking(move || {
            Ok::<_, hatchery_git::Error>((g.find_ref(&b)?, g.find_ref(&h)?))
        })
        .await??;
        let base = base.ok_or(PullError::NoBranch("base"))?;
        if same_repo && head_now != Some(head) {
            return Err(PullError::HeadMoved);
        }
        let (approvals, rejections) = self.review_facts(&view.repo, issue.id).await?;
        let unmet = self
            .merge_requirements(
                &view.repo,
                view.actor,
                MergeRequest {
                    base_branch: &pull.base_branch,
                    head,
                    approvals: &approvals,
                    rejections: &rejections,
                    creates_merge_commit: input.style == MergeStyle::Merge,
                },
            )
            .await?;
        if !unmet.is_empty() {
            return Err(PullError::Requirements(unmet));
        }
        let signature = self.signature_of(merger_id).await?;
        let head_label = self.pull_head_label(&view.repo, pull).await?;
        let message = input.message.clone().unwrap_or_else(|| match input.style {
            MergeStyle::Squash => format!("{} (#{})", issue.title, issue.number),
            _ => format!(
                "Merge pull request #{} from {}\n\n{}",
                issue.number, head_label, issue.title
            ),
        });
        let spec = MergeSpec {
            base_ref: branch_ref(&pull.base_branch),
            expected_base_oid: base,
            head_oid: head,
            style: git_style(input.style),
            message,
            author: signature.clone(),
            committer: signature,
        };
        let g = git.clone();
        let merged = tokio::task::spawn_blocking(move || g.merge(&spec))
            .await?
            .map_err(|e| match e {
                MergeError::TargetMoved { .. } => PullError::BaseMoved,
                MergeError::Conflicts { paths } => PullError::Conflicts(paths),
                MergeError::NotFastForward => PullError::NotMergeable("fast-forward"),
                MergeError::AlreadyMerged => PullError::NoChanges,
                MergeError::Unrelated => PullError::NotMergeable("unrelated"),
                MergeError::MissingCommit(_) => PullError::HeadMoved,
                MergeError::Git(e) => e.into(),
            })?;
        let new_base = merged.new_base;
        self.store
            .mark_pull_merged(issue.id, merger_id, &new_base.to_string(), input.style)
            .await?;
        // A merged request has nothing left to preview (GitHub removes the ref too).
        remove_merge_preview(&git, issue.number).await?;
        self.emit_issue(
            &view.repo,
            view.actor,
            issue.id,
            hook_events::ISSUES,
            "closed",
            None,
            Some(&new_base.to_string()),
        )
        .await;
        self.close_fixed_issues(view, issue, base, head, &new_base.to_string())
            .await?;
        if input.delete_branch && same_repo && pull.head_branch != view.repo.default_branch {
            let update = RefUpdate {
                name: branch_ref(&pull.head_branch),
                old: Some(head),
                new: None,
            };
            let g = git.clone();
            // A push to the head meanwhile keeps the branch: the delete is a compare-and-swap.
            tokio::task::spawn_blocking(move || g.update_refs(&[update], false)).await?;
        }
        Ok(new_base)
    }

    /// How a request's head branch is named in `base_repo`: `branch` when it is there,
    /// `owner:branch` for a fork's (as Gitea and GitHub name it), the branch alone when
    /// the fork is gone.
    pub async fn pull_head_label(
        &self,
        base_repo: &Repo,
        pull: &PullRequest,
    ) -> Result<String, StoreError> {
        Ok(match pull.head_repo_id {
            Some(id) if id != base_repo.id => match self.store.repo_by_id(id).await? {
                Some(r) => format!("{}:{}", r.owner_name, pull.head_branch),
                None => pull.head_branch.clone(),
            },
            _ => pull.head_branch.clone(),
        })
    }

    /// The signature of a user's commits written now (merges, updates).
    async fn signature_of(&self, user_id: i64) -> Result<Signature, PullError> {
        let user = self
            .store
            .user_by_id(user_id)
            .await?
            .ok_or(PullError::Issue(IssueError::NotFound))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Ok(Signature {
            name: if user.display_name.is_empty() {
                user.name.clone()
            } else {
                user.display_name.clone()
            },
            email: user.email,
            time: now,
            offset_seconds: 0,
        })
    }

    /// Whether the viewer may update the head branch of a request: it still exists and
    /// they may write to its repository (this one, or a fork). Returns that repository.
    pub async fn pull_head_writable(
        &self,
        view: &RepoView,
        pull: &PullRequest,
    ) -> Result<Option<Repo>, PullError> {
        let Some(head_id) = pull.head_repo_id else {
            return Ok(None);
        };
        let head_repo = if head_id == view.repo.id {
            view.repo.clone()
        } else {
            match self.store.repo_by_id(head_id).await? {
                Some(r) => r,
                None => return Ok(None),
            }
        };
        let facts = self.repo_facts(view.actor, &head_repo).await?;
        Ok(authorize(view.actor, Action::Write, Resource::Repo(facts))
            .is_allowed()
            .then_some(head_repo))
    }

    /// "Update branch": brings the base branch into the head branch of an open request —
    /// a merge commit (head, base), or with `rebase` head's commits replayed onto base —
    /// for people who may write to the head's repository (the base's, or a fork). The head
    /// branch's protection applies as to a push by the viewer. `expected_head` is the head
    /// the caller saw. Returns the new head, or `None` when it contained the base already.
    /// The requests from that branch then follow it as after a push.
    pub async fn update_pull_branch(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
        rebase: bool,
        expected_head: Option<&str>,
    ) -> Result<Option<Oid>, PullError> {
        let me = view.user_id()?;
        if pull.merged.is_some() || issue.is_closed {
            return Err(PullError::NotMergeable("closed"));
        }
        let Some(head_repo) = self.pull_head_writable(view, pull).await? else {
            return Err(match pull.head_repo_id {
                None => PullError::NoBranch("head"),
                Some(_) => PullError::Issue(IssueError::Denied(hatchery_core::Denial::Forbidden)),
            });
        };
        if expected_head.is_some_and(|h| !h.is_empty() && !pull.head_oid.starts_with(h)) {
            return Err(PullError::HeadMoved);
        }
        let head = parse_oid(&pull.head_oid).ok_or(PullError::HeadMoved)?;
        let base_git = self.open_git(&view.repo).await?;
        let head_git = if head_repo.id == view.repo.id {
            base_git.clone()
        } else {
            self.open_git(&head_repo).await?
        };
        let (b, h) = (branch_ref(&pull.base_branch), branch_ref(&pull.head_branch));
        let (bg, hg, h2) = (base_git.clone(), head_git.clone(), h.clone());
        let (base, head_now) = tokio::task::spawn_blocking(move || {
            let base = bg.find_ref(&b)?;
            if let Some(base) = base {
                // A fork needs the base's commits first (through its receive quarantine).
                bg.send_objects(&hg, base)?;
            }
            Ok::<_, hatchery_git::Error>((base, hg.find_ref(&h2)?))
        })
        .await??;
        let base = base.ok_or(PullError::NoBranch("base"))?;
        if head_now != Some(head) {
            return Err(PullError::HeadMoved);
        }
        let signature = self.signature_of(me).await?;
        let message = format!(
            "Merge branch '{}' into {}",
            pull.base_branch, pull.head_branch
        );
        let rules = self.push_rules(&head_repo, view.actor).await?;
        let hg = head_git.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let spec = hatchery_git::UpdateSpec {
                head,
                base,
                rebase,
                message: &message,
                author: &signature,
                committer: &signature,
            };
            let Some(tip) = hg.prepare_update(&spec)? else {
                return Ok(Ok(None));
            };
            let update = hatchery_protocol::ProposedUpdate {
                ref_name: &h,
                old: Some(head),
                new: Some(tip),
                kind: if hg.is_ancestor(head, tip)? {
                    hatchery_protocol::UpdateKind::FastForward
                } else {
                    hatchery_protocol::UpdateKind::NonFastForward
                },
                push_options: &[],
                objects: None,
            };
            if let Err(refusal) = rules
                .check(&hg, &update)
                .map_err(|e| MergeError::Git(hatchery_git::Error::InvalidInput(e.to_string())))?
            {
                return Ok(Err(refusal));
            }
            let moved = hg
                .update_refs(
                    &[RefUpdate {
                        name: h.clone(),
                        old: Some(head),
                        new: Some(tip),
                    }],
                    true,
                )
                .pop()
                .is_some_and(|r| r.is_ok());
            Ok::<_, MergeError>(Ok(Some(moved.then_some(tip).ok_or(()))))
        })
        .await?
        .map_err(|e| match e {
            MergeError::Conflicts { paths } => PullError::Conflicts(paths),
            MergeError::Unrelated => PullError::NotMergeable("unrelated"),
            MergeError::TargetMoved { .. } | MergeError::MissingCommit(_) => PullError::HeadMoved,
            MergeError::NotFastForward | MergeError::AlreadyMerged => PullError::NoChanges,
            MergeError::Git(e) => e.into(),
        })?;
        let tip = match outcome {
            Ok(None) => return Ok(None),
            Ok(Some(Ok(tip))) => tip,
            // A push moved the head meanwhile: nothing changed.
            Ok(Some(Err(()))) => return Err(PullError::HeadMoved),
            Err(refusal) => return Err(PullError::Protected(refusal)),
        };
        let updates = [(branch_ref(&pull.head_branch), Some(head), tip)];
        Box::pin(self.pulls_after_push(&head_repo, view.actor, &updates)).await?;
        Ok(Some(tip))
    }

    /// After a merge: "fixes #N" (and its kin) in the request's body or in its commits
    /// closes issue N if the merger may triage it.
    async fn close_fixed_issues(
        &self,
        view: &RepoView,
        issue: &Issue,
        base: Oid,
        head: Oid,
        merge_commit: &str,
    ) -> Result<(), PullError> {
        let git = self.open_git_blocking(&view.repo)?;
        let commits = tokio::task::spawn_blocking(move || {
            git.pull_commits(base, head, PULL_COMMITS_MAX)
                .map_err(|e| hatchery_git::Error::InvalidInput(e.to_string()))
        })
        .await??;
        let mut targets = closing_issues(&issue.body);
        for c in &commits {
            targets.extend(closing_issues(&c.message));
        }
        let mut done = std::collections::HashSet::new();
        for (repo, number) in targets {
            if !done.insert((repo.clone(), number)) {
                continue;
            }
            let Some((target_repo, target)) = self
                .referenced_issue(view.actor, &view.repo, repo.as_ref(), number)
                .await?
            else {
                continue;
            };
            if target.id == issue.id || target.is_closed {
                continue;
            }
            let target_view = self.repo_view_of(view.actor, target_repo).await?;
            if target_view.may_issue(Action::Triage, &target)
                && self
                    .store
                    .set_issue_state(
                        target.id,
                        view.actor.user_id(),
                        Some(rules::CloseReason::Completed),
                        Some((view.repo.id, merge_commit)),
                    )
                    .await?
            {
                if target.is_pull {
                    self.pull_state_changed(&target_view.repo, target.id).await;
                }
                self.emit_issue(
                    &target_view.repo,
                    view.actor,
                    target.id,
                    hook_events::ISSUES,
                    "closed",
                    None,
                    Some(merge_commit),
                )
                .await;
            }
        }
        Ok(())
    }
}

/// Whether a request's head merges into its base now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullMergeability {
    /// Merges without conflicts.
    Clean,
    /// The merge stops on these files.
    Conflicts(Vec<String>),
    /// The base contains every commit of the head already.
    NothingToMerge,
    /// Head and base share no history.
    Unrelated,
    /// The base branch or the head commit is gone.
    Missing,
}

/// What the merge box of an open request shows.
#[derive(Debug, Clone)]
pub struct MergeStatus {
    pub mergeability: PullMergeability,
    /// What branch protection still asks for before the default style may merge.
    pub unmet: Vec<Unmet>,
    pub settings: MergeSettings,
    /// Whether the actor may merge requests here at all (writers).
    pub may_merge: bool,
    /// The base has commits the head lacks.
    pub behind: bool,
    /// The actor may update the head branch from the base ("update branch").
    pub may_update: bool,
}

impl Forge {
    /// The merge box of an open request: mergeability of (base tip, head), cached per
    /// pair of commits; the branch-protection requirements not yet met; the repository's
    /// merge styles. `None` for a merged or closed request.
    pub async fn pull_merge_status(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
    ) -> Result<Option<MergeStatus>, PullError> {
        if issue.is_closed || pull.merged.is_some() {
            return Ok(None);
        }
        let settings = self.store.merge_settings(view.repo.id).await?;
        let may_merge = view.may_issue(Action::Merge, issue);
        let git = self.open_git_blocking(&view.repo)?;
        let base_ref = branch_ref(&pull.base_branch);
        let g = git.clone();
        let base = tokio::task::spawn_blocking(move || g.find_ref(&base_ref)).await??;
        let (Some(base), Some(head)) = (base, parse_oid(&pull.head_oid)) else {
            return Ok(Some(MergeStatus {
                mergeability: PullMergeability::Missing,
                unmet: Vec::new(),
                settings,
                may_merge,
                behind: false,
                may_update: false,
            }));
        };
        let g = git.clone();
        let behind = tokio::task::spawn_blocking(move || g.is_ancestor(base, head))
            .await?
            .map(|contained| !contained)
            .unwrap_or(false);
        let may_update = behind
            && view.actor.user_id().is_some()
            && self.pull_head_writable(view, pull).await?.is_some();
        let (base_hex, head_hex) = (base.to_string(), head.to_string());
        let cached = pull
            .check_for(&base_hex, &head_hex)
            .and_then(|c| match c.mergeable {
                Mergeable::Clean => Some(PullMergeability::Clean),
                Mergeable::Conflict => Some(PullMergeability::Conflicts(c.conflict_files.clone())),
                Mergeable::Error => None,
            });
        let mergeability = match cached {
            Some(m) => m,
            None => self.check_merge(&git, issue, base, head).await?,
        };
        let unmet = if may_merge {
            let (approvals, rejections) = self.review_facts(&view.repo, issue.id).await?;
            self.merge_requirements(
                &view.repo,
                view.actor,
                MergeRequest {
                    base_branch: &pull.base_branch,
                    head,
                    approvals: &approvals,
                    rejections: &rejections,
                    creates_merge_commit: settings.default_style == MergeStyle::Merge,
                },
            )
            .await?
        } else {
            Vec::new()
        };
        Ok(Some(MergeStatus {
            mergeability,
            unmet,
            settings,
            may_merge,
            behind,
            may_update,
        }))
    }
}

impl Forge {
    /// Whether `head` merges into `base` (the base branch's tip), computed now: the answer
    /// is recorded for the merge box (per pair of commits) and `refs/pull/N/merge` is
    /// pointed at the merge when it is clean, removed otherwise, so git clients and CI
    /// can fetch what merging would give.
    async fn check_merge(
        &self,
        git: &hatchery_git::Repository,
        issue: &Issue,
        base: Oid,
        head: Oid,
    ) -> Result<PullMergeability, PullError> {
        let g = git.clone();
        let preview = pull_rules::merge_ref(issue.number);
        let message = format!("Merge {head} into {base}");
        let outcome = tokio::task::spawn_blocking(move || {
            g.refresh_merge_preview(&preview, base, head, &message, &preview_signature())
        })
        .await?;
        let m = match outcome {
            Ok(hatchery_git::Mergeability::Clean { .. }) => PullMergeability::Clean,
            Ok(hatchery_git::Mergeability::Conflicted { paths }) => {
                PullMergeability::Conflicts(paths)
            }
            Ok(hatchery_git::Mergeability::AlreadyMerged) => PullMergeability::NothingToMerge,
            Ok(hatchery_git::Mergeability::Unrelated) => PullMergeability::Unrelated,
            Err(MergeError::MissingCommit(_)) => PullMergeability::Missing,
            Err(MergeError::Git(e)) => return Err(e.into()),
            Err(other) => {
                return Err(hatchery_git::Error::InvalidInput(other.to_string()).into());
            }
        };
        let record = match &m {
            PullMergeability::Clean => Some((Mergeable::Clean, Vec::new())),
            PullMergeability::Conflicts(files) => Some((Mergeable::Conflict, files.clone())),
            _ => None,
        };
        if let Some((mergeable, conflict_files)) = record {
            self.store
                .record_merge_check(
                    issue.id,
                    &MergeCheck {
                        base_oid: base.to_string(),
                        head_oid: head.to_string(),
                        mergeable,
                        conflict_files,
                    },
                )
                .await?;
        }
        Ok(m)
    }

    /// After a push to `repo`: checks again the open requests whose base or head is one of
    /// the pushed branches (`refs/heads/...`), so their merge box and `refs/pull/N/merge`
    /// are ready before anyone looks. Runs after the pusher's request; a request that
    /// cannot be checked is logged and skipped.
    pub async fn recheck_pulls_after_push(&self, repo: &Repo, pushed: &[String]) {
        for name in pushed {
            let Some(branch) = name.strip_prefix("refs/heads/") else {
                continue;
            };
            let mut pulls = match self.store.open_pulls_with_base(repo.id, branch).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, repo = %repo.name, "listing requests to re-check failed");
                    continue;
                }
            };
            match self.store.open_pulls_with_head(repo.id, branch).await {
                Ok(p) => pulls.extend(p),
                Err(e) => {
                    tracing::warn!(error = %e, repo = %repo.name, "listing requests to re-check failed");
                }
            }
            for (issue, pull) in pulls {
                if let Err(e) = self.recheck_pull(&issue, &pull).await {
                    tracing::warn!(error = %e, issue = issue.id, "re-checking a pull request's mergeability failed");
                }
            }
        }
    }

    async fn recheck_pull(&self, issue: &Issue, pull: &PullRequest) -> Result<(), PullError> {
        if pull.is_draft || pull.merged.is_some() {
            return Ok(());
        }
        let Some(base_repo) = self.store.repo_by_id(pull.base_repo_id).await? else {
            return Ok(());
        };
        let git = self.open_git(&base_repo).await?;
        let base_ref = branch_ref(&pull.base_branch);
        let g = git.clone();
        let base = tokio::task::spawn_blocking(move || g.find_ref(&base_ref)).await??;
        if let (Some(base), Some(head)) = (base, parse_oid(&pull.head_oid)) {
            self.check_merge(&git, issue, base, head).await?;
            // Merged or closed while this ran: the preview written may outlive the
            // removal, so it is removed again (after the state change, so one of the two
            // removals comes last).
            let open = self.store.issue_by_id(issue.id).await?;
            if open.is_none_or(|i| i.is_closed) {
                remove_merge_preview(&git, issue.number).await?;
            }
        }
        Ok(())
    }
}

impl Forge {
    /// After request `issue_id` of `repo` was closed or reopened (by hand, or by a
    /// `fixes #N` elsewhere): a closed one drops `refs/pull/N/merge` at once, since there
    /// is nothing to preview any more and CI must not build it; a reopened one is checked
    /// again, which writes the ref back when it merges cleanly. Failures are logged: the
    /// state change itself stands.
    pub(crate) async fn pull_state_changed(&self, repo: &Repo, issue_id: i64) {
        let outcome: Result<(), PullError> = async {
            let (Some(issue), Some(pull)) = (
                self.store.issue_by_id(issue_id).await?,
                self.store.pull(issue_id).await?,
            ) else {
                return Ok(());
            };
            if pull.merged.is_some() || issue.repo_id != repo.id {
                return Ok(());
            }
            if issue.is_closed {
                let git = self.open_git(repo).await?;
                remove_merge_preview(&git, issue.number).await
            } else {
                self.recheck_pull(&issue, &pull).await
            }
        }
        .await;
        if let Err(e) = outcome {
            tracing::warn!(error = %e, issue = issue_id, "updating refs/pull/N/merge after a state change failed");
        }
    }
}

/// Removes `refs/pull/N/merge` if it exists.
async fn remove_merge_preview(
    git: &hatchery_git::Repository,
    number: i64,
) -> Result<(), PullError> {
    let preview = pull_rules::merge_ref(number);
    let g = git.clone();
    tokio::task::spawn_blocking(move || {
        if let Some(old) = g.find_ref(&preview)? {
            let update = RefUpdate {
                name: preview,
                old: Some(old),
                new: None,
            };
            g.update_refs(&[update], false);
        }
        Ok::<_, hatchery_git::Error>(())
    })
    .await??;
    Ok(())
}

/// The author and committer of the forge's own merge previews (`refs/pull/N/merge`).
fn preview_signature() -> Signature {
    Signature {
        name: "Hatchery".into(),
        email: "noreply@hatchery.invalid".into(),
        time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
        offset_seconds: 0,
    }
}

/// What the person merging chose.
#[derive(Debug, Clone)]
pub struct MergeInput {
    pub style: MergeStyle,
    /// The head commit the caller saw (full or a prefix of it); `None` skips the check.
    pub expected_head: Option<String>,
    /// The merge or squash commit's message; a default names the request.
    pub message: Option<String>,
    pub delete_branch: bool,
}

fn git_style(style: MergeStyle) -> hatchery_git::MergeStyle {
    match style {
        MergeStyle::Merge => hatchery_git::MergeStyle::Merge,
        MergeStyle::Squash => hatchery_git::MergeStyle::Squash,
        MergeStyle::Rebase => hatchery_git::MergeStyle::Rebase,
        MergeStyle::FastForwardOnly => hatchery_git::MergeStyle::FastForwardOnly,
    }
}
