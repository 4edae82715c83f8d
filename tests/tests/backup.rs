//! `hatchery dump` and `hatchery restore` end to end: a populated site (users, an
//! organization with a team, public and private repositories pushed with the real git,
//! issues with labels and comments, a webhook, commit statuses, a protected branch, an
//! incubator program) is dumped while pushes go on, restored onto the other database
//! (PostgreSQL when `HATCHERY_TEST_PG_URL` is set, else SQLite again), and a second server
//! on the restored data answers pages and API calls exactly as the first did; every
//! restored repository passes `git fsck --strict`.

mod apisupport;
mod gitsupport;

use std::path::Path;

use apisupport::{Auth, call, get, token};
use gitsupport::{PASSWORD, Server, fsck, git, make_work_repo, ok};
use hatchery::backup::{DumpOptions, dump, restore};
use hatchery::config::Config;
use hatchery_core::incubator::Preset;
use hatchery_core::{AccessLevel, Actor, Name, NameKind};
use hatchery_store::now_ms;
use hatchery_store::testing::{self, TestStore};
use serde_json::json;

fn config(data_dir: &Path, url: &str) -> Config {
    let env = [
        (
            "HATCHERY__DATA_DIR".to_owned(),
            data_dir.display().to_string(),
        ),
        ("HATCHERY__DATABASE__URL".to_owned(), url.to_owned()),
    ];
    Config::load_from(None, &env).expect("config")
}

/// The pages and API answers compared between the two servers.
const COMPARED: &[&str] = &[
    "/",
    "/alice/demo",
    "/alice/demo/commits/branch/main",
    "/alice/demo/issues?state=all",
    "/alice/demo/issues/1",
    "/alice/demo/branches",
    "/alice/hidden",
    "/lab/-/incubator/incubator",
    "/api/v1/users/alice/repos",
    "/api/v1/repos/search?q=demo",
    "/api/v1/repos/alice/demo",
    "/api/v1/repos/alice/demo/issues?state=all",
    "/api/v1/repos/alice/demo/issues/1/comments",
    "/api/v1/repos/alice/demo/labels",
    "/api/v1/repos/alice/demo/commits",
    "/api/v1/repos/alice/demo/branches",
    "/api/v1/repos/alice/demo/hooks",
    "/api/v1/repos/alice/demo/branch_protections",
    "/api/v1/repos/alice/hidden",
    "/api/v1/orgs/lab/teams",
    "/api/v1/orgs/lab/incubator/programs",
];

async fn answers(server: &Server, token: &str) -> Vec<(String, u16, String)> {
    let mut out = Vec::new();
    for path in COMPARED {
        for auth in [Auth::None, Auth::Token(token)] {
            let r = get(server, path, auth).await;
            // Links carry the server's own address; cookies carry fresh CSRF tokens.
            let text = r.text.replace(&server.addr.to_string(), "SERVER");
            let text = strip_csrf(&text);
            out.push((format!("{path} {auth:?}"), r.status, text));
        }
    }
    out
}

/// Removes the values of hidden CSRF fields, which are fresh on every page.
fn strip_csrf(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("name=\"_csrf\" value=\"") {
        let start = i + "name=\"_csrf\" value=\"".len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

async fn populate(server: &Server, work_root: &Path) -> String {
    let forge = &server.state.forge;
    let s = &server.state.store;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let lab = s
        .create_org(
            alice.id,
            &Name::parse(NameKind::Account, "lab").expect("name"),
            "Lab",
            "",
        )
        .await
        .expect("org");
    let team = s
        .create_team(
            lab.id,
            &Name::parse(NameKind::Team, "core").expect("name"),
            "",
            AccessLevel::Write,
        )
        .await
        .expect("team");
    s.add_team_member(team.id, bob.id).await.expect("member");
    let demo = server.repo(&alice, "demo", false).await;
    server.repo(&alice, "hidden", true).await;
    // Pushed to while the dump runs, so kept out of the answers compared.
    server.repo(&bob, "busy", false).await;
    let tok = token(
        server,
        alice.id,
        "backup-test",
        hatchery_service::tokens::SCOPES,
    )
    .await;

    let work = make_work_repo(work_root, 6).await;
    let remote = server.url("alice/demo.git", Some(("alice", PASSWORD)));
    ok(&git(&work, &["push", "-q", &remote, "main", "dev", "v1.0"]).await);
    let hidden = server.url("alice/hidden.git", Some(("alice", PASSWORD)));
    ok(&git(&work, &["push", "-q", &hidden, "main"]).await);
    let head = ok(&git(&work, &["rev-parse", "HEAD"]).await)
        .trim()
        .to_owned();

    let auth = Auth::Token(&tok);
    let label = call(
        server,
        "POST",
        "/api/v1/repos/alice/demo/labels",
        auth,
        Some(json!({"name": "bug", "color": "#ee0701", "description": "Broken"})),
    )
    .await;
    assert_eq!(label.status, 201, "{}", label.text);
    for i in 1..=3 {
        let issue = call(
            server,
            "POST",
            "/api/v1/repos/alice/demo/issues",
            auth,
            Some(json!({"title": format!("问题 {i}"), "body": "see **this**", "labels": [label.json["id"]]})),
        )
        .await;
        assert_eq!(issue.status, 201, "{}", issue.text);
        let comment = call(
            server,
            "POST",
            &format!("/api/v1/repos/alice/demo/issues/{i}/comments"),
            auth,
            Some(json!({"body": format!("comment on {i}")})),
        )
        .await;
        assert_eq!(comment.status, 201, "{}", comment.text);
    }
    let hook = call(
        server,
        "POST",
        "/api/v1/repos/alice/demo/hooks",
        auth,
        Some(json!({"type": "gitea", "config": {"url": "http://hooks.example.invalid/x", "content_type": "json"}, "events": ["issues"], "active": false})),
    )
    .await;
    assert_eq!(hook.status, 201, "{}", hook.text);
    let status = call(
        server,
        "POST",
        &format!("/api/v1/repos/alice/demo/statuses/{head}"),
        auth,
        Some(json!({"state": "success", "context": "ci/build", "target_url": "https://ci.example.org/1"})),
    )
    .await;
    assert_eq!(status.status, 201, "{}", status.text);
    let rule = call(
        server,
        "POST",
        "/api/v1/repos/alice/demo/branch_protections",
        auth,
        Some(json!({"rule_name": "main", "enable_push": true})),
    )
    .await;
    assert_eq!(rule.status, 201, "{}", rule.text);
    forge
        .create_program(
            Actor::User {
                id: alice.id,
                site_admin: false,
            },
            "lab",
            "incubator",
            "Incubator",
            Preset::Apache,
            now_ms(),
        )
        .await
        .expect("program");
    assert!(demo.id > 0);
    tok
}

#[tokio::test]
async fn a_site_dumped_during_pushes_restores_on_the_other_database() {
    let source = Server::start(testing::sqlite().await, |_| {}).await;
    let work_root = tempfile::tempdir().expect("tempdir");
    let tok = populate(&source, work_root.path()).await;
    let before = answers(&source, &tok).await;

    // Pushes to alice/busy go on while the dump runs.
    let busy_work = make_work_repo(work_root.path(), 1).await;
    let busy = source.url("bob/busy.git", Some(("bob", PASSWORD)));
    let archive_dir = tempfile::tempdir().expect("tempdir");
    let archive = archive_dir.path().join("site.tar.gz");
    let source_cfg = config(source.dir.path(), &source.store_url());
    ok(&git(&busy_work, &["push", "-q", &busy, "main"]).await);
    let first = ok(&git(&busy_work, &["rev-parse", "HEAD"]).await)
        .trim()
        .to_owned();
    let pushes = async {
        let mut pushed = vec![first];
        for i in 0..6 {
            std::fs::write(busy_work.join("busy.txt"), format!("{i}\n")).expect("write");
            ok(&git(&busy_work, &["add", "-A"]).await);
            ok(&git(&busy_work, &["commit", "-qm", &format!("busy {i}")]).await);
            ok(&git(&busy_work, &["push", "-q", "-f", &busy, "main"]).await);
            pushed.push(
                ok(&git(&busy_work, &["rev-parse", "HEAD"]).await)
                    .trim()
                    .to_owned(),
            );
        }
        pushed
    };
    let dumping = dump(
        &source_cfg,
        DumpOptions {
            output: Some(archive.clone()),
            include_secrets: false,
            config_path: None,
        },
    );
    let (dumped, pushed) = tokio::join!(dumping, pushes);
    dumped.expect("dump");

    // Onto the other database, in a new data directory.
    let target_store: TestStore = match testing::pg_url() {
        Some(url) => testing::postgres(&url).await,
        None => testing::sqlite().await,
    };
    let target_dir = tempfile::tempdir().expect("tempdir");
    let target_cfg = config(target_dir.path(), &target_store.url());
    restore(&target_cfg, &archive).await.expect("restore");
    let label = format!("sqlite -> {}", target_store.label());

    // A second restore into the same place is refused.
    let again = restore(&target_cfg, &archive).await;
    assert!(again.is_err(), "{label}: restored twice");

    let repos_dir = target_dir.path().join("repositories");
    for name in ["alice/demo", "alice/hidden", "bob/busy"] {
        fsck(&repos_dir.join(format!("{name}.git"))).await;
    }
    let restored_head = ok(&git(
        &repos_dir.join("bob/busy.git"),
        &["rev-parse", "refs/heads/main"],
    )
    .await)
    .trim()
    .to_owned();
    assert!(
        pushed.contains(&restored_head),
        "{label}: busy's main is {restored_head}"
    );

    let target = Server::start(target_store, |c| c.repositories_dir = repos_dir.clone()).await;
    let after = answers(&target, &tok).await;
    assert_eq!(before.len(), after.len());
    let found = before.iter().filter(|b| b.1 == 200).count();
    // Everything answers 200 with alice's token; anonymously, the private repository is 404.
    assert!(
        found >= COMPARED.len() + 10,
        "{label}: only {found} answers were 200"
    );
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.1, a.1, "{label}: {} status", b.0);
        assert!(
            matches!(b.1, 200 | 401 | 404),
            "{label}: {} answered {}",
            b.0,
            b.1
        );
        if b.2 != a.2 {
            let at =
                b.2.char_indices()
                    .zip(a.2.chars())
                    .find(|((_, x), y)| x != y)
                    .map_or(b.2.len().min(a.2.len()), |((i, _), _)| i);
            let from = b.2.floor_char_boundary(at.saturating_sub(150));
            panic!(
                "{label}: {} differs at byte {at}:\n before: {}\n after:  {}",
                b.0,
                &b.2[from..b.2.ceil_char_boundary((at + 150).min(b.2.len()))],
                &a.2[a.2.floor_char_boundary(from)
                    ..a.2.ceil_char_boundary((at + 150).min(a.2.len()))]
            );
        }
    }
    // The restored site takes new pushes and new issues (sequences continue).
    let remote = target.url("alice/demo.git", Some(("alice", PASSWORD)));
    let work = make_work_repo(work_root.path(), 2).await;
    ok(&git(&work, &["push", "-q", "-f", &remote, "main:next"]).await);
    let issue = call(
        &target,
        "POST",
        "/api/v1/repos/alice/demo/issues",
        Auth::Token(&tok),
        Some(json!({"title": "after restore"})),
    )
    .await;
    assert_eq!(issue.status, 201, "{label}: {}", issue.text);
    assert_eq!(issue.json["number"], 4, "{label}");
    target.stop().await;
    source.stop().await;
}

/// Restore refuses a truncated archive, an archive from a newer schema and a database that
/// already holds rows, and changes nothing when it does.
#[tokio::test]
async fn restore_refuses_damaged_newer_and_non_empty_targets() {
    let source = Server::start(testing::sqlite().await, |_| {}).await;
    source.user("alice").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("site.tar");
    dump(
        &config(source.dir.path(), &source.store_url()),
        DumpOptions {
            output: Some(archive.clone()),
            include_secrets: false,
            config_path: None,
        },
    )
    .await
    .expect("dump");
    let bytes = std::fs::read(&archive).expect("read");

    let refused = async |archive: &Path, target: &TestStore| {
        let data = tempfile::tempdir().expect("tempdir");
        let err = restore(&config(data.path(), &target.url()), archive)
            .await
            .expect_err("restore must refuse");
        assert!(
            !data.path().join("repositories").exists(),
            "a refused restore wrote repositories"
        );
        format!("{err:#}")
    };

    // Truncated.
    let truncated = dir.path().join("truncated.tar");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let empty = testing::sqlite().await;
    let err = refused(&truncated, &empty).await;
    assert!(err.contains("truncated"), "{err}");
    assert!(empty.is_empty().await.expect("is_empty"));

    // From a newer schema.
    let newer = dir.path().join("newer.tar");
    {
        let mut out = tar::Builder::new(std::fs::File::create(&newer).expect("create"));
        let mut input = tar::Archive::new(bytes.as_slice());
        for entry in input.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            let mut header = entry.header().clone();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).expect("read entry");
            if entry.path().expect("path").as_ref() == Path::new("manifest.json") {
                let mut manifest: serde_json::Value =
                    serde_json::from_slice(&data).expect("manifest");
                manifest["schema_version"] = json!(99_999);
                data = serde_json::to_vec(&manifest).expect("json");
                header.set_size(data.len() as u64);
                header.set_cksum();
            }
            out.append(&header, data.as_slice()).expect("append");
        }
        out.finish().expect("finish");
    }
    let err = refused(&newer, &empty).await;
    assert!(err.contains("newer"), "{err}");

    // Into a database that holds rows.
    let used = testing::sqlite().await;
    used.setting_init("site.used", "yes")
        .await
        .expect("setting");
    let err = refused(&archive, &used).await;
    assert!(err.contains("not empty"), "{err}");
    source.stop().await;
}
