//! Forks in the web: the fork button and "forked from" line of the repository header, the
//! fork form (`/{owner}/{repo}/fork`: an owner among yourself and the organizations you
//! may create repositories in, a name, a description) and the fork list
//! (`/{owner}/{repo}/forks`). The decisions are the service's (`Forge::fork`,
//! `visible_forks`, `visible_parent`): a private fork or parent the viewer cannot read
//! is never named, counted or linked.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::repo::{OwnerChoice, RepoTab, load, owner_choices, owner_options, repo_header};
use crate::state::AppState;
use crate::views::{date, page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::validate::{self, DESCRIPTION_MAX};
use hatchery_core::{Action, Name, NameKind, RepoFacts, Resource, authorize};
use hatchery_service::forks::{ForkError, ForkOwner};
use hatchery_store::Repo;
use maud::{Markup, html};
use serde::Deserialize;

/// Forks per page of the list.
const PAGE_SIZE: usize = 50;

/// The header's fork line ("forked from owner/name", only when the viewer may read the
/// parent) and its fork button with `count`, the forks the viewer may see.
pub async fn header_parts(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    facts: RepoFacts,
    count: i64,
) -> WebResult<(Markup, Markup)> {
    let parent = state.forge.visible_parent(ctx.actor(), repo).await?;
    let base = format!("/{}/{}", repo.owner_name, repo.name);
    let may_fork = ctx.user.is_some()
        && authorize(ctx.actor(), Action::Fork, Resource::Repo(facts)).is_allowed();
    let forked_from = html! {
        @if let Some(p) = parent {
            p.muted.forked-from id="forked-from" {
                (ctx.t("forks.forked_from")) " "
                a href=(format!("/{}/{}", p.owner_name, p.name)) { (p.owner_name) "/" (p.name) }
            }
        }
    };
    let button = html! {
        div.fork-actions id="fork-actions" {
            @if may_fork {
                a.btn.btn-small href=(format!("{base}/fork")) id="fork-button" { (ctx.t("forks.button")) }
                " "
            }
            a.muted href=(format!("{base}/forks")) id="fork-count" title=(ctx.t("forks.list_title")) {
                (ctx.t("forks.count_label")) " " strong { (count) }
            }
        }
    };
    Ok((forked_from, button))
}

#[derive(Deserialize, Default)]
pub struct ForkForm {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

fn form_page(
    ctx: &Ctx,
    parent: &Repo,
    owners: &[OwnerChoice],
    form: &ForkForm,
    errors: &FormErrors,
) -> Markup {
    let options = owner_options(owners);
    let action = format!("/{}/{}/fork", parent.owner_name, parent.name);
    let full = format!("{}/{}", parent.owner_name, parent.name);
    page(
        ctx,
        &ctx.tf("forks.form_title", &[("repo", &full)]),
        html! {
            h1 { (ctx.tf("forks.form_title", &[("repo", &full)])) }
            p.muted { (ctx.t("forks.form_intro")) }
            @if parent.is_private { p.notice role="note" { (ctx.t("forks.private_note")) } }
            form.stack method="post" action=(action) id="fork-form" novalidate {
                (csrf_input(ctx))
                (Field::new("owner", ctx.t("field.owner"), &form.owner).input(Input::Select(&options)).render(ctx, errors))
                (Field::new("name", ctx.t("field.repo_name"), &form.name).required().hint(ctx.t("hint.repo_name")).render(ctx, errors))
                (Field::new("description", ctx.t("field.description"), &form.description).render(ctx, errors))
                div { button.btn.btn-primary type="submit" id="fork-submit" { (ctx.t("forks.submit")) } }
            }
        },
    )
}

/// The parent in the path, if the signed-in actor may fork it (a private repository they
/// cannot read is a 404, like a missing one).
async fn parent_for_fork(state: &AppState, ctx: &Ctx, owner: &str, name: &str) -> WebResult<Repo> {
    ctx.require_user()?;
    let repo = load(state, ctx, owner, name, Action::Read).await?;
    let facts = state.forge.repo_facts(ctx.actor(), &repo).await?;
    if let hatchery_core::Decision::Deny(d) =
        authorize(ctx.actor(), Action::Fork, Resource::Repo(facts))
    {
        return Err(WebError::from_denial(d, &ctx.path));
    }
    Ok(repo)
}

pub async fn fork_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let parent = parent_for_fork(&state, &ctx, &owner, &name).await?;
    let owners = owner_choices(&state, &ctx).await?;
    let form = ForkForm {
        owner: owners.first().map(|o| o.name.clone()).unwrap_or_default(),
        name: parent.name.clone(),
        description: parent.description.clone(),
    };
    Ok(form_page(
        &ctx,
        &parent,
        &owners,
        &form,
        &FormErrors::default(),
    ))
}

pub async fn fork(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<ForkForm>,
) -> WebResult<Response> {
    let parent = parent_for_fork(&state, &ctx, &owner, &name).await?;
    let owners = owner_choices(&state, &ctx).await?;
    let mut errors = FormErrors::default();
    let target = owners
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case(form.owner.trim()));
    if target.is_none() {
        errors.add("owner", "error.repo.owner_not_allowed");
    }
    let new_name =
        Name::parse(NameKind::Repository, form.name.trim()).inspect_err(|e| errors.name("name", e));
    let description = validate::text(&form.description, DESCRIPTION_MAX)
        .inspect_err(|e| errors.field("description", e));
    let (Some(target), Ok(new_name), Ok(description)) = (target, new_name, description) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &parent, &owners, &form, &errors),
        )
            .into_response());
    };
    let made = state
        .forge
        .fork_with_description(
            ctx.actor(),
            &parent,
            ForkOwner {
                id: target.id,
                name: &target.name,
                resource: target.resource,
            },
            &new_name,
            &description,
        )
        .await;
    match made {
        Ok(fork) => {
            tracing::info!(repo = %format!("{}/{}", fork.owner_name, fork.name), "repository forked");
            Ok(flash_redirect(
                &ctx,
                FlashKind::Success,
                "forks.created",
                &format!("/{}/{}", fork.owner_name, fork.name),
            ))
        }
        Err(ForkError::NameTaken) => {
            errors.add("name", "error.repo.taken");
            Ok((
                StatusCode::CONFLICT,
                form_page(&ctx, &parent, &owners, &form, &errors),
            )
                .into_response())
        }
        Err(ForkError::Denied(_)) => {
            errors.add("owner", "error.repo.owner_not_allowed");
            Ok((
                StatusCode::FORBIDDEN,
                form_page(&ctx, &parent, &owners, &form, &errors),
            )
                .into_response())
        }
        Err(ForkError::Hidden | ForkError::Gone) => Err(WebError::NotFound),
        Err(ForkError::Other(e)) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    let repo = load(&state, &ctx, &owner, &name, Action::Read).await?;
    let forks = state.forge.visible_forks(ctx.actor(), &repo).await?;
    let pages = forks.len().div_ceil(PAGE_SIZE).max(1);
    let page_no = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown: Vec<&Repo> = forks
        .iter()
        .skip((page_no - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let header = repo_header(&state, &ctx, &repo, RepoTab::Code).await?;
    let here = format!("/{}/{}/forks", repo.owner_name, repo.name);
    Ok(page(
        &ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("forks.list_title"),
            repo.owner_name,
            repo.name
        ),
        html! {
            (header)
            h2 { (ctx.t("forks.list_title")) " " span.muted { (forks.len()) } }
            @if forks.is_empty() {
                div.empty id="fork-list-empty" { (ctx.t("forks.list_empty")) }
            } @else {
                ul.list id="fork-list" {
                    @for f in &shown {
                        li {
                            span {
                                a href=(format!("/{}/{}", f.owner_name, f.name)) { strong { (f.owner_name) "/" (f.name) } }
                                @if f.is_private { " " span.badge { (ctx.t("repo.private")) } }
                                @if !f.description.is_empty() { br; span.muted { (f.description) } }
                            }
                            span.muted { (ctx.t("forks.forked_on")) " " (date(f.created_at)) }
                        }
                    }
                }
                @if pages > 1 {
                    nav.pagination aria-label=(ctx.t("forks.list_title")) {
                        @if page_no > 1 { a href=(format!("{here}?page={}", page_no - 1)) rel="prev" { (ctx.t("pagination.prev")) } }
                        " " span.muted { (page_no) " / " (pages) } " "
                        @if page_no < pages { a href=(format!("{here}?page={}", page_no + 1)) rel="next" { (ctx.t("pagination.next")) } }
                    }
                }
            }
        },
    ))
}
