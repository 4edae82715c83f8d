//! `GET /api/healthz` in Gitea's shape, for load balancers and monitoring.

use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use time::format_description::well_known::Rfc3339;

pub async fn healthz(State(state): State<AppState>) -> Response {
    let now = time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let db = tokio::time::timeout(std::time::Duration::from_secs(5), state.store.ping()).await;
    let (status, db_check) = match db {
        Ok(Ok(())) => (StatusCode::OK, json!({"status": "pass", "time": now})),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database ping failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "fail", "time": now, "output": "database ping failed"}),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "fail", "time": now, "output": "database ping timed out"}),
        ),
    };
    let overall = if status == StatusCode::OK {
        "pass"
    } else {
        "fail"
    };
    let body = json!({
        "status": overall,
        "description": "Hatchery",
        "checks": { "database:ping": [db_check] },
    });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/health+json"),
    );
    response
}
