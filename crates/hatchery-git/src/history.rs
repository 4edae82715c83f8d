//! History: `git log [-- path]` and "last commit of each directory entry".
//!
//! Walks read parents, commit dates and root trees from the commit-graph file when it has the
//! commit (see [`Repository::write_commit_graph`]) and decode the commit object otherwise.
//! Path filtering compares only the entry at the path, descending the path's components in
//! lock step in both trees and stopping at the first level where the ids agree; each distinct
//! tree is decoded at most once per walk.

use std::collections::{BinaryHeap, HashMap as StdHashMap};
use std::sync::Arc;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::hashtable::{HashMap, HashSet};

use crate::objects::{self, PathCache, split_path};
use crate::{Error, Oid, Repository, Result};

/// What list pages show of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSummary {
    /// The commit id.
    pub id: Oid,
    /// The first 7 hex digits of the id.
    pub short_id: String,
    /// The first non-empty line of the message.
    pub summary: String,
    /// Author name.
    pub author_name: String,
    /// Author e-mail.
    pub author_email: String,
    /// Author date, seconds since the Unix epoch.
    pub author_time: i64,
    /// Committer date, seconds since the Unix epoch.
    pub committer_time: i64,
}

/// Bytes of decoded delta bases a history walk may cache.
const WALK_DELTA_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Default bound of [`Repository::last_commits`]: commits visited before giving up.
pub const LAST_COMMITS_MAX_VISITS: usize = 20_000;

/// The parts of a commit a walk needs.
#[derive(Debug)]
pub(crate) struct Node {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    pub time: i64,
}

/// Commits for walks: from the commit-graph when it has them, else decoded (and cached).
pub(crate) struct CommitSource {
    pub repo: gix::Repository,
    graph: Option<gix::commitgraph::Graph>,
    /// Changed-path filters (only used with a commit-graph).
    pub bloom: Option<Arc<crate::bloom::BloomFile>>,
    cache: HashMap<ObjectId, Option<Arc<Node>>>,
    buf: Vec<u8>,
}

impl CommitSource {
    pub fn new(repo: gix::Repository) -> Self {
        // A broken or unreadable commit-graph only costs speed.
        let graph = repo.commit_graph_if_enabled().ok().flatten();
        CommitSource {
            repo,
            graph,
            bloom: None,
            cache: HashMap::default(),
            buf: Vec::new(),
        }
    }

    pub fn has_graph(&self) -> bool {
        self.graph.is_some()
    }

    /// The commit `id`, `None` if missing or not a commit.
    pub fn get(&mut self, id: &ObjectId) -> Result<Option<Arc<Node>>> {
        if let Some(found) = self.cache.get(id) {
            return Ok(found.clone());
        }
        let node = match self.lookup_graph(id) {
            Some(node) => Some(Arc::new(node)),
            None => {
                match objects::read_kind(&self.repo, id, gix::objs::Kind::Commit, &mut self.buf)? {
                    Some(data) => {
                        let info = crate::walk::parse_commit(data, id)?;
                        Some(Arc::new(Node {
                            tree: info.tree,
                            parents: info.parents,
                            time: info.time,
                        }))
                    }
                    None => None,
                }
            }
        };
        self.cache.insert(*id, node.clone());
        Ok(node)
    }

    fn lookup_graph(&self, id: &ObjectId) -> Option<Node> {
        let graph = self.graph.as_ref()?;
        let commit = graph.commit_by_id(id)?;
        let mut parents = Vec::new();
        for p in commit.iter_parents() {
            let pos = p.ok()?;
            parents.push(graph.id_at(pos).to_owned());
        }
        Some(Node {
            tree: commit.root_tree_id().to_owned(),
            parents,
            time: i64::try_from(commit.committer_timestamp()).ok()?,
        })
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct QueueEntry {
    time: i64,
    /// Insertion order, so equal dates pop first-in first-out (like git's date-ordered list).
    seq: std::cmp::Reverse<u64>,
    id: ObjectId,
}

/// A date-ordered walk, like `git log [<start>] [-- <path>]` without `--follow`: newest
/// commit date first; with a path, only commits that are not TREESAME to any parent for that
/// path, and at a merge that is TREESAME to a parent only that parent is followed (git's
/// default history simplification).
///
/// Iterate it for [`crate::CommitSummary`]s; each item costs one commit decode, and finding
/// it costs one cheap step per commit walked past.
pub struct LogWalk {
    src: CommitSource,
    path: Option<PathCache>,
    keys: Option<crate::bloom::PathKeys>,
    bloom_skips: usize,
    heap: BinaryHeap<QueueEntry>,
    seen: HashSet<ObjectId>,
    seq: u64,
    visited: usize,
    buf: Vec<u8>,
}

impl std::fmt::Debug for LogWalk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWalk")
            .field("visited", &self.visited)
            .field("queued", &self.heap.len())
            .finish_non_exhaustive()
    }
}

impl LogWalk {
    fn push(&mut self, id: ObjectId) -> Result<()> {
        if !self.seen.insert(id) {
            return Ok(());
        }
        // A missing parent (shallow or damaged repository) ends that line of history.
        if let Some(node) = self.src.get(&id)? {
            self.heap.push(QueueEntry {
                time: node.time,
                seq: std::cmp::Reverse(self.seq),
                id,
            });
            self.seq += 1;
        }
        Ok(())
    }

    /// Commits taken off the queue so far (shown or not).
    pub fn visited(&self) -> usize {
        self.visited
    }

    /// Whether the walk reads the commit-graph file.
    pub fn uses_commit_graph(&self) -> bool {
        self.src.has_graph()
    }

    /// Commits whose path comparison the changed-path Bloom filters answered.
    pub fn bloom_skips(&self) -> usize {
        self.bloom_skips
    }

    /// The id of the next commit to show, without reading its message.
    pub fn next_id(&mut self) -> Result<Option<Oid>> {
        while let Some(entry) = self.heap.pop() {
            self.visited += 1;
            let Some(node) = self.src.get(&entry.id)? else {
                continue;
            };
            let (show, follow): (bool, Vec<ObjectId>) = match &mut self.path {
                None => (true, node.parents.clone()),
                Some(pc) => {
                    if node.parents.is_empty() {
                        (pc.resolve(&self.src.repo, node.tree)?.is_some(), Vec::new())
                    } else {
                        let mut same_parent = None;
                        if let (Some(bloom), Some(keys)) = (&self.src.bloom, &self.keys)
                            && bloom.definitely_unchanged(&entry.id, keys)
                            && self.src.get(&node.parents[0])?.is_some()
                        {
                            same_parent = Some(node.parents[0]);
                            self.bloom_skips += 1;
                        }
                        if same_parent.is_none() {
                            for p in &node.parents {
                                let Some(pnode) = self.src.get(p)? else {
                                    continue;
                                };
                                if pc.same(&self.src.repo, node.tree, pnode.tree)? {
                                    same_parent = Some(*p);
                                    break;
                                }
                            }
                        }
                        match same_parent {
                            Some(p) => (false, vec![p]),
                            None => (true, node.parents.clone()),
                        }
                    }
                }
            };
            for p in follow {
                self.push(p)?;
            }
            if show {
                return Ok(Some(Oid::from_gix(&entry.id)));
            }
        }
        Ok(None)
    }

    /// Skip `n` commits that would be shown.
    pub fn skip_commits(&mut self, n: usize) -> Result<()> {
        for _ in 0..n {
            if self.next_id()?.is_none() {
                break;
            }
        }
        Ok(())
    }
}

impl Iterator for LogWalk {
    type Item = Result<CommitSummary>;

    fn next(&mut self) -> Option<Self::Item> {
        let id = match self.next_id() {
            Ok(Some(id)) => id,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        match objects::read_summary(&self.src.repo, &id.to_gix(), &mut self.buf) {
            Ok(Some(s)) => Some(Ok(s)),
            Ok(None) => Some(Err(Error::MissingObject(id))),
            Err(e) => Some(Err(e)),
        }
    }
}

/// A growable bit set over entry indices.
#[derive(Clone, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn with_len(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }
    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    fn union(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= *b;
        }
    }
    fn intersect(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= *b;
        }
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(wi, w)| {
            let w = *w;
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| wi * 64 + b)
        })
    }
}

type Entries = Arc<Vec<Option<(ObjectId, gix::objs::tree::EntryMode)>>>;

/// The entries of interest in directory trees, by tree id (a small, recently-used cache).
struct DirEntries<'n> {
    index: StdHashMap<&'n [u8], usize>,
    n: usize,
    cache: HashMap<ObjectId, Entries>,
    buf: Vec<u8>,
}

impl DirEntries<'_> {
    fn get(&mut self, repo: &gix::Repository, tree: Option<ObjectId>) -> Result<Entries> {
        let Some(tree) = tree else {
            return Ok(Arc::new(vec![None; self.n]));
        };
        if let Some(found) = self.cache.get(&tree) {
            return Ok(found.clone());
        }
        let mut out = vec![None; self.n];
        if let Some(data) = objects::read_kind(repo, &tree, gix::objs::Kind::Tree, &mut self.buf)? {
            for entry in gix::objs::TreeRefIter::from_bytes(data, objects::HASH) {
                let Ok(entry) = entry else { break };
                if let Some(&i) = self.index.get(entry.filename.as_bytes()) {
                    out[i] = Some((entry.oid.to_owned(), entry.mode));
                }
            }
        }
        let out = Arc::new(out);
        if self.cache.len() >= 512 {
            self.cache.clear();
        }
        self.cache.insert(tree, out.clone());
        Ok(out)
    }
}

impl Repository {
    /// A thread-local handle for walks, which decode many trees whose deltas chain through
    /// each other: a hash-map delta base cache finds bases in O(1) (gix's default cache is
    /// a small list searched linearly).
    pub(crate) fn walk_local(&self) -> gix::Repository {
        let mut repo = self.local();
        repo.objects.set_pack_cache(|| {
            Box::new(gix_pack::cache::lru::MemoryCappedHashmap::new(
                WALK_DELTA_CACHE_BYTES,
            ))
        });
        repo
    }

    /// A commit source for walks: commit-graph and its Bloom filters when present.
    pub(crate) fn commit_source(&self) -> CommitSource {
        let mut src = CommitSource::new(self.walk_local());
        if src.has_graph() {
            src.bloom = self.bloom_filters();
        }
        src
    }

    /// A [`LogWalk`] from `start`, limited to commits that changed `path` if one is given
    /// (an empty path means no limit). `Ok(None)` if `start` is not a commit or the path is
    /// invalid (`..`, empty components).
    pub fn log_walk(&self, start: Oid, path: Option<&str>) -> Result<Option<LogWalk>> {
        let components = match path {
            None => None,
            Some(p) => match split_path(p) {
                None => return Ok(None),
                Some(c) if c.is_empty() => None,
                Some(c) => Some(c),
            },
        };
        let src = self.commit_source();
        let keys = match (&components, &src.bloom) {
            (Some(c), Some(b)) => Some(crate::bloom::PathKeys::new(c, b.version)),
            _ => None,
        };
        let mut walk = LogWalk {
            src,
            path: components.map(|c| PathCache::new(&c)),
            keys,
            bloom_skips: 0,
            heap: BinaryHeap::new(),
            seen: HashSet::default(),
            seq: 0,
            visited: 0,
            buf: Vec::new(),
        };
        if walk.src.get(&start.to_gix())?.is_none() {
            return Ok(None);
        }
        walk.push(start.to_gix())?;
        Ok(Some(walk))
    }

    /// One page of `git log start [-- path]`: skip `skip` commits, return at most `limit`,
    /// newest commit date first. See [`LogWalk`] for the exact semantics (git's default
    /// history simplification, no rename following). Skipped commits are walked, not read.
    /// Empty when `start` is not a commit or the path is invalid.
    pub fn log(
        &self,
        start: Oid,
        path: Option<&str>,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<CommitSummary>> {
        let Some(mut walk) = self.log_walk(start, path)? else {
            return Ok(Vec::new());
        };
        walk.skip_commits(skip)?;
        walk.take(limit).collect()
    }

    /// For each of `names` (entries of directory `dir` at `commit`), the most recent commit
    /// that changed it: what `git log -1 <commit> -- <dir>/<name>` shows (full history with
    /// git's default simplification, date order, no rename following).
    ///
    /// One walk serves all entries: each commit carries the set of entries whose simplified
    /// history passes through it, compares only the ids of those entries in its tree and its
    /// parents' trees at `dir`, and the walk stops once every entry is resolved. Bounded by
    /// [`LAST_COMMITS_MAX_VISITS`] commits; entries not resolved by then (and names that are
    /// not entries of `dir`) are absent from the result.
    pub fn last_commits(
        &self,
        commit: Oid,
        dir: &str,
        names: &[String],
    ) -> Result<std::collections::HashMap<String, crate::CommitSummary>> {
        self.last_commits_bounded(commit, dir, names, LAST_COMMITS_MAX_VISITS)
    }

    /// [`Repository::last_commits`] with an explicit bound on the commits visited.
    pub fn last_commits_bounded(
        &self,
        commit: Oid,
        dir: &str,
        names: &[String],
        max_commits: usize,
    ) -> Result<std::collections::HashMap<String, crate::CommitSummary>> {
        let mut result = std::collections::HashMap::new();
        let Some(components) = split_path(dir) else {
            return Ok(result);
        };
        let mut src = self.commit_source();
        let keys = match &src.bloom {
            Some(b) if !components.is_empty() => {
                Some(crate::bloom::PathKeys::new(&components, b.version))
            }
            _ => None,
        };
        let start = commit.to_gix();
        let Some(tip) = src.get(&start)? else {
            return Ok(result);
        };
        let n = names.len();
        if n == 0 {
            return Ok(result);
        }
        let mut dirs = PathCache::new(&components);
        let mut entries = DirEntries {
            index: names
                .iter()
                .enumerate()
                .map(|(i, name)| (name.as_bytes(), i))
                .collect(),
            n,
            cache: HashMap::default(),
            buf: Vec::new(),
        };
        let dir_tree = |dirs: &mut PathCache,
                        repo: &gix::Repository,
                        root: ObjectId|
         -> Result<Option<ObjectId>> {
            Ok(match dirs.resolve(repo, root)? {
                Some((id, mode)) if mode.is_tree() => Some(id),
                _ => None,
            })
        };

        // Only names that exist at the tip can be resolved.
        let mut unresolved = Bits::with_len(n);
        {
            let tip_dir = dir_tree(&mut dirs, &src.repo, tip.tree)?;
            let tip_entries = entries.get(&src.repo, tip_dir)?;
            for (i, e) in tip_entries.iter().enumerate() {
                if e.is_some() {
                    unresolved.set(i);
                }
            }
        }
        let mut found: Vec<Option<ObjectId>> = vec![None; n];
        let mut pending: HashMap<ObjectId, Bits> = HashMap::default();
        let mut heap = BinaryHeap::new();
        let mut seq = 0u64;
        pending.insert(start, unresolved.clone());
        heap.push(QueueEntry {
            time: tip.time,
            seq: std::cmp::Reverse(seq),
            id: start,
        });
        let mut visited = 0usize;
        while !unresolved.is_empty() && visited < max_commits {
            let Some(entry) = heap.pop() else { break };
            let Some(mut interest) = pending.remove(&entry.id) else {
                continue;
            };
            interest.intersect(&unresolved);
            if interest.is_empty() {
                continue;
            }
            visited += 1;
            let Some(node) = src.get(&entry.id)? else {
                continue;
            };
            if let (Some(bloom), Some(keys), Some(p0)) = (&src.bloom, &keys, node.parents.first())
                && bloom.definitely_unchanged(&entry.id, keys)
            {
                // The directory is unchanged from the first parent.
                let p0 = *p0;
                if let Some(pnode) = src.get(&p0)? {
                    match pending.get_mut(&p0) {
                        Some(existing) => existing.union(&interest),
                        None => {
                            pending.insert(p0, interest);
                            seq += 1;
                            heap.push(QueueEntry {
                                time: pnode.time,
                                seq: std::cmp::Reverse(seq),
                                id: p0,
                            });
                        }
                    }
                }
                continue;
            }
            let my_dir = dir_tree(&mut dirs, &src.repo, node.tree)?;
            let mut resolved_here = Vec::new();
            let mut to_parents: Vec<(ObjectId, Bits)> = Vec::new();
            if node.parents.is_empty() {
                resolved_here.extend(interest.iter());
            } else {
                let mut parent_dirs = Vec::with_capacity(node.parents.len());
                for p in &node.parents {
                    let d = match src.get(p)? {
                        Some(pnode) => Some(dir_tree(&mut dirs, &src.repo, pnode.tree)?),
                        None => None,
                    };
                    parent_dirs.push(d);
                }
                if parent_dirs[0] == Some(my_dir) {
                    // The whole directory is unchanged from the first parent.
                    to_parents.push((node.parents[0], interest.clone()));
                } else {
                    let mine = entries.get(&src.repo, my_dir)?;
                    let mut theirs = Vec::with_capacity(parent_dirs.len());
                    for d in &parent_dirs {
                        theirs.push(match d {
                            Some(d) if *d == my_dir => None,
                            Some(d) => Some(entries.get(&src.repo, *d)?),
                            None => None,
                        });
                    }
                    let mut bits: Vec<Bits> = vec![Bits::with_len(n); node.parents.len()];
                    for i in interest.iter() {
                        let mut same = None;
                        for (k, d) in parent_dirs.iter().enumerate() {
                            let Some(d) = d else { continue };
                            let equal = if *d == my_dir {
                                true
                            } else {
                                theirs[k].as_ref().is_some_and(|t| t[i] == mine[i])
                            };
                            if equal {
                                same = Some(k);
                                break;
                            }
                        }
                        match same {
                            Some(k) => bits[k].set(i),
                            None => resolved_here.push(i),
                        }
                    }
                    for (k, b) in bits.into_iter().enumerate() {
                        if !b.is_empty() {
                            to_parents.push((node.parents[k], b));
                        }
                    }
                }
            }
            for i in resolved_here {
                found[i] = Some(entry.id);
                unresolved.clear(i);
            }
            for (p, bits) in to_parents {
                let Some(pnode) = src.get(&p)? else { continue };
                match pending.get_mut(&p) {
                    Some(existing) => existing.union(&bits),
                    None => {
                        pending.insert(p, bits);
                        seq += 1;
                        heap.push(QueueEntry {
                            time: pnode.time,
                            seq: std::cmp::Reverse(seq),
                            id: p,
                        });
                    }
                }
            }
        }

        let mut summaries: HashMap<ObjectId, crate::CommitSummary> = HashMap::default();
        let mut buf = Vec::new();
        for (i, id) in found.iter().enumerate() {
            let Some(id) = id else { continue };
            if !summaries.contains_key(id)
                && let Some(s) = objects::read_summary(&src.repo, id, &mut buf)?
            {
                summaries.insert(*id, s);
            }
            if let Some(s) = summaries.get(id) {
                result.insert(names[i].clone(), s.clone());
            }
        }
        Ok(result)
    }
}
