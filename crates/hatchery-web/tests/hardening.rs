//! What an attacker tries, through the real router on every database backend: redirects
//! off the site after sign-in, pages framed by another site, NUL bytes and other invalid
//! input, lockouts of other people's accounts, sessions that outlive a password change,
//! and CSRF tokens carried over from another session.

mod support;

use axum::http::StatusCode;
use support::{PASSWORD, TestApp};

/// `next` values that browsers resolve to another site, or that hold control characters.
const EVIL_NEXT: &[&str] = &[
    "/\t/evil.com",
    "/\t\\evil.com",
    "/\t/\t/evil.com",
    "/\n/evil.com",
    "\\/evil.com",
    "//evil.com",
    "https://evil.com",
    "/\0x",
    "/\u{1}x",
    "/\u{b}x",
    "/\u{c}x",
];

#[tokio::test]
async fn sign_in_and_language_switch_never_redirect_off_site() {
    for mut app in TestApp::all().await {
        app.sign_up("rita").await;
        app.logout().await;
        for next in EVIL_NEXT {
            let mut c = app.new_client();
            let r = c
                .post_form(
                    "/user/login",
                    &[("login", "rita"), ("password", PASSWORD), ("next", next)],
                )
                .await;
            assert_eq!(
                (r.status, r.location()),
                (StatusCode::SEE_OTHER, "/"),
                "[{}] sign-in with next={next:?}",
                app.label()
            );
            let r = c
                .post_form("/language", &[("lang", "zh-CN"), ("next", next)])
                .await;
            assert_eq!(
                (r.status, r.location()),
                (StatusCode::SEE_OTHER, "/"),
                "[{}] language switch with next={next:?}",
                app.label()
            );
            // The sign-in form carries only the cleaned value.
            let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            let mut visitor = app.new_client();
            let page = visitor.get(&format!("/user/login?next={encoded}")).await;
            assert_eq!(page.status, StatusCode::OK, "{next:?}");
            page.assert_contains("name=\"next\" value=\"/\"");
        }
        // A path on this site is kept, tabs dropped as a browser would.
        let mut c = app.new_client();
        let r = c
            .post_form(
                "/user/login",
                &[
                    ("login", "rita"),
                    ("password", PASSWORD),
                    ("next", "/user/\tsettings"),
                ],
            )
            .await;
        assert_eq!(r.location(), "/user/settings");
    }
}

#[tokio::test]
async fn every_html_answer_carries_the_security_headers() {
    for mut app in TestApp::all().await {
        app.sign_up("hugo").await;
        for path in [
            "/",
            "/api/swagger",
            "/api/healthz",
            "/swagger.v1.json",
            "/no/such/page",
            "/api/v1/version",
            "/hugo/none/info/refs?service=git-upload-pack",
        ] {
            let r = app.get(path).await;
            let csp = r
                .headers
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(
                csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
                "[{}] {path}: {csp:?}",
                app.label()
            );
            assert_eq!(
                r.headers
                    .get("x-frame-options")
                    .and_then(|v| v.to_str().ok()),
                Some("DENY"),
                "[{}] {path}",
                app.label()
            );
        }
    }
}
