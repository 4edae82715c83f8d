//! Errors of the REST API in Gitea's shape: `{"message": "...", "url": "..."}` with the
//! status a Gitea client expects. A 5xx is logged with detail and answered without it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::Denial;
use hatchery_service::ServiceError;
use hatchery_service::issues::IssueError;
use hatchery_store::{ConflictField, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// Where the error body points for documentation, as Gitea's does.
pub const DOCS_URL: &str = "/api/swagger";

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Every problem, when there is more than one to fix (a program template's).
    pub errors: Vec<String>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    pub message: String,
    pub url: String,
    /// Every problem found, when the input has several (a program template's validation);
    /// absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// 422 listing every problem of the input.
    pub fn unprocessable_all(message: impl Into<String>, errors: Vec<String>) -> ApiError {
        ApiError {
            errors,
            ..ApiError::unprocessable(message)
        }
    }

    /// Missing, or private and not readable by the caller: the two look the same.
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "The target couldn't be found.")
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "authentication required")
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    /// A token without the scope the route needs.
    pub fn scope(required: &str, held: &[String]) -> ApiError {
        ApiError::forbidden(format!(
            "token does not have at least one of required scope(s), required=[{required}], token scope={}",
            held.join(",")
        ))
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "API request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }

    pub fn from_denial(denial: Denial) -> ApiError {
        match denial {
            Denial::SignInRequired => ApiError::unauthorized(),
            Denial::Forbidden => ApiError::forbidden("you do not have permission to do this"),
            Denial::ReadOnly => ApiError::forbidden("the repository is read-only"),
            Denial::NotFound => ApiError::not_found(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ApiErrorBody {
                message: self.message,
                url: DOCS_URL.to_owned(),
                errors: self.errors,
            }),
        )
            .into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(ConflictField::Name) => {
                ApiError::conflict("the name is already taken")
            }
            StoreError::Conflict(ConflictField::Email) => {
                ApiError::conflict("the email address is already used")
            }
            StoreError::Conflict(ConflictField::Key) => ApiError::conflict(
                "this key is already registered (keys are unique per account, and an account's key cannot be a deploy key)",
            ),
            StoreError::LastOwner => {
                ApiError::unprocessable("an organization must keep at least one owner")
            }
            StoreError::Stale => ApiError::conflict("changed since it was read"),
            StoreError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "service unavailable")
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::Store(s) => s.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<IssueError> for ApiError {
    fn from(e: IssueError) -> ApiError {
        match e {
            IssueError::Field { field, error } => {
                ApiError::unprocessable(format!("{field}: {error}"))
            }
            IssueError::Unknown(what) => {
                ApiError::unprocessable(format!("{what} is not valid for this repository"))
            }
            IssueError::Denied(d) => ApiError::from_denial(d),
            IssueError::NotFound => ApiError::not_found(),
            IssueError::Stale => ApiError::conflict("changed since it was read"),
            IssueError::Service(s) => s.into(),
        }
    }
}
