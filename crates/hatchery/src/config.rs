//! Configuration: built-in defaults, then a TOML file, then `HATCHERY__...`
//! environment variables, checked before anything starts.
//!
//! Layers, each overriding the one before (merged with figment):
//!
//! 1. built-in defaults;
//! 2. a TOML file: the `explicit_path` given to [`Config::load`] (`--config PATH`, which
//!    must exist), otherwise `<data_dir>/hatchery.toml` when present, `data_dir` being the
//!    one known from the defaults and the environment;
//! 3. environment variables `HATCHERY__SECTION__KEY` (`HATCHERY__DATA_DIR` for the
//!    top-level key; names are case-insensitive), and `HATCHERY__SECTION__KEY_FILE`, which
//!    reads the value from a file (for secrets). Setting both is an error.
//!
//! Unknown keys, in the file or in the environment, are errors, as are values of the
//! wrong type and values that fail validation: every message names the key, the problem
//! and where the value came from. Neither `Debug` nor an error message ever shows the
//! signing secret or the password inside a database URL.
//!
//! Every key is described once, in [`KEYS`]; [`default_config_toml`] and the reference
//! table in `docs/configuration.md` are generated from that table.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use figment::error::{Actual, Kind};
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};

/// Prefix of the environment variables read by [`Config::load`].
pub const ENV_PREFIX: &str = "HATCHERY__";

/// Name of the configuration file looked for in the data directory.
pub const CONFIG_FILE_NAME: &str = "hatchery.toml";

/// Suffix of an environment variable whose value is the path of a file holding the value.
const FILE_SUFFIX: &str = "_file";

/// Name of the figment provider for environment variables; recognised in error messages.
const ENV_PROVIDER_NAME: &str = "HATCHERY__ environment variables";

// ---------------------------------------------------------------------------------------
// The configuration as the rest of the program sees it.

/// The validated configuration. Build it with [`Config::load`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where state lives on disk (SQLite database by default, repositories, ...).
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub git: GitConfig,
    pub webhook: WebhookConfig,
    pub migrations: MigrationsConfig,
    pub release: ReleaseConfig,
    pub metrics: MetricsConfig,
    pub rate_limit: RateLimitConfig,
    pub ssh: SshConfig,
}

/// The built-in SSH server (`[ssh]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshConfig {
    pub enabled: bool,
    /// Address the SSH server binds.
    pub listen: SocketAddr,
    /// The user name in clone URLs (`git@host`).
    pub user: String,
    /// Host name in clone URLs: the configured one, or the host of `server.public_url`.
    pub public_host: String,
    /// Port in clone URLs: the configured one, or the port of `ssh.listen`.
    pub public_port: u16,
    pub max_sessions: usize,
    pub idle_timeout_secs: u64,
    pub max_auth_attempts: u32,
}

impl SshConfig {
    /// Where the host keys live: `data_dir/ssh`.
    pub fn host_key_dir(data_dir: &Path) -> PathBuf {
        data_dir.join("ssh")
    }
}

/// Budgets of the expensive anonymous pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub enabled: bool,
    pub burst: u32,
    pub per_minute: u32,
    pub max_addresses: usize,
}

/// `/metrics` (Prometheus), like Gitea's `[metrics]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// `None`: the endpoint asks for no token.
    pub token: Option<Secret>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Absolute `http://` or `https://` URL of the site, always ending with `/`.
    pub public_url: String,
    pub request_timeout_secs: u64,
    pub max_form_bytes: usize,
    /// Validated: [`ServerConfig::trusted_proxies`] parses it again without failing.
    pub trusted_proxies: String,
}

#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// `sqlite:...`, `postgres:...` or `postgresql:...`. May hold a password: log
    /// [`DatabaseConfig::url_redacted`] instead.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthConfig {
    pub allow_signup: bool,
    /// `None`: the server generates a secret and persists it.
    pub secret: Option<Secret>,
    pub session_days: u32,
    pub max_failed_logins: u32,
    pub lockout_minutes: u32,
    /// Seconds a successful Basic (git, API) password check is remembered; 0: never.
    pub basic_cache_secs: u64,
    /// Minutes between two LDAP team syncs; 0: never (sign-ins still apply the mapping).
    pub ldap_sync_minutes: u64,
    /// Who must use two-factor authentication until an administrator changes it.
    pub require_two_factor: hatchery_core::signin::TwoFactorRequirement,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// A `tracing_subscriber::EnvFilter` directive such as `info` or `info,hatchery=debug`.
    pub level: String,
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitConfig {
    pub max_push_bytes: u64,
    pub max_concurrent_packs: usize,
    /// Longest a push may take; older quarantine directories are crash leftovers.
    pub max_push_secs: u64,
}

/// Releases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseConfig {
    /// Largest accepted release asset, in bytes.
    pub max_asset_bytes: u64,
}

/// Webhook deliveries. The texts are validated: [`WebhookConfig::allowed`] and
/// [`WebhookConfig::retry_delays_ms`] parse them again without failing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Gitea's list: `loopback`, `private`, `external`, `*`, CIDRs, host names.
    pub allowed_hosts: String,
    pub delivery_timeout_secs: u64,
    pub max_attempts: u32,
    /// Like `10s, 1m, 5m, 30m, 2h`.
    pub retry_delays: String,
}

impl WebhookConfig {
    pub fn allowed(&self) -> hatchery_core::netpolicy::AllowedHosts {
        hatchery_core::netpolicy::AllowedHosts::parse(&self.allowed_hosts).unwrap_or_default()
    }

    pub fn retry_delays_ms(&self) -> Vec<u64> {
        hatchery_core::webhooks::parse_delays(&self.retry_delays).unwrap_or_default()
    }
}

/// Pull and push mirrors and imports (`[migrations]`). The text is validated:
/// [`MigrationsConfig::allowed`] parses it again without failing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationsConfig {
    /// Where mirrors and imports may connect, in `webhook.allowed_hosts`' syntax.
    pub allowed_hosts: String,
}

impl MigrationsConfig {
    pub fn allowed(&self) -> hatchery_core::netpolicy::AllowedHosts {
        hatchery_core::netpolicy::AllowedHosts::parse(&self.allowed_hosts).unwrap_or_default()
    }
}

/// A secret value (the signing key). `Debug` and `Display` print `[redacted]`; the value
/// is only reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// A would-be [`Secret`] shorter than [`Secret::MIN_LEN`] characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a secret must be at least {min} characters long; this one has {0}", min = Secret::MIN_LEN)]
pub struct SecretTooShort(pub usize);

impl Secret {
    /// The fewest characters a configured secret may have.
    pub const MIN_LEN: usize = 32;

    /// Wraps `value`, refusing one shorter than [`Secret::MIN_LEN`] characters.
    pub fn new(value: impl Into<String>) -> Result<Secret, SecretTooShort> {
        let value = value.into();
        match value.chars().count() {
            n if n < Self::MIN_LEN => Err(SecretTooShort(n)),
            _ => Ok(Secret(value)),
        }
    }

    /// A fresh random secret: 32 bytes from the thread's CSPRNG, hex-encoded (64 characters).
    pub fn generate() -> Secret {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes[..]);
        Secret(hex::encode(bytes))
    }

    /// The secret itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl ServerConfig {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn trusted_proxies(&self) -> hatchery_core::netpolicy::AllowedHosts {
        hatchery_core::netpolicy::AllowedHosts::parse(&self.trusted_proxies)
            .unwrap_or_else(|_| hatchery_core::netpolicy::AllowedHosts::none())
    }
}

impl DatabaseConfig {
    /// The URL with any password replaced by `[redacted]`, safe to log.
    pub fn url_redacted(&self) -> String {
        redact_url(&self.url)
    }

    /// Whether the URL points at SQLite (otherwise PostgreSQL).
    pub fn is_sqlite(&self) -> bool {
        self.url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("sqlite:"))
    }
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &self.url_redacted())
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl AuthConfig {
    pub fn session_duration(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_days) * 24 * 60 * 60)
    }

    pub fn lockout_duration(&self) -> Duration {
        Duration::from_secs(u64::from(self.lockout_minutes) * 60)
    }
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    /// `text` or `json`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("text") {
            Ok(LogFormat::Text)
        } else if s.eq_ignore_ascii_case("json") {
            Ok(LogFormat::Json)
        } else {
            Err(format!("{s:?} is not a log format; use text or json"))
        }
    }
}

impl Default for Config {
    /// The built-in defaults, as [`Config::load`] returns them with no file and no
    /// environment variables.
    fn default() -> Config {
        build(RawConfig::default(), None).expect("the built-in defaults are valid")
    }
}

// ---------------------------------------------------------------------------------------
// Errors.

/// Why the configuration could not be loaded. `Display` gives a message for the person
/// starting the server; it never contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file given with `--config` does not exist.
    #[error("configuration file {} does not exist", .0.display())]
    NotFound(PathBuf),
    #[error("cannot read configuration file {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("configuration file {} is not valid TOML: {message}", .path.display())]
    Syntax { path: PathBuf, message: String },
    /// One or more keys have bad values (or are unknown).
    #[error("{}", ProblemLines(.0))]
    Invalid(Vec<Problem>),
}

/// One bad key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The dotted key, e.g. `server.listen`.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
    /// Where the value came from, e.g. `in /etc/hatchery.toml` or
    /// `from environment variable HATCHERY__SERVER__LISTEN`; `None` for defaults.
    pub origin: Option<String>,
}

impl ConfigError {
    /// The keys named by an [`ConfigError::Invalid`] error (empty for the others).
    pub fn keys(&self) -> Vec<&str> {
        match self {
            ConfigError::Invalid(problems) => problems.iter().map(|p| p.key.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)?;
        if let Some(origin) = &self.origin {
            write!(f, " ({origin})")?;
        }
        Ok(())
    }
}

struct ProblemLines<'a>(&'a [Problem]);

impl fmt::Display for ProblemLines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "invalid configuration: {problem}")?;
        }
        Ok(())
    }
}

impl Problem {
    fn new(key: impl Into<String>, message: impl Into<String>, origin: Option<String>) -> Self {
        Problem {
            key: key.into(),
            message: message.into(),
            origin,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Loading.

impl Config {
    /// Loads the configuration from the defaults, the TOML file and the process
    /// environment. `explicit_path` is `--config PATH`: it must exist.
    pub fn load(explicit_path: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_from(explicit_path, &process_env()?)
    }

    /// The configuration in force, as TOML: every key with its effective value (defaults,
    /// the file and the environment merged), for `hatchery dump`. Keys holding secrets (the
    /// signing secret, the database URL, which may carry a password) are left out unless
    /// `include_secrets`.
    pub fn effective_toml(
        explicit_path: Option<&Path>,
        include_secrets: bool,
    ) -> Result<String, ConfigError> {
        let figment = merged_figment(explicit_path, &process_env()?)?;
        let raw: RawConfig = figment.extract().map_err(figment_error)?;
        let mut value = toml::Table::try_from(&raw).map_err(|e| {
            ConfigError::Invalid(vec![Problem::new(String::new(), e.to_string(), None)])
        })?;
        if !include_secrets {
            for spec in KEYS.iter().filter(|spec| spec.sensitive) {
                match spec.key.split_once('.') {
                    Some((section, key)) => {
                        if let Some(toml::Value::Table(t)) = value.get_mut(section) {
                            t.remove(key);
                        }
                    }
                    None => {
                        value.remove(spec.key);
                    }
                }
            }
        }
        Ok(value.to_string())
    }

    /// As [`Config::load`], with the environment given as data (variables without the
    /// `HATCHERY__` prefix are ignored).
    pub fn load_from(
        explicit_path: Option<&Path>,
        env: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let figment = merged_figment(explicit_path, env)?;
        let raw: RawConfig = figment.extract().map_err(figment_error)?;
        build(raw, Some(&figment))
    }

    /// Whether the public URL is `https://` (session cookies are then `Secure`).
    pub fn public_url_is_https(&self) -> bool {
        self.server.public_url.starts_with("https://")
    }
}

/// The `HATCHERY__` variables of the process environment.
fn process_env() -> Result<Vec<(String, String)>, ConfigError> {
    let mut env = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if !has_env_prefix(name) {
            continue;
        }
        match value.into_string() {
            Ok(value) => env.push((name.to_owned(), value)),
            Err(_) => problems.push(Problem::new(
                env_key_path(name),
                "the value is not valid UTF-8",
                Some(format!("from environment variable {name}")),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    Ok(env)
}

/// Defaults, then the file, then the environment, merged (see the module documentation).
fn merged_figment(
    explicit_path: Option<&Path>,
    env: &[(String, String)],
) -> Result<Figment, ConfigError> {
    let env = EnvProvider::from_vars(env)?;
    let defaults = Serialized::defaults(RawConfig::default());

    let file = match explicit_path {
        Some(path) => match path.try_exists() {
            Ok(true) => Some(path.to_path_buf()),
            Ok(false) => return Err(ConfigError::NotFound(path.to_path_buf())),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        },
        None => {
            // The data directory as known before the file is read.
            let data_dir: PathBuf = Figment::from(defaults.clone())
                .merge(env.clone())
                .extract_inner("data_dir")
                .map_err(figment_error)?;
            let path = data_dir.join(CONFIG_FILE_NAME);
            match path.try_exists() {
                // an empty data_dir is reported by validation, not looked in
                _ if data_dir.as_os_str().is_empty() => None,
                Ok(true) => Some(path),
                Ok(false) => None,
                Err(source) => return Err(ConfigError::Read { path, source }),
            }
        }
    };

    let mut figment = Figment::from(defaults);
    if let Some(path) = &file {
        check_toml_syntax(path)?;
        figment = figment.merge(Toml::file_exact(path));
    }
    Ok(figment.merge(env))
}

/// The file must parse as TOML; reported here (with toml's line and column but without
/// its source excerpt, which could show a secret) rather than by figment.
fn check_toml_syntax(path: &Path) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if let Err(err) = text.parse::<toml::Table>() {
        let location = err.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: ")
        });
        return Err(ConfigError::Syntax {
            path: path.to_path_buf(),
            message: format!("{}{}", location.unwrap_or_default(), err.message().trim()),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The raw shape figment extracts, before validation.

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: PathBuf,
    server: RawServer,
    database: RawDatabase,
    auth: RawAuth,
    log: RawLog,
    git: RawGit,
    webhook: RawWebhook,
    migrations: RawMigrations,
    release: RawRelease,
    metrics: RawMetrics,
    rate_limit: RawRateLimit,
    ssh: RawSsh,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSsh {
    enabled: bool,
    listen: String,
    user: String,
    public_host: Option<String>,
    public_port: Option<u16>,
    max_sessions: usize,
    idle_timeout_secs: u64,
    max_auth_attempts: u32,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    enabled: bool,
    burst: u32,
    per_minute: u32,
    max_addresses: usize,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: String,
    public_url: Option<String>,
    request_timeout_secs: u64,
    max_form_bytes: usize,
    trusted_proxies: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<String>,
    max_connections: u32,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    allow_signup: bool,
    secret: Option<String>,
    session_days: u32,
    max_failed_logins: u32,
    lockout_minutes: u32,
    basic_cache_secs: u64,
    ldap_sync_minutes: u64,
    require_two_factor: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    level: String,
    format: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGit {
    max_push_bytes: u64,
    max_concurrent_packs: usize,
    max_push_secs: u64,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMigrations {
    allowed_hosts: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelease {
    max_asset_bytes: u64,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    enabled: bool,
    token: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    allowed_hosts: String,
    delivery_timeout_secs: u64,
    max_attempts: u32,
    retry_delays: String,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            data_dir: PathBuf::from("./data"),
            server: RawServer {
                listen: "127.0.0.1:3000".into(),
                public_url: None,
                request_timeout_secs: 60,
                max_form_bytes: 1024 * 1024,
                trusted_proxies: "loopback".into(),
            },
            database: RawDatabase {
                url: None,
                max_connections: 10,
            },
            auth: RawAuth {
                allow_signup: true,
                secret: None,
                session_days: 30,
                max_failed_logins: 5,
                lockout_minutes: 15,
                basic_cache_secs: 300,
                ldap_sync_minutes: 60,
                require_two_factor: "off".into(),
            },
            log: RawLog {
                level: "info".into(),
                format: "text".into(),
            },
            git: RawGit {
                max_push_bytes: 1 << 30,
                max_concurrent_packs: default_concurrent_packs(),
                max_push_secs: 3600,
            },
            webhook: RawWebhook {
                allowed_hosts: "external".into(),
                delivery_timeout_secs: 10,
                max_attempts: 5,
                retry_delays: "10s, 1m, 5m, 30m".into(),
            },
            migrations: RawMigrations {
                allowed_hosts: "external".into(),
            },
            release: RawRelease {
                max_asset_bytes: 2 << 30,
            },
            metrics: RawMetrics {
                enabled: false,
                token: None,
            },
            rate_limit: RawRateLimit {
                enabled: true,
                burst: 30,
                per_minute: 20,
                max_addresses: 10_000,
            },
            ssh: RawSsh {
                enabled: false,
                listen: "0.0.0.0:2222".into(),
                user: "git".into(),
                public_host: None,
                public_port: None,
                max_sessions: 64,
                idle_timeout_secs: 600,
                max_auth_attempts: 6,
            },
        }
    }
}

/// Two per core, at least two.
fn default_concurrent_packs() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_mul(2)
        .max(2)
}

// ---------------------------------------------------------------------------------------
// Validation.

/// Checks every value and fills in the derived defaults. `figment` (absent for the
/// built-in defaults) tells where a bad value came from.
fn build(raw: RawConfig, figment: Option<&Figment>) -> Result<Config, ConfigError> {
    let mut problems = Vec::new();
    let mut bad = |key: &str, message: String| {
        let origin = figment
            .and_then(|f| f.find_metadata(key))
            .and_then(|md| describe_origin(md, key));
        problems.push(Problem::new(key, message, origin));
    };

    if raw.data_dir.as_os_str().is_empty() {
        bad("data_dir", "must not be empty".into());
    }

    let listen = raw.server.listen.parse::<SocketAddr>();
    if listen.is_err() {
        bad(
            "server.listen",
            format!(
                "{:?} is not a socket address like 127.0.0.1:3000",
                raw.server.listen
            ),
        );
    }
    let listen = listen.unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 3000)));

    let public_url = match &raw.server.public_url {
        // An unspecified address (0.0.0.0, ::) is not one anybody can open: say localhost.
        None if listen.ip().is_unspecified() => format!("http://localhost:{}/", listen.port()),
        None => format!("http://{listen}/"),
        Some(url) => normalize_public_url(url).unwrap_or_else(|| {
            bad(
                "server.public_url",
                format!(
                    "{url:?} is not an absolute http:// or https:// URL like https://git.example.com/"
                ),
            );
            String::new()
        }),
    };
    if raw.server.request_timeout_secs == 0 {
        bad("server.request_timeout_secs", "must be at least 1".into());
    }
    if raw.server.max_form_bytes == 0 {
        bad("server.max_form_bytes", "must be at least 1".into());
    }

    let database_url = match raw.database.url {
        None => format!("sqlite://{}", raw.data_dir.join("hatchery.db").display()),
        Some(url) => {
            if let Err(message) = check_database_url(&url) {
                bad("database.url", message);
            }
            url
        }
    };
    if !(1..=1000).contains(&raw.database.max_connections) {
        bad(
            "database.max_connections",
            format!(
                "is {}; it must be between 1 and 1000",
                raw.database.max_connections
            ),
        );
    }

    let secret = raw.auth.secret.and_then(|value| match Secret::new(value) {
        Ok(secret) => Some(secret),
        Err(SecretTooShort(n)) => {
            bad(
                "auth.secret",
                format!(
                    "is {n} characters long; it must have at least {} \
                     (or leave it unset and the server generates one)",
                    Secret::MIN_LEN
                ),
            );
            None
        }
    });
    for (key, value) in [
        ("auth.session_days", raw.auth.session_days),
        ("auth.max_failed_logins", raw.auth.max_failed_logins),
        ("auth.lockout_minutes", raw.auth.lockout_minutes),
    ] {
        if value == 0 {
            bad(key, "must be at least 1".into());
        }
    }
    let require_two_factor =
        hatchery_core::signin::TwoFactorRequirement::parse(&raw.auth.require_two_factor)
            .unwrap_or_else(|| {
                bad(
                    "auth.require_two_factor",
                    format!(
                        "is {:?}; it must be off, admins or all",
                        raw.auth.require_two_factor
                    ),
                );
                Default::default()
            });
    if raw.auth.ldap_sync_minutes > 7 * 24 * 60 {
        bad(
            "auth.ldap_sync_minutes",
            format!(
                "is {}; it must be at most 10080 (a week), or 0 for never",
                raw.auth.ldap_sync_minutes
            ),
        );
    }

    if raw.log.level.trim().is_empty() {
        bad(
            "log.level",
            "must not be empty; use a level such as info".into(),
        );
    } else if let Err(err) = tracing_subscriber::EnvFilter::builder().parse(&raw.log.level) {
        bad(
            "log.level",
            format!(
                "{:?} is not a log filter like \"info\" or \"info,hatchery=debug\": {err}",
                raw.log.level
            ),
        );
    }
    let format = raw
        .log
        .format
        .parse::<LogFormat>()
        .unwrap_or_else(|message| {
            bad("log.format", message);
            LogFormat::Text
        });

    if raw.git.max_push_bytes == 0 {
        bad("git.max_push_bytes", "must be at least 1".into());
    }
    if raw.git.max_concurrent_packs == 0 {
        bad("git.max_concurrent_packs", "must be at least 1".into());
    }
    if raw.git.max_push_secs == 0 {
        bad("git.max_push_secs", "must be at least 1".into());
    }
    if raw.release.max_asset_bytes == 0 {
        bad("release.max_asset_bytes", "must be at least 1".into());
    }
    if let Err(e) = hatchery_core::netpolicy::AllowedHosts::parse(&raw.webhook.allowed_hosts) {
        bad("webhook.allowed_hosts", e.to_string());
    }
    if let Err(e) = hatchery_core::netpolicy::AllowedHosts::parse(&raw.migrations.allowed_hosts) {
        bad("migrations.allowed_hosts", e.to_string());
    }
    if !(1..=600).contains(&raw.webhook.delivery_timeout_secs) {
        bad(
            "webhook.delivery_timeout_secs",
            format!(
                "is {}; it must be between 1 and 600",
                raw.webhook.delivery_timeout_secs
            ),
        );
    }
    if !(1..=100).contains(&raw.webhook.max_attempts) {
        bad(
            "webhook.max_attempts",
            format!(
                "is {}; it must be between 1 and 100",
                raw.webhook.max_attempts
            ),
        );
    }
    if let Err(e) = hatchery_core::webhooks::parse_delays(&raw.webhook.retry_delays) {
        bad("webhook.retry_delays", e);
    }
    if let Err(e) = hatchery_core::netpolicy::AllowedHosts::parse(&raw.server.trusted_proxies) {
        bad("server.trusted_proxies", e.to_string());
    }
    for (key, value) in [
        ("rate_limit.burst", raw.rate_limit.burst),
        ("rate_limit.per_minute", raw.rate_limit.per_minute),
    ] {
        if !(1..=60_000).contains(&value) {
            bad(key, format!("is {value}; it must be between 1 and 60000"));
        }
    }
    if !(1..=10_000_000).contains(&raw.rate_limit.max_addresses) {
        bad(
            "rate_limit.max_addresses",
            format!(
                "is {}; it must be between 1 and 10000000",
                raw.rate_limit.max_addresses
            ),
        );
    }
    let metrics_token = match raw.metrics.token {
        None => None,
        Some(t) if t.is_empty() => None,
        Some(t) if t.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            bad(
                "metrics.token",
                "must not contain spaces or control characters (it is sent in an HTTP header)"
                    .into(),
            );
            None
        }
        Some(t) => Some(Secret(t)),
    };

    let ssh_listen = raw.ssh.listen.parse::<SocketAddr>().unwrap_or_else(|_| {
        bad(
            "ssh.listen",
            format!(
                "{:?} is not a socket address like 0.0.0.0:2222",
                raw.ssh.listen
            ),
        );
        SocketAddr::from(([0, 0, 0, 0], 2222))
    });
    if !hatchery_core::ssh::is_valid_ssh_user(&raw.ssh.user) {
        bad(
            "ssh.user",
            format!(
                "{:?} is not a user name for clone URLs (letters, digits, ., _ and -)",
                raw.ssh.user
            ),
        );
    }
    let ssh_public_host = match &raw.ssh.public_host {
        Some(host) => {
            if !hatchery_core::ssh::is_valid_ssh_host(host) {
                bad(
                    "ssh.public_host",
                    format!("{host:?} is not a host name or IP address like git.example.com"),
                );
            }
            host.clone()
        }
        None => host_of_url(&public_url).unwrap_or_else(|| "localhost".into()),
    };
    let ssh_public_port = match raw.ssh.public_port {
        Some(0) => {
            bad("ssh.public_port", "must be between 1 and 65535".into());
            0
        }
        Some(port) => port,
        None => ssh_listen.port(),
    };
    if !(1..=100_000).contains(&raw.ssh.max_sessions) {
        bad(
            "ssh.max_sessions",
            format!(
                "is {}; it must be between 1 and 100000",
                raw.ssh.max_sessions
            ),
        );
    }
    if !(1..=86_400).contains(&raw.ssh.idle_timeout_secs) {
        bad(
            "ssh.idle_timeout_secs",
            format!(
                "is {}; it must be between 1 and 86400",
                raw.ssh.idle_timeout_secs
            ),
        );
    }
    if !(1..=100).contains(&raw.ssh.max_auth_attempts) {
        bad(
            "ssh.max_auth_attempts",
            format!(
                "is {}; it must be between 1 and 100",
                raw.ssh.max_auth_attempts
            ),
        );
    }

    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    Ok(Config {
        data_dir: raw.data_dir,
        server: ServerConfig {
            listen,
            public_url,
            request_timeout_secs: raw.server.request_timeout_secs,
            max_form_bytes: raw.server.max_form_bytes,
            trusted_proxies: raw.server.trusted_proxies,
        },
        database: DatabaseConfig {
            url: database_url,
            max_connections: raw.database.max_connections,
        },
        auth: AuthConfig {
            allow_signup: raw.auth.allow_signup,
            secret,
            session_days: raw.auth.session_days,
            max_failed_logins: raw.auth.max_failed_logins,
            lockout_minutes: raw.auth.lockout_minutes,
            basic_cache_secs: raw.auth.basic_cache_secs,
            ldap_sync_minutes: raw.auth.ldap_sync_minutes,
            require_two_factor,
        },
        log: LogConfig {
            level: raw.log.level,
            format,
        },
        git: GitConfig {
            max_push_bytes: raw.git.max_push_bytes,
            max_concurrent_packs: raw.git.max_concurrent_packs,
            max_push_secs: raw.git.max_push_secs,
        },
        webhook: WebhookConfig {
            allowed_hosts: raw.webhook.allowed_hosts,
            delivery_timeout_secs: raw.webhook.delivery_timeout_secs,
            max_attempts: raw.webhook.max_attempts,
            retry_delays: raw.webhook.retry_delays,
        },
        migrations: MigrationsConfig {
            allowed_hosts: raw.migrations.allowed_hosts,
        },
        release: ReleaseConfig {
            max_asset_bytes: raw.release.max_asset_bytes,
        },
        metrics: MetricsConfig {
            enabled: raw.metrics.enabled,
            token: metrics_token,
        },
        rate_limit: RateLimitConfig {
            enabled: raw.rate_limit.enabled,
            burst: raw.rate_limit.burst,
            per_minute: raw.rate_limit.per_minute,
            max_addresses: raw.rate_limit.max_addresses,
        },
        ssh: SshConfig {
            enabled: raw.ssh.enabled,
            listen: ssh_listen,
            user: raw.ssh.user,
            public_host: ssh_public_host,
            public_port: ssh_public_port,
            max_sessions: raw.ssh.max_sessions,
            idle_timeout_secs: raw.ssh.idle_timeout_secs,
            max_auth_attempts: raw.ssh.max_auth_attempts,
        },
    })
}

/// The host of an `http(s)://host[:port]/...` URL (IPv6 without its brackets).
fn host_of_url(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// `Some(url ending with '/')` when `url` is an absolute http(s) URL without user
/// information, query or fragment. The scheme is lower-cased.
fn normalize_public_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) || rest.contains(['?', '#']) {
        return None;
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    // host, host:port, [v6] or [v6]:port
    let port = match authority.strip_prefix('[') {
        Some(v6) => {
            let (_, after) = v6.split_once(']')?;
            match after {
                "" => None,
                _ => Some(after.strip_prefix(':')?),
            }
        }
        None => authority.split_once(':').map(|(_, port)| port),
    };
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return None;
    }
    if authority.starts_with(':') {
        return None;
    }
    let mut normalized = format!("{scheme}://{rest}");
    if !normalized.ends_with('/') {
        normalized.push('/');
    }
    Some(normalized)
}

/// Checks the scheme of a database URL. The message never repeats the URL, which may hold
/// a password.
fn check_database_url(url: &str) -> Result<(), String> {
    const HINT: &str = "use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE";
    let lower = url.to_ascii_lowercase();
    for scheme in ["sqlite:", "postgres:", "postgresql:"] {
        if let Some(rest) = lower.strip_prefix(scheme) {
            return match rest.trim_start_matches('/').is_empty() {
                true => Err(format!(
                    "says which database ({scheme}) but not where; {HINT}"
                )),
                false => Ok(()),
            };
        }
    }
    match url.split_once(':') {
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            Err(format!(
                "the scheme {scheme:?} is not supported (only sqlite, postgres and postgresql); {HINT}"
            ))
        }
        _ if url.is_empty() => Err(format!("must not be empty; {HINT}")),
        _ => Err(format!("is not a database URL; {HINT}")),
    }
}

/// Replaces the password of `scheme://user:password@host/...` and the value of any
/// `...password=` query parameter with `[redacted]`. Errs on the side of hiding too much.
fn redact_url(url: &str) -> String {
    const REDACTED: &str = "[redacted]";
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    if url[..scheme_end].eq_ignore_ascii_case("sqlite") {
        return url.to_owned();
    }
    let (head, rest) = url.split_at(scheme_end + 3);
    let mut out = String::from(head);
    let rest = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(REDACTED);
                }
                None => out.push_str(userinfo),
            }
            &rest[at..]
        }
        None => rest,
    };
    match rest.split_once('?') {
        None => out.push_str(rest),
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((name, _)) if name.to_ascii_lowercase().ends_with("password") => {
                        format!("{name}={REDACTED}")
                    }
                    _ => param.to_owned(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Environment variables.

/// The `HATCHERY__` variables as a figment provider: values typed from [`KEYS`] (a string
/// key keeps its text verbatim, even `12345` or `true`), `_FILE` variants resolved.
#[derive(Clone)]
struct EnvProvider {
    dict: Dict,
    /// key -> the variable that set it, for error messages.
    vars: Arc<BTreeMap<String, String>>,
}

fn has_env_prefix(name: &str) -> bool {
    name.get(..ENV_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(ENV_PREFIX))
}

/// `HATCHERY__SERVER__LISTEN` -> `server.listen` (the caller checks the prefix).
fn env_key_path(name: &str) -> String {
    name[ENV_PREFIX.len()..]
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(".")
}

/// `server.listen` -> `HATCHERY__SERVER__LISTEN`.
pub fn env_var_name(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        key.replace('.', "__").to_ascii_uppercase()
    )
}

impl EnvProvider {
    fn from_vars(env: &[(String, String)]) -> Result<EnvProvider, ConfigError> {
        let mut problems = Vec::new();
        let from = |var: &str| Some(format!("from environment variable {var}"));
        // key -> (variable, value)
        let mut direct: BTreeMap<&'static str, (&str, &str)> = BTreeMap::new();
        let mut files: BTreeMap<&'static str, (&str, &str)> = BTreeMap::new();

        for (name, value) in env {
            if !has_env_prefix(name) {
                continue;
            }
            let path = env_key_path(name);
            let (spec, target) = match find_key(&path) {
                Some(spec) => (spec, &mut direct),
                None => match path.strip_suffix(FILE_SUFFIX).and_then(find_key) {
                    Some(spec) => (spec, &mut files),
                    None => {
                        problems.push(Problem::new(
                            path,
                            format!(
                                "unknown key (variables are {ENV_PREFIX}SECTION__KEY or \
                                 {ENV_PREFIX}SECTION__KEY_FILE; `hatchery default-config` \
                                 lists the keys)"
                            ),
                            from(name),
                        ));
                        continue;
                    }
                },
            };
            if let Some((other, _)) = target.insert(spec.key, (name.as_str(), value.as_str())) {
                problems.push(Problem::new(
                    spec.key,
                    format!("set twice, by {other} and by {name}"),
                    None,
                ));
            }
        }

        let mut values: BTreeMap<&'static str, (String, String)> = direct
            .iter()
            .map(|(key, (var, value))| (*key, ((*var).to_owned(), (*value).to_owned())))
            .collect();
        for (key, (file_var, path)) in files {
            if let Some((var, _)) = direct.get(key) {
                problems.push(Problem::new(
                    key,
                    format!("set by both {var} and {file_var}; use only one"),
                    None,
                ));
                continue;
            }
            match read_value_file(Path::new(path)) {
                Ok(value) => {
                    values.insert(key, (file_var.to_owned(), value));
                }
                Err(err) => problems.push(Problem::new(
                    key,
                    format!("cannot read the file {path:?}: {err}"),
                    from(file_var),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }

        let mut dict = Dict::new();
        let mut vars = BTreeMap::new();
        for (key, (var, value)) in values {
            let kind = find_key(key).map_or(ValueKind::Str, |spec| spec.kind);
            let value = typed_value(kind, value);
            match key.split_once('.') {
                None => {
                    dict.insert(key.to_owned(), value);
                }
                Some((section, name)) => {
                    let entry = dict
                        .entry(section.to_owned())
                        .or_insert_with(|| Value::from(Dict::new()));
                    if let Value::Dict(_, section) = entry {
                        section.insert(name.to_owned(), value);
                    }
                }
            }
            vars.insert(key.to_owned(), var);
        }
        Ok(EnvProvider {
            dict,
            vars: Arc::new(vars),
        })
    }
}

/// The contents of a `_FILE` file, without one final line ending.
fn read_value_file(path: &Path) -> io::Result<String> {
    let mut value = std::fs::read_to_string(path)?;
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    Ok(value)
}

/// Booleans and numbers become figment booleans and numbers when they parse; anything
/// else stays a string, so figment reports the type error with the key.
fn typed_value(kind: ValueKind, text: String) -> Value {
    match kind {
        ValueKind::Str => Value::from(text),
        ValueKind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => Value::from(true),
            "false" => Value::from(false),
            _ => Value::from(text),
        },
        ValueKind::Int => {
            if let Ok(n) = text.parse::<u64>() {
                Value::from(n)
            } else if let Ok(n) = text.parse::<i64>() {
                Value::from(n)
            } else {
                Value::from(text)
            }
        }
    }
}

impl Provider for EnvProvider {
    fn metadata(&self) -> Metadata {
        let vars = Arc::clone(&self.vars);
        Metadata::named(ENV_PROVIDER_NAME).interpolater(move |_: &Profile, keys: &[&str]| {
            let key = keys.join(".");
            vars.get(&key)
                .cloned()
                .unwrap_or_else(|| env_var_name(&key))
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut map = Map::new();
        map.insert(Profile::Default, self.dict.clone());
        Ok(map)
    }
}

// ---------------------------------------------------------------------------------------
// figment errors -> problems.

fn describe_origin(metadata: &Metadata, key: &str) -> Option<String> {
    if let Some(path) = metadata.source.as_ref().and_then(|s| s.file_path()) {
        return Some(format!("in {}", path.display()));
    }
    if metadata.name == ENV_PROVIDER_NAME {
        let keys: Vec<&str> = key.split('.').collect();
        let var = metadata.interpolate(&Profile::Default, &keys);
        return Some(format!("from environment variable {var}"));
    }
    None
}

fn figment_error(error: figment::Error) -> ConfigError {
    let mut problems: Vec<Problem> = error.into_iter().map(|e| figment_problem(&e)).collect();
    problems.dedup();
    ConfigError::Invalid(problems)
}

fn figment_problem(error: &figment::Error) -> Problem {
    let mut key = error.path.join(".");
    let hide_value = find_key(&key).is_none_or(|spec| spec.sensitive);
    let message = match &error.kind {
        Kind::UnknownField(field, expected) => {
            key = match key.is_empty() {
                true => field.clone(),
                false if key.ends_with(&format!(".{field}")) || key == *field => key,
                false => format!("{key}.{field}"),
            };
            match expected.is_empty() {
                true => "unknown key".to_owned(),
                false => format!("unknown key; expected one of: {}", expected.join(", ")),
            }
        }
        Kind::InvalidType(actual, expected) | Kind::InvalidValue(actual, expected) => format!(
            "expected {}, found {}",
            describe_expected(expected),
            describe_actual(actual, hide_value)
        ),
        Kind::MissingField(field) => {
            key = match key.is_empty() {
                true => field.to_string(),
                false => format!("{key}.{field}"),
            };
            "missing".to_owned()
        }
        // Kind's Display may quote the value.
        _ if hide_value => "invalid value (not shown: it may be secret)".to_owned(),
        other => other.to_string(),
    };
    let origin = error
        .metadata
        .as_ref()
        .and_then(|md| describe_origin(md, &key));
    Problem::new(key, message, origin)
}

fn describe_expected(expected: &str) -> String {
    let max = match expected {
        "u8" => u64::from(u8::MAX),
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        "u64" => u64::MAX,
        "usize" => usize::MAX as u64,
        "a boolean" => return "true or false".to_owned(),
        "path string" => return "a string (a path)".to_owned(),
        other if other.starts_with("struct ") => return "a table".to_owned(),
        other => return other.to_owned(),
    };
    format!("a whole number from 0 to {max}")
}

fn describe_actual(actual: &Actual, hide_value: bool) -> String {
    if !hide_value {
        return match actual {
            Actual::Unsigned(n) => format!("{n}"),
            Actual::Signed(n) => format!("{n}"),
            Actual::Float(n) => format!("{n}"),
            Actual::Str(s) => format!("{s:?}"),
            Actual::Bool(b) => format!("{b}"),
            Actual::Map => "a table".to_owned(),
            Actual::Seq => "an array".to_owned(),
            other => other.to_string(),
        };
    }
    match actual {
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "a number",
        Actual::Float(_) => "a decimal number",
        Actual::Str(_) | Actual::Char(_) => "a string",
        Actual::Map => "a table",
        Actual::Seq => "an array",
        _ => "another kind of value",
    }
    .to_owned()
}

// ---------------------------------------------------------------------------------------
// The key table, the annotated example file and the reference table.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ValueKind {
    Str,
    Bool,
    Int,
}

/// How a key's default is documented.
#[derive(Clone, Copy, Debug)]
enum DefaultDoc {
    /// A fixed default, as a TOML value.
    Literal(&'static str),
    /// Computed or unset: described in words; the example file shows `example`
    /// (a TOML value) commented out.
    Derived {
        text: &'static str,
        example: &'static str,
    },
}

/// One configuration key.
#[derive(Clone, Copy, Debug)]
struct KeySpec {
    /// Dotted: `section.name`, or `name` at the top level.
    key: &'static str,
    kind: ValueKind,
    default: DefaultDoc,
    /// Never repeat its value in a message.
    sensitive: bool,
    /// One paragraph, without `|`.
    help: &'static str,
}

const fn key(
    key: &'static str,
    kind: ValueKind,
    default: DefaultDoc,
    help: &'static str,
) -> KeySpec {
    KeySpec {
        key,
        kind,
        default,
        sensitive: false,
        help,
    }
}

const fn secret_key(
    key: &'static str,
    kind: ValueKind,
    default: DefaultDoc,
    help: &'static str,
) -> KeySpec {
    KeySpec {
        key,
        kind,
        default,
        sensitive: true,
        help,
    }
}

use DefaultDoc::{Derived, Literal};
use ValueKind::{Bool, Int, Str};

/// Every key, in the order of the example file. Sections are contiguous.
const KEYS: &[KeySpec] = &[
    key(
        "data_dir",
        Str,
        Literal(r#""./data""#),
        "Directory where Hatchery keeps its state: the SQLite database (by default) and the \
         git repositories. A relative path is relative to the working directory. When no \
         --config is given, the configuration file is looked for here as hatchery.toml.",
    ),
    key(
        "server.listen",
        Str,
        Literal(r#""127.0.0.1:3000""#),
        "IP address and port the HTTP server listens on. Use 0.0.0.0:3000 or [::]:3000 to \
         accept connections from other machines.",
    ),
    key(
        "server.public_url",
        Str,
        Derived {
            text: "http://<server.listen>/, e.g. http://127.0.0.1:3000/ (localhost when listening on all addresses)",
            example: r#""https://git.example.com/""#,
        },
        "The URL people reach this site at, used in clone URLs and links; set it when \
         Hatchery runs behind a reverse proxy or under a domain name. An absolute http:// \
         or https:// URL; a trailing slash is added when missing. With https:// the session \
         cookie is marked Secure. Security keys and passkeys (WebAuthn) use its host as the \
         relying party id and its origin as the only accepted origin: they need a host name \
         (not an IP address), reached over https:// or as http://localhost.",
    ),
    key(
        "server.request_timeout_secs",
        Int,
        Literal("60"),
        "Seconds a web request may take before it is abandoned and answered with \
         408 Request Timeout.",
    ),
    key(
        "server.max_form_bytes",
        Int,
        Literal("1048576"),
        "Largest accepted form submission, in bytes (1 MiB).",
    ),
    key(
        "server.trusted_proxies",
        Str,
        Literal(r#""loopback""#),
        "Reverse proxies whose X-Forwarded-For header names the client, as a comma-separated \
         list in webhook.allowed_hosts' syntax (loopback, private, *, CIDRs such as \
         172.17.0.0/16); empty: none. A request from one of them is taken to come from the \
         last address in X-Forwarded-For that is not a trusted proxy. The client address is \
         what sign-in throttling and rate limiting count by; behind a proxy on another \
         machine or in a container network, add its address, or every visitor looks like \
         the proxy.",
    ),
    secret_key(
        "database.url",
        Str,
        Derived {
            text: "sqlite://<data_dir>/hatchery.db, e.g. sqlite://./data/hatchery.db",
            example: r#""postgres://hatchery:PASSWORD@localhost:5432/hatchery""#,
        },
        "The database: sqlite://PATH for a SQLite file, or \
         postgres://USER:PASSWORD@HOST:PORT/DATABASE for PostgreSQL. To keep a password out \
         of files and the process environment, put the URL in a file and name it with \
         HATCHERY__DATABASE__URL_FILE.",
    ),
    key(
        "database.max_connections",
        Int,
        Literal("10"),
        "Most database connections open at once (1 to 1000).",
    ),
    key(
        "auth.allow_signup",
        Bool,
        Literal("true"),
        "Whether visitors may create their own accounts. When false, accounts are created \
         with `hatchery admin user create`.",
    ),
    secret_key(
        "auth.secret",
        Str,
        Derived {
            text: "none; the server generates a random one on first start and stores it in \
                   the database",
            example: r#""REPLACE-ME""#,
        },
        "Secret key used for signing, at least 32 characters (`openssl rand -hex 32` makes \
         one). Usually left unset; when set, prefer HATCHERY__AUTH__SECRET_FILE to writing \
         it here.",
    ),
    key(
        "auth.session_days",
        Int,
        Literal("30"),
        "Days a sign-in stays valid.",
    ),
    key(
        "auth.max_failed_logins",
        Int,
        Literal("5"),
        "Failed sign-ins for one account from one client address after which that address \
         is refused for that account for lockout_minutes. One address may fail ten times as \
         often over all accounts (many people can share an address behind a NAT). An \
         account as a whole is never locked: past this many failures from anywhere, each \
         further password check for it is slowed down (0.25 s, doubling, at most 4 s). \
         Access tokens are never throttled.",
    ),
    key(
        "auth.lockout_minutes",
        Int,
        Literal("15"),
        "The throttling window: minutes failures are counted, and an address stays refused.",
    ),
    key(
        "auth.basic_cache_secs",
        Int,
        Literal("300"),
        "Seconds a successful password check of HTTP Basic credentials (git, API) is \
         remembered in memory, so clients that send their password with every request do not \
         run argon2 each time. Keyed by an HMAC (signing secret) of the account, its password \
         hash and the password; a password change ends it. 0 turns the cache off. The sign-in \
         form always checks the password.",
    ),
    key(
        "auth.ldap_sync_minutes",
        Int,
        Literal("60"),
        "Minutes between two runs of the LDAP team sync: for every enabled LDAP sign-in source, \
         the accounts it created join and leave the teams its group mapping names, as their \
         groups in the directory say (at most 10080; 0: never — sign-ins still apply the \
         mapping). Each server runs it; a run is idempotent. Sign-in sources themselves are \
         rows managed under /admin/auths, the API (/api/v1/admin/auth_sources) and \
         `hatchery admin auth`.",
    ),
    key(
        "auth.require_two_factor",
        Str,
        Literal(r#""off""#),
        "Who must turn on two-factor authentication (an authenticator app or a security key / \
         passkey): off, admins or all. Until they do, \
         they are sent to enrolment at every page, and git and the API accept access tokens \
         only from them. The default for the site setting an administrator changes under \
         /admin/settings.",
    ),
    key(
        "log.level",
        Str,
        Literal(r#""info""#),
        "What to log, as a tracing filter: a level (error, warn, info, debug, trace) or \
         directives such as \"info,hatchery=debug\". The RUST_LOG environment variable, when \
         set, takes precedence.",
    ),
    key(
        "log.format",
        Str,
        Literal(r#""text""#),
        "text for human-readable lines, json for one JSON object per line. Logs go to \
         standard error.",
    ),
    key(
        "git.max_push_bytes",
        Int,
        Literal("1073741824"),
        "Largest accepted push, in bytes (1 GiB).",
    ),
    key(
        "git.max_concurrent_packs",
        Int,
        Derived {
            text: "2 × the number of CPU cores, at least 2",
            example: "4",
        },
        "Most packs built or received at the same time (clones, fetches and pushes); more \
         wait for a free slot.",
    ),
    key(
        "git.max_push_secs",
        Int,
        Literal("3600"),
        "Longest a push may take, in seconds; a slower one is aborted (the client gets an \
         error, no ref moves). The hourly upkeep removes quarantine directories \
         (objects/incoming-*) and half-built repositories (.trash/new-*) older than this, \
         which only a crashed server leaves behind.",
    ),
    key(
        "webhook.allowed_hosts",
        Str,
        Literal(r#""external""#),
        "Where webhooks may deliver, as a comma-separated list (Gitea's syntax): external \
         (addresses on the public internet), private (RFC 1918 and RFC 4193 networks, \
         carrier-grade NAT), loopback (127.0.0.0/8, ::1), * (anywhere), CIDRs such as \
         10.1.0.0/16, and host names, which may use * wildcards (*.example.com). Every \
         address a hook's host name resolves to is checked when a delivery is sent, and a \
         hook whose URL names a refused address is refused when saved. Link-local, \
         multicast and unspecified addresses are refused unless named by * or a CIDR.",
    ),
    key(
        "webhook.delivery_timeout_secs",
        Int,
        Literal("10"),
        "Seconds one delivery attempt may take (connecting, sending and reading the \
         answer) before it counts as failed (1 to 600).",
    ),
    key(
        "webhook.max_attempts",
        Int,
        Literal("5"),
        "Attempts per delivery before it is marked failed (1 to 100). A delivery succeeds \
         when the receiver answers 2xx; redirects are not followed.",
    ),
    key(
        "webhook.retry_delays",
        Str,
        Literal(r#""10s, 1m, 5m, 30m""#),
        "How long to wait after the first, second, ... failed attempt before the next, as \
         a comma-separated list of durations (ms, s, m, h); the last one repeats.",
    ),
    key(
        "migrations.allowed_hosts",
        Str,
        Literal(r#""external""#),
        "Where pull mirrors, push mirrors and imports may connect, in webhook.allowed_hosts' \
         syntax (external, private, loopback, *, CIDRs, host names). Only http:// and \
         https:// addresses are ever used (never file://, ssh:// or local paths); every \
         address a mirror's host resolves to is checked at each connection. Gitea's \
         [migrations] ALLOW_LOCALNETWORKS corresponds to adding private and loopback, \
         ALLOWED_DOMAINS to host names here.",
    ),
    key(
        "release.max_asset_bytes",
        Int,
        Literal("2147483648"),
        "Largest file accepted as a release asset, in bytes (2 GiB). A larger upload is \
         refused with 413 as soon as it passes the limit, and nothing of it is kept. Asset \
         files are stored in data_dir/releases/.",
    ),
    key(
        "rate_limit.enabled",
        Bool,
        Literal("true"),
        "Limit how often one client address may ask for the expensive pages when not \
         signed in: blame, the history of a path (commits/...), commit pages, comparisons, \
         archives, and searches (issue, pull request, explore and API searches with a \
         query), plus the API's commit lists. Signed-in visitors and API callers with \
         credentials are not limited. A refused request gets 429 Too Many Requests with \
         Retry-After. Raw files are not limited (README images load from them).",
    ),
    key(
        "rate_limit.burst",
        Int,
        Literal("30"),
        "Expensive requests one address may make at once (the bucket's size, 1 to 60000).",
    ),
    key(
        "rate_limit.per_minute",
        Int,
        Literal("20"),
        "Expensive requests per minute one address may make once its burst is spent (the \
         bucket's refill rate, 1 to 60000).",
    ),
    key(
        "rate_limit.max_addresses",
        Int,
        Literal("10000"),
        "Client addresses remembered at most (an IPv6 address counts by its /64). When \
         full, addresses whose bucket has refilled are forgotten first, then those closest \
         to full; each takes a few dozen bytes.",
    ),
    key(
        "metrics.enabled",
        Bool,
        Literal("false"),
        "Serve /metrics for Prometheus (OpenMetrics text format): HTTP requests by route \
         template and status with latency histograms, git clones, fetches and pushes with \
         bytes and durations, the database pool, background jobs, webhook deliveries and \
         the totals of users, organizations, repositories, issues and pull requests. When \
         false, /metrics is 404.",
    ),
    secret_key(
        "metrics.token",
        Str,
        Derived {
            text: "none: anyone who can reach /metrics may read it",
            example: r#""REPLACE-ME""#,
        },
        "When set, /metrics answers only requests with the header Authorization: Bearer \
         TOKEN (Prometheus: authorization.credentials, or bearer_token) and 401 to others. \
         Prefer HATCHERY__METRICS__TOKEN_FILE to writing it here.",
    ),
    key(
        "ssh.enabled",
        Bool,
        Literal("false"),
        "Run the built-in SSH server beside HTTP, for git clone, fetch and push over SSH with \
         the keys people register under Settings → SSH and GPG keys (and repositories' deploy keys). \
         Its host keys (Ed25519 and RSA) are generated on first start into data_dir/ssh/ \
         and kept. Only git-upload-pack and git-receive-pack run; shells, port forwarding \
         and other commands are refused. To use OpenSSH on port 22 instead, leave this off \
         and see `hatchery keys` and `hatchery serv` in the README.",
    ),
    key(
        "ssh.listen",
        Str,
        Literal(r#""0.0.0.0:2222""#),
        "IP address and port the SSH server listens on. Port 22 needs the privilege to bind \
         it (CAP_NET_BIND_SERVICE) and a system sshd elsewhere.",
    ),
    key(
        "ssh.user",
        Str,
        Literal(r#""git""#),
        "The user name in SSH clone URLs (git@host). The built-in server accepts any user \
         name (the key says who you are); with OpenSSH it is the system account whose \
         AuthorizedKeysCommand runs `hatchery keys`.",
    ),
    key(
        "ssh.public_host",
        Str,
        Derived {
            text: "the host of server.public_url",
            example: r#""git.example.com""#,
        },
        "The host name in SSH clone URLs, when people reach SSH under another name than the \
         web site.",
    ),
    key(
        "ssh.public_port",
        Int,
        Derived {
            text: "the port of ssh.listen",
            example: "22",
        },
        "The port in SSH clone URLs, when it differs from the one the server listens on (a \
         port forwarded by a container or a firewall). With 22, clone URLs take the short \
         form git@host:owner/repo.git; otherwise ssh://git@host:PORT/owner/repo.git.",
    ),
    key(
        "ssh.max_sessions",
        Int,
        Literal("64"),
        "Most SSH connections open at once (1 to 100000); more are closed as soon as they \
         arrive.",
    ),
    key(
        "ssh.idle_timeout_secs",
        Int,
        Literal("600"),
        "Seconds an SSH connection may stay silent (nothing sent either way) before it is \
         closed (1 to 86400).",
    ),
    key(
        "ssh.max_auth_attempts",
        Int,
        Literal("6"),
        "Public keys one SSH connection may try before it is closed (1 to 100), like \
         OpenSSH's MaxAuthTries. Each refusal takes a constant time.",
    ),
];

fn find_key(key: &str) -> Option<&'static KeySpec> {
    KEYS.iter().find(|spec| spec.key == key)
}

/// An annotated example configuration file with every key, its default, what it does and
/// its environment variable; what `hatchery default-config` prints. Loading it unchanged
/// gives exactly the built-in defaults.
pub fn default_config_toml() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(render_default_toml)
}

const TOML_HEADER: &str = "\
# Hatchery configuration.
#
# Every key is optional; this file shows each one with its default. Settings are taken
# from, each overriding the one before:
#   1. the built-in defaults;
#   2. this file: the path given with --config, otherwise DATA_DIR/hatchery.toml when it
#      exists;
#   3. environment variables HATCHERY__SECTION__KEY (HATCHERY__DATA_DIR at the top
#      level), named below for each key. Add _FILE to a variable's name to read the
#      value from the file it names (for secrets): HATCHERY__AUTH__SECRET_FILE=/path.
# Unknown keys are errors. Reference: docs/configuration.md.
";

fn render_default_toml() -> String {
    let mut out = String::from(TOML_HEADER);
    let mut section = "";
    for spec in KEYS {
        let (spec_section, name) = spec.key.split_once('.').unwrap_or(("", spec.key));
        if spec_section != section {
            out.push_str(&format!("\n[{spec_section}]\n"));
            section = spec_section;
        }
        out.push('\n');
        for line in wrap(spec.help, 86) {
            out.push_str(&format!("# {line}\n"));
        }
        let env = env_var_name(spec.key);
        match spec.default {
            Literal(value) => {
                out.push_str(&format!("# Environment variable: {env}\n"));
                out.push_str(&format!("{name} = {value}\n"));
            }
            Derived { text, example } => {
                for line in wrap(&format!("Default: {text}."), 86) {
                    out.push_str(&format!("# {line}\n"));
                }
                out.push_str(&format!("# Environment variable: {env}\n"));
                out.push_str(&format!("# {name} = {example}\n"));
            }
        }
    }
    out
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
#[cfg(test)]
/// The reference table of `docs/configuration.md` (Markdown), generated from [`KEYS`].
fn reference_table() -> String {
    let mut out =
        String::from("| Key | Environment variable | Default | Meaning |\n|---|---|---|---|\n");
    for spec in KEYS {
        let default = match spec.default {
            Literal(value) => format!("`{}`", value.trim_matches('"')),
            Derived { text, .. } => text.replace('<', "&lt;").replace('>', "&gt;"),
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            spec.key,
            env_var_name(spec.key),
            default,
            spec.help
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// A fresh data directory, named through HATCHERY__DATA_DIR, plus `extra` variables.
    fn load_in(dir: &Path, extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut vars = env(extra);
        vars.push(("HATCHERY__DATA_DIR".into(), dir.display().to_string()));
        Config::load_from(None, &vars)
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        path
    }

    #[track_caller]
    fn assert_problem(result: Result<Config, ConfigError>, key: &str, fragment: &str) -> String {
        let err = result.expect_err("expected a configuration error");
        let text = err.to_string();
        assert!(err.keys().contains(&key), "{key} not named: {text}");
        assert!(text.contains(&format!("{key}: ")), "{text}");
        assert!(text.contains(fragment), "{fragment:?} missing: {text}");
        assert!(text.starts_with("invalid configuration: "), "{text}");
        text
    }

    #[test]
    fn defaults() {
        let cfg = Config::load_from(None, &[]).unwrap();
        assert_eq!(cfg, Config::default());
        assert_eq!(cfg.data_dir, PathBuf::from("./data"));
        assert_eq!(cfg.server.listen, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(cfg.server.public_url, "http://127.0.0.1:3000/");
        assert_eq!(cfg.server.request_timeout_secs, 60);
        assert_eq!(cfg.server.request_timeout(), Duration::from_secs(60));
        assert_eq!(cfg.server.max_form_bytes, 1024 * 1024);
        assert_eq!(cfg.database.url, "sqlite://./data/hatchery.db");
        assert!(cfg.database.is_sqlite());
        assert_eq!(cfg.database.max_connections, 10);
        assert!(cfg.auth.allow_signup);
        assert_eq!(cfg.auth.secret, None);
        assert_eq!(cfg.auth.session_days, 30);
        assert_eq!(cfg.auth.max_failed_logins, 5);
        assert_eq!(cfg.auth.lockout_minutes, 15);
        assert_eq!(cfg.log.level, "info");
        assert_eq!(cfg.log.format, LogFormat::Text);
        assert_eq!(cfg.git.max_push_bytes, 1 << 30);
        assert_eq!(cfg.git.max_concurrent_packs, default_concurrent_packs());
        assert!(cfg.git.max_concurrent_packs >= 2);
        assert!(!cfg.public_url_is_https());
    }

    #[test]
    fn non_hatchery_variables_are_ignored() {
        let cfg = Config::load_from(
            None,
            &env(&[
                ("HATCHERY_TEST_PG_URL", "postgres://x"),
                ("HATCHERY_", "x"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn file_in_data_dir_is_layered_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            CONFIG_FILE_NAME,
            "[server]\nlisten = \"0.0.0.0:8080\"\n[auth]\nallow_signup = false\n",
        );
        let cfg = load_in(dir.path(), &[]).unwrap();
        assert_eq!(cfg.server.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(cfg.server.public_url, "http://localhost:8080/");
        assert!(!cfg.auth.allow_signup);
        // untouched keys keep their defaults; derived ones follow data_dir
        assert_eq!(cfg.auth.session_days, 30);
        assert_eq!(
            cfg.database.url,
            format!("sqlite://{}/hatchery.db", dir.path().display())
        );
    }

    #[test]
    fn no_file_in_data_dir_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = load_in(dir.path(), &[]).unwrap();
        assert_eq!(cfg.data_dir, dir.path());
    }

    #[test]
    fn explicit_file_is_used_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        // present but not used: --config wins
        write(dir.path(), CONFIG_FILE_NAME, "[log]\nlevel = \"debug\"\n");
        let other = write(dir.path(), "other.toml", "[log]\nformat = \"json\"\n");
        let vars = env(&[("HATCHERY__DATA_DIR", &dir.path().display().to_string())]);
        let cfg = Config::load_from(Some(&other), &vars).unwrap();
        assert_eq!(cfg.log.format, LogFormat::Json);
        assert_eq!(cfg.log.level, "info");

        let missing = dir.path().join("missing.toml");
        let err = Config::load_from(Some(&missing), &vars).unwrap_err();
        assert!(matches!(err, ConfigError::NotFound(_)));
        assert_eq!(
            err.to_string(),
            format!("configuration file {} does not exist", missing.display())
        );
    }

    #[test]
    fn data_dir_in_the_file_moves_derived_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "h.toml", "data_dir = \"/srv/hatchery\"\n");
        let cfg = Config::load_from(Some(&path), &[]).unwrap();
        assert_eq!(cfg.data_dir, PathBuf::from("/srv/hatchery"));
        assert_eq!(cfg.database.url, "sqlite:///srv/hatchery/hatchery.db");
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            CONFIG_FILE_NAME,
            "[server]\nlisten = \"0.0.0.0:8080\"\npublic_url = \"http://file/\"\n\
             [database]\nmax_connections = 20\n",
        );
        let cfg = load_in(
            dir.path(),
            &[
                ("HATCHERY__SERVER__LISTEN", "127.0.0.1:9000"),
                ("HATCHERY__DATABASE__MAX_CONNECTIONS", "30"),
                ("HATCHERY__AUTH__ALLOW_SIGNUP", "FALSE"),
                ("HATCHERY__LOG__FORMAT", "JSON"),
                ("HATCHERY__GIT__MAX_PUSH_BYTES", "1000"),
            ],
        )
        .unwrap();
        assert_eq!(cfg.server.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(cfg.server.public_url, "http://file/", "file value kept");
        assert_eq!(cfg.database.max_connections, 30);
        assert!(!cfg.auth.allow_signup);
        assert_eq!(cfg.log.format, LogFormat::Json);
        assert_eq!(cfg.git.max_push_bytes, 1000);
    }

    #[test]
    fn environment_names_are_case_insensitive() {
        let cfg = Config::load_from(
            None,
            &env(&[
                ("hatchery__server__listen", "127.0.0.1:4000"),
                ("Hatchery__Auth__Session_Days", "7"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.server.listen.port(), 4000);
        assert_eq!(cfg.auth.session_days, 7);

        let result = Config::load_from(
            None,
            &env(&[
                ("HATCHERY__SERVER__LISTEN", "127.0.0.1:4000"),
                ("hatchery__server__listen", "127.0.0.1:5000"),
            ]),
        );
        assert_problem(result, "server.listen", "set twice");
    }

    #[test]
    fn string_keys_keep_their_text_verbatim() {
        // figment's own Env provider would turn these into a number and a boolean
        let cfg = Config::load_from(
            None,
            &env(&[
                ("HATCHERY__AUTH__SECRET", "12345678901234567890123456789012"),
                ("HATCHERY__DATA_DIR", "true"),
            ]),
        )
        .unwrap();
        assert_eq!(
            cfg.auth.secret.unwrap().expose(),
            "12345678901234567890123456789012"
        );
        assert_eq!(cfg.data_dir, PathBuf::from("true"));
    }

    #[test]
    fn file_variables_read_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let secret = "s3cret-".repeat(6);
        let secret_file = write(dir.path(), "secret", &format!("{secret}\n"));
        let url = "postgres://hatchery:pa55@db:5432/hatchery";
        let url_file = write(dir.path(), "url", &format!("{url}\r\n"));
        let bool_file = write(dir.path(), "signup", "false");
        let cfg = load_in(
            dir.path(),
            &[
                (
                    "HATCHERY__AUTH__SECRET_FILE",
                    &secret_file.display().to_string(),
                ),
                (
                    "HATCHERY__DATABASE__URL_FILE",
                    &url_file.display().to_string(),
                ),
                (
                    "hatchery__auth__allow_signup_file",
                    &bool_file.display().to_string(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(cfg.auth.secret.as_ref().unwrap().expose(), secret);
        assert_eq!(cfg.database.url, url);
        assert!(!cfg.database.is_sqlite());
        assert!(!cfg.auth.allow_signup);
    }

    #[test]
    fn only_one_final_newline_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let secret = format!(" {} \n", "x".repeat(40));
        let file = write(dir.path(), "secret", &format!("{secret}\n"));
        let cfg = load_in(
            dir.path(),
            &[("HATCHERY__AUTH__SECRET_FILE", &file.display().to_string())],
        )
        .unwrap();
        assert_eq!(cfg.auth.secret.unwrap().expose(), secret);
    }

    #[test]
    fn value_and_file_variable_together_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "secret", &"x".repeat(40));
        let text = assert_problem(
            load_in(
                dir.path(),
                &[
                    ("HATCHERY__AUTH__SECRET", &"y".repeat(40)),
                    ("HATCHERY__AUTH__SECRET_FILE", &file.display().to_string()),
                ],
            ),
            "auth.secret",
            "HATCHERY__AUTH__SECRET and HATCHERY__AUTH__SECRET_FILE",
        );
        assert!(!text.contains("xxxx") && !text.contains("yyyy"), "{text}");
    }

    #[test]
    fn unreadable_file_variable_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert_problem(
            load_in(
                dir.path(),
                &[(
                    "HATCHERY__DATABASE__URL_FILE",
                    &missing.display().to_string(),
                )],
            ),
            "database.url",
            "from environment variable HATCHERY__DATABASE__URL_FILE",
        );
    }

    #[test]
    fn unknown_key_in_the_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "h.toml",
            "[server]\nlisten_on = \"0.0.0.0:1\"\n",
        );
        let text = assert_problem(
            Config::load_from(Some(&path), &[]),
            "server.listen_on",
            "unknown key",
        );
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("listen, public_url"), "{text}");

        let path = write(dir.path(), "s.toml", "[sever]\nlisten = \"0.0.0.0:1\"\n");
        assert_problem(Config::load_from(Some(&path), &[]), "sever", "unknown key");

        let path = write(dir.path(), "t.toml", "datadir = \"x\"\n");
        assert_problem(
            Config::load_from(Some(&path), &[]),
            "datadir",
            "unknown key",
        );

        // keys in the file are case-sensitive, as TOML is
        let path = write(dir.path(), "u.toml", "[log]\nLevel = \"debug\"\n");
        assert_problem(
            Config::load_from(Some(&path), &[]),
            "log.Level",
            "unknown key",
        );
    }

    #[test]
    fn unknown_environment_variable_is_an_error() {
        for (var, key) in [
            ("HATCHERY__SERVER__LISEN", "server.lisen"),
            ("HATCHERY__SERVER", "server"),
            ("HATCHERY__SERVER__LISTEN__PORT", "server.listen.port"),
            ("HATCHERY__DATADIR", "datadir"),
            ("HATCHERY__AUTH__NOPE_FILE", "auth.nope_file"),
        ] {
            let text = assert_problem(
                Config::load_from(None, &env(&[(var, "x")])),
                key,
                "unknown key",
            );
            assert!(text.contains(var), "{text}");
        }
    }

    #[test]
    fn toml_syntax_error_gives_line_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "h.toml",
            "[auth]\nsecret = \"abcdefghijklmnopqrstuvwxyz0123456789\nx = 1\n",
        );
        let err = Config::load_from(Some(&path), &[]).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ConfigError::Syntax { .. }), "{text}");
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("line 2"), "{text}");
        assert!(
            !text.contains("abcdefghij"),
            "no excerpt of the file: {text}"
        );
    }

    #[test]
    fn type_errors_name_the_key_and_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "h.toml", "[auth]\nallow_signup = \"maybe\"\n");
        let text = assert_problem(
            Config::load_from(Some(&path), &[]),
            "auth.allow_signup",
            "expected true or false, found \"maybe\"",
        );
        assert!(text.contains(&format!("in {}", path.display())), "{text}");

        let text = assert_problem(
            Config::load_from(None, &env(&[("HATCHERY__AUTH__ALLOW_SIGNUP", "maybe")])),
            "auth.allow_signup",
            "expected true or false",
        );
        assert!(
            text.contains("from environment variable HATCHERY__AUTH__ALLOW_SIGNUP"),
            "{text}"
        );

        assert_problem(
            Config::load_from(None, &env(&[("HATCHERY__DATABASE__MAX_CONNECTIONS", "-3")])),
            "database.max_connections",
            "a whole number from 0 to 4294967295, found -3",
        );
        assert_problem(
            Config::load_from(None, &env(&[("HATCHERY__AUTH__SESSION_DAYS", "ten")])),
            "auth.session_days",
            "found \"ten\"",
        );
        let path = write(dir.path(), "i.toml", "[server]\nlisten = 3000\n");
        assert_problem(
            Config::load_from(Some(&path), &[]),
            "server.listen",
            "expected a string, found 3000",
        );
        let path = write(dir.path(), "j.toml", "server = 1\n");
        assert_problem(
            Config::load_from(Some(&path), &[]),
            "server",
            "expected a table, found a number",
        );
    }

    #[test]
    fn type_errors_do_not_show_secret_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "h.toml",
            "[auth]\nsecret = 918273645546372819\n",
        );
        let text = assert_problem(
            Config::load_from(Some(&path), &[]),
            "auth.secret",
            "expected a string, found a number",
        );
        assert!(!text.contains("918273645546372819"), "{text}");
    }

    #[test]
    fn ssh_settings_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = load_in(dir.path(), &[]).unwrap();
        assert!(!cfg.ssh.enabled);
        assert_eq!(cfg.ssh.listen, "0.0.0.0:2222".parse().unwrap());
        assert_eq!(cfg.ssh.user, "git");
        // Clone URLs name the web site's host and the port listened on.
        assert_eq!(cfg.ssh.public_host, "127.0.0.1");
        assert_eq!(cfg.ssh.public_port, 2222);
        let cfg = load_in(
            dir.path(),
            &[
                ("HATCHERY__SERVER__PUBLIC_URL", "https://git.example.com/"),
                ("HATCHERY__SSH__ENABLED", "true"),
                ("HATCHERY__SSH__LISTEN", "[::]:2022"),
            ],
        )
        .unwrap();
        assert!(cfg.ssh.enabled);
        assert_eq!(cfg.ssh.public_host, "git.example.com");
        assert_eq!(cfg.ssh.public_port, 2022);
        let cfg = load_in(
            dir.path(),
            &[
                ("HATCHERY__SERVER__PUBLIC_URL", "http://[::1]:3000/"),
                ("HATCHERY__SSH__PUBLIC_PORT", "22"),
                ("HATCHERY__SSH__USER", "hatchery"),
            ],
        )
        .unwrap();
        assert_eq!(cfg.ssh.public_host, "::1");
        assert_eq!(cfg.ssh.public_port, 22);
        assert_eq!(cfg.ssh.user, "hatchery");
        for (var, value, key, fragment) in [
            (
                "HATCHERY__SSH__LISTEN",
                "2222",
                "ssh.listen",
                "not a socket address",
            ),
            (
                "HATCHERY__SSH__USER",
                "-oProxyCommand=x",
                "ssh.user",
                "not a user name",
            ),
            (
                "HATCHERY__SSH__PUBLIC_HOST",
                "git.example.com:22",
                "ssh.public_host",
                "not a host name",
            ),
            (
                "HATCHERY__SSH__PUBLIC_PORT",
                "0",
                "ssh.public_port",
                "between 1 and 65535",
            ),
            (
                "HATCHERY__SSH__PUBLIC_PORT",
                "70000",
                "ssh.public_port",
                "65535",
            ),
            (
                "HATCHERY__SSH__MAX_SESSIONS",
                "0",
                "ssh.max_sessions",
                "between 1 and 100000",
            ),
            (
                "HATCHERY__SSH__IDLE_TIMEOUT_SECS",
                "0",
                "ssh.idle_timeout_secs",
                "between 1 and 86400",
            ),
            (
                "HATCHERY__SSH__MAX_AUTH_ATTEMPTS",
                "0",
                "ssh.max_auth_attempts",
                "between 1 and 100",
            ),
            (
                "HATCHERY__SSH__ENABLED",
                "yes",
                "ssh.enabled",
                "true or false",
            ),
        ] {
            assert_problem(load_in(dir.path(), &[(var, value)]), key, fragment);
        }
    }

    #[test]
    fn webhook_settings_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = load_in(dir.path(), &[]).unwrap();
        assert_eq!(cfg.webhook.allowed_hosts, "external");
        assert_eq!(
            cfg.webhook.retry_delays_ms(),
            vec![10_000, 60_000, 300_000, 1_800_000]
        );
        let cfg = load_in(
            dir.path(),
            &[
                (
                    "HATCHERY__WEBHOOK__ALLOWED_HOSTS",
                    "loopback, 10.0.0.0/8, *.example.com",
                ),
                ("HATCHERY__WEBHOOK__RETRY_DELAYS", "1s, 2m"),
            ],
        )
        .unwrap();
        assert!(cfg.webhook.allowed().allows_ip("10.1.2.3".parse().unwrap()));
        assert_eq!(cfg.webhook.retry_delays_ms(), vec![1_000, 120_000]);
        for (var, value, key, fragment) in [
            (
                "HATCHERY__WEBHOOK__ALLOWED_HOSTS",
                "",
                "webhook.allowed_hosts",
                "empty",
            ),
            (
                "HATCHERY__WEBHOOK__ALLOWED_HOSTS",
                "10.0.0.0/40",
                "webhook.allowed_hosts",
                "CIDR",
            ),
            (
                "HATCHERY__WEBHOOK__DELIVERY_TIMEOUT_SECS",
                "0",
                "webhook.delivery_timeout_secs",
                "between 1 and 600",
            ),
            (
                "HATCHERY__WEBHOOK__MAX_ATTEMPTS",
                "0",
                "webhook.max_attempts",
                "between 1 and 100",
            ),
            (
                "HATCHERY__WEBHOOK__RETRY_DELAYS",
                "soon",
                "webhook.retry_delays",
                "not a duration",
            ),
        ] {
            assert_problem(load_in(dir.path(), &[(var, value)]), key, fragment);
        }
    }

    #[test]
    fn each_validation_error_names_its_key() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "HATCHERY__SERVER__LISTEN",
                "abc",
                "server.listen",
                "\"abc\" is not a socket address like 127.0.0.1:3000",
            ),
            (
                "HATCHERY__SERVER__LISTEN",
                "localhost:3000",
                "server.listen",
                "not a socket address",
            ),
            (
                "HATCHERY__SERVER__PUBLIC_URL",
                "git.example.com",
                "server.public_url",
                "not an absolute http:// or https:// URL",
            ),
            (
                "HATCHERY__SERVER__PUBLIC_URL",
                "ftp://git.example.com/",
                "server.public_url",
                "not an absolute",
            ),
            (
                "HATCHERY__SERVER__PUBLIC_URL",
                "https:///path",
                "server.public_url",
                "not an absolute",
            ),
            (
                "HATCHERY__SERVER__PUBLIC_URL",
                "https://example.com:http/",
                "server.public_url",
                "not an absolute",
            ),
            (
                "HATCHERY__SERVER__REQUEST_TIMEOUT_SECS",
                "0",
                "server.request_timeout_secs",
                "at least 1",
            ),
            (
                "HATCHERY__SERVER__MAX_FORM_BYTES",
                "0",
                "server.max_form_bytes",
                "at least 1",
            ),
            (
                "HATCHERY__DATABASE__URL",
                "mysql://root:hunter2@db/hatchery",
                "database.url",
                "the scheme \"mysql\" is not supported",
            ),
            (
                "HATCHERY__DATABASE__URL",
                "hatchery.db",
                "database.url",
                "is not a database URL",
            ),
            (
                "HATCHERY__DATABASE__URL",
                "postgres://",
                "database.url",
                "but not where",
            ),
            (
                "HATCHERY__DATABASE__MAX_CONNECTIONS",
                "0",
                "database.max_connections",
                "is 0; it must be between 1 and 1000",
            ),
            (
                "HATCHERY__DATABASE__MAX_CONNECTIONS",
                "1001",
                "database.max_connections",
                "between 1 and 1000",
            ),
            (
                "HATCHERY__AUTH__SECRET",
                "too-short-but-secret",
                "auth.secret",
                "is 20 characters long; it must have at least 32",
            ),
            (
                "HATCHERY__AUTH__SESSION_DAYS",
                "0",
                "auth.session_days",
                "at least 1",
            ),
            (
                "HATCHERY__AUTH__MAX_FAILED_LOGINS",
                "0",
                "auth.max_failed_logins",
                "at least 1",
            ),
            (
                "HATCHERY__AUTH__LOCKOUT_MINUTES",
                "0",
                "auth.lockout_minutes",
                "at least 1",
            ),
            (
                "HATCHERY__LOG__LEVEL",
                "info,hatchery=loud",
                "log.level",
                "is not a log filter",
            ),
            (
                "HATCHERY__LOG__LEVEL",
                " ",
                "log.level",
                "must not be empty",
            ),
            (
                "HATCHERY__LOG__FORMAT",
                "xml",
                "log.format",
                "\"xml\" is not a log format; use text or json",
            ),
            (
                "HATCHERY__GIT__MAX_PUSH_BYTES",
                "0",
                "git.max_push_bytes",
                "at least 1",
            ),
            (
                "HATCHERY__GIT__MAX_CONCURRENT_PACKS",
                "0",
                "git.max_concurrent_packs",
                "at least 1",
            ),
            ("HATCHERY__DATA_DIR", "", "data_dir", "must not be empty"),
        ];
        for (var, value, key, fragment) in cases {
            let text = assert_problem(
                Config::load_from(None, &env(&[(var, value)])),
                key,
                fragment,
            );
            assert!(
                text.contains(&format!("(from environment variable {var})")),
                "{text}"
            );
            assert!(!text.contains("hunter2"), "{text}");
            assert!(!text.contains("too-short-but-secret"), "{text}");
        }
    }

    #[test]
    fn listen_error_message_is_exact() {
        let err =
            Config::load_from(None, &env(&[("HATCHERY__SERVER__LISTEN", "abc")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration: server.listen: \"abc\" is not a socket address like \
             127.0.0.1:3000 (from environment variable HATCHERY__SERVER__LISTEN)"
        );
    }

    #[test]
    fn validation_errors_from_the_file_name_the_file_and_come_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "h.toml",
            "[server]\nlisten = \"abc\"\n[log]\nformat = \"xml\"\n",
        );
        let err = Config::load_from(Some(&path), &[]).unwrap_err();
        assert_eq!(err.keys(), ["server.listen", "log.format"]);
        let text = err.to_string();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            text.lines()
                .all(|l| l.starts_with("invalid configuration: ")
                    && l.ends_with(&format!("(in {})", path.display()))),
            "{text}"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let secret = "correct-horse-battery-staple-0123456789";
        let cfg = Config::load_from(
            None,
            &env(&[
                ("HATCHERY__AUTH__SECRET", secret),
                (
                    "HATCHERY__DATABASE__URL",
                    "postgres://hatchery:PASSWORD@db.internal:5432/hatchery",
                ),
            ]),
        )
        .unwrap();
        let debug = format!("{cfg:?}");
        let pretty = format!("{cfg:#?}");
        for text in [&debug, &pretty] {
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains("PASSWORD"), "{text}");
            assert!(
                text.contains("postgres://hatchery:[redacted]@db.internal:5432/hatchery"),
                "{text}"
            );
        }
        assert!(debug.contains("secret: Some([redacted])"), "{debug}");
        let secret = cfg.auth.secret.unwrap();
        assert_eq!(secret.to_string(), "[redacted]");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(secret.expose(), "correct-horse-battery-staple-0123456789");
    }

    #[test]
    fn url_redaction() {
        for (url, redacted) in [
            ("sqlite://./data/hatchery.db", "sqlite://./data/hatchery.db"),
            ("sqlite:a:b@c.db", "sqlite:a:b@c.db"),
            ("postgres://u:p@h/db", "postgres://u:[redacted]@h/db"),
            ("postgresql://u@h/db", "postgresql://u@h/db"),
            ("postgres://h:5432/db", "postgres://h:5432/db"),
            (
                "postgres://u:p@ss/w@rd@h/db",
                "postgres://u:[redacted]@h/db",
            ),
            (
                "postgres://u:p?x@h/db?sslmode=require",
                "postgres://u:[redacted]@h/db?sslmode=require",
            ),
            (
                "postgres://h/db?user=u&password=p&sslpassword=q",
                "postgres://h/db?user=u&password=[redacted]&sslpassword=[redacted]",
            ),
        ] {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn public_url_gets_a_trailing_slash_and_https_is_detected() {
        for (given, stored, https) in [
            ("https://git.example.com", "https://git.example.com/", true),
            ("https://git.example.com/", "https://git.example.com/", true),
            (
                "HTTPS://git.example.com/code",
                "https://git.example.com/code/",
                true,
            ),
            ("http://10.0.0.1:8080", "http://10.0.0.1:8080/", false),
            ("http://[::1]:3000/", "http://[::1]:3000/", false),
        ] {
            let cfg =
                Config::load_from(None, &env(&[("HATCHERY__SERVER__PUBLIC_URL", given)])).unwrap();
            assert_eq!(cfg.server.public_url, stored);
            assert_eq!(cfg.public_url_is_https(), https, "{given}");
        }
        let cfg =
            Config::load_from(None, &env(&[("HATCHERY__SERVER__LISTEN", "[::1]:80")])).unwrap();
        assert_eq!(cfg.server.public_url, "http://[::1]:80/");
    }

    #[test]
    fn secrets() {
        let generated = Secret::generate();
        assert_eq!(generated.expose().len(), 64);
        assert!(generated.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(generated, Secret::generate());
        assert_eq!(Secret::new("short"), Err(SecretTooShort(5)));
        // characters, not bytes
        assert_eq!(Secret::new("é".repeat(31)), Err(SecretTooShort(31)));
        assert!(Secret::new("x".repeat(32)).is_ok());
    }

    // --- the example file and the reference ------------------------------------------

    /// `section.key` for every `key = ` or `# key = ` line.
    fn keys_in_example(text: &str) -> Vec<String> {
        let mut section = String::new();
        let mut keys = Vec::new();
        for line in text.lines() {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = format!("{name}.");
                continue;
            }
            let line = line.strip_prefix("# ").unwrap_or(line);
            if let Some((name, _)) = line.split_once(" = ")
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                keys.push(format!("{section}{name}"));
            }
        }
        keys
    }

    #[test]
    fn default_config_lists_every_key_once() {
        let all: Vec<String> = KEYS.iter().map(|spec| spec.key.to_owned()).collect();
        assert_eq!(keys_in_example(default_config_toml()), all);
        let text = default_config_toml();
        for spec in KEYS {
            assert!(text.contains(&env_var_name(spec.key)), "{}", spec.key);
            assert!(!spec.help.contains('|'), "{} breaks the table", spec.key);
        }
        assert!(text.lines().all(|l| l.chars().count() <= 90), "{text}");
    }

    #[test]
    fn default_config_yields_exactly_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "hatchery.toml", default_config_toml());
        assert_eq!(
            Config::load_from(Some(&path), &[]).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn commented_examples_in_default_config_are_valid() {
        let mut uncommented = String::new();
        for line in default_config_toml().lines() {
            let example = line
                .strip_prefix("# ")
                .filter(|l| keys_in_example(l).len() == 1 && !l.starts_with("secret = "));
            uncommented.push_str(example.unwrap_or(line));
            uncommented.push('\n');
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "hatchery.toml", &uncommented);
        let cfg = Config::load_from(Some(&path), &[]).unwrap();
        assert!(cfg.public_url_is_https());
        assert!(!cfg.database.is_sqlite());

        // and the secret placeholder is refused, so it cannot be used by mistake
        let with_secret = uncommented.replace("# secret = ", "secret = ");
        let path = write(dir.path(), "hatchery.toml", &with_secret);
        assert_problem(
            Config::load_from(Some(&path), &[]),
            "auth.secret",
            "at least 32",
        );
    }

    fn docs_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md")
    }

    const TABLE_BEGIN: &str = "<!-- BEGIN GENERATED: configuration keys -->\n";
    const TABLE_END: &str = "<!-- END GENERATED -->";

    #[test]
    fn docs_mention_every_key_of_default_config() {
        let docs = fs::read_to_string(docs_path()).unwrap();
        for key in keys_in_example(default_config_toml()) {
            assert!(
                docs.contains(&format!("`{key}`")),
                "{key} missing from the docs"
            );
            assert!(
                docs.contains(&format!("`{}`", env_var_name(&key))),
                "{key}'s variable missing from the docs"
            );
        }
    }

    /// The table in docs/configuration.md is generated from KEYS. To regenerate it:
    /// `HATCHERY_UPDATE_DOCS=1 cargo test -p hatchery --lib docs_table`.
    #[test]
    fn docs_table_is_generated_from_the_key_table() {
        let path = docs_path();
        let docs = fs::read_to_string(&path).unwrap();
        let start = docs.find(TABLE_BEGIN).expect("begin marker") + TABLE_BEGIN.len();
        let end = start + docs[start..].find(TABLE_END).expect("end marker");
        let table = reference_table();
        if docs[start..end] != table && std::env::var_os("HATCHERY_UPDATE_DOCS").is_some() {
            let updated = format!("{}{table}{}", &docs[..start], &docs[end..]);
            fs::write(&path, updated).unwrap();
            return;
        }
        assert!(
            docs[start..end] == table,
            "docs/configuration.md is out of date; run \
             HATCHERY_UPDATE_DOCS=1 cargo test -p hatchery --lib docs_table"
        );
    }
}
