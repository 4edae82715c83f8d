//! Personal access tokens in the user's settings: create (the secret is shown once),
//! list, revoke.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, FormErrors, csrf_input};
use crate::state::AppState;
use crate::views::{button_form, date, page};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::{Action, Resource, authorize};
use hatchery_service::tokens::SCOPES;
use hatchery_store::{ConflictField, StoreError, User};
use maud::{Markup, html};

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

/// Catalog key describing a scope.
fn scope_label(scope: &str) -> &'static str {
    match scope {
        "read:repository" => "scope.read_repository",
        "write:repository" => "scope.write_repository",
        "read:issue" => "scope.read_issue",
        "write:issue" => "scope.write_issue",
        "read:organization" => "scope.read_organization",
        "write:organization" => "scope.write_organization",
        "read:user" => "scope.read_user",
        "write:user" => "scope.write_user",
        "read:admin" => "scope.read_admin",
        _ => "scope.write_admin",
    }
}

async fn tokens_page(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    name: &str,
    chosen: &[String],
    errors: &FormErrors,
    new_secret: Option<&str>,
) -> WebResult<Markup> {
    let tokens = state.store.tokens_of_user(user.id).await?;
    Ok(page(
        ctx,
        ctx.t("tokens.title"),
        html! {
            h1 { (ctx.t("settings.title")) }
            (super::settings::settings_tabs(ctx, super::settings::SettingsTab::Tokens))
            @if let Some(secret) = new_secret {
                div.card role="status" {
                    p { strong { (ctx.t("tokens.created")) } }
                    p.secret id="new-token" { (secret) }
                    p.muted { (ctx.t("tokens.copy_now")) }
                }
            }
            section.card {
                h2 style="margin-top:0" { (ctx.t("tokens.generate")) }
                p.muted { (ctx.t("tokens.explain")) }
                form.stack method="post" action="/user/settings/tokens" id="token-create-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("name", ctx.t("field.token_name"), name).required().render(ctx, errors))
                    fieldset {
                        legend { (ctx.t("field.scopes")) }
                        @for scope in SCOPES {
                            label {
                                input type="checkbox" name="scope" value=(scope) checked[chosen.iter().any(|c| c == scope)];
                                " " code { (scope) } " — " (ctx.t(scope_label(scope)))
                            }
                        }
                        @if let Some(e) = errors.message(ctx, "scope") { div.error role="alert" { (e) } }
                    }
                    div { button.btn.btn-primary type="submit" id="token-create-submit" { (ctx.t("tokens.generate")) } }
                }
            }
            h2 { (ctx.t("tokens.existing")) }
            @if tokens.is_empty() {
                div.empty { (ctx.t("tokens.none")) }
            } @else {
                ul.list id="token-list" {
                    @for t in &tokens {
                        li {
                            span {
                                strong { (t.name) } " " code.sha { "…" (t.token_last_eight) }
                                br;
                                span.muted { (t.scopes.join(", ")) }
                                br;
                                span.muted {
                                    (ctx.tf("tokens.created_on", &[("date", &date(t.created_at))]))
                                    " · "
                                    @match t.last_used_at {
                                        Some(at) => (ctx.tf("tokens.last_used", &[("date", &date(at))])),
                                        None => (ctx.t("tokens.never_used")),
                                    }
                                }
                            }
                            (button_form(ctx, &format!("/user/settings/tokens/{}/delete", t.id), ctx.t("tokens.revoke"), "btn-danger"))
                        }
                    }
                }
            }
        },
    ))
}

pub async fn show(State(state): State<AppState>, ctx: Ctx) -> WebResult<Markup> {
    let user = current(&ctx)?;
    tokens_page(&state, &ctx, &user, "", &[], &FormErrors::default(), None).await
}

/// The token form has repeated `scope` fields, which `serde_urlencoded` cannot collect into
/// a struct: read the pairs directly.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    let user = current(&ctx)?;
    let mut name = String::new();
    let mut scopes = vec![];
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "name" => name = v.trim().to_owned(),
            "scope" => scopes.push(v.into_owned()),
            _ => {}
        }
    }
    let mut errors = FormErrors::default();
    if name.is_empty() {
        errors.add("name", "error.field.required");
    } else if name.chars().count() > 100 {
        errors.add_with("name", "error.field.too_long", vec![("max", "100".into())]);
    }
    let scopes = hatchery_service::tokens::normalize_scopes(&scopes);
    if scopes.is_empty() {
        errors.add("scope", "error.token.no_scope");
    }
    if !errors.is_empty() {
        let page = tokens_page(&state, &ctx, &user, &name, &scopes, &errors, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    match state.forge.create_token(user.id, &name, &scopes).await {
        Ok(created) => {
            tracing::info!(user = %user.name, token = %created.token.name, "access token created");
            let page = tokens_page(
                &state,
                &ctx,
                &user,
                "",
                &[],
                &FormErrors::default(),
                Some(&created.secret),
            )
            .await?;
            let mut response = (StatusCode::CREATED, page).into_response();
            // The page carries a secret: keep it out of every cache.
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(response)
        }
        Err(StoreError::Conflict(ConflictField::Name)) => {
            errors.add("name", "error.token.taken");
            let page = tokens_page(&state, &ctx, &user, &name, &scopes, &errors, None).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let user = current(&ctx)?;
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state.store.delete_token(user.id, id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "flash.token_revoked",
        "/user/settings/tokens",
    ))
}
