//! Sign up, sign in, sessions, settings and throttling through the real router, on every
//! database backend.

mod support;

use axum::http::StatusCode;
use support::{PASSWORD, TestApp};

#[tokio::test]
async fn first_account_becomes_admin_and_later_ones_do_not() {
    for mut app in TestApp::all().await {
        let r = app.sign_up("Li.Wei").await;
        assert_eq!(r.location(), "/");
        let home = app.get("/").await;
        home.assert_contains("Hello, Li.Wei");
        home.assert_contains("id=\"admin-note\"");
        home.assert_contains("As the first account on this site");

        let mut other = app.new_client();
        other.sign_up("ana").await;
        let home = other.get("/").await;
        home.assert_contains("Hello, ana");
        assert!(
            !home.body.contains("admin-note"),
            "[{}] second user is not admin",
            app.label()
        );
    }
}

#[tokio::test]
async fn sign_up_refuses_bad_input_and_keeps_what_was_typed() {
    for mut app in TestApp::all().await {
        app.sign_up("taken").await;
        let mut c = app.new_client();
        type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, &'a str);
        let cases: &[Case] = &[
            (
                &[
                    ("username", "admin"),
                    ("email", "a@b.cn"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
                StatusCode::UNPROCESSABLE_ENTITY,
                "This name is reserved",
            ),
            (
                &[
                    ("username", "a b"),
                    ("email", "a@b.cn"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
                StatusCode::UNPROCESSABLE_ENTITY,
                "Use only letters",
            ),
            (
                &[
                    ("username", &"x".repeat(40)),
                    ("email", "a@b.cn"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
                StatusCode::UNPROCESSABLE_ENTITY,
                "Use at most 39 characters",
            ),
            (
                &[
                    ("username", "bob"),
                    ("email", "not-an-email"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
                StatusCode::UNPROCESSABLE_ENTITY,
                "valid email",
            ),
            (
                &[
                    ("username", "bob"),
                    ("email", "bob@b.cn"),
                    ("password", "short"),
                    ("password_confirm", "short"),
                ],
                StatusCode::UNPROCESSABLE_ENTITY,
                "at least 8 characters",
            ),
            (
                &[
                    ("username", "bob"),
                    ("email", "bob@b.cn"),
                    ("password", PASSWORD),
                    ("password_confirm", "other password"),
                ],
                StatusCode::UNPROCESSABLE_ENTITY,
                "do not match",
            ),
            (
                &[
                    ("username", "TAKEN"),
                    ("email", "new@b.cn"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
                StatusCode::CONFLICT,
                "already taken",
            ),
            (
                &[
                    ("username", "bob"),
                    ("email", "TAKEN@example.edu.cn"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
                StatusCode::CONFLICT,
                "already used by another account",
            ),
        ];
        for (fields, status, message) in cases {
            let r = c.post_form("/user/sign_up", fields).await;
            assert_eq!(
                r.status,
                *status,
                "[{}] {fields:?}: {}",
                app.label(),
                r.body
            );
            r.assert_contains(message);
            r.assert_contains("class=\"field has-error\"");
            // What was typed comes back, except passwords.
            let username = fields[0].1;
            if !username.contains(' ') {
                r.assert_contains(&format!("value=\"{username}\""));
            }
            assert!(
                !r.body.contains(PASSWORD),
                "[{}] a password was echoed",
                app.label()
            );
        }
        // Nothing was created by the refused attempts.
        assert_eq!(
            app.store.count_users().await.ok(),
            Some(1),
            "[{}]",
            app.label()
        );
    }
}

#[tokio::test]
async fn sign_up_can_be_turned_off() {
    for mut app in TestApp::all_with(|c| c.allow_signup = false).await {
        let page = app.get("/user/sign_up").await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        page.assert_contains("Sign-up is disabled");
        let r = app
            .post_form(
                "/user/sign_up",
                &[
                    ("username", "x"),
                    ("email", "x@y.cn"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(
            !app.get("/").await.body.contains("/user/sign_up"),
            "no sign-up link when it is off"
        );
        assert_eq!(app.store.count_users().await.ok(), Some(0));
    }
}

#[tokio::test]
async fn sign_in_and_out_with_server_side_sessions() {
    for mut app in TestApp::all().await {
        app.sign_up("carol").await;
        app.logout().await;
        assert!(
            app.cookie(hatchery_web::SESSION_COOKIE).is_none(),
            "[{}] cookie cleared",
            app.label()
        );
        assert!(!app.get("/").await.body.contains("Hello, carol"));

        // Wrong password: a clear message, no session.
        let r = app.login("carol", "wrong password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        r.assert_contains("Incorrect user name, email or password");
        r.assert_contains("value=\"carol\"");

        // By email, case-insensitively, returning to `next`.
        let r = app
            .post_form(
                "/user/login",
                &[
                    ("login", "CAROL@example.edu.cn"),
                    ("password", PASSWORD),
                    ("next", "/user/settings"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.label(),
            r.body
        );
        assert_eq!(r.location(), "/user/settings");
        let session = app
            .cookie(hatchery_web::SESSION_COOKIE)
            .cloned()
            .expect("session cookie");
        assert!(
            r.set_cookies()
                .iter()
                .any(|c| c.starts_with("hatchery_session=")
                    && c.contains("HttpOnly")
                    && c.contains("SameSite=Lax"))
        );

        // An off-site `next` is ignored.
        let mut other = app.new_client();
        let r = other
            .post_form(
                "/user/login",
                &[
                    ("login", "carol"),
                    ("password", PASSWORD),
                    ("next", "//evil.example/"),
                ],
            )
            .await;
        assert_eq!(r.location(), "/");

        // Sign-out ends the session on the server: the old cookie no longer works.
        app.logout().await;
        let mut replay = app.new_client();
        replay.set_cookie(hatchery_web::SESSION_COOKIE, &session);
        let home = replay.get("/").await;
        assert!(
            !home.body.contains("Hello, carol"),
            "[{}] replayed session still valid",
            app.label()
        );
    }
}

#[tokio::test]
async fn session_id_changes_at_sign_in() {
    for mut app in TestApp::all().await {
        app.sign_up("dave").await;
        let first = app.cookie(hatchery_web::SESSION_COOKIE).cloned();
        let r = app.login("dave", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let second = app.cookie(hatchery_web::SESSION_COOKIE).cloned();
        assert!(
            first.is_some() && second.is_some() && first != second,
            "[{}] session id rotated",
            app.label()
        );
        // The pre-sign-in id is dead.
        let mut old = app.new_client();
        old.set_cookie(hatchery_web::SESSION_COOKIE, first.as_deref().unwrap_or(""));
        assert!(!old.get("/").await.body.contains("Hello, dave"));
    }
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account() {
    for mut app in TestApp::all_with(|c| c.max_failed_logins = 3).await {
        app.sign_up("erin").await;
        app.logout().await;
        for _ in 0..3 {
            assert_eq!(
                app.login("erin", "nope nope nope").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        // Locked even with the right password, from any client.
        let mut other = app.new_client();
        let r = other.login("ERIN", PASSWORD).await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{}] {}",
            app.label(),
            r.body
        );
        r.assert_contains("Too many failed sign-in attempts");
        // Another account is not affected.
        let mut third = app.new_client();
        third.sign_up("frank").await;
        third.logout().await;
        assert_eq!(
            third.login("frank", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn settings_change_profile_language_and_password() {
    for mut app in TestApp::all().await {
        app.sign_up("gina").await;
        let page = app.get("/user/settings").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains("value=\"gina@example.edu.cn\"");

        let r = app
            .post_form(
                "/user/settings",
                &[
                    ("display_name", "Gina 李"),
                    ("email", "gina@inst.ac.cn"),
                    ("language", "zh-CN"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.label(),
            r.body
        );
        let page = app.get("/user/settings").await;
        page.assert_contains("<html lang=\"zh-CN\">");
        page.assert_contains("您的设置已保存");
        page.assert_contains("value=\"Gina 李\"");
        page.assert_contains("value=\"gina@inst.ac.cn\"");

        let r = app
            .post_form(
                "/user/settings",
                &[("display_name", ""), ("email", "bad"), ("language", "fr")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("请输入有效的邮箱地址");
        r.assert_contains("不支持该语言");

        // Password: the current one must be right, the new one must be acceptable.
        let r = app
            .post_form(
                "/user/settings/password",
                &[
                    ("current_password", "wrong"),
                    ("new_password", "new password 1"),
                    ("new_password_confirm", "new password 1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = app
            .post_form(
                "/user/settings/password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", "new"),
                    ("new_password_confirm", "new"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .post_form(
                "/user/settings/password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", "new password 1"),
                    ("new_password_confirm", "new password 1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.logout().await;
        assert_eq!(
            app.login("gina", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.login("gina", "new password 1").await.status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn email_taken_by_another_account_is_refused_in_settings() {
    for mut app in TestApp::all().await {
        app.sign_up("hank").await;
        let mut other = app.new_client();
        other.sign_up("ivy").await;
        let r = other
            .post_form(
                "/user/settings",
                &[
                    ("display_name", ""),
                    ("email", "HANK@example.edu.cn"),
                    ("language", ""),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "[{}] {}",
            app.label(),
            r.body
        );
        r.assert_contains("already used by another account");
    }
}

#[tokio::test]
async fn pages_for_signed_in_people_send_visitors_to_sign_in() {
    for mut app in TestApp::all().await {
        for path in ["/user/settings", "/org/create"] {
            let r = app.get(path).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
            assert!(
                r.location().starts_with("/user/login?next="),
                "{path}: {}",
                r.location()
            );
        }
        let r = app.post_form("/org/create", &[("name", "x")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn profile_pages() {
    for mut app in TestApp::all().await {
        app.sign_up("jack").await;
        let mut visitor = app.new_client();
        let r = visitor.get("/jack").await;
        assert_eq!(r.status, StatusCode::OK);
        r.assert_contains("jack");
        r.assert_contains("Site administrator");
        let r = visitor.get("/JACK").await;
        assert_eq!(r.status, StatusCode::OK, "names are case-insensitive");
        let r = visitor.get("/nobody").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        r.assert_contains("Page not found");
    }
}
