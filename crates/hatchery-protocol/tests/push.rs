//! Pushes with real git: deletes, force pushes, rejections, races, limits, HEAD.

mod common;

use common::{Git, TestServer, make_history, noise};

fn ref_listing(git: &Git, dir: &std::path::Path, url: &str) -> String {
    git.run(dir, &["ls-remote", url])
}

fn push_scenarios(version: u8) {
    let server = TestServer::start_with(|s| s.protected = vec!["refs/heads/release".into()]);
    let git = Git::new(version);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 5);
    server.create_repo("p");
    let url = server.url("p");
    git.run(
        &src,
        &[
            "push",
            "-q",
            &url,
            "main",
            "feature",
            "v1.0",
            "main:refs/heads/release",
        ],
    );

    // Delete a branch.
    git.run(&src, &["push", "-q", &url, "--delete", "feature"]);
    assert!(!ref_listing(&git, &src, &url).contains("refs/heads/feature"));

    // Deleting the default branch is refused.
    let err = git.fail(&src, &["push", &url, "--delete", "main"]);
    assert!(
        err.contains("refusing to delete the current branch"),
        "{err}"
    );

    // Non-fast-forward is rejected by the client unless forced; force works.
    git.run(&src, &["reset", "-q", "--hard", "HEAD~2"]);
    git.commit(
        &src,
        &[("README.md", "rewritten\n")],
        "rewrite",
        1_650_000_000,
    );
    let err = git.fail(&src, &["push", &url, "main"]);
    assert!(
        err.contains("rejected") || err.contains("non-fast-forward"),
        "{err}"
    );
    git.run(&src, &["push", "-q", "--force", &url, "main"]);
    assert!(ref_listing(&git, &src, &url).starts_with(&git.rev(&src, "main")));
    git.fsck(&server.repo_path("p"));

    // The hook protects `release` from force pushes and deletion, with a readable reason.
    let err = git.fail(&src, &["push", "--force", &url, "main:release"]);
    assert!(
        err.contains("protected branch: force push is not allowed"),
        "{err}"
    );
    let err = git.fail(&src, &["push", &url, "--delete", "release"]);
    assert!(
        err.contains("protected branch: deletion is not allowed"),
        "{err}"
    );

    // Atomic push: one bad ref fails them all.
    git.run(&src, &["branch", "-f", "a1", "main"]);
    let err = git.fail(
        &src,
        &["push", "--atomic", "--force", &url, "a1", "main:release"],
    );
    assert!(err.contains("atomic") || err.contains("protected"), "{err}");
    assert!(!ref_listing(&git, &src, &url).contains("refs/heads/a1"));

    // Push options reach the server.
    git.run(&src, &["push", "-q", "-o", "ci.skip", &url, "a1"]);
    let pushes = server.state.pushes.lock().unwrap();
    assert_eq!(
        pushes.last().unwrap().push_options,
        vec!["ci.skip".to_owned()]
    );
    drop(pushes);

    // Tags: annotated tag pointing at an old commit, then deletion of a tag.
    git.run(&src, &["tag", "-a", "v2.0", "-m", "two", "HEAD~1"]);
    git.run(&src, &["push", "-q", &url, "v2.0"]);
    git.run(&src, &["push", "-q", &url, ":refs/tags/v1.0"]);
    let listing = ref_listing(&git, &src, &url);
    assert!(
        listing.contains("refs/tags/v2.0^{}") && !listing.contains("v1.0"),
        "{listing}"
    );

    // Clone what is there now and check both sides.
    let clone = work.path().join("clone");
    git.run(work.path(), &["clone", "-q", &url, clone.to_str().unwrap()]);
    git.fsck(&clone);
    git.fsck(&server.repo_path("p"));
}

#[test]
fn push_scenarios_v0() {
    push_scenarios(0);
}

#[test]
fn push_scenarios_v2() {
    push_scenarios(2);
}

#[test]
fn server_side_non_fast_forward_policy() {
    let server = TestServer::start_with(|s| s.receive_options.deny_non_fast_forwards = true);
    let git = Git::new(2);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 3);
    server.create_repo("p");
    let url = server.url("p");
    git.run(&src, &["push", "-q", &url, "main"]);
    let before = git.rev(&src, "main");
    git.run(&src, &["reset", "-q", "--hard", "HEAD~1"]);
    git.commit(&src, &[("x.txt", "x\n")], "diverge", 1_650_000_000);
    let err = git.fail(&src, &["push", "--force", &url, "main"]);
    assert!(err.contains("non-fast-forward"), "{err}");
    assert!(
        git.run(&src, &["ls-remote", &url, "main"])
            .starts_with(&before)
    );
    git.fsck(&server.repo_path("p"));
}

#[test]
fn first_push_of_other_branch_sets_head() {
    let server = TestServer::start();
    let git = Git::new(0);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 2);
    let repo = server.create_repo("p");
    let url = server.url("p");
    git.run(&src, &["push", "-q", &url, "main:trunk"]);
    assert_eq!(repo.head().unwrap().branch(), Some("refs/heads/trunk"));
    let clone = work.path().join("clone");
    git.run(work.path(), &["clone", "-q", &url, clone.to_str().unwrap()]);
    assert_eq!(
        git.run(&clone, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/trunk"
    );
    let pushes = server.state.pushes.lock().unwrap();
    assert_eq!(
        pushes.last().unwrap().head_set_to.as_deref(),
        Some("refs/heads/trunk")
    );
}

#[test]
fn concurrent_pushes_to_one_branch() {
    let server = TestServer::start();
    let git = Git::new(0);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 3);
    server.create_repo("p");
    let url = server.url("p");
    git.run(&src, &["push", "-q", &url, "main"]);
    let base = git.rev(&src, "main");

    for round in 0..3u64 {
        let mut clones = Vec::new();
        for i in 0..2u64 {
            let c = work.path().join(format!("c{round}-{i}"));
            git.run(work.path(), &["clone", "-q", &url, c.to_str().unwrap()]);
            git.commit(
                &c,
                &[(&format!("f{round}-{i}.txt"), &noise(round * 10 + i, 500))],
                &format!("client {round} {i}"),
                1_700_000_000 + (round * 10 + i) as i64,
            );
            clones.push(c);
        }
        let results: Vec<(bool, String)> = std::thread::scope(|s| {
            let handles: Vec<_> = clones
                .iter()
                .map(|c| {
                    let git = &git;
                    let url = &url;
                    s.spawn(move || {
                        // Traced, so a push that fails the wrong way (CI once saw only
                        // "the remote end hung up unexpectedly") shows the HTTP exchange.
                        let trace = c.with_extension("trace");
                        let out = git
                            .cmd(c)
                            .env("GIT_TRACE_PACKET", &trace)
                            .env("GIT_TRACE_CURL", &trace)
                            .env("GIT_TRACE_CURL_NO_DATA", "1")
                            .args(["push", url, "main"])
                            .output()
                            .expect("spawn git");
                        let mut stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                        if !out.status.success()
                            && !stderr.contains("rejected")
                            && !stderr.contains("fetch first")
                        {
                            stderr.push_str("\n--- trace ---\n");
                            stderr.push_str(&std::fs::read_to_string(&trace).unwrap_or_default());
                        }
                        (out.status.success(), stderr)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = (0..2).filter(|&i| results[i].0).collect();
        assert_eq!(winners.len(), 1, "exactly one push wins: {results:?}");
        let loser = 1 - winners[0];
        assert!(
            results[loser].1.contains("rejected") || results[loser].1.contains("fetch first"),
            "{}\n--- pushes the server saw ---\n{:?}",
            results[loser].1,
            server.state.pushes.lock().unwrap()
        );
        let remote = git.run(&src, &["ls-remote", &url, "refs/heads/main"]);
        assert!(
            remote.starts_with(&git.rev(&clones[winners[0]], "main")),
            "{remote}"
        );
        git.fsck(&server.repo_path("p"));
        let _ = &base;
    }
}

#[test]
fn pack_size_limit() {
    let server = TestServer::start_with(|s| s.receive_options.max_pack_bytes = Some(20_000));
    let git = Git::new(0);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 2);
    server.create_repo("p");
    let url = server.url("p");
    git.run(&src, &["push", "-q", &url, "main"]);
    git.commit(
        &src,
        &[("big.bin", &noise(7, 200_000))],
        "big",
        1_700_000_000,
    );
    let err = git.fail(&src, &["push", &url, "main"]);
    assert!(err.contains("maximum allowed size"), "{err}");
    let incoming: Vec<_> = std::fs::read_dir(server.repo_path("p").join("objects"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("incoming-"))
        .collect();
    assert!(incoming.is_empty(), "quarantine removed");
    git.fsck(&server.repo_path("p"));
}

#[test]
fn consolidation_after_many_pushes() {
    let server = TestServer::start();
    let git = Git::new(2);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 2);
    let repo = server.create_repo("p");
    let url = server.url("p");
    git.run(&src, &["push", "-q", &url, "main"]);
    for i in 0..5 {
        git.commit(
            &src,
            &[("README.md", &noise(i, 2000))],
            &format!("c{i}"),
            1_700_000_000 + i as i64,
        );
        git.run(&src, &["push", "-q", &url, "main"]);
    }
    assert_eq!(repo.pack_count().unwrap(), 6);
    let outcome = repo
        .consolidate_packs(&hatchery_protocol::git::ConsolidateOptions::default())
        .unwrap();
    assert_eq!(outcome.packs_merged, 6, "{outcome:?}");
    assert_eq!(repo.pack_count().unwrap(), 1);
    git.fsck(&server.repo_path("p"));
    let clone = work.path().join("clone");
    git.run(work.path(), &["clone", "-q", &url, clone.to_str().unwrap()]);
    git.fsck(&clone);
    assert_eq!(git.rev(&clone, "HEAD"), git.rev(&src, "main"));
    // Deltas were kept: the merged pack is no bigger than what git would keep.
    assert!(outcome.pack_bytes < 60_000, "{outcome:?}");
}
