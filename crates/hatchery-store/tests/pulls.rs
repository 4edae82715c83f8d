//! Conformance suite for pull requests, on every store from `testing::stores()`: shared
//! numbering with issues, the kind and draft filters and counts, one open request per
//! head/base pair, compare-and-swap head moves with their timeline events, the cached
//! mergeability check, marking merged once, merge settings, and what a deleted head
//! repository leaves behind.

use hatchery_core::issues::{EventKind, StateFilter};
use hatchery_core::pulls::{DraftFilter, KindFilter, MergeSettings, MergeStyle, Mergeable};
use hatchery_core::{Name, NameKind};
use hatchery_store::testing::stores;
use hatchery_store::{
    HeadMove, Issue, IssueQuery, MergeCheck, NewIssue, NewPull, NewRepo, NewUser, PullRequest,
    Repo, Store, StoreError, User,
};

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";
const C: &str = "3333333333333333333333333333333333333333";

async fn user(s: &Store, name: &str) -> User {
    s.create_user(NewUser {
        name: Name::parse(NameKind::Account, name).unwrap(),
        email: format!("{name}@example.org"),
        password_hash: format!("hash-of-{name}"),
        display_name: name.to_owned(),
        is_admin: false,
    })
    .await
    .expect("create user")
}

async fn repo(s: &Store, owner_id: i64, name: &str) -> Repo {
    s.create_repo(NewRepo {
        owner_id,
        name: &Name::parse(NameKind::Repository, name).unwrap(),
        description: "",
        is_private: false,
        default_branch: "main",
    })
    .await
    .expect("create repo")
}

async fn open(
    s: &Store,
    base: &Repo,
    head: &Repo,
    author: &User,
    branch: &str,
    draft: bool,
) -> Result<(Issue, PullRequest), StoreError> {
    s.create_pull(NewPull {
        issue: NewIssue {
            repo_id: base.id,
            author_id: author.id,
            title: "Add a parser",
            body: "fixes #1",
            ..NewIssue::default()
        },
        base_branch: "main",
        head_repo_id: head.id,
        head_branch: branch,
        head_oid: A,
        merge_base: C,
        is_draft: draft,
    })
    .await
}

#[tokio::test]
async fn pulls_share_numbers_and_filter_apart_from_issues() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let r = repo(s, ada.id, "tool").await;
        let first = s
            .create_issue(NewIssue {
                repo_id: r.id,
                author_id: ada.id,
                title: "bug",
                body: "",
                ..NewIssue::default()
            })
            .await
            .unwrap();
        assert!(!first.is_pull, "{l}");
        let (issue, pull) = open(s, &r, &r, &ada, "feature", false).await.unwrap();
        assert_eq!(issue.number, 2, "{l}: one sequence for issues and pulls");
        assert!(issue.is_pull, "{l}");
        assert_eq!(pull.base_repo_id, r.id, "{l}");
        assert_eq!(pull.head_repo_id, Some(r.id), "{l}");
        assert_eq!(pull.head_branch, "feature", "{l}");
        assert_eq!(pull.head_oid, A, "{l}");
        assert_eq!(pull.merge_base, C, "{l}");
        assert!(pull.merged.is_none() && pull.check.is_none(), "{l}");
        let (draft, _) = open(s, &r, &r, &ada, "wip", true).await.unwrap();

        assert_eq!(s.issue_counts(r.id).await.unwrap(), (1, 0), "{l}");
        assert_eq!(s.pull_counts(r.id).await.unwrap(), (2, 0), "{l}");
        let list = |kind, draft| IssueQuery {
            kind,
            draft,
            state: StateFilter::All,
            page: 1,
            per_page: 50,
            ..IssueQuery::default()
        };
        let numbers = |q: IssueQuery| async move {
            s.list_issues(r.id, &q)
                .await
                .unwrap()
                .issues
                .iter()
                .map(|i| i.number)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            numbers(list(KindFilter::Any, DraftFilter::Any)).await,
            vec![3, 2, 1],
            "{l}"
        );
        assert_eq!(
            numbers(list(KindFilter::Issues, DraftFilter::Any)).await,
            vec![1],
            "{l}"
        );
        assert_eq!(
            numbers(list(KindFilter::Pulls, DraftFilter::Any)).await,
            vec![3, 2],
            "{l}"
        );
        assert_eq!(
            numbers(list(KindFilter::Pulls, DraftFilter::Drafts)).await,
            vec![3],
            "{l}"
        );
        assert_eq!(
            numbers(list(KindFilter::Pulls, DraftFilter::Ready)).await,
            vec![2],
            "{l}"
        );

        let sides = s
            .pulls_of_issues(&[first.id, issue.id, draft.id])
            .await
            .unwrap();
        assert_eq!(sides.len(), 2, "{l}: plain issues have no pull side");
        assert!(sides[&draft.id].is_draft, "{l}");
        assert!(s.pull(first.id).await.unwrap().is_none(), "{l}");

        assert!(s.set_pull_draft(draft.id, false).await.unwrap(), "{l}");
        assert!(!s.set_pull_draft(draft.id, false).await.unwrap(), "{l}");
        assert_eq!(
            numbers(list(KindFilter::Pulls, DraftFilter::Drafts)).await,
            Vec::<i64>::new(),
            "{l}"
        );
    }
}

#[tokio::test]
async fn one_open_request_per_head_and_base() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let r = repo(s, ada.id, "tool").await;
        let fork = repo(s, ada.id, "fork").await;
        let (issue, _) = open(s, &r, &r, &ada, "feature", false).await.unwrap();
        assert!(
            matches!(
                open(s, &r, &r, &ada, "feature", false).await,
                Err(StoreError::Conflict(_))
            ),
            "{l}"
        );
        // The same branch name in another repository is another head.
        open(s, &r, &fork, &ada, "feature", false).await.unwrap();
        // Once closed, the pair may be proposed again.
        s.set_issue_state(
            issue.id,
            Some(ada.id),
            Some(hatchery_core::issues::CloseReason::NotPlanned),
            None,
        )
        .await
        .unwrap();
        let (again, _) = open(s, &r, &r, &ada, "feature", false).await.unwrap();
        assert_eq!(again.number, 3, "{l}");

        let with_head = s.open_pulls_with_head(r.id, "feature").await.unwrap();
        assert_eq!(
            with_head.iter().map(|(i, _)| i.number).collect::<Vec<_>>(),
            vec![3],
            "{l}"
        );
        let with_base = s.open_pulls_with_base(r.id, "main").await.unwrap();
        assert_eq!(with_base.len(), 2, "{l}");

        // A deleted head repository leaves the request with no head repository.
        s.delete_repo(fork.id).await.unwrap();
        let orphan = s
            .open_pulls_with_base(r.id, "main")
            .await
            .unwrap()
            .into_iter()
            .find(|(i, _)| i.number == 2)
            .unwrap();
        assert_eq!(orphan.1.head_repo_id, None, "{l}");
    }
}

#[tokio::test]
async fn head_moves_are_compare_and_swap_and_recorded() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let r = repo(s, ada.id, "tool").await;
        let (issue, _) = open(s, &r, &r, &ada, "feature", false).await.unwrap();
        let mv = |old: &'static str, new: &'static str, forced: bool| HeadMove {
            issue_id: issue.id,
            old_oid: old,
            new_oid: new,
            merge_base: C,
            forced,
            commits: 2,
            actor_id: Some(ada.id),
        };
        assert!(s.move_pull_head(mv(A, B, false)).await.unwrap(), "{l}");
        assert!(
            !s.move_pull_head(mv(A, C, false)).await.unwrap(),
            "{l}: stale old head"
        );
        assert!(s.move_pull_head(mv(B, A, true)).await.unwrap(), "{l}");
        assert_eq!(s.pull(issue.id).await.unwrap().unwrap().head_oid, A, "{l}");
        let events = s.issue_events(issue.id).await.unwrap();
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![EventKind::Pushed, EventKind::ForcePushed],
            "{l}"
        );
        assert_eq!(events[0].value.as_deref(), Some("2"), "{l}");
        assert_eq!(events[0].old_value.as_deref(), Some(A), "{l}");
        assert_eq!(events[0].commit_id.as_deref(), Some(B), "{l}");
    }
}

#[tokio::test]
async fn merge_checks_and_merging() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let r = repo(s, ada.id, "tool").await;
        let (issue, _) = open(s, &r, &r, &ada, "feature", false).await.unwrap();
        let check = MergeCheck {
            base_oid: C.into(),
            head_oid: A.into(),
            mergeable: Mergeable::Conflict,
            conflict_files: vec!["src/a.rs".into(), "文档.md".into()],
        };
        s.record_merge_check(issue.id, &check).await.unwrap();
        let pull = s.pull(issue.id).await.unwrap().unwrap();
        assert_eq!(pull.check_for(C, A), Some(&check), "{l}");
        assert_eq!(
            pull.check_for(C, B),
            None,
            "{l}: another head is another check"
        );

        assert!(
            s.mark_pull_merged(issue.id, ada.id, B, MergeStyle::Squash)
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            !s.mark_pull_merged(issue.id, ada.id, C, MergeStyle::Merge)
                .await
                .unwrap(),
            "{l}"
        );
        let pull = s.pull(issue.id).await.unwrap().unwrap();
        let merged = pull.merged.unwrap();
        assert_eq!(merged.commit, B, "{l}");
        assert_eq!(merged.style, Some(MergeStyle::Squash), "{l}");
        assert_eq!(merged.by.map(|p| p.id), Some(ada.id), "{l}");
        let issue = s.issue_by_id(issue.id).await.unwrap().unwrap();
        assert!(issue.is_closed, "{l}");
        let kinds: Vec<EventKind> = s
            .issue_events(issue.id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, vec![EventKind::Merged], "{l}");
        assert_eq!(s.pull_counts(r.id).await.unwrap(), (0, 1), "{l}");
    }
}

#[tokio::test]
async fn merge_settings_default_and_round_trip() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let r = repo(s, ada.id, "tool").await;
        assert_eq!(
            s.merge_settings(r.id).await.unwrap(),
            MergeSettings::default(),
            "{l}"
        );
        let custom = MergeSettings {
            delete_branch: true,
            ..MergeSettings::new(
                &[MergeStyle::Squash, MergeStyle::Rebase],
                MergeStyle::Rebase,
            )
            .unwrap()
        };
        s.set_merge_settings(r.id, &custom).await.unwrap();
        assert_eq!(s.merge_settings(r.id).await.unwrap(), custom, "{l}");
        let only_ff =
            MergeSettings::new(&[MergeStyle::FastForwardOnly], MergeStyle::FastForwardOnly)
                .unwrap();
        s.set_merge_settings(r.id, &only_ff).await.unwrap();
        assert_eq!(s.merge_settings(r.id).await.unwrap(), only_ff, "{l}");
    }
}
