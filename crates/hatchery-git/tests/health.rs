//! Health facts (community files, license texts, tags, recent commits, period figures)
//! against repositories made with the git CLI, compared with what git itself says.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use hatchery_git::{Oid, Repository, author_key};

const DAY: i64 = 86_400;
/// "Now" for every test: 2024-01-01.
const NOW: i64 = 1_704_067_200;

const APACHE: &str = include_str!("../../hatchery-license/licenses/Apache-2.0.txt");

use hatchery_testkit::git::{command as git_cmd, run as git};

/// One commit of a fast-import stream.
struct C {
    name: &'static str,
    email: &'static str,
    author_time: i64,
    committer_time: i64,
    files: Vec<(&'static str, Vec<u8>)>,
}

fn c(name: &'static str, email: &'static str, time: i64) -> C {
    C {
        name,
        email,
        author_time: time,
        committer_time: time,
        files: Vec::new(),
    }
}

/// A bare repository whose `main` is the commits in order (linear), with tags: (name,
/// commit index, tagger time for an annotated tag).
fn bare_repo(dir: &Path, commits: &[C], tags: &[(&str, usize, Option<i64>)]) -> Repository {
    let bare = dir.join("r.git");
    git(dir, &["init", "-q", "--bare", "-b", "main", "r.git"]);
    let mut s: Vec<u8> = Vec::new();
    for (i, c) in commits.iter().enumerate() {
        let msg = format!("commit {i}\n");
        write!(
            s,
            "commit refs/heads/main\nmark :{}\nauthor {} <{}> {} +0000\ncommitter {} <{}> {} +0000\ndata {}\n{}",
            i + 1,
            c.name,
            c.email,
            c.author_time,
            c.name,
            c.email,
            c.committer_time,
            msg.len(),
            msg
        )
        .unwrap();
        if i > 0 {
            writeln!(s, "from :{i}").unwrap();
        }
        for (path, data) in &c.files {
            write!(s, "M 644 inline {path}\ndata {}\n", data.len()).unwrap();
            s.extend_from_slice(data);
            s.push(b'\n');
        }
        s.push(b'\n');
    }
    for (name, at, tagger) in tags {
        match tagger {
            Some(t) => write!(
                s,
                "tag {name}\nfrom :{}\ntagger Rel <rel@example.com> {t} +0000\ndata 4\nrel\n\n",
                at + 1
            )
            .unwrap(),
            None => write!(s, "reset refs/tags/{name}\nfrom :{}\n\n", at + 1).unwrap(),
        }
    }
    let mut child = git_cmd(&bare)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&s).unwrap();
    assert!(child.wait().unwrap().success());
    Repository::open(&bare).unwrap()
}

/// (id, author email, author time) of every commit of `main`, as git lists them.
fn git_log(repo: &Repository) -> Vec<(String, String, i64)> {
    git(repo.path(), &["log", "--format=%H %ae %at", "main"])
        .lines()
        .map(|l| {
            let mut parts = l.split(' ');
            (
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn community_files_license_texts_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = c("Ann", "ann@acme.com", NOW - 400 * DAY);
    first.files = vec![
        ("README.md", b"# Demo\n".to_vec()),
        ("LICENSE", APACHE.as_bytes().to_vec()),
        ("COPYING.md", b"SPDX-License-Identifier: MIT\n".to_vec()),
        ("LICENSE.png", b"\x89PNG\r\n\x1a\n\0\0binary".to_vec()),
        ("LICENSES/MIT.txt", b"not a root file\n".to_vec()),
        (".github/CONTRIBUTING.md", b"Send patches.\n".to_vec()),
        (".github/workflows/ci.yml", b"on: push\n".to_vec()),
        ("docs/SECURITY.md", b"Mail security@.\n".to_vec()),
        ("docs/deep/GOVERNANCE.md", b"too deep\n".to_vec()),
        ("src/lib.rs", b"\n".to_vec()),
    ];
    let mut second = c("Bob", "bob@corp.com", NOW - 10 * DAY);
    second.files = vec![("MAINTAINERS", b"Ann\nBob\n".to_vec())];
    let repo = bare_repo(
        dir.path(),
        &[first, second],
        &[
            ("v0.1", 0, None),
            ("v0.2", 1, Some(NOW - 5 * DAY)),
            ("v0.0", 0, Some(NOW - 300 * DAY)),
        ],
    );
    let facts = repo.health_facts(NOW, 365).unwrap();
    let head: Oid = git(repo.path(), &["rev-parse", "main"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(facts.head, Some(head));
    assert_eq!(facts.branch.as_deref(), Some("main"));
    assert_eq!(
        facts.files,
        [
            ".github/CONTRIBUTING.md",
            "COPYING.md",
            "LICENSE",
            "LICENSE.png",
            "MAINTAINERS",
            "README.md",
            "docs/SECURITY.md",
        ]
    );
    assert!(facts.has_file("docs/SECURITY.md"));
    assert!(!facts.has_file("SECURITY.md"));
    // The binary one is left out; texts are whole and by path.
    let licenses: Vec<(&str, &str, bool)> = facts
        .license_files
        .iter()
        .map(|l| (l.path.as_str(), l.text.as_str(), l.truncated))
        .collect();
    assert_eq!(
        licenses,
        [
            ("COPYING.md", "SPDX-License-Identifier: MIT\n", false),
            ("LICENSE", APACHE, false),
        ]
    );
    let blob: Oid = git(repo.path(), &["rev-parse", "main:LICENSE"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(facts.license_files[1].blob, blob);
    assert_eq!(facts.license_files[1].size, APACHE.len() as u64);
    assert_eq!(facts.tag_count, 3);
    assert_eq!(facts.newest_tag_time, Some(NOW - 5 * DAY));
    assert_eq!(facts.now, NOW);
    assert_eq!(facts.window_start, NOW - 365 * DAY);
    // Only the second commit is within a year.
    assert!(facts.recent_complete);
    let recent: Vec<(&str, &str, i64)> = facts
        .recent_commits
        .iter()
        .map(|c| {
            (
                c.author_name.as_str(),
                c.author_email.as_str(),
                c.author_time,
            )
        })
        .collect();
    assert_eq!(recent, [("Bob", "bob@corp.com", NOW - 10 * DAY)]);
    assert_eq!(facts.recent_commits[0].id, head);
    assert_eq!(facts.commits_since(NOW - 9 * DAY).count(), 0);
}

#[test]
fn a_long_license_is_read_up_to_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = c("Ann", "ann@acme.com", NOW - DAY);
    let long = "x".repeat(hatchery_git::LICENSE_TEXT_MAX + 10);
    first.files = vec![("LICENSE.txt", long.into_bytes())];
    let repo = bare_repo(dir.path(), &[first], &[]);
    let facts = repo.health_facts(NOW, 90).unwrap();
    assert_eq!(facts.license_files.len(), 1);
    let l = &facts.license_files[0];
    assert!(l.truncated);
    assert_eq!(l.text.len(), hatchery_git::LICENSE_TEXT_MAX);
    assert_eq!(l.size, hatchery_git::LICENSE_TEXT_MAX as u64 + 10);
}

/// Commits every other day for 600 days by four people, one of them skewed: its committer
/// date is a year before the rest.
fn history() -> Vec<C> {
    let people = [
        ("Ann", "ann@acme.com"),
        ("Bob", "Bob@Corp.com"),
        ("Cy", "cy@gmail.com"),
        ("Di", "di@inc.com"),
    ];
    let mut out = Vec::new();
    for i in 0..300i64 {
        let t = NOW - 600 * DAY + i * 2 * DAY;
        // Di only starts in the last 100 days.
        let who = if t >= NOW - 100 * DAY && i % 3 == 0 {
            people[3]
        } else {
            people[(i % 3) as usize]
        };
        let mut commit = c(who.0, who.1, t);
        commit.files = vec![("file.txt", format!("{i}\n").into_bytes())];
        if i == 280 {
            commit.committer_time = t - 365 * DAY;
            commit.author_time = t - 365 * DAY;
        }
        out.push(commit);
    }
    out
}

#[test]
fn recent_commits_match_git_log() {
    let dir = tempfile::tempdir().unwrap();
    let repo = bare_repo(dir.path(), &history(), &[]);
    let log = git_log(&repo);
    for with_graph in [false, true] {
        if with_graph {
            repo.write_commit_graph().unwrap();
        }
        for days in [30u32, 90, 365, 1000] {
            let since = NOW - i64::from(days) * DAY;
            let facts = repo.health_facts(NOW, days).unwrap();
            assert!(facts.recent_complete);
            let ours: Vec<(String, String, i64)> = facts
                .recent_commits
                .iter()
                .map(|c| (c.id.to_hex(), c.author_email.clone(), c.author_time))
                .collect();
            let theirs: Vec<(String, String, i64)> = log
                .iter()
                .filter(|(_, _, t)| *t >= since)
                .cloned()
                .collect();
            assert_eq!(ours, theirs, "{days} days, graph {with_graph}");
        }
        // The skewed commit does not end the walk early, and is not counted as recent.
        let facts = repo.health_facts(NOW, 90).unwrap();
        assert_eq!(facts.recent_commits.len(), 44, "graph {with_graph}");
        // The bound cuts the walk and says so.
        let cut = repo.health_facts_bounded(NOW, 90, 10).unwrap();
        assert!(!cut.recent_complete);
        assert_eq!(cut.recent_commits.len(), 10);
        assert_eq!(cut.recent_commits[..], facts.recent_commits[..10]);
    }
}

#[test]
fn period_figures_match_git_log() {
    let dir = tempfile::tempdir().unwrap();
    let repo = bare_repo(
        dir.path(),
        &history(),
        &[
            ("v1", 100, Some(NOW - 300 * DAY)),
            ("v2", 200, Some(NOW - 50 * DAY)),
            ("light", 250, None),
        ],
    );
    let log = git_log(&repo);
    let mut first: BTreeMap<String, i64> = BTreeMap::new();
    for (_, email, t) in &log {
        let e = first.entry(email.to_lowercase()).or_insert(*t);
        *e = (*e).min(*t);
    }
    for (start, end) in [
        (NOW - 90 * DAY, NOW),
        (NOW - 180 * DAY, NOW - 90 * DAY),
        (NOW - 1000 * DAY, NOW),
        (NOW + DAY, NOW + 2 * DAY),
    ] {
        let p = repo.commits_between(start, end).unwrap();
        assert!(p.complete);
        let in_period: Vec<&(String, String, i64)> = log
            .iter()
            .filter(|(_, _, t)| (start..end).contains(t))
            .collect();
        assert_eq!(p.commits, in_period.len() as u64);
        let authors: BTreeSet<String> =
            in_period.iter().map(|(_, e, _)| e.to_lowercase()).collect();
        assert_eq!(p.authors.keys().cloned().collect::<BTreeSet<_>>(), authors);
        assert_eq!(p.first_commit, first);
        let new = authors
            .iter()
            .filter(|a| (start..end).contains(&first[*a]))
            .count();
        assert_eq!(p.new_authors(start, end), new);
    }
    // Di is new in the last 100 days; nobody else is.
    let p = repo.commits_between(NOW - 100 * DAY, NOW).unwrap();
    assert_eq!(p.new_authors(NOW - 100 * DAY, NOW), 1);
    assert!(p.authors.get("bob@corp.com").is_some_and(|n| *n > 0));
    assert!(p.first_commit.contains_key(&author_key("Di", "di@inc.com")));
    // Tags by date: v2 (tagger date) in the last 90 days; the lightweight tag by its
    // commit's date (commit 250: 100 days ago).
    assert_eq!(repo.commits_between(NOW - 90 * DAY, NOW).unwrap().tags, 1);
    assert_eq!(repo.commits_between(NOW - 101 * DAY, NOW).unwrap().tags, 2);
    assert_eq!(repo.commits_between(NOW - 400 * DAY, NOW).unwrap().tags, 3);
    // A bounded walk says it is incomplete.
    let cut = repo
        .commits_between_bounded(NOW - 1000 * DAY, NOW, 20)
        .unwrap();
    assert!(!cut.complete);
    assert_eq!(cut.commits, 20);
}

#[test]
fn empty_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(&dir.path().join("e.git"), "main").unwrap();
    let facts = repo.health_facts(NOW, 90).unwrap();
    assert_eq!(facts.head, None);
    assert_eq!(facts.branch, None);
    assert!(facts.files.is_empty() && facts.license_files.is_empty());
    assert!(facts.recent_commits.is_empty() && facts.recent_complete);
    assert_eq!(facts.tag_count, 0);
    let p = repo.commits_between(0, NOW).unwrap();
    assert_eq!((p.commits, p.tags, p.complete), (0, 0, true));
}
