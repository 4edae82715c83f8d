//! OpenPGP keys on every backend: a key and its subkeys registered once on the site,
//! listing and look-up with subkeys, deletion by the owner only (subkeys go with it), and
//! the signature outcome rows that are checked again when a user's keys change.

use hatchery_core::gpg::{GpgSubkey, KeyUsage, ParsedGpgKey};
use hatchery_store::testing::fixtures::{org, repo, user};
use hatchery_store::testing::stores;
use hatchery_store::{ConflictField, NewAsset, ReleaseFields, StoreError};

const SIGN: KeyUsage = KeyUsage {
    sign: true,
    certify: true,
    encrypt_comms: false,
    encrypt_storage: false,
};

fn subkey(fingerprint: &str, sign: bool) -> GpgSubkey {
    GpgSubkey {
        key_id: fingerprint[fingerprint.len() - 16..].to_owned(),
        fingerprint: fingerprint.to_owned(),
        created_at: 1_700_000_000_000,
        expires_at: Some(1_900_000_000_000),
        usage: KeyUsage {
            sign,
            encrypt_comms: !sign,
            encrypt_storage: !sign,
            ..KeyUsage::default()
        },
    }
}

fn key(fingerprint: &str, subkeys: Vec<GpgSubkey>) -> ParsedGpgKey {
    ParsedGpgKey {
        key_id: fingerprint[fingerprint.len() - 16..].to_owned(),
        fingerprint: fingerprint.to_owned(),
        created_at: 1_600_000_000_000,
        expires_at: None,
        usage: SIGN,
        user_ids: vec![
            "Ada Lovelace <ada@example.org>".to_owned(),
            "阿达 <ada@example.cn>".to_owned(),
        ],
        subkeys,
        armored: format!("-----BEGIN PGP PUBLIC KEY BLOCK-----\n{fingerprint}\n"),
    }
}

fn is_key_conflict<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict(ConflictField::Key)))
}

#[tokio::test]
async fn a_key_and_its_subkeys_are_registered_once() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let bob = user(s, "bob").await;
        let a = key(
            &"A".repeat(40),
            vec![
                subkey(&"B".repeat(40), true),
                subkey(&"C".repeat(40), false),
            ],
        );
        let k = s.add_gpg_key(ada.id, &a).await.unwrap();
        assert_eq!(
            (k.user_id, k.primary_id, k.key_id.as_str()),
            (ada.id, None, "AAAAAAAAAAAAAAAA"),
            "[{l}]"
        );
        assert_eq!(k.user_ids, a.user_ids, "[{l}] user ids kept in order");
        assert_eq!(k.public_key, a.armored, "[{l}]");
        assert_eq!(k.usage, SIGN, "[{l}]");
        assert_eq!(
            (k.key_created_at, k.expires_at),
            (1_600_000_000_000, None),
            "[{l}]"
        );
        assert_eq!(k.subkeys.len(), 2, "[{l}]");
        assert_eq!(k.subkeys[0].fingerprint, "B".repeat(40), "[{l}]");
        assert_eq!(k.subkeys[0].primary_id, Some(k.id), "[{l}]");
        assert!(k.subkeys[0].usage.sign && !k.subkeys[1].usage.sign, "[{l}]");
        assert_eq!(k.subkeys[1].expires_at, Some(1_900_000_000_000), "[{l}]");
        assert!(k.subkeys[1].user_ids.is_empty() && k.subkeys[1].public_key.is_empty());

        // The same key on this or another account; another key with one of its subkeys.
        assert!(is_key_conflict(&s.add_gpg_key(ada.id, &a).await), "[{l}]");
        assert!(is_key_conflict(&s.add_gpg_key(bob.id, &a).await), "[{l}]");
        let sharing = key(&"D".repeat(40), vec![subkey(&"C".repeat(40), false)]);
        assert!(
            is_key_conflict(&s.add_gpg_key(bob.id, &sharing).await),
            "[{l}]"
        );
        // Nothing of the refused key stays.
        assert!(
            s.gpg_keys_of_user(bob.id).await.unwrap().is_empty(),
            "[{l}]"
        );
        // An organization has no keys; a missing user neither.
        let acme = org(s, &ada, "acme").await;
        let other = key(&"E".repeat(40), vec![]);
        for owner in [acme.id, 9999] {
            assert!(
                matches!(
                    s.add_gpg_key(owner, &other).await,
                    Err(StoreError::NotFound)
                ),
                "[{l}]"
            );
        }

        let b = s.add_gpg_key(bob.id, &other).await.unwrap();
        let second = s
            .add_gpg_key(ada.id, &key(&"F".repeat(40), vec![]))
            .await
            .unwrap();
        let mine = s.gpg_keys_of_user(ada.id).await.unwrap();
        assert_eq!(
            mine.iter().map(|k| k.id).collect::<Vec<_>>(),
            [k.id, second.id],
            "[{l}] oldest first"
        );
        assert_eq!(mine[0], k, "[{l}]");
        assert_eq!(s.gpg_key(k.id).await.unwrap(), Some(k.clone()), "[{l}]");
        // A subkey's row is no key of its own.
        assert_eq!(s.gpg_key(k.subkeys[0].id).await.unwrap(), None, "[{l}]");

        // Only the owner deletes, and only a primary key.
        assert!(
            matches!(
                s.delete_gpg_key(bob.id, k.id).await,
                Err(StoreError::NotFound)
            ),
            "[{l}]"
        );
        assert!(
            matches!(
                s.delete_gpg_key(ada.id, k.subkeys[0].id).await,
                Err(StoreError::NotFound)
            ),
            "[{l}]"
        );
        s.delete_gpg_key(ada.id, k.id).await.unwrap();
        assert_eq!(s.gpg_key(k.id).await.unwrap(), None, "[{l}]");
        // Its subkeys went with it: another account may register them now.
        let reuse = key(&"1".repeat(40), vec![subkey(&"B".repeat(40), true)]);
        s.add_gpg_key(bob.id, &reuse).await.unwrap();
        assert_eq!(s.gpg_keys_of_user(bob.id).await.unwrap().len(), 2, "[{l}]");
        assert_eq!(
            s.gpg_key(b.id).await.unwrap().map(|k| k.user_id),
            Some(bob.id)
        );
    }
}

#[tokio::test]
async fn signature_outcomes_and_what_to_check_again() {
    for ts in stores().await {
        let l = ts.label();
        let s = ts.store();
        let ada = user(s, "ada").await;
        let bob = user(s, "bob").await;
        let r = repo(s, ada.id, "tool").await;
        let fields = ReleaseFields {
            tag_name: "v1".to_owned(),
            target: "main".to_owned(),
            sha: "1".repeat(40),
            title: "v1".to_owned(),
            note: String::new(),
            is_draft: false,
            is_prerelease: false,
            is_candidate: false,
        };
        let rel = s.create_release(r.id, &fields, Some(ada.id)).await.unwrap();
        let add = |name: &str, uploader: i64| NewAsset {
            release_id: rel.id,
            repo_id: r.id,
            uuid: format!("uuid-{name}"),
            name: name.to_owned(),
            size: 1,
            content_type: "application/octet-stream".to_owned(),
            sha256: "a".repeat(64),
            sha512: "b".repeat(128),
            uploader_id: Some(uploader),
        };
        s.add_release_asset(&add("t.tar.gz", ada.id)).await.unwrap();
        let sig = s
            .add_release_asset(&add("t.tar.gz.asc", ada.id))
            .await
            .unwrap();
        let other = s
            .add_release_asset(&add("u.tar.gz.sig", bob.id))
            .await
            .unwrap();
        assert_eq!(sig.signature_identity, "", "[{l}]");
        // Nothing checked yet: nothing to check again.
        assert!(
            s.releases_signed_by(ada.id).await.unwrap().is_empty(),
            "[{l}]"
        );
        s.set_asset_signature(
            sig.id,
            "verified",
            "",
            "24784061DFAC70CA",
            "阿达 <ada@example.cn>",
        )
        .await
        .unwrap();
        s.set_asset_signature(other.id, "bad", "mismatch", "", "")
            .await
            .unwrap();
        let got = s.release_asset(rel.id, sig.id).await.unwrap().unwrap();
        assert_eq!(
            (
                got.signature_state.as_str(),
                got.signature_signer.as_str(),
                got.signature_identity.as_str()
            ),
            ("verified", "24784061DFAC70CA", "阿达 <ada@example.cn>"),
            "[{l}]"
        );
        // Every checked signature of the uploader, whatever its outcome.
        assert_eq!(
            s.releases_signed_by(ada.id).await.unwrap(),
            [(r.id, rel.id)],
            "[{l}]"
        );
        assert_eq!(
            s.releases_signed_by(bob.id).await.unwrap(),
            [(r.id, rel.id)],
            "[{l}]"
        );
    }
}
