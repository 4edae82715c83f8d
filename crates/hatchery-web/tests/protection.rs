//! Protected-branch settings and commit statuses on pages, through the real router on
//! every backend: adding, editing, renaming and deleting rules with forms (CSRF included,
//! bad input answered on the form), who may manage them, the "protected" badge of the
//! branch list, and statuses on commit pages, history rows and branch lists, in both
//! languages.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_core::statuses::NewStatus;
use support::{TestApp, api};

async fn create_repo(app: &mut TestApp, name: &str, private: bool) {
    let mut fields = vec![("owner", "ada"), ("name", name), ("init_readme", "on")];
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

fn rule_fields<'a>(name: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("rule_name", name),
        ("push", "writers"),
        ("required_approvals", "0"),
    ];
    f.extend_from_slice(extra);
    f
}

#[tokio::test]
async fn rules_are_managed_on_the_branches_settings_page() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let mut sysop = app.new_client();
        sysop.sign_up("sysop").await;
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        create_repo(&mut app, "tool", false).await;
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "tool").await.unwrap().unwrap();
        let bob_id = store.user_by_name("bob").await.unwrap().unwrap().id;
        store
            .set_collaborator(repo.id, bob_id, AccessLevel::Write)
            .await
            .unwrap();

        let settings = app.get("/ada/tool/settings").await;
        settings.assert_contains("href=\"/ada/tool/settings/branches\"");
        let list = app.get("/ada/tool/settings/branches").await;
        assert_eq!(list.status, StatusCode::OK, "[{l}]");
        list.assert_contains("id=\"rule-new-form\"");
        list.assert_contains("id=\"no-rules\"");
        list.assert_contains("name=\"_csrf\"");

        // No CSRF token: refused, nothing saved.
        let r = app
            .post_raw("/ada/tool/settings/branches", "rule_name=main&push=writers")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        // Bad input is answered on the form, with what was typed kept.
        let r = app
            .post_form("/ada/tool/settings/branches", &rule_fields("a b", &[]))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("Enter a branch name or a glob");
        r.assert_contains("value=\"a b\"");
        let r = app
            .post_form(
                "/ada/tool/settings/branches",
                &rule_fields("main", &[("required_approvals", "many")]),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("whole number from 0 to 100");
        let r = app
            .post_form(
                "/ada/tool/settings/branches",
                &rule_fields(
                    "main",
                    &[("push", "listed"), ("push_users", "bob, nobody9")],
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("There is no user named nobody9.");
        let r = app
            .post_form(
                "/ada/tool/settings/branches",
                &rule_fields("main", &[("push_teams", "devs")]),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("no team named devs");
        assert!(store.protection_rules(repo.id).await.unwrap().is_empty());

        // A good rule.
        let r = app
            .post_form(
                "/ada/tool/settings/branches",
                &rule_fields(
                    "main",
                    &[
                        ("push", "listed"),
                        ("push_users", "bob"),
                        ("require_signoff", "on"),
                        ("enable_status_check", "on"),
                        ("status_check_contexts", "ci/build\nlint"),
                        ("required_approvals", "2"),
                    ],
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(r.location(), "/ada/tool/settings/branches/edit?rule=main");
        let saved = store
            .protection_rule(repo.id, "main")
            .await
            .unwrap()
            .unwrap();
        assert!(saved.rule.push_allowlist.enabled && saved.rule.require_signoff);
        assert_eq!(saved.rule.push_allowlist.user_ids, vec![bob_id], "[{l}]");
        assert_eq!(saved.rule.status_check_contexts, vec!["ci/build", "lint"]);
        assert_eq!(saved.rule.required_approvals, 2);
        let r = app
            .post_form("/ada/tool/settings/branches", &rule_fields("main", &[]))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("A rule with this name exists already.");

        let list = app.get("/ada/tool/settings/branches").await;
        list.assert_contains("id=\"rule-list\"");
        list.assert_contains("href=\"/ada/tool/settings/branches/edit?rule=main\"");
        let branches = app.get("/ada/tool/branches").await;
        branches.assert_contains("badge-protected");
        branches.assert_contains("Protected by rule main");

        // Editing shows what is stored; saving may rename.
        let edit = app.get("/ada/tool/settings/branches/edit?rule=main").await;
        assert_eq!(edit.status, StatusCode::OK, "[{l}]");
        edit.assert_contains("value=\"bob\"");
        edit.assert_contains("ci/build\nlint");
        let r = app
            .post_form(
                "/ada/tool/settings/branches/edit?rule=main",
                &rule_fields("release/*", &[("push", "nobody")]),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(
            r.location(),
            "/ada/tool/settings/branches/edit?rule=release%2F*"
        );
        let renamed = store
            .protection_rule(repo.id, "release/*")
            .await
            .unwrap()
            .unwrap();
        assert!(!renamed.rule.enable_push && !renamed.rule.require_signoff);
        assert!(
            store
                .protection_rule(repo.id, "main")
                .await
                .unwrap()
                .is_none()
        );
        let gone = app.get("/ada/tool/settings/branches/edit?rule=main").await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "[{l}]");
        let none = app.get("/ada/tool/settings/branches/edit").await;
        assert_eq!(none.status, StatusCode::NOT_FOUND, "[{l}]");

        // Writers who do not administer the repository see none of it.
        assert_eq!(
            bob.get("/ada/tool/settings/branches").await.status,
            StatusCode::FORBIDDEN,
            "[{l}]"
        );
        let r = bob
            .post_form(
                "/ada/tool/settings/branches/delete",
                &[("rule", "release/*")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = bob
            .post_form("/ada/tool/settings/branches", &rule_fields("dev", &[]))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        // In Chinese.
        let zh = app
            .get_with(
                "/ada/tool/settings/branches",
                &[("accept-language", "zh-CN")],
            )
            .await;
        zh.assert_contains("受保护分支");

        // Deleting.
        let r = app
            .post_form(
                "/ada/tool/settings/branches/delete",
                &[("rule", "release/*")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(store.protection_rules(repo.id).await.unwrap().is_empty());
        let r = app
            .post_form(
                "/ada/tool/settings/branches/delete",
                &[("rule", "release/*")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");

        // A private repository's settings are a 404 to outsiders, like a missing one.
        create_repo(&mut app, "secret", true).await;
        let mut eve = app.new_client();
        eve.sign_up("eve").await;
        for path in [
            "/ada/secret/settings/branches",
            "/ada/secret/settings/branches/edit?rule=main",
            "/ada/nothing/settings/branches",
        ] {
            assert_eq!(
                eve.get(path).await.status,
                StatusCode::NOT_FOUND,
                "[{l}] {path}"
            );
        }
        let r = eve
            .post_form("/ada/secret/settings/branches", &rule_fields("main", &[]))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
    }
}

#[tokio::test]
async fn statuses_show_on_commit_history_and_branch_pages() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let mut sysop = app.new_client();
        sysop.sign_up("sysop").await;
        app.sign_up("ada").await;
        create_repo(&mut app, "tool", false).await;
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "tool").await.unwrap().unwrap();
        let ada = store.user_by_name("ada").await.unwrap().unwrap();
        let git = hatchery_git::Repository::open(&app.repos_dir.path().join("ada/tool.git"))
            .expect("open");
        let head = git
            .find_ref("refs/heads/main")
            .unwrap()
            .unwrap()
            .to_string();

        // Nothing reported: no checks shown.
        let commit = app.get(&format!("/ada/tool/commit/{head}")).await;
        assert_eq!(commit.status, StatusCode::OK, "[{l}]");
        assert!(!commit.body.contains("id=\"checks\""), "[{l}]");

        for (state, context, url) in [
            ("success", "ci/build", "https://ci.example/run/7"),
            ("failure", "lint<script>", ""),
        ] {
            let s = NewStatus::parse(state, context, "done", url).unwrap();
            store
                .add_commit_status(repo.id, &head, &s, ada.id)
                .await
                .unwrap();
        }
        let commit = app.get(&format!("/ada/tool/commit/{head}")).await;
        commit.assert_contains("id=\"checks\"");
        commit.assert_contains("check-icon check-failure");
        commit.assert_contains("check-icon check-success");
        commit.assert_contains("href=\"https://ci.example/run/7\"");
        commit.assert_contains("lint&lt;script&gt;");
        assert!(!commit.body.contains("lint<script>"), "[{l}] escaped");
        let history = app.get("/ada/tool/commits/main").await;
        history.assert_contains("check-icon check-failure");
        history.assert_contains("ci/build (Success)");
        let branches = app.get("/ada/tool/branches").await;
        branches.assert_contains("check-icon check-failure");
        let zh = app
            .get_with(
                &format!("/ada/tool/commit/{head}"),
                &[("accept-language", "zh-CN")],
            )
            .await;
        zh.assert_contains("检查");
        zh.assert_contains("ci/build (成功)");
    }
}

#[tokio::test]
async fn the_api_lets_only_administrators_manage_rules_and_hides_private_repositories() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let mut sysop = app.new_client();
        sysop.sign_up("sysop").await;
        app.sign_up("ada").await;
        let mut other = app.new_client();
        other.sign_up("bob").await;
        other.new_client().sign_up("eve").await;
        create_repo(&mut app, "tool", false).await;
        create_repo(&mut app, "secret", true).await;
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "tool").await.unwrap().unwrap();
        let bob = store.user_by_name("bob").await.unwrap().unwrap();
        store
            .set_collaborator(repo.id, bob.id, AccessLevel::Write)
            .await
            .unwrap();
        let rules = "/api/v1/repos/ada/tool/branch_protections";
        let body = r#"{"rule_name":"main","enable_push":false,"required_approvals":1}"#;

        let r = api(&mut app, "POST", rules, Some("bob"), Some(body)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] writer");
        let r = api(&mut app, "POST", rules, None, Some(body)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{l}] anonymous");
        let r = api(&mut app, "GET", rules, Some("eve"), None).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "[{l}] outsider on a public repository"
        );
        let r = api(&mut app, "POST", rules, Some("ada"), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        r.assert_contains("\"enable_push\":false");
        r.assert_contains("\"required_approvals\":1");
        let r = api(
            &mut app,
            "POST",
            rules,
            Some("ada"),
            Some(r#"{"rule_name":"x","required_approvals":-1}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        let r = api(&mut app, "POST", rules, Some("ada"), Some("{not json")).await;
        assert!(r.status.is_client_error(), "[{l}] {}", r.status);
        let r = api(
            &mut app,
            "PATCH",
            &format!("{rules}/main"),
            Some("bob"),
            Some("{}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = api(&mut app, "GET", &format!("{rules}/nope"), Some("ada"), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");

        // Private: outsiders and anonymous callers get the 404 of a missing repository.
        for path in [
            "/api/v1/repos/ada/secret/branch_protections",
            "/api/v1/repos/ada/secret/branch_protections/main",
            "/api/v1/repos/ada/secret/commits/main/status",
            "/api/v1/repos/ada/secret/commits/main/statuses",
            "/api/v1/repos/ada/secret/statuses/main",
        ] {
            for who in [Some("eve"), None] {
                let r = api(&mut app, "GET", path, who, None).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {path} as {who:?}");
            }
        }
        let r = api(
            &mut app,
            "POST",
            "/api/v1/repos/ada/secret/statuses/main",
            Some("eve"),
            Some(r#"{"state":"success"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");

        // Statuses: writers report, readers read.
        let git = hatchery_git::Repository::open(&app.repos_dir.path().join("ada/tool.git"))
            .expect("open");
        let head = git
            .find_ref("refs/heads/main")
            .unwrap()
            .unwrap()
            .to_string();
        let post = &format!("/api/v1/repos/ada/tool/statuses/{head}");
        let r = api(
            &mut app,
            "POST",
            "/api/v1/repos/ada/tool/statuses/main",
            Some("bob"),
            Some(r#"{"state":"success"}"#),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] a branch name is not a commit id"
        );
        let r = api(
            &mut app,
            "POST",
            post,
            Some("eve"),
            Some(r#"{"state":"success"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = api(
            &mut app,
            "POST",
            post,
            Some("bob"),
            Some(r#"{"state":"success","context":"ci"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let r = api(
            &mut app,
            "GET",
            "/api/v1/repos/ada/tool/commits/main/status",
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        r.assert_contains("\"state\":\"success\"");
        r.assert_contains("\"total_count\":1");
        let r = api(
            &mut app,
            "GET",
            "/api/v1/repos/ada/tool/statuses/main",
            Some("eve"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        r.assert_contains("\"context\":\"ci\"");
    }
}
