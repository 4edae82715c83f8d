//! Site administration: the overview (version, uptime, database and disk, background jobs,
//! counts), users (disable, administrator flag, deletion), organizations, repositories
//! (sizes, upkeep now) and the site settings that may change while the site runs.
//!
//! Every use case asks the policy (`Action::AdminSite` on `Resource::Site`) first; any
//! refusal is [`AdminError::NotFound`], so the administration looks exactly like a missing
//! page to everyone else.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hatchery_core::signin::TwoFactorRequirement;
use hatchery_core::{Action, Actor, Resource, authorize, validate};
use hatchery_store::{
    AccountKind, AccountOrder, AccountPage, AccountSearch, Backend, Repo, RepoOrder, RepoSearch,
    RepoVisibility, SiteCounts, User, UserChange,
};

use crate::jobs::JobStatus;
use crate::maintenance::Maintained;
use crate::{Forge, ServiceError};

/// Settings keys (rows of the `settings` table, shared by every server).
const SIGNUP_KEY: &str = "site.allow_signup";
const ANNOUNCEMENT_KEY: &str = "site.announcement";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Not an administrator, or no such user, organization or repository.
    #[error("not found")]
    NotFound,
    /// The change would leave the site without an enabled administrator.
    #[error("the site must keep an enabled administrator")]
    LastAdmin,
    /// Administrators do not disable, demote or delete their own account here.
    #[error("not on your own account")]
    OwnAccount,
    /// The user is the only owner of these organizations.
    #[error("the only owner of {0:?}")]
    LastOwnerOf(Vec<String>),
    /// A refused setting: the catalog key of the message.
    #[error("invalid setting")]
    Invalid(validate::FieldError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<hatchery_store::StoreError> for AdminError {
    fn from(e: hatchery_store::StoreError) -> AdminError {
        match e {
            hatchery_store::StoreError::NotFound => AdminError::NotFound,
            e => AdminError::Service(e.into()),
        }
    }
}

/// What the overview shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub version: &'static str,
    pub uptime: Duration,
    pub database: Backend,
    /// `None` when the database would not say.
    pub database_bytes: Option<i64>,
    /// Bytes of the repositories folder on disk (hard-linked files counted once).
    pub repositories_bytes: u64,
    pub counts: SiteCounts,
    pub jobs: Vec<JobStatus>,
}

/// The settings an administrator may change while the site runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSettings {
    pub allow_signup: bool,
    /// Shown on every page when not empty.
    pub announcement: String,
    /// Who must use two-factor authentication.
    pub require_two_factor: TwoFactorRequirement,
}

/// What deleting a user would do, for the confirmation page.
#[derive(Debug, Clone)]
pub struct DeletionPreview {
    pub user: User,
    /// Their repositories, deleted with them.
    pub repos: Vec<Repo>,
    /// Organizations they are the only owner of: deletion is refused until that changes.
    pub sole_owner_of: Vec<String>,
}

/// A repository with its size on disk.
#[derive(Debug, Clone)]
pub struct RepoUsage {
    pub repo: Repo,
    pub bytes: u64,
}

/// Bytes under `path`, counting each hard-linked file once (forks share their parents'
/// objects by hard links). Symbolic links are not followed. Blocking.
pub fn disk_usage(path: &Path) -> u64 {
    let mut seen: std::collections::HashSet<(u64, u64)> = std::collections::HashSet::new();
    let mut total = 0u64;
    let mut stack: Vec<PathBuf> = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::MetadataExt;
                    if meta.nlink() > 1 && !seen.insert((meta.dev(), meta.ino())) {
                        continue;
                    }
                }
                total = total.saturating_add(meta.len());
            }
        }
    }
    let _ = &mut seen;
    total
}

impl Forge {
    /// `Ok` for site administrators; [`AdminError::NotFound`] for everyone else.
    pub fn admin_check(&self, actor: Actor) -> Result<(), AdminError> {
        if authorize(actor, Action::AdminSite, Resource::Site).is_allowed() {
            Ok(())
        } else {
            Err(AdminError::NotFound)
        }
    }

    pub async fn admin_overview(&self, actor: Actor) -> Result<Overview, AdminError> {
        self.admin_check(actor)?;
        let counts = self.store.site_counts().await?;
        let database_bytes = match self.store.database_size().await {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(error = %e, "reading the database size failed");
                None
            }
        };
        let root = self.repos.root().to_path_buf();
        let repositories_bytes = tokio::task::spawn_blocking(move || disk_usage(&root))
            .await
            .map_err(ServiceError::from)?;
        Ok(Overview {
            version: env!("CARGO_PKG_VERSION"),
            uptime: self.started.elapsed(),
            database: self.store.backend(),
            database_bytes,
            repositories_bytes,
            counts,
            jobs: self.jobs.snapshot(),
        })
    }

    /// One page of users (`kind` User) or organizations, searched by name, display name
    /// and, for users, email.
    pub async fn admin_accounts(
        &self,
        actor: Actor,
        kind: AccountKind,
        keyword: &str,
        limit: i64,
        offset: i64,
    ) -> Result<AccountPage, AdminError> {
        self.admin_check(actor)?;
        Ok(self
            .store
            .search_accounts(&AccountSearch {
                kind,
                keyword: keyword.to_owned(),
                in_email: kind == AccountKind::User,
                order: AccountOrder::Name,
                limit,
                offset,
            })
            .await?)
    }

    async fn admin_target(&self, actor: Actor, name: &str) -> Result<User, AdminError> {
        self.admin_check(actor)?;
        self.store
            .user_by_name(name)
            .await?
            .ok_or(AdminError::NotFound)
    }

    fn not_self(actor: Actor, user: &User) -> Result<(), AdminError> {
        if actor.user_id() == Some(user.id) {
            Err(AdminError::OwnAccount)
        } else {
            Ok(())
        }
    }

    fn change(outcome: UserChange) -> Result<(), AdminError> {
        match outcome {
            UserChange::Done => Ok(()),
            UserChange::LastAdmin => Err(AdminError::LastAdmin),
            UserChange::LastOwnerOf(orgs) => Err(AdminError::LastOwnerOf(orgs)),
        }
    }

    /// Disables (or enables again) a user's sign-in: a disabled user cannot sign in or use
    /// tokens or git, and their sessions end at their next request.
    pub async fn admin_set_disabled(
        &self,
        actor: Actor,
        name: &str,
        disabled: bool,
    ) -> Result<User, AdminError> {
        let user = self.admin_target(actor, name).await?;
        Self::not_self(actor, &user)?;
        Self::change(self.store.set_user_disabled(user.id, disabled).await?)?;
        tracing::info!(admin = ?actor.user_id(), user = %user.name, disabled, "user sign-in changed");
        Ok(user)
    }

    /// Makes a user a site administrator or not; the last enabled one stays.
    pub async fn admin_set_admin(
        &self,
        actor: Actor,
        name: &str,
        is_admin: bool,
    ) -> Result<User, AdminError> {
        let user = self.admin_target(actor, name).await?;
        if !is_admin {
            Self::not_self(actor, &user)?;
        }
        Self::change(self.store.set_admin_checked(user.id, is_admin).await?)?;
        tracing::info!(admin = ?actor.user_id(), user = %user.name, is_admin, "site administrator changed");
        Ok(user)
    }

    /// What deleting the user would take with it.
    pub async fn admin_deletion_preview(
        &self,
        actor: Actor,
        name: &str,
    ) -> Result<DeletionPreview, AdminError> {
        let user = self.admin_target(actor, name).await?;
        let repos = self.store.repos_of_owner(user.id).await?;
        let sole_owner_of = self.store.orgs_solely_owned_by(user.id).await?;
        Ok(DeletionPreview {
            user,
            repos,
            sole_owner_of,
        })
    }

    /// Deletes a user and their repositories (rows and directories). Issues, comments and
    /// events they wrote elsewhere stay, shown as a deleted user. Refused while they are the
    /// only owner of an organization, for the last enabled administrator, and for oneself.
    /// Returns how many repositories went with them.
    pub async fn admin_delete_user(&self, actor: Actor, name: &str) -> Result<usize, AdminError> {
        let user = self.admin_target(actor, name).await?;
        Self::not_self(actor, &user)?;
        // Listed before the row goes: the cascade deletes their rows with the account.
        let repos = self.store.repos_of_owner(user.id).await?;
        Self::change(self.store.delete_user(user.id).await?)?;
        for repo in &repos {
            if let Err(e) = self.remove_repo_dir(repo).await {
                tracing::error!(error = %e, repo = %format!("{}/{}", repo.owner_name, repo.name), "removing a deleted user's repository from disk failed");
            }
        }
        tracing::info!(admin = ?actor.user_id(), user = %user.name, repos = repos.len(), "user deleted");
        Ok(repos.len())
    }

    /// One page of every repository, private ones included, with sizes on disk.
    pub async fn admin_repos(
        &self,
        actor: Actor,
        keyword: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<RepoUsage>, i64), AdminError> {
        self.admin_check(actor)?;
        let page = self
            .store
            .search_repos(&RepoSearch {
                visibility: RepoVisibility::All,
                keyword: keyword.to_owned(),
                order: RepoOrder::Updated,
                descending: true,
                limit,
                offset,
                ..RepoSearch::default()
            })
            .await?;
        let paths: Vec<PathBuf> = page
            .repos
            .iter()
            .map(|r| self.repos.path_of(&r.owner_name, &r.name))
            .collect();
        let sizes = tokio::task::spawn_blocking(move || {
            paths.iter().map(|p| disk_usage(p)).collect::<Vec<_>>()
        })
        .await
        .map_err(ServiceError::from)?;
        let list = page
            .repos
            .into_iter()
            .zip(sizes)
            .map(|(repo, bytes)| RepoUsage { repo, bytes })
            .collect();
        Ok((list, page.total))
    }

    /// Runs the repository's upkeep (pack merging, commit-graph) now, on a blocking thread.
    /// `holder` hands out the forge and can move into that thread (the web's state does).
    pub async fn admin_run_upkeep<H>(
        holder: H,
        actor: Actor,
        owner: &str,
        name: &str,
    ) -> Result<(Repo, Maintained), AdminError>
    where
        H: AsRef<Forge> + Send + 'static,
    {
        let forge = holder.as_ref();
        forge.admin_check(actor)?;
        let repo = forge
            .store
            .repo_by_name(owner, name)
            .await?
            .ok_or(AdminError::NotFound)?;
        let r = repo.clone();
        let done = tokio::task::spawn_blocking(move || holder.as_ref().maintain_blocking(&r))
            .await
            .map_err(ServiceError::from)??;
        tracing::info!(admin = ?actor.user_id(), repo = %format!("{}/{}", repo.owner_name, repo.name), packs_merged = done.packs_merged, graph_commits = done.graph_commits, clone_list = done.clone_list, "upkeep run by an administrator");
        Ok((repo, done))
    }

    /// The site settings as stored; `default_signup` (the configuration's
    /// `auth.allow_signup`) until an administrator changes it. Anyone may read these: every
    /// page shows the announcement.
    pub async fn site_settings(&self, default_signup: bool) -> Result<SiteSettings, ServiceError> {
        let mut settings = SiteSettings {
            allow_signup: default_signup,
            announcement: String::new(),
            require_two_factor: self.two_factor_default,
        };
        for (key, value) in self.store.settings_with_prefix("site.").await? {
            match key.as_str() {
                SIGNUP_KEY => settings.allow_signup = value == "true",
                ANNOUNCEMENT_KEY => settings.announcement = value,
                crate::twofactor::REQUIRE_KEY => {
                    if let Some(r) = TwoFactorRequirement::parse(&value) {
                        settings.require_two_factor = r;
                    }
                }
                _ => {}
            }
        }
        Ok(settings)
    }

    /// Saves the settings for every server at once.
    pub async fn admin_save_settings(
        &self,
        actor: Actor,
        allow_signup: bool,
        announcement: &str,
        require_two_factor: TwoFactorRequirement,
    ) -> Result<SiteSettings, AdminError> {
        self.admin_check(actor)?;
        let announcement = if announcement.trim().is_empty() {
            String::new()
        } else {
            validate::text(announcement, validate::ANNOUNCEMENT_MAX).map_err(AdminError::Invalid)?
        };
        self.store
            .set_setting(SIGNUP_KEY, if allow_signup { "true" } else { "false" })
            .await?;
        self.store
            .set_setting(ANNOUNCEMENT_KEY, &announcement)
            .await?;
        self.store
            .set_setting(crate::twofactor::REQUIRE_KEY, require_two_factor.as_str())
            .await?;
        tracing::info!(admin = ?actor.user_id(), allow_signup, require_two_factor = require_two_factor.as_str(), "site settings changed");
        Ok(SiteSettings {
            allow_signup,
            announcement,
            require_two_factor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_usage_counts_hard_links_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/one"), [0u8; 100]).unwrap();
        std::fs::write(dir.path().join("a/b/two"), [0u8; 50]).unwrap();
        std::fs::hard_link(dir.path().join("a/one"), dir.path().join("linked")).unwrap();
        assert_eq!(disk_usage(dir.path()), 150);
        assert_eq!(disk_usage(&dir.path().join("missing")), 0);
    }
}
