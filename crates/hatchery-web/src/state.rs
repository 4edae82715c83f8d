//! Shared application state: one `Arc` cloned into every handler.

use hatchery_core::signin::TwoFactorRequirement;
use hatchery_service::webhooks::WebhookSettings;
use hatchery_service::{Forge, SignInPolicy};
use hatchery_store::Store;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The settings the web layer needs, taken from the server configuration.
#[derive(Clone)]
pub struct WebConfig {
    /// Absolute, with a trailing slash; used in links and clone URLs.
    pub public_url: String,
    pub allow_signup: bool,
    /// Signs the CSRF cookie and the session cookie.
    pub secret: String,
    pub session_days: u32,
    pub max_failed_logins: u32,
    pub lockout_minutes: u32,
    pub max_form_bytes: usize,
    pub request_timeout: Duration,
    /// Where the bare repositories live (`data_dir/repositories`).
    pub repositories_dir: PathBuf,
    /// Where release asset files live (`data_dir/releases`).
    pub releases_dir: PathBuf,
    /// Largest accepted release asset, in bytes (`release.max_asset_bytes`).
    pub max_release_asset_bytes: u64,
    /// Largest accepted push, in bytes.
    pub max_push_bytes: u64,
    /// Packs generated or received at once; more wait their turn.
    pub max_concurrent_packs: usize,
    /// Longest a push may take (`git.max_push_secs`).
    pub max_push: Duration,
    /// How long a successful Basic password check is remembered (`auth.basic_cache_secs`).
    pub basic_cache: Duration,
    /// `webhook.*`: allowed destinations, timeout, retries. Its `public_url` is replaced
    /// by the one above.
    pub webhook: WebhookSettings,
    /// Imports from other forges: where they may connect, how long they wait for rate
    /// limits.
    pub imports: hatchery_service::import::ImportSettings,
    /// How often the LDAP sources' team sync runs (`auth.ldap_sync_minutes`; zero: never).
    pub ldap_sync: Duration,
    /// "Two-factor required" until an administrator sets it (`auth.require_two_factor`).
    pub require_two_factor: TwoFactorRequirement,
    /// `metrics.*`: whether `/metrics` is served, and the bearer token it asks for.
    pub metrics: MetricsSettings,
    /// `rate_limit.*`: budgets of the expensive anonymous pages.
    pub rate_limit: crate::ratelimit::RateLimitSettings,
    /// `server.trusted_proxies`: peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: hatchery_core::netpolicy::AllowedHosts,
    /// `ssh.*`: where people clone from over SSH; `None` when SSH is off (no SSH URLs).
    pub ssh_clone: Option<hatchery_core::ssh::SshCloneBase>,
    /// `migrations.allowed_hosts`: where mirrors and imports may connect.
    pub migrations_allowed_hosts: hatchery_core::netpolicy::AllowedHosts,
}

/// `metrics.enabled` and `metrics.token`.
#[derive(Clone, Default)]
pub struct MetricsSettings {
    pub enabled: bool,
    /// `None`: no token asked for.
    pub token: Option<String>,
}

impl fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("enabled", &self.enabled)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl WebConfig {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Settings for tests and examples: signup on, a fixed secret.
    pub fn for_tests() -> WebConfig {
        WebConfig {
            public_url: "http://127.0.0.1:3000/".into(),
            allow_signup: true,
            secret: "test-secret-test-secret-test-secret-0123".into(),
            session_days: 30,
            max_failed_logins: 5,
            lockout_minutes: 15,
            max_form_bytes: 1 << 20,
            request_timeout: Duration::from_secs(60),
            repositories_dir: std::env::temp_dir().join("hatchery-test-repositories"),
            releases_dir: std::env::temp_dir().join("hatchery-test-releases"),
            max_release_asset_bytes: hatchery_service::releases::DEFAULT_MAX_ASSET_BYTES,
            max_push_bytes: 1 << 30,
            max_concurrent_packs: 4,
            max_push: Duration::from_secs(3600),
            basic_cache: Duration::from_secs(300),
            webhook: WebhookSettings::default(),
            imports: Default::default(),
            metrics: MetricsSettings::default(),
            rate_limit: crate::ratelimit::RateLimitSettings {
                enabled: false,
                ..Default::default()
            },
            trusted_proxies: hatchery_core::netpolicy::AllowedHosts::none(),
            ldap_sync: Duration::ZERO,
            require_two_factor: TwoFactorRequirement::Off,
            ssh_clone: None,
            migrations_allowed_hosts: hatchery_core::netpolicy::AllowedHosts::default(),
        }
    }
}

impl fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebConfig")
            .field("public_url", &self.public_url)
            .field("allow_signup", &self.allow_signup)
            .field("secret", &"[redacted]")
            .field("session_days", &self.session_days)
            .field("max_failed_logins", &self.max_failed_logins)
            .field("lockout_minutes", &self.lockout_minutes)
            .field("max_form_bytes", &self.max_form_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("repositories_dir", &self.repositories_dir)
            .field("releases_dir", &self.releases_dir)
            .field("max_release_asset_bytes", &self.max_release_asset_bytes)
            .field("max_push_bytes", &self.max_push_bytes)
            .field("max_concurrent_packs", &self.max_concurrent_packs)
            .field("max_push", &self.max_push)
            .field("basic_cache", &self.basic_cache)
            .field("webhook", &self.webhook)
            .field("metrics", &self.metrics)
            .field("rate_limit", &self.rate_limit)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("ldap_sync", &self.ldap_sync)
            .field("require_two_factor", &self.require_two_factor)
            .field("ssh_clone", &self.ssh_clone)
            .field("migrations_allowed_hosts", &self.migrations_allowed_hosts)
            .finish()
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    /// The use cases shared with the CLI and the other surfaces.
    pub forge: Forge,
    pub cfg: WebConfig,
    /// Bounds the pack generations and receptions running at once (each is CPU and
    /// memory heavy); shared so that a permit can move into the blocking task.
    pub pack_permits: Arc<Semaphore>,
    /// Content-addressed caches for code browsing.
    pub caches: crate::cache::Caches,
    /// What `/metrics` counts as it happens.
    pub metrics: crate::metrics::Metrics,
    /// Buckets of the expensive anonymous pages, per client address.
    pub limiter: crate::ratelimit::RateLimiter,
}

impl AppState {
    pub fn new(store: Store, cfg: WebConfig) -> AppState {
        let signin = SignInPolicy::new(cfg.max_failed_logins, cfg.lockout_minutes);
        let mut forge = Forge::new(store.clone(), cfg.repositories_dir.clone(), signin)
            .with_webhooks(WebhookSettings {
                public_url: cfg.public_url.clone(),
                ssh_clone: cfg.ssh_clone.clone(),
                ..cfg.webhook.clone()
            })
            .with_credential_cache(&cfg.secret, cfg.basic_cache)
            .with_imports(cfg.imports.clone())
            .with_seal_key(&cfg.secret)
            .with_remotes(hatchery_service::remote::RemoteSettings {
                allowed_hosts: cfg.migrations_allowed_hosts.clone(),
                max_pack_bytes: cfg.max_push_bytes,
                max_duration: cfg.max_push,
            })
            .with_releases(hatchery_service::releases::ReleaseStorage {
                dir: cfg.releases_dir.clone(),
                max_asset_bytes: cfg.max_release_asset_bytes,
            });
        forge.two_factor_default = cfg.require_two_factor;
        let pack_permits = Arc::new(Semaphore::new(cfg.max_concurrent_packs.max(1)));
        AppState(Arc::new(Inner {
            store,
            forge,
            pack_permits,
            caches: crate::cache::Caches::default(),
            metrics: crate::metrics::Metrics::default(),
            limiter: crate::ratelimit::RateLimiter::new(cfg.rate_limit),
            cfg,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Lets use cases that run blocking work move the state (and so the forge) into the
/// blocking thread.
impl AsRef<Forge> for AppState {
    fn as_ref(&self) -> &Forge {
        &self.forge
    }
}
