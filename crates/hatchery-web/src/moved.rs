//! Repositories that moved (an incubator project's repositories are transferred into the
//! program's organization) keep answering at their old address: a request for
//! `/old-owner/name/...` that found nothing is redirected to the same path under the new
//! owner, for web pages and for git clients alike. Only callers who may read the
//! repository are redirected; everyone else keeps the 404 (or git's 401 challenge), so a
//! redirect never reveals a private repository.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hatchery_core::Actor;

use crate::credentials;
use crate::ctx::Ctx;
use crate::pages::auth::ClientAddr;
use crate::state::AppState;

/// The owner and repository segments of a path, and what follows them.
fn split(path: &str) -> Option<(&str, &str, &str)> {
    let rest = path.strip_prefix('/')?;
    let (owner, rest) = rest.split_once('/')?;
    let (name, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    (!owner.is_empty() && !name.is_empty()).then_some((owner, name, tail))
}

/// Where a request for `path` goes now that the repository is `new_owner/new_name`.
fn location(path: &str, query: Option<&str>, new_owner: &str, new_name: &str) -> Option<String> {
    let (_, name, tail) = split(path)?;
    let suffix = if name.ends_with(".git") { ".git" } else { "" };
    let mut out = format!("/{new_owner}/{new_name}{suffix}{tail}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

fn redirect(method: &Method, to: &str) -> Response {
    // 308 keeps the method and body of a POST; browsers and git follow both.
    let status = if matches!(*method, Method::GET | Method::HEAD) {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::PERMANENT_REDIRECT
    };
    match HeaderValue::from_str(to) {
        Ok(v) => (status, [(header::LOCATION, v)]).into_response(),
        Err(_) => status.into_response(),
    }
}

async fn target(state: &AppState, actor: Actor, path: &str) -> Option<(String, String)> {
    let (owner, name, _) = split(path)?;
    let name = name.strip_suffix(".git").unwrap_or(name);
    match state.forge.repo_redirect(actor, owner, name).await {
        Ok(Some(repo)) => Some((repo.owner_name, repo.name)),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "looking up a moved repository failed");
            None
        }
    }
}

/// For HTML pages, inside the session and context layers: the visitor is known.
pub async fn pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let actor = req
        .extensions()
        .get::<Ctx>()
        .map_or(Actor::Anonymous, Ctx::actor);
    let (method, path, query) = (
        req.method().clone(),
        req.uri().path().to_owned(),
        req.uri().query().map(str::to_owned),
    );
    let response = next.run(req).await;
    if response.status() != StatusCode::NOT_FOUND {
        return response;
    }
    match target(&state, actor, &path).await {
        Some((o, n)) => {
            location(&path, query.as_deref(), &o, &n).map_or(response, |to| redirect(&method, &to))
        }
        None => response,
    }
}

/// For git's endpoints, which authenticate per request: credentials are checked only when
/// the old address is known to have moved.
pub async fn git(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (method, path, query) = (
        req.method().clone(),
        req.uri().path().to_owned(),
        req.uri().query().map(str::to_owned),
    );
    let headers = req.headers().clone();
    let addr = req.extensions().get::<ClientAddr>().map(|a| a.0.clone());
    let response = next.run(req).await;
    if !matches!(
        response.status(),
        StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED
    ) {
        return response;
    }
    let Some((owner, name, _)) = split(&path) else {
        return response;
    };
    let name = name.strip_suffix(".git").unwrap_or(name);
    if !matches!(state.store.repo_redirect(owner, name).await, Ok(Some(_))) {
        return response;
    }
    let actor = match credentials::authenticate(&state, &headers, addr.as_deref()).await {
        Ok(caller) => caller.actor,
        Err(_) => return response,
    };
    match target(&state, actor, &path).await {
        Some((o, n)) => {
            location(&path, query.as_deref(), &o, &n).map_or(response, |to| redirect(&method, &to))
        }
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_keep_the_rest_of_the_path() {
        assert_eq!(
            location("/ada/engine/tree/main/src", Some("x=1"), "found", "engine").as_deref(),
            Some("/found/engine/tree/main/src?x=1")
        );
        assert_eq!(
            location(
                "/ada/engine.git/info/refs",
                Some("service=git-upload-pack"),
                "found",
                "engine"
            )
            .as_deref(),
            Some("/found/engine.git/info/refs?service=git-upload-pack")
        );
        assert_eq!(
            location("/ada/engine", None, "o", "e").as_deref(),
            Some("/o/e")
        );
        assert_eq!(location("/ada", None, "o", "e"), None);
        assert_eq!(location("//x", None, "o", "e"), None);
    }
}
