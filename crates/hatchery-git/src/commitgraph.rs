//! Writing git's commit-graph file (`objects/info/commit-graph`).
//!
//! gix 0.90 reads commit-graphs (gix-commitgraph) but cannot write them, so this writes the
//! documented format (`gitformat-commit-graph`) itself: version 1 with the OIDF, OIDL, CDAT
//! and (for octopus merges) EDGE chunks, topological levels as generation numbers, and
//! changed-path Bloom filters (BIDX/BDAT, see [`crate::bloom`]), which git reads as well.
//! `git commit-graph verify` accepts it.

use std::io::Write;

use gix::ObjectId;
use gix::hashtable::HashMap;

use crate::bloom;
use crate::history::CommitSource;
use crate::objects::HASH;
use crate::{Error, Oid, Repository, Result};

/// What [`Repository::write_commit_graph`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitGraphStats {
    /// Commits in the new file.
    pub commits: usize,
    /// Of those, commits that had to be decoded (not taken from the previous file).
    pub decoded: usize,
    /// Changed-path Bloom filters computed (the others were taken from the previous file).
    pub filters_computed: usize,
    /// Size of the file in bytes.
    pub bytes: u64,
}

const NO_PARENT: u32 = 0x7000_0000;
const EXTRA_EDGES: u32 = 0x8000_0000;
const LAST_EDGE: u32 = 0x8000_0000;
const GENERATION_MAX: u32 = 0x3FFF_FFFF;

impl Repository {
    /// (Re)write `objects/info/commit-graph` for every commit reachable from the refs and
    /// HEAD, replacing the previous file atomically. Commits already in the previous file
    /// are taken from it, so a refresh after a push decodes only the new commits.
    ///
    /// Call it after pushes (in the background): history walks read parents, dates and root
    /// trees from this file instead of decoding commits; a stale file is still correct (new
    /// commits are just decoded).
    pub fn write_commit_graph(&self) -> Result<CommitGraphStats> {
        let repo = self.walk_local();
        let mut src = CommitSource::new(repo.clone());
        let mut tips = Vec::new();
        for r in self.refs()? {
            tips.push(r.target);
        }
        if let Some(head) = self.head()?.target() {
            tips.push(head);
        }
        let mut buf = Vec::new();
        let mut stack: Vec<ObjectId> = Vec::new();
        for t in tips {
            if let Some((id, gix::objs::Kind::Commit)) =
                crate::walk::peel(&repo, t.to_gix(), &mut buf)?
            {
                stack.push(id);
            }
        }
        let old_graph = repo.commit_graph_if_enabled().ok().flatten();
        let mut nodes: HashMap<ObjectId, std::sync::Arc<crate::history::Node>> = HashMap::default();
        let mut decoded = 0usize;
        while let Some(id) = stack.pop() {
            if nodes.contains_key(&id) {
                continue;
            }
            if old_graph.as_ref().is_none_or(|g| g.lookup(id).is_none()) {
                decoded += 1;
            }
            let node = src
                .get(&id)?
                .ok_or(Error::MissingObject(Oid::from_gix(&id)))?;
            for p in &node.parents {
                if !nodes.contains_key(p) {
                    stack.push(*p);
                }
            }
            nodes.insert(id, node);
        }
        let mut ids: Vec<ObjectId> = nodes.keys().copied().collect();
        ids.sort();
        let n = ids.len();
        if n == 0 {
            // Nothing to describe: remove a stale file rather than write an empty graph.
            let path = self.objects_dir().join("info").join("commit-graph");
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
            self.forget_bloom_filters();
            return Ok(CommitGraphStats {
                commits: 0,
                decoded: 0,
                filters_computed: 0,
                bytes: 0,
            });
        }
        if n > 0x7000_0000 {
            return Err(Error::InvalidInput(
                "too many commits for a commit-graph".into(),
            ));
        }
        let pos: HashMap<ObjectId, u32> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u32))
            .collect();

        // Topological levels: 1 for roots, else 1 + the maximum of the parents'.
        let mut level = vec![0u32; n];
        let mut in_progress = vec![false; n];
        for start in 0..n {
            if level[start] != 0 {
                continue;
            }
            let mut work = vec![(start, false)];
            while let Some((i, expanded)) = work.pop() {
                if level[i] != 0 || (!expanded && in_progress[i]) {
                    continue;
                }
                let node = &nodes[&ids[i]];
                if expanded {
                    let mut max = 0;
                    for p in &node.parents {
                        max = max.max(level[pos[p] as usize]);
                    }
                    level[i] = (max + 1).min(GENERATION_MAX);
                } else {
                    in_progress[i] = true;
                    work.push((i, true));
                    for p in &node.parents {
                        let pi = pos[p] as usize;
                        if level[pi] == 0 {
                            work.push((pi, false));
                        }
                    }
                }
            }
        }

        let mut fanout = [0u32; 256];
        for id in &ids {
            fanout[id.as_bytes()[0] as usize] += 1;
        }
        for i in 1..256 {
            fanout[i] += fanout[i - 1];
        }
        let mut edges: Vec<u32> = Vec::new();
        let mut cdat = Vec::with_capacity(n * 36);
        for (i, id) in ids.iter().enumerate() {
            let node = &nodes[id];
            cdat.extend_from_slice(node.tree.as_bytes());
            let p1 = node.parents.first().map(|p| pos[p]).unwrap_or(NO_PARENT);
            let p2 = match node.parents.len() {
                0 | 1 => NO_PARENT,
                2 => pos[&node.parents[1]],
                _ => {
                    let at = edges.len() as u32;
                    let rest = &node.parents[1..];
                    for (k, p) in rest.iter().enumerate() {
                        let mut v = pos[p];
                        if k + 1 == rest.len() {
                            v |= LAST_EDGE;
                        }
                        edges.push(v);
                    }
                    EXTRA_EDGES | at
                }
            };
            cdat.extend_from_slice(&p1.to_be_bytes());
            cdat.extend_from_slice(&p2.to_be_bytes());
            let time = node.time.clamp(0, (1i64 << 34) - 1) as u64;
            let high = (level[i] << 2) | ((time >> 32) as u32 & 0x3);
            cdat.extend_from_slice(&high.to_be_bytes());
            cdat.extend_from_slice(&(time as u32).to_be_bytes());
        }

        // Changed-path Bloom filters, reusing the previous file's where it has them.
        let previous = match &old_graph {
            Some(_) => self
                .bloom_filters()
                .filter(|b| b.version == bloom::WRITE_VERSION),
            None => None,
        };
        let mut bidx = Vec::with_capacity(n * 4);
        let mut bdat = Vec::new();
        for v in [
            bloom::WRITE_VERSION,
            bloom::NUM_HASHES,
            bloom::BITS_PER_ENTRY,
        ] {
            bdat.extend_from_slice(&v.to_be_bytes());
        }
        let mut filters_computed = 0;
        for id in &ids {
            match previous.as_ref().and_then(|b| b.filter(id)) {
                Some(f) => bdat.extend_from_slice(f),
                None => {
                    filters_computed += 1;
                    let node = &nodes[id];
                    let parent_tree = node.parents.first().map(|p| nodes[p].tree);
                    let changed = bloom::changed_paths(&repo, parent_tree, node.tree)?;
                    bdat.extend_from_slice(&bloom::build_filter(changed.as_deref()));
                }
            }
            let end = u32::try_from(bdat.len() - 12)
                .map_err(|_| Error::InvalidInput("Bloom filters too large".into()))?;
            bidx.extend_from_slice(&end.to_be_bytes());
        }
        drop(previous);

        let mut chunks: Vec<([u8; 4], Vec<u8>)> = Vec::new();
        chunks.push((
            *b"OIDF",
            fanout.iter().flat_map(|c| c.to_be_bytes()).collect(),
        ));
        chunks.push((
            *b"OIDL",
            ids.iter().flat_map(|id| id.as_bytes().to_vec()).collect(),
        ));
        chunks.push((*b"CDAT", cdat));
        if !edges.is_empty() {
            chunks.push((
                *b"EDGE",
                edges.iter().flat_map(|e| e.to_be_bytes()).collect(),
            ));
        }
        chunks.push((*b"BIDX", bidx));
        chunks.push((*b"BDAT", bdat));
        let mut file = Vec::new();
        file.extend_from_slice(b"CGPH");
        file.push(1); // version
        file.push(1); // hash version: SHA-1
        file.push(chunks.len() as u8);
        file.push(0); // base graphs
        let mut offset = 8 + (chunks.len() as u64 + 1) * 12;
        for (id, data) in &chunks {
            file.extend_from_slice(id);
            file.extend_from_slice(&offset.to_be_bytes());
            offset += data.len() as u64;
        }
        file.extend_from_slice(&[0; 4]);
        file.extend_from_slice(&offset.to_be_bytes());
        for (_, data) in &chunks {
            file.extend_from_slice(data);
        }
        let mut hasher = gix::hash::hasher(HASH);
        hasher.update(&file);
        let checksum = hasher
            .try_finalize()
            .map_err(|e| Error::InvalidInput(format!("hashing the commit-graph: {e}")))?;
        file.extend_from_slice(checksum.as_bytes());

        let info = self.objects_dir().join("info");
        std::fs::create_dir_all(&info)?;
        let mut tmp = tempfile_in(&info)?;
        tmp.1.write_all(&file)?;
        tmp.1.sync_all()?;
        drop(tmp.1);
        let target = info.join("commit-graph");
        if let Err(e) = std::fs::rename(&tmp.0, &target) {
            let _ = std::fs::remove_file(&tmp.0);
            return Err(e.into());
        }
        self.forget_bloom_filters();
        Ok(CommitGraphStats {
            commits: n,
            decoded,
            filters_computed,
            bytes: file.len() as u64,
        })
    }
}

/// A new file next to the target, with a unique name.
fn tempfile_in(dir: &std::path::Path) -> Result<(std::path::PathBuf, std::fs::File)> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for attempt in 0..100u32 {
        let path = dir.join(format!(
            "tmp-commit-graph-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Locked(dir.to_owned()))
}
