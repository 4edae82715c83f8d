//! A proposal's way to a vote, under
//! `/orgs/{org}/incubator/programs/{program}/proposals/{number}/...`: revising it, its
//! discussion (comments), starting the discussion, the committee asking for more
//! information, and opening the vote. The same use cases as the web's
//! (`Forge::edit_proposal`, `comment_on_proposal`, `start_discussion`, `request_info`,
//! `open_vote`), so the same rules: its authors, the committee and the organization's
//! owners revise it (a revision during a vote cancels the vote); anyone signed in comments
//! on a published proposal; the committee opens the vote once the minimum discussion has
//! passed. 403 for people who may not, 404 for a draft the caller may not see, 409 for a
//! revision made from an old version or a vote already open, 422 for invalid input or a
//! step the proposal's state does not allow. Writing needs `write:organization` and a
//! signed-in caller.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hatchery_api_types::incubator::{IncubatorProposal, IncubatorProposalComment, IncubatorVote};
use hatchery_service::incubator::VoteOn;
use hatchery_store::{Program, Proposal, now_ms};
use serde::Deserialize;
use utoipa::ToSchema;

use super::incubator::{CreateIncubatorProposalOption, WRITE, program_for, vote_json_of};
use crate::api::error::{ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson};
use crate::api::route::ApiRoutes;
use crate::api::{path_id, urls};
use crate::api_route;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(edit_proposal))
        .routes(api_route!(list_comments, add_comment))
        .routes(api_route!(start_discussion))
        .routes(api_route!(request_info))
        .routes(api_route!(open_proposal_vote))
}

/// The program and proposal `n` as the caller may see them.
async fn proposal_for(
    state: &AppState,
    caller: &ApiCaller,
    (org, slug, n): &(String, String, String),
) -> ApiResult<(Program, Proposal)> {
    let program = program_for(state, caller, org, slug).await?;
    let proposal = state
        .forge
        .visible_proposal(caller.actor(), &program, path_id(n)?)
        .await?;
    Ok((program, proposal))
}

async fn proposal_json(
    state: &AppState,
    caller: &ApiCaller,
    program: &Program,
    proposal: &Proposal,
) -> ApiResult<Json<IncubatorProposal>> {
    let repos = state
        .forge
        .proposal_repos(caller.actor(), &proposal.repo_ids)
        .await?;
    Ok(Json(IncubatorProposal::of(
        &urls(state),
        program,
        proposal,
        &repos,
    )))
}

/// A revision of a proposal: the whole proposal as it should read, and the version it was
/// made from.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditIncubatorProposalOption {
    /// The `version` the revision was made from; 409 when the proposal changed since.
    pub version: i64,
    #[serde(flatten)]
    pub proposal: CreateIncubatorProposalOption,
}

/// Revise a proposal (its authors, the committee, the organization's owners). During a
/// vote the vote is cancelled and the proposal returns to discussion: a vote binds to the
/// text it was called on.
#[utoipa::path(patch, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}",
    tag = "incubator", operation_id = "incubatorEditProposal",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    request_body = EditIncubatorProposalOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProposal, description = "The proposal, revised"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "It changed since `version`, or the slug is held by another"),
        (status = 422, body = ApiErrorBody)))]
pub async fn edit_proposal(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String)>,
    ApiJson(body): ApiJson<EditIncubatorProposalOption>,
) -> ApiResult<Json<IncubatorProposal>> {
    caller.user_with(WRITE)?;
    let (program, proposal) = proposal_for(&state, &caller, &path).await?;
    let edited = state
        .forge
        .edit_proposal(
            caller.actor(),
            &program,
            &proposal,
            body.version,
            &body.proposal.input(),
            now_ms(),
        )
        .await?;
    proposal_json(&state, &caller, &program, &edited).await
}

/// List the comments of a proposal's discussion, oldest first.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}/comments",
    tag = "incubator", operation_id = "incubatorListProposalComments",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorProposalComment]),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_comments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<Json<Vec<IncubatorProposalComment>>> {
    let (_, proposal) = proposal_for(&state, &caller, &path).await?;
    let urls = urls(&state);
    let comments = state.forge.proposal_comments(&proposal).await?;
    Ok(Json(
        comments
            .iter()
            .map(|c| IncubatorProposalComment::of(&urls, c))
            .collect(),
    ))
}

/// A comment to post.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateIncubatorCommentOption {
    /// Markdown.
    pub body: String,
}

/// Comment on a proposal: anyone signed in on a published proposal; those who may edit it
/// on a draft.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}/comments",
    tag = "incubator", operation_id = "incubatorCreateProposalComment",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    request_body = CreateIncubatorCommentOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = IncubatorProposalComment),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String)>,
    ApiJson(body): ApiJson<CreateIncubatorCommentOption>,
) -> ApiResult<(StatusCode, Json<IncubatorProposalComment>)> {
    caller.user_with(WRITE)?;
    let (program, proposal) = proposal_for(&state, &caller, &path).await?;
    let comment = state
        .forge
        .comment_on_proposal(caller.actor(), &program, &proposal, &body.body, now_ms())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IncubatorProposalComment::of(&urls(&state), &comment)),
    ))
}

/// Publish a draft for discussion, or return a proposal that needed more information to
/// discussion; the minimum discussion period starts now. Every required section must be
/// filled in.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}/discussion",
    tag = "incubator", operation_id = "incubatorStartDiscussion",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProposal, description = "The proposal, in discussion"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "A required section is empty, or the proposal is not a draft or waiting for information")))]
pub async fn start_discussion(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<Json<IncubatorProposal>> {
    caller.user_with(WRITE)?;
    let (program, proposal) = proposal_for(&state, &caller, &path).await?;
    let started = state
        .forge
        .start_discussion(caller.actor(), &program, &proposal, now_ms())
        .await?;
    proposal_json(&state, &caller, &program, &started).await
}

/// What the committee asks the authors.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IncubatorRequestInfoOption {
    /// Posted as a comment; Markdown.
    pub note: String,
}

/// Ask the authors for more information (the committee), in discussion or during the vote
/// (which is then cancelled). The note is posted as a comment.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}/request_info",
    tag = "incubator", operation_id = "incubatorRequestInfo",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    request_body = IncubatorRequestInfoOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProposal, description = "The proposal, waiting for information"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn request_info(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String)>,
    ApiJson(body): ApiJson<IncubatorRequestInfoOption>,
) -> ApiResult<Json<IncubatorProposal>> {
    caller.user_with(WRITE)?;
    let (program, proposal) = proposal_for(&state, &caller, &path).await?;
    let asked = state
        .forge
        .request_info(caller.actor(), &program, &proposal, &body.note, now_ms())
        .await?;
    proposal_json(&state, &caller, &program, &asked).await
}

/// Open the vote on a proposal (the committee): it must have been discussed for the
/// program's minimum days. The electorate is the committee as it stands now; the vote
/// closes itself at its deadline, or earlier when the ballots already settle it.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}/votes",
    tag = "incubator", operation_id = "incubatorOpenProposalVote",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = IncubatorVote, description = "The vote, open"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "A vote on it is open already"),
        (status = 422, body = ApiErrorBody, description = "Not in discussion, discussed too briefly, or the program has no committee")))]
pub async fn open_proposal_vote(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String)>,
) -> ApiResult<(StatusCode, Json<IncubatorVote>)> {
    caller.user_with(WRITE)?;
    let (program, proposal) = proposal_for(&state, &caller, &path).await?;
    let now = now_ms();
    let vote = state
        .forge
        .open_vote(caller.actor(), &program, VoteOn::Proposal(&proposal), now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(vote_json_of(&state, &caller, &program, &vote, now).await?),
    ))
}
