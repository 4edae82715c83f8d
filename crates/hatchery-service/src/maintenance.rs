//! Keeping repositories fast to read: merge packs when pushes pile them up, and refresh the
//! commit-graph file (parents, dates and changed-path Bloom filters) that history walks,
//! blame and last-commit listings read instead of decoding commits. And removing what
//! crashes leave behind: receive quarantines of killed pushes, half-built repositories.

use crate::{Forge, ServiceError};
use hatchery_store::Repo;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// More packs than this and they are merged.
pub const CONSOLIDATE_AT_PACKS: usize = 8;

/// Repositories being maintained right now, so that a burst of pushes or page views runs
/// one maintenance per repository, not one each.
#[derive(Debug, Default)]
pub struct InProgress(Mutex<HashSet<i64>>);

struct Claim<'a> {
    set: &'a InProgress,
    id: i64,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.set.0.lock() {
            set.remove(&self.id);
        }
    }
}

impl InProgress {
    fn claim(&self, id: i64) -> Option<Claim<'_>> {
        // The guard must be gone before a `Claim` can be dropped (its drop takes the lock),
        // and no `Claim` may exist for a repository another run holds.
        let inserted = self.0.lock().ok()?.insert(id);
        if inserted {
            Some(Claim { set: self, id })
        } else {
            None
        }
    }
}

/// What a maintenance run did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Maintained {
    /// False when another run was already busy with this repository.
    pub ran: bool,
    pub packs_merged: usize,
    pub graph_commits: usize,
    /// The object list of a full clone was prepared for the new refs.
    pub clone_list: bool,
}

impl Forge {
    /// Blocking: merges packs when there are many, then refreshes the commit-graph (only
    /// new commits are decoded) and, for a repository that is being cloned, the object
    /// list of a full clone. Skips when another run holds this repository.
    pub fn maintain_blocking(&self, repo: &Repo) -> Result<Maintained, ServiceError> {
        let Some(_claim) = self.maintaining.claim(repo.id) else {
            return Ok(Maintained::default());
        };
        let git = self.open_git_blocking(repo)?;
        let mut done = Maintained {
            ran: true,
            ..Maintained::default()
        };
        if git.pack_count()? >= CONSOLIDATE_AT_PACKS {
            let outcome = git.consolidate_packs(&hatchery_git::ConsolidateOptions {
                min_packs: CONSOLIDATE_AT_PACKS,
            })?;
            done.packs_merged = outcome.packs_merged;
        }
        if git.is_empty()? {
            return Ok(done);
        }
        done.graph_commits = git.write_commit_graph()?.commits;
        done.clone_list = git.refresh_full_clone_list()?;
        Ok(done)
    }
}

/// What [`Forge::remove_crash_leftovers_blocking`] removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Leftovers {
    /// Receive quarantines (`objects/incoming-*`) of pushes that never finished.
    pub quarantines: usize,
    /// Entries of `.trash`: repositories half built (`new-*`) or half deleted.
    pub trash: usize,
}

fn older_than(path: &Path, age: Duration) -> bool {
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|e| e > age)
}

impl Forge {
    /// Blocking: removes crash leftovers older than `age`, which must be at least
    /// `git.max_push_secs` (pushes running longer are aborted, so no running push owns an
    /// older quarantine; those of pushes running in this process are skipped anyway):
    /// quarantines in every repository directory under the root, and `.trash` entries
    /// (repository creation builds under `.trash/new-*` and renames into place within
    /// seconds; deletion renames there and removes at once). Errors on one repository do
    /// not stop the others.
    pub fn remove_crash_leftovers_blocking(&self, age: Duration) -> Leftovers {
        let mut done = Leftovers::default();
        let root = self.repos.root();
        let trash = self.repos.trash();
        let Ok(owners) = std::fs::read_dir(root) else {
            return done;
        };
        for owner in owners.flatten() {
            let path = owner.path();
            if path == trash || !path.is_dir() {
                continue;
            }
            let Ok(repos) = std::fs::read_dir(&path) else {
                continue;
            };
            for repo in repos.flatten() {
                if repo.file_name().to_string_lossy().ends_with(".git") {
                    match hatchery_git::remove_crash_leftovers(&repo.path(), age) {
                        Ok(n) => done.quarantines += n,
                        Err(e) => tracing::warn!(
                            path = %repo.path().display(),
                            error = %e,
                            "removing stale push quarantines failed"
                        ),
                    }
                }
            }
        }
        if let Ok(entries) = std::fs::read_dir(&trash) {
            for entry in entries.flatten() {
                let path = entry.path();
                if !older_than(&path, age) {
                    continue;
                }
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                match removed {
                    Ok(()) => done.trash += 1,
                    Err(e) => tracing::warn!(
                        path = %path.display(),
                        error = %e,
                        "removing a leftover in .trash failed"
                    ),
                }
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_per_repository_at_a_time() {
        let set = InProgress::default();
        let first = set.claim(1);
        assert!(first.is_some());
        assert!(
            set.claim(1).is_none(),
            "a second claim is refused, without deadlock"
        );
        assert!(set.claim(2).is_some(), "other repositories are independent");
        drop(first);
        assert!(set.claim(1).is_some(), "released on drop");
    }
}
