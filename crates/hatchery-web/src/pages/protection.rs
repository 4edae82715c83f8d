//! Protected-branch settings of a repository (`/{owner}/{repo}/settings/branches`): the
//! list of rules with a form to add one, editing (`.../branches/edit?rule=NAME`, since rule
//! names hold `/`) and deleting. Repository administrators only; a private repository is
//! a 404 to those who cannot read it, a 403 to readers.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::repo::{RepoTab, load, repo_header};
use crate::state::AppState;
use crate::views::page;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::Action;
use hatchery_core::protection::{Allowlist, BranchRule};
use hatchery_service::protection::{RuleInput, RuleSaveError};
use hatchery_store::{ProtectionRule, Repo};
use maud::{Markup, html};
use serde::Deserialize;

/// Who may push: `enable_push` and the push allowlist as one choice.
const PUSH_NOBODY: &str = "nobody";
const PUSH_WRITERS: &str = "writers";
const PUSH_LISTED: &str = "listed";

/// The rule form as submitted (checkboxes are absent when off).
#[derive(Debug, Clone, Default)]
struct RuleForm {
    rule_name: String,
    push: String,
    push_users: String,
    push_teams: String,
    enable_force_push: bool,
    force_push_listed: bool,
    force_push_users: String,
    force_push_teams: String,
    enable_deletion: bool,
    merge_listed: bool,
    merge_users: String,
    merge_teams: String,
    enable_status_check: bool,
    status_check_contexts: String,
    required_approvals: String,
    block_on_rejected_reviews: bool,
    dismiss_stale_approvals: bool,
    require_signoff: bool,
    require_linear_history: bool,
    admins_bypass: bool,
}

/// Names typed into one box, separated by commas, spaces or new lines.
fn names(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

impl RuleForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> RuleForm {
        let mut f = RuleForm::default();
        for (k, v) in pairs {
            let on = v == "on";
            match k.as_str() {
                "rule_name" => f.rule_name = v,
                "push" => f.push = v,
                "push_users" => f.push_users = v,
                "push_teams" => f.push_teams = v,
                "enable_force_push" => f.enable_force_push = on,
                "force_push_listed" => f.force_push_listed = on,
                "force_push_users" => f.force_push_users = v,
                "force_push_teams" => f.force_push_teams = v,
                "enable_deletion" => f.enable_deletion = on,
                "merge_listed" => f.merge_listed = on,
                "merge_users" => f.merge_users = v,
                "merge_teams" => f.merge_teams = v,
                "enable_status_check" => f.enable_status_check = on,
                "status_check_contexts" => f.status_check_contexts = v,
                "required_approvals" => f.required_approvals = v,
                "block_on_rejected_reviews" => f.block_on_rejected_reviews = on,
                "dismiss_stale_approvals" => f.dismiss_stale_approvals = on,
                "require_signoff" => f.require_signoff = on,
                "require_linear_history" => f.require_linear_history = on,
                "admins_bypass" => f.admins_bypass = on,
                _ => {}
            }
        }
        f
    }

    fn of(p: &ProtectionRule) -> RuleForm {
        let r = &p.rule;
        let n = &p.names;
        RuleForm {
            rule_name: r.rule_name.clone(),
            push: match (r.enable_push, r.push_allowlist.enabled) {
                (false, _) => PUSH_NOBODY,
                (true, false) => PUSH_WRITERS,
                (true, true) => PUSH_LISTED,
            }
            .to_owned(),
            push_users: n.push_users.join(", "),
            push_teams: n.push_teams.join(", "),
            enable_force_push: r.enable_force_push,
            force_push_listed: r.force_push_allowlist.enabled,
            force_push_users: n.force_push_users.join(", "),
            force_push_teams: n.force_push_teams.join(", "),
            enable_deletion: r.enable_deletion,
            merge_listed: r.merge_allowlist.enabled,
            merge_users: n.merge_users.join(", "),
            merge_teams: n.merge_teams.join(", "),
            enable_status_check: r.enable_status_check,
            status_check_contexts: r.status_check_contexts.join("\n"),
            required_approvals: r.required_approvals.to_string(),
            block_on_rejected_reviews: r.block_on_rejected_reviews,
            dismiss_stale_approvals: r.dismiss_stale_approvals,
            require_signoff: r.require_signoff,
            require_linear_history: r.require_linear_history,
            admins_bypass: r.admins_bypass,
        }
    }

    fn new_default() -> RuleForm {
        RuleForm {
            push: PUSH_WRITERS.to_owned(),
            required_approvals: "0".to_owned(),
            ..RuleForm::default()
        }
    }

    /// The service's input, or the form's own errors (the approvals count and the push
    /// choice are checked here; everything else by the rules).
    fn input(&self) -> Result<RuleInput, FormErrors> {
        let mut errors = FormErrors::default();
        let approvals = match self.required_approvals.trim() {
            "" => 0,
            n => n.parse::<u32>().unwrap_or_else(|_| {
                errors.add("required_approvals", "protection.bad_approvals");
                0
            }),
        };
        let (enable_push, listed) = match self.push.as_str() {
            PUSH_NOBODY => (false, false),
            PUSH_WRITERS => (true, false),
            PUSH_LISTED => (true, true),
            _ => {
                errors.add("push", "protection.bad_push_choice");
                (true, false)
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let list = |enabled| Allowlist {
            enabled,
            ..Allowlist::default()
        };
        Ok(RuleInput {
            rule: BranchRule {
                rule_name: self.rule_name.clone(),
                enable_push,
                push_allowlist: list(listed),
                enable_force_push: self.enable_force_push,
                force_push_allowlist: list(self.force_push_listed),
                enable_deletion: self.enable_deletion,
                merge_allowlist: list(self.merge_listed),
                enable_status_check: self.enable_status_check,
                status_check_contexts: self
                    .status_check_contexts
                    .lines()
                    .map(str::to_owned)
                    .collect(),
                required_approvals: approvals,
                block_on_rejected_reviews: self.block_on_rejected_reviews,
                dismiss_stale_approvals: self.dismiss_stale_approvals,
                admins_bypass: self.admins_bypass,
                require_signoff: self.require_signoff,
                require_linear_history: self.require_linear_history,
            },
            push_users: names(&self.push_users),
            push_teams: names(&self.push_teams),
            force_push_users: names(&self.force_push_users),
            force_push_teams: names(&self.force_push_teams),
            merge_users: names(&self.merge_users),
            merge_teams: names(&self.merge_teams),
        })
    }
}

/// A refused rule as a message on its field.
fn save_errors(e: RuleSaveError) -> WebResult<FormErrors> {
    let mut errors = FormErrors::default();
    match e {
        RuleSaveError::Invalid(e) => {
            let field = match e {
                hatchery_core::protection::RuleError::RuleName => "rule_name",
                hatchery_core::protection::RuleError::Approvals => "required_approvals",
                _ => "status_check_contexts",
            };
            errors.add(field, e.key());
        }
        RuleSaveError::UnknownUser(name) => errors.add_with(
            "allowlists",
            "protection.unknown_user",
            vec![("name", name)],
        ),
        RuleSaveError::UnknownTeam(name) => errors.add_with(
            "allowlists",
            "protection.unknown_team",
            vec![("name", name)],
        ),
        RuleSaveError::NameTaken => errors.add("rule_name", "protection.name_taken"),
        RuleSaveError::NotFound => return Err(WebError::NotFound),
        RuleSaveError::Other(e) => return Err(e.into()),
    }
    Ok(errors)
}

fn base(repo: &Repo) -> String {
    format!("/{}/{}/settings/branches", repo.owner_name, repo.name)
}

fn edit_url(repo: &Repo, rule_name: &str) -> String {
    let q: String = form_urlencoded::byte_serialize(rule_name.as_bytes()).collect();
    format!("{}/edit?rule={q}", base(repo))
}

fn checkbox<'a>(name: &'static str, label: &'a str, on: bool) -> Field<'a> {
    Field::new(name, label, if on { "on" } else { "" }).input(Input::Checkbox)
}

fn rule_fields(ctx: &Ctx, form: &RuleForm, errors: &FormErrors) -> Markup {
    let push_choices = [
        (PUSH_NOBODY, ctx.t("protection.push_nobody")),
        (PUSH_WRITERS, ctx.t("protection.push_writers")),
        (PUSH_LISTED, ctx.t("protection.push_listed")),
    ];
    let allowlist_error = errors.message(ctx, "allowlists");
    html! {
        (Field::new("rule_name", ctx.t("protection.field_rule_name"), &form.rule_name).required().hint(ctx.t("protection.hint_rule_name")).render(ctx, errors))
        fieldset.field {
            legend { (ctx.t("protection.section_push")) }
            (Field::new("push", ctx.t("protection.field_push"), &form.push).input(Input::Select(&push_choices)).render(ctx, errors))
            (Field::new("push_users", ctx.t("protection.field_users"), &form.push_users).hint(ctx.t("protection.hint_names")).render(ctx, errors))
            (Field::new("push_teams", ctx.t("protection.field_teams"), &form.push_teams).render(ctx, errors))
            (checkbox("enable_force_push", ctx.t("protection.field_force_push"), form.enable_force_push).render(ctx, errors))
            (checkbox("force_push_listed", ctx.t("protection.field_force_push_listed"), form.force_push_listed).render(ctx, errors))
            (Field::new("force_push_users", ctx.t("protection.field_users"), &form.force_push_users).render(ctx, errors))
            (Field::new("force_push_teams", ctx.t("protection.field_teams"), &form.force_push_teams).render(ctx, errors))
            (checkbox("enable_deletion", ctx.t("protection.field_deletion"), form.enable_deletion).render(ctx, errors))
            (checkbox("require_signoff", ctx.t("protection.field_signoff"), form.require_signoff).hint(ctx.t("protection.hint_signoff")).render(ctx, errors))
            (checkbox("require_linear_history", ctx.t("protection.field_linear"), form.require_linear_history).render(ctx, errors))
        }
        fieldset.field {
            legend { (ctx.t("protection.section_merge")) }
            (checkbox("merge_listed", ctx.t("protection.field_merge_listed"), form.merge_listed).render(ctx, errors))
            (Field::new("merge_users", ctx.t("protection.field_users"), &form.merge_users).render(ctx, errors))
            (Field::new("merge_teams", ctx.t("protection.field_teams"), &form.merge_teams).render(ctx, errors))
            (Field::new("required_approvals", ctx.t("protection.field_approvals"), &form.required_approvals).render(ctx, errors))
            (checkbox("dismiss_stale_approvals", ctx.t("protection.field_dismiss_stale"), form.dismiss_stale_approvals).render(ctx, errors))
            (checkbox("block_on_rejected_reviews", ctx.t("protection.field_block_rejected"), form.block_on_rejected_reviews).render(ctx, errors))
            (checkbox("enable_status_check", ctx.t("protection.field_status_check"), form.enable_status_check).render(ctx, errors))
            (Field::new("status_check_contexts", ctx.t("protection.field_contexts"), &form.status_check_contexts).input(Input::TextArea).hint(ctx.t("protection.hint_contexts")).render(ctx, errors))
        }
        (checkbox("admins_bypass", ctx.t("protection.field_admins_bypass"), form.admins_bypass).render(ctx, errors))
        @if let Some(msg) = &allowlist_error { div.error role="alert" id="allowlist-error" { (msg) } }
    }
}

/// What a rule asks for, in a few words, for the list.
fn summary(ctx: &Ctx, r: &BranchRule) -> Vec<&'static str> {
    let mut out = vec![if !r.enable_push {
        ctx.t("protection.push_nobody")
    } else if r.push_allowlist.enabled {
        ctx.t("protection.push_listed")
    } else {
        ctx.t("protection.push_writers")
    }];
    if r.enable_status_check {
        out.push(ctx.t("protection.sum_status"));
    }
    if r.required_approvals > 0 {
        out.push(ctx.t("protection.sum_approvals"));
    }
    if r.require_signoff {
        out.push(ctx.t("protection.sum_signoff"));
    }
    if r.require_linear_history {
        out.push(ctx.t("protection.sum_linear"));
    }
    out
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    form: &RuleForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, repo, RepoTab::Settings).await?;
    let rules = state.store.protection_rules(repo.id).await?;
    let base = base(repo);
    Ok(page(
        ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("protection.title"),
            repo.owner_name,
            repo.name
        ),
        html! {
            (header)
            p { a href=(format!("/{}/{}/settings", repo.owner_name, repo.name)) { "← " (ctx.t("webhooks.back_to_settings")) } }
            section.card {
                h2 style="margin-top:0" { (ctx.t("protection.title")) }
                p.muted { (ctx.t("protection.intro")) }
                @if rules.is_empty() {
                    p.muted id="no-rules" { (ctx.t("protection.none")) }
                } @else {
                    ul.list id="rule-list" {
                        @for p in &rules {
                            li {
                                a href=(edit_url(repo, &p.rule.rule_name)) { code { (p.rule.rule_name) } }
                                " " span.muted { (summary(ctx, &p.rule).join(" · ")) }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 style="margin-top:0" { (ctx.t("protection.add")) }
                form.stack method="post" action=(base) id="rule-new-form" novalidate {
                    (csrf_input(ctx))
                    (rule_fields(ctx, form, errors))
                    div { button.btn.btn-primary type="submit" { (ctx.t("protection.add")) } }
                }
            }
        },
    ))
}

async fn edit_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    rule_name: &str,
    form: &RuleForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, repo, RepoTab::Settings).await?;
    let url = edit_url(repo, rule_name);
    Ok(page(
        ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("protection.title"),
            repo.owner_name,
            repo.name
        ),
        html! {
            (header)
            p { a href=(base(repo)) { "← " (ctx.t("protection.back")) } }
            section.card {
                h2 style="margin-top:0" { (ctx.t("protection.edit")) " " code { (rule_name) } }
                form.stack method="post" action=(url) id="rule-edit-form" novalidate {
                    (csrf_input(ctx))
                    (rule_fields(ctx, form, errors))
                    div { button.btn.btn-primary type="submit" { (ctx.t("action.save")) } }
                }
                form.inline-form method="post" action=(format!("{}/delete", base(repo))) style="margin-top:12px" {
                    (csrf_input(ctx))
                    input type="hidden" name="rule" value=(rule_name);
                    button.btn.btn-small.btn-danger type="submit" { (ctx.t("protection.delete")) }
                }
            }
        },
    ))
}

async fn admin_repo(state: &AppState, ctx: &Ctx, owner: &str, name: &str) -> WebResult<Repo> {
    load(state, ctx, owner, name, Action::Administer).await
}

#[derive(Deserialize, Default)]
pub struct RuleQuery {
    rule: Option<String>,
}

async fn stored_rule(state: &AppState, repo: &Repo, q: &RuleQuery) -> WebResult<ProtectionRule> {
    let name = q.rule.as_deref().ok_or(WebError::NotFound)?;
    state
        .store
        .protection_rule(repo.id, name)
        .await?
        .ok_or(WebError::NotFound)
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let repo = admin_repo(&state, &ctx, &owner, &name).await?;
    list_page(
        &state,
        &ctx,
        &repo,
        &RuleForm::new_default(),
        &FormErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let repo = admin_repo(&state, &ctx, &owner, &name).await?;
    submit(&state, &ctx, &repo, None, pairs).await
}

/// Saves a new rule (`editing` is `None`) or the rule being edited; a refused form comes
/// back with its errors on the page it was sent from.
async fn submit(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    editing: Option<&str>,
    pairs: Vec<(String, String)>,
) -> WebResult<Response> {
    let form = RuleForm::from_pairs(pairs);
    let errors = match form.input() {
        Ok(input) => match state.forge.save_protection_rule(repo, editing, input).await {
            Ok(saved) => {
                let flash = if editing.is_some() {
                    "protection.flash_saved"
                } else {
                    "protection.flash_created"
                };
                return Ok(flash_redirect(
                    ctx,
                    FlashKind::Success,
                    flash,
                    &edit_url(repo, &saved.rule.rule_name),
                ));
            }
            Err(e) => save_errors(e)?,
        },
        Err(errors) => errors,
    };
    let page = match editing {
        None => list_page(state, ctx, repo, &form, &errors).await?,
        Some(name) => edit_page(state, ctx, repo, name, &form, &errors).await?,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<RuleQuery>,
) -> WebResult<Markup> {
    let repo = admin_repo(&state, &ctx, &owner, &name).await?;
    let stored = stored_rule(&state, &repo, &q).await?;
    edit_page(
        &state,
        &ctx,
        &repo,
        &stored.rule.rule_name,
        &RuleForm::of(&stored),
        &FormErrors::default(),
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<RuleQuery>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let repo = admin_repo(&state, &ctx, &owner, &name).await?;
    let stored = stored_rule(&state, &repo, &q).await?;
    submit(&state, &ctx, &repo, Some(&stored.rule.rule_name), pairs).await
}

#[derive(Deserialize)]
pub struct DeleteForm {
    rule: String,
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(f): Form<DeleteForm>,
) -> WebResult<Response> {
    let repo = admin_repo(&state, &ctx, &owner, &name).await?;
    if !state.store.delete_protection_rule(repo.id, &f.rule).await? {
        return Err(WebError::NotFound);
    }
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "protection.flash_deleted",
        &base(&repo),
    ))
}
