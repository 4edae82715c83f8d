//! Organizations: creation, members, teams, settings.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::state::AppState;
use crate::views::{avatar, button_form, date, page, tabs};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::validate::{self, DESCRIPTION_MAX, DISPLAY_NAME_MAX};
use hatchery_core::{AccessLevel, Action, Name, NameKind, OrgFacts, OrgRole, Resource, authorize};
use hatchery_store::{ConflictField, Org, StoreError, Team};
use maud::{Markup, html};
use serde::Deserialize;

/// The organization named in the path and the actor's relation to it.
pub struct Loaded {
    pub org: Org,
    pub facts: OrgFacts,
    /// How many incubation programs the organization runs (its header links to them).
    pub programs: usize,
}

pub async fn load(state: &AppState, ctx: &Ctx, name: &str) -> WebResult<Loaded> {
    let org = state
        .store
        .org_by_name(name)
        .await?
        .ok_or(WebError::NotFound)?;
    let role = match &ctx.user {
        Some(u) => state.store.org_role(org.id, u.id).await?,
        None => None,
    };
    let programs = state.store.programs_of_org(org.id).await?.len();
    Ok(Loaded {
        org,
        facts: OrgFacts { role },
        programs,
    })
}

fn check(ctx: &Ctx, action: Action, l: &Loaded) -> WebResult<()> {
    match authorize(ctx.actor(), action, Resource::Org(l.facts)) {
        hatchery_core::Decision::Allow => Ok(()),
        hatchery_core::Decision::Deny(d) => Err(WebError::from_denial(d, &ctx.path)),
    }
}

fn can(ctx: &Ctx, action: Action, l: &Loaded) -> bool {
    authorize(ctx.actor(), action, Resource::Org(l.facts)).is_allowed()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OrgTab {
    Overview,
    Members,
    Teams,
    Settings,
    Incubator,
}

/// Header and tabs shared by every organization page.
pub fn org_header(ctx: &Ctx, l: &Loaded, active: OrgTab) -> Markup {
    let base = format!("/{}", l.org.name);
    let org_base = format!("/org/{}", l.org.name);
    let mut items = vec![
        (ctx.t("org.tab.overview"), base, active == OrgTab::Overview),
        (
            ctx.t("org.tab.members"),
            format!("{org_base}/members"),
            active == OrgTab::Members,
        ),
    ];
    if l.programs > 0 || active == OrgTab::Incubator {
        items.push((
            ctx.t("org.tab.incubator"),
            crate::pages::incubator::org_base(&l.org.name),
            active == OrgTab::Incubator,
        ));
    }
    if can(ctx, Action::ViewTeams, l) {
        items.push((
            ctx.t("org.tab.teams"),
            format!("{org_base}/teams"),
            active == OrgTab::Teams,
        ));
    }
    if can(ctx, Action::EditSettings, l) {
        items.push((
            ctx.t("org.tab.settings"),
            format!("{org_base}/settings"),
            active == OrgTab::Settings,
        ));
    }
    html! {
        div.inline-form style="gap:16px;margin-bottom:16px" {
            (avatar(&l.org.name, true))
            div {
                h1 style="margin:0" { (if l.org.display_name.is_empty() { &l.org.name } else { &l.org.display_name }) }
                div.muted { (l.org.name) " · " span.badge { (ctx.t("org.badge")) } }
                @if !l.org.description.is_empty() { p { (l.org.description) } }
            }
        }
        (tabs(&items))
    }
}

// ---- create ----

#[derive(Deserialize, Default)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: String,
}

fn create_page(ctx: &Ctx, form: &CreateForm, errors: &FormErrors) -> Markup {
    page(
        ctx,
        ctx.t("org.create.title"),
        html! {
            h1 { (ctx.t("org.create.title")) }
            p.muted { (ctx.t("org.create.intro")) }
            form.stack method="post" action="/org/create" id="org-create-form" novalidate {
                (csrf_input(ctx))
                (Field::new("name", ctx.t("field.org_name"), &form.name).required().hint(ctx.t("hint.username")).render(ctx, errors))
                (Field::new("display_name", ctx.t("field.display_name"), &form.display_name).render(ctx, errors))
                (Field::new("description", ctx.t("field.description"), &form.description).input(Input::TextArea).render(ctx, errors))
                div { button.btn.btn-primary type="submit" id="org-create-submit" { (ctx.t("org.create.submit")) } }
            }
        },
    )
}

fn allow_create(ctx: &Ctx) -> WebResult<i64> {
    let user = ctx.require_user()?;
    match authorize(ctx.actor(), Action::CreateOrg, Resource::Site) {
        hatchery_core::Decision::Allow => Ok(user.id),
        hatchery_core::Decision::Deny(d) => Err(WebError::from_denial(d, &ctx.path)),
    }
}

pub async fn create_form(ctx: Ctx) -> WebResult<Markup> {
    allow_create(&ctx)?;
    Ok(create_page(
        &ctx,
        &CreateForm::default(),
        &FormErrors::default(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CreateForm>,
) -> WebResult<Response> {
    let user_id = allow_create(&ctx)?;
    let mut errors = FormErrors::default();
    let name = Name::parse(NameKind::Account, &form.name).inspect_err(|e| errors.name("name", e));
    let display_name = validate::text(&form.display_name, DISPLAY_NAME_MAX)
        .inspect_err(|e| errors.field("display_name", e));
    let description = validate::text(&form.description, DESCRIPTION_MAX)
        .inspect_err(|e| errors.field("description", e));
    let (Ok(name), Ok(display_name), Ok(description)) = (name, display_name, description) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            create_page(&ctx, &form, &errors),
        )
            .into_response());
    };
    match state
        .store
        .create_org(user_id, &name, &display_name, &description)
        .await
    {
        Ok(org) => {
            tracing::info!(org = %org.name, "organization created");
            Ok(flash_redirect(
                &ctx,
                FlashKind::Success,
                "flash.org_created",
                &format!("/{}", org.name),
            ))
        }
        Err(StoreError::Conflict(_)) => {
            errors.add("name", "error.name.taken");
            Ok((StatusCode::CONFLICT, create_page(&ctx, &form, &errors)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- overview (the profile page of an organization) ----

pub async fn overview(state: &AppState, ctx: &Ctx, l: Loaded) -> WebResult<Markup> {
    let members = state.store.org_members(l.org.id).await?;
    let repos = crate::pages::repo::list_for(state, ctx.actor(), l.org.id).await?;
    let may_create = crate::pages::repo::may_create_in_org(ctx, l.facts.role);
    let may_program = authorize(
        ctx.actor(),
        Action::ManageProgram,
        Resource::Program(hatchery_core::policy::ProgramFacts {
            org_role: l.facts.role,
            ..Default::default()
        }),
    )
    .is_allowed();
    Ok(page(
        ctx,
        &l.org.name,
        html! {
            (org_header(ctx, &l, OrgTab::Overview))
            h2 { (ctx.t("profile.repositories")) " " span.badge { (repos.len()) } }
            @if may_create || may_program {
                p {
                    @if may_create { a.btn.btn-primary.btn-small href=(format!("/repo/create?owner={}", l.org.name)) id="org-new-repo" { (ctx.t("nav.new_repo")) } " " }
                    @if may_program { a.btn.btn-small href=(format!("{}/new", crate::pages::incubator::org_base(&l.org.name))) id="org-new-program" { (ctx.t("incubator.new_program")) } }
                }
            }
            (crate::pages::repo::repo_list(ctx, &repos))
            div.two-col {
                div {
                    h2 { (ctx.t("org.people")) " " span.badge { (members.len()) } }
                    ul.list {
                        @for m in members.iter().take(24) {
                            li { a href=(format!("/{}", m.user.name)) { (m.user.name) } @if m.role == OrgRole::Owner { span.badge { (ctx.t("role.owner")) } } }
                        }
                    }
                }
                div {
                    h2 { (ctx.t("org.about")) }
                    div.card {
                        p { (ctx.tf("org.created_on", &[("date", &date(l.org.created_at))])) }
                        @if l.facts.role.is_some() { p { (ctx.t("org.you_are_member")) } }
                    }
                }
            }
        },
    ))
}

// ---- members ----

#[derive(Deserialize, Default)]
pub struct AddMemberForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize, Default)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

fn role_options(ctx: &Ctx) -> Vec<(&'static str, &'static str)> {
    vec![
        ("member", ctx.t("role.member")),
        ("owner", ctx.t("role.owner")),
    ]
}

async fn members_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    form: &AddMemberForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let members = state.store.org_members(l.org.id).await?;
    let manage = can(ctx, Action::ManageMembers, l);
    let me = ctx.user.as_ref().map(|u| u.id);
    let base = format!("/org/{}/members", l.org.name);
    let roles = role_options(ctx);
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("org.tab.members"), l.org.name),
        html! {
            (org_header(ctx, l, OrgTab::Members))
            @if manage {
                section.card {
                    h2 style="margin-top:0" { (ctx.t("org.members.add")) }
                    form.stack method="post" action=(base) id="member-add-form" novalidate {
                        (csrf_input(ctx))
                        (Field::new("username", ctx.t("field.username"), &form.username).required().render(ctx, errors))
                        (Field::new("role", ctx.t("field.role"), if form.role.is_empty() { "member" } else { &form.role }).input(Input::Select(&roles)).render(ctx, errors))
                        div { button.btn.btn-primary type="submit" id="member-add-submit" { (ctx.t("org.members.add_submit")) } }
                    }
                }
            }
            ul.list id="member-list" {
                @for m in &members {
                    li {
                        span {
                            a href=(format!("/{}", m.user.name)) { (m.user.name) }
                            @if !m.user.display_name.is_empty() { " " span.muted { (m.user.display_name) } }
                            " " span.badge { (ctx.t(if m.role == OrgRole::Owner { "role.owner" } else { "role.member" })) }
                        }
                        span.inline-form {
                            @if manage {
                                form.inline-form method="post" action=(format!("{base}/{}/role", m.user.name)) {
                                    (csrf_input(ctx))
                                    select name="role" aria-label=(ctx.t("field.role")) {
                                        @for (v, label) in &roles { option value=(v) selected[*v == m.role.as_str()] { (label) } }
                                    }
                                    button.btn.btn-small type="submit" { (ctx.t("org.members.change_role")) }
                                }
                                @if me != Some(m.user.id) {
                                    (button_form(ctx, &format!("{base}/{}/remove", m.user.name), ctx.t("action.remove"), "btn-danger"))
                                }
                            }
                            @if me == Some(m.user.id) {
                                (button_form(ctx, &format!("{base}/{}/remove", m.user.name), ctx.t("org.members.leave"), "btn-danger"))
                            }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn members(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org).await?;
    members_page(
        &state,
        &ctx,
        &l,
        &AddMemberForm::default(),
        &FormErrors::default(),
    )
    .await
}

pub async fn add_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
    Form(form): Form<AddMemberForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org).await?;
    check(&ctx, Action::ManageMembers, &l)?;
    let mut errors = FormErrors::default();
    let role = form.role.parse::<OrgRole>().unwrap_or(OrgRole::Member);
    let user = if form.username.trim().is_empty() {
        errors.add("username", "error.field.required");
        None
    } else {
        let found = state.store.user_by_name(form.username.trim()).await?;
        if found.is_none() {
            errors.add("username", "error.user.not_found");
        }
        found
    };
    let Some(user) = user else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            members_page(&state, &ctx, &l, &form, &errors).await?,
        )
            .into_response());
    };
    state.store.set_org_member(l.org.id, user.id, role).await?;
    tracing::info!(org = %l.org.name, user = %user.name, %role, "member added");
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.member_added",
        &format!("/org/{}/members", l.org.name),
    ))
}

pub async fn change_role(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, username)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org).await?;
    check(&ctx, Action::ManageMembers, &l)?;
    let role = form
        .role
        .parse::<OrgRole>()
        .map_err(|_| WebError::BadRequest("error.role.unknown"))?;
    let user = state
        .store
        .user_by_name(&username)
        .await?
        .ok_or(WebError::NotFound)?;
    if state.store.org_role(l.org.id, user.id).await?.is_none() {
        return Err(WebError::NotFound);
    }
    let to = format!("/org/{}/members", l.org.name);
    match state.store.set_org_member(l.org.id, user.id, role).await {
        Ok(()) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "flash.role_changed",
            &to,
        )),
        Err(StoreError::LastOwner) => Ok(flash_redirect(
            &ctx,
            FlashKind::Error,
            "flash.last_owner",
            &to,
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, username)): Path<(String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org).await?;
    let user = state
        .store
        .user_by_name(&username)
        .await?
        .ok_or(WebError::NotFound)?;
    let leaving = ctx.user.as_ref().is_some_and(|u| u.id == user.id);
    check(
        &ctx,
        if leaving {
            Action::Leave
        } else {
            Action::ManageMembers
        },
        &l,
    )?;
    let to = if leaving {
        "/".to_owned()
    } else {
        format!("/org/{}/members", l.org.name)
    };
    match state.store.remove_org_member(l.org.id, user.id).await {
        Ok(()) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "flash.member_removed",
            &to,
        )),
        Err(StoreError::LastOwner) => Ok(flash_redirect(
            &ctx,
            FlashKind::Error,
            "flash.last_owner",
            &format!("/org/{}/members", l.org.name),
        )),
        Err(e) => Err(e.into()),
    }
}

// ---- teams ----

/// Access levels for a select, labelled in the visitor's language.
pub fn level_options(ctx: &Ctx) -> Vec<(&'static str, &'static str)> {
    AccessLevel::ALL
        .iter()
        .map(|l| (l.as_str(), level_label(ctx, *l)))
        .collect()
}

pub fn level_label(ctx: &Ctx, level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::Read => ctx.t("level.read"),
        AccessLevel::Write => ctx.t("level.write"),
        AccessLevel::Admin => ctx.t("level.admin"),
    }
}

pub async fn teams(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org).await?;
    check(&ctx, Action::ViewTeams, &l)?;
    let teams = state.store.teams_of_org(l.org.id).await?;
    let manage = can(&ctx, Action::ManageTeams, &l);
    Ok(page(
        &ctx,
        &format!("{} · {}", ctx.t("org.tab.teams"), l.org.name),
        html! {
            (org_header(&ctx, &l, OrgTab::Teams))
            @if manage { p { a.btn.btn-primary href=(format!("/org/{}/teams/new", l.org.name)) id="team-new" { (ctx.t("team.new")) } } }
            @if teams.is_empty() {
                div.empty { (ctx.t("team.none")) }
            } @else {
                ul.list id="team-list" {
                    @for t in &teams {
                        li {
                            span {
                                a href=(format!("/org/{}/teams/{}", l.org.name, t.name)) { (t.name) }
                                " " span.badge { (level_label(&ctx, t.permission)) }
                                @if !t.description.is_empty() { " " span.muted { (t.description) } }
                            }
                            span.muted { (ctx.tf("team.member_count", &[("count", &t.member_count.to_string())])) }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct TeamForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    permission: String,
}

fn team_form_page(ctx: &Ctx, l: &Loaded, form: &TeamForm, errors: &FormErrors) -> Markup {
    let levels = level_options(ctx);
    page(
        ctx,
        ctx.t("team.new"),
        html! {
            (org_header(ctx, l, OrgTab::Teams))
            h2 { (ctx.t("team.new")) }
            form.stack method="post" action=(format!("/org/{}/teams/new", l.org.name)) id="team-create-form" novalidate {
                (csrf_input(ctx))
                (Field::new("name", ctx.t("field.team_name"), &form.name).required().render(ctx, errors))
                (Field::new("description", ctx.t("field.description"), &form.description).render(ctx, errors))
                (Field::new("permission", ctx.t("field.permission"), if form.permission.is_empty() { "read" } else { &form.permission }).input(Input::Select(&levels)).hint(ctx.t("hint.permission")).render(ctx, errors))
                div { button.btn.btn-primary type="submit" id="team-create-submit" { (ctx.t("team.create")) } }
            }
        },
    )
}

pub async fn new_team_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org).await?;
    check(&ctx, Action::ManageTeams, &l)?;
    Ok(team_form_page(
        &ctx,
        &l,
        &TeamForm::default(),
        &FormErrors::default(),
    ))
}

pub async fn create_team(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
    Form(form): Form<TeamForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org).await?;
    check(&ctx, Action::ManageTeams, &l)?;
    let mut errors = FormErrors::default();
    let name = Name::parse(NameKind::Team, &form.name).inspect_err(|e| errors.name("name", e));
    let description = validate::text(&form.description, DESCRIPTION_MAX)
        .inspect_err(|e| errors.field("description", e));
    let permission = form
        .permission
        .parse::<AccessLevel>()
        .inspect_err(|_| errors.add("permission", "error.permission.unknown"));
    let (Ok(name), Ok(description), Ok(permission)) = (name, description, permission) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            team_form_page(&ctx, &l, &form, &errors),
        )
            .into_response());
    };
    match state
        .store
        .create_team(l.org.id, &name, &description, permission)
        .await
    {
        Ok(team) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "flash.team_created",
            &format!("/org/{}/teams/{}", l.org.name, team.name),
        )),
        Err(StoreError::Conflict(ConflictField::Name)) => {
            errors.add("name", "error.team.taken");
            Ok((
                StatusCode::CONFLICT,
                team_form_page(&ctx, &l, &form, &errors),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn load_team(
    state: &AppState,
    ctx: &Ctx,
    org: &str,
    team: &str,
    action: Action,
) -> WebResult<(Loaded, Team)> {
    let l = load(state, ctx, org).await?;
    check(ctx, action, &l)?;
    let team = state
        .store
        .team_by_name(l.org.id, team)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok((l, team))
}

async fn team_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    team: &Team,
    add_value: &str,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let members = state.store.team_members(team.id).await?;
    let manage = can(ctx, Action::ManageTeams, l);
    let base = format!("/org/{}/teams/{}", l.org.name, team.name);
    let levels = level_options(ctx);
    let edit_errors = FormErrors::default();
    Ok(page(
        ctx,
        &format!("{} · {}", team.name, l.org.name),
        html! {
            (org_header(ctx, l, OrgTab::Teams))
            h2 { (team.name) " " span.badge { (level_label(ctx, team.permission)) } }
            @if !team.description.is_empty() { p.muted { (team.description) } }
            p.muted { (ctx.t(match team.permission { AccessLevel::Read => "hint.level.read", AccessLevel::Write => "hint.level.write", AccessLevel::Admin => "hint.level.admin" })) }
            @if manage {
                section.card {
                    h2 style="margin-top:0" { (ctx.t("team.add_member")) }
                    form.stack method="post" action=(format!("{base}/members")) id="team-member-add-form" novalidate {
                        (csrf_input(ctx))
                        (Field::new("username", ctx.t("field.username"), add_value).required().hint(ctx.t("hint.team_member")).render(ctx, errors))
                        div { button.btn.btn-primary type="submit" id="team-member-add-submit" { (ctx.t("team.add_member_submit")) } }
                    }
                }
            }
            h2 { (ctx.t("team.members")) " " span.badge { (members.len()) } }
            @if members.is_empty() {
                div.empty { (ctx.t("team.no_members")) }
            } @else {
                ul.list id="team-member-list" {
                    @for m in &members {
                        li {
                            a href=(format!("/{}", m.name)) { (m.name) }
                            @if manage { (button_form(ctx, &format!("{base}/members/{}/remove", m.name), ctx.t("action.remove"), "btn-danger")) }
                        }
                    }
                }
            }
            @if manage {
                section.card style="margin-top:24px" {
                    h2 style="margin-top:0" { (ctx.t("team.edit")) }
                    form.stack method="post" action=(format!("{base}/edit")) id="team-edit-form" {
                        (csrf_input(ctx))
                        (Field::new("description", ctx.t("field.description"), &team.description).render(ctx, &edit_errors))
                        (Field::new("permission", ctx.t("field.permission"), team.permission.as_str()).input(Input::Select(&levels)).render(ctx, &edit_errors))
                        div { button.btn.btn-primary type="submit" { (ctx.t("action.save")) } }
                    }
                    form.inline-form method="post" action=(format!("{base}/delete")) style="margin-top:16px" {
                        (csrf_input(ctx))
                        button.btn.btn-danger type="submit" id="team-delete" { (ctx.t("team.delete")) }
                    }
                }
            }
        },
    ))
}

pub async fn team(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, team)): Path<(String, String)>,
) -> WebResult<Markup> {
    let (l, team) = load_team(&state, &ctx, &org, &team, Action::ViewTeams).await?;
    team_page(&state, &ctx, &l, &team, "", &FormErrors::default()).await
}

#[derive(Deserialize, Default)]
pub struct UsernameForm {
    #[serde(default)]
    username: String,
}

pub async fn add_team_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, team)): Path<(String, String)>,
    Form(form): Form<UsernameForm>,
) -> WebResult<Response> {
    let (l, team) = load_team(&state, &ctx, &org, &team, Action::ManageTeams).await?;
    let mut errors = FormErrors::default();
    let user = match form.username.trim() {
        "" => {
            errors.add("username", "error.field.required");
            None
        }
        name => {
            let found = state.store.user_by_name(name).await?;
            if found.is_none() {
                errors.add("username", "error.user.not_found");
            }
            found
        }
    };
    let Some(user) = user else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            team_page(&state, &ctx, &l, &team, &form.username, &errors).await?,
        )
            .into_response());
    };
    state.store.add_team_member(team.id, user.id).await?;
    tracing::info!(org = %l.org.name, team = %team.name, user = %user.name, "team member added");
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.member_added",
        &format!("/org/{}/teams/{}", l.org.name, team.name),
    ))
}

pub async fn remove_team_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, team, username)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (l, team) = load_team(&state, &ctx, &org, &team, Action::ManageTeams).await?;
    let user = state
        .store
        .user_by_name(&username)
        .await?
        .ok_or(WebError::NotFound)?;
    state.store.remove_team_member(team.id, user.id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.member_removed",
        &format!("/org/{}/teams/{}", l.org.name, team.name),
    ))
}

#[derive(Deserialize, Default)]
pub struct TeamEditForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    permission: String,
}

pub async fn edit_team(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, team)): Path<(String, String)>,
    Form(form): Form<TeamEditForm>,
) -> WebResult<Response> {
    let (l, team) = load_team(&state, &ctx, &org, &team, Action::ManageTeams).await?;
    let permission = form
        .permission
        .parse::<AccessLevel>()
        .map_err(|_| WebError::BadRequest("error.permission.unknown"))?;
    let description = validate::text(&form.description, DESCRIPTION_MAX)
        .map_err(|_| WebError::BadRequest("error.field.too_long"))?;
    state
        .store
        .update_team(team.id, &description, permission)
        .await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.team_saved",
        &format!("/org/{}/teams/{}", l.org.name, team.name),
    ))
}

pub async fn delete_team(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, team)): Path<(String, String)>,
) -> WebResult<Response> {
    let (l, team) = load_team(&state, &ctx, &org, &team, Action::ManageTeams).await?;
    state.store.delete_team(team.id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.team_deleted",
        &format!("/org/{}/teams", l.org.name),
    ))
}

// ---- settings ----

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

fn settings_page(
    ctx: &Ctx,
    l: &Loaded,
    form: &SettingsForm,
    errors: &FormErrors,
    delete_errors: &FormErrors,
) -> Markup {
    let base = format!("/org/{}", l.org.name);
    page(
        ctx,
        &format!("{} · {}", ctx.t("org.tab.settings"), l.org.name),
        html! {
            (org_header(ctx, l, OrgTab::Settings))
            p #settings-links { a href=(format!("{base}/settings/hooks")) { (ctx.t("webhooks.title")) } }
            section.card {
                h2 style="margin-top:0" { (ctx.t("org.settings.profile")) }
                form.stack method="post" action=(format!("{base}/settings")) id="org-settings-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("display_name", ctx.t("field.display_name"), &form.display_name).render(ctx, errors))
                    (Field::new("description", ctx.t("field.description"), &form.description).input(Input::TextArea).render(ctx, errors))
                    div { button.btn.btn-primary type="submit" { (ctx.t("action.save")) } }
                }
            }
            section.card {
                h2 style="margin-top:0" { (ctx.t("org.settings.danger")) }
                p { (ctx.tf("org.settings.delete_explain", &[("name", &l.org.name)])) }
                form.stack method="post" action=(format!("{base}/delete")) id="org-delete-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("confirm", ctx.t("field.confirm_name"), "").required().render(ctx, delete_errors))
                    div { button.btn.btn-danger type="submit" { (ctx.t("org.settings.delete")) } }
                }
            }
        },
    )
}

pub async fn settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org).await?;
    check(&ctx, Action::EditSettings, &l)?;
    let form = SettingsForm {
        display_name: l.org.display_name.clone(),
        description: l.org.description.clone(),
    };
    Ok(settings_page(
        &ctx,
        &l,
        &form,
        &FormErrors::default(),
        &FormErrors::default(),
    ))
}

pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
    Form(form): Form<SettingsForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org).await?;
    check(&ctx, Action::EditSettings, &l)?;
    let mut errors = FormErrors::default();
    let display_name = validate::text(&form.display_name, DISPLAY_NAME_MAX)
        .inspect_err(|e| errors.field("display_name", e));
    let description = validate::text(&form.description, DESCRIPTION_MAX)
        .inspect_err(|e| errors.field("description", e));
    let (Ok(display_name), Ok(description)) = (display_name, description) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page(&ctx, &l, &form, &errors, &FormErrors::default()),
        )
            .into_response());
    };
    state
        .store
        .update_org(l.org.id, &display_name, &description)
        .await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.org_saved",
        &format!("/org/{}/settings", l.org.name),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
    Form(form): Form<DeleteForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org).await?;
    check(&ctx, Action::Delete, &l)?;
    if form.confirm.trim() != l.org.name {
        let mut errors = FormErrors::default();
        errors.add("confirm", "error.confirm_mismatch");
        let settings = SettingsForm {
            display_name: l.org.display_name.clone(),
            description: l.org.description.clone(),
        };
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page(&ctx, &l, &settings, &FormErrors::default(), &errors),
        )
            .into_response());
    }
    if state.store.count_repos_of_owner(l.org.id).await? > 0 {
        let mut errors = FormErrors::default();
        errors.add("confirm", "error.org.has_repos");
        let settings = SettingsForm {
            display_name: l.org.display_name.clone(),
            description: l.org.description.clone(),
        };
        return Ok((
            StatusCode::CONFLICT,
            settings_page(&ctx, &l, &settings, &FormErrors::default(), &errors),
        )
            .into_response());
    }
    state.store.delete_org(l.org.id).await?;
    tracing::info!(org = %l.org.name, "organization deleted");
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.org_deleted",
        "/",
    ))
}
