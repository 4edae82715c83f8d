use std::path::{Path, PathBuf};

use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
use gix::refs::{FullName, Target};

use crate::error::git;
use crate::{Error, Oid, Result};

/// Bytes of decoded objects gix may cache per thread-local handle.
const OBJECT_CACHE_BYTES: usize = 8 * 1024 * 1024;
/// Bytes of decoded delta bases a pack generation or a push's connectivity check may cache.
pub(crate) const PACK_DELTA_CACHE_BYTES: usize = 8 * 1024 * 1024;

/// A bare repository on disk.
///
/// Cheap to clone and safe to share between threads; every operation opens a
/// thread-local gix handle internally.
#[derive(Clone)]
pub struct Repository {
    inner: gix::ThreadSafeRepository,
    path: PathBuf,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("path", &self.path)
            .finish()
    }
}

/// The kind of a git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// A commit.
    Commit,
    /// A tree.
    Tree,
    /// A blob.
    Blob,
    /// An annotated tag.
    Tag,
}

impl ObjectKind {
    pub(crate) fn from_gix(kind: gix::objs::Kind) -> Self {
        match kind {
            gix::objs::Kind::Commit => ObjectKind::Commit,
            gix::objs::Kind::Tree => ObjectKind::Tree,
            gix::objs::Kind::Blob => ObjectKind::Blob,
            gix::objs::Kind::Tag => ObjectKind::Tag,
        }
    }
}

/// A decoded-from-storage (but not parsed) object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its kind.
    pub kind: ObjectKind,
    /// Its raw content (what git hashes after the header).
    pub data: Vec<u8>,
}

/// A reference (not HEAD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    /// Full name, like `refs/heads/main`.
    pub name: String,
    /// The object the ref points at (for symbolic refs: the resolved object).
    pub target: Oid,
    /// For annotated tags: the object the tag chain ends at.
    pub peeled: Option<Oid>,
    /// For symbolic refs: the name of the ref pointed to.
    pub symref_target: Option<String>,
}

/// The state of `HEAD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// HEAD names a branch that exists.
    Branch {
        /// Full name of the branch, like `refs/heads/main`.
        name: String,
        /// The commit it points at.
        target: Oid,
    },
    /// HEAD names a branch that does not exist yet (empty repository).
    Unborn {
        /// Full name of the branch, like `refs/heads/main`.
        name: String,
    },
    /// HEAD points at an object directly.
    Detached(Oid),
}

impl Head {
    /// The branch HEAD names, if it is symbolic.
    pub fn branch(&self) -> Option<&str> {
        match self {
            Head::Branch { name, .. } | Head::Unborn { name } => Some(name),
            Head::Detached(_) => None,
        }
    }

    /// The object HEAD resolves to, if any.
    pub fn target(&self) -> Option<Oid> {
        match self {
            Head::Branch { target, .. } => Some(*target),
            Head::Detached(oid) => Some(*oid),
            Head::Unborn { .. } => None,
        }
    }
}

/// A person and a time, for commits we write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
    /// Time zone offset in seconds east of UTC.
    pub offset_seconds: i32,
}

impl Signature {
    /// Names and addresses cleaned as git cleans them (`Bob <Ops>` → `Bob Ops`): a `<`,
    /// `>` or line break would end the field early and make the commit unwritable.
    pub(crate) fn to_gix(&self) -> gix::actor::Signature {
        let email = clean_ident(&self.email);
        let mut name = clean_ident(&self.name);
        if name.is_empty() {
            name = email.split('@').next().unwrap_or_default().to_owned();
        }
        if name.is_empty() {
            name = "Hatchery".to_owned();
        }
        gix::actor::Signature {
            name: name.as_str().into(),
            email: email.as_str().into(),
            time: gix::date::Time::new(self.time, self.offset_seconds),
        }
    }
}

/// git's `strbuf_addstr_without_crud` (ident.c): strip "crud" (control characters, space,
/// `,:;<>"\'`) from both ends, then drop every `<`, `>` and line break inside.
pub fn clean_ident(text: &str) -> String {
    let crud = |c: char| c <= ' ' || matches!(c, ',' | ':' | ';' | '<' | '>' | '"' | '\\' | '\'');
    text.trim_matches(crud)
        .chars()
        .filter(|c| !matches!(c, '<' | '>' | '\n'))
        .collect()
}

#[cfg(test)]
mod ident_tests {
    use super::clean_ident;

    #[test]
    fn idents_are_cleaned_as_git_does() {
        assert_eq!(clean_ident("Bob <Ops>"), "Bob Ops");
        assert_eq!(clean_ident("  <bob@example.org> "), "bob@example.org");
        assert_eq!(clean_ident("\"Li, Wei\";"), "Li, Wei");
        assert_eq!(clean_ident("a\nb>c"), "abc");
        assert_eq!(clean_ident("<>"), "");
        assert_eq!(clean_ident("李伟"), "李伟");
    }
}

/// What [`Repository::create_initial_commit`] writes.
#[derive(Debug, Clone)]
pub struct InitialCommit {
    /// The branch to create, short (`main`) or full (`refs/heads/main`).
    pub branch: String,
    /// Files at the root of the tree: name and content.
    pub files: Vec<(String, Vec<u8>)>,
    /// The commit message.
    pub message: String,
    /// Author and committer.
    pub author: Signature,
}

/// Turn `main` or `refs/heads/main` into `refs/heads/main`, validating it.
pub(crate) fn branch_full_name(branch: &str) -> Result<String> {
    let full = if branch.starts_with("refs/") {
        branch.to_owned()
    } else {
        format!("refs/heads/{branch}")
    };
    if !full.starts_with("refs/heads/") {
        return Err(Error::InvalidRefName {
            name: branch.to_owned(),
            reason: "a branch must be under refs/heads/".into(),
        });
    }
    crate::refs::validate_ref_name(&full)?;
    Ok(full)
}

impl Repository {
    /// Create a new bare repository at `path` (which must not exist or be an empty
    /// directory) whose HEAD names `default_branch` (for example `main`).
    pub fn init_bare(path: &Path, default_branch: &str) -> Result<Self> {
        let head = branch_full_name(default_branch)?;
        if path.join("HEAD").exists() || path.join("objects").exists() {
            return Err(Error::AlreadyExists(path.to_owned()));
        }
        let repo = gix::ThreadSafeRepository::init(
            path,
            gix::create::Kind::Bare,
            gix::create::Options::default(),
        )
        .map_err(git("initialising the repository"))?;
        let repo = Repository {
            inner: repo,
            path: path.to_owned(),
        };
        repo.set_head(&head)?;
        Ok(repo)
    }

    /// Open the bare repository at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if !path.join("HEAD").is_file() || !path.join("objects").is_dir() {
            return Err(Error::NotFound(path.to_owned()));
        }
        let mut options = gix::open::Options::isolated();
        options = options.strict_config(false);
        let inner = gix::ThreadSafeRepository::open_opts(path, options)
            .map_err(git("opening the repository"))?;
        Ok(Repository {
            inner,
            path: path.to_owned(),
        })
    }

    /// The repository's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `objects` directory.
    pub(crate) fn objects_dir(&self) -> PathBuf {
        self.path.join("objects")
    }

    /// The commit-graph's changed-path Bloom filters, if it has them.
    pub(crate) fn bloom_filters(&self) -> Option<std::sync::Arc<crate::bloom::BloomFile>> {
        crate::bloom::filters(&self.objects_dir())
    }

    /// Whether the commit-graph carries changed-path Bloom filters. Without them (no
    /// commit-graph, or one written by `git gc`) the history and blame of a path walk every
    /// commit's trees: the server writes its own in the background.
    pub fn has_changed_path_filters(&self) -> bool {
        self.bloom_filters().is_some()
    }

    /// Forget the cached Bloom filters (after writing a new commit-graph).
    pub(crate) fn forget_bloom_filters(&self) {
        crate::bloom::forget(&self.objects_dir());
    }

    /// A thread-local gix handle with an object cache.
    pub(crate) fn local(&self) -> gix::Repository {
        let mut repo = self.inner.to_thread_local();
        repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
        repo
    }

    /// A thread-local handle suitable for pack generation (pack locations stay valid).
    pub(crate) fn pack_local(&self) -> gix::Repository {
        let mut repo = self.local();
        repo.objects.prevent_pack_unload();
        repo.objects.ignore_replacements = true;
        // Pack generation reads each object once, newest first: the decoded-object cache
        // only costs time and memory there. Each tree delta is resolved against the tree
        // decoded just before, which a hash-map delta cache finds in O(1); gix's default
        // is a 64-slot list searched linearly at every step of every delta chain.
        repo.objects.unset_object_cache();
        repo.objects.set_pack_cache(|| {
            Box::new(gix_pack::cache::lru::MemoryCappedHashmap::new(
                PACK_DELTA_CACHE_BYTES,
            ))
        });
        repo
    }

    /// All refs except HEAD, sorted by name, with tags peeled.
    pub fn refs(&self) -> Result<Vec<Ref>> {
        let repo = self.local();
        let platform = repo.references().map_err(git("listing references"))?;
        let iter = platform.all().map_err(git("listing references"))?;
        let mut out = Vec::new();
        for r in iter {
            let r = r.map_err(git("reading a reference"))?;
            let name = r.inner.name.as_bstr().to_string();
            if !name.starts_with("refs/") {
                continue;
            }
            let (target, symref_target) = match &r.inner.target {
                Target::Object(id) => (Oid::from_gix(id), None),
                Target::Symbolic(to) => {
                    let to_name = to.as_bstr().to_string();
                    match resolve_ref_target(&repo, &to_name, 0)? {
                        Some(oid) => (oid, Some(to_name)),
                        None => continue,
                    }
                }
            };
            let peeled = peel_tags(&repo, target)?.filter(|p| *p != target);
            out.push(Ref {
                name,
                target,
                peeled,
                symref_target,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out.dedup_by(|a, b| a.name == b.name);
        Ok(out)
    }

    /// Look up one ref by full name (`refs/heads/main`, or `HEAD`), following symbolic refs.
    pub fn find_ref(&self, name: &str) -> Result<Option<Oid>> {
        let repo = self.local();
        resolve_ref_target(&repo, name, 0)
    }

    /// The state of HEAD.
    pub fn head(&self) -> Result<Head> {
        let repo = self.local();
        let head = repo.find_reference("HEAD").map_err(git("reading HEAD"))?;
        match &head.inner.target {
            Target::Object(id) => Ok(Head::Detached(Oid::from_gix(id))),
            Target::Symbolic(name) => {
                let name = name.as_bstr().to_string();
                match resolve_ref_target(&repo, &name, 0)? {
                    Some(target) => Ok(Head::Branch { name, target }),
                    None => Ok(Head::Unborn { name }),
                }
            }
        }
    }

    /// Point HEAD at `branch` (short or full name); the branch need not exist yet.
    pub fn set_head(&self, branch: &str) -> Result<()> {
        let full = branch_full_name(branch)?;
        let repo = self.local();
        let edit = RefEdit {
            change: Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: "hatchery: set HEAD".into(),
                },
                expected: PreviousValue::Any,
                new: Target::Symbolic(
                    FullName::try_from(full.as_str()).map_err(git("naming the HEAD target"))?,
                ),
            },
            name: FullName::try_from("HEAD").map_err(git("naming HEAD"))?,
            deref: false,
        };
        repo.edit_references_as(
            Some(edit),
            Some(crate::refs::system_signature().to_ref(&mut Default::default())),
        )
        .map_err(git("updating HEAD"))?;
        Ok(())
    }

    /// Resolve a revision: a full or short ref name, `HEAD`, or an object id (full or abbreviated).
    pub fn resolve(&self, rev: &str) -> Result<Option<Oid>> {
        if rev.len() == 40
            && let Ok(oid) = rev.parse::<Oid>()
        {
            return Ok(self.has_object(oid).then_some(oid));
        }
        let repo = self.local();
        for candidate in [
            rev.to_owned(),
            format!("refs/{rev}"),
            format!("refs/heads/{rev}"),
            format!("refs/tags/{rev}"),
        ] {
            if crate::refs::validate_ref_name(&candidate).is_err() && candidate != "HEAD" {
                continue;
            }
            if let Some(oid) = resolve_ref_target(&repo, &candidate, 0)? {
                return Ok(Some(oid));
            }
        }
        match repo.rev_parse_single(rev) {
            Ok(id) => Ok(Some(Oid::from_gix(&id))),
            Err(_) => Ok(None),
        }
    }

    /// Whether the object exists.
    pub fn has_object(&self, oid: Oid) -> bool {
        self.local().has_object(oid.to_gix())
    }

    /// The kind of an object, if it exists.
    pub fn object_kind(&self, oid: Oid) -> Result<Option<ObjectKind>> {
        let repo = self.local();
        object_kind(&repo, oid)
    }

    /// Read an object.
    pub fn read_object(&self, oid: Oid) -> Result<Option<Object>> {
        let repo = self.local();
        match repo
            .try_find_object(oid.to_gix())
            .map_err(git("reading an object"))?
        {
            Some(obj) => Ok(Some(Object {
                kind: ObjectKind::from_gix(obj.kind),
                data: obj.data.clone(),
            })),
            None => Ok(None),
        }
    }

    /// Whether the repository has no refs at all.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.refs()?.is_empty())
    }

    /// Write a first commit with `files` at the root of its tree and create `branch`
    /// pointing at it (the branch must not exist). Everything goes through gix; no git binary.
    pub fn create_initial_commit(&self, commit: &InitialCommit) -> Result<Oid> {
        let branch = branch_full_name(&commit.branch)?;
        let repo = self.local();
        let mut entries = Vec::with_capacity(commit.files.len());
        for (name, content) in &commit.files {
            if name.is_empty()
                || name == "."
                || name == ".."
                || name.contains('/')
                || name.contains('\0')
                || name.eq_ignore_ascii_case(".git")
            {
                return Err(Error::InvalidInput(format!(
                    "invalid file name for the initial commit: {name:?}"
                )));
            }
            let blob = repo.write_blob(content).map_err(git("writing a blob"))?;
            entries.push(gix::objs::tree::Entry {
                mode: gix::objs::tree::EntryKind::Blob.into(),
                filename: name.as_str().into(),
                oid: blob.detach(),
            });
        }
        entries.sort_by(|a, b| a.filename.cmp(&b.filename));
        entries.dedup_by(|a, b| a.filename == b.filename);
        let tree = repo
            .write_object(&gix::objs::Tree { entries })
            .map_err(git("writing the tree"))?
            .detach();
        let signature = commit.author.to_gix();
        let mut message = commit.message.clone();
        if !message.ends_with('\n') {
            message.push('\n');
        }
        let object = gix::objs::Commit {
            tree,
            parents: Default::default(),
            author: signature.clone(),
            committer: signature,
            encoding: None,
            message: message.into(),
            extra_headers: Vec::new(),
        };
        let id = Oid::from_gix(
            &repo
                .write_object(&object)
                .map_err(git("writing the commit"))?
                .detach(),
        );
        let results = self.update_refs(
            &[crate::RefUpdate {
                name: branch,
                old: None,
                new: Some(id),
            }],
            true,
        );
        for r in results {
            r.map_err(|e| Error::InvalidInput(e.to_string()))?;
        }
        Ok(id)
    }

    /// Whether `ancestor` is reachable from `descendant` (also true when they are equal):
    /// the fast-forward test for a ref update from `ancestor` to `descendant`.
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        let repo = self.local();
        crate::walk::is_ancestor(&repo, ancestor.to_gix(), descendant.to_gix())
    }

    /// Whether commit `commit` is reachable from any of `tips` (which may be tags; other
    /// objects are ignored). Used to vet `want`s that are not ref tips.
    pub fn is_reachable_from_any(&self, commit: Oid, tips: &[Oid]) -> Result<bool> {
        let repo = self.local();
        let mut buf = Vec::new();
        let mut commits = Vec::new();
        for t in tips {
            if let Some((id, gix::objs::Kind::Commit)) =
                crate::walk::peel(&repo, t.to_gix(), &mut buf)?
            {
                commits.push(id);
            }
        }
        crate::walk::reachable_from_any(&repo, commit.to_gix(), &commits)
    }

    /// Number of pack files in `objects/pack`.
    pub fn pack_count(&self) -> Result<usize> {
        let dir = self.objects_dir().join("pack");
        let mut n = 0;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().ends_with(".pack") {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Resolve a ref name (following symbolic refs) to an object id.
pub(crate) fn resolve_ref_target(
    repo: &gix::Repository,
    name: &str,
    depth: usize,
) -> Result<Option<Oid>> {
    if depth > 5 {
        return Ok(None);
    }
    let found = match repo.try_find_reference(name) {
        Ok(found) => found,
        // Names gix considers invalid simply do not resolve.
        Err(_) => return Ok(None),
    };
    match found {
        None => Ok(None),
        Some(r) => match &r.inner.target {
            Target::Object(id) => Ok(Some(Oid::from_gix(id))),
            Target::Symbolic(to) => resolve_ref_target(repo, &to.as_bstr().to_string(), depth + 1),
        },
    }
}

pub(crate) fn object_kind(repo: &gix::Repository, oid: Oid) -> Result<Option<ObjectKind>> {
    match gix::objs::FindHeader::try_header(&repo.objects, &oid.to_gix())
        .map_err(git("reading an object header"))?
    {
        Some(h) => Ok(Some(ObjectKind::from_gix(h.kind))),
        None => Ok(None),
    }
}

/// Follow annotated tags from `oid` to the first non-tag object.
pub(crate) fn peel_tags(repo: &gix::Repository, oid: Oid) -> Result<Option<Oid>> {
    let mut current = oid;
    for _ in 0..32 {
        let Some(obj) = repo
            .try_find_object(current.to_gix())
            .map_err(git("peeling a tag"))?
        else {
            return Ok(None);
        };
        if obj.kind != gix::objs::Kind::Tag {
            return Ok(Some(current));
        }
        let target = gix::objs::TagRefIter::from_bytes(&obj.data, gix::hash::Kind::Sha1)
            .target_id()
            .map_err(|e| Error::InvalidObject {
                oid: current,
                reason: format!("{e:#}"),
            })?;
        current = Oid::from_gix(&target);
    }
    Ok(None)
}
