//! Project health end to end: repositories made with the git CLI in the forge's repository
//! directory, issues in the store (every database of `testing::stores()`), then
//! `Forge::health_of`, `evaluate`, the issue response times and a period's figures.

use std::path::Path;
use std::time::Duration;

use hatchery_core::incubator::{
    ChecklistItem, Evaluation, Evaluator, Preset, ProgramTemplate, median, preset,
};
use hatchery_core::issues::CloseReason;
use hatchery_core::pulls::MergeStyle;
use hatchery_core::reviews::ReviewState;
use hatchery_core::{Name, NameKind};
use hatchery_service::incubator::health::{ItemResult, RepoName, Status, evaluate};
use hatchery_service::repos::CreateRepo;
use hatchery_service::{Forge, SignInPolicy};
use hatchery_store::testing::fixtures::user;
use hatchery_store::testing::stores;
use hatchery_store::{Issue, NewIssue, NewPull, Repo, Store, Submission, User, now_ms};

const DAY: i64 = 86_400;

const APACHE: &str = include_str!("../../hatchery-license/licenses/Apache-2.0.txt");
const GPL3: &str = include_str!("../../hatchery-license/licenses/GPL-3.0.txt");
const MULAN: &str = include_str!("../../hatchery-license/licenses/MulanPSL-2.0.txt");

fn git(dir: &Path, env: &[(&str, String)], args: &[&str]) -> String {
    let mut cmd = hatchery_testkit::git::command(dir);
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    String::from_utf8_lossy(&hatchery_testkit::git::run_bytes(&mut cmd, args)).into_owned()
}

/// Author and committer `email` (named after its local part), dated `days` before `now`.
fn who(email: &str, now: i64, days: i64) -> Vec<(&'static str, String)> {
    let name = email.split('@').next().unwrap_or("x").to_owned();
    let date = format!("@{} +0000", now - days * DAY);
    vec![
        ("GIT_AUTHOR_NAME", name.clone()),
        ("GIT_AUTHOR_EMAIL", email.to_owned()),
        ("GIT_AUTHOR_DATE", date.clone()),
        ("GIT_COMMITTER_NAME", name),
        ("GIT_COMMITTER_EMAIL", email.to_owned()),
        ("GIT_COMMITTER_DATE", date),
    ]
}

/// What goes into one repository: files of the first commit, then commits by (e-mail, days
/// ago), oldest first; tags: (name, index of the commit, annotated with a date days ago).
struct Plan<'a> {
    files: &'a [(&'a str, &'a str)],
    commits: &'a [(&'a str, i64)],
    tags: &'a [(&'a str, usize, Option<i64>)],
}

/// Creates the repository through the forge (empty, on disk), builds its history with git
/// and pushes it there.
async fn make_repo(forge: &Forge, owner: &User, name: &str, plan: Plan<'_>, now: i64) -> Repo {
    let repo_name = Name::parse(NameKind::Repository, name).unwrap();
    let repo = forge
        .create_repo(CreateRepo {
            owner_id: owner.id,
            owner_name: &owner.name,
            name: &repo_name,
            description: "",
            is_private: false,
            init_readme: None,
        })
        .await
        .unwrap();
    let bare = forge.repos.path_of(&owner.name, name);
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    git(work, &[], &["init", "-q", "-b", "main"]);
    for (path, text) in plan.files {
        let p = work.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(work, &[], &["add", "-A"]);
    for (i, (email, days)) in plan.commits.iter().enumerate() {
        let env = who(email, now, *days);
        git(
            work,
            &env,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("change {i}"),
            ],
        );
        for (tag, at, annotated) in plan.tags {
            if *at != i {
                continue;
            }
            match annotated {
                Some(days) => {
                    let env = who("release@acme.com", now, *days);
                    git(work, &env, &["tag", "-a", "-m", "release", tag]);
                }
                None => {
                    git(work, &[], &["tag", tag]);
                }
            }
        }
    }
    let target = bare.to_str().unwrap();
    git(work, &[], &["push", "-q", target, "main", "--tags"]);
    repo
}

async fn issue(s: &Store, repo: &Repo, author: &User) -> Issue {
    tick().await;
    s.create_issue(NewIssue {
        repo_id: repo.id,
        author_id: author.id,
        title: "Broken",
        ..NewIssue::default()
    })
    .await
    .unwrap()
}

/// A pull request by `author` into `repo`'s main from its branch `branch`.
async fn pull(s: &Store, repo: &Repo, author: &User, branch: &str) -> Issue {
    tick().await;
    s.create_pull(NewPull {
        issue: NewIssue {
            repo_id: repo.id,
            author_id: author.id,
            title: "Change",
            ..NewIssue::default()
        },
        base_branch: "main",
        head_repo_id: repo.id,
        head_branch: branch,
        head_oid: SHA,
        merge_base: SHA,
        is_draft: false,
    })
    .await
    .unwrap()
    .0
}

const SHA: &str = "1111111111111111111111111111111111111111";

/// Lets the millisecond clock move on.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

fn items(list: &[(&str, Evaluator)]) -> Vec<ChecklistItem> {
    list.iter()
        .map(|(code, e)| ChecklistItem {
            code: (*code).into(),
            text: (*code).into(),
            evaluation: Evaluation::Automatic(*e),
            stage: None,
        })
        .collect()
}

fn result<'r>(results: &'r [ItemResult], code: &str) -> &'r ItemResult {
    results
        .iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("no result for {code}"))
}

/// (status, reason) of each item, in order.
fn outcomes(results: &[ItemResult]) -> Vec<(&str, Status, &str)> {
    results
        .iter()
        .map(|r| (r.code.as_str(), r.status, r.reason))
        .collect()
}

#[tokio::test]
async fn health_of_repositories_and_issues() {
    for store in stores().await {
        let label = store.label().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let forge = Forge::new(
            store.store().clone(),
            dir.path().join("repositories"),
            SignInPolicy::new(5, 15),
        );
        let now = now_ms() / 1000;
        let ann = user(&store, "ann").await;
        let bob = user(&store, "bob").await;

        // Apache-2.0, README, CONTRIBUTING and SECURITY (in .github/), commits by four
        // organizations' people and a free-mail one, two tags.
        let apache_commits: &[(&str, i64)] = &[
            ("old@acme.com", 400),
            ("cy@gmail.com", 84),
            ("cy@gmail.com", 77),
            ("cy@gmail.com", 70),
            ("cy@gmail.com", 63),
            ("cy@gmail.com", 56),
            ("cy@gmail.com", 49),
            ("ann@acme.com", 42),
            ("ann@acme.com", 35),
            ("ann@acme.com", 28),
            ("ann@acme.com", 21),
            ("ann@acme.com", 14),
            ("bob@corp.com", 12),
            ("bob@corp.com", 10),
            ("bob@corp.com", 8),
            ("bob@corp.com", 6),
            ("dee@inc.example.org", 4),
            ("dee@inc.example.org", 2),
        ];
        let lib = make_repo(
            &forge,
            &ann,
            "apache-lib",
            Plan {
                files: &[
                    ("LICENSE", APACHE),
                    ("README.md", "# Lib\n"),
                    ("CONTRIBUTING.md", "Patches welcome.\n"),
                    (".github/SECURITY.md", "Write to security@acme.com.\n"),
                    ("src/lib.rs", "\n"),
                ],
                commits: apache_commits,
                tags: &[("v0.1", 4, None), ("v1.0", 17, Some(3))],
            },
            now,
        )
        .await;
        // GPL-3.0 as COPYING, a README, no community files, no tags.
        let tool = make_repo(
            &forge,
            &ann,
            "gpl-tool",
            Plan {
                files: &[("COPYING", GPL3), ("README", "Tool\n")],
                commits: &[
                    ("bob@corp.com", 200),
                    ("dan@acme.com", 20),
                    ("dan@acme.com", 5),
                ],
                tags: &[],
            },
            now,
        )
        .await;
        // MulanPSL-2.0 (木兰宽松许可证), no README, a MAINTAINERS file in docs/.
        let kit = make_repo(
            &forge,
            &bob,
            "mulan-kit",
            Plan {
                files: &[("LICENSE", MULAN), ("docs/MAINTAINERS.md", "eve\n")],
                commits: &[("eve@example.cn", 1)],
                tags: &[],
            },
            now,
        )
        .await;

        // ---- Facts ----
        let lib_facts = forge.health_of(&lib, now * 1000).await.unwrap();
        let head = git(
            &forge.repos.path_of("ann", "apache-lib"),
            &[],
            &["rev-parse", "main"],
        );
        assert_eq!(
            lib_facts.head.map(|h| h.to_hex()),
            Some(head.trim().to_owned())
        );
        assert_eq!(lib_facts.branch.as_deref(), Some("main"));
        assert_eq!(
            lib_facts.files,
            [
                ".github/SECURITY.md",
                "CONTRIBUTING.md",
                "LICENSE",
                "README.md"
            ],
            "{label}"
        );
        assert_eq!(lib_facts.tag_count, 2);
        assert_eq!(lib_facts.newest_tag_time, Some(now - 3 * DAY));
        // The year's commits: all but the first.
        assert_eq!(lib_facts.recent_commits.len(), apache_commits.len() - 1);
        assert!(lib_facts.recent_complete);
        let tool_facts = forge.health_of(&tool, now * 1000).await.unwrap();
        let kit_facts = forge.health_of(&kit, now * 1000).await.unwrap();
        let all = forge
            .health_of_repos(&[lib.clone(), tool.clone(), kit.clone()], now * 1000)
            .await
            .unwrap();
        assert_eq!(
            all[0],
            (RepoName::new("ann", "apache-lib"), lib_facts.clone())
        );
        assert_eq!(all[2].0.to_string(), "bob/mulan-kit");

        // ---- The Apache preset's automatic items, one repository at a time ----
        let apache = preset(Preset::Apache);
        let judge = |repo: &Repo, facts: &hatchery_git::HealthFacts, response| {
            evaluate(
                &apache.checklist,
                &apache,
                &[(RepoName::from(repo), facts.clone())],
                response,
            )
        };
        let r = judge(&lib, &lib_facts, Some(Duration::from_secs(3600)));
        use Status::*;
        assert_eq!(
            outcomes(&r),
            [
                ("CD10", Pass, ""),
                ("LC10", Pass, ""),
                ("RE10", Pass, ""),
                ("RE20", Fail, "no_releases"),
                ("RE30", Fail, "no_releases"),
                ("QU30", Pass, ""),
                ("QU50", Pass, ""),
                ("CO10", Pass, ""),
                ("CO20", Fail, "missing"),
                ("CO70", Pass, ""),
                ("CS10", Fail, "missing"),
                ("CS30", Fail, "missing"),
                ("IN10", Pass, ""),
            ],
            "{label}"
        );
        let cd10 = &result(&r, "CD10").evidence["repos"][0];
        assert_eq!(cd10["repo"], "ann/apache-lib");
        assert_eq!(cd10["commit"], head.trim());
        assert_eq!(cd10["licenses"][0]["path"], "LICENSE");
        assert_eq!(cd10["licenses"][0]["spdx"], "Apache-2.0");
        assert!(cd10["licenses"][0]["confidence"].as_f64().unwrap() > 0.95);
        assert_eq!(
            result(&r, "QU30").evidence["found"][0]["path"],
            ".github/SECURITY.md"
        );
        // Elephant factor: acme 5, corp 4, inc 2 over the year (the gmail.com commits and
        // the one from 400 days ago left out): two organizations make half.
        let in10 = &result(&r, "IN10").evidence;
        assert_eq!(in10["value"], 2);
        assert_eq!(in10["commits"], 17);
        assert_eq!(in10["counted_commits"], 11);
        assert_eq!(in10["organizations"][0]["organization"], "acme.com");
        assert!(
            !in10["organizations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["organization"] == "gmail.com")
        );

        let r = judge(&tool, &tool_facts, None);
        let cd10 = result(&r, "CD10");
        assert_eq!((cd10.status, cd10.reason), (Fail, "license_forbidden"));
        assert_eq!(cd10.evidence["repos"][0]["licenses"][0]["path"], "COPYING");
        assert_eq!(
            cd10.evidence["repos"][0]["licenses"][0]["spdx"],
            "GPL-3.0-only"
        );
        assert_eq!(
            cd10.evidence["repos"][0]["licenses"][0]["category"],
            "forbidden"
        );
        assert_eq!(result(&r, "CO10").status, Pass);
        assert_eq!(result(&r, "QU30").status, Fail);
        assert_eq!(result(&r, "RE10").status, Fail);
        assert_eq!(result(&r, "QU50").status, NotApplicable);
        // acme.com (dan, twice) outweighs corp.com (bob, once) over the year.
        assert_eq!(result(&r, "IN10").evidence["value"], 1);

        let r = judge(&kit, &kit_facts, None);
        let cd10 = result(&r, "CD10");
        assert_eq!(cd10.status, Pass, "{}", cd10.evidence);
        assert_eq!(
            cd10.evidence["repos"][0]["licenses"][0]["spdx"],
            "MulanPSL-2.0"
        );
        assert_eq!(result(&r, "CO10").status, Fail);
        assert_eq!(result(&r, "CS10").status, Pass);
        assert_eq!(
            result(&r, "CS10").evidence["found"][0]["path"],
            "docs/MAINTAINERS.md"
        );

        // ---- The whole project: every repository for licenses and READMEs, any for
        // the rest; activity across the repositories ----
        let project_items = items(&[
            ("LICENSE", Evaluator::LicenseFile),
            ("README", Evaluator::ReadmePresent),
            ("CONTRIBUTING", Evaluator::ContributingPresent),
            ("SECURITY", Evaluator::SecurityPolicy),
            ("GOVERNANCE", Evaluator::GovernanceOrMaintainers),
            ("TAGS", Evaluator::TagsOrReleases),
            ("MAINTAINED", Evaluator::RecentCommits90d),
            ("ORGS", Evaluator::ElephantFactor { min: 3 }),
            ("PEOPLE", Evaluator::BusFactor { min: 2 }),
            (
                "RESPONSE",
                Evaluator::IssueResponseTime {
                    max_median_hours: 1,
                },
            ),
        ]);
        let r = evaluate(
            &project_items,
            &apache,
            &all,
            Some(Duration::from_secs(7200)),
        );
        assert_eq!(
            outcomes(&r),
            [
                ("LICENSE", Fail, "license_forbidden"),
                ("README", Fail, "missing"),
                ("CONTRIBUTING", Pass, ""),
                ("SECURITY", Pass, ""),
                ("GOVERNANCE", Pass, ""),
                ("TAGS", Pass, ""),
                ("MAINTAINED", Pass, ""),
                ("ORGS", Fail, "below_minimum"),
                ("PEOPLE", Pass, ""),
                ("RESPONSE", Fail, "above_maximum"),
            ],
            "{label}"
        );
        assert_eq!(
            result(&r, "README").evidence["missing"],
            serde_json::json!(["bob/mulan-kit"])
        );
        // 17 + 2 + 1 commits in 90 days. Over the year, acme.com 7, corp.com 5 (bob's in
        // gpl-tool is 200 days old), inc.example.org 2, example.cn 1: two organizations make
        // half, not three.
        assert_eq!(result(&r, "MAINTAINED").evidence["value"], 20);
        assert_eq!(result(&r, "ORGS").evidence["value"], 2);
        // People: cy 6, ann 5, bob 5, dee 2, dan 2, eve 1.
        assert_eq!(result(&r, "PEOPLE").evidence["value"], 2);
        assert_eq!(result(&r, "PEOPLE").evidence["authors"], 6);

        // ---- Issues and their first responses, on this database ----
        let i1 = issue(&store, &lib, &bob).await;
        tick().await;
        let c1 = store.add_comment(i1.id, ann.id, "Looking.").await.unwrap();
        let i2 = issue(&store, &lib, &bob).await;
        tick().await;
        store.add_comment(i2.id, bob.id, "Anyone?").await.unwrap();
        let i3 = issue(&store, &lib, &ann).await;
        tick().await;
        store
            .add_comment(i3.id, ann.id, "More detail.")
            .await
            .unwrap();
        tick().await;
        let c3 = store.add_comment(i3.id, bob.id, "Thanks.").await.unwrap();
        let i4 = issue(&store, &kit, &bob).await;
        tick().await;
        store
            .set_issue_state(i3.id, Some(ann.id), Some(CloseReason::Completed), None)
            .await
            .unwrap();
        tick().await;
        store
            .set_issue_state(i3.id, Some(ann.id), None, None)
            .await
            .unwrap();
        tick().await;
        store
            .set_issue_state(i3.id, Some(ann.id), Some(CloseReason::Completed), None)
            .await
            .unwrap();

        let rows = store
            .issue_first_responses(&[lib.id], 0, i64::MAX, i64::MAX)
            .await
            .unwrap();
        let got: Vec<(i64, i64, Option<i64>)> = rows
            .iter()
            .map(|r| (r.issue_id, r.created_at, r.first_response_at))
            .collect();
        assert_eq!(
            got,
            [
                (i1.id, i1.created_at, Some(c1.created_at)),
                (i2.id, i2.created_at, None),
                (i3.id, i3.created_at, Some(c3.created_at)),
            ],
            "{label}"
        );
        // A response after `as_of` does not count yet; the creation window filters.
        let early = store
            .issue_first_responses(
                &[lib.id, kit.id, lib.id],
                i1.created_at + 1,
                i64::MAX,
                c3.created_at - 1,
            )
            .await
            .unwrap();
        let got: Vec<(i64, Option<i64>)> = early
            .iter()
            .map(|r| (r.issue_id, r.first_response_at))
            .collect();
        assert_eq!(
            got,
            [(i2.id, None), (i3.id, None), (i4.id, None)],
            "{label}"
        );

        // ---- Pull requests: first responses (comments or reviews by others), merges ----
        let p1 = pull(&store, &lib, &bob, "p1").await;
        tick().await;
        let review = |issue: i64, who: i64, state| {
            let s = store.store().clone();
            async move {
                s.create_review(
                    issue,
                    who,
                    Submission {
                        state,
                        body: "",
                        commit_id: SHA,
                        official: true,
                    },
                )
                .await
                .unwrap()
            }
        };
        let r1 = review(p1.id, ann.id, ReviewState::Approved).await;
        let p2 = pull(&store, &lib, &bob, "p2").await;
        tick().await;
        // The author's own words and someone's pending review are no response.
        store.add_comment(p2.id, bob.id, "Ping.").await.unwrap();
        review(p2.id, ann.id, ReviewState::Pending).await;
        let p3 = pull(&store, &lib, &ann, "p3").await;
        tick().await;
        let c = store.add_comment(p3.id, bob.id, "Nice.").await.unwrap();
        tick().await;
        review(p3.id, bob.id, ReviewState::Comment).await;
        let p4 = pull(&store, &kit, &bob, "p4").await;
        for p in [&p1, &p3, &p4] {
            assert!(
                store
                    .mark_pull_merged(p.id, ann.id, SHA, MergeStyle::Merge)
                    .await
                    .unwrap()
            );
        }
        let rows = store
            .pull_first_responses(&[lib.id, kit.id], 0, i64::MAX, i64::MAX)
            .await
            .unwrap();
        let got: Vec<(i64, Option<i64>)> = rows
            .iter()
            .map(|r| (r.issue_id, r.first_response_at))
            .collect();
        assert_eq!(
            got,
            [
                (p1.id, r1.submitted_at),
                (p2.id, None),
                (p3.id, Some(c.created_at)),
                (p4.id, None),
            ],
            "{label}"
        );
        // Issue figures count issues only.
        assert_eq!(
            store
                .issue_first_responses(&[lib.id], 0, i64::MAX, i64::MAX)
                .await
                .unwrap()
                .len(),
            3,
            "{label}"
        );
        let pulls = store
            .pull_activity(&[lib.id, kit.id], 0, i64::MAX)
            .await
            .unwrap();
        assert_eq!((pulls.opened, pulls.merged), (4, 3), "{label}");
        assert_eq!(
            pulls.merged_by_author,
            [("bob".to_owned(), 2), ("ann".to_owned(), 1)],
            "{label}"
        );
        let none = store.pull_activity(&[lib.id], 0, 1000).await.unwrap();
        assert_eq!((none.opened, none.merged), (0, 0), "{label}");
        assert!(none.merged_by_author.is_empty(), "{label}");
        assert!(
            forge
                .pull_response_median(&[lib.id], now_ms())
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            forge
                .pull_response_median(&[tool.id], now_ms())
                .await
                .unwrap(),
            None
        );

        let activity = store
            .issue_activity(&[lib.id, kit.id], i1.created_at, now_ms() + 1)
            .await
            .unwrap();
        assert_eq!((activity.opened, activity.closed), (4, 1), "{label}");
        let activity = store.issue_activity(&[kit.id], 0, i64::MAX).await.unwrap();
        assert_eq!((activity.opened, activity.closed), (1, 0), "{label}");
        let activity = store.issue_activity(&[], 0, i64::MAX).await.unwrap();
        assert_eq!((activity.opened, activity.closed), (0, 0), "{label}");

        let before = now_ms();
        let waits = forge.issue_first_response(&[lib.id], 0).await.unwrap();
        assert_eq!(waits.len(), 3);
        assert_eq!(
            waits[0],
            Duration::from_millis((c1.created_at - i1.created_at) as u64)
        );
        assert!(waits[1] >= Duration::from_millis((before - i2.created_at) as u64));
        assert_eq!(
            waits[2],
            Duration::from_millis((c3.created_at - i3.created_at) as u64)
        );
        let m = forge
            .issue_response_median(&[lib.id], now_ms())
            .await
            .unwrap()
            .expect("a median");
        // The unanswered issue's wait grows with the clock between the two calls.
        let low = median(&waits).expect("a median");
        let drift = Duration::from_millis((now_ms() - before) as u64);
        assert!(m >= low && m <= low + drift, "{m:?} vs {low:?} + {drift:?}");
        assert_eq!(
            forge
                .issue_response_median(&[tool.id], now_ms())
                .await
                .unwrap(),
            None
        );
        assert!(
            forge
                .issue_first_response(&[lib.id], now_ms() + 60_000)
                .await
                .unwrap()
                .is_empty()
        );

        // ---- A report period: the last 30 days ----
        let start = (now - 30 * DAY) * 1000;
        let end = now_ms() + 60_000;
        let p = forge
            .period_metrics(&[lib.clone(), tool.clone(), kit.clone()], start, end)
            .await
            .unwrap();
        // apache-lib: ann 28, 21, 14; bob 12, 10, 8, 6; dee 4, 2. gpl-tool: dan 20, 5.
        // mulan-kit: eve 1.
        assert_eq!(p.commits, 12, "{label}");
        assert_eq!(p.contributors, 5);
        // dee, dan and eve; bob's first commit is in gpl-tool 200 days ago, ann's 42 days
        // ago.
        assert_eq!(p.new_contributors, 3);
        assert_eq!(p.tags, 1);
        assert!(p.complete);
        assert_eq!((p.issues_opened, p.issues_closed), (4, 1), "{label}");
        assert_eq!(p.issues_unanswered, 2);
        assert!(p.median_first_response_ms.is_some());
        assert_eq!((p.pulls_opened, p.pulls_merged), (4, 3), "{label}");
        assert_eq!(p.pulls_unanswered, 2, "{label}");
        assert!(p.median_pull_first_response_ms.is_some());
        let authors: Vec<(&str, i64)> = p
            .merged_pull_authors
            .iter()
            .map(|a| (a.login.as_str(), a.merged))
            .collect();
        assert_eq!(authors, [("bob", 2), ("ann", 1)], "{label}");
        assert_eq!(p.repos.len(), 3);
        assert_eq!(p.repos[0].repo, "ann/apache-lib");
        assert_eq!(
            (p.repos[0].commits, p.repos[0].contributors, p.repos[0].tags),
            (9, 3, 1)
        );
        assert_eq!((p.repos[1].commits, p.repos[1].contributors), (2, 1));
        // Reports store it as JSON.
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["new_contributors"], 3);
        let back: hatchery_service::incubator::health::PeriodMetrics =
            serde_json::from_value(json).unwrap();
        assert_eq!(back, p);

        // apache-lib alone: bob is new there.
        let alone = forge
            .period_metrics(std::slice::from_ref(&lib), start, end)
            .await
            .unwrap();
        assert_eq!(
            (alone.commits, alone.contributors, alone.new_contributors),
            (9, 3, 2)
        );
        // A period before everything.
        let empty = forge
            .period_metrics(std::slice::from_ref(&lib), 0, 1000)
            .await
            .unwrap();
        assert_eq!((empty.commits, empty.contributors, empty.tags), (0, 0, 0));
        assert_eq!(
            (empty.issues_opened, empty.median_first_response_ms),
            (0, None)
        );
        assert_eq!(
            (empty.pulls_merged, empty.median_pull_first_response_ms),
            (0, None)
        );
        // Figures stored before pull requests were counted still read.
        let mut old = serde_json::to_value(&empty).unwrap();
        for key in [
            "pulls_opened",
            "pulls_merged",
            "median_pull_first_response_ms",
            "pulls_unanswered",
            "merged_pull_authors",
        ] {
            old.as_object_mut().unwrap().remove(key);
        }
        let read: hatchery_service::incubator::health::PeriodMetrics =
            serde_json::from_value(old).unwrap();
        assert_eq!(read, empty);
    }
}

/// An empty repository (no commits yet) has no facts and fails the file checks.
#[tokio::test]
async fn empty_repository() {
    let store = stores().await.into_iter().next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let forge = Forge::new(
        store.store().clone(),
        dir.path().join("repositories"),
        SignInPolicy::new(5, 15),
    );
    let owner = user(&store, "ann").await;
    let repo = forge
        .create_repo(CreateRepo {
            owner_id: owner.id,
            owner_name: &owner.name,
            name: &Name::parse(NameKind::Repository, "empty").unwrap(),
            description: "",
            is_private: false,
            init_readme: None,
        })
        .await
        .unwrap();
    let facts = forge.health_of(&repo, now_ms()).await.unwrap();
    assert_eq!(facts.head, None);
    let template: ProgramTemplate = preset(Preset::Apache);
    let r = evaluate(
        &items(&[
            ("LICENSE", Evaluator::LicenseFile),
            ("README", Evaluator::ReadmePresent),
            ("MAINTAINED", Evaluator::RecentCommits90d),
        ]),
        &template,
        &[(RepoName::from(&repo), facts)],
        None,
    );
    assert_eq!(
        outcomes(&r),
        [
            ("LICENSE", Status::Fail, "empty_repository"),
            ("README", Status::Fail, "missing"),
            ("MAINTAINED", Status::Fail, "below_minimum"),
        ]
    );
}
