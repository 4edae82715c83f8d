//! Issue pages: the list with filters and search, opening an issue, the issue with its
//! timeline, comments, triage (labels, milestone, assignees, lock), edits with their
//! history. Every change goes through `hatchery_service::issues`, which applies the policy;
//! these handlers only decide what to show.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_core::issues::{CloseReason, EventKind, IssueSort, StateFilter};
use hatchery_core::pulls::{KindFilter, ReviewFilter};
use hatchery_core::{Action, Resource, authorize};
use hatchery_render::{RepoLinks, markdown_with_refs};
use hatchery_service::issues::{
    IssueError, IssueInput, IssueUpdate, RepoView, ResolvedRefs, TextUpdate,
};
use hatchery_store::{Comment, Issue, IssueEvent, IssueQuery, Label, Milestone, Person, Who};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{self, Field, Form, FormErrors, Input, csrf_input};
use crate::pages::code::time_ago_ms;
use crate::pages::labels::{IssuesNav, issues_subnav};
use crate::pages::repo::{RepoTab, repo_header};
use crate::state::AppState;
use crate::views::{author_link, button_form, label_badge, page, person_link};

const PER_PAGE: i64 = 25;

/// The repository in the path for the visitor, or 404 exactly like a missing one.
pub(crate) async fn view_of(
    state: &AppState,
    ctx: &Ctx,
    owner: &str,
    name: &str,
) -> WebResult<RepoView> {
    state
        .forge
        .repo_view(ctx.actor(), owner, name)
        .await?
        .ok_or(WebError::NotFound)
}

async fn issue_of(state: &AppState, view: &RepoView, number: &str) -> WebResult<Issue> {
    let number: i64 = number.parse().map_err(|_| WebError::NotFound)?;
    state
        .forge
        .issue(view, number)
        .await
        .map_err(|e| refused(&e, ""))
}

/// The answer to a refusal that no form can explain.
pub(crate) fn refused(e: &IssueError, path: &str) -> WebError {
    match e {
        IssueError::Denied(d) => WebError::from_denial(*d, path),
        IssueError::NotFound => WebError::NotFound,
        IssueError::Service(s) => WebError::internal(s),
        IssueError::Field { .. } | IssueError::Unknown(_) | IssueError::Stale => {
            WebError::BadRequest("error.400.form")
        }
    }
}

fn issues_url(view: &RepoView) -> String {
    format!("/{}/{}/issues", view.repo.owner_name, view.repo.name)
}

fn issue_url(view: &RepoView, number: i64) -> String {
    format!("{}/{number}", issues_url(view))
}

/// Where an issue's conversation is shown: `/pulls/N` for a pull request.
pub(crate) fn conversation_url(view: &RepoView, issue: &Issue) -> String {
    if issue.is_pull {
        format!(
            "/{}/{}/pulls/{}",
            view.repo.owner_name, view.repo.name, issue.number
        )
    } else {
        issue_url(view, issue.number)
    }
}

/// Open, closed or closed as not planned, as a coloured badge.
pub fn state_badge(ctx: &Ctx, issue: &Issue) -> Markup {
    html! {
        @if issue.is_closed {
            span.state.state-closed { (ctx.t(match issue.close_reason {
                Some(CloseReason::NotPlanned) => "issue.state.not_planned",
                _ => "issue.state.closed",
            })) }
        } @else {
            span.state.state-open { (ctx.t("issue.state.open")) }
        }
    }
}

// ---- list ----

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    /// Pull-request lists: `draft` or `ready`.
    #[serde(default)]
    pub(crate) draft: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    labels: String,
    #[serde(default)]
    milestone: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    mentioned: String,
    /// Pull-request lists: whose review is asked (a user name; their teams count).
    #[serde(default)]
    review_requested: String,
    /// Pull-request lists: `none`, `required`, `approved` or `changes_requested`.
    #[serde(default)]
    review: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: String,
}

impl ListQuery {
    /// This query's URL with some parameters changed; empty values are left out.
    fn url(&self, base: &str, changes: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("state", &self.state),
            ("labels", &self.labels),
            ("milestone", &self.milestone),
            ("assignee", &self.assignee),
            ("author", &self.author),
            ("mentioned", &self.mentioned),
            ("review_requested", &self.review_requested),
            ("review", &self.review),
            ("q", &self.q),
            ("sort", &self.sort),
            ("draft", &self.draft),
            ("page", &self.page),
        ];
        for (k, v) in changes {
            if let Some(p) = pairs.iter_mut().find(|(pk, _)| pk == k) {
                p.1 = v;
            }
        }
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            if !v.is_empty() {
                ser.append_pair(k, v);
            }
        }
        let query = ser.finish();
        if query.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{query}")
        }
    }
}

/// A user filter by name: `Some(Nobody)` for "none", an id that matches nobody for an
/// unknown name (the list is then empty, as it should be).
async fn who(state: &AppState, name: &str, none_allowed: bool) -> WebResult<Option<Who>> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if none_allowed && name == "none" {
        return Ok(Some(Who::Nobody));
    }
    Ok(Some(Who::User(
        state
            .store
            .user_by_name(name)
            .await?
            .map(|u| u.id)
            .unwrap_or(-1),
    )))
}

fn user_id(w: Option<Who>) -> Option<i64> {
    match w {
        Some(Who::User(id)) => Some(id),
        Some(Who::Nobody) => Some(-1),
        None => None,
    }
}

/// The catalog key naming a review-state filter in the pull-request list.
fn review_filter_label(f: ReviewFilter) -> &'static str {
    match f {
        ReviewFilter::Any => "prweb.list.review_any",
        ReviewFilter::None => "prweb.list.review_none",
        ReviewFilter::Required => "prweb.list.review_required",
        ReviewFilter::Approved => "prweb.list.review_approved",
        ReviewFilter::ChangesRequested => "prweb.list.review_changes_requested",
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    list_page(&state, &ctx, &view, &q, KindFilter::Issues).await
}

/// The issue list, or (`kind` = `Pulls`) the pull-request list: the same filters, search,
/// counts and paging; pull requests add draft/merged badges and their branches.
#[allow(clippy::too_many_lines)]
pub(crate) async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    q: &ListQuery,
    kind: KindFilter,
) -> WebResult<Markup> {
    let (state, ctx) = (state.clone(), ctx);
    let is_pulls = kind == KindFilter::Pulls;
    let repo_id = view.repo.id;
    let label_ids: Vec<i64> = q
        .labels
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let milestone = match q.milestone.as_str() {
        "" => None,
        "none" => Some(Who::Nobody),
        m => Some(Who::User(m.parse().unwrap_or(-1))),
    };
    let mut query = IssueQuery {
        state: StateFilter::parse(&q.state),
        label_ids,
        milestone,
        assignee: who(&state, &q.assignee, true).await?,
        author_id: user_id(who(&state, &q.author, false).await?),
        mentioned_id: user_id(who(&state, &q.mentioned, false).await?),
        review_requested_id: if is_pulls {
            user_id(who(&state, &q.review_requested, false).await?)
        } else {
            None
        },
        text: Some(q.q.trim().to_owned()).filter(|t| !t.is_empty()),
        sort: IssueSort::parse(&q.sort),
        page: q.page.parse().unwrap_or(1).max(1),
        per_page: PER_PAGE,
        kind,
        draft: hatchery_core::pulls::DraftFilter::parse(&q.draft),
        review: if is_pulls {
            ReviewFilter::parse(&q.review)
        } else {
            ReviewFilter::Any
        },
        ..IssueQuery::default()
    };
    let review_filter = query.review;
    let page_of = state.store.list_issues(repo_id, &query).await?;
    // The tab of the shown state already has its count.
    let shown = query.state;
    let mut counts = [0_i64; 2];
    for (i, s) in [StateFilter::Open, StateFilter::Closed]
        .into_iter()
        .enumerate()
    {
        counts[i] = if s == shown {
            page_of.total
        } else {
            query.state = s;
            state.store.count_issues(repo_id, &query).await?
        };
    }
    let ids: Vec<i64> = page_of.issues.iter().map(|i| i.id).collect();
    let labels_of = state.store.labels_of_issues(&ids).await?;
    let assignees_of = state.store.assignees_of_issues(&ids).await?;
    let all_labels = state.store.labels(repo_id).await?;
    let milestones = state.store.milestones(repo_id).await?;
    let milestone_titles: HashMap<i64, &str> = milestones
        .iter()
        .map(|m| (m.id, m.title.as_str()))
        .collect();
    let people = state.forge.assignable_users(&view.repo).await?;
    let pulls = if is_pulls {
        state.store.pulls_of_issues(&ids).await?
    } else {
        HashMap::new()
    };
    let (reviews_of, requests_of) = if is_pulls {
        state.store.review_overview(&ids).await?
    } else {
        Default::default()
    };
    let base = if is_pulls {
        format!("/{}/{}/pulls", view.repo.owner_name, view.repo.name)
    } else {
        issues_url(view)
    };
    let row_url = |n: i64| format!("{base}/{n}");
    let current_state = StateFilter::parse(&q.state);
    let page_no = q.page.parse::<i64>().unwrap_or(1).max(1);
    let pages = (page_of.total + PER_PAGE - 1) / PER_PAGE;
    let open_action = if is_pulls {
        Action::OpenPull
    } else {
        Action::OpenIssue
    };
    let may_open = authorize(ctx.actor(), open_action, Resource::Repo(view.facts)).is_allowed();
    let header = repo_header(
        &state,
        ctx,
        &view.repo,
        if is_pulls {
            RepoTab::Pulls
        } else {
            RepoTab::Issues
        },
    )
    .await?;
    let sort_options: Vec<(&str, &str)> = IssueSort::ALL
        .iter()
        .map(|s| (s.as_str(), sort_label(ctx, *s)))
        .collect();
    Ok(page(
        ctx,
        &format!(
            "{} · {}/{}",
            ctx.t(if is_pulls {
                "prweb.list.title"
            } else {
                "issue.list.title"
            }),
            view.repo.owner_name,
            view.repo.name
        ),
        html! {
            (header)
            @if !is_pulls { (issues_subnav(ctx, &view.repo, IssuesNav::Issues)) }
            div.toolbar {
                form.filter-form method="get" action=(base) id="issue-filter" role="search" {
                    input type="hidden" name="state" value=(current_state.as_str());
                    @if is_pulls && !q.draft.is_empty() { input type="hidden" name="draft" value=(q.draft); }
                    input type="search" name="q" value=(q.q) placeholder=(ctx.t("issue.list.search")) aria-label=(ctx.t("issue.list.search"));
                    select name="labels" aria-label=(ctx.t("issue.field.labels")) {
                        option value="" { (ctx.t("issue.list.any_label")) }
                        @for l in &all_labels {
                            option value=(l.label.id) selected[q.labels == l.label.id.to_string()] { (l.label.name) }
                        }
                    }
                    select name="milestone" aria-label=(ctx.t("issue.field.milestone")) {
                        option value="" { (ctx.t("issue.list.any_milestone")) }
                        option value="none" selected[q.milestone == "none"] { (ctx.t("issue.list.no_milestone")) }
                        @for m in &milestones {
                            option value=(m.id) selected[q.milestone == m.id.to_string()] { (m.title) }
                        }
                    }
                    select name="assignee" aria-label=(ctx.t("issue.field.assignees")) {
                        option value="" { (ctx.t("issue.list.any_assignee")) }
                        option value="none" selected[q.assignee == "none"] { (ctx.t("issue.list.no_assignee")) }
                        @for p in &people {
                            option value=(p.name) selected[q.assignee.eq_ignore_ascii_case(&p.name)] { (p.name) }
                        }
                    }
                    input type="text" name="author" value=(q.author) placeholder=(ctx.t("issue.list.author")) aria-label=(ctx.t("issue.list.author")) size="10";
                    input type="text" name="mentioned" value=(q.mentioned) placeholder=(ctx.t("issue.list.mentioned")) aria-label=(ctx.t("issue.list.mentioned")) size="10";
                    @if is_pulls {
                        input type="text" name="review_requested" id="f-review_requested" value=(q.review_requested) placeholder=(ctx.t("prweb.list.review_requested")) aria-label=(ctx.t("prweb.list.review_requested")) size="10";
                        select name="review" id="f-review" aria-label=(ctx.t("prweb.list.review")) {
                            option value="" { (ctx.t("prweb.list.review_any")) }
                            @for f in ReviewFilter::ALL {
                                option value=(f.as_str()) selected[review_filter == f] { (ctx.t(review_filter_label(f))) }
                            }
                        }
                    }
                    select name="sort" aria-label=(ctx.t("issue.list.sort")) {
                        @for (v, label) in &sort_options {
                            option value=(v) selected[IssueSort::parse(&q.sort).as_str() == *v] { (label) }
                        }
                    }
                    button.btn type="submit" { (ctx.t("issue.list.filter")) }
                }
                @if may_open && is_pulls {
                    a.btn.btn-primary href=(format!("{base}/new")) id="new-pull" { (ctx.t("prweb.new.title")) }
                } @else if may_open {
                    a.btn.btn-primary href=(format!("{base}/new")) id="new-issue" { (ctx.t("issue.new.title")) }
                }
            }
            nav.tabs.state-tabs {
                a.active[current_state == StateFilter::Open] href=(q.url(&base, &[("state", "open"), ("page", "")])) id="tab-open" {
                    (ctx.tf("issue.list.open_count", &[("n", &counts[0].to_string())]))
                }
                a.active[current_state == StateFilter::Closed] href=(q.url(&base, &[("state", "closed"), ("page", "")])) id="tab-closed" {
                    (ctx.tf("issue.list.closed_count", &[("n", &counts[1].to_string())]))
                }
                a.active[current_state == StateFilter::All] href=(q.url(&base, &[("state", "all"), ("page", "")])) id="tab-all" {
                    (ctx.t("issue.list.all"))
                }
            }
            @if page_of.issues.is_empty() && is_pulls {
                div.empty id="no-pulls" { (ctx.t("prweb.list.empty")) }
            } @else if page_of.issues.is_empty() {
                div.empty id="no-issues" { (ctx.t("issue.list.empty")) }
            } @else {
                ul.issue-list id=(if is_pulls { "pulls" } else { "issues" }) {
                    @for issue in &page_of.issues {
                        @let pull = pulls.get(&issue.id);
                        li.issue-row {
                            @if let Some(p) = pull { (crate::pages::pulls::pull_badge(ctx, issue, p)) }
                            @else { (state_badge(ctx, issue)) }
                            div.issue-main {
                                a.issue-title href=(row_url(issue.number)) { (issue.title) }
                                @if let Some(p) = pull {
                                    " " span.muted.small.pull-branches { code { (p.head_branch) } " → " code { (p.base_branch) } }
                                    " " (crate::pages::review::list_badge(ctx, issue.number, reviews_of.get(&issue.id), requests_of.get(&issue.id).copied().unwrap_or(0)))
                                }
                                @if let Some(labels) = labels_of.get(&issue.id) {
                                    " "
                                    span.labels { @for l in labels { a href=(q.url(&base, &[("labels", &l.id.to_string()), ("page", "")])) { (label_badge(l)) } } }
                                }
                                div.muted.small {
                                    "#" (issue.number) " · "
                                    (ctx.t("issue.list.opened")) " " (time_ago_ms(ctx, issue.created_at)) " · "
                                    (author_link(ctx, issue.author.as_ref(), &issue.original_author, &issue.original_service))
                                    @if let Some(title) = issue.milestone_id.and_then(|m| milestone_titles.get(&m)) {
                                        " · " (ctx.t("issue.field.milestone")) ": " (title)
                                    }
                                    @if let Some(people) = assignees_of.get(&issue.id) {
                                        " · " (ctx.t("issue.field.assignees")) ": "
                                        @for (i, p) in people.iter().enumerate() { @if i > 0 { ", " } (person_link(ctx, Some(p))) }
                                    }
                                }
                            }
                            @if issue.comment_count > 0 {
                                span.comment-count title=(ctx.t("issue.comments")) { "💬 " (issue.comment_count) }
                            }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav.pagination aria-label=(ctx.t("issue.list.pages")) {
                    @if page_no > 1 {
                        a.btn rel="prev" href=(q.url(&base, &[("page", &(page_no - 1).to_string())])) { (ctx.t("pagination.prev")) }
                    }
                    span.muted { (ctx.tf("issue.list.page_of", &[("page", &page_no.to_string()), ("pages", &pages.to_string())])) }
                    @if page_no < pages {
                        a.btn rel="next" href=(q.url(&base, &[("page", &(page_no + 1).to_string())])) { (ctx.t("pagination.next")) }
                    }
                }
            }
        },
    ))
}

fn sort_label(ctx: &Ctx, s: IssueSort) -> &'static str {
    ctx.t(match s {
        IssueSort::Newest => "issue.sort.newest",
        IssueSort::Oldest => "issue.sort.oldest",
        IssueSort::RecentUpdate => "issue.sort.recentupdate",
        IssueSort::LeastUpdate => "issue.sort.leastupdate",
        IssueSort::MostComment => "issue.sort.mostcomment",
        IssueSort::LeastComment => "issue.sort.leastcomment",
    })
}

// ---- new ----

#[derive(Default)]
struct NewForm {
    title: String,
    body: String,
    labels: Vec<i64>,
    milestone: Option<i64>,
    assignees: Vec<i64>,
}

/// Form problems of the issue forms: field errors, and refusals with a message.
fn form_errors(e: &IssueError, errors: &mut FormErrors) -> bool {
    match e {
        IssueError::Field { field, error } => errors.field(field, error),
        IssueError::Unknown("label") | IssueError::Unknown("label or milestone") => {
            errors.add("labels", "error.issue.unknown_label")
        }
        IssueError::Unknown("milestone") => {
            errors.add("milestone", "error.issue.unknown_milestone")
        }
        IssueError::Unknown(_) => errors.add("assignees", "error.issue.unknown_assignee"),
        IssueError::Stale => errors.add("body", "error.issue.stale"),
        _ => return false,
    }
    true
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    form: &NewForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, &view.repo, RepoTab::Issues).await?;
    let triage = view.may_triage();
    let (labels, milestones, people) = if triage {
        (
            state.store.labels(view.repo.id).await?,
            state.store.milestones(view.repo.id).await?,
            state.forge.assignable_users(&view.repo).await?,
        )
    } else {
        Default::default()
    };
    let action = format!("{}/new", issues_url(view));
    Ok(page(
        ctx,
        ctx.t("issue.new.title"),
        html! {
            (header)
            h2 { (ctx.t("issue.new.title")) }
            form.stack method="post" action=(action) id="issue-new-form" novalidate {
                (csrf_input(ctx))
                (Field::new("title", ctx.t("issue.field.title"), &form.title).required().render(ctx, errors))
                (Field::new("body", ctx.t("issue.field.body"), &form.body).input(Input::TextArea).hint(ctx.t("issue.hint.markdown")).render(ctx, errors))
                @if triage {
                    (triage_fields(ctx, &labels.iter().map(|l| l.label.clone()).collect::<Vec<_>>(), &form.labels, &milestones, form.milestone, &people, &form.assignees, errors))
                }
                div { button.btn.btn-primary type="submit" id="issue-submit" { (ctx.t("issue.new.submit")) } }
            }
        },
    ))
}

/// Label checkboxes, a milestone select and assignee checkboxes.
#[allow(clippy::too_many_arguments)]
fn triage_fields(
    ctx: &Ctx,
    labels: &[Label],
    chosen_labels: &[i64],
    milestones: &[Milestone],
    chosen_milestone: Option<i64>,
    people: &[Person],
    chosen_people: &[i64],
    errors: &FormErrors,
) -> Markup {
    html! {
        fieldset.checks id="labels-field" {
            legend { (ctx.t("issue.field.labels")) }
            @if labels.is_empty() { span.muted { (ctx.t("issue.no_labels")) } }
            @for l in labels {
                label.check { input type="checkbox" name="labels" value=(l.id) checked[chosen_labels.contains(&l.id)]; " " (label_badge(l)) }
            }
            @if let Some(m) = errors.message(ctx, "labels") { p.field-error role="alert" { (m) } }
        }
        label.field {
            span { (ctx.t("issue.field.milestone")) }
            select name="milestone" {
                option value="" { (ctx.t("issue.no_milestone")) }
                @for m in milestones.iter().filter(|m| !m.is_closed || chosen_milestone == Some(m.id)) {
                    option value=(m.id) selected[chosen_milestone == Some(m.id)] { (m.title) }
                }
            }
            @if let Some(m) = errors.message(ctx, "milestone") { p.field-error role="alert" { (m) } }
        }
        fieldset.checks id="assignees-field" {
            legend { (ctx.t("issue.field.assignees")) }
            @for p in people {
                label.check { input type="checkbox" name="assignees" value=(p.id) checked[chosen_people.contains(&p.id)]; " " (p.name) }
            }
            @if let Some(m) = errors.message(ctx, "assignees") { p.field-error role="alert" { (m) } }
        }
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    if let hatchery_core::Decision::Deny(d) =
        authorize(ctx.actor(), Action::OpenIssue, Resource::Repo(view.facts))
    {
        return Err(WebError::from_denial(d, &ctx.path));
    }
    new_page(
        &state,
        &ctx,
        &view,
        &NewForm::default(),
        &FormErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let form = NewForm {
        title: form::value(&pairs, "title").to_owned(),
        body: form::value(&pairs, "body").to_owned(),
        labels: form::ids(&pairs, "labels")?,
        milestone: form::ids(&pairs, "milestone")?.first().copied(),
        assignees: form::ids(&pairs, "assignees")?,
    };
    let input = IssueInput {
        title: form.title.clone(),
        body: form.body.clone(),
        label_ids: form.labels.clone(),
        milestone_id: form.milestone,
        assignee_ids: form.assignees.clone(),
    };
    match state.forge.open_issue(&view, input).await {
        Ok(issue) => Ok(Redirect::to(&issue_url(&view, issue.number)).into_response()),
        Err(e) => {
            let mut errors = FormErrors::default();
            if !form_errors(&e, &mut errors) {
                return Err(refused(&e, &ctx.path));
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                new_page(&state, &ctx, &view, &form, &errors).await?,
            )
                .into_response())
        }
    }
}

// ---- view ----

#[derive(Deserialize, Default)]
pub struct ViewQuery {
    /// A comment id, or "issue", to quote in the reply box.
    #[serde(default)]
    quote: String,
}

enum Entry<'a> {
    Comment(&'a Comment),
    Event(&'a IssueEvent),
    /// A pull request's own entry (a review with its line-comment threads).
    Extra(&'a Markup),
}

/// Renders Markdown texts of one page with their references resolved for the viewer.
pub(crate) async fn render_texts(
    state: &AppState,
    view: &RepoView,
    texts: Vec<String>,
) -> WebResult<Vec<String>> {
    let git = {
        let (st, repo) = (state.clone(), view.repo.clone());
        tokio::task::spawn_blocking(move || st.forge.open_git_blocking(&repo).ok())
            .await
            .map_err(WebError::internal)?
    };
    let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
    let refs: ResolvedRefs = state.forge.resolve_references(view, &borrowed, git).await?;
    let links = RepoLinks {
        blob_base: format!(
            "/{}/{}/blob/{}/",
            view.repo.owner_name,
            view.repo.name,
            crate::pages::code::enc(&view.repo.default_branch)
        ),
        raw_base: format!(
            "/{}/{}/raw/{}/",
            view.repo.owner_name,
            view.repo.name,
            crate::pages::code::enc(&view.repo.default_branch)
        ),
        dir: String::new(),
    };
    tokio::task::spawn_blocking(move || {
        texts
            .iter()
            .map(|t| markdown_with_refs(t, &links, &refs))
            .collect()
    })
    .await
    .map_err(WebError::internal)
}

/// Whether the viewer may see a timeline event that points at another repository.
async fn event_visible(
    state: &AppState,
    view: &RepoView,
    e: &IssueEvent,
    cache: &mut HashMap<i64, bool>,
) -> WebResult<bool> {
    let other = e
        .ref_issue
        .as_ref()
        .map(|r| r.repo_id)
        .or(e.ref_repo.as_ref().map(|r| r.id));
    let Some(repo_id) = other else {
        return Ok(true);
    };
    if repo_id == view.repo.id {
        return Ok(true);
    }
    if let Some(v) = cache.get(&repo_id) {
        return Ok(*v);
    }
    let visible = match state.store.repo_by_id(repo_id).await? {
        Some(repo) => {
            let facts = state.forge.repo_facts(view.actor, &repo).await?;
            authorize(view.actor, Action::Read, Resource::Repo(facts)).is_allowed()
        }
        None => false,
    };
    cache.insert(repo_id, visible);
    Ok(visible)
}

fn quoted(text: &str) -> String {
    let mut out: String = text.lines().map(|l| format!("> {l}\n")).collect();
    out.push('\n');
    out
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Query(vq): Query<ViewQuery>,
) -> WebResult<Response> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let issue = issue_of(&state, &view, &number).await?;
    if issue.is_pull {
        // As Gitea: a pull request's number under /issues leads to its conversation.
        let mut to = conversation_url(&view, &issue);
        if !vq.quote.is_empty() {
            to.push_str(&format!(
                "?quote={}",
                form_urlencoded::byte_serialize(vq.quote.as_bytes()).collect::<String>()
            ));
        }
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(issue_page(
        &state,
        &ctx,
        &view,
        &issue,
        &vq.quote,
        "",
        &FormErrors::default(),
        None,
    )
    .await?
    .into_response())
}

/// What a pull request's conversation adds to the issue page.
pub(crate) struct PullParts {
    /// Replaces the open/closed badge (draft, merged).
    pub badge: Markup,
    /// Under the title: branches and the Conversation / Commits / Files tabs.
    pub subhead: Markup,
    /// Above the comment form: the merge box.
    pub merge_box: Markup,
    /// Timeline entries of its own (reviews and their threads), by (time, id).
    pub timeline: Vec<(i64, i64, Markup)>,
    /// At the top of the sidebar: reviewers.
    pub sidebar: Markup,
}

#[allow(clippy::too_many_lines, clippy::too_many_arguments)]
pub(crate) async fn issue_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    quote: &str,
    draft: &str,
    errors: &FormErrors,
    pull: Option<&PullParts>,
) -> WebResult<Markup> {
    let comments = state.store.comments(issue.id).await?;
    let mut events = Vec::new();
    let mut cache = HashMap::new();
    for e in state.store.issue_events(issue.id).await? {
        if event_visible(state, view, &e, &mut cache).await? {
            events.push(e);
        }
    }
    let labels = state
        .store
        .labels_of_issues(&[issue.id])
        .await?
        .remove(&issue.id)
        .unwrap_or_default();
    let assignees = state
        .store
        .assignees_of_issues(&[issue.id])
        .await?
        .remove(&issue.id)
        .unwrap_or_default();
    let milestones = state.store.milestones(view.repo.id).await?;
    let milestone = issue
        .milestone_id
        .and_then(|m| milestones.iter().find(|x| x.id == m));
    let mut texts = vec![issue.body.clone()];
    texts.extend(comments.iter().map(|c| c.body.clone()));
    let rendered = render_texts(state, view, texts).await?;
    let (body_html, comment_html) = rendered
        .split_first()
        .map_or(("", &[][..]), |(b, r)| (b.as_str(), r));

    let mut timeline: Vec<(i64, i64, Entry)> = comments
        .iter()
        .map(|c| (c.created_at, c.id, Entry::Comment(c)))
        .chain(events.iter().map(|e| (e.created_at, e.id, Entry::Event(e))))
        .chain(
            pull.iter()
                .flat_map(|p| p.timeline.iter())
                .map(|(t, id, m)| (*t, *id, Entry::Extra(m))),
        )
        .collect();
    timeline.sort_by_key(|(t, id, _)| (*t, *id));
    let comment_index: HashMap<i64, usize> = comments
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();

    let may_comment = view.may_issue(Action::Comment, issue);
    let may_edit = view.may_issue(Action::Edit, issue);
    let may_triage = view.may_issue(Action::Triage, issue);
    let url = issue_url(view, issue.number);
    let reply = if !draft.is_empty() {
        draft.to_owned()
    } else if quote == "issue" {
        quoted(&issue.body)
    } else if let Some(c) = quote
        .parse::<i64>()
        .ok()
        .and_then(|id| comments.iter().find(|c| c.id == id))
    {
        quoted(&c.body)
    } else {
        String::new()
    };
    let (all_labels, people) = if may_triage {
        (
            state
                .store
                .labels(view.repo.id)
                .await?
                .into_iter()
                .map(|l| l.label)
                .collect::<Vec<_>>(),
            state.forge.assignable_users(&view.repo).await?,
        )
    } else {
        Default::default()
    };
    let tab = if issue.is_pull {
        RepoTab::Pulls
    } else {
        RepoTab::Issues
    };
    let header = repo_header(state, ctx, &view.repo, tab).await?;
    let signin = format!(
        "/user/login?next={}",
        crate::pages::code::enc(&conversation_url(view, issue))
    );
    Ok(page(
        ctx,
        &format!("{} · #{}", issue.title, issue.number),
        html! {
            (header)
            div.issue-head {
                h2.issue-heading {
                    span id="issue-title" { (issue.title) } " "
                    span.muted { "#" (issue.number) }
                }
                div.issue-meta {
                    @if let Some(p) = pull { (p.badge) } @else { (state_badge(ctx, issue)) } " "
                    (author_link(ctx, issue.author.as_ref(), &issue.original_author, &issue.original_service)) " "
                    (ctx.t("issue.opened")) " " (time_ago_ms(ctx, issue.created_at))
                    " · " (ctx.tf(if issue.comment_count == 1 { "issue.comment_count_one" } else { "issue.comment_count" }, &[("n", &issue.comment_count.to_string())]))
                    @if may_edit { " · " a href=(format!("{url}/edit")) id="edit-issue" { (ctx.t("issue.edit")) } }
                }
            }
            @if let Some(p) = pull { (p.subhead) }
            @if issue.is_locked {
                div.notice role="note" id="locked-notice" { (ctx.t("issue.locked_notice")) }
            }
            div.issue-layout {
                div.timeline id="timeline" {
                    article.comment id="issue-body" {
                        header.comment-head {
                            (author_link(ctx, issue.author.as_ref(), &issue.original_author, &issue.original_service)) " " span.muted { (time_ago_ms(ctx, issue.created_at)) }
                            @if issue.version > 1 { " · " a.muted href=(format!("{url}/history")) { (ctx.t("issue.edited")) } }
                            @if may_comment { " · " a.muted href=(format!("{url}?quote=issue#reply")) { (ctx.t("issue.quote")) } }
                        }
                        div.markdown.comment-body {
                            @if issue.body.is_empty() { p.muted { (ctx.t("issue.no_description")) } }
                            @else { (PreEscaped(body_html)) }
                        }
                    }
                    @for (_, _, entry) in &timeline {
                        @match entry {
                            Entry::Comment(c) => {
                                @let html_body = comment_index.get(&c.id).and_then(|i| comment_html.get(*i)).map(String::as_str).unwrap_or("");
                                article.comment id=(format!("comment-{}", c.id)) {
                                    header.comment-head {
                                        (author_link(ctx, c.author.as_ref(), &c.original_author, &c.original_service)) " "
                                        a.muted href=(format!("#comment-{}", c.id)) { (time_ago_ms(ctx, c.created_at)) }
                                        @if c.edited() { " · " a.muted href=(format!("{url}/comments/{}/history", c.id)) { (ctx.t("issue.edited")) } }
                                        @if may_comment { " · " a.muted href=(format!("{url}?quote={}#reply", c.id)) { (ctx.t("issue.quote")) } }
                                        @if view.may_comment(Action::Edit, issue, c) { " · " a.muted href=(format!("{url}/comments/{}/edit", c.id)) { (ctx.t("issue.edit")) } }
                                        @if view.may_comment(Action::Remove, issue, c) { " " (button_form(ctx, &format!("{url}/comments/{}/delete", c.id), ctx.t("issue.delete_comment"), "btn-danger")) }
                                    }
                                    div.markdown.comment-body { (PreEscaped(html_body)) }
                                }
                            }
                            Entry::Event(e) => { (event_line(ctx, view, e)) }
                            Entry::Extra(m) => { (*m) }
                        }
                    }
                    @if let Some(p) = pull { (p.merge_box) }
                    section id="reply" {
                        @if may_comment {
                            form.stack method="post" action=(format!("{url}/comments")) id="comment-form" novalidate {
                                (csrf_input(ctx))
                                (Field::new("body", ctx.t("issue.field.comment"), &reply).input(Input::TextArea).hint(ctx.t("issue.hint.markdown")).render(ctx, errors))
                                div.buttons {
                                    button.btn.btn-primary type="submit" name="action" value="comment" id="comment-submit" { (ctx.t("issue.comment")) }
                                    @if may_edit {
                                        @if issue.is_closed {
                                            button.btn type="submit" name="action" value="reopen" id="comment-reopen" { (ctx.t("issue.reopen_with_comment")) }
                                        } @else {
                                            button.btn type="submit" name="action" value="close" id="comment-close" { (ctx.t("issue.close_with_comment")) }
                                        }
                                    }
                                }
                            }
                        } @else if ctx.user.is_none() {
                            p.muted { a href=(signin) { (ctx.t("issue.sign_in_to_comment")) } }
                        } @else if issue.is_locked {
                            p.muted { (ctx.t("issue.locked_no_comment")) }
                        }
                        @if may_edit {
                            div.buttons id="state-buttons" {
                                @if issue.is_closed {
                                    (state_form(ctx, &url, "reopen", ctx.t("issue.reopen"), "btn"))
                                } @else {
                                    (state_form(ctx, &url, "completed", ctx.t("issue.close_completed"), "btn"))
                                    (state_form(ctx, &url, "not_planned", ctx.t("issue.close_not_planned"), "btn"))
                                }
                            }
                        }
                    }
                }
                aside.issue-side {
                    @if let Some(p) = pull { (p.sidebar) }
                    section id="side-labels" {
                        h3 { (ctx.t("issue.field.labels")) }
                        @if labels.is_empty() { span.muted { (ctx.t("issue.none")) } }
                        span.labels { @for l in &labels { a href=(format!("{}?labels={}", issues_url(view), l.id)) { (label_badge(l)) } } }
                        @if may_triage {
                            details {
                                summary { (ctx.t("issue.change")) }
                                form method="post" action=(format!("{url}/labels")) id="labels-form" {
                                    (csrf_input(ctx))
                                    @for l in &all_labels {
                                        label.check { input type="checkbox" name="labels" value=(l.id) checked[labels.iter().any(|x| x.id == l.id)]; " " (label_badge(l)) }
                                    }
                                    button.btn.btn-small type="submit" { (ctx.t("issue.save")) }
                                }
                            }
                        }
                    }
                    section id="side-milestone" {
                        h3 { (ctx.t("issue.field.milestone")) }
                        @match milestone {
                            Some(m) => { a href=(format!("{}?milestone={}&state=all", issues_url(view), m.id)) { (m.title) } progress value=(m.progress()) max="100" {} }
                            None => { span.muted { (ctx.t("issue.none")) } }
                        }
                        @if may_triage {
                            details {
                                summary { (ctx.t("issue.change")) }
                                form method="post" action=(format!("{url}/milestone")) id="milestone-form" {
                                    (csrf_input(ctx))
                                    select name="milestone" {
                                        option value="" { (ctx.t("issue.no_milestone")) }
                                        @for m in milestones.iter().filter(|m| !m.is_closed || issue.milestone_id == Some(m.id)) {
                                            option value=(m.id) selected[issue.milestone_id == Some(m.id)] { (m.title) }
                                        }
                                    }
                                    button.btn.btn-small type="submit" { (ctx.t("issue.save")) }
                                }
                            }
                        }
                    }
                    section id="side-assignees" {
                        h3 { (ctx.t("issue.field.assignees")) }
                        @if assignees.is_empty() { span.muted { (ctx.t("issue.none")) } }
                        @for p in &assignees { div { (person_link(ctx, Some(p))) } }
                        @if may_triage {
                            details {
                                summary { (ctx.t("issue.change")) }
                                form method="post" action=(format!("{url}/assignees")) id="assignees-form" {
                                    (csrf_input(ctx))
                                    @for p in &people {
                                        label.check { input type="checkbox" name="assignees" value=(p.id) checked[assignees.iter().any(|a| a.id == p.id)]; " " (p.name) }
                                    }
                                    button.btn.btn-small type="submit" { (ctx.t("issue.save")) }
                                }
                            }
                        }
                    }
                    @if may_triage {
                        section id="side-lock" {
                            @if issue.is_locked {
                                (button_form(ctx, &format!("{url}/lock?locked=0"), ctx.t("issue.unlock"), ""))
                            } @else {
                                (button_form(ctx, &format!("{url}/lock?locked=1"), ctx.t("issue.lock"), ""))
                            }
                        }
                    }
                }
            }
        },
    ))
}

fn state_form(ctx: &Ctx, url: &str, to: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline-form method="post" action=(format!("{url}/state")) {
            (csrf_input(ctx))
            input type="hidden" name="to" value=(to);
            button class=(class) type="submit" id=(format!("state-{to}")) { (label) }
        }
    }
}

fn event_line(ctx: &Ctx, view: &RepoView, e: &IssueEvent) -> Markup {
    let base = format!("/{}/{}", view.repo.owner_name, view.repo.name);
    let commit_link = |repo: Option<&hatchery_store::RepoRef>, id: &str| {
        let short: String = id.chars().take(10).collect();
        let href = match repo {
            Some(r) => format!("/{}/{}/commit/{id}", r.owner_name, r.name),
            None => format!("{base}/commit/{id}"),
        };
        html! { a.commit-id href=(href) { code { (short) } } }
    };
    let label = || match &e.label {
        Some(l) => label_badge(l),
        None => html! { span.label.label-deleted { (e.value.as_deref().unwrap_or("")) } },
    };
    html! {
        div.event id=(format!("event-{}", e.id)) data-kind=(e.kind.as_str()) {
            (person_link(ctx, e.actor.as_ref())) " "
            @match e.kind {
                EventKind::Labeled => { (ctx.t("issue.event.labeled")) " " (label()) }
                EventKind::Unlabeled => { (ctx.t("issue.event.unlabeled")) " " (label()) }
                EventKind::Assigned => { (ctx.t("issue.event.assigned")) " " (person_link(ctx, e.subject.as_ref())) }
                EventKind::Unassigned => { (ctx.t("issue.event.unassigned")) " " (person_link(ctx, e.subject.as_ref())) }
                EventKind::Milestoned => { (ctx.t("issue.event.milestoned")) " " strong { (e.value.as_deref().unwrap_or("")) } }
                EventKind::Demilestoned => { (ctx.t("issue.event.demilestoned")) " " strong { (e.value.as_deref().unwrap_or("")) } }
                EventKind::Closed => {
                    @if let Some(id) = &e.commit_id {
                        (ctx.t("issue.event.closed_by_commit")) " " (commit_link(e.ref_repo.as_ref(), id))
                    } @else if e.value.as_deref() == Some(hatchery_store::HEAD_DELETED) {
                        (ctx.t("forks.closed_head_deleted"))
                    } @else if e.value.as_deref() == Some("not_planned") {
                        (ctx.t("issue.event.closed_not_planned"))
                    } @else {
                        (ctx.t("issue.event.closed"))
                    }
                }
                EventKind::Reopened => { (ctx.t("issue.event.reopened")) }
                EventKind::Renamed => {
                    (ctx.t("issue.event.renamed")) " "
                    del { (e.old_value.as_deref().unwrap_or("")) } " → " ins { (e.value.as_deref().unwrap_or("")) }
                }
                EventKind::Locked => { (ctx.t("issue.event.locked")) }
                EventKind::Unlocked => { (ctx.t("issue.event.unlocked")) }
                EventKind::RefIssue => {
                    @if let Some(r) = &e.ref_issue {
                        (ctx.t("issue.event.ref_issue")) " "
                        a href=(format!("/{}/{}/issues/{}{}", r.owner_name, r.repo_name, r.number,
                            e.ref_comment_id.map(|c| format!("#comment-{c}")).unwrap_or_default())) {
                            @if r.repo_id != view.repo.id { (r.owner_name) "/" (r.repo_name) }
                            "#" (r.number) " " (r.title)
                        }
                    }
                }
                EventKind::RefCommit => {
                    (ctx.t("issue.event.ref_commit")) " "
                    @if let Some(id) = &e.commit_id { (commit_link(e.ref_repo.as_ref(), id)) }
                }
                EventKind::Pushed => {
                    (ctx.tf("pulls.event.pushed", &[("count", e.value.as_deref().unwrap_or("0"))])) " "
                    @if let Some(id) = &e.commit_id { (commit_link(None, id)) }
                }
                EventKind::ForcePushed => {
                    (ctx.t("pulls.event.force_pushed")) " "
                    @if let Some(id) = &e.old_value { (commit_link(None, id)) }
                    " → "
                    @if let Some(id) = &e.commit_id { (commit_link(None, id)) }
                }
                EventKind::Merged => {
                    (ctx.t("pulls.event.merged")) " "
                    @if let Some(id) = &e.commit_id { (commit_link(None, id)) }
                }
            }
            " " span.muted { (time_ago_ms(ctx, e.created_at)) }
        }
    }
}

// ---- changes ----

async fn load_issue(
    state: &AppState,
    ctx: &Ctx,
    owner: &str,
    name: &str,
    number: &str,
) -> WebResult<(RepoView, Issue)> {
    let view = view_of(state, ctx, owner, name).await?;
    let issue = issue_of(state, &view, number).await?;
    Ok((view, issue))
}

fn back_to(view: &RepoView, issue: &Issue) -> Response {
    Redirect::to(&conversation_url(view, issue)).into_response()
}

#[derive(Deserialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    action: String,
}

pub async fn comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(form): Form<CommentForm>,
) -> WebResult<Response> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    let change_state = match form.action.as_str() {
        "close" => Some(Some(CloseReason::Completed)),
        "reopen" => Some(None),
        _ => None,
    };
    let mut comment_id = None;
    // "Close with comment" with an empty box just closes.
    if change_state.is_none() || !form.body.trim().is_empty() {
        match state.forge.comment_on(&view, &issue, &form.body).await {
            Ok(c) => comment_id = Some(c.id),
            Err(e) => {
                let mut errors = FormErrors::default();
                if !form_errors(&e, &mut errors) {
                    return Err(refused(&e, &ctx.path));
                }
                let page = if issue.is_pull {
                    crate::pages::pulls::conversation(
                        &state, &ctx, &view, &issue, "", &form.body, &errors, None,
                    )
                    .await?
                } else {
                    issue_page(&state, &ctx, &view, &issue, "", &form.body, &errors, None).await?
                };
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
        }
    }
    if let Some(close) = change_state {
        let update = IssueUpdate {
            state: Some(close),
            ..IssueUpdate::default()
        };
        state
            .forge
            .update_issue(&view, &issue, update)
            .await
            .map_err(|e| refused(&e, &ctx.path))?;
    }
    let mut to = conversation_url(&view, &issue);
    if let Some(id) = comment_id {
        to.push_str(&format!("#comment-{id}"));
    }
    Ok(Redirect::to(&to).into_response())
}

#[derive(Deserialize, Default)]
pub struct StateForm {
    #[serde(default)]
    to: String,
}

pub async fn set_state(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(form): Form<StateForm>,
) -> WebResult<Response> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    let close = match form.to.as_str() {
        "reopen" => None,
        reason => Some(
            reason
                .parse::<CloseReason>()
                .map_err(|()| WebError::BadRequest("error.400.form"))?,
        ),
    };
    let update = IssueUpdate {
        state: Some(close),
        ..IssueUpdate::default()
    };
    state
        .forge
        .update_issue(&view, &issue, update)
        .await
        .map_err(|e| refused(&e, &ctx.path))?;
    Ok(back_to(&view, &issue))
}

#[derive(Deserialize, Default)]
pub struct LockQuery {
    #[serde(default)]
    locked: String,
}

pub async fn lock(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Query(q): Query<LockQuery>,
) -> WebResult<Response> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    let update = IssueUpdate {
        locked: Some(q.locked == "1"),
        ..IssueUpdate::default()
    };
    state
        .forge
        .update_issue(&view, &issue, update)
        .await
        .map_err(|e| refused(&e, &ctx.path))?;
    Ok(back_to(&view, &issue))
}

/// Where a triage change that names something unknown ends: back on the issue, saying so.
fn triage_result(
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    r: Result<Issue, IssueError>,
) -> WebResult<Response> {
    let url = conversation_url(view, issue);
    match r {
        Ok(_) => Ok(Redirect::to(&url).into_response()),
        Err(IssueError::Unknown(what)) => Ok(flash_redirect(
            ctx,
            FlashKind::Error,
            match what {
                "milestone" => "error.issue.unknown_milestone",
                "assignee" => "error.issue.unknown_assignee",
                _ => "error.issue.unknown_label",
            },
            &url,
        )),
        Err(e) => Err(refused(&e, &ctx.path)),
    }
}

pub async fn set_labels(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    let update = IssueUpdate {
        label_ids: Some(form::ids(&pairs, "labels")?),
        ..IssueUpdate::default()
    };
    let r = state.forge.update_issue(&view, &issue, update).await;
    triage_result(&ctx, &view, &issue, r)
}

pub async fn set_milestone(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    let update = IssueUpdate {
        milestone_id: Some(form::ids(&pairs, "milestone")?.first().copied()),
        ..IssueUpdate::default()
    };
    let r = state.forge.update_issue(&view, &issue, update).await;
    triage_result(&ctx, &view, &issue, r)
}

pub async fn set_assignees(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    let update = IssueUpdate {
        assignee_ids: Some(form::ids(&pairs, "assignees")?),
        ..IssueUpdate::default()
    };
    let r = state.forge.update_issue(&view, &issue, update).await;
    triage_result(&ctx, &view, &issue, r)
}

// ---- edits and their history ----

#[derive(Deserialize, Default, Clone)]
pub struct EditForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    version: String,
}

async fn edit_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    comment: Option<&Comment>,
    form: &EditForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, &view.repo, RepoTab::Issues).await?;
    let url = issue_url(view, issue.number);
    let (action, current) = match comment {
        Some(c) => (format!("{url}/comments/{}/edit", c.id), c.body.as_str()),
        None => (format!("{url}/edit"), issue.body.as_str()),
    };
    let stale = errors.message(ctx, "body").is_some()
        && form.version.parse::<i64>().ok() != Some(comment.map_or(issue.version, |c| c.version));
    Ok(page(
        ctx,
        ctx.t("issue.edit"),
        html! {
            (header)
            h2 { (ctx.t(if comment.is_some() { "issue.edit_comment" } else { "issue.edit_issue" })) " " a href=(url) { "#" (issue.number) } }
            @if stale {
                div.notice role="alert" id="stale-notice" {
                    p { (ctx.t("error.issue.stale")) }
                    details open {
                        summary { (ctx.t("issue.current_version")) }
                        pre.plain { (current) }
                    }
                }
            }
            form.stack method="post" action=(action) id="issue-edit-form" novalidate {
                (csrf_input(ctx))
                input type="hidden" name="version" value=(comment.map_or(issue.version, |c| c.version));
                @if comment.is_none() {
                    (Field::new("title", ctx.t("issue.field.title"), &form.title).required().render(ctx, errors))
                }
                (Field::new("body", ctx.t("issue.field.body"), &form.body).input(Input::TextArea).hint(ctx.t("issue.hint.markdown")).render(ctx, errors))
                div.buttons {
                    button.btn.btn-primary type="submit" id="edit-submit" { (ctx.t("issue.save")) }
                    a.btn href=(url) { (ctx.t("issue.cancel")) }
                }
            }
        },
    ))
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    if !view.may_issue(Action::Edit, &issue) {
        return Err(deny(&view, &ctx, Resource::Issue(view.issue_facts(&issue))));
    }
    let form = EditForm {
        title: issue.title.clone(),
        body: issue.body.clone(),
        version: issue.version.to_string(),
    };
    edit_page(
        &state,
        &ctx,
        &view,
        &issue,
        None,
        &form,
        &FormErrors::default(),
    )
    .await
}

fn deny(view: &RepoView, ctx: &Ctx, resource: Resource) -> WebError {
    match authorize(view.actor, Action::Edit, resource) {
        hatchery_core::Decision::Deny(d) => WebError::from_denial(d, &ctx.path),
        hatchery_core::Decision::Allow => WebError::Forbidden,
    }
}

fn version_of(form: &EditForm) -> WebResult<i64> {
    form.version
        .parse()
        .map_err(|_| WebError::BadRequest("error.400.form"))
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(form): Form<EditForm>,
) -> WebResult<Response> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    let version = version_of(&form)?;
    let update = IssueUpdate {
        text: Some(TextUpdate {
            version,
            title: form.title.clone(),
            body: form.body.clone(),
        }),
        ..IssueUpdate::default()
    };
    match state.forge.update_issue(&view, &issue, update).await {
        Ok(_) => Ok(back_to(&view, &issue)),
        Err(e) => edit_failed(&state, &ctx, &view, issue.id, None, &form, e).await,
    }
}

async fn edit_failed(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue_id: i64,
    comment: Option<i64>,
    form: &EditForm,
    e: IssueError,
) -> WebResult<Response> {
    let mut errors = FormErrors::default();
    if !form_errors(&e, &mut errors) {
        return Err(refused(&e, &ctx.path));
    }
    let status = if matches!(e, IssueError::Stale) {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // Reload, so a conflict shows what was saved meanwhile.
    let issue = state
        .store
        .issue_by_id(issue_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let fresh_comment = match comment {
        Some(id) => Some(state.store.comment(id).await?.ok_or(WebError::NotFound)?),
        None => None,
    };
    Ok((
        status,
        edit_page(
            state,
            ctx,
            view,
            &issue,
            fresh_comment.as_ref(),
            form,
            &errors,
        )
        .await?,
    )
        .into_response())
}

async fn load_comment(
    state: &AppState,
    ctx: &Ctx,
    owner: &str,
    name: &str,
    number: &str,
    id: &str,
) -> WebResult<(RepoView, Issue, Comment)> {
    let (view, issue) = load_issue(state, ctx, owner, name, number).await?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let comment = state
        .forge
        .issue_comment(&issue, id)
        .await
        .map_err(|e| refused(&e, &ctx.path))?;
    Ok((view, issue, comment))
}

pub async fn edit_comment_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number, id)): Path<(String, String, String, String)>,
) -> WebResult<Markup> {
    let (view, issue, comment) = load_comment(&state, &ctx, &owner, &name, &number, &id).await?;
    if !view.may_comment(Action::Edit, &issue, &comment) {
        return Err(deny(
            &view,
            &ctx,
            Resource::Comment(view.comment_facts(&issue, &comment)),
        ));
    }
    let form = EditForm {
        title: String::new(),
        body: comment.body.clone(),
        version: comment.version.to_string(),
    };
    edit_page(
        &state,
        &ctx,
        &view,
        &issue,
        Some(&comment),
        &form,
        &FormErrors::default(),
    )
    .await
}

pub async fn edit_comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number, id)): Path<(String, String, String, String)>,
    Form(form): Form<EditForm>,
) -> WebResult<Response> {
    let (view, issue, comment) = load_comment(&state, &ctx, &owner, &name, &number, &id).await?;
    let version = version_of(&form)?;
    match state
        .forge
        .edit_comment(&view, &issue, &comment, version, &form.body)
        .await
    {
        Ok(c) => Ok(Redirect::to(&format!(
            "{}#comment-{}",
            conversation_url(&view, &issue),
            c.id
        ))
        .into_response()),
        Err(e) => edit_failed(&state, &ctx, &view, issue.id, Some(comment.id), &form, e).await,
    }
}

pub async fn delete_comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number, id)): Path<(String, String, String, String)>,
) -> WebResult<Response> {
    let (view, issue, comment) = load_comment(&state, &ctx, &owner, &name, &number, &id).await?;
    state
        .forge
        .delete_comment(&view, &issue, &comment)
        .await
        .map_err(|e| refused(&e, &ctx.path))?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "issue.comment_deleted",
        &conversation_url(&view, &issue),
    ))
}

async fn history_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    comment: Option<&Comment>,
) -> WebResult<Markup> {
    let revisions = state
        .store
        .revisions(issue.id, comment.map(|c| c.id))
        .await?;
    let header = repo_header(state, ctx, &view.repo, RepoTab::Issues).await?;
    let url = issue_url(view, issue.number);
    Ok(page(
        ctx,
        ctx.t("issue.history"),
        html! {
            (header)
            h2 { (ctx.t("issue.history")) " " a href=(url) { "#" (issue.number) } }
            @if revisions.is_empty() { div.empty { (ctx.t("issue.history_empty")) } }
            ol.revisions id="revisions" {
                @for r in &revisions {
                    li.revision {
                        div.muted { (ctx.t("issue.edited_by")) " " (person_link(ctx, r.editor.as_ref())) " " (time_ago_ms(ctx, r.created_at)) }
                        @if let Some(t) = &r.title { p { strong { (t) } } }
                        pre.plain { (r.body) }
                    }
                }
            }
        },
    ))
}

pub async fn issue_history(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let (view, issue) = load_issue(&state, &ctx, &owner, &name, &number).await?;
    history_page(&state, &ctx, &view, &issue, None).await
}

pub async fn comment_history(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number, id)): Path<(String, String, String, String)>,
) -> WebResult<Markup> {
    let (view, issue, comment) = load_comment(&state, &ctx, &owner, &name, &number, &id).await?;
    history_page(&state, &ctx, &view, &issue, Some(&comment)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use hatchery_core::validate::FieldError;

    #[test]
    fn list_urls_keep_filters_and_drop_empty_values() {
        let q = ListQuery {
            state: "closed".into(),
            labels: "3".into(),
            q: "crash & burn".into(),
            page: "2".into(),
            ..ListQuery::default()
        };
        assert_eq!(
            q.url("/o/r/issues", &[("page", "")]),
            "/o/r/issues?state=closed&labels=3&q=crash+%26+burn"
        );
        assert_eq!(ListQuery::default().url("/o/r/issues", &[]), "/o/r/issues");
    }

    #[test]
    fn quoting() {
        assert_eq!(quoted("a\nb"), "> a\n> b\n\n");
    }

    #[test]
    fn field_error_is_used() {
        let mut errors = FormErrors::default();
        assert!(form_errors(
            &IssueError::Field {
                field: "title",
                error: FieldError::Required
            },
            &mut errors
        ));
        assert!(!errors.is_empty());
    }
}
