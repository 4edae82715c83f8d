//! Repositories: creation, the repository page, settings (description, visibility,
//! default branch, collaborators, teams) and deletion.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::org::{level_label, level_options};
use crate::state::AppState;
use crate::views::{button_form, page, tabs};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::validate::{self, DESCRIPTION_MAX};
use hatchery_core::{
    AccessLevel, Action, Actor, Name, NameKind, OrgFacts, OrgRole, Resource, authorize,
};
use hatchery_git::{Head, Signature};
use hatchery_service::access::RepoLookup;
use hatchery_service::repos::{CreateRepo, CreateRepoError};
use hatchery_store::{Account, Repo, now_ms};
use maud::{Markup, html};
use serde::Deserialize;

/// The repository in the path, if `ctx`'s actor may do `action` to it. A repository the
/// actor may not read is a 404, exactly like one that does not exist.
pub async fn load(
    state: &AppState,
    ctx: &Ctx,
    owner: &str,
    name: &str,
    action: Action,
) -> WebResult<Repo> {
    match state
        .forge
        .find_repo(ctx.actor(), owner, name, action)
        .await?
    {
        RepoLookup::Found { repo, .. } => Ok(repo),
        RepoLookup::Hidden => Err(WebError::NotFound),
        RepoLookup::Denied { denial, .. } => Err(WebError::from_denial(denial, &ctx.path)),
    }
}

fn can(state_facts: hatchery_core::RepoFacts, ctx: &Ctx, action: Action) -> bool {
    authorize(ctx.actor(), action, Resource::Repo(state_facts)).is_allowed()
}

pub fn clone_url(ctx: &Ctx, repo: &Repo) -> String {
    format!("{}{}/{}.git", ctx.public_url, repo.owner_name, repo.name)
}

/// The SSH clone URL, when the SSH server is on.
pub fn ssh_clone_url(state: &AppState, repo: &Repo) -> Option<String> {
    state
        .cfg
        .ssh_clone
        .as_ref()
        .map(|base| base.url(&repo.owner_name, &repo.name))
}

/// The clone URLs with their copy buttons: HTTP, and SSH when it is on.
pub fn clone_boxes(state: &AppState, ctx: &Ctx, repo: &Repo) -> Markup {
    let http = clone_url(ctx, repo);
    let ssh = ssh_clone_url(state, repo);
    html! {
        label for="clone-url" { strong { (ctx.t("repo.clone_http")) } }
        div.clone-box {
            input id="clone-url" type="text" readonly value=(http);
            button.btn.btn-small type="button" data-copy=(http) data-copied=(ctx.t("repo.copied")) { (ctx.t("repo.copy")) }
        }
        @if let Some(ssh) = ssh {
            label for="clone-ssh-url" { strong { (ctx.t("sshkeys.clone_ssh")) } }
            div.clone-box {
                input id="clone-ssh-url" type="text" readonly value=(ssh);
                button.btn.btn-small type="button" data-copy=(ssh) data-copied=(ctx.t("repo.copied")) { (ctx.t("repo.copy")) }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RepoTab {
    Code,
    Issues,
    Pulls,
    Commits,
    Branches,
    Tags,
    Releases,
    Settings,
}

/// Title, badges, notices and tabs shared by every repository page.
pub async fn repo_header(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    active: RepoTab,
) -> WebResult<Markup> {
    let facts = state.forge.repo_facts(ctx.actor(), repo).await?;
    let base = format!("/{}/{}", repo.owner_name, repo.name);
    let commits = format!(
        "{base}/commits/{}",
        crate::pages::code::enc(&repo.default_branch)
    );
    let counts = state.forge.header_counts(ctx.actor(), repo).await?;
    let issues_tab = format!("{} {}", ctx.t("repo.tab.issues"), counts.open_issues);
    let issues_tab = issues_tab.as_str();
    let pulls_tab = format!("{} {}", ctx.t("pulls.tab"), counts.open_pulls);
    let releases_tab = format!("{} {}", ctx.t("release.tab"), counts.releases);
    let mut items = vec![
        (
            ctx.t("repo.tab.code"),
            base.clone(),
            active == RepoTab::Code,
        ),
        (
            issues_tab,
            format!("{base}/issues"),
            active == RepoTab::Issues,
        ),
        (
            pulls_tab.as_str(),
            format!("{base}/pulls"),
            active == RepoTab::Pulls,
        ),
        (
            ctx.t("repo.tab.commits"),
            commits,
            active == RepoTab::Commits,
        ),
        (
            ctx.t("repo.branches"),
            format!("{base}/branches"),
            active == RepoTab::Branches,
        ),
        (
            ctx.t("repo.tags"),
            format!("{base}/tags"),
            active == RepoTab::Tags,
        ),
        (
            releases_tab.as_str(),
            format!("{base}/releases"),
            active == RepoTab::Releases,
        ),
    ];
    if can(facts, ctx, Action::Administer) {
        items.push((
            ctx.t("repo.tab.settings"),
            format!("{base}/settings"),
            active == RepoTab::Settings,
        ));
    }
    let mirror = if repo.read_only {
        state.store.pull_mirror(repo.id).await?
    } else {
        None
    };
    let retired = if repo.read_only && mirror.is_none() {
        crate::pages::incubator::retired_notice(state, ctx, repo).await?
    } else {
        None
    };
    let (forked_from, fork_button) =
        crate::pages::forks::header_parts(state, ctx, repo, facts, counts.forks).await?;
    let import = if counts.imported {
        crate::pages::migrate::progress_notice(
            state,
            ctx,
            repo,
            can(facts, ctx, Action::Administer),
        )
        .await?
    } else {
        None
    };
    Ok(html! {
        (fork_button)
        h1.repo-title {
            a href=(format!("/{}", repo.owner_name)) { (repo.owner_name) }
            span.sep { "/" }
            a href=(base) { strong { (repo.name) } }
            " "
            span.badge { (ctx.t(if repo.is_private { "repo.private" } else { "repo.public" })) }
        }
        (forked_from)
        @if !repo.description.is_empty() { p.muted { (repo.description) } }
        @if let Some(n) = import { (n) }
        @if let Some(m) = &mirror { (crate::pages::mirrors::notice(ctx, m)) }
        @else if let Some(notice) = retired { (notice) }
        @else if repo.read_only { div.notice role="note" id="read-only-notice" { (ctx.t("repo.read_only_notice")) } }
        (tabs(&items))
    })
}

// ---- create ----

#[derive(Deserialize, Default)]
pub struct CreateForm {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    private: String,
    #[serde(default)]
    init_readme: String,
    #[serde(default)]
    default_labels: String,
}

/// An account the signed-in person may create repositories for.
pub(crate) struct OwnerChoice {
    pub name: String,
    pub id: i64,
    /// The account as the policy sees it, for `CreateRepo`.
    pub resource: Resource,
}

/// Accounts the signed-in person may create repositories for: themselves and the
/// organizations where the policy allows it.
pub(crate) async fn owner_choices(state: &AppState, ctx: &Ctx) -> WebResult<Vec<OwnerChoice>> {
    let user = ctx.require_user()?;
    let mut out = vec![OwnerChoice {
        name: user.name.clone(),
        id: user.id,
        resource: Resource::User { id: user.id },
    }];
    for (org, role) in state.store.orgs_of_user(user.id).await? {
        let resource = Resource::Org(OrgFacts { role: Some(role) });
        if authorize(ctx.actor(), Action::CreateRepo, resource).is_allowed() {
            out.push(OwnerChoice {
                name: org.name,
                id: org.id,
                resource,
            });
        }
    }
    Ok(out)
}

/// The owner select of a form that creates a repository.
pub(crate) fn owner_options(owners: &[OwnerChoice]) -> Vec<(&str, &str)> {
    owners
        .iter()
        .map(|o| (o.name.as_str(), o.name.as_str()))
        .collect()
}

fn create_page(
    ctx: &Ctx,
    owners: &[OwnerChoice],
    form: &CreateForm,
    errors: &FormErrors,
) -> Markup {
    let options = owner_options(owners);
    page(
        ctx,
        ctx.t("repo.create.title"),
        html! {
            h1 { (ctx.t("repo.create.title")) }
            form.stack method="post" action="/repo/create" id="repo-create-form" novalidate {
                (csrf_input(ctx))
                (Field::new("owner", ctx.t("field.owner"), &form.owner).input(Input::Select(&options)).render(ctx, errors))
                (Field::new("name", ctx.t("field.repo_name"), &form.name).required().hint(ctx.t("hint.repo_name")).render(ctx, errors))
                (Field::new("description", ctx.t("field.description"), &form.description).render(ctx, errors))
                (Field::new("private", ctx.t("field.private"), &form.private).input(Input::Checkbox).hint(ctx.t("hint.private")).render(ctx, errors))
                (Field::new("init_readme", ctx.t("field.init_readme"), &form.init_readme).input(Input::Checkbox).render(ctx, errors))
                (Field::new("default_labels", ctx.t("labels.add_defaults_field"), &form.default_labels).input(Input::Checkbox).hint(ctx.t("labels.add_defaults_hint")).render(ctx, errors))
                div { button.btn.btn-primary type="submit" id="repo-create-submit" { (ctx.t("repo.create.submit")) } }
            }
            p.muted { (ctx.t("migrate.elsewhere")) " " a href="/repo/migrate" id="migrate-link" { (ctx.t("migrate.title")) } }
        },
    )
}

pub async fn create_form(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<OwnerQuery>,
) -> WebResult<Markup> {
    let owners = owner_choices(&state, &ctx).await?;
    let form = CreateForm {
        owner: q.owner.unwrap_or_default(),
        default_labels: "on".into(),
        ..CreateForm::default()
    };
    Ok(create_page(&ctx, &owners, &form, &FormErrors::default()))
}

#[derive(Deserialize)]
pub struct OwnerQuery {
    owner: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CreateForm>,
) -> WebResult<Response> {
    let owners = owner_choices(&state, &ctx).await?;
    let user = ctx.require_user()?.clone();
    let mut errors = FormErrors::default();
    let owner = owners
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case(form.owner.trim()))
        .map(|o| (&o.name, &o.id));
    if owner.is_none() {
        errors.add("owner", "error.repo.owner_not_allowed");
    }
    let name =
        Name::parse(NameKind::Repository, &form.name).inspect_err(|e| errors.name("name", e));
    let description = validate::text(&form.description, DESCRIPTION_MAX)
        .inspect_err(|e| errors.field("description", e));
    let (Some((owner_name, owner_id)), Ok(name), Ok(description)) = (owner, name, description)
    else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            create_page(&ctx, &owners, &form, &errors),
        )
            .into_response());
    };
    let author = (form.init_readme == "on").then(|| Signature {
        name: if user.display_name.is_empty() {
            user.name.clone()
        } else {
            user.display_name.clone()
        },
        email: user.email.clone(),
        time: now_ms() / 1000,
        offset_seconds: 0,
    });
    let created = state
        .forge
        .create_repo_by(
            Some(user.id),
            CreateRepo {
                owner_id: *owner_id,
                owner_name,
                name: &name,
                description: &description,
                is_private: form.private == "on",
                init_readme: author,
            },
        )
        .await;
    match created {
        Ok(repo) => {
            tracing::info!(repo = %format!("{}/{}", repo.owner_name, repo.name), "repository created");
            if form.default_labels == "on" {
                let labels = crate::pages::labels::default_labels(&ctx);
                // The repository exists now: a failure here costs only the labels, which
                // the labels page can still add.
                if let Err(e) = state.store.add_labels(repo.id, &labels).await {
                    tracing::warn!(error = %e, "adding the default labels failed");
                }
            }
            Ok(flash_redirect(
                &ctx,
                FlashKind::Success,
                "flash.repo_created",
                &format!("/{}/{}", repo.owner_name, repo.name),
            ))
        }
        Err(CreateRepoError::NameTaken) => {
            errors.add("name", "error.repo.taken");
            Ok((
                StatusCode::CONFLICT,
                create_page(&ctx, &owners, &form, &errors),
            )
                .into_response())
        }
        Err(CreateRepoError::NoSuchOwner) => Err(WebError::NotFound),
        Err(CreateRepoError::Other(e)) => Err(e.into()),
    }
}

// ---- the repository page ----

struct RefSummary {
    head_branch: Option<String>,
    empty: bool,
    branches: Vec<(String, String)>,
}

async fn summarize(state: &AppState, repo: &Repo) -> WebResult<RefSummary> {
    let git = {
        let state = state.clone();
        let repo = repo.clone();
        tokio::task::spawn_blocking(
            move || -> Result<RefSummary, hatchery_service::ServiceError> {
                let git = state.forge.open_git_blocking(&repo)?;
                let head = git.head()?;
                let refs = git.refs()?;
                let short = |s: &str| s.chars().take(10).collect::<String>();
                let mut branches: Vec<(String, String)> = refs
                    .iter()
                    .filter_map(|r| {
                        r.name
                            .strip_prefix("refs/heads/")
                            .map(|b| (b.to_owned(), short(&r.target.to_hex())))
                    })
                    .collect();
                let head_branch = head
                    .branch()
                    .map(|b| b.trim_start_matches("refs/heads/").to_owned());
                branches.sort_by(|a, b| {
                    (Some(&a.0) != head_branch.as_ref())
                        .cmp(&(Some(&b.0) != head_branch.as_ref()))
                        .then(a.0.cmp(&b.0))
                });
                Ok(RefSummary {
                    empty: matches!(head, Head::Unborn { .. }) && branches.is_empty(),
                    head_branch,
                    branches,
                })
            },
        )
    };
    Ok(git.await.map_err(WebError::internal)??)
}

/// The page of a repository with no commits yet: how to push to it.
pub async fn empty_page(state: &AppState, ctx: &Ctx, repo: &Repo) -> WebResult<Markup> {
    let url = clone_url(ctx, repo);
    let header = repo_header(state, ctx, repo, RepoTab::Code).await?;
    Ok(page(
        ctx,
        &format!("{}/{}", repo.owner_name, repo.name),
        html! {
            (header)
            div.card {
                (clone_boxes(state, ctx, repo))
            }
            section.card id="empty-repo" {
                h2 style="margin-top:0" { (ctx.t("repo.empty.title")) }
                p { (ctx.t("repo.empty.new")) }
                pre.instructions { code { "git init\ngit add .\ngit commit -m \"first commit\"\ngit branch -M " (repo.default_branch) "\ngit remote add origin " (url) "\ngit push -u origin " (repo.default_branch) } }
                p { (ctx.t("repo.empty.existing")) }
                pre.instructions { code { "git remote add origin " (url) "\ngit push -u origin --all\ngit push origin --tags" } }
            }
        },
    ))
}

// ---- settings ----

#[derive(Deserialize, Default)]
pub struct GeneralForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    private: String,
    #[serde(default)]
    default_branch: String,
}

#[derive(Deserialize, Default)]
pub struct CollaboratorForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    level: String,
}

#[derive(Deserialize, Default)]
pub struct LevelForm {
    #[serde(default)]
    level: String,
}

#[derive(Deserialize, Default)]
pub struct TeamForm {
    #[serde(default)]
    team: String,
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

#[derive(Default)]
struct SettingsErrors {
    general: FormErrors,
    collaborator: FormErrors,
    delete: FormErrors,
}

async fn settings_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    general: &GeneralForm,
    collab: &CollaboratorForm,
    errors: &SettingsErrors,
) -> WebResult<Markup> {
    let base = format!("/{}/{}/settings", repo.owner_name, repo.name);
    let header = repo_header(state, ctx, repo, RepoTab::Settings).await?;
    let summary = summarize(state, repo).await?;
    let collaborators = state.store.collaborators(repo.id).await?;
    let (linked, available) = if repo.owner_is_org {
        let linked = state.store.repo_teams(repo.id).await?;
        let all = state.store.teams_of_org(repo.owner_id).await?;
        let available: Vec<_> = all
            .into_iter()
            .filter(|t| !linked.iter().any(|l| l.id == t.id))
            .collect();
        (linked, available)
    } else {
        (vec![], vec![])
    };
    let levels = level_options(ctx);
    let branch_options: Vec<(&str, &str)> = summary
        .branches
        .iter()
        .map(|(b, _)| (b.as_str(), b.as_str()))
        .collect();
    let full_name = format!("{}/{}", repo.owner_name, repo.name);
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("repo.tab.settings"), full_name),
        html! {
            (header)
            p #settings-links {
                a href=(format!("{base}/hooks")) { (ctx.t("webhooks.title")) }
                " · "
                a href=(format!("{base}/branches")) { (ctx.t("protection.title")) }
                " · "
                a href=(format!("{base}/merge")) id="merge-settings-link" { (ctx.t("prweb.settings.title")) }
                " · "
                a href=(format!("{base}/keys")) id="deploy-keys-link" { (ctx.t("sshkeys.deploy_title")) }
                " · "
                a href=(format!("{base}/mirror")) id="mirrors-link" { (ctx.t("mirrors.title")) }
            }
            section.card {
                h2 style="margin-top:0" { (ctx.t("repo.settings.general")) }
                form.stack method="post" action=(base) id="repo-settings-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("description", ctx.t("field.description"), &general.description).render(ctx, &errors.general))
                    (Field::new("private", ctx.t("field.private"), &general.private).input(Input::Checkbox).hint(ctx.t("hint.private")).render(ctx, &errors.general))
                    @if branch_options.is_empty() {
                        (Field::new("default_branch", ctx.t("field.default_branch"), &general.default_branch).render(ctx, &errors.general))
                    } @else {
                        (Field::new("default_branch", ctx.t("field.default_branch"), &general.default_branch).input(Input::Select(&branch_options)).render(ctx, &errors.general))
                    }
                    div { button.btn.btn-primary type="submit" { (ctx.t("action.save")) } }
                }
            }
            section.card {
                h2 style="margin-top:0" { (ctx.t("repo.settings.collaborators")) }
                @if collaborators.is_empty() {
                    p.muted { (ctx.t("repo.settings.no_collaborators")) }
                } @else {
                    ul.list id="collaborator-list" style="margin-bottom:16px" {
                        @for c in &collaborators {
                            li {
                                a href=(format!("/{}", c.user.name)) { (c.user.name) }
                                span.inline-form {
                                    form.inline-form method="post" action=(format!("{base}/collaborators/{}/level", c.user.name)) {
                                        (csrf_input(ctx))
                                        select name="level" aria-label=(ctx.t("field.level")) {
                                            @for (v, label) in &levels { option value=(v) selected[*v == c.level.as_str()] { (label) } }
                                        }
                                        button.btn.btn-small type="submit" { (ctx.t("action.change")) }
                                    }
                                    (button_form(ctx, &format!("{base}/collaborators/{}/remove", c.user.name), ctx.t("action.remove"), "btn-danger"))
                                }
                            }
                        }
                    }
                }
                form.stack method="post" action=(format!("{base}/collaborators")) id="collaborator-add-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("username", ctx.t("field.username"), &collab.username).required().render(ctx, &errors.collaborator))
                    (Field::new("level", ctx.t("field.level"), if collab.level.is_empty() { "write" } else { &collab.level }).input(Input::Select(&levels)).render(ctx, &errors.collaborator))
                    div { button.btn.btn-primary type="submit" { (ctx.t("repo.settings.add_collaborator")) } }
                }
            }
            @if repo.owner_is_org {
                section.card {
                    h2 style="margin-top:0" { (ctx.t("repo.settings.teams")) }
                    p.muted { (ctx.t("repo.settings.teams_hint")) }
                    @if !linked.is_empty() {
                        ul.list id="repo-team-list" style="margin-bottom:16px" {
                            @for t in &linked {
                                li {
                                    span { (t.name) " " span.badge { (level_label(ctx, t.permission)) } }
                                    (button_form(ctx, &format!("{base}/teams/{}/remove", t.name), ctx.t("action.remove"), "btn-danger"))
                                }
                            }
                        }
                    }
                    @if available.is_empty() {
                        p.muted { (ctx.t("repo.settings.no_more_teams")) }
                    } @else {
                        form.inline-form method="post" action=(format!("{base}/teams")) id="repo-team-add-form" {
                            (csrf_input(ctx))
                            select name="team" aria-label=(ctx.t("field.team_name")) {
                                @for t in &available { option value=(t.name) { (t.name) } }
                            }
                            button.btn.btn-primary.btn-small type="submit" { (ctx.t("repo.settings.add_team")) }
                        }
                    }
                }
            }
            section.card {
                h2 style="margin-top:0" { (ctx.t("repo.settings.danger")) }
                p { (ctx.tf("repo.settings.delete_explain", &[("name", &full_name)])) }
                form.stack method="post" action=(format!("{base}/delete")) id="repo-delete-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("confirm", ctx.t("field.confirm_repo"), "").required().render(ctx, &errors.delete))
                    div { button.btn.btn-danger type="submit" { (ctx.t("repo.settings.delete")) } }
                }
            }
        },
    ))
}

fn general_of(repo: &Repo) -> GeneralForm {
    GeneralForm {
        description: repo.description.clone(),
        private: if repo.is_private {
            "on".into()
        } else {
            String::new()
        },
        default_branch: repo.default_branch.clone(),
    }
}

fn settings_url(repo: &Repo) -> String {
    format!("/{}/{}/settings", repo.owner_name, repo.name)
}

pub async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    settings_page(
        &state,
        &ctx,
        &repo,
        &general_of(&repo),
        &CollaboratorForm::default(),
        &SettingsErrors::default(),
    )
    .await
}

pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<GeneralForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let mut errors = SettingsErrors::default();
    let description = validate::text(&form.description, DESCRIPTION_MAX)
        .inspect_err(|e| errors.general.field("description", e));
    let branch = form.default_branch.trim().to_owned();
    let branch_ok = hatchery_git::validate_ref_name(&format!("refs/heads/{branch}")).is_ok()
        && !branch.is_empty();
    if !branch_ok {
        errors
            .general
            .add("default_branch", "error.repo.bad_branch");
    }
    let summary = summarize(&state, &repo).await?;
    if branch_ok && !summary.empty && !summary.branches.iter().any(|(b, _)| *b == branch) {
        errors
            .general
            .add("default_branch", "error.repo.no_such_branch");
    }
    let Ok(description) = description else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page(
                &state,
                &ctx,
                &repo,
                &form,
                &CollaboratorForm::default(),
                &errors,
            )
            .await?,
        )
            .into_response());
    };
    if !errors.general.is_empty() {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page(
                &state,
                &ctx,
                &repo,
                &form,
                &CollaboratorForm::default(),
                &errors,
            )
            .await?,
        )
            .into_response());
    }
    if branch != repo.default_branch || summary.head_branch.as_deref() != Some(branch.as_str()) {
        let (st, r, b) = (state.clone(), repo.clone(), branch.clone());
        tokio::task::spawn_blocking(move || -> Result<(), hatchery_service::ServiceError> {
            st.forge.open_git_blocking(&r)?.set_head(&b)?;
            Ok(())
        })
        .await
        .map_err(WebError::internal)??;
    }
    state
        .store
        .update_repo(repo.id, &description, form.private == "on", &branch)
        .await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.repo_saved",
        &settings_url(&repo),
    ))
}

pub async fn add_collaborator(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<CollaboratorForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let mut errors = SettingsErrors::default();
    let level = form
        .level
        .parse::<AccessLevel>()
        .inspect_err(|_| errors.collaborator.add("level", "error.permission.unknown"));
    let user = match form.username.trim() {
        "" => {
            errors.collaborator.add("username", "error.field.required");
            None
        }
        n => match state.store.account_by_name(n).await? {
            Some(Account::User(u)) => Some(u),
            Some(Account::Org(_)) => {
                errors
                    .collaborator
                    .add("username", "error.repo.collaborator_org");
                None
            }
            None => {
                errors.collaborator.add("username", "error.user.not_found");
                None
            }
        },
    };
    let (Some(user), Ok(level)) = (user, level) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page(&state, &ctx, &repo, &general_of(&repo), &form, &errors).await?,
        )
            .into_response());
    };
    state
        .store
        .set_collaborator(repo.id, user.id, level)
        .await?;
    tracing::info!(repo = %repo.name, user = %user.name, %level, "collaborator set");
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.collaborator_added",
        &settings_url(&repo),
    ))
}

pub async fn change_collaborator(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, username)): Path<(String, String, String)>,
    Form(form): Form<LevelForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let level = form
        .level
        .parse::<AccessLevel>()
        .map_err(|_| WebError::BadRequest("error.permission.unknown"))?;
    let user = state
        .store
        .user_by_name(&username)
        .await?
        .ok_or(WebError::NotFound)?;
    if !state
        .store
        .collaborators(repo.id)
        .await?
        .iter()
        .any(|c| c.user.id == user.id)
    {
        return Err(WebError::NotFound);
    }
    state
        .store
        .set_collaborator(repo.id, user.id, level)
        .await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.collaborator_changed",
        &settings_url(&repo),
    ))
}

pub async fn remove_collaborator(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, username)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let user = state
        .store
        .user_by_name(&username)
        .await?
        .ok_or(WebError::NotFound)?;
    state.store.remove_collaborator(repo.id, user.id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.collaborator_removed",
        &settings_url(&repo),
    ))
}

pub async fn add_team(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<TeamForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    if !repo.owner_is_org {
        return Err(WebError::NotFound);
    }
    let team = state
        .store
        .team_by_name(repo.owner_id, form.team.trim())
        .await?
        .ok_or(WebError::BadRequest("error.team.not_found"))?;
    state.store.add_repo_team(repo.id, team.id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.team_linked",
        &settings_url(&repo),
    ))
}

pub async fn remove_team(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, team)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    if !repo.owner_is_org {
        return Err(WebError::NotFound);
    }
    let team = state
        .store
        .team_by_name(repo.owner_id, &team)
        .await?
        .ok_or(WebError::NotFound)?;
    state.store.remove_repo_team(repo.id, team.id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.team_unlinked",
        &settings_url(&repo),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<DeleteForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Administer).await?;
    let full_name = format!("{}/{}", repo.owner_name, repo.name);
    if form.confirm.trim() != full_name {
        let mut errors = SettingsErrors::default();
        errors.delete.add("confirm", "error.confirm_mismatch");
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page(
                &state,
                &ctx,
                &repo,
                &general_of(&repo),
                &CollaboratorForm::default(),
                &errors,
            )
            .await?,
        )
            .into_response());
    }
    state
        .forge
        .delete_repo_by(ctx.actor().user_id(), &repo)
        .await?;
    tracing::info!(repo = %full_name, "repository deleted");
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.repo_deleted",
        &format!("/{}", repo.owner_name),
    ))
}

/// Lists an owner's repositories the viewer may see, for profile pages.
pub async fn list_for(state: &AppState, actor: Actor, owner_id: i64) -> WebResult<Vec<Repo>> {
    Ok(state.forge.visible_repos(actor, owner_id).await?)
}

pub fn repo_list(ctx: &Ctx, repos: &[Repo]) -> Markup {
    html! {
        @if repos.is_empty() {
            div.empty { (ctx.t("repo.none")) }
        } @else {
            ul.list id="repo-list" {
                @for r in repos {
                    li {
                        span {
                            a href=(format!("/{}/{}", r.owner_name, r.name)) { strong { (r.name) } }
                            @if r.is_private { " " span.badge { (ctx.t("repo.private")) } }
                            @if !r.description.is_empty() { br; span.muted { (r.description) } }
                        }
                        span.muted { (ctx.tf("repo.updated", &[("date", &crate::views::date(r.updated_at))])) }
                    }
                }
            }
        }
    }
}

/// Whether the role lets a person create repositories in the organization (for links).
pub fn may_create_in_org(ctx: &Ctx, role: Option<OrgRole>) -> bool {
    authorize(
        ctx.actor(),
        Action::CreateRepo,
        Resource::Org(OrgFacts { role }),
    )
    .is_allowed()
}
