//! Small object-level helpers shared by the browsing modules: reading commits and trees,
//! descending a path, turning commits into [`CommitSummary`]s.

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::hashtable::HashMap;
use gix::objs::Find;
use gix::objs::tree::EntryMode;

use crate::error::git;
use crate::{CommitSummary, Error, Oid, Result};

pub(crate) const HASH: gix::hash::Kind = gix::hash::Kind::Sha1;

/// Split a repository path (`a/b/c`, leading and trailing `/` ignored) into components.
/// `None` for paths no tree can contain (`.`, `..`, empty components, NUL).
pub(crate) fn split_path(path: &str) -> Option<Vec<&str>> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    for c in trimmed.split('/') {
        if c.is_empty() || c == "." || c == ".." || c.contains('\0') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

/// The path normalised the way [`split_path`] reads it (`a/b`), or `None` if invalid.
pub(crate) fn normalize_path(path: &str) -> Option<String> {
    split_path(path).map(|c| c.join("/"))
}

/// Read an object of the expected kind into `buf`; `None` if missing or of another kind.
pub(crate) fn read_kind<'a>(
    repo: &gix::Repository,
    id: &ObjectId,
    kind: gix::objs::Kind,
    buf: &'a mut Vec<u8>,
) -> Result<Option<&'a [u8]>> {
    match repo
        .objects
        .try_find(id, buf)
        .map_err(git("reading an object"))?
    {
        Some(data) if data.kind == kind => Ok(Some(data.data)),
        _ => Ok(None),
    }
}

/// The root tree of commit `id`, `None` if it is not a commit.
pub(crate) fn commit_tree(repo: &gix::Repository, id: &ObjectId) -> Result<Option<ObjectId>> {
    let mut buf = Vec::new();
    let Some(data) = read_kind(repo, id, gix::objs::Kind::Commit, &mut buf)? else {
        return Ok(None);
    };
    let tree = gix::objs::CommitRefIter::from_bytes(data, HASH)
        .tree_id()
        .map_err(|e| Error::InvalidObject {
            oid: Oid::from_gix(id),
            reason: format!("{e:#}"),
        })?;
    Ok(Some(tree))
}

/// Find `name` in the tree `data`.
pub(crate) fn find_in_tree(data: &[u8], name: &[u8]) -> Option<(ObjectId, EntryMode)> {
    for entry in gix::objs::TreeRefIter::from_bytes(data, HASH) {
        let Ok(entry) = entry else {
            return None;
        };
        if entry.filename.as_bytes() == name {
            return Some((entry.oid.to_owned(), entry.mode));
        }
    }
    None
}

/// Follow `components` down from `tree`; `None` if some component is missing or a
/// non-tree is crossed. An empty path gives the tree itself.
pub(crate) fn lookup_path(
    repo: &gix::Repository,
    tree: ObjectId,
    components: &[&str],
) -> Result<Option<(ObjectId, EntryMode)>> {
    let mut current = (tree, EntryMode::from(gix::objs::tree::EntryKind::Tree));
    let mut buf = Vec::new();
    for c in components {
        if !current.1.is_tree() {
            return Ok(None);
        }
        let Some(data) = read_kind(repo, &current.0, gix::objs::Kind::Tree, &mut buf)? else {
            return Ok(None);
        };
        match find_in_tree(data, c.as_bytes()) {
            Some(found) => current = found,
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}

/// Memoised "what does `components[level]` name inside tree X" lookups, so that walks over
/// many commits decode each distinct tree at most once per level.
pub(crate) struct PathCache {
    components: Vec<Vec<u8>>,
    memo: Vec<HashMap<ObjectId, Option<(ObjectId, EntryMode)>>>,
    buf: Vec<u8>,
}

impl PathCache {
    pub fn new(components: &[&str]) -> Self {
        PathCache {
            components: components.iter().map(|c| c.as_bytes().to_vec()).collect(),
            memo: components.iter().map(|_| HashMap::default()).collect(),
            buf: Vec::new(),
        }
    }

    pub fn depth(&self) -> usize {
        self.components.len()
    }

    /// The entry `components[level]` inside tree `tree` (`None`: missing or `tree` not a tree).
    pub fn step(
        &mut self,
        repo: &gix::Repository,
        level: usize,
        tree: ObjectId,
    ) -> Result<Option<(ObjectId, EntryMode)>> {
        if let Some(found) = self.memo[level].get(&tree) {
            return Ok(*found);
        }
        let found = match read_kind(repo, &tree, gix::objs::Kind::Tree, &mut self.buf)? {
            Some(data) => find_in_tree(data, &self.components[level]),
            None => None,
        };
        self.memo[level].insert(tree, found);
        Ok(found)
    }

    /// The entry at the full path below root tree `root`.
    pub fn resolve(
        &mut self,
        repo: &gix::Repository,
        root: ObjectId,
    ) -> Result<Option<(ObjectId, EntryMode)>> {
        let mut current = (root, EntryMode::from(gix::objs::tree::EntryKind::Tree));
        for level in 0..self.depth() {
            if !current.1.is_tree() {
                return Ok(None);
            }
            match self.step(repo, level, current.0)? {
                Some(found) => current = found,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// Whether the path has the same entry (id and mode, or absence) below roots `a` and `b`.
    /// Descends both in lock step and stops at the first level where the ids agree.
    pub fn same(&mut self, repo: &gix::Repository, a: ObjectId, b: ObjectId) -> Result<bool> {
        let tree = EntryMode::from(gix::objs::tree::EntryKind::Tree);
        let mut x = Some((a, tree));
        let mut y = Some((b, tree));
        for level in 0..self.depth() {
            match (x, y) {
                (None, None) => return Ok(true),
                (Some(p), Some(q)) if p == q => return Ok(true),
                _ => {}
            }
            x = match x {
                Some((id, mode)) if mode.is_tree() => self.step(repo, level, id)?,
                _ => None,
            };
            y = match y {
                Some((id, mode)) if mode.is_tree() => self.step(repo, level, id)?,
                _ => None,
            };
        }
        Ok(x == y)
    }
}

/// Parse a commit into a [`CommitSummary`].
pub(crate) fn summary(id: &ObjectId, data: &[u8]) -> Result<CommitSummary> {
    let commit =
        gix::objs::CommitRef::from_bytes(data, HASH).map_err(|e| Error::InvalidObject {
            oid: Oid::from_gix(id),
            reason: format!("{e:#}"),
        })?;
    let author = commit.author().ok();
    let committer = commit.committer().ok();
    let oid = Oid::from_gix(id);
    let hex = oid.to_hex();
    Ok(CommitSummary {
        id: oid,
        short_id: hex[..7].to_owned(),
        summary: first_line(commit.message),
        author_name: author.map(|a| lossy(a.name.trim())).unwrap_or_default(),
        author_email: author.map(|a| lossy(a.email.trim())).unwrap_or_default(),
        author_time: author.map(|a| a.seconds()).unwrap_or(0),
        committer_time: committer.map(|c| c.seconds()).unwrap_or(0),
    })
}

/// The first line of a message (after leading blank lines), without trailing whitespace.
pub(crate) fn first_line(message: &[u8]) -> String {
    let text = lossy(message);
    text.lines()
        .map(str::trim_end)
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_owned()
}

pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Read commit `id` and summarise it; `None` if it is not a commit.
pub(crate) fn read_summary(
    repo: &gix::Repository,
    id: &ObjectId,
    buf: &mut Vec<u8>,
) -> Result<Option<CommitSummary>> {
    match read_kind(repo, id, gix::objs::Kind::Commit, buf)? {
        Some(data) => Ok(Some(summary(id, data)?)),
        None => Ok(None),
    }
}

/// Peel `id` through annotated tags to a commit.
pub(crate) fn peel_to_commit(repo: &gix::Repository, id: ObjectId) -> Result<Option<ObjectId>> {
    let mut buf = Vec::new();
    match crate::walk::peel(repo, id, &mut buf)? {
        Some((id, gix::objs::Kind::Commit)) => Ok(Some(id)),
        _ => Ok(None),
    }
}
