//! The database as portable data, for `hatchery dump` and `hatchery restore`: every row of
//! every table as one JSON object, read in one consistent snapshot and written back into
//! either engine.
//!
//! Values keep their type through JSON: integers and floats are numbers, text is a string,
//! a blob is `{"base64": "..."}`, NULL is null. On restore each value is bound with the type
//! of the target column as the target database declares it, so a dump of SQLite restores
//! into PostgreSQL and the other way round.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};
use sqlx::any::AnyTypeInfoKind;
use sqlx::{Column, Row, ValueRef};

use crate::{Backend, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, Store, StoreError, Tx};

/// A table whose rows a dump carries, and the columns that order them.
#[derive(Debug, Clone, Copy)]
pub struct PortableTable {
    pub name: &'static str,
    pub order_by: &'static str,
}

const fn table(name: &'static str, order_by: &'static str) -> PortableTable {
    PortableTable { name, order_by }
}

/// Every table whose rows a dump carries, in an order in which every row's foreign keys
/// point at rows restored before it. A migration that adds a table must add it here (or to
/// [`EPHEMERAL_TABLES`]); a test fails until it does.
pub const PORTABLE_TABLES: &[PortableTable] = &[
    table("settings", "key"),
    table("auth_sources", "id"),
    table("accounts", "id"),
    table("org_members", "org_id, user_id"),
    table("teams", "id"),
    table("team_members", "team_id, user_id"),
    table("auth_source_teams", "source_id, group_name, team_id"),
    table("external_logins", "source_id, external_id"),
    table("two_factor", "user_id"),
    table("recovery_codes", "id"),
    table("webauthn_credentials", "id"),
    table("repositories", "id"),
    table("repo_collaborators", "repo_id, user_id"),
    table("repo_teams", "repo_id, team_id"),
    table("access_tokens", "id"),
    table("ssh_keys", "id"),
    // By id: a subkey's row comes after its primary key's.
    table("gpg_keys", "id"),
    table("milestones", "id"),
    table("labels", "id"),
    table("issues", "id"),
    table("issue_comments", "id"),
    table("issue_revisions", "id"),
    table("issue_labels", "issue_id, label_id"),
    table("issue_assignees", "issue_id, user_id"),
    table("issue_mentions", "issue_id, user_id"),
    table("issue_events", "id"),
    table("webhooks", "id"),
    table("webhook_deliveries", "id"),
    // Before the votes: a release vote names its release.
    table("releases", "id"),
    table("release_assets", "id"),
    table("programs", "id"),
    table("proposals", "id"),
    table("proposal_revisions", "id"),
    table("proposal_comments", "id"),
    table("projects", "id"),
    table("project_roster", "id"),
    table("project_repos", "project_id, repo_id"),
    table("votes", "id"),
    table("vote_electorate", "vote_id, user_id"),
    table("ballots", "vote_id, voter_id"),
    table("graduations", "id"),
    table("reports", "id"),
    table("report_signoffs", "report_id, user_id"),
    table("checklist_results", "project_id, item_code"),
    table("repo_redirects", "repo_id, owner_lower_name, lower_name"),
    table("audit_log", "id"),
    table("commit_statuses", "id"),
    table("branch_protections", "id"),
    table(
        "branch_protection_allowlist",
        "protection_id, list, COALESCE(user_id, 0), COALESCE(team_id, 0)",
    ),
    table("pull_requests", "issue_id"),
    table("repo_merge_settings", "repo_id"),
    table("pull_reviews", "id"),
    table("review_comments", "id"),
    table("review_requests", "id"),
    table("repo_imports", "id"),
    table("import_items", "import_id, kind, source_id"),
    table("pull_mirrors", "repo_id"),
    table("push_mirrors", "id"),
];

/// Tables a dump leaves out: sign-in sessions and throttle counters, which are about the
/// running site and expire by themselves. (Full-text index tables of SQLite are rebuilt
/// by its triggers as rows are restored.)
pub const EPHEMERAL_TABLES: &[&str] = &["sessions", "login_throttle"];

/// The highest migration this binary knows for `backend`.
pub fn known_schema_version(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// A read-only transaction that sees the database as it was when it began, whatever
/// commits meanwhile (PostgreSQL: REPEATABLE READ; SQLite: a read transaction in WAL mode,
/// whose snapshot is taken at its first read and kept until it ends).
pub struct Snapshot {
    tx: Tx,
}

impl Store {
    /// The highest migration applied to this database (0 for an empty one).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(self.pool())
                .await
                .or_else(|e| match e {
                    // No migrations table: nothing applied yet.
                    sqlx::Error::Database(_) => Ok(None),
                    e => Err(e),
                })?;
        Ok(version.unwrap_or(0))
    }

    /// Applies the embedded migrations up to and including `version` only.
    pub async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        let migrator = match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run_to(version, self.pool())
            .await
            .map_err(|e| StoreError::Database(sqlx::Error::Migrate(Box::new(e))))
    }

    /// Whether no portable table holds a row.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        for t in PORTABLE_TABLES {
            let sql = format!("SELECT COUNT(*) FROM {}", t.name);
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(self.pool())
                .await?;
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Begins a consistent read of the whole database.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut tx = match self.backend() {
            Backend::Postgres => {
                self.pool()
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?
            }
            Backend::Sqlite => self.pool().begin_with("BEGIN DEFERRED").await?,
        };
        // The snapshot starts with the first read, in both databases: take it now.
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings")
            .fetch_one(&mut *tx)
            .await?;
        Ok(Snapshot { tx })
    }

    /// Begins a restore: one transaction in which every row is written; nothing is visible
    /// until [`Restore::finish`].
    pub async fn begin_restore(&self) -> Result<Restore, StoreError> {
        Ok(Restore {
            tx: self.write_tx().await?,
            backend: self.backend(),
            columns: None,
        })
    }

    /// The tables of the database (without sqlx's own and SQLite's internal and full-text
    /// index tables), for checking that every table is accounted for.
    pub async fn table_names(&self) -> Result<Vec<String>, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_sqlx%' ESCAPE '\\'
                 AND name NOT LIKE '%\\_fts' ESCAPE '\\' AND name NOT LIKE '%\\_fts\\_%' ESCAPE '\\'
                 ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                 AND table_name NOT LIKE '\\_sqlx%' ORDER BY table_name"
            }
        };
        Ok(sqlx::query_scalar(sql).fetch_all(self.pool()).await?)
    }
}

impl Snapshot {
    pub async fn schema_version(&mut self) -> Result<i64, StoreError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(version.unwrap_or(0))
    }

    pub async fn count(&mut self, table: &PortableTable) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {}", table.name);
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `(owner lower name, repository lower name)` of every repository, as of the snapshot.
    pub async fn repository_paths(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT a.lower_name, r.lower_name FROM repositories r
             JOIN accounts a ON a.id = r.owner_id ORDER BY r.id",
        )
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// `(repository id, uuid)` of every release asset, whose files a dump carries.
    pub async fn release_asset_files(&mut self) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT repo_id, uuid FROM release_assets ORDER BY id")
                .fetch_all(&mut *self.tx)
                .await?,
        )
    }

    /// Writes every row of `table` to `out` as one JSON object per line; returns the count.
    /// Rows are read in pages by offset inside the snapshot, so memory stays bounded.
    pub async fn export_table(
        &mut self,
        table: &PortableTable,
        out: &mut (dyn Write + Send),
    ) -> Result<u64, StoreError> {
        const PAGE: i64 = 1000;
        let mut written = 0u64;
        let mut offset = 0i64;
        loop {
            let sql = format!(
                "SELECT * FROM {} ORDER BY {} LIMIT {PAGE} OFFSET {offset}",
                table.name, table.order_by
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *self.tx)
                .await?;
            for row in &rows {
                let object = row_to_json(row)?;
                let mut line = serde_json::to_vec(&Value::Object(object)).map_err(json_error)?;
                line.push(b'\n');
                out.write_all(&line).map_err(io_error)?;
                written += 1;
            }
            if (rows.len() as i64) < PAGE {
                return Ok(written);
            }
            offset += PAGE;
        }
    }

    /// Ends the read.
    pub async fn finish(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

fn row_to_json(row: &sqlx::any::AnyRow) -> Result<Map<String, Value>, StoreError> {
    let mut object = Map::new();
    for (i, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let value = if raw.is_null() {
            Value::Null
        } else {
            match raw.type_info().kind() {
                AnyTypeInfoKind::Bool => Value::from(i64::from(row.try_get::<bool, _>(i)?)),
                AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
                    Value::from(row.try_get::<i64, _>(i)?)
                }
                AnyTypeInfoKind::Real | AnyTypeInfoKind::Double => {
                    Value::from(row.try_get::<f64, _>(i)?)
                }
                AnyTypeInfoKind::Text => Value::from(row.try_get::<String, _>(i)?),
                AnyTypeInfoKind::Blob => {
                    let bytes: Vec<u8> = row.try_get(i)?;
                    let mut blob = Map::new();
                    blob.insert("base64".to_owned(), Value::from(BASE64.encode(bytes)));
                    Value::Object(blob)
                }
                AnyTypeInfoKind::Null => Value::Null,
            }
        };
        object.insert(column.name().to_owned(), value);
    }
    Ok(object)
}

/// How a target column takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnKind {
    Int,
    Float,
    Text,
    Blob,
}

fn column_kind(declared: &str) -> ColumnKind {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") || t.contains("BOOL") {
        ColumnKind::Int
    } else if t.contains("BLOB") || t.contains("BYTEA") {
        ColumnKind::Blob
    } else if t.contains("REAL") || t.contains("DOUBLE") || t.contains("FLOA") {
        ColumnKind::Float
    } else {
        ColumnKind::Text
    }
}

/// The transaction of a restore; see [`Store::begin_restore`].
pub struct Restore {
    tx: Tx,
    backend: Backend,
    /// The table whose column kinds are loaded, and those kinds.
    columns: Option<(String, Vec<(String, ColumnKind)>)>,
}

impl Restore {
    /// Inserts one row of `table`, as [`Snapshot::export_table`] wrote it.
    pub async fn insert(
        &mut self,
        table: &PortableTable,
        row: &Map<String, Value>,
    ) -> Result<(), StoreError> {
        if self.columns.as_ref().is_none_or(|(t, _)| t != table.name) {
            let columns = self.column_kinds(table.name).await?;
            self.columns = Some((table.name.to_owned(), columns));
        }
        let Some((_, kinds)) = &self.columns else {
            unreachable!("loaded above")
        };
        let mut names = Vec::with_capacity(row.len());
        let mut placeholders = Vec::with_capacity(row.len());
        let mut query_values = Vec::with_capacity(row.len());
        for (name, value) in row {
            let kind = kinds
                .iter()
                .find(|(c, _)| c == name)
                .map(|(_, k)| *k)
                .ok_or_else(|| invalid(format!("{}: no column {name:?}", table.name)))?;
            names.push(name.as_str());
            placeholders.push(format!("${}", placeholders.len() + 1));
            query_values.push((kind, value));
        }
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            table.name,
            names.join(", "),
            placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (kind, value) in query_values {
            let context = || format!("{}: a value of the wrong type: {value}", table.name);
            query = match (kind, value) {
                (ColumnKind::Int, Value::Null) => query.bind(None::<i64>),
                (ColumnKind::Float, Value::Null) => query.bind(None::<f64>),
                (ColumnKind::Text, Value::Null) => query.bind(None::<String>),
                (ColumnKind::Blob, Value::Null) => query.bind(None::<Vec<u8>>),
                (ColumnKind::Int, Value::Number(n)) => {
                    query.bind(n.as_i64().ok_or_else(|| invalid(context()))?)
                }
                (ColumnKind::Float, Value::Number(n)) => {
                    query.bind(n.as_f64().ok_or_else(|| invalid(context()))?)
                }
                (ColumnKind::Text, Value::String(s)) => query.bind(s.clone()),
                (ColumnKind::Blob, Value::Object(o)) => {
                    let bytes = o
                        .get("base64")
                        .and_then(Value::as_str)
                        .and_then(|s| BASE64.decode(s).ok())
                        .ok_or_else(|| invalid(context()))?;
                    query.bind(bytes)
                }
                _ => return Err(invalid(context())),
            };
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn column_kinds(&mut self, table: &str) -> Result<Vec<(String, ColumnKind)>, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1)",
            Backend::Postgres => {
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        let rows: Vec<(String, String)> = sqlx::query_as(sql)
            .bind(table)
            .fetch_all(&mut *self.tx)
            .await?;
        if rows.is_empty() {
            return Err(invalid(format!("the database has no table {table}")));
        }
        Ok(rows
            .into_iter()
            .map(|(name, declared)| (name, column_kind(&declared)))
            .collect())
    }

    /// Moves PostgreSQL's id sequences past the restored ids (SQLite takes the next rowid
    /// from the table itself), and commits.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            for t in PORTABLE_TABLES {
                // Only tables with an id column have a sequence; asking about another
                // table would be an error, which aborts a PostgreSQL transaction.
                let sequence: Option<Option<String>> = sqlx::query_scalar(
                    "SELECT pg_get_serial_sequence($1, 'id') FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1
                     AND column_name = 'id'",
                )
                .bind(t.name)
                .fetch_optional(&mut *self.tx)
                .await?;
                let sequence = sequence.flatten();
                if sequence.is_none() {
                    continue;
                }
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{0}', 'id'),
                                   (SELECT COALESCE(MAX(id), 0) + 1 FROM {0}), false)",
                    t.name
                );
                let _: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut *self.tx)
                    .await?;
            }
        }
        self.tx.commit().await?;
        Ok(())
    }
}

fn invalid(message: String) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(message))
}

fn json_error(e: serde_json::Error) -> StoreError {
    invalid(format!("encoding a row: {e}"))
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Database(sqlx::Error::Io(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types() {
        assert_eq!(column_kind("INTEGER"), ColumnKind::Int);
        assert_eq!(column_kind("bigint"), ColumnKind::Int);
        assert_eq!(column_kind("TEXT"), ColumnKind::Text);
        assert_eq!(column_kind("text"), ColumnKind::Text);
        assert_eq!(column_kind("BLOB"), ColumnKind::Blob);
        assert_eq!(column_kind("bytea"), ColumnKind::Blob);
        assert_eq!(column_kind("double precision"), ColumnKind::Float);
    }
}
