//! Forking: a new repository row recording its parent, and a bare repository on disk that
//! shares the parent's objects by hard links (`hatchery_git::Repository::fork_to`), kept
//! in step like any repository creation.

use crate::{Forge, ServiceError};
use hatchery_core::{Action, Actor, Decision, Denial, Name, Resource, authorize};
use hatchery_store::{NewRepo, Repo, StoreError};

/// Where a fork goes: an account the actor may create repositories in.
#[derive(Debug, Clone, Copy)]
pub struct ForkOwner<'a> {
    pub id: i64,
    pub name: &'a str,
    /// The owner as the policy sees it (`Resource::User` or `Resource::Org`), for
    /// `CreateRepo`.
    pub resource: Resource,
}

#[derive(Debug, thiserror::Error)]
pub enum ForkError {
    /// The parent is missing or not readable by the actor: answer as for a missing one.
    #[error("no such repository")]
    Hidden,
    /// Forking the parent, or creating in the owner, is refused.
    #[error("refused: {0:?}")]
    Denied(Denial),
    #[error("a repository with this name already exists")]
    NameTaken,
    /// The owner or the parent was deleted meanwhile.
    #[error("the owner or the repository does not exist")]
    Gone,
    #[error(transparent)]
    Other(#[from] ServiceError),
}

/// What [`Forge::header_counts`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderCounts {
    pub open_issues: i64,
    pub open_pulls: i64,
    pub releases: i64,
    /// Forks the viewer may read.
    pub forks: i64,
    /// Whether the repository came from an import (whose notice may still show).
    pub imported: bool,
}

impl Forge {
    /// Fork `parent` into `owner` as `name`. The fork keeps the parent's visibility (a
    /// private parent gives a private fork, readable only by those the fork's owner lets
    /// in), description and default branch, and all its branches and tags.
    pub async fn fork(
        &self,
        actor: Actor,
        parent: &Repo,
        owner: ForkOwner<'_>,
        name: &Name,
    ) -> Result<Repo, ForkError> {
        self.fork_with_description(actor, parent, owner, name, &parent.description)
            .await
    }

    /// [`Forge::fork`] with the fork's own description (checked by the caller).
    pub async fn fork_with_description(
        &self,
        actor: Actor,
        parent: &Repo,
        owner: ForkOwner<'_>,
        name: &Name,
        description: &str,
    ) -> Result<Repo, ForkError> {
        let facts = self.repo_facts(actor, parent).await?;
        if !authorize(actor, Action::Read, Resource::Repo(facts)).is_allowed() {
            return Err(ForkError::Hidden);
        }
        for (action, resource) in [
            (Action::Fork, Resource::Repo(facts)),
            (Action::CreateRepo, owner.resource),
        ] {
            if let Decision::Deny(denial) = authorize(actor, action, resource) {
                return Err(ForkError::Denied(denial));
            }
        }
        let fork = match self
            .store
            .create_fork(
                NewRepo {
                    owner_id: owner.id,
                    name,
                    description,
                    is_private: parent.is_private,
                    default_branch: &parent.default_branch,
                },
                parent.id,
            )
            .await
        {
            Ok(repo) => repo,
            Err(StoreError::Conflict(_)) => return Err(ForkError::NameTaken),
            Err(StoreError::NotFound) => return Err(ForkError::Gone),
            Err(e) => return Err(ServiceError::from(e).into()),
        };
        let source = self.repos.path_of(&parent.owner_name, &parent.name);
        let dest = self.repos.path_of(owner.name, name.as_str());
        let made = tokio::task::spawn_blocking(move || -> Result<(), ServiceError> {
            if dest.exists() {
                // A leftover of a repository whose row is gone, as in `create_repo`.
                tracing::warn!(path = %dest.display(), "replacing a leftover repository directory");
                std::fs::remove_dir_all(&dest)?;
            }
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let parent = hatchery_git::Repository::open(&source)?;
            let (_, stats) = parent.fork_to(&dest)?;
            tracing::debug!(?stats, "forked");
            Ok(())
        })
        .await
        .map_err(ServiceError::from)
        .and_then(|r| r);
        if let Err(e) = made {
            tracing::error!(error = %e, repo = %fork.name, "creating the fork on disk failed");
            if let Err(cleanup) = self.store.delete_repo(fork.id).await {
                tracing::error!(error = %cleanup, "removing the row of a fork that could not be made failed");
            }
            return Err(e.into());
        }
        if parent.pushed_at.is_some() {
            self.store
                .touch_repo_pushed(fork.id, hatchery_store::now_ms())
                .await
                .map_err(ServiceError::from)?;
        }
        self.emit_repository(&fork, actor.user_id(), "created")
            .await;
        self.emit_fork(parent, &fork, actor).await;
        let fresh = self
            .store
            .repo_by_id(fork.id)
            .await
            .map_err(ServiceError::from)?;
        Ok(fresh.unwrap_or(fork))
    }

    /// The forks of `parent` that `actor` may read, oldest first.
    pub async fn visible_forks(
        &self,
        actor: Actor,
        parent: &Repo,
    ) -> Result<Vec<Repo>, ServiceError> {
        let forks = self.store.forks_of(parent.id).await?;
        self.readable(actor, forks).await
    }

    /// What the header of `repo`'s pages counts for `actor`: its open issues and pull
    /// requests, published releases and the forks the actor may read. Public forks are
    /// readable by anyone, so only a signed-in viewer of a repository with private forks
    /// costs more than one query.
    pub async fn header_counts(
        &self,
        actor: Actor,
        repo: &Repo,
    ) -> Result<HeaderCounts, ServiceError> {
        let c = self.store.repo_counts(repo.id).await?;
        let forks = if c.private_forks > 0 && actor.user_id().is_some() {
            i64::try_from(self.visible_forks(actor, repo).await?.len()).unwrap_or(i64::MAX)
        } else {
            c.public_forks
        };
        Ok(HeaderCounts {
            open_issues: c.open_issues,
            open_pulls: c.open_pulls,
            releases: c.releases,
            forks,
            imported: c.imports > 0,
        })
    }

    /// The repository `repo` was forked from, if it still exists and `actor` may read it.
    pub async fn visible_parent(
        &self,
        actor: Actor,
        repo: &Repo,
    ) -> Result<Option<Repo>, ServiceError> {
        let Some(parent_id) = repo.fork_id else {
            return Ok(None);
        };
        let Some(parent) = self.store.repo_by_id(parent_id).await? else {
            return Ok(None);
        };
        Ok(self.readable(actor, vec![parent]).await?.pop())
    }
}

/// At most this many other repositories of a fork network offer their branches as heads.
const HEAD_REPOS_MAX: usize = 20;

impl Forge {
    /// The heads `actor` may propose into `base`, as the pull-request form's choices, each
    /// spelled as [`Forge::open_pull`] accepts it: the base's own branches (`branch`),
    /// then those of the base's readable forks and of its readable parent
    /// (`owner:branch`, or `owner/name:branch` for a second fork of the same owner).
    /// Repositories the actor cannot read are never named.
    pub async fn pull_head_choices(
        &self,
        actor: Actor,
        base: &Repo,
    ) -> Result<Vec<String>, ServiceError> {
        let mut network = Vec::new();
        if let Some(parent) = self.visible_parent(actor, base).await? {
            network.push(parent);
        }
        network.extend(self.visible_forks(actor, base).await?);
        network.truncate(HEAD_REPOS_MAX);
        let mut repos = vec![(String::new(), self.open_git(base).await?)];
        let mut owners_seen = std::collections::HashSet::new();
        for repo in &network {
            let prefix = if owners_seen.insert(repo.owner_name.to_ascii_lowercase()) {
                format!("{}:", repo.owner_name)
            } else {
                format!("{}/{}:", repo.owner_name, repo.name)
            };
            repos.push((prefix, self.open_git(repo).await?));
        }
        Ok(tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for (prefix, git) in repos {
                for b in git.branches()? {
                    out.push(format!("{prefix}{}", b.name));
                }
            }
            Ok::<_, hatchery_git::Error>(out)
        })
        .await??)
    }
}
