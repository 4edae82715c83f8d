//! Security keys and passkeys (WebAuthn) as a second factor beside TOTP, through
//! `webauthn-rs` (its passkey ceremonies: user verification required, so a key's PIN or the
//! device's fingerprint or face check is part of every use; no attestation required).
//!
//! - The relying party is the site: its id is the host of `public_url`, the origin that
//!   URL's origin. A host that is an IP address cannot be a relying party (browsers refuse),
//!   so security keys are unavailable there.
//! - Each ceremony has a state (the challenge) the web layer keeps in the server-side
//!   session, bound to the account and at most five minutes old, and takes out before
//!   finishing, so a response is accepted once.
//! - A use records the credential's new signature counter and backup state; a counter that
//!   did not grow (a cloned authenticator) is refused by `webauthn-rs`, and of two uses at
//!   once over the same stored counter only one is accepted.
//! - Failed uses count in the same throttle as wrong TOTP codes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hatchery_store::{ConflictField, SecurityKey, StoreError, User, now_ms};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::twofactor::{hash_recovery_code, new_recovery_codes};
use crate::{Forge, ServiceError};

/// Keys one account may register.
pub const MAX_SECURITY_KEYS: i64 = 10;
/// Longest name of a key, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// How long a ceremony may take (the same as the second step of a sign-in).
pub const CEREMONY_MS: i64 = 5 * 60_000;

#[derive(Debug, thiserror::Error)]
pub enum SecurityKeyError {
    /// The site's public URL names no host a browser accepts as a relying party.
    #[error("security keys need a public URL with a host name")]
    Unavailable,
    #[error("a name is required")]
    NameRequired,
    #[error("name too long")]
    NameTooLong,
    #[error("a key of that name exists")]
    NameTaken,
    #[error("too many keys")]
    TooMany,
    /// The credential is registered already (to this or another account).
    #[error("key already registered")]
    AlreadyRegistered,
    /// The authenticator's answer does not check out: wrong or foreign credential, wrong
    /// challenge or origin, bad signature, a counter that went back, a malformed response.
    #[error("the security key's answer was refused")]
    Refused,
    /// The ceremony is older than [`CEREMONY_MS`] or belongs to another account.
    #[error("the ceremony expired")]
    Expired,
    #[error("no such key")]
    NotFound,
    /// The account has no key to sign in with.
    #[error("no security key")]
    NoKeys,
    /// The site requires a second factor of this user and this is their last one.
    #[error("the last second factor cannot be removed")]
    LastFactor,
    #[error("too many attempts")]
    Throttled,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SecurityKeyError {
    fn from(e: StoreError) -> SecurityKeyError {
        SecurityKeyError::Service(e.into())
    }
}

/// A registration in progress, kept in the session between its two requests.
#[derive(Serialize, Deserialize, Clone)]
pub struct KeyRegistration {
    user_id: i64,
    since_ms: i64,
    name: String,
    state: PasskeyRegistration,
}

/// A sign-in with a key in progress, kept in the session between its two requests.
#[derive(Serialize, Deserialize, Clone)]
pub struct KeyAssertion {
    user_id: i64,
    since_ms: i64,
    state: PasskeyAuthentication,
}

impl std::fmt::Debug for KeyRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRegistration")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for KeyAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyAssertion")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// The relying party of a site at `public_url`.
pub fn relying_party(public_url: &str) -> Result<Webauthn, SecurityKeyError> {
    let url = Url::parse(public_url).map_err(|_| SecurityKeyError::Unavailable)?;
    let Some(url::Host::Domain(host)) = url.host() else {
        return Err(SecurityKeyError::Unavailable);
    };
    let origin = Url::parse(&url.origin().ascii_serialization())
        .map_err(|_| SecurityKeyError::Unavailable)?;
    WebauthnBuilder::new(host, &origin)
        .and_then(|b| b.rp_name("Hatchery").build())
        .map_err(|e| {
            tracing::warn!(error = %e, public_url, "no WebAuthn relying party for the public URL");
            SecurityKeyError::Unavailable
        })
}

/// A key's name as given, trimmed.
fn checked_name(name: &str) -> Result<String, SecurityKeyError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(SecurityKeyError::NameRequired);
    }
    if name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(SecurityKeyError::NameTooLong);
    }
    Ok(name.to_owned())
}

fn fresh(user_id: i64, owner: i64, since_ms: i64) -> bool {
    user_id == owner && (0..CEREMONY_MS).contains(&(now_ms() - since_ms))
}

fn passkey_of(key: &SecurityKey) -> Result<Passkey, ServiceError> {
    serde_json::from_str(&key.passkey)
        .map_err(|e| ServiceError::Task(format!("stored security key {} unreadable: {e}", key.id)))
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, ServiceError> {
    serde_json::to_value(value).map_err(|e| ServiceError::Task(format!("WebAuthn JSON: {e}")))
}

impl Forge {
    /// The account's keys, oldest first.
    pub async fn security_keys(&self, user_id: i64) -> Result<Vec<SecurityKey>, ServiceError> {
        Ok(self.store.security_keys(user_id).await?)
    }

    /// Starts registering a key named `name`: the options for `navigator.credentials.create`
    /// (as JSON) and the state to keep until [`Forge::security_key_register_finish`].
    pub async fn security_key_register_begin(
        &self,
        public_url: &str,
        user: &User,
        name: &str,
    ) -> Result<(serde_json::Value, KeyRegistration), SecurityKeyError> {
        let name = checked_name(name)?;
        let rp = relying_party(public_url)?;
        let keys = self.store.security_keys(user.id).await?;
        if i64::try_from(keys.len()).unwrap_or(i64::MAX) >= MAX_SECURITY_KEYS {
            return Err(SecurityKeyError::TooMany);
        }
        if keys
            .iter()
            .any(|k| k.name.to_lowercase() == name.to_lowercase())
        {
            return Err(SecurityKeyError::NameTaken);
        }
        let mut exclude = Vec::with_capacity(keys.len());
        for k in &keys {
            exclude.push(passkey_of(k)?.cred_id().clone());
        }
        let display = if user.display_name.is_empty() {
            user.name.as_str()
        } else {
            user.display_name.as_str()
        };
        // A random user handle: authenticators that keep one learn nothing about the account.
        let (options, state) = rp
            .start_passkey_registration(Uuid::new_v4(), &user.name, display, Some(exclude))
            .map_err(|e| ServiceError::Task(format!("WebAuthn registration: {e}")))?;
        Ok((
            json(&options)?,
            KeyRegistration {
                user_id: user.id,
                since_ms: now_ms(),
                name,
                state,
            },
        ))
    }

    /// Finishes a registration with the browser's answer (the `PublicKeyCredential` as JSON).
    /// When the account had no recovery codes (no authenticator app, no key before), it gets
    /// ten, returned to be shown once.
    pub async fn security_key_register_finish(
        &self,
        public_url: &str,
        user: &User,
        reg: KeyRegistration,
        response: &str,
    ) -> Result<(SecurityKey, Option<Vec<String>>), SecurityKeyError> {
        if !fresh(user.id, reg.user_id, reg.since_ms) {
            return Err(SecurityKeyError::Expired);
        }
        let rp = relying_party(public_url)?;
        let credential: RegisterPublicKeyCredential =
            serde_json::from_str(response).map_err(|e| {
                tracing::warn!(user = %user.name, error = %e, "malformed security key registration");
                SecurityKeyError::Refused
            })?;
        let passkey = rp
            .finish_passkey_registration(&credential, &reg.state)
            .map_err(|e| {
                tracing::warn!(user = %user.name, error = %e, "security key registration refused");
                SecurityKeyError::Refused
            })?;
        let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id());
        let stored = json(&passkey)?.to_string();
        match self
            .store
            .add_security_key(
                user.id,
                &reg.name,
                &credential_id,
                &stored,
                MAX_SECURITY_KEYS,
            )
            .await
        {
            Ok(Some(key)) => {
                tracing::info!(user = %user.name, key = key.id, "security key added");
                if self.store.recovery_codes_left(user.id).await? > 0
                    || self.totp_on(user.id).await?
                {
                    return Ok((key, None));
                }
                let codes = new_recovery_codes();
                let hashes: Vec<String> = codes.iter().map(|c| hash_recovery_code(c)).collect();
                self.store.replace_recovery_codes(user.id, &hashes).await?;
                Ok((key, Some(codes)))
            }
            Ok(None) => Err(SecurityKeyError::TooMany),
            Err(StoreError::Conflict(ConflictField::Name)) => Err(SecurityKeyError::NameTaken),
            Err(StoreError::Conflict(_)) => Err(SecurityKeyError::AlreadyRegistered),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes one of the user's keys. Refused for the last second factor while the site
    /// requires two-factor of this user.
    pub async fn security_key_remove(&self, user: &User, id: i64) -> Result<(), SecurityKeyError> {
        let keys = self.store.security_keys(user.id).await?;
        if !keys.iter().any(|k| k.id == id) {
            return Err(SecurityKeyError::NotFound);
        }
        if keys.len() == 1
            && !self.totp_on(user.id).await?
            && self
                .two_factor_requirement()
                .await?
                .applies_to(user.is_admin)
        {
            return Err(SecurityKeyError::LastFactor);
        }
        if !self.store.delete_security_key(user.id, id).await? {
            return Err(SecurityKeyError::NotFound);
        }
        // The last second factor gone: so are its recovery codes.
        if keys.len() == 1 && !self.totp_on(user.id).await? {
            self.store.replace_recovery_codes(user.id, &[]).await?;
        }
        tracing::info!(user = %user.name, key = id, "security key removed");
        Ok(())
    }

    /// Starts the second step of a sign-in with one of the user's keys: the options for
    /// `navigator.credentials.get` (as JSON) and the state to keep until
    /// [`Forge::security_key_sign_in_finish`].
    pub async fn security_key_sign_in_begin(
        &self,
        public_url: &str,
        user: &User,
    ) -> Result<(serde_json::Value, KeyAssertion), SecurityKeyError> {
        if self.throttled_2fa(user.id).await? {
            return Err(SecurityKeyError::Throttled);
        }
        let rp = relying_party(public_url)?;
        let keys = self.store.security_keys(user.id).await?;
        if keys.is_empty() {
            return Err(SecurityKeyError::NoKeys);
        }
        let passkeys = keys.iter().map(passkey_of).collect::<Result<Vec<_>, _>>()?;
        let (options, state) = rp
            .start_passkey_authentication(&passkeys)
            .map_err(|e| ServiceError::Task(format!("WebAuthn authentication: {e}")))?;
        Ok((
            json(&options)?,
            KeyAssertion {
                user_id: user.id,
                since_ms: now_ms(),
                state,
            },
        ))
    }

    /// Checks the browser's answer to a sign-in ceremony and records the key's use.
    pub async fn security_key_sign_in_finish(
        &self,
        public_url: &str,
        user: &User,
        assertion: KeyAssertion,
        response: &str,
    ) -> Result<(), SecurityKeyError> {
        if self.throttled_2fa(user.id).await? {
            tracing::warn!(user = user.id, "two-factor prompt throttled");
            return Err(SecurityKeyError::Throttled);
        }
        if !fresh(user.id, assertion.user_id, assertion.since_ms) {
            return Err(SecurityKeyError::Expired);
        }
        let rp = relying_party(public_url)?;
        let refuse = async |why: &str| -> Result<(), SecurityKeyError> {
            self.failed_2fa(user.id, why).await?;
            Err(SecurityKeyError::Refused)
        };
        let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(response) else {
            return refuse("malformed security key answer").await;
        };
        let result = match rp.finish_passkey_authentication(&credential, &assertion.state) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(user = %user.name, error = %e, "security key answer refused");
                return refuse("security key answer refused").await;
            }
        };
        let keys = self.store.security_keys(user.id).await?;
        let mut used = None;
        for key in &keys {
            let mut passkey = passkey_of(key)?;
            if passkey.update_credential(&result).is_some() {
                used = Some((key, passkey));
                break;
            }
        }
        // Removed between the two requests.
        let Some((key, passkey)) = used else {
            return refuse("security key removed meanwhile").await;
        };
        let now = json(&passkey)?.to_string();
        if !self
            .store
            .record_security_key_use(key.id, &key.passkey, &now)
            .await?
        {
            return refuse("security key used twice at once").await;
        }
        self.store.throttle_clear(&throttle_key(user.id)).await?;
        tracing::info!(user = %user.name, key = key.id, "second factor: security key");
        Ok(())
    }
}

fn throttle_key(user_id: i64) -> String {
    format!("2fa:user:{user_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_sites_host() {
        let rp = relying_party("https://git.example.edu/").unwrap();
        assert_eq!(
            rp.get_allowed_origins()
                .iter()
                .map(Url::as_str)
                .collect::<Vec<_>>(),
            ["https://git.example.edu/"]
        );
        assert!(relying_party("http://localhost:3000/").is_ok());
        assert!(relying_party("https://git.example.edu:8443/hatchery/").is_ok());
        for bad in ["http://127.0.0.1:3000/", "https://[::1]/", "not a url"] {
            assert!(
                matches!(relying_party(bad), Err(SecurityKeyError::Unavailable)),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(checked_name("  YubiKey 5 ").unwrap(), "YubiKey 5");
        assert!(matches!(
            checked_name("  "),
            Err(SecurityKeyError::NameRequired)
        ));
        assert!(matches!(
            checked_name(&"x".repeat(65)),
            Err(SecurityKeyError::NameTooLong)
        ));
        assert!(checked_name(&"键".repeat(64)).is_ok());
        assert!(matches!(
            checked_name("a\nb"),
            Err(SecurityKeyError::NameTooLong)
        ));
    }
}
