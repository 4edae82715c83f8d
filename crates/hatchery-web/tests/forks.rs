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
        // Gitea's `parent`: the parent's repository object (without its own parent).
        assert_eq!(fork["parent"]["full_name"], "ada/tool", "[{l}] {}", r.body);
        assert_eq!(fork["parent"]["fork"], false, "[{l}]");
        assert!(fork["parent"]["parent"].is_null(), "[{l}]");
        let got = api(&mut bob, "GET", "/api/v1/repos/bob/tool", None, None).await;
        let got: serde_json::Value = serde_json::from_str(&got.body).unwrap();
        assert_eq!(got["parent"]["full_name"], "ada/tool", "[{l}]");
        let parent = api(&mut bob, "GET", "/api/v1/repos/ada/tool", None, None).await;
        let parent: serde_json::Value = serde_json::from_str(&parent.body).unwrap();
        assert!(parent["parent"].is_null(), "[{l}] {parent}");
        assert_eq!(parent["fork"], false, "[{l}]");

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
        let own: serde_json::Value = serde_json::from_str(&own.body).unwrap();
        assert_eq!(own["parent"]["full_name"], "ada/secret", "[{l}]");

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

#[tokio::test]
async fn the_web_forks_shows_forked_from_and_lists_forks() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut anon = app.new_client();
        create_repo(&mut app, "ada", "tool", false).await;
        let org = app.post_form("/org/create", &[("name", "acme")]).await;
        assert_eq!(org.status, StatusCode::SEE_OTHER, "[{l}] {}", org.body);

        // The header: a fork button for the signed-in, the count for everyone.
        let home = bob.get("/ada/tool").await;
        assert_eq!(home.status, StatusCode::OK, "[{l}]");
        home.assert_contains("id=\"fork-button\"");
        home.assert_contains("href=\"/ada/tool/forks\"");
        let anon_home = anon.get("/ada/tool").await;
        assert!(!anon_home.body.contains("fork-button"), "[{l}]");
        anon_home.assert_contains("id=\"fork-count\"");
        assert!(!anon_home.body.contains("forked-from"), "[{l}]");
        let to_sign_in = anon.get("/ada/tool/fork").await;
        assert_eq!(to_sign_in.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            to_sign_in.location().contains("login"),
            "[{l}] {}",
            to_sign_in.location()
        );

        // The form: Bob's own account only (he owns no organization), the parent's name.
        let form = bob.get("/ada/tool/fork").await;
        assert_eq!(form.status, StatusCode::OK, "[{l}] {}", form.body);
        form.assert_contains("id=\"fork-form\"");
        form.assert_contains("value=\"tool\"");
        assert!(!form.body.contains(">acme<"), "[{l}] acme is not Bob's");
        // Ada's form offers her organization.
        let ada_form = app.get("/ada/tool/fork").await;
        ada_form.assert_contains(">acme<");

        // Bad input: 4xx with the field's message, nothing made.
        for (fields, status) in [
            (
                vec![("owner", "bob"), ("name", "../x")],
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                vec![("owner", "acme"), ("name", "tool")],
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                vec![("owner", "nobody"), ("name", "tool")],
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                vec![("owner", "bob"), ("name", "")],
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
        ] {
            let r = bob.post_form("/ada/tool/fork", &fields).await;
            assert_eq!(r.status, status, "[{l}] {fields:?}");
            r.assert_contains("id=\"fork-form\"");
            r.assert_contains("has-error");
        }
        let long = "x".repeat(5000);
        let r = bob
            .post_form(
                "/ada/tool/fork",
                &[("owner", "bob"), ("name", "tool"), ("description", &long)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");

        // The fork, with its own description.
        let made = bob
            .post_form(
                "/ada/tool/fork",
                &[
                    ("owner", "bob"),
                    ("name", "tool"),
                    ("description", "my <copy>"),
                ],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "[{l}] {}", made.body);
        assert_eq!(made.location(), "/bob/tool", "[{l}]");
        let fork = bob.get("/bob/tool").await;
        assert_eq!(fork.status, StatusCode::OK, "[{l}]");
        fork.assert_contains("id=\"forked-from\"");
        fork.assert_contains("href=\"/ada/tool\"");
        fork.assert_contains("my &lt;copy&gt;");
        fork.assert_contains("Repository forked.");
        // The same name again: 409 with the field's message.
        let again = bob
            .post_form("/ada/tool/fork", &[("owner", "bob"), ("name", "tool")])
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "[{l}]");
        again.assert_contains("has-error");
        // Ada forks into her organization.
        let r = app
            .post_form("/ada/tool/fork", &[("owner", "acme"), ("name", "tool")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);

        // The list, and the count in the header.
        let list = anon.get("/ada/tool/forks").await;
        assert_eq!(list.status, StatusCode::OK, "[{l}]");
        list.assert_contains("id=\"fork-list\"");
        let bob_at = list
            .body
            .find("href=\"/bob/tool\"")
            .expect("bob's fork listed");
        let acme_at = list
            .body
            .find("href=\"/acme/tool\"")
            .expect("acme's fork listed");
        assert!(bob_at < acme_at, "[{l}] oldest first");
        list.assert_contains("<strong>2</strong>");
        let empty = anon.get("/bob/tool/forks").await;
        empty.assert_contains("id=\"fork-list-empty\"");
        assert_eq!(
            anon.get("/ada/tool/forks?page=x").await.status,
            StatusCode::OK
        );
        assert_eq!(
            anon.get("/ada/nothing/forks").await.status,
            StatusCode::NOT_FOUND
        );

        // The pull-request form offers the fork's branches as owner:branch; one with
        // nothing new is refused on the form.
        let new_pull = bob.get("/ada/tool/pulls/new").await;
        assert_eq!(new_pull.status, StatusCode::OK, "[{l}]");
        new_pull.assert_contains("<option value=\"bob:main\"");
        let r = bob
            .post_form(
                "/ada/tool/pulls/new",
                &[("base", "main"), ("head", "bob:main"), ("title", "x")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        r.assert_contains("id=\"pull-new-form\"");
        let r = bob
            .post_form(
                "/ada/tool/pulls/new",
                &[("base", "main"), ("head", "eve:main"), ("title", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");

        // Chinese.
        bob.set_cookie("hatchery_lang", "zh-CN");
        let zh = bob.get("/bob/tool").await;
        zh.assert_contains("派生自");
        let zh = bob.get("/ada/tool/fork").await;
        zh.assert_contains("派生仓库");
    }
}

#[tokio::test]
async fn private_forks_leak_nothing_in_the_web() {
    for mut root in TestApp::all().await {
        let l = root.label().to_owned();
        // The first account is the site administrator, who reads everything.
        root.sign_up("siteadmin").await;
        let mut app = root.new_client();
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut eve = app.new_client();
        eve.sign_up("eve").await;
        create_repo(&mut app, "ada", "secret", true).await;
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "secret").await.unwrap().unwrap();
        let bob_user = store.user_by_name("bob").await.unwrap().unwrap();
        store
            .set_collaborator(repo.id, bob_user.id, hatchery_core::AccessLevel::Read)
            .await
            .unwrap();

        // Eve cannot read the parent: its fork form and list are 404 like a missing one.
        let missing = eve.get("/ada/nothing/fork").await;
        for path in ["/ada/secret/fork", "/ada/secret/forks"] {
            let r = eve.get(path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {path}");
            assert_eq!(
                r.body,
                missing.body.replace("/ada/nothing/fork", path),
                "[{l}] {path}"
            );
        }
        let r = eve
            .post_form("/ada/secret/fork", &[("owner", "eve"), ("name", "secret")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");

        // Bob reads it and forks it: a private fork that names its parent to him.
        let r = bob
            .post_form("/ada/secret/fork", &[("owner", "bob"), ("name", "secret")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let fork = bob.get("/bob/secret").await;
        fork.assert_contains("id=\"forked-from\"");
        assert_eq!(eve.get("/bob/secret").await.status, StatusCode::NOT_FOUND);

        // Ada cannot read Bob's private fork: not listed, not counted.
        let list = app.get("/ada/secret/forks").await;
        assert_eq!(list.status, StatusCode::OK, "[{l}]");
        list.assert_contains("id=\"fork-list-empty\"");
        assert!(!list.body.contains("/bob/secret"), "[{l}]");
        let home = app.get("/ada/secret").await;
        home.assert_contains("<strong>0</strong>");
        let api = api(
            &mut app,
            "GET",
            "/api/v1/repos/ada/secret/forks",
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(api.body, "[]", "[{l}]");
        let repo_json = support::api(
            &mut app,
            "GET",
            "/api/v1/repos/ada/secret",
            Some("ada"),
            None,
        )
        .await;
        assert!(
            repo_json.body.contains("\"forks_count\":0"),
            "[{l}] {}",
            repo_json.body
        );
        let repo_json = support::api(
            &mut bob,
            "GET",
            "/api/v1/repos/ada/secret",
            Some("bob"),
            None,
        )
        .await;
        assert!(
            repo_json.body.contains("\"forks_count\":1"),
            "[{l}] {}",
            repo_json.body
        );

        // Bob loses access to the parent: his fork no longer names it.
        store
            .remove_collaborator(repo.id, bob_user.id)
            .await
            .unwrap();
        let fork = bob.get("/bob/secret").await;
        assert_eq!(fork.status, StatusCode::OK, "[{l}]");
        assert!(!fork.body.contains("forked-from"), "[{l}]");
        assert!(!fork.body.contains("/ada/secret"), "[{l}]");
    }
}

/// The number in the header's fork button for a viewer.
fn fork_count(body: &str) -> String {
    let at = body.find("id=\"fork-count\"").expect("a fork count");
    let rest = &body[at..];
    let start = rest.find("<strong>").expect("its number") + "<strong>".len();
    let end = rest[start..].find("</strong>").expect("its end") + start;
    rest[start..end].to_owned()
}

#[tokio::test]
async fn the_header_counts_what_each_viewer_may_see() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut carol = app.new_client();
        carol.sign_up("carol").await;
        let mut anon = app.new_client();
        create_repo(&mut app, "ada", "tool", false).await;

        // Bob's fork stays public; Carol makes hers private.
        for (name, who) in [("bob", &mut bob), ("carol", &mut carol)] {
            let r = api(
                who,
                "POST",
                "/api/v1/repos/ada/tool/forks",
                Some(name),
                Some("{}"),
            )
            .await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "[{l}] {}", r.body);
        }
        let r = api(
            &mut carol,
            "PATCH",
            "/api/v1/repos/carol/tool",
            Some("carol"),
            Some(r#"{"private":true}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);

        // Two issues, one of them closed: the tab counts the open one.
        for title in ["first", "second"] {
            let body = format!(r#"{{"title":"{title}"}}"#);
            let r = api(
                &mut app,
                "POST",
                "/api/v1/repos/ada/tool/issues",
                Some("ada"),
                Some(&body),
            )
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        }
        let r = api(
            &mut app,
            "PATCH",
            "/api/v1/repos/ada/tool/issues/2",
            Some("ada"),
            Some(r#"{"state":"closed"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);

        // Anonymous and Bob see the public fork only; Carol sees her own private one too,
        // and so does Ada, the first account and so the site's administrator.
        for (who, client, forks) in [
            ("anonymous", &mut anon, "1"),
            ("ada", &mut app, "2"),
            ("bob", &mut bob, "1"),
            ("carol", &mut carol, "2"),
        ] {
            for page in ["/ada/tool", "/ada/tool/issues", "/ada/tool/commits/main"] {
                let r = client.get(page).await;
                assert_eq!(r.status, StatusCode::OK, "[{l}] {who} {page}");
                assert_eq!(fork_count(&r.body), forks, "[{l}] {who} {page}");
                r.assert_contains(">Issues 1<");
                r.assert_contains(">Pull requests 0<");
                assert!(!r.body.contains("import-progress"), "[{l}] {who} {page}");
            }
        }
    }
}
