//! Signing in with a password, throttled per account and per client address. The web
//! form, git over HTTP and the API's Basic authentication all come through here, so a
//! password guesser gains nothing by switching doors.

use crate::{Forge, ServiceError};
use hatchery_store::{User, now_ms};

#[derive(Debug, Clone, Copy)]
pub struct SignInPolicy {
    /// Failures per account within the window before further attempts are refused.
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
    /// this many times more often than one account.
    const ADDRESS_FACTOR: i64 = 10;
}

#[derive(Debug)]
pub enum SignIn {
    Ok(User),
    Invalid,
    /// Too many failures recently; try again after the window.
    Throttled,
}

fn account_key(login: &str) -> String {
    format!("login:account:{}", login.trim().to_lowercase())
}

fn address_key(addr: &str) -> String {
    format!("login:addr:{addr}")
}

impl Forge {
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        client_addr: Option<&str>,
    ) -> Result<SignIn, ServiceError> {
        let now = now_ms();
        let window = self.signin.window_ms;
        let limit = i64::from(self.signin.max_failed);
        let account = account_key(login);
        let address = client_addr.map(address_key);
        let mut throttled = self.store.throttle_count(&account, now, window).await? >= limit;
        if let Some(key) = &address {
            throttled |= self.store.throttle_count(key, now, window).await?
                >= limit * SignInPolicy::ADDRESS_FACTOR;
        }
        if throttled {
            return Ok(SignIn::Throttled);
        }
        let creds = if password.len() > hatchery_core::validate::PASSWORD_MAX_BYTES {
            None
        } else {
            self.store.credentials_by_login(login.trim()).await?
        };
        let stored = creds.as_ref().map(|c| c.password_hash.clone());
        let ok = self.passwords.verify(password.to_owned(), stored).await?;
        match creds {
            Some(creds) if ok => {
                self.store.throttle_clear(&account).await?;
                Ok(SignIn::Ok(creds.user))
            }
            _ => {
                self.store.throttle_hit(&account, now, window).await?;
                if let Some(key) = &address {
                    self.store.throttle_hit(key, now, window).await?;
                }
                tracing::info!(login = %login.trim(), "failed sign-in");
                Ok(SignIn::Invalid)
            }
        }
    }
}
