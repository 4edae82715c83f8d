//! Forks through the real router on every backend: the API's create and list in Gitea's
//! shape (into the caller's account or an organization), private parents hidden, and the
//! pages: fork form, "forked from", the fork list.

mod support;

use axum::http::StatusCode;
use support::{TestApp, api};

async fn create_repo(app: &mut TestApp, owner: &str, name: &str, private: bool) {
    let mut fields = vec![("owner", owner), ("name", name), ("init_readme", "on")];
    if private {
        fields.push(("private", "on"));
    }
    let r = app.post_form("/repo/create", &fields).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "[{}] {}",
        app.label(),
        r.body
    );
}

#[tokio::test]
async fn the_api_forks_lists_and_hides_private_parents() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        create_repo(&mut app, "ada", "tool", false).await;
        create_repo(&mut app, "ada", "secret", true).await;

        let r = api(
            &mut bob,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            Some("bob"),
            Some("{}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "[{l}] {}", r.body);
        let fork: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(fork["full_name"], "bob/tool", "[{l}]");
        assert_eq!(fork["fork"], true);
        assert_eq!(fork["private"], false);

        // Same name again: 409. A new name: fine. Bad name: 422. Anonymous: 401.
        let again = api(
            &mut bob,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            Some("bob"),
            Some("{}"),
        )
        .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "[{l}]");
        let named = api(
            &mut bob,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            Some("bob"),
            Some(r#"{"name":"tool-2"}"#),
        )
        .await;
        assert_eq!(named.status, StatusCode::ACCEPTED, "[{l}] {}", named.body);
        let bad = api(
            &mut bob,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            Some("bob"),
            Some(r#"{"name":"../x"}"#),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        let anon = api(
            &mut bob,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            None,
            Some("{}"),
        )
        .await;
        assert_eq!(anon.status, StatusCode::UNAUTHORIZED, "[{l}]");
        // An organization Bob does not own: refused.
        let org = app.post_form("/org/create", &[("name", "acme")]).await;
        assert_eq!(org.status, StatusCode::SEE_OTHER, "[{l}] {}", org.body);
        let in_org = api(
            &mut bob,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            Some("bob"),
            Some(r#"{"organization":"acme"}"#),
        )
        .await;
        assert!(
            in_org.status == StatusCode::FORBIDDEN || in_org.status == StatusCode::NOT_FOUND,
            "[{l}] {}",
            in_org.status
        );
        // Ada owns acme.
        let ada_org = api(
            &mut app,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            Some("ada"),
            Some(r#"{"organization":"acme"}"#),
        )
        .await;
        assert_eq!(
            ada_org.status,
            StatusCode::ACCEPTED,
            "[{l}] {}",
            ada_org.body
        );

        // The private parent is a 404 to Bob on both routes, like a missing repository.
        let hidden = api(
            &mut bob,
            "POST",
            "/api/v1/repos/ada/secret/forks",
            Some("bob"),
            Some("{}"),
        )
        .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "[{l}]");
        let missing = api(
            &mut bob,
            "POST",
            "/api/v1/repos/ada/nothing/forks",
            Some("bob"),
            Some("{}"),
        )
        .await;
        assert_eq!(missing.body, hidden.body);
        assert_eq!(
            api(
                &mut bob,
                "GET",
                "/api/v1/repos/ada/secret/forks",
                Some("bob"),
                None
            )
            .await
            .status,
            StatusCode::NOT_FOUND
        );
        // Ada forks her private repository: private, and not listed to Bob.
        let own = api(
            &mut app,
            "POST",
            "/api/v1/repos/ada/secret/forks",
            Some("ada"),
            Some(r#"{"name":"secret-2"}"#),
        )
        .await;
        assert_eq!(own.status, StatusCode::ACCEPTED, "[{l}] {}", own.body);
        assert!(own.body.contains("\"private\":true"));

        let list = api(&mut bob, "GET", "/api/v1/repos/ada/tool/forks", None, None).await;
        assert_eq!(list.status, StatusCode::OK);
        let names: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&list.body)
            .unwrap()
            .iter()
            .map(|r| r["full_name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["bob/tool", "bob/tool-2", "acme/tool"], "[{l}]");
        let paged = api(
            &mut bob,
            "GET",
            "/api/v1/repos/ada/tool/forks?limit=1&page=2",
            None,
            None,
        )
        .await;
        assert!(paged.body.contains("bob/tool-2") && !paged.body.contains("acme"));
    }
}
