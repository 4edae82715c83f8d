//! `/explore`: public repositories and the private ones a visitor may read, users and
//! organizations, with search, sorts and pages; the links to it; and the dashboard of a new
//! user (their repositories, "New repository", an empty repository's Commits tab). On every
//! backend.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_store::testing::fixtures;
use hatchery_store::{Repo, User};
use support::TestApp;

async fn user(app: &TestApp, name: &str) -> User {
    app.store
        .user_by_name(name)
        .await
        .expect("user lookup")
        .expect("user exists")
}

fn listed(body: &str, repo: &Repo) -> bool {
    body.contains(&format!("href=\"/{}/{}\"", repo.owner_name, repo.name))
}

#[tokio::test]
async fn private_repositories_are_listed_only_for_their_readers() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        // The first account is the site's administrator; the others are ordinary users.
        app.sign_up("boss").await;
        let mut olga = app.new_client();
        olga.sign_up("olga").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let mut eve = app.new_client();
        eve.sign_up("eve").await;
        let olga_user = user(&app, "olga").await;
        let ada_user = user(&app, "ada").await;
        let open = fixtures::repo(&app.store, olga_user.id, "open-lab").await;
        let secret = fixtures::private_repo(&app.store, olga_user.id, "secret-lab").await;
        let hidden = fixtures::private_repo(&app.store, olga_user.id, "hidden-lab").await;
        app.store
            .set_collaborator(secret.id, ada_user.id, AccessLevel::Read)
            .await
            .expect("collaborator");
        // A private repository of an organization, readable through a team.
        let acme = fixtures::org(&app.store, &olga_user, "acme").await;
        let team = fixtures::team(&app.store, acme.id, "readers", AccessLevel::Read).await;
        app.store
            .add_team_member(team.id, ada_user.id)
            .await
            .expect("team member");
        let team_repo = fixtures::private_repo(&app.store, acme.id, "team-lab").await;
        app.store
            .add_repo_team(team_repo.id, team.id)
            .await
            .expect("team repo");

        let mut anon = app.new_client();
        for (who, client) in [("anonymous", &mut anon), ("stranger", &mut eve)] {
            for url in [
                "/explore/repos",
                "/explore/repos?q=lab",
                "/explore/repos?q=secret",
            ] {
                let r = client.get(url).await;
                assert_eq!(r.status, StatusCode::OK, "[{label}] {who} {url}");
                assert!(
                    !listed(&r.body, &secret),
                    "[{label}] {who} {url} sees secret"
                );
                assert!(
                    !listed(&r.body, &hidden),
                    "[{label}] {who} {url} sees hidden"
                );
                assert!(
                    !listed(&r.body, &team_repo),
                    "[{label}] {who} {url} sees team repo"
                );
                assert!(!r.body.contains("secret-lab"), "[{label}] {who} {url}");
            }
            let r = client.get("/explore/repos").await;
            assert!(listed(&r.body, &open), "[{label}] {who}: {}", r.body);
            r.assert_contains("1 found");
        }
        let r = ada.get("/explore/repos?q=lab").await;
        assert!(listed(&r.body, &open), "[{label}] ada open");
        assert!(
            listed(&r.body, &secret),
            "[{label}] ada secret (collaborator)"
        );
        assert!(listed(&r.body, &team_repo), "[{label}] ada team repo");
        assert!(!listed(&r.body, &hidden), "[{label}] ada hidden");
        let r = olga.get("/explore/repos").await;
        for repo in [&open, &secret, &hidden, &team_repo] {
            assert!(listed(&r.body, repo), "[{label}] olga {}", repo.name);
        }
    }
}

#[tokio::test]
async fn search_sorts_and_pages() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let boss = user(&app, "boss").await;
        let mut repos = Vec::new();
        for i in 0..25 {
            repos.push(fixtures::repo(&app.store, boss.id, &format!("pg-{i:02}")).await);
        }
        let rocket = fixtures::repo(&app.store, boss.id, "engine").await;
        app.store
            .update_repo(rocket.id, "A rocket engine", false, "main")
            .await
            .expect("describe");

        let mut anon = app.new_client();
        let r = anon.get("/explore").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}]");
        assert_eq!(r.location(), "/explore/repos");

        // By name: 20 on the first page, 5 on the second.
        let r = anon.get("/explore/repos?q=pg-&sort=alphabetically").await;
        r.assert_contains("25 found");
        r.assert_contains("Page 1 of 2");
        assert!(
            listed(&r.body, &repos[0]) && listed(&r.body, &repos[19]),
            "[{label}]"
        );
        assert!(!listed(&r.body, &repos[20]), "[{label}]");
        assert!(!listed(&r.body, &rocket), "[{label}] the search filters");
        assert!(
            r.body
                .contains("href=\"/explore/repos?q=pg-&amp;sort=alphabetically&amp;page=2\""),
            "[{label}] the next page keeps the search: {}",
            r.body
        );
        let r = anon
            .get("/explore/repos?q=pg-&sort=alphabetically&page=2")
            .await;
        assert!(
            listed(&r.body, &repos[20]) && listed(&r.body, &repos[24]),
            "[{label}]"
        );
        assert!(!listed(&r.body, &repos[19]), "[{label}]");
        r.assert_contains("Page 2 of 2");
        // Past the end: an empty page, not an error.
        let r = anon.get("/explore/repos?q=pg-&page=99").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        r.assert_contains("id=\"explore-empty\"");
        let r = anon.get("/explore/repos?page=abc&sort=nonsense").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");

        // Newest and oldest first.
        let r = anon.get("/explore/repos?q=pg-&sort=newest").await;
        assert!(
            listed(&r.body, &repos[24]) && !listed(&r.body, &repos[0]),
            "[{label}]"
        );
        let r = anon.get("/explore/repos?q=pg-&sort=oldest").await;
        assert!(
            listed(&r.body, &repos[0]) && !listed(&r.body, &repos[24]),
            "[{label}]"
        );

        // Descriptions are searched too; wildcards are taken literally.
        let r = anon.get("/explore/repos?q=ROCKET").await;
        assert!(listed(&r.body, &rocket), "[{label}]");
        r.assert_contains("1 found");
        let r = anon.get("/explore/repos?q=%25").await;
        r.assert_contains("0 found");
    }
}

#[tokio::test]
async fn users_and_organizations_are_listed_without_emails() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        app.sign_up("boss").await;
        let mut ada = app.new_client();
        ada.sign_up("ada").await;
        let ada_user = user(&app, "ada").await;
        fixtures::org(&app.store, &ada_user, "acme").await;

        let mut anon = app.new_client();
        let r = anon.get("/explore/users").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        r.assert_contains("href=\"/ada\"");
        r.assert_contains("href=\"/boss\"");
        assert!(
            !r.body.contains("href=\"/acme\""),
            "[{label}] orgs are not users"
        );
        assert!(
            !r.body.contains("@example"),
            "[{label}] emails are never shown"
        );
        let r = anon.get("/explore/users?q=ADA").await;
        r.assert_contains("href=\"/ada\"");
        assert!(!r.body.contains("href=\"/boss\""), "[{label}]");
        // Emails are not searched here.
        let r = anon.get("/explore/users?q=example.edu").await;
        r.assert_contains("0 found");
        let r = anon.get("/explore/organizations").await;
        r.assert_contains("href=\"/acme\"");
        assert!(!r.body.contains("href=\"/ada\""), "[{label}]");
        let r = anon.get("/explore/organizations?q=inc").await;
        r.assert_contains("href=\"/acme\"");
    }
}

#[tokio::test]
async fn home_pages_link_to_explore_and_list_the_users_repositories() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        let mut anon = app.new_client();
        let r = anon.get("/").await;
        r.assert_contains("id=\"home-explore\"");
        r.assert_contains("id=\"nav-explore\"");
        // Chinese, too.
        let r = anon
            .get_with("/explore/repos", &[("accept-language", "zh-CN")])
            .await;
        r.assert_contains("探索");

        app.sign_up("boss").await;
        let r = app.get("/").await;
        r.assert_contains("id=\"home-new-repo\"");
        r.assert_contains("id=\"home-no-repos\"");
        let r = app
            .post_form("/repo/create", &[("owner", "boss"), ("name", "first")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let r = app.get("/").await;
        r.assert_contains("href=\"/boss/first\"");
        assert!(!r.body.contains("id=\"home-no-repos\""), "[{label}]");

        // The empty repository's Commits tab: an empty state, not a 404.
        for url in ["/boss/first/commits/main", "/boss/first/commits"] {
            let r = app.get(url).await;
            assert_eq!(r.status, StatusCode::OK, "[{label}] {url}: {}", r.body);
            r.assert_contains("id=\"no-commits\"");
        }
        // A missing branch of an empty repository is that state too; of a repository with
        // commits it stays a 404.
        let r = app.get("/boss/first/commits/nope").await;
        assert_eq!(r.status, StatusCode::OK, "[{label}]");
        let r = app
            .post_form(
                "/repo/create",
                &[("owner", "boss"), ("name", "full"), ("init_readme", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let r = app.get("/boss/full/commits/nope").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{label}]");
    }
}
