//! Webhook settings of repositories (`/{owner}/{repo}/settings/hooks`) and organizations
//! (`/org/{org}/settings/hooks`): the list, the form to add one, editing and deleting, a
//! test delivery (repositories), and each hook's delivery log with the full request and
//! response of every delivery and a button to send it again.
//!
//! Repository hooks need administration of the repository (a private repository is a 404
//! to those who cannot read it, a 403 to readers); organization hooks need the
//! organization's owners. The secret and the authorization header are write-only: never
//! shown, kept when left blank on the edit form.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::labels::parse_id;
use crate::pages::org::{Loaded, OrgTab, org_header};
use crate::pages::repo::{RepoTab, load, repo_header};
use crate::state::AppState;
use crate::views::{button_form, page};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::webhooks::{CHOOSABLE, ORG_ONLY};
use hatchery_core::{Action, Resource, authorize};
use hatchery_service::webhooks::{HookEdit, HookError, HookInput};
use hatchery_store::{Delivery, DeliveryStatus, DeliverySummary, HookOwner, Repo, Webhook};
use maud::{Markup, html};
use serde::Deserialize;

/// Deliveries per page of a hook's log.
const LOG_PAGE: i64 = 20;

/// Whose hooks a page shows.
enum Place {
    Repo(Repo),
    Org(Loaded),
}

impl Place {
    fn owner(&self) -> HookOwner {
        match self {
            Place::Repo(r) => HookOwner::Repo(r.id),
            Place::Org(l) => HookOwner::Org(l.org.id),
        }
    }

    /// `/{owner}/{repo}/settings/hooks` or `/org/{org}/settings/hooks`.
    fn base(&self) -> String {
        match self {
            Place::Repo(r) => format!("/{}/{}/settings/hooks", r.owner_name, r.name),
            Place::Org(l) => format!("/org/{}/settings/hooks", l.org.name),
        }
    }

    fn name(&self) -> String {
        match self {
            Place::Repo(r) => format!("{}/{}", r.owner_name, r.name),
            Place::Org(l) => l.org.name.clone(),
        }
    }

    async fn header(&self, state: &AppState, ctx: &Ctx) -> WebResult<Markup> {
        match self {
            Place::Repo(r) => repo_header(state, ctx, r, RepoTab::Settings).await,
            Place::Org(l) => Ok(org_header(ctx, l, OrgTab::Settings)),
        }
    }

    fn settings_url(&self) -> String {
        match self {
            Place::Repo(r) => format!("/{}/{}/settings", r.owner_name, r.name),
            Place::Org(l) => format!("/org/{}/settings", l.org.name),
        }
    }
}

async fn repo_place(state: &AppState, ctx: &Ctx, owner: &str, name: &str) -> WebResult<Place> {
    Ok(Place::Repo(
        load(state, ctx, owner, name, Action::Administer).await?,
    ))
}

async fn org_place(state: &AppState, ctx: &Ctx, org: &str) -> WebResult<Place> {
    let l = crate::pages::org::load(state, ctx, org).await?;
    match authorize(ctx.actor(), Action::EditSettings, Resource::Org(l.facts)) {
        hatchery_core::Decision::Allow => Ok(Place::Org(l)),
        hatchery_core::Decision::Deny(d) => Err(WebError::from_denial(d, &ctx.path)),
    }
}

async fn hook_of(state: &AppState, place: &Place, id: i64) -> WebResult<Webhook> {
    state
        .store
        .webhook(place.owner(), id)
        .await?
        .ok_or(WebError::NotFound)
}

/// The hook form as submitted: repeated `events` fields, so read as pairs.
#[derive(Debug, Default, Clone)]
struct HookForm {
    url: String,
    content_type: String,
    secret: String,
    events: Vec<String>,
    branch_filter: String,
    authorization_header: String,
    active: bool,
}

impl HookForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> HookForm {
        let mut f = HookForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "url" => f.url = v,
                "content_type" => f.content_type = v,
                "secret" => f.secret = v,
                "events" => f.events.push(v),
                "branch_filter" => f.branch_filter = v,
                "authorization_header" => f.authorization_header = v,
                "active" => f.active = v == "on",
                _ => {}
            }
        }
        f
    }

    fn of(h: &Webhook) -> HookForm {
        HookForm {
            url: h.url.clone(),
            content_type: h.content_type.clone(),
            secret: String::new(),
            events: h.events.clone(),
            branch_filter: h.branch_filter.clone(),
            authorization_header: String::new(),
            active: h.is_active,
        }
    }

    fn new_default() -> HookForm {
        HookForm {
            content_type: "json".to_owned(),
            events: vec!["push".to_owned()],
            active: true,
            ..HookForm::default()
        }
    }
}

/// A refused setting as a message of the catalog, on its field.
fn form_errors(e: HookError) -> WebResult<FormErrors> {
    let mut errors = FormErrors::default();
    match e {
        HookError::Field { field, .. } => match field {
            "url" => errors.add("url", "webhooks.error_url"),
            "events" => errors.add("events", "webhooks.error_events"),
            "branch_filter" => errors.add("branch_filter", "webhooks.error_branch_filter"),
            "content_type" => errors.add("content_type", "webhooks.error_content_type"),
            "secret" => errors.add("secret", "webhooks.error_one_line"),
            _ => errors.add("authorization_header", "webhooks.error_one_line"),
        },
        HookError::NotFound => return Err(WebError::NotFound),
        HookError::Service(s) => return Err(s.into()),
    }
    Ok(errors)
}

fn event_label(ctx: &Ctx, event: &str) -> &'static str {
    match event {
        "push" => ctx.t("webhooks.event_push"),
        "create" => ctx.t("webhooks.event_create"),
        "delete" => ctx.t("webhooks.event_delete"),
        "issues" => ctx.t("webhooks.event_issues"),
        "issue_comment" => ctx.t("webhooks.event_issue_comment"),
        "repository" => ctx.t("webhooks.event_repository"),
        "status" => ctx.t("statuses.webhook_event"),
        "release" => ctx.t("releases.webhook_event"),
        "fork" => ctx.t("forks.webhook_event"),
        "pull_request" => ctx.t("pulls.webhook_event"),
        "pull_request_review" => ctx.t("code_review.webhook_event"),
        "incubator_proposal" => ctx.t("webhooks.incubator_event.proposal"),
        "incubator_vote" => ctx.t("webhooks.incubator_event.vote"),
        "incubator_stage" => ctx.t("webhooks.incubator_event.stage"),
        "incubator_graduation" => ctx.t("webhooks.incubator_event.graduation"),
        _ => ctx.t("webhooks.event_other"),
    }
}

fn status_label(ctx: &Ctx, s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Pending => ctx.t("webhooks.status_pending"),
        DeliveryStatus::Delivered => ctx.t("webhooks.status_delivered"),
        DeliveryStatus::Failed => ctx.t("webhooks.status_failed"),
    }
}

/// `2026-01-01 12:00:00 UTC`.
fn when(ms: i64) -> String {
    let t = hatchery_api_types::time(ms);
    format!("{} UTC", t.replace('T', " ").trim_end_matches('Z'))
}

/// The hook form's fields. `editing`: the secret fields say that blank keeps them.
fn hook_fields(
    ctx: &Ctx,
    place: &Place,
    form: &HookForm,
    errors: &FormErrors,
    editing: bool,
) -> Markup {
    let content_types = [
        ("json", "application/json"),
        ("form", "application/x-www-form-urlencoded"),
    ];
    let all = form.events.iter().any(|e| e == "*");
    let choices: Vec<&str> = CHOOSABLE
        .iter()
        .copied()
        .filter(|e| !ORG_ONLY.contains(e) || matches!(place, Place::Org(_)))
        .collect();
    let active = if form.active { "on" } else { "" };
    let events_error = errors.message(ctx, "events");
    html! {
        (Field::new("url", ctx.t("webhooks.field_url"), &form.url).required().hint(ctx.t("webhooks.hint_url")).render(ctx, errors))
        (Field::new("content_type", ctx.t("webhooks.field_content_type"), &form.content_type).input(Input::Select(&content_types)).render(ctx, errors))
        (Field::new("secret", ctx.t("webhooks.field_secret"), "").input(Input::Password)
            .hint(if editing { ctx.t("webhooks.hint_secret_keep") } else { ctx.t("webhooks.hint_secret") }).render(ctx, errors))
        fieldset.field.has-error[events_error.is_some()] id="hook-events" {
            legend { (ctx.t("webhooks.field_events")) }
            label {
                input type="checkbox" name="events" value="*" checked[all];
                " " (ctx.t("webhooks.event_all"))
            }
            @for e in &choices {
                label {
                    input type="checkbox" name="events" value=(e) checked[!all && form.events.iter().any(|x| x == e)];
                    " " (event_label(ctx, e))
                }
            }
            @if let Some(msg) = &events_error { div.error role="alert" { (msg) } }
        }
        (Field::new("branch_filter", ctx.t("webhooks.field_branch_filter"), &form.branch_filter).hint(ctx.t("webhooks.hint_branch_filter")).render(ctx, errors))
        (Field::new("authorization_header", ctx.t("webhooks.field_authorization"), "").input(Input::Password)
            .hint(if editing { ctx.t("webhooks.hint_secret_keep") } else { ctx.t("webhooks.hint_authorization") }).render(ctx, errors))
        (Field::new("active", ctx.t("webhooks.field_active"), active).input(Input::Checkbox).render(ctx, errors))
    }
}

// ---- the list and the new form ----

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    place: &Place,
    form: &HookForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = place.header(state, ctx).await?;
    let hooks = state.store.webhooks_of(place.owner()).await?;
    let ids: Vec<i64> = hooks.iter().map(|h| h.id).collect();
    let last = state.store.last_deliveries(&ids).await?;
    let base = place.base();
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("webhooks.title"), place.name()),
        html! {
            (header)
            p { a href=(place.settings_url()) { "← " (ctx.t("webhooks.back_to_settings")) } }
            section.card {
                h2 style="margin-top:0" { (ctx.t("webhooks.title")) }
                p.muted { (ctx.t("webhooks.intro")) }
                @if hooks.is_empty() {
                    p.muted id="no-hooks" { (ctx.t("webhooks.none")) }
                } @else {
                    ul.list id="hook-list" {
                        @for h in &hooks {
                            li {
                                a href=(format!("{base}/{}", h.id)) { (h.url) }
                                " "
                                @if !h.is_active { span.badge { (ctx.t("webhooks.inactive")) } }
                                @if let Some(d) = last.iter().find(|d| d.hook_id == h.id) {
                                    " " span.badge title=(when(d.created_at)) { (status_label(ctx, d.status)) }
                                }
                                " " span.muted { (h.events.join(", ")) }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 style="margin-top:0" { (ctx.t("webhooks.add")) }
                form.stack method="post" action=(base) id="hook-new-form" novalidate {
                    (csrf_input(ctx))
                    (hook_fields(ctx, place, form, errors, false))
                    div { button.btn.btn-primary type="submit" { (ctx.t("webhooks.add")) } }
                }
            }
        },
    ))
}

async fn show_list(state: &AppState, ctx: &Ctx, place: Place) -> WebResult<Markup> {
    list_page(
        state,
        ctx,
        &place,
        &HookForm::new_default(),
        &FormErrors::default(),
    )
    .await
}

async fn create(
    state: &AppState,
    ctx: &Ctx,
    place: Place,
    pairs: Vec<(String, String)>,
) -> WebResult<Response> {
    let form = HookForm::from_pairs(pairs);
    let input = HookInput {
        url: form.url.clone(),
        content_type: form.content_type.clone(),
        secret: form.secret.clone(),
        events: form.events.clone(),
        branch_filter: form.branch_filter.clone(),
        authorization_header: form.authorization_header.clone(),
        active: form.active,
    };
    match state.forge.create_webhook(place.owner(), input).await {
        Ok(hook) => Ok(flash_redirect(
            ctx,
            FlashKind::Success,
            "webhooks.flash_created",
            &format!("{}/{}", place.base(), hook.id),
        )),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                list_page(state, ctx, &place, &form, &errors).await?,
            )
                .into_response())
        }
    }
}

// ---- one hook: edit form and delivery log ----

#[derive(Deserialize, Default)]
pub struct LogQuery {
    page: Option<i64>,
}

async fn hook_page(
    state: &AppState,
    ctx: &Ctx,
    place: &Place,
    hook: &Webhook,
    form: &HookForm,
    errors: &FormErrors,
    page_no: i64,
) -> WebResult<Markup> {
    let header = place.header(state, ctx).await?;
    let page_no = page_no.max(1);
    let (deliveries, total) = state
        .store
        .deliveries_of_hook(hook.id, (page_no - 1) * LOG_PAGE, LOG_PAGE)
        .await?;
    let url = format!("{}/{}", place.base(), hook.id);
    let pages = ((total + LOG_PAGE - 1) / LOG_PAGE).max(1);
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("webhooks.title"), place.name()),
        html! {
            (header)
            p { a href=(place.base()) { "← " (ctx.t("webhooks.back")) } }
            section.card {
                h2 style="margin-top:0" { (ctx.t("webhooks.edit")) }
                form.stack method="post" action=(url) id="hook-edit-form" novalidate {
                    (csrf_input(ctx))
                    (hook_fields(ctx, place, form, errors, true))
                    div { button.btn.btn-primary type="submit" { (ctx.t("action.save")) } }
                }
                div.inline-form style="margin-top:12px;gap:8px" {
                    @if matches!(place, Place::Repo(_)) {
                        (button_form(ctx, &format!("{url}/test"), ctx.t("webhooks.test"), ""))
                    }
                    (button_form(ctx, &format!("{url}/delete"), ctx.t("webhooks.delete"), "btn-danger"))
                }
            }
            section.card id="deliveries" {
                h2 style="margin-top:0" { (ctx.t("webhooks.deliveries")) }
                @if deliveries.is_empty() {
                    p.muted { (ctx.t("webhooks.no_deliveries")) }
                } @else {
                    table.table id="delivery-log" {
                        thead { tr {
                            th { (ctx.t("webhooks.col_time")) }
                            th { (ctx.t("webhooks.col_event")) }
                            th { (ctx.t("webhooks.col_status")) }
                            th { (ctx.t("webhooks.col_response")) }
                            th { (ctx.t("webhooks.col_duration")) }
                            th { (ctx.t("webhooks.col_attempts")) }
                        } }
                        tbody {
                            @for d in &deliveries { (delivery_row(ctx, &url, d)) }
                        }
                    }
                    @if pages > 1 {
                        nav.pagination {
                            @if page_no > 1 { a href=(format!("{url}?page={}#deliveries", page_no - 1)) { (ctx.t("pagination.prev")) } }
                            " " span.muted { (page_no) " / " (pages) } " "
                            @if page_no < pages { a href=(format!("{url}?page={}#deliveries", page_no + 1)) { (ctx.t("pagination.next")) } }
                        }
                    }
                }
            }
        },
    ))
}

fn delivery_row(ctx: &Ctx, url: &str, d: &DeliverySummary) -> Markup {
    html! {
        tr {
            td { a href=(format!("{url}/deliveries/{}", d.id)) { (when(d.created_at)) } }
            td { code { (d.event) } @if !d.action.is_empty() { " " span.muted { (d.action) } } }
            td { (status_label(ctx, d.status)) }
            td { @if let Some(s) = d.response_status { (s) } @else { "—" } }
            td { @if let Some(ms) = d.duration_ms { (ms) " ms" } @else { "—" } }
            td { (d.attempts) }
        }
    }
}

async fn show_hook(
    state: &AppState,
    ctx: &Ctx,
    place: Place,
    id: i64,
    q: LogQuery,
) -> WebResult<Markup> {
    let hook = hook_of(state, &place, id).await?;
    hook_page(
        state,
        ctx,
        &place,
        &hook,
        &HookForm::of(&hook),
        &FormErrors::default(),
        q.page.unwrap_or(1),
    )
    .await
}

async fn save(
    state: &AppState,
    ctx: &Ctx,
    place: Place,
    id: i64,
    pairs: Vec<(String, String)>,
) -> WebResult<Response> {
    let hook = hook_of(state, &place, id).await?;
    let form = HookForm::from_pairs(pairs);
    let nonblank = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let edit = HookEdit {
        url: Some(form.url.clone()),
        content_type: Some(form.content_type.clone()),
        secret: nonblank(&form.secret),
        events: Some(form.events.clone()),
        branch_filter: Some(form.branch_filter.clone()),
        authorization_header: nonblank(&form.authorization_header),
        active: Some(form.active),
    };
    match state
        .forge
        .update_webhook(place.owner(), hook.id, edit)
        .await
    {
        Ok(_) => Ok(flash_redirect(
            ctx,
            FlashKind::Success,
            "webhooks.flash_saved",
            &format!("{}/{}", place.base(), hook.id),
        )),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                hook_page(state, ctx, &place, &hook, &form, &errors, 1).await?,
            )
                .into_response())
        }
    }
}

async fn delete(state: &AppState, ctx: &Ctx, place: Place, id: i64) -> WebResult<Response> {
    state.store.delete_webhook(place.owner(), id).await?;
    Ok(flash_redirect(
        ctx,
        FlashKind::Success,
        "webhooks.flash_deleted",
        &place.base(),
    ))
}

// ---- one delivery ----

/// A stored JSON object of headers as lines `Name: value`.
fn header_lines(json: Option<&str>) -> String {
    let Some(json) = json else {
        return String::new();
    };
    match serde_json::from_str::<std::collections::BTreeMap<String, String>>(json) {
        Ok(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(_) => json.to_owned(),
    }
}

/// JSON bodies pretty-printed; anything else as it is.
fn pretty(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| body.to_owned())
}

async fn delivery_page(
    state: &AppState,
    ctx: &Ctx,
    place: &Place,
    hook: &Webhook,
    d: &Delivery,
) -> WebResult<Markup> {
    let header = place.header(state, ctx).await?;
    let url = format!("{}/{}", place.base(), hook.id);
    let s = &d.summary;
    let request_body = d.request_body.as_deref().unwrap_or(&d.payload);
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("webhooks.delivery"), place.name()),
        html! {
            (header)
            p { a href=(format!("{url}#deliveries")) { "← " (ctx.t("webhooks.back_to_hook")) } }
            section.card id="delivery" {
                h2 style="margin-top:0" { (ctx.t("webhooks.delivery")) " " code { (s.uuid) } }
                dl.facts {
                    dt { (ctx.t("webhooks.col_event")) } dd { code { (s.event) } @if !s.action.is_empty() { " " (s.action) } }
                    dt { (ctx.t("webhooks.col_status")) } dd { (status_label(ctx, s.status)) }
                    dt { (ctx.t("webhooks.col_time")) } dd { (when(s.created_at)) }
                    @if let Some(at) = s.last_attempt_at { dt { (ctx.t("webhooks.last_attempt")) } dd { (when(at)) } }
                    @if s.status == DeliveryStatus::Pending && s.attempts > 0 {
                        dt { (ctx.t("webhooks.next_attempt")) } dd { (when(s.next_attempt_at)) }
                    }
                    dt { (ctx.t("webhooks.col_attempts")) } dd { (s.attempts) }
                    @if let Some(ms) = s.duration_ms { dt { (ctx.t("webhooks.col_duration")) } dd { (ms) " ms" } }
                    @if let Some(orig) = s.redelivery_of {
                        dt { (ctx.t("webhooks.redelivery_of")) } dd { a href=(format!("{url}/deliveries/{orig}")) { "#" (orig) } }
                    }
                    @if let Some(e) = &s.error { dt { (ctx.t("webhooks.error")) } dd.error { (e) } }
                }
                (button_form(ctx, &format!("{url}/deliveries/{}/redeliver", s.id), ctx.t("webhooks.redeliver"), "btn-primary"))
            }
            section.card id="delivery-request" {
                h3 style="margin-top:0" { (ctx.t("webhooks.request")) }
                @if let Some(u) = &d.request_url { p { code { "POST " (u) } } }
                pre { (header_lines(d.request_headers.as_deref())) }
                pre { (pretty(request_body)) }
            }
            section.card id="delivery-response" {
                h3 style="margin-top:0" { (ctx.t("webhooks.response")) }
                @if let Some(status) = s.response_status {
                    p { (ctx.t("webhooks.col_response")) ": " strong { (status) } }
                    pre { (header_lines(d.response_headers.as_deref())) }
                    pre { (d.response_body.as_deref().map(pretty).unwrap_or_default()) }
                } @else {
                    p.muted { (ctx.t("webhooks.no_response")) }
                }
            }
        },
    ))
}

async fn show_delivery(
    state: &AppState,
    ctx: &Ctx,
    place: Place,
    id: i64,
    delivery: i64,
) -> WebResult<Markup> {
    let hook = hook_of(state, &place, id).await?;
    let d = state
        .store
        .delivery(hook.id, delivery)
        .await?
        .ok_or(WebError::NotFound)?;
    delivery_page(state, ctx, &place, &hook, &d).await
}

async fn redeliver(
    state: &AppState,
    ctx: &Ctx,
    place: Place,
    id: i64,
    delivery: i64,
) -> WebResult<Response> {
    let hook = hook_of(state, &place, id).await?;
    match state.forge.redeliver(&hook, delivery).await {
        Ok(()) => Ok(flash_redirect(
            ctx,
            FlashKind::Success,
            "webhooks.flash_redelivered",
            &format!("{}/{}#deliveries", place.base(), hook.id),
        )),
        Err(HookError::NotFound) => Err(WebError::NotFound),
        Err(HookError::Service(e)) => Err(e.into()),
        Err(HookError::Field { .. }) => Err(WebError::NotFound),
    }
}

// ---- handlers: repositories ----

pub async fn repo_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let place = repo_place(&state, &ctx, &owner, &name).await?;
    show_list(&state, &ctx, place).await
}

pub async fn repo_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let place = repo_place(&state, &ctx, &owner, &name).await?;
    create(&state, &ctx, place, pairs).await
}

pub async fn repo_show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
    Query(q): Query<LogQuery>,
) -> WebResult<Markup> {
    let place = repo_place(&state, &ctx, &owner, &name).await?;
    show_hook(&state, &ctx, place, parse_id(&id)?, q).await
}

pub async fn repo_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let place = repo_place(&state, &ctx, &owner, &name).await?;
    save(&state, &ctx, place, parse_id(&id)?, pairs).await
}

pub async fn repo_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let place = repo_place(&state, &ctx, &owner, &name).await?;
    delete(&state, &ctx, place, parse_id(&id)?).await
}

pub async fn repo_test(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let place = repo_place(&state, &ctx, &owner, &name).await?;
    let hook = hook_of(&state, &place, parse_id(&id)?).await?;
    let user = ctx.require_user()?;
    let Place::Repo(repo) = &place else {
        return Err(WebError::NotFound);
    };
    state.forge.test_webhook(repo, &hook, user.id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "webhooks.flash_tested",
        &format!("{}/{}#deliveries", place.base(), hook.id),
    ))
}

pub async fn repo_delivery(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id, delivery)): Path<(String, String, String, String)>,
) -> WebResult<Markup> {
    let place = repo_place(&state, &ctx, &owner, &name).await?;
    show_delivery(&state, &ctx, place, parse_id(&id)?, parse_id(&delivery)?).await
}

pub async fn repo_redeliver(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id, delivery)): Path<(String, String, String, String)>,
) -> WebResult<Response> {
    let place = repo_place(&state, &ctx, &owner, &name).await?;
    redeliver(&state, &ctx, place, parse_id(&id)?, parse_id(&delivery)?).await
}

// ---- handlers: organizations ----

pub async fn org_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
) -> WebResult<Markup> {
    let place = org_place(&state, &ctx, &org).await?;
    show_list(&state, &ctx, place).await
}

pub async fn org_create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(org): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let place = org_place(&state, &ctx, &org).await?;
    create(&state, &ctx, place, pairs).await
}

pub async fn org_show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, id)): Path<(String, String)>,
    Query(q): Query<LogQuery>,
) -> WebResult<Markup> {
    let place = org_place(&state, &ctx, &org).await?;
    show_hook(&state, &ctx, place, parse_id(&id)?, q).await
}

pub async fn org_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let place = org_place(&state, &ctx, &org).await?;
    save(&state, &ctx, place, parse_id(&id)?, pairs).await
}

pub async fn org_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, id)): Path<(String, String)>,
) -> WebResult<Response> {
    let place = org_place(&state, &ctx, &org).await?;
    delete(&state, &ctx, place, parse_id(&id)?).await
}

pub async fn org_delivery(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, id, delivery)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let place = org_place(&state, &ctx, &org).await?;
    show_delivery(&state, &ctx, place, parse_id(&id)?, parse_id(&delivery)?).await
}

pub async fn org_redeliver(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, id, delivery)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let place = org_place(&state, &ctx, &org).await?;
    redeliver(&state, &ctx, place, parse_id(&id)?, parse_id(&delivery)?).await
}
