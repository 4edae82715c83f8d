//! Calling the REST API of a [`Server`](crate::gitsupport::Server) over real HTTP, the way
//! a Gitea client does. Used as `mod apisupport;` next to `mod gitsupport;`.
#![allow(dead_code)]

use crate::gitsupport::Server;
use base64::Engine;
use serde_json::Value;

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    None,
    /// `Authorization: token <t>`
    Token(&'a str),
    /// `Authorization: Bearer <t>`
    Bearer(&'a str),
    /// HTTP Basic with a password or a token.
    Basic(&'a str, &'a str),
}

#[derive(Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    /// The body parsed as JSON (`Null` when it is not JSON).
    pub json: Value,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Sends `method path` (relative to the server, e.g. `/api/v1/user`) with an optional JSON
/// body.
pub async fn call(
    server: &Server,
    method: &str,
    path: &str,
    auth: Auth<'_>,
    body: Option<Value>,
) -> ApiResponse {
    let client = reqwest::Client::new();
    let url = format!("http://{}{path}", server.addr);
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = client.request(method, url);
    req = match auth {
        Auth::None => req,
        Auth::Token(t) => req.header("authorization", format!("token {t}")),
        Auth::Bearer(t) => req.header("authorization", format!("Bearer {t}")),
        Auth::Basic(u, p) => req.header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            ),
        ),
    };
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    ApiResponse {
        status,
        headers,
        text,
        json,
    }
}

pub async fn get(server: &Server, path: &str, auth: Auth<'_>) -> ApiResponse {
    call(server, "GET", path, auth, None).await
}

/// A new access token of `user_id` with `scopes`.
pub async fn token(server: &Server, user_id: i64, name: &str, scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
    server
        .state
        .forge
        .create_token(user_id, name, &scopes)
        .await
        .expect("create token")
        .secret
}
