//! `/user/settings/two_factor`: turning TOTP two-factor authentication on (scan the QR
//! code, confirm with a code, keep the recovery codes shown once) and off, and new
//! recovery codes. The use cases are `Forge::two_factor_*`; this only translates.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::WebResult;
use crate::form::{Field, Form, FormErrors, csrf_input};
use crate::pages::auth::{CodeForm, twofactor_refusal};
use crate::pages::settings::{SettingsTab, settings_tabs};
use crate::pages::webauthn::{SESSION_CODES, keys_section};
use crate::state::AppState;
use crate::views::page;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use hatchery_service::twofactor::{Enrolment, TwoFactorError};
use hatchery_service::webauthn::relying_party;
use hatchery_store::User;
use maud::{Markup, PreEscaped, html};

enum View {
    Off,
    Enrolling(Enrolment),
    On {
        codes_left: i64,
    },
    /// Just confirmed or renewed: the codes, shown this once.
    Codes(Vec<String>),
}

fn code_field(ctx: &Ctx, errors: &FormErrors) -> Markup {
    Field::new("code", ctx.t("twofactor.code"), "")
        .required()
        .autocomplete("one-time-code")
        .render(ctx, errors)
}

/// The page; `keys` is the security key section (left out while recovery codes are shown).
fn two_factor_page(
    ctx: &Ctx,
    view: &View,
    error: Option<&'static str>,
    keys: Option<Markup>,
) -> Markup {
    let mut errors = FormErrors::default();
    if let Some(key) = error {
        errors.add("code", key);
    }
    page(
        ctx,
        ctx.t("twofactor.title"),
        html! {
            h1 { (ctx.t("settings.title")) }
            (settings_tabs(ctx, SettingsTab::TwoFactor))
            section.card id="two-factor" {
                h2 { (ctx.t("twofactor.title")) }
                @if ctx.user.is_some() && ctx.two_factor_missing {
                    div.notice role="alert" id="two-factor-required" { (ctx.t("twofactor.required_notice")) }
                }
                @match view {
                    View::Off => {
                        p { (ctx.t("twofactor.off_explain")) }
                        form method="post" action="/user/settings/two_factor/enrol" id="two-factor-enrol" {
                            (csrf_input(ctx))
                            button.btn.btn-primary type="submit" { (ctx.t("twofactor.turn_on")) }
                        }
                    }
                    View::Enrolling(e) => {
                        p { (ctx.t("twofactor.scan")) }
                        // An SVG the server drew from the otpauth URL: no script, no request.
                        div.qr-code id="two-factor-qr" { (PreEscaped(&e.qr_svg)) }
                        p { (ctx.t("twofactor.secret_text")) " " code id="two-factor-secret" { (e.secret) } }
                        form.stack method="post" action="/user/settings/two_factor/confirm" id="two-factor-confirm" novalidate {
                            (csrf_input(ctx))
                            (code_field(ctx, &errors))
                            div { button.btn.btn-primary type="submit" { (ctx.t("twofactor.confirm")) } }
                        }
                    }
                    View::On { codes_left } => {
                        p id="two-factor-on" { (ctx.t("twofactor.on_explain")) }
                        p.muted id="recovery-left" { (ctx.tf("twofactor.codes_left", &[("n", &codes_left.to_string())])) }
                        form.stack method="post" action="/user/settings/two_factor/recovery_codes" id="two-factor-new-codes" novalidate {
                            (csrf_input(ctx))
                            (code_field(ctx, &errors))
                            div.admin-actions {
                                button.btn type="submit" { (ctx.t("twofactor.new_codes")) }
                                button.btn.btn-danger type="submit" formaction="/user/settings/two_factor/disable" id="two-factor-disable" { (ctx.t("twofactor.turn_off")) }
                            }
                        }
                    }
                    View::Codes(codes) => {
                        div.notice role="status" { (ctx.t("twofactor.codes_once")) }
                        ul.recovery-codes id="recovery-codes" {
                            @for c in codes { li { code { (c) } } }
                        }
                        a.btn href="/user/settings/two_factor" { (ctx.t("twofactor.codes_saved")) }
                    }
                }
            }
            @if let Some(keys) = keys { (keys) }
        },
    )
}

async fn current_view(state: &AppState, user: &User) -> WebResult<View> {
    if state.forge.totp_on(user.id).await? {
        return Ok(View::On {
            codes_left: state.forge.recovery_codes_left(user.id).await?,
        });
    }
    Ok(match state.forge.enrolment(user).await? {
        Some(e) => View::Enrolling(e),
        None => View::Off,
    })
}

/// The security key section for `user`.
async fn keys(state: &AppState, ctx: &Ctx, user: &User) -> WebResult<Option<Markup>> {
    let keys = state.forge.security_keys(user.id).await?;
    let available = relying_party(&state.cfg.public_url).is_ok();
    let codes_left = if keys.is_empty() || state.forge.totp_on(user.id).await? {
        None
    } else {
        Some(state.forge.recovery_codes_left(user.id).await?)
    };
    Ok(Some(keys_section(ctx, &keys, available, codes_left)))
}

/// `GET /user/settings/two_factor`.
pub async fn show(State(state): State<AppState>, ctx: Ctx) -> WebResult<Markup> {
    let user = ctx.require_user()?.clone();
    // Recovery codes handed out with a first security key: shown this once.
    if let Some(s) = &ctx.session {
        let codes: Option<Vec<String>> = s
            .remove(SESSION_CODES)
            .await
            .map_err(crate::error::WebError::internal)?;
        if let Some(codes) = codes {
            s.save().await.map_err(crate::error::WebError::internal)?;
            return Ok(two_factor_page(&ctx, &View::Codes(codes), None, None));
        }
    }
    let view = current_view(&state, &user).await?;
    let keys = keys(&state, &ctx, &user).await?;
    Ok(two_factor_page(&ctx, &view, None, keys))
}

/// `POST /user/settings/two_factor/enrol`: a new secret to scan.
pub async fn enrol(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let user = ctx.require_user()?.clone();
    match state.forge.two_factor_begin(&user).await {
        Ok(_) | Err(TwoFactorError::WrongState) => {
            Ok(axum::response::Redirect::to("/user/settings/two_factor").into_response())
        }
        Err(e) => {
            let (_, key) = twofactor_refusal(e)?;
            Ok(flash_redirect(
                &ctx,
                FlashKind::Error,
                key,
                "/user/settings/two_factor",
            ))
        }
    }
}

/// Answers a refused code on the page, with the code field's message.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    e: TwoFactorError,
) -> WebResult<Response> {
    let (status, key) = twofactor_refusal(e)?;
    let view = current_view(state, user).await?;
    let keys = keys(state, ctx, user).await?;
    Ok((status, two_factor_page(ctx, &view, Some(key), keys)).into_response())
}

/// `POST /user/settings/two_factor/confirm`: the first code turns it on.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CodeForm>,
) -> WebResult<Response> {
    let user = ctx.require_user()?.clone();
    match state.forge.two_factor_confirm(&user, form.code()).await {
        Ok(codes) => Ok(two_factor_page(&ctx, &View::Codes(codes), None, None).into_response()),
        Err(e) => refused(&state, &ctx, &user, e).await,
    }
}

/// `POST /user/settings/two_factor/recovery_codes`.
pub async fn new_codes(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CodeForm>,
) -> WebResult<Response> {
    let user = ctx.require_user()?.clone();
    match state.forge.two_factor_new_codes(&user, form.code()).await {
        Ok(codes) => Ok(two_factor_page(&ctx, &View::Codes(codes), None, None).into_response()),
        Err(e) => refused(&state, &ctx, &user, e).await,
    }
}

/// `POST /user/settings/two_factor/disable`.
pub async fn disable(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CodeForm>,
) -> WebResult<Response> {
    let user = ctx.require_user()?.clone();
    match state.forge.two_factor_disable(&user, form.code()).await {
        Ok(()) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "twofactor.turned_off",
            "/user/settings/two_factor",
        )),
        Err(e) => refused(&state, &ctx, &user, e).await,
    }
}
