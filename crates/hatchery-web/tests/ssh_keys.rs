//! SSH keys through the real router on every backend: the settings page (add, refuse with
//! a reason beside the field, list with fingerprints, delete; CSRF; both languages), the
//! API in Gitea's shapes (`/user/keys`, `/users/{u}/keys`, `/repos/{o}/{r}/keys`), and the
//! rules shared by both (one account per key, deploy keys never a user's key, private
//! repositories invisible).

mod support;

use axum::http::StatusCode;
use hatchery_testkit::ssh::{
    DSA, ECDSA_P256, ED25519_A, ED25519_A_FINGERPRINT, ED25519_B, RSA_1024, RSA_2048,
};
use serde_json::Value;
use support::{TestApp, api};

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn body(title: &str, key: &str, read_only: bool) -> String {
    serde_json::json!({ "title": title, "key": key, "read_only": read_only }).to_string()
}

#[tokio::test]
async fn keys_are_managed_on_the_settings_page() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let page = app.get("/user/settings/keys").await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("id=\"key-add-form\"");
        page.assert_contains("name=\"_csrf\"");
        // The settings tabs lead here.
        app.get("/user/settings")
            .await
            .assert_contains("href=\"/user/settings/keys\"");

        // Empty title: the key's comment is used.
        let r = app
            .post_form("/user/settings/keys", &[("title", ""), ("key", ED25519_A)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let page = app.get("/user/settings/keys").await;
        page.assert_contains("alice@laptop");
        page.assert_contains(ED25519_A_FINGERPRINT);
        page.assert_contains("never used");

        // Refusals come back on the form with the reason and what was typed.
        for (key, status, reason) in [
            (
                DSA,
                StatusCode::UNPROCESSABLE_ENTITY,
                "DSA keys are no longer considered safe",
            ),
            (
                RSA_1024,
                StatusCode::UNPROCESSABLE_ENTITY,
                "This RSA key has 1024 bits; at least 2048 are required",
            ),
            (
                "ssh-ed25519 garbage",
                StatusCode::UNPROCESSABLE_ENTITY,
                "This is not an OpenSSH public key",
            ),
            ("", StatusCode::UNPROCESSABLE_ENTITY, "required"),
            (
                ED25519_A,
                StatusCode::CONFLICT,
                "This key is already in use",
            ),
        ] {
            let r = app
                .post_form("/user/settings/keys", &[("title", "mine"), ("key", key)])
                .await;
            assert_eq!(r.status, status, "[{l}] {key}");
            r.assert_contains(reason);
            r.assert_contains("value=\"mine\"");
        }
        // A key without a comment needs a title.
        let r = app
            .post_form("/user/settings/keys", &[("title", ""), ("key", ECDSA_P256)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");

        // In Chinese too.
        let zh = app
            .get_with("/user/settings/keys", &[("accept-language", "zh-CN")])
            .await;
        zh.assert_contains("SSH 密钥");
        zh.assert_contains("从未使用");

        // Another account cannot take the same key.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let r = bob
            .post_form("/user/settings/keys", &[("title", "x"), ("key", ED25519_A)])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");

        // Deleting: only one's own key; a form without the CSRF token is refused.
        let store = app.store.store().clone();
        let ada = store.user_by_name("ada").await.unwrap().unwrap();
        let key = store.keys_of_user(ada.id).await.unwrap().remove(0);
        let r = bob
            .post_form(&format!("/user/settings/keys/{}/delete", key.id), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = app
            .post_raw(&format!("/user/settings/keys/{}/delete", key.id), "")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] no CSRF token");
        let r = app
            .post_form(&format!("/user/settings/keys/{}/delete", key.id), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            store.keys_of_user(ada.id).await.unwrap().is_empty(),
            "[{l}]"
        );
        // Signed out, the page asks to sign in.
        let mut anon = app.new_client();
        let r = anon.get("/user/settings/keys").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
    }
}

#[tokio::test]
async fn user_keys_api_in_giteas_shapes() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let r = api(
            &mut app,
            "POST",
            "/api/v1/user/keys",
            Some("ada"),
            Some(&body("laptop", ED25519_A, false)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let created = json(&r.body);
        assert_eq!(created["title"], "laptop", "[{l}]");
        assert_eq!(created["fingerprint"], ED25519_A_FINGERPRINT, "[{l}]");
        assert_eq!(created["key_type"], "user", "[{l}]");
        assert_eq!(created["user"]["login"], "ada", "[{l}]");
        assert!(
            created["key"]
                .as_str()
                .unwrap()
                .starts_with("ssh-ed25519 AAAA"),
            "[{l}]"
        );
        assert!(
            !created["key"].as_str().unwrap().contains("alice@laptop"),
            "[{l}]"
        );
        let id = created["id"].as_i64().unwrap();
        assert!(
            created["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/v1/user/keys/{id}")),
            "[{l}]"
        );

        let r = api(
            &mut app,
            "POST",
            "/api/v1/user/keys",
            Some("ada"),
            Some(&body("ci", RSA_2048, false)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        for (key, status) in [
            (ED25519_A, StatusCode::CONFLICT),
            (DSA, StatusCode::UNPROCESSABLE_ENTITY),
            (RSA_1024, StatusCode::UNPROCESSABLE_ENTITY),
            ("not a key", StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let r = api(
                &mut app,
                "POST",
                "/api/v1/user/keys",
                Some("ada"),
                Some(&body("t", key, false)),
            )
            .await;
            assert_eq!(r.status, status, "[{l}] {key}: {}", r.body);
            assert!(json(&r.body)["message"].is_string(), "[{l}]");
        }
        let r = api(&mut app, "GET", "/api/v1/user/keys", Some("ada"), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        assert_eq!(json(&r.body).as_array().unwrap().len(), 2, "[{l}]");
        assert_eq!(r.headers["x-total-count"], "2", "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("/api/v1/user/keys/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(json(&r.body)["id"], id, "[{l}]");

        // Public keys are public, for anyone, like `<user>.keys` elsewhere.
        let r = api(&mut app, "GET", "/api/v1/users/ada/keys", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        assert_eq!(json(&r.body).as_array().unwrap().len(), 2, "[{l}]");
        let r = api(&mut app, "GET", "/api/v1/users/nobody/keys", None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");

        // Someone else's key is not found; anonymous is 401.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let r = api(
            &mut bob,
            "GET",
            &format!("/api/v1/user/keys/{id}"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = api(
            &mut bob,
            "DELETE",
            &format!("/api/v1/user/keys/{id}"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = api(
            &mut bob,
            "POST",
            "/api/v1/user/keys",
            Some("bob"),
            Some(&body("x", ED25519_A, false)),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "[{l}] the same key on two accounts"
        );
        let r = api(&mut app, "GET", "/api/v1/user/keys", None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{l}]");
        let r = api(&mut app, "GET", "/api/v1/user/keys/abc", Some("ada"), None).await;
        assert!(r.status.is_client_error(), "[{l}] {}", r.status);

        let r = api(
            &mut app,
            "DELETE",
            &format!("/api/v1/user/keys/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("/api/v1/user/keys/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
    }
}

#[tokio::test]
async fn deploy_keys_per_repository_for_its_administrators() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let r = app
            .post_form(
                "/repo/create",
                &[("owner", "ada"), ("name", "secret"), ("private", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let r = api(
            &mut app,
            "POST",
            "/api/v1/repos/ada/secret/keys",
            Some("ada"),
            Some(&body("ci", ED25519_B, true)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let created = json(&r.body);
        assert_eq!(created["read_only"], true, "[{l}]");
        assert_eq!(created["repository"]["full_name"], "ada/secret", "[{l}]");
        let id = created["id"].as_i64().unwrap();
        assert_eq!(created["key_id"], id, "[{l}]");
        let r = api(
            &mut app,
            "POST",
            "/api/v1/repos/ada/secret/keys",
            Some("ada"),
            Some(&body("again", ED25519_B, false)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        // A deploy key is no user key.
        let r = api(
            &mut app,
            "POST",
            "/api/v1/user/keys",
            Some("ada"),
            Some(&body("x", ED25519_B, false)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        let r = api(
            &mut app,
            "GET",
            "/api/v1/repos/ada/secret/keys",
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(json(&r.body).as_array().unwrap().len(), 1, "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("/api/v1/repos/ada/secret/keys/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(
            json(&r.body)["fingerprint"],
            created["fingerprint"],
            "[{l}]"
        );

        // Others: the private repository does not exist for them, exactly like a missing one.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let hidden = api(
            &mut bob,
            "GET",
            "/api/v1/repos/ada/secret/keys",
            Some("bob"),
            None,
        )
        .await;
        let missing = api(
            &mut bob,
            "GET",
            "/api/v1/repos/ada/nothing/keys",
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "[{l}]");
        assert_eq!(hidden.body, missing.body, "[{l}]");
        assert_eq!(
            bob.get("/ada/secret/settings/keys").await.status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );

        // The repository's settings page lists and adds them.
        app.get("/ada/secret/settings")
            .await
            .assert_contains("href=\"/ada/secret/settings/keys\"");
        let page = app.get("/ada/secret/settings/keys").await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("<strong>ci</strong>");
        page.assert_contains("read-only");
        let r = app
            .post_form(
                "/ada/secret/settings/keys",
                &[("title", "mirror"), ("key", RSA_2048), ("write", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let page = app.get("/ada/secret/settings/keys").await;
        page.assert_contains("read and write");
        let r = app
            .post_form(
                "/ada/secret/settings/keys",
                &[("title", "bad"), ("key", DSA)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("DSA keys");

        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "secret").await.unwrap().unwrap();
        let keys = store.deploy_keys_of_repo(repo.id).await.unwrap();
        assert_eq!(keys.len(), 2, "[{l}]");
        assert!(!keys[1].read_only, "[{l}]");
        let r = app
            .post_form(
                &format!("/ada/secret/settings/keys/{}/delete", keys[1].id),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let r = api(
            &mut app,
            "DELETE",
            &format!("/api/v1/repos/ada/secret/keys/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}]");
        assert!(
            store.deploy_keys_of_repo(repo.id).await.unwrap().is_empty(),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn clone_urls_show_ssh_when_ssh_is_on() {
    use hatchery_core::ssh::SshCloneBase;
    let on = |port: u16| {
        move |c: &mut hatchery_web::WebConfig| {
            c.ssh_clone = Some(SshCloneBase {
                user: "git".into(),
                host: "git.example.com".into(),
                port,
            })
        }
    };
    for (port, want) in [
        (2222, "ssh://git@git.example.com:2222/ada/engine.git"),
        (22, "git@git.example.com:ada/engine.git"),
    ] {
        for mut app in TestApp::all_with(on(port)).await {
            let l = app.label().to_owned();
            app.sign_up("ada").await;
            for (name, readme) in [("engine", "on"), ("empty", "")] {
                let r = app
                    .post_form(
                        "/repo/create",
                        &[("owner", "ada"), ("name", name), ("init_readme", readme)],
                    )
                    .await;
                assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
            }
            // The code page's clone menu and the empty repository's instructions.
            let page = app.get("/ada/engine").await;
            assert_eq!(page.status, StatusCode::OK, "[{l}]");
            page.assert_contains("Clone over SSH");
            page.assert_contains(&format!("value=\"{want}\""));
            page.assert_contains("value=\"http://127.0.0.1:3000/ada/engine.git\"");
            let page = app.get("/ada/empty").await;
            page.assert_contains(&want.replace("engine", "empty"));
            // The API says the same as the page (Gitea's `ssh_url`), anonymous or not.
            for user in [None, Some("ada")] {
                let r = api(&mut app, "GET", "/api/v1/repos/ada/engine", user, None).await;
                assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
                assert_eq!(json(&r.body)["ssh_url"], want, "[{l}]");
            }
            let r = api(&mut app, "GET", "/api/v1/users/ada/repos", None, None).await;
            let list = json(&r.body);
            let empty = list
                .as_array()
                .and_then(|a| a.iter().find(|r| r["name"] == "empty"))
                .unwrap_or_else(|| panic!("[{l}] {list}"));
            assert_eq!(empty["ssh_url"], want.replace("engine", "empty"), "[{l}]");
            // In Chinese too.
            let page = app
                .get_with("/ada/engine", &[("accept-language", "zh-CN")])
                .await;
            page.assert_contains("通过 SSH 克隆");
        }
    }
    // SSH off: no SSH URL anywhere.
    for mut app in TestApp::all().await {
        app.sign_up("ada").await;
        app.post_form(
            "/repo/create",
            &[("owner", "ada"), ("name", "engine"), ("init_readme", "on")],
        )
        .await;
        let page = app.get("/ada/engine").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("ssh://"), "{}", app.label());
        assert!(!page.body.contains("clone-ssh-url"), "{}", app.label());
        let r = api(&mut app, "GET", "/api/v1/repos/ada/engine", None, None).await;
        assert_eq!(json(&r.body)["ssh_url"], "", "{}", app.label());
    }
}
