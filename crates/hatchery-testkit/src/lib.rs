//! What the tests of several crates share and no production code needs: running the real
//! `git` client (from `PATH`) without the machine's configuration getting in the way.
//! Store rows for tests are in `hatchery_store::testing::fixtures`; the web test client in
//! `crates/hatchery-web/tests/support`; the running server in `tests/src/lib.rs`.

pub mod git;
pub mod slapd;
pub mod ssh;
