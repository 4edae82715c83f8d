//! Git content, read-only, in Gitea's shapes: branches, tags, commits (list and single),
//! contents (a file with its base64 content, or a directory listing) and raw files.
//!
//! Every route needs `read:repository` and read access to the repository (missing and
//! unreadable private repositories are the same 404). All git work runs on blocking threads.
//!
//! Where Hatchery differs from Gitea, on purpose:
//! - Commits are not linked to accounts by e-mail address (addresses are private here): the
//!   `author`/`committer` users of a `Commit` are `null`, `username` of a branch's commit
//!   author is empty, and `verification` is `null` (signatures are not checked).
//! - `GET /commits` counts the history for `X-Total-Count` only up to
//!   [`COMMITS_COUNT_MAX`] commits (or to one past the requested page, if that is further):
//!   for a longer history `X-Total-Count`, `X-Total`, `X-PageCount` and the `last` link are
//!   left out, while `X-HasMore` and the `next` link are always exact. `limit` is honoured
//!   with `path` too. `not` is not supported. An unknown `sha` is a 404 (Gitea answers 500).
//! - A commit's `tree` names the commit's root tree (Gitea repeats the commit id), and its
//!   `files` and `stats` are computed without rename detection, for at most
//!   [`COMMIT_FILES_MAX`] files, line-counting blobs up to 4 MiB.
//! - `submodule_git_url` of a submodule entry is `null` (`.gitmodules` is not read).

use std::io::Read;

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use hatchery_core::Action;
use hatchery_git::{
    ChangeKind, CommitDetail, DiffOptions, EntryKind, Oid, Repository as Git, Resolved, RevKind,
};
use hatchery_service::ServiceError;
use hatchery_service::issues::RepoView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiQuery};
use crate::api::paging::{Paging, page_url};
use crate::api::types::{ApiUser, Urls};
use crate::api::{permission, repo_for, urls};
use crate::pages::code::{enc, raw_blob_response};
use crate::state::AppState;

/// The token scope every route here needs.
const SCOPE: &str = "read:repository";

/// `GET /commits` walks at most this many commits (or to one past the requested page, if
/// that is further) to count the history; longer histories are reported without a total.
pub const COMMITS_COUNT_MAX: usize = 10_000;

/// Files listed (and line-counted) in a commit's `files` and `stats`.
pub const COMMIT_FILES_MAX: usize = 3_000;

/// Files up to this size come with their content in `GET /contents` (Gitea's default
/// `[api] DEFAULT_MAX_BLOB_SIZE`); larger ones have `content` and `encoding` `null` and are
/// read through `download_url`.
pub const CONTENT_MAX_BYTES: u64 = 10 << 20;

/// Bytes of a symlink's target shown (as Gitea).
const SYMLINK_MAX_BYTES: usize = 1024;

/// Longer refs and paths are not looked up.
const MAX_INPUT_BYTES: usize = 4096;

/// What Go's zero time looks like in Gitea's JSON (the `created` of a parent commit).
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_branches))
        .routes(api_route!(get_branch))
        .route(
            "/repos/{owner}/{repo}/branches/{branch}/{*rest}",
            get(get_branch_deep),
        )
        .routes(api_route!(list_tags))
        .routes(api_route!(list_commits))
        .routes(api_route!(get_commit))
        .routes(api_route!(contents_root))
        .route("/repos/{owner}/{repo}/contents/", get(contents_root))
        .routes(api_route!(contents))
        .route(
            "/repos/{owner}/{repo}/contents/{filepath}/{*rest}",
            get(contents_deep),
        )
        .routes(api_route!(raw))
        .route(
            "/repos/{owner}/{repo}/raw/{filepath}/{*rest}",
            get(raw_deep),
        )
}

// ---- JSON objects ----

/// Like Gitea's `PayloadUser`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PayloadUser {
    pub name: String,
    pub email: String,
    /// Always empty: commits are not linked to accounts.
    pub username: String,
}

/// Like Gitea's `PayloadCommitVerification`; never produced (signatures are not checked).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PayloadCommitVerification {
    pub verified: bool,
    pub reason: String,
    pub signature: String,
    pub payload: String,
}

/// Like Gitea's `PayloadCommit`: a branch's tip.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PayloadCommit {
    pub id: String,
    pub message: String,
    /// The commit's web page.
    pub url: String,
    pub author: PayloadUser,
    pub committer: PayloadUser,
    pub verification: Option<PayloadCommitVerification>,
    /// The author date.
    pub timestamp: String,
    pub added: Option<Vec<String>>,
    pub removed: Option<Vec<String>>,
    pub modified: Option<Vec<String>>,
}

/// Like Gitea's `Branch`. Hatchery has no branch protection.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Branch {
    pub name: String,
    pub commit: PayloadCommit,
    pub protected: bool,
    pub required_approvals: i64,
    pub enable_status_check: bool,
    pub status_check_contexts: Vec<String>,
    /// Whether the caller may push to the repository.
    pub user_can_push: bool,
    pub user_can_merge: bool,
    pub effective_branch_protection_name: String,
}

/// Like Gitea's `CommitMeta`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CommitMeta {
    pub url: String,
    pub sha: String,
    pub created: String,
}

/// Like Gitea's `Tag`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Tag {
    pub name: String,
    /// The annotation's message, or the commit's for a lightweight tag.
    pub message: String,
    /// The tag object's id, or the commit's for a lightweight tag.
    pub id: String,
    /// The commit the tag leads to; `created` is the tagger's date (the committer's for a
    /// lightweight tag).
    pub commit: CommitMeta,
    pub zipball_url: String,
    pub tarball_url: String,
}

/// Like Gitea's `CommitUser`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CommitUser {
    pub name: String,
    pub email: String,
    /// RFC 3339, in the time zone recorded in the commit.
    pub date: String,
}

/// Like Gitea's `RepoCommit`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RepoCommit {
    pub url: String,
    pub author: CommitUser,
    pub committer: CommitUser,
    /// The full message, exactly as recorded.
    pub message: String,
    /// The commit's root tree.
    pub tree: CommitMeta,
    pub verification: Option<PayloadCommitVerification>,
}

/// Like Gitea's `CommitAffectedFiles`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CommitAffectedFiles {
    pub filename: String,
    /// `added`, `removed` or `modified`.
    pub status: String,
}

/// Like Gitea's `CommitStats`: lines against the first parent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CommitStats {
    pub total: u64,
    pub additions: u64,
    pub deletions: u64,
    pub changed_files: u64,
}

/// Like Gitea's `Commit`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Commit {
    pub url: String,
    pub sha: String,
    /// The committer date.
    pub created: String,
    pub html_url: String,
    pub commit: RepoCommit,
    /// Always `null`: commits are not linked to accounts.
    pub author: Option<ApiUser>,
    /// Always `null`: commits are not linked to accounts.
    pub committer: Option<ApiUser>,
    pub parents: Vec<CommitMeta>,
    /// Files changed against the first parent (`files=false` leaves them out).
    pub files: Option<Vec<CommitAffectedFiles>>,
    /// Lines changed against the first parent (`stat=false` leaves them out).
    pub stats: Option<CommitStats>,
}

/// Like Gitea's `FileLinksResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct FileLinksResponse {
    #[serde(rename = "self")]
    pub self_: Option<String>,
    pub git: Option<String>,
    pub html: Option<String>,
}

/// Like Gitea's `ContentsResponse`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ContentsResponse {
    pub name: String,
    pub path: String,
    /// The blob's id (the tree's for a directory, the commit's for a submodule).
    pub sha: String,
    /// The last commit that changed the entry, if found within the history walk's bound.
    pub last_commit_sha: Option<String>,
    pub last_committer_date: Option<String>,
    pub last_author_date: Option<String>,
    /// `file`, `dir`, `symlink` or `submodule`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Bytes of a file or symlink; 0 for directories and submodules.
    pub size: u64,
    /// `base64` for a file whose content is included, otherwise `null`.
    pub encoding: Option<String>,
    /// A file's content in base64 when it is read alone and at most 10 MiB, else `null`.
    pub content: Option<String>,
    /// A symlink's target.
    pub target: Option<String>,
    pub url: Option<String>,
    pub html_url: Option<String>,
    pub git_url: Option<String>,
    pub download_url: Option<String>,
    pub submodule_git_url: Option<String>,
    #[serde(rename = "_links")]
    pub links: FileLinksResponse,
}

/// A file's contents or a directory's entries.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Contents {
    File(Box<ContentsResponse>),
    Dir(Vec<ContentsResponse>),
}

// ---- helpers ----

/// An RFC 3339 time in the time zone of the signature, as Gitea writes git dates.
pub fn git_time(secs: i64, offset_seconds: i32) -> String {
    let offset =
        time::UtcOffset::from_whole_seconds(offset_seconds).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .map(|t| t.to_offset(offset))
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Runs blocking git work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// The repository (after the read and scope checks) and its git handle.
async fn open(
    state: &AppState,
    caller: &ApiCaller,
    owner: &str,
    name: &str,
) -> ApiResult<(RepoView, Git)> {
    let view = repo_for(state, caller, owner, name, Action::Read, SCOPE).await?;
    let (st, r) = (state.clone(), view.repo.clone());
    let (git, needs_upkeep) = blocking(move || {
        let git = st.forge.open_git_blocking(&r)?;
        let needs = !git.has_changed_path_filters() && !git.is_empty()?;
        Ok((git, needs))
    })
    .await?;
    // As the web pages do: a repository that arrived without a push gets its commit-graph.
    if needs_upkeep {
        tokio::spawn(crate::git_http::maintain(state.clone(), view.repo.clone()));
    }
    Ok((view, git))
}

fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, message)
}

/// `ref` as a branch, tag or (abbreviated) commit id; `None` (no `ref`) is the default
/// branch. `Ok(None)` when nothing matches or the repository is empty.
fn resolve_ref(git: &Git, rev: Option<&str>) -> Result<Option<Resolved>, ServiceError> {
    let Some(rev) = rev.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(git.default_branch_commit()?);
    };
    if rev.len() > MAX_INPUT_BYTES || rev.contains('\0') {
        return Ok(None);
    }
    let mut candidates = vec![rev];
    for prefix in ["refs/heads/", "refs/tags/"] {
        if let Some(short) = rev.strip_prefix(prefix) {
            candidates.push(short);
        }
    }
    for candidate in candidates {
        if let Some(r) = git.resolve_tree_path(candidate)?
            && r.path.is_empty()
        {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// The path as Gitea cleans it (no leading or trailing `/`, `.` for the root); `None` for
/// paths with empty, `.` or `..` components.
fn clean_path(path: &str) -> Option<String> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() || trimmed == "." {
        return Some(String::new());
    }
    if trimmed.len() > MAX_INPUT_BYTES {
        return None;
    }
    let ok = trimmed
        .split('/')
        .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\0'));
    ok.then(|| trimmed.to_owned())
}

/// The revision to put in links: the name as given, or the full id for a commit.
fn link_rev(r: &Resolved) -> String {
    match r.kind {
        RevKind::Commit => r.commit.to_hex(),
        RevKind::Branch | RevKind::Tag => r.rev_name.clone(),
    }
}

/// Gitea's `strconv.ParseBool` on a query flag that defaults to true.
fn flag(v: &Option<String>) -> bool {
    match v.as_deref() {
        None | Some("") => true,
        Some(s) => matches!(s, "1" | "t" | "T" | "true" | "TRUE" | "True"),
    }
}

struct RepoUrls {
    urls: Urls,
    full: String,
}

impl RepoUrls {
    fn new(urls: Urls, view: &RepoView) -> RepoUrls {
        RepoUrls {
            urls,
            full: format!("{}/{}", view.repo.owner_name, view.repo.name),
        }
    }
    fn api(&self, rest: &str) -> String {
        self.urls.api(&format!("repos/{}/{rest}", self.full))
    }
    fn html(&self, rest: &str) -> String {
        self.urls.html(&format!("{}/{rest}", self.full))
    }
    fn commit_api(&self, id: &str) -> String {
        self.api(&format!("git/commits/{id}"))
    }
}

/// A commit with what the listing asked for.
struct CommitData {
    detail: CommitDetail,
    changes: Option<Changes>,
}

struct Changes {
    files: Vec<CommitAffectedFiles>,
    stats: CommitStats,
}

#[derive(Clone, Copy)]
struct CommitOptions {
    stat: bool,
    files: bool,
}

fn changes(git: &Git, id: Oid) -> Result<Option<Changes>, ServiceError> {
    let options = DiffOptions {
        max_files: COMMIT_FILES_MAX,
        max_lines_per_file: 0,
        max_total_lines: 0,
        max_blob_bytes: 4 << 20,
        context_lines: 0,
        find_renames: false,
        find_copies: false,
        ignore_whitespace: false,
    };
    let Some(diff) = git.diff_against_first_parent(id, &options)? else {
        return Ok(None);
    };
    let files = diff
        .files
        .iter()
        .map(|f| CommitAffectedFiles {
            filename: f.path().to_owned(),
            status: match f.change {
                ChangeKind::Added => "added",
                ChangeKind::Deleted => "removed",
                _ => "modified",
            }
            .to_owned(),
        })
        .collect();
    Ok(Some(Changes {
        files,
        stats: CommitStats {
            total: diff.additions + diff.deletions,
            additions: diff.additions,
            deletions: diff.deletions,
            changed_files: diff.total_files as u64,
        },
    }))
}

fn commit_data(
    git: &Git,
    id: Oid,
    opts: CommitOptions,
) -> Result<Option<CommitData>, ServiceError> {
    let Some(detail) = git.commit_detail(id)? else {
        return Ok(None);
    };
    let changes = if opts.stat || opts.files {
        changes(git, id)?
    } else {
        None
    };
    Ok(Some(CommitData { detail, changes }))
}

fn to_commit(u: &RepoUrls, data: CommitData, opts: CommitOptions) -> Commit {
    let d = data.detail;
    let sha = d.id.to_hex();
    let created = git_time(d.committer.time, d.committer.offset_seconds);
    let (files, stats) = match data.changes {
        Some(c) => (opts.files.then_some(c.files), opts.stat.then_some(c.stats)),
        None => (None, None),
    };
    Commit {
        url: u.commit_api(&sha),
        sha: sha.clone(),
        created: created.clone(),
        html_url: u.html(&format!("commit/{sha}")),
        commit: RepoCommit {
            url: u.commit_api(&sha),
            author: CommitUser {
                name: d.author.name.clone(),
                email: d.author.email.clone(),
                date: git_time(d.author.time, d.author.offset_seconds),
            },
            committer: CommitUser {
                name: d.committer.name.clone(),
                email: d.committer.email.clone(),
                date: created.clone(),
            },
            message: d.message,
            tree: CommitMeta {
                url: u.api(&format!("git/trees/{}", d.tree.to_hex())),
                sha: d.tree.to_hex(),
                created,
            },
            verification: None,
        },
        author: None,
        committer: None,
        parents: d
            .parents
            .iter()
            .map(|p| CommitMeta {
                url: u.commit_api(&p.to_hex()),
                sha: p.to_hex(),
                created: ZERO_TIME.to_owned(),
            })
            .collect(),
        files,
        stats,
    }
}

/// Gitea's `Commit` for each of `ids` that is a commit (no files, no stats), read on a
/// blocking thread: a pull request's commit list.
pub(crate) async fn commit_list(
    state: &AppState,
    view: &RepoView,
    ids: Vec<Oid>,
) -> ApiResult<Vec<Commit>> {
    let git = state.forge.open_git_blocking(&view.repo)?;
    let u = RepoUrls::new(urls(state), view);
    let opts = CommitOptions {
        stat: false,
        files: false,
    };
    blocking(move || {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(data) = commit_data(&git, id, opts)? {
                out.push(to_commit(&u, data, opts));
            }
        }
        Ok(out)
    })
    .await
}

fn payload_commit(u: &RepoUrls, d: CommitDetail) -> PayloadCommit {
    let sha = d.id.to_hex();
    PayloadCommit {
        url: u.html(&format!("commit/{sha}")),
        id: sha,
        message: d.message,
        author: PayloadUser {
            name: d.author.name,
            email: d.author.email,
            username: String::new(),
        },
        committer: PayloadUser {
            name: d.committer.name,
            email: d.committer.email,
            username: String::new(),
        },
        verification: None,
        timestamp: git_time(d.author.time, d.author.offset_seconds),
        added: None,
        removed: None,
        modified: None,
    }
}

fn branch(u: &RepoUrls, view: &RepoView, name: String, tip: CommitDetail) -> Branch {
    let push = permission(view).push;
    Branch {
        name,
        commit: payload_commit(u, tip),
        protected: false,
        required_approvals: 0,
        enable_status_check: false,
        status_check_contexts: Vec::new(),
        user_can_push: push,
        user_can_merge: push,
        effective_branch_protection_name: String::new(),
    }
}

fn header(headers: &mut HeaderMap, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

// ---- branches ----

/// List a repository's branches
#[utoipa::path(get, path = "/repos/{owner}/{repo}/branches", tag = "repository",
    operation_id = "repoListBranches",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), Paging),
    responses((status = 200, body = Vec<Branch>), (status = 404, body = ApiErrorBody)))]
pub async fn list_branches(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name)): Path<(String, String)>,
    ApiQuery(paging): ApiQuery<Paging>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let (view, git) = open(&state, &caller, &owner, &name).await?;
    let (offset, limit) = (paging.offset(), paging.limit());
    let (total, page) = blocking(move || {
        let all = git.branches()?;
        let total = all.len();
        let mut page = Vec::new();
        for b in all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(0))
        {
            if let Some(tip) = git.commit_detail(b.commit.id)? {
                page.push((b.name, tip));
            }
        }
        Ok((total, page))
    })
    .await?;
    let u = RepoUrls::new(urls(&state), &view);
    let out: Vec<Branch> = page
        .into_iter()
        .map(|(n, tip)| branch(&u, &view, n, tip))
        .collect();
    let headers = paging.headers(&uri, i64::try_from(total).unwrap_or(i64::MAX));
    Ok((headers, Json(out)).into_response())
}

async fn branch_response(
    state: AppState,
    caller: ApiCaller,
    owner: String,
    name: String,
    branch_name: String,
) -> ApiResult<Json<Branch>> {
    let (view, git) = open(&state, &caller, &owner, &name).await?;
    let full = format!("refs/heads/{branch_name}");
    let missing = || not_found(format!("branch {branch_name} does not exist"));
    if branch_name.len() > MAX_INPUT_BYTES || hatchery_git::validate_ref_name(&full).is_err() {
        return Err(missing());
    }
    let tip = blocking(move || {
        let Some(target) = git.resolve(&full)? else {
            return Ok(None);
        };
        Ok(git.commit_detail(target)?)
    })
    .await?;
    let Some(tip) = tip else {
        return Err(missing());
    };
    let u = RepoUrls::new(urls(&state), &view);
    Ok(Json(branch(&u, &view, branch_name, tip)))
}

/// Retrieve a specific branch from a repository, including its effective branch protection
///
/// Branch names may contain `/`.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/branches/{branch}", tag = "repository",
    operation_id = "repoGetBranch",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("branch" = String, Path, description = "branch to get")),
    responses((status = 200, body = Branch), (status = 404, body = ApiErrorBody)))]
pub async fn get_branch(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name, branch)): Path<(String, String, String)>,
) -> ApiResult<Json<Branch>> {
    branch_response(state, caller, owner, name, branch).await
}

/// `/branches/{branch}/{*rest}`: a branch name with `/`.
async fn get_branch_deep(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name, first, rest)): Path<(String, String, String, String)>,
) -> ApiResult<Json<Branch>> {
    branch_response(state, caller, owner, name, format!("{first}/{rest}")).await
}

// ---- tags ----

/// List a repository's tags
#[utoipa::path(get, path = "/repos/{owner}/{repo}/tags", tag = "repository",
    operation_id = "repoListTags",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), Paging),
    responses((status = 200, body = Vec<Tag>), (status = 404, body = ApiErrorBody)))]
pub async fn list_tags(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name)): Path<(String, String)>,
    ApiQuery(paging): ApiQuery<Paging>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let (view, git) = open(&state, &caller, &owner, &name).await?;
    let (offset, limit) = (paging.offset(), paging.limit());
    let (total, page) = blocking(move || {
        let all = git.tags()?;
        let total = all.len();
        let mut page = Vec::new();
        for t in all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(0))
        {
            // A lightweight tag's message and date are its commit's.
            let commit = match &t.annotation {
                Some(_) => None,
                None => git.commit_detail(t.commit.id)?,
            };
            page.push((t, commit));
        }
        Ok((total, page))
    })
    .await?;
    let u = RepoUrls::new(urls(&state), &view);
    let out: Vec<Tag> = page
        .into_iter()
        .map(|(t, commit)| {
            let sha = t.commit.id.to_hex();
            let (id, message, created) = match (&t.annotation, commit) {
                (Some(a), _) => (
                    a.tag_oid.to_hex(),
                    a.message.clone(),
                    match &a.tagger {
                        Some(p) => git_time(p.time, p.offset_seconds),
                        None => ZERO_TIME.to_owned(),
                    },
                ),
                (None, Some(c)) => (
                    sha.clone(),
                    c.message,
                    git_time(c.committer.time, c.committer.offset_seconds),
                ),
                (None, None) => (
                    sha.clone(),
                    t.commit.summary.clone(),
                    crate::api::types::time(t.commit.committer_time.saturating_mul(1000)),
                ),
            };
            let archive = |ext: &str| u.html(&format!("archive/{}.{ext}", enc(&t.name)));
            Tag {
                zipball_url: archive("zip"),
                tarball_url: archive("tar.gz"),
                name: t.name,
                message,
                id,
                commit: CommitMeta {
                    url: u.commit_api(&sha),
                    sha,
                    created,
                },
            }
        })
        .collect();
    let headers = paging.headers(&uri, i64::try_from(total).unwrap_or(i64::MAX));
    Ok((headers, Json(out)).into_response())
}

// ---- commits ----

/// The query of `GET /commits`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommitsQuery {
    /// SHA or branch to start listing commits from (usually 'master')
    pub sha: Option<String>,
    /// filepath of a file/dir
    pub path: Option<String>,
    /// include diff stats for every commit (disable for speedup, default 'true')
    #[param(value_type = Option<bool>)]
    pub stat: Option<String>,
    /// include verification for every commit (always `null` in Hatchery)
    #[param(value_type = Option<bool>)]
    pub verification: Option<String>,
    /// include a list of affected files for every commit (disable for speedup, default 'true')
    #[param(value_type = Option<bool>)]
    pub files: Option<String>,
}

/// The query of `GET /git/commits/{sha}`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommitQuery {
    /// include diff stats (disable for speedup, default 'true')
    #[param(value_type = Option<bool>)]
    pub stat: Option<String>,
    /// include verification (always `null` in Hatchery)
    #[param(value_type = Option<bool>)]
    pub verification: Option<String>,
    /// include a list of affected files (disable for speedup, default 'true')
    #[param(value_type = Option<bool>)]
    pub files: Option<String>,
}

/// One page of a history walk, and what is known of the rest.
struct LogPage {
    commits: Vec<CommitData>,
    /// The number of commits, when the walk reached the end within its bound.
    total: Option<usize>,
    has_more: bool,
}

fn log_page(
    git: &Git,
    start: Oid,
    path: Option<&str>,
    offset: usize,
    limit: usize,
    count_max: usize,
    opts: CommitOptions,
) -> Result<Option<LogPage>, ServiceError> {
    let Some(mut walk) = git.log_walk(start, path)? else {
        return Ok(None);
    };
    // Count up to `count_max` commits, and always one past the page (for `has_more`).
    let bound = count_max.max(offset.saturating_add(limit).saturating_add(1));
    let mut ids = Vec::new();
    let mut counted = 0usize;
    let mut exhausted = true;
    while let Some(id) = walk.next_id()? {
        if counted >= offset && ids.len() < limit {
            ids.push(id);
        }
        counted += 1;
        if counted >= bound {
            exhausted = walk.next_id()?.is_none();
            break;
        }
    }
    let mut commits = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = commit_data(git, id, opts)? {
            commits.push(c);
        }
    }
    Ok(Some(LogPage {
        commits,
        total: exhausted.then_some(counted),
        has_more: !exhausted || counted > offset.saturating_add(limit),
    }))
}

/// Get a list of all commits from a repository
///
/// `X-Total-Count` (and `X-Total`, `X-PageCount`, the `last` link) are given when the
/// history has at most 10 000 commits (or ends right after the requested page);
/// `X-HasMore` and the `next` link always.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/commits", tag = "repository",
    operation_id = "repoGetAllCommits",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), CommitsQuery, Paging),
    responses((status = 200, body = Vec<Commit>), (status = 404, body = ApiErrorBody),
        (status = 409, description = "The repository is empty", body = ApiErrorBody)))]
pub async fn list_commits(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<CommitsQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let (view, git) = open(&state, &caller, &owner, &name).await?;
    let g = git.clone();
    if blocking(move || Ok(g.is_empty()?)).await? {
        return Err(ApiError::conflict("Git Repository is empty."));
    }
    let path = match query.path.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => {
            Some(clean_path(p).ok_or_else(|| not_found(format!("path {p} does not exist")))?)
        }
    };
    let opts = CommitOptions {
        stat: flag(&query.stat),
        files: flag(&query.files),
    };
    let (page, limit) = (paging.page(), paging.limit());
    let offset = usize::try_from(paging.offset()).unwrap_or(usize::MAX);
    let sha = query.sha.clone();
    let p = path.clone();
    let result = blocking(move || {
        let Some(start) = resolve_ref(&git, sha.as_deref())? else {
            return Ok(None);
        };
        let p = p.as_deref().filter(|p| !p.is_empty());
        log_page(
            &git,
            start.commit,
            p,
            offset,
            usize::try_from(limit).unwrap_or(0),
            COMMITS_COUNT_MAX,
            opts,
        )
    })
    .await?;
    let Some(log) = result else {
        return Err(not_found(format!(
            "ref {} does not exist",
            query.sha.as_deref().unwrap_or("")
        )));
    };
    if path.as_deref().is_some_and(|p| !p.is_empty()) && log.total == Some(0) {
        return Err(not_found(format!(
            "no commits for path {}",
            path.unwrap_or_default()
        )));
    }
    let u = RepoUrls::new(urls(&state), &view);
    let out: Vec<Commit> = log
        .commits
        .into_iter()
        .map(|c| to_commit(&u, c, opts))
        .collect();

    let mut headers = match log.total {
        Some(total) => paging.headers(&uri, i64::try_from(total).unwrap_or(i64::MAX)),
        None => {
            let mut h = HeaderMap::new();
            let mut links = vec![format!(
                "<{}>; rel=\"next\"",
                page_url(&uri, page.saturating_add(1), limit)
            )];
            if page > 1 {
                links.push(format!("<{}>; rel=\"first\"", page_url(&uri, 1, limit)));
                links.push(format!(
                    "<{}>; rel=\"prev\"",
                    page_url(&uri, page - 1, limit)
                ));
            }
            header(&mut h, "link", links.join(","));
            h
        }
    };
    header(&mut headers, "x-page", page);
    header(&mut headers, "x-perpage", limit);
    header(&mut headers, "x-hasmore", log.has_more);
    if let Some(total) = log.total {
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        header(&mut headers, "x-total", total);
        header(&mut headers, "x-pagecount", (total + limit - 1) / limit);
    }
    header(
        &mut headers,
        "access-control-expose-headers",
        "Link, X-Total-Count, X-Page, X-PerPage, X-Total, X-PageCount, X-HasMore",
    );
    Ok((headers, Json(out)).into_response())
}

/// Get a single commit from a repository
#[utoipa::path(get, path = "/repos/{owner}/{repo}/git/commits/{sha}", tag = "repository",
    operation_id = "repoGetSingleCommit",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("sha" = String, Path, description = "a git ref or commit sha"), CommitQuery),
    responses((status = 200, body = Commit), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn get_commit(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name, sha)): Path<(String, String, String)>,
    ApiQuery(query): ApiQuery<CommitQuery>,
) -> ApiResult<Json<Commit>> {
    let (view, git) = open(&state, &caller, &owner, &name).await?;
    if sha.len() > MAX_INPUT_BYTES
        || hatchery_git::validate_ref_name(&format!("refs/heads/{sha}")).is_err()
    {
        return Err(ApiError::unprocessable(format!(
            "no valid ref or sha: {sha}"
        )));
    }
    let opts = CommitOptions {
        stat: flag(&query.stat),
        files: flag(&query.files),
    };
    let s = sha.clone();
    let data = blocking(move || {
        if git.is_empty()? {
            return Ok(None);
        }
        let Some(r) = resolve_ref(&git, Some(&s))? else {
            return Ok(None);
        };
        commit_data(&git, r.commit, opts)
    })
    .await?;
    let data = data.ok_or_else(|| not_found(format!("commit {sha} does not exist")))?;
    let u = RepoUrls::new(urls(&state), &view);
    Ok(Json(to_commit(&u, data, opts)))
}

// ---- contents ----

/// The query of `GET /contents` and `GET /raw`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefQuery {
    /// The name of the commit/branch/tag. Default to the repository’s default branch.
    #[serde(rename = "ref")]
    pub ref_: Option<String>,
}

/// What an entry is, as the contents API names it.
fn content_type(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Dir => "dir",
        EntryKind::File | EntryKind::Executable => "file",
        EntryKind::Symlink => "symlink",
        EntryKind::Submodule => "submodule",
    }
}

/// One entry as read from git.
struct EntryData {
    name: String,
    path: String,
    kind: EntryKind,
    oid: Oid,
    size: u64,
    /// A file's content (when included and small enough) or a symlink's target.
    data: Option<Vec<u8>>,
    last: Option<hatchery_git::CommitSummary>,
}

enum ContentsData {
    File(Box<EntryData>),
    Dir(Vec<EntryData>),
}

fn read_contents(git: &Git, commit: Oid, path: &str) -> Result<Option<ContentsData>, ServiceError> {
    let Some((oid, kind)) = git.entry_at(commit, path)? else {
        return Ok(None);
    };
    if kind == EntryKind::Dir {
        let Some(mut entries) = git.tree(commit, path)? else {
            return Ok(None);
        };
        // Git's tree order (a directory sorts as if its name ended with `/`), as Gitea lists.
        entries.sort_by(|a, b| {
            let key = |e: &hatchery_git::TreeEntry| {
                let mut k = e.name.as_bytes().to_vec();
                if e.kind == EntryKind::Dir {
                    k.push(b'/');
                }
                k
            };
            key(a).cmp(&key(b))
        });
        let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
        let mut last = git.last_commits(commit, path, &names)?;
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            // A symlink's target is listed too; no other content is.
            let data = match e.kind {
                EntryKind::Symlink => git
                    .blob(commit, &e.path, SYMLINK_MAX_BYTES)?
                    .map(|b| b.data),
                _ => None,
            };
            out.push(EntryData {
                last: last.remove(&e.name),
                name: e.name,
                path: e.path,
                kind: e.kind,
                oid: e.oid,
                size: e.size.unwrap_or(0),
                data,
            });
        }
        return Ok(Some(ContentsData::Dir(out)));
    }
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (d, n),
        None => ("", path),
    };
    let last = git
        .last_commits(commit, dir, &[name.to_owned()])?
        .remove(name);
    let mut size = 0;
    let mut data = None;
    if kind.is_blob() {
        let Some(mut stream) = git.blob_stream(commit, path)? else {
            return Ok(None);
        };
        size = stream.size;
        let want = match kind {
            EntryKind::Symlink => Some(SYMLINK_MAX_BYTES as u64),
            _ if stream.size <= CONTENT_MAX_BYTES => Some(stream.size),
            _ => None,
        };
        if let Some(want) = want {
            let mut buf = Vec::with_capacity(usize::try_from(want.min(stream.size)).unwrap_or(0));
            (&mut stream.reader).take(want).read_to_end(&mut buf)?;
            data = Some(buf);
        }
    }
    Ok(Some(ContentsData::File(Box::new(EntryData {
        name: name.to_owned(),
        path: path.to_owned(),
        kind,
        oid,
        size,
        data,
        last,
    }))))
}

fn to_contents(u: &RepoUrls, rev: &str, e: EntryData, with_content: bool) -> ContentsResponse {
    let sha = e.oid.to_hex();
    let self_url = format!(
        "{}?ref={}",
        u.api(&format!("contents/{}", enc(&e.path))),
        form_urlencoded::byte_serialize(rev.as_bytes()).collect::<String>()
    );
    let web = |kind: &str| u.html(&format!("{kind}/{}/{}", enc(rev), enc(&e.path)));
    let (html_url, git_url, download_url) = match e.kind {
        EntryKind::Dir => (
            Some(web("tree")),
            Some(u.api(&format!("git/trees/{sha}"))),
            None,
        ),
        EntryKind::Submodule => (None, None, None),
        EntryKind::File | EntryKind::Executable | EntryKind::Symlink => (
            Some(web("blob")),
            Some(u.api(&format!("git/blobs/{sha}"))),
            Some(web("raw")),
        ),
    };
    let (mut encoding, mut content, mut target) = (None, None, None);
    match (e.kind, e.data) {
        (EntryKind::Symlink, Some(d)) => target = Some(String::from_utf8_lossy(&d).into_owned()),
        (EntryKind::File | EntryKind::Executable, Some(d)) if with_content => {
            encoding = Some("base64".to_owned());
            content = Some(base64::engine::general_purpose::STANDARD.encode(d));
        }
        _ => {}
    }
    ContentsResponse {
        name: e.name,
        path: e.path,
        sha,
        last_commit_sha: e.last.as_ref().map(|c| c.id.to_hex()),
        last_committer_date: e
            .last
            .as_ref()
            .map(|c| crate::api::types::time(c.committer_time.saturating_mul(1000))),
        last_author_date: e
            .last
            .as_ref()
            .map(|c| crate::api::types::time(c.author_time.saturating_mul(1000))),
        type_: content_type(e.kind).to_owned(),
        size: e.size,
        encoding,
        content,
        target,
        url: Some(self_url.clone()),
        html_url: html_url.clone(),
        git_url: git_url.clone(),
        download_url,
        submodule_git_url: None,
        links: FileLinksResponse {
            self_: Some(self_url),
            git: git_url,
            html: html_url,
        },
    }
}

async fn contents_response(
    state: AppState,
    caller: ApiCaller,
    owner: String,
    name: String,
    filepath: String,
    rev: Option<String>,
) -> ApiResult<Json<Contents>> {
    let (view, git) = open(&state, &caller, &owner, &name).await?;
    let path = clean_path(&filepath)
        .ok_or_else(|| not_found(format!("path {filepath} does not exist")))?;
    let r = rev.clone();
    let p = path.clone();
    let found = blocking(move || {
        if git.is_empty()? {
            return Ok(Err(p.is_empty()));
        }
        let Some(resolved) = resolve_ref(&git, r.as_deref())? else {
            return Ok(Err(false));
        };
        let data = read_contents(&git, resolved.commit, &p)?;
        Ok(Ok((resolved, data)))
    })
    .await?;
    let (resolved, data) = match found {
        Ok(found) => found,
        // An empty repository's root is an empty directory, as in Gitea.
        Err(true) => return Ok(Json(Contents::Dir(Vec::new()))),
        Err(false) => {
            return Err(not_found(match rev {
                Some(r) => format!("ref {r} does not exist"),
                None => "the repository has no default branch".to_owned(),
            }));
        }
    };
    let Some(data) = data else {
        return Err(not_found(format!(
            "path {path} does not exist at {}",
            resolved.rev_name
        )));
    };
    let u = RepoUrls::new(urls(&state), &view);
    let rev = link_rev(&resolved);
    Ok(Json(match data {
        ContentsData::File(e) => Contents::File(Box::new(to_contents(&u, &rev, *e, true))),
        ContentsData::Dir(entries) => Contents::Dir(
            entries
                .into_iter()
                .map(|e| to_contents(&u, &rev, e, false))
                .collect(),
        ),
    }))
}

/// Gets the metadata of all the entries of the root dir.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/contents", tag = "repository",
    operation_id = "repoGetContentsList",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), RefQuery),
    responses((status = 200, body = Vec<ContentsResponse>), (status = 404, body = ApiErrorBody)))]
pub async fn contents_root(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<RefQuery>,
) -> ApiResult<Json<Contents>> {
    contents_response(state, caller, owner, name, String::new(), q.ref_).await
}

/// Gets the metadata and contents (if a file) of an entry in a repository, or a list of entries if a dir.
///
/// A file comes with its content in base64 when it is at most 10 MiB (`content` and
/// `encoding` are `null` for larger files); a directory is a JSON array of its entries,
/// without content.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/contents/{filepath}", tag = "repository",
    operation_id = "repoGetContents",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("filepath" = String, Path, description = "path of the dir, file, symlink or submodule in the repo"),
        RefQuery),
    responses((status = 200, body = Contents), (status = 404, body = ApiErrorBody)))]
pub async fn contents(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name, filepath)): Path<(String, String, String)>,
    ApiQuery(q): ApiQuery<RefQuery>,
) -> ApiResult<Json<Contents>> {
    contents_response(state, caller, owner, name, filepath, q.ref_).await
}

/// `/contents/{filepath}/{*rest}`: a path below the root.
async fn contents_deep(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name, first, rest)): Path<(String, String, String, String)>,
    ApiQuery(q): ApiQuery<RefQuery>,
) -> ApiResult<Json<Contents>> {
    contents_response(
        state,
        caller,
        owner,
        name,
        format!("{first}/{rest}"),
        q.ref_,
    )
    .await
}

// ---- raw ----

async fn raw_response(
    state: AppState,
    caller: ApiCaller,
    owner: String,
    name: String,
    filepath: String,
    rev: Option<String>,
) -> ApiResult<Response> {
    let (_view, git) = open(&state, &caller, &owner, &name).await?;
    let missing = || not_found(format!("file {filepath} does not exist"));
    if filepath.len() > MAX_INPUT_BYTES || filepath.contains('\0') {
        return Err(missing());
    }
    let (g, fp) = (git.clone(), filepath.clone());
    let found = blocking(move || {
        if g.is_empty()? {
            return Ok(None);
        }
        let peek = |commit: Oid, path: &str| g.blob(commit, path, hatchery_git::BINARY_CHECK_BYTES);
        if let Some(rev) = rev.as_deref().filter(|r| !r.trim().is_empty()) {
            let Some(r) = resolve_ref(&g, Some(rev))? else {
                return Ok(None);
            };
            let Some(path) = clean_path(&fp).filter(|p| !p.is_empty()) else {
                return Ok(None);
            };
            return Ok(peek(r.commit, &path)?.map(|head| (r, path, head)));
        }
        // Gitea's form `{ref}/{path}` when the leading segments name a ref and the rest a
        // file there; otherwise the whole is a path on the default branch.
        if let Some(r) = g.resolve_tree_path(&fp)?
            && !r.path.is_empty()
            && let Some(head) = peek(r.commit, &r.path)?
        {
            let path = r.path.clone();
            return Ok(Some((r, path, head)));
        }
        let Some(r) = g.default_branch_commit()? else {
            return Ok(None);
        };
        let Some(path) = clean_path(&fp).filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        Ok(peek(r.commit, &path)?.map(|head| (r, path, head)))
    })
    .await?;
    let Some((resolved, path, head)) = found else {
        return Err(missing());
    };
    let immutable = matches!(resolved.kind, RevKind::Commit);
    let object_type = content_type(head.kind);
    let mut response = raw_blob_response(&git, resolved.commit, &path, &head, immutable);
    header(response.headers_mut(), "x-gitea-object-type", object_type);
    Ok(response)
}

/// Get a file from a repository
///
/// The exact bytes. `filepath` is a path on `ref` (default: the default branch); without
/// `ref`, Gitea's older form `{ref}/{filepath}` is understood when its leading segments
/// name a branch, tag or commit holding the file.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/raw/{filepath}", tag = "repository",
    operation_id = "repoGetRawFile",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("filepath" = String, Path, description = "path of the file to get"),
        RefQuery),
    responses((status = 200, description = "Returns raw file content.", content_type = "application/octet-stream"),
        (status = 404, body = ApiErrorBody)))]
pub async fn raw(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name, filepath)): Path<(String, String, String)>,
    ApiQuery(q): ApiQuery<RefQuery>,
) -> ApiResult<Response> {
    raw_response(state, caller, owner, name, filepath, q.ref_).await
}

/// `/raw/{filepath}/{*rest}`: a path below the root, or `{ref}/{path}`.
async fn raw_deep(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, name, first, rest)): Path<(String, String, String, String)>,
    ApiQuery(q): ApiQuery<RefQuery>,
) -> ApiResult<Response> {
    raw_response(
        state,
        caller,
        owner,
        name,
        format!("{first}/{rest}"),
        q.ref_,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_the_recorded_zone() {
        assert_eq!(git_time(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(git_time(3600, 7200), "1970-01-01T03:00:00+02:00");
        assert_eq!(git_time(0, -5400), "1969-12-31T22:30:00-01:30");
    }

    #[test]
    fn the_commit_count_stops_at_its_bound() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "A")
                .env("GIT_AUTHOR_EMAIL", "a@example.org")
                .env("GIT_COMMITTER_NAME", "A")
                .env("GIT_COMMITTER_EMAIL", "a@example.org")
                .output()
                .expect("git runs");
            assert!(out.status.success(), "git {args:?}");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        run(&["init", "-q", "-b", "main"]);
        for i in 0..7 {
            run(&["commit", "-q", "--allow-empty", "-m", &format!("c{i}")]);
        }
        let git = Git::open(&dir.path().join(".git")).expect("open");
        let tip: Oid = run(&["rev-parse", "main"]).parse().expect("oid");
        let opts = CommitOptions {
            stat: false,
            files: false,
        };
        let page = |offset, limit, max| {
            log_page(&git, tip, None, offset, limit, max, opts)
                .expect("walk")
                .expect("a commit")
        };
        // Within the bound: an exact total.
        let p = page(0, 2, 100);
        assert_eq!((p.commits.len(), p.total, p.has_more), (2, Some(7), true));
        let p = page(6, 2, 100);
        assert_eq!((p.commits.len(), p.total, p.has_more), (1, Some(7), false));
        // Past it: no total, but whether more follow is still known.
        let p = page(0, 2, 4);
        assert_eq!((p.commits.len(), p.total, p.has_more), (2, None, true));
        let p = page(2, 2, 4);
        assert_eq!((p.commits.len(), p.total, p.has_more), (2, None, true));
        // The walk goes one past the page whatever the bound, and may find the end there.
        let p = page(4, 2, 4);
        assert_eq!((p.commits.len(), p.total, p.has_more), (2, Some(7), true));
        let p = page(5, 2, 4);
        assert_eq!((p.commits.len(), p.total, p.has_more), (2, Some(7), false));
        assert_eq!(p.commits[1].detail.message, "c0\n");
        // A bound of exactly the history's length still finds the end.
        let p = page(0, 2, 7);
        assert_eq!(p.total, Some(7));
    }

    #[test]
    fn paths_and_flags() {
        assert_eq!(clean_path("/a/b/").as_deref(), Some("a/b"));
        assert_eq!(clean_path(".").as_deref(), Some(""));
        assert_eq!(clean_path("a/../b"), None);
        assert_eq!(clean_path("a//b"), None);
        assert!(flag(&None));
        assert!(flag(&Some("1".into())));
        assert!(!flag(&Some("false".into())));
        assert!(!flag(&Some("nonsense".into())));
    }
}
