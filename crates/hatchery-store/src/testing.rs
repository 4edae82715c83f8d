//! Fresh, migrated stores for tests, on SQLite always and on PostgreSQL when
//! `HATCHERY_TEST_PG_URL` is set, so every crate's tests can run on both databases the same
//! way the store's own conformance suite does.
//!
//! ```no_run
//! # async fn example() -> Result<(), hatchery_store::StoreError> {
//! for store in hatchery_store::testing::stores().await {
//!     // `TestStore` derefs to `Store`.
//!     assert_eq!(store.count_users().await?, 0, "{}", store.label());
//!     // `store.url()` reaches the same database from another `Store` or process.
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Each test gets its own SQLite file in a temporary directory, and its own PostgreSQL
//! schema (reached through `search_path` in the URL), dropped when the [`TestStore`] is
//! dropped. Tests running in parallel therefore never see each other's rows.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{AnyConnection, Connection, Executor};

use crate::{Store, now_ms};

pub mod fixtures;

/// The variable that turns the PostgreSQL half of the test matrix on.
pub const PG_URL_VAR: &str = "HATCHERY_TEST_PG_URL";

/// Connections per test store: enough for the concurrency tests to contend for real.
const MAX_CONNECTIONS: u32 = 8;

/// Test schemas are named `hatchery_test_<created ms>_<random>`; the creation time lets a
/// later run drop what a killed run left behind.
const SCHEMA_PREFIX: &str = "hatchery_test_";

/// Leftover schemas older than this are dropped when a test process first needs PostgreSQL.
/// Long enough that no running test can still be using one.
const STALE_AFTER_MS: i64 = 6 * 60 * 60 * 1000;

/// A store for one test. Derefs to [`Store`]; cleans up its database when dropped.
pub struct TestStore {
    store: Store,
    label: &'static str,
    url: String,
    // Declared after `store`, so they are dropped after its pool.
    /// The directory holding the SQLite file; removed on drop.
    _dir: Option<tempfile::TempDir>,
    _schema: Option<PgSchema>,
}

impl TestStore {
    /// "sqlite" or "postgres", for assertion messages.
    pub fn label(&self) -> &str {
        self.label
    }

    /// A URL with which another `Store::connect` (or a `hatchery` process) reaches the same
    /// database and schema.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl std::fmt::Debug for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStore")
            .field("label", &self.label)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A fresh SQLite store, plus a fresh PostgreSQL one when `HATCHERY_TEST_PG_URL` is set.
///
/// # Panics
/// When a store cannot be set up, in particular when `HATCHERY_TEST_PG_URL` is set but the
/// server cannot be reached: a PostgreSQL run that silently tested only SQLite would pass
/// for the wrong reason.
pub async fn stores() -> Vec<TestStore> {
    let mut stores = vec![sqlite().await];
    if let Some(url) = pg_url() {
        stores.push(postgres(&url).await);
    }
    stores
}

/// `HATCHERY_TEST_PG_URL`, when set and not empty.
pub fn pg_url() -> Option<String> {
    std::env::var(PG_URL_VAR)
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A fresh migrated SQLite store in its own temporary directory.
///
/// # Panics
/// When the store cannot be created or migrated.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::Builder::new()
        .prefix("hatchery-test-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temporary directory for SQLite: {e}"));
    let url = format!("sqlite://{}", dir.path().join("hatchery.db").display());
    let store = connect_and_migrate(&url, "sqlite").await;
    TestStore {
        store,
        label: "sqlite",
        url,
        _dir: Some(dir),
        _schema: None,
    }
}

/// A fresh migrated store in a new schema of the PostgreSQL database at `base_url`.
///
/// # Panics
/// When the server cannot be reached or the schema cannot be created or migrated.
pub async fn postgres(base_url: &str) -> TestStore {
    crate::install_drivers();
    let mut admin = AnyConnection::connect(base_url).await.unwrap_or_else(|e| {
        panic!("{PG_URL_VAR} is set to {base_url:?} but PostgreSQL cannot be reached: {e}")
    });
    static SWEPT: AtomicBool = AtomicBool::new(false);
    if !SWEPT.swap(true, Ordering::SeqCst) {
        sweep_stale_schemas(&mut admin).await;
    }
    let schema = format!("{SCHEMA_PREFIX}{}_{:016x}", now_ms(), rand::random::<u64>());
    // The name is ours (prefix, digits, hex): safe to splice, and identifiers cannot be bound.
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .await
        .unwrap_or_else(|e| panic!("cannot create schema {schema} on {base_url:?}: {e}"));
    let _ = admin.close().await;
    let cleanup = PgSchema {
        admin_url: base_url.to_owned(),
        schema: schema.clone(),
    };
    let separator = if base_url.contains('?') { '&' } else { '?' };
    // application_name tags the test's connections, so the cleanup can end them.
    let url = format!(
        "{base_url}{separator}options=-c%20search_path%3D{schema}&application_name={schema}"
    );
    let store = connect_and_migrate(&url, "postgres").await;
    TestStore {
        store,
        label: "postgres",
        url,
        _dir: None,
        _schema: Some(cleanup),
    }
}

async fn connect_and_migrate(url: &str, label: &str) -> Store {
    let store = Store::connect(url, MAX_CONNECTIONS)
        .await
        .unwrap_or_else(|e| panic!("cannot connect the {label} test store at {url:?}: {e}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("cannot migrate the {label} test store at {url:?}: {e}"));
    store
}

/// Drops test schemas that a killed or crashed test run left behind.
async fn sweep_stale_schemas(admin: &mut AnyConnection) {
    let names: Vec<String> = match sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'hatchery\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    {
        Ok(names) => names,
        Err(_) => return,
    };
    let cutoff = now_ms() - STALE_AFTER_MS;
    for name in names {
        let created = name
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|ms| ms.parse::<i64>().ok());
        let is_ours = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if is_ours && created.is_some_and(|ms| ms < cutoff) {
            let _ = admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{name}\" CASCADE"
                )))
                .await;
        }
    }
}

/// Drops the test's schema when the [`TestStore`] goes away.
struct PgSchema {
    admin_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // `Drop` cannot await, and blocking the test's own runtime on a future that needs
        // that runtime would deadlock: run the cleanup on a thread with its own runtime.
        let admin_url = self.admin_url.clone();
        let schema = self.schema.clone();
        let cleanup = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                let mut conn = AnyConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                // The dropped pool's connections close in tasks of the test's runtime, which
                // is blocked in this `drop`; one may still hold locks of a transaction whose
                // rollback has not been flushed. End them, or DROP SCHEMA would wait on them.
                sqlx::query(
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&schema)
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
                // Never hang a test run on cleanup: a schema left behind is swept later.
                conn.execute("SET lock_timeout = '10s'")
                    .await
                    .map_err(|e| e.to_string())?;
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                )))
                .await
                .map_err(|e| e.to_string())?;
                conn.close().await.map_err(|e| e.to_string())
            })
        });
        if let Ok(Err(e)) = cleanup.join() {
            tracing::warn!(schema = %self.schema, error = %e, "could not drop test schema");
        }
    }
}
