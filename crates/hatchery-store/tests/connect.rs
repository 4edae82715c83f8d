//! Connecting: what `Store::connect` does before any store exists, so these tests do not go
//! through `testing::stores()`.

use std::time::{Duration, Instant};

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
