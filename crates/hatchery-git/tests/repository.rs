use std::path::Path;

use hatchery_git::{
    ConsolidateOptions, Head, InitialCommit, ObjectKind, Oid, RefUpdate, RefUpdateError,
    Repository, Signature,
};

use hatchery_testkit::git::run as git;

fn author() -> Signature {
    Signature {
        name: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        time: 1_700_000_000,
        offset_seconds: 3600,
    }
}

fn with_readme(dir: &Path) -> (Repository, Oid) {
    let repo = Repository::init_bare(&dir.join("r.git"), "main").unwrap();
    let commit = repo
        .create_initial_commit(&InitialCommit {
            branch: "main".into(),
            files: vec![
                ("README.md".into(), b"# Hello\n".to_vec()),
                ("LICENSE".into(), b"MIT\n".to_vec()),
            ],
            message: "Initial commit".into(),
            author: author(),
        })
        .unwrap();
    (repo, commit)
}

#[test]
fn init_and_initial_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.git");
    let repo = Repository::init_bare(&path, "main").unwrap();
    assert_eq!(
        repo.head().unwrap(),
        Head::Unborn {
            name: "refs/heads/main".into()
        }
    );
    assert!(repo.is_empty().unwrap());
    assert!(
        Repository::init_bare(&path, "main").is_err(),
        "refuses to re-init"
    );
    assert!(Repository::open(&dir.path().join("nope.git")).is_err());

    let commit = repo
        .create_initial_commit(&InitialCommit {
            branch: "main".into(),
            files: vec![("README.md".into(), b"# Hello\n".to_vec())],
            message: "Initial commit".into(),
            author: author(),
        })
        .unwrap();
    assert_eq!(
        repo.head().unwrap(),
        Head::Branch {
            name: "refs/heads/main".into(),
            target: commit
        }
    );
    assert_eq!(repo.resolve("main").unwrap(), Some(commit));
    assert_eq!(repo.resolve("HEAD").unwrap(), Some(commit));
    assert_eq!(repo.resolve(&commit.to_string()).unwrap(), Some(commit));
    assert_eq!(repo.resolve("nope").unwrap(), None);
    let obj = repo.read_object(commit).unwrap().unwrap();
    assert_eq!(obj.kind, ObjectKind::Commit);
    assert!(
        String::from_utf8_lossy(&obj.data)
            .contains("Ada Lovelace <ada@example.com> 1700000000 +0100")
    );
    let refs = repo.refs().unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].name, "refs/heads/main");

    // The git binary agrees.
    assert_eq!(git(&path, &["show", "main:README.md"]), "# Hello\n");
    assert_eq!(
        git(&path, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/main"
    );
    git(&path, &["fsck", "--strict"]);

    // A second initial commit on the same branch is refused; bad names too.
    let again = repo.create_initial_commit(&InitialCommit {
        branch: "main".into(),
        files: vec![],
        message: "x".into(),
        author: author(),
    });
    assert!(again.is_err());
    let bad = repo.create_initial_commit(&InitialCommit {
        branch: "other".into(),
        files: vec![("../evil".into(), vec![])],
        message: "x".into(),
        author: author(),
    });
    assert!(bad.is_err());
    assert!(repo.set_head("bad..name").is_err());
    repo.set_head("develop").unwrap();
    assert_eq!(
        repo.head().unwrap(),
        Head::Unborn {
            name: "refs/heads/develop".into()
        }
    );
}

#[test]
fn ref_updates_are_compare_and_swap() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, c1) = with_readme(dir.path());
    let path = repo.path().to_owned();
    git(&path, &["update-ref", "refs/heads/side", &c1.to_string()]);
    let tree = git(&path, &["rev-parse", "main^{tree}"]);
    let c2: Oid = git(
        &path,
        &[
            "commit-tree",
            tree.trim(),
            "-p",
            &c1.to_string(),
            "-m",
            "second",
        ],
    )
    .trim()
    .parse()
    .unwrap();
    assert!(repo.is_ancestor(c1, c2).unwrap());
    assert!(!repo.is_ancestor(c2, c1).unwrap());

    // Stale old value.
    let r = repo.update_refs(
        &[RefUpdate {
            name: "refs/heads/main".into(),
            old: Some(c2),
            new: Some(c1),
        }],
        false,
    );
    assert!(matches!(r[0], Err(RefUpdateError::Changed { .. })), "{r:?}");
    // Correct old value.
    let r = repo.update_refs(
        &[RefUpdate {
            name: "refs/heads/main".into(),
            old: Some(c1),
            new: Some(c2),
        }],
        false,
    );
    assert_eq!(r, vec![Ok(true)]);
    // Creating an existing ref with a different value fails; with the same value it is a no-op.
    let r = repo.update_refs(
        &[RefUpdate {
            name: "refs/heads/side".into(),
            old: None,
            new: Some(c2),
        }],
        false,
    );
    assert!(r[0].is_err(), "{r:?}");
    let r = repo.update_refs(
        &[RefUpdate {
            name: "refs/heads/side".into(),
            old: None,
            new: Some(c1),
        }],
        false,
    );
    assert_eq!(r, vec![Ok(false)]);
    // Atomic: one failure, nothing changes.
    let r = repo.update_refs(
        &[
            RefUpdate {
                name: "refs/heads/new".into(),
                old: None,
                new: Some(c1),
            },
            RefUpdate {
                name: "refs/heads/main".into(),
                old: Some(c1),
                new: Some(c1),
            },
        ],
        true,
    );
    assert!(r.iter().all(Result::is_err), "{r:?}");
    assert_eq!(repo.find_ref("refs/heads/new").unwrap(), None);
    // Delete with CAS, also of a packed ref.
    git(&path, &["pack-refs", "--all"]);
    let r = repo.update_refs(
        &[RefUpdate {
            name: "refs/heads/side".into(),
            old: Some(c2),
            new: None,
        }],
        false,
    );
    assert!(r[0].is_err());
    let r = repo.update_refs(
        &[RefUpdate {
            name: "refs/heads/side".into(),
            old: Some(c1),
            new: None,
        }],
        false,
    );
    assert_eq!(r, vec![Ok(true)]);
    assert_eq!(repo.find_ref("refs/heads/side").unwrap(), None);
    assert_eq!(repo.find_ref("refs/heads/main").unwrap(), Some(c2));
    let r = repo.update_refs(
        &[RefUpdate {
            name: "refs/heads/x..y".into(),
            old: None,
            new: Some(c1),
        }],
        false,
    );
    assert!(matches!(r[0], Err(RefUpdateError::InvalidName(_))));
    git(&path, &["fsck", "--strict"]);
}

#[test]
fn consolidation_packs_loose_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, c1) = with_readme(dir.path());
    assert_eq!(repo.pack_count().unwrap(), 0);
    let outcome = repo
        .consolidate_packs(&ConsolidateOptions::default())
        .unwrap();
    assert!(!outcome.skipped);
    assert_eq!(outcome.loose_merged, 4, "{outcome:?}");
    assert_eq!(repo.pack_count().unwrap(), 1);
    let again = repo
        .consolidate_packs(&ConsolidateOptions::default())
        .unwrap();
    assert!(again.skipped);
    let reopened = Repository::open(repo.path()).unwrap();
    assert_eq!(reopened.object_kind(c1).unwrap(), Some(ObjectKind::Commit));
    git(repo.path(), &["fsck", "--strict"]);
    let count = git(repo.path(), &["count-objects", "-v"]);
    assert!(count.contains("count: 0"), "{count}");
    assert!(count.contains("in-pack: 4"), "{count}");
}
