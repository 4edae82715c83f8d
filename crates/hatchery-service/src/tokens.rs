//! Personal access tokens: 40 hex characters (the shape Gitea's clients expect), shown once
//! and stored only as a SHA-256 hash, with scopes that bound what they may do.

use crate::{Forge, ServiceError};
use hatchery_store::{AccessToken, NewToken, StoreError, User, now_ms};
use rand::Rng;
use sha2::{Digest, Sha256};

/// Scopes a token may carry, in Gitea's spelling. `write:x` includes `read:x`.
pub const SCOPES: &[&str] = &[
    "read:repository",
    "write:repository",
    "read:issue",
    "write:issue",
    "read:organization",
    "write:organization",
    "read:user",
    "write:user",
    "read:admin",
    "write:admin",
];

/// Last use is recorded at most this often, so an API loop does not write on every call.
const TOUCH_EVERY_MS: i64 = 60_000;

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `s` has a token's shape; only then is it looked up as one.
pub fn looks_like_token(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `scopes` allow `needed` (e.g. "read:repository").
pub fn allows(scopes: &[String], needed: &str) -> bool {
    let Some((level, area)) = needed.split_once(':') else {
        return false;
    };
    scopes.iter().any(|s| {
        s == needed || s == "all" || (level == "read" && s.strip_prefix("write:") == Some(area))
    })
}

/// Keeps only known scopes, in canonical order.
pub fn normalize_scopes(requested: &[String]) -> Vec<String> {
    SCOPES
        .iter()
        .filter(|s| requested.iter().any(|r| r == *s))
        .map(|s| (*s).to_owned())
        .collect()
}

/// A token just created: the secret is in this value and nowhere else.
pub struct NewSecret {
    pub token: AccessToken,
    pub secret: String,
}

impl std::fmt::Debug for NewSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSecret")
            .field("token", &self.token)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl Forge {
    pub async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        scopes: &[String],
    ) -> Result<NewSecret, StoreError> {
        let mut bytes = [0u8; 20];
        rand::rng().fill_bytes(&mut bytes);
        let secret = hex::encode(bytes);
        let scopes = normalize_scopes(scopes);
        let token = self
            .store
            .create_token(NewToken {
                user_id,
                name,
                token_hash: &hash(&secret),
                token_last_eight: &secret[secret.len() - 8..],
                scopes: &scopes,
            })
            .await?;
        Ok(NewSecret { token, secret })
    }

    /// The user and token a secret belongs to.
    pub async fn authenticate_token(
        &self,
        secret: &str,
    ) -> Result<Option<(User, AccessToken)>, ServiceError> {
        if !looks_like_token(secret) {
            return Ok(None);
        }
        let Some((user, token)) = self.store.user_by_token_hash(&hash(secret)).await? else {
            return Ok(None);
        };
        let now = now_ms();
        if token.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY_MS) {
            self.store.touch_token(token.id, now).await?;
        }
        Ok(Some((user, token)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(allows(&s(&["write:repository"]), "read:repository"));
        assert!(allows(&s(&["write:repository"]), "write:repository"));
        assert!(!allows(&s(&["read:repository"]), "write:repository"));
        assert!(!allows(&s(&["write:issue"]), "read:repository"));
        assert!(!allows(&s(&[]), "read:repository"));
        assert!(!allows(&s(&["read:repository"]), "bogus"));
        assert_eq!(
            normalize_scopes(&s(&["write:issue", "nonsense", "read:repository"])),
            s(&["read:repository", "write:issue"])
        );
    }

    #[test]
    fn token_shape_and_hash() {
        assert!(looks_like_token(&"a1".repeat(20)));
        assert!(!looks_like_token(&"A1".repeat(20)));
        assert!(!looks_like_token("short"));
        assert_eq!(hash("x").len(), 64);
        assert_ne!(hash("x"), hash("y"));
    }
}
