//! SSH keys on every backend: registration rules (one account per key, an account's key
//! is no deploy key), look-up by fingerprint, last use, deletion by owner only.

use hatchery_store::testing::fixtures::{org, repo_with as repo, user};
use hatchery_store::testing::stores;
use hatchery_store::{ConflictField, KeyOwner, NewSshKey, StoreError};

fn key(fingerprint: &str) -> NewSshKey<'_> {
    NewSshKey {
        title: "laptop",
        algorithm: "ssh-ed25519",
        public_key: "ssh-ed25519 AAAA",
        fingerprint,
    }
}

fn is_key_conflict<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict(ConflictField::Key)))
}

#[tokio::test]
async fn a_key_belongs_to_one_account_and_is_found_by_fingerprint() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let k = s.add_user_key(alice.id, key("SHA256:a")).await.unwrap();
        assert_eq!(k.user_id, Some(alice.id), "{l}");
        assert!(!k.read_only, "{l}");
        assert_eq!(k.last_used_at, None, "{l}");
        // The same key again, on the same or another account: refused.
        assert!(
            is_key_conflict(&s.add_user_key(alice.id, key("SHA256:a")).await),
            "{l}"
        );
        assert!(
            is_key_conflict(&s.add_user_key(bob.id, key("SHA256:a")).await),
            "{l}"
        );
        // An organization has no keys; a missing user neither.
        let acme = org(&s, &alice, "acme").await;
        assert!(
            matches!(
                s.add_user_key(acme.id, key("SHA256:o")).await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );
        assert!(
            matches!(
                s.add_user_key(9999, key("SHA256:o")).await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );

        match s.key_owner("SHA256:a").await.unwrap() {
            Some(KeyOwner::User(u, found)) => {
                assert_eq!(u.id, alice.id, "{l}");
                assert_eq!(found.id, k.id, "{l}");
            }
            other => panic!("{l}: {other:?}"),
        }
        assert_eq!(s.key_owner("SHA256:nobody").await.unwrap(), None, "{l}");

        s.touch_ssh_key(k.id, 5_000).await.unwrap();
        s.touch_ssh_key(k.id, 4_000).await.unwrap();
        let keys = s.keys_of_user(alice.id).await.unwrap();
        assert_eq!(keys.len(), 1, "{l}");
        assert_eq!(
            keys[0].last_used_at,
            Some(5_000),
            "{l}: a later use is kept"
        );
        assert_eq!(
            s.ssh_key(k.id).await.unwrap().unwrap().fingerprint,
            "SHA256:a",
            "{l}"
        );

        // Only the owner deletes it.
        assert!(
            matches!(
                s.delete_user_key(bob.id, k.id).await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );
        s.delete_user_key(alice.id, k.id).await.unwrap();
        assert!(s.keys_of_user(alice.id).await.unwrap().is_empty(), "{l}");
        // Free again once deleted.
        s.add_user_key(bob.id, key("SHA256:a")).await.unwrap();
    }
}

#[tokio::test]
async fn deploy_keys_are_per_repository_and_never_an_accounts_key() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let one = repo(&s, alice.id, "one", true).await;
        let two = repo(&s, alice.id, "two", false).await;
        let d1 = s
            .add_deploy_key(one.id, key("SHA256:d"), true)
            .await
            .unwrap();
        assert!(d1.read_only, "{l}");
        assert_eq!(d1.repo_id, Some(one.id), "{l}");
        assert!(
            is_key_conflict(&s.add_deploy_key(one.id, key("SHA256:d"), false).await),
            "{l}"
        );
        // The same deploy key may serve another repository.
        let d2 = s
            .add_deploy_key(two.id, key("SHA256:d"), false)
            .await
            .unwrap();
        assert!(!d2.read_only, "{l}");
        // ... but may not become someone's key, nor the other way round.
        assert!(
            is_key_conflict(&s.add_user_key(alice.id, key("SHA256:d")).await),
            "{l}"
        );
        s.add_user_key(alice.id, key("SHA256:u")).await.unwrap();
        assert!(
            is_key_conflict(&s.add_deploy_key(one.id, key("SHA256:u"), true).await),
            "{l}"
        );
        assert!(
            matches!(
                s.add_deploy_key(9999, key("SHA256:x"), true).await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );

        match s.key_owner("SHA256:d").await.unwrap() {
            Some(KeyOwner::Deploy(keys)) => {
                let repos: Vec<_> = keys.iter().map(|k| k.repo_id).collect();
                assert_eq!(repos, vec![Some(one.id), Some(two.id)], "{l}");
            }
            other => panic!("{l}: {other:?}"),
        }
        assert_eq!(s.deploy_keys_of_repo(one.id).await.unwrap().len(), 1, "{l}");
        assert!(
            matches!(
                s.delete_deploy_key(two.id, d1.id).await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );
        s.delete_deploy_key(one.id, d1.id).await.unwrap();
        assert!(
            s.deploy_keys_of_repo(one.id).await.unwrap().is_empty(),
            "{l}"
        );
        // Deleting a repository takes its deploy keys along.
        s.delete_repo(two.id).await.unwrap();
        assert_eq!(s.ssh_key(d2.id).await.unwrap(), None, "{l}");
        assert_eq!(s.key_owner("SHA256:d").await.unwrap(), None, "{l}");
    }
}
