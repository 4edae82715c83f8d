//! LDAP sign-in and team sync against a real OpenLDAP `slapd` started by the test, on every
//! store backend: search then bind and bind as user, plain, StartTLS and LDAPS with the
//! run's CA, groups by `memberOf` and by group search, accounts created and placed in the
//! mapped teams, a user whose group changes between two syncs, an idempotent second sync,
//! LDAP injection in the user name, wrong and empty passwords, and a directory that is down
//! (a clear answer, local accounts unaffected).

use hatchery_core::signin::{LdapSecurity, LdapSettings, SourceSettings};
use hatchery_core::{AccessLevel, Actor};
use hatchery_service::signin::SignIn;
use hatchery_service::sources::SourceInput;
use hatchery_service::{Forge, SignInPolicy};
use hatchery_store::Store;
use hatchery_store::testing::{fixtures, stores};
use hatchery_testkit::slapd::{self, Slapd};

const OPERATOR: Actor = Actor::User {
    id: 0,
    site_admin: true,
};

fn directory() -> Slapd {
    let mut ldif = String::new();
    ldif.push_str(&slapd::person("ada", "Ada Lovelace", "ada-pass"));
    ldif.push_str(&slapd::person("grace", "Grace Hopper", "grace-pass"));
    ldif.push_str(&slapd::person("eve", "Eve", "eve-pass"));
    ldif.push_str(&slapd::group("staff", &["ada", "grace"]));
    ldif.push_str(&slapd::group("students", &["eve"]));
    ldif.push_str(&slapd::group("admins", &["grace"]));
    Slapd::start(&ldif)
}

fn settings(d: &Slapd, security: LdapSecurity, member_of: bool) -> LdapSettings {
    LdapSettings {
        host: "127.0.0.1".into(),
        port: if security == LdapSecurity::Ldaps {
            d.tls_port
        } else {
            d.port
        },
        security,
        ca_file: if security == LdapSecurity::Plain {
            String::new()
        } else {
            d.ca_file().display().to_string()
        },
        bind_dn: slapd::ROOT_DN.into(),
        bind_password: slapd::ROOT_PASSWORD.into(),
        user_base: format!("ou=people,{}", slapd::SUFFIX),
        user_filter: "(&(objectClass=inetOrgPerson)(uid=%s))".into(),
        attr_member_of: if member_of {
            "memberOf".into()
        } else {
            String::new()
        },
        group_base: format!("ou=groups,{}", slapd::SUFFIX),
        group_filter: "(&(objectClass=groupOfNames)(member=%s))".into(),
        admin_group: slapd::group_dn("admins"),
        timeout_secs: 5,
        ..LdapSettings::default()
    }
}

struct Site {
    forge: Forge,
    staff: i64,
    students: i64,
    other: i64,
}

/// A site with `boss` (local, admin), organization `lab` with teams staff, students and
/// other (not mapped), and the LDAP source `name`.
async fn site(store: &Store, dir: &std::path::Path, name: &str, s: LdapSettings) -> Site {
    let forge = Forge::new(store.clone(), dir.to_path_buf(), SignInPolicy::new(5, 15));
    let boss = fixtures::user(store, "boss").await;
    forge
        .change_password(boss.id, "boss-password", None)
        .await
        .unwrap();
    let lab = fixtures::org(store, &boss, "lab").await;
    let staff = fixtures::team(store, lab.id, "staff", AccessLevel::Write).await;
    let students = fixtures::team(store, lab.id, "students", AccessLevel::Read).await;
    let other = fixtures::team(store, lab.id, "other", AccessLevel::Read).await;
    forge
        .admin_create_source(
            OPERATOR,
            SourceInput {
                name: name.into(),
                is_enabled: true,
                auto_create: true,
                settings: SourceSettings::Ldap(s),
                mappings: format!(
                    "{} -> lab/staff\n{} -> lab/students\n",
                    slapd::group_dn("staff"),
                    slapd::group_dn("students")
                ),
            },
        )
        .await
        .expect("source saved");
    Site {
        forge,
        staff: staff.id,
        students: students.id,
        other: other.id,
    }
}

async fn teams(store: &Store, name: &str) -> std::collections::BTreeSet<i64> {
    let u = store.user_by_name(name).await.unwrap().expect("account");
    store.team_ids_of_user(u.id).await.unwrap()
}

#[tokio::test]
async fn directory_users_sign_in_and_follow_their_groups() {
    let d = directory();
    for ts in stores().await {
        let label = ts.label().to_owned();
        let store = ts.store();
        let tmp = tempfile::tempdir().unwrap();
        let site = site(
            store,
            tmp.path(),
            "Directory",
            settings(&d, LdapSecurity::StartTls, false),
        )
        .await;
        let f = &site.forge;

        // First sign-in: the account is made, without a local password, in its teams.
        let r = f
            .sign_in("ada", "ada-pass", Some("10.0.0.1"))
            .await
            .unwrap();
        let SignIn::Ok(ada) = r else {
            panic!("[{label}] {r:?}")
        };
        assert_eq!(
            (ada.email.as_str(), ada.display_name.as_str()),
            ("ada@uni.example", "Ada Lovelace"),
            "[{label}]"
        );
        assert!(!ada.is_admin, "[{label}]");
        assert!(
            store.credentials_by_login("ada").await.unwrap().is_none(),
            "[{label}] no password kept"
        );
        assert_eq!(teams(store, "ada").await, [site.staff].into(), "[{label}]");
        // Grace is in the administrators' group.
        let SignIn::Ok(grace) = f.sign_in("grace", "grace-pass", None).await.unwrap() else {
            panic!("[{label}]")
        };
        assert!(grace.is_admin, "[{label}] admin by group");
        // Someone in an unmanaged team keeps it.
        store.add_team_member(site.other, ada.id).await.unwrap();

        // Refusals: wrong and empty passwords, injection, unknown users. Nothing is created.
        for (login, password) in [
            ("ada", "wrong"),
            ("ada", ""),
            ("*)(uid=*", "ada-pass"),
            ("*", "ada-pass"),
            ("ada)(|(uid=*", "ada-pass"),
            ("nobody", "x"),
        ] {
            let r = f.sign_in(login, password, Some("10.0.0.2")).await.unwrap();
            assert!(matches!(r, SignIn::Invalid), "[{label}] {login:?}: {r:?}");
        }
        assert_eq!(
            store.count_users().await.unwrap(),
            3,
            "[{label}] boss, ada, grace"
        );

        // Eve signs in; then ada moves from staff to students.
        f.sign_in("eve", "eve-pass", None).await.unwrap();
        d.modify(&format!(
            "dn: {}\nchangetype: modify\ndelete: member\nmember: uid=ada,ou=people,{s}\n\ndn: {}\nchangetype: modify\nadd: member\nmember: uid=ada,ou=people,{s}\n",
            slapd::group_dn("staff"),
            slapd::group_dn("students"),
            s = slapd::SUFFIX
        ));
        let source = store
            .auth_source_by_name("Directory")
            .await
            .unwrap()
            .unwrap();
        let r = f.sync_source(&source).await.unwrap();
        assert_eq!((r.users, r.added, r.removed), (3, 1, 1), "[{label}] {r:?}");
        assert_eq!(
            teams(store, "ada").await,
            [site.students, site.other].into(),
            "[{label}] left staff, kept other"
        );
        assert_eq!(
            teams(store, "grace").await,
            [site.staff].into(),
            "[{label}]"
        );
        // Idempotent.
        let r = f.sync_source(&source).await.unwrap();
        assert_eq!(
            (r.added, r.removed),
            (0, 0),
            "[{label}] a second run changes nothing"
        );
        // The next sign-in agrees with the sync.
        f.sign_in("ada", "ada-pass", None).await.unwrap();
        assert_eq!(
            teams(store, "ada").await,
            [site.students, site.other].into(),
            "[{label}]"
        );
        // Put ada back for the next backend.
        d.modify(&format!(
            "dn: {}\nchangetype: modify\nadd: member\nmember: uid=ada,ou=people,{s}\n\ndn: {}\nchangetype: modify\ndelete: member\nmember: uid=ada,ou=people,{s}\n",
            slapd::group_dn("staff"),
            slapd::group_dn("students"),
            s = slapd::SUFFIX
        ));
    }
}

#[tokio::test]
async fn member_of_bind_as_user_and_ldaps() {
    let d = directory();
    for ts in stores().await {
        let label = ts.label().to_owned();
        let store = ts.store();
        let tmp = tempfile::tempdir().unwrap();
        // LDAPS, groups from memberOf (kept by the overlay), binding as the user.
        let mut s = settings(&d, LdapSecurity::Ldaps, true);
        s.user_dn = format!("uid=%s,ou=people,{}", slapd::SUFFIX);
        s.user_base = String::new();
        s.user_filter = String::new();
        let site = site(store, tmp.path(), "Directory", s).await;
        let r = site.forge.sign_in("ada", "ada-pass", None).await.unwrap();
        assert!(matches!(r, SignIn::Ok(_)), "[{label}] {r:?}");
        assert_eq!(
            teams(store, "ada").await,
            [site.staff].into(),
            "[{label}] groups from memberOf"
        );
        // The DN template escapes the name too.
        let r = site
            .forge
            .sign_in("ada,ou=people", "ada-pass", None)
            .await
            .unwrap();
        assert!(matches!(r, SignIn::Invalid), "[{label}] {r:?}");
        // Test connection: bind-as-user sources have nothing to count.
        let id = store
            .auth_source_by_name("Directory")
            .await
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(
            site.forge.admin_test_source(OPERATOR, id).await.unwrap(),
            hatchery_service::sources::SourceTest::Users(0),
            "[{label}]"
        );
    }
}

#[tokio::test]
async fn tls_needs_the_right_authority_and_test_connection_says_why() {
    let d = directory();
    for ts in stores().await {
        let label = ts.label().to_owned();
        let store = ts.store();
        let tmp = tempfile::tempdir().unwrap();
        let site = site(
            store,
            tmp.path(),
            "Directory",
            settings(&d, LdapSecurity::StartTls, false),
        )
        .await;
        let id = store
            .auth_source_by_name("Directory")
            .await
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(
            site.forge.admin_test_source(OPERATOR, id).await.unwrap(),
            hatchery_service::sources::SourceTest::Users(3),
            "[{label}] three people"
        );
        // Without the run's CA, the directory's certificate is not trusted.
        let mut untrusted = settings(&d, LdapSecurity::Ldaps, false);
        untrusted.ca_file = String::new();
        let r = hatchery_service::ldap::authenticate(&untrusted, "ada", "ada-pass").await;
        assert!(r.is_err(), "[{label}] {r:?}");
        // A wrong bind password is reported by "test connection".
        let mut wrong = settings(&d, LdapSecurity::Plain, false);
        wrong.bind_password = "nope".into();
        let r = hatchery_service::ldap::test_connection(&wrong).await;
        assert!(r.unwrap_err().to_string().contains("bind DN"), "[{label}]");
    }
}

#[tokio::test]
async fn a_directory_that_is_down_gives_a_clear_answer_and_local_accounts_work() {
    let mut d = directory();
    for ts in stores().await {
        let label = ts.label().to_owned();
        let store = ts.store();
        let tmp = tempfile::tempdir().unwrap();
        let site = site(
            store,
            tmp.path(),
            "Directory",
            settings(&d, LdapSecurity::Plain, false),
        )
        .await;
        d.stop();
        let started = std::time::Instant::now();
        let r = site
            .forge
            .sign_in("ada", "ada-pass", Some("10.0.0.3"))
            .await
            .unwrap();
        assert!(matches!(r, SignIn::DirectoryDown), "[{label}] {r:?}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(6),
            "[{label}] within the timeout"
        );
        let r = site
            .forge
            .sign_in("boss", "boss-password", Some("10.0.0.3"))
            .await
            .unwrap();
        assert!(
            matches!(r, SignIn::Ok(_)),
            "[{label}] local accounts still work: {r:?}"
        );
        assert!(
            store.user_by_name("ada").await.unwrap().is_none(),
            "[{label}]"
        );
        let id = store
            .auth_source_by_name("Directory")
            .await
            .unwrap()
            .unwrap()
            .id;
        assert!(
            site.forge.admin_sync_source(OPERATOR, id).await.is_ok(),
            "[{label}] no linked accounts: nothing to ask"
        );
    }
}
