//! Protected branches and commit statuses end to end, with the stock git client and the
//! REST API against the real server, on every database backend: force pushes, deletions
//! and pushes by writers who are not listed are refused with the rule named in git's
//! output and the ref left alone; listed users push; the DCO and linear-history rules read
//! the pushed commits; statuses posted through the API combine; and what a merge still
//! needs comes from the rule, the statuses and the reviews given.

mod apisupport;
mod gitsupport;

use std::path::{Path, PathBuf};

use apisupport::{Auth, call, get};
use gitsupport::{PASSWORD, Server, git, ok, stderr};
use hatchery_core::protection::{ReviewFact, Unmet};
use hatchery_core::statuses::CommitState;
use hatchery_core::{AccessLevel, Actor};
use hatchery_service::protection::MergeRequest;
use hatchery_store::testing::stores;
use hatchery_store::{HookOwner, NewWebhook, Repo};
use serde_json::json;

const SIGNOFF: &str = "Signed-off-by: Test Author <author@example.org>";

async fn work_repo(root: &Path, name: &str) -> PathBuf {
    let work = root.join(name);
    std::fs::create_dir_all(&work).expect("mkdir");
    ok(&git(&work, &["init", "-q", "-b", "main"]).await);
    std::fs::write(work.join("README.md"), "tool\n").expect("write");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(
        &work,
        &["commit", "-q", "-m", "Initial commit", "-m", SIGNOFF],
    )
    .await);
    work
}

/// Commits a change to `file` with `message` (paragraphs) and returns its id.
async fn commit(work: &Path, file: &str, message: &[&str]) -> String {
    let previous = std::fs::read_to_string(work.join(file)).unwrap_or_default();
    std::fs::write(work.join(file), format!("{previous}{}\n", message[0])).expect("write");
    ok(&git(work, &["add", "-A"]).await);
    let mut args = vec!["commit", "-q"];
    for m in message {
        args.push("-m");
        args.push(m);
    }
    ok(&git(work, &args).await);
    head(work).await
}

async fn head(work: &Path) -> String {
    ok(&git(work, &["rev-parse", "HEAD"]).await)
        .trim()
        .to_owned()
}

/// The server's value of `refs/heads/<branch>`.
async fn server_ref(server: &Server, repo: &Repo, branch: &str) -> Option<String> {
    let git = server.state.forge.open_git_blocking(repo).expect("open");
    git.find_ref(&format!("refs/heads/{branch}"))
        .expect("ref")
        .map(|o| o.to_string())
}

#[track_caller]
fn refused(out: &std::process::Output, label: &str, needles: &[&str]) {
    assert!(!out.status.success(), "[{label}] push should fail");
    let err = stderr(out);
    for n in needles {
        assert!(
            err.contains(n),
            "[{label}] expected {n:?} in git's stderr:\n{err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_branches_refuse_pushes_by_rule() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let cy = server.user("cy").await;
        let eve = server.user("eve").await;
        let repo = server.repo(&ada, "tool", false).await;
        for (u, level) in [
            (&bob, AccessLevel::Write),
            (&cy, AccessLevel::Write),
            (&eve, AccessLevel::Read),
        ] {
            server
                .state
                .store
                .set_collaborator(repo.id, u.id, level)
                .await
                .expect("collaborator");
        }
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let as_ada = server.url("ada/tool.git", Some(("ada", PASSWORD)));
        let as_bob = server.url("ada/tool.git", Some(("bob", PASSWORD)));
        let as_cy = server.url("ada/tool.git", Some(("cy", PASSWORD)));
        ok(&git(&work, &["push", "-q", &as_ada, "main"]).await);
        let api = "/api/v1/repos/ada/tool/branch_protections";

        // Only the repository's administrators manage rules.
        let body = json!({
            "rule_name": "main",
            "enable_push": true,
            "enable_push_whitelist": true,
            "push_whitelist_usernames": ["cy"],
        });
        let r = call(
            &server,
            "POST",
            api,
            Auth::Basic("bob", PASSWORD),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] writer creating a rule: {}", r.text);
        let r = get(&server, api, Auth::Basic("eve", PASSWORD)).await;
        assert_eq!(r.status, 403, "[{l}] reader listing rules");
        let r = get(&server, api, Auth::None).await;
        assert_eq!(r.status, 401, "[{l}] anonymous listing rules");
        let r = call(
            &server,
            "POST",
            api,
            Auth::Basic("ada", PASSWORD),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(r.json["rule_name"], "main");
        assert_eq!(r.json["push_whitelist_usernames"], json!(["cy"]));
        assert_eq!(r.json["enable_force_push"], false);
        assert_eq!(r.json["block_admin_merge_override"], true);
        let r = call(
            &server,
            "POST",
            api,
            Auth::Basic("ada", PASSWORD),
            Some(body),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] same name twice: {}", r.text);
        let r = call(
            &server,
            "POST",
            api,
            Auth::Basic("ada", PASSWORD),
            Some(json!({"rule_name": "a b"})),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] bad rule name");
        let r = call(
            &server,
            "POST",
            api,
            Auth::Basic("ada", PASSWORD),
            Some(json!({"rule_name": "x", "push_whitelist_usernames": ["nobody-here"]})),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] unknown user");

        // A writer who is not listed: refused, the rule named, the ref unchanged.
        let before = server_ref(&server, &repo, "main").await;
        commit(&work, "a.txt", &["Change a", SIGNOFF]).await;
        let out = git(&work, &["push", &as_bob, "main"]).await;
        refused(
            &out,
            &l,
            &["protected branch rule \"main\"", "not allowed to push"],
        );
        assert_eq!(server_ref(&server, &repo, "main").await, before, "[{l}]");
        // A listed user pushes the same commit.
        ok(&git(&work, &["push", "-q", &as_cy, "main"]).await);
        assert_eq!(
            server_ref(&server, &repo, "main").await,
            Some(head(&work).await),
            "[{l}]"
        );

        // Force pushes are refused, even for the listed user.
        let pushed = head(&work).await;
        ok(&git(&work, &["reset", "-q", "--hard", "HEAD~1"]).await);
        commit(&work, "b.txt", &["Rewrite", SIGNOFF]).await;
        let out = git(&work, &["push", "--force", &as_cy, "main"]).await;
        refused(
            &out,
            &l,
            &[
                "protected branch rule \"main\"",
                "force pushes are not allowed",
            ],
        );
        assert_eq!(
            server_ref(&server, &repo, "main").await,
            Some(pushed.clone())
        );
        ok(&git(&work, &["reset", "-q", "--hard", &pushed]).await);

        // A glob rule: anyone with write may push, nobody may delete.
        let r = call(
            &server,
            "POST",
            api,
            Auth::Basic("ada", PASSWORD),
            Some(json!({"rule_name": "release/*", "enable_push": true})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        ok(&git(&work, &["push", "-q", &as_bob, "main:release/1.0"]).await);
        let out = git(&work, &["push", &as_bob, ":release/1.0"]).await;
        refused(
            &out,
            &l,
            &["protected branch rule \"release/*\"", "may not be deleted"],
        );
        assert!(
            server_ref(&server, &repo, "release/1.0").await.is_some(),
            "[{l}]"
        );
        // An unprotected branch is deleted as usual.
        ok(&git(&work, &["push", "-q", &as_bob, "main:feature"]).await);
        ok(&git(&work, &["push", "-q", &as_bob, ":feature"]).await);
        assert!(
            server_ref(&server, &repo, "feature").await.is_none(),
            "[{l}]"
        );

        // DCO: a commit without its author's Signed-off-by is refused; with it, accepted.
        let one = format!("{api}/main");
        let r = call(
            &server,
            "PATCH",
            &one,
            Auth::Basic("ada", PASSWORD),
            Some(json!({"require_signoff": true})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["require_signoff"], true);
        assert_eq!(
            r.json["push_whitelist_usernames"],
            json!(["cy"]),
            "[{l}] kept"
        );
        let unsigned = commit(&work, "c.txt", &["No trailer"]).await;
        commit(&work, "c.txt", &["Signed, but after", SIGNOFF]).await;
        let out = git(&work, &["push", &as_cy, "main"]).await;
        refused(
            &out,
            &l,
            &["protected branch rule \"main\"", &unsigned, "Signed-off-by"],
        );
        assert_eq!(
            server_ref(&server, &repo, "main").await,
            Some(pushed.clone())
        );
        ok(&git(&work, &["reset", "-q", "--hard", &pushed]).await);
        commit(&work, "c.txt", &["Signed", SIGNOFF]).await;
        ok(&git(&work, &["push", "-q", &as_cy, "main"]).await);

        // Linear history: a merge commit is refused.
        let r = call(
            &server,
            "PATCH",
            &one,
            Auth::Basic("ada", PASSWORD),
            Some(json!({"require_linear_history": true, "require_signoff": false})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let base = head(&work).await;
        ok(&git(&work, &["checkout", "-q", "-b", "side"]).await);
        commit(&work, "side.txt", &["Side"]).await;
        ok(&git(&work, &["checkout", "-q", "main"]).await);
        commit(&work, "main.txt", &["Main"]).await;
        ok(&git(
            &work,
            &["merge", "-q", "--no-ff", "-m", "Merge side", "side"],
        )
        .await);
        let merge = head(&work).await;
        let out = git(&work, &["push", &as_cy, "main"]).await;
        refused(
            &out,
            &l,
            &["protected branch rule \"main\"", &merge, "merge commit"],
        );
        assert_eq!(server_ref(&server, &repo, "main").await, Some(base.clone()));
        // Rebased instead: accepted.
        ok(&git(&work, &["reset", "-q", "--hard", "HEAD~1"]).await);
        ok(&git(&work, &["cherry-pick", "side"]).await);
        ok(&git(&work, &["push", "-q", &as_cy, "main"]).await);

        // Deleting a rule lifts it.
        let r = call(&server, "DELETE", &one, Auth::Basic("bob", PASSWORD), None).await;
        assert_eq!(r.status, 403, "[{l}]");
        let r = call(&server, "DELETE", &one, Auth::Basic("ada", PASSWORD), None).await;
        assert_eq!(r.status, 204, "[{l}]");
        let r = get(&server, &one, Auth::Basic("ada", PASSWORD)).await;
        assert_eq!(r.status, 404, "[{l}]");
        commit(&work, "d.txt", &["After the rule"]).await;
        ok(&git(&work, &["push", "-q", &as_bob, "main"]).await);
        let listed = get(&server, api, Auth::Basic("ada", PASSWORD)).await;
        assert_eq!(listed.json.as_array().map(Vec::len), Some(1), "[{l}]");
        assert_eq!(listed.json[0]["rule_name"], "release/*");
        let by_name = get(
            &server,
            &format!("{api}/release%2F%2A"),
            Auth::Basic("ada", PASSWORD),
        )
        .await;
        assert_eq!(by_name.status, 200, "[{l}] {}", by_name.text);

        // A private repository's rules are invisible to outsiders.
        let secret = server.repo(&ada, "secret", true).await;
        let _ = secret;
        let r = get(
            &server,
            "/api/v1/repos/ada/secret/branch_protections",
            Auth::Basic("eve", PASSWORD),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}]");
        let r = get(
            &server,
            "/api/v1/repos/ada/nothing/branch_protections",
            Auth::Basic("eve", PASSWORD),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}]");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_combine_and_feed_merge_requirements() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let eve = server.user("eve").await;
        let repo = server.repo(&ada, "tool", false).await;
        server
            .state
            .store
            .set_collaborator(repo.id, bob.id, AccessLevel::Write)
            .await
            .expect("collaborator");
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let as_ada = server.url("ada/tool.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &as_ada, "main"]).await);
        let sha = head(&work).await;
        let post = format!("/api/v1/repos/ada/tool/statuses/{sha}");
        let hook = server
            .state
            .store
            .create_webhook(NewWebhook {
                owner: HookOwner::Repo(repo.id),
                url: "http://127.0.0.1:9/ci-hook",
                content_type: "json",
                secret: "",
                events: &["status".to_owned()],
                branch_filter: "",
                authorization_header: "",
                is_active: true,
            })
            .await
            .expect("hook");

        let report = |state: &str, context: &str| json!({"state": state, "context": context, "description": "CI", "target_url": "https://ci.example/run/1"});
        // Readers may not report; bad input is a 422.
        let r = call(
            &server,
            "POST",
            &post,
            Auth::Basic("eve", PASSWORD),
            Some(report("success", "ci/build")),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = call(
            &server,
            "POST",
            &post,
            Auth::None,
            Some(report("success", "ci/build")),
        )
        .await;
        assert_eq!(r.status, 401, "[{l}]");
        let r = call(
            &server,
            "POST",
            &post,
            Auth::Basic("bob", PASSWORD),
            Some(report("done", "ci/build")),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] bad state");
        let r = call(
            &server,
            "POST",
            &post,
            Auth::Basic("bob", PASSWORD),
            Some(json!({"state": "success", "target_url": "javascript:alert(1)"})),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] bad target url");
        let r = call(
            &server,
            "POST",
            &format!("/api/v1/repos/ada/tool/statuses/{}", "0".repeat(40)),
            Auth::Basic("bob", PASSWORD),
            Some(report("success", "ci/build")),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] unknown commit");

        for (state, context) in [
            ("pending", "ci/build"),
            ("success", "ci/build"),
            ("failure", "lint"),
        ] {
            let r = call(
                &server,
                "POST",
                &post,
                Auth::Basic("bob", PASSWORD),
                Some(report(state, context)),
            )
            .await;
            assert_eq!(r.status, 201, "[{l}] {}", r.text);
            assert_eq!(r.json["status"], state);
            assert_eq!(r.json["context"], context);
            assert_eq!(r.json["creator"]["login"], "bob");
        }
        // Each accepted report was queued for the `status` webhooks, in Gitea's shape.
        let (deliveries, total) = server
            .state
            .store
            .deliveries_of_hook(hook.id, 0, 10)
            .await
            .expect("deliveries");
        assert_eq!(total, 3, "[{l}] refused reports send nothing");
        assert!(deliveries.iter().all(|d| d.event == "status"), "[{l}]");
        let newest = server
            .state
            .store
            .delivery(hook.id, deliveries[0].id)
            .await
            .expect("delivery")
            .expect("exists");
        let payload: serde_json::Value = serde_json::from_str(&newest.payload).expect("json");
        assert_eq!(payload["state"], "failure", "[{l}]");
        assert_eq!(payload["context"], "lint");
        assert_eq!(payload["sha"], sha.as_str());
        assert_eq!(payload["commit"]["id"], sha.as_str());
        assert_eq!(payload["target_url"], "https://ci.example/run/1");
        assert_eq!(payload["repository"]["full_name"], "ada/tool");
        assert_eq!(payload["sender"]["login"], "bob");

        // Combined: the latest per context, the worst wins; readable by readers.
        let combined = get(
            &server,
            "/api/v1/repos/ada/tool/commits/main/status",
            Auth::Basic("eve", PASSWORD),
        )
        .await;
        assert_eq!(combined.status, 200, "[{l}] {}", combined.text);
        assert_eq!(combined.json["state"], "failure", "[{l}]");
        assert_eq!(combined.json["sha"], sha.as_str());
        assert_eq!(combined.json["total_count"], 2);
        assert_eq!(combined.json["statuses"][0]["context"], "ci/build");
        assert_eq!(combined.json["statuses"][0]["status"], "success");
        assert_eq!(combined.json["repository"]["full_name"], "ada/tool");
        let history = get(
            &server,
            &format!("/api/v1/repos/ada/tool/statuses/{sha}"),
            Auth::None,
        )
        .await;
        assert_eq!(history.status, 200, "[{l}]");
        assert_eq!(history.json.as_array().map(Vec::len), Some(3), "[{l}]");
        assert_eq!(history.header("x-total-count"), "3");
        let by_ref = get(
            &server,
            "/api/v1/repos/ada/tool/commits/main/statuses?limit=1",
            Auth::None,
        )
        .await;
        assert_eq!(by_ref.json.as_array().map(Vec::len), Some(1), "[{l}]");
        assert_eq!(by_ref.json[0]["context"], "lint", "[{l}] newest first");
        let none = get(
            &server,
            "/api/v1/repos/ada/tool/commits/no-such-branch/status",
            Auth::None,
        )
        .await;
        assert_eq!(none.status, 404, "[{l}]");
        let empty = get(
            &server,
            &format!("/api/v1/repos/ada/tool/statuses/{}", "0".repeat(40)),
            Auth::None,
        )
        .await;
        assert_eq!(empty.json, json!([]), "[{l}]");
        // A private repository's statuses are invisible to outsiders.
        server.repo(&ada, "secret", true).await;
        let r = get(
            &server,
            "/api/v1/repos/ada/secret/commits/main/status",
            Auth::Basic("eve", PASSWORD),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}]");

        // What merging into main would need.
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/branch_protections",
            Auth::Basic("ada", PASSWORD),
            Some(json!({
                "rule_name": "main", "enable_push": true, "enable_status_check": true,
                "status_check_contexts": ["ci/*", "lint"], "required_approvals": 1,
                "dismiss_stale_approvals": true,
            })),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let oid = sha.parse().expect("oid");
        let bob_actor = Actor::User {
            id: bob.id,
            site_admin: false,
        };
        let approvals = [ReviewFact {
            reviewer_id: ada.id,
            commit_id: "f".repeat(40),
            reviewer_can_write: true,
        }];
        let request = MergeRequest {
            base_branch: "main",
            head: oid,
            approvals: &approvals,
            rejections: &[],
            creates_merge_commit: false,
        };
        let unmet = server
            .state
            .forge
            .merge_requirements(&repo, bob_actor, request)
            .await
            .expect("requirements");
        assert_eq!(
            unmet,
            vec![
                Unmet::Approvals {
                    required: 1,
                    have: 0
                },
                Unmet::StatusCheck {
                    context: "lint".into(),
                    state: Some(CommitState::Failure)
                },
            ],
            "[{l}] the approval is stale"
        );
        let r = call(
            &server,
            "POST",
            &post,
            Auth::Basic("bob", PASSWORD),
            Some(report("success", "lint")),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}]");
        let fresh = [ReviewFact {
            reviewer_id: ada.id,
            commit_id: sha.clone(),
            reviewer_can_write: true,
        }];
        let unmet = server
            .state
            .forge
            .merge_requirements(
                &repo,
                bob_actor,
                MergeRequest {
                    approvals: &fresh,
                    ..request
                },
            )
            .await
            .expect("requirements");
        assert_eq!(unmet, vec![], "[{l}]");
        let eve_actor = Actor::User {
            id: eve.id,
            site_admin: false,
        };
        let unmet = server
            .state
            .forge
            .merge_requirements(
                &repo,
                eve_actor,
                MergeRequest {
                    approvals: &fresh,
                    ..request
                },
            )
            .await
            .expect("requirements");
        assert_eq!(unmet, vec![Unmet::NotAllowedToMerge], "[{l}] a reader");
        // Unprotected branches need nothing.
        let unmet = server
            .state
            .forge
            .merge_requirements(
                &repo,
                bob_actor,
                MergeRequest {
                    base_branch: "dev",
                    ..request
                },
            )
            .await
            .expect("requirements");
        assert!(unmet.is_empty(), "[{l}]");
        server.stop().await;
    }
}
