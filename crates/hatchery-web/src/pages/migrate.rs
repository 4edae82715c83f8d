//! "New migration": importing a repository from another forge or a git server through a
//! form (the API's `POST /repos/migrate` in a page), and the import's progress on the
//! repository's pages until it is done. Every decision is the service's
//! (`Forge::start_import`, `Forge::resume_import`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::imports::{ImportInputError, ImportItems, ImportState, SourceKind, Stage};
use hatchery_core::validate::{self, DESCRIPTION_MAX};
use hatchery_core::{Action, Name, NameKind};
use hatchery_service::import::run::{ResumeError, StartError};
use hatchery_service::import::{ImportOwner, ImportProgress, MigrateRequest};
use hatchery_store::Repo;
use maud::{Markup, html};
use serde::Deserialize;

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::repo::{OwnerChoice, load, owner_choices, owner_options};
use crate::state::AppState;
use crate::views::{button_form, page};

/// How often a page showing a running import reloads itself.
const RELOAD_MS: u32 = 3000;

#[derive(Deserialize, Default)]
pub struct MigrateForm {
    #[serde(default)]
    service: String,
    #[serde(default)]
    clone_addr: String,
    #[serde(default)]
    auth_username: String,
    #[serde(default)]
    auth_password: String,
    #[serde(default)]
    auth_token: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    repo_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    private: String,
    #[serde(default)]
    mirror: String,
    #[serde(default)]
    mirror_interval: String,
    #[serde(default)]
    labels: String,
    #[serde(default)]
    milestones: String,
    #[serde(default)]
    issues: String,
    #[serde(default)]
    pull_requests: String,
    #[serde(default)]
    releases: String,
}

fn on(v: &str) -> bool {
    v == "on"
}

impl MigrateForm {
    fn request(&self) -> MigrateRequest {
        MigrateRequest {
            clone_addr: self.clone_addr.trim().to_owned(),
            auth_username: self.auth_username.trim().to_owned(),
            auth_password: self.auth_password.clone(),
            auth_token: self.auth_token.trim().to_owned(),
            service: self.service.clone(),
            repo_name: self.repo_name.trim().to_owned(),
            description: self.description.clone(),
            private: on(&self.private),
            mirror: on(&self.mirror),
            mirror_interval: self.mirror_interval.clone(),
            items: ImportItems {
                labels: on(&self.labels),
                milestones: on(&self.milestones),
                issues: on(&self.issues),
                pull_requests: on(&self.pull_requests),
                releases: on(&self.releases),
            },
            user_map: Default::default(),
        }
    }
}

/// The kinds of source, in the order the form lists them.
const SERVICES: [SourceKind; 5] = [
    SourceKind::Github,
    SourceKind::Gitlab,
    SourceKind::Gitea,
    SourceKind::Gitee,
    SourceKind::Git,
];

fn form_page(ctx: &Ctx, owners: &[OwnerChoice], form: &MigrateForm, errors: &FormErrors) -> Markup {
    let owner_options = owner_options(owners);
    let services: Vec<(&str, &str)> = SERVICES
        .iter()
        .map(|k| {
            (
                k.as_str(),
                if *k == SourceKind::Git {
                    ctx.t("migrate.service_git")
                } else {
                    k.display_name()
                },
            )
        })
        .collect();
    page(
        ctx,
        ctx.t("migrate.title"),
        html! {
            h1 { (ctx.t("migrate.title")) }
            p.muted { (ctx.t("migrate.intro")) }
            form.stack method="post" action="/repo/migrate" id="migrate-form" novalidate {
                (csrf_input(ctx))
                (Field::new("service", ctx.t("migrate.service"), &form.service).input(Input::Select(&services)).render(ctx, errors))
                (Field::new("clone_addr", ctx.t("migrate.clone_addr"), &form.clone_addr).required().hint(ctx.t("migrate.clone_addr_hint")).render(ctx, errors))
                fieldset.stack {
                    legend { (ctx.t("migrate.auth")) }
                    p.muted { (ctx.t("migrate.auth_hint")) }
                    (Field::new("auth_username", ctx.t("migrate.auth_username"), &form.auth_username).autocomplete("off").render(ctx, errors))
                    (Field::new("auth_password", ctx.t("migrate.auth_password"), &form.auth_password).input(Input::Password).autocomplete("new-password").render(ctx, errors))
                    (Field::new("auth_token", ctx.t("migrate.auth_token"), &form.auth_token).input(Input::Password).autocomplete("off").hint(ctx.t("migrate.auth_token_hint")).render(ctx, errors))
                }
                (Field::new("owner", ctx.t("field.owner"), &form.owner).input(Input::Select(&owner_options)).render(ctx, errors))
                (Field::new("repo_name", ctx.t("field.repo_name"), &form.repo_name).required().hint(ctx.t("hint.repo_name")).render(ctx, errors))
                (Field::new("description", ctx.t("field.description"), &form.description).render(ctx, errors))
                (Field::new("private", ctx.t("field.private"), &form.private).input(Input::Checkbox).hint(ctx.t("hint.private")).render(ctx, errors))
                fieldset.stack {
                    legend { (ctx.t("migrate.items")) }
                    p.muted { (ctx.t("migrate.items_hint")) }
                    (Field::new("labels", ctx.t("migrate.labels"), &form.labels).input(Input::Checkbox).render(ctx, errors))
                    (Field::new("milestones", ctx.t("migrate.milestones"), &form.milestones).input(Input::Checkbox).render(ctx, errors))
                    (Field::new("issues", ctx.t("migrate.issues"), &form.issues).input(Input::Checkbox).render(ctx, errors))
                    (Field::new("pull_requests", ctx.t("migrate.pull_requests"), &form.pull_requests).input(Input::Checkbox).render(ctx, errors))
                    (Field::new("releases", ctx.t("migrate.releases"), &form.releases).input(Input::Checkbox).render(ctx, errors))
                }
                fieldset.stack {
                    legend { (ctx.t("migrate.mirror_title")) }
                    (Field::new("mirror", ctx.t("migrate.mirror"), &form.mirror).input(Input::Checkbox).hint(ctx.t("migrate.mirror_hint")).render(ctx, errors))
                    (Field::new("mirror_interval", ctx.t("mirrors.interval"), &form.mirror_interval).hint(ctx.t("mirrors.interval_hint")).render(ctx, errors))
                }
                div { button.btn.btn-primary type="submit" id="migrate-submit" { (ctx.t("migrate.submit")) } }
            }
        },
    )
}

pub async fn form(State(state): State<AppState>, ctx: Ctx) -> WebResult<Markup> {
    let owners = owner_choices(&state, &ctx).await?;
    let form = MigrateForm {
        service: SourceKind::Github.as_str().to_owned(),
        owner: owners.first().map(|o| o.name.clone()).unwrap_or_default(),
        labels: "on".into(),
        milestones: "on".into(),
        issues: "on".into(),
        pull_requests: "on".into(),
        releases: "on".into(),
        ..MigrateForm::default()
    };
    Ok(form_page(&ctx, &owners, &form, &FormErrors::default()))
}

/// Where a refused request's message goes, and which message.
fn refusal(errors: &mut FormErrors, e: &StartError) {
    match e {
        StartError::Input(ImportInputError::UnknownService(_)) => {
            errors.add("service", "migrate.error_service")
        }
        StartError::Input(ImportInputError::CredentialsInAddress) => {
            errors.add("clone_addr", "migrate.error_credentials_in_address")
        }
        StartError::Input(_) => errors.add("clone_addr", "migrate.error_address"),
        StartError::Refused(_) => errors.add("clone_addr", "mirrors.error_address"),
        StartError::BadName(_) => errors.add("repo_name", "error.name.invalid_character"),
        StartError::BadDescription(_) => errors.add("description", "error.field.too_long"),
        StartError::BadInterval(_) => errors.add("mirror_interval", "mirrors.error_interval"),
        StartError::NameTaken => errors.add("repo_name", "error.repo.taken"),
        StartError::Denied(_) | StartError::NoSuchOwner => {
            errors.add("owner", "error.repo.owner_not_allowed")
        }
        StartError::UnknownUser(_) => errors.add("clone_addr", "migrate.error_user_map"),
        StartError::Seal(_) => errors.add("auth_password", "mirrors.error_sealed"),
        StartError::Other(_) => {}
    }
}

pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<MigrateForm>,
) -> WebResult<Response> {
    let owners = owner_choices(&state, &ctx).await?;
    let mut errors = FormErrors::default();
    let owner = owners
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case(form.owner.trim()));
    if owner.is_none() {
        errors.add("owner", "error.repo.owner_not_allowed");
    }
    // The name and description answer as on "New repository"; the rest is the service's.
    let _ = Name::parse(NameKind::Repository, form.repo_name.trim())
        .inspect_err(|e| errors.name("repo_name", e));
    let _ = validate::text(&form.description, DESCRIPTION_MAX)
        .inspect_err(|e| errors.field("description", e));
    let (Some(owner), true) = (owner, errors.is_empty()) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &owners, &form, &errors),
        )
            .into_response());
    };
    let started = hatchery_service::Forge::start_import(
        state.clone(),
        ctx.actor(),
        ImportOwner {
            id: owner.id,
            name: &owner.name,
            resource: owner.resource,
        },
        form.request(),
    )
    .await;
    match started {
        Ok((repo, _)) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "migrate.flash_started",
            &format!("/{}/{}", repo.owner_name, repo.name),
        )),
        Err(StartError::Other(e)) => Err(e.into()),
        Err(e) => {
            let status = match e {
                StartError::NameTaken => StatusCode::CONFLICT,
                StartError::Denied(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let mut errors = FormErrors::default();
            refusal(&mut errors, &e);
            Ok((status, form_page(&ctx, &owners, &form, &errors)).into_response())
        }
    }
}

/// Resumes a failed import (repository administrators).
pub async fn resume(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Read).await?;
    let back = format!("/{}/{}", repo.owner_name, repo.name);
    match hatchery_service::Forge::resume_import(state.clone(), ctx.actor(), &repo).await {
        Ok(()) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "migrate.flash_resumed",
            &back,
        )),
        Err(ResumeError::NotFound) => Err(WebError::NotFound),
        Err(ResumeError::Denied(d)) => Err(WebError::from_denial(d, &ctx.path)),
        Err(ResumeError::NotFailed) => Ok(flash_redirect(
            &ctx,
            FlashKind::Error,
            "migrate.flash_not_failed",
            &back,
        )),
        Err(ResumeError::Other(e)) => Err(e.into()),
    }
}

fn stage_key(stage: Stage) -> &'static str {
    match stage {
        Stage::Git => "migrate.stage_git",
        Stage::Labels => "migrate.labels",
        Stage::Milestones => "migrate.milestones",
        Stage::Issues => "migrate.issues",
        Stage::PullRequests => "migrate.pull_requests",
        Stage::Releases => "migrate.releases",
        Stage::Done => "migrate.state_done",
    }
}

fn state_key(state: ImportState) -> &'static str {
    match state {
        ImportState::Queued => "migrate.state_queued",
        ImportState::Running => "migrate.state_running",
        ImportState::Failed => "migrate.state_failed",
        ImportState::Done => "migrate.state_done",
    }
}

/// The progress of an unfinished import, for the top of the repository's pages: the
/// stage, what has come so far, the error of a failed one with "resume" for those who may.
/// A running import's page reloads itself (`data-reload-after`).
pub async fn progress_notice(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    may_administer: bool,
) -> WebResult<Option<Markup>> {
    let progress = state.forge.unfinished_import(repo).await?;
    Ok(progress.map(|p| notice(ctx, repo, &p, may_administer)))
}

fn notice(ctx: &Ctx, repo: &Repo, p: &ImportProgress, may_administer: bool) -> Markup {
    let running = matches!(p.state, ImportState::Queued | ImportState::Running);
    let c = &p.counts;
    let counts: [(&str, i64, bool); 7] = [
        ("migrate.labels", c.labels, p.items.labels),
        ("migrate.milestones", c.milestones, p.items.milestones),
        ("migrate.issues", c.issues, p.items.issues),
        ("migrate.comments", c.comments, p.items.issues),
        (
            "migrate.pull_requests",
            c.pull_requests,
            p.items.pull_requests,
        ),
        ("migrate.releases", c.releases, p.items.releases),
        ("migrate.assets", c.assets, p.items.releases),
    ];
    html! {
        div.notice role="status" id="import-progress"
            data-reload-after=[running.then_some(RELOAD_MS)] {
            strong { (ctx.t("migrate.importing_from")) } " " code { (p.clone_addr) }
            " · " span id="import-state" { (ctx.t(state_key(p.state))) }
            @if p.state != ImportState::Done {
                " · " (ctx.t("migrate.stage")) " " span id="import-stage" { (ctx.t(stage_key(p.stage))) }
            }
            ul id="import-counts" {
                @for (key, n, wanted) in counts {
                    @if wanted { li { (ctx.t(key)) ": " (n) } }
                }
            }
            @if !p.last_error.is_empty() {
                p id="import-error" { (ctx.t("migrate.last_error")) " " code { (p.last_error) } }
            }
            @if p.resumable() && may_administer {
                (button_form(ctx, &format!("/{}/{}/migration/resume", repo.owner_name, repo.name), ctx.t("migrate.resume"), "btn-primary"))
            }
        }
    }
}
