//! `/metrics`: 404 unless enabled; with a token, 401 without it or with a wrong one; with
//! the right one, the OpenMetrics text with every family; labels are route templates, so
//! the names of private repositories never appear. On every backend.

mod support;

use axum::http::StatusCode;
use hatchery_service::jobs::Job;
use support::TestApp;

const TOKEN: &str = "scrape-token-0123456789";

#[tokio::test]
async fn metrics_are_not_found_unless_enabled() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        let r = app.get("/metrics").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}]");
        let r = app
            .get_with("/metrics", &[("authorization", &format!("Bearer {TOKEN}"))])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}]");
    }
}

#[tokio::test]
async fn the_token_is_enforced() {
    let apps = TestApp::all_with(|cfg| {
        cfg.metrics.enabled = true;
        cfg.metrics.token = Some(TOKEN.to_owned());
    })
    .await;
    for mut app in apps {
        let label = app.label().to_owned();
        let r = app.get("/metrics").await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "[{label}] missing token"
        );
        assert!(
            r.headers
                .get("www-authenticate")
                .is_some_and(|v| v.to_str().unwrap().starts_with("Bearer")),
            "[{label}] challenge"
        );
        for wrong in [
            "Bearer wrong-token",
            &format!("Basic {TOKEN}"),
            &format!("Bearer {TOKEN}x"),
        ] {
            let r = app.get_with("/metrics", &[("authorization", wrong)]).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] {wrong}");
            assert!(!r.body.contains("hatchery_"), "[{label}] nothing leaks");
        }
        let r = app
            .get_with("/metrics", &[("authorization", &format!("Bearer {TOKEN}"))])
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
    }
}

#[tokio::test]
async fn every_family_is_there_and_private_names_are_not() {
    let apps = TestApp::all_with(|cfg| {
        cfg.metrics.enabled = true;
        cfg.metrics.token = Some(TOKEN.to_owned());
    })
    .await;
    for mut app in apps {
        let label = app.label().to_owned();
        app.sign_up("owner").await;
        let r = app
            .post_form(
                "/repo/create",
                &[
                    ("owner", "owner"),
                    ("name", "secret-plans"),
                    ("private", "on"),
                    ("init_readme", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        // The owner browses it; a stranger is told it does not exist; git is asked too.
        assert_eq!(
            app.get("/owner/secret-plans").await.status,
            StatusCode::OK,
            "[{label}]"
        );
        assert_eq!(
            app.get("/owner/secret-plans/commits/main").await.status,
            StatusCode::OK,
            "[{label}]"
        );
        let mut stranger = app.new_client();
        assert_eq!(
            stranger.get("/owner/secret-plans").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            stranger
                .get("/owner/secret-plans/info/refs?service=git-upload-pack")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            stranger.get("/no/such/page/here").await.status,
            StatusCode::NOT_FOUND
        );
        let basic = format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("owner:{}", support::PASSWORD)
            )
        );
        let r = app
            .get_with(
                "/owner/secret-plans/info/refs?service=git-upload-pack",
                &[("authorization", &basic)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);

        // A round of the hourly upkeep, as its loop reports it.
        let jobs = &app.state.forge.jobs;
        jobs.started(Job::Upkeep, 1_700_000_000_000);
        jobs.finished(
            Job::Upkeep,
            1_700_000_001_000,
            Some("disk full".into()),
            Some(1_700_003_601_000),
        );

        let r = app
            .get_with("/metrics", &[("authorization", &format!("Bearer {TOKEN}"))])
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/openmetrics-text"),
            "[{label}]"
        );
        let text = &r.body;
        for family in [
            "# TYPE hatchery_http_requests counter",
            "# TYPE hatchery_http_request_duration_seconds histogram",
            "# TYPE hatchery_git_requests counter",
            "# TYPE hatchery_git_operations counter",
            "# TYPE hatchery_git_operation_duration_seconds histogram",
            "# TYPE hatchery_git_sent_bytes counter",
            "# TYPE hatchery_git_received_bytes counter",
            "# TYPE hatchery_db_pool_size gauge",
            "# TYPE hatchery_db_pool_idle gauge",
            "# TYPE hatchery_job_runs counter",
            "# TYPE hatchery_job_errors counter",
            "# TYPE hatchery_job_last_run_timestamp_seconds gauge",
            "# TYPE hatchery_webhook_deliveries counter",
            "# TYPE hatchery_webhook_queue_depth gauge",
            "# TYPE hatchery_users gauge",
            "# TYPE hatchery_repositories gauge",
            "# TYPE hatchery_issues gauge",
            "# TYPE hatchery_pulls gauge",
            "# EOF",
        ] {
            assert!(text.contains(family), "[{label}] {family} missing:\n{text}");
        }
        for sample in [
            "hatchery_users 1",
            "hatchery_repositories 1",
            "hatchery_http_requests_total{method=\"GET\",route=\"/{owner}/{repo}\",status=\"200\"} 1",
            "hatchery_http_requests_total{method=\"GET\",route=\"/{owner}/{repo}\",status=\"404\"} 1",
            "hatchery_http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\"} 1",
            "hatchery_http_requests_total{method=\"GET\",route=\"/{owner}/{repo}/commits/{*rest}\",status=\"200\"} 1",
            "hatchery_git_requests_total{service=\"info-refs\",result=\"ok\"}",
            "hatchery_job_runs_total{job=\"upkeep\"} 1",
            "hatchery_job_errors_total{job=\"upkeep\"} 1",
            "hatchery_job_failing{job=\"upkeep\"} 1",
            "hatchery_job_last_run_timestamp_seconds{job=\"upkeep\"} 1700000001.0",
            "hatchery_job_runs_total{job=\"votes\"} 0",
            "hatchery_webhook_deliveries_total{outcome=\"delivered\"} 0",
        ] {
            assert!(text.contains(sample), "[{label}] {sample} missing:\n{text}");
        }
        for private in ["secret-plans", "owner/", "no/such"] {
            assert!(
                !text.contains(private),
                "[{label}] {private} appears:\n{text}"
            );
        }
    }
}
