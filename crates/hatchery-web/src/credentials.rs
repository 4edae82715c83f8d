//! Who is calling, from the `Authorization` header: HTTP Basic with a password or an access
//! token (what git clients send), `token <t>` and `Bearer <t>` (what API clients send).
//! Shared by the git endpoints and the REST API, so both accept the same credentials and
//! throttle password guesses the same way as the sign-in form.

use axum::http::{HeaderMap, header};
use base64::Engine;
use hatchery_core::Actor;
use hatchery_service::signin::{Door, SignIn};
use hatchery_service::tokens;
use hatchery_store::User;

use crate::state::AppState;

/// An authenticated (or anonymous) caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub user: Option<User>,
    /// `Some` when the caller authenticated with an access token: what it may do.
    /// A password grants everything its user may do.
    pub token_scopes: Option<Vec<String>>,
    /// How the caller authenticated.
    pub method: Method,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Anonymous,
    Password,
    Token,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller {
            actor: Actor::Anonymous,
            user: None,
            token_scopes: None,
            method: Method::Anonymous,
        }
    }

    fn of(user: User, token_scopes: Option<Vec<String>>, method: Method) -> Caller {
        Caller {
            actor: Actor::User {
                id: user.id,
                site_admin: user.is_admin,
            },
            user: Some(user),
            token_scopes,
            method,
        }
    }

    /// Whether the caller's token (if any) allows `scope`, like `write:repository`.
    pub fn token_allows(&self, scope: &str) -> bool {
        self.token_scopes
            .as_ref()
            .is_none_or(|s| tokens::allows(s, scope))
    }
}

/// Why credentials were refused.
#[derive(Debug)]
pub enum AuthFailure {
    /// Wrong password or unknown token: 401.
    Invalid,
    /// Too many failed attempts: 429.
    Throttled,
    /// The password is right but the account has two-factor authentication on (or the
    /// site requires it): only access tokens are accepted. 401 with a message saying so.
    TokenRequired,
    /// The account's LDAP directory cannot be reached: 503.
    DirectoryDown,
    Internal(String),
}

/// Credentials as presented, before checking.
enum Presented {
    None,
    Basic(String, String),
    Token(String),
    /// A scheme we know with a value that cannot be read (bad base64, no `user:`, nothing
    /// after `token`): refused like wrong credentials, never taken for "anonymous".
    Malformed,
}

fn presented(headers: &HeaderMap) -> Presented {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Presented::None;
    };
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    let known = ["token", "bearer", "basic"]
        .iter()
        .any(|k| scheme.eq_ignore_ascii_case(k));
    if !known {
        return Presented::None;
    }
    if rest.is_empty() {
        return Presented::Malformed;
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Presented::Token(rest.to_owned());
    }
    let Some(text) = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .ok()
        .and_then(|d| String::from_utf8(d).ok())
    else {
        return Presented::Malformed;
    };
    match text.split_once(':') {
        Some((user, pass)) => Presented::Basic(user.to_owned(), pass.to_owned()),
        None => Presented::Malformed,
    }
}

/// Checks the request's credentials. No credentials: anonymous. `addr` is the client's
/// address, for throttling password guesses.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    addr: Option<&str>,
) -> Result<Caller, AuthFailure> {
    let internal = |e: &dyn std::fmt::Display| AuthFailure::Internal(e.to_string());
    let (username, secret) = match presented(headers) {
        Presented::None => return Ok(Caller::anonymous()),
        Presented::Malformed => return Err(AuthFailure::Invalid),
        Presented::Token(t) => (None, t),
        Presented::Basic(u, p) => (Some(u), p),
    };
    if tokens::looks_like_token(&secret) {
        match state.forge.authenticate_token(&secret).await {
            Ok(Some((user, token))) => {
                return Ok(Caller::of(user, Some(token.scopes), Method::Token));
            }
            Ok(None) => {}
            Err(e) => return Err(internal(&e)),
        }
    }
    let Some(username) = username else {
        return Err(AuthFailure::Invalid);
    };
    match state
        .forge
        .sign_in_via(Door::Basic, &username, &secret, addr)
        .await
    {
        Ok(SignIn::Ok(user)) => Ok(Caller::of(user, None, Method::Password)),
        // A disabled account answers like a wrong password: git and API clients get a 401.
        Ok(SignIn::Invalid | SignIn::Disabled | SignIn::NoAccount | SignIn::Taken) => {
            Err(AuthFailure::Invalid)
        }
        Ok(SignIn::Throttled) => Err(AuthFailure::Throttled),
        Ok(SignIn::TokenRequired) => Err(AuthFailure::TokenRequired),
        Ok(SignIn::DirectoryDown) => Err(AuthFailure::DirectoryDown),
        Err(e) => Err(internal(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn schemes() {
        assert!(matches!(presented(&HeaderMap::new()), Presented::None));
        assert!(matches!(presented(&with("token abc")), Presented::Token(t) if t == "abc"));
        assert!(matches!(presented(&with("Bearer abc")), Presented::Token(t) if t == "abc"));
        // "ada:pw:with:colons"
        assert!(matches!(
            presented(&with("Basic YWRhOnB3OndpdGg6Y29sb25z")),
            Presented::Basic(u, p) if u == "ada" && p == "pw:with:colons"
        ));
        assert!(matches!(
            presented(&with("Basic !!!")),
            Presented::Malformed
        ));
        // "no-colon"
        assert!(matches!(
            presented(&with("Basic bm8tY29sb24=")),
            Presented::Malformed
        ));
        assert!(matches!(presented(&with("token")), Presented::Malformed));
        assert!(matches!(
            presented(&with("Bearer   ")),
            Presented::Malformed
        ));
        assert!(matches!(presented(&with("Digest x")), Presented::None));
    }
}
