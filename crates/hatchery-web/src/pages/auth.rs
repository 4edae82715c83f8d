//! Sign up, sign in, sign out.

use crate::ctx::{Ctx, FlashKind, SESSION_USER, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::state::AppState;
use crate::views::page;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::signin::SourceKind;
use hatchery_core::validate;
use hatchery_core::{Name, NameKind};
use hatchery_service::signin::SignIn;
use hatchery_store::{ConflictField, NewUser, StoreError};
use maud::html;
use serde::Deserialize;
use tower_sessions::Session;

/// The sign-in page, returning to `next` afterwards.
pub fn login_url(next: &str) -> String {
    if next == "/" || next.is_empty() || next.starts_with("/user/login") {
        "/user/login".to_owned()
    } else {
        let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        format!("/user/login?next={encoded}")
    }
}

/// Only paths on this site, judged as a browser's URL parser (WHATWG) reads them: it drops
/// tabs and line breaks anywhere and takes `\` for `/`, so `/\t/evil.example` and
/// `/\\evil.example` both mean `//evil.example`, another site. Anything holding other control
/// characters is not a path we ever link to: the default. The result is what the browser
/// would see, with non-ASCII percent-encoded, so it always makes a valid `Location`.
pub fn safe_next(next: Option<&str>) -> String {
    let default = || "/".to_owned();
    let Some(next) = next else {
        return default();
    };
    let seen: String = next
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    if seen.chars().any(char::is_control) {
        return default();
    }
    let mut chars = seen.chars();
    if chars.next() != Some('/') || chars.next() == Some('/') {
        return default();
    }
    let mut out = String::with_capacity(seen.len());
    for c in seen.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn session(ctx: &Ctx) -> WebResult<&Session> {
    ctx.session
        .as_ref()
        .ok_or_else(|| WebError::internal("session layer missing"))
}

/// Starts a signed-in session under a new id (no fixation), stored at once so that the
/// response can carry a CSRF token bound to the new id.
pub(crate) async fn sign_in(ctx: &Ctx, user_id: i64) -> WebResult<()> {
    start_session(session(ctx)?, user_id).await
}

pub(crate) async fn start_session(s: &Session, user_id: i64) -> WebResult<()> {
    s.cycle_id().await.map_err(WebError::internal)?;
    let _ = s.remove::<PendingTwoFactor>(SESSION_2FA_PENDING).await;
    s.insert(SESSION_USER, user_id)
        .await
        .map_err(WebError::internal)?;
    s.save().await.map_err(WebError::internal)?;
    Ok(())
}

/// Session key of a sign-in whose password was right and whose second factor is awaited.
pub(crate) const SESSION_2FA_PENDING: &str = "2fa_pending";
/// How long the second step may take.
const PENDING_2FA_MS: i64 = 5 * 60_000;

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug)]
pub(crate) struct PendingTwoFactor {
    pub(crate) user_id: i64,
    since_ms: i64,
    pub(crate) next: String,
}

// ---- sign up ----

#[derive(Deserialize, Default)]
pub struct SignUpForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

fn sign_up_page(ctx: &Ctx, form: &SignUpForm, errors: &FormErrors) -> maud::Markup {
    page(
        ctx,
        ctx.t("signup.title"),
        html! {
            h1 { (ctx.t("signup.title")) }
            form.stack method="post" action="/user/sign_up" id="signup-form" novalidate {
                (csrf_input(ctx))
                (Field::new("username", ctx.t("field.username"), &form.username).required().autocomplete("username").hint(ctx.t("hint.username")).render(ctx, errors))
                (Field::new("email", ctx.t("field.email"), &form.email).input(Input::Email).required().autocomplete("email").render(ctx, errors))
                (Field::new("password", ctx.t("field.password"), "").input(Input::Password).required().autocomplete("new-password").hint(ctx.t("hint.password")).render(ctx, errors))
                (Field::new("password_confirm", ctx.t("field.password_confirm"), "").input(Input::Password).required().autocomplete("new-password").render(ctx, errors))
                div { button.btn.btn-primary type="submit" id="signup-submit" { (ctx.t("signup.submit")) } }
                p.muted { (ctx.t("signup.have_account")) " " a href="/user/login" { (ctx.t("nav.sign_in")) } }
            }
        },
    )
}

pub async fn sign_up_form(ctx: Ctx) -> WebResult<Response> {
    if !ctx.allow_signup {
        return Err(WebError::BadRequest("error.signup_disabled"));
    }
    if ctx.user.is_some() {
        return Ok(axum::response::Redirect::to("/").into_response());
    }
    Ok(sign_up_page(&ctx, &SignUpForm::default(), &FormErrors::default()).into_response())
}

pub async fn sign_up(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<SignUpForm>,
) -> WebResult<Response> {
    if !ctx.allow_signup {
        return Err(WebError::BadRequest("error.signup_disabled"));
    }
    let mut errors = FormErrors::default();
    let name = Name::parse(NameKind::Account, &form.username);
    if let Err(e) = &name {
        errors.name("username", e);
    }
    let email = validate::email(&form.email);
    if let Err(e) = &email {
        errors.field("email", e);
    }
    if let Err(e) = validate::password(&form.password) {
        errors.field("password", &e);
    } else if form.password != form.password_confirm {
        errors.add("password_confirm", "error.password.mismatch");
    }
    let (Ok(name), Ok(email), true) = (name, email, errors.is_empty()) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            sign_up_page(&ctx, &form, &errors),
        )
            .into_response());
    };
    let hash = state.forge.passwords.hash(form.password.clone()).await?;
    let created = state
        .store
        .create_user(NewUser {
            display_name: String::new(),
            name,
            email,
            password_hash: hash,
            is_admin: false,
        })
        .await;
    match created {
        Ok(user) => {
            sign_in(&ctx, user.id).await?;
            tracing::info!(user = %user.name, admin = user.is_admin, "account created");
            let key = if user.is_admin {
                "flash.welcome_admin"
            } else {
                "flash.welcome"
            };
            Ok(flash_redirect(&ctx, FlashKind::Success, key, "/"))
        }
        Err(StoreError::Conflict(field)) => {
            match field {
                ConflictField::Name => errors.add("username", "error.name.taken"),
                ConflictField::Email | ConflictField::Key => {
                    errors.add("email", "error.email.taken")
                }
            }
            Ok((StatusCode::CONFLICT, sign_up_page(&ctx, &form, &errors)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- sign in ----

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Other ways in the sign-in page offers: the LDAP directories whose accounts the form
/// takes, and a button per OpenID Connect provider.
#[derive(Default)]
pub(crate) struct OtherWays {
    directories: Vec<String>,
    providers: Vec<(i64, String)>,
}

fn login_page(
    ctx: &Ctx,
    form: &LoginForm,
    errors: &FormErrors,
    general: Option<String>,
    ways: &OtherWays,
) -> maud::Markup {
    let next_query = if form.next.is_empty() || form.next == "/" {
        String::new()
    } else {
        let encoded: String = form_urlencoded::byte_serialize(form.next.as_bytes()).collect();
        format!("?next={encoded}")
    };
    page(
        ctx,
        ctx.t("login.title"),
        html! {
            h1 { (ctx.t("login.title")) }
            @if let Some(msg) = general { div.flash.flash-error role="alert" id="login-error" { (msg) } }
            @if !ways.providers.is_empty() {
                div.stack id="login-providers" {
                    @for (id, name) in &ways.providers {
                        a.btn data-provider=(name) href=(format!("/user/oauth2/{id}{next_query}")) {
                            (ctx.tf("oidc.sign_in_with", &[("name", name)]))
                        }
                    }
                }
                p.muted { (ctx.t("oidc.or_password")) }
            }
            @if !ways.directories.is_empty() {
                p.muted id="login-directories" { (ctx.tf("login.directories", &[("names", &ways.directories.join(", "))])) }
            }
            form.stack method="post" action="/user/login" id="login-form" novalidate {
                (csrf_input(ctx))
                input type="hidden" name="next" value=(form.next);
                (Field::new("login", ctx.t("field.login"), &form.login).required().autocomplete("username").render(ctx, errors))
                (Field::new("password", ctx.t("field.password"), "").input(Input::Password).required().autocomplete("current-password").render(ctx, errors))
                div { button.btn.btn-primary type="submit" id="login-submit" { (ctx.t("login.submit")) } }
                @if ctx.allow_signup {
                    p.muted { (ctx.t("login.no_account")) " " a href="/user/sign_up" { (ctx.t("nav.sign_up")) } }
                }
            }
        },
    )
}

/// The enabled LDAP and OpenID Connect sources, for the sign-in page (one query: the page
/// is shown to every visitor).
pub(crate) async fn other_ways(state: &AppState) -> WebResult<OtherWays> {
    let mut ways = OtherWays::default();
    for s in state.store.auth_sources().await? {
        match s.kind {
            _ if !s.is_enabled => {}
            SourceKind::Ldap => ways.directories.push(s.name),
            SourceKind::Oidc => ways.providers.push((s.id, s.name)),
            SourceKind::Header => {}
        }
    }
    Ok(ways)
}

/// The sign-in page again, with `message` above the form.
pub(crate) async fn login_refused(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    message: String,
    next: &str,
) -> WebResult<Response> {
    let form = LoginForm {
        next: safe_next(Some(next)),
        ..LoginForm::default()
    };
    let ways = other_ways(state).await?;
    Ok((
        status,
        login_page(ctx, &form, &FormErrors::default(), Some(message), &ways),
    )
        .into_response())
}

/// Signs `user` in once the first factor is proven (a password, a directory, a provider):
/// straight in, or on to the second factor when the account has one.
pub(crate) async fn complete_sign_in(
    state: &AppState,
    ctx: &Ctx,
    user: &hatchery_store::User,
    next: &str,
    how: &'static str,
) -> WebResult<Response> {
    if state.forge.two_factor_on(user.id).await? {
        // The first factor was right; the session is signed in only after the code.
        let s = session(ctx)?;
        s.cycle_id().await.map_err(WebError::internal)?;
        s.insert(
            SESSION_2FA_PENDING,
            PendingTwoFactor {
                user_id: user.id,
                since_ms: hatchery_store::now_ms(),
                next: next.to_owned(),
            },
        )
        .await
        .map_err(WebError::internal)?;
        s.save().await.map_err(WebError::internal)?;
        return Ok(axum::response::Redirect::to("/user/two_factor").into_response());
    }
    sign_in(ctx, user.id).await?;
    tracing::info!(user = %user.name, how, "signed in");
    Ok(flash_redirect(
        ctx,
        FlashKind::Success,
        "flash.signed_in",
        next,
    ))
}

pub async fn login_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> WebResult<Response> {
    if ctx.user.is_some() {
        return Ok(axum::response::Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let form = LoginForm {
        next: safe_next(q.next.as_deref()),
        ..LoginForm::default()
    };
    let ways = other_ways(&state).await?;
    Ok(login_page(&ctx, &form, &FormErrors::default(), None, &ways).into_response())
}

/// Client address for throttling; absent when the request did not come over TCP (tests).
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    client: Option<axum::Extension<ClientAddr>>,
    Form(mut form): Form<LoginForm>,
) -> WebResult<Response> {
    form.next = safe_next(Some(&form.next));
    let mut errors = FormErrors::default();
    if form.login.trim().is_empty() {
        errors.add("login", "error.field.required");
    }
    if form.password.is_empty() {
        errors.add("password", "error.field.required");
    }
    let ways = other_ways(&state).await?;
    if !errors.is_empty() {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            login_page(&ctx, &form, &errors, None, &ways),
        )
            .into_response());
    }
    let addr = client.as_ref().map(|c| c.0.0.as_str());
    let refuse = |status: StatusCode, msg: String| {
        Ok((status, login_page(&ctx, &form, &errors, Some(msg), &ways)).into_response())
    };
    match state
        .forge
        .sign_in(&form.login, &form.password, addr)
        .await?
    {
        SignIn::Ok(user) => complete_sign_in(&state, &ctx, &user, &form.next, "password").await,
        SignIn::Invalid | SignIn::TokenRequired => refuse(
            StatusCode::UNAUTHORIZED,
            ctx.t("error.login.invalid").to_owned(),
        ),
        SignIn::Disabled => refuse(
            StatusCode::FORBIDDEN,
            ctx.t("admin.login_disabled").to_owned(),
        ),
        SignIn::Throttled => refuse(
            StatusCode::TOO_MANY_REQUESTS,
            ctx.tf(
                "error.login.throttled",
                &[("minutes", &state.cfg.lockout_minutes.to_string())],
            ),
        ),
        SignIn::DirectoryDown => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            ctx.t("login.directory_down").to_owned(),
        ),
        SignIn::NoAccount => refuse(
            StatusCode::FORBIDDEN,
            ctx.t("login.no_linked_account").to_owned(),
        ),
        SignIn::Taken => refuse(
            StatusCode::CONFLICT,
            ctx.t("login.account_taken").to_owned(),
        ),
    }
}

// ---- the second step: a code from the authenticator app, or a recovery code ----

#[derive(Deserialize, Default)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

impl CodeForm {
    pub fn code(&self) -> &str {
        &self.code
    }
}

pub(crate) async fn pending(ctx: &Ctx) -> WebResult<Option<PendingTwoFactor>> {
    let Some(s) = &ctx.session else {
        return Ok(None);
    };
    let p: Option<PendingTwoFactor> = s
        .get(SESSION_2FA_PENDING)
        .await
        .map_err(WebError::internal)?;
    Ok(p.filter(|p| hatchery_store::now_ms() - p.since_ms < PENDING_2FA_MS))
}

/// Which second factors the account has: TOTP (the code form) and security keys.
#[derive(Clone, Copy)]
struct Factors {
    totp: bool,
    keys: bool,
    /// Recovery codes of an account whose keys are its only second factor.
    recovery: bool,
}

async fn factors(state: &AppState, user_id: i64) -> WebResult<Factors> {
    let totp = state.forge.totp_on(user_id).await?;
    let keys = state.store.security_key_count(user_id).await? > 0;
    Ok(Factors {
        totp,
        keys,
        recovery: keys && !totp && state.forge.recovery_codes_left(user_id).await? > 0,
    })
}

fn two_factor_page(ctx: &Ctx, general: Option<String>, f: Factors) -> maud::Markup {
    page(
        ctx,
        ctx.t("twofactor.prompt_title"),
        html! {
            h1 { (ctx.t("twofactor.prompt_title")) }
            @if let Some(msg) = general { div.flash.flash-error role="alert" id="two-factor-error" { (msg) } }
            @if f.keys {
                p { (ctx.t("webauthn.prompt_explain")) }
                (crate::pages::webauthn::sign_in_button(ctx))
            }
            @if f.totp || f.recovery {
                p { (ctx.t(if f.totp { "twofactor.prompt_explain" } else { "webauthn.recovery_explain" })) }
                form.stack method="post" action="/user/two_factor" id="two-factor-form" novalidate {
                    (csrf_input(ctx))
                    (Field::new("code", ctx.t("twofactor.code"), "").required().autocomplete("one-time-code").hint(ctx.t(if f.totp { "twofactor.code_hint" } else { "webauthn.recovery_hint" })).render(ctx, &FormErrors::default()))
                    div { button.btn.btn-primary type="submit" id="two-factor-submit" { (ctx.t("twofactor.verify")) } }
                }
            }
        },
    )
}

/// `GET /user/two_factor`.
pub async fn two_factor_form(State(state): State<AppState>, ctx: Ctx) -> WebResult<Response> {
    let Some(p) = pending(&ctx).await? else {
        return Ok(axum::response::Redirect::to("/user/login").into_response());
    };
    let f = factors(&state, p.user_id).await?;
    Ok(two_factor_page(&ctx, None, f).into_response())
}

/// `POST /user/two_factor`: the code completes the sign-in.
pub async fn two_factor(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CodeForm>,
) -> WebResult<Response> {
    let Some(p) = pending(&ctx).await? else {
        return Ok(flash_redirect(
            &ctx,
            FlashKind::Error,
            "twofactor.expired",
            "/user/login",
        ));
    };
    let Some(user) = state.store.user_by_id(p.user_id).await? else {
        return Ok(axum::response::Redirect::to("/user/login").into_response());
    };
    match state.forge.two_factor_verify(&user, &form.code).await {
        Ok(()) => {
            sign_in(&ctx, user.id).await?;
            tracing::info!(user = %user.name, "signed in with two factors");
            Ok(flash_redirect(
                &ctx,
                FlashKind::Success,
                "flash.signed_in",
                &safe_next(Some(&p.next)),
            ))
        }
        Err(e) => {
            let (status, key) = twofactor_refusal(e)?;
            let f = factors(&state, user.id).await?;
            Ok((
                status,
                two_factor_page(&ctx, Some(ctx.t(key).to_owned()), f),
            )
                .into_response())
        }
    }
}

/// The status and message of a refused code.
pub(crate) fn twofactor_refusal(
    e: hatchery_service::twofactor::TwoFactorError,
) -> WebResult<(StatusCode, &'static str)> {
    use hatchery_service::twofactor::TwoFactorError as E;
    Ok(match e {
        E::Invalid => (StatusCode::UNAUTHORIZED, "twofactor.wrong_code"),
        E::Replayed => (StatusCode::UNAUTHORIZED, "twofactor.replayed"),
        E::Throttled => (StatusCode::TOO_MANY_REQUESTS, "twofactor.throttled"),
        E::WrongState => (StatusCode::CONFLICT, "twofactor.wrong_state"),
        E::Required => (StatusCode::CONFLICT, "twofactor.last_factor"),
        E::Service(e) => return Err(e.into()),
    })
}

pub async fn logout(ctx: Ctx) -> WebResult<Response> {
    if let Some(s) = &ctx.session {
        // Deletes the session row: the old cookie is worthless from now on.
        s.flush().await.map_err(WebError::internal)?;
    }
    Ok(flash_redirect(
        &ctx,
        FlashKind::Info,
        "flash.signed_out",
        "/",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_kept_on_site() {
        assert_eq!(safe_next(Some("/org/x")), "/org/x");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("/a/b?c=d#e")), "/a/b?c=d#e");
        assert_eq!(safe_next(Some("/%E4%BD%A0")), "/%E4%BD%A0");
        assert_eq!(safe_next(Some("/你")), "/%E4%BD%A0");
    }

    /// What browsers do with `/\t/evil.com`: drop the tab, then `//evil.com` is another host.
    #[test]
    fn next_is_judged_as_a_browser_parses_it() {
        for evil in [
            "/\t/evil.com",
            "/\t\\evil.com",
            "/\t/\t/evil.com",
            "/\n/evil.com",
            "/\r\n/evil.com",
            "\\/evil.com",
            "\t//evil.com",
            "/\\\\evil.com",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
        }
        for control in [
            "/a\0b", "/\u{1}x", "/\u{b}x", "/\u{c}x", "/x\u{7f}", "/x\u{85}",
        ] {
            assert_eq!(safe_next(Some(control)), "/", "{control:?}");
        }
        assert_eq!(safe_next(Some("/org/\tx")), "/org/x");
        for next in ["/a\tb", "/ok", "/x\\y"] {
            let target = safe_next(Some(next));
            assert!(
                axum::http::HeaderValue::from_str(&target).is_ok(),
                "{target:?}"
            );
        }
        assert_eq!(login_url("/a b?c=d"), "/user/login?next=%2Fa+b%3Fc%3Dd");
        assert_eq!(login_url("/"), "/user/login");
    }
}
