//! Reading code in the web interface: home with README, trees, files, raw bytes,
//! branches, tags and archives, on a repository pushed with the real git client.

mod support;

use axum::http::StatusCode;
use std::path::Path;
use support::TestApp;

fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = hatchery_testkit::git::command(dir);
    hatchery_testkit::git::identity(&mut cmd, "Li Wei", "li@example.edu.cn");
    String::from_utf8_lossy(&hatchery_testkit::git::run_bytes(&mut cmd, args)).into_owned()
}

/// Creates `owner/name` through the web and pushes a small but varied history into it.
async fn repo_with_content(app: &mut TestApp, owner: &str, name: &str, private: bool) {
    let mut fields = vec![("owner", owner), ("name", name)];
    if private {
        fields.push(("private", "on"));
    }
    let r = app.post_form("/repo/create", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let bare = app.repos_dir.path().join(owner).join(format!("{name}.git"));
    let work = tempfile::tempdir().expect("tempdir");
    let w = work.path();
    git(w, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(w.join("src/nested")).expect("mkdir");
    std::fs::create_dir_all(w.join("docs")).expect("mkdir");
    std::fs::write(w.join("README.md"), "# Engine\n\nSee [the guide](docs/guide.md) and ![logo](logo.png).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert('readme')</script>\n").expect("write");
    std::fs::write(
        w.join("docs/guide.md"),
        "# Guide\n\nBack to [readme](../README.md).\n",
    )
    .expect("write");
    std::fs::write(
        w.join("src/main.rs"),
        "fn main() {\n    println!(\"hello\");\n}\n",
    )
    .expect("write");
    std::fs::write(w.join("src/nested/deep.txt"), "deep\n").expect("write");
    std::fs::write(
        w.join("<script>alert(1).txt"),
        "<script>alert(1)</script>\n",
    )
    .expect("write");
    std::fs::write(
        w.join("logo.png"),
        [0x89, b'P', b'N', b'G', 0, 0, 0, 13, 1, 2, 3],
    )
    .expect("write");
    std::fs::write(w.join("data.bin"), [0u8, 1, 2, 3, 0, 255]).expect("write");
    std::fs::write(w.join("big.txt"), "0123456789abcdef\n".repeat(70_000)).expect("write");
    git(w, &["add", "-A"]);
    git(w, &["commit", "-q", "-m", "Initial import"]);
    std::fs::write(
        w.join("src/main.rs"),
        "fn main() {\n    println!(\"hello, world\");\n}\n",
    )
    .expect("write");
    git(w, &["commit", "-q", "-am", "Greet the world"]);
    git(
        w,
        &["tag", "-a", "v1.0", "-m", "First release\n\nWith notes."],
    );
    git(w, &["checkout", "-q", "-b", "feature/x"]);
    std::fs::write(w.join("feature.txt"), "only on the feature branch\n").expect("write");
    git(w, &["add", "-A"]);
    git(w, &["commit", "-q", "-m", "Add the feature"]);
    git(w, &["checkout", "-q", "main"]);
    git(
        w,
        &[
            "push",
            "-q",
            bare.to_str().expect("utf-8 path"),
            "main",
            "feature/x",
            "v1.0",
        ],
    );
}

#[tokio::test]
async fn home_lists_files_with_last_commits_and_renders_the_readme() {
    for mut app in TestApp::all().await {
        app.sign_up("li").await;
        repo_with_content(&mut app, "li", "engine", false).await;
        let mut visitor = app.new_client();
        let r = visitor.get("/li/engine").await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", app.label(), r.body);
        r.assert_contains("id=\"file-list\"");
        r.assert_contains("href=\"/li/engine/tree/main/src\"");
        r.assert_contains("href=\"/li/engine/blob/main/README.md\"");
        r.assert_contains("Greet the world");
        r.assert_contains("Initial import");
        // README: rendered, links resolved inside the repository, sanitized.
        r.assert_contains("id=\"readme\"");
        r.assert_contains("<table>");
        r.assert_contains("href=\"/li/engine/blob/main/docs/guide.md\"");
        r.assert_contains("src=\"/li/engine/raw/main/logo.png\"");
        assert!(
            !r.body.contains("<script>alert('readme')"),
            "README script must not survive"
        );
        // The file named <script> is listed, escaped.
        assert!(!r.body.contains("<script>alert(1)"), "names are escaped");
        r.assert_contains("&lt;script&gt;alert(1).txt");
        r.assert_contains("/li/engine/archive/main.tar.gz");
    }
}

#[tokio::test]
async fn trees_at_branches_tags_and_commits() {
    for mut app in TestApp::all().await {
        app.sign_up("li").await;
        repo_with_content(&mut app, "li", "engine", false).await;
        let r = app.get("/li/engine/tree/feature/x").await;
        assert_eq!(r.status, StatusCode::OK);
        r.assert_contains("feature.txt");
        r.assert_contains("Add the feature");
        let r = app.get("/li/engine/tree/v1.0/src/nested").await;
        assert_eq!(r.status, StatusCode::OK);
        r.assert_contains("deep.txt");
        r.assert_contains("class=\"breadcrumbs\"");
        r.assert_contains("href=\"/li/engine/tree/v1.0/src\"");
        let head = app.get("/li/engine/tree/main").await;
        let start = head.body.find("/li/engine/commit/").expect("a commit link")
            + "/li/engine/commit/".len();
        let id = &head.body[start..start + 40];
        let r = app.get(&format!("/li/engine/tree/{}/src", &id[..8])).await;
        assert_eq!(r.status, StatusCode::OK, "abbreviated ids resolve");
        // A file under /tree goes to /blob.
        let r = app.get("/li/engine/tree/main/src/main.rs").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/li/engine/blob/main/src/main.rs");
        for missing in [
            "/li/engine/tree/nope",
            "/li/engine/tree/main/nope",
            "/li/engine/tree/main/../etc",
            "/li/engine/tree/ffffffff",
            "/li/nothing/tree/main",
        ] {
            let r = app.get(missing).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{}] {missing}",
                app.label()
            );
            r.assert_contains("Page not found");
        }
    }
}

#[tokio::test]
async fn file_views() {
    for mut app in TestApp::all().await {
        app.sign_up("li").await;
        repo_with_content(&mut app, "li", "engine", false).await;
        let r = app.get("/li/engine/blob/main/src/main.rs").await;
        assert_eq!(r.status, StatusCode::OK);
        r.assert_contains("id=\"L1\"");
        r.assert_contains("href=\"#L3\"");
        r.assert_contains("class=\"hl-");
        r.assert_contains("3 lines");
        r.assert_contains("Rust");
        r.assert_contains("href=\"/li/engine/raw/main/src/main.rs\"");

        let r = app
            .get("/li/engine/blob/main/%3Cscript%3Ealert(1).txt")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            !r.body.contains("<script>alert(1)"),
            "content and name are escaped"
        );
        r.assert_contains("&lt;script&gt;alert(1)&lt;/script&gt;");

        let r = app.get("/li/engine/blob/main/data.bin").await;
        r.assert_contains("id=\"binary-notice\"");
        let r = app.get("/li/engine/blob/main/big.txt").await;
        r.assert_contains("id=\"too-large-notice\"");
        let r = app.get("/li/engine/blob/main/logo.png").await;
        r.assert_contains("<img src=\"/li/engine/raw/main/logo.png\"");
        let r = app.get("/li/engine/blob/main/docs/guide.md").await;
        r.assert_contains("id=\"rendered\"");
        r.assert_contains("href=\"/li/engine/blob/main/README.md\"");
        let r = app.get("/li/engine/blob/main/docs/guide.md?plain=1").await;
        r.assert_contains("id=\"L1\"");
        // Directories go to /tree; missing files are 404.
        assert_eq!(
            app.get("/li/engine/blob/main/src").await.status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            app.get("/li/engine/blob/main/src/none.rs").await.status,
            StatusCode::NOT_FOUND
        );
        // Chinese interface.
        let r = app
            .get_with(
                "/li/engine/blob/main/src/main.rs",
                &[("accept-language", "zh-CN")],
            )
            .await;
        r.assert_contains("3 行");
    }
}

#[tokio::test]
async fn raw_files_are_never_run_by_browsers() {
    for mut app in TestApp::all().await {
        app.sign_up("li").await;
        repo_with_content(&mut app, "li", "engine", false).await;
        let r = app
            .get("/li/engine/raw/main/%3Cscript%3Ealert(1).txt")
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, "<script>alert(1)</script>\n", "exact bytes");
        assert_eq!(r.headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert!(
            r.headers["content-security-policy"]
                .to_str()
                .unwrap_or("")
                .contains("sandbox")
        );
        let r = app.get("/li/engine/raw/main/data.bin").await;
        assert_eq!(r.headers["content-type"], "application/octet-stream");
        assert!(
            r.headers["content-disposition"]
                .to_str()
                .unwrap_or("")
                .starts_with("attachment")
        );
        let r = app.get("/li/engine/raw/main/big.txt").await;
        assert_eq!(r.body.len(), 17 * 70_000, "large files stream whole");
        assert_eq!(
            app.get("/li/engine/raw/main/src").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get("/li/engine/raw/nope/x").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn branches_tags_and_archives() {
    for mut app in TestApp::all().await {
        app.sign_up("li").await;
        repo_with_content(&mut app, "li", "engine", false).await;
        let r = app.get("/li/engine/branches").await;
        assert_eq!(r.status, StatusCode::OK);
        r.assert_contains("href=\"/li/engine/tree/feature/x\"");
        r.assert_contains("Add the feature");
        let r = app.get("/li/engine/tags").await;
        r.assert_contains("v1.0");
        r.assert_contains("First release");
        for (path, magic, kind) in [
            (
                "/li/engine/archive/main.tar.gz",
                &[0x1f_u8, 0x8b][..],
                "application/gzip",
            ),
            ("/li/engine/archive/v1.0.zip", &b"PK"[..], "application/zip"),
        ] {
            let r = app
                .send(
                    axum::http::Request::get(path)
                        .body(axum::body::Body::empty())
                        .expect("request"),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert_eq!(r.headers["content-type"], kind);
            assert!(
                r.headers["content-disposition"]
                    .to_str()
                    .unwrap_or("")
                    .contains("engine-")
            );
            assert_eq!(
                &r.body.as_bytes()[..1],
                &magic[..1],
                "{path} starts like its format"
            );
        }
        assert_eq!(
            app.get("/li/engine/archive/nope.zip").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get("/li/engine/archive/main.rar").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn private_repositories_hide_every_code_page() {
    for mut app in TestApp::all().await {
        app.sign_up("li").await;
        repo_with_content(&mut app, "li", "secret", true).await;
        assert_eq!(
            app.get("/li/secret/blob/main/README.md").await.status,
            StatusCode::OK
        );
        let mut stranger = app.new_client();
        stranger.sign_up("eve").await;
        let mut anonymous = app.new_client();
        for client in [&mut stranger, &mut anonymous] {
            for path in [
                "/li/secret",
                "/li/secret/tree/main",
                "/li/secret/blob/main/README.md",
                "/li/secret/raw/main/README.md",
                "/li/secret/branches",
                "/li/secret/tags",
                "/li/secret/archive/main.zip",
            ] {
                assert_eq!(
                    client.get(path).await.status,
                    StatusCode::NOT_FOUND,
                    "[{}] {path}",
                    app.label()
                );
            }
        }
    }
}

/// The file view keeps highlighted files by blob id and extension: the second view of a
/// file is the first one again, another blob (after a push, at an older commit) is read
/// anew, and the same bytes under another extension are highlighted for that one.
#[tokio::test]
async fn file_views_come_from_the_cache_unchanged() {
    for mut app in TestApp::all().await {
        app.sign_up("li").await;
        repo_with_content(&mut app, "li", "engine", false).await;
        let code = |body: &str| {
            let from = body.find("id=\"file-meta\"").expect("file meta");
            let to = body[from..].find("</table>").expect("table end") + from;
            body[from..to].to_owned()
        };
        let first = app.get("/li/engine/blob/main/src/main.rs").await;
        assert_eq!(first.status, StatusCode::OK);
        let second = app.get("/li/engine/blob/main/src/main.rs").await;
        assert_eq!(code(&first.body), code(&second.body));
        second.assert_contains("3 lines");
        second.assert_contains("hello, world");
        second.assert_contains("href=\"/li/engine/blame/main/src/main.rs\"");

        // The first commit has another blob at the same path.
        let bare = app.repos_dir.path().join("li/engine.git");
        let work = tempfile::tempdir().expect("tempdir");
        let w = work.path().join("w");
        git(
            work.path(),
            &["clone", "-q", bare.to_str().expect("utf-8"), "w"],
        );
        let initial = git(&w, &["rev-parse", "main~1"]).trim().to_owned();
        let old = app
            .get(&format!("/li/engine/blob/{initial}/src/main.rs"))
            .await;
        assert_eq!(old.status, StatusCode::OK);
        assert!(!old.body.contains("hello, world"));

        // Same bytes, other names: as text, and again as Rust after a push.
        std::fs::copy(w.join("src/main.rs"), w.join("main.txt")).expect("copy");
        std::fs::write(w.join("src/main.rs"), "fn main() {}\n").expect("write");
        git(&w, &["add", "-A"]);
        git(&w, &["commit", "-q", "-m", "Copy as text"]);
        git(&w, &["push", "-q", "origin", "main"]);
        let text = app.get("/li/engine/blob/main/main.txt").await;
        assert_eq!(text.status, StatusCode::OK);
        text.assert_contains("hello, world");
        assert!(
            !text.body.contains(" · Rust"),
            "a .txt file is not labelled Rust"
        );
        let changed = app.get("/li/engine/blob/main/src/main.rs").await;
        changed.assert_contains("1 lines");
        assert!(!changed.body.contains("hello, world"));
    }
}
