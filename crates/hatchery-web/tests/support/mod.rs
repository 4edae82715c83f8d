//! A small test client over the real router: a cookie jar, CSRF tokens filled in the way
//! a browser's form would, and one app per database backend.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use hatchery_store::testing::{TestStore, stores};
use hatchery_web::{AppState, WebConfig};
use std::collections::BTreeMap;
use std::sync::Arc;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub router: Router,
    pub store: Arc<TestStore>,
    /// Holds the repositories of this app; removed when the last client is dropped.
    pub repos_dir: Arc<tempfile::TempDir>,
    /// Holds the release asset files of this app.
    pub releases_dir: Arc<tempfile::TempDir>,
    pub cfg: WebConfig,
    /// The state behind the router (jobs board, rate limiter, ...).
    pub state: AppState,
    jar: BTreeMap<String, String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in body ({}):\n{}",
            self.status,
            self.body
        );
    }
}

impl TestApp {
    /// One app per backend (SQLite always, PostgreSQL when configured).
    pub async fn all() -> Vec<TestApp> {
        Self::all_with(|_| {}).await
    }

    pub async fn all_with(configure: impl Fn(&mut WebConfig)) -> Vec<TestApp> {
        let mut apps = vec![];
        for store in stores().await {
            let repos_dir = tempfile::tempdir().expect("temporary directory");
            let mut cfg = WebConfig::for_tests();
            cfg.repositories_dir = repos_dir.path().to_path_buf();
            let releases_dir = tempfile::tempdir().expect("temporary directory");
            cfg.releases_dir = releases_dir.path().to_path_buf();
            configure(&mut cfg);
            let state = AppState::new(store.store().clone(), cfg.clone());
            apps.push(TestApp {
                router: hatchery_web::router(state.clone()),
                store: Arc::new(store),
                repos_dir: Arc::new(repos_dir),
                releases_dir: Arc::new(releases_dir),
                cfg,
                state,
                jar: BTreeMap::new(),
            });
        }
        apps
    }

    pub fn label(&self) -> &str {
        self.store.label()
    }

    /// Another browser on the same site: same server, empty cookie jar.
    pub fn new_client(&self) -> TestApp {
        TestApp {
            router: self.router.clone(),
            store: self.store.clone(),
            repos_dir: self.repos_dir.clone(),
            releases_dir: self.releases_dir.clone(),
            cfg: self.cfg.clone(),
            state: self.state.clone(),
            jar: BTreeMap::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&String> {
        self.jar.get(name)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.jar.insert(name.to_owned(), value.to_owned());
    }

    pub fn clear_cookies(&mut self) {
        self.jar.clear();
    }

    pub async fn send(&mut self, mut req: Request<Body>) -> Resp {
        if !self.jar.is_empty() && !req.headers().contains_key(header::COOKIE) {
            let cookie = self
                .jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req.headers_mut()
                .insert(header::COOKIE, cookie.parse().expect("cookie header"));
        }
        let response = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        for raw in headers.get_all(header::SET_COOKIE) {
            let raw = raw.to_str().expect("ascii cookie");
            let first = raw.split(';').next().unwrap_or("");
            let (name, value) = first.split_once('=').unwrap_or((first, ""));
            let deleted = raw.contains("Max-Age=0")
                || raw
                    .to_ascii_lowercase()
                    .contains("expires=thu, 01 jan 1970");
            if deleted || value.is_empty() {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::empty()).expect("request")).await
    }

    /// Submits a form the way a browser would after loading a page: with the CSRF token
    /// from the cookie (fetched first if this client has none yet).
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        if !self.jar.contains_key("hatchery_csrf") {
            self.get("/").await;
        }
        let token = self.jar.get("hatchery_csrf").cloned().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &encode(&all)).await
    }

    /// A form POST exactly as given: no token added.
    pub async fn post_raw(&mut self, path: &str, body: &str) -> Resp {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .expect("request");
        self.send(req).await
    }

    /// Signs up `name` with [`PASSWORD`]; asserts it worked.
    pub async fn sign_up(&mut self, name: &str) -> Resp {
        let email = format!("{name}@example.edu.cn");
        let r = self
            .post_form(
                "/user/sign_up",
                &[
                    ("username", name),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] sign up {name}: {}",
            self.label(),
            r.body
        );
        r
    }

    pub async fn login(&mut self, login: &str, password: &str) -> Resp {
        self.post_form("/user/login", &[("login", login), ("password", password)])
            .await
    }

    pub async fn logout(&mut self) -> Resp {
        self.post_form("/user/logout", &[]).await
    }
}

/// `req` as if it came over TCP from `addr` (what the client-address layer reads).
pub fn from_addr(addr: &str, mut req: Request<Body>) -> Request<Body> {
    let ip: std::net::IpAddr = addr.parse().expect("address");
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
            ip, 40000,
        )));
    req
}

impl TestApp {
    /// A GET from the client address `addr` with extra headers.
    pub async fn get_from(&mut self, path: &str, addr: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(from_addr(addr, req.body(Body::empty()).expect("request")))
            .await
    }
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An API call through the router with HTTP Basic (the test password) or anonymously.
pub async fn api(
    app: &mut TestApp,
    method: &str,
    path: &str,
    user: Option<&str>,
    body: Option<&str>,
) -> Resp {
    use base64::Engine;
    let mut req = axum::http::Request::builder().method(method).uri(path);
    if let Some(u) = user {
        let pair = format!("{u}:{}", PASSWORD);
        req = req.header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
        );
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            axum::body::Body::from(b.to_owned())
        }
        None => axum::body::Body::empty(),
    };
    app.send(req.body(body).expect("request")).await
}

/// An API call with HTTP Basic (the test password) and a body of any content type.
pub async fn api_bytes(
    app: &mut TestApp,
    method: &str,
    path: &str,
    user: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Resp {
    use base64::Engine;
    let pair = format!("{user}:{}", PASSWORD);
    let req = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header(
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
        )
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .expect("request");
    app.send(req).await
}

/// A multipart/form-data body of text fields and one file, as a browser sends it; answers
/// the content type (with its boundary) and the body.
pub fn multipart(
    fields: &[(&str, &str)],
    file_field: &str,
    file_name: &str,
    content: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "----hatchery-test-boundary-7d93";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

// Shortcuts the page and API tests share.

/// A forge over the app's store and repositories, for tests that act as a use case
/// would (seeding rows, moving the clock) instead of through a request.
pub fn forge_of(app: &TestApp) -> hatchery_service::Forge {
    hatchery_service::Forge::new(
        app.store.store().clone(),
        app.repos_dir.path().to_path_buf(),
        hatchery_service::SignInPolicy::new(10, 15),
    )
}

/// The response's JSON, or `null` when it is not JSON.
pub fn body(r: &Resp) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null)
}

/// The page's main part, for failure messages.
pub fn main_of(body: &str) -> &str {
    let start = body.find("<main").unwrap_or(0);
    let end = body.find("</main>").unwrap_or(body.len());
    &body[start..end]
}

/// Asserts the status, showing where it redirected and the page's main part when not.
#[track_caller]
pub fn status(r: &Resp, want: StatusCode, what: &str) {
    assert_eq!(
        r.status,
        want,
        "{what}: {} {}",
        r.location(),
        main_of(&r.body)
    );
}

/// The id of a user that must exist.
pub async fn uid(s: &hatchery_store::Store, name: &str) -> i64 {
    s.user_by_name(name).await.unwrap().unwrap().id
}

/// A new client signed in as `name` (whose password is [`PASSWORD`]).
pub async fn client(app: &TestApp, name: &str) -> TestApp {
    let mut c = app.new_client();
    let r = c.login(name, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "login {name}");
    c
}

/// The number at the end of a redirect's location (`.../proposals/12` → 12).
pub fn id_from(location: &str) -> i64 {
    location
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location:?}"))
}
