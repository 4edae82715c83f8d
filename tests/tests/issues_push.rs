//! Pushes that mention issues, end to end with the stock git client against the real
//! server, on every database backend: commits new to a branch add a `ref_commit` event to
//! the issues they name, "fixes #N" closes an issue once the commit reaches the default
//! branch, one commit closes an issue at most once however often it is pushed, and nothing
//! leaks into repositories the pusher may not read.

mod gitsupport;

use std::path::{Path, PathBuf};

use gitsupport::{PASSWORD, Server, git, ok, stderr};
use hatchery_core::issues::{CloseReason, EventKind};
use hatchery_core::{AccessLevel, Actor};
use hatchery_service::issues::IssueInput;
use hatchery_store::testing::stores;
use hatchery_store::{Issue, IssueEvent, Repo, User};

/// Opens an issue through the service, as the web page would.
async fn open_issue(server: &Server, author: &User, repo: &Repo, title: &str) -> Issue {
    let actor = Actor::User {
        id: author.id,
        site_admin: false,
    };
    let view = server
        .state
        .forge
        .repo_view(actor, &repo.owner_name, &repo.name)
        .await
        .expect("repo view")
        .expect("readable");
    server
        .state
        .forge
        .open_issue(
            &view,
            IssueInput {
                title: title.to_owned(),
                ..IssueInput::default()
            },
        )
        .await
        .expect("open issue")
}

async fn issue(server: &Server, repo: &Repo, number: i64) -> Issue {
    server
        .state
        .store
        .issue_by_number(repo.id, number)
        .await
        .expect("issue lookup")
        .expect("issue exists")
}

async fn events(server: &Server, repo: &Repo, number: i64) -> Vec<IssueEvent> {
    let issue = issue(server, repo, number).await;
    server
        .state
        .store
        .issue_events(issue.id)
        .await
        .expect("events")
}

/// `(kind, commit id)` of each event, in order.
async fn timeline(server: &Server, repo: &Repo, number: i64) -> Vec<(EventKind, Option<String>)> {
    events(server, repo, number)
        .await
        .into_iter()
        .map(|e| (e.kind, e.commit_id))
        .collect()
}

/// A working repository with one commit on main.
async fn work_repo(root: &Path, name: &str) -> PathBuf {
    let work = root.join(name);
    std::fs::create_dir_all(&work).expect("mkdir");
    ok(&git(&work, &["init", "-q", "-b", "main"]).await);
    std::fs::write(work.join("README.md"), "parser\n").expect("write");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(&work, &["commit", "-q", "-m", "Initial commit"]).await);
    work
}

/// Commits a change with `message` (`subject` and `body` as separate paragraphs) and
/// returns the full commit id.
async fn commit(work: &Path, file: &str, subject: &str, body: &str) -> String {
    std::fs::write(work.join(file), format!("{subject}\n{body}\n")).expect("write");
    ok(&git(work, &["add", "-A"]).await);
    ok(&git(work, &["commit", "-q", "-m", subject, "-m", body]).await);
    ok(&git(work, &["rev-parse", "HEAD"]).await)
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_commits_reference_and_close_issues_once() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let label = server.label().to_owned();
        // The first account is the site's administrator, who may do anything.
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let repo = server.repo(&ada, "parser", false).await;
        for title in ["Parser crashes", "Parser is slow", "Parser docs"] {
            open_issue(&server, &ada, &repo, title).await;
        }
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let url = server.url("ada/parser.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        let initial = ok(&git(&work, &["rev-parse", "HEAD"]).await)
            .trim()
            .to_owned();

        // On a feature branch: references, but nothing closes.
        ok(&git(&work, &["checkout", "-q", "-b", "feature"]).await);
        let fix = commit(&work, "parser.rs", "Fix parser", "Fixes #1, refs #2").await;
        assert_eq!(fix.len(), 40);
        ok(&git(&work, &["push", "-q", &url, "feature"]).await);
        let referenced = vec![(EventKind::RefCommit, Some(fix.clone()))];
        assert_eq!(
            timeline(&server, &repo, 1).await,
            referenced,
            "[{label}] #1"
        );
        assert_eq!(
            timeline(&server, &repo, 2).await,
            referenced,
            "[{label}] #2"
        );
        assert!(timeline(&server, &repo, 3).await.is_empty(), "[{label}] #3");
        assert!(
            !issue(&server, &repo, 1).await.is_closed,
            "[{label}] not on main yet"
        );
        let event = &events(&server, &repo, 1).await[0];
        assert_eq!(event.actor.as_ref().map(|p| p.id), Some(ada.id));
        assert_eq!(event.ref_repo.as_ref().map(|r| r.id), Some(repo.id));

        // Fast-forward main to it: #1 closes as completed, by that commit.
        ok(&git(&work, &["checkout", "-q", "main"]).await);
        ok(&git(&work, &["merge", "-q", "--ff-only", "feature"]).await);
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        let one = issue(&server, &repo, 1).await;
        assert!(one.is_closed, "[{label}] #1 closed by the push to main");
        assert_eq!(one.close_reason, Some(CloseReason::Completed));
        let closed = vec![
            (EventKind::RefCommit, Some(fix.clone())),
            (EventKind::Closed, Some(fix.clone())),
        ];
        assert_eq!(timeline(&server, &repo, 1).await, closed, "[{label}] #1");
        let close_event = &events(&server, &repo, 1).await[1];
        assert_eq!(close_event.value.as_deref(), Some("completed"));
        assert_eq!(close_event.ref_repo.as_ref().map(|r| r.id), Some(repo.id));
        // "refs" does not close, and the second sighting adds no event.
        assert!(!issue(&server, &repo, 2).await.is_closed);
        assert_eq!(
            timeline(&server, &repo, 2).await,
            referenced,
            "[{label}] #2"
        );

        // Reopened by hand: pushing the same commit anywhere again does not close it again.
        assert!(
            server
                .state
                .store
                .set_issue_state(one.id, Some(ada.id), None, None)
                .await
                .expect("reopen")
        );
        ok(&git(&work, &["push", "-q", &url, "main:refs/heads/again"]).await);
        // Take main back, then bring the commit to main a second time.
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                "--force",
                &url,
                &format!("{initial}:refs/heads/main"),
            ],
        )
        .await);
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        ok(&git(&work, &["push", "-q", &url, "main:refs/heads/third"]).await);
        let remote = ok(&git(&root, &["ls-remote", &url, "refs/heads/main"]).await);
        assert!(remote.starts_with(&fix), "{remote}");
        assert!(
            !issue(&server, &repo, 1).await.is_closed,
            "[{label}] a commit closes an issue at most once"
        );
        let reopened = vec![
            (EventKind::RefCommit, Some(fix.clone())),
            (EventKind::Closed, Some(fix.clone())),
            (EventKind::Reopened, None),
        ];
        assert_eq!(timeline(&server, &repo, 1).await, reopened, "[{label}] #1");
        assert_eq!(
            timeline(&server, &repo, 2).await,
            referenced,
            "[{label}] #2"
        );
        assert!(timeline(&server, &repo, 3).await.is_empty(), "[{label}] #3");

        // A later commit that fixes it again does close it.
        let again = commit(&work, "parser.rs", "Really fix parser", "Fixes #1").await;
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        assert!(issue(&server, &repo, 1).await.is_closed, "[{label}]");
        assert_eq!(
            timeline(&server, &repo, 1).await[3..],
            [
                (EventKind::RefCommit, Some(again.clone())),
                (EventKind::Closed, Some(again.clone())),
            ],
            "[{label}]"
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_reach_only_issues_the_pusher_may_read_and_triage() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let label = server.label().to_owned();
        // The first account is the site's administrator, who may do anything.
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let olga = server.user("olga").await;
        let repo = server.repo(&ada, "parser", false).await;
        let hidden = server.repo(&olga, "private", true).await;
        let public = server.repo(&olga, "open", false).await;
        for title in ["One", "Two", "Three"] {
            open_issue(&server, &ada, &repo, title).await;
        }
        open_issue(&server, &olga, &hidden, "Secret issue").await;
        open_issue(&server, &olga, &public, "Public issue").await;
        // Olga may read ada's repository (it is public) but not write to it.
        server
            .state
            .store
            .set_collaborator(repo.id, olga.id, AccessLevel::Read)
            .await
            .expect("collaborator");

        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let url = server.url("ada/parser.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &url, "main"]).await);

        // A reader cannot push, so cannot close anything.
        commit(&work, "a.txt", "Reader change", "closes #3").await;
        let refused = git(
            &work,
            &[
                "push",
                &server.url("ada/parser.git", Some(("olga", PASSWORD))),
                "main",
            ],
        )
        .await;
        assert!(!refused.status.success(), "[{label}] reader pushed");
        assert!(stderr(&refused).contains("403"), "{}", stderr(&refused));
        assert!(timeline(&server, &repo, 3).await.is_empty());
        assert!(!issue(&server, &repo, 3).await.is_closed);
        ok(&git(&work, &["reset", "-q", "--hard", "HEAD~1"]).await);

        // Ada names an issue of a private repository she cannot read, an issue that does
        // not exist, and one of a repository she may read but not triage.
        let secret = commit(&work, "b.txt", "Touch things", "closes olga/private#1").await;
        let missing = commit(&work, "c.txt", "More things", "Closes #99").await;
        let foreign = commit(&work, "d.txt", "Foreign", "Fixes olga/open#1").await;
        ok(&git(&work, &["push", "-q", &url, "main"]).await);
        let remote = ok(&git(&root, &["ls-remote", &url, "refs/heads/main"]).await);
        assert!(remote.starts_with(&foreign), "[{label}] {remote}");

        assert!(
            timeline(&server, &hidden, 1).await.is_empty(),
            "[{label}] nothing reaches a repository the pusher cannot read"
        );
        assert!(!issue(&server, &hidden, 1).await.is_closed);
        // Readable: referenced, but closing takes triage rights there.
        assert_eq!(
            timeline(&server, &public, 1).await,
            [(EventKind::RefCommit, Some(foreign.clone()))],
            "[{label}]"
        );
        assert!(!issue(&server, &public, 1).await.is_closed, "[{label}]");
        for n in 1..=3 {
            assert!(
                timeline(&server, &repo, n).await.is_empty(),
                "[{label}] #{n}"
            );
        }
        assert!(
            server
                .state
                .store
                .issue_by_number(repo.id, 99)
                .await
                .expect("lookup")
                .is_none()
        );
        // The commits did arrive.
        for id in [&secret, &missing] {
            let shown = ok(&git(&work, &["cat-file", "-t", id]).await);
            assert_eq!(shown.trim(), "commit");
        }
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_push_of_another_branch_closes_as_the_default() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let label = server.label().to_owned();
        // The first account is the site's administrator, who may do anything.
        server.user("sysop").await;
        let ada = server.user("ada").await;
        let repo = server.repo(&ada, "fresh", false).await;
        assert_eq!(repo.default_branch, "main");
        open_issue(&server, &ada, &repo, "Before the first push").await;
        let root = server.dir.path().to_path_buf();
        let work = work_repo(&root, "work").await;
        let fix = commit(&work, "x.txt", "Fix it", "Fixes #1").await;
        // The first push names the branch "trunk": it becomes the default branch.
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                &server.url("ada/fresh.git", Some(("ada", PASSWORD))),
                "main:trunk",
            ],
        )
        .await);
        let stored = server
            .state
            .store
            .repo_by_name("ada", "fresh")
            .await
            .expect("lookup")
            .expect("repo");
        assert_eq!(stored.default_branch, "trunk");
        assert!(issue(&server, &repo, 1).await.is_closed, "[{label}]");
        assert_eq!(
            timeline(&server, &repo, 1).await,
            [
                (EventKind::RefCommit, Some(fix.clone())),
                (EventKind::Closed, Some(fix.clone())),
            ],
            "[{label}]"
        );
        server.stop().await;
    }
}
