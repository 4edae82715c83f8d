//! Importing a repository from another forge (issue 16): one [`Downloader`] per source
//! kind reads the source's API page by page (`github.rs`, `gitlab.rs`, `gitea.rs` — also
//! Forgejo and Hatchery itself —, `gitee.rs`), and the uploader here writes what it reads
//! into the store with the source's authors, dates and numbers.
//!
//! Resumable: each import is a `repo_imports` row with its stage and the stage's cursor
//! (the source's page), advanced after every page; every item is written in one
//! transaction with its (import, kind, source id) -> local id map entry, so running an
//! import again after a crash or a failure goes on from the page it was on and skips what
//! it already made. A runner holds an import by a lease that it renews as it goes; an
//! import whose runner died is taken up again when its lease runs out (every server looks
//! for such imports at start and then every minute, [`Forge::run_pending_imports`]).
//! A failed import stays failed until someone asks to resume it ([`Forge::resume_import`]).

pub mod gitea;
pub mod gitee;
pub mod github;
pub mod gitlab;
mod http;
pub mod run;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use hatchery_core::imports::{ImportInputError, ImportItems, SourceKind, SourceRepo};
use serde::{Deserialize, Serialize};

pub use http::SourceClient;
pub use run::{ImportOwner, ImportProgress, MigrateRequest};

use crate::ServiceError;

/// One page of a listing and the page after it, if any.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<u32>,
}

/// Someone on the source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceUser {
    pub login: String,
    /// Often empty: most forges show addresses only to their owners.
    pub email: String,
}

/// What the import needs to know about the source repository itself.
#[derive(Debug, Clone, Default)]
pub struct SourceInfo {
    pub description: String,
    pub default_branch: String,
    pub private: bool,
}

#[derive(Debug, Clone)]
pub struct SourceLabel {
    pub id: String,
    pub name: String,
    /// As the source writes it (`#rrggbb` or `rrggbb`).
    pub color: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct SourceMilestone {
    pub id: String,
    pub title: String,
    pub description: String,
    pub closed: bool,
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// An issue, or the issue side of a pull request.
#[derive(Debug, Clone)]
pub struct SourceIssue {
    /// The source's id of the item (for the map); unique within its kind.
    pub id: String,
    /// The number to keep here; 0 when the source's is not a number (Gitee's issues are
    /// `I4ABCD`), then the next free number is taken.
    pub number: i64,
    /// How the source's URLs name it (the number, or Gitee's `I4ABCD`).
    pub key: String,
    pub title: String,
    pub body: String,
    pub author: SourceUser,
    pub closed: bool,
    pub locked: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    /// Label names.
    pub labels: Vec<String>,
    /// The milestone's title.
    pub milestone: Option<String>,
    /// How many comments the source counts (`None`: unknown, ask).
    pub comments: Option<i64>,
    /// Who it is assigned to (kept for those who have an account here).
    pub assignees: Vec<SourceUser>,
}

#[derive(Debug, Clone)]
pub struct SourcePull {
    pub issue: SourceIssue,
    pub merged: bool,
    pub merged_at: Option<i64>,
    /// The branch it was to be merged into, and the branch it came from (on the source,
    /// possibly in a fork there).
    pub base_branch: String,
    pub head_branch: String,
    /// The head commit; empty when the source does not say.
    pub head_sha: String,
    /// The merge (or squash) commit of a merged request; empty when unknown.
    pub merge_commit: String,
    /// Where the head branched off the base (what its diff is against); empty when
    /// unknown.
    pub merge_base: String,
    /// Who merged it, when the source says.
    pub merged_by: Option<SourceUser>,
}

impl SourcePull {
    /// A request from the parts every API has, in its own names.
    pub fn of(
        issue: SourceIssue,
        merged: bool,
        merged_at: Option<String>,
        base: Option<BranchEnd>,
        head: Option<BranchEnd>,
        merge_commit: Option<String>,
    ) -> SourcePull {
        let base = base.unwrap_or_default();
        let head = head.unwrap_or_default();
        SourcePull {
            merged,
            merged_at: merged_at.as_deref().and_then(parse_time),
            base_branch: base.name,
            head_branch: head.name,
            head_sha: head.sha,
            merge_commit: merge_commit.unwrap_or_default(),
            merge_base: base.sha,
            merged_by: None,
            issue,
        }
    }
}

/// A branch end as GitHub, Gitea and Gitee describe a pull request's `base` and `head`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BranchEnd {
    #[serde(rename = "ref")]
    pub name: String,
    pub sha: String,
}

#[derive(Debug, Clone)]
pub struct SourceComment {
    pub id: String,
    pub author: SourceUser,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct SourceRelease {
    pub id: String,
    pub tag_name: String,
    pub target: String,
    pub name: String,
    pub body: String,
    pub draft: bool,
    pub prerelease: bool,
    pub author: SourceUser,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub assets: Vec<SourceAsset>,
}

#[derive(Debug, Clone)]
pub struct SourceAsset {
    pub id: String,
    pub name: String,
    pub content_type: String,
    /// Where the file is downloaded from (with the source's credentials).
    pub url: String,
}

/// Which conversation comments belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thread<'a> {
    /// [`SourceIssue::key`].
    pub key: &'a str,
    pub is_pull: bool,
}

/// What went wrong talking to a source or writing what it gave.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Input(#[from] ImportInputError),
    /// The source answered with an error status.
    #[error("{url} answered {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("{0}")]
    Http(String),
    /// The source's answer is not what its API documents.
    #[error("unexpected answer from {url}: {message}")]
    Decode { url: String, message: String },
    /// Rate limited for longer than the import is willing to wait.
    #[error("rate limited by the source for {0} s; resume the import later")]
    RateLimited(u64),
    #[error("{0}")]
    Refused(String),
    /// Fetching the git data failed (the git client's own message).
    #[error("git data: {0}")]
    Git(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<hatchery_store::StoreError> for ImportError {
    fn from(e: hatchery_store::StoreError) -> ImportError {
        ImportError::Service(e.into())
    }
}

type Answer<T> = Result<T, ImportError>;

/// Reads one source's API. Every listing is paged: `page` counts from 1 and the answer
/// says which page comes next. Implementations follow their forge's real API (paths,
/// paging, authentication), through [`SourceClient`], which waits out rate limits.
pub trait Downloader: Send + Sync {
    fn repo_info(&self) -> impl Future<Output = Answer<SourceInfo>> + Send;
    fn labels(&self, page: u32) -> impl Future<Output = Answer<Page<SourceLabel>>> + Send;
    fn milestones(&self, page: u32) -> impl Future<Output = Answer<Page<SourceMilestone>>> + Send;
    /// Issues only (pull requests left out), oldest first.
    fn issues(&self, page: u32) -> impl Future<Output = Answer<Page<SourceIssue>>> + Send;
    /// Pull requests (merge requests), oldest first.
    fn pulls(&self, page: u32) -> impl Future<Output = Answer<Page<SourcePull>>> + Send;
    /// The conversation's comments, oldest first.
    fn comments(
        &self,
        thread: Thread<'_>,
        page: u32,
    ) -> impl Future<Output = Answer<Page<SourceComment>>> + Send;
    fn releases(&self, page: u32) -> impl Future<Output = Answer<Page<SourceRelease>>> + Send;
    /// Starts downloading an asset's file.
    fn asset(&self, asset: &SourceAsset) -> impl Future<Output = Answer<reqwest::Response>> + Send;
}

/// How to sign in at the source. The token (or password) never appears in a URL except
/// where the source's API wants it (Gitee's `access_token`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SourceAuth {
    pub username: String,
    pub password: String,
    pub token: String,
}

impl std::fmt::Debug for SourceAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceAuth")
            .field("username", &self.username)
            .field("token", &(!self.token.is_empty()))
            .finish_non_exhaustive()
    }
}

/// The options of an import, kept (as JSON) on its row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOptions {
    pub items: ImportItems,
    /// Source login -> local user name: whose items become whose.
    #[serde(default)]
    pub user_map: BTreeMap<String, String>,
    /// A mirror import: the pull mirror's interval, made once the git data is here.
    #[serde(default)]
    pub mirror_interval_ms: Option<i64>,
}

/// Settings of imports (`migrations.*`).
#[derive(Debug, Clone)]
/// Where imports may connect is `migrations.allowed_hosts`, shared with mirrors
/// ([`crate::remote::RemoteSettings`]).
pub struct ImportSettings {
    /// The longest the import waits for a source's rate limit at once; a longer limit
    /// fails the import (to be resumed later).
    pub max_rate_wait: Duration,
    /// Connecting to the source, and each API request.
    pub timeout: Duration,
    /// How long a runner's hold on an import lasts without news from it.
    pub lease: Duration,
}

impl Default for ImportSettings {
    fn default() -> ImportSettings {
        ImportSettings {
            max_rate_wait: Duration::from_secs(300),
            timeout: Duration::from_secs(60),
            lease: Duration::from_secs(120),
        }
    }
}

/// The import settings and the client built from them, in the forge.
#[derive(Debug, Default)]
pub struct ImportHub {
    settings: ImportSettings,
    client: std::sync::OnceLock<Option<reqwest::Client>>,
}

/// The downloader for a source, chosen by its kind.
pub enum AnyDownloader {
    Github(github::Github),
    Gitlab(gitlab::Gitlab),
    Gitea(gitea::Gitea),
    Gitee(gitee::Gitee),
}

macro_rules! each {
    ($self:ident, $d:ident => $e:expr) => {
        match $self {
            AnyDownloader::Github($d) => $e,
            AnyDownloader::Gitlab($d) => $e,
            AnyDownloader::Gitea($d) => $e,
            AnyDownloader::Gitee($d) => $e,
        }
    };
}

impl AnyDownloader {
    pub fn new(source: &SourceRepo, client: SourceClient) -> Option<AnyDownloader> {
        Some(match source.kind {
            SourceKind::Github => AnyDownloader::Github(github::Github::new(source, client)),
            SourceKind::Gitlab => AnyDownloader::Gitlab(gitlab::Gitlab::new(source, client)),
            SourceKind::Gitea => AnyDownloader::Gitea(gitea::Gitea::new(source, client)),
            SourceKind::Gitee => AnyDownloader::Gitee(gitee::Gitee::new(source, client)),
            SourceKind::Git => return None,
        })
    }
}

impl Downloader for AnyDownloader {
    async fn repo_info(&self) -> Answer<SourceInfo> {
        each!(self, d => d.repo_info().await)
    }
    async fn labels(&self, page: u32) -> Answer<Page<SourceLabel>> {
        each!(self, d => d.labels(page).await)
    }
    async fn milestones(&self, page: u32) -> Answer<Page<SourceMilestone>> {
        each!(self, d => d.milestones(page).await)
    }
    async fn issues(&self, page: u32) -> Answer<Page<SourceIssue>> {
        each!(self, d => d.issues(page).await)
    }
    async fn pulls(&self, page: u32) -> Answer<Page<SourcePull>> {
        each!(self, d => d.pulls(page).await)
    }
    async fn comments(&self, thread: Thread<'_>, page: u32) -> Answer<Page<SourceComment>> {
        each!(self, d => d.comments(thread, page).await)
    }
    async fn releases(&self, page: u32) -> Answer<Page<SourceRelease>> {
        each!(self, d => d.releases(page).await)
    }
    async fn asset(&self, asset: &SourceAsset) -> Answer<reqwest::Response> {
        each!(self, d => d.asset(asset).await)
    }
}

/// A time as the sources write it (RFC 3339, with or without fractions; a bare date is
/// midnight UTC) in unix milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if s.is_empty() || s.starts_with("0001-01-01") {
        return None;
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok();
    }
    let date =
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times() {
        assert_eq!(super::parse_time("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(super::parse_time("1970-01-01T08:00:01+08:00"), Some(1000));
        assert_eq!(super::parse_time("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(super::parse_time("1970-01-02"), Some(86_400_000));
        assert_eq!(super::parse_time("0001-01-01T00:00:00Z"), None);
        assert_eq!(super::parse_time("soon"), None);
    }
}
