//! Git over smart HTTP against the real server on a free port, with the stock git client,
//! on every database backend: clone, fetch, shallow and partial clones, pushes, access
//! control with passwords and tokens, and `git fsck --strict` after each.

mod gitsupport;

use gitsupport::{PASSWORD, Server, fsck, git, make_work_repo, ok, stderr};
use hatchery_store::testing::stores;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_then_clone_and_fetch_on_both_protocols() {
    for store in stores().await {
        let server = Server::start(store, |c| c.metrics.enabled = true).await;
        let ada = server.user("ada").await;
        server.repo(&ada, "engine", false).await;
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 12).await;
        let push_url = server.url("ada/engine.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &push_url, "main", "dev", "v1.0"]).await);

        // HEAD names the default branch after the first push.
        let heads = ok(&git(
            &root,
            &[
                "ls-remote",
                "--symref",
                &server.url("ada/engine", None),
                "HEAD",
            ],
        )
        .await);
        assert!(
            heads.contains("ref: refs/heads/main\tHEAD"),
            "[{}] {heads}",
            server.label()
        );

        for version in ["0", "2"] {
            let bare = root.join(format!("bare-v{version}.git"));
            ok(&git(
                &root,
                &[
                    "-c",
                    &format!("protocol.version={version}"),
                    "clone",
                    "-q",
                    "--bare",
                    &server.url("ada/engine.git", None),
                    bare.to_str().unwrap_or_default(),
                ],
            )
            .await);
            fsck(&bare).await;
            let refs = ok(&git(&bare, &["for-each-ref", "--format=%(refname)"]).await);
            assert!(
                refs.contains("refs/heads/dev") && refs.contains("refs/tags/v1.0"),
                "{refs}"
            );

            let clone = root.join(format!("clone-v{version}"));
            // Without the .git suffix too.
            ok(&git(
                &root,
                &[
                    "-c",
                    &format!("protocol.version={version}"),
                    "clone",
                    "-q",
                    &server.url("ada/engine", None),
                    clone.to_str().unwrap_or_default(),
                ],
            )
            .await);
            fsck(&clone).await;
            assert_eq!(
                std::fs::read_to_string(clone.join("file1.txt")).ok(),
                std::fs::read_to_string(work.join("file1.txt")).ok()
            );

            // Incremental fetch after new pushes.
            std::fs::write(work.join(format!("new-{version}.txt")), "new\n").unwrap_or_default();
            ok(&git(&work, &["add", "-A"]).await);
            ok(&git(&work, &["commit", "-q", "-m", "more"]).await);
            ok(&git(&work, &["push", "-q", &push_url, "main"]).await);
            ok(&git(
                &clone,
                &[
                    "-c",
                    &format!("protocol.version={version}"),
                    "pull",
                    "-q",
                    "--ff-only",
                ],
            )
            .await);
            assert!(clone.join(format!("new-{version}.txt")).exists());
            fsck(&clone).await;
        }
        // The push was recorded.
        let repo = server
            .state
            .store
            .repo_by_name("ada", "engine")
            .await
            .ok()
            .flatten()
            .expect("repo");
        assert!(repo.pushed_at.is_some());
        // The server's copy is sound, and upkeep (run after every push in the background;
        // here directly) writes a commit-graph that git itself accepts.
        let server_repo = server.dir.path().join("repositories/ada/engine.git");
        fsck(&server_repo).await;
        let forge_state = server.state.clone();
        let done = tokio::task::spawn_blocking(move || forge_state.forge.maintain_blocking(&repo))
            .await
            .expect("join")
            .expect("maintain");
        if done.ran {
            assert!(done.graph_commits >= 12, "{done:?}");
        }
        assert!(server_repo.join("objects/info/commit-graph").exists());
        ok(&git(&server_repo, &["commit-graph", "verify"]).await);
        // The clones stored their object list, which the upkeep keeps for the new refs.
        assert!(
            server_repo
                .join("objects/info/hatchery-full-clone")
                .exists()
        );

        // /metrics counted it all: two clones and one pull per protocol, three pushes.
        let text = reqwest::get(format!("http://{}/metrics", server.addr))
            .await
            .expect("scrape")
            .text()
            .await
            .expect("metrics text");
        let sample = |name: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
        };
        let label = server.label().to_owned();
        assert_eq!(
            sample("hatchery_git_operations_total{operation=\"clone\"}"),
            4.0,
            "[{label}]"
        );
        assert!(
            sample("hatchery_git_operations_total{operation=\"fetch\"}") >= 2.0,
            "[{label}]"
        );
        assert_eq!(
            sample("hatchery_git_operations_total{operation=\"push\"}"),
            3.0,
            "[{label}]"
        );
        assert!(
            sample("hatchery_git_sent_bytes_total{service=\"upload-pack\"}") > 1000.0,
            "[{label}]"
        );
        assert!(
            sample("hatchery_git_received_bytes_total{service=\"receive-pack\"}") > 1000.0,
            "[{label}]"
        );
        assert_eq!(
            sample("hatchery_git_operation_duration_seconds_count{operation=\"clone\"}"),
            4.0,
            "[{label}]"
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shallow_and_partial_clones() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let bo = server.user("bo").await;
        server.repo(&bo, "hist", false).await;
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 10).await;
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                &server.url("bo/hist.git", Some(("bo", PASSWORD))),
                "--all",
            ],
        )
        .await);
        let url = server.url("bo/hist.git", None);
        for version in ["0", "2"] {
            let v = format!("protocol.version={version}");
            let shallow = root.join(format!("shallow-{version}"));
            ok(&git(
                &root,
                &[
                    "-c",
                    &v,
                    "clone",
                    "-q",
                    "--depth",
                    "1",
                    &url,
                    shallow.to_str().unwrap_or_default(),
                ],
            )
            .await);
            assert_eq!(
                ok(&git(&shallow, &["rev-list", "--count", "HEAD"]).await).trim(),
                "1"
            );
            ok(&git(&shallow, &["-c", &v, "fetch", "-q", "--deepen=3"]).await);
            assert_eq!(
                ok(&git(&shallow, &["rev-list", "--count", "HEAD"]).await).trim(),
                "4"
            );
            ok(&git(
                &shallow,
                &["-c", &v, "fetch", "-q", "--shallow-since=2025-01-01"],
            )
            .await);
            fsck(&shallow).await;

            let partial = root.join(format!("partial-{version}"));
            ok(&git(
                &root,
                &[
                    "-c",
                    &v,
                    "clone",
                    "-q",
                    "--filter=blob:none",
                    &url,
                    partial.to_str().unwrap_or_default(),
                ],
            )
            .await);
            // Checking out an old commit fetches its blobs lazily.
            ok(&git(&partial, &["-c", &v, "checkout", "-q", "HEAD~5"]).await);
            assert!(partial.join("file0.txt").exists());
            fsck(&partial).await;
        }
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_delete_force_and_non_fast_forward() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let cy = server.user("cy").await;
        server.repo(&cy, "p", false).await;
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 4).await;
        let url = server.url("cy/p.git", Some(("cy", PASSWORD)));
        ok(&git(&work, &["push", "-q", &url, "main", "dev"]).await);

        // Delete a branch.
        ok(&git(&work, &["push", "-q", &url, ":dev"]).await);
        let refs = ok(&git(&root, &["ls-remote", &url]).await);
        assert!(!refs.contains("refs/heads/dev"), "{refs}");

        // Rewrite history: refused without force, accepted with it.
        ok(&git(&work, &["reset", "-q", "--hard", "HEAD~2"]).await);
        std::fs::write(work.join("other.txt"), "rewritten\n").unwrap_or_default();
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "rewrite"]).await);
        let refused = git(&work, &["push", &url, "main"]).await;
        assert!(!refused.status.success());
        assert!(
            stderr(&refused).contains("rejected"),
            "{}",
            stderr(&refused)
        );
        ok(&git(&work, &["push", "-q", "--force", &url, "main"]).await);
        let head = ok(&git(&work, &["rev-parse", "HEAD"]).await);
        let remote = ok(&git(&root, &["ls-remote", &url, "refs/heads/main"]).await);
        assert!(remote.starts_with(head.trim()), "{remote} vs {head}");

        let check = root.join("check.git");
        ok(&git(
            &root,
            &[
                "clone",
                "-q",
                "--bare",
                &url,
                check.to_str().unwrap_or_default(),
            ],
        )
        .await);
        fsck(&check).await;
        fsck(&server.dir.path().join("repositories/cy/p.git")).await;
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_push_of_another_branch_becomes_the_default() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let di = server.user("di").await;
        server.repo(&di, "t", false).await;
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 2).await;
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                &server.url("di/t.git", Some(("di", PASSWORD))),
                "main:trunk",
            ],
        )
        .await);
        let heads = ok(&git(
            &root,
            &[
                "ls-remote",
                "--symref",
                &server.url("di/t.git", None),
                "HEAD",
            ],
        )
        .await);
        assert!(heads.contains("ref: refs/heads/trunk\tHEAD"), "{heads}");
        // The stored default branch follows.
        let stored = server
            .state
            .store
            .repo_by_name("di", "t")
            .await
            .ok()
            .flatten()
            .map(|r| r.default_branch);
        assert_eq!(stored.as_deref(), Some("trunk"));
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_repositories_and_write_access() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let owner = server.user("owner").await;
        let reader = server.user("reader").await;
        let _stranger = server.user("stranger").await;
        let repo = server.repo(&owner, "secret", true).await;
        server
            .state
            .store
            .set_collaborator(repo.id, reader.id, hatchery_core::AccessLevel::Read)
            .await
            .expect("collaborator");
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 2).await;
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                &server.url("owner/secret.git", Some(("owner", PASSWORD))),
                "main",
            ],
        )
        .await);

        // Anonymous: the same answer as for a repository that does not exist.
        let hidden = git(&root, &["ls-remote", &server.url("owner/secret.git", None)]).await;
        let missing = git(
            &root,
            &["ls-remote", &server.url("owner/nothing.git", None)],
        )
        .await;
        assert!(!hidden.status.success() && !missing.status.success());
        assert_eq!(
            stderr(&hidden).replace("secret", "X"),
            stderr(&missing).replace("nothing", "X"),
            "[{}]",
            server.label()
        );

        // Signed in without access: also indistinguishable from missing.
        let hidden = git(
            &root,
            &[
                "ls-remote",
                &server.url("owner/secret.git", Some(("stranger", PASSWORD))),
            ],
        )
        .await;
        let missing = git(
            &root,
            &[
                "ls-remote",
                &server.url("owner/nothing.git", Some(("stranger", PASSWORD))),
            ],
        )
        .await;
        assert!(!hidden.status.success());
        assert_eq!(
            stderr(&hidden).replace("secret", "X"),
            stderr(&missing).replace("nothing", "X")
        );

        // Wrong password: refused.
        let wrong = git(
            &root,
            &[
                "ls-remote",
                &server.url("owner/secret.git", Some(("owner", "wrong-password"))),
            ],
        )
        .await;
        assert!(!wrong.status.success());

        // A reader clones but cannot push.
        let clone = root.join("reader-clone");
        ok(&git(
            &root,
            &[
                "clone",
                "-q",
                &server.url("owner/secret.git", Some(("reader", PASSWORD))),
                clone.to_str().unwrap_or_default(),
            ],
        )
        .await);
        let refused = git(&clone, &["push", "origin", "HEAD:refs/heads/reader"]).await;
        assert!(!refused.status.success());
        assert!(stderr(&refused).contains("403"), "{}", stderr(&refused));
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_with_scopes() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let eve = server.user("eve").await;
        server.repo(&eve, "code", true).await;
        let read = server
            .state
            .forge
            .create_token(eve.id, "read", &["read:repository".to_owned()])
            .await
            .expect("token");
        let write = server
            .state
            .forge
            .create_token(eve.id, "write", &["write:repository".to_owned()])
            .await
            .expect("token");
        let issues = server
            .state
            .forge
            .create_token(eve.id, "issues", &["read:issue".to_owned()])
            .await
            .expect("token");
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 2).await;

        let push = git(
            &work,
            &[
                "push",
                "-q",
                &server.url("eve/code.git", Some(("eve", &read.secret))),
                "main",
            ],
        )
        .await;
        assert!(!push.status.success(), "a read token cannot push");
        assert!(stderr(&push).contains("403"), "{}", stderr(&push));
        // Any user name goes with a token, as on other forges.
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                &server.url("eve/code.git", Some(("x-token", &write.secret))),
                "main",
            ],
        )
        .await);
        ok(&git(
            &root,
            &[
                "ls-remote",
                &server.url("eve/code.git", Some(("eve", &read.secret))),
            ],
        )
        .await);
        let denied = git(
            &root,
            &[
                "ls-remote",
                &server.url("eve/code.git", Some(("eve", &issues.secret))),
            ],
        )
        .await;
        assert!(
            !denied.status.success(),
            "a token without repository scope cannot read"
        );

        // Revoked: refused.
        server
            .state
            .store
            .delete_token(eve.id, write.token.id)
            .await
            .expect("revoke");
        let revoked = git(
            &work,
            &[
                "push",
                &server.url("eve/code.git", Some(("eve", &write.secret))),
                "main:other",
            ],
        )
        .await;
        assert!(!revoked.status.success());
        let used = server
            .state
            .store
            .tokens_of_user(eve.id)
            .await
            .expect("tokens");
        assert!(
            used.iter()
                .any(|t| t.name == "read" && t.last_used_at.is_some()),
            "last use recorded"
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_repositories_refuse_pushes_with_a_reason() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let fay = server.user("fay").await;
        let repo = server.repo(&fay, "retired", false).await;
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 2).await;
        let url = server.url("fay/retired.git", Some(("fay", PASSWORD)));
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        server
            .state
            .store
            .set_repo_read_only(repo.id, true)
            .await
            .expect("read-only");
        let refused = git(&work, &["push", &url, "main:next"]).await;
        assert!(!refused.status.success());
        assert!(
            stderr(&refused).contains("read-only"),
            "{}",
            stderr(&refused)
        );
        // Still readable.
        ok(&git(&root, &["ls-remote", &server.url("fay/retired.git", None)]).await);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_pushes_are_refused_and_leave_nothing_behind() {
    for store in stores().await {
        let server = Server::start(store, |c| c.max_push_bytes = 2_000).await;
        let gil = server.user("gil").await;
        server.repo(&gil, "small", false).await;
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 30).await;
        let refused = git(
            &work,
            &[
                "push",
                &server.url("gil/small.git", Some(("gil", PASSWORD))),
                "main",
            ],
        )
        .await;
        assert!(!refused.status.success());
        let refs = ok(&git(&root, &["ls-remote", &server.url("gil/small.git", None)]).await);
        assert!(refs.trim().is_empty(), "no ref moved: {refs}");
        let pack_dir = server
            .dir
            .path()
            .join("repositories/gil/small.git/objects/pack");
        let packs = std::fs::read_dir(&pack_dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(packs, 0, "no pack kept");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushes_to_one_branch_exactly_one_wins() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let hu = server.user("hu").await;
        server.repo(&hu, "race", false).await;
        let root = server.dir.path().to_path_buf();
        let url = server.url("hu/race.git", Some(("hu", PASSWORD)));
        let base = make_work_repo(&root, 2).await;
        ok(&git(&base, &["push", "-q", &url, "main"]).await);
        // Two clones each make a different commit on main and push at the same time.
        let mut clones = vec![];
        for i in 0..2 {
            let dir = root.join(format!("racer-{i}"));
            ok(&git(
                &root,
                &["clone", "-q", &url, dir.to_str().unwrap_or_default()],
            )
            .await);
            std::fs::write(dir.join(format!("racer-{i}.txt")), format!("{i}\n"))
                .unwrap_or_default();
            ok(&git(&dir, &["add", "-A"]).await);
            ok(&git(&dir, &["commit", "-q", "-m", &format!("racer {i}")]).await);
            clones.push(dir);
        }
        let (a, b) = tokio::join!(
            git(&clones[0], &["push", "origin", "main"]),
            git(&clones[1], &["push", "origin", "main"])
        );
        let wins = [&a, &b].iter().filter(|o| o.status.success()).count();
        assert_eq!(
            wins,
            1,
            "[{}] exactly one push wins:\n{}\n{}",
            server.label(),
            stderr(&a),
            stderr(&b)
        );
        let loser = if a.status.success() { &b } else { &a };
        let winner_dir = if a.status.success() {
            &clones[0]
        } else {
            &clones[1]
        };
        assert!(
            stderr(loser).contains("rejected") || stderr(loser).contains("failed"),
            "{}",
            stderr(loser)
        );
        // The acknowledged update is the one on the server.
        let head = ok(&git(winner_dir, &["rev-parse", "HEAD"]).await);
        let remote = ok(&git(&root, &["ls-remote", &url, "refs/heads/main"]).await);
        assert!(remote.starts_with(head.trim()), "{remote} vs {head}");
        fsck(&server.dir.path().join("repositories/hu/race.git")).await;
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_pushes_then_pack_merging_keep_the_repository_readable() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let ivy = server.user("ivy").await;
        let repo = server.repo(&ivy, "busy", false).await;
        let root = server.dir.path().to_path_buf();
        let url = server.url("ivy/busy.git", Some(("ivy", PASSWORD)));
        let work = make_work_repo(&root, 1).await;
        // Each push adds a pack; read in between so the server's cached handle has seen them.
        for i in 0..10 {
            std::fs::write(work.join(format!("push-{i}.txt")), format!("{i}\n"))
                .unwrap_or_default();
            ok(&git(&work, &["add", "-A"]).await);
            ok(&git(&work, &["commit", "-q", "-m", &format!("push {i}")]).await);
            ok(&git(&work, &["push", "-q", &url, "main"]).await);
            ok(&git(&root, &["ls-remote", &url]).await);
        }
        let server_repo = server.dir.path().join("repositories/ivy/busy.git");
        // Merge the packs (as the background upkeep does), then read through the same
        // cached handle: a clone must still find every object.
        let forge_state = server.state.clone();
        let r = repo.clone();
        tokio::task::spawn_blocking(move || forge_state.forge.maintain_blocking(&r))
            .await
            .expect("join")
            .expect("maintain");
        let packs = std::fs::read_dir(server_repo.join("objects/pack"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
                    .count()
            })
            .unwrap_or(0);
        assert!(packs < 8, "[{}] packs merged: {packs}", server.label());
        let clone = root.join("after-merge");
        ok(&git(
            &root,
            &["clone", "-q", &url, clone.to_str().unwrap_or_default()],
        )
        .await);
        assert!(clone.join("push-9.txt").exists());
        fsck(&clone).await;
        fsck(&server_repo).await;
        // And a push after the merge still works.
        std::fs::write(work.join("after.txt"), "after\n").unwrap_or_default();
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "after merge"]).await);
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        ok(&git(&clone, &["pull", "-q", "--ff-only"]).await);
        assert!(clone.join("after.txt").exists());
        server.stop().await;
    }
}
