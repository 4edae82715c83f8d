//! Releases and their assets (uploaded files). The files themselves live on disk (the
//! service keeps them under `data_dir/releases/<repo_id>/<uuid>`); these rows describe them.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::issues::Person;
use crate::sql::{Binds, person_at};
use crate::{Store, StoreError, now_ms};

/// A release with its assets (by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: i64,
    pub repo_id: i64,
    pub tag_name: String,
    /// The branch or commit the tag is (or was) created at, as given.
    pub target: String,
    /// The commit the tag named when the release was last saved (`""` while a draft's tag
    /// does not exist yet).
    pub sha: String,
    pub title: String,
    pub note: String,
    pub is_draft: bool,
    pub is_prerelease: bool,
    /// A release candidate of a repository linked to an incubating project: seen only by
    /// the repository's writers and the program's committee until a release vote on it
    /// passes; never dated (`published_at` is `None`) until then.
    pub is_candidate: bool,
    /// `None` when the account was deleted.
    pub author: Option<Person>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `None` for drafts.
    pub published_at: Option<i64>,
    pub assets: Vec<ReleaseAsset>,
}

/// One uploaded file of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseAsset {
    pub id: i64,
    pub release_id: i64,
    pub repo_id: i64,
    /// Names the file on disk; never shown as a path.
    pub uuid: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    /// Lower-case hex.
    pub sha256: String,
    pub sha512: String,
    pub download_count: i64,
    pub uploader: Option<Person>,
    pub created_at: i64,
    /// For a detached signature (`X.asc`, `X.sig` beside `X`): `verified`, `unverified`,
    /// `bad`; empty otherwise (see `hatchery_core::releases::SignatureState`).
    pub signature_state: String,
    /// Why, as a stable key (`unknown_key`, `mismatch`, ...).
    pub signature_reason: String,
    /// The signing key, when known: an SSH key's SHA-256 fingerprint, an OpenPGP key id.
    pub signature_signer: String,
    /// For a verified OpenPGP signature, the primary user id of the key that made it.
    pub signature_identity: String,
}

/// The fields of a release a person sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFields {
    pub tag_name: String,
    pub target: String,
    pub sha: String,
    pub title: String,
    pub note: String,
    pub is_draft: bool,
    pub is_prerelease: bool,
    /// A release candidate of a repository linked to an incubating project: seen only by
    /// the repository's writers and the program's committee until a release vote on it
    /// passes; never dated (`published_at` is `None`) until then.
    pub is_candidate: bool,
}

/// An asset whose file is complete on disk, to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAsset {
    pub release_id: i64,
    pub repo_id: i64,
    pub uuid: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub sha256: String,
    pub sha512: String,
    pub uploader_id: Option<i64>,
}

macro_rules! release_select {
    () => {
        "SELECT r.id, r.repo_id, r.tag_name, r.target, r.sha, r.title, r.note, r.is_draft,
                r.is_prerelease, a.id, a.name, a.display_name, r.created_at, r.updated_at,
                r.published_at, r.is_candidate
           FROM releases r LEFT JOIN accounts a ON a.id = r.author_id"
    };
}

macro_rules! asset_select {
    () => {
        "SELECT f.id, f.release_id, f.repo_id, f.uuid, f.name, f.size, f.content_type,
                f.sha256, f.sha512, f.download_count, a.id, a.name, a.display_name,
                f.created_at, f.signature_state, f.signature_reason, f.signature_signer,
                f.signature_identity
           FROM release_assets f LEFT JOIN accounts a ON a.id = f.uploader_id"
    };
}

fn release_at(row: &AnyRow) -> Result<Release, sqlx::Error> {
    Ok(Release {
        id: row.try_get(0)?,
        repo_id: row.try_get(1)?,
        tag_name: row.try_get(2)?,
        target: row.try_get(3)?,
        sha: row.try_get(4)?,
        title: row.try_get(5)?,
        note: row.try_get(6)?,
        is_draft: row.try_get::<i64, _>(7)? != 0,
        is_prerelease: row.try_get::<i64, _>(8)? != 0,
        author: person_at(row, 9)?,
        created_at: row.try_get(12)?,
        updated_at: row.try_get(13)?,
        published_at: row.try_get(14)?,
        is_candidate: row.try_get::<i64, _>(15)? != 0,
        assets: Vec::new(),
    })
}

fn asset_at(row: &AnyRow) -> Result<ReleaseAsset, sqlx::Error> {
    Ok(ReleaseAsset {
        id: row.try_get(0)?,
        release_id: row.try_get(1)?,
        repo_id: row.try_get(2)?,
        uuid: row.try_get(3)?,
        name: row.try_get(4)?,
        size: row.try_get(5)?,
        content_type: row.try_get(6)?,
        sha256: row.try_get(7)?,
        sha512: row.try_get(8)?,
        download_count: row.try_get(9)?,
        uploader: person_at(row, 10)?,
        created_at: row.try_get(13)?,
        signature_state: row.try_get(14)?,
        signature_reason: row.try_get(15)?,
        signature_signer: row.try_get(16)?,
        signature_identity: row.try_get(17)?,
    })
}

/// Which releases a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReleaseFilter {
    /// Drafts too (for those who may write to the repository).
    pub drafts: bool,
    /// Pre-releases too.
    pub prereleases: bool,
    /// Release candidates too (for the repository's writers and the program's committee).
    pub candidates: bool,
}

impl Store {
    /// Records a new release; a second release of the same tag is `Conflict(Name)`.
    pub async fn create_release(
        &self,
        repo_id: i64,
        fields: &ReleaseFields,
        author_id: Option<i64>,
    ) -> Result<Release, StoreError> {
        let now = now_ms();
        let published = (!fields.is_draft && !fields.is_candidate).then_some(now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO releases (repo_id, tag_name, target, sha, title, note, is_draft,
                                   is_prerelease, author_id, created_at, updated_at,
                                   published_at, is_candidate)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)
             RETURNING id",
        )
        .bind(repo_id)
        .bind(fields.tag_name.clone())
        .bind(fields.target.clone())
        .bind(fields.sha.clone())
        .bind(fields.title.clone())
        .bind(fields.note.clone())
        .bind(i64::from(fields.is_draft))
        .bind(i64::from(fields.is_prerelease))
        .bind(author_id)
        .bind(now)
        .bind(published)
        .bind(i64::from(fields.is_candidate))
        .fetch_one(self.pool())
        .await?;
        self.release_by_id(repo_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Replaces a release's fields. Publishing a draft (or a candidate) dates it now; a
    /// published release keeps its date; turning one back into a draft or a candidate
    /// clears it.
    pub async fn update_release(
        &self,
        repo_id: i64,
        id: i64,
        fields: &ReleaseFields,
    ) -> Result<Release, StoreError> {
        let now = now_ms();
        let changed = sqlx::query(
            "UPDATE releases SET tag_name = $1, target = $2, sha = $3, title = $4, note = $5,
                    is_draft = $6, is_prerelease = $7, updated_at = $8, is_candidate = $11,
                    published_at = CASE WHEN $6 = 1 OR $11 = 1 THEN NULL
                                        ELSE COALESCE(published_at, $8) END
              WHERE id = $9 AND repo_id = $10",
        )
        .bind(fields.tag_name.clone())
        .bind(fields.target.clone())
        .bind(fields.sha.clone())
        .bind(fields.title.clone())
        .bind(fields.note.clone())
        .bind(i64::from(fields.is_draft))
        .bind(i64::from(fields.is_prerelease))
        .bind(now)
        .bind(id)
        .bind(repo_id)
        .bind(i64::from(fields.is_candidate))
        .execute(self.pool())
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.release_by_id(repo_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Deletes a release and its asset rows; answers the removed assets (whose files the
    /// caller removes), or `NotFound`.
    pub async fn delete_release(
        &self,
        repo_id: i64,
        id: i64,
    ) -> Result<Vec<ReleaseAsset>, StoreError> {
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query(concat!(
            asset_select!(),
            " WHERE f.release_id = $1 AND f.repo_id = $2 ORDER BY f.id"
        ))
        .bind(id)
        .bind(repo_id)
        .fetch_all(&mut *tx)
        .await?;
        let assets = assets(&rows)?;
        let gone = sqlx::query("DELETE FROM releases WHERE id = $1 AND repo_id = $2")
            .bind(id)
            .bind(repo_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(assets)
    }

    pub async fn release_by_id(
        &self,
        repo_id: i64,
        id: i64,
    ) -> Result<Option<Release>, StoreError> {
        let row = sqlx::query(concat!(
            release_select!(),
            " WHERE r.id = $1 AND r.repo_id = $2"
        ))
        .bind(id)
        .bind(repo_id)
        .fetch_optional(self.pool())
        .await?;
        self.one_with_assets(row).await
    }

    pub async fn release_by_tag(
        &self,
        repo_id: i64,
        tag: &str,
    ) -> Result<Option<Release>, StoreError> {
        let row = sqlx::query(concat!(
            release_select!(),
            " WHERE r.repo_id = $1 AND r.tag_name = $2"
        ))
        .bind(repo_id)
        .bind(tag)
        .fetch_optional(self.pool())
        .await?;
        self.one_with_assets(row).await
    }

    /// The newest published release that is not a pre-release (nor a candidate).
    pub async fn latest_release(&self, repo_id: i64) -> Result<Option<Release>, StoreError> {
        let row = sqlx::query(concat!(
            release_select!(),
            " WHERE r.repo_id = $1 AND r.is_draft = 0 AND r.is_prerelease = 0
                AND r.is_candidate = 0
              ORDER BY r.published_at DESC, r.id DESC LIMIT 1"
        ))
        .bind(repo_id)
        .fetch_optional(self.pool())
        .await?;
        self.one_with_assets(row).await
    }

    /// A page of releases, newest first (drafts, which have no publication date, by
    /// creation), with their assets; and how many there are in all.
    pub async fn list_releases(
        &self,
        repo_id: i64,
        filter: ReleaseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<Release>, i64), StoreError> {
        let mut cond = String::from(" WHERE r.repo_id = $1");
        if !filter.drafts {
            cond.push_str(" AND r.is_draft = 0");
        }
        if !filter.prereleases {
            cond.push_str(" AND r.is_prerelease = 0");
        }
        if !filter.candidates {
            cond.push_str(" AND r.is_candidate = 0");
        }
        let sql = format!(
            "{}{cond} ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC
             LIMIT $2 OFFSET $3",
            release_select!()
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(repo_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        let mut list = rows
            .iter()
            .map(release_at)
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let count_sql = format!("SELECT COUNT(*) FROM releases r{cond}");
        let total: i64 = sqlx::query_scalar(AssertSqlSafe(count_sql))
            .bind(repo_id)
            .fetch_one(self.pool())
            .await?;
        self.attach_assets(&mut list).await?;
        Ok((list, total))
    }

    async fn one_with_assets(&self, row: Option<AnyRow>) -> Result<Option<Release>, StoreError> {
        let Some(row) = row else { return Ok(None) };
        let mut list = vec![release_at(&row)?];
        self.attach_assets(&mut list).await?;
        Ok(list.pop())
    }

    async fn attach_assets(&self, list: &mut [Release]) -> Result<(), StoreError> {
        if list.is_empty() {
            return Ok(());
        }
        let mut binds = Binds::default();
        let ids: Vec<String> = list.iter().map(|r| binds.int(r.id)).collect();
        let sql = format!(
            "{} WHERE f.release_id IN ({}) ORDER BY f.name, f.id",
            asset_select!(),
            ids.join(", ")
        );
        let rows = binds
            .apply(sqlx::query(AssertSqlSafe(sql)))
            .fetch_all(self.pool())
            .await?;
        for asset in assets(&rows)? {
            if let Some(r) = list.iter_mut().find(|r| r.id == asset.release_id) {
                r.assets.push(asset);
            }
        }
        Ok(())
    }

    /// Records an uploaded asset; a second asset of the same name in the release is
    /// `Conflict(Name)`, a release deleted meanwhile `NotFound`.
    pub async fn add_release_asset(&self, new: &NewAsset) -> Result<ReleaseAsset, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO release_assets (release_id, repo_id, uuid, name, size, content_type,
                                         sha256, sha512, uploader_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             RETURNING id",
        )
        .bind(new.release_id)
        .bind(new.repo_id)
        .bind(new.uuid.clone())
        .bind(new.name.clone())
        .bind(new.size)
        .bind(new.content_type.clone())
        .bind(new.sha256.clone())
        .bind(new.sha512.clone())
        .bind(new.uploader_id)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        self.release_asset(new.release_id, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn release_asset(
        &self,
        release_id: i64,
        asset_id: i64,
    ) -> Result<Option<ReleaseAsset>, StoreError> {
        let row = sqlx::query(concat!(
            asset_select!(),
            " WHERE f.id = $1 AND f.release_id = $2"
        ))
        .bind(asset_id)
        .bind(release_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(asset_at).transpose()?)
    }

    /// Renames an asset (`Conflict(Name)` when the release has one of that name).
    pub async fn rename_release_asset(
        &self,
        release_id: i64,
        asset_id: i64,
        name: &str,
    ) -> Result<ReleaseAsset, StoreError> {
        let changed =
            sqlx::query("UPDATE release_assets SET name = $1 WHERE id = $2 AND release_id = $3")
                .bind(name)
                .bind(asset_id)
                .bind(release_id)
                .execute(self.pool())
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.release_asset(release_id, asset_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Deletes an asset's row; answers it (the caller removes its file) or `NotFound`.
    pub async fn delete_release_asset(
        &self,
        release_id: i64,
        asset_id: i64,
    ) -> Result<ReleaseAsset, StoreError> {
        let asset = self
            .release_asset(release_id, asset_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let gone = sqlx::query("DELETE FROM release_assets WHERE id = $1 AND release_id = $2")
            .bind(asset_id)
            .bind(release_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(asset)
    }

    /// Counts one download of an asset.
    pub async fn count_asset_download(&self, asset_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE release_assets SET download_count = download_count + 1 WHERE id = $1")
            .bind(asset_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The releases (repository id, release id) holding detached signatures uploaded by
    /// `user_id` that were checked: what to check again when that user's keys change (an
    /// SSH signature's outcome depends on them only when it matches its file; an OpenPGP
    /// signature's, whether it matches too, on whether a key of theirs made it).
    pub async fn releases_signed_by(&self, user_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT repo_id, release_id FROM release_assets
              WHERE uploader_id = $1 AND signature_state <> ''
              ORDER BY repo_id, release_id",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Records what checking a detached signature found (empty strings: nothing to say).
    pub async fn set_asset_signature(
        &self,
        asset_id: i64,
        state: &str,
        reason: &str,
        signer: &str,
        identity: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE release_assets SET signature_state = $1, signature_reason = $2,
                    signature_signer = $3, signature_identity = $4
              WHERE id = $5",
        )
        .bind(state)
        .bind(reason)
        .bind(signer)
        .bind(identity)
        .bind(asset_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The repository's newest published release (pre-releases included, candidates
    /// not), for the incubator's checklist; `None` without any.
    pub async fn newest_published_release(
        &self,
        repo_id: i64,
    ) -> Result<Option<Release>, StoreError> {
        let row = sqlx::query(concat!(
            release_select!(),
            " WHERE r.repo_id = $1 AND r.is_draft = 0 AND r.is_candidate = 0
              ORDER BY r.published_at DESC, r.id DESC LIMIT 1"
        ))
        .bind(repo_id)
        .fetch_optional(self.pool())
        .await?;
        self.one_with_assets(row).await
    }

    /// The tags of the repository's published releases (for the tag list's links;
    /// candidates are not published).
    pub async fn published_release_tags(
        &self,
        repo_id: i64,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let tags: Vec<String> = sqlx::query_scalar(
            "SELECT tag_name FROM releases WHERE repo_id = $1 AND is_draft = 0 AND is_candidate = 0",
        )
        .bind(repo_id)
                .fetch_all(self.pool())
                .await?;
        Ok(tags.into_iter().collect())
    }

    /// How many releases a repository shows to a reader (published: neither drafts nor
    /// candidates) or a writer (all).
    pub async fn count_releases(&self, repo_id: i64, drafts: bool) -> Result<i64, StoreError> {
        let sql = if drafts {
            "SELECT COUNT(*) FROM releases WHERE repo_id = $1"
        } else {
            "SELECT COUNT(*) FROM releases WHERE repo_id = $1 AND is_draft = 0 AND is_candidate = 0"
        };
        Ok(sqlx::query_scalar(sql)
            .bind(repo_id)
            .fetch_one(self.pool())
            .await?)
    }
}

impl Store {
    /// The repository a release belongs to.
    pub async fn release_repo_id(&self, release_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT repo_id FROM releases WHERE id = $1")
                .bind(release_id)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The tags of the repository's release candidates.
    pub async fn candidate_tags(
        &self,
        repo_id: i64,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let tags: Vec<String> = sqlx::query_scalar(
            "SELECT tag_name FROM releases WHERE repo_id = $1 AND is_candidate = 1",
        )
        .bind(repo_id)
        .fetch_all(self.pool())
        .await?;
        Ok(tags.into_iter().collect())
    }

    /// Whether the repository has a release candidate of `tag` (its source archives are
    /// hidden with it).
    pub async fn is_candidate_tag(&self, repo_id: i64, tag: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM releases WHERE repo_id = $1 AND tag_name = $2 AND is_candidate = 1",
        )
        .bind(repo_id)
        .bind(tag)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }

    /// The releases of `repo_id` published at or after `since` (neither drafts nor
    /// candidates), oldest first, as (tag, published at, id of the passed release vote
    /// that approved it, if one did): what the incubator's RE20 judges.
    pub async fn release_approvals(
        &self,
        repo_id: i64,
        since: i64,
    ) -> Result<Vec<(String, i64, Option<i64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.tag_name, r.published_at,
                    (SELECT MAX(v.id) FROM votes v
                      WHERE v.release_id = r.id AND v.kind = 'release' AND v.state = 'passed')
               FROM releases r
              WHERE r.repo_id = $1 AND r.is_draft = 0 AND r.is_candidate = 0
                AND r.published_at >= $2
              ORDER BY r.published_at, r.id",
        )
        .bind(repo_id)
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

fn assets(rows: &[AnyRow]) -> Result<Vec<ReleaseAsset>, StoreError> {
    rows.iter()
        .map(asset_at)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
