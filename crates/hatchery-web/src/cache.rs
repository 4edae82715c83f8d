//! Caches of work that is expensive and keyed by immutable content (commit and blob ids),
//! so an entry can never go stale: a push creates new ids, it does not change old ones.
//! Bounded by weight, so a few huge files cannot eat the server's memory.

use crate::pages::code::CodeView;
use hatchery_git::{CommitSummary, Oid};
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::collections::HashMap;
use std::sync::Arc;

/// Rendered HTML (README, highlighted files) kept at most, in bytes.
const HTML_BYTES: u64 = 64 << 20;
/// Directory listings' last commits kept at most, in entries.
const LAST_COMMIT_ENTRIES: u64 = 200_000;
/// Highlighted file views kept at most, in bytes.
const CODE_VIEW_BYTES: u64 = 64 << 20;
/// Commits of history pages kept at most (about 200 bytes each).
const HISTORY_COMMITS: u64 = 100_000;

#[derive(Clone)]
pub struct HtmlWeight;

impl Weighter<String, Arc<Vec<String>>> for HtmlWeight {
    fn weight(&self, key: &String, value: &Arc<Vec<String>>) -> u64 {
        (key.len() + value.iter().map(|l| l.len() + 24).sum::<usize>()) as u64
    }
}

#[derive(Clone)]
pub struct EntriesWeight;

type LastCommits = Arc<HashMap<String, CommitSummary>>;

impl Weighter<(i64, Oid, String), LastCommits> for EntriesWeight {
    fn weight(&self, _key: &(i64, Oid, String), value: &LastCommits) -> u64 {
        value.len().max(1) as u64
    }
}

type HistoryPage = Arc<Vec<CommitSummary>>;

impl Weighter<(i64, Oid, String, usize), HistoryPage> for EntriesWeight {
    fn weight(&self, _key: &(i64, Oid, String, usize), value: &HistoryPage) -> u64 {
        value.len().max(1) as u64
    }
}

#[derive(Clone)]
pub struct CodeViewWeight;

impl Weighter<(Oid, String), Arc<CodeView>> for CodeViewWeight {
    fn weight(&self, key: &(Oid, String), value: &Arc<CodeView>) -> u64 {
        (key.1.len() + value.weight()) as u64
    }
}

pub struct Caches {
    /// (repository id, commit, directory) -> last commit of each entry.
    pub last_commits: Cache<(i64, Oid, String), LastCommits, EntriesWeight>,
    /// Rendered fragments: highlighted lines of a blob, or a rendered Markdown document
    /// (one element), keyed by what determines them.
    pub html: Cache<String, Arc<Vec<String>>, HtmlWeight>,
    /// (blob, extension) -> the file view's highlighted table.
    pub code_views: Cache<(Oid, String), Arc<CodeView>, CodeViewWeight>,
    /// (repository id, start commit, path, commits skipped) -> the commits of a history
    /// page: a walk of up to 51 commits per view otherwise.
    pub history: Cache<(i64, Oid, String, usize), HistoryPage, EntriesWeight>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            last_commits: Cache::with_weighter(4096, LAST_COMMIT_ENTRIES, EntriesWeight),
            html: Cache::with_weighter(4096, HTML_BYTES, HtmlWeight),
            code_views: Cache::with_weighter(4096, CODE_VIEW_BYTES, CodeViewWeight),
            history: Cache::with_weighter(4096, HISTORY_COMMITS, EntriesWeight),
        }
    }
}
