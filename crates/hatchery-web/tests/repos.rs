//! Repositories in the web interface: creation, visibility, settings, collaborators, teams,
//! deletion, and access tokens — through the real router, on every backend.

mod support;

use axum::http::StatusCode;
use support::TestApp;

#[tokio::test]
async fn create_repositories_with_and_without_a_readme() {
    for mut app in TestApp::all().await {
        app.sign_up("ada").await;
        assert_eq!(app.get("/repo/create").await.status, StatusCode::OK);
        let r = app
            .post_form(
                "/repo/create",
                &[
                    ("owner", "ada"),
                    ("name", "Engine"),
                    ("description", "The engine"),
                    ("init_readme", "on"),
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
        assert_eq!(r.location(), "/ada/Engine");
        let page = app.get("/ada/engine").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains("http://127.0.0.1:3000/ada/Engine.git");
        page.assert_contains("id=\"file-list\"");
        page.assert_contains("href=\"/ada/Engine/blob/main/README.md\"");
        page.assert_contains("id=\"readme\"");
        assert!(app.repos_dir.path().join("ada/engine.git/HEAD").exists());

        let r = app
            .post_form("/repo/create", &[("owner", "ada"), ("name", "empty")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = app.get("/ada/empty").await;
        page.assert_contains("id=\"empty-repo\"");
        page.assert_contains("git push -u origin main");

        let profile = app.get("/ada").await;
        profile.assert_contains("href=\"/ada/Engine\"");
        profile.assert_contains("href=\"/ada/empty\"");
    }
}

#[tokio::test]
async fn repository_names_and_owners_are_checked() {
    for mut app in TestApp::all().await {
        app.sign_up("bea").await;
        let mut other = app.new_client();
        other.sign_up("cy").await;
        other.post_form("/org/create", &[("name", "cys-org")]).await;
        app.post_form("/repo/create", &[("owner", "bea"), ("name", "dup")])
            .await;
        let cases: &[(&str, &str, StatusCode, &str)] = &[
            (
                "bea",
                "DUP",
                StatusCode::CONFLICT,
                "already has a repository with that name",
            ),
            ("bea", "x.git", StatusCode::UNPROCESSABLE_ENTITY, "reserved"),
            (
                "bea",
                "../etc",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Use only letters",
            ),
            (
                "bea",
                "",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Please enter a name",
            ),
            (
                "cy",
                "mine",
                StatusCode::UNPROCESSABLE_ENTITY,
                "cannot create repositories for this owner",
            ),
            (
                "cys-org",
                "mine",
                StatusCode::UNPROCESSABLE_ENTITY,
                "cannot create repositories for this owner",
            ),
        ];
        for (owner, name, status, msg) in cases {
            let r = app
                .post_form("/repo/create", &[("owner", owner), ("name", name)])
                .await;
            assert_eq!(
                r.status,
                *status,
                "[{}] {owner}/{name}: {}",
                app.label(),
                r.body
            );
            r.assert_contains(msg);
        }
        // The same name under another owner is fine; org owners create in their org.
        assert_eq!(
            other
                .post_form("/repo/create", &[("owner", "cy"), ("name", "dup")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            other
                .post_form("/repo/create", &[("owner", "cys-org"), ("name", "dup")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        other
            .get("/cys-org")
            .await
            .assert_contains("href=\"/cys-org/dup\"");
    }
}

#[tokio::test]
async fn private_repositories_are_invisible_to_others() {
    for mut owner in TestApp::all().await {
        owner.new_client().sign_up("site-admin").await;
        owner.sign_up("dora").await;
        owner
            .post_form(
                "/repo/create",
                &[
                    ("owner", "dora"),
                    ("name", "secret"),
                    ("private", "on"),
                    ("init_readme", "on"),
                ],
            )
            .await;
        let mut stranger = owner.new_client();
        stranger.sign_up("eve").await;
        let mut anonymous = owner.new_client();
        for client in [&mut stranger, &mut anonymous] {
            for path in ["/dora/secret", "/dora/secret/settings"] {
                let hidden = client.get(path).await;
                let missing = client.get(&path.replace("secret", "nothing-here")).await;
                assert_eq!(
                    hidden.status,
                    StatusCode::NOT_FOUND,
                    "[{}] {path}",
                    owner.label()
                );
                assert_eq!(missing.status, StatusCode::NOT_FOUND);
                assert_eq!(
                    hidden.body.replace("secret", "nothing-here"),
                    missing.body,
                    "a hidden repo's 404 looks like a missing one's"
                );
            }
            assert!(
                !client.get("/dora").await.body.contains("secret"),
                "not listed on the profile"
            );
            let r = client
                .post_form(
                    "/dora/secret/settings/delete",
                    &[("confirm", "dora/secret")],
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
        }
        assert_eq!(owner.get("/dora/secret").await.status, StatusCode::OK);
        owner
            .get("/dora")
            .await
            .assert_contains("href=\"/dora/secret\"");
        // Public repositories are visible to all, but only their admins see settings.
        owner
            .post_form("/repo/create", &[("owner", "dora"), ("name", "open")])
            .await;
        assert_eq!(anonymous.get("/dora/open").await.status, StatusCode::OK);
        assert_eq!(
            stranger.get("/dora/open/settings").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            anonymous.get("/dora/open/settings").await.status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn settings_change_description_visibility_and_default_branch() {
    for mut app in TestApp::all().await {
        app.sign_up("finn").await;
        app.post_form(
            "/repo/create",
            &[("owner", "finn"), ("name", "proj"), ("init_readme", "on")],
        )
        .await;
        let page = app.get("/finn/proj/settings").await;
        assert_eq!(page.status, StatusCode::OK);
        let r = app
            .post_form(
                "/finn/proj/settings",
                &[
                    ("description", "Now private"),
                    ("private", "on"),
                    ("default_branch", "main"),
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
        let page = app.get("/finn/proj").await;
        page.assert_contains("Now private");
        page.assert_contains(">Private<");
        assert_eq!(
            app.new_client().get("/finn/proj").await.status,
            StatusCode::NOT_FOUND
        );
        let r = app
            .post_form(
                "/finn/proj/settings",
                &[("description", ""), ("default_branch", "nope")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("no branch with that name");
        let r = app
            .post_form(
                "/finn/proj/settings",
                &[("description", ""), ("default_branch", "bad..name")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("not a valid branch name");
        // An empty repository may name a branch that does not exist yet.
        app.post_form("/repo/create", &[("owner", "finn"), ("name", "fresh")])
            .await;
        let r = app
            .post_form(
                "/finn/fresh/settings",
                &[("description", ""), ("default_branch", "trunk")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.get("/finn/fresh")
            .await
            .assert_contains("git push -u origin trunk");
    }
}

#[tokio::test]
async fn collaborators_get_the_level_they_are_given() {
    for mut owner in TestApp::all().await {
        owner.new_client().sign_up("site-admin").await;
        owner.sign_up("gus").await;
        owner
            .post_form(
                "/repo/create",
                &[("owner", "gus"), ("name", "p"), ("private", "on")],
            )
            .await;
        let mut helper = owner.new_client();
        helper.sign_up("hal").await;
        helper
            .post_form("/org/create", &[("name", "hals-org")])
            .await;
        assert_eq!(helper.get("/gus/p").await.status, StatusCode::NOT_FOUND);

        let r = owner
            .post_form(
                "/gus/p/settings/collaborators",
                &[("username", "hals-org"), ("level", "read")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("Organizations cannot be collaborators");
        let r = owner
            .post_form(
                "/gus/p/settings/collaborators",
                &[("username", "ghost"), ("level", "read")],
            )
            .await;
        r.assert_contains("There is no user with that name");
        let r = owner
            .post_form(
                "/gus/p/settings/collaborators",
                &[("username", "hal"), ("level", "read")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            helper.get("/gus/p").await.status,
            StatusCode::OK,
            "[{}] read collaborator sees it",
            owner.label()
        );
        assert_eq!(
            helper.get("/gus/p/settings").await.status,
            StatusCode::FORBIDDEN
        );
        owner
            .post_form(
                "/gus/p/settings/collaborators/hal/level",
                &[("level", "admin")],
            )
            .await;
        assert_eq!(helper.get("/gus/p/settings").await.status, StatusCode::OK);
        owner
            .post_form("/gus/p/settings/collaborators/hal/remove", &[])
            .await;
        assert_eq!(helper.get("/gus/p").await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            owner
                .post_form("/gus/p/settings/collaborators/hal/remove", &[])
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn organization_teams_grant_access_to_linked_repositories() {
    for mut owner in TestApp::all().await {
        owner.new_client().sign_up("site-admin").await;
        owner.sign_up("ivan").await;
        owner.post_form("/org/create", &[("name", "lab")]).await;
        owner
            .post_form(
                "/repo/create",
                &[("owner", "lab"), ("name", "code"), ("private", "on")],
            )
            .await;
        let mut member = owner.new_client();
        member.sign_up("jo").await;
        owner
            .post_form(
                "/org/lab/teams/new",
                &[("name", "devs"), ("permission", "admin")],
            )
            .await;
        owner
            .post_form("/org/lab/teams/devs/members", &[("username", "jo")])
            .await;
        // Org membership alone does not open a private repository.
        assert_eq!(member.get("/lab/code").await.status, StatusCode::NOT_FOUND);
        let r = owner
            .post_form("/lab/code/settings/teams", &[("team", "devs")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            owner.label(),
            r.body
        );
        assert_eq!(member.get("/lab/code").await.status, StatusCode::OK);
        assert_eq!(
            member.get("/lab/code/settings").await.status,
            StatusCode::OK,
            "admin team administers"
        );
        member
            .get("/lab")
            .await
            .assert_contains("href=\"/lab/code\"");
        owner
            .post_form("/lab/code/settings/teams/devs/remove", &[])
            .await;
        assert_eq!(member.get("/lab/code").await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            owner
                .post_form("/lab/code/settings/teams", &[("team", "nope")])
                .await
                .status,
            StatusCode::BAD_REQUEST
        );
    }
}

#[tokio::test]
async fn deleting_repositories_and_organizations_that_own_them() {
    for mut app in TestApp::all().await {
        app.sign_up("kai").await;
        app.post_form("/org/create", &[("name", "kai-org")]).await;
        app.post_form(
            "/repo/create",
            &[("owner", "kai-org"), ("name", "r"), ("init_readme", "on")],
        )
        .await;
        let r = app
            .post_form("/org/kai-org/delete", &[("confirm", "kai-org")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        r.assert_contains("still owns repositories");
        let r = app
            .post_form("/kai-org/r/settings/delete", &[("confirm", "r")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app
            .post_form("/kai-org/r/settings/delete", &[("confirm", "kai-org/r")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(app.get("/kai-org/r").await.status, StatusCode::NOT_FOUND);
        assert!(
            !app.repos_dir.path().join("kai-org/r.git").exists(),
            "directory removed"
        );
        assert_eq!(
            app.post_form("/org/kai-org/delete", &[("confirm", "kai-org")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        // The name can be used again, on disk too.
        app.post_form("/org/create", &[("name", "kai-org")]).await;
        assert_eq!(
            app.post_form("/repo/create", &[("owner", "kai-org"), ("name", "r")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn access_tokens_are_shown_once_listed_and_revoked() {
    for mut app in TestApp::all().await {
        app.sign_up("lena").await;
        let page = app.get("/user/settings/tokens").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains("You have no access tokens");
        let r = app
            .post_form("/user/settings/tokens", &[("name", "ci")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("Choose at least one scope");
        let r = app
            .post_form(
                "/user/settings/tokens",
                &[
                    ("name", "ci"),
                    ("scope", "read:repository"),
                    ("scope", "write:repository"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "[{}] {}",
            app.label(),
            r.body
        );
        assert_eq!(r.headers["cache-control"], "no-store");
        let start =
            r.body.find("id=\"new-token\">").expect("secret shown") + "id=\"new-token\">".len();
        let secret = &r.body[start..start + 40];
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()), "{secret}");
        // Shown once: the list shows only the last eight characters.
        let list = app.get("/user/settings/tokens").await;
        assert!(!list.body.contains(secret));
        list.assert_contains(&secret[32..]);
        list.assert_contains("read:repository, write:repository");
        let dup = app
            .post_form(
                "/user/settings/tokens",
                &[("name", "CI"), ("scope", "read:user")],
            )
            .await;
        assert_eq!(dup.status, StatusCode::CONFLICT);
        // The store keeps only a hash.
        assert!(
            app.store
                .user_by_token_hash(secret)
                .await
                .ok()
                .flatten()
                .is_none()
        );
        let token = app
            .store
            .tokens_of_user(1)
            .await
            .ok()
            .and_then(|t| t.into_iter().next())
            .expect("token");
        // Someone else cannot revoke it.
        let mut other = app.new_client();
        other.sign_up("max").await;
        assert_eq!(
            other
                .post_form(&format!("/user/settings/tokens/{}/delete", token.id), &[])
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let r = app
            .post_form(&format!("/user/settings/tokens/{}/delete", token.id), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.get("/user/settings/tokens")
            .await
            .assert_contains("You have no access tokens");
    }
}
