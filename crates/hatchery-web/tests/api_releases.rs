//! The releases API through the real router, on every backend: creating releases (new and
//! existing tags, drafts, pre-releases, "latest"), editing and deleting them (the tag
//! stays), uploading assets as multipart and as a raw body with their checksums, and every
//! refusal: duplicate tag or asset name (409), bad tag (422), bad asset names (400), an
//! asset over the limit (413, nothing kept), readers (403), anonymous (401), and private
//! repositories and drafts (404 like missing).

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};
use support::{TestApp, api, api_bytes, multipart};

async fn create_repo(app: &mut TestApp, name: &str, private: bool) {
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
}

fn body(r: &support::Resp) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// Every file under the app's release directory (temporary uploads included).
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
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

async fn setup(app: &mut TestApp) {
    let mut sysop = app.new_client();
    sysop.sign_up("sysop").await;
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
}

const RELEASES: &str = "/api/v1/repos/ada/tool/releases";

#[tokio::test]
async fn releases_are_created_listed_edited_and_deleted() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        setup(&mut app).await;
        let hook = api(
            &mut app,
            "POST",
            "/api/v1/repos/ada/tool/hooks",
            Some("ada"),
            Some(
                r#"{"type":"gitea","config":{"url":"https://ci.example.com/hook","content_type":"json"},"events":["release"],"active":true}"#,
            ),
        )
        .await;
        assert_eq!(hook.status, StatusCode::CREATED, "[{l}] {}", hook.body);
        let hook_id = body(&hook)["id"].as_i64().unwrap();

        // A published release with a new tag creates the tag at the default branch.
        let r = api(
            &mut app,
            "POST",
            RELEASES,
            Some("ada"),
            Some(r#"{"tag_name":"v1.0","name":"First","body":"**Notes**"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let v1 = body(&r);
        assert_eq!(v1["tag_name"], "v1.0");
        assert_eq!(v1["name"], "First");
        assert_eq!(v1["body"], "**Notes**");
        assert_eq!(v1["draft"], false);
        assert_eq!(v1["prerelease"], false);
        assert_eq!(v1["author"]["login"], "ada");
        assert!(
            v1["html_url"]
                .as_str()
                .unwrap()
                .ends_with("/ada/tool/releases/tag/v1.0")
        );
        assert!(
            v1["tarball_url"]
                .as_str()
                .unwrap()
                .ends_with("/ada/tool/archive/v1.0.tar.gz")
        );
        assert!(
            v1["zipball_url"]
                .as_str()
                .unwrap()
                .ends_with("/ada/tool/archive/v1.0.zip")
        );
        let v1_id = v1["id"].as_i64().unwrap();
        let tags = api(&mut app, "GET", "/api/v1/repos/ada/tool/tags", None, None).await;
        assert!(
            tags.body.contains("\"v1.0\""),
            "[{l}] tag created: {}",
            tags.body
        );

        // The same tag again: 409. A bad tag: 422. A target that names nothing: 422.
        let again = api(
            &mut app,
            "POST",
            RELEASES,
            Some("ada"),
            Some(r#"{"tag_name":"v1.0"}"#),
        )
        .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "[{l}] {}", again.body);
        for bad in [
            r#"{"tag_name":"bad..tag"}"#,
            r#"{"tag_name":"a b"}"#,
            r#"{"tag_name":""}"#,
        ] {
            let r = api(&mut app, "POST", RELEASES, Some("ada"), Some(bad)).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{l}] {bad} {}",
                r.body
            );
        }
        let r = api(
            &mut app,
            "POST",
            RELEASES,
            Some("ada"),
            Some(r#"{"tag_name":"v9","target_commitish":"no-such-branch"}"#),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );

        // Readers may not create; anonymous callers must sign in.
        let r = api(
            &mut app,
            "POST",
            RELEASES,
            Some("bob"),
            Some(r#"{"tag_name":"v2"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        let r = api(
            &mut app,
            "POST",
            RELEASES,
            None,
            Some(r#"{"tag_name":"v2"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{l}] {}", r.body);

        // A pre-release (by a writer collaborator) and a draft.
        let r = api(
            &mut app,
            "POST",
            RELEASES,
            Some("cat"),
            Some(r#"{"tag_name":"v2.0-beta","prerelease":true}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        assert_eq!(
            body(&r)["name"],
            "v2.0-beta",
            "[{l}] title defaults to the tag"
        );
        let r = api(
            &mut app,
            "POST",
            RELEASES,
            Some("ada"),
            Some(r#"{"tag_name":"v2.0","name":"Two","draft":true}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let draft_id = body(&r)["id"].as_i64().unwrap();
        let tags = api(&mut app, "GET", "/api/v1/repos/ada/tool/tags", None, None).await;
        assert!(
            !tags.body.contains("\"v2.0\""),
            "[{l}] a draft creates no tag yet"
        );

        // Drafts are for writers only.
        let list = api(&mut app, "GET", RELEASES, Some("ada"), None).await;
        assert_eq!(list.headers["x-total-count"], "3", "[{l}]");
        let list = api(&mut app, "GET", RELEASES, Some("bob"), None).await;
        assert_eq!(list.headers["x-total-count"], "2", "[{l}]");
        assert!(!list.body.contains("\"v2.0\""), "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("{RELEASES}/{draft_id}"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("{RELEASES}/tags/v2.0"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let list = api(
            &mut app,
            "GET",
            &format!("{RELEASES}?pre-release=false"),
            None,
            None,
        )
        .await;
        assert_eq!(list.headers["x-total-count"], "1", "[{l}] {}", list.body);

        // Latest: the newest published non-prerelease.
        let latest = api(&mut app, "GET", &format!("{RELEASES}/latest"), None, None).await;
        assert_eq!(body(&latest)["tag_name"], "v1.0", "[{l}]");

        // Publishing the draft creates its tag and makes it the latest.
        let r = api(
            &mut app,
            "PATCH",
            &format!("{RELEASES}/{draft_id}"),
            Some("ada"),
            Some(r#"{"draft":false,"body":"done"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        assert_eq!(body(&r)["body"], "done");
        assert_eq!(body(&r)["name"], "Two");
        let tags = api(&mut app, "GET", "/api/v1/repos/ada/tool/tags", None, None).await;
        assert!(
            tags.body.contains("\"v2.0\""),
            "[{l}] published: tag created"
        );
        let latest = api(&mut app, "GET", &format!("{RELEASES}/latest"), None, None).await;
        assert_eq!(body(&latest)["tag_name"], "v2.0", "[{l}]");
        let r = api(
            &mut app,
            "GET",
            &format!("{RELEASES}/tags/v2.0"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        // Renaming onto another release's tag: 409.
        let r = api(
            &mut app,
            "PATCH",
            &format!("{RELEASES}/{draft_id}"),
            Some("ada"),
            Some(r#"{"tag_name":"v1.0"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}] {}", r.body);
        let r = api(
            &mut app,
            "PATCH",
            &format!("{RELEASES}/{draft_id}"),
            Some("bob"),
            Some(r#"{"name":"x"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        // Deleting by tag removes the release and keeps the tag; by id as well.
        let r = api(
            &mut app,
            "DELETE",
            &format!("{RELEASES}/tags/v1.0"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}] {}", r.body);
        let r = api(
            &mut app,
            "GET",
            &format!("{RELEASES}/{v1_id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = api(
            &mut app,
            "DELETE",
            &format!("{RELEASES}/{draft_id}"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = api(
            &mut app,
            "DELETE",
            &format!("{RELEASES}/{draft_id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}]");
        let tags = api(&mut app, "GET", "/api/v1/repos/ada/tool/tags", None, None).await;
        assert!(
            tags.body.contains("\"v1.0\"") && tags.body.contains("\"v2.0\""),
            "[{l}] tags stay"
        );
        let r = api(
            &mut app,
            "GET",
            &format!("{RELEASES}/999999"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");

        // The hook heard: v1.0 published, v2.0-beta published, v2.0 published (the draft
        // was not announced), v1.0 deleted, v2.0 deleted.
        let store = app.store.store().clone();
        let (log, _) = store.deliveries_of_hook(hook_id, 0, 20).await.unwrap();
        let mut seen: Vec<(String, String)> = log
            .iter()
            .map(|d| (d.event.clone(), d.action.clone()))
            .collect();
        seen.reverse();
        let expect: Vec<(String, String)> =
            ["published", "published", "published", "deleted", "deleted"]
                .iter()
                .map(|a| ("release".to_owned(), (*a).to_owned()))
                .collect();
        assert_eq!(seen, expect, "[{l}]");
        let first = store
            .delivery(hook_id, log.last().unwrap().id)
            .await
            .unwrap()
            .unwrap();
        let payload: Value = serde_json::from_str(&first.payload).unwrap();
        assert_eq!(payload["action"], "published");
        assert_eq!(payload["release"]["tag_name"], "v1.0");
        assert_eq!(payload["repository"]["full_name"], "ada/tool");
        assert_eq!(payload["sender"]["login"], "ada");
    }
}

#[tokio::test]
async fn assets_are_uploaded_with_checksums_and_refused_when_wrong() {
    for mut app in TestApp::all_with(|cfg| cfg.max_release_asset_bytes = 4096).await {
        let l = app.label().to_owned();
        setup(&mut app).await;
        let r = api(
            &mut app,
            "POST",
            RELEASES,
            Some("ada"),
            Some(r#"{"tag_name":"v1.0"}"#),
        )
        .await;
        let id = body(&r)["id"].as_i64().unwrap();
        let assets = format!("{RELEASES}/{id}/assets");

        // A raw body with ?name=.
        let content: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let r = api_bytes(
            &mut app,
            "POST",
            &format!("{assets}?name=tool-1.0.tar.gz"),
            "ada",
            "application/octet-stream",
            content.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let a = body(&r);
        assert_eq!(a["name"], "tool-1.0.tar.gz");
        assert_eq!(a["size"], 3000);
        assert_eq!(a["download_count"], 0);
        assert_eq!(a["sha256"], hex::encode(Sha256::digest(&content)), "[{l}]");
        assert_eq!(a["sha512"], hex::encode(Sha512::digest(&content)), "[{l}]");
        assert!(
            a["browser_download_url"]
                .as_str()
                .unwrap()
                .ends_with("/ada/tool/releases/download/v1.0/tool-1.0.tar.gz"),
            "[{l}] {a}"
        );
        let asset_id = a["id"].as_i64().unwrap();

        // Multipart, Gitea's field `attachment`, the file's own name.
        let (ct, mp) = multipart(
            &[],
            "attachment",
            "tool-1.0.tar.gz.asc",
            b"-----BEGIN PGP SIGNATURE-----\n",
        );
        let r = api_bytes(&mut app, "POST", &assets, "ada", &ct, mp).await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        assert_eq!(body(&r)["name"], "tool-1.0.tar.gz.asc");

        // The same name again: 409, for both ways of uploading.
        let r = api_bytes(
            &mut app,
            "POST",
            &format!("{assets}?name=tool-1.0.tar.gz"),
            "ada",
            "application/octet-stream",
            b"other".to_vec(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}] {}", r.body);
        let (ct, mp) = multipart(&[], "attachment", "tool-1.0.tar.gz.asc", b"x");
        let r = api_bytes(&mut app, "POST", &assets, "ada", &ct, mp).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}] {}", r.body);

        // Names that are paths or carry control characters: 400.
        for bad in ["..%2Fescape", "a%2Fb", "a%5Cb", "..", "a%0Ab", "%00x"] {
            let r = api_bytes(
                &mut app,
                "POST",
                &format!("{assets}?name={bad}"),
                "ada",
                "application/octet-stream",
                b"x".to_vec(),
            )
            .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}] {bad}: {}", r.body);
        }
        let (ct, mp) = multipart(&[], "attachment", "../../etc/passwd", b"x");
        let r = api_bytes(&mut app, "POST", &assets, "ada", &ct, mp).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}] {}", r.body);
        let r = api_bytes(
            &mut app,
            "POST",
            &assets,
            "ada",
            "application/octet-stream",
            b"x".to_vec(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "[{l}] raw body without a name"
        );
        let (ct, mp) = multipart(&[], "file", "x.bin", b"x");
        let r = api_bytes(&mut app, "POST", &assets, "ada", &ct, mp).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "[{l}] no attachment field"
        );

        // Over the limit: 413 naming the limit, and nothing left on disk.
        let before = files_under(app.releases_dir.path());
        let big = vec![7u8; 5000];
        let r = api_bytes(
            &mut app,
            "POST",
            &format!("{assets}?name=big.bin"),
            "ada",
            "application/octet-stream",
            big.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "[{l}] {}", r.body);
        assert!(r.body.contains("4096"), "[{l}] {}", r.body);
        let (ct, mp) = multipart(&[], "attachment", "big.bin", &big);
        let r = api_bytes(&mut app, "POST", &assets, "ada", &ct, mp).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "[{l}] {}", r.body);
        assert_eq!(
            files_under(app.releases_dir.path()),
            before,
            "[{l}] nothing kept"
        );
        let list = api(&mut app, "GET", &assets, Some("ada"), None).await;
        let names: Vec<String> = body(&list)
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["tool-1.0.tar.gz", "tool-1.0.tar.gz.asc"], "[{l}]");

        // Readers may read but not upload, rename or delete.
        let r = api(
            &mut app,
            "GET",
            &format!("{assets}/{asset_id}"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        let r = api_bytes(
            &mut app,
            "POST",
            &format!("{assets}?name=x"),
            "bob",
            "application/octet-stream",
            b"x".to_vec(),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        let r = api(
            &mut app,
            "PATCH",
            &format!("{assets}/{asset_id}"),
            Some("bob"),
            Some(r#"{"name":"y"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        // Rename: a taken name 409, a path 400, a good one 201.
        let r = api(
            &mut app,
            "PATCH",
            &format!("{assets}/{asset_id}"),
            Some("ada"),
            Some(r#"{"name":"tool-1.0.tar.gz.asc"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "[{l}]");
        let r = api(
            &mut app,
            "PATCH",
            &format!("{assets}/{asset_id}"),
            Some("ada"),
            Some(r#"{"name":"../x"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "[{l}]");
        let r = api(
            &mut app,
            "PATCH",
            &format!("{assets}/{asset_id}"),
            Some("ada"),
            Some(r#"{"name":"tool.tgz"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        assert_eq!(body(&r)["name"], "tool.tgz");

        // Delete: the row and the file go.
        let files = files_under(app.releases_dir.path()).len();
        let r = api(
            &mut app,
            "DELETE",
            &format!("{assets}/{asset_id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}]");
        assert_eq!(
            files_under(app.releases_dir.path()).len(),
            files - 1,
            "[{l}]"
        );
        let r = api(
            &mut app,
            "GET",
            &format!("{assets}/{asset_id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        // Deleting the release removes its remaining files.
        let r = api(
            &mut app,
            "DELETE",
            &format!("{RELEASES}/{id}"),
            Some("ada"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "[{l}]");
        assert!(files_under(app.releases_dir.path()).is_empty(), "[{l}]");
    }
}

#[tokio::test]
async fn private_repositories_hide_their_releases() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        setup(&mut app).await;
        create_repo(&mut app, "secret", true).await;
        let base = "/api/v1/repos/ada/secret/releases";
        let r = api(
            &mut app,
            "POST",
            base,
            Some("ada"),
            Some(r#"{"tag_name":"v1"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let id = body(&r)["id"].as_i64().unwrap();
        let r = api_bytes(
            &mut app,
            "POST",
            &format!("{base}/{id}/assets?name=a.bin"),
            "ada",
            "application/octet-stream",
            b"abc".to_vec(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        let asset = body(&r)["id"].as_i64().unwrap();
        for (user, path) in [
            (Some("bob"), base.to_owned()),
            (None, base.to_owned()),
            (Some("bob"), format!("{base}/{id}")),
            (Some("bob"), format!("{base}/latest")),
            (Some("bob"), format!("{base}/tags/v1")),
            (Some("bob"), format!("{base}/{id}/assets")),
            (Some("bob"), format!("{base}/{id}/assets/{asset}")),
        ] {
            let r = api(&mut app, "GET", &path, user, None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {path} {user:?}");
        }
        let r = api_bytes(
            &mut app,
            "POST",
            &format!("{base}/{id}/assets?name=b.bin"),
            "bob",
            "application/octet-stream",
            b"abc".to_vec(),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = api(
            &mut app,
            "DELETE",
            &format!("{base}/{id}"),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let r = api(&mut app, "GET", &format!("{base}/{id}"), Some("ada"), None).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
    }
}
