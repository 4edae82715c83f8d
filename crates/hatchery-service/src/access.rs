//! Gathering what the permission policy needs about an actor and a repository, and the
//! one lookup every surface uses to find a repository it may act on.

use crate::{Forge, ServiceError};
use hatchery_core::{Action, Actor, Decision, Denial, RepoFacts, Resource, authorize};
use hatchery_store::{Repo, RepoAccess};

/// The outcome of looking a repository up for an action.
#[derive(Debug)]
pub enum RepoLookup {
    Found {
        repo: Repo,
        facts: RepoFacts,
    },
    /// Missing, or private and not readable by the actor: the two must look the same.
    Hidden,
    /// Readable, but the action is refused.
    Denied {
        repo: Repo,
        denial: Denial,
    },
}

impl Forge {
    pub async fn repo_facts(&self, actor: Actor, repo: &Repo) -> Result<RepoFacts, ServiceError> {
        let access = match actor.user_id() {
            Some(uid) if repo.owner_id != uid => self.store.repo_access(repo.id, uid).await?,
            _ => RepoAccess::default(),
        };
        Ok(repo.facts(actor.user_id(), access))
    }

    /// Finds `owner/name` and decides whether `actor` may do `action` to it.
    pub async fn find_repo(
        &self,
        actor: Actor,
        owner: &str,
        name: &str,
        action: Action,
    ) -> Result<RepoLookup, ServiceError> {
        let Some(repo) = self.store.repo_by_name(owner, name).await? else {
            return Ok(RepoLookup::Hidden);
        };
        let facts = self.repo_facts(actor, &repo).await?;
        if !authorize(actor, Action::Read, Resource::Repo(facts)).is_allowed() {
            return Ok(RepoLookup::Hidden);
        }
        Ok(match authorize(actor, action, Resource::Repo(facts)) {
            Decision::Allow => RepoLookup::Found { repo, facts },
            Decision::Deny(denial) => RepoLookup::Denied { repo, denial },
        })
    }

    /// The repositories of an owner that `actor` may read, without a query per repository.
    pub async fn visible_repos(
        &self,
        actor: Actor,
        owner_id: i64,
    ) -> Result<Vec<Repo>, ServiceError> {
        let repos = self.store.repos_of_owner(owner_id).await?;
        self.readable(actor, repos).await
    }

    /// Keeps the repositories `actor` may read, without a query per repository.
    pub async fn readable(
        &self,
        actor: Actor,
        repos: Vec<Repo>,
    ) -> Result<Vec<Repo>, ServiceError> {
        let access = match actor.user_id() {
            Some(uid) if repos.iter().any(|r| r.is_private) => {
                let ids: Vec<i64> = repos.iter().map(|r| r.id).collect();
                self.store.repo_access_many(&ids, uid).await?
            }
            _ => Default::default(),
        };
        Ok(repos
            .into_iter()
            .filter(|r| {
                let a = access.get(&r.id).copied().unwrap_or_default();
                authorize(
                    actor,
                    Action::Read,
                    Resource::Repo(r.facts(actor.user_id(), a)),
                )
                .is_allowed()
            })
            .collect())
    }
}
