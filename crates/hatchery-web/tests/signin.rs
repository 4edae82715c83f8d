//! Institutional sign-in through the real router, on every backend: sign-in sources in
//! `/admin/auths` and the API (administrators only, 404 for everyone else, CSRF, both
//! languages), reverse-proxy header sign-in trusted only from the configured proxies (a
//! spoofed header from elsewhere is ignored, an unlinked local account is never taken
//! over), groups mapped to teams at every sign-in, the users list's source / last sign-in
//! / two-factor columns, and TOTP two-factor authentication: enrolment, replay of a code
//! within its window, recovery codes used once, brute force throttled, the site's
//! requirement, and passwords over Basic refused once it is on.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_service::twofactor::code_at;
use hatchery_service::{Forge, SignInPolicy};
use hatchery_store::testing::fixtures;
use support::{TestApp, api};

fn forge(app: &TestApp) -> Forge {
    Forge::new(
        app.store.store().clone(),
        app.repos_dir.path().to_path_buf(),
        SignInPolicy::new(5, 15),
    )
}

/// `boss` (the administrator, signed in on `app`), an organization `lab` with a team
/// `staff`, and the header source "Campus SSO" trusting 10.0.0.0/8, mapping the group
/// `staff` to lab/staff. Returns the source's id.
async fn site_with_header_source(app: &mut TestApp) -> i64 {
    app.sign_up("boss").await;
    let boss = app.store.user_by_name("boss").await.unwrap().unwrap();
    let lab = fixtures::org(app.store.store(), &boss, "lab").await;
    fixtures::team(app.store.store(), lab.id, "staff", AccessLevel::Write).await;
    let r = app
        .post_form(
            "/admin/auths/new",
            &[
                ("kind", "header"),
                ("name", "Campus SSO"),
                ("enabled", "on"),
                ("auto_create", "on"),
                ("username_header", "X-Remote-User"),
                ("email_header", ""),
                ("display_name_header", "X-Remote-Name"),
                ("groups_header", "X-Remote-Groups"),
                ("groups_separator", ";"),
                ("trusted_proxies", "10.0.0.0/8"),
                ("email_domain", "uni.example"),
                ("admin_group", ""),
                ("mappings", "staff -> lab/staff"),
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
    app.store
        .auth_source_by_name("campus sso")
        .await
        .unwrap()
        .expect("saved")
        .id
}

#[tokio::test]
async fn sign_in_sources_are_for_administrators_only() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        let id = site_with_header_source(&mut app).await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let mut anon = app.new_client();
        let gets = [
            "/admin/auths".to_owned(),
            "/admin/auths/new?kind=ldap".to_owned(),
            format!("/admin/auths/{id}"),
        ];
        let posts = [
            "/admin/auths/new".to_owned(),
            format!("/admin/auths/{id}"),
            format!("/admin/auths/{id}/delete"),
            format!("/admin/auths/{id}/test"),
            format!("/admin/auths/{id}/sync"),
        ];
        for (who, client) in [("anonymous", &mut anon), ("user", &mut ada)] {
            for url in &gets {
                let r = client.get(url).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}] {who} GET {url}");
                assert!(!r.body.contains("Campus SSO"), "[{label}] {who} {url}");
            }
            for url in &posts {
                let r = client
                    .post_form(url, &[("kind", "header"), ("name", "Pwned")])
                    .await;
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "[{label}] {who} POST {url}"
                );
            }
            let r = api(
                client,
                "GET",
                "/api/v1/admin/auth_sources",
                Some("ada"),
                None,
            )
            .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}] {who} API");
        }
        assert!(
            app.store.auth_source_by_id(id).await.unwrap().is_some(),
            "[{label}] nothing was deleted"
        );
        assert_eq!(
            app.store.auth_sources().await.unwrap().len(),
            1,
            "[{label}]"
        );

        // The administrator's list, in both languages.
        let r = app.get("/admin/auths").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        r.assert_contains("data-source=\"Campus SSO\"");
        let zh = app
            .get_with("/admin/auths", &[("accept-language", "zh-CN")])
            .await;
        zh.assert_contains("登录源");
        // The form without its CSRF token is refused.
        let r = app
            .post_raw(
                "/admin/auths/new",
                &support::encode(&[("kind", "header"), ("name", "No token")]),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{label}]");
        // The edit form shows the mapping as text.
        let r = app.get(&format!("/admin/auths/{id}")).await;
        r.assert_contains("staff -&gt; lab/staff");
        // "Test connection" checks a header source's settings.
        let r = app.post_form(&format!("/admin/auths/{id}/test"), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        r.assert_contains("data-ok=\"true\"");
    }
}

#[tokio::test]
async fn bad_source_settings_are_refused_beside_their_field() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        let id = site_with_header_source(&mut app).await;
        let base = [
            ("kind", "header"),
            ("name", "Second"),
            ("enabled", "on"),
            ("username_header", "X-Remote-User"),
            ("trusted_proxies", "127.0.0.1/32"),
            ("email_domain", "uni.example"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v: Vec<(&str, &str)> = base
                .iter()
                .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
                .copied()
                .collect();
            v.extend_from_slice(extra);
            v
        };
        for (fields, status, needle) in [
            (
                with(&[("mappings", "staff -> lab/nope")]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "No such team: lab/nope",
            ),
            (
                with(&[("mappings", "just text")]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Line 1",
            ),
            (
                with(&[("trusted_proxies", "*")]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Missing or invalid",
            ),
            (
                with(&[("username_header", "X-User: evil")]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "Missing or invalid",
            ),
            (
                with(&[("name", "campus sso")]),
                StatusCode::CONFLICT,
                "Another sign-in source has this name",
            ),
            (
                with(&[("name", "")]),
                StatusCode::UNPROCESSABLE_ENTITY,
                "error",
            ),
        ] {
            let r = app.post_form("/admin/auths/new", &fields).await;
            assert_eq!(r.status, status, "[{label}] {fields:?}: {}", r.body);
            r.assert_contains(needle);
        }
        let r = app
            .post_form("/admin/auths/new", &[("kind", "oidc"), ("name", "x")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{label}] an OpenID Connect source needs its issuer"
        );
        let r = app
            .post_form("/admin/auths/new", &[("kind", "kerberos"), ("name", "x")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}] unknown kind");
        // LDAP: a port that is not a number, a filter without %s.
        let r = app
            .post_form(
                "/admin/auths/new",
                &[
                    ("kind", "ldap"),
                    ("name", "Dir"),
                    ("host", "ldap.example"),
                    ("port", "x"),
                    ("user_base", "dc=x"),
                    ("user_filter", "(uid=%s)"),
                    ("security", "plain"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{label}]");
        r.assert_contains("Enter a number");
        let r = app
            .post_form(
                "/admin/auths/new",
                &[
                    ("kind", "ldap"),
                    ("name", "Dir"),
                    ("host", "ldap.example"),
                    ("user_base", "dc=x"),
                    ("user_filter", "(uid=ada)"),
                    ("security", "plain"),
                    ("bind_password", "s3cret-bind"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{label}]");
        r.assert_contains("Must contain %s");
        assert!(
            !r.body.contains("s3cret-bind"),
            "[{label}] secrets are never shown again"
        );
        assert_eq!(
            app.store.auth_sources().await.unwrap().len(),
            1,
            "[{label}] nothing saved"
        );
        // Deleting works, once.
        let r = app
            .post_form(&format!("/admin/auths/{id}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        let r = app
            .post_form(&format!("/admin/auths/{id}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}]");
    }
}

#[tokio::test]
async fn the_api_manages_sources_and_never_returns_secrets() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        site_with_header_source(&mut app).await;
        let body = r#"{"name":"Directory","kind":"ldap","settings":{"host":"ldap.example.org",
            "bind_dn":"cn=reader,dc=example,dc=org","bind_password":"s3cret-bind",
            "user_base":"ou=people,dc=example,dc=org","user_filter":"(uid=%s)"},
            "mappings":["cn=staff,ou=groups,dc=example,dc=org -> lab/staff"]}"#;
        let r = api(
            &mut app,
            "POST",
            "/api/v1/admin/auth_sources",
            Some("boss"),
            Some(body),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{label}] {}", r.body);
        assert!(!r.body.contains("s3cret-bind"), "[{label}] {}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["kind"], "ldap");
        assert_eq!(
            v["mappings"][0],
            "cn=staff,ou=groups,dc=example,dc=org -> lab/staff"
        );
        // An edit without the password keeps it.
        let edit = r#"{"name":"Directory","settings":{"host":"ldap2.example.org",
            "user_base":"ou=people,dc=example,dc=org","user_filter":"(uid=%s)"}}"#;
        let r = api(
            &mut app,
            "PATCH",
            &format!("/api/v1/admin/auth_sources/{id}"),
            Some("boss"),
            Some(edit),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        let stored = app.store.auth_source_by_id(id).await.unwrap().unwrap();
        assert!(
            stored.settings.contains("s3cret-bind") && stored.settings.contains("ldap2"),
            "[{label}]"
        );
        let r = api(
            &mut app,
            "GET",
            "/api/v1/admin/auth_sources",
            Some("boss"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        assert!(
            !r.body.contains("s3cret-bind") && r.body.contains("Campus SSO"),
            "[{label}]"
        );
        for (body, status) in [
            (
                r#"{"name":"X","kind":"oidc"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                r#"{"name":"X","kind":"ldap","settings":{"host":"h"}}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                r#"{"name":"directory","kind":"header","settings":{"username_header":"X-U","trusted_proxies":"::1/128","email_domain":"x.org"}}"#,
                StatusCode::CONFLICT,
            ),
            (
                r#"{"name":"X","kind":"ldap","settings":[1]}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let r = api(
                &mut app,
                "POST",
                "/api/v1/admin/auth_sources",
                Some("boss"),
                Some(body),
            )
            .await;
            assert_eq!(r.status, status, "[{label}] {body}: {}", r.body);
        }
        let r = api(
            &mut app,
            "DELETE",
            &format!("/api/v1/admin/auth_sources/{id}"),
            Some("boss"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{label}]");
        let r = api(
            &mut app,
            "GET",
            &format!("/api/v1/admin/auth_sources/{id}"),
            Some("boss"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}]");
    }
}

#[tokio::test]
async fn header_sign_in_is_trusted_only_from_the_proxy() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        site_with_header_source(&mut app).await;
        let staff = {
            let lab = app.store.org_by_name("lab").await.unwrap().unwrap();
            app.store
                .team_by_name(lab.id, "staff")
                .await
                .unwrap()
                .unwrap()
        };
        let carol = [
            ("x-remote-user", "carol"),
            ("x-remote-groups", "staff;other"),
            ("x-remote-name", "Carol C."),
        ];

        // Spoofed: from an address the source does not trust, or with no address at all.
        let mut spoof = app.new_client();
        let r = spoof.get_from("/", "192.0.2.7", &carol).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        assert!(
            !r.body.contains("id=\"nav-user\"") && !r.body.contains("carol"),
            "[{label}] not signed in"
        );
        let r = spoof.get_with("/", &carol).await;
        assert!(!r.body.contains("carol"), "[{label}]");
        assert!(
            app.store.user_by_name("carol").await.unwrap().is_none(),
            "[{label}] nothing created"
        );

        // From the proxy: signed in, account created, placed in the mapped team.
        let mut proxied = app.new_client();
        let r = proxied.get_from("/", "10.1.2.3", &carol).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        r.assert_contains("carol");
        let c = app
            .store
            .user_by_name("carol")
            .await
            .unwrap()
            .expect("created");
        assert_eq!(
            (c.email.as_str(), c.display_name.as_str()),
            ("carol@uni.example", "Carol C."),
            "[{label}]"
        );
        assert!(
            app.store
                .credentials_by_login("carol")
                .await
                .unwrap()
                .is_none(),
            "[{label}] no password"
        );
        assert!(
            app.store
                .team_ids_of_user(c.id)
                .await
                .unwrap()
                .contains(&staff.id),
            "[{label}]"
        );
        // The session carries on without the header.
        let r = proxied.get("/user/settings").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);

        // The next sign-in without the group leaves the team (the mapping manages it).
        let mut again = app.new_client();
        again
            .get_from("/", "10.1.2.3", &[("x-remote-user", "carol")])
            .await;
        assert!(
            !app.store
                .team_ids_of_user(c.id)
                .await
                .unwrap()
                .contains(&staff.id),
            "[{label}]"
        );

        // A local account with the name is never taken over by a header.
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let mut proxied_ada = app.new_client();
        let r = proxied_ada
            .get_from("/user/settings", "10.1.2.3", &[("x-remote-user", "ada")])
            .await;
        assert_ne!(r.status, StatusCode::OK, "[{label}] not signed in as ada");

        // The administration shows source, last sign-in and two-factor state.
        let r = app.get("/admin/users").await;
        let row = r
            .body
            .split("data-user=\"carol\"")
            .nth(1)
            .unwrap_or_default();
        let row = row.split("</tr>").next().unwrap_or_default();
        assert!(row.contains("Campus SSO"), "[{label}] {row}");
        assert!(!row.contains("—"), "[{label}] a last sign-in time: {row}");
    }
}

/// The secret shown on the enrolment page.
fn secret_of(body: &str) -> String {
    body.split("id=\"two-factor-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("secret on the page")
        .to_owned()
}

fn now_secs() -> u64 {
    u64::try_from(hatchery_store::now_ms() / 1000).unwrap()
}

fn recovery_codes(body: &str) -> Vec<String> {
    body.split("id=\"recovery-codes\"")
        .nth(1)
        .unwrap_or_default()
        .split("</ul>")
        .next()
        .unwrap_or_default()
        .split("<code>")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_owned)
        .collect()
}

/// Signs `name` up on `ada` and turns two-factor on; returns the code that confirmed it,
/// the secret and the recovery codes.
async fn enrolled(ada: &mut TestApp, name: &str) -> (String, String, Vec<String>) {
    let label = ada.label().to_owned();
    ada.sign_up(name).await;
    let r = ada.get("/user/settings/two_factor").await;
    r.assert_contains("two-factor-enrol");
    let r = ada.post_form("/user/settings/two_factor/enrol", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
    let page = ada.get("/user/settings/two_factor").await;
    page.assert_contains("<svg");
    let secret = secret_of(&page.body);
    let r = ada
        .post_form("/user/settings/two_factor/confirm", &[("code", "000000x")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] a wrong code");
    let code = code_at(&secret, now_secs()).unwrap();
    let r = ada
        .post_form("/user/settings/two_factor/confirm", &[("code", &code)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
    let codes = recovery_codes(&r.body);
    assert_eq!(codes.len(), 10, "[{label}] {}", r.body);
    // Shown once: the settings page no longer lists them.
    let r = ada.get("/user/settings/two_factor").await;
    r.assert_contains("id=\"two-factor-on\"");
    assert!(!r.body.contains(&codes[0]), "[{label}]");
    (code, secret, codes)
}

#[tokio::test]
async fn two_factor_sign_in_refuses_replays_reused_recovery_codes_and_guessing() {
    for app in TestApp::all().await {
        let label = app.label().to_owned();
        let mut ada = app.new_client();
        let (confirming_code, secret, codes) = enrolled(&mut ada, "ada").await;
        ada.logout().await;

        // The password alone is not a sign-in.
        let r = ada.login("ada", support::PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert_eq!(r.location(), "/user/two_factor", "[{label}]");
        let r = ada.get("/user/settings").await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{label}] still signed out"
        );
        // The code that confirmed the enrolment, replayed within its window.
        let r = ada
            .post_form("/user/two_factor", &[("code", &confirming_code)])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        r.assert_contains("already used");
        // The next step's code works.
        let next = code_at(&secret, now_secs() + 30).unwrap();
        let r = ada.post_form("/user/two_factor", &[("code", &next)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let r = ada.get("/user/settings").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] signed in");
        ada.logout().await;

        // A recovery code works once.
        ada.login("ada", support::PASSWORD).await;
        let r = ada
            .post_form("/user/two_factor", &[("code", &codes[0].to_uppercase())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        ada.logout().await;
        ada.login("ada", support::PASSWORD).await;
        let r = ada
            .post_form("/user/two_factor", &[("code", &codes[0])])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] used twice");

        // Guessing is throttled: after five wrong codes even a right one is refused.
        for _ in 0..4 {
            let r = ada
                .post_form("/user/two_factor", &[("code", "zzzzz-zzzzz")])
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        }
        let r = ada
            .post_form("/user/two_factor", &[("code", &codes[1])])
            .await;
        assert_eq!(
            r.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{label}] {}",
            r.body
        );
        r.assert_contains("Too many wrong codes");
        assert_eq!(
            app.store
                .recovery_codes_left(app.store.user_by_name("ada").await.unwrap().unwrap().id)
                .await
                .unwrap(),
            9,
            "[{label}] the refused code was not spent"
        );
        // Without a pending sign-in the prompt sends to the sign-in page.
        let mut other = app.new_client();
        let r = other
            .post_form("/user/two_factor", &[("code", "123456")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert_eq!(r.location(), "/user/login", "[{label}]");
    }
}

#[tokio::test]
async fn with_two_factor_git_and_the_api_take_tokens_only() {
    for app in TestApp::all().await {
        let label = app.label().to_owned();
        let mut ada = app.new_client();
        let r = api(&mut ada, "GET", "/api/v1/user", Some("ada"), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "[{label}] no such user yet"
        );
        let (_, _, codes) = enrolled(&mut ada, "ada").await;
        let r = api(&mut ada, "GET", "/api/v1/user", Some("ada"), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        r.assert_contains("use an access token");
        let user = app.store.user_by_name("ada").await.unwrap().unwrap();
        let token = forge(&app)
            .create_token(user.id, "ci", &["read:user".to_owned()])
            .await
            .unwrap()
            .secret;
        let req = axum::http::Request::get("/api/v1/user")
            .header("authorization", format!("token {token}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let r = ada.send(req).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        // Git over HTTP says the same.
        use base64::Engine;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("ada:{}", support::PASSWORD));
        let r = ada
            .get_with(
                "/ada/nothing.git/info/refs?service=git-upload-pack",
                &[("authorization", &format!("Basic {basic}"))],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        r.assert_contains("access token");

        // Turning it off needs a code; then the password works again.
        let r = ada
            .post_form(
                "/user/settings/two_factor/disable",
                &[("code", "zzzzz-zzzzz")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        let r = ada
            .post_form("/user/settings/two_factor/disable", &[("code", &codes[3])])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let r = api(&mut ada, "GET", "/api/v1/user", Some("ada"), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
    }
}

#[tokio::test]
async fn a_required_second_factor_sends_users_to_enrolment() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let r = app
            .post_form("/admin/settings", &[("require_two_factor", "sometimes")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}]");
        let r = app
            .post_form(
                "/admin/settings",
                &[
                    ("allow_signup", "on"),
                    ("announcement", ""),
                    ("require_two_factor", "all"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        for (who, client) in [("boss", &mut app), ("ada", &mut ada)] {
            let r = client.get("/").await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {who}");
            assert_eq!(r.location(), "/user/settings/two_factor", "[{label}] {who}");
            let r = client
                .post_form("/repo/create", &[("owner", who), ("name", "x")])
                .await;
            assert_eq!(
                r.location(),
                "/user/settings/two_factor",
                "[{label}] {who}: no way around it"
            );
            let r = client.get("/user/settings/two_factor").await;
            assert_eq!(r.status, StatusCode::OK, "[{label}] {who}");
            r.assert_contains("two-factor-required");
            let r = api(client, "GET", "/api/v1/user", Some(who), None).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "[{label}] {who}: tokens only"
            );
        }
        // Once enrolled, pages open again.
        let mut carol = app.new_client();
        let (_, _, codes) = enrolled(&mut carol, "carol").await;
        let r = carol.get("/").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] enrolled");
        // The app is her only second factor, which the site requires: it stays.
        let r = carol
            .post_form("/user/settings/two_factor/disable", &[("code", &codes[0])])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{label}] {}", r.body);
        r.assert_contains("keep at least one second factor");
        let r = carol.get("/").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] still enrolled");
    }
}
