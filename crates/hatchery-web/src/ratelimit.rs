//! Rate limiting of the expensive anonymous pages (`rate_limit.*`): blame, the history of a
//! path, commits, comparisons, archives and searches cost the most to make and multiply
//! without end (every commit × every file), which is what crawlers hammer. Each client
//! address (an IPv6 address by its /64, which one subscriber usually holds whole) has a
//! token bucket ([`hatchery_core::ratelimit::Budget`]); an empty bucket is answered 429
//! with `Retry-After`, as a page or, for the API, as JSON, in the visitor's language.
//! Signed-in visitors are exempt: they are accountable, and an administrator can disable
//! an account that misbehaves.
//!
//! Memory is bounded: at most `max_addresses` buckets are kept; when full, buckets that
//! have refilled (which carry no information) are dropped, then the fullest ones.

use crate::ctx::Ctx;
use crate::error::WebError;
use crate::i18n::Lang;
use crate::pages::auth::ClientAddr;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hatchery_core::ratelimit::{Budget, retry_after_secs};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `rate_limit.*` as the web layer takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub budget: Budget,
    /// Client addresses remembered at most.
    pub max_addresses: usize,
}

impl Default for RateLimitSettings {
    fn default() -> RateLimitSettings {
        RateLimitSettings {
            enabled: true,
            budget: Budget {
                burst: 30,
                per_minute: 20,
            },
            max_addresses: 10_000,
        }
    }
}

/// Pages limited for anonymous visitors, by route template.
const EXPENSIVE_PAGES: &[&str] = &[
    "/{owner}/{repo}/blame/{*rest}",
    "/{owner}/{repo}/commits/{*rest}",
    "/{owner}/{repo}/commit/{id}",
    "/{owner}/{repo}/compare/{*spec}",
    "/{owner}/{repo}/archive/{*file}",
];

/// Routes limited only when they search (a non-empty `q`).
const SEARCHES: &[&str] = &[
    "/{owner}/{repo}/issues",
    "/{owner}/{repo}/pulls",
    "/issues",
    "/explore/repos",
    "/explore/users",
    "/explore/organizations",
    "/api/v1/repos/search",
    "/api/v1/repos/issues/search",
    "/api/v1/repos/{owner}/{repo}/issues",
];

/// API routes limited for anonymous callers.
const EXPENSIVE_API: &[&str] = &["/api/v1/repos/{owner}/{repo}/commits"];

/// Whether a request for `route` with `query` is one of the limited ones.
pub fn is_expensive(route: &str, query: Option<&str>) -> bool {
    if EXPENSIVE_PAGES.contains(&route) || EXPENSIVE_API.contains(&route) {
        return true;
    }
    SEARCHES.contains(&route)
        && form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .any(|(k, v)| k == "q" && !v.trim().is_empty())
}

/// The buckets of every client address seen lately.
pub struct RateLimiter {
    settings: RateLimitSettings,
    start: Instant,
    /// Added to the real clock; see [`RateLimiter::advance`].
    skew_ms: AtomicU64,
    buckets: Mutex<HashMap<IpAddr, u64>>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// The key of an address: IPv4 as it is, IPv6 by its /64.
fn key_of(ip: IpAddr) -> IpAddr {
    match hatchery_core::netpolicy::canonical(ip) {
        IpAddr::V6(v6) => {
            let mut seg = v6.segments();
            seg[4..].fill(0);
            IpAddr::V6(seg.into())
        }
        v4 => v4,
    }
}

impl RateLimiter {
    pub fn new(settings: RateLimitSettings) -> RateLimiter {
        RateLimiter {
            settings,
            start: Instant::now(),
            skew_ms: AtomicU64::new(0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> RateLimitSettings {
        self.settings
    }

    /// Moves this limiter's clock forward, as if `by` had passed (tests use it to see a
    /// bucket refill without waiting).
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.skew_ms.fetch_add(ms, Ordering::Relaxed);
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .saturating_add(self.skew_ms.load(Ordering::Relaxed))
    }

    /// Addresses remembered now.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().map_or(0, |b| b.len())
    }

    /// Takes one request from `ip`'s bucket: `Err(wait)` when it is empty.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = self.now_ms();
        let key = key_of(ip);
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let tat = buckets.get(&key).copied();
        match self.settings.budget.admit(tat, now) {
            Ok(new_tat) => {
                if tat.is_none() && buckets.len() >= self.settings.max_addresses.max(1) {
                    make_room(&mut buckets, now, self.settings.max_addresses.max(1));
                }
                buckets.insert(key, new_tat);
                Ok(())
            }
            Err(wait_ms) => Err(Duration::from_millis(wait_ms)),
        }
    }
}

/// Drops refilled buckets; if that is not enough, the fullest eighth.
fn make_room(buckets: &mut HashMap<IpAddr, u64>, now: u64, max: usize) {
    buckets.retain(|_, tat| *tat > now);
    if buckets.len() >= max {
        let mut tats: Vec<u64> = buckets.values().copied().collect();
        let cut = (max / 8).max(1).min(tats.len() - 1);
        let (_, nth, _) = tats.select_nth_unstable(cut);
        let limit = *nth;
        buckets.retain(|_, tat| *tat > limit);
    }
}

fn client_ip(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ClientAddr>()
        .and_then(|a| a.0.parse().ok())
}

/// `Some(wait)` when `req` is a limited request from an anonymous client whose bucket is
/// empty.
fn refused(state: &AppState, req: &Request, signed_in: bool) -> Option<Duration> {
    if signed_in || !state.limiter.settings.enabled {
        return None;
    }
    let route = req.extensions().get::<MatchedPath>()?.as_str();
    if !is_expensive(route, req.uri().query()) {
        return None;
    }
    // No address (only in tests that build requests by hand): one shared bucket.
    let ip = client_ip(req).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    state.limiter.check(ip).err()
}

/// For the pages' router, inside `ctx::load` (which tells who is signed in) and
/// `ctx::render_errors` (which renders the 429 page in the visitor's language).
pub async fn pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let signed_in = req
        .extensions()
        .get::<Ctx>()
        .is_some_and(|c| c.user.is_some());
    match refused(&state, &req, signed_in) {
        Some(wait) => WebError::RateLimited {
            retry_after_secs: retry_after_secs(u64::try_from(wait.as_millis()).unwrap_or(0)),
        }
        .into_response(),
        None => next.run(req).await,
    }
}

/// For the API: a caller with credentials (a header, or Gitea's `token`/`access_token`
/// query parameter) is not anonymous — wrong credentials are answered 401 by the handler.
pub async fn api(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let credentials = req.headers().contains_key(header::AUTHORIZATION)
        || form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .any(|(k, _)| k == "token" || k == "access_token");
    let Some(wait) = refused(&state, &req, credentials) else {
        return next.run(req).await;
    };
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default();
    let secs = retry_after_secs(u64::try_from(wait.as_millis()).unwrap_or(0));
    let body = serde_json::json!({
        "message": lang.tf("ratelimit.message", &[("seconds", &secs.to_string())]),
        "url": state.cfg.public_url.clone() + "api/swagger",
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, max_addresses: usize) -> RateLimiter {
        RateLimiter::new(RateLimitSettings {
            enabled: true,
            budget: Budget {
                burst,
                per_minute: 60,
            },
            max_addresses,
        })
    }

    #[test]
    fn buckets_are_per_address_and_ipv6_per_64() {
        let l = limiter(1, 100);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.check(a).is_ok());
        assert!(l.check(a).is_err());
        assert!(l.check(b).is_ok(), "another address has its own bucket");
        let v6a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let v6c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(l.check(v6a).is_ok());
        assert!(l.check(v6b).is_err(), "same /64");
        assert!(l.check(v6c).is_ok(), "another /64");
        let wait = l.check(a).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        l.advance(Duration::from_secs(1));
        assert!(l.check(a).is_ok(), "refilled");
    }

    #[test]
    fn memory_stays_bounded() {
        let l = limiter(2, 64);
        for i in 0..1000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            assert!(l.check(ip).is_ok());
            assert!(l.tracked() <= 64, "{} tracked", l.tracked());
        }
        // Once refilled, old buckets are dropped first.
        l.advance(Duration::from_secs(60));
        assert!(l.check(IpAddr::from([10, 0, 0, 1])).is_ok());
        assert!(l.tracked() <= 64);
    }

    #[test]
    fn which_requests_are_expensive() {
        assert!(is_expensive("/{owner}/{repo}/blame/{*rest}", None));
        assert!(is_expensive("/{owner}/{repo}/archive/{*file}", None));
        assert!(!is_expensive("/{owner}/{repo}/raw/{*rest}", None));
        assert!(!is_expensive("/{owner}/{repo}/issues", Some("state=open")));
        assert!(!is_expensive("/{owner}/{repo}/issues", Some("q=+")));
        assert!(is_expensive(
            "/{owner}/{repo}/issues",
            Some("state=all&q=crash")
        ));
        assert!(is_expensive("/api/v1/repos/search", Some("q=x")));
        assert!(!is_expensive("/{owner}/{repo}", None));
    }
}
