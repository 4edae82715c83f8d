//! Read API for browsing: resolving `<ref>/<path>` URLs, listing trees, reading blobs,
//! and listing branches and tags.

use std::io::Read;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::tree::{EntryKind as GixEntryKind, EntryMode};

use crate::error::git;
use crate::objects::{self, HASH, lookup_path, split_path};
use crate::{CommitSummary, Error, Oid, Repository, Result};

/// What the leading part of a browse URL named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevKind {
    /// A branch (`refs/heads/<name>`).
    Branch,
    /// A tag (`refs/tags/<name>`), peeled to its commit.
    Tag,
    /// A full or abbreviated commit id.
    Commit,
}

/// A resolved `<rev>/<path>` URL part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The revision as typed in the URL (`feature/x`, `v1.0`, `1a2b3c4`).
    pub rev_name: String,
    /// What it named.
    pub kind: RevKind,
    /// The commit it resolves to.
    pub commit: Oid,
    /// The rest of the URL: a path inside the commit's tree, normalised (no leading or
    /// trailing `/`; empty for the root). It is not checked to exist.
    pub path: String,
}

/// The kind of a tree entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A directory (tree).
    Dir,
    /// A regular file.
    File,
    /// An executable file.
    Executable,
    /// A symbolic link; the blob holds the target.
    Symlink,
    /// A submodule (gitlink): the id is a commit of another repository.
    Submodule,
}

impl EntryKind {
    pub(crate) fn from_mode(mode: EntryMode) -> Self {
        match mode.kind() {
            GixEntryKind::Tree => EntryKind::Dir,
            GixEntryKind::Blob => EntryKind::File,
            GixEntryKind::BlobExecutable => EntryKind::Executable,
            GixEntryKind::Link => EntryKind::Symlink,
            GixEntryKind::Commit => EntryKind::Submodule,
        }
    }

    /// Whether the entry's object is a blob (file, executable or symlink).
    pub fn is_blob(self) -> bool {
        matches!(
            self,
            EntryKind::File | EntryKind::Executable | EntryKind::Symlink
        )
    }

    /// Whether the entry lists like a directory (directories and submodules).
    pub fn is_dir_like(self) -> bool {
        matches!(self, EntryKind::Dir | EntryKind::Submodule)
    }

    /// The git file mode, like `100644`.
    pub fn mode(self) -> u32 {
        match self {
            EntryKind::Dir => 0o040000,
            EntryKind::File => 0o100644,
            EntryKind::Executable => 0o100755,
            EntryKind::Symlink => 0o120000,
            EntryKind::Submodule => 0o160000,
        }
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// The file name (non-UTF-8 bytes replaced by U+FFFD).
    pub name: String,
    /// The path from the repository root, `/`-separated.
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// The object id (for submodules: the commit in the other repository).
    pub oid: Oid,
    /// For blobs (files, executables, symlinks): the size in bytes.
    pub size: Option<u64>,
}

/// A file's content for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobView {
    /// The blob id.
    pub oid: Oid,
    /// The full size in bytes.
    pub size: u64,
    /// The content, at most the requested number of bytes.
    pub data: Vec<u8>,
    /// Whether `data` is shorter than the blob.
    pub truncated: bool,
    /// Whether git would call it binary: a NUL byte in the first 8000 bytes.
    pub is_binary: bool,
    /// File, executable or symlink.
    pub kind: EntryKind,
}

/// A blob to stream (raw downloads).
pub struct BlobStream {
    /// The blob id.
    pub oid: Oid,
    /// The exact size in bytes (what the reader yields).
    pub size: u64,
    /// File, executable or symlink.
    pub kind: EntryKind,
    /// The content.
    pub reader: BlobReader,
}

impl std::fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStream")
            .field("oid", &self.oid)
            .field("size", &self.size)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Reads a blob's content; see [`Repository::blob_stream`] for when it streams.
pub struct BlobReader(pub(crate) crate::blobio::Inner);

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl BlobReader {
    /// Whether the content is inflated from disk as it is read (rather than held decoded
    /// in memory).
    pub fn is_streaming(&self) -> bool {
        self.0.is_streaming()
    }
}

/// How many bytes git looks at to decide whether content is binary.
pub const BINARY_CHECK_BYTES: usize = 8000;

/// Git's heuristic: binary if there is a NUL byte in the first 8000 bytes.
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_CHECK_BYTES)].contains(&0)
}

/// A branch with its tip commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefSummary {
    /// Short name, like `main` or `feature/x`.
    pub name: String,
    /// Full name, like `refs/heads/main`.
    pub full_name: String,
    /// The tip commit.
    pub commit: CommitSummary,
}

/// A person and a moment, as recorded in a commit or tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
    /// Time zone offset in seconds east of UTC.
    pub offset_seconds: i32,
}

/// What an annotated tag says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// The tag object's id.
    pub tag_oid: Oid,
    /// The tagger, if recorded.
    pub tagger: Option<Person>,
    /// The full message (signature stripped).
    pub message: String,
}

/// A tag with the commit it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSummary {
    /// Short name, like `v1.0`.
    pub name: String,
    /// Full name, like `refs/tags/v1.0`.
    pub full_name: String,
    /// The commit the tag peels to.
    pub commit: CommitSummary,
    /// For annotated tags: the tag object's tagger and message.
    pub annotation: Option<Annotation>,
}

impl TagSummary {
    /// The date the list is sorted by: the tagger's date for annotated tags with a tagger,
    /// the commit date otherwise.
    pub fn date(&self) -> i64 {
        self.annotation
            .as_ref()
            .and_then(|a| a.tagger.as_ref())
            .map(|t| t.time)
            .unwrap_or(self.commit.committer_time)
    }
}

pub(crate) fn person(sig: gix::actor::SignatureRef<'_>) -> Person {
    let sig = sig.trim();
    let time = sig.time().unwrap_or_default();
    Person {
        name: objects::lossy(sig.name),
        email: objects::lossy(sig.email),
        time: time.seconds,
        offset_seconds: time.offset,
    }
}

/// At least this many hex digits make an abbreviated commit id.
pub const MIN_ABBREV: usize = 4;

impl Repository {
    /// Resolve the part of a browse URL after `/tree/` (or `/blob/`, `/commits/`, ...):
    /// `<rev>[/<path>]` where `<rev>` may contain `/`.
    ///
    /// The longest leading run of segments naming a branch wins; failing that the longest
    /// naming a tag (peeled to a commit; tags of non-commits do not count); failing that
    /// the first segment as a full or abbreviated (at least [`MIN_ABBREV`] hex digits,
    /// unambiguous among commits) commit id. The rest is the path, normalised.
    /// `Ok(None)` when nothing matches or the path has `.`/`..`/empty components.
    pub fn resolve_tree_path(&self, ref_and_path: &str) -> Result<Option<Resolved>> {
        let trimmed = ref_and_path.trim_start_matches('/');
        let segments: Vec<&str> = trimmed.split('/').collect();
        if segments.first().is_none_or(|s| s.is_empty()) {
            return Ok(None);
        }
        let repo = self.local();
        let rest_path = |n: usize| objects::normalize_path(&segments[n..].join("/"));
        for (namespace, kind) in [
            ("refs/heads/", RevKind::Branch),
            ("refs/tags/", RevKind::Tag),
        ] {
            for n in (1..=segments.len()).rev() {
                let name = segments[..n].join("/");
                let full = format!("{namespace}{name}");
                if crate::refs::validate_ref_name(&full).is_err() {
                    continue;
                }
                let Some(target) = crate::repo::resolve_ref_target(&repo, &full, 0)? else {
                    continue;
                };
                let Some(commit) = objects::peel_to_commit(&repo, target.to_gix())? else {
                    continue;
                };
                let Some(path) = rest_path(n) else {
                    return Ok(None);
                };
                return Ok(Some(Resolved {
                    rev_name: name,
                    kind,
                    commit: Oid::from_gix(&commit),
                    path,
                }));
            }
        }
        let first = segments[0];
        if let Some(commit) = self.resolve_commit_id(&repo, first)? {
            let Some(path) = rest_path(1) else {
                return Ok(None);
            };
            return Ok(Some(Resolved {
                rev_name: first.to_owned(),
                kind: RevKind::Commit,
                commit,
                path,
            }));
        }
        Ok(None)
    }

    /// A full or abbreviated commit id naming exactly one commit.
    pub(crate) fn resolve_commit_id(
        &self,
        repo: &gix::Repository,
        hex: &str,
    ) -> Result<Option<Oid>> {
        if hex.len() < MIN_ABBREV || hex.len() > 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        if hex.len() == 40 {
            let Ok(oid) = hex.parse::<Oid>() else {
                return Ok(None);
            };
            let kind = crate::repo::object_kind(repo, oid)?;
            return Ok((kind == Some(crate::ObjectKind::Commit)).then_some(oid));
        }
        let Ok(prefix) = gix::hash::Prefix::from_hex(&hex.to_ascii_lowercase()) else {
            return Ok(None);
        };
        let mut candidates: std::collections::HashSet<ObjectId> = std::collections::HashSet::new();
        repo.objects
            .lookup_prefix(prefix, Some(&mut candidates))
            .map_err(git("looking up an abbreviated id"))?;
        let mut found = None;
        for id in candidates {
            let oid = Oid::from_gix(&id);
            if crate::repo::object_kind(repo, oid)? == Some(crate::ObjectKind::Commit) {
                if found.is_some() {
                    return Ok(None);
                }
                found = Some(oid);
            }
        }
        Ok(found)
    }

    /// The branch HEAD names and its commit, as a [`Resolved`] with an empty path;
    /// `None` for an empty repository (unborn HEAD). A detached HEAD resolves as a commit.
    pub fn default_branch_commit(&self) -> Result<Option<Resolved>> {
        let repo = self.local();
        match self.head()? {
            crate::Head::Branch { name, target } => {
                let Some(commit) = objects::peel_to_commit(&repo, target.to_gix())? else {
                    return Ok(None);
                };
                Ok(Some(Resolved {
                    rev_name: name.strip_prefix("refs/heads/").unwrap_or(&name).to_owned(),
                    kind: RevKind::Branch,
                    commit: Oid::from_gix(&commit),
                    path: String::new(),
                }))
            }
            crate::Head::Detached(target) => {
                let Some(commit) = objects::peel_to_commit(&repo, target.to_gix())? else {
                    return Ok(None);
                };
                let commit = Oid::from_gix(&commit);
                Ok(Some(Resolved {
                    rev_name: commit.to_hex(),
                    kind: RevKind::Commit,
                    commit,
                    path: String::new(),
                }))
            }
            crate::Head::Unborn { .. } => Ok(None),
        }
    }

    /// The entry at `path` in `commit` (the root tree for an empty path): its id and kind.
    /// `None` if the commit or path does not exist.
    pub fn entry_at(&self, commit: Oid, path: &str) -> Result<Option<(Oid, EntryKind)>> {
        let repo = self.local();
        Ok(entry_at(&repo, commit, path)?
            .map(|(id, mode)| (Oid::from_gix(&id), EntryKind::from_mode(mode))))
    }

    /// List the directory at `path` in `commit`: directories (and submodules) first, then
    /// files, each group by name. `None` when the commit or path is missing or the path is
    /// not a directory.
    pub fn tree(&self, commit: Oid, path: &str) -> Result<Option<Vec<TreeEntry>>> {
        let repo = self.local();
        let Some((tree, mode)) = entry_at(&repo, commit, path)? else {
            return Ok(None);
        };
        if !mode.is_tree() {
            return Ok(None);
        }
        let prefix = objects::normalize_path(path).unwrap_or_default();
        let mut buf = Vec::new();
        let Some(data) = objects::read_kind(&repo, &tree, gix::objs::Kind::Tree, &mut buf)? else {
            return Ok(None);
        };
        let mut raw = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(data, HASH) {
            let entry = entry.map_err(|e| Error::InvalidObject {
                oid: Oid::from_gix(&tree),
                reason: format!("{e:#}"),
            })?;
            raw.push((
                entry.filename.to_str_lossy().into_owned(),
                EntryKind::from_mode(entry.mode),
                entry.oid.to_owned(),
            ));
        }
        let mut out = Vec::with_capacity(raw.len());
        for (name, kind, id) in raw {
            let size = if kind.is_blob() {
                gix::objs::FindHeader::try_header(&repo.objects, &id)
                    .map_err(git("reading an object header"))?
                    .map(|h| h.size)
            } else {
                None
            };
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            out.push(TreeEntry {
                name,
                path,
                kind,
                oid: Oid::from_gix(&id),
                size,
            });
        }
        out.sort_by(|a, b| {
            b.kind
                .is_dir_like()
                .cmp(&a.kind.is_dir_like())
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(Some(out))
    }

    /// The file at `path` in `commit`, with at most `max_bytes` of its content. `None` when
    /// the commit or path is missing or the path is not a file, executable or symlink.
    ///
    /// Only the first `max_bytes` are read when the blob is stored loose or whole in a pack
    /// (see [`Repository::blob_stream`]); a delta-compressed blob is decoded whole first.
    pub fn blob(&self, commit: Oid, path: &str, max_bytes: usize) -> Result<Option<BlobView>> {
        let Some(mut stream) = self.blob_stream(commit, path)? else {
            return Ok(None);
        };
        let want = (max_bytes as u64).min(stream.size);
        let mut data = Vec::with_capacity(usize::try_from(want).unwrap_or(0).min(64 << 20));
        (&mut stream.reader).take(want).read_to_end(&mut data)?;
        if (data.len() as u64) < want {
            return Err(Error::InvalidObject {
                oid: stream.oid,
                reason: "blob shorter than its header says".into(),
            });
        }
        // The binary check needs the first 8000 bytes even when fewer were requested.
        let is_binary = if data.len() < BINARY_CHECK_BYTES && (data.len() as u64) < stream.size {
            let mut head = data.clone();
            (&mut stream.reader)
                .take((BINARY_CHECK_BYTES - data.len()) as u64)
                .read_to_end(&mut head)?;
            is_binary(&head)
        } else {
            is_binary(&data)
        };
        Ok(Some(BlobView {
            oid: stream.oid,
            size: stream.size,
            truncated: (data.len() as u64) < stream.size,
            data,
            is_binary,
            kind: stream.kind,
        }))
    }

    /// The file at `path` in `commit` as a reader, for raw downloads. `None` when the commit
    /// or path is missing or the path is not a blob.
    ///
    /// Memory: a blob stored as a loose object or as a whole (non-delta) entry in a pack is
    /// inflated as it is read, so its size does not matter (git stores files above
    /// `core.bigFileThreshold`, 512 MiB, that way). A delta-compressed blob can only be
    /// reconstructed whole: it is then held in memory, bounded by its size.
    pub fn blob_stream(&self, commit: Oid, path: &str) -> Result<Option<BlobStream>> {
        let repo = self.local();
        let Some((id, mode)) = entry_at(&repo, commit, path)? else {
            return Ok(None);
        };
        let kind = EntryKind::from_mode(mode);
        if !kind.is_blob() {
            return Ok(None);
        }
        let Some((size, inner)) = crate::blobio::open_blob(self, &repo, id)? else {
            return Ok(None);
        };
        Ok(Some(BlobStream {
            oid: Oid::from_gix(&id),
            size,
            kind,
            reader: BlobReader(inner),
        }))
    }

    /// All branches with their tip commits, most recently committed first (then by name).
    pub fn branches(&self) -> Result<Vec<RefSummary>> {
        let repo = self.local();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for r in self.refs()? {
            let Some(short) = r.name.strip_prefix("refs/heads/") else {
                continue;
            };
            let Some(commit) = objects::peel_to_commit(&repo, r.target.to_gix())? else {
                continue;
            };
            let Some(summary) = objects::read_summary(&repo, &commit, &mut buf)? else {
                continue;
            };
            out.push(RefSummary {
                name: short.to_owned(),
                full_name: r.name.clone(),
                commit: summary,
            });
        }
        out.sort_by(|a, b| {
            b.commit
                .committer_time
                .cmp(&a.commit.committer_time)
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(out)
    }

    /// All tags that lead to a commit, newest first by [`TagSummary::date`] (then by name).
    /// Annotated tags carry their tagger and message.
    pub fn tags(&self) -> Result<Vec<TagSummary>> {
        let repo = self.local();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for r in self.refs()? {
            let Some(short) = r.name.strip_prefix("refs/tags/") else {
                continue;
            };
            let target = r.target.to_gix();
            let annotation =
                match objects::read_kind(&repo, &target, gix::objs::Kind::Tag, &mut buf)? {
                    Some(data) => match gix::objs::TagRef::from_bytes(data, HASH) {
                        Ok(tag) => Some(Annotation {
                            tag_oid: r.target,
                            tagger: tag.tagger().ok().flatten().map(person),
                            message: objects::lossy(tag.message),
                        }),
                        Err(_) => None,
                    },
                    None => None,
                };
            let Some(commit) = objects::peel_to_commit(&repo, target)? else {
                continue;
            };
            let Some(summary) = objects::read_summary(&repo, &commit, &mut buf)? else {
                continue;
            };
            out.push(TagSummary {
                name: short.to_owned(),
                full_name: r.name.clone(),
                commit: summary,
                annotation,
            });
        }
        out.sort_by(|a, b| b.date().cmp(&a.date()).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }
}

/// The entry at `path` below `commit`'s root tree (the root tree itself for an empty path).
pub(crate) fn entry_at(
    repo: &gix::Repository,
    commit: Oid,
    path: &str,
) -> Result<Option<(ObjectId, EntryMode)>> {
    let Some(components) = split_path(path) else {
        return Ok(None);
    };
    let Some(tree) = objects::commit_tree(repo, &commit.to_gix())? else {
        return Ok(None);
    };
    lookup_path(repo, tree, &components)
}
