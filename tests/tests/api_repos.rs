//! The REST API's accounts and repositories over real HTTP, on every database: tokens made
//! with the password and used by git, organizations, creating, listing, searching,
//! changing and deleting repositories, collaborators, and who may see and do what.

mod apisupport;
mod gitsupport;

use apisupport::{ApiResponse, Auth, call, get, token};
use gitsupport::{PASSWORD, Server, git, make_work_repo, ok};
use hatchery_core::{AccessLevel, Name, NameKind, OrgRole};
use hatchery_store::testing::stores;
use serde_json::{Value, json};

async fn post(server: &Server, path: &str, auth: Auth<'_>, body: Value) -> ApiResponse {
    call(server, "POST", path, auth, Some(body)).await
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["full_name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn tokens_are_managed_with_the_password_only() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let _sysop = server.user("sysop").await;
        let _ada = server.user("ada").await;
        let _bob = server.user("bob").await;
        let path = "/api/v1/users/ada/tokens";

        let made = post(
            &server,
            path,
            Auth::Basic("ada", PASSWORD),
            json!({"name": "cli", "scopes": ["write:repository", "read:user"]}),
        )
        .await;
        assert_eq!(made.status, 201, "[{l}] {}", made.text);
        let secret = made.json["sha1"].as_str().unwrap_or("").to_owned();
        assert_eq!(secret.len(), 40, "[{l}] {}", made.text);
        assert_eq!(made.json["token_last_eight"], secret[32..], "[{l}]");
        assert_eq!(made.json["name"], "cli", "[{l}]");
        assert_eq!(
            made.json["scopes"],
            json!(["write:repository", "read:user"]),
            "[{l}]"
        );

        // The token works for the API...
        let me = get(&server, "/api/v1/user", Auth::Token(&secret)).await;
        assert_eq!(me.status, 200, "[{l}] {}", me.text);
        // ...but cannot manage tokens, in any scheme; nor can anonymous callers.
        for auth in [
            Auth::Token(&secret),
            Auth::Basic("ada", &secret),
            Auth::None,
        ] {
            let r = post(
                &server,
                path,
                auth,
                json!({"name": "more", "scopes": ["all"]}),
            )
            .await;
            assert_eq!(r.status, 401, "[{l}] {auth:?}: {}", r.text);
            assert!(
                r.json["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("password"),
                "[{l}] {}",
                r.text
            );
            let r = get(&server, path, auth).await;
            assert_eq!(r.status, 401, "[{l}] {auth:?}: {}", r.text);
        }
        // Only the user themselves and site administrators.
        let r = get(&server, path, Auth::Basic("bob", PASSWORD)).await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = post(
            &server,
            path,
            Auth::Basic("bob", PASSWORD),
            json!({"name": "x", "scopes": ["all"]}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = get(&server, path, Auth::Basic("sysop", PASSWORD)).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let r = get(
            &server,
            "/api/v1/users/nobody/tokens",
            Auth::Basic("ada", PASSWORD),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);

        // Bad scopes, no scope, a taken name.
        let r = post(
            &server,
            path,
            Auth::Basic("ada", PASSWORD),
            json!({"name": "x", "scopes": ["repo"]}),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        assert!(
            r.json["message"].as_str().unwrap_or("").contains("repo"),
            "[{l}] {}",
            r.text
        );
        let r = post(
            &server,
            path,
            Auth::Basic("ada", PASSWORD),
            json!({"name": "x", "scopes": []}),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = post(
            &server,
            path,
            Auth::Basic("ada", PASSWORD),
            json!({"name": "CLI", "scopes": ["all"]}),
        )
        .await;
        assert_eq!(r.status, 400, "[{l}] {}", r.text);
        // `all` is every scope.
        let all = post(
            &server,
            path,
            Auth::Basic("ada", PASSWORD),
            json!({"name": "everything", "scopes": ["all"]}),
        )
        .await;
        assert_eq!(all.status, 201, "[{l}] {}", all.text);
        assert_eq!(
            all.json["scopes"].as_array().map(Vec::len),
            Some(10),
            "[{l}] {}",
            all.text
        );

        // Lists never show secrets.
        let list = get(&server, path, Auth::Basic("ada", PASSWORD)).await;
        assert_eq!(list.status, 200, "[{l}] {}", list.text);
        assert_eq!(list.header("x-total-count"), "2", "[{l}]");
        let listed = list.json.as_array().cloned().unwrap_or_default();
        assert!(
            listed.iter().all(|t| t["sha1"] == ""),
            "[{l}] {}",
            list.text
        );
        assert!(!list.text.contains(&secret), "[{l}]");

        // Deleting by name and by id; the deleted token stops working at once.
        let r = call(
            &server,
            "DELETE",
            &format!("{path}/cli"),
            Auth::Basic("ada", PASSWORD),
            None,
        )
        .await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/user", Auth::Token(&secret)).await;
        assert_eq!(r.status, 401, "[{l}] {}", r.text);
        let id = all.json["id"].as_i64().expect("id");
        let r = call(
            &server,
            "DELETE",
            &format!("{path}/{id}"),
            Auth::Basic("bob", PASSWORD),
            None,
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = call(
            &server,
            "DELETE",
            &format!("{path}/{id}"),
            Auth::Basic("ada", PASSWORD),
            None,
        )
        .await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);
        let r = call(
            &server,
            "DELETE",
            &format!("{path}/{id}"),
            Auth::Basic("ada", PASSWORD),
            None,
        )
        .await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);
        server.stop().await;
    }
}

#[tokio::test]
async fn users_organizations_and_repositories() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let _sysop = server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let made = post(
            &server,
            "/api/v1/users/ada/tokens",
            Auth::Basic("ada", PASSWORD),
            json!({"name": "work", "scopes": ["write:repository", "write:organization", "read:user"]}),
        )
        .await;
        assert_eq!(made.status, 201, "[{l}] {}", made.text);
        let secret = made.json["sha1"].as_str().expect("secret").to_owned();
        let ada_t = Auth::Token(&secret);
        let bob_secret = token(
            &server,
            bob.id,
            "bob",
            &["write:repository", "write:organization", "read:user"],
        )
        .await;
        let bob_t = Auth::Token(&bob_secret);
        let reader_secret = token(&server, ada.id, "reader", &["read:repository"]).await;

        // Users: organizations are users too; emails only for the user themselves.
        let r = get(&server, "/api/v1/users/ada", bob_t).await;
        assert_eq!(
            (r.status, r.json["login"].as_str()),
            (200, Some("ada")),
            "[{l}] {}",
            r.text
        );
        assert_eq!(r.json["email"], "", "[{l}]");
        let r = get(&server, "/api/v1/users/ada", ada_t).await;
        assert_eq!(r.json["email"], "ada@example.org", "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/users/nobody", Auth::None).await;
        assert_eq!(r.status, 404, "[{l}]");

        // A repository of one's own, created and pushed to with the token.
        let r = post(
            &server,
            "/api/v1/user/repos",
            ada_t,
            json!({"name": "tools", "description": "Handy"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(r.json["full_name"], "ada/tools", "[{l}]");
        assert_eq!(r.json["empty"], true, "[{l}]");
        assert_eq!(r.json["private"], false, "[{l}]");
        assert_eq!(
            r.json["permissions"],
            json!({"admin": true, "push": true, "pull": true}),
            "[{l}]"
        );
        assert_eq!(r.json["default_branch"], "main", "[{l}]");
        let r = post(
            &server,
            "/api/v1/user/repos",
            ada_t,
            json!({"name": "Tools"}),
        )
        .await;
        assert_eq!(r.status, 409, "[{l}] {}", r.text);
        let r = post(
            &server,
            "/api/v1/user/repos",
            ada_t,
            json!({"name": "bad name"}),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = post(
            &server,
            "/api/v1/user/repos",
            Auth::Token(&reader_secret),
            json!({"name": "nope"}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        assert!(
            r.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("write:repository"),
            "[{l}] {}",
            r.text
        );
        let r = post(
            &server,
            "/api/v1/user/repos",
            Auth::None,
            json!({"name": "nope"}),
        )
        .await;
        assert_eq!(r.status, 401, "[{l}] {}", r.text);

        let work = make_work_repo(server.dir.path(), 3).await;
        let url = server.url("ada/tools.git", Some(("ada", &secret)));
        ok(&git(&work, &["push", "-q", &url, "main", "dev"]).await);
        let r = get(&server, "/api/v1/repos/ada/tools", Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["empty"], false, "[{l}] {}", r.text);
        assert_eq!(r.json["open_issues_count"], 0, "[{l}]");
        assert_eq!(r.json["permissions"]["push"], false, "[{l}]");

        // Organizations: created by a user, who owns them.
        let r = post(
            &server,
            "/api/v1/orgs",
            ada_t,
            json!({"username": "lab", "full_name": "The Lab"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(
            (r.json["name"].as_str(), r.json["full_name"].as_str()),
            (Some("lab"), Some("The Lab")),
            "[{l}]"
        );
        let r = post(&server, "/api/v1/orgs", ada_t, json!({"username": "LAB"})).await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = post(
            &server,
            "/api/v1/orgs",
            Auth::Token(&reader_secret),
            json!({"username": "lab2"}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/orgs/lab", Auth::None).await;
        assert_eq!(
            (r.status, r.json["username"].as_str()),
            (200, Some("lab")),
            "[{l}] {}",
            r.text
        );
        let r = get(&server, "/api/v1/orgs/ada", Auth::None).await;
        assert_eq!(r.status, 404, "[{l}] a user is no organization");
        let r = get(&server, "/api/v1/users/lab", Auth::None).await;
        assert_eq!(
            (r.status, r.json["login"].as_str()),
            (200, Some("lab")),
            "[{l}] {}",
            r.text
        );
        let r = get(&server, "/api/v1/orgs/lab/members", Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json[0]["login"], "ada", "[{l}] {}", r.text);
        assert_eq!(r.json[0]["email"], "", "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/orgs/lab/teams", bob_t).await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/orgs/lab/teams", Auth::None).await;
        assert_eq!(r.status, 401, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/orgs/lab/teams", ada_t).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert!(r.json.is_array(), "[{l}] {}", r.text);

        // A private organization repository, initialised on another default branch.
        let r = post(
            &server,
            "/api/v1/orgs/lab/repos",
            ada_t,
            json!({"name": "secret", "private": true, "auto_init": true, "default_branch": "trunk"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(
            (r.json["private"].as_bool(), r.json["empty"].as_bool()),
            (Some(true), Some(false)),
            "[{l}]"
        );
        assert_eq!(r.json["default_branch"], "trunk", "[{l}]");
        let clone = server.dir.path().join("secret-clone");
        ok(&git(
            server.dir.path(),
            &[
                "clone",
                "-q",
                &server.url("lab/secret.git", Some(("ada", &secret))),
                clone.to_str().expect("utf-8"),
            ],
        )
        .await);
        assert!(clone.join("README.md").exists(), "[{l}]");
        let branch = ok(&git(&clone, &["branch", "--show-current"]).await);
        assert_eq!(branch.trim(), "trunk", "[{l}]");
        let r = post(
            &server,
            "/api/v1/orgs/lab/repos",
            bob_t,
            json!({"name": "mine"}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);

        // Private: a 404 for outsiders and anonymous callers alike, and left out of lists.
        for auth in [Auth::None, bob_t] {
            let r = get(&server, "/api/v1/repos/lab/secret", auth).await;
            assert_eq!(r.status, 404, "[{l}] {auth:?}: {}", r.text);
            let r = get(&server, "/api/v1/orgs/lab/repos", auth).await;
            assert_eq!(
                (r.status, names(&r.json).len()),
                (200, 0),
                "[{l}] {auth:?}: {}",
                r.text
            );
            let r = call(
                &server,
                "PATCH",
                "/api/v1/repos/lab/secret",
                auth,
                Some(json!({"description": "x"})),
            )
            .await;
            assert!(
                r.status == 404 || r.status == 401,
                "[{l}] {auth:?}: {}",
                r.text
            );
            let r = call(&server, "DELETE", "/api/v1/repos/lab/secret", auth, None).await;
            assert!(
                r.status == 404 || r.status == 401,
                "[{l}] {auth:?}: {}",
                r.text
            );
        }
        let r = get(&server, "/api/v1/orgs/lab/repos", ada_t).await;
        assert_eq!(names(&r.json), ["lab/secret"], "[{l}] {}", r.text);

        // Collaborators: administrators add them; then the repository is theirs to read.
        let collab = "/api/v1/repos/lab/secret/collaborators/bob";
        let r = get(&server, collab, ada_t).await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);
        let r = call(
            &server,
            "PUT",
            collab,
            bob_t,
            Some(json!({"permission": "read"})),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);
        let r = call(
            &server,
            "PUT",
            collab,
            ada_t,
            Some(json!({"permission": "boss"})),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = call(
            &server,
            "PUT",
            "/api/v1/repos/lab/secret/collaborators/nobody",
            ada_t,
            None,
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = call(
            &server,
            "PUT",
            collab,
            ada_t,
            Some(json!({"permission": "read"})),
        )
        .await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);
        let r = get(&server, collab, ada_t).await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/repos/lab/secret", bob_t).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(
            r.json["permissions"],
            json!({"admin": false, "push": false, "pull": true}),
            "[{l}]"
        );
        let r = get(&server, "/api/v1/user/repos", bob_t).await;
        assert_eq!(names(&r.json), ["lab/secret"], "[{l}] {}", r.text);
        // A reader may not change or delete it.
        let r = call(
            &server,
            "PATCH",
            "/api/v1/repos/lab/secret",
            bob_t,
            Some(json!({"description": "x"})),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = call(&server, "DELETE", "/api/v1/repos/lab/secret", bob_t, None).await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = call(&server, "DELETE", collab, ada_t, None).await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);
        let r = get(&server, collab, ada_t).await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/repos/lab/secret", bob_t).await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);

        // Editing: description, visibility, default branch; no renames.
        let edit = "/api/v1/repos/ada/tools";
        let r = call(
            &server,
            "PATCH",
            edit,
            ada_t,
            Some(json!({"name": "gadgets"})),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = call(
            &server,
            "PATCH",
            edit,
            ada_t,
            Some(json!({"default_branch": "nope"})),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = call(
            &server,
            "PATCH",
            edit,
            Auth::Token(&reader_secret),
            Some(json!({"private": true})),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = call(
            &server,
            "PATCH",
            edit,
            ada_t,
            Some(json!({"name": "tools", "description": "Sharper", "private": true, "default_branch": "dev"})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(
            (
                r.json["description"].as_str(),
                r.json["private"].as_bool(),
                r.json["default_branch"].as_str()
            ),
            (Some("Sharper"), Some(true), Some("dev")),
            "[{l}] {}",
            r.text
        );
        let r = get(&server, edit, Auth::None).await;
        assert_eq!(r.status, 404, "[{l}] now private");
        let fresh = server.dir.path().join("tools-clone");
        ok(&git(
            server.dir.path(),
            &[
                "clone",
                "-q",
                &server.url("ada/tools.git", Some(("ada", &secret))),
                fresh.to_str().expect("utf-8"),
            ],
        )
        .await);
        let branch = ok(&git(&fresh, &["branch", "--show-current"]).await);
        assert_eq!(
            branch.trim(),
            "dev",
            "[{l}] HEAD follows the default branch"
        );

        // Deleting removes the row and the directory.
        let r = post(
            &server,
            "/api/v1/user/repos",
            ada_t,
            json!({"name": "scratch"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let dir = server.state.forge.repos.path_of("ada", "scratch");
        assert!(dir.exists(), "[{l}]");
        let r = call(&server, "DELETE", "/api/v1/repos/ada/scratch", bob_t, None).await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = call(&server, "DELETE", "/api/v1/repos/ada/scratch", ada_t, None).await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/repos/ada/scratch", ada_t).await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);
        assert!(!dir.exists(), "[{l}] {}", dir.display());
        server.stop().await;
    }
}

#[tokio::test]
async fn lists_page_and_search_shows_only_what_the_caller_may_read() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let _sysop = server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let alpha = server.repo(&ada, "alpha", false).await;
        server
            .state
            .store
            .update_repo(alpha.id, "Rocket SCIENCE", false, "main")
            .await
            .expect("describe");
        server.repo(&ada, "beta", true).await;
        server.repo(&ada, "gamma_ray", false).await;
        server.repo(&bob, "bobs-alpha", false).await;
        let ada_secret = token(&server, ada.id, "t", &["read:repository"]).await;
        let ada_t = Auth::Token(&ada_secret);
        let bob_secret = token(&server, bob.id, "t", &["read:repository"]).await;
        let bob_t = Auth::Token(&bob_secret);

        // The caller's own repositories, by name, a page at a time.
        let r = get(&server, "/api/v1/user/repos?limit=1", ada_t).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.header("x-total-count"), "3", "[{l}]");
        assert_eq!(names(&r.json), ["ada/alpha"], "[{l}]");
        let link = r.header("link");
        assert!(
            link.contains("</api/v1/user/repos?page=2&limit=1>; rel=\"next\""),
            "[{l}] {link}"
        );
        assert!(link.contains("rel=\"last\""), "[{l}] {link}");
        let r = get(&server, "/api/v1/user/repos?limit=1&page=3", ada_t).await;
        assert_eq!(names(&r.json), ["ada/gamma_ray"], "[{l}]");
        assert!(!r.header("link").contains("rel=\"next\""), "[{l}]");
        let r = get(&server, "/api/v1/user/repos", Auth::None).await;
        assert_eq!(r.status, 401, "[{l}]");

        // Someone else's: the public ones only.
        let r = get(&server, "/api/v1/users/ada/repos", bob_t).await;
        assert_eq!(r.header("x-total-count"), "2", "[{l}] {}", r.text);
        let mut got = names(&r.json);
        got.sort();
        assert_eq!(got, ["ada/alpha", "ada/gamma_ray"], "[{l}]");
        let r = get(&server, "/api/v1/users/ada/repos", ada_t).await;
        assert_eq!(r.header("x-total-count"), "3", "[{l}]");
        let r = get(&server, "/api/v1/users/nobody/repos", Auth::None).await;
        assert_eq!(r.status, 404, "[{l}]");

        // Search: Gitea's wrapper, the caller's view, wildcards taken literally.
        let r = get(&server, "/api/v1/repos/search?q=a", Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["ok"], true, "[{l}] {}", r.text);
        assert_eq!(
            names(&r.json["data"]),
            ["ada/alpha", "bob/bobs-alpha", "ada/gamma_ray"],
            "[{l}] {}",
            r.text
        );
        assert_eq!(r.header("x-total-count"), "3", "[{l}]");
        let r = get(&server, "/api/v1/repos/search?q=bet", ada_t).await;
        assert_eq!(names(&r.json["data"]), ["ada/beta"], "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/repos/search?q=bet", bob_t).await;
        assert_eq!(
            names(&r.json["data"]),
            Vec::<String>::new(),
            "[{l}] {}",
            r.text
        );
        let r = get(&server, "/api/v1/repos/search?q=bet&private=false", ada_t).await;
        assert_eq!(
            names(&r.json["data"]),
            Vec::<String>::new(),
            "[{l}] {}",
            r.text
        );
        let r = get(&server, "/api/v1/repos/search?q=_", Auth::None).await;
        assert_eq!(
            names(&r.json["data"]),
            ["ada/gamma_ray"],
            "[{l}] {}",
            r.text
        );
        let r = get(
            &server,
            "/api/v1/repos/search?q=science&includeDesc=true",
            Auth::None,
        )
        .await;
        assert_eq!(names(&r.json["data"]), ["ada/alpha"], "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/repos/search?q=science", Auth::None).await;
        assert_eq!(
            names(&r.json["data"]),
            Vec::<String>::new(),
            "[{l}] {}",
            r.text
        );
        let r = get(&server, "/api/v1/repos/search?q=%25", Auth::None).await;
        assert_eq!(
            names(&r.json["data"]),
            Vec::<String>::new(),
            "[{l}] {}",
            r.text
        );
        let r = get(
            &server,
            &format!(
                "/api/v1/repos/search?uid={}&exclusive=true&sort=id&order=desc",
                ada.id
            ),
            ada_t,
        )
        .await;
        assert_eq!(
            names(&r.json["data"]),
            ["ada/gamma_ray", "ada/beta", "ada/alpha"],
            "[{l}] {}",
            r.text
        );
        let r = get(&server, "/api/v1/repos/search?is_private=true", ada_t).await;
        assert_eq!(names(&r.json["data"]), ["ada/beta"], "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/repos/search?limit=2", Auth::None).await;
        assert_eq!(r.header("x-total-count"), "3", "[{l}]");
        assert_eq!(r.json["data"].as_array().map(Vec::len), Some(2), "[{l}]");
        assert!(
            r.header("link")
                .contains("/api/v1/repos/search?page=2&limit=2"),
            "[{l}] {}",
            r.header("link")
        );
        let r = get(&server, "/api/v1/repos/search?sort=stars", Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/repos/search?sort=bogus", Auth::None).await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = get(
            &server,
            "/api/v1/repos/search?sort=id&order=sideways",
            Auth::None,
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        // The site administrator reads everything.
        let r = get(
            &server,
            "/api/v1/repos/search",
            Auth::Basic("sysop", PASSWORD),
        )
        .await;
        assert_eq!(r.header("x-total-count"), "4", "[{l}] {}", r.text);
        // Scopes are checked on reads too.
        let narrow = token(&server, ada.id, "narrow", &["read:issue"]).await;
        let r = get(&server, "/api/v1/repos/search", Auth::Token(&narrow)).await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);

        // Organization repositories: owners reach all, team members the linked ones, other
        // members only the public ones.
        let carol = server.user("carol").await;
        let store = &server.state.store;
        let crew = store
            .create_org(
                ada.id,
                &Name::parse(NameKind::Account, "crew").expect("name"),
                "",
                "",
            )
            .await
            .expect("org");
        let writer = token(&server, ada.id, "org", &["write:organization"]).await;
        let r = post(
            &server,
            "/api/v1/orgs/crew/repos",
            Auth::Token(&writer),
            json!({"name": "hidden", "private": true}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let hidden = r.json["id"].as_i64().expect("id");
        let team = store
            .create_team(
                crew.id,
                &Name::parse(NameKind::Team, "devs").expect("name"),
                "",
                AccessLevel::Write,
            )
            .await
            .expect("team");
        store
            .add_team_member(team.id, bob.id)
            .await
            .expect("team member");
        store.add_repo_team(hidden, team.id).await.expect("link");
        store
            .set_org_member(crew.id, carol.id, OrgRole::Member)
            .await
            .expect("member");
        let carol_secret = token(&server, carol.id, "t", &["read:repository"]).await;
        let r = get(&server, "/api/v1/user/repos", bob_t).await;
        assert_eq!(
            names(&r.json),
            ["bob/bobs-alpha", "crew/hidden"],
            "[{l}] {}",
            r.text
        );
        assert_eq!(
            r.json[1]["permissions"],
            json!({"admin": false, "push": true, "pull": true}),
            "[{l}]"
        );
        let r = get(&server, "/api/v1/user/repos", Auth::Token(&carol_secret)).await;
        assert_eq!(names(&r.json), Vec::<String>::new(), "[{l}] {}", r.text);
        let r = get(
            &server,
            "/api/v1/repos/search?q=hid",
            Auth::Token(&carol_secret),
        )
        .await;
        assert_eq!(
            names(&r.json["data"]),
            Vec::<String>::new(),
            "[{l}] {}",
            r.text
        );
        let r = get(&server, "/api/v1/repos/search?q=hid", bob_t).await;
        assert_eq!(names(&r.json["data"]), ["crew/hidden"], "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/user/repos", ada_t).await;
        assert_eq!(r.header("x-total-count"), "4", "[{l}] {}", r.text);
        assert!(
            names(&r.json).contains(&"crew/hidden".to_owned()),
            "[{l}] {}",
            r.text
        );
        let r = get(
            &server,
            &format!("/api/v1/repos/search?uid={}", bob.id),
            ada_t,
        )
        .await;
        assert_eq!(
            names(&r.json["data"]),
            ["bob/bobs-alpha", "crew/hidden"],
            "[{l}] {}",
            r.text
        );

        // The search's parameters are documented under Gitea's names.
        let doc = get(&server, "/swagger.v1.json", Auth::None).await;
        let params = doc.json["paths"]["/repos/search"]["get"]["parameters"].to_string();
        for p in [
            "\"q\"",
            "\"includeDesc\"",
            "\"uid\"",
            "\"page\"",
            "\"limit\"",
        ] {
            assert!(params.contains(p), "[{l}] {p} missing from {params}");
        }
        server.stop().await;
    }
}
