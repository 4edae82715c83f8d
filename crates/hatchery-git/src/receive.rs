//! Receiving pushed packs: quarantine, connectivity check, migration.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gix::ObjectId;
use gix::hashtable::HashSet;

use crate::error::git;
use crate::{Error, ObjectKind, Oid, Repository, Result};

/// Limits for receiving a pack.
#[derive(Debug, Clone, Default)]
pub struct ReceiveOptions {
    /// Refuse packs larger than this many bytes.
    pub max_pack_bytes: Option<u64>,
    /// Refuse single objects that decompress to more than this many bytes.
    pub max_object_bytes: Option<usize>,
    /// Give up at this instant (`git.max_push_secs` after the push began): reading and
    /// indexing stop, the quarantine is removed and [`Error::PushTimedOut`] is returned.
    pub deadline: Option<Instant>,
}

/// Statistics of a received pack, see [`Quarantine::received`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceivedPack {
    /// Objects in the pack (after thin-pack completion).
    pub objects: u64,
    /// Bytes read from the client.
    pub bytes: u64,
}

/// A received pack that is not visible to readers of the repository yet.
///
/// Dropping it deletes everything it holds; [`Quarantine::migrate`] makes it part of the
/// repository.
pub struct Quarantine {
    repo: Repository,
    dir: PathBuf,
    received: ReceivedPack,
    done: bool,
}

/// Pack files moved into the repository by [`Quarantine::migrate`].
#[derive(Debug)]
pub struct MigratedPack {
    moved: Vec<PathBuf>,
}

impl MigratedPack {
    /// Remove the migrated files again (when no ref update used them).
    pub fn rollback(self) -> Result<()> {
        // Index first, so no reader ever sees an index without its pack.
        let mut files = self.moved;
        files.sort_by_key(|p| p.extension().is_none_or(|e| e != "idx"));
        for f in files {
            match std::fs::remove_file(&f) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

static QUARANTINE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Names of the quarantine directories of pushes running in this process (names are unique:
/// process id, counter, time). [`remove_crash_leftovers`] never touches these, whatever
/// their age.
static LIVE_QUARANTINES: Mutex<BTreeSet<OsString>> = Mutex::new(BTreeSet::new());

fn set_live(dir: &Path, live: bool) {
    let (Some(name), Ok(mut set)) = (dir.file_name(), LIVE_QUARANTINES.lock()) else {
        return;
    };
    if live {
        set.insert(name.to_owned());
    } else {
        set.remove(name);
    }
}

fn is_live(name: &std::ffi::OsStr) -> bool {
    LIVE_QUARANTINES.lock().is_ok_and(|set| set.contains(name))
}

struct LimitedReader<'a> {
    inner: &'a mut dyn Read,
    read: u64,
    limit: Option<u64>,
    exceeded: &'a AtomicBool,
    deadline: Option<Instant>,
    timed_out: &'a AtomicBool,
}

impl Read for LimitedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.timed_out.store(true, Ordering::Relaxed);
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the push took longer than this server allows",
            ));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if let Some(limit) = self.limit
            && self.read > limit
        {
            self.exceeded.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other(
                "pack exceeds the maximum allowed size",
            ));
        }
        Ok(n)
    }
}

impl Repository {
    /// Read a pack from `pack` into a new quarantine directory inside the repository,
    /// completing a thin pack from the repository's objects and writing its index.
    pub fn receive_pack(
        &self,
        pack: &mut dyn Read,
        options: &ReceiveOptions,
    ) -> Result<Quarantine> {
        let objects = self.objects_dir();
        let n = QUARANTINE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = objects.join(format!("incoming-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir)?;
        set_live(&dir, true);
        let mut quarantine = Quarantine {
            repo: self.clone(),
            dir: dir.clone(),
            received: ReceivedPack::default(),
            done: false,
        };
        std::fs::create_dir_all(dir.join("pack"))?;
        std::fs::create_dir_all(dir.join("info"))?;
        let objects_abs = std::fs::canonicalize(&objects)?;
        std::fs::write(
            dir.join("info").join("alternates"),
            format!("{}\n", objects_abs.display()),
        )?;

        let exceeded = AtomicBool::new(false);
        let timed_out = AtomicBool::new(false);
        let mut limited = LimitedReader {
            inner: pack,
            read: 0,
            limit: options.max_pack_bytes,
            exceeded: &exceeded,
            deadline: options.deadline,
            timed_out: &timed_out,
        };
        let main = self.local();
        let interrupt = AtomicBool::new(false);
        let outcome = std::thread::scope(|scope| {
            // Indexing a large pack after its last byte arrived also counts: a watchdog
            // interrupts it at the deadline.
            let (finished, watch) = std::sync::mpsc::channel::<()>();
            if let Some(deadline) = options.deadline {
                let (interrupt, timed_out) = (&interrupt, &timed_out);
                scope.spawn(move || {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                        watch.recv_timeout(left)
                    {
                        timed_out.store(true, Ordering::Relaxed);
                        interrupt.store(true, Ordering::Relaxed);
                    }
                });
            }
            let mut reader = std::io::BufReader::with_capacity(64 * 1024, &mut limited);
            let outcome = gix_pack::Bundle::write_to_directory(
                &mut reader as &mut dyn BufRead,
                Some(&dir.join("pack")),
                &mut gix::progress::Discard,
                &interrupt,
                Some(&main.objects),
                gix::hash::Kind::Sha1,
                gix_pack::bundle::write::Options {
                    thread_limit: Some(2),
                    alloc_limit_bytes: options.max_object_bytes,
                    ..Default::default()
                },
            );
            drop(finished);
            outcome
        });
        if timed_out.load(Ordering::Relaxed)
            || options.deadline.is_some_and(|d| Instant::now() >= d)
        {
            return Err(Error::PushTimedOut);
        }
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                if exceeded.load(Ordering::Relaxed) {
                    return Err(Error::PackTooLarge {
                        limit: options.max_pack_bytes.unwrap_or(0),
                    });
                }
                return Err(Error::InvalidPack(format!("{e:#}")));
            }
        };
        quarantine.received = ReceivedPack {
            objects: u64::from(outcome.index.num_objects),
            bytes: limited.read,
        };
        if let Some(keep) = &outcome.keep_path {
            let _ = std::fs::remove_file(keep);
        }
        Ok(quarantine)
    }
}

impl Quarantine {
    /// What was received.
    pub fn received(&self) -> ReceivedPack {
        self.received
    }

    /// A gix handle that sees the quarantined objects and the repository's.
    pub(crate) fn view(&self) -> Result<gix::Repository> {
        let mut repo = self.repo.local();
        let odb = gix::odb::at(&self.dir, gix::hash::Kind::Sha1)?;
        let mut objects = gix::OdbHandle::from(odb).with_write_passthrough();
        // Without a delta cache, every tree of a pushed history is rebuilt from the start
        // of its delta chain when the connectivity check reads it.
        objects.set_pack_cache(|| {
            Box::new(gix_pack::cache::lru::MemoryCappedHashmap::new(
                crate::repo::PACK_DELTA_CACHE_BYTES,
            ))
        });
        repo.objects = objects;
        Ok(repo)
    }

    /// The kind of an object, looking in the quarantine and the repository.
    pub fn object_kind(&self, oid: Oid) -> Result<Option<ObjectKind>> {
        crate::repo::object_kind(&self.view()?, oid)
    }

    /// Fast-forward test that sees quarantined commits.
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        crate::walk::is_ancestor(&self.view()?, ancestor.to_gix(), descendant.to_gix())
    }

    /// For each tip: `None` if everything reachable from it is present (walking stops at
    /// objects the repository already had), or the first missing object.
    pub fn check_connectivity(&self, tips: &[Oid]) -> Result<Vec<Option<Oid>>> {
        // Most pushed objects are not in the repository, and with gix's default refresh mode
        // every such miss rescans the pack directory (readdir, stat, realpath of alternates):
        // once per pushed object. A store that reads the directory once, now, and never
        // again sees everything the client may rely on: that was on disk before this push.
        let mut main = self.repo.local();
        let mut objects = gix::OdbHandle::from(gix::odb::at(
            self.repo.objects_dir(),
            gix::hash::Kind::Sha1,
        )?);
        objects.refresh_never();
        main.objects = objects;
        let view = self.view()?;
        let mut visited = HashSet::default();
        let mut any_missing = false;
        for tip in tips {
            if walk_connected(&main, &view, tip.to_gix(), &mut visited)?.is_some() {
                any_missing = true;
                break;
            }
        }
        if !any_missing {
            return Ok(vec![None; tips.len()]);
        }
        let mut out = Vec::with_capacity(tips.len());
        for tip in tips {
            let mut visited = HashSet::default();
            out.push(
                walk_connected(&main, &view, tip.to_gix(), &mut visited)?
                    .map(|m| Oid::from_gix(&m)),
            );
        }
        Ok(out)
    }

    /// Move the received pack into `objects/pack`, making its objects visible.
    pub fn migrate(mut self) -> Result<MigratedPack> {
        let target_dir = self.repo.objects_dir().join("pack");
        let mut moved = Vec::new();
        let mut packs = Vec::new();
        for entry in std::fs::read_dir(self.dir.join("pack"))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "pack") {
                packs.push(path);
            }
        }
        for pack in packs {
            let idx = pack.with_extension("idx");
            if !idx.is_file() || self.received.objects == 0 {
                continue;
            }
            let (Some(pack_name), Some(idx_name)) = (pack.file_name(), idx.file_name()) else {
                continue;
            };
            let pack_target = target_dir.join(pack_name);
            let idx_target = target_dir.join(idx_name);
            if pack_target.exists() && idx_target.exists() {
                continue;
            }
            // Pack first: an index must never point at a pack that is not there yet.
            make_read_only(&pack)?;
            make_read_only(&idx)?;
            std::fs::rename(&pack, &pack_target)?;
            moved.push(pack_target);
            std::fs::rename(&idx, &idx_target)?;
            moved.push(idx_target);
        }
        self.done = true;
        let _ = std::fs::remove_dir_all(&self.dir);
        set_live(&self.dir, false);
        Ok(MigratedPack { moved })
    }
}

impl Drop for Quarantine {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.dir);
            set_live(&self.dir, false);
        }
    }
}

fn walk_connected(
    main: &gix::Repository,
    view: &gix::Repository,
    tip: ObjectId,
    visited: &mut HashSet<ObjectId>,
) -> Result<Option<ObjectId>> {
    let mut stack = vec![tip];
    let mut buf = Vec::new();
    while let Some(id) = stack.pop() {
        if !visited.insert(id) || main.has_object(id) {
            continue;
        }
        let Some(data) = gix::objs::Find::try_find(&view.objects, &id, &mut buf)
            .map_err(git("reading a pushed object"))?
        else {
            return Ok(Some(id));
        };
        let invalid = |e: gix::Error| Error::InvalidObject {
            oid: Oid::from_gix(&id),
            reason: format!("{e:#}"),
        };
        match data.kind {
            gix::objs::Kind::Commit => {
                let info = crate::walk::parse_commit(data.data, &id)?;
                stack.push(info.tree);
                stack.extend(info.parents);
            }
            gix::objs::Kind::Tree => {
                let mut blobs = Vec::new();
                for entry in gix::objs::TreeRefIter::from_bytes(data.data, gix::hash::Kind::Sha1) {
                    let entry = entry.map_err(invalid)?;
                    if entry.mode.is_commit() {
                        continue;
                    }
                    if entry.mode.is_tree() {
                        stack.push(entry.oid.to_owned());
                    } else {
                        blobs.push(entry.oid.to_owned());
                    }
                }
                for b in blobs {
                    if visited.insert(b) && !main.has_object(b) && !view.has_object(b) {
                        return Ok(Some(b));
                    }
                }
            }
            gix::objs::Kind::Tag => {
                let target = gix::objs::TagRefIter::from_bytes(data.data, gix::hash::Kind::Sha1)
                    .target_id()
                    .map_err(invalid)?;
                stack.push(target);
            }
            gix::objs::Kind::Blob => {}
        }
    }
    Ok(None)
}

/// Packs are immutable; give them git's `0444` permissions (gix writes temp files `0600`).
pub(crate) fn make_read_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444))?;
    }
    #[cfg(not(unix))]
    {
        let _ = path;
    }
    Ok(())
}

/// Remove quarantine directories left behind by crashed pushes (older than `age`), except
/// those of pushes running in this process.
pub(crate) fn remove_stale_quarantines(objects: &Path, age: Duration) -> Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(objects)? {
        let entry = entry?;
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("incoming-") || is_live(&name) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|e| e > age);
        if old && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes what a push killed mid-way (a crash, `kill -9`) leaves in the bare repository at
/// `repo_dir`: receive quarantines (`objects/incoming-*`) whose directory was last changed
/// more than `age` ago, and half-written full-clone object lists (`objects/info/
/// hatchery-full-clone.tmp-*`) as old. With `age` at least the longest a push may take
/// ([`ReceiveOptions::deadline`]), no running push — of this server or another one sharing
/// the repositories — owns such a directory; those of pushes running in this process are
/// skipped regardless. Returns how many were removed. Works on the directory alone (no
/// repository is opened), so a broken repository is cleaned too.
pub fn remove_crash_leftovers(repo_dir: &Path, age: Duration) -> Result<usize> {
    let objects = repo_dir.join("objects");
    let lists = crate::clone_list::remove_stale_temporaries(&objects, age);
    match remove_stale_quarantines(&objects, age) {
        Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(lists),
        other => other.map(|n| n + lists),
    }
}
