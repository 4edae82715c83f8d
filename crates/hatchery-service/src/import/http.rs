//! Talking to a source's API: authentication as each forge wants it, paging headers, and
//! rate limits waited out (with a cap) on tokio's clock.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::{Answer, ImportError, SourceAuth};

/// How a forge takes credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: token X` (GitHub, Gitea), or Basic with a user name and password.
    TokenHeader,
    /// `PRIVATE-TOKEN: X` (GitLab).
    PrivateToken,
    /// `?access_token=X` (Gitee's v5 API).
    AccessTokenQuery,
}

/// An HTTP client for one source: the checked outbound client, its credentials, and when
/// the next request may go (after a rate limit said to wait).
pub struct SourceClient {
    http: reqwest::Client,
    auth: SourceAuth,
    style: AuthStyle,
    max_wait: Duration,
    not_before: Mutex<Option<tokio::time::Instant>>,
}

/// How often one request is tried again after being told to wait.
const RATE_RETRIES: usize = 5;

impl SourceClient {
    pub fn new(http: reqwest::Client, auth: SourceAuth, max_wait: Duration) -> SourceClient {
        SourceClient {
            http,
            auth,
            style: AuthStyle::TokenHeader,
            max_wait,
            not_before: Mutex::new(None),
        }
    }

    pub(crate) fn with_style(mut self, style: AuthStyle) -> SourceClient {
        self.style = style;
        self
    }

    fn request(&self, url: &str, query: &[(&str, String)], json: bool) -> reqwest::RequestBuilder {
        let mut req = self.http.get(url).query(query);
        match self.style {
            AuthStyle::TokenHeader if !self.auth.token.is_empty() => {
                req = req.header("Authorization", format!("token {}", self.auth.token));
            }
            AuthStyle::TokenHeader if !self.auth.username.is_empty() => {
                req = req.basic_auth(&self.auth.username, Some(&self.auth.password));
            }
            AuthStyle::PrivateToken if !self.auth.token.is_empty() => {
                req = req.header("PRIVATE-TOKEN", &self.auth.token);
            }
            AuthStyle::AccessTokenQuery if !self.auth.token.is_empty() => {
                req = req.query(&[("access_token", &self.auth.token)]);
            }
            _ => {}
        }
        if json {
            req.header("Accept", "application/json")
        } else {
            req
        }
    }

    /// Waits until a rate limit seen before has passed.
    async fn pace(&self) {
        let until = self.not_before.lock().ok().and_then(|mut g| g.take());
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    /// The wait a response asks for, if any: `Retry-After` (seconds), or a limit used up
    /// (`X-RateLimit-Remaining: 0`, GitLab's `RateLimit-Remaining: 0`) until its reset
    /// (`X-RateLimit-Reset` / `RateLimit-Reset`, unix seconds).
    fn asked_wait(headers: &HeaderMap) -> Option<Duration> {
        let num = |name: &str| -> Option<i64> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
        };
        if let Some(secs) = num("retry-after") {
            return Some(Duration::from_secs(secs.max(0).unsigned_abs()));
        }
        let remaining = num("x-ratelimit-remaining").or_else(|| num("ratelimit-remaining"))?;
        if remaining > 0 {
            return None;
        }
        let reset = num("x-ratelimit-reset").or_else(|| num("ratelimit-reset"))?;
        let now = hatchery_store::now_ms() / 1000;
        Some(Duration::from_secs((reset - now).max(1).unsigned_abs()))
    }

    /// A wait, capped: longer than the cap fails (the import can be resumed later).
    fn capped(&self, wait: Duration) -> Result<Duration, ImportError> {
        if wait > self.max_wait.max(Duration::from_secs(1)) * 4 {
            return Err(ImportError::RateLimited(wait.as_secs()));
        }
        Ok(wait.min(self.max_wait))
    }

    /// GET a file, waiting out rate limits; the response of a success status.
    pub async fn get(&self, url: &str, query: &[(&str, String)]) -> Answer<reqwest::Response> {
        self.send(url, query, false).await
    }

    async fn send(
        &self,
        url: &str,
        query: &[(&str, String)],
        json: bool,
    ) -> Answer<reqwest::Response> {
        for _ in 0..=RATE_RETRIES {
            self.pace().await;
            let resp = self
                .request(url, query, json)
                .send()
                .await
                .map_err(|e| ImportError::Http(describe(url, &e)))?;
            let status = resp.status();
            let wait = Self::asked_wait(resp.headers());
            let limited = status == reqwest::StatusCode::TOO_MANY_REQUESTS
                || (status == reqwest::StatusCode::FORBIDDEN && wait.is_some());
            if limited {
                let wait = self.capped(wait.unwrap_or(Duration::from_secs(1)))?;
                tracing::info!(
                    url,
                    wait_ms = wait.as_millis() as u64,
                    "import: rate limited, waiting"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if !status.is_success() {
                let message: String = resp
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect();
                return Err(ImportError::Status {
                    url: url.to_owned(),
                    status: status.as_u16(),
                    message,
                });
            }
            if let Some(wait) = wait {
                // The limit is used up: the next request waits for the reset.
                let wait = self.capped(wait)?;
                if let Ok(mut g) = self.not_before.lock() {
                    *g = Some(tokio::time::Instant::now() + wait);
                }
            }
            return Ok(resp);
        }
        Err(ImportError::RateLimited(self.max_wait.as_secs()))
    }

    /// GET JSON: the value and the response headers (for paging).
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, String)],
    ) -> Answer<(T, HeaderMap)> {
        let resp = self.send(url, query, true).await?;
        let headers = resp.headers().clone();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ImportError::Http(describe(url, &e)))?;
        let value = serde_json::from_slice(&bytes).map_err(|e| ImportError::Decode {
            url: url.to_owned(),
            message: e.to_string(),
        })?;
        Ok((value, headers))
    }
}

fn describe(url: &str, e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = format!("{url}: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Whether a `Link` header has a `rel="next"` entry (GitHub, Gitea).
pub fn link_has_next(headers: &HeaderMap) -> bool {
    headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| part.contains("rel=\"next\"") || part.contains("rel=next"))
}

/// A numeric header (`X-Next-Page`, `total_page`, `X-Total-Count`).
pub fn header_num(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits() {
        let mut h = HeaderMap::new();
        assert_eq!(SourceClient::asked_wait(&h), None);
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(SourceClient::asked_wait(&h), Some(Duration::from_secs(3)));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "5".parse().unwrap());
        assert_eq!(SourceClient::asked_wait(&h), None);
        let mut h = HeaderMap::new();
        h.insert("ratelimit-remaining", "0".parse().unwrap());
        let reset = hatchery_store::now_ms() / 1000 + 30;
        h.insert("ratelimit-reset", reset.to_string().parse().unwrap());
        let w = SourceClient::asked_wait(&h).unwrap();
        assert!(w <= Duration::from_secs(31) && w >= Duration::from_secs(28));
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            "<https://x/?page=2>; rel=\"next\", <https://x/?page=5>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert!(link_has_next(&h));
    }
}
