//! The built-in SSH server (russh): public-key sign-in against the registered keys, then
//! `git-upload-pack` / `git-receive-pack` on session channels and nothing else.
//!
//! Each connection is a russh session with a [`Connection`] handler. A git command runs
//! on a blocking thread that reads the channel through a bounded queue and writes to it
//! within the client's window, so neither a clone nor a push is held in memory. When it
//! ends, the channel gets its exit status, EOF and close, which is what lets `git` finish.
//! Refusals (a shell, a subsystem, another command, a repository out of reach) are a line
//! on the channel's stderr and exit status 1.

use crate::exec::{self, EXIT_REFUSED, GitRun, Prepared};
use hatchery_service::ssh_keys::SshIdentity;
use hatchery_web::AppState;
use russh::keys::{HashAlg, PrivateKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// The `[ssh]` settings the server runs with.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// Connections open at once; more are closed on arrival.
    pub max_sessions: usize,
    /// A connection silent this long is closed.
    pub idle_timeout: Duration,
    /// Keys one connection may try.
    pub max_auth_attempts: u32,
}

/// Session channels one connection may have open at once.
const MAX_CHANNELS: usize = 8;
/// Longest `GIT_PROTOCOL` or locale value kept.
const MAX_ENV_VALUE: usize = 256;
/// Every refused sign-in takes this long, whether the key is unknown or its signature bad.
const AUTH_REJECTION_TIME: Duration = Duration::from_millis(500);
/// Writes to the channel are gathered up to this size.
const CHUNK: usize = 32 * 1024;

/// The server, ready to serve on a listener.
pub struct SshServer {
    state: AppState,
    config: Arc<russh::server::Config>,
    max_sessions: usize,
}

impl SshServer {
    pub fn new(state: AppState, settings: &SshSettings, host_keys: Vec<PrivateKey>) -> SshServer {
        let config = russh::server::Config {
            server_id: russh::SshId::Standard(
                concat!("SSH-2.0-Hatchery_", env!("CARGO_PKG_VERSION")).into(),
            ),
            methods: MethodSet::from(&[MethodKind::PublicKey][..]),
            auth_rejection_time: AUTH_REJECTION_TIME,
            // OpenSSH first asks with "none" to learn the methods: no need to wait there.
            auth_rejection_time_initial: Some(Duration::ZERO),
            keys: host_keys,
            // russh counts the "none" request OpenSSH starts with; OpenSSH's MaxAuthTries,
            // which ssh.max_auth_attempts follows, does not.
            max_auth_attempts: settings.max_auth_attempts as usize + 1,
            inactivity_timeout: Some(settings.idle_timeout),
            nodelay: true,
            ..Default::default()
        };
        SshServer {
            state,
            config: Arc::new(config),
            max_sessions: settings.max_sessions.max(1),
        }
    }

    /// Serves on `listener` until `shutdown` resolves; then accepts no more connections,
    /// lets the git commands in flight finish, closes the idle connections and returns.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        let permits = Arc::new(tokio::sync::Semaphore::new(self.max_sessions));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut connections = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // Out of file descriptors and the like: wait, do not spin.
                            tracing::warn!(error = %e, "accepting an SSH connection failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        tracing::warn!(peer = %peer, max = self.max_sessions, "too many SSH connections; closing a new one (ssh.max_sessions)");
                        drop(stream);
                        continue;
                    };
                    let handler = Connection::new(self.state.clone(), peer);
                    let config = self.config.clone();
                    let stop = stop_rx.clone();
                    connections.spawn(async move {
                        let _permit = permit;
                        serve_connection(config, stream, handler, stop).await;
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        let _ = stop_tx.send(true);
        while connections.join_next().await.is_some() {}
        Ok(())
    }
}

async fn serve_connection(
    config: Arc<russh::server::Config>,
    stream: tokio::net::TcpStream,
    handler: Connection,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let peer = handler.peer;
    let active = handler.active.clone();
    let session = match russh::server::run_stream(config, stream, handler).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(peer = %peer, error = %e, "SSH connection ended before it began");
            return;
        }
    };
    let handle = session.handle();
    tokio::pin!(session);
    let stopping = async move {
        let _ = stop.wait_for(|stopping| *stopping).await;
    };
    tokio::select! {
        result = &mut session => {
            if let Err(e) = result {
                tracing::debug!(peer = %peer, error = %e, "SSH connection ended");
            }
        }
        () = stopping => {
            // Commands in flight finish; then the connection is closed.
            active.wait_idle().await;
            let _ = handle
                .disconnect(
                    russh::Disconnect::ByApplication,
                    "the server is shutting down".into(),
                    "en".into(),
                )
                .await;
            let _ = session.await;
        }
    }
    // A command whose client went away still finishes before the server may stop.
    active.wait_idle().await;
}

/// Git commands running on one connection.
#[derive(Clone)]
struct Active(Arc<tokio::sync::watch::Sender<usize>>);

struct ActiveGuard(Active);

impl Active {
    fn new() -> Active {
        Active(Arc::new(tokio::sync::watch::channel(0).0))
    }

    fn enter(&self) -> ActiveGuard {
        self.0.send_modify(|n| *n += 1);
        ActiveGuard(self.clone())
    }

    async fn wait_idle(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// What a client set with `env` requests on a channel.
#[derive(Default)]
struct ChannelEnv {
    git_protocol: Option<String>,
    /// `LC_ALL`, else `LC_MESSAGES`, else `LANG`.
    locale: [Option<String>; 3],
}

impl ChannelEnv {
    fn locale(&self) -> Option<&str> {
        self.locale.iter().flatten().next().map(String::as_str)
    }
}

/// One client connection.
struct Connection {
    state: AppState,
    peer: SocketAddr,
    identity: Option<SshIdentity>,
    channels: HashMap<ChannelId, (Channel<Msg>, ChannelEnv)>,
    active: Active,
}

impl Connection {
    fn new(state: AppState, peer: SocketAddr) -> Connection {
        Connection {
            state,
            peer,
            identity: None,
            channels: HashMap::new(),
            active: Active::new(),
        }
    }

    /// The language of messages on `channel`.
    fn lang(&self, channel: ChannelId) -> hatchery_web::i18n::Lang {
        let locale = self
            .channels
            .get(&channel)
            .and_then(|(_, env)| env.locale());
        match &self.identity {
            Some(identity) => exec::language(identity, locale),
            None => Default::default(),
        }
    }

    /// Accepts the request on `channel`, then answers it with `message` on stderr, exit
    /// status 1, EOF and close.
    fn refuse(
        &mut self,
        channel: ChannelId,
        message: &str,
        session: &mut Session,
    ) -> Result<(), russh::Error> {
        self.channels.remove(&channel);
        session.channel_success(channel)?;
        session.extended_data(channel, 1, format!("{message}\r\n").into_bytes())?;
        session.exit_status_request(channel, EXIT_REFUSED)?;
        session.eof(channel)?;
        session.close(channel)
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        let fingerprint = offer.public_key.fingerprint(HashAlg::Sha256).to_string();
        match self.state.forge.ssh_key_usable(&fingerprint).await {
            Ok(true) => Ok(Auth::Accept),
            Ok(false) => Ok(Auth::reject()),
            Err(e) => {
                tracing::error!(error = %e, "looking up an SSH key failed");
                Ok(Auth::reject())
            }
        }
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let fingerprint = key.public_key.fingerprint(HashAlg::Sha256).to_string();
        match self.state.forge.ssh_identity(&fingerprint).await {
            Ok(Some(identity)) => {
                match &identity {
                    SshIdentity::User { user, key_id } => {
                        tracing::debug!(peer = %self.peer, user = %user.name, key = key_id, "SSH sign-in");
                    }
                    SshIdentity::Deploy { .. } => {
                        tracing::debug!(peer = %self.peer, key = %fingerprint, "SSH sign-in with a deploy key");
                    }
                }
                self.identity = Some(identity);
                Ok(Auth::Accept)
            }
            Ok(None) => Ok(Auth::reject()),
            Err(e) => {
                tracing::error!(error = %e, "looking up an SSH key failed");
                Ok(Auth::reject())
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.identity.is_none() || self.channels.len() >= MAX_CHANNELS {
            reply
                .reject(russh::ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        }
        self.channels
            .insert(channel.id(), (channel, ChannelEnv::default()));
        reply.accept().await;
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let slot = match name {
            "GIT_PROTOCOL" => Some(0),
            "LC_ALL" => Some(1),
            "LC_MESSAGES" => Some(2),
            "LANG" => Some(3),
            _ => None,
        };
        match (slot, self.channels.get_mut(&channel)) {
            (Some(slot), Some((_, env))) if value.len() <= MAX_ENV_VALUE => {
                let value = Some(value.to_owned());
                match slot {
                    0 => env.git_protocol = value,
                    n => env.locale[n - 1] = value,
                }
                session.channel_success(channel)
            }
            _ => session.channel_failure(channel),
        }
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let lang = self.lang(channel);
        let message = match &self.identity {
            Some(identity) => exec::shell_refusal(identity, lang),
            None => lang.t("ssh.no_shell").to_owned(),
        };
        self.refuse(channel, &message, session)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let message = self.lang(channel).t("ssh.no_subsystem");
        self.refuse(channel, message, session)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let lang = self.lang(channel);
        let Some(identity) = self.identity.clone() else {
            return session.channel_failure(channel);
        };
        let Ok(line) = std::str::from_utf8(data) else {
            return self.refuse(channel, lang.t("ssh.bad_command"), session);
        };
        let git_protocol = self
            .channels
            .get(&channel)
            .and_then(|(_, env)| env.git_protocol.clone());
        let prepared =
            exec::prepare(&self.state, &identity, line, git_protocol.as_deref(), lang).await;
        let run = match prepared {
            Prepared::Refused(message) => {
                tracing::debug!(peer = %self.peer, command = %line.escape_debug(), "SSH command refused");
                return self.refuse(channel, &message, session);
            }
            Prepared::Run(run) => run,
        };
        let Some((chan, _)) = self.channels.remove(&channel) else {
            return session.channel_failure(channel);
        };
        session.channel_success(channel)?;
        let guard = self.active.enter();
        let state = self.state.clone();
        tokio::spawn(async move {
            let _guard = guard;
            run_on_channel(state, run, chan).await;
        });
        Ok(())
    }
}

/// Runs an allowed git command on its channel, then ends the channel.
async fn run_on_channel(state: AppState, run: Box<GitRun>, channel: Channel<Msg>) {
    let (read_half, write_half) = channel.split();
    let writer = write_half.make_writer();
    let permit = state.pack_permits.clone().acquire_owned().await.ok();
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut read_half = read_half;
        let mut input = BlockingReader {
            inner: read_half.make_reader(),
            handle: handle.clone(),
        };
        let mut output = BlockingWriter {
            inner: writer,
            handle: handle.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        exec::run_blocking(&state, &handle, *run, &mut input, &mut output)
    })
    .await;
    let status = match result {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            // The client has been told (ERR packet or report-status); this is for the log.
            tracing::info!(error = %e, "git over SSH ended with an error");
            EXIT_REFUSED
        }
        Err(e) => {
            tracing::error!(error = %e, "git over SSH panicked");
            EXIT_REFUSED
        }
    };
    let _ = write_half.exit_status(status).await;
    let _ = write_half.eof().await;
    let _ = write_half.close().await;
}

/// A blocking `Read` over the channel's data (ends at the client's EOF).
struct BlockingReader<R> {
    inner: R,
    handle: tokio::runtime::Handle,
}

impl<R: AsyncRead + Unpin> std::io::Read for BlockingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.handle.block_on(self.inner.read(buf))
    }
}

/// A blocking `Write` onto the channel in chunks, within the client's window; `flush`
/// sends what is gathered (the protocol flushes after every answer the client waits for).
struct BlockingWriter<W> {
    inner: W,
    handle: tokio::runtime::Handle,
    buf: Vec<u8>,
}

impl<W: AsyncWrite + Unpin> std::io::Write for BlockingWriter<W> {
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
        let chunk = std::mem::take(&mut self.buf);
        let result = self.handle.block_on(self.inner.write_all(&chunk));
        self.buf = chunk;
        self.buf.clear();
        result
    }
}
