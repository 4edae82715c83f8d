//! The object list of the last full clone, kept beside the packs (`objects/info/
//! hatchery-full-clone`) so that the next full clone asking for the same objects skips the
//! walk of every commit and tree — two thirds of a large clone's server time.
//!
//! It can never be stale: what is reachable from a set of object ids never changes (ids
//! name content), so the list is a function of the wants alone, and, when the client asked
//! for `include-tag`, of the tags the refs point at, which are part of the key too. A push
//! changes the refs and so what the next clone wants: that clone walks once and replaces the
//! file. Repacking moves objects between packs but keeps them, and every object of the list
//! is located again before a pack is written, so a missing one still fails before the
//! header. A file that is unreadable, truncated or fails its checksum is ignored.

use std::io::Write;
use std::path::{Path, PathBuf};

use gix::ObjectId;

use crate::Oid;

const MAGIC: &[u8; 8] = b"HCLIST01";
const HEADER: usize = MAGIC.len() + ID + 8 + 8;
const ID: usize = 20;
const TEMPORARY: &str = "hatchery-full-clone.tmp-";

/// The objects a full clone sends, in the order they were counted.
pub(crate) struct CloneList {
    pub ids: Vec<ObjectId>,
    pub commits: usize,
}

pub(crate) fn path(objects_dir: &Path) -> PathBuf {
    objects_dir.join("info").join("hatchery-full-clone")
}

/// Whether a full clone of this repository has stored a list.
pub(crate) fn exists(objects_dir: &Path) -> bool {
    path(objects_dir).is_file()
}

/// The key of a full clone: its wants (sorted, without repeats), whether tags pointing at
/// sent objects are added, and then the targets of the tag refs.
pub(crate) fn key(wants: &[Oid], tags: Option<Vec<Oid>>) -> Option<ObjectId> {
    let mut wants: Vec<&Oid> = wants.iter().collect();
    wants.sort();
    wants.dedup();
    let mut hasher = gix::hash::hasher(gix::hash::Kind::Sha1);
    hasher.update(b"wants");
    for w in wants {
        hasher.update(w.to_gix().as_slice());
    }
    if let Some(mut tags) = tags {
        tags.sort();
        tags.dedup();
        hasher.update(b"include-tag");
        for t in tags {
            hasher.update(t.to_gix().as_slice());
        }
    }
    hasher.try_finalize().ok()
}

/// The list stored for `key`, if there is one and it is whole.
pub(crate) fn read(objects_dir: &Path, key: &ObjectId) -> Option<CloneList> {
    let data = std::fs::read(path(objects_dir)).ok()?;
    if data.len() < HEADER + ID || &data[..MAGIC.len()] != MAGIC {
        return None;
    }
    let (body, trailer) = data.split_at(data.len() - ID);
    let mut hasher = gix::hash::hasher(gix::hash::Kind::Sha1);
    hasher.update(body);
    if hasher.try_finalize().ok()?.as_slice() != trailer {
        return None;
    }
    if &body[MAGIC.len()..MAGIC.len() + ID] != key.as_slice() {
        return None;
    }
    let number = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(body.get(at..at + 8)?.try_into().ok()?))
    };
    let commits = usize::try_from(number(MAGIC.len() + ID)?).ok()?;
    let count = usize::try_from(number(MAGIC.len() + ID + 8)?).ok()?;
    let ids = &body[HEADER..];
    if ids.len() != count.checked_mul(ID)? {
        return None;
    }
    let ids = ids
        .chunks_exact(ID)
        .map(|c| ObjectId::try_from(c).ok())
        .collect::<Option<Vec<_>>>()?;
    Some(CloneList { ids, commits })
}

/// Stores the list for `key` in place of any other, atomically (a temporary file renamed
/// over the old one), so a concurrent clone reads either list whole.
pub(crate) fn write<'a>(
    objects_dir: &Path,
    key: &ObjectId,
    ids: impl ExactSizeIterator<Item = &'a ObjectId>,
    commits: usize,
) -> std::io::Result<()> {
    let target = path(objects_dir);
    let dir = objects_dir.join("info");
    std::fs::create_dir_all(&dir)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let tmp = dir.join(format!("{TEMPORARY}{}-{nanos}", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp)?;
        let mut out = std::io::BufWriter::new(file);
        let mut hasher = gix::hash::hasher(gix::hash::Kind::Sha1);
        let mut put = |out: &mut std::io::BufWriter<std::fs::File>, bytes: &[u8]| {
            hasher.update(bytes);
            out.write_all(bytes)
        };
        put(&mut out, MAGIC)?;
        put(&mut out, key.as_slice())?;
        put(&mut out, &(commits as u64).to_le_bytes())?;
        put(&mut out, &(ids.len() as u64).to_le_bytes())?;
        for id in ids {
            put(&mut out, id.as_slice())?;
        }
        let checksum = hasher
            .try_finalize()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        out.write_all(checksum.as_slice())?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes temporary lists older than `age` that a crash left behind (a write in progress
/// is younger). Returns how many.
pub(crate) fn remove_stale_temporaries(objects_dir: &Path, age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(objects_dir.join("info")) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(TEMPORARY)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|elapsed| elapsed >= age);
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn a_list_reads_back_only_under_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let wants = [Oid::from_gix(&id(1)), Oid::from_gix(&id(2))];
        let k = key(&wants, None).unwrap();
        let ids = [id(3), id(4), id(5)];
        write(dir.path(), &k, ids.iter(), 1).unwrap();
        let back = read(dir.path(), &k).unwrap();
        assert_eq!(back.ids, ids);
        assert_eq!(back.commits, 1);

        // The same wants in another order, or repeated, are the same clone.
        let again = [wants[1], wants[0], wants[1]];
        assert_eq!(key(&again, None), Some(k));
        // Asking for tags, or other tags, is another key.
        let with_tags = key(&wants, Some(vec![Oid::from_gix(&id(9))])).unwrap();
        assert_ne!(with_tags, k);
        assert!(read(dir.path(), &with_tags).is_none());
        assert_ne!(key(&wants, Some(vec![])), key(&wants, None));
    }

    #[test]
    fn a_damaged_list_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(&[Oid::from_gix(&id(1))], None).unwrap();
        write(dir.path(), &k, [id(3), id(4)].iter(), 0).unwrap();
        let file = path(dir.path());
        let whole = std::fs::read(&file).unwrap();

        let mut flipped = whole.clone();
        flipped[HEADER + 3] ^= 1;
        std::fs::write(&file, &flipped).unwrap();
        assert!(read(dir.path(), &k).is_none(), "checksum");

        std::fs::write(&file, &whole[..whole.len() - 7]).unwrap();
        assert!(read(dir.path(), &k).is_none(), "truncated");

        std::fs::write(&file, b"HCLIST01").unwrap();
        assert!(read(dir.path(), &k).is_none(), "header only");

        std::fs::remove_file(&file).unwrap();
        assert!(read(dir.path(), &k).is_none(), "missing");
    }

    #[test]
    fn temporaries_left_by_a_crash_are_removed_when_old() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("info")).unwrap();
        let tmp = dir.path().join("info").join(format!("{TEMPORARY}1-2"));
        std::fs::write(&tmp, b"partial").unwrap();
        let hour = std::time::Duration::from_secs(3600);
        assert_eq!(remove_stale_temporaries(dir.path(), hour), 0, "young");
        assert_eq!(
            remove_stale_temporaries(dir.path(), std::time::Duration::ZERO),
            1
        );
        assert!(!tmp.exists());
    }
}
