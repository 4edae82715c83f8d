//! `GET /version` and `GET /user`.

use crate::api::route::ApiRoutes;
use crate::api_route;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::error::{ApiErrorBody, ApiResult};
use crate::api::extract::ApiCaller;
use crate::api::types::ApiUser;
use crate::api::urls;
use crate::state::AppState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new()
        .routes(api_route!(version))
        .routes(api_route!(current_user))
}

/// Like Gitea's `ServerVersion`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServerVersion {
    /// The Gitea API level Hatchery implements, then Hatchery's own version:
    /// `1.22.0+hatchery-0.1.0`. Clients that compare versions to enable features
    /// (Gitea's Go SDK, tea) see the API level they can rely on.
    pub version: String,
}

/// The Gitea release whose API this one follows.
pub const GITEA_API_LEVEL: &str = "1.22.0";

/// Returns the version of the server.
#[utoipa::path(get, path = "/version", tag = "miscellaneous", operation_id = "getVersion",
    responses((status = 200, body = ServerVersion)))]
pub async fn version() -> Json<ServerVersion> {
    Json(ServerVersion {
        version: format!("{GITEA_API_LEVEL}+hatchery-{}", env!("CARGO_PKG_VERSION")),
    })
}

/// Get the authenticated user.
#[utoipa::path(get, path = "/user", tag = "user", operation_id = "userGetCurrent",
    security(("BasicAuth" = []), ("AuthorizationHeaderToken" = []), ("Bearer" = [])),
    responses((status = 200, body = ApiUser), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody)))]
pub async fn current_user(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<ApiUser>> {
    let user = caller.user_with("read:user")?;
    Ok(Json(ApiUser::of(&urls(&state), user, true)))
}
