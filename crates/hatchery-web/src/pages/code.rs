//! Reading code: the repository home with its README, directory listings, file views,
//! raw files, branches, tags and archives. Every page resolves `<ref>/<path>` the same way
//! (refs may contain `/`) and answers a missing ref or path with a helpful 404.

use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::repo::{RepoTab, clone_boxes, load, repo_header};
use crate::state::AppState;
use crate::views::checks::check_icon;
use crate::views::page;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_core::Action;
use hatchery_core::protection::rule_for;
use hatchery_git::{CommitSummary, EntryKind, Repository as Git, Resolved, TreeEntry};
use hatchery_store::Repo;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Files larger than this are offered for download instead of being shown.
pub const MAX_SHOWN_BYTES: usize = 1 << 20;

/// Runs blocking git work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, hatchery_service::ServiceError> + Send + 'static,
) -> WebResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::from)
}

/// The repository and its git handle, after the read check.
pub async fn open(state: &AppState, ctx: &Ctx, owner: &str, name: &str) -> WebResult<(Repo, Git)> {
    let repo = load(state, ctx, owner, name, Action::Read).await?;
    let (st, r) = (state.clone(), repo.clone());
    let (git, needs_upkeep) = blocking(move || {
        let git = st.forge.open_git_blocking(&r)?;
        let needs = !git.has_changed_path_filters() && !git.is_empty()?;
        Ok((git, needs))
    })
    .await?;
    // A repository that arrived without a push (copied in, or with git gc's commit-graph)
    // gets the server's commit-graph in the background: history and blame of a path are
    // an order of magnitude faster with its changed-path filters.
    if needs_upkeep {
        tokio::spawn(crate::git_http::maintain(state.clone(), repo.clone()));
    }
    Ok((repo, git))
}

/// Percent-encodes each segment of a repository path for use in a URL path.
pub fn enc(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b':'
            | b'@' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `/<owner>/<repo>/<kind>/<rev>/<path>`
pub fn url(repo: &Repo, kind: &str, rev: &str, path: &str) -> String {
    let mut u = format!("/{}/{}/{kind}/{}", repo.owner_name, repo.name, enc(rev));
    if !path.is_empty() {
        u.push('/');
        u.push_str(&enc(path));
    }
    u
}

/// "3 days ago", in the visitor's language.
pub fn ago(ctx: &Ctx, unix_secs: i64) -> String {
    let now = hatchery_store::now_ms() / 1000;
    let d = (now - unix_secs).max(0);
    let (one, many, n) = match d {
        0..60 => ("time.seconds", "time.seconds", d),
        60..3600 => ("time.minute", "time.minutes", d / 60),
        3600..86_400 => ("time.hour", "time.hours", d / 3600),
        86_400..2_592_000 => ("time.day", "time.days", d / 86_400),
        2_592_000..31_536_000 => ("time.month", "time.months", d / 2_592_000),
        _ => ("time.year", "time.years", d / 31_536_000),
    };
    ctx.tf(if n == 1 { one } else { many }, &[("n", &n.to_string())])
}

/// A machine-readable time for `<time datetime>`: `2026-11-28T21:30:00Z`.
pub fn iso_datetime(unix_secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// An absolute date for tooltips: `2026-11-28 21:30 UTC`.
pub fn datetime(unix_secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

pub fn time_ago(ctx: &Ctx, unix_secs: i64) -> Markup {
    html! { time datetime=(iso_datetime(unix_secs)) title=(datetime(unix_secs)) { (ago(ctx, unix_secs)) } }
}

/// [`time_ago`] for the database's unix-millisecond times.
pub fn time_ago_ms(ctx: &Ctx, unix_ms: i64) -> Markup {
    time_ago(ctx, unix_ms.div_euclid(1000))
}

/// Longer `<rev>/<path>` parts are not resolved: no ref or path is that long, and
/// resolving tries every leading run of segments.
const MAX_REST_BYTES: usize = 4096;

/// Resolves `<rev>[/<path>]`; `None` when nothing matches (or the input is absurd).
pub async fn resolve_opt(git: &Git, rest: &str) -> WebResult<Option<Resolved>> {
    if rest.len() > MAX_REST_BYTES || rest.contains('\0') {
        return Ok(None);
    }
    let (g, r) = (git.clone(), rest.to_owned());
    blocking(move || Ok(g.resolve_tree_path(&r)?)).await
}

/// Resolves `rest` (`<rev>/<path>`) or answers 404.
async fn resolve(git: &Git, rest: &str) -> WebResult<Resolved> {
    resolve_opt(git, rest).await?.ok_or(WebError::NotFound)
}

/// Breadcrumbs: repository / dir / dir / file, each a link to its directory.
pub fn breadcrumbs(repo: &Repo, rev: &str, path: &str) -> Markup {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    html! {
        nav.breadcrumbs aria-label="breadcrumbs" {
            a href=(url(repo, "tree", rev, "")) { (repo.name) }
            @for (i, part) in parts.iter().enumerate() {
                span.sep { "/" }
                @if i + 1 == parts.len() {
                    strong { (part) }
                } @else {
                    a href=(url(repo, "tree", rev, &parts[..=i].join("/"))) { (part) }
                }
            }
        }
    }
}

/// The branch and tag picker, keeping the current path (and page kind) when switching.
pub async fn ref_picker(
    ctx: &Ctx,
    git: &Git,
    repo: &Repo,
    current: &str,
    kind: &str,
    path: &str,
) -> WebResult<Markup> {
    // Names only: decoding every tip commit here would cost more than the rest of the page.
    let g = git.clone();
    let refs = blocking(move || Ok(g.refs()?)).await?;
    let mut branches: Vec<&str> = refs
        .iter()
        .filter_map(|r| r.name.strip_prefix("refs/heads/"))
        .collect();
    let mut tags: Vec<&str> = refs
        .iter()
        .filter_map(|r| r.name.strip_prefix("refs/tags/"))
        .collect();
    branches.sort_by_key(|b| (*b != repo.default_branch, *b));
    tags.sort_unstable_by(|a, b| b.cmp(a));
    Ok(html! {
        details.ref-picker {
            summary { span.muted { (ctx.t("code.ref")) } " " strong { (current) } }
            div.ref-menu {
                div.muted { (ctx.t("repo.branches")) }
                @for b in branches.iter().take(100) {
                    a href=(url(repo, kind, b, path)) { (b) }
                }
                @if !tags.is_empty() {
                    div.muted { (ctx.t("repo.tags")) }
                    @for t in tags.iter().take(100) {
                        a href=(url(repo, kind, t, path)) { (t) }
                    }
                }
            }
        }
    })
}

// ---- directory listings ----

async fn last_commits(
    state: &AppState,
    git: &Git,
    repo: &Repo,
    commit: hatchery_git::Oid,
    dir: &str,
    entries: &[TreeEntry],
) -> WebResult<Arc<HashMap<String, CommitSummary>>> {
    let key = (repo.id, commit, dir.to_owned());
    if let Some(hit) = state.caches.last_commits.get(&key) {
        return Ok(hit);
    }
    let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
    let (g, d) = (git.clone(), dir.to_owned());
    let found = Arc::new(blocking(move || Ok(g.last_commits(commit, &d, &names)?)).await?);
    state.caches.last_commits.insert(key, found.clone());
    Ok(found)
}

/// Small inline SVG icons: no image requests, no font that might lack the glyph.
fn entry_icon(kind: EntryKind) -> Markup {
    let path = match kind {
        EntryKind::Dir => "M1.5 3h4l1.5 1.5h7.5v8.5h-13z",
        EntryKind::Submodule => "M2 2.5h12v11h-12zM2 6h12M6 2.5v3.5",
        EntryKind::Symlink => "M3 1.5h7l3 3v10h-10zM6 11l4-4M7 7h3v3",
        _ => "M3 1.5h7l3 3v10h-10zM10 1.5v3h3",
    };
    html! {
        svg.icon width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" {
            path d=(path) fill="none" stroke="currentColor" stroke-width="1.2" stroke-linejoin="round" {}
        }
    }
}

fn listing(
    ctx: &Ctx,
    repo: &Repo,
    rev: &str,
    path: &str,
    entries: &[TreeEntry],
    last: &HashMap<String, CommitSummary>,
) -> Markup {
    html! {
        table.files id="file-list" {
            tbody {
                @if !path.is_empty() {
                    @let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
                    tr { td.name colspan="3" { a href=(url(repo, "tree", rev, parent)) { ".." } } }
                }
                @for e in entries {
                    @let href = match e.kind { EntryKind::Dir => url(repo, "tree", rev, &e.path), EntryKind::Submodule => String::new(), _ => url(repo, "blob", rev, &e.path) };
                    tr {
                        td.name {
                            (entry_icon(e.kind)) " "
                            @if href.is_empty() { (e.name) " @ " code.sha { (&e.oid.to_hex()[..10]) } } @else { a href=(href) { (e.name) } }
                        }
                        @if let Some(c) = last.get(&e.name) {
                            td.msg { a.muted href=(format!("/{}/{}/commit/{}", repo.owner_name, repo.name, c.id.to_hex())) { (c.summary) } }
                            td.age { (time_ago(ctx, c.committer_time)) }
                        } @else {
                            td.msg {} td.age {}
                        }
                    }
                }
            }
        }
    }
}

/// The README of a directory, rendered, from its entries (README.md first).
async fn readme(
    state: &AppState,
    git: &Git,
    repo: &Repo,
    resolved: &Resolved,
    entries: &[TreeEntry],
) -> WebResult<Option<(String, Markup)>> {
    let mut candidates: Vec<&TreeEntry> = entries
        .iter()
        .filter(|e| {
            e.kind.is_blob()
                && e.kind != EntryKind::Symlink
                && e.name.to_ascii_lowercase().starts_with("readme")
        })
        .collect();
    candidates.sort_by_key(|e| (!is_markdown(&e.name), e.name.len()));
    let Some(entry) = candidates.first() else {
        return Ok(None);
    };
    let (name, file_path) = (entry.name.clone(), entry.path.clone());
    let html = render_file_cached(state, git, repo, resolved, &file_path, entry.oid).await?;
    Ok(html.map(|h| (name, h)))
}

fn is_markdown(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown") || lower.ends_with(".mdown")
}

/// A document shown whole: Markdown rendered with links resolved inside the repository at
/// this revision, anything else highlighted as text.
async fn render_file_cached(
    state: &AppState,
    git: &Git,
    repo: &Repo,
    resolved: &Resolved,
    file_path: &str,
    oid: hatchery_git::Oid,
) -> WebResult<Option<Markup>> {
    let key = format!(
        "md:{}:{}:{}:{}",
        repo.id,
        resolved.rev_name,
        file_path,
        oid.to_hex()
    );
    if let Some(hit) = state.caches.html.get(&key) {
        return Ok(hit.first().map(|h| PreEscaped(h.clone())));
    }
    let (g, commit, p) = (git.clone(), resolved.commit, file_path.to_owned());
    let Some(blob) = blocking(move || Ok(g.blob(commit, &p, MAX_SHOWN_BYTES)?)).await? else {
        return Ok(None);
    };
    if blob.is_binary {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&blob.data).into_owned();
    let dir = file_path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
    let links = hatchery_render::RepoLinks {
        blob_base: format!("{}/", url(repo, "blob", &resolved.rev_name, "")),
        raw_base: format!("{}/", url(repo, "raw", &resolved.rev_name, "")),
        dir,
    };
    let name = file_path.rsplit('/').next().unwrap_or(file_path).to_owned();
    let rendered = tokio::task::spawn_blocking(move || {
        if is_markdown(&name) {
            hatchery_render::markdown(&text, &links)
        } else {
            let lines = hatchery_render::highlight_lines(&name, &text);
            format!("<pre class=\"plain hl-code\">{}</pre>", lines.join("\n"))
        }
    })
    .await
    .map_err(WebError::internal)?;
    state
        .caches
        .html
        .insert(key, Arc::new(vec![rendered.clone()]));
    Ok(Some(PreEscaped(rendered)))
}

async fn tree_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    git: &Git,
    resolved: &Resolved,
    is_home: bool,
) -> WebResult<Response> {
    let (g, commit, p) = (git.clone(), resolved.commit, resolved.path.clone());
    let Some(entries) = blocking(move || Ok(g.tree(commit, &p)?)).await? else {
        // A file: show it where it lives.
        let (g, p) = (git.clone(), resolved.path.clone());
        if blocking(move || Ok(g.entry_at(commit, &p)?))
            .await?
            .is_some()
        {
            return Ok(
                Redirect::to(&url(repo, "blob", &resolved.rev_name, &resolved.path))
                    .into_response(),
            );
        }
        return Err(WebError::NotFound);
    };
    let last = last_commits(state, git, repo, resolved.commit, &resolved.path, &entries).await?;
    let readme = readme(state, git, repo, resolved, &entries).await?;
    let picker = ref_picker(ctx, git, repo, &resolved.rev_name, "tree", &resolved.path).await?;
    let header = repo_header(state, ctx, repo, RepoTab::Code).await?;
    let title = if resolved.path.is_empty() {
        format!("{}/{}", repo.owner_name, repo.name)
    } else {
        format!("{} · {}/{}", resolved.path, repo.owner_name, repo.name)
    };
    Ok(page(
        ctx,
        &title,
        html! {
            (header)
            div.code-bar {
                (picker)
                (breadcrumbs(repo, &resolved.rev_name, &resolved.path))
                span.spacer {}
                a.btn.btn-small href=(format!("{}", url(repo, "commits", &resolved.rev_name, &resolved.path))) { (ctx.t("code.history")) }
                @if is_home {
                    details.clone-picker {
                        summary.btn.btn-small { (ctx.t("code.clone")) }
                        div.clone-menu {
                            (clone_boxes(state, ctx, repo))
                            p {
                                a href=(format!("/{}/{}/archive/{}.tar.gz", repo.owner_name, repo.name, enc(&resolved.rev_name))) { (ctx.t("code.download_targz")) }
                                " · "
                                a href=(format!("/{}/{}/archive/{}.zip", repo.owner_name, repo.name, enc(&resolved.rev_name))) { (ctx.t("code.download_zip")) }
                            }
                        }
                    }
                }
            }
            (listing(ctx, repo, &resolved.rev_name, &resolved.path, &entries, &last))
            @if let Some((name, html)) = readme {
                section.card.readme id="readme" {
                    h2.readme-title { (name) }
                    div.markdown-body { (html) }
                }
            }
        },
    )
    .into_response())
}

/// `/<owner>/<repo>`: the default branch's root, or push instructions when empty.
pub async fn home(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let g = git.clone();
    match blocking(move || Ok(g.default_branch_commit()?)).await? {
        Some(resolved) => tree_page(&state, &ctx, &repo, &git, &resolved, true).await,
        None => Ok(crate::pages::repo::empty_page(&state, &ctx, &repo)
            .await?
            .into_response()),
    }
}

pub async fn tree(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, rest)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let resolved = resolve(&git, &rest).await?;
    tree_page(
        &state,
        &ctx,
        &repo,
        &git,
        &resolved,
        resolved.path.is_empty(),
    )
    .await
}

// ---- file view ----

#[derive(Deserialize, Default)]
pub struct BlobQuery {
    /// Show a Markdown file's source instead of rendering it.
    plain: Option<String>,
}

fn image_type(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "ico" => "image/x-icon",
        "svg" => "image/svg+xml",
        "avif" => "image/avif",
        _ => return None,
    })
}

fn human_size(ctx: &Ctx, bytes: u64) -> String {
    let (n, key) = if bytes >= 1 << 20 {
        (
            format!("{:.1}", bytes as f64 / f64::from(1u32 << 20)),
            "code.size_mib",
        )
    } else if bytes >= 1 << 10 {
        (format!("{:.1}", bytes as f64 / 1024.0), "code.size_kib")
    } else {
        (bytes.to_string(), "code.size_bytes")
    };
    ctx.tf(key, &[("n", &n)])
}

/// Highlighted lines of a blob, cached by blob id (the file view and blame share them).
pub async fn highlighted(
    state: &AppState,
    name: &str,
    oid: hatchery_git::Oid,
    text: String,
) -> WebResult<Arc<Vec<String>>> {
    let key = format!("hl:{}:{}", oid.to_hex(), extension(name));
    if let Some(hit) = state.caches.html.get(&key) {
        return Ok(hit);
    }
    let n = name.to_owned();
    let lines = Arc::new(
        tokio::task::spawn_blocking(move || hatchery_render::highlight_lines(&n, &text))
            .await
            .map_err(WebError::internal)?,
    );
    state.caches.html.insert(key, lines.clone());
    Ok(lines)
}

/// A highlighted text file's view: its table of numbered lines, which depends only on the
/// blob and the highlighting language (its extension).
pub struct CodeView {
    size: u64,
    lines: usize,
    html: String,
}

impl CodeView {
    /// Bytes held, for the cache's bound.
    pub fn weight(&self) -> usize {
        self.html.len() + 64
    }
}

/// The file name's extension, which picks the highlighting (the whole name when it has none).
fn extension(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(_, e)| e)
}

fn code_table(lines: &[String]) -> Markup {
    html! {
        div.code-view.hl-code {
            table.lines id="code" {
                tbody {
                    @for (i, line) in lines.iter().enumerate() {
                        @let n = i + 1;
                        tr id=(format!("L{n}")) {
                            td.ln { a href=(format!("#L{n}")) data-line=(n) { (n) } }
                            td.lc { code { (PreEscaped(line)) } }
                        }
                    }
                }
            }
        }
    }
}

/// What the file view's lookup found: a highlighted view from the cache (the blob is not
/// read), or the blob itself.
enum FileFound {
    Cached(Arc<CodeView>),
    Blob(hatchery_git::BlobView),
}

pub async fn blob(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, rest)): Path<(String, String, String)>,
    Query(q): Query<BlobQuery>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let resolved = resolve(&git, &rest).await?;
    let file_name = resolved.path.rsplit('/').next().unwrap_or("").to_owned();
    let ext = extension(&file_name).to_owned();
    // A highlighted file is shown from the cache when its blob id (a tree lookup) is known
    // there: reading and inflating the blob is most of this page's git work.
    let cacheable =
        !(is_markdown(&file_name) && q.plain.is_none()) && image_type(&file_name).is_none();
    let (g, st, commit, p, e) = (
        git.clone(),
        state.clone(),
        resolved.commit,
        resolved.path.clone(),
        ext.clone(),
    );
    let found = blocking(move || {
        if cacheable
            && let Some((oid, EntryKind::File | EntryKind::Executable)) = g.entry_at(commit, &p)?
            && let Some(view) = st.caches.code_views.get(&(oid, e))
        {
            return Ok(Some(FileFound::Cached(view)));
        }
        Ok(g.blob(commit, &p, MAX_SHOWN_BYTES)?.map(FileFound::Blob))
    })
    .await?;
    let Some(found) = found else {
        let (g, p) = (git.clone(), resolved.path.clone());
        if blocking(move || Ok(g.tree(commit, &p)?)).await?.is_some() {
            return Ok(
                Redirect::to(&url(&repo, "tree", &resolved.rev_name, &resolved.path))
                    .into_response(),
            );
        }
        return Err(WebError::NotFound);
    };
    let raw = url(&repo, "raw", &resolved.rev_name, &resolved.path);
    let header = repo_header(&state, &ctx, &repo, RepoTab::Code).await?;
    let picker = ref_picker(
        &ctx,
        &git,
        &repo,
        &resolved.rev_name,
        "blob",
        &resolved.path,
    )
    .await?;
    let (size, line_count, is_text, markdown, body) = match found {
        FileFound::Cached(view) => (
            view.size,
            Some(view.lines),
            true,
            false,
            PreEscaped(view.html.clone()),
        ),
        FileFound::Blob(blob) => {
            let text = (!blob.is_binary).then(|| String::from_utf8_lossy(&blob.data).into_owned());
            let line_count = text.as_ref().map(|t| t.lines().count());
            let markdown =
                is_markdown(&file_name) && q.plain.is_none() && !blob.truncated && text.is_some();
            let body = if blob.kind == EntryKind::Symlink {
                html! { p.muted { (ctx.t("code.symlink")) " " code { (text.clone().unwrap_or_default()) } } }
            } else if image_type(&file_name).is_some() {
                html! { div.image-view { img src=(raw) alt=(file_name); } }
            } else if blob.is_binary {
                html! { div.empty id="binary-notice" { (ctx.t("code.binary")) " " a href=(raw) { (ctx.t("code.download")) } } }
            } else if blob.truncated {
                html! { div.empty id="too-large-notice" { (ctx.t("code.too_large")) " " a href=(raw) { (ctx.t("code.download")) } } }
            } else if markdown {
                let rendered =
                    render_file_cached(&state, &git, &repo, &resolved, &resolved.path, blob.oid)
                        .await?;
                html! { div.markdown-body.card id="rendered" { @if let Some(r) = rendered { (r) } } }
            } else {
                let lines = highlighted(
                    &state,
                    &file_name,
                    blob.oid,
                    text.clone().unwrap_or_default(),
                )
                .await?;
                let view = Arc::new(CodeView {
                    size: blob.size,
                    lines: line_count.unwrap_or(0),
                    html: code_table(&lines).into_string(),
                });
                state
                    .caches
                    .code_views
                    .insert((blob.oid, ext), view.clone());
                PreEscaped(view.html.clone())
            };
            (blob.size, line_count, text.is_some(), markdown, body)
        }
    };
    Ok(page(
        &ctx,
        &format!("{} · {}/{}", resolved.path, repo.owner_name, repo.name),
        html! {
            (header)
            div.code-bar {
                (picker)
                (breadcrumbs(&repo, &resolved.rev_name, &resolved.path))
            }
            div.file-bar {
                span.muted id="file-meta" {
                    @if let Some(n) = line_count { (ctx.tf("code.lines", &[("n", &n.to_string())])) " · " }
                    (human_size(&ctx, size))
                    @if let Some(lang) = hatchery_render::language_name(&file_name) { " · " (lang) }
                }
                span.spacer {}
                @if is_markdown(&file_name) && is_text {
                    @if markdown {
                        a.btn.btn-small href=(format!("{}?plain=1", url(&repo, "blob", &resolved.rev_name, &resolved.path))) { (ctx.t("code.source")) }
                    } @else {
                        a.btn.btn-small href=(url(&repo, "blob", &resolved.rev_name, &resolved.path)) { (ctx.t("code.preview")) }
                    }
                }
                a.btn.btn-small href=(raw) id="raw-link" { (ctx.t("code.raw")) }
                @if is_text { a.btn.btn-small href=(url(&repo, "blame", &resolved.rev_name, &resolved.path)) { (ctx.t("code.blame")) } }
                a.btn.btn-small href=(url(&repo, "commits", &resolved.rev_name, &resolved.path)) { (ctx.t("code.history")) }
            }
            (body)
        },
    )
    .into_response())
}

// ---- raw ----

/// The exact bytes, served so that a browser never runs them (see [`raw_blob_response`]).
pub async fn raw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, rest)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (_repo, git) = open(&state, &ctx, &owner, &name).await?;
    let resolved = resolve(&git, &rest).await?;
    let (g, commit, p) = (git.clone(), resolved.commit, resolved.path.clone());
    // Peek at the start to tell text from binary, then stream the whole.
    let Some(head) =
        blocking(move || Ok(g.blob(commit, &p, hatchery_git::BINARY_CHECK_BYTES)?)).await?
    else {
        return Err(WebError::NotFound);
    };
    let immutable = matches!(resolved.kind, hatchery_git::RevKind::Commit);
    Ok(raw_blob_response(
        &git,
        commit,
        &resolved.path,
        &head,
        immutable,
    ))
}

/// The response serving the blob at `path` in `commit` byte for byte, so that a browser
/// never runs it: text as `text/plain`, images with their type, everything else as a
/// download; `nosniff` and a sandboxing CSP always. `head` is the blob read with at least
/// [`hatchery_git::BINARY_CHECK_BYTES`] bytes (to tell text from binary); the content
/// streams from a blocking thread. `immutable`: the URL named a commit, so caches may keep
/// it (a branch moves). Shared by the web's `/raw/` and the API's `/raw/`.
pub fn raw_blob_response(
    git: &Git,
    commit: hatchery_git::Oid,
    path: &str,
    head: &hatchery_git::BlobView,
    immutable: bool,
) -> Response {
    let file_name = path.rsplit('/').next().unwrap_or("file").to_owned();
    let (content_type, attachment) = match image_type(&file_name) {
        Some(mime) => (mime, true),
        None if head.is_binary => ("application/octet-stream", true),
        None => ("text/plain; charset=utf-8", false),
    };
    let (tx, channel) =
        http_body_util::channel::Channel::<axum::body::Bytes, std::io::Error>::new(4);
    let (g, p) = (git.clone(), path.to_owned());
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut tx = tx;
        let Ok(Some(mut stream)) = g.blob_stream(commit, &p) else {
            return;
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stream.reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if handle
                        .block_on(tx.send_data(axum::body::Bytes::copy_from_slice(&buf[..n])))
                        .is_err()
                    {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading a blob failed");
                    break;
                }
            }
        }
    });
    let mut response = Response::new(Body::new(channel));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(head.size));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    if attachment {
        let ascii: String = file_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let disposition = format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            enc(&file_name).replace('/', "%2F")
        );
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    let cache = if immutable {
        "public, max-age=86400"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

// ---- branches and tags ----

pub async fn branches(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let g = git.clone();
    let list = blocking(move || Ok(g.branches()?)).await?;
    let ids: Vec<String> = list.iter().map(|b| b.commit.id.to_hex()).collect();
    let checks = state.forge.combined_statuses(&repo, &ids).await?;
    let rules: Vec<_> = state
        .store
        .protection_rules(repo.id)
        .await?
        .into_iter()
        .map(|p| p.rule)
        .collect();
    let header = repo_header(&state, &ctx, &repo, RepoTab::Branches).await?;
    Ok(page(
        &ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("repo.branches"),
            repo.owner_name,
            repo.name
        ),
        html! {
            (header)
            @if list.is_empty() { div.empty { (ctx.t("code.no_branches")) } } @else {
                ul.list id="branch-list" {
                    @for b in &list {
                        li {
                            span {
                                a href=(url(&repo, "tree", &b.name, "")) { strong { (b.name) } }
                                @if b.name == repo.default_branch { " " span.badge { (ctx.t("repo.default_branch")) } }
                                @if let Some(rule) = rule_for(&rules, &b.name) {
                                    " " span.badge.badge-protected title=(ctx.tf("protection.badge_title", &[("rule", &rule.rule_name)])) { (ctx.t("protection.badge")) }
                                }
                                @if let Some(combined) = checks.get(&b.commit.id.to_hex()) { " " (check_icon(&ctx, combined)) }
                                br;
                                a.muted href=(format!("/{}/{}/commit/{}", repo.owner_name, repo.name, b.commit.id.to_hex())) { (b.commit.summary) }
                            }
                            span.muted { (b.commit.author_name) " · " (time_ago(&ctx, b.commit.committer_time)) }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn tags(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let g = git.clone();
    let list = blocking(move || Ok(g.tags()?)).await?;
    let released = state.store.published_release_tags(repo.id).await?;
    let view = crate::pages::issues::view_of(&state, &ctx, &owner, &name).await?;
    let hidden = state
        .forge
        .hidden_candidate_tags(&view)
        .await
        .map_err(|e| match e {
            hatchery_service::releases::ReleaseError::Service(s) => WebError::from(s),
            _ => WebError::NotFound,
        })?;
    let header = repo_header(&state, &ctx, &repo, RepoTab::Tags).await?;
    Ok(page(
        &ctx,
        &format!("{} · {}/{}", ctx.t("repo.tags"), repo.owner_name, repo.name),
        html! {
            (header)
            @if list.is_empty() { div.empty { (ctx.t("code.no_tags")) } } @else {
                ul.list id="tag-list" {
                    @for t in &list {
                        li {
                            span {
                                a href=(url(&repo, "tree", &t.name, "")) { strong { (t.name) } }
                                " " code.sha { (t.commit.short_id) }
                                @if let Some(a) = &t.annotation {
                                    @if !a.message.trim().is_empty() { br; span.tag-message { (a.message.trim()) } }
                                }
                            }
                            span.muted {
                                (time_ago(&ctx, t.date()))
                                // A hidden release candidate's archives are missing too.
                                @if !hidden.contains(&t.name) {
                                    " · "
                                    a href=(format!("/{}/{}/archive/{}.tar.gz", repo.owner_name, repo.name, enc(&t.name))) { "tar.gz" }
                                    " · "
                                    a href=(format!("/{}/{}/archive/{}.zip", repo.owner_name, repo.name, enc(&t.name))) { "zip" }
                                }
                                @if released.contains(&t.name) {
                                    " · "
                                    a.tag-release href=(format!("/{}/{}/releases/tag/{}", repo.owner_name, repo.name, enc(&t.name))) { (ctx.t("release.tag_link")) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

// ---- archives ----

pub async fn archive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, file)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let (rev, format) = if let Some(r) = file.strip_suffix(".tar.gz") {
        (r.to_owned(), hatchery_git::ArchiveFormat::TarGz)
    } else if let Some(r) = file.strip_suffix(".zip") {
        (r.to_owned(), hatchery_git::ArchiveFormat::Zip)
    } else {
        return Err(WebError::NotFound);
    };
    // The source archive of a release candidate's tag is missing with the candidate to
    // those who may not see it (the tag itself stays visible through git).
    let view = crate::pages::issues::view_of(&state, &ctx, &owner, &name).await?;
    if state
        .forge
        .is_hidden_candidate_tag(&view, &rev)
        .await
        .map_err(|e| match e {
            hatchery_service::releases::ReleaseError::Service(s) => WebError::from(s),
            _ => WebError::NotFound,
        })?
    {
        return Err(WebError::NotFound);
    }
    let resolved = resolve(&git, &rev).await?;
    if !resolved.path.is_empty() {
        return Err(WebError::NotFound);
    }
    let safe_rev: String = resolved
        .rev_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let base = format!("{}-{}", repo.name, safe_rev);
    let (tx, channel) =
        http_body_util::channel::Channel::<axum::body::Bytes, std::io::Error>::new(4);
    let handle = tokio::runtime::Handle::current();
    let (g, prefix, commit) = (git.clone(), base.clone(), resolved.commit);
    let Ok(permit) = state.pack_permits.clone().acquire_owned().await else {
        return Err(WebError::internal("archive semaphore closed"));
    };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut out = crate::git_http::ChannelWriter::new(tx, handle);
        if let Err(e) = g.archive(commit, format, &prefix, &mut out) {
            tracing::info!(error = %e, "archive ended early");
        }
        let _ = std::io::Write::flush(&mut out);
    });
    let mut response = Response::new(Body::new(channel));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{base}.{}\"",
        format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
