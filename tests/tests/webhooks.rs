//! Webhooks end to end, on every database: hooks made through the API, events from real
//! pushes (the stock git client) and from issue changes, deliveries received by an HTTP
//! server in the test with Gitea's headers and a signature checked here, retries after a
//! failure, deliveries that outlive a stopped server, the allowed-hosts policy, and
//! organization hooks.

mod apisupport;
mod gitsupport;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apisupport::{Auth, call, get, token};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use gitsupport::{PASSWORD, Server, git, ok};
use hatchery_core::netpolicy::AllowedHosts;
use hatchery_core::{Actor, Name, NameKind};
use hatchery_service::issues::{IssueInput, IssueUpdate, TextUpdate};
use hatchery_store::testing::stores;
use hatchery_store::{DeliveryStatus, DeliverySummary, Issue, Repo, User};
use hatchery_web::WebConfig;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// How long any one wait for a delivery may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    fn event(&self) -> &str {
        self.header("x-gitea-event-type")
    }
}

/// An HTTP server on 127.0.0.1 that records what it gets, answering 500 to the first
/// `failures` requests and 200 after.
#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    count: Arc<tokio::sync::watch::Sender<usize>>,
    failures: Arc<Mutex<usize>>,
    addr: SocketAddr,
}

async fn receive(
    State(r): State<Receiver>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let received = Received {
        path: uri.path().to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = {
        let mut got = r.got.lock().unwrap();
        got.push(received);
        got.len()
    };
    let fail = {
        let mut left = r.failures.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            true
        } else {
            false
        }
    };
    r.count.send_replace(n);
    if fail {
        (StatusCode::INTERNAL_SERVER_ERROR, "not now")
    } else {
        (StatusCode::OK, "thanks")
    }
}

impl Receiver {
    async fn start(failures: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Receiver::on(listener, failures)
    }

    fn on(listener: tokio::net::TcpListener, failures: usize) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let (tx, _) = tokio::sync::watch::channel(0usize);
        let r = Receiver {
            got: Arc::default(),
            count: Arc::new(tx),
            failures: Arc::new(Mutex::new(failures)),
            addr,
        };
        let app = axum::Router::new()
            .fallback(axum::routing::any(receive))
            .with_state(r.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        r
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// Waits until at least `n` requests arrived; all of them.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let mut rx = self.count.subscribe();
        tokio::time::timeout(PATIENCE, rx.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "waited for {n} deliveries, got {:?}",
                    self.got
                        .lock()
                        .unwrap()
                        .iter()
                        .map(|r| r.event().to_owned())
                        .collect::<Vec<_>>()
                )
            })
            .unwrap();
        self.got.lock().unwrap().clone()
    }

    fn all(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn loopback(cfg: &mut WebConfig) {
    cfg.webhook.allowed_hosts = AllowedHosts::parse("loopback").unwrap();
    cfg.webhook.retry_delays_ms = vec![0];
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn actor(u: &User) -> Actor {
    Actor::User {
        id: u.id,
        site_admin: false,
    }
}

async fn open_issue(server: &Server, author: &User, repo: &Repo, title: &str) -> Issue {
    let view = server
        .state
        .forge
        .repo_view(actor(author), &repo.owner_name, &repo.name)
        .await
        .unwrap()
        .expect("readable");
    server
        .state
        .forge
        .open_issue(
            &view,
            IssueInput {
                title: title.to_owned(),
                body: "It breaks.".to_owned(),
                ..IssueInput::default()
            },
        )
        .await
        .expect("open issue")
}

/// Polls the store until `check` holds for the hook's deliveries (bounded).
async fn deliveries_until(
    server: &Server,
    hook_id: i64,
    what: &str,
    check: impl Fn(&[DeliverySummary]) -> bool,
) -> Vec<DeliverySummary> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (page, _) = server
            .state
            .store
            .deliveries_of_hook(hook_id, 0, 50)
            .await
            .unwrap();
        if check(&page) {
            return page;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}: {page:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn all_settled(page: &[DeliverySummary]) -> bool {
    !page.is_empty() && page.iter().all(|d| d.status != DeliveryStatus::Pending)
}

async fn create_hook(server: &Server, path: &str, tok: &str, body: Value) -> Value {
    let r = call(server, "POST", path, Auth::Token(tok), Some(body)).await;
    assert_eq!(r.status, 201, "[{}] {}", server.label(), r.text);
    r.json
}

/// A work tree with two commits on main.
async fn work_repo(server: &Server) -> std::path::PathBuf {
    let work = server.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    ok(&git(&work, &["init", "-q", "-b", "main"]).await);
    for (i, msg) in ["First", "Second"].iter().enumerate() {
        std::fs::write(work.join("file.txt"), format!("{i}\n")).unwrap();
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", msg]).await);
    }
    work
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_and_issue_changes_are_delivered_signed() {
    for store in stores().await {
        let server = Server::start(store, loopback).await;
        let l = server.label().to_owned();
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let repo = server.repo(&ada, "tool", false).await;
        let receiver = Receiver::start(0).await;
        let tok = token(&server, ada.id, "hooks", &["write:repository"]).await;

        let hook = create_hook(
            &server,
            "/api/v1/repos/ada/tool/hooks",
            &tok,
            json!({
                "type": "gitea",
                "config": {"url": receiver.url("json"), "content_type": "json", "secret": "s3cret"},
                "events": ["push", "create", "issues", "issue_comment"],
                "active": true
            }),
        )
        .await;
        assert_eq!(hook["type"], "gitea", "[{l}]");
        assert_eq!(hook["active"], true, "[{l}]");
        assert_eq!(hook["config"]["url"], receiver.url("json"), "[{l}]");
        assert_eq!(hook["config"]["content_type"], "json", "[{l}]");
        assert!(hook["config"].get("secret").is_none(), "[{l}] {hook}");
        assert!(!hook.to_string().contains("s3cret"), "[{l}]");
        let hook_id = hook["id"].as_i64().unwrap();
        // A second hook, form-encoded, only for pushes to release branches.
        create_hook(
            &server,
            "/api/v1/repos/ada/tool/hooks",
            &tok,
            json!({
                "type": "gitea",
                "config": {"url": receiver.url("form"), "content_type": "form", "secret": "other"},
                "events": ["push"],
                "branch_filter": "release/*",
                "active": true
            }),
        )
        .await;
        let listed = get(&server, "/api/v1/repos/ada/tool/hooks", Auth::Token(&tok)).await;
        assert_eq!(listed.status, 200, "[{l}]");
        assert_eq!(listed.json.as_array().unwrap().len(), 2, "[{l}]");
        assert_eq!(listed.header("x-total-count"), "2", "[{l}]");

        // A push of a new branch: create, then push.
        let work = work_repo(&server).await;
        let url = server.url("ada/tool.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        let head = ok(&git(&work, &["rev-parse", "HEAD"]).await)
            .trim()
            .to_owned();
        let got = receiver.wait_for(2).await;
        let events: Vec<&str> = got.iter().map(Received::event).collect();
        assert_eq!(events, ["create", "push"], "[{l}]");
        for r in &got {
            assert_eq!(r.path, "/json", "[{l}]");
            assert_eq!(r.header("content-type"), "application/json", "[{l}]");
            let sig = hmac_hex("s3cret", r.body.as_bytes());
            assert_eq!(r.header("x-gitea-signature"), sig, "[{l}]");
            assert_eq!(
                r.header("x-hub-signature-256"),
                format!("sha256={sig}"),
                "[{l}]"
            );
            let delivery = r.header("x-gitea-delivery");
            assert_eq!(delivery.len(), 36, "[{l}] {delivery}");
            assert_eq!(r.header("x-github-delivery"), delivery, "[{l}]");
            assert_eq!(r.header("x-gitea-event"), r.event(), "[{l}]");
            assert_eq!(r.header("x-github-event"), r.event(), "[{l}]");
        }
        let create = got[0].json();
        assert_eq!(create["ref"], "main", "[{l}]");
        assert_eq!(create["ref_type"], "branch", "[{l}]");
        assert_eq!(create["sha"], head, "[{l}]");
        assert_eq!(create["repository"]["full_name"], "ada/tool", "[{l}]");
        assert_eq!(create["sender"]["login"], "ada", "[{l}]");
        let push = got[1].json();
        assert_eq!(push["ref"], "refs/heads/main", "[{l}]");
        assert_eq!(push["before"], "0".repeat(40), "[{l}]");
        assert_eq!(push["after"], head, "[{l}]");
        assert_eq!(push["total_commits"], 2, "[{l}]");
        assert_eq!(push["commits"].as_array().unwrap().len(), 2, "[{l}]");
        assert_eq!(push["head_commit"]["id"], head, "[{l}]");
        assert_eq!(push["head_commit"]["message"], "Second\n", "[{l}]");
        assert_eq!(
            push["head_commit"]["author"]["email"], "author@example.org",
            "[{l}]"
        );
        assert_eq!(
            push["head_commit"]["timestamp"], "2026-01-01T00:00:00Z",
            "[{l}]"
        );
        assert!(
            push["head_commit"]["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/ada/tool/commit/{head}")),
            "[{l}]"
        );
        assert_eq!(push["pusher"]["login"], "ada", "[{l}]");
        assert_eq!(push["repository"]["name"], "tool", "[{l}]");
        assert_eq!(push["compare_url"], "", "[{l}]");

        // An update of main: one push with a compare URL; a release branch also reaches
        // the form hook, whose signature covers the exact body.
        std::fs::write(work.join("file.txt"), "third\n").unwrap();
        ok(&git(&work, &["commit", "-q", "-am", "Third"]).await);
        ok(&git(&work, &["push", "-q", &url, "main", "main:release/1"]).await);
        // main (push) and release/1 (create, push) to the JSON hook, release/1 to the form
        // hook.
        let got = receiver.wait_for(6).await;
        let form = got
            .iter()
            .find(|r| r.path == "/form")
            .expect("the form hook got a push");
        assert_eq!(
            form.header("content-type"),
            "application/x-www-form-urlencoded",
            "[{l}]"
        );
        assert_eq!(
            form.header("x-gitea-signature"),
            hmac_hex("other", form.body.as_bytes()),
            "[{l}]"
        );
        let payload: String = form
            .body
            .strip_prefix("payload=")
            .map(|p| {
                let decoded: Vec<(String, String)> = url_decode_pairs(&format!("payload={p}"));
                decoded[0].1.clone()
            })
            .expect("payload=");
        let form_push: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(form_push["ref"], "refs/heads/release/1", "[{l}]");
        let main_push = got
            .iter()
            .filter(|r| r.path == "/json" && r.event() == "push")
            .map(Received::json)
            .find(|p| p["ref"] == "refs/heads/main" && p["before"] == head)
            .expect("the update of main");
        assert_eq!(main_push["total_commits"], 1, "[{l}]");
        assert!(
            main_push["compare_url"]
                .as_str()
                .unwrap()
                .contains(&format!("/ada/tool/compare/{head}...")),
            "[{l}]"
        );
        let seen = receiver.all().len();

        // Issues and comments.
        let issue = open_issue(&server, &ada, &repo, "It breaks").await;
        let got = receiver.wait_for(seen + 1).await;
        let opened = got.last().unwrap();
        assert_eq!(opened.event(), "issues", "[{l}]");
        let p = opened.json();
        assert_eq!(p["action"], "opened", "[{l}]");
        assert_eq!(p["number"], issue.number, "[{l}]");
        assert_eq!(p["issue"]["title"], "It breaks", "[{l}]");
        assert_eq!(p["issue"]["state"], "open", "[{l}]");
        assert_eq!(p["sender"]["login"], "ada", "[{l}]");
        let view = server
            .state
            .forge
            .repo_view(actor(&ada), "ada", "tool")
            .await
            .unwrap()
            .unwrap();
        let comment = server
            .state
            .forge
            .comment_on(&view, &issue, "Me too")
            .await
            .unwrap();
        let got = receiver.wait_for(seen + 2).await;
        let commented = got.last().unwrap();
        assert_eq!(commented.event(), "issue_comment", "[{l}]");
        let p = commented.json();
        assert_eq!(p["action"], "created", "[{l}]");
        assert_eq!(p["comment"]["id"], comment.id, "[{l}]");
        assert_eq!(p["comment"]["body"], "Me too", "[{l}]");
        assert_eq!(p["issue"]["number"], issue.number, "[{l}]");
        assert_eq!(p["is_pull"], false, "[{l}]");
        let edit = IssueUpdate {
            text: Some(TextUpdate {
                version: issue.version,
                title: "It really breaks".into(),
                body: issue.body.clone(),
            }),
            ..IssueUpdate::default()
        };
        let edited = server
            .state
            .forge
            .update_issue(&view, &issue, edit)
            .await
            .unwrap();
        let got = receiver.wait_for(seen + 3).await;
        let p = got.last().unwrap().json();
        assert_eq!(p["action"], "edited", "[{l}]");
        assert_eq!(p["changes"]["title"]["from"], "It breaks", "[{l}]");
        assert!(p["changes"].get("body").is_none(), "[{l}] {p}");
        let close = IssueUpdate {
            state: Some(Some(hatchery_core::issues::CloseReason::Completed)),
            ..IssueUpdate::default()
        };
        server
            .state
            .forge
            .update_issue(&view, &edited, close)
            .await
            .unwrap();
        let got = receiver.wait_for(seen + 4).await;
        let p = got.last().unwrap().json();
        assert_eq!(p["action"], "closed", "[{l}]");
        assert_eq!(p["issue"]["state"], "closed", "[{l}]");

        // The delivery log: everything delivered on the first attempt, with the response.
        let page = deliveries_until(&server, hook_id, "delivered", all_settled).await;
        assert!(
            page.iter()
                .all(|d| d.status == DeliveryStatus::Delivered && d.attempts == 1),
            "[{l}] {page:#?}"
        );
        assert!(page.iter().all(|d| d.response_status == Some(200)), "[{l}]");
        let detail = server
            .state
            .store
            .delivery(hook_id, page[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(detail.response_body.as_deref(), Some("thanks"), "[{l}]");
        assert!(
            detail
                .request_headers
                .unwrap()
                .contains("X-Gitea-Signature"),
            "[{l}]"
        );

        // The API's test delivery: a push of main's head.
        let before = receiver.all().len();
        let t = call(
            &server,
            "POST",
            &format!("/api/v1/repos/ada/tool/hooks/{hook_id}/tests"),
            Auth::Token(&tok),
            None,
        )
        .await;
        assert_eq!(t.status, 204, "[{l}] {}", t.text);
        let got = receiver.wait_for(before + 1).await;
        let p = got.last().unwrap().json();
        assert_eq!(got.last().unwrap().event(), "push", "[{l}]");
        assert_eq!(p["ref"], "refs/heads/main", "[{l}]");
        assert_eq!(p["head_commit"]["message"], "Third\n", "[{l}]");

        // Edits keep the secret; deleting stops deliveries.
        let r = call(
            &server,
            "PATCH",
            &format!("/api/v1/repos/ada/tool/hooks/{hook_id}"),
            Auth::Token(&tok),
            Some(json!({"events": ["issues"], "active": false})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["events"], json!(["issues"]), "[{l}]");
        assert_eq!(r.json["active"], false, "[{l}]");
        let hooks = server
            .state
            .store
            .webhooks_of(hatchery_store::HookOwner::Repo(repo.id))
            .await
            .unwrap();
        assert_eq!(hooks[0].secret, "s3cret", "[{l}]");
        let r = call(
            &server,
            "DELETE",
            &format!("/api/v1/repos/ada/tool/hooks/{hook_id}"),
            Auth::Token(&tok),
            None,
        )
        .await;
        assert_eq!(r.status, 204, "[{l}]");
        let r = get(
            &server,
            &format!("/api/v1/repos/ada/tool/hooks/{hook_id}"),
            Auth::Token(&tok),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}]");
        server.stop().await;
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded.
fn url_decode_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried() {
    for store in stores().await {
        let server = Server::start(store, loopback).await;
        let l = server.label().to_owned();
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let repo = server.repo(&ada, "tool", false).await;
        let receiver = Receiver::start(1).await;
        let tok = token(&server, ada.id, "hooks", &["write:repository"]).await;
        let hook = create_hook(
            &server,
            "/api/v1/repos/ada/tool/hooks",
            &tok,
            json!({"type": "gitea", "config": {"url": receiver.url("x")}, "events": ["issues"], "active": true}),
        )
        .await;
        let hook_id = hook["id"].as_i64().unwrap();
        open_issue(&server, &ada, &repo, "Flaky").await;
        let got = receiver.wait_for(2).await;
        assert_eq!(
            got[0].header("x-gitea-delivery"),
            got[1].header("x-gitea-delivery"),
            "[{l}] the same delivery, again"
        );
        assert!(
            got[0].header("x-gitea-signature").is_empty(),
            "[{l}] no secret, no signature"
        );
        let page = deliveries_until(&server, hook_id, "the retry recorded", all_settled).await;
        assert_eq!(page.len(), 1, "[{l}]");
        assert_eq!(page[0].status, DeliveryStatus::Delivered, "[{l}]");
        assert_eq!(page[0].attempts, 2, "[{l}]");
        assert_eq!(page[0].response_status, Some(200), "[{l}]");

        // Redelivery from the log: a new delivery of the same payload.
        server
            .state
            .forge
            .redeliver(
                &server
                    .state
                    .store
                    .webhook(hatchery_store::HookOwner::Repo(repo.id), hook_id)
                    .await
                    .unwrap()
                    .unwrap(),
                page[0].id,
            )
            .await
            .unwrap();
        let got = receiver.wait_for(3).await;
        assert_eq!(got[2].body, got[1].body, "[{l}]");
        assert_ne!(
            got[2].header("x-gitea-delivery"),
            got[1].header("x-gitea-delivery"),
            "[{l}]"
        );
        let page = deliveries_until(&server, hook_id, "the redelivery", |p| {
            p.len() == 2 && all_settled(p)
        })
        .await;
        assert_eq!(page[0].redelivery_of, Some(page[1].id), "[{l}]");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_survive_a_restart_and_give_up_after_max_attempts() {
    for store in stores().await {
        let l = store.label().to_owned();
        // Events happen while no server (and no delivery worker) runs: they wait in the
        // database.
        let mut cfg = WebConfig::for_tests();
        loopback(&mut cfg);
        let dir = tempfile::tempdir().unwrap();
        cfg.repositories_dir = dir.path().join("repositories");
        let offline = hatchery_web::AppState::new(store.store().clone(), cfg);
        let forge = &offline.forge;
        gitsupport::user_in(&offline, "sysop").await;
        let ada = gitsupport::user_in(&offline, "ada").await;
        let repo = gitsupport::repo_in(&offline, &ada, "tool", false).await;
        // The receiver's port is taken now, served only later.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hook = forge
            .create_webhook(
                hatchery_store::HookOwner::Repo(repo.id),
                hatchery_service::webhooks::HookInput {
                    url: format!("http://{addr}/later"),
                    events: vec!["issues".into()],
                    active: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let view = forge
            .repo_view(actor(&ada), "ada", "tool")
            .await
            .unwrap()
            .unwrap();
        forge
            .open_issue(
                &view,
                IssueInput {
                    title: "Queued".into(),
                    ..IssueInput::default()
                },
            )
            .await
            .unwrap();
        let (page, total) = offline
            .store
            .deliveries_of_hook(hook.id, 0, 10)
            .await
            .unwrap();
        assert_eq!(total, 1, "[{l}]");
        assert_eq!(page[0].status, DeliveryStatus::Pending, "[{l}]");
        drop(offline);

        // A server starts on the same database; the receiver is up: the delivery arrives.
        let receiver = Receiver::on(listener, 0);
        let server = Server::start(store, loopback).await;
        let got = receiver.wait_for(1).await;
        assert_eq!(got[0].path, "/later", "[{l}]");
        assert_eq!(got[0].json()["issue"]["title"], "Queued", "[{l}]");
        let page = deliveries_until(&server, hook.id, "delivered", all_settled).await;
        assert_eq!(page[0].status, DeliveryStatus::Delivered, "[{l}]");
        server.stop().await;
    }
    // A receiver that never answers well: after max_attempts the delivery is failed.
    for store in stores().await {
        let l = store.label().to_owned();
        let server = Server::start(store, |cfg| {
            loopback(cfg);
            cfg.webhook.max_attempts = 3;
        })
        .await;
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let repo = server.repo(&ada, "tool", false).await;
        let receiver = Receiver::start(usize::MAX).await;
        let hook = server
            .state
            .forge
            .create_webhook(
                hatchery_store::HookOwner::Repo(repo.id),
                hatchery_service::webhooks::HookInput {
                    url: receiver.url("down"),
                    events: vec!["*".into()],
                    active: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        open_issue(&server, &ada, &repo, "Doomed").await;
        let page = deliveries_until(&server, hook.id, "failure", all_settled).await;
        assert_eq!(page[0].status, DeliveryStatus::Failed, "[{l}]");
        assert_eq!(page[0].attempts, 3, "[{l}]");
        assert_eq!(page[0].response_status, Some(500), "[{l}]");
        assert_eq!(receiver.all().len(), 3, "[{l}]");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_policy_refuses_loopback_destinations() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let repo = server.repo(&ada, "tool", false).await;
        let receiver = Receiver::start(0).await;
        let tok = token(&server, ada.id, "hooks", &["write:repository"]).await;
        for url in [
            receiver.url("x"),
            format!("http://[::1]:{}/", receiver.addr.port()),
            "http://169.254.169.254/latest/meta-data".to_owned(),
            "http://10.0.0.1/".to_owned(),
        ] {
            let r = call(
                &server,
                "POST",
                "/api/v1/repos/ada/tool/hooks",
                Auth::Token(&tok),
                Some(json!({"type": "gitea", "config": {"url": url}, "active": true})),
            )
            .await;
            assert_eq!(r.status, 422, "[{l}] {url}: {}", r.text);
            assert!(
                r.json["message"].as_str().unwrap().contains("allowed"),
                "[{l}] {}",
                r.text
            );
        }
        // A name is checked when sending: localhost resolves to loopback, refused, never sent.
        let hook = create_hook(
            &server,
            "/api/v1/repos/ada/tool/hooks",
            &tok,
            json!({"type": "gitea", "config": {"url": format!("http://localhost:{}/x", receiver.addr.port())},
                   "events": ["issues"], "active": true}),
        )
        .await;
        let hook_id = hook["id"].as_i64().unwrap();
        open_issue(&server, &ada, &repo, "Sneaky").await;
        let page = deliveries_until(&server, hook_id, "refusal", all_settled).await;
        assert_eq!(page[0].status, DeliveryStatus::Failed, "[{l}]");
        assert_eq!(page[0].attempts, 1, "[{l}] refused at once, not retried");
        let error = page[0].error.clone().unwrap_or_default();
        assert!(
            error.contains("refused") && error.contains("allowed_hosts"),
            "[{l}] {error}"
        );
        assert_eq!(page[0].response_status, None, "[{l}]");
        assert!(receiver.all().is_empty(), "[{l}] nothing was sent");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_hooks_hear_their_repositories() {
    for store in stores().await {
        let server = Server::start(store, loopback).await;
        let l = server.label().to_owned();
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let org = server
            .state
            .store
            .create_org(
                ada.id,
                &Name::parse(NameKind::Account, "acme").unwrap(),
                "",
                "",
            )
            .await
            .unwrap();
        server
            .state
            .store
            .set_org_member(org.id, bob.id, hatchery_core::OrgRole::Member)
            .await
            .unwrap();
        let receiver = Receiver::start(0).await;
        let ada_tok = token(
            &server,
            ada.id,
            "org",
            &["write:organization", "write:repository"],
        )
        .await;
        let bob_tok = token(
            &server,
            bob.id,
            "org",
            &["write:organization", "write:repository"],
        )
        .await;
        let body = json!({"type": "gitea", "config": {"url": receiver.url("org"), "secret": "k"},
                          "events": ["repository", "issues", "push"], "active": true});
        // Only owners manage an organization's hooks.
        let r = call(
            &server,
            "POST",
            "/api/v1/orgs/acme/hooks",
            Auth::Token(&bob_tok),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = get(&server, "/api/v1/orgs/acme/hooks", Auth::None).await;
        assert_eq!(r.status, 401, "[{l}]");
        let narrow = token(&server, ada.id, "narrow", &["read:organization"]).await;
        let r = call(
            &server,
            "POST",
            "/api/v1/orgs/acme/hooks",
            Auth::Token(&narrow),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] scope");
        let hook = create_hook(&server, "/api/v1/orgs/acme/hooks", &ada_tok, body).await;
        let hook_id = hook["id"].as_i64().unwrap();
        let r = get(&server, "/api/v1/orgs/acme/hooks", Auth::Token(&ada_tok)).await;
        assert_eq!(r.json.as_array().unwrap().len(), 1, "[{l}]");
        let r = get(
            &server,
            &format!("/api/v1/orgs/acme/hooks/{hook_id}"),
            Auth::Token(&ada_tok),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}]");
        let r = get(
            &server,
            &format!("/api/v1/orgs/acme/hooks/{hook_id}"),
            Auth::Token(&bob_tok),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}]");

        // A repository created in the organization, then an issue in it.
        let repo = server
            .state
            .forge
            .create_repo_by(
                Some(ada.id),
                hatchery_service::repos::CreateRepo {
                    owner_id: org.id,
                    owner_name: "acme",
                    name: &Name::parse(NameKind::Repository, "lib").unwrap(),
                    description: "",
                    is_private: true,
                    init_readme: None,
                },
            )
            .await
            .unwrap();
        let got = receiver.wait_for(1).await;
        assert_eq!(got[0].event(), "repository", "[{l}]");
        let p = got[0].json();
        assert_eq!(p["action"], "created", "[{l}]");
        assert_eq!(p["repository"]["full_name"], "acme/lib", "[{l}]");
        assert_eq!(p["organization"]["login"], "acme", "[{l}]");
        assert_eq!(p["sender"]["login"], "ada", "[{l}]");
        assert_eq!(
            got[0].header("x-gitea-signature"),
            hmac_hex("k", got[0].body.as_bytes()),
            "[{l}]"
        );
        open_issue(&server, &ada, &repo, "Org issue").await;
        let got = receiver.wait_for(2).await;
        assert_eq!(got[1].event(), "issues", "[{l}]");
        assert_eq!(
            got[1].json()["repository"]["full_name"],
            "acme/lib",
            "[{l}]"
        );

        // Repository hooks: readers of a public repository are refused (403), outsiders
        // of a private one see nothing (404).
        let tool = server.repo(&ada, "tool", false).await;
        let _ = tool;
        let r = get(
            &server,
            "/api/v1/repos/ada/tool/hooks",
            Auth::Token(&bob_tok),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let carol = server.user("carol").await;
        let carol_tok = token(&server, carol.id, "c", &["write:repository"]).await;
        let r = get(
            &server,
            "/api/v1/repos/acme/lib/hooks",
            Auth::Token(&carol_tok),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);

        // Deleting the repository: the organization hears of it.
        server
            .state
            .forge
            .delete_repo_by(Some(ada.id), &repo)
            .await
            .unwrap();
        let got = receiver.wait_for(3).await;
        assert_eq!(got[2].event(), "repository", "[{l}]");
        assert_eq!(got[2].json()["action"], "deleted", "[{l}]");
        let r = call(
            &server,
            "DELETE",
            &format!("/api/v1/orgs/acme/hooks/{hook_id}"),
            Auth::Token(&ada_tok),
            None,
        )
        .await;
        assert_eq!(r.status, 204, "[{l}]");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_request_assignments_and_labels_are_delivered() {
    for store in stores().await {
        let server = Server::start(store, loopback).await;
        let l = server.label().to_owned();
        server.user("sysop").await;
        let ada = server.user("ada").await;
        server.repo(&ada, "tool", false).await;
        let receiver = Receiver::start(0).await;
        let tok = token(
            &server,
            ada.id,
            "hooks",
            &["write:repository", "write:issue"],
        )
        .await;
        let work = work_repo(&server).await;
        let url = server.url("ada/tool.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        ok(&git(&work, &["checkout", "-q", "-b", "feature"]).await);
        std::fs::write(work.join("file.txt"), "feature\n").unwrap();
        ok(&git(&work, &["commit", "-q", "-am", "Feature"]).await);
        ok(&git(&work, &["push", "-q", &url, "feature"]).await);
        // Hooks made after the pushes hear only the request's changes.
        create_hook(
            &server,
            "/api/v1/repos/ada/tool/hooks",
            &tok,
            json!({
                "type": "gitea",
                "config": {"url": receiver.url("pulls"), "content_type": "json"},
                "events": ["pull_request"],
                "active": true
            }),
        )
        .await;
        let tok_auth = Auth::Token(&tok);
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/pulls",
            tok_auth,
            Some(json!({"base": "main", "head": "feature", "title": "Feature"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let got = receiver.wait_for(1).await;
        assert_eq!(got[0].json()["action"], "opened", "[{l}]");

        // Assigning: action `assigned`, the assignee in the pull request.
        let r = call(
            &server,
            "PATCH",
            "/api/v1/repos/ada/tool/pulls/1",
            tok_auth,
            Some(json!({"assignees": ["ada"]})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let got = receiver.wait_for(2).await;
        let assigned = &got[1];
        assert_eq!(assigned.event(), "pull_request_assign", "[{l}]");
        assert_eq!(assigned.header("x-gitea-event"), "pull_request", "[{l}]");
        let p = assigned.json();
        assert_eq!(p["action"], "assigned", "[{l}] {p}");
        assert_eq!(p["number"], 1, "[{l}]");
        assert_eq!(p["pull_request"]["number"], 1, "[{l}]");
        assert_eq!(p["pull_request"]["head"]["ref"], "feature", "[{l}]");
        assert_eq!(p["pull_request"]["assignee"]["login"], "ada", "[{l}] {p}");
        assert_eq!(
            p["pull_request"]["assignees"][0]["login"], "ada",
            "[{l}] {p}"
        );
        assert_eq!(p["repository"]["full_name"], "ada/tool", "[{l}]");
        assert_eq!(p["sender"]["login"], "ada", "[{l}]");
        assert!(
            p.get("issue").is_none(),
            "[{l}] a pull request payload: {p}"
        );

        // Labelling: action `label_updated`, the labels in the pull request.
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/labels",
            tok_auth,
            Some(json!({"name": "bug", "color": "#ee0701"})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let label_id = r.json["id"].as_i64().unwrap();
        let r = call(
            &server,
            "POST",
            "/api/v1/repos/ada/tool/issues/1/labels",
            tok_auth,
            Some(json!({"labels": [label_id]})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let got = receiver.wait_for(3).await;
        let labelled = &got[2];
        assert_eq!(labelled.event(), "pull_request_label", "[{l}]");
        assert_eq!(labelled.header("x-gitea-event"), "pull_request", "[{l}]");
        let p = labelled.json();
        assert_eq!(p["action"], "label_updated", "[{l}] {p}");
        assert_eq!(p["number"], 1, "[{l}]");
        assert_eq!(p["pull_request"]["labels"][0]["name"], "bug", "[{l}] {p}");
        assert_eq!(
            p["pull_request"]["labels"][0]["color"], "ee0701",
            "[{l}] {p}"
        );
        assert_eq!(p["sender"]["login"], "ada", "[{l}]");

        // Unassigning and clearing the labels are heard too.
        let r = call(
            &server,
            "PATCH",
            "/api/v1/repos/ada/tool/pulls/1",
            tok_auth,
            Some(json!({"assignees": []})),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        receiver.wait_for(4).await;
        let r = call(
            &server,
            "PUT",
            "/api/v1/repos/ada/tool/issues/1/labels",
            tok_auth,
            Some(json!({"labels": []})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let got = receiver.wait_for(5).await;
        let actions: Vec<String> = got[3..]
            .iter()
            .map(|r| r.json()["action"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(actions, ["unassigned", "label_cleared"], "[{l}]");
        assert!(
            got[3].json()["pull_request"]["assignees"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "[{l}]"
        );
        server.stop().await;
    }
}
