//! The store conformance suite: every test runs against every store from
//! `testing::stores()`, which is SQLite always and PostgreSQL too when
//! `HATCHERY_TEST_PG_URL` is set. A query that works on one database only fails here.

use std::collections::HashMap;
use std::time::Duration;

use hatchery_core::{AccessLevel, OrgRole};
use hatchery_store::testing::fixtures::{
    account, new_user, org, repo_name, repo_with as repo, team, team_name, user,
};
use hatchery_store::testing::{TestStore, stores};
use hatchery_store::{
    AccessToken, Account, ConflictField, NewRepo, NewToken, Repo, RepoAccess, Store, StoreError,
    User,
};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

fn names(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.name.as_str()).collect()
}

fn is_conflict(r: &Result<impl std::fmt::Debug, StoreError>, field: ConflictField) -> bool {
    matches!(r, Err(StoreError::Conflict(f)) if *f == field)
}

#[tokio::test]
async fn first_user_becomes_admin_and_later_ones_do_not() {
    for s in stores().await {
        let l = s.label();
        assert_eq!(s.count_users().await.unwrap(), 0, "{l}");
        let first = user(&s, "first").await;
        assert!(
            first.is_admin,
            "{l}: the first account administers the site"
        );
        let second = user(&s, "second").await;
        assert!(!second.is_admin, "{l}");
        let mut asked = new_user("third", "third@example.org");
        asked.is_admin = true;
        let third = s.create_user(asked).await.unwrap();
        assert!(third.is_admin, "{l}: an explicit admin stays admin");
        assert_eq!(s.count_users().await.unwrap(), 3, "{l}");

        s.set_admin(second.id, true).await.unwrap();
        assert!(
            s.user_by_id(second.id).await.unwrap().unwrap().is_admin,
            "{l}"
        );
        s.set_admin(second.id, false).await.unwrap();
        assert!(
            !s.user_by_id(second.id).await.unwrap().unwrap().is_admin,
            "{l}"
        );
        assert!(
            matches!(s.set_admin(9999, true).await, Err(StoreError::NotFound)),
            "{l}"
        );
    }
}

#[tokio::test]
async fn organizations_do_not_count_as_first_user() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        org(&s, &alice, "acme").await;
        assert_eq!(s.count_users().await.unwrap(), 1, "{l}: orgs are not users");
        assert!(!user(&s, "bob").await.is_admin, "{l}");
    }
}

#[tokio::test]
async fn names_conflict_case_insensitively_between_users_and_orgs() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "Alice").await;
        assert_eq!(alice.name, "Alice", "{l}: case is kept as typed");

        let r = s.create_user(new_user("aLiCe", "other@example.org")).await;
        assert!(is_conflict(&r, ConflictField::Name), "{l}: {r:?}");
        let r = s.create_org(alice.id, &account("ALICE"), "", "").await;
        assert!(is_conflict(&r, ConflictField::Name), "{l}: {r:?}");

        org(&s, &alice, "Acme").await;
        let r = s.create_user(new_user("acme", "acme@example.org")).await;
        assert!(is_conflict(&r, ConflictField::Name), "{l}: {r:?}");
        let r = s.create_org(alice.id, &account("ACME"), "", "").await;
        assert!(is_conflict(&r, ConflictField::Name), "{l}: {r:?}");

        assert_eq!(
            s.user_by_name("ALICE").await.unwrap(),
            Some(alice.clone()),
            "{l}"
        );
        assert_eq!(
            s.user_by_name("acme").await.unwrap(),
            None,
            "{l}: an org is not a user"
        );
        assert_eq!(
            s.org_by_name("alice").await.unwrap(),
            None,
            "{l}: a user is not an org"
        );
        match s.account_by_name("aCmE").await.unwrap() {
            Some(Account::Org(o)) => assert_eq!(o.name, "Acme", "{l}"),
            other => panic!("{l}: expected the org, got {other:?}"),
        }
        match s.account_by_name("alice").await.unwrap() {
            Some(Account::User(u)) => assert_eq!(u, alice, "{l}"),
            other => panic!("{l}: expected the user, got {other:?}"),
        }
        assert!(s.account_by_name("nobody").await.unwrap().is_none(), "{l}");
        assert_eq!(
            s.count_users().await.unwrap(),
            1,
            "{l}: failed inserts left nothing"
        );
    }
}

#[tokio::test]
async fn emails_conflict_case_insensitively() {
    for s in stores().await {
        let l = s.label();
        let a = s
            .create_user(new_user("a", "Same@Example.org"))
            .await
            .unwrap();
        let r = s.create_user(new_user("b", "same@EXAMPLE.ORG")).await;
        assert!(is_conflict(&r, ConflictField::Email), "{l}: {r:?}");
        let r = s.create_user(new_user("A", "SAME@example.org")).await;
        assert!(
            is_conflict(&r, ConflictField::Name),
            "{l}: name is reported first: {r:?}"
        );

        let b = s.create_user(new_user("b", "b@example.org")).await.unwrap();
        let r = s
            .update_user_profile(b.id, "B", "same@example.ORG", None)
            .await;
        assert!(is_conflict(&r, ConflictField::Email), "{l}: {r:?}");
        // Keeping one's own address in another case is no conflict.
        let a2 = s
            .update_user_profile(a.id, "A", "SAME@example.org", None)
            .await
            .unwrap();
        assert_eq!(a2.email, "SAME@example.org", "{l}");

        // Organizations have no email: any number of them coexist.
        org(&s, &a, "org1").await;
        org(&s, &a, "org2").await;
    }
}

#[tokio::test]
async fn login_by_name_or_email() {
    for s in stores().await {
        let l = s.label();
        let alice = s
            .create_user(new_user("Alice", "Alice@Example.org"))
            .await
            .unwrap();
        user(&s, "bob").await;
        for login in [
            "alice",
            "ALICE",
            "alice@example.org",
            "ALICE@EXAMPLE.ORG",
            " alice ",
        ] {
            let creds = s.credentials_by_login(login).await.unwrap();
            let creds = creds.unwrap_or_else(|| panic!("{l}: no credentials for {login:?}"));
            assert_eq!(creds.user, alice, "{l}: {login}");
            assert_eq!(creds.password_hash, "hash-of-Alice", "{l}");
            let debug = format!("{creds:?}");
            assert!(
                !debug.contains("hash-of") && debug.contains("[redacted]"),
                "{l}: {debug}"
            );
        }
        assert!(
            s.credentials_by_login("carol").await.unwrap().is_none(),
            "{l}"
        );
        assert!(s.credentials_by_login("").await.unwrap().is_none(), "{l}");

        s.set_password_hash(alice.id, "new-hash").await.unwrap();
        let creds = s.credentials_by_login("alice").await.unwrap().unwrap();
        assert_eq!(creds.password_hash, "new-hash", "{l}");
        let r = s.set_password_hash(9999, "x").await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");

        // An organization cannot sign in, even by its name.
        org(&s, &alice, "acme").await;
        assert!(
            s.credentials_by_login("acme").await.unwrap().is_none(),
            "{l}"
        );
        let r = s
            .set_password_hash(s.org_by_name("acme").await.unwrap().unwrap().id, "x")
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
    }
}

#[tokio::test]
async fn new_user_debug_redacts_the_hash() {
    let debug = format!("{:?}", new_user("dave", "dave@example.org"));
    assert!(
        !debug.contains("hash-of-dave") && debug.contains("[redacted]"),
        "{debug}"
    );
}

#[tokio::test]
async fn profile_update() {
    for s in stores().await {
        let l = s.label();
        let u = user(&s, "carol").await;
        assert_eq!(u.language, None, "{l}");
        let updated = s
            .update_user_profile(u.id, "Carol C.", "Carol@New.example", Some("zh-CN"))
            .await
            .unwrap();
        assert_eq!(updated.display_name, "Carol C.", "{l}");
        assert_eq!(updated.email, "Carol@New.example", "{l}");
        assert_eq!(updated.language.as_deref(), Some("zh-CN"), "{l}");
        assert_eq!(
            (updated.id, updated.created_at),
            (u.id, u.created_at),
            "{l}"
        );
        assert_eq!(
            s.user_by_id(u.id).await.unwrap(),
            Some(updated.clone()),
            "{l}"
        );
        let by_new_email = s.credentials_by_login("carol@new.example").await.unwrap();
        assert_eq!(by_new_email.map(|c| c.user), Some(updated), "{l}");
        assert!(
            s.credentials_by_login("carol@example.org")
                .await
                .unwrap()
                .is_none(),
            "{l}"
        );

        let cleared = s
            .update_user_profile(u.id, "", "carol@new.example", None)
            .await
            .unwrap();
        assert_eq!(cleared.language, None, "{l}");

        let r = s
            .update_user_profile(9999, "x", "x@example.org", None)
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
        assert_eq!(s.user_by_id(9999).await.unwrap(), None, "{l}");
    }
}

#[tokio::test]
async fn search_users_by_prefix() {
    for s in stores().await {
        let l = s.label();
        for name in ["bob", "Bobby", "bo.b", "bo_x", "boax", "carl", "BO"] {
            user(&s, name).await;
        }
        let admin = s.user_by_name("bob").await.unwrap().unwrap();
        org(&s, &admin, "bobcorp").await;

        let found = s.search_users("Bo", 50).await.unwrap();
        assert_eq!(
            names(&found),
            ["BO", "bo.b", "bo_x", "boax", "bob", "Bobby"],
            "{l}: users only, in byte order of the lowercase name"
        );
        let found = s.search_users("bo_", 50).await.unwrap();
        assert_eq!(names(&found), ["bo_x"], "{l}: `_` is no wildcard");
        let found = s.search_users("bob", 1).await.unwrap();
        assert_eq!(names(&found), ["bob"], "{l}: limit");
        assert_eq!(s.search_users("", 100).await.unwrap().len(), 7, "{l}");
        assert!(s.search_users("zz", 10).await.unwrap().is_empty(), "{l}");
        assert!(s.search_users("bö", 10).await.unwrap().is_empty(), "{l}");
        assert!(s.search_users("%", 10).await.unwrap().is_empty(), "{l}");
        assert!(s.search_users("b", 0).await.unwrap().is_empty(), "{l}");
    }
}

#[tokio::test]
async fn org_creation_makes_the_creator_owner() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let acme = s
            .create_org(alice.id, &account("Acme"), "Acme Inc.", "Makes everything")
            .await
            .unwrap();
        assert_eq!(
            (
                acme.name.as_str(),
                acme.display_name.as_str(),
                acme.description.as_str()
            ),
            ("Acme", "Acme Inc.", "Makes everything"),
            "{l}"
        );
        assert_eq!(
            s.org_by_name("ACME").await.unwrap(),
            Some(acme.clone()),
            "{l}"
        );
        assert_eq!(
            s.org_by_id(acme.id).await.unwrap(),
            Some(acme.clone()),
            "{l}"
        );
        assert_eq!(
            s.org_role(acme.id, alice.id).await.unwrap(),
            Some(OrgRole::Owner),
            "{l}"
        );
        let members = s.org_members(acme.id).await.unwrap();
        assert_eq!(members.len(), 1, "{l}");
        assert_eq!(
            (&members[0].user, members[0].role),
            (&alice, OrgRole::Owner),
            "{l}"
        );
        assert_eq!(members[0].since, acme.created_at, "{l}");
        assert_eq!(
            s.orgs_of_user(alice.id).await.unwrap(),
            vec![(acme.clone(), OrgRole::Owner)],
            "{l}"
        );

        let updated = s
            .update_org(acme.id, "ACME Corp", "New text")
            .await
            .unwrap();
        assert_eq!(
            (updated.display_name.as_str(), updated.description.as_str()),
            ("ACME Corp", "New text"),
            "{l}"
        );
        assert_eq!(updated.created_at, acme.created_at, "{l}");
        assert!(
            matches!(
                s.update_org(alice.id, "x", "y").await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );

        // Only users create organizations, and a failed creation leaves nothing behind.
        let r = s.create_org(acme.id, &account("sub"), "", "").await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
        let r = s.create_org(9999, &account("ghost2"), "", "").await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
        assert!(s.org_by_name("ghost2").await.unwrap().is_none(), "{l}");

        let beta = org(&s, &alice, "beta").await;
        let orgs: Vec<String> = s
            .orgs_of_user(alice.id)
            .await
            .unwrap()
            .into_iter()
            .map(|(o, _)| o.name)
            .collect();
        assert_eq!(orgs, ["Acme", "beta"], "{l}: by name");
        assert_eq!(s.org_role(beta.id, 9999).await.unwrap(), None, "{l}");
    }
}

#[tokio::test]
async fn last_owner_cannot_be_removed_or_demoted() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let carol = user(&s, "carol").await;
        let acme = org(&s, &alice, "acme").await;

        let r = s.set_org_member(acme.id, alice.id, OrgRole::Member).await;
        assert!(matches!(r, Err(StoreError::LastOwner)), "{l}: {r:?}");
        let r = s.remove_org_member(acme.id, alice.id).await;
        assert!(matches!(r, Err(StoreError::LastOwner)), "{l}: {r:?}");
        // Re-affirming the owner role is no demotion.
        s.set_org_member(acme.id, alice.id, OrgRole::Owner)
            .await
            .unwrap();

        s.set_org_member(acme.id, carol.id, OrgRole::Member)
            .await
            .unwrap();
        s.set_org_member(acme.id, bob.id, OrgRole::Owner)
            .await
            .unwrap();
        let listed = s.org_members(acme.id).await.unwrap();
        let listed: Vec<(&str, OrgRole)> = listed
            .iter()
            .map(|m| (m.user.name.as_str(), m.role))
            .collect();
        assert_eq!(
            listed,
            [
                ("alice", OrgRole::Owner),
                ("bob", OrgRole::Owner),
                ("carol", OrgRole::Member)
            ],
            "{l}: owners first, then by name"
        );

        s.set_org_member(acme.id, alice.id, OrgRole::Member)
            .await
            .unwrap();
        assert_eq!(
            s.org_role(acme.id, alice.id).await.unwrap(),
            Some(OrgRole::Member),
            "{l}"
        );
        let r = s.remove_org_member(acme.id, bob.id).await;
        assert!(matches!(r, Err(StoreError::LastOwner)), "{l}: {r:?}");
        s.remove_org_member(acme.id, alice.id).await.unwrap();
        assert_eq!(s.org_role(acme.id, alice.id).await.unwrap(), None, "{l}");
        let r = s.remove_org_member(acme.id, alice.id).await;
        assert!(
            matches!(r, Err(StoreError::NotFound)),
            "{l}: not a member: {r:?}"
        );

        let r = s.set_org_member(acme.id, 9999, OrgRole::Member).await;
        assert!(
            matches!(r, Err(StoreError::NotFound)),
            "{l}: no such user: {r:?}"
        );
        let r = s.set_org_member(alice.id, bob.id, OrgRole::Member).await;
        assert!(
            matches!(r, Err(StoreError::NotFound)),
            "{l}: a user is no org: {r:?}"
        );
        let other = org(&s, &bob, "other").await;
        let r = s.set_org_member(acme.id, other.id, OrgRole::Member).await;
        assert!(
            matches!(r, Err(StoreError::NotFound)),
            "{l}: an org is no member: {r:?}"
        );
    }
}

#[tokio::test]
async fn concurrent_owner_removals_keep_an_owner() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;
        s.set_org_member(acme.id, bob.id, OrgRole::Owner)
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            s.remove_org_member(acme.id, alice.id),
            s.set_org_member(acme.id, bob.id, OrgRole::Member)
        );
        assert!(
            a.is_ok() != b.is_ok(),
            "{l}: exactly one may win: {a:?} {b:?}"
        );
        let owners = s
            .org_members(acme.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.role == OrgRole::Owner)
            .count();
        assert_eq!(owners, 1, "{l}");
    }
}

#[tokio::test]
async fn teams_and_auto_org_membership() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;

        let devs = s
            .create_team(
                acme.id,
                &team_name("Devs"),
                "Developers",
                AccessLevel::Write,
            )
            .await
            .unwrap();
        assert_eq!(
            (
                devs.org_id,
                devs.name.as_str(),
                devs.permission,
                devs.member_count
            ),
            (acme.id, "Devs", AccessLevel::Write, 0),
            "{l}"
        );
        let r = s
            .create_team(acme.id, &team_name("DEVS"), "", AccessLevel::Read)
            .await;
        assert!(is_conflict(&r, ConflictField::Name), "{l}: {r:?}");
        let r = s
            .create_team(alice.id, &team_name("x"), "", AccessLevel::Read)
            .await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
        // Team names are per organization; and team names may be words reserved for accounts.
        let beta = org(&s, &alice, "beta").await;
        s.create_team(beta.id, &team_name("devs"), "", AccessLevel::Read)
            .await
            .unwrap();
        let admins = s
            .create_team(acme.id, &team_name("admin"), "", AccessLevel::Admin)
            .await
            .unwrap();

        assert_eq!(s.org_role(acme.id, bob.id).await.unwrap(), None, "{l}");
        s.add_team_member(devs.id, bob.id).await.unwrap();
        assert_eq!(
            s.org_role(acme.id, bob.id).await.unwrap(),
            Some(OrgRole::Member),
            "{l}: joined the org"
        );
        s.add_team_member(devs.id, bob.id).await.unwrap();
        s.add_team_member(devs.id, alice.id).await.unwrap();
        assert_eq!(
            s.org_role(acme.id, alice.id).await.unwrap(),
            Some(OrgRole::Owner),
            "{l}: role kept"
        );
        assert_eq!(
            names(&s.team_members(devs.id).await.unwrap()),
            ["alice", "bob"],
            "{l}"
        );

        let teams = s.teams_of_org(acme.id).await.unwrap();
        let summary: Vec<(&str, i64)> = teams
            .iter()
            .map(|t| (t.name.as_str(), t.member_count))
            .collect();
        assert_eq!(
            summary,
            [("admin", 0), ("Devs", 2)],
            "{l}: by name, with member counts"
        );
        assert_eq!(teams[0], admins, "{l}");

        let found = s.team_by_name(acme.id, "dEvS").await.unwrap().unwrap();
        assert_eq!((found.id, found.member_count), (devs.id, 2), "{l}");
        assert!(
            s.team_by_name(acme.id, "nope").await.unwrap().is_none(),
            "{l}"
        );

        let updated = s
            .update_team(devs.id, "All developers", AccessLevel::Admin)
            .await
            .unwrap();
        assert_eq!(
            (
                updated.description.as_str(),
                updated.permission,
                updated.member_count,
                updated.name.as_str()
            ),
            ("All developers", AccessLevel::Admin, 2, "Devs"),
            "{l}"
        );
        assert!(
            matches!(
                s.update_team(9999, "", AccessLevel::Read).await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );

        let r = s.add_team_member(devs.id, beta.id).await;
        assert!(
            matches!(r, Err(StoreError::NotFound)),
            "{l}: an org is no team member: {r:?}"
        );
        let r = s.add_team_member(9999, bob.id).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");

        s.remove_team_member(devs.id, bob.id).await.unwrap();
        s.remove_team_member(devs.id, bob.id).await.unwrap();
        assert_eq!(
            names(&s.team_members(devs.id).await.unwrap()),
            ["alice"],
            "{l}"
        );
        assert_eq!(
            s.org_role(acme.id, bob.id).await.unwrap(),
            Some(OrgRole::Member),
            "{l}: still in the org"
        );
        let r = s.remove_team_member(9999, bob.id).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");

        s.delete_team(admins.id).await.unwrap();
        assert!(s.team_by_id(admins.id).await.unwrap().is_none(), "{l}");
        assert!(
            matches!(s.delete_team(admins.id).await, Err(StoreError::NotFound)),
            "{l}"
        );
    }
}

#[tokio::test]
async fn removing_an_org_member_removes_them_from_its_teams() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;
        let beta = org(&s, &alice, "beta").await;
        let devs = s
            .create_team(acme.id, &team_name("devs"), "", AccessLevel::Write)
            .await
            .unwrap();
        let ops = s
            .create_team(acme.id, &team_name("ops"), "", AccessLevel::Read)
            .await
            .unwrap();
        let other = s
            .create_team(beta.id, &team_name("devs"), "", AccessLevel::Read)
            .await
            .unwrap();
        for team in [devs.id, ops.id, other.id] {
            s.add_team_member(team, bob.id).await.unwrap();
        }

        s.remove_org_member(acme.id, bob.id).await.unwrap();
        assert!(s.team_members(devs.id).await.unwrap().is_empty(), "{l}");
        assert!(s.team_members(ops.id).await.unwrap().is_empty(), "{l}");
        assert_eq!(
            names(&s.team_members(other.id).await.unwrap()),
            ["bob"],
            "{l}: other orgs untouched"
        );
        assert_eq!(
            s.org_role(beta.id, bob.id).await.unwrap(),
            Some(OrgRole::Member),
            "{l}"
        );
        let orgs: Vec<String> = s
            .orgs_of_user(bob.id)
            .await
            .unwrap()
            .into_iter()
            .map(|(o, _)| o.name)
            .collect();
        assert_eq!(orgs, ["beta"], "{l}");
    }
}

#[tokio::test]
async fn deleting_an_org_cascades() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;
        let devs = s
            .create_team(acme.id, &team_name("devs"), "", AccessLevel::Write)
            .await
            .unwrap();
        s.add_team_member(devs.id, bob.id).await.unwrap();

        s.delete_org(acme.id).await.unwrap();
        assert!(s.org_by_name("acme").await.unwrap().is_none(), "{l}");
        assert!(s.org_members(acme.id).await.unwrap().is_empty(), "{l}");
        assert_eq!(s.org_role(acme.id, alice.id).await.unwrap(), None, "{l}");
        assert!(s.teams_of_org(acme.id).await.unwrap().is_empty(), "{l}");
        assert!(s.team_by_id(devs.id).await.unwrap().is_none(), "{l}");
        assert!(s.team_members(devs.id).await.unwrap().is_empty(), "{l}");
        assert!(s.orgs_of_user(bob.id).await.unwrap().is_empty(), "{l}");
        assert!(
            s.user_by_id(bob.id).await.unwrap().is_some(),
            "{l}: users stay"
        );

        assert!(
            matches!(s.delete_org(acme.id).await, Err(StoreError::NotFound)),
            "{l}"
        );
        assert!(
            matches!(s.delete_org(alice.id).await, Err(StoreError::NotFound)),
            "{l}: not an org"
        );
        // The name is free again, for a user as well as an org.
        user(&s, "ACME").await;
    }
}

#[tokio::test]
async fn throttle_window() {
    for s in stores().await {
        let l = s.label();
        let (t, w) = (1_000_000, 60_000);
        assert_eq!(s.throttle_count("k", t, w).await.unwrap(), 0, "{l}");
        assert_eq!(s.throttle_hit("k", t, w).await.unwrap(), 1, "{l}");
        assert_eq!(s.throttle_hit("k", t + 10, w).await.unwrap(), 2, "{l}");
        assert_eq!(
            s.throttle_hit("k", t + w - 1, w).await.unwrap(),
            3,
            "{l}: window counts from its first failure"
        );
        assert_eq!(s.throttle_count("k", t + w - 1, w).await.unwrap(), 3, "{l}");
        assert_eq!(
            s.throttle_count("other", t, w).await.unwrap(),
            0,
            "{l}: keys are separate"
        );
        assert_eq!(
            s.throttle_count("k", t + w, w).await.unwrap(),
            0,
            "{l}: expired"
        );
        assert_eq!(
            s.throttle_hit("k", t + w, w).await.unwrap(),
            1,
            "{l}: a new window"
        );
        assert_eq!(
            s.throttle_hit("k", t + 2 * w - 1, w).await.unwrap(),
            2,
            "{l}"
        );
        assert_eq!(
            s.throttle_count("k", t + 2 * w - 1, w).await.unwrap(),
            2,
            "{l}"
        );
        s.throttle_clear("k").await.unwrap();
        assert_eq!(s.throttle_count("k", t + w, w).await.unwrap(), 0, "{l}");
        assert_eq!(s.throttle_hit("k", t + w, w).await.unwrap(), 1, "{l}");

        assert_eq!(s.throttle_prune(t + w + 1).await.unwrap(), 1, "{l}");
        assert_eq!(s.throttle_count("k", t + w, w).await.unwrap(), 0, "{l}");
    }
}

#[tokio::test]
async fn concurrent_throttle_hits_count_exactly() {
    for s in stores().await {
        let l = s.label();
        let now = hatchery_store::now_ms();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s = Store::clone(&s);
                tokio::spawn(async move { s.throttle_hit("ip:192.0.2.1", now, 60_000).await })
            })
            .collect();
        let mut counts = Vec::new();
        for task in tasks {
            counts.push(task.await.unwrap().unwrap_or_else(|e| panic!("{l}: {e}")));
        }
        counts.sort_unstable();
        assert_eq!(
            counts,
            (1..=20).collect::<Vec<i64>>(),
            "{l}: every hit saw its own count"
        );
        assert_eq!(
            s.throttle_count("ip:192.0.2.1", now, 60_000).await.unwrap(),
            20,
            "{l}"
        );
    }
}

#[tokio::test]
async fn settings_and_setting_init_race() {
    for s in stores().await {
        let l = s.label();
        assert_eq!(s.setting("secret").await.unwrap(), None, "{l}");
        let (a, b) = tokio::join!(
            s.setting_init("secret", "from-a"),
            s.setting_init("secret", "from-b")
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, b, "{l}: both starters agree");
        assert!(a == "from-a" || a == "from-b", "{l}: {a}");
        assert_eq!(s.setting("secret").await.unwrap(), Some(a.clone()), "{l}");
        assert_eq!(
            s.setting_init("secret", "later").await.unwrap(),
            a,
            "{l}: never replaced"
        );

        // Many at once, from separate tasks and connections.
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let s = Store::clone(&s);
                tokio::spawn(async move { s.setting_init("race", &format!("v{i}")).await })
            })
            .collect();
        let mut values = Vec::new();
        for task in tasks {
            values.push(task.await.unwrap().unwrap());
        }
        values.dedup();
        assert_eq!(values.len(), 1, "{l}: {values:?}");

        s.set_setting("secret", "rotated").await.unwrap();
        assert_eq!(
            s.setting("secret").await.unwrap().as_deref(),
            Some("rotated"),
            "{l}"
        );
    }
}

fn record(expiry: OffsetDateTime) -> Record {
    let mut data = HashMap::new();
    data.insert("user_id".to_owned(), serde_json::json!(42));
    data.insert(
        "flash".to_owned(),
        serde_json::json!({"kind": "ok", "text": "你好"}),
    );
    Record {
        id: Id::default(),
        data,
        expiry_date: expiry,
    }
}

/// Session expiry is stored in milliseconds.
fn ms_precision(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap()
}

#[tokio::test]
async fn session_store_round_trip() {
    for s in stores().await {
        let l = s.label();
        let sessions = s.session_store();
        let expiry = ms_precision(OffsetDateTime::now_utc() + Duration::from_secs(3600));
        let mut rec = record(expiry);
        let requested = rec.id;
        sessions.create(&mut rec).await.unwrap();
        assert_eq!(rec.id, requested, "{l}: a free id is kept");
        let loaded = sessions.load(&rec.id).await.unwrap().expect("loaded");
        assert_eq!(
            (loaded.id, &loaded.data, loaded.expiry_date),
            (rec.id, &rec.data, expiry),
            "{l}"
        );

        // save updates a stored session, and never writes one that is not stored (only
        // create inserts).
        rec.data.insert("user_id".to_owned(), serde_json::json!(7));
        sessions.save(&rec).await.unwrap();
        let loaded = sessions.load(&rec.id).await.unwrap().unwrap();
        assert_eq!(loaded.data["user_id"], serde_json::json!(7), "{l}");
        let fresh = record(expiry);
        sessions.save(&fresh).await.unwrap();
        assert!(sessions.load(&fresh.id).await.unwrap().is_none(), "{l}");

        // create never overwrites: a taken id is replaced by a new one.
        let mut clash = record(expiry);
        clash.id = rec.id;
        clash.data.clear();
        sessions.create(&mut clash).await.unwrap();
        assert_ne!(clash.id, rec.id, "{l}");
        assert_eq!(
            sessions.load(&rec.id).await.unwrap().unwrap().data,
            rec.data,
            "{l}: untouched"
        );
        assert!(
            sessions
                .load(&clash.id)
                .await
                .unwrap()
                .unwrap()
                .data
                .is_empty(),
            "{l}"
        );

        sessions.delete(&rec.id).await.unwrap();
        assert!(sessions.load(&rec.id).await.unwrap().is_none(), "{l}");
        sessions.delete(&rec.id).await.unwrap();
        assert!(
            sessions.load(&Id::default()).await.unwrap().is_none(),
            "{l}"
        );
    }
}

/// A signed-in session of `uid`.
fn signed_in(uid: i64, expiry: OffsetDateTime) -> Record {
    let mut rec = record(expiry);
    rec.data.insert(
        hatchery_store::SESSION_USER.to_owned(),
        serde_json::json!(uid),
    );
    rec
}

#[tokio::test]
async fn ended_sessions_stay_ended() {
    for s in stores().await {
        let l = s.label();
        let sessions = s.session_store();
        let expiry = ms_precision(OffsetDateTime::now_utc() + Duration::from_secs(3600));
        let mut mine = signed_in(1, expiry);
        let mut other = signed_in(1, expiry);
        let mut theirs = signed_in(2, expiry);
        let mut anonymous = record(expiry);
        for rec in [&mut mine, &mut other, &mut theirs, &mut anonymous] {
            sessions.create(rec).await.unwrap();
        }
        assert_eq!(s.count_sessions(1).await.unwrap(), 2, "{l}");

        // A password change: every other session of the account ends.
        let ended = s.end_sessions(1, Some(&mine.id.to_string())).await.unwrap();
        assert_eq!(ended, 1, "{l}");
        assert!(sessions.load(&other.id).await.unwrap().is_none(), "{l}");
        assert!(sessions.load(&mine.id).await.unwrap().is_some(), "{l}");
        assert!(sessions.load(&theirs.id).await.unwrap().is_some(), "{l}");

        // A request that was still running on the ended session saves it at its end: it
        // must not come back.
        other
            .data
            .insert("seen".to_owned(), serde_json::json!(true));
        sessions.save(&other).await.unwrap();
        assert!(
            sessions.load(&other.id).await.unwrap().is_none(),
            "{l}: an ended session is not written back by a late save"
        );
        assert_eq!(s.count_sessions(1).await.unwrap(), 1, "{l}");

        // Signing out everywhere: none kept, other accounts untouched.
        assert_eq!(s.end_sessions(1, None).await.unwrap(), 1, "{l}");
        sessions.save(&mine).await.unwrap();
        assert!(sessions.load(&mine.id).await.unwrap().is_none(), "{l}");
        assert!(sessions.load(&theirs.id).await.unwrap().is_some(), "{l}");
        assert!(sessions.load(&anonymous.id).await.unwrap().is_some(), "{l}");
        assert_eq!(s.count_sessions(2).await.unwrap(), 1, "{l}");

        // Signing in again later is a new session (create), which works as always.
        let mut again = signed_in(1, expiry);
        sessions.create(&mut again).await.unwrap();
        assert!(sessions.load(&again.id).await.unwrap().is_some(), "{l}");
    }
}

#[tokio::test]
async fn session_store_expiry() {
    for s in stores().await {
        let l = s.label();
        let sessions = s.session_store();
        let now = OffsetDateTime::now_utc();
        let mut expired = record(now - Duration::from_secs(1));
        let mut live = record(now + Duration::from_secs(3600));
        sessions.create(&mut expired).await.unwrap();
        sessions.create(&mut live).await.unwrap();
        assert!(
            sessions.load(&expired.id).await.unwrap().is_none(),
            "{l}: expired means gone"
        );

        // Before deletion the expired row still holds its id: create must pick another.
        let mut reuse = record(now + Duration::from_secs(60));
        reuse.id = expired.id;
        sessions.create(&mut reuse).await.unwrap();
        assert_ne!(reuse.id, expired.id, "{l}: the expired row is still there");

        sessions.delete_expired().await.unwrap();
        assert!(
            sessions.load(&live.id).await.unwrap().is_some(),
            "{l}: live sessions stay"
        );
        assert!(sessions.load(&reuse.id).await.unwrap().is_some(), "{l}");
        // After deletion the id is free: create keeps it.
        let mut again = record(now + Duration::from_secs(60));
        again.id = expired.id;
        sessions.create(&mut again).await.unwrap();
        assert_eq!(again.id, expired.id, "{l}: delete_expired removed the row");
    }
}

#[tokio::test]
async fn concurrent_user_creation_never_sees_a_locked_database() {
    for s in stores().await {
        let l = s.label();
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let s = Store::clone(&s);
                tokio::spawn(async move {
                    s.create_user(new_user(
                        &format!("user{i}"),
                        &format!("user{i}@example.org"),
                    ))
                    .await
                })
            })
            .collect();
        let mut admins = 0;
        for task in tasks {
            let created = task.await.unwrap().unwrap_or_else(|e| panic!("{l}: {e}"));
            admins += usize::from(created.is_admin);
        }
        assert_eq!(s.count_users().await.unwrap(), 40, "{l}");
        assert_eq!(admins, 1, "{l}: exactly one first user");
    }
}

#[tokio::test]
async fn concurrent_duplicate_names_conflict_cleanly() {
    for s in stores().await {
        let l = s.label();
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let s = Store::clone(&s);
                tokio::spawn(async move {
                    s.create_user(new_user(
                        if i % 2 == 0 { "Same" } else { "same" },
                        &format!("u{i}@example.org"),
                    ))
                    .await
                })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict(ConflictField::Name)) => {}
                Err(e) => panic!("{l}: {e}"),
            }
        }
        assert_eq!(ok, 1, "{l}");
    }
}

#[tokio::test]
async fn url_reaches_the_same_database_and_migrate_is_idempotent() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let other = Store::connect(&s.url(), 2)
            .await
            .unwrap_or_else(|e| panic!("{l}: {e}"));
        assert_eq!(other.backend(), s.backend(), "{l}");
        other.migrate().await.unwrap();
        assert_eq!(
            other.user_by_name("alice").await.unwrap(),
            Some(alice),
            "{l}"
        );
        other.close().await;
        s.migrate().await.unwrap();
    }
}

#[tokio::test]
async fn ping_and_closed_pool() {
    for s in stores().await {
        let l = s.label();
        s.ping().await.unwrap_or_else(|e| panic!("{l}: {e}"));
        let copy = Store::clone(&s);
        copy.close().await;
        let r = s.ping().await;
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{l}: {r:?}");
        let r = s.user_by_name("x").await;
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{l}: {r:?}");
    }
}

#[tokio::test]
async fn test_stores_are_isolated() {
    let a = stores().await;
    let b = stores().await;
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.label(), y.label());
        assert_ne!(x.url(), y.url());
        user(x, "alice").await;
        assert!(
            y.user_by_name("alice").await.unwrap().is_none(),
            "{}",
            x.label()
        );
    }
    let labels: Vec<&str> = a.iter().map(TestStore::label).collect();
    let expected: &[&str] = if hatchery_store::testing::pg_url().is_some() {
        &["sqlite", "postgres"]
    } else {
        &["sqlite"]
    };
    assert_eq!(labels, expected);
}

// ---- Repositories ----

fn access(
    collaborator: Option<AccessLevel>,
    team: Option<AccessLevel>,
    org_role: Option<OrgRole>,
) -> RepoAccess {
    RepoAccess {
        collaborator,
        team,
        org_role,
    }
}

#[tokio::test]
async fn repo_creation_and_names_unique_per_owner() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let acme = org(&s, &alice, "Acme").await;
        assert_eq!(s.count_repos().await.unwrap(), 0, "{l}");

        let before = hatchery_store::now_ms();
        let hello = s
            .create_repo(NewRepo {
                owner_id: alice.id,
                name: &repo_name("Hello.World"),
                description: "My first",
                is_private: true,
                default_branch: "trunk",
            })
            .await
            .unwrap();
        assert_eq!(
            (
                hello.owner_id,
                hello.owner_name.as_str(),
                hello.owner_is_org,
                hello.name.as_str(),
                hello.description.as_str(),
                hello.is_private,
                hello.default_branch.as_str(),
                hello.read_only,
                hello.pushed_at
            ),
            (
                alice.id,
                "alice",
                false,
                "Hello.World",
                "My first",
                true,
                "trunk",
                false,
                None
            ),
            "{l}"
        );
        assert!(hello.created_at >= before, "{l}");
        assert_eq!(hello.updated_at, hello.created_at, "{l}");
        assert_eq!(
            s.repo_by_id(hello.id).await.unwrap(),
            Some(hello.clone()),
            "{l}"
        );

        for dup in ["hello.world", "HELLO.WORLD", "Hello.World"] {
            let r = s
                .create_repo(NewRepo {
                    owner_id: alice.id,
                    name: &repo_name(dup),
                    description: "",
                    is_private: false,
                    default_branch: "main",
                })
                .await;
            assert!(is_conflict(&r, ConflictField::Name), "{l}: {dup}: {r:?}");
        }
        // The same name under another owner, user or organization, is fine.
        let bob = user(&s, "bob").await;
        let bobs = repo(&s, bob.id, "hello.world", false).await;
        let acmes = repo(&s, acme.id, "HELLO.world", false).await;
        assert_eq!(
            (acmes.owner_name.as_str(), acmes.owner_is_org),
            ("Acme", true),
            "{l}"
        );
        assert_ne!(bobs.id, acmes.id, "{l}");

        let r = s
            .create_repo(NewRepo {
                owner_id: 9999,
                name: &repo_name("ghost"),
                description: "",
                is_private: false,
                default_branch: "main",
            })
            .await;
        assert!(
            matches!(r, Err(StoreError::NotFound)),
            "{l}: no owner: {r:?}"
        );
        assert_eq!(
            s.count_repos().await.unwrap(),
            3,
            "{l}: failed inserts left nothing"
        );
        assert_eq!(s.count_repos_of_owner(alice.id).await.unwrap(), 1, "{l}");
        assert_eq!(s.count_repos_of_owner(acme.id).await.unwrap(), 1, "{l}");
        assert_eq!(s.count_repos_of_owner(9999).await.unwrap(), 0, "{l}");
    }
}

#[tokio::test]
async fn repo_lookup_is_case_insensitive() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "Alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "Acme").await;
        let mine = repo(&s, alice.id, "Tools", false).await;
        let theirs = repo(&s, acme.id, "tools", true).await;
        repo(&s, bob.id, "other", false).await;

        for (owner, name) in [("alice", "tools"), ("ALICE", "TOOLS"), ("Alice", "Tools")] {
            assert_eq!(
                s.repo_by_name(owner, name).await.unwrap(),
                Some(mine.clone()),
                "{l}: {owner}/{name}"
            );
        }
        assert_eq!(
            s.repo_by_name("aCmE", "Tools").await.unwrap(),
            Some(theirs.clone()),
            "{l}"
        );
        assert_eq!(s.repo_by_name("bob", "tools").await.unwrap(), None, "{l}");
        assert_eq!(s.repo_by_name("alice", "other").await.unwrap(), None, "{l}");
        assert_eq!(
            s.repo_by_name("nobody", "tools").await.unwrap(),
            None,
            "{l}"
        );
        assert_eq!(s.repo_by_id(9999).await.unwrap(), None, "{l}");
    }
}

#[tokio::test]
async fn repos_of_owner_newest_update_first_then_by_name() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let later = hatchery_store::now_ms() + 60_000;
        let c = repo(&s, alice.id, "c", false).await;
        let a = repo(&s, alice.id, "A", true).await;
        let b = repo(&s, alice.id, "b", false).await;
        repo(&s, bob.id, "bobs", false).await;
        // Equal update times fall back to the name; here all are pushed to make them equal.
        for r in [&a, &b, &c] {
            s.touch_repo_pushed(r.id, later).await.unwrap();
        }
        let names_of = |repos: Vec<Repo>| repos.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names_of(s.repos_of_owner(alice.id).await.unwrap()),
            ["A", "b", "c"],
            "{l}: private included; ties by name"
        );
        s.touch_repo_pushed(c.id, later + 1).await.unwrap();
        s.touch_repo_pushed(b.id, later + 2).await.unwrap();
        assert_eq!(
            names_of(s.repos_of_owner(alice.id).await.unwrap()),
            ["b", "c", "A"],
            "{l}: most recently updated first"
        );
        assert!(s.repos_of_owner(9999).await.unwrap().is_empty(), "{l}");
    }
}

#[tokio::test]
async fn repo_update_read_only_and_push_times() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let r = repo(&s, alice.id, "site", false).await;

        let updated = s
            .update_repo(r.id, "The web site", true, "develop")
            .await
            .unwrap();
        assert_eq!(
            (
                updated.description.as_str(),
                updated.is_private,
                updated.default_branch.as_str()
            ),
            ("The web site", true, "develop"),
            "{l}"
        );
        assert_eq!(
            (
                updated.id,
                updated.name.as_str(),
                updated.owner_name.as_str(),
                updated.created_at
            ),
            (r.id, "site", "alice", r.created_at),
            "{l}"
        );
        assert!(updated.updated_at >= r.updated_at, "{l}");
        assert_eq!(
            s.repo_by_id(r.id).await.unwrap(),
            Some(updated.clone()),
            "{l}"
        );
        let r2 = s.update_repo(r.id, "", false, "main").await.unwrap();
        assert!(!r2.is_private, "{l}");
        let missing = s.update_repo(9999, "", false, "main").await;
        assert!(
            matches!(missing, Err(StoreError::NotFound)),
            "{l}: {missing:?}"
        );

        s.set_repo_read_only(r.id, true).await.unwrap();
        assert!(s.repo_by_id(r.id).await.unwrap().unwrap().read_only, "{l}");
        s.set_repo_read_only(r.id, false).await.unwrap();
        assert!(!s.repo_by_id(r.id).await.unwrap().unwrap().read_only, "{l}");
        assert!(
            matches!(
                s.set_repo_read_only(9999, true).await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );

        let t = hatchery_store::now_ms() + 60_000;
        s.touch_repo_pushed(r.id, t).await.unwrap();
        let pushed = s.repo_by_id(r.id).await.unwrap().unwrap();
        assert_eq!((pushed.pushed_at, pushed.updated_at), (Some(t), t), "{l}");
        // A push that finishes later but started earlier does not move the times back.
        s.touch_repo_pushed(r.id, t - 5).await.unwrap();
        let pushed = s.repo_by_id(r.id).await.unwrap().unwrap();
        assert_eq!((pushed.pushed_at, pushed.updated_at), (Some(t), t), "{l}");
        assert!(
            matches!(
                s.touch_repo_pushed(9999, t).await,
                Err(StoreError::NotFound)
            ),
            "{l}"
        );
    }
}

#[tokio::test]
async fn deleting_a_repo_cascades() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;
        let devs = team(&s, acme.id, "devs", AccessLevel::Write).await;
        s.add_team_member(devs.id, bob.id).await.unwrap();
        let doomed = repo(&s, acme.id, "doomed", false).await;
        let kept = repo(&s, acme.id, "kept", false).await;
        for r in [&doomed, &kept] {
            s.set_collaborator(r.id, bob.id, AccessLevel::Read)
                .await
                .unwrap();
            s.add_repo_team(r.id, devs.id).await.unwrap();
        }

        s.delete_repo(doomed.id).await.unwrap();
        assert_eq!(s.repo_by_id(doomed.id).await.unwrap(), None, "{l}");
        assert!(s.collaborators(doomed.id).await.unwrap().is_empty(), "{l}");
        assert!(s.repo_teams(doomed.id).await.unwrap().is_empty(), "{l}");
        let r = s.repo_access(doomed.id, bob.id).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
        assert!(
            matches!(s.delete_repo(doomed.id).await, Err(StoreError::NotFound)),
            "{l}"
        );

        // The rest is untouched.
        assert_eq!(s.collaborators(kept.id).await.unwrap().len(), 1, "{l}");
        let linked: Vec<i64> = s
            .repo_teams(kept.id)
            .await
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(linked, [devs.id], "{l}");
        assert!(s.team_by_id(devs.id).await.unwrap().is_some(), "{l}");
        assert!(s.user_by_id(bob.id).await.unwrap().is_some(), "{l}");
        assert_eq!(s.count_repos().await.unwrap(), 1, "{l}");
        // The name is free again.
        repo(&s, acme.id, "DOOMED", false).await;
    }
}

#[tokio::test]
async fn repo_access_from_org_roles_collaborators_and_teams() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await; // owns acme
        let bob = user(&s, "bob").await; // member of acme, in several teams
        let carol = user(&s, "carol").await; // collaborator only
        let dave = user(&s, "dave").await; // nothing
        let erin = user(&s, "erin").await; // in a team not linked to the repository
        let acme = org(&s, &alice, "acme").await;
        let r = repo(&s, acme.id, "r", true).await;
        let personal = repo(&s, carol.id, "notes", false).await;

        assert_eq!(
            s.repo_access(r.id, alice.id).await.unwrap(),
            access(None, None, Some(OrgRole::Owner)),
            "{l}"
        );
        assert_eq!(
            s.repo_access(r.id, dave.id).await.unwrap(),
            RepoAccess::default(),
            "{l}"
        );
        assert_eq!(
            s.repo_access(personal.id, carol.id).await.unwrap(),
            RepoAccess::default(),
            "{l}: a user's own repository: no org role, ownership is Repo::owner_id"
        );
        let r_missing = s.repo_access(9999, alice.id).await;
        assert!(
            matches!(r_missing, Err(StoreError::NotFound)),
            "{l}: {r_missing:?}"
        );

        for level in [AccessLevel::Read, AccessLevel::Write, AccessLevel::Admin] {
            s.set_collaborator(r.id, carol.id, level).await.unwrap();
            assert_eq!(
                s.repo_access(r.id, carol.id).await.unwrap(),
                access(Some(level), None, None),
                "{l}: collaborator {level}"
            );
        }
        s.set_collaborator(personal.id, dave.id, AccessLevel::Write)
            .await
            .unwrap();
        assert_eq!(
            s.repo_access(personal.id, dave.id).await.unwrap(),
            access(Some(AccessLevel::Write), None, None),
            "{l}: collaborators on a user's repository"
        );

        // Teams: the highest permission among the user's linked teams counts.
        let readers = team(&s, acme.id, "readers", AccessLevel::Read).await;
        let writers = team(&s, acme.id, "writers", AccessLevel::Write).await;
        let admins = team(&s, acme.id, "admins", AccessLevel::Admin).await;
        let unlinked = team(&s, acme.id, "unlinked", AccessLevel::Admin).await;
        s.add_team_member(readers.id, bob.id).await.unwrap();
        s.add_team_member(unlinked.id, erin.id).await.unwrap();
        s.add_team_member(unlinked.id, bob.id).await.unwrap();
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap(),
            access(None, None, Some(OrgRole::Member)),
            "{l}: no linked team yet"
        );
        s.add_repo_team(r.id, readers.id).await.unwrap();
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap(),
            access(None, Some(AccessLevel::Read), Some(OrgRole::Member)),
            "{l}"
        );
        s.add_repo_team(r.id, writers.id).await.unwrap();
        s.add_repo_team(r.id, admins.id).await.unwrap();
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap(),
            access(None, Some(AccessLevel::Read), Some(OrgRole::Member)),
            "{l}: teams bob is not in grant him nothing"
        );
        s.add_team_member(writers.id, bob.id).await.unwrap();
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap(),
            access(None, Some(AccessLevel::Write), Some(OrgRole::Member)),
            "{l}: highest of read and write"
        );
        s.add_team_member(admins.id, bob.id).await.unwrap();
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap(),
            access(None, Some(AccessLevel::Admin), Some(OrgRole::Member)),
            "{l}: highest of three"
        );
        s.remove_team_member(admins.id, bob.id).await.unwrap();
        s.set_collaborator(r.id, bob.id, AccessLevel::Read)
            .await
            .unwrap();
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap(),
            access(
                Some(AccessLevel::Read),
                Some(AccessLevel::Write),
                Some(OrgRole::Member)
            ),
            "{l}: each source reported on its own"
        );
        // A team's permission change applies at once.
        s.update_team(writers.id, "", AccessLevel::Read)
            .await
            .unwrap();
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap().team,
            Some(AccessLevel::Read),
            "{l}"
        );
        assert_eq!(
            s.repo_access(r.id, erin.id).await.unwrap(),
            access(None, None, Some(OrgRole::Member)),
            "{l}: a team not linked to the repository grants nothing"
        );
        assert_eq!(
            s.repo_access(r.id, dave.id).await.unwrap(),
            RepoAccess::default(),
            "{l}: non-members still have nothing"
        );

        // The facts the policy reads.
        let facts = r.facts(Some(bob.id), s.repo_access(r.id, bob.id).await.unwrap());
        assert_eq!(
            (
                facts.private,
                facts.actor_is_owner,
                facts.org_role,
                facts.team_level,
                facts.collaborator_level
            ),
            (
                true,
                false,
                Some(OrgRole::Member),
                Some(AccessLevel::Read),
                Some(AccessLevel::Read)
            ),
            "{l}"
        );
        assert!(
            personal
                .facts(Some(carol.id), RepoAccess::default())
                .actor_is_owner,
            "{l}"
        );
        assert!(
            !personal.facts(None, RepoAccess::default()).actor_is_owner,
            "{l}"
        );
    }
}

#[tokio::test]
async fn repo_access_many_matches_repo_access() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let carol = user(&s, "carol").await;
        let acme = org(&s, &alice, "acme").await;
        let beta = org(&s, &bob, "beta").await;
        s.set_org_member(acme.id, bob.id, OrgRole::Member)
            .await
            .unwrap();
        let devs = team(&s, acme.id, "devs", AccessLevel::Write).await;
        let ops = team(&s, acme.id, "ops", AccessLevel::Admin).await;
        s.add_team_member(devs.id, bob.id).await.unwrap();
        s.add_team_member(ops.id, carol.id).await.unwrap();
        let mut repos = Vec::new();
        for (i, owner) in [acme.id, acme.id, acme.id, beta.id, alice.id, carol.id]
            .into_iter()
            .enumerate()
        {
            repos.push(repo(&s, owner, &format!("r{i}"), i % 2 == 0).await);
        }
        s.add_repo_team(repos[0].id, devs.id).await.unwrap();
        s.add_repo_team(repos[1].id, devs.id).await.unwrap();
        s.add_repo_team(repos[1].id, ops.id).await.unwrap();
        s.set_collaborator(repos[2].id, carol.id, AccessLevel::Read)
            .await
            .unwrap();
        s.set_collaborator(repos[3].id, alice.id, AccessLevel::Admin)
            .await
            .unwrap();
        s.set_collaborator(repos[4].id, bob.id, AccessLevel::Write)
            .await
            .unwrap();

        let mut ids: Vec<i64> = repos.iter().map(|r| r.id).collect();
        ids.push(9999); // missing: left out of the answer
        ids.push(repos[0].id); // repeated: answered once
        for u in [&alice, &bob, &carol] {
            let many = s.repo_access_many(&ids, u.id).await.unwrap();
            assert_eq!(many.len(), repos.len(), "{l}: {}", u.name);
            for r in &repos {
                assert_eq!(
                    many.get(&r.id),
                    Some(&s.repo_access(r.id, u.id).await.unwrap()),
                    "{l}: {} on {}",
                    u.name,
                    r.name
                );
            }
        }
        // The other way round: many users to one repository.
        let people = [alice.id, bob.id, carol.id, 9999, bob.id];
        for r in &repos {
            let of_users = s.repo_access_of_users(r.id, &people).await.unwrap();
            assert_eq!(of_users.len(), 3, "{l}: missing users are left out");
            for u in [&alice, &bob, &carol] {
                assert_eq!(
                    of_users.get(&u.id),
                    Some(&s.repo_access(r.id, u.id).await.unwrap()),
                    "{l}: {} on {}",
                    u.name,
                    r.name
                );
            }
        }
        assert!(
            s.repo_access_of_users(9999, &people)
                .await
                .unwrap()
                .is_empty(),
            "{l}"
        );
        // Spot checks, so that agreeing on wrong answers would not pass.
        let bobs = s.repo_access_many(&ids, bob.id).await.unwrap();
        assert_eq!(bobs[&repos[1].id].team, Some(AccessLevel::Write), "{l}");
        assert_eq!(bobs[&repos[3].id].org_role, Some(OrgRole::Owner), "{l}");
        let carols = s.repo_access_many(&ids, carol.id).await.unwrap();
        assert_eq!(carols[&repos[1].id].team, Some(AccessLevel::Admin), "{l}");
        assert_eq!(
            carols[&repos[0].id],
            access(None, None, Some(OrgRole::Member)),
            "{l}: in acme through her team, and devs is not hers"
        );
        assert_eq!(carols[&repos[3].id], RepoAccess::default(), "{l}");

        assert!(
            s.repo_access_many(&[], bob.id).await.unwrap().is_empty(),
            "{l}"
        );
        // Longer than one batch, with ids of every list length's padding.
        let mut long: Vec<i64> = (100_000..101_000).collect();
        long.extend(&ids);
        let many = s.repo_access_many(&long, bob.id).await.unwrap();
        assert_eq!(many, bobs, "{l}");
        for n in 1..=repos.len() {
            let some = s.repo_access_many(&ids[..n], bob.id).await.unwrap();
            assert_eq!(some.len(), n, "{l}");
        }
    }
}

#[tokio::test]
async fn collaborators_upsert_and_removal() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let carol = user(&s, "carol").await;
        let bob = user(&s, "Bob").await;
        let acme = org(&s, &alice, "acme").await;
        let r = repo(&s, alice.id, "r", false).await;
        assert!(s.collaborators(r.id).await.unwrap().is_empty(), "{l}");

        s.set_collaborator(r.id, carol.id, AccessLevel::Write)
            .await
            .unwrap();
        s.set_collaborator(r.id, bob.id, AccessLevel::Read)
            .await
            .unwrap();
        let listed = s.collaborators(r.id).await.unwrap();
        let summary: Vec<(&str, AccessLevel)> = listed
            .iter()
            .map(|c| (c.user.name.as_str(), c.level))
            .collect();
        assert_eq!(
            summary,
            [("Bob", AccessLevel::Read), ("carol", AccessLevel::Write)],
            "{l}: by name"
        );
        assert_eq!(listed[1].user, carol, "{l}");
        let since = listed[1].since;

        s.set_collaborator(r.id, carol.id, AccessLevel::Admin)
            .await
            .unwrap();
        let listed = s.collaborators(r.id).await.unwrap();
        assert_eq!(listed.len(), 2, "{l}: an upsert, not a second row");
        assert_eq!(
            (listed[1].level, listed[1].since),
            (AccessLevel::Admin, since),
            "{l}: level changed, since kept"
        );

        let refused = s.set_collaborator(r.id, acme.id, AccessLevel::Read).await;
        assert!(
            matches!(refused, Err(StoreError::NotFound)),
            "{l}: an org is no collaborator: {refused:?}"
        );
        let refused = s.set_collaborator(r.id, 9999, AccessLevel::Read).await;
        assert!(
            matches!(refused, Err(StoreError::NotFound)),
            "{l}: {refused:?}"
        );
        let refused = s.set_collaborator(9999, bob.id, AccessLevel::Read).await;
        assert!(
            matches!(refused, Err(StoreError::NotFound)),
            "{l}: no such repository: {refused:?}"
        );
        assert_eq!(s.collaborators(r.id).await.unwrap().len(), 2, "{l}");

        s.remove_collaborator(r.id, bob.id).await.unwrap();
        let listed = s.collaborators(r.id).await.unwrap();
        assert_eq!(listed.len(), 1, "{l}");
        assert_eq!(listed[0].user.id, carol.id, "{l}");
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap(),
            RepoAccess::default(),
            "{l}"
        );
        let again = s.remove_collaborator(r.id, bob.id).await;
        assert!(matches!(again, Err(StoreError::NotFound)), "{l}: {again:?}");
        assert!(s.user_by_id(bob.id).await.unwrap().is_some(), "{l}");
    }
}

#[tokio::test]
async fn repo_teams_only_from_the_owning_org() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;
        let beta = org(&s, &alice, "beta").await;
        let r = repo(&s, acme.id, "r", false).await;
        let personal = repo(&s, alice.id, "personal", false).await;
        let writers = team(&s, acme.id, "Writers", AccessLevel::Write).await;
        let admins = team(&s, acme.id, "admins", AccessLevel::Admin).await;
        let foreign = team(&s, beta.id, "devs", AccessLevel::Admin).await;
        s.add_team_member(writers.id, bob.id).await.unwrap();
        s.add_team_member(foreign.id, bob.id).await.unwrap();
        assert!(s.repo_teams(r.id).await.unwrap().is_empty(), "{l}");

        s.add_repo_team(r.id, writers.id).await.unwrap();
        s.add_repo_team(r.id, writers.id).await.unwrap();
        s.add_repo_team(r.id, admins.id).await.unwrap();
        let teams = s.repo_teams(r.id).await.unwrap();
        let summary: Vec<(&str, AccessLevel, i64)> = teams
            .iter()
            .map(|t| (t.name.as_str(), t.permission, t.member_count))
            .collect();
        assert_eq!(
            summary,
            [
                ("admins", AccessLevel::Admin, 0),
                ("Writers", AccessLevel::Write, 1)
            ],
            "{l}: by name, once each, with member counts"
        );

        let refused = s.add_repo_team(r.id, foreign.id).await;
        assert!(
            matches!(refused, Err(StoreError::NotFound)),
            "{l}: another org's team: {refused:?}"
        );
        let refused = s.add_repo_team(personal.id, writers.id).await;
        assert!(
            matches!(refused, Err(StoreError::NotFound)),
            "{l}: a user's repository has no teams: {refused:?}"
        );
        for (repo_id, team_id) in [(9999, writers.id), (r.id, 9999)] {
            let refused = s.add_repo_team(repo_id, team_id).await;
            assert!(
                matches!(refused, Err(StoreError::NotFound)),
                "{l}: {refused:?}"
            );
        }
        assert_eq!(s.repo_teams(r.id).await.unwrap().len(), 2, "{l}");
        assert!(s.repo_teams(personal.id).await.unwrap().is_empty(), "{l}");
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap().team,
            Some(AccessLevel::Write),
            "{l}: the foreign admin team counts for nothing"
        );

        s.remove_repo_team(r.id, writers.id).await.unwrap();
        assert_eq!(
            s.repo_teams(r.id).await.unwrap(),
            std::slice::from_ref(&admins),
            "{l}"
        );
        assert_eq!(s.repo_access(r.id, bob.id).await.unwrap().team, None, "{l}");
        let again = s.remove_repo_team(r.id, writers.id).await;
        assert!(matches!(again, Err(StoreError::NotFound)), "{l}: {again:?}");
        assert!(
            s.team_by_id(writers.id).await.unwrap().is_some(),
            "{l}: the team stays"
        );
    }
}

#[tokio::test]
async fn deleting_an_org_cascades_its_repositories() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;
        let beta = org(&s, &alice, "beta").await;
        let devs = team(&s, acme.id, "devs", AccessLevel::Write).await;
        s.add_team_member(devs.id, bob.id).await.unwrap();
        let a1 = repo(&s, acme.id, "one", false).await;
        let a2 = repo(&s, acme.id, "two", true).await;
        let kept = repo(&s, beta.id, "one", false).await;
        let own = repo(&s, bob.id, "one", false).await;
        s.add_repo_team(a1.id, devs.id).await.unwrap();
        s.set_collaborator(a2.id, bob.id, AccessLevel::Admin)
            .await
            .unwrap();
        s.set_collaborator(kept.id, bob.id, AccessLevel::Read)
            .await
            .unwrap();
        assert_eq!(s.count_repos_of_owner(acme.id).await.unwrap(), 2, "{l}");
        assert_eq!(s.count_repos().await.unwrap(), 4, "{l}");

        s.delete_org(acme.id).await.unwrap();
        assert_eq!(s.count_repos_of_owner(acme.id).await.unwrap(), 0, "{l}");
        assert_eq!(s.count_repos().await.unwrap(), 2, "{l}");
        for r in [&a1, &a2] {
            assert_eq!(s.repo_by_id(r.id).await.unwrap(), None, "{l}");
            assert!(s.collaborators(r.id).await.unwrap().is_empty(), "{l}");
            assert!(s.repo_teams(r.id).await.unwrap().is_empty(), "{l}");
        }
        assert_eq!(s.repo_by_name("acme", "one").await.unwrap(), None, "{l}");
        assert_eq!(
            s.repo_by_name("beta", "one").await.unwrap(),
            Some(kept.clone()),
            "{l}"
        );
        assert_eq!(
            s.repo_by_id(own.id).await.unwrap(),
            Some(own.clone()),
            "{l}"
        );
        assert_eq!(s.collaborators(kept.id).await.unwrap().len(), 1, "{l}");
        assert!(s.user_by_id(bob.id).await.unwrap().is_some(), "{l}");
        let many = s
            .repo_access_many(&[a1.id, a2.id, kept.id], bob.id)
            .await
            .unwrap();
        assert_eq!(many.keys().copied().collect::<Vec<_>>(), [kept.id], "{l}");
    }
}

#[tokio::test]
async fn deleting_a_team_unlinks_it_from_repositories() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;
        let devs = team(&s, acme.id, "devs", AccessLevel::Write).await;
        let ops = team(&s, acme.id, "ops", AccessLevel::Read).await;
        s.add_team_member(devs.id, bob.id).await.unwrap();
        s.add_team_member(ops.id, bob.id).await.unwrap();
        let r = repo(&s, acme.id, "r", false).await;
        s.add_repo_team(r.id, devs.id).await.unwrap();
        s.add_repo_team(r.id, ops.id).await.unwrap();
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap().team,
            Some(AccessLevel::Write),
            "{l}"
        );

        s.delete_team(devs.id).await.unwrap();
        let teams: Vec<String> = s
            .repo_teams(r.id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(teams, ["ops"], "{l}");
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap().team,
            Some(AccessLevel::Read),
            "{l}"
        );
        s.delete_team(ops.id).await.unwrap();
        assert!(s.repo_teams(r.id).await.unwrap().is_empty(), "{l}");
        assert_eq!(
            s.repo_access(r.id, bob.id).await.unwrap(),
            access(None, None, Some(OrgRole::Member)),
            "{l}"
        );
        assert!(
            s.repo_by_id(r.id).await.unwrap().is_some(),
            "{l}: the repository stays"
        );
    }
}

#[tokio::test]
async fn concurrent_repo_creation_conflicts_cleanly() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let s = Store::clone(&s);
                tokio::spawn(async move {
                    let name = repo_name(if i % 2 == 0 { "Same" } else { "same" });
                    s.create_repo(NewRepo {
                        owner_id: alice.id,
                        name: &name,
                        description: "",
                        is_private: false,
                        default_branch: "main",
                    })
                    .await
                })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict(ConflictField::Name)) => {}
                Err(e) => panic!("{l}: {e}"),
            }
        }
        assert_eq!(ok, 1, "{l}");
        assert_eq!(s.count_repos().await.unwrap(), 1, "{l}");
    }
}

// ---- Personal access tokens ----

/// A stand-in for the SHA-256 hex of a secret.
fn token_hash(n: u64) -> String {
    format!("{n:064x}")
}

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn token(s: &Store, user_id: i64, name: &str, n: u64, scope_list: &[&str]) -> AccessToken {
    let hash = token_hash(n);
    let scope_list = scopes(scope_list);
    s.create_token(NewToken {
        user_id,
        name,
        token_hash: &hash,
        token_last_eight: &hash[56..],
        scopes: &scope_list,
    })
    .await
    .expect("create token")
}

#[tokio::test]
async fn tokens_create_list_and_find_by_hash() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let acme = org(&s, &alice, "acme").await;

        let before = hatchery_store::now_ms();
        let ci = token(
            &s,
            alice.id,
            "CI",
            0xc1,
            &["read:repository", "write:issue"],
        )
        .await;
        assert_eq!(
            (
                ci.user_id,
                ci.name.as_str(),
                ci.token_last_eight.as_str(),
                ci.last_used_at
            ),
            (alice.id, "CI", "000000c1", None),
            "{l}"
        );
        assert_eq!(
            ci.scopes,
            scopes(&["read:repository", "write:issue"]),
            "{l}"
        );
        assert!(ci.created_at >= before, "{l}");
        let laptop = token(&s, alice.id, "laptop", 2, &[]).await;
        assert!(laptop.scopes.is_empty(), "{l}: no scopes round-trips");
        let deploy = token(&s, alice.id, "deploy", 3, &["all"]).await;

        // Names are unique per user in any case; another user may reuse one.
        let hash = token_hash(4);
        let r = s
            .create_token(NewToken {
                user_id: alice.id,
                name: "ci",
                token_hash: &hash,
                token_last_eight: &hash[56..],
                scopes: &[],
            })
            .await;
        assert!(is_conflict(&r, ConflictField::Name), "{l}: {r:?}");
        let bobs = token(&s, bob.id, "ci", 5, &["read:user"]).await;
        // Only users have tokens.
        for user_id in [acme.id, 9999] {
            let hash = token_hash(6);
            let r = s
                .create_token(NewToken {
                    user_id,
                    name: "x",
                    token_hash: &hash,
                    token_last_eight: &hash[56..],
                    scopes: &[],
                })
                .await;
            assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
        }
        // Scopes must survive the space-separated column.
        let hash = token_hash(7);
        let bad = scopes(&["read:repository write:repository"]);
        let r = s
            .create_token(NewToken {
                user_id: alice.id,
                name: "bad",
                token_hash: &hash,
                token_last_eight: &hash[56..],
                scopes: &bad,
            })
            .await;
        assert!(matches!(r, Err(StoreError::Database(_))), "{l}: {r:?}");

        assert_eq!(
            s.tokens_of_user(alice.id).await.unwrap(),
            [deploy.clone(), laptop.clone(), ci.clone()],
            "{l}: newest first"
        );
        assert_eq!(
            s.tokens_of_user(bob.id).await.unwrap(),
            std::slice::from_ref(&bobs),
            "{l}"
        );
        assert!(s.tokens_of_user(acme.id).await.unwrap().is_empty(), "{l}");

        assert_eq!(
            s.user_by_token_hash(&token_hash(0xc1)).await.unwrap(),
            Some((alice.clone(), ci.clone())),
            "{l}"
        );
        assert_eq!(
            s.user_by_token_hash(&token_hash(5)).await.unwrap(),
            Some((bob.clone(), bobs.clone())),
            "{l}"
        );
        for unknown in [
            token_hash(4),
            token_hash(0xc1).to_uppercase(),
            String::new(),
        ] {
            assert_eq!(
                s.user_by_token_hash(&unknown).await.unwrap(),
                None,
                "{l}: {unknown:?}"
            );
        }
    }
}

#[tokio::test]
async fn tokens_are_deleted_only_by_their_user() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let bob = user(&s, "bob").await;
        let t = token(&s, alice.id, "ci", 1, &["read:repository"]).await;

        let r = s.delete_token(bob.id, t.id).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
        assert!(
            s.user_by_token_hash(&token_hash(1))
                .await
                .unwrap()
                .is_some(),
            "{l}: still valid"
        );

        s.delete_token(alice.id, t.id).await.unwrap();
        assert!(
            s.user_by_token_hash(&token_hash(1))
                .await
                .unwrap()
                .is_none(),
            "{l}: revoked"
        );
        assert!(s.tokens_of_user(alice.id).await.unwrap().is_empty(), "{l}");
        let r = s.delete_token(alice.id, t.id).await;
        assert!(matches!(r, Err(StoreError::NotFound)), "{l}: {r:?}");
        // The name is free again.
        token(&s, alice.id, "CI", 2, &[]).await;
    }
}

#[tokio::test]
async fn touching_a_token_records_its_last_use() {
    for s in stores().await {
        let l = s.label();
        let alice = user(&s, "alice").await;
        let t = token(&s, alice.id, "ci", 1, &[]).await;
        let other = token(&s, alice.id, "other", 2, &[]).await;
        let now = hatchery_store::now_ms();

        s.touch_token(t.id, now).await.unwrap();
        let (_, found) = s.user_by_token_hash(&token_hash(1)).await.unwrap().unwrap();
        assert_eq!(found.last_used_at, Some(now), "{l}");
        s.touch_token(t.id, now - 1000).await.unwrap();
        let (_, found) = s.user_by_token_hash(&token_hash(1)).await.unwrap().unwrap();
        assert_eq!(found.last_used_at, Some(now), "{l}: never moves back");
        s.touch_token(t.id, now + 1000).await.unwrap();
        let listed = s.tokens_of_user(alice.id).await.unwrap();
        let last_used: Vec<(i64, Option<i64>)> =
            listed.iter().map(|t| (t.id, t.last_used_at)).collect();
        assert_eq!(
            last_used,
            [(other.id, None), (t.id, Some(now + 1000))],
            "{l}: other tokens untouched"
        );
        s.touch_token(9999, now)
            .await
            .unwrap_or_else(|e| panic!("{l}: a vanished token is no error: {e}"));
    }
}

#[tokio::test]
async fn new_token_debug_redacts_the_hash() {
    let hash = token_hash(0xdead_beef);
    let scope_list = scopes(&["read:repository"]);
    let new = NewToken {
        user_id: 1,
        name: "ci",
        token_hash: &hash,
        token_last_eight: &hash[56..],
        scopes: &scope_list,
    };
    let debug = format!("{new:?}");
    assert!(
        !debug.contains(&hash) && debug.contains("[redacted]") && debug.contains("ci"),
        "{debug}"
    );
}
