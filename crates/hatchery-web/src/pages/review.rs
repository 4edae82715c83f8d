//! Code review on the pull-request pages: comments on diff lines and ranges (a form under
//! the line, opened by a link, so it works without JavaScript), single or into the
//! viewer's pending review; threads shown under their lines with replies, resolving and
//! the "outdated" marker; the review box (Comment / Approve / Request changes, with the
//! pending comments); reviews and their threads in the conversation's timeline; the
//! reviewers sidebar (requested reviewers and each one's latest verdict; request,
//! re-request, remove).
//!
//! Every change goes through `hatchery_service::reviews`, which applies the policy; the
//! files page's diff is cached for everyone, and the viewer's threads and forms are put
//! into it after the rows of their lines ([`splice_rows`]).

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_core::Action;
use hatchery_core::reviews::{
    ReviewError as RuleError, ReviewEvent, ReviewState, Side, Verdict, latest_verdicts,
};
use hatchery_git::Diff;
use hatchery_service::issues::RepoView;
use hatchery_service::reviews::{LineCommentInput, ReviewError, ReviewInput};
use hatchery_store::{Issue, PullRequest, Review, ReviewComment};
use maud::{Markup, PreEscaped, html};

use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::form::{self, Form, csrf_input};
use crate::pages::code::time_ago_ms;
use crate::pages::history::line_anchor;
use crate::pages::issues::{refused, render_texts, view_of};
use crate::state::AppState;
use crate::views::person_link;

// ---- where a form comes back to ----

/// The page a review form was posted from, and goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Back {
    Conversation,
    /// The files page with its layout choices.
    Files {
        split: bool,
        whitespace_blind: bool,
    },
}

impl Back {
    fn from_form(pairs: &[(String, String)]) -> Back {
        match form::value(pairs, "back") {
            "files" => Back::Files {
                split: form::value(pairs, "style") == "split",
                whitespace_blind: form::value(pairs, "w") == "1",
            },
            _ => Back::Conversation,
        }
    }

    fn inputs(self) -> Markup {
        match self {
            Back::Conversation => html! { input type="hidden" name="back" value="conversation"; },
            Back::Files {
                split,
                whitespace_blind,
            } => html! {
                input type="hidden" name="back" value="files";
                @if split { input type="hidden" name="style" value="split"; }
                @if whitespace_blind { input type="hidden" name="w" value="1"; }
            },
        }
    }

    pub(crate) fn url(self, view: &RepoView, number: i64) -> String {
        let pull = format!(
            "/{}/{}/pulls/{number}",
            view.repo.owner_name, view.repo.name
        );
        match self {
            Back::Conversation => pull,
            Back::Files {
                split,
                whitespace_blind,
            } => crate::pages::pulls::files_url(&format!("{pull}/files"), split, whitespace_blind),
        }
    }
}

// ---- refusals ----

/// The catalog key explaining a review rule's refusal.
fn rule_key(e: &RuleError) -> &'static str {
    match e {
        RuleError::EmptyComment => "review.error.empty_comment",
        RuleError::OwnApprove => "review.error.own_approve",
        RuleError::OwnRequestChanges => "review.error.own_request_changes",
        RuleError::BadEvent => "review.error.bad_event",
        RuleError::NotPending => "review.error.not_pending",
        RuleError::BadPath => "review.error.bad_path",
        RuleError::BadLine => "review.error.bad_line",
        RuleError::TooLong => "review.error.too_long",
        RuleError::EmptyBody => "review.error.empty_body",
        RuleError::BadCommit => "error.400.form",
    }
}

/// The answer to a refusal no form explains.
pub(crate) fn review_refused(e: ReviewError, path: &str) -> WebError {
    match e {
        ReviewError::Issue(e) => refused(&e, path),
        ReviewError::NotFound => WebError::NotFound,
        ReviewError::Rule(r) => WebError::BadRequest(rule_key(&r)),
        ReviewError::NotReviewer(_) | ReviewError::UnknownUser(_) | ReviewError::UnknownTeam(_) => {
            WebError::BadRequest("review.error.not_reviewer")
        }
        ReviewError::NotDismissable => WebError::BadRequest("error.400.form"),
    }
}

// ---- threads ----

/// A line comment and the replies to it, oldest first.
pub(crate) struct Thread<'a> {
    pub root: &'a ReviewComment,
    pub replies: Vec<&'a ReviewComment>,
}

impl Thread<'_> {
    fn comments(&self) -> impl Iterator<Item = &ReviewComment> {
        std::iter::once(self.root).chain(self.replies.iter().copied())
    }

    fn side_char(&self) -> char {
        match self.root.side {
            Side::Left => 'L',
            Side::Right => 'R',
        }
    }
}

/// The threads of these comments, by their first comment's id. A reply whose first
/// comment is not among them (someone else's pending one) is left out.
pub(crate) fn threads(comments: &[ReviewComment]) -> Vec<Thread<'_>> {
    let mut out: Vec<Thread<'_>> = comments
        .iter()
        .filter(|c| c.reply_to.is_none())
        .map(|root| Thread {
            root,
            replies: Vec::new(),
        })
        .collect();
    let at: HashMap<i64, usize> = out
        .iter()
        .enumerate()
        .map(|(i, t)| (t.root.id, i))
        .collect();
    for c in comments {
        if let Some(i) = c.reply_to.and_then(|r| at.get(&r)) {
            out[*i].replies.push(c);
        }
    }
    out
}

/// What a thread's forms may do for the viewer.
#[derive(Clone, Copy)]
pub(crate) struct ThreadRights {
    pub reply: bool,
    pub resolve: bool,
}

fn lines_label(ctx: &Ctx, c: &ReviewComment) -> String {
    match c.start_line {
        Some(s) if s != c.line => ctx.tf(
            "review.lines",
            &[("start", &s.to_string()), ("end", &c.line.to_string())],
        ),
        _ => ctx.tf("review.line", &[("n", &c.line.to_string())]),
    }
}

/// One thread: its place (when `files_url` is given: on the conversation page, or outside
/// the shown diff), its comments, the reply form and the resolve button.
pub(crate) fn thread_html(
    ctx: &Ctx,
    pull_url: &str,
    thread: &Thread<'_>,
    bodies: &HashMap<i64, String>,
    rights: ThreadRights,
    back: Back,
    place: Option<&str>,
) -> Markup {
    let root = thread.root;
    let resolved = root.resolved_at.is_some();
    let pending_root = root.review_state == ReviewState::Pending;
    let comments = html! {
        @for c in thread.comments() {
            div.review-comment id=(format!("review-comment-{}", c.id)) {
                div.comment-head {
                    (person_link(ctx, c.author.as_ref())) " "
                    a.muted href=(format!("#review-comment-{}", c.id)) { (time_ago_ms(ctx, c.created_at)) }
                    @if c.review_state == ReviewState::Pending { " " span.badge.badge-pending { (ctx.t("code_review.state_pending")) } }
                }
                div.markdown.comment-body { (PreEscaped(bodies.get(&c.id).map_or("", String::as_str))) }
            }
        }
    };
    html! {
        div.review-thread.resolved[resolved] id=(format!("thread-{}", root.id)) data-path=(root.path) {
            div.thread-head {
                @if let Some(files) = place {
                    a.thread-place href=(format!("{files}#thread-{}", root.id)) { code { (root.path) } } " "
                }
                span.muted { (lines_label(ctx, root)) }
                @if root.side == Side::Left { " " span.muted { (ctx.t("review.old_side")) } }
                " "
                @if root.outdated { span.badge.badge-outdated title=(ctx.t("review.outdated_hint")) { (ctx.t("review.outdated")) } " " }
                @if resolved {
                    span.badge.badge-resolved { (ctx.t("review.resolved")) }
                    @if let Some(by) = &root.resolved_by { " " span.muted { (ctx.t("review.resolved_by")) " " (person_link(ctx, Some(by))) } }
                }
            }
            @if resolved {
                details.thread-fold {
                    summary { (ctx.t("review.show_resolved")) }
                    (comments)
                }
            } @else {
                (comments)
            }
            @if rights.reply {
                details.thread-reply {
                    summary { (ctx.t("review.reply")) }
                    form.stack method="post" action=(format!("{pull_url}/threads/{}/reply", root.id)) {
                        (csrf_input(ctx))
                        (back.inputs())
                        textarea name="body" required aria-label=(ctx.t("review.reply")) {}
                        div { button.btn.btn-small.btn-primary type="submit" { (ctx.t("review.reply")) } }
                    }
                }
            }
            @if rights.resolve && !pending_root {
                form.inline-form method="post" action=(format!("{pull_url}/threads/{}/resolve", root.id)) {
                    (csrf_input(ctx))
                    (back.inputs())
                    input type="hidden" name="resolved" value=(if resolved { "0" } else { "1" });
                    button.btn.btn-small type="submit" { (ctx.t(if resolved { "review.unresolve" } else { "review.resolve" })) }
                }
            }
        }
    }
}

/// Renders the bodies of these comments (Markdown, references resolved for the viewer).
async fn render_bodies<'a>(
    state: &AppState,
    view: &RepoView,
    comments: impl Iterator<Item = (i64, &'a str)>,
) -> WebResult<HashMap<i64, String>> {
    let (ids, texts): (Vec<i64>, Vec<String>) = comments.map(|(i, t)| (i, t.to_owned())).unzip();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rendered = render_texts(state, view, texts).await?;
    Ok(ids.into_iter().zip(rendered).collect())
}

/// Puts each of `inserts` (anchor → HTML) in a row of its own after the row holding the
/// cell with that id. Returns the HTML and the anchors that are not in it.
pub(crate) fn splice_rows(
    html: &str,
    inserts: &HashMap<String, Vec<Markup>>,
    columns: u32,
) -> (String, HashSet<String>) {
    let mut at: Vec<(usize, &str, &[Markup])> = Vec::new();
    let mut missing = HashSet::new();
    for (anchor, parts) in inserts {
        let needle = format!(" id=\"{anchor}\"");
        let found = html
            .find(&needle)
            .and_then(|i| html[i..].find("</tr>").map(|j| i + j + "</tr>".len()));
        match found {
            Some(pos) => at.push((pos, anchor, parts)),
            None => {
                missing.insert(anchor.clone());
            }
        }
    }
    at.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    let mut out = String::with_capacity(html.len() + at.len() * 512);
    let mut from = 0;
    for (pos, anchor, parts) in at {
        out.push_str(&html[from..pos]);
        out.push_str(
            &html! {
                tr.diff-thread-row data-anchor=(anchor) {
                    td colspan=(columns) { @for p in parts { (p) } }
                }
            }
            .into_string(),
        );
        from = pos;
    }
    out.push_str(&html[from..]);
    (out, missing)
}

// ---- the files page ----

/// A line-comment form to show: the line, and what was typed when it came back refused.
#[derive(Debug, Clone, Default)]
pub(crate) struct LineDraft {
    pub path: String,
    pub side: Option<Side>,
    pub line: u32,
    pub start_line: String,
    pub body: String,
    pub error: Option<&'static str>,
}

/// The review box's text and error when a submission came back refused.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReviewDraft {
    pub body: String,
    pub event: String,
    pub error: Option<&'static str>,
}

/// What the files page shows of the review: the review box, the diff with threads and
/// the form, and the threads that have no line in the shown diff.
pub(crate) struct FilesReview {
    pub review_box: Markup,
    pub diff: String,
    pub elsewhere: Markup,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn files_review(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    diff: Option<&Diff>,
    diff_html: &str,
    back: Back,
    line: Option<&LineDraft>,
    review: Option<&ReviewDraft>,
) -> WebResult<FilesReview> {
    let pull_url = Back::Conversation.url(view, issue.number);
    let files_url = back.url(view, issue.number);
    let may_comment = ctx.user.is_some() && view.may_issue(Action::Comment, issue);
    let rights = ThreadRights {
        reply: may_comment,
        resolve: ctx.user.is_some() && view.may_issue(Action::Edit, issue),
    };
    let comments = state
        .forge
        .pull_line_comments(view, issue)
        .await
        .map_err(|e| review_refused(e, &ctx.path))?;
    let bodies = render_bodies(
        state,
        view,
        comments.iter().map(|c| (c.id, c.body.as_str())),
    )
    .await?;
    let all = threads(&comments);
    // Which file of the shown diff each (side, path) is.
    let mut files: HashMap<(char, &str), usize> = HashMap::new();
    for (i, f) in diff
        .map(|d| d.files.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if let Some(p) = &f.old_path {
            files.entry(('L', p.as_str())).or_insert(i);
        }
        if let Some(p) = &f.new_path {
            files.entry(('R', p.as_str())).or_insert(i);
        }
    }
    let anchor_of = |side: char, path: &str, line: i64| {
        let n = u32::try_from(line).ok()?;
        files.get(&(side, path)).map(|i| line_anchor(*i, side, n))
    };
    let mut inserts: HashMap<String, Vec<Markup>> = HashMap::new();
    let mut placed: Vec<(String, &Thread<'_>)> = Vec::new();
    let mut elsewhere: Vec<&Thread<'_>> = Vec::new();
    for t in &all {
        match (!t.root.outdated)
            .then(|| anchor_of(t.side_char(), &t.root.path, t.root.line))
            .flatten()
        {
            Some(a) => placed.push((a, t)),
            None => elsewhere.push(t),
        }
    }
    for (a, t) in &placed {
        inserts
            .entry(a.clone())
            .or_default()
            .push(thread_html(ctx, &pull_url, t, &bodies, rights, back, None));
    }
    let pending = own_pending(state, view, issue).await?;
    let form_anchor = line.filter(|_| may_comment).and_then(|d| {
        let side = match d.side? {
            Side::Left => 'L',
            Side::Right => 'R',
        };
        anchor_of(side, &d.path, i64::from(d.line)).map(|a| (a, d))
    });
    if let Some((a, d)) = &form_anchor {
        inserts.entry(a.clone()).or_default().push(line_form(
            ctx,
            &pull_url,
            &files_url,
            a,
            d,
            back,
            pending.is_some(),
        ));
    }
    let columns = match back {
        Back::Files { split: true, .. } => 4,
        _ => 3,
    };
    let (html_out, missing) = splice_rows(diff_html, &inserts, columns);
    // A thread whose line is not shown (hidden by ?w=1, or cut by a limit) is listed apart.
    for (a, t) in &placed {
        if missing.contains(a) {
            elsewhere.push(t);
        }
    }
    elsewhere.sort_by_key(|t| t.root.id);
    // A refused comment whose line is not in the diff cannot show its form there.
    let unplaced_error = line.filter(|_| form_anchor.is_none()).and_then(|d| d.error);
    let elsewhere_html = html! {
        @if let Some(e) = unplaced_error {
            div.notice.notice-error role="alert" id="line-comment-error" { (ctx.t(e)) }
        }
        @if !elsewhere.is_empty() {
            section.card.review-elsewhere id="review-elsewhere" {
                h3 { (ctx.t("review.elsewhere")) }
                p.muted { (ctx.t("review.elsewhere_hint")) }
                @for t in &elsewhere { (thread_html(ctx, &pull_url, t, &bodies, rights, back, Some(&files_url))) }
            }
        }
    };
    let review_box = if may_comment {
        review_box(ctx, view, issue, &pull_url, pending.as_ref(), back, review)
    } else {
        html! {}
    };
    Ok(FilesReview {
        review_box,
        diff: html_out,
        elsewhere: elsewhere_html,
    })
}

/// The viewer's pending review of this request, if any.
async fn own_pending(
    state: &AppState,
    view: &RepoView,
    issue: &Issue,
) -> WebResult<Option<Review>> {
    let Some(me) = view.actor.user_id() else {
        return Ok(None);
    };
    Ok(state
        .forge
        .reviews(view, issue)
        .await
        .map_err(|e| review_refused(e, ""))?
        .into_iter()
        .find(|r| r.state == ReviewState::Pending && r.reviewer_id() == Some(me)))
}

fn line_form(
    ctx: &Ctx,
    pull_url: &str,
    files_url: &str,
    anchor: &str,
    d: &LineDraft,
    back: Back,
    has_pending: bool,
) -> Markup {
    let side = match d.side {
        Some(Side::Left) => "LEFT",
        _ => "RIGHT",
    };
    html! {
        form.stack.line-comment-form method="post" action=(format!("{pull_url}/files/comments")) id="line-comment-form" {
            (csrf_input(ctx))
            (back.inputs())
            input type="hidden" name="path" value=(d.path);
            input type="hidden" name="side" value=(side);
            input type="hidden" name="line" value=(d.line);
            p.muted {
                (ctx.t("review.commenting_on")) " " code { (d.path) } " "
                (ctx.tf("review.line", &[("n", &d.line.to_string())]))
                @if d.side == Some(Side::Left) { " " (ctx.t("review.old_side")) }
            }
            @if let Some(e) = d.error {
                div.notice.notice-error role="alert" id="line-comment-error" { (ctx.t(e)) }
            }
            label.field {
                span { (ctx.t("review.start_line")) }
                input type="number" name="start_line" id="f-start_line" min="1" max=(d.line) value=(d.start_line) inputmode="numeric";
                small.hint { (ctx.t("review.start_line_hint")) }
            }
            label.field {
                span { (ctx.t("review.comment")) }
                textarea name="body" id="f-line-body" required autofocus { (d.body) }
            }
            div.buttons {
                button.btn type="submit" name="action" value="single" id="line-comment-single" { (ctx.t("review.add_single")) }
                button.btn.btn-primary type="submit" name="action" value="review" id="line-comment-review" {
                    (ctx.t(if has_pending { "review.add_to_review" } else { "review.start_review" }))
                }
                a.btn href=(format!("{files_url}#{anchor}")) { (ctx.t("action.cancel")) }
            }
        }
    }
}

fn review_box(
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    pull_url: &str,
    pending: Option<&Review>,
    back: Back,
    draft: Option<&ReviewDraft>,
) -> Markup {
    let author = view.actor.user_id().is_some()
        && issue.author.as_ref().map(|p| p.id) == view.actor.user_id();
    let held = pending.map_or(0, |r| r.comment_count);
    let chosen = draft.map_or("comment", |d| d.event.as_str());
    let events: &[(&str, &str)] = if author {
        &[("comment", "review.event.comment")]
    } else {
        &[
            ("comment", "review.event.comment"),
            ("approve", "review.event.approve"),
            ("request_changes", "review.event.request_changes"),
        ]
    };
    html! {
        details.review-box.card id="review-box" open[draft.is_some()] {
            summary.btn.btn-primary id="review-box-toggle" {
                (ctx.t("review.box.title"))
                @if held > 0 { " " span.counter id="review-pending-count" { (held) } }
            }
            form.stack method="post" action=(format!("{pull_url}/reviews")) id="review-form" {
                (csrf_input(ctx))
                (back.inputs())
                @if let Some(e) = draft.and_then(|d| d.error) {
                    div.notice.notice-error role="alert" id="review-error" { (ctx.t(e)) }
                }
                p.muted id="review-pending" {
                    @if held > 0 { (ctx.tf("review.box.pending", &[("n", &held.to_string())])) }
                    @else { (ctx.t("review.box.no_pending")) }
                }
                label.field {
                    span { (ctx.t("review.box.body")) }
                    textarea name="body" id="f-review-body" { (draft.map_or("", |d| d.body.as_str())) }
                }
                fieldset.checks {
                    legend { (ctx.t("review.box.verdict")) }
                    @for (value, key) in events {
                        label.check {
                            input type="radio" name="event" value=(value) checked[*value == chosen];
                            " " (ctx.t(key))
                        }
                    }
                }
                div { button.btn.btn-primary type="submit" id="review-submit" { (ctx.t("review.box.submit")) } }
            }
            @if pending.is_some() {
                form.inline-form method="post" action=(format!("{pull_url}/reviews/discard")) id="review-discard-form" {
                    (csrf_input(ctx))
                    (back.inputs())
                    button.btn.btn-small.btn-danger type="submit" id="review-discard" { (ctx.t("review.box.discard")) }
                }
            }
        }
    }
}

// ---- the conversation page ----

/// What the conversation page shows of the review: timeline entries and the sidebar.
pub(crate) struct ConversationReview {
    pub timeline: Vec<(i64, i64, Markup)>,
    pub sidebar: Markup,
}

/// The standing of each reviewer: the latest approval or request for changes (a later
/// comment review leaves it standing), else that they commented; in the order of their
/// first review.
fn standings(reviews: &[Review]) -> Vec<&Review> {
    let mut out: Vec<&Review> = Vec::new();
    for r in reviews.iter().filter(|r| r.state != ReviewState::Pending) {
        let Some(who) = r.reviewer_id() else { continue };
        match out.iter_mut().find(|x| x.reviewer_id() == Some(who)) {
            Some(x) => {
                if r.state != ReviewState::Comment || x.state == ReviewState::Comment {
                    *x = r;
                }
            }
            None => out.push(r),
        }
    }
    out
}

fn state_badge(ctx: &Ctx, r: &Review) -> Markup {
    let class = match r.state {
        ReviewState::Approved => "badge badge-approved",
        ReviewState::RequestChanges => "badge badge-changes",
        _ => "badge",
    };
    html! {
        span class=(class) data-state=(r.state.as_str()) { (ctx.t(r.state.key())) }
        @if r.dismissed { " " span.badge.muted { (ctx.t("review.dismissed")) } }
        @else if r.stale && r.state != ReviewState::Comment { " " span.badge.muted title=(ctx.t("review.stale_hint")) { (ctx.t("review.stale")) } }
    }
}

pub(crate) async fn conversation_review(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
) -> WebResult<ConversationReview> {
    let pull_url = Back::Conversation.url(view, issue.number);
    let files_url = format!("{pull_url}/files");
    let reviews = state
        .forge
        .reviews(view, issue)
        .await
        .map_err(|e| review_refused(e, &ctx.path))?;
    let comments = state
        .forge
        .pull_line_comments(view, issue)
        .await
        .map_err(|e| review_refused(e, &ctx.path))?;
    let signed_in = ctx.user.is_some();
    let rights = ThreadRights {
        reply: signed_in && view.may_issue(Action::Comment, issue),
        resolve: signed_in && view.may_issue(Action::Edit, issue),
    };
    let shown: Vec<&Review> = reviews
        .iter()
        .filter(|r| r.state != ReviewState::Pending)
        .filter(|r| {
            r.state != ReviewState::Comment
                || !r.body.trim().is_empty()
                || comments
                    .iter()
                    .any(|c| c.review_id == r.id && c.reply_to.is_none())
        })
        .collect();
    let texts = shown
        .iter()
        .filter(|r| !r.body.trim().is_empty())
        .map(|r| (-r.id, r.body.as_str()))
        .chain(comments.iter().map(|c| (c.id, c.body.as_str())));
    let bodies = render_bodies(state, view, texts).await?;
    let all = threads(&comments);
    let mut timeline = Vec::new();
    for r in shown {
        let verb = match r.state {
            ReviewState::Approved => "review.timeline.approved",
            ReviewState::RequestChanges => "review.timeline.request_changes",
            _ => "review.timeline.commented",
        };
        let mine: Vec<&Thread<'_>> = all.iter().filter(|t| t.root.review_id == r.id).collect();
        let at = r.submitted_at.unwrap_or(r.created_at);
        timeline.push((
            at,
            r.id,
            html! {
                div.review-entry id=(format!("review-{}", r.id)) data-state=(r.state.as_str()) {
                    div.event {
                        (person_link(ctx, r.reviewer.as_ref())) " " (ctx.t(verb)) " "
                        (state_badge(ctx, r)) " "
                        span.muted { (time_ago_ms(ctx, at)) }
                    }
                    @if let Some(b) = bodies.get(&-r.id) {
                        article.comment { div.markdown.comment-body { (PreEscaped(b)) } }
                    }
                    @for t in mine { (thread_html(ctx, &pull_url, t, &bodies, rights, Back::Conversation, Some(&files_url))) }
                }
            },
        ));
    }
    let sidebar = reviewers_sidebar(state, ctx, view, issue, &reviews, &pull_url).await?;
    Ok(ConversationReview { timeline, sidebar })
}

async fn reviewers_sidebar(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    issue: &Issue,
    reviews: &[Review],
    pull_url: &str,
) -> WebResult<Markup> {
    let requests = state
        .forge
        .review_requests(issue)
        .await
        .map_err(|e| review_refused(e, &ctx.path))?;
    let may_ask = ctx.user.is_some() && state.forge.may_ask_for_reviews(view, issue);
    let author = issue.author.as_ref().map(|p| p.id);
    let requested_users: HashSet<i64> = requests
        .iter()
        .filter_map(|q| q.user.as_ref().map(|p| p.id))
        .collect();
    let standing = standings(reviews);
    let (people, teams) = if may_ask {
        let people = state.forge.assignable_users(&view.repo).await?;
        let teams = if view.repo.owner_is_org {
            state.store.repo_teams(view.repo.id).await?
        } else {
            Vec::new()
        };
        (people, teams)
    } else {
        Default::default()
    };
    let requested_teams: HashSet<i64> = requests
        .iter()
        .filter_map(|q| q.team.as_ref().map(|t| t.0))
        .collect();
    let me = view.actor.user_id();
    let pending = reviews
        .iter()
        .find(|r| r.state == ReviewState::Pending && me.is_some() && r.reviewer_id() == me);
    let action = format!("{pull_url}/reviewers");
    let who_form = |who: String, act: &'static str, label: &'static str, id: String| {
        html! {
            form.inline-form method="post" action=(action) id=(id) {
                (csrf_input(ctx))
                input type="hidden" name="who" value=(who);
                input type="hidden" name="action" value=(act);
                button.btn.btn-small type="submit" { (ctx.t(label)) }
            }
        }
    };
    Ok(html! {
        section id="side-reviewers" {
            h3 { (ctx.t("review.reviewers")) }
            @if requests.is_empty() && standing.is_empty() { span.muted { (ctx.t("issue.none")) } }
            ul.reviewer-list {
                @for q in &requests {
                    li.reviewer data-requested="1" {
                        @if let Some(p) = &q.user {
                            (person_link(ctx, Some(p)))
                        } @else if let Some((_, t)) = &q.team {
                            span.team { (view.repo.owner_name) "/" (t) }
                        }
                        " " span.muted { (ctx.t("review.awaiting")) }
                        @if let Some(r) = q.user.as_ref().and_then(|p| standing.iter().find(|r| r.reviewer_id() == Some(p.id))) {
                            " " (state_badge(ctx, r))
                        }
                        @if may_ask {
                            @let who = match (&q.user, &q.team) { (Some(p), _) => format!("u:{}", p.name), (None, Some((_, t))) => format!("t:{t}"), _ => String::new() };
                            " " (who_form(who.clone(), "remove", "review.remove_reviewer", format!("remove-reviewer-{}", who.replace(':', "-"))))
                        }
                    }
                }
                @for r in standing.iter().filter(|r| !r.reviewer_id().is_some_and(|id| requested_users.contains(&id))) {
                    li.reviewer {
                        (person_link(ctx, r.reviewer.as_ref())) " " (state_badge(ctx, r))
                        @if may_ask && r.reviewer_id() != author {
                            @if let Some(p) = &r.reviewer {
                                " " (who_form(format!("u:{}", p.name), "request", "review.rerequest", format!("rerequest-{}", p.name)))
                            }
                        }
                    }
                }
            }
            @if may_ask {
                @let users: Vec<_> = people.iter().filter(|p| Some(p.id) != author && !requested_users.contains(&p.id)).collect();
                @let teams: Vec<_> = teams.iter().filter(|t| !requested_teams.contains(&t.id)).collect();
                @if !users.is_empty() || !teams.is_empty() {
                    details {
                        summary { (ctx.t("review.request")) }
                        form method="post" action=(action) id="request-reviewer-form" {
                            (csrf_input(ctx))
                            input type="hidden" name="action" value="request";
                            select name="who" aria-label=(ctx.t("review.reviewers")) {
                                @for p in &users { option value=(format!("u:{}", p.name)) { (p.name) } }
                                @for t in &teams { option value=(format!("t:{}", t.name)) { (view.repo.owner_name) "/" (t.name) } }
                            }
                            button.btn.btn-small type="submit" { (ctx.t("review.request")) }
                        }
                    }
                }
            }
            @if let Some(p) = pending {
                p.notice id="own-pending-review" {
                    (ctx.tf("review.box.pending", &[("n", &p.comment_count.to_string())])) " "
                    a href=(format!("{pull_url}/files#review-box")) { (ctx.t("review.finish")) }
                }
            }
        }
    })
}

// ---- lists ----

/// A pull request's review state in a list: changes requested, approved (how many), or
/// review requested; nothing when none applies.
pub(crate) fn list_badge(
    ctx: &Ctx,
    number: i64,
    reviews: Option<&Vec<Review>>,
    requests: i64,
) -> Markup {
    let verdicts: Vec<Verdict<'_>> = reviews
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Verdict {
                reviewer_id: r.reviewer_id()?,
                state: r.state,
                commit_id: &r.commit_id,
                dismissed: r.dismissed,
                reviewer_can_write: true,
            })
        })
        .collect();
    let (approvals, changes) = latest_verdicts(&verdicts);
    let id = format!("review-state-{number}");
    html! {
        @if !changes.is_empty() {
            span.badge.badge-changes id=(id) { (ctx.t("code_review.state_request_changes")) }
        } @else if !approvals.is_empty() {
            span.badge.badge-approved id=(id) title=(ctx.tf("review.list.approvals", &[("n", &approvals.len().to_string())])) {
                (ctx.t("code_review.state_approved")) " " (approvals.len())
            }
        } @else if requests > 0 {
            span.badge id=(id) { (ctx.t("review.list.requested")) }
        }
    }
}

// ---- forms ----

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
        .map_err(|e| crate::pages::pulls::pull_refused(e, &ctx.path))?;
    Ok((view, issue, pull))
}

/// `POST /{owner}/{repo}/pulls/{n}/files/comments`: a comment on a line or a range, alone
/// (`action=single`, a one-comment review) or into the viewer's pending review.
pub async fn line_comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue, pull) = load(&state, &ctx, &owner, &name, &number).await?;
    let back = Back::from_form(&pairs);
    let side = form::value(&pairs, "side").parse::<Side>().ok();
    let line: u32 = form::value(&pairs, "line").trim().parse().unwrap_or(0);
    let start_text = form::value(&pairs, "start_line").trim().to_owned();
    let start_line = match start_text.as_str() {
        "" => Ok(None),
        s => s.parse::<u32>().map(Some),
    };
    let mut draft = LineDraft {
        path: form::value(&pairs, "path").to_owned(),
        side,
        line,
        start_line: start_text.clone(),
        body: form::value(&pairs, "body").to_owned(),
        error: None,
    };
    let (Some(side), Ok(start_line)) = (side, start_line) else {
        return Err(WebError::BadRequest("review.error.bad_line"));
    };
    let comment = LineCommentInput {
        path: draft.path.clone(),
        side,
        line,
        start_line,
        body: draft.body.clone(),
    };
    let result = if form::value(&pairs, "action") == "single" {
        match Box::pin(state.forge.create_review(
            &view,
            &issue,
            &pull,
            ReviewInput {
                event: ReviewEvent::Comment,
                body: String::new(),
                commit_id: None,
                comments: vec![comment],
            },
        ))
        .await
        {
            Ok(review) => state
                .forge
                .review_comments(&view, &issue, review.id)
                .await
                .map(|mut c| c.pop()),
            Err(e) => Err(e),
        }
    } else {
        state
            .forge
            .add_pending_comment(&view, &issue, &pull, comment)
            .await
            .map(Some)
    };
    match result {
        Ok(c) => {
            let anchor = c
                .map(|c| format!("#thread-{}", c.thread_id()))
                .unwrap_or_default();
            Ok(Redirect::to(&format!("{}{anchor}", back.url(&view, issue.number))).into_response())
        }
        Err(ReviewError::Rule(r)) if r != RuleError::BadPath => {
            draft.error = Some(rule_key(&r));
            let page = crate::pages::pulls::files_page(
                &state,
                &ctx,
                &view,
                &issue,
                &pull,
                back,
                Some(&draft),
                None,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(review_refused(e, &ctx.path)),
    }
}

/// `POST /{owner}/{repo}/pulls/{n}/reviews`: submits the viewer's review (their pending
/// comments, if any) as a comment, an approval or a request for changes.
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue, pull) = load(&state, &ctx, &owner, &name, &number).await?;
    let back = Back::from_form(&pairs);
    let event_text = form::value(&pairs, "event").to_owned();
    let body = form::value(&pairs, "body").to_owned();
    let event = match event_text.as_str() {
        "comment" => ReviewEvent::Comment,
        "approve" => ReviewEvent::Approve,
        "request_changes" => ReviewEvent::RequestChanges,
        _ => return Err(WebError::BadRequest("review.error.bad_event")),
    };
    let pending = own_pending(&state, &view, &issue).await?;
    let result = match pending {
        Some(p) => {
            state
                .forge
                .submit_review(&view, &issue, &pull, p.id, event, &body)
                .await
        }
        None => {
            Box::pin(state.forge.create_review(
                &view,
                &issue,
                &pull,
                ReviewInput {
                    event,
                    body: body.clone(),
                    commit_id: None,
                    comments: Vec::new(),
                },
            ))
            .await
        }
    };
    match result {
        Ok(r) => Ok(Redirect::to(&match back {
            Back::Conversation => format!("{}#review-{}", back.url(&view, issue.number), r.id),
            Back::Files { .. } => format!(
                "{}#review-{}",
                Back::Conversation.url(&view, issue.number),
                r.id
            ),
        })
        .into_response()),
        Err(ReviewError::Rule(r)) => {
            let draft = ReviewDraft {
                body,
                event: event_text,
                error: Some(rule_key(&r)),
            };
            let back = match back {
                Back::Conversation => Back::Files {
                    split: false,
                    whitespace_blind: false,
                },
                b => b,
            };
            let page = crate::pages::pulls::files_page(
                &state,
                &ctx,
                &view,
                &issue,
                &pull,
                back,
                None,
                Some(&draft),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(review_refused(e, &ctx.path)),
    }
}

/// `POST /{owner}/{repo}/pulls/{n}/reviews/discard`: deletes the viewer's pending review
/// and its comments.
pub async fn discard(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue, _) = load(&state, &ctx, &owner, &name, &number).await?;
    let back = Back::from_form(&pairs);
    if ctx.user.is_none() {
        return Err(WebError::SignInRequired {
            next: back.url(&view, issue.number),
        });
    }
    let pending = own_pending(&state, &view, &issue)
        .await?
        .ok_or(WebError::NotFound)?;
    state
        .forge
        .delete_review(&view, &issue, pending.id)
        .await
        .map_err(|e| review_refused(e, &ctx.path))?;
    Ok(Redirect::to(&back.url(&view, issue.number)).into_response())
}

/// `POST /{owner}/{repo}/pulls/{n}/threads/{id}/reply`.
pub async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number, id)): Path<(String, String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue, pull) = load(&state, &ctx, &owner, &name, &number).await?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let back = Back::from_form(&pairs);
    let c = state
        .forge
        .reply_to_thread(&view, &issue, &pull, id, form::value(&pairs, "body"))
        .await
        .map_err(|e| review_refused(e, &ctx.path))?;
    Ok(Redirect::to(&format!(
        "{}#review-comment-{}",
        back.url(&view, issue.number),
        c.id
    ))
    .into_response())
}

/// `POST /{owner}/{repo}/pulls/{n}/threads/{id}/resolve` with `resolved` 1 or 0.
pub async fn resolve(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number, id)): Path<(String, String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue, _) = load(&state, &ctx, &owner, &name, &number).await?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let back = Back::from_form(&pairs);
    let resolved = match form::value(&pairs, "resolved") {
        "1" => true,
        "0" => false,
        _ => return Err(WebError::BadRequest("error.400.form")),
    };
    state
        .forge
        .resolve_thread(&view, &issue, id, resolved)
        .await
        .map_err(|e| review_refused(e, &ctx.path))?;
    Ok(Redirect::to(&format!("{}#thread-{id}", back.url(&view, issue.number))).into_response())
}

/// `POST /{owner}/{repo}/pulls/{n}/reviewers`: `who` = `u:name` or `t:team`, `action` =
/// `request` (also asks again someone who reviewed) or `remove`.
pub async fn reviewers(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, number)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, issue, _) = load(&state, &ctx, &owner, &name, &number).await?;
    let who = form::value(&pairs, "who");
    let (users, teams) = match who.split_once(':') {
        Some(("u", n)) if !n.trim().is_empty() => (vec![n.to_owned()], Vec::new()),
        Some(("t", n)) if !n.trim().is_empty() => (Vec::new(), vec![n.to_owned()]),
        _ => return Err(WebError::BadRequest("review.error.not_reviewer")),
    };
    match form::value(&pairs, "action") {
        "request" => {
            state
                .forge
                .request_reviewers(&view, &issue, &users, &teams)
                .await
                .map_err(|e| review_refused(e, &ctx.path))?;
        }
        "remove" => state
            .forge
            .remove_reviewers(&view, &issue, &users, &teams)
            .await
            .map_err(|e| review_refused(e, &ctx.path))?,
        _ => return Err(WebError::BadRequest("error.400.form")),
    }
    Ok(Redirect::to(&format!(
        "{}#side-reviewers",
        Back::Conversation.url(&view, issue.number)
    ))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_spliced_after_the_row_of_their_anchor() {
        let html = "<table><tr><td id=\"d0R1\">1</td></tr><tr><td id=\"d0R2\">2</td></tr></table>";
        let mut inserts = HashMap::new();
        inserts.insert("d0R2".to_owned(), vec![html! { "two" }]);
        inserts.insert("d0R1".to_owned(), vec![html! { "one" }, html! { "uno" }]);
        inserts.insert("d9R9".to_owned(), vec![html! { "nowhere" }]);
        let (out, missing) = splice_rows(html, &inserts, 3);
        assert_eq!(
            out,
            "<table><tr><td id=\"d0R1\">1</td></tr>\
             <tr class=\"diff-thread-row\" data-anchor=\"d0R1\"><td colspan=\"3\">oneuno</td></tr>\
             <tr><td id=\"d0R2\">2</td></tr>\
             <tr class=\"diff-thread-row\" data-anchor=\"d0R2\"><td colspan=\"3\">two</td></tr></table>"
        );
        assert_eq!(missing, HashSet::from(["d9R9".to_owned()]));
        // Nothing to put: the same text.
        assert_eq!(splice_rows(html, &HashMap::new(), 3).0, html);
    }

    #[test]
    fn a_thread_gathers_its_replies_and_drops_orphans() {
        let c = |id: i64, reply_to: Option<i64>| ReviewComment {
            id,
            review_id: 1,
            issue_id: 1,
            author: None,
            path: "a".into(),
            side: Side::Right,
            line: 1,
            start_line: None,
            commit_id: String::new(),
            base_commit_id: String::new(),
            body: String::new(),
            reply_to,
            resolved_by: None,
            resolved_at: None,
            outdated: false,
            created_at: 0,
            updated_at: 0,
            review_state: ReviewState::Comment,
        };
        let all = [
            c(1, None),
            c(2, Some(1)),
            c(3, None),
            c(4, Some(9)),
            c(5, Some(1)),
        ];
        let t = threads(&all);
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[0].comments().map(|c| c.id).collect::<Vec<_>>(),
            vec![1, 2, 5]
        );
        assert_eq!(t[1].comments().map(|c| c.id).collect::<Vec<_>>(), vec![3]);
    }
}
