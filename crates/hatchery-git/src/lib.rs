//! Bare git repositories on disk, through gitoxide.
//!
//! Everything the forge needs from a repository lives here: creating and opening bare
//! repositories, reading refs and objects, writing the initial README commit, moving refs
//! with compare-and-swap semantics, computing which objects a fetch must send and streaming
//! them as a pack, receiving pushed packs into a quarantine, and merging packs.
//!
//! The read API of the browsing pages (all blocking; run them on blocking threads):
//! resolving `<ref>/<path>` ([`Repository::resolve_tree_path`]), trees, blobs and raw
//! streams, history ([`Repository::log`], [`LogWalk`], [`Repository::last_commits`]),
//! commit details, diffs, `.patch`/`.diff` text and comparisons, blame, branch and tag
//! lists, and streamed archives. History walks use git's commit-graph file and its
//! changed-path Bloom filters, which [`Repository::write_commit_graph`] writes (gix only
//! reads commit-graphs); call it after pushes. Missing refs, paths or objects give
//! `Ok(None)` (or an empty result), never a panic.
//!
//! Pull requests and forks (`merge.rs`, `fork.rs`; blocking too): `mergeability(base,
//! head)` (writes nothing, cache it by the two ids), `merge(&MergeSpec)` in four styles
//! with a compare-and-swap on the base ref (`MergeError::TargetMoved`, `Conflicts`,
//! `NotFastForward`, `AlreadyMerged`, `Unrelated`), `update_branch`, `pull_commits`,
//! `fork_to(dest)` (objects shared by hard links) and `transfer_to(other, tip, ref, old)`
//! (a fork's head into its parent through the receive quarantine).
//!
//! The public API only exposes this crate's own types (never gix types), so callers do not
//! depend on gitoxide's versioning.

mod archive;
mod blame;
mod blobio;
mod bloom;
mod browse;
mod clone_list;
mod commitgraph;
mod consolidate;
mod diff;
mod error;
mod fork;
mod health;
mod history;
mod merge;
mod objects;
mod oid;
mod pack;
mod pushed;
mod receive;
mod refs;
mod repo;
mod shallow;
mod snapshot;
mod walk;

pub use archive::ArchiveFormat;
pub use blame::{Blame, BlameHunk};
pub use browse::{
    Annotation, BINARY_CHECK_BYTES, BlobReader, BlobStream, BlobView, EntryKind, MIN_ABBREV,
    Person, RefSummary, Resolved, RevKind, TagSummary, TreeEntry, is_binary,
};
pub use commitgraph::CommitGraphStats;
pub use consolidate::{ConsolidateOptions, ConsolidateOutcome};
pub use diff::{
    ChangeKind, CommitDetail, Comparison, Diff, DiffLine, DiffOptions, FileDiff, Hunk, LineKind,
};
pub use error::{Error, Result};
pub use fork::ForkStats;
pub use health::{
    COMMUNITY_DIRS, CommitFact, HEALTH_MAX_COMMITS, HealthFacts, LICENSE_FILES_MAX,
    LICENSE_TEXT_MAX, LicenseText, PERIOD_MAX_COMMITS, PeriodCommits, author_key,
};
pub use history::{CommitSummary, LAST_COMMITS_MAX_VISITS, LogWalk};
pub use merge::{
    MergeError, MergeOutcome, MergeResult, MergeSpec, MergeStyle, Mergeability, UpdateSpec,
};
pub use oid::{InvalidOid, Oid};
pub use pack::{
    Deepen, Filter, FilterParseError, Negotiation, PackOptions, PackPlan, PackStats, Progress,
    ShallowUpdate,
};
pub use pushed::PushedCommit;
pub use receive::{MigratedPack, Quarantine, ReceiveOptions, ReceivedPack, remove_crash_leftovers};
pub use refs::{RefUpdate, RefUpdateError, validate_ref_name};
pub use repo::{Head, InitialCommit, Object, ObjectKind, Ref, Repository, Signature};
pub use snapshot::{SnapshotEntry, SnapshotStats, snapshot_repository};

/// The agent string we announce, e.g. `hatchery/0.1.0`.
pub fn agent() -> String {
    format!("hatchery/{}", env!("CARGO_PKG_VERSION"))
}
