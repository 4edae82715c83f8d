//! Commit graph walks: ancestry tests and the "interesting minus uninteresting" walk
//! that decides which commits a fetch sends.

use std::collections::BinaryHeap;
use std::rc::Rc;

use gix::ObjectId;
use gix::hashtable::{HashMap, HashSet};
use gix::objs::Find;

use crate::error::git;
use crate::{Error, Oid, Result};

/// Walking past this many queue entries that are all uninteresting guards against clock skew.
const SLOP: usize = 5;

/// The parts of a commit a walk needs.
#[derive(Debug)]
pub(crate) struct CommitInfo {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    pub time: i64,
}

/// Parsed commits, cached.
pub(crate) struct Commits {
    repo: gix::Repository,
    map: HashMap<ObjectId, Option<Rc<CommitInfo>>>,
    buf: Vec<u8>,
}

impl Commits {
    pub fn new(repo: gix::Repository) -> Self {
        Commits {
            repo,
            map: HashMap::default(),
            buf: Vec::new(),
        }
    }

    pub fn repo(&self) -> &gix::Repository {
        &self.repo
    }

    /// The commit `id`, or `None` if it does not exist or is not a commit.
    pub fn get(&mut self, id: &ObjectId) -> Result<Option<Rc<CommitInfo>>> {
        if let Some(found) = self.map.get(id) {
            return Ok(found.clone());
        }
        let info = match self
            .repo
            .objects
            .try_find(id, &mut self.buf)
            .map_err(git("reading a commit"))?
        {
            Some(data) if data.kind == gix::objs::Kind::Commit => {
                Some(Rc::new(parse_commit(data.data, id)?))
            }
            _ => None,
        };
        self.map.insert(*id, info.clone());
        Ok(info)
    }

    /// Like [`Commits::get`] but a missing commit is an error.
    pub fn must_get(&mut self, id: &ObjectId) -> Result<Rc<CommitInfo>> {
        self.get(id)?
            .ok_or_else(|| Error::MissingObject(Oid::from_gix(id)))
    }
}

pub(crate) fn parse_commit(data: &[u8], id: &ObjectId) -> Result<CommitInfo> {
    use gix::objs::commit::ref_iter::Token;
    let mut tree = None;
    let mut parents = Vec::new();
    let mut time = 0;
    for token in gix::objs::CommitRefIter::from_bytes(data, gix::hash::Kind::Sha1) {
        match token {
            Ok(Token::Tree { id }) => tree = Some(id),
            Ok(Token::Parent { id }) => parents.push(id),
            Ok(Token::Committer { signature }) => {
                time = signature.seconds();
                break;
            }
            Ok(_) => {}
            Err(e) => {
                return Err(Error::InvalidObject {
                    oid: Oid::from_gix(id),
                    reason: format!("{e:#}"),
                });
            }
        }
    }
    let tree = tree.ok_or_else(|| Error::InvalidObject {
        oid: Oid::from_gix(id),
        reason: "commit without tree".into(),
    })?;
    Ok(CommitInfo {
        tree,
        parents,
        time,
    })
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct QueueEntry {
    time: i64,
    /// Insertion order, so equal times pop first-in first-out.
    seq: std::cmp::Reverse<u64>,
    id: ObjectId,
    /// Flags when pushed (used for counting what is left to do).
    counted: bool,
}

/// Is `ancestor` reachable from `descendant`? Paints down from both by commit date and
/// stops once everything left is reachable from both.
pub(crate) fn is_ancestor(
    repo: &gix::Repository,
    ancestor: ObjectId,
    descendant: ObjectId,
) -> Result<bool> {
    if ancestor == descendant {
        return Ok(true);
    }
    const FROM_DESC: u8 = 1;
    const FROM_ANC: u8 = 2;
    const BOTH: u8 = FROM_DESC | FROM_ANC;
    let mut commits = Commits::new(repo.clone());
    let Some(anc) = commits.get(&ancestor)? else {
        return Ok(false);
    };
    let Some(desc) = commits.get(&descendant)? else {
        return Ok(false);
    };
    let mut flags: HashMap<ObjectId, u8> = HashMap::default();
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    let mut non_stale = 0usize;
    flags.insert(descendant, FROM_DESC);
    flags.insert(ancestor, FROM_ANC);
    for (id, time) in [(descendant, desc.time), (ancestor, anc.time)] {
        heap.push(QueueEntry {
            time,
            seq: std::cmp::Reverse(seq),
            id,
            counted: true,
        });
        seq += 1;
        non_stale += 1;
    }
    while let Some(entry) = heap.pop() {
        if entry.counted {
            non_stale -= 1;
        }
        let f = flags.get(&entry.id).copied().unwrap_or(0);
        if entry.id == ancestor && f & FROM_DESC != 0 {
            return Ok(true);
        }
        let Some(info) = commits.get(&entry.id)? else {
            continue;
        };
        for p in &info.parents {
            let old = flags.get(p).copied().unwrap_or(0);
            let new = old | f;
            if new != old {
                flags.insert(*p, new);
                if *p == ancestor && new & FROM_DESC != 0 {
                    return Ok(true);
                }
                let Some(pinfo) = commits.get(p)? else {
                    continue;
                };
                let counted = new != BOTH;
                if counted {
                    non_stale += 1;
                }
                heap.push(QueueEntry {
                    time: pinfo.time,
                    seq: std::cmp::Reverse(seq),
                    id: *p,
                    counted,
                });
                seq += 1;
            }
        }
        if non_stale == 0 {
            break;
        }
    }
    Ok(flags.get(&ancestor).copied().unwrap_or(0) & FROM_DESC != 0)
}

const SEEN: u8 = 1;
const UNINTERESTING: u8 = 2;
const PROCESSED: u8 = 4;

/// The result of [`limit_walk`].
pub(crate) struct WalkOutcome {
    /// Commits reachable from the wants but not from the haves, newest first.
    pub new_commits: Vec<ObjectId>,
    /// Uninteresting commits that are parents of new commits (the client has them).
    pub edges: Vec<ObjectId>,
}

/// Options of [`limit_walk`].
pub(crate) struct LimitWalk<'a> {
    /// Commits treated as having no parents (shallow boundaries).
    pub grafts: &'a HashSet<ObjectId>,
    /// Commits older than this are excluded (and so is their history).
    pub since: Option<i64>,
}

/// Walk from `wants` (interesting) and `haves` (uninteresting) in commit date order,
/// propagating "uninteresting" to parents, until only uninteresting commits are left.
pub(crate) fn limit_walk(
    commits: &mut Commits,
    wants: &[ObjectId],
    haves: &[ObjectId],
    options: &LimitWalk<'_>,
) -> Result<WalkOutcome> {
    let mut flags: HashMap<ObjectId, u8> = HashMap::default();
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    let mut interesting_left = 0usize;
    for h in haves {
        if flags.get(h).copied().unwrap_or(0) & SEEN != 0 {
            flags.entry(*h).and_modify(|f| *f |= UNINTERESTING);
            continue;
        }
        if let Some(info) = commits.get(h)? {
            flags.insert(*h, SEEN | UNINTERESTING);
            heap.push(QueueEntry {
                time: info.time,
                seq: std::cmp::Reverse(seq),
                id: *h,
                counted: false,
            });
            seq += 1;
        }
    }
    for w in wants {
        let f = flags.get(w).copied().unwrap_or(0);
        if f & SEEN != 0 {
            continue;
        }
        let info = commits.must_get(w)?;
        flags.insert(*w, SEEN);
        heap.push(QueueEntry {
            time: info.time,
            seq: std::cmp::Reverse(seq),
            id: *w,
            counted: true,
        });
        seq += 1;
        interesting_left += 1;
    }

    let mut processed_interesting = Vec::new();
    let mut slop = SLOP;
    while let Some(entry) = heap.pop() {
        if entry.counted {
            interesting_left -= 1;
        }
        let id = entry.id;
        let mut f = flags.get(&id).copied().unwrap_or(0);
        let info = if f & UNINTERESTING != 0 {
            match commits.get(&id)? {
                Some(info) => info,
                None => continue,
            }
        } else {
            commits.must_get(&id)?
        };
        if f & UNINTERESTING == 0
            && let Some(since) = options.since
            && info.time < since
        {
            f |= UNINTERESTING;
        }
        f |= PROCESSED;
        flags.insert(id, f);
        let parents: &[ObjectId] = if options.grafts.contains(&id) {
            &[]
        } else {
            &info.parents
        };
        if f & UNINTERESTING != 0 {
            mark_parents_uninteresting(commits, &mut flags, parents, options.grafts)?;
        } else {
            processed_interesting.push(id);
        }
        for p in parents {
            let pf = flags.get(p).copied().unwrap_or(0);
            if pf & SEEN != 0 {
                continue;
            }
            let interesting = f & UNINTERESTING == 0;
            let pinfo = if interesting {
                commits.must_get(p)?
            } else {
                match commits.get(p)? {
                    Some(info) => info,
                    None => continue,
                }
            };
            flags.insert(*p, pf | SEEN | (f & UNINTERESTING));
            if interesting {
                interesting_left += 1;
            }
            heap.push(QueueEntry {
                time: pinfo.time,
                seq: std::cmp::Reverse(seq),
                id: *p,
                counted: interesting,
            });
            seq += 1;
        }
        if interesting_left > 0 {
            slop = SLOP;
        } else {
            slop -= 1;
            if slop == 0 {
                break;
            }
        }
    }

    let new_commits: Vec<ObjectId> = processed_interesting
        .into_iter()
        .filter(|id| flags.get(id).copied().unwrap_or(0) & UNINTERESTING == 0)
        .collect();
    let mut edges = Vec::new();
    let mut edge_set = HashSet::default();
    for id in &new_commits {
        if options.grafts.contains(id) {
            continue;
        }
        let info = commits.must_get(id)?;
        for p in &info.parents {
            if flags.get(p).copied().unwrap_or(0) & UNINTERESTING != 0 && edge_set.insert(*p) {
                edges.push(*p);
            }
        }
    }
    Ok(WalkOutcome { new_commits, edges })
}

/// Mark parents uninteresting, and their already processed ancestors too.
fn mark_parents_uninteresting(
    commits: &mut Commits,
    flags: &mut HashMap<ObjectId, u8>,
    parents: &[ObjectId],
    grafts: &HashSet<ObjectId>,
) -> Result<()> {
    let mut stack: Vec<ObjectId> = parents.to_vec();
    while let Some(id) = stack.pop() {
        let f = flags.get(&id).copied().unwrap_or(0);
        if f & UNINTERESTING != 0 {
            continue;
        }
        flags.insert(id, f | UNINTERESTING);
        // Parents of commits still in the queue get marked when they are popped.
        if f & PROCESSED != 0
            && !grafts.contains(&id)
            && let Some(info) = commits.get(&id)?
        {
            stack.extend(info.parents.iter().copied());
        }
    }
    Ok(())
}

/// Follow annotated tags to the object they finally point at, returning it and its kind.
pub(crate) fn peel(
    repo: &gix::Repository,
    id: ObjectId,
    buf: &mut Vec<u8>,
) -> Result<Option<(ObjectId, gix::objs::Kind)>> {
    let mut current = id;
    for _ in 0..32 {
        let Some(data) = repo
            .objects
            .try_find(&current, buf)
            .map_err(git("peeling an object"))?
        else {
            return Ok(None);
        };
        if data.kind != gix::objs::Kind::Tag {
            return Ok(Some((current, data.kind)));
        }
        current = gix::objs::TagRefIter::from_bytes(data.data, gix::hash::Kind::Sha1)
            .target_id()
            .map_err(|e| Error::InvalidObject {
                oid: Oid::from_gix(&current),
                reason: format!("{e:#}"),
            })?;
    }
    Ok(None)
}

/// Is commit `target` reachable from any of `tips` (commits)? Walks by commit date from the
/// tips and gives up on history older than `target` by more than a generous clock-skew
/// allowance.
pub(crate) fn reachable_from_any(
    repo: &gix::Repository,
    target: ObjectId,
    tips: &[ObjectId],
) -> Result<bool> {
    const SKEW: i64 = 30 * 24 * 3600;
    let mut commits = Commits::new(repo.clone());
    let Some(t) = commits.get(&target)? else {
        return Ok(false);
    };
    let cutoff = t.time.saturating_sub(SKEW);
    let mut seen: HashSet<ObjectId> = HashSet::default();
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    for tip in tips {
        if *tip == target {
            return Ok(true);
        }
        if seen.insert(*tip)
            && let Some(info) = commits.get(tip)?
        {
            heap.push(QueueEntry {
                time: info.time,
                seq: std::cmp::Reverse(seq),
                id: *tip,
                counted: true,
            });
            seq += 1;
        }
    }
    while let Some(entry) = heap.pop() {
        let Some(info) = commits.get(&entry.id)? else {
            continue;
        };
        for p in &info.parents {
            if *p == target {
                return Ok(true);
            }
            if seen.insert(*p)
                && let Some(pinfo) = commits.get(p)?
                && pinfo.time >= cutoff
            {
                heap.push(QueueEntry {
                    time: pinfo.time,
                    seq: std::cmp::Reverse(seq),
                    id: *p,
                    counted: true,
                });
                seq += 1;
            }
        }
    }
    Ok(false)
}
