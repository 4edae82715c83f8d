//! Protected branches: saving rules (names of allowlisted users and teams resolved and
//! checked), the push check every transport runs below its protocol ([`PushRules`]), and
//! what a merge into a protected branch still needs ([`Forge::merge_requirements`]).

use hatchery_core::protection::{
    ActorFacts, BranchRule, CommitFacts, MergeFacts, PushFacts, RefChange, Refusal, ReviewFact,
    RuleError, StatusFact, Unmet, check_merge, check_push, rule_for, validate_rule,
};
use hatchery_core::{Action, Actor, Resource, authorize};
use hatchery_git::{Oid, PushedCommit, Repository};
use hatchery_protocol::{ProposedUpdate, UpdateKind};
use hatchery_store::{ProtectionRule, Repo, StoreError};

use crate::{Forge, ServiceError};

/// Commits read to check one pushed ref; a push bringing more is checked on its newest.
const PUSH_CHECK_MAX: usize = 50_000;

/// A rule as a form or the API gives it: the flags and contexts in `rule`, the allowlists
/// as names (the ids in `rule`'s allowlists are ignored).
#[derive(Debug, Clone)]
pub struct RuleInput {
    pub rule: BranchRule,
    pub push_users: Vec<String>,
    pub push_teams: Vec<String>,
    pub force_push_users: Vec<String>,
    pub force_push_teams: Vec<String>,
    pub merge_users: Vec<String>,
    pub merge_teams: Vec<String>,
}

impl RuleInput {
    /// The input that saves `stored` unchanged.
    pub fn of(stored: &ProtectionRule) -> RuleInput {
        let n = &stored.names;
        RuleInput {
            rule: stored.rule.clone(),
            push_users: n.push_users.clone(),
            push_teams: n.push_teams.clone(),
            force_push_users: n.force_push_users.clone(),
            force_push_teams: n.force_push_teams.clone(),
            merge_users: n.merge_users.clone(),
            merge_teams: n.merge_teams.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuleSaveError {
    #[error("{0}")]
    Invalid(RuleError),
    #[error("no user named {0}")]
    UnknownUser(String),
    /// Not a team of the organization that owns the repository.
    #[error("no team named {0}")]
    UnknownTeam(String),
    /// Another rule of the repository has this name.
    #[error("a rule with this name exists")]
    NameTaken,
    /// The rule being edited is gone.
    #[error("no such rule")]
    NotFound,
    #[error(transparent)]
    Other(#[from] ServiceError),
}

impl From<StoreError> for RuleSaveError {
    fn from(e: StoreError) -> RuleSaveError {
        match e {
            StoreError::Conflict(_) => RuleSaveError::NameTaken,
            StoreError::NotFound => RuleSaveError::NotFound,
            e => RuleSaveError::Other(e.into()),
        }
    }
}

/// A push refused by a rule, for the pusher: the rule's name and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRefusal {
    pub rule_name: String,
    pub refusal: Refusal,
}

/// The protection rules of a repository and the facts about one pusher, gathered before a
/// push is received; [`PushRules::check`] then decides each ref update (blocking).
#[derive(Debug, Clone)]
pub struct PushRules {
    rules: Vec<BranchRule>,
    actor: ActorFacts,
}

impl PushRules {
    /// Whether `update` may happen. Only branches are protected. Errors are failures to
    /// read the pushed commits.
    pub fn check(
        &self,
        git: &Repository,
        update: &ProposedUpdate<'_>,
    ) -> Result<Result<(), PushRefusal>, ServiceError> {
        let Some(branch) = update.ref_name.strip_prefix("refs/heads/") else {
            return Ok(Ok(()));
        };
        let Some(rule) = rule_for(&self.rules, branch) else {
            return Ok(Ok(()));
        };
        let change = match update.kind {
            UpdateKind::Create => RefChange::Create,
            UpdateKind::Delete => RefChange::Delete,
            UpdateKind::FastForward => RefChange::FastForward,
            UpdateKind::NonFastForward => RefChange::Rewrite,
        };
        let commits = match update.new {
            Some(new) if rule.needs_commits() => pushed_commits(git, update, new)?,
            _ => Vec::new(),
        };
        let facts = PushFacts {
            actor: &self.actor,
            change,
            commits: &commits,
        };
        Ok(check_push(rule, &facts).map_err(|refusal| PushRefusal {
            rule_name: rule.rule_name.clone(),
            refusal,
        }))
    }
}

/// The commits `update` brings to its branch: those after the old value; for a new branch,
/// those on no existing branch.
fn pushed_commits(
    git: &Repository,
    update: &ProposedUpdate<'_>,
    new: Oid,
) -> Result<Vec<CommitFacts>, ServiceError> {
    let exclude: Vec<Oid> = match update.old {
        Some(old) => vec![old],
        None => git
            .refs()?
            .into_iter()
            .filter(|r| r.name.starts_with("refs/heads/"))
            .map(|r| r.target)
            .collect(),
    };
    let commits = match update.objects {
        Some(q) => q.new_commits(new, &exclude, PUSH_CHECK_MAX)?,
        None => git.new_commits(new, &exclude, PUSH_CHECK_MAX)?,
    };
    Ok(commits.iter().map(commit_facts).collect())
}

fn commit_facts(c: &PushedCommit) -> CommitFacts {
    CommitFacts {
        id: c.id.to_string(),
        message: c.message.clone(),
        author_name: c
            .author
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        author_email: c
            .author
            .as_ref()
            .map(|p| p.email.clone())
            .unwrap_or_default(),
        parent_count: c.parents.len(),
    }
}

/// What a merge into a protected branch is about; reviews come from the review model.
#[derive(Debug, Clone, Copy)]
pub struct MergeRequest<'a> {
    /// The branch merged into (short name).
    pub base_branch: &'a str,
    /// The pull request's head commit; it must be in `repo`'s objects (a fork's head is
    /// fetched into the base repository first).
    pub head: Oid,
    /// Each reviewer's latest review, when it approves.
    pub approvals: &'a [ReviewFact],
    /// Each reviewer's latest review, when it requests changes.
    pub rejections: &'a [ReviewFact],
    /// The merge style writes a merge commit.
    pub creates_merge_commit: bool,
}

impl Forge {
    /// Who `actor` is to the rules of `repo`.
    pub async fn actor_facts(&self, repo: &Repo, actor: Actor) -> Result<ActorFacts, ServiceError> {
        let facts = self.repo_facts(actor, repo).await?;
        let team_ids = match actor.user_id() {
            Some(uid) if repo.owner_is_org => self.store.user_team_ids(repo.owner_id, uid).await?,
            _ => Vec::new(),
        };
        Ok(ActorFacts {
            user_id: actor.user_id(),
            team_ids,
            can_write: authorize(actor, Action::Write, Resource::Repo(facts)).is_allowed(),
            is_admin: authorize(actor, Action::Administer, Resource::Repo(facts)).is_allowed(),
        })
    }

    /// The rules a push by `actor` to `repo` is checked against.
    pub async fn push_rules(&self, repo: &Repo, actor: Actor) -> Result<PushRules, ServiceError> {
        let rules = self
            .store
            .protection_rules(repo.id)
            .await?
            .into_iter()
            .map(|r| r.rule)
            .collect::<Vec<_>>();
        let actor = if rules.is_empty() {
            ActorFacts::default()
        } else {
            self.actor_facts(repo, actor).await?
        };
        Ok(PushRules { rules, actor })
    }

    /// The rule that governs `branch` of `repo`, if any.
    pub async fn protection_for_branch(
        &self,
        repo: &Repo,
        branch: &str,
    ) -> Result<Option<ProtectionRule>, ServiceError> {
        let rules = self.store.protection_rules(repo.id).await?;
        let name = rule_for(
            &rules.iter().map(|r| r.rule.clone()).collect::<Vec<_>>(),
            branch,
        )
        .map(|r| r.rule_name.clone());
        Ok(name.and_then(|n| rules.into_iter().find(|r| r.rule.rule_name == n)))
    }

    /// What merging `req.head` into `req.base_branch` of `repo` by `actor` still needs
    /// under the branch's protection rule: empty when nothing (or no rule) stands in the
    /// way. Statuses are the head commit's; commits are those the merge brings.
    pub async fn merge_requirements(
        &self,
        repo: &Repo,
        actor: Actor,
        req: MergeRequest<'_>,
    ) -> Result<Vec<Unmet>, ServiceError> {
        let Some(stored) = self.protection_for_branch(repo, req.base_branch).await? else {
            return Ok(Vec::new());
        };
        let rule = stored.rule;
        let actor = self.actor_facts(repo, actor).await?;
        let head = req.head.to_string();
        let statuses: Vec<StatusFact> = self
            .combined_status(repo, &head)
            .await?
            .statuses
            .into_iter()
            .map(|s| StatusFact {
                context: s.context,
                state: s.state,
            })
            .collect();
        let commits = if rule.needs_commits() {
            let git = self.open_git_blocking(repo)?;
            let base_ref = format!("refs/heads/{}", req.base_branch);
            let tip = req.head;
            tokio::task::spawn_blocking(move || -> Result<Vec<CommitFacts>, ServiceError> {
                let exclude: Vec<Oid> = git.find_ref(&base_ref)?.into_iter().collect();
                Ok(git
                    .new_commits(tip, &exclude, PUSH_CHECK_MAX)?
                    .iter()
                    .map(commit_facts)
                    .collect())
            })
            .await??
        } else {
            Vec::new()
        };
        let facts = MergeFacts {
            actor: &actor,
            head_id: &head,
            approvals: req.approvals,
            rejections: req.rejections,
            statuses: &statuses,
            commits: &commits,
            creates_merge_commit: req.creates_merge_commit,
        };
        Ok(check_merge(&rule, &facts))
    }

    /// Creates a rule (`editing` is `None`) or replaces the rule named `editing`, after
    /// validating it and resolving its allowlists' names.
    pub async fn save_protection_rule(
        &self,
        repo: &Repo,
        editing: Option<&str>,
        input: RuleInput,
    ) -> Result<ProtectionRule, RuleSaveError> {
        let mut rule = input.rule.clone();
        rule.push_allowlist.user_ids = self.user_ids(&input.push_users).await?;
        rule.push_allowlist.team_ids = self.team_ids(repo, &input.push_teams).await?;
        rule.force_push_allowlist.user_ids = self.user_ids(&input.force_push_users).await?;
        rule.force_push_allowlist.team_ids = self.team_ids(repo, &input.force_push_teams).await?;
        rule.merge_allowlist.user_ids = self.user_ids(&input.merge_users).await?;
        rule.merge_allowlist.team_ids = self.team_ids(repo, &input.merge_teams).await?;
        let rule = validate_rule(rule).map_err(RuleSaveError::Invalid)?;
        Ok(match editing {
            None => self.store.create_protection_rule(repo.id, &rule).await?,
            Some(name) => {
                let existing = self
                    .store
                    .protection_rule(repo.id, name)
                    .await?
                    .ok_or(RuleSaveError::NotFound)?;
                self.store
                    .update_protection_rule(repo.id, existing.id, &rule)
                    .await?
            }
        })
    }

    async fn user_ids(&self, names: &[String]) -> Result<Vec<i64>, RuleSaveError> {
        let mut ids = Vec::new();
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            match self.store.user_by_name(name).await? {
                Some(u) => ids.push(u.id),
                None => return Err(RuleSaveError::UnknownUser(name.to_owned())),
            }
        }
        Ok(ids)
    }

    async fn team_ids(&self, repo: &Repo, names: &[String]) -> Result<Vec<i64>, RuleSaveError> {
        let mut ids = Vec::new();
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            let team = if repo.owner_is_org {
                self.store.team_by_name(repo.owner_id, name).await?
            } else {
                None
            };
            match team {
                Some(t) => ids.push(t.id),
                None => return Err(RuleSaveError::UnknownTeam(name.to_owned())),
            }
        }
        Ok(ids)
    }
}
