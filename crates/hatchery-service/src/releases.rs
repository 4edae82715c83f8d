//! Releases: a tag with a title, Markdown notes and uploaded files (assets), as a draft, a
//! pre-release or published.
//!
//! Writers of a repository create, edit and delete releases and their assets; readers see
//! published releases and pre-releases, never drafts (a draft is missing to them).
//!
//! A repository linked to an incubating project may mark a release a *release candidate*:
//! the repository's writers and the program's committee see it; to everyone else it is
//! missing exactly like a draft (lists, `latest`, its page, the API, its files and its
//! source archives) until a release vote on it passes and publishes it
//! ([`crate::incubator::release_votes`]). Its git tag stays visible through git. A
//! release names a tag: an existing one, or one created (lightweight, as Gitea does) at a
//! target branch or commit when the release is published. Deleting a release keeps its tag
//! unless asked.
//!
//! Asset files live under `<dir>/<repo id>/<uuid>`: an upload is streamed into
//! `<dir>/.tmp/`, hashed (SHA-256 and SHA-512) and counted as it arrives, never held in
//! memory; it is refused as soon as it passes the size limit, and only a complete file is
//! renamed into place and recorded. A failed or abandoned upload leaves nothing.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use hatchery_api_types::releases::{ApiRelease, ReleasePayload};
use hatchery_core::incubator::ReleaseVoteError;
use hatchery_core::policy::ProgramFacts;
use hatchery_core::releases::{
    ReleaseRuleError, SIGNATURE_MAX_BYTES, SignatureVerdict, SignedFile, SignerKeys,
    check_asset_name, check_signature, check_text, signed_name,
};
use hatchery_core::webhooks as rules;
use hatchery_core::{Action, Actor, Denial, Resource, authorize};
use hatchery_git::{Oid, RefUpdateError};
use hatchery_store::{
    NewAsset, Project, Release, ReleaseAsset, ReleaseFields, ReleaseFilter, Repo, StoreError,
    now_ms,
};
use sha2::{Digest, Sha256, Sha512};
use tokio::io::AsyncWriteExt;

use crate::issues::RepoView;
use crate::webhooks::HookScope;
use crate::{Forge, ServiceError};

/// Where asset files go and how large one may be (`release.max_asset_bytes`).
#[derive(Debug, Clone)]
pub struct ReleaseStorage {
    pub dir: PathBuf,
    pub max_asset_bytes: u64,
}

/// The default limit on one asset: 2 GiB.
pub const DEFAULT_MAX_ASSET_BYTES: u64 = 2 << 30;

impl ReleaseStorage {
    fn repo_dir(&self, repo_id: i64) -> PathBuf {
        self.dir.join(repo_id.to_string())
    }

    /// The file of an asset. Uuids are generated here (hex), never taken from a request.
    pub fn path_of(&self, asset: &ReleaseAsset) -> PathBuf {
        self.repo_dir(asset.repo_id).join(&asset.uuid)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.dir.join(".tmp")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("refused: {0:?}")]
    Denied(Denial),
    /// The release or asset does not exist, or is a draft the actor may not see.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Rule(#[from] ReleaseRuleError),
    /// The tag name is not a valid git ref name.
    #[error("{0:?} is not a valid tag name")]
    BadTag(String),
    /// The target names no branch or commit of the repository.
    #[error("the target {0:?} names no branch or commit of this repository")]
    BadTarget(String),
    /// Another release has this tag.
    #[error("a release for the tag {0:?} already exists")]
    TagTaken(String),
    /// The release already has an asset of this name.
    #[error("the release already has a file named {0:?}")]
    AssetNameTaken(String),
    /// The upload passed the size limit (in bytes); nothing was kept.
    #[error("the file is larger than the limit of {0} bytes")]
    TooLarge(u64),
    /// Only a repository linked to an incubating project has release candidates.
    #[error("only a repository of an incubating project has release candidates")]
    NotIncubating,
    /// A release vote cannot be opened on this release.
    #[error(transparent)]
    Vote(#[from] ReleaseVoteError),
    /// The project's program has no rule for release votes, or no committee to vote.
    #[error("the program does not vote on releases (no rule for release votes, or no committee)")]
    NoVoteRule,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ReleaseError {
    fn from(e: StoreError) -> ReleaseError {
        match e {
            StoreError::NotFound => ReleaseError::NotFound,
            other => ReleaseError::Service(other.into()),
        }
    }
}

impl From<tokio::task::JoinError> for ReleaseError {
    fn from(e: tokio::task::JoinError) -> ReleaseError {
        ReleaseError::Service(e.into())
    }
}

impl From<hatchery_git::Error> for ReleaseError {
    fn from(e: hatchery_git::Error) -> ReleaseError {
        ReleaseError::Service(e.into())
    }
}

impl From<std::io::Error> for ReleaseError {
    fn from(e: std::io::Error) -> ReleaseError {
        ReleaseError::Service(e.into())
    }
}

/// A new release as a person asks for it.
#[derive(Debug, Clone, Default)]
pub struct ReleaseInput {
    pub tag_name: String,
    /// A branch or commit id for a tag that does not exist yet; empty: the default branch.
    pub target: String,
    /// Empty: the tag name.
    pub title: String,
    pub note: String,
    pub draft: bool,
    pub prerelease: bool,
    /// A release candidate (only for a repository of an incubating project).
    pub candidate: bool,
}

/// Changes to a release; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct ReleaseEdit {
    pub tag_name: Option<String>,
    pub target: Option<String>,
    pub title: Option<String>,
    pub note: Option<String>,
    pub draft: Option<bool>,
    pub prerelease: Option<bool>,
    pub candidate: Option<bool>,
}

fn may(view: &RepoView, action: Action) -> Result<(), ReleaseError> {
    match authorize(view.actor, action, Resource::Repo(view.facts)) {
        hatchery_core::Decision::Allow => Ok(()),
        hatchery_core::Decision::Deny(d) => Err(ReleaseError::Denied(d)),
    }
}

/// Whether the view's actor may change releases (and so sees drafts).
pub fn may_write(view: &RepoView) -> bool {
    authorize(view.actor, Action::Write, Resource::Repo(view.facts)).is_allowed()
}

/// Whether a release is seen by everyone who can read its repository.
pub fn is_public(r: &Release) -> bool {
    !r.is_draft && !r.is_candidate
}

/// The incubating project (not in a terminal stage) a repository is linked to, if any.
pub(crate) async fn incubating_project(
    forge: &Forge,
    repo: &Repo,
) -> Result<Option<Project>, ServiceError> {
    Ok(forge
        .store
        .projects_of_repo(repo.id)
        .await?
        .into_iter()
        .find(|p| p.ended_at.is_none()))
}

/// What the policy needs about `actor` and a release candidate of `view`'s repository:
/// whether they write to the repository, and whether they sit on the committee of the
/// program of `project` (the repository's incubating project).
pub(crate) async fn candidate_facts(
    forge: &Forge,
    view: &RepoView,
    project: Option<&Project>,
) -> Result<ProgramFacts, ServiceError> {
    let committee_member = match (project, view.actor) {
        (Some(p), Actor::User { id, .. }) => {
            forge.store.is_committee_member(p.program_id, id).await?
        }
        _ => false,
    };
    Ok(ProgramFacts {
        committee_member,
        repo_writer: may_write(view),
        ..ProgramFacts::default()
    })
}
/// What the tag of a release resolves to, read on a blocking thread.
enum TagState {
    /// The tag exists and peels to this commit.
    Exists(Oid),
    /// It does not; the target resolves to this commit.
    Missing(Oid),
}

impl Forge {
    /// Points asset files at `storage` (the server: `data_dir/releases`).
    pub fn with_releases(mut self, storage: ReleaseStorage) -> Forge {
        self.release_files = storage;
        self
    }

    pub fn release_storage(&self) -> &ReleaseStorage {
        &self.release_files
    }

    /// Whether the view's actor sees the repository's release candidates: its writers and
    /// the committee of its incubating project's program.
    pub async fn sees_candidates(&self, view: &RepoView) -> Result<bool, ReleaseError> {
        if may_write(view) {
            return Ok(true);
        }
        if view.actor.user_id().is_none() {
            return Ok(false);
        }
        // A candidate may outlive its project's incubation: the project's committee still
        // sees it.
        let projects = self.store.projects_of_repo(view.repo.id).await?;
        for p in &projects {
            let facts = candidate_facts(self, view, Some(p)).await?;
            if authorize(
                view.actor,
                Action::SeeReleaseCandidate,
                Resource::Program(facts),
            )
            .is_allowed()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `release` if the view's actor may see it: drafts only for writers, candidates for
    /// writers and the committee; anything else is missing.
    async fn visible(
        &self,
        view: &RepoView,
        release: Option<Release>,
    ) -> Result<Release, ReleaseError> {
        match release {
            Some(r) if r.is_draft && !may_write(view) => Err(ReleaseError::NotFound),
            Some(r) if r.is_candidate && !self.sees_candidates(view).await? => {
                Err(ReleaseError::NotFound)
            }
            Some(r) => Ok(r),
            None => Err(ReleaseError::NotFound),
        }
    }

    /// The tags of the repository's release candidates the view's actor may not see: the
    /// tag list leaves out their source archives.
    pub async fn hidden_candidate_tags(
        &self,
        view: &RepoView,
    ) -> Result<std::collections::HashSet<String>, ReleaseError> {
        let tags = self.store.candidate_tags(view.repo.id).await?;
        if tags.is_empty() || self.sees_candidates(view).await? {
            return Ok(std::collections::HashSet::new());
        }
        Ok(tags)
    }

    /// Refuses a change of what a release vote is on (the tag, the state, the files) while
    /// one is open on the release.
    async fn unchanged_under_vote(&self, release_id: i64) -> Result<(), ReleaseError> {
        let open = self
            .store
            .votes_of_release(release_id)
            .await?
            .iter()
            .any(|v| !v.state.is_closed());
        if open {
            return Err(ReleaseVoteError::UnderVote.into());
        }
        Ok(())
    }

    /// Whether the repository is linked to an incubating project (and so may have release
    /// candidates).
    pub async fn is_incubating_repo(&self, repo: &Repo) -> Result<bool, ReleaseError> {
        Ok(incubating_project(self, repo).await?.is_some())
    }

    /// Whether `rev` is the tag of a release candidate the view's actor may not see: its
    /// source archive is then missing too.
    pub async fn is_hidden_candidate_tag(
        &self,
        view: &RepoView,
        rev: &str,
    ) -> Result<bool, ReleaseError> {
        Ok(self.store.is_candidate_tag(view.repo.id, rev).await?
            && !self.sees_candidates(view).await?)
    }

    /// A page of the repository's releases, newest first; drafts (when asked for) only
    /// for writers, candidates only for those who see them.
    pub async fn releases(
        &self,
        view: &RepoView,
        drafts: bool,
        prereleases: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Release>, i64), ReleaseError> {
        let filter = ReleaseFilter {
            drafts: drafts && may_write(view),
            prereleases,
            candidates: self.sees_candidates(view).await?,
        };
        Ok(self
            .store
            .list_releases(view.repo.id, filter, limit, offset)
            .await?)
    }

    pub async fn release(&self, view: &RepoView, id: i64) -> Result<Release, ReleaseError> {
        let found = self.store.release_by_id(view.repo.id, id).await?;
        self.visible(view, found).await
    }

    pub async fn release_by_tag(
        &self,
        view: &RepoView,
        tag: &str,
    ) -> Result<Release, ReleaseError> {
        let found = self.store.release_by_tag(view.repo.id, tag).await?;
        self.visible(view, found).await
    }

    /// The newest published release that is not a pre-release (a candidate is not
    /// published).
    pub async fn latest_release(&self, view: &RepoView) -> Result<Release, ReleaseError> {
        self.store
            .latest_release(view.repo.id)
            .await?
            .ok_or(ReleaseError::NotFound)
    }

    /// Whether the repository has a `KEYS` file at the root of its default branch (the
    /// public keys its releases are signed with, as Apache projects publish them).
    pub async fn has_keys_file(&self, view: &RepoView) -> Result<bool, ReleaseError> {
        let git = self.open_git(&view.repo).await?;
        Ok(tokio::task::spawn_blocking(move || git.has_root_file("KEYS")).await??)
    }

    /// Resolves `tag`: the commit it names, or (when missing) the commit `target` names
    /// (the default branch when empty).
    async fn tag_state(
        &self,
        view: &RepoView,
        tag: &str,
        target: &str,
    ) -> Result<TagState, ReleaseError> {
        if hatchery_git::validate_ref_name(&format!("refs/tags/{tag}")).is_err() {
            return Err(ReleaseError::BadTag(tag.to_owned()));
        }
        let git = self.open_git(&view.repo).await?;
        let (tag, target) = (tag.to_owned(), target.to_owned());
        tokio::task::spawn_blocking(move || {
            if let Some((_, commit)) = git.tag_target(&tag)? {
                return Ok(TagState::Exists(commit));
            }
            let resolved = if target.is_empty() {
                git.default_branch_commit()?
            } else {
                git.resolve_tree_path(&target)?
                    .filter(|r| r.path.is_empty())
            };
            match resolved {
                Some(r) => Ok(TagState::Missing(r.commit)),
                None => Err(ReleaseError::BadTarget(target)),
            }
        })
        .await?
    }

    /// Creates `tag` at `commit`; `Ok(false)` when someone created it meanwhile.
    async fn create_tag(
        &self,
        view: &RepoView,
        tag: &str,
        commit: Oid,
    ) -> Result<(), ReleaseError> {
        let git = self.open_git(&view.repo).await?;
        let name = tag.to_owned();
        tokio::task::spawn_blocking(move || git.create_tag(&name, commit))
            .await?
            .map_err(|e| match e {
                RefUpdateError::InvalidName(_) => ReleaseError::BadTag(tag.to_owned()),
                RefUpdateError::Changed { .. } => ReleaseError::TagTaken(tag.to_owned()),
                other => ReleaseError::Service(ServiceError::Task(other.to_string())),
            })
    }

    /// The fields to store for `tag` at `target`: the tag is created when the release is
    /// published and the tag is missing. Answers whether it was created here.
    async fn settle_tag(
        &self,
        view: &RepoView,
        fields: &mut ReleaseFields,
    ) -> Result<bool, ReleaseError> {
        match self
            .tag_state(view, &fields.tag_name, &fields.target)
            .await?
        {
            TagState::Exists(commit) => {
                fields.sha = commit.to_string();
                Ok(false)
            }
            TagState::Missing(_) if fields.is_draft => {
                fields.sha = String::new();
                Ok(false)
            }
            TagState::Missing(commit) => {
                self.create_tag(view, &fields.tag_name, commit).await?;
                fields.sha = commit.to_string();
                Ok(true)
            }
        }
    }

    /// Removes a tag this use case created when what it was created for failed.
    async fn undo_tag(&self, view: &RepoView, tag: &str, commit: &str) {
        let Ok(commit) = commit.parse::<Oid>() else {
            return;
        };
        if let Ok(git) = self.open_git(&view.repo).await {
            let name = tag.to_owned();
            let _ = tokio::task::spawn_blocking(move || git.delete_tag(&name, commit)).await;
        }
    }

    /// Creates a release (writers). A published release whose tag is missing creates the
    /// tag at the target; a draft only checks that the target resolves.
    pub async fn create_release(
        &self,
        view: &RepoView,
        input: ReleaseInput,
    ) -> Result<Release, ReleaseError> {
        may(view, Action::Write)?;
        let tag_name = input.tag_name.trim().to_owned();
        if tag_name.is_empty() {
            return Err(ReleaseRuleError::TagRequired.into());
        }
        let title = match input.title.trim() {
            "" => tag_name.clone(),
            t => t.to_owned(),
        };
        check_text(&title, &input.note)?;
        if self
            .store
            .release_by_tag(view.repo.id, &tag_name)
            .await?
            .is_some()
        {
            return Err(ReleaseError::TagTaken(tag_name));
        }
        let mut fields = ReleaseFields {
            tag_name,
            target: input.target.trim().to_owned(),
            sha: String::new(),
            title,
            note: input.note,
            is_draft: input.draft,
            is_prerelease: input.prerelease,
            is_candidate: input.candidate,
        };
        if fields.is_candidate && incubating_project(self, &view.repo).await?.is_none() {
            return Err(ReleaseError::NotIncubating);
        }
        let created_tag = self.settle_tag(view, &mut fields).await?;
        match self
            .store
            .create_release(view.repo.id, &fields, view.actor.user_id())
            .await
        {
            Ok(release) => {
                if is_public(&release) {
                    self.emit_release(view, &release, "published").await;
                    self.releases_changed(view.repo.id).await;
                }
                Ok(release)
            }
            Err(e) => {
                if created_tag {
                    self.undo_tag(view, &fields.tag_name, &fields.sha).await;
                }
                Err(match e {
                    StoreError::Conflict(_) => ReleaseError::TagTaken(fields.tag_name),
                    other => other.into(),
                })
            }
        }
    }

    /// Changes a release (writers). Publishing a draft creates its tag when missing.
    pub async fn update_release(
        &self,
        view: &RepoView,
        id: i64,
        edit: ReleaseEdit,
    ) -> Result<Release, ReleaseError> {
        may(view, Action::Write)?;
        let old = self
            .store
            .release_by_id(view.repo.id, id)
            .await?
            .ok_or(ReleaseError::NotFound)?;
        let tag_name = edit
            .tag_name
            .map(|t| t.trim().to_owned())
            .unwrap_or_else(|| old.tag_name.clone());
        if tag_name.is_empty() {
            return Err(ReleaseRuleError::TagRequired.into());
        }
        let title = match edit.title.as_deref().map(str::trim) {
            Some("") => tag_name.clone(),
            Some(t) => t.to_owned(),
            None => old.title.clone(),
        };
        let note = edit.note.unwrap_or_else(|| old.note.clone());
        check_text(&title, &note)?;
        let mut fields = ReleaseFields {
            tag_name,
            target: edit
                .target
                .map(|t| t.trim().to_owned())
                .unwrap_or_else(|| old.target.clone()),
            sha: old.sha.clone(),
            title,
            note,
            is_draft: edit.draft.unwrap_or(old.is_draft),
            is_prerelease: edit.prerelease.unwrap_or(old.is_prerelease),
            is_candidate: edit.candidate.unwrap_or(old.is_candidate),
        };
        if fields.is_candidate
            && !old.is_candidate
            && incubating_project(self, &view.repo).await?.is_none()
        {
            return Err(ReleaseError::NotIncubating);
        }
        if old.is_candidate
            && (fields.tag_name != old.tag_name
                || fields.is_draft != old.is_draft
                || fields.is_candidate != old.is_candidate)
        {
            self.unchanged_under_vote(old.id).await?;
        }
        if fields.tag_name != old.tag_name
            && self
                .store
                .release_by_tag(view.repo.id, &fields.tag_name)
                .await?
                .is_some()
        {
            return Err(ReleaseError::TagTaken(fields.tag_name));
        }
        let created_tag = self.settle_tag(view, &mut fields).await?;
        let release = match self.store.update_release(view.repo.id, id, &fields).await {
            Ok(r) => r,
            Err(e) => {
                if created_tag {
                    self.undo_tag(view, &fields.tag_name, &fields.sha).await;
                }
                return Err(match e {
                    StoreError::Conflict(_) => ReleaseError::TagTaken(fields.tag_name),
                    other => other.into(),
                });
            }
        };
        if is_public(&release) {
            let action = if is_public(&old) {
                "updated"
            } else {
                "published"
            };
            self.emit_release(view, &release, action).await;
        }
        if is_public(&release) || is_public(&old) {
            self.releases_changed(view.repo.id).await;
        }
        Ok(release)
    }

    /// Deletes a release and its files (writers); its tag too when `delete_tag` (and the
    /// tag still names the commit the release recorded, or any commit when it recorded
    /// none).
    pub async fn delete_release(
        &self,
        view: &RepoView,
        id: i64,
        delete_tag: bool,
    ) -> Result<(), ReleaseError> {
        may(view, Action::Write)?;
        let release = self
            .store
            .release_by_id(view.repo.id, id)
            .await?
            .ok_or(ReleaseError::NotFound)?;
        self.unchanged_under_vote(release.id).await?;
        let assets = self.store.delete_release(view.repo.id, id).await?;
        self.remove_asset_files(&assets).await;
        if delete_tag {
            let git = self.open_git(&view.repo).await?;
            let tag = release.tag_name.clone();
            tokio::task::spawn_blocking(move || -> Result<(), ReleaseError> {
                if let Some((value, _)) = git.tag_target(&tag)? {
                    git.delete_tag(&tag, value)
                        .map_err(|e| ServiceError::Task(e.to_string()))?;
                }
                Ok(())
            })
            .await??;
        }
        if is_public(&release) {
            self.emit_release(view, &release, "deleted").await;
            self.releases_changed(view.repo.id).await;
        }
        Ok(())
    }

    async fn remove_asset_files(&self, assets: &[ReleaseAsset]) {
        let paths: Vec<PathBuf> = assets
            .iter()
            .map(|a| self.release_files.path_of(a))
            .collect();
        let result = tokio::task::spawn_blocking(move || {
            for p in paths {
                if let Err(e) = std::fs::remove_file(&p)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(error = %e, path = %p.display(), "removing a release asset failed");
                }
            }
        })
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "removing release assets failed");
        }
    }

    /// Removes the asset files of a deleted repository (its rows went by cascade).
    pub(crate) async fn remove_release_files(&self, repo_id: i64) -> Result<(), ServiceError> {
        let dir = self.release_files.repo_dir(repo_id);
        tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await??;
        Ok(())
    }

    /// An asset of a release the actor may see.
    pub async fn release_asset(
        &self,
        view: &RepoView,
        release_id: i64,
        asset_id: i64,
    ) -> Result<(Release, ReleaseAsset), ReleaseError> {
        let release = self.release(view, release_id).await?;
        let asset = release
            .assets
            .iter()
            .find(|a| a.id == asset_id)
            .cloned()
            .ok_or(ReleaseError::NotFound)?;
        Ok((release, asset))
    }

    /// Opens the file of the asset `name` of the release of `tag` for download and, when
    /// `count` (a GET, not a HEAD), counts the download.
    pub async fn open_asset(
        &self,
        view: &RepoView,
        tag: &str,
        name: &str,
        count: bool,
    ) -> Result<(ReleaseAsset, tokio::fs::File), ReleaseError> {
        let release = self.release_by_tag(view, tag).await?;
        let asset = release
            .assets
            .into_iter()
            .find(|a| a.name == name)
            .ok_or(ReleaseError::NotFound)?;
        let file = match tokio::fs::File::open(self.release_files.path_of(&asset)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(asset = asset.id, "a release asset's file is missing");
                return Err(ReleaseError::NotFound);
            }
            Err(e) => return Err(e.into()),
        };
        if count {
            self.store.count_asset_download(asset.id).await?;
        }
        Ok((asset, file))
    }

    /// Renames an asset (writers).
    pub async fn rename_asset(
        &self,
        view: &RepoView,
        release_id: i64,
        asset_id: i64,
        name: &str,
    ) -> Result<ReleaseAsset, ReleaseError> {
        may(view, Action::Write)?;
        let name = check_asset_name(name)?;
        self.release_asset(view, release_id, asset_id).await?;
        self.unchanged_under_vote(release_id).await?;
        let renamed = self
            .store
            .rename_release_asset(release_id, asset_id, name)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => ReleaseError::AssetNameTaken(name.to_owned()),
                other => other.into(),
            })?;
        self.check_signatures(view.repo.id, release_id).await?;
        Ok(self
            .store
            .release_asset(release_id, asset_id)
            .await?
            .unwrap_or(renamed))
    }

    /// Deletes an asset and its file (writers).
    pub async fn delete_asset(
        &self,
        view: &RepoView,
        release_id: i64,
        asset_id: i64,
    ) -> Result<(), ReleaseError> {
        may(view, Action::Write)?;
        self.release_asset(view, release_id, asset_id).await?;
        self.unchanged_under_vote(release_id).await?;
        let gone = self
            .store
            .delete_release_asset(release_id, asset_id)
            .await?;
        self.remove_asset_files(&[gone]).await;
        self.check_signatures(view.repo.id, release_id).await?;
        self.releases_changed(view.repo.id).await;
        Ok(())
    }

    /// Starts an upload to a release (writers): checks the name, that the release has no
    /// file of that name, and `declared` (the length the client announced, if any)
    /// against the limit. Feed the content to [`AssetUpload::write`], then call
    /// [`Forge::finish_asset`]; dropping the upload removes what was written.
    pub async fn begin_asset(
        &self,
        view: &RepoView,
        release_id: i64,
        name: &str,
        content_type: &str,
        declared: Option<u64>,
    ) -> Result<AssetUpload, ReleaseError> {
        may(view, Action::Write)?;
        let name = check_asset_name(name)?.to_owned();
        let release = self.release(view, release_id).await?;
        self.unchanged_under_vote(release.id).await?;
        if release.assets.iter().any(|a| a.name == name) {
            return Err(ReleaseError::AssetNameTaken(name));
        }
        let limit = self.release_files.max_asset_bytes;
        if declared.is_some_and(|n| n > limit) {
            return Err(ReleaseError::TooLarge(limit));
        }
        let uuid = new_uuid();
        let tmp_dir = self.release_files.tmp_dir();
        tokio::fs::create_dir_all(&tmp_dir).await?;
        let tmp = tmp_dir.join(format!("{uuid}.part"));
        let file = tokio::fs::File::create(&tmp).await?;
        let content_type = match content_type.trim() {
            "" => "application/octet-stream".to_owned(),
            t => t.chars().filter(|c| !c.is_control()).take(255).collect(),
        };
        Ok(AssetUpload {
            file: Some(file),
            tmp: Some(tmp),
            sha256: Sha256::new(),
            sha512: Sha512::new(),
            size: 0,
            limit,
            new: NewAsset {
                release_id: release.id,
                repo_id: view.repo.id,
                uuid,
                name,
                size: 0,
                content_type,
                sha256: String::new(),
                sha512: String::new(),
                uploader_id: view.actor.user_id(),
            },
        })
    }

    /// Completes an upload: the file is synced, renamed into place and recorded. A name
    /// taken meanwhile is `AssetNameTaken` and the file is removed.
    pub async fn finish_asset(
        &self,
        mut upload: AssetUpload,
    ) -> Result<ReleaseAsset, ReleaseError> {
        let Some(mut file) = upload.file.take() else {
            return Err(ReleaseError::Service(ServiceError::Task(
                "upload already finished".into(),
            )));
        };
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        let mut new = upload.new.clone();
        new.size = i64::try_from(upload.size).unwrap_or(i64::MAX);
        new.sha256 = hex::encode(std::mem::take(&mut upload.sha256).finalize());
        new.sha512 = hex::encode(std::mem::take(&mut upload.sha512).finalize());
        let dir = self.release_files.repo_dir(new.repo_id);
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join(&new.uuid);
        if let Some(tmp) = upload.tmp.as_ref() {
            tokio::fs::rename(tmp, &path).await?;
        }
        upload.tmp = None;
        match self.store.add_release_asset(&new).await {
            Ok(asset) => {
                self.check_signatures(asset.repo_id, asset.release_id)
                    .await?;
                self.releases_changed(asset.repo_id).await;
                Ok(self
                    .store
                    .release_asset(asset.release_id, asset.id)
                    .await?
                    .unwrap_or(asset))
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&path).await;
                Err(match e {
                    StoreError::Conflict(_) => ReleaseError::AssetNameTaken(new.name),
                    other => other.into(),
                })
            }
        }
    }

    /// The incubator checklists of the repository's projects read its releases (RE10,
    /// RE30): evaluated again after a published release or its files change. A failure is
    /// logged; the scheduled evaluation catches up.
    pub(crate) async fn releases_changed(&self, repo_id: i64) {
        if let Err(e) = self.evaluate_projects_of_repo(repo_id, now_ms()).await {
            tracing::warn!(error = %e, repo = repo_id, "evaluating incubator checklists after a release change failed");
        }
    }

    /// Checks every detached signature of a release (`X.asc`, `X.sig` beside `X`) against
    /// the file it signs and the registered SSH and OpenPGP keys of the person who
    /// uploaded the signature, and records the outcome on the signature's row
    /// ([`check_signature`]); a signature whose file is missing records nothing. Runs after
    /// every upload, rename and deletion of a release's files and when the uploader's keys
    /// change; the crypto (and reading the file, for OpenPGP) runs on a blocking thread.
    pub async fn check_signatures(
        &self,
        repo_id: i64,
        release_id: i64,
    ) -> Result<(), ReleaseError> {
        let Some(release) = self.store.release_by_id(repo_id, release_id).await? else {
            return Ok(());
        };
        // Each uploader's keys are read once per release, not once per signature.
        let mut keys_of: std::collections::HashMap<i64, Arc<UploaderKeys>> =
            std::collections::HashMap::new();
        for sig in &release.assets {
            let Some(signed) = signed_name(&sig.name) else {
                continue;
            };
            let (state, reason, signer, identity) =
                match release.assets.iter().find(|a| a.name == signed) {
                    None => ("", "", String::new(), String::new()),
                    Some(file) => {
                        let keys = match &sig.uploader {
                            Some(p) => match keys_of.get(&p.id) {
                                Some(keys) => Arc::clone(keys),
                                None => {
                                    let keys = Arc::new(self.uploader_keys(p.id).await?);
                                    keys_of.insert(p.id, Arc::clone(&keys));
                                    keys
                                }
                            },
                            None => Arc::default(),
                        };
                        let v = self.check_signature_of(sig, file, keys).await?;
                        (v.state.as_str(), v.reason, v.signer, v.identity)
                    }
                };
            if (
                sig.signature_state.as_str(),
                sig.signature_reason.as_str(),
                sig.signature_signer.as_str(),
                sig.signature_identity.as_str(),
            ) != (state, reason, signer.as_str(), identity.as_str())
            {
                self.store
                    .set_asset_signature(sig.id, state, reason, &signer, &identity)
                    .await?;
            }
        }
        Ok(())
    }

    /// The SSH and OpenPGP public keys registered by `user_id`.
    async fn uploader_keys(&self, user_id: i64) -> Result<UploaderKeys, ReleaseError> {
        Ok(UploaderKeys {
            ssh: self
                .store
                .keys_of_user(user_id)
                .await?
                .into_iter()
                .map(|k| k.public_key)
                .collect(),
            gpg: self
                .store
                .gpg_keys_of_user(user_id)
                .await?
                .into_iter()
                .map(|k| k.public_key)
                .collect(),
        })
    }

    /// Checks the signature asset `sig` of the asset `file` against its uploader's `keys`.
    async fn check_signature_of(
        &self,
        sig: &ReleaseAsset,
        file: &ReleaseAsset,
        keys: Arc<UploaderKeys>,
    ) -> Result<SignatureVerdict, ReleaseError> {
        let sig_path = self.release_files.path_of(sig);
        let file_path = self.release_files.path_of(file);
        let (sha256, sha512) = (file.sha256.clone(), file.sha512.clone());
        Ok(tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::new();
            let limit = u64::try_from(SIGNATURE_MAX_BYTES + 1).unwrap_or(u64::MAX);
            std::fs::File::open(&sig_path)?
                .take(limit)
                .read_to_end(&mut bytes)?;
            if bytes.len() > SIGNATURE_MAX_BYTES {
                bytes.clear();
            }
            let ssh: Vec<&str> = keys.ssh.iter().map(String::as_str).collect();
            let gpg: Vec<&str> = keys.gpg.iter().map(String::as_str).collect();
            check_signature(
                &bytes,
                SignedFile {
                    sha256_hex: &sha256,
                    sha512_hex: &sha512,
                    open: || std::fs::File::open(&file_path),
                },
                SignerKeys {
                    ssh: &ssh,
                    gpg: &gpg,
                },
            )
        })
        .await??)
    }

    /// Checks again the release signatures `user_id` uploaded, after their SSH or OpenPGP
    /// keys changed: a signature "unverified" for want of the key becomes "verified" once
    /// the key is registered, and one verified by a key since removed no longer is. One
    /// path for both kinds of keys. A failure is logged; the key change stands.
    pub(crate) async fn signer_keys_changed(&self, user_id: i64) {
        let releases = match self.store.releases_signed_by(user_id).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, user = user_id, "listing signed releases failed");
                return;
            }
        };
        for (repo_id, release_id) in releases {
            if let Err(e) = self.check_signatures(repo_id, release_id).await {
                tracing::warn!(error = %e, release = release_id, "checking release signatures again failed");
            }
        }
    }

    /// Sends the `release` event (`published`, `updated`, `deleted`) in Gitea's shape.
    pub async fn emit_release(&self, view: &RepoView, release: &Release, action: &str) {
        self.emit_release_of(&view.repo, release, action, view.actor.user_id())
            .await;
    }

    /// [`Forge::emit_release`] for `repo`, sent by `sender` (`None`: the forge itself, as
    /// when a release vote publishes a candidate).
    pub(crate) async fn emit_release_of(
        &self,
        repo: &Repo,
        release: &Release,
        action: &str,
        sender: Option<i64>,
    ) {
        Box::pin(self.emit_with(
            HookScope::of_repo(repo),
            rules::RELEASE,
            action,
            None,
            async {
                Ok(ReleasePayload {
                    action: action.to_owned(),
                    release: ApiRelease::of(&self.urls(), repo, release),
                    repository: self.api_repo(repo).await?,
                    sender: self.api_user(sender).await?,
                })
            },
        ))
        .await;
    }
}

/// The public keys a release signature may be checked against: its uploader's.
#[derive(Default)]
struct UploaderKeys {
    ssh: Vec<String>,
    gpg: Vec<String>,
}

fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes[..]);
    hex::encode(bytes)
}

/// An upload in progress: a temporary file, the running checksums and size. Dropping it
/// before [`Forge::finish_asset`] removes the temporary file.
pub struct AssetUpload {
    file: Option<tokio::fs::File>,
    tmp: Option<PathBuf>,
    sha256: Sha256,
    sha512: Sha512,
    size: u64,
    limit: u64,
    new: NewAsset,
}

impl std::fmt::Debug for AssetUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssetUpload")
            .field("name", &self.new.name)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl AssetUpload {
    /// Appends a chunk. Past the limit the upload is refused (`TooLarge`) and its file
    /// removed at once.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), ReleaseError> {
        self.size = self.size.saturating_add(chunk.len() as u64);
        if self.size > self.limit {
            self.discard().await;
            return Err(ReleaseError::TooLarge(self.limit));
        }
        let Some(file) = self.file.as_mut() else {
            return Err(ReleaseError::TooLarge(self.limit));
        };
        self.sha256.update(chunk);
        self.sha512.update(chunk);
        file.write_all(chunk).await?;
        Ok(())
    }

    /// The bytes received so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn name(&self) -> &str {
        &self.new.name
    }

    /// Removes the temporary file now.
    pub async fn discard(&mut self) {
        self.file = None;
        if let Some(tmp) = self.tmp.take() {
            let _ = tokio::fs::remove_file(tmp).await;
        }
    }
}

impl Drop for AssetUpload {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Files of uploads that never finished (a crash mid-upload) are removed by the upkeep
/// once older than `max_age_ms`.
pub fn remove_stale_uploads(storage: &ReleaseStorage, max_age_ms: i64) -> std::io::Result<u64> {
    let dir = storage.tmp_dir();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let now = now_ms();
    let mut removed = 0;
    for entry in entries.flatten() {
        let modified = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        if modified.is_some_and(|m| now.saturating_sub(m) > max_age_ms)
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    Ok(removed)
}
