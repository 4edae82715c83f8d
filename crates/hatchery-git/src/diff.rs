//! Commit details, diffs (structured and as patch text), and comparisons.
//!
//! Tree changes and rename detection come from gix's tree diff with rewrite tracking; line
//! diffs from gix's blob diff (imara-diff, Myers with git's slider heuristics), rendered as
//! unified hunks with context here.

use std::fmt::Write as _;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::diff::blob::{Algorithm, Diff as LineDiff, InternedInput, Token};
use gix::objs::tree::EntryMode;
use std::collections::HashMap;

use crate::browse::{EntryKind, Person, person};
use crate::error::git;
use crate::objects::{self, HASH};
use crate::{CommitSummary, Error, Oid, Repository, Result};

/// A commit with everything the commit page shows above the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitDetail {
    /// The commit id.
    pub id: Oid,
    /// Its root tree.
    pub tree: Oid,
    /// Parents, first parent first.
    pub parents: Vec<Oid>,
    /// The author.
    pub author: Person,
    /// The committer.
    pub committer: Person,
    /// The first non-empty line of the message.
    pub summary: String,
    /// The full message (non-UTF-8 bytes replaced by U+FFFD).
    pub message: String,
    /// The declared message encoding, if any.
    pub encoding: Option<String>,
}

/// Bounds and switches of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiffOptions {
    /// Files beyond this many are counted in [`Diff::total_files`] but not listed.
    pub max_files: usize,
    /// Lines (context included) kept per file; the rest of its hunks is dropped.
    pub max_lines_per_file: usize,
    /// Lines kept over all files; later files are listed without hunks.
    pub max_total_lines: usize,
    /// Blobs larger than this are not line-diffed ([`FileDiff::too_large`]).
    pub max_blob_bytes: u64,
    /// Lines of context around changes (git's default is 3).
    pub context_lines: u32,
    /// Detect renames (50% similarity, like git's default).
    pub find_renames: bool,
    /// Also detect copies from modified files (off in git's default).
    pub find_copies: bool,
    /// Compare lines with all whitespace removed, as `git diff -w` does; the lines shown
    /// are still the files' own.
    pub ignore_whitespace: bool,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            max_files: 300,
            max_lines_per_file: 3_000,
            max_total_lines: 20_000,
            max_blob_bytes: 4 << 20,
            context_lines: 3,
            find_renames: true,
            find_copies: false,
            ignore_whitespace: false,
        }
    }
}

impl DiffOptions {
    /// No truncation (for `.patch`/`.diff` downloads); blobs up to 256 MiB are diffed.
    pub fn unlimited() -> Self {
        DiffOptions {
            max_files: usize::MAX,
            max_lines_per_file: usize::MAX,
            max_total_lines: usize::MAX,
            max_blob_bytes: 256 << 20,
            ..DiffOptions::default()
        }
    }
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// New file.
    Added,
    /// Removed file.
    Deleted,
    /// Content or mode changed.
    Modified,
    /// Moved, with the similarity of old and new content in percent.
    Renamed {
        /// 0-100.
        similarity: u8,
    },
    /// Copied from another file (only with [`DiffOptions::find_copies`]).
    Copied {
        /// 0-100.
        similarity: u8,
    },
    /// The kind changed (file, symlink, submodule) at the same path.
    TypeChanged,
}

/// The role of a line in a hunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Unchanged.
    Context,
    /// Added.
    Add,
    /// Removed.
    Del,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// Its role.
    pub kind: LineKind,
    /// 1-based line number in the old file (context and removed lines).
    pub old_line: Option<u32>,
    /// 1-based line number in the new file (context and added lines).
    pub new_line: Option<u32>,
    /// The text without its line terminator (non-UTF-8 bytes replaced by U+FFFD).
    pub text: String,
    /// The line is the last of its file and has no newline at the end.
    pub no_newline: bool,
}

/// A unified-diff hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// Start in the old file as git prints it (1-based; the line before for empty ranges).
    pub old_start: u32,
    /// Lines of the old file covered.
    pub old_lines: u32,
    /// Start in the new file as git prints it.
    pub new_start: u32,
    /// Lines of the new file covered.
    pub new_lines: u32,
    /// The enclosing "function" line git shows after the range (the nearest preceding old
    /// line starting with a letter, `_` or `$`, at most 80 bytes), if any.
    pub function: Option<String>,
    /// The lines, context included.
    pub lines: Vec<DiffLine>,
}

impl Hunk {
    /// The `@@ -a,b +c,d @@ function` header line.
    pub fn header(&self) -> String {
        let mut h = format!(
            "@@ -{} +{} @@",
            range_text(self.old_start, self.old_lines),
            range_text(self.new_start, self.new_lines)
        );
        if let Some(f) = &self.function {
            h.push(' ');
            h.push_str(f);
        }
        h
    }
}

fn range_text(start: u32, lines: u32) -> String {
    if lines == 1 {
        start.to_string()
    } else {
        format!("{start},{lines}")
    }
}

/// The change of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    /// How it changed.
    pub change: ChangeKind,
    /// Path before (absent for added files).
    pub old_path: Option<String>,
    /// Path after (absent for deleted files).
    pub new_path: Option<String>,
    /// Blob (or submodule commit) before.
    pub old_oid: Option<Oid>,
    /// Blob (or submodule commit) after.
    pub new_oid: Option<Oid>,
    /// Kind before.
    pub old_kind: Option<EntryKind>,
    /// Kind after.
    pub new_kind: Option<EntryKind>,
    /// Either side is binary (NUL in the first 8000 bytes): no hunks.
    pub is_binary: bool,
    /// A side is larger than [`DiffOptions::max_blob_bytes`]: not line-diffed, no counts.
    pub too_large: bool,
    /// Added lines.
    pub additions: u32,
    /// Removed lines.
    pub deletions: u32,
    /// The hunks (possibly cut short, see `truncated`).
    pub hunks: Vec<Hunk>,
    /// Hunks or lines were dropped because of the line limits.
    pub truncated: bool,
}

impl FileDiff {
    /// The path to show: the new path, or the old one for deletions.
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("")
    }
}

/// A diff between two trees.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// Changed files in path order, at most [`DiffOptions::max_files`].
    pub files: Vec<FileDiff>,
    /// Number of changed files, including those not listed.
    pub total_files: usize,
    /// Added lines over the listed files.
    pub additions: u64,
    /// Removed lines over the listed files.
    pub deletions: u64,
    /// Files were left out or hunks cut short.
    pub truncated: bool,
}

/// What a compare page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The merge base of base and head (`None`: unrelated histories; the diff is then
    /// against the empty tree).
    pub merge_base: Option<Oid>,
    /// Commits reachable from head but not from base, newest first, at most the limit.
    pub commits: Vec<CommitSummary>,
    /// Whether more commits exist than listed.
    pub commits_truncated: bool,
    /// The diff from the merge base to head.
    pub diff: Diff,
}

/// One tree change, before content diffing.
struct Change {
    change: ChangeKind,
    old: Option<(String, ObjectId, EntryMode)>,
    new: Option<(String, ObjectId, EntryMode)>,
}

impl Change {
    fn sort_key(&self) -> &str {
        self.new
            .as_ref()
            .or(self.old.as_ref())
            .map(|x| x.0.as_str())
            .unwrap_or("")
    }
}

fn similarity(stats: Option<gix::diff::blob::DiffLineStats>) -> u8 {
    match stats {
        None => 100,
        Some(s) => (s.similarity * 100.0).round().clamp(0.0, 100.0) as u8,
    }
}

/// The changes between two trees (`None` = the empty tree), files only, sorted by path.
fn tree_changes(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    options: &DiffOptions,
) -> Result<Vec<Change>> {
    let empty = repo.empty_tree();
    let old_tree = match old {
        Some(id) => repo.find_tree(id).map_err(git("reading a tree"))?,
        None => empty.clone(),
    };
    let new_tree = match new {
        Some(id) => repo.find_tree(id).map_err(git("reading a tree"))?,
        None => empty,
    };
    let rewrites = options.find_renames.then(|| gix::diff::Rewrites {
        copies: options
            .find_copies
            .then(gix::diff::rewrites::Copies::default),
        percentage: Some(0.5),
        limit: 1000,
        track_empty: false,
    });
    let changes = repo
        .diff_tree_to_tree(
            &old_tree,
            &new_tree,
            gix::diff::Options::default().with_rewrites(rewrites),
        )
        .map_err(git("diffing trees"))?;
    use gix::diff::tree_with_rewrites::Change as G;
    let mut out = Vec::new();
    for c in changes {
        match c {
            G::Addition {
                location,
                entry_mode,
                id,
                ..
            } => {
                if !entry_mode.is_tree() {
                    out.push(Change {
                        change: ChangeKind::Added,
                        old: None,
                        new: Some((objects::lossy(&location), id, entry_mode)),
                    });
                }
            }
            G::Deletion {
                location,
                entry_mode,
                id,
                ..
            } => {
                if !entry_mode.is_tree() {
                    out.push(Change {
                        change: ChangeKind::Deleted,
                        old: Some((objects::lossy(&location), id, entry_mode)),
                        new: None,
                    });
                }
            }
            G::Modification {
                location,
                previous_entry_mode,
                previous_id,
                entry_mode,
                id,
            } => {
                let path = objects::lossy(&location);
                match (previous_entry_mode.is_tree(), entry_mode.is_tree()) {
                    (true, true) => {}
                    (true, false) => out.push(Change {
                        change: ChangeKind::Added,
                        old: None,
                        new: Some((path, id, entry_mode)),
                    }),
                    (false, true) => out.push(Change {
                        change: ChangeKind::Deleted,
                        old: Some((path, previous_id, previous_entry_mode)),
                        new: None,
                    }),
                    (false, false) => {
                        let type_changed = EntryKind::from_mode(previous_entry_mode).is_blob()
                            != EntryKind::from_mode(entry_mode).is_blob()
                            || (EntryKind::from_mode(previous_entry_mode) == EntryKind::Symlink)
                                != (EntryKind::from_mode(entry_mode) == EntryKind::Symlink);
                        out.push(Change {
                            change: if type_changed {
                                ChangeKind::TypeChanged
                            } else {
                                ChangeKind::Modified
                            },
                            old: Some((path.clone(), previous_id, previous_entry_mode)),
                            new: Some((path, id, entry_mode)),
                        });
                    }
                }
            }
            G::Rewrite {
                source_location,
                source_entry_mode,
                source_id,
                diff,
                entry_mode,
                id,
                location,
                copy,
                ..
            } => {
                if entry_mode.is_tree() || source_entry_mode.is_tree() {
                    continue;
                }
                let similarity = similarity(diff);
                out.push(Change {
                    change: if copy {
                        ChangeKind::Copied { similarity }
                    } else {
                        ChangeKind::Renamed { similarity }
                    },
                    old: Some((
                        objects::lossy(&source_location),
                        source_id,
                        source_entry_mode,
                    )),
                    new: Some((objects::lossy(&location), id, entry_mode)),
                });
            }
        }
    }
    out.sort_by(|a, b| a.sort_key().cmp(b.sort_key()));
    Ok(out)
}

/// The content git diffs for an entry: the blob, or `Subproject commit <id>` for submodules.
fn content(
    repo: &gix::Repository,
    side: Option<&(String, ObjectId, EntryMode)>,
    max: u64,
) -> Result<Content> {
    let Some((_, id, mode)) = side else {
        return Ok(Content::Data(Vec::new()));
    };
    if EntryKind::from_mode(*mode) == EntryKind::Submodule {
        return Ok(Content::Data(
            format!("Subproject commit {id}\n").into_bytes(),
        ));
    }
    if let Some(h) = gix::objs::FindHeader::try_header(&repo.objects, id)
        .map_err(git("reading an object header"))?
        && h.size > max
    {
        return Ok(Content::TooLarge);
    }
    let mut buf = Vec::new();
    match objects::read_kind(repo, id, gix::objs::Kind::Blob, &mut buf)? {
        Some(data) => Ok(Content::Data(data.to_vec())),
        None => Err(Error::MissingObject(Oid::from_gix(id))),
    }
}

enum Content {
    Data(Vec<u8>),
    TooLarge,
}

/// A hunk as line index ranges into the two token lists.
struct RawHunk {
    old_start: u32,
    old_len: u32,
    new_start: u32,
    new_len: u32,
    /// (kind, old index, new index) with 0-based indices.
    lines: Vec<(LineKind, u32, u32)>,
    /// git's function context for the header.
    function: Option<Vec<u8>>,
}

/// git's default function-line rule (xdiff's `def_ff`): a line starting with a letter, `_`
/// or `$`, cut to 80 bytes, trailing whitespace removed.
fn function_line(line: &[u8]) -> Option<Vec<u8>> {
    let first = *line.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
        return None;
    }
    let mut l = &line[..line.len().min(80)];
    while let Some((last, rest)) = l.split_last() {
        if last.is_ascii_whitespace() {
            l = rest;
        } else {
            break;
        }
    }
    Some(l.to_vec())
}

/// Line-diff two contents into unified hunks with `context` lines.
struct TextDiff<'a> {
    input: InternedInput<&'a [u8]>,
    /// The lines as they are in the files when `input` compares them with whitespace
    /// removed (`None`: `input`'s own tokens are the lines).
    shown: Option<(Vec<Token>, Vec<Token>)>,
    additions: u32,
    deletions: u32,
    hunks: Vec<RawHunk>,
}

/// Gives lines that differ only in whitespace one token, keeping the original tokens to
/// show. The interner still holds every original line, so showing needs no copies.
fn ignore_whitespace(input: &mut InternedInput<&[u8]>) -> (Vec<Token>, Vec<Token>) {
    let shown = (input.before.clone(), input.after.clone());
    let mut canonical: HashMap<Vec<u8>, Token> = HashMap::new();
    let mut map = Vec::with_capacity(input.interner.num_tokens() as usize);
    for t in 0..input.interner.num_tokens() {
        let token = Token::from(t);
        let squeezed: Vec<u8> = input.interner[token]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        map.push(*canonical.entry(squeezed).or_insert(token));
    }
    for t in input.before.iter_mut().chain(input.after.iter_mut()) {
        *t = map[u32::from(*t) as usize];
    }
    shown
}

fn text_diff<'a>(
    old: &'a [u8],
    new: &'a [u8],
    context: u32,
    whitespace_blind: bool,
) -> TextDiff<'a> {
    let mut input = InternedInput::new(
        gix::diff::blob::sources::byte_lines(old),
        gix::diff::blob::sources::byte_lines(new),
    );
    let shown = whitespace_blind.then(|| ignore_whitespace(&mut input));
    let before_shown = shown.as_ref().map_or(&input.before, |s| &s.0);
    let mut diff = LineDiff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let changes: Vec<gix::diff::blob::Hunk> = diff.hunks().collect();
    let old_total = input.before.len() as u32;
    let new_total = input.after.len() as u32;
    let mut hunks = Vec::new();
    let mut i = 0;
    // Like xdiff: search back from each hunk to where the previous search started, keeping
    // the last function line found.
    let mut function: Option<Vec<u8>> = None;
    let mut searched_to: i64 = -1;
    while i < changes.len() {
        // Group changes whose gaps are at most 2 * context.
        let mut j = i;
        while j + 1 < changes.len()
            && changes[j + 1].before.start - changes[j].before.end <= 2 * context
        {
            j += 1;
        }
        let first = &changes[i];
        let last = &changes[j];
        let lead = context.min(first.before.start);
        let old_start = first.before.start - lead;
        let new_start = first.after.start - lead;
        let mut l = i64::from(old_start) - 1;
        while l > searched_to {
            if let Some(f) = function_line(input.interner[before_shown[l as usize]]) {
                function = Some(f);
                break;
            }
            l -= 1;
        }
        searched_to = i64::from(old_start) - 1;
        let old_end = (last.before.end + context).min(old_total);
        let trail = old_end - last.before.end;
        let new_end = last.after.end + trail;
        let mut lines = Vec::new();
        let (mut o, mut n) = (old_start, new_start);
        for h in &changes[i..=j] {
            while o < h.before.start {
                lines.push((LineKind::Context, o, n));
                o += 1;
                n += 1;
            }
            for k in h.before.clone() {
                lines.push((LineKind::Del, k, n));
            }
            for k in h.after.clone() {
                lines.push((LineKind::Add, h.before.end, k));
            }
            o = h.before.end;
            n = h.after.end;
        }
        while o < old_end {
            lines.push((LineKind::Context, o, n));
            o += 1;
            n += 1;
        }
        hunks.push(RawHunk {
            old_start,
            old_len: old_end - old_start,
            new_start,
            new_len: new_end.min(new_total) - new_start,
            lines,
            function: function.clone(),
        });
        i = j + 1;
    }
    TextDiff {
        additions: diff.count_additions(),
        deletions: diff.count_removals(),
        input,
        shown,
        hunks,
    }
}

/// How git prints a hunk start: 1-based, or the preceding line for empty ranges.
fn git_start(start: u32, len: u32) -> u32 {
    if len == 0 { start } else { start + 1 }
}

fn strip_newline(line: &[u8]) -> (&[u8], bool) {
    match line.strip_suffix(b"\n") {
        Some(l) => (l, false),
        None => (line, true),
    }
}

impl TextDiff<'_> {
    fn old_line(&self, i: u32) -> &[u8] {
        let tokens = self.shown.as_ref().map_or(&self.input.before, |s| &s.0);
        self.input.interner[tokens[i as usize]]
    }
    fn new_line(&self, i: u32) -> &[u8] {
        let tokens = self.shown.as_ref().map_or(&self.input.after, |s| &s.1);
        self.input.interner[tokens[i as usize]]
    }
    fn line_bytes(&self, kind: LineKind, o: u32, n: u32) -> &[u8] {
        match kind {
            LineKind::Context | LineKind::Del => self.old_line(o),
            LineKind::Add => self.new_line(n),
        }
    }

    /// Structured hunks, keeping at most `budget` lines (decremented).
    fn hunks(&self, budget: &mut usize) -> (Vec<Hunk>, bool) {
        let mut out = Vec::new();
        for h in &self.hunks {
            if *budget == 0 {
                return (out, true);
            }
            let mut lines = Vec::with_capacity(h.lines.len().min(*budget));
            let mut cut = false;
            for &(kind, o, n) in &h.lines {
                if *budget == 0 {
                    cut = true;
                    break;
                }
                *budget -= 1;
                let (text, no_newline) = strip_newline(self.line_bytes(kind, o, n));
                lines.push(DiffLine {
                    kind,
                    old_line: (kind != LineKind::Add).then_some(o + 1),
                    new_line: (kind != LineKind::Del).then_some(n + 1),
                    text: text.to_str_lossy().into_owned(),
                    no_newline,
                });
            }
            out.push(Hunk {
                old_start: git_start(h.old_start, h.old_len),
                old_lines: h.old_len,
                new_start: git_start(h.new_start, h.new_len),
                new_lines: h.new_len,
                function: h.function.as_ref().map(|f| f.to_str_lossy().into_owned()),
                lines,
            });
            if cut {
                return (out, true);
            }
        }
        (out, false)
    }

    /// The hunks as unified diff text.
    fn write_patch(&self, out: &mut Vec<u8>) {
        for h in &self.hunks {
            out.extend_from_slice(
                format!(
                    "@@ -{} +{} @@",
                    range_text(git_start(h.old_start, h.old_len), h.old_len),
                    range_text(git_start(h.new_start, h.new_len), h.new_len)
                )
                .as_bytes(),
            );
            if let Some(f) = &h.function {
                out.push(b' ');
                out.extend_from_slice(f);
            }
            out.push(b'\n');
            for &(kind, o, n) in &h.lines {
                out.push(match kind {
                    LineKind::Context => b' ',
                    LineKind::Add => b'+',
                    LineKind::Del => b'-',
                });
                let (text, no_newline) = strip_newline(self.line_bytes(kind, o, n));
                out.extend_from_slice(text);
                out.push(b'\n');
                if no_newline {
                    out.extend_from_slice(b"\\ No newline at end of file\n");
                }
            }
        }
    }
}

fn side_kind(side: &Option<(String, ObjectId, EntryMode)>) -> Option<EntryKind> {
    side.as_ref().map(|s| EntryKind::from_mode(s.2))
}

fn side_oid(side: &Option<(String, ObjectId, EntryMode)>) -> Option<Oid> {
    side.as_ref().map(|s| Oid::from_gix(&s.1))
}

fn side_path(side: &Option<(String, ObjectId, EntryMode)>) -> Option<String> {
    side.as_ref().map(|s| s.0.clone())
}

/// Structured diff between two trees.
fn diff_trees(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    options: &DiffOptions,
) -> Result<Diff> {
    let changes = tree_changes(repo, old, new, options)?;
    let mut diff = Diff {
        total_files: changes.len(),
        truncated: changes.len() > options.max_files,
        ..Diff::default()
    };
    let mut budget = options.max_total_lines;
    for c in changes.into_iter().take(options.max_files) {
        let mut file = FileDiff {
            change: c.change,
            old_path: side_path(&c.old),
            new_path: side_path(&c.new),
            old_oid: side_oid(&c.old),
            new_oid: side_oid(&c.new),
            old_kind: side_kind(&c.old),
            new_kind: side_kind(&c.new),
            is_binary: false,
            too_large: false,
            additions: 0,
            deletions: 0,
            hunks: Vec::new(),
            truncated: false,
        };
        let same_content = matches!((&c.old, &c.new), (Some(a), Some(b)) if a.1 == b.1);
        if !same_content {
            let old = content(repo, c.old.as_ref(), options.max_blob_bytes)?;
            let new = content(repo, c.new.as_ref(), options.max_blob_bytes)?;
            match (old, new) {
                (Content::Data(old), Content::Data(new)) => {
                    if crate::browse::is_binary(&old) || crate::browse::is_binary(&new) {
                        file.is_binary = true;
                    } else {
                        let td =
                            text_diff(&old, &new, options.context_lines, options.ignore_whitespace);
                        file.additions = td.additions;
                        file.deletions = td.deletions;
                        let mut file_budget = options.max_lines_per_file.min(budget);
                        let before = file_budget;
                        let (hunks, cut) = td.hunks(&mut file_budget);
                        budget -= before - file_budget;
                        file.hunks = hunks;
                        file.truncated = cut;
                        diff.truncated |= cut;
                    }
                }
                _ => file.too_large = true,
            }
        }
        diff.additions += u64::from(file.additions);
        diff.deletions += u64::from(file.deletions);
        diff.files.push(file);
    }
    Ok(diff)
}

/// Quote a path the way git does when it has special characters.
fn quote_path(prefix: &str, path: &str) -> String {
    let full = format!("{prefix}{path}");
    if !full
        .bytes()
        .any(|b| b < 0x20 || b == b'"' || b == b'\\' || b >= 0x7f)
    {
        return full;
    }
    let mut out = String::from("\"");
    for b in full.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b if !(0x20..0x7f).contains(&b) => {
                let _ = write!(out, "\\{b:03o}");
            }
            b => out.push(b as char),
        }
    }
    out.push('"');
    out
}

fn short(id: &ObjectId) -> String {
    id.to_hex_with_len(7).to_string()
}

fn mode_text(mode: EntryMode) -> String {
    format!("{:06o}", EntryKind::from_mode(mode).mode())
}

/// Plain unified diff text between two trees, like `git diff -M old new` (with
/// `binary_patches`: like `git diff -M --binary`).
fn patch_trees(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    binary_patches: bool,
    out: &mut Vec<u8>,
) -> Result<(usize, u64, u64)> {
    let options = DiffOptions::unlimited();
    let changes = tree_changes(repo, old, new, &options)?;
    let (mut adds, mut dels) = (0u64, 0u64);
    let count = changes.len();
    for c in changes {
        if c.change == ChangeKind::TypeChanged {
            // git shows a type change as a deletion followed by an addition.
            for (old, new) in [(c.old.clone(), None), (None, c.new.clone())] {
                let part = Change {
                    change: if old.is_some() {
                        ChangeKind::Deleted
                    } else {
                        ChangeKind::Added
                    },
                    old,
                    new,
                };
                let (a, d) = patch_one(repo, &part, &options, binary_patches, out)?;
                adds += a;
                dels += d;
            }
        } else {
            let (a, d) = patch_one(repo, &c, &options, binary_patches, out)?;
            adds += a;
            dels += d;
        }
    }
    Ok((count, adds, dels))
}

fn patch_one(
    repo: &gix::Repository,
    c: &Change,
    options: &DiffOptions,
    binary_patches: bool,
    out: &mut Vec<u8>,
) -> Result<(u64, u64)> {
    let old_path = c
        .old
        .as_ref()
        .or(c.new.as_ref())
        .map(|s| s.0.as_str())
        .unwrap_or("");
    let new_path = c
        .new
        .as_ref()
        .or(c.old.as_ref())
        .map(|s| s.0.as_str())
        .unwrap_or("");
    let a = quote_path("a/", old_path);
    let b = quote_path("b/", new_path);
    let mut head = format!("diff --git {a} {b}\n");
    let zero = "0000000".to_owned();
    let old_short = c
        .old
        .as_ref()
        .map(|s| short(&s.1))
        .unwrap_or_else(|| zero.clone());
    let new_short = c.new.as_ref().map(|s| short(&s.1)).unwrap_or(zero);
    let mut index_mode = None;
    match (&c.old, &c.new) {
        (None, Some(n)) => {
            let _ = writeln!(head, "new file mode {}", mode_text(n.2));
        }
        (Some(o), None) => {
            let _ = writeln!(head, "deleted file mode {}", mode_text(o.2));
        }
        (Some(o), Some(n)) => {
            if mode_text(o.2) != mode_text(n.2) {
                let _ = writeln!(head, "old mode {}", mode_text(o.2));
                let _ = writeln!(head, "new mode {}", mode_text(n.2));
            } else {
                index_mode = Some(mode_text(n.2));
            }
            match c.change {
                ChangeKind::Renamed { similarity } => {
                    let _ = writeln!(head, "similarity index {similarity}%");
                    let _ = writeln!(head, "rename from {}", quote_path("", &o.0));
                    let _ = writeln!(head, "rename to {}", quote_path("", &n.0));
                }
                ChangeKind::Copied { similarity } => {
                    let _ = writeln!(head, "similarity index {similarity}%");
                    let _ = writeln!(head, "copy from {}", quote_path("", &o.0));
                    let _ = writeln!(head, "copy to {}", quote_path("", &n.0));
                }
                _ => {}
            }
        }
        (None, None) => return Ok((0, 0)),
    }
    let same_content = matches!((&c.old, &c.new), (Some(x), Some(y)) if x.1 == y.1);
    out.extend_from_slice(head.as_bytes());
    if same_content {
        return Ok((0, 0));
    }
    // Like git: a tab after a name with a space, so `patch` can tell where it ends.
    let tab = |name: &str| if name.contains(' ') { "\t" } else { "" };
    let minus = if c.old.is_some() {
        format!("{a}{}", tab(&a))
    } else {
        "/dev/null".to_owned()
    };
    let plus = if c.new.is_some() {
        format!("{b}{}", tab(&b))
    } else {
        "/dev/null".to_owned()
    };
    let old = content(repo, c.old.as_ref(), options.max_blob_bytes)?;
    let new = content(repo, c.new.as_ref(), options.max_blob_bytes)?;
    let mode_suffix = index_mode.map(|m| format!(" {m}")).unwrap_or_default();
    match (old, new) {
        (Content::Data(old), Content::Data(new))
            if !crate::browse::is_binary(&old) && !crate::browse::is_binary(&new) =>
        {
            out.extend_from_slice(
                format!("index {old_short}..{new_short}{mode_suffix}\n").as_bytes(),
            );
            let td = text_diff(&old, &new, options.context_lines, options.ignore_whitespace);
            if td.hunks.is_empty() {
                return Ok((0, 0));
            }
            out.extend_from_slice(format!("--- {minus}\n+++ {plus}\n").as_bytes());
            td.write_patch(out);
            Ok((u64::from(td.additions), u64::from(td.deletions)))
        }
        (Content::Data(old), Content::Data(new)) if binary_patches => {
            // `git format-patch` includes binary content: full ids and literal hunks both ways.
            let full = |side: &Option<(String, ObjectId, EntryMode)>| {
                side.as_ref()
                    .map(|s| s.1.to_string())
                    .unwrap_or_else(|| "0".repeat(40))
            };
            out.extend_from_slice(
                format!(
                    "index {}..{}{mode_suffix}\nGIT binary patch\n",
                    full(&c.old),
                    full(&c.new)
                )
                .as_bytes(),
            );
            binary_literal(&new, out)?;
            binary_literal(&old, out)?;
            Ok((0, 0))
        }
        _ => {
            out.extend_from_slice(
                format!("index {old_short}..{new_short}{mode_suffix}\n").as_bytes(),
            );
            let from = if c.old.is_some() {
                a
            } else {
                "/dev/null".to_owned()
            };
            let to = if c.new.is_some() {
                b
            } else {
                "/dev/null".to_owned()
            };
            out.extend_from_slice(format!("Binary files {from} and {to} differ\n").as_bytes());
            Ok((0, 0))
        }
    }
}

/// A `literal <size>` hunk of a git binary patch: zlib-deflated, base85 in lines of at
/// most 52 bytes, each prefixed by its length (`A`-`Z` for 1-26, `a`-`z` for 27-52).
fn binary_literal(data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    use std::io::Write as _;
    const EN85: &[u8; 85] =
        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data)?;
    let deflated = z.finish()?;
    out.extend_from_slice(format!("literal {}\n", data.len()).as_bytes());
    for line in deflated.chunks(52) {
        let n = line.len() as u8;
        out.push(if n <= 26 { b'A' + n - 1 } else { b'a' + n - 27 });
        for group in line.chunks(4) {
            let mut acc: u32 = 0;
            for (i, b) in group.iter().enumerate() {
                acc |= u32::from(*b) << (24 - 8 * i);
            }
            let mut chars = [0u8; 5];
            for c in chars.iter_mut().rev() {
                *c = EN85[(acc % 85) as usize];
                acc /= 85;
            }
            out.extend_from_slice(&chars);
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    Ok(())
}

/// RFC 2822 date like `Tue, 14 Nov 2023 22:13:20 +0100`.
pub(crate) fn rfc2822(time: i64, offset_seconds: i32) -> String {
    let local = time + i64::from(offset_seconds);
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(m as usize).saturating_sub(1).min(11)];
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let off = offset_seconds.unsigned_abs();
    format!(
        "{weekday}, {d} {month} {y} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        off / 3600,
        (off / 60) % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Repository {
    /// The commit `id` with message, author, committer and parents; `None` if it is not a
    /// commit.
    pub fn commit_detail(&self, id: Oid) -> Result<Option<CommitDetail>> {
        let repo = self.local();
        let mut buf = Vec::new();
        let gid = id.to_gix();
        let Some(data) = objects::read_kind(&repo, &gid, gix::objs::Kind::Commit, &mut buf)? else {
            return Ok(None);
        };
        let commit =
            gix::objs::CommitRef::from_bytes(data, HASH).map_err(|e| Error::InvalidObject {
                oid: id,
                reason: format!("{e:#}"),
            })?;
        let unknown = Person {
            name: String::new(),
            email: String::new(),
            time: 0,
            offset_seconds: 0,
        };
        Ok(Some(CommitDetail {
            id,
            tree: Oid::from_gix(&commit.tree()),
            parents: commit.parents().map(|p| Oid::from_gix(&p)).collect(),
            author: commit
                .author()
                .map(person)
                .unwrap_or_else(|_| unknown.clone()),
            committer: commit.committer().map(person).unwrap_or(unknown),
            summary: objects::first_line(commit.message),
            message: objects::lossy(commit.message),
            encoding: commit.encoding.map(|e| objects::lossy(e)),
        }))
    }

    /// Root tree and first parent's root tree of commit `id` (`None` for the parent of a
    /// root commit); `None` if `id` is not a commit.
    fn commit_and_parent_trees(
        &self,
        repo: &gix::Repository,
        id: Oid,
    ) -> Result<Option<(ObjectId, Option<ObjectId>)>> {
        let mut buf = Vec::new();
        let gid = id.to_gix();
        let Some(data) = objects::read_kind(repo, &gid, gix::objs::Kind::Commit, &mut buf)? else {
            return Ok(None);
        };
        let info = crate::walk::parse_commit(data, &gid)?;
        let parent_tree = match info.parents.first() {
            Some(p) => {
                Some(objects::commit_tree(repo, p)?.ok_or(Error::MissingObject(Oid::from_gix(p)))?)
            }
            None => None,
        };
        Ok(Some((info.tree, parent_tree)))
    }

    /// The diff of commit `id` against its first parent (the empty tree for a root commit),
    /// with renames detected, bounded by `options`. `Ok(None)` if `id` is not a commit.
    pub fn diff_against_first_parent(
        &self,
        id: Oid,
        options: &DiffOptions,
    ) -> Result<Option<Diff>> {
        let repo = self.local();
        let Some((tree, parent)) = self.commit_and_parent_trees(&repo, id)? else {
            return Ok(None);
        };
        diff_trees(&repo, parent, Some(tree), options).map(Some)
    }

    /// The diff between two commits' trees (`base` → `head`), bounded by `options`.
    /// `Ok(None)` if either is not a commit.
    pub fn diff_commits(
        &self,
        base: Oid,
        head: Oid,
        options: &DiffOptions,
    ) -> Result<Option<Diff>> {
        let repo = self.local();
        let Some(old) = objects::commit_tree(&repo, &base.to_gix())? else {
            return Ok(None);
        };
        let Some(new) = objects::commit_tree(&repo, &head.to_gix())? else {
            return Ok(None);
        };
        diff_trees(&repo, Some(old), Some(new), options).map(Some)
    }

    /// The `.diff` view: plain unified diff of commit `id` against its first parent, like
    /// `git diff -M <id>^ <id>` (exact bytes; nothing truncated). `None` if not a commit.
    pub fn diff_bytes(&self, id: Oid) -> Result<Option<Vec<u8>>> {
        let repo = self.local();
        let Some((tree, parent)) = self.commit_and_parent_trees(&repo, id)? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        patch_trees(&repo, parent, Some(tree), false, &mut out)?;
        Ok(Some(out))
    }

    /// The `.diff` of a range, like `git diff -M <base> <head>` (exact bytes; nothing
    /// truncated). `None` if either is not a commit.
    pub fn diff_range_bytes(&self, base: Oid, head: Oid) -> Result<Option<Vec<u8>>> {
        let repo = self.local();
        let Some(old) = objects::commit_tree(&repo, &base.to_gix())? else {
            return Ok(None);
        };
        let Some(new) = objects::commit_tree(&repo, &head.to_gix())? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        patch_trees(&repo, Some(old), Some(new), false, &mut out)?;
        Ok(Some(out))
    }

    /// [`Repository::diff_bytes`] as text (non-UTF-8 bytes replaced by U+FFFD).
    pub fn diff_text(&self, id: Oid) -> Result<Option<String>> {
        Ok(self
            .diff_bytes(id)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The `.patch` view: commit `id` as `git format-patch -1 --stdout` would show it (mail
    /// header, message, change summary, then the diff against the first parent; exact bytes
    /// of file contents). `None` if not a commit.
    pub fn patch_bytes(&self, id: Oid) -> Result<Option<Vec<u8>>> {
        let Some(detail) = self.commit_detail(id)? else {
            return Ok(None);
        };
        let repo = self.local();
        let Some((tree, parent)) = self.commit_and_parent_trees(&repo, id)? else {
            return Ok(None);
        };
        let mut diff = Vec::new();
        let (files, adds, dels) = patch_trees(&repo, parent, Some(tree), true, &mut diff)?;
        // Subject: the first paragraph on one line; body: the rest.
        let message = detail.message.trim_start_matches(['\n', '\r']);
        let (subject, body) = match message.find("\n\n") {
            Some(i) => (&message[..i], message[i + 2..].trim_start_matches('\n')),
            None => (message, ""),
        };
        let subject = subject
            .split('\n')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        let mut out = String::new();
        let _ = writeln!(out, "From {id} Mon Sep 17 00:00:00 2001");
        let _ = writeln!(
            out,
            "From: {} <{}>",
            detail.author.name, detail.author.email
        );
        let _ = writeln!(
            out,
            "Date: {}",
            rfc2822(detail.author.time, detail.author.offset_seconds)
        );
        let _ = writeln!(out, "Subject: [PATCH] {subject}");
        out.push('\n');
        if !body.trim().is_empty() {
            out.push_str(body.trim_end());
            out.push('\n');
        }
        out.push_str("---\n");
        let _ = write!(
            out,
            " {files} file{} changed",
            if files == 1 { "" } else { "s" }
        );
        if adds > 0 {
            let _ = write!(
                out,
                ", {adds} insertion{}(+)",
                if adds == 1 { "" } else { "s" }
            );
        }
        if dels > 0 {
            let _ = write!(
                out,
                ", {dels} deletion{}(-)",
                if dels == 1 { "" } else { "s" }
            );
        }
        out.push_str("\n\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&diff);
        bytes.extend_from_slice(
            format!("-- \nhatchery {}\n\n", env!("CARGO_PKG_VERSION")).as_bytes(),
        );
        Ok(Some(bytes))
    }

    /// [`Repository::patch_bytes`] as text (non-UTF-8 bytes replaced by U+FFFD).
    pub fn patch_text(&self, id: Oid) -> Result<Option<String>> {
        Ok(self
            .patch_bytes(id)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The best common ancestor of two commits, `None` if their histories are unrelated
    /// (or either is not a commit).
    pub fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>> {
        let repo = self.local();
        for id in [a, b] {
            if objects::commit_tree(&repo, &id.to_gix())?.is_none() {
                return Ok(None);
            }
        }
        match repo.merge_base(a.to_gix(), b.to_gix()) {
            Ok(Some(id)) => Ok(Some(Oid::from_gix(&id))),
            Ok(None) => Ok(None),
            Err(e) => Err(git("computing a merge base")(e)),
        }
    }

    /// Compare `base...head`: the commits in head that are not in base (newest first, at
    /// most `max_commits`) and the diff from their merge base to head (from the empty tree
    /// when the histories are unrelated). `Ok(None)` if either is not a commit.
    ///
    /// The list is bounded, the walk that finds it is not: it stops where the two histories
    /// meet, so unrelated histories are walked whole.
    pub fn compare(
        &self,
        base: Oid,
        head: Oid,
        max_commits: usize,
        options: &DiffOptions,
    ) -> Result<Option<Comparison>> {
        let repo = self.local();
        if objects::commit_tree(&repo, &base.to_gix())?.is_none() {
            return Ok(None);
        }
        let Some(head_tree) = objects::commit_tree(&repo, &head.to_gix())? else {
            return Ok(None);
        };
        let merge_base = self.merge_base(base, head)?;
        let mut commits = crate::walk::Commits::new(repo.clone());
        let grafts = gix::hashtable::HashSet::default();
        let outcome = crate::walk::limit_walk(
            &mut commits,
            &[head.to_gix()],
            &[base.to_gix()],
            &crate::walk::LimitWalk {
                grafts: &grafts,
                since: None,
            },
        )?;
        let mut list = Vec::new();
        let mut buf = Vec::new();
        for id in outcome.new_commits.iter().take(max_commits) {
            if let Some(s) = objects::read_summary(&repo, id, &mut buf)? {
                list.push(s);
            }
        }
        let base_tree = match merge_base {
            Some(mb) => objects::commit_tree(&repo, &mb.to_gix())?,
            None => None,
        };
        let diff = diff_trees(&repo, base_tree, Some(head_tree), options)?;
        Ok(Some(Comparison {
            merge_base,
            commits_truncated: outcome.new_commits.len() > max_commits,
            commits: list,
            diff,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc2822(0, 0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc2822(1_700_000_000, 3600),
            "Tue, 14 Nov 2023 23:13:20 +0100"
        );
        assert_eq!(
            rfc2822(1_700_000_000, -16200),
            "Tue, 14 Nov 2023 17:43:20 -0430"
        );
    }

    #[test]
    fn whitespace_blind_diffs_compare_squeezed_lines_and_show_the_real_ones() {
        let old = b"fn a() {\n    x(1);\n    y(2);\n}\n";
        let reindented = b"fn a() {\n\tx(1);\n\ty( 2 );\n}\n";
        let td = text_diff(old, reindented, 3, true);
        assert!(td.hunks.is_empty());
        assert_eq!((td.additions, td.deletions), (0, 0));
        assert_eq!(text_diff(old, reindented, 3, false).additions, 2);

        let changed = b"fn a() {\n\tx(1);\n\tz(3);\n}\n";
        let td = text_diff(old, changed, 3, true);
        assert_eq!((td.additions, td.deletions), (1, 1));
        let (hunks, _) = td.hunks(&mut usize::MAX.clone());
        let lines: Vec<(LineKind, &str)> = hunks[0]
            .lines
            .iter()
            .map(|l| (l.kind, l.text.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (LineKind::Context, "fn a() {"),
                (LineKind::Context, "    x(1);"),
                (LineKind::Del, "    y(2);"),
                (LineKind::Add, "\tz(3);"),
                (LineKind::Context, "}"),
            ]
        );
    }

    #[test]
    fn hunks_with_context() {
        let old = b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
        let new = b"1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n11\n12\n13";
        let td = text_diff(old, new, 3, false);
        let mut budget = usize::MAX;
        let (hunks, cut) = td.hunks(&mut budget);
        assert!(!cut);
        assert_eq!(hunks.len(), 2);
        assert_eq!(hunks[0].header(), "@@ -2,7 +2,7 @@");
        assert_eq!(hunks[1].header(), "@@ -10,3 +10,4 @@");
        let last = hunks[1].lines.last().unwrap();
        assert_eq!(
            (last.kind, last.text.as_str(), last.no_newline),
            (LineKind::Add, "13", true)
        );
        let mut text = Vec::new();
        td.write_patch(&mut text);
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("-5\n+five\n"), "{text}");
        assert!(
            text.ends_with("+13\n\\ No newline at end of file\n"),
            "{text}"
        );
        let td = text_diff(
            b"fn a() {\n  x\n  y\n  z\n  w\n}\n",
            b"fn a() {\n  x\n  y\n  z\n  W\n}\n",
            3,
            false,
        );
        let (hunks, _) = td.hunks(&mut usize::MAX.clone());
        assert_eq!(hunks[0].header(), "@@ -2,5 +2,5 @@ fn a() {");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_path("a/", "x y.txt"), "a/x y.txt");
        assert_eq!(quote_path("a/", "tab\there"), "\"a/tab\\there\"");
        assert_eq!(quote_path("a/", "é"), "\"a/\\303\\251\"");
    }
}
