//! OpenPGP (GPG) keys in Gitea's shapes: the caller's keys (`/user/gpg_keys`) and anyone's
//! public keys (`/users/{username}/gpg_keys`). Release signatures (`.asc`, `.sig`) are
//! verified against them.
//!
//! Scopes: `read:user` / `write:user`, as for SSH keys.
//!
//! Where Hatchery differs from Gitea:
//! - A key whose fingerprint (or a subkey's) is registered already, to any account, is a
//!   409 (Gitea: 422); a key that is not one armored public key, a secret key, a key
//!   without a self-certified user id, a revoked or an expired key is a 422 with the reason.
//! - A key need not carry the account's email address, so `armored_signature` (Gitea's
//!   proof of a key whose addresses are not the account's) is accepted and ignored; an
//!   email is `verified` when it is the account's address, and a key when one of its
//!   emails is. The account's address is private, so to anyone but its owner (and site
//!   administrators) `verified` is always false.
//! - `public_key` is the key as kept: armored, with its own valid self-signatures only
//!   (third-party certifications and photo ids dropped); empty for subkeys.
//! - `expires_at` is absent for a key that does not expire (Gitea sends the zero time).
//! - Extra fields: `fingerprint` and `user_ids` (the self-certified user ids, the primary
//!   one first).

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use hatchery_core::gpg::email_of;
use hatchery_service::gpg_keys::GpgKeyRefusal;
use hatchery_store::{Account, GpgKey, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::accounts::private_view;
use crate::api::error::{ApiError, ApiErrorBody, ApiResult};
use crate::api::extract::{ApiCaller, ApiJson, ApiQuery};
use crate::api::paging::Paging;
use crate::api::path_id;
use crate::api::route::ApiRoutes;
use crate::api::types::time;
use crate::api_route;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(list_my_gpg_keys, create_my_gpg_key))
        .routes(api_route!(get_my_gpg_key, delete_my_gpg_key))
        .routes(api_route!(list_user_gpg_keys))
}

/// Like Gitea's `GPGKeyEmail`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiGpgKeyEmail {
    pub email: String,
    /// The account's own address.
    pub verified: bool,
}

/// Like Gitea's `GPGKey`: a primary key with its subkeys, or a subkey.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiGpgKey {
    pub id: i64,
    /// A subkey: its primary key's `key_id`; empty for a primary key.
    pub primary_key_id: String,
    /// The 64-bit key id, 16 upper-case hex digits.
    pub key_id: String,
    /// The key as kept, armored; empty for subkeys.
    pub public_key: String,
    /// The addresses of the key's user ids.
    pub emails: Vec<ApiGpgKeyEmail>,
    #[schema(no_recursion)]
    pub subkeys: Vec<ApiGpgKey>,
    pub can_sign: bool,
    pub can_encrypt_comms: bool,
    pub can_encrypt_storage: bool,
    pub can_certify: bool,
    /// One of its emails is the account's address.
    pub verified: bool,
    /// When the key was made (its own time, not when it was added).
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Hatchery: the full fingerprint, upper-case hex.
    pub fingerprint: String,
    /// Hatchery: the self-certified user ids, the primary one first; empty for subkeys.
    pub user_ids: Vec<String>,
}

/// Like Gitea's `CreateGPGKeyOption`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateGpgKeyOption {
    /// An armored public key (`gpg --armor --export KEYID`).
    pub armored_public_key: String,
    /// Accepted and ignored (see the module notes).
    #[serde(default)]
    pub armored_signature: Option<String>,
}

impl From<GpgKeyRefusal> for ApiError {
    fn from(e: GpgKeyRefusal) -> ApiError {
        match e {
            GpgKeyRefusal::Key(k) => ApiError::unprocessable(format!("armored_public_key: {k}")),
            GpgKeyRefusal::Taken => ApiError::conflict(
                "this key (or one of its subkeys) is already registered; a key belongs to one account",
            ),
            GpgKeyRefusal::Forbidden => ApiError::forbidden("you may not manage these keys"),
            GpgKeyRefusal::NotFound => ApiError::not_found(),
            GpgKeyRefusal::Service(s) => s.into(),
        }
    }
}

/// `account_email`: the owner's address, when the caller may see it.
fn gpg_key_json(k: &GpgKey, account_email: Option<&str>, primary_key_id: &str) -> ApiGpgKey {
    let emails: Vec<ApiGpgKeyEmail> = k
        .user_ids
        .iter()
        .filter_map(|u| email_of(u))
        .map(|email| ApiGpgKeyEmail {
            email: email.to_owned(),
            verified: account_email.is_some_and(|a| email.eq_ignore_ascii_case(a)),
        })
        .collect();
    ApiGpgKey {
        id: k.id,
        primary_key_id: primary_key_id.to_owned(),
        key_id: k.key_id.clone(),
        public_key: k.public_key.clone(),
        verified: emails.iter().any(|e| e.verified),
        emails,
        subkeys: k
            .subkeys
            .iter()
            .map(|s| gpg_key_json(s, account_email, &k.key_id))
            .collect(),
        can_sign: k.usage.sign,
        can_encrypt_comms: k.usage.encrypt_comms,
        can_encrypt_storage: k.usage.encrypt_storage,
        can_certify: k.usage.certify,
        created_at: time(k.key_created_at),
        expires_at: k.expires_at.map(time),
        fingerprint: k.fingerprint.clone(),
        user_ids: k.user_ids.clone(),
    }
}

async fn key_list(
    state: &AppState,
    caller: &ApiCaller,
    user: &User,
    uri: &axum::http::Uri,
    paging: &Paging,
) -> ApiResult<(HeaderMap, Json<Vec<ApiGpgKey>>)> {
    let keys = state.store.gpg_keys_of_user(user.id).await?;
    let email = private_view(caller.actor(), user.id).then_some(user.email.as_str());
    let total = i64::try_from(keys.len()).unwrap_or(i64::MAX);
    let page = paging
        .slice(keys)
        .iter()
        .map(|k| gpg_key_json(k, email, ""))
        .collect();
    Ok((paging.headers(uri, total), Json(page)))
}

/// List the authenticated user's GPG keys.
#[utoipa::path(get, path = "/user/gpg_keys", tag = "user", operation_id = "userCurrentListGPGKeys",
    params(Paging),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiGpgKey], description = "GPGKeyList; `X-Total-Count` and `Link` headers"),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn list_my_gpg_keys(
    State(state): State<AppState>,
    caller: ApiCaller,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiGpgKey>>)> {
    let user = caller.user()?.clone();
    caller.need("read:user")?;
    key_list(&state, &caller, &user, &uri, &paging).await
}

/// Add a GPG key to the authenticated user's account.
#[utoipa::path(post, path = "/user/gpg_keys", tag = "user", operation_id = "userCurrentPostGPGKey",
    request_body = CreateGpgKeyOption,
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 201, body = ApiGpgKey), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody, description = "the key or one of its subkeys is registered already"),
        (status = 422, body = ApiErrorBody, description = "not one public key, a secret key, revoked or expired")))]
pub async fn create_my_gpg_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(form): ApiJson<CreateGpgKeyOption>,
) -> ApiResult<(StatusCode, Json<ApiGpgKey>)> {
    let user = caller.user()?.clone();
    caller.need("write:user")?;
    let key = state
        .forge
        .add_gpg_key(caller.actor(), user.id, &form.armored_public_key)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(gpg_key_json(&key, Some(&user.email), "")),
    ))
}

async fn my_gpg_key(state: &AppState, caller: &ApiCaller, id: &str) -> ApiResult<GpgKey> {
    let user_id = caller.user()?.id;
    let id = path_id(id)?;
    state
        .store
        .gpg_key(id)
        .await?
        .filter(|k| k.user_id == user_id)
        .ok_or_else(ApiError::not_found)
}

/// Get one of the authenticated user's GPG keys.
#[utoipa::path(get, path = "/user/gpg_keys/{id}", tag = "user", operation_id = "userCurrentGetGPGKey",
    params(("id" = i64, Path, description = "id of key to get")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiGpgKey), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn get_my_gpg_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiGpgKey>> {
    caller.need("read:user")?;
    let key = my_gpg_key(&state, &caller, &id).await?;
    Ok(Json(gpg_key_json(&key, Some(&caller.user()?.email), "")))
}

/// Remove one of the authenticated user's GPG keys.
#[utoipa::path(delete, path = "/user/gpg_keys/{id}", tag = "user", operation_id = "userCurrentDeleteGPGKey",
    params(("id" = i64, Path, description = "id of key to delete")),
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete_my_gpg_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.need("write:user")?;
    let key = my_gpg_key(&state, &caller, &id).await?;
    state
        .forge
        .delete_gpg_key(caller.actor(), key.user_id, key.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a user's GPG keys (public, as their SSH keys are).
#[utoipa::path(get, path = "/users/{username}/gpg_keys", tag = "user", operation_id = "userListGPGKeys",
    params(("username" = String, Path, description = "username of user"), Paging),
    security((), ("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = [ApiGpgKey], description = "GPGKeyList; `X-Total-Count` and `Link` headers"),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn list_user_gpg_keys(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<(HeaderMap, Json<Vec<ApiGpgKey>>)> {
    caller.need("read:user")?;
    let Some(Account::User(user)) = state.store.account_by_name(&username).await? else {
        return Err(ApiError::not_found());
    };
    key_list(&state, &caller, &user, &uri, &paging).await
}
