//! History and changes: the commit log of a branch or path (`/commits/<rev>[/<path>]`),
//! one commit with its diff (`/commit/<id>`, plus `.patch` and `.diff` as plain text),
//! comparisons (`/compare/<base>...<head>`) and blame (`/blame/<rev>/<path>`).
//!
//! Every page opens the repository through [`crate::pages::code::open`] (a repository the visitor may
//! not read is a 404) and answers a missing ref, commit or path with a 404 page that says
//! what was not found. Rendered diffs and blames depend only on commit ids, so they are
//! cached in `state.caches.html` (weight-bounded) under keys naming those ids.

use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::pages::code::{
    MAX_SHOWN_BYTES, blocking, breadcrumbs, enc, open, resolve_opt as resolve, time_ago, url,
};
use crate::pages::repo::{RepoTab, repo_header};
use crate::state::AppState;
use crate::views::checks::{check_icon, check_list};
use crate::views::page;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_git::{
    Blame, ChangeKind, CommitSummary, Diff, DiffOptions, EntryKind, FileDiff, LineKind, Oid,
    Repository as Git, Resolved, RevKind,
};
use hatchery_render::HighlightLimits;
use hatchery_service::statuses::CombinedStatus;
use hatchery_store::Repo;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Commits per history page.
pub const PER_PAGE: usize = 50;
/// Page numbers above this are read as this (the walk simply runs out of commits).
const MAX_PAGE: u64 = 1_000_000;
/// Commits listed on a compare page.
pub const COMPARE_MAX_COMMITS: usize = 250;
/// Wall-clock budget for highlighting one diff; the rest stays plain.
const HIGHLIGHT_BUDGET: Duration = Duration::from_secs(2);
/// Stands for a relative time in cached HTML; filled in per request (escaped text can
/// never contain it: `<` is always escaped).
const AGE_MARK: &str = "<hatchery-age ";

fn repo_base(repo: &Repo) -> String {
    format!("/{}/{}", repo.owner_name, repo.name)
}

fn commit_url(repo: &Repo, id: &str) -> String {
    format!("{}/commit/{id}", repo_base(repo))
}

fn short(id: &Oid) -> String {
    id.to_hex()[..7].to_owned()
}

/// What determines cached HTML besides commit ids: the repository (its links) and the
/// language (its words).
fn cache_scope(ctx: &Ctx, repo: &Repo) -> String {
    format!("{}:{}:{}", repo.id, repo_base(repo), ctx.lang.tag())
}

/// User input as quoted back in messages: no control characters, at most 200 characters.
fn shown(input: &str) -> String {
    let clean: String = input.chars().filter(|c| !c.is_control()).collect();
    match clean.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &clean[..i]),
        None => clean,
    }
}

fn escape(text: &str) -> String {
    html! { (text) }.into_string()
}

/// A revision alone (branch, tag, full or abbreviated commit id), without a path.
async fn resolve_rev(git: &Git, rev: &str) -> WebResult<Option<Resolved>> {
    Ok(resolve(git, rev).await?.filter(|r| r.path.is_empty()))
}

/// A 404 that says what was not found, inside the repository's frame.
async fn not_found(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    tab: RepoTab,
    message: &str,
) -> WebResult<Response> {
    let header = repo_header(state, ctx, repo, tab).await?;
    let base = repo_base(repo);
    let body = html! {
        (header)
        div.card.not-found id="not-found" {
            h2 { (ctx.t("error.404.title")) }
            p id="not-found-message" { (message) }
            p {
                a href=(base) { (ctx.t("history.see_code")) }
                " · "
                a href=(format!("{base}/branches")) { (ctx.t("history.see_branches")) }
                " · "
                a href=(format!("{base}/tags")) { (ctx.t("history.see_tags")) }
            }
        }
    };
    Ok((
        StatusCode::NOT_FOUND,
        page(ctx, ctx.t("error.404.title"), body),
    )
        .into_response())
}

// ---- history ----

#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<String>,
}

/// `?page=N`, 1 when missing or not a number, at most [`MAX_PAGE`].
fn page_number(q: &PageQuery) -> u64 {
    let Some(raw) = q.page.as_deref().map(str::trim) else {
        return 1;
    };
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return 1;
    }
    raw.parse::<u64>().unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE)
}

fn page_url(here: &str, n: u64) -> String {
    if n <= 1 {
        here.to_owned()
    } else {
        format!("{here}?page={n}")
    }
}

/// Breadcrumbs whose parts lead to the history of each directory.
fn history_crumbs(repo: &Repo, rev: &str, path: &str) -> Markup {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    html! {
        nav.breadcrumbs aria-label="breadcrumbs" {
            a href=(url(repo, "commits", rev, "")) { (repo.name) }
            @for (i, part) in parts.iter().enumerate() {
                span.sep { "/" }
                @if i + 1 == parts.len() {
                    strong { (part) }
                } @else {
                    a href=(url(repo, "commits", rev, &parts[..=i].join("/"))) { (part) }
                }
            }
        }
    }
}

/// One commit in a list: summary (to the commit), author, age, short id, browse link.
pub(crate) fn commit_row(
    ctx: &Ctx,
    repo: &Repo,
    c: &CommitSummary,
    checks: &HashMap<String, CombinedStatus>,
) -> Markup {
    let hex = c.id.to_hex();
    let combined = checks.get(&hex);
    let href = commit_url(repo, &hex);
    html! {
        li.commit-row {
            div.commit-main {
                a.commit-summary href=(href) {
                    @if c.summary.trim().is_empty() { (ctx.t("commit.no_message")) } @else { (c.summary) }
                }
                @if let Some(combined) = combined { " " (check_icon(ctx, combined)) }
                div.muted.commit-by {
                    span.commit-author { (c.author_name) } " · " (time_ago(ctx, c.committer_time))
                }
            }
            div.commit-actions {
                a.sha-link href=(href) { code.sha { (c.short_id) } }
                a.btn.btn-small href=(url(repo, "tree", &hex, "")) title=(ctx.t("history.browse_title")) { (ctx.t("history.browse")) }
            }
        }
    }
}

async fn history_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    git: &Git,
    resolved: &Resolved,
    page_no: u64,
) -> WebResult<Response> {
    let skip = usize::try_from((page_no - 1).saturating_mul(PER_PAGE as u64)).unwrap_or(usize::MAX);
    let key = (repo.id, resolved.commit, resolved.path.clone(), skip);
    let walked = match state.caches.history.get(&key) {
        Some(hit) => hit,
        None => {
            let (g, commit, p) = (git.clone(), resolved.commit, resolved.path.clone());
            let walked = Arc::new(
                blocking(move || {
                    let path = (!p.is_empty()).then_some(p.as_str());
                    Ok(g.log(commit, path, skip, PER_PAGE + 1)?)
                })
                .await?,
            );
            state.caches.history.insert(key, walked.clone());
            walked
        }
    };
    let has_more = walked.len() > PER_PAGE;
    let list = &walked[..walked.len().min(PER_PAGE)];
    let ids: Vec<String> = list.iter().map(|c| c.id.to_hex()).collect();
    let checks = state.forge.combined_statuses(repo, &ids).await?;
    let header = repo_header(state, ctx, repo, RepoTab::Commits).await?;
    let picker = crate::pages::code::ref_picker(
        ctx,
        git,
        repo,
        &resolved.rev_name,
        "commits",
        &resolved.path,
    )
    .await?;
    let here = url(repo, "commits", &resolved.rev_name, &resolved.path);
    let no_history = list.is_empty() && page_no == 1;
    let heading = if resolved.path.is_empty() {
        ctx.t("history.title").to_owned()
    } else {
        ctx.tf("history.title_path", &[("path", &resolved.path)])
    };
    let body = html! {
        (header)
        div.code-bar {
            (picker)
            (history_crumbs(repo, &resolved.rev_name, &resolved.path))
        }
        h2.history-title { (heading) }
        @if no_history {
            div.empty id="no-history" {
                @if resolved.path.is_empty() { (ctx.t("history.no_commits")) } @else { (ctx.tf("history.no_history", &[("path", &resolved.path), ("rev", &resolved.rev_name)])) }
            }
        } @else if list.is_empty() {
            div.empty id="no-more" { (ctx.t("history.no_more")) " " a href=(here) { (ctx.t("history.first_page")) } }
        } @else {
            ul.list.commit-list id="commit-list" {
                @for c in list { (commit_row(ctx, repo, c, &checks)) }
            }
        }
        @if page_no > 1 || has_more {
            nav.pager id="pager" aria-label=(ctx.t("history.pages")) {
                @if page_no > 1 { a.btn.btn-small rel="prev" id="newer" href=(page_url(&here, page_no - 1)) { (ctx.t("history.newer")) } }
                span.muted { (ctx.tf("history.page", &[("n", &page_no.to_string())])) }
                @if has_more { a.btn.btn-small rel="next" id="older" href=(page_url(&here, page_no + 1)) { (ctx.t("history.older")) } }
            }
        }
    };
    let title = format!("{heading} · {}/{}", repo.owner_name, repo.name);
    // A path that never existed is a 404, with the empty state as its message.
    let status = if no_history && !resolved.path.is_empty() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok((status, page(ctx, &title, body)).into_response())
}

/// `/<owner>/<repo>/commits/<rev>[/<path>]`
pub async fn commits(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, rest)): Path<(String, String, String)>,
    Query(q): Query<PageQuery>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let Some(resolved) = resolve(&git, &rest).await? else {
        let g = git.clone();
        if blocking(move || Ok(g.is_empty()?)).await? {
            // The Commits tab of a repository nobody has pushed to yet.
            return Ok(empty_history(&state, &ctx, &repo).await?.into_response());
        }
        return not_found(
            &state,
            &ctx,
            &repo,
            RepoTab::Commits,
            &ctx.tf("history.no_ref", &[("rev", &shown(&rest))]),
        )
        .await;
    };
    history_page(&state, &ctx, &repo, &git, &resolved, page_number(&q)).await
}

/// `/<owner>/<repo>/commits`: the default branch's history.
pub async fn commits_default(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let g = git.clone();
    match blocking(move || Ok(g.default_branch_commit()?)).await? {
        Some(resolved) => history_page(&state, &ctx, &repo, &git, &resolved, page_number(&q)).await,
        None => Ok(empty_history(&state, &ctx, &repo).await?.into_response()),
    }
}

/// The history of a repository with no commits yet: an empty state, not a 404.
async fn empty_history(state: &AppState, ctx: &Ctx, repo: &Repo) -> WebResult<Markup> {
    let header = repo_header(state, ctx, repo, RepoTab::Commits).await?;
    Ok(page(
        ctx,
        &format!("{}/{}", repo.owner_name, repo.name),
        html! {
            (header)
            div.empty id="no-commits" {
                p { strong { (ctx.t("home.repos.no_commits")) } }
                p { a href=(repo_base(repo)) { (ctx.t("home.repos.how_to_push")) } }
            }
        },
    ))
}

// ---- diffs ----

/// What links in a rendered diff point at, and how it is laid out.
pub(crate) struct DiffLinks {
    pub(crate) repo: Repo,
    /// The revision of the new side (a commit id).
    pub(crate) new_rev: String,
    /// The revision of the old side, if any.
    pub(crate) old_rev: Option<String>,
    /// The untruncated diff and patch, when there are such views.
    pub(crate) full_diff: Option<String>,
    pub(crate) full_patch: Option<String>,
    /// Each file in a `<details>` that folds it away.
    pub(crate) collapsible: bool,
    /// Old and new side by side instead of one unified column.
    pub(crate) split: bool,
    /// Line comments (a pull request's files page): every line's number cell gets an id
    /// ([`line_anchor`]) and a link to this address (ending in `?` or `&`) with the line's
    /// `path`, `side` and `line` appended, which opens the comment form under it.
    pub(crate) comment_base: Option<String>,
}

/// The id of a diff line's number cell when a diff takes line comments: file `i`, side
/// (`L` old, `R` new) and line number. Threads and forms go in a row after its row.
pub(crate) fn line_anchor(i: usize, side: char, line: u32) -> String {
    format!("d{i}{side}{line}")
}

/// `ln` and the line's own class, in one attribute.
fn cell_class(class: &str) -> String {
    if class.is_empty() {
        "ln".to_owned()
    } else {
        format!("ln {class}")
    }
}

/// Where the comment links of a file's lines go: the base address, the file's index, its
/// old and its new path.
type LineComments<'a> = (&'a str, usize, &'a str, &'a str);

/// The number cell of one side of a diff line: with an id and a "comment here" link when
/// the diff takes line comments.
fn line_cell(
    lang: Lang,
    comments: Option<LineComments<'_>>,
    side: char,
    n: Option<u32>,
    class: &str,
) -> Markup {
    match (comments, n) {
        (Some((base, i, old_path, new_path)), Some(n)) => {
            let path = if side == 'L' { old_path } else { new_path };
            let anchor = line_anchor(i, side, n);
            let href = format!(
                "{base}path={}&side={}&line={n}#{anchor}",
                crate::pages::code::enc(path),
                if side == 'L' { "LEFT" } else { "RIGHT" }
            );
            html! {
                td class=(cell_class(class)) id=(anchor) {
                    a.line-comment href=(href) title=(lang.t("review.comment_line")) aria-label=(lang.t("review.comment_line")) { "+" }
                    (n)
                }
            }
        }
        (_, n) => html! { td class=(cell_class(class)) { @if let Some(n) = n { (n) } } },
    }
}

/// Highlights diff lines within what is left of the budget; plain escaped text after.
fn highlight(file_name: &str, lines: &[&str], deadline: Instant) -> Vec<String> {
    let now = Instant::now();
    if now >= deadline {
        return lines.iter().map(|l| escape(l)).collect();
    }
    let limits = HighlightLimits {
        max_duration: Some(deadline - now),
        ..HighlightLimits::default()
    };
    hatchery_render::highlight_diff_lines_with(file_name, lines, &limits)
}

fn change_label(lang: Lang, change: ChangeKind) -> String {
    match change {
        ChangeKind::Added => lang.t("commit.added").to_owned(),
        ChangeKind::Deleted => lang.t("commit.deleted").to_owned(),
        ChangeKind::Modified => lang.t("commit.modified").to_owned(),
        ChangeKind::Renamed { similarity } => {
            lang.tf("commit.renamed", &[("n", &similarity.to_string())])
        }
        ChangeKind::Copied { similarity } => {
            lang.tf("commit.copied", &[("n", &similarity.to_string())])
        }
        ChangeKind::TypeChanged => lang.t("commit.type_changed").to_owned(),
    }
}

fn change_class(change: ChangeKind) -> &'static str {
    match change {
        ChangeKind::Added => "diff-change change-added",
        ChangeKind::Deleted => "diff-change change-deleted",
        ChangeKind::Modified => "diff-change change-modified",
        ChangeKind::Renamed { .. } | ChangeKind::Copied { .. } => "diff-change change-renamed",
        ChangeKind::TypeChanged => "diff-change change-type",
    }
}

/// Why a text file shows no hunks.
fn no_hunks_reason(f: &FileDiff) -> &'static str {
    match f.change {
        ChangeKind::Renamed { .. } | ChangeKind::Copied { .. } => "commit.renamed_without_changes",
        ChangeKind::Added | ChangeKind::Deleted => "commit.empty_file",
        ChangeKind::TypeChanged => "commit.type_changed_note",
        ChangeKind::Modified if f.old_kind != f.new_kind => "commit.mode_changed",
        ChangeKind::Modified => "commit.no_content_change",
    }
}

fn full_links(lang: Lang, links: &DiffLinks) -> Markup {
    html! {
        @if let Some(u) = &links.full_diff { " " a.full-diff href=(u) { (lang.t("commit.full_diff")) } }
        @if let Some(u) = &links.full_patch { " · " a.full-patch href=(u) { (lang.t("commit.full_patch")) } }
    }
}

fn render_file(lang: Lang, i: usize, f: &FileDiff, links: &DiffLinks, deadline: Instant) -> Markup {
    let path = f.path();
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let texts: Vec<&str> = f
        .hunks
        .iter()
        .flat_map(|h| h.lines.iter().map(|l| l.text.as_str()))
        .collect();
    let highlighted = if texts.is_empty() {
        Vec::new()
    } else {
        highlight(file_name, &texts, deadline)
    };
    let is_submodule = |k: Option<EntryKind>| k == Some(EntryKind::Submodule);
    let view = match (f.change, &f.old_path, &f.new_path, &links.old_rev) {
        (ChangeKind::Deleted, Some(old), _, Some(rev)) if !is_submodule(f.old_kind) => {
            Some(url(&links.repo, "blob", rev, old))
        }
        (ChangeKind::Deleted, ..) => None,
        (_, _, Some(new), _) if !is_submodule(f.new_kind) => {
            Some(url(&links.repo, "blob", &links.new_rev, new))
        }
        _ => None,
    };
    let mode_change = match (f.old_kind, f.new_kind) {
        (Some(a), Some(b)) if a != b => Some(format!("{:06o} → {:06o}", a.mode(), b.mode())),
        _ => None,
    };
    let anchor = format!("diff-{i}");
    // A comment on an old line names the old path (a rename's), on a new line the new.
    let comments = links.comment_base.as_deref().map(|b| {
        (
            b,
            i,
            f.old_path.as_deref().unwrap_or(path),
            f.new_path.as_deref().unwrap_or(path),
        )
    });
    let head = html! {
                span class=(change_class(f.change)) { (change_label(lang, f.change)) }
                a.diff-path href=(format!("#{anchor}")) {
                    @match (&f.old_path, &f.new_path) {
                        (Some(old), Some(new)) if old != new => { (old) " → " (new) }
                        _ => { (path) }
                    }
                }
                @if let Some(m) = mode_change { span.muted.diff-mode { (m) } }
                @if !f.is_binary && !f.too_large {
                    span.diff-counts {
                        span.num-add title=(lang.t("commit.additions")) { "+" (f.additions) }
                        " "
                        span.num-del title=(lang.t("commit.deletions")) { "−" (f.deletions) }
                    }
                }
                span.spacer {}
                @if let Some(v) = view { a.btn.btn-small href=(v) { (lang.t("commit.view_file")) } }
    };
    let body = html! {
            @if f.is_binary {
                div.diff-note.diff-binary { (lang.t("commit.binary")) }
            } @else if f.too_large {
                div.diff-note.diff-too-large { (lang.t("commit.too_large")) (full_links(lang, links)) }
            } @else if f.hunks.is_empty() && f.truncated {
                div.diff-note.diff-file-truncated { (lang.t("commit.file_truncated")) (full_links(lang, links)) }
            } @else if f.hunks.is_empty() {
                div.diff-note { (lang.t(no_hunks_reason(f))) }
            } @else {
                div.diff-body {
                    @if links.split { (split_table(lang, f, &highlighted, comments)) }
                    @else { (unified_table(lang, f, &highlighted, comments)) }
                }
                @if f.truncated { div.diff-note.diff-file-truncated { (lang.t("commit.file_truncated")) (full_links(lang, links)) } }
            }
    };
    html! {
        section.diff-file id=(anchor) {
            @if links.collapsible {
                details.diff-fold open {
                    summary.diff-file-header { (head) }
                    (body)
                }
            } @else {
                div.diff-file-header { (head) }
                (body)
            }
        }
    }
}

fn unified_table(
    lang: Lang,
    f: &FileDiff,
    highlighted: &[String],
    comments: Option<LineComments<'_>>,
) -> Markup {
    let mut lines_html = highlighted.iter();
    html! {
        table.diff.hl-code {
            tbody {
                @for h in &f.hunks {
                    tr.diff-hunk { td.ln {} td.ln {} td.dc { (h.header()) } }
                    @for l in &h.lines {
                        @let class = match l.kind { LineKind::Add => "diff-add", LineKind::Del => "diff-del", LineKind::Context => "diff-ctx" };
                        @let text = lines_html.next().cloned().unwrap_or_else(|| escape(&l.text));
                        tr class=(class) {
                            // A deleted line is commented on the old side, others on the new.
                            @if l.kind == LineKind::Del {
                                (line_cell(lang, comments, 'L', l.old_line, ""))
                                td.ln {}
                            } @else {
                                td.ln { @if let Some(n) = l.old_line { (n) } }
                                (line_cell(lang, comments, 'R', l.new_line, ""))
                            }
                            td.dc { code { (PreEscaped(text)) } }
                        }
                        @if l.no_newline {
                            tr.diff-nonl { td.ln {} td.ln {} td.dc { (lang.t("commit.no_newline")) } }
                        }
                    }
                }
            }
        }
    }
}

/// One side of a split row: (line number, HTML, class).
type Side<'a> = Option<(Option<u32>, &'a str, &'static str)>;

/// The rows of a split diff: context on both sides, a run of deletions beside the run of
/// additions that follows it.
fn split_rows<'a>(
    f: &'a FileDiff,
    highlighted: &'a [String],
) -> Vec<Result<(Side<'a>, Side<'a>), String>> {
    let mut rows = Vec::new();
    let mut k = 0;
    for h in &f.hunks {
        rows.push(Err(h.header()));
        let lines = &h.lines;
        let text = |k: usize| highlighted.get(k).map_or("", String::as_str);
        let mut i = 0;
        while i < lines.len() {
            match lines[i].kind {
                LineKind::Context => {
                    let t = text(k);
                    rows.push(Ok((
                        Some((lines[i].old_line, t, "diff-ctx")),
                        Some((lines[i].new_line, t, "diff-ctx")),
                    )));
                    i += 1;
                    k += 1;
                }
                _ => {
                    let (del_start, mut j) = (i, i);
                    while j < lines.len() && lines[j].kind == LineKind::Del {
                        j += 1;
                    }
                    let add_start = j;
                    while j < lines.len() && lines[j].kind == LineKind::Add {
                        j += 1;
                    }
                    let (dels, adds) = (add_start - del_start, j - add_start);
                    for r in 0..dels.max(adds) {
                        let left = (r < dels)
                            .then(|| (lines[del_start + r].old_line, text(k + r), "diff-del"));
                        let right = (r < adds).then(|| {
                            (
                                lines[add_start + r].new_line,
                                text(k + dels + r),
                                "diff-add",
                            )
                        });
                        rows.push(Ok((left, right)));
                    }
                    k += j - i;
                    i = j;
                }
            }
        }
    }
    rows
}

fn split_table(
    lang: Lang,
    f: &FileDiff,
    highlighted: &[String],
    comments: Option<LineComments<'_>>,
) -> Markup {
    let escaped: Vec<String>;
    let highlighted = if highlighted.is_empty() {
        escaped = f
            .hunks
            .iter()
            .flat_map(|h| h.lines.iter().map(|l| escape(&l.text)))
            .collect();
        &escaped[..]
    } else {
        highlighted
    };
    html! {
        table.diff.diff-split.hl-code {
            tbody {
                @for row in split_rows(f, highlighted) {
                    @match row {
                        Err(header) => { tr.diff-hunk { td.ln {} td.dc colspan="3" { (header) } } }
                        Ok((left, right)) => {
                            tr {
                                @match left {
                                    // A context line is commented on its new side only.
                                    Some((n, t, class)) => { (line_cell(lang, comments.filter(|_| class != "diff-ctx"), 'L', n, class)) td.dc class=(class) { code { (PreEscaped(t)) } } }
                                    None => { td.ln.diff-empty {} td.dc.diff-empty {} }
                                }
                                @match right {
                                    Some((n, t, class)) => { (line_cell(lang, comments, 'R', n, class)) td.dc class=(class) { code { (PreEscaped(t)) } } }
                                    None => { td.ln.diff-empty {} td.dc.diff-empty {} }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The stats, the list of files and every file's diff, as HTML.
pub(crate) fn render_diff(lang: Lang, diff: &Diff, links: &DiffLinks) -> String {
    let deadline = Instant::now() + HIGHLIGHT_BUDGET;
    let left_out = diff.files.len() < diff.total_files;
    html! {
        div.diff-stats id="diff-stats" {
            strong { (lang.tf("commit.files_changed", &[("n", &diff.total_files.to_string())])) }
            " "
            span.num-add title=(lang.t("commit.additions")) { "+" (diff.additions) }
            " "
            span.num-del title=(lang.t("commit.deletions")) { "−" (diff.deletions) }
        }
        @if diff.truncated || left_out {
            div.notice id="diff-truncated" {
                (lang.t("commit.truncated"))
                @if left_out { " " (lang.tf("commit.showing_files", &[("shown", &diff.files.len().to_string()), ("total", &diff.total_files.to_string())])) }
                (full_links(lang, links))
            }
        }
        @if diff.total_files == 0 {
            div.empty id="no-changes" { (lang.t("commit.no_changes")) }
        } @else {
            details.diff-toc open[diff.files.len() <= 30] {
                summary { (lang.t("commit.files")) }
                ol {
                    @for (i, f) in diff.files.iter().enumerate() {
                        li {
                            a href=(format!("#diff-{i}")) { (f.path()) }
                            @if !f.is_binary && !f.too_large {
                                " " span.num-add { "+" (f.additions) } " " span.num-del { "−" (f.deletions) }
                            }
                        }
                    }
                }
            }
            @for (i, f) in diff.files.iter().enumerate() { (render_file(lang, i, f, links, deadline)) }
        }
    }
    .into_string()
}

// ---- commit ----

#[derive(Clone, Copy)]
enum PlainView {
    Patch,
    Diff,
}

/// A commit id (or any revision) alone: `None` if it names no commit.
async fn resolve_commit(git: &Git, id: &str) -> WebResult<Option<Resolved>> {
    if id.is_empty() || id.contains('/') {
        return Ok(None);
    }
    resolve_rev(git, id).await
}

/// The body of a commit message: everything after the summary line.
fn message_body(message: &str) -> &str {
    let trimmed = message.trim_start_matches(['\n', '\r', ' ', '\t']);
    match trimmed.split_once('\n') {
        Some((_, rest)) => rest.trim(),
        None => "",
    }
}

async fn plain_view(
    state: &AppState,
    git: &Git,
    resolved: &Resolved,
    id: &str,
    view: PlainView,
) -> WebResult<Response> {
    let permit = state
        .pack_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(WebError::internal)?;
    let (g, oid) = (git.clone(), resolved.commit);
    let bytes = blocking(move || {
        let _permit = permit;
        Ok(match view {
            PlainView::Patch => g.patch_bytes(oid)?,
            PlainView::Diff => g.diff_bytes(oid)?,
        })
    })
    .await?
    .ok_or(WebError::NotFound)?;
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    // Only a full commit id names the same thing forever.
    let immutable = resolved.kind == RevKind::Commit && id.len() == 40;
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=86400"
        } else {
            "no-cache"
        }),
    );
    Ok(response)
}

/// `/<owner>/<repo>/commit/<id>` and `<id>.patch`, `<id>.diff`.
pub async fn commit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let (rev, view) = if let Some(r) = id.strip_suffix(".patch") {
        (r, Some(PlainView::Patch))
    } else if let Some(r) = id.strip_suffix(".diff") {
        (r, Some(PlainView::Diff))
    } else {
        (id.as_str(), None)
    };
    let Some(resolved) = resolve_commit(&git, rev).await? else {
        return not_found(
            &state,
            &ctx,
            &repo,
            RepoTab::Commits,
            &ctx.tf("commit.not_found", &[("id", &shown(rev))]),
        )
        .await;
    };
    if let Some(view) = view {
        return plain_view(&state, &git, &resolved, rev, view).await;
    }
    let oid = resolved.commit;
    let g = git.clone();
    let detail = blocking(move || Ok(g.commit_detail(oid)?))
        .await?
        .ok_or(WebError::NotFound)?;
    let hex = oid.to_hex();
    let key = format!("diff:{hex}:{}", cache_scope(&ctx, &repo));
    let diff_html = match state.caches.html.get(&key) {
        Some(hit) => hit,
        None => {
            let links = DiffLinks {
                repo: repo.clone(),
                new_rev: hex.clone(),
                old_rev: detail.parents.first().map(Oid::to_hex),
                full_diff: Some(format!("{}.diff", commit_url(&repo, &hex))),
                full_patch: Some(format!("{}.patch", commit_url(&repo, &hex))),
                collapsible: false,
                split: false,
                comment_base: None,
            };
            let (g, lang) = (git.clone(), ctx.lang);
            let rendered = blocking(move || {
                let diff = g.diff_against_first_parent(oid, &DiffOptions::default())?;
                Ok(diff.map(|d| render_diff(lang, &d, &links)))
            })
            .await?
            .ok_or(WebError::NotFound)?;
            let value = Arc::new(vec![rendered]);
            state.caches.html.insert(key, value.clone());
            value
        }
    };
    let header = repo_header(&state, &ctx, &repo, RepoTab::Commits).await?;
    let checks = state.forge.combined_status(&repo, &hex).await?;
    let body_text = message_body(&detail.message);
    let summary = if detail.summary.trim().is_empty() {
        ctx.t("commit.no_message").to_owned()
    } else {
        detail.summary.clone()
    };
    let base = commit_url(&repo, &hex);
    let person =
        |p: &hatchery_git::Person| html! { strong { (p.name) } " " (time_ago(&ctx, p.time)) };
    let body = html! {
        (header)
        section.card.commit-head id="commit-head" {
            div.commit-head-top {
                h1.commit-title id="commit-summary" { (summary) }
                span.spacer {}
                a.btn.btn-small id="browse-files" href=(url(&repo, "tree", &hex, "")) { (ctx.t("commit.browse")) }
            }
            @if !body_text.is_empty() { pre.commit-message id="commit-message" { (body_text) } }
            dl.commit-meta {
                dt { (ctx.t("commit.author")) } dd id="commit-author" { (person(&detail.author)) }
                dt { (ctx.t("commit.committer")) } dd id="commit-committer" { (person(&detail.committer)) }
                dt { (ctx.t("commit.parents")) }
                dd id="commit-parents" {
                    @if detail.parents.is_empty() { span.muted { (ctx.t("commit.no_parents")) } }
                    @for (i, p) in detail.parents.iter().enumerate() {
                        @if i > 0 { " + " }
                        a href=(commit_url(&repo, &p.to_hex())) { code.sha { (short(p)) } }
                    }
                }
                dt { (ctx.t("commit.id")) } dd { code id="commit-id" { (hex) } }
            }
            div.commit-links {
                a href=(format!("{base}.patch")) id="patch-link" { (ctx.t("commit.patch")) }
                " · "
                a href=(format!("{base}.diff")) id="diff-link" { (ctx.t("commit.diff")) }
            }
        }
        @if !checks.statuses.is_empty() { (check_list(&ctx, &checks)) }
        @if detail.parents.len() > 1 { div.notice id="merge-note" { (ctx.t("commit.merge_note")) } }
        @if let Some(html) = diff_html.first() { (PreEscaped(html)) }
    };
    Ok(page(&ctx, &format!("{summary} · {}", short(&oid)), body).into_response())
}

// ---- compare ----

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    base: Option<String>,
    head: Option<String>,
}

fn compare_url(repo: &Repo, base: &str, head: &str) -> String {
    format!("{}/compare/{}...{}", repo_base(repo), enc(base), enc(head))
}

/// `/<owner>/<repo>/compare?base=..&head=..` (the compare form): to the compare page.
pub async fn compare_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<CompareQuery>,
) -> WebResult<Response> {
    let (repo, _git) = open(&state, &ctx, &owner, &name).await?;
    let pick = |v: Option<String>| {
        v.map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| repo.default_branch.clone())
    };
    let (base, head) = (pick(q.base), pick(q.head));
    Ok(Redirect::to(&compare_url(&repo, &base, &head)).into_response())
}

/// `/<owner>/<repo>/compare/<base>...<head>` (a lone `<head>` compares it with the default
/// branch).
pub async fn compare(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, spec)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let or_default = |s: &str| {
        if s.is_empty() {
            repo.default_branch.clone()
        } else {
            s.to_owned()
        }
    };
    let (base_name, head_name) = match spec.split_once("...") {
        Some((b, h)) => (
            or_default(b.trim_matches('/')),
            or_default(h.trim_matches('/')),
        ),
        None => (
            repo.default_branch.clone(),
            or_default(spec.trim_matches('/')),
        ),
    };
    let mut resolved = Vec::with_capacity(2);
    for rev in [&base_name, &head_name] {
        match resolve_rev(&git, rev).await? {
            Some(r) => resolved.push(r),
            None => {
                return not_found(
                    &state,
                    &ctx,
                    &repo,
                    RepoTab::Commits,
                    &ctx.tf("history.no_ref", &[("rev", &shown(rev))]),
                )
                .await;
            }
        }
    }
    let (base, head) = (resolved[0].commit, resolved[1].commit);
    let key = format!(
        "cmp:{}...{}:{}",
        base.to_hex(),
        head.to_hex(),
        cache_scope(&ctx, &repo)
    );
    let cached = state.caches.html.get(&key);
    // With the diff cached, only the commit list is needed: list no files.
    let options = if cached.is_some() {
        DiffOptions {
            max_files: 0,
            find_renames: false,
            ..DiffOptions::default()
        }
    } else {
        DiffOptions::default()
    };
    let links = DiffLinks {
        repo: repo.clone(),
        new_rev: head.to_hex(),
        old_rev: None,
        full_diff: None,
        full_patch: None,
        collapsible: false,
        split: false,
        comment_base: None,
    };
    let (g, lang, render) = (git.clone(), ctx.lang, cached.is_none());
    let Some((cmp, rendered)) = blocking(move || {
        let Some(cmp) = g.compare(base, head, COMPARE_MAX_COMMITS, &options)? else {
            return Ok(None);
        };
        let links = DiffLinks {
            old_rev: cmp.merge_base.map(|m| m.to_hex()),
            ..links
        };
        let rendered = render.then(|| render_diff(lang, &cmp.diff, &links));
        Ok(Some((cmp, rendered)))
    })
    .await?
    else {
        return Err(WebError::NotFound);
    };
    let diff_html = match (cached, rendered) {
        (Some(hit), _) => hit,
        (None, Some(r)) => {
            let value = Arc::new(vec![r]);
            state.caches.html.insert(key, value.clone());
            value
        }
        (None, None) => Arc::new(Vec::new()),
    };
    let g = git.clone();
    let (branches, tags) = blocking(move || Ok((g.branches()?, g.tags()?))).await?;
    let ids: Vec<String> = cmp.commits.iter().map(|c| c.id.to_hex()).collect();
    let checks = state.forge.combined_statuses(&repo, &ids).await?;
    let header = repo_header(&state, &ctx, &repo, RepoTab::Commits).await?;
    // Two different branches with commits to bring: offer to open a pull request.
    let facts = state.forge.repo_facts(ctx.actor(), &repo).await?;
    let may_open = ctx.user.is_some()
        && resolved[0].kind == RevKind::Branch
        && resolved[1].kind == RevKind::Branch
        && base_name != head_name
        && !cmp.commits.is_empty()
        && hatchery_core::authorize(
            ctx.actor(),
            hatchery_core::Action::OpenPull,
            hatchery_core::Resource::Repo(facts),
        )
        .is_allowed();
    let open_pull = may_open.then(|| {
        let names: Vec<String> = branches.iter().map(|b| b.name.clone()).collect();
        let title = cmp
            .commits
            .first()
            .filter(|_| cmp.commits.len() == 1)
            .map_or_else(|| head_name.clone(), |c| c.summary.clone());
        html! {
            details.card id="compare-open-pull" open {
                summary { strong { (ctx.t("prweb.new.compare_title")) } }
                (crate::pages::pulls::open_form(
                    &ctx,
                    &format!("{}/pulls/new", repo_base(&repo)),
                    &names,
                    &names,
                    &base_name,
                    &head_name,
                    &title,
                    "",
                    false,
                    &crate::form::FormErrors::default(),
                ))
            }
        }
    });
    let count = if cmp.commits_truncated {
        format!("{}+", cmp.commits.len())
    } else {
        cmp.commits.len().to_string()
    };
    let body = html! {
        (header)
        h2 { (ctx.t("compare.title")) }
        form.compare-form id="compare-form" method="get" action=(format!("{}/compare", repo_base(&repo))) {
            label { span.muted { (ctx.t("compare.base")) } " " input type="text" name="base" list="compare-refs" value=(base_name) required; }
            span.compare-dots aria-hidden="true" { "..." }
            label { span.muted { (ctx.t("compare.head")) } " " input type="text" name="head" list="compare-refs" value=(head_name) required; }
            button.btn.btn-small type="submit" { (ctx.t("compare.submit")) }
            a.btn.btn-small id="compare-swap" href=(compare_url(&repo, &head_name, &base_name)) { (ctx.t("compare.swap")) }
            datalist id="compare-refs" {
                @for b in branches.iter().take(200) { option value=(b.name) {} }
                @for t in tags.iter().take(200) { option value=(t.name) {} }
            }
        }
        p.muted { (ctx.t("compare.hint")) }
        @if cmp.merge_base.is_none() {
            div.notice id="compare-unrelated" { (ctx.tf("compare.unrelated", &[("base", &base_name), ("head", &head_name)])) }
        }
        @if cmp.commits.is_empty() {
            div.empty id="compare-nothing" { (ctx.tf("compare.nothing", &[("base", &base_name), ("head", &head_name)])) }
        } @else {
            @if let Some(form) = open_pull { (form) }
            h3 id="compare-count" { (ctx.tf("compare.commits", &[("n", &count)])) }
            ul.list.commit-list id="compare-commits" {
                @for c in &cmp.commits { (commit_row(&ctx, &repo, c, &checks)) }
            }
            @if cmp.commits_truncated {
                p.muted id="compare-commits-truncated" { (ctx.tf("compare.commits_truncated", &[("n", &cmp.commits.len().to_string())])) }
            }
            @if let Some(html) = diff_html.first() { (PreEscaped(html)) }
        }
    };
    Ok(page(
        &ctx,
        &format!(
            "{} · {base_name}...{head_name} · {}/{}",
            ctx.t("compare.title"),
            repo.owner_name,
            repo.name
        ),
        body,
    )
    .into_response())
}

// ---- blame ----

/// Replaces the age marks of cached HTML with relative times in the visitor's language.
fn fill_ages(ctx: &Ctx, template: &str) -> String {
    fill_marks(template, |secs| time_ago(ctx, secs).into_string())
}

fn fill_marks(template: &str, age: impl Fn(i64) -> String) -> String {
    let mut out = String::with_capacity(template.len() + template.len() / 8);
    let mut rest = template;
    while let Some(i) = rest.find(AGE_MARK) {
        out.push_str(&rest[..i]);
        let after = &rest[i + AGE_MARK.len()..];
        let end = after.find('>').unwrap_or(after.len());
        out.push_str(&age(after[..end].parse::<i64>().unwrap_or(0)));
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The blame table, with [`AGE_MARK`]s for the ages.
fn render_blame(lang: Lang, repo: &Repo, blame: &Blame, lines: &[String]) -> String {
    let line_html = |n: usize| -> String {
        match lines.get(n - 1) {
            Some(l) => l.clone(),
            None => escape(blame.lines.get(n - 1).map_or("", String::as_str)),
        }
    };
    html! {
        div.code-view.blame-view.hl-code {
            table.lines.blame id="blame" {
                tbody {
                    @for (hi, h) in blame.hunks.iter().enumerate() {
                        @let start = h.start_line.max(1) as usize;
                        @let end = (start + h.len as usize).min(blame.lines.len() + 1);
                        @for n in start..end {
                            tr class=[(n == start).then_some("blame-start")] id=(format!("L{n}")) data-hunk=(hi) {
                                @if n == start {
                                    td.blame-info rowspan=(end - start) {
                                        a.blame-summary href=(commit_url(repo, &h.commit.id.to_hex())) title=(h.commit.summary) {
                                            @if h.commit.summary.trim().is_empty() { (lang.t("commit.no_message")) } @else { (h.commit.summary) }
                                        }
                                        div.muted.blame-meta {
                                            span.blame-author { (h.commit.author_name) }
                                            " · "
                                            (PreEscaped(format!("{AGE_MARK}{}>", h.commit.author_time)))
                                            " · "
                                            a.sha-link href=(commit_url(repo, &h.commit.id.to_hex())) { code.sha { (h.commit.short_id) } }
                                        }
                                        @if let Some(p) = &h.orig_path { div.muted.blame-orig { (lang.tf("blame.renamed_from", &[("path", p)])) } }
                                    }
                                }
                                td.ln { a href=(format!("#L{n}")) data-line=(n) { (n) } }
                                td.lc { code { (PreEscaped(line_html(n))) } }
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

/// `/<owner>/<repo>/blame/<rev>/<path>`
pub async fn blame(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, rest)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (repo, git) = open(&state, &ctx, &owner, &name).await?;
    let Some(resolved) = resolve(&git, &rest).await? else {
        let g = git.clone();
        if blocking(move || Ok(g.is_empty()?)).await? {
            // The Commits tab of a repository nobody has pushed to yet.
            return Ok(empty_history(&state, &ctx, &repo).await?.into_response());
        }
        return not_found(
            &state,
            &ctx,
            &repo,
            RepoTab::Code,
            &ctx.tf("history.no_ref", &[("rev", &shown(&rest))]),
        )
        .await;
    };
    if resolved.path.is_empty() {
        return Ok(Redirect::to(&url(&repo, "tree", &resolved.rev_name, "")).into_response());
    }
    let (g, commit, p) = (git.clone(), resolved.commit, resolved.path.clone());
    let Some(blob) = blocking(move || Ok(g.blob(commit, &p, MAX_SHOWN_BYTES)?)).await? else {
        let (g, p) = (git.clone(), resolved.path.clone());
        if blocking(move || Ok(g.tree(commit, &p)?)).await?.is_some() {
            return Ok(
                Redirect::to(&url(&repo, "tree", &resolved.rev_name, &resolved.path))
                    .into_response(),
            );
        }
        let message = ctx.tf(
            "blame.not_found",
            &[
                ("path", &shown(&resolved.path)),
                ("rev", &resolved.rev_name),
            ],
        );
        return not_found(&state, &ctx, &repo, RepoTab::Code, &message).await;
    };
    let file_name = resolved.path.rsplit('/').next().unwrap_or("").to_owned();
    let raw = url(&repo, "raw", &resolved.rev_name, &resolved.path);
    let content = if blob.is_binary {
        html! { div.empty id="binary-notice" { (ctx.t("blame.binary")) " " a href=(raw) { (ctx.t("code.download")) } } }
    } else if blob.truncated {
        html! { div.empty id="too-large-notice" { (ctx.t("blame.too_large")) " " a href=(raw) { (ctx.t("code.download")) } } }
    } else if blob.data.is_empty() {
        html! { div.empty id="empty-file" { (ctx.t("blame.empty")) } }
    } else {
        let key = format!(
            "blame:{}:{}:{}",
            commit.to_hex(),
            cache_scope(&ctx, &repo),
            resolved.path
        );
        let template = match state.caches.html.get(&key) {
            Some(hit) => hit,
            None => {
                let text = String::from_utf8_lossy(&blob.data).into_owned();
                let lines =
                    crate::pages::code::highlighted(&state, &file_name, blob.oid, text).await?;
                let (g, p, lang, r) = (git.clone(), resolved.path.clone(), ctx.lang, repo.clone());
                let rendered = blocking(move || {
                    Ok(g.blame(commit, &p)?
                        .map(|b| render_blame(lang, &r, &b, &lines)))
                })
                .await?
                .ok_or(WebError::NotFound)?;
                let value = Arc::new(vec![rendered]);
                state.caches.html.insert(key, value.clone());
                value
            }
        };
        html! { @if let Some(t) = template.first() { (PreEscaped(fill_ages(&ctx, t))) } }
    };
    let header = repo_header(&state, &ctx, &repo, RepoTab::Code).await?;
    let picker = crate::pages::code::ref_picker(
        &ctx,
        &git,
        &repo,
        &resolved.rev_name,
        "blame",
        &resolved.path,
    )
    .await?;
    let body = html! {
        (header)
        div.code-bar {
            (picker)
            (breadcrumbs(&repo, &resolved.rev_name, &resolved.path))
        }
        div.file-bar {
            span.muted id="file-meta" {
                (ctx.t("code.blame"))
                @if let Some(lang) = hatchery_render::language_name(&file_name) { " · " (lang) }
            }
            span.spacer {}
            a.btn.btn-small href=(url(&repo, "blob", &resolved.rev_name, &resolved.path)) id="view-link" { (ctx.t("blame.view_file")) }
            a.btn.btn-small href=(raw) id="raw-link" { (ctx.t("code.raw")) }
            a.btn.btn-small href=(url(&repo, "commits", &resolved.rev_name, &resolved.path)) id="history-link" { (ctx.t("code.history")) }
        }
        (content)
    };
    Ok(page(
        &ctx,
        &format!(
            "{} · {} · {}/{}",
            ctx.t("code.blame"),
            resolved.path,
            repo.owner_name,
            repo.name
        ),
        body,
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers() {
        let q = |s: &str| PageQuery {
            page: Some(s.to_owned()),
        };
        assert_eq!(page_number(&PageQuery::default()), 1);
        assert_eq!(page_number(&q("3")), 3);
        assert_eq!(page_number(&q("0")), 1);
        assert_eq!(page_number(&q("-2")), 1);
        assert_eq!(page_number(&q("abc")), 1);
        assert_eq!(page_number(&q("99999999999999999999999999")), MAX_PAGE);
    }

    #[test]
    fn message_bodies() {
        assert_eq!(message_body("one line\n"), "");
        assert_eq!(message_body("\nsummary\n\nbody\nmore\n\n"), "body\nmore");
    }

    #[test]
    fn ages_are_filled_in() {
        let f = |s: i64| format!("[{s}]");
        assert_eq!(
            fill_marks("a <hatchery-age 5> b <hatchery-age 7>", f),
            "a [5] b [7]"
        );
        assert_eq!(
            fill_marks("x &lt;hatchery-age 5&gt;", f),
            "x &lt;hatchery-age 5&gt;"
        );
        assert_eq!(fill_marks("cut <hatchery-age 5", f), "cut [5]");
    }

    #[test]
    fn quoted_input_is_clean_and_short() {
        assert_eq!(shown("main\0\n/x"), "main/x");
        let long = shown(&"a".repeat(500));
        assert_eq!(long.chars().count(), 201);
        assert!(long.ends_with('…'));
        assert_eq!(shown(&"é".repeat(300)).chars().count(), 201);
    }

    fn file(change: ChangeKind, hunks: bool, truncated: bool) -> FileDiff {
        FileDiff {
            change,
            old_path: Some("a.txt".into()),
            new_path: Some("b.txt".into()),
            old_oid: None,
            new_oid: None,
            old_kind: Some(EntryKind::File),
            new_kind: Some(EntryKind::File),
            is_binary: false,
            too_large: false,
            additions: 0,
            deletions: 0,
            hunks: if hunks {
                vec![hatchery_git::Hunk {
                    old_start: 1,
                    old_lines: 1,
                    new_start: 1,
                    new_lines: 1,
                    function: None,
                    lines: vec![hatchery_git::DiffLine {
                        kind: LineKind::Add,
                        old_line: None,
                        new_line: Some(1),
                        text: "<x>".into(),
                        no_newline: true,
                    }],
                }]
            } else {
                vec![]
            },
            truncated,
        }
    }

    #[test]
    fn file_diffs_say_why_they_show_no_lines() {
        let repo = Repo {
            id: 1,
            owner_id: 1,
            owner_name: "o".into(),
            owner_is_org: false,
            name: "r".into(),
            description: String::new(),
            is_private: false,
            default_branch: "main".into(),
            read_only: false,
            created_at: 0,
            updated_at: 0,
            pushed_at: None,
            fork_id: None,
        };
        let links = DiffLinks {
            repo,
            new_rev: "n".into(),
            old_rev: Some("o".into()),
            full_diff: Some("/o/r/commit/n.diff".into()),
            full_patch: None,
            collapsible: false,
            split: false,
            comment_base: None,
        };
        let render = |f: &FileDiff| {
            render_file(Lang::En, 0, f, &links, Instant::now() + HIGHLIGHT_BUDGET).into_string()
        };
        // Hunks dropped by the diff-wide line budget: cut short, with the link.
        let cut = render(&file(ChangeKind::Modified, false, true));
        assert!(
            cut.contains("diff-file-truncated") && cut.contains("/o/r/commit/n.diff"),
            "{cut}"
        );
        let renamed = render(&file(ChangeKind::Renamed { similarity: 100 }, false, false));
        assert!(
            renamed.contains("a.txt → b.txt") && renamed.contains("renamed (100% similar)"),
            "{renamed}"
        );
        assert!(renamed.contains(Lang::En.t("commit.renamed_without_changes")));
        let mut binary = file(ChangeKind::Modified, false, false);
        binary.is_binary = true;
        assert!(render(&binary).contains(Lang::En.t("commit.binary")));
        let mut mode = file(ChangeKind::Modified, false, false);
        mode.new_kind = Some(EntryKind::Executable);
        let mode = render(&mode);
        assert!(
            mode.contains("100644 → 100755") && mode.contains(Lang::En.t("commit.mode_changed")),
            "{mode}"
        );
        let lines = render(&file(ChangeKind::Modified, true, false));
        assert!(
            lines.contains("&lt;x&gt;") && lines.contains("diff-nonl"),
            "{lines}"
        );
        assert!(lines.contains("href=\"/o/r/blob/n/b.txt\""), "{lines}");
        let deleted = render(&file(ChangeKind::Deleted, false, false));
        assert!(deleted.contains("href=\"/o/r/blob/o/a.txt\""), "{deleted}");
    }
}
