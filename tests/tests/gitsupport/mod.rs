//! The real server on a free port, with accounts and repositories made through the same
//! use cases the web uses, and the real `git` client to talk to it.
#![allow(dead_code)]

use hatchery_service::repos::CreateRepo;
use hatchery_store::testing::TestStore;
use hatchery_store::testing::fixtures;
use hatchery_store::{Repo, User};
use hatchery_web::{AppState, WebConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Output;

pub const PASSWORD: &str = "correct horse battery";

pub struct Server {
    pub addr: SocketAddr,
    /// The built-in SSH server's address, when started with [`Server::start_ssh`].
    pub ssh_addr: Option<SocketAddr>,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _store: TestStore,
}

impl Server {
    pub async fn start(store: TestStore, configure: impl FnOnce(&mut WebConfig)) -> Server {
        Server::start_with(store, configure, None).await
    }

    /// [`Server::start`] with the built-in SSH server on another free port (host keys
    /// generated into the server's directory).
    pub async fn start_ssh(store: TestStore, configure: impl FnOnce(&mut WebConfig)) -> Server {
        let settings = hatchery_ssh::SshSettings {
            max_sessions: 16,
            idle_timeout: std::time::Duration::from_secs(120),
            max_auth_attempts: 6,
        };
        Server::start_with(store, configure, Some(settings)).await
    }

    /// [`Server::start_ssh`] with these limits.
    pub async fn start_ssh_with(store: TestStore, settings: hatchery_ssh::SshSettings) -> Server {
        Server::start_with(store, |_| {}, Some(settings)).await
    }

    async fn start_with(
        store: TestStore,
        configure: impl FnOnce(&mut WebConfig),
        ssh_settings: Option<hatchery_ssh::SshSettings>,
    ) -> Server {
        // What the server logs (a push that failed on its side, say) is part of a failing
        // test's output; libtest shows it only then.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .try_init();
        let with_ssh = ssh_settings.is_some();
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let ssh_listener = match with_ssh {
            true => Some(
                tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind ssh"),
            ),
            false => None,
        };
        let ssh_addr = ssh_listener
            .as_ref()
            .map(|l| l.local_addr().expect("ssh addr"));
        let mut cfg = WebConfig::for_tests();
        cfg.public_url = format!("http://{addr}/");
        cfg.repositories_dir = dir.path().join("repositories");
        cfg.ssh_clone = ssh_addr.map(|a| hatchery_core::ssh::SshCloneBase {
            user: "git".into(),
            host: a.ip().to_string(),
            port: a.port(),
        });
        configure(&mut cfg);
        let state = AppState::new(store.store().clone(), cfg);
        let ssh = match (ssh_listener, ssh_settings) {
            (Some(listener), Some(settings)) => {
                let key_dir = dir.path().join("ssh");
                let keys = tokio::task::spawn_blocking(move || {
                    hatchery_ssh::host_keys::load_or_generate(&key_dir)
                })
                .await
                .expect("join")
                .expect("host keys");
                Some(hatchery::server::SshPart {
                    server: hatchery_ssh::SshServer::new(
                        state.clone(),
                        &settings,
                        keys.into_iter().map(|k| k.key).collect(),
                    ),
                    listener,
                })
            }
            _ => None,
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let run_state = state.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = rx.await;
            };
            if let Err(e) = hatchery::server::run_with_ssh(run_state, listener, ssh, shutdown).await
            {
                panic!("server failed: {e:#}");
            }
        });
        Server {
            ssh_addr,
            addr,
            state,
            dir,
            shutdown: Some(tx),
            task: Some(task),
            _store: store,
        }
    }

    /// Reaches the server's database from another `Store` (or a `hatchery` command).
    pub fn store_url(&self) -> String {
        self._store.url()
    }

    pub fn label(&self) -> &str {
        self._store.label()
    }

    /// A user who signs in with [`PASSWORD`].
    pub async fn user(&self, name: &str) -> User {
        user_in(&self.state, name).await
    }

    /// An empty repository, row and directory.
    pub async fn repo(&self, owner: &User, name: &str, private: bool) -> Repo {
        repo_in(&self.state, owner, name, private).await
    }

    /// `http://[user:secret@]addr/owner/name.git`
    pub fn url(&self, path: &str, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((u, p)) => format!("http://{}:{}@{}/{path}", encode(u), encode(p), self.addr),
            None => format!("http://{}/{path}", self.addr),
        }
    }

    /// `ssh://git@addr/owner/name.git` on the built-in SSH server.
    pub fn ssh_url(&self, path: &str) -> String {
        let addr = self.ssh_addr.expect("started with start_ssh");
        format!("ssh://git@{addr}/{path}")
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// [`Server::user`] on a site that need not be serving yet.
pub async fn user_in(state: &AppState, name: &str) -> User {
    let hash = hatchery_service::password::hash_blocking(PASSWORD).expect("hash");
    let mut new = fixtures::new_user(name, &format!("{name}@example.org"));
    new.password_hash = hash;
    state.store.create_user(new).await.expect("create user")
}

/// [`Server::repo`] on a site that need not be serving yet.
pub async fn repo_in(state: &AppState, owner: &User, name: &str, private: bool) -> Repo {
    state
        .forge
        .create_repo(CreateRepo {
            owner_id: owner.id,
            owner_name: &owner.name,
            name: &fixtures::repo_name(name),
            description: "",
            is_private: private,
            init_readme: None,
        })
        .await
        .expect("create repo")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub use hatchery_testkit::git::ok;

/// Runs the hermetic git of `hatchery_testkit` (dated 2026-01-01) without blocking the
/// server's runtime.
pub async fn git(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = hatchery_testkit::git::command(dir);
    hatchery_testkit::git::dated(&mut cmd, 1_767_225_600).args(args);
    tokio::process::Command::from(cmd)
        .output()
        .await
        .expect("run git")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A working repository with `commits` commits on main, a `dev` branch and an annotated tag.
pub async fn make_work_repo(root: &Path, commits: usize) -> PathBuf {
    let work = root.join(format!("work-{}", rand_suffix()));
    std::fs::create_dir_all(&work).expect("mkdir");
    ok(&git(&work, &["init", "-q", "-b", "main"]).await);
    for i in 0..commits {
        std::fs::write(
            work.join(format!("file{}.txt", i % 5)),
            format!("line {i}\n").repeat(i + 1),
        )
        .expect("write");
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", &format!("commit {i}")]).await);
    }
    ok(&git(&work, &["branch", "dev"]).await);
    ok(&git(&work, &["tag", "-a", "v1.0", "-m", "release 1.0"]).await);
    work
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub async fn fsck(dir: &Path) {
    ok(&git(dir, &["fsck", "--strict", "--no-progress"]).await);
}
