//! The web surface's error type. A handler returns `Result<_, WebError>`; the error
//! becomes a status plus an [`ErrorPage`] marker, and the `render_errors` middleware turns
//! the marker into a full page in the visitor's language. Internals are logged, never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_core::Denial;
use hatchery_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Redirects to the sign-in page, coming back to `next` afterwards.
    #[error("sign in required")]
    SignInRequired { next: String },
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("invalid CSRF token")]
    Csrf,
    #[error("too many requests")]
    TooManyRequests,
    /// An expensive page asked for too often from one address (`rate_limit.*`).
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

/// Put on error responses so the page renderer knows what to say.
#[derive(Debug, Clone, Copy)]
pub struct ErrorPage {
    pub title_key: &'static str,
    pub message_key: &'static str,
}

impl WebError {
    pub fn internal(e: impl std::fmt::Display) -> WebError {
        WebError::Internal(e.to_string())
    }

    /// Maps a policy denial to the answer a visitor should see. `path` is where to come
    /// back after signing in.
    pub fn from_denial(denial: Denial, path: &str) -> WebError {
        match denial {
            Denial::SignInRequired => WebError::SignInRequired {
                next: path.to_owned(),
            },
            Denial::Forbidden | Denial::ReadOnly => WebError::Forbidden,
            Denial::NotFound => WebError::NotFound,
        }
    }

    fn parts(&self) -> (StatusCode, ErrorPage) {
        let page = |title_key, message_key| ErrorPage {
            title_key,
            message_key,
        };
        match self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                page("error.404.title", "error.404.message"),
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                page("error.403.title", "error.403.message"),
            ),
            WebError::SignInRequired { .. } => (
                StatusCode::UNAUTHORIZED,
                page("error.403.title", "error.signin_required"),
            ),
            WebError::BadRequest(key) => (StatusCode::BAD_REQUEST, page("error.400.title", key)),
            WebError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                page("error.413.title", "error.413.message"),
            ),
            WebError::Csrf => (StatusCode::FORBIDDEN, page("error.403.title", "error.csrf")),
            WebError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                page("error.429.title", "error.429.message"),
            ),
            WebError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                page("error.429.title", "error.429.expensive"),
            ),
            WebError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                page("error.503.title", "error.503.message"),
            ),
            WebError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                page("error.500.title", "error.500.message"),
            ),
        }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        match e {
            StoreError::NotFound => WebError::NotFound,
            StoreError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                WebError::Unavailable
            }
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<hatchery_service::ServiceError> for WebError {
    fn from(e: hatchery_service::ServiceError) -> WebError {
        match e {
            hatchery_service::ServiceError::Store(e) => e.into(),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<hatchery_service::password::HashError> for WebError {
    fn from(e: hatchery_service::password::HashError) -> WebError {
        WebError::Internal(e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::SignInRequired { next } = &self {
            return Redirect::to(&crate::pages::auth::login_url(next)).into_response();
        }
        if let WebError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let (status, page) = self.parts();
        let mut response = status.into_response();
        response.extensions_mut().insert(page);
        if let WebError::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        response
    }
}

pub type WebResult<T> = Result<T, WebError>;
