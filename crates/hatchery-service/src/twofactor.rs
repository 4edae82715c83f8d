//! Two-factor authentication with TOTP (RFC 6238: SHA-1, six digits, 30-second steps, one
//! step of clock skew either way) through `totp-rs`, and recovery codes.
//!
//! - Enrolment: a fresh 160-bit secret is shown (as an `otpauth://` QR code rendered as SVG
//!   on the server, and as text) and becomes active only once a code from it is entered.
//!   Confirming hands out ten recovery codes, shown once and stored as SHA-256 hashes.
//! - Each time step is accepted once per account (the newest accepted step is stored and
//!   compared in the same `UPDATE`), so a code seen over someone's shoulder cannot be
//!   replayed within its window; a recovery code works once.
//! - Wrong codes count in the sign-in throttle under the account's own key: after
//!   `auth.max_failed_logins` within `auth.lockout_minutes` the prompt refuses every code
//!   until the window ends, so a six-digit code cannot be guessed.
//! - The site may require two-factor for administrators or everyone (`site.require_2fa`);
//!   with two-factor on or required, a password over HTTP Basic (git, API) is refused:
//!   only access tokens work there.

use hatchery_core::signin::{TwoFactorRequirement, normalize_code};
use hatchery_store::{StoreError, User, now_ms};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::{Forge, ServiceError};

/// The settings key of the site's requirement.
pub(crate) const REQUIRE_KEY: &str = "site.require_2fa";
/// Recovery codes handed out at a time.
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Hatchery";
const STEP_SECS: u64 = 30;

/// A pending enrolment, for the page that shows it.
#[derive(Clone)]
pub struct Enrolment {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    pub otpauth_url: String,
    /// The QR code of `otpauth_url` as an SVG document.
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    /// Wrong code (or a recovery code already used).
    #[error("wrong code")]
    Invalid,
    /// The code is right but its time step was already used.
    #[error("code already used")]
    Replayed,
    /// Too many wrong codes recently.
    #[error("too many attempts")]
    Throttled,
    /// Two-factor is already on (enrolling) or off (verifying, disabling).
    #[error("not in that state")]
    WrongState,
    /// The site requires a second factor of this user and this is their last one.
    #[error("the last second factor cannot be removed")]
    Required,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for TwoFactorError {
    fn from(e: StoreError) -> TwoFactorError {
        TwoFactorError::Service(e.into())
    }
}

/// The TOTP of a stored base32 secret.
fn totp(secret_b32: &str, account: &str) -> Result<Totp, ServiceError> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|e| ServiceError::Task(format!("stored TOTP secret unreadable: {e}")))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| ServiceError::Task(format!("TOTP: {e}")))
}

fn now_secs() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or(0)
}

/// The step a six-digit code belongs to at `time`, if it is valid then.
fn check_code(t: &Totp, code: &str, time: u64) -> Option<i64> {
    let code = normalize_code(code);
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.check(&code, time).and_then(|s| i64::try_from(s).ok())
}

/// The code of `secret_b32` at `time` (tests and the CLI use it to act as an app).
pub fn code_at(secret_b32: &str, time_secs: u64) -> Result<String, ServiceError> {
    Ok(totp(secret_b32, "x")?.generate(time_secs).to_string())
}

pub fn hash_recovery_code(code: &str) -> String {
    hex::encode(Sha256::digest(normalize_code(code).as_bytes()))
}

/// Ten codes like `k7f3q-9xm2p` (50 random bits each, no look-alike characters).
pub(crate) fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut s = String::with_capacity(11);
            for i in 0..10 {
                if i == 5 {
                    s.push('-');
                }
                s.push(char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]));
            }
            s
        })
        .collect()
}

fn qr_svg(data: &str) -> Result<String, ServiceError> {
    let code = qrcode::QrCode::new(data.as_bytes())
        .map_err(|e| ServiceError::Task(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

impl Forge {
    /// The site's requirement (an administrator's setting, else the configuration's).
    pub async fn two_factor_requirement(&self) -> Result<TwoFactorRequirement, ServiceError> {
        Ok(self
            .store
            .setting(REQUIRE_KEY)
            .await?
            .as_deref()
            .and_then(TwoFactorRequirement::parse)
            .unwrap_or(self.two_factor_default))
    }

    /// Whether the user has a second factor: TOTP confirmed, or a security key.
    pub async fn two_factor_on(&self, user_id: i64) -> Result<bool, ServiceError> {
        Ok(self.totp_on(user_id).await? || self.store.security_key_count(user_id).await? > 0)
    }

    /// Whether the user has confirmed TOTP (an authenticator app).
    pub async fn totp_on(&self, user_id: i64) -> Result<bool, ServiceError> {
        Ok(self
            .store
            .two_factor(user_id)
            .await?
            .is_some_and(|t| t.confirmed_at.is_some()))
    }

    /// The site requires two-factor of this user and they have not enrolled yet.
    pub async fn two_factor_missing(&self, user: &User) -> Result<bool, ServiceError> {
        Ok(self
            .two_factor_requirement()
            .await?
            .applies_to(user.is_admin)
            && !self.two_factor_on(user.id).await?)
    }

    /// Git and the API take access tokens only from this user (two-factor on or required).
    pub async fn password_needs_token(&self, user: &User) -> Result<bool, ServiceError> {
        Ok(self.two_factor_on(user.id).await?
            || self
                .two_factor_requirement()
                .await?
                .applies_to(user.is_admin))
    }

    /// Starts an enrolment (a new secret each time until one is confirmed).
    pub async fn two_factor_begin(&self, user: &User) -> Result<Enrolment, TwoFactorError> {
        if self.totp_on(user.id).await? {
            return Err(TwoFactorError::WrongState);
        }
        let bytes: [u8; 20] = rand::random();
        let secret = Secret::from(bytes.to_vec()).to_base32();
        match self.store.start_two_factor(user.id, &secret).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(TwoFactorError::WrongState),
            Err(e) => return Err(e.into()),
        }
        self.enrolment(user)
            .await?
            .ok_or(TwoFactorError::WrongState)
    }

    /// The enrolment waiting for its first code, if any.
    pub async fn enrolment(&self, user: &User) -> Result<Option<Enrolment>, ServiceError> {
        let Some(tf) = self
            .store
            .two_factor(user.id)
            .await?
            .filter(|t| t.confirmed_at.is_none())
        else {
            return Ok(None);
        };
        let url = totp(&tf.secret, &user.name)?
            .to_url()
            .map_err(|e| ServiceError::Task(format!("TOTP URL: {e}")))?;
        Ok(Some(Enrolment {
            qr_svg: qr_svg(&url)?,
            otpauth_url: url,
            secret: tf.secret,
        }))
    }

    pub(crate) async fn throttled_2fa(&self, user_id: i64) -> Result<bool, ServiceError> {
        Ok(self
            .store
            .throttle_count(&throttle_key(user_id), now_ms(), self.signin.window_ms)
            .await?
            >= i64::from(self.signin.max_failed))
    }

    pub(crate) async fn failed_2fa(&self, user_id: i64, why: &str) -> Result<(), ServiceError> {
        self.store
            .throttle_hit(&throttle_key(user_id), now_ms(), self.signin.window_ms)
            .await?;
        tracing::warn!(user = user_id, why, "two-factor code refused");
        Ok(())
    }

    /// Confirms the enrolment with a code from the app; returns the recovery codes, to be
    /// shown once.
    pub async fn two_factor_confirm(
        &self,
        user: &User,
        code: &str,
    ) -> Result<Vec<String>, TwoFactorError> {
        if self.throttled_2fa(user.id).await? {
            return Err(TwoFactorError::Throttled);
        }
        let Some(tf) = self
            .store
            .two_factor(user.id)
            .await?
            .filter(|t| t.confirmed_at.is_none())
        else {
            return Err(TwoFactorError::WrongState);
        };
        let Some(step) = check_code(&totp(&tf.secret, &user.name)?, code, now_secs()) else {
            self.failed_2fa(user.id, "wrong enrolment code").await?;
            return Err(TwoFactorError::Invalid);
        };
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| hash_recovery_code(c)).collect();
        match self.store.confirm_two_factor(user.id, step, &hashes).await {
            Ok(()) => {}
            Err(StoreError::Stale) => return Err(TwoFactorError::WrongState),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(user = %user.name, "two-factor authentication turned on");
        Ok(codes)
    }

    /// Checks a code at sign-in (or before a sensitive change): a TOTP code, accepted once
    /// per time step, or an unused recovery code (also for an account with security keys
    /// and no authenticator app).
    pub async fn two_factor_verify(&self, user: &User, code: &str) -> Result<(), TwoFactorError> {
        if self.throttled_2fa(user.id).await? {
            tracing::warn!(user = user.id, "two-factor prompt throttled");
            return Err(TwoFactorError::Throttled);
        }
        let tf = self
            .store
            .two_factor(user.id)
            .await?
            .filter(|t| t.confirmed_at.is_some());
        if tf.is_none() && self.store.security_key_count(user.id).await? == 0 {
            return Err(TwoFactorError::WrongState);
        }
        let normalized = normalize_code(code);
        if normalized.len() == 6 && normalized.bytes().all(|b| b.is_ascii_digit()) {
            let Some(tf) = tf else {
                self.failed_2fa(user.id, "a TOTP code without an app")
                    .await?;
                return Err(TwoFactorError::Invalid);
            };
            let Some(step) = check_code(&totp(&tf.secret, &user.name)?, &normalized, now_secs())
            else {
                self.failed_2fa(user.id, "wrong code").await?;
                return Err(TwoFactorError::Invalid);
            };
            if !self.store.accept_totp_step(user.id, step).await? {
                self.failed_2fa(user.id, "code replayed within its window")
                    .await?;
                return Err(TwoFactorError::Replayed);
            }
        } else if !self
            .store
            .use_recovery_code(user.id, &hash_recovery_code(&normalized))
            .await?
        {
            self.failed_2fa(user.id, "wrong or used recovery code")
                .await?;
            return Err(TwoFactorError::Invalid);
        } else {
            tracing::info!(user = %user.name, "signed in with a recovery code");
        }
        self.store.throttle_clear(&throttle_key(user.id)).await?;
        Ok(())
    }

    /// Turns TOTP off after a valid code. Refused while the site requires two-factor of this
    /// user and TOTP is their only second factor (no security key).
    pub async fn two_factor_disable(&self, user: &User, code: &str) -> Result<(), TwoFactorError> {
        if self
            .two_factor_requirement()
            .await?
            .applies_to(user.is_admin)
            && self.store.security_key_count(user.id).await? == 0
        {
            return Err(TwoFactorError::Required);
        }
        if !self.totp_on(user.id).await? {
            return Err(TwoFactorError::WrongState);
        }
        self.two_factor_verify(user, code).await?;
        // With security keys left, the recovery codes stay theirs.
        if self.store.security_key_count(user.id).await? > 0 {
            self.store.remove_totp(user.id).await?;
        } else {
            self.store.remove_two_factor(user.id).await?;
        }
        tracing::info!(user = %user.name, "two-factor authentication turned off");
        Ok(())
    }

    /// New recovery codes after a valid code; the old ones stop working.
    pub async fn two_factor_new_codes(
        &self,
        user: &User,
        code: &str,
    ) -> Result<Vec<String>, TwoFactorError> {
        self.two_factor_verify(user, code).await?;
        let codes = new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| hash_recovery_code(c)).collect();
        self.store.replace_recovery_codes(user.id, &hashes).await?;
        Ok(codes)
    }

    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, ServiceError> {
        Ok(self.store.recovery_codes_left(user_id).await?)
    }
}

fn throttle_key(user_id: i64) -> String {
    format!("2fa:user:{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, with the RFC's 20-byte secret (six digits: the last six
    /// of the eight the RFC lists).
    #[test]
    fn rfc_6238_vectors() {
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(&secret, time).unwrap(), code, "{time}");
        }
    }

    #[test]
    fn codes_and_steps() {
        let secret = Secret::from(vec![7u8; 20]).to_base32();
        let t = totp(&secret, "ada").unwrap();
        let now = 1_700_000_000;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(check_code(&t, &code, now), Some(1_700_000_000 / 30));
        // One step of skew either way, not two.
        assert!(check_code(&t, &code, now + 30).is_some());
        assert!(check_code(&t, &code, now + 61).is_none());
        assert!(check_code(&t, "12345", now).is_none());
        assert!(check_code(&t, "abcdef", now).is_none());
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(check_code(&t, &spaced, now).is_some());
    }

    #[test]
    fn recovery_codes_are_random_and_hashed_loosely() {
        let a = new_recovery_codes();
        assert_eq!(a.len(), RECOVERY_CODES);
        assert!(a.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        let unique: std::collections::BTreeSet<_> = a.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(
            hash_recovery_code("ABCDE-fghjk"),
            hash_recovery_code("abcdefghjk")
        );
        assert_ne!(hash_recovery_code(&a[0]), hash_recovery_code(&a[1]));
    }

    #[test]
    fn the_qr_code_is_an_svg() {
        let svg = qr_svg("otpauth://totp/Hatchery:ada?secret=AAAA").unwrap();
        assert!(svg.contains("<svg") && !svg.contains("<script"));
    }
}
