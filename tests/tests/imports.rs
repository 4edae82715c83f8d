//! Importing repositories from other forges (issue 16), without the internet: the Gitea
//! importer against a second running Hatchery (which speaks Gitea's API), and the GitHub,
//! Gitee and GitLab importers against recorded fixtures (`tests/fixtures/import/<kind>/`,
//! in the real APIs' shapes) served by a small local server that pages them like the real
//! forge, asks for a wait once (`Retry-After`) and fails once, so the import must be
//! resumed — and must then finish with no duplicates. On every database.

mod apisupport;
mod gitsupport;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apisupport::{ApiResponse, Auth, call, get, token};
use gitsupport::{PASSWORD, Server, fsck, git, make_work_repo, ok};
use hatchery_core::Actor;
use hatchery_core::netpolicy::AllowedHosts;
use hatchery_service::issues::RepoView;
use hatchery_store::ReleaseFields;
use hatchery_store::testing::stores;
use serde_json::{Value, json};

/// Lets the importing instance reach the test's servers on 127.0.0.1 and keeps rate-limit
/// waits tiny.
fn importer_config(cfg: &mut hatchery_web::WebConfig) {
    cfg.migrations_allowed_hosts = AllowedHosts::parse("loopback").expect("allowed hosts");
    cfg.imports.max_rate_wait = Duration::from_millis(20);
}

async fn post(server: &Server, path: &str, auth: Auth<'_>, body: Value) -> ApiResponse {
    call(server, "POST", path, auth, Some(body)).await
}

/// Polls the import's status until it is no longer queued or running.
async fn wait_import(server: &Server, repo: &str, auth: Auth<'_>) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = get(server, &format!("/api/v1/repos/{repo}/migration"), auth).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let state = r.json["state"].as_str().unwrap_or("").to_owned();
        if state == "done" || state == "failed" {
            return r.json;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the import did not end: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn list(r: &ApiResponse) -> Vec<Value> {
    r.json
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", r.text))
        .clone()
}

fn by<'a>(items: &'a [Value], key: &str, value: &str) -> &'a Value {
    items
        .iter()
        .find(|v| {
            v[key].as_str() == Some(value)
                || v[key].as_i64().map(|n| n.to_string()).as_deref() == Some(value)
        })
        .unwrap_or_else(|| panic!("no item with {key} = {value} in {items:?}"))
}

fn names(v: &Value, key: &str) -> Vec<String> {
    let mut n: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x[key].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    n.sort();
    n
}

/// Who wrote an item as the Gitea API shows it: the original author when it was imported
/// without a matching account, else the user.
fn writer(v: &Value) -> String {
    match v["original_author"].as_str() {
        Some(a) if !a.is_empty() => a.to_owned(),
        _ => v["user"]["login"].as_str().unwrap_or("").to_owned(),
    }
}

#[tokio::test]
async fn a_repository_moves_between_two_instances_without_loss() {
    let sources = stores().await;
    let targets = stores().await;
    for (store_a, store_b) in sources.into_iter().zip(targets) {
        let a = Server::start(store_a, |_| {}).await;
        let b = Server::start(store_b, importer_config).await;
        let l = a.label().to_owned();

        // Instance A: a repository with labels, milestones (one closed, one with a due
        // date), issues with labels, milestones, comments by two people, a closed and a
        // locked one, and releases (a draft, a pre-release, assets).
        let ada = a.user("ada").await;
        let bob = a.user("bob").await;
        let repo = a.repo(&ada, "proj", false).await;
        let ada_a = token(&a, ada.id, "ada", &["write:repository", "write:issue"]).await;
        let bob_a = token(&a, bob.id, "bob", &["write:issue"]).await;
        let base = "/api/v1/repos/ada/proj";
        // Git data: main, dev, a topic branch and an annotated and a light tag, with
        // `trunk` as the default branch (not the importer's default).
        let work = make_work_repo(a.dir.path(), 4).await;
        ok(&git(&work, &["branch", "topic/x", "HEAD~1"]).await);
        ok(&git(&work, &["branch", "-m", "main", "trunk"]).await);
        ok(&git(&work, &["tag", "light", "HEAD~2"]).await);
        let push_url = a.url("ada/proj.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &push_url, "--all"]).await);
        ok(&git(&work, &["push", "-q", &push_url, "--tags"]).await);
        let r = call(
            &a,
            "PATCH",
            base,
            Auth::Token(&ada_a),
            Some(json!({"default_branch": "trunk"})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        // Two branches with work for pull requests.
        for branch in ["feature", "idea"] {
            ok(&git(&work, &["checkout", "-q", "-b", branch, "trunk"]).await);
            std::fs::write(work.join(format!("{branch}.txt")), branch).expect("write");
            ok(&git(&work, &["add", "-A"]).await);
            ok(&git(&work, &["commit", "-q", "-m", branch]).await);
            ok(&git(&work, &["push", "-q", &push_url, branch]).await);
        }
        for (name, color, desc) in [
            ("bug", "ee0701", "Something is broken"),
            ("docs", "0052cc", ""),
        ] {
            let r = post(
                &a,
                &format!("{base}/labels"),
                Auth::Token(&ada_a),
                json!({"name": name, "color": color, "description": desc}),
            )
            .await;
            assert_eq!(r.status, 201, "[{l}] {}", r.text);
        }
        let r = post(
            &a,
            &format!("{base}/milestones"),
            Auth::Token(&ada_a),
            json!({"title": "1.0", "description": "First", "due_on": "2030-05-01T00:00:00Z"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let r = post(
            &a,
            &format!("{base}/milestones"),
            Auth::Token(&ada_a),
            json!({"title": "0.9", "state": "closed"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let labels_a = list(&get(&a, &format!("{base}/labels"), Auth::None).await);
        let bug = by(&labels_a, "name", "bug")["id"].as_i64().expect("id");
        let docs = by(&labels_a, "name", "docs")["id"].as_i64().expect("id");
        let ms_a = list(&get(&a, &format!("{base}/milestones?state=all"), Auth::None).await);
        let m1 = by(&ms_a, "title", "1.0")["id"].as_i64().expect("id");
        let issues = [
            (
                Auth::Token(&ada_a),
                "It crashes",
                "Steps:\n1. run",
                vec![bug],
                Some(m1),
            ),
            (
                Auth::Token(&bob_a),
                "Explain the setup",
                "",
                vec![docs],
                None,
            ),
            (
                Auth::Token(&bob_a),
                "中文标题",
                "正文",
                vec![bug, docs],
                Some(m1),
            ),
        ];
        for (auth, title, body, labels, milestone) in issues {
            let r = post(
                &a,
                &format!("{base}/issues"),
                auth,
                json!({"title": title, "body": body, "labels": labels, "milestone": milestone}),
            )
            .await;
            assert_eq!(r.status, 201, "[{l}] {}", r.text);
        }
        for (n, auth, body) in [
            (1, Auth::Token(&bob_a), "Me too"),
            (1, Auth::Token(&ada_a), "Fixed on main"),
            (3, Auth::Token(&ada_a), "谢谢"),
        ] {
            let r = post(
                &a,
                &format!("{base}/issues/{n}/comments"),
                auth,
                json!({"body": body}),
            )
            .await;
            assert_eq!(r.status, 201, "[{l}] {}", r.text);
        }
        let r = call(
            &a,
            "PATCH",
            &format!("{base}/issues/1"),
            Auth::Token(&ada_a),
            Some(json!({"state": "closed", "assignees": ["ada"]})),
        )
        .await;
        assert!(matches!(r.status, 200 | 201), "[{l}] {}", r.text);
        let r = call(
            &a,
            "PUT",
            &format!("{base}/collaborators/bob"),
            Auth::Token(&ada_a),
            Some(json!({"permission": "write"})),
        )
        .await;
        assert!(matches!(r.status, 200 | 204), "[{l}] {}", r.text);
        let r = call(
            &a,
            "PATCH",
            &format!("{base}/issues/3"),
            Auth::Token(&ada_a),
            Some(json!({"assignees": ["ada", "bob"]})),
        )
        .await;
        assert!(matches!(r.status, 200 | 201), "[{l}] {}", r.text);
        // Pull requests #4 (merged, with a comment by bob) and #5 (closed unmerged).
        for (head, title) in [("feature", "Add the feature"), ("idea", "Try an idea")] {
            let r = post(
                &a,
                &format!("{base}/pulls"),
                Auth::Token(&ada_a),
                json!({"head": head, "base": "trunk", "title": title, "body": format!("{head} body")}),
            )
            .await;
            assert_eq!(r.status, 201, "[{l}] {}", r.text);
        }
        let r = post(
            &a,
            &format!("{base}/issues/4/comments"),
            Auth::Token(&bob_a),
            json!({"body": "Looks good"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let r = post(
                &a,
                &format!("{base}/pulls/4/merge"),
                Auth::Token(&ada_a),
                json!({"Do": "merge"}),
            )
            .await;
            if r.status == 200 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{l}] merge: {} {}",
                r.status,
                r.text
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let r = call(
            &a,
            "PATCH",
            &format!("{base}/pulls/5"),
            Auth::Token(&ada_a),
            Some(json!({"state": "closed"})),
        )
        .await;
        assert!(matches!(r.status, 200 | 201), "[{l}] {}", r.text);
        let actor = Actor::User {
            id: ada.id,
            site_admin: false,
        };
        let view = RepoView {
            facts: a.state.forge.repo_facts(actor, &repo).await.expect("facts"),
            repo: repo.clone(),
            actor,
        };
        for (tag, title, note, draft, pre) in [
            ("v1.0", "One", "The first", false, false),
            ("v1.1-rc1", "Candidate", "Try it", false, true),
            ("v2.0", "Next", "Soon", true, false),
        ] {
            let rel = a
                .state
                .store
                .create_release(
                    repo.id,
                    &ReleaseFields {
                        tag_name: tag.into(),
                        target: "main".into(),
                        sha: String::new(),
                        title: title.into(),
                        note: note.into(),
                        is_draft: draft,
                        is_prerelease: pre,
                        is_candidate: false,
                    },
                    Some(ada.id),
                )
                .await
                .expect("release");
            if tag == "v1.0" {
                for (name, bytes) in [
                    ("proj.tar.gz", b"tarball bytes".as_slice()),
                    ("SHA256SUMS", b"abc  proj.tar.gz\n"),
                ] {
                    let mut up = a
                        .state
                        .forge
                        .begin_asset(&view, rel.id, name, "", None)
                        .await
                        .expect("begin");
                    up.write(bytes).await.expect("write");
                    a.state.forge.finish_asset(up).await.expect("finish");
                }
            }
        }

        // Instance B: ada (matched with the user map) imports; bob has no account there.
        let ada_b_user = b.user("ada").await;
        let ada_b = token(
            &b,
            ada_b_user.id,
            "ada",
            &["write:repository", "write:issue"],
        )
        .await;
        let r = post(
            &b,
            "/api/v1/repos/migrate",
            Auth::Token(&ada_b),
            json!({
                "clone_addr": format!("http://{}/ada/proj.git", a.addr),
                "service": "gitea",
                "auth_token": ada_a,
                "repo_name": "moved",
                "description": "Moved from A",
                "labels": true, "milestones": true, "issues": true,
                "pull_requests": true, "releases": true,
                "user_map": {"ada": "ada"}
            }),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(r.json["full_name"], "ada/moved");
        let status = wait_import(&b, "ada/moved", Auth::Token(&ada_b)).await;
        assert_eq!(status["state"], "done", "[{l}] {status}");
        assert_eq!(status["counts"]["issues"], 3, "[{l}] {status}");
        assert_eq!(status["counts"]["pull_requests"], 2, "[{l}] {status}");
        assert_eq!(status["counts"]["comments"], 4, "[{l}] {status}");
        assert_eq!(status["counts"]["releases"], 3, "[{l}] {status}");
        assert_eq!(status["counts"]["assets"], 2, "[{l}] {status}");

        // The git data: every branch and tag at the same object, the same default branch,
        // and a clone that passes fsck.
        let refs_a = ls_remote(&a, "ada/proj.git").await;
        let refs_b = ls_remote(&b, "ada/moved.git").await;
        assert!(
            refs_a.contains("ref: refs/heads/trunk\tHEAD"),
            "[{l}] {refs_a}"
        );
        assert!(refs_a.contains("refs/tags/v1.0^{}"), "[{l}] {refs_a}");
        assert_eq!(refs_a, refs_b, "[{l}] refs");
        let clone = b.dir.path().join("moved-clone");
        ok(&git(
            b.dir.path(),
            &[
                "clone",
                "-q",
                "--mirror",
                &b.url("ada/moved.git", None),
                clone.to_str().expect("utf-8"),
            ],
        )
        .await);
        fsck(&clone).await;
        let moved = get(&b, "/api/v1/repos/ada/moved", Auth::None).await;
        assert_eq!(
            moved.json["default_branch"], "trunk",
            "[{l}] {}",
            moved.text
        );
        assert_eq!(moved.json["empty"], false, "[{l}] {}", moved.text);

        // Every field the Gitea API shows, compared.
        let bb = "/api/v1/repos/ada/moved";
        let la = list(&get(&a, &format!("{base}/labels"), Auth::None).await);
        let lb = list(&get(&b, &format!("{bb}/labels"), Auth::None).await);
        assert_eq!(la.len(), lb.len(), "[{l}]");
        for x in &la {
            let y = by(&lb, "name", x["name"].as_str().unwrap_or(""));
            for k in ["color", "description", "exclusive", "is_archived"] {
                assert_eq!(x[k], y[k], "[{l}] label {k}");
            }
        }
        let ma = list(&get(&a, &format!("{base}/milestones?state=all"), Auth::None).await);
        let mb = list(&get(&b, &format!("{bb}/milestones?state=all"), Auth::None).await);
        assert_eq!(ma.len(), mb.len(), "[{l}]");
        for x in &ma {
            let y = by(&mb, "title", x["title"].as_str().unwrap_or(""));
            for k in [
                "description",
                "state",
                "due_on",
                "open_issues",
                "closed_issues",
                "created_at",
                "closed_at",
            ] {
                assert_eq!(x[k], y[k], "[{l}] milestone {} {k}", x["title"]);
            }
        }
        let ia = list(
            &get(
                &a,
                &format!("{base}/issues?state=all&type=issues"),
                Auth::None,
            )
            .await,
        );
        let ib = list(
            &get(
                &b,
                &format!("{bb}/issues?state=all&type=issues"),
                Auth::None,
            )
            .await,
        );
        assert_eq!(ia.len(), ib.len(), "[{l}]");
        for x in &ia {
            let n = x["number"].as_i64().expect("number");
            let y = by(&ib, "number", &n.to_string());
            for k in [
                "title",
                "body",
                "state",
                "is_locked",
                "comments",
                "created_at",
                "updated_at",
                "closed_at",
                "state_reason",
            ] {
                assert_eq!(x[k], y[k], "[{l}] issue #{n} {k}");
            }
            assert_eq!(
                names(&x["labels"], "name"),
                names(&y["labels"], "name"),
                "[{l}] #{n} labels"
            );
            assert_eq!(
                x["milestone"]["title"], y["milestone"]["title"],
                "[{l}] #{n} milestone"
            );
            assert_eq!(writer(x), writer(y), "[{l}] #{n} author");
            // Assignees who have an account here stay assigned; bob has none on B.
            let mut assigned = names(&x["assignees"], "login");
            assigned.retain(|who| who != "bob");
            assert_eq!(
                assigned,
                names(&y["assignees"], "login"),
                "[{l}] #{n} assignees"
            );
            let ca = list(&get(&a, &format!("{base}/issues/{n}/comments"), Auth::None).await);
            let cb = list(&get(&b, &format!("{bb}/issues/{n}/comments"), Auth::None).await);
            assert_eq!(ca.len(), cb.len(), "[{l}] #{n} comments");
            for (c, d) in ca.iter().zip(&cb) {
                for k in ["body", "created_at", "updated_at"] {
                    assert_eq!(c[k], d[k], "[{l}] #{n} comment {k}");
                }
                assert_eq!(writer(c), writer(d), "[{l}] #{n} comment author");
            }
        }
        // Pull requests: records, merged or closed as on A, with their heads here.
        let pa = list(&get(&a, &format!("{base}/pulls?state=all"), Auth::None).await);
        let pb = list(&get(&b, &format!("{bb}/pulls?state=all"), Auth::None).await);
        assert_eq!(pa.len(), 2, "[{l}]");
        assert_eq!(pa.len(), pb.len(), "[{l}] {pb:?}");
        for x in &pa {
            let n = x["number"].as_i64().expect("number");
            let y = by(&pb, "number", &n.to_string());
            for k in [
                "title",
                "body",
                "state",
                "merged",
                "merged_at",
                "merge_commit_sha",
                "merge_base",
                "created_at",
                "closed_at",
                "comments",
            ] {
                assert_eq!(x[k], y[k], "[{l}] pull #{n} {k}");
            }
            assert_eq!(x["base"]["ref"], y["base"]["ref"], "[{l}] #{n} base");
            assert_eq!(x["head"]["ref"], y["head"]["ref"], "[{l}] #{n} head");
            assert_eq!(x["head"]["sha"], y["head"]["sha"], "[{l}] #{n} head sha");
            assert_eq!(writer(x), writer(y), "[{l}] #{n} author");
            assert_eq!(
                x["merged_by"]["login"], y["merged_by"]["login"],
                "[{l}] #{n} merged by"
            );
            let ca = list(&get(&a, &format!("{base}/issues/{n}/comments"), Auth::None).await);
            let cb = list(&get(&b, &format!("{bb}/issues/{n}/comments"), Auth::None).await);
            assert_eq!(ca.len(), cb.len(), "[{l}] #{n} comments");
            for (c, d) in ca.iter().zip(&cb) {
                assert_eq!(c["body"], d["body"], "[{l}] #{n} comment");
                assert_eq!(writer(c), writer(d), "[{l}] #{n} comment author");
            }
            // The head commit came with the git data, and the pages show the request.
            let page = reqwest::get(format!("http://{}/ada/moved/pulls/{n}/files", b.addr))
                .await
                .expect("page");
            assert_eq!(page.status(), 200, "[{l}] #{n} files");
            let page = page.text().await.expect("text");
            let file = if n == 4 { "feature.txt" } else { "idea.txt" };
            assert!(page.contains(file), "[{l}] #{n} files: {page}");
        }
        assert_eq!(by(&pb, "number", "4")["merged"], true, "[{l}]");
        assert_eq!(by(&pb, "number", "5")["state"], "closed", "[{l}]");
        // Bob has no account on B: his items are ada's there, "originally by bob".
        assert_eq!(
            names(&by(&ib, "number", "3")["assignees"], "login"),
            vec!["ada"],
            "[{l}]"
        );
        let two = by(&ib, "number", "2");
        assert_eq!(two["user"]["login"], "ada", "[{l}]");
        assert_eq!(two["original_author"], "bob", "[{l}]");
        let one = by(&ib, "number", "1");
        assert_eq!(
            one["original_author"], "",
            "[{l}] mapped authors are themselves"
        );
        let ra = list(&get(&a, &format!("{base}/releases"), Auth::Token(&ada_a)).await);
        let rb = list(&get(&b, &format!("{bb}/releases"), Auth::Token(&ada_b)).await);
        assert_eq!(ra.len(), rb.len(), "[{l}] releases");
        for x in &ra {
            let y = by(&rb, "tag_name", x["tag_name"].as_str().unwrap_or(""));
            for k in [
                "name",
                "body",
                "draft",
                "prerelease",
                "target_commitish",
                "created_at",
                "published_at",
            ] {
                assert_eq!(x[k], y[k], "[{l}] release {} {k}", x["tag_name"]);
            }
            assert_eq!(
                names(&x["assets"], "name"),
                names(&y["assets"], "name"),
                "[{l}] assets"
            );
            for asset in x["assets"].as_array().into_iter().flatten() {
                let other = by(
                    y["assets"].as_array().expect("assets"),
                    "name",
                    asset["name"].as_str().unwrap_or(""),
                );
                assert_eq!(asset["size"], other["size"], "[{l}] asset size");
                let bytes_a = reqwest::get(asset["browser_download_url"].as_str().unwrap_or(""))
                    .await
                    .expect("get")
                    .bytes()
                    .await
                    .expect("bytes");
                let bytes_b = reqwest::get(other["browser_download_url"].as_str().unwrap_or(""))
                    .await
                    .expect("get")
                    .bytes()
                    .await
                    .expect("bytes");
                assert_eq!(bytes_a, bytes_b, "[{l}] asset content");
            }
        }
        // A new issue on B continues after the imported numbers (issues and requests).
        let r = post(
            &b,
            &format!("{bb}/issues"),
            Auth::Token(&ada_b),
            json!({"title": "after"}),
        )
        .await;
        assert_eq!(r.json["number"], 6, "[{l}] {}", r.text);
        a.stop().await;
        b.stop().await;
    }
}

// ---- fixtures ----

/// Answers once with a status (and a `Retry-After`) before serving normally.
#[derive(Clone)]
struct Fault {
    path_suffix: &'static str,
    page: Option<&'static str>,
    status: u16,
    retry_after: Option<&'static str>,
}

#[derive(Clone)]
struct Fixtures {
    kind: &'static str,
    prefix: &'static str,
    dir: PathBuf,
    base: Arc<Mutex<String>>,
    faults: Arc<Mutex<Vec<Fault>>>,
    /// Requests seen, by path and page.
    hits: Arc<Mutex<HashMap<String, u32>>>,
    /// Where git requests for `octo/hello.git` go: a repository of the importing instance
    /// (`http://addr/owner/name.git`), as the source forge's git server.
    git: Arc<Mutex<String>>,
}

/// Serves `/octo/hello.git/...` from the repository `git` names, after checking the
/// token the import sends as the password of HTTP Basic.
async fn proxy_git(
    f: &Fixtures,
    method: axum::http::Method,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use base64::Engine as _;
    let password = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|up| up.split_once(':').map(|(_, p)| p.to_owned()));
    if password.as_deref() != Some("secret-token") {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Basic realm=\"git\"")],
        )
            .into_response();
    }
    let tail = uri.path().trim_start_matches("/octo/hello.git");
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let upstream = format!("{}{tail}{query}", f.git.lock().expect("git"));
    let mut request = reqwest::Client::new().request(method, upstream).body(body);
    for name in ["content-type", "accept", "git-protocol"] {
        if let Some(v) = headers.get(name) {
            request = request.header(name, v.as_bytes());
        }
    }
    let response = request.send().await.expect("the git server answers");
    let status = axum::http::StatusCode::from_u16(response.status().as_u16()).expect("status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = response.bytes().await.expect("body");
    (status, [("content-type", content_type)], bytes).into_response()
}

/// Makes `owner/source` on `b` with a few branches and tags, serves it as the fixture
/// forge's `octo/hello.git` and returns its refs (`git ls-remote`).
async fn git_source(b: &Server, owner: &hatchery_store::User, f: &Fixtures) -> String {
    b.repo(owner, "source", false).await;
    let work = make_work_repo(b.dir.path(), 3).await;
    let push_url = b.url(
        &format!("{}/source.git", owner.name),
        Some((&owner.name, PASSWORD)),
    );
    ok(&git(&work, &["push", "-q", &push_url, "--all"]).await);
    ok(&git(&work, &["push", "-q", &push_url, "--tags"]).await);
    *f.git.lock().expect("git") = b.url(&format!("{}/source.git", owner.name), None);
    ls_remote(b, &format!("{}/source.git", owner.name)).await
}

/// `git ls-remote --symref` of a repository of `server`.
async fn ls_remote(server: &Server, path: &str) -> String {
    let out = git(
        server.dir.path(),
        &["ls-remote", "--symref", &server.url(path, None)],
    )
    .await;
    ok(&out);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fixture_dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/import")
        .join(kind)
}

async fn serve_fixture(
    axum::extract::State(f): axum::extract::State<Fixtures>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = uri.path().to_owned();
    if path.starts_with("/octo/hello.git/") {
        return proxy_git(&f, method, &uri, &headers, body).await;
    }
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let page = query.get("page").cloned().unwrap_or_else(|| "1".into());
    *f.hits
        .lock()
        .expect("hits")
        .entry(format!("{path}?{page}"))
        .or_default() += 1;
    // Each forge's own way of taking a token.
    let token_ok = match f.kind {
        "github" => {
            headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("token secret-token")
        }
        "gitlab" => {
            headers.get("private-token").and_then(|v| v.to_str().ok()) == Some("secret-token")
        }
        _ => query.get("access_token").map(String::as_str) == Some("secret-token"),
    };
    if let Some(file) = path.strip_prefix("/downloads/") {
        let bytes = std::fs::read(fixture_dir("downloads").join(file)).unwrap_or_default();
        return bytes.into_response();
    }
    if !token_ok {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            "{\"message\":\"Bad credentials\"}",
        )
            .into_response();
    }
    {
        let mut faults = f.faults.lock().expect("faults");
        if let Some(i) = faults
            .iter()
            .position(|x| path.ends_with(x.path_suffix) && x.page.is_none_or(|p| p == page))
        {
            let fault = faults.remove(i);
            let mut resp = (
                axum::http::StatusCode::from_u16(fault.status).expect("status"),
                "{\"message\":\"try again\"}",
            )
                .into_response();
            if let Some(after) = fault.retry_after {
                resp.headers_mut()
                    .insert("retry-after", after.parse().expect("header"));
            }
            return resp;
        }
    }
    let Some(rest) = path.strip_prefix(f.prefix) else {
        return (axum::http::StatusCode::NOT_FOUND, "{}").into_response();
    };
    let name = rest.trim_matches('/').replace('/', "_");
    let name = if name.is_empty() {
        "repo".to_owned()
    } else {
        name
    };
    let paged = |p: u32| f.dir.join(format!("{name}_p{p}.json"));
    let n: u32 = page.parse().unwrap_or(1);
    let (file, more, pages) = if paged(1).exists() {
        let pages = (1..).take_while(|p| paged(*p).exists()).count() as u32;
        (paged(n), paged(n + 1).exists(), pages)
    } else {
        (f.dir.join(format!("{name}.json")), false, 1)
    };
    let body = if n > pages {
        "[]".to_owned()
    } else {
        match std::fs::read_to_string(&file) {
            Ok(text) => text.replace("{base}", &f.base.lock().expect("base")),
            Err(_) => {
                return (
                    axum::http::StatusCode::NOT_FOUND,
                    "{\"message\":\"Not Found\"}",
                )
                    .into_response();
            }
        }
    };
    let mut resp = ([("content-type", "application/json")], body).into_response();
    let h = resp.headers_mut();
    match f.kind {
        "github" if more => {
            let link = format!(
                "<{}{path}?page={}>; rel=\"next\"",
                f.base.lock().expect("base"),
                n + 1
            );
            h.insert("link", link.parse().expect("link"));
        }
        "gitlab" => {
            let next = if more {
                (n + 1).to_string()
            } else {
                String::new()
            };
            h.insert("x-next-page", next.parse().expect("next"));
            h.insert("x-total-pages", pages.to_string().parse().expect("pages"));
        }
        "gitee" => {
            h.insert("total_page", pages.to_string().parse().expect("pages"));
        }
        _ => {}
    }
    resp
}

async fn start_fixtures(
    kind: &'static str,
    prefix: &'static str,
    faults: Vec<Fault>,
) -> (SocketAddr, Fixtures) {
    let f = Fixtures {
        kind,
        prefix,
        dir: fixture_dir(kind),
        base: Arc::new(Mutex::new(String::new())),
        faults: Arc::new(Mutex::new(faults)),
        hits: Arc::new(Mutex::new(HashMap::new())),
        git: Arc::new(Mutex::new(String::new())),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    *f.base.lock().expect("base") = format!("http://{addr}");
    let app = axum::Router::new()
        .fallback(serve_fixture)
        .with_state(f.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, f)
}

/// What an import made, read back through the Gitea API of the importing instance.
/// Imported pull requests are issues there (see `hatchery_store::ImportedIssue::pull`).
struct Imported {
    issues: Vec<Value>,
    comments: HashMap<i64, Vec<Value>>,
    labels: Vec<Value>,
    milestones: Vec<Value>,
    releases: Vec<Value>,
}

async fn read_back(b: &Server, repo: &str, auth: Auth<'_>) -> Imported {
    let base = format!("/api/v1/repos/{repo}");
    let issues = list(&get(b, &format!("{base}/issues?state=all&limit=50"), auth).await);
    let mut comments = HashMap::new();
    for i in &issues {
        let n = i["number"].as_i64().expect("number");
        comments.insert(
            n,
            list(&get(b, &format!("{base}/issues/{n}/comments"), auth).await),
        );
    }
    Imported {
        issues,
        comments,
        labels: list(&get(b, &format!("{base}/labels"), auth).await),
        milestones: list(&get(b, &format!("{base}/milestones?state=all"), auth).await),
        releases: list(&get(b, &format!("{base}/releases"), auth).await),
    }
}

#[tokio::test]
async fn github_fixtures_are_paged_rate_limited_and_resumed_without_duplicates() {
    for store in stores().await {
        let (addr, fixtures) = start_fixtures(
            "github",
            "/api/v3/repos/octo/hello",
            vec![
                // Page 2 of the issues: asked to wait once.
                Fault {
                    path_suffix: "/issues",
                    page: Some("2"),
                    status: 429,
                    retry_after: Some("1"),
                },
                // The comments of #3: a failure once, which stops the import midway.
                Fault {
                    path_suffix: "/issues/3/comments",
                    page: None,
                    status: 502,
                    retry_after: None,
                },
            ],
        )
        .await;
        let b = Server::start(store, importer_config).await;
        let l = b.label().to_owned();
        let ada = b.user("ada").await;
        let source_refs = git_source(&b, &ada, &fixtures).await;
        let t = token(&b, ada.id, "ada", &["write:repository", "write:issue"]).await;
        let r = post(
            &b,
            "/api/v1/repos/migrate",
            Auth::Token(&t),
            json!({
                "clone_addr": format!("http://{addr}/octo/hello.git"),
                "service": "github",
                "auth_token": "secret-token",
                "repo_name": "hello",
                "labels": true, "milestones": true, "issues": true,
                "pull_requests": true, "releases": true
            }),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let status = wait_import(&b, "ada/hello", Auth::Token(&t)).await;
        assert_eq!(status["state"], "failed", "[{l}] {status}");
        assert!(
            status["error"].as_str().unwrap_or("").contains("502"),
            "[{l}] {status}"
        );
        assert_eq!(status["stage"], "issues", "[{l}] {status}");
        // The token waits for the resume sealed, never as given.
        let hello = get(&b, "/api/v1/repos/ada/hello", Auth::Token(&t)).await;
        let waiting = b
            .state
            .store
            .import_of_repo(hello.json["id"].as_i64().expect("id"))
            .await
            .expect("read")
            .expect("import");
        assert!(waiting.auth_secret.starts_with("v1:"), "[{l}] sealed");
        assert!(!waiting.auth_secret.contains("secret-token"), "[{l}]");
        // Waited and asked again after the 429.
        let hits = fixtures.hits.lock().expect("hits").clone();
        assert_eq!(
            hits.get("/api/v3/repos/octo/hello/issues?2"),
            Some(&2),
            "[{l}] {hits:?}"
        );

        let r = post(
            &b,
            "/api/v1/repos/ada/hello/migration/resume",
            Auth::Token(&t),
            json!({}),
        )
        .await;
        assert_eq!(r.status, 202, "[{l}] {}", r.text);
        let status = wait_import(&b, "ada/hello", Auth::Token(&t)).await;
        assert_eq!(status["state"], "done", "[{l}] {status}");
        assert_eq!(
            ls_remote(&b, "ada/hello.git").await,
            source_refs,
            "[{l}] git data"
        );
        let c = &status["counts"];
        assert_eq!(
            (
                c["labels"].as_i64(),
                c["milestones"].as_i64(),
                c["issues"].as_i64(),
                c["pull_requests"].as_i64(),
                c["comments"].as_i64(),
                c["releases"].as_i64(),
                c["assets"].as_i64()
            ),
            (
                Some(2),
                Some(1),
                Some(2),
                Some(1),
                Some(4),
                Some(1),
                Some(1)
            ),
            "[{l}] {status}"
        );

        let got = read_back(&b, "ada/hello", Auth::Token(&t)).await;
        // Numbers as on GitHub; no duplicates after the resume.
        let mut numbers: Vec<i64> = got
            .issues
            .iter()
            .map(|i| i["number"].as_i64().unwrap_or(0))
            .collect();
        numbers.sort();
        assert_eq!(numbers, vec![1, 2, 3], "[{l}]");
        assert_eq!(
            by(&got.issues, "number", "2")["title"],
            "Amazing new feature",
            "[{l}]"
        );
        assert_eq!(got.comments[&1].len(), 2, "[{l}]");
        assert_eq!(got.comments[&2].len(), 1, "[{l}]");
        assert_eq!(got.comments[&3].len(), 1, "[{l}]");
        let one = by(&got.issues, "number", "1");
        assert_eq!(one["title"], "Found a bug");
        assert_eq!(one["created_at"], "2011-04-22T13:33:48Z", "[{l}]");
        assert_eq!(one["original_author"], "octo", "[{l}]");
        assert_eq!(one["user"]["login"], "ada", "[{l}]");
        // The issue's page names the source's author, not the importer.
        let page = reqwest::get(format!("http://{}/ada/hello/issues/1", b.addr))
            .await
            .expect("page")
            .text()
            .await
            .expect("text");
        assert!(
            page.contains("originally by octo on GitHub"),
            "[{l}] {page}"
        );
        assert_eq!(names(&one["labels"], "name"), vec!["bug"], "[{l}]");
        assert_eq!(one["milestone"]["title"], "v1.0", "[{l}]");
        let three = by(&got.issues, "number", "3");
        assert_eq!(three["state"], "closed", "[{l}]");
        assert_eq!(three["is_locked"], true, "[{l}]");
        assert_eq!(three["closed_at"], "2011-06-02T08:00:00Z", "[{l}]");
        assert_eq!(got.comments[&1][1]["original_author"], "octo", "[{l}]");
        assert_eq!(
            got.comments[&1][1]["created_at"], "2011-04-24T10:00:00Z",
            "[{l}]"
        );
        assert_eq!(got.comments[&1][0]["body"], "Me too", "[{l}]");
        let bug = by(&got.labels, "name", "bug");
        assert_eq!(bug["color"], "f29513", "[{l}]");
        assert_eq!(got.milestones[0]["due_on"], "2012-10-09T23:39:01Z", "[{l}]");
        // The pull request is a merged request record; its head commit is not here (the
        // source's git server has no refs/pull), and its pages still answer.
        let pr = get(&b, "/api/v1/repos/ada/hello/pulls/2", Auth::Token(&t)).await;
        assert_eq!(pr.status, 200, "[{l}] {}", pr.text);
        assert_eq!(pr.json["merged"], true, "[{l}]");
        assert_eq!(pr.json["merged_at"], "2011-05-01T10:00:00Z", "[{l}]");
        assert_eq!(pr.json["head"]["ref"], "new-topic", "[{l}]");
        assert_eq!(
            pr.json["merge_commit_sha"], "e5bd3914e2e596debea16f433f57875b5b90bcd6",
            "[{l}]"
        );
        for tail in ["", "/files", "/commits", ".diff", ".patch"] {
            let r = reqwest::get(format!("http://{}/ada/hello/pulls/2{tail}", b.addr))
                .await
                .expect("page");
            // The pages say what they can; the raw diff of a missing commit is not found.
            let want: &[u16] = if tail.starts_with('.') {
                &[200, 404]
            } else {
                &[200]
            };
            assert!(
                want.contains(&r.status().as_u16()),
                "[{l}] pulls/2{tail}: {}",
                r.status()
            );
        }
        for api in ["", "/files", "/commits"] {
            let r = get(
                &b,
                &format!("/api/v1/repos/ada/hello/pulls/2{api}"),
                Auth::Token(&t),
            )
            .await;
            assert!(
                r.status < 500,
                "[{l}] api pulls/2{api}: {} {}",
                r.status,
                r.text
            );
        }
        let rel = &got.releases[0];
        assert_eq!(rel["tag_name"], "v1.0.0", "[{l}]");
        assert_eq!(rel["body"], "Description of the release", "[{l}]");
        assert_eq!(rel["assets"][0]["name"], "example.zip", "[{l}]");
        assert_eq!(rel["assets"][0]["size"], 22, "[{l}]");
        b.stop().await;
    }
}

/// Imports `octo/hello` from a fixture server of `kind` into ada's `hello` and waits.
async fn import_fixture(b: &Server, t: &str, kind: &str, addr: SocketAddr) -> Value {
    let r = post(
        b,
        "/api/v1/repos/migrate",
        Auth::Token(t),
        json!({
            "clone_addr": format!("http://{addr}/octo/hello.git"),
            "service": kind,
            "auth_token": "secret-token",
            "repo_name": "hello",
            "labels": true, "milestones": true, "issues": true,
            "pull_requests": true, "releases": true
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    wait_import(b, "ada/hello", Auth::Token(t)).await
}

#[tokio::test]
async fn gitee_fixtures_are_imported() {
    for store in stores().await {
        let (addr, fixtures) = start_fixtures(
            "gitee",
            "/api/v5/repos/octo/hello",
            vec![Fault {
                path_suffix: "/labels",
                page: None,
                status: 429,
                retry_after: Some("1"),
            }],
        )
        .await;
        let b = Server::start(store, importer_config).await;
        let l = b.label().to_owned();
        let ada = b.user("ada").await;
        let source_refs = git_source(&b, &ada, &fixtures).await;
        let t = token(&b, ada.id, "ada", &["write:repository", "write:issue"]).await;
        let status = import_fixture(&b, &t, "gitee", addr).await;
        assert_eq!(status["state"], "done", "[{l}] {status}");
        assert_eq!(
            ls_remote(&b, "ada/hello.git").await,
            source_refs,
            "[{l}] git data"
        );
        let got = read_back(&b, "ada/hello", Auth::Token(&t)).await;
        // Gitee's issue numbers (I1ABCD) are not numbers: they take #1 and #2, and the
        // pull request !1 the next free one.
        let mut titles: Vec<(i64, String)> = got
            .issues
            .iter()
            .map(|i| {
                (
                    i["number"].as_i64().unwrap_or(0),
                    i["title"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        titles.sort();
        assert_eq!(
            titles,
            vec![
                (1, "启动时崩溃".to_owned()),
                (2, "Add dark mode".to_owned()),
                (3, "修复崩溃".to_owned())
            ],
            "[{l}]"
        );
        let first = by(&got.issues, "number", "1");
        assert_eq!(first["created_at"], "2020-03-02T01:00:00Z", "[{l}]");
        assert_eq!(first["original_author"], "octo", "[{l}]");
        assert_eq!(first["milestone"]["title"], "第一版", "[{l}]");
        assert_eq!(names(&first["labels"], "name"), vec!["bug"], "[{l}]");
        assert_eq!(
            by(&got.issues, "number", "2")["state"],
            "closed",
            "[{l}] rejected is closed"
        );
        assert_eq!(got.comments[&1].len(), 2, "[{l}]");
        assert_eq!(got.comments[&1][0]["body"], "我也遇到了", "[{l}]");
        assert_eq!(got.comments[&3].len(), 1, "[{l}]");
        assert_eq!(by(&got.labels, "name", "功能")["color"], "0e8a16", "[{l}]");
        assert_eq!(got.milestones[0]["due_on"], "2020-06-30T00:00:00Z", "[{l}]");
        assert_eq!(got.releases[0]["name"], "预览版", "[{l}]");
        assert_eq!(got.releases[0]["prerelease"], true, "[{l}]");
        assert_eq!(got.releases[0]["assets"][0]["name"], "example.zip", "[{l}]");
        b.stop().await;
    }
}

#[tokio::test]
async fn gitlab_fixtures_are_imported() {
    for store in stores().await {
        let (addr, fixtures) =
            start_fixtures("gitlab", "/api/v4/projects/octo%2Fhello", vec![]).await;
        let b = Server::start(store, importer_config).await;
        let l = b.label().to_owned();
        let ada = b.user("ada").await;
        let source_refs = git_source(&b, &ada, &fixtures).await;
        let t = token(&b, ada.id, "ada", &["write:repository", "write:issue"]).await;
        let status = import_fixture(&b, &t, "gitlab", addr).await;
        assert_eq!(status["state"], "done", "[{l}] {status}");
        assert_eq!(
            ls_remote(&b, "ada/hello.git").await,
            source_refs,
            "[{l}] git data"
        );
        let got = read_back(&b, "ada/hello", Auth::Token(&t)).await;
        let mut numbers: Vec<i64> = got
            .issues
            .iter()
            .map(|i| i["number"].as_i64().unwrap_or(0))
            .collect();
        numbers.sort();
        // Issues keep their iids; merge requests !1 and !2 keep 1 and 2 as well.
        assert_eq!(numbers, vec![1, 2, 6, 7], "[{l}]");
        // !1 is a merged request record; !2 is still open on GitLab and open here, with
        // its head on the source only: its pages answer, and merging it is refused
        // cleanly (the head branch is not here).
        let one = get(&b, "/api/v1/repos/ada/hello/pulls/1", Auth::Token(&t)).await;
        assert_eq!(one.json["merged"], true, "[{l}] {}", one.text);
        assert_eq!(one.json["head"]["ref"], "test1", "[{l}]");
        let two = get(&b, "/api/v1/repos/ada/hello/pulls/2", Auth::Token(&t)).await;
        assert_eq!(two.json["state"], "open", "[{l}] {}", two.text);
        assert_eq!(two.json["merged"], false, "[{l}]");
        assert_eq!(
            two.json["head"]["sha"], "9999999999999999999999999999999999999999",
            "[{l}]"
        );
        for tail in ["", "/files", "/commits"] {
            let r = reqwest::get(format!("http://{}/ada/hello/pulls/2{tail}", b.addr))
                .await
                .expect("page");
            assert_eq!(r.status(), 200, "[{l}] pulls/2{tail}");
        }
        let merge = post(
            &b,
            "/api/v1/repos/ada/hello/pulls/2/merge",
            Auth::Token(&t),
            json!({"Do": "merge"}),
        )
        .await;
        assert!(
            (400..500).contains(&merge.status),
            "[{l}] merging a request whose head is elsewhere: {} {}",
            merge.status,
            merge.text
        );
        let six = by(&got.issues, "number", "6");
        assert_eq!(six["created_at"], "2016-01-04T15:31:51Z", "[{l}]");
        assert_eq!(six["original_author"], "root", "[{l}]");
        assert_eq!(six["milestone"]["title"], "10.0", "[{l}]");
        // System notes are left out.
        assert_eq!(got.comments[&6].len(), 2, "[{l}]");
        assert_eq!(got.comments[&6][0]["original_author"], "jdoe", "[{l}]");
        let seven = by(&got.issues, "number", "7");
        assert_eq!(seven["state"], "closed", "[{l}]");
        assert_eq!(seven["is_locked"], true, "[{l}]");
        assert_eq!(by(&got.issues, "number", "1")["title"], "test1", "[{l}]");
        assert_eq!(got.comments[&1].len(), 1, "[{l}]");
        assert_eq!(by(&got.labels, "name", "bug")["color"], "d9534f", "[{l}]");
        assert_eq!(got.milestones[0]["due_on"], "2013-11-29T00:00:00Z", "[{l}]");
        assert_eq!(got.releases[0]["tag_name"], "v0.2", "[{l}]");
        assert_eq!(got.releases[0]["assets"][0]["name"], "example.zip", "[{l}]");
        b.stop().await;
    }
}

/// `mirror: true` with a plain git source: the git data comes by the import, then the
/// repository is a pull mirror that follows the source (read-only here); the credentials
/// are kept sealed, never as given.
#[tokio::test]
async fn a_mirror_import_follows_its_source() {
    for (sa, sb) in stores().await.into_iter().zip(stores().await) {
        let a = Server::start(sa, |_| {}).await;
        let b = Server::start(sb, importer_config).await;
        let l = a.label().to_owned();
        let ada = a.user("ada").await;
        a.repo(&ada, "up", true).await;
        let work = make_work_repo(a.dir.path(), 3).await;
        let up_push = a.url("ada/up.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &up_push, "--all"]).await);
        ok(&git(&work, &["push", "-q", &up_push, "--tags"]).await);

        let bob = b.user("bob").await;
        let t = token(&b, bob.id, "bob", &["write:repository"]).await;
        let r = post(
            &b,
            "/api/v1/repos/migrate",
            Auth::Token(&t),
            json!({
                "clone_addr": a.url("ada/up.git", None),
                "service": "git",
                "auth_username": "ada",
                "auth_password": PASSWORD,
                "repo_name": "copy",
                "mirror": true,
                "mirror_interval": "10m",
                "issues": true
            }),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let status = wait_import(&b, "bob/copy", Auth::Token(&t)).await;
        assert_eq!(status["state"], "done", "[{l}] {status}");
        assert_eq!(
            status["counts"]["issues"], 0,
            "[{l}] a mirror brings git data only"
        );
        let up_refs = |a: &Server| {
            let url = a.url("ada/up.git", Some(("ada", PASSWORD)));
            let dir = a.dir.path().to_owned();
            async move {
                let out = git(&dir, &["ls-remote", "--symref", &url]).await;
                ok(&out);
                String::from_utf8_lossy(&out.stdout).into_owned()
            }
        };
        assert_eq!(
            ls_remote(&b, "bob/copy.git").await,
            up_refs(&a).await,
            "[{l}]"
        );
        let repo = get(&b, "/api/v1/repos/bob/copy", Auth::Token(&t)).await;
        assert_eq!(repo.json["mirror"], true, "[{l}] {}", repo.text);
        let stored = b
            .state
            .store
            .pull_mirror(repo.json["id"].as_i64().expect("id"))
            .await
            .expect("read")
            .expect("a pull mirror");
        assert_eq!(stored.remote_username, "ada", "[{l}]");
        assert!(!stored.remote_password.contains(PASSWORD), "[{l}] sealed");
        assert_eq!(stored.interval_ms, 600_000, "[{l}]");
        let done = b
            .state
            .store
            .import_of_repo(stored.repo_id)
            .await
            .expect("read")
            .expect("import");
        assert_eq!(
            done.auth_secret, "",
            "[{l}] a done import forgets the password"
        );

        // The source moves on; a sync brings it.
        std::fs::write(work.join("later.txt"), "later\n").expect("write");
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "later"]).await);
        ok(&git(&work, &["push", "-q", &up_push, "main"]).await);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let r = post(
                &b,
                "/api/v1/repos/bob/copy/mirror-sync",
                Auth::Token(&t),
                json!({}),
            )
            .await;
            assert!(matches!(r.status, 200 | 409), "[{l}] {}", r.text);
            if ls_remote(&b, "bob/copy.git").await == up_refs(&a).await {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "[{l}] the mirror never caught up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Read-only: a push is refused.
        let refused = git(
            &work,
            &[
                "push",
                &b.url("bob/copy.git", Some(("bob", PASSWORD))),
                "main:refs/heads/other",
            ],
        )
        .await;
        assert!(!refused.status.success(), "[{l}]");
        a.stop().await;
        b.stop().await;
    }
}
