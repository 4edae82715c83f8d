//! A seeded fuzz test of the whole router: random bytes — NUL, other control characters,
//! broken UTF-8, markup, very long runs — in every path segment, query parameter, form
//! field and JSON field the router knows, on every database backend. Nothing may answer
//! with a 5xx. The routes and field names are read from the sources and from the API's
//! OpenAPI document, so routes added later are fuzzed too.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use std::collections::BTreeSet;
use std::path::Path;
use support::{PASSWORD, TestApp};

/// A small deterministic generator (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Random bytes, biased towards what breaks things.
    fn bytes(&mut self) -> Vec<u8> {
        const PIECES: &[&[u8]] = &[
            b"\0",
            b"a\0b",
            b"\x01",
            b"\x0b",
            b"\x0c",
            b"\x1b[2J",
            b"\r\n",
            b"\t",
            b"\x7f",
            b"\xff",
            b"\xc3",
            b"\xe4\xbd\xa0",
            b"<script>",
            b"'\"",
            b"..",
            b"/",
            b"\\",
            b"%",
            b"-1",
            b"0",
            b"99999999999999999999",
            b" ",
            b"main",
            b"a",
        ];
        let mut out = Vec::new();
        for _ in 0..1 + self.below(4) {
            match self.below(4) {
                0 => out.extend((0..1 + self.below(8)).map(|_| self.next() as u8)),
                1 if self.below(20) == 0 => out.extend(std::iter::repeat_n(b'x', 5000)),
                _ => out.extend_from_slice(PIECES[self.below(PIECES.len())]),
            }
        }
        out
    }
}

fn pct(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

/// Every `.route("...", get(..).post(..))` of the HTML and git routers, from the source.
fn source_routes() -> Vec<(String, Vec<&'static str>)> {
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("lib.rs");
    let mut routes = Vec::new();
    let mut rest = src.as_str();
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + 7..];
        let Some(start) = rest.find('"') else { break };
        let Some(len) = rest[start + 1..].find('"') else {
            break;
        };
        let path = rest[start + 1..start + 1 + len].to_owned();
        let end = rest.find("))\n").unwrap_or(rest.len());
        let call = &rest[..end];
        let mut methods = Vec::new();
        if call.contains("get(") {
            methods.push("GET");
        }
        if call.contains("post(") {
            methods.push("POST");
        }
        routes.push((path, methods));
    }
    assert!(routes.len() > 100, "found only {} routes", routes.len());
    routes
}

fn rust_sources(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("source directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).expect("source file"));
        }
    }
}

/// Every form field and query parameter the pages read: `name="..."` in the views,
/// `Field::new("...")`, and the fields of every `Deserialize` struct in the pages.
fn source_field_names() -> Vec<String> {
    let mut sources = Vec::new();
    rust_sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut sources,
    );
    let mut names = BTreeSet::new();
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    for src in &sources {
        for marker in ["name=\"", "Field::new(\""] {
            for piece in src.split(marker).skip(1) {
                let n = ident(piece);
                if !n.is_empty() {
                    names.insert(n);
                }
            }
        }
        for piece in src.split("Deserialize").skip(1) {
            let Some(open) = piece.find('{') else {
                continue;
            };
            if !piece[..open].contains("struct ") {
                continue;
            }
            let Some(close) = piece[open..].find("\n}") else {
                continue;
            };
            for line in piece[open + 1..open + close].lines() {
                let line = line.trim().trim_start_matches("pub ");
                if line.starts_with("//") || line.starts_with('#') {
                    continue;
                }
                if let Some((field, _)) = line.split_once(':') {
                    let f = ident(field);
                    if !f.is_empty() && f == field.trim() {
                        names.insert(f);
                    }
                }
            }
        }
    }
    assert!(names.len() > 60, "found only {} field names", names.len());
    names.into_iter().collect()
}

struct ApiOp {
    method: String,
    path: String,
    query: Vec<String>,
    body: Vec<String>,
}

/// Every operation of the OpenAPI document: its query parameters and body fields.
fn api_operations(doc: &serde_json::Value) -> Vec<ApiOp> {
    let schemas = &doc["components"]["schemas"];
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let query = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            let schema = match schema["$ref"].as_str() {
                Some(r) => &schemas[r.rsplit('/').next().unwrap_or_default()],
                None => schema,
            };
            let body = schema["properties"]
                .as_object()
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            ops.push(ApiOp {
                method: method.to_uppercase(),
                path: path.clone(),
                query,
                body,
            });
        }
    }
    assert!(ops.len() > 50, "found only {} API operations", ops.len());
    ops
}

/// A path with each `{param}` replaced by a real value or by random bytes.
fn fill(rng: &mut Rng, pattern: &str) -> String {
    let mut out = String::new();
    for seg in pattern.split('/').skip(1) {
        out.push('/');
        if !(seg.starts_with('{') && seg.ends_with('}')) {
            out.push_str(seg);
            continue;
        }
        let real = match seg.trim_matches(['{', '}', '*']) {
            "owner" | "org" | "name" | "username" | "user" => "fz",
            "repo" => "r",
            "number" | "index" | "id" => "1",
            "rest" | "filepath" => "main/README.md",
            _ => "main",
        };
        if rng.below(3) == 0 {
            out.push_str(real);
        } else {
            let mut value = rng.bytes();
            value.truncate(300);
            out.push_str(&pct(&value));
        }
    }
    out
}

/// Query strings (`all` false) stay short enough for a URI; form bodies take everything.
fn random_pairs(rng: &mut Rng, names: &[String], all: bool) -> String {
    let mut pairs = Vec::new();
    for name in names {
        if all || rng.below(8) == 0 {
            let mut value = rng.bytes();
            if !all {
                value.truncate(200);
            }
            pairs.push(format!("{name}={}", pct(&value)));
        }
    }
    pairs.join("&")
}

fn random_json(rng: &mut Rng, names: &[String]) -> String {
    let mut map = serde_json::Map::new();
    for name in names {
        let text = String::from_utf8_lossy(&rng.bytes()).into_owned();
        let value = match rng.below(5) {
            0 => serde_json::json!(rng.next() as i64),
            1 => serde_json::json!([text]),
            2 => serde_json::json!(rng.below(2) == 0),
            _ => serde_json::json!(text),
        };
        map.insert(name.clone(), value);
    }
    serde_json::Value::Object(map).to_string()
}

#[tokio::test]
async fn random_bytes_anywhere_never_give_a_server_error() {
    let routes = source_routes();
    let fields = source_field_names();
    for mut app in TestApp::all().await {
        let mut rng = Rng(0x5eed_0018_4a7c_e15d);
        app.sign_up("fz").await;
        let r = app
            .post_form(
                "/repo/create",
                &[("owner", "fz"), ("name", "r"), ("init_readme", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = app
            .post_form("/fz/r/issues/new", &[("title", "first"), ("body", "text")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let doc: serde_json::Value =
            serde_json::from_str(&app.get("/swagger.v1.json").await.body).expect("OpenAPI");
        let ops = api_operations(&doc);
        // A token, so that hundreds of API calls do not each run argon2.
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("fz:{PASSWORD}"))
        );
        let req = Request::post("/api/v1/users/fz/tokens")
            .header(header::AUTHORIZATION, &basic)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"name":"fuzz","scopes":["all"]}"#))
            .expect("request");
        let r = app.send(req).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let token: serde_json::Value = serde_json::from_str(&r.body).expect("token");
        let auth = format!("token {}", token["sha1"].as_str().unwrap_or_default());
        let mut failures = Vec::new();
        let mut sent = 0usize;

        for round in 0..8 {
            for (pattern, methods) in &routes {
                for method in methods {
                    if pattern == "/user/logout" {
                        continue;
                    }
                    let uri = format!(
                        "{}?{}",
                        fill(&mut rng, pattern),
                        random_pairs(&mut rng, &fields, false)
                    );
                    let r = if *method == "GET" {
                        app.get(&uri).await
                    } else {
                        let token = app.cookie("hatchery_csrf").cloned().unwrap_or_default();
                        let body = format!(
                            "_csrf={token}&{}",
                            random_pairs(&mut rng, &fields, round == 0)
                        );
                        app.post_raw(&uri, &body).await
                    };
                    sent += 1;
                    if r.status.is_server_error() {
                        failures.push(format!("{} {method} {uri}: {}", r.status, r.body));
                    }
                }
            }
            for op in &ops {
                let path = fill(&mut rng, &op.path);
                let uri = format!("{path}?{}", random_pairs(&mut rng, &op.query, false));
                let mut req = Request::builder()
                    .method(op.method.as_str())
                    .uri(&uri)
                    .header(header::AUTHORIZATION, &auth);
                let body = if op.body.is_empty() {
                    Body::empty()
                } else {
                    req = req.header(header::CONTENT_TYPE, "application/json");
                    Body::from(random_json(&mut rng, &op.body))
                };
                let r = app.send(req.body(body).expect("request")).await;
                sent += 1;
                if r.status.is_server_error() {
                    failures.push(format!("{} {} {uri}: {}", r.status, op.method, r.body));
                }
            }
        }
        assert!(sent > 2000, "only {sent} requests");
        assert!(
            failures.is_empty(),
            "[{}] {} server errors:\n{}",
            app.label(),
            failures.len(),
            failures.join("\n")
        );
    }
}
