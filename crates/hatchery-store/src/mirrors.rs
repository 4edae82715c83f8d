//! Pull mirrors (a repository following an upstream) and push mirrors (remotes a
//! repository is pushed to). Passwords arrive sealed (the service encrypts them); the
//! store never sees them in the clear.
//!
//! A sync holds its row's lease (`locked_until`): [`Store::claim_pull_mirror`] and
//! [`Store::claim_push_mirror`] take it with one conditional `UPDATE`, so of several
//! servers (or a scheduled sync and a "sync now") only one runs per mirror at a time, and a
//! crashed sync's row is taken again once its lease has run out.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{ConflictField, Store, StoreError};

/// A repository's upstream and the state of its syncs.
#[derive(Clone, PartialEq, Eq)]
pub struct PullMirror {
    pub repo_id: i64,
    pub remote_url: String,
    pub remote_username: String,
    /// Sealed by the service; empty when none.
    pub remote_password: String,
    /// 0: on demand only.
    pub interval_ms: i64,
    pub prune: bool,
    pub next_sync_at: Option<i64>,
    pub locked_until: i64,
    /// When the last successful sync ended.
    pub last_update_at: Option<i64>,
    /// Why the last sync failed (cleared by a successful one).
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// A remote a repository is pushed to.
#[derive(Clone, PartialEq, Eq)]
pub struct PushMirror {
    pub id: i64,
    pub repo_id: i64,
    pub remote_name: String,
    pub remote_url: String,
    pub remote_username: String,
    /// Sealed by the service; empty when none.
    pub remote_password: String,
    /// 0: only after pushes (with `sync_on_commit`) and on demand.
    pub interval_ms: i64,
    pub sync_on_commit: bool,
    pub next_sync_at: Option<i64>,
    pub locked_until: i64,
    pub last_update_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

macro_rules! secret_debug {
    ($t:ty, $($f:ident),*) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($f), &self.$f))*
                    .field("remote_password", &"[sealed]")
                    .finish()
            }
        }
    };
}
secret_debug!(
    PullMirror,
    repo_id,
    remote_url,
    remote_username,
    interval_ms,
    prune,
    next_sync_at,
    locked_until,
    last_update_at,
    last_error
);
secret_debug!(
    PushMirror,
    id,
    repo_id,
    remote_name,
    remote_url,
    remote_username,
    interval_ms,
    sync_on_commit,
    next_sync_at,
    last_update_at,
    last_error
);

/// The settings of a mirror as written.
#[derive(Clone, PartialEq, Eq)]
pub struct MirrorSettings<'a> {
    pub remote_url: &'a str,
    pub remote_username: &'a str,
    /// Sealed.
    pub remote_password: &'a str,
    pub interval_ms: i64,
    /// Pull mirrors: prune. Push mirrors: sync on commit.
    pub flag: bool,
}

const PULL_COLS: &str = "repo_id, remote_url, remote_username, remote_password, interval_ms, \
                         prune, next_sync_at, locked_until, last_update_at, last_error, created_at";
const PUSH_COLS: &str = "id, repo_id, remote_name, remote_url, remote_username, \
                         remote_password, interval_ms, sync_on_commit, next_sync_at, \
                         locked_until, last_update_at, last_error, created_at";

fn pull_at(row: &AnyRow) -> Result<PullMirror, sqlx::Error> {
    Ok(PullMirror {
        repo_id: row.try_get(0)?,
        remote_url: row.try_get(1)?,
        remote_username: row.try_get(2)?,
        remote_password: row.try_get(3)?,
        interval_ms: row.try_get(4)?,
        prune: row.try_get::<i64, _>(5)? != 0,
        next_sync_at: row.try_get(6)?,
        locked_until: row.try_get(7)?,
        last_update_at: row.try_get(8)?,
        last_error: row.try_get(9)?,
        created_at: row.try_get(10)?,
    })
}

fn push_at(row: &AnyRow) -> Result<PushMirror, sqlx::Error> {
    Ok(PushMirror {
        id: row.try_get(0)?,
        repo_id: row.try_get(1)?,
        remote_name: row.try_get(2)?,
        remote_url: row.try_get(3)?,
        remote_username: row.try_get(4)?,
        remote_password: row.try_get(5)?,
        interval_ms: row.try_get(6)?,
        sync_on_commit: row.try_get::<i64, _>(7)? != 0,
        next_sync_at: row.try_get(8)?,
        locked_until: row.try_get(9)?,
        last_update_at: row.try_get(10)?,
        last_error: row.try_get(11)?,
        created_at: row.try_get(12)?,
    })
}

/// When a mirror with this interval is next due after `now` (`None`: on demand only).
fn next_after(now: i64, interval_ms: i64) -> Option<i64> {
    (interval_ms > 0).then(|| now.saturating_add(interval_ms))
}

impl Store {
    /// Makes a repository a pull mirror (and read-only, so nothing but the mirror's syncs
    /// changes it), due at once. `Conflict(Name)` when it is one already.
    pub async fn create_pull_mirror(
        &self,
        repo_id: i64,
        settings: &MirrorSettings<'_>,
        now: i64,
    ) -> Result<PullMirror, StoreError> {
        let mut tx = self.write_tx().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT repo_id FROM pull_mirrors WHERE repo_id = $1")
                .bind(repo_id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(ConflictField::Name));
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO pull_mirrors (repo_id, remote_url, remote_username, remote_password,
                 interval_ms, prune, next_sync_at, locked_until, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7) RETURNING {PULL_COLS}"
        )))
        .bind(repo_id)
        .bind(settings.remote_url)
        .bind(settings.remote_username)
        .bind(settings.remote_password)
        .bind(settings.interval_ms)
        .bind(i64::from(settings.flag))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let n = sqlx::query("UPDATE repositories SET read_only = 1 WHERE id = $1")
            .bind(repo_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let mirror = pull_at(&row)?;
        tx.commit().await?;
        Ok(mirror)
    }

    /// The pull mirror of a repository, if it is one.
    pub async fn pull_mirror(&self, repo_id: i64) -> Result<Option<PullMirror>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PULL_COLS} FROM pull_mirrors WHERE repo_id = $1"
        )))
        .bind(repo_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| pull_at(&r)).transpose()?)
    }

    /// Changes a pull mirror's settings (the password only when `Some`); the next sync is
    /// rescheduled from now.
    pub async fn update_pull_mirror(
        &self,
        repo_id: i64,
        settings: &MirrorSettings<'_>,
        keep_password: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let n = sqlx::query(
            "UPDATE pull_mirrors SET remote_url = $2, remote_username = $3,
                 remote_password = CASE WHEN $4 = 1 THEN remote_password ELSE $5 END,
                 interval_ms = $6, prune = $7, next_sync_at = $8
             WHERE repo_id = $1",
        )
        .bind(repo_id)
        .bind(settings.remote_url)
        .bind(settings.remote_username)
        .bind(i64::from(keep_password))
        .bind(settings.remote_password)
        .bind(settings.interval_ms)
        .bind(i64::from(settings.flag))
        .bind(next_after(now, settings.interval_ms))
        .execute(self.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Turns a pull mirror into an ordinary repository (writable again).
    pub async fn delete_pull_mirror(&self, repo_id: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query("DELETE FROM pull_mirrors WHERE repo_id = $1")
            .bind(repo_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE repositories SET read_only = 0 WHERE id = $1")
            .bind(repo_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Repositories whose pull mirror is due (`next_sync_at <= now`) and not being synced.
    pub async fn due_pull_mirrors(&self, now: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT repo_id FROM pull_mirrors
             WHERE next_sync_at IS NOT NULL AND next_sync_at <= $1 AND locked_until < $1
             ORDER BY next_sync_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Takes the lease of a pull mirror until `until`; `None` when another sync holds it
    /// (or the mirror is gone).
    pub async fn claim_pull_mirror(
        &self,
        repo_id: i64,
        now: i64,
        until: i64,
    ) -> Result<Option<PullMirror>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE pull_mirrors SET locked_until = $3
             WHERE repo_id = $1 AND locked_until < $2 RETURNING {PULL_COLS}"
        )))
        .bind(repo_id)
        .bind(now)
        .bind(until)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| pull_at(&r)).transpose()?)
    }

    /// Records a sync's end and releases the lease: a success clears the error and sets
    /// the update time; a failure keeps the last update time. The next sync is due an
    /// interval from now.
    pub async fn finish_pull_mirror(
        &self,
        repo_id: i64,
        now: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE pull_mirrors SET locked_until = 0, last_error = $3,
                 last_update_at = CASE WHEN $3 IS NULL THEN $2 ELSE last_update_at END,
                 next_sync_at = CASE WHEN interval_ms > 0 THEN $2 + interval_ms ELSE NULL END
             WHERE repo_id = $1",
        )
        .bind(repo_id)
        .bind(now)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Adds a push mirror. `Conflict(Name)` when the repository has one by that name.
    pub async fn create_push_mirror(
        &self,
        repo_id: i64,
        remote_name: &str,
        settings: &MirrorSettings<'_>,
        now: i64,
    ) -> Result<PushMirror, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO push_mirrors (repo_id, remote_name, remote_url, remote_username,
                 remote_password, interval_ms, sync_on_commit, next_sync_at, locked_until,
                 created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) RETURNING {PUSH_COLS}"
        )))
        .bind(repo_id)
        .bind(remote_name)
        .bind(settings.remote_url)
        .bind(settings.remote_username)
        .bind(settings.remote_password)
        .bind(settings.interval_ms)
        .bind(i64::from(settings.flag))
        .bind(next_after(now, settings.interval_ms))
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(push_at(&row)?)
    }

    /// A repository's push mirrors, oldest first.
    pub async fn push_mirrors(&self, repo_id: i64) -> Result<Vec<PushMirror>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PUSH_COLS} FROM push_mirrors WHERE repo_id = $1 ORDER BY id"
        )))
        .bind(repo_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(push_at).collect::<Result<_, _>>()?)
    }

    /// A push mirror by its id.
    pub async fn push_mirror(&self, id: i64) -> Result<Option<PushMirror>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PUSH_COLS} FROM push_mirrors WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| push_at(&r)).transpose()?)
    }

    /// Removes a push mirror of a repository by name.
    pub async fn delete_push_mirror(&self, repo_id: i64, name: &str) -> Result<(), StoreError> {
        let n = sqlx::query("DELETE FROM push_mirrors WHERE repo_id = $1 AND remote_name = $2")
            .bind(repo_id)
            .bind(name)
            .execute(self.pool())
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Push mirrors due by their interval and not being synced.
    pub async fn due_push_mirrors(&self, now: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM push_mirrors
             WHERE next_sync_at IS NOT NULL AND next_sync_at <= $1 AND locked_until < $1
             ORDER BY next_sync_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// Takes the lease of a push mirror until `until`; `None` when another sync holds it.
    pub async fn claim_push_mirror(
        &self,
        id: i64,
        now: i64,
        until: i64,
    ) -> Result<Option<PushMirror>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE push_mirrors SET locked_until = $3
             WHERE id = $1 AND locked_until < $2 RETURNING {PUSH_COLS}"
        )))
        .bind(id)
        .bind(now)
        .bind(until)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| push_at(&r)).transpose()?)
    }

    /// Records a push mirror sync's end and releases the lease (as
    /// [`Store::finish_pull_mirror`]).
    pub async fn finish_push_mirror(
        &self,
        id: i64,
        now: i64,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE push_mirrors SET locked_until = 0, last_error = $3,
                 last_update_at = CASE WHEN $3 IS NULL THEN $2 ELSE last_update_at END,
                 next_sync_at = CASE WHEN interval_ms > 0 THEN $2 + interval_ms ELSE NULL END
             WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .bind(error)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_sync() {
        assert_eq!(super::next_after(10, 0), None);
        assert_eq!(super::next_after(10, 5), Some(15));
    }
}
