//! Bare git repositories on disk, through gitoxide.
//!
//! Everything the forge needs from a repository lives here: creating and opening bare
//! repositories, reading refs and objects, writing the initial README commit, moving refs
//! with compare-and-swap semantics, computing which objects a fetch must send and streaming
//! them as a pack, receiving pushed packs into a quarantine, and merging packs.
//!
//! The public API only exposes this crate's own types (never gix types), so callers do not
//! depend on gitoxide's versioning.

mod consolidate;
mod error;
mod oid;
mod pack;
mod receive;
mod refs;
mod repo;
mod shallow;
mod walk;

pub use consolidate::{ConsolidateOptions, ConsolidateOutcome};
pub use error::{Error, Result};
pub use oid::{InvalidOid, Oid};
pub use pack::{
    Deepen, Filter, FilterParseError, Negotiation, PackOptions, PackPlan, PackStats, Progress,
    ShallowUpdate,
};
pub use receive::{MigratedPack, Quarantine, ReceiveOptions, ReceivedPack};
pub use refs::{RefUpdate, RefUpdateError, validate_ref_name};
pub use repo::{Head, InitialCommit, Object, ObjectKind, Ref, Repository, Signature};

/// The agent string we announce, e.g. `hatchery/0.1.0`.
pub fn agent() -> String {
    format!("hatchery/{}", env!("CARGO_PKG_VERSION"))
}
