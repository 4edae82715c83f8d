//! What a push brought: the commits new to a branch, with their messages, for the work
//! that follows a push (issue references and closing keywords).

use gix::bstr::ByteSlice;

use crate::browse::{Person, person};
use crate::error::git;
use crate::{Oid, Quarantine, Repository, Result};

/// A commit a push made reachable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedCommit {
    pub id: Oid,
    /// The whole message, lossily decoded as UTF-8.
    pub message: String,
    /// `None` when the commit's author line does not parse.
    pub author: Option<Person>,
    pub committer: Option<Person>,
    /// Parent ids in order (more than one: a merge commit).
    pub parents: Vec<Oid>,
}

impl Quarantine {
    /// Like [`Repository::new_commits`], seeing the commits of the push being received
    /// (for the checks a push must pass before any ref moves).
    pub fn new_commits(
        &self,
        tip: Oid,
        exclude: &[Oid],
        limit: usize,
    ) -> Result<Vec<PushedCommit>> {
        new_commits(&self.view()?, tip, exclude, limit)
    }
}

impl Repository {
    /// Commits reachable from `tip` but from none of `exclude` (the ref's old value and the
    /// other branches, so a commit already on the server is not seen as new), newest first,
    /// at most `limit`.
    pub fn new_commits(
        &self,
        tip: Oid,
        exclude: &[Oid],
        limit: usize,
    ) -> Result<Vec<PushedCommit>> {
        new_commits(&self.local(), tip, exclude, limit)
    }

    /// The commit a full or abbreviated (at least 7 hex digits) id names, if exactly one.
    pub fn find_commit(&self, hex: &str) -> Result<Option<Oid>> {
        let repo = self.local();
        self.resolve_commit_id(&repo, hex)
    }
}

fn new_commits(
    repo: &gix::Repository,
    tip: Oid,
    exclude: &[Oid],
    limit: usize,
) -> Result<Vec<PushedCommit>> {
    let walk = repo
        .rev_walk([tip.to_gix()])
        .with_hidden(exclude.iter().map(|o| o.to_gix()))
        .all()
        .map_err(git("walking pushed commits"))?;
    let mut out = Vec::new();
    for info in walk.take(limit) {
        let info = info.map_err(git("walking pushed commits"))?;
        let commit = info.object().map_err(git("reading a pushed commit"))?;
        let message = commit
            .message_raw()
            .map_err(git("reading a pushed commit"))?
            .to_str_lossy()
            .into_owned();
        out.push(PushedCommit {
            id: Oid::from_gix(&info.id),
            message,
            author: commit.author().ok().map(person),
            committer: commit.committer().ok().map(person),
            parents: info.parent_ids.iter().map(|p| Oid::from_gix(p)).collect(),
        });
    }
    Ok(out)
}
