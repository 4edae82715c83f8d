//! Merging in process: mergeability checks, the four merge styles of a pull request,
//! "update branch", and the commits a pull request brings.
//!
//! The API (all blocking; run it on blocking threads):
//!
//! - [`Repository::mergeability`]`(base, head) -> `[`Mergeability`]: `Clean { tree,
//!   fast_forward }`, `Conflicted { paths }`, `AlreadyMerged`, `Unrelated`. It writes
//!   nothing to disk (merged blobs and trees stay in memory), so callers may run it as
//!   often as they like and cache the answer by `(base, head)`: the answer for two commit
//!   ids never changes.
//! - [`Repository::merge`]`(&`[`MergeSpec`]`) -> `[`MergeOutcome`]: builds the new commit(s)
//!   for the style ([`MergeStyle`]: `Merge`, `Squash`, `Rebase`, `FastForwardOnly`) on
//!   top of `expected_base_oid`, writes them, then moves `base_ref` with a compare-and-swap
//!   against `expected_base_oid`. A push to the base meanwhile makes it fail with
//!   [`MergeError::TargetMoved`] and the push stays; nothing a reader can reach changes.
//!   Conflicts give [`MergeError::Conflicts`] with the paths, before anything is written.
//!   Rebase replays every non-merge commit of head, oldest first, keeping each author,
//!   message and encoding, with the spec's committer (signatures are dropped, they would
//!   no longer verify); when base is already an ancestor of head it fast-forwards, as git
//!   and Gitea do.
//! - [`Repository::update_branch`]: merge base into a pull request's head branch (the
//!   "update branch" button), compare-and-swap on the head ref. For a fork, first bring
//!   the base commit into the fork with [`Repository::transfer_to`].
//!   [`Repository::prepare_update`] writes the merge commit (or the rebased commits)
//!   without moving the branch, for callers that check branch protection first.
//! - [`Repository::pull_commits`]`(base, head, limit)`: the commits of head not in base,
//!   oldest first (parents before children), with parents, authors and committers.
//!   [`Repository::merge_base`] is the best common ancestor.

use gix::bstr::ByteSlice;
use gix::hashtable::{HashMap, HashSet};
use gix::merge::blob::builtin_driver::text::Labels;
use gix::merge::tree::{TreatAsUnresolved, apply_index_entries::RemovalMode};

use crate::error::git;
use crate::{Error, Oid, PushedCommit, RefUpdate, RefUpdateError, Repository, Signature};

/// Whether `head` merges into `base` without conflicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mergeability {
    /// The merge succeeds: `tree` is the merged tree (what a merge or squash commit would
    /// hold). `fast_forward` is true when base is an ancestor of head (so `tree` is head's).
    Clean { tree: Oid, fast_forward: bool },
    /// The merge stops on these paths (sorted, each once), as `git merge-tree` lists them.
    Conflicted { paths: Vec<String> },
    /// Everything in head is already in base: there is nothing to merge.
    AlreadyMerged,
    /// Base and head share no history.
    Unrelated,
}

/// How a pull request lands on its base branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MergeStyle {
    /// A merge commit with parents (base, head), even when a fast-forward was possible.
    Merge,
    /// One commit on top of base with the merged tree; head's history is not kept.
    Squash,
    /// Head's commits replayed one by one on top of base.
    Rebase,
    /// Base moves to head; refused unless base is an ancestor of head.
    FastForwardOnly,
}

/// What [`Repository::merge`] does.
#[derive(Debug, Clone)]
pub struct MergeSpec {
    /// The branch that receives the merge, full name (`refs/heads/main`).
    pub base_ref: String,
    /// The value `base_ref` must still hold when it is moved (what the mergeability check
    /// and the person clicking saw).
    pub expected_base_oid: Oid,
    /// The commit to merge.
    pub head_oid: Oid,
    pub style: MergeStyle,
    /// Message of the merge or squash commit (unused by rebase and fast-forward).
    pub message: String,
    /// Author of the merge or squash commit.
    pub author: Signature,
    /// Committer of every commit written (merge, squash, each replayed commit).
    pub committer: Signature,
}

/// What [`Repository::prepare_update`] does: bring `base` into the branch at `head`.
#[derive(Debug, Clone, Copy)]
pub struct UpdateSpec<'a> {
    pub head: Oid,
    pub base: Oid,
    /// Replay head's commits onto base instead of merging base in.
    pub rebase: bool,
    /// The merge commit's message (unused by rebase).
    pub message: &'a str,
    pub author: &'a Signature,
    pub committer: &'a Signature,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// The new value of the base ref.
    pub new_base: Oid,
    /// The commits written, oldest first (empty for a fast-forward).
    pub created: Vec<Oid>,
}

/// Why a merge did not happen. The repository's refs are unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The target ref no longer holds the expected value (`None`: it was deleted).
    #[error("the target branch moved to {}", current.map(|c| c.to_string()).unwrap_or_else(|| "nothing".into()))]
    TargetMoved { current: Option<Oid> },
    /// The merge stops on these paths.
    #[error("merge conflicts in {}", paths.join(", "))]
    Conflicts { paths: Vec<String> },
    /// Fast-forward only was asked and base is not an ancestor of head.
    #[error("the branch cannot be fast-forwarded")]
    NotFastForward,
    /// Head is already contained in base.
    #[error("already merged")]
    AlreadyMerged,
    /// Base and head share no history.
    #[error("the histories are unrelated")]
    Unrelated,
    /// A commit named is missing or not a commit.
    #[error("object {0} is missing or not a commit")]
    MissingCommit(Oid),
    /// Reading or writing the repository failed.
    #[error(transparent)]
    Git(#[from] Error),
}

/// Result of the merge operations.
pub type MergeResult<T> = std::result::Result<T, MergeError>;

/// Bytes of decoded objects a merge may cache: trees are read again for every commit
/// replayed and for rename detection.
const MERGE_OBJECT_CACHE_BYTES: usize = 32 * 1024 * 1024;

impl Repository {
    /// A handle whose writes stay in memory until [`persist`] writes them.
    fn merge_handle(&self) -> gix::Repository {
        let mut repo = self.local();
        repo.object_cache_size(MERGE_OBJECT_CACHE_BYTES);
        repo.with_object_memory()
    }

    /// Whether `head` merges cleanly into `base`; see [`Mergeability`]. Writes nothing.
    pub fn mergeability(&self, base: Oid, head: Oid) -> MergeResult<Mergeability> {
        let repo = self.merge_handle();
        let mut merger = Merger::new(&repo)?;
        merger.mergeability(base, head)
    }

    /// Whether `head` merges cleanly into `base`, and the preview ref that says so to git
    /// clients (`refs/pull/N/merge`, as GitHub and Gitea serve it): when clean it is set to
    /// a merge commit with parents (base, head) and the merged tree, otherwise it is
    /// removed. Only `preview_ref` moves; a concurrent refresh of the same ref may win,
    /// which is fine since both wrote the merge of the same pair or a newer one.
    pub fn refresh_merge_preview(
        &self,
        preview_ref: &str,
        base: Oid,
        head: Oid,
        message: &str,
        signature: &Signature,
    ) -> MergeResult<Mergeability> {
        crate::refs::validate_ref_name(preview_ref)?;
        let repo = self.merge_handle();
        let mut merger = Merger::new(&repo)?;
        let mergeability = merger.mergeability(base, head)?;
        let new = match &mergeability {
            Mergeability::Clean { tree, .. } => Some(merger.write_commit(
                *tree,
                &[base, head],
                signature.to_gix(),
                signature.to_gix(),
                message,
            )?),
            _ => None,
        };
        persist(self, repo)?;
        let old = self.find_ref(preview_ref)?;
        if old != new {
            let update = RefUpdate {
                name: preview_ref.to_owned(),
                old,
                new,
            };
            if let Some(Err(e)) = self.update_refs(&[update], false).pop() {
                // Another refresh moved or holds it (lock): it writes the same or newer.
                if !matches!(
                    e,
                    RefUpdateError::Changed { .. } | RefUpdateError::Failed(_)
                ) {
                    return Err(Error::InvalidInput(e.to_string()).into());
                }
            }
        }
        Ok(mergeability)
    }

    /// Merge `spec.head_oid` into `spec.base_ref` in the given style; see [`MergeSpec`]
    /// and the module documentation.
    pub fn merge(&self, spec: &MergeSpec) -> MergeResult<MergeOutcome> {
        crate::refs::validate_ref_name(&spec.base_ref)?;
        let current = self.find_ref(&spec.base_ref)?;
        if current != Some(spec.expected_base_oid) {
            return Err(MergeError::TargetMoved { current });
        }
        let repo = self.merge_handle();
        let mut merger = Merger::new(&repo)?;
        let base = spec.expected_base_oid;
        let head = spec.head_oid;
        let (new_base, created) = match spec.style {
            MergeStyle::FastForwardOnly => {
                merger.commit(head)?;
                if merger.is_ancestor(head, base)? {
                    return Err(MergeError::AlreadyMerged);
                }
                if !merger.is_ancestor(base, head)? {
                    return Err(MergeError::NotFastForward);
                }
                (head, Vec::new())
            }
            MergeStyle::Merge | MergeStyle::Squash => {
                let tree = match merger.mergeability(base, head)? {
                    Mergeability::Clean { tree, .. } => tree,
                    Mergeability::Conflicted { paths } => {
                        return Err(MergeError::Conflicts { paths });
                    }
                    Mergeability::AlreadyMerged => return Err(MergeError::AlreadyMerged),
                    Mergeability::Unrelated => return Err(MergeError::Unrelated),
                };
                let parents = if spec.style == MergeStyle::Merge {
                    vec![base, head]
                } else {
                    vec![base]
                };
                let id = merger.write_commit(
                    tree,
                    &parents,
                    spec.author.to_gix(),
                    spec.committer.to_gix(),
                    &spec.message,
                )?;
                (id, vec![id])
            }
            MergeStyle::Rebase => match merger.rebase(base, head, &spec.committer)? {
                None => (head, Vec::new()),
                Some(created) => match created.last() {
                    Some(&tip) => (tip, created),
                    // Every commit was already on base.
                    None => return Err(MergeError::AlreadyMerged),
                },
            },
        };
        persist(self, repo)?;
        self.move_ref(&spec.base_ref, base, new_base)?;
        Ok(MergeOutcome { new_base, created })
    }

    /// Merge `base` into the branch `head_ref` (which must hold `expected_head`), writing
    /// a merge commit with parents (head, base). `Ok(None)` when head already contains
    /// base. `base` must exist in this repository (see [`Repository::transfer_to`]).
    pub fn update_branch(
        &self,
        head_ref: &str,
        expected_head: Oid,
        base: Oid,
        message: &str,
        author: &Signature,
        committer: &Signature,
    ) -> MergeResult<Option<Oid>> {
        crate::refs::validate_ref_name(head_ref)?;
        let current = self.find_ref(head_ref)?;
        if current != Some(expected_head) {
            return Err(MergeError::TargetMoved { current });
        }
        let update = UpdateSpec {
            head: expected_head,
            base,
            rebase: false,
            message,
            author,
            committer,
        };
        let Some(tip) = self.prepare_update(&update)? else {
            return Ok(None);
        };
        self.move_ref(head_ref, expected_head, tip)?;
        Ok(Some(tip))
    }

    /// Writes what brings `spec.base` into `spec.head` — a merge commit with parents
    /// (head, base), or head's non-merge commits replayed onto base — and returns the new
    /// tip for the head branch, without moving any ref (the objects stay unreachable until
    /// the caller moves the branch, after checking whatever it must). `Ok(None)` when head
    /// already contains base.
    pub fn prepare_update(&self, spec: &UpdateSpec<'_>) -> MergeResult<Option<Oid>> {
        let repo = self.merge_handle();
        let mut merger = Merger::new(&repo)?;
        let tip = if spec.rebase {
            match merger.rebase(spec.base, spec.head, spec.committer) {
                Ok(None) => return Ok(None),
                Ok(Some(created)) => match created.last() {
                    Some(&tip) => tip,
                    // Every commit of head is in base already: head becomes base.
                    None => spec.base,
                },
                // Head is contained in base: head becomes base.
                Err(MergeError::AlreadyMerged) => spec.base,
                Err(e) => return Err(e),
            }
        } else {
            match merger.mergeability(spec.head, spec.base)? {
                Mergeability::Clean { tree, .. } => merger.write_commit(
                    tree,
                    &[spec.head, spec.base],
                    spec.author.to_gix(),
                    spec.committer.to_gix(),
                    spec.message,
                )?,
                Mergeability::Conflicted { paths } => {
                    return Err(MergeError::Conflicts { paths });
                }
                Mergeability::AlreadyMerged => return Ok(None),
                Mergeability::Unrelated => return Err(MergeError::Unrelated),
            }
        };
        persist(self, repo)?;
        Ok(Some(tip))
    }

    /// The commits reachable from `head` but not from `base`, oldest first (every parent
    /// before its children), at most `limit` (the oldest ones).
    pub fn pull_commits(
        &self,
        base: Oid,
        head: Oid,
        limit: usize,
    ) -> MergeResult<Vec<PushedCommit>> {
        let repo = self.local();
        let merger = Merger::new(&repo)?;
        merger.commit(base)?;
        merger.commit(head)?;
        let order = merger.commits_between(base, head)?;
        let mut out = Vec::with_capacity(order.len().min(limit));
        for id in order.into_iter().take(limit) {
            let commit = repo
                .find_commit(id.to_gix())
                .map_err(git("reading a pull request commit"))?;
            let message = commit
                .message_raw()
                .map_err(git("reading a pull request commit"))?
                .to_str_lossy()
                .into_owned();
            out.push(PushedCommit {
                id,
                message,
                author: commit.author().ok().map(crate::browse::person),
                committer: commit.committer().ok().map(crate::browse::person),
                parents: commit.parent_ids().map(|p| Oid::from_gix(&p)).collect(),
            });
        }
        Ok(out)
    }

    fn move_ref(&self, name: &str, old: Oid, new: Oid) -> MergeResult<()> {
        let result = self
            .update_refs(
                &[RefUpdate {
                    name: name.to_owned(),
                    old: Some(old),
                    new: Some(new),
                }],
                true,
            )
            .pop()
            .unwrap_or(Err(RefUpdateError::Failed("not attempted".into())));
        match result {
            Ok(_) => Ok(()),
            Err(RefUpdateError::Changed { .. }) => Err(MergeError::TargetMoved {
                current: self.find_ref(name)?,
            }),
            Err(e) => {
                // A lock held by a concurrent push also means the target is moving.
                let current = self.find_ref(name)?;
                if current != Some(old) {
                    return Err(MergeError::TargetMoved { current });
                }
                Err(Error::InvalidInput(e.to_string()).into())
            }
        }
    }
}

/// Write the objects a merge kept in memory to the repository (loose objects: each is
/// written to a temporary file and renamed, and none is reachable before the ref moves).
fn persist(repo: &Repository, mut merged: gix::Repository) -> MergeResult<()> {
    let Some(memory) = merged.objects.take_object_memory() else {
        return Ok(());
    };
    let disk = repo.local();
    for (id, (kind, data)) in memory.iter() {
        if disk.has_object(id) {
            continue;
        }
        gix::objs::Write::write_buf(&disk.objects, *kind, data)
            .map_err(git("writing a merged object"))?;
    }
    Ok(())
}

/// One merge computation over an in-memory-writing handle.
struct Merger<'r> {
    repo: &'r gix::Repository,
    options: gix::merge::tree::Options,
}

impl<'r> Merger<'r> {
    fn new(repo: &'r gix::Repository) -> MergeResult<Self> {
        let options = repo
            .tree_merge_options()
            .map_err(git("reading merge options"))?;
        Ok(Merger { repo, options })
    }

    /// Check that `id` is a commit; returns its tree.
    fn commit(&self, id: Oid) -> MergeResult<gix::ObjectId> {
        crate::objects::commit_tree(self.repo, &id.to_gix())?.ok_or(MergeError::MissingCommit(id))
    }

    fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> MergeResult<bool> {
        Ok(crate::walk::is_ancestor(
            self.repo,
            ancestor.to_gix(),
            descendant.to_gix(),
        )?)
    }

    fn merge_base(&self, a: Oid, b: Oid) -> MergeResult<Option<Oid>> {
        match self.repo.merge_base(a.to_gix(), b.to_gix()) {
            Ok(Some(id)) => Ok(Some(Oid::from_gix(&id))),
            Ok(None) => Ok(None),
            Err(e) => Err(git("computing a merge base")(e).into()),
        }
    }

    fn mergeability(&mut self, base: Oid, head: Oid) -> MergeResult<Mergeability> {
        self.commit(base)?;
        let head_tree = self.commit(head)?;
        let Some(merge_base) = self.merge_base(base, head)? else {
            return Ok(Mergeability::Unrelated);
        };
        if merge_base == head {
            return Ok(Mergeability::AlreadyMerged);
        }
        if merge_base == base {
            return Ok(Mergeability::Clean {
                tree: Oid::from_gix(&head_tree),
                fast_forward: true,
            });
        }
        let labels = Labels {
            ancestor: None,
            current: Some("base".into()),
            other: Some("head".into()),
        };
        let mut outcome = self
            .repo
            .merge_commits(
                base.to_gix(),
                head.to_gix(),
                labels,
                self.options.clone().into(),
            )
            .map_err(git("merging"))?;
        let tree = outcome
            .tree_merge
            .tree
            .write()
            .map_err(git("writing the merged tree"))?
            .detach();
        if outcome
            .tree_merge
            .has_unresolved_conflicts(TreatAsUnresolved::git())
        {
            return Ok(Mergeability::Conflicted {
                paths: self.conflicted_paths(&outcome.tree_merge, tree)?,
            });
        }
        Ok(Mergeability::Clean {
            tree: Oid::from_gix(&tree),
            fast_forward: false,
        })
    }

    /// The paths git would leave in conflicted index stages: apply the conflicts to an
    /// index of the merged tree, as `git merge-tree` does.
    fn conflicted_paths(
        &self,
        outcome: &gix::merge::tree::Outcome<'_>,
        tree: gix::ObjectId,
    ) -> MergeResult<Vec<String>> {
        let mut index = self
            .repo
            .index_from_tree(&tree)
            .map_err(git("indexing the merged tree"))?;
        outcome.index_changed_after_applying_conflicts(
            &mut index,
            TreatAsUnresolved::git(),
            RemovalMode::Prune,
        );
        let mut paths: Vec<String> = index
            .entries()
            .iter()
            .filter(|e| e.stage() != gix::index::entry::Stage::Unconflicted)
            .map(|e| e.path(&index).to_str_lossy().into_owned())
            .collect();
        if paths.is_empty() {
            // Conflicts git records without stages (none known); still name the files.
            for c in &outcome.conflicts {
                if c.is_unresolved(TreatAsUnresolved::git()) {
                    paths.push(c.ours.location().to_str_lossy().into_owned());
                }
            }
        }
        paths.sort();
        paths.dedup();
        Ok(paths)
    }

    fn write_commit(
        &self,
        tree: Oid,
        parents: &[Oid],
        author: gix::actor::Signature,
        committer: gix::actor::Signature,
        message: &str,
    ) -> MergeResult<Oid> {
        let mut message = message.to_owned();
        if !message.ends_with('\n') {
            message.push('\n');
        }
        let commit = gix::objs::Commit {
            tree: tree.to_gix(),
            parents: parents.iter().map(|p| p.to_gix()).collect(),
            author,
            committer,
            encoding: None,
            message: message.into(),
            extra_headers: Vec::new(),
        };
        let id = self
            .repo
            .write_object(&commit)
            .map_err(git("writing a commit"))?;
        Ok(Oid::from_gix(&id))
    }

    /// Commits of `head` not in `base`, parents before children.
    fn commits_between(&self, base: Oid, head: Oid) -> MergeResult<Vec<Oid>> {
        let walk = self
            .repo
            .rev_walk([head.to_gix()])
            .with_hidden([base.to_gix()])
            .all()
            .map_err(git("walking pull request commits"))?;
        let mut parents: HashMap<gix::ObjectId, Vec<gix::ObjectId>> = HashMap::default();
        let mut seen_order = Vec::new();
        for info in walk {
            let info = info.map_err(git("walking pull request commits"))?;
            seen_order.push(info.id);
            parents.insert(info.id, info.parent_ids.to_vec());
        }
        // Depth-first post-order from head: every commit after all of its parents.
        let mut out = Vec::with_capacity(parents.len());
        let mut done: HashSet<gix::ObjectId> = HashSet::default();
        let mut stack = vec![(head.to_gix(), false)];
        while let Some((id, expanded)) = stack.pop() {
            if done.contains(&id) {
                continue;
            }
            let Some(ps) = parents.get(&id) else {
                continue;
            };
            if expanded {
                done.insert(id);
                out.push(Oid::from_gix(&id));
                continue;
            }
            stack.push((id, true));
            for p in ps.iter().rev() {
                if !done.contains(p) && parents.contains_key(p) {
                    stack.push((*p, false));
                }
            }
        }
        debug_assert_eq!(out.len(), seen_order.len());
        Ok(out)
    }

    /// Replay head's non-merge commits on top of base; returns the new commits, or `None`
    /// when base is an ancestor of head (a fast-forward).
    fn rebase(
        &mut self,
        base: Oid,
        head: Oid,
        committer: &Signature,
    ) -> MergeResult<Option<Vec<Oid>>> {
        let base_tree = self.commit(base)?;
        self.commit(head)?;
        let Some(merge_base) = self.merge_base(base, head)? else {
            return Err(MergeError::Unrelated);
        };
        if merge_base == head {
            return Err(MergeError::AlreadyMerged);
        }
        if merge_base == base {
            return Ok(None);
        }
        let committer = committer.to_gix();
        let mut tip = base;
        let mut tip_tree = base_tree;
        let mut created = Vec::new();
        for id in self.commits_between(base, head)? {
            let commit = self
                .repo
                .find_commit(id.to_gix())
                .map_err(git("reading a commit to replay"))?;
            let decoded = commit
                .decode()
                .map_err(git("decoding a commit to replay"))?;
            let parents: Vec<gix::ObjectId> = decoded.parents().collect();
            if parents.len() > 1 {
                continue;
            }
            let parent_tree = match parents.first() {
                Some(p) => self.commit(Oid::from_gix(p))?,
                None => gix::ObjectId::empty_tree(gix::hash::Kind::Sha1),
            };
            let own_tree = decoded.tree();
            let labels = Labels {
                ancestor: None,
                current: Some("base".into()),
                other: Some("head".into()),
            };
            let mut outcome = self
                .repo
                .merge_trees(
                    parent_tree,
                    tip_tree,
                    own_tree,
                    labels,
                    self.options.clone(),
                )
                .map_err(git("replaying a commit"))?;
            let tree = outcome
                .tree
                .write()
                .map_err(git("writing a replayed tree"))?
                .detach();
            if outcome.has_unresolved_conflicts(TreatAsUnresolved::git()) {
                return Err(MergeError::Conflicts {
                    paths: self.conflicted_paths(&outcome, tree)?,
                });
            }
            if tree == tip_tree {
                // Already applied on base: git drops such commits too.
                continue;
            }
            let author = decoded
                .author()
                .map_err(git("reading a commit's author"))?
                .to_owned()
                .map_err(git("reading a commit's author"))?;
            let replayed = gix::objs::Commit {
                tree,
                parents: [tip.to_gix()].into_iter().collect(),
                author,
                committer: committer.clone(),
                encoding: decoded.encoding.map(ToOwned::to_owned),
                message: decoded.message.to_owned(),
                extra_headers: Vec::new(),
            };
            let new_id = self
                .repo
                .write_object(&replayed)
                .map_err(git("writing a replayed commit"))?
                .detach();
            tip = Oid::from_gix(&new_id);
            tip_tree = tree;
            created.push(tip);
        }
        Ok(Some(created))
    }
}
