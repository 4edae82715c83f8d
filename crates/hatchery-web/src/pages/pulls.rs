//! Pull-request pages: the list (the issue list with `is_pull`), opening a request (from
//! `/pulls/new` or the compare page), the conversation (the issue page with the request's
//! branches, tabs and merge box), its commits and changed files, the `.diff` / `.patch`
//! views, the merge and draft forms. A request is an issue: comments, labels, assignees
//! and closing post to the issue routes of the same number, which come back here.
//! Every change goes through `hatchery_service::pulls`, which applies the policy.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_core::Action;
use hatchery_core::protection::Unmet;
use hatchery_core::pulls::{KindFilter, MergeSettings, MergeStyle};
use hatchery_core::{Resource, authorize};
use hatchery_git::{DiffOptions, Oid};
use hatchery_service::issues::{IssueError, RepoView};
use hatchery_service::pulls::{
    MergeInput, MergeStatus, PullComparison, PullError, PullInput, PullMergeability,
};
use hatchery_store::{Issue, PullRequest};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use std::sync::Arc;

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{self, Field, Form, FormErrors, Input, csrf_input};
use crate::pages::code::{blocking, enc};
use crate::pages::history::{DiffLinks, commit_row, render_diff};
use crate::pages::issues::{ListQuery, PullParts, issue_page, list_page, refused, view_of};
use crate::pages::repo::{RepoTab, repo_header};
use crate::pages::review::{Back, LineDraft, ReviewDraft, conversation_review, files_review};
use crate::state::AppState;
use crate::views::page;

fn pulls_url(view: &RepoView) -> String {
    format!("/{}/{}/pulls", view.repo.owner_name, view.repo.name)
}

fn pull_url(view: &RepoView, number: i64) -> String {
    format!("{}/{number}", pulls_url(view))
}

/// Open, draft, merged or closed, as a coloured badge.
pub fn pull_badge(ctx: &Ctx, issue: &Issue, pull: &PullRequest) -> Markup {
    html! {
        @if pull.merged.is_some() {
            span.state.state-merged { (ctx.t("prweb.state.merged")) }
        } @else if issue.is_closed {
            span.state.state-closed { (ctx.t("prweb.state.closed")) }
        } @else if pull.is_draft {
            span.state.state-draft { (ctx.t("prweb.state.draft")) }
        } @else {
            span.state.state-open { (ctx.t("prweb.state.open")) }
        }
    }
}

pub(crate) fn pull_refused(e: PullError, path: &str) -> WebError {
    match e {
        PullError::Issue(e) => refused(&e, path),
        PullError::NotFound => WebError::NotFound,
        _ => WebError::BadRequest("error.400.form"),
    }
}

// ---- list ----

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    list_page(&state, &ctx, &view, &q, KindFilter::Pulls).await
}

// ---- opening ----

#[derive(Deserialize, Default, Clone)]
pub struct NewQuery {
    #[serde(default)]
    base: String,
    #[serde(default)]
    head: String,
}

#[derive(Default)]
struct NewForm {
    base: String,
    head: String,
    title: String,
    body: String,
    draft: bool,
}

/// The "open a pull request" fields, for `/pulls/new` and the compare page.
#[allow(clippy::too_many_arguments)]
pub(crate) fn open_form(
    ctx: &Ctx,
    action: &str,
    branches: &[String],
    heads: &[String],
    base: &str,
    head: &str,
    title: &str,
    body: &str,
    draft: bool,
    errors: &FormErrors,
) -> Markup {
    let branch_select = |name: &'static str, label: &'static str, chosen: &str| {
        // The head may also be a fork's branch (`owner:branch`).
        let choices = if name == "head" { heads } else { branches };
        html! {
            label.field {
                span { (ctx.t(label)) }
                select name=(name) id=(format!("f-{name}")) {
                    @for b in choices {
                        option value=(b) selected[b == chosen] { (b) }
                    }
                }
                @if let Some(m) = errors.message(ctx, name) { p.field-error role="alert" { (m) } }
            }
        }
    };
    html! {
        form.stack method="post" action=(action) id="pull-new-form" novalidate {
            (csrf_input(ctx))
            @if let Some(m) = errors.message(ctx, "pull") {
                div.notice.notice-error role="alert" id="pull-new-error" { (m) }
            }
            div.compare-form {
                (branch_select("base", "prweb.new.base", base))
                span.compare-dots aria-hidden="true" { "←" }
                (branch_select("head", "prweb.new.head", head))
            }
            (Field::new("title", ctx.t("issue.field.title"), title).required().render(ctx, errors))
            (Field::new("body", ctx.t("issue.field.body"), body).input(Input::TextArea).hint(ctx.t("issue.hint.markdown")).render(ctx, errors))
            (Field::new("draft", ctx.t("prweb.new.draft"), if draft { "on" } else { "" }).input(Input::Checkbox).hint(ctx.t("prweb.new.draft_hint")).render(ctx, errors))
            div { button.btn.btn-primary type="submit" id="pull-submit" { (ctx.t("prweb.new.submit")) } }
        }
    }
}

async fn branch_names(state: &AppState, view: &RepoView) -> WebResult<Vec<String>> {
    let (st, repo) = (state.clone(), view.repo.clone());
    blocking(move || {
        let git = st.forge.open_git_blocking(&repo)?;
        Ok(git.branches()?.into_iter().map(|b| b.name).collect())
    })
    .await
}

fn may_open(ctx: &Ctx, view: &RepoView) -> Result<(), WebError> {
    match authorize(ctx.actor(), Action::OpenPull, Resource::Repo(view.facts)) {
        hatchery_core::Decision::Allow => Ok(()),
        hatchery_core::Decision::Deny(d) => Err(WebError::from_denial(d, &ctx.path)),
    }
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    form: &NewForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, &view.repo, RepoTab::Pulls).await?;
    let branches = branch_names(state, view).await?;
    // The head may be a branch of a readable fork (or of the parent): `owner:branch`.
    let heads = state
        .forge
        .pull_head_choices(ctx.actor(), &view.repo)
        .await?;
    let base = if form.base.is_empty() {
        view.repo.default_branch.clone()
    } else {
        form.base.clone()
    };
    let head = if form.head.is_empty() {
        heads
            .iter()
            .find(|b| **b != base)
            .cloned()
            .unwrap_or_default()
    } else {
        form.head.clone()
    };
    let compare = format!(
        "/{}/{}/compare/{}...{}",
        view.repo.owner_name,
        view.repo.name,
        enc(&base),
        enc(&head)
    );
    Ok(page(
        ctx,
        ctx.t("prweb.new.title"),
        html! {
            (header)
            h2 { (ctx.t("prweb.new.title")) }
            p.muted {
                (ctx.t("prweb.new.hint"))
                // The compare page shows this repository's branches only.
                @if !head.contains(':') { " " a href=(compare) id="pull-compare-link" { (ctx.t("prweb.new.see_changes")) } }
            }
            @if heads.len() < 2 {
                div.empty id="pull-no-branches" { (ctx.t("prweb.new.no_branches")) }
            } @else {
                (open_form(ctx, &format!("{}/new", pulls_url(view)), &branches, &heads, &base, &head, &form.title, &form.body, form.draft, errors))
            }
        },
    ))
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<NewQuery>,
) -> WebResult<Markup> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    may_open(&ctx, &view)?;
    let form = NewForm {
        base: q.base,
        head: q.head,
        ..NewForm::default()
    };
    new_page(&state, &ctx, &view, &form, &FormErrors::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    may_open(&ctx, &view)?;
    let form = NewForm {
        base: form::value(&pairs, "base").trim().to_owned(),
        head: form::value(&pairs, "head").trim().to_owned(),
        title: form::value(&pairs, "title").to_owned(),
        body: form::value(&pairs, "body").to_owned(),
        draft: form::value(&pairs, "draft") == "on",
    };
    let input = PullInput {
        title: form.title.clone(),
        body: form.body.clone(),
        base: form.base.clone(),
        head: form.head.clone(),
        draft: form.draft,
        ..PullInput::default()
    };
    match Box::pin(state.forge.open_pull(&view, input)).await {
        Ok((issue, _)) => Ok(Redirect::to(&pull_url(&view, issue.number)).into_response()),
        Err(e) => {
            let mut errors = FormErrors::default();
            let status = match &e {
                PullError::NoBranch("base") => {
                    errors.add("base", "prweb.error.no_base");
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                PullError::NoBranch(_) => {
                    errors.add("head", "prweb.error.no_head");
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                PullError::SameBranch => {
                    errors.add("pull", "prweb.error.same_branch");
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                PullError::NoChanges => {
                    errors.add("pull", "prweb.error.no_changes");
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                PullError::Exists => {
                    errors.add("pull", "prweb.error.exists");
                    StatusCode::CONFLICT
                }
                PullError::Issue(IssueError::Field { field, error }) => {
                    errors.field(field, error);
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                _ => return Err(pull_refused(e, &ctx.path)),
            };
            Ok((status, new_page(&state, &ctx, &view, &form, &errors).await?).into_response())
        }
    }
}

// ---- one request ----

async fn load(
    state: &AppState,
    ctx: &Ctx,
    owner: &str,
    name: &str,
    number: &str,
) -> WebResult<(RepoView, Issue, PullRequest)> {
    let view = view_of(state, ctx, owner, name).await?;
    let number: i64 = number.parse().map_err(|_| WebError::NotFound)?;
    let (issue, pull) = state
        .forge
        .pull(&view, number)
        .await
        .map_err(|e| pull_refused(e, &ctx.path))?;
    Ok((view, issue, pull))
}

/// The commits and changed files of a request; only counted when `options.max_files` is 0.
async fn comparison(
    state: &AppState,
    view: &RepoView,
    issue: &Issue,
    pull: &PullRequest,
    options: DiffOptions,
) -> WebResult<Option<PullComparison>> {
    state
        .forge
        .pull_comparison(view, issue, pull, options)
        .await
        .map_err(|e| pull_refused(e, ""))
}

fn counting() -> DiffOptions {
    DiffOptions {
        max_files: 0,
        find_renames: false,
        ..DiffOptions::default()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PullTab {
    Conversation,
    Commits,
    Files,
}

/// Branches and the Conversation / Commits / Files changed tabs.
fn subhead(
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    pull: &PullRequest,
    head_label: &str,
    cmp: Option<&PullComparison>,
    active: PullTab,
) -> Markup {
    let url = pull_url(view, issue.number);
    let (commits, files) = match cmp {
        Some(c) => (
            if c.comparison.commits_truncated {
                format!("{}+", c.comparison.commits.len())
            } else {
                c.comparison.commits.len().to_string()
            },
            c.comparison.diff.total_files.to_string(),
        ),
        None => ("0".to_owned(), "0".to_owned()),
    };
    let branch = |b: &str| {
        html! { a.branch href=(format!("/{}/{}/tree/{}", view.repo.owner_name, view.repo.name, enc(b))) { code { (b) } } }
    };
    html! {
        p.pull-branches id="pull-branches" {
            (ctx.t("prweb.wants_merge")) " "
            // A fork's branch is not in this repository: named, not linked (the fork may
            // be private).
            @if pull.head_repo_id == Some(view.repo.id) { (branch(&pull.head_branch)) }
            @else { code.branch id="pull-head-label" { (head_label) } }
            " → " (branch(&pull.base_branch))
        }
        nav.tabs.pull-tabs id="pull-tabs" {
            a.active[active == PullTab::Conversation] href=(url) id="tab-conversation" { (ctx.t("prweb.tab.conversation")) }
            a.active[active == PullTab::Commits] href=(format!("{url}/commits")) id="tab-commits" { (ctx.tf("prweb.tab.commits", &[("n", &commits)])) }
            a.active[active == PullTab::Files] href=(format!("{url}/files")) id="tab-files" { (ctx.tf("prweb.tab.files", &[("n", &files)])) }
        }
    }
}

/// The title line of the commits and files pages.
fn title_line(ctx: &Ctx, issue: &Issue, pull: &PullRequest) -> Markup {
    html! {
        div.issue-head {
            h2.issue-heading {
                span id="issue-title" { (issue.title) } " "
                span.muted { "#" (issue.number) }
            }
            div.issue-meta { (pull_badge(ctx, issue, pull)) }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    quote: String,
}

/// `/{owner}/{repo}/pulls/{n}` (the conversation), `{n}.diff` and `{n}.patch`.
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Query(q): Query<ShowQuery>,
) -> WebResult<Response> {
    if let Some(n) = number.strip_suffix(".diff") {
        return plain(&state, &ctx, &owner, &name, n, false).await;
    }
    if let Some(n) = number.strip_suffix(".patch") {
        return plain(&state, &ctx, &owner, &name, n, true).await;
    }
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let n: i64 = number.parse().map_err(|_| WebError::NotFound)?;
    // A plain issue's number leads to the issue.
    if let Some(issue) = state.store.issue_by_number(view.repo.id, n).await?
        && !issue.is_pull
    {
        return Ok(Redirect::to(&format!(
            "/{}/{}/issues/{n}",
            view.repo.owner_name, view.repo.name
        ))
        .into_response());
    }
    let (issue, _) = state
        .forge
        .pull(&view, n)
        .await
        .map_err(|e| pull_refused(e, &ctx.path))?;
    Ok(conversation(
        &state,
        &ctx,
        &view,
        &issue,
        &q.quote,
        "",
        &FormErrors::default(),
        None,
    )
    .await?
    .into_response())
}

async fn plain(
    state: &AppState,
    ctx: &Ctx,
    owner: &str,
    name: &str,
    number: &str,
    patch: bool,
) -> WebResult<Response> {
    let (view, issue, pull) = load(state, ctx, owner, name, number).await?;
    let bytes = state
        .forge
        .pull_patch(&view, &issue, &pull, patch)
        .await
        .map_err(|e| pull_refused(e, &ctx.path))?
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
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The conversation page of a request; `notice` is a merge refusal to show in the box.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn conversation(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    quote: &str,
    draft: &str,
    errors: &FormErrors,
    notice: Option<Markup>,
) -> WebResult<Markup> {
    let (_, pull) = state
        .forge
        .pull(view, issue.number)
        .await
        .map_err(|e| pull_refused(e, &ctx.path))?;
    let cmp = comparison(state, view, issue, &pull, counting()).await?;
    let status = state
        .forge
        .pull_merge_status(view, issue, &pull)
        .await
        .map_err(|e| pull_refused(e, &ctx.path))?;
    let review = conversation_review(state, ctx, view, issue).await?;
    let parts = PullParts {
        badge: pull_badge(ctx, issue, &pull),
        subhead: subhead(
            ctx,
            view,
            issue,
            &pull,
            &state.forge.pull_head_label(&view.repo, &pull).await?,
            cmp.as_ref(),
            PullTab::Conversation,
        ),
        merge_box: merge_box(ctx, view, issue, &pull, status.as_ref(), notice),
        timeline: review.timeline,
        sidebar: review.sidebar,
    };
    issue_page(state, ctx, view, issue, quote, draft, errors, Some(&parts)).await
}

fn style_label(ctx: &Ctx, s: MergeStyle) -> &'static str {
    ctx.t(match s {
        MergeStyle::Merge => "prweb.style.merge",
        MergeStyle::Squash => "prweb.style.squash",
        MergeStyle::Rebase => "prweb.style.rebase",
        MergeStyle::FastForwardOnly => "prweb.style.fast_forward_only",
    })
}

fn unmet_line(ctx: &Ctx, u: &Unmet) -> String {
    match u {
        Unmet::Approvals { required, have } => ctx.tf(
            u.key(),
            &[
                ("have", &have.to_string()),
                ("required", &required.to_string()),
            ],
        ),
        Unmet::StatusCheck { context, .. } => ctx.tf(u.key(), &[("context", context)]),
        Unmet::MissingSignoff { commit } => {
            ctx.tf(u.key(), &[("commit", commit.get(..10).unwrap_or(commit))])
        }
        _ => ctx.t(u.key()).to_owned(),
    }
}

fn merge_box(
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    pull: &PullRequest,
    status: Option<&MergeStatus>,
    notice: Option<Markup>,
) -> Markup {
    let url = pull_url(view, issue.number);
    let may_edit = view.may_issue(Action::Edit, issue);
    html! {
        section.card.merge-box id="merge-box" {
            @if let Some(n) = notice { (n) }
            @if let Some(m) = &pull.merged {
                p id="merge-merged" {
                    strong { (ctx.t("prweb.merge.merged")) } " "
                    @if let Some(by) = &m.by { (crate::views::person_link(ctx, Some(by))) " " }
                    (ctx.t("prweb.merge.merged_commit")) " "
                    a.commit-id id="merge-commit" href=(format!("/{}/{}/commit/{}", view.repo.owner_name, view.repo.name, m.commit)) {
                        code { (m.commit.get(..10).unwrap_or(&m.commit)) }
                    }
                }
            } @else if issue.is_closed {
                p id="merge-closed" { (ctx.t("prweb.merge.closed")) }
            } @else if let Some(st) = status {
                @match &st.mergeability {
                    PullMergeability::Clean => { p.merge-ok id="merge-clean" { (ctx.t("prweb.merge.clean")) } }
                    PullMergeability::Conflicts(files) => {
                        div.merge-conflicts id="merge-conflicts" {
                            p { (ctx.t("prweb.merge.conflicts")) }
                            ul { @for f in files { li { code { (f) } } } }
                        }
                    }
                    PullMergeability::NothingToMerge => { p id="merge-nothing" { (ctx.t("prweb.merge.nothing")) } }
                    PullMergeability::Unrelated => { p id="merge-unrelated" { (ctx.t("prweb.merge.unrelated")) } }
                    PullMergeability::Missing => { p id="merge-missing" { (ctx.t("prweb.merge.missing")) } }
                }
                @if pull.is_draft {
                    div id="merge-draft" {
                        p { (ctx.t("prweb.merge.draft")) }
                        @if may_edit {
                            form.inline-form method="post" action=(format!("{url}/draft")) {
                                (csrf_input(ctx))
                                input type="hidden" name="draft" value="0";
                                button.btn type="submit" id="ready-for-review" { (ctx.t("prweb.ready_for_review")) }
                            }
                        }
                    }
                }
                @if st.behind {
                    div.merge-behind id="merge-behind" {
                        p { (ctx.t("prweb.update.behind")) }
                        @if st.may_update {
                            form.inline-form method="post" action=(format!("{url}/update")) id="update-branch-form" {
                                (csrf_input(ctx))
                                input type="hidden" name="head" value=(pull.head_oid);
                                button.btn type="submit" name="style" value="merge" id="update-branch" { (ctx.t("prweb.update.merge")) }
                                " "
                                button.btn type="submit" name="style" value="rebase" id="update-branch-rebase" { (ctx.t("prweb.update.rebase")) }
                            }
                        }
                    }
                }
                @if !st.unmet.is_empty() {
                    div.merge-unmet id="merge-unmet" {
                        p { (ctx.t("prweb.merge.unmet")) }
                        ul { @for u in &st.unmet { li { (unmet_line(ctx, u)) } } }
                    }
                }
                @if st.may_merge && !pull.is_draft && st.mergeability == PullMergeability::Clean {
                    form.stack method="post" action=(format!("{url}/merge")) id="merge-form" {
                        (csrf_input(ctx))
                        input type="hidden" name="head" value=(pull.head_oid);
                        fieldset.checks {
                            legend { (ctx.t("prweb.merge.style")) }
                            @for s in &st.settings.allowed {
                                label.check {
                                    input type="radio" name="style" value=(s.as_str()) checked[*s == st.settings.default_style];
                                    " " (style_label(ctx, *s))
                                }
                            }
                        }
                        label.field {
                            span { (ctx.t("prweb.merge.message")) }
                            textarea name="message" id="f-message" placeholder=(ctx.t("prweb.merge.message_hint")) {}
                        }
                        label.check {
                            input type="checkbox" name="delete_branch" value="on" checked[st.settings.delete_branch];
                            " " (ctx.t("prweb.merge.delete_branch"))
                        }
                        div { button.btn.btn-primary type="submit" id="merge-submit" { (ctx.t("prweb.merge.submit")) } }
                    }
                }
                @if may_edit && !pull.is_draft {
                    form.inline-form method="post" action=(format!("{url}/draft")) id="to-draft-form" {
                        (csrf_input(ctx))
                        input type="hidden" name="draft" value="1";
                        button.btn.btn-small type="submit" id="convert-to-draft" { (ctx.t("prweb.convert_to_draft")) }
                    }
                }
            }
        }
    }
}

// ---- commits and files ----

pub async fn commits(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let (view, issue, pull) = load(&state, &ctx, &owner, &name, &number).await?;
    let cmp = comparison(&state, &view, &issue, &pull, counting()).await?;
    let ids: Vec<String> = cmp
        .as_ref()
        .map(|c| c.comparison.commits.iter().map(|c| c.id.to_hex()).collect())
        .unwrap_or_default();
    let checks = state.forge.combined_statuses(&view.repo, &ids).await?;
    let header = repo_header(&state, &ctx, &view.repo, RepoTab::Pulls).await?;
    let head_label = state.forge.pull_head_label(&view.repo, &pull).await?;
    Ok(page(
        &ctx,
        &format!("{} · #{}", issue.title, issue.number),
        html! {
            (header)
            (title_line(&ctx, &issue, &pull))
            (subhead(&ctx, &view, &issue, &pull, &head_label, cmp.as_ref(), PullTab::Commits))
            @match &cmp {
                Some(c) if !c.comparison.commits.is_empty() => {
                    ul.list.commit-list id="pull-commits" {
                        @for commit in &c.comparison.commits { (commit_row(&ctx, &view.repo, commit, &checks)) }
                    }
                    @if c.comparison.commits_truncated {
                        p.muted id="pull-commits-truncated" { (ctx.tf("compare.commits_truncated", &[("n", &c.comparison.commits.len().to_string())])) }
                    }
                }
                _ => { div.empty id="pull-no-commits" { (ctx.t("prweb.no_commits")) } }
            }
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct FilesQuery {
    #[serde(default)]
    style: String,
    /// `1`: whitespace-only changes hidden, as `git diff -w`.
    #[serde(default)]
    w: String,
    /// A line to open the comment form under: its path, side and number.
    #[serde(default)]
    path: String,
    #[serde(default)]
    side: String,
    #[serde(default)]
    line: String,
    /// The first line of a range (the page's script sets it on shift-click).
    #[serde(default)]
    start_line: String,
}

/// The files page's address with these layout choices.
pub(crate) fn files_url(files_url: &str, split: bool, whitespace_blind: bool) -> String {
    match (split, whitespace_blind) {
        (false, false) => files_url.to_owned(),
        (true, false) => format!("{files_url}?style=split"),
        (false, true) => format!("{files_url}?w=1"),
        (true, true) => format!("{files_url}?style=split&w=1"),
    }
}

pub async fn files(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Query(q): Query<FilesQuery>,
) -> WebResult<Markup> {
    let (view, issue, pull) = load(&state, &ctx, &owner, &name, &number).await?;
    let back = Back::Files {
        split: q.style == "split",
        whitespace_blind: q.w == "1",
    };
    let line = match (q.side.parse(), q.line.parse::<u32>()) {
        (Ok(side), Ok(line)) if !q.path.is_empty() => Some(LineDraft {
            path: q.path.clone(),
            side: Some(side),
            line,
            start_line: q.start_line.trim().to_owned(),
            ..LineDraft::default()
        }),
        _ => None,
    };
    files_page(
        &state,
        &ctx,
        &view,
        &issue,
        &pull,
        back,
        line.as_ref(),
        None,
    )
    .await
}

/// The files page in the layout of `back` (a `Back::Files`), with a line-comment form or
/// the review box filled in again when given.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn files_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    pull: &PullRequest,
    back: Back,
    line: Option<&LineDraft>,
    review: Option<&ReviewDraft>,
) -> WebResult<Markup> {
    let (split, whitespace_blind) = match back {
        Back::Files {
            split,
            whitespace_blind,
        } => (split, whitespace_blind),
        Back::Conversation => (false, false),
    };
    let options = DiffOptions {
        ignore_whitespace: whitespace_blind,
        ..DiffOptions::default()
    };
    let cmp = comparison(state, view, issue, pull, options).await?;
    let url = pull_url(view, issue.number);
    let files_base = format!("{url}/files");
    let here = files_url(&files_base, split, whitespace_blind);
    let diff_html = match &cmp {
        Some(c) => {
            let key = format!(
                "pr:{}...{}:{}:{}:{}:{}",
                c.base.to_hex(),
                c.head.to_hex(),
                split,
                whitespace_blind,
                view.repo.id,
                ctx.lang.tag()
            );
            match state.caches.html.get(&key) {
                Some(hit) => hit,
                None => {
                    let links = DiffLinks {
                        repo: view.repo.clone(),
                        new_rev: c.head.to_hex(),
                        old_rev: c.comparison.merge_base.as_ref().map(Oid::to_hex),
                        full_diff: Some(format!("{url}.diff")),
                        full_patch: Some(format!("{url}.patch")),
                        collapsible: true,
                        split,
                        comment_base: Some(if here.contains('?') {
                            format!("{here}&")
                        } else {
                            format!("{here}?")
                        }),
                    };
                    let (shown, lang) = (c.comparison.clone(), ctx.lang);
                    let rendered =
                        blocking(move || Ok(render_diff(lang, &shown.diff, &links))).await?;
                    let value = Arc::new(vec![rendered]);
                    state.caches.html.insert(key, value.clone());
                    value
                }
            }
        }
        None => Arc::new(Vec::new()),
    };
    let reviewing = match diff_html.first() {
        Some(h) => Some(
            files_review(
                state,
                ctx,
                view,
                issue,
                cmp.as_ref().map(|c| &c.comparison.diff),
                h,
                back,
                line,
                review,
            )
            .await?,
        ),
        None => None,
    };
    let header = repo_header(state, ctx, &view.repo, RepoTab::Pulls).await?;
    let head_label = state.forge.pull_head_label(&view.repo, pull).await?;
    Ok(page(
        ctx,
        &format!("{} · #{}", issue.title, issue.number),
        html! {
            (header)
            (title_line(ctx, issue, pull))
            (subhead(ctx, view, issue, pull, &head_label, cmp.as_ref(), PullTab::Files))
            div.toolbar.diff-options id="diff-options" {
                a.btn.btn-small.active[!split] href=(files_url(&files_base, false, whitespace_blind)) id="style-unified" { (ctx.t("prweb.files.unified")) }
                a.btn.btn-small.active[split] href=(files_url(&files_base, true, whitespace_blind)) id="style-split" { (ctx.t("prweb.files.split")) }
                a.btn.btn-small.active[whitespace_blind] href=(files_url(&files_base, split, !whitespace_blind)) id="whitespace-toggle" title=(ctx.t("prweb.files.whitespace_hint")) { (ctx.t("prweb.files.whitespace")) }
                span.spacer {}
                a.btn.btn-small href=(format!("{url}.diff")) id="pull-diff-link" { (ctx.t("commit.diff")) }
                a.btn.btn-small href=(format!("{url}.patch")) id="pull-patch-link" { (ctx.t("commit.patch")) }
            }
            @match &reviewing {
                Some(r) => {
                    (r.review_box)
                    (r.elsewhere)
                    div.diff-review.can-comment[ctx.user.is_some() && view.may_issue(Action::Comment, issue)] { (PreEscaped(&r.diff)) }
                }
                None => { div.empty id="pull-no-files" { (ctx.t("prweb.no_commits")) } }
            }
        },
    ))
}

// ---- merging and the draft flag ----

#[derive(Deserialize, Default)]
pub struct MergeForm {
    #[serde(default)]
    style: String,
    #[serde(default)]
    head: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    delete_branch: String,
}

pub async fn merge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(form): Form<MergeForm>,
) -> WebResult<Response> {
    let (view, issue, pull) = load(&state, &ctx, &owner, &name, &number).await?;
    if !view.may_issue(Action::Merge, &issue) {
        return Err(
            match authorize(
                view.actor,
                Action::Merge,
                Resource::Issue(view.issue_facts(&issue)),
            ) {
                hatchery_core::Decision::Deny(d) => WebError::from_denial(d, &ctx.path),
                hatchery_core::Decision::Allow => WebError::Forbidden,
            },
        );
    }
    let style: MergeStyle = form
        .style
        .parse()
        .map_err(|()| WebError::BadRequest("prweb.error.bad_style"))?;
    let input = MergeInput {
        style,
        expected_head: Some(form.head.trim().to_owned()).filter(|h| !h.is_empty()),
        message: Some(form.message.trim().to_owned()).filter(|m| !m.is_empty()),
        delete_branch: form.delete_branch == "on",
    };
    let e = match Box::pin(state.forge.merge_pull(&view, &issue, &pull, input)).await {
        Ok(_) => return Ok(Redirect::to(&pull_url(&view, issue.number)).into_response()),
        Err(e) => e,
    };
    let Some((status, notice)) = refusal_notice(&ctx, &view, &issue, &e) else {
        return Err(pull_refused(e, &ctx.path));
    };
    // Read again: the page shows the state as it is now.
    let issue = state
        .store
        .issue_by_id(issue.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let page = conversation(
        &state,
        &ctx,
        &view,
        &issue,
        "",
        "",
        &FormErrors::default(),
        Some(notice),
    )
    .await?;
    Ok((status, page).into_response())
}

/// A merge or update refusal as a notice for the merge box, with its status; `None` for
/// refusals no notice explains.
fn refusal_notice(
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    e: &PullError,
) -> Option<(StatusCode, Markup)> {
    Some(match e {
        PullError::HeadMoved => (
            StatusCode::CONFLICT,
            html! { div.notice.notice-error role="alert" id="merge-head-moved" {
                (ctx.t("prweb.merge.head_moved")) " " a href=(pull_url(view, issue.number)) { (ctx.t("prweb.merge.reload")) }
            } },
        ),
        PullError::BaseMoved => (
            StatusCode::CONFLICT,
            html! { div.notice.notice-error role="alert" id="merge-base-moved" { (ctx.t("prweb.merge.base_moved")) } },
        ),
        PullError::Conflicts(files) => (
            StatusCode::CONFLICT,
            html! { div.notice.notice-error role="alert" id="merge-refused-conflicts" {
                (ctx.t("prweb.merge.conflicts")) ul { @for f in files { li { code { (f) } } } }
            } },
        ),
        PullError::Requirements(unmet) => (
            StatusCode::METHOD_NOT_ALLOWED,
            html! { div.notice.notice-error role="alert" id="merge-refused-unmet" {
                (ctx.t("prweb.merge.unmet")) ul { @for u in unmet { li { (unmet_line(ctx, u)) } } }
            } },
        ),
        PullError::NotMergeable(why) => (
            StatusCode::METHOD_NOT_ALLOWED,
            html! { div.notice.notice-error role="alert" id="merge-refused" {
                (ctx.t(match *why {
                    "closed" => "prweb.merge.closed",
                    "draft" => "prweb.merge.draft",
                    "style" => "prweb.error.style_not_allowed",
                    "fast-forward" => "prweb.error.not_fast_forward",
                    _ => "prweb.merge.unrelated",
                }))
            } },
        ),
        PullError::NoChanges => (
            StatusCode::METHOD_NOT_ALLOWED,
            html! { div.notice.notice-error role="alert" id="merge-refused" { (ctx.t("prweb.merge.nothing")) } },
        ),
        PullError::Protected(refused) => (
            StatusCode::FORBIDDEN,
            html! { div.notice.notice-error role="alert" id="update-refused-protected" {
                (crate::git_http::refusal_message(ctx.lang, refused))
            } },
        ),
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
pub struct UpdateForm {
    #[serde(default)]
    style: String,
    #[serde(default)]
    head: String,
}

/// `POST /{owner}/{repo}/pulls/{n}/update`: "update branch" (`style` merge or rebase).
pub async fn update_branch(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(form): Form<UpdateForm>,
) -> WebResult<Response> {
    let (view, issue, pull) = load(&state, &ctx, &owner, &name, &number).await?;
    let rebase = match form.style.as_str() {
        "merge" => false,
        "rebase" => true,
        _ => return Err(WebError::BadRequest("prweb.error.bad_style")),
    };
    let expected = Some(form.head.trim()).filter(|h| !h.is_empty());
    let e = match Box::pin(
        state
            .forge
            .update_pull_branch(&view, &issue, &pull, rebase, expected),
    )
    .await
    {
        Ok(_) => return Ok(Redirect::to(&pull_url(&view, issue.number)).into_response()),
        Err(e) => e,
    };
    let Some((status, notice)) = refusal_notice(&ctx, &view, &issue, &e) else {
        return Err(pull_refused(e, &ctx.path));
    };
    let page = conversation(
        &state,
        &ctx,
        &view,
        &issue,
        "",
        "",
        &FormErrors::default(),
        Some(notice),
    )
    .await?;
    Ok((status, page).into_response())
}

#[derive(Deserialize, Default)]
pub struct DraftForm {
    #[serde(default)]
    draft: String,
}

pub async fn set_draft(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(form): Form<DraftForm>,
) -> WebResult<Response> {
    let (view, issue, _) = load(&state, &ctx, &owner, &name, &number).await?;
    let draft = match form.draft.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(WebError::BadRequest("error.400.form")),
    };
    state
        .forge
        .set_pull_draft(&view, &issue, draft)
        .await
        .map_err(|e| pull_refused(e, &ctx.path))?;
    Ok(Redirect::to(&pull_url(&view, issue.number)).into_response())
}

// ---- merge settings ----

async fn merge_settings_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &hatchery_store::Repo,
    settings: &MergeSettings,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, repo, RepoTab::Settings).await?;
    let action = format!("/{}/{}/settings/merge", repo.owner_name, repo.name);
    Ok(page(
        ctx,
        ctx.t("prweb.settings.title"),
        html! {
            (header)
            section.card {
                h2 style="margin-top:0" { (ctx.t("prweb.settings.title")) }
                p.muted { (ctx.t("prweb.settings.hint")) }
                form.stack method="post" action=(action) id="merge-settings-form" novalidate {
                    (csrf_input(ctx))
                    @if let Some(m) = errors.message(ctx, "allowed") {
                        div.notice.notice-error role="alert" id="merge-settings-error" { (m) }
                    }
                    fieldset.checks {
                        legend { (ctx.t("prweb.settings.allowed")) }
                        @for s in MergeStyle::ALL {
                            label.check {
                                input type="checkbox" name="allowed" value=(s.as_str()) checked[settings.allows(s)];
                                " " (style_label(ctx, s))
                            }
                        }
                    }
                    fieldset.checks {
                        legend { (ctx.t("prweb.settings.default")) }
                        @for s in MergeStyle::ALL {
                            label.check {
                                input type="radio" name="default_style" value=(s.as_str()) checked[s == settings.default_style];
                                " " (style_label(ctx, s))
                            }
                        }
                    }
                    label.check {
                        input type="checkbox" name="delete_branch" value="on" checked[settings.delete_branch];
                        " " (ctx.t("prweb.settings.delete_branch"))
                    }
                    div { button.btn.btn-primary type="submit" id="merge-settings-submit" { (ctx.t("action.save")) } }
                }
            }
        },
    ))
}

pub async fn merge_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let repo = crate::pages::repo::load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let settings = state.store.merge_settings(repo.id).await?;
    merge_settings_page(&state, &ctx, &repo, &settings, &FormErrors::default()).await
}

pub async fn save_merge_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let repo = crate::pages::repo::load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let mut allowed = Vec::new();
    for v in form::values(&pairs, "allowed") {
        allowed.push(
            v.parse::<MergeStyle>()
                .map_err(|()| WebError::BadRequest("prweb.error.bad_style"))?,
        );
    }
    let default_style: MergeStyle = form::value(&pairs, "default_style")
        .parse()
        .map_err(|()| WebError::BadRequest("prweb.error.bad_style"))?;
    let delete_branch = form::value(&pairs, "delete_branch") == "on";
    match MergeSettings::new(&allowed, default_style) {
        Ok(settings) => {
            let settings = MergeSettings {
                delete_branch,
                ..settings
            };
            state.store.set_merge_settings(repo.id, &settings).await?;
            Ok(flash_redirect(
                &ctx,
                FlashKind::Success,
                "prweb.settings.saved",
                &format!("/{}/{}/settings/merge", repo.owner_name, repo.name),
            ))
        }
        Err(e) => {
            let mut errors = FormErrors::default();
            errors.add("allowed", e.key());
            // Show what was sent, so it can be corrected.
            let shown = MergeSettings {
                allowed,
                default_style,
                delete_branch,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                merge_settings_page(&state, &ctx, &repo, &shown, &errors).await?,
            )
                .into_response())
        }
    }
}
