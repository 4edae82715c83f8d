//! Git's smart HTTP protocol: `info/refs`, `git-upload-pack` and `git-receive-pack` under
//! `/<owner>/<repo>[.git]/`. Thin adapters onto `hatchery-protocol`: authenticate (HTTP
//! Basic with a password or an access token), authorize through the policy, then run the
//! protocol on a blocking thread that reads the request body through a channel and streams
//! its answer back through another, so no pack is ever held in memory whole.

use crate::credentials::{self, AuthFailure, Caller};
use crate::i18n::Lang;
use crate::metrics::{GitOperation, GitRequest, GitService};
use crate::pages::auth::ClientAddr;
use crate::state::AppState;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hatchery_core::Actor;
use hatchery_protocol::{ProtocolVersion, ReceivePackOptions, Service, UploadPackOptions};
use hatchery_service::Forge;
use hatchery_service::git_serve::{Exchange, GitCaller, GitRefusal, GitTarget, PushMessages};
use hatchery_service::protection::PushRefusal;
use hatchery_store::Repo;
use http_body_util::BodyExt;
use serde::Deserialize;
use std::io::{Read, Write};

#[derive(Deserialize)]
pub struct ServiceQuery {
    service: Option<String>,
}

fn lang_of(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default()
}

fn plain(status: StatusCode, text: String) -> Response {
    let mut response = (status, format!("{text}\n")).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// 401 with a challenge, so the git client asks for credentials.
fn challenge(lang: Lang) -> Response {
    challenge_saying(lang, "git.auth_required")
}

fn challenge_saying(lang: Lang, key: &'static str) -> Response {
    let mut response = plain(StatusCode::UNAUTHORIZED, lang.t(key).to_owned());
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Hatchery\", charset=\"UTF-8\""),
    );
    response
}

/// `Err(response)` when credentials were given but are wrong (or throttled).
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    addr: Option<&str>,
    lang: Lang,
) -> Result<Caller, Response> {
    match credentials::authenticate(state, headers, addr).await {
        Ok(c) => Ok(c),
        Err(AuthFailure::Invalid) => Err(challenge(lang)),
        Err(AuthFailure::Throttled) => Err(plain(
            StatusCode::TOO_MANY_REQUESTS,
            lang.t("git.throttled").to_owned(),
        )),
        // A 401 with the challenge, so that git's credential helper forgets the password.
        Err(AuthFailure::TokenRequired) => Err(challenge_saying(lang, "git.token_required")),
        Err(AuthFailure::DirectoryDown) => Err(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            lang.t("login.directory_down").to_owned(),
        )),
        Err(AuthFailure::Internal(e)) => Err(internal(lang, &e)),
    }
}

fn internal(lang: Lang, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "git request failed");
    plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        lang.t("git.internal").to_owned(),
    )
}

/// Resolves the repository for `service`, or the response that refuses it. A missing
/// repository and a private one the caller may not read get the same answer: a challenge
/// for anonymous callers (so git asks who they are), 404 for signed-in ones.
async fn resolve(
    state: &AppState,
    caller: &Caller,
    owner: &str,
    repo: &str,
    service: Service,
    lang: Lang,
) -> Result<GitTarget, Response> {
    let who = GitCaller::Person {
        actor: caller.actor,
        token_scopes: caller.token_scopes.as_deref(),
    };
    let found = state
        .forge
        .git_target(who, owner, repo, service)
        .await
        .map_err(|e| internal(lang, &e))?;
    match found {
        Ok(target) => Ok(target),
        Err(GitRefusal::Hidden) => Err(match caller.actor {
            Actor::Anonymous => challenge(lang),
            Actor::User { .. } => plain(StatusCode::NOT_FOUND, lang.t("git.not_found").to_owned()),
        }),
        Err(GitRefusal::SignInRequired) => Err(challenge(lang)),
        Err(GitRefusal::TokenScope(scope)) => Err(plain(
            StatusCode::FORBIDDEN,
            lang.tf("git.token_scope", &[("scope", scope)]),
        )),
        Err(GitRefusal::NoWrite | GitRefusal::DeployKeyReadOnly) => Err(plain(
            StatusCode::FORBIDDEN,
            lang.t("git.no_write").to_owned(),
        )),
    }
}

pub async fn info_refs(
    State(state): State<AppState>,
    Path((owner, repo)): Path<(String, String)>,
    Query(q): Query<ServiceQuery>,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let Some(service) = q.service.as_deref().and_then(Service::from_name) else {
        return plain(StatusCode::FORBIDDEN, lang.t("git.smart_only").to_owned());
    };
    let caller = match authenticate(
        &state,
        &headers,
        addr.as_ref().map(|a| a.0.0.as_str()),
        lang,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let repo = match resolve(&state, &caller, &owner, &repo, service, lang).await {
        Ok(t) => t.repo,
        Err(r) => return r,
    };
    let version = protocol_version(&headers);
    let forge_state = state.clone();
    stream_response(service.advertisement_content_type(), move |out| {
        let started = std::time::Instant::now();
        let mut out = Counted::new(out);
        let result = forge_state
            .forge
            .open_git_blocking(&repo)
            .map_err(|e| hatchery_protocol::ProtocolError::Io(std::io::Error::other(e.to_string())))
            .and_then(|git| hatchery_protocol::advertise_refs(&git, service, version, &mut out));
        forge_state.metrics.git_request(&GitRequest {
            service: GitService::InfoRefs,
            operation: None,
            ok: result.is_ok(),
            sent: out.count,
            received: 0,
            elapsed: started.elapsed(),
        });
        result
    })
}

fn protocol_version(headers: &HeaderMap) -> ProtocolVersion {
    ProtocolVersion::from_git_protocol_header(
        headers.get("git-protocol").and_then(|v| v.to_str().ok()),
    )
}

pub async fn upload_pack(
    State(state): State<AppState>,
    Path((owner, repo)): Path<(String, String)>,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let lang = lang_of(&headers);
    let caller = match authenticate(
        &state,
        &headers,
        addr.as_ref().map(|a| a.0.0.as_str()),
        lang,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let repo = match resolve(&state, &caller, &owner, &repo, Service::UploadPack, lang).await {
        Ok(t) => t.repo,
        Err(r) => return r,
    };
    let Ok(permit) = state.pack_permits.clone().acquire_owned().await else {
        return internal(lang, &"pack semaphore closed");
    };
    let version = protocol_version(&headers);
    let input = request_reader(&headers, body, None);
    let forge_state = state.clone();
    stream_response(Service::UploadPack.result_content_type(), move |out| {
        let _permit = permit;
        let started = std::time::Instant::now();
        let mut input = Counted::new(input);
        let mut out = Counted::new(out);
        let result = forge_state
            .forge
            .open_git_blocking(&repo)
            .map_err(|e| hatchery_protocol::ProtocolError::Io(std::io::Error::other(e.to_string())))
            .and_then(|git| {
                hatchery_protocol::upload_pack(
                    &git,
                    version,
                    &mut input,
                    &mut out,
                    &UploadPackOptions::default(),
                )
            });
        let operation = match &result {
            Ok(outcome) => outcome.pack.map(|pack| {
                tracing::debug!(repo = %repo.name, objects = pack.objects, "pack sent");
                if outcome.common == 0 {
                    GitOperation::Clone
                } else {
                    GitOperation::Fetch
                }
            }),
            Err(_) => None,
        };
        forge_state.metrics.git_request(&GitRequest {
            service: GitService::UploadPack,
            operation,
            ok: result.is_ok(),
            sent: out.count,
            received: input.count,
            elapsed: started.elapsed(),
        });
        result.map(drop)
    })
}

/// The push hook's refusals in the pusher's language; shared with the SSH transport.
pub struct LangMessages(pub Lang);

impl PushMessages for LangMessages {
    fn read_only(&self) -> String {
        self.0.t("git.read_only").to_owned()
    }
    fn mirror(&self, upstream: &str) -> String {
        self.0.tf("git.mirror", &[("upstream", upstream)])
    }
    fn reserved_ref(&self) -> String {
        self.0.t("pulls.ref_reserved").to_owned()
    }
    fn protected(&self, refused: &PushRefusal) -> String {
        refusal_message(self.0, refused)
    }
    fn internal(&self) -> String {
        self.0.t("git.internal").to_owned()
    }
}

/// `protected branch "main": ...`, in the pusher's language.
pub(crate) fn refusal_message(lang: Lang, refused: &PushRefusal) -> String {
    let reason = lang.tf(
        refused.refusal.key(),
        &[("commit", refused.refusal.commit().unwrap_or_default())],
    );
    lang.tf(
        "protection.refused",
        &[
            ("rule", refused.rule_name.as_str()),
            ("reason", reason.as_str()),
        ],
    )
}

pub async fn receive_pack(
    State(state): State<AppState>,
    Path((owner, repo)): Path<(String, String)>,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let lang = lang_of(&headers);
    let caller = match authenticate(
        &state,
        &headers,
        addr.as_ref().map(|a| a.0.0.as_str()),
        lang,
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let target = match resolve(&state, &caller, &owner, &repo, Service::ReceivePack, lang).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Ok(permit) = state.pack_permits.clone().acquire_owned().await else {
        return internal(lang, &"pack semaphore closed");
    };
    // `git.max_push_secs`: a push still running then is aborted (its quarantine removed,
    // no ref moved, the client told), so older quarantines are crash leftovers.
    let deadline = std::time::Instant::now() + state.cfg.max_push;
    let input = request_reader(&headers, body, Some(deadline));
    let options = ReceivePackOptions {
        max_pack_bytes: Some(state.cfg.max_push_bytes),
        deadline: Some(deadline),
        ..ReceivePackOptions::default()
    };
    let rules = match state.forge.push_rules(&target.repo, target.actor).await {
        Ok(r) => r,
        Err(e) => return internal(lang, &e),
    };
    let forge_state = state.clone();
    let handle = tokio::runtime::Handle::current();
    stream_response(Service::ReceivePack.result_content_type(), move |out| {
        let _permit = permit;
        let started = std::time::Instant::now();
        let mut input = Counted::new(input);
        let mut out = Counted::new(out);
        let result = Forge::receive_pack_blocking(
            &forge_state,
            &handle,
            &target,
            rules,
            &LangMessages(lang),
            Exchange::Request,
            &mut input,
            &mut out,
            &options,
        );
        // Drain what is left so the client is not cut off mid-send.
        if result.is_ok() {
            let _ = std::io::copy(&mut input, &mut std::io::sink());
        }
        forge_state.metrics.git_request(&GitRequest {
            service: GitService::ReceivePack,
            operation: Some(GitOperation::Push),
            ok: result.is_ok(),
            sent: out.count,
            received: input.count,
            elapsed: started.elapsed(),
        });
        result.map(|_| ())
    })
}

/// Repository upkeep after a push or a page view, outside the client's request.
pub async fn maintain(state: AppState, repo: Repo) {
    Forge::maintain_in_background(state, repo).await;
}

/// A blocking reader over the request body, gzip-decoded when the client compressed it
/// (git does for large negotiation requests). Past `deadline` it fails with a time-out,
/// even when the client has stopped sending.
fn request_reader(
    headers: &HeaderMap,
    body: Body,
    deadline: Option<std::time::Instant>,
) -> Box<dyn Read + Send> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(8);
    tokio::spawn(async move {
        let mut body = body;
        loop {
            let frame = match deadline {
                None => body.frame().await,
                Some(d) => {
                    let d = tokio::time::Instant::from_std(d);
                    match tokio::time::timeout_at(d, body.frame()).await {
                        Ok(frame) => frame,
                        Err(_) => {
                            let _ = tx
                                .send(Err(std::io::Error::new(
                                    std::io::ErrorKind::TimedOut,
                                    "the push took longer than this server allows",
                                )))
                                .await;
                            break;
                        }
                    }
                }
            };
            let Some(frame) = frame else { break };
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
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip"));
    if gzip {
        // The decoder reads the gzip header when created: do that in the blocking task.
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

/// A reader or writer that counts the bytes going through it, for `/metrics`.
struct Counted<T> {
    inner: T,
    count: u64,
}

impl<T> Counted<T> {
    fn new(inner: T) -> Counted<T> {
        Counted { inner, count: 0 }
    }
}

impl<T: Read> Read for Counted<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<T: Write> Write for Counted<T> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Runs `produce` on a blocking thread; what it writes is streamed as the response body
/// through a bounded channel, so memory stays flat however large the pack.
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
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = produce(&mut writer) {
            // The client has been told (ERR packet or report-status); this is for the log.
            tracing::info!(error = %e, "git request ended with an error");
        }
        let _ = writer.flush();
    });
    let mut response = Response::new(Body::new(channel));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, max-age=0, must-revalidate"),
    );
    response
}

const CHUNK: usize = 64 * 1024;

/// A blocking `Write` that feeds a streaming response body in chunks.
pub struct ChannelWriter {
    tx: http_body_util::channel::Sender<Bytes, std::io::Error>,
    handle: tokio::runtime::Handle,
    buf: Vec<u8>,
}

impl ChannelWriter {
    pub fn new(
        tx: http_body_util::channel::Sender<Bytes, std::io::Error>,
        handle: tokio::runtime::Handle,
    ) -> ChannelWriter {
        ChannelWriter {
            tx,
            handle,
            buf: Vec::with_capacity(CHUNK),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.handle
            .block_on(self.tx.send_data(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}
