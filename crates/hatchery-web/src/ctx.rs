//! The per-request context every page needs: who is signed in, the language, the CSRF
//! token and a pending flash message. Built once per request by [`load`] and taken by
//! handlers as an extractor.

use crate::cookies;
use crate::csrf::CsrfToken;
use crate::error::{ErrorPage, WebError};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::views;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_core::Actor;
use hatchery_store::User;
use tower_sessions::Session;

/// Session key holding the signed-in user's id (the store records it per session).
pub const SESSION_USER: &str = hatchery_store::SESSION_USER;
pub const LANG_COOKIE: &str = "hatchery_lang";
pub const FLASH_COOKIE: &str = "hatchery_flash";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
    Info,
}

impl FlashKind {
    fn as_str(self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Error => "error",
            FlashKind::Info => "info",
        }
    }
}

/// A one-time message shown on the next page. Only a catalog key travels in the cookie,
/// so nothing a visitor sees can be injected through it.
#[derive(Debug, Clone)]
pub struct Flash {
    pub kind: FlashKind,
    pub key: String,
}

impl Flash {
    fn parse(raw: &str) -> Option<Flash> {
        let (kind, key) = raw.split_once(':')?;
        let kind = match kind {
            "success" => FlashKind::Success,
            "error" => FlashKind::Error,
            "info" => FlashKind::Info,
            _ => return None,
        };
        let valid = !key.is_empty()
            && key.len() < 100
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
        valid.then(|| Flash {
            kind,
            key: key.to_owned(),
        })
    }
}

#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<User>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// Path and query of this request, for "come back here" links.
    pub path: String,
    /// Sign-up open: the configuration's `auth.allow_signup` until an administrator sets it.
    pub allow_signup: bool,
    /// The site-wide announcement an administrator set; empty: none.
    pub announcement: String,
    pub public_url: String,
    pub session: Option<Session>,
    /// The site requires two-factor authentication of the signed-in user, who has not
    /// turned it on yet: every page but the enrolment sends them there.
    pub two_factor_missing: bool,
}

impl Ctx {
    pub fn t(&self, key: &'static str) -> &'static str {
        self.lang.t(key)
    }

    pub fn tf(&self, key: &'static str, args: &[(&str, &str)]) -> String {
        self.lang.tf(key, args)
    }

    pub fn actor(&self) -> Actor {
        match &self.user {
            None => Actor::Anonymous,
            Some(u) => Actor::User {
                id: u.id,
                site_admin: u.is_admin,
            },
        }
    }

    /// The signed-in user, or a redirect to the sign-in page.
    pub fn require_user(&self) -> Result<&User, WebError> {
        self.user.as_ref().ok_or_else(|| WebError::SignInRequired {
            next: self.path.clone(),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Ctx, WebError> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| WebError::internal("request context missing"))
    }
}

/// Builds the [`Ctx`]. A database that is down leaves the visitor signed out for this
/// request rather than failing every page.
pub async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let session = req.extensions().get::<Session>().cloned();
    let mut user = None;
    let mut db_down = false;
    if let Some(session) = &session {
        match session.get::<i64>(SESSION_USER).await {
            Ok(Some(uid)) => match state.store.user_by_id(uid).await {
                Ok(Some(u)) if u.is_disabled => {
                    // Disabled by an administrator: the session ends here.
                    let _ = session.flush().await;
                }
                Ok(Some(u)) => user = Some(u),
                Ok(None) => {
                    // The account is gone: end the session.
                    let _ = session.flush().await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "loading the signed-in user failed");
                    db_down = true;
                }
            },
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "loading the session failed");
                db_down = true;
            }
        }
    }
    if user.is_none()
        && !db_down
        && let Some(session) = &session
    {
        let peer = req
            .extensions()
            .get::<crate::pages::auth::ClientAddr>()
            .and_then(|a| a.0.parse::<std::net::IpAddr>().ok());
        user = header_sign_in(&state, req.headers(), peer, session).await;
    }
    let site = if db_down {
        None
    } else {
        match state.forge.site_settings(state.cfg.allow_signup).await {
            Ok(s) => Some(s),
            Err(e) => {
                // The configuration's defaults serve meanwhile; a page that needs the
                // database fails on its own.
                tracing::warn!(error = %e, "loading the site settings failed");
                None
            }
        }
    };
    let two_factor_missing = match (&user, &site) {
        (Some(u), Some(site)) if site.require_two_factor.applies_to(u.is_admin) => {
            match state.forge.two_factor_on(u.id).await {
                Ok(on) => !on,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the two-factor state failed");
                    false
                }
            }
        }
        _ => false,
    };
    let headers = req.headers();
    let lang = user
        .as_ref()
        .and_then(|u| u.language.as_deref())
        .and_then(Lang::from_tag)
        .or_else(|| {
            cookies::read(headers, LANG_COOKIE)
                .as_deref()
                .and_then(Lang::from_tag)
        })
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default();
    let flash_raw = cookies::read(headers, FLASH_COOKIE);
    let ctx = Ctx {
        lang,
        user,
        csrf: req
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default(),
        flash: flash_raw.as_deref().and_then(Flash::parse),
        path: req
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        allow_signup: site
            .as_ref()
            .map_or(state.cfg.allow_signup, |s| s.allow_signup),
        announcement: site.map(|s| s.announcement).unwrap_or_default(),
        public_url: state.cfg.public_url.clone(),
        session,
        two_factor_missing,
    };
    req.extensions_mut().insert(ctx.clone());
    if db_down {
        return render_error(
            &ctx,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorPage {
                title_key: "error.503.title",
                message_key: "error.503.message",
            },
        );
    }
    if two_factor_missing && !allowed_without_two_factor(req.uri().path()) {
        return flash_redirect(
            &ctx,
            FlashKind::Info,
            "twofactor.required_notice",
            "/user/settings/two_factor",
        );
    }
    let mut response = next.run(req).await;
    let sets_flash = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(FLASH_COOKIE.as_bytes()));
    // A flash is shown once: the page that displayed it clears it, unless it is a
    // redirect carrying a new one.
    if flash_raw.is_some() && !sets_flash && ctx.flash.is_some() == response.status().is_success() {
        response.headers_mut().append(
            header::SET_COOKIE,
            cookies::set(FLASH_COOKIE, "", Some(0), state.cfg.secure_cookies()),
        );
    }
    response
}

/// Where a user the site requires two-factor of may go before enrolling.
fn allowed_without_two_factor(path: &str) -> bool {
    path.starts_with("/user/settings/two_factor") || path == "/user/logout"
}

/// Reverse-proxy header sign-in (Gitea's reverse-proxy authentication): a visitor without
/// a session whom a trusted proxy names in a source's header is signed in, with a session
/// of their own from then on. The proxy has authenticated them (Shibboleth, CAS, ...), so
/// no second factor is asked here. A header from an address the source does not trust
/// is ignored and logged by the service.
async fn header_sign_in(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::IpAddr>,
    session: &Session,
) -> Option<User> {
    let read = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    use hatchery_service::sources::ExternalSignIn;
    match state.forge.header_sign_in(&read, peer).await {
        Ok(Some(ExternalSignIn::Ok(user))) => {
            if let Err(e) = crate::pages::auth::start_session(session, user.id).await {
                tracing::error!(error = ?e, "starting a header sign-in session failed");
                return None;
            }
            tracing::info!(user = %user.name, "signed in by the reverse proxy's header");
            Some(user)
        }
        Ok(Some(other)) => {
            tracing::warn!(outcome = ?other, "header sign-in refused");
            None
        }
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "header sign-in failed");
            None
        }
    }
}

/// Turns error responses from handlers (and unknown routes) into full pages.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let ctx = req.extensions().get::<Ctx>().cloned();
    let response = next.run(req).await;
    let Some(ctx) = ctx else { return response };
    if let Some(page) = response.extensions().get::<ErrorPage>().copied() {
        let mut rendered = render_error(&ctx, response.status(), page);
        // A refusal that says when to come back keeps saying it.
        if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
            rendered
                .headers_mut()
                .insert(header::RETRY_AFTER, retry.clone());
        }
        return rendered;
    }
    let plain_error = response.status().is_client_error() || response.status().is_server_error();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    // A JSON refusal (the security key ceremonies') is read by the script that asked.
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if plain_error && !is_html && !is_json {
        // Rejections from extractors and layers (405, 413, 415, 408...) get a page too.
        let key = match response.status() {
            StatusCode::NOT_FOUND => ("error.404.title", "error.404.message"),
            StatusCode::PAYLOAD_TOO_LARGE => ("error.413.title", "error.413.message"),
            StatusCode::METHOD_NOT_ALLOWED => ("error.405.title", "error.405.message"),
            StatusCode::REQUEST_TIMEOUT => ("error.408.title", "error.408.message"),
            s if s.is_server_error() => ("error.500.title", "error.500.message"),
            _ => ("error.400.title", "error.400.message"),
        };
        return render_error(
            &ctx,
            response.status(),
            ErrorPage {
                title_key: key.0,
                message_key: key.1,
            },
        );
    }
    response
}

fn render_error(ctx: &Ctx, status: StatusCode, page: ErrorPage) -> Response {
    (status, views::error_page(ctx, status, page)).into_response()
}

/// Redirects with a one-time message for the next page.
pub fn flash_redirect(ctx: &Ctx, kind: FlashKind, key: &'static str, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, flash_cookie(ctx, kind, key));
    response
}

/// The cookie that shows the flash message `key` on the next page.
pub fn flash_cookie(ctx: &Ctx, kind: FlashKind, key: &'static str) -> HeaderValue {
    let secure = ctx.public_url.starts_with("https://");
    let value = format!("{}:{key}", kind.as_str());
    cookies::set(FLASH_COOKIE, &value, Some(60), secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_cookie_values() {
        assert!(Flash::parse("success:flash.saved").is_some_and(|f| f.kind == FlashKind::Success));
        assert!(Flash::parse("evil:flash.saved").is_none());
        assert!(Flash::parse("error:<script>").is_none());
        assert!(Flash::parse("info:").is_none());
    }
}
