//! Rows every test needs and no test is about: users, organizations, teams and
//! repositories made straight in the store, with predictable values (`<name>@example.org`,
//! display name `<name> display`, a placeholder password hash, default branch `main`).
//!
//! Tests that sign in with a password make their users through the service or the web
//! instead, which hash the password.

use hatchery_core::{AccessLevel, Name, NameKind};

use crate::{NewRepo, NewUser, Org, Repo, Store, Team, User};

/// A valid account (user or organization) name; panics on an invalid one.
pub fn account(name: &str) -> Name {
    Name::parse(NameKind::Account, name).expect("valid account name")
}

/// A valid repository name; panics on an invalid one.
pub fn repo_name(name: &str) -> Name {
    Name::parse(NameKind::Repository, name).expect("valid repository name")
}

/// A valid team name; panics on an invalid one.
pub fn team_name(name: &str) -> Name {
    Name::parse(NameKind::Team, name).expect("valid team name")
}

/// The user [`user`] creates, with the given e-mail address.
pub fn new_user(name: &str, email: &str) -> NewUser {
    NewUser {
        name: account(name),
        email: email.to_owned(),
        password_hash: format!("hash-of-{name}"),
        display_name: format!("{name} display"),
        is_admin: false,
    }
}

/// An account of a sign-in source: no local password.
pub fn new_user_without_password(name: &str, email: &str) -> NewUser {
    NewUser {
        password_hash: String::new(),
        ..new_user(name, email)
    }
}

/// A user `name` with the address `<name>@example.org` (the store makes the first user of
/// a site its administrator).
pub async fn user(s: &Store, name: &str) -> User {
    s.create_user(new_user(name, &format!("{name}@example.org")))
        .await
        .expect("create user")
}

/// An organization `name` created by `creator` (who becomes its owner).
pub async fn org(s: &Store, creator: &User, name: &str) -> Org {
    s.create_org(creator.id, &account(name), &format!("{name} Inc."), "")
        .await
        .expect("create org")
}

/// A team of an organization with `level` on the repositories given to it.
pub async fn team(s: &Store, org_id: i64, name: &str, level: AccessLevel) -> Team {
    s.create_team(org_id, &team_name(name), "", level)
        .await
        .expect("create team")
}

/// A public repository row (no directory on disk).
pub async fn repo(s: &Store, owner_id: i64, name: &str) -> Repo {
    repo_with(s, owner_id, name, false).await
}

/// A private repository row (no directory on disk).
pub async fn private_repo(s: &Store, owner_id: i64, name: &str) -> Repo {
    repo_with(s, owner_id, name, true).await
}

/// A repository row, private or not (no directory on disk).
pub async fn repo_with(s: &Store, owner_id: i64, name: &str, is_private: bool) -> Repo {
    s.create_repo(NewRepo {
        owner_id,
        name: &repo_name(name),
        description: "",
        is_private,
        default_branch: "main",
    })
    .await
    .expect("create repo")
}
