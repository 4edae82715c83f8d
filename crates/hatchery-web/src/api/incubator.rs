//! The incubator under `/orgs/{org}/incubator/...`: an organization's programs, their
//! proposals, projects (with roster, stage, repositories and checklist), votes (with a
//! live or frozen tally, and casting a ballot), reports, and the JSON and podlings.xml
//! exports.
//!
//! Gitea has no incubator: these routes and objects are Hatchery's own, in Gitea's style
//! (snake_case, RFC 3339 times, `X-Total-Count` and `Link` on lists, errors as
//! `{"message", "url"}`). The objects are in `hatchery_api_types::incubator`, shared with
//! the incubator's webhook payloads.
//!
//! Everything goes through the incubator's use cases (`hatchery_service::incubator`),
//! which apply the policy. Programs, proposals, projects, votes and reports are public, as
//! on the web, except draft proposals, which only those who may edit them see (others get
//! 404s, and lists leave them out); the repositories of a proposal or project are listed
//! only to those who may read them, and checklist evidence and report figures about
//! repositories the caller cannot read are left out. Reading needs `read:organization`;
//! casting a ballot, drafting a proposal, withdrawing it (its author) and closing it (the
//! committee, the organization's owners) need `write:organization` and a signed-in caller.
//! A proposal's slug is held once in its program (409 names what holds it).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hatchery_api_types::incubator::{
    IncubatorBallot, IncubatorChecklistResult, IncubatorProgram, IncubatorProject,
    IncubatorProposal, IncubatorReport, IncubatorRosterEntry, IncubatorVote,
};
use hatchery_core::incubator::{
    BallotValue, ElectionError, GraduationError, Phase, ProposalState, VoteState,
};
use hatchery_service::incubator::{IncubatorError, PersonInput, PersonRow, ProposalInput};
use hatchery_store::{Program, Project, Report, ReportState, Vote, now_ms};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::{path_id, urls};
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_programs))
        .routes(api_route!(get_program))
        .routes(api_route!(list_proposals, create_proposal))
        .routes(api_route!(get_proposal))
        .routes(api_route!(withdraw_proposal))
        .routes(api_route!(close_proposal))
        .routes(api_route!(list_projects))
        .routes(api_route!(get_project, edit_project))
        .routes(api_route!(list_votes))
        .routes(api_route!(get_vote))
        .routes(api_route!(cast_ballot))
        .routes(api_route!(list_reports))
        .routes(api_route!(get_report))
        .routes(api_route!(export_json))
        .routes(api_route!(export_podlings_xml))
}

pub(super) const READ: &str = "read:organization";
pub(super) const WRITE: &str = "write:organization";

impl From<IncubatorError> for ApiError {
    fn from(e: IncubatorError) -> ApiError {
        match e {
            IncubatorError::Denied(d) => ApiError::from_denial(d),
            IncubatorError::NotFound => ApiError::not_found(),
            IncubatorError::Service(s) => s.into(),
            IncubatorError::VoteClosed => {
                ApiError::conflict("the vote is closed: ballots are no longer taken")
            }
            IncubatorError::VoteAlreadyOpen
            | IncubatorError::NameTaken(_)
            | IncubatorError::SlugTaken { .. }
            | IncubatorError::GraduationPending
            | IncubatorError::AlreadyOnRoster
            | IncubatorError::AlreadyLinked
            | IncubatorError::Election(ElectionError::AlreadyOpen)
            | IncubatorError::Graduation(
                GraduationError::AlreadyDecided | GraduationError::AlreadySubmitted,
            ) => ApiError::conflict(e.to_string()),
            IncubatorError::Stale => ApiError::conflict("changed since it was read"),
            IncubatorError::Template(ref errors) => ApiError::unprocessable_all(
                e.to_string(),
                errors.iter().map(ToString::to_string).collect(),
            ),
            other => ApiError::unprocessable(other.to_string()),
        }
    }
}

/// The program `slug` of organization `org`, having checked the token's scope.
pub(super) async fn program_for(
    state: &AppState,
    caller: &ApiCaller,
    org: &str,
    slug: &str,
) -> ApiResult<Program> {
    caller.need(READ)?;
    Ok(state.forge.program(org, slug).await?)
}

/// The name of the program's committee team.
pub(super) async fn committee(state: &AppState, program: &Program) -> ApiResult<Option<String>> {
    Ok(match program.committee_team_id {
        Some(id) => state.store.team_by_id(id).await?.map(|t| t.name),
        None => None,
    })
}

/// Proposal id -> number of the proposals `caller` may see, for the objects that name the
/// proposal they came from.
async fn proposal_numbers(
    state: &AppState,
    caller: &ApiCaller,
    program: &Program,
) -> ApiResult<HashMap<i64, i64>> {
    Ok(state
        .forge
        .program_proposals(caller.actor(), program, None)
        .await?
        .into_iter()
        .map(|p| (p.id, p.number))
        .collect())
}

fn no_cache(mut r: Response, content_type: &'static str) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

// ---- programs ----

/// List an organization's incubation programs.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs", tag = "incubator",
    operation_id = "incubatorListPrograms",
    params(("org" = String, Path, description = "name of the organization"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorProgram], description = "The programs, without their templates; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_programs(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<IncubatorProgram>>)> {
    caller.need(READ)?;
    let all = state.forge.programs_of_org(&org).await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let urls = urls(&state);
    let mut out = Vec::new();
    for p in paging.slice(all) {
        let committee = committee(&state, &p).await?;
        out.push(IncubatorProgram::of(&urls, &p, committee));
    }
    Ok((paging.headers(&uri, total), Json(out)))
}

/// Get a program, with its template (stages, vote rules, report cadence, proposal form,
/// checklist, license policy) and report template.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}", tag = "incubator",
    operation_id = "incubatorGetProgram",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProgram),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_program(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
) -> ApiResult<Json<IncubatorProgram>> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let committee = committee(&state, &program).await?;
    Ok(Json(
        IncubatorProgram::of(&urls(&state), &program, committee).with_template(&program),
    ))
}

// ---- proposals ----

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProposalListQuery {
    /// Only proposals in this state: `draft`, `discussion`, `voting`, `accepted`,
    /// `rejected`, `needs_info`, `withdrawn` or `closed`; `all` (the default) for every
    /// one.
    pub state: Option<String>,
}

/// List a program's proposals, newest first.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/proposals",
    tag = "incubator", operation_id = "incubatorListProposals",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ProposalListQuery, Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorProposal], description = "`X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn list_proposals(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<ProposalListQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<IncubatorProposal>>)> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let filter = match q.state.as_deref().map(str::trim) {
        None | Some("" | "all") => None,
        Some(s) => Some(ProposalState::from_str(s).map_err(|_| {
            ApiError::unprocessable(format!(
                "state: {s:?} is not one of all, draft, discussion, voting, accepted, rejected, needs_info, withdrawn, closed"
            ))
        })?),
    };
    let all = state
        .forge
        .program_proposals(caller.actor(), &program, filter)
        .await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let urls = urls(&state);
    let mut out = Vec::new();
    for p in paging.slice(all) {
        let repos = state
            .forge
            .proposal_repos(caller.actor(), &p.repo_ids)
            .await?;
        out.push(IncubatorProposal::of(&urls, &program, &p, &repos));
    }
    Ok((paging.headers(&uri, total), Json(out)))
}

/// Get a proposal.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}",
    tag = "incubator", operation_id = "incubatorGetProposal",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProposal),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_proposal(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, n)): Path<(String, String, String)>,
) -> ApiResult<Json<IncubatorProposal>> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let proposal = state
        .forge
        .visible_proposal(caller.actor(), &program, path_id(&n)?)
        .await?;
    let repos = state
        .forge
        .proposal_repos(caller.actor(), &proposal.repo_ids)
        .await?;
    Ok(Json(IncubatorProposal::of(
        &urls(&state),
        &program,
        &proposal,
        &repos,
    )))
}

/// Someone a proposal names: an account here, or a name for someone without one.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct IncubatorProposalPersonOption {
    /// Their account name here; empty for someone without one.
    #[serde(default)]
    pub username: String,
    /// The name to show; defaults to the account's display name.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub affiliation: String,
    /// In `people` only: the person's role.
    #[serde(default)]
    pub role: String,
}

impl IncubatorProposalPersonOption {
    fn input(&self) -> PersonInput {
        PersonInput {
            username: self.username.clone(),
            name: self.name.clone(),
            affiliation: self.affiliation.clone(),
        }
    }
}

/// A proposal to draft.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateIncubatorProposalOption {
    /// The project's short id once accepted: held in the program by this proposal until
    /// it is rejected, withdrawn or closed, so another proposal or project of the program
    /// cannot take it (409).
    pub slug: String,
    pub name: String,
    /// Section key of the program's proposal form -> Markdown.
    #[serde(default)]
    pub sections: BTreeMap<String, String>,
    /// The People table: each person once with a `role` (`champion`, `mentor`,
    /// `committer`, as the program's form offers them); it fills the form's people
    /// sections. When given, `champion`, `mentors` and `committers` are ignored.
    #[serde(default)]
    pub people: Vec<IncubatorProposalPersonOption>,
    #[serde(default)]
    pub champion: Option<IncubatorProposalPersonOption>,
    #[serde(default)]
    pub mentors: Vec<IncubatorProposalPersonOption>,
    #[serde(default)]
    pub committers: Vec<IncubatorProposalPersonOption>,
    /// `owner/name` of each repository the project brings; each must be readable by the
    /// caller.
    #[serde(default)]
    pub repositories: Vec<String>,
}

impl CreateIncubatorProposalOption {
    /// The use cases' input.
    pub(super) fn input(self) -> ProposalInput {
        let people = |list: &[IncubatorProposalPersonOption]| {
            list.iter()
                .map(IncubatorProposalPersonOption::input)
                .collect()
        };
        ProposalInput {
            people: self
                .people
                .iter()
                .map(|p| PersonRow {
                    role: p.role.clone(),
                    person: p.input(),
                })
                .collect(),
            champion: self
                .champion
                .as_ref()
                .map(IncubatorProposalPersonOption::input),
            mentors: people(&self.mentors),
            committers: people(&self.committers),
            slug: self.slug,
            name: self.name,
            sections: self.sections,
            repos: self.repositories,
        }
    }
}

/// Draft a proposal (anyone signed in). It stays a draft, seen only by those who may edit
/// it, until its discussion starts on the web.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/proposals",
    tag = "incubator", operation_id = "incubatorCreateProposal",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program")),
    request_body = CreateIncubatorProposalOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = IncubatorProposal, description = "The proposal, a draft"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "The slug is held in the program by a project or another proposal; the message names both"),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_proposal(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
    ApiJson(body): ApiJson<CreateIncubatorProposalOption>,
) -> ApiResult<(StatusCode, Json<IncubatorProposal>)> {
    caller.user_with(WRITE)?;
    let program = program_for(&state, &caller, &org, &slug).await?;
    let input = body.input();
    let proposal = state
        .forge
        .draft_proposal(caller.actor(), &program, &input, now_ms())
        .await?;
    let repos = state
        .forge
        .proposal_repos(caller.actor(), &proposal.repo_ids)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IncubatorProposal::of(
            &urls(&state),
            &program,
            &proposal,
            &repos,
        )),
    ))
}

/// Why a proposal is withdrawn or closed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IncubatorReasonOption {
    /// Required; at most 2,000 characters.
    pub reason: String,
}

/// Withdraw or close proposal `n`: the proposal as it is now.
async fn end_proposal(
    state: &AppState,
    caller: &ApiCaller,
    (org, slug, n): (String, String, String),
    reason: &str,
    close: bool,
) -> ApiResult<Json<IncubatorProposal>> {
    caller.user_with(WRITE)?;
    let program = program_for(state, caller, &org, &slug).await?;
    let proposal = state
        .forge
        .visible_proposal(caller.actor(), &program, path_id(&n)?)
        .await?;
    let forge = &state.forge;
    let ended = if close {
        forge
            .close_proposal(caller.actor(), &program, &proposal, reason, now_ms())
            .await?
    } else {
        forge
            .withdraw_proposal(caller.actor(), &program, &proposal, reason, now_ms())
            .await?
    };
    let repos = forge
        .proposal_repos(caller.actor(), &ended.repo_ids)
        .await?;
    Ok(Json(IncubatorProposal::of(
        &urls(state),
        &program,
        &ended,
        &repos,
    )))
}

/// Withdraw a proposal (its author), with a reason, before it is decided. An open vote on
/// it is cancelled; its slug is free again.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}/withdraw",
    tag = "incubator", operation_id = "incubatorWithdrawProposal",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    request_body = IncubatorReasonOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProposal, description = "The proposal, withdrawn"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "It changed meanwhile"),
        (status = 422, body = ApiErrorBody, description = "No reason, or the proposal is already decided, withdrawn or closed")))]
pub async fn withdraw_proposal(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String)>,
    ApiJson(body): ApiJson<IncubatorReasonOption>,
) -> ApiResult<Json<IncubatorProposal>> {
    end_proposal(&state, &caller, path, &body.reason, false).await
}

/// Close a proposal without a vote (the program's committee and the organization's
/// owners), with a reason, before it is decided. An open vote on it is cancelled; its slug
/// is free again.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/proposals/{number}/close",
    tag = "incubator", operation_id = "incubatorCloseProposal",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("number" = i64, Path, description = "number of the proposal in the program")),
    request_body = IncubatorReasonOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProposal, description = "The proposal, closed"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "It changed meanwhile"),
        (status = 422, body = ApiErrorBody, description = "No reason, or the proposal is already decided, withdrawn or closed")))]
pub async fn close_proposal(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(path): Path<(String, String, String)>,
    ApiJson(body): ApiJson<IncubatorReasonOption>,
) -> ApiResult<Json<IncubatorProposal>> {
    end_proposal(&state, &caller, path, &body.reason, true).await
}

// ---- projects ----

/// List a program's projects.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects",
    tag = "incubator", operation_id = "incubatorListProjects",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorProject], description = "The projects, without roster, repositories and checklist; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_projects(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<IncubatorProject>>)> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let all = state.forge.program_projects(&program).await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let numbers = proposal_numbers(&state, &caller, &program).await?;
    let urls = urls(&state);
    let out = paging
        .slice(all)
        .iter()
        .map(|p| {
            let proposal = p.proposal_id.and_then(|id| numbers.get(&id).copied());
            IncubatorProject::of(&urls, &program, p, proposal)
        })
        .collect();
    Ok((paging.headers(&uri, total), Json(out)))
}

/// The evidence the caller may see: all of it when they can read every repository of the
/// project; otherwise only the entries about repositories they can read (figures computed
/// over all repositories are left out, since they would tell about the private ones). The
/// project's status page shows the same.
fn visible_evidence(
    evidence: &Value,
    visible: &HashSet<String>,
    all_visible: bool,
) -> Option<Value> {
    if all_visible {
        return Some(evidence.clone());
    }
    let obj = evidence.as_object()?;
    let mut out = serde_json::Map::new();
    let readable = |v: &Value| {
        v.get("repo")
            .and_then(Value::as_str)
            .or_else(|| v.as_str())
            .is_some_and(|name| visible.contains(name))
    };
    for key in ["repos", "found", "missing"] {
        if let Some(items) = obj.get(key).and_then(Value::as_array) {
            let kept: Vec<Value> = items.iter().filter(|v| readable(v)).cloned().collect();
            out.insert(key.to_owned(), Value::Array(kept));
        }
    }
    if out.values().all(|v| v.as_array().is_none_or(Vec::is_empty)) {
        None
    } else {
        Some(Value::Object(out))
    }
}

/// The program's checklist with the project's results, their evidence as far as the
/// reader may see it: `readable` are the project's repositories the reader may read.
pub(super) async fn checklist_json(
    state: &AppState,
    program: &Program,
    project: &Project,
    readable: &[hatchery_store::Repo],
) -> ApiResult<Vec<IncubatorChecklistResult>> {
    let all = state.store.project_repo_ids(project.id).await?;
    let all_visible = readable.len() == all.len();
    let visible: HashSet<String> = readable
        .iter()
        .map(|r| format!("{}/{}", r.owner_name, r.name))
        .collect();
    let urls = urls(state);
    Ok(state
        .forge
        .project_checklist(program, project)
        .await?
        .iter()
        .map(|row| {
            let evidence = row
                .result
                .as_ref()
                .and_then(|r| visible_evidence(&r.evidence, &visible, all_visible));
            IncubatorChecklistResult::of(&urls, &row.item, row.result.as_ref(), evidence)
        })
        .collect())
}

pub(super) async fn project_for(
    state: &AppState,
    caller: &ApiCaller,
    org: &str,
    slug: &str,
    project: &str,
) -> ApiResult<(Program, Project)> {
    let program = program_for(state, caller, org, slug).await?;
    let project = state.forge.project(&program, project).await?;
    Ok((program, project))
}

/// Get a project: its stage and since when, its roster, the repositories the caller may
/// read, and the program's checklist with the project's results.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}",
    tag = "incubator", operation_id = "incubatorGetProject",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProject),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_project(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> ApiResult<Json<IncubatorProject>> {
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    Ok(Json(
        project_json(&state, &caller, &program, &project).await?,
    ))
}

/// Changes to a project's record for the board.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditIncubatorProjectOption {
    /// The group of the program's board calendar it reports in (counted from 1).
    pub reporting_group: Option<i64>,
    /// The short name of its sponsor ("Incubator", a committee's name); empty for the
    /// program's.
    pub sponsor: Option<String>,
}

/// Change a project's reporting group and sponsor (the committee and organization
/// owners).
#[utoipa::path(patch, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}",
    tag = "incubator", operation_id = "incubatorEditProject",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project")),
    request_body = EditIncubatorProjectOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorProject, description = "The project as changed"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody, description = "A group the calendar does not have, or a sponsor that is not a short name")))]
pub async fn edit_project(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<EditIncubatorProjectOption>,
) -> ApiResult<Json<IncubatorProject>> {
    caller.user_with(WRITE)?;
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let change = hatchery_service::incubator::ProjectRecordChange {
        reporting_group: body.reporting_group,
        sponsor: body.sponsor,
    };
    let changed = state
        .forge
        .edit_project_record(caller.actor(), &program, &project, &change, now_ms())
        .await?;
    Ok(Json(
        project_json(&state, &caller, &program, &changed).await?,
    ))
}

/// A project with its roster, the repositories the caller may read and its checklist.
pub(super) async fn project_json(
    state: &AppState,
    caller: &ApiCaller,
    program: &Program,
    project: &Project,
) -> ApiResult<IncubatorProject> {
    let forge = &state.forge;
    let urls = urls(state);
    let proposal = match project.proposal_id {
        Some(id) => proposal_numbers(state, caller, program)
            .await?
            .get(&id)
            .copied(),
        None => None,
    };
    let roster = forge.project_roster(project).await?;
    let repos = forge.project_repos(caller.actor(), project).await?;
    let checklist = checklist_json(state, program, project, &repos).await?;
    let mut out = IncubatorProject::of(&urls, program, project, proposal);
    out.roster = Some(roster.iter().map(IncubatorRosterEntry::of).collect());
    out.repositories = Some(
        repos
            .iter()
            .map(|r| hatchery_api_types::incubator::IncubatorRepo::of(&urls, r))
            .collect(),
    );
    out.checklist = Some(checklist);
    Ok(out)
}

// ---- votes ----

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VoteListQuery {
    /// `open`, `closed`, `passed`, `failed`, `cancelled`, or `all` (the default).
    pub state: Option<String>,
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::BeforeMinimum => "before_minimum",
        Phase::Open => "open",
        Phase::DeadlinePassed => "deadline_passed",
    }
}

/// Names of the proposals and projects votes are about.
struct Subjects {
    proposals: HashMap<i64, i64>,
    projects: HashMap<i64, String>,
}

impl Subjects {
    async fn of(state: &AppState, caller: &ApiCaller, program: &Program) -> ApiResult<Subjects> {
        Ok(Subjects {
            proposals: proposal_numbers(state, caller, program).await?,
            projects: state
                .forge
                .program_projects(program)
                .await?
                .into_iter()
                .map(|p| (p.id, p.slug))
                .collect(),
        })
    }
}

/// The vote with its tally as it stands at `now`; with its electorate and ballots when
/// `full`.
async fn vote_json(
    state: &AppState,
    program: &Program,
    subjects: &Subjects,
    vote: &Vote,
    now: i64,
    full: bool,
) -> ApiResult<IncubatorVote> {
    let urls = urls(state);
    let status = state.forge.vote_status(vote, now).await?;
    let out = IncubatorVote::of(
        &urls,
        program,
        &status.vote,
        vote.proposal_id
            .and_then(|id| subjects.proposals.get(&id).copied()),
        vote.project_id
            .and_then(|id| subjects.projects.get(&id).cloned()),
        &status.tally,
        status.phase.map(phase_name),
        status.closes_at,
    );
    Ok(if full {
        out.with_ballots(&urls, &status.electorate, &status.ballots)
    } else {
        out
    })
}

/// One vote as the API shows it after a change, with its electorate and ballots.
pub(super) async fn vote_json_of(
    state: &AppState,
    caller: &ApiCaller,
    program: &Program,
    vote: &Vote,
    now: i64,
) -> ApiResult<IncubatorVote> {
    let subjects = Subjects::of(state, caller, program).await?;
    vote_json(state, program, &subjects, vote, now, true).await
}

/// List a program's votes, newest first, each with its tally (live while open).
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/votes",
    tag = "incubator", operation_id = "incubatorListVotes",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        VoteListQuery, Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorVote], description = "The votes, without electorate and ballots; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn list_votes(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(q): ApiQuery<VoteListQuery>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<IncubatorVote>>)> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let wanted: Option<&[VoteState]> = match q.state.as_deref().map(str::trim) {
        None | Some("" | "all") => None,
        Some("open") => Some(&[VoteState::Open]),
        Some("closed") => Some(&[VoteState::Passed, VoteState::Failed, VoteState::Cancelled]),
        Some("passed") => Some(&[VoteState::Passed]),
        Some("failed") => Some(&[VoteState::Failed]),
        Some("cancelled") => Some(&[VoteState::Cancelled]),
        Some(s) => {
            return Err(ApiError::unprocessable(format!(
                "state: {s:?} is not one of all, open, closed, passed, failed, cancelled"
            )));
        }
    };
    let open_only = wanted == Some(&[VoteState::Open][..]);
    let all: Vec<Vote> = state
        .forge
        .program_votes(&program, open_only)
        .await?
        .into_iter()
        .filter(|v| wanted.is_none_or(|w| w.contains(&v.state)))
        .collect();
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let subjects = Subjects::of(&state, &caller, &program).await?;
    let now = now_ms();
    let mut out = Vec::new();
    for v in paging.slice(all) {
        out.push(vote_json(&state, &program, &subjects, &v, now, false).await?);
    }
    Ok((paging.headers(&uri, total), Json(out)))
}

/// Get a vote with its electorate, every ballot, and its tally: live while the vote is
/// open, as frozen at close afterwards.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/votes/{id}",
    tag = "incubator", operation_id = "incubatorGetVote",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("id" = i64, Path, description = "id of the vote")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorVote),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_vote(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, id)): Path<(String, String, String)>,
) -> ApiResult<Json<IncubatorVote>> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let vote = state.forge.vote(&program, path_id(&id)?).await?;
    let subjects = Subjects::of(&state, &caller, &program).await?;
    Ok(Json(
        vote_json(&state, &program, &subjects, &vote, now_ms(), true).await?,
    ))
}

/// A ballot to cast.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CastBallotOption {
    /// `+1`, `0` or `-1` (the numbers 1, 0 and -1 are accepted too).
    #[schema(value_type = String)]
    pub value: Value,
    /// Why; at most 2000 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

fn ballot_value(v: &Value) -> ApiResult<BallotValue> {
    let parsed = match v {
        Value::String(s) => BallotValue::from_str(s).ok(),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i8::try_from(n).ok())
            .and_then(BallotValue::from_i8),
        _ => None,
    };
    parsed.ok_or_else(|| ApiError::unprocessable("value: must be \"+1\", \"0\" or \"-1\""))
}

/// Cast a ballot on a vote, or change the caller's earlier one. Anyone signed in may
/// vote; the ballot is binding exactly when the caller was in the committee when the vote
/// opened. Refused (409) once the vote is closed or past its deadline.
#[utoipa::path(post, path = "/orgs/{org}/incubator/programs/{program}/votes/{id}/ballots",
    tag = "incubator", operation_id = "incubatorCastBallot",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("id" = i64, Path, description = "id of the vote")),
    request_body = CastBallotOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = IncubatorBallot, description = "The caller's ballot as recorded"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody, description = "The vote is closed"),
        (status = 422, body = ApiErrorBody)))]
pub async fn cast_ballot(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, id)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<CastBallotOption>,
) -> ApiResult<(StatusCode, Json<IncubatorBallot>)> {
    caller.user_with(WRITE)?;
    let program = state.forge.program(&org, &slug).await?;
    let vote = state.forge.vote(&program, path_id(&id)?).await?;
    let value = ballot_value(&body.value)?;
    let ballot = state
        .forge
        .cast_ballot(
            caller.actor(),
            &program,
            &vote,
            value,
            body.comment.as_deref().unwrap_or_default(),
            now_ms(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IncubatorBallot::of(&urls(&state), &ballot)),
    ))
}

// ---- reports ----

/// Late: not submitted by its due date, or (where the program requires it) submitted but
/// not signed off. As the project's status page says.
fn is_overdue(program: &Program, r: &Report, now: i64) -> bool {
    r.due_at < now
        && (r.state == ReportState::Draft
            || (r.state == ReportState::Submitted && program.report_template.signoff_required))
}

pub(super) async fn report_json(
    state: &AppState,
    caller: &ApiCaller,
    program: &Program,
    project: &Project,
    report: &Report,
    now: i64,
) -> ApiResult<IncubatorReport> {
    let figures = state
        .forge
        .report_figures(caller.actor(), report)
        .await?
        .and_then(|m| serde_json::to_value(m).ok());
    let signoffs = state.forge.report_signoffs(report).await?;
    Ok(IncubatorReport::of(
        &urls(state),
        program,
        project,
        report,
        is_overdue(program, report, now),
        figures,
        &signoffs,
    ))
}

/// List a project's reports, oldest first: one per period of the program's cadence that
/// is due, and the current period's.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports",
    tag = "incubator", operation_id = "incubatorListReports",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [IncubatorReport], description = "`X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_reports(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project)): Path<(String, String, String)>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<IncubatorReport>>)> {
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let now = now_ms();
    let all = state.forge.ensure_reports(&program, &project, now).await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for r in paging.slice(all) {
        out.push(report_json(&state, &caller, &program, &project, &r, now).await?);
    }
    Ok((paging.headers(&uri, total), Json(out)))
}

/// Get a report with its sections, figures and sign-offs.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}",
    tag = "incubator", operation_id = "incubatorGetReport",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program"),
        ("slug" = String, Path, description = "slug of the project"),
        ("id" = i64, Path, description = "id of the report")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = IncubatorReport),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_report(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug, project, id)): Path<(String, String, String, String)>,
) -> ApiResult<Json<IncubatorReport>> {
    let (program, project) = project_for(&state, &caller, &org, &slug, &project).await?;
    let report = state.forge.report(&project, path_id(&id)?).await?;
    Ok(Json(
        report_json(&state, &caller, &program, &project, &report, now_ms()).await?,
    ))
}

// ---- exports ----

/// The program and its projects as JSON, the same document as the program's
/// `projects.json` page: repositories listed only where the caller may read them. Its
/// shape is described by the JSON Schema at `/incubator/export.schema.json`.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/export.json",
    tag = "incubator", operation_id = "incubatorExportJson",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = Object, content_type = "application/json"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn export_json(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
) -> ApiResult<Response> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let value = state
        .forge
        .export_json(caller.actor(), &program, now_ms())
        .await?;
    let value = crate::pages::incubator::exports::with_schema(value, &urls(&state));
    let body = serde_json::to_string_pretty(&value).map_err(ApiError::internal)?;
    Ok(no_cache(body.into_response(), "application/json"))
}

/// The program's projects in the shape of the Apache Incubator's `podlings.xml`, the
/// same document as the program's `podlings.xml` page.
#[utoipa::path(get, path = "/orgs/{org}/incubator/programs/{program}/podlings.xml",
    tag = "incubator", operation_id = "incubatorExportPodlingsXml",
    params(("org" = String, Path, description = "name of the organization"),
        ("program" = String, Path, description = "slug of the program")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = String, content_type = "application/xml"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn export_podlings_xml(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((org, slug)): Path<(String, String)>,
) -> ApiResult<Response> {
    let program = program_for(&state, &caller, &org, &slug).await?;
    let xml = state.forge.export_podlings_xml(&program, now_ms()).await?;
    Ok(no_cache(xml.into_response(), "application/xml"))
}
