//! Code review end to end, with the stock git client and the REST API against the real
//! server, on every database backend: CODEOWNERS on the base branch asks the owners of
//! changed files for review when a request opens; a protected branch with one required
//! approval refuses the merge until a writer approves (a reader's approval does not
//! count); a new push with `dismiss_stale_approvals` dismisses the approval (the merge is
//! refused again) and marks comments on changed lines outdated, not those on unchanged
//! ones; a fresh approval lets the merge through.

mod apisupport;
mod gitsupport;

use std::path::{Path, PathBuf};

use apisupport::{Auth, call};
use gitsupport::{PASSWORD, Server, git, ok};
use hatchery_core::AccessLevel;
use hatchery_store::testing::stores;
use serde_json::json;

async fn work_repo(root: &Path) -> PathBuf {
    let work = root.join("work");
    std::fs::create_dir_all(work.join("src")).expect("mkdir");
    ok(&git(&work, &["init", "-q", "-b", "main"]).await);
    std::fs::write(work.join("README.md"), "tool\n").expect("write");
    std::fs::write(work.join("src/lib.rs"), "fn a() {}\nfn b() {}\n").expect("write");
    std::fs::create_dir_all(work.join(".gitea")).expect("mkdir");
    std::fs::write(
        work.join(".gitea/CODEOWNERS"),
        "# owners\n*.md @eve\n/src/ @carol @ada\n",
    )
    .expect("write");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(&work, &["commit", "-q", "-m", "Initial commit"]).await);
    work
}

async fn change(work: &Path, text: &str, message: &str) -> String {
    std::fs::write(work.join("src/lib.rs"), text).expect("write");
    ok(&git(work, &["commit", "-q", "-am", message]).await);
    ok(&git(work, &["rev-parse", "HEAD"]).await)
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_gate_merges_and_new_pushes_make_them_stale() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let carol = server.user("carol").await;
        server.user("eve").await;
        let repo = server.repo(&ada, "tool", false).await;
        let s = &server.state.store;
        for u in [&bob, &carol] {
            s.set_collaborator(repo.id, u.id, AccessLevel::Write)
                .await
                .expect("collaborator");
        }
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root).await;
        let remote = server.url("ada/tool.git", Some(("bob", PASSWORD)));
        ok(&git(&work, &["push", "-q", &remote, "main"]).await);
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/branch_protections",
            Auth::Basic("ada", PASSWORD),
            Some(json!({"rule_name": "main", "required_approvals": 1,
                "dismiss_stale_approvals": true})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);

        ok(&git(&work, &["checkout", "-q", "-b", "feature"]).await);
        let first = change(&work, "fn a() {}\nfn b() { 1 }\nfn c() {}\n", "b and c").await;
        ok(&git(&work, &["push", "-q", &remote, "feature"]).await);
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/pulls",
            Auth::Basic("bob", PASSWORD),
            Some(json!({"base": "main", "head": "feature", "title": "Add c"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let pull = s
            .issue_by_number(repo.id, 1)
            .await
            .expect("issue")
            .expect("exists");

        // CODEOWNERS (.gitea/CODEOWNERS on main): src/ is carol's and ada's; README is
        // eve's but unchanged.
        let mut asked: Vec<String> = s
            .review_requests(pull.id)
            .await
            .expect("requests")
            .iter()
            .map(|q| {
                assert!(q.from_codeowners, "[{l}]");
                q.user.as_ref().expect("user").name.clone()
            })
            .collect();
        asked.sort();
        assert_eq!(asked, vec!["ada", "carol"], "[{l}]");

        let merge = "/api/v1/repos/ada/tool/pulls/1/merge";
        let reviews = "/api/v1/repos/ada/tool/pulls/1/reviews";
        let try_merge = || async {
            call(
                &server,
                "POST",
                merge,
                Auth::Basic("ada", PASSWORD),
                Some(json!({"Do": "merge"})),
            )
            .await
        };
        let r = try_merge().await;
        assert_eq!(r.status, 405, "[{l}] {}", r.text);
        assert!(r.text.contains("Approvals"), "[{l}] {}", r.text);

        // A reader's approval does not count.
        let r = call(
            &server,
            "POST",
            reviews,
            Auth::Basic("eve", PASSWORD),
            Some(json!({"event": "APPROVED"})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["official"], false, "[{l}]");
        assert_eq!(try_merge().await.status, 405, "[{l}]");

        // carol comments on lines 1 and 2 and approves: the merge may go.
        let r = call(
            &server,
            "POST",
            reviews,
            Auth::Basic("carol", PASSWORD),
            Some(json!({"event": "APPROVED", "body": "LGTM", "comments": [
                {"path": "src/lib.rs", "body": "fine", "new_position": 1},
                {"path": "src/lib.rs", "body": "why 1?", "new_position": 2}]})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["commit_id"], first.as_str(), "[{l}]");
        let approval = r.json["id"].as_i64().expect("id");
        assert!(
            s.review_requests(pull.id)
                .await
                .expect("requests")
                .iter()
                .all(|q| q.user.as_ref().map(|p| p.name.as_str()) != Some("carol")),
            "[{l}] the review fulfilled carol's request"
        );

        // Threads: the author answers carol's comment on line 2 (a one-comment review,
        // submitted at once) and resolves the thread; a reader may not; it reopens.
        let forge = &server.state.forge;
        let as_user = |id| hatchery_core::Actor::User {
            id,
            site_admin: false,
        };
        let bob_view = forge
            .repo_view_of(as_user(bob.id), repo.clone())
            .await
            .expect("view");
        let (issue, pr) = forge.pull(&bob_view, 1).await.expect("pull");
        let line2 = s
            .review_comments(approval)
            .await
            .expect("comments")
            .into_iter()
            .find(|c| c.line == 2)
            .expect("line 2");
        let reply = forge
            .reply_to_thread(&bob_view, &issue, &pr, line2.id, "It is 1 for now")
            .await
            .expect("reply");
        assert_eq!(reply.reply_to, Some(line2.id), "[{l}]");
        assert_eq!(
            (reply.path.as_str(), reply.line),
            ("src/lib.rs", 2),
            "[{l}]"
        );
        assert_eq!(
            reply.review_state,
            hatchery_core::reviews::ReviewState::Comment,
            "[{l}]"
        );
        // Answering the answer joins the same thread.
        let again = forge
            .reply_to_thread(&bob_view, &issue, &pr, reply.id, "Really")
            .await
            .expect("reply");
        assert_eq!(again.reply_to, Some(line2.id), "[{l}]");
        let eve = s.user_by_name("eve").await.unwrap().unwrap();
        let eve_view = forge
            .repo_view_of(as_user(eve.id), repo.clone())
            .await
            .expect("view");
        assert!(
            forge
                .resolve_thread(&eve_view, &issue, reply.id, true)
                .await
                .is_err(),
            "[{l}] readers do not resolve"
        );
        assert!(
            forge
                .resolve_thread(&bob_view, &issue, reply.id, true)
                .await
                .expect("resolve"),
            "[{l}]"
        );
        let root = s.review_comment(line2.id).await.unwrap().unwrap();
        assert_eq!(
            root.resolved_by.map(|p| p.name),
            Some("bob".to_owned()),
            "[{l}]"
        );
        assert!(
            forge
                .resolve_thread(&bob_view, &issue, line2.id, false)
                .await
                .expect("unresolve"),
            "[{l}]"
        );
        // The replies changed no verdict: carol's approval still counts (eve's stands too,
        // without write access).
        let (approvals, _) = forge.review_facts(&repo, issue.id).await.expect("facts");
        assert_eq!(
            approvals
                .iter()
                .map(|a| (a.reviewer_id, a.reviewer_can_write))
                .collect::<Vec<_>>(),
            vec![(eve.id, false), (carol.id, true)],
            "[{l}]"
        );

        // bob pushes again, changing line 2 only: the approval is dismissed, the merge is
        // refused again, and the comment on line 2 is outdated.
        let second = change(&work, "fn a() {}\nfn b() { 2 }\nfn c() {}\n", "b is 2").await;
        ok(&git(&work, &["push", "-q", &remote, "feature"]).await);
        let r = call(
            &server,
            "GET",
            &format!("{reviews}/{approval}"),
            Auth::None,
            None,
        )
        .await;
        assert_eq!(r.json["dismissed"], true, "[{l}] {}", r.text);
        assert_eq!(r.json["stale"], true, "[{l}]");
        let r = try_merge().await;
        assert_eq!(r.status, 405, "[{l}] {}", r.text);
        let r = call(
            &server,
            "GET",
            &format!("{reviews}/{approval}/comments"),
            Auth::None,
            None,
        )
        .await;
        let outdated: Vec<(i64, bool)> = r
            .json
            .as_array()
            .expect("comments")
            .iter()
            .map(|c| {
                (
                    c["position"].as_i64().unwrap(),
                    c["outdated"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(outdated, vec![(1, false), (2, true)], "[{l}]");
        assert_eq!(r.json[0]["commit_id"], second.as_str(), "[{l}]");
        assert_eq!(r.json[0]["original_commit_id"], first.as_str(), "[{l}]");

        // A fresh approval by a writer on the new head lets the merge through.
        let r = call(
            &server,
            "POST",
            reviews,
            Auth::Basic("carol", PASSWORD),
            Some(json!({"event": "APPROVED"})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["commit_id"], second.as_str(), "[{l}]");
        let r = try_merge().await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        server.stop().await;
    }
}
