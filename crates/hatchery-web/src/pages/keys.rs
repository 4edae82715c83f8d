//! SSH and GPG keys: the user's keys in their settings — SSH keys (add with a title, list
//! with fingerprint, added and last used dates, delete) and OpenPGP keys (add an armored
//! public key, list with key id, fingerprint, user ids, subkeys, created and expiry dates,
//! delete) on one page — and a repository's deploy keys in its settings. Every form goes
//! through the service's use cases, like the API.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::repo::{RepoTab, load, repo_header};
use crate::state::AppState;
use crate::views::{button_form, date, page};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::gpg::{GpgKeyError, KeyUsage};
use hatchery_core::{Action, Resource, authorize};
use hatchery_service::gpg_keys::GpgKeyRefusal;
use hatchery_service::ssh_keys::SshKeyError;
use hatchery_store::{GpgKey, Repo, SshKey, User};
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

#[derive(Deserialize, Default)]
pub struct GpgKeyForm {
    #[serde(default)]
    gpg_key: String,
}

/// Puts a refused GPG key's reason beside its field; other errors go up.
fn gpg_form_errors(e: GpgKeyRefusal) -> Result<FormErrors, WebError> {
    let mut errors = FormErrors::default();
    match e {
        GpgKeyRefusal::Key(k) => {
            let args = match &k {
                GpgKeyError::Expired { at } => vec![("at", date(*at))],
                other => other.args(),
            };
            errors.add_with("gpg_key", k.message_key(), args);
        }
        GpgKeyRefusal::Taken => errors.add("gpg_key", "error.gpgkey.taken"),
        GpgKeyRefusal::Forbidden => return Err(WebError::Forbidden),
        GpgKeyRefusal::NotFound => return Err(WebError::NotFound),
        GpgKeyRefusal::Service(s) => return Err(s.into()),
    }
    Ok(errors)
}

/// What a (sub)key may do, in the catalog's words: `[S] [C] [E]` as GnuPG lists them.
fn usage_badges(ctx: &Ctx, usage: KeyUsage) -> Markup {
    html! {
        @if usage.sign { " " span.badge title=(ctx.t("gpgkeys.usage_sign")) { "S" } }
        @if usage.certify { " " span.badge title=(ctx.t("gpgkeys.usage_certify")) { "C" } }
        @if usage.encrypt_comms || usage.encrypt_storage { " " span.badge title=(ctx.t("gpgkeys.usage_encrypt")) { "E" } }
    }
}

fn expiry(ctx: &Ctx, expires_at: Option<i64>) -> Markup {
    html! {
        @match expires_at {
            Some(at) if at <= hatchery_store::now_ms() => {
                span.badge.badge-changes { (ctx.tf("gpgkeys.expired_on", &[("date", &date(at))])) }
            }
            Some(at) => (ctx.tf("gpgkeys.expires_on", &[("date", &date(at))])),
            None => (ctx.t("gpgkeys.never_expires")),
        }
    }
}

fn gpg_key_list(ctx: &Ctx, keys: &[GpgKey]) -> Markup {
    html! {
        @if keys.is_empty() {
            div.empty { (ctx.t("gpgkeys.none")) }
        } @else {
            ul.list id="gpg-key-list" {
                @for k in keys {
                    li {
                        span {
                            strong { (ctx.tf("gpgkeys.key_id", &[("id", &k.key_id)])) }
                            (usage_badges(ctx, k.usage))
                            br;
                            span.muted { (ctx.t("gpgkeys.fingerprint")) " " } code.sha.gpg-fingerprint { (k.fingerprint) }
                            @for uid in &k.user_ids {
                                br;
                                span.gpg-user-id { (uid) }
                            }
                            @if !k.subkeys.is_empty() {
                                br;
                                span.muted { (ctx.t("gpgkeys.subkeys")) }
                                ul.gpg-subkeys {
                                    @for sub in &k.subkeys {
                                        li {
                                            code.sha { (sub.key_id) }
                                            (usage_badges(ctx, sub.usage))
                                            " " span.muted.small {
                                                (ctx.tf("gpgkeys.created_on", &[("date", &date(sub.key_created_at))]))
                                                " · " (expiry(ctx, sub.expires_at))
                                            }
                                        }
                                    }
                                }
                            } @else {
                                br;
                            }
                            span.muted {
                                (ctx.tf("gpgkeys.created_on", &[("date", &date(k.key_created_at))]))
                                " · " (expiry(ctx, k.expires_at))
                                " · " (ctx.tf("sshkeys.added_on", &[("date", &date(k.created_at))]))
                            }
                        }
                        (button_form(ctx, &format!("/user/settings/gpg_keys/{}/delete", k.id), ctx.t("sshkeys.delete"), "btn-danger"))
                    }
                }
            }
        }
    }
}

async fn user_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    form: &KeyForm,
    gpg: &GpgKeyForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let keys = state.store.keys_of_user(user.id).await?;
    let gpg_keys = state.store.gpg_keys_of_user(user.id).await?;
    Ok(page(
        ctx,
        ctx.t("gpgkeys.tab"),
        html! {
            h1 { (ctx.t("settings.title")) }
            (super::settings::settings_tabs(ctx, super::settings::SettingsTab::Keys))
            h2 { (ctx.t("sshkeys.title")) }
            section.card {
                h3 style="margin-top:0" { (ctx.t("sshkeys.add")) }
                p.muted { (ctx.t("sshkeys.explain")) }
                form.stack method="post" action="/user/settings/keys" id="key-add-form" novalidate {
                    (csrf_input(ctx))
                    (key_fields(ctx, form, errors))
                    div { button.btn.btn-primary type="submit" id="key-add-submit" { (ctx.t("sshkeys.add")) } }
                }
            }
            h3 { (ctx.t("sshkeys.existing")) }
            (key_list(ctx, &keys, "/user/settings/keys", false))
            h2 id="gpg" { (ctx.t("gpgkeys.title")) }
            section.card {
                h3 style="margin-top:0" { (ctx.t("gpgkeys.add")) }
                p.muted { (ctx.t("gpgkeys.explain")) }
                form.stack method="post" action="/user/settings/gpg_keys" id="gpg-key-add-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("gpg_key", ctx.t("gpgkeys.field_key"), &gpg.gpg_key).input(Input::TextArea).required().hint(ctx.t("gpgkeys.key_hint")).render(ctx, errors))
                    div { button.btn.btn-primary type="submit" id="gpg-key-add-submit" { (ctx.t("gpgkeys.add")) } }
                }
            }
            h3 { (ctx.t("gpgkeys.existing")) }
            (gpg_key_list(ctx, &gpg_keys))
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
        &GpgKeyForm::default(),
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
            let page =
                user_page(&state, &ctx, &user, &form, &GpgKeyForm::default(), &errors).await?;
            Ok((status, page).into_response())
        }
    }
}

pub async fn gpg_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<GpgKeyForm>,
) -> WebResult<Response> {
    let user = current(&ctx)?;
    match state
        .forge
        .add_gpg_key(ctx.actor(), user.id, &form.gpg_key)
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "gpgkeys.flash_added",
            "/user/settings/keys#gpg",
        )),
        Err(e) => {
            let status = if matches!(e, GpgKeyRefusal::Taken) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let errors = gpg_form_errors(e)?;
            let page = user_page(&state, &ctx, &user, &KeyForm::default(), &form, &errors).await?;
            Ok((status, page).into_response())
        }
    }
}

pub async fn gpg_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let user = current(&ctx)?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state
        .forge
        .delete_gpg_key(ctx.actor(), user.id, id)
        .await
        .map_err(|e| match e {
            GpgKeyRefusal::Service(s) => s.into(),
            GpgKeyRefusal::Forbidden => WebError::Forbidden,
            _ => WebError::NotFound,
        })?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "gpgkeys.flash_deleted",
        "/user/settings/keys#gpg",
    ))
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
