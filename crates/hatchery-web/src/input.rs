//! Input that no handler may ever see: NUL bytes (PostgreSQL refuses them in text, SQLite's
//! full-text search chokes on them, and no name, path or sentence needs one). Refused at the
//! edge with a 400 that says why, for the path, the query string and Basic credentials here,
//! and for form and JSON bodies by the CSRF check and [`crate::api::extract::ApiJson`],
//! which read those bodies anyway.
//!
//! Bytes that are not UTF-8 are let through on purpose: the query and form extractors decode
//! them lossily (U+FFFD, which every database stores), and a path that names no ref or file
//! is a 404 like any other missing thing, so `?page=%FF` is page 1 and `/commit/%FF` is
//! "no such commit", as people expect from other forges.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// What a person reads when their request held a NUL byte.
pub const MESSAGE: &str = "The request contains a NUL byte, which is not accepted anywhere.";

/// Percent-decodes (also `+`, as forms do) and tells whether the result is free of NULs.
fn decoded_is_clean(raw: &[u8]) -> bool {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%'
            && let Some(hex) = raw.get(i + 1..i + 3)
            && let Ok(s) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(s, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    !out.contains(&0)
}

/// A query string or `application/x-www-form-urlencoded` body, checked pair by pair.
/// `next` is exempt: it is never stored, only ever read through `safe_next`, which turns
/// anything odd into the default target, so a sign-in with a mangled `next` still works.
pub fn form_is_clean(raw: &[u8]) -> bool {
    raw.split(|b| *b == b'&')
        .filter(|pair| !pair.starts_with(b"next="))
        .all(decoded_is_clean)
}

/// A JSON body: no string (nor key) holds a NUL. Bodies that do not parse are left to the
/// extractor, which explains what is wrong with them.
pub fn json_is_clean(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => !s.contains('\0'),
        serde_json::Value::Array(a) => a.iter().all(json_is_clean),
        serde_json::Value::Object(o) => {
            o.iter().all(|(k, v)| !k.contains('\0') && json_is_clean(v))
        }
        _ => true,
    }
}

fn basic_is_clean(req: &Request) -> bool {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return true;
    };
    let Some((scheme, rest)) = value.trim().split_once(' ') else {
        return true;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return true;
    }
    match base64::engine::general_purpose::STANDARD.decode(rest.trim()) {
        Ok(decoded) => !decoded.contains(&0),
        // Unreadable credentials are refused with a 401 by the credentials check.
        Err(_) => true,
    }
}

/// The answer to refused input: JSON in the API's error shape under `/api/`, text elsewhere.
pub fn refusal(path: &str) -> Response {
    if path.starts_with("/api/") {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "message": MESSAGE,
                "url": crate::api::error::DOCS_URL,
            })),
        )
            .into_response()
    } else {
        (StatusCode::BAD_REQUEST, MESSAGE).into_response()
    }
}

/// Middleware: refuses requests whose path, query or Basic credentials hold a NUL byte.
pub async fn refuse_invalid(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let clean = decoded_is_clean(uri.path().as_bytes())
        && uri.query().is_none_or(|q| form_is_clean(q.as_bytes()))
        && basic_is_clean(&req);
    if !clean {
        return refusal(uri.path());
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_after_decoding_and_broken_utf8_is_left_alone() {
        assert!(decoded_is_clean(b"/a/b%20c/%E4%BD%A0"));
        assert!(!decoded_is_clean(b"/a%00b"));
        assert!(decoded_is_clean(b"/a%ffb"));
        assert!(
            decoded_is_clean(b"/100%"),
            "a lone % is left for the router"
        );
        assert!(form_is_clean(b"q=a+b&page=2"));
        assert!(!form_is_clean(b"q=a%00b"));
        assert!(!form_is_clean(b"a%00=1"));
        assert!(form_is_clean(b"login=x&next=%2F%00x"));
        assert!(json_is_clean(
            &serde_json::json!({"title": "x", "labels": [1, "y"]})
        ));
        assert!(!json_is_clean(&serde_json::json!({"body": "a\u{0}b"})));
        assert!(!json_is_clean(&serde_json::json!({"x": [{"k\u{0}": 1}]})));
    }
}
