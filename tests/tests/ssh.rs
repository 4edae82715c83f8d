//! Git over the built-in SSH server against the real server on free ports, with the stock
//! OpenSSH and git clients and keys made by ssh-keygen, on every database backend: clone,
//! fetch and push on protocols v0 and v2, shallow clones, deploy keys, and every refusal
//! (unknown key, disabled account, read-only deploy key, private repository, shell,
//! other commands, subsystems) with its message and exit status.

mod gitsupport;

use gitsupport::{Server, fsck, make_work_repo, ok, stderr};
use hatchery_core::Actor;
use hatchery_store::testing::stores;
use hatchery_store::{Repo, User};
use hatchery_testkit::ssh::{KeyPair, git_ssh_command, key_pair};
use std::path::Path;
use std::process::Output;

/// git with `GIT_SSH_COMMAND` set for `key` on the server's SSH port.
async fn git_ssh(server: &Server, key: &KeyPair, dir: &Path, args: &[&str]) -> Output {
    let port = server.ssh_addr.expect("ssh").port();
    let mut cmd = hatchery_testkit::git::command(dir);
    hatchery_testkit::git::dated(&mut cmd, 1_767_225_600)
        .env("GIT_SSH_COMMAND", git_ssh_command(key, port))
        .args(args);
    tokio::process::Command::from(cmd)
        .output()
        .await
        .expect("run git")
}

/// The `ssh` client itself with `key`, running `remote` (none: ask for a shell).
async fn ssh(server: &Server, key: &KeyPair, extra: &[&str], remote: Option<&str>) -> Output {
    let port = server.ssh_addr.expect("ssh").port();
    let line = git_ssh_command(key, port);
    let mut words = line.split_whitespace();
    let mut cmd = tokio::process::Command::new(words.next().expect("ssh"));
    cmd.args(words).args(extra).arg("git@127.0.0.1");
    if let Some(remote) = remote {
        cmd.arg(remote);
    }
    cmd.stdin(std::process::Stdio::null());
    cmd.output().await.expect("run ssh")
}

fn failed_with(out: &Output, needle: &str, label: &str) {
    assert!(
        !out.status.success(),
        "[{label}] expected a failure: {}",
        stderr(out)
    );
    assert!(
        stderr(out).contains(needle),
        "[{label}] {needle:?} not in:\n{}",
        stderr(out)
    );
}

async fn add_key(server: &Server, user: &User, key: &KeyPair) {
    let actor = Actor::User {
        id: user.id,
        site_admin: false,
    };
    server
        .state
        .forge
        .add_user_key(actor, user.id, "laptop", &key.public)
        .await
        .expect("add key");
}

async fn add_deploy_key(server: &Server, repo: &Repo, key: &KeyPair, read_only: bool) {
    server
        .state
        .forge
        .add_deploy_key(repo, "ci", &key.public, read_only)
        .await
        .expect("add deploy key");
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_fetch_push_over_ssh_on_both_protocols() {
    for store in stores().await {
        let server = Server::start_ssh(store, |c| c.metrics.enabled = true).await;
        let label = server.label().to_owned();
        let root = server.dir.path().to_path_buf();
        let ada = server.user("ada").await;
        let key = key_pair(&root, "ada-key");
        add_key(&server, &ada, &key).await;
        // Private: only the key's owner reads it.
        server.repo(&ada, "engine", true).await;
        let work = make_work_repo(&root, 12).await;
        let url = server.ssh_url("ada/engine.git");
        ok(&git_ssh(
            &server,
            &key,
            &work,
            &["push", "-q", &url, "main", "dev", "v1.0"],
        )
        .await);

        // HEAD names the default branch after the first push, and the push was recorded
        // as over HTTP (the same code below the transport).
        let heads = ok(&git_ssh(
            &server,
            &key,
            &root,
            &["ls-remote", "--symref", &url, "HEAD"],
        )
        .await);
        assert!(
            heads.contains("ref: refs/heads/main\tHEAD"),
            "[{label}] {heads}"
        );
        let repo = server
            .state
            .store
            .repo_by_name("ada", "engine")
            .await
            .ok()
            .flatten()
            .expect("repo");
        assert!(repo.pushed_at.is_some(), "[{label}]");

        for version in ["0", "2"] {
            let v = format!("protocol.version={version}");
            let bare = root.join(format!("bare-v{version}.git"));
            ok(&git_ssh(
                &server,
                &key,
                &root,
                &["-c", &v, "clone", "-q", "--bare", &url, path_str(&bare)],
            )
            .await);
            fsck(&bare).await;
            let refs = ok(&gitsupport::git(&bare, &["for-each-ref", "--format=%(refname)"]).await);
            assert!(
                refs.contains("refs/heads/dev") && refs.contains("refs/tags/v1.0"),
                "[{label}] {refs}"
            );

            // The scp-like form and no .git suffix.
            let port = server.ssh_addr.expect("ssh").port();
            let clone = root.join(format!("clone-v{version}"));
            ok(&git_ssh(
                &server,
                &key,
                &root,
                &[
                    "-c",
                    &v,
                    "clone",
                    "-q",
                    &format!("ssh://git@127.0.0.1:{port}/ada/engine"),
                    path_str(&clone),
                ],
            )
            .await);
            fsck(&clone).await;
            assert_eq!(
                std::fs::read_to_string(clone.join("file1.txt")).ok(),
                std::fs::read_to_string(work.join("file1.txt")).ok()
            );

            // Incremental fetch after a new push.
            std::fs::write(work.join(format!("new-{version}.txt")), "new\n").expect("write");
            ok(&gitsupport::git(&work, &["add", "-A"]).await);
            ok(&gitsupport::git(&work, &["commit", "-q", "-m", "more"]).await);
            ok(&git_ssh(
                &server,
                &key,
                &work,
                &["-c", &v, "push", "-q", &url, "main"],
            )
            .await);
            ok(&git_ssh(
                &server,
                &key,
                &clone,
                &["-c", &v, "pull", "-q", "--ff-only"],
            )
            .await);
            assert!(
                clone.join(format!("new-{version}.txt")).exists(),
                "[{label}]"
            );
            fsck(&clone).await;

            // Shallow clone, then deepen.
            let shallow = root.join(format!("shallow-v{version}"));
            ok(&git_ssh(
                &server,
                &key,
                &root,
                &[
                    "-c",
                    &v,
                    "clone",
                    "-q",
                    "--depth",
                    "1",
                    &url,
                    path_str(&shallow),
                ],
            )
            .await);
            let count = ok(&gitsupport::git(&shallow, &["rev-list", "--count", "HEAD"]).await);
            assert_eq!(count.trim(), "1", "[{label}]");
            ok(&git_ssh(
                &server,
                &key,
                &shallow,
                &["-c", &v, "fetch", "-q", "--deepen", "3"],
            )
            .await);
            let count = ok(&gitsupport::git(&shallow, &["rev-list", "--count", "HEAD"]).await);
            assert_eq!(count.trim(), "4", "[{label}]");
            fsck(&shallow).await;
        }

        // Deleting a branch over SSH.
        ok(&git_ssh(&server, &key, &work, &["push", "-q", &url, ":dev"]).await);
        let refs = ok(&git_ssh(&server, &key, &root, &["ls-remote", &url]).await);
        assert!(!refs.contains("refs/heads/dev"), "[{label}] {refs}");

        // The key's last use is recorded.
        let keys = server.state.store.keys_of_user(ada.id).await.expect("keys");
        assert!(keys[0].last_used_at.is_some(), "[{label}]");

        // /metrics counted SSH's clones, fetches and pushes like HTTP's.
        let text = reqwest::get(format!("http://{}/metrics", server.addr))
            .await
            .expect("scrape")
            .text()
            .await
            .expect("metrics text");
        let sample = |name: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
        };
        // Two full and one shallow clone per protocol.
        assert_eq!(
            sample("hatchery_git_operations_total{operation=\"clone\"}"),
            6.0,
            "[{label}]"
        );
        assert!(
            sample("hatchery_git_operations_total{operation=\"fetch\"}") >= 4.0,
            "[{label}]"
        );
        // The first push, one per protocol, the deletion.
        assert_eq!(
            sample("hatchery_git_operations_total{operation=\"push\"}"),
            4.0,
            "[{label}]"
        );
        assert!(
            sample("hatchery_git_sent_bytes_total{service=\"upload-pack\"}") > 1000.0,
            "[{label}]"
        );
        assert!(
            sample("hatchery_git_received_bytes_total{service=\"receive-pack\"}") > 1000.0,
            "[{label}]"
        );
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_over_ssh_say_why() {
    for store in stores().await {
        let server = Server::start_ssh(store, |_| {}).await;
        let label = server.label().to_owned();
        let root = server.dir.path().to_path_buf();
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let ada_key = key_pair(&root, "ada-key");
        let bob_key = key_pair(&root, "bob-key");
        let stranger = key_pair(&root, "stranger");
        let ci_ro = key_pair(&root, "ci-ro");
        let ci_rw = key_pair(&root, "ci-rw");
        add_key(&server, &ada, &ada_key).await;
        add_key(&server, &bob, &bob_key).await;
        let secret = server.repo(&ada, "secret", true).await;
        server.repo(&ada, "open", false).await;
        add_deploy_key(&server, &secret, &ci_ro, true).await;
        add_deploy_key(&server, &secret, &ci_rw, false).await;
        let work = make_work_repo(&root, 3).await;
        let secret_url = server.ssh_url("ada/secret.git");
        let open_url = server.ssh_url("ada/open.git");
        ok(&git_ssh(
            &server,
            &ada_key,
            &work,
            &["push", "-q", &secret_url, "main"],
        )
        .await);
        ok(&git_ssh(&server, &ada_key, &work, &["push", "-q", &open_url, "main"]).await);

        // A key nobody registered gets no further than sign-in.
        let out = git_ssh(&server, &stranger, &root, &["ls-remote", &open_url]).await;
        failed_with(&out, "Permission denied (publickey)", &label);

        // Someone else's private repository looks exactly like a missing one.
        let hidden = git_ssh(&server, &bob_key, &root, &["ls-remote", &secret_url]).await;
        failed_with(
            &hidden,
            "Repository not found, or you do not have access to it.",
            &label,
        );
        let missing = git_ssh(
            &server,
            &bob_key,
            &root,
            &["ls-remote", &server.ssh_url("ada/nothing.git")],
        )
        .await;
        assert_eq!(stderr(&hidden), stderr(&missing), "[{label}]");
        assert_eq!(hidden.status.code(), missing.status.code(), "[{label}]");

        // A public repository: bob may read, not push.
        ok(&git_ssh(&server, &bob_key, &root, &["ls-remote", &open_url]).await);
        let out = git_ssh(
            &server,
            &bob_key,
            &work,
            &["push", "-q", &open_url, "main:other"],
        )
        .await;
        failed_with(
            &out,
            "You do not have permission to push to this repository.",
            &label,
        );

        // Deploy keys: only their repository; read-only ones cannot push.
        let ro_clone = root.join("ro-clone");
        ok(&git_ssh(
            &server,
            &ci_ro,
            &root,
            &["clone", "-q", &secret_url, path_str(&ro_clone)],
        )
        .await);
        fsck(&ro_clone).await;
        let out = git_ssh(
            &server,
            &ci_ro,
            &work,
            &["push", "-q", &secret_url, "main:ci"],
        )
        .await;
        failed_with(
            &out,
            "This deploy key is read-only: it cannot push.",
            &label,
        );
        let out = git_ssh(&server, &ci_ro, &root, &["ls-remote", &open_url]).await;
        failed_with(&out, "Repository not found", &label);
        ok(&git_ssh(
            &server,
            &ci_rw,
            &work,
            &["push", "-q", &secret_url, "main:ci"],
        )
        .await);
        let refs = ok(&git_ssh(&server, &ada_key, &root, &["ls-remote", &secret_url]).await);
        assert!(refs.contains("refs/heads/ci"), "[{label}] {refs}");

        // No shell: a greeting naming the account, on stderr, and exit status 1.
        let out = ssh(&server, &ada_key, &["-T"], None).await;
        assert_eq!(out.status.code(), Some(1), "[{label}] {}", stderr(&out));
        assert!(
            stderr(&out).contains("Hi ada! You have authenticated successfully, but this server does not provide shell access."),
            "[{label}] {}",
            stderr(&out)
        );
        // No terminal either (OpenSSH gives up when one was asked for explicitly).
        let out = ssh(&server, &ada_key, &["-tt"], None).await;
        failed_with(&out, "PTY allocation request failed", &label);
        let out = ssh(&server, &ci_ro, &["-T"], None).await;
        assert_eq!(out.status.code(), Some(1), "[{label}]");
        assert!(
            stderr(&out).contains("This deploy key is valid"),
            "[{label}] {}",
            stderr(&out)
        );
        // Other commands and subsystems.
        let out = ssh(&server, &ada_key, &[], Some("ls -la /")).await;
        assert_eq!(out.status.code(), Some(1), "[{label}]");
        assert!(
            stderr(&out).contains("Only git-upload-pack and git-receive-pack"),
            "[{label}] {}",
            stderr(&out)
        );
        assert!(out.stdout.is_empty(), "[{label}]");
        let out = ssh(
            &server,
            &ada_key,
            &[],
            Some("git-upload-pack '../../etc/passwd'"),
        )
        .await;
        assert_eq!(out.status.code(), Some(1), "[{label}]");
        assert!(
            stderr(&out).contains("malformed"),
            "[{label}] {}",
            stderr(&out)
        );
        let out = ssh(&server, &ada_key, &["-s"], Some("sftp")).await;
        assert_eq!(out.status.code(), Some(1), "[{label}]");
        assert!(
            stderr(&out).contains("subsystems"),
            "[{label}] {}",
            stderr(&out)
        );
        let out = ssh(
            &server,
            &ada_key,
            &[],
            Some("git-upload-archive 'ada/open.git'"),
        )
        .await;
        assert_eq!(out.status.code(), Some(1), "[{label}]");
        assert!(
            stderr(&out).contains("git archive --remote is not available"),
            "[{label}]"
        );
        // Port forwarding is refused; the command itself still answers.
        let out = ssh(
            &server,
            &ada_key,
            &["-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:9"],
            Some("git-upload-pack 'ada/open.git'"),
        )
        .await;
        assert!(!out.status.success(), "[{label}]");

        // A disabled account's keys stop working at once.
        server
            .state
            .store
            .set_user_disabled(bob.id, true)
            .await
            .expect("disable");
        let out = git_ssh(&server, &bob_key, &root, &["ls-remote", &open_url]).await;
        failed_with(&out, "Permission denied (publickey)", &label);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_and_key_limits() {
    use tokio::io::AsyncReadExt;
    for store in stores().await {
        let settings = hatchery_ssh::SshSettings {
            max_sessions: 1,
            idle_timeout: std::time::Duration::from_secs(120),
            max_auth_attempts: 1,
        };
        let server = Server::start_ssh_with(store, settings).await;
        let label = server.label().to_owned();
        let root = server.dir.path().to_path_buf();
        let ada = server.user("ada").await;
        let key = key_pair(&root, "ada-key");
        let stranger = key_pair(&root, "stranger");
        add_key(&server, &ada, &key).await;
        server.repo(&ada, "open", false).await;

        // One key too many: the stranger's key uses up the only attempt.
        let port = server.ssh_addr.expect("ssh").port();
        let both = format!(
            "{} -i {}",
            git_ssh_command(&stranger, port),
            key.private.display()
        );
        let mut cmd = hatchery_testkit::git::command(&root);
        cmd.env("GIT_SSH_COMMAND", &both)
            .args(["ls-remote", &server.ssh_url("ada/open.git")]);
        let out = tokio::process::Command::from(cmd)
            .output()
            .await
            .expect("git");
        assert!(!out.status.success(), "[{label}]");
        // The right key alone is let in.
        ok(&git_ssh(
            &server,
            &key,
            &root,
            &["ls-remote", &server.ssh_url("ada/open.git")],
        )
        .await);

        // One connection at a time: while one is open (its advertisement read, its input
        // still open), another is closed at once.
        let line = git_ssh_command(&key, port);
        let mut words = line.split_whitespace();
        let mut first = tokio::process::Command::new(words.next().expect("ssh"));
        first
            .args(words)
            .arg("git@127.0.0.1")
            .arg("git-upload-pack 'ada/open.git'")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        let mut first = first.spawn().expect("ssh");
        let mut stdout = first.stdout.take().expect("stdout");
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // An empty repository's advertisement ends with a flush packet.
        while !seen.ends_with(b"0000") {
            let n = stdout.read(&mut buf).await.expect("read");
            assert!(n > 0, "[{label}] the first connection ended early");
            seen.extend_from_slice(&buf[..n]);
        }
        let second = ssh(&server, &key, &[], Some("git-upload-pack 'ada/open.git'")).await;
        assert_eq!(
            second.status.code(),
            Some(255),
            "[{label}] {}",
            stderr(&second)
        );
        // The first one ends normally when its client is done.
        drop(first.stdin.take());
        let status = first.wait().await.expect("wait");
        assert!(status.success(), "[{label}] {status}");
        server.stop().await;
    }
}
