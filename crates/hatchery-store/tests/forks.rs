//! Conformance suite for forks, on every store from `testing::stores()`: the parent is
//! recorded, listed, and forgotten (not cascaded) when the parent is deleted.

use hatchery_core::{Name, NameKind};
use hatchery_store::testing::stores;
use hatchery_store::{NewRepo, NewUser, Repo, Store, StoreError, User};

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

fn new_repo<'a>(owner_id: i64, name: &'a Name) -> NewRepo<'a> {
    NewRepo {
        owner_id,
        name,
        description: "d",
        is_private: false,
        default_branch: "main",
    }
}

async fn fork(s: &Store, owner: &User, name: &str, parent: &Repo) -> Result<Repo, StoreError> {
    let name = Name::parse(NameKind::Repository, name).unwrap();
    s.create_fork(new_repo(owner.id, &name), parent.id).await
}

#[tokio::test]
async fn forks_are_recorded_listed_and_outlive_their_parent() {
    for ts in stores().await {
        let s = ts.store();
        let alice = user(s, "alice").await;
        let bob = user(s, "bob").await;
        let carol = user(s, "carol").await;
        let name = Name::parse(NameKind::Repository, "parser").unwrap();
        let parent = s.create_repo(new_repo(alice.id, &name)).await.unwrap();
        assert_eq!(parent.fork_id, None, "{}", ts.label());

        let f1 = fork(s, &bob, "parser", &parent).await.unwrap();
        assert_eq!(f1.fork_id, Some(parent.id));
        assert_eq!(f1.owner_name, "bob");
        let f2 = fork(s, &carol, "my-parser", &parent).await.unwrap();
        // A fork of a fork records its own parent.
        let f3 = fork(s, &alice, "parser-2", &f1).await.unwrap();
        assert_eq!(f3.fork_id, Some(f1.id));
        assert!(matches!(
            fork(s, &bob, "PARSER", &parent).await,
            Err(StoreError::Conflict(_))
        ));
        let listed: Vec<i64> = s
            .forks_of(parent.id)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(listed, [f1.id, f2.id]);
        assert_eq!(
            s.repo_by_name("bob", "parser")
                .await
                .unwrap()
                .unwrap()
                .fork_id,
            Some(parent.id)
        );

        s.delete_repo(parent.id).await.unwrap();
        let f1 = s.repo_by_id(f1.id).await.unwrap().expect("the fork stays");
        assert_eq!(f1.fork_id, None);
        assert!(s.forks_of(parent.id).await.unwrap().is_empty());
        assert!(matches!(
            fork(s, &carol, "late", &parent).await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn a_forks_requests_into_its_network_close_once_with_a_note() {
    use hatchery_core::issues::EventKind;
    use hatchery_store::{HEAD_DELETED, NewIssue, NewPull};
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let alice = user(s, "alice").await;
        let bob = user(s, "bob").await;
        let name = Name::parse(NameKind::Repository, "parser").unwrap();
        let parent = s.create_repo(new_repo(alice.id, &name)).await.unwrap();
        let f = fork(s, &bob, "parser", &parent).await.unwrap();
        let pull = |base: &Repo, branch: &'static str| NewPull {
            issue: NewIssue {
                repo_id: base.id,
                author_id: bob.id,
                title: "Add a parser",
                body: "",
                ..NewIssue::default()
            },
            base_branch: "main",
            head_repo_id: f.id,
            head_branch: branch,
            head_oid: "1111111111111111111111111111111111111111",
            merge_base: "",
            is_draft: false,
        };
        let (into_parent, _) = s.create_pull(pull(&parent, "feature")).await.unwrap();
        let (closed, _) = s.create_pull(pull(&parent, "other")).await.unwrap();
        s.set_issue_state(
            closed.id,
            Some(bob.id),
            Some(hatchery_core::issues::CloseReason::Completed),
            None,
        )
        .await
        .unwrap();
        // A request inside the fork itself is not "into its network".
        s.create_pull(pull(&f, "feature")).await.unwrap();

        let open: Vec<i64> = s
            .open_pulls_from_repo(f.id)
            .await
            .unwrap()
            .iter()
            .map(|(i, _)| i.id)
            .collect();
        assert_eq!(open, vec![into_parent.id], "{l}");
        assert!(
            s.close_pull_head_deleted(into_parent.id, Some(bob.id))
                .await
                .unwrap(),
            "{l}"
        );
        assert!(
            !s.close_pull_head_deleted(into_parent.id, Some(bob.id))
                .await
                .unwrap(),
            "{l} closes once"
        );
        let issue = s.issue_by_id(into_parent.id).await.unwrap().unwrap();
        assert!(issue.is_closed, "{l}");
        let events = s.issue_events(into_parent.id).await.unwrap();
        assert_eq!(events.len(), 1, "{l}");
        assert_eq!(events[0].kind, EventKind::Closed, "{l}");
        assert_eq!(events[0].value.as_deref(), Some(HEAD_DELETED), "{l}");
        assert!(
            s.open_pulls_from_repo(f.id).await.unwrap().is_empty(),
            "{l}"
        );
    }
}
