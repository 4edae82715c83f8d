//! Releases and their assets in Gitea's shapes (`Release`, `Attachment`, the create and
//! edit options) and the `release` webhook payload.

use hatchery_store::{Release, ReleaseAsset, Repo};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiRepo, ApiUser, Urls, time};

/// `s` as one URL path segment: everything but unreserved characters percent-encoded.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The web path of an asset's download: `/{owner}/{repo}/releases/download/{tag}/{name}`.
pub fn asset_download_path(repo: &Repo, tag: &str, name: &str) -> String {
    format!(
        "{}/{}/releases/download/{}/{}",
        repo.owner_name,
        repo.name,
        path_segment(tag),
        path_segment(name)
    )
}

/// An uploaded file of a release (Gitea's `Attachment`), with its checksums.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiAttachment {
    pub id: i64,
    pub name: String,
    pub size: i64,
    pub download_count: i64,
    pub created_at: String,
    pub uuid: String,
    pub browser_download_url: String,
    /// Hatchery: the content type given at upload.
    pub content_type: String,
    /// Hatchery: SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Hatchery: SHA-512 of the content, lower-case hex.
    pub sha512: String,
    /// Hatchery: for a detached signature (`X.asc` or `X.sig` beside `X` in the same
    /// release), what checking it found; absent for other files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<ApiSignature>,
}

/// What checking a detached signature found.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiSignature {
    /// The name of the file it signs.
    pub signs: String,
    /// `verified` (an SSH or OpenPGP signature by a key the uploader registered),
    /// `unverified` (by a key the uploader did not register, or by an OpenPGP key outside
    /// the time it could sign) or `bad` (does not match the file, another namespace,
    /// unreadable); empty while the signed file is missing.
    pub state: String,
    /// Why, as a stable key: `unknown_key`, `key_not_valid`, `mismatch`,
    /// `wrong_namespace`, `unreadable`; empty when verified.
    pub reason: String,
    /// The signing key, when known: an SSH key's SHA-256 fingerprint (`SHA256:...`), an
    /// OpenPGP key's 64-bit key id (16 upper-case hex digits; a subkey's when a subkey
    /// signed).
    pub signer: String,
    /// A verified OpenPGP signature: the primary user id of the registered key that made
    /// it (`Name <email>`); empty otherwise.
    pub identity: String,
}

impl ApiAttachment {
    pub fn of(urls: &Urls, repo: &Repo, tag: &str, a: &ReleaseAsset) -> ApiAttachment {
        ApiAttachment {
            id: a.id,
            name: a.name.clone(),
            size: a.size,
            download_count: a.download_count,
            created_at: time(a.created_at),
            uuid: a.uuid.clone(),
            browser_download_url: urls.html(&asset_download_path(repo, tag, &a.name)),
            content_type: a.content_type.clone(),
            sha256: a.sha256.clone(),
            sha512: a.sha512.clone(),
            signature: hatchery_core::releases::signed_name(&a.name).map(|signs| ApiSignature {
                signs: signs.to_owned(),
                state: a.signature_state.clone(),
                reason: a.signature_reason.clone(),
                signer: a.signature_signer.clone(),
                identity: a.signature_identity.clone(),
            }),
        }
    }
}

/// A release, like Gitea's `Release`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiRelease {
    pub id: i64,
    pub tag_name: String,
    pub target_commitish: String,
    pub name: String,
    pub body: String,
    pub url: String,
    pub html_url: String,
    pub tarball_url: String,
    pub zipball_url: String,
    pub upload_url: String,
    pub draft: bool,
    pub prerelease: bool,
    /// Hatchery: a release candidate of a repository of an incubating project, seen only
    /// by the repository's writers and the program's committee until a release vote on it
    /// passes and publishes it.
    #[serde(default)]
    pub is_candidate: bool,
    pub created_at: String,
    /// A draft's creation time (Gitea's habit: clients decode the field as a date).
    pub published_at: String,
    pub author: ApiUser,
    pub assets: Vec<ApiAttachment>,
}

impl ApiRelease {
    pub fn of(urls: &Urls, repo: &Repo, r: &Release) -> ApiRelease {
        let base = format!("{}/{}", repo.owner_name, repo.name);
        let tag = path_segment(&r.tag_name);
        let api = urls.api(&format!("repos/{base}/releases/{}", r.id));
        ApiRelease {
            id: r.id,
            tag_name: r.tag_name.clone(),
            target_commitish: r.target.clone(),
            name: r.title.clone(),
            body: r.note.clone(),
            upload_url: format!("{api}/assets"),
            url: api,
            html_url: urls.html(&format!("{base}/releases/tag/{tag}")),
            tarball_url: urls.html(&format!("{base}/archive/{tag}.tar.gz")),
            zipball_url: urls.html(&format!("{base}/archive/{tag}.zip")),
            draft: r.is_draft,
            prerelease: r.is_prerelease,
            is_candidate: r.is_candidate,
            created_at: time(r.created_at),
            published_at: time(r.published_at.unwrap_or(r.created_at)),
            author: match &r.author {
                Some(p) => ApiUser::person(urls, p),
                None => ApiUser::person(
                    urls,
                    &hatchery_store::Person {
                        id: -1,
                        name: "Ghost".to_owned(),
                        display_name: String::new(),
                    },
                ),
            },
            assets: r
                .assets
                .iter()
                .map(|a| ApiAttachment::of(urls, repo, &r.tag_name, a))
                .collect(),
        }
    }
}

/// `POST /repos/{owner}/{repo}/releases`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct CreateReleaseOption {
    pub tag_name: String,
    /// The branch or commit id to create a missing tag at (default: the default branch).
    #[serde(default)]
    pub target_commitish: Option<String>,
    /// The title; empty means the tag name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub prerelease: bool,
    /// Hatchery: make it a release candidate (only in a repository of an incubating
    /// project; 422 elsewhere).
    #[serde(default)]
    pub is_candidate: bool,
}

/// `PATCH /repos/{owner}/{repo}/releases/{id}`: absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct EditReleaseOption {
    #[serde(default)]
    pub tag_name: Option<String>,
    #[serde(default)]
    pub target_commitish: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub draft: Option<bool>,
    #[serde(default)]
    pub prerelease: Option<bool>,
    /// Hatchery: make it a release candidate, or publish a candidate without a vote
    /// (`false`).
    #[serde(default)]
    pub is_candidate: Option<bool>,
}

/// `PATCH .../releases/{id}/assets/{attachment_id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct EditAttachmentOptions {
    #[serde(default)]
    pub name: Option<String>,
}

/// `release`: a release was `published`, `updated` or `deleted` (Gitea's `ReleasePayload`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReleasePayload {
    pub action: String,
    pub release: ApiRelease,
    pub repository: ApiRepo,
    pub sender: ApiUser,
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(super::path_segment("v1.0"), "v1.0");
        assert_eq!(super::path_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(super::path_segment("é"), "%C3%A9");
    }
}
