//! Negotiation helpers, object counting and pack streaming for upload-pack.

use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gix::ObjectId;
use gix::hashtable::{HashMap, HashSet};
use gix::objs::FindHeader;
use gix_pack::Find as PackFind;

use crate::clone_list;
use crate::error::git;
use crate::walk::{Commits, LimitWalk, limit_walk, peel};
use crate::{Error, Oid, Repository, Result};

pub use crate::shallow::{Deepen, ShallowUpdate};

/// How often counting reports progress.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);
/// With more boundary commits than this, a new commit's trees are only compared with the
/// trees of its own boundary parents.
const MAX_SHARED_EDGES: usize = 16;

/// Receives human-readable progress text (lines end in `\r` or `\n`), for side-band 2.
pub trait Progress {
    /// One progress message.
    fn message(&mut self, text: &str);
}

impl Progress for () {
    fn message(&mut self, _text: &str) {}
}

/// An object filter of a partial clone (`filter <spec>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// `blob:none`: no blobs.
    BlobNone,
    /// `blob:limit=<n>`: only blobs smaller than `n` bytes.
    BlobLimit(u64),
    /// `tree:<depth>`: no trees or blobs at depth `depth` or deeper (root tree is at 0).
    TreeDepth(u64),
}

/// An unsupported or malformed filter specification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported filter specification {0:?} (supported: blob:none, blob:limit=<n>, tree:<depth>)"
)]
pub struct FilterParseError(pub String);

impl std::str::FromStr for Filter {
    type Err = FilterParseError;
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let err = || FilterParseError(spec.to_owned());
        if spec == "blob:none" {
            return Ok(Filter::BlobNone);
        }
        if let Some(limit) = spec.strip_prefix("blob:limit=") {
            return parse_size(limit).map(Filter::BlobLimit).ok_or_else(err);
        }
        if let Some(depth) = spec.strip_prefix("tree:") {
            return depth
                .parse::<u64>()
                .map(Filter::TreeDepth)
                .map_err(|_| err());
        }
        Err(err())
    }
}

impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Filter::BlobNone => f.write_str("blob:none"),
            Filter::BlobLimit(n) => write!(f, "blob:limit={n}"),
            Filter::TreeDepth(n) => write!(f, "tree:{n}"),
        }
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let (digits, mult) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1024u64),
        b'm' | b'M' => (&s[..s.len() - 1], 1024 * 1024),
        b'g' | b'G' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// State of a want/have negotiation (one request's worth; stateless HTTP resends haves).
pub struct Negotiation {
    commits: Commits,
    wants: Vec<ObjectId>,
    ready_wants: Vec<bool>,
    they_have: HashSet<ObjectId>,
    common: Vec<Oid>,
    common_set: HashSet<ObjectId>,
    oldest_have: Option<i64>,
}

impl Negotiation {
    /// Start negotiating for `wants` (which must exist).
    pub fn new(repo: &Repository, wants: &[Oid]) -> Result<Self> {
        let local = repo.local();
        let mut buf = Vec::new();
        let mut peeled = Vec::new();
        for w in wants {
            match peel(&local, w.to_gix(), &mut buf)? {
                Some((id, gix::objs::Kind::Commit)) => peeled.push(Some(id)),
                Some(_) => peeled.push(None),
                None => return Err(Error::MissingObject(*w)),
            }
        }
        let ready_wants = peeled.iter().map(Option::is_none).collect();
        Ok(Negotiation {
            commits: Commits::new(local),
            wants: peeled
                .into_iter()
                .map(|p| p.unwrap_or_else(|| gix::hash::Kind::Sha1.null()))
                .collect(),
            ready_wants,
            they_have: HashSet::default(),
            common: Vec::new(),
            common_set: HashSet::default(),
            oldest_have: None,
        })
    }

    /// Record a `have`; returns whether we have the object (it is then common).
    pub fn have(&mut self, oid: Oid) -> Result<bool> {
        let id = oid.to_gix();
        if !self.commits.repo().has_object(id) {
            return Ok(false);
        }
        if self.common_set.insert(id) {
            self.common.push(oid);
        }
        if let Some(info) = self.commits.get(&id)? {
            self.they_have.insert(id);
            self.they_have.extend(info.parents.iter().copied());
            self.oldest_have = Some(self.oldest_have.map_or(info.time, |t| t.min(info.time)));
        }
        Ok(true)
    }

    /// Whether every want reaches a commit the client has (git's `ok_to_give_up`).
    pub fn ready(&mut self) -> Result<bool> {
        if self.common.is_empty() {
            return Ok(false);
        }
        let cutoff = self.oldest_have.unwrap_or(i64::MIN);
        for i in 0..self.wants.len() {
            if self.ready_wants[i] {
                continue;
            }
            if self.reaches_common(self.wants[i], cutoff)? {
                self.ready_wants[i] = true;
            } else {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn reaches_common(&mut self, want: ObjectId, cutoff: i64) -> Result<bool> {
        let mut stack = vec![want];
        let mut seen = HashSet::default();
        while let Some(id) = stack.pop() {
            if self.they_have.contains(&id) {
                return Ok(true);
            }
            if !seen.insert(id) {
                continue;
            }
            let Some(info) = self.commits.get(&id)? else {
                continue;
            };
            if info.time < cutoff {
                continue;
            }
            stack.extend(info.parents.iter().copied());
        }
        Ok(false)
    }

    /// The haves we have, in the order first seen.
    pub fn common(&self) -> &[Oid] {
        &self.common
    }
}

/// How to build a pack.
#[derive(Debug, Clone, Default)]
pub struct PackOptions {
    /// The client accepts deltas against objects it has but that are not in the pack.
    pub thin_pack: bool,
    /// The client accepts offset deltas (otherwise ref deltas are used).
    pub ofs_delta: bool,
    /// Also send annotated tags that point at sent objects.
    pub include_tag: bool,
    /// Partial clone filter.
    pub filter: Option<Filter>,
}

/// Statistics of a written pack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackStats {
    /// Objects in the pack.
    pub objects: usize,
    /// Of those, commits.
    pub commits: usize,
    /// Entries copied as deltas from existing packs.
    pub reused_deltas: usize,
    /// Of those, deltas against objects not in the pack (thin).
    pub thin_deltas: usize,
    /// Entries copied as whole objects from existing packs.
    pub reused_objects: usize,
    /// Entries that were decoded and compressed again (loose objects, deltas without base).
    pub recompressed: usize,
    /// Bytes written, including header and trailer.
    pub bytes: u64,
}

/// The objects a fetch will send, counted and checked; write it with [`PackPlan::write`].
pub struct PackPlan {
    repo: gix::Repository,
    /// Pack tables read while planning, reused to name the bases of offset deltas.
    locator: Option<Locator>,
    /// Objects in output order with their pack location, if packed.
    entries: Vec<(ObjectId, Option<gix_pack::data::entry::Location>)>,
    thin_bases: HashSet<ObjectId>,
    options: PackOptions,
    commits: usize,
}

struct TreeEntry {
    name: Vec<u8>,
    is_tree: bool,
    is_submodule: bool,
    id: ObjectId,
}

struct Counter<'a> {
    repo: &'a gix::Repository,
    filter: Option<Filter>,
    sent: HashSet<ObjectId>,
    order: Vec<ObjectId>,
    known: HashSet<ObjectId>,
    thin_bases: HashSet<ObjectId>,
    base_trees: HashMap<ObjectId, Rc<Vec<TreeEntry>>>,
    buf: Vec<u8>,
    progress: &'a mut dyn Progress,
    last_progress: Instant,
}

impl Counter<'_> {
    fn add(&mut self, id: ObjectId) {
        if self.sent.insert(id) {
            self.order.push(id);
            if self.last_progress.elapsed() >= PROGRESS_INTERVAL {
                self.last_progress = Instant::now();
                self.progress
                    .message(&format!("Enumerating objects: {}\r", self.order.len()));
            }
        }
    }

    fn read_tree(&mut self, id: &ObjectId) -> Result<Vec<TreeEntry>> {
        let data = gix::objs::Find::try_find(&self.repo.objects, id, &mut self.buf)
            .map_err(git("reading a tree"))?
            .ok_or_else(|| Error::MissingObject(Oid::from_gix(id)))?;
        if data.kind != gix::objs::Kind::Tree {
            return Err(Error::InvalidObject {
                oid: Oid::from_gix(id),
                reason: format!("expected a tree, found a {}", data.kind),
            });
        }
        let mut out = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(data.data, gix::hash::Kind::Sha1) {
            let entry = entry.map_err(|e| Error::InvalidObject {
                oid: Oid::from_gix(id),
                reason: format!("{e:#}"),
            })?;
            out.push(TreeEntry {
                name: entry.filename.to_vec(),
                is_tree: entry.mode.is_tree(),
                is_submodule: entry.mode.is_commit(),
                id: entry.oid.to_owned(),
            });
        }
        Ok(out)
    }

    fn base_tree(&mut self, id: &ObjectId) -> Result<Rc<Vec<TreeEntry>>> {
        if let Some(t) = self.base_trees.get(id) {
            return Ok(t.clone());
        }
        let mut entries = self.read_tree(id)?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let entries = Rc::new(entries);
        self.base_trees.insert(*id, entries.clone());
        Ok(entries)
    }

    fn mark_known(&mut self, id: ObjectId, is_tree: bool) {
        self.known.insert(id);
        // Under a filter the client may lack blobs of its own commits: no deltas against them.
        if is_tree || self.filter.is_none() {
            self.thin_bases.insert(id);
        }
    }

    /// Add `tree` and what it contains, except what the trees in `bases` (at the same path,
    /// all known to the client) already have.
    fn walk_tree(
        &mut self,
        tree: ObjectId,
        bases: &[ObjectId],
        depth: u64,
        user_given: bool,
    ) -> Result<()> {
        if !user_given {
            if self.sent.contains(&tree) || self.known.contains(&tree) {
                return Ok(());
            }
            if bases.contains(&tree) {
                self.mark_known(tree, true);
                return Ok(());
            }
            if let Some(Filter::TreeDepth(max)) = self.filter
                && depth >= max
            {
                return Ok(());
            }
        }
        self.add(tree);
        if let Some(Filter::TreeDepth(max)) = self.filter
            && depth + 1 >= max
        {
            // Nothing below this tree is sent; no need to read it (its existence was checked
            // by the caller or is checked when locating it).
            return Ok(());
        }
        let entries = self.read_tree(&tree)?;
        let mut base_entries = Vec::with_capacity(bases.len());
        for b in bases {
            base_entries.push(self.base_tree(b)?);
        }
        for e in &entries {
            if e.is_submodule || self.sent.contains(&e.id) || self.known.contains(&e.id) {
                continue;
            }
            let mut same_path: Vec<ObjectId> = Vec::new();
            for b in &base_entries {
                if let Ok(pos) = b.binary_search_by(|x| x.name.as_slice().cmp(&e.name))
                    && b[pos].is_tree == e.is_tree
                    && !b[pos].is_submodule
                {
                    same_path.push(b[pos].id);
                }
            }
            if same_path.contains(&e.id) {
                self.mark_known(e.id, e.is_tree);
                continue;
            }
            for base in &same_path {
                self.mark_known(*base, e.is_tree);
            }
            if e.is_tree {
                self.walk_tree(e.id, &same_path, depth + 1, false)?;
            } else if self.blob_passes_filter(&e.id, depth + 1)? {
                self.add(e.id);
            }
        }
        Ok(())
    }

    fn blob_passes_filter(&mut self, id: &ObjectId, depth: u64) -> Result<bool> {
        Ok(match self.filter {
            None => true,
            Some(Filter::BlobNone) => false,
            Some(Filter::TreeDepth(max)) => depth < max,
            Some(Filter::BlobLimit(limit)) => {
                let header = self
                    .repo
                    .objects
                    .try_header(id)
                    .map_err(git("reading an object header"))?
                    .ok_or_else(|| Error::MissingObject(Oid::from_gix(id)))?;
                header.size < limit
            }
        })
    }
}

/// Finds where objects lie in packs without decompressing them.
///
/// gix's `location_by_oid` inflates every entry it locates, only to learn its compressed
/// size; for a clone that is a second decompression of every blob in the repository. This
/// reads a pack's index once instead (object ids in order, with offsets) and takes an
/// entry's size from the offset of the entry that follows it in the pack. Objects in packs
/// not seen yet, the last entry of a pack and repositories with a multi-pack index (whose
/// per-pack lists can omit entries, which would make sizes wrong) fall back to gix.
pub(crate) struct Locator {
    tables: Vec<PackTable>,
    /// Pack ids whose table could not be read; gix locates their objects.
    untabled: Vec<u32>,
    enabled: bool,
    buf: Vec<u8>,
}

struct PackTable {
    pack_id: u32,
    /// Sorted by object id: (offset, entry size or 0 when unknown, id).
    by_oid: Vec<(u64, u64, ObjectId)>,
    /// `fanout[b]`: entries whose first id byte is below `b`.
    fanout: Vec<u32>,
    /// Positions in `by_oid`, sorted by offset.
    by_offset: Vec<u32>,
}

impl PackTable {
    fn load(db: &gix::odb::Handle, pack_id: u32) -> Option<Self> {
        let mut entries = db.pack_offsets_and_oid(pack_id).ok().flatten()?;
        if !entries.is_sorted_by(|a, b| a.1 <= b.1) {
            entries.sort_by_key(|e| e.1);
        }
        let mut by_oid: Vec<(u64, u64, ObjectId)> =
            entries.into_iter().map(|(off, id)| (off, 0, id)).collect();
        let count = u32::try_from(by_oid.len()).ok()?;
        let mut by_offset: Vec<u32> = (0..count).collect();
        by_offset.sort_unstable_by_key(|&i| by_oid[i as usize].0);
        for pair in by_offset.windows(2) {
            let (this, next) = (pair[0] as usize, pair[1] as usize);
            by_oid[this].1 = by_oid[next].0.saturating_sub(by_oid[this].0);
        }
        let mut fanout = vec![0u32; 257];
        for (_, _, id) in &by_oid {
            fanout[usize::from(id.as_bytes()[0]) + 1] += 1;
        }
        for b in 1..257 {
            fanout[b] += fanout[b - 1];
        }
        Some(PackTable {
            pack_id,
            by_oid,
            fanout,
            by_offset,
        })
    }

    fn find(&self, id: &ObjectId) -> Option<&(u64, u64, ObjectId)> {
        let first = usize::from(id.as_bytes()[0]);
        let range = self.fanout[first] as usize..self.fanout[first + 1] as usize;
        let slice = &self.by_oid[range];
        slice
            .binary_search_by(|e| e.2.cmp(id))
            .ok()
            .map(|i| &slice[i])
    }

    fn id_at(&self, offset: u64) -> Option<ObjectId> {
        self.by_offset
            .binary_search_by_key(&offset, |&i| self.by_oid[i as usize].0)
            .ok()
            .map(|i| self.by_oid[self.by_offset[i] as usize].2)
    }
}

impl Locator {
    pub(crate) fn new(repo: &gix::Repository) -> Self {
        let objects = repo.objects.store_ref().path();
        // Only this repository's own, single-index packs are tabled.
        let enabled = !objects.join("pack").join("multi-pack-index").exists()
            && !objects.join("info").join("alternates").exists();
        Locator {
            tables: Vec::new(),
            untabled: Vec::new(),
            enabled,
            buf: Vec::new(),
        }
    }

    /// Where `id` is stored in a pack, or `None` if it is not packed.
    pub(crate) fn locate(
        &mut self,
        db: &gix::odb::Handle,
        id: &ObjectId,
    ) -> Result<Option<gix_pack::data::entry::Location>> {
        for t in &self.tables {
            if let Some(&(offset, size, _)) = t.find(id) {
                if size == 0 {
                    break;
                }
                if let Ok(entry_size) = usize::try_from(size) {
                    return Ok(Some(gix_pack::data::entry::Location {
                        pack_id: t.pack_id,
                        entry_size,
                        pack_offset: offset,
                    }));
                }
                break;
            }
        }
        let loc = db
            .location_by_oid(id, &mut self.buf)
            .map_err(git("locating an object"))?;
        if self.enabled
            && let Some(loc) = &loc
            && !self.untabled.contains(&loc.pack_id)
            && !self.tables.iter().any(|t| t.pack_id == loc.pack_id)
        {
            match PackTable::load(db, loc.pack_id) {
                Some(t) => self.tables.push(t),
                None => self.untabled.push(loc.pack_id),
            }
        }
        Ok(loc)
    }

    /// The id of the object at `offset` in pack `pack_id`, if that pack's table is loaded.
    fn id_at(&self, pack_id: u32, offset: u64) -> Option<Option<ObjectId>> {
        self.tables
            .iter()
            .find(|t| t.pack_id == pack_id)
            .map(|t| t.id_at(offset))
    }
}

impl Repository {
    /// Decide which objects to send for `wants` to a client that has `common` (the haves
    /// we have), honouring the shallow boundary and the options. Every object is located
    /// and checked here, before anything is written.
    pub fn plan_pack(
        &self,
        wants: &[Oid],
        common: &[Oid],
        shallow: &ShallowUpdate,
        options: &PackOptions,
        progress: &mut dyn Progress,
    ) -> Result<PackPlan> {
        let repo = self.pack_local();
        // A full clone (nothing in common, no shallow boundary, no filter) sends what its
        // wants reach; the last one's list is kept (see `clone_list`).
        let full_clone = common.is_empty()
            && shallow.grafts.is_empty()
            && shallow.extra_wants.is_empty()
            && shallow.extra_edges.is_empty()
            && options.filter.is_none();
        let list_key = if full_clone {
            let tags = if options.include_tag {
                Some(
                    self.refs()?
                        .into_iter()
                        .filter(|r| r.name.starts_with("refs/tags/"))
                        .map(|r| r.target)
                        .collect(),
                )
            } else {
                None
            };
            clone_list::key(wants, tags)
        } else {
            None
        };
        if let Some(key) = &list_key
            && let Some(list) = clone_list::read(&self.objects_dir(), key)
        {
            progress.message(&format!("Enumerating objects: {}, done.\n", list.ids.len()));
            return locate_all(repo, list.ids, HashSet::default(), options, list.commits);
        }
        let mut buf = Vec::new();
        let mut counter = Counter {
            repo: &repo,
            filter: options.filter,
            sent: HashSet::default(),
            order: Vec::new(),
            known: HashSet::default(),
            thin_bases: HashSet::default(),
            base_trees: HashMap::default(),
            buf: Vec::new(),
            progress,
            last_progress: Instant::now(),
        };

        // What the client has: common commits (and other common objects).
        let mut have_commits = Vec::new();
        for c in common {
            let id = c.to_gix();
            counter.known.insert(id);
            if let Some((peeled, kind)) = peel(&repo, id, &mut buf)? {
                counter.known.insert(peeled);
                if kind == gix::objs::Kind::Commit {
                    have_commits.push(peeled);
                } else if kind == gix::objs::Kind::Tree || kind == gix::objs::Kind::Blob {
                    counter.thin_bases.insert(peeled);
                }
            }
        }
        have_commits.extend(shallow.extra_edges.iter().copied());

        // Wants: tags are sent and peeled, commits walked, trees and blobs sent as given.
        let mut want_commits = Vec::new();
        let mut want_trees = Vec::new();
        for w in wants {
            let mut current = w.to_gix();
            for _ in 0..32 {
                let data = gix::objs::Find::try_find(&repo.objects, &current, &mut buf)
                    .map_err(git("reading a wanted object"))?
                    .ok_or_else(|| Error::MissingObject(Oid::from_gix(&current)))?;
                match data.kind {
                    gix::objs::Kind::Tag => {
                        let target =
                            gix::objs::TagRefIter::from_bytes(data.data, gix::hash::Kind::Sha1)
                                .target_id()
                                .map_err(|e| Error::InvalidObject {
                                    oid: Oid::from_gix(&current),
                                    reason: format!("{e:#}"),
                                })?;
                        if !counter.known.contains(&current) {
                            counter.add(current);
                        }
                        current = target;
                    }
                    gix::objs::Kind::Commit => {
                        want_commits.push(current);
                        break;
                    }
                    gix::objs::Kind::Tree => {
                        want_trees.push(current);
                        break;
                    }
                    gix::objs::Kind::Blob => {
                        counter.add(current);
                        break;
                    }
                }
            }
        }
        want_commits.extend(shallow.extra_wants.iter().copied());

        let grafts: HashSet<ObjectId> = shallow.grafts.iter().copied().collect();
        let mut commits = Commits::new(repo.clone());
        let walk = limit_walk(
            &mut commits,
            &want_commits,
            &have_commits,
            &LimitWalk {
                grafts: &grafts,
                since: None,
            },
        )?;

        // The client has the edge commits and everything in their trees.
        let mut edge_trees = Vec::new();
        for e in walk.edges.iter().chain(shallow.extra_edges.iter()) {
            counter.known.insert(*e);
            if let Some(info) = commits.get(e)? {
                counter.mark_known(info.tree, true);
                if !edge_trees.contains(&info.tree) {
                    edge_trees.push(info.tree);
                }
            }
        }
        let edge_set: HashSet<ObjectId> = walk.edges.iter().copied().collect();

        for c in &walk.new_commits {
            counter.add(*c);
        }
        let commit_count = walk.new_commits.len();
        let trees_wanted = !matches!(options.filter, Some(Filter::TreeDepth(0)));
        if trees_wanted {
            for c in &walk.new_commits {
                let info = commits.must_get(c)?;
                let bases: Vec<ObjectId> = if edge_trees.len() <= MAX_SHARED_EDGES {
                    edge_trees.clone()
                } else {
                    let mut own = Vec::new();
                    if !grafts.contains(c) {
                        for p in &info.parents {
                            if edge_set.contains(p)
                                && let Some(pi) = commits.get(p)?
                            {
                                own.push(pi.tree);
                            }
                        }
                    }
                    own
                };
                counter.walk_tree(info.tree, &bases, 0, false)?;
            }
        }
        for t in want_trees {
            counter.walk_tree(t, &[], 0, true)?;
        }

        if options.include_tag {
            for r in self.refs()? {
                if !r.name.starts_with("refs/tags/") || r.peeled.is_none() {
                    continue;
                }
                let Some(peeled) = r.peeled else { continue };
                if !counter.sent.contains(&peeled.to_gix()) {
                    continue;
                }
                // Add the whole tag chain.
                let mut current = r.target.to_gix();
                for _ in 0..32 {
                    if current == peeled.to_gix() {
                        break;
                    }
                    if !counter.known.contains(&current) {
                        counter.add(current);
                    }
                    let Some(data) = gix::objs::Find::try_find(&repo.objects, &current, &mut buf)
                        .map_err(git("reading a tag"))?
                    else {
                        break;
                    };
                    if data.kind != gix::objs::Kind::Tag {
                        break;
                    }
                    match gix::objs::TagRefIter::from_bytes(data.data, gix::hash::Kind::Sha1)
                        .target_id()
                    {
                        Ok(t) => current = t,
                        Err(_) => break,
                    }
                }
            }
        }

        let enumerated = counter.order.len();
        counter
            .progress
            .message(&format!("Enumerating objects: {enumerated}, done.\n"));
        let Counter {
            order, thin_bases, ..
        } = counter;
        let plan = locate_all(repo, order, thin_bases, options, commit_count)?;
        if let Some(key) = &list_key {
            // Only a speed-up: a clone that cannot store its list still succeeds.
            let ids = plan.entries.iter().map(|(id, _)| id);
            let _ = clone_list::write(&self.objects_dir(), key, ids, commit_count);
        }
        Ok(plan)
    }
}

impl Repository {
    /// The tips a plain `git clone` asks for: every branch and tag.
    fn clone_wants(&self) -> Result<Vec<Oid>> {
        Ok(self
            .refs()?
            .into_iter()
            .filter(|r| r.name.starts_with("refs/heads/") || r.name.starts_with("refs/tags/"))
            .map(|r| r.target)
            .collect())
    }

    /// For the upkeep after a push: when full clones of this repository have stored an
    /// object list (it is being cloned) and the refs have moved since, plans the full
    /// clone of the current branches and tags now, which stores its list, so the next
    /// clone does not walk. Repositories nobody clones cost nothing. True when it planned.
    pub fn refresh_full_clone_list(&self) -> Result<bool> {
        let dir = self.objects_dir();
        if !clone_list::exists(&dir) {
            return Ok(false);
        }
        let wants = self.clone_wants()?;
        let Some(key) = clone_list::key(&wants, None) else {
            return Ok(false);
        };
        if wants.is_empty() || clone_list::read(&dir, &key).is_some() {
            return Ok(false);
        }
        self.plan_pack(
            &wants,
            &[],
            &ShallowUpdate::default(),
            &PackOptions {
                thin_pack: true,
                ofs_delta: true,
                include_tag: false,
                filter: None,
            },
            &mut (),
        )?;
        Ok(true)
    }
}

/// Locates every object to send; anything missing fails now, before a header is written.
/// Loose objects go first in the order given, then packed ones in pack order.
fn locate_all(
    repo: gix::Repository,
    order: Vec<ObjectId>,
    thin_bases: HashSet<ObjectId>,
    options: &PackOptions,
    commit_count: usize,
) -> Result<PackPlan> {
    let db: &gix::odb::Handle = &repo.objects;
    let mut locator = Locator::new(&repo);
    let mut loose = Vec::new();
    let mut packed = Vec::new();
    for id in order {
        match locator.locate(db, &id)? {
            Some(loc) => packed.push((id, Some(loc))),
            None => {
                if !PackFind::contains(db, &id) {
                    return Err(Error::MissingObject(Oid::from_gix(&id)));
                }
                loose.push((id, None));
            }
        }
    }
    packed.sort_by(|a, b| {
        let (la, lb) = (a.1.as_ref(), b.1.as_ref());
        la.map(|l| (l.pack_id, l.pack_offset))
            .cmp(&lb.map(|l| (l.pack_id, l.pack_offset)))
    });
    loose.extend(packed);
    Ok(PackPlan {
        repo,
        locator: Some(locator),
        entries: loose,
        thin_bases: if options.thin_pack {
            thin_bases
        } else {
            HashSet::default()
        },
        options: options.clone(),
        commits: commit_count,
    })
}

/// Counts and hashes what goes through it.
struct HashingWriter<'a> {
    inner: &'a mut dyn Write,
    hasher: gix::hash::Hasher,
    written: u64,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl PackPlan {
    pub(crate) fn from_entries(
        repo: gix::Repository,
        entries: Vec<(ObjectId, Option<gix_pack::data::entry::Location>)>,
        options: &PackOptions,
    ) -> Self {
        PackPlan {
            repo,
            locator: None,
            entries,
            thin_bases: HashSet::default(),
            options: options.clone(),
            commits: 0,
        }
    }

    /// Number of objects the pack will hold.
    pub fn object_count(&self) -> usize {
        self.entries.len()
    }

    /// Number of commits the pack will hold.
    pub fn commit_count(&self) -> usize {
        self.commits
    }

    /// Stream the pack to `out`: header, entries (copied from existing packs where
    /// possible, deltas included), trailer. Never holds the whole pack in memory.
    pub fn write(self, out: &mut dyn Write, progress: &mut dyn Progress) -> Result<PackStats> {
        use gix_pack::data::entry::Header;
        let db: &gix::odb::Handle = &self.repo.objects;
        let total = self.entries.len();
        let count = u32::try_from(total)
            .map_err(|_| Error::InvalidInput("too many objects for one pack".into()))?;
        let mut w = HashingWriter {
            inner: out,
            hasher: gix::hash::hasher(gix::hash::Kind::Sha1),
            written: 0,
        };
        w.write_all(&gix_pack::data::header::encode(
            gix_pack::data::Version::V2,
            count,
        ))?;

        let mut position_of: HashMap<ObjectId, usize> = HashMap::default();
        position_of.reserve(total);
        for (i, (id, _)) in self.entries.iter().enumerate() {
            position_of.insert(*id, i);
        }
        let mut out_offsets: Vec<u64> = Vec::with_capacity(total);
        let mut offsets_by_pack: std::collections::HashMap<u32, Vec<(u64, ObjectId)>> =
            Default::default();
        let mut stats = PackStats {
            objects: total,
            commits: self.commits,
            ..Default::default()
        };
        let mut buf = Vec::new();
        let mut last_progress = Instant::now();
        let compression =
            gix_pack::data::output::entry::iter_from_counts::Options::default().compression;

        for (pos, (id, loc)) in self.entries.iter().enumerate() {
            let offset = w.written;
            out_offsets.push(offset);
            if last_progress.elapsed() >= PROGRESS_INTERVAL {
                last_progress = Instant::now();
                progress.message(&format!(
                    "Writing objects: {}% ({pos}/{total})\r",
                    pos * 100 / total.max(1)
                ));
            }
            let mut written = false;
            if let Some(loc) = loc
                && let Some(entry) = db.entry_by_location(loc)
                && entry.version == gix_pack::data::Version::V2
            {
                let parsed =
                    gix_pack::data::Entry::from_bytes(&entry.data, 0, gix::hash::Kind::Sha1)
                        .map_err(git("decoding a pack entry"))?;
                let start = usize::try_from(parsed.data_offset)
                    .map_err(|_| Error::InvalidInput("pack entry header too large".into()))?;
                let compressed = entry.data.get(start..).unwrap_or_default();
                let header = match parsed.header {
                    Header::Commit | Header::Tree | Header::Blob | Header::Tag => {
                        stats.reused_objects += 1;
                        Some(parsed.header)
                    }
                    Header::OfsDelta { base_distance } => {
                        let base =
                            Header::verified_base_pack_offset(loc.pack_offset, base_distance)
                                .and_then(|base_offset| {
                                    match self
                                        .locator
                                        .as_ref()
                                        .and_then(|l| l.id_at(loc.pack_id, base_offset))
                                    {
                                        Some(found) => found,
                                        None => base_id_at(
                                            db,
                                            &mut offsets_by_pack,
                                            loc.pack_id,
                                            base_offset,
                                        ),
                                    }
                                });
                        base.and_then(|b| {
                            self.delta_header(
                                b,
                                pos,
                                offset,
                                &position_of,
                                &out_offsets,
                                &mut stats,
                            )
                        })
                    }
                    Header::RefDelta { base_id } => self.delta_header(
                        base_id,
                        pos,
                        offset,
                        &position_of,
                        &out_offsets,
                        &mut stats,
                    ),
                };
                if let Some(header) = header {
                    header.write_to(parsed.decompressed_size, &mut w)?;
                    w.write_all(compressed)?;
                    written = true;
                }
            }
            if !written {
                let data = PackFind::try_find(db, id, &mut buf)
                    .map_err(git("reading an object"))?
                    .ok_or_else(|| Error::MissingObject(Oid::from_gix(id)))?
                    .0;
                let count = gix_pack::data::output::Count::from_data(*id, None);
                let entry = gix_pack::data::output::Entry::from_data(&count, &data, compression)
                    .map_err(git("compressing an object"))?;
                let header = entry.to_entry_header(gix_pack::data::Version::V2, |_| 0);
                header.write_to(entry.decompressed_size as u64, &mut w)?;
                w.write_all(&entry.compressed_data)?;
                stats.recompressed += 1;
            }
        }
        let HashingWriter {
            inner,
            hasher,
            written,
        } = w;
        let checksum = hasher.try_finalize().map_err(git("hashing the pack"))?;
        inner.write_all(checksum.as_bytes())?;
        stats.bytes = written + 20;
        progress.message(&format!(
            "Total {} (delta {}), reused {} (delta {}), pack-reused 0\n",
            total,
            stats.reused_deltas,
            stats.reused_deltas + stats.reused_objects,
            stats.reused_deltas
        ));
        Ok(stats)
    }

    /// The header for a delta against `base`, if the base is usable: already written in this
    /// pack, or (thin packs) known to the client.
    fn delta_header(
        &self,
        base: ObjectId,
        pos: usize,
        offset: u64,
        position_of: &HashMap<ObjectId, usize>,
        out_offsets: &[u64],
        stats: &mut PackStats,
    ) -> Option<gix_pack::data::entry::Header> {
        use gix_pack::data::entry::Header;
        if let Some(&p) = position_of.get(&base)
            && p < pos
        {
            stats.reused_deltas += 1;
            return Some(if self.options.ofs_delta {
                Header::OfsDelta {
                    base_distance: offset - out_offsets[p],
                }
            } else {
                Header::RefDelta { base_id: base }
            });
        }
        if self.thin_bases.contains(&base) && !position_of.contains_key(&base) {
            stats.reused_deltas += 1;
            stats.thin_deltas += 1;
            return Some(Header::RefDelta { base_id: base });
        }
        None
    }
}

/// The object at `offset` in pack `pack_id`.
fn base_id_at(
    db: &gix::odb::Handle,
    cache: &mut std::collections::HashMap<u32, Vec<(u64, ObjectId)>>,
    pack_id: u32,
    offset: u64,
) -> Option<ObjectId> {
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(pack_id) {
        let mut offsets = db.pack_offsets_and_oid(pack_id).ok().flatten()?;
        offsets.sort_by_key(|e| e.0);
        slot.insert(offsets);
    }
    let offsets = cache.get(&pack_id)?;
    offsets
        .binary_search_by_key(&offset, |e| e.0)
        .ok()
        .map(|i| offsets[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    use hatchery_testkit::git::run as git;

    fn commits(work: &Path, range: std::ops::Range<usize>) {
        for i in range {
            let body: String = (0..40)
                .map(|l| format!("line {l} of {}\n", i % 7))
                .collect();
            std::fs::write(
                work.join(format!("f{}.txt", i % 5)),
                body + &format!("{i}\n"),
            )
            .unwrap();
            git(work, &["add", "-A"]);
            git(work, &["commit", "-q", "-m", &format!("c{i}")]);
        }
    }

    /// The locations the locator derives from pack indexes are exactly those gix finds by
    /// decompressing, for every object of a repository with two packs (deltas included)
    /// and loose objects.
    #[test]
    fn locator_agrees_with_gix() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("w");
        std::fs::create_dir(&work).unwrap();
        git(&work, &["init", "-q", "-b", "main"]);
        commits(&work, 0..30);
        git(&work, &["gc", "-q"]);
        commits(&work, 30..45);
        git(&work, &["repack", "-q", "-d"]);
        commits(&work, 45..50);
        let bare = dir.path().join("r.git");
        std::fs::create_dir(&bare).unwrap();
        git(&bare, &["init", "-q", "--bare"]);
        std::fs::remove_dir_all(bare.join("objects")).unwrap();
        copy_dir(&work.join(".git").join("objects"), &bare.join("objects"));
        let packs = std::fs::read_dir(bare.join("objects/pack"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "pack")
            })
            .count();
        assert_eq!(packs, 2);

        let repo = crate::Repository::open(&bare).unwrap().pack_local();
        let ids: Vec<ObjectId> = git(
            &bare,
            &[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname)",
            ],
        )
        .lines()
        .map(|l| ObjectId::from_hex(l.as_bytes()).unwrap())
        .collect();
        assert!(ids.len() > 100);
        let db: &gix::odb::Handle = &repo.objects;
        let mut locator = Locator::new(&repo);
        assert!(locator.enabled);
        let mut buf = Vec::new();
        let (mut packed, mut loose) = (0, 0);
        // Twice: the first pass loads the tables, the second uses them throughout.
        for _ in 0..2 {
            for id in &ids {
                let expected = db.location_by_oid(id, &mut buf).unwrap();
                let found = locator.locate(db, id).unwrap();
                assert_eq!(
                    found
                        .as_ref()
                        .map(|l| (l.pack_id, l.pack_offset, l.entry_size)),
                    expected
                        .as_ref()
                        .map(|l| (l.pack_id, l.pack_offset, l.entry_size)),
                    "{id}"
                );
                if found.is_some() {
                    packed += 1
                } else {
                    loose += 1
                }
            }
        }
        assert_eq!(locator.tables.len(), 2);
        assert!(packed > 0 && loose > 0);
        for t in &locator.tables {
            for &(offset, _, id) in &t.by_oid {
                assert_eq!(t.id_at(offset), Some(id));
            }
        }
    }

    /// The objects a full clone of every branch and tag would get, and the pack bytes.
    fn full_clone(repo: &crate::Repository, include_tag: bool) -> (HashSet<ObjectId>, Vec<u8>) {
        let wants: Vec<Oid> = repo
            .refs()
            .unwrap()
            .into_iter()
            .filter(|r| r.name.starts_with("refs/heads/") || r.name.starts_with("refs/tags/"))
            .map(|r| r.target)
            .collect();
        let options = PackOptions {
            thin_pack: true,
            ofs_delta: true,
            include_tag,
            filter: None,
        };
        let plan = repo
            .plan_pack(&wants, &[], &ShallowUpdate::default(), &options, &mut ())
            .unwrap();
        let ids = plan.entries.iter().map(|(id, _)| *id).collect();
        let mut pack = Vec::new();
        plan.write(&mut pack, &mut ()).unwrap();
        (ids, pack)
    }

    /// What git itself says the refs reach.
    fn reachable(bare: &Path) -> HashSet<ObjectId> {
        git(bare, &["rev-list", "--objects", "--branches", "--tags"])
            .lines()
            .map(|l| ObjectId::from_hex(&l.as_bytes()[..40]).unwrap())
            .collect()
    }

    /// A full clone served from the stored object list sends exactly what walking sends —
    /// the same bytes — on a repository with a merge, annotated and lightweight tags, a
    /// deleted branch and objects both packed and loose; a push changes the key, so the
    /// next clone walks again and is right again.
    #[test]
    fn full_clones_from_the_stored_list_equal_walking() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("w");
        std::fs::create_dir(&work).unwrap();
        git(&work, &["init", "-q", "-b", "main"]);
        commits(&work, 0..10);
        git(&work, &["checkout", "-q", "-b", "topic"]);
        for i in 10..14 {
            std::fs::write(work.join(format!("topic{i}.txt")), format!("{i}\n")).unwrap();
            git(&work, &["add", "-A"]);
            git(&work, &["commit", "-q", "-m", &format!("t{i}")]);
        }
        git(&work, &["checkout", "-q", "main"]);
        commits(&work, 14..17);
        git(&work, &["merge", "-q", "--no-edit", "--no-ff", "topic"]);
        git(&work, &["tag", "-a", "-m", "first release", "v1", "HEAD~2"]);
        git(&work, &["tag", "light", "topic"]);
        let bare = dir.path().join("r.git");
        git(dir.path(), &["clone", "-q", "--bare", "w", "r.git"]);
        git(&bare, &["gc", "-q"]);
        // A branch that is pushed and then deleted leaves objects no ref reaches.
        git(&work, &["checkout", "-q", "-b", "gone"]);
        commits(&work, 17..20);
        git(
            &work,
            &["push", "-q", bare.to_str().unwrap(), "gone", "main"],
        );
        git(&bare, &["branch", "-D", "gone"]);
        git(&work, &["checkout", "-q", "main"]);
        commits(&work, 20..23);
        git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);

        let repo = crate::Repository::open(&bare).unwrap();
        let list = clone_list::path(&repo.objects_dir());
        assert!(!list.exists());
        // Never cloned: the upkeep prepares nothing.
        assert!(!repo.refresh_full_clone_list().unwrap());
        assert!(!list.exists());
        let (walked, walked_pack) = full_clone(&repo, true);
        assert_eq!(walked, reachable(&bare));
        assert!(list.exists(), "the first full clone stores its list");
        let (listed, listed_pack) = full_clone(&repo, true);
        assert_eq!(listed, walked);
        assert_eq!(listed_pack, walked_pack, "byte for byte");

        // Without include-tag it is another clone: walked and stored in place of the other.
        let (no_tags, _) = full_clone(&repo, false);
        assert_eq!(no_tags, walked);

        // The stored list is what the next clone sends: proof that it is read, and why
        // only a list stored under the clone's own key may be.
        let wants: Vec<Oid> = repo
            .refs()
            .unwrap()
            .into_iter()
            .filter(|r| r.name.starts_with("refs/heads/") || r.name.starts_with("refs/tags/"))
            .map(|r| r.target)
            .collect();
        let key = clone_list::key(&wants, None).unwrap();
        let one: Vec<ObjectId> = walked.iter().take(1).copied().collect();
        clone_list::write(&repo.objects_dir(), &key, one.iter(), 0).unwrap();
        assert_eq!(full_clone(&repo, false).0.len(), 1);
        // Another clone (with include-tag) does not take it, and replaces it.
        assert_eq!(full_clone(&repo, true).0, walked);

        // A push moves the refs: a new key, a new walk, the new objects.
        commits(&work, 23..25);
        git(&work, &["branch", "-D", "topic"]);
        git(
            &work,
            &[
                "push",
                "-q",
                bare.to_str().unwrap(),
                "main",
                ":topic",
                "--force",
            ],
        );
        let after = reachable(&bare);
        assert_ne!(after, walked);
        // The upkeep prepares the list of a plain clone (no include-tag) of the new refs.
        assert!(repo.refresh_full_clone_list().unwrap());
        assert!(!repo.refresh_full_clone_list().unwrap(), "already current");
        let fresh = clone_list::key(&repo.clone_wants().unwrap(), None).unwrap();
        let prepared = clone_list::read(&repo.objects_dir(), &fresh).unwrap();
        assert_eq!(prepared.ids.iter().copied().collect::<HashSet<_>>(), after);
        let (pushed, pushed_pack) = full_clone(&repo, true);
        assert_eq!(pushed, after);
        let (again, again_pack) = full_clone(&repo, true);
        assert_eq!(again, after);
        assert_eq!(again_pack, pushed_pack);
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
}
