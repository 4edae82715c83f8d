//! Pull mirrors (a repository that follows an upstream: read-only here, fetched on an
//! interval and on demand) and push mirrors (remotes a repository's branches and tags are
//! pushed to, on an interval and after each push). The git transfer is `remote.rs`; this is
//! the bookkeeping: settings checked, passwords sealed with a key derived from the site
//! secret, one sync at a time per mirror (the store's lease), outcomes recorded as
//! `last_update` / `last_error`, and the background job that syncs what is due.
//!
//! Callers authorize first: every function taking a `&Repo` expects the caller to have
//! found it with `Action::Administer` (mirror settings are the repository's settings).

use std::time::Duration;

use hatchery_core::mirrors::{self as rules, IntervalError};
use hatchery_store::{MirrorSettings, PullMirror, PushMirror, Repo, StoreError, now_ms};

use crate::jobs::Job;
use crate::remote::{Credentials, FetchOptions, FetchOutcome, PushOutcome, RemoteError, RemoteUrl};
use crate::seal::SealError;
pub use crate::seal::SealKey;
use crate::{Forge, ServiceError};

/// Why a mirror change or sync did not happen.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// `field` names the input (`remote_address`, `interval`, ...).
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error("not found")]
    NotFound,
    /// The repository is a pull mirror already, or a push mirror by that name exists.
    #[error("already exists")]
    Exists,
    /// Another sync of this mirror is running.
    #[error("a sync of this mirror is already running")]
    Busy,
    /// A pull mirror cannot push to another (its own branches come from its upstream);
    /// push mirrors of it are fine — this is for making a mirror of a non-empty repository.
    #[error("the repository is not empty; a pull mirror starts from an empty repository")]
    NotEmpty,
    /// The stored password cannot be read back (the site secret changed).
    #[error(
        "the stored password cannot be decrypted (was the site secret changed?); enter it again"
    )]
    Sealed,
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for MirrorError {
    fn from(e: StoreError) -> MirrorError {
        match e {
            StoreError::NotFound => MirrorError::NotFound,
            StoreError::Conflict(_) => MirrorError::Exists,
            other => MirrorError::Service(other.into()),
        }
    }
}

impl From<SealError> for MirrorError {
    fn from(_: SealError) -> MirrorError {
        MirrorError::Sealed
    }
}

fn field(field: &'static str, message: impl Into<String>) -> MirrorError {
    MirrorError::Field {
        field,
        message: message.into(),
    }
}

fn interval_error(e: IntervalError) -> MirrorError {
    field("interval", e.to_string())
}

/// What a person gives for a push mirror (Gitea's `CreatePushMirrorOption`).
#[derive(Debug, Clone, Default)]
pub struct PushMirrorInput {
    pub remote_address: String,
    pub remote_username: String,
    pub remote_password: String,
    /// `8h0m0s`, `10m`, `0` (none); empty: 8 hours.
    pub interval: String,
    pub sync_on_commit: bool,
}

/// What a person gives for a pull mirror.
#[derive(Debug, Clone, Default)]
pub struct PullMirrorInput {
    pub remote_address: String,
    pub remote_username: String,
    pub remote_password: String,
    /// `8h0m0s`, `10m`, `0` (on demand only); empty: 8 hours.
    pub interval: String,
    pub prune: bool,
}

/// How long a sync holds its mirror beyond the transfer's own limit.
const LEASE_SLACK: Duration = Duration::from_secs(60);
/// Mirrors synced per round of the background job.
const ROUND_BATCH: i64 = 16;
/// How often the background job looks for due mirrors.
const POLL_INTERVAL: Duration = Duration::from_secs(60);
/// The longest error text kept.
const ERROR_MAX: usize = 1000;

impl Forge {
    fn lease_until(&self, now: i64) -> i64 {
        let d = self.remote_settings().max_duration + LEASE_SLACK;
        now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
    }

    /// Makes `repo` (empty, just created: by an import, or by the caller) a pull mirror of
    /// `remote`, due for its first sync at once. The repository becomes read-only.
    pub async fn make_pull_mirror(
        &self,
        repo: &Repo,
        remote: &RemoteUrl,
        interval_ms: i64,
        prune: bool,
    ) -> Result<PullMirror, MirrorError> {
        let interval_ms = rules::check_interval(interval_ms).map_err(interval_error)?;
        let creds = remote.credentials.clone().unwrap_or_default();
        let sealed = self.seal_key()?.seal(&creds.password)?;
        Ok(self
            .store
            .create_pull_mirror(
                repo.id,
                &MirrorSettings {
                    remote_url: remote.as_str(),
                    remote_username: &creds.username,
                    remote_password: &sealed,
                    interval_ms,
                    flag: prune,
                },
                now_ms(),
            )
            .await?)
    }

    /// [`Forge::make_pull_mirror`] from a person's input: the address checked against the
    /// network policy and the interval parsed; the repository must be empty.
    pub async fn convert_to_pull_mirror(
        &self,
        repo: &Repo,
        input: &PullMirrorInput,
    ) -> Result<PullMirror, MirrorError> {
        let (remote, interval_ms) = self.mirror_input(
            &input.remote_address,
            &input.remote_username,
            &input.remote_password,
            &input.interval,
        )?;
        let git = self.open_git(repo).await?;
        let empty = tokio::task::spawn_blocking(move || git.refs().map(|r| r.is_empty()))
            .await
            .map_err(ServiceError::from)?
            .map_err(ServiceError::from)?;
        if !empty {
            return Err(MirrorError::NotEmpty);
        }
        self.make_pull_mirror(repo, &remote, interval_ms, input.prune)
            .await
    }

    /// Changes a pull mirror's address, credentials (the password only when given),
    /// interval and prune setting.
    pub async fn update_pull_mirror(
        &self,
        repo: &Repo,
        input: &PullMirrorInput,
    ) -> Result<(), MirrorError> {
        let (remote, interval_ms) = self.mirror_input(
            &input.remote_address,
            &input.remote_username,
            &input.remote_password,
            &input.interval,
        )?;
        let creds = remote.credentials.clone().unwrap_or_default();
        let keep = creds.password.is_empty();
        let sealed = self.seal_key()?.seal(&creds.password)?;
        self.store
            .update_pull_mirror(
                repo.id,
                &MirrorSettings {
                    remote_url: remote.as_str(),
                    remote_username: &creds.username,
                    remote_password: &sealed,
                    interval_ms,
                    flag: input.prune,
                },
                keep,
                now_ms(),
            )
            .await?;
        Ok(())
    }

    /// Stops mirroring: the repository keeps what it has and takes pushes again.
    pub async fn stop_pull_mirror(&self, repo: &Repo) -> Result<(), MirrorError> {
        Ok(self.store.delete_pull_mirror(repo.id).await?)
    }

    fn mirror_input(
        &self,
        address: &str,
        username: &str,
        password: &str,
        interval: &str,
    ) -> Result<(RemoteUrl, i64), MirrorError> {
        let remote = self
            .check_remote_url(address, Credentials::from_parts(username, password))
            .map_err(|e| match e {
                RemoteError::InvalidUrl(m) => field("remote_address", m),
                RemoteError::Refused(m) => field("remote_address", m),
                other => MirrorError::Remote(other),
            })?;
        let interval_ms = rules::parse_interval(interval).map_err(interval_error)?;
        Ok((remote, interval_ms))
    }

    fn remote_of(&self, url: &str, username: &str, sealed: &str) -> Result<RemoteUrl, MirrorError> {
        let password = self.seal_key()?.open(sealed)?;
        Ok(self.check_remote_url(url, Credentials::from_parts(username, &password))?)
    }

    /// Syncs a repository's pull mirror now ("sync now", and the background job): fetches
    /// from the upstream with the mirror's prune setting, follows the upstream's default
    /// branch, records the outcome. [`MirrorError::Busy`] when a sync is running; the
    /// fetch's own failure is recorded as `last_error` and returned.
    pub async fn sync_pull_mirror(&self, repo: &Repo) -> Result<FetchOutcome, MirrorError> {
        let now = now_ms();
        let Some(mirror) = self
            .store
            .claim_pull_mirror(repo.id, now, self.lease_until(now))
            .await?
        else {
            return Err(match self.store.pull_mirror(repo.id).await? {
                Some(_) => MirrorError::Busy,
                None => MirrorError::NotFound,
            });
        };
        let result = self.fetch_mirror(repo, &mirror).await;
        let error = result.as_ref().err().map(error_text);
        if let Err(e) = self
            .store
            .finish_pull_mirror(repo.id, now_ms(), error.as_deref())
            .await
        {
            tracing::warn!(error = %e, repo = repo.id, "recording a mirror sync failed");
        }
        result
    }

    async fn fetch_mirror(
        &self,
        repo: &Repo,
        mirror: &PullMirror,
    ) -> Result<FetchOutcome, MirrorError> {
        let remote = self.remote_of(
            &mirror.remote_url,
            &mirror.remote_username,
            &mirror.remote_password,
        )?;
        let git = self.open_git(repo).await?;
        let outcome = self
            .fetch_into(
                &git,
                &remote,
                &FetchOptions {
                    pull_requests: false,
                    prune: mirror.prune,
                },
            )
            .await?;
        self.adopt_remote_head(&git, repo, outcome.head.as_deref())
            .await?;
        if !outcome.updated.is_empty() || !outcome.deleted.is_empty() {
            self.after_mirror_fetch(repo, &outcome).await;
        }
        if let Some((name, why)) = outcome.failed.first() {
            return Err(MirrorError::Remote(RemoteError::Rejected(format!(
                "{name} was not updated: {why}"
            ))));
        }
        Ok(outcome)
    }

    /// What follows a sync that changed refs, as after a push (by nobody in particular):
    /// the push time, and webhooks' push, create and delete events.
    async fn after_mirror_fetch(&self, repo: &Repo, outcome: &FetchOutcome) {
        if let Err(e) = self.store.touch_repo_pushed(repo.id, now_ms()).await {
            tracing::warn!(error = %e, repo = repo.id, "recording a mirror sync failed");
        }
        let updates = outcome
            .updated
            .iter()
            .chain(&outcome.deleted)
            .map(|c| (c.name.clone(), c.old, c.new))
            .collect();
        self.webhooks_after_push(repo, hatchery_core::Actor::Anonymous, updates)
            .await;
    }

    /// Adds a push mirror to `repo` (Gitea's name for it: `remote_mirror_<random>`).
    pub async fn add_push_mirror(
        &self,
        repo: &Repo,
        input: &PushMirrorInput,
    ) -> Result<PushMirror, MirrorError> {
        let (remote, interval_ms) = self.mirror_input(
            &input.remote_address,
            &input.remote_username,
            &input.remote_password,
            &input.interval,
        )?;
        let creds = remote.credentials.clone().unwrap_or_default();
        let sealed = self.seal_key()?.seal(&creds.password)?;
        let name = format!("remote_mirror_{}", hex::encode(rand::random::<[u8; 5]>()));
        Ok(self
            .store
            .create_push_mirror(
                repo.id,
                &name,
                &MirrorSettings {
                    remote_url: remote.as_str(),
                    remote_username: &creds.username,
                    remote_password: &sealed,
                    interval_ms,
                    flag: input.sync_on_commit,
                },
                now_ms(),
            )
            .await?)
    }

    /// Removes a push mirror by name.
    pub async fn remove_push_mirror(&self, repo: &Repo, name: &str) -> Result<(), MirrorError> {
        Ok(self.store.delete_push_mirror(repo.id, name).await?)
    }

    /// Pushes to one push mirror now and records the outcome. [`MirrorError::Busy`] when
    /// it is being pushed already.
    pub async fn sync_push_mirror(&self, id: i64) -> Result<PushOutcome, MirrorError> {
        let now = now_ms();
        let Some(mirror) = self
            .store
            .claim_push_mirror(id, now, self.lease_until(now))
            .await?
        else {
            return Err(match self.store.push_mirror(id).await? {
                Some(_) => MirrorError::Busy,
                None => MirrorError::NotFound,
            });
        };
        let result = self.push_mirror_now(&mirror).await;
        let error = result.as_ref().err().map(error_text);
        if let Err(e) = self
            .store
            .finish_push_mirror(id, now_ms(), error.as_deref())
            .await
        {
            tracing::warn!(error = %e, mirror = id, "recording a push mirror sync failed");
        }
        result
    }

    async fn push_mirror_now(&self, mirror: &PushMirror) -> Result<PushOutcome, MirrorError> {
        let remote = self.remote_of(
            &mirror.remote_url,
            &mirror.remote_username,
            &mirror.remote_password,
        )?;
        let repo = self
            .store
            .repo_by_id(mirror.repo_id)
            .await
            .map_err(ServiceError::from)?
            .ok_or(MirrorError::NotFound)?;
        let outcome = self.push_remote(&repo, &remote).await?;
        if let Some((name, why)) = outcome.failed.first() {
            return Err(MirrorError::Remote(RemoteError::Rejected(format!(
                "{name}: {why}"
            ))));
        }
        Ok(outcome)
    }

    /// Pushes to every push mirror of `repo` now, one after the other; the outcomes are
    /// recorded on each (a busy one is skipped). Returns how many were pushed.
    pub async fn sync_push_mirrors(&self, repo: &Repo) -> Result<usize, MirrorError> {
        let mut done = 0;
        for m in self.store.push_mirrors(repo.id).await? {
            match self.sync_push_mirror(m.id).await {
                Ok(_) => done += 1,
                Err(MirrorError::Busy) => {}
                Err(e) => {
                    tracing::info!(error = %e, mirror = m.id, "push mirror sync failed");
                }
            }
        }
        Ok(done)
    }

    /// After an accepted push: the push mirrors with `sync_on_commit` are pushed (run it
    /// in the background: the pusher does not wait).
    pub async fn push_mirrors_after_push(&self, repo_id: i64) {
        let mirrors = match self.store.push_mirrors(repo_id).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, repo = repo_id, "reading push mirrors failed");
                return;
            }
        };
        for m in mirrors.into_iter().filter(|m| m.sync_on_commit) {
            if let Err(e) = self.sync_push_mirror(m.id).await {
                tracing::info!(error = %e, mirror = m.id, "push mirror sync after a push failed");
            }
        }
    }

    /// One round of the background job: every due pull mirror, then every due push
    /// mirror, one at a time. Returns how many were synced and the failures in words.
    pub async fn sync_due_mirrors(&self) -> Result<(usize, Vec<String>), ServiceError> {
        let now = now_ms();
        let mut synced = 0;
        let mut failures = Vec::new();
        for repo_id in self.store.due_pull_mirrors(now, ROUND_BATCH).await? {
            let Some(repo) = self.store.repo_by_id(repo_id).await? else {
                continue;
            };
            match self.sync_pull_mirror(&repo).await {
                Ok(_) => synced += 1,
                Err(MirrorError::Busy | MirrorError::NotFound) => {}
                Err(e) => failures.push(format!("{}: {e}", repo.name)),
            }
        }
        for id in self.store.due_push_mirrors(now, ROUND_BATCH).await? {
            match self.sync_push_mirror(id).await {
                Ok(_) => synced += 1,
                Err(MirrorError::Busy | MirrorError::NotFound) => {}
                Err(e) => failures.push(format!("push mirror {id}: {e}")),
            }
        }
        Ok((synced, failures))
    }
}

/// A failure as recorded on the mirror.
fn error_text(e: &MirrorError) -> String {
    let mut text = e.to_string();
    if text.len() > ERROR_MAX {
        let mut cut = ERROR_MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// Syncs due mirrors every minute until `shutdown` resolves (a sync in progress finishes).
/// Safe on every server: the store's leases keep one sync per mirror.
pub async fn run_mirror_job(forge: &Forge, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    let first = forge
        .jobs
        .before_first_round(Job::Mirrors, now_ms(), std::future::pending());
    tokio::select! {
        () = &mut shutdown => return,
        () = first => {}
    }
    loop {
        forge.jobs.started(Job::Mirrors, now_ms());
        let failure = match forge.sync_due_mirrors().await {
            Ok((n, failures)) => {
                if n > 0 {
                    tracing::info!(mirrors = n, "mirrors synced");
                }
                (!failures.is_empty()).then(|| failures.join("; "))
            }
            Err(e) => {
                tracing::warn!(error = %e, "syncing mirrors failed");
                Some(format!("syncing mirrors failed: {e}"))
            }
        };
        let next = now_ms() + i64::try_from(POLL_INTERVAL.as_millis()).unwrap_or(60_000);
        forge
            .jobs
            .finished(Job::Mirrors, now_ms(), failure, Some(next));
        tokio::select! {
            () = tokio::time::sleep(POLL_INTERVAL) => {}
            () = &mut shutdown => return,
        }
    }
}
