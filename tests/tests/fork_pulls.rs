//! Pull requests from forks end to end, with the stock git client and the REST API against
//! the real server, on every database backend: a contributor without write access forks
//! (the parent's `fork` hook hears it), pushes a branch to the fork, opens a request into
//! the parent with `head: "owner:branch"`, pushes again (the request and the parent's
//! `refs/pull/N/head` follow), and the owner merges it; `git fsck --strict` is clean on the
//! parent. Deleting a fork closes its open requests with a note and leaves them readable.
//! In a private network the requests follow the parent's rules.

mod apisupport;
mod gitsupport;

use std::path::{Path, PathBuf};

use apisupport::{Auth, call, get};
use gitsupport::{PASSWORD, Server, fsck, git, ok};
use hatchery_core::AccessLevel;
use hatchery_core::issues::EventKind;
use hatchery_store::testing::stores;
use hatchery_store::{HEAD_DELETED, HookOwner, NewWebhook};
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

async fn rev(dir: &Path, what: &str) -> String {
    ok(&git(dir, &["rev-parse", what]).await).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contributor_without_write_access_merges_through_a_fork() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        server.user("bob").await;
        server.user("eve").await;
        let repo = server.repo(&ada, "tool", false).await;
        let hook = server
            .state
            .store
            .create_webhook(NewWebhook {
                owner: HookOwner::Repo(repo.id),
                url: "http://127.0.0.1:9/fork-hook",
                content_type: "json",
                secret: "",
                events: &["fork".to_owned()],
                branch_filter: "",
                authorization_header: "",
                is_active: true,
            })
            .await
            .expect("hook");
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let parent_url = server.url("ada/tool.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &parent_url, "main"]).await);

        // Bob (a reader only) cannot push to the parent; he forks it.
        let bob = Auth::Basic("bob", PASSWORD);
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            bob,
            Some(json!({})),
        )
        .await;
        assert_eq!(r.status, 202, "[{l}] {}", r.text);
        let (deliveries, _) = server
            .state
            .store
            .deliveries_of_hook(hook.id, 0, 20)
            .await
            .expect("deliveries");
        assert_eq!(deliveries.len(), 1, "[{l}] one fork event");
        assert_eq!(deliveries[0].event, "fork", "[{l}]");
        let full = server
            .state
            .store
            .delivery(hook.id, deliveries[0].id)
            .await
            .expect("delivery")
            .expect("exists");
        let payload: serde_json::Value = serde_json::from_str(&full.payload).expect("json");
        assert_eq!(payload["forkee"]["full_name"], "ada/tool", "[{l}]");
        assert_eq!(payload["repository"]["full_name"], "bob/tool", "[{l}]");
        assert_eq!(payload["repository"]["fork"], true, "[{l}]");
        assert_eq!(payload["sender"]["login"], "bob", "[{l}]");

        let fork_url = server.url("bob/tool.git", Some(("bob", PASSWORD)));
        let denied = git(
            &work,
            &["push", "-q", &fork_url.replace("bob/", "ada/"), "main:x"],
        )
        .await;
        assert!(
            !denied.status.success(),
            "[{l}] bob may not push to ada/tool"
        );
        ok(&git(&work, &["checkout", "-q", "-b", "feature"]).await);
        let first = commit(&work, "parser.rs", "fn parse() {}").await;
        ok(&git(&work, &["push", "-q", &fork_url, "feature"]).await);

        // The form's head choices: the parent's branches, then the fork's as owner:branch.
        let bob_actor = hatchery_core::Actor::User {
            id: server
                .state
                .store
                .user_by_name("bob")
                .await
                .unwrap()
                .unwrap()
                .id,
            site_admin: false,
        };
        let choices = server
            .state
            .forge
            .pull_head_choices(bob_actor, &repo)
            .await
            .expect("choices");
        assert_eq!(choices, vec!["main", "bob:feature", "bob:main"], "[{l}]");

        // Bad heads are refused clearly: a branch the fork lacks, an owner with no fork,
        // a repository outside the network.
        let api = "/api/v1/repos/ada/tool/pulls";
        server.repo(&server.user("carl").await, "tool", false).await;
        for head in ["bob:nope", "eve:feature", "carl:feature", "carl/tool:main"] {
            let r = call(
                &server,
                "POST",
                api,
                bob,
                Some(json!({"base": "main", "head": head, "title": "x"})),
            )
            .await;
            assert_eq!(r.status, 422, "[{l}] {head}: {}", r.text);
            assert!(r.text.contains("head"), "[{l}] {}", r.text);
        }

        // The request: head "bob:feature", in Gitea's shape.
        let r = call(
            &server,
            "POST",
            api,
            bob,
            Some(json!({"base": "main", "head": "bob:feature", "title": "A parser"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let n = r.json["number"].as_i64().unwrap();
        assert_eq!(r.json["head"]["sha"], first.as_str(), "[{l}]");
        assert_eq!(r.json["head"]["ref"], "feature", "[{l}]");
        assert_eq!(r.json["head"]["repo"]["full_name"], "bob/tool", "[{l}]");
        assert_eq!(r.json["base"]["repo"]["full_name"], "ada/tool", "[{l}]");
        let again = call(
            &server,
            "POST",
            api,
            bob,
            Some(json!({"base": "main", "head": "bob/tool:feature", "title": "again"})),
        )
        .await;
        assert_eq!(
            again.status, 409,
            "[{l}] one open request per head and base"
        );

        // The parent serves refs/pull/N/head with the fork's commit.
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
        let pull_ref = format!("+refs/pull/{n}/head:pr");
        ok(&git(&clone, &["fetch", "-q", "origin", &pull_ref]).await);
        assert_eq!(rev(&clone, "pr").await, first, "[{l}]");

        // Bob pushes again to his fork: the request follows.
        commit(&work, "parser.rs", "fn parse_more() {}").await;
        let third = commit(&work, "parser.rs", "fn parse_all() {}").await;
        ok(&git(&work, &["push", "-q", &fork_url, "feature"]).await);
        let r = get(&server, &format!("{api}/{n}"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(
            r.json["head"]["sha"],
            third.as_str(),
            "[{l}] the head followed"
        );
        ok(&git(&clone, &["fetch", "-q", "origin", &pull_ref]).await);
        assert_eq!(rev(&clone, "pr").await, third, "[{l}]");
        let issue = server
            .state
            .store
            .issue_by_number(repo.id, n)
            .await
            .unwrap()
            .unwrap();
        let events = server.state.store.issue_events(issue.id).await.unwrap();
        assert_eq!(events.len(), 1, "[{l}]");
        assert_eq!(events[0].kind, EventKind::Pushed, "[{l}]");
        assert_eq!(events[0].value.as_deref(), Some("2"), "[{l}]");
        let r = get(&server, &format!("{api}/{n}/files"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json[0]["filename"], "parser.rs", "[{l}]");

        // The request's page names the fork's branch without linking into the parent.
        let page = get(&server, &format!("/ada/tool/pulls/{n}"), Auth::None).await;
        assert_eq!(page.status, 200, "[{l}]");
        assert!(
            page.text.contains(">bob:feature</code>"),
            "[{l}] owner:branch"
        );
        assert!(!page.text.contains("/ada/tool/tree/feature"), "[{l}]");

        // Bob may not merge; Ada does, and the parent is whole.
        let merge = format!("{api}/{n}/merge");
        let r = call(&server, "POST", &merge, bob, Some(json!({"Do": "merge"}))).await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = call(
            &server,
            "POST",
            &merge,
            Auth::Basic("ada", PASSWORD),
            Some(json!({"Do": "merge", "head_commit_id": third})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let r = get(&server, &format!("{api}/{n}"), Auth::None).await;
        assert_eq!(r.json["merged"], true, "[{l}]");
        let parent_dir = server.dir.path().join("repositories/ada/tool.git");
        fsck(&parent_dir).await;
        ok(&git(&clone, &["pull", "-q", "origin", "main"]).await);
        let log = ok(&git(&clone, &["log", "--format=%s", "-1"]).await);
        assert!(log.contains("from bob:feature"), "[{l}] {log}");
        assert!(
            std::fs::read_to_string(clone.join("parser.rs"))
                .unwrap()
                .contains("fn parse_all()"),
            "[{l}]"
        );

        // Another request, then Bob deletes his fork: the request closes with a note and
        // stays readable (its commits are in the parent).
        ok(&git(&work, &["checkout", "-q", "-b", "second", "main"]).await);
        let lexer = commit(&work, "lexer.rs", "fn lex() {}").await;
        ok(&git(&work, &["push", "-q", &fork_url, "second"]).await);
        let r = call(
            &server,
            "POST",
            api,
            bob,
            Some(json!({"base": "main", "head": "bob:second", "title": "A lexer"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let m = r.json["number"].as_i64().unwrap();
        let r = call(&server, "DELETE", "/api/v1/repos/bob/tool", bob, None).await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);
        let r = get(&server, &format!("{api}/{m}"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["state"], "closed", "[{l}]");
        assert_eq!(r.json["merged"], false, "[{l}]");
        assert_eq!(r.json["head"]["sha"], lexer.as_str(), "[{l}]");
        let r = get(&server, &format!("{api}/{m}/files"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json[0]["filename"], "lexer.rs", "[{l}]");
        let issue = server
            .state
            .store
            .issue_by_number(repo.id, m)
            .await
            .unwrap()
            .unwrap();
        let events = server.state.store.issue_events(issue.id).await.unwrap();
        let closed = events.last().expect("an event");
        assert_eq!(closed.kind, EventKind::Closed, "[{l}]");
        assert_eq!(closed.value.as_deref(), Some(HEAD_DELETED), "[{l}]");
        ok(&git(
            &clone,
            &[
                "fetch",
                "-q",
                "origin",
                &format!("+refs/pull/{m}/head:gone"),
            ],
        )
        .await);
        assert_eq!(rev(&clone, "gone").await, lexer, "[{l}]");
        fsck(&parent_dir).await;
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_from_private_forks_follow_the_parents_rules() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let carol = server.user("carol").await;
        server.user("eve").await;
        let repo = server.repo(&ada, "secret", true).await;
        for (user, level) in [(&bob, AccessLevel::Read), (&carol, AccessLevel::Read)] {
            server
                .state
                .store
                .set_collaborator(repo.id, user.id, level)
                .await
                .expect("collaborator");
        }
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                &server.url("ada/secret.git", Some(("ada", PASSWORD))),
                "main",
            ],
        )
        .await);
        let bob_auth = Auth::Basic("bob", PASSWORD);
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/secret/forks",
            bob_auth,
            Some(json!({})),
        )
        .await;
        assert_eq!(r.status, 202, "[{l}] {}", r.text);
        assert_eq!(r.json["private"], true, "[{l}]");
        // Eve cannot fork what she cannot read: 404 like a missing repository.
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/secret/forks",
            Auth::Basic("eve", PASSWORD),
            Some(json!({})),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}]");
        ok(&git(&work, &["checkout", "-q", "-b", "feature"]).await);
        commit(&work, "a.txt", "a").await;
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                &server.url("bob/secret.git", Some(("bob", PASSWORD))),
                "feature",
            ],
        )
        .await);

        // Carol reads the parent, not Bob's private fork: she cannot open a request from
        // it, and its forks list hides it.
        let api = "/api/v1/repos/ada/secret/pulls";
        let carol_auth = Auth::Basic("carol", PASSWORD);
        let r = call(
            &server,
            "POST",
            api,
            carol_auth,
            Some(json!({"base": "main", "head": "bob:feature", "title": "x"})),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/repos/ada/secret/forks", carol_auth).await;
        assert_eq!(r.status, 200, "[{l}]");
        assert_eq!(r.json.as_array().unwrap().len(), 0, "[{l}] {}", r.text);
        assert_eq!(r.header("x-total-count"), "0", "[{l}]");

        let carol_actor = hatchery_core::Actor::User {
            id: carol.id,
            site_admin: false,
        };
        let choices = server
            .state
            .forge
            .pull_head_choices(carol_actor, &repo)
            .await
            .expect("choices");
        assert_eq!(
            choices,
            vec!["main"],
            "[{l}] Bob's private fork is not offered"
        );

        // Bob opens one; readers of the parent see it, Eve gets 404 on every route.
        let r = call(
            &server,
            "POST",
            api,
            bob_auth,
            Some(json!({"base": "main", "head": "bob:feature", "title": "Secret work"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let n = r.json["number"].as_i64().unwrap();
        let r = get(&server, &format!("{api}/{n}"), carol_auth).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        // Carol cannot read Bob's fork: the request does not show it.
        assert_eq!(r.json["head"]["repo"], serde_json::Value::Null, "[{l}]");
        assert!(!r.text.contains("bob/secret"), "[{l}] {}", r.text);
        let r = get(&server, &format!("{api}/{n}"), bob_auth).await;
        assert_eq!(r.json["head"]["repo"]["full_name"], "bob/secret", "[{l}]");
        let eve = Auth::Basic("eve", PASSWORD);
        for path in [
            format!("{api}/{n}"),
            format!("{api}/{n}/files"),
            api.to_owned(),
            "/api/v1/repos/ada/secret/forks".to_owned(),
            "/api/v1/repos/bob/secret".to_owned(),
        ] {
            let r = get(&server, &path, eve).await;
            assert_eq!(r.status, 404, "[{l}] {path}");
            assert!(
                !r.text.contains("Secret work") && !r.text.contains("feature"),
                "[{l}] {path}"
            );
        }
        server.stop().await;
    }
}

/// Issue 11's whole flow at once: `main` is protected (no direct pushes, one approval from
/// a writer, the `ci/build` status required). A contributor who may only read forks, and
/// for each of the four merge styles pushes a branch to the fork and opens a request
/// through the API in Gitea's shape; the merge is refused until the owner approves (with a
/// line comment) and CI reports success through the statuses API, then it goes through
/// in that style, and `git fsck --strict` is clean on the parent after each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fork_requests_merge_in_every_style_on_a_protected_branch() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        server.user("bob").await;
        server.repo(&ada, "tool", false).await;
        let root = server.dir.path().to_path_buf();
        let parent_dir = root.join("repositories/ada/tool.git");
        let work = work_repo(&root, "work").await;
        let parent_url = server.url("ada/tool.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &parent_url, "main"]).await);
        let as_ada = Auth::Basic("ada", PASSWORD);
        let as_bob = Auth::Basic("bob", PASSWORD);

        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/branch_protections",
            as_ada,
            Some(json!({
                "rule_name": "main", "enable_push": false, "required_approvals": 1,
                "enable_status_check": true, "status_check_contexts": ["ci/build"],
            })),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        // Not even the owner pushes to main now.
        commit(&work, "direct.txt", "straight to main").await;
        let denied = git(&work, &["push", "-q", &parent_url, "main"]).await;
        assert!(!denied.status.success(), "[{l}] a direct push went through");
        ok(&git(&work, &["reset", "-q", "--hard", "HEAD~1"]).await);

        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/forks",
            as_bob,
            Some(json!({})),
        )
        .await;
        assert_eq!(r.status, 202, "[{l}] {}", r.text);
        let fork_url = server.url("bob/tool.git", Some(("bob", PASSWORD)));

        for (i, style) in ["merge", "squash", "rebase", "fast-forward-only"]
            .iter()
            .enumerate()
        {
            // Bob starts from the parent's main as it is now.
            ok(&git(&work, &["fetch", "-q", &parent_url, "main"]).await);
            let branch = format!("change-{i}");
            ok(&git(&work, &["checkout", "-q", "-B", &branch, "FETCH_HEAD"]).await);
            let file = format!("f{i}.txt");
            commit(&work, &file, "first line").await;
            let head = commit(&work, &file, "second line").await;
            ok(&git(&work, &["push", "-q", "-f", &fork_url, &branch]).await);
            let r = call(
                &server,
                "POST",
                "/api/v1/repos/ada/tool/pulls",
                as_bob,
                Some(json!({"base": "main", "head": format!("bob:{branch}"),
                            "title": format!("Change {i}"), "body": "Please review."})),
            )
            .await;
            assert_eq!(r.status, 201, "[{l}] {style}: {}", r.text);
            let n = r.json["number"].as_i64().expect("number");
            let pull = format!("/api/v1/repos/ada/tool/pulls/{n}");
            let merge = json!({"Do": style, "head_commit_id": head});
            let r = call(
                &server,
                "POST",
                &format!("{pull}/merge"),
                as_ada,
                Some(merge.clone()),
            )
            .await;
            assert_eq!(r.status, 405, "[{l}] {style}: no approval yet: {}", r.text);

            let r = call(
                &server,
                "POST",
                &format!("{pull}/reviews"),
                as_ada,
                Some(json!({"event": "APPROVED", "body": "Thanks!", "comments": [
                    {"path": file, "body": "Good first line.", "new_position": 1}]})),
            )
            .await;
            assert_eq!(r.status, 200, "[{l}] {style}: {}", r.text);
            let r = call(
                &server,
                "POST",
                &format!("{pull}/merge"),
                as_ada,
                Some(merge.clone()),
            )
            .await;
            assert_eq!(
                r.status, 405,
                "[{l}] {style}: CI has not reported: {}",
                r.text
            );

            let r = call(
                &server,
                "POST",
                &format!("/api/v1/repos/ada/tool/statuses/{head}"),
                as_ada,
                Some(json!({"state": "success", "context": "ci/build", "description": "green"})),
            )
            .await;
            assert_eq!(r.status, 201, "[{l}] {style}: {}", r.text);
            let r = get(
                &server,
                &format!("/api/v1/repos/ada/tool/commits/{head}/status"),
                Auth::None,
            )
            .await;
            assert_eq!(r.json["state"], "success", "[{l}] {style}");

            let r = call(
                &server,
                "POST",
                &format!("{pull}/merge"),
                as_ada,
                Some(merge),
            )
            .await;
            assert_eq!(r.status, 200, "[{l}] {style}: {}", r.text);
            let r = get(&server, &format!("{pull}/merge"), Auth::None).await;
            assert_eq!(r.status, 204, "[{l}] {style}: merged");
            fsck(&parent_dir).await;
            let main = ok(&git(&parent_dir, &["show", &format!("main:{file}")]).await);
            assert_eq!(main, "first line\nsecond line\n", "[{l}] {style}");
        }
        let log = ok(&git(&parent_dir, &["log", "--format=%s", "main"]).await);
        assert!(!log.contains("straight to main"), "[{l}] {log}");
    }
}
