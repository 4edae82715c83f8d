//! Connecting: what `Store::connect` does before any store exists, so these tests do not go
//! through `testing::stores()`.

use std::time::{Duration, Instant};

use hatchery_store::portable::known_schema_version;
use hatchery_store::testing::stores;
use hatchery_store::{Backend, Store, StoreError};

#[tokio::test]
async fn sqlite_creates_the_file_and_its_directories() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("deeper").join("hatchery.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url, 2).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    assert!(path.is_file());
    store.close().await;

    // Opening it again finds the same database, in WAL mode.
    let store = Store::connect(&format!("sqlite:{}", path.display()), 2)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);
    store.close().await;
    assert!(
        std::fs::read(&path).unwrap()[18..20] == [2, 2],
        "the file header records WAL mode"
    );
}

#[tokio::test]
async fn unreachable_postgres_is_unavailable_promptly() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let started = Instant::now();
    let r = Store::connect("postgres://postgres@127.0.0.1:1/hatchery", 2).await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn unknown_schemes_are_refused() {
    let r = Store::connect("mysql://localhost/x", 2).await;
    assert!(matches!(r, Err(StoreError::Database(_))), "{r:?}");
    assert_eq!(
        Backend::from_url("postgresql://x/y"),
        Some(Backend::Postgres)
    );
    assert_eq!(Backend::from_url("sqlite::memory:"), Some(Backend::Sqlite));
}

#[tokio::test]
async fn sqlite_is_copied_before_pending_migrations_and_not_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hatchery.db");
    let url = format!("sqlite:{}", path.display());
    let known = known_schema_version(Backend::Sqlite);
    let backups = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".bak"))
            .count()
    };

    // A new database: nothing to keep.
    let store = Store::connect(&url, 2).await.unwrap();
    store.migrate_to(known - 1).await.unwrap();
    let before = store.schema_version().await.unwrap();
    assert!(before > 0 && before < known, "{before}");
    assert_eq!(backups(), 0);
    store.close().await;

    // Behind this binary: copied first, then upgraded.
    let store = Store::connect(&url, 2).await.unwrap();
    let migrated = store.migrate().await.unwrap();
    assert_eq!((migrated.from, migrated.to), (before, known));
    let copy = migrated.backup.expect("a copy before migrating");
    assert!(copy.is_file(), "{}", copy.display());
    assert_eq!(backups(), 1);
    assert_eq!(store.schema_version().await.unwrap(), known);
    store.close().await;
    let old = Store::connect(&format!("sqlite:{}", copy.display()), 1)
        .await
        .unwrap();
    assert_eq!(
        old.schema_version().await.unwrap(),
        before,
        "the copy is the database as it was"
    );
    old.close().await;

    // Up to date: no copy.
    let store = Store::connect(&url, 2).await.unwrap();
    let migrated = store.migrate().await.unwrap();
    assert_eq!(
        (migrated.from, migrated.to, migrated.backup),
        (known, known, None)
    );
    assert_eq!(backups(), 1);
    store.close().await;
}

#[tokio::test]
async fn a_database_newer_than_the_binary_is_refused_untouched() {
    for s in stores().await {
        let l = s.label();
        let known = known_schema_version(s.backend());
        // What a newer binary would have left: one more migration recorded.
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&s.url())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations
                    (version, description, installed_on, success, checksum, execution_time)
             SELECT version + 1, 'from the future', installed_on, success, checksum,
                    execution_time
               FROM _sqlx_migrations WHERE version = $1",
        )
        .bind(known)
        .execute(&mut conn)
        .await
        .unwrap();
        let err = s.migrate().await.expect_err("refused").to_string();
        assert!(
            err.contains(&format!("version {}", known + 1)) && err.contains(&known.to_string()),
            "{l}: {err}"
        );
        assert_eq!(s.schema_version().await.unwrap(), known + 1, "{l}");
    }
}
