//! Real git against the server: push a new repository, clone, incremental fetch.

mod common;

use common::{Git, TestServer, make_history};

fn push_clone_fetch(version: u8) {
    let server = TestServer::start();
    let git = Git::new(version);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 8);
    server.create_repo("project");
    let url = server.url("project");

    // Push a new repository with branches and an annotated tag.
    git.run(&src, &["push", &url, "main", "feature", "v1.0"]);
    git.fsck(&server.repo_path("project"));
    let remote = git.run(&src, &["ls-remote", &url]);
    assert!(remote.contains("refs/heads/main"), "{remote}");
    assert!(remote.contains("refs/heads/feature"), "{remote}");
    assert!(remote.contains("refs/tags/v1.0^{}"), "{remote}");
    assert!(
        remote.starts_with(&git.rev(&src, "main")),
        "HEAD first: {remote}"
    );

    // Clone, non-bare and bare.
    let clone = work.path().join("clone");
    git.run(work.path(), &["clone", "-q", &url, clone.to_str().unwrap()]);
    assert_eq!(git.rev(&clone, "HEAD"), git.rev(&src, "main"));
    assert_eq!(git.rev(&clone, "v1.0"), git.rev(&src, "v1.0"));
    assert_eq!(git.rev(&clone, "origin/feature"), git.rev(&src, "feature"));
    git.fsck(&clone);
    let full = server.last_upload().unwrap().pack.unwrap();
    let bare = work.path().join("bare.git");
    git.run(
        work.path(),
        &["clone", "-q", "--bare", &url, bare.to_str().unwrap()],
    );
    git.fsck(&bare);
    assert_eq!(git.rev(&bare, "refs/tags/v1.0"), git.rev(&src, "v1.0"));
    // The first full clone stored its object list; the second (same refs) was sent from it,
    // the same pack.
    let list = server
        .repo_path("project")
        .join("objects/info/hatchery-full-clone");
    assert!(list.exists());
    let second = server.last_upload().unwrap().pack.unwrap();
    assert_eq!((second.objects, second.bytes), (full.objects, full.bytes));

    // Incremental fetch after new pushes: only what is new is sent.
    for i in 0..3 {
        git.commit(
            &src,
            &[("src/mod1/new.txt", &format!("new content {i}\n"))],
            &format!("new {i}"),
            1_700_000_000 + i,
        );
    }
    git.run(&src, &["push", &url, "main"]);
    git.run(&clone, &["fetch", "-q", "origin"]);
    assert_eq!(git.rev(&clone, "origin/main"), git.rev(&src, "main"));
    git.fsck(&clone);
    let incremental = server.last_upload().unwrap().pack.unwrap();
    // 3 commits, 3 root trees, 3 src trees, 3 src/mod1 trees, 3 blobs.
    assert!(incremental.objects <= 15, "{incremental:?}");
    assert!(incremental.bytes < 4096, "{incremental:?} vs full {full:?}");
    assert!(
        incremental.bytes * 4 < full.bytes,
        "{incremental:?} vs full {full:?}"
    );

    // Fetch when up to date sends nothing.
    git.run(&clone, &["fetch", "-q", "origin"]);
    git.fsck(&server.repo_path("project"));

    // After the push a full clone wants other tips: it walks again and gets the new commits.
    let after = work.path().join("after.git");
    git.run(
        work.path(),
        &["clone", "-q", "--bare", &url, after.to_str().unwrap()],
    );
    git.fsck(&after);
    assert_eq!(git.rev(&after, "main"), git.rev(&src, "main"));
    let grown = server.last_upload().unwrap().pack.unwrap();
    assert_eq!(grown.objects, full.objects + incremental.objects);
}

#[test]
fn push_clone_fetch_v0() {
    push_clone_fetch(0);
}

#[test]
fn push_clone_fetch_v2() {
    push_clone_fetch(2);
}

/// A clone with many local commits the server does not know: the client sends many haves
/// (gzip-encoded, over several stateless rounds) and still gets a small pack.
fn negotiation_with_unknown_haves(version: u8) {
    let server = TestServer::start();
    let git = Git::new(version);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 4);
    server.create_repo("p");
    let url = server.url("p");
    git.run(&src, &["push", "-q", &url, "main"]);
    let clone = work.path().join("clone");
    git.run(work.path(), &["clone", "-q", &url, clone.to_str().unwrap()]);
    for i in 0..60 {
        git.commit(
            &clone,
            &[("local.txt", &format!("local {i}\n"))],
            &format!("local {i}"),
            1_650_000_000 + i,
        );
    }
    git.commit(
        &src,
        &[("README.md", "upstream change\n")],
        "upstream",
        1_700_000_000,
    );
    git.run(&src, &["push", "-q", &url, "main"]);
    git.run(&clone, &["fetch", "-q", "origin"]);
    assert_eq!(git.rev(&clone, "origin/main"), git.rev(&src, "main"));
    git.fsck(&clone);
    let pack = server.last_upload().unwrap().pack.unwrap();
    assert!(pack.objects <= 3, "{pack:?}");
    if version == 0 {
        assert!(
            server
                .state
                .gzip_requests
                .load(std::sync::atomic::Ordering::Relaxed)
                > 0,
            "git gzips large v0 requests"
        );
    }
}

#[test]
fn negotiation_with_unknown_haves_v0() {
    negotiation_with_unknown_haves(0);
}

#[test]
fn negotiation_with_unknown_haves_v2() {
    negotiation_with_unknown_haves(2);
}
