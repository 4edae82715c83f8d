//! Pull requests end to end, with the stock git client and the REST API against the real
//! server, on every database backend: a reader opens a request from a pushed branch, the
//! server writes `refs/pull/N/head` (fetchable, not pushable), pushes to the head branch
//! move the request ("pushed" / "force-pushed" in the timeline, `synchronized` hooks),
//! the commits, files, `.diff` and `.patch` views answer, and a private repository's
//! requests answer 404 to outsiders.

mod apisupport;
mod gitsupport;

use std::path::{Path, PathBuf};

use apisupport::{Auth, call, get};
use gitsupport::{PASSWORD, Server, git, ok, stderr};
use hatchery_core::AccessLevel;
use hatchery_core::issues::EventKind;
use hatchery_store::testing::stores;
use hatchery_store::{HookOwner, NewWebhook};
use serde_json::json;

async fn work_repo(root: &Path, name: &str) -> PathBuf {
    let work = root.join(name);
    std::fs::create_dir_all(&work).expect("mkdir");
    ok(&git(&work, &["init", "-q", "-b", "main"]).await);
    std::fs::write(work.join("README.md"), "tool\n").expect("write");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(&work, &["commit", "-q", "-m", "Initial commit"]).await);
    work
}

async fn commit(work: &Path, file: &str, line: &str) -> String {
    let previous = std::fs::read_to_string(work.join(file)).unwrap_or_default();
    std::fs::write(work.join(file), format!("{previous}{line}\n")).expect("write");
    ok(&git(work, &["add", "-A"]).await);
    ok(&git(work, &["commit", "-q", "-m", line]).await);
    ok(&git(work, &["rev-parse", "HEAD"]).await)
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_requests_follow_their_head_branch() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        server.user("eve").await;
        let repo = server.repo(&ada, "tool", false).await;
        server
            .state
            .store
            .set_collaborator(repo.id, bob.id, AccessLevel::Write)
            .await
            .expect("collaborator");
        let hook = server
            .state
            .store
            .create_webhook(NewWebhook {
                owner: HookOwner::Repo(repo.id),
                url: "http://127.0.0.1:9/pr-hook",
                content_type: "json",
                secret: "",
                events: &["pull_request".to_owned()],
                branch_filter: "",
                authorization_header: "",
                is_active: true,
            })
            .await
            .expect("hook");
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let remote = server.url("ada/tool.git", Some(("bob", PASSWORD)));
        ok(&git(&work, &["push", "-q", &remote, "main"]).await);
        ok(&git(&work, &["checkout", "-q", "-b", "feature"]).await);
        let first = commit(&work, "parser.rs", "fn parse() {}").await;
        ok(&git(&work, &["push", "-q", &remote, "feature"]).await);

        // Bad requests are refused clearly and open nothing.
        let api = "/api/v1/repos/ada/tool/pulls";
        let eve = Auth::Basic("eve", PASSWORD);
        for (body, status) in [
            (json!({"base": "main", "head": "nope", "title": "x"}), 422),
            (
                json!({"base": "nope", "head": "feature", "title": "x"}),
                422,
            ),
            (json!({"base": "main", "head": "main", "title": "x"}), 422),
            (
                json!({"base": "main", "head": "feature", "title": " "}),
                422,
            ),
        ] {
            let r = call(&server, "POST", api, eve, Some(body.clone())).await;
            assert_eq!(r.status, status, "[{l}] {body}: {}", r.text);
        }
        let r = call(
            &server,
            "POST",
            api,
            Auth::None,
            Some(json!({"base": "main", "head": "feature", "title": "x"})),
        )
        .await;
        assert_eq!(r.status, 401, "[{l}] anonymous");

        // A reader opens a request; it takes the issues' next number.
        let r = call(
            &server,
            "POST",
            api,
            eve,
            Some(json!({"base": "main", "head": "feature", "title": "WIP: a parser", "body": "Parses."})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(r.json["number"], 1, "[{l}]");
        assert_eq!(r.json["draft"], true, "[{l}] a WIP: title makes a draft");
        assert_eq!(r.json["head"]["sha"], first.as_str(), "[{l}]");
        assert_eq!(r.json["head"]["ref"], "feature", "[{l}]");
        assert_eq!(r.json["base"]["ref"], "main", "[{l}]");
        assert_eq!(r.json["user"]["login"], "eve", "[{l}]");
        assert_eq!(r.json["merged"], false, "[{l}]");
        assert!(
            r.json["diff_url"]
                .as_str()
                .unwrap()
                .ends_with("/ada/tool/pulls/1.diff")
        );
        let again = call(
            &server,
            "POST",
            api,
            eve,
            Some(json!({"base": "main", "head": "feature", "title": "again"})),
        )
        .await;
        assert_eq!(
            again.status, 409,
            "[{l}] one open request per head and base"
        );

        // refs/pull/1/head is served to clients and cannot be pushed.
        let clone = root.join("clone");
        ok(&git(
            &root,
            &[
                "clone",
                "-q",
                &server.url("ada/tool.git", None),
                clone.to_str().unwrap(),
            ],
        )
        .await);
        ok(&git(&clone, &["fetch", "-q", "origin", "refs/pull/1/head:pr1"]).await);
        let fetched = ok(&git(&clone, &["rev-parse", "pr1"]).await)
            .trim()
            .to_owned();
        assert_eq!(fetched, first, "[{l}]");
        let out = git(&work, &["push", &remote, "+main:refs/pull/1/head"]).await;
        assert!(!out.status.success(), "[{l}] pushing refs/pull/* must fail");
        assert!(
            stderr(&out).contains("written by the server"),
            "[{l}] {}",
            stderr(&out)
        );

        // A push to the head moves the request and its ref.
        let second = commit(&work, "parser.rs", "fn parse_more() {}").await;
        commit(&work, "parser.rs", "fn parse_all() {}").await;
        let third = ok(&git(&work, &["rev-parse", "HEAD"]).await)
            .trim()
            .to_owned();
        ok(&git(&work, &["push", "-q", &remote, "feature"]).await);
        assert_ne!(second, third);
        let r = get(&server, "/api/v1/repos/ada/tool/pulls/1", eve).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["head"]["sha"], third.as_str(), "[{l}]");
        // Gitea clients (tea, Renovate) look for pull requests on the repository itself.
        let r = get(&server, "/api/v1/repos/ada/tool", eve).await;
        assert_eq!(r.json["has_pull_requests"], true, "[{l}]");
        assert_eq!(r.json["open_pr_counter"], 1, "[{l}]");
        assert_eq!(r.json["open_issues_count"], 0, "[{l}] pulls are not issues");
        ok(&git(&clone, &["fetch", "-q", "origin", "+refs/pull/1/head:pr1"]).await);
        let fetched = ok(&git(&clone, &["rev-parse", "pr1"]).await)
            .trim()
            .to_owned();
        assert_eq!(fetched, third, "[{l}]");

        // Rewritten history is a force push.
        ok(&git(&work, &["reset", "-q", "--hard", &first]).await);
        let rewritten = commit(&work, "lexer.rs", "fn lex() {}").await;
        ok(&git(&work, &["push", "-q", "-f", &remote, "feature"]).await);
        let issue = server
            .state
            .store
            .issue_by_number(repo.id, 1)
            .await
            .expect("issue")
            .expect("exists");
        let kinds: Vec<EventKind> = server
            .state
            .store
            .issue_events(issue.id)
            .await
            .expect("events")
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![EventKind::Pushed, EventKind::ForcePushed],
            "[{l}]"
        );
        let events = server.state.store.issue_events(issue.id).await.unwrap();
        assert_eq!(
            events[0].value.as_deref(),
            Some("2"),
            "[{l}] two commits pushed"
        );

        // Commits, files, .diff and .patch.
        let r = get(&server, "/api/v1/repos/ada/tool/pulls/1/commits", eve).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let shas: Vec<&str> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha"].as_str().unwrap())
            .collect();
        assert_eq!(
            shas,
            vec![first.as_str(), rewritten.as_str()],
            "[{l}] oldest first"
        );
        let r = get(&server, "/api/v1/repos/ada/tool/pulls/1/files", eve).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let files: Vec<(&str, &str)> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["filename"].as_str().unwrap(),
                    f["status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            files,
            vec![("lexer.rs", "added"), ("parser.rs", "added")],
            "[{l}]"
        );
        let r = get(&server, "/api/v1/repos/ada/tool/pulls/1.diff", eve).await;
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.text.contains("+++ b/lexer.rs") && r.text.contains("+fn lex() {}"),
            "[{l}] {}",
            r.text
        );
        let r = get(&server, "/api/v1/repos/ada/tool/pulls/1.patch", eve).await;
        assert_eq!(r.status, 200, "[{l}]");
        assert_eq!(
            r.text.matches("Subject: [PATCH]").count(),
            2,
            "[{l}] {}",
            r.text
        );

        // Listing and editing.
        let r = get(&server, "/api/v1/repos/ada/tool/pulls?state=open", eve).await;
        assert_eq!(r.status, 200, "[{l}]");
        assert_eq!(r.json.as_array().unwrap().len(), 1, "[{l}]");
        assert_eq!(r.header("x-total-count"), "1", "[{l}]");
        let r = get(&server, "/api/v1/repos/ada/tool/issues?type=issues", eve).await;
        assert_eq!(
            r.json.as_array().unwrap().len(),
            0,
            "[{l}] pulls are not issues"
        );
        let r = get(&server, "/api/v1/repos/ada/tool/issues?type=pulls", eve).await;
        assert_eq!(r.json.as_array().unwrap().len(), 1, "[{l}]");
        assert_eq!(r.json[0]["pull_request"]["merged"], false, "[{l}]");
        let r = call(
            &server,
            "PATCH",
            "/api/v1/repos/ada/tool/pulls/1",
            eve,
            Some(json!({"title": "A parser", "draft": false})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(r.json["title"], "A parser");
        assert_eq!(r.json["draft"], false);
        let r = call(
            &server,
            "PATCH",
            "/api/v1/repos/ada/tool/pulls/1",
            Auth::Basic("bob", PASSWORD),
            Some(json!({"state": "closed"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(r.json["state"], "closed");

        // Webhooks heard every change as pull_request events, in Gitea's shape.
        let (deliveries, _) = server
            .state
            .store
            .deliveries_of_hook(hook.id, 0, 20)
            .await
            .expect("deliveries");
        let mut actions = Vec::new();
        for d in deliveries.iter().rev() {
            assert_eq!(d.event, "pull_request", "[{l}]");
            let full = server
                .state
                .store
                .delivery(hook.id, d.id)
                .await
                .expect("delivery")
                .expect("exists");
            let payload: serde_json::Value = serde_json::from_str(&full.payload).expect("json");
            assert_eq!(payload["number"], 1, "[{l}]");
            assert_eq!(payload["pull_request"]["base"]["ref"], "main", "[{l}]");
            actions.push(payload["action"].as_str().unwrap().to_owned());
        }
        assert_eq!(
            actions,
            vec!["opened", "synchronized", "synchronized", "edited", "closed"],
            "[{l}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_pull_requests_answer_404() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        server.user("eve").await;
        server.repo(&ada, "secret", true).await;
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let remote = server.url("ada/secret.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &remote, "main"]).await);
        ok(&git(&work, &["checkout", "-q", "-b", "feature"]).await);
        commit(&work, "a.txt", "a").await;
        ok(&git(&work, &["push", "-q", &remote, "feature"]).await);
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/secret/pulls",
            Auth::Basic("ada", PASSWORD),
            Some(json!({"base": "main", "head": "feature", "title": "x"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        for path in [
            "/api/v1/repos/ada/secret/pulls",
            "/api/v1/repos/ada/secret/pulls/1",
            "/api/v1/repos/ada/secret/pulls/1.diff",
            "/api/v1/repos/ada/secret/pulls/1/files",
            "/api/v1/repos/ada/secret/pulls/1/commits",
        ] {
            for auth in [Auth::None, Auth::Basic("eve", PASSWORD)] {
                let r = get(&server, path, auth).await;
                assert_eq!(r.status, 404, "[{l}] {path} {auth:?}");
            }
        }
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/secret/pulls",
            Auth::Basic("eve", PASSWORD),
            Some(json!({"base": "main", "head": "feature", "title": "x"})),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}]");
    }
}

/// Opens a request from `branch` (already pushed) and returns its number.
async fn open_pull(server: &Server, branch: &str, body: &str) -> i64 {
    let r = call(
        server,
        "POST",
        "/api/v1/repos/ada/tool/pulls",
        Auth::Basic("ada", PASSWORD),
        Some(json!({"base": "main", "head": branch, "title": format!("Merge {branch}"), "body": body})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["number"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_requests_merge_in_every_style() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        server.user("eve").await;
        let repo = server.repo(&ada, "tool", false).await;
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let remote = server.url("ada/tool.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &remote, "main"]).await);
        let bug = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/issues",
            Auth::Basic("ada", PASSWORD),
            Some(json!({"title": "crash"})),
        )
        .await;
        assert_eq!(bug.status, 201, "[{l}]");
        let bug_number = bug.json["number"].as_i64().unwrap();

        for (i, style) in ["merge", "squash", "rebase", "fast-forward-only"]
            .iter()
            .enumerate()
        {
            ok(&git(&work, &["checkout", "-q", "main"]).await);
            ok(&git(&work, &["pull", "-q", &remote, "main"]).await);
            let branch = format!("topic-{i}");
            ok(&git(&work, &["checkout", "-q", "-b", &branch]).await);
            commit(&work, &format!("f{i}.txt"), "one").await;
            commit(&work, &format!("f{i}.txt"), "two").await;
            ok(&git(&work, &["push", "-q", &remote, &branch]).await);
            let body = if i == 0 {
                format!("fixes #{bug_number}")
            } else {
                String::new()
            };
            let n = open_pull(&server, &branch, &body).await;
            let merge = format!("/api/v1/repos/ada/tool/pulls/{n}/merge");
            let r = get(&server, &merge, Auth::None).await;
            assert_eq!(r.status, 404, "[{l}] not merged yet");
            // A reader may not merge; a stale head merges nothing.
            let r = call(
                &server,
                "POST",
                &merge,
                Auth::Basic("eve", PASSWORD),
                Some(json!({"Do": style})),
            )
            .await;
            assert_eq!(r.status, 403, "[{l}] {}", r.text);
            let r = call(
                &server,
                "POST",
                &merge,
                Auth::Basic("ada", PASSWORD),
                Some(json!({"Do": style, "head_commit_id": "0000000000000000000000000000000000000000"})),
            )
            .await;
            assert_eq!(r.status, 409, "[{l}] {}", r.text);
            let r = call(
                &server,
                "POST",
                &merge,
                Auth::Basic("ada", PASSWORD),
                Some(json!({"Do": "octopus"})),
            )
            .await;
            assert_eq!(r.status, 422, "[{l}]");
            let r = call(
                &server,
                "POST",
                &merge,
                Auth::Basic("ada", PASSWORD),
                Some(json!({"Do": style, "delete_branch_after_merge": true})),
            )
            .await;
            assert_eq!(r.status, 200, "[{l}] {style}: {}", r.text);
            let r = get(&server, &merge, Auth::None).await;
            assert_eq!(r.status, 204, "[{l}] {style}");
            let r = get(
                &server,
                &format!("/api/v1/repos/ada/tool/pulls/{n}"),
                Auth::None,
            )
            .await;
            assert_eq!(r.json["merged"], true, "[{l}]");
            assert_eq!(r.json["state"], "closed", "[{l}]");
            let git_repo = server.state.forge.open_git_blocking(&repo).expect("open");
            let main = git_repo
                .find_ref("refs/heads/main")
                .unwrap()
                .unwrap()
                .to_string();
            assert_eq!(r.json["merge_commit_sha"], main.as_str(), "[{l}] {style}");
            assert!(
                git_repo
                    .find_ref(&format!("refs/heads/{branch}"))
                    .unwrap()
                    .is_none(),
                "[{l}] head branch deleted"
            );
            let r = call(
                &server,
                "POST",
                &merge,
                Auth::Basic("ada", PASSWORD),
                Some(json!({"Do": style})),
            )
            .await;
            assert_eq!(r.status, 405, "[{l}] merged already");
            let fsck = std::process::Command::new("git")
                .args(["fsck", "--strict"])
                .current_dir(git_repo.path())
                .output()
                .expect("git fsck");
            assert!(
                fsck.status.success(),
                "[{l}] {style}: {}",
                String::from_utf8_lossy(&fsck.stderr)
            );
        }
        let bug = server
            .state
            .store
            .issue_by_number(repo.id, bug_number)
            .await
            .unwrap()
            .unwrap();
        assert!(bug.is_closed, "[{l}] fixes #N closed the issue on merge");

        // A protected base refuses a merge its rule does not allow.
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/branch_protections",
            Auth::Basic("ada", PASSWORD),
            Some(json!({"rule_name": "main", "required_approvals": 1})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        ok(&git(&work, &["checkout", "-q", "main"]).await);
        ok(&git(&work, &["pull", "-q", &remote, "main"]).await);
        ok(&git(&work, &["checkout", "-q", "-b", "guarded"]).await);
        commit(&work, "g.txt", "g").await;
        ok(&git(&work, &["push", "-q", &remote, "guarded"]).await);
        let n = open_pull(&server, "guarded", "").await;
        let before = server
            .state
            .forge
            .open_git_blocking(&repo)
            .unwrap()
            .find_ref("refs/heads/main")
            .unwrap();
        let r = call(
            &server,
            "POST",
            &format!("/api/v1/repos/ada/tool/pulls/{n}/merge"),
            Auth::Basic("ada", PASSWORD),
            Some(json!({"Do": "merge"})),
        )
        .await;
        assert_eq!(r.status, 405, "[{l}] {}", r.text);
        let after = server
            .state
            .forge
            .open_git_blocking(&repo)
            .unwrap()
            .find_ref("refs/heads/main")
            .unwrap();
        assert_eq!(before, after, "[{l}] nothing merged");
    }
}

/// `refs/pull/N/merge` (what CI systems fetch to test a request as merged): written
/// after a push to the head or the base when the request merges cleanly, removed when it
/// conflicts or is merged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_preview_ref_follows_head_and_base() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        let repo = server.repo(&ada, "tool", false).await;
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let remote = server.url("ada/tool.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &remote, "main"]).await);
        ok(&git(&work, &["checkout", "-q", "-b", "feature"]).await);
        let head = commit(&work, "parser.rs", "fn parse() {}").await;
        ok(&git(&work, &["push", "-q", &remote, "feature"]).await);
        let n = open_pull(&server, "feature", "").await;
        let preview = format!("refs/pull/{n}/merge");
        // The re-check a push starts in the background, run here to wait for it.
        let forge = &server.state.forge;
        let recheck = |branch: &str| [format!("refs/heads/{branch}")];
        forge
            .recheck_pulls_after_push(&repo, &recheck("feature"))
            .await;

        let clone = root.join("clone");
        let anon = server.url("ada/tool.git", None);
        ok(&git(&root, &["clone", "-q", &anon, clone.to_str().unwrap()]).await);
        ok(&git(
            &clone,
            &["fetch", "-q", "origin", &format!("+{preview}:merged")],
        )
        .await);
        let main = ok(&git(&clone, &["rev-parse", "origin/main"]).await)
            .trim()
            .to_owned();
        let parents = ok(&git(&clone, &["rev-list", "--parents", "-n", "1", "merged"]).await);
        let parents: Vec<&str> = parents.split_whitespace().skip(1).collect();
        assert_eq!(parents, [main.as_str(), head.as_str()], "[{l}]");
        let files = ok(&git(&clone, &["ls-tree", "--name-only", "merged"]).await);
        assert!(
            files.contains("parser.rs") && files.contains("README.md"),
            "[{l}] {files}"
        );
        ok(&git(&clone, &["fsck", "--strict", "--no-progress"]).await);
        // The preview belongs to the forge: clients cannot push it.
        let out = git(&work, &["push", &remote, &format!("+main:{preview}")]).await;
        assert!(!out.status.success(), "[{l}] {}", stderr(&out));

        // The base gets a conflicting change: the preview goes away.
        ok(&git(&work, &["checkout", "-q", "main"]).await);
        commit(&work, "parser.rs", "fn other() {}").await;
        ok(&git(&work, &["push", "-q", &remote, "main"]).await);
        forge
            .recheck_pulls_after_push(&repo, &recheck("main"))
            .await;
        let refs = ok(&git(&root, &["ls-remote", &anon]).await);
        assert!(!refs.contains(&preview), "[{l}] {refs}");
        assert!(
            refs.contains(&format!("refs/pull/{n}/head")),
            "[{l}] {refs}"
        );

        // The head is rebased onto the new base: clean again, and merging removes it.
        ok(&git(&work, &["checkout", "-q", "-B", "feature", "main"]).await);
        commit(&work, "lexer.rs", "fn lex() {}").await;
        ok(&git(&work, &["push", "-q", "-f", &remote, "feature"]).await);
        forge
            .recheck_pulls_after_push(&repo, &recheck("feature"))
            .await;
        let refs = ok(&git(&root, &["ls-remote", &anon]).await);
        assert!(refs.contains(&preview), "[{l}] {refs}");

        // Closing drops the preview at once; reopening checks again and brings it back.
        let edit = format!("/api/v1/repos/ada/tool/pulls/{n}");
        let ada_auth = Auth::Basic("ada", PASSWORD);
        let r = call(
            &server,
            "PATCH",
            &edit,
            ada_auth,
            Some(json!({"state": "closed"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let refs = ok(&git(&root, &["ls-remote", &anon]).await);
        assert!(!refs.contains(&preview), "[{l}] closed: {refs}");
        let out = git(
            &clone,
            &["fetch", "-q", "origin", &format!("+{preview}:closed")],
        )
        .await;
        assert!(
            !out.status.success(),
            "[{l}] fetched a closed request's preview"
        );
        let r = call(
            &server,
            "PATCH",
            &edit,
            ada_auth,
            Some(json!({"state": "open"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        ok(&git(
            &clone,
            &["fetch", "-q", "origin", &format!("+{preview}:reopened")],
        )
        .await);
        let rebased = ok(&git(&work, &["rev-parse", "feature"]).await)
            .trim()
            .to_owned();
        let parents = ok(&git(&clone, &["rev-list", "--parents", "-n", "1", "reopened"]).await);
        assert!(parents.contains(&rebased), "[{l}] reopened: {parents}");

        let r = call(
            &server,
            "POST",
            &format!("/api/v1/repos/ada/tool/pulls/{n}/merge"),
            Auth::Basic("ada", PASSWORD),
            Some(json!({"Do": "merge"})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let refs = ok(&git(&root, &["ls-remote", &anon]).await);
        assert!(!refs.contains(&preview), "[{l}] merged: {refs}");
    }
}
