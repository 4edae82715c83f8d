//! Facts for an incubator's maturity checklist and reports ("project health"): which
//! community files the default branch has, the text of its license files, tags, and who
//! committed when.
//!
//! This module only gathers; judging (license detection and policy, thresholds, elephant and
//! bus factors) happens in the callers. Walks follow the default branch's whole history
//! (every parent, newest commit date first) through [`crate::LogWalk`], so they read the
//! commit-graph when there is one, and they are bounded: a result says whether the bound
//! cut it short.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use gix::bstr::ByteSlice;

use crate::objects::{self, HASH};
use crate::{EntryKind, Error, Oid, Repository, Result};

/// Directories besides the root where forges look for community files (GitHub's rule for
/// CONTRIBUTING, CODE_OF_CONDUCT, SECURITY and the like).
pub const COMMUNITY_DIRS: [&str; 2] = [".github", "docs"];

/// At most this many bytes of each license file are read (the license crate refuses longer
/// texts as no single license anyway).
pub const LICENSE_TEXT_MAX: usize = 256 * 1024;

/// At most this many license-like files are read per repository.
pub const LICENSE_FILES_MAX: usize = 8;

/// Default bound of [`Repository::health_facts`]: commits walked for the recent window.
pub const HEALTH_MAX_COMMITS: usize = 50_000;

/// Default bound of [`Repository::commits_between`]: commits walked over the whole history.
pub const PERIOD_MAX_COMMITS: usize = 200_000;

/// After this many consecutive commits dated before the window, the window walk stops
/// (commit dates are not strictly ordered along history: clock skew, rebases).
const WINDOW_SLOP: usize = 5;

const DAY_SECS: i64 = 86_400;

/// A commit as the health figures count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitFact {
    pub id: Oid,
    /// Trimmed, non-UTF-8 bytes replaced.
    pub author_name: String,
    /// Trimmed, as recorded (not lower-cased).
    pub author_email: String,
    /// Author date, seconds since the Unix epoch.
    pub author_time: i64,
}

impl CommitFact {
    /// Who the commit counts for: [`author_key`] of its author.
    pub fn author_key(&self) -> String {
        author_key(&self.author_name, &self.author_email)
    }
}

/// The identity commits are grouped by: the e-mail address lower-cased, or, for commits
/// without one, `name:` and the name lower-cased. No mailmap is applied.
pub fn author_key(name: &str, email: &str) -> String {
    let email = email.trim();
    if email.is_empty() {
        format!("name:{}", name.trim().to_lowercase())
    } else {
        email.to_lowercase()
    }
}

/// A license-like file at the root of the default branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseText {
    /// Its path (a root file name, e.g. `LICENSE`, `COPYING.md`, `LICENSE-APACHE`).
    pub path: String,
    /// The blob id.
    pub blob: Oid,
    /// Its full size in bytes.
    pub size: u64,
    /// At most [`LICENSE_TEXT_MAX`] bytes of it, lossily decoded as UTF-8.
    pub text: String,
    /// Whether the file is longer than `text`.
    pub truncated: bool,
}

/// What [`Repository::health_facts`] found on the default branch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthFacts {
    /// The branch HEAD names (`main`); `None` when HEAD is detached or unborn.
    pub branch: Option<String>,
    /// The commit examined (HEAD's); `None` for an empty repository, whose other facts are
    /// then empty too (tags aside).
    pub head: Option<Oid>,
    /// The files (blobs: files, executables, symlinks) at the root and directly in
    /// [`COMMUNITY_DIRS`], as paths (`README.md`, `.github/SECURITY.md`), sorted.
    pub files: Vec<String>,
    /// Root files whose name starts with `LICENSE`, `LICENCE`, `COPYING` or `UNLICENSE`
    /// (ASCII case ignored), at most [`LICENSE_FILES_MAX`], by path; binary files are left
    /// out. Which of them really hold a license is the license detector's call.
    pub license_files: Vec<LicenseText>,
    /// Tags that lead to a commit (all tags, not only those on the default branch).
    pub tag_count: usize,
    /// The newest tag's date (tagger date of annotated tags, else the commit date).
    pub newest_tag_time: Option<i64>,
    /// The `now` passed in, seconds since the Unix epoch.
    pub now: i64,
    /// `now` minus the window: commits authored since then are in `recent_commits`.
    pub window_start: i64,
    /// Commits of the default branch authored at or after `window_start`, newest commit
    /// date first.
    pub recent_commits: Vec<CommitFact>,
    /// False when the walk stopped at its bound before leaving the window, so
    /// `recent_commits` may be missing some.
    pub recent_complete: bool,
}

impl HealthFacts {
    /// Whether `files` has `path` (exact match).
    pub fn has_file(&self, path: &str) -> bool {
        self.files
            .binary_search_by(|f| f.as_str().cmp(path))
            .is_ok()
    }

    /// The recent commits authored at or after `since` (seconds).
    pub fn commits_since(&self, since: i64) -> impl Iterator<Item = &CommitFact> {
        self.recent_commits
            .iter()
            .filter(move |c| c.author_time >= since)
    }
}

/// What [`Repository::commits_between`] counted for a period `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeriodCommits {
    /// Commits of the default branch authored in the period.
    pub commits: u64,
    /// The authors of those commits ([`author_key`]) with their number of commits.
    pub authors: BTreeMap<String, u64>,
    /// Every author of the walked history ([`author_key`]) with the date of their first
    /// commit there, so callers can combine repositories: an author is new in the period
    /// when their first commit across all of a project's repositories falls in it.
    pub first_commit: BTreeMap<String, i64>,
    /// Tags dated in the period ([`crate::TagSummary::date`]).
    pub tags: u64,
    /// False when the walk stopped at its bound: `first_commit` then misses the oldest
    /// history and may call an old author new.
    pub complete: bool,
}

impl PeriodCommits {
    /// Authors whose first commit in the walked history falls in the period.
    pub fn new_authors(&self, start: i64, end: i64) -> usize {
        self.authors
            .keys()
            .filter(|a| {
                self.first_commit
                    .get(*a)
                    .is_some_and(|t| (start..end).contains(t))
            })
            .count()
    }
}

/// The people and dates of one commit.
struct CommitPeople {
    fact: CommitFact,
    committer_time: i64,
}

fn read_people(repo: &gix::Repository, id: Oid, buf: &mut Vec<u8>) -> Result<Option<CommitPeople>> {
    use gix::objs::commit::ref_iter::Token;
    let Some(data) = objects::read_kind(repo, &id.to_gix(), gix::objs::Kind::Commit, buf)? else {
        return Ok(None);
    };
    let mut author = None;
    let mut committer_time = 0;
    for token in gix::objs::CommitRefIter::from_bytes(data, HASH) {
        match token {
            Ok(Token::Author { signature }) => author = Some(signature),
            Ok(Token::Committer { signature }) => {
                committer_time = signature.seconds();
                break;
            }
            Ok(_) => {}
            Err(e) => {
                return Err(Error::InvalidObject {
                    oid: id,
                    reason: format!("{e:#}"),
                });
            }
        }
    }
    let (author_name, author_email, author_time) = match author {
        Some(a) => (
            objects::lossy(a.name.trim()),
            objects::lossy(a.email.trim()),
            a.seconds(),
        ),
        None => (String::new(), String::new(), committer_time),
    };
    Ok(Some(CommitPeople {
        fact: CommitFact {
            id,
            author_name,
            author_email,
            author_time,
        },
        committer_time,
    }))
}

/// Whether a root file name looks like a license (`LICENSE*`, `LICENCE*`, `COPYING*`,
/// `UNLICENSE*`, ASCII case ignored).
fn looks_like_license(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["license", "licence", "copying", "unlicense"]
        .iter()
        .any(|p| lower.starts_with(p))
}

impl Repository {
    /// Health facts of the default branch (HEAD), with the commits of the last
    /// `window_days` days before `now_secs`. Bounded by [`HEALTH_MAX_COMMITS`] commits.
    pub fn health_facts(&self, now_secs: i64, window_days: u32) -> Result<HealthFacts> {
        self.health_facts_bounded(now_secs, window_days, HEALTH_MAX_COMMITS)
    }

    /// [`Repository::health_facts`] with an explicit bound on the commits walked.
    pub fn health_facts_bounded(
        &self,
        now_secs: i64,
        window_days: u32,
        max_commits: usize,
    ) -> Result<HealthFacts> {
        let window_start = now_secs.saturating_sub(i64::from(window_days) * DAY_SECS);
        let tags = self.tags()?;
        let mut facts = HealthFacts {
            tag_count: tags.len(),
            newest_tag_time: tags.iter().map(|t| t.date()).max(),
            now: now_secs,
            window_start,
            recent_complete: true,
            ..HealthFacts::default()
        };
        let Some(head) = self.default_branch_commit()? else {
            return Ok(facts);
        };
        if head.kind == crate::RevKind::Branch {
            facts.branch = Some(head.rev_name.clone());
        }
        let commit = head.commit;
        facts.head = Some(commit);

        let mut files = Vec::new();
        let root = self.tree(commit, "")?.unwrap_or_default();
        for entry in &root {
            if entry.kind.is_blob() {
                files.push(entry.path.clone());
            }
        }
        for dir in COMMUNITY_DIRS {
            let is_dir = root
                .iter()
                .any(|e| e.name == dir && e.kind == EntryKind::Dir);
            if !is_dir {
                continue;
            }
            for entry in self.tree(commit, dir)?.unwrap_or_default() {
                if entry.kind.is_blob() {
                    files.push(entry.path);
                }
            }
        }
        files.sort();
        facts.files = files;

        let mut candidates: Vec<&crate::TreeEntry> = root
            .iter()
            .filter(|e| e.kind.is_blob() && looks_like_license(&e.name))
            .collect();
        candidates.sort_by(|a, b| a.name.cmp(&b.name));
        for entry in candidates.into_iter().take(LICENSE_FILES_MAX) {
            let Some(blob) = self.blob(commit, &entry.path, LICENSE_TEXT_MAX)? else {
                continue;
            };
            if blob.is_binary {
                continue;
            }
            facts.license_files.push(LicenseText {
                path: entry.path.clone(),
                blob: blob.oid,
                size: blob.size,
                text: String::from_utf8_lossy(&blob.data).into_owned(),
                truncated: blob.truncated,
            });
        }

        let mut recent = Vec::new();
        let mut old_in_a_row = 0usize;
        facts.recent_complete = self.walk_people(commit, max_commits, |c| {
            if c.committer_time < window_start {
                old_in_a_row += 1;
            } else {
                old_in_a_row = 0;
            }
            if c.fact.author_time >= window_start {
                recent.push(c.fact);
            }
            if old_in_a_row >= WINDOW_SLOP {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        facts.recent_commits = recent;
        Ok(facts)
    }

    /// Commits of the default branch authored in `[start_secs, end_secs)`, their authors,
    /// every author's first commit, and the tags dated in the period. Walks the whole
    /// history, bounded by [`PERIOD_MAX_COMMITS`] commits. Empty for an empty repository.
    pub fn commits_between(&self, start_secs: i64, end_secs: i64) -> Result<PeriodCommits> {
        self.commits_between_bounded(start_secs, end_secs, PERIOD_MAX_COMMITS)
    }

    /// [`Repository::commits_between`] with an explicit bound on the commits walked.
    pub fn commits_between_bounded(
        &self,
        start_secs: i64,
        end_secs: i64,
        max_commits: usize,
    ) -> Result<PeriodCommits> {
        let period = start_secs..end_secs;
        let mut out = PeriodCommits {
            tags: self
                .tags()?
                .iter()
                .filter(|t| period.contains(&t.date()))
                .count() as u64,
            complete: true,
            ..PeriodCommits::default()
        };
        let Some(head) = self.default_branch_commit()? else {
            return Ok(out);
        };
        let mut commits = 0u64;
        let mut authors: BTreeMap<String, u64> = BTreeMap::new();
        let mut first: BTreeMap<String, i64> = BTreeMap::new();
        out.complete = self.walk_people(head.commit, max_commits, |c| {
            let key = c.fact.author_key();
            let t = c.fact.author_time;
            if period.contains(&t) {
                commits += 1;
                *authors.entry(key.clone()).or_default() += 1;
            }
            first
                .entry(key)
                .and_modify(|f| *f = (*f).min(t))
                .or_insert(t);
            ControlFlow::Continue(())
        })?;
        out.commits = commits;
        out.authors = authors;
        out.first_commit = first;
        Ok(out)
    }

    /// Calls `f` with the people of each commit reachable from `start`, newest commit date
    /// first, until it breaks or `max_commits` were seen. Returns false when commits were
    /// left unvisited because of the bound.
    fn walk_people(
        &self,
        start: Oid,
        max_commits: usize,
        mut f: impl FnMut(CommitPeople) -> ControlFlow<()>,
    ) -> Result<bool> {
        let Some(mut walk) = self.log_walk(start, None)? else {
            return Ok(true);
        };
        let repo = self.walk_local();
        let mut buf = Vec::new();
        let mut seen = 0usize;
        while let Some(id) = walk.next_id()? {
            if seen == max_commits {
                return Ok(false);
            }
            seen += 1;
            // A commit the walk found but cannot read is damage; skipping it keeps the
            // figures for the rest.
            let Some(people) = read_people(&repo, id, &mut buf)? else {
                continue;
            };
            if f(people).is_break() {
                break;
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_like_names() {
        for yes in [
            "LICENSE",
            "license.md",
            "LICENCE.txt",
            "COPYING",
            "COPYING.LESSER",
            "LICENSE-APACHE",
            "UNLICENSE",
        ] {
            assert!(looks_like_license(yes), "{yes}");
        }
        for no in ["README", "NOTICE", "lic", "MY-LICENSE"] {
            assert!(!looks_like_license(no), "{no}");
        }
    }

    #[test]
    fn author_keys() {
        assert_eq!(author_key("Ann", " Ann@Example.COM "), "ann@example.com");
        assert_eq!(author_key(" Ann B ", ""), "name:ann b");
    }

    #[test]
    fn new_authors_in_a_period() {
        let p = PeriodCommits {
            commits: 3,
            authors: [("a".to_owned(), 2), ("b".to_owned(), 1)].into(),
            first_commit: [
                ("a".to_owned(), 5),
                ("b".to_owned(), 15),
                ("c".to_owned(), 1),
            ]
            .into(),
            tags: 0,
            complete: true,
        };
        assert_eq!(p.new_authors(10, 20), 1);
        assert_eq!(p.new_authors(0, 20), 2);
        assert_eq!(p.new_authors(15, 16), 1);
    }
}
