//! `/admin`: only site administrators see it (everyone else gets 404 on every route, POSTs
//! included); disabling users ends their sign-in, tokens, Basic auth and sessions; the last
//! administrator stays; deleting users tells and does what happens to their repositories;
//! repositories' sizes and upkeep; site settings (sign-up, announcement). On every backend.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hatchery_core::OrgRole;
use hatchery_service::{Forge, SignInPolicy};
use hatchery_store::testing::fixtures;
use hatchery_store::{User, UserChange};
use support::{TestApp, api};

async fn user(app: &TestApp, name: &str) -> Option<User> {
    app.store.user_by_name(name).await.expect("user lookup")
}

/// Every page of the administration, and every form with fields that would be accepted.
const GETS: &[&str] = &[
    "/admin",
    "/admin/users",
    "/admin/users?q=ada&page=2",
    "/admin/users/ada/delete",
    "/admin/users/nobody/delete",
    "/admin/orgs",
    "/admin/repos",
    "/admin/settings",
];

const POSTS: &[(&str, &[(&str, &str)])] = &[
    ("/admin/users/ada/disable", &[]),
    ("/admin/users/ada/enable", &[]),
    ("/admin/users/ada/admin", &[]),
    ("/admin/users/boss/unadmin", &[]),
    ("/admin/users/boss/disable", &[]),
    ("/admin/users/ada/delete", &[("confirm", "ada")]),
    ("/admin/users/boss/delete", &[("confirm", "boss")]),
    ("/admin/users/nobody/delete", &[("confirm", "nobody")]),
    ("/admin/repos/ada/lab/upkeep", &[]),
    (
        "/admin/settings",
        &[("allow_signup", ""), ("announcement", "Pwned")],
    ),
];

#[tokio::test]
async fn administration_is_not_found_for_everyone_but_administrators() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let r = ada
            .post_form("/repo/create", &[("owner", "ada"), ("name", "lab")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let mut anon = app.new_client();
        for (who, client) in [("anonymous", &mut anon), ("user", &mut ada)] {
            for url in GETS {
                let r = client.get(url).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}] {who} GET {url}");
                assert!(!r.body.contains("admin-"), "[{label}] {who} GET {url}");
            }
            for (url, fields) in POSTS {
                let r = client.post_form(url, fields).await;
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "[{label}] {who} POST {url}"
                );
            }
            let r = client.get("/").await;
            assert!(!r.body.contains("id=\"nav-admin\""), "[{label}] {who}");
        }
        // Nothing changed.
        let ada_user = user(&app, "ada").await.expect("ada is still there");
        assert!(!ada_user.is_admin && !ada_user.is_disabled, "[{label}]");
        let boss = user(&app, "boss").await.expect("boss is still there");
        assert!(boss.is_admin && !boss.is_disabled, "[{label}]");
        let r = anon.get("/").await;
        assert!(!r.body.contains("Pwned"), "[{label}]");

        // The administrator sees every page.
        for url in GETS {
            let r = app.get(url).await;
            let want = if url.contains("nobody") {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            assert_eq!(r.status, want, "[{label}] admin GET {url}: {}", r.body);
        }
        let r = app.get("/").await;
        r.assert_contains("id=\"nav-admin\"");
        let r = app.get("/admin").await;
        for id in [
            "stat-version",
            "stat-uptime",
            "stat-database-size",
            "stat-repos-disk",
            "stat-webhook-queue",
            "data-job=\"webhooks\"",
            "data-job=\"upkeep\"",
        ] {
            r.assert_contains(id);
        }
        r.assert_contains(if label.contains("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        });
        // Two users, one repository.
        r.assert_contains(
            "id=\"stat-users\"><div class=\"muted\">Users</div><div class=\"figure\">2</div>",
        );
        r.assert_contains("id=\"stat-repos\"><div class=\"muted\">Repositories</div><div class=\"figure\">1</div>");
        let r = app
            .get_with("/admin", &[("accept-language", "zh-CN")])
            .await;
        r.assert_contains("站点管理");
    }
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_use_tokens_or_basic_auth_and_their_sessions_end() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let ada_user = user(&app, "ada").await.expect("ada");
        let forge = Forge::new(
            app.store.store().clone(),
            app.repos_dir.path().to_path_buf(),
            SignInPolicy::new(5, 15),
        );
        let token = forge
            .create_token(ada_user.id, "ci", &["read:user".to_owned()])
            .await
            .expect("token");
        let with_token = |secret: &str| {
            Request::get("/api/v1/user")
                .header("authorization", format!("token {secret}"))
                .body(Body::empty())
                .expect("request")
        };
        let mut anon = app.new_client();
        assert_eq!(
            anon.send(with_token(&token.secret)).await.status,
            StatusCode::OK,
            "[{label}]"
        );
        assert_eq!(
            api(&mut anon, "GET", "/api/v1/user", Some("ada"), None)
                .await
                .status,
            StatusCode::OK
        );
        ada.get("/").await.assert_contains("id=\"nav-profile\"");

        let r = app.get("/admin/users").await;
        r.assert_contains("action=\"/admin/users/ada/disable\"");
        let r = app.post_form("/admin/users/ada/disable", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert_eq!(r.location(), "/admin/users");
        assert!(
            user(&app, "ada").await.expect("ada").is_disabled,
            "[{label}]"
        );
        app.get("/admin/users")
            .await
            .assert_contains("disabled-badge");

        // The open session ends at the next request.
        let r = ada.get("/").await;
        assert!(
            !r.body.contains("id=\"nav-profile\""),
            "[{label}] still signed in"
        );
        r.assert_contains("id=\"nav-login\"");
        let r = ada.get("/user/settings").await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{label}] settings need sign-in again"
        );
        // Sign-in is refused with a clear message (only to someone who knows the password).
        let r = ada.login("ada", support::PASSWORD).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{label}]");
        r.assert_contains("disabled by an administrator");
        let r = ada.login("ada", "wrong password here").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        assert!(
            !r.body.contains("disabled"),
            "[{label}] a guesser learns nothing"
        );
        // Tokens and Basic (git, API) stop working.
        assert_eq!(
            anon.send(with_token(&token.secret)).await.status,
            StatusCode::UNAUTHORIZED,
            "[{label}]"
        );
        assert_eq!(
            api(&mut anon, "GET", "/api/v1/user", Some("ada"), None)
                .await
                .status,
            StatusCode::UNAUTHORIZED,
            "[{label}]"
        );
        let r = anon
            .get_with(
                "/ada/anything.git/info/refs?service=git-upload-pack",
                &[(
                    "authorization",
                    "Basic YWRhOmNvcnJlY3QgaG9yc2UgYmF0dGVyeQ==",
                )],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] git");

        // Enabled again: everything works again.
        let r = app.post_form("/admin/users/ada/enable", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        let r = ada.login("ada", support::PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert_eq!(
            anon.send(with_token(&token.secret)).await.status,
            StatusCode::OK,
            "[{label}]"
        );
    }
}

#[tokio::test]
async fn the_last_administrator_stays() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let boss = user(&app, "boss").await.expect("boss");
        // Not on one's own account, through the pages.
        for action in ["unadmin", "disable", "delete"] {
            let r = app
                .post_form(
                    &format!("/admin/users/boss/{action}"),
                    &[("confirm", "boss")],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {action}");
            assert_eq!(r.location(), "/admin/users", "[{label}] {action}");
            let page = app.get("/admin/users").await;
            page.assert_contains("You cannot do this to your own account.");
        }
        let boss_now = user(&app, "boss").await.expect("boss");
        assert!(boss_now.is_admin && !boss_now.is_disabled, "[{label}]");
        // And never the last enabled administrator, whoever asks (the store's rule).
        assert_eq!(
            app.store.set_admin_checked(boss.id, false).await.unwrap(),
            UserChange::LastAdmin
        );
        assert_eq!(
            app.store.set_user_disabled(boss.id, true).await.unwrap(),
            UserChange::LastAdmin
        );
        assert_eq!(
            app.store.delete_user(boss.id).await.unwrap(),
            UserChange::LastAdmin
        );
        // With a second administrator, the first may go.
        let r = app.post_form("/admin/users/ada/admin", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert!(user(&app, "ada").await.expect("ada").is_admin, "[{label}]");
        ada.get("/admin").await.assert_contains("stat-version");
        let r = ada.post_form("/admin/users/boss/unadmin", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert!(
            !user(&app, "boss").await.expect("boss").is_admin,
            "[{label}]"
        );
        // Boss is no administrator any more: the pages are gone for them.
        assert_eq!(
            app.get("/admin").await.status,
            StatusCode::NOT_FOUND,
            "[{label}]"
        );
        let ada_user = user(&app, "ada").await.expect("ada");
        assert_eq!(
            app.store
                .set_user_disabled(ada_user.id, true)
                .await
                .unwrap(),
            UserChange::LastAdmin
        );
    }
}

#[tokio::test]
async fn deleting_a_user_says_what_happens_and_refuses_sole_organization_owners() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        for name in ["lab", "notes"] {
            let r = ada
                .post_form(
                    "/repo/create",
                    &[("owner", "ada"), ("name", name), ("init_readme", "on")],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        }
        let r = ada.post_form("/org/create", &[("name", "acme")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let lab_dir = app.repos_dir.path().join("ada").join("lab.git");
        assert!(lab_dir.exists(), "[{label}]");

        // The only owner of acme: refused, and the page says why.
        let r = app.get("/admin/users/ada/delete").await;
        r.assert_contains("id=\"delete-refused\"");
        r.assert_contains("href=\"/org/acme/members\"");
        r.assert_contains("Their 2 repositories are deleted with them");
        r.assert_contains("href=\"/ada/lab\"");
        assert!(!r.body.contains("id=\"delete-user-form\""), "[{label}]");
        let r = app
            .post_form("/admin/users/ada/delete", &[("confirm", "ada")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert!(user(&app, "ada").await.is_some(), "[{label}] refused");
        assert!(lab_dir.exists(), "[{label}]");

        // Another owner: the deletion goes ahead once confirmed.
        let acme = app.store.org_by_name("acme").await.unwrap().expect("acme");
        let boss = user(&app, "boss").await.expect("boss");
        app.store
            .set_org_member(acme.id, boss.id, OrgRole::Owner)
            .await
            .expect("owner");
        let r = app.get("/admin/users/ada/delete").await;
        r.assert_contains("id=\"delete-user-form\"");
        let r = app
            .post_form("/admin/users/ada/delete", &[("confirm", "not ada")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{label}]");
        r.assert_contains("Type the user's name exactly");
        assert!(user(&app, "ada").await.is_some(), "[{label}]");
        let r = app
            .post_form("/admin/users/ada/delete", &[("confirm", "ada")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert!(user(&app, "ada").await.is_none(), "[{label}] deleted");
        assert!(
            app.store
                .repo_by_name("ada", "lab")
                .await
                .unwrap()
                .is_none(),
            "[{label}]"
        );
        assert!(!lab_dir.exists(), "[{label}] the directory went too");
        assert!(
            app.store.org_by_name("acme").await.unwrap().is_some(),
            "[{label}] acme stays"
        );
        // Ada's browser is signed out.
        let r = ada.get("/").await;
        r.assert_contains("id=\"nav-login\"");
    }
}

#[tokio::test]
async fn repositories_show_sizes_and_run_upkeep() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let r = ada
            .post_form(
                "/repo/create",
                &[
                    ("owner", "ada"),
                    ("name", "lab"),
                    ("private", "on"),
                    ("init_readme", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let r = app.get("/admin/repos").await;
        // Private repositories too, for administrators.
        r.assert_contains("data-repo=\"ada/lab\"");
        assert!(
            !r.body.contains("<td class=\"size\">0 B</td>"),
            "[{label}] a size: {}",
            r.body
        );
        r.assert_contains("action=\"/admin/repos/ada/lab/upkeep\"");
        let r = app.post_form("/admin/repos/ada/lab/upkeep", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let r = app.get("/admin/repos").await;
        r.assert_contains("Upkeep ran");
        let r = app.post_form("/admin/repos/ada/missing/upkeep", &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}]");
        let r = app.get("/admin/repos?q=nothing-like-this").await;
        r.assert_contains("0 found");
        let _ = fixtures::repo(&app.store, user(&app, "boss").await.unwrap().id, "row-only").await;
        let r = app.get("/admin/orgs").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
    }
}

#[tokio::test]
async fn site_settings_change_sign_up_and_the_announcement_at_once() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let mut anon = app.new_client();
        assert!(
            !anon.get("/").await.body.contains("site-announcement"),
            "[{label}]"
        );
        let r = app
            .post_form(
                "/admin/settings",
                &[("announcement", "Upgrade <b>tonight</b> at 22:00")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        for url in ["/", "/explore/repos", "/user/login", "/no/such/page"] {
            let r = anon.get(url).await;
            r.assert_contains("id=\"site-announcement\"");
            r.assert_contains("Upgrade &lt;b&gt;tonight&lt;/b&gt; at 22:00");
        }
        // Sign-up was left unchecked: closed.
        let r = anon.get("/user/sign_up").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}]");
        assert!(
            !anon.get("/").await.body.contains("id=\"nav-signup\""),
            "[{label}]"
        );
        let r = anon
            .post_form(
                "/user/sign_up",
                &[
                    ("username", "mallory"),
                    ("email", "m@example.org"),
                    ("password", support::PASSWORD),
                    ("password_confirm", support::PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}]");
        assert!(user(&app, "mallory").await.is_none(), "[{label}]");
        let r = app.get("/admin/settings").await;
        r.assert_contains("Upgrade &lt;b&gt;tonight");

        // Too long: refused beside the field, nothing saved.
        let long = "x".repeat(501);
        let r = app
            .post_form(
                "/admin/settings",
                &[("allow_signup", "on"), ("announcement", &long)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{label}]");
        assert_eq!(
            anon.get("/user/sign_up").await.status,
            StatusCode::BAD_REQUEST
        );

        // Open again, no announcement.
        let r = app
            .post_form(
                "/admin/settings",
                &[("allow_signup", "on"), ("announcement", " ")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert!(
            !anon.get("/").await.body.contains("site-announcement"),
            "[{label}]"
        );
        anon.sign_up("mallory").await;
    }
}

#[tokio::test]
async fn the_configured_sign_up_setting_holds_until_an_administrator_changes_it() {
    for mut app in TestApp::all_with(|c| c.allow_signup = false).await {
        let label = app.label().to_owned();
        let mut anon = app.new_client();
        assert_eq!(
            anon.get("/user/sign_up").await.status,
            StatusCode::BAD_REQUEST,
            "[{label}]"
        );
        // An administrator made on the command line opens it.
        let boss = fixtures::user(&app.store, "boss").await;
        assert!(boss.is_admin, "[{label}] the first account");
        let r = app.login("boss", "x").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        let forge = Forge::new(
            app.store.store().clone(),
            app.repos_dir.path().to_path_buf(),
            SignInPolicy::new(5, 15),
        );
        forge
            .admin_save_settings(
                hatchery_core::Actor::User {
                    id: boss.id,
                    site_admin: true,
                },
                true,
                "",
                hatchery_core::signin::TwoFactorRequirement::Off,
            )
            .await
            .expect("settings");
        anon.sign_up("ada").await;
    }
}
