//! The REST API under `/api/v1`, compatible with Gitea's for the routes it implements:
//! same paths, parameters, JSON field names, pagination headers and error shape, so
//! existing clients and scripts work unchanged.
//!
//! Every route is registered through [`api_route!`], which adds the handler from its
//! `#[utoipa::path]` attribute and keeps how to describe it: the OpenAPI document served
//! at `/swagger.v1.json` is generated from the same registrations as the router and cannot
//! drift from it, but only when first asked for (see [`route`]).

pub mod accounts;
pub mod auth_sources;
pub mod docs;
pub mod error;
pub mod extract;
pub mod forks;
pub mod git;
pub mod gpg_keys;
pub mod hooks;
pub mod incubator;
pub mod incubator_calendar;
pub mod incubator_checklist;
pub mod incubator_decisions;
pub mod incubator_discussion;
pub mod incubator_exports;
pub mod incubator_programs;
pub mod incubator_reports;
pub mod incubator_roster;
pub mod issues;
pub mod keys;
pub mod migrate;
pub mod mirrors;
pub mod misc;
pub mod paging;
pub mod protection;
pub mod pulls;
pub mod releases;
pub mod repos;
pub mod reviews;
pub mod route;
pub mod types;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use hatchery_core::Action;
use hatchery_service::access::RepoLookup;
use hatchery_service::issues::RepoView;
use utoipa::OpenApi;

use crate::state::AppState;
use error::{ApiError, ApiResult};
use extract::ApiCaller;
use route::ApiRoutes;
use types::{ApiPermission, Urls};

/// The document's fixed parts; the paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hatchery API",
        description = "The REST API of Hatchery, compatible with Gitea's `/api/v1` for the routes listed here.",
        license(name = "Apache-2.0")
    ),
    servers((url = "/api/v1")),
    components(schemas(error::ApiErrorBody)),
    modifiers(&Security),
    tags(
        (name = "miscellaneous"), (name = "user"), (name = "organization"),
        (name = "repository"), (name = "issue"), (name = "incubator")
    )
)]
struct ApiDoc;

/// The authentication schemes Gitea documents: HTTP Basic (password or token),
/// `Authorization: token <t>` and `Authorization: Bearer <t>`.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "BasicAuth",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "AuthorizationHeaderToken",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "API tokens must be prepended with \"token\" followed by a space.",
            ))),
        );
        components.add_security_scheme(
            "Bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every API route with its description, relative to `/api/v1`.
pub fn routes() -> ApiRoutes {
    timed_routes().merge(releases::upload_routes())
}

/// The routes bound by the request timeout: all but uploads.
fn timed_routes() -> ApiRoutes {
    misc::routes()
        .merge(git::routes())
        .merge(issues::routes())
        .merge(accounts::routes())
        .merge(repos::routes())
        .merge(forks::routes())
        .merge(migrate::routes())
        .merge(hooks::routes())
        .merge(mirrors::routes())
        .merge(keys::routes())
        .merge(gpg_keys::routes())
        .merge(protection::routes())
        .merge(pulls::routes())
        .merge(reviews::routes())
        .merge(releases::routes())
        .merge(incubator::routes())
        .merge(incubator_calendar::routes())
        .merge(incubator_exports::routes())
        .merge(incubator_programs::routes())
        .merge(incubator_discussion::routes())
        .merge(incubator_decisions::routes())
        .merge(incubator_roster::routes())
        .merge(incubator_checklist::routes())
        .merge(incubator_reports::routes())
        .merge(auth_sources::routes())
}

/// The generated document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().document(ApiDoc::openapi())
}

/// The generated document and its JSON, made at the first request for either rather than
/// at start: building them runs the description code of every route and schema and keeps
/// a few MiB (the document, its pretty JSON) that a server nobody asks for the API
/// description never needs. The first request pays for it once (a few milliseconds).
fn described() -> &'static (utoipa::openapi::OpenApi, String) {
    static DOC: std::sync::OnceLock<(utoipa::openapi::OpenApi, String)> =
        std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let doc = openapi();
        let json = doc.to_pretty_json().unwrap_or_default();
        (doc, json)
    })
}

/// `/api/v1/...`, `/swagger.v1.json` and the readable `/api/swagger`. Requests time out
/// after `timeout`, except uploads (which stream to disk for as long as they take, with no
/// body limit but the asset limit).
pub fn router(timeout: std::time::Duration) -> Router<AppState> {
    let timed = timed_routes().into_router();
    let uploads = releases::upload_routes().into_router();
    let api = timed
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .merge(uploads.layer(axum::extract::DefaultBodyLimit::disable()));
    Router::new()
        .nest("/api/v1", api.fallback(|| async { ApiError::not_found() }))
        .route(
            "/swagger.v1.json",
            get(|| async {
                match tokio::task::spawn_blocking(described).await {
                    Ok((_, json)) => (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        json.as_str(),
                    )
                        .into_response(),
                    Err(e) => ApiError::internal(e).into_response(),
                }
            }),
        )
        .route(
            "/api/swagger",
            get(|headers: axum::http::HeaderMap| async move {
                match tokio::task::spawn_blocking(described).await {
                    Ok((doc, _)) => docs::page(doc, &headers).into_response(),
                    Err(e) => ApiError::internal(e).into_response(),
                }
            }),
        )
}

/// A number in a path; anything else names nothing (404, in the API's error shape).
pub fn path_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().map_err(|_| ApiError::not_found())
}

pub fn urls(state: &AppState) -> Urls {
    Urls {
        public: state.cfg.public_url.clone(),
        ssh: state.cfg.ssh_clone.clone(),
    }
}

/// The repository `owner/name` if the caller may do `action` to it, having checked that
/// the caller's token carries `scope`. Missing and unreadable private repositories are the
/// same 404.
pub async fn repo_for(
    state: &AppState,
    caller: &ApiCaller,
    owner: &str,
    name: &str,
    action: Action,
    scope: &str,
) -> ApiResult<RepoView> {
    caller.need(scope)?;
    match state
        .forge
        .find_repo(caller.actor(), owner, name, action)
        .await?
    {
        RepoLookup::Found { repo, facts } => Ok(RepoView {
            repo,
            facts,
            actor: caller.actor(),
        }),
        RepoLookup::Hidden => Err(ApiError::not_found()),
        RepoLookup::Denied { denial, .. } => Err(ApiError::from_denial(denial)),
    }
}

/// What the view's actor may do to its repository, in Gitea's terms.
pub fn permission(view: &RepoView) -> ApiPermission {
    use hatchery_core::{Resource, authorize};
    let may = |a| authorize(view.actor, a, Resource::Repo(view.facts)).is_allowed();
    ApiPermission {
        admin: may(Action::Administer),
        push: may(Action::Write),
        pull: may(Action::Read),
    }
}

/// The routes Hatchery promises Gitea clients (method, path under `/api/v1`). A test
/// checks each is in the generated document, and that every documented route is routed.
pub fn expected_routes() -> &'static [(&'static str, &'static str)] {
    &[
        ("get", "/version"),
        ("get", "/user"),
        ("get", "/user/repos"),
        ("post", "/user/repos"),
        ("get", "/users/{username}"),
        ("get", "/users/{username}/repos"),
        ("get", "/users/{username}/tokens"),
        ("post", "/users/{username}/tokens"),
        ("delete", "/users/{username}/tokens/{token}"),
        ("get", "/user/keys"),
        ("post", "/user/keys"),
        ("get", "/user/keys/{id}"),
        ("delete", "/user/keys/{id}"),
        ("get", "/users/{username}/keys"),
        ("get", "/user/gpg_keys"),
        ("post", "/user/gpg_keys"),
        ("get", "/user/gpg_keys/{id}"),
        ("delete", "/user/gpg_keys/{id}"),
        ("get", "/users/{username}/gpg_keys"),
        ("get", "/repos/{owner}/{repo}/keys"),
        ("post", "/repos/{owner}/{repo}/keys"),
        ("get", "/repos/{owner}/{repo}/keys/{id}"),
        ("delete", "/repos/{owner}/{repo}/keys/{id}"),
        ("post", "/orgs"),
        ("get", "/orgs/{org}"),
        ("get", "/orgs/{org}/repos"),
        ("post", "/orgs/{org}/repos"),
        ("get", "/orgs/{org}/members"),
        ("get", "/orgs/{org}/teams"),
        ("get", "/repos/search"),
        ("post", "/repos/migrate"),
        ("get", "/repos/{owner}/{repo}"),
        ("patch", "/repos/{owner}/{repo}"),
        ("delete", "/repos/{owner}/{repo}"),
        ("get", "/repos/{owner}/{repo}/branches"),
        ("get", "/repos/{owner}/{repo}/branches/{branch}"),
        ("get", "/repos/{owner}/{repo}/tags"),
        ("get", "/repos/{owner}/{repo}/commits"),
        ("get", "/repos/{owner}/{repo}/git/commits/{sha}"),
        ("get", "/repos/{owner}/{repo}/contents"),
        ("get", "/repos/{owner}/{repo}/contents/{filepath}"),
        ("get", "/repos/{owner}/{repo}/raw/{filepath}"),
        ("get", "/repos/{owner}/{repo}/collaborators/{collaborator}"),
        ("put", "/repos/{owner}/{repo}/collaborators/{collaborator}"),
        (
            "delete",
            "/repos/{owner}/{repo}/collaborators/{collaborator}",
        ),
        ("get", "/repos/{owner}/{repo}/issues"),
        ("post", "/repos/{owner}/{repo}/issues"),
        ("get", "/repos/{owner}/{repo}/issues/{index}"),
        ("patch", "/repos/{owner}/{repo}/issues/{index}"),
        ("get", "/repos/{owner}/{repo}/issues/{index}/comments"),
        ("post", "/repos/{owner}/{repo}/issues/{index}/comments"),
        ("patch", "/repos/{owner}/{repo}/issues/comments/{id}"),
        ("delete", "/repos/{owner}/{repo}/issues/comments/{id}"),
        ("get", "/repos/{owner}/{repo}/labels"),
        ("post", "/repos/{owner}/{repo}/labels"),
        ("get", "/repos/{owner}/{repo}/issues/{index}/labels"),
        ("post", "/repos/{owner}/{repo}/issues/{index}/labels"),
        ("put", "/repos/{owner}/{repo}/issues/{index}/labels"),
        ("delete", "/repos/{owner}/{repo}/issues/{index}/labels/{id}"),
        ("get", "/repos/{owner}/{repo}/milestones"),
        ("post", "/repos/{owner}/{repo}/milestones"),
        ("get", "/repos/{owner}/{repo}/hooks"),
        ("post", "/repos/{owner}/{repo}/hooks"),
        ("get", "/repos/{owner}/{repo}/hooks/{id}"),
        ("patch", "/repos/{owner}/{repo}/hooks/{id}"),
        ("delete", "/repos/{owner}/{repo}/hooks/{id}"),
        ("post", "/repos/{owner}/{repo}/hooks/{id}/tests"),
        ("post", "/repos/{owner}/{repo}/statuses/{sha}"),
        ("get", "/repos/{owner}/{repo}/statuses/{sha}"),
        ("get", "/repos/{owner}/{repo}/commits/{ref}/statuses"),
        ("get", "/repos/{owner}/{repo}/commits/{ref}/status"),
        ("get", "/repos/{owner}/{repo}/branch_protections"),
        ("post", "/repos/{owner}/{repo}/branch_protections"),
        ("get", "/repos/{owner}/{repo}/branch_protections/{name}"),
        ("patch", "/repos/{owner}/{repo}/branch_protections/{name}"),
        ("delete", "/repos/{owner}/{repo}/branch_protections/{name}"),
        // releases
        ("get", "/repos/{owner}/{repo}/releases"),
        ("post", "/repos/{owner}/{repo}/releases"),
        ("get", "/repos/{owner}/{repo}/releases/latest"),
        ("get", "/repos/{owner}/{repo}/releases/tags/{tag}"),
        ("delete", "/repos/{owner}/{repo}/releases/tags/{tag}"),
        ("get", "/repos/{owner}/{repo}/releases/{id}"),
        ("patch", "/repos/{owner}/{repo}/releases/{id}"),
        ("delete", "/repos/{owner}/{repo}/releases/{id}"),
        ("get", "/repos/{owner}/{repo}/releases/{id}/assets"),
        ("post", "/repos/{owner}/{repo}/releases/{id}/assets"),
        (
            "get",
            "/repos/{owner}/{repo}/releases/{id}/assets/{attachment_id}",
        ),
        (
            "patch",
            "/repos/{owner}/{repo}/releases/{id}/assets/{attachment_id}",
        ),
        (
            "delete",
            "/repos/{owner}/{repo}/releases/{id}/assets/{attachment_id}",
        ),
        // pull requests
        ("get", "/repos/{owner}/{repo}/pulls"),
        ("post", "/repos/{owner}/{repo}/pulls"),
        ("get", "/repos/{owner}/{repo}/pulls/{index}"),
        ("patch", "/repos/{owner}/{repo}/pulls/{index}"),
        ("get", "/repos/{owner}/{repo}/pulls/{index}/commits"),
        ("get", "/repos/{owner}/{repo}/pulls/{index}/files"),
        ("get", "/repos/{owner}/{repo}/pulls/{index}/merge"),
        ("post", "/repos/{owner}/{repo}/pulls/{index}/merge"),
        ("post", "/repos/{owner}/{repo}/pulls/{index}/update"),
        // code review
        ("get", "/repos/{owner}/{repo}/pulls/{index}/reviews"),
        ("post", "/repos/{owner}/{repo}/pulls/{index}/reviews"),
        ("get", "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}"),
        ("post", "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}"),
        ("delete", "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}"),
        (
            "get",
            "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}/comments",
        ),
        (
            "post",
            "/repos/{owner}/{repo}/pulls/{index}/reviews/{id}/dismissals",
        ),
        (
            "post",
            "/repos/{owner}/{repo}/pulls/{index}/requested_reviewers",
        ),
        (
            "delete",
            "/repos/{owner}/{repo}/pulls/{index}/requested_reviewers",
        ),
        ("get", "/orgs/{org}/hooks"),
        ("post", "/orgs/{org}/hooks"),
        ("get", "/orgs/{org}/hooks/{id}"),
        ("patch", "/orgs/{org}/hooks/{id}"),
        ("delete", "/orgs/{org}/hooks/{id}"),
        ("get", "/orgs/{org}/incubator/programs"),
        ("get", "/orgs/{org}/incubator/programs/{program}"),
        ("get", "/orgs/{org}/incubator/programs/{program}/proposals"),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}",
        ),
        ("post", "/orgs/{org}/incubator/programs/{program}/proposals"),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}/withdraw",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}/close",
        ),
        ("get", "/orgs/{org}/incubator/programs/{program}/projects"),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}",
        ),
        ("get", "/orgs/{org}/incubator/programs/{program}/votes"),
        ("get", "/orgs/{org}/incubator/programs/{program}/votes/{id}"),
        // Forks.
        ("get", "/repos/{owner}/{repo}/forks"),
        ("post", "/repos/{owner}/{repo}/forks"),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/votes/{id}/ballots",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/export.json",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/podlings.xml",
        ),
        // Incubator decisions about a project.
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/votes",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations/{id}",
        ),
        (
            "patch",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations/{id}",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations/{id}/submit",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/graduations/{id}/decision",
        ),
        // A project's roster and repositories after acceptance.
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/roster",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/roster",
        ),
        (
            "patch",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/roster/{id}",
        ),
        (
            "delete",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/roster/{id}",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/repos",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/repos",
        ),
        (
            "delete",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/repos/{owner}/{repo}",
        ),
        ("post", "/orgs/{org}/incubator/programs"),
        ("patch", "/orgs/{org}/incubator/programs/{program}"),
        ("put", "/orgs/{org}/incubator/programs/{program}/template"),
        (
            "put",
            "/orgs/{org}/incubator/programs/{program}/report_template",
        ),
        (
            "patch",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}/comments",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}/comments",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}/discussion",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}/request_info",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/proposals/{number}/votes",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/decisions",
        ),
        (
            "get",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/checklist",
        ),
        (
            "put",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/checklist/{code}",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/checklist/evaluate",
        ),
        (
            "patch",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}/prefill",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}/submit",
        ),
        (
            "post",
            "/orgs/{org}/incubator/programs/{program}/projects/{slug}/reports/{id}/signoffs",
        ),
    ]
}
