//! Security keys and passkeys (WebAuthn) as a second factor through the real router, on
//! every backend, with a software passkey (webauthn-authenticator-rs) in the browser's
//! place: registration from the two-factor settings page, the second sign-in step, a
//! foreign credential, a replayed answer, an answer to another session's ceremony, a
//! cloned authenticator (counter gone back), CSRF, removal (refused for the last second
//! factor the site requires), and passwords over Basic refused while a key is registered.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use support::{PASSWORD, Resp, TestApp, api};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const ORIGIN: &str = "http://localhost:3000";

async fn apps() -> Vec<TestApp> {
    TestApp::all_with(|cfg| cfg.public_url = format!("{ORIGIN}/")).await
}

fn origin() -> url::Url {
    url::Url::parse(ORIGIN).unwrap()
}

/// A JSON POST as app.js sends it: the page's CSRF token in the header (none: `csrf` false).
async fn post_json(client: &mut TestApp, path: &str, body: &str, csrf: bool) -> Resp {
    if client.cookie("hatchery_csrf").is_none() {
        client.get("/").await;
    }
    let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if csrf {
        let token = client.cookie("hatchery_csrf").cloned().unwrap_or_default();
        req = req.header("x-csrf-token", token);
    }
    client
        .send(req.body(Body::from(body.to_owned())).unwrap())
        .await
}

fn json(r: &Resp) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {} {}", r.status, r.body))
}

/// Registers `key` as `name` for the signed-in `client`.
async fn register(client: &mut TestApp, key: &mut SoftPasskey, name: &str) {
    let body = serde_json::json!({ "name": name }).to_string();
    let r = post_json(client, "/user/settings/two_factor/keys/start", &body, true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let options: CreationChallengeResponse = serde_json::from_str(&r.body).unwrap();
    let answer = key.do_registration(origin(), options).unwrap();
    let r = post_json(
        client,
        "/user/settings/two_factor/keys/finish",
        &serde_json::to_string(&answer).unwrap(),
        true,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["redirect"], "/user/settings/two_factor");
}

/// Signs `who` in with the password: the sign-in waits for the second factor.
async fn first_factor(client: &mut TestApp, who: &str) {
    let r = client.login(who, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/user/two_factor");
}

/// Starts the second step: the options the browser would get.
async fn key_options(client: &mut TestApp) -> serde_json::Value {
    let r = post_json(client, "/user/two_factor/key/start", "{}", true).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    json(&r)
}

fn answer(key: &mut SoftPasskey, options: &serde_json::Value) -> String {
    let options: RequestChallengeResponse = serde_json::from_value(options.clone()).unwrap();
    serde_json::to_string(&key.do_authentication(origin(), options).unwrap()).unwrap()
}

async fn finish(client: &mut TestApp, answer: &str) -> Resp {
    post_json(client, "/user/two_factor/key/finish", answer, true).await
}

/// The recovery codes on a page that shows them.
fn recovery_codes(body: &str) -> Vec<String> {
    let Some(list) = body.split("id=\"recovery-codes\"").nth(1) else {
        return vec![];
    };
    let list = list.split("</ul>").next().unwrap_or("");
    list.split("<code>")
        .skip(1)
        .filter_map(|c| c.split("</code>").next())
        .map(str::to_owned)
        .collect()
}

async fn signed_in(client: &mut TestApp) -> bool {
    client.get("/user/settings/two_factor").await.status == StatusCode::OK
}

#[tokio::test]
async fn a_security_key_is_a_second_factor() {
    for app in apps().await {
        let label = app.label().to_owned();
        let mut boss = app.new_client();
        boss.sign_up("boss").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let page = ada.get("/user/settings/two_factor").await;
        page.assert_contains("security-key-none");
        page.assert_contains("data-webauthn-register");
        assert!(!page.body.contains("security-key-unavailable"), "[{label}]");

        // Without the CSRF header nothing starts.
        let r = post_json(
            &mut ada,
            "/user/settings/two_factor/keys/start",
            r#"{"name":"x"}"#,
            false,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{label}]");
        // A name is needed.
        let r = post_json(
            &mut ada,
            "/user/settings/two_factor/keys/start",
            r#"{"name":"  "}"#,
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{label}]");
        assert_eq!(json(&r)["error"], "Give the key a name.", "[{label}]");
        let r = post_json(
            &mut ada,
            "/user/settings/two_factor/keys/start",
            "not json",
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}]");

        let mut key = SoftPasskey::new(true);
        register(&mut ada, &mut key, "Soft key").await;
        // Her first second factor: recovery codes, shown once.
        let page = ada.get("/user/settings/two_factor").await;
        let codes = recovery_codes(&page.body);
        assert_eq!(codes.len(), 10, "[{label}] {}", page.body);
        let page = ada.get("/user/settings/two_factor").await;
        assert!(!page.body.contains("recovery-codes"), "[{label}] once");
        page.assert_contains("security-key-recovery-left");
        assert!(page.body.contains("security-key-list"), "[{label}]");
        page.assert_contains("Soft key");
        page.assert_contains("never used");
        // The same name again, in another case, is refused before the browser is asked.
        let r = post_json(
            &mut ada,
            "/user/settings/two_factor/keys/start",
            r#"{"name":"SOFT KEY"}"#,
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{label}]");
        // A registration answer is taken once.
        let r = post_json(
            &mut ada,
            "/user/settings/two_factor/keys/start",
            r#"{"name":"Twice"}"#,
            true,
        )
        .await;
        let options: CreationChallengeResponse = serde_json::from_str(&r.body).unwrap();
        let mut other = SoftPasskey::new(true);
        let reg =
            serde_json::to_string(&other.do_registration(origin(), options).unwrap()).unwrap();
        let r = post_json(
            &mut ada,
            "/user/settings/two_factor/keys/finish",
            &reg,
            false,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{label}] CSRF");
        let r = post_json(
            &mut ada,
            "/user/settings/two_factor/keys/finish",
            &reg,
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        let r = post_json(
            &mut ada,
            "/user/settings/two_factor/keys/finish",
            &reg,
            true,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "[{label}] replayed registration"
        );
        let ada_user = app.store.user_by_name("ada").await.unwrap().unwrap();
        let keys = app.store.security_keys(ada_user.id).await.unwrap();
        assert_eq!(keys.len(), 2, "[{label}]");

        // With a key, git and the API take tokens only.
        let r = api(&mut ada, "GET", "/api/v1/user", Some("ada"), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        r.assert_contains("use an access token");
        let admin_view = boss.get("/admin/users").await;
        assert_eq!(admin_view.status, StatusCode::OK, "[{label}]");

        // The second step offers the key, and recovery codes (no authenticator app).
        ada.logout().await;
        first_factor(&mut ada, "ada").await;
        let page = ada.get("/user/two_factor").await;
        page.assert_contains("data-webauthn-sign-in");
        page.assert_contains("two-factor-form");
        page.assert_contains("Lost your key?");
        assert!(!signed_in(&mut ada).await, "[{label}] not before the key");

        // Without CSRF: refused.
        let r = post_json(&mut ada, "/user/two_factor/key/start", "{}", false).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{label}]");

        // A foreign credential: bob's key signing ada's challenge.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut bobs_key = SoftPasskey::new(true);
        register(&mut bob, &mut bobs_key, "Bob's").await;
        let bob_user = app.store.user_by_name("bob").await.unwrap().unwrap();
        let bob_cred = app.store.security_keys(bob_user.id).await.unwrap()[0]
            .credential_id
            .clone();
        let mut options = key_options(&mut ada).await;
        options["publicKey"]["allowCredentials"] =
            serde_json::json!([{ "type": "public-key", "id": bob_cred }]);
        let foreign = answer(&mut bobs_key, &options);
        let r = finish(&mut ada, &foreign).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] {}", r.body);
        assert!(!signed_in(&mut ada).await, "[{label}]");

        // The state of another session's ceremony: ada's key answers the options of one
        // browser, and the answer is posted from another that signed in with her password.
        let mut elsewhere = app.new_client();
        first_factor(&mut elsewhere, "ada").await;
        key_options(&mut elsewhere).await;
        let options = key_options(&mut ada).await;
        let for_ada = answer(&mut key, &options);
        let r = finish(&mut elsewhere, &for_ada).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] {}", r.body);
        assert!(!signed_in(&mut elsewhere).await, "[{label}]");
        // ... and a browser with no ceremony at all.
        let mut stranger = app.new_client();
        let r = finish(&mut stranger, &for_ada).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}]");

        // The right answer in the right session signs in, to where the sign-in was going.
        let r = finish(&mut ada, &for_ada).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        assert_eq!(json(&r)["redirect"], "/", "[{label}]");
        assert!(signed_in(&mut ada).await, "[{label}]");
        let page = ada.get("/user/settings/two_factor").await;
        page.assert_contains("last used");

        // Replayed: the same answer (same challenge) in a new sign-in.
        ada.logout().await;
        first_factor(&mut ada, "ada").await;
        let r = finish(&mut ada, &for_ada).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}] no ceremony");
        key_options(&mut ada).await;
        let r = finish(&mut ada, &for_ada).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] replayed");
        assert!(!signed_in(&mut ada).await, "[{label}]");

        // A cloned authenticator: the stored counter is ahead of what the key sends.
        let stored = app.store.security_keys(ada_user.id).await.unwrap()[0].clone();
        let mut passkey: serde_json::Value = serde_json::from_str(&stored.passkey).unwrap();
        passkey["cred"]["counter"] = serde_json::json!(1000);
        assert!(
            app.store
                .record_security_key_use(stored.id, &stored.passkey, &passkey.to_string())
                .await
                .unwrap()
        );
        let options = key_options(&mut ada).await;
        let r = finish(&mut ada, &answer(&mut key, &options)).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "[{label}] counter went back"
        );
        assert!(!signed_in(&mut ada).await, "[{label}]");

        // The other key works; then remove both, and the password works over Basic again.
        let options = key_options(&mut ada).await;
        let r = finish(&mut ada, &answer(&mut other, &options)).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);

        // A recovery code instead of the key, once; a six-digit code means nothing here.
        ada.logout().await;
        first_factor(&mut ada, "ada").await;
        let r = ada
            .post_form("/user/two_factor", &[("code", "123456")])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}]");
        let r = ada
            .post_form("/user/two_factor", &[("code", &codes[0])])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert!(signed_in(&mut ada).await, "[{label}]");
        ada.logout().await;
        first_factor(&mut ada, "ada").await;
        let r = ada
            .post_form("/user/two_factor", &[("code", &codes[0])])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] used");
        let r = ada
            .post_form("/user/two_factor", &[("code", &codes[1])])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let first = &keys[0];
        let r = ada
            .post_raw(
                &format!("/user/settings/two_factor/keys/{}/delete", first.id),
                "",
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{label}] CSRF");
        let bobs_id = app.store.security_keys(bob_user.id).await.unwrap()[0].id;
        let r = ada
            .post_form(
                &format!("/user/settings/two_factor/keys/{bobs_id}/delete"),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}] bob's key");
        for k in &keys {
            let r = ada
                .post_form(
                    &format!("/user/settings/two_factor/keys/{}/delete", k.id),
                    &[],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        }
        assert_eq!(app.store.security_key_count(ada_user.id).await.unwrap(), 0);
        assert_eq!(
            app.store.recovery_codes_left(ada_user.id).await.unwrap(),
            0,
            "[{label}] the codes went with the last key"
        );
        assert_eq!(app.store.security_key_count(bob_user.id).await.unwrap(), 1);
        let r = api(&mut ada, "GET", "/api/v1/user", Some("ada"), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        ada.logout().await;
        let r = ada.login("ada", PASSWORD).await;
        assert_eq!(r.location(), "/", "[{label}] one step again");
    }
}

#[tokio::test]
async fn the_last_required_second_factor_stays() {
    for app in apps().await {
        let label = app.label().to_owned();
        let mut boss = app.new_client();
        boss.sign_up("boss").await;
        let r = boss
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
        // Required and missing: the settings page is where everything leads, and a key can
        // be added from it.
        let r = boss.get("/").await;
        assert_eq!(r.location(), "/user/settings/two_factor", "[{label}]");
        let mut key = SoftPasskey::new(true);
        register(&mut boss, &mut key, "Only key").await;
        let r = boss.get("/").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] enrolled with a key");

        let user = app.store.user_by_name("boss").await.unwrap().unwrap();
        let id = app.store.security_keys(user.id).await.unwrap()[0].id;
        let r = boss
            .post_form(&format!("/user/settings/two_factor/keys/{id}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert_eq!(
            app.store.security_key_count(user.id).await.unwrap(),
            1,
            "[{label}] the last second factor stays"
        );
        let page = boss.get("/user/settings/two_factor").await;
        page.assert_contains("keep at least one second factor");

        // A second key: then one of them may go.
        let mut spare = SoftPasskey::new(true);
        register(&mut boss, &mut spare, "Spare").await;
        let r = boss
            .post_form(&format!("/user/settings/two_factor/keys/{id}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert_eq!(app.store.security_key_count(user.id).await.unwrap(), 1);

        // Signing in with the spare key, in Chinese too.
        boss.logout().await;
        first_factor(&mut boss, "boss").await;
        boss.set_cookie("hatchery_lang", "zh-CN");
        let page = boss.get("/user/two_factor").await;
        page.assert_contains("使用安全密钥或通行密钥");
        let options = key_options(&mut boss).await;
        let r = finish(&mut boss, &answer(&mut spare, &options)).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        assert!(signed_in(&mut boss).await, "[{label}]");
    }
}

/// A site whose public URL is an IP address cannot be a relying party: the page says so and
/// nothing starts.
#[tokio::test]
async fn an_ip_address_site_says_keys_are_unavailable() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("ada").await;
        let page = app.get("/user/settings/two_factor").await;
        page.assert_contains("security-key-unavailable");
        let r = post_json(
            &mut app,
            "/user/settings/two_factor/keys/start",
            r#"{"name":"x"}"#,
            true,
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{label}]");
    }
}
