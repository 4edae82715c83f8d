//! The database as portable data: every table is accounted for, and a dump restores into
//! either engine with the same rows, working sequences and working full-text search.

use hatchery_core::gpg::{GpgSubkey, KeyUsage, ParsedGpgKey};
use hatchery_core::issues::{IssueSort, StateFilter};
use hatchery_core::{AccessLevel, Name, NameKind};
use hatchery_store::portable::{EPHEMERAL_TABLES, PORTABLE_TABLES, known_schema_version};
use hatchery_store::testing::{self, TestStore, stores};
use hatchery_store::{IssueQuery, NewIssue, NewRepo, NewUser, Store, User};

fn account(name: &str) -> Name {
    Name::parse(NameKind::Account, name).expect("valid account name")
}

async fn user(s: &Store, name: &str) -> User {
    s.create_user(NewUser {
        name: account(name),
        email: format!("{name}@example.org"),
        password_hash: format!("hash-of-{name}"),
        display_name: format!("{name} 显示"),
        is_admin: false,
    })
    .await
    .expect("create user")
}

/// Users, an organization with a team, a repository with labels, issues and comments
/// (with text in several scripts and quotes), a GPG key with a subkey, and a setting.
async fn populate(s: &Store) {
    let alice = user(s, "alice").await;
    let bob = user(s, "bob").await;
    let org = s
        .create_org(alice.id, &account("lab"), "The \"Lab\"", "")
        .await
        .expect("org");
    s.create_team(org.id, &account("core"), "core team", AccessLevel::Write)
        .await
        .expect("team");
    let repo = s
        .create_repo(NewRepo {
            owner_id: org.id,
            name: &Name::parse(NameKind::Repository, "analysis").expect("name"),
            description: "数据分析 — tools",
            is_private: true,
            default_branch: "main",
        })
        .await
        .expect("repo");
    let label = s
        .create_label(repo.id, "bug", "ee0701", "Something's wrong")
        .await
        .expect("label");
    for i in 0..3 {
        let issue = s
            .create_issue(NewIssue {
                repo_id: repo.id,
                author_id: if i % 2 == 0 { alice.id } else { bob.id },
                title: &format!("问题 number {i}"),
                body: "line one\nline \"two\"\t\\ end",
                label_ids: &[label.id],
                milestone_id: None,
                assignee_ids: &[bob.id],
            })
            .await
            .expect("issue");
        s.add_comment(issue.id, bob.id, "评论 comment")
            .await
            .expect("comment");
    }
    // A GPG key with a subkey: rows that name another row of their own table.
    let usage = KeyUsage {
        sign: true,
        ..KeyUsage::default()
    };
    s.add_gpg_key(
        alice.id,
        &ParsedGpgKey {
            key_id: "8CB7595A0C62C3D6".to_owned(),
            fingerprint: "63B2F2922E0EFA89A82A667F8CB7595A0C62C3D6".to_owned(),
            created_at: 1_700_000_000_000,
            expires_at: Some(1_900_000_000_000),
            usage,
            user_ids: vec!["Alice \"A\" <alice@example.org>".to_owned()],
            subkeys: vec![GpgSubkey {
                key_id: "24784061DFAC70CA".to_owned(),
                fingerprint: "8F9944E2135C3D24DB40F69624784061DFAC70CA".to_owned(),
                created_at: 1_700_000_000_000,
                expires_at: None,
                usage,
            }],
            armored: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEaxXq\n".to_owned(),
        },
    )
    .await
    .expect("gpg key");
    s.setting_init("site.example", "value with ünïcode")
        .await
        .expect("setting");
}

/// Every portable table of `s` as sorted JSON lines, keyed by table.
async fn export(s: &Store) -> Vec<(String, Vec<String>)> {
    let mut snapshot = s.snapshot().await.expect("snapshot");
    let mut out = Vec::new();
    for t in PORTABLE_TABLES {
        let mut buf = Vec::new();
        let n = snapshot.export_table(t, &mut buf).await.expect("export");
        assert_eq!(n, snapshot.count(t).await.expect("count"), "{}", t.name);
        let mut lines: Vec<String> = String::from_utf8(buf)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        out.push((t.name.to_owned(), lines));
    }
    snapshot.finish().await.expect("finish");
    out
}

async fn restore(rows: &[(String, Vec<String>)], target: &Store) {
    assert!(target.is_empty().await.expect("is_empty"));
    let mut restore = target.begin_restore().await.expect("begin");
    for (t, lines) in PORTABLE_TABLES.iter().zip(rows) {
        for line in &lines.1 {
            let row: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).expect("json");
            restore.insert(t, &row).await.expect("insert");
        }
    }
    restore.finish().await.expect("finish");
}

#[tokio::test]
async fn every_table_is_portable_or_ephemeral() {
    for s in stores().await {
        let mut listed: Vec<&str> = PORTABLE_TABLES.iter().map(|t| t.name).collect();
        listed.extend(EPHEMERAL_TABLES);
        listed.sort_unstable();
        let tables = s.table_names().await.expect("tables");
        let missing: Vec<&String> = tables
            .iter()
            .filter(|t| !listed.contains(&t.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: add these tables to PORTABLE_TABLES (in foreign-key order) or EPHEMERAL_TABLES \
             in crates/hatchery-store/src/portable.rs: {missing:?}",
            s.label()
        );
        let stale: Vec<&&str> = listed
            .iter()
            .filter(|t| !tables.iter().any(|x| x == **t))
            .collect();
        assert!(stale.is_empty(), "{}: no such tables: {stale:?}", s.label());
        assert_eq!(
            s.schema_version().await.expect("version"),
            known_schema_version(s.backend())
        );
    }
}

/// Each store's dump restores into a fresh store of every engine; the restored database
/// dumps to the same rows, and new rows get fresh ids and are found by search.
#[tokio::test]
async fn dumps_restore_into_either_engine() {
    let sources = stores().await;
    for source in &sources {
        populate(source).await;
        let rows = export(source).await;
        assert!(rows.iter().any(|(t, l)| t == "issues" && l.len() == 3));
        let mut targets: Vec<TestStore> = vec![testing::sqlite().await];
        if let Some(url) = testing::pg_url() {
            targets.push(testing::postgres(&url).await);
        }
        for target in &targets {
            let label = format!("{} -> {}", source.label(), target.label());
            restore(&rows, target).await;
            assert_eq!(export(target).await, rows, "{label}");
            assert!(!target.is_empty().await.expect("is_empty"), "{label}");
            // Sequences continue after the restored ids.
            let carol = user(target, "carol").await;
            let max_id = rows
                .iter()
                .find(|(t, _)| t == "accounts")
                .map(|(_, l)| l.len())
                .unwrap_or(0);
            assert!(carol.id > max_id as i64, "{label}: new id {}", carol.id);
            // Full-text search sees restored issues (SQLite's FTS tables are filled by
            // their triggers as rows come in).
            let repo = target
                .repo_by_name("lab", "analysis")
                .await
                .expect("repo")
                .expect("restored repo");
            let query = IssueQuery {
                state: StateFilter::All,
                sort: IssueSort::Oldest,
                page: 1,
                per_page: 100,
                text: Some("number".to_owned()),
                ..IssueQuery::default()
            };
            let found = target.list_issues(repo.id, &query).await.expect("search");
            assert_eq!(found.total, 3, "{label}");
        }
    }
}
