//! Pull-request pages through the real router on every backend: the repository tab and
//! the list with its filters, opening a request from `/pulls/new` and from the compare
//! page (bad input answered on the form), the conversation with its tabs and timeline,
//! the commits and files pages (collapsible files, split view) and `.diff` / `.patch`, the
//! merge box (clean, conflicts listed, a head that moved since the page was loaded merges
//! nothing, who sees the form and who may post it), the draft toggle, `#N` links to
//! requests, and private repositories whose requests look exactly like missing ones.

mod support;

use axum::http::StatusCode;
use hatchery_store::HeadMove;
use std::path::{Path, PathBuf};
use support::TestApp;

fn git(dir: &Path, args: &[&str]) -> String {
    hatchery_testkit::git::run(dir, args)
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("write");
}

fn commit(dir: &Path, file: &str, text: &str, message: &str) -> String {
    write(dir, file, text);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

async fn create_repo(app: &mut TestApp, name: &str, private: bool) -> PathBuf {
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
    app.repos_dir.path().join(format!("ada/{name}.git"))
}

/// A clone of `bare` with branches pushed back: `feature` (a new file, merges cleanly),
/// `conflict` (edits README.md as `main` does too), `later` (another new file), `old`
/// (the first commit, which `main` contains).
fn branches(bare: &Path, work: &Path) {
    git(
        work.parent().expect("parent"),
        &[
            "clone",
            "-q",
            bare.to_str().expect("utf-8"),
            work.to_str().expect("utf-8"),
        ],
    );
    git(work, &["branch", "old"]);
    git(work, &["checkout", "-q", "-b", "feature"]);
    commit(work, "feature.txt", "a feature\n", "Add the feature");
    git(work, &["checkout", "-q", "main"]);
    git(work, &["checkout", "-q", "-b", "conflict"]);
    commit(work, "README.md", "theirs\n", "Rewrite the README one way");
    git(work, &["checkout", "-q", "main"]);
    git(work, &["checkout", "-q", "-b", "later"]);
    commit(work, "later.txt", "later\n", "Add later");
    git(work, &["checkout", "-q", "main"]);
    commit(
        work,
        "README.md",
        "ours\n",
        "Rewrite the README another way",
    );
    git(
        work,
        &[
            "push", "-q", "origin", "main", "feature", "conflict", "later", "old",
        ],
    );
}

fn rev(bare: &Path, name: &str) -> String {
    hatchery_testkit::git::run(bare, &["rev-parse", name])
        .trim()
        .to_owned()
}

fn ids(bare: &Path, refs: &str) -> Vec<String> {
    hatchery_testkit::git::run(bare, &["for-each-ref", "--format=%(refname)", refs])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The value of the hidden `head` input of the merge form.
fn form_head(body: &str) -> String {
    let at = body.find("name=\"head\" value=\"").expect("head input") + 19;
    body[at..at + 40].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_request_pages() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut anon = app.new_client();
        let bare = create_repo(&mut app, "tool", false).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let work = dir.path().join("work");
        branches(&bare, &work);
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "tool").await.unwrap().unwrap();

        // The tab and the empty list.
        let home = app.get("/ada/tool").await;
        home.assert_contains("href=\"/ada/tool/pulls\"");
        home.assert_contains("Pull requests 0");
        let list = anon.get("/ada/tool/pulls").await;
        assert_eq!(list.status, StatusCode::OK, "[{l}]");
        list.assert_contains("id=\"no-pulls\"");
        assert!(
            !list.body.contains("id=\"new-pull\""),
            "[{l}] anonymous cannot open"
        );

        // Opening: the form, and bad input answered on it.
        let new = bob.get("/ada/tool/pulls/new?base=main&head=feature").await;
        assert_eq!(new.status, StatusCode::OK, "[{l}]");
        new.assert_contains("id=\"pull-new-form\"");
        new.assert_contains("<option value=\"feature\" selected>");
        assert_eq!(
            anon.get("/ada/tool/pulls/new").await.status,
            StatusCode::SEE_OTHER,
            "[{l}] anonymous is sent to sign in"
        );
        for (fields, status, message) in [
            (
                vec![("base", "main"), ("head", "main"), ("title", "x")],
                422,
                "the same branch",
            ),
            (
                vec![("base", "nope"), ("head", "feature"), ("title", "x")],
                422,
                "no such base branch",
            ),
            (
                vec![("base", "main"), ("head", "nope"), ("title", "x")],
                422,
                "no such head branch",
            ),
            (
                vec![("base", "main"), ("head", "old"), ("title", "x")],
                422,
                "nothing to merge",
            ),
            (
                vec![("base", "main"), ("head", "feature"), ("title", " ")],
                422,
                "id=\"f-title-error\"",
            ),
        ] {
            let r = bob.post_form("/ada/tool/pulls/new", &fields).await;
            assert_eq!(r.status.as_u16(), status, "[{l}] {fields:?}: {}", r.body);
            r.assert_contains(message);
        }
        assert!(store.pull_counts(repo.id).await.unwrap() == (0, 0), "[{l}]");

        // The compare page offers the form to those who may open one.
        let cmp = bob.get("/ada/tool/compare/main...feature").await;
        cmp.assert_contains("id=\"compare-open-pull\"");
        cmp.assert_contains("value=\"Add the feature\"");
        let cmp = anon.get("/ada/tool/compare/main...feature").await;
        assert!(!cmp.body.contains("compare-open-pull"), "[{l}]");

        // A reader opens #1; once only.
        let fields = [
            ("base", "main"),
            ("head", "feature"),
            ("title", "Add the feature"),
            ("body", "Closes nothing."),
        ];
        let r = bob.post_form("/ada/tool/pulls/new", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(r.location(), "/ada/tool/pulls/1", "[{l}]");
        let r = bob.post_form("/ada/tool/pulls/new", &fields).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        r.assert_contains("open already");
        for (head, title) in [("conflict", "Conflicting"), ("later", "Later")] {
            let r = app
                .post_form(
                    "/ada/tool/pulls/new",
                    &[("base", "main"), ("head", head), ("title", title)],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        }

        // The list: counts, branches, filters.
        let list = anon.get("/ada/tool/pulls").await;
        list.assert_contains("id=\"pulls\"");
        list.assert_contains("href=\"/ada/tool/pulls/1\"");
        list.assert_contains("<code>feature</code> → <code>main</code>");
        list.assert_contains("3 open");
        anon.get("/ada/tool")
            .await
            .assert_contains("Pull requests 3");
        let list = anon.get("/ada/tool/pulls?author=bob").await;
        list.assert_contains("href=\"/ada/tool/pulls/1\"");
        assert!(!list.body.contains("href=\"/ada/tool/pulls/2\""), "[{l}]");
        let list = anon.get("/ada/tool/pulls?q=Conflicting").await;
        list.assert_contains("href=\"/ada/tool/pulls/2\"");
        assert!(!list.body.contains("href=\"/ada/tool/pulls/1\""), "[{l}]");
        // Issues are not pull requests, and the other way round.
        let issues = anon.get("/ada/tool/issues").await;
        assert!(!issues.body.contains("Add the feature"), "[{l}]");

        // An issue's number under /issues leads to the request, and back.
        let r = anon.get("/ada/tool/issues/1").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert_eq!(r.location(), "/ada/tool/pulls/1", "[{l}]");
        let r = app
            .post_form(
                "/ada/tool/issues/new",
                &[("title", "A bug"), ("body", "See #1.")],
            )
            .await;
        assert_eq!(r.location(), "/ada/tool/issues/4", "[{l}]");
        let r = anon.get("/ada/tool/pulls/4").await;
        assert_eq!(r.location(), "/ada/tool/issues/4", "[{l}]");
        anon.get("/ada/tool/issues/4")
            .await
            .assert_contains("href=\"/ada/tool/pulls/1\"");

        // Bad numbers: 404, never 500.
        for path in [
            "/ada/tool/pulls/abc",
            "/ada/tool/pulls/999",
            "/ada/tool/pulls/999/files",
            "/ada/tool/pulls/abc/commits",
            "/ada/tool/pulls/4/files",
            "/ada/tool/pulls/999.diff",
            "/ada/tool/pulls/-1",
        ] {
            assert_eq!(
                anon.get(path).await.status,
                StatusCode::NOT_FOUND,
                "[{l}] {path}"
            );
        }

        // The conversation.
        let page = bob.get("/ada/tool/pulls/1").await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("id=\"pull-tabs\"");
        page.assert_contains("Commits (1)");
        page.assert_contains("Files changed (1)");
        page.assert_contains("id=\"merge-clean\"");
        page.assert_contains("id=\"comment-form\"");
        page.assert_contains("action=\"/ada/tool/issues/1/comments\"");
        assert!(
            !page.body.contains("id=\"merge-form\""),
            "[{l}] readers see no merge form"
        );
        let r = bob
            .post_form(
                "/ada/tool/issues/1/comments",
                &[("body", "Looks good"), ("action", "comment")],
            )
            .await;
        assert!(
            r.location().starts_with("/ada/tool/pulls/1#comment-"),
            "[{l}] {}",
            r.location()
        );
        let r = bob
            .post_form(
                "/ada/tool/issues/1/comments",
                &[("body", " "), ("action", "comment")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("id=\"pull-tabs\"");
        let page = app.get("/ada/tool/pulls/1").await;
        page.assert_contains("Looks good");
        page.assert_contains("id=\"merge-form\"");
        page.assert_contains("value=\"merge\" checked");
        page.assert_contains("Squash and merge");
        assert_eq!(form_head(&page.body), rev(&bare, "feature"), "[{l}]");

        // Commits and files.
        let commits = anon.get("/ada/tool/pulls/1/commits").await;
        assert_eq!(commits.status, StatusCode::OK, "[{l}]");
        commits.assert_contains("id=\"pull-commits\"");
        commits.assert_contains("Add the feature");
        let files = anon.get("/ada/tool/pulls/1/files").await;
        assert_eq!(files.status, StatusCode::OK, "[{l}]");
        files.assert_contains("feature.txt");
        files.assert_contains("<details class=\"diff-fold\" open>");
        assert!(!files.body.contains("diff-split"), "[{l}]");
        let split = anon.get("/ada/tool/pulls/1/files?style=split").await;
        split.assert_contains("diff-split");
        split.assert_contains("a feature");
        let conflict_files = anon.get("/ada/tool/pulls/2/files").await;
        conflict_files.assert_contains("README.md");
        let diff = anon.get("/ada/tool/pulls/1.diff").await;
        assert_eq!(diff.status, StatusCode::OK, "[{l}]");
        assert!(
            diff.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain"),
            "[{l}]"
        );
        assert!(
            diff.body.contains("+++ b/feature.txt"),
            "[{l}] {}",
            diff.body
        );
        let patch = anon.get("/ada/tool/pulls/1.patch").await;
        assert!(
            patch.body.contains("Subject: [PATCH] Add the feature"),
            "[{l}] {}",
            patch.body
        );

        // Conflicts are listed before anyone clicks, and merging them merges nothing.
        let main_before = rev(&bare, "main");
        let page = app.get("/ada/tool/pulls/2").await;
        page.assert_contains("id=\"merge-conflicts\"");
        page.assert_contains("<code>README.md</code>");
        assert!(!page.body.contains("id=\"merge-form\""), "[{l}]");
        let conflict_head = rev(&bare, "conflict");
        let r = app
            .post_form(
                "/ada/tool/pulls/2/merge",
                &[("style", "merge"), ("head", &conflict_head)],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        r.assert_contains("id=\"merge-refused-conflicts\"");
        r.assert_contains("<code>README.md</code>");
        assert_eq!(rev(&bare, "main"), main_before, "[{l}]");

        // A head that moved after the page was loaded: 409, nothing merged.
        let page = app.get("/ada/tool/pulls/3").await;
        let seen = form_head(&page.body);
        git(&work, &["checkout", "-q", "later"]);
        let moved = commit(&work, "later.txt", "later, again\n", "More later");
        git(&work, &["push", "-q", "origin", "later"]);
        let issue3 = store.issue_by_number(repo.id, 3).await.unwrap().unwrap();
        assert!(
            store
                .move_pull_head(HeadMove {
                    issue_id: issue3.id,
                    old_oid: &seen,
                    new_oid: &moved,
                    merge_base: &rev(&bare, "old"),
                    forced: false,
                    commits: 1,
                    actor_id: None,
                })
                .await
                .unwrap(),
            "[{l}]"
        );
        let r = app
            .post_form(
                "/ada/tool/pulls/3/merge",
                &[("style", "merge"), ("head", &seen)],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}] {}", r.body);
        r.assert_contains("id=\"merge-head-moved\"");
        assert_eq!(rev(&bare, "main"), main_before, "[{l}] nothing merged");
        let page = app.get("/ada/tool/pulls/3").await;
        page.assert_contains("data-kind=\"pushed\"");
        assert_eq!(form_head(&page.body), moved, "[{l}]");

        // Draft: no merge form until ready again.
        let r = bob
            .post_form("/ada/tool/pulls/3/draft", &[("draft", "1")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "[{l}] only those who may edit"
        );
        let r = app
            .post_form("/ada/tool/pulls/3/draft", &[("draft", "1")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let page = app.get("/ada/tool/pulls/3").await;
        page.assert_contains("id=\"merge-draft\"");
        page.assert_contains("id=\"ready-for-review\"");
        assert!(!page.body.contains("id=\"merge-form\""), "[{l}]");
        anon.get("/ada/tool/pulls")
            .await
            .assert_contains("state-draft");
        let r = app
            .post_form("/ada/tool/pulls/3/draft", &[("draft", "maybe")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");
        app.post_form("/ada/tool/pulls/3/draft", &[("draft", "0")])
            .await;
        app.get("/ada/tool/pulls/3")
            .await
            .assert_contains("id=\"merge-form\"");

        // Who may merge, and bad styles.
        let head1 = rev(&bare, "feature");
        let r = bob
            .post_form(
                "/ada/tool/pulls/1/merge",
                &[("style", "merge"), ("head", &head1)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "[{l}] a reader may not merge"
        );
        let r = anon
            .post_form(
                "/ada/tool/pulls/1/merge",
                &[("style", "merge"), ("head", &head1)],
            )
            .await;
        assert!(
            r.status.is_client_error() || r.status == StatusCode::SEE_OTHER,
            "[{l}] {}",
            r.status
        );
        let r = app
            .post_form(
                "/ada/tool/pulls/1/merge",
                &[("style", "octopus"), ("head", &head1)],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");
        assert_eq!(rev(&bare, "main"), main_before, "[{l}] nothing merged");

        // A merge: the request is merged, the commit linked, the branch deleted.
        let r = app
            .post_form(
                "/ada/tool/pulls/1/merge",
                &[
                    ("style", "merge"),
                    ("head", &head1),
                    ("delete_branch", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let merged = rev(&bare, "main");
        assert_ne!(merged, main_before, "[{l}]");
        assert!(
            !ids(&bare, "refs/heads/").contains(&"refs/heads/feature".to_owned()),
            "[{l}] head branch deleted"
        );
        let page = anon.get("/ada/tool/pulls/1").await;
        page.assert_contains("id=\"merge-merged\"");
        page.assert_contains(&format!("href=\"/ada/tool/commit/{merged}\""));
        page.assert_contains("state-merged");
        let closed = anon.get("/ada/tool/pulls?state=closed").await;
        closed.assert_contains("href=\"/ada/tool/pulls/1\"");
        closed.assert_contains("Merged");
        let r = app
            .post_form(
                "/ada/tool/pulls/1/merge",
                &[("style", "merge"), ("head", &head1)],
            )
            .await;
        assert!(
            r.status.is_client_error(),
            "[{l}] merged once: {}",
            r.status
        );
        // The merged request still shows its commits and files.
        anon.get("/ada/tool/pulls/1/files")
            .await
            .assert_contains("feature.txt");

        // Both languages.
        let zh = anon
            .get_with("/ada/tool/pulls/2", &[("accept-language", "zh-CN")])
            .await;
        zh.assert_contains("文件变更");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_pull_requests_look_missing() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let bare = create_repo(&mut app, "secret", true).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let work = dir.path().join("work");
        branches(&bare, &work);
        let r = app
            .post_form(
                "/ada/secret/pulls/new",
                &[("base", "main"), ("head", "feature"), ("title", "Hidden")],
            )
            .await;
        assert_eq!(r.location(), "/ada/secret/pulls/1", "[{l}] {}", r.body);
        assert_eq!(
            app.get("/ada/secret/pulls/1").await.status,
            StatusCode::OK,
            "[{l}]"
        );
        let head = rev(&bare, "feature");

        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut anon = app.new_client();
        let gets = [
            "/pulls",
            "/pulls?state=closed",
            "/pulls/new",
            "/pulls/1",
            "/pulls/1/commits",
            "/pulls/1/files",
            "/pulls/1/files?style=split",
            "/pulls/1.diff",
            "/pulls/1.patch",
            "/issues/1",
            "/compare/main...feature",
        ];
        let posts: [(&str, Vec<(&str, &str)>); 4] = [
            (
                "/pulls/1/merge",
                vec![("style", "merge"), ("head", head.as_str())],
            ),
            ("/pulls/1/draft", vec![("draft", "1")]),
            (
                "/pulls/new",
                vec![("base", "main"), ("head", "feature"), ("title", "x")],
            ),
            ("/issues/1/comments", vec![("body", "hi")]),
        ];
        for client in [&mut anon, &mut bob] {
            for path in gets {
                let hidden = client.get(&format!("/ada/secret{path}")).await;
                let missing = client.get(&format!("/ada/nothing{path}")).await;
                assert_eq!(hidden.status, StatusCode::NOT_FOUND, "[{l}] {path}");
                assert_eq!(hidden.status, missing.status, "[{l}] {path}");
                assert!(!hidden.body.contains("Hidden"), "[{l}] {path}");
                // Branch names appear only where the path itself carries them.
                assert!(
                    path.contains("feature") || !hidden.body.contains("feature"),
                    "[{l}] {path}"
                );
            }
            for (path, fields) in &posts {
                let hidden = client
                    .post_form(&format!("/ada/secret{path}"), fields)
                    .await;
                let missing = client
                    .post_form(&format!("/ada/nothing{path}"), fields)
                    .await;
                assert_eq!(hidden.status, missing.status, "[{l}] POST {path}");
                assert_eq!(hidden.status, StatusCode::NOT_FOUND, "[{l}] POST {path}");
            }
            // No count leaks through the tab of a page the visitor can see.
            let home = client.get("/ada").await;
            assert!(!home.body.contains("Hidden"), "[{l}]");
        }
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "secret").await.unwrap().unwrap();
        assert_eq!(
            store.pull_counts(repo.id).await.unwrap(),
            (1, 0),
            "[{l}] nothing opened, nothing merged"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_styles_are_set_in_repository_settings() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let bare = create_repo(&mut app, "tool", false).await;
        let dir = tempfile::tempdir().expect("tempdir");
        branches(&bare, &dir.path().join("work"));
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "tool").await.unwrap().unwrap();
        let bob_id = store.user_by_name("bob").await.unwrap().unwrap().id;
        store
            .set_collaborator(repo.id, bob_id, hatchery_core::AccessLevel::Write)
            .await
            .unwrap();

        app.get("/ada/tool/settings")
            .await
            .assert_contains("href=\"/ada/tool/settings/merge\"");
        let page = app.get("/ada/tool/settings/merge").await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("id=\"merge-settings-form\"");
        page.assert_contains("value=\"merge\" checked");
        // Writers who do not administer, and strangers, cannot see or change it.
        assert_eq!(
            bob.get("/ada/tool/settings/merge").await.status,
            StatusCode::FORBIDDEN,
            "[{l}]"
        );
        let r = bob
            .post_form(
                "/ada/tool/settings/merge",
                &[("allowed", "squash"), ("default_style", "squash")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        // Bad input: answered on the form or as a bad request, nothing saved.
        let r = app
            .post_form("/ada/tool/settings/merge", &[("default_style", "merge")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("Allow at least one merge style.");
        let r = app
            .post_form(
                "/ada/tool/settings/merge",
                &[("allowed", "squash"), ("default_style", "merge")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("must be one of the allowed styles");
        let r = app
            .post_form(
                "/ada/tool/settings/merge",
                &[("allowed", "octopus"), ("default_style", "merge")],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");
        assert_eq!(
            store.merge_settings(repo.id).await.unwrap(),
            hatchery_core::pulls::MergeSettings::default(),
            "[{l}]"
        );

        // Squash and rebase only, squash by default, delete branches by default.
        let r = app
            .post_form(
                "/ada/tool/settings/merge",
                &[
                    ("allowed", "squash"),
                    ("allowed", "rebase"),
                    ("default_style", "squash"),
                    ("delete_branch", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let saved = store.merge_settings(repo.id).await.unwrap();
        assert!(saved.delete_branch, "[{l}]");
        assert_eq!(saved.default_style.as_str(), "squash", "[{l}]");
        // The API reports them in Gitea's fields.
        let r = support::api(&mut app, "GET", "/api/v1/repos/ada/tool", Some("ada"), None).await;
        let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        for (field, value) in [
            ("allow_merge_commits", serde_json::json!(false)),
            ("allow_squash_merge", serde_json::json!(true)),
            ("allow_rebase", serde_json::json!(true)),
            ("allow_fast_forward_only_merge", serde_json::json!(false)),
            ("default_merge_style", serde_json::json!("squash")),
            ("default_delete_branch_after_merge", serde_json::json!(true)),
            ("has_pull_requests", serde_json::json!(true)),
        ] {
            assert_eq!(json[field], value, "[{l}] {field}");
        }

        // The merge box follows.
        let r = bob
            .post_form(
                "/ada/tool/pulls/new",
                &[("base", "main"), ("head", "feature"), ("title", "Feature")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let page = bob.get("/ada/tool/pulls/1").await;
        page.assert_contains("id=\"merge-form\"");
        page.assert_contains("value=\"squash\" checked");
        assert!(
            !page
                .body
                .contains("type=\"radio\" name=\"style\" value=\"merge\""),
            "[{l}] merge commits not offered"
        );
        page.assert_contains("name=\"delete_branch\" value=\"on\" checked");
        let head = form_head(&page.body);
        let r = bob
            .post_form(
                "/ada/tool/pulls/1/merge",
                &[("style", "merge"), ("head", &head)],
            )
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "[{l}]");
        r.assert_contains("not allowed in this repository");
        let r = bob
            .post_form(
                "/ada/tool/pulls/1/merge",
                &[
                    ("style", "squash"),
                    ("head", &head),
                    ("message", "Squashed feature"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let subject = hatchery_testkit::git::run(&bare, &["log", "-1", "--format=%s", "main"]);
        assert_eq!(subject.trim(), "Squashed feature", "[{l}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_files_page_can_hide_whitespace_changes() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let bare = create_repo(&mut app, "ws", false).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let work = dir.path().join("work");
        git(
            dir.path(),
            &["clone", "-q", bare.to_str().expect("utf-8"), "work"],
        );
        commit(&work, "code.txt", "fn a() {\n    x();\n}\n", "Code");
        git(&work, &["checkout", "-q", "-b", "tabs"]);
        write(&work, "code.txt", "fn a() {\n\tx();\n}\n");
        commit(&work, "real.txt", "a real change\n", "Tabs, and a file");
        git(&work, &["push", "-q", "origin", "main", "tabs"]);
        let r = app
            .post_form(
                "/ada/ws/pulls/new",
                &[("base", "main"), ("head", "tabs"), ("title", "Tabs")],
            )
            .await;
        assert_eq!(r.location(), "/ada/ws/pulls/1", "[{l}] {}", r.body);

        let all = app.get("/ada/ws/pulls/1/files").await;
        assert_eq!(all.status, StatusCode::OK, "[{l}]");
        all.assert_contains("\tx();");
        all.assert_contains("a real change");
        all.assert_contains("href=\"/ada/ws/pulls/1/files?w=1\" id=\"whitespace-toggle\"");

        for path in [
            "/ada/ws/pulls/1/files?w=1",
            "/ada/ws/pulls/1/files?style=split&w=1",
        ] {
            let blind = app.get(path).await;
            assert_eq!(blind.status, StatusCode::OK, "[{l}] {path}");
            assert!(
                !blind.body.contains("x();"),
                "[{l}] {path}: a whitespace-only change has no lines:\n{}",
                blind.body
            );
            blind.assert_contains("code.txt");
            blind.assert_contains("a real change");
        }
        // Each toggle keeps the other choice.
        let split = app.get("/ada/ws/pulls/1/files?style=split&w=1").await;
        split.assert_contains("href=\"/ada/ws/pulls/1/files?w=1\" id=\"style-unified\"");
        split
            .assert_contains("href=\"/ada/ws/pulls/1/files?style=split\" id=\"whitespace-toggle\"");
    }
}

/// "Update branch": the merge box offers it when the head is behind the base and the viewer
/// can write to the head; merging the base in or rebasing onto it moves the head and the
/// request follows; conflicts, a moved head and the head branch's protection refuse it and
/// change nothing; readers, anonymous visitors and bad styles are refused; the API route
/// does the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_head_branch_is_updated_from_the_base() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ada").await;
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let mut anon = app.new_client();
        let bare = create_repo(&mut app, "upd", false).await;
        let dir = tempfile::tempdir().expect("tempdir");
        branches(&bare, &dir.path().join("work"));
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "upd").await.unwrap().unwrap();
        for (head, title) in [("feature", "F"), ("conflict", "C"), ("later", "L")] {
            let r = app
                .post_form(
                    "/ada/upd/pulls/new",
                    &[("base", "main"), ("head", head), ("title", title)],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        }

        // The box says the head is behind; only those who can write to it get the buttons.
        let page = app.get("/ada/upd/pulls/1").await;
        page.assert_contains("id=\"merge-behind\"");
        page.assert_contains("id=\"update-branch-form\"");
        for who in [&mut bob, &mut anon] {
            let page = who.get("/ada/upd/pulls/1").await;
            page.assert_contains("id=\"merge-behind\"");
            assert!(!page.body.contains("update-branch-form"), "[{l}]");
        }
        let old_head = rev(&bare, "feature");
        let r = bob
            .post_form("/ada/upd/pulls/1/update", &[("style", "merge")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = anon
            .post_form("/ada/upd/pulls/1/update", &[("style", "merge")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(r.location().starts_with("/user/login"), "[{l}]");
        let r = app
            .post_form("/ada/upd/pulls/1/update", &[("style", "squash")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");
        // A head that moved since the page was loaded.
        let r = app
            .post_form(
                "/ada/upd/pulls/1/update",
                &[("style", "merge"), ("head", &"0".repeat(40))],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        r.assert_contains("id=\"merge-head-moved\"");
        // The head branch's protection applies as to a push.
        let mut rule = hatchery_core::protection::BranchRule::new("feature");
        rule.enable_push = false;
        store.create_protection_rule(repo.id, &rule).await.unwrap();
        let r = app
            .post_form("/ada/upd/pulls/1/update", &[("style", "merge")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        r.assert_contains("id=\"update-refused-protected\"");
        r.assert_contains("protected branch");
        assert_eq!(rev(&bare, "feature"), old_head, "[{l}]");
        store
            .delete_protection_rule(repo.id, "feature")
            .await
            .unwrap();

        // Merging the base in.
        let head = form_head(&app.get("/ada/upd/pulls/1").await.body);
        let r = app
            .post_form(
                "/ada/upd/pulls/1/update",
                &[("style", "merge"), ("head", &head)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let new_head = rev(&bare, "feature");
        assert_eq!(rev(&bare, "feature^1"), old_head, "[{l}]");
        assert_eq!(rev(&bare, "feature^2"), rev(&bare, "main"), "[{l}]");
        assert_eq!(rev(&bare, "refs/pull/1/head"), new_head, "[{l}]");
        let issue = store.issue_by_number(repo.id, 1).await.unwrap().unwrap();
        let pull = store.pull(issue.id).await.unwrap().unwrap();
        assert_eq!(pull.head_oid, new_head, "[{l}]");
        let page = app.get("/ada/upd/pulls/1").await;
        assert!(!page.body.contains("merge-behind"), "[{l}]");
        page.assert_contains("data-kind=\"pushed\"");
        hatchery_testkit::git::run(&bare, &["fsck", "--strict"]);

        // Conflicts refuse it.
        let before = rev(&bare, "conflict");
        let r = app
            .post_form("/ada/upd/pulls/2/update", &[("style", "merge")])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        r.assert_contains("id=\"merge-refused-conflicts\"");
        r.assert_contains("<code>README.md</code>");
        assert_eq!(rev(&bare, "conflict"), before, "[{l}]");

        // The API: a bad style, then rebasing onto the base.
        let api_url = "/api/v1/repos/ada/upd/pulls/3/update";
        let r = support::api(
            &mut app,
            "POST",
            &format!("{api_url}?style=octopus"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        let r = support::api(&mut app, "POST", api_url, Some("bob"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        let r = support::api(
            &mut app,
            "POST",
            &format!("{api_url}?style=rebase"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        hatchery_testkit::git::run(&bare, &["merge-base", "--is-ancestor", "main", "later"]);
        assert_eq!(
            hatchery_testkit::git::run(&bare, &["rev-list", "--count", "main..later"]).trim(),
            "1",
            "[{l}]"
        );
        // Up to date: nothing to do, and nothing changes.
        let tip = rev(&bare, "later");
        let r = support::api(
            &mut app,
            "POST",
            &format!("{api_url}?style=rebase"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        assert_eq!(rev(&bare, "later"), tip, "[{l}]");
        hatchery_testkit::git::run(&bare, &["fsck", "--strict"]);
    }
}
