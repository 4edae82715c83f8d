//! Hatchery's own git client (`hatchery_service::remote`) against the real server over
//! smart HTTP, with the stock git client pushing to the upstream: fetch (mirror
//! semantics: new commits, a new tag, a deleted branch with prune, a force-push) and push
//! (a mirror's branches and tags, deletes included), `git fsck --strict` on clones of the
//! results, and the network policy.

mod gitsupport;

use gitsupport::{PASSWORD, Server, fsck, git, make_work_repo, ok};
use hatchery_core::netpolicy::AllowedHosts;
use hatchery_service::remote::{Credentials, FetchOptions, RemoteError};
use hatchery_store::testing::stores;
use std::collections::BTreeMap;
use std::path::Path;

/// `refname -> id` of a repository (through `git for-each-ref`), branches and tags only.
async fn refs_of(dir: &Path) -> BTreeMap<String, String> {
    let out = ok(&git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
            "refs/tags",
        ],
    )
    .await);
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, o)| (n.to_owned(), o.to_owned()))
        .collect()
}

fn creds() -> Option<Credentials> {
    Credentials::from_parts("ada", PASSWORD)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_and_push_follow_the_remote() {
    for store in stores().await {
        let server = Server::start(store, |c| {
            c.migrations_allowed_hosts = AllowedHosts::parse("loopback").unwrap();
        })
        .await;
        let forge = &server.state.forge;
        let ada = server.user("ada").await;
        server.repo(&ada, "upstream", true).await;
        let copy = server.repo(&ada, "copy", false).await;
        let root = server.dir.path().to_path_buf();
        let work = make_work_repo(&root, 8).await;
        let up_url = server.url("ada/upstream.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &up_url, "main", "dev", "v1.0"]).await);
        let upstream_dir = server.dir.path().join("repositories/ada/upstream.git");
        let copy_dir = server.dir.path().join("repositories/ada/copy.git");

        let remote = forge
            .check_remote_url(&server.url("ada/upstream.git", None), creds())
            .unwrap();
        let first = forge
            .fetch_remote(&copy, &remote, &FetchOptions::default())
            .await
            .unwrap();
        assert_eq!(first.updated.len(), 3, "{first:?}");
        assert_eq!(first.head.as_deref(), Some("main"));
        assert!(first.objects > 0 && first.bytes > 0);
        assert_eq!(refs_of(&copy_dir).await, refs_of(&upstream_dir).await);

        // Nothing new: nothing fetched.
        let again = forge
            .fetch_remote(&copy, &remote, &FetchOptions::default())
            .await
            .unwrap();
        assert!(again.updated.is_empty() && again.deleted.is_empty() && again.bytes == 0);

        // New commits, a new tag, a deleted branch, a force-push.
        std::fs::write(work.join("new.txt"), "new\n").unwrap();
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "new"]).await);
        ok(&git(&work, &["tag", "v2.0"]).await);
        ok(&git(&work, &["checkout", "-q", "-b", "feature", "HEAD~3"]).await);
        std::fs::write(work.join("f.txt"), "feature\n").unwrap();
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "feature"]).await);
        ok(&git(
            &work,
            &["push", "-q", &up_url, "main", "v2.0", "feature", ":dev"],
        )
        .await);
        ok(&git(&work, &["reset", "-q", "--hard", "HEAD~1"]).await);
        std::fs::write(work.join("f.txt"), "rewritten\n").unwrap();
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "rewritten"]).await);
        ok(&git(&work, &["push", "-q", "-f", &up_url, "feature"]).await);

        let second = forge
            .fetch_remote(&copy, &remote, &FetchOptions::default())
            .await
            .unwrap();
        assert_eq!(second.deleted.len(), 1, "{second:?}");
        assert_eq!(second.deleted[0].name, "refs/heads/dev");
        assert!(second.failed.is_empty(), "{second:?}");
        assert_eq!(refs_of(&copy_dir).await, refs_of(&upstream_dir).await);
        let clone = root.join("copy-clone");
        ok(&git(
            &root,
            &[
                "clone",
                "-q",
                "--mirror",
                &server.url("ada/copy.git", None),
                clone.to_str().unwrap(),
            ],
        )
        .await);
        fsck(&clone).await;

        // Without prune, a branch gone upstream stays.
        ok(&git(&work, &["push", "-q", &up_url, ":feature"]).await);
        let kept = forge
            .fetch_remote(
                &copy,
                &remote,
                &FetchOptions {
                    prune: false,
                    ..FetchOptions::default()
                },
            )
            .await
            .unwrap();
        assert!(kept.deleted.is_empty());
        assert!(refs_of(&copy_dir).await.contains_key("refs/heads/feature"));

        // Push: the copy's branches and tags to an empty repository, then a deletion.
        let target = server.repo(&ada, "target", true).await;
        let target_dir = server.dir.path().join("repositories/ada/target.git");
        let to = forge
            .check_remote_url(&server.url("ada/target.git", Some(("ada", PASSWORD))), None)
            .unwrap();
        assert_eq!(to.credentials, creds(), "credentials move out of the URL");
        assert!(!to.as_str().contains(PASSWORD));
        let pushed = forge.push_remote(&copy, &to).await.unwrap();
        assert!(pushed.failed.is_empty(), "{pushed:?}");
        assert_eq!(refs_of(&target_dir).await, refs_of(&copy_dir).await);
        let again = forge.push_remote(&copy, &to).await.unwrap();
        assert!(again.updated.is_empty() && again.bytes == 0);
        // The copy loses `feature` (prune) and gains nothing: the push deletes it there.
        forge
            .fetch_remote(&copy, &remote, &FetchOptions::default())
            .await
            .unwrap();
        let third = forge.push_remote(&copy, &to).await.unwrap();
        assert_eq!(third.updated.len(), 1, "{third:?}");
        assert_eq!(third.updated[0].new, None);
        assert_eq!(refs_of(&target_dir).await, refs_of(&copy_dir).await);
        let target_clone = root.join("target-clone");
        ok(&git(
            &root,
            &[
                "clone",
                "-q",
                "--mirror",
                &server.url("ada/target.git", Some(("ada", PASSWORD))),
                target_clone.to_str().unwrap(),
            ],
        )
        .await);
        fsck(&target_clone).await;
        let _ = target;

        // Wrong password, missing repository: clear errors.
        let wrong = forge
            .check_remote_url(
                &server.url("ada/upstream.git", None),
                Credentials::from_parts("ada", "wrong password"),
            )
            .unwrap();
        let e = forge
            .fetch_remote(&copy, &wrong, &FetchOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(e, RemoteError::Unauthorized(401)), "{e}");
        assert!(e.to_string().contains("credentials"), "{e}");
        let missing = forge
            .check_remote_url(&server.url("ada/nothing.git", None), None)
            .unwrap();
        let e = forge
            .fetch_remote(&copy, &missing, &FetchOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(e, RemoteError::NotFound | RemoteError::Unauthorized(_)),
            "{e}"
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_policy_refuses_local_addresses_by_default() {
    let store = stores().await.into_iter().next().unwrap();
    // The default: external addresses only.
    let server = Server::start(store, |_| {}).await;
    let forge = &server.state.forge;
    let ada = server.user("ada").await;
    let copy = server.repo(&ada, "copy", false).await;
    server.repo(&ada, "upstream", false).await;
    for bad in [
        "file:///etc",
        "/etc/passwd",
        "ssh://git@example.com/x.git",
        "ext::sh -c touch% /tmp/pwned",
        "git://example.com/x.git",
        "http://[::1]/x.git",
        "https://example.com/x.git?a=b",
    ] {
        assert!(forge.check_remote_url(bad, None).is_err(), "{bad}");
    }
    let e = forge
        .check_remote_url(&server.url("ada/upstream.git", None), None)
        .unwrap_err();
    assert!(matches!(e, RemoteError::Refused(_)), "{e}");
    assert!(e.to_string().contains("migrations.allowed_hosts"), "{e}");
    // A name that resolves to the loopback is refused when connecting.
    let by_name = forge
        .check_remote_url(
            &format!("http://localhost:{}/ada/upstream.git", server.addr.port()),
            None,
        )
        .unwrap();
    let e = forge
        .fetch_remote(&copy, &by_name, &FetchOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, RemoteError::Refused(_)), "{e}");
    assert!(e.to_string().contains("migrations.allowed_hosts"), "{e}");
    // Credentials in the URL and beside it: refused rather than guessed.
    assert!(
        forge
            .check_remote_url("https://u:p@example.com/x.git", creds())
            .is_err()
    );
    server.stop().await;
}
