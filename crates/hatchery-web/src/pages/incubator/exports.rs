//! The program's projects for other tools: `projects.json` (its shape described by the
//! JSON Schema in `web/schemas/incubator-export.schema.json`, served by the API at
//! `/api/v1/incubator/export.schema.json`), `projects.csv` for spreadsheets, and
//! `podlings.xml` in the shape of Apache's, computed on every request like the status
//! pages.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use hatchery_api_types::Urls;
use serde_json::Value;

use super::{fail, load, now};
use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::state::AppState;

/// The JSON Schema of the JSON export.
pub const EXPORT_SCHEMA: &str =
    include_str!("../../../../../web/schemas/incubator-export.schema.json");

/// Where the JSON export's schema is served.
pub fn schema_url(urls: &Urls) -> String {
    urls.api("incubator/export.schema.json")
}

/// The JSON export with its `$schema`.
pub fn with_schema(mut doc: Value, urls: &Urls) -> Value {
    if let Value::Object(map) = &mut doc {
        map.insert("$schema".into(), Value::String(schema_url(urls)));
    }
    doc
}

pub fn no_cache(mut r: Response, content_type: &'static str) -> Response {
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub async fn json(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let value = state
        .forge
        .export_json(ctx.actor(), &l.program, now())
        .await
        .map_err(|e| fail(&ctx, e))?;
    let value = with_schema(value, &crate::api::urls(&state));
    let body = serde_json::to_string_pretty(&value).map_err(crate::error::WebError::internal)?;
    Ok(no_cache(body.into_response(), "application/json"))
}

pub async fn podlings_xml(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let xml = state
        .forge
        .export_podlings_xml(&l.program, now())
        .await
        .map_err(|e| fail(&ctx, e))?;
    Ok(no_cache(
        xml.into_response(),
        "application/xml; charset=utf-8",
    ))
}

pub async fn csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let text = state
        .forge
        .export_csv(ctx.actor(), &l.program, now())
        .await
        .map_err(|e| fail(&ctx, e))?;
    Ok(csv_response(text, &l.program.slug))
}

/// A CSV export to save as `<program>.csv`.
pub fn csv_response(text: String, program: &str) -> Response {
    let mut r = no_cache(text.into_response(), "text/csv; charset=utf-8");
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{program}.csv\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
