//! The signed-in user's issue dashboard (`/issues`) and the home page's open issues: only
//! issues of repositories the user may still read, by tab and state, on every backend.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_core::issues::CloseReason;
use hatchery_store::testing::fixtures;
use hatchery_store::{Issue, NewIssue, NewPull, Repo, Reviewer, User};
use support::TestApp;

async fn user(app: &TestApp, name: &str) -> User {
    app.store
        .user_by_name(name)
        .await
        .expect("user lookup")
        .expect("user exists")
}

async fn repo(app: &TestApp, owner: &str, name: &str) -> Repo {
    app.store
        .repo_by_name(owner, name)
        .await
        .expect("repo lookup")
        .expect("repo exists")
}

async fn issue(app: &TestApp, repo: &Repo, author: &User, title: &str, assignees: &[i64]) -> Issue {
    app.store
        .create_issue(NewIssue {
            repo_id: repo.id,
            author_id: author.id,
            title,
            body: "",
            assignee_ids: assignees,
            ..NewIssue::default()
        })
        .await
        .expect("create issue")
}

#[tokio::test]
async fn dashboard_lists_only_readable_issues_by_tab_and_state() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        // The first account is the site's administrator, who may read everything: olga,
        // who owns the repositories, not ada, whose dashboard is tested.
        let mut olga = app.new_client();
        olga.sign_up("olga").await;
        app.sign_up("ada").await;
        for (name, private) in [("pub", false), ("priv", true), ("gone", true)] {
            let mut fields = vec![("owner", "olga"), ("name", name)];
            if private {
                fields.push(("private", "on"));
            }
            let r = olga.post_form("/repo/create", &fields).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        }
        let ada = user(&app, "ada").await;
        let olga_user = user(&app, "olga").await;
        let public = repo(&app, "olga", "pub").await;
        let private = repo(&app, "olga", "priv").await;
        let gone = repo(&app, "olga", "gone").await;
        for r in [&private, &gone] {
            app.store
                .set_collaborator(r.id, ada.id, AccessLevel::Read)
                .await
                .expect("collaborator");
        }

        let crash = issue(&app, &public, &ada, "Public crash report", &[]).await;
        issue(&app, &public, &olga_user, "Public task for ada", &[ada.id]).await;
        issue(&app, &public, &olga_user, "Only olga opened this", &[]).await;
        let leak = issue(&app, &private, &ada, "Private leak found", &[]).await;
        issue(
            &app,
            &private,
            &olga_user,
            "Private task for ada",
            &[ada.id],
        )
        .await;
        issue(&app, &gone, &ada, "Gone secret title", &[ada.id]).await;
        let done = issue(&app, &public, &ada, "Closed old bug", &[]).await;
        app.store
            .set_issue_state(done.id, Some(ada.id), Some(CloseReason::Completed), None)
            .await
            .expect("close");
        // Ada opened an issue there, but may not read the repository any more.
        app.store
            .remove_collaborator(gone.id, ada.id)
            .await
            .expect("remove collaborator");

        // Created by you, open (the default).
        let page = app.get("/issues").await;
        assert_eq!(page.status, StatusCode::OK, "[{label}] {}", page.body);
        page.assert_contains("id=\"dashboard-issues\"");
        page.assert_contains("Public crash report");
        page.assert_contains("Private leak found");
        page.assert_contains(&format!("href=\"/olga/pub/issues/{}\"", crash.number));
        page.assert_contains(&format!("olga/pub#{}", crash.number));
        page.assert_contains(&format!("href=\"/olga/priv/issues/{}\"", leak.number));
        page.assert_contains(&format!("olga/priv#{}", leak.number));
        page.assert_contains("Created by you");
        page.assert_contains("id=\"nav-issues\"");
        page.assert_contains("class=\"state state-open\"");
        for absent in [
            "Gone secret title",
            "olga/gone",
            "Public task for ada",
            "Only olga opened this",
            "Closed old bug",
        ] {
            assert!(!page.body.contains(absent), "[{label}] {absent} shown");
        }
        // The same with the parameters spelled out.
        let explicit = app.get("/issues?type=created&state=open").await;
        assert!(explicit.body.contains("Public crash report"));
        assert!(!explicit.body.contains("Gone secret title"));

        // Assigned to you.
        let page = app.get("/issues?type=assigned").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains("Public task for ada");
        page.assert_contains("Private task for ada");
        for absent in [
            "Gone secret title",
            "Public crash report",
            "Private leak found",
            "Only olga opened this",
        ] {
            assert!(
                !page.body.contains(absent),
                "[{label}] assigned: {absent} shown"
            );
        }

        // Closed.
        let page = app.get("/issues?type=created&state=closed").await;
        page.assert_contains("Closed old bug");
        page.assert_contains(&format!("href=\"/olga/pub/issues/{}\"", done.number));
        // The same state badge as the issue pages.
        page.assert_contains("class=\"state state-closed\"");
        assert!(!page.body.contains("state-open"));
        assert!(!page.body.contains("Public crash report"));
        assert!(!page.body.contains("Gone secret title"));
        let page = app.get("/issues?type=assigned&state=closed").await;
        page.assert_contains("id=\"dashboard-empty\"");
        page.assert_contains("No closed issues are assigned to you.");

        // In Chinese.
        let page = app
            .get_with("/issues", &[("accept-language", "zh-CN")])
            .await;
        page.assert_contains("我创建的");
        page.assert_contains("指派给我的");

        // The home page: open issues created by or assigned to ada, readable ones only.
        let home = app.get("/").await;
        home.assert_contains("id=\"home-issues\"");
        home.assert_contains("Your open issues");
        home.assert_contains("href=\"/issues\"");
        for present in [
            "Public crash report",
            "Private leak found",
            "Public task for ada",
            "Private task for ada",
        ] {
            home.assert_contains(present);
        }
        for absent in [
            "Gone secret title",
            "Only olga opened this",
            "Closed old bug",
        ] {
            assert!(
                !home.body.contains(absent),
                "[{label}] home: {absent} shown"
            );
        }

        // Someone with no issues sees the empty states.
        let home = olga.get("/").await;
        home.assert_contains("id=\"home-issues\"");
        let page = olga.get("/issues?type=assigned").await;
        page.assert_contains("id=\"dashboard-empty\"");
    }
}

#[tokio::test]
async fn dashboard_home_shows_at_most_ten_recent_issues() {
    for mut app in TestApp::all().await {
        app.sign_up("bo").await;
        app.post_form("/repo/create", &[("owner", "bo"), ("name", "many")])
            .await;
        let bo = user(&app, "bo").await;
        let many = repo(&app, "bo", "many").await;
        for i in 1..=12 {
            issue(
                &app,
                &many,
                &bo,
                &format!("Numbered issue {i:02}"),
                &[bo.id],
            )
            .await;
        }
        let home = app.get("/").await;
        let shown = home.body.matches("Numbered issue").count();
        assert_eq!(shown, 10, "[{}] {}", app.label(), home.body);
        let page = app.get("/issues").await;
        assert_eq!(page.body.matches("Numbered issue").count(), 12);
    }
}

#[tokio::test]
async fn dashboard_needs_a_signed_in_user() {
    for mut app in TestApp::all().await {
        let r = app.get("/issues?type=assigned").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{}]", app.label());
        assert!(
            r.location().starts_with("/user/login?next="),
            "{}",
            r.location()
        );
        assert!(r.location().contains("issues"), "{}", r.location());
        let home = app.get("/").await;
        assert!(!home.body.contains("id=\"nav-issues\""));
        assert!(!home.body.contains("id=\"home-issues\""));
    }
}

/// Opens a pull request straight in the store (the dashboard reads rows, not branches).
async fn pull(app: &TestApp, repo: &Repo, author: &User, title: &str) -> Issue {
    app.store
        .create_pull(NewPull {
            issue: NewIssue {
                repo_id: repo.id,
                author_id: author.id,
                title,
                body: "",
                ..NewIssue::default()
            },
            base_branch: "main",
            head_repo_id: repo.id,
            head_branch: title,
            head_oid: "1111111111111111111111111111111111111111",
            merge_base: "2222222222222222222222222222222222222222",
            is_draft: false,
        })
        .await
        .expect("create pull")
        .0
}

#[tokio::test]
async fn dashboard_lists_reviews_requested_in_person_or_through_a_team() {
    for mut app in TestApp::all().await {
        let label = app.label().to_owned();
        let mut olga = app.new_client();
        olga.sign_up("olga").await;
        app.sign_up("ada").await;
        for (name, private) in [("pub", false), ("priv", true)] {
            let mut fields = vec![("owner", "olga"), ("name", name)];
            if private {
                fields.push(("private", "on"));
            }
            let r = olga.post_form("/repo/create", &fields).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        }
        let ada = user(&app, "ada").await;
        let olga_user = user(&app, "olga").await;
        let public = repo(&app, "olga", "pub").await;
        let private = repo(&app, "olga", "priv").await;

        let asked = pull(&app, &public, &olga_user, "Asked of ada").await;
        let secret = pull(&app, &private, &olga_user, "Secret review").await;
        pull(&app, &public, &olga_user, "Nobody asked").await;
        for p in [&asked, &secret] {
            app.store
                .request_review(p.id, Reviewer::User(ada.id), Some(olga_user.id), false)
                .await
                .expect("request");
        }
        let page = app.get("/issues?type=review_requested").await;
        assert_eq!(page.status, StatusCode::OK, "[{label}] {}", page.body);
        page.assert_contains("Review requested");
        page.assert_contains("Asked of ada");
        page.assert_contains(&format!("olga/pub#{}", asked.number));
        // Ada may not read the private repository: its request stays invisible.
        for absent in ["Secret review", "olga/priv", "Nobody asked"] {
            assert!(!page.body.contains(absent), "[{label}] {absent} shown");
        }
        let home = app.get("/").await;
        home.assert_contains("id=\"home-reviews\"");
        home.assert_contains("Review requested from you");
        home.assert_contains("Asked of ada");
        assert!(!home.body.contains("Secret review"), "[{label}]");
        let closed = app.get("/issues?type=review_requested&state=closed").await;
        closed.assert_contains("No closed pull request asked for your review.");
        let zh = app
            .get_with(
                "/issues?type=review_requested",
                &[("accept-language", "zh-CN")],
            )
            .await;
        zh.assert_contains("请求我审查的");

        // Through a team: the request names the team, ada is a member.
        let lab = fixtures::org(&app.store, &olga_user, "lab").await;
        let team = fixtures::team(&app.store, lab.id, "reviewers", AccessLevel::Read).await;
        app.store.add_team_member(team.id, ada.id).await.unwrap();
        let via_team = pull(&app, &public, &olga_user, "Asked of the team").await;
        app.store
            .request_review(via_team.id, Reviewer::Team(team.id), None, true)
            .await
            .unwrap();
        let page = app.get("/issues?type=review_requested").await;
        page.assert_contains("Asked of the team");
        page.assert_contains("Asked of ada");
        // The repository's pull-request list filters the same way.
        let list = olga.get("/olga/pub/pulls?review_requested=ada").await;
        assert_eq!(list.status, StatusCode::OK, "[{label}]");
        list.assert_contains("Asked of ada");
        list.assert_contains("Asked of the team");
        list.assert_contains("id=\"f-review_requested\"");
        assert!(!list.body.contains("Nobody asked"), "[{label}]");
        let list = olga
            .get("/olga/pub/pulls?review_requested=nobody-here")
            .await;
        list.assert_contains("id=\"no-pulls\"");
        // Olga, who was asked nothing, has no reviews section on her home page.
        let home = olga.get("/").await;
        assert!(!home.body.contains("id=\"home-reviews\""), "[{label}]");
    }
}
