//! CSRF protection for every state-changing form: a signed double-submit token bound to
//! the session. The token lives in an HttpOnly cookie and is repeated in each form as
//! `_csrf`; a POST is accepted only when both agree and the signature (HMAC-SHA256 with
//! the site secret) is valid for the request's session: a signed-in visitor's token is
//! signed together with the session id, so a token obtained by anyone else (another
//! session, or no session) is refused with that visitor's session cookie. Anonymous
//! visitors (sign-in, sign-up) get tokens bound to no session and need no server-side
//! session for this, which keeps pages for visitors free of database writes. When a request
//! changes the session (sign-in under a new id, rotation, sign-out), its response carries
//! a token for the new session, so the next form works.

use crate::cookies;
use crate::error::WebError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use tower_sessions::Session;

pub const COOKIE: &str = "hatchery_csrf";
pub const FIELD: &str = "_csrf";
pub const HEADER: &str = "x-csrf-token";

/// The request's token, for forms to embed.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// What the check found, enforced later by [`enforce`] so that a refusal is rendered as
/// a page in the visitor's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    NotNeeded,
    Valid,
    Invalid,
    TooLarge,
    /// A form field holds a NUL byte or broken UTF-8 (see [`crate::input`]).
    BadInput,
    /// A multipart body, left unread: only a handler that streams it checks its token
    /// (with [`Deferred`]); everywhere else it is refused like a missing token.
    Deferred,
}

/// The token check of a multipart request (a file upload), left to the handler: the
/// body is not read here, since it may be far larger than a form. The handler reads the
/// token from the body's first field and asks [`Deferred::accepts`] before it reads
/// anything else. A valid `X-CSRF-Token` header settles it at once ([`Deferred::passed`]).
#[derive(Clone)]
pub struct Deferred {
    token: String,
    fresh: bool,
    header_ok: bool,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred")
            .field("header_ok", &self.header_ok)
            .finish_non_exhaustive()
    }
}

impl Deferred {
    /// The request's header carried the right token.
    pub fn passed(&self) -> bool {
        self.header_ok
    }

    /// Whether `submitted` (the body's `_csrf` field) is the visitor's token.
    pub fn accepts(&self, submitted: &str) -> bool {
        !self.fresh && constant_time_eq(submitted.as_bytes(), self.token.as_bytes())
    }
}

fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// What a token is bound to: the session id of a stored session, or none.
type Binding = Option<String>;

fn mac(secret: &str, binding: &Binding, nonce: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    m.update(b"csrf:");
    // A session id never contains ':' (base64url), so the two parts cannot be confused.
    m.update(binding.as_deref().unwrap_or("").as_bytes());
    m.update(b":");
    m.update(nonce.as_bytes());
    m
}

fn new_token(secret: &str, binding: &Binding) -> String {
    let mut nonce = [0u8; 18];
    rand::rng().fill_bytes(&mut nonce);
    let nonce = hex::encode(nonce);
    let sig = hex::encode(mac(secret, binding, &nonce).finalize().into_bytes());
    format!("{nonce}.{sig}")
}

fn is_valid(secret: &str, binding: &Binding, token: &str) -> bool {
    let Some((nonce, sig)) = token.split_once('.') else {
        return false;
    };
    match hex::decode(sig) {
        Ok(sig) => mac(secret, binding, nonce).verify_slice(&sig).is_ok(),
        Err(_) => false,
    }
}

/// The id of the request's stored session (loading it; a session the store does not hold,
/// ended or expired, has none).
async fn binding_of(session: Option<&Session>) -> Binding {
    let session = session?;
    // Loads the record once; ctx::load reads it from the same cache.
    session.get_value(hatchery_store::SESSION_USER).await.ok()?;
    session.id().map(|id| id.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded_pairs(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn serde_urlencoded_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned()))
}

/// Issues the token cookie and checks unsafe requests. The body of a form POST is read
/// here (bounded by `max_form_bytes`) and handed on unchanged.
pub async fn check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secret = &state.cfg.secret;
    let session = req.extensions().get::<Session>().cloned();
    let binding = binding_of(session.as_ref()).await;
    let existing = cookies::read(req.headers(), COOKIE).filter(|t| is_valid(secret, &binding, t));
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(|| new_token(secret, &binding));
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);

    let (mut req, verdict) = if !unsafe_method {
        (req, Verdict::NotNeeded)
    } else if is_multipart(req.headers()) {
        let header_ok = !fresh
            && req
                .headers()
                .get(HEADER)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|s| constant_time_eq(s.as_bytes(), token.as_bytes()));
        let mut req = req;
        req.extensions_mut().insert(Deferred {
            token: token.clone(),
            fresh,
            header_ok,
        });
        (req, Verdict::Deferred)
    } else {
        let (parts, body) = req.into_parts();
        match axum::body::to_bytes(body, state.cfg.max_form_bytes).await {
            Err(_) => (Request::from_parts(parts, Body::empty()), Verdict::TooLarge),
            Ok(bytes) => {
                let submitted = parts
                    .headers
                    .get(HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .or_else(|| form_field(&bytes, FIELD));
                let ok = !fresh
                    && submitted.is_some_and(|s| constant_time_eq(s.as_bytes(), token.as_bytes()));
                let verdict = if !ok {
                    Verdict::Invalid
                } else if !crate::input::form_is_clean(&bytes) {
                    Verdict::BadInput
                } else {
                    Verdict::Valid
                };
                (Request::from_parts(parts, Body::from(bytes)), verdict)
            }
        }
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    req.extensions_mut().insert(verdict);
    let mut response = next.run(req).await;
    // Signed in (under a new id), rotated or signed out: the next form needs a token for
    // the session as it is now. (Handlers that change the session id save it at once, so
    // the new id is known here.)
    let now = match &session {
        Some(s) if s.is_modified() || binding.is_some() => s.id().map(|id| id.to_string()),
        _ => binding.clone(),
    };
    let issue = if now != binding {
        Some(new_token(secret, &now))
    } else if fresh {
        Some(token)
    } else {
        None
    };
    if let Some(token) = issue {
        let value: HeaderValue = cookies::set(COOKIE, &token, None, state.cfg.secure_cookies());
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Refuses a state-changing request whose token did not check out. Runs inside the
/// error-page renderer.
pub async fn enforce(req: Request, next: Next) -> Response {
    match req
        .extensions()
        .get::<Verdict>()
        .copied()
        .unwrap_or(Verdict::Invalid)
    {
        Verdict::NotNeeded | Verdict::Valid => next.run(req).await,
        Verdict::TooLarge => WebError::PayloadTooLarge.into_response(),
        Verdict::BadInput => WebError::BadRequest("hardening.invalid_input").into_response(),
        Verdict::Invalid | Verdict::Deferred => {
            tracing::warn!(path = %req.uri().path(), "refused a request with a missing or wrong CSRF token");
            WebError::Csrf.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_signed() {
        let none: Binding = None;
        let t = new_token("s3cret", &none);
        assert!(is_valid("s3cret", &none, &t));
        assert!(!is_valid("other", &none, &t));
        assert!(!is_valid("s3cret", &none, "abc.def"));
        assert!(!is_valid("s3cret", &none, "nodot"));
        let (nonce, _) = t.split_once('.').unwrap_or_default();
        let sig = hex::encode(mac("s3cret", &none, nonce).finalize().into_bytes());
        assert!(is_valid("s3cret", &none, &format!("{nonce}.{sig}")));
        assert!(!is_valid("s3cret", &none, &format!("{nonce}x.{sig}")));
    }

    #[test]
    fn tokens_are_bound_to_their_session() {
        let a: Binding = Some("session-a".to_owned());
        let b: Binding = Some("session-b".to_owned());
        let t = new_token("s3cret", &a);
        assert!(is_valid("s3cret", &a, &t));
        assert!(!is_valid("s3cret", &b, &t), "another session's token");
        assert!(
            !is_valid("s3cret", &None, &t),
            "a signed-in token without the session"
        );
        let anonymous = new_token("s3cret", &None);
        assert!(
            !is_valid("s3cret", &a, &anonymous),
            "an anonymous token in a session"
        );
    }

    #[test]
    fn reads_form_fields() {
        assert_eq!(
            form_field(b"a=1&_csrf=x%2Ey&b=2", "_csrf").as_deref(),
            Some("x.y")
        );
        assert_eq!(form_field(b"a=1", "_csrf"), None);
    }
}
