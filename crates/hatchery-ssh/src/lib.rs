//! Git over SSH: the built-in server ([`server`]), its host keys ([`host_keys`]), and one
//! git command as either the built-in server or OpenSSH's forced command (`hatchery
//! serv`) runs it ([`exec`]). Who may do what is decided below, in `hatchery-service`'s
//! `git_serve`, exactly as for smart HTTP; this crate only authenticates keys, carries
//! bytes and words refusals.

pub mod exec;
pub mod host_keys;
pub mod server;

pub use server::{SshServer, SshSettings};
