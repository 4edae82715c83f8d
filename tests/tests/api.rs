//! The REST API over real HTTP: authentication schemes, scopes, errors and the OpenAPI
//! document, on every database.

mod apisupport;
mod gitsupport;

use apisupport::{Auth, get, token};
use gitsupport::{PASSWORD, Server};
use hatchery_store::testing::stores;

#[tokio::test]
async fn version_user_and_authentication() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let _admin = server.user("sysop").await;
        let ada = server.user("ada").await;

        let v = get(&server, "/api/v1/version", Auth::None).await;
        assert_eq!(v.status, 200, "[{l}]");
        assert!(
            v.json["version"]
                .as_str()
                .unwrap_or("")
                .starts_with("1.22.0+hatchery-"),
            "[{l}] {}",
            v.text
        );

        let anon = get(&server, "/api/v1/user", Auth::None).await;
        assert_eq!(anon.status, 401, "[{l}]");
        assert!(anon.json["message"].is_string(), "[{l}] {}", anon.text);
        assert_eq!(anon.json["url"], "/api/swagger", "[{l}]");

        let secret = token(&server, ada.id, "cli", &["read:user"]).await;
        for auth in [
            Auth::Token(&secret),
            Auth::Bearer(&secret),
            Auth::Basic("ada", &secret),
            Auth::Basic("ada", PASSWORD),
        ] {
            let me = get(&server, "/api/v1/user", auth).await;
            assert_eq!(me.status, 200, "[{l}] {auth:?}: {}", me.text);
            assert_eq!(me.json["login"], "ada", "[{l}]");
            assert_eq!(me.json["email"], "ada@example.org", "[{l}]");
        }
        let bad = get(
            &server,
            "/api/v1/user",
            Auth::Token("0123456789012345678901234567890123456789"),
        )
        .await;
        assert_eq!(bad.status, 401, "[{l}]");
        let bad = get(
            &server,
            "/api/v1/user",
            Auth::Basic("ada", "wrong password"),
        )
        .await;
        assert_eq!(bad.status, 401, "[{l}]");

        // A header we cannot read is refused, never taken for an anonymous request (the
        // search answers anonymous callers).
        for value in ["Basic !!!", "Basic bm8tY29sb24=", "token", "Bearer "] {
            let r = reqwest::Client::new()
                .get(format!("http://{}/api/v1/repos/search", server.addr))
                .header("authorization", value)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401, "[{l}] {value:?}");
        }

        let narrow = token(&server, ada.id, "narrow", &["read:repository"]).await;
        let refused = get(&server, "/api/v1/user", Auth::Token(&narrow)).await;
        assert_eq!(refused.status, 403, "[{l}]");
        assert!(
            refused.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("read:user"),
            "[{l}] {}",
            refused.text
        );

        let missing = get(&server, "/api/v1/no/such/route", Auth::None).await;
        assert_eq!(missing.status, 404, "[{l}]");
        assert!(
            missing.json["message"].is_string(),
            "[{l}] {}",
            missing.text
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let doc = get(&server, "/swagger.v1.json", Auth::None).await;
        assert_eq!(doc.status, 200, "[{l}]");
        let paths = doc.json["paths"].as_object().expect("paths");
        // Every documented operation is routed: calling it never answers the router's own
        // "no such route" (405 or the API's fallback 404 with no handler behind it).
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_none() {
                    continue;
                }
                let concrete = path
                    .split('/')
                    .map(|seg| if seg.starts_with('{') { "x1" } else { seg })
                    .collect::<Vec<_>>()
                    .join("/");
                let r = apisupport::call(
                    &server,
                    &method.to_uppercase(),
                    &format!("/api/v1{concrete}"),
                    Auth::None,
                    None,
                )
                .await;
                assert_ne!(
                    r.status, 405,
                    "[{l}] {method} {path} is documented but not routed"
                );
            }
        }
        for expected in hatchery_web::api::expected_routes() {
            let (method, path) = expected;
            assert!(
                paths.get(*path).and_then(|i| i.get(*method)).is_some(),
                "[{l}] {method} {path} is not in the OpenAPI document"
            );
        }
        let page = get(&server, "/api/swagger", Auth::None).await;
        assert_eq!(page.status, 200, "[{l}]");
        assert!(page.text.contains("/api/v1/version"), "[{l}]");
        server.stop().await;
    }
}

#[tokio::test]
async fn path_ids_that_are_not_numbers_are_404s() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        server.repo(&ada, "tool", false).await;
        for path in [
            "/api/v1/repos/ada/tool/hooks/abc",
            "/api/v1/repos/ada/tool/hooks/99999999999999999999",
            "/api/v1/repos/ada/tool/issues/abc",
            "/api/v1/repos/ada/tool/issues/abc/comments",
        ] {
            let r = get(&server, path, Auth::Basic("ada", PASSWORD)).await;
            assert_eq!(r.status, 404, "[{l}] {path}: {}", r.text);
            assert!(r.json["message"].is_string(), "[{l}] {path}: {}", r.text);
        }
        server.stop().await;
    }
}
