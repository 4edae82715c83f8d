//! Forking end to end below the web: policy, rows and disk on every database of
//! `testing::stores()`, with the git CLI reading the results.

use std::path::Path;
use std::process::Command;

use hatchery_core::{Actor, Denial, Name, NameKind, Resource};
use hatchery_git::Signature;
use hatchery_service::forks::{ForkError, ForkOwner};
use hatchery_service::repos::CreateRepo;
use hatchery_service::{Forge, SignInPolicy};
use hatchery_store::testing::stores;
use hatchery_store::{NewUser, Repo, User};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn user(forge: &Forge, name: &str) -> User {
    forge
        .store
        .create_user(NewUser {
            name: Name::parse(NameKind::Account, name).unwrap(),
            email: format!("{name}@example.org"),
            password_hash: "x".into(),
            display_name: name.to_owned(),
            is_admin: false,
        })
        .await
        .unwrap()
}

fn actor(u: &User) -> Actor {
    Actor::User {
        id: u.id,
        site_admin: false,
    }
}

fn to(u: &User) -> ForkOwner<'_> {
    ForkOwner {
        id: u.id,
        name: &u.name,
        resource: Resource::User { id: u.id },
    }
}

fn name(s: &str) -> Name {
    Name::parse(NameKind::Repository, s).unwrap()
}

async fn create(forge: &Forge, owner: &User, repo: &str, private: bool) -> Repo {
    forge
        .create_repo(CreateRepo {
            owner_id: owner.id,
            owner_name: &owner.name,
            name: &name(repo),
            description: "a parser",
            is_private: private,
            init_readme: Some(Signature {
                name: owner.name.clone(),
                email: owner.email.clone(),
                time: 1_700_000_000,
                offset_seconds: 0,
            }),
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn fork_policy_rows_and_disk() {
    for ts in stores().await {
        let dir = tempfile::tempdir().unwrap();
        let forge = Forge::new(
            ts.store().clone(),
            dir.path().join("repositories"),
            SignInPolicy::new(5, 15),
        );
        let ann = user(&forge, "ann").await;
        let bob = user(&forge, "bob").await;
        let public = create(&forge, &ann, "parser", false).await;
        let secret = create(&forge, &ann, "secret", true).await;

        let fork = forge
            .fork(actor(&bob), &public, to(&bob), &name("parser"))
            .await
            .unwrap();
        assert_eq!(fork.fork_id, Some(public.id), "{}", ts.label());
        assert!(!fork.is_private);
        assert_eq!(fork.description, "a parser");
        let fork_path = forge.repos.path_of("bob", "parser");
        let parent_path = forge.repos.path_of("ann", "parser");
        assert_eq!(
            git(&fork_path, &["rev-parse", "refs/heads/main"]),
            git(&parent_path, &["rev-parse", "refs/heads/main"])
        );
        git(&fork_path, &["fsck", "--strict", "--no-progress"]);

        // The same name again; someone else's account; a private parent Bob cannot read;
        // anonymous.
        assert!(matches!(
            forge
                .fork(actor(&bob), &public, to(&bob), &name("parser"))
                .await,
            Err(ForkError::NameTaken)
        ));
        assert!(matches!(
            forge
                .fork(actor(&bob), &public, to(&ann), &name("mine"))
                .await,
            Err(ForkError::Denied(Denial::Forbidden))
        ));
        assert!(matches!(
            forge
                .fork(actor(&bob), &secret, to(&bob), &name("secret"))
                .await,
            Err(ForkError::Hidden)
        ));
        assert!(matches!(
            forge
                .fork(Actor::Anonymous, &public, to(&bob), &name("anon"))
                .await,
            Err(ForkError::Denied(_))
        ));
        assert!(!forge.repos.path_of("bob", "secret").exists());

        // The owner forks her private repository: the fork is private too.
        let own = forge
            .fork(actor(&ann), &secret, to(&ann), &name("secret-fork"))
            .await
            .unwrap();
        assert!(own.is_private);
        assert!(
            forge
                .visible_forks(actor(&bob), &secret)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            forge
                .visible_forks(actor(&ann), &secret)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            forge
                .visible_forks(Actor::Anonymous, &public)
                .await
                .unwrap()[0]
                .id,
            fork.id
        );
        assert_eq!(
            forge
                .visible_parent(actor(&bob), &fork)
                .await
                .unwrap()
                .map(|r| r.id),
            Some(public.id)
        );
        assert_eq!(forge.visible_parent(actor(&bob), &own).await.unwrap(), None);

        // Deleting the parent leaves the fork whole.
        forge.delete_repo(&public).await.unwrap();
        assert!(!parent_path.exists());
        git(&fork_path, &["fsck", "--strict", "--no-progress"]);
        let fork = forge.store.repo_by_id(fork.id).await.unwrap().unwrap();
        assert_eq!(fork.fork_id, None);
        let clone = dir.path().join("clone");
        git(
            dir.path(),
            &[
                "clone",
                "-q",
                fork_path.to_str().unwrap(),
                clone.to_str().unwrap(),
            ],
        );
        assert!(clone.join("README.md").is_file());
    }
}
