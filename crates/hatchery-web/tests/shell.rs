//! The web shell: CSRF, languages, error pages, assets, health, limits and headers.

mod support;

use axum::http::StatusCode;
use support::{PASSWORD, TestApp, encode};

#[tokio::test]
async fn every_state_changing_form_needs_a_valid_csrf_token() {
    for mut app in TestApp::all().await {
        app.sign_up("csrf-user").await;
        let token = app.cookie("hatchery_csrf").cloned().unwrap_or_default();
        let posts: &[(&str, &[(&str, &str)])] = &[
            ("/user/logout", &[]),
            ("/user/settings", &[("email", "x@y.cn")]),
            ("/user/settings/password", &[("current_password", PASSWORD)]),
            ("/org/create", &[("name", "csrf-org")]),
            ("/language", &[("lang", "zh-CN")]),
            (
                "/user/login",
                &[("login", "csrf-user"), ("password", PASSWORD)],
            ),
            (
                "/user/sign_up",
                &[
                    ("username", "z"),
                    ("email", "z@z.cn"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            ),
        ];
        for (path, fields) in posts {
            // No token at all.
            let r = app.post_raw(path, &encode(fields)).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "[{}] {path} without token",
                app.label()
            );
            r.assert_contains("This form has expired or did not come from this site");
            // A token that does not match the cookie.
            let mut with_wrong: Vec<(&str, &str)> = vec![("_csrf", "0000.1111")];
            with_wrong.extend_from_slice(fields);
            assert_eq!(
                app.post_raw(path, &encode(&with_wrong)).await.status,
                StatusCode::FORBIDDEN,
                "{path} wrong token"
            );
        }
        // A valid token copied into a request from a client without the cookie (another
        // site's form) fails too.
        let mut attacker = app.new_client();
        let r = attacker
            .post_raw(
                "/org/create",
                &encode(&[("_csrf", &token), ("name", "evil")]),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Nothing above changed anything.
        assert!(
            app.store
                .org_by_name("csrf-org")
                .await
                .ok()
                .flatten()
                .is_none()
        );
        assert!(
            app.get("/").await.body.contains("Hello, csrf-user"),
            "still signed in"
        );
    }
}

#[tokio::test]
async fn language_comes_from_setting_then_cookie_then_accept_language() {
    for mut app in TestApp::all().await {
        let r = app
            .get_with("/", &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")])
            .await;
        r.assert_contains("<html lang=\"zh-CN\">");
        r.assert_contains("代码与社区");
        let r = app
            .get_with("/", &[("accept-language", "fr-FR,de;q=0.8")])
            .await;
        r.assert_contains("<html lang=\"en\">");

        // The switcher for visitors: a cookie that beats Accept-Language.
        let r = app
            .post_form("/language", &[("lang", "zh-CN"), ("next", "/user/login")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/user/login");
        let r = app
            .get_with("/user/login", &[("accept-language", "en")])
            .await;
        r.assert_contains("<html lang=\"zh-CN\">");
        r.assert_contains("用户名或邮箱");
        let r = app.post_form("/language", &[("lang", "klingon")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = app
            .post_form(
                "/language",
                &[("lang", "en"), ("next", "https://evil.example/")],
            )
            .await;
        assert_eq!(r.location(), "/");

        // A signed-in person's choice is saved to their account and follows them.
        app.sign_up("lang-user").await;
        app.post_form("/language", &[("lang", "zh-CN")]).await;
        let mut elsewhere = app.new_client();
        elsewhere.login("lang-user", PASSWORD).await;
        elsewhere
            .get("/")
            .await
            .assert_contains("<html lang=\"zh-CN\">");
    }
}

#[tokio::test]
async fn error_pages_are_localized_and_never_show_internals() {
    for mut app in TestApp::all().await {
        let r = app.get("/no/such/page/here").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        r.assert_contains("Page not found");
        r.assert_contains("<html lang=\"en\">");
        let r = app
            .get_with("/org/missing/members", &[("accept-language", "zh-CN")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        r.assert_contains("页面不存在");
        // Wrong method.
        let r = app.post_form("/org/create/../../x", &[]).await;
        assert!(r.status.is_client_error());
        let r = app
            .send(
                axum::http::Request::delete("/user/settings")
                    .body(axum::body::Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "unsafe method without a token is refused first"
        );
        // A malformed form body.
        app.get("/").await;
        let token = app.cookie("hatchery_csrf").cloned().unwrap_or_default();
        let r = app
            .post_raw("/language", &format!("_csrf={token}&next=%2F"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        r.assert_contains("The submitted form was incomplete or malformed");
        assert!(
            !r.body.contains("Failed to deserialize"),
            "no internals: {}",
            r.body
        );
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    for mut app in TestApp::all_with(|c| c.max_form_bytes = 4096).await {
        app.get("/").await;
        let token = app.cookie("hatchery_csrf").cloned().unwrap_or_default();
        let big = "x".repeat(10_000);
        let r = app
            .post_raw(
                "/org/create",
                &encode(&[("_csrf", &token), ("name", "o"), ("description", &big)]),
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        r.assert_contains("larger than this site accepts");
    }
}

#[tokio::test]
async fn assets_are_embedded_with_hashed_urls_and_long_cache() {
    for mut app in TestApp::all().await {
        let home = app.get("/").await;
        let start = home.body.find("/assets/app.").expect("css link");
        let end = home.body[start..].find('"').expect("end of url") + start;
        let url = home.body[start..end].to_owned();
        let css = app.get(&url).await;
        assert_eq!(css.status, StatusCode::OK);
        assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
        assert!(
            css.headers["cache-control"]
                .to_str()
                .unwrap_or("")
                .contains("immutable")
        );
        assert!(css.body.contains("prefers-color-scheme: dark"));
        assert_eq!(
            app.get("/assets/app.css").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get("/assets/../Cargo.toml").await.status,
            StatusCode::NOT_FOUND
        );
        // Nothing on any page comes from another site.
        for page in ["/", "/user/login", "/user/sign_up"] {
            let body = app.get(page).await.body;
            assert!(
                !body.contains("src=\"http") && !body.contains("href=\"http"),
                "{page} loads something external"
            );
        }
    }
}

#[tokio::test]
async fn security_headers_and_cookie_flags() {
    for mut app in TestApp::all().await {
        let r = app.get("/").await;
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert!(
            r.headers["content-security-policy"]
                .to_str()
                .unwrap_or("")
                .contains("default-src 'self'")
        );
        let cookie = r
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("hatchery_csrf="))
            .expect("csrf cookie");
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && !cookie.contains("Secure")
        );
    }
    for mut app in TestApp::all_with(|c| c.public_url = "https://git.example.edu.cn/".into()).await
    {
        let r = app.sign_up("secure-user").await;
        assert!(
            r.set_cookies().iter().all(|c| c.contains("Secure")),
            "{:?}",
            r.set_cookies()
        );
    }
}

#[tokio::test]
async fn health_check_reports_the_database() {
    for mut app in TestApp::all().await {
        let r = app.get("/api/healthz").await;
        assert_eq!(r.status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(json["status"], "pass");
        assert_eq!(json["checks"]["database:ping"][0]["status"], "pass");

        app.sign_up("down-user").await;
        app.store.close().await;
        let r = app.get("/api/healthz").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(json["status"], "fail");
        assert_eq!(json["checks"]["database:ping"][0]["status"], "fail");
        // Pages say the database is unavailable, with no internals.
        let r = app.get("/").await;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "[{}] {}",
            app.label(),
            r.body
        );
        r.assert_contains("cannot reach its database");
        let mut visitor = app.new_client();
        let r = visitor
            .post_form("/user/login", &[("login", "x"), ("password", PASSWORD)])
            .await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            !r.body.to_lowercase().contains("sqlx") && !r.body.contains("pool"),
            "{}",
            r.body
        );
    }
}

#[tokio::test]
async fn flash_messages_show_once() {
    for mut app in TestApp::all().await {
        app.sign_up("flash-user").await;
        app.get("/").await.assert_contains("Welcome!");
        assert!(!app.get("/").await.body.contains("Welcome!"));
        // A forged flash cookie shows nothing it should not.
        app.set_cookie("hatchery_flash", "error:<script>alert(1)</script>");
        let r = app.get("/").await;
        assert!(!r.body.contains("<script>alert"));
    }
}

#[tokio::test]
async fn robots_txt_keeps_crawlers_off_the_expensive_pages() {
    for mut app in TestApp::all().await {
        let r = app.get("/robots.txt").await;
        assert_eq!(r.status, StatusCode::OK, "[{}]", app.label());
        assert!(
            r.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/plain")),
            "[{}]",
            app.label()
        );
        for line in [
            "User-agent: *",
            "Disallow: /*/*/blame/",
            "Disallow: /*/*/archive/",
            "Disallow: /*/*/compare",
            "Disallow: /*/*/commits/",
        ] {
            assert!(
                r.body.lines().any(|l| l == line),
                "[{}] {line}",
                app.label()
            );
        }
        assert!(
            !r.body.lines().any(|l| l == "Disallow: /"),
            "[{}]",
            app.label()
        );
    }
}
