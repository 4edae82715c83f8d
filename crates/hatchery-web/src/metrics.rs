//! `GET /metrics`: what this server is doing, in the OpenMetrics text format that
//! Prometheus scrapes (off unless `metrics.enabled`; with `metrics.token` set, only
//! `Authorization: Bearer <token>` may read it, as with Gitea's `[metrics]`).
//!
//! Two kinds of families:
//! - counted as things happen, in [`Metrics`]: HTTP requests by method, route *template*
//!   (axum's `MatchedPath`, never the path asked for, so the label set is bounded and names
//!   no repository) and status, with latency histograms; git operations (clones, fetches,
//!   pushes) with durations, and the bytes git's endpoints sent and received;
//! - read when scraped: the database pool, the background jobs ([`JobBoard`]: rounds,
//!   failed rounds, last and next run, webhook delivery outcomes), the webhook queue, and
//!   site totals (users, organizations, repositories, issues, pull requests: one query of
//!   cheap counts, cached for [`TOTALS_TTL`] so frequent scrapes cost nothing).
//!
//! No label ever carries a name a visitor chose: labels are route templates, methods,
//! status codes, git operations and job names.
//!
//! [`JobBoard`]: hatchery_service::jobs::JobBoard

use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

/// How long the site totals are reused between scrapes.
pub const TOTALS_TTL: Duration = Duration::from_secs(10);

/// The content type of the OpenMetrics text exposition (Prometheus asks for it).
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const HTTP_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const GIT_BUCKETS: [f64; 12] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0, 600.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    service: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// A git endpoint, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitService {
    /// `GET info/refs` (the ref advertisement).
    InfoRefs,
    UploadPack,
    ReceivePack,
}

impl GitService {
    fn as_str(self) -> &'static str {
        match self {
            GitService::InfoRefs => "info-refs",
            GitService::UploadPack => "upload-pack",
            GitService::ReceivePack => "receive-pack",
        }
    }
}

/// What a finished git request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitOperation {
    /// A pack sent to a client that had nothing in common with the repository.
    Clone,
    /// A pack sent to a client that had some of it.
    Fetch,
    /// A pack received (or only ref deletions).
    Push,
}

impl GitOperation {
    fn as_str(self) -> &'static str {
        match self {
            GitOperation::Clone => "clone",
            GitOperation::Fetch => "fetch",
            GitOperation::Push => "push",
        }
    }
}

/// One git request, as reported by its handler when it ends.
#[derive(Debug, Clone, Copy)]
pub struct GitRequest {
    pub service: GitService,
    /// `None` for requests that moved no pack (ref listing, a negotiation round).
    pub operation: Option<GitOperation>,
    pub ok: bool,
    pub sent: u64,
    pub received: u64,
    pub elapsed: Duration,
}

/// The families counted as things happen; one per server, in [`AppState`].
pub struct Metrics {
    registry: Registry,
    http_requests: Family<RequestLabels, Counter>,
    http_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    git_requests: Family<ResultLabels, Counter>,
    git_operations: Family<OperationLabels, Counter>,
    git_duration: Family<OperationLabels, Histogram, fn() -> Histogram>,
    git_sent: Family<ServiceLabels, Counter>,
    git_received: Family<ServiceLabels, Counter>,
    totals: Mutex<Option<(Instant, hatchery_store::SiteCounts)>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn http_histogram() -> Histogram {
    Histogram::new(HTTP_BUCKETS)
}

fn git_histogram() -> Histogram {
    Histogram::new(GIT_BUCKETS)
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("hatchery");
        let http_requests = Family::<RequestLabels, Counter>::default();
        let http_duration =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                http_histogram,
            );
        let git_requests = Family::<ResultLabels, Counter>::default();
        let git_operations = Family::<OperationLabels, Counter>::default();
        let git_duration =
            Family::<OperationLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                git_histogram,
            );
        let git_sent = Family::<ServiceLabels, Counter>::default();
        let git_received = Family::<ServiceLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until the response headers; git bodies stream \
             afterwards), by method and route template",
            http_duration.clone(),
        );
        registry.register(
            "git_requests",
            "Requests to git's smart HTTP endpoints, by service and result",
            git_requests.clone(),
        );
        registry.register(
            "git_operations",
            "Clones and fetches (packs sent) and pushes (packs received) completed",
            git_operations.clone(),
        );
        registry.register(
            "git_operation_duration_seconds",
            "Time from the start of a clone, fetch or push to its last byte",
            git_duration.clone(),
        );
        registry.register(
            "git_sent_bytes",
            "Bytes sent by git's endpoints, by service",
            git_sent.clone(),
        );
        registry.register(
            "git_received_bytes",
            "Bytes of request bodies read by git's endpoints, by service",
            git_received.clone(),
        );
        // Every git series exists from the start at zero, so that rates work from the first
        // scrape and the families are there before the first clone.
        for service in [
            GitService::InfoRefs,
            GitService::UploadPack,
            GitService::ReceivePack,
        ] {
            let service = service.as_str();
            for result in ["ok", "error"] {
                drop(git_requests.get_or_create(&ResultLabels { service, result }));
            }
            drop(git_sent.get_or_create(&ServiceLabels { service }));
            drop(git_received.get_or_create(&ServiceLabels { service }));
        }
        for op in [GitOperation::Clone, GitOperation::Fetch, GitOperation::Push] {
            let labels = OperationLabels {
                operation: op.as_str(),
            };
            drop(git_operations.get_or_create(&labels));
            drop(git_duration.get_or_create(&labels));
        }
        Metrics {
            registry,
            http_requests,
            http_duration,
            git_requests,
            git_operations,
            git_duration,
            git_sent,
            git_received,
            totals: Mutex::new(None),
        }
    }
}

/// A bounded label for a method: the standard ones by name, anything else as `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// One answered request. `route` is the route template (or `<unmatched>`).
    pub fn http_request(
        &self,
        method: &Method,
        route: &str,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let method = method_label(method);
        self.http_requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status: status.as_u16(),
            })
            .inc();
        self.http_duration
            .get_or_create(&RouteLabels {
                method,
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// One git request, once it has ended.
    pub fn git_request(&self, r: &GitRequest) {
        let service = r.service.as_str();
        self.git_requests
            .get_or_create(&ResultLabels {
                service,
                result: if r.ok { "ok" } else { "error" },
            })
            .inc();
        self.git_sent
            .get_or_create(&ServiceLabels { service })
            .inc_by(r.sent);
        self.git_received
            .get_or_create(&ServiceLabels { service })
            .inc_by(r.received);
        if let (true, Some(op)) = (r.ok, r.operation) {
            let labels = OperationLabels {
                operation: op.as_str(),
            };
            self.git_operations.get_or_create(&labels).inc();
            self.git_duration
                .get_or_create(&labels)
                .observe(r.elapsed.as_secs_f64());
        }
    }

    /// The site totals, from the database at most every [`TOTALS_TTL`].
    async fn totals(
        &self,
        store: &hatchery_store::Store,
    ) -> Result<hatchery_store::SiteCounts, hatchery_store::StoreError> {
        if let Ok(cached) = self.totals.lock()
            && let Some((at, counts)) = cached.as_ref()
            && at.elapsed() < TOTALS_TTL
        {
            return Ok(*counts);
        }
        let counts = store.site_counts().await?;
        if let Ok(mut cached) = self.totals.lock() {
            *cached = Some((Instant::now(), counts));
        }
        Ok(counts)
    }
}

/// `Some(response)` refusing the request when a token is configured and the request does
/// not carry it. Digests are compared, so the time taken tells nothing about the token.
fn refuse_without_token(expected: Option<&str>, headers: &HeaderMap) -> Option<Response> {
    let expected = expected?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    if given.is_some_and(|g| Sha256::digest(g.as_bytes()) == Sha256::digest(expected.as_bytes())) {
        return None;
    }
    let mut response = (StatusCode::UNAUTHORIZED, "unauthorized\n").into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"metrics\""),
    );
    Some(response)
}

fn secs(ms: i64) -> f64 {
    // Unix milliseconds are far below 2^53: the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let s = ms as f64 / 1000.0;
    s
}

fn gauge_i64(registry: &mut Registry, name: &str, help: &str, value: i64) {
    let g = Gauge::<i64>::default();
    g.set(value);
    registry.register(name, help, g);
}

/// The families read when scraped.
async fn scrape_time_registry(state: &AppState) -> Registry {
    let mut r = Registry::with_prefix("hatchery");

    let info = Family::<Vec<(String, String)>, Gauge>::default();
    info.get_or_create(&vec![(
        "version".to_owned(),
        env!("CARGO_PKG_VERSION").to_owned(),
    )])
    .set(1);
    r.register("build_info", "The running version (always 1)", info);
    let uptime = Gauge::<f64, AtomicU64>::default();
    uptime.set(state.forge.started.elapsed().as_secs_f64());
    r.register(
        "uptime_seconds",
        "Seconds since this server started",
        uptime,
    );

    let pool = state.store.pool_stats();
    let connections = Family::<StateLabels, Gauge>::default();
    connections
        .get_or_create(&StateLabels { state: "idle" })
        .set(i64::from(pool.idle));
    connections
        .get_or_create(&StateLabels { state: "in_use" })
        .set(i64::from(pool.open.saturating_sub(pool.idle)));
    r.register(
        "db_pool_connections",
        "Open database connections, idle or in use",
        connections,
    );
    gauge_i64(
        &mut r,
        "db_pool_size",
        "Open database connections",
        i64::from(pool.open),
    );
    gauge_i64(
        &mut r,
        "db_pool_idle",
        "Idle database connections",
        i64::from(pool.idle),
    );
    gauge_i64(
        &mut r,
        "db_pool_max",
        "The most database connections the pool opens (database.max_connections)",
        i64::from(pool.max),
    );

    let runs = Family::<JobLabels, Counter>::default();
    let errors = Family::<JobLabels, Counter>::default();
    let failing = Family::<JobLabels, Gauge>::default();
    let last_run = Family::<JobLabels, Gauge<f64, AtomicU64>>::default();
    let next_run = Family::<JobLabels, Gauge<f64, AtomicU64>>::default();
    for job in state.forge.jobs.snapshot() {
        let labels = JobLabels {
            job: job.job.as_str(),
        };
        runs.get_or_create(&labels).inc_by(job.runs);
        errors.get_or_create(&labels).inc_by(job.errors);
        failing.get_or_create(&labels).set(i64::from(job.failing));
        if let Some(t) = job.last_finished {
            last_run.get_or_create(&labels).set(secs(t));
        }
        if let Some(t) = job.next_run {
            next_run.get_or_create(&labels).set(secs(t));
        }
    }
    r.register(
        "job_runs",
        "Rounds of each background job finished since this server started",
        runs,
    );
    r.register("job_errors", "Of those, rounds that failed", errors);
    r.register("job_failing", "1 when the job's last round failed", failing);
    r.register(
        "job_last_run_timestamp_seconds",
        "When the job's last round ended (unix time)",
        last_run,
    );
    r.register(
        "job_next_run_timestamp_seconds",
        "When the job runs next at the latest (unix time)",
        next_run,
    );

    let deliveries = Family::<OutcomeLabels, Counter>::default();
    for (outcome, n) in state.forge.jobs.deliveries() {
        deliveries
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc_by(n);
    }
    r.register(
        "webhook_deliveries",
        "Webhook delivery attempts made by this server: delivered (2xx), retrying (failed, \
         another attempt scheduled), failed (the last attempt failed or the destination is \
         refused)",
        deliveries,
    );

    match state.metrics.totals(&state.store).await {
        Ok(c) => {
            gauge_i64(
                &mut r,
                "webhook_queue_depth",
                "Webhook deliveries waiting to be sent (site-wide)",
                c.pending_deliveries,
            );
            gauge_i64(&mut r, "users", "User accounts", c.users);
            gauge_i64(&mut r, "organizations", "Organizations", c.orgs);
            gauge_i64(&mut r, "repositories", "Repositories", c.repos);
            gauge_i64(&mut r, "issues", "Issues (not pull requests)", c.issues);
            gauge_i64(&mut r, "pulls", "Pull requests", c.pulls);
        }
        Err(e) => {
            // The rest still tells what is going on; the missing totals say the database
            // did not answer.
            tracing::warn!(error = %e, "site totals for /metrics failed");
        }
    }
    r
}

/// `GET /metrics` (routed only when `metrics.enabled`).
pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refused) = refuse_without_token(state.cfg.metrics.token.as_deref(), &headers) {
        return refused;
    }
    let dynamic = scrape_time_registry(&state).await;
    let mut text = String::with_capacity(16 * 1024);
    let encoded =
        prometheus_client::encoding::text::encode_registry(&mut text, &state.metrics.registry)
            .and_then(|()| prometheus_client::encoding::text::encode_registry(&mut text, &dynamic))
            .and_then(|()| prometheus_client::encoding::text::encode_eof(&mut text));
    if let Err(e) = encoded {
        tracing::error!(error = %e, "encoding /metrics failed");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_required_when_configured() {
        let mut h = HeaderMap::new();
        assert!(refuse_without_token(None, &h).is_none(), "no token: open");
        assert!(refuse_without_token(Some("s3cret"), &h).is_some());
        h.insert(header::AUTHORIZATION, "Bearer wrong".parse().unwrap());
        assert!(refuse_without_token(Some("s3cret"), &h).is_some());
        h.insert(header::AUTHORIZATION, "Basic s3cret".parse().unwrap());
        assert!(refuse_without_token(Some("s3cret"), &h).is_some());
        h.insert(header::AUTHORIZATION, "bearer s3cret".parse().unwrap());
        assert!(refuse_without_token(Some("s3cret"), &h).is_none());
    }

    #[test]
    fn methods_are_bounded() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").unwrap()),
            "OTHER"
        );
    }
}
