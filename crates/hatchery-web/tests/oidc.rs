//! OpenID Connect sign-in through the real router, on every backend.
//!
//! Against a real provider (the certified `oidc-provider` package, `tests/oidc`): the code
//! flow with PKCE, accounts created on first sign-in and placed in teams by the `groups`
//! claim (read from the userinfo endpoint, as the provider keeps it out of the ID token), a
//! replayed code, a wrong state, an existing account with the same email not linked
//! silently, linking and unlinking from the settings (CSRF, never the last way in), a key
//! rotation at the provider, a provider that is down, and "test connection".
//!
//! Against a provider played by the test (so that it can lie): expired, foreign-signed,
//! unsigned (`alg: none`), wrong-issuer, wrong-audience and wrong-nonce ID tokens, an answer
//! naming another issuer (RFC 9207 mix-up), a denied sign-in. Each is refused and creates
//! nothing; the honest answer signs in.

mod support;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_store::testing::fixtures;
use support::TestApp;

const PUBLIC: &str = "http://127.0.0.1:3000";

fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Plays the browser at the provider: follows its redirects (with a fresh cookie jar, so
/// no earlier sign-in there is reused) until it sends the browser back to this site;
/// returns that path and query.
async fn at_provider(start: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("HTTP client");
    let mut url = reqwest::Url::parse(start).expect("provider URL");
    for _ in 0..10 {
        if let Some(path) = url.as_str().strip_prefix(PUBLIC) {
            return path.to_owned();
        }
        let r = http
            .get(url.clone())
            .send()
            .await
            .expect("provider answers");
        let location = r
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("provider did not redirect from {url}: {}", r.status()))
            .to_str()
            .expect("ASCII location")
            .to_owned();
        url = url.join(&location).expect("location URL");
    }
    panic!("too many redirects at the provider");
}

/// Starts signing in at `/user/oauth2/{id}` and comes back from the provider: the callback
/// path the router is then asked for.
async fn through_provider(app: &mut TestApp, begin: &str) -> String {
    let r = app.get(begin).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "[{}] {}",
        app.label(),
        r.body
    );
    at_provider(r.location()).await
}

/// Who the client is signed in as (the header's user menu names them).
async fn signed_in_as(app: &mut TestApp, name: &str) -> bool {
    let r = app.get("/user/settings").await;
    r.status == StatusCode::OK
        && r.body
            .contains(&format!("href=\"/{name}\" id=\"nav-profile\""))
}

fn oidc_form<'a>(name: &'a str, issuer: &'a str, mappings: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "oidc"),
        ("name", name),
        ("enabled", "on"),
        ("auto_create", "on"),
        ("issuer", issuer),
        ("client_id", "hatchery"),
        ("client_secret", "client-s3cret"),
        ("scopes", "profile email groups"),
        ("claim_username", ""),
        ("claim_email", ""),
        ("claim_display_name", ""),
        ("claim_groups", ""),
        ("admin_group", ""),
        ("mappings", mappings),
    ]
}

async fn create_source(app: &mut TestApp, form: &[(&str, &str)]) -> i64 {
    let r = app.post_form("/admin/auths/new", form).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "[{}] {}",
        app.label(),
        r.body
    );
    app.store
        .auth_source_by_name(form.iter().find(|(k, _)| *k == "name").unwrap().1)
        .await
        .unwrap()
        .expect("saved")
        .id
}

#[tokio::test]
async fn people_sign_in_through_a_real_provider_and_link_it_to_their_account() {
    let accounts = r#"{
        "ada": {"preferred_username": "ada", "email": "ada@uni.example", "email_verified": true,
                "name": "Ada Lovelace", "groups": ["staff", "physics"]},
        "carol-at-uni": {"preferred_username": "carol.uni", "email": "carol@example.edu.cn",
                "email_verified": true, "name": "Carol", "groups": []}
    }"#;
    // Each backend's database is new, so its sources are numbered from 1.
    let redirects: Vec<String> = (1..=4)
        .map(|id| format!("{PUBLIC}/user/oauth2/{id}/callback"))
        .collect();
    let mut provider = hatchery_testkit::oidc::OidcProvider::start(
        "hatchery",
        "client-s3cret",
        &redirects,
        accounts,
    );
    let issuer = provider.issuer();
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let boss = app.store.user_by_name("boss").await.unwrap().unwrap();
        let lab = fixtures::org(app.store.store(), &boss, "lab").await;
        let staff = fixtures::team(app.store.store(), lab.id, "staff", AccessLevel::Write).await;
        let id = create_source(
            &mut app,
            &oidc_form("Campus ID", &issuer, "staff -> lab/staff"),
        )
        .await;

        // The administrator sees what to register at the provider, and can test it.
        let r = app.get(&format!("/admin/auths/{id}")).await;
        r.assert_contains(&format!("{PUBLIC}/user/oauth2/{id}/callback"));
        assert!(
            !r.body.contains("client-s3cret"),
            "[{label}] the secret is never shown"
        );
        let r = app.post_form(&format!("/admin/auths/{id}/test"), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "[{label}] {}", r.body);
        r.assert_contains("signing keys");

        // The sign-in page offers the provider.
        let mut ada = app.new_client();
        let r = ada.get("/user/login?next=/explore").await;
        r.assert_contains("Sign in with Campus ID");
        r.assert_contains(&format!("/user/oauth2/{id}?next=%2Fexplore"));

        // First sign-in: the account is created and placed in lab/staff by its groups.
        provider.sign_in_as("ada");
        let callback =
            through_provider(&mut ada, &format!("/user/oauth2/{id}?next=/explore")).await;
        assert!(
            callback.starts_with(&format!("/user/oauth2/{id}/callback?")),
            "{callback}"
        );
        let r = ada.get(&callback).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert_eq!(r.location(), "/explore");
        assert!(signed_in_as(&mut ada, "ada").await, "[{label}]");
        let ada_user = app
            .store
            .user_by_name("ada")
            .await
            .unwrap()
            .expect("created");
        assert_eq!(ada_user.email, "ada@uni.example");
        assert_eq!(ada_user.display_name, "Ada Lovelace");
        assert_eq!(
            app.store
                .user_by_external(id, "ada")
                .await
                .unwrap()
                .map(|u| u.id),
            Some(ada_user.id),
            "[{label}] linked by the provider's subject"
        );
        assert!(
            app.store
                .team_ids_of_user(ada_user.id)
                .await
                .unwrap()
                .contains(&staff.id),
            "[{label}] the groups claim places people in teams"
        );

        // The same answer again: no sign-in is waiting for it.
        let mut again = app.new_client();
        let r = again.get(&callback).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}] {}", r.body);
        r.assert_contains("not started here");
        // A replayed code with a state of its own: the provider refuses the code.
        let r = again.get(&format!("/user/oauth2/{id}")).await;
        let state = query_param(r.location(), "state").expect("state");
        let code = query_param(&format!("{PUBLIC}{callback}"), "code").expect("code");
        let r = again
            .get(&format!(
                "/user/oauth2/{id}/callback?code={code}&state={state}"
            ))
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "[{label}] replayed code: {}",
            r.body
        );
        assert!(!signed_in_as(&mut again, "ada").await, "[{label}]");

        // A wrong state is refused, and the sign-in it interrupted is over.
        let mut mallory = app.new_client();
        let callback = through_provider(&mut mallory, &format!("/user/oauth2/{id}")).await;
        let forged = callback.replace("state=", "state=x");
        let r = mallory.get(&forged).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}] {}", r.body);
        let r = mallory.get(&callback).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "[{label}] one try per sign-in"
        );

        // Denied at the provider.
        provider.deny_next();
        let callback = through_provider(&mut mallory, &format!("/user/oauth2/{id}")).await;
        assert!(callback.contains("error=access_denied"), "{callback}");
        let r = mallory.get(&callback).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}] {}", r.body);

        // Carol has a local account with the email the provider vouches for: it is not
        // taken over; she signs in with her password and links the provider herself.
        let mut carol = app.new_client();
        carol.sign_up("carol").await;
        carol.logout().await;
        provider.sign_in_as("carol-at-uni");
        let callback = through_provider(&mut carol, &format!("/user/oauth2/{id}")).await;
        let r = carol.get(&callback).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{label}] {}", r.body);
        r.assert_contains("Linked accounts");
        assert!(
            app.store
                .user_by_external(id, "carol-at-uni")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            app.store.user_by_name("carol.uni").await.unwrap().is_none(),
            "[{label}]"
        );

        carol.login("carol", support::PASSWORD).await;
        let r = carol.get("/user/settings/linked").await;
        assert_eq!(r.status, StatusCode::OK);
        r.assert_contains("Campus ID");
        let link = format!("/user/settings/linked/{id}/link");
        let r = carol.post_raw(&link, "").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{label}] CSRF");
        let r = carol.post_form(&link, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let callback = at_provider(r.location()).await;
        let r = carol.get(&callback).await;
        assert_eq!(
            r.location(),
            "/user/settings/linked",
            "[{label}] {}",
            r.body
        );
        let carol_user = app.store.user_by_name("carol").await.unwrap().unwrap();
        assert_eq!(
            app.store
                .user_by_external(id, "carol-at-uni")
                .await
                .unwrap()
                .map(|u| u.id),
            Some(carol_user.id),
            "[{label}] linked"
        );
        carol.logout().await;
        let callback = through_provider(&mut carol, &format!("/user/oauth2/{id}")).await;
        let r = carol.get(&callback).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert!(
            signed_in_as(&mut carol, "carol").await,
            "[{label}] signs in as carol"
        );

        // Unlinking: never the only way in (Ada has no password); Carol has one.
        let unlink = format!("/user/settings/linked/{id}/unlink");
        let r = ada.post_form(&unlink, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            app.store
                .user_by_external(id, "ada")
                .await
                .unwrap()
                .is_some(),
            "[{label}]"
        );
        let r = carol.post_form(&unlink, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            app.store
                .user_by_external(id, "carol-at-uni")
                .await
                .unwrap()
                .is_none()
        );
        let r = carol.post_form(&unlink, &[]).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "[{label}] nothing left to unlink"
        );

        // The provider rotates its keys: the next ID token's key is fetched at once.
        provider.restart();
        provider.sign_in_as("ada");
        let mut ada2 = app.new_client();
        let callback = through_provider(&mut ada2, &format!("/user/oauth2/{id}")).await;
        let r = ada2.get(&callback).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{label}] after rotation: {}",
            r.body
        );
        assert!(signed_in_as(&mut ada2, "ada").await, "[{label}]");

        // A provider that cannot be reached; sources that do not exist or are off.
        let nowhere = format!("http://127.0.0.1:{}", hatchery_testkit::free_port());
        let down = create_source(&mut app, &oidc_form("Old SSO", &nowhere, "")).await;
        let mut anon = app.new_client();
        let r = anon.get(&format!("/user/oauth2/{down}")).await;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "[{label}] {}",
            r.body
        );
        r.assert_contains("cannot be reached");
        let r = app
            .post_form(&format!("/admin/auths/{down}/test"), &[])
            .await;
        assert_eq!(r.status, StatusCode::BAD_GATEWAY, "[{label}]");
        for missing in [
            "/user/oauth2/999",
            "/user/oauth2/abc",
            "/user/oauth2/abc/callback",
        ] {
            let r = anon.get(missing).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{label}] {missing}: {}",
                r.body
            );
        }
        let mut off = oidc_form("Old SSO", &nowhere, "");
        off.retain(|(k, _)| *k != "enabled");
        let r = app.post_form(&format!("/admin/auths/{down}"), &off).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = anon.get(&format!("/user/oauth2/{down}")).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "[{label}] a disabled source"
        );

        // An account with two-factor on is asked for its code after the provider, as after
        // a password: the provider is the first factor only.
        let forge = &app.state.forge;
        let enrolment = forge.two_factor_begin(&ada_user).await.expect("enrol");
        let now = u64::try_from(hatchery_store::now_ms() / 1000).unwrap();
        let code = hatchery_service::twofactor::code_at(&enrolment.secret, now).unwrap();
        forge
            .two_factor_confirm(&ada_user, &code)
            .await
            .expect("confirm");
        provider.sign_in_as("ada");
        let mut ada3 = app.new_client();
        let callback = through_provider(&mut ada3, &format!("/user/oauth2/{id}")).await;
        let r = ada3.get(&callback).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert_eq!(
            r.location(),
            "/user/two_factor",
            "[{label}] the second factor is asked"
        );
        assert!(
            !signed_in_as(&mut ada3, "ada").await,
            "[{label}] not before the code"
        );

        // Chinese pages.
        anon.set_cookie("hatchery_lang", "zh-CN");
        anon.get("/user/login")
            .await
            .assert_contains("使用 Campus ID 登录");
    }
}

// ---- a provider played by the test, which can lie ----

use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, EndUserEmail, EndUserUsername, IssuerUrl, JsonWebKeyId, Nonce,
    PrivateSigningKey, StandardClaims, SubjectIdentifier,
};

fn rsa_pem() -> String {
    let out = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .output()
        .expect("openssl");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("PEM")
}

struct Liar {
    issuer: String,
    key: CoreRsaPrivateSigningKey,
    /// The ID token the token endpoint answers with next.
    next_token: Arc<Mutex<String>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Liar {
    async fn start() -> Liar {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let key =
            CoreRsaPrivateSigningKey::from_pem(&rsa_pem(), Some(JsonWebKeyId::new("k1".into())))
                .expect("RSA key");
        let jwks = serde_json::json!({ "keys": [key.as_verification_key()] });
        let discovery = serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/auth"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let next_token = Arc::new(Mutex::new(String::new()));
        let token = next_token.clone();
        let app = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(move || async move { axum::Json(discovery) }),
            )
            .route(
                "/jwks",
                axum::routing::get(move || async move { axum::Json(jwks) }),
            )
            .route(
                "/token",
                axum::routing::post(move || async move {
                    let id_token = token.lock().unwrap().clone();
                    axum::Json(serde_json::json!({
                        "access_token": "access", "token_type": "Bearer", "id_token": id_token,
                    }))
                }),
            );
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Liar {
            issuer,
            key,
            next_token,
            _server: server,
        }
    }

    fn claims(&self, nonce: &str) -> CoreIdTokenClaims {
        let now = chrono_now();
        CoreIdTokenClaims::new(
            IssuerUrl::new(self.issuer.clone()).unwrap(),
            vec![Audience::new("hatchery".into())],
            now + chrono::Duration::seconds(300),
            now,
            StandardClaims::new(SubjectIdentifier::new("eve-sub".into()))
                .set_preferred_username(Some(EndUserUsername::new("eve".into())))
                .set_email(Some(EndUserEmail::new("eve@uni.example".into()))),
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(nonce.to_owned())))
    }

    fn sign(&self, claims: CoreIdTokenClaims, key: &CoreRsaPrivateSigningKey) -> String {
        CoreIdToken::new(
            claims,
            key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .expect("signed")
        .to_string()
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Makes the ID token for a sign-in whose nonce is given.
type Forgery<'a> = Box<dyn Fn(&str) -> String + 'a>;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn forged_id_tokens_and_mixed_up_answers_are_refused() {
    let liar = Liar::start().await;
    let stranger =
        CoreRsaPrivateSigningKey::from_pem(&rsa_pem(), Some(JsonWebKeyId::new("k1".into())))
            .expect("RSA key");
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let id = create_source(&mut app, &oidc_form("Liar", &liar.issuer, "")).await;
        // A sign-in started, the provider's answer forged: (status, what it got).
        let cases: Vec<(&str, Forgery, Option<&str>)> = vec![
            (
                "expired",
                Box::new(|n: &str| {
                    let now = chrono_now();
                    liar.sign(
                        liar.claims(n)
                            .set_expiration(now - chrono::Duration::seconds(600))
                            .set_issue_time(now - chrono::Duration::seconds(900)),
                        &liar.key,
                    )
                }),
                None,
            ),
            (
                "signed by another key",
                Box::new(|n: &str| liar.sign(liar.claims(n), &stranger)),
                None,
            ),
            (
                "unsigned",
                Box::new(|n: &str| {
                    let payload = serde_json::to_vec(&liar.claims(n)).unwrap();
                    format!(
                        "{}.{}.",
                        b64(br#"{"alg":"none","typ":"JWT"}"#),
                        b64(&payload)
                    )
                }),
                None,
            ),
            (
                "another issuer",
                Box::new(|n: &str| {
                    liar.sign(
                        liar.claims(n)
                            .set_issuer(IssuerUrl::new("http://evil.example".into()).unwrap()),
                        &liar.key,
                    )
                }),
                None,
            ),
            (
                "another audience",
                Box::new(|n: &str| {
                    liar.sign(
                        liar.claims(n)
                            .set_audiences(vec![Audience::new("someone-else".into())]),
                        &liar.key,
                    )
                }),
                None,
            ),
            (
                "another nonce",
                Box::new(|_: &str| liar.sign(liar.claims("not-yours"), &liar.key)),
                None,
            ),
            (
                "answer from another issuer",
                Box::new(|n: &str| liar.sign(liar.claims(n), &liar.key)),
                Some("http://evil.example"),
            ),
        ];
        for (what, token, iss) in &cases {
            let mut eve = app.new_client();
            let r = eve.get(&format!("/user/oauth2/{id}")).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
            let state = query_param(r.location(), "state").unwrap();
            let nonce = query_param(r.location(), "nonce").unwrap();
            assert!(r.location().contains("code_challenge_method=S256"), "PKCE");
            *liar.next_token.lock().unwrap() = token(&nonce);
            let mut callback = format!("/user/oauth2/{id}/callback?code=c&state={state}");
            if let Some(iss) = iss {
                callback.push_str(&format!("&iss={iss}"));
            }
            let r = eve.get(&callback).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "[{label}] {what}: {}",
                r.body
            );
            assert!(
                app.store.user_by_name("eve").await.unwrap().is_none(),
                "[{label}] {what}"
            );
        }
        // Denied: the provider sends the person back with an error.
        let mut eve = app.new_client();
        let r = eve.get(&format!("/user/oauth2/{id}")).await;
        let state = query_param(r.location(), "state").unwrap();
        let r = eve
            .get(&format!(
                "/user/oauth2/{id}/callback?error=access_denied&state={state}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{label}]");

        // The honest answer signs in.
        let r = eve.get(&format!("/user/oauth2/{id}")).await;
        let state = query_param(r.location(), "state").unwrap();
        let nonce = query_param(r.location(), "nonce").unwrap();
        *liar.next_token.lock().unwrap() = liar.sign(liar.claims(&nonce), &liar.key);
        let r = eve
            .get(&format!(
                "/user/oauth2/{id}/callback?code=c&state={state}&iss={}",
                liar.issuer
            ))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert!(signed_in_as(&mut eve, "eve").await, "[{label}]");
    }
}
