//! `/admin`: the site administration. Every use case lives in `Forge::admin_*`, which asks
//! the policy first and answers everyone but site administrators with "not found"; these
//! handlers only translate, so each route (POSTs included) is a 404 for others.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::code::time_ago_ms;
use crate::pages::explore::{PER_PAGE, list_url, page_number, pager};
use crate::state::AppState;
use crate::views::{button_form, date, page, tabs};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::signin::TwoFactorRequirement;
use hatchery_service::Forge;
use hatchery_service::admin::{AdminError, SiteSettings};
use hatchery_service::jobs::{Job, JobStatus};
use hatchery_store::{AccountKind, Backend};
use maud::{Markup, html};
use serde::Deserialize;

impl From<AdminError> for WebError {
    fn from(e: AdminError) -> WebError {
        match e {
            AdminError::NotFound => WebError::NotFound,
            AdminError::Service(e) => e.into(),
            // Callers turn these into messages on the page; reaching here is a bug.
            other => WebError::Internal(other.to_string()),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Overview,
    Users,
    Orgs,
    Repos,
    Auths,
    Settings,
}

pub(crate) fn frame(ctx: &Ctx, tab: Tab, title: &str, body: Markup) -> Markup {
    page(
        ctx,
        title,
        html! {
            h1 { (ctx.t("admin.title")) }
            (tabs(&[
                (ctx.t("admin.tab.overview"), "/admin".to_owned(), tab == Tab::Overview),
                (ctx.t("admin.tab.users"), "/admin/users".to_owned(), tab == Tab::Users),
                (ctx.t("admin.tab.orgs"), "/admin/orgs".to_owned(), tab == Tab::Orgs),
                (ctx.t("admin.tab.repos"), "/admin/repos".to_owned(), tab == Tab::Repos),
                (ctx.t("admin.tab.auths"), "/admin/auths".to_owned(), tab == Tab::Auths),
                (ctx.t("admin.tab.settings"), "/admin/settings".to_owned(), tab == Tab::Settings),
            ]))
            (body)
        },
    )
}

/// Bytes as KiB, MiB, GiB (binary units, one decimal).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn duration_text(ctx: &Ctx, secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    ctx.tf(
        "admin.uptime_value",
        &[
            ("d", &d.to_string()),
            ("h", &h.to_string()),
            ("m", &m.to_string()),
        ],
    )
}

fn job_name(ctx: &Ctx, job: Job) -> &'static str {
    ctx.t(match job {
        Job::Webhooks => "admin.job.webhooks",
        Job::Votes => "admin.job.votes",
        Job::Upkeep => "admin.job.upkeep",
        Job::Checklists => "admin.job.checklists",
        Job::LdapSync => "admin.job.ldap_sync",
        Job::Mirrors => "admin.job.mirrors",
        Job::Imports => "admin.job.imports",
    })
}

/// A moment as "3 minutes ago" / "in 5 minutes", or a dash.
pub(crate) fn moment(ctx: &Ctx, at: Option<i64>) -> Markup {
    match at {
        None => html! { span.muted { "—" } },
        Some(ms) if ms > hatchery_store::now_ms() => {
            let secs = (ms - hatchery_store::now_ms()) / 1000;
            let text = if secs < 120 {
                ctx.tf("admin.in_seconds", &[("n", &secs.to_string())])
            } else if secs < 2 * 3600 {
                ctx.tf("admin.in_minutes", &[("n", &(secs / 60).to_string())])
            } else {
                ctx.tf("admin.in_hours", &[("n", &(secs / 3600).to_string())])
            };
            html! { (text) }
        }
        Some(ms) => time_ago_ms(ctx, ms),
    }
}

fn jobs_table(ctx: &Ctx, jobs: &[JobStatus]) -> Markup {
    html! {
        table.data id="admin-jobs" {
            thead { tr {
                th { (ctx.t("admin.job.name")) }
                th { (ctx.t("admin.job.runs")) }
                th { (ctx.t("admin.job.last_run")) }
                th { (ctx.t("admin.job.next_run")) }
                th { (ctx.t("admin.job.last_error")) }
            } }
            tbody {
                @for j in jobs {
                    tr data-job=(j.job.as_str()) {
                        td { (job_name(ctx, j.job)) }
                        td { (j.runs) }
                        td { (moment(ctx, j.last_finished.or(j.last_started))) }
                        td { (moment(ctx, j.next_run)) }
                        td {
                            @match &j.last_error {
                                None => span.muted { (ctx.t("admin.job.no_error")) },
                                Some((at, e)) => {
                                    @if j.failing { span.badge { (ctx.t("admin.job.failing")) } " " }
                                    code { (e) } " " span.muted { (time_ago_ms(ctx, *at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /admin`.
pub async fn overview(State(state): State<AppState>, ctx: Ctx) -> WebResult<Markup> {
    let o = state.forge.admin_overview(ctx.actor()).await?;
    let db = match o.database {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let stat = |key: &'static str, value: String, id: &'static str| {
        html! { div.card id=(id) { div.muted { (ctx.t(key)) } div.figure { (value) } } }
    };
    let body = html! {
        div.admin-stats id="admin-stats" {
            (stat("admin.version", o.version.to_owned(), "stat-version"))
            (stat("admin.uptime", duration_text(&ctx, o.uptime.as_secs()), "stat-uptime"))
            (stat("admin.database", db.to_owned(), "stat-database"))
            (stat("admin.database_size", o.database_bytes.map_or_else(|| "—".to_owned(), |n| human_bytes(u64::try_from(n).unwrap_or(0))), "stat-database-size"))
            (stat("admin.repos_disk", human_bytes(o.repositories_bytes), "stat-repos-disk"))
            (stat("admin.count.users", o.counts.users.to_string(), "stat-users"))
            (stat("admin.count.orgs", o.counts.orgs.to_string(), "stat-orgs"))
            (stat("admin.count.repos", o.counts.repos.to_string(), "stat-repos"))
            (stat("admin.count.issues", o.counts.issues.to_string(), "stat-issues"))
            (stat("admin.count.pulls", o.counts.pulls.to_string(), "stat-pulls"))
            (stat("admin.webhook_queue", o.counts.pending_deliveries.to_string(), "stat-webhook-queue"))
        }
        h2 { (ctx.t("admin.jobs")) }
        p.muted { (ctx.t("admin.jobs_note")) }
        (jobs_table(&ctx, &o.jobs))
    };
    Ok(frame(&ctx, Tab::Overview, ctx.t("admin.title"), body))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<String>,
}

impl ListQuery {
    fn keyword(&self) -> &str {
        self.q.as_deref().unwrap_or("").trim()
    }
}

fn search_form(ctx: &Ctx, action: &str, keyword: &str, hint: &'static str) -> Markup {
    html! {
        form.inline-form method="get" action=(action) id="admin-search" role="search" {
            label.visually-hidden for="admin-q" { (ctx.t(hint)) }
            input type="search" id="admin-q" name="q" value=(keyword) placeholder=(ctx.t(hint));
            button.btn type="submit" { (ctx.t("explore.search_button")) }
        }
    }
}

/// `GET /admin/users`.
pub async fn users(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    let page_no = page_number(q.page.as_deref());
    let found = state
        .forge
        .admin_accounts(
            ctx.actor(),
            AccountKind::User,
            q.keyword(),
            PER_PAGE,
            (page_no - 1) * PER_PAGE,
        )
        .await?;
    let me = ctx.user.as_ref().map(|u| u.id);
    let ids: Vec<i64> = found.accounts.iter().map(|u| u.id).collect();
    let facts = state.forge.admin_sign_in_facts(ctx.actor(), &ids).await?;
    let body = html! {
        (search_form(&ctx, "/admin/users", q.keyword(), "admin.search"))
        p.muted id="admin-total" { (ctx.tf("explore.total", &[("n", &found.total.to_string())])) }
        table.data id="admin-users" {
            thead { tr {
                th { (ctx.t("admin.col.name")) }
                th { (ctx.t("admin.col.email")) }
                th { (ctx.t("admin.col.created")) }
                th { (ctx.t("admin.col.source")) }
                th { (ctx.t("admin.col.last_sign_in")) }
                th { (ctx.t("admin.col.two_factor")) }
                th { (ctx.t("admin.col.status")) }
                th { (ctx.t("admin.col.actions")) }
            } }
            tbody {
                @for u in &found.accounts {
                    @let base = format!("/admin/users/{}", u.name);
                    @let f = facts.get(&u.id).cloned().unwrap_or_default();
                    tr data-user=(u.name) {
                        td { a href=(format!("/{}", u.name)) { (u.name) } }
                        td { (u.email) }
                        td { (date(u.created_at)) }
                        td.source { @match &f.source { Some(s) => (s), None => span.muted { (ctx.t("admin.source_local")) } } }
                        td.last-sign-in { (moment(&ctx, f.last_sign_in_at)) }
                        td.two-factor { @if f.two_factor { span.badge { (ctx.t("admin.two_factor_on")) } } @else { span.muted { (ctx.t("admin.two_factor_off")) } } }
                        td {
                            @if u.is_admin { span.badge.admin-badge { (ctx.t("admin.badge.admin")) } " " }
                            @if u.is_disabled { span.badge.disabled-badge { (ctx.t("admin.badge.disabled")) } }
                        }
                        td { div.admin-actions {
                            @if Some(u.id) != me {
                                @if u.is_disabled {
                                    (button_form(&ctx, &format!("{base}/enable"), ctx.t("admin.enable"), ""))
                                } @else {
                                    (button_form(&ctx, &format!("{base}/disable"), ctx.t("admin.disable"), ""))
                                }
                                @if u.is_admin {
                                    (button_form(&ctx, &format!("{base}/unadmin"), ctx.t("admin.unmake_admin"), ""))
                                } @else {
                                    (button_form(&ctx, &format!("{base}/admin"), ctx.t("admin.make_admin"), ""))
                                }
                                a.btn.btn-small.btn-danger href=(format!("{base}/delete")) { (ctx.t("admin.delete")) }
                            } @else {
                                span.muted { (ctx.t("admin.you")) }
                            }
                        } }
                    }
                }
            }
        }
        (pager(&ctx, found.total, page_no, |n| list_url("/admin/users", q.keyword(), None, n)))
    };
    Ok(frame(&ctx, Tab::Users, ctx.t("admin.tab.users"), body))
}

/// Where a user change goes back to, with its message.
fn after_change(
    ctx: &Ctx,
    result: Result<(), AdminError>,
    done: &'static str,
) -> WebResult<Response> {
    let (kind, key) = match result {
        Ok(()) => (FlashKind::Success, done),
        Err(AdminError::LastAdmin) => (FlashKind::Error, "admin.flash.last_admin"),
        Err(AdminError::OwnAccount) => (FlashKind::Error, "admin.flash.own_account"),
        Err(AdminError::LastOwnerOf(_)) => (FlashKind::Error, "admin.flash.sole_owner"),
        Err(e) => return Err(e.into()),
    };
    Ok(flash_redirect(ctx, kind, key, "/admin/users"))
}

/// `POST /admin/users/{user}/disable`.
pub async fn disable_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> WebResult<Response> {
    let r = state
        .forge
        .admin_set_disabled(ctx.actor(), &name, true)
        .await;
    after_change(&ctx, r.map(|_| ()), "admin.flash.disabled")
}

/// `POST /admin/users/{user}/enable`.
pub async fn enable_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> WebResult<Response> {
    let r = state
        .forge
        .admin_set_disabled(ctx.actor(), &name, false)
        .await;
    after_change(&ctx, r.map(|_| ()), "admin.flash.enabled")
}

/// `POST /admin/users/{user}/admin`.
pub async fn make_admin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> WebResult<Response> {
    let r = state.forge.admin_set_admin(ctx.actor(), &name, true).await;
    after_change(&ctx, r.map(|_| ()), "admin.flash.made_admin")
}

/// `POST /admin/users/{user}/unadmin`.
pub async fn unmake_admin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> WebResult<Response> {
    let r = state.forge.admin_set_admin(ctx.actor(), &name, false).await;
    after_change(&ctx, r.map(|_| ()), "admin.flash.unmade_admin")
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

async fn delete_page(
    state: &AppState,
    ctx: &Ctx,
    name: &str,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let p = state
        .forge
        .admin_deletion_preview(ctx.actor(), name)
        .await?;
    let own = ctx.user.as_ref().is_some_and(|u| u.id == p.user.id);
    let body = html! {
        h2 { (ctx.tf("admin.delete_title", &[("name", &p.user.name)])) }
        div.card id="delete-consequences" {
            @if p.repos.is_empty() {
                p { (ctx.t("admin.delete_no_repos")) }
            } @else {
                p { (ctx.tf("admin.delete_repos", &[("n", &p.repos.len().to_string())])) }
                ul id="delete-repos" {
                    @for r in &p.repos { li { a href=(format!("/{}/{}", r.owner_name, r.name)) { (r.owner_name) "/" (r.name) } } }
                }
            }
            p { (ctx.t("admin.delete_rest")) }
        }
        @if own {
            div.notice role="alert" id="delete-refused" { (ctx.t("admin.flash.own_account")) }
        } @else if !p.sole_owner_of.is_empty() {
            div.notice role="alert" id="delete-refused" {
                (ctx.t("admin.delete_sole_owner"))
                ul { @for o in &p.sole_owner_of { li { a href=(format!("/org/{o}/members")) { (o) } } } }
            }
        } @else {
            form.stack method="post" action=(format!("/admin/users/{}/delete", p.user.name)) id="delete-user-form" {
                (csrf_input(ctx))
                (Field::new("confirm", &ctx.tf("admin.delete_confirm", &[("name", &p.user.name)]), "").required().render(ctx, errors))
                div { button.btn.btn-danger type="submit" { (ctx.t("admin.delete")) } }
            }
        }
    };
    Ok(frame(ctx, Tab::Users, ctx.t("admin.tab.users"), body))
}

/// `GET /admin/users/{user}/delete`: what deleting would do, and the confirmation.
pub async fn delete_user_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> WebResult<Markup> {
    delete_page(&state, &ctx, &name, &FormErrors::default()).await
}

/// `POST /admin/users/{user}/delete`: needs the user's name typed again.
pub async fn delete_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    Form(form): Form<DeleteForm>,
) -> WebResult<Response> {
    // The policy first: to others this route does not exist, whatever they typed.
    state.forge.admin_check(ctx.actor())?;
    if !form.confirm.trim().eq_ignore_ascii_case(&name) {
        let mut errors = FormErrors::default();
        errors.add("confirm", "admin.error.confirm");
        let page = delete_page(&state, &ctx, &name, &errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    match state.forge.admin_delete_user(ctx.actor(), &name).await {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "admin.flash.deleted",
            "/admin/users",
        )),
        Err(AdminError::LastOwnerOf(_)) => Ok(flash_redirect(
            &ctx,
            FlashKind::Error,
            "admin.flash.sole_owner",
            &format!("/admin/users/{name}/delete"),
        )),
        Err(e) => after_change(&ctx, Err(e), "admin.flash.deleted"),
    }
}

/// `GET /admin/orgs`.
pub async fn orgs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    let page_no = page_number(q.page.as_deref());
    let found = state
        .forge
        .admin_accounts(
            ctx.actor(),
            AccountKind::Org,
            q.keyword(),
            PER_PAGE,
            (page_no - 1) * PER_PAGE,
        )
        .await?;
    let body = html! {
        (search_form(&ctx, "/admin/orgs", q.keyword(), "explore.search"))
        p.muted id="admin-total" { (ctx.tf("explore.total", &[("n", &found.total.to_string())])) }
        table.data id="admin-orgs" {
            thead { tr {
                th { (ctx.t("admin.col.name")) }
                th { (ctx.t("admin.col.display_name")) }
                th { (ctx.t("admin.col.created")) }
                th { (ctx.t("admin.col.actions")) }
            } }
            tbody {
                @for o in &found.accounts {
                    tr data-org=(o.name) {
                        td { a href=(format!("/{}", o.name)) { (o.name) } }
                        td { (o.display_name) }
                        td { (date(o.created_at)) }
                        td { div.admin-actions {
                            a.btn.btn-small href=(format!("/org/{}/members", o.name)) { (ctx.t("admin.org_members")) }
                            a.btn.btn-small href=(format!("/org/{}/settings", o.name)) { (ctx.t("admin.org_settings")) }
                        } }
                    }
                }
            }
        }
        (pager(&ctx, found.total, page_no, |n| list_url("/admin/orgs", q.keyword(), None, n)))
    };
    Ok(frame(&ctx, Tab::Orgs, ctx.t("admin.tab.orgs"), body))
}

/// `GET /admin/repos`.
pub async fn repos(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    let page_no = page_number(q.page.as_deref());
    let (list, total) = state
        .forge
        .admin_repos(ctx.actor(), q.keyword(), PER_PAGE, (page_no - 1) * PER_PAGE)
        .await?;
    let body = html! {
        (search_form(&ctx, "/admin/repos", q.keyword(), "explore.search"))
        p.muted id="admin-total" { (ctx.tf("explore.total", &[("n", &total.to_string())])) }
        table.data id="admin-repos" {
            thead { tr {
                th { (ctx.t("admin.col.repo")) }
                th { (ctx.t("admin.col.size")) }
                th { (ctx.t("admin.col.last_push")) }
                th { (ctx.t("admin.col.actions")) }
            } }
            tbody {
                @for u in &list {
                    @let r = &u.repo;
                    tr data-repo=(format!("{}/{}", r.owner_name, r.name)) {
                        td {
                            a href=(format!("/{}/{}", r.owner_name, r.name)) { (r.owner_name) "/" (r.name) }
                            @if r.is_private { " " span.badge { (ctx.t("repo.private")) } }
                        }
                        td.size { (human_bytes(u.bytes)) }
                        td { (moment(&ctx, r.pushed_at)) }
                        td { div.admin-actions {
                            (button_form(&ctx, &format!("/admin/repos/{}/{}/upkeep", r.owner_name, r.name), ctx.t("admin.upkeep"), ""))
                        } }
                    }
                }
            }
        }
        (pager(&ctx, total, page_no, |n| list_url("/admin/repos", q.keyword(), None, n)))
    };
    Ok(frame(&ctx, Tab::Repos, ctx.t("admin.tab.repos"), body))
}

/// `POST /admin/repos/{owner}/{repo}/upkeep`: pack merging and the commit-graph, now.
pub async fn run_upkeep(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Response> {
    let (_, done) = Forge::admin_run_upkeep(state.clone(), ctx.actor(), &owner, &name).await?;
    let key = if done.ran {
        "admin.flash.upkeep_done"
    } else {
        "admin.flash.upkeep_busy"
    };
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        key,
        "/admin/repos",
    ))
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    allow_signup: String,
    #[serde(default)]
    announcement: String,
    #[serde(default)]
    require_two_factor: String,
}

fn settings_page(ctx: &Ctx, s: &SiteSettings, errors: &FormErrors) -> Markup {
    let body = html! {
        form.stack method="post" action="/admin/settings" id="admin-settings-form" {
            (csrf_input(ctx))
            (Field::new("allow_signup", ctx.t("admin.setting.allow_signup"), if s.allow_signup { "on" } else { "" })
                .input(Input::Checkbox).hint(ctx.t("admin.setting.allow_signup_hint")).render(ctx, errors))
            (Field::new("announcement", ctx.t("admin.setting.announcement"), &s.announcement)
                .input(Input::TextArea).hint(ctx.t("admin.setting.announcement_hint")).render(ctx, errors))
            (Field::new("require_two_factor", ctx.t("admin.setting.require_two_factor"), s.require_two_factor.as_str())
                .input(Input::Select(&[
                    ("off", ctx.t("admin.setting.require_2fa_off")),
                    ("admins", ctx.t("admin.setting.require_2fa_admins")),
                    ("all", ctx.t("admin.setting.require_2fa_all")),
                ]))
                .hint(ctx.t("admin.setting.require_two_factor_hint")).render(ctx, errors))
            div { button.btn.btn-primary type="submit" { (ctx.t("action.save")) } }
        }
    };
    frame(ctx, Tab::Settings, ctx.t("admin.tab.settings"), body)
}

/// `GET /admin/settings`.
pub async fn settings(State(state): State<AppState>, ctx: Ctx) -> WebResult<Markup> {
    state.forge.admin_check(ctx.actor())?;
    let s = state.forge.site_settings(state.cfg.allow_signup).await?;
    Ok(settings_page(&ctx, &s, &FormErrors::default()))
}

/// `POST /admin/settings`.
pub async fn save_settings(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SettingsForm>,
) -> WebResult<Response> {
    let allow_signup = form.allow_signup == "on";
    // The policy first: to others this route does not exist, whatever they sent.
    state.forge.admin_check(ctx.actor())?;
    // Absent (an older form): unchanged.
    let require_two_factor = if form.require_two_factor.is_empty() {
        state
            .forge
            .site_settings(state.cfg.allow_signup)
            .await?
            .require_two_factor
    } else {
        TwoFactorRequirement::parse(&form.require_two_factor)
            .ok_or(WebError::BadRequest("error.400.form"))?
    };
    match state
        .forge
        .admin_save_settings(
            ctx.actor(),
            allow_signup,
            &form.announcement,
            require_two_factor,
        )
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "admin.flash.settings_saved",
            "/admin/settings",
        )),
        Err(AdminError::Invalid(e)) => {
            let mut errors = FormErrors::default();
            errors.field("announcement", &e);
            let shown = SiteSettings {
                allow_signup,
                announcement: form.announcement.clone(),
                require_two_factor,
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                settings_page(&ctx, &shown, &errors),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_read_as_people_do() {
        assert_eq!(super::human_bytes(0), "0 B");
        assert_eq!(super::human_bytes(1023), "1023 B");
        assert_eq!(super::human_bytes(1536), "1.5 KiB");
        assert_eq!(super::human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
