//! `/<name>`: the profile of a user or an organization (they share one namespace).

use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::org;
use crate::state::AppState;
use crate::views::{avatar, date, page};
use axum::extract::{Path, State};
use hatchery_core::{Action, OrgRole, Resource, authorize};
use hatchery_store::Account;
use maud::{Markup, html};

pub async fn profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> WebResult<Markup> {
    match state
        .store
        .account_by_name(&name)
        .await?
        .ok_or(WebError::NotFound)?
    {
        Account::Org(o) => {
            let l = org::load(&state, &ctx, &o.name).await?;
            org::overview(&state, &ctx, l).await
        }
        Account::User(user) => {
            if !authorize(
                ctx.actor(),
                Action::ViewProfile,
                Resource::User { id: user.id },
            )
            .is_allowed()
            {
                return Err(WebError::NotFound);
            }
            let orgs = state.store.orgs_of_user(user.id).await?;
            let repos = crate::pages::repo::list_for(&state, ctx.actor(), user.id).await?;
            let is_me = ctx.user.as_ref().is_some_and(|u| u.id == user.id);
            Ok(page(
                &ctx,
                &user.name,
                html! {
                    div.two-col {
                        aside {
                            (avatar(&user.name, false))
                            @if !user.display_name.is_empty() { h1 style="margin:12px 0 0" { (user.display_name) } }
                            div.muted style="font-size:1.2rem" { (user.name) }
                            @if user.is_admin { span.badge { (ctx.t("profile.site_admin")) } }
                            p.muted { (ctx.tf("profile.joined", &[("date", &date(user.created_at))])) }
                            @if is_me { p { a.btn href="/user/settings" { (ctx.t("profile.edit")) } } }
                        }
                        section {
                            h2 { (ctx.t("profile.repositories")) " " span.badge { (repos.len()) } }
                            @if is_me { p { a.btn.btn-primary.btn-small href="/repo/create" { (ctx.t("nav.new_repo")) } } }
                            (crate::pages::repo::repo_list(&ctx, &repos))
                            h2 { (ctx.t("profile.organizations")) }
                            @if orgs.is_empty() {
                                div.empty { (ctx.t("profile.no_orgs")) }
                            } @else {
                                ul.list {
                                    @for (o, role) in &orgs {
                                        li {
                                            a href=(format!("/{}", o.name)) { (o.name) }
                                            @if *role == OrgRole::Owner { span.badge { (ctx.t("role.owner")) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                },
            ))
        }
    }
}
