//! Blame: for each line of a file, the commit that introduced it.
//!
//! git's algorithm on gix's building blocks, driven by the commit-graph and its changed-path
//! Bloom filters: suspects are taken in commit-date order; a commit whose filter says the
//! path did not change (or whose parent has the same blob) passes all its lines to that
//! parent without diffing; otherwise its blob is line-diffed (imara-diff, Myers with slider
//! heuristics) against each parent in order, unchanged lines go to the first parent that
//! has them, and what is left is blamed on the commit. When a parent lacks the path, a tree
//! diff with gix's rename tracking looks for the file's old name (like `git blame` without
//! `-C`). Only commits that changed the file are diffed, so a file with a short history in
//! a long one is fast; gix's own `blame_file` (kept as [`Repository::blame_with_gix`])
//! diffs trees of every commit.

use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};
use gix::diff::blob::{Algorithm, Diff as LineDiff, InternedInput};

use crate::bloom::PathKeys;
use crate::error::git;
use crate::history::CommitSource;
use crate::objects::{self, PathCache, split_path};
use crate::{CommitSummary, Error, Oid, Repository, Result};

/// Consecutive lines of the blamed file that come from one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlameHunk {
    /// The commit that introduced these lines.
    pub commit: CommitSummary,
    /// First line in the blamed file, 1-based.
    pub start_line: u32,
    /// Number of lines.
    pub len: u32,
    /// First line in the file as that commit had it, 1-based.
    pub orig_start_line: u32,
    /// The file's path in that commit when it differs (the file was renamed since).
    pub orig_path: Option<String>,
}

/// A blamed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blame {
    /// The file's lines without terminators (non-UTF-8 bytes replaced by U+FFFD).
    pub lines: Vec<String>,
    /// Hunks in line order, covering every line exactly once.
    pub hunks: Vec<BlameHunk>,
}

/// Lines `[start, start + len)` of a suspect's version, which are lines
/// `[tip, tip + len)` of the blamed file.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    start: u32,
    len: u32,
    tip: u32,
}

/// A commit suspected of introducing some lines, with the file's path and blob there.
struct Suspect {
    path: Arc<str>,
    blob: ObjectId,
    chunks: Vec<Chunk>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Queued {
    time: i64,
    seq: std::cmp::Reverse<u64>,
    id: ObjectId,
}

/// Per path: tree lookups and Bloom keys.
struct PathInfo {
    cache: PathCache,
    keys: Option<PathKeys>,
}

struct Blamer {
    src: CommitSource,
    paths: HashMap<Arc<str>, PathInfo>,
    blobs: HashMap<ObjectId, Arc<Vec<u8>>>,
    /// (tip start, len, commit, start in commit's version, path there)
    done: Vec<(u32, u32, ObjectId, u32, Arc<str>)>,
}

impl Blamer {
    fn path_info(&mut self, path: &Arc<str>) -> &mut PathInfo {
        let bloom_version = self.src.bloom.as_ref().map(|b| b.version);
        self.paths.entry(path.clone()).or_insert_with(|| {
            let components = split_path(path).unwrap_or_default();
            PathInfo {
                cache: PathCache::new(&components),
                keys: bloom_version.map(|v| PathKeys::new(&components, v)),
            }
        })
    }

    /// The blob at `path` below root tree `tree`.
    fn blob_at(&mut self, path: &Arc<str>, tree: ObjectId) -> Result<Option<ObjectId>> {
        let repo = self.src.repo.clone();
        let info = self.path_info(path);
        Ok(match info.cache.resolve(&repo, tree)? {
            Some((id, mode)) if !mode.is_tree() && !mode.is_commit() => Some(id),
            _ => None,
        })
    }

    fn blob(&mut self, id: &ObjectId) -> Result<Arc<Vec<u8>>> {
        if let Some(b) = self.blobs.get(id) {
            return Ok(b.clone());
        }
        let mut buf = Vec::new();
        let data = objects::read_kind(&self.src.repo, id, gix::objs::Kind::Blob, &mut buf)?
            .ok_or(Error::MissingObject(Oid::from_gix(id)))?
            .to_vec();
        let data = Arc::new(data);
        if self.blobs.len() > 64 {
            self.blobs.clear();
        }
        self.blobs.insert(*id, data.clone());
        Ok(data)
    }

    /// Where the file at `path` in `commit` came from in `parent` when `parent` lacks that
    /// path: the source of a rename found by gix's tree diff with rewrite tracking.
    fn find_rename(
        &mut self,
        parent_tree: ObjectId,
        tree: ObjectId,
        path: &str,
    ) -> Result<Option<(Arc<str>, ObjectId)>> {
        let repo = &self.src.repo;
        let old = repo.find_tree(parent_tree).map_err(git("reading a tree"))?;
        let new = repo.find_tree(tree).map_err(git("reading a tree"))?;
        let changes = repo
            .diff_tree_to_tree(
                &old,
                &new,
                gix::diff::Options::default().with_rewrites(Some(gix::diff::Rewrites::default())),
            )
            .map_err(git("diffing trees"))?;
        for c in changes {
            if let gix::diff::tree_with_rewrites::Change::Rewrite {
                source_location,
                source_id,
                source_entry_mode,
                location,
                copy: false,
                ..
            } = c
                && location.as_bytes() == path.as_bytes()
                && !source_entry_mode.is_tree()
            {
                return Ok(Some((
                    Arc::from(source_location.to_str_lossy().as_ref()),
                    source_id,
                )));
            }
        }
        Ok(None)
    }
}

/// Stretches of `after` lines that are unchanged from `before`: (after start, after end,
/// before start).
fn unchanged(before: &[u8], after: &[u8]) -> Vec<(u32, u32, u32)> {
    let input = InternedInput::new(
        gix::diff::blob::sources::byte_lines(before),
        gix::diff::blob::sources::byte_lines(after),
    );
    let mut diff = LineDiff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let mut out = Vec::new();
    let (mut a, mut b) = (0u32, 0u32);
    for h in diff.hunks() {
        if h.after.start > b {
            out.push((b, h.after.start, a));
        }
        a = h.before.end;
        b = h.after.end;
    }
    let total = input.after.len() as u32;
    if total > b {
        out.push((b, total, a));
    }
    out
}

/// Split `chunks` by the unchanged stretches: (passed to the parent, still unblamed).
fn split(chunks: &[Chunk], same: &[(u32, u32, u32)]) -> (Vec<Chunk>, Vec<Chunk>) {
    let mut passed = Vec::new();
    let mut left = Vec::new();
    for c in chunks {
        let mut pos = c.start;
        let end = c.start + c.len;
        for &(s, e, parent_start) in same {
            if e <= pos || s >= end {
                continue;
            }
            let from = s.max(pos);
            let to = e.min(end);
            if from > pos {
                left.push(Chunk {
                    start: pos,
                    len: from - pos,
                    tip: c.tip + (pos - c.start),
                });
            }
            passed.push(Chunk {
                start: parent_start + (from - s),
                len: to - from,
                tip: c.tip + (from - c.start),
            });
            pos = to;
        }
        if pos < end {
            left.push(Chunk {
                start: pos,
                len: end - pos,
                tip: c.tip + (pos - c.start),
            });
        }
    }
    (passed, left)
}

fn line_count(data: &[u8]) -> u32 {
    if data.is_empty() {
        return 0;
    }
    let n = data.iter().filter(|b| **b == b'\n').count();
    (if data.ends_with(b"\n") { n } else { n + 1 }) as u32
}

impl Repository {
    /// Blame the file at `path` in `commit`: for each line, the commit that introduced it,
    /// following whole-file renames like `git blame`. `Ok(None)` if the commit or path is
    /// missing or the path is not a file or symlink.
    ///
    /// Cost: one cheap step per commit in the file's history (a Bloom filter test with a
    /// commit-graph, else a tree lookup) plus a line diff per commit that changed the file.
    pub fn blame(&self, commit: Oid, path: &str) -> Result<Option<Blame>> {
        let Some((blob_id, kind)) = self.entry_at(commit, path)? else {
            return Ok(None);
        };
        if !kind.is_blob() {
            return Ok(None);
        }
        let normalized: Arc<str> = Arc::from(split_path(path).unwrap_or_default().join("/"));
        let mut b = Blamer {
            src: self.commit_source(),
            paths: HashMap::new(),
            blobs: HashMap::new(),
            done: Vec::new(),
        };
        let tip_blob = blob_id.to_gix();
        let data = b.blob(&tip_blob)?;
        let lines = line_count(&data);
        let lines_text: Vec<String> = if data.is_empty() {
            Vec::new()
        } else {
            let text = data.strip_suffix(b"\n").unwrap_or(&data);
            text.split(|c| *c == b'\n')
                .map(|l| l.to_str_lossy().into_owned())
                .collect()
        };

        let mut suspects: HashMap<ObjectId, Suspect> = HashMap::new();
        let mut heap = BinaryHeap::new();
        let mut seq = 0u64;
        let start = commit.to_gix();
        let start_node = b.src.get(&start)?.ok_or(Error::MissingObject(commit))?;
        if lines > 0 {
            suspects.insert(
                start,
                Suspect {
                    path: normalized.clone(),
                    blob: tip_blob,
                    chunks: vec![Chunk {
                        start: 0,
                        len: lines,
                        tip: 0,
                    }],
                },
            );
            heap.push(Queued {
                time: start_node.time,
                seq: std::cmp::Reverse(seq),
                id: start,
            });
        }

        while let Some(q) = heap.pop() {
            let Some(suspect) = suspects.remove(&q.id) else {
                continue;
            };
            let node = b
                .src
                .get(&q.id)?
                .ok_or(Error::MissingObject(Oid::from_gix(&q.id)))?;
            let mut pass: Vec<(ObjectId, Arc<str>, ObjectId, Vec<Chunk>)> = Vec::new();
            let mut left = suspect.chunks.clone();

            // Unchanged from the first parent per the Bloom filter: pass everything on.
            let unchanged_first = match (&b.src.bloom, node.parents.first()) {
                (Some(bloom), Some(_)) => {
                    let bloom = bloom.clone();
                    let info = b.path_info(&suspect.path);
                    info.keys
                        .as_ref()
                        .is_some_and(|k| bloom.definitely_unchanged(&q.id, k))
                }
                _ => false,
            };
            if unchanged_first {
                pass.push((
                    node.parents[0],
                    suspect.path.clone(),
                    suspect.blob,
                    std::mem::take(&mut left),
                ));
            } else {
                // The file in each parent: same path, else the source of a rename.
                let mut origins = Vec::with_capacity(node.parents.len());
                for p in &node.parents {
                    let Some(pnode) = b.src.get(p)? else {
                        origins.push(None);
                        continue;
                    };
                    let mut origin = b
                        .blob_at(&suspect.path, pnode.tree)?
                        .map(|blob| (suspect.path.clone(), blob));
                    if origin.is_none() {
                        origin = b.find_rename(pnode.tree, node.tree, &suspect.path)?;
                    }
                    origins.push(origin);
                }
                // A parent with the very same blob takes everything.
                let same = origins
                    .iter()
                    .position(|o| o.as_ref().is_some_and(|(_, blob)| *blob == suspect.blob));
                if let Some(k) = same {
                    if let Some((path, blob)) = origins[k].clone() {
                        pass.push((node.parents[k], path, blob, std::mem::take(&mut left)));
                    }
                } else {
                    let mine = b.blob(&suspect.blob)?;
                    for (k, origin) in origins.into_iter().enumerate() {
                        let Some((path, blob)) = origin else { continue };
                        if left.is_empty() {
                            break;
                        }
                        let theirs = b.blob(&blob)?;
                        let stretches = unchanged(&theirs, &mine);
                        let (passed, rest) = split(&left, &stretches);
                        left = rest;
                        if !passed.is_empty() {
                            pass.push((node.parents[k], path, blob, passed));
                        }
                    }
                }
            }
            for c in left {
                b.done
                    .push((c.tip, c.len, q.id, c.start, suspect.path.clone()));
            }
            for (parent, path, blob, chunks) in pass {
                let Some(pnode) = b.src.get(&parent)? else {
                    for c in chunks {
                        b.done
                            .push((c.tip, c.len, q.id, c.start, suspect.path.clone()));
                    }
                    continue;
                };
                match suspects.get_mut(&parent) {
                    Some(s) if s.path == path => s.chunks.extend(chunks),
                    Some(_) => {
                        // The parent is already suspected under another name (rare: a file
                        // and its renamed copy meet). Keep the blame on this commit.
                        for c in chunks {
                            b.done
                                .push((c.tip, c.len, q.id, c.start, suspect.path.clone()));
                        }
                    }
                    None => {
                        suspects.insert(parent, Suspect { path, blob, chunks });
                        seq += 1;
                        heap.push(Queued {
                            time: pnode.time,
                            seq: std::cmp::Reverse(seq),
                            id: parent,
                        });
                    }
                }
            }
        }

        // Hunks in line order, neighbours from the same commit and place merged.
        b.done.sort_by_key(|d| d.0);
        let repo = b.src.repo.clone();
        let mut summaries: HashMap<ObjectId, CommitSummary> = HashMap::new();
        let mut buf = Vec::new();
        let mut hunks: Vec<BlameHunk> = Vec::new();
        let mut last: Option<(ObjectId, u32, Arc<str>)> = None;
        for (tip, len, id, orig, path) in b.done {
            if let (Some(h), Some((lid, lorig_end, lpath))) = (hunks.last_mut(), &last)
                && *lid == id
                && *lorig_end == orig
                && *lpath == path
                && h.start_line - 1 + h.len == tip
            {
                h.len += len;
                last = Some((id, orig + len, path));
                continue;
            }
            let summary = match summaries.get(&id) {
                Some(s) => s.clone(),
                None => {
                    let s = objects::read_summary(&repo, &id, &mut buf)?
                        .ok_or(Error::MissingObject(Oid::from_gix(&id)))?;
                    summaries.insert(id, s.clone());
                    s
                }
            };
            hunks.push(BlameHunk {
                commit: summary,
                start_line: tip + 1,
                len,
                orig_start_line: orig + 1,
                orig_path: (path != normalized).then(|| path.to_string()),
            });
            last = Some((id, orig + len, path));
        }
        Ok(Some(Blame {
            lines: lines_text,
            hunks,
        }))
    }

    /// [`Repository::blame`] computed by gix's `blame_file` instead (reference
    /// implementation: same result, but it diffs the trees of every commit in the history).
    #[doc(hidden)]
    pub fn blame_with_gix(&self, commit: Oid, path: &str) -> Result<Option<Blame>> {
        let Some((_, kind)) = self.entry_at(commit, path)? else {
            return Ok(None);
        };
        if !kind.is_blob() {
            return Ok(None);
        }
        let normalized = split_path(path).unwrap_or_default().join("/");
        let repo = self.local();
        let options = gix::repository::blame_file::Options {
            diff_algorithm: Some(Algorithm::Myers),
            rewrites: Some(gix::diff::Rewrites::default()),
            ..Default::default()
        };
        let outcome = repo
            .blame_file(BStr::new(normalized.as_bytes()), commit.to_gix(), options)
            .map_err(git("blaming a file"))?;
        let lines: Vec<String> = if outcome.blob.is_empty() {
            Vec::new()
        } else {
            let text = outcome.blob.strip_suffix(b"\n").unwrap_or(&outcome.blob);
            text.split(|b| *b == b'\n')
                .map(|l| l.to_str_lossy().into_owned())
                .collect()
        };
        let mut summaries: HashMap<Oid, CommitSummary> = HashMap::new();
        let mut buf = Vec::new();
        let mut hunks = Vec::with_capacity(outcome.entries.len());
        for entry in &outcome.entries {
            let oid = Oid::from_gix(&entry.commit_id);
            let summary = match summaries.get(&oid) {
                Some(s) => s.clone(),
                None => match objects::read_summary(&repo, &entry.commit_id, &mut buf)? {
                    Some(s) => {
                        summaries.insert(oid, s.clone());
                        s
                    }
                    None => return Err(Error::MissingObject(oid)),
                },
            };
            let orig_path = entry
                .source_file_name
                .as_ref()
                .map(|p| p.to_str_lossy().into_owned())
                .filter(|p| *p != normalized);
            hunks.push(BlameHunk {
                commit: summary,
                start_line: entry.start_in_blamed_file + 1,
                len: entry.len.get(),
                orig_start_line: entry.start_in_source_file + 1,
                orig_path,
            });
        }
        hunks.sort_by_key(|h| h.start_line);
        Ok(Some(Blame { lines, hunks }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_chunks() {
        let same = unchanged(b"a\nb\nc\nd\n", b"a\nX\nc\nd\nE\n");
        assert_eq!(same, [(0, 1, 0), (2, 4, 2)]);
        let (passed, left) = split(
            &[Chunk {
                start: 0,
                len: 5,
                tip: 10,
            }],
            &same,
        );
        let p: Vec<_> = passed.iter().map(|c| (c.start, c.len, c.tip)).collect();
        let l: Vec<_> = left.iter().map(|c| (c.start, c.len, c.tip)).collect();
        assert_eq!(p, [(0, 1, 10), (2, 2, 12)]);
        assert_eq!(l, [(1, 1, 11), (4, 1, 14)]);
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\nb\n"), 2);
    }
}
