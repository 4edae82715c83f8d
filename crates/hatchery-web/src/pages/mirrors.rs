//! Settings → Mirrors: the pull mirror a repository follows (its upstream, credentials,
//! interval, prune; "sync now"; stop mirroring; an empty repository can become one) and
//! the push mirrors it is pushed to (add, "sync now", remove). Every change is one service
//! call (`hatchery_service::mirrors`); passwords are never shown back.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::Action;
use hatchery_service::mirrors::{MirrorError, PullMirrorInput, PushMirrorInput};
use hatchery_store::{PullMirror, Repo};
use maud::{Markup, html};
use serde::Deserialize;

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::admin::moment;
use crate::pages::repo::{RepoTab, load, repo_header};
use crate::state::AppState;
use crate::views::{button_form, page};

fn base(repo: &Repo) -> String {
    format!("/{}/{}/settings/mirror", repo.owner_name, repo.name)
}

/// The form of either kind of mirror.
#[derive(Deserialize, Default, Clone)]
pub struct MirrorForm {
    #[serde(default)]
    remote_address: String,
    #[serde(default)]
    remote_username: String,
    #[serde(default)]
    remote_password: String,
    #[serde(default)]
    interval: String,
    /// Pull: prune. Push: sync on commit.
    #[serde(default)]
    flag: String,
}

impl MirrorForm {
    fn of_pull(m: &PullMirror) -> MirrorForm {
        MirrorForm {
            remote_address: m.remote_url.clone(),
            remote_username: m.remote_username.clone(),
            remote_password: String::new(),
            interval: hatchery_core::mirrors::format_interval(m.interval_ms),
            flag: if m.prune { "on".into() } else { String::new() },
        }
    }

    fn pull_input(&self) -> PullMirrorInput {
        PullMirrorInput {
            remote_address: self.remote_address.clone(),
            remote_username: self.remote_username.clone(),
            remote_password: self.remote_password.clone(),
            interval: self.interval.clone(),
            prune: self.flag == "on",
        }
    }

    fn push_input(&self) -> PushMirrorInput {
        PushMirrorInput {
            remote_address: self.remote_address.clone(),
            remote_username: self.remote_username.clone(),
            remote_password: self.remote_password.clone(),
            interval: self.interval.clone(),
            sync_on_commit: self.flag == "on",
        }
    }
}

/// Which form a refusal belongs to.
#[derive(Default)]
struct PageErrors {
    pull: FormErrors,
    push: FormErrors,
}

/// A refused input next to its field; other errors go up.
fn form_errors(e: MirrorError) -> WebResult<FormErrors> {
    let mut errors = FormErrors::default();
    match e {
        MirrorError::Field { field, .. } => match field {
            "interval" => errors.add("interval", "mirrors.error_interval"),
            _ => errors.add("remote_address", "mirrors.error_address"),
        },
        MirrorError::Exists => errors.add("remote_address", "mirrors.error_exists"),
        MirrorError::NotEmpty => errors.add("remote_address", "mirrors.error_not_empty"),
        MirrorError::Sealed => errors.add("remote_password", "mirrors.error_sealed"),
        MirrorError::NotFound => return Err(WebError::NotFound),
        MirrorError::Service(s) => return Err(s.into()),
        MirrorError::Busy | MirrorError::Remote(_) => {
            errors.add("remote_address", "mirrors.error_address")
        }
    }
    Ok(errors)
}

fn status_line(ctx: &Ctx, last_update: Option<i64>, last_error: Option<&str>) -> Markup {
    html! {
        span.muted { (ctx.t("mirrors.last_update")) " " }
        (moment(ctx, last_update))
        @if let Some(e) = last_error {
            " · " span.error-text data-mirror-error { (ctx.t("mirrors.last_error")) " " (e) }
        }
    }
}

fn mirror_fields(
    ctx: &Ctx,
    form: &MirrorForm,
    errors: &FormErrors,
    flag_label: &str,
    password_hint: &str,
) -> Markup {
    html! {
        (Field::new("remote_address", ctx.t("mirrors.address"), &form.remote_address).hint(ctx.t("mirrors.address_hint")).render(ctx, errors))
        (Field::new("remote_username", ctx.t("mirrors.username"), &form.remote_username).render(ctx, errors))
        (Field::new("remote_password", ctx.t("mirrors.password"), &form.remote_password).input(Input::Password).hint(password_hint).render(ctx, errors))
        (Field::new("interval", ctx.t("mirrors.interval"), &form.interval).hint(ctx.t("mirrors.interval_hint")).render(ctx, errors))
        (Field::new("flag", flag_label, &form.flag).input(Input::Checkbox).render(ctx, errors))
    }
}

async fn mirror_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    pull_form: Option<&MirrorForm>,
    push_form: &MirrorForm,
    errors: &PageErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, repo, RepoTab::Settings).await?;
    let pull = state.store.pull_mirror(repo.id).await?;
    let pushes = state.store.push_mirrors(repo.id).await?;
    let base = base(repo);
    let pull_form = match (pull_form, &pull) {
        (Some(f), _) => f.clone(),
        (None, Some(m)) => MirrorForm::of_pull(m),
        (None, None) => MirrorForm {
            flag: "on".into(),
            ..MirrorForm::default()
        },
    };
    Ok(page(
        ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("mirrors.title"),
            repo.owner_name,
            repo.name
        ),
        html! {
            (header)
            p { a href=(format!("/{}/{}/settings", repo.owner_name, repo.name)) { "← " (ctx.t("webhooks.back_to_settings")) } }
            section.card id="pull-mirror" {
                h2 style="margin-top:0" { (ctx.t("mirrors.pull_title")) }
                @if let Some(m) = &pull {
                    p { (ctx.t("mirrors.mirror_of")) " " code { (m.remote_url) } }
                    p { (status_line(ctx, m.last_update_at, m.last_error.as_deref())) }
                    div.actions {
                        (button_form(ctx, &format!("{base}/sync"), ctx.t("mirrors.sync_now"), "btn-primary"))
                        " "
                        (button_form(ctx, &format!("{base}/stop"), ctx.t("mirrors.stop"), "btn-danger"))
                    }
                } @else {
                    p.muted { (ctx.t("mirrors.pull_explain")) }
                }
                form.stack method="post" action=(base) id="pull-mirror-form" novalidate {
                    (csrf_input(ctx))
                    (mirror_fields(ctx, &pull_form, &errors.pull, ctx.t("mirrors.prune"),
                        ctx.t(if pull.is_some() { "mirrors.password_keep" } else { "mirrors.password_hint" })))
                    div { button.btn.btn-primary type="submit" id="pull-mirror-submit" {
                        (ctx.t(if pull.is_some() { "mirrors.save" } else { "mirrors.make_mirror" }))
                    } }
                }
            }
            section.card id="push-mirrors" {
                h2 style="margin-top:0" { (ctx.t("mirrors.push_title")) }
                p.muted { (ctx.t("mirrors.push_explain")) }
                @if pushes.is_empty() {
                    div.empty { (ctx.t("mirrors.push_none")) }
                } @else {
                    table.data {
                        thead { tr {
                            th { (ctx.t("mirrors.address")) }
                            th { (ctx.t("mirrors.interval")) }
                            th { (ctx.t("mirrors.sync_on_commit")) }
                            th { (ctx.t("mirrors.status")) }
                            th {}
                        } }
                        tbody {
                            @for m in &pushes {
                                tr data-push-mirror=(m.remote_name) {
                                    td { code { (m.remote_url) } }
                                    td { (hatchery_core::mirrors::format_interval(m.interval_ms)) }
                                    td { (ctx.t(if m.sync_on_commit { "mirrors.yes" } else { "mirrors.no" })) }
                                    td { (status_line(ctx, m.last_update_at, m.last_error.as_deref())) }
                                    td { (button_form(ctx, &format!("{base}/push/{}/delete", m.remote_name), ctx.t("mirrors.remove"), "btn-danger")) }
                                }
                            }
                        }
                    }
                    p { (button_form(ctx, &format!("{base}/push/sync"), ctx.t("mirrors.sync_now"), "btn-primary")) }
                }
                h3 { (ctx.t("mirrors.push_add")) }
                form.stack method="post" action=(format!("{base}/push")) id="push-mirror-form" novalidate {
                    (csrf_input(ctx))
                    (mirror_fields(ctx, push_form, &errors.push, ctx.t("mirrors.sync_on_commit"), ctx.t("mirrors.password_hint")))
                    div { button.btn.btn-primary type="submit" id="push-mirror-submit" { (ctx.t("mirrors.push_add")) } }
                }
            }
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    mirror_page(
        &state,
        &ctx,
        &repo,
        None,
        &MirrorForm::default(),
        &PageErrors::default(),
    )
    .await
}

/// Makes an empty repository a pull mirror, or saves the mirror's settings.
pub async fn save_pull(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<MirrorForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let input = form.pull_input();
    let result = match state.store.pull_mirror(repo.id).await? {
        Some(_) => state.forge.update_pull_mirror(&repo, &input).await,
        None => state
            .forge
            .convert_to_pull_mirror(&repo, &input)
            .await
            .map(|_| ()),
    };
    match result {
        Ok(()) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "mirrors.flash_saved",
            &base(&repo),
        )),
        Err(e) => {
            let errors = PageErrors {
                pull: form_errors(e)?,
                push: FormErrors::default(),
            };
            let form = MirrorForm {
                remote_password: String::new(),
                ..form
            };
            let page = mirror_page(
                &state,
                &ctx,
                &repo,
                Some(&form),
                &MirrorForm::default(),
                &errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// "Sync now" of the pull mirror: the outcome is on the page (last update / last error).
pub async fn sync_pull(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let (kind, key) = match state.forge.sync_pull_mirror(&repo).await {
        Ok(_) => (FlashKind::Success, "mirrors.flash_synced"),
        Err(MirrorError::NotFound) => return Err(WebError::NotFound),
        Err(MirrorError::Busy) => (FlashKind::Error, "mirrors.flash_busy"),
        Err(MirrorError::Service(e)) => return Err(e.into()),
        Err(_) => (FlashKind::Error, "mirrors.flash_failed"),
    };
    Ok(flash_redirect(&ctx, kind, key, &base(&repo)))
}

/// Stops mirroring: the repository takes pushes again.
pub async fn stop_pull(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    match state.forge.stop_pull_mirror(&repo).await {
        Ok(()) => {}
        Err(MirrorError::Service(e)) => return Err(e.into()),
        Err(_) => return Err(WebError::NotFound),
    }
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "mirrors.flash_stopped",
        &base(&repo),
    ))
}

pub async fn add_push(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<MirrorForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    match state.forge.add_push_mirror(&repo, &form.push_input()).await {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "mirrors.flash_added",
            &base(&repo),
        )),
        Err(e) => {
            let errors = PageErrors {
                pull: FormErrors::default(),
                push: form_errors(e)?,
            };
            let form = MirrorForm {
                remote_password: String::new(),
                ..form
            };
            let page = mirror_page(&state, &ctx, &repo, None, &form, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn delete_push(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, remote)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    match state.forge.remove_push_mirror(&repo, &remote).await {
        Ok(()) => {}
        Err(MirrorError::Service(e)) => return Err(e.into()),
        Err(_) => return Err(WebError::NotFound),
    }
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "mirrors.flash_removed",
        &base(&repo),
    ))
}

/// "Sync now" of every push mirror; each one's outcome is in its row.
pub async fn sync_push(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    match state.forge.sync_push_mirrors(&repo).await {
        Ok(_) => {}
        Err(MirrorError::Service(e)) => return Err(e.into()),
        Err(_) => return Err(WebError::NotFound),
    }
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "mirrors.flash_pushed",
        &base(&repo),
    ))
}

/// The notice of a pull mirror on every page of the repository: "Mirror of URL · last
/// updated … · last error …".
pub fn notice(ctx: &Ctx, m: &PullMirror) -> Markup {
    html! {
        div.notice role="note" id="mirror-notice" {
            (ctx.t("mirrors.mirror_of")) " " code { (m.remote_url) } " · "
            (status_line(ctx, m.last_update_at, m.last_error.as_deref()))
        }
    }
}
