//! Conformance suite for institutional sign-in, on every store from `testing::stores()`:
//! sources and their mappings, external accounts created with their link in one step,
//! two-factor steps and recovery codes accepted once, and the administration's facts.

use hatchery_core::AccessLevel;
use hatchery_core::signin::SourceKind;
use hatchery_store::testing::{fixtures, stores};
use hatchery_store::{ConflictField, NewAuthSource, StoreError};

fn source(name: &str) -> NewAuthSource {
    NewAuthSource {
        name: name.to_owned(),
        kind: SourceKind::Ldap,
        is_enabled: true,
        auto_create: true,
        settings: "{\"host\":\"ldap.example.org\"}".to_owned(),
    }
}

#[tokio::test]
async fn sources_mappings_and_external_accounts() {
    for ts in stores().await {
        let s = ts.store();
        let label = ts.label();
        let admin = fixtures::user(s, "boss").await;
        let lab = fixtures::org(s, &admin, "lab").await;
        let staff = fixtures::team(s, lab.id, "staff", AccessLevel::Write).await;
        let students = fixtures::team(s, lab.id, "students", AccessLevel::Read).await;

        let src = s.create_auth_source(&source("Uni LDAP")).await.unwrap();
        assert!(
            matches!(
                s.create_auth_source(&source("uni ldap")).await,
                Err(StoreError::Conflict(ConflictField::Name))
            ),
            "[{label}]"
        );
        assert_eq!(
            s.auth_source_by_name("UNI LDAP").await.unwrap().unwrap().id,
            src.id
        );
        let edited = s
            .update_auth_source(
                src.id,
                &NewAuthSource {
                    is_enabled: false,
                    ..source("Uni")
                },
            )
            .await
            .unwrap();
        assert!(!edited.is_enabled && edited.name == "Uni", "[{label}]");
        assert!(
            !format!("{edited:?}").contains("ldap.example.org"),
            "[{label}] settings never in Debug"
        );

        s.set_source_mappings(
            src.id,
            &[
                ("cn=staff".into(), staff.id),
                ("cn=students".into(), students.id),
            ],
        )
        .await
        .unwrap();
        let m = s.source_mappings(src.id).await.unwrap();
        assert_eq!(m.len(), 2, "[{label}]");
        assert_eq!(
            (m[0].org_name.as_str(), m[0].team_name.as_str()),
            ("lab", "staff")
        );

        // An external account: no password, linked, remembered as the source's.
        let ada = s
            .create_external_user(
                src.id,
                "ada",
                fixtures::new_user_without_password("ada", "ada@uni.example"),
            )
            .await
            .unwrap();
        assert!(
            s.credentials_by_login("ada").await.unwrap().is_none(),
            "[{label}] no password"
        );
        assert_eq!(
            s.user_by_external(src.id, "ada").await.unwrap().unwrap().id,
            ada.id
        );
        assert_eq!(s.source_of_user(ada.id).await.unwrap().unwrap().id, src.id);
        assert!(
            matches!(
                s.link_external(src.id, "ada", admin.id).await,
                Err(StoreError::Conflict(_))
            ),
            "[{label}] an identity links once"
        );
        // A name collision creates nothing, link included.
        assert!(
            s.create_external_user(
                src.id,
                "ada2",
                fixtures::new_user_without_password("ada", "x@uni.example")
            )
            .await
            .is_err()
        );
        assert!(
            s.user_by_external(src.id, "ada2").await.unwrap().is_none(),
            "[{label}]"
        );

        // Linked identities, listed for the account's settings and removed one by one.
        assert!(!s.has_password(ada.id).await.unwrap(), "[{label}]");
        assert!(s.has_password(admin.id).await.unwrap(), "[{label}]");
        s.link_external(src.id, "boss", admin.id).await.unwrap();
        let links = s.links_of_user(admin.id).await.unwrap();
        assert_eq!(links.len(), 1, "[{label}]");
        assert_eq!(
            (links[0].source_id, links[0].source_name.as_str()),
            (src.id, "Uni")
        );
        assert_eq!(links[0].external_id, "boss");
        assert!(s.unlink_external(src.id, admin.id).await.unwrap());
        assert!(
            !s.unlink_external(src.id, admin.id).await.unwrap(),
            "[{label}]"
        );
        assert!(s.links_of_user(admin.id).await.unwrap().is_empty());
        assert!(s.user_by_external(src.id, "boss").await.unwrap().is_none());

        s.add_team_member(staff.id, ada.id).await.unwrap();
        assert_eq!(
            s.managed_team_members(src.id).await.unwrap(),
            [(staff.id, ada.id)]
        );
        assert!(
            s.team_ids_of_user(ada.id)
                .await
                .unwrap()
                .contains(&staff.id)
        );

        s.record_sign_in(ada.id).await.unwrap();
        s.sync_external_profile(ada.id, Some("ada@new.example"), Some("Ada L."), Some(false))
            .await
            .unwrap();
        // An email someone else has is not taken.
        s.sync_external_profile(ada.id, Some("boss@example.org"), None, None)
            .await
            .unwrap();
        let ada_now = s.user_by_id(ada.id).await.unwrap().unwrap();
        assert_eq!(
            (ada_now.email.as_str(), ada_now.display_name.as_str()),
            ("ada@new.example", "Ada L.")
        );
        let facts = s.sign_in_facts(&[ada.id, admin.id]).await.unwrap();
        assert_eq!(facts[&ada.id].source.as_deref(), Some("Uni"), "[{label}]");
        assert!(facts[&ada.id].last_sign_in_at.is_some());
        assert_eq!(facts[&admin.id].source, None);

        // Deleting the source keeps the accounts, without their link.
        s.delete_auth_source(src.id).await.unwrap();
        assert!(s.user_by_id(ada.id).await.unwrap().is_some(), "[{label}]");
        assert!(s.source_of_user(ada.id).await.unwrap().is_none());
        assert!(matches!(
            s.delete_auth_source(src.id).await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn totp_steps_and_recovery_codes_are_accepted_once() {
    for ts in stores().await {
        let s = ts.store();
        let label = ts.label();
        let ada = fixtures::user(s, "ada").await;
        assert!(s.two_factor(ada.id).await.unwrap().is_none());
        s.start_two_factor(ada.id, "SECRET1").await.unwrap();
        // Restarting an unconfirmed enrolment replaces the secret.
        s.start_two_factor(ada.id, "SECRET2").await.unwrap();
        let tf = s.two_factor(ada.id).await.unwrap().unwrap();
        assert_eq!(
            (tf.secret.as_str(), tf.confirmed_at),
            ("SECRET2", None),
            "[{label}]"
        );
        assert!(!format!("{tf:?}").contains("SECRET2"));
        // Not confirmed: no step is accepted.
        assert!(!s.accept_totp_step(ada.id, 5).await.unwrap(), "[{label}]");
        s.confirm_two_factor(ada.id, 100, &["h1".into(), "h2".into()])
            .await
            .unwrap();
        assert!(
            matches!(
                s.confirm_two_factor(ada.id, 101, &[]).await,
                Err(StoreError::Stale)
            ),
            "[{label}] confirmed once"
        );
        assert!(
            matches!(
                s.start_two_factor(ada.id, "SECRET3").await,
                Err(StoreError::Conflict(_))
            ),
            "[{label}] a confirmed secret is not replaced"
        );
        // The confirming step and older ones are used up; a newer one works once.
        assert!(!s.accept_totp_step(ada.id, 100).await.unwrap(), "[{label}]");
        assert!(!s.accept_totp_step(ada.id, 99).await.unwrap());
        assert!(s.accept_totp_step(ada.id, 101).await.unwrap());
        assert!(
            !s.accept_totp_step(ada.id, 101).await.unwrap(),
            "[{label}] replay"
        );
        assert_eq!(s.recovery_codes_left(ada.id).await.unwrap(), 2);
        assert!(s.use_recovery_code(ada.id, "h1").await.unwrap());
        assert!(
            !s.use_recovery_code(ada.id, "h1").await.unwrap(),
            "[{label}] used twice"
        );
        assert!(!s.use_recovery_code(ada.id, "nope").await.unwrap());
        assert_eq!(s.recovery_codes_left(ada.id).await.unwrap(), 1);
        assert!(s.sign_in_facts(&[ada.id]).await.unwrap()[&ada.id].two_factor);
        s.replace_recovery_codes(ada.id, &["h3".into()])
            .await
            .unwrap();
        assert!(
            !s.use_recovery_code(ada.id, "h2").await.unwrap(),
            "[{label}] old codes end"
        );
        s.remove_two_factor(ada.id).await.unwrap();
        assert!(s.two_factor(ada.id).await.unwrap().is_none());
        assert_eq!(s.recovery_codes_left(ada.id).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn security_keys_are_per_account_unique_and_limited() {
    for ts in stores().await {
        let s = ts.store();
        let label = ts.label();
        let ada = fixtures::user(s, "ada").await;
        let bob = fixtures::user(s, "bob").await;
        assert_eq!(s.security_key_count(ada.id).await.unwrap(), 0);
        let k1 = s
            .add_security_key(ada.id, "YubiKey", "cred-1", "{\"c\":0}", 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (k1.name.as_str(), k1.credential_id.as_str(), k1.last_used_at),
            ("YubiKey", "cred-1", None),
            "[{label}]"
        );
        assert!(!format!("{k1:?}").contains("cred-1"), "[{label}]");
        assert!(
            matches!(
                s.add_security_key(ada.id, "yubikey", "cred-2", "{}", 2)
                    .await,
                Err(StoreError::Conflict(ConflictField::Name))
            ),
            "[{label}] a name once per account, any case"
        );
        assert!(
            matches!(
                s.add_security_key(bob.id, "Other", "cred-1", "{}", 2).await,
                Err(StoreError::Conflict(ConflictField::Key))
            ),
            "[{label}] a credential belongs to one account"
        );
        // Another account may use the same name.
        s.add_security_key(bob.id, "YubiKey", "cred-b", "{}", 2)
            .await
            .unwrap()
            .unwrap();
        let k2 = s
            .add_security_key(ada.id, "Phone", "cred-2", "{}", 2)
            .await
            .unwrap()
            .unwrap();
        assert!(
            s.add_security_key(ada.id, "Third", "cred-3", "{}", 2)
                .await
                .unwrap()
                .is_none(),
            "[{label}] at most the limit"
        );
        let keys = s.security_keys(ada.id).await.unwrap();
        assert_eq!(
            keys.iter().map(|k| k.id).collect::<Vec<_>>(),
            [k1.id, k2.id],
            "[{label}]"
        );
        assert!(s.sign_in_facts(&[ada.id]).await.unwrap()[&ada.id].two_factor);
        // TOTP turned off beside keys: the recovery codes stay.
        s.start_two_factor(ada.id, "S").await.unwrap();
        s.confirm_two_factor(ada.id, 7, &["r1".into()])
            .await
            .unwrap();
        s.remove_totp(ada.id).await.unwrap();
        assert!(s.two_factor(ada.id).await.unwrap().is_none(), "[{label}]");
        assert_eq!(s.recovery_codes_left(ada.id).await.unwrap(), 1, "[{label}]");

        // A use is recorded only over the credential as it was read.
        assert!(
            s.record_security_key_use(k1.id, "{\"c\":0}", "{\"c\":1}")
                .await
                .unwrap()
        );
        assert!(
            !s.record_security_key_use(k1.id, "{\"c\":0}", "{\"c\":1}")
                .await
                .unwrap(),
            "[{label}] a stale credential is not written back"
        );
        let k1 = s.security_keys(ada.id).await.unwrap().remove(0);
        assert_eq!(k1.passkey, "{\"c\":1}", "[{label}]");
        assert!(k1.last_used_at.is_some(), "[{label}]");

        assert!(
            !s.delete_security_key(bob.id, k1.id).await.unwrap(),
            "[{label}] not bob's"
        );
        assert!(s.delete_security_key(ada.id, k1.id).await.unwrap());
        assert!(s.delete_security_key(ada.id, k2.id).await.unwrap());
        assert_eq!(s.security_key_count(ada.id).await.unwrap(), 0);
        assert!(!s.sign_in_facts(&[ada.id]).await.unwrap()[&ada.id].two_factor);
        assert_eq!(s.security_key_count(bob.id).await.unwrap(), 1);
    }
}
