//! Release pages through the real router, on every backend: the list (latest marked,
//! pre-release and draft badges, paged) and a release's page in both languages, with its
//! notes rendered, files with sizes, checksums and downloads, source archives and the
//! `KEYS` link; the new/edit form and deletions for writers; uploads through the web form
//! (the CSRF token first in the body, refused without it; over the limit 413 with nothing
//! kept; a duplicate name 409); downloads streamed and counted; drafts and private
//! repositories missing (404) like anything that does not exist; detached signatures made
//! with the real `ssh-keygen -Y sign`, and OpenPGP ones (armored and binary, made in the
//! test with the `pgp` crate and by the real `gpg --detach-sign --armor`), verified against
//! the uploader's registered SSH and GPG keys and checked again when those change, and bad
//! or unverifiable ones flagged on the page and in the API.

mod support;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hatchery_core::AccessLevel;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};
use support::{Resp, TestApp, api};

async fn create_repo(app: &mut TestApp, name: &str, private: bool) -> PathBuf {
    let mut fields = vec![("owner", "ada"), ("name", name), ("init_readme", "on")];
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
    app.repos_dir.path().join(format!("ada/{name}.git"))
}

/// Ada owns `tool`; Cat may write to it; Bob only reads (a stranger to it).
async fn setup(app: &mut TestApp) -> (TestApp, TestApp) {
    app.sign_up("ada").await;
    let mut bob = app.new_client();
    bob.sign_up("bob").await;
    let mut cat = app.new_client();
    cat.sign_up("cat").await;
    create_repo(app, "tool", false).await;
    let store = app.store.store().clone();
    let repo = store.repo_by_name("ada", "tool").await.unwrap().unwrap();
    let cat_id = store.user_by_name("cat").await.unwrap().unwrap().id;
    store
        .set_collaborator(repo.id, cat_id, AccessLevel::Write)
        .await
        .unwrap();
    (bob, cat)
}

async fn new_release(app: &mut TestApp, repo: &str, fields: &[(&str, &str)]) -> Resp {
    app.post_form(&format!("/ada/{repo}/releases/new"), fields)
        .await
}

/// Every file under `dir` (temporary uploads included).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// The id of the release of `tag` in ada/`repo`.
async fn release_id(app: &TestApp, repo: &str, tag: &str) -> i64 {
    let store = app.store.store().clone();
    let r = store.repo_by_name("ada", repo).await.unwrap().unwrap();
    store
        .release_by_tag(r.id, tag)
        .await
        .unwrap()
        .expect("release")
        .id
}

/// Uploads files through the web form, the CSRF token first as a browser sends it (or
/// `token` when given: `Some("")` leaves it out).
async fn upload(
    app: &mut TestApp,
    repo: &str,
    id: i64,
    files: &[(&str, &[u8])],
    token: Option<&str>,
) -> Resp {
    if app.cookie("hatchery_csrf").is_none() {
        app.get("/").await;
    }
    let own = app.cookie("hatchery_csrf").cloned().unwrap_or_default();
    let token = token.unwrap_or(&own);
    let boundary = "----hatchery-release-test-41c2";
    let mut body = Vec::new();
    if !token.is_empty() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, content) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/gzip\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!("/ada/{repo}/releases/{id}/assets"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    app.send(req).await
}

#[tokio::test]
async fn release_pages_for_readers_and_writers() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let (mut bob, mut cat) = setup(&mut app).await;
        let mut anon = app.new_client();

        // The tab is there, and the list is empty.
        let r = anon.get("/ada/tool/releases").await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        r.assert_contains("id=\"no-releases\"");
        assert!(!r.body.contains("id=\"new-release\""), "[{l}]");
        anon.get("/ada/tool")
            .await
            .assert_contains("href=\"/ada/tool/releases\"");

        // Readers may not open the form; strangers are sent to sign in.
        assert_eq!(
            bob.get("/ada/tool/releases/new").await.status,
            StatusCode::FORBIDDEN,
            "[{l}]"
        );
        let r = anon.get("/ada/tool/releases/new").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(r.location().starts_with("/user/login"), "[{l}]");
        let r = new_release(&mut bob, "tool", &[("tag_name", "v0.1")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        // A writer publishes v1.0 (new tag at the default branch), a pre-release and a
        // draft.
        let form = app.get("/ada/tool/releases/new").await;
        assert_eq!(form.status, StatusCode::OK, "[{l}]");
        form.assert_contains("id=\"release-form\"");
        form.assert_contains("value=\"main\"");
        let r = new_release(
            &mut app,
            "tool",
            &[
                ("tag_name", "v1.0"),
                ("target", "main"),
                ("title", "First <release>"),
                ("note", "**Bold** notes <script>alert(1)</script>"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(r.location(), "/ada/tool/releases/tag/v1.0", "[{l}]");
        let r = new_release(
            &mut cat,
            "tool",
            &[
                ("tag_name", "v1.1-rc1"),
                ("title", "Candidate"),
                ("prerelease", "on"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let r = new_release(
            &mut app,
            "tool",
            &[
                ("tag_name", "v2.0"),
                ("title", "Secret plans"),
                ("draft", "on"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);

        // Bad input is answered on the form.
        let r = new_release(&mut app, "tool", &[("tag_name", "v1.0")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("Another release already has this tag.");
        let r = new_release(&mut app, "tool", &[("tag_name", "bad..tag")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("This is not a valid tag name.");
        let r = new_release(
            &mut app,
            "tool",
            &[("tag_name", "v9"), ("target", "no-such-branch")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("No branch or commit of this repository has this name.");
        let r = new_release(&mut app, "tool", &[("tag_name", " ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");

        // Readers see the published ones, latest marked, never the draft.
        let r = anon.get("/ada/tool/releases").await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        r.assert_contains("First &lt;release&gt;");
        r.assert_contains("Candidate");
        r.assert_contains("release-latest");
        r.assert_contains("release-prerelease");
        r.assert_contains("<strong>Bold</strong>");
        assert!(!r.body.contains("<script>alert"), "[{l}] notes sanitized");
        assert!(!r.body.contains("Secret plans"), "[{l}] draft hidden");
        assert!(!r.body.contains("release-draft"), "[{l}]");
        r.assert_contains("/ada/tool/archive/v1.0.tar.gz");
        r.assert_contains("Releases 2");
        // Writers see the draft.
        let r = cat.get("/ada/tool/releases").await;
        r.assert_contains("Secret plans");
        r.assert_contains("release-draft");
        r.assert_contains("id=\"new-release\"");

        // The release page.
        let r = anon.get("/ada/tool/releases/tag/v1.0").await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        r.assert_contains("release-latest");
        r.assert_contains("/ada/tool/archive/v1.0.zip");
        r.assert_contains("Source code (tar.gz)");
        assert!(!r.body.contains("id=\"upload-form\""), "[{l}]");
        assert!(!r.body.contains("id=\"keys-file\""), "[{l}] no KEYS yet");
        let r = anon.get("/ada/tool/releases/latest").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert_eq!(r.location(), "/ada/tool/releases/tag/v1.0", "[{l}]");
        // In Chinese.
        let r = anon
            .get_with(
                "/ada/tool/releases/tag/v1.0",
                &[("accept-language", "zh-CN")],
            )
            .await;
        r.assert_contains("版本发布");
        r.assert_contains("源代码（zip）");
        let r = anon
            .get_with("/ada/tool/releases", &[("accept-language", "zh-CN")])
            .await;
        r.assert_contains("预发布");
        r.assert_contains("最新");

        // The draft is missing to readers, there to writers.
        for client in [&mut anon, &mut bob] {
            let r = client.get("/ada/tool/releases/tag/v2.0").await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        }
        let r = cat.get("/ada/tool/releases/tag/v2.0").await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        r.assert_contains("id=\"upload-form\"");
        let draft_id = release_id(&app, "tool", "v2.0").await;
        assert_eq!(
            bob.get(&format!("/ada/tool/releases/{draft_id}/edit"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );

        // Editing: publish the draft (its tag is created then).
        let r = cat
            .get(&format!("/ada/tool/releases/{draft_id}/edit"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        r.assert_contains("Secret plans");
        let r = cat
            .post_form(
                &format!("/ada/tool/releases/{draft_id}/edit"),
                &[
                    ("tag_name", "v2.0"),
                    ("target", "main"),
                    ("title", "Two"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let r = anon.get("/ada/tool/releases/tag/v2.0").await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        r.assert_contains("release-latest");
        let tags = anon.get("/ada/tool/tags").await;
        tags.assert_contains("v2.0");
        tags.assert_contains("href=\"/ada/tool/releases/tag/v2.0\"");

        // A KEYS file at the root of the default branch is linked.
        let bare = app.repos_dir.path().join("ada/tool.git");
        let scratch = tempfile::tempdir().unwrap();
        let work = scratch.path().join("work");
        hatchery_testkit::git::run(
            scratch.path(),
            &[
                "clone",
                "-q",
                bare.to_str().unwrap(),
                work.to_str().unwrap(),
            ],
        );
        std::fs::write(work.join("KEYS"), "ssh-ed25519 AAAA... ada\n").unwrap();
        hatchery_testkit::git::run(&work, &["add", "KEYS"]);
        hatchery_testkit::git::run(&work, &["commit", "-q", "-m", "Add KEYS"]);
        hatchery_testkit::git::run(&work, &["push", "-q", "origin", "main"]);
        let r = anon.get("/ada/tool/releases/tag/v1.0").await;
        r.assert_contains("id=\"keys-file\"");
        r.assert_contains("href=\"/ada/tool/blob/main/KEYS\"");

        // Deleting: readers cannot; a writer deletes v2.0 and its tag; the CSRF token is
        // required.
        let r = bob
            .post_form(&format!("/ada/tool/releases/{draft_id}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = cat
            .post_raw(&format!("/ada/tool/releases/{draft_id}/delete"), "")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] no token");
        let r = cat
            .post_form(
                &format!("/ada/tool/releases/{draft_id}/delete"),
                &[("delete_tag", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(
            anon.get("/ada/tool/releases/tag/v2.0").await.status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );
        let tags = anon.get("/ada/tool/tags").await;
        assert!(!tags.body.contains(">v2.0<"), "[{l}] tag deleted too");
    }
}

#[tokio::test]
async fn release_list_is_paged() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        setup(&mut app).await;
        for i in 0..12 {
            let tag = format!("v0.{i}");
            let r = new_release(&mut app, "tool", &[("tag_name", &tag)]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        }
        let mut anon = app.new_client();
        let first = anon.get("/ada/tool/releases").await;
        first.assert_contains("href=\"/ada/tool/releases?page=2\"");
        first.assert_contains("v0.11");
        assert!(!first.body.contains(">v0.0<"), "[{l}]");
        let second = anon.get("/ada/tool/releases?page=2").await;
        assert_eq!(second.status, StatusCode::OK, "[{l}]");
        second.assert_contains("v0.0");
        assert!(!second.body.contains(">v0.11<"), "[{l}]");
    }
}

#[tokio::test]
async fn private_repository_releases_are_missing() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let (mut bob, _) = setup(&mut app).await;
        create_repo(&mut app, "secret", true).await;
        let r = new_release(&mut app, "secret", &[("tag_name", "v1.0")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let id = release_id(&app, "secret", "v1.0").await;
        let r = upload(
            &mut app,
            "secret",
            id,
            &[("a.tar.gz", b"secret bytes")],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(
            app.get("/ada/secret/releases/download/v1.0/a.tar.gz")
                .await
                .body,
            "secret bytes",
            "[{l}]"
        );
        let mut anon = app.new_client();
        let missing = anon.get("/ada/nothing/releases").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "[{l}]");
        for path in [
            "/ada/secret/releases",
            "/ada/secret/releases/latest",
            "/ada/secret/releases/tag/v1.0",
            "/ada/secret/releases/download/v1.0/a.tar.gz",
            "/ada/secret/releases/new",
        ] {
            for client in [&mut anon, &mut bob] {
                let r = client.get(path).await;
                assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {path}");
                assert!(!r.body.contains("secret bytes"), "[{l}] {path}");
            }
        }
        let r = upload(&mut bob, "secret", id, &[("b.bin", b"x")], None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = bob
            .post_form(&format!("/ada/secret/releases/{id}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
    }
}

#[tokio::test]
async fn files_are_uploaded_through_the_form_and_downloaded() {
    for mut app in TestApp::all_with(|cfg| cfg.max_release_asset_bytes = 64 * 1024).await {
        let l = app.label().to_owned();
        let (mut bob, mut cat) = setup(&mut app).await;
        let r = new_release(&mut app, "tool", &[("tag_name", "v1.0")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let id = release_id(&app, "tool", "v1.0").await;
        // Text, so that the test client's body (a string) keeps its length.
        let content: Vec<u8> = (0..50_000u32).map(|i| b'a' + (i % 26) as u8).collect();

        // Without the token, or with another visitor's, nothing is read or kept.
        let r = upload(&mut cat, "tool", id, &[("tool.tar.gz", &content)], Some("")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        let foreign = bob.cookie("hatchery_csrf").cloned().unwrap();
        let r = upload(
            &mut cat,
            "tool",
            id,
            &[("tool.tar.gz", &content)],
            Some(&foreign),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        assert!(files_under(app.releases_dir.path()).is_empty(), "[{l}]");
        // Readers may not upload.
        let r = upload(&mut bob, "tool", id, &[("tool.tar.gz", &content)], None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        // A writer uploads two files at once.
        let r = upload(
            &mut cat,
            "tool",
            id,
            &[("tool.tar.gz", &content), ("工具 说明.txt", b"hello\n")],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(r.location(), "/ada/tool/releases/tag/v1.0", "[{l}]");
        let page = bob.get("/ada/tool/releases/tag/v1.0").await;
        page.assert_contains("tool.tar.gz");
        page.assert_contains(&hex(&Sha256::digest(&content)));
        page.assert_contains(&hex(&Sha512::digest(&content)));
        page.assert_contains("49 KiB");
        page.assert_contains(
            "/ada/tool/releases/download/v1.0/%E5%B7%A5%E5%85%B7%20%E8%AF%B4%E6%98%8E.txt",
        );

        // Over the limit: 413 naming it, nothing kept. A name taken: 409.
        let before = files_under(app.releases_dir.path());
        let big = vec![7u8; 64 * 1024 + 1];
        let r = upload(&mut cat, "tool", id, &[("big.bin", &big)], None).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "[{l}]");
        r.assert_contains("big.bin is larger than the limit of 64 KiB");
        assert_eq!(files_under(app.releases_dir.path()), before, "[{l}]");
        let r = upload(&mut cat, "tool", id, &[("tool.tar.gz", b"other")], None).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        r.assert_contains("already has a file named tool.tar.gz");
        assert_eq!(files_under(app.releases_dir.path()), before, "[{l}]");
        let r = upload(&mut cat, "tool", id, &[], None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");

        // Downloads stream the file with its headers and are counted; a HEAD is not.
        let head = Request::head("/ada/tool/releases/download/v1.0/tool.tar.gz")
            .body(Body::empty())
            .unwrap();
        let r = bob.send(head).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        assert_eq!(
            r.headers[header::CONTENT_LENGTH].to_str().unwrap(),
            content.len().to_string()
        );
        let r = bob
            .get("/ada/tool/releases/download/v1.0/tool.tar.gz")
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        assert_eq!(r.body.len(), content.len(), "[{l}]");
        assert_eq!(
            r.headers[header::CONTENT_LENGTH].to_str().unwrap(),
            content.len().to_string()
        );
        assert_eq!(
            r.headers[header::CONTENT_TYPE].to_str().unwrap(),
            "application/gzip"
        );
        assert!(
            r.headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"tool.tar.gz\""),
            "[{l}]"
        );
        let mut anon = app.new_client();
        let r = anon
            .get("/ada/tool/releases/download/v1.0/%E5%B7%A5%E5%85%B7%20%E8%AF%B4%E6%98%8E.txt")
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        assert_eq!(r.body, "hello\n", "[{l}]");
        assert_eq!(
            anon.get("/ada/tool/releases/download/v1.0/nope.bin")
                .await
                .status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );
        assert_eq!(
            anon.get("/ada/tool/releases/download/v9/tool.tar.gz")
                .await
                .status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );
        let json = api(
            &mut app,
            "GET",
            &format!("/api/v1/repos/ada/tool/releases/{id}"),
            None,
            None,
        )
        .await;
        let json: Value = serde_json::from_str(&json.body).unwrap();
        let asset = json["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "tool.tar.gz")
            .unwrap()
            .clone();
        assert_eq!(asset["download_count"], 1, "[{l}] {asset}");
        assert!(asset.get("signature").is_none(), "[{l}] not a signature");

        // A draft's files are missing to readers.
        let r = new_release(&mut app, "tool", &[("tag_name", "v2.0"), ("draft", "on")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let draft = release_id(&app, "tool", "v2.0").await;
        let r = upload(&mut app, "tool", draft, &[("pre.bin", b"early")], None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(
            anon.get("/ada/tool/releases/download/v2.0/pre.bin")
                .await
                .status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );
        assert_eq!(
            cat.get("/ada/tool/releases/download/v2.0/pre.bin")
                .await
                .body,
            "early",
            "[{l}]"
        );

        // Deleting a file: writers only, with the token.
        let asset_id = asset["id"].as_i64().unwrap();
        let path = format!("/ada/tool/releases/{id}/assets/{asset_id}/delete");
        assert_eq!(
            bob.post_form(&path, &[]).await.status,
            StatusCode::FORBIDDEN,
            "[{l}]"
        );
        assert_eq!(
            cat.post_raw(&path, "").await.status,
            StatusCode::FORBIDDEN,
            "[{l}]"
        );
        let r = cat.post_form(&path, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert_eq!(
            anon.get("/ada/tool/releases/download/v1.0/tool.tar.gz")
                .await
                .status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `ssh-keygen -Y sign -f key -n namespace file`: the signature's text.
fn ssh_sign(key: &Path, namespace: &str, file: &Path) -> String {
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", namespace, "-f"])
        .arg(key)
        .arg(file)
        .stdin(std::process::Stdio::null())
        .status()
        .expect("run ssh-keygen");
    assert!(status.success(), "ssh-keygen -Y sign failed");
    let sig = file.with_file_name(format!(
        "{}.sig",
        file.file_name().unwrap().to_str().unwrap()
    ));
    let text = std::fs::read_to_string(&sig).expect("read signature");
    std::fs::remove_file(sig).expect("remove signature");
    text
}

/// The `signature` object of the asset `name` of release `id` of ada/tool, as the API
/// shows it.
async fn signature_of(app: &mut TestApp, id: i64, name: &str) -> Value {
    let r = api(
        app,
        "GET",
        &format!("/api/v1/repos/ada/tool/releases/{id}"),
        None,
        None,
    )
    .await;
    let json: Value = serde_json::from_str(&r.body).unwrap();
    json["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {json}"))["signature"]
        .clone()
}

#[tokio::test]
async fn detached_signatures_are_verified() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let (_, mut cat) = setup(&mut app).await;
        let dir = tempfile::tempdir().unwrap();
        let ada_key = hatchery_testkit::ssh::key_pair(dir.path(), "ada_key");
        let stranger = hatchery_testkit::ssh::key_pair(dir.path(), "stranger_key");
        let r = app
            .post_form(
                "/user/settings/keys",
                &[("title", "laptop"), ("key", &ada_key.public)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);

        let file = dir.path().join("tool-1.0.tar.gz");
        std::fs::write(&file, b"the release's bytes\n").unwrap();
        let good = ssh_sign(&ada_key.private, "file", &file);
        let by_stranger = ssh_sign(&stranger.private, "file", &file);
        let git_namespace = ssh_sign(&ada_key.private, "git", &file);
        std::fs::write(&file, b"other bytes\n").unwrap();
        let of_other_bytes = ssh_sign(&ada_key.private, "file", &file);

        let r = new_release(&mut app, "tool", &[("tag_name", "v1.0")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let id = release_id(&app, "tool", "v1.0").await;
        // The signature first, then the file: checked when the pair is complete.
        let r = upload(
            &mut app,
            "tool",
            id,
            &[("tool-1.0.tar.gz.sig", good.as_bytes())],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let payload: &[(&str, &[u8])] = &[
            ("tool-1.0.tar.gz", b"the release's bytes\n"),
            ("b.tar.gz", b"the release's bytes\n"),
            ("b.tar.gz.sig", of_other_bytes.as_bytes()),
            ("c.tar.gz", b"the release's bytes\n"),
            ("c.tar.gz.sig", by_stranger.as_bytes()),
            ("d.tar.gz", b"the release's bytes\n"),
            (
                "d.tar.gz.asc",
                b"-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n",
            ),
            ("e.tar.gz", b"the release's bytes\n"),
            ("e.tar.gz.sig", git_namespace.as_bytes()),
        ];
        let r = upload(&mut app, "tool", id, payload, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);

        let json = api(
            &mut app,
            "GET",
            &format!("/api/v1/repos/ada/tool/releases/{id}"),
            None,
            None,
        )
        .await;
        let json: Value = serde_json::from_str(&json.body).unwrap();
        let sig = |name: &str| {
            json["assets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == name)
                .unwrap_or_else(|| panic!("{name} in {json}"))["signature"]
                .clone()
        };
        let fingerprint = {
            let out = std::process::Command::new("ssh-keygen")
                .arg("-lf")
                .arg(ada_key.private.with_extension("pub"))
                .output()
                .unwrap();
            String::from_utf8(out.stdout)
                .unwrap()
                .split_whitespace()
                .nth(1)
                .unwrap()
                .to_owned()
        };
        let good = sig("tool-1.0.tar.gz.sig");
        assert_eq!(good["state"], "verified", "[{l}] {good}");
        assert_eq!(good["signs"], "tool-1.0.tar.gz");
        assert_eq!(good["signer"], fingerprint.as_str(), "[{l}]");
        assert_eq!(
            (
                sig("b.tar.gz.sig")["state"].clone(),
                sig("b.tar.gz.sig")["reason"].clone()
            ),
            (Value::from("bad"), Value::from("mismatch")),
            "[{l}]"
        );
        assert_eq!(sig("c.tar.gz.sig")["state"], "unverified", "[{l}]");
        assert_eq!(sig("c.tar.gz.sig")["reason"], "unknown_key", "[{l}]");
        // OpenPGP armor around nothing that parses.
        assert_eq!(sig("d.tar.gz.asc")["state"], "bad", "[{l}]");
        assert_eq!(sig("d.tar.gz.asc")["reason"], "unreadable", "[{l}]");
        assert_eq!(sig("e.tar.gz.sig")["reason"], "wrong_namespace", "[{l}]");

        let page = cat.get("/ada/tool/releases/tag/v1.0").await;
        page.assert_contains("signature-verified");
        page.assert_contains("signature-bad");
        page.assert_contains("The signature does not match the file.");
        page.assert_contains("Not a readable signature.");
        page.assert_contains(&fingerprint);

        // The signed file goes: its signature then has nothing to say.
        let a = json["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "b.tar.gz")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = app
            .post_form(&format!("/ada/tool/releases/{id}/assets/{a}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let json = api(
            &mut app,
            "GET",
            &format!("/api/v1/repos/ada/tool/releases/{id}"),
            None,
            None,
        )
        .await;
        let json: Value = serde_json::from_str(&json.body).unwrap();
        let b_sig = json["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "b.tar.gz.sig")
            .unwrap()["signature"]
            .clone();
        assert_eq!(b_sig["state"], "", "[{l}] {b_sig}");

        // The uploader registers the key c.tar.gz.sig was made with: the signature is
        // checked again and verified; removing the key unverifies it again.
        let body = serde_json::json!({"title": "second", "key": stranger.public}).to_string();
        let r = api(
            &mut app,
            "POST",
            "/api/v1/user/keys",
            Some("ada"),
            Some(&body),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let key_id = serde_json::from_str::<Value>(&r.body).unwrap()["id"]
            .as_i64()
            .unwrap();
        let c = signature_of(&mut app, id, "c.tar.gz.sig").await;
        assert_eq!(c["state"], "verified", "[{l}] {c}");
        assert_ne!(c["signer"], fingerprint.as_str(), "[{l}] {c}");
        let page = cat.get("/ada/tool/releases/tag/v1.0").await;
        assert!(
            !page
                .body
                .contains("Signed with a key the uploader has not registered"),
            "[{l}]"
        );
        let r = api(
            &mut app,
            "DELETE",
            &format!("/api/v1/user/keys/{key_id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}] {}", r.body);
        let c = signature_of(&mut app, id, "c.tar.gz.sig").await;
        assert_eq!(
            (c["state"].clone(), c["reason"].clone()),
            (Value::from("unverified"), Value::from("unknown_key")),
            "[{l}] {c}"
        );
    }
}

/// Registers `armored` as one of `user`'s GPG keys through the API; its id.
async fn add_gpg_key(app: &mut TestApp, user: &str, armored: &str) -> i64 {
    let body = serde_json::json!({ "armored_public_key": armored }).to_string();
    let r = api(
        app,
        "POST",
        "/api/v1/user/gpg_keys",
        Some(user),
        Some(&body),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "[{}] {}",
        app.label(),
        r.body
    );
    serde_json::from_str::<Value>(&r.body).unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn openpgp_signatures_are_verified_against_gpg_keys() {
    use hatchery_testkit::gpg::TestKey;
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let (_, mut cat) = setup(&mut app).await;
        let ada_key = TestKey::new("Ada Lovelace <ada@example.edu.cn>", 1);
        let stranger = TestKey::new("Someone Else <else@example.org>", 2);
        add_gpg_key(&mut app, "ada", &ada_key.public_armored()).await;

        let bytes: &[u8] = b"the release's bytes\n";
        let r = new_release(&mut app, "tool", &[("tag_name", "v1.0")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let id = release_id(&app, "tool", "v1.0").await;
        let armored = ada_key.sign(bytes, true);
        let binary = ada_key.sign(bytes, false);
        let by_stranger = stranger.sign(bytes, true);
        let of_other_bytes = ada_key.sign(b"other bytes\n", true);
        let payload: &[(&str, &[u8])] = &[
            ("tool-1.0.tar.gz", bytes),
            ("tool-1.0.tar.gz.asc", &armored),
            ("b.zip", bytes),
            ("b.zip.sig", &binary),
            ("c.zip", bytes),
            ("c.zip.asc", &by_stranger),
            ("d.zip", bytes),
            ("d.zip.asc", &of_other_bytes),
        ];
        let r = upload(&mut app, "tool", id, payload, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);

        for name in ["tool-1.0.tar.gz.asc", "b.zip.sig"] {
            let s = signature_of(&mut app, id, name).await;
            assert_eq!(s["state"], "verified", "[{l}] {name} {s}");
            assert_eq!(s["reason"], "", "[{l}]");
            assert_eq!(s["signer"], ada_key.subkey_id().as_str(), "[{l}] {s}");
            assert_eq!(s["identity"], "Ada Lovelace <ada@example.edu.cn>", "[{l}]");
        }
        let c = signature_of(&mut app, id, "c.zip.asc").await;
        assert_eq!(
            (c["state"].clone(), c["reason"].clone(), c["signer"].clone()),
            (
                Value::from("unverified"),
                Value::from("unknown_key"),
                Value::from(stranger.subkey_id())
            ),
            "[{l}] {c}"
        );
        assert_eq!(c["identity"], "", "[{l}]");
        let d = signature_of(&mut app, id, "d.zip.asc").await;
        assert_eq!(
            (d["state"].clone(), d["reason"].clone()),
            (Value::from("bad"), Value::from("mismatch")),
            "[{l}] {d}"
        );

        // The page, as a reader sees it, in both languages.
        let page = cat.get("/ada/tool/releases/tag/v1.0").await;
        page.assert_contains("signature-verified");
        page.assert_contains("signature-unverified");
        page.assert_contains("signature-bad");
        page.assert_contains(&ada_key.subkey_id());
        page.assert_contains("Ada Lovelace &lt;ada@example.edu.cn&gt;");
        page.assert_contains("Signed with a key the uploader has not registered");
        let zh = cat
            .get_with(
                "/ada/tool/releases/tag/v1.0",
                &[("accept-language", "zh-CN")],
            )
            .await;
        zh.assert_contains("已验证");
        zh.assert_contains("签名所用的密钥未由上传者登记");
        zh.assert_contains("签名与文件不符。");

        // The uploader adds the key c.zip.asc was made with: checked again, verified;
        // removing it makes the signature unverified again.
        let key_id = add_gpg_key(&mut app, "ada", &stranger.public_armored()).await;
        let c = signature_of(&mut app, id, "c.zip.asc").await;
        assert_eq!(c["state"], "verified", "[{l}] {c}");
        assert_eq!(c["identity"], "Someone Else <else@example.org>", "[{l}]");
        let r = api(
            &mut app,
            "DELETE",
            &format!("/api/v1/user/gpg_keys/{key_id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}] {}", r.body);
        let c = signature_of(&mut app, id, "c.zip.asc").await;
        assert_eq!(
            (
                c["state"].clone(),
                c["reason"].clone(),
                c["identity"].clone()
            ),
            (
                Value::from("unverified"),
                Value::from("unknown_key"),
                Value::from("")
            ),
            "[{l}] {c}"
        );
        // A signature uploaded by someone else is checked against their keys, not Ada's:
        // Cat (a writer) uploads Ada's signature of a new file.
        let e_sig = ada_key.sign(b"cat's file\n", true);
        let r = upload(
            &mut cat,
            "tool",
            id,
            &[("e.zip", b"cat's file\n"), ("e.zip.asc", &e_sig)],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let e = signature_of(&mut app, id, "e.zip.asc").await;
        assert_eq!(
            (e["state"].clone(), e["reason"].clone()),
            (Value::from("unverified"), Value::from("unknown_key")),
            "[{l}] {e}"
        );
    }
}

/// GnuPG's own output: a key made by `gpg --quick-gen-key`, registered on the settings
/// page, and a file signed with `gpg --detach-sign --armor`.
#[tokio::test]
async fn signatures_made_by_gnupg_are_verified() {
    let gnupg = hatchery_testkit::gpg::Gnupg::new();
    gnupg.generate("Ada GnuPG <ada@example.edu.cn>");
    let public = gnupg.export("ada@example.edu.cn");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tool-2.0.tar.gz");
    std::fs::write(&file, b"made for gpg\n").unwrap();
    let signature = gnupg.detach_sign_armor("ada@example.edu.cn", &file);
    assert!(signature.starts_with(b"-----BEGIN PGP SIGNATURE-----"));
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        setup(&mut app).await;
        let r = app
            .post_form("/user/settings/gpg_keys", &[("gpg_key", &public)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let r = new_release(&mut app, "tool", &[("tag_name", "v2.0")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let id = release_id(&app, "tool", "v2.0").await;
        let r = upload(
            &mut app,
            "tool",
            id,
            &[
                ("tool-2.0.tar.gz.asc", &signature),
                ("tool-2.0.tar.gz", b"made for gpg\n"),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let s = signature_of(&mut app, id, "tool-2.0.tar.gz.asc").await;
        assert_eq!(s["state"], "verified", "[{l}] {s}");
        assert_eq!(s["identity"], "Ada GnuPG <ada@example.edu.cn>", "[{l}]");
    }
}
