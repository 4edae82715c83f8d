//! Serving git, whatever the transport: who may fetch from or push to which repository,
//! the forge's say over each ref a push moves (read-only repositories, reserved refs,
//! protected branches), and the work after an accepted push (push time and default branch,
//! pull requests following their branches, issue references and closing keywords,
//! webhooks, incubator checklists, pack upkeep). Smart HTTP (`hatchery-web`'s `git_http`)
//! and SSH (`hatchery-ssh`) only authenticate, carry bytes and word the refusals.

use hatchery_core::{Action, Actor, Denial};
use hatchery_protocol::{
    ProposedUpdate, ReceiveHook, ReceivePackOptions, ReceivePackOutcome, Service,
};
use hatchery_store::{Repo, now_ms};
use std::io::{Read, Write};

use crate::access::RepoLookup;
use crate::protection::{PushRefusal, PushRules};
use crate::{Forge, ServiceError, tokens};

/// Who asks, as the transport authenticated them.
#[derive(Debug, Clone, Copy)]
pub enum GitCaller<'a> {
    /// A person (or nobody): through the policy, and a token's scopes when one was used.
    Person {
        actor: Actor,
        token_scopes: Option<&'a [String]>,
    },
    /// A deploy key: `(repo_id, read_only, key_id)` of each repository it was added to.
    DeployKey { repos: &'a [(i64, bool, i64)] },
}

/// Why a git request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRefusal {
    /// Missing, or private and unreadable: the two must look the same.
    Hidden,
    /// Anonymous, and the repository needs a signed-in user.
    SignInRequired,
    /// May read, may not push.
    NoWrite,
    /// The access token lacks this scope.
    TokenScope(&'static str),
    /// A read-only deploy key asked to push.
    DeployKeyReadOnly,
}

/// A repository a git request may go ahead on.
#[derive(Debug, Clone)]
pub struct GitTarget {
    pub repo: Repo,
    /// Pushes are refused ref by ref (the repository is read-only).
    pub read_only: bool,
    /// The upstream of a pull mirror (read-only too): the refusal names it.
    pub mirror_of: Option<String>,
    /// Whom pushed changes are attributed to (a deploy key: nobody).
    pub actor: Actor,
}

/// How a transport carries a git service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// One request after the advertisement was fetched apart (smart HTTP).
    Request,
    /// The advertisement, then the whole exchange, on one stream (SSH).
    Session,
}

/// The words of the refusals a push hook gives, in the pusher's language.
pub trait PushMessages: Send + Sync {
    fn read_only(&self) -> String;
    /// A pull mirror refuses pushes: they belong upstream.
    fn mirror(&self, upstream: &str) -> String;
    fn reserved_ref(&self) -> String;
    fn protected(&self, refused: &PushRefusal) -> String;
    fn internal(&self) -> String;
}

impl Forge {
    /// Resolves `owner/name` for `service` and `caller`: the repository, or why not.
    pub async fn git_target(
        &self,
        caller: GitCaller<'_>,
        owner: &str,
        name: &str,
        service: Service,
    ) -> Result<Result<GitTarget, GitRefusal>, ServiceError> {
        let name = name.strip_suffix(".git").unwrap_or(name);
        match caller {
            GitCaller::DeployKey { repos } => {
                let Some(repo) = self.store.repo_by_name(owner, name).await? else {
                    return Ok(Err(GitRefusal::Hidden));
                };
                let Some(&(_, key_read_only, _)) = repos.iter().find(|(id, _, _)| *id == repo.id)
                else {
                    return Ok(Err(GitRefusal::Hidden));
                };
                if service == Service::ReceivePack && key_read_only {
                    return Ok(Err(GitRefusal::DeployKeyReadOnly));
                }
                let mirror_of = self.mirror_of(&repo, service).await?;
                Ok(Ok(GitTarget {
                    read_only: repo.read_only,
                    mirror_of,
                    repo,
                    actor: Actor::Anonymous,
                }))
            }
            GitCaller::Person {
                actor,
                token_scopes,
            } => {
                let (action, scope) = match service {
                    Service::UploadPack => (Action::Read, "read:repository"),
                    Service::ReceivePack => (Action::Write, "write:repository"),
                };
                let (repo, read_only) = match self.find_repo(actor, owner, name, action).await? {
                    RepoLookup::Hidden => return Ok(Err(GitRefusal::Hidden)),
                    RepoLookup::Found { repo, .. } => (repo, false),
                    RepoLookup::Denied {
                        repo,
                        denial: Denial::ReadOnly,
                    } => (repo, true),
                    RepoLookup::Denied {
                        denial: Denial::SignInRequired,
                        ..
                    } => return Ok(Err(GitRefusal::SignInRequired)),
                    RepoLookup::Denied { .. } => return Ok(Err(GitRefusal::NoWrite)),
                };
                // A token reads only what its scopes say, even where its owner could do more.
                if let Some(scopes) = token_scopes
                    && !tokens::allows(scopes, scope)
                {
                    return Ok(Err(GitRefusal::TokenScope(scope)));
                }
                let mirror_of = match read_only {
                    true => self.mirror_of(&repo, service).await?,
                    false => None,
                };
                Ok(Ok(GitTarget {
                    repo,
                    read_only,
                    mirror_of,
                    actor,
                }))
            }
        }
    }

    /// The upstream of a pull mirror a push goes to.
    async fn mirror_of(
        &self,
        repo: &Repo,
        service: Service,
    ) -> Result<Option<String>, ServiceError> {
        if service != Service::ReceivePack || !repo.read_only {
            return Ok(None);
        }
        Ok(self.store.pull_mirror(repo.id).await?.map(|m| m.remote_url))
    }

    /// Runs receive-pack on `target` (blocking: call from a blocking thread), with the
    /// forge's hook, then the work after an accepted push, before returning so the pusher
    /// sees its effects at once. `rules` come from [`Forge::push_rules`] for the target's
    /// actor, gathered on the async side. `exchange` says whether the ref advertisement
    /// comes first on the same stream (SSH) or was a request of its own (smart HTTP).
    #[allow(clippy::too_many_arguments)]
    pub fn receive_pack_blocking<H>(
        holder: &H,
        handle: &tokio::runtime::Handle,
        target: &GitTarget,
        rules: PushRules,
        messages: &dyn PushMessages,
        exchange: Exchange,
        input: &mut dyn Read,
        out: &mut dyn Write,
        options: &ReceivePackOptions,
    ) -> Result<ReceivePackOutcome, hatchery_protocol::ProtocolError>
    where
        H: AsRef<Forge> + Clone + Send + Sync + 'static,
    {
        let forge = holder.as_ref();
        let git = forge.open_git_blocking(&target.repo).map_err(|e| {
            hatchery_protocol::ProtocolError::Io(std::io::Error::other(e.to_string()))
        })?;
        let mut hook = Hook {
            read_only: target.read_only,
            mirror_of: target.mirror_of.clone(),
            rules,
            git: git.clone(),
            messages,
        };
        let outcome = match exchange {
            Exchange::Request => {
                hatchery_protocol::receive_pack(&git, input, out, &mut hook, options)?
            }
            Exchange::Session => {
                hatchery_protocol::receive_pack_session(&git, input, out, &mut hook, options)?
            }
        };
        if outcome.applied().next().is_some() {
            handle.block_on(forge.after_push(&target.repo, target.actor, &outcome));
            // Checklists walk history and read files; upkeep merges packs: both after
            // the client's request.
            let (eval, repo_id) = (holder.clone(), target.repo.id);
            let tasks = &forge.background;
            tasks.spawn_on(async move {
                if let Err(e) = eval
                    .as_ref()
                    .evaluate_projects_of_repo(repo_id, now_ms())
                    .await
                {
                    tracing::warn!(error = %e, repo = repo_id, "evaluating incubator checklists after a push failed");
                }
            }, handle);
            // Mergeability of the requests the push touched, and their refs/pull/N/merge.
            let (recheck, repo) = (holder.clone(), target.repo.clone());
            let pushed: Vec<String> = outcome.applied().map(|u| u.name.clone()).collect();
            tasks.spawn_on(
                async move {
                    recheck
                        .as_ref()
                        .recheck_pulls_after_push(&repo, &pushed)
                        .await;
                },
                handle,
            );
            // Push mirrors that follow every push.
            let (mirrors, repo_id) = (holder.clone(), target.repo.id);
            tasks.spawn_on(
                async move {
                    mirrors.as_ref().push_mirrors_after_push(repo_id).await;
                },
                handle,
            );
            tasks.spawn_on(
                Forge::maintain_in_background(holder.clone(), target.repo.clone()),
                handle,
            );
        }
        Ok(outcome)
    }

    /// What follows an accepted push before the pusher's request ends: the push time and
    /// default branch, pull requests following their branches, issue references and
    /// closing keywords, webhooks.
    pub async fn after_push(&self, repo: &Repo, pusher: Actor, outcome: &ReceivePackOutcome) {
        self.record_push(repo, outcome.head_set_to.as_deref()).await;
        let updates: Vec<_> = outcome
            .applied()
            .filter_map(|u| u.new.map(|new| (u.name.clone(), u.old, new)))
            .collect();
        // The first push to an empty repository may have just made another branch the
        // default one: closing keywords follow the new default.
        let mut pushed_repo = repo.clone();
        if let Some(branch) = outcome.head_set_to.as_deref() {
            pushed_repo.default_branch = branch.trim_start_matches("refs/heads/").to_owned();
        }
        if let Err(e) = self.pulls_after_push(&pushed_repo, pusher, &updates).await {
            tracing::warn!(error = %e, repo = %repo.name, "updating pull requests after a push failed");
        }
        if let Err(e) = self.issues_after_push(&pushed_repo, pusher, updates).await {
            tracing::warn!(error = %e, repo = %repo.name, "issue references of a push failed");
        }
        let hook_updates = outcome
            .applied()
            .map(|u| (u.name.clone(), u.old, u.new))
            .collect();
        self.webhooks_after_push(&pushed_repo, pusher, hook_updates)
            .await;
    }

    /// Records an accepted push and keeps the stored default branch in step with HEAD.
    async fn record_push(&self, repo: &Repo, head_set_to: Option<&str>) {
        if let Err(e) = self.store.touch_repo_pushed(repo.id, now_ms()).await {
            tracing::warn!(error = %e, repo = %repo.name, "recording the push failed");
        }
        if let Some(branch) = head_set_to {
            let short = branch.trim_start_matches("refs/heads/");
            if short != repo.default_branch
                && let Err(e) = self
                    .store
                    .update_repo(repo.id, &repo.description, repo.is_private, short)
                    .await
            {
                tracing::warn!(error = %e, repo = %repo.name, "recording the default branch failed");
            }
        }
    }

    /// Repository upkeep (pack merging, commit-graph) on a blocking thread, logged.
    pub async fn maintain_in_background<H>(holder: H, repo: Repo)
    where
        H: AsRef<Forge> + Send + 'static,
    {
        let name = format!("{}/{}", repo.owner_name, repo.name);
        match tokio::task::spawn_blocking(move || holder.as_ref().maintain_blocking(&repo)).await {
            Ok(Ok(done)) if done.ran => {
                tracing::info!(repo = %name, packs_merged = done.packs_merged, graph_commits = done.graph_commits, clone_list = done.clone_list, "repository maintained")
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(repo = %name, error = %e, "repository maintenance failed"),
            Err(e) => tracing::warn!(repo = %name, error = %e, "repository maintenance panicked"),
        }
    }
}

/// The forge's say over each ref a push wants to move: read-only repositories refuse
/// everything; reserved refs are refused; protected branches follow their rule.
struct Hook<'a> {
    read_only: bool,
    mirror_of: Option<String>,
    rules: PushRules,
    git: hatchery_git::Repository,
    messages: &'a dyn PushMessages,
}

impl ReceiveHook for Hook<'_> {
    fn check_update(&mut self, update: &ProposedUpdate<'_>) -> Result<(), String> {
        if let Some(upstream) = &self.mirror_of {
            return Err(self.messages.mirror(upstream));
        }
        if self.read_only {
            return Err(self.messages.read_only());
        }
        if hatchery_core::pulls::is_reserved_ref(update.ref_name) {
            return Err(self.messages.reserved_ref());
        }
        match self.rules.check(&self.git, update) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(refused)) => Err(self.messages.protected(&refused)),
            Err(e) => {
                tracing::warn!(error = %e, "checking a push against branch protection failed");
                Err(self.messages.internal())
            }
        }
    }
}
