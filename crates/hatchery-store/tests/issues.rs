//! Conformance suite for issues, labels and milestones: every test runs against every store
//! from `testing::stores()` (SQLite always, PostgreSQL too when `HATCHERY_TEST_PG_URL` is
//! set), so a query or a search that behaves differently on one database fails here.

use std::time::Duration;

use hatchery_core::issues::{CloseReason, DEFAULT_LABELS, EventKind, IssueSort, StateFilter};
use hatchery_store::testing::fixtures::{org, repo, user};
use hatchery_store::testing::stores;
use hatchery_store::{
    ConflictField, Issue, IssueEvent, IssueQuery, IssueRef, NewIssue, Person, Repo, RepoRef, Store,
    StoreError, User, UserIssues, Who,
};

// ---- Helpers (the small ones of tests/conformance.rs, plus issue-specific ones) ----

fn is_conflict(r: &Result<impl std::fmt::Debug, StoreError>, field: ConflictField) -> bool {
    matches!(r, Err(StoreError::Conflict(f)) if *f == field)
}

fn is_not_found(r: &Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}

fn is_stale(r: &Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(r, Err(StoreError::Stale))
}

fn person(u: &User) -> Person {
    Person {
        id: u.id,
        name: u.name.clone(),
        display_name: u.display_name.clone(),
    }
}

/// Lets the millisecond clock move on, so that times taken before and after differ.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

async fn issue(s: &Store, r: &Repo, author: &User, title: &str, body: &str) -> Issue {
    s.create_issue(NewIssue {
        repo_id: r.id,
        author_id: author.id,
        title,
        body,
        ..NewIssue::default()
    })
    .await
    .expect("create issue")
}

async fn reload(s: &Store, i: &Issue) -> Issue {
    s.issue_by_id(i.id).await.unwrap().expect("issue exists")
}

async fn events(s: &Store, i: &Issue) -> Vec<IssueEvent> {
    s.issue_events(i.id).await.unwrap()
}

fn kinds(events: &[IssueEvent]) -> Vec<EventKind> {
    events.iter().map(|e| e.kind).collect()
}

/// Every issue in any state, one page large enough for the whole test.
fn all() -> IssueQuery {
    IssueQuery {
        state: StateFilter::All,
        sort: IssueSort::Oldest,
        page: 1,
        per_page: 100,
        ..IssueQuery::default()
    }
}

/// The numbers of the issues matching `q`, in the query's order; checks that `total`
/// agrees with the page when everything fits on it.
async fn numbers(s: &Store, r: &Repo, q: &IssueQuery) -> Vec<i64> {
    let page = s.list_issues(r.id, q).await.unwrap();
    let numbers: Vec<i64> = page.issues.iter().map(|i| i.number).collect();
    assert_eq!(
        page.total,
        numbers.len() as i64,
        "{}: total of a single page",
        s.backend().as_str()
    );
    numbers
}

/// The numbers of the issues of any state whose text matches `text`, ascending.
async fn search(s: &Store, r: &Repo, text: &str) -> Vec<i64> {
    let q = IssueQuery {
        text: Some(text.to_owned()),
        ..all()
    };
    match s.list_issues(r.id, &q).await {
        Ok(page) => {
            let numbers: Vec<i64> = page.issues.iter().map(|i| i.number).collect();
            assert_eq!(page.total, numbers.len() as i64, "{text:?}");
            numbers
        }
        Err(e) => panic!("{}: search {text:?} failed: {e}", s.backend().as_str()),
    }
}

const SHA_A: &str = "abc1230000000000000000000000000000000001";
const SHA_B: &str = "abc1230000000000000000000000000000000002";

// ---- Numbering and lookup ----

#[tokio::test]
async fn issue_numbers_count_per_repository() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let a = repo(&s, alice.id, "a").await;
        let b = repo(&s, alice.id, "b").await;
        let empty = repo(&s, alice.id, "empty").await;

        let a1 = issue(&s, &a, &alice, "first", "body one").await;
        let a2 = issue(&s, &a, &alice, "second", "").await;
        let b1 = issue(&s, &b, &alice, "other first", "").await;
        let a3 = issue(&s, &a, &alice, "third", "").await;
        let b2 = issue(&s, &b, &alice, "other second", "").await;
        assert_eq!([a1.number, a2.number, a3.number], [1, 2, 3], "{l}");
        assert_eq!([b1.number, b2.number], [1, 2], "{l}");

        assert_eq!(a1.repo_id, a.id, "{l}");
        assert_eq!(b1.repo_id, b.id, "{l}");
        assert_eq!(a1.author, Some(person(&alice)), "{l}");
        assert_eq!((a1.title.as_str(), a1.body.as_str()), ("first", "body one"));
        assert!(!a1.is_closed && !a1.is_locked, "{l}");
        assert_eq!(a1.close_reason, None, "{l}");
        assert_eq!(a1.closed_at, None, "{l}");
        assert_eq!(a1.milestone_id, None, "{l}");
        assert_eq!(a1.comment_count, 0, "{l}");
        assert_eq!(a1.version, 1, "{l}");
        assert!(a1.created_at > 0, "{l}");
        assert_eq!(a1.created_at, a1.updated_at, "{l}");

        assert_eq!(s.issue_by_number(a.id, 2).await.unwrap(), Some(a2.clone()));
        assert_eq!(s.issue_by_number(b.id, 2).await.unwrap(), Some(b2.clone()));
        assert_eq!(s.issue_by_number(b.id, 3).await.unwrap(), None, "{l}");
        assert_eq!(s.issue_by_number(empty.id, 1).await.unwrap(), None, "{l}");
        assert_eq!(s.issue_by_id(a3.id).await.unwrap(), Some(a3.clone()), "{l}");
        assert_eq!(s.issue_by_id(i64::MAX).await.unwrap(), None, "{l}");

        let mut found = s.issues_by_numbers(a.id, &[3, 99, 1, 0]).await.unwrap();
        found.sort_by_key(|i| i.number);
        assert_eq!(
            found,
            [a1.clone(), a3.clone()],
            "{l}: missing numbers left out"
        );
        assert!(s.issues_by_numbers(a.id, &[]).await.unwrap().is_empty());
        assert!(
            s.issues_by_numbers(b.id, &[3]).await.unwrap().is_empty(),
            "{l}: another repository's numbers are not this one's"
        );

        assert_eq!(s.issue_counts(a.id).await.unwrap(), (3, 0), "{l}");
        assert_eq!(s.issue_counts(b.id).await.unwrap(), (2, 0), "{l}");
        assert_eq!(s.issue_counts(empty.id).await.unwrap(), (0, 0), "{l}");
        assert!(
            s.set_issue_state(a2.id, Some(alice.id), Some(CloseReason::Completed), None)
                .await
                .unwrap()
        );
        assert_eq!(s.issue_counts(a.id).await.unwrap(), (2, 1), "{l}");
        assert_eq!(s.issue_counts(b.id).await.unwrap(), (2, 0), "{l}");

        let r = s
            .create_issue(NewIssue {
                repo_id: i64::MAX,
                author_id: alice.id,
                title: "nowhere",
                ..NewIssue::default()
            })
            .await;
        assert!(is_not_found(&r), "{l}: {r:?}");
    }
}

#[tokio::test]
async fn concurrent_issue_creation_takes_distinct_numbers() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "busy").await;
        let other = repo(&s, alice.id, "quiet").await;
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let s = Store::clone(&s);
                // Every fifth task opens an issue in the other repository at the same time.
                let repo_id = if i % 5 == 4 { other.id } else { r.id };
                let author_id = alice.id;
                tokio::spawn(async move {
                    let title = format!("issue {i}");
                    s.create_issue(NewIssue {
                        repo_id,
                        author_id,
                        title: &title,
                        ..NewIssue::default()
                    })
                    .await
                })
            })
            .collect();
        let mut busy = Vec::new();
        let mut quiet = Vec::new();
        for task in tasks {
            let created = task.await.unwrap().unwrap_or_else(|e| panic!("{l}: {e}"));
            if created.repo_id == r.id {
                busy.push(created.number);
            } else {
                quiet.push(created.number);
            }
        }
        busy.sort_unstable();
        quiet.sort_unstable();
        assert_eq!(busy, (1..=16).collect::<Vec<_>>(), "{l}");
        assert_eq!(quiet, (1..=4).collect::<Vec<_>>(), "{l}");
        assert_eq!(s.issue_counts(r.id).await.unwrap(), (16, 0), "{l}");
        assert_eq!(issue(&s, &r, &alice, "after", "").await.number, 17, "{l}");

        // And 20 at once on one repository.
        let single = repo(&s, alice.id, "single").await;
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let s = Store::clone(&s);
                let (repo_id, author_id) = (single.id, alice.id);
                tokio::spawn(async move {
                    let title = format!("issue {i}");
                    s.create_issue(NewIssue {
                        repo_id,
                        author_id,
                        title: &title,
                        ..NewIssue::default()
                    })
                    .await
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for task in tasks {
            let created = task.await.unwrap().unwrap_or_else(|e| panic!("{l}: {e}"));
            numbers.push(created.number);
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=20).collect::<Vec<_>>(), "{l}");
        assert_eq!(s.issue_counts(single.id).await.unwrap(), (20, 0), "{l}");
    }
}

#[tokio::test]
async fn create_issue_with_labels_milestone_and_assignees() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let carol = user(&s, "carol").await;
        let r = repo(&s, alice.id, "r").await;
        let other = repo(&s, alice.id, "other").await;
        let ui = s.create_label(r.id, "ui", "#00ff00", "").await.unwrap();
        let bug = s
            .create_label(r.id, "bug", "#d73a4a", "Broken")
            .await
            .unwrap();
        let foreign = s
            .create_label(other.id, "bug", "#000000", "")
            .await
            .unwrap();
        let v1 = s.create_milestone(r.id, "v1", "", None).await.unwrap();
        let foreign_m = s.create_milestone(other.id, "v1", "", None).await.unwrap();

        let i = s
            .create_issue(NewIssue {
                repo_id: r.id,
                author_id: alice.id,
                title: "with extras",
                body: "",
                label_ids: &[ui.id, bug.id, ui.id],
                milestone_id: Some(v1.id),
                assignee_ids: &[carol.id, bob.id],
            })
            .await
            .unwrap();
        assert_eq!(i.number, 1, "{l}");
        assert_eq!(i.milestone_id, Some(v1.id), "{l}");
        let labels = s.labels_of_issues(&[i.id]).await.unwrap();
        assert_eq!(
            labels.get(&i.id),
            Some(&vec![bug.clone(), ui.clone()]),
            "{l}"
        );
        let assignees = s.assignees_of_issues(&[i.id]).await.unwrap();
        assert_eq!(
            assignees.get(&i.id),
            Some(&vec![person(&bob), person(&carol)]),
            "{l}"
        );
        let m = s.milestone(r.id, v1.id).await.unwrap().unwrap();
        assert_eq!((m.open_issues, m.closed_issues), (1, 0), "{l}");

        let attempts = [
            ("foreign label", vec![bug.id, foreign.id], None, vec![]),
            ("missing label", vec![i64::MAX], None, vec![]),
            (
                "foreign milestone",
                vec![bug.id],
                Some(foreign_m.id),
                vec![],
            ),
            ("missing milestone", vec![], Some(i64::MAX), vec![]),
            (
                "missing assignee",
                vec![bug.id],
                None,
                vec![bob.id, i64::MAX],
            ),
        ];
        for (what, label_ids, milestone_id, assignee_ids) in attempts {
            let res = s
                .create_issue(NewIssue {
                    repo_id: r.id,
                    author_id: alice.id,
                    title: "must not exist",
                    body: "",
                    label_ids: &label_ids,
                    milestone_id,
                    assignee_ids: &assignee_ids,
                })
                .await;
            assert!(is_not_found(&res), "{l}: {what}: {res:?}");
        }
        // No row, no half-linked label, milestone or assignee was left behind.
        assert_eq!(s.issue_counts(r.id).await.unwrap(), (1, 0), "{l}");
        assert_eq!(numbers(&s, &r, &all()).await, [1], "{l}");
        assert_eq!(s.issue_counts(other.id).await.unwrap(), (0, 0), "{l}");
        let uses = s.labels(r.id).await.unwrap();
        assert!(uses.iter().all(|u| u.open_issues == 1), "{l}: {uses:?}");
        let others = s.labels(other.id).await.unwrap();
        assert!(others.iter().all(|u| u.open_issues == 0), "{l}: {others:?}");
        let m = s.milestone(other.id, foreign_m.id).await.unwrap().unwrap();
        assert_eq!(m.open_issues, 0, "{l}");

        // Numbers may have been skipped, but the next issue gets a fresh one and the
        // skipped ones have no row.
        let next = issue(&s, &r, &alice, "next", "").await;
        assert!(next.number >= 2, "{l}");
        for n in 2..next.number {
            assert_eq!(s.issue_by_number(r.id, n).await.unwrap(), None, "{l}: #{n}");
        }
        assert_eq!(
            s.issue_by_number(r.id, next.number).await.unwrap(),
            Some(next.clone()),
            "{l}"
        );
        assert!(
            s.labels_of_issues(&[next.id]).await.unwrap().is_empty(),
            "{l}"
        );
    }
}

// ---- Editing, state, locking ----

#[tokio::test]
async fn edit_issue_checks_the_version_and_keeps_revisions() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let r = repo(&s, alice.id, "r").await;
        let i = issue(&s, &r, &alice, "Old title", "old body").await;

        tick().await;
        let e1 = s
            .edit_issue(i.id, 1, bob.id, "Old title", "new body")
            .await
            .unwrap();
        assert_eq!(e1.version, 2, "{l}");
        assert_eq!(
            (e1.title.as_str(), e1.body.as_str()),
            ("Old title", "new body")
        );
        assert!(e1.updated_at > i.updated_at, "{l}");
        assert_eq!(e1.created_at, i.created_at, "{l}");
        assert_eq!(e1.author, Some(person(&alice)), "{l}: the author stays");
        assert!(
            events(&s, &i).await.is_empty(),
            "{l}: no rename for a body edit"
        );
        let revs = s.revisions(i.id, None).await.unwrap();
        assert_eq!(revs.len(), 1, "{l}");
        assert_eq!(revs[0].title.as_deref(), Some("Old title"), "{l}");
        assert_eq!(revs[0].body, "old body", "{l}");
        assert_eq!(revs[0].editor, Some(person(&bob)), "{l}");

        // A save from a stale page changes nothing.
        let res = s.edit_issue(i.id, 1, alice.id, "Hijack", "x").await;
        assert!(is_stale(&res), "{l}: {res:?}");
        assert_eq!(reload(&s, &i).await, e1, "{l}");
        assert_eq!(s.revisions(i.id, None).await.unwrap().len(), 1, "{l}");
        let res = s.edit_issue(i.id, 7, alice.id, "Hijack", "x").await;
        assert!(
            is_stale(&res),
            "{l}: a future version is stale too: {res:?}"
        );

        tick().await;
        let e2 = s
            .edit_issue(i.id, 2, alice.id, "New title", "new body")
            .await
            .unwrap();
        assert_eq!(e2.version, 3, "{l}");
        assert_eq!(e2.title, "New title", "{l}");
        let ev = events(&s, &i).await;
        assert_eq!(kinds(&ev), [EventKind::Renamed], "{l}");
        assert_eq!(ev[0].old_value.as_deref(), Some("Old title"), "{l}");
        assert_eq!(ev[0].value.as_deref(), Some("New title"), "{l}");
        assert_eq!(ev[0].actor, Some(person(&alice)), "{l}");
        let revs = s.revisions(i.id, None).await.unwrap();
        let seen: Vec<(Option<&str>, &str, Option<i64>)> = revs
            .iter()
            .map(|r| {
                (
                    r.title.as_deref(),
                    r.body.as_str(),
                    r.editor.as_ref().map(|p| p.id),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Some("Old title"), "new body", Some(alice.id)),
                (Some("Old title"), "old body", Some(bob.id)),
            ],
            "{l}: newest first"
        );

        // Saving what is already there is no edit.
        let e3 = s
            .edit_issue(i.id, 3, alice.id, "New title", "new body")
            .await
            .unwrap();
        assert_eq!(e3, e2, "{l}: a no-op edit keeps version and times");
        assert_eq!(s.revisions(i.id, None).await.unwrap().len(), 2, "{l}");
        assert_eq!(events(&s, &i).await.len(), 1, "{l}");
        let res = s
            .edit_issue(i.id, 2, alice.id, "New title", "new body")
            .await;
        assert!(is_stale(&res), "{l}: {res:?}");

        let res = s.edit_issue(i64::MAX, 1, alice.id, "x", "y").await;
        assert!(is_not_found(&res), "{l}: {res:?}");
    }
}

#[tokio::test]
async fn closing_and_reopening() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let r = repo(&s, alice.id, "r").await;
        let i = issue(&s, &r, &alice, "Bug", "").await;

        tick().await;
        let closed = s
            .set_issue_state(i.id, Some(bob.id), Some(CloseReason::NotPlanned), None)
            .await
            .unwrap();
        assert!(closed, "{l}");
        let c = reload(&s, &i).await;
        assert!(c.is_closed, "{l}");
        assert_eq!(c.close_reason, Some(CloseReason::NotPlanned), "{l}");
        assert!(c.updated_at > i.updated_at, "{l}");
        assert_eq!(c.closed_at, Some(c.updated_at), "{l}");
        let ev = events(&s, &i).await;
        assert_eq!(kinds(&ev), [EventKind::Closed], "{l}");
        assert_eq!(ev[0].actor, Some(person(&bob)), "{l}");
        assert_eq!(ev[0].value.as_deref(), Some("not_planned"), "{l}");
        assert_eq!((&ev[0].commit_id, &ev[0].ref_repo), (&None, &None), "{l}");

        // Closing a closed issue changes nothing, not even the reason.
        let again = s
            .set_issue_state(i.id, Some(alice.id), Some(CloseReason::Completed), None)
            .await
            .unwrap();
        assert!(!again, "{l}");
        assert_eq!(reload(&s, &i).await, c, "{l}");
        assert_eq!(events(&s, &i).await.len(), 1, "{l}");
        assert_eq!(s.issue_counts(r.id).await.unwrap(), (0, 1), "{l}");

        tick().await;
        assert!(
            s.set_issue_state(i.id, Some(alice.id), None, None)
                .await
                .unwrap(),
            "{l}"
        );
        let o = reload(&s, &i).await;
        assert!(!o.is_closed, "{l}");
        assert_eq!((o.close_reason, o.closed_at), (None, None), "{l}");
        assert!(o.updated_at > c.updated_at, "{l}");
        assert!(
            !s.set_issue_state(i.id, Some(alice.id), None, None)
                .await
                .unwrap(),
            "{l}: reopening an open issue"
        );
        let ev = events(&s, &i).await;
        assert_eq!(kinds(&ev), [EventKind::Closed, EventKind::Reopened], "{l}");
        assert_eq!(ev[1].value, None, "{l}");
        assert_eq!(ev[1].actor, Some(person(&alice)), "{l}");

        // A pushed commit closes it, once ever.
        assert!(
            s.set_issue_state(
                i.id,
                None,
                Some(CloseReason::Completed),
                Some((r.id, SHA_A))
            )
            .await
            .unwrap(),
            "{l}"
        );
        let c = reload(&s, &i).await;
        assert_eq!(c.close_reason, Some(CloseReason::Completed), "{l}");
        let ev = events(&s, &i).await;
        let last = ev.last().unwrap();
        assert_eq!(last.kind, EventKind::Closed, "{l}");
        assert_eq!(last.actor, None, "{l}");
        assert_eq!(last.commit_id.as_deref(), Some(SHA_A), "{l}");
        assert_eq!(last.value.as_deref(), Some("completed"), "{l}");
        assert_eq!(
            last.ref_repo,
            Some(RepoRef {
                id: r.id,
                owner_name: "alice".into(),
                name: "r".into()
            }),
            "{l}"
        );
        assert!(
            s.set_issue_state(i.id, Some(bob.id), None, None)
                .await
                .unwrap()
        );
        let before = events(&s, &i).await.len();
        // The same commit pushed again (another branch) must not close it a second time.
        let res = s
            .set_issue_state(
                i.id,
                None,
                Some(CloseReason::Completed),
                Some((r.id, SHA_A)),
            )
            .await
            .unwrap();
        assert!(!res, "{l}: a commit closes an issue at most once");
        let o = reload(&s, &i).await;
        assert!(!o.is_closed, "{l}: the issue stays open");
        assert_eq!((o.close_reason, o.closed_at), (None, None), "{l}");
        assert_eq!(events(&s, &i).await.len(), before, "{l}");
        // Another commit may.
        assert!(
            s.set_issue_state(
                i.id,
                None,
                Some(CloseReason::Completed),
                Some((r.id, SHA_B))
            )
            .await
            .unwrap(),
            "{l}"
        );
        assert!(reload(&s, &i).await.is_closed, "{l}");

        let res = s
            .set_issue_state(i64::MAX, None, Some(CloseReason::Completed), None)
            .await;
        assert!(is_not_found(&res), "{l}: {res:?}");
    }
}

#[tokio::test]
async fn locking_and_unlocking() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let i = issue(&s, &r, &alice, "Heated", "").await;
        assert!(
            s.set_issue_locked(i.id, alice.id, true).await.unwrap(),
            "{l}"
        );
        assert!(reload(&s, &i).await.is_locked, "{l}");
        assert!(
            !s.set_issue_locked(i.id, alice.id, true).await.unwrap(),
            "{l}"
        );
        assert!(
            s.set_issue_locked(i.id, alice.id, false).await.unwrap(),
            "{l}"
        );
        assert!(
            !s.set_issue_locked(i.id, alice.id, false).await.unwrap(),
            "{l}"
        );
        assert!(!reload(&s, &i).await.is_locked, "{l}");
        assert_eq!(
            kinds(&events(&s, &i).await),
            [EventKind::Locked, EventKind::Unlocked],
            "{l}"
        );
    }
}

// ---- Labels ----

#[tokio::test]
async fn labels_create_update_delete_and_count() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let other = repo(&s, alice.id, "other").await;

        let bug = s
            .create_label(r.id, "Bug", "#d73a4a", "Broken")
            .await
            .unwrap();
        assert_eq!(bug.repo_id, r.id, "{l}");
        assert_eq!(
            (
                bug.name.as_str(),
                bug.color.as_str(),
                bug.description.as_str()
            ),
            ("Bug", "#d73a4a", "Broken"),
            "{l}"
        );
        let res = s.create_label(r.id, "bUG", "#000000", "").await;
        assert!(is_conflict(&res, ConflictField::Name), "{l}: {res:?}");
        let other_bug = s.create_label(other.id, "bug", "#000000", "").await;
        assert!(other_bug.is_ok(), "{l}: names are per repository");

        let docs = s.create_label(r.id, "docs", "#0075ca", "").await.unwrap();
        let res = s.update_label(r.id, docs.id, "BUG", "#0075ca", "").await;
        assert!(is_conflict(&res, ConflictField::Name), "{l}: {res:?}");
        let docs = s
            .update_label(r.id, docs.id, "Documentation", "#0000ff", "Docs")
            .await
            .unwrap();
        assert_eq!(docs.name, "Documentation", "{l}");
        assert_eq!(
            s.label_names(r.id).await.unwrap(),
            [
                (bug.id, "Bug".to_owned()),
                (docs.id, "Documentation".to_owned())
            ],
            "{l}: this repository's only, by name"
        );
        assert_eq!(docs.color, "#0000ff", "{l}");
        assert_eq!(docs.description, "Docs", "{l}");
        assert_eq!(
            Store::label(&s, r.id, docs.id).await.unwrap(),
            Some(docs.clone())
        );
        assert_eq!(
            Store::label(&s, other.id, docs.id).await.unwrap(),
            None,
            "{l}"
        );
        let res = s.update_label(other.id, docs.id, "x", "#000000", "").await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        // A label may change the case of its own name.
        let bug = s
            .update_label(r.id, bug.id, "BUG", "#d73a4a", "Broken")
            .await
            .unwrap();
        assert_eq!(bug.name, "BUG", "{l}");

        // add_labels keeps what exists (in any case) and adds the rest, idempotently.
        s.add_labels(
            r.id,
            &[("bug", "#ffffff", "x"), ("question", "#d876e3", "Q")],
        )
        .await
        .unwrap();
        s.add_labels(
            r.id,
            &[("bug", "#ffffff", "x"), ("question", "#d876e3", "Q")],
        )
        .await
        .unwrap();
        let uses = s.labels(r.id).await.unwrap();
        let names: Vec<&str> = uses.iter().map(|u| u.label.name.as_str()).collect();
        assert_eq!(names, ["BUG", "Documentation", "question"], "{l}");
        assert_eq!(
            uses[0].label, bug,
            "{l}: the existing label is kept as it was"
        );

        let fresh = repo(&s, alice.id, "fresh").await;
        s.add_labels(fresh.id, DEFAULT_LABELS).await.unwrap();
        s.add_labels(fresh.id, DEFAULT_LABELS).await.unwrap();
        let uses = s.labels(fresh.id).await.unwrap();
        let got: Vec<(&str, &str, &str)> = uses
            .iter()
            .map(|u| {
                (
                    u.label.name.as_str(),
                    u.label.color.as_str(),
                    u.label.description.as_str(),
                )
            })
            .collect();
        assert_eq!(got, DEFAULT_LABELS, "{l}");

        // Counts of open and closed issues per label.
        let i1 = s
            .create_issue(NewIssue {
                repo_id: r.id,
                author_id: alice.id,
                title: "one",
                label_ids: &[bug.id],
                ..NewIssue::default()
            })
            .await
            .unwrap();
        let i2 = s
            .create_issue(NewIssue {
                repo_id: r.id,
                author_id: alice.id,
                title: "two",
                label_ids: &[bug.id, docs.id],
                ..NewIssue::default()
            })
            .await
            .unwrap();
        let i3 = s
            .create_issue(NewIssue {
                repo_id: r.id,
                author_id: alice.id,
                title: "three",
                label_ids: &[bug.id],
                ..NewIssue::default()
            })
            .await
            .unwrap();
        s.set_issue_state(i3.id, None, Some(CloseReason::Completed), None)
            .await
            .unwrap();
        let uses = s.labels(r.id).await.unwrap();
        let counts: Vec<(&str, i64, i64)> = uses
            .iter()
            .map(|u| (u.label.name.as_str(), u.open_issues, u.closed_issues))
            .collect();
        assert_eq!(
            counts,
            [("BUG", 2, 1), ("Documentation", 1, 0), ("question", 0, 0)],
            "{l}"
        );

        // Deleting a label takes it off its issues; the timeline keeps its name.
        s.set_issue_label(i1.id, docs.id, true, alice.id)
            .await
            .unwrap();
        let res = s.delete_label(other.id, docs.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        s.delete_label(r.id, docs.id).await.unwrap();
        assert_eq!(Store::label(&s, r.id, docs.id).await.unwrap(), None, "{l}");
        let res = s.delete_label(r.id, docs.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        let by_issue = s.labels_of_issues(&[i1.id, i2.id]).await.unwrap();
        assert_eq!(by_issue.get(&i1.id), Some(&vec![bug.clone()]), "{l}");
        assert_eq!(by_issue.get(&i2.id), Some(&vec![bug.clone()]), "{l}");
        let ev = events(&s, &i1).await;
        assert_eq!(kinds(&ev), [EventKind::Labeled], "{l}");
        assert_eq!(ev[0].label, None, "{l}: the label is gone");
        assert_eq!(ev[0].value.as_deref(), Some("Documentation"), "{l}");
        let q = IssueQuery {
            label_ids: vec![docs.id],
            ..all()
        };
        assert!(numbers(&s, &r, &q).await.is_empty(), "{l}");
    }
}

#[tokio::test]
async fn labeling_an_issue_records_events_once() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let other = repo(&s, alice.id, "other").await;
        let bug = s.create_label(r.id, "bug", "#d73a4a", "").await.unwrap();
        let foreign = s
            .create_label(other.id, "bug", "#000000", "")
            .await
            .unwrap();
        let i = issue(&s, &r, &alice, "Bug", "").await;

        tick().await;
        assert!(
            s.set_issue_label(i.id, bug.id, true, alice.id)
                .await
                .unwrap()
        );
        let labeled = reload(&s, &i).await;
        assert!(labeled.updated_at > i.updated_at, "{l}");
        assert!(
            !s.set_issue_label(i.id, bug.id, true, alice.id)
                .await
                .unwrap(),
            "{l}: already labeled"
        );
        let res = s.set_issue_label(i.id, foreign.id, true, alice.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        let res = s.set_issue_label(i.id, i64::MAX, true, alice.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        let res = s.set_issue_label(i64::MAX, bug.id, true, alice.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        let labels = s.labels_of_issues(&[i.id]).await.unwrap();
        assert_eq!(labels.get(&i.id), Some(&vec![bug.clone()]), "{l}");

        assert!(
            s.set_issue_label(i.id, bug.id, false, alice.id)
                .await
                .unwrap()
        );
        assert!(
            !s.set_issue_label(i.id, bug.id, false, alice.id)
                .await
                .unwrap(),
            "{l}: not labeled any more"
        );
        assert!(s.labels_of_issues(&[i.id]).await.unwrap().is_empty(), "{l}");
        let ev = events(&s, &i).await;
        assert_eq!(
            kinds(&ev),
            [EventKind::Labeled, EventKind::Unlabeled],
            "{l}"
        );
        for e in &ev {
            assert_eq!(e.label.as_ref(), Some(&bug), "{l}");
            assert_eq!(e.value.as_deref(), Some("bug"), "{l}");
            assert_eq!(e.actor, Some(person(&alice)), "{l}");
        }
    }
}

// ---- Milestones ----

#[tokio::test]
async fn milestones_order_counts_and_progress() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let other = repo(&s, alice.id, "other").await;
        let day = 86_400_000;
        let now = hatchery_store::now_ms();

        let later = s
            .create_milestone(r.id, "Later", "far away", Some(now + 10 * day))
            .await
            .unwrap();
        assert_eq!(later.repo_id, r.id, "{l}");
        assert_eq!(later.title, "Later", "{l}");
        assert_eq!(later.description, "far away", "{l}");
        assert_eq!(later.due_at, Some(now + 10 * day), "{l}");
        assert!(!later.is_closed, "{l}");
        assert_eq!((later.open_issues, later.closed_issues), (0, 0), "{l}");
        assert_eq!(later.closed_at, None, "{l}");
        assert_eq!(later.created_at, later.updated_at, "{l}");
        assert_eq!(later.progress(), 0, "{l}");
        let soon = s
            .create_milestone(r.id, "Soon", "", Some(now + day))
            .await
            .unwrap();
        let someday = s.create_milestone(r.id, "Someday", "", None).await.unwrap();
        let done = s
            .create_milestone(r.id, "Done", "", Some(now + 2 * day))
            .await
            .unwrap();
        let res = s.create_milestone(r.id, "SOON", "", None).await;
        assert!(is_conflict(&res, ConflictField::Name), "{l}: {res:?}");
        let elsewhere = s.create_milestone(other.id, "Soon", "", None).await;
        assert!(elsewhere.is_ok(), "{l}: titles are per repository");
        let titles: Vec<(i64, String)> = [&done, &later, &someday, &soon]
            .iter()
            .map(|m| (m.id, m.title.clone()))
            .collect();
        assert_eq!(s.milestone_titles(r.id).await.unwrap(), titles, "{l}");

        tick().await;
        let closed = s
            .update_milestone(r.id, done.id, "Done", "shipped", done.due_at, true)
            .await
            .unwrap();
        assert!(closed.is_closed, "{l}");
        assert_eq!(closed.description, "shipped", "{l}");
        assert!(closed.updated_at > done.updated_at, "{l}");
        assert_eq!(closed.closed_at, Some(closed.updated_at), "{l}");
        tick().await;
        let still = s
            .update_milestone(r.id, done.id, "Done", "shipped!", done.due_at, true)
            .await
            .unwrap();
        assert_eq!(
            still.closed_at, closed.closed_at,
            "{l}: editing a closed milestone keeps when it closed"
        );

        let order: Vec<i64> = s
            .milestones(r.id)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(
            order,
            [soon.id, later.id, someday.id, done.id],
            "{l}: open by due date, undated last, closed after"
        );

        let res = s
            .update_milestone(r.id, later.id, "soon", "", None, false)
            .await;
        assert!(is_conflict(&res, ConflictField::Name), "{l}: {res:?}");
        let res = s
            .update_milestone(other.id, later.id, "x", "", None, false)
            .await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        assert_eq!(s.milestone(other.id, later.id).await.unwrap(), None, "{l}");
        let moved = s
            .update_milestone(r.id, later.id, "Later", "", None, false)
            .await
            .unwrap();
        assert_eq!(moved.due_at, None, "{l}: the due date can be cleared");

        let reopened = s
            .update_milestone(r.id, done.id, "Done", "", done.due_at, false)
            .await
            .unwrap();
        assert!(!reopened.is_closed, "{l}");
        assert_eq!(reopened.closed_at, None, "{l}: reopening clears closed_at");

        // Counts and progress follow the issues.
        let mut in_soon = Vec::new();
        for n in 0..3 {
            let i = s
                .create_issue(NewIssue {
                    repo_id: r.id,
                    author_id: alice.id,
                    title: &format!("issue {n}"),
                    milestone_id: Some(soon.id),
                    ..NewIssue::default()
                })
                .await
                .unwrap();
            in_soon.push(i);
        }
        let free = issue(&s, &r, &alice, "free", "").await;
        s.set_issue_state(in_soon[0].id, None, Some(CloseReason::Completed), None)
            .await
            .unwrap();
        let m = s.milestone(r.id, soon.id).await.unwrap().unwrap();
        assert_eq!((m.open_issues, m.closed_issues), (2, 1), "{l}");
        assert_eq!(m.progress(), 33, "{l}");
        for i in &in_soon[1..] {
            s.set_issue_state(i.id, None, Some(CloseReason::NotPlanned), None)
                .await
                .unwrap();
        }
        let m = s.milestone(r.id, soon.id).await.unwrap().unwrap();
        assert_eq!((m.open_issues, m.closed_issues), (0, 3), "{l}");
        assert_eq!(m.progress(), 100, "{l}");
        let listed = s.milestones(r.id).await.unwrap();
        assert_eq!(listed[0], m, "{l}: milestones() counts like milestone()");
        let m = s.milestone(r.id, later.id).await.unwrap().unwrap();
        assert_eq!((m.open_issues, m.closed_issues), (0, 0), "{l}");

        // Deleting a milestone takes it off its issues.
        let res = s.delete_milestone(other.id, soon.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        s.delete_milestone(r.id, soon.id).await.unwrap();
        assert_eq!(s.milestone(r.id, soon.id).await.unwrap(), None, "{l}");
        let res = s.delete_milestone(r.id, soon.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        for i in &in_soon {
            assert_eq!(reload(&s, i).await.milestone_id, None, "{l}");
        }
        assert_eq!(reload(&s, &free).await.milestone_id, None, "{l}");
        assert_eq!(s.milestones(r.id).await.unwrap().len(), 3, "{l}");
        assert_eq!(s.milestones(other.id).await.unwrap().len(), 1, "{l}");
    }
}

#[tokio::test]
async fn setting_an_issue_milestone_records_events() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let other = repo(&s, alice.id, "other").await;
        let v1 = s.create_milestone(r.id, "v1", "", None).await.unwrap();
        let v2 = s.create_milestone(r.id, "v2", "", None).await.unwrap();
        let foreign = s.create_milestone(other.id, "v1", "", None).await.unwrap();
        let i = issue(&s, &r, &alice, "Plan", "").await;

        assert!(
            !s.set_issue_milestone(i.id, None, alice.id).await.unwrap(),
            "{l}: it had none"
        );
        tick().await;
        assert!(
            s.set_issue_milestone(i.id, Some(v1.id), alice.id)
                .await
                .unwrap()
        );
        let set = reload(&s, &i).await;
        assert_eq!(set.milestone_id, Some(v1.id), "{l}");
        assert!(set.updated_at > i.updated_at, "{l}");
        assert!(
            !s.set_issue_milestone(i.id, Some(v1.id), alice.id)
                .await
                .unwrap(),
            "{l}"
        );
        let res = s
            .set_issue_milestone(i.id, Some(foreign.id), alice.id)
            .await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        let res = s.set_issue_milestone(i.id, Some(i64::MAX), alice.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        let res = s.set_issue_milestone(i64::MAX, Some(v1.id), alice.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        assert_eq!(reload(&s, &i).await.milestone_id, Some(v1.id), "{l}");

        assert!(
            s.set_issue_milestone(i.id, Some(v2.id), alice.id)
                .await
                .unwrap()
        );
        assert!(s.set_issue_milestone(i.id, None, alice.id).await.unwrap());
        assert_eq!(reload(&s, &i).await.milestone_id, None, "{l}");
        assert!(!s.set_issue_milestone(i.id, None, alice.id).await.unwrap());

        let ev = events(&s, &i).await;
        let seen: Vec<(EventKind, Option<i64>, Option<&str>)> = ev
            .iter()
            .map(|e| (e.kind, e.milestone_id, e.value.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                (EventKind::Milestoned, Some(v1.id), Some("v1")),
                (EventKind::Milestoned, Some(v2.id), Some("v2")),
                (EventKind::Demilestoned, Some(v2.id), Some("v2")),
            ],
            "{l}"
        );
        assert!(ev.iter().all(|e| e.actor == Some(person(&alice))), "{l}");

        // A deleted milestone's events keep its title.
        s.delete_milestone(r.id, v2.id).await.unwrap();
        let ev = events(&s, &i).await;
        assert_eq!(ev[2].milestone_id, None, "{l}");
        assert_eq!(ev[2].value.as_deref(), Some("v2"), "{l}");
    }
}

// ---- Assignees ----

#[tokio::test]
async fn assignees_and_their_events() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let carol = user(&s, "carol").await;
        let r = repo(&s, alice.id, "r").await;
        let i = issue(&s, &r, &alice, "Work", "").await;
        let j = issue(&s, &r, &alice, "Unassigned", "").await;

        tick().await;
        assert!(
            s.set_issue_assignee(i.id, carol.id, true, alice.id)
                .await
                .unwrap()
        );
        assert!(reload(&s, &i).await.updated_at > i.updated_at, "{l}");
        assert!(
            s.set_issue_assignee(i.id, bob.id, true, alice.id)
                .await
                .unwrap()
        );
        assert!(
            !s.set_issue_assignee(i.id, bob.id, true, alice.id)
                .await
                .unwrap(),
            "{l}: already assigned"
        );
        let by_issue = s.assignees_of_issues(&[i.id, j.id]).await.unwrap();
        assert_eq!(
            by_issue.get(&i.id),
            Some(&vec![person(&bob), person(&carol)]),
            "{l}"
        );
        assert_eq!(by_issue.get(&j.id), None, "{l}");
        assert!(s.assignees_of_issues(&[]).await.unwrap().is_empty(), "{l}");

        assert!(
            s.set_issue_assignee(i.id, bob.id, false, carol.id)
                .await
                .unwrap()
        );
        assert!(
            !s.set_issue_assignee(i.id, bob.id, false, carol.id)
                .await
                .unwrap(),
            "{l}: not assigned any more"
        );
        let by_issue = s.assignees_of_issues(&[i.id]).await.unwrap();
        assert_eq!(by_issue.get(&i.id), Some(&vec![person(&carol)]), "{l}");

        let ev = events(&s, &i).await;
        let seen: Vec<(EventKind, Option<i64>, Option<i64>)> = ev
            .iter()
            .map(|e| {
                (
                    e.kind,
                    e.actor.as_ref().map(|p| p.id),
                    e.subject.as_ref().map(|p| p.id),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (EventKind::Assigned, Some(alice.id), Some(carol.id)),
                (EventKind::Assigned, Some(alice.id), Some(bob.id)),
                (EventKind::Unassigned, Some(carol.id), Some(bob.id)),
            ],
            "{l}"
        );
        assert_eq!(ev[1].subject, Some(person(&bob)), "{l}");

        let res = s.set_issue_assignee(i.id, i64::MAX, true, alice.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
    }
}

// ---- Comments ----

#[tokio::test]
async fn comments_count_edit_and_delete() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let r = repo(&s, alice.id, "r").await;
        let i = issue(&s, &r, &alice, "Talk", "").await;

        tick().await;
        let c1 = s.add_comment(i.id, bob.id, "first comment").await.unwrap();
        assert_eq!(c1.issue_id, i.id, "{l}");
        assert_eq!(c1.author, Some(person(&bob)), "{l}");
        assert_eq!(c1.body, "first comment", "{l}");
        assert_eq!(c1.version, 1, "{l}");
        assert!(!c1.edited(), "{l}");
        assert_eq!(c1.created_at, c1.updated_at, "{l}");
        let after = reload(&s, &i).await;
        assert_eq!(after.comment_count, 1, "{l}");
        assert_eq!(after.updated_at, c1.created_at, "{l}");
        assert!(after.updated_at > i.updated_at, "{l}");
        assert_eq!(after.version, i.version, "{l}: comments are not edits");

        tick().await;
        let c2 = s
            .add_comment(i.id, alice.id, "second comment")
            .await
            .unwrap();
        tick().await;
        let c3 = s.add_comment(i.id, bob.id, "third comment").await.unwrap();
        assert_eq!(reload(&s, &i).await.comment_count, 3, "{l}");
        assert_eq!(
            s.comments(i.id).await.unwrap(),
            [c1.clone(), c2.clone(), c3.clone()],
            "{l}: in the order written"
        );
        assert_eq!(s.comment(c2.id).await.unwrap(), Some(c2.clone()), "{l}");

        tick().await;
        let e = s
            .edit_comment(c1.id, 1, bob.id, "first comment, edited")
            .await
            .unwrap();
        assert_eq!(e.body, "first comment, edited", "{l}");
        assert_eq!(e.version, 2, "{l}");
        assert!(e.edited(), "{l}");
        assert_eq!(e.created_at, c1.created_at, "{l}");
        assert!(e.updated_at > c1.updated_at, "{l}");
        let res = s.edit_comment(c1.id, 1, alice.id, "hijack").await;
        assert!(is_stale(&res), "{l}: {res:?}");
        assert_eq!(s.comment(c1.id).await.unwrap(), Some(e.clone()), "{l}");
        let revs = s.revisions(i.id, Some(c1.id)).await.unwrap();
        assert_eq!(revs.len(), 1, "{l}");
        assert_eq!(revs[0].title, None, "{l}");
        assert_eq!(revs[0].body, "first comment", "{l}");
        assert_eq!(revs[0].editor, Some(person(&bob)), "{l}");
        assert!(
            s.revisions(i.id, None).await.unwrap().is_empty(),
            "{l}: the issue's own history holds no comment revisions"
        );
        assert!(s.revisions(i.id, Some(c2.id)).await.unwrap().is_empty());
        // A no-op save keeps the version.
        let same = s
            .edit_comment(c1.id, 2, bob.id, "first comment, edited")
            .await
            .unwrap();
        assert_eq!(same, e, "{l}");
        assert_eq!(s.revisions(i.id, Some(c1.id)).await.unwrap().len(), 1);
        let e2 = s
            .edit_comment(c1.id, 2, alice.id, "third take")
            .await
            .unwrap();
        assert_eq!(e2.version, 3, "{l}");
        let bodies: Vec<String> = s
            .revisions(i.id, Some(c1.id))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.body)
            .collect();
        assert_eq!(bodies, ["first comment, edited", "first comment"], "{l}");
        let res = s.edit_comment(i64::MAX, 1, bob.id, "x").await;
        assert!(is_not_found(&res), "{l}: {res:?}");

        s.delete_comment(c1.id).await.unwrap();
        assert_eq!(s.comment(c1.id).await.unwrap(), None, "{l}");
        assert_eq!(s.comments(i.id).await.unwrap(), [c2, c3], "{l}");
        assert_eq!(reload(&s, &i).await.comment_count, 2, "{l}");
        assert!(
            s.revisions(i.id, Some(c1.id)).await.unwrap().is_empty(),
            "{l}: its history went with it"
        );
        let res = s.delete_comment(c1.id).await;
        assert!(is_not_found(&res), "{l}: {res:?}");
        assert_eq!(reload(&s, &i).await.comment_count, 2, "{l}");

        let res = s.add_comment(i64::MAX, bob.id, "nowhere").await;
        assert!(is_not_found(&res), "{l}: {res:?}");
    }
}

// ---- References and mentions ----

#[tokio::test]
async fn references_are_recorded_once() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let acme = org(&s, &alice, "acme").await;
        let core = repo(&s, acme.id, "core").await;
        let app = repo(&s, alice.id, "app").await;
        let target = issue(&s, &core, &alice, "Target", "").await;
        let source = issue(&s, &app, &alice, "Source", "see acme/core#1").await;
        let source2 = issue(&s, &core, &alice, "Source two", "").await;
        let comment = s
            .add_comment(source2.id, alice.id, "#1 again")
            .await
            .unwrap();

        for _ in 0..2 {
            s.add_issue_reference(target.id, source.id, None, alice.id)
                .await
                .unwrap();
        }
        s.add_issue_reference(target.id, source2.id, Some(comment.id), alice.id)
            .await
            .unwrap();
        // Once per pair, whichever comment mentions it again.
        s.add_issue_reference(target.id, source.id, Some(comment.id), alice.id)
            .await
            .unwrap();
        for _ in 0..2 {
            s.add_commit_reference(target.id, app.id, SHA_A, Some(alice.id))
                .await
                .unwrap();
        }
        s.add_commit_reference(target.id, core.id, SHA_B, None)
            .await
            .unwrap();

        let ev = events(&s, &target).await;
        assert_eq!(
            kinds(&ev),
            [
                EventKind::RefIssue,
                EventKind::RefIssue,
                EventKind::RefCommit,
                EventKind::RefCommit
            ],
            "{l}"
        );
        assert_eq!(
            ev[0].ref_issue,
            Some(IssueRef {
                issue_id: source.id,
                repo_id: app.id,
                owner_name: "alice".into(),
                repo_name: "app".into(),
                number: source.number,
                title: "Source".into(),
                is_closed: false,
            }),
            "{l}"
        );
        assert_eq!(ev[0].ref_comment_id, None, "{l}");
        assert_eq!(ev[0].actor, Some(person(&alice)), "{l}");
        let r1 = ev[1].ref_issue.as_ref().unwrap();
        assert_eq!(
            (r1.issue_id, r1.owner_name.as_str(), r1.repo_name.as_str()),
            (source2.id, "acme", "core"),
            "{l}"
        );
        assert_eq!(ev[1].ref_comment_id, Some(comment.id), "{l}");
        assert_eq!(ev[2].commit_id.as_deref(), Some(SHA_A), "{l}");
        assert_eq!(
            ev[2].ref_repo,
            Some(RepoRef {
                id: app.id,
                owner_name: "alice".into(),
                name: "app".into()
            }),
            "{l}"
        );
        assert_eq!(ev[2].actor, Some(person(&alice)), "{l}");
        assert_eq!(ev[2].ref_issue, None, "{l}");
        assert_eq!(ev[3].commit_id.as_deref(), Some(SHA_B), "{l}");
        assert_eq!(
            ev[3].ref_repo.as_ref().map(|r| r.owner_name.as_str()),
            Some("acme"),
            "{l}"
        );
        assert_eq!(ev[3].actor, None, "{l}");

        // The same commit may still close the issue: a reference is not a closing.
        assert!(
            s.set_issue_state(
                target.id,
                None,
                Some(CloseReason::Completed),
                Some((app.id, SHA_A))
            )
            .await
            .unwrap(),
            "{l}"
        );
        // The reference shows the source's state as it is now.
        s.set_issue_state(source.id, None, Some(CloseReason::Completed), None)
            .await
            .unwrap();
        let ev = events(&s, &target).await;
        assert_eq!(ev.len(), 5, "{l}");
        assert!(ev[0].ref_issue.as_ref().unwrap().is_closed, "{l}");

        // Deleting the comment that referenced it removes that reference.
        s.delete_comment(comment.id).await.unwrap();
        let ev = events(&s, &target).await;
        assert_eq!(ev.len(), 4, "{l}");
        assert!(
            ev.iter()
                .all(|e| e.ref_issue.as_ref().map(|r| r.issue_id) != Some(source2.id)),
            "{l}"
        );
    }
}

#[tokio::test]
async fn mentions_and_users_by_names() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "Bob").await;
        let carol = user(&s, "carol").await;
        org(&s, &alice, "acme").await;
        let r = repo(&s, alice.id, "r").await;
        let i = issue(&s, &r, &alice, "Hey", "").await;
        let j = issue(&s, &r, &alice, "Quiet", "").await;

        s.add_mentions(i.id, &[carol.id, bob.id]).await.unwrap();
        s.add_mentions(i.id, &[bob.id, carol.id, bob.id])
            .await
            .unwrap();
        s.add_mentions(i.id, &[]).await.unwrap();
        assert_eq!(
            s.mentions(i.id).await.unwrap(),
            [person(&bob), person(&carol)],
            "{l}"
        );
        assert!(s.mentions(j.id).await.unwrap().is_empty(), "{l}");

        let mut found = s
            .users_by_names(&[
                "BOB".to_owned(),
                "Carol".to_owned(),
                "acme".to_owned(),
                "nobody".to_owned(),
                "carol".to_owned(),
            ])
            .await
            .unwrap();
        found.sort_by_key(|p| p.id);
        assert_eq!(found, [person(&bob), person(&carol)], "{l}");
        assert!(s.users_by_names(&[]).await.unwrap().is_empty(), "{l}");
        assert!(
            s.users_by_names(&["acme".to_owned()])
                .await
                .unwrap()
                .is_empty(),
            "{l}: organizations are not mentioned"
        );
    }
}

// ---- Listing ----

#[tokio::test]
async fn list_issues_filters() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let carol = user(&s, "carol").await;
        let r = repo(&s, alice.id, "r").await;
        let other = repo(&s, alice.id, "other").await;
        let bug = s.create_label(r.id, "bug", "#d73a4a", "").await.unwrap();
        let ui = s.create_label(r.id, "ui", "#00ff00", "").await.unwrap();
        let v1 = s.create_milestone(r.id, "v1", "", None).await.unwrap();
        let v2 = s.create_milestone(r.id, "v2", "", None).await.unwrap();

        let new = |author: &User, labels: &'static [usize], m: Option<i64>, who: Vec<i64>| {
            let ids: Vec<i64> = labels.iter().map(|k| [bug.id, ui.id][*k]).collect();
            let (repo_id, author_id) = (r.id, author.id);
            let s = Store::clone(&s);
            async move {
                s.create_issue(NewIssue {
                    repo_id,
                    author_id,
                    title: "issue",
                    body: "",
                    label_ids: &ids,
                    milestone_id: m,
                    assignee_ids: &who,
                })
                .await
                .unwrap()
            }
        };
        let _i1 = new(&alice, &[0, 1], Some(v1.id), vec![bob.id]).await;
        let i2 = new(&bob, &[0], None, vec![]).await;
        let i3 = new(&alice, &[1], Some(v1.id), vec![carol.id]).await;
        let _i4 = new(&carol, &[], Some(v2.id), vec![bob.id, carol.id]).await;
        s.set_issue_state(i3.id, None, Some(CloseReason::Completed), None)
            .await
            .unwrap();
        s.add_mentions(i2.id, &[carol.id]).await.unwrap();
        // Another repository's issues never show.
        let stray = issue(&s, &other, &alice, "issue", "").await;
        s.set_issue_assignee(stray.id, bob.id, true, alice.id)
            .await
            .unwrap();
        s.add_mentions(stray.id, &[carol.id]).await.unwrap();

        let cases: Vec<(&str, IssueQuery, Vec<i64>)> = vec![
            ("all", all(), vec![1, 2, 3, 4]),
            (
                "open",
                IssueQuery {
                    state: StateFilter::Open,
                    ..all()
                },
                vec![1, 2, 4],
            ),
            (
                "closed",
                IssueQuery {
                    state: StateFilter::Closed,
                    ..all()
                },
                vec![3],
            ),
            (
                "label bug",
                IssueQuery {
                    label_ids: vec![bug.id],
                    ..all()
                },
                vec![1, 2],
            ),
            (
                "labels bug AND ui",
                IssueQuery {
                    label_ids: vec![bug.id, ui.id],
                    ..all()
                },
                vec![1],
            ),
            (
                "label ui, open",
                IssueQuery {
                    label_ids: vec![ui.id],
                    state: StateFilter::Open,
                    ..all()
                },
                vec![1],
            ),
            (
                "no milestone",
                IssueQuery {
                    milestone: Some(Who::Nobody),
                    ..all()
                },
                vec![2],
            ),
            (
                "milestone v1",
                IssueQuery {
                    milestone: Some(Who::User(v1.id)),
                    ..all()
                },
                vec![1, 3],
            ),
            (
                "milestone v2",
                IssueQuery {
                    milestone: Some(Who::User(v2.id)),
                    ..all()
                },
                vec![4],
            ),
            (
                "unassigned",
                IssueQuery {
                    assignee: Some(Who::Nobody),
                    ..all()
                },
                vec![2],
            ),
            (
                "assigned to bob",
                IssueQuery {
                    assignee: Some(Who::User(bob.id)),
                    ..all()
                },
                vec![1, 4],
            ),
            (
                "assigned to carol",
                IssueQuery {
                    assignee: Some(Who::User(carol.id)),
                    ..all()
                },
                vec![3, 4],
            ),
            (
                "assigned to alice",
                IssueQuery {
                    assignee: Some(Who::User(alice.id)),
                    ..all()
                },
                vec![],
            ),
            (
                "by alice",
                IssueQuery {
                    author_id: Some(alice.id),
                    ..all()
                },
                vec![1, 3],
            ),
            (
                "by bob",
                IssueQuery {
                    author_id: Some(bob.id),
                    ..all()
                },
                vec![2],
            ),
            (
                "mentions carol",
                IssueQuery {
                    mentioned_id: Some(carol.id),
                    ..all()
                },
                vec![2],
            ),
            (
                "mentions bob",
                IssueQuery {
                    mentioned_id: Some(bob.id),
                    ..all()
                },
                vec![],
            ),
            (
                "bug, assigned to bob, by alice, open, v1",
                IssueQuery {
                    label_ids: vec![bug.id],
                    assignee: Some(Who::User(bob.id)),
                    author_id: Some(alice.id),
                    milestone: Some(Who::User(v1.id)),
                    state: StateFilter::Open,
                    ..all()
                },
                vec![1],
            ),
            (
                "bug and no milestone and unassigned",
                IssueQuery {
                    label_ids: vec![bug.id],
                    milestone: Some(Who::Nobody),
                    assignee: Some(Who::Nobody),
                    ..all()
                },
                vec![2],
            ),
        ];
        for (what, q, expected) in cases {
            assert_eq!(numbers(&s, &r, &q).await, expected, "{l}: {what}");
        }
        assert_eq!(numbers(&s, &other, &all()).await, [1], "{l}");
    }
}

#[tokio::test]
async fn list_issues_sorts_and_pages() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let mut issues = Vec::new();
        for n in 1..=5 {
            issues.push(issue(&s, &r, &alice, &format!("issue {n}"), "").await);
            tick().await;
        }
        // Comments: #2 three, #5 two, #4 one; then #1's title is edited last.
        for (n, count) in [(2, 3), (4, 1), (5, 2)] {
            for _ in 0..count {
                s.add_comment(issues[n - 1].id, alice.id, "more")
                    .await
                    .unwrap();
            }
            tick().await;
        }
        s.edit_issue(issues[0].id, 1, alice.id, "issue one", "")
            .await
            .unwrap();

        let expected = [
            (IssueSort::Newest, [5, 4, 3, 2, 1]),
            (IssueSort::Oldest, [1, 2, 3, 4, 5]),
            (IssueSort::RecentUpdate, [1, 5, 4, 2, 3]),
            (IssueSort::LeastUpdate, [3, 2, 4, 5, 1]),
            (IssueSort::MostComment, [2, 5, 4, 3, 1]),
            (IssueSort::LeastComment, [1, 3, 4, 5, 2]),
        ];
        for (sort, order) in expected {
            let q = IssueQuery { sort, ..all() };
            assert_eq!(numbers(&s, &r, &q).await, order, "{l}: {sort:?}");
        }

        // Pages: total is the number of matches whatever the page.
        let mut seen = Vec::new();
        for page in 1..=4 {
            let q = IssueQuery {
                page,
                per_page: 2,
                ..all()
            };
            let p = s.list_issues(r.id, &q).await.unwrap();
            assert_eq!(p.total, 5, "{l}: page {page}");
            let got: Vec<i64> = p.issues.iter().map(|i| i.number).collect();
            let want: &[i64] = match page {
                1 => &[1, 2],
                2 => &[3, 4],
                3 => &[5],
                _ => &[],
            };
            assert_eq!(got, want, "{l}: page {page}");
            seen.extend(got);
        }
        assert_eq!(seen, [1, 2, 3, 4, 5], "{l}");
        let q = IssueQuery {
            page: 2,
            per_page: 2,
            sort: IssueSort::Newest,
            ..all()
        };
        let p = s.list_issues(r.id, &q).await.unwrap();
        let got: Vec<i64> = p.issues.iter().map(|i| i.number).collect();
        assert_eq!(got, [3, 2], "{l}: pages follow the sort");
        s.set_issue_state(issues[4].id, None, Some(CloseReason::Completed), None)
            .await
            .unwrap();
        let q = IssueQuery {
            state: StateFilter::Open,
            page: 2,
            per_page: 3,
            ..all()
        };
        let p = s.list_issues(r.id, &q).await.unwrap();
        assert_eq!(p.total, 4, "{l}: the total counts the filtered issues");
        let got: Vec<i64> = p.issues.iter().map(|i| i.number).collect();
        assert_eq!(got, [4], "{l}");
    }
}

// ---- Search ----

#[tokio::test]
async fn search_words_phrases_and_scripts() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let other = repo(&s, alice.id, "other").await;
        let texts = [
            (
                "Database connection fails",
                "The server logs show a timeout after 30 seconds.",
            ),
            ("Crash on start", "out of memory when loading the config"),
            ("Memory usage", "we run out of disk and memory"),
            ("Button colour", ""),
            ("数据库问题", "数据库连接失败"),
            ("100% CPU", "use snake_case names"),
            ("Progress at 100 percent", "use snakeXcase names"),
            ("UI glitch", ""),
        ];
        for (title, body) in texts {
            issue(&s, &r, &alice, title, body).await;
        }
        let four = s.issue_by_number(r.id, 4).await.unwrap().unwrap();
        s.add_comment(four.id, alice.id, "the scrollbar flickers in dark mode")
            .await
            .unwrap();
        // The same words in another repository never match here.
        issue(&s, &other, &alice, "Database memory crash", "数据库连接").await;

        let cases: &[(&str, &[i64])] = &[
            ("database", &[1]),
            ("DATABASE", &[1]),
            ("timeout", &[1]),
            ("scrollbar", &[4]),
            ("memory", &[2, 3]),
            ("memory crash", &[2]),
            ("crash   memory", &[2]),
            ("memory nonexistentword", &[]),
            ("scrollbar button", &[4]),
            ("\"out of memory\"", &[2]),
            ("\"memory usage\"", &[3]),
            ("\"out of disk\" memory", &[3]),
            ("ui", &[8]),
            ("UI", &[8]),
            ("数据库", &[5]),
            ("连接", &[5]),
            ("失败", &[5]),
            ("数据库连接失败", &[5]),
            ("连接 数据库", &[5]),
            ("%", &[6]),
            ("100%", &[6]),
            ("_", &[6]),
            ("snake_case", &[6]),
            ("", &[1, 2, 3, 4, 5, 6, 7, 8]),
            ("   ", &[1, 2, 3, 4, 5, 6, 7, 8]),
        ];
        for (text, expected) in cases {
            assert_eq!(search(&s, &r, text).await, *expected, "{l}: {text:?}");
        }
        // Query syntax of either database's search is taken as text, never an error.
        for text in [
            "foo AND \"",
            "*",
            "memory*",
            "-memory",
            "NEAR(memory crash)",
            "title:memory",
            "memory OR button",
            "(memory",
            "'",
            "\\",
            "!memory & crash | x",
            "^memory",
        ] {
            let found = search(&s, &r, text).await;
            assert!(
                found.is_empty(),
                "{l}: {text:?} is not an operator query: {found:?}"
            );
        }
        // A quote inside a word splits it into a word and a phrase; a lone quote is no
        // search at all.
        assert_eq!(search(&s, &r, "memory\"crash").await, [2], "{l}");
        assert_eq!(search(&s, &r, "\"").await.len(), 8, "{l}");
        // Search combines with the other filters.
        let three = s.issue_by_number(r.id, 3).await.unwrap().unwrap();
        s.set_issue_state(three.id, None, Some(CloseReason::Completed), None)
            .await
            .unwrap();
        let q = IssueQuery {
            text: Some("memory".into()),
            state: StateFilter::Closed,
            ..all()
        };
        assert_eq!(numbers(&s, &r, &q).await, [3], "{l}");
        let q = IssueQuery {
            text: Some("memory".into()),
            state: StateFilter::Open,
            ..all()
        };
        assert_eq!(numbers(&s, &r, &q).await, [2], "{l}");
    }
}

#[tokio::test]
async fn search_follows_edits_of_issues_and_comments() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let i = issue(&s, &r, &alice, "Alpha title", "bravo body 数据库").await;
        let bystander = issue(&s, &r, &alice, "Unrelated", "nothing here").await;
        let c = s
            .add_comment(i.id, alice.id, "charlie comment")
            .await
            .unwrap();
        let n = i.number;
        for (text, hit) in [
            ("alpha", true),
            ("bravo", true),
            ("charlie", true),
            ("数据库", true),
        ] {
            assert_eq!(search(&s, &r, text).await == [n], hit, "{l}: {text}");
        }

        let e = s
            .edit_issue(i.id, 1, alice.id, "Alpha title", "delta body 服务器")
            .await
            .unwrap();
        assert!(search(&s, &r, "bravo").await.is_empty(), "{l}");
        assert!(search(&s, &r, "数据库").await.is_empty(), "{l}");
        assert_eq!(search(&s, &r, "delta").await, [n], "{l}");
        assert_eq!(search(&s, &r, "服务器").await, [n], "{l}");
        assert_eq!(search(&s, &r, "alpha").await, [n], "{l}: the title stayed");

        s.edit_issue(i.id, e.version, alice.id, "Echo title", "delta body 服务器")
            .await
            .unwrap();
        assert!(search(&s, &r, "alpha").await.is_empty(), "{l}");
        assert_eq!(search(&s, &r, "echo").await, [n], "{l}");

        let c = s
            .edit_comment(c.id, c.version, alice.id, "foxtrot comment")
            .await
            .unwrap();
        assert!(search(&s, &r, "charlie").await.is_empty(), "{l}");
        assert_eq!(search(&s, &r, "foxtrot").await, [n], "{l}");
        assert_eq!(search(&s, &r, "comment").await, [n], "{l}");

        s.delete_comment(c.id).await.unwrap();
        assert!(search(&s, &r, "foxtrot").await.is_empty(), "{l}");
        assert!(search(&s, &r, "comment").await.is_empty(), "{l}");
        assert_eq!(search(&s, &r, "echo").await, [n], "{l}");

        // Comments added later are found too, and deleting an issue's repository's other
        // rows does not disturb the index.
        s.add_comment(bystander.id, alice.id, "golf words")
            .await
            .unwrap();
        assert_eq!(search(&s, &r, "golf").await, [bystander.number], "{l}");
    }
}

// ---- A user's issues across repositories ----

#[tokio::test]
async fn issues_of_user_created_and_assigned() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let carol = user(&s, "carol").await;
        let a = repo(&s, alice.id, "a").await;
        let b = repo(&s, bob.id, "b").await;

        let i1 = issue(&s, &a, &alice, "alice's open", "").await;
        tick().await;
        let i2 = issue(&s, &b, &alice, "alice's closed", "").await;
        tick().await;
        let i3 = issue(&s, &b, &bob, "bob's, assigned to alice", "").await;
        tick().await;
        let i4 = issue(&s, &a, &bob, "bob's, assigned to carol", "").await;
        tick().await;
        s.set_issue_state(i2.id, None, Some(CloseReason::Completed), None)
            .await
            .unwrap();
        tick().await;
        s.set_issue_assignee(i3.id, alice.id, true, bob.id)
            .await
            .unwrap();
        tick().await;
        s.set_issue_assignee(i4.id, carol.id, true, bob.id)
            .await
            .unwrap();

        let ids = |v: Vec<Issue>| v.into_iter().map(|i| i.id).collect::<Vec<_>>();
        let of = |u: &User, assigned: bool, state: StateFilter, limit: i64| {
            let s = Store::clone(&s);
            let id = u.id;
            async move {
                let which = if assigned {
                    UserIssues::Assigned
                } else {
                    UserIssues::Created
                };
                s.issues_of_user(id, which, state, limit).await.unwrap()
            }
        };
        assert_eq!(
            ids(of(&alice, false, StateFilter::All, 50).await),
            [i2.id, i1.id],
            "{l}: created, most recently updated first"
        );
        assert_eq!(
            ids(of(&alice, false, StateFilter::Open, 50).await),
            [i1.id],
            "{l}"
        );
        assert_eq!(
            ids(of(&alice, false, StateFilter::Closed, 50).await),
            [i2.id],
            "{l}"
        );
        assert_eq!(
            ids(of(&alice, true, StateFilter::All, 50).await),
            [i3.id],
            "{l}: assigned"
        );
        assert_eq!(
            ids(of(&alice, true, StateFilter::Closed, 50).await),
            Vec::<i64>::new(),
            "{l}"
        );
        assert_eq!(
            ids(of(&bob, false, StateFilter::Open, 50).await),
            [i4.id, i3.id],
            "{l}"
        );
        assert_eq!(
            ids(of(&bob, false, StateFilter::Open, 1).await),
            [i4.id],
            "{l}: limit"
        );
        assert_eq!(
            ids(of(&carol, true, StateFilter::Open, 50).await),
            [i4.id],
            "{l}"
        );
        assert!(of(&carol, false, StateFilter::All, 50).await.is_empty());
        assert!(of(&bob, true, StateFilter::All, 50).await.is_empty());
    }
}

// ---- Deletion ----

#[tokio::test]
async fn deleting_a_repo_cascades_its_issues() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let doomed = repo(&s, alice.id, "doomed").await;
        let kept = repo(&s, alice.id, "kept").await;
        let bug = s
            .create_label(doomed.id, "bug", "#d73a4a", "")
            .await
            .unwrap();
        let v1 = s.create_milestone(doomed.id, "v1", "", None).await.unwrap();
        let kept_bug = s.create_label(kept.id, "bug", "#d73a4a", "").await.unwrap();

        let d1 = s
            .create_issue(NewIssue {
                repo_id: doomed.id,
                author_id: alice.id,
                title: "doomed words",
                body: "数据库",
                label_ids: &[bug.id],
                milestone_id: Some(v1.id),
                assignee_ids: &[bob.id],
            })
            .await
            .unwrap();
        let d2 = issue(&s, &doomed, &bob, "second doomed", "").await;
        let c = s
            .add_comment(d1.id, bob.id, "doomed comment")
            .await
            .unwrap();
        s.edit_comment(c.id, 1, bob.id, "doomed comment edited")
            .await
            .unwrap();
        s.edit_issue(d1.id, 1, alice.id, "doomed words!", "数据库")
            .await
            .unwrap();
        s.set_issue_label(d2.id, bug.id, true, alice.id)
            .await
            .unwrap();
        s.set_issue_milestone(d2.id, Some(v1.id), alice.id)
            .await
            .unwrap();
        s.set_issue_state(
            d2.id,
            None,
            Some(CloseReason::Completed),
            Some((doomed.id, SHA_A)),
        )
        .await
        .unwrap();
        s.add_mentions(d1.id, &[bob.id]).await.unwrap();
        s.add_issue_reference(d2.id, d1.id, Some(c.id), alice.id)
            .await
            .unwrap();

        let k = issue(&s, &kept, &alice, "kept words", "数据库").await;
        s.set_issue_label(k.id, kept_bug.id, true, alice.id)
            .await
            .unwrap();
        // References between the two repositories, both ways.
        s.add_issue_reference(k.id, d1.id, None, alice.id)
            .await
            .unwrap();
        s.add_commit_reference(k.id, doomed.id, SHA_B, None)
            .await
            .unwrap();
        s.add_issue_reference(d1.id, k.id, None, alice.id)
            .await
            .unwrap();
        s.add_commit_reference(d1.id, kept.id, SHA_B, None)
            .await
            .unwrap();
        assert_eq!(events(&s, &k).await.len(), 3, "{l}");

        s.delete_repo(doomed.id).await.unwrap();
        assert_eq!(s.issue_by_id(d1.id).await.unwrap(), None, "{l}");
        assert_eq!(s.issue_by_id(d2.id).await.unwrap(), None, "{l}");
        assert_eq!(s.issue_counts(doomed.id).await.unwrap(), (0, 0), "{l}");
        assert!(s.labels(doomed.id).await.unwrap().is_empty(), "{l}");
        assert!(s.milestones(doomed.id).await.unwrap().is_empty(), "{l}");
        assert!(s.comments(d1.id).await.unwrap().is_empty(), "{l}");
        assert_eq!(s.comment(c.id).await.unwrap(), None, "{l}");
        assert!(s.issue_events(d2.id).await.unwrap().is_empty(), "{l}");
        assert!(s.mentions(d1.id).await.unwrap().is_empty(), "{l}");
        assert!(s.revisions(d1.id, None).await.unwrap().is_empty(), "{l}");
        assert!(
            s.issues_of_user(bob.id, UserIssues::Assigned, StateFilter::All, 50)
                .await
                .unwrap()
                .is_empty(),
            "{l}"
        );

        // The kept repository's issue lost only the references to the deleted one.
        let ev = events(&s, &k).await;
        assert_eq!(kinds(&ev), [EventKind::Labeled], "{l}");
        assert_eq!(ev[0].label.as_ref(), Some(&kept_bug), "{l}");
        assert_eq!(reload(&s, &k).await.title, "kept words", "{l}");
        assert_eq!(search(&s, &kept, "kept").await, [k.number], "{l}");
        assert_eq!(search(&s, &kept, "数据库").await, [k.number], "{l}");
        assert_eq!(search(&s, &kept, "doomed").await, Vec::<i64>::new(), "{l}");

        // A new repository of the same name starts counting afresh.
        let again = repo(&s, alice.id, "doomed").await;
        assert_eq!(
            issue(&s, &again, &alice, "fresh", "").await.number,
            1,
            "{l}"
        );
        assert!(search(&s, &again, "doomed").await.is_empty(), "{l}");
    }
}

// ---- Concurrent saves ----

#[tokio::test]
async fn concurrent_saves_from_the_same_version_let_one_win() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "r").await;
        let i = issue(&s, &r, &alice, "Race", "v1").await;
        let c = s.add_comment(i.id, alice.id, "comment v1").await.unwrap();
        let m = s.create_milestone(r.id, "v1", "", None).await.unwrap();
        let author = alice.id;

        let tasks: Vec<_> = (0..8)
            .map(|n| {
                let s = Store::clone(&s);
                let id = i.id;
                tokio::spawn(async move {
                    s.edit_issue(id, 1, author, "Race", &format!("body {n}"))
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::Stale) => {}
                Err(e) => panic!("{l}: edit_issue: {e}"),
            }
        }
        assert_eq!(ok, 1, "{l}: one issue edit wins");
        assert_eq!(reload(&s, &i).await.version, 2, "{l}");
        assert_eq!(s.revisions(i.id, None).await.unwrap().len(), 1, "{l}");

        let tasks: Vec<_> = (0..8)
            .map(|n| {
                let s = Store::clone(&s);
                let id = c.id;
                tokio::spawn(
                    async move { s.edit_comment(id, 1, author, &format!("comment {n}")).await },
                )
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(c) => winners.push(c.body),
                Err(StoreError::Stale) => {}
                Err(e) => panic!("{l}: edit_comment: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "{l}: one comment edit wins: {winners:?}");
        let now = s.comment(c.id).await.unwrap().unwrap();
        assert_eq!(now.version, 2, "{l}");
        assert_eq!(now.body, winners[0], "{l}");
        assert_eq!(s.revisions(i.id, Some(c.id)).await.unwrap().len(), 1, "{l}");

        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = Store::clone(&s);
                let id = i.id;
                tokio::spawn(async move {
                    s.set_issue_state(id, Some(author), Some(CloseReason::Completed), None)
                        .await
                })
            })
            .collect();
        let mut changed = 0;
        for task in tasks {
            changed += usize::from(task.await.unwrap().unwrap());
        }
        assert_eq!(changed, 1, "{l}: one close changes the state");

        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = Store::clone(&s);
                let (id, m) = (i.id, m.id);
                tokio::spawn(async move { s.set_issue_milestone(id, Some(m), author).await })
            })
            .collect();
        let mut changed = 0;
        for task in tasks {
            changed += usize::from(task.await.unwrap().unwrap());
        }
        assert_eq!(changed, 1, "{l}: one milestone change");
        let ev = events(&s, &i).await;
        let closes = ev.iter().filter(|e| e.kind == EventKind::Closed).count();
        let milestoned = ev
            .iter()
            .filter(|e| e.kind == EventKind::Milestoned)
            .count();
        assert_eq!((closes, milestoned), (1, 1), "{l}: {:?}", kinds(&ev));
    }
}

#[tokio::test]
async fn counts_agree_with_listed_totals() {
    for s in stores().await {
        let l = s.label().to_owned();
        let ada = user(&s, "ada").await;
        let r = repo(&s, ada.id, "counted").await;
        for i in 0..7 {
            let it = issue(&s, &r, &ada, &format!("Crash number {i}"), "in the parser").await;
            if i % 3 == 0 {
                s.set_issue_state(it.id, Some(ada.id), Some(CloseReason::Completed), None)
                    .await
                    .unwrap();
            }
        }
        for state in [StateFilter::Open, StateFilter::Closed, StateFilter::All] {
            for text in [None, Some("parser".to_owned()), Some("nothing".to_owned())] {
                let q = IssueQuery {
                    state,
                    text: text.clone(),
                    per_page: 2,
                    page: 1,
                    ..IssueQuery::default()
                };
                let listed = s.list_issues(r.id, &q).await.unwrap().total;
                assert_eq!(
                    s.count_issues(r.id, &q).await.unwrap(),
                    listed,
                    "{l}: {state:?} {text:?}"
                );
            }
        }
        assert_eq!(
            s.count_issues(r.id, &IssueQuery::default()).await.unwrap(),
            4,
            "{l}: four of seven open"
        );
    }
}
