//! Shallow clone support: which commits become the client's new shallow boundary.

use gix::ObjectId;
use gix::hashtable::{HashMap, HashSet};

use crate::walk::{Commits, LimitWalk, limit_walk, peel};
use crate::{Error, Oid, Repository, Result};

/// `deepen` value git uses for `--unshallow`.
pub const INFINITE_DEPTH: u32 = 0x7fff_ffff;

/// How a fetch asks to limit (or extend) history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deepen {
    /// `deepen <n>`: keep `n` commits from each want (or from the client's current
    /// shallow boundary with `relative`).
    pub depth: Option<u32>,
    /// `deepen-relative`.
    pub relative: bool,
    /// `deepen-since <timestamp>`: only commits at least this recent.
    pub since: Option<i64>,
    /// `deepen-not <ref>`: exclude history reachable from these refs.
    pub not: Vec<String>,
}

impl Deepen {
    /// Whether any deepening was requested.
    pub fn is_requested(&self) -> bool {
        self.depth.is_some() || self.since.is_some() || !self.not.is_empty()
    }
}

/// What changes about the client's shallow boundary, and how the pack walk must treat it.
#[derive(Debug, Clone, Default)]
pub struct ShallowUpdate {
    /// Commits the client must record as shallow (`shallow <oid>` lines).
    pub shallow: Vec<Oid>,
    /// Client shallow commits that no longer are (`unshallow <oid>` lines).
    pub unshallow: Vec<Oid>,
    /// Whether `shallow`/`unshallow` lines are to be sent at all (a deepen was requested).
    pub send_lines: bool,
    pub(crate) grafts: Vec<ObjectId>,
    pub(crate) extra_wants: Vec<ObjectId>,
    pub(crate) extra_edges: Vec<ObjectId>,
}

impl Repository {
    /// Compute the shallow boundary for a fetch of `wants` by a client whose shallow commits
    /// are `client_shallow`, with the requested `deepen` (if any).
    pub fn shallow_update(
        &self,
        wants: &[Oid],
        client_shallow: &[Oid],
        deepen: &Deepen,
    ) -> Result<ShallowUpdate> {
        let repo = self.local();
        let mut commits = Commits::new(repo.clone());
        // Unknown shallow lines are ignored, like git does; non-commits are an error.
        let mut client: Vec<ObjectId> = Vec::new();
        for s in client_shallow {
            let id = s.to_gix();
            if !repo.has_object(id) {
                continue;
            }
            if commits.get(&id)?.is_none() {
                return Err(Error::InvalidInput(format!(
                    "invalid shallow object {s}: not a commit"
                )));
            }
            client.push(id);
        }
        let client_set: HashSet<ObjectId> = client.iter().copied().collect();
        if !deepen.is_requested() {
            return Ok(ShallowUpdate {
                grafts: client,
                ..Default::default()
            });
        }
        if deepen.depth.is_some() && (deepen.since.is_some() || !deepen.not.is_empty()) {
            return Err(Error::InvalidInput(
                "deepen and deepen-since (or deepen-not) cannot be used together".into(),
            ));
        }
        let mut buf = Vec::new();
        let mut want_commits = Vec::new();
        for w in wants {
            if let Some((id, gix::objs::Kind::Commit)) = peel(&repo, w.to_gix(), &mut buf)? {
                want_commits.push(id);
            }
        }

        let (result, not_shallow): (Vec<ObjectId>, HashSet<ObjectId>) = match deepen.depth {
            Some(depth) if depth >= INFINITE_DEPTH => (Vec::new(), client_set.clone()),
            Some(0) => return Err(Error::InvalidInput("deepen must be positive".into())),
            Some(depth) => {
                if deepen.relative {
                    shallow_by_depth(&mut commits, &client, depth.saturating_add(1))?
                } else {
                    shallow_by_depth(&mut commits, &want_commits, depth)?
                }
            }
            None => {
                let mut excluded = Vec::new();
                for name in &deepen.not {
                    let oid = resolve_deepen_not(self, name)?;
                    if let Some((id, gix::objs::Kind::Commit)) =
                        peel(&repo, oid.to_gix(), &mut buf)?
                    {
                        excluded.push(id);
                    }
                }
                let no_grafts = HashSet::default();
                let walk = limit_walk(
                    &mut commits,
                    &want_commits,
                    &excluded,
                    &LimitWalk {
                        grafts: &no_grafts,
                        since: deepen.since,
                    },
                )?;
                if walk.new_commits.is_empty() {
                    return Err(Error::InvalidInput(
                        "no commits selected for shallow requests".into(),
                    ));
                }
                let included: HashSet<ObjectId> = walk.new_commits.iter().copied().collect();
                let mut result = Vec::new();
                let mut not_shallow = HashSet::default();
                for id in &walk.new_commits {
                    let info = commits.must_get(id)?;
                    if info.parents.iter().any(|p| !included.contains(p)) {
                        result.push(*id);
                    } else {
                        not_shallow.insert(*id);
                    }
                }
                (result, not_shallow)
            }
        };

        let mut update = ShallowUpdate {
            send_lines: true,
            ..Default::default()
        };
        let mut graft_set: HashSet<ObjectId> = client_set.clone();
        for id in &result {
            if not_shallow.contains(id) {
                continue;
            }
            graft_set.insert(*id);
            if !client_set.contains(id) {
                update.shallow.push(Oid::from_gix(id));
            }
        }
        for id in &client {
            if not_shallow.contains(id) {
                update.unshallow.push(Oid::from_gix(id));
                let info = commits.must_get(id)?;
                update.extra_wants.extend(info.parents.iter().copied());
                update.extra_edges.push(*id);
            }
        }
        update.grafts = graft_set.into_iter().collect();
        Ok(update)
    }
}

fn resolve_deepen_not(repo: &Repository, name: &str) -> Result<Oid> {
    for candidate in [
        name.to_owned(),
        format!("refs/{name}"),
        format!("refs/tags/{name}"),
        format!("refs/heads/{name}"),
    ] {
        if candidate.starts_with("refs/")
            && crate::refs::validate_ref_name(&candidate).is_ok()
            && let Some(oid) = repo.find_ref(&candidate)?
        {
            return Ok(oid);
        }
    }
    Err(Error::InvalidInput(format!(
        "git upload-pack: ambiguous deepen-not: {name}"
    )))
}

/// git's `get_shallow_commits`: commits at distance `depth` from `heads` become shallow.
fn shallow_by_depth(
    commits: &mut Commits,
    heads: &[ObjectId],
    depth: u32,
) -> Result<(Vec<ObjectId>, HashSet<ObjectId>)> {
    let mut depths: HashMap<ObjectId, u32> = HashMap::default();
    let mut result = Vec::new();
    let mut result_set = HashSet::default();
    let mut not_shallow = HashSet::default();
    let mut stack: Vec<ObjectId> = Vec::new();
    let mut next_head = 0;
    let mut current: Option<(ObjectId, u32)> = None;
    loop {
        let (commit, mut cur_depth) = match current.take() {
            Some(c) => c,
            None => {
                if next_head < heads.len() {
                    let head = heads[next_head];
                    next_head += 1;
                    depths.insert(head, 0);
                    (head, 0)
                } else if let Some(c) = stack.pop() {
                    let d = depths.get(&c).copied().unwrap_or(0);
                    (c, d)
                } else {
                    break;
                }
            }
        };
        let info = commits.must_get(&commit)?;
        cur_depth += 1;
        if cur_depth >= depth {
            if result_set.insert(commit) {
                result.push(commit);
            }
            continue;
        }
        not_shallow.insert(commit);
        let n = info.parents.len();
        for (i, p) in info.parents.iter().enumerate() {
            match depths.get(p).copied() {
                Some(d) if cur_depth >= d => continue,
                _ => {
                    depths.insert(*p, cur_depth);
                }
            }
            if i + 1 < n {
                stack.push(*p);
            } else {
                current = Some((*p, cur_depth));
            }
        }
    }
    Ok((result, not_shallow))
}
