//! "New migration" through the real router on every backend: the form in both languages,
//! CSRF, refusals shown on the form (a local path, a host the network policy refuses, a
//! bad name, a taken name), and an import started from the page whose progress and error
//! the repository page shows, with "resume" for its administrators only.

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use hatchery_core::netpolicy::AllowedHosts;
use support::{TestApp, encode, main_of};

/// A loopback port nothing listens on: imports from it fail at once.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

fn fields<'a>(service: &'a str, addr: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("service", service),
        ("clone_addr", addr),
        ("owner", "ada"),
        ("repo_name", name),
        ("issues", "on"),
        ("labels", "on"),
    ]
}

#[tokio::test]
async fn the_form_refuses_what_cannot_be_imported() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let mut anonymous = app.new_client();
        let r = anonymous.get("/repo/migrate").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] sign-in first");

        app.sign_up("ada").await;
        let r = app.get("/repo/migrate").await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        for id in [
            "id=\"migrate-form\"",
            "name=\"clone_addr\"",
            "name=\"auth_token\"",
            "name=\"mirror\"",
            "value=\"gitee\"",
            "value=\"gitlab\"",
        ] {
            r.assert_contains(id);
        }
        let zh = app
            .get_with("/repo/migrate", &[("accept-language", "zh-CN")])
            .await;
        zh.assert_contains("迁移仓库");
        zh.assert_contains("访问令牌");
        let create = app.get("/repo/create").await;
        create.assert_contains("href=\"/repo/migrate\"");

        // No CSRF token: refused, nothing made.
        let r = app
            .post_raw(
                "/repo/migrate",
                &encode(&fields("git", "https://example.org/a/b.git", "nocsrf")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        // A local path and file:// would read the server's own files.
        for addr in ["/etc/passwd", "file:///srv/repos/x.git"] {
            let r = app
                .post_form("/repo/migrate", &fields("git", addr, "local"))
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}] {addr}");
            r.assert_contains("Give the http:// or https:// address of a repository");
        }
        // Loopback is refused by the default network policy.
        let r = app
            .post_form(
                "/repo/migrate",
                &fields("gitea", "http://127.0.0.1:3000/a/b.git", "loop"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("migrations.allowed_hosts");
        let r = app
            .post_form(
                "/repo/migrate",
                &fields("github", "https://github.com/a/b", "bad name!"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        let r = app
            .post_form(
                "/repo/migrate",
                &fields("nowhere", "https://github.com/a/b", "svc"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("Choose one of the sources listed");
        let mut f = fields("git", "https://github.com/a/b", "creds");
        f[1] = ("clone_addr", "https://user:secret@github.com/a/b");
        let r = app.post_form("/repo/migrate", &f).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("Leave credentials out of the address");
        // A mirror with an interval under ten minutes.
        let mut f = fields("git", "https://github.com/a/b", "fast");
        f.push(("mirror", "on"));
        f.push(("mirror_interval", "1m"));
        let r = app.post_form("/repo/migrate", &f).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("Give an interval like 8h");
        // Another user's account is not an owner ada may choose.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut f = fields("git", "https://github.com/a/b", "theirs");
        f[2] = ("owner", "bob");
        let r = app.post_form("/repo/migrate", &f).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        let none = app.get("/ada/nocsrf").await;
        assert_eq!(none.status, StatusCode::NOT_FOUND, "[{l}] nothing was made");
    }
}

#[tokio::test]
async fn a_started_import_shows_its_progress_and_error_on_the_repository() {
    let allow = |c: &mut hatchery_web::WebConfig| {
        c.migrations_allowed_hosts = AllowedHosts::parse("loopback").expect("hosts");
    };
    for mut app in TestApp::all_with(allow).await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let port = closed_port().await;
        let addr = format!("http://127.0.0.1:{port}/team/tool.git");
        let r = app
            .post_form("/repo/migrate", &fields("gitea", &addr, "tool"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(r.location(), "/ada/tool", "[{l}]");
        // The name is taken now: the form says so.
        let again = app
            .post_form("/repo/migrate", &fields("gitea", &addr, "tool"))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "[{l}]");

        // The source cannot be reached: the import stops, and the page says why.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let page = loop {
            let page = app.get("/ada/tool").await;
            assert_eq!(page.status, StatusCode::OK, "[{l}]");
            if page.body.contains("id=\"import-error\"") {
                break page;
            }
            page.assert_contains("id=\"import-progress\"");
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{l}] the import never failed: {}",
                page.body
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let main = main_of(&page.body);
        assert!(main.contains(&addr), "[{l}] {main}");
        assert!(main.contains("stopped on an error"), "[{l}] {main}");
        assert!(
            main.contains("/ada/tool/migration/resume"),
            "[{l}] the administrator may resume"
        );
        assert!(
            !main.contains("data-reload-after"),
            "[{l}] a stopped import does not reload the page"
        );

        // Another person sees where it stands, but no resume button, and may not resume.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let theirs = bob.get("/ada/tool").await;
        theirs.assert_contains("id=\"import-error\"");
        assert!(
            !main_of(&theirs.body).contains("/migration/resume"),
            "[{l}]"
        );
        let r = bob.post_form("/ada/tool/migration/resume", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        let r = app.post_form("/ada/tool/migration/resume", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert_eq!(r.location(), "/ada/tool", "[{l}]");
        let zh = app
            .get_with("/ada/tool", &[("accept-language", "zh-CN")])
            .await;
        zh.assert_contains("正在迁移自");
    }
}
