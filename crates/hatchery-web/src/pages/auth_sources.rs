//! `/admin/auths`: sign-in sources (LDAP, reverse-proxy headers, OpenID Connect) — list,
//! create, edit, delete, test connection, sync teams now. The use cases are
//! `Forge::admin_*source*`, which answer everyone but administrators with "not found".
//!
//! A source's settings travel as the JSON object of `hatchery_core::signin`'s settings;
//! the form shows one field per key (the same keys the API and the CLI use). Secrets (bind
//! password, client secret) are never shown again: left empty on an edit, they are kept.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input, value};
use crate::pages::admin::{Tab, frame, moment};
use crate::state::AppState;
use crate::views::button_form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::signin::{SourceKind, SourceSettings};
use hatchery_service::sources::{SourceError, SourceInput, SourceTest};
use maud::{Markup, html};
use serde::Deserialize;

/// How a settings key is edited.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Secret,
    Security,
}

/// One settings key of a kind of source: its JSON key, label and hint.
pub struct SettingField {
    key: &'static str,
    label: &'static str,
    hint: Option<&'static str>,
    kind: Kind,
}

const fn f(key: &'static str, label: &'static str, kind: Kind) -> SettingField {
    SettingField {
        key,
        label,
        hint: None,
        kind,
    }
}

const fn h(key: &'static str, label: &'static str, hint: &'static str) -> SettingField {
    SettingField {
        key,
        label,
        hint: Some(hint),
        kind: Kind::Text,
    }
}

const LDAP_FIELDS: &[SettingField] = &[
    f("host", "auth_source.field.host", Kind::Text),
    f("port", "auth_source.field.port", Kind::Number),
    f("security", "auth_source.field.security", Kind::Security),
    h(
        "ca_file",
        "auth_source.field.ca_file",
        "auth_source.hint.ca_file",
    ),
    f("bind_dn", "auth_source.field.bind_dn", Kind::Text),
    f(
        "bind_password",
        "auth_source.field.bind_password",
        Kind::Secret,
    ),
    h(
        "user_dn",
        "auth_source.field.user_dn",
        "auth_source.hint.user_dn",
    ),
    f("user_base", "auth_source.field.user_base", Kind::Text),
    h(
        "user_filter",
        "auth_source.field.user_filter",
        "auth_source.hint.user_filter",
    ),
    f(
        "attr_username",
        "auth_source.field.attr_username",
        Kind::Text,
    ),
    f("attr_email", "auth_source.field.attr_email", Kind::Text),
    f(
        "attr_display_name",
        "auth_source.field.attr_display_name",
        Kind::Text,
    ),
    h(
        "attr_member_of",
        "auth_source.field.attr_member_of",
        "auth_source.hint.attr_member_of",
    ),
    f("group_base", "auth_source.field.group_base", Kind::Text),
    h(
        "group_filter",
        "auth_source.field.group_filter",
        "auth_source.hint.group_filter",
    ),
    f("admin_group", "auth_source.field.admin_group", Kind::Text),
    f(
        "timeout_secs",
        "auth_source.field.timeout_secs",
        Kind::Number,
    ),
];

const HEADER_FIELDS: &[SettingField] = &[
    f(
        "username_header",
        "auth_source.field.username_header",
        Kind::Text,
    ),
    f("email_header", "auth_source.field.email_header", Kind::Text),
    f(
        "display_name_header",
        "auth_source.field.display_name_header",
        Kind::Text,
    ),
    f(
        "groups_header",
        "auth_source.field.groups_header",
        Kind::Text,
    ),
    f(
        "groups_separator",
        "auth_source.field.groups_separator",
        Kind::Text,
    ),
    h(
        "trusted_proxies",
        "auth_source.field.trusted_proxies",
        "auth_source.hint.trusted_proxies",
    ),
    h(
        "email_domain",
        "auth_source.field.email_domain",
        "auth_source.hint.email_domain",
    ),
    f("admin_group", "auth_source.field.admin_group", Kind::Text),
];

const OIDC_FIELDS: &[SettingField] = &[
    f("issuer", "auth_source.field.issuer", Kind::Text),
    f("client_id", "auth_source.field.client_id", Kind::Text),
    f(
        "client_secret",
        "auth_source.field.client_secret",
        Kind::Secret,
    ),
    f("scopes", "auth_source.field.scopes", Kind::Text),
    f(
        "claim_username",
        "auth_source.field.claim_username",
        Kind::Text,
    ),
    f("claim_email", "auth_source.field.claim_email", Kind::Text),
    f(
        "claim_display_name",
        "auth_source.field.claim_display_name",
        Kind::Text,
    ),
    f("claim_groups", "auth_source.field.claim_groups", Kind::Text),
    f("admin_group", "auth_source.field.admin_group", Kind::Text),
];

fn fields_of(kind: SourceKind) -> &'static [SettingField] {
    match kind {
        SourceKind::Ldap => LDAP_FIELDS,
        SourceKind::Header => HEADER_FIELDS,
        SourceKind::Oidc => OIDC_FIELDS,
    }
}

fn kind_label(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Ldap => "auth_source.kind.ldap",
        SourceKind::Header => "auth_source.kind.header",
        SourceKind::Oidc => "auth_source.kind.oidc",
    }
}

/// The address a provider sends people back to after signing in (registered with the
/// provider as the client's redirect URI).
pub fn redirect_uri(public_url: &str, source_id: i64) -> String {
    format!(
        "{}/user/oauth2/{source_id}/callback",
        public_url.trim_end_matches('/')
    )
}

/// What the form shows: the common fields and the settings' keys as strings.
struct Shown {
    name: String,
    enabled: bool,
    auto_create: bool,
    mappings: String,
    values: serde_json::Map<String, serde_json::Value>,
}

impl Shown {
    fn value(&self, key: &str) -> String {
        match self.values.get(key) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) if n.as_u64() != Some(0) => n.to_string(),
            _ => String::new(),
        }
    }
}

fn settings_map(s: &SourceSettings) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str(&s.to_json()) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn form_page(
    ctx: &Ctx,
    kind: SourceKind,
    id: Option<i64>,
    shown: &Shown,
    errors: &FormErrors,
) -> Markup {
    let action = match id {
        Some(id) => format!("/admin/auths/{id}"),
        None => "/admin/auths/new".to_owned(),
    };
    let securities = [
        ("plain", ctx.t("auth_source.security.plain")),
        ("starttls", ctx.t("auth_source.security.starttls")),
        ("ldaps", ctx.t("auth_source.security.ldaps")),
    ];
    let title = match id {
        Some(_) => ctx.t("auth_source.edit"),
        None => ctx.t("auth_source.new"),
    };
    let body = html! {
        h2 { (title) " · " (ctx.t(kind_label(kind))) }
        @if kind == SourceKind::Oidc {
            @if let Some(id) = id {
                div.notice id="auth-source-redirect-uri" {
                    (ctx.t("auth_source.redirect_uri")) " "
                    code { (redirect_uri(&ctx.public_url, id)) }
                }
            } @else {
                p.muted id="auth-source-redirect-uri" { (ctx.t("auth_source.redirect_uri_later")) }
            }
        }
        form.stack method="post" action=(action) id="auth-source-form" novalidate {
            (csrf_input(ctx))
            input type="hidden" name="kind" value=(kind.as_str());
            (Field::new("name", ctx.t("auth_source.field.name"), &shown.name).required().hint(ctx.t("auth_source.hint.name")).render(ctx, errors))
            (Field::new("enabled", ctx.t("auth_source.field.enabled"), if shown.enabled { "on" } else { "" }).input(Input::Checkbox).render(ctx, errors))
            (Field::new("auto_create", ctx.t("auth_source.field.auto_create"), if shown.auto_create { "on" } else { "" }).input(Input::Checkbox).hint(ctx.t("auth_source.hint.auto_create")).render(ctx, errors))
            @for field in fields_of(kind) {
                (setting_field(ctx, field, &shown.value(field.key), id.is_some(), &securities, errors))
            }
            (Field::new("mappings", ctx.t("auth_source.field.mappings"), &shown.mappings).input(Input::TextArea).hint(ctx.t("auth_source.hint.mappings")).render(ctx, errors))
            div { button.btn.btn-primary type="submit" id="auth-source-submit" { (ctx.t("action.save")) } }
        }
    };
    frame(ctx, Tab::Auths, title, body)
}

fn setting_field(
    ctx: &Ctx,
    field: &SettingField,
    current: &str,
    editing: bool,
    securities: &[(&str, &str)],
    errors: &FormErrors,
) -> Markup {
    let base = Field::new(
        field.key,
        ctx.t(field.label),
        if field.kind == Kind::Secret {
            ""
        } else {
            current
        },
    );
    let base = match field.hint {
        Some(hint) => base.hint(ctx.t(hint)),
        None => base,
    };
    match field.kind {
        Kind::Secret => {
            let base = base.input(Input::Password).autocomplete("new-password");
            let base = if editing {
                base.hint(ctx.t("auth_source.hint.secret_kept"))
            } else {
                base
            };
            base.render(ctx, errors)
        }
        Kind::Security => base.input(Input::Select(securities)).render(ctx, errors),
        Kind::Text | Kind::Number => base.render(ctx, errors),
    }
}

/// `GET /admin/auths`.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> WebResult<Markup> {
    let sources = state.forge.admin_sources(ctx.actor()).await?;
    let body = html! {
        p.muted { (ctx.t("auth_source.explain")) }
        div.admin-actions id="auth-source-new" {
            @for kind in SourceKind::ALL {
                a.btn.btn-small href=(format!("/admin/auths/new?kind={}", kind.as_str())) {
                    (ctx.tf("auth_source.add", &[("kind", ctx.t(kind_label(kind)))]))
                }
            }
        }
        @if sources.is_empty() {
            p.muted id="auth-sources-empty" { (ctx.t("auth_source.none")) }
        } @else {
            table.data id="auth-sources" {
                thead { tr {
                    th { (ctx.t("auth_source.field.name")) }
                    th { (ctx.t("auth_source.col.kind")) }
                    th { (ctx.t("admin.col.status")) }
                    th { (ctx.t("auth_source.col.updated")) }
                    th { (ctx.t("admin.col.actions")) }
                } }
                tbody {
                    @for s in &sources {
                        @let base = format!("/admin/auths/{}", s.id);
                        tr data-source=(s.name) {
                            td { a href=(base) { (s.name) } }
                            td { (ctx.t(kind_label(s.kind))) }
                            td {
                                @if s.is_enabled { span.badge { (ctx.t("auth_source.enabled")) } }
                                @else { span.badge.disabled-badge { (ctx.t("auth_source.disabled")) } }
                                @if s.auto_create { " " span.muted { (ctx.t("auth_source.creates_accounts")) } }
                            }
                            td { (moment(&ctx, Some(s.updated_at))) }
                            td { div.admin-actions {
                                (button_form(&ctx, &format!("{base}/test"), ctx.t("auth_source.test"), ""))
                                @if s.kind == SourceKind::Ldap {
                                    (button_form(&ctx, &format!("{base}/sync"), ctx.t("auth_source.sync"), ""))
                                }
                                (button_form(&ctx, &format!("{base}/delete"), ctx.t("admin.delete"), "btn-danger"))
                            } }
                        }
                    }
                }
            }
        }
    };
    Ok(frame(&ctx, Tab::Auths, ctx.t("admin.tab.auths"), body))
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    kind: Option<String>,
}

fn creatable(kind: Option<&str>) -> WebResult<SourceKind> {
    kind.and_then(SourceKind::parse)
        .ok_or(WebError::BadRequest("auth_source.error.kind"))
}

/// `GET /admin/auths/new?kind=ldap`.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NewQuery>,
) -> WebResult<Markup> {
    state.forge.admin_check(ctx.actor())?;
    let kind = creatable(q.kind.as_deref())?;
    let defaults = match kind {
        SourceKind::Ldap => SourceSettings::Ldap(hatchery_core::signin::LdapSettings {
            user_filter: "(&(objectClass=inetOrgPerson)(uid=%s))".into(),
            attr_username: "uid".into(),
            attr_email: "mail".into(),
            attr_display_name: "cn".into(),
            attr_member_of: "memberOf".into(),
            timeout_secs: 10,
            ..Default::default()
        }),
        SourceKind::Header => SourceSettings::Header(hatchery_core::signin::HeaderSettings {
            username_header: "X-Remote-User".into(),
            trusted_proxies: "127.0.0.1/32, ::1/128".into(),
            ..Default::default()
        }),
        SourceKind::Oidc => SourceSettings::Oidc(Default::default()),
    };
    let shown = Shown {
        name: String::new(),
        enabled: true,
        auto_create: true,
        mappings: String::new(),
        values: settings_map(&defaults),
    };
    Ok(form_page(&ctx, kind, None, &shown, &FormErrors::default()))
}

/// The settings object of a submitted form: every key of the kind, numbers as numbers.
fn settings_from(
    kind: SourceKind,
    pairs: &[(String, String)],
) -> Result<SourceSettings, &'static str> {
    let mut map = serde_json::Map::new();
    for field in fields_of(kind) {
        let raw = value(pairs, field.key).trim();
        let v = match field.kind {
            Kind::Number => {
                if raw.is_empty() {
                    serde_json::Value::from(0)
                } else {
                    serde_json::Value::from(raw.parse::<u16>().map_err(|_| field.key)?)
                }
            }
            // Passwords are taken as typed: spaces may be part of them.
            Kind::Secret => serde_json::Value::from(value(pairs, field.key)),
            _ => serde_json::Value::from(raw),
        };
        map.insert(field.key.to_owned(), v);
    }
    SourceSettings::from_json(kind, &serde_json::Value::Object(map).to_string())
        .map_err(|_| "security")
}

fn input_from(kind: SourceKind, pairs: &[(String, String)]) -> Result<SourceInput, &'static str> {
    Ok(SourceInput {
        name: value(pairs, "name").to_owned(),
        is_enabled: value(pairs, "enabled") == "on",
        auto_create: value(pairs, "auto_create") == "on",
        settings: settings_from(kind, pairs)?,
        mappings: value(pairs, "mappings").to_owned(),
    })
}

/// The form again with what was typed (never secrets) and the error beside its field.
fn refused_form(
    ctx: &Ctx,
    kind: SourceKind,
    id: Option<i64>,
    pairs: &[(String, String)],
    status: StatusCode,
    errors: &FormErrors,
) -> Response {
    let mut values = serde_json::Map::new();
    for field in fields_of(kind) {
        values.insert(
            field.key.to_owned(),
            serde_json::Value::from(value(pairs, field.key)),
        );
    }
    let shown = Shown {
        name: value(pairs, "name").to_owned(),
        enabled: value(pairs, "enabled") == "on",
        auto_create: value(pairs, "auto_create") == "on",
        mappings: value(pairs, "mappings").to_owned(),
        values,
    };
    (status, form_page(ctx, kind, id, &shown, errors)).into_response()
}

/// Saves (creates when `id` is `None`) and answers.
async fn save(
    state: &AppState,
    ctx: &Ctx,
    kind: SourceKind,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> WebResult<Response> {
    let mut errors = FormErrors::default();
    let input = match input_from(kind, &pairs) {
        Ok(i) => i,
        Err(field) => {
            let field = fields_of(kind)
                .iter()
                .find(|f| f.key == field)
                .map_or("name", |f| f.key);
            errors.add(field, "auth_source.error.number");
            return Ok(refused_form(
                ctx,
                kind,
                id,
                &pairs,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
            ));
        }
    };
    let saved = match id {
        Some(id) => {
            state
                .forge
                .admin_update_source(ctx.actor(), id, input)
                .await
        }
        None => state.forge.admin_create_source(ctx.actor(), input).await,
    };
    match saved {
        Ok(_) => Ok(flash_redirect(
            ctx,
            FlashKind::Success,
            "auth_source.saved",
            "/admin/auths",
        )),
        Err(SourceError::Invalid { field, key, detail }) => {
            let field = field_name(kind, field);
            errors.add_with(field, key, vec![("detail", detail)]);
            Ok(refused_form(
                ctx,
                kind,
                id,
                &pairs,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
            ))
        }
        Err(SourceError::NameTaken) => {
            errors.add("name", "auth_source.error.name_taken");
            Ok(refused_form(
                ctx,
                kind,
                id,
                &pairs,
                StatusCode::CONFLICT,
                &errors,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The form field a service error names (its keys are the settings' keys).
fn field_name(kind: SourceKind, field: &str) -> &'static str {
    match field {
        "name" => "name",
        "mappings" => "mappings",
        other => fields_of(kind)
            .iter()
            .find(|f| f.key == other)
            .map_or("name", |f| f.key),
    }
}

/// `POST /admin/auths/new`.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    state.forge.admin_check(ctx.actor())?;
    let kind = creatable(Some(value(&pairs, "kind")))?;
    save(&state, &ctx, kind, None, pairs).await
}

fn parse_id(id: &str) -> WebResult<i64> {
    id.parse().map_err(|_| WebError::NotFound)
}

/// `GET /admin/auths/{id}`.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Markup> {
    let id = parse_id(&id)?;
    let d = state
        .forge
        .admin_source(ctx.actor(), &id.to_string())
        .await?;
    let shown = Shown {
        name: d.source.name.clone(),
        enabled: d.source.is_enabled,
        auto_create: d.source.auto_create,
        mappings: d.mappings_text(),
        values: settings_map(&d.settings),
    };
    Ok(form_page(
        &ctx,
        d.source.kind,
        Some(id),
        &shown,
        &FormErrors::default(),
    ))
}

/// `POST /admin/auths/{id}`.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let id = parse_id(&id)?;
    let d = state
        .forge
        .admin_source(ctx.actor(), &id.to_string())
        .await?;
    save(&state, &ctx, d.source.kind, Some(id), pairs).await
}

/// `POST /admin/auths/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = parse_id(&id)?;
    state.forge.admin_delete_source(ctx.actor(), id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "auth_source.deleted",
        "/admin/auths",
    ))
}

fn result_page(ctx: &Ctx, ok: bool, message: String) -> Markup {
    let body = html! {
        div.notice role="status" id="auth-source-result" data-ok=(ok) {
            (message)
        }
        p { a.btn href="/admin/auths" { (ctx.t("auth_source.back")) } }
    };
    frame(ctx, Tab::Auths, ctx.t("admin.tab.auths"), body)
}

/// `POST /admin/auths/{id}/test`.
pub async fn test(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = parse_id(&id)?;
    match state.forge.admin_test_source(ctx.actor(), id).await {
        Ok(found) => {
            let message = match found {
                SourceTest::Users(n) => ctx.tf("auth_source.test_ok", &[("n", &n.to_string())]),
                SourceTest::SigningKeys(n) => {
                    ctx.tf("auth_source.test_ok_oidc", &[("n", &n.to_string())])
                }
                SourceTest::Valid => ctx.t("auth_source.test_ok_settings").to_owned(),
            };
            Ok(result_page(&ctx, true, message).into_response())
        }
        Err(SourceError::Connection(e)) => Ok((
            StatusCode::BAD_GATEWAY,
            result_page(
                &ctx,
                false,
                ctx.tf("auth_source.test_failed", &[("error", &e)]),
            ),
        )
            .into_response()),
        Err(SourceError::Invalid { key, detail, .. }) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            result_page(&ctx, false, ctx.tf(key, &[("detail", &detail)])),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/auths/{id}/sync`.
pub async fn sync(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let id = parse_id(&id)?;
    match state.forge.admin_sync_source(ctx.actor(), id).await {
        Ok(r) => Ok(result_page(
            &ctx,
            true,
            ctx.tf(
                "auth_source.sync_done",
                &[
                    ("users", &r.users.to_string()),
                    ("added", &r.added.to_string()),
                    ("removed", &r.removed.to_string()),
                ],
            ),
        )
        .into_response()),
        Err(SourceError::Connection(e)) => Ok((
            StatusCode::BAD_GATEWAY,
            result_page(
                &ctx,
                false,
                ctx.tf("auth_source.test_failed", &[("error", &e)]),
            ),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

impl From<SourceError> for WebError {
    fn from(e: SourceError) -> WebError {
        match e {
            SourceError::NotFound => WebError::NotFound,
            SourceError::Service(e) => e.into(),
            SourceError::Invalid { key, .. } => WebError::BadRequest(key),
            other => WebError::Internal(other.to_string()),
        }
    }
}
