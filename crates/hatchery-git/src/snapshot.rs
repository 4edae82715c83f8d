//! A copy of a bare repository's files that is consistent while pushes go on, for backups.
//!
//! The method rests on two facts of how this crate (and git) write repositories: a ref only
//! ever points at objects that were fully written before it moved, and object files are
//! never changed once they exist — packs are immutable, and consolidation writes the merged
//! pack before it removes what it merged. So the copy reads the refs first, each loose ref
//! and then `packed-refs` once (a ref being packed meanwhile is then seen in at least one of
//! the two; a loose ref wins), and writes them out as one `packed-refs` file. Then come the
//! other small files (HEAD, config, the commit-graph), and then the objects: every pack with
//! its index opened together, every loose object. Objects pushed after the ref snapshot are
//! copied or not — either way they are harmless extras no ref points at. An object file that
//! disappears between listing and opening was merged into a new pack by consolidation; the
//! pack directory is then listed again and the new packs are copied too.
//! Quarantines of pushes in progress, lock files and temporary files are never copied.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// One item of a repository snapshot, with its path relative to the repository directory.
pub enum SnapshotEntry<'a> {
    Dir(&'a Path),
    File {
        path: &'a Path,
        len: u64,
        content: &'a mut dyn Read,
    },
}

/// What [`snapshot_repository`] copied.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotStats {
    pub refs: usize,
    pub files: usize,
    pub bytes: u64,
}

/// How often the pack directory is listed again after files vanished under the copy. Each
/// round needs a consolidation to finish in between; more than this means something other
/// than consolidation is deleting objects.
const MAX_RELISTS: usize = 8;

/// Hands every file of the bare repository at `repo` to `emit`, in an order that makes the
/// copy a consistent repository (see the module documentation). Directories come before the
/// files in them.
pub fn snapshot_repository(
    repo: &Path,
    emit: &mut dyn FnMut(SnapshotEntry<'_>) -> std::io::Result<()>,
) -> Result<SnapshotStats> {
    if !repo.join("HEAD").is_file() || !repo.join("objects").is_dir() {
        return Err(Error::NotFound(repo.to_owned()));
    }
    let mut stats = SnapshotStats::default();
    let mut dirs_done = BTreeSet::new();

    // 1. The refs, loose before packed.
    let mut loose = BTreeMap::new();
    read_loose_refs(repo, Path::new("refs"), &mut loose)?;
    let packed = match std::fs::read_to_string(repo.join("packed-refs")) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e.into()),
    };
    let mut refs: BTreeMap<String, String> = packed_refs(&packed);
    let mut symbolic = Vec::new();
    for (name, value) in loose {
        if value.starts_with("ref:") {
            symbolic.push((name, value));
        } else {
            refs.insert(name, value);
        }
    }
    stats.refs = refs.len() + symbolic.len();
    for dir in ["refs", "refs/heads", "refs/tags"] {
        emit_dir(Path::new(dir), &mut dirs_done, emit)?;
    }
    let mut packed_out = String::new();
    for (name, oid) in &refs {
        packed_out.push_str(oid);
        packed_out.push(' ');
        packed_out.push_str(name);
        packed_out.push('\n');
    }
    emit_bytes(
        Path::new("packed-refs"),
        packed_out.as_bytes(),
        &mut stats,
        emit,
    )?;
    for (name, value) in &symbolic {
        let path = PathBuf::from(name);
        emit_parents(&path, &mut dirs_done, emit)?;
        emit_bytes(&path, format!("{value}\n").as_bytes(), &mut stats, emit)?;
    }

    // 2. Everything that is neither refs nor objects: HEAD, config, description, info/.
    let mut others = Vec::new();
    list_files(repo, Path::new(""), &mut others, &|rel| {
        rel == Path::new("refs") || rel == Path::new("objects") || rel == Path::new("packed-refs")
    })?;
    for rel in &others {
        copy_file(repo, rel, &mut dirs_done, &mut stats, emit)?;
    }

    // 3. The objects: info/ (commit-graph), packs, loose objects.
    emit_dir(Path::new("objects"), &mut dirs_done, emit)?;
    emit_dir(Path::new("objects/pack"), &mut dirs_done, emit)?;
    let mut info = Vec::new();
    list_files(repo, Path::new("objects/info"), &mut info, &|_| false)?;
    for rel in &info {
        copy_file(repo, rel, &mut dirs_done, &mut stats, emit)?;
    }
    let mut packs_done = BTreeSet::new();
    let mut vanished = copy_packs(repo, &mut packs_done, &mut dirs_done, &mut stats, emit)?;
    let mut loose_objects = Vec::new();
    list_files(repo, Path::new("objects"), &mut loose_objects, &|rel| {
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Only the two-hex-digit fan-out directories hold loose objects.
        rel.parent() == Some(Path::new("objects"))
            && !(name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit()))
    })?;
    for rel in &loose_objects {
        match copy_file(repo, rel, &mut dirs_done, &mut stats, emit) {
            Err(Error::Io(e)) if e.kind() == ErrorKind::NotFound => vanished = true,
            other => other?,
        }
    }
    let mut relists = 0;
    while vanished {
        relists += 1;
        if relists > MAX_RELISTS {
            return Err(Error::InvalidInput(format!(
                "objects of {} kept disappearing while they were copied",
                repo.display()
            )));
        }
        vanished = copy_packs(repo, &mut packs_done, &mut dirs_done, &mut stats, emit)?;
    }
    Ok(stats)
}

/// Copies each pack of `objects/pack` not copied yet, opening its index and pack (and the
/// other files of its name) together first. Returns whether a pack vanished meanwhile.
fn copy_packs(
    repo: &Path,
    done: &mut BTreeSet<String>,
    dirs_done: &mut BTreeSet<PathBuf>,
    stats: &mut SnapshotStats,
    emit: &mut dyn FnMut(SnapshotEntry<'_>) -> std::io::Result<()>,
) -> Result<bool> {
    let dir = repo.join("objects/pack");
    let mut names = BTreeMap::<String, Vec<String>>::new();
    for entry in std::fs::read_dir(&dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_transient(name) {
            continue;
        }
        if let Some((stem, _)) = name.rsplit_once('.') {
            names
                .entry(stem.to_owned())
                .or_default()
                .push(name.to_owned());
        }
    }
    let mut vanished = false;
    for (stem, files) in names {
        if done.contains(&stem) {
            continue;
        }
        // A pack without its index is being moved in by a push whose refs we have not
        // seen; a pack is only ever read through its index.
        if !files.iter().any(|f| f.ends_with(".idx")) || !files.iter().any(|f| f.ends_with(".pack"))
        {
            continue;
        }
        let mut opened = Vec::new();
        let mut complete = true;
        for name in &files {
            match File::open(dir.join(name)) {
                Ok(file) => opened.push((name, file)),
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    complete = false;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !complete {
            vanished = true;
            continue;
        }
        for (name, file) in opened {
            let rel = Path::new("objects/pack").join(name);
            emit_open_file(&rel, file, dirs_done, stats, emit)?;
        }
        done.insert(stem);
    }
    Ok(vanished)
}

fn read_loose_refs(repo: &Path, rel: &Path, out: &mut BTreeMap<String, String>) -> Result<()> {
    let entries = match std::fs::read_dir(repo.join(rel)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name_str) = name.to_str() else {
            continue;
        };
        if is_transient(name_str) {
            continue;
        }
        let child = rel.join(name_str);
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        if kind.is_dir() {
            read_loose_refs(repo, &child, out)?;
        } else if kind.is_file() {
            // A ref deleted since the listing is simply not in the snapshot.
            let value = match std::fs::read_to_string(repo.join(&child)) {
                Ok(v) => v,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            let value = value.trim();
            if !value.is_empty() {
                out.insert(ref_name(&child), value.to_owned());
            }
        }
    }
    Ok(())
}

fn ref_name(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The `<oid> <name>` lines of a packed-refs file; comments and peeled (`^`) lines dropped.
fn packed_refs(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
        .filter_map(|l| l.split_once(' '))
        .map(|(oid, name)| (name.trim().to_owned(), oid.to_owned()))
        .collect()
}

/// Lock files, temporary files and push quarantines: never part of a snapshot.
fn is_transient(name: &str) -> bool {
    name.ends_with(".lock")
        || name.starts_with("tmp")
        || name.starts_with('.')
        || name.starts_with("incoming-")
}

/// Every regular file below `rel` (relative to `repo`), skipping transient names and the
/// paths `skip` names. Directories that vanish meanwhile are skipped.
fn list_files(
    repo: &Path,
    rel: &Path,
    out: &mut Vec<PathBuf>,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<()> {
    let entries = match std::fs::read_dir(repo.join(rel)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut children = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_transient(name) {
            continue;
        }
        let child = rel.join(name);
        if skip(&child) || child.starts_with("objects/pack") {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        children.push((child, kind.is_dir(), kind.is_file()));
    }
    children.sort();
    for (child, is_dir, is_file) in children {
        if is_dir {
            list_files(repo, &child, out, skip)?;
        } else if is_file {
            out.push(child);
        }
    }
    Ok(())
}

fn copy_file(
    repo: &Path,
    rel: &Path,
    dirs_done: &mut BTreeSet<PathBuf>,
    stats: &mut SnapshotStats,
    emit: &mut dyn FnMut(SnapshotEntry<'_>) -> std::io::Result<()>,
) -> Result<()> {
    let file = File::open(repo.join(rel))?;
    emit_open_file(rel, file, dirs_done, stats, emit)
}

fn emit_open_file(
    rel: &Path,
    file: File,
    dirs_done: &mut BTreeSet<PathBuf>,
    stats: &mut SnapshotStats,
    emit: &mut dyn FnMut(SnapshotEntry<'_>) -> std::io::Result<()>,
) -> Result<()> {
    emit_parents(rel, dirs_done, emit)?;
    let len = file.metadata()?.len();
    // Exactly `len` bytes, even if the file were to grow: the archive header already says so.
    let mut content = file.take(len);
    emit(SnapshotEntry::File {
        path: rel,
        len,
        content: &mut content,
    })?;
    stats.files += 1;
    stats.bytes += len;
    Ok(())
}

fn emit_bytes(
    rel: &Path,
    bytes: &[u8],
    stats: &mut SnapshotStats,
    emit: &mut dyn FnMut(SnapshotEntry<'_>) -> std::io::Result<()>,
) -> Result<()> {
    let len = bytes.len() as u64;
    let mut content = bytes;
    emit(SnapshotEntry::File {
        path: rel,
        len,
        content: &mut content,
    })?;
    stats.files += 1;
    stats.bytes += len;
    Ok(())
}

fn emit_parents(
    rel: &Path,
    dirs_done: &mut BTreeSet<PathBuf>,
    emit: &mut dyn FnMut(SnapshotEntry<'_>) -> std::io::Result<()>,
) -> Result<()> {
    let mut parents: Vec<&Path> = rel
        .ancestors()
        .skip(1)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    parents.reverse();
    for dir in parents {
        emit_dir(dir, dirs_done, emit)?;
    }
    Ok(())
}

fn emit_dir(
    dir: &Path,
    dirs_done: &mut BTreeSet<PathBuf>,
    emit: &mut dyn FnMut(SnapshotEntry<'_>) -> std::io::Result<()>,
) -> Result<()> {
    if dirs_done.insert(dir.to_owned()) {
        emit(SnapshotEntry::Dir(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_refs_lines() {
        let text = "# pack-refs with: peeled fully-peeled sorted \n\
                    1111111111111111111111111111111111111111 refs/heads/main\n\
                    2222222222222222222222222222222222222222 refs/tags/v1\n\
                    ^3333333333333333333333333333333333333333\n";
        let refs = packed_refs(text);
        assert_eq!(refs.len(), 2);
        assert_eq!(
            refs.get("refs/tags/v1").map(String::as_str),
            Some("2222222222222222222222222222222222222222")
        );
    }

    #[test]
    fn transient_names() {
        for name in [
            "main.lock",
            "tmp-consolidate-1-2",
            ".tmpAbc",
            "incoming-1-2-3",
            "tmp-commit-graph-1-2-3",
        ] {
            assert!(is_transient(name), "{name}");
        }
        for name in ["pack-abc.pack", "commit-graph", "HEAD", "config", "ab"] {
            assert!(!is_transient(name), "{name}");
        }
    }
}
