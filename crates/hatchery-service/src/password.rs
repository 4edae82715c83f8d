//! Password hashing with argon2id (OWASP's parameters: m=19 MiB, t=2, p=1), always on a
//! blocking thread and never more at once than there are cores.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// Blocking: hashes `password` with a fresh salt.
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

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashing is CPU- and memory-heavy; at most one per core runs at a time, on blocking
/// threads, so a burst of sign-ins cannot starve the server or its memory.
#[derive(Debug)]
pub struct Passwords {
    permits: Semaphore,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Passwords {
            permits: Semaphore::new(cores),
        }
    }
}

impl Passwords {
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(|e| HashError(e.to_string()))?
            .map_err(HashError)
    }

    /// `stored` of `None` means the account does not exist; the work is done anyway.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(move || match stored {
            Some(hash) => verify_blocking(&password, &hash),
            None => {
                verify_blocking(&password, decoy_hash());
                false
            }
        })
        .await
        .map_err(|e| HashError(e.to_string()))
    }
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

    #[tokio::test]
    async fn async_wrappers() {
        let p = Passwords::default();
        let h = p.hash("pass word 1".into()).await.unwrap_or_default();
        assert!(
            p.verify("pass word 1".into(), Some(h.clone()))
                .await
                .unwrap_or(false)
        );
        assert!(!p.verify("other".into(), Some(h)).await.unwrap_or(true));
        assert!(!p.verify("x".into(), None).await.unwrap_or(true));
    }
}
