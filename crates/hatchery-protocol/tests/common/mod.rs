//! A minimal smart-HTTP adapter over hatchery-protocol, for tests. The web layer copies
//! this shape: route the four endpoints, decode gzip bodies, run the protocol in a blocking
//! task reading the body through a channel, and stream the output through another channel.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hatchery_protocol::git::Repository;
use hatchery_protocol::{
    ProposedUpdate, ProtocolVersion, ReceiveHook, ReceivePackOptions, ReceivePackOutcome, Service,
    UploadPackOptions, UploadPackOutcome,
};
use http_body_util::BodyExt;

/// Server configuration and what it observed.
#[derive(Default)]
pub struct ServerState {
    pub root: PathBuf,
    /// Refs that may not be force-pushed or deleted (checked through the hook).
    pub protected: Vec<String>,
    pub receive_options: ReceivePackOptions,
    pub uploads: Mutex<Vec<UploadPackOutcome>>,
    pub pushes: Mutex<Vec<ReceivePackOutcome>>,
    /// Requests whose body arrived gzip-encoded.
    pub gzip_requests: std::sync::atomic::AtomicUsize,
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: Arc<ServerState>,
    pub dir: tempfile::TempDir,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    pub fn start_with(configure: impl FnOnce(&mut ServerState)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut state = ServerState {
            root: dir.path().join("repos"),
            ..Default::default()
        };
        std::fs::create_dir_all(&state.root).expect("repos dir");
        configure(&mut state);
        let state = Arc::new(state);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            addr,
            state,
            dir,
            runtime: Some(runtime),
        }
    }

    /// Create an empty bare repository served at `/<name>.git`.
    pub fn create_repo(&self, name: &str) -> Repository {
        Repository::init_bare(&self.repo_path(name), "main").expect("init")
    }

    pub fn repo_path(&self, name: &str) -> PathBuf {
        self.state.root.join(format!("{name}.git"))
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}.git", self.addr)
    }

    pub fn last_upload(&self) -> Option<UploadPackOutcome> {
        self.state.uploads.lock().expect("lock").last().cloned()
    }

    pub fn uploads(&self) -> Vec<UploadPackOutcome> {
        self.state.uploads.lock().expect("lock").clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

struct Hook {
    protected: Vec<String>,
}

impl ReceiveHook for Hook {
    fn check_update(&mut self, update: &ProposedUpdate<'_>) -> Result<(), String> {
        use hatchery_protocol::UpdateKind;
        if self.protected.iter().any(|p| p == update.ref_name) {
            match update.kind {
                UpdateKind::NonFastForward => {
                    return Err("protected branch: force push is not allowed".into());
                }
                UpdateKind::Delete => {
                    return Err("protected branch: deletion is not allowed".into());
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn text_response(status: StatusCode, text: &str) -> Response {
    (status, text.to_owned()).into_response()
}

async fn handle(
    State(state): State<Arc<ServerState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (repo_part, action) = if let Some(r) = path.strip_suffix("/info/refs") {
        (r, "info/refs")
    } else if let Some(r) = path.strip_suffix("/git-upload-pack") {
        (r, "git-upload-pack")
    } else if let Some(r) = path.strip_suffix("/git-receive-pack") {
        (r, "git-receive-pack")
    } else {
        return text_response(StatusCode::NOT_FOUND, "not found");
    };
    if repo_part
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return text_response(StatusCode::NOT_FOUND, "not found");
    }
    let repo_name = if repo_part.ends_with(".git") {
        repo_part.to_owned()
    } else {
        format!("{repo_part}.git")
    };
    let Ok(repo) = Repository::open(&state.root.join(repo_name)) else {
        return text_response(StatusCode::NOT_FOUND, "not found");
    };
    let version = ProtocolVersion::from_git_protocol_header(
        headers.get("git-protocol").and_then(|v| v.to_str().ok()),
    );
    match (method, action) {
        (Method::GET, "info/refs") => {
            let service = uri
                .query()
                .unwrap_or_default()
                .split('&')
                .find_map(|kv| kv.strip_prefix("service="))
                .and_then(Service::from_name);
            let Some(service) = service else {
                // Dumb HTTP is not supported.
                return text_response(StatusCode::FORBIDDEN, "smart HTTP only");
            };
            stream_response(service.advertisement_content_type(), move |out| {
                hatchery_protocol::advertise_refs(&repo, service, version, out).map(|_| ())
            })
        }
        (Method::POST, "git-upload-pack") => {
            if is_gzip(&headers) {
                state
                    .gzip_requests
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let mut input = request_reader(&headers, body);
            stream_response(Service::UploadPack.result_content_type(), move |out| {
                let outcome = hatchery_protocol::upload_pack(
                    &repo,
                    version,
                    &mut input,
                    out,
                    &UploadPackOptions::default(),
                )?;
                state.uploads.lock().expect("lock").push(outcome);
                Ok(())
            })
        }
        (Method::POST, "git-receive-pack") => {
            let mut input = request_reader(&headers, body);
            stream_response(Service::ReceivePack.result_content_type(), move |out| {
                let mut hook = Hook {
                    protected: state.protected.clone(),
                };
                let outcome = hatchery_protocol::receive_pack(
                    &repo,
                    &mut input,
                    out,
                    &mut hook,
                    &state.receive_options,
                )?;
                // Read what is left of the body so the client is not cut off mid-send.
                let _ = std::io::copy(&mut input, &mut std::io::sink());
                state.pushes.lock().expect("lock").push(outcome);
                Ok(())
            })
        }
        _ => text_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
    }
}

/// A blocking reader over the request body (gzip-decoded when needed).
fn request_reader(headers: &HeaderMap, body: Body) -> Box<dyn Read + Send> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(8);
    tokio::spawn(async move {
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let item = match frame {
                Ok(f) => match f.into_data() {
                    Ok(d) => Ok(d),
                    Err(_) => continue,
                },
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            let stop = item.is_err();
            if tx.send(item).await.is_err() || stop {
                break;
            }
        }
    });
    let reader = BodyReader {
        rx,
        current: Bytes::new(),
    };
    if is_gzip(headers) {
        // The decoder reads the gzip header when it is created, so create it on the first
        // read, in the blocking task, not here on the async side.
        Box::new(LazyGunzip::Pending(Some(reader)))
    } else {
        Box::new(reader)
    }
}

enum LazyGunzip {
    Pending(Option<BodyReader>),
    Ready(Box<flate2::read::MultiGzDecoder<BodyReader>>),
}

impl Read for LazyGunzip {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let LazyGunzip::Pending(reader) = self {
            let Some(reader) = reader.take() else {
                return Ok(0);
            };
            *self = LazyGunzip::Ready(Box::new(flate2::read::MultiGzDecoder::new(reader)));
        }
        match self {
            LazyGunzip::Ready(d) => d.read(buf),
            LazyGunzip::Pending(_) => Ok(0),
        }
    }
}

fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip"))
}

struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Run `produce` in a blocking task; what it writes is streamed as the response body.
fn stream_response<F>(content_type: &'static str, produce: F) -> Response
where
    F: FnOnce(&mut dyn Write) -> Result<(), hatchery_protocol::ProtocolError> + Send + 'static,
{
    let (tx, channel) = http_body_util::channel::Channel::<Bytes, std::io::Error>::new(8);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut writer = ChannelWriter {
            tx,
            handle,
            buf: Vec::with_capacity(64 * 1024),
        };
        // The error goes to the test's captured output: a failing test shows what the
        // server ran into, not only what the client saw.
        if let Err(e) = produce(&mut writer) {
            eprintln!("test server: {e}");
        }
        let _ = writer.flush();
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::new(channel))
        .unwrap_or_else(|_| text_response(StatusCode::INTERNAL_SERVER_ERROR, "response"))
}

struct ChannelWriter {
    tx: http_body_util::channel::Sender<Bytes, std::io::Error>,
    handle: tokio::runtime::Handle,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.handle
            .block_on(self.tx.send_data(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

// ---- git client helpers ----

pub struct Git {
    home: tempfile::TempDir,
    pub version: u8,
}

impl Git {
    pub fn new(version: u8) -> Self {
        let home = tempfile::tempdir().expect("home");
        Git { home, version }
    }

    pub fn cmd(&self, dir: &Path) -> Command {
        let mut c = hatchery_testkit::git::command(dir);
        c.env("HOME", self.home.path())
            .args(["-c", &format!("protocol.version={}", self.version)])
            .args(["-c", "init.defaultBranch=main"])
            .args(["-c", "advice.detachedHead=false"])
            .args(["-c", "fetch.writeCommitGraph=false"])
            .args(["-c", "gc.auto=0"]);
        if let Ok(trace) = std::env::var("GIT_TRACE_PACKET") {
            c.env("GIT_TRACE_PACKET", trace);
        }
        c
    }

    /// Run git and return stdout, panicking with stderr on failure.
    pub fn run(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.output(dir, args);
        assert!(
            out.status.success(),
            "git {args:?} (protocol v{}) failed: {}\n{}",
            self.version,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn output(&self, dir: &Path, args: &[&str]) -> Output {
        self.cmd(dir).args(args).output().expect("spawn git")
    }

    /// Run git expecting failure; returns stderr.
    pub fn fail(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.output(dir, args);
        assert!(
            !out.status.success(),
            "git {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub fn fsck(&self, dir: &Path) {
        self.run(dir, &["fsck", "--strict", "--no-progress"]);
    }

    pub fn rev(&self, dir: &Path, rev: &str) -> String {
        self.run(dir, &["rev-parse", rev]).trim().to_owned()
    }

    /// Commit `files` (name, content) in the work tree `dir` with a fixed date offset.
    pub fn commit(&self, dir: &Path, files: &[(&str, &str)], message: &str, when: i64) {
        for (name, content) in files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(path, content).expect("write");
        }
        self.run(dir, &["add", "-A"]);
        let date = format!("{when} +0000");
        let out = self
            .cmd(dir)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["commit", "-q", "-m", message])
            .output()
            .expect("git commit");
        assert!(
            out.status.success(),
            "commit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Pseudo-random printable text (incompressible enough to make packs realistic).
pub fn noise(seed: u64, len: usize) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = String::with_capacity(len);
    while out.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let c = (b'a' + ((x >> 33) % 26) as u8) as char;
        out.push(c);
        if (x >> 40).is_multiple_of(9) {
            out.push(if (x >> 20).is_multiple_of(7) {
                '\n'
            } else {
                ' '
            });
        }
    }
    out
}

/// A work tree with some history: `n` commits on main touching a few files in
/// subdirectories, one side branch and an annotated tag. Returns the commit times used.
pub fn make_history(git: &Git, dir: &Path, n: usize) -> Vec<i64> {
    std::fs::create_dir_all(dir).expect("mkdir");
    git.run(dir, &["init", "-q", "-b", "main"]);
    let mut times = Vec::new();
    let base = 1_600_000_000i64;
    for i in 0..n {
        let t = base + (i as i64) * 86_400;
        let mut files = vec![
            ("README.md".to_owned(), format!("# project\nversion {i}\n")),
            (
                format!("src/mod{}/file{}.txt", i % 3, i % 5),
                noise(i as u64, 3000),
            ),
        ];
        if i == 0 {
            for k in 0..6 {
                files.push((format!("docs/static{k}.txt"), noise(1000 + k, 4000)));
            }
        }
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        git.commit(dir, &files, &format!("commit {i}"), t);
        times.push(t);
        if i == n / 2 {
            git.run(dir, &["tag", "-a", "v1.0", "-m", "release 1.0"]);
            git.run(dir, &["branch", "feature"]);
        }
    }
    times
}
