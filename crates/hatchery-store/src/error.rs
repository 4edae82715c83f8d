//! What can go wrong in the store, sorted by what a caller does about it: tell the person
//! (conflict, not found, last owner), answer 503 (unavailable), or log and answer 500.

use std::fmt;

use sqlx::error::{DatabaseError, ErrorKind};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique name or email is already taken.
    #[error("{0} is already taken")]
    Conflict(ConflictField),
    #[error("not found")]
    NotFound,
    /// The row changed since the caller read it (an edit made from a stale page): nothing
    /// was written, and the person should look at the new version first.
    #[error("changed since it was read")]
    Stale,
    /// The change would leave an organization without an owner, and nobody could manage it.
    #[error("an organization must keep at least one owner")]
    LastOwner,
    /// The database cannot be reached (refused, pool timed out, connection lost). Callers
    /// answer 503 rather than 500: nothing is wrong with the request.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

/// Which unique field a [`StoreError::Conflict`] is about, so a form can show the message
/// next to the right input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictField {
    Name,
    Email,
    /// An SSH public key or a security key's credential (registered already, to this or
    /// another account).
    Key,
}

impl fmt::Display for ConflictField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConflictField::Name => "name",
            ConflictField::Email => "email",
            ConflictField::Key => "key",
        })
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e),
            sqlx::Error::Database(db) => {
                if let Some(field) = conflict_field(db.as_ref()) {
                    StoreError::Conflict(field)
                } else if db.kind() == ErrorKind::ForeignKeyViolation {
                    // Every foreign key cascades on delete, so only an insert or update that
                    // names a missing row (a repository, an owner, a team deleted meanwhile)
                    // violates one: the thing asked for is not there.
                    StoreError::NotFound
                } else if is_connection_failure(db.as_ref()) {
                    StoreError::Unavailable(e)
                } else {
                    StoreError::Database(e)
                }
            }
            _ => StoreError::Database(e),
        }
    }
}

/// The unique indexes that stand for a field carry its column in their name
/// (`accounts_lower_name_key`, `teams_org_id_lower_name_key`, `accounts_lower_email_key`).
/// PostgreSQL reports the index name; SQLite reports the columns in the message
/// ("UNIQUE constraint failed: accounts.lower_name"), which contain the same words. A
/// protected-branch rule's name (`branch_protections_repo_rule_name_key`), a release's tag
/// (`releases_repo_tag_name_key`, "releases.tag_name") and a release asset's name within its
/// release (`release_assets_release_name_key`, "release_assets.name") and a push mirror's
/// remote name (`push_mirrors_repo_id_remote_name_key`) are names too.
fn conflict_field(db: &dyn DatabaseError) -> Option<ConflictField> {
    if db.kind() != ErrorKind::UniqueViolation {
        return None;
    }
    let what = db.constraint().unwrap_or_else(|| db.message());
    if what.contains("lower_email") {
        Some(ConflictField::Email)
    } else if what.contains("fingerprint") || what.contains("credential_id") {
        Some(ConflictField::Key)
    } else if what.contains("lower_name")
        || what.contains("rule_name")
        || what.contains("tag_name")
        || what.contains("release_name_key")
        || what.contains("release_assets.name")
        || what.contains("remote_name")
    {
        Some(ConflictField::Name)
    } else {
        None
    }
}

/// PostgreSQL's SQLSTATEs for "the server is not there for you right now": class 08
/// (connection exception), admin/crash shutdown, starting up, too many connections.
fn is_connection_failure(db: &dyn DatabaseError) -> bool {
    let Some(code) = db.code() else {
        return false;
    };
    code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
}
