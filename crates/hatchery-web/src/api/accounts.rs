//! Users, their access tokens, and organizations with their members and teams, in Gitea's
//! shapes. Repositories of users and organizations are in [`crate::api::repos`].
//!
//! Scopes: user profiles need `read:user`; organizations `read:organization` to read and
//! `write:organization` to create. Token management needs no scope because a token cannot
//! do it at all: like Gitea, `/users/{username}/tokens` wants HTTP Basic with the account's
//! password, so a leaked token can never mint or revoke tokens.
//!
//! Where Hatchery differs from Gitea:
//! - Organization membership is public in Hatchery (its web pages list members to
//!   everyone), so `GET /orgs/{org}/members` lists every member to every caller instead of
//!   redirecting outsiders to the (here nonexistent) public-members list.
//! - Organizations are always public: `visibility` must be `public` (or absent) when
//!   creating one; `email`, `website` and `location` are accepted and ignored.
//! - A token may carry `all`, which is stored as every scope there is; unknown scope names
//!   are a 422 (Gitea: 400), and so is an empty list (Gitea: 400).
//! - A token named by a number is found by id first, then by name.

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_core::validate::{self, DESCRIPTION_MAX, DISPLAY_NAME_MAX};
use hatchery_core::{Action, Actor, Decision, Name, NameKind, OrgFacts, Resource, authorize};
use hatchery_service::tokens::{SCOPES, normalize_scopes};
use hatchery_store::{AccessToken, Account, Org, StoreError, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::types::{ApiOrg, ApiTeam, ApiUser, time};
use crate::api::urls;
use crate::credentials::Method;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(get_user))
        .routes(api_route!(list_tokens, create_token))
        .routes(api_route!(delete_token))
        .routes(api_route!(create_org))
        .routes(api_route!(get_org))
        .routes(api_route!(list_members))
        .routes(api_route!(list_teams))
}

/// Longest token name, as on the settings page's field.
const TOKEN_NAME_MAX: usize = 100;

/// `Ok` when the policy allows `action`, else the denial as an API error.
pub(crate) fn check(actor: Actor, action: Action, resource: Resource) -> ApiResult<()> {
    match authorize(actor, action, resource) {
        Decision::Allow => Ok(()),
        Decision::Deny(d) => Err(ApiError::from_denial(d)),
    }
}

/// Whether the actor sees the private parts of `user` (email, language): the user
/// themselves and site administrators, whoever may change the account's settings.
pub(crate) fn private_view(actor: Actor, user_id: i64) -> bool {
    authorize(actor, Action::EditSettings, Resource::User { id: user_id }).is_allowed()
}

/// The organization named `name` and the caller's relation to it; 404 when there is none.
pub(crate) async fn org_for(
    state: &AppState,
    caller: &ApiCaller,
    name: &str,
) -> ApiResult<(Org, OrgFacts)> {
    let org = state
        .store
        .org_by_name(name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let role = match caller.actor().user_id() {
        Some(uid) => state.store.org_role(org.id, uid).await?,
        None => None,
    };
    Ok((org, OrgFacts { role }))
}

// ---- users ----

/// Get a user. An organization's name gives the organization, shaped as a user (as Gitea
/// does).
#[utoipa::path(get, path = "/users/{username}", tag = "user", operation_id = "userGet",
    params(("username" = String, Path, description = "username of user to get")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiUser), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(username): Path<String>,
) -> ApiResult<Json<ApiUser>> {
    caller.need("read:user")?;
    let urls = urls(&state);
    match state.store.account_by_name(&username).await? {
        Some(Account::User(u)) => Ok(Json(ApiUser::of(
            &urls,
            &u,
            private_view(caller.actor(), u.id),
        ))),
        Some(Account::Org(o)) => Ok(Json(ApiUser::org(&urls, &o))),
        None => Err(ApiError::not_found()),
    }
}

// ---- access tokens ----

/// Like Gitea's `AccessToken`. `sha1` holds the secret only in the answer that created it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiAccessToken {
    pub id: i64,
    pub name: String,
    /// The secret: shown once, when the token is created; empty in lists.
    pub sha1: String,
    pub token_last_eight: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    /// `null` until the token is first used.
    pub last_used_at: Option<String>,
}

impl ApiAccessToken {
    fn of(t: &AccessToken, secret: &str) -> ApiAccessToken {
        ApiAccessToken {
            id: t.id,
            name: t.name.clone(),
            sha1: secret.to_owned(),
            token_last_eight: t.token_last_eight.clone(),
            scopes: t.scopes.clone(),
            created_at: time(t.created_at),
            last_used_at: t.last_used_at.map(time),
        }
    }
}

/// Like Gitea's `CreateAccessTokenOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateAccessTokenOption {
    pub name: String,
    /// Gitea's scope names (`read:repository`, `write:issue`, ...), or `all`. Entries may
    /// also be comma-separated lists.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// The user whose tokens `username` names, for a caller who signed in with a password and
/// may manage that user's settings (the user themselves or a site administrator).
async fn token_owner(state: &AppState, caller: &ApiCaller, username: &str) -> ApiResult<User> {
    match caller.0.method {
        Method::Password => {}
        Method::Token => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth required: access tokens cannot manage access tokens; use HTTP Basic authentication with the account's password",
            ));
        }
        Method::Anonymous => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth required: use HTTP Basic authentication with the account's password",
            ));
        }
    }
    let user = state
        .store
        .user_by_name(username)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(
        caller.actor(),
        Action::EditSettings,
        Resource::User { id: user.id },
    )?;
    Ok(user)
}

/// The scopes asked for, in canonical order; 422 for an unknown one or none at all.
fn parse_scopes(requested: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for scope in requested
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if scope == "all" {
            out.extend(SCOPES.iter().map(|s| (*s).to_owned()));
        } else if SCOPES.contains(&scope) {
            out.push(scope.to_owned());
        } else {
            return Err(ApiError::unprocessable(format!(
                "invalid access token scope {scope:?}; valid scopes are all, {}",
                SCOPES.join(", ")
            )));
        }
    }
    let out = normalize_scopes(&out);
    if out.is_empty() {
        return Err(ApiError::unprocessable("access token must have a scope"));
    }
    Ok(out)
}

/// List the authenticated user's access tokens (HTTP Basic with the password only).
#[utoipa::path(get, path = "/users/{username}/tokens", tag = "user",
    operation_id = "userGetTokens",
    params(("username" = String, Path, description = "username of user"), Paging),
    security(("BasicAuth" = [])),
    responses((status = 200, body = [ApiAccessToken], description = "AccessTokenList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiAccessToken>>)> {
    let user = token_owner(&state, &caller, &username).await?;
    let tokens = state.store.tokens_of_user(user.id).await?;
    let total = i64::try_from(tokens.len()).unwrap_or(i64::MAX);
    let page: Vec<ApiAccessToken> = paging
        .slice(tokens)
        .iter()
        .map(|t| ApiAccessToken::of(t, ""))
        .collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

/// Create an access token (HTTP Basic with the password only). The secret is in `sha1`,
/// in this answer only.
#[utoipa::path(post, path = "/users/{username}/tokens", tag = "user",
    operation_id = "userCreateToken",
    params(("username" = String, Path, description = "username of user")),
    request_body = CreateAccessTokenOption,
    security(("BasicAuth" = [])),
    responses((status = 201, body = ApiAccessToken), (status = 400, body = ApiErrorBody,
            description = "the user has a token of that name"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(username): Path<String>,
    ApiJson(form): ApiJson<CreateAccessTokenOption>,
) -> ApiResult<(StatusCode, Json<ApiAccessToken>)> {
    let user = token_owner(&state, &caller, &username).await?;
    let name = form.name.trim();
    if name.is_empty() {
        return Err(ApiError::unprocessable("name: required"));
    }
    if name.chars().count() > TOKEN_NAME_MAX {
        return Err(ApiError::unprocessable(format!(
            "name: at most {TOKEN_NAME_MAX} characters"
        )));
    }
    let scopes = parse_scopes(form.scopes.as_deref().unwrap_or_default())?;
    match state.forge.create_token(user.id, name, &scopes).await {
        Ok(new) => {
            tracing::info!(user = %user.name, token = %new.token.name, "access token created through the API");
            Ok((
                StatusCode::CREATED,
                Json(ApiAccessToken::of(&new.token, &new.secret)),
            ))
        }
        Err(StoreError::Conflict(_)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "access token name has been used already",
        )),
        Err(e) => Err(e.into()),
    }
}

/// Delete an access token, named by id or, failing that, by name (HTTP Basic with the
/// password only).
#[utoipa::path(delete, path = "/users/{username}/tokens/{token}", tag = "user",
    operation_id = "userDeleteAccessToken",
    params(("username" = String, Path, description = "username of user"),
        ("token" = String, Path, description = "token to be deleted, identified by ID and if not available by name")),
    security(("BasicAuth" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_token(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((username, token)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let user = token_owner(&state, &caller, &username).await?;
    let tokens = state.store.tokens_of_user(user.id).await?;
    let by_id = token
        .parse::<i64>()
        .ok()
        .and_then(|id| tokens.iter().find(|t| t.id == id));
    let found = by_id
        .or_else(|| tokens.iter().find(|t| t.name == token))
        .or_else(|| {
            // Names are unique regardless of case, as the store compares them.
            let lower = token.to_lowercase();
            tokens.iter().find(|t| t.name.to_lowercase() == lower)
        })
        .ok_or_else(ApiError::not_found)?;
    state.store.delete_token(user.id, found.id).await?;
    tracing::info!(user = %user.name, token = %found.name, "access token deleted through the API");
    Ok(StatusCode::NO_CONTENT)
}

// ---- organizations ----

/// Like Gitea's `CreateOrgOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrgOption {
    /// The organization's name.
    pub username: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Accepted and ignored.
    #[serde(default)]
    pub email: Option<String>,
    /// Accepted and ignored.
    #[serde(default)]
    pub website: Option<String>,
    /// Accepted and ignored.
    #[serde(default)]
    pub location: Option<String>,
    /// Only `public`: Hatchery's organizations are all public.
    #[serde(default)]
    pub visibility: Option<String>,
    /// Accepted and ignored.
    #[serde(default)]
    pub repo_admin_change_team_access: Option<bool>,
}

/// Create an organization, owned by the caller.
#[utoipa::path(post, path = "/orgs", tag = "organization", operation_id = "orgCreate",
    request_body = CreateOrgOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiOrg), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_org(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(form): ApiJson<CreateOrgOption>,
) -> ApiResult<(StatusCode, Json<ApiOrg>)> {
    let user = caller.user_with("write:organization")?;
    check(caller.actor(), Action::CreateOrg, Resource::Site)?;
    let name = Name::parse(NameKind::Account, &form.username)
        .map_err(|e| ApiError::unprocessable(format!("username: {e}")))?;
    let full_name = validate::text(form.full_name.as_deref().unwrap_or(""), DISPLAY_NAME_MAX)
        .map_err(|e| ApiError::unprocessable(format!("full_name: {e}")))?;
    let description = validate::text(form.description.as_deref().unwrap_or(""), DESCRIPTION_MAX)
        .map_err(|e| ApiError::unprocessable(format!("description: {e}")))?;
    match form.visibility.as_deref().map(str::trim) {
        None | Some("" | "public") => {}
        Some(other) => {
            return Err(ApiError::unprocessable(format!(
                "visibility {other:?} is not supported: organizations are public"
            )));
        }
    }
    match state
        .store
        .create_org(user.id, &name, &full_name, &description)
        .await
    {
        Ok(org) => {
            tracing::info!(org = %org.name, "organization created through the API");
            Ok((StatusCode::CREATED, Json(ApiOrg::of(&org))))
        }
        Err(StoreError::Conflict(_)) => Err(ApiError::unprocessable(format!(
            "user already exists [name: {}]",
            name.as_str()
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Get an organization.
#[utoipa::path(get, path = "/orgs/{org}", tag = "organization", operation_id = "orgGet",
    params(("org" = String, Path, description = "name of the organization to get")),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiOrg), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_org(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
) -> ApiResult<Json<ApiOrg>> {
    caller.need("read:organization")?;
    let (org, facts) = org_for(&state, &caller, &org).await?;
    check(caller.actor(), Action::ViewProfile, Resource::Org(facts))?;
    Ok(Json(ApiOrg::of(&org)))
}

/// List an organization's members. Membership is public in Hatchery: everyone sees them.
#[utoipa::path(get, path = "/orgs/{org}/members", tag = "organization",
    operation_id = "orgListMembers",
    params(("org" = String, Path, description = "name of the organization"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiUser], description = "UserList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiUser>>)> {
    caller.need("read:organization")?;
    let (org, facts) = org_for(&state, &caller, &org).await?;
    check(caller.actor(), Action::ViewProfile, Resource::Org(facts))?;
    let members = state.store.org_members(org.id).await?;
    let total = i64::try_from(members.len()).unwrap_or(i64::MAX);
    let urls = urls(&state);
    let actor = caller.actor();
    let page: Vec<ApiUser> = paging
        .slice(members)
        .iter()
        .map(|m| ApiUser::of(&urls, &m.user, private_view(actor, m.user.id)))
        .collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

/// List an organization's teams; for its members (and site administrators) only.
#[utoipa::path(get, path = "/orgs/{org}/teams", tag = "organization",
    operation_id = "orgListTeams",
    params(("org" = String, Path, description = "name of the organization"), Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiTeam], description = "TeamList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn list_teams(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(org): Path<String>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiTeam>>)> {
    caller.need("read:organization")?;
    let (org, facts) = org_for(&state, &caller, &org).await?;
    check(caller.actor(), Action::ViewTeams, Resource::Org(facts))?;
    let teams = state.store.teams_of_org(org.id).await?;
    let total = i64::try_from(teams.len()).unwrap_or(i64::MAX);
    let page: Vec<ApiTeam> = paging
        .slice(teams)
        .iter()
        .map(|t| ApiTeam::of(t, Some(&org)))
        .collect();
    Ok((paging.headers(&uri, total), Json(page)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_checked_and_all_expands() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            parse_scopes(&s(&["write:issue", "read:repository"])).unwrap(),
            s(&["read:repository", "write:issue"])
        );
        assert_eq!(
            parse_scopes(&s(&["read:user,write:user"])).unwrap(),
            s(&["read:user", "write:user"])
        );
        assert_eq!(parse_scopes(&s(&["all"])).unwrap().len(), SCOPES.len());
        let bad = parse_scopes(&s(&["repo"])).unwrap_err();
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.message.contains("\"repo\""), "{}", bad.message);
        assert_eq!(
            parse_scopes(&[]).unwrap_err().status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
}
