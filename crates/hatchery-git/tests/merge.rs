//! Merges, rebases, forks and transfers, checked against the git CLI as an oracle.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hatchery_git::{
    MergeError, MergeSpec, MergeStyle, Mergeability, Oid, Repository, Signature, UpdateSpec,
};

fn git_output(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "Contributor")
        .env("GIT_AUTHOR_EMAIL", "contrib@example.com")
        .env("GIT_COMMITTER_NAME", "Contributor")
        .env("GIT_COMMITTER_EMAIL", "contrib@example.com")
        .args(args)
        .output()
        .unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn oid(dir: &Path, rev: &str) -> Oid {
    git(dir, &["rev-parse", rev]).parse().unwrap()
}

fn write(dir: &Path, path: &str, content: &[u8]) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

fn lines(n: usize, tag: &str) -> String {
    (0..n).map(|i| format!("line {i} {tag}\n")).collect()
}

/// A work tree with `main` and `feature` diverged: renames, binary files, a merge in
/// feature's history, and disjoint edits (a clean merge).
struct Fixture {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    repo: Repository,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("w");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write(&work, "a.txt", lines(40, "a").as_bytes());
    write(&work, "b.txt", lines(40, "b").as_bytes());
    write(&work, "dir/old-name.txt", lines(30, "renamed").as_bytes());
    write(&work, "logo.bin", &[0, 1, 2, 3, 255, 0, 7]);
    commit_all(&work, "initial");
    git(&work, &["checkout", "-q", "-b", "feature"]);
    let mut a = lines(40, "a");
    a = a.replace("line 5 a", "line 5 feature");
    write(&work, "a.txt", a.as_bytes());
    commit_all(&work, "feature: edit a");
    git(&work, &["mv", "dir/old-name.txt", "dir/new-name.txt"]);
    write(&work, "new.bin", &[9, 0, 9, 0, 200]);
    commit_all(&work, "feature: rename and a binary file");
    git(&work, &["checkout", "-q", "-b", "side", "HEAD~1"]);
    write(&work, "side.txt", b"side\n");
    commit_all(&work, "side work");
    git(&work, &["checkout", "-q", "feature"]);
    git(&work, &["merge", "-q", "--no-edit", "side"]);
    write(&work, "c.txt", b"feature file\n");
    commit_all(&work, "feature: add c");
    git(&work, &["checkout", "-q", "main"]);
    let b = lines(40, "b").replace("line 30 b", "line 30 main");
    write(&work, "b.txt", b.as_bytes());
    let renamed = lines(30, "renamed").replace("line 2 renamed", "line 2 main");
    write(&work, "dir/old-name.txt", renamed.as_bytes());
    commit_all(&work, "main: edit b and the file feature renames");
    let repo = Repository::open(&work.join(".git")).unwrap();
    Fixture {
        _tmp: tmp,
        work,
        repo,
    }
}

fn who(name: &str) -> Signature {
    Signature {
        name: name.into(),
        email: format!("{}@example.com", name.to_lowercase()),
        time: 1_700_000_000,
        offset_seconds: 0,
    }
}

fn spec(f: &Fixture, style: MergeStyle) -> MergeSpec {
    MergeSpec {
        base_ref: "refs/heads/main".into(),
        expected_base_oid: oid(&f.work, "main"),
        head_oid: oid(&f.work, "feature"),
        style,
        message: "Merge pull request #1".into(),
        author: who("Author"),
        committer: who("Merger"),
    }
}

fn fsck(dir: &Path) {
    git(dir, &["fsck", "--strict", "--no-progress", "--no-dangling"]);
}

fn merge_tree_oracle(dir: &Path, base: &str, head: &str) -> (bool, Vec<String>) {
    let out = git_output(
        dir,
        &["merge-tree", "--write-tree", "--name-only", base, head],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut parts = text.split("\n\n");
    let mut head_lines = parts.next().unwrap_or("").lines().map(str::to_owned);
    let tree = head_lines.next().unwrap();
    let paths: Vec<String> = head_lines.collect();
    if out.status.success() {
        (true, vec![tree])
    } else {
        (false, paths)
    }
}

#[test]
fn clean_merge_tree_equals_git_merge_tree() {
    let f = fixture();
    let (clean, tree) = merge_tree_oracle(&f.work, "main", "feature");
    assert!(clean);
    let before = git(&f.work, &["count-objects"]);
    let m = f
        .repo
        .mergeability(oid(&f.work, "main"), oid(&f.work, "feature"))
        .unwrap();
    assert_eq!(
        m,
        Mergeability::Clean {
            tree: tree[0].parse().unwrap(),
            fast_forward: false
        }
    );
    // Mergeability writes nothing.
    assert_eq!(git(&f.work, &["count-objects"]), before);
}

#[test]
fn merge_styles_write_what_git_would_and_fsck_is_clean() {
    for style in [MergeStyle::Merge, MergeStyle::Squash, MergeStyle::Rebase] {
        let f = fixture();
        let (_, tree) = merge_tree_oracle(&f.work, "main", "feature");
        let s = spec(&f, style);
        let outcome = f.repo.merge(&s).unwrap();
        assert_eq!(oid(&f.work, "main"), outcome.new_base, "{style:?}");
        fsck(&f.work);
        assert_eq!(
            git(&f.work, &["rev-parse", "main^{tree}"]),
            tree[0],
            "{style:?}"
        );
        match style {
            MergeStyle::Merge => {
                assert_eq!(
                    git(&f.work, &["rev-parse", "main^1"]),
                    s.expected_base_oid.to_string()
                );
                assert_eq!(
                    git(&f.work, &["rev-parse", "main^2"]),
                    s.head_oid.to_string()
                );
                assert_eq!(
                    git(&f.work, &["log", "-1", "--format=%an|%cn|%s", "main"]),
                    "Author|Merger|Merge pull request #1"
                );
            }
            MergeStyle::Squash => {
                assert_eq!(git(&f.work, &["rev-list", "--count", "main^@"]), "2");
                assert_eq!(
                    git(&f.work, &["rev-parse", "main^1"]),
                    s.expected_base_oid.to_string()
                );
            }
            MergeStyle::Rebase => {
                // Four non-merge commits replayed, linear, authors kept, new committer.
                assert_eq!(outcome.created.len(), 4);
                assert_eq!(
                    git(&f.work, &["rev-list", "--count", "--merges", "main"]),
                    "0"
                );
                let log = git(&f.work, &["log", "--format=%an|%cn|%s", "-4", "main"]);
                for l in log.lines() {
                    assert!(l.starts_with("Contributor|Merger|"), "{l}");
                }
                assert!(log.contains("feature: add c") && log.contains("side work"));
            }
            MergeStyle::FastForwardOnly => unreachable!(),
        }
        // The work tree's index still matches main's old tree; reset to check out the result.
        git(&f.work, &["reset", "-q", "--hard", "main"]);
        assert_eq!(
            std::fs::read(f.work.join("new.bin")).unwrap(),
            [9, 0, 9, 0, 200]
        );
        assert!(f.work.join("dir/new-name.txt").exists());
        assert!(
            std::fs::read_to_string(f.work.join("dir/new-name.txt"))
                .unwrap()
                .contains("line 2 main")
        );
    }
}

#[test]
fn fast_forward_only() {
    let f = fixture();
    let s = spec(&f, MergeStyle::FastForwardOnly);
    assert!(matches!(f.repo.merge(&s), Err(MergeError::NotFastForward)));
    assert_eq!(oid(&f.work, "main"), s.expected_base_oid);
    // Once feature contains main, fast-forward and rebase both just move main.
    git(&f.work, &["checkout", "-q", "feature"]);
    git(&f.work, &["merge", "-q", "--no-edit", "main"]);
    git(&f.work, &["checkout", "-q", "main"]);
    let mut s = spec(&f, MergeStyle::FastForwardOnly);
    let m = f
        .repo
        .mergeability(s.expected_base_oid, s.head_oid)
        .unwrap();
    assert!(matches!(
        m,
        Mergeability::Clean {
            fast_forward: true,
            ..
        }
    ));
    s.style = MergeStyle::Rebase;
    let outcome = f.repo.merge(&s).unwrap();
    assert_eq!(outcome.new_base, s.head_oid);
    assert!(outcome.created.is_empty());
    fsck(&f.work);
    // Now everything in feature is in main.
    let s = spec(&f, MergeStyle::Merge);
    assert!(matches!(f.repo.merge(&s), Err(MergeError::AlreadyMerged)));
    assert_eq!(
        f.repo
            .mergeability(s.expected_base_oid, s.head_oid)
            .unwrap(),
        Mergeability::AlreadyMerged
    );
}

#[test]
fn a_moved_target_fails_the_merge_and_keeps_the_push() {
    let f = fixture();
    let s = spec(&f, MergeStyle::Merge);
    write(&f.work, "pushed.txt", b"pushed meanwhile\n");
    commit_all(&f.work, "a concurrent push");
    let pushed = oid(&f.work, "main");
    for style in [
        MergeStyle::Merge,
        MergeStyle::Squash,
        MergeStyle::Rebase,
        MergeStyle::FastForwardOnly,
    ] {
        let s = MergeSpec { style, ..s.clone() };
        match f.repo.merge(&s) {
            Err(MergeError::TargetMoved { current }) => assert_eq!(current, Some(pushed)),
            other => panic!("{style:?}: {other:?}"),
        }
        assert_eq!(oid(&f.work, "main"), pushed);
    }
}

#[test]
fn conflicts_are_listed_like_git_and_nothing_moves() {
    let f = fixture();
    git(&f.work, &["checkout", "-q", "feature"]);
    let a = lines(40, "a").replace("line 20 a", "line 20 from feature");
    write(&f.work, "a.txt", a.as_bytes());
    std::fs::remove_file(f.work.join("b.txt")).unwrap();
    write(&f.work, "both.bin", &[1, 0, 1]);
    commit_all(&f.work, "feature: conflicting edits");
    git(&f.work, &["checkout", "-q", "main"]);
    let a = lines(40, "a").replace("line 20 a", "line 20 from main");
    write(&f.work, "a.txt", a.as_bytes());
    write(&f.work, "both.bin", &[2, 0, 2]);
    commit_all(&f.work, "main: conflicting edits");
    let (clean, mut expected) = merge_tree_oracle(&f.work, "main", "feature");
    assert!(!clean);
    expected.sort();
    expected.dedup();
    assert_eq!(expected, ["a.txt", "b.txt", "both.bin"]);
    let base = oid(&f.work, "main");
    assert_eq!(
        f.repo.mergeability(base, oid(&f.work, "feature")).unwrap(),
        Mergeability::Conflicted {
            paths: expected.clone()
        }
    );
    for style in [MergeStyle::Merge, MergeStyle::Squash] {
        match f.repo.merge(&spec(&f, style)) {
            Err(MergeError::Conflicts { paths }) => assert_eq!(paths, expected),
            other => panic!("{other:?}"),
        }
    }
    match f.repo.merge(&spec(&f, MergeStyle::Rebase)) {
        Err(MergeError::Conflicts { paths }) => assert!(!paths.is_empty()),
        other => panic!("{other:?}"),
    }
    assert_eq!(oid(&f.work, "main"), base);
}

#[test]
fn unrelated_histories() {
    let f = fixture();
    git(&f.work, &["checkout", "-q", "--orphan", "other"]);
    git(&f.work, &["rm", "-rq", "--cached", "."]);
    write(&f.work, "z.txt", b"z\n");
    git(&f.work, &["add", "z.txt"]);
    git(&f.work, &["commit", "-q", "-m", "unrelated"]);
    let m = f
        .repo
        .mergeability(oid(&f.work, "main"), oid(&f.work, "other"))
        .unwrap();
    assert_eq!(m, Mergeability::Unrelated);
}

#[test]
fn pull_commits_oldest_first_and_update_branch() {
    let f = fixture();
    let base = oid(&f.work, "main");
    let head = oid(&f.work, "feature");
    let commits = f.repo.pull_commits(base, head, 100).unwrap();
    let expected: Vec<Oid> = git(
        &f.work,
        &["rev-list", "--reverse", "--topo-order", "main..feature"],
    )
    .lines()
    .map(|l| l.parse().unwrap())
    .collect();
    let mut got: Vec<Oid> = commits.iter().map(|c| c.id).collect();
    assert_eq!(got.len(), expected.len());
    // Parents before children.
    for (i, c) in commits.iter().enumerate() {
        for p in &c.parents {
            if let Some(j) = got.iter().position(|x| x == p) {
                assert!(j < i);
            }
        }
    }
    got.sort();
    let mut sorted = expected;
    sorted.sort();
    assert_eq!(got, sorted);
    assert_eq!(f.repo.pull_commits(base, head, 2).unwrap().len(), 2);

    let merged = f
        .repo
        .update_branch(
            "refs/heads/feature",
            head,
            base,
            "Update branch",
            &who("Author"),
            &who("Merger"),
        )
        .unwrap()
        .unwrap();
    assert_eq!(oid(&f.work, "feature"), merged);
    assert_eq!(git(&f.work, &["rev-parse", "feature^1"]), head.to_string());
    assert_eq!(git(&f.work, &["rev-parse", "feature^2"]), base.to_string());
    fsck(&f.work);
    assert_eq!(
        f.repo
            .update_branch(
                "refs/heads/feature",
                merged,
                base,
                "again",
                &who("A"),
                &who("M")
            )
            .unwrap(),
        None
    );
}

#[test]
fn fork_shares_objects_survives_the_parent_and_transfers_back() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    git(&f.work, &["gc", "-q"]);
    let parent = Repository::open(&f.work.join(".git")).unwrap();
    let fork_path = tmp.path().join("fork.git");
    let (fork, stats) = parent.fork_to(&fork_path).unwrap();
    assert!(stats.linked_files + stats.copied_files > 0);
    assert_eq!(
        fork.find_ref("refs/heads/feature").unwrap(),
        Some(oid(&f.work, "feature"))
    );
    fsck(&fork_path);

    // A contributor pushes to the fork.
    let clone = tmp.path().join("clone");
    git(
        tmp.path(),
        &["clone", "-q", fork_path.to_str().unwrap(), "clone"],
    );
    git(&clone, &["checkout", "-q", "feature"]);
    write(&clone, "fork-only.txt", b"from the fork\n");
    commit_all(&clone, "fork commit");
    git(&clone, &["push", "-q", "origin", "feature"]);
    let tip = oid(&clone, "HEAD");
    let fork = Repository::open(&fork_path).unwrap();
    assert!(!parent.has_object(tip));

    // Its head comes into the parent as refs/pull/1/head; only what is missing travels.
    let sent = fork
        .transfer_to(&parent, tip, "refs/pull/1/head", None)
        .unwrap();
    assert!((3..10).contains(&sent), "{sent}");
    assert_eq!(parent.find_ref("refs/pull/1/head").unwrap(), Some(tip));
    fsck(&f.work);
    assert_eq!(
        fork.transfer_to(&parent, tip, "refs/pull/1/head", Some(tip))
            .unwrap(),
        0
    );
    // A stale expectation is refused.
    let stale = Some(oid(&f.work, "main"));
    assert!(
        fork.transfer_to(&parent, tip, "refs/pull/1/head", stale)
            .is_err()
    );

    // The parent goes away; the fork keeps working.
    std::fs::remove_dir_all(&f.work).unwrap();
    fsck(&fork_path);
    let again = tmp.path().join("again");
    git(
        tmp.path(),
        &["clone", "-q", fork_path.to_str().unwrap(), "again"],
    );
    assert!(
        again.join("fork-only.txt").exists() || {
            git(&again, &["checkout", "-q", "feature"]);
            again.join("fork-only.txt").exists()
        }
    );
}

/// `prepare_update` writes the merge commit or the rebased commits and moves no ref; a head
/// that contains base needs nothing.
#[test]
fn prepare_update_merges_or_rebases_without_moving_the_branch() {
    let f = fixture();
    let base = oid(&f.work, "main");
    let head = oid(&f.work, "feature");
    let (author, committer) = (who("Author"), who("Updater"));
    let update = |rebase: bool, head: Oid| UpdateSpec {
        head,
        base,
        rebase,
        message: "Update branch",
        author: &author,
        committer: &committer,
    };
    let merged = f
        .repo
        .prepare_update(&update(false, head))
        .unwrap()
        .unwrap();
    assert_eq!(oid(&f.work, "feature"), head, "no ref moved");
    assert_eq!(
        git(&f.work, &["rev-parse", &format!("{merged}^1")]),
        head.to_string()
    );
    assert_eq!(
        git(&f.work, &["rev-parse", &format!("{merged}^2")]),
        base.to_string()
    );
    let rebased = f.repo.prepare_update(&update(true, head)).unwrap().unwrap();
    assert_eq!(oid(&f.work, "feature"), head, "no ref moved");
    // base is an ancestor of the new tip, which has head's non-merge commits on it.
    git(
        &f.work,
        &[
            "merge-base",
            "--is-ancestor",
            &base.to_string(),
            &rebased.to_string(),
        ],
    );
    let replayed = git(
        &f.work,
        &["rev-list", "--count", &format!("{base}..{rebased}")],
    );
    assert_eq!(replayed.trim(), "4");
    assert!(
        git(
            &f.work,
            &["show", "-s", "--format=%cn", &rebased.to_string()]
        )
        .contains("Updater")
    );
    // Up to date already: nothing to do, either way.
    for rebase in [false, true] {
        assert_eq!(
            f.repo.prepare_update(&update(rebase, merged)).unwrap(),
            None
        );
    }
    fsck(&f.work);
}

#[test]
fn merge_preview_ref_follows_mergeability() {
    let f = fixture();
    let (clean, tree) = merge_tree_oracle(&f.work, "main", "feature");
    assert!(clean);
    let (base, head) = (oid(&f.work, "main"), oid(&f.work, "feature"));
    let preview = "refs/pull/1/merge";
    let m = f
        .repo
        .refresh_merge_preview(preview, base, head, "Merge #1", &who("Hatchery"))
        .unwrap();
    assert!(matches!(m, Mergeability::Clean { .. }), "{m:?}");
    // What a git client fetching refs/pull/1/merge gets: base and head merged, with the
    // tree `git merge-tree` computes.
    let parents = git(&f.work, &["rev-list", "--parents", "-n", "1", preview]);
    assert_eq!(
        parents.trim(),
        format!("{} {base} {head}", oid(&f.work, preview))
    );
    assert_eq!(
        git(&f.work, &["rev-parse", &format!("{preview}^{{tree}}")]).trim(),
        tree[0]
    );
    assert_eq!(oid(&f.work, "main"), base, "only the preview ref moves");
    fsck(&f.work);
    // Refreshing the same pair again keeps a valid preview.
    f.repo
        .refresh_merge_preview(preview, base, head, "Merge #1", &who("Hatchery"))
        .unwrap();
    assert_eq!(
        git(&f.work, &["rev-parse", &format!("{preview}^{{tree}}")]).trim(),
        tree[0]
    );

    // The base moves so that the pair conflicts: the preview goes away.
    git(&f.work, &["checkout", "-q", "main"]);
    write(&f.work, "c.txt", b"main's own c\n");
    commit_all(&f.work, "main: conflicting c");
    let base = oid(&f.work, "main");
    let m = f
        .repo
        .refresh_merge_preview(preview, base, head, "Merge #1", &who("Hatchery"))
        .unwrap();
    assert_eq!(
        m,
        Mergeability::Conflicted {
            paths: vec!["c.txt".into()]
        }
    );
    assert!(f.repo.find_ref(preview).unwrap().is_none());
    // A bad ref name is refused before anything is written.
    assert!(
        f.repo
            .refresh_merge_preview("refs/pull/../x", base, head, "m", &who("Hatchery"))
            .is_err()
    );
}
