use std::path::PathBuf;

use crate::Oid;

/// Errors of repository operations.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No repository at this path.
    #[error("no git repository at {0}")]
    NotFound(PathBuf),
    /// A repository already exists at this path.
    #[error("a repository already exists at {0}")]
    AlreadyExists(PathBuf),
    /// An object that was needed does not exist.
    #[error("object {0} is missing")]
    MissingObject(Oid),
    /// An object had an unexpected kind or could not be decoded.
    #[error("object {oid} is invalid: {reason}")]
    InvalidObject {
        /// The object.
        oid: Oid,
        /// What is wrong with it.
        reason: String,
    },
    /// A reference name is not acceptable.
    #[error("invalid reference name {name:?}: {reason}")]
    InvalidRefName {
        /// The name as given.
        name: String,
        /// Why it is refused.
        reason: String,
    },
    /// Input from a caller or client was not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// A pushed pack was larger than allowed.
    #[error("pack exceeds the maximum allowed size of {limit} bytes")]
    PackTooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// A push was still being received when its time was up (`ReceiveOptions::deadline`).
    #[error("the push took longer than this server allows")]
    PushTimedOut,
    /// A pushed pack could not be read or indexed.
    #[error("invalid pack: {0}")]
    InvalidPack(String),
    /// Another operation holds a lock we need.
    #[error("{0} is locked by another operation")]
    Locked(PathBuf),
    /// Writing to the output failed (usually: the client went away).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// An error reported by gitoxide.
    #[error("{context}: {message}")]
    Git {
        /// What we were doing.
        context: &'static str,
        /// gitoxide's message.
        message: String,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turn any gitoxide error into [`Error::Git`] with some context.
pub(crate) fn git<E: std::fmt::Display>(context: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::Git {
        context,
        message: format!("{e:#}"),
    }
}
