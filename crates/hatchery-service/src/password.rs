//! Password hashing with argon2id (OWASP's parameters: m=19 MiB, t=2, p=1), always on a
//! blocking thread and never more at once than there are cores.

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Mutex, OnceLock};
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
    verify_with_memory(password, stored, &mut Vec::new())
}

/// Hashes stored by anyone else could name an absurd memory cost; ours are 19 MiB.
const MAX_BLOCKS: usize = 256 << 10;

/// Verifies with a caller-owned working area, grown to the hash's memory cost and kept
/// for the next call. argon2's own `verify_password` allocates and frees its 19 MiB on
/// every call; glibc then keeps those buffers in fragmented arenas, and a server that had
/// handled a few hundred sign-ins held half a gigabyte. One area per permit bounds memory
/// at cores × 19 MiB and saves the page faults of fresh memory.
fn verify_with_memory(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let mut out = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt.as_ref(),
        &mut out,
        &mut memory[..blocks],
    );
    computed.is_ok() && constant_time_eq(&out, expected.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
    /// Verification working areas, at most one per permit, reused.
    areas: Mutex<Vec<Vec<Block>>>,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Passwords {
            permits: Semaphore::new(cores),
            areas: Mutex::new(Vec::new()),
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
        let mut area = self
            .areas
            .lock()
            .map(|mut areas| areas.pop().unwrap_or_default())
            .unwrap_or_default();
        let (ok, area) = tokio::task::spawn_blocking(move || {
            let ok = match stored {
                Some(hash) => verify_with_memory(&password, &hash, &mut area),
                None => {
                    verify_with_memory(&password, decoy_hash(), &mut area);
                    false
                }
            };
            (ok, area)
        })
        .await
        .map_err(|e| HashError(e.to_string()))?;
        if let Ok(mut areas) = self.areas.lock() {
            areas.push(area);
        }
        Ok(ok)
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
        assert!(!verify_blocking(
            "x",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ"
        ));
    }

    #[test]
    fn reused_areas_verify_like_fresh_ones() {
        let a = hash_blocking("first password").unwrap_or_default();
        let b = hash_blocking("second password").unwrap_or_default();
        let mut area = Vec::new();
        assert!(verify_with_memory("first password", &a, &mut area));
        assert!(!verify_with_memory("first password", &b, &mut area));
        assert!(verify_with_memory("second password", &b, &mut area));
        // Hashes made elsewhere with other costs still verify.
        let cheap = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap_or_default(),
        )
        .hash_password(b"other cost")
        .map(|h| h.to_string())
        .unwrap_or_default();
        assert!(verify_with_memory("other cost", &cheap, &mut area));
        // Absurd costs are refused rather than allocated.
        assert!(!verify_with_memory(
            "x",
            "$argon2id$v=19$m=4000000,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            &mut area
        ));
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
