//! Users' OpenPGP (GnuPG) public keys, registered through the settings page and the API
//! alike, which release signatures are verified against. Keys are parsed and judged by
//! `hatchery_core::gpg` on a blocking thread (it verifies the key's self-signatures).

use hatchery_core::gpg::{GpgKeyError, parse_gpg_key};
use hatchery_core::{Action, Actor, Resource, authorize};
use hatchery_store::{ConflictField, GpgKey, StoreError, now_ms};

use crate::{Forge, ServiceError};

/// Why a key was not added or removed.
#[derive(Debug, thiserror::Error)]
pub enum GpgKeyRefusal {
    /// The key text: not one public key, a secret key, revoked, expired, ...
    #[error("invalid key: {0}")]
    Key(#[from] GpgKeyError),
    /// The key, or one of its subkeys, is registered already (to this or another account).
    #[error("key already registered")]
    Taken,
    /// The actor may not manage these keys.
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Service(ServiceError),
}

impl From<StoreError> for GpgKeyRefusal {
    fn from(e: StoreError) -> GpgKeyRefusal {
        match e {
            StoreError::Conflict(ConflictField::Key) => GpgKeyRefusal::Taken,
            StoreError::NotFound => GpgKeyRefusal::NotFound,
            other => GpgKeyRefusal::Service(other.into()),
        }
    }
}

impl Forge {
    /// Adds the armored public key `text` to `user_id`'s account: the user themselves or a
    /// site administrator. Their release signatures are checked again afterwards.
    pub async fn add_gpg_key(
        &self,
        actor: Actor,
        user_id: i64,
        text: &str,
    ) -> Result<GpgKey, GpgKeyRefusal> {
        if !authorize(actor, Action::EditSettings, Resource::User { id: user_id }).is_allowed() {
            return Err(GpgKeyRefusal::Forbidden);
        }
        let text = text.to_owned();
        let parsed = tokio::task::spawn_blocking(move || parse_gpg_key(&text, now_ms()))
            .await
            .map_err(|e| GpgKeyRefusal::Service(e.into()))??;
        let key = self.store.add_gpg_key(user_id, &parsed).await?;
        tracing::info!(user = user_id, key = %key.fingerprint, "GPG key added");
        self.signer_keys_changed(user_id).await;
        Ok(key)
    }

    /// Removes one of `user_id`'s keys (with its subkeys); the signatures it verified are
    /// checked again.
    pub async fn delete_gpg_key(
        &self,
        actor: Actor,
        user_id: i64,
        key_id: i64,
    ) -> Result<(), GpgKeyRefusal> {
        if !authorize(actor, Action::EditSettings, Resource::User { id: user_id }).is_allowed() {
            return Err(GpgKeyRefusal::Forbidden);
        }
        self.store.delete_gpg_key(user_id, key_id).await?;
        tracing::info!(user = user_id, key = key_id, "GPG key deleted");
        self.signer_keys_changed(user_id).await;
        Ok(())
    }
}
