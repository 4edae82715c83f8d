//! The program's projects for other tools: `projects.json`, and `podlings.xml` in the shape
//! of Apache's, computed on every request like the status pages.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::{fail, load, now};
use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::state::AppState;

fn no_cache(mut r: Response, content_type: &'static str) -> Response {
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
