//! Pull and push mirrors between two running Hatchery servers, on every database backend,
//! with the stock git client pushing: a pull mirror follows its upstream (new commits, a
//! new tag, a deleted branch with prune, a force-push), refuses pushes and syncs on demand
//! through the API; a push mirror keeps the other server in step after every push; bad
//! addresses and wrong passwords are clear errors recorded as `last_error`.

mod gitsupport;

use gitsupport::{PASSWORD, Server, fsck, git, make_work_repo, ok, stderr};
use hatchery_core::netpolicy::AllowedHosts;
use hatchery_service::mirrors::{MirrorError, PullMirrorInput};
use hatchery_store::testing::stores;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

async fn refs_of(dir: &Path) -> BTreeMap<String, String> {
    let out = ok(&git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
            "refs/tags",
        ],
    )
    .await);
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, o)| (n.to_owned(), o.to_owned()))
        .collect()
}

/// Polls until the refs of `a` and `b` agree (a deadline, not a sleep).
async fn until_same(a: &Path, b: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (x, y) = (refs_of(a).await, refs_of(b).await);
        if x == y {
            return;
        }
        assert!(Instant::now() < deadline, "never in step:\n{x:?}\n{y:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn loopback(c: &mut hatchery_web::WebConfig) {
    c.migrations_allowed_hosts = AllowedHosts::parse("loopback").unwrap();
}

async fn api(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("http://{}/api/v1{path}", server.addr))
        .basic_auth("bob", Some(PASSWORD));
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_and_push_mirrors_between_two_servers() {
    for (sa, sb) in stores().await.into_iter().zip(stores().await) {
        let a = Server::start(sa, loopback).await;
        let b = Server::start(sb, loopback).await;
        let ada = a.user("ada").await;
        let bob = b.user("bob").await;
        a.repo(&ada, "up", false).await;
        a.repo(&ada, "target", true).await;
        let copy = b.repo(&bob, "copy", false).await;
        let root = a.dir.path().to_path_buf();
        let up_dir = a.dir.path().join("repositories/ada/up.git");
        let target_dir = a.dir.path().join("repositories/ada/target.git");
        let copy_dir = b.dir.path().join("repositories/bob/copy.git");
        let work = make_work_repo(&root, 6).await;
        let up_url = a.url("ada/up.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &up_url, "main", "dev", "v1.0"]).await);

        // A pull mirror of a public upstream; the first sync is due at once (the
        // background job may be running it: "busy" is waited out).
        let forge = &b.state.forge;
        forge
            .convert_to_pull_mirror(
                &copy,
                &PullMirrorInput {
                    remote_address: a.url("ada/up.git", None),
                    interval: "10m".into(),
                    prune: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match forge.sync_pull_mirror(&copy).await {
                Ok(_) => break,
                Err(MirrorError::Busy) => {
                    assert!(Instant::now() < deadline, "the sync never ended");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(refs_of(&copy_dir).await, refs_of(&up_dir).await);
        let page = reqwest::get(format!("http://{}/bob/copy", b.addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"mirror-notice\""), "{page}");
        assert!(page.contains(&a.url("ada/up.git", None)));

        // New commits, a new tag, a deleted branch, a force-push upstream; "sync now"
        // through the API.
        std::fs::write(work.join("new.txt"), "new\n").unwrap();
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "new"]).await);
        ok(&git(&work, &["tag", "v2.0"]).await);
        ok(&git(&work, &["push", "-q", &up_url, "main", "v2.0", ":dev"]).await);
        ok(&git(&work, &["reset", "-q", "--hard", "HEAD~2"]).await);
        std::fs::write(work.join("forced.txt"), "forced\n").unwrap();
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "forced"]).await);
        ok(&git(&work, &["push", "-q", "-f", &up_url, "main"]).await);
        let (status, _) = api(
            &b,
            reqwest::Method::POST,
            "/repos/bob/copy/mirror-sync",
            None,
        )
        .await;
        assert!(status == 200 || status == 409, "{status}");
        until_same(&copy_dir, &up_dir).await;
        assert!(!refs_of(&copy_dir).await.contains_key("refs/heads/dev"));
        let clone = root.join("copy-clone");
        ok(&git(
            &root,
            &[
                "clone",
                "-q",
                "--mirror",
                &b.url("bob/copy.git", None),
                clone.to_str().unwrap(),
            ],
        )
        .await);
        fsck(&clone).await;

        // Pushing to the mirror is refused, naming the upstream.
        let refused = git(
            &work,
            &[
                "push",
                &b.url("bob/copy.git", Some(("bob", PASSWORD))),
                "main:refs/heads/other",
            ],
        )
        .await;
        assert!(!refused.status.success());
        assert!(
            stderr(&refused).contains("mirror of"),
            "{}",
            stderr(&refused)
        );

        // A push mirror from b to a, after every push.
        let src = b.repo(&bob, "src", false).await;
        let src_dir = b.dir.path().join("repositories/bob/src.git");
        let (status, body) = api(
            &b,
            reqwest::Method::POST,
            "/repos/bob/src/push_mirrors",
            Some(serde_json::json!({
                "remote_address": a.url("ada/target.git", None),
                "remote_username": "ada",
                "remote_password": PASSWORD,
                "interval": "8h0m0s",
                "sync_on_commit": true,
            })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["interval"], "8h0m0s");
        assert!(body.get("remote_password").is_none());
        let src_url = b.url("bob/src.git", Some(("bob", PASSWORD)));
        ok(&git(&work, &["push", "-q", &src_url, "main", "v1.0", "v2.0"]).await);
        until_same(&target_dir, &src_dir).await;
        ok(&git(&work, &["push", "-q", &src_url, "main:refs/heads/topic"]).await);
        until_same(&target_dir, &src_dir).await;
        ok(&git(&work, &["push", "-q", &src_url, ":topic"]).await);
        until_same(&target_dir, &src_dir).await;
        assert!(!refs_of(&target_dir).await.contains_key("refs/heads/topic"));
        let (status, list) = api(
            &b,
            reqwest::Method::GET,
            "/repos/bob/src/push_mirrors",
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        let _ = src;

        // A wrong password: recorded as the mirror's last error.
        let (status, body) = api(
            &b,
            reqwest::Method::POST,
            "/repos/bob/src/push_mirrors",
            Some(serde_json::json!({
                "remote_address": a.url("ada/target.git", None),
                "remote_username": "ada",
                "remote_password": "wrong password",
                "interval": "0",
            })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let name = body["remote_name"].as_str().unwrap().to_owned();
        let (status, _) = api(
            &b,
            reqwest::Method::POST,
            "/repos/bob/src/push_mirrors-sync",
            None,
        )
        .await;
        assert_eq!(status, 200);
        let (_, one) = api(
            &b,
            reqwest::Method::GET,
            &format!("/repos/bob/src/push_mirrors/{name}"),
            None,
        )
        .await;
        assert!(
            one["last_error"]
                .as_str()
                .unwrap_or("")
                .contains("credentials"),
            "{one}"
        );
        // Bad addresses and intervals: 422 with the reason.
        for (address, interval) in [
            ("file:///etc", "8h"),
            ("ssh://git@example.com/x.git", "8h"),
            ("https://example.com/x.git", "5m"),
        ] {
            let (status, body) = api(
                &b,
                reqwest::Method::POST,
                "/repos/bob/src/push_mirrors",
                Some(serde_json::json!({ "remote_address": address, "interval": interval })),
            )
            .await;
            assert_eq!(status, 422, "{address}: {body}");
        }
        let (status, _) = api(
            &b,
            reqwest::Method::DELETE,
            &format!("/repos/bob/src/push_mirrors/{name}"),
            None,
        )
        .await;
        assert_eq!(status, 204);
        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upstream_is_the_mirrors_last_error() {
    let store = stores().await.into_iter().next().unwrap();
    // Default policy: loopback refused. The mirror's address names a host by name (a
    // literal loopback address is refused when saved).
    let b = Server::start(store, |_| {}).await;
    let bob = b.user("bob").await;
    let copy = b.repo(&bob, "copy", false).await;
    let forge = &b.state.forge;
    let e = forge
        .convert_to_pull_mirror(
            &copy,
            &PullMirrorInput {
                remote_address: format!("http://127.0.0.1:{}/x.git", b.addr.port()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, MirrorError::Field { .. }), "{e}");
    forge
        .convert_to_pull_mirror(
            &copy,
            &PullMirrorInput {
                remote_address: format!("http://localhost:{}/x.git", b.addr.port()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let e = loop {
        match forge.sync_pull_mirror(&copy).await {
            Err(MirrorError::Busy) => {
                assert!(Instant::now() < deadline);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => break other.unwrap_err(),
        }
    };
    assert!(e.to_string().contains("migrations.allowed_hosts"), "{e}");
    let m = b.state.store.pull_mirror(copy.id).await.unwrap().unwrap();
    assert!(
        m.last_error
            .unwrap_or_default()
            .contains("migrations.allowed_hosts"),
        "recorded"
    );
    b.stop().await;
}
