//! The browsing read API against fixture repositories made with the git CLI, compared with
//! what git itself says where practical.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use hatchery_git::{
    ArchiveFormat, ChangeKind, DiffOptions, EntryKind, LineKind, Oid, Repository, RevKind,
};

/// The fixtures' author and committer differ, to tell the two apart on every page.
fn git_cmd(dir: &Path, ts: Option<i64>) -> Command {
    let mut cmd = hatchery_testkit::git::command(dir);
    cmd.env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Charles Babbage")
        .env("GIT_COMMITTER_EMAIL", "cb@example.com");
    if let Some(ts) = ts {
        cmd.env("GIT_AUTHOR_DATE", format!("@{ts} +0100"))
            .env("GIT_COMMITTER_DATE", format!("@{ts} +0100"));
    }
    cmd
}

fn git_bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    hatchery_testkit::git::run_bytes(&mut git_cmd(dir, None), args)
}

fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&git_bytes(dir, args)).into_owned()
}

fn git_at(dir: &Path, ts: i64, args: &[&str]) -> String {
    String::from_utf8_lossy(&hatchery_testkit::git::run_bytes(
        &mut git_cmd(dir, Some(ts)),
        args,
    ))
    .into_owned()
}

fn write(dir: &Path, path: &str, data: &[u8]) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// Equal texts, or a panic showing the first differing line.
fn assert_same_text(ours: &str, theirs: &str, what: &str) {
    if ours == theirs {
        return;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    let i = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let lo = i.saturating_sub(3);
    panic!(
        "{what}: first difference at line {}\nours:\n{}\ngit:\n{}",
        i + 1,
        a[lo..(i + 3).min(a.len())].join("\n"),
        b[lo..(i + 3).min(b.len())].join("\n")
    );
}

fn oid(hex: &str) -> Oid {
    hex.trim().parse().unwrap()
}

/// A `/` in a name makes a directory: this is `<script>alert(1)<` / `script>.txt`.
const SCRIPT_NAME: &str = "<script>alert(1)</script>.txt";
const SCRIPT_DIR: &str = "<script>alert(1)<";
const IMG_NAME: &str = "<img src=x onerror=alert(1)>.txt";
const UNICODE_PATH: &str = "ünïcode/ñ.txt";
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

struct Fixture {
    _dir: tempfile::TempDir,
    work: PathBuf,
    bare: PathBuf,
    repo: Repository,
    /// Commits by label.
    c: HashMap<&'static str, String>,
}

impl Fixture {
    fn id(&self, label: &str) -> Oid {
        oid(&self.c[label])
    }
    fn git(&self, args: &[&str]) -> String {
        git(&self.bare, args)
    }
}

fn lib_rs(lines: &[&str]) -> Vec<u8> {
    let mut s = String::new();
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s.into_bytes()
}

/// A repository with every kind of entry and history shape the pages meet.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    let commit = |ts: i64, msg: &str| -> String {
        git(&work, &["add", "-A"]);
        git_at(&work, ts, &["commit", "-q", "--allow-empty", "-m", msg]);
        git(&work, &["rev-parse", "HEAD"]).trim().to_owned()
    };
    let mut c = HashMap::new();
    let t0 = 1_600_000_000;

    let mut lib: Vec<String> = (1..=30).map(|i| format!("fn f{i}() {{}}")).collect();
    let lib_bytes = |l: &Vec<String>| lib_rs(&l.iter().map(String::as_str).collect::<Vec<_>>());
    write(&work, "README.md", b"# Hello\n\nA fixture.\n");
    write(&work, "src/lib.rs", &lib_bytes(&lib));
    write(&work, "src/nested/deep/file.txt", b"deep\n");
    write(&work, "empty.txt", b"");
    write(&work, "run.sh", b"#!/bin/sh\necho hi\n");
    std::fs::set_permissions(
        work.join("run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("README.md", work.join("link")).unwrap();
    write(
        &work,
        "bin.dat",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\x01binary",
    );
    write(&work, SCRIPT_NAME, b"<script>alert(1)</script>\n");
    write(&work, IMG_NAME, b"<img src=x onerror=alert(1)>\n");
    write(&work, "latin1.txt", b"caf\xe9 cr\xe8me\n");
    let big: String = (0..20_000).map(|i| format!("line {i:05}\n")).collect();
    write(&work, "big.txt", big.as_bytes());
    write(
        &work,
        "docs/guide.md",
        (0..40)
            .map(|i| format!("Guide line {i}\n"))
            .collect::<String>()
            .as_bytes(),
    );
    c.insert("c1", commit(t0, "Initial import\n\nWith a body."));

    lib[4] = "fn f5() { changed_in_c2() }".into();
    write(&work, "src/lib.rs", &lib_bytes(&lib));
    git(
        &work,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            "160000,1234567890abcdef1234567890abcdef12345678,sub",
        ],
    );
    // An uninitialised submodule is an empty directory (else `add -A` drops it).
    std::fs::create_dir(work.join("sub")).unwrap();
    git_at(
        &work,
        t0 + 100,
        &["commit", "-q", "-m", "Add submodule, touch f5"],
    );
    c.insert("c2", git(&work, &["rev-parse", "HEAD"]).trim().to_owned());
    git(&work, &["branch", "feature/x"]);

    // c3 on main: rename with a small edit, README change.
    git(&work, &["mv", "docs/guide.md", "docs/manual.md"]);
    let mut manual: String = (0..40).map(|i| format!("Guide line {i}\n")).collect();
    manual.push_str("One more line\n");
    write(&work, "docs/manual.md", manual.as_bytes());
    write(
        &work,
        "README.md",
        b"# Hello\n\nA fixture, renamed guide.\n",
    );
    c.insert("c3", commit(t0 + 200, "Rename the guide"));

    // c4 on feature/x, dated between c3 and c5.
    git(&work, &["checkout", "-q", "feature/x"]);
    let mut flib = lib.clone();
    flib[24] = "fn f25() { feature() }".into();
    write(&work, "src/lib.rs", &lib_bytes(&flib));
    write(&work, "feature.txt", b"feature\n");
    c.insert("c4", commit(t0 + 250, "Feature work"));

    git(&work, &["checkout", "-q", "main"]);
    lib[0] = "fn f1() { changed_in_c5() }".into();
    write(&work, "src/lib.rs", &lib_bytes(&lib));
    write(&work, "big.txt", format!("{big}tail\n").as_bytes());
    write(&work, UNICODE_PATH, "héllo\n".as_bytes());
    c.insert("c5", commit(t0 + 300, "Touch f1 and big"));

    git_at(
        &work,
        t0 + 400,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge feature/x",
            "feature/x",
        ],
    );
    c.insert("m", git(&work, &["rev-parse", "HEAD"]).trim().to_owned());

    write(
        &work,
        "README.md",
        b"# Hello\n\nA fixture after the merge.\n",
    );
    std::fs::set_permissions(
        work.join("run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    c.insert(
        "c6",
        commit(t0 + 500, "README after merge, run.sh not executable"),
    );

    git(&work, &["tag", "v1", &c["c1"]]);
    git_at(
        &work,
        t0 + 450,
        &["tag", "-a", "v2", "-m", "Release 2\n\nNotes here.", &c["m"]],
    );
    git(&work, &["branch", "release/1.0/hotfix", &c["c2"]]);

    let bare = dir.path().join("r.git");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let repo = Repository::open(&bare).unwrap();
    Fixture {
        _dir: dir,
        work,
        bare,
        repo,
        c,
    }
}

#[test]
fn resolves_refs_paths_and_ids() {
    let f = fixture();
    let r = f.repo.resolve_tree_path("main").unwrap().unwrap();
    assert_eq!(
        (r.rev_name.as_str(), r.kind, r.path.as_str()),
        ("main", RevKind::Branch, "")
    );
    assert_eq!(r.commit, f.id("c6"));

    let r = f
        .repo
        .resolve_tree_path("feature/x/src/lib.rs")
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.rev_name.as_str(), r.kind),
        ("feature/x", RevKind::Branch)
    );
    assert_eq!((r.commit, r.path.as_str()), (f.id("c4"), "src/lib.rs"));

    let r = f
        .repo
        .resolve_tree_path("release/1.0/hotfix/")
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.rev_name.as_str(), r.path.as_str()),
        ("release/1.0/hotfix", "")
    );
    assert_eq!(r.commit, f.id("c2"));

    let r = f.repo.resolve_tree_path("v2/src/nested").unwrap().unwrap();
    assert_eq!(
        (r.kind, r.commit, r.path.as_str()),
        (RevKind::Tag, f.id("m"), "src/nested")
    );
    let r = f.repo.resolve_tree_path("v1").unwrap().unwrap();
    assert_eq!((r.kind, r.commit), (RevKind::Tag, f.id("c1")));

    let c1 = f.c["c1"].clone();
    let r = f
        .repo
        .resolve_tree_path(&format!("{}/src", &c1[..7]))
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.kind, r.commit, r.path.as_str()),
        (RevKind::Commit, f.id("c1"), "src")
    );
    assert_eq!(r.rev_name, &c1[..7]);
    let r = f
        .repo
        .resolve_tree_path(&c1.to_uppercase())
        .unwrap()
        .unwrap();
    assert_eq!(r.commit, f.id("c1"));
    // Too short, unknown, or not a commit.
    assert!(f.repo.resolve_tree_path(&c1[..3]).unwrap().is_none());
    assert!(
        f.repo
            .resolve_tree_path("deadbeefdeadbeef")
            .unwrap()
            .is_none()
    );
    let tree = f.git(&["rev-parse", "main^{tree}"]);
    assert!(f.repo.resolve_tree_path(tree.trim()).unwrap().is_none());
    for bad in [
        "",
        "/",
        "nope",
        "nope/x",
        "main/../x",
        "main/a//b",
        "feature",
        "..",
        "main\0",
    ] {
        assert!(f.repo.resolve_tree_path(bad).unwrap().is_none(), "{bad:?}");
    }

    let d = f.repo.default_branch_commit().unwrap().unwrap();
    assert_eq!(
        (d.rev_name.as_str(), d.kind, d.commit),
        ("main", RevKind::Branch, f.id("c6"))
    );
    let empty = Repository::init_bare(&f.bare.with_file_name("empty.git"), "main").unwrap();
    assert!(empty.default_branch_commit().unwrap().is_none());
    assert!(empty.resolve_tree_path("main").unwrap().is_none());
}

#[test]
fn lists_trees() {
    let f = fixture();
    let head = f.id("c6");
    let root = f.repo.tree(head, "").unwrap().unwrap();
    let names: Vec<&str> = root.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            SCRIPT_DIR,
            "docs",
            "src",
            "sub",
            "ünïcode",
            IMG_NAME,
            "README.md",
            "big.txt",
            "bin.dat",
            "empty.txt",
            "feature.txt",
            "latin1.txt",
            "link",
            "run.sh"
        ]
    );
    let by: HashMap<&str, _> = root.iter().map(|e| (e.name.as_str(), e)).collect();
    assert_eq!(by["src"].kind, EntryKind::Dir);
    assert_eq!(by["src"].size, None);
    assert_eq!(by["sub"].kind, EntryKind::Submodule);
    assert_eq!(
        by["sub"].oid,
        oid("1234567890abcdef1234567890abcdef12345678")
    );
    assert_eq!(by["link"].kind, EntryKind::Symlink);
    assert_eq!(by["link"].size, Some(9));
    assert_eq!(by["run.sh"].kind, EntryKind::File);
    assert_eq!(by["empty.txt"].size, Some(0));
    assert_eq!(by[IMG_NAME].path, IMG_NAME);
    assert_eq!(by[IMG_NAME].kind, EntryKind::File);
    let script_dir = f.repo.tree(head, SCRIPT_DIR).unwrap().unwrap();
    assert_eq!(script_dir.len(), 1);
    assert_eq!(
        (script_dir[0].name.as_str(), script_dir[0].path.as_str()),
        ("script>.txt", SCRIPT_NAME)
    );
    let old_root = f.repo.tree(f.id("c1"), "/").unwrap().unwrap();
    let run = old_root.iter().find(|e| e.name == "run.sh").unwrap();
    assert_eq!(run.kind, EntryKind::Executable);

    // Compare with ls-tree.
    let ls = f.git(&["ls-tree", "-l", "main", "src/"]);
    let src = f.repo.tree(head, "src").unwrap().unwrap();
    assert_eq!(src.len(), ls.lines().count());
    for e in &src {
        let line = ls
            .lines()
            .find(|l| l.ends_with(&format!("\t{}", e.path)))
            .unwrap();
        assert!(line.contains(&e.oid.to_hex()), "{line}");
    }
    let deep = f.repo.tree(head, "src/nested/deep/").unwrap().unwrap();
    assert_eq!(deep.len(), 1);
    assert_eq!(deep[0].path, "src/nested/deep/file.txt");

    assert!(f.repo.tree(head, "README.md").unwrap().is_none());
    assert!(f.repo.tree(head, "missing").unwrap().is_none());
    assert!(f.repo.tree(head, "src/../docs").unwrap().is_none());
    assert!(f.repo.tree(head, "sub").unwrap().is_none());
    assert!(f.repo.tree(oid(EMPTY_TREE), "").unwrap().is_none());
    assert!(f.repo.tree(Oid::ZERO, "").unwrap().is_none());
}

#[test]
fn reads_blobs() {
    let f = fixture();
    let head = f.id("c6");
    let readme = f.repo.blob(head, "README.md", 1 << 20).unwrap().unwrap();
    assert_eq!(readme.data, b"# Hello\n\nA fixture after the merge.\n");
    assert!(!readme.truncated && !readme.is_binary);
    assert_eq!(readme.kind, EntryKind::File);

    let script = f.repo.blob(head, SCRIPT_NAME, 1 << 20).unwrap().unwrap();
    assert_eq!(script.data, b"<script>alert(1)</script>\n");
    let img = f.repo.blob(head, IMG_NAME, 1 << 20).unwrap().unwrap();
    assert_eq!(img.data, b"<img src=x onerror=alert(1)>\n");
    let latin = f.repo.blob(head, "latin1.txt", 1 << 20).unwrap().unwrap();
    assert_eq!(latin.data, b"caf\xe9 cr\xe8me\n");
    assert!(!latin.is_binary);
    let bin = f.repo.blob(head, "bin.dat", 4).unwrap().unwrap();
    assert!(bin.is_binary, "binary detection looks past max_bytes");
    assert_eq!(bin.data, b"\x89PNG");
    let empty = f.repo.blob(head, "empty.txt", 100).unwrap().unwrap();
    assert_eq!(
        (
            empty.size,
            empty.data.len(),
            empty.truncated,
            empty.is_binary
        ),
        (0, 0, false, false)
    );
    let link = f.repo.blob(head, "link", 100).unwrap().unwrap();
    assert_eq!(
        (link.kind, link.data.as_slice()),
        (EntryKind::Symlink, &b"README.md"[..])
    );

    let big = f.repo.blob(head, "big.txt", 1000).unwrap().unwrap();
    assert!(big.truncated);
    assert_eq!(big.data.len(), 1000);
    assert_eq!(big.size, 20_000 * 11 + 5);
    let expected = git_bytes(&f.bare, &["cat-file", "blob", "main:big.txt"]);
    assert_eq!(&expected[..1000], big.data.as_slice());

    for missing in ["src", "sub", "nope.txt", "README.md/x", "../README.md"] {
        assert!(
            f.repo.blob(head, missing, 10).unwrap().is_none(),
            "{missing}"
        );
    }
    assert!(f.repo.blob(Oid::ZERO, "README.md", 10).unwrap().is_none());

    // Raw streaming, loose objects (a local clone keeps them loose), then packed.
    let check_stream = |repo: &Repository, expect_streaming: Option<bool>| {
        let mut s = repo.blob_stream(head, "big.txt").unwrap().unwrap();
        if let Some(e) = expect_streaming {
            assert_eq!(s.reader.is_streaming(), e);
        }
        let mut data = Vec::new();
        s.reader.read_to_end(&mut data).unwrap();
        assert_eq!(s.size, data.len() as u64);
        assert_eq!(data, expected);
        for path in [SCRIPT_NAME, "bin.dat", "empty.txt", "link"] {
            let mut s = repo.blob_stream(head, path).unwrap().unwrap();
            let mut data = Vec::new();
            s.reader.read_to_end(&mut data).unwrap();
            assert_eq!(
                data,
                git_bytes(&f.bare, &["cat-file", "blob", &format!("main:{path}")])
            );
        }
    };
    check_stream(&f.repo, Some(true));
    git(&f.bare, &["repack", "-a", "-d", "-q"]);
    git(&f.bare, &["prune-packed"]);
    let packed = Repository::open(&f.bare).unwrap();
    check_stream(&packed, None);
    let b = packed.blob(head, "big.txt", 10).unwrap().unwrap();
    assert_eq!(b.data, &expected[..10]);
}

#[test]
fn lists_branches_and_tags() {
    let f = fixture();
    let branches = f.repo.branches().unwrap();
    let names: Vec<&str> = branches.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["main", "feature/x", "release/1.0/hotfix"]);
    assert_eq!(branches[0].commit.id, f.id("c6"));
    assert_eq!(branches[0].full_name, "refs/heads/main");
    assert_eq!(
        branches[0].commit.summary,
        "README after merge, run.sh not executable"
    );
    assert_eq!(branches[0].commit.author_name, "Ada Lovelace");
    assert_eq!(branches[0].commit.author_email, "ada@example.com");
    assert_eq!(branches[0].commit.committer_time, 1_600_000_500);
    assert_eq!(branches[0].commit.short_id, &f.c["c6"][..7]);

    let tags = f.repo.tags().unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["v2", "v1"]);
    let v2 = &tags[0];
    assert_eq!(v2.commit.id, f.id("m"));
    let ann = v2.annotation.as_ref().unwrap();
    assert_eq!(ann.message.trim_end(), "Release 2\n\nNotes here.");
    let tagger = ann.tagger.as_ref().unwrap();
    assert_eq!(
        (tagger.name.as_str(), tagger.time, tagger.offset_seconds),
        ("Charles Babbage", 1_600_000_450, 3600)
    );
    assert_eq!(ann.tag_oid, oid(&f.git(&["rev-parse", "v2"])));
    assert!(tags[1].annotation.is_none());
    assert_eq!(tags[1].commit.id, f.id("c1"));
}

fn git_log(f: &Fixture, rev: &str, path: Option<&str>) -> Vec<Oid> {
    let mut args = vec!["log", "--format=%H", rev];
    if let Some(p) = path {
        args.push("--");
        args.push(p);
    }
    f.git(&args).lines().map(oid).collect()
}

fn check_logs(f: &Fixture) {
    let paths = [
        None,
        Some("src/lib.rs"),
        Some("src"),
        Some("README.md"),
        Some("docs/manual.md"),
        Some("docs/guide.md"),
        Some("docs"),
        Some("feature.txt"),
        Some("big.txt"),
        Some("run.sh"),
        Some("sub"),
        Some("nope"),
        Some(SCRIPT_NAME),
        Some(SCRIPT_DIR),
        Some(IMG_NAME),
        Some(UNICODE_PATH),
        Some("ünïcode"),
    ];
    for rev in ["main", "feature/x", "v1"] {
        let start = f.repo.resolve_tree_path(rev).unwrap().unwrap().commit;
        for path in paths {
            let ours: Vec<Oid> = f
                .repo
                .log(start, path, 0, 100)
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect();
            assert_eq!(ours, git_log(f, rev, path), "log {rev} -- {path:?}");
        }
    }
    // Pages concatenate to the whole.
    let all = git_log(f, "main", None);
    let mut paged = Vec::new();
    for page in 0..all.len().div_ceil(2) {
        let main = f.repo.resolve_tree_path("main").unwrap().unwrap().commit;
        paged.extend(
            f.repo
                .log(main, None, page * 2, 2)
                .unwrap()
                .into_iter()
                .map(|c| c.id),
        );
    }
    assert_eq!(paged, all);
}

#[test]
fn log_matches_git() {
    let f = fixture();
    check_logs(&f);
    let first = &f.repo.log(f.id("c6"), Some("src/lib.rs"), 0, 1).unwrap()[0];
    assert_eq!(first.id, f.id("m"));
    assert_eq!(first.summary, "Merge feature/x");
    assert!(f.repo.log(Oid::ZERO, None, 0, 10).unwrap().is_empty());
    assert!(
        f.repo
            .log(f.id("c6"), Some("../x"), 0, 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.repo.log(f.id("c6"), Some(""), 0, 100).unwrap().len(),
        git_log(&f, "main", None).len()
    );
}

#[test]
fn commit_graph_is_written_and_used() {
    let f = fixture();
    let stats = f.repo.write_commit_graph().unwrap();
    assert_eq!(
        (stats.commits, stats.decoded, stats.filters_computed),
        (7, 7, 7)
    );
    git(&f.bare, &["commit-graph", "verify"]);
    let walk = f.repo.log_walk(f.id("c6"), None).unwrap().unwrap();
    assert!(walk.uses_commit_graph());
    check_logs(&f);
    check_last_commits(&f);
    check_blames(&f);
    let mut walk = f
        .repo
        .log_walk(f.id("c6"), Some(UNICODE_PATH))
        .unwrap()
        .unwrap();
    let found: Vec<_> = walk.by_ref().map(|c| c.unwrap().id).collect();
    assert_eq!(found, [f.id("c5")]);
    assert!(
        walk.bloom_skips() >= 3,
        "the Bloom filters answered: {}",
        walk.bloom_skips()
    );
    // A refresh takes known commits and their filters from the previous file.
    let again = f.repo.write_commit_graph().unwrap();
    assert_eq!(
        (again.commits, again.decoded, again.filters_computed),
        (7, 0, 0)
    );
    git(&f.bare, &["commit-graph", "verify"]);
    // git reads our graph and filters, and gets the same answers as without them.
    let paths = [
        "src/lib.rs",
        "README.md",
        "docs",
        "docs/manual.md",
        UNICODE_PATH,
        "ünïcode",
        "sub",
        "nope",
        SCRIPT_NAME,
        "run.sh",
        "link",
        "bin.dat",
    ];
    let trace = f._dir.path().join("trace2.txt");
    for p in paths {
        let with = git_cmd(&f.bare, None)
            .env("GIT_TRACE2_PERF", &trace)
            .args(["log", "--format=%H", "main", "--", p])
            .output()
            .unwrap();
        let without = git(
            &f.bare,
            &[
                "-c",
                "core.commitGraph=false",
                "log",
                "--format=%H",
                "main",
                "--",
                p,
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&with.stdout),
            without,
            "git log -- {p}"
        );
    }
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert!(
        trace.contains("\"definitely_not\":") && !trace.contains("\"definitely_not\":0,\"false"),
        "git used the filters: {}",
        trace
            .lines()
            .filter(|l| l.contains("bloom"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let ours = git(&f.bare, &["log", "--format=%H %P %ct", "--all"]);
    std::fs::remove_file(f.bare.join("objects/info/commit-graph")).unwrap();
    assert_eq!(git(&f.bare, &["log", "--format=%H %P %ct", "--all"]), ours);
    f.repo.write_commit_graph().unwrap();

    // Octopus merges go to the EDGE chunk.
    for (i, b) in ["o1", "o2", "o3"].iter().enumerate() {
        git(&f.work, &["checkout", "-q", "-b", b, &f.c["c1"]]);
        write(&f.work, &format!("{b}.txt"), b"x\n");
        git(&f.work, &["add", "-A"]);
        git_at(
            &f.work,
            1_600_001_000 + i as i64,
            &["commit", "-q", "-m", b],
        );
    }
    git(&f.work, &["checkout", "-q", "main"]);
    git_at(
        &f.work,
        1_600_002_000,
        &["merge", "-q", "-m", "octopus", "o1", "o2", "o3"],
    );
    git(&f.work, &["push", "-q", f.bare.to_str().unwrap(), "main"]);
    let stats = f.repo.write_commit_graph().unwrap();
    assert_eq!(
        (stats.commits, stats.decoded, stats.filters_computed),
        (11, 4, 4)
    );
    git(&f.bare, &["commit-graph", "verify"]);
    check_logs(&f);
}

fn check_last_commits(f: &Fixture) {
    for (rev, dir) in [
        ("main", ""),
        ("main", "src"),
        ("main", "docs"),
        ("feature/x", ""),
        ("v1", "src/nested"),
    ] {
        let start = f.repo.resolve_tree_path(rev).unwrap().unwrap().commit;
        let entries = f.repo.tree(start, dir).unwrap().unwrap();
        let names: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
        let got = f.repo.last_commits(start, dir, &names).unwrap();
        assert_eq!(got.len(), names.len(), "{rev} {dir}");
        for e in &entries {
            let expected = git_log(f, rev, Some(&e.path))[0];
            let label = |id: Oid| {
                f.c.iter()
                    .find(|(_, v)| oid(v) == id)
                    .map(|(k, _)| *k)
                    .unwrap_or("?")
            };
            assert_eq!(
                got[&e.name].id,
                expected,
                "{rev}: last commit of {}: ours {}, git {}",
                e.path,
                label(got[&e.name].id),
                label(expected)
            );
        }
    }
}

#[test]
fn last_commits_match_git() {
    let f = fixture();
    check_last_commits(&f);
    let head = f.id("c6");
    let got = f
        .repo
        .last_commits(
            head,
            "",
            &["README.md".into(), "missing".into(), "src".into()],
        )
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got["README.md"].id, head);
    assert!(
        f.repo
            .last_commits(head, "nope", &["x".into()])
            .unwrap()
            .is_empty()
    );
    assert!(
        f.repo
            .last_commits(Oid::ZERO, "", &["x".into()])
            .unwrap()
            .is_empty()
    );
    // The bound leaves out what it did not reach.
    let names = vec!["README.md".to_owned(), "empty.txt".to_owned()];
    let got = f.repo.last_commits_bounded(head, "", &names, 1).unwrap();
    assert_eq!(got.len(), 1);
    assert!(got.contains_key("README.md"));
}

/// (additions, deletions) by path as `git diff --numstat` reports them (`None` = binary).
fn numstat(f: &Fixture, from: &str, to: &str) -> Vec<(Option<(u32, u32)>, String)> {
    let out = f.git(&[
        "-c",
        "core.quotePath=false",
        "diff",
        "--numstat",
        "-M",
        from,
        to,
    ]);
    let mut v: Vec<_> = out
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let a = parts.next().unwrap();
            let d = parts.next().unwrap();
            let path = parts.next().unwrap().to_owned();
            let counts = (a != "-").then(|| (a.parse().unwrap(), d.parse().unwrap()));
            (counts, path)
        })
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

#[test]
fn diffs_match_git() {
    let f = fixture();
    let opts = DiffOptions::default();
    for label in ["c1", "c2", "c3", "c4", "c5", "m", "c6"] {
        let id = f.id(label);
        let diff = f
            .repo
            .diff_against_first_parent(id, &opts)
            .unwrap()
            .unwrap();
        let parent = if label == "c1" {
            EMPTY_TREE.to_owned()
        } else {
            format!("{}^", f.c[label])
        };
        let expected = numstat(&f, &parent, &f.c[label]);
        let mut ours: Vec<(Option<(u32, u32)>, String)> = diff
            .files
            .iter()
            .map(|file| {
                let counts = (!file.is_binary).then_some((file.additions, file.deletions));
                let path = match (&file.old_path, &file.new_path, file.change) {
                    (Some(o), Some(n), ChangeKind::Renamed { .. }) => format!("{o} => {n}"),
                    _ => file.path().to_owned(),
                };
                (counts, path)
            })
            .collect();
        ours.sort_by(|a, b| a.1.cmp(&b.1));
        let normalize =
            |v: Vec<(Option<(u32, u32)>, String)>| -> Vec<(Option<(u32, u32)>, String)> {
                // git abbreviates renames as `docs/{guide.md => manual.md}`.
                v.into_iter()
                    .map(|(c, p)| {
                        (
                            c,
                            p.replace(
                                "docs/{guide.md => manual.md}",
                                "docs/guide.md => docs/manual.md",
                            ),
                        )
                    })
                    .collect()
            };
        assert_eq!(normalize(ours), normalize(expected), "numstat of {label}");
        assert_eq!(diff.total_files, diff.files.len());
    }

    let c1 = f
        .repo
        .diff_against_first_parent(f.id("c1"), &opts)
        .unwrap()
        .unwrap();
    assert!(c1.files.iter().all(|x| x.change == ChangeKind::Added));
    let bin = c1.files.iter().find(|x| x.path() == "bin.dat").unwrap();
    assert!(bin.is_binary && bin.hunks.is_empty());
    let script = c1.files.iter().find(|x| x.path() == SCRIPT_NAME).unwrap();
    assert_eq!(script.hunks[0].lines[0].text, "<script>alert(1)</script>");
    let latin = c1.files.iter().find(|x| x.path() == "latin1.txt").unwrap();
    assert_eq!(latin.hunks[0].lines[0].text, "caf\u{fffd} cr\u{fffd}me");
    let link = c1.files.iter().find(|x| x.path() == "link").unwrap();
    assert_eq!(link.new_kind, Some(EntryKind::Symlink));
    assert!(link.hunks[0].lines[0].no_newline);

    let c3 = f
        .repo
        .diff_against_first_parent(f.id("c3"), &opts)
        .unwrap()
        .unwrap();
    let renamed = c3
        .files
        .iter()
        .find(|x| x.path() == "docs/manual.md")
        .unwrap();
    assert!(
        matches!(renamed.change, ChangeKind::Renamed { similarity } if (90..100).contains(&similarity)),
        "{:?}",
        renamed.change
    );
    assert_eq!(renamed.old_path.as_deref(), Some("docs/guide.md"));
    assert_eq!((renamed.additions, renamed.deletions), (1, 0));
    let h = &renamed.hunks[0];
    assert_eq!(h.header(), "@@ -38,3 +38,4 @@ Guide line 36");
    let add = h.lines.iter().find(|l| l.kind == LineKind::Add).unwrap();
    assert_eq!(
        (add.old_line, add.new_line, add.text.as_str()),
        (None, Some(41), "One more line")
    );

    let c2 = f
        .repo
        .diff_against_first_parent(f.id("c2"), &opts)
        .unwrap()
        .unwrap();
    let sub = c2.files.iter().find(|x| x.path() == "sub").unwrap();
    assert_eq!(
        (sub.change, sub.new_kind),
        (ChangeKind::Added, Some(EntryKind::Submodule))
    );
    assert_eq!(
        sub.hunks[0].lines[0].text,
        "Subproject commit 1234567890abcdef1234567890abcdef12345678"
    );

    let c6 = f
        .repo
        .diff_against_first_parent(f.id("c6"), &opts)
        .unwrap()
        .unwrap();
    let run = c6.files.iter().find(|x| x.path() == "run.sh").unwrap();
    assert_eq!(
        (run.change, run.old_kind, run.new_kind),
        (
            ChangeKind::Modified,
            Some(EntryKind::Executable),
            Some(EntryKind::File)
        )
    );

    // Limits.
    let small = DiffOptions {
        max_files: 3,
        max_total_lines: 5,
        ..DiffOptions::default()
    };
    let cut = f
        .repo
        .diff_against_first_parent(f.id("c1"), &small)
        .unwrap()
        .unwrap();
    assert!(cut.truncated);
    assert_eq!(cut.files.len(), 3);
    assert_eq!(cut.total_files, c1.files.len());
    let lines: usize = cut
        .files
        .iter()
        .flat_map(|x| &x.hunks)
        .map(|h| h.lines.len())
        .sum();
    assert_eq!(lines, 5);
    let per_file = DiffOptions {
        max_lines_per_file: 2,
        ..DiffOptions::default()
    };
    let cut = f
        .repo
        .diff_against_first_parent(f.id("c5"), &per_file)
        .unwrap()
        .unwrap();
    let big = cut.files.iter().find(|x| x.path() == "big.txt").unwrap();
    assert!(big.truncated && cut.truncated);
    assert_eq!((big.additions, big.deletions), (1, 0), "counts stay exact");
    let tiny_blobs = DiffOptions {
        max_blob_bytes: 1000,
        ..DiffOptions::default()
    };
    let cut = f
        .repo
        .diff_against_first_parent(f.id("c5"), &tiny_blobs)
        .unwrap()
        .unwrap();
    assert!(
        cut.files
            .iter()
            .find(|x| x.path() == "big.txt")
            .unwrap()
            .too_large
    );

    assert!(
        f.repo
            .diff_against_first_parent(Oid::ZERO, &opts)
            .unwrap()
            .is_none()
    );
    assert!(f.repo.commit_detail(Oid::ZERO).unwrap().is_none());
    assert!(f.repo.patch_text(Oid::ZERO).unwrap().is_none());
}

#[test]
fn diff_and_patch_text() {
    let f = fixture();
    // Plain modifications: byte for byte what git prints.
    for label in ["c4", "c5", "c6", "c2"] {
        let ours = f.repo.diff_bytes(f.id(label)).unwrap().unwrap();
        let parent = format!("{}^", f.c[label]);
        let theirs = git_bytes(&f.bare, &["diff", "-M", &parent, &f.c[label]]);
        assert_same_text(
            &String::from_utf8_lossy(&ours),
            &String::from_utf8_lossy(&theirs),
            &format!("diff of {label}"),
        );
    }
    let root = f.repo.diff_text(f.id("c1")).unwrap().unwrap();
    let theirs = git(&f.bare, &["diff", EMPTY_TREE, &f.c["c1"]]);
    assert_same_text(&root, &theirs, "diff of the root commit");

    let detail = f.repo.commit_detail(f.id("m")).unwrap().unwrap();
    assert_eq!(detail.parents, [f.id("c5"), f.id("c4")]);
    assert_eq!(detail.summary, "Merge feature/x");
    let c1 = f.repo.commit_detail(f.id("c1")).unwrap().unwrap();
    assert_eq!(c1.message, "Initial import\n\nWith a body.\n");
    assert!(c1.parents.is_empty());
    assert_eq!(
        (
            c1.author.name.as_str(),
            c1.author.time,
            c1.author.offset_seconds
        ),
        ("Ada Lovelace", 1_600_000_000, 3600)
    );
    assert_eq!(c1.committer.email, "cb@example.com");
    assert_eq!(
        c1.tree,
        oid(&f.git(&["rev-parse", &format!("{}^{{tree}}", f.c["c1"])]))
    );

    // The patch applies where git's would.
    for label in ["c3", "c5", "c6", "c1"] {
        let patch = f.repo.patch_bytes(f.id(label)).unwrap().unwrap();
        let text = String::from_utf8_lossy(&patch).into_owned();
        assert!(
            text.starts_with(&format!("From {} Mon Sep 17 00:00:00 2001\n", f.c[label])),
            "{text}"
        );
        assert!(text.contains("From: Ada Lovelace <ada@example.com>\n"));
        let check = f._dir.path().join(format!("check-{label}"));
        if label == "c1" {
            git(f._dir.path(), &["init", "-q", check.to_str().unwrap()]);
        } else {
            git(
                f._dir.path(),
                &[
                    "clone",
                    "-q",
                    f.bare.to_str().unwrap(),
                    check.to_str().unwrap(),
                ],
            );
            git(&check, &["checkout", "-q", &format!("{}^", f.c[label])]);
        }
        let pfile = check.join("p.patch");
        std::fs::write(&pfile, &patch).unwrap();
        git(
            &check,
            &["apply", "--check", "--index", pfile.to_str().unwrap()],
        );
        {
            git(&check, &["am", "-q", pfile.to_str().unwrap()]);
            let tree = git(&check, &["rev-parse", "HEAD^{tree}"]);
            let expected = f.git(&["rev-parse", &format!("{}^{{tree}}", f.c[label])]);
            assert_eq!(
                tree, expected,
                "git am of our {label}.patch gives the same tree"
            );
            let msg = git(&check, &["log", "-1", "--format=%B"]);
            assert_eq!(
                msg.trim_end(),
                f.git(&["log", "-1", "--format=%B", &f.c[label]]).trim_end()
            );
        }
    }
    let c1 = f.repo.patch_text(f.id("c1")).unwrap().unwrap();
    assert!(
        c1.contains("Subject: [PATCH] Initial import\n\nWith a body.\n---\n"),
        "{c1}"
    );
    assert!(c1.contains("GIT binary patch\nliteral "), "{c1}");
    let plain = f.repo.diff_text(f.id("c1")).unwrap().unwrap();
    assert!(plain.contains("Binary files /dev/null and b/bin.dat differ"));
}

#[test]
fn compare_branches() {
    let f = fixture();
    let cmp = f
        .repo
        .compare(f.id("c2"), f.id("c4"), 10, &DiffOptions::default())
        .unwrap()
        .unwrap();
    assert_eq!(cmp.merge_base, Some(f.id("c2")));
    assert_eq!(
        cmp.commits.iter().map(|c| c.id).collect::<Vec<_>>(),
        [f.id("c4")]
    );
    let paths: Vec<&str> = cmp.diff.files.iter().map(|x| x.path()).collect();
    assert_eq!(paths, ["feature.txt", "src/lib.rs"]);

    // main...feature/x after the merge: nothing new on feature.
    let cmp = f
        .repo
        .compare(f.id("c6"), f.id("c4"), 10, &DiffOptions::default())
        .unwrap()
        .unwrap();
    assert!(cmp.commits.is_empty() && cmp.diff.files.is_empty());
    assert_eq!(cmp.merge_base, Some(f.id("c4")));

    // feature/x...main: commits of main since the fork, bounded.
    let cmp = f
        .repo
        .compare(f.id("c4"), f.id("c6"), 2, &DiffOptions::default())
        .unwrap()
        .unwrap();
    let expected: Vec<Oid> = f
        .git(&["rev-list", "main", "^feature/x"])
        .lines()
        .map(oid)
        .collect();
    assert_eq!(expected.len(), 4);
    assert!(cmp.commits_truncated);
    assert_eq!(
        cmp.commits.iter().map(|c| c.id).collect::<Vec<_>>(),
        expected[..2]
    );
    let expected = numstat(&f, &f.c["c4"], &f.c["c6"]);
    assert_eq!(cmp.diff.files.len(), expected.len());

    assert!(
        f.repo
            .compare(Oid::ZERO, f.id("c6"), 10, &DiffOptions::default())
            .unwrap()
            .is_none()
    );
    assert_eq!(
        f.repo.merge_base(f.id("c5"), f.id("c4")).unwrap(),
        Some(f.id("c2"))
    );
}

/// Line (1-based) → commit, from `git blame --porcelain`.
fn git_blame(f: &Fixture, rev: &str, path: &str) -> Vec<Oid> {
    let out = f.git(&["blame", "--porcelain", rev, "--", path]);
    let mut by_line = Vec::new();
    for l in out.lines() {
        let parts: Vec<&str> = l.split(' ').collect();
        if parts.len() >= 3
            && parts[0].len() == 40
            && parts[0].bytes().all(|b| b.is_ascii_hexdigit())
        {
            let line: usize = parts[2].parse().unwrap();
            if by_line.len() < line {
                by_line.resize(line, Oid::ZERO);
            }
            by_line[line - 1] = oid(parts[0]);
        }
    }
    by_line
}

#[test]
fn blame_matches_git() {
    let f = fixture();
    check_blames(&f);
    let blame = f.repo.blame(f.id("c6"), "docs/manual.md").unwrap().unwrap();
    assert_eq!(blame.hunks[0].orig_path.as_deref(), Some("docs/guide.md"));
    assert_eq!(blame.lines[40], "One more line");
    let blame = f.repo.blame(f.id("c6"), "empty.txt").unwrap().unwrap();
    assert!(blame.lines.is_empty() && blame.hunks.is_empty());
    assert!(f.repo.blame(f.id("c6"), "src").unwrap().is_none());
    assert!(f.repo.blame(f.id("c6"), "nope").unwrap().is_none());
    assert!(f.repo.blame(Oid::ZERO, "README.md").unwrap().is_none());
}

fn check_blames(f: &Fixture) {
    for (rev, path) in [
        ("main", "src/lib.rs"),
        ("main", "docs/manual.md"),
        ("main", "README.md"),
        ("feature/x", "src/lib.rs"),
        ("main", SCRIPT_NAME),
        ("main", "link"),
    ] {
        let start = f.repo.resolve_tree_path(rev).unwrap().unwrap().commit;
        let blame = f.repo.blame(start, path).unwrap().unwrap();
        let expected = git_blame(f, rev, path);
        let mut ours = Vec::new();
        let mut next = 1;
        for h in &blame.hunks {
            assert_eq!(h.start_line, next, "hunks cover the file in order");
            next += h.len;
            ours.extend(std::iter::repeat_n(h.commit.id, h.len as usize));
        }
        assert_eq!(ours, expected, "blame {rev} {path}");
        assert_eq!(blame.lines.len(), expected.len());
        let reference = f.repo.blame_with_gix(start, path).unwrap().unwrap();
        let theirs: Vec<Oid> = reference
            .hunks
            .iter()
            .flat_map(|h| std::iter::repeat_n(h.commit.id, h.len as usize))
            .collect();
        assert_eq!(theirs, expected, "gix blame {rev} {path}");
        assert_eq!(reference.lines, blame.lines);
    }
}

/// Files of the tree as `(path, mode, content)` according to git.
fn git_files(f: &Fixture, rev: &str) -> Vec<(String, String, Vec<u8>)> {
    let mut out = Vec::new();
    for l in f
        .git(&["-c", "core.quotePath=false", "ls-tree", "-r", rev])
        .lines()
    {
        let (meta, path) = l.split_once('\t').unwrap();
        let parts: Vec<&str> = meta.split(' ').collect();
        if parts[1] != "blob" {
            continue;
        }
        let content = git_bytes(&f.bare, &["cat-file", "blob", parts[2]]);
        out.push((path.to_owned(), parts[0].to_owned(), content));
    }
    out.sort();
    out
}

#[test]
fn archives_stream_tar_gz_and_zip() {
    let f = fixture();
    let head = f.id("c6");
    let expected = git_files(&f, "main");
    let dir = f._dir.path();

    let mut tgz = Vec::new();
    f.repo
        .archive(head, ArchiveFormat::TarGz, "r-main", &mut tgz)
        .unwrap();
    std::fs::write(dir.join("a.tar.gz"), &tgz).unwrap();
    let out = dir.join("tar-out");
    std::fs::create_dir(&out).unwrap();
    let status = Command::new("tar")
        .args([
            "-xzf",
            dir.join("a.tar.gz").to_str().unwrap(),
            "-C",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    check_extracted(&out.join("r-main"), &expected);

    let mut zip = Vec::new();
    f.repo
        .archive(head, ArchiveFormat::Zip, "r-main/", &mut zip)
        .unwrap();
    std::fs::write(dir.join("a.zip"), &zip).unwrap();
    let out = dir.join("zip-out");
    let py = r#"
import sys, zipfile, os, stat
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
for i in z.infolist():
    mode = i.external_attr >> 16
    target = os.path.join(sys.argv[2], i.filename)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    data = z.read(i)
    if stat.S_ISLNK(mode):
        os.symlink(data.decode(), target)
    else:
        open(target, 'wb').write(data)
        os.chmod(target, mode & 0o777)
"#;
    let status = Command::new("python3")
        .args([
            "-c",
            py,
            dir.join("a.zip").to_str().unwrap(),
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    check_extracted(&out.join("r-main"), &expected);

    // No prefix; a bad prefix or commit is an error, not a panic.
    let mut plain = Vec::new();
    f.repo
        .archive(head, ArchiveFormat::Zip, "", &mut plain)
        .unwrap();
    assert!(
        f.repo
            .archive(head, ArchiveFormat::TarGz, "../evil", &mut Vec::new())
            .is_err()
    );
    assert!(
        f.repo
            .archive(Oid::ZERO, ArchiveFormat::Zip, "x", &mut Vec::new())
            .is_err()
    );
    // A failing writer (client gone) ends with an I/O error.
    struct Failing(usize);
    impl std::io::Write for Failing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "gone"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    for format in [ArchiveFormat::Zip, ArchiveFormat::TarGz] {
        let err = f
            .repo
            .archive(head, format, "x", &mut Failing(1000))
            .unwrap_err();
        assert!(
            matches!(err, hatchery_git::Error::Io(_)),
            "{format:?}: {err:?}"
        );
    }
}

fn check_extracted(root: &Path, expected: &[(String, String, Vec<u8>)]) {
    for (path, mode, content) in expected {
        let p = root.join(path);
        let meta = std::fs::symlink_metadata(&p).unwrap_or_else(|_| panic!("{path} extracted"));
        if mode == "120000" {
            assert!(meta.file_type().is_symlink(), "{path}");
            assert_eq!(
                std::fs::read_link(&p).unwrap().to_str().unwrap().as_bytes(),
                content.as_slice()
            );
        } else {
            assert_eq!(&std::fs::read(&p).unwrap(), content, "{path}");
            let exec = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0;
            assert_eq!(exec, mode == "100755", "{path} mode");
        }
    }
    let mut count = 0;
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                count += 1;
            }
        }
    }
    assert_eq!(count, expected.len());
}

/// Times `log -- path` and `last_commits` on a synthetic history made by the shared
/// benchmark script (3000 commits by default; set HATCHERY_BENCH_COMMITS, or point
/// HATCHERY_BENCH_REPO at an existing bare repository). Prints, asserts nothing on time.
#[test]
fn timing_on_synthetic_history() {
    let script = Path::new("/work/shared/bench/make-repo.py");
    let dir = tempfile::tempdir().unwrap();
    let path = match std::env::var("HATCHERY_BENCH_REPO") {
        Ok(p) => PathBuf::from(p),
        Err(_) => {
            if !script.exists() {
                eprintln!("skipped: {} not found", script.display());
                return;
            }
            let commits = std::env::var("HATCHERY_BENCH_COMMITS").unwrap_or_else(|_| "3000".into());
            let path = dir.path().join("bench.git");
            let t = std::time::Instant::now();
            let status = Command::new("python3")
                .args([
                    script.to_str().unwrap(),
                    path.to_str().unwrap(),
                    "--commits",
                    &commits,
                ])
                .env(
                    "PATH",
                    format!(
                        "/usr/local/bin:{}",
                        std::env::var("PATH").unwrap_or_default()
                    ),
                )
                .status()
                .unwrap();
            assert!(status.success());
            eprintln!("generated {commits} commits in {:?}", t.elapsed());
            path
        }
    };
    // `git gc` writes a commit-graph of its own: measure without one first.
    let _ = std::fs::remove_file(path.join("objects/info/commit-graph"));
    let repo = Repository::open(&path).unwrap();
    let head = repo.resolve_tree_path("main").unwrap().unwrap().commit;
    let files: Vec<String> = git(&path, &["ls-tree", "-r", "--name-only", "main"])
        .lines()
        .map(str::to_owned)
        .collect();
    let file = files
        .iter()
        .find(|p| p.starts_with("src/m3/"))
        .unwrap()
        .clone();
    let dirs = ["", "src", "src/m3/sub3"];

    let run = |label: &str| {
        let t = std::time::Instant::now();
        let mut walk = repo.log_walk(head, Some(&file)).unwrap().unwrap();
        let first = walk.next().unwrap().unwrap();
        let ttfb = t.elapsed();
        let page: Vec<_> = std::iter::once(first)
            .chain(walk.by_ref().take(34).map(|c| c.unwrap()))
            .collect();
        let page_time = t.elapsed();
        let all = repo.log(head, Some(&file), 0, usize::MAX).unwrap();
        let all_time = t.elapsed() - page_time;
        eprintln!(
            "[{label}] log -- {file}: first commit {ttfb:?}, first page of {} {page_time:?}, all {} commits {all_time:?}",
            page.len(),
            all.len()
        );
        let t = std::time::Instant::now();
        let whole = repo.log(head, None, 0, 50).unwrap();
        eprintln!("[{label}] log (no path) first 50: {:?}", t.elapsed());
        assert_eq!(whole.len(), 50);
        let t = std::time::Instant::now();
        let deep = repo.log(head, None, 2900, 50).unwrap();
        eprintln!(
            "[{label}] log (no path) skip 2900: {:?} ({} commits)",
            t.elapsed(),
            deep.len()
        );
        for d in dirs {
            let names: Vec<String> = repo
                .tree(head, d)
                .unwrap()
                .unwrap()
                .into_iter()
                .map(|e| e.name)
                .collect();
            let t = std::time::Instant::now();
            let got = repo.last_commits(head, d, &names).unwrap();
            eprintln!(
                "[{label}] last_commits {d:?}: {} of {} entries in {:?}",
                got.len(),
                names.len(),
                t.elapsed()
            );
        }
        let t = std::time::Instant::now();
        let reference = repo.blame_with_gix(head, &file).unwrap().unwrap();
        eprintln!(
            "[{label}] gix blame_file {file}: {} hunks in {:?}",
            reference.hunks.len(),
            t.elapsed()
        );
        let t = std::time::Instant::now();
        let blame = repo.blame(head, &file).unwrap().unwrap();
        eprintln!(
            "[{label}] blame {file}: {} lines, {} hunks in {:?}",
            blame.lines.len(),
            blame.hunks.len(),
            t.elapsed()
        );
        let per_line = |b: &hatchery_git::Blame| -> Vec<Oid> {
            b.hunks
                .iter()
                .flat_map(|h| std::iter::repeat_n(h.commit.id, h.len as usize))
                .collect()
        };
        assert_eq!(
            per_line(&blame),
            per_line(&reference),
            "blame agrees with gix"
        );
        all
    };
    let expected: Vec<Oid> = git(&path, &["log", "--format=%H", "main", "--", &file])
        .lines()
        .map(oid)
        .collect();
    let without = run("no commit-graph");
    assert_eq!(without.iter().map(|c| c.id).collect::<Vec<_>>(), expected);
    let t = std::time::Instant::now();
    let stats = repo.write_commit_graph().unwrap();
    eprintln!(
        "write_commit_graph: {} commits, {} bytes in {:?}",
        stats.commits,
        stats.bytes,
        t.elapsed()
    );
    let t = std::time::Instant::now();
    let stats = repo.write_commit_graph().unwrap();
    eprintln!(
        "write_commit_graph refresh: {} decoded in {:?}",
        stats.decoded,
        t.elapsed()
    );
    let with = run("commit-graph");
    assert_eq!(with.iter().map(|c| c.id).collect::<Vec<_>>(), expected);
    let t = std::time::Instant::now();
    git(&path, &["log", "--format=%H", "main", "--", &file]);
    eprintln!("git log -- {file} (for reference): {:?}", t.elapsed());
}

#[test]
fn handles_cross_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<hatchery_git::LogWalk>();
    send::<hatchery_git::BlobStream>();
    send_sync::<Repository>();
}
