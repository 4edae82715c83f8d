//! LDAP sign-in and team sync against a real OpenLDAP `slapd` (bench/ldap.sh; issue 12's
//! speed goals, recorded in BENCHMARKS.md "LDAP sign-in and team sync").
//!
//! The directory holds USERS people and GROUPS groups (person i is in groups i mod GROUPS
//! and (i + 1) mod GROUPS); the source maps every group to a team of its own. Measured:
//! - sign-in through `Forge::sign_in` (the form's path: local lookup, throttle counters, the
//!   directory, the account and its teams) against the directory's own answer for the same
//!   credentials (`ldap::authenticate`: bind, search, bind as the user, groups), per sign-in,
//!   first sign-ins (which create the account) and repeated ones;
//! - the team sync of every linked account (all USERS), run twice (the second must change
//!   nothing), then again after 100 people changed groups in the directory.
//!
//!   cargo run --release -p hatchery-service --example ldap_bench -- [USERS] [GROUPS] [SIGNINS]

#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark report is its output

use std::time::{Duration, Instant};

use hatchery_core::signin::{LdapSecurity, LdapSettings, SourceSettings};
use hatchery_core::{AccessLevel, Actor};
use hatchery_service::signin::SignIn;
use hatchery_service::sources::SourceInput;
use hatchery_service::{Forge, SignInPolicy, ldap};
use hatchery_store::testing::{self, fixtures};
use hatchery_testkit::slapd::{self, Slapd};

const OPERATOR: Actor = Actor::User {
    id: 0,
    site_admin: true,
};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p90(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() * 9 / 10).min(v.len() - 1)]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers"))
        .collect();
    let users = args.first().copied().unwrap_or(5000);
    let groups = args.get(1).copied().unwrap_or(200);
    let signins = args.get(2).copied().unwrap_or(200).min(users);

    let started = Instant::now();
    let mut ldif = String::new();
    for i in 0..users {
        ldif.push_str(&slapd::person(
            &format!("u{i}"),
            &format!("User {i}"),
            &format!("pw-{i}"),
        ));
    }
    let mut members: Vec<Vec<String>> = vec![Vec::new(); groups];
    for i in 0..users {
        members[i % groups].push(format!("u{i}"));
        members[(i + 1) % groups].push(format!("u{i}"));
    }
    for (g, m) in members.iter().enumerate() {
        let m: Vec<&str> = m.iter().map(String::as_str).collect();
        ldif.push_str(&slapd::group(&format!("g{g}"), &m));
    }
    let d = Slapd::start(&ldif);
    eprintln!(
        "directory: {users} people, {groups} groups, loaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let ts = testing::sqlite().await;
    let store = ts.store();
    let repos = tempfile::tempdir().expect("temporary directory");
    let forge = Forge::new(
        store.clone(),
        repos.path().to_path_buf(),
        SignInPolicy::new(5, 15),
    );
    let boss = fixtures::user(store, "boss").await;
    let lab = fixtures::org(store, &boss, "lab").await;
    let mut mappings = String::new();
    for g in 0..groups {
        fixtures::team(store, lab.id, &format!("t{g}"), AccessLevel::Read).await;
        mappings.push_str(&format!(
            "{} -> lab/t{g}\n",
            slapd::group_dn(&format!("g{g}"))
        ));
    }
    let settings = LdapSettings {
        host: "127.0.0.1".into(),
        port: d.port,
        security: LdapSecurity::Plain,
        bind_dn: slapd::ROOT_DN.into(),
        bind_password: slapd::ROOT_PASSWORD.into(),
        user_base: format!("ou=people,{}", slapd::SUFFIX),
        user_filter: "(&(objectClass=inetOrgPerson)(uid=%s))".into(),
        attr_member_of: "memberOf".into(),
        timeout_secs: 10,
        ..LdapSettings::default()
    };
    let source = forge
        .admin_create_source(
            OPERATOR,
            SourceInput {
                name: "Directory".into(),
                is_enabled: true,
                auto_create: true,
                settings: SourceSettings::Ldap(settings.clone()),
                mappings,
            },
        )
        .await
        .expect("source saved");

    // Sign-ins: each person twice (first creates the account), and the directory alone.
    let mut directory = Vec::new();
    let mut first = Vec::new();
    let mut again = Vec::new();
    for round in 0..2 {
        for i in 0..signins {
            let (login, password) = (format!("u{i}"), format!("pw-{i}"));
            let t = Instant::now();
            ldap::authenticate(&settings, &login, &password)
                .await
                .expect("the directory accepts");
            directory.push(ms(t.elapsed()));
            let t = Instant::now();
            let r = forge
                .sign_in(&login, &password, Some("10.0.0.1"))
                .await
                .expect("sign-in");
            let took = ms(t.elapsed());
            assert!(matches!(r, SignIn::Ok(_)), "{login}: {r:?}");
            if round == 0 { &mut first } else { &mut again }.push(took);
        }
    }
    let dir = median(&mut directory);
    println!(
        "sign-in, {signins} people: directory alone median {dir:.2} ms (p90 {:.2}); \
         Forge::sign_in first time (creates the account) median {:.2} ms (p90 {:.2}), \
         again median {:.2} ms (p90 {:.2}); beyond the directory: first {:.2} ms, again {:.2} ms",
        p90(&mut directory),
        median(&mut first),
        p90(&mut first),
        median(&mut again),
        p90(&mut again),
        median(&mut first) - dir,
        median(&mut again) - dir,
    );

    // Every other person is linked as if they had signed in once.
    for i in signins..users {
        store
            .create_external_user(
                source.id,
                &format!("u{i}"),
                fixtures::new_user_without_password(&format!("u{i}"), &format!("u{i}@uni.example")),
            )
            .await
            .expect("linked account");
    }
    for (label, change) in [
        ("first", false),
        ("second", false),
        ("after 100 moved", true),
    ] {
        if change {
            let mut ldif = String::new();
            for i in 0..100 {
                let from = format!("g{}", i % groups);
                let to = format!("g{}", (i + 2) % groups);
                let dn = format!("uid=u{i},ou=people,{}", slapd::SUFFIX);
                ldif.push_str(&format!(
                    "dn: {}\nchangetype: modify\ndelete: member\nmember: {dn}\n\n\
                     dn: {}\nchangetype: modify\nadd: member\nmember: {dn}\n\n",
                    slapd::group_dn(&from),
                    slapd::group_dn(&to)
                ));
            }
            d.modify(&ldif);
        }
        let t = Instant::now();
        let report = forge.sync_source(&source).await.expect("sync");
        println!(
            "team sync ({label}): {} accounts, {} memberships added, {} removed in {:.2} s",
            report.users,
            report.added,
            report.removed,
            t.elapsed().as_secs_f64()
        );
    }
}
