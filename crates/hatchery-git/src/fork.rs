//! Forks on disk: a new bare repository that shares the parent's objects by hard links,
//! and moving a fork's commits into another repository (a pull request's head into its
//! base) through the receive quarantine.
//!
//! Hard links rather than git alternates: both repositories own their files, so deleting
//! or repacking either never breaks the other (packs and loose objects are immutable and
//! replaced by rename, never rewritten in place). Across file systems the files are copied.

use std::path::Path;

use crate::{Error, Oid, RefUpdate, Repository, Result};

/// What [`Repository::fork_to`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForkStats {
    /// Object files (packs, indexes, loose objects, commit-graph) hard-linked.
    pub linked_files: u64,
    /// Object files copied because linking was impossible (another file system).
    pub copied_files: u64,
    /// Bytes of the copied files (linked files cost no space).
    pub copied_bytes: u64,
    /// Branches and tags created.
    pub refs: u64,
}

/// A fork reading refs while the parent repacks may find a pack gone between listing and
/// linking; it starts over, a few times.
const FORK_ATTEMPTS: usize = 4;

impl Repository {
    /// Create a bare repository at `dest` (which must not exist) with this repository's
    /// branches, tags and HEAD, sharing its objects by hard links.
    pub fn fork_to(&self, dest: &Path) -> Result<(Repository, ForkStats)> {
        let head = self.head()?;
        let default_branch = head.branch().unwrap_or("refs/heads/main").to_owned();
        let refs: Vec<_> = self
            .refs()?
            .into_iter()
            .filter(|r| {
                r.symref_target.is_none()
                    && (r.name.starts_with("refs/heads/") || r.name.starts_with("refs/tags/"))
            })
            .collect();
        if dest.exists() {
            return Err(Error::AlreadyExists(dest.to_owned()));
        }
        let fork = Repository::init_bare(dest, &default_branch)?;
        let mut stats = ForkStats::default();
        // Refs were read first: every object they name is in a file listed afterwards,
        // unless a repack replaced that file meanwhile (then a newer one holds it).
        let mut attempt = 0;
        loop {
            attempt += 1;
            match share_objects(&self.objects_dir(), &fork.objects_dir(), &mut stats) {
                Ok(()) => break,
                Err(e) if attempt < FORK_ATTEMPTS && e.kind() == std::io::ErrorKind::NotFound => {
                    continue;
                }
                Err(e) => {
                    let _ = std::fs::remove_dir_all(dest);
                    return Err(e.into());
                }
            }
        }
        let updates: Vec<RefUpdate> = refs
            .iter()
            .map(|r| RefUpdate {
                name: r.name.clone(),
                old: None,
                new: Some(r.target),
            })
            .collect();
        for (r, result) in refs.iter().zip(fork.update_refs(&updates, true)) {
            if let Err(e) = result {
                let _ = std::fs::remove_dir_all(dest);
                return Err(Error::InvalidInput(format!("copying {}: {e}", r.name)));
            }
        }
        stats.refs = refs.len() as u64;
        // Reopen: the handle made by init cached an empty object store.
        let fork = Repository::open(dest)?;
        for r in &refs {
            if !fork.has_object(r.target) {
                let _ = std::fs::remove_dir_all(dest);
                return Err(Error::MissingObject(r.target));
            }
        }
        Ok((fork, stats))
    }

    /// Make `tip` (a commit of this repository) and everything it needs present in
    /// `other`, then point `other`'s ref `name` at it with a compare-and-swap on `old`
    /// (`None`: the ref must not exist). The objects travel as a pack through `other`'s
    /// receive quarantine, so nothing half-written becomes visible there, and only those
    /// `other` lacks are sent. Returns the number of objects sent.
    pub fn transfer_to(
        &self,
        other: &Repository,
        tip: Oid,
        name: &str,
        old: Option<Oid>,
    ) -> Result<u64> {
        crate::refs::validate_ref_name(name)?;
        let sent = self.send_objects(other, tip)?;
        let result = other
            .update_refs(
                &[RefUpdate {
                    name: name.to_owned(),
                    old,
                    new: Some(tip),
                }],
                true,
            )
            .pop();
        match result {
            Some(Ok(_)) => Ok(sent),
            Some(Err(e)) => Err(Error::InvalidInput(e.to_string())),
            None => Err(Error::InvalidInput("the reference was not updated".into())),
        }
    }

    /// Copy the objects `tip` needs into `other` (no ref changes). Returns how many objects
    /// were sent (0 when `other` had them all).
    pub fn send_objects(&self, other: &Repository, tip: Oid) -> Result<u64> {
        if other.has_object(tip) {
            return Ok(0);
        }
        if !self.has_object(tip) {
            return Err(Error::MissingObject(tip));
        }
        // What `other` has, as far as this repository knows those commits: the haves.
        let mut common = Vec::new();
        for r in other.refs()? {
            let id = r.peeled.unwrap_or(r.target);
            if self.has_object(id) && !common.contains(&id) {
                common.push(id);
            }
        }
        let plan = self.plan_pack(
            &[tip],
            &common,
            &Default::default(),
            &crate::PackOptions {
                thin_pack: true,
                ofs_delta: true,
                include_tag: false,
                filter: None,
            },
            &mut (),
        )?;
        let mut pack = Vec::new();
        plan.write(&mut pack, &mut ())?;
        let quarantine =
            other.receive_pack(&mut std::io::Cursor::new(pack), &Default::default())?;
        if let Some(Some(missing)) = quarantine.check_connectivity(&[tip])?.first() {
            return Err(Error::MissingObject(*missing));
        }
        let objects = quarantine.received().objects;
        quarantine.migrate()?;
        Ok(objects)
    }
}

/// Link (or copy) every object file of `from` into `to`: packs with their indexes and
/// companions, loose objects, the commit-graph.
fn share_objects(from: &Path, to: &Path, stats: &mut ForkStats) -> std::io::Result<()> {
    let pack_dir = from.join("pack");
    if pack_dir.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(&pack_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|e| {
                    ["pack", "idx", "rev", "bitmap", "mtimes"]
                        .iter()
                        .any(|known| e == *known)
                })
            })
            .collect();
        // Packs before their indexes, so the fork never holds an index without its pack.
        files.sort_by_key(|p| p.extension().is_none_or(|e| e != "pack"));
        std::fs::create_dir_all(to.join("pack"))?;
        for f in files {
            if let Some(name) = f.file_name() {
                share_file(&f, &to.join("pack").join(name), stats)?;
            }
        }
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let sub = to.join(&*name);
        std::fs::create_dir_all(&sub)?;
        for object in std::fs::read_dir(entry.path())? {
            let object = object?;
            share_file(&object.path(), &sub.join(object.file_name()), stats)?;
        }
    }
    let graph = from.join("info").join("commit-graph");
    if graph.is_file() {
        std::fs::create_dir_all(to.join("info"))?;
        match share_file(&graph, &to.join("info").join("commit-graph"), stats) {
            // Replaced meanwhile: the fork writes its own later.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

fn share_file(from: &Path, to: &Path, stats: &mut ForkStats) -> std::io::Result<()> {
    if to.exists() {
        return Ok(());
    }
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            stats.linked_files += 1;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(e),
        Err(_) => {
            let bytes = std::fs::copy(from, to)?;
            crate::receive::make_read_only(to).map_err(|e| match e {
                Error::Io(io) => io,
                other => std::io::Error::other(other.to_string()),
            })?;
            stats.copied_files += 1;
            stats.copied_bytes += bytes;
            Ok(())
        }
    }
}
