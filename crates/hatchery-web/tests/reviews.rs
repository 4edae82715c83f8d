//! Code review through the REST API, on the real router on every backend: pending reviews
//! with line comments, submitting, Gitea's refusals (approving one's own request, an empty
//! comment review, reviewers who cannot read), dismissals by writers, review requests,
//! deleting, the review webhooks in Gitea's shapes, and private repositories answering
//! 404 exactly like missing ones.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_store::{HookOwner, NewWebhook};
use serde_json::{Value, json};
use std::path::Path;
use support::{TestApp, api};

fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = hatchery_testkit::git::command(dir);
    String::from_utf8_lossy(&hatchery_testkit::git::run_bytes(&mut cmd, args)).into_owned()
}

/// Creates `ada/<name>` with `main` and a `feature` branch changing `src/lib.rs`, and opens
/// pull request 1 from it as ada. Returns the feature's head.
async fn repo_with_pull(app: &mut TestApp, name: &str, private: bool) -> String {
    repo_with_pull_of(app, "ada", name, private, None).await
}

/// The same in a repository of `owner`, with a CODEOWNERS file on `main` if given.
async fn repo_with_pull_of(
    app: &mut TestApp,
    owner: &str,
    name: &str,
    private: bool,
    codeowners: Option<&str>,
) -> String {
    let mut fields = vec![("owner", owner), ("name", name)];
    if private {
        fields.push(("private", "on"));
    }
    let r = app.post_form("/repo/create", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let bare = app.repos_dir.path().join(owner).join(format!("{name}.git"));
    let work = tempfile::tempdir().expect("tempdir");
    let w = work.path();
    git(w, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(w.join("src")).expect("mkdir");
    std::fs::write(w.join("src/lib.rs"), "fn a() {}\nfn b() {}\n").expect("write");
    if let Some(text) = codeowners {
        std::fs::write(w.join("CODEOWNERS"), text).expect("write");
    }
    git(w, &["add", "-A"]);
    git(w, &["commit", "-q", "-m", "Initial import"]);
    git(w, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(w.join("src/lib.rs"), "fn a() {}\nfn b() { 2 }\nfn c() {}\n").expect("write");
    git(w, &["commit", "-q", "-am", "Add c"]);
    let head = git(w, &["rev-parse", "HEAD"]).trim().to_owned();
    git(
        w,
        &[
            "push",
            "-q",
            bare.to_str().expect("utf-8 path"),
            "main",
            "feature",
        ],
    );
    let r = api(
        app,
        "POST",
        &format!("/api/v1/repos/{owner}/{name}/pulls"),
        Some("ada"),
        Some(&json!({"base": "main", "head": "feature", "title": "Add c"}).to_string()),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "[{}] {}",
        app.label(),
        r.body
    );
    head
}

fn json_of(r: &support::Resp) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

async fn post(app: &mut TestApp, path: &str, user: &str, body: Value) -> support::Resp {
    api(app, "POST", path, Some(user), Some(&body.to_string())).await
}

#[tokio::test]
async fn reviews_are_written_submitted_and_dismissed_in_giteas_shapes() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        for name in ["bob", "eve"] {
            app.new_client().sign_up(name).await;
        }
        let head = repo_with_pull(&mut app, "tool", false).await;
        let s = app.store.store().clone();
        let repo = s.repo_by_name("ada", "tool").await.unwrap().unwrap();
        let bob = s.user_by_name("bob").await.unwrap().unwrap();
        s.set_collaborator(repo.id, bob.id, AccessLevel::Write)
            .await
            .unwrap();
        let hook = s
            .create_webhook(NewWebhook {
                owner: HookOwner::Repo(repo.id),
                url: "http://127.0.0.1:9/review-hook",
                content_type: "json",
                secret: "",
                events: &["pull_request_review".to_owned(), "pull_request".to_owned()],
                branch_filter: "",
                authorization_header: "",
                is_active: true,
            })
            .await
            .unwrap();
        let base = "/api/v1/repos/ada/tool/pulls/1";
        let reviews = format!("{base}/reviews");

        // The author may neither approve nor request changes on their own request.
        for event in ["APPROVED", "REQUEST_CHANGES"] {
            let r = post(&mut app, &reviews, "ada", json!({"event": event})).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{l}] {}",
                r.body
            );
            assert!(r.body.contains("your own pull request"), "[{l}] {}", r.body);
        }
        // Bad input: an unknown event, an empty comment review, a bad line or path.
        let r = post(
            &mut app,
            &reviews,
            "eve",
            json!({"event": "COMMENT", "body": "x", "commit_id": "abc"}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        assert!(r.body.contains("full commit id"), "[{l}] {}", r.body);
        let r = post(&mut app, &reviews, "eve", json!({"event": "LGTM"})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        let r = post(
            &mut app,
            &reviews,
            "eve",
            json!({"event": "COMMENT", "body": " "}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        assert!(r.body.contains("needs a body"), "[{l}] {}", r.body);
        for c in [
            json!({"path": "src/lib.rs", "body": "x"}),
            json!({"path": "../lib.rs", "body": "x", "new_position": 1}),
            json!({"path": "src/lib.rs", "body": " ", "new_position": 1}),
            json!({"path": "src/lib.rs", "body": "x", "new_position": 1, "start_line": 2}),
        ] {
            let r = post(&mut app, &reviews, "bob", json!({"comments": [c]})).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{l}] {c} {}",
                r.body
            );
        }
        // Anonymous callers are asked to sign in.
        let r = api(&mut app, "POST", &reviews, None, Some("{}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{l}] {}", r.body);

        // bob starts a pending review with a comment on lines 2-3 of the head.
        let r = post(
            &mut app,
            &reviews,
            "bob",
            json!({"comments": [{"path": "src/lib.rs", "body": "Why todo?",
                "new_position": 3, "start_line": 2}]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        let pending = json_of(&r);
        assert_eq!(pending["state"], "PENDING", "[{l}]");
        assert_eq!(pending["user"]["login"], "bob", "[{l}]");
        assert_eq!(pending["commit_id"], head.as_str(), "[{l}]");
        assert_eq!(pending["comments_count"], 1, "[{l}]");
        let id = pending["id"].as_i64().unwrap();
        // A second call adds to the same pending review.
        let r = post(
            &mut app,
            &reviews,
            "bob",
            json!({"event": "PENDING", "comments": [{"path": "src/lib.rs", "body": "Old b",
                "old_position": 2}]}),
        )
        .await;
        assert_eq!(json_of(&r)["id"], id, "[{l}] {}", r.body);
        assert_eq!(json_of(&r)["comments_count"], 2, "[{l}]");

        // Others do not see a pending review.
        let r = api(&mut app, "GET", &reviews, Some("eve"), None).await;
        assert_eq!(json_of(&r), json!([]), "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("{reviews}/{id}"),
            Some("eve"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {}", r.body);
        let r = api(&mut app, "GET", &reviews, Some("bob"), None).await;
        assert_eq!(json_of(&r)[0]["id"], id, "[{l}]");

        // Submitting: once.
        let r = post(
            &mut app,
            &format!("{reviews}/{id}"),
            "bob",
            json!({"event": "APPROVED", "body": "LGTM"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        let approved = json_of(&r);
        assert_eq!(approved["state"], "APPROVED", "[{l}]");
        assert_eq!(approved["body"], "LGTM", "[{l}]");
        assert_eq!(approved["official"], true, "[{l}]");
        assert_eq!(approved["dismissed"], false, "[{l}]");
        assert!(approved["submitted_at"].is_string(), "[{l}]");
        let r = post(
            &mut app,
            &format!("{reviews}/{id}"),
            "bob",
            json!({"event": "COMMENT", "body": "again"}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );

        // Anyone who can read sees it now, with its comments.
        let r = api(
            &mut app,
            "GET",
            &format!("{reviews}/{id}/comments"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        let comments = json_of(&r);
        assert_eq!(comments.as_array().unwrap().len(), 2, "[{l}]");
        assert_eq!(comments[0]["path"], "src/lib.rs", "[{l}]");
        assert_eq!(comments[0]["position"], 3, "[{l}]");
        assert_eq!(comments[0]["start_line"], 2, "[{l}]");
        assert_eq!(comments[0]["side"], "RIGHT", "[{l}]");
        assert_eq!(comments[0]["original_commit_id"], head.as_str(), "[{l}]");
        assert_eq!(comments[0]["pull_request_review_id"], id, "[{l}]");
        assert_eq!(comments[1]["original_position"], 2, "[{l}]");
        assert_eq!(comments[1]["side"], "LEFT", "[{l}]");

        // A reader's comment review counts for nothing official.
        let r = post(
            &mut app,
            &reviews,
            "eve",
            json!({"event": "COMMENT", "body": "hm"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        let eve_review = json_of(&r);
        assert_eq!(eve_review["official"], false, "[{l}]");

        // Unknown reviews and non-numbers are 404.
        for bad in ["999999", "abc"] {
            let r = api(&mut app, "GET", &format!("{reviews}/{bad}"), None, None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {}", r.body);
        }
        let r = api(
            &mut app,
            "GET",
            "/api/v1/repos/ada/tool/pulls/9/reviews",
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {}", r.body);

        // Dismissing: writers only; approvals and requests for changes only; once.
        let dismiss = format!("{reviews}/{id}/dismissals");
        let r = post(&mut app, &dismiss, "eve", json!({"message": "no"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        let r = post(&mut app, &dismiss, "ada", json!({"message": "stale"})).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        assert_eq!(json_of(&r)["dismissed"], true, "[{l}]");
        let r = post(&mut app, &dismiss, "ada", json!({"message": "stale"})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        let eve_id = eve_review["id"].as_i64().unwrap();
        let r = post(
            &mut app,
            &format!("{reviews}/{eve_id}/dismissals"),
            "ada",
            json!({}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );

        // Review requests: people who can read, never the author, known names only.
        let requested = format!("{base}/requested_reviewers");
        let r = post(&mut app, &requested, "ada", json!({"reviewers": ["bob"]})).await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let made = json_of(&r);
        assert_eq!(made[0]["state"], "REQUEST_REVIEW", "[{l}]");
        assert_eq!(made[0]["user"]["login"], "bob", "[{l}]");
        // The pull request shows who is asked, and how many line comments it has.
        let r = api(&mut app, "GET", base, None, None).await;
        let pr = json_of(&r);
        assert_eq!(
            pr["requested_reviewers"][0]["login"], "bob",
            "[{l}] {}",
            r.body
        );
        assert_eq!(pr["requested_reviewers_teams"], json!([]), "[{l}]");
        assert_eq!(pr["review_comments"], 2, "[{l}]");
        let r = post(
            &mut app,
            &requested,
            "ada",
            json!({"reviewers": ["nobody"]}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        let r = post(&mut app, &requested, "ada", json!({"reviewers": ["ada"]})).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        let r = post(
            &mut app,
            &requested,
            "ada",
            json!({"team_reviewers": ["core"]}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        // Only the author and writers ask.
        let r = post(&mut app, &requested, "eve", json!({"reviewers": ["bob"]})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        let r = api(
            &mut app,
            "DELETE",
            &requested,
            Some("ada"),
            Some(&json!({"reviewers": ["bob"]}).to_string()),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}] {}", r.body);

        // Deleting: the reviewer (or an administrator).
        let r = api(
            &mut app,
            "DELETE",
            &format!("{reviews}/{id}"),
            Some("eve"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        let r = api(
            &mut app,
            "DELETE",
            &format!("{reviews}/{id}"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}] {}", r.body);
        let r = api(
            &mut app,
            "GET",
            &format!("{reviews}/{id}"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {}", r.body);

        // Webhooks: the verdicts as pull_request_review_*, requests as
        // pull_request_review_request (a pull_request event with action review_requested).
        let (deliveries, _) = s.deliveries_of_hook(hook.id, 0, 50).await.unwrap();
        let mut seen = Vec::new();
        for d in deliveries.iter().rev() {
            let full = s.delivery(hook.id, d.id).await.unwrap().unwrap();
            let p: Value = serde_json::from_str(&full.payload).unwrap();
            if d.event == "pull_request" && p["action"] == "opened" {
                continue;
            }
            seen.push((d.event.clone(), p["action"].as_str().unwrap().to_owned()));
            match d.event.as_str() {
                "pull_request_review_approved" => {
                    assert_eq!(p["review"]["type"], "pull_request_review_approved", "[{l}]");
                    assert_eq!(p["review"]["content"], "LGTM", "[{l}]");
                    assert_eq!(p["pull_request"]["number"], 1, "[{l}]");
                    assert_eq!(p["sender"]["login"], "bob", "[{l}]");
                }
                "pull_request_review_comment" => {
                    assert_eq!(p["review"]["content"], "hm", "[{l}]");
                }
                // Sent with `X-Gitea-Event: pull_request`, as in Gitea.
                "pull_request_review_request" => {
                    assert_eq!(p["requested_reviewer"]["login"], "bob", "[{l}]");
                }
                other => panic!("[{l}] unexpected event {other}"),
            }
        }
        let want: Vec<(String, String)> = [
            ("pull_request_review_approved", "reviewed"),
            ("pull_request_review_comment", "reviewed"),
            ("pull_request_review_request", "review_requested"),
            ("pull_request_review_request", "review_request_removed"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        assert_eq!(seen, want, "[{l}]");
    }
}

#[tokio::test]
async fn private_repositories_hide_their_reviews() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        app.new_client().sign_up("eve").await;
        repo_with_pull(&mut app, "secret", true).await;
        let paths = [
            ("GET", "/api/v1/repos/ada/secret/pulls/1/reviews"),
            ("POST", "/api/v1/repos/ada/secret/pulls/1/reviews"),
            ("GET", "/api/v1/repos/ada/secret/pulls/1/reviews/1"),
            ("GET", "/api/v1/repos/ada/secret/pulls/1/reviews/1/comments"),
            (
                "POST",
                "/api/v1/repos/ada/secret/pulls/1/reviews/1/dismissals",
            ),
            (
                "POST",
                "/api/v1/repos/ada/secret/pulls/1/requested_reviewers",
            ),
        ];
        for (method, path) in paths {
            let missing = path.replace("/secret/", "/nothing/");
            for user in [Some("eve"), None] {
                let body = (method == "POST").then_some(r#"{"event": "COMMENT", "body": "x"}"#);
                let hidden = api(&mut app, method, path, user, body).await;
                let absent = api(&mut app, method, &missing, user, body).await;
                if user.is_none() && method == "POST" {
                    assert_eq!(hidden.status, StatusCode::UNAUTHORIZED, "[{l}] {path}");
                } else {
                    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "[{l}] {path}");
                }
                assert_eq!(hidden.status, absent.status, "[{l}] {method} {path}");
                assert_eq!(hidden.body, absent.body, "[{l}] {method} {path}");
            }
        }
        // A reviewer who cannot read the private repository cannot be asked.
        let r = post(
            &mut app,
            "/api/v1/repos/ada/secret/pulls/1/requested_reviewers",
            "ada",
            json!({"reviewers": ["eve"]}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        assert!(r.body.contains("eve cannot review"), "[{l}] {}", r.body);
        // The owner reviews as usual.
        let r = api(
            &mut app,
            "GET",
            "/api/v1/repos/ada/secret/pulls/1/reviews",
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
    }
}

#[tokio::test]
async fn teams_are_asked_by_hand_and_by_codeowners() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        app.new_client().sign_up("bob").await;
        let s = app.store.store().clone();
        let ada = s.user_by_name("ada").await.unwrap().unwrap();
        let org = hatchery_store::testing::fixtures::org(&s, &ada, "acme").await;
        let web =
            hatchery_store::testing::fixtures::team(&s, org.id, "web", AccessLevel::Read).await;
        hatchery_store::testing::fixtures::team(&s, org.id, "ops", AccessLevel::Read).await;
        repo_with_pull_of(
            &mut app,
            "acme",
            "tool",
            false,
            Some("*.rs @acme/web @bob @ada @ghost\n*.md @acme/ops\n"),
        )
        .await;
        let repo = s.repo_by_name("acme", "tool").await.unwrap().unwrap();
        // The team is given the repository only after the request opened: CODEOWNERS
        // asked bob (not ada, the author; not the unknown ghost), and no team yet.
        let pr = "/api/v1/repos/acme/tool/pulls/1";
        let r = api(&mut app, "GET", pr, None, None).await;
        let body = json_of(&r);
        assert_eq!(
            body["requested_reviewers"][0]["login"], "bob",
            "[{l}] {}",
            r.body
        );
        assert_eq!(
            body["requested_reviewers"].as_array().unwrap().len(),
            1,
            "[{l}]"
        );
        assert_eq!(body["requested_reviewers_teams"], json!([]), "[{l}]");

        let requested = format!("{pr}/requested_reviewers");
        // A team without the repository cannot be asked.
        let r = post(
            &mut app,
            &requested,
            "ada",
            json!({"team_reviewers": ["web"]}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        s.add_repo_team(repo.id, web.id).await.unwrap();
        let r = post(
            &mut app,
            &requested,
            "ada",
            json!({"team_reviewers": ["web"]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let made = json_of(&r);
        assert_eq!(made[0]["team"]["name"], "web", "[{l}] {}", r.body);
        assert_eq!(made[0]["state"], "REQUEST_REVIEW", "[{l}]");
        // Asking again changes nothing and answers no new request.
        let r = post(
            &mut app,
            &requested,
            "ada",
            json!({"team_reviewers": ["web"]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        assert_eq!(json_of(&r), json!([]), "[{l}]");
        let r = api(&mut app, "GET", pr, None, None).await;
        assert_eq!(
            json_of(&r)["requested_reviewers_teams"][0]["name"],
            "web",
            "[{l}]"
        );
        let r = api(
            &mut app,
            "DELETE",
            &requested,
            Some("ada"),
            Some(&json!({"team_reviewers": ["web"]}).to_string()),
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}] {}", r.body);
        let r = api(&mut app, "GET", pr, None, None).await;
        assert_eq!(json_of(&r)["requested_reviewers_teams"], json!([]), "[{l}]");
    }
}

/// The id of the first `thread-N` on a page.
fn first_thread(body: &str) -> i64 {
    let at = body.find("id=\"thread-").expect("a thread") + 11;
    body[at..]
        .split('"')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("thread id")
}

/// Review on the web pages: the line-comment form opened from a line's link, comments
/// alone or into a pending review (seen by their author only until submitted), threads
/// under their lines with replies, resolving and the outdated marker, the review box
/// (comment / approve / request changes) and its refusals, reviews in the conversation's
/// timeline, the reviewers sidebar (request, re-request, remove), discarding a pending
/// review; refusals: no permission, a CSRF token of another session, a thread of another
/// pull request, private repositories.
#[tokio::test]
async fn reviews_on_the_web_pages() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut eve = app.new_client();
        eve.sign_up("eve").await;
        let mut anon = app.new_client();
        repo_with_pull(&mut app, "tool", false).await;
        repo_with_pull(&mut app, "other", false).await;
        repo_with_pull(&mut app, "secret", true).await;
        let s = app.store.store().clone();
        let repo = s.repo_by_name("ada", "tool").await.unwrap().unwrap();
        let bob_id = s.user_by_name("bob").await.unwrap().unwrap().id;
        s.set_collaborator(repo.id, bob_id, AccessLevel::Write)
            .await
            .unwrap();
        let pr = "/ada/tool/pulls/1";
        let files = format!("{pr}/files");

        // Every line offers a comment link; the review box is for those who may review.
        let page = bob.get(&files).await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("id=\"d0R2\"");
        page.assert_contains("id=\"d0L2\"");
        page.assert_contains("side=RIGHT&amp;line=2#d0R2");
        page.assert_contains("id=\"review-box\"");
        page.assert_contains("class=\"diff-review can-comment\"");
        let page = anon.get(&files).await;
        assert!(!page.body.contains("id=\"review-box\""), "[{l}]");
        assert!(!page.body.contains("can-comment"), "[{l}]");
        // The link opens the form under the line, in the split view too.
        for (url, columns) in [
            (format!("{files}?path=src/lib.rs&side=RIGHT&line=3"), "3"),
            (
                format!("{files}?style=split&path=src/lib.rs&side=RIGHT&line=3&start_line=2"),
                "4",
            ),
        ] {
            let page = bob.get(&url).await;
            let row = page.body.find("data-anchor=\"d0R3\"").expect("form row");
            assert!(
                page.body[..row].contains("id=\"d0R3\""),
                "[{l}] after its line"
            );
            page.assert_contains("id=\"line-comment-form\"");
            page.assert_contains(&format!("colspan=\"{columns}\""));
        }
        bob.get(&format!(
            "{files}?style=split&path=src/lib.rs&side=RIGHT&line=3&start_line=2"
        ))
        .await
        .assert_contains("name=\"start_line\" id=\"f-start_line\" min=\"1\" max=\"3\" value=\"2\"");
        // Anonymous visitors get no form.
        let page = anon
            .get(&format!("{files}?path=src/lib.rs&side=RIGHT&line=3"))
            .await;
        assert!(!page.body.contains("line-comment-form"), "[{l}]");

        // Refused comments come back on the form, with what was typed.
        let line_fields = |body: &'static str, start: &'static str, action: &'static str| {
            vec![
                ("back", "files"),
                ("path", "src/lib.rs"),
                ("side", "RIGHT"),
                ("line", "3"),
                ("start_line", start),
                ("body", body),
                ("action", action),
            ]
        };
        let comments_url = format!("{files}/comments");
        let r = bob
            .post_form(&comments_url, &line_fields(" ", "", "review"))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("id=\"line-comment-error\"");
        r.assert_contains("Write a comment first.");
        let r = bob
            .post_form(&comments_url, &line_fields("Backwards", "5", "review"))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("id=\"line-comment-error\"");
        r.assert_contains(">Backwards</textarea>");
        let r = bob
            .post_form(
                &comments_url,
                &[
                    ("path", "src/lib.rs"),
                    ("side", "UP"),
                    ("line", "1"),
                    ("body", "x"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");
        // Anonymous visitors are sent to sign in; nothing is saved.
        let r = anon
            .post_form(&comments_url, &line_fields("Anon", "", "single"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(r.location().starts_with("/user/login"), "[{l}]");

        // bob comments on lines 2-3 into a pending review: his alone until submitted.
        let r = bob
            .post_form(&comments_url, &line_fields("Why **todo**?", "2", "review"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert!(
            r.location().starts_with(&format!("{files}#thread-")),
            "[{l}]"
        );
        let page = bob.get(&files).await;
        page.assert_contains("<strong>todo</strong>");
        page.assert_contains("badge-pending");
        page.assert_contains("id=\"review-pending-count\">1<");
        page.assert_contains("lines 2–3");
        let thread = first_thread(&page.body);
        let row = page.body.find("data-anchor=\"d0R3\"").expect("thread row");
        assert!(page.body[..row].contains("id=\"d0R3\""), "[{l}]");
        for who in [&mut eve, &mut anon] {
            let page = who.get(&files).await;
            assert!(
                !page.body.contains("todo</strong>"),
                "[{l}] pending is private"
            );
        }

        // eve comments alone on an old line: seen by everyone at once.
        let r = eve
            .post_form(
                &comments_url,
                &[
                    ("back", "files"),
                    ("style", "split"),
                    ("path", "src/lib.rs"),
                    ("side", "LEFT"),
                    ("line", "2"),
                    ("body", "The old b was fine"),
                    ("action", "single"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert!(
            r.location()
                .starts_with(&format!("{files}?style=split#thread-")),
            "[{l}] {}",
            r.location()
        );
        let page = anon.get(&files).await;
        page.assert_contains("The old b was fine");
        let eve_thread = first_thread(&page.body);
        anon.get(pr).await.assert_contains("The old b was fine");

        // The review box: the author may not approve their own request.
        let r = app
            .post_form(
                &format!("{pr}/reviews"),
                &[("back", "files"), ("event", "approve"), ("body", "Mine")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("id=\"review-error\"");
        r.assert_contains("cannot approve your own");
        r.assert_contains(">Mine</textarea>");
        assert!(
            !app.get(&files).await.body.contains("value=\"approve\""),
            "[{l}] the author is not offered approving"
        );
        let r = eve
            .post_form(
                &format!("{pr}/reviews"),
                &[("event", "comment"), ("body", " ")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("needs a summary or line comments");
        let r = eve
            .post_form(&format!("{pr}/reviews"), &[("event", "lgtm")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");

        // bob approves: his pending comment goes with it.
        let r = bob
            .post_form(
                &format!("{pr}/reviews"),
                &[
                    ("back", "files"),
                    ("event", "approve"),
                    ("body", "Looks good"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert!(r.location().starts_with(&format!("{pr}#review-")), "[{l}]");
        let conv = anon.get(pr).await;
        conv.assert_contains("data-state=\"APPROVED\"");
        conv.assert_contains("approved these changes");
        conv.assert_contains("Looks good");
        conv.assert_contains("<strong>todo</strong>");
        conv.assert_contains("id=\"side-reviewers\"");
        assert!(!conv.body.contains("badge-pending"), "[{l}]");
        let list = anon.get("/ada/tool/pulls").await;
        list.assert_contains("id=\"review-state-1\"");
        list.assert_contains("Approved");

        // Replies, in the thread; a thread of another request is not found.
        let r = eve
            .post_form(
                &format!("{pr}/threads/{thread}/reply"),
                &[("back", "conversation"), ("body", "Agreed, remove it")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert!(
            r.location().starts_with(&format!("{pr}#review-comment-")),
            "[{l}]"
        );
        let page = anon.get(&files).await;
        let t = page.body.find(&format!("id=\"thread-{thread}\"")).unwrap();
        assert!(page.body[t..].contains("Agreed, remove it"), "[{l}]");
        let r = eve
            .post_form(&format!("{pr}/threads/{thread}/reply"), &[("body", " ")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");
        let r = app
            .post_form(
                "/ada/other/pulls/1/reviews",
                &[("event", "comment"), ("body", "elsewhere")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let r = eve
            .post_form(
                "/ada/other/pulls/1/files/comments",
                &[
                    ("path", "src/lib.rs"),
                    ("side", "RIGHT"),
                    ("line", "1"),
                    ("body", "other"),
                    ("action", "single"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let other = first_thread(&anon.get("/ada/other/pulls/1/files").await.body);
        for action in ["reply", "resolve"] {
            let r = app
                .post_form(
                    &format!("{pr}/threads/{other}/{action}"),
                    &[("body", "x"), ("resolved", "1")],
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {action}");
        }
        let r = app
            .post_form(&format!("{pr}/threads/abc/reply"), &[("body", "x")])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");

        // Resolving: the author and writers, not other readers.
        let resolve = format!("{pr}/threads/{thread}/resolve");
        let r = eve.post_form(&resolve, &[("resolved", "1")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = app
            .post_form(&resolve, &[("back", "files"), ("resolved", "1")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(r.location(), format!("{files}#thread-{thread}"), "[{l}]");
        let page = anon.get(&files).await;
        page.assert_contains(&format!(
            "class=\"review-thread resolved\" id=\"thread-{thread}\""
        ));
        let page = app.get(&files).await;
        page.assert_contains("Unresolve conversation");
        let r = bob.post_form(&resolve, &[("resolved", "0")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            !anon
                .get(&files)
                .await
                .body
                .contains("review-thread resolved"),
            "[{l}]"
        );
        let r = bob.post_form(&resolve, &[("resolved", "maybe")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");

        // Outdated: the thread leaves its line for the list of other conversations.
        s.mark_comments_outdated(&[eve_thread]).await.unwrap();
        let page = anon.get(&files).await;
        let apart = page
            .body
            .find("id=\"review-elsewhere\"")
            .expect("elsewhere");
        let t = page
            .body
            .find(&format!("id=\"thread-{eve_thread}\""))
            .unwrap();
        assert!(t > apart, "[{l}]");
        page.assert_contains("badge-outdated");

        // Reviewers: asked by the author, from people who can read; never the author.
        let reviewers = format!("{pr}/reviewers");
        let page = app.get(pr).await;
        page.assert_contains("id=\"request-reviewer-form\"");
        page.assert_contains("id=\"rerequest-bob\"");
        let r = app
            .post_form(&reviewers, &[("who", "u:eve"), ("action", "request")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let page = anon.get(pr).await;
        page.assert_contains("review requested");
        assert!(!page.body.contains("request-reviewer-form"), "[{l}]");
        app.get(pr)
            .await
            .assert_contains("id=\"remove-reviewer-u-eve\"");
        for who in ["u:ada", "u:nobody", "t:core", "x"] {
            let r = app
                .post_form(&reviewers, &[("who", who), ("action", "request")])
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}] {who}");
        }
        let r = eve
            .post_form(&reviewers, &[("who", "u:bob"), ("action", "request")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        // Asking bob again, who approved.
        let r = app
            .post_form(&reviewers, &[("who", "u:bob"), ("action", "request")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        app.get(pr)
            .await
            .assert_contains("id=\"remove-reviewer-u-bob\"");
        let r = app
            .post_form(&reviewers, &[("who", "u:eve"), ("action", "remove")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            !app.get(pr).await.body.contains("remove-reviewer-u-eve"),
            "[{l}]"
        );

        // A pending review can be discarded with its comments.
        let r = eve
            .post_form(&comments_url, &line_fields("Draft thought", "", "review"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        eve.get(pr)
            .await
            .assert_contains("id=\"own-pending-review\"");
        let r = eve
            .post_form(&format!("{pr}/reviews/discard"), &[("back", "files")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            !eve.get(&files).await.body.contains("Draft thought"),
            "[{l}]"
        );
        let r = eve.post_form(&format!("{pr}/reviews/discard"), &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] nothing pending");

        // A CSRF token of another session is refused on every review form.
        let session = bob.cookie("hatchery_session").cloned().unwrap();
        let csrf = eve.cookie("hatchery_csrf").cloned().unwrap();
        for (path, fields) in [
            (comments_url.clone(), line_fields("Forged", "", "single")),
            (format!("{pr}/reviews"), vec![("event", "approve")]),
            (
                format!("{pr}/threads/{thread}/reply"),
                vec![("body", "Forged")],
            ),
            (resolve.clone(), vec![("resolved", "1")]),
            (
                reviewers.clone(),
                vec![("who", "u:eve"), ("action", "request")],
            ),
            (format!("{pr}/reviews/discard"), vec![]),
        ] {
            let mut forged = app.new_client();
            forged.set_cookie("hatchery_session", &session);
            forged.set_cookie("hatchery_csrf", &csrf);
            let mut all = vec![("_csrf", csrf.as_str())];
            all.extend(fields);
            let r = forged.post_raw(&path, &support::encode(&all)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {path}");
        }
        assert!(!anon.get(&files).await.body.contains("Forged"), "[{l}]");

        // A private repository's review forms look missing to those who cannot read it.
        let sp = "/ada/secret/pulls/1";
        for (path, fields) in [
            (
                format!("{sp}/files/comments"),
                line_fields("x", "", "single"),
            ),
            (
                format!("{sp}/reviews"),
                vec![("event", "comment"), ("body", "x")],
            ),
            (format!("{sp}/reviews/discard"), vec![]),
            (format!("{sp}/threads/1/reply"), vec![("body", "x")]),
            (format!("{sp}/threads/1/resolve"), vec![("resolved", "1")]),
            (
                format!("{sp}/reviewers"),
                vec![("who", "u:eve"), ("action", "request")],
            ),
        ] {
            let r = eve.post_form(&path, &fields).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {path}");
        }
        assert_eq!(
            eve.get(&format!("{sp}/files")).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

/// Whether pull request 1 of ada/tool is in the list filtered by `?review=`.
async fn listed(client: &mut TestApp, review: &str) -> bool {
    let page = client
        .get(&format!("/ada/tool/pulls?review={review}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "[{}] {review}", client.label());
    page.body.contains("href=\"/ada/tool/pulls/1\"")
}

#[tokio::test]
async fn the_pull_list_filters_by_review_state() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        app.new_client().sign_up("bob").await;
        let mut anon = app.new_client();
        repo_with_pull(&mut app, "tool", false).await;
        let s = app.store.store().clone();
        let repo = s.repo_by_name("ada", "tool").await.unwrap().unwrap();
        let bob = s.user_by_name("bob").await.unwrap().unwrap();
        s.set_collaborator(repo.id, bob.id, AccessLevel::Write)
            .await
            .unwrap();
        let states = ["none", "required", "approved", "changes_requested"];
        // Nothing submitted yet: listed under "none" only.
        for (state, want) in states.iter().zip([true, false, false, false]) {
            assert_eq!(listed(&mut anon, state).await, want, "[{l}] {state}");
        }
        // Asked of bob: review required.
        let r = post(
            &mut app,
            "/api/v1/repos/ada/tool/pulls/1/requested_reviewers",
            "ada",
            json!({"reviewers": ["bob"]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        for (state, want) in states.iter().zip([true, true, false, false]) {
            assert_eq!(listed(&mut anon, state).await, want, "[{l}] {state}");
        }
        // bob asks for changes, then approves.
        for (event, wants) in [
            ("REQUEST_CHANGES", [false, false, false, true]),
            ("APPROVED", [false, false, true, false]),
        ] {
            let r = post(
                &mut app,
                "/api/v1/repos/ada/tool/pulls/1/reviews",
                "bob",
                json!({"event": event, "body": "seen"}),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
            for (state, want) in states.iter().zip(wants) {
                assert_eq!(
                    listed(&mut anon, state).await,
                    want,
                    "[{l}] {event}: {state}"
                );
            }
        }
        // Any other value lists every request; the control shows the choice, in both
        // languages.
        assert!(listed(&mut anon, "bogus").await, "[{l}]");
        let page = anon.get("/ada/tool/pulls?review=approved").await;
        page.assert_contains("id=\"f-review\"");
        page.assert_contains("<option value=\"approved\" selected>Approved</option>");
        let page = anon
            .get_with(
                "/ada/tool/pulls?review=approved",
                &[("accept-language", "zh-CN")],
            )
            .await;
        page.assert_contains("<option value=\"approved\" selected>已批准</option>");
        // Issue lists ignore it.
        let page = anon.get("/ada/tool/issues?review=approved").await;
        assert!(!page.body.contains("id=\"f-review\""), "[{l}]");
    }
}
