//! `/api/swagger`: the OpenAPI document as a readable page, rendered on the server from the
//! generated document (no scripts, nothing loaded from elsewhere).

use axum::http::HeaderMap;
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use crate::assets::asset_url;
use crate::i18n::Lang;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// The last segment of a `$ref`, or the schema's type.
fn schema_name(v: &Value) -> String {
    let v = v
        .get("content")
        .and_then(|c| c.get("application/json"))
        .and_then(|c| c.get("schema"))
        .unwrap_or(v);
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    match v.get("type").and_then(Value::as_str) {
        Some("array") => format!("[{}]", v.get("items").map(schema_name).unwrap_or_default()),
        Some(t) => t.to_owned(),
        None => String::new(),
    }
}

pub fn page(doc: &utoipa::openapi::OpenApi, headers: &HeaderMap) -> Markup {
    let lang = Lang::of_request(headers);
    let value = serde_json::to_value(doc).unwrap_or(Value::Null);
    let empty = serde_json::Map::new();
    let paths = value
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (lang.t("api.docs.title")) }
                link rel="stylesheet" href=(asset_url("app.css"));
            }
            body {
                main.container {
                    h1 { (lang.t("api.docs.title")) }
                    p { (lang.t("api.docs.intro")) " " code { "/api/v1" } }
                    p { a href="/swagger.v1.json" id="openapi-json" { (lang.t("api.docs.download")) } }
                    @for (path, item) in paths {
                        @for method in METHODS {
                            @if let Some(op) = item.get(method) {
                                section.card.api-op id=(text(op, "operationId")) {
                                    h2 { code { (method.to_uppercase()) " /api/v1" (path) } }
                                    @let summary = text(op, "summary");
                                    @if !summary.is_empty() { p { (summary) } }
                                    @let description = text(op, "description");
                                    @if !description.is_empty() { p.muted { (description) } }
                                    @if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                                        h3 { (lang.t("api.docs.parameters")) }
                                        ul {
                                            @for p in params {
                                                li {
                                                    code { (text(p, "name")) } " (" (text(p, "in")) ") "
                                                    @if p.get("required").and_then(Value::as_bool) == Some(true) { strong { "*" } " " }
                                                    span.muted { (text(p, "description")) }
                                                }
                                            }
                                        }
                                    }
                                    @if let Some(body) = op.get("requestBody") {
                                        h3 { (lang.t("api.docs.body")) }
                                        p { code { (schema_name(body)) } }
                                    }
                                    @if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                                        h3 { (lang.t("api.docs.responses")) }
                                        ul {
                                            @for (status, r) in responses {
                                                li { code { (status) } " " (text(r, "description")) " " code { (schema_name(r)) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
