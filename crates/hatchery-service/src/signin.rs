//! Signing in with a password, throttled so that a guesser gets nowhere and an attacker
//! cannot lock anyone else out. The web form, git over HTTP and the API's Basic
//! authentication all come through here, so switching doors gains nothing.
//!
//! The policy, per window of `auth.lockout_minutes`:
//! - one client address may fail `auth.max_failed_logins` times for one account, then that
//!   address is refused for that account (429) until the window ends;
//! - one client address may fail ten times that often over all accounts, then it is refused;
//! - an account as a whole is never refused: past `max_failed_logins` failures from
//!   anywhere, each password check for it waits a little longer (doubling, at most a few
//!   seconds), so its owner can still sign in from their own address;
//! - access tokens are never throttled;
//! - the user name and the email of one account share one counter.
//!
//! Git and API clients send their password with every request. A successful Basic
//! verification is remembered for `auth.basic_cache_secs`, keyed by an HMAC (site secret)
//! of the account, its stored hash and the password, so a password change (a new hash)
//! ends it at once on every server.

use crate::sources::{ExternalSignIn, LdapSignInError};
use crate::{Forge, ServiceError};
use hatchery_store::{User, now_ms};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct SignInPolicy {
    /// Failures per (account, address) within the window before that pair is refused.
    pub max_failed: u32,
    pub window_ms: i64,
}

impl SignInPolicy {
    pub fn new(max_failed: u32, lockout_minutes: u32) -> SignInPolicy {
        SignInPolicy {
            max_failed,
            window_ms: i64::from(lockout_minutes) * 60_000,
        }
    }

    /// Many people share an address behind an institute's NAT, so an address may fail
    /// this many times more often than one (account, address) pair.
    const ADDRESS_FACTOR: i64 = 10;
    /// The first slowdown of an account under attack; doubled per further failure.
    const SLOWDOWN_STEP: Duration = Duration::from_millis(250);
    const SLOWDOWN_MAX: Duration = Duration::from_secs(4);

    /// How long a password check for an account with `failures` recent failures waits.
    pub fn slowdown(&self, failures: i64) -> Duration {
        let over = failures - i64::from(self.max_failed);
        if over < 0 {
            return Duration::ZERO;
        }
        let doublings = u32::try_from(over.min(16)).unwrap_or(16);
        (Self::SLOWDOWN_STEP * 2u32.pow(doublings)).min(Self::SLOWDOWN_MAX)
    }
}

#[derive(Debug)]
pub enum SignIn {
    Ok(User),
    Invalid,
    /// Too many failures recently from this address; try again after the window.
    Throttled,
    /// The password is right, but an administrator has disabled the account.
    Disabled,
    /// No local account has this password and an LDAP directory could not be asked: the
    /// person is told the directory is unavailable (local accounts keep working).
    DirectoryDown,
    /// The directory knows the person, but no account is linked and the source does not
    /// create accounts (or the name is unusable).
    NoAccount,
    /// The directory knows the person, but an unlinked account already has their name or
    /// email: it is not taken over.
    Taken,
    /// The password is right, but the account has two-factor authentication on (or the
    /// site requires it): over Basic, git and the API accept access tokens only.
    TokenRequired,
}

/// Which door the password came through: Basic credentials (git, API) may be answered
/// from the cache of recent verifications; the sign-in form always runs argon2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Form,
    Basic,
}

/// Recent successful Basic verifications: memory-bounded, short-lived.
pub(crate) struct CredentialCache {
    secret: Vec<u8>,
    ttl: Duration,
    entries: quick_cache::sync::Cache<[u8; 32], Instant>,
}

/// Entries kept at most (each is 32 bytes of key and an instant).
const CACHED_CREDENTIALS: usize = 10_000;

impl CredentialCache {
    pub(crate) fn new(secret: &str, ttl: Duration) -> CredentialCache {
        CredentialCache {
            secret: secret.as_bytes().to_vec(),
            ttl,
            entries: quick_cache::sync::Cache::new(CACHED_CREDENTIALS),
        }
    }

    fn key(&self, user_id: i64, stored_hash: &str, password: &str) -> [u8; 32] {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        m.update(b"basic-credential:");
        m.update(&user_id.to_be_bytes());
        m.update(&(stored_hash.len() as u64).to_be_bytes());
        m.update(stored_hash.as_bytes());
        m.update(password.as_bytes());
        m.finalize().into_bytes().into()
    }

    fn hit(&self, key: &[u8; 32]) -> bool {
        match self.entries.get(key) {
            Some(until) if until > Instant::now() => true,
            Some(_) => {
                self.entries.remove(key);
                false
            }
            None => false,
        }
    }

    fn remember(&self, key: [u8; 32]) {
        self.entries.insert(key, Instant::now() + self.ttl);
    }
}

fn unknown_account_key(login: &str) -> String {
    format!("login:name:{}", login.trim().to_lowercase())
}

fn address_key(addr: &str) -> String {
    format!("login:addr:{addr}")
}

impl Forge {
    /// Remembers successful Basic verifications for `ttl` (zero: never).
    pub fn with_credential_cache(mut self, secret: &str, ttl: Duration) -> Forge {
        self.credentials = (!ttl.is_zero()).then(|| CredentialCache::new(secret, ttl));
        self
    }

    /// The sign-in form.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        client_addr: Option<&str>,
    ) -> Result<SignIn, ServiceError> {
        self.sign_in_via(Door::Form, login, password, client_addr)
            .await
    }

    pub async fn sign_in_via(
        &self,
        door: Door,
        login: &str,
        password: &str,
        client_addr: Option<&str>,
    ) -> Result<SignIn, ServiceError> {
        let now = now_ms();
        let window = self.signin.window_ms;
        let limit = i64::from(self.signin.max_failed);
        let creds = if password.len() > hatchery_core::validate::PASSWORD_MAX_BYTES {
            None
        } else {
            self.store.credentials_by_login(login.trim()).await?
        };
        // By account id, so that the name and the email count together.
        let account = match &creds {
            Some(c) => format!("login:user:{}", c.user.id),
            None => unknown_account_key(login),
        };
        let pair = format!("{account}|{}", client_addr.unwrap_or("-"));
        let address = client_addr.map(address_key);
        let mut throttled = self.store.throttle_count(&pair, now, window).await? >= limit;
        if let Some(key) = &address {
            throttled |= self.store.throttle_count(key, now, window).await?
                >= limit * SignInPolicy::ADDRESS_FACTOR;
        }
        if throttled {
            return Ok(SignIn::Throttled);
        }
        let cache = self.credentials.as_ref().filter(|_| door == Door::Basic);
        let cache_key = match (&creds, cache) {
            (Some(c), Some(cache)) => Some(cache.key(c.user.id, &c.password_hash, password)),
            _ => None,
        };
        if let (Some(cache), Some(key), Some(c)) = (cache, &cache_key, &creds)
            && cache.hit(key)
        {
            if c.user.is_disabled {
                return Ok(SignIn::Disabled);
            }
            return self.after_password(door, c.user.clone()).await;
        }
        let delay = self
            .signin
            .slowdown(self.store.throttle_count(&account, now, window).await?);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let ldap_turn = creds.is_none()
            && !password.is_empty()
            && password.len() <= hatchery_core::validate::PASSWORD_MAX_BYTES;
        let verified = if ldap_turn
            && !self
                .enabled_sources(hatchery_core::signin::SourceKind::Ldap)
                .await?
                .is_empty()
        {
            match self.ldap_sign_in(login, password).await {
                Ok(Some((_, outcome))) => {
                    self.store.throttle_clear(&pair).await?;
                    return Ok(match outcome {
                        ExternalSignIn::Ok(user) => self.after_password(door, user).await?,
                        ExternalSignIn::Disabled => SignIn::Disabled,
                        ExternalSignIn::NoAccount => SignIn::NoAccount,
                        ExternalSignIn::Taken => SignIn::Taken,
                    });
                }
                Ok(None) => None,
                // A guess against a directory that is down proves nothing: not counted.
                Err(LdapSignInError::Unavailable) => return Ok(SignIn::DirectoryDown),
                Err(LdapSignInError::Service(e)) => return Err(e),
            }
        } else {
            let stored = creds.as_ref().map(|c| c.password_hash.clone());
            let ok = self.passwords.verify(password.to_owned(), stored).await?;
            creds.filter(|_| ok)
        };
        match verified {
            Some(creds) => {
                self.store.throttle_clear(&pair).await?;
                if creds.user.is_disabled {
                    // Told only to someone who knows the password.
                    return Ok(SignIn::Disabled);
                }
                let outcome = self.after_password(door, creds.user).await?;
                if let (SignIn::Ok(_), Some(cache), Some(key)) = (&outcome, cache, cache_key) {
                    cache.remember(key);
                }
                if let SignIn::Ok(user) = &outcome {
                    self.store.record_sign_in(user.id).await?;
                }
                Ok(outcome)
            }
            None => {
                self.store.throttle_hit(&account, now, window).await?;
                self.store.throttle_hit(&pair, now, window).await?;
                if let Some(key) = &address {
                    self.store.throttle_hit(key, now, window).await?;
                }
                tracing::info!(login = %login.trim(), "failed sign-in");
                Ok(SignIn::Invalid)
            }
        }
    }

    /// A verified password over Basic is refused when the account must use tokens.
    async fn after_password(&self, door: Door, user: User) -> Result<SignIn, ServiceError> {
        if door == Door::Basic && self.password_needs_token(&user).await? {
            tracing::info!(user = %user.name, "password over Basic refused: two-factor is on, tokens only");
            return Ok(SignIn::TokenRequired);
        }
        Ok(SignIn::Ok(user))
    }
}

impl Forge {
    /// Sets a new password and ends every session of the account except `keep` (the
    /// session the change was made from, which the caller has given a new id). Cached Basic
    /// verifications end too: their key holds the old password hash.
    pub async fn change_password(
        &self,
        user_id: i64,
        new_password: &str,
        keep_session: Option<&str>,
    ) -> Result<(), ServiceError> {
        let hash = self.passwords.hash(new_password.to_owned()).await?;
        self.store.set_password_hash(user_id, &hash).await?;
        let ended = self.store.end_sessions(user_id, keep_session).await?;
        tracing::info!(user = user_id, sessions_ended = ended, "password changed");
        Ok(())
    }

    /// "Sign out everywhere": ends every session of the account, the caller's included.
    /// Access tokens stay valid (they are revoked one by one).
    pub async fn end_all_sessions(&self, user_id: i64) -> Result<u64, ServiceError> {
        let ended = self.store.end_sessions(user_id, None).await?;
        tracing::info!(
            user = user_id,
            sessions_ended = ended,
            "signed out everywhere"
        );
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_under_attack_slow_down_and_are_never_refused() {
        let p = SignInPolicy::new(5, 15);
        assert_eq!(p.slowdown(0), Duration::ZERO);
        assert_eq!(p.slowdown(4), Duration::ZERO);
        assert_eq!(p.slowdown(5), Duration::from_millis(250));
        assert_eq!(p.slowdown(6), Duration::from_millis(500));
        assert_eq!(p.slowdown(1_000_000), Duration::from_secs(4));
    }

    #[test]
    fn cache_keys_depend_on_account_hash_and_password() {
        let c = CredentialCache::new("secret", Duration::from_secs(60));
        let k = c.key(1, "$hash1", "pw");
        assert_eq!(k, c.key(1, "$hash1", "pw"));
        assert_ne!(k, c.key(2, "$hash1", "pw"));
        assert_ne!(
            k,
            c.key(1, "$hash2", "pw"),
            "a new password hash ends the entry"
        );
        assert_ne!(k, c.key(1, "$hash1", "pw2"));
        assert_ne!(
            k,
            CredentialCache::new("other", Duration::ZERO).key(1, "$hash1", "pw")
        );
        assert!(!c.hit(&k));
        c.remember(k);
        assert!(c.hit(&k));
        let expired = CredentialCache::new("secret", Duration::ZERO);
        expired.remember(k);
        assert!(!expired.hit(&k));
    }
}
