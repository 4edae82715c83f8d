//! The signed-in user's issues across repositories: the ones they opened and the ones
//! assigned to them, open or closed. Only issues of repositories the user may still read
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
use hatchery_store::{Issue, Repo};
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

fn dashboard_url(assigned: bool, closed: bool) -> String {
    format!(
        "/issues?type={}&state={}",
        if assigned { "assigned" } else { "created" },
        if closed { "closed" } else { "open" }
    )
}

/// `GET /issues`: `?type=created|assigned` and `?state=open|closed`.
pub async fn issues(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DashboardQuery>,
) -> WebResult<Markup> {
    ctx.require_user()?;
    let assigned = q.kind.as_deref() == Some("assigned");
    let closed = q.state.as_deref() == Some("closed");
    let filter = if closed {
        StateFilter::Closed
    } else {
        StateFilter::Open
    };
    let list = state
        .forge
        .dashboard_issues(ctx.actor(), assigned, filter, LIST_LIMIT)
        .await?;
    let empty_key = match (assigned, closed) {
        (false, false) => "dashboard.empty_created_open",
        (false, true) => "dashboard.empty_created_closed",
        (true, false) => "dashboard.empty_assigned_open",
        (true, true) => "dashboard.empty_assigned_closed",
    };
    Ok(page(
        &ctx,
        ctx.t("dashboard.title"),
        html! {
            h1 { (ctx.t("dashboard.title")) }
            div id="dashboard-type" {
                (tabs(&[
                    (ctx.t("dashboard.created"), dashboard_url(false, closed), !assigned),
                    (ctx.t("dashboard.assigned"), dashboard_url(true, closed), assigned),
                ]))
            }
            div id="dashboard-state" {
                (tabs(&[
                    (ctx.t("dashboard.open"), dashboard_url(assigned, false), !closed),
                    (ctx.t("dashboard.closed"), dashboard_url(assigned, true), closed),
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

/// The home page's short list: the most recently updated open issues the user opened or is
/// assigned to.
pub async fn home_section(state: &AppState, ctx: &Ctx) -> WebResult<Markup> {
    let actor = ctx.actor();
    let mut all = state
        .forge
        .dashboard_issues(actor, false, StateFilter::Open, HOME_LIMIT)
        .await?;
    all.extend(
        state
            .forge
            .dashboard_issues(actor, true, StateFilter::Open, HOME_LIMIT)
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
