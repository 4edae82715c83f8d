//! Security keys and passkeys: the list on `/user/settings/two_factor` (add, delete) and the
//! key button of the second sign-in step. The browser's side (`navigator.credentials`) is in
//! web/static/app.js, which posts JSON here with the page's CSRF token in `X-CSRF-Token`;
//! each ceremony's state waits in the server-side session and is taken out by the request
//! that finishes it, so an answer is accepted once. The use cases are
//! `Forge::security_key_*`; this only translates.

use crate::ctx::{Ctx, FlashKind, flash_cookie, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::csrf_input;
use crate::pages::auth::{pending, safe_next, sign_in};
use crate::state::AppState;
use crate::views::{button_form, date};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hatchery_service::webauthn::{
    KeyAssertion, KeyRegistration, MAX_SECURITY_KEYS, NAME_MAX_CHARS, SecurityKeyError,
};
use hatchery_store::SecurityKey;
use maud::{Markup, html};
use tower_sessions::Session;

/// Session key of a registration waiting for the browser's answer.
const SESSION_REGISTRATION: &str = "webauthn_registration";
/// Session key of a second-step ceremony waiting for the browser's answer.
const SESSION_ASSERTION: &str = "webauthn_assertion";
/// Session key of recovery codes handed out with a first key, until the page shows them.
pub(crate) const SESSION_CODES: &str = "webauthn_recovery_codes";

/// The "Security keys and passkeys" part of the two-factor settings page.
/// `codes_left`: the recovery codes of an account whose keys are its only second factor.
pub(crate) fn keys_section(
    ctx: &Ctx,
    keys: &[SecurityKey],
    available: bool,
    codes_left: Option<i64>,
) -> Markup {
    html! {
        section.card id="security-keys" {
            h2 { (ctx.t("webauthn.title")) }
            p { (ctx.t("webauthn.explain")) }
            @if keys.is_empty() {
                div.empty id="security-key-none" { (ctx.t("webauthn.none")) }
            } @else {
                ul.list id="security-key-list" {
                    @for k in keys {
                        li data-key=(k.name) {
                            span {
                                strong { (k.name) }
                                br;
                                span.muted {
                                    (ctx.tf("webauthn.added_on", &[("date", &date(k.created_at))]))
                                    " · "
                                    @match k.last_used_at {
                                        Some(at) => (ctx.tf("webauthn.last_used", &[("date", &date(at))])),
                                        None => (ctx.t("webauthn.never_used")),
                                    }
                                }
                            }
                            (button_form(ctx, &format!("/user/settings/two_factor/keys/{}/delete", k.id), ctx.t("webauthn.delete"), "btn-danger"))
                        }
                    }
                }
            }
            @if let Some(n) = codes_left {
                p.muted id="security-key-recovery-left" { (ctx.tf("twofactor.codes_left", &[("n", &n.to_string())])) }
            }
            @if !available {
                p.notice id="security-key-unavailable" { (ctx.t("webauthn.unavailable")) }
            } @else if i64::try_from(keys.len()).unwrap_or(i64::MAX) >= MAX_SECURITY_KEYS {
                p.muted id="security-key-limit" { (ctx.tf("webauthn.limit", &[("n", &MAX_SECURITY_KEYS.to_string())])) }
            } @else {
                // Needs script and a browser with WebAuthn: app.js shows the form and hides
                // the note when both are there.
                p.muted data-webauthn-missing { (ctx.t("webauthn.needs_script")) }
                form.stack id="security-key-add" hidden
                    data-webauthn-register="/user/settings/two_factor/keys/start"
                    data-webauthn-finish="/user/settings/two_factor/keys/finish"
                    data-webauthn-failed=(ctx.t("webauthn.browser_refused")) {
                    (csrf_input(ctx))
                    div.field {
                        label for="security-key-name" { (ctx.t("webauthn.name")) }
                        input type="text" id="security-key-name" name="name" required maxlength=(NAME_MAX_CHARS) autocomplete="off";
                        div.hint { (ctx.t("webauthn.name_hint")) }
                    }
                    p.flash.flash-error role="alert" data-webauthn-error hidden {}
                    div { button.btn.btn-primary type="submit" { (ctx.t("webauthn.add")) } }
                }
            }
        }
    }
}

/// The key button of the second sign-in step.
pub(crate) fn sign_in_button(ctx: &Ctx) -> Markup {
    html! {
        div.stack id="security-key-sign-in" hidden
            data-webauthn-sign-in="/user/two_factor/key/start"
            data-webauthn-finish="/user/two_factor/key/finish"
            data-webauthn-failed=(ctx.t("webauthn.browser_refused")) {
            (csrf_input(ctx))
            p.flash.flash-error role="alert" data-webauthn-error hidden {}
            div { button.btn.btn-primary type="button" id="security-key-use" { (ctx.t("webauthn.use")) } }
        }
        p.muted data-webauthn-missing { (ctx.t("webauthn.needs_script")) }
    }
}

/// The message key and status of a refusal.
fn refusal(e: SecurityKeyError) -> WebResult<(StatusCode, &'static str)> {
    use SecurityKeyError as E;
    Ok(match e {
        E::Unavailable => (StatusCode::CONFLICT, "webauthn.unavailable"),
        E::NameRequired => (StatusCode::UNPROCESSABLE_ENTITY, "webauthn.name_required"),
        E::NameTooLong => (StatusCode::UNPROCESSABLE_ENTITY, "webauthn.name_too_long"),
        E::NameTaken => (StatusCode::CONFLICT, "webauthn.name_taken"),
        E::TooMany => (StatusCode::CONFLICT, "webauthn.too_many"),
        E::AlreadyRegistered => (StatusCode::CONFLICT, "webauthn.already_registered"),
        E::Refused => (StatusCode::UNAUTHORIZED, "webauthn.refused"),
        E::Expired => (StatusCode::BAD_REQUEST, "webauthn.expired"),
        E::NotFound => return Err(WebError::NotFound),
        E::NoKeys => (StatusCode::CONFLICT, "webauthn.no_keys"),
        E::LastFactor => (StatusCode::CONFLICT, "twofactor.last_factor"),
        E::Throttled => (StatusCode::TOO_MANY_REQUESTS, "twofactor.throttled"),
        E::Service(e) => return Err(e.into()),
    })
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn refused(ctx: &Ctx, e: SecurityKeyError) -> WebResult<Response> {
    let (status, key) = refusal(e)?;
    Ok(json(status, &serde_json::json!({ "error": ctx.t(key) })))
}

/// `{"redirect": to}` with a flash message for the page it leads to.
fn done(ctx: &Ctx, key: &'static str, to: &str) -> Response {
    let mut response = json(StatusCode::OK, &serde_json::json!({ "redirect": to }));
    response.headers_mut().append(
        header::SET_COOKIE,
        flash_cookie(ctx, FlashKind::Success, key),
    );
    response
}

fn session(ctx: &Ctx) -> WebResult<&Session> {
    ctx.session
        .as_ref()
        .ok_or_else(|| WebError::internal("session layer missing"))
}

/// Takes a ceremony's state out of the session (it is good for one answer).
async fn take<T: serde::de::DeserializeOwned>(s: &Session, key: &str) -> WebResult<Option<T>> {
    let value = s.remove::<T>(key).await.map_err(WebError::internal)?;
    s.save().await.map_err(WebError::internal)?;
    Ok(value)
}

#[derive(serde::Deserialize)]
struct NameBody {
    #[serde(default)]
    name: String,
}

/// `POST /user/settings/two_factor/keys/start` with `{"name": ...}`: the options for
/// `navigator.credentials.create`.
pub async fn register_start(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> WebResult<Response> {
    let user = ctx.require_user()?.clone();
    let Ok(body) = serde_json::from_slice::<NameBody>(&body) else {
        return Err(WebError::BadRequest("webauthn.bad_request"));
    };
    match state
        .forge
        .security_key_register_begin(&state.cfg.public_url, &user, &body.name)
        .await
    {
        Ok((options, reg)) => {
            let s = session(&ctx)?;
            s.insert(SESSION_REGISTRATION, reg)
                .await
                .map_err(WebError::internal)?;
            s.save().await.map_err(WebError::internal)?;
            Ok(json(StatusCode::OK, &options))
        }
        Err(e) => refused(&ctx, e),
    }
}

/// `POST /user/settings/two_factor/keys/finish` with the new `PublicKeyCredential`.
pub async fn register_finish(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> WebResult<Response> {
    let user = ctx.require_user()?.clone();
    let Some(reg) = take::<KeyRegistration>(session(&ctx)?, SESSION_REGISTRATION).await? else {
        return refused(&ctx, SecurityKeyError::Expired);
    };
    let response = String::from_utf8_lossy(&body);
    match state
        .forge
        .security_key_register_finish(&state.cfg.public_url, &user, reg, &response)
        .await
    {
        Ok((_, codes)) => {
            if let Some(codes) = codes {
                let s = session(&ctx)?;
                s.insert(SESSION_CODES, codes)
                    .await
                    .map_err(WebError::internal)?;
                s.save().await.map_err(WebError::internal)?;
            }
            Ok(done(&ctx, "webauthn.added", "/user/settings/two_factor"))
        }
        Err(e) => refused(&ctx, e),
    }
}

/// `POST /user/settings/two_factor/keys/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let user = ctx.require_user()?.clone();
    match state.forge.security_key_remove(&user, id).await {
        Ok(()) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "webauthn.deleted",
            "/user/settings/two_factor",
        )),
        Err(e) => {
            let (_, key) = refusal(e)?;
            Ok(flash_redirect(
                &ctx,
                FlashKind::Error,
                key,
                "/user/settings/two_factor",
            ))
        }
    }
}

/// `POST /user/two_factor/key/start`: the options for `navigator.credentials.get`, for
/// the account whose sign-in awaits its second factor.
pub async fn sign_in_start(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let Some(p) = pending(&ctx).await? else {
        return refused(&ctx, SecurityKeyError::Expired);
    };
    let Some(user) = state.store.user_by_id(p.user_id).await? else {
        return refused(&ctx, SecurityKeyError::Expired);
    };
    match state
        .forge
        .security_key_sign_in_begin(&state.cfg.public_url, &user)
        .await
    {
        Ok((options, assertion)) => {
            let s = session(&ctx)?;
            s.insert(SESSION_ASSERTION, assertion)
                .await
                .map_err(WebError::internal)?;
            s.save().await.map_err(WebError::internal)?;
            Ok(json(StatusCode::OK, &options))
        }
        Err(e) => refused(&ctx, e),
    }
}

/// `POST /user/two_factor/key/finish` with the `PublicKeyCredential`: completes the sign-in.
pub async fn sign_in_finish(
    State(state): State<AppState>,
    ctx: Ctx,
    body: Bytes,
) -> WebResult<Response> {
    let s = session(&ctx)?;
    let assertion = take::<KeyAssertion>(s, SESSION_ASSERTION).await?;
    let (Some(p), Some(assertion)) = (pending(&ctx).await?, assertion) else {
        return refused(&ctx, SecurityKeyError::Expired);
    };
    let Some(user) = state.store.user_by_id(p.user_id).await? else {
        return refused(&ctx, SecurityKeyError::Expired);
    };
    let response = String::from_utf8_lossy(&body);
    match state
        .forge
        .security_key_sign_in_finish(&state.cfg.public_url, &user, assertion, &response)
        .await
    {
        Ok(()) => {
            sign_in(&ctx, user.id).await?;
            tracing::info!(user = %user.name, "signed in with a security key");
            Ok(done(&ctx, "flash.signed_in", &safe_next(Some(&p.next))))
        }
        Err(e) => refused(&ctx, e),
    }
}
