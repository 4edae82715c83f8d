//! Starting, running and resuming imports: the uploader side.

use std::collections::HashMap;

use hatchery_core::imports::{
    ImportCounts, ImportInputError, ImportItems, ImportState, PullOutcome, SourceKind, Stage, item,
    parse_source,
};
use hatchery_core::{Action, Actor, Decision, Denial, Name, NameKind, Resource, authorize};
use hatchery_store::{
    ImportedComment, ImportedIssue, ImportedMilestone, ImportedPull, ImportedRelease, NewImport,
    Repo, RepoImport, StoreError, now_ms,
};

use super::{
    AnyDownloader, Downloader, ImportError, ImportOptions, SourceAuth, SourceClient, SourceUser,
    Thread,
};
use crate::issues::RepoView;
use crate::mirrors::MirrorError;
use crate::releases::ReleaseError;
use crate::remote::{Credentials, FetchOptions, RemoteUrl};
use crate::repos::{CreateRepo, CreateRepoError};
use crate::{Forge, ServiceError};

/// Where an imported repository goes: an account the actor may create repositories in
/// (the same shape as a fork's owner).
pub type ImportOwner<'a> = crate::forks::ForkOwner<'a>;

/// An import as a person asks for it: Gitea's `MigrateRepoOptions`.
#[derive(Debug, Clone, Default)]
pub struct MigrateRequest {
    pub clone_addr: String,
    pub auth_username: String,
    pub auth_password: String,
    pub auth_token: String,
    /// Gitea's `service`: `git`, `github`, `gitlab`, `gitea`/`forgejo`, `gitee`.
    pub service: String,
    pub repo_name: String,
    pub description: String,
    pub private: bool,
    /// Keep following the source: the repository becomes a pull mirror of it once its git
    /// data is here (issues and the rest stay at the source).
    pub mirror: bool,
    /// The pull mirror's interval (`8h0m0s`, `10m`, `0`); empty: 8 hours.
    pub mirror_interval: String,
    pub items: ImportItems,
    /// Source login -> local user name.
    pub user_map: std::collections::BTreeMap<String, String>,
}

/// Why an import could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Input(#[from] ImportInputError),
    #[error("invalid repository name: {0}")]
    BadName(String),
    #[error("description: {0}")]
    BadDescription(String),
    #[error("mirror_interval: {0}")]
    BadInterval(String),
    /// The credentials cannot be stored (no site key).
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
    /// The clone address is not an allowed destination.
    #[error("clone_addr: {0}")]
    Refused(String),
    #[error("refused: {0:?}")]
    Denied(Denial),
    #[error("a repository with this name already exists")]
    NameTaken,
    #[error("the owner does not exist")]
    NoSuchOwner,
    /// A user map entry names no local user.
    #[error("user map: no local user {0:?}")]
    UnknownUser(String),
    #[error(transparent)]
    Other(#[from] ServiceError),
}

/// Why resuming an import was refused.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// No import, or the repository is not readable: the same answer.
    #[error("not found")]
    NotFound,
    #[error("refused: {0:?}")]
    Denied(Denial),
    /// Only a failed import can be resumed (a running one goes on by itself).
    #[error("the import is not stopped")]
    NotFailed,
    #[error(transparent)]
    Other(#[from] ServiceError),
}

/// What an import's page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProgress {
    pub id: i64,
    pub kind: SourceKind,
    pub clone_addr: String,
    pub state: ImportState,
    pub stage: Stage,
    pub items: ImportItems,
    pub counts: ImportCounts,
    pub last_error: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl ImportProgress {
    /// Whether the viewer may resume it (shown with the error).
    pub fn resumable(&self) -> bool {
        self.state == ImportState::Failed
    }
}

/// The longest description taken, as for a new repository.
const DESCRIPTION_MAX: usize = 1024;

impl Forge {
    /// Applies the `migrations.*` settings; call before sharing the forge.
    pub fn with_imports(mut self, settings: super::ImportSettings) -> Forge {
        self.imports = super::ImportHub {
            settings,
            client: Default::default(),
        };
        self
    }

    pub fn import_settings(&self) -> &super::ImportSettings {
        &self.imports.settings
    }

    fn import_http(&self) -> Result<reqwest::Client, ImportError> {
        self.imports
            .client
            .get_or_init(|| {
                crate::outbound::client(
                    &self.remote_policy(),
                    crate::outbound::ClientOptions {
                        connect_timeout: self.imports.settings.timeout,
                        whole: None,
                        stalled_read: None,
                        redirects: 5,
                    },
                )
                .map_err(|e| tracing::error!(error = %e, "import HTTP client"))
                .ok()
            })
            .clone()
            .ok_or_else(|| ImportError::Http("the HTTP client could not be built".to_owned()))
    }

    /// Checks a source address against the outbound policy of mirrors and imports
    /// (`migrations.allowed_hosts`).
    pub fn check_import_address(&self, url: &str) -> Result<String, String> {
        self.check_remote_url(url, None)
            .map(|r| r.as_str().to_owned())
            .map_err(|e| e.to_string())
    }

    /// Starts importing into a new repository `owner/req.repo_name`: checks the request,
    /// the address and `CreateRepo` on the owner, creates the (empty) repository and the
    /// import's row, and runs the import in the background. The repository exists at once
    /// and shows the import's progress until it is done.
    pub async fn start_import<H>(
        holder: H,
        actor: Actor,
        owner: ImportOwner<'_>,
        req: MigrateRequest,
    ) -> Result<(Repo, RepoImport), StartError>
    where
        H: AsRef<Forge> + Clone + Send + Sync + 'static,
    {
        let forge = holder.as_ref();
        let (repo, import) = forge.create_import(actor, owner, req).await?;
        let runner = holder.clone();
        let id = import.id;
        tokio::spawn(async move { runner.as_ref().run_import_logged(id).await });
        Ok((repo, import))
    }

    /// [`Forge::start_import`] without the background run (the CLI runs it itself).
    pub async fn create_import(
        &self,
        actor: Actor,
        owner: ImportOwner<'_>,
        req: MigrateRequest,
    ) -> Result<(Repo, RepoImport), StartError> {
        let kind = SourceKind::parse(&req.service)?;
        let source = parse_source(kind, &req.clone_addr)?;
        let name = Name::parse(NameKind::Repository, &req.repo_name)
            .map_err(|e| StartError::BadName(e.to_string()))?;
        let description = hatchery_core::validate::text(&req.description, DESCRIPTION_MAX)
            .map_err(|e| StartError::BadDescription(e.to_string()))?;
        let mirror_interval_ms = if req.mirror {
            let ms = hatchery_core::mirrors::parse_interval(&req.mirror_interval)
                .map_err(|e| StartError::BadInterval(e.to_string()))?;
            Some(ms)
        } else {
            None
        };
        self.check_import_address(&source.clone_url)
            .map_err(StartError::Refused)?;
        if let Decision::Deny(d) = authorize(actor, Action::CreateRepo, owner.resource) {
            return Err(StartError::Denied(d));
        }
        let Some(requester) = actor.user_id() else {
            return Err(StartError::Denied(Denial::SignInRequired));
        };
        for local in req.user_map.values() {
            if self.user_id_by_name(local).await?.is_none() {
                return Err(StartError::UnknownUser(local.clone()));
            }
        }
        let options = ImportOptions {
            // A mirror brings the git data only: its issues and releases stay upstream.
            items: if req.mirror {
                ImportItems::default()
            } else {
                req.items.for_kind(kind)
            },
            user_map: req.user_map.clone(),
            mirror_interval_ms,
        };
        let options = serde_json::to_string(&options)
            .map_err(|e| ServiceError::Task(format!("import options: {e}")))?;
        let repo = match self
            .create_repo_by(
                Some(requester),
                CreateRepo {
                    owner_id: owner.id,
                    owner_name: owner.name,
                    name: &name,
                    description: &description,
                    is_private: req.private,
                    init_readme: None,
                },
            )
            .await
        {
            Ok(repo) => repo,
            Err(CreateRepoError::NameTaken) => return Err(StartError::NameTaken),
            Err(CreateRepoError::NoSuchOwner) => return Err(StartError::NoSuchOwner),
            Err(CreateRepoError::Other(e)) => return Err(e.into()),
        };
        let (username, secret) = if req.auth_token.is_empty() {
            (req.auth_username.as_str(), req.auth_password.as_str())
        } else {
            ("", req.auth_token.as_str())
        };
        let secret = match self.seal_key().and_then(|k| k.seal(secret)) {
            Ok(sealed) => sealed,
            Err(e) => {
                if let Err(cleanup) = self.delete_repo(&repo).await {
                    tracing::error!(error = %cleanup, "removing a repository whose import could not be recorded failed");
                }
                return Err(e.into());
            }
        };
        let import = match self
            .store
            .create_import(NewImport {
                repo_id: repo.id,
                requester_id: requester,
                service: kind.as_str(),
                clone_addr: &source.clone_url,
                auth_username: username,
                auth_secret: &secret,
                options: &options,
            })
            .await
        {
            Ok(i) => i,
            Err(e) => {
                if let Err(cleanup) = self.delete_repo(&repo).await {
                    tracing::error!(error = %cleanup, "removing a repository whose import could not be recorded failed");
                }
                return Err(ServiceError::from(e).into());
            }
        };
        tracing::info!(repo = %format!("{}/{}", repo.owner_name, repo.name), service = kind.as_str(), "import started");
        Ok((repo, import))
    }

    async fn user_id_by_name(&self, name: &str) -> Result<Option<i64>, ServiceError> {
        Ok(match self.store.account_by_name(name).await? {
            Some(hatchery_store::Account::User(u)) => Some(u.id),
            _ => None,
        })
    }

    /// The import of a repository, for anyone who may read it.
    pub async fn import_progress(
        &self,
        repo: &Repo,
    ) -> Result<Option<ImportProgress>, ServiceError> {
        let Some(imp) = self.store.import_of_repo(repo.id).await? else {
            return Ok(None);
        };
        self.progress_of(imp).await.map(Some)
    }

    /// The import of a repository while it has not finished: what its pages show in their
    /// header. A finished import is answered from its row alone, without counting its items
    /// (every page of the repository asks).
    pub async fn unfinished_import(
        &self,
        repo: &Repo,
    ) -> Result<Option<ImportProgress>, ServiceError> {
        match self.store.import_of_repo(repo.id).await? {
            Some(imp) if imp.state != ImportState::Done => self.progress_of(imp).await.map(Some),
            _ => Ok(None),
        }
    }

    async fn progress_of(&self, imp: RepoImport) -> Result<ImportProgress, ServiceError> {
        let counts = self.store.import_counts(imp.id).await?;
        let options: ImportOptions = serde_json::from_str(&imp.options).unwrap_or_default();
        Ok(ImportProgress {
            id: imp.id,
            kind: SourceKind::parse(&imp.service).unwrap_or(SourceKind::Git),
            clone_addr: imp.clone_addr,
            state: imp.state,
            stage: imp.stage,
            items: options.items,
            counts,
            last_error: imp.last_error,
            created_at: imp.created_at,
            finished_at: imp.finished_at,
        })
    }

    /// Puts a failed import back to work, where it stopped (repository administrators).
    pub async fn resume_import<H>(holder: H, actor: Actor, repo: &Repo) -> Result<(), ResumeError>
    where
        H: AsRef<Forge> + Clone + Send + Sync + 'static,
    {
        let forge = holder.as_ref();
        forge.requeue_import(actor, repo).await?;
        let Some(imp) = forge
            .store
            .import_of_repo(repo.id)
            .await
            .map_err(ServiceError::from)?
        else {
            return Err(ResumeError::NotFound);
        };
        let runner = holder.clone();
        tokio::spawn(async move { runner.as_ref().run_import_logged(imp.id).await });
        Ok(())
    }

    /// [`Forge::resume_import`] without the background run.
    pub async fn requeue_import(&self, actor: Actor, repo: &Repo) -> Result<i64, ResumeError> {
        let facts = self.repo_facts(actor, repo).await?;
        if !authorize(actor, Action::Read, Resource::Repo(facts)).is_allowed() {
            return Err(ResumeError::NotFound);
        }
        if let Decision::Deny(d) = authorize(actor, Action::Administer, Resource::Repo(facts)) {
            return Err(ResumeError::Denied(d));
        }
        let Some(imp) = self
            .store
            .import_of_repo(repo.id)
            .await
            .map_err(ServiceError::from)?
        else {
            return Err(ResumeError::NotFound);
        };
        if !self
            .store
            .requeue_import(imp.id)
            .await
            .map_err(ServiceError::from)?
        {
            return Err(ResumeError::NotFailed);
        }
        Ok(imp.id)
    }

    /// Starts a runner for every import that has none: queued ones and those whose
    /// runner's lease ran out (a crash, a stopped server). Called soon after start and every
    /// minute by each server; two servers never run one import at once (the claim).
    pub async fn run_pending_imports<H>(holder: H) -> Result<usize, ServiceError>
    where
        H: AsRef<Forge> + Clone + Send + Sync + 'static,
    {
        let ids = holder.as_ref().store.claimable_imports(now_ms()).await?;
        for &id in &ids {
            let runner = holder.clone();
            tokio::spawn(async move { runner.as_ref().run_import_logged(id).await });
        }
        Ok(ids.len())
    }

    async fn run_import_logged(&self, id: i64) {
        match self.run_import(id).await {
            Ok(Some(ImportState::Failed)) => {
                tracing::warn!(import = id, "import failed (see its page)")
            }
            Ok(Some(_)) | Ok(None) => {}
            Err(e) => tracing::error!(error = %e, import = id, "import runner failed"),
        }
    }

    /// Runs an import to its end (done or failed) if this caller can claim it; `None`
    /// when another runner holds it or it is not waiting.
    pub async fn run_import(&self, id: i64) -> Result<Option<ImportState>, ServiceError> {
        let lease = i64::try_from(self.imports.settings.lease.as_millis()).unwrap_or(120_000);
        let now = now_ms();
        if !self.store.claim_import(id, now, now + lease).await? {
            return Ok(None);
        }
        let Some(imp) = self.store.import_by_id(id).await? else {
            return Ok(None);
        };
        let mut runner = Runner {
            forge: self,
            held: now + lease,
            lease,
            page: 1,
            imp,
            authors: HashMap::new(),
            names: None,
        };
        let outcome = runner.run().await;
        let error = match &outcome {
            Ok(()) => None,
            Err(ImportError::Service(ServiceError::Store(StoreError::Unavailable(_)))) => {
                // Leave it running: the lease runs out and the import is taken up again.
                return outcome
                    .map(|_| None)
                    .map_err(|e| ServiceError::Task(e.to_string()));
            }
            Err(e) => Some(e.to_string()),
        };
        let ended = self
            .store
            .end_import(id, runner.held, error.as_deref())
            .await?;
        if !ended {
            return Ok(None);
        }
        if error.is_none() {
            tracing::info!(import = id, "import done");
        }
        Ok(Some(if error.is_some() {
            ImportState::Failed
        } else {
            ImportState::Done
        }))
    }
}

/// One run of one import.
struct Runner<'f> {
    forge: &'f Forge,
    imp: RepoImport,
    /// The lease this runner holds (the row's `lease_until`).
    held: i64,
    lease: i64,
    /// The page the current stage is on.
    page: u32,
    /// Source login -> local author (user id, original author name).
    authors: HashMap<String, (i64, String)>,
    /// The repository's label and milestone ids by lower-case name, read once at the first
    /// issue (the label and milestone stages come before the issue stages).
    names: Option<(HashMap<String, i64>, HashMap<String, i64>)>,
}

impl Runner<'_> {
    async fn advance(&mut self, stage: Stage, page: u32) -> Result<(), ImportError> {
        let next = now_ms().max(self.held) + self.lease;
        let held = self
            .forge
            .store
            .advance_import(self.imp.id, self.held, stage, &page.to_string(), next)
            .await?;
        if !held {
            return Err(ImportError::Refused(
                "another runner took this import over".to_owned(),
            ));
        }
        self.held = next;
        self.page = page;
        Ok(())
    }

    async fn run(&mut self) -> Result<(), ImportError> {
        let kind = SourceKind::parse(&self.imp.service)?;
        let source = parse_source(kind, &self.imp.clone_addr)?;
        self.forge
            .check_import_address(&source.clone_url)
            .map_err(ImportError::Refused)?;
        let options: ImportOptions = serde_json::from_str(&self.imp.options).map_err(|e| {
            ImportError::Service(ServiceError::Task(format!("import options: {e}")))
        })?;
        let repo = self
            .forge
            .store
            .repo_by_id(self.imp.repo_id)
            .await?
            .ok_or_else(|| ImportError::Refused("the repository is gone".to_owned()))?;
        let requester = match self.imp.requester_id {
            Some(id) => self.forge.store.user_by_id(id).await?,
            None => None,
        }
        .ok_or_else(|| ImportError::Refused("the importing account is gone".to_owned()))?;
        let actor = Actor::User {
            id: requester.id,
            site_admin: requester.is_admin,
        };
        for (login, local) in &options.user_map {
            if let Some(id) = self.forge.user_id_by_name(local).await? {
                self.authors
                    .insert(login.to_lowercase(), (id, String::new()));
            }
        }
        let secret = self
            .forge
            .seal_key()
            .and_then(|k| k.open(&self.imp.auth_secret))
            .map_err(|e| ImportError::Refused(format!("{e}; start the import again")))?;
        let auth = if self.imp.auth_username.is_empty() {
            SourceAuth {
                token: secret,
                ..SourceAuth::default()
            }
        } else {
            SourceAuth {
                username: self.imp.auth_username.clone(),
                password: secret,
                token: String::new(),
            }
        };
        let client = SourceClient::new(
            self.forge.import_http()?,
            auth.clone(),
            self.forge.imports.settings.max_rate_wait,
        );
        let downloader = AnyDownloader::new(&source, client);
        let items = options.items.for_kind(kind);
        let mut stage = self.imp.stage;
        let mut page: u32 = self.imp.cursor.parse().unwrap_or(1).max(1);
        self.page = page;
        let ctx = Ctx {
            repo,
            requester: requester.id,
            actor,
            service: kind,
        };
        loop {
            if stage != Stage::Done && items.wants(stage) {
                match (&downloader, stage) {
                    (_, Stage::Git) => {
                        if let Some(d) = &downloader {
                            // Reachable, and readable with these credentials?
                            d.repo_info().await?;
                        }
                        // Requests' heads, where the source keeps them as `refs/pull/N/head`
                        // under the numbers they keep here.
                        let pull_heads = items.pull_requests
                            && matches!(kind, SourceKind::Github | SourceKind::Gitea);
                        self.forge
                            .import_git_data(&ctx.repo, &source.clone_url, &auth, pull_heads)
                            .await?;
                    }
                    (None, _) => {}
                    (Some(d), _) => self.stage(d, &ctx, stage, page).await?,
                }
            }
            if stage == Stage::Done {
                if let Some(interval_ms) = options.mirror_interval_ms {
                    self.forge
                        .mirror_after_import(&ctx.repo, &source.clone_url, &auth, interval_ms)
                        .await?;
                }
                return Ok(());
            }
            stage = stage.next(items);
            page = 1;
            self.advance(stage, page).await?;
        }
    }

    /// One listing stage from `page` to its last page, advancing the cursor after each.
    async fn stage<D: Downloader>(
        &mut self,
        d: &D,
        ctx: &Ctx,
        stage: Stage,
        mut page: u32,
    ) -> Result<(), ImportError> {
        let store = &self.forge.store;
        let repo_id = ctx.repo.id;
        let id = self.imp.id;
        loop {
            let next = match stage {
                Stage::Labels => {
                    let p = d.labels(page).await?;
                    for l in &p.items {
                        let color = hatchery_core::issues::color(&l.color)
                            .unwrap_or_else(|| "#cccccc".to_owned());
                        let name: String = l.name.chars().take(50).collect();
                        store
                            .import_label(id, &l.id, repo_id, (&name, &color, &l.description))
                            .await?;
                    }
                    p.next
                }
                Stage::Milestones => {
                    let p = d.milestones(page).await?;
                    for m in &p.items {
                        store
                            .import_milestone(
                                id,
                                &m.id,
                                &ImportedMilestone {
                                    repo_id,
                                    title: &m.title,
                                    description: &m.description,
                                    due_at: m.due_at,
                                    is_closed: m.closed,
                                    created_at: m.created_at,
                                    updated_at: m.updated_at,
                                    closed_at: m.closed_at,
                                },
                            )
                            .await?;
                    }
                    p.next
                }
                Stage::Issues => {
                    let p = d.issues(page).await?;
                    for i in &p.items {
                        self.issue(d, ctx, i, None).await?;
                    }
                    p.next
                }
                Stage::PullRequests => {
                    let p = d.pulls(page).await?;
                    for pr in &p.items {
                        self.issue(d, ctx, &pr.issue, Some(pr)).await?;
                    }
                    p.next
                }
                Stage::Releases => {
                    let p = d.releases(page).await?;
                    for r in &p.items {
                        self.release(d, ctx, r).await?;
                    }
                    p.next
                }
                Stage::Git | Stage::Done => None,
            };
            match next {
                Some(n) if n > page => {
                    page = n;
                    self.advance(stage, page).await?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// The local author of an item: the mapped or matching (by e-mail) account, else the
    /// importing person with the source's name kept.
    async fn author(&mut self, ctx: &Ctx, user: &SourceUser) -> Result<(i64, String), ImportError> {
        let key = user.login.to_lowercase();
        if let Some(found) = self.authors.get(&key) {
            return Ok(found.clone());
        }
        let mut found = (ctx.requester, user.login.clone());
        if !user.email.is_empty() {
            let by_email = self
                .forge
                .store
                .users_by_emails(std::slice::from_ref(&user.email))
                .await?;
            if let Some(&uid) = by_email.get(&user.email.to_lowercase()) {
                found = (uid, String::new());
            }
        }
        if found.1.is_empty() && found.0 == ctx.requester && user.login.is_empty() {
            found.1 = "ghost".to_owned();
        }
        self.authors.insert(key, found.clone());
        Ok(found)
    }

    async fn issue<D: Downloader>(
        &mut self,
        d: &D,
        ctx: &Ctx,
        i: &super::SourceIssue,
        pull: Option<&super::SourcePull>,
    ) -> Result<(), ImportError> {
        if self.names.is_none() {
            let store = &self.forge.store;
            let labels = store
                .label_names(ctx.repo.id)
                .await?
                .into_iter()
                .map(|(id, n)| (n.to_lowercase(), id))
                .collect();
            let milestones = store
                .milestone_titles(ctx.repo.id)
                .await?
                .into_iter()
                .map(|(id, t)| (t.to_lowercase(), id))
                .collect();
            self.names = Some((labels, milestones));
        }
        let (labels, milestones) = self.names.as_ref().expect("read just above");
        let label_ids: Vec<i64> = i
            .labels
            .iter()
            .filter_map(|n| labels.get(&n.to_lowercase()).copied())
            .collect();
        let milestone_id = i
            .milestone
            .as_ref()
            .and_then(|t| milestones.get(&t.to_lowercase()).copied());
        let (author_id, original) = self.author(ctx, &i.author).await?;
        // Who merged: only an account that is theirs here (not the importer in their place).
        let merged_by = match pull.and_then(|p| p.merged_by.as_ref()) {
            Some(u) => match self.author(ctx, u).await? {
                (id, o) if o.is_empty() => Some(id),
                _ => None,
            },
            None => None,
        };
        // Assignees: only those who are themselves here.
        let mut assignee_ids = Vec::new();
        for u in &i.assignees {
            if let (id, o) = self.author(ctx, u).await?
                && o.is_empty()
                && !assignee_ids.contains(&id)
            {
                assignee_ids.push(id);
            }
        }
        let kind = if pull.is_some() {
            item::PULL
        } else {
            item::ISSUE
        };
        let title: String = i.title.chars().take(255).collect();
        let title = if title.trim().is_empty() {
            format!("#{}", i.number)
        } else {
            title
        };
        let issue_id = self
            .forge
            .store
            .import_issue(
                self.imp.id,
                kind,
                &i.id,
                &ImportedIssue {
                    repo_id: ctx.repo.id,
                    number: i.number,
                    author_id,
                    original_service: if original.is_empty() {
                        ""
                    } else {
                        ctx.service.as_str()
                    },
                    original_author: &original,
                    title: &title,
                    body: &i.body,
                    is_closed: i.closed,
                    is_locked: i.locked,
                    milestone_id,
                    label_ids: &label_ids,
                    assignee_ids: &assignee_ids,
                    created_at: i.created_at,
                    updated_at: i.updated_at,
                    closed_at: i.closed_at,
                    pull: pull.map(|pr| ImportedPull {
                        outcome: if pr.merged {
                            PullOutcome::Merged
                        } else if pr.issue.closed {
                            PullOutcome::Closed
                        } else {
                            PullOutcome::Open
                        },
                        base_branch: &pr.base_branch,
                        head_branch: &pr.head_branch,
                        head_oid: &pr.head_sha,
                        merge_commit: &pr.merge_commit,
                        merge_base: &pr.merge_base,
                        merged_by,
                        merged_at: pr.merged_at,
                    }),
                },
            )
            .await?;
        if i.comments == Some(0) {
            return Ok(());
        }
        let thread = Thread {
            key: &i.key,
            is_pull: pull.is_some(),
        };
        let mut page = 1;
        loop {
            let p = d.comments(thread, page).await?;
            for c in &p.items {
                let (author_id, original) = self.author(ctx, &c.author).await?;
                self.forge
                    .store
                    .import_comment(
                        self.imp.id,
                        &c.id,
                        &ImportedComment {
                            issue_id,
                            author_id,
                            original_service: if original.is_empty() {
                                ""
                            } else {
                                ctx.service.as_str()
                            },
                            original_author: &original,
                            body: &c.body,
                            created_at: c.created_at,
                            updated_at: c.updated_at,
                        },
                    )
                    .await?;
            }
            match p.next {
                Some(n) if n > page => page = n,
                _ => return Ok(()),
            }
        }
    }

    async fn release<D: Downloader>(
        &mut self,
        d: &D,
        ctx: &Ctx,
        r: &super::SourceRelease,
    ) -> Result<(), ImportError> {
        let (author_id, _) = self.author(ctx, &r.author).await?;
        let release_id = self
            .forge
            .store
            .import_release(
                self.imp.id,
                &r.id,
                &ImportedRelease {
                    repo_id: ctx.repo.id,
                    tag_name: &r.tag_name,
                    target: &r.target,
                    title: &r.name,
                    note: &r.body,
                    is_draft: r.draft,
                    is_prerelease: r.prerelease,
                    author_id,
                    created_at: r.created_at,
                    published_at: r.published_at,
                },
            )
            .await?;
        if r.assets.is_empty() {
            return Ok(());
        }
        let facts = self.forge.repo_facts(ctx.actor, &ctx.repo).await?;
        let view = RepoView {
            repo: ctx.repo.clone(),
            facts,
            actor: ctx.actor,
        };
        for a in &r.assets {
            let done = self
                .forge
                .store
                .imported_item(self.imp.id, item::ASSET, &a.id)
                .await?;
            if done.is_some() {
                continue;
            }
            let asset_id = match self.asset(d, &view, release_id, a).await {
                Ok(id) => id,
                Err(ImportError::Refused(_)) => {
                    // Made by an earlier run that stopped before recording it.
                    let release = self
                        .forge
                        .store
                        .release_by_id(ctx.repo.id, release_id)
                        .await?;
                    match release.and_then(|rel| rel.assets.into_iter().find(|x| x.name == a.name))
                    {
                        Some(existing) => existing.id,
                        None => continue,
                    }
                }
                Err(e) => return Err(e),
            };
            self.forge
                .store
                .record_imported_item(self.imp.id, item::ASSET, &a.id, asset_id)
                .await?;
            // Renew the lease between files: an asset may be large.
            self.advance(Stage::Releases, self.page).await?;
        }
        Ok(())
    }

    /// Downloads one asset into the release storage. `Refused` when the release has a file
    /// of that name already.
    async fn asset<D: Downloader>(
        &self,
        d: &D,
        view: &RepoView,
        release_id: i64,
        a: &super::SourceAsset,
    ) -> Result<i64, ImportError> {
        let mut resp = d.asset(a).await?;
        let declared = resp.content_length();
        let content_type = if a.content_type.is_empty() {
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        } else {
            a.content_type.clone()
        };
        let mut upload = match self
            .forge
            .begin_asset(view, release_id, &a.name, &content_type, declared)
            .await
        {
            Ok(u) => u,
            Err(ReleaseError::AssetNameTaken(n)) => return Err(ImportError::Refused(n)),
            Err(e) => return Err(asset_error(e)),
        };
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => upload.write(&chunk).await.map_err(asset_error)?,
                Ok(None) => break,
                Err(e) => {
                    upload.discard().await;
                    return Err(ImportError::Http(format!("{}: {e}", a.url)));
                }
            }
        }
        match self.forge.finish_asset(upload).await {
            Ok(asset) => Ok(asset.id),
            Err(ReleaseError::AssetNameTaken(n)) => Err(ImportError::Refused(n)),
            Err(e) => Err(asset_error(e)),
        }
    }
}

fn asset_error(e: ReleaseError) -> ImportError {
    match e {
        ReleaseError::Service(s) => ImportError::Service(s),
        other => ImportError::Http(format!("release asset: {other}")),
    }
}

/// What every item of one run needs.
struct Ctx {
    repo: Repo,
    requester: i64,
    actor: Actor,
    service: SourceKind,
}

/// The source's address with the import's credentials, as the git client takes them.
/// A token goes as the password of `oauth2`, which GitHub, GitLab, Gitea and Hatchery
/// accept for git over HTTP.
fn git_remote(forge: &Forge, url: &str, auth: &SourceAuth) -> Result<RemoteUrl, ImportError> {
    let credentials = if auth.token.is_empty() {
        Credentials::from_parts(&auth.username, &auth.password)
    } else {
        Credentials::from_parts("oauth2", &auth.token)
    };
    forge
        .check_remote_url(url, credentials)
        .map_err(|e| ImportError::Refused(e.to_string()))
}

impl Forge {
    /// The git data of an import: every branch and tag of `url`, through the receive
    /// quarantine; the source's default branch becomes the repository's. Run again after
    /// a resume, it fetches only what is missing.
    async fn import_git_data(
        &self,
        repo: &Repo,
        url: &str,
        auth: &SourceAuth,
        pull_heads: bool,
    ) -> Result<(), ImportError> {
        let remote = git_remote(self, url, auth)?;
        let git = self.open_git(repo).await?;
        let outcome = self
            .fetch_into(
                &git,
                &remote,
                &FetchOptions {
                    pull_requests: pull_heads,
                    prune: false,
                },
            )
            .await
            .map_err(|e| ImportError::Git(e.to_string()))?;
        if let Some((name, why)) = outcome.failed.first() {
            return Err(ImportError::Git(format!("{name} was not imported: {why}")));
        }
        self.adopt_remote_head(&git, repo, outcome.head.as_deref())
            .await?;
        if !outcome.updated.is_empty() {
            self.store.touch_repo_pushed(repo.id, now_ms()).await?;
            // The commit-graph makes history and blame pages fast from the first visit.
            let graph = git.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || graph.write_commit_graph())
                .await
                .map_err(ServiceError::from)?
            {
                tracing::warn!(error = %e, repo = repo.id, "import: writing the commit-graph failed");
            }
        }
        tracing::info!(
            repo = repo.id,
            refs = outcome.updated.len(),
            objects = outcome.objects,
            bytes = outcome.bytes,
            "import: git data fetched"
        );
        Ok(())
    }

    /// Makes an imported repository the pull mirror its request asked for (once: a resumed
    /// import finds it made).
    async fn mirror_after_import(
        &self,
        repo: &Repo,
        url: &str,
        auth: &SourceAuth,
        interval_ms: i64,
    ) -> Result<(), ImportError> {
        let remote = git_remote(self, url, auth)?;
        match self
            .make_pull_mirror(repo, &remote, interval_ms, false)
            .await
        {
            Ok(_) | Err(MirrorError::Exists) => Ok(()),
            Err(e) => Err(ImportError::Refused(e.to_string())),
        }
    }
}
