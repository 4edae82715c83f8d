//! Fetching from and pushing to another git server over smart HTTP: the git data of pull
//! mirrors, push mirrors and imports. The bytes are `hatchery_protocol::client`'s; this
//! module carries them over the outbound client (`outbound`, `migrations.allowed_hosts`),
//! receives packs through the repository's receive quarantine (nothing is visible until the
//! pack is complete and connected) and moves refs with compare-and-swap updates.
//!
//! No `git` binary: the pack a push sends is planned and written by `hatchery-git` as for a
//! clone.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use hatchery_core::netpolicy::AllowedHosts;
use hatchery_git::{Oid, RefUpdate, Repository};
use hatchery_protocol::client::{self as wire, Advertisement, ClientError, PushCommand, RemoteRef};
use hatchery_store::Repo;

use crate::outbound::{self, Policy, PreflightError};
use crate::{Forge, ServiceError};

/// The setting that governs where mirrors and imports may connect.
pub const ALLOWED_HOSTS_SETTING: &str = "migrations.allowed_hosts";
/// Longest accepted URL of a remote.
pub const MAX_URL_LEN: usize = 2048;
/// Largest ref advertisement, `ls-refs` answer or push report read into memory.
const MAX_ANSWER_BYTES: usize = 64 << 20;
/// The longest a read from the remote may stall.
const READ_STALL: Duration = Duration::from_secs(300);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Haves sent in a fetch: the newest local tips are enough for the remote to leave out
/// what we have.
const MAX_HAVES: usize = 512;

/// Where mirrors and imports may connect and how much they may bring.
#[derive(Debug, Clone)]
pub struct RemoteSettings {
    /// `migrations.allowed_hosts`.
    pub allowed_hosts: AllowedHosts,
    /// Largest pack one fetch may receive (`git.max_push_bytes`).
    pub max_pack_bytes: u64,
    /// Longest one fetch or push may take (`git.max_push_secs`).
    pub max_duration: Duration,
}

impl Default for RemoteSettings {
    fn default() -> RemoteSettings {
        RemoteSettings {
            allowed_hosts: AllowedHosts::default(),
            max_pack_bytes: 1 << 30,
            max_duration: Duration::from_secs(3600),
        }
    }
}

/// The remote part of the [`Forge`]: settings and the HTTP client, made at first use.
#[derive(Debug, Default)]
pub struct Remotes {
    settings: Arc<RemoteSettings>,
    client: OnceLock<reqwest::Client>,
}

/// A user name and password (or token), sent as HTTP Basic. Never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

impl Credentials {
    /// Credentials when either part is given.
    pub fn from_parts(username: &str, password: &str) -> Option<Credentials> {
        (!username.is_empty() || !password.is_empty()).then(|| Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// A checked remote: an `http(s)` URL without credentials in it, and the credentials.
#[derive(Debug, Clone)]
pub struct RemoteUrl {
    url: reqwest::Url,
    pub credentials: Option<Credentials>,
}

impl RemoteUrl {
    /// The URL as shown and stored (never with credentials).
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    fn endpoint(&self, tail: &str) -> Result<reqwest::Url, RemoteError> {
        let base = self.url.as_str().trim_end_matches('/');
        reqwest::Url::parse(&format!("{base}/{tail}"))
            .map_err(|e| RemoteError::InvalidUrl(e.to_string()))
    }
}

/// Why a fetch or push did not happen (or not completely). Every message is meant for the
/// person who set the mirror up: it is shown as the mirror's last error.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("the address {0}")]
    InvalidUrl(String),
    #[error("the address is not allowed: {0}")]
    Refused(String),
    #[error("cannot reach the remote: {0}")]
    Unreachable(String),
    #[error("the remote refused the credentials (HTTP {0})")]
    Unauthorized(u16),
    #[error("the remote has no repository at this address (HTTP 404)")]
    NotFound,
    #[error("the remote answered HTTP {0}")]
    Http(u16),
    #[error("the remote is not a git server that speaks smart HTTP ({0})")]
    NotGit(String),
    #[error("{0}")]
    Protocol(#[from] ClientError),
    #[error("the remote's pack is larger than the allowed {0} bytes")]
    TooLarge(u64),
    #[error("the transfer took longer than the allowed {0} seconds")]
    TimedOut(u64),
    #[error("the pack from the remote is unusable: {0}")]
    BadPack(String),
    #[error("the remote refused the push: {0}")]
    Rejected(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<hatchery_git::Error> for RemoteError {
    fn from(e: hatchery_git::Error) -> RemoteError {
        RemoteError::Service(ServiceError::Git(e))
    }
}

impl From<tokio::task::JoinError> for RemoteError {
    fn from(e: tokio::task::JoinError) -> RemoteError {
        RemoteError::Service(e.into())
    }
}

/// Which refs a fetch brings and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchOptions {
    /// Also `refs/pull/N/head` (GitHub's and Gitea's pull request heads), kept under the
    /// same names.
    pub pull_requests: bool,
    /// Delete local branches and tags (and pull refs, when fetched) the remote no longer
    /// has.
    pub prune: bool,
}

impl Default for FetchOptions {
    fn default() -> FetchOptions {
        FetchOptions {
            pull_requests: false,
            prune: true,
        }
    }
}

/// One ref a fetch or push changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    pub name: String,
    pub old: Option<Oid>,
    pub new: Option<Oid>,
}

/// What a fetch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchOutcome {
    /// Refs created or moved (force: the remote wins).
    pub updated: Vec<RefChange>,
    /// Refs deleted by pruning.
    pub deleted: Vec<RefChange>,
    /// Refs the remote has that could not be updated here, with the reason.
    pub failed: Vec<(String, String)>,
    /// The branch the remote's `HEAD` names (`main`), when it said.
    pub head: Option<String>,
    /// Pack bytes received.
    pub bytes: u64,
    /// Objects received.
    pub objects: u64,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushOutcome {
    /// Refs the remote accepted.
    pub updated: Vec<RefChange>,
    /// Refs the remote refused (`ng`), with its reason.
    pub failed: Vec<(String, String)>,
    /// Pack bytes sent.
    pub bytes: u64,
}

impl Forge {
    /// Applies the mirror and import settings; call before sharing the forge.
    pub fn with_remotes(mut self, settings: RemoteSettings) -> Forge {
        self.remotes = Remotes {
            settings: Arc::new(settings),
            client: OnceLock::new(),
        };
        self
    }

    pub fn remote_settings(&self) -> &RemoteSettings {
        &self.remotes.settings
    }

    pub(crate) fn remote_policy(&self) -> Policy {
        Policy {
            allowed: self.remotes.settings.allowed_hosts.clone(),
            setting: ALLOWED_HOSTS_SETTING,
        }
    }

    /// Checks a mirror's or import's address (item 4 of the network policy): `http` or
    /// `https` only — never `file://`, `ssh://`, `ext::` or a local path — with a host a
    /// literal address of which `migrations.allowed_hosts` allows (names are checked at
    /// every connection). Credentials written into the URL (`https://user:token@host/...`)
    /// are taken out of it: they become the credentials when none are given separately,
    /// and the address is refused when both are.
    pub fn check_remote_url(
        &self,
        url: &str,
        credentials: Option<Credentials>,
    ) -> Result<RemoteUrl, RemoteError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(RemoteError::InvalidUrl("is required".into()));
        }
        if url.len() > MAX_URL_LEN {
            return Err(RemoteError::InvalidUrl(format!(
                "is longer than {MAX_URL_LEN} characters"
            )));
        }
        let mut parsed = match outbound::check_url(url, &self.remote_policy()) {
            Ok(u) => u,
            Err(e) if e.contains(ALLOWED_HOSTS_SETTING) => return Err(RemoteError::Refused(e)),
            Err(e) => return Err(RemoteError::InvalidUrl(e)),
        };
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(RemoteError::InvalidUrl(
                "must not have a query (?...) or fragment (#...)".into(),
            ));
        }
        let mut credentials = credentials;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            if credentials.is_some() {
                return Err(RemoteError::InvalidUrl(
                    "has credentials in it and beside it; give them once, in the credential fields"
                        .into(),
                ));
            }
            let decode = |s: &str| {
                percent_decode(s).ok_or_else(|| {
                    RemoteError::InvalidUrl("has badly encoded credentials in it".into())
                })
            };
            credentials = Some(Credentials {
                username: decode(parsed.username())?,
                password: decode(parsed.password().unwrap_or_default())?,
            });
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
        }
        Ok(RemoteUrl {
            url: parsed,
            credentials,
        })
    }

    fn remote_client(&self) -> Result<&reqwest::Client, RemoteError> {
        if let Some(c) = self.remotes.client.get() {
            return Ok(c);
        }
        // No limit on a whole request (a large fetch takes long; the transfer's own
        // deadline bounds it), but a stalled read ends it.
        let client = outbound::client(
            &self.remote_policy(),
            outbound::ClientOptions {
                connect_timeout: CONNECT_TIMEOUT,
                whole: None,
                stalled_read: Some(READ_STALL),
                redirects: 0,
            },
        )
        .map_err(|e| RemoteError::Unreachable(outbound::describe(&e)))?;
        Ok(self.remotes.client.get_or_init(|| client))
    }

    async fn check_destination(&self, remote: &RemoteUrl) -> Result<(), RemoteError> {
        match outbound::preflight(&remote.url, &self.remote_policy()).await {
            Ok(()) => Ok(()),
            Err(PreflightError::Refused(m)) => Err(RemoteError::Refused(m)),
            Err(PreflightError::Transient(m)) => Err(RemoteError::Unreachable(m)),
        }
    }

    async fn remote_get(
        &self,
        remote: &RemoteUrl,
        service: hatchery_protocol::Service,
        v2: bool,
    ) -> Result<Vec<u8>, RemoteError> {
        let url = remote.endpoint(&format!("info/refs?service={}", service.name()))?;
        let mut request = self.remote_client()?.get(url);
        if v2 {
            request = request.header("Git-Protocol", "version=2");
        }
        let response = send(request, remote).await?;
        expect_type(&response, service.advertisement_content_type())?;
        read_limited(response, MAX_ANSWER_BYTES).await
    }

    fn remote_post(
        &self,
        remote: &RemoteUrl,
        service: hatchery_protocol::Service,
        v2: bool,
        body: Vec<u8>,
    ) -> Result<reqwest::RequestBuilder, RemoteError> {
        let url = remote.endpoint(service.name())?;
        let mut request = self
            .remote_client()?
            .post(url)
            .header("Content-Type", service.request_content_type())
            .header("Accept", service.result_content_type())
            .body(body);
        if v2 {
            request = request.header("Git-Protocol", "version=2");
        }
        Ok(request)
    }

    /// The refs of a remote (protocol v2 `ls-refs`, or the v0 advertisement), limited to
    /// `prefixes`; the capabilities of the advertisement come with them.
    async fn remote_refs(
        &self,
        remote: &RemoteUrl,
        prefixes: &[&str],
    ) -> Result<(Advertisement, Vec<RemoteRef>), RemoteError> {
        use hatchery_protocol::Service;
        let body = self.remote_get(remote, Service::UploadPack, true).await?;
        let adv = wire::parse_advertisement(&body)?;
        let refs = match &adv {
            Advertisement::V2 { capabilities } => {
                if !adv.has("ls-refs") || !adv.has("fetch") {
                    return Err(ClientError::Unsupported(
                        "the remote speaks protocol v2 without ls-refs and fetch".into(),
                    )
                    .into());
                }
                let request = wire::ls_refs_request(capabilities, prefixes);
                let response = send(
                    self.remote_post(remote, Service::UploadPack, true, request)?,
                    remote,
                )
                .await?;
                expect_type(&response, Service::UploadPack.result_content_type())?;
                let body = read_limited(response, MAX_ANSWER_BYTES).await?;
                wire::parse_ls_refs(&body)?
            }
            Advertisement::V0 { refs, .. } => refs
                .iter()
                .filter(|r| r.name == "HEAD" || prefixes.iter().any(|p| r.name.starts_with(p)))
                .cloned()
                .collect(),
        };
        Ok((adv, refs))
    }

    /// Fetches a remote's branches and tags (and pull refs, when asked) into the
    /// repository of `repo`, the remote winning every difference (mirror semantics:
    /// force updates; with `prune`, refs the remote lacks are deleted here).
    ///
    /// The pack goes through the repository's receive quarantine and a connectivity check
    /// before any object becomes visible; refs then move with compare-and-swap updates
    /// against the values read before the fetch, so a ref changed meanwhile is reported in
    /// [`FetchOutcome::failed`], never overwritten blindly.
    pub async fn fetch_remote(
        &self,
        repo: &Repo,
        remote: &RemoteUrl,
        options: &FetchOptions,
    ) -> Result<FetchOutcome, RemoteError> {
        let git = self.open_git(repo).await?;
        self.fetch_into(&git, remote, options).await
    }

    /// Makes the remote's default branch (`head`, from a fetch) the repository's, once the
    /// repository has that branch: HEAD and the stored default branch. Without a remote
    /// HEAD, a repository whose default branch does not exist takes `main`, `master` or
    /// its first branch, so that its pages show code.
    pub async fn adopt_remote_head(
        &self,
        git: &Repository,
        repo: &Repo,
        head: Option<&str>,
    ) -> Result<(), ServiceError> {
        let wanted = head.map(str::to_owned);
        let current = repo.default_branch.clone();
        let set = git.clone();
        let chosen = tokio::task::spawn_blocking(move || {
            let branches: Vec<String> = set
                .refs()?
                .into_iter()
                .filter(|r| r.symref_target.is_none())
                .filter_map(|r| r.name.strip_prefix("refs/heads/").map(str::to_owned))
                .collect();
            let has = |b: &str| branches.iter().any(|x| x == b);
            let pick = match wanted {
                Some(w) if has(&w) => Some(w),
                _ if has(&current) => None,
                _ => ["main", "master"]
                    .into_iter()
                    .find(|b| has(b))
                    .map(str::to_owned)
                    .or_else(|| branches.first().cloned()),
            };
            let Some(branch) = pick else {
                return Ok::<_, hatchery_git::Error>(None);
            };
            let full = format!("refs/heads/{branch}");
            let points_there = match set.head()? {
                hatchery_git::Head::Branch { name, .. } | hatchery_git::Head::Unborn { name } => {
                    name == full
                }
                hatchery_git::Head::Detached(_) => false,
            };
            if !points_there {
                set.set_head(&full)?;
            }
            Ok(Some(branch))
        })
        .await??;
        if let Some(branch) = chosen
            && branch != repo.default_branch
        {
            self.store
                .update_repo(repo.id, &repo.description, repo.is_private, &branch)
                .await?;
        }
        Ok(())
    }

    /// [`Forge::fetch_remote`] into an opened repository.
    pub async fn fetch_into(
        &self,
        git: &Repository,
        remote: &RemoteUrl,
        options: &FetchOptions,
    ) -> Result<FetchOutcome, RemoteError> {
        let started = Instant::now();
        let max = self.remotes.settings.max_duration;
        let deadline = started + max;
        let work = async {
            self.check_destination(remote).await?;
            let mut prefixes = vec!["HEAD", "refs/heads/", "refs/tags/"];
            if options.pull_requests {
                prefixes.push("refs/pull/");
            }
            let (adv, remote_refs) = self.remote_refs(remote, &prefixes).await?;
            let namespaces = &prefixes[1..];
            let mut outcome = FetchOutcome::default();
            let mut wanted: BTreeMap<String, Oid> = BTreeMap::new();
            for r in &remote_refs {
                if r.name == "HEAD" {
                    outcome.head = r
                        .symref_target
                        .as_deref()
                        .and_then(|t| t.strip_prefix("refs/heads/"))
                        .map(str::to_owned);
                    continue;
                }
                if !namespaces.iter().any(|p| r.name.starts_with(p)) {
                    continue;
                }
                // Of a request's refs only its head: `refs/pull/N/merge` is the remote's
                // trial merge, which this server makes itself for its open requests.
                if r.name.starts_with("refs/pull/") && !r.name.ends_with("/head") {
                    continue;
                }
                if let Err(e) = hatchery_git::validate_ref_name(&r.name) {
                    outcome.failed.push((r.name.clone(), e.to_string()));
                    continue;
                }
                wanted.insert(r.name.clone(), r.oid);
            }
            // What we have: the local refs in the fetched namespaces, and which wanted
            // objects are missing.
            let local_git = git.clone();
            let targets: Vec<Oid> = wanted.values().copied().collect();
            let (local, missing) = tokio::task::spawn_blocking(move || {
                let refs = local_git.refs()?;
                let missing: Vec<Oid> = {
                    let mut seen = HashSet::new();
                    targets
                        .into_iter()
                        .filter(|o| seen.insert(*o) && !local_git.has_object(*o))
                        .collect()
                };
                Ok::<_, hatchery_git::Error>((refs, missing))
            })
            .await??;
            let local: BTreeMap<String, Oid> = local
                .into_iter()
                .filter(|r| r.symref_target.is_none())
                .filter(|r| namespaces.iter().any(|p| r.name.starts_with(p)))
                .filter(|r| !r.name.starts_with("refs/pull/") || r.name.ends_with("/head"))
                .map(|r| (r.name, r.target))
                .collect();
            if !missing.is_empty() {
                let mut haves: Vec<Oid> = Vec::new();
                for o in local.values() {
                    if !haves.contains(o) && haves.len() < MAX_HAVES {
                        haves.push(*o);
                    }
                }
                let (bytes, objects) = self
                    .fetch_pack(git, remote, &adv, &missing, &haves, deadline)
                    .await?;
                outcome.bytes = bytes;
                outcome.objects = objects;
            }
            // Refs: the remote wins.
            let mut updates = Vec::new();
            for (name, new) in &wanted {
                let old = local.get(name).copied();
                if old != Some(*new) {
                    updates.push(RefUpdate {
                        name: name.clone(),
                        old,
                        new: Some(*new),
                    });
                }
            }
            if options.prune {
                for (name, old) in &local {
                    if !wanted.contains_key(name) && !outcome.failed.iter().any(|(n, _)| n == name)
                    {
                        updates.push(RefUpdate {
                            name: name.clone(),
                            old: Some(*old),
                            new: None,
                        });
                    }
                }
            }
            if !updates.is_empty() {
                let update_git = git.clone();
                let todo = updates.clone();
                let results =
                    tokio::task::spawn_blocking(move || update_git.update_refs(&todo, false))
                        .await?;
                for (u, r) in updates.into_iter().zip(results) {
                    let change = RefChange {
                        name: u.name,
                        old: u.old,
                        new: u.new,
                    };
                    match r {
                        Ok(_) if change.new.is_none() => outcome.deleted.push(change),
                        Ok(_) => outcome.updated.push(change),
                        Err(e) => outcome.failed.push((change.name, e.to_string())),
                    }
                }
            }
            Ok(outcome)
        };
        match tokio::time::timeout(max, work).await {
            Ok(r) => r,
            Err(_) => Err(RemoteError::TimedOut(max.as_secs())),
        }
    }

    /// Asks for `wants` and receives the pack into the quarantine, checks it is connected
    /// and migrates it. Returns (bytes, objects).
    async fn fetch_pack(
        &self,
        git: &Repository,
        remote: &RemoteUrl,
        adv: &Advertisement,
        wants: &[Oid],
        haves: &[Oid],
        deadline: Instant,
    ) -> Result<(u64, u64), RemoteError> {
        use hatchery_protocol::Service;
        let (v2, request) = match adv {
            Advertisement::V2 { capabilities } => {
                (true, wire::fetch_request(capabilities, wants, haves))
            }
            Advertisement::V0 { capabilities, .. } => {
                (false, wire::fetch_request_v0(capabilities, wants, haves))
            }
        };
        let sideband = match adv {
            Advertisement::V2 { .. } => true,
            Advertisement::V0 { capabilities, .. } => wire::v0_uses_sideband(capabilities),
        };
        let response = send(
            self.remote_post(remote, Service::UploadPack, v2, request)?,
            remote,
        )
        .await?;
        expect_type(&response, Service::UploadPack.result_content_type())?;
        // The body flows to the blocking receiver through a bounded channel.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, String>>(16);
        let limit = self.remotes.settings.max_pack_bytes;
        let pump = tokio::spawn(async move {
            let mut response = response;
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        if tx.send(Ok(chunk.to_vec())).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(outbound::describe(&e))).await;
                        return;
                    }
                }
            }
        });
        let receiving = git.clone();
        let tips = wants.to_vec();
        let max_secs = self.remotes.settings.max_duration.as_secs();
        let received = tokio::task::spawn_blocking(move || {
            let mut body = ChannelReader {
                rx,
                chunk: Vec::new(),
                pos: 0,
            };
            let options = hatchery_git::ReceiveOptions {
                // Protocol framing (5 bytes per 64 KiB) is not pack data; counting it
                // against the pack's budget costs less than 0.01%.
                max_pack_bytes: Some(limit),
                max_object_bytes: None,
                deadline: Some(deadline),
            };
            let secs = max_secs;
            let result = if v2 {
                let mut pack = wire::read_fetch_response(&mut body)?;
                let result = receiving.receive_pack(&mut pack, &options);
                received_pack(result, pack.remote_error(), secs)
            } else {
                let mut pack = wire::read_fetch_response_v0(&mut body, sideband)?;
                let result = receiving.receive_pack(&mut pack, &options);
                received_pack(result, pack.remote_error(), secs)
            };
            let quarantine = result?;
            if let Some(Some(missing)) = quarantine
                .check_connectivity(&tips)?
                .into_iter()
                .find(Option::is_some)
            {
                return Err(RemoteError::BadPack(format!(
                    "object {missing} is missing from the pack"
                )));
            }
            let stats = quarantine.received();
            quarantine.migrate()?;
            Ok::<_, RemoteError>((stats.bytes, stats.objects))
        })
        .await?;
        pump.abort();
        received
    }

    /// Pushes the repository's branches and tags to a remote as a mirror: every branch
    /// and tag that differs is set to the local value (forced), and branches and tags the
    /// remote has that are gone here are deleted. Other refs of the remote are left alone.
    pub async fn push_remote(
        &self,
        repo: &Repo,
        remote: &RemoteUrl,
    ) -> Result<PushOutcome, RemoteError> {
        let git = self.open_git(repo).await?;
        self.push_from(&git, remote).await
    }

    /// [`Forge::push_remote`] from an opened repository.
    pub async fn push_from(
        &self,
        git: &Repository,
        remote: &RemoteUrl,
    ) -> Result<PushOutcome, RemoteError> {
        use hatchery_protocol::Service;
        let max = self.remotes.settings.max_duration;
        let work = async {
            self.check_destination(remote).await?;
            let body = self.remote_get(remote, Service::ReceivePack, false).await?;
            let (remote_refs, capabilities) = match wire::parse_advertisement(&body)? {
                Advertisement::V0 { refs, capabilities } => (refs, capabilities),
                Advertisement::V2 { .. } => {
                    return Err(ClientError::Malformed(
                        "receive-pack answered in protocol v2".into(),
                    )
                    .into());
                }
            };
            let has = |c: &str| {
                capabilities
                    .iter()
                    .any(|x| x == c || x.starts_with(&format!("{c}=")))
            };
            if !has("report-status") {
                return Err(ClientError::Unsupported(
                    "the remote does not report the outcome of pushes (report-status)".into(),
                )
                .into());
            }
            let mirrored = |n: &str| n.starts_with("refs/heads/") || n.starts_with("refs/tags/");
            let theirs: BTreeMap<String, Oid> = remote_refs
                .iter()
                .filter(|r| mirrored(&r.name))
                .map(|r| (r.name.clone(), r.oid))
                .collect();
            let local_git = git.clone();
            let ofs_delta = has("ofs-delta");
            let can_delete = has("delete-refs");
            let limit = self.remotes.settings.max_pack_bytes;
            let planned = tokio::task::spawn_blocking(move || {
                let ours: BTreeMap<String, Oid> = local_git
                    .refs()?
                    .into_iter()
                    .filter(|r| r.symref_target.is_none() && mirrored(&r.name))
                    .map(|r| (r.name, r.target))
                    .collect();
                let mut commands = Vec::new();
                for (name, new) in &ours {
                    let old = theirs.get(name).copied();
                    if old != Some(*new) {
                        commands.push(PushCommand {
                            name: name.clone(),
                            old,
                            new: Some(*new),
                        });
                    }
                }
                if can_delete {
                    for (name, old) in &theirs {
                        if !ours.contains_key(name) {
                            commands.push(PushCommand {
                                name: name.clone(),
                                old: Some(*old),
                                new: None,
                            });
                        }
                    }
                }
                let wants: Vec<Oid> = commands.iter().filter_map(|c| c.new).collect();
                if wants.is_empty() {
                    return Ok::<_, RemoteError>((commands, None));
                }
                // What the remote has, as far as we know those objects: the haves.
                let mut common: Vec<Oid> = Vec::new();
                for o in theirs.values() {
                    if !common.contains(o) && local_git.has_object(*o) {
                        common.push(*o);
                    }
                }
                let plan = local_git.plan_pack(
                    &wants,
                    &common,
                    &Default::default(),
                    &hatchery_git::PackOptions {
                        thin_pack: true,
                        ofs_delta,
                        include_tag: false,
                        filter: None,
                    },
                    &mut (),
                )?;
                let mut pack = Vec::new();
                let mut limited = LimitedWriter {
                    inner: &mut pack,
                    left: limit,
                };
                match plan.write(&mut limited, &mut ()) {
                    Ok(_) => {}
                    Err(_) if limited.left == 0 => return Err(RemoteError::TooLarge(limit)),
                    Err(e) => return Err(e.into()),
                }
                Ok((commands, Some(pack)))
            })
            .await??;
            let (commands, pack) = planned;
            let mut outcome = PushOutcome::default();
            if commands.is_empty() {
                return Ok(outcome);
            }
            let sideband = has("side-band-64k");
            let mut body = wire::push_request(&commands, sideband);
            if let Some(pack) = &pack {
                outcome.bytes = pack.len() as u64;
                body.extend_from_slice(pack);
            }
            drop(pack);
            let response = send(
                self.remote_post(remote, Service::ReceivePack, false, body)?,
                remote,
            )
            .await?;
            expect_type(&response, Service::ReceivePack.result_content_type())?;
            let answer = read_limited(response, MAX_ANSWER_BYTES).await?;
            let report = wire::parse_report_status(&answer, sideband)?;
            if let Err(reason) = report.unpack {
                return Err(RemoteError::Rejected(format!("unpack failed: {reason}")));
            }
            for c in commands {
                match report.refs.iter().find(|(n, _)| *n == c.name) {
                    Some((_, Ok(()))) => outcome.updated.push(RefChange {
                        name: c.name,
                        old: c.old,
                        new: c.new,
                    }),
                    Some((_, Err(reason))) => outcome.failed.push((c.name, reason.clone())),
                    None => outcome
                        .failed
                        .push((c.name, "the remote did not report on it".into())),
                }
            }
            Ok(outcome)
        };
        match tokio::time::timeout(max, work).await {
            Ok(r) => r,
            Err(_) => Err(RemoteError::TimedOut(max.as_secs())),
        }
    }
}

/// A received pack, or the error in words (the remote's own, when it sent one).
fn received_pack(
    result: hatchery_git::Result<hatchery_git::Quarantine>,
    remote_error: Option<&str>,
    max_secs: u64,
) -> Result<hatchery_git::Quarantine, RemoteError> {
    match result {
        Ok(q) => Ok(q),
        Err(hatchery_git::Error::PackTooLarge { limit }) => Err(RemoteError::TooLarge(limit)),
        Err(hatchery_git::Error::PushTimedOut) => Err(RemoteError::TimedOut(max_secs)),
        Err(e) => Err(match remote_error {
            Some(m) => RemoteError::Protocol(ClientError::Remote(m.to_owned())),
            None => RemoteError::BadPack(e.to_string()),
        }),
    }
}

/// Sends a request; transport failures and HTTP errors become [`RemoteError`]s.
async fn send(
    request: reqwest::RequestBuilder,
    remote: &RemoteUrl,
) -> Result<reqwest::Response, RemoteError> {
    let request = match &remote.credentials {
        Some(c) => request.basic_auth(&c.username, Some(&c.password)),
        None => request,
    };
    let response = request.send().await.map_err(|e| {
        let text = outbound::describe(&e);
        if text.contains("refused: ") && text.contains(ALLOWED_HOSTS_SETTING) {
            RemoteError::Refused(text)
        } else {
            RemoteError::Unreachable(text)
        }
    })?;
    let status = response.status().as_u16();
    match status {
        200 => Ok(response),
        401 | 403 => Err(RemoteError::Unauthorized(status)),
        404 => Err(RemoteError::NotFound),
        other => Err(RemoteError::Http(other)),
    }
}

/// A smart-HTTP answer carries its service's content type; anything else (an HTML page, a
/// dumb-HTTP file list) is not git.
fn expect_type(response: &reqwest::Response, wanted: &str) -> Result<(), RemoteError> {
    let got = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if got.split(';').next().unwrap_or("").trim() == wanted {
        Ok(())
    } else {
        Err(RemoteError::NotGit(format!(
            "content type {:?}, expected {wanted}",
            got.chars().take(100).collect::<String>()
        )))
    }
}

async fn read_limited(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, RemoteError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| RemoteError::Unreachable(outbound::describe(&e)))?
    {
        if body.len() + chunk.len() > max {
            return Err(
                ClientError::Malformed(format!("the answer is larger than {max} bytes")).into(),
            );
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The response body, read on a blocking thread.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, String>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.chunk.len() {
            match self.rx.blocking_recv() {
                Some(Ok(c)) => {
                    self.chunk = c;
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A writer that fails once `left` bytes have been written.
struct LimitedWriter<'a> {
    inner: &'a mut Vec<u8>,
    left: u64,
}

impl std::io::Write for LimitedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() as u64 > self.left {
            self.left = 0;
            return Err(std::io::Error::other("pack too large"));
        }
        self.left -= buf.len() as u64;
        self.inner.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `%XX` decoding of a URL's user name or password; `None` when not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print_the_password() {
        let creds = Credentials::from_parts("ada", "hunter2").expect("given");
        assert!(!format!("{creds:?}").contains("hunter2"));
        assert!(Credentials::from_parts("", "").is_none());
    }

    #[test]
    fn percent_decoding_of_url_credentials() {
        assert_eq!(percent_decode("a%40b%3A").as_deref(), Some("a@b:"));
        assert_eq!(percent_decode("%4").as_deref(), Some("%4"));
        assert_eq!(percent_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(percent_decode("%FF"), None);
    }
}
