//! Extractors of the REST API: the caller (with token scopes), and JSON bodies and query
//! strings whose rejections are answered in the API's error shape instead of plain text.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hatchery_core::Actor;
use hatchery_store::User;
use serde::de::DeserializeOwned;

use crate::api::error::{ApiError, ApiResult};
use crate::credentials::{self, AuthFailure, Caller};
use crate::pages::auth::ClientAddr;
use crate::state::AppState;

/// The authenticated caller of an API request. Wrong credentials are a 401 even on routes
/// that anonymous callers may use, so a typo in a token is never mistaken for "public only".
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<ApiCaller> {
        let addr = parts.extensions.get::<ClientAddr>().map(|a| a.0.clone());
        match credentials::authenticate(state, &parts.headers, addr.as_deref()).await {
            Ok(c) => Ok(ApiCaller(c)),
            Err(AuthFailure::Invalid) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid username, password or token",
            )),
            Err(AuthFailure::Throttled) => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed sign-in attempts; try again later",
            )),
            Err(AuthFailure::TokenRequired) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "two-factor authentication is enabled for this account: \
                 use an access token instead of the password",
            )),
            Err(AuthFailure::DirectoryDown) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the sign-in directory is unavailable; try again later or use an access token",
            )),
            Err(AuthFailure::Internal(e)) => Err(ApiError::internal(e)),
        }
    }
}

impl ApiCaller {
    pub fn actor(&self) -> Actor {
        self.0.actor
    }

    /// The signed-in user, or 401.
    pub fn user(&self) -> ApiResult<&User> {
        self.0.user.as_ref().ok_or_else(ApiError::unauthorized)
    }

    /// 403 unless the caller's token (if it is a token) carries `scope`.
    pub fn need(&self, scope: &str) -> ApiResult<()> {
        if self.0.token_allows(scope) {
            Ok(())
        } else {
            Err(ApiError::scope(
                scope,
                self.0.token_scopes.as_deref().unwrap_or_default(),
            ))
        }
    }

    /// The signed-in user, whose token carries `scope`.
    pub fn user_with(&self, scope: &str) -> ApiResult<&User> {
        let user = self.user()?;
        self.need(scope)?;
        Ok(user)
    }
}

/// `axum::Json` with rejections as API errors (422 for a body that does not parse).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<ApiJson<T>> {
        // Read as a value first, so that NUL bytes inside strings (valid JSON, refused by
        // PostgreSQL) are refused here with a clear message.
        match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => {
                if !crate::input::json_is_clean(&v) {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        crate::input::MESSAGE,
                    ));
                }
                serde_json::from_value(v).map(ApiJson).map_err(|e| {
                    ApiError::unprocessable(format!(
                        "Failed to deserialize the JSON body into the target type: {e}"
                    ))
                })
            }
            Err(JsonRejection::BytesRejection(r))
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "request body too large",
                ))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: application/json",
            )),
            Err(e) => Err(ApiError::unprocessable(e.body_text())),
        }
    }
}

/// `axum::extract::Query` with rejections as API errors (422).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<ApiQuery<T>> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::unprocessable(e.body_text()))
    }
}
