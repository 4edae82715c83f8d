//! Merging packs (and loose objects) into one pack, deltas kept.

use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::hashtable::HashSet;
use gix_pack::Find as PackFind;

use crate::error::git;
use crate::pack::{PackOptions, PackPlan};
use crate::{Error, Repository, Result};

/// When and how to consolidate.
#[derive(Debug, Clone)]
pub struct ConsolidateOptions {
    /// Only merge when there are at least this many packs, or any loose objects.
    pub min_packs: usize,
}

impl Default for ConsolidateOptions {
    fn default() -> Self {
        ConsolidateOptions { min_packs: 2 }
    }
}

/// What a consolidation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsolidateOutcome {
    /// Nothing was done (too few packs and no loose objects).
    pub skipped: bool,
    /// Packs merged (and removed).
    pub packs_merged: usize,
    /// Loose objects merged (and removed).
    pub loose_merged: usize,
    /// Objects in the new pack.
    pub objects: usize,
    /// Size of the new pack in bytes.
    pub pack_bytes: u64,
}

struct LockGuard(PathBuf);
impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn take_lock(path: &Path) -> Result<LockGuard> {
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(_) => return Ok(LockGuard(path.to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // A lock older than an hour is left over from a crash.
                let stale = std::fs::metadata(path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age.as_secs() > 3600);
                if stale {
                    let _ = std::fs::remove_file(path);
                    continue;
                }
                return Err(Error::Locked(path.to_owned()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Locked(path.to_owned()))
}

impl Repository {
    /// Merge all packs (except those with a `.keep` file) and all loose objects into one
    /// new pack, copying entries as they are (deltas kept), then remove what was merged.
    /// No object is dropped: unreachable objects are kept. Safe against concurrent readers
    /// and pushes (only files that existed when it started are removed, after the new pack
    /// is in place); two consolidations of one repository do not run at once.
    pub fn consolidate_packs(&self, options: &ConsolidateOptions) -> Result<ConsolidateOutcome> {
        let objects_dir = self.objects_dir();
        let pack_dir = objects_dir.join("pack");
        std::fs::create_dir_all(&pack_dir)?;
        let _lock = take_lock(&pack_dir.join("hatchery-consolidate.lock"))?;
        let _ = crate::receive::remove_stale_quarantines(
            &objects_dir,
            std::time::Duration::from_secs(24 * 3600),
        );

        let mut packs = Vec::new();
        for entry in std::fs::read_dir(&pack_dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "idx")
                && path.with_extension("pack").is_file()
                && !path.with_extension("keep").exists()
            {
                packs.push(path);
            }
        }
        let mut loose: Vec<(ObjectId, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&objects_dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            for file in std::fs::read_dir(entry.path())? {
                let file = file?;
                let rest = file.file_name().to_string_lossy().into_owned();
                if let Ok(id) = ObjectId::from_hex(format!("{name}{rest}").as_bytes()) {
                    loose.push((id, file.path()));
                }
            }
        }
        if packs.len() < options.min_packs && loose.is_empty() {
            return Ok(ConsolidateOutcome {
                skipped: true,
                ..Default::default()
            });
        }

        let mut ids: Vec<ObjectId> = Vec::new();
        let mut seen = HashSet::default();
        for idx in &packs {
            let index = gix_pack::index::File::at(idx, gix::hash::Kind::Sha1)
                .map_err(git("opening a pack index"))?;
            for entry in index.iter() {
                if seen.insert(entry.oid) {
                    ids.push(entry.oid);
                }
            }
        }
        for (id, _) in &loose {
            if seen.insert(*id) {
                ids.push(*id);
            }
        }

        let repo = self.pack_local();
        let db: &gix::odb::Handle = &repo.objects;
        let mut buf = Vec::new();
        let mut loose_entries = Vec::new();
        let mut packed = Vec::new();
        for id in ids {
            match db
                .location_by_oid(&id, &mut buf)
                .map_err(git("locating an object"))?
            {
                Some(loc) => packed.push((id, Some(loc))),
                None => {
                    if PackFind::contains(db, &id) {
                        loose_entries.push((id, None));
                    }
                }
            }
        }
        packed.sort_by_key(|e| e.1.as_ref().map(|l| (l.pack_id, l.pack_offset)));
        loose_entries.extend(packed);
        let objects = loose_entries.len();
        let plan = PackPlan::from_entries(
            repo,
            loose_entries,
            &PackOptions {
                ofs_delta: true,
                ..Default::default()
            },
        );

        // Write the pack to a temporary file, then index it into place.
        let tmp = tempfile_in(&pack_dir)?;
        {
            let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp.0)?);
            plan.write(&mut file, &mut ())?;
            std::io::Write::flush(&mut file)?;
        }
        let pack_bytes = std::fs::metadata(&tmp.0)?.len();
        let outcome = {
            let mut reader = std::io::BufReader::new(std::fs::File::open(&tmp.0)?);
            let interrupt = std::sync::atomic::AtomicBool::new(false);
            gix_pack::Bundle::write_to_directory(
                &mut reader,
                Some(&pack_dir),
                &mut gix::progress::Discard,
                &interrupt,
                None::<gix::odb::Handle>,
                gix::hash::Kind::Sha1,
                gix_pack::bundle::write::Options {
                    thread_limit: Some(1),
                    ..Default::default()
                },
            )
            .map_err(git("indexing the merged pack"))?
        };
        if let Some(keep) = &outcome.keep_path {
            let _ = std::fs::remove_file(keep);
        }
        if outcome.index.num_objects as usize != objects {
            return Err(Error::InvalidPack(format!(
                "merged pack holds {} objects, expected {objects}",
                outcome.index.num_objects
            )));
        }
        for path in [&outcome.index_path, &outcome.data_path]
            .into_iter()
            .flatten()
        {
            crate::receive::make_read_only(path)?;
        }
        let new_idx = outcome.index_path;
        for idx in &packs {
            if new_idx.as_deref() == Some(idx.as_path()) {
                continue;
            }
            let _ = std::fs::remove_file(idx);
            for ext in ["pack", "rev", "bitmap", "mtimes"] {
                let _ = std::fs::remove_file(idx.with_extension(ext));
            }
        }
        for (_, path) in &loose {
            let _ = std::fs::remove_file(path);
            if let Some(parent) = path.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
        Ok(ConsolidateOutcome {
            skipped: false,
            packs_merged: packs.len(),
            loose_merged: loose.len(),
            objects,
            pack_bytes,
        })
    }
}

struct TempPath(PathBuf);
impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn tempfile_in(dir: &Path) -> Result<TempPath> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    Ok(TempPath(dir.join(format!(
        "tmp-consolidate-{}-{nanos}",
        std::process::id()
    ))))
}
