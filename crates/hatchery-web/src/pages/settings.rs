//! The signed-in user's settings: profile (display name, email, language) and password.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views::{page, tabs};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::validate::{self, DISPLAY_NAME_MAX};
use hatchery_core::{Action, Resource, authorize};
use hatchery_store::{ConflictField, StoreError, User};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
}

#[derive(Deserialize, Default)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

fn settings_page(
    ctx: &Ctx,
    profile: &ProfileForm,
    profile_errors: &FormErrors,
    password_errors: &FormErrors,
) -> Markup {
    let languages: Vec<(&str, &str)> = std::iter::once(("", ctx.t("settings.language_auto")))
        .chain(Lang::ALL.iter().map(|l| (l.tag(), l.native_name())))
        .collect();
    page(
        ctx,
        ctx.t("settings.title"),
        html! {
            h1 { (ctx.t("settings.title")) }
            (settings_tabs(ctx, SettingsTab::Profile))
            section.card {
                h2 { (ctx.t("settings.profile")) }
                form.stack method="post" action="/user/settings" id="profile-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("display_name", ctx.t("field.display_name"), &profile.display_name).autocomplete("name").render(ctx, profile_errors))
                    (Field::new("email", ctx.t("field.email"), &profile.email).input(Input::Email).required().autocomplete("email").render(ctx, profile_errors))
                    (Field::new("language", ctx.t("field.language"), &profile.language).input(Input::Select(&languages)).render(ctx, profile_errors))
                    div { button.btn.btn-primary type="submit" id="profile-submit" { (ctx.t("action.save")) } }
                }
            }
            section.card {
                h2 { (ctx.t("settings.password")) }
                form.stack method="post" action="/user/settings/password" id="password-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("current_password", ctx.t("field.current_password"), "").input(Input::Password).required().autocomplete("current-password").render(ctx, password_errors))
                    (Field::new("new_password", ctx.t("field.new_password"), "").input(Input::Password).required().autocomplete("new-password").hint(ctx.t("hint.password")).render(ctx, password_errors))
                    (Field::new("new_password_confirm", ctx.t("field.password_confirm"), "").input(Input::Password).required().autocomplete("new-password").render(ctx, password_errors))
                    div { button.btn.btn-primary type="submit" id="password-submit" { (ctx.t("settings.change_password")) } }
                }
            }
            section.card {
                h2 { (ctx.t("hardening.sessions.title")) }
                p.muted { (ctx.t("hardening.sessions.explain")) }
                form method="post" action="/user/settings/sessions/sign_out_all" id="sign-out-everywhere-form" {
                    (csrf_input(ctx))
                    button.btn.btn-danger type="submit" id="sign-out-everywhere" { (ctx.t("hardening.sessions.sign_out_everywhere")) }
                }
            }
        },
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SettingsTab {
    Profile,
    Tokens,
    Keys,
    TwoFactor,
    Linked,
}

pub fn settings_tabs(ctx: &Ctx, active: SettingsTab) -> Markup {
    tabs(&[
        (
            ctx.t("settings.profile"),
            "/user/settings".into(),
            active == SettingsTab::Profile,
        ),
        (
            ctx.t("tokens.title"),
            "/user/settings/tokens".into(),
            active == SettingsTab::Tokens,
        ),
        (
            ctx.t("gpgkeys.tab"),
            "/user/settings/keys".into(),
            active == SettingsTab::Keys,
        ),
        (
            ctx.t("twofactor.title"),
            "/user/settings/two_factor".into(),
            active == SettingsTab::TwoFactor,
        ),
        (
            ctx.t("oidc.linked_title"),
            "/user/settings/linked".into(),
            active == SettingsTab::Linked,
        ),
    ])
}

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

fn profile_of(user: &User) -> ProfileForm {
    ProfileForm {
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        language: user.language.clone().unwrap_or_default(),
    }
}

pub async fn show(ctx: Ctx) -> WebResult<Markup> {
    let user = current(&ctx)?;
    Ok(settings_page(
        &ctx,
        &profile_of(&user),
        &FormErrors::default(),
        &FormErrors::default(),
    ))
}

pub async fn save_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<ProfileForm>,
) -> WebResult<Response> {
    let user = current(&ctx)?;
    let mut errors = FormErrors::default();
    let display_name = validate::text(&form.display_name, DISPLAY_NAME_MAX)
        .inspect_err(|e| errors.field("display_name", e));
    let email = validate::email(&form.email).inspect_err(|e| errors.field("email", e));
    let language = if form.language.trim().is_empty() {
        Ok(None)
    } else {
        validate::language(&form.language)
            .map(Some)
            .inspect_err(|e| errors.field("language", e))
    };
    let (Ok(display_name), Ok(email), Ok(language)) = (display_name, email, language) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            settings_page(&ctx, &form, &errors, &FormErrors::default()),
        )
            .into_response());
    };
    match state
        .store
        .update_user_profile(user.id, &display_name, &email, language)
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "flash.settings_saved",
            "/user/settings",
        )),
        Err(StoreError::Conflict(ConflictField::Email)) => {
            errors.add("email", "error.email.taken");
            Ok((
                StatusCode::CONFLICT,
                settings_page(&ctx, &form, &errors, &FormErrors::default()),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<PasswordForm>,
) -> WebResult<Response> {
    let user = current(&ctx)?;
    let mut errors = FormErrors::default();
    if let Err(e) = validate::password(&form.new_password) {
        errors.field("new_password", &e);
    } else if form.new_password != form.new_password_confirm {
        errors.add("new_password_confirm", "error.password.mismatch");
    }
    let creds = state.store.credentials_by_login(&user.name).await?;
    let current_ok = state
        .forge
        .passwords
        .verify(
            form.current_password.clone(),
            creds.map(|c| c.password_hash),
        )
        .await?;
    if !current_ok {
        errors.add("current_password", "error.password.wrong");
    }
    if !errors.is_empty() {
        let status = if current_ok {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::UNAUTHORIZED
        };
        return Ok((
            status,
            settings_page(&ctx, &profile_of(&user), &FormErrors::default(), &errors),
        )
            .into_response());
    }
    // This session goes on under a new id (stored at once, so that it is kept and the
    // response carries a CSRF token for it); every other session of the account ends.
    let keep = match &ctx.session {
        Some(s) => {
            s.cycle_id().await.map_err(WebError::internal)?;
            s.save().await.map_err(WebError::internal)?;
            s.id().map(|id| id.to_string())
        }
        None => None,
    };
    state
        .forge
        .change_password(user.id, &form.new_password, keep.as_deref())
        .await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "hardening.sessions.password_changed",
        "/user/settings",
    ))
}

/// "Sign out everywhere": ends every session of the account, this one included.
pub async fn sign_out_everywhere(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let user = current(&ctx)?;
    state.forge.end_all_sessions(user.id).await?;
    if let Some(s) = &ctx.session {
        // Its row is gone already; this forgets it in this response too.
        s.flush().await.map_err(WebError::internal)?;
    }
    Ok(flash_redirect(
        &ctx,
        FlashKind::Info,
        "hardening.sessions.signed_out_everywhere",
        "/",
    ))
}
