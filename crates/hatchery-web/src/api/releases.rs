//! Releases and release assets in Gitea's routes and shapes.
//!
//! Readers (`read:repository`) list and read published releases and pre-releases; drafts
//! exist only for writers; release candidates (`is_candidate`, in repositories of
//! incubating projects) only for writers and the program's committee, until a release
//! vote (`POST .../releases/{id}/vote`) passes and publishes them. Writers (`write:repository`) create, edit and delete releases
//! and upload, rename and delete assets. Private repositories the caller cannot read are
//! 404s, like missing ones.
//!
//! Uploads (`POST .../releases/{id}/assets`) take a multipart body with the file in the
//! field `attachment` (Gitea), or the file itself as the body with `?name=` (GitHub-style
//! release tools); either is streamed to disk, hashed (SHA-256, SHA-512) on the way, and
//! refused with 413 as soon as it passes `release.max_asset_bytes`, keeping nothing.
//! Upload routes are not bound by `server.request_timeout_secs`.
//!
//! Where Hatchery differs from Gitea: assets carry `content_type`, `sha256` and `sha512`;
//! a release created with an empty `name` takes the tag name as its title; a new tag is
//! created (lightweight, at `target_commitish` or the default branch) when the release is
//! published, not while it is a draft.

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{FromRequest, Multipart, OriginalUri, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use hatchery_core::Action;
use hatchery_core::releases::ReleaseRuleError;
use hatchery_service::issues::RepoView;
use hatchery_service::releases::{ReleaseEdit, ReleaseError, ReleaseInput};
use hatchery_store::Release;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::types::releases::{
    ApiAttachment, ApiRelease, CreateReleaseOption, EditAttachmentOptions, EditReleaseOption,
};
use crate::api::{path_id, repo_for, urls};
use crate::state::AppState;
use crate::upload::{self, UploadFailure};

/// Every release route except uploads.
pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_releases, create_release))
        .routes(api_route!(latest_release))
        .routes(api_route!(get_release_by_tag, delete_release_by_tag))
        .routes(api_route!(get_release, edit_release, delete_release))
        .routes(api_route!(list_assets))
        .routes(api_route!(get_asset, edit_asset, delete_asset))
        .routes(api_route!(open_release_vote))
}

/// The upload route: served without the request timeout (a large file takes as long as
/// it takes) and without a body limit other than the asset limit.
pub fn upload_routes() -> ApiRoutes {
    ApiRoutes::new().routes(api_route!(create_asset))
}

/// A refusal of the release use cases as an API error.
pub fn release_error(e: ReleaseError) -> ApiError {
    match e {
        ReleaseError::Denied(d) => ApiError::from_denial(d),
        ReleaseError::NotFound => ApiError::not_found(),
        ReleaseError::Rule(
            r @ (ReleaseRuleError::AssetNameEmpty
            | ReleaseRuleError::AssetNameTooLong
            | ReleaseRuleError::AssetNameInvalid),
        ) => ApiError::new(StatusCode::BAD_REQUEST, format!("name: {r}")),
        ReleaseError::Rule(r) => ApiError::unprocessable(r.to_string()),
        e @ (ReleaseError::BadTag(_) | ReleaseError::BadTarget(_)) => {
            ApiError::unprocessable(e.to_string())
        }
        e @ (ReleaseError::TagTaken(_) | ReleaseError::AssetNameTaken(_)) => {
            ApiError::conflict(e.to_string())
        }
        ReleaseError::TooLarge(limit) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the file is larger than the limit of {limit} bytes ({})",
                human_size(limit)
            ),
        ),
        e @ ReleaseError::NotIncubating => ApiError::unprocessable(format!("is_candidate: {e}")),
        e @ (ReleaseError::Vote(_) | ReleaseError::NoVoteRule) => {
            ApiError::unprocessable(e.to_string())
        }
        ReleaseError::Service(e) => e.into(),
    }
}

/// `n` bytes in binary units, for messages: `2.0 GiB`, `512 KiB`, `17 B`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

async fn reader(state: &AppState, caller: &ApiCaller, o: &str, r: &str) -> ApiResult<RepoView> {
    repo_for(state, caller, o, r, Action::Read, "read:repository").await
}

/// Changes ask for the write scope; the use cases ask the policy for write access.
async fn changer(state: &AppState, caller: &ApiCaller, o: &str, r: &str) -> ApiResult<RepoView> {
    caller.user()?;
    repo_for(state, caller, o, r, Action::Read, "write:repository").await
}

fn json(state: &AppState, view: &RepoView, r: &Release) -> ApiRelease {
    ApiRelease::of(&urls(state), &view.repo, r)
}

/// `GET .../releases` filters.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReleaseListQuery {
    /// Include drafts (only ever shown to writers; default true).
    pub draft: Option<bool>,
    /// Include pre-releases (default true).
    #[serde(rename = "pre-release")]
    #[param(rename = "pre-release")]
    pub pre_release: Option<bool>,
    /// Page number of results to return (1-based).
    pub page: Option<i64>,
    /// Page size of results.
    pub limit: Option<i64>,
}

/// List a repository's releases, newest first.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/releases", tag = "repository",
    operation_id = "repoListReleases",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"), ReleaseListQuery),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiRelease], description = "ReleaseList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_releases(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ReleaseListQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<(HeaderMap, Json<Vec<ApiRelease>>)> {
    let view = reader(&state, &caller, &owner, &repo).await?;
    let paging = Paging {
        page: q.page,
        limit: q.limit,
    };
    let (list, total) = state
        .forge
        .releases(
            &view,
            q.draft.unwrap_or(true),
            q.pre_release.unwrap_or(true),
            paging.limit(),
            paging.offset(),
        )
        .await
        .map_err(release_error)?;
    let body = list.iter().map(|r| json(&state, &view, r)).collect();
    Ok((paging.headers(&uri, total), Json(body)))
}

/// Create a release.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/releases", tag = "repository",
    operation_id = "repoCreateRelease",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    request_body = CreateReleaseOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiRelease), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "a release of this tag exists"),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_release(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
    ApiJson(opt): ApiJson<CreateReleaseOption>,
) -> ApiResult<(StatusCode, Json<ApiRelease>)> {
    let view = changer(&state, &caller, &owner, &repo).await?;
    let release = state
        .forge
        .create_release(
            &view,
            ReleaseInput {
                tag_name: opt.tag_name,
                target: opt.target_commitish.unwrap_or_default(),
                title: opt.name.unwrap_or_default(),
                note: opt.body.unwrap_or_default(),
                draft: opt.draft,
                prerelease: opt.prerelease,
                candidate: opt.is_candidate,
            },
        )
        .await
        .map_err(release_error)?;
    Ok((StatusCode::CREATED, Json(json(&state, &view, &release))))
}

/// Get the latest release: the newest published one that is not a pre-release.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/releases/latest", tag = "repository",
    operation_id = "repoGetLatestRelease",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiRelease), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn latest_release(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo)): Path<(String, String)>,
) -> ApiResult<Json<ApiRelease>> {
    let view = reader(&state, &caller, &owner, &repo).await?;
    let release = state
        .forge
        .latest_release(&view)
        .await
        .map_err(release_error)?;
    Ok(Json(json(&state, &view, &release)))
}

/// Get a release by its tag name.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/releases/tags/{tag}", tag = "repository",
    operation_id = "repoGetReleaseByTag",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("tag" = String, Path, description = "tag name of the release to get")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiRelease), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_release_by_tag(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, tag)): Path<(String, String, String)>,
) -> ApiResult<Json<ApiRelease>> {
    let view = reader(&state, &caller, &owner, &repo).await?;
    let release = state
        .forge
        .release_by_tag(&view, &tag)
        .await
        .map_err(release_error)?;
    Ok(Json(json(&state, &view, &release)))
}

/// Delete the release of a tag; the tag itself stays (as in Gitea).
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/releases/tags/{tag}", tag = "repository",
    operation_id = "repoDeleteReleaseByTag",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("tag" = String, Path, description = "tag name of the release to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_release_by_tag(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, tag)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = changer(&state, &caller, &owner, &repo).await?;
    let release = state
        .forge
        .release_by_tag(&view, &tag)
        .await
        .map_err(release_error)?;
    state
        .forge
        .delete_release(&view, release.id, false)
        .await
        .map_err(release_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Get a release.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/releases/{id}", tag = "repository",
    operation_id = "repoGetRelease",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release to get")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiRelease), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_release(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<Json<ApiRelease>> {
    let view = reader(&state, &caller, &owner, &repo).await?;
    let release = state
        .forge
        .release(&view, path_id(&id)?)
        .await
        .map_err(release_error)?;
    Ok(Json(json(&state, &view, &release)))
}

/// Hatchery: open the release vote on a release candidate (the repository's writers and the
/// incubator program's committee). The program's rule for `release` votes decides it;
/// when it passes, the candidate is published.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/releases/{id}/vote", tag = "repository",
    operation_id = "repoOpenReleaseVote",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release candidate")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = hatchery_api_types::incubator::IncubatorVote),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "not a candidate, a draft, a vote already open, or the program has no rule for release votes")))]
pub async fn open_release_vote(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<(
    StatusCode,
    Json<hatchery_api_types::incubator::IncubatorVote>,
)> {
    let view = changer(&state, &caller, &owner, &repo).await?;
    let release = state
        .forge
        .release(&view, path_id(&id)?)
        .await
        .map_err(release_error)?;
    let now = hatchery_store::now_ms();
    let vote = state
        .forge
        .open_release_vote(&view, &release, now)
        .await
        .map_err(release_error)?;
    let program = state
        .store
        .program_by_id(vote.program_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let project = match vote.project_id {
        Some(p) => state.store.project_by_id(p).await?.map(|p| p.slug),
        None => None,
    };
    let status = state.forge.vote_status(&vote, now).await?;
    let phase = status.phase.map(|p| match p {
        hatchery_core::incubator::Phase::BeforeMinimum => "before_minimum",
        hatchery_core::incubator::Phase::Open => "open",
        hatchery_core::incubator::Phase::DeadlinePassed => "deadline_passed",
    });
    Ok((
        StatusCode::CREATED,
        Json(hatchery_api_types::incubator::IncubatorVote::of(
            &urls(&state),
            &program,
            &vote,
            None,
            project,
            &status.tally,
            phase,
            status.closes_at,
        )),
    ))
}

/// Update a release; absent fields stay as they are. Publishing a draft creates its tag
/// when missing.
#[utoipa::path(patch, path = "/repos/{owner}/{repo}/releases/{id}", tag = "repository",
    operation_id = "repoEditRelease",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release to edit")),
    request_body = EditReleaseOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiRelease), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn edit_release(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
    ApiJson(opt): ApiJson<EditReleaseOption>,
) -> ApiResult<Json<ApiRelease>> {
    let view = changer(&state, &caller, &owner, &repo).await?;
    let release = state
        .forge
        .update_release(
            &view,
            path_id(&id)?,
            ReleaseEdit {
                tag_name: opt.tag_name,
                target: opt.target_commitish,
                title: opt.name,
                note: opt.body,
                draft: opt.draft,
                prerelease: opt.prerelease,
                candidate: opt.is_candidate,
            },
        )
        .await
        .map_err(release_error)?;
    Ok(Json(json(&state, &view, &release)))
}

/// Delete a release and its assets; the tag stays.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/releases/{id}", tag = "repository",
    operation_id = "repoDeleteRelease",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_release(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = changer(&state, &caller, &owner, &repo).await?;
    state
        .forge
        .delete_release(&view, path_id(&id)?, false)
        .await
        .map_err(release_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a release's assets.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/releases/{id}/assets", tag = "repository",
    operation_id = "repoListReleaseAttachments",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiAttachment]), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_assets(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<ApiAttachment>>> {
    let view = reader(&state, &caller, &owner, &repo).await?;
    let release = state
        .forge
        .release(&view, path_id(&id)?)
        .await
        .map_err(release_error)?;
    Ok(Json(json(&state, &view, &release).assets))
}

/// `POST .../assets` query.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The asset's name; default: the uploaded file's name (multipart). Required for a raw
    /// body.
    pub name: Option<String>,
}

/// Upload an asset: a multipart body with the file in `attachment`, or the file itself as
/// the body (`Content-Type: application/octet-stream`) with `?name=`.
#[utoipa::path(post, path = "/repos/{owner}/{repo}/releases/{id}/assets", tag = "repository",
    operation_id = "repoCreateReleaseAttachment",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release"), UploadQuery),
    request_body(description = "multipart/form-data with the file in the field `attachment`, or the file itself as application/octet-stream with `name`",
        content((Vec<u8> = "multipart/form-data"), (Vec<u8> = "application/octet-stream"))),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiAttachment), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the release has an asset of this name"),
        (status = 413, body = ApiErrorBody, description = "larger than release.max_asset_bytes")))]
pub async fn create_asset(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id)): Path<(String, String, String)>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> ApiResult<(StatusCode, Json<ApiAttachment>)> {
    let view = changer(&state, &caller, &owner, &repo).await?;
    let release_id = path_id(&id)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let forge = &state.forge;
    let asset = if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, &state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
        let mut stored = None;
        while let Some(mut field) = multipart
            .next_field()
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?
        {
            if field.name() != Some("attachment") || stored.is_some() {
                // Other fields are read and dropped, a bounded amount each.
                upload::small_text(&mut field, 64 * 1024)
                    .await
                    .map_err(failure)?;
                continue;
            }
            let name = q
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .or_else(|| field.file_name().map(str::to_owned))
                .unwrap_or_default();
            let field_type = field.content_type().unwrap_or("").to_owned();
            // The request's declared length includes the multipart framing: only the
            // streamed count decides here.
            let mut up = forge
                .begin_asset(&view, release_id, &name, &field_type, None)
                .await
                .map_err(release_error)?;
            upload::from_field(&mut up, &mut field)
                .await
                .map_err(failure)?;
            stored = Some(forge.finish_asset(up).await.map_err(release_error)?);
        }
        stored.ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "the multipart body has no field named attachment",
            )
        })?
    } else {
        let name = q.name.clone().unwrap_or_default();
        if name.trim().is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "name: give the asset's name as ?name= (or send multipart with the file in attachment)",
            ));
        }
        let mut up = forge
            .begin_asset(&view, release_id, &name, &content_type, declared)
            .await
            .map_err(release_error)?;
        upload::from_body(&mut up, req.into_body())
            .await
            .map_err(failure)?;
        forge.finish_asset(up).await.map_err(release_error)?
    };
    let release = forge
        .release(&view, release_id)
        .await
        .map_err(release_error)?;
    Ok((
        StatusCode::CREATED,
        Json(ApiAttachment::of(
            &urls(&state),
            &view.repo,
            &release.tag_name,
            &asset,
        )),
    ))
}

fn failure(f: UploadFailure) -> ApiError {
    match f {
        UploadFailure::Refused(e) => release_error(e),
        UploadFailure::BadBody(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
    }
}

/// Get a release asset.
#[utoipa::path(get, path = "/repos/{owner}/{repo}/releases/{id}/assets/{attachment_id}", tag = "repository",
    operation_id = "repoGetReleaseAttachment",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release"),
        ("attachment_id" = i64, Path, description = "id of the attachment")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiAttachment), (status = 401, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_asset(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id, asset_id)): Path<(String, String, String, String)>,
) -> ApiResult<Json<ApiAttachment>> {
    let view = reader(&state, &caller, &owner, &repo).await?;
    let (release, asset) = state
        .forge
        .release_asset(&view, path_id(&id)?, path_id(&asset_id)?)
        .await
        .map_err(release_error)?;
    Ok(Json(ApiAttachment::of(
        &urls(&state),
        &view.repo,
        &release.tag_name,
        &asset,
    )))
}

/// Rename a release asset.
#[utoipa::path(patch, path = "/repos/{owner}/{repo}/releases/{id}/assets/{attachment_id}", tag = "repository",
    operation_id = "repoEditReleaseAttachment",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release"),
        ("attachment_id" = i64, Path, description = "id of the attachment")),
    request_body = EditAttachmentOptions,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiAttachment), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn edit_asset(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id, asset_id)): Path<(String, String, String, String)>,
    ApiJson(opt): ApiJson<EditAttachmentOptions>,
) -> ApiResult<(StatusCode, Json<ApiAttachment>)> {
    let view = changer(&state, &caller, &owner, &repo).await?;
    let (release_id, asset_id) = (path_id(&id)?, path_id(&asset_id)?);
    let (release, asset) = match opt.name {
        Some(name) => {
            let asset = state
                .forge
                .rename_asset(&view, release_id, asset_id, &name)
                .await
                .map_err(release_error)?;
            let release = state
                .forge
                .release(&view, release_id)
                .await
                .map_err(release_error)?;
            (release, asset)
        }
        None => state
            .forge
            .release_asset(&view, release_id, asset_id)
            .await
            .map_err(release_error)?,
    };
    // Gitea answers 201 here.
    Ok((
        StatusCode::CREATED,
        Json(ApiAttachment::of(
            &urls(&state),
            &view.repo,
            &release.tag_name,
            &asset,
        )),
    ))
}

/// Delete a release asset and its file.
#[utoipa::path(delete, path = "/repos/{owner}/{repo}/releases/{id}/assets/{attachment_id}", tag = "repository",
    operation_id = "repoDeleteReleaseAttachment",
    params(("owner" = String, Path, description = "owner of the repo"),
        ("repo" = String, Path, description = "name of the repo"),
        ("id" = i64, Path, description = "id of the release"),
        ("attachment_id" = i64, Path, description = "id of the attachment")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_asset(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((owner, repo, id, asset_id)): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    let view = changer(&state, &caller, &owner, &repo).await?;
    state
        .forge
        .delete_asset(&view, path_id(&id)?, path_id(&asset_id)?)
        .await
        .map_err(release_error)?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_well() {
        assert_eq!(super::human_size(17), "17 B");
        assert_eq!(super::human_size(1536), "1.5 KiB");
        assert_eq!(super::human_size(2 << 30), "2.0 GiB");
        assert_eq!(super::human_size(300 << 20), "300 MiB");
    }
}
