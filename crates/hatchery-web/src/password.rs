//! Password hashing with argon2id (OWASP's parameters: m=19 MiB, t=2, p=1), always on a
//! blocking thread and never more at once than there are cores.

use crate::error::WebError;
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

/// Blocking: hashes `password` with a fresh salt. Used by the CLI too.
pub fn hash_blocking(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Blocking: whether `password` matches the stored PHC string. A malformed hash is a
/// mismatch, never a crash.
pub fn verify_blocking(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the account does not exist so that
/// a wrong user name takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_blocking("decoy password that matches nothing").unwrap_or_default())
}

pub async fn hash(state: &AppState, password: String) -> Result<String, WebError> {
    let _permit = state
        .hash_permits
        .acquire()
        .await
        .map_err(WebError::internal)?;
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::internal)
}

/// `stored` of `None` means the account does not exist; the work is done anyway.
pub async fn verify(
    state: &AppState,
    password: String,
    stored: Option<String>,
) -> Result<bool, WebError> {
    let _permit = state
        .hash_permits
        .acquire()
        .await
        .map_err(WebError::internal)?;
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify_blocking(&password, &hash),
        None => {
            verify_blocking(&password, decoy_hash());
            false
        }
    })
    .await
    .map_err(WebError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash_blocking("correct horse battery").unwrap_or_default();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("wrong", &h));
        assert!(!verify_blocking("x", "not a hash"));
    }
}
