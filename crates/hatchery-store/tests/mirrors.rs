//! Pull and push mirrors on every backend: a pull mirror makes its repository read-only
//! (and stopping it writable again), due mirrors, one lease per mirror, outcomes recorded.

use hatchery_store::testing::fixtures::{repo, user};
use hatchery_store::testing::stores;
use hatchery_store::{MirrorSettings, StoreError};

fn settings(interval_ms: i64, flag: bool) -> MirrorSettings<'static> {
    MirrorSettings {
        remote_url: "https://example.com/up.git",
        remote_username: "ada",
        remote_password: "v1:sealed",
        interval_ms,
        flag,
    }
}

const HOUR: i64 = 3_600_000;

#[tokio::test]
async fn pull_mirrors_lease_and_record() {
    for s in stores().await {
        let l = s.label();
        let ada = user(&s, "ada").await;
        let r = repo(&s, ada.id, "copy").await;
        let m = s
            .create_pull_mirror(r.id, &settings(HOUR, true), 1000)
            .await
            .unwrap();
        assert_eq!(m.next_sync_at, Some(1000), "{l}: due at once");
        assert!(m.prune && m.last_update_at.is_none(), "{l}");
        assert!(format!("{m:?}").contains("[sealed]"), "{l}");
        assert!(!format!("{m:?}").contains("v1:sealed"), "{l}");
        assert!(s.repo_by_id(r.id).await.unwrap().unwrap().read_only, "{l}");
        assert!(
            matches!(
                s.create_pull_mirror(r.id, &settings(HOUR, true), 1000)
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "{l}"
        );

        assert_eq!(
            s.due_pull_mirrors(999, 10).await.unwrap(),
            Vec::<i64>::new(),
            "{l}"
        );
        assert_eq!(
            s.due_pull_mirrors(1000, 10).await.unwrap(),
            vec![r.id],
            "{l}"
        );
        // One lease at a time.
        let claimed = s.claim_pull_mirror(r.id, 1000, 5000).await.unwrap();
        assert!(claimed.is_some(), "{l}");
        assert!(
            s.claim_pull_mirror(r.id, 2000, 6000)
                .await
                .unwrap()
                .is_none(),
            "{l}"
        );
        assert!(
            s.due_pull_mirrors(2000, 10).await.unwrap().is_empty(),
            "{l}"
        );
        // A failure keeps the last update; a success clears the error.
        s.finish_pull_mirror(r.id, 3000, Some("cannot connect"))
            .await
            .unwrap();
        let m = s.pull_mirror(r.id).await.unwrap().unwrap();
        assert_eq!(m.last_error.as_deref(), Some("cannot connect"), "{l}");
        assert_eq!(m.last_update_at, None, "{l}");
        assert_eq!(m.next_sync_at, Some(3000 + HOUR), "{l}");
        assert!(
            s.claim_pull_mirror(r.id, 3001, 9000)
                .await
                .unwrap()
                .is_some(),
            "{l}"
        );
        s.finish_pull_mirror(r.id, 4000, None).await.unwrap();
        let m = s.pull_mirror(r.id).await.unwrap().unwrap();
        assert_eq!((m.last_error, m.last_update_at), (None, Some(4000)), "{l}");
        // A crashed sync's lease runs out.
        assert!(
            s.claim_pull_mirror(r.id, 5000, 6000)
                .await
                .unwrap()
                .is_some(),
            "{l}"
        );
        assert!(
            s.claim_pull_mirror(r.id, 6001, 7000)
                .await
                .unwrap()
                .is_some(),
            "{l}"
        );

        // Settings: the password kept or replaced; interval 0 is on demand only.
        let mut new = settings(0, false);
        new.remote_password = "v1:other";
        s.update_pull_mirror(r.id, &new, true, 8000).await.unwrap();
        let m = s.pull_mirror(r.id).await.unwrap().unwrap();
        assert_eq!(m.remote_password, "v1:sealed", "{l}");
        assert_eq!((m.next_sync_at, m.prune), (None, false), "{l}");
        s.update_pull_mirror(r.id, &new, false, 8000).await.unwrap();
        let m = s.pull_mirror(r.id).await.unwrap().unwrap();
        assert_eq!(m.remote_password, "v1:other", "{l}");
        s.finish_pull_mirror(r.id, 9000, None).await.unwrap();
        assert_eq!(
            s.pull_mirror(r.id).await.unwrap().unwrap().next_sync_at,
            None,
            "{l}"
        );

        s.delete_pull_mirror(r.id).await.unwrap();
        assert!(s.pull_mirror(r.id).await.unwrap().is_none(), "{l}");
        assert!(!s.repo_by_id(r.id).await.unwrap().unwrap().read_only, "{l}");
        assert!(
            matches!(s.delete_pull_mirror(r.id).await, Err(StoreError::NotFound)),
            "{l}"
        );
    }
}

#[tokio::test]
async fn push_mirrors_by_name() {
    for s in stores().await {
        let l = s.label();
        let ada = user(&s, "ada").await;
        let r = repo(&s, ada.id, "src").await;
        let a = s
            .create_push_mirror(r.id, "remote_mirror_a", &settings(HOUR, true), 1000)
            .await
            .unwrap();
        let b = s
            .create_push_mirror(r.id, "remote_mirror_b", &settings(0, false), 1000)
            .await
            .unwrap();
        assert!(a.sync_on_commit && !b.sync_on_commit, "{l}");
        assert_eq!(
            (a.next_sync_at, b.next_sync_at),
            (Some(1000 + HOUR), None),
            "{l}"
        );
        assert!(
            matches!(
                s.create_push_mirror(r.id, "remote_mirror_a", &settings(HOUR, true), 1000)
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "{l}"
        );
        let all = s.push_mirrors(r.id).await.unwrap();
        assert_eq!(all.len(), 2, "{l}");
        assert_eq!(
            s.due_push_mirrors(1000 + HOUR, 10).await.unwrap(),
            vec![a.id],
            "{l}"
        );
        assert!(
            s.claim_push_mirror(a.id, 5, 100).await.unwrap().is_some(),
            "{l}"
        );
        assert!(
            s.claim_push_mirror(a.id, 50, 100).await.unwrap().is_none(),
            "{l}"
        );
        s.finish_push_mirror(a.id, 60, Some("refused"))
            .await
            .unwrap();
        let a2 = s.push_mirror(a.id).await.unwrap().unwrap();
        assert_eq!(a2.last_error.as_deref(), Some("refused"), "{l}");
        s.delete_push_mirror(r.id, "remote_mirror_a").await.unwrap();
        assert!(
            matches!(
                s.delete_push_mirror(r.id, "remote_mirror_a").await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );
        assert_eq!(s.push_mirrors(r.id).await.unwrap().len(), 1, "{l}");
    }
}
