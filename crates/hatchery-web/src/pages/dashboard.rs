//! The signed-in user's issues across repositories: the ones they opened, the ones
//! assigned to them and the pull requests whose review is asked of them (or of one of
//! their teams), open or closed. Only issues of repositories the user may still read
//! are listed (the service filters them).

use std::collections::HashSet;

use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::pages::code::time_ago_ms;
use crate::pages::issues::state_badge;
use crate::state::AppState;
use crate::views::{page, tabs};
use axum::extract::{Query, State};
use hatchery_core::issues::StateFilter;
use hatchery_store::{Issue, Repo, UserIssues};
use maud::{Markup, html};
use serde::Deserialize;

/// How many issues the dashboard lists.
const LIST_LIMIT: usize = 200;
/// How many open issues the home page shows.
const HOME_LIMIT: usize = 10;

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    state: Option<String>,
}

fn dashboard_url(which: UserIssues, closed: bool) -> String {
    format!(
        "/issues?type={}&state={}",
        type_param(which),
        if closed { "closed" } else { "open" }
    )
}

fn type_param(which: UserIssues) -> &'static str {
    match which {
        UserIssues::Created => "created",
        UserIssues::Assigned => "assigned",
        UserIssues::ReviewRequested => "review_requested",
    }
}

/// `GET /issues`: `?type=created|assigned|review_requested` and `?state=open|closed`.
pub async fn issues(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DashboardQuery>,
) -> WebResult<Markup> {
    ctx.require_user()?;
    let which = match q.kind.as_deref() {
        Some("assigned") => UserIssues::Assigned,
        Some("review_requested") => UserIssues::ReviewRequested,
        _ => UserIssues::Created,
    };
    let closed = q.state.as_deref() == Some("closed");
    let filter = if closed {
        StateFilter::Closed
    } else {
        StateFilter::Open
    };
    let list = state
        .forge
        .dashboard_issues(ctx.actor(), which, filter, LIST_LIMIT)
        .await?;
    let empty_key = match (which, closed) {
        (UserIssues::Created, false) => "dashboard.empty_created_open",
        (UserIssues::Created, true) => "dashboard.empty_created_closed",
        (UserIssues::Assigned, false) => "dashboard.empty_assigned_open",
        (UserIssues::Assigned, true) => "dashboard.empty_assigned_closed",
        (UserIssues::ReviewRequested, false) => "dashboard.empty_review_open",
        (UserIssues::ReviewRequested, true) => "dashboard.empty_review_closed",
    };
    let tab = |key: &'static str, kind: UserIssues| {
        (ctx.t(key), dashboard_url(kind, closed), which == kind)
    };
    Ok(page(
        &ctx,
        ctx.t("dashboard.title"),
        html! {
            h1 { (ctx.t("dashboard.title")) }
            div id="dashboard-type" {
                (tabs(&[
                    tab("dashboard.created", UserIssues::Created),
                    tab("dashboard.assigned", UserIssues::Assigned),
                    tab("dashboard.review_requested", UserIssues::ReviewRequested),
                ]))
            }
            div id="dashboard-state" {
                (tabs(&[
                    (ctx.t("dashboard.open"), dashboard_url(which, false), !closed),
                    (ctx.t("dashboard.closed"), dashboard_url(which, true), closed),
                ]))
            }
            @if list.is_empty() {
                div.empty id="dashboard-empty" { (ctx.t(empty_key)) }
            } @else {
                ul.list id="dashboard-issues" {
                    @for (repo, issue) in &list { (issue_row(&ctx, repo, issue)) }
                }
            }
        },
    ))
}

/// One issue of a dashboard list: state, `owner/repo#N`, title, last update.
pub fn issue_row(ctx: &Ctx, repo: &Repo, issue: &Issue) -> Markup {
    let url = format!("/{}/{}/issues/{}", repo.owner_name, repo.name, issue.number);
    html! {
        li.dashboard-issue {
            div {
                (state_badge(ctx, issue))
                " "
                a.muted.issue-ref href=(url) {
                    (repo.owner_name) "/" (repo.name) "#" (issue.number)
                }
                " "
                a.issue-title href=(url) { strong { (issue.title) } }
            }
            span.muted {
                (ctx.t("dashboard.updated")) " " (time_ago_ms(ctx, issue.updated_at))
            }
        }
    }
}

/// The home page's short lists: the open pull requests whose review is asked of the user
/// (when there are any), and the most recently updated open issues the user opened or is
/// assigned to.
pub async fn home_section(state: &AppState, ctx: &Ctx) -> WebResult<Markup> {
    let actor = ctx.actor();
    let reviews = state
        .forge
        .dashboard_issues(
            actor,
            UserIssues::ReviewRequested,
            StateFilter::Open,
            HOME_LIMIT,
        )
        .await?;
    let mut all = state
        .forge
        .dashboard_issues(actor, UserIssues::Created, StateFilter::Open, HOME_LIMIT)
        .await?;
    all.extend(
        state
            .forge
            .dashboard_issues(actor, UserIssues::Assigned, StateFilter::Open, HOME_LIMIT)
            .await?,
    );
    all.sort_by(|a, b| {
        b.1.updated_at
            .cmp(&a.1.updated_at)
            .then(b.1.id.cmp(&a.1.id))
    });
    let mut seen = HashSet::new();
    all.retain(|(_, issue)| seen.insert(issue.id));
    all.truncate(HOME_LIMIT);
    Ok(html! {
        @if !reviews.is_empty() {
            section id="home-reviews" {
                h2 { (ctx.t("dashboard.home_reviews")) }
                ul.list {
                    @for (repo, issue) in &reviews { (issue_row(ctx, repo, issue)) }
                }
                p {
                    a href=(dashboard_url(UserIssues::ReviewRequested, false)) id="home-reviews-all" {
                        (ctx.t("dashboard.home_reviews_all"))
                    }
                }
            }
        }
        section id="home-issues" {
            h2 { (ctx.t("dashboard.home_title")) }
            @if all.is_empty() {
                div.empty { (ctx.t("dashboard.home_empty")) }
            } @else {
                ul.list {
                    @for (repo, issue) in &all { (issue_row(ctx, repo, issue)) }
                }
            }
            p { a href="/issues" id="home-issues-all" { (ctx.t("dashboard.home_all")) } }
        }
    })
}
