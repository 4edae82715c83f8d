//! Use cases that span more than one store call, or the store and the disk, or that carry
//! a rule every surface must apply the same way: throttled sign-in, access tokens,
//! repository creation and deletion, and gathering the facts the permission policy needs.
//! The web pages, the git endpoints, the API and the CLI all call these, so each rule is
//! written once.

pub mod access;
pub mod admin;
pub mod explore;
pub mod forks;
pub mod git_serve;
pub mod gpg_keys;
pub mod import;
pub mod incubator;
pub mod issues;
pub mod jobs;
pub mod ldap;
pub mod maintenance;
pub mod mirrors;
pub mod oidc;
pub mod outbound;
pub mod password;
pub mod protection;
pub mod pulls;
pub mod releases;
pub mod remote;
pub mod repos;
pub mod reviews;
pub mod seal;
pub mod signin;
pub mod sources;
pub mod ssh_keys;
pub mod statuses;
pub mod tokens;
pub mod twofactor;
pub mod webauthn;
pub mod webhooks;

use hatchery_store::{Store, StoreError};
use std::path::PathBuf;

pub use password::Passwords;
pub use repos::RepoRoot;
pub use signin::SignInPolicy;

/// What can go wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("git: {0}")]
    Git(#[from] hatchery_git::Error),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error("background task failed: {0}")]
    Task(String),
}

impl From<tokio::task::JoinError> for ServiceError {
    fn from(e: tokio::task::JoinError) -> ServiceError {
        ServiceError::Task(e.to_string())
    }
}

/// The pieces every use case needs, shared by all surfaces.
pub struct Forge {
    pub store: Store,
    pub passwords: Passwords,
    pub repos: RepoRoot,
    pub signin: SignInPolicy,
    /// "Two-factor required" until an administrator sets it (`auth.require_two_factor`).
    pub two_factor_default: hatchery_core::signin::TwoFactorRequirement,
    /// Recent successful Basic verifications (`None`: every request runs argon2).
    credentials: Option<signin::CredentialCache>,
    /// Opened repositories by repository id. Opening reads config files and pack indexes;
    /// a handle stays correct across pushes (refs are read from disk, new packs are found on
    /// a miss), so it is kept.
    git_handles: quick_cache::sync::Cache<i64, hatchery_git::Repository>,
    /// Pull requests' comparisons by (repository, base, head, diff options).
    comparisons: pulls::ComparisonCache,
    maintaining: maintenance::InProgress,
    /// Webhook settings and the delivery worker's wake-up call.
    webhooks: webhooks::Hub,
    /// The vote-closing job's wake-up call.
    incubator: incubator::Hub,
    /// What the background jobs of this server report (the admin overview shows it).
    pub jobs: std::sync::Arc<jobs::JobBoard>,
    /// Where release asset files live and how large one may be.
    release_files: releases::ReleaseStorage,
    /// When this server's use cases were set up: the uptime the admin overview shows.
    pub started: std::time::Instant,
    /// OpenID Connect providers' discovery documents and keys.
    oidc: oidc::Providers,
    /// Imports from other forges: settings and the outbound client.
    imports: import::ImportHub,
    /// Where mirrors and imports may connect, and their HTTP client.
    remotes: remote::Remotes,
    /// Seals stored credentials (from the site secret; `None` until `with_seal_key`).
    seal_key: Option<std::sync::Arc<seal::SealKey>>,
    /// Work that follows a push after the pusher's request (upkeep, checklists, request
    /// rechecks, push mirrors): a process that ends right after a push (`hatchery serv`)
    /// waits for it (`background.close()`, then `wait()`).
    pub background: tokio_util::task::TaskTracker,
}

impl std::fmt::Debug for Forge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forge")
            .field("repos", &self.repos)
            .field("signin", &self.signin)
            .finish_non_exhaustive()
    }
}

/// Repositories kept open at once.
const OPEN_REPOSITORIES: usize = 512;

impl Forge {
    pub fn new(store: Store, repositories_dir: PathBuf, signin: SignInPolicy) -> Forge {
        Forge {
            store,
            passwords: Passwords::default(),
            release_files: releases::ReleaseStorage {
                // The server sets data_dir/releases (`with_releases`); this default is the
                // same place when repositories are in data_dir/repositories.
                dir: repositories_dir.parent().map_or_else(
                    || repositories_dir.join(".releases"),
                    |p| p.join("releases"),
                ),
                max_asset_bytes: releases::DEFAULT_MAX_ASSET_BYTES,
            },
            repos: RepoRoot::new(repositories_dir),
            signin,
            two_factor_default: Default::default(),
            credentials: None,
            git_handles: quick_cache::sync::Cache::new(OPEN_REPOSITORIES),
            comparisons: pulls::comparison_cache(),
            maintaining: maintenance::InProgress::default(),
            webhooks: webhooks::Hub::default(),
            incubator: incubator::Hub::default(),
            jobs: Default::default(),
            started: std::time::Instant::now(),
            oidc: oidc::Providers::default(),
            imports: import::ImportHub::default(),
            remotes: remote::Remotes::default(),
            seal_key: None,
            background: tokio_util::task::TaskTracker::new(),
        }
    }
}
