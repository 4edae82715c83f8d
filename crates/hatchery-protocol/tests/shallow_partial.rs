//! Shallow clones (depth, deepen, shallow-since) and partial clones (filters) with real git.

mod common;

use common::{Git, TestServer, make_history};

fn count(git: &Git, dir: &std::path::Path) -> usize {
    git.run(dir, &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

fn shallow(version: u8) {
    let server = TestServer::start();
    let git = Git::new(version);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    let times = make_history(&git, &src, 10);
    server.create_repo("p");
    let url = server.url("p");
    git.run(&src, &["push", "-q", &url, "main", "feature", "v1.0"]);

    let clone = work.path().join("clone");
    git.run(
        work.path(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    assert_eq!(count(&git, &clone), 1);
    assert!(clone.join(".git/shallow").is_file());
    git.fsck(&clone);

    git.run(&clone, &["fetch", "-q", "--deepen=1"]);
    assert_eq!(count(&git, &clone), 2);
    git.fsck(&clone);

    git.run(&clone, &["fetch", "-q", "--depth=4"]);
    assert_eq!(count(&git, &clone), 4);
    git.fsck(&clone);

    // Everything from the 7th commit on (times are one day apart).
    let since = times[6].to_string();
    git.run(
        &clone,
        &["fetch", "-q", &format!("--shallow-since={since}")],
    );
    assert_eq!(count(&git, &clone), 4);
    let since = times[3].to_string();
    git.run(
        &clone,
        &["fetch", "-q", &format!("--shallow-since={since}")],
    );
    assert_eq!(count(&git, &clone), 7);
    git.fsck(&clone);

    // deepen-not: history down to (excluding) the feature branch point.
    let clone2 = work.path().join("clone2");
    git.run(
        work.path(),
        &[
            "clone",
            "-q",
            "--shallow-exclude=feature",
            "--single-branch",
            "-b",
            "main",
            &url,
            clone2.to_str().unwrap(),
        ],
    );
    assert_eq!(count(&git, &clone2), 4);
    git.fsck(&clone2);

    // New commits upstream, then fetch into the shallow clone.
    git.commit(
        &src,
        &[("README.md", "new upstream\n")],
        "upstream",
        1_700_000_000,
    );
    git.run(&src, &["push", "-q", &url, "main"]);
    git.run(&clone, &["pull", "-q", "--ff-only"]);
    assert_eq!(count(&git, &clone), 8);
    git.fsck(&clone);

    git.run(&clone, &["fetch", "-q", "--unshallow"]);
    assert_eq!(count(&git, &clone), 11);
    assert!(!clone.join(".git/shallow").exists());
    git.fsck(&clone);
}

#[test]
fn shallow_v0() {
    shallow(0);
}

#[test]
fn shallow_v2() {
    shallow(2);
}

fn partial(version: u8) {
    let server = TestServer::start();
    let git = Git::new(version);
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    make_history(&git, &src, 6);
    server.create_repo("p");
    let url = server.url("p");
    git.run(&src, &["push", "-q", &url, "main", "v1.0"]);
    let old = git.rev(&src, "main~4");
    let old_readme = git.run(&src, &["show", &format!("{old}:README.md")]);

    let clone = work.path().join("clone");
    git.run(
        work.path(),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            "--no-checkout",
            &url,
            clone.to_str().unwrap(),
        ],
    );
    let pack = server.uploads().iter().rev().find_map(|u| u.pack).unwrap();
    assert_eq!(
        pack.objects,
        6 + 6 * 4 + 1 - count_blobs_and_dup_trees(),
        "{pack:?}"
    );
    // Checking out triggers lazy fetches of the blobs.
    git.run(&clone, &["checkout", "-q", "main"]);
    git.run(&clone, &["checkout", "-q", &old]);
    assert_eq!(
        std::fs::read_to_string(clone.join("README.md")).unwrap(),
        old_readme
    );
    git.fsck(&clone);

    // tree:0 gives commits only; blob:limit keeps small blobs.
    let c2 = work.path().join("c2");
    git.run(
        work.path(),
        &[
            "clone",
            "-q",
            "--filter=tree:0",
            "--no-checkout",
            &url,
            c2.to_str().unwrap(),
        ],
    );
    let pack = server.uploads().iter().rev().find_map(|u| u.pack).unwrap();
    assert_eq!(pack.objects, 6 + 1, "commits and the tag only: {pack:?}");
    git.run(&c2, &["checkout", "-q", "main"]);
    git.fsck(&c2);

    let c3 = work.path().join("c3");
    git.run(
        work.path(),
        &[
            "clone",
            "-q",
            "--filter=blob:limit=100",
            &url,
            c3.to_str().unwrap(),
        ],
    );
    git.fsck(&c3);
    assert_eq!(git.rev(&c3, "HEAD"), git.rev(&src, "main"));
}

/// Trees are shared between commits when unchanged; computed from the fixture's layout:
/// each commit changes README.md and one file under src/modX, so each commit has a new
/// root tree, src tree and src/modX tree; docs/ is shared.
fn count_blobs_and_dup_trees() -> usize {
    // 6 commits * (root, src, src/modX) = 18 trees, plus docs = 19; the formula above
    // counted 6*4 = 24, so subtract the 5 docs duplicates.
    5
}

#[test]
fn partial_clone_v0() {
    partial(0);
}

#[test]
fn partial_clone_v2() {
    partial(2);
}
