//! Issues through the real router, on every backend: the life cycle, triage, references,
//! permissions, privacy, search and the bad input a user or an attacker would send.

mod support;

use axum::http::StatusCode;
use support::TestApp;

/// A site with an admin nobody uses, the owner `olga` of public `olga/app`, and `pete`,
/// an ordinary signed-in user. Returns (olga, pete).
async fn site(app: TestApp) -> (TestApp, TestApp) {
    let mut olga = app;
    olga.new_client().sign_up("site-admin").await;
    olga.sign_up("olga").await;
    let r = olga
        .post_form("/repo/create", &[("owner", "olga"), ("name", "app")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut pete = olga.new_client();
    pete.sign_up("pete").await;
    (olga, pete)
}

/// Opens an issue and returns its number.
async fn open(client: &mut TestApp, repo: &str, title: &str, body: &str) -> String {
    let r = client
        .post_form(
            &format!("/{repo}/issues/new"),
            &[("title", title), ("body", body)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn label_id(client: &mut TestApp, repo: &str, name: &str) -> String {
    client
        .post_form(
            &format!("/{repo}/labels"),
            &[("name", name), ("color", "#d73a4a"), ("description", "")],
        )
        .await;
    let page = client.get(&format!("/{repo}/issues/new")).await;
    let marker = "name=\"labels\" value=\"";
    page.body
        .match_indices(marker)
        .map(|(i, _)| &page.body[i + marker.len()..])
        .find(|rest| {
            let end = rest.find("</label>").unwrap_or(0);
            rest[..end].contains(&format!(">{name}<"))
        })
        .and_then(|rest| rest.split('"').next())
        .expect("label checkbox")
        .to_owned()
}

#[tokio::test]
async fn an_issue_from_opening_to_closing() {
    for app in TestApp::all().await {
        let (mut olga, mut pete) = site(app).await;
        let l = olga.label().to_owned();
        let n = open(
            &mut pete,
            "olga/app",
            "Crash on start",
            "It **crashes**.\n\ncc @olga",
        )
        .await;
        assert_eq!(n, "1", "[{l}] numbers start at 1");
        let n2 = open(&mut pete, "olga/app", "Second", "").await;
        assert_eq!(n2, "2", "[{l}]");

        let page = pete.get("/olga/app/issues/1").await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("Crash on start");
        page.assert_contains("<strong>crashes</strong>");
        page.assert_contains("href=\"/olga\"");
        // The header counts open issues.
        page.assert_contains("Issues 2");

        // The repository owner triages.
        let bug = label_id(&mut olga, "olga/app", "bug").await;
        let r = olga
            .post_form("/olga/app/issues/1/labels", &[("labels", bug.as_str())])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        olga.post_form(
            "/olga/app/milestones/new",
            &[("title", "v1.0"), ("description", ""), ("due", "")],
        )
        .await;
        let ms_page = olga.get("/olga/app/issues/1").await;
        let ms_marker = "<option value=\"";
        let milestone = ms_page
            .body
            .split("id=\"milestone-form\"")
            .nth(1)
            .and_then(|s| {
                s.match_indices(ms_marker)
                    .nth(1)
                    .map(|(i, _)| &s[i + ms_marker.len()..])
            })
            .and_then(|s| s.split('"').next())
            .expect("milestone option")
            .to_owned();
        let r = olga
            .post_form(
                "/olga/app/issues/1/milestone",
                &[("milestone", milestone.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let olga_id = olga
            .store
            .user_by_name("olga")
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string();
        let r = olga
            .post_form(
                "/olga/app/issues/1/assignees",
                &[("assignees", olga_id.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);

        // Pete comments, quoting, and references the other issue.
        let quote = pete.get("/olga/app/issues/1?quote=issue").await;
        quote.assert_contains("&gt; It **crashes**.");
        let r = pete
            .post_form(
                "/olga/app/issues/1/comments",
                &[("body", "Same as #2, see there."), ("action", "comment")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert!(
            r.location().starts_with("/olga/app/issues/1#comment-"),
            "[{l}]"
        );

        let page = pete.get("/olga/app/issues/1").await;
        page.assert_contains("href=\"/olga/app/issues/2\"");
        page.assert_contains("data-kind=\"labeled\"");
        page.assert_contains("data-kind=\"milestoned\"");
        page.assert_contains("data-kind=\"assigned\"");
        page.assert_contains("v1.0");
        // The referenced issue shows where it was mentioned.
        let two = pete.get("/olga/app/issues/2").await;
        two.assert_contains("data-kind=\"ref_issue\"");
        two.assert_contains("href=\"/olga/app/issues/1#comment-");

        // Pete closes his own issue as not planned, then reopens it.
        let r = pete
            .post_form("/olga/app/issues/1/state", &[("to", "not_planned")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let page = pete.get("/olga/app/issues/1").await;
        page.assert_contains("Not planned");
        page.assert_contains("Issues 1");
        let list = pete.get("/olga/app/issues?state=closed").await;
        list.assert_contains("Crash on start");
        list.assert_contains("1 closed");
        pete.post_form("/olga/app/issues/1/state", &[("to", "reopen")])
            .await;
        let page = pete.get("/olga/app/issues/1").await;
        page.assert_contains("data-kind=\"reopened\"");

        // Filters.
        let by_label = pete.get(&format!("/olga/app/issues?labels={bug}")).await;
        by_label.assert_contains("Crash on start");
        assert!(!by_label.body.contains(">Second<"), "[{l}]");
        let mine = pete.get("/olga/app/issues?assignee=olga").await;
        mine.assert_contains("Crash on start");
        let nobody = pete.get("/olga/app/issues?assignee=none").await;
        nobody.assert_contains(">Second<");
        assert!(!nobody.body.contains("Crash on start"), "[{l}]");
        let mentioned = pete.get("/olga/app/issues?mentioned=olga").await;
        mentioned.assert_contains("Crash on start");
        let by_author = pete.get("/olga/app/issues?author=olga").await;
        by_author.assert_contains("id=\"no-issues\"");
        let ms = pete
            .get(&format!("/olga/app/issues?milestone={milestone}"))
            .await;
        ms.assert_contains("Crash on start");

        // Search finds words of comments, too.
        let found = pete.get("/olga/app/issues?q=there").await;
        found.assert_contains("Crash on start");
        let none = pete.get("/olga/app/issues?q=nowhere-to-be-found").await;
        none.assert_contains("id=\"no-issues\"");
    }
}

#[tokio::test]
async fn who_may_do_what() {
    for app in TestApp::all().await {
        let (mut olga, mut pete) = site(app).await;
        let l = olga.label().to_owned();
        open(&mut pete, "olga/app", "Pete's", "").await;
        let mut carol = olga.new_client();
        carol.sign_up("carol").await;
        let mut anon = olga.new_client();

        // Anyone may read; anonymous visitors are asked to sign in to take part.
        let page = anon.get("/olga/app/issues/1").await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("Sign in to comment");
        assert!(!page.body.contains("id=\"comment-form\""), "[{l}]");
        let r = anon
            .post_form("/olga/app/issues/1/comments", &[("body", "hi")])
            .await;
        assert!(
            r.location().starts_with("/user/login"),
            "[{l}] {}",
            r.status
        );
        assert!(
            anon.get("/olga/app/issues/new")
                .await
                .location()
                .starts_with("/user/login")
        );

        // Others may comment but not edit, close or triage someone else's issue.
        let r = carol
            .post_form("/olga/app/issues/1/comments", &[("body", "me too")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        for (path, fields) in [
            ("/olga/app/issues/1/state", vec![("to", "completed")]),
            (
                "/olga/app/issues/1/edit",
                vec![("title", "x"), ("body", ""), ("version", "1")],
            ),
            ("/olga/app/issues/1/labels", vec![]),
            ("/olga/app/issues/1/lock?locked=1", vec![]),
        ] {
            let r = carol.post_form(path, &fields).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {path}");
        }
        assert_eq!(
            carol.get("/olga/app/issues/1/edit").await.status,
            StatusCode::FORBIDDEN,
            "[{l}]"
        );
        // Nor edit or delete someone else's comment.
        let page = carol.get("/olga/app/issues/1").await;
        let comment = page
            .body
            .split("id=\"comment-")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a comment")
            .to_owned();
        let r = pete
            .post_form(
                &format!("/olga/app/issues/1/comments/{comment}/delete"),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = pete
            .post_form(
                &format!("/olga/app/issues/1/comments/{comment}/edit"),
                &[("body", "hijacked"), ("version", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        // The author edits it; the history keeps the first text.
        let r = carol
            .post_form(
                &format!("/olga/app/issues/1/comments/{comment}/edit"),
                &[("body", "me too, on 2.0"), ("version", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let hist = carol
            .get(&format!("/olga/app/issues/1/comments/{comment}/history"))
            .await;
        hist.assert_contains("me too");

        // The owner locks the conversation: only writers comment now.
        let r = olga
            .post_form("/olga/app/issues/1/lock?locked=1", &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let r = carol
            .post_form("/olga/app/issues/1/comments", &[("body", "still?")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        carol
            .get("/olga/app/issues/1")
            .await
            .assert_contains("id=\"locked-notice\"");
        let r = olga
            .post_form(
                "/olga/app/issues/1/comments",
                &[("body", "Locked, see the FAQ.")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        // A maintainer may delete anyone's comment.
        let r = olga
            .post_form(
                &format!("/olga/app/issues/1/comments/{comment}/delete"),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            !olga
                .get("/olga/app/issues/1")
                .await
                .body
                .contains("me too, on 2.0")
        );
    }
}

#[tokio::test]
async fn private_issues_are_invisible() {
    for app in TestApp::all().await {
        let (mut olga, mut pete) = site(app).await;
        let l = olga.label().to_owned();
        olga.post_form(
            "/repo/create",
            &[("owner", "olga"), ("name", "secret"), ("private", "on")],
        )
        .await;
        open(&mut olga, "olga/secret", "Hidden plans", "").await;
        open(&mut pete, "olga/app", "Public one", "").await;
        // A private issue refers to the public one: the public timeline must not show it
        // to people who cannot read the private repository.
        let r = olga
            .post_form(
                "/olga/secret/issues/1/comments",
                &[("body", "Related: olga/app#1 and @pete")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let public = pete.get("/olga/app/issues/1").await;
        assert!(!public.body.contains("Hidden plans"), "[{l}]");
        assert!(!public.body.contains("/olga/secret"), "[{l}]");
        let owner_view = olga.get("/olga/app/issues/1").await;
        owner_view.assert_contains("Hidden plans");
        // @pete cannot read the repository, so he is not recorded as mentioned.
        let mentioned = olga.get("/olga/secret/issues?mentioned=pete").await;
        mentioned.assert_contains("id=\"no-issues\"");

        let mut anon = olga.new_client();
        for path in [
            "/olga/secret/issues",
            "/olga/secret/issues/1",
            "/olga/secret/issues/new",
            "/olga/secret/issues/1/edit",
            "/olga/secret/issues/1/history",
            "/olga/secret/labels",
        ] {
            let missing = path.replace("secret", "nothing");
            let a = pete.get(path).await;
            let b = pete.get(&missing).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "[{l}] {path}");
            // Identical but for the path echoed in the language switch.
            assert_eq!(
                a.body,
                b.body.replace("nothing", "secret"),
                "[{l}] {path} looks exactly like a missing one"
            );
            let a = anon.get(path).await;
            let b = anon.get(&missing).await;
            assert_eq!(a.status, b.status, "[{l}] anonymous {path}");
        }
        let r = pete
            .post_form("/olga/secret/issues/1/comments", &[("body", "x")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = pete
            .post_form("/olga/secret/issues/new", &[("title", "x")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        // References to it from a public issue stay plain text for outsiders.
        let r = pete
            .post_form(
                "/olga/app/issues/1/comments",
                &[("body", "Is this olga/secret#1 ?")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let page = pete.get("/olga/app/issues/1").await;
        assert!(
            !page.body.contains("href=\"/olga/secret/issues/1\""),
            "[{l}]"
        );
        let secret = olga.get("/olga/secret/issues/1").await;
        assert!(
            !secret.body.contains("data-kind=\"ref_issue\""),
            "[{l}] pete cannot read it, so no event"
        );
        // The owner sees the link.
        olga.get("/olga/app/issues/1")
            .await
            .assert_contains("href=\"/olga/secret/issues/1\"");
    }
}

#[tokio::test]
async fn bad_input_is_refused_clearly() {
    for app in TestApp::all().await {
        let (mut olga, mut pete) = site(app).await;
        let l = olga.label().to_owned();
        let r = pete
            .post_form(
                "/olga/app/issues/new",
                &[("title", "   "), ("body", "text kept")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("text kept");
        let huge = "x".repeat(70_000);
        let r = pete
            .post_form("/olga/app/issues/new", &[("title", "Big"), ("body", &huge)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("65536");
        let r = olga
            .post_form(
                "/olga/app/issues/new",
                &[("title", "Labelled"), ("labels", "999999")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("That label does not exist in this repository.");
        let r = olga
            .post_form(
                "/olga/app/issues/new",
                &[("title", "Labelled"), ("labels", "not-a-number")],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");
        assert_eq!(
            olga.get("/olga/app/issues/1").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            olga.get("/olga/app/issues/abc").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            olga.get("/olga/app/issues/99999999999999999999")
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        open(&mut pete, "olga/app", "Typo in docs", "First text").await;
        let r = pete
            .post_form("/olga/app/issues/1/comments", &[("body", "  ")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        let r = olga
            .post_form("/olga/app/issues/1/milestone", &[("milestone", "424242")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        olga.get("/olga/app/issues/1")
            .await
            .assert_contains("That milestone does not exist in this repository.");
        let pete_id = pete
            .store
            .user_by_name("pete")
            .await
            .unwrap()
            .unwrap()
            .id
            .to_string();
        let r = olga
            .post_form(
                "/olga/app/issues/1/assignees",
                &[("assignees", pete_id.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        olga.get("/olga/app/issues/1")
            .await
            .assert_contains("Only people who can write to this repository can be assigned.");

        // Two people edit from the same version: the second is told, nothing is lost.
        let r = pete
            .post_form(
                "/olga/app/issues/1/edit",
                &[
                    ("title", "Typo in docs"),
                    ("body", "Pete's text"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let r = olga
            .post_form(
                "/olga/app/issues/1/edit",
                &[
                    ("title", "Typo in the docs"),
                    ("body", "Olga's text"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        r.assert_contains("id=\"stale-notice\"");
        r.assert_contains("Pete's text");
        r.assert_contains("Olga's text");
        let page = olga.get("/olga/app/issues/1").await;
        page.assert_contains("Pete's text");
        let hist = olga.get("/olga/app/issues/1/history").await;
        hist.assert_contains("First text");

        // Markup in titles and bodies is only ever text.
        open(
            &mut pete,
            "olga/app",
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
        )
        .await;
        let page = pete.get("/olga/app/issues/2").await;
        assert!(!page.body.contains("<script>alert(1)"), "[{l}]");
        assert!(!page.body.contains("onerror"), "[{l}]");
        // Forms without a CSRF token are refused.
        let r = pete
            .post_raw("/olga/app/issues/1/comments", "body=hi")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
    }
}

#[tokio::test]
async fn chinese_search_and_pagination() {
    for app in TestApp::all().await {
        let (_olga, mut pete) = site(app).await;
        let l = pete.label().to_owned();
        open(&mut pete, "olga/app", "数据库连接失败", "重启后出现").await;
        for i in 0..26 {
            open(&mut pete, "olga/app", &format!("Filler {i}"), "").await;
        }
        let found = pete
            .get("/olga/app/issues?q=%E6%95%B0%E6%8D%AE%E5%BA%93")
            .await;
        found.assert_contains("数据库连接失败");
        let found = pete.get("/olga/app/issues?q=%E8%BF%9E%E6%8E%A5").await;
        found.assert_contains("数据库连接失败");
        let first = pete.get("/olga/app/issues").await;
        first.assert_contains("27 open");
        first.assert_contains("Page 1 of 2");
        first.assert_contains("Filler 25");
        assert!(
            !first.body.contains(">数据库连接失败<"),
            "[{l}] newest first, 25 a page"
        );
        let second = pete.get("/olga/app/issues?page=2").await;
        second.assert_contains("数据库连接失败");
        let oldest = pete.get("/olga/app/issues?sort=oldest").await;
        oldest.assert_contains("数据库连接失败");
        let zh = pete
            .get_with("/olga/app/issues", &[("accept-language", "zh-CN")])
            .await;
        assert_eq!(zh.status, StatusCode::OK, "[{l}]");
    }
}
