//! History, commit, compare and blame pages over a repository created through the web and
//! filled by pushing with the real git client: pagination, path history, `.patch`/`.diff`,
//! renames, binary and huge files, a file named `<script>alert(1)</script>.txt`, a branch
//! with a `/`, tags, merges, unrelated histories, permissions and bad input — on every
//! backend.

mod support;

use axum::http::{StatusCode, header};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use support::{Resp, TestApp};

const T0: i64 = 1_700_000_000;
const SCRIPT: &str = "<script>alert(1)</script>";
const SCRIPT_PATH: &str = "<script>alert(1)</script>.txt";
const SCRIPT_URL: &str = "%3Cscript%3Ealert(1)%3C/script%3E.txt";
const COUNTERS: usize = 60;

/// A repository built once with the git CLI, pushed into each test's bare repositories.
struct Fixture {
    _dir: tempfile::TempDir,
    work: PathBuf,
    /// Commit ids by name.
    ids: HashMap<&'static str, String>,
}

impl Fixture {
    fn id(&self, name: &str) -> &str {
        &self.ids[name]
    }
}

fn git_cmd(dir: &Path, ts: i64) -> Command {
    let mut cmd = hatchery_testkit::git::command(dir);
    cmd.env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Charles Babbage")
        .env("GIT_COMMITTER_EMAIL", "cb@example.com")
        .env("GIT_AUTHOR_DATE", format!("@{ts} +0000"))
        .env("GIT_COMMITTER_DATE", format!("@{ts} +0000"));
    cmd
}

fn git_at(dir: &Path, ts: i64, args: &[&str]) -> String {
    String::from_utf8_lossy(&hatchery_testkit::git::run_bytes(
        &mut git_cmd(dir, ts),
        args,
    ))
    .into_owned()
}

fn write(dir: &Path, path: &str, data: &[u8]) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, data).expect("write");
}

/// The next commit's time: an hour after the previous one.
fn tick(ts: &mut i64) -> i64 {
    *ts += 3600;
    *ts
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

fn build_fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temporary directory");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let mut ts = T0;
    let mut ids = HashMap::new();
    let w = work.as_path();
    git_at(w, T0, &["init", "-q", "-b", "main"]);
    let commit = |ts: i64, message: &str| {
        git_at(w, ts, &["add", "-A"]);
        git_at(w, ts, &["commit", "-q", "--allow-empty", "-m", message]);
        git_at(w, ts, &["rev-parse", "HEAD"]).trim().to_owned()
    };

    write(w, "README.md", b"# Demo\n\nA demo repository.\n");
    write(
        w,
        "src/main.rs",
        b"fn main() {\n    let answer = 42;\n    println!(\"{answer}\");\n}\n",
    );
    let guide: String = (1..=10).map(|i| format!("Guide line {i}\n")).collect();
    write(w, "docs/guide.txt", guide.as_bytes());
    write(w, "counter.txt", b"0\n");
    ids.insert("c1", commit(tick(&mut ts), "Initial commit"));

    write(
        w,
        "src/main.rs",
        b"fn main() {\n    let answer = 42;\n    println!(\"{answer}\");\n    println!(\"hello from the second commit\");\n}\n",
    );
    write(w, SCRIPT_PATH, format!("{SCRIPT}\n").as_bytes());
    ids.insert(
        "c2",
        commit(
            tick(&mut ts),
            "Add a greeting and <b>odd</b> files\n\nSecond paragraph of the message.\nWith <i>markup</i> that stays text.",
        ),
    );
    git_at(w, ts, &["tag", "light"]);

    git_at(w, ts, &["mv", "docs/guide.txt", "docs/manual.txt"]);
    write(
        w,
        "docs/manual.txt",
        guide.replace("Guide line 10", "Manual line 10").as_bytes(),
    );
    ids.insert("c3", commit(tick(&mut ts), "Rename the guide"));

    let logo: Vec<u8> = (0..2048u32).map(|i| (i % 256) as u8).collect();
    write(w, "logo.bin", &logo);
    ids.insert("c4", commit(tick(&mut ts), "Add a logo"));
    git_at(w, ts, &["tag", "-a", "v1.0", "-m", "Release 1.0"]);

    let big: String = (1..=3500).map(|i| format!("big line {i}\n")).collect();
    write(w, "big.txt", big.as_bytes());
    ids.insert("c5", commit(tick(&mut ts), "Add a big file"));

    let huge_line = format!("{}\n", "h".repeat(999));
    write(w, "huge.txt", huge_line.repeat(1100).as_bytes());
    ids.insert("c6", commit(tick(&mut ts), "Add a huge file"));

    write(w, "latin1.txt", b"caf\xe9\n");
    ids.insert("c7", commit(tick(&mut ts), "Add Latin-1 notes"));

    // A branch with a slash, from here.
    git_at(w, ts, &["branch", "feature/x"]);
    for n in 1..=COUNTERS {
        write(w, "counter.txt", format!("{n}\n").as_bytes());
        let id = commit(tick(&mut ts), &format!("Count to {n}"));
        if n == COUNTERS {
            ids.insert("main", id);
        }
    }

    git_at(w, ts, &["checkout", "-q", "feature/x"]);
    write(w, "feature.txt", b"The feature.\n");
    ids.insert("f1", commit(tick(&mut ts), "Add the feature"));
    write(
        w,
        "README.md",
        b"# Demo\n\nA demo repository, with a feature.\n",
    );
    ids.insert("f2", commit(tick(&mut ts), "Polish the feature"));

    // A merge commit on its own branch.
    git_at(w, ts, &["checkout", "-q", "-b", "integration", "main"]);
    git_at(
        w,
        tick(&mut ts),
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge feature/x",
            "feature/x",
        ],
    );
    ids.insert(
        "merge",
        git_at(w, ts, &["rev-parse", "HEAD"]).trim().to_owned(),
    );

    // Unrelated history.
    git_at(w, ts, &["checkout", "-q", "--orphan", "orphan"]);
    git_at(w, ts, &["rm", "-rq", "--cached", "."]);
    for entry in std::fs::read_dir(w).expect("read work tree") {
        let p = entry.expect("entry").path();
        if p.file_name().is_some_and(|n| n != ".git") {
            if p.is_dir() {
                std::fs::remove_dir_all(&p).expect("rm dir");
            } else {
                std::fs::remove_file(&p).expect("rm file");
            }
        }
    }
    write(w, "other.txt", b"Another story.\n");
    ids.insert("orphan", commit(tick(&mut ts), "Start another story"));
    git_at(w, ts, &["checkout", "-q", "main"]);

    Fixture {
        _dir: dir,
        work,
        ids,
    }
}

/// Signs up `ada`, creates `ada/<name>` through the web and pushes the fixture into it.
async fn setup(app: &mut TestApp, name: &str, private: bool) -> &'static Fixture {
    if app.get("/ada").await.status != StatusCode::OK {
        app.sign_up("ada").await;
    }
    let mut fields = vec![("owner", "ada"), ("name", name)];
    if private {
        fields.push(("private", "on"));
    }
    let r = app.post_form("/repo/create", &fields).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "[{}] {}",
        app.label(),
        r.body
    );
    let fx = fixture();
    let bare = app.repos_dir.path().join(format!("ada/{name}.git"));
    assert!(bare.join("HEAD").exists(), "{}", bare.display());
    git_at(
        &fx.work,
        T0,
        &[
            "push",
            "-q",
            bare.to_str().expect("utf-8 path"),
            "refs/heads/*:refs/heads/*",
            "refs/tags/*:refs/tags/*",
        ],
    );
    fx
}

/// The status, and that no page ever carries the script unescaped.
#[track_caller]
fn check(r: &Resp, status: StatusCode, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert!(
        !r.body.contains("<script>alert"),
        "{what}: unescaped script:\n{}",
        r.body
    );
    assert!(!r.body.contains("<b>odd</b>"), "{what}: unescaped markup");
}

/// The text from `start` up to `end`.
#[track_caller]
fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} missing:\n{text}"));
    let to = from
        + text[from..]
            .find(end)
            .unwrap_or_else(|| panic!("{end:?} missing"));
    text[from..to].to_owned()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[tokio::test]
async fn history_pages_paginate_and_follow_paths() {
    for mut app in TestApp::all().await {
        let fx = setup(&mut app, "demo", false).await;
        let label = app.label().to_owned();

        let first = app.get("/ada/demo/commits/main").await;
        check(&first, StatusCode::OK, "history");
        assert_eq!(count(&first.body, "class=\"commit-row\""), 50, "[{label}]");
        first.assert_contains("Count to 60");
        first.assert_contains(&format!("href=\"/ada/demo/commit/{}\"", fx.id("main")));
        first.assert_contains(&fx.id("main")[..7]);
        first.assert_contains("Ada Lovelace");
        first.assert_contains("id=\"older\" href=\"/ada/demo/commits/main?page=2\"");
        assert!(!first.body.contains("id=\"newer\""));
        // Absolute time in the title, the ref picker and the breadcrumbs.
        first.assert_contains("title=\"2023-11-");
        first.assert_contains("class=\"ref-picker\"");
        first.assert_contains("href=\"/ada/demo/commits/feature/x\"");
        first.assert_contains("class=\"breadcrumbs\"");

        let second = app.get("/ada/demo/commits/main?page=2").await;
        check(&second, StatusCode::OK, "history page 2");
        // 7 commits before the counters, 60 counters: 17 on the second page.
        assert_eq!(count(&second.body, "class=\"commit-row\""), 17, "[{label}]");
        second.assert_contains("Initial commit");
        second.assert_contains("id=\"newer\" href=\"/ada/demo/commits/main\"");
        assert!(!second.body.contains("id=\"older\""));
        // The newest commit is on page one only.
        assert!(!second.body.contains("Count to 60<"));

        let default = app.get("/ada/demo/commits").await;
        check(&default, StatusCode::OK, "default history");
        assert_eq!(count(&default.body, "class=\"commit-row\""), 50);

        // Path history: only the commits that changed the path.
        let path = app.get("/ada/demo/commits/main/src/main.rs").await;
        check(&path, StatusCode::OK, "path history");
        assert_eq!(
            count(&path.body, "class=\"commit-row\""),
            2,
            "{}",
            path.body
        );
        path.assert_contains(&format!("/ada/demo/commit/{}", fx.id("c1")));
        path.assert_contains(&format!("/ada/demo/commit/{}", fx.id("c2")));
        path.assert_contains("href=\"/ada/demo/commits/main/src\"");
        assert!(!path.body.contains("id=\"pager\""));
        let dir = app.get("/ada/demo/commits/main/docs").await;
        assert_eq!(count(&dir.body, "class=\"commit-row\""), 2);
        dir.assert_contains("Rename the guide");
        let renamed = app.get("/ada/demo/commits/main/docs/manual.txt").await;
        assert_eq!(count(&renamed.body, "class=\"commit-row\""), 1);
        let counter = app.get("/ada/demo/commits/main/counter.txt?page=2").await;
        assert_eq!(count(&counter.body, "class=\"commit-row\""), 11);

        // The escaped path's history.
        let script = app
            .get(&format!("/ada/demo/commits/main/{SCRIPT_URL}"))
            .await;
        check(&script, StatusCode::OK, "script path history");
        assert_eq!(count(&script.body, "class=\"commit-row\""), 1);
        script.assert_contains("Add a greeting and &lt;b&gt;odd&lt;/b&gt; files");
        script.assert_contains("script&gt;.txt");

        // Branches with a slash, tags, commit ids.
        let feature = app.get("/ada/demo/commits/feature/x").await;
        check(&feature, StatusCode::OK, "feature history");
        feature.assert_contains("Polish the feature");
        assert!(!feature.body.contains("Count to 1<"));
        let feature_path = app.get("/ada/demo/commits/feature/x/feature.txt").await;
        assert_eq!(count(&feature_path.body, "class=\"commit-row\""), 1);
        feature_path.assert_contains("Add the feature");
        let tag = app.get("/ada/demo/commits/v1.0").await;
        check(&tag, StatusCode::OK, "tag history");
        assert_eq!(count(&tag.body, "class=\"commit-row\""), 4);
        let by_id = app
            .get(&format!("/ada/demo/commits/{}", &fx.id("c2")[..8]))
            .await;
        assert_eq!(count(&by_id.body, "class=\"commit-row\""), 2);

        // Pages past the end, and page numbers that are not numbers.
        for q in [
            "?page=3",
            "?page=99999999999999999999999999",
            "?page=18446744073709551615",
        ] {
            let r = app.get(&format!("/ada/demo/commits/main{q}")).await;
            check(&r, StatusCode::OK, q);
            r.assert_contains("id=\"no-more\"");
        }
        for q in ["?page=abc", "?page=-1", "?page=0", "?page=", "?page=%FF"] {
            let r = app.get(&format!("/ada/demo/commits/main{q}")).await;
            check(&r, StatusCode::OK, q);
            assert_eq!(count(&r.body, "class=\"commit-row\""), 50, "{q}");
        }
    }
}

#[tokio::test]
async fn commit_pages_show_message_people_parents_and_diff() {
    for mut app in TestApp::all().await {
        let fx = setup(&mut app, "demo", false).await;
        let c2 = fx.id("c2");

        let page = app.get(&format!("/ada/demo/commit/{c2}")).await;
        check(&page, StatusCode::OK, "commit page");
        page.assert_contains("Add a greeting and &lt;b&gt;odd&lt;/b&gt; files");
        page.assert_contains(
            "Second paragraph of the message.\nWith &lt;i&gt;markup&lt;/i&gt; that stays text.",
        );
        page.assert_contains("Ada Lovelace");
        page.assert_contains("Charles Babbage");
        page.assert_contains(&format!("href=\"/ada/demo/commit/{}\"", fx.id("c1")));
        page.assert_contains(&format!("id=\"browse-files\" href=\"/ada/demo/tree/{c2}\""));
        page.assert_contains(&format!("href=\"/ada/demo/commit/{c2}.patch\""));
        page.assert_contains(&format!("href=\"/ada/demo/commit/{c2}.diff\""));
        page.assert_contains("Files changed: 2");
        page.assert_contains("+2");
        page.assert_contains("src/main.rs");
        page.assert_contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt");
        page.assert_contains("class=\"diff-add\"");
        page.assert_contains("class=\"diff-ctx\"");
        page.assert_contains("@@ -1,4 +1,5 @@");
        // Rust is highlighted in the diff; the script file's content is escaped.
        page.assert_contains("<span class=\"hl-");
        page.assert_contains("&lt;script&gt;alert(1)&lt;/script&gt;</code>");
        page.assert_contains(&format!("href=\"/ada/demo/blob/{c2}/src/main.rs\""));

        // Abbreviated ids, and the same diff from the cache.
        let short = app.get(&format!("/ada/demo/commit/{}", &c2[..7])).await;
        check(&short, StatusCode::OK, "abbreviated id");
        let diff_part = |r: &Resp| between(&r.body, "id=\"diff-stats\"", "</main>");
        assert_eq!(diff_part(&short), diff_part(&page));

        // The root commit has no parents.
        let root = app.get(&format!("/ada/demo/commit/{}", fx.id("c1"))).await;
        check(&root, StatusCode::OK, "root commit");
        root.assert_contains("None: this is the first commit.");
        root.assert_contains("Files changed: 4");
        root.assert_contains("class=\"diff-change change-added\"");

        // A rename with its similarity.
        let rename = app.get(&format!("/ada/demo/commit/{}", fx.id("c3"))).await;
        check(&rename, StatusCode::OK, "rename");
        rename.assert_contains("docs/guide.txt → docs/manual.txt");
        rename.assert_contains("renamed (");
        rename.assert_contains("% similar)");
        rename.assert_contains("Manual line 10");

        // A binary file is named, not shown.
        let binary = app.get(&format!("/ada/demo/commit/{}", fx.id("c4"))).await;
        check(&binary, StatusCode::OK, "binary");
        binary.assert_contains("logo.bin");
        binary.assert_contains("Binary file changed.");
        assert!(!binary.body.contains("@@ "));

        // A big file is cut short, with links to the whole diff and patch.
        let c5 = fx.id("c5");
        let big = app.get(&format!("/ada/demo/commit/{c5}")).await;
        check(&big, StatusCode::OK, "big");
        big.assert_contains("id=\"diff-truncated\"");
        big.assert_contains("class=\"diff-note diff-file-truncated\"");
        big.assert_contains(&format!("href=\"/ada/demo/commit/{c5}.diff\""));
        big.assert_contains("big line 3000");
        assert!(!big.body.contains("big line 3001<"));

        // A huge file still renders; a non-UTF-8 file too.
        let huge = app.get(&format!("/ada/demo/commit/{}", fx.id("c6"))).await;
        check(&huge, StatusCode::OK, "huge");
        huge.assert_contains("huge.txt");
        let latin = app.get(&format!("/ada/demo/commit/{}", fx.id("c7"))).await;
        check(&latin, StatusCode::OK, "latin-1");
        latin.assert_contains("caf\u{FFFD}");

        // A merge: both parents, and the note that the diff is against the first.
        let merge = app
            .get(&format!("/ada/demo/commit/{}", fx.id("merge")))
            .await;
        check(&merge, StatusCode::OK, "merge");
        merge.assert_contains("id=\"merge-note\"");
        merge.assert_contains(&format!("href=\"/ada/demo/commit/{}\"", fx.id("main")));
        merge.assert_contains(&format!("href=\"/ada/demo/commit/{}\"", fx.id("f2")));
        merge.assert_contains("feature.txt");

        // In Chinese.
        let zh = app
            .get_with(
                &format!("/ada/demo/commit/{c2}"),
                &[("accept-language", "zh-CN")],
            )
            .await;
        check(&zh, StatusCode::OK, "zh-CN");
        zh.assert_contains("变更文件：2");
        zh.assert_contains("作者");
        zh.assert_contains("提交者");
    }
}

#[tokio::test]
async fn patch_and_diff_views_are_plain_text() {
    for mut app in TestApp::all().await {
        let fx = setup(&mut app, "demo", false).await;
        let c2 = fx.id("c2");

        let patch = app.get(&format!("/ada/demo/commit/{c2}.patch")).await;
        assert_eq!(patch.status, StatusCode::OK, "{}", patch.body);
        assert_eq!(
            patch.headers[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        assert_eq!(patch.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            patch.headers[header::CACHE_CONTROL],
            "public, max-age=86400"
        );
        assert!(
            patch
                .body
                .starts_with(&format!("From {c2} Mon Sep 17 00:00:00 2001\n")),
            "{}",
            patch.body
        );
        patch.assert_contains("From: Ada Lovelace <ada@example.com>");
        patch.assert_contains("Subject: [PATCH] Add a greeting and <b>odd</b> files");
        patch.assert_contains("+    println!(\"hello from the second commit\");");
        // The exact bytes: plain text, never markup.
        patch.assert_contains(SCRIPT);

        let diff = app.get(&format!("/ada/demo/commit/{c2}.diff")).await;
        assert_eq!(diff.status, StatusCode::OK);
        assert_eq!(
            diff.headers[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        assert_eq!(diff.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(diff.body.starts_with("diff --git a/"), "{}", diff.body);
        // Exactly what git says.
        let theirs = git_at(&fx.work, T0, &["diff", "-M", fx.id("c1"), c2]);
        assert_eq!(diff.body, theirs);

        // Abbreviated: the same bytes, but not cached for long (the id might become
        // ambiguous).
        let short = app
            .get(&format!("/ada/demo/commit/{}.diff", &c2[..10]))
            .await;
        assert_eq!(short.body, diff.body);
        assert_eq!(short.headers[header::CACHE_CONTROL], "no-cache");

        // The big file is whole here.
        let big = app
            .get(&format!("/ada/demo/commit/{}.diff", fx.id("c5")))
            .await;
        big.assert_contains("+big line 3500\n");

        for bad in ["nope.patch", "0000000.diff", ".patch", "zz.diff"] {
            let r = app.get(&format!("/ada/demo/commit/{bad}")).await;
            check(&r, StatusCode::NOT_FOUND, bad);
        }
    }
}

#[tokio::test]
async fn compare_lists_commits_and_the_combined_diff() {
    for mut app in TestApp::all().await {
        let fx = setup(&mut app, "demo", false).await;

        let r = app.get("/ada/demo/compare/main...feature/x").await;
        check(&r, StatusCode::OK, "compare");
        r.assert_contains("Commits: 2");
        assert_eq!(count(&r.body, "class=\"commit-row\""), 2);
        r.assert_contains("Add the feature");
        r.assert_contains("Polish the feature");
        r.assert_contains("feature.txt");
        r.assert_contains("README.md");
        r.assert_contains("Files changed: 2");
        r.assert_contains("id=\"compare-swap\" href=\"/ada/demo/compare/feature/x...main\"");
        r.assert_contains("id=\"compare-form\"");
        r.assert_contains(&format!(
            "href=\"/ada/demo/blob/{}/feature.txt\"",
            fx.id("f2")
        ));
        assert!(!r.body.contains("counter.txt"));
        // From the cache, the same.
        let again = app.get("/ada/demo/compare/main...feature/x").await;
        let diff_part = |r: &Resp| between(&r.body, "id=\"diff-stats\"", "</main>");
        assert_eq!(diff_part(&again), diff_part(&r));
        again.assert_contains("Commits: 2");

        let swapped = app.get("/ada/demo/compare/feature/x...main").await;
        check(&swapped, StatusCode::OK, "swapped");
        swapped.assert_contains(&format!("Commits: {COUNTERS}"));
        swapped.assert_contains("counter.txt");

        let lone = app.get("/ada/demo/compare/feature/x").await;
        check(&lone, StatusCode::OK, "head only");
        lone.assert_contains("Commits: 2");

        let tag = app.get("/ada/demo/compare/v1.0...feature/x").await;
        check(&tag, StatusCode::OK, "tag base");
        tag.assert_contains("Commits: 5");

        let ids = app
            .get(&format!(
                "/ada/demo/compare/{}...{}",
                &fx.id("c1")[..7],
                fx.id("c2")
            ))
            .await;
        check(&ids, StatusCode::OK, "ids");
        ids.assert_contains("Commits: 1");
        ids.assert_contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt");

        let same = app.get("/ada/demo/compare/main...main").await;
        check(&same, StatusCode::OK, "same");
        same.assert_contains("id=\"compare-nothing\"");

        let unrelated = app.get("/ada/demo/compare/main...orphan").await;
        check(&unrelated, StatusCode::OK, "unrelated");
        unrelated.assert_contains("id=\"compare-unrelated\"");
        unrelated.assert_contains("other.txt");

        let form = app
            .get("/ada/demo/compare?base=main&head=feature%2Fx")
            .await;
        assert_eq!(form.status, StatusCode::SEE_OTHER);
        assert_eq!(form.location(), "/ada/demo/compare/main...feature/x");
        let form = app.get("/ada/demo/compare").await;
        assert_eq!(form.location(), "/ada/demo/compare/main...main");

        for bad in [
            "main...nope",
            "nope...main",
            "main....feature/x",
            "main...feature/x/extra",
        ] {
            let r = app.get(&format!("/ada/demo/compare/{bad}")).await;
            check(&r, StatusCode::NOT_FOUND, bad);
            r.assert_contains("id=\"not-found-message\"");
        }
    }
}

#[tokio::test]
async fn blame_attributes_lines_to_commits() {
    for mut app in TestApp::all().await {
        let fx = setup(&mut app, "demo", false).await;
        let (c1, c2, c3) = (fx.id("c1"), fx.id("c2"), fx.id("c3"));

        let r = app.get("/ada/demo/blame/main/src/main.rs").await;
        check(&r, StatusCode::OK, "blame");
        // Lines 1-3 and 5 from the first commit, line 4 from the second.
        let row = |n: u32, hunk: usize, commit: &str, len: u32| {
            format!(
                "<tr class=\"blame-start\" id=\"L{n}\" data-hunk=\"{hunk}\"><td class=\"blame-info\" rowspan=\"{len}\"><a class=\"blame-summary\" href=\"/ada/demo/commit/{commit}\""
            )
        };
        r.assert_contains(&row(1, 0, c1, 3));
        r.assert_contains(&row(4, 1, c2, 1));
        r.assert_contains(&row(5, 2, c1, 1));
        r.assert_contains("<tr id=\"L2\" data-hunk=\"0\">");
        r.assert_contains("href=\"#L4\" data-line=\"4\"");
        r.assert_contains("hello from the second commit");
        r.assert_contains("<span class=\"hl-");
        r.assert_contains("Ada Lovelace");
        r.assert_contains("years ago");
        r.assert_contains("href=\"/ada/demo/raw/main/src/main.rs\"");
        r.assert_contains("href=\"/ada/demo/commits/main/src/main.rs\"");
        // From the cache, the same.
        let again = app.get("/ada/demo/blame/main/src/main.rs").await;
        let table = |r: &Resp| between(&r.body, "id=\"blame\"", "</main>");
        assert_eq!(table(&again), table(&r));

        // Renames are followed.
        let manual = app.get("/ada/demo/blame/main/docs/manual.txt").await;
        check(&manual, StatusCode::OK, "renamed");
        manual.assert_contains(&row(1, 0, c1, 9));
        manual.assert_contains(&row(10, 1, c3, 1));
        manual.assert_contains("from docs/guide.txt");

        // At a tag, at a commit.
        let tag = app.get("/ada/demo/blame/light/src/main.rs").await;
        check(&tag, StatusCode::OK, "tag");
        tag.assert_contains(&row(4, 1, c2, 1));
        let old = app.get(&format!("/ada/demo/blame/{c1}/src/main.rs")).await;
        check(&old, StatusCode::OK, "old");
        old.assert_contains(&row(1, 0, c1, 4));

        let script = app.get(&format!("/ada/demo/blame/main/{SCRIPT_URL}")).await;
        check(&script, StatusCode::OK, "script");
        script.assert_contains("&lt;script&gt;alert(1)&lt;/script&gt;");

        let binary = app.get("/ada/demo/blame/main/logo.bin").await;
        check(&binary, StatusCode::OK, "binary");
        binary.assert_contains("id=\"binary-notice\"");
        binary.assert_contains("href=\"/ada/demo/raw/main/logo.bin\"");
        let huge = app.get("/ada/demo/blame/main/huge.txt").await;
        check(&huge, StatusCode::OK, "huge");
        huge.assert_contains("id=\"too-large-notice\"");
        huge.assert_contains("href=\"/ada/demo/raw/main/huge.txt\"");

        let dir = app.get("/ada/demo/blame/main/src").await;
        assert_eq!(dir.status, StatusCode::SEE_OTHER);
        assert_eq!(dir.location(), "/ada/demo/tree/main/src");

        let zh = app
            .get_with(
                "/ada/demo/blame/main/src/main.rs",
                &[("accept-language", "zh-CN")],
            )
            .await;
        zh.assert_contains("年前");
    }
}

#[tokio::test]
async fn missing_refs_paths_and_ids_are_helpful_404s() {
    for mut app in TestApp::all().await {
        let fx = setup(&mut app, "demo", false).await;
        let long = format!("/ada/demo/commits/{}", "a/".repeat(3000));
        let zero = format!("/ada/demo/commit/{}", "0".repeat(40));
        let cases: Vec<(String, &str)> = vec![
            ("/ada/demo/commits/nope".into(), "nope"),
            ("/ada/demo/commits/feature/y".into(), "feature/y"),
            ("/ada/demo/commits/main/nope.txt".into(), "nope.txt"),
            ("/ada/demo/commits/main/../../etc/passwd".into(), ""),
            (long, ""),
            ("/ada/demo/commit/nope".into(), "nope"),
            ("/ada/demo/commit/abc".into(), "abc"),
            ("/ada/demo/commit/zzzzzzz".into(), ""),
            (zero, "0000000000"),
            ("/ada/demo/commit/..%2F..%2Fetc".into(), ""),
            (
                "/ada/demo/commit/%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(),
                "&lt;script&gt;",
            ),
            ("/ada/demo/blame/main/nope.txt".into(), "nope.txt"),
            ("/ada/demo/blame/nope/src/main.rs".into(), "nope"),
            ("/ada/demo/blame/main/src/../../x".into(), ""),
            (
                format!("/ada/demo/blame/main/{SCRIPT_URL}x"),
                "&lt;script&gt;",
            ),
            ("/ada/demo/compare/nope...main".into(), "nope"),
            ("/ada/nope/commits/main".into(), ""),
            ("/nobody/demo/commit/abcdef".into(), ""),
        ];
        for (path, mention) in &cases {
            let r = app.get(path).await;
            check(&r, StatusCode::NOT_FOUND, path);
            assert!(
                r.body.contains(mention),
                "{path}: {mention:?} missing:\n{}",
                r.body
            );
        }
        // The helpful page keeps the repository's frame and names what is missing.
        let r = app.get("/ada/demo/commits/nope").await;
        r.assert_contains("id=\"not-found-message\"");
        r.assert_contains("href=\"/ada/demo/branches\"");
        let r = app.get("/ada/demo/commits/main/nope.txt").await;
        r.assert_contains("id=\"no-history\"");
        // A commit id that is a blob, not a commit.
        let blob = git_at(
            &fx.work,
            T0,
            &["rev-parse", &format!("{}:README.md", fx.id("c1"))],
        );
        let r = app.get(&format!("/ada/demo/commit/{}", blob.trim())).await;
        check(&r, StatusCode::NOT_FOUND, "blob id");

        // A NUL is refused at the edge, before any handler.
        let r = app.get("/ada/demo/commits/main/%00").await;
        check(&r, StatusCode::BAD_REQUEST, "NUL in a path");
        // Not UTF-8: no such ref or file, never a server error.
        for path in [
            "/ada/demo/commits/main/%FF%FE",
            "/ada/demo/blame/main/%C3%28",
            "/ada/demo/commit/%FF",
            "/ada/demo/compare/%FF...main",
        ] {
            let r = app.get(path).await;
            assert!(
                r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::NOT_FOUND,
                "{path}: {}",
                r.status
            );
        }
    }
}

#[tokio::test]
async fn private_repositories_are_404_for_others() {
    for mut app in TestApp::all().await {
        setup(&mut app, "demo", false).await;
        let fx = setup(&mut app, "secret", true).await;
        let c2 = fx.id("c2");
        // The same commits in two repositories: cached pages keep each one's links.
        let public = app.get(&format!("/ada/demo/commit/{c2}")).await;
        public.assert_contains(&format!("href=\"/ada/demo/blob/{c2}/src/main.rs\""));
        let own = app.get(&format!("/ada/secret/commit/{c2}")).await;
        own.assert_contains(&format!("href=\"/ada/secret/blob/{c2}/src/main.rs\""));
        assert!(!own.body.contains("/ada/demo/"));
        let blame = app.get("/ada/demo/blame/main/src/main.rs").await;
        blame.assert_contains("/ada/demo/commit/");
        let own_blame = app.get("/ada/secret/blame/main/src/main.rs").await;
        assert!(!own_blame.body.contains("/ada/demo/"));
        let paths = [
            "/ada/secret/commits".to_owned(),
            "/ada/secret/commits/main".to_owned(),
            "/ada/secret/commits/main/src/main.rs".to_owned(),
            format!("/ada/secret/commit/{c2}"),
            format!("/ada/secret/commit/{c2}.patch"),
            format!("/ada/secret/commit/{c2}.diff"),
            "/ada/secret/compare/main...feature/x".to_owned(),
            "/ada/secret/compare?base=main&head=feature/x".to_owned(),
            "/ada/secret/blame/main/src/main.rs".to_owned(),
        ];
        for path in &paths {
            let r = app.get(path).await;
            assert!(
                r.status.is_success() || r.status.is_redirection(),
                "owner {path}: {}",
                r.status
            );
        }
        let mut anonymous = app.new_client();
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        for client in [&mut anonymous, &mut bob] {
            for path in &paths {
                let r = client.get(path).await;
                check(&r, StatusCode::NOT_FOUND, path);
                assert!(!r.body.contains("Add a greeting"), "{path} leaks");
                assert!(!r.body.contains("secret/branches"), "{path} leaks");
            }
        }
    }
}

/// History pages are cached by the commit they start from: a push moves the branch to a
/// new commit and its page shows it at once, while the page of the old commit id is what
/// it was.
#[tokio::test]
async fn history_follows_pushes_past_its_cache() {
    for mut app in TestApp::all().await {
        let fx = setup(&mut app, "moving", false).await;
        let label = app.label().to_owned();
        let before = app.get("/ada/moving/commits/main").await;
        check(&before, StatusCode::OK, "history");
        let again = app.get("/ada/moving/commits/main").await;
        assert_eq!(
            between(&before.body, "id=\"commit-list\"", "</ul>"),
            between(&again.body, "id=\"commit-list\"", "</ul>"),
            "[{label}] the cached page lists the same commits"
        );

        let bare = app.repos_dir.path().join("ada/moving.git");
        let work = tempfile::tempdir().expect("tempdir");
        let w = work.path().join("w");
        git_at(
            work.path(),
            T0,
            &["clone", "-q", bare.to_str().expect("utf-8"), "w"],
        );
        write(&w, "later.txt", b"pushed after the first view\n");
        git_at(&w, T0 + 10_000_000, &["add", "-A"]);
        git_at(
            &w,
            T0 + 10_000_000,
            &["commit", "-q", "-m", "Pushed after the view"],
        );
        git_at(&w, T0 + 10_000_000, &["push", "-q", "origin", "main"]);

        let after = app.get("/ada/moving/commits/main").await;
        check(&after, StatusCode::OK, "history after the push");
        after.assert_contains("Pushed after the view");
        assert_eq!(count(&after.body, "class=\"commit-row\""), 50, "[{label}]");
        let second = app.get("/ada/moving/commits/main?page=2").await;
        assert_eq!(count(&second.body, "class=\"commit-row\""), 18, "[{label}]");
        let old = app
            .get(&format!("/ada/moving/commits/{}", fx.id("main")))
            .await;
        check(&old, StatusCode::OK, "history of the old tip");
        assert!(!old.body.contains("Pushed after the view"), "[{label}]");
        assert_eq!(count(&old.body, "class=\"commit-row\""), 50, "[{label}]");
    }
}
