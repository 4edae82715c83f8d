//! GPG keys through the real router on every backend: the settings page (add an armored
//! public key, refuse with a reason beside the field — a secret key, garbage, an expired
//! or revoked key, a key registered already —, list with key id, fingerprint, user ids and
//! subkeys, delete; CSRF; both languages) and the API in Gitea's shapes
//! (`/user/gpg_keys`, `/users/{u}/gpg_keys`, scopes).

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hatchery_service::Forge;
use hatchery_service::signin::SignInPolicy;
use hatchery_testkit::gpg::{
    ALICE_FINGERPRINT, ALICE_KEY_ID, ALICE_PUBLIC, ALICE_SIGNING_SUBKEY_ID, EXPIRED_PUBLIC,
    REVOKED_PUBLIC, TestKey,
};
use serde_json::Value;
use support::{TestApp, api};

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn body(armored: &str) -> String {
    serde_json::json!({ "armored_public_key": armored }).to_string()
}

#[tokio::test]
async fn gpg_keys_are_managed_on_the_settings_page() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let page = app.get("/user/settings/keys").await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("id=\"gpg-key-add-form\"");
        page.assert_contains("You have no GPG keys yet.");
        // The SSH section stays.
        page.assert_contains("id=\"key-add-form\"");

        let r = app
            .post_form("/user/settings/gpg_keys", &[("gpg_key", ALICE_PUBLIC)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(r.location(), "/user/settings/keys#gpg", "[{l}]");
        let page = app.get("/user/settings/keys").await;
        page.assert_contains("The GPG key has been added.");
        page.assert_contains(&format!("Key ID {ALICE_KEY_ID}"));
        page.assert_contains(ALICE_FINGERPRINT);
        page.assert_contains(ALICE_SIGNING_SUBKEY_ID);
        page.assert_contains("Alice Example &lt;alice@example.org&gt;");
        page.assert_contains("Alice at work &lt;alice@work.example&gt;");
        page.assert_contains("does not expire");

        // Refusals come back on the form with the reason and what was pasted.
        let generated = TestKey::new("Ada <ada@example.edu.cn>", 7);
        for (text, status, reason) in [
            (
                generated.secret_armored(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "This is a secret (private) key.",
            ),
            (
                "not a key at all".to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "This is not an OpenPGP public key.",
            ),
            (
                EXPIRED_PUBLIC.to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "This key expired on 2020-12-31.",
            ),
            (
                REVOKED_PUBLIC.to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "This key has been revoked by its owner",
            ),
            (String::new(), StatusCode::UNPROCESSABLE_ENTITY, "required"),
            (
                ALICE_PUBLIC.to_owned(),
                StatusCode::CONFLICT,
                "This key, or one of its subkeys, is already registered",
            ),
        ] {
            let r = app
                .post_form("/user/settings/gpg_keys", &[("gpg_key", &text)])
                .await;
            assert_eq!(r.status, status, "[{l}] {reason}");
            r.assert_contains(reason);
            if text == "not a key at all" {
                r.assert_contains(">not a key at all</textarea>");
            }
        }
        // In Chinese too: the page and a refusal.
        let zh = app
            .get_with("/user/settings/keys", &[("accept-language", "zh-CN")])
            .await;
        zh.assert_contains("GPG 密钥");
        zh.assert_contains("SSH 与 GPG 密钥");
        zh.assert_contains("永不过期");
        zh.assert_contains(&format!("密钥 ID {ALICE_KEY_ID}"));
        let mut zh_client = app.new_client();
        zh_client.sign_up("zhou").await;
        let req = |csrf: &str| {
            Request::post("/user/settings/gpg_keys")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept-language", "zh-CN")
                .body(Body::from(support::encode(&[
                    ("_csrf", csrf),
                    ("gpg_key", &generated.secret_armored()),
                ])))
                .expect("request")
        };
        let csrf = zh_client
            .cookie("hatchery_csrf")
            .cloned()
            .unwrap_or_default();
        let r = zh_client.send(req(&csrf)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        r.assert_contains("这是私钥");

        // Another account cannot take the same key.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let r = bob
            .post_form("/user/settings/gpg_keys", &[("gpg_key", ALICE_PUBLIC)])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");

        // Deleting: only one's own key; a form without the CSRF token is refused.
        let store = app.store.store().clone();
        let ada = store.user_by_name("ada").await.unwrap().unwrap();
        let key = store.gpg_keys_of_user(ada.id).await.unwrap().remove(0);
        let path = format!("/user/settings/gpg_keys/{}/delete", key.id);
        let r = bob.post_form(&path, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = app.post_raw(&path, "").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] no CSRF token");
        let r = app.post_form(&path, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            store.gpg_keys_of_user(ada.id).await.unwrap().is_empty(),
            "[{l}]"
        );
        // Now Bob may register it.
        let r = bob
            .post_form("/user/settings/gpg_keys", &[("gpg_key", ALICE_PUBLIC)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        // Signed out, adding asks to sign in.
        let mut anon = app.new_client();
        let r = anon.get("/user/settings/keys").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
    }
}

#[tokio::test]
async fn gpg_keys_api_in_giteas_shapes() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        // A key carrying the account's address (sign_up's ada@example.edu.cn).
        let mine = TestKey::new("Ada Lovelace <ada@example.edu.cn>", 11);
        let r = api(
            &mut app,
            "POST",
            "/api/v1/user/gpg_keys",
            Some("ada"),
            Some(&body(&mine.public_armored())),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let created = json(&r.body);
        let id = created["id"].as_i64().unwrap();
        assert_eq!(created["primary_key_id"], "", "[{l}]");
        assert_eq!(created["key_id"], mine.key_id().as_str(), "[{l}]");
        assert!(
            created["public_key"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
            "[{l}]"
        );
        assert_eq!(
            created["emails"],
            serde_json::json!([{ "email": "ada@example.edu.cn", "verified": true }]),
            "[{l}]"
        );
        assert_eq!(created["verified"], true, "[{l}]");
        assert_eq!(created["can_sign"], true, "[{l}]");
        assert_eq!(created["can_certify"], true, "[{l}]");
        assert_eq!(created["can_encrypt_comms"], false, "[{l}]");
        assert!(
            created["created_at"].as_str().unwrap().ends_with('Z'),
            "[{l}]"
        );
        assert!(created.get("expires_at").is_none(), "[{l}] {created}");
        assert_eq!(
            created["user_ids"],
            serde_json::json!(["Ada Lovelace <ada@example.edu.cn>"]),
            "[{l}]"
        );
        assert_eq!(created["fingerprint"].as_str().unwrap().len(), 40, "[{l}]");
        let sub = &created["subkeys"][0];
        assert_eq!(sub["key_id"], mine.subkey_id().as_str(), "[{l}]");
        assert_eq!(sub["primary_key_id"], mine.key_id().as_str(), "[{l}]");
        assert_eq!(sub["public_key"], "", "[{l}]");
        assert_eq!(sub["can_sign"], true, "[{l}]");
        assert_eq!(sub["subkeys"], serde_json::json!([]), "[{l}]");

        // Alice's key carries other addresses: not verified.
        let r = api(
            &mut app,
            "POST",
            "/api/v1/user/gpg_keys",
            Some("ada"),
            Some(&body(ALICE_PUBLIC)),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let alice = json(&r.body);
        assert_eq!(alice["verified"], false, "[{l}]");
        assert_eq!(alice["subkeys"].as_array().unwrap().len(), 2, "[{l}]");
        assert_eq!(alice["subkeys"][1]["can_encrypt_comms"], true, "[{l}]");

        for (text, status, says) in [
            (
                ALICE_PUBLIC.to_owned(),
                StatusCode::CONFLICT,
                "already registered",
            ),
            (
                mine.secret_armored(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "secret",
            ),
            (
                EXPIRED_PUBLIC.to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "expired",
            ),
            (
                REVOKED_PUBLIC.to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "revoked",
            ),
            (
                "garbage".to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "not an armored OpenPGP public key",
            ),
        ] {
            let r = api(
                &mut app,
                "POST",
                "/api/v1/user/gpg_keys",
                Some("ada"),
                Some(&body(&text)),
            )
            .await;
            assert_eq!(r.status, status, "[{l}] {says}: {}", r.body);
            let message = json(&r.body)["message"].as_str().unwrap().to_owned();
            assert!(message.contains(says), "[{l}] {message}");
        }
        let r = api(
            &mut app,
            "POST",
            "/api/v1/user/gpg_keys",
            Some("ada"),
            Some("{}"),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );

        let r = api(&mut app, "GET", "/api/v1/user/gpg_keys", Some("ada"), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        assert_eq!(json(&r.body).as_array().unwrap().len(), 2, "[{l}]");
        assert_eq!(r.headers["x-total-count"], "2", "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("/api/v1/user/gpg_keys/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(json(&r.body), created, "[{l}]");

        // Public keys are public; to others an address is never "verified" (the
        // account's address is private).
        let r = api(&mut app, "GET", "/api/v1/users/ada/gpg_keys", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        let listed = json(&r.body);
        assert_eq!(listed.as_array().unwrap().len(), 2, "[{l}]");
        assert_eq!(listed[0]["key_id"], mine.key_id().as_str(), "[{l}]");
        assert_eq!(listed[0]["emails"][0]["verified"], false, "[{l}]");
        assert_eq!(listed[0]["verified"], false, "[{l}]");
        let r = api(&mut app, "GET", "/api/v1/users/nobody/gpg_keys", None, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");

        // Someone else's key is not found; anonymous is 401.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        for method in ["GET", "DELETE"] {
            let r = api(
                &mut bob,
                method,
                &format!("/api/v1/user/gpg_keys/{id}"),
                Some("bob"),
                None,
            )
            .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {method}");
        }
        let r = api(&mut app, "GET", "/api/v1/user/gpg_keys", None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{l}]");
        let r = api(
            &mut app,
            "GET",
            "/api/v1/user/gpg_keys/abc",
            Some("ada"),
            None,
        )
        .await;
        assert!(r.status.is_client_error(), "[{l}] {}", r.status);

        // A token that only reads cannot add or delete.
        let store = app.store.store().clone();
        let ada = store.user_by_name("ada").await.unwrap().unwrap();
        let forge = Forge::new(
            store.clone(),
            app.repos_dir.path().to_path_buf(),
            SignInPolicy::new(5, 15),
        );
        let token = forge
            .create_token(ada.id, "ci", &["read:user".to_owned()])
            .await
            .expect("token");
        let with_token = |method: &str, path: &str, body: Option<String>| {
            let req = Request::builder()
                .method(method)
                .uri(path)
                .header("authorization", format!("token {}", token.secret))
                .header("content-type", "application/json");
            req.body(body.map(Body::from).unwrap_or_else(Body::empty))
                .expect("request")
        };
        let r = app
            .send(with_token("GET", "/api/v1/user/gpg_keys", None))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        let other = TestKey::new("Ada <ada@example.edu.cn>", 12);
        let r = app
            .send(with_token(
                "POST",
                "/api/v1/user/gpg_keys",
                Some(body(&other.public_armored())),
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        let r = app
            .send(with_token(
                "DELETE",
                &format!("/api/v1/user/gpg_keys/{id}"),
                None,
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        let r = api(
            &mut app,
            "DELETE",
            &format!("/api/v1/user/gpg_keys/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("/api/v1/user/gpg_keys/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        // Its subkeys went with it.
        assert_eq!(
            store.gpg_keys_of_user(ada.id).await.unwrap().len(),
            1,
            "[{l}]"
        );

        // The API document describes the routes and the (recursive) key shape.
        let doc = app.get("/swagger.v1.json").await;
        assert_eq!(doc.status, StatusCode::OK, "[{l}]");
        for needle in [
            "\"/user/gpg_keys/{id}\"",
            "\"/users/{username}/gpg_keys\"",
            "userCurrentPostGPGKey",
            "\"ApiGpgKey\"",
        ] {
            doc.assert_contains(needle);
        }
    }
}
