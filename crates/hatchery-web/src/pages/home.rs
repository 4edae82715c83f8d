//! The front page: a welcome for visitors, a dashboard for people signed in.

use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::state::AppState;
use crate::views::page;
use axum::extract::State;
use hatchery_core::OrgRole;
use hatchery_store::{RepoOrder, RepoSearch, RepoVisibility};
use maud::{Markup, html};

/// Repositories listed on the dashboard.
const HOME_REPOS: i64 = 20;

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> WebResult<Markup> {
    let Some(user) = &ctx.user else {
        return Ok(page(
            &ctx,
            ctx.t("home.title"),
            html! {
                section.hero {
                    h1 { (ctx.t("home.headline")) }
                    p { (ctx.t("home.tagline")) }
                    p {
                        @if ctx.allow_signup { a.btn.btn-primary href="/user/sign_up" { (ctx.t("nav.sign_up")) } " " }
                        a.btn href="/user/login" { (ctx.t("nav.sign_in")) }
                    }
                    p { a.btn href="/explore/repos" id="home-explore" { (ctx.t("explore.home_link")) } }
                }
            },
        ));
    };
    let orgs = state.store.orgs_of_user(user.id).await?;
    // The user's own repositories and those shared with them, most recently updated first.
    let actor = ctx.actor();
    let found = state
        .store
        .search_repos(&RepoSearch {
            visibility: RepoVisibility::PublicAndReachableBy(user.id),
            related_to: Some(user.id),
            order: RepoOrder::Updated,
            descending: true,
            limit: HOME_REPOS,
            ..RepoSearch::default()
        })
        .await?;
    let total_repos = found.total;
    let repos = state.forge.readable(actor, found.repos).await?;
    let issues = crate::pages::dashboard::home_section(&state, &ctx).await?;
    Ok(page(
        &ctx,
        ctx.t("home.dashboard"),
        html! {
            h1 { (ctx.tf("home.hello", &[("name", if user.display_name.is_empty() { &user.name } else { &user.display_name })])) }
            @if user.is_admin { p.muted id="admin-note" { (ctx.t("home.you_are_admin")) } }
            section id="home-repos" {
                h2 { (ctx.t("home.repos.title")) " " span.badge { (total_repos) } }
                p { a.btn.btn-primary href="/repo/create" id="home-new-repo" { (ctx.t("nav.new_repo")) } }
                @if repos.is_empty() {
                    div.empty id="home-no-repos" { (ctx.t("home.repos.empty")) }
                } @else {
                    (crate::pages::repo::repo_list(&ctx, &repos))
                    @if total_repos > HOME_REPOS {
                        p { a href=(format!("/{}", user.name)) { (ctx.t("home.repos.all")) } }
                    }
                }
            }
            (issues)
            div.two-col {
                section {
                    h2 { (ctx.t("home.your_orgs")) }
                    @if orgs.is_empty() {
                        div.empty { (ctx.t("home.no_orgs")) }
                    } @else {
                        ul.list id="dashboard-orgs" {
                            @for (org, role) in &orgs {
                                li {
                                    a href=(format!("/{}", org.name)) { (org.name) }
                                    span.badge { (ctx.t(if *role == OrgRole::Owner { "role.owner" } else { "role.member" })) }
                                }
                            }
                        }
                    }
                    p { a.btn.btn-primary href="/org/create" { (ctx.t("nav.new_org")) } }
                }
                section {
                    h2 { (ctx.t("home.getting_started")) }
                    div.card {
                        p { (ctx.t("home.getting_started_text")) }
                    }
                }
            }
        },
    ))
}
