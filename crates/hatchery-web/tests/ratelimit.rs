//! Rate limiting of the expensive anonymous pages: a tiny budget is spent, the next request
//! is 429 with `Retry-After` and a page (or JSON for the API) in the visitor's language;
//! other addresses and signed-in visitors are not affected; the budget comes back after the
//! interval (the limiter's clock is moved, nothing sleeps); behind a trusted proxy the
//! forwarded address counts. On every backend.

mod support;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hatchery_core::ratelimit::Budget;
use std::net::SocketAddr;
use std::time::Duration;
use support::{Resp, TestApp};

async fn get_from(app: &mut TestApp, path: &str, peer: &str, headers: &[(&str, &str)]) -> Resp {
    let peer: SocketAddr = peer.parse().unwrap();
    let mut req = Request::get(path).extension(ConnectInfo(peer));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

async fn apps() -> Vec<TestApp> {
    let apps = TestApp::all_with(|cfg| {
        cfg.rate_limit.enabled = true;
        cfg.rate_limit.budget = Budget {
            burst: 2,
            per_minute: 60,
        };
        cfg.trusted_proxies = hatchery_core::netpolicy::AllowedHosts::parse("loopback").unwrap();
    })
    .await;
    for app in &apps {
        let mut owner = app.new_client();
        owner.sign_up("owner").await;
        let r = owner
            .post_form(
                "/repo/create",
                &[("owner", "owner"), ("name", "demo"), ("init_readme", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    apps
}

const BLAME: &str = "/owner/demo/blame/main/README.md";

#[tokio::test]
async fn anonymous_expensive_pages_are_limited_per_address() {
    for app in apps().await {
        let label = app.label().to_owned();
        let mut anon = app.new_client();
        for _ in 0..2 {
            let r = get_from(&mut anon, BLAME, "198.51.100.7:4000", &[]).await;
            assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        }
        let r = get_from(&mut anon, BLAME, "198.51.100.7:4001", &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "[{label}]");
        assert_eq!(r.headers["retry-after"], "1", "[{label}]");
        r.assert_contains("Too many requests");
        r.assert_contains("signed-in visitors are not limited");
        // In the visitor's language.
        let r = get_from(
            &mut anon,
            "/owner/demo/compare/main...main",
            "198.51.100.7:4002",
            &[("accept-language", "zh-CN")],
        )
        .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "[{label}]");
        r.assert_contains("请求过于频繁");
        // Cheap pages are never limited.
        for path in [
            "/owner/demo",
            "/owner/demo/raw/main/README.md",
            "/owner/demo/issues",
        ] {
            let r = get_from(&mut anon, path, "198.51.100.7:4003", &[]).await;
            assert_eq!(r.status, StatusCode::OK, "[{label}] {path}");
        }
        // Another address has its own budget.
        let r = get_from(&mut anon, BLAME, "198.51.100.8:4000", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        // The budget comes back, one request per interval.
        app.state.limiter.advance(Duration::from_secs(1));
        let r = get_from(&mut anon, BLAME, "198.51.100.7:4004", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] refilled");
        let r = get_from(&mut anon, BLAME, "198.51.100.7:4005", &[]).await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{label}] one only"
        );
        // A search is limited, a plain list is not.
        let r = get_from(
            &mut anon,
            "/owner/demo/issues?q=crash",
            "198.51.100.7:4006",
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "[{label}] search");
    }
}

#[tokio::test]
async fn signed_in_visitors_are_exempt() {
    for app in apps().await {
        let label = app.label().to_owned();
        let mut reader = app.new_client();
        reader.sign_up("reader").await;
        for _ in 0..6 {
            let r = get_from(&mut reader, BLAME, "198.51.100.9:4000", &[]).await;
            assert_eq!(r.status, StatusCode::OK, "[{label}]");
        }
        // The address itself is not spent by the signed-in visitor.
        let mut anon = app.new_client();
        let r = get_from(&mut anon, BLAME, "198.51.100.9:4001", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
    }
}

#[tokio::test]
async fn the_api_answers_json_and_credentials_are_exempt() {
    for mut app in apps().await {
        let label = app.label().to_owned();
        let path = "/api/v1/repos/owner/demo/commits";
        for _ in 0..2 {
            let r = get_from(&mut app, path, "192.0.2.50:1", &[]).await;
            assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        }
        let r = get_from(&mut app, path, "192.0.2.50:1", &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "[{label}]");
        assert_eq!(r.headers["retry-after"], "1");
        let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        assert!(
            json["message"].as_str().unwrap().contains("1 seconds"),
            "[{label}] {json}"
        );
        let basic = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("owner:{}", support::PASSWORD)
            )
        );
        let r = get_from(&mut app, path, "192.0.2.50:1", &[("authorization", &basic)]).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] with credentials");
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    for mut app in apps().await {
        let label = app.label().to_owned();
        // Through the proxy on loopback: each forwarded client has its own budget.
        for client in ["203.0.113.1", "203.0.113.2"] {
            for _ in 0..2 {
                let r = get_from(
                    &mut app,
                    BLAME,
                    "127.0.0.1:5000",
                    &[("x-forwarded-for", &format!("10.9.9.9, {client}"))],
                )
                .await;
                assert_eq!(r.status, StatusCode::OK, "[{label}] {client}");
            }
        }
        let r = get_from(
            &mut app,
            BLAME,
            "127.0.0.1:5000",
            &[("x-forwarded-for", "203.0.113.1")],
        )
        .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "[{label}]");
        // An untrusted peer cannot pick its address by forging the header.
        for _ in 0..2 {
            let r = get_from(
                &mut app,
                BLAME,
                "198.51.100.20:1",
                &[("x-forwarded-for", "203.0.113.77")],
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "[{label}]");
        }
        let r = get_from(
            &mut app,
            BLAME,
            "198.51.100.20:1",
            &[("x-forwarded-for", "203.0.113.78")],
        )
        .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "[{label}] forged");
    }
}
