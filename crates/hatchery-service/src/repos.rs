//! Creating and deleting repositories: a row in the database and a bare repository on
//! disk, kept in step — a failure on either side leaves neither behind.

use crate::{Forge, ServiceError};
use hatchery_core::Name;
use hatchery_git::{InitialCommit, Repository, Signature};
use hatchery_store::{NewRepo, Repo, StoreError, now_ms};
use std::path::{Path, PathBuf};

/// The branch new repositories start with.
pub const DEFAULT_BRANCH: &str = "main";

/// Where repositories live on disk: `<root>/<owner>/<name>.git`, lower-cased so that names
/// differing only in case (which the database refuses) never meet on a case-insensitive
/// file system either.
#[derive(Debug, Clone)]
pub struct RepoRoot(PathBuf);

impl RepoRoot {
    pub fn new(root: PathBuf) -> RepoRoot {
        RepoRoot(root)
    }

    pub fn root(&self) -> &Path {
        &self.0
    }

    /// Names reaching here were validated (`Name::parse`), so they hold no `/` or `..`.
    pub fn path_of(&self, owner: &str, name: &str) -> PathBuf {
        self.0
            .join(owner.to_ascii_lowercase())
            .join(format!("{}.git", name.to_ascii_lowercase()))
    }

    pub(crate) fn trash(&self) -> PathBuf {
        self.0.join(".trash")
    }
}

/// What a person asks for when creating a repository.
#[derive(Debug)]
pub struct CreateRepo<'a> {
    pub owner_id: i64,
    pub owner_name: &'a str,
    pub name: &'a Name,
    pub description: &'a str,
    pub is_private: bool,
    /// Commit a README.md so the repository can be cloned and browsed at once.
    pub init_readme: Option<Signature>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateRepoError {
    #[error("a repository with this name already exists")]
    NameTaken,
    #[error("the owner does not exist")]
    NoSuchOwner,
    #[error(transparent)]
    Other(#[from] ServiceError),
}

fn readme(name: &str, description: &str) -> Vec<u8> {
    let mut text = format!("# {name}\n");
    if !description.is_empty() {
        text.push('\n');
        text.push_str(description);
        text.push('\n');
    }
    text.into_bytes()
}

impl Forge {
    pub async fn create_repo(&self, req: CreateRepo<'_>) -> Result<Repo, CreateRepoError> {
        self.create_repo_by(None, req).await
    }

    /// Like [`Forge::create_repo`]; `creator` (the person who asked) is the `repository`
    /// webhook's sender.
    pub async fn create_repo_by(
        &self,
        creator: Option<i64>,
        req: CreateRepo<'_>,
    ) -> Result<Repo, CreateRepoError> {
        let repo = match self
            .store
            .create_repo(NewRepo {
                owner_id: req.owner_id,
                name: req.name,
                description: req.description,
                is_private: req.is_private,
                default_branch: DEFAULT_BRANCH,
            })
            .await
        {
            Ok(repo) => repo,
            Err(StoreError::Conflict(_)) => return Err(CreateRepoError::NameTaken),
            Err(StoreError::NotFound) => return Err(CreateRepoError::NoSuchOwner),
            Err(e) => return Err(ServiceError::from(e).into()),
        };
        let path = self.repos.path_of(req.owner_name, req.name.as_str());
        let with_readme = req.init_readme.is_some();
        let initial = req.init_readme.map(|author| InitialCommit {
            branch: DEFAULT_BRANCH.to_owned(),
            files: vec![(
                "README.md".to_owned(),
                readme(req.name.as_str(), req.description),
            )],
            message: "Initial commit".to_owned(),
            author,
        });
        // Built aside under `.trash/new-*` and renamed into place in one step, so the
        // repository's path holds either nothing or a complete repository; on any failure
        // the half-built directory and the row both go.
        let staging = self
            .repos
            .trash()
            .join(format!("new-{}-{}", repo.id, now_ms()));
        let made = tokio::task::spawn_blocking(move || -> Result<(), ServiceError> {
            let build = || -> Result<(), ServiceError> {
                if let Some(parent) = staging.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let git = Repository::init_bare(&staging, DEFAULT_BRANCH)?;
                if let Some(initial) = initial {
                    git.create_initial_commit(&initial)?;
                }
                drop(git);
                if path.exists() {
                    // A leftover from a repository whose row is gone (a crash between the
                    // two steps of a deletion): it belongs to nobody, so it may be replaced.
                    tracing::warn!(path = %path.display(), "replacing a leftover repository directory");
                    std::fs::remove_dir_all(&path)?;
                }
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::rename(&staging, &path)?;
                Ok(())
            };
            let built = build();
            if built.is_err() && staging.exists() {
                let _ = std::fs::remove_dir_all(&staging);
            }
            built
        })
        .await
        .map_err(ServiceError::from)
        .and_then(|r| r);
        if let Err(e) = made {
            tracing::error!(error = %e, repo = %repo.name, "creating the repository on disk failed");
            if let Err(cleanup) = self.store.delete_repo(repo.id).await {
                tracing::error!(error = %cleanup, "removing the row of a repository that could not be created failed");
            }
            return Err(e.into());
        }
        if with_readme {
            self.store
                .touch_repo_pushed(repo.id, now_ms())
                .await
                .map_err(ServiceError::from)?;
        }
        self.emit_repository(&repo, creator, "created").await;
        Ok(repo)
    }

    /// Removes the row first (the repository disappears for everyone at once), then moves
    /// the directory aside and deletes it.
    pub async fn delete_repo(&self, repo: &Repo) -> Result<(), ServiceError> {
        self.delete_repo_by(None, repo).await
    }

    /// Like [`Forge::delete_repo`]; `actor` is the `repository` webhook's sender.
    pub async fn delete_repo_by(
        &self,
        actor: Option<i64>,
        repo: &Repo,
    ) -> Result<(), ServiceError> {
        // A fork's open requests into its network close once the fork is gone (their
        // commits stay in the bases under refs/pull/N/head).
        let orphaned = self.pulls_from_deleted_head(repo).await?;
        self.store.delete_repo(repo.id).await?;
        // Boxed: closing sends hooks, a large future every deleting caller would carry.
        Box::pin(self.close_pulls_of_deleted_head(actor, orphaned)).await?;
        self.emit_repository(repo, actor, "deleted").await;
        if let Err(e) = self.remove_release_files(repo.id).await {
            tracing::warn!(error = %e, repo = repo.id, "removing release files failed");
        }
        self.remove_repo_dir(repo).await
    }

    /// Moves the directory of a repository whose row is gone aside, then deletes it.
    pub(crate) async fn remove_repo_dir(&self, repo: &Repo) -> Result<(), ServiceError> {
        self.git_handles.remove(&repo.id);
        let path = self.repos.path_of(&repo.owner_name, &repo.name);
        let trash = self.repos.trash().join(format!("{}-{}", repo.id, now_ms()));
        tokio::task::spawn_blocking(move || -> Result<(), std::io::Error> {
            if !path.exists() {
                return Ok(());
            }
            if let Some(parent) = trash.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::rename(&path, &trash)?;
            std::fs::remove_dir_all(&trash)
        })
        .await??;
        Ok(())
    }

    /// [`Forge::open_git_blocking`] from async code: a handle already open is handed out at
    /// once, opening one runs on a blocking thread.
    pub async fn open_git(&self, repo: &Repo) -> Result<Repository, ServiceError> {
        let path = self.repos.path_of(&repo.owner_name, &repo.name);
        if let Some(handle) = self.git_handles.get(&repo.id)
            && handle.path() == path
        {
            return Ok(handle);
        }
        let handle = tokio::task::spawn_blocking(move || Repository::open(&path)).await??;
        self.git_handles.insert(repo.id, handle.clone());
        Ok(handle)
    }

    /// Opens the repository's git storage, or hands out the handle already open (it stays
    /// correct across pushes and pack merges: refs are read from disk, packs found on a
    /// miss). Blocking: call from a blocking task.
    pub fn open_git_blocking(&self, repo: &Repo) -> Result<Repository, ServiceError> {
        let path = self.repos.path_of(&repo.owner_name, &repo.name);
        if let Some(handle) = self.git_handles.get(&repo.id)
            && handle.path() == path
        {
            return Ok(handle);
        }
        let handle = Repository::open(&path)?;
        self.git_handles.insert(repo.id, handle.clone());
        Ok(handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_lower_case_and_inside_the_root() {
        let root = RepoRoot::new(PathBuf::from("/data/repositories"));
        assert_eq!(
            root.path_of("ASF", "Hatchery"),
            PathBuf::from("/data/repositories/asf/hatchery.git")
        );
        assert_eq!(readme("x", ""), b"# x\n");
        assert_eq!(readme("x", "d"), b"# x\n\nd\n");
    }
}
