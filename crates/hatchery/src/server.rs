//! Starting the server: connect and migrate the database, settle the signing secret,
//! build the router and serve until asked to stop.

use crate::config::Config;
use anyhow::Context;
use hatchery_store::Store;
use hatchery_web::{AppState, WebConfig};
use std::future::Future;

/// Site-settings key of the generated signing secret.
const SECRET_SETTING: &str = "auth.secret";

/// Connects to the configured database (creating the data directory for SQLite) and
/// applies pending migrations.
pub async fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            cfg.data_dir.display()
        )
    })?;
    let store = Store::connect(&cfg.database.url, cfg.database.max_connections)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                cfg.database.url_redacted()
            )
        })?;
    let migrated = store
        .migrate()
        .await
        .context("applying database migrations failed")?;
    if migrated.from != migrated.to {
        tracing::info!(
            from = migrated.from,
            to = migrated.to,
            backup = ?migrated.backup,
            "database schema upgraded"
        );
    }
    Ok(store)
}

/// The configured secret, or the one generated and stored on first start. Kept in the
/// database so that several servers on one database agree on it.
pub async fn signing_secret(cfg: &Config, store: &Store) -> anyhow::Result<String> {
    if let Some(secret) = &cfg.auth.secret {
        return Ok(secret.expose().to_owned());
    }
    let stored = store
        .setting_init(SECRET_SETTING, crate::config::Secret::generate().expose())
        .await
        .context("storing the generated signing secret failed")?;
    Ok(stored)
}

pub fn web_config(cfg: &Config, secret: String) -> WebConfig {
    WebConfig {
        public_url: cfg.server.public_url.clone(),
        allow_signup: cfg.auth.allow_signup,
        secret,
        session_days: cfg.auth.session_days,
        max_failed_logins: cfg.auth.max_failed_logins,
        lockout_minutes: cfg.auth.lockout_minutes,
        max_form_bytes: cfg.server.max_form_bytes,
        request_timeout: cfg.server.request_timeout(),
        repositories_dir: cfg.data_dir.join("repositories"),
        releases_dir: cfg.data_dir.join("releases"),
        max_release_asset_bytes: cfg.release.max_asset_bytes,
        max_push_bytes: cfg.git.max_push_bytes,
        max_concurrent_packs: cfg.git.max_concurrent_packs,
        max_push: std::time::Duration::from_secs(cfg.git.max_push_secs),
        basic_cache: std::time::Duration::from_secs(cfg.auth.basic_cache_secs),
        webhook: webhook_settings(cfg),
        imports: Default::default(),
        metrics: hatchery_web::MetricsSettings {
            enabled: cfg.metrics.enabled,
            token: cfg.metrics.token.as_ref().map(|t| t.expose().to_owned()),
        },
        rate_limit: hatchery_web::ratelimit::RateLimitSettings {
            enabled: cfg.rate_limit.enabled,
            budget: hatchery_core::ratelimit::Budget {
                burst: cfg.rate_limit.burst,
                per_minute: cfg.rate_limit.per_minute,
            },
            max_addresses: cfg.rate_limit.max_addresses,
        },
        trusted_proxies: cfg.server.trusted_proxies(),
        ldap_sync: std::time::Duration::from_secs(cfg.auth.ldap_sync_minutes * 60),
        require_two_factor: cfg.auth.require_two_factor,
        ssh_clone: ssh_clone_base(cfg),
        migrations_allowed_hosts: cfg.migrations.allowed(),
    }
}

/// The `[ssh]` limits as the SSH server takes them.
pub fn ssh_settings(cfg: &Config) -> hatchery_ssh::SshSettings {
    hatchery_ssh::SshSettings {
        max_sessions: cfg.ssh.max_sessions,
        idle_timeout: std::time::Duration::from_secs(cfg.ssh.idle_timeout_secs),
        max_auth_attempts: cfg.ssh.max_auth_attempts,
    }
}

/// The SSH server's host keys in `data_dir/ssh`, made on first start.
pub async fn ssh_host_keys(cfg: &Config) -> anyhow::Result<Vec<hatchery_ssh::host_keys::HostKey>> {
    let dir = crate::config::SshConfig::host_key_dir(&cfg.data_dir);
    tokio::task::spawn_blocking(move || hatchery_ssh::host_keys::load_or_generate(&dir))
        .await
        .context("generating the SSH host keys panicked")?
        .context("the SSH host keys")
}

/// The built-in SSH server with its listener, to serve beside HTTP.
pub struct SshPart {
    pub server: hatchery_ssh::SshServer,
    pub listener: tokio::net::TcpListener,
}

/// The `webhook.*` settings as the delivery worker takes them.
pub fn webhook_settings(cfg: &Config) -> hatchery_service::webhooks::WebhookSettings {
    hatchery_service::webhooks::WebhookSettings {
        allowed_hosts: cfg.webhook.allowed(),
        delivery_timeout: std::time::Duration::from_secs(cfg.webhook.delivery_timeout_secs),
        max_attempts: cfg.webhook.max_attempts,
        retry_delays_ms: cfg.webhook.retry_delays_ms(),
        public_url: cfg.server.public_url.clone(),
        ssh_clone: ssh_clone_base(cfg),
    }
}

/// Where the UI and the API say to clone over SSH, when the SSH server is on.
pub fn ssh_clone_base(cfg: &Config) -> Option<hatchery_core::ssh::SshCloneBase> {
    cfg.ssh.enabled.then(|| hatchery_core::ssh::SshCloneBase {
        user: cfg.ssh.user.clone(),
        host: cfg.ssh.public_host.clone(),
        port: cfg.ssh.public_port,
    })
}

/// The use cases over `store`, configured as the server would configure them.
pub fn forge(cfg: &Config, store: Store) -> hatchery_service::Forge {
    let signin =
        hatchery_service::SignInPolicy::new(cfg.auth.max_failed_logins, cfg.auth.lockout_minutes);
    hatchery_service::Forge::new(store, cfg.data_dir.join("repositories"), signin)
        .with_webhooks(webhook_settings(cfg))
        .with_releases(hatchery_service::releases::ReleaseStorage {
            dir: cfg.data_dir.join("releases"),
            max_asset_bytes: cfg.release.max_asset_bytes,
        })
        .with_remotes(hatchery_service::remote::RemoteSettings {
            allowed_hosts: cfg.migrations.allowed(),
            max_pack_bytes: cfg.git.max_push_bytes,
            max_duration: std::time::Duration::from_secs(cfg.git.max_push_secs),
        })
}

/// Everything up to a ready application state.
pub async fn prepare(cfg: &Config) -> anyhow::Result<AppState> {
    let store = open_store(cfg).await?;
    let secret = signing_secret(cfg, &store).await?;
    Ok(AppState::new(store, web_config(cfg, secret)))
}

/// Serves on an already bound listener until `shutdown` resolves; in-flight requests
/// finish first. Tests call this with port 0.
pub async fn run(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    run_with_ssh(state, listener, None, shutdown).await
}

/// [`run`], with the SSH server beside HTTP when given: both stop accepting when
/// `shutdown` resolves, and both let the requests and git commands in flight finish.
pub async fn run_with_ssh(
    state: AppState,
    listener: tokio::net::TcpListener,
    ssh: Option<SshPart>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stopping_tx, stopping) = tokio::sync::watch::channel(false);
    let stopping_tx = std::sync::Arc::new(stopping_tx);
    let signal = stopping_tx.clone();
    tokio::spawn(async move {
        shutdown.await;
        let _ = signal.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let ssh_task = ssh.map(|part| {
        let stop = stopped(stopping.clone());
        tokio::spawn(async move { part.server.run(part.listener, stop).await })
    });
    let background = hatchery_web::spawn_background(&state);
    // Webhook deliveries: queued in the database, sent by this worker (and by every other
    // server's on the same database).
    let (stop_hooks, hooks_stopped) = tokio::sync::oneshot::channel::<()>();
    let mut hooks = tokio::spawn(hatchery_service::webhooks::run_webhook_worker(
        state.forge.webhook_worker(),
        async move {
            let _ = hooks_stopped.await;
        },
    ));
    // Incubator votes close by themselves at their deadline (or once decided): this job,
    // driven from the database, is safe to run on every server.
    let (stop_votes, votes_stopped) = tokio::sync::oneshot::channel::<()>();
    let closer_state = state.clone();
    let votes = tokio::spawn(async move {
        hatchery_service::incubator::run_vote_closer(&closer_state.forge, async move {
            let _ = votes_stopped.await;
        })
        .await;
    });
    // Pull and push mirrors that are due: driven from the database (a lease per mirror),
    // safe on every server.
    let (stop_mirrors, mirrors_stopped) = tokio::sync::oneshot::channel::<()>();
    let mirror_state = state.clone();
    let mirrors = tokio::spawn(async move {
        hatchery_service::mirrors::run_mirror_job(&mirror_state.forge, async move {
            let _ = mirrors_stopped.await;
        })
        .await;
    });
    let app = hatchery_web::router(state.clone());
    let result = hatchery_web::serve(listener, app, stopped(stopping.clone())).await;
    // Should HTTP have failed, SSH stops too.
    let _ = stopping_tx.send(true);
    let ssh_result = match ssh_task {
        Some(task) => match task.await {
            Ok(r) => r.context("the SSH server failed"),
            Err(e) => Err(anyhow::anyhow!("the SSH server panicked: {e}")),
        },
        None => Ok(()),
    };
    background.abort();
    // Deliveries in flight finish (each is bounded by the delivery timeout); one that does
    // not is taken up again by a worker once its lease runs out.
    let _ = stop_hooks.send(());
    let grace = state.forge.webhook_settings().delivery_timeout + std::time::Duration::from_secs(5);
    if tokio::time::timeout(grace, &mut hooks).await.is_err() {
        hooks.abort();
    }
    // A round of closing in progress finishes (it may be moving a repository on disk).
    let _ = stop_votes.send(());
    let _ = votes.await;
    // A sync in progress finishes (bounded by git.max_push_secs).
    let _ = stop_mirrors.send(());
    let _ = mirrors.await;
    state.store.close().await;
    result.context("the HTTP server failed")?;
    ssh_result
}

/// Takes over SIGINT (Ctrl-C) and SIGTERM now, and returns a future that resolves when
/// either arrives. The handlers are installed here rather than when the future is first
/// polled (as `tokio::signal::ctrl_c` would): until then the default action, ending the
/// process on the spot, stays in force, and a server that already answers requests could
/// still be killed mid-request by a signal sent as soon as it is up.
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        }
    };
    #[cfg(not(unix))]
    let signals = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    Ok(async move {
        signals.await;
        tracing::info!("shutting down: finishing requests in flight");
    })
}
