//! What the tests of several crates share and no production code needs: running the real
//! `git` client (from `PATH`) without the machine's configuration getting in the way, and
//! real peers started on free ports: OpenLDAP's slapd, an OpenID Connect provider, sshd;
//! OpenPGP keys and signatures (made once by GnuPG, made in the test, or by `gpg` itself).
//! Store rows for tests are in `hatchery_store::testing::fixtures`; the web test client in
//! `crates/hatchery-web/tests/support`; the running server in `tests/src/lib.rs`.

pub mod git;
pub mod gpg;
pub mod oidc;
pub mod slapd;
pub mod ssh;

/// A port on 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
