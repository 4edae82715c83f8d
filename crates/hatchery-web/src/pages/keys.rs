//! SSH keys: the user's keys in their settings (add with a title, list with fingerprint,
//! added and last used dates, delete) and a repository's deploy keys in its settings.
//! Both forms go through the service's use cases, like the API.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::repo::{RepoTab, load, repo_header};
use crate::state::AppState;
use crate::views::{button_form, date, page};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::{Action, Resource, authorize};
use hatchery_service::ssh_keys::SshKeyError;
use hatchery_store::{Repo, SshKey, User};
use maud::{Markup, html};
use serde::Deserialize;

fn current(ctx: &Ctx) -> WebResult<User> {
    let user = ctx.require_user()?.clone();
    if !authorize(
        ctx.actor(),
        Action::EditSettings,
        Resource::User { id: user.id },
    )
    .is_allowed()
    {
        return Err(WebError::Forbidden);
    }
    Ok(user)
}

#[derive(Deserialize, Default)]
pub struct KeyForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    key: String,
    /// Deploy keys: "on" when the key may push.
    #[serde(default)]
    write: String,
}

/// Puts a refused key's reason beside the right field; other errors go up.
fn form_errors(e: SshKeyError) -> Result<FormErrors, WebError> {
    let mut errors = FormErrors::default();
    match e {
        SshKeyError::Key(k) => errors.add_with("key", k.message_key(), k.args()),
        SshKeyError::Title { message_key } => errors.add_with(
            "title",
            message_key,
            vec![("max", hatchery_core::ssh::KEY_TITLE_MAX.to_string())],
        ),
        SshKeyError::Taken => errors.add("key", "error.sshkey.taken"),
        SshKeyError::Forbidden => return Err(WebError::Forbidden),
        SshKeyError::NotFound => return Err(WebError::NotFound),
        SshKeyError::Store(s) => return Err(s.into()),
    }
    Ok(errors)
}

fn key_list(ctx: &Ctx, keys: &[SshKey], delete_base: &str, deploy: bool) -> Markup {
    html! {
        @if keys.is_empty() {
            div.empty { (ctx.t(if deploy { "sshkeys.deploy_none" } else { "sshkeys.none" })) }
        } @else {
            ul.list id="key-list" {
                @for k in keys {
                    li {
                        span {
                            strong { (k.title) } " " span.muted { (k.algorithm) }
                            @if deploy {
                                " " span.badge { (ctx.t(if k.read_only { "sshkeys.read_only" } else { "sshkeys.read_write" })) }
                            }
                            br;
                            code.sha { (k.fingerprint) }
                            br;
                            span.muted {
                                (ctx.tf("sshkeys.added_on", &[("date", &date(k.created_at))]))
                                " · "
                                @match k.last_used_at {
                                    Some(at) => (ctx.tf("sshkeys.last_used", &[("date", &date(at))])),
                                    None => (ctx.t("sshkeys.never_used")),
                                }
                            }
                        }
                        (button_form(ctx, &format!("{delete_base}/{}/delete", k.id), ctx.t("sshkeys.delete"), "btn-danger"))
                    }
                }
            }
        }
    }
}

fn key_fields(ctx: &Ctx, form: &KeyForm, errors: &FormErrors) -> Markup {
    html! {
        (Field::new("title", ctx.t("sshkeys.field_title"), &form.title).hint(ctx.t("sshkeys.title_hint")).render(ctx, errors))
        (Field::new("key", ctx.t("sshkeys.field_key"), &form.key).input(Input::TextArea).required().hint(ctx.t("sshkeys.key_hint")).render(ctx, errors))
    }
}

// ---- the user's keys ----

async fn user_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    form: &KeyForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let keys = state.store.keys_of_user(user.id).await?;
    Ok(page(
        ctx,
        ctx.t("sshkeys.title"),
        html! {
            h1 { (ctx.t("settings.title")) }
            (super::settings::settings_tabs(ctx, super::settings::SettingsTab::Keys))
            section.card {
                h2 style="margin-top:0" { (ctx.t("sshkeys.add")) }
                p.muted { (ctx.t("sshkeys.explain")) }
                form.stack method="post" action="/user/settings/keys" id="key-add-form" novalidate {
                    (csrf_input(ctx))
                    (key_fields(ctx, form, errors))
                    div { button.btn.btn-primary type="submit" id="key-add-submit" { (ctx.t("sshkeys.add")) } }
                }
            }
            h2 { (ctx.t("sshkeys.existing")) }
            (key_list(ctx, &keys, "/user/settings/keys", false))
        },
    ))
}

pub async fn show(State(state): State<AppState>, ctx: Ctx) -> WebResult<Markup> {
    let user = current(&ctx)?;
    user_page(
        &state,
        &ctx,
        &user,
        &KeyForm::default(),
        &FormErrors::default(),
    )
    .await
}

pub async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<KeyForm>,
) -> WebResult<Response> {
    let user = current(&ctx)?;
    match state
        .forge
        .add_user_key(ctx.actor(), user.id, &form.title, &form.key)
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "sshkeys.flash_added",
            "/user/settings/keys",
        )),
        Err(e) => {
            let status = if matches!(e, SshKeyError::Taken) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let errors = form_errors(e)?;
            let page = user_page(&state, &ctx, &user, &form, &errors).await?;
            Ok((status, page).into_response())
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let user = current(&ctx)?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state
        .forge
        .delete_user_key(ctx.actor(), user.id, id)
        .await
        .map_err(|e| match e {
            SshKeyError::Store(s) => s.into(),
            SshKeyError::Forbidden => WebError::Forbidden,
            _ => WebError::NotFound,
        })?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "sshkeys.flash_deleted",
        "/user/settings/keys",
    ))
}

// ---- deploy keys ----

fn deploy_base(repo: &Repo) -> String {
    format!("/{}/{}/settings/keys", repo.owner_name, repo.name)
}

async fn deploy_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    form: &KeyForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, repo, RepoTab::Settings).await?;
    let keys = state.store.deploy_keys_of_repo(repo.id).await?;
    let base = deploy_base(repo);
    Ok(page(
        ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("sshkeys.deploy_title"),
            repo.owner_name,
            repo.name
        ),
        html! {
            (header)
            p { a href=(format!("/{}/{}/settings", repo.owner_name, repo.name)) { "← " (ctx.t("webhooks.back_to_settings")) } }
            section.card {
                h2 style="margin-top:0" { (ctx.t("sshkeys.deploy_title")) }
                p.muted { (ctx.t("sshkeys.deploy_explain")) }
                (key_list(ctx, &keys, &base, true))
            }
            section.card {
                h2 style="margin-top:0" { (ctx.t("sshkeys.deploy_add")) }
                form.stack method="post" action=(base) id="deploy-key-form" novalidate {
                    (csrf_input(ctx))
                    (key_fields(ctx, form, errors))
                    (Field::new("write", ctx.t("sshkeys.allow_write"), &form.write).input(Input::Checkbox).hint(ctx.t("sshkeys.allow_write_hint")).render(ctx, errors))
                    div { button.btn.btn-primary type="submit" id="deploy-key-submit" { (ctx.t("sshkeys.deploy_add")) } }
                }
            }
        },
    ))
}

pub async fn deploy_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    deploy_page(
        &state,
        &ctx,
        &repo,
        &KeyForm::default(),
        &FormErrors::default(),
    )
    .await
}

pub async fn deploy_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<KeyForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let read_only = form.write != "on";
    match state
        .forge
        .add_deploy_key(&repo, &form.title, &form.key, read_only)
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "sshkeys.flash_added",
            &deploy_base(&repo),
        )),
        Err(e) => {
            let status = if matches!(e, SshKeyError::Taken) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let errors = form_errors(e)?;
            let page = deploy_page(&state, &ctx, &repo, &form, &errors).await?;
            Ok((status, page).into_response())
        }
    }
}

pub async fn deploy_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state
        .forge
        .delete_deploy_key(&repo, id)
        .await
        .map_err(|e| match e {
            SshKeyError::Store(s) => s.into(),
            _ => WebError::NotFound,
        })?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "sshkeys.flash_deleted",
        &deploy_base(&repo),
    ))
}
