//! The database: pool set-up for SQLite and PostgreSQL, embedded migrations, and every
//! query Hatchery runs. No other crate speaks SQL.
//!
//! One query set serves both databases through sqlx's `Any` driver: `$N` placeholders,
//! `RETURNING`, `ON CONFLICT`, integers for booleans and unix-millisecond times. The few
//! statements that must differ go through [`Store::backend`] at the call site, so each
//! dialect switch is visible where it matters.

mod accounts;
mod admin;
mod error;
mod gpg_keys;
mod graduations;
mod health;
mod imports;
mod incubator;
mod issues;
mod labels;
mod mirrors;
mod orgs;
pub mod portable;
mod protection;
mod pulls;
mod releases;
mod repo_search;
mod repos;
mod reviews;
mod sessions;
mod signin;
mod site;
mod sql;
mod ssh_keys;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;
mod webauthn;
mod webhooks;

use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Connection, Executor};

pub use accounts::{Account, Credentials, NewUser, User};
pub use admin::{
    AccountKind, AccountOrder, AccountPage, AccountSearch, AccountSummary, SiteCounts, UserChange,
};
pub use error::{ConflictField, StoreError};
pub use gpg_keys::GpgKey;
pub use graduations::{Graduation, GraduationDecision, NewGraduation};
pub use health::{FIRST_RESPONSES_MAX, IssueActivity, IssueResponse, PullActivity};
pub use imports::{
    ImportedComment, ImportedIssue, ImportedMilestone, ImportedPull, ImportedRelease, NewImport,
    RepoImport,
};
pub use incubator::{
    AuditEntry, AuditFilter, BallotCast, ChecklistEntry, ChecklistStatus, ClosedVote, Closing,
    NamedPerson, NewAudit, NewChecklistEntry, NewProgram, NewProject, NewRosterEntry, NewVote,
    Program, Project, Proposal, ProposalComment, ProposalContent, ProposalEdit, ProposalPeople,
    ProposalRevision, ProposalStateChange, Report, ReportState, ReportTemplate, RosterEntry,
    Signoff, SlugHolder, StageChange, StageMove, StoredBallot, TallyRecord, Vote, VoteEffect,
    VoteSubject,
};
pub use issues::{
    Comment, Issue, IssueEvent, IssuePage, IssueQuery, IssueRef, NewIssue, Person, RepoRef,
    Revision, UserIssues, Who,
};
pub use labels::{Label, LabelUse, Milestone};
pub use mirrors::{MirrorSettings, PullMirror, PushMirror};
pub use orgs::{Org, OrgMember, Team};
pub use protection::{AllowlistNames, CommitStatus, ProtectionRule};
pub use pulls::{HEAD_DELETED, HeadMove, MergeCheck, Merged, NewPull, PullRequest};
pub use releases::{NewAsset, Release, ReleaseAsset, ReleaseFields, ReleaseFilter};
pub use repo_search::{RepoOrder, RepoSearch, RepoSearchPage, RepoVisibility};
pub use repos::{Collaborator, NewRepo, Repo, RepoAccess, RepoCounts};
pub use reviews::{NewReviewComment, Review, ReviewComment, ReviewRequest, Reviewer, Submission};
pub use sessions::{DbSessionStore, SESSION_USER};
pub use signin::{
    AuthSource, LinkedIdentity, NewAuthSource, SignInFacts, SourceMapping, TwoFactor,
};
pub use ssh_keys::{KeyOwner, NewSshKey, SshKey};
pub use tokens::{AccessToken, NewToken};
pub use webauthn::SecurityKey;
pub use webhooks::{
    AttemptRecord, ClaimedDelivery, Delivery, DeliveryStatus, DeliverySummary, HookOwner,
    NewDelivery, NewWebhook, Webhook, WebhookChanges,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// How long a request waits for a pooled connection. Short, so that a database that is down
/// turns into a prompt [`StoreError::Unavailable`] (a 503) instead of a hung request.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Applied to every SQLite connection. WAL lets readers run beside the writer; the busy
/// timeout makes a second writer wait for the lock instead of failing; foreign keys are off
/// by default in SQLite and the cascades depend on them; NORMAL is durable enough in WAL mode
/// (a power cut can lose the last commits, never corrupt) and much faster than FULL.
const SQLITE_PRAGMAS: [&str; 4] = [
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA journal_mode = WAL",
];

/// What [`Store::migrate`] did: the schema versions before and after, and where the copy
/// of the SQLite database taken before migrating is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub from: i64,
    pub to: i64,
    pub backup: Option<PathBuf>,
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The handle every other crate holds. Cloning shares the pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

pub(crate) type Tx = sqlx::Transaction<'static, Any>;

impl Store {
    /// Opens a pool and checks that the database answers. A `sqlite:` URL gets its file and
    /// parent directory created, so the zero-configuration start needs no set-up.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        install_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration(
                format!(
                    "unsupported database URL scheme in {:?}: expected sqlite: or postgres://",
                    url.split(':').next().unwrap_or_default()
                )
                .into(),
            ))
        })?;
        let options = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT);
        let pool = match backend {
            Backend::Postgres => {
                // One direct connection first: a pool that cannot connect reports only that
                // it timed out, hiding why (refused, bad password, no such database).
                let connect_options: AnyConnectOptions = url.parse()?;
                sqlx::AnyConnection::connect_with(&connect_options)
                    .await?
                    .close()
                    .await?;
                options.connect_with(connect_options).await?
            }
            Backend::Sqlite => {
                let url = prepare_sqlite(url)?;
                // Switching a database into WAL needs an exclusive lock that the busy timeout
                // does not cover; doing it once here, before the pool opens several
                // connections at once, keeps the per-connection pragma a no-op.
                let connect_options: AnyConnectOptions = url.parse()?;
                let mut first = sqlx::AnyConnection::connect_with(&connect_options).await?;
                for pragma in SQLITE_PRAGMAS {
                    first.execute(pragma).await?;
                }
                first.close().await?;
                // The pool pings a connection before lending it, by default: worth it for
                // a network connection that may have died, but a SQLite connection is a
                // thread of this process, and the ping doubled the thread hand-offs of every
                // query (a page makes four or five).
                options
                    .test_before_acquire(false)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for pragma in SQLITE_PRAGMAS {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect_with(connect_options)
                    .await?
            }
        };
        Ok(Store { pool, backend })
    }

    /// Applies the embedded migrations of this backend that the database has not seen yet.
    ///
    /// A database whose schema is newer than this binary knows (a newer Hatchery ran on it)
    /// is refused before anything is touched, with both versions in the message. On SQLite,
    /// a database that has pending migrations is first copied whole (`VACUUM INTO`, a
    /// consistent copy even while other connections write) next to its file, so a failed
    /// or unwanted upgrade can be undone by putting the copy back.
    pub async fn migrate(&self) -> Result<Migrated, StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        let from = self.schema_version().await?;
        let to = portable::known_schema_version(self.backend);
        if from > to {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                format!(
                    "the database's schema is version {from}, newer than this binary's \
                     {to}: a newer Hatchery has used it. Run that newer version, or restore \
                     a backup taken before the upgrade"
                )
                .into(),
            )));
        }
        let backup = if self.backend == Backend::Sqlite && from > 0 && from < to {
            self.sqlite_copy_before_migrating(from).await?
        } else {
            None
        };
        migrator.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(e) => StoreError::from(e),
            other => StoreError::Database(sqlx::Error::Migrate(Box::new(other))),
        })?;
        Ok(Migrated { from, to, backup })
    }

    /// `VACUUM INTO <file>.schema-<from>-<ms>.bak` beside the database file; `None` for a
    /// database without a file (in memory).
    async fn sqlite_copy_before_migrating(&self, from: i64) -> Result<Option<PathBuf>, StoreError> {
        let file: Option<String> =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_optional(&self.pool)
                .await?;
        let Some(file) = file.filter(|f| !f.is_empty()) else {
            return Ok(None);
        };
        let copy = PathBuf::from(format!("{file}.schema-{from}-{}.bak", now_ms()));
        sqlx::query("VACUUM INTO $1")
            .bind(copy.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(Some(copy))
    }

    /// A round trip through a pooled connection, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&self.pool).await?;
        if one == 1 {
            Ok(())
        } else {
            Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "SELECT 1 returned {one}"
            ))))
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Waits for checked-out connections to come back and closes them all, so a shutting
    /// down server leaves SQLite's WAL checkpointed and PostgreSQL's backends released.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and then tries to write
    /// fails with SQLITE_BUSY at once, without waiting out the busy timeout, which is the
    /// "database is locked" error concurrent writers must never see.
    pub(crate) async fn write_tx(&self) -> Result<Tx, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The connection pool now: connections open, of those idle, and the most allowed.
    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }
}

/// See [`Store::pool_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// sqlx's Any driver panics on connect until the drivers are installed, and installing
/// twice panics too: do it exactly once, whoever connects first.
pub(crate) fn install_drivers() {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
}

/// Milliseconds since the unix epoch: the unit of every time column.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Creates the database file's directory, and asks SQLite to create the file (`mode=rwc`)
/// unless the URL already says how to open it. Returns the URL to connect with.
fn prepare_sqlite(url: &str) -> Result<String, StoreError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, params) = match rest.split_once('?') {
        Some((path, params)) => (path, Some(params)),
        None => (rest, None),
    };
    let has_mode = params.is_some_and(|p| p.split('&').any(|kv| kv.starts_with("mode=")));
    let in_memory = path.is_empty()
        || path == ":memory:"
        || params.is_some_and(|p| p.split('&').any(|kv| kv == "mode=memory"));
    if !in_memory {
        let path = PathBuf::from(percent_decode(path).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Configuration(
                format!("invalid percent-encoding in database path {path:?}").into(),
            ))
        })?);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
    }
    if has_mode || in_memory {
        Ok(url.to_owned())
    } else if params.is_some() {
        Ok(format!("{url}&mode=rwc"))
    } else {
        Ok(format!("{url}?mode=rwc"))
    }
}

/// sqlx percent-decodes the path of a SQLite URL, so the directory we create must be
/// decoded the same way.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = std::env::temp_dir().join(format!("hatchery-store-url-{}", std::process::id()));
        let file = dir.join("sub dir").join("h.db");
        let url = format!("sqlite://{}", file.display()).replace(' ', "%20");
        let prepared = prepare_sqlite(&url).map_err(|e| e.to_string());
        assert_eq!(prepared, Ok(format!("{url}?mode=rwc")));
        assert!(dir.join("sub dir").is_dir());
        let _ = std::fs::remove_dir_all(&dir);

        assert_eq!(
            prepare_sqlite("sqlite::memory:").map_err(|e| e.to_string()),
            Ok("sqlite::memory:".to_owned())
        );
        assert_eq!(
            prepare_sqlite("sqlite:h.db?mode=ro").map_err(|e| e.to_string()),
            Ok("sqlite:h.db?mode=ro".to_owned())
        );
    }

    #[tokio::test]
    async fn every_sqlite_connection_gets_the_pragmas() {
        let dir =
            std::env::temp_dir().join(format!("hatchery-store-pragmas-{}", std::process::id()));
        let url = format!("sqlite://{}", dir.join("h.db").display());
        let store = Store::connect(&url, 3)
            .await
            .map_err(|e| e.to_string())
            .unwrap();
        // Hold three connections at once, so they are three distinct connections.
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(store.pool().acquire().await.unwrap());
        }
        for conn in &mut conns {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            for (pragma, expected) in [
                ("PRAGMA foreign_keys", 1_i64),
                ("PRAGMA synchronous", 1),
                ("PRAGMA busy_timeout", 5000),
            ] {
                let value: i64 = sqlx::query_scalar(pragma)
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap();
                assert_eq!(value, expected, "{pragma}");
            }
        }
        drop(conns);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%3F"), Some("a b?".to_owned()));
        assert_eq!(percent_decode("a%2"), None);
        assert_eq!(percent_decode("plain"), Some("plain".to_owned()));
    }
}
