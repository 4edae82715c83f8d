//! Signing in through an OpenID Connect provider, and linking providers to an account:
//! `/user/oauth2/{id}` sends the browser to the provider, `/user/oauth2/{id}/callback` takes
//! it back, `/user/settings/linked` lists the account's linked identities. The flow and
//! every check are `Forge::oidc_*`; this keeps the pending state in the session and turns
//! outcomes into pages.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::csrf_input;
use crate::pages::auth::{complete_sign_in, login_refused, safe_next};
use crate::pages::auth_sources::redirect_uri;
use crate::pages::settings::{SettingsTab, settings_tabs};
use crate::state::AppState;
use crate::views::page;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_service::oidc::{OidcCallback, OidcError, OidcOutcome, OidcPending, Unlink};
use hatchery_service::sources::ExternalSignIn;
use maud::html;
use serde::Deserialize;

/// Session key of a sign-in waiting for the provider's answer.
const SESSION_OIDC_PENDING: &str = "oidc_pending";

#[derive(Deserialize, Default)]
pub struct BeginQuery {
    next: Option<String>,
}

fn source_id(raw: &str) -> WebResult<i64> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// Sends the browser to the provider with a fresh state, nonce and PKCE challenge kept in
/// the session.
async fn begin(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    next: &str,
    link_user: Option<i64>,
) -> WebResult<Response> {
    let session = ctx
        .session
        .as_ref()
        .ok_or_else(|| WebError::internal("session layer missing"))?;
    let callback = redirect_uri(&ctx.public_url, id);
    match state.forge.oidc_begin(id, &callback, next, link_user).await {
        Ok((url, pending)) => {
            session
                .insert(SESSION_OIDC_PENDING, pending)
                .await
                .map_err(WebError::internal)?;
            session.save().await.map_err(WebError::internal)?;
            Ok(Redirect::to(&url).into_response())
        }
        Err(e) => refusal(state, ctx, e, next).await,
    }
}

/// `GET /user/oauth2/{id}`: "Sign in with ...".
pub async fn start(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<BeginQuery>,
) -> WebResult<Response> {
    let id = source_id(&id)?;
    let next = safe_next(q.next.as_deref());
    if ctx.user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    begin(&state, &ctx, id, &next, None).await
}

/// The status and message of a flow that did not complete.
fn refusal_of(e: OidcError) -> WebResult<(StatusCode, &'static str)> {
    match e {
        OidcError::NotFound => Err(WebError::NotFound),
        OidcError::Unavailable(_) => Ok((StatusCode::SERVICE_UNAVAILABLE, "oidc.unavailable")),
        OidcError::Refused(_) => Ok((StatusCode::BAD_REQUEST, "oidc.refused")),
        OidcError::Service(e) => Err(e.into()),
    }
}

/// The sign-in page with why the provider's answer was not taken.
async fn refusal(state: &AppState, ctx: &Ctx, e: OidcError, next: &str) -> WebResult<Response> {
    let (status, key) = refusal_of(e)?;
    login_refused(state, ctx, status, ctx.t(key).to_owned(), next).await
}

/// `GET /user/oauth2/{id}/callback`: the provider sends the browser back here.
pub async fn callback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(answer): Query<OidcCallback>,
) -> WebResult<Response> {
    let id = source_id(&id)?;
    let session = ctx
        .session
        .as_ref()
        .ok_or_else(|| WebError::internal("session layer missing"))?;
    // Taken out at once: a second callback with the same state finds nothing.
    let pending: Option<OidcPending> = session
        .remove(SESSION_OIDC_PENDING)
        .await
        .map_err(WebError::internal)?;
    let Some(pending) = pending.filter(|p| p.source_id == id) else {
        tracing::warn!(
            source = id,
            "OpenID Connect callback without a sign-in in progress"
        );
        return login_refused(
            &state,
            &ctx,
            StatusCode::BAD_REQUEST,
            ctx.t("oidc.no_pending").to_owned(),
            "/",
        )
        .await;
    };
    let next = safe_next(Some(&pending.next));
    if let Some(user_id) = pending.link_user
        && ctx.user.as_ref().map(|u| u.id) != Some(user_id)
    {
        // Signed out (or in as someone else) while at the provider: link nothing.
        return Ok(Redirect::to("/user/login").into_response());
    }
    let outcome = match state.forge.oidc_finish(&pending, &answer).await {
        Ok(o) => o,
        Err(e) if pending.link_user.is_some() => {
            let (_, key) = refusal_of(e)?;
            return Ok(flash_redirect(
                &ctx,
                FlashKind::Error,
                key,
                "/user/settings/linked",
            ));
        }
        Err(e) => return refusal(&state, &ctx, e, &next).await,
    };
    let to_settings = |kind, key| Ok(flash_redirect(&ctx, kind, key, "/user/settings/linked"));
    match outcome {
        OidcOutcome::SignIn(ExternalSignIn::Ok(user)) => {
            complete_sign_in(&state, &ctx, &user, &next, "openid connect").await
        }
        OidcOutcome::SignIn(ExternalSignIn::Disabled) => {
            let msg = ctx.t("admin.login_disabled").to_owned();
            login_refused(&state, &ctx, StatusCode::FORBIDDEN, msg, &next).await
        }
        OidcOutcome::SignIn(ExternalSignIn::NoAccount) => {
            let msg = ctx.t("oidc.no_account").to_owned();
            login_refused(&state, &ctx, StatusCode::FORBIDDEN, msg, &next).await
        }
        OidcOutcome::SignIn(ExternalSignIn::Taken) => {
            let msg = ctx.t("oidc.account_taken").to_owned();
            login_refused(&state, &ctx, StatusCode::CONFLICT, msg, &next).await
        }
        OidcOutcome::Linked => to_settings(FlashKind::Success, "oidc.linked"),
        OidcOutcome::AlreadyLinked => to_settings(FlashKind::Info, "oidc.already_linked"),
        OidcOutcome::LinkedElsewhere => to_settings(FlashKind::Error, "oidc.linked_elsewhere"),
    }
}

/// `GET /user/settings/linked`: the providers and directories the account is linked to,
/// and the providers it can link.
pub async fn linked(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let user = ctx.require_user()?.clone();
    let links = state.forge.linked_identities(user.id).await?;
    let providers = state.forge.oidc_sources().await?;
    let body = html! {
        h1 { (ctx.t("settings.title")) }
        (settings_tabs(&ctx, SettingsTab::Linked))
        section.card id="linked-identities" {
            h2 { (ctx.t("oidc.linked_title")) }
            p.muted { (ctx.t("oidc.linked_explain")) }
            @if links.is_empty() && providers.is_empty() {
                p.muted id="linked-none" { (ctx.t("oidc.no_providers")) }
            }
            @if !links.is_empty() || !providers.is_empty() {
                table.data {
                    tbody {
                        @for l in &links {
                            tr data-linked=(l.source_name) {
                                td { (l.source_name) }
                                td { span.badge { (ctx.t("oidc.is_linked")) } }
                                td {
                                    form method="post" action=(format!("/user/settings/linked/{}/unlink", l.source_id)) {
                                        (csrf_input(&ctx))
                                        button.btn.btn-small.btn-danger type="submit" { (ctx.t("oidc.unlink")) }
                                    }
                                }
                            }
                        }
                        @for p in providers.iter().filter(|p| !links.iter().any(|l| l.source_id == p.id)) {
                            tr data-provider=(p.name) {
                                td { (p.name) }
                                td.muted { (ctx.t("oidc.not_linked")) }
                                td {
                                    form method="post" action=(format!("/user/settings/linked/{}/link", p.id)) {
                                        (csrf_input(&ctx))
                                        button.btn.btn-small type="submit" { (ctx.t("oidc.link")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&ctx, ctx.t("oidc.linked_title"), body).into_response())
}

/// `POST /user/settings/linked/{id}/link`: signs in at the provider to link it.
pub async fn link(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let user_id = ctx.require_user()?.id;
    let id = source_id(&id)?;
    begin(&state, &ctx, id, "/user/settings/linked", Some(user_id)).await
}

/// `POST /user/settings/linked/{id}/unlink`.
pub async fn unlink(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let user_id = ctx.require_user()?.id;
    let id = source_id(&id)?;
    let (kind, key) = match state.forge.unlink_identity(user_id, id).await? {
        Unlink::Done => (FlashKind::Success, "oidc.unlinked"),
        Unlink::NotLinked => return Err(WebError::NotFound),
        Unlink::LastWayIn => (FlashKind::Error, "oidc.last_way_in"),
    };
    Ok(flash_redirect(&ctx, kind, key, "/user/settings/linked"))
}
